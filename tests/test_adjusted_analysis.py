"""The adjusted comparison of a study: tables, attrition, errors, methods text (analyses.adjusted).

The estimators are checked against R in tests/test_adjusted_stats.py; here the study-level logic:
which rows enter, which errors name which problem, and that the tables hold what docs/outputs.md
says. Expected values are by construction or by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from her2rwe.analyses import adjusted
from her2rwe.config import validate_config


def make_study(**adjustment):
    adjustment.setdefault("covariates", ["ecog", "hr_status", "age"])
    cfg = validate_config({"studies": {"s": {
        "cohort": "c.csv", "arms": {"column": "arm", "reference": "B"}, "endpoints": ["pfs"],
        "categorical": ["ecog"], "landmarks": [6, 12], "rmst_tau": 12,
        "adjustment": adjustment}}})  # fmt: skip
    return cfg["studies"]["s"]


def make_data(n=240, seed=11):
    rng = np.random.default_rng(seed)
    ecog = rng.choice([0, 1, 2], n, p=[0.4, 0.4, 0.2])
    hr = rng.choice(["negative", "positive"], n)
    age = rng.normal(55, 10, n).round()
    lp = -0.2 + 0.5 * (ecog == 2) - 0.4 * (hr == "positive") + 0.02 * (age - 55)
    arm = np.where(rng.random(n) < 1 / (1 + np.exp(-lp)), "A", "B")
    t = rng.exponential(10, n)
    c = rng.uniform(5, 30, n)
    return pd.DataFrame({"patient_id": [f"p{i}" for i in range(n)], "arm": arm,
                         "pfs_months": np.minimum(t, c), "pfs_event": (t <= c).astype(int),
                         "ecog": ecog, "hr_status": hr, "age": age})  # fmt: skip


def test_tables_have_the_required_columns_and_one_row_per_level():
    res = adjusted.summarize_adjusted(make_data(), make_study())
    for col in ("variable", "level", "estimand", "method", "smd_before", "smd_after",
                "variance_ratio_before", "variance_ratio_after", "flag"):  # fmt: skip
        assert col in res.balance
    for col in ("endpoint", "arm", "reference", "estimand", "method", "n", "hr", "hr_lower",
                "hr_upper", "hr_p", "se_robust", "rmst_tau", "rmst_diff", "rmst_diff_lower",
                "rmst_diff_upper", "e_value"):  # fmt: skip
        assert col in res.comparisons
    for col in ("endpoint", "arm", "estimand", "method", "median", "median_lower", "median_upper",
                "time", "surv", "surv_lower", "surv_upper"):  # fmt: skip
        assert col in res.survival
    w = res.balance[res.balance["method"] == "weighting"]
    # ecog 0/1/2 (every level, the reference too), hr_status negative/positive, age
    assert list(zip(w["variable"], w["level"], strict=True)) == [
        ("ecog", "0"), ("ecog", "1"), ("ecog", "2"), ("hr_status", "negative"),
        ("hr_status", "positive"), ("age", ""),
    ]  # fmt: skip
    assert set(res.comparisons["method"]) == {"weighting", "matching"}
    assert (res.comparisons["rmst_tau"] == 12).all()
    # ATE weights balance the model's covariates closely; the flag follows the threshold
    assert (w["smd_after"].abs() < w["smd_before"].abs().max()).all()
    np.testing.assert_array_equal(w["flag"], w["smd_after"].abs() > 0.1)
    assert len(res.survival) == 2 * 2 * 2  # arms x methods x landmarks


def test_missing_covariates_are_an_attrition_step_or_an_indicator():
    data = make_data()
    in_a, in_b = np.flatnonzero(data["arm"] == "A"), np.flatnonzero(data["arm"] == "B")
    data.loc[[in_a[0], in_a[1], in_b[0]], "age"] = np.nan  # both arms: no separation
    data.loc[[in_a[2], in_b[1]], "hr_status"] = None
    res = adjusted.summarize_adjusted(data, make_study())
    att = res.attrition
    excluded = att[att["step"] == "excluded"]
    assert excluded.groupby("reason")["n"].sum().to_dict() == {"missing age": 3,
                                                               "missing hr_status": 2}  # fmt: skip
    analysed = att[att["step"] == "analysed (weighting)"]["n"].sum()
    assert analysed == len(data) - 5
    res2 = adjusted.summarize_adjusted(data, make_study(missing="indicator"))
    assert res2.attrition[res2.attrition["step"] == "analysed (weighting)"]["n"].sum() == len(data)
    levels = set(res2.balance["level"][res2.balance["variable"] == "hr_status"])
    assert "missing" in levels
    assert "age missing" in set(res2.balance["variable"])


def test_unknown_covariate_is_named():
    with pytest.raises(adjusted.AdjustmentError, match="'bmi'"):
        adjusted.summarize_adjusted(make_data(), make_study(covariates=["age", "bmi"]))


def test_covariate_with_one_level_is_named():
    data = make_data().assign(site="one")
    with pytest.raises(adjusted.AdjustmentError, match="'site' has a single level"):
        adjusted.summarize_adjusted(data, make_study(covariates=["age", "site"]))


def test_complete_separation_is_reported_not_an_infinite_hr():
    data = make_data()
    data["brain"] = np.where((data["arm"] == "A") & (data.index % 5 == 0), "yes", "no")
    with pytest.raises(adjusted.AdjustmentError, match="complete separation.*brainyes"):
        adjusted.summarize_adjusted(data, make_study(covariates=["age", "brain"]))


def test_trimming_that_empties_an_arm_is_named():
    data = make_data()
    with pytest.raises(adjusted.AdjustmentError, match="trim.*without patients"):
        adjusted.summarize_adjusted(data, make_study(trim={"ps_range": [0.9, 1.0]}))


def test_trimming_is_an_attrition_step():
    res = adjusted.summarize_adjusted(make_data(), make_study(trim={"ps_range": [0.35, 0.65]}))
    att = res.attrition
    trimmed = att[att["reason"] == "propensity score outside the trimming range"]["n"].sum()
    kept = att[att["step"] == "analysed (weighting)"]["n"].sum()
    assert trimmed > 0 and trimmed + kept == len(make_data())
    assert (res.scores["kept"].to_numpy() == False).sum() == trimmed  # noqa: E712


def test_bootstrap_is_seeded_and_only_when_asked():
    data = make_data(n=120)
    off = adjusted.summarize_adjusted(data, make_study())
    assert off.comparisons["hr_boot_lower"].isna().all()
    a = adjusted.summarize_adjusted(data, make_study(bootstrap=20, seed=5))
    b = adjusted.summarize_adjusted(data, make_study(bootstrap=20, seed=5))
    w = a.comparisons["method"] == "weighting"
    pd.testing.assert_frame_equal(a.comparisons, b.comparisons)
    assert (a.comparisons.loc[w, "bootstrap_replicates"] > 15).all()
    assert (a.comparisons.loc[w, "hr_boot_lower"] < a.comparisons.loc[w, "hr"]).all()


def test_estimands_give_their_weights():
    data = make_data()
    for est in ("ATT", "ATO"):
        res = adjusted.summarize_adjusted(data, make_study(estimand=est, matching=False))
        s = res.scores
        ps, w, z = s["ps"].to_numpy(), s["weight"].to_numpy(), (s["arm"] == "A").to_numpy()
        expected = np.where(z, 1.0, ps / (1 - ps)) if est == "ATT" else np.where(z, 1 - ps, ps)
        np.testing.assert_allclose(w, expected, rtol=1e-12)
        assert set(res.comparisons["estimand"]) == {est}


def test_methods_text_names_estimand_covariates_trimming_and_variance():
    study = make_study(estimand="ATO", trim={"weight_percentile": 99}, bootstrap=10)
    res = adjusted.summarize_adjusted(make_data(n=120), study)
    text = adjusted.methods_text(study, res)
    for phrase in ("overlap population (ATO)", "ecog, hr_status, age", "99th percentile",
                   "robust sandwich variance", "10 bootstrap replicates", "balance"):  # fmt: skip
        assert phrase in text


def test_unknown_covariate_is_named_before_any_job_runs():
    # the pre-run check of the config against the cohort header (derive.preflight)
    from her2rwe.config import ConfigError
    from her2rwe.derive.preflight import prepare
    from tests.conftest import REPO

    cfg = {"studies": {"my_study": {
        "cohort": "data/raw/example/cohort.csv", "arms": {"column": "arm", "reference": "HP+C"},
        "endpoints": ["pfs"], "adjustment": {"covariates": ["ecog", "bmi"]}}}}  # fmt: skip
    with pytest.raises(
        ConfigError, match=r"studies\.my_study\.adjustment\.covariates: column 'bmi'"
    ):
        prepare(cfg, workdir=REPO)


def test_bad_estimand_is_named():
    from her2rwe.config import ConfigError

    with pytest.raises(
        ConfigError, match="adjustment.estimand: 'ATX' is not one of: ATE, ATT, ATO"
    ):
        make_study(estimand="ATX")


def test_shareable_copies_mask_small_counts():
    from her2rwe.outputs import shareable

    res = adjusted.summarize_adjusted(make_data(n=40, seed=3), make_study(matching=False))
    k = 30  # every arm of 40 patients has fewer than 30: all masked
    shared = shareable.adjusted_comparisons(res.comparisons, k)
    assert (shared.status[["n_arm", "n_reference"]] == "primary").all().all()
    assert shareable.is_masked(shared.table["n_arm"].iloc[0])
    assert (shareable.balance(res.balance, k).status["n_arm"] == "primary").all()
    assert shareable.adjusted_survival(res.survival, 0).table.equals(res.survival)


def test_adjusted_figures_say_the_numbers_at_risk_are_unweighted(tmp_path):
    from her2rwe.config import study_settings
    from her2rwe.outputs.plotting import adjusted as plots
    from her2rwe.outputs.plotting import figures, style
    from her2rwe.outputs.plotting.spec import FigureContext

    study = make_study()
    res = adjusted.summarize_adjusted(make_data(), study)
    tables = {"balance": res.balance, "adjusted_comparisons": res.comparisons,
              "adjusted_survival": res.survival, "adjusted_km_curves": res.km_curves,
              "adjusted_risk_table": res.risk_table, "propensity_scores": res.scores}  # fmt: skip
    # registered figure kinds, listed from the config like the others, reading their own tables
    specs = [s for s in figures.figure_specs(study) if s.kind.startswith("adjusted")]
    assert [s.name for s in specs] == ["adjusted_love", "adjusted_ps_overlap", "adjusted_km_pfs"]
    assert set(plots.SOURCES) <= set(figures.figure_sources(study))
    no_adjustment = {k: v for k, v in study.items() if k != "adjustment"}
    assert not [s for s in figures.figure_specs(no_adjustment) if s.kind.startswith("adjusted")]
    assert not set(plots.SOURCES) & set(figures.figure_sources(no_adjustment))
    ctx = FigureContext(tables, study_settings(study), ["B", "A"], style.arm_colors(["B", "A"]))
    figs = {s.name: figures.kinds()[s.kind].draw(s, ctx) for s in specs}
    km_text = style.drawn_text(figs["adjusted_km_pfs"])
    assert "Number at risk (unweighted)" in km_text
    n_b = int((res.scores["arm"] == "B").sum())
    assert str(n_b) in km_text  # the unweighted count of the reference arm at time 0
    love = style.drawn_text(figs["adjusted_love"])
    assert {"ecog: 0", "hr_status: positive", "age", "after weighting"} <= set(love)
    # suppression: with k above every bin's count no bar is drawn, and the figure says so
    hidden = plots.plot_overlap(res.scores, ["B", "A"], min_cell_count=1000)
    assert any("not drawn" in t for t in style.drawn_text(hidden))
