"""Trial context in a study: reading digitised inputs, the config block, and the tables.

The bundled example arm (data/raw/adc_vs_hpc/trial_context_example) is R survival's lung data, women,
read as a digitiser would by tests/r/trial_context_reference.R; the real-world side here is the
same data set's men (tests/fixtures/trial_context_data_lung.csv). Expected values are R's for the
original data (tests/fixtures/trial_context_*.csv), held to the round-trip tolerances of
docs/trial_context.md, or written out by hand.
"""

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from her2rwe.analyses import trial_context as tc
from her2rwe.analyses.survival import Settings
from her2rwe.config import ConfigError, study_settings, validate_config
from her2rwe.derive.preflight import prepare
from her2rwe.records.digitised import read_at_risk, read_curve
from her2rwe.records.rawtext import InputError
from her2rwe.stats import ipd

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
EXAMPLE = "data/raw/adc_vs_hpc/trial_context_example"
ITEM = {
    "name": "lung_women",
    "label": "Women (public example)",
    "endpoint": "os",
    "curve": f"{EXAMPLE}/curve.csv",
    "at_risk": f"{EXAMPLE}/at_risk.csv",
    "total_events": 53,
    "source": "R survival lung data set",
    "cox": True,
}
STUDY = study_settings(
    {
        "cohort": "data/raw/example/cohort.csv",
        "arms": {"column": "arm"},
        "endpoints": ["os"],
        "trial_context": [ITEM],
        "parametric": {"distributions": ["weibull", "lognormal"], "horizon": 36},
    }
)
ARM_R = pd.read_csv(FIXTURES / "trial_context_arms.csv").set_index(["dataset", "arm"])
STEPS = pd.read_csv(FIXTURES / "trial_context_km_steps.csv")


@pytest.fixture(scope="module")
def arm():
    return tc.reconstruct_arm(STUDY["trial_context"][0], Settings.from_study(STUDY), REPO)


@pytest.fixture(scope="module")
def men():
    d = pd.read_csv(FIXTURES / "trial_context_data_lung.csv")
    d = d[d["arm"] == "male"]
    return pd.DataFrame({"arm": "men", "os_months": d["time"], "os_event": d["event"]})


def test_example_reconstruction_reproduces_its_inputs(arm):
    report = tc.fit_report(arm).set_index(["quantity", "time"], drop=False)
    assert (arm.rec.n, arm.rec.events) == (90, 53)  # R: 90 women, 53 deaths
    risk = report.loc["n_risk"]
    np.testing.assert_array_equal(risk["input"], [90, 70, 30, 15, 6, 1])  # R summary(survfit)
    assert (risk["difference"] == 0).all()
    assert report.loc[("max_abs_diff_surv", np.nan), "reconstructed"].item() <= 0.02
    assert list(tc.ipd_table(arm).columns) == ["time", "event"]


def test_comparison_table_sets_real_world_rows_beside_the_trial(arm):
    shown = pd.DataFrame(  # a shareable survival table, one count masked
        {
            "endpoint": ["os", "os"],
            "split": ["arm", "overall"],
            "group": ["men", "All"],
            "n": ["<11", "138"],
            "events": [112, 112],
            "median": [8.87, 8.87],
            "median_lower": [7.2, 7.2],
            "median_upper": [10.2, 10.2],
        }  # fmt: skip
    )
    marks = pd.DataFrame(
        {
            "endpoint": "os",
            "split": "arm",
            "group": "men",
            "time": [6.0, 12.0, 24.0],
            "surv": [0.7, 0.4, 0.1],
            "surv_lower": [0.6, 0.3, 0.05],
            "surv_upper": [0.8, 0.5, 0.2],
        }  # fmt: skip
    )
    table = tc.comparison_table(shown, marks, [arm], STUDY)
    assert list(table["source"]) == ["real-world", "reconstructed"]
    rw, trial = table.iloc[0], table.iloc[1]
    assert (rw["n"], rw["surv_12"], rw["surv_24_upper"]) == ("<11", 0.4, 0.2)  # copied as shown
    assert trial["arm"] == "Women (public example)"
    # the reconstructed median and 6-month survival against R on the original data, one step apart
    women = STEPS[(STEPS["dataset"] == "lung") & (STEPS["arm"] == "female")]
    assert abs(trial["median"] - ARM_R.loc[("lung", "female"), "median"]) <= 0.5
    orig = ipd.step_value(women["time"], women["surv"], [5.5, 6.5])
    assert orig[1] - 0.02 <= trial["surv_6"] <= orig[0] + 0.02
    text = tc.format_comparison(table, [arm], STUDY)
    assert "Women (public example)" in text and "R survival lung data set" in text


