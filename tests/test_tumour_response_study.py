"""A v1 study with an assessment file: validation (file:line:column), derived best response in the
analysis dataset, duration of response against R survival, the waterfall and swimmer figures, and
the bundled synthetic assessments (which must give back the seed response targets)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from her2rwe.analyses.response import ResponseOptions, summarize_response
from her2rwe.analyses.response_duration import summarize_response_duration
from her2rwe.config import validate_config
from her2rwe.derive.dataset import build_study_data
from her2rwe.outputs.plotting import style
from her2rwe.outputs.plotting.swimmer import plot_swimmer, select_patients
from her2rwe.outputs.plotting.waterfall import plot_waterfall
from her2rwe.outputs.response_duration import (
    format_response_duration,
    response_duration_sentences,
)
from her2rwe.records.ingest import InputError
from her2rwe.synthetic.assessments import BUNDLED, bundled_assessments
from tests.conftest import bundled_study_data

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
STUDY = {"arms": {"column": "arm"}, "endpoints": ["pfs", "os"]}

COHORT = """patient_id,arm,index_date,progression_date,death_date,last_assessment_date,last_contact_date,next_treatment_date,best_response,sd_weeks
P1,A,2020-01-01,2020-04-01,,2020-04-01,2020-09-01,2020-05-01,PD,
P2,A,2020-01-01,,,2020-06-01,2020-09-01,,NE,
P3,B,2020-01-01,,2020-08-01,2020-03-01,2020-08-01,,SD,30
"""
GOOD = """patient_id,date,response,sum_diameters
P1,2019-12-20,,50
P1,2020-02-12,PR,30
P1,2020-04-01,PD,45
P2,2020-02-12,SD,
P3,2020-03-01,NE,
"""


def build(tmp_path, assessments, cohort=COHORT, **response):
    (tmp_path / "cohort.csv").write_text(cohort)
    (tmp_path / "assessments.csv").write_text(assessments)
    study = {**STUDY, "assessments": "assessments.csv", "response": response}
    return build_study_data(
        study,
        tmp_path / "cohort.csv",
        assessments_path=tmp_path / "assessments.csv",
        display={"cohort": "cohort.csv", "assessments": "assessments.csv"},
    )


def errors(tmp_path, assessments, **kw):
    with pytest.raises(InputError) as exc:
        build(tmp_path, assessments, **kw)
    return [str(p) for p in exc.value.problems]


def test_derived_best_response_replaces_the_typed_one(tmp_path):
    data = build(tmp_path, GOOD)
    d = data.dataset.set_index("patient_id")
    # P1: PR at day 42 then PD (typed PD); P2: SD at day 42 (typed NE); P3: only NE (typed SD)
    assert d["best_response"].tolist() == ["PR", "SD", "NE"]
    assert d.loc["P1", "sd_weeks"] == pytest.approx(6.0)
    assert pd.isna(d.loc["P3", "sd_weeks"])
    assert d.loc["P1", "best_response_source"].startswith("first PR at day 42")
    assert any("replacing the cohort's best_response and sd_weeks" in n for n in data.notes)
    t = data.tumour_response
    assert "patient_id" not in t.columns and len(t) == 3
    # P1: baseline 50 -> 30 (-40%); DoR day 42 -> PD day 91 = 49 days, event
    assert t["best_pct_change"].iat[0] == pytest.approx(-40.0)
    assert t["dor_months"].iat[0] == pytest.approx(49 / 30.4375)
    assert t["dor_event"].iat[0] == 1
    # P1's line ends at the next line (day 121); P2 is ongoing to last contact (day 244)
    assert t["line_months"].iat[0] == pytest.approx(121 / 30.4375)
    assert t["line_ongoing"].tolist() == [False, True, False]  # P3 died on the line


def test_a_cohort_without_assessments_keeps_its_typed_response(tmp_path):
    (tmp_path / "cohort.csv").write_text(COHORT)
    data = build_study_data(STUDY, tmp_path / "cohort.csv")
    assert data.dataset["best_response"].tolist() == ["PD", "NE", "SD"]
    assert data.tumour_response.empty


def test_response_outside_the_codes(tmp_path):
    bad = GOOD.replace("P1,2020-02-12,PR,30", "P1,2020-02-12,iPR,30")
    assert errors(tmp_path, bad) == [
        "assessments.csv:3: column 'response': expected CR, PR, SD, PD, NE, or empty on a "
        "baseline assessment (found text (3 characters))"
    ]


def test_sum_of_diameters_without_baseline(tmp_path):
    bad = GOOD.replace("P2,2020-02-12,SD,", "P2,2020-02-12,SD,40")
    assert errors(tmp_path, bad) == [
        "assessments.csv:5: column 'sum_diameters': sum of diameters after the index date without "
        "a baseline one (no assessment of this patient on or before the index date has "
        "sum_diameters) (found a whole number)"
    ]


def test_same_day_conflict_is_an_error_with_both_lines(tmp_path):
    bad = GOOD + "P2,2020-02-12,PD,\n"
    found = errors(tmp_path, bad)
    assert len(found) == 2
    assert found[0].startswith("assessments.csv:5: column 'response': another assessment of this "
                               "patient on the same day has a different response (first on line 5)")  # fmt: skip
    assert found[1].startswith("assessments.csv:7: column 'response'")
    # the documented alternative: the worst response of the day wins
    data = build(tmp_path, bad, same_day="worst")
    assert data.dataset["best_response"].tolist()[1] == "PD"


def test_bad_dates_unknown_patients_and_ids_never_shown(tmp_path):
    bad = GOOD + "X9,2020-13-01,SD,\n"
    found = errors(tmp_path, bad)
    assert found == ["assessments.csv:7: column 'date': expected an ISO date YYYY-MM-DD (found a date-like value that is not a valid ISO date)"]  # fmt: skip
    found = errors(tmp_path, GOOD + "X9,2020-03-01,SD,\n")
    assert found == ["assessments.csv:7: column 'patient_id': patient is not in the cohort file"]
    assert not any("X9" in f for f in found)


def test_assessments_need_an_index_date(tmp_path):
    cohort = "patient_id,arm,pfs_months,pfs_event,os_months,os_event\nP1,A,3,1,5,0\n"
    found = errors(tmp_path, GOOD.split("P2")[0], cohort=cohort)
    assert found == [
        "cohort.csv:1: column 'index_date': required column is missing: an assessment file needs "
        "each patient's index date"
    ]


# ---- duration of response against R survival (tests/r/response_reference.R) ---------------------

R = pd.read_csv(FIXTURES / "response_dor_r.csv", keep_default_na=False)
DOR = pd.read_csv(FIXTURES / "response_dor.csv", comment="#")


@pytest.mark.parametrize("method", ["log-log", "log", "plain"])
def test_duration_of_response_matches_r(method):
    arms = sorted(DOR["arm"].unique())
    # the table reads every patient; non-responders (no DoR) count in n only
    patients = pd.concat([DOR, pd.DataFrame({"arm": ["hand"], "dor_months": [np.nan]})])
    got = summarize_response_duration(patients, arms, {**STUDY, "ci_method": method})
    got = got.set_index("arm")
    assert got.loc["hand", "n"] == 8 and got.loc["hand", "responders"] == 7
    for rec in R[R["ci_method"] == method].to_dict("records"):
        row = got.loc[rec["arm"]]
        assert (row["responders"], row["dor_events"]) == (rec["responders"], rec["dor_events"])
        for col in ("dor_median", "dor_median_lower", "dor_median_upper", "dor_q25", "dor_q75",
                    "ttr_median", "ttr_q25", "ttr_q75", "ttr_min", "ttr_max"):  # fmt: skip
            if rec[col] == "":
                assert np.isnan(row[col]), (rec["arm"], col)
            else:
                assert row[col] == pytest.approx(float(rec[col]), rel=1e-9, abs=1e-9), col


def test_duration_table_text():
    table = summarize_response_duration(DOR, ["hand"], {**STUDY, "ci_method": "log-log"})
    md = format_response_duration(table, {**STUDY, "synthetic": True})
    assert "| hand | 7 | 7 | 5 | 8.0 (2.0-NR) | 2.0 (1.3-2.9) | 0.9-4.1 |" in md
    assert "Synthetic data" in md
    sentences = response_duration_sentences(table, STUDY)
    assert sentences[0] == (
        "Among responders, the median duration of response was 8.0 months (95% CI 2.0-NR) with "
        "hand (7 responders)."
    )


# ---- figures ------------------------------------------------------------------------------------


def patients_frame():
    rng = np.random.default_rng(1)
    n = 30
    return pd.DataFrame(
        {
            "arm": ["A"] * 26 + ["B"] * 4,
            "best_response": rng.choice(["CR", "PR", "SD", "PD", "NE"], n),
            "best_pct_change": np.where(rng.random(n) < 0.2, np.nan, rng.uniform(-100, 60, n)),
            "ttr_months": np.where(rng.random(n) < 0.5, rng.uniform(1, 3, n), np.nan),
            "line_months": rng.uniform(2, 20, n),
            "line_ongoing": rng.random(n) < 0.3,
            "progression_months": np.where(rng.random(n) < 0.5, rng.uniform(2, 20, n), np.nan),
            "death_months": np.where(rng.random(n) < 0.2, rng.uniform(5, 30, n), np.nan),
        }
    )


def test_waterfall_draws_recist_lines_and_masks_small_arms():
    p = patients_frame()
    colors = style.arm_colors(["A", "B"])
    text = style.drawn_text(plot_waterfall(p, ["A", "B"], colors))
    assert "+20%" in text and "\u221230%" in text
    n_b = int(p.loc[p["arm"] == "B", "best_pct_change"].notna().sum())
    assert f"B (n = {n_b} of 4)" in text
    masked = style.drawn_text(plot_waterfall(p, ["A", "B"], colors, min_cell_count=5))
    assert "B (n = <5 of <5)" in masked and "too few patients to show" in masked


def test_swimmer_caps_patients_and_leaves_small_arms_out():
    p = patients_frame()
    chosen = select_patients(p, ["A", "B"], 10)
    # 10 of 30 shared by size: A 26/30*10 = 8.67 -> 9, B 1.33 -> 1 (largest remainder)
    assert chosen["arm"].value_counts().to_dict() == {"A": 9, "B": 1}
    top_a = p[p["arm"] == "A"]["line_months"].nlargest(9).to_numpy()
    assert np.array_equal(chosen.loc[chosen["arm"] == "A", "line_months"].to_numpy(), top_a)
    colors = style.arm_colors(["A", "B"])
    text = style.drawn_text(plot_swimmer(p, ["A", "B"], colors, max_patients=10))
    assert next(t for t in text if "patients shown" in t).startswith("10 of 30 patients shown")
    text = style.drawn_text(plot_swimmer(p, ["A", "B"], colors, max_patients=10, min_cell_count=3))
    note = next(t for t in text if "patients shown" in t)
    assert note.startswith("9 of 30 patients shown")
    assert "Arms with fewer than 3 patients drawn are not shown." in note
    assert "B" not in text  # no legend entry for the arm left out


# ---- the bundled synthetic assessments ----------------------------------------------------------

CONFIG = yaml.safe_load((REPO / "config.yaml").read_text())


@pytest.mark.parametrize("study", sorted(BUNDLED))
def test_bundled_assessments_are_reproducible_and_configured(study):
    cohort = (REPO / "data" / "raw" / study / "cohort.csv").read_text()
    committed = (REPO / "data" / "raw" / study / "assessments.csv").read_text()
    assert bundled_assessments(study, cohort) == committed
    assert committed.startswith("# SYNTHETIC DATA")
    block = CONFIG["studies"][study]
    spec = BUNDLED[study]
    assert block["response"]["cbr_min_weeks"] == spec["cbr_min_weeks"]
    if "records" in block:
        # a records study reads the history built from these assessments (synthetic/history.py),
        # with the next line moved past the index line's last assessment: the default window holds
        assert block["records"]["assessments"] == f"data/raw/{study}/records/assessments.csv"
        assert "stop_at_next_line" not in block["response"]
    else:
        assert block["assessments"] == f"data/raw/{study}/assessments.csv"
        assert block["response"]["stop_at_next_line"] == spec["stop_at_next_line"]


# the seed targets (ORR and CBR counts per arm), from config.yaml
SEED_COUNTS = {
    "adc_vs_hpc": {"ADC": (43, 58), "HP+C": (18, 44)},  # 51.8%/69.9% of 83, 26.9%/65.7% of 67
    "tki_after_tdm1": {"TKI": (12, 44)},  # 18.2% and 66.7% of 66
}


@pytest.mark.parametrize("study", sorted(SEED_COUNTS))
def test_seed_response_targets_from_the_assessments(study):
    block = validate_config(CONFIG)["studies"][study]
    data = bundled_study_data(block)
    arms = sorted(SEED_COUNTS[study])
    table = summarize_response(data.dataset, arms, ResponseOptions.from_study(block))
    table = table.set_index("arm")
    for arm, (orr, cbr) in SEED_COUNTS[study].items():
        assert (table.loc[arm, "orr_n"], table.loc[arm, "cbr_n"]) == (orr, cbr)


def test_undeclared_assessment_columns_are_dropped_unread(tmp_path):
    # data minimisation (DESIGN.md, Privacy): a column the contract does not declare, here one
    # that holds names, is dropped before any check, and the job log names the column, not values
    text = GOOD.replace("sum_diameters\n", "sum_diameters,radiologist\n", 1)
    rows = text.splitlines()
    text = "\n".join([rows[0]] + [f"{r},Doe Jane" for r in rows[1:]]) + "\n"
    data = build(tmp_path, text)
    assert data.dataset["best_response"].tolist() == ["PR", "SD", "NE"]
    note = [n for n in data.notes if "data minimisation" in n]
    assert len(note) == 1 and note[0].endswith(": radiologist")
    assert not any("Doe" in n for n in data.notes)
