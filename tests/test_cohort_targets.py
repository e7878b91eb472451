"""Every published target in config.yaml passes on the bundled synthetic cohorts when the result
tables are built from independent estimates: KM medians from R survival
(tests/fixtures/cohorts_medians.csv), the SPSS CI from R's KM values with the documented
Klein-Moeschberger formula (cohorts_spss.csv), Cox HRs from R (cohorts_cox.csv), and counts and
percentages by hand from the committed files. The tables follow docs/outputs.md, so this also
checks that every target's metric names rows the pipeline writes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from her2rwe.config import has_adverse_events
from her2rwe.derive.preflight import prepare
from her2rwe.outputs import reproduce as rp
from tests.conftest import bundled_study_data

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures"


def _r_survival(study: str, split_of: dict[str, str]) -> pd.DataFrame:
    med = pd.read_csv(FIX / "cohorts_medians.csv", keep_default_na=False)
    med = med[med["study"] == study]
    rows = []
    for r in med.itertuples(index=False):
        split, group = split_of.get(r.group, "arm"), r.group
        if "=" in group:
            split, group = group.split("=")
        rows.append(
            {
                "endpoint": r.endpoint,
                "split": split,
                "group": group,
                "arm": group if split == "arm" else "",
                "n": r.n,
                "events": r.events,
                "median": r.median,
                "median_lower": np.nan,
                "median_upper": np.nan,
            }
        )
    return pd.DataFrame(rows)


def _response(ds: pd.DataFrame, weeks: float = 24) -> pd.DataFrame:
    rows = []
    for arm, g in [*ds.groupby("arm"), ("Overall", ds)]:
        resp = g["best_response"].astype("string")
        orr = int(resp.isin(["CR", "PR"]).sum())
        sd = g["sd_weeks"].to_numpy(dtype=float, na_value=np.nan) if "sd_weeks" in g else np.nan
        cbr = orr + int(((resp == "SD").to_numpy(dtype=bool, na_value=False) & (sd >= weeks)).sum())
        n = len(g)
        rows.append(
            {
                "arm": arm,
                "n": n,
                "orr_n": orr,
                "orr_pct": 100 * orr / n,
                "cbr_n": cbr,
                "cbr_pct": 100 * cbr / n,
            }
        )
    return pd.DataFrame(rows)


def _adverse_events(ds: pd.DataFrame, ae: pd.DataFrame, key: str) -> pd.DataFrame:
    rows = []
    n_arm = ds["arm"].value_counts()
    for (arm, name), g in ae.groupby(["arm", key]):
        any_n = g["patient_id"].nunique()
        g34 = g.loc[g["grade"].isin([3, 4]), "patient_id"].nunique()
        n = int(n_arm[arm])
        rows.append(
            {
                "arm": arm,
                key: name,
                "n": n,
                "any_grade_n": any_n,
                "any_grade_pct": 100 * any_n / n,
                "grade34_n": g34,
                "grade34_pct": 100 * g34 / n,
            }
        )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def config():
    with open(ROOT / "config.yaml", encoding="utf-8") as fh:
        return prepare(yaml.safe_load(fh), workdir=ROOT)


def study_tables(config, name: str) -> dict[str, pd.DataFrame]:
    study = config["studies"][name]
    data = bundled_study_data(study)  # as the workflow builds it (cohort or records)
    ds = data.dataset
    split_of = {
        "T-DXd": "regimen",
        "anti-HER2 antibody": "index_therapy_class",
        "anti-HER2 TKI": "index_therapy_class",
        "progression": "tdxd_discontinuation_reason",
        "adverse event": "tdxd_discontinuation_reason",
    }
    surv = _r_survival(name, split_of)
    if name == "tki_after_tdm1":
        spss = pd.read_csv(FIX / "cohorts_spss.csv").iloc[0]
        at = (surv["endpoint"] == "pfs") & (surv["group"] == "TKI")
        surv.loc[at, ["median_lower", "median_upper"]] = [spss["lower"], spss["upper"]]
    cox = pd.read_csv(FIX / "cohorts_cox.csv")
    cox = cox[cox["study"] == name]
    sub_rows = []
    for r in cox.itertuples(index=False):
        variable, level = {
            "T-DXd vs HP+C": ("regimen", "T-DXd"),
            "prior_tdm1_benefit yes vs no": ("prior_tdm1_benefit", "yes"),
            "trastuzumab_resistance acquired vs primary": ("trastuzumab_resistance", "acquired"),
        }[r.contrast]
        sub_rows.append(
            {
                "endpoint": "pfs",
                "variable": variable,
                "level": level,
                "group": level,
                "hr": r.hr,
                "hr_p": r.p,
            }
        )
    tables = {
        "survival": surv,
        "comparisons": pd.DataFrame(columns=["endpoint", "arm", "reference", "hr", "hr_p"]),
        "subgroup_survival": pd.DataFrame(
            sub_rows, columns=["endpoint", "variable", "level", "group", "hr", "hr_p"]
        ),
        "response": _response(ds),
        "dataset": ds,
    }
    competing_rows = []
    for ep in study.get("competing_endpoints", []):
        for arm, g in ds.groupby("arm"):
            # the crude proportion by hand: status 1 over the arm's patients (the CIF beside it is
            # a note of the reproduction table, not a target)
            crude = 100.0 * (g[f"{ep}_status"] == 1).sum() / len(g)
            competing_rows.append(
                {"endpoint": ep, "arm": arm, "event_type": "event", "time": 12.0,
                 "crude_pct": crude, "cif": float("nan")}  # fmt: skip
            )
    tables["cumulative_incidence"] = pd.DataFrame(
        competing_rows, columns=["endpoint", "arm", "event_type", "time", "crude_pct", "cif"]
    )
    if has_adverse_events(study):
        ae = data.adverse_events
        tables["adverse_events"] = _adverse_events(ds, ae, "term")
        tables["adverse_events_by_category"] = _adverse_events(ds, ae, "category")
    return tables


@pytest.mark.parametrize("name", ["adc_vs_hpc", "tki_after_tdm1", "post_tdxd_ensemble"])
def test_every_published_target_passes(config, name):
    study = config["studies"][name]
    out = rp.check_targets(study["targets"], study_tables(config, name))
    failed = out[out["status"] != "pass"]
    assert failed.empty, failed[["metric", "published", "computed", "note"]].to_string()
    assert len(out) == len(study["targets"]) > 10