def test_cox_vs_reconstructed_arm_matches_r_on_the_original_data(arm, men):
    shown = pd.DataFrame(
        {"endpoint": ["os"], "split": ["arm"], "group": ["men"], "n": [138], "events": [112]}
    )
    table = tc.cox_table(men, [arm], STUDY, shown)
    assert len(table) == 1
    r_log_hr = (
        pd.read_csv(FIXTURES / "trial_context_cox.csv").set_index("dataset").loc["lung", "log_hr"]
    )
    # R: coxph(women vs men) on the original data; here men vs the reconstructed women
    assert abs(np.log(table["hr"].iloc[0]) + r_log_hr) <= 0.05
    assert (table["trial_n"].iloc[0], table["trial_events"].iloc[0]) == (90, 53)
    assert tc.CAVEAT in tc.format_cox(table, [arm], STUDY)


def test_cox_table_is_empty_without_cox_arms(arm, men):
    quiet = copy.copy(arm)
    quiet.cox = False
    table = tc.cox_table(
        men, [quiet], STUDY, pd.DataFrame(columns=["endpoint", "split", "group", "n", "events"])
    )
    assert table.empty and list(table.columns) == tc.COX_COLUMNS
    assert "No arm has `cox: true`" in tc.format_cox(table, [quiet], STUDY)


def test_parametric_rows_of_a_real_world_arm_match_survreg(arm, men):
    table = tc.parametric_table(men, [arm], STUDY)
    assert list(table["distribution"]) == ["weibull", "lognormal"] * 2
    assert list(table["source"]) == ["real-world"] * 2 + ["reconstructed"] * 2
    ref = pd.read_csv(FIXTURES / "trial_context_survreg.csv")
    ref = ref[(ref["dataset"] == "lung") & (ref["arm"] == "male")].set_index("dist")
    for row in table[table["source"] == "real-world"].itertuples():
        assert row.mu == pytest.approx(ref.loc[row.distribution, "mu"], rel=1e-6)
        assert row.loglik == pytest.approx(ref.loc[row.distribution, "loglik"], rel=1e-9)
        assert row.rmst == pytest.approx(ref.loc[row.distribution, "rmst"], rel=1e-6)  # horizon 36
    assert table.groupby("arm")["delta_aic"].min().eq(0).all()


def test_parametric_table_leaves_out_time_zero_with_a_note(arm, men):
    data = pd.concat([men, pd.DataFrame({"arm": ["men"], "os_months": [0.0], "os_event": [0]})])
    table = tc.parametric_table(data, [arm], STUDY)
    assert table["note"].iloc[0] == "1 patient(s) with time 0 left out"


def test_curves_table_starts_each_arm_at_one(arm):
    curves = tc.curves_table([arm])
    assert (curves["time"].iloc[0], curves["surv"].iloc[0]) == (0.0, 1.0)
    assert set(curves["group"]) == {"Women (public example)"}


def _write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "the file is empty"),
        ("# only a comment\n", "the file is empty"),
        ("time,surv\n", "a header and no rows"),
        ("t,s\n0,1\n", "missing time, surv"),
        ("time,surv\n0,1\n2,abc\n", "csv:3: column 'surv': expected a number"),
        ("time;surv\n0;1\n", "delimited by semicolons"),
    ],
)
def test_bad_curve_files_are_refused(tmp_path, text, message):
    with pytest.raises(InputError, match=message):
        read_curve(_write(tmp_path / "curve.csv", text))


def test_percent_curve_with_comments_is_read(tmp_path):
    t, s = read_curve(_write(tmp_path / "c.csv", "# from Figure 2A\nTime,Surv\n0,100\n1.5,92.5\n"))
    np.testing.assert_array_equal(t, [0, 1.5])
    assert ipd.clean_curve(t, s).scale == "percent"
    t, n = read_at_risk(_write(tmp_path / "r.csv", "time,n_risk\n0,100\n6,80\n"))
    np.testing.assert_array_equal(n, [100, 80])


@pytest.mark.parametrize(
    "curve,risk,message",
    [
        ("0,1\n1,0.8\n2,0.85\n3,0.7\n", "0,10\n2,8\n", "rises from 0.8 to 0.85 at time 2"),
        ("0,1\n1,0.8\n2,0.7\n", "0,10\n3,8\n", "time 3 is outside the digitised curve"),
        ("0,1\n1,0.8\n2,0.7\n", "0,10\n1,12\n", "increases from 10 to 12 at time 1"),
    ],
)
def test_bad_inputs_get_a_clear_error(tmp_path, curve, risk, message):
    item = dict(STUDY["trial_context"][0])
    item["curve"] = _write(tmp_path / "curve.csv", "time,surv\n" + curve)
    item["at_risk"] = _write(tmp_path / "risk.csv", "time,n_risk\n" + risk)
    item["total_events"] = None
    with pytest.raises(ipd.DigitisedInputError, match=message):
        tc.reconstruct_arm(item, Settings.from_study(STUDY))


