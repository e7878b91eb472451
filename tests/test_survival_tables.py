"""The survival tables of a whole study against R, their contract, edge cases, and the workflow.

R values: tests/r/survival_reference.R, section "a whole study through the tables" (veteran as a
two-arm study with strata, categorical covariate and a subgroup). Relative tolerance 1e-6.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from her2rwe import io
from her2rwe.analyses import survival
from tests.workflow_helpers import run as run_workflow

FIX = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[1]
RTOL = 1e-6


def veteran_study():
    d = pd.read_csv(FIX / "survival_data_veteran.csv")
    data = pd.DataFrame({
        "patient_id": [f"V{i:03d}" for i in range(len(d))],
        "arm": d["group"].astype(object),
        "os_months": d["time"].astype(float),
        "os_event": d["event"].astype("int8"),
        "karno": d["karno"].astype("Int64"),
        "celltype": d["celltype"].astype("string"),
        "prior": d["prior"].astype("string"),
    })  # fmt: skip
    study = {
        "title": "veteran", "arms": {"column": "arm", "reference": "standard"}, "endpoints": ["os"],
        "ci_method": "log-log", "conf_level": 0.95, "landmarks": [30, 90, 180], "ties": "efron",
        "strata": ["prior"], "covariates": ["karno", "celltype"], "categorical": [],
        "reference_levels": {"celltype": "squamous"},
        "subgroups": [{"variable": "celltype", "label": "Cell type", "km": True}],
        "figures": {"risk_table_interval": 90},
    }  # fmt: skip
    return data, study


@pytest.fixture(scope="module")
def veteran():
    data, study = veteran_study()
    return survival.summarize_survival(data, study), study


EXPECTED = pd.read_csv(FIX / "survival_tables_veteran.csv")


def expected(table: str) -> dict[tuple[str, str], float]:
    e = EXPECTED[EXPECTED["table"] == table]
    return {(k, c): v for k, c, v in zip(e["key"], e["column"], e["value"], strict=True)}


def check(got: float, want: float, what: str) -> None:
    if np.isnan(want):
        assert np.isnan(got), what
    else:
        assert got == pytest.approx(want, rel=RTOL), what


def test_survival_table_matches_r(veteran):
    res, _ = veteran
    s = res.survival[res.survival["split"].isin(["arm", "overall"])].set_index("group")
    n = 0
    for (group, col), want in expected("survival").items():
        check(float(s.loc[group, col]), want, f"{group} {col}")
        n += 1
    assert n == 3 * 16
    assert list(s.index) == ["standard", "test", "All"]


def test_landmarks_match_r(veteran):
    res, _ = veteran
    lm = res.landmarks[res.landmarks["split"].isin(["arm", "overall"])]
    for (key, col), want in expected("landmarks").items():
        group, t = key.rsplit(" ", 1)
        row = lm[(lm["group"] == group) & (lm["time"] == float(t))]
        check(float(row[col].iloc[0]), want, f"{key} {col}")


def test_comparison_matches_r_stratified(veteran):
    res, _ = veteran
    c = res.comparisons
    assert list(c["arm"]) == ["test"] and list(c["reference"]) == ["standard"]
    for (_, col), want in expected("comparisons").items():
        check(float(c[col].iloc[0]), want, col)
    assert c["strata"].iloc[0] == "prior" and c["ties"].iloc[0] == "efron"
    assert c["logrank_df"].iloc[0] == 1


def test_cox_models_match_r_with_reference_level(veteran):
    res, _ = veteran
    m = res.cox_models
    for (key, col), want in expected("cox_models").items():
        model, name = key.split(" ")
        for term in ("arm", "karno", "celltype"):
            if name.startswith(term):
                level = name[len(term) :]
                break
        row = m[(m["model"] == model) & (m["term"] == term) & (m["level"].fillna("") == level)]
        assert len(row) == 1, key
        check(float(row[col].iloc[0]), want, f"{key} {col}")
    cell = m[(m["term"] == "celltype")]
    assert set(cell["reference_level"]) == {"squamous"}
    assert set(cell["level"]) == {"adeno", "large", "smallcell"}


def test_subgroups_match_r_with_interaction(veteran):
    res, _ = veteran
    sg = res.subgroup_survival
    assert sg["level"].iloc[0] == "Overall"
    for (lev, col), want in expected("subgroup").items():
        row = sg[(sg["variable"] == "celltype") & (sg["level"] == lev)]
        assert len(row) == 1 and row["contrast"].iloc[0] == "arm"
        check(float(row[col].iloc[0]), want, f"{lev} {col}")


def test_curves_and_risk_table_contract(veteran):
    res, _ = veteran
    cur = res.km_curves
    first = cur.groupby(["endpoint", "split", "group"]).head(1)
    assert (first["time"] == 0).all() and (first["surv"] == 1).all()
    arm = cur[(cur["split"] == "arm") & (cur["group"] == "test")]
    assert arm["n_risk"].iloc[0] == 68 and arm["n_event"].sum() == 64
    rt = res.risk_table[(res.risk_table["split"] == "overall")]
    assert list(rt["time"][:3]) == [0, 90, 180]
    # n at risk at day 90 and events by day 90, counted by hand from the data
    d = pd.read_csv(FIX / "survival_data_veteran.csv")
    assert rt["n_risk"].iloc[1] == (d["time"] >= 90).sum()
    assert rt["cum_events"].iloc[1] == ((d["time"] <= 90) & (d["event"] == 1)).sum()


def test_not_reached_is_empty_in_csv_and_nr_in_markdown(tmp_path):
    data = pd.DataFrame({
        "patient_id": [f"P{i}" for i in range(8)], "arm": ["A"] * 4 + ["B"] * 4,
        "pfs_months": [1.0, 2, 3, 4, 5, 6, 7, 8], "pfs_event": np.array([1, 0, 0, 0, 0, 0, 0, 0], "int8"),
    })  # fmt: skip
    study = {"arms": {"reference": "A"}, "endpoints": ["pfs"], "ci_method": "log-log"}
    res = survival.summarize_survival(data, study)
    io.write_table(res.survival, tmp_path / "s.csv")
    raw = pd.read_csv(tmp_path / "s.csv", keep_default_na=False)
    assert (raw["median"] == "").all()
    md = survival.format_tables(res, study)
    assert "| PFS | A | 4 | 1 | NR (" in md["survival"]
    assert "log-log" in md["survival"]
    # arm B has no events: HR not estimable, with a note, and no huge number
    c = res.comparisons.iloc[0]
    assert np.isnan(c["hr"]) and "no events in arm B" in c["note"]
    assert c["logrank_df"] == 1 and np.isfinite(c["logrank_chisq"])


def test_tables_print_endpoint_labels_and_name_each_rmst_tau():
    # issue 17: a custom endpoint printed as "PFS_NTCENS"; four taus without their endpoints
    data = pd.DataFrame({
        "patient_id": [f"P{i}" for i in range(8)], "arm": ["A"] * 4 + ["B"] * 4,
        "pfs_ntcens_months": [1.0, 2, 3, 4, 5, 6, 7, 8], "pfs_ntcens_event": [1, 1, 0, 1, 1, 0, 1, 0],
        "os_months": [2.0, 3, 5, 6, 7, 9, 10, 12], "os_event": [1, 0, 1, 0, 1, 1, 0, 0],
    })  # fmt: skip
    study = {
        "arms": {"reference": "A"},
        "endpoints": ["pfs_ntcens", "os"],
        "endpoint_definitions": {
            "pfs_ntcens": {
                "label": "PFS without censoring at new therapy",
                "events": [{"date": "progression_date"}],
                "censor": [{"date": "last_contact_date"}],
            }
        },
    }
    res = survival.summarize_survival(data, study)
    md = survival.format_tables(res, study)
    assert "| PFS without censoring at new therapy | A | 4 |" in md["survival"]
    assert "| OS | A | 4 |" in md["survival"]
    assert "PFS_NTCENS" not in "".join(md.values())
    # tau of each endpoint: the smaller of the arms' last follow-up times (A 4 / 6, B 8 / 12)
    assert "up to tau months (PFS without censoring at new therapy 4.0; OS 6.0)" in md["survival"]
    assert "| PFS without censoring at new therapy | B vs A |" in md["comparisons"]


def test_integer_levels_with_a_missing_cell_print_as_integers():
    data = pd.DataFrame({
        "patient_id": [f"P{i}" for i in range(10)], "arm": ["A"] * 5 + ["B"] * 5,
        "pfs_months": [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        "pfs_event": [1, 1, 0, 1, 1, 0, 1, 0, 1, 1],
        "ecog": [0, 1, 0, 1, None, 0, 1, 1, 0, 1],  # float column: 0.0, 1.0, NaN
    })  # fmt: skip
    study = {"arms": {"reference": "A"}, "endpoints": ["pfs"], "covariates": ["ecog"],
             "categorical": ["ecog"]}  # fmt: skip
    res = survival.summarize_survival(data, study)
    ecog = res.cox_models[res.cox_models["term"] == "ecog"]
    assert set(ecog["level"]) == {"1"} and set(ecog["reference_level"]) == {"0"}
    assert "ecog: 1 vs 0" in survival.format_tables(res, study)["cox_models"]


def test_single_arm_study_has_no_comparisons_and_level_contrasts():
    d = pd.read_csv(FIX / "survival_data_veteran.csv")
    data = pd.DataFrame({
        "patient_id": [f"V{i}" for i in range(len(d))], "arm": "TKI",
        "pfs_months": d["time"] / 30.4375, "pfs_event": d["event"].astype("int8"),
        "prior": d["prior"].astype("string"), "karno": d["karno"].astype("Int64"),
    })  # fmt: skip
    study = {"arms": {}, "endpoints": ["pfs"], "ci_method": "spss", "covariates": ["karno"],
             "subgroups": [{"variable": "prior", "km": True}]}  # fmt: skip
    res = survival.summarize_survival(data, study)
    assert res.comparisons.empty and list(res.comparisons.columns) == survival.COMPARISON_COLUMNS
    sg = res.subgroup_survival
    assert list(sg["contrast"].unique()) == ["level"]
    yes = sg[sg["level"] == "yes"].iloc[0]
    assert yes["reference"] == "no" and np.isfinite(yes["hr"])
    assert set(res.cox_models["term"]) == {"karno"}
    s = res.survival[res.survival["split"] == "arm"].iloc[0]
    # spss: symmetric interval around the median
    assert s["median_upper"] - s["median"] == pytest.approx(
        s["median"] - s["median_lower"], rel=1e-9
    )
    assert set(res.survival["split"]) == {"arm", "overall", "prior"}


def test_edge_cases_do_not_crash():
    data = pd.DataFrame({
        "patient_id": ["a", "b", "c", "d", "e"], "arm": ["X", "X", "X", "X", "Y"],
        "os_months": [1.0, 2.0, 2.0, 3.0, 4.0], "os_event": np.array([1, 1, 1, 1, 1], "int8"),
        "grp": pd.array(["u", "u", "v", pd.NA, "v"], dtype="string"),
    })  # fmt: skip
    study = {"arms": {"reference": "X"}, "endpoints": ["os"], "ci_method": "log",
             "covariates": ["grp"], "strata": [],
             "subgroups": [{"variable": "grp", "km": True},
                           {"variable": "grp", "compare": {"groups": {"U": {"grp": "u"}, "V": {"grp": "v"}}}}]}  # fmt: skip
    res = survival.summarize_survival(data, study)
    y = res.survival[res.survival["group"] == "Y"].iloc[0]
    assert y["n"] == 1 and y["median"] == 4.0
    x = res.survival[res.survival["group"] == "X"].iloc[0]
    assert x["median"] == 2.0  # S drops 1 -> 0.75 -> 0.25 -> 0: first time S <= 0.5
    assert len(survival.format_tables(res, study)) == 3
    assert "compare" in set(res.subgroup_survival["contrast"])


def test_workflow_produces_survival_tables(tmp_path):
    """One snakemake run on the bundled example study in a fresh project folder."""

    # the bundled example project folder, copied
    shutil.copytree(REPO / "data" / "raw" / "example", tmp_path, dirs_exist_ok=True)
    targets = [f"results/example/tables/{t}" for t in ("survival.csv", "landmarks.csv",
               "comparisons.csv", "cox_models.csv", "subgroup_survival.csv", "survival.md",
               "comparisons.md", "cox_models.md")] + ["results/example/survival/km_curves.parquet",
               "results/example/survival/risk_table.csv"]  # fmt: skip
    proc = run_workflow(tmp_path, *targets, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    tables = tmp_path / "results" / "example" / "tables"
    for name in ("survival.csv", "landmarks.csv", "comparisons.csv", "cox_models.csv",
                 "subgroup_survival.csv", "survival.md", "comparisons.md", "cox_models.md"):  # fmt: skip
        assert (tables / name).stat().st_size > 0, name
    s = pd.read_csv(tables / "survival.csv")
    assert {"endpoint", "split", "group", "arm", "n", "events", "median", "median_lower",
            "median_upper"} <= set(s.columns)  # fmt: skip
    assert set(s["endpoint"]) == {"pfs", "os", "ttf", "ttnt", "dot"}
    c = pd.read_csv(tables / "comparisons.csv")
    assert list(c["reference"].unique()) == ["HP+C"] and len(c) == 5
    assert (tmp_path / "results" / "example" / "survival" / "km_curves.parquet").exists()
    assert "log-log" in (tables / "survival.md").read_text()