CONFIG = {"studies": {"s": {"cohort": "data/raw/example/cohort.csv", "arms": {"column": "arm"},
                            "endpoints": ["pfs", "os"], "trial_context": [dict(ITEM)]}}}  # fmt: skip


def _errors(cfg, **kwargs):
    with pytest.raises(ConfigError) as info:
        (prepare if kwargs else validate_config)(cfg, **kwargs)
    return str(info.value)


def test_config_block_gets_its_defaults_and_passes_the_data_checks():
    cfg = prepare(copy.deepcopy(CONFIG), workdir=REPO)
    item = cfg["studies"]["s"]["trial_context"][0]
    assert (item["scale"], item.get("n"), item["cox"]) == ("auto", None, True)
    assert cfg["studies"]["s"]["parametric"]["horizon"] == 60


@pytest.mark.parametrize(
    "change,message",
    [
        ({"name": "../../etc/x"}, "trial_context.0.name"),
        ({"name": "a b"}, "trial_context.0.name"),
        (
            {"endpoint": "ttf"},
            "trial_context[0].endpoint: 'ttf' is not one of the study's endpoints",
        ),
        ({"at_risk": None}, "give the published at-risk table (at_risk) or"),
        ({"scale": "per cent"}, "trial_context.0.scale"),
    ],
)
def test_config_mistakes_are_named(change, message):
    cfg = copy.deepcopy(CONFIG)
    cfg["studies"]["s"]["trial_context"][0].update(change)
    assert message in _errors(cfg)


def test_duplicate_names_and_missing_files_are_named():
    cfg = copy.deepcopy(CONFIG)
    cfg["studies"]["s"]["trial_context"].append(dict(ITEM))
    assert "trial_context[1].name: 'lung_women' is used by another trial arm" in _errors(cfg)
    cfg = copy.deepcopy(CONFIG)
    cfg["studies"]["s"]["trial_context"][0]["curve"] = "data/trial_context/nowhere.csv"
    assert "trial_context[0].curve: file not found" in _errors(cfg, workdir=REPO)


def test_check_name_refuses_path_characters():
    with pytest.raises(ValueError, match="letters, digits and underscores"):
        tc.check_name("../x")


def test_bundled_config_example_is_labelled_as_public_data():
    cfg = yaml.safe_load((REPO / "config.yaml").read_text())
    for study in cfg["studies"].values():
        for item in study.get("trial_context", []):
            assert "not a trial" in (item.get("label", "") + item.get("source", "")).lower()


def test_km_figure_overlays_the_reconstructed_arm_in_grey():
    from her2rwe.outputs.plotting import figures, style

    fix = REPO / "tests" / "fixtures" / "figures"
    cfg = validate_config(yaml.safe_load((fix / "config.yaml").read_text()))["studies"]["two_arm"]
    tables = figures.read_tables({k: fix / "two_arm" / p for k, p in figures.TABLES.items()})
    # a hand-made curve: 1 until 2 months, 0.6 until 5, then 0.3
    tables[figures.TRIAL_CONTEXT_CURVES] = pd.DataFrame(
        {"endpoint": "os", "group": "Trial X", "time": [0.0, 2.0, 5.0], "surv": [1.0, 0.6, 0.3]}
    )
    [(_, fig)] = list(figures.draw_study_figures(tables, cfg, ["km_os"]))
    main = [ax for ax in fig.axes if ax.get_xlabel()][0]
    [line] = [ln for ln in main.lines if ln.get_gid() == "reconstructed:Trial X"]
    assert line.get_color() == style.RECONSTRUCTED and line.get_linestyle() == "--"
    np.testing.assert_array_equal(line.get_xdata(), [0.0, 2.0, 5.0])
    texts = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text") and a.get_text())]
    assert "Trial X (reconstructed)" in texts
    assert main.get_ylabel() == "Overall survival\n(probability)"
    # the PFS figure of the same study has no overlay: the trial arm belongs to OS
    [(_, pfs)] = list(figures.draw_study_figures(tables, cfg, ["km_pfs"]))
    assert not [
        ln for ax in pfs.axes for ln in ax.lines if str(ln.get_gid()).startswith("reconstructed")
    ]
