"""Best overall response from serial assessments: hand-worked patients, one rule each.

Every patient starts the index line on day 0 (2020-01-01). Unless a case says otherwise the rules
are the schema's defaults: SD counts from 6 weeks (day 42), a confirmation needs a CR/PR at least
28 days later with at most one NE between and no SD between. Each case gives the expected best
response and the day of the deciding assessment without confirmation (``none``) and with it
(``required``), worked out by hand from the rule written beside it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from her2rwe.config import with_defaults
from her2rwe.derive.tumour_response import (
    AssessmentError,
    derive_best_response,
    response_durations,
    same_day_conflicts,
)

DAY0 = pd.Timestamp("2020-01-01")
NA = None

# pid, rule, assessments [(day, response, sum_diameters)], window end day, death day,
# expected {mode: (best, deciding day)}, expected sd_weeks, onset day {mode}, first PD day, best %
# fmt: off
CASES = [
    ("P01", "unconfirmed PR counts without confirmation; with it, PR at day 42 is SD",
     [(42, "PR", None), (84, "PD", None)], None, None,
     {"none": ("PR", 42), "required": ("SD", 42)}, 6.0, {"none": 42, "required": NA}, 84, None),
    ("P02", "confirmed PR: PR then PR 42 days later",
     [(42, "PR", None), (84, "PR", None), (126, "PD", None)], None, None,
     {"none": ("PR", 42), "required": ("PR", 42)}, 12.0, {"none": 42, "required": 42}, 126, None),
    ("P03", "PR-SD-PR: SD between is not allowed by default, so only SD with confirmation",
     [(42, "PR", None), (84, "SD", None), (126, "PR", None)], None, None,
     {"none": ("PR", 42), "required": ("SD", 42)}, 18.0, {"none": 42, "required": NA}, NA, None),
    ("P04", "CR not confirmed (PR follows) but PR confirmed by it",
     [(42, "CR", None), (84, "PR", None)], None, None,
     {"none": ("CR", 42), "required": ("PR", 42)}, 12.0, {"none": 42, "required": 42}, NA, None),
    ("P05", "confirmed CR (CR, CR); onset is the first confirmed response (PR at day 42)",
     [(42, "PR", None), (84, "CR", None), (126, "CR", None)], None, None,
     {"none": ("CR", 84), "required": ("CR", 84)}, 18.0, {"none": 42, "required": 42}, NA, None),
    ("P06", "SD too early (day 28 < 42) counts as NE",
     [(28, "SD", None)], None, None,
     {"none": ("NE", NA), "required": ("NE", NA)}, 4.0, {"none": NA, "required": NA}, NA, None),
    ("P07", "SD too early then PD: PD is the best response",
     [(28, "SD", None), (70, "PD", None)], None, None,
     {"none": ("PD", 70), "required": ("PD", 70)}, 4.0, {"none": NA, "required": NA}, 70, None),
    ("P08", "SD exactly at the minimum (day 42 >= 6 weeks) qualifies",
     [(42, "SD", None)], None, None,
     {"none": ("SD", 42), "required": ("SD", 42)}, 6.0, {"none": NA, "required": NA}, NA, None),
    ("P09", "one NE between a PR and its confirmation is allowed",
     [(42, "PR", None), (70, "NE", None), (98, "PR", None)], None, None,
     {"none": ("PR", 42), "required": ("PR", 42)}, 14.0, {"none": 42, "required": 42}, NA, None),
    ("P10", "two NE between a PR and the next PR: not confirmed (at most one NE)",
     [(42, "PR", None), (63, "NE", None), (84, "NE", None), (105, "PR", None)], None, None,
     {"none": ("PR", 42), "required": ("SD", 42)}, 15.0, {"none": 42, "required": NA}, NA, None),
    ("P11", "PD first: a PR after the first PD is ignored",
     [(35, "PD", None), (77, "PR", None)], None, None,
     {"none": ("PD", 35), "required": ("PD", 35)}, NA, {"none": NA, "required": NA}, 35, None),
    ("P12", "response after the next line starts (day 60) is ignored; SD at day 30 too early",
     [(30, "SD", None), (90, "PR", None)], 60, None,
     {"none": ("NE", NA), "required": ("NE", NA)}, 30 / 7, {"none": NA, "required": NA}, NA, None),
    ("P13", "an assessment on the next line's start day still belongs to the index line",
     [(42, "SD", None), (84, "PD", None)], 84, None,
     {"none": ("SD", 42), "required": ("SD", 42)}, 6.0, {"none": NA, "required": NA}, 84, None),
    ("P14", "no assessments at all: NE",
     [], None, None,
     {"none": ("NE", NA), "required": ("NE", NA)}, NA, {"none": NA, "required": NA}, NA, None),
    ("P15", "death before the first assessment (no assessment): NE, no DoR",
     [], None, 20,
     {"none": ("NE", NA), "required": ("NE", NA)}, NA, {"none": NA, "required": NA}, NA, None),
    ("P16", "only a baseline assessment (empty response): NE, no % change",
     [(-7, "", 50.0)], None, None,
     {"none": ("NE", NA), "required": ("NE", NA)}, NA, {"none": NA, "required": NA}, NA, None),
    ("P17", "assessments before the index date belong to earlier lines and are ignored",
     [(-60, "PR", None), (-30, "CR", None), (50, "SD", None)], None, None,
     {"none": ("SD", 50), "required": ("SD", 50)}, 50 / 7, {"none": NA, "required": NA}, NA, None),
    ("P18", "confirmation 21 days later is too short (< 28): PR unconfirmed, SD",
     [(42, "PR", None), (63, "PR", None)], None, None,
     {"none": ("PR", 42), "required": ("SD", 42)}, 9.0, {"none": 42, "required": NA}, NA, None),
    ("P19", "unconfirmed PR before the SD minimum then PD: PD with confirmation",
     [(35, "PR", None), (70, "PD", None)], None, None,
     {"none": ("PR", 35), "required": ("PD", 70)}, 5.0, {"none": 35, "required": NA}, 70, None),
    ("P20", "only NE assessments: NE",
     [(42, "NE", None), (84, "NE", None)], None, None,
     {"none": ("NE", NA), "required": ("NE", NA)}, NA, {"none": NA, "required": NA}, NA, None),
    ("P21", "CR-PR-CR: CR not confirmed (PR between), PR confirmed from the first CR",
     [(42, "CR", None), (84, "PR", None), (126, "CR", None)], None, None,
     {"none": ("CR", 42), "required": ("PR", 42)}, 18.0, {"none": 42, "required": 42}, NA, None),
    ("P22", "NE then PD: PD",
     [(42, "NE", None), (84, "PD", None)], None, None,
     {"none": ("PD", 84), "required": ("PD", 84)}, NA, {"none": NA, "required": NA}, 84, None),
    ("P23", "best % change from the last baseline with a sum on/before day 0 (day 0: 100 mm)",
     [(-30, "", 80.0), (0, "", 100.0), (42, "SD", 90.0), (84, "PR", 60.0), (126, "PD", 70.0)],
     None, None,
     {"none": ("PR", 84), "required": ("SD", 42)}, 12.0, {"none": 84, "required": NA}, 126, -40.0),
    ("P24", "sums after the first PD are ignored: best change is the PD's +40%",
     [(0, "", 50.0), (42, "PD", 70.0), (84, "PR", 20.0)], None, None,
     {"none": ("PD", 42), "required": ("PD", 42)}, NA, {"none": NA, "required": NA}, 42, 40.0),
    ("P25", "no baseline sum: no % change",
     [(42, "SD", 40.0)], None, None,
     {"none": ("SD", 42), "required": ("SD", 42)}, 6.0, {"none": NA, "required": NA}, NA, None),
    ("P26", "open window (no next line): a late PR counts; unconfirmed it is SD",
     [(42, "SD", None), (400, "PR", None)], None, None,
     {"none": ("PR", 400), "required": ("SD", 42)}, 400 / 7, {"none": 400, "required": NA}, NA,
     None),
    ("P27", "CR confirmed with one NE between",
     [(42, "CR", None), (70, "NE", None), (98, "CR", None)], None, None,
     {"none": ("CR", 42), "required": ("CR", 42)}, 14.0, {"none": 42, "required": 42}, NA, None),
    ("P28", "an empty response after day 0 is no time point: ignored (also for % change)",
     [(0, "", 100.0), (42, "", 50.0), (84, "SD", 90.0)], None, None,
     {"none": ("SD", 84), "required": ("SD", 84)}, 12.0, {"none": NA, "required": NA}, NA, -10.0),
    ("P29", "responder who dies on the line (open window): DoR event at death",
     [(42, "PR", None), (70, "PR", None)], None, 100,
     {"none": ("PR", 42), "required": ("PR", 42)}, 10.0, {"none": 42, "required": 42}, NA, None),
    ("P30", "responder who dies after the next line starts: DoR censored at last assessment",
     [(42, "PR", None), (84, "SD", None)], 90, 120,
     {"none": ("PR", 42), "required": ("SD", 42)}, 12.0, {"none": 42, "required": NA}, NA, None),
]
# fmt: on
IDS = [c[0] for c in CASES]


def frames(cases=CASES):
    rows, index, deaths = [], [], []
    for pid, _rule, visits, end, death, *_ in cases:
        for day, resp, total in visits:
            rows.append((pid, DAY0 + pd.Timedelta(days=day), resp, total))
        index.append((pid, DAY0, pd.NaT if end is None else DAY0 + pd.Timedelta(days=end)))
        deaths.append(pd.NaT if death is None else DAY0 + pd.Timedelta(days=death))
    a = pd.DataFrame(rows, columns=["patient_id", "date", "response", "sum_diameters"])
    i = pd.DataFrame(index, columns=["patient_id", "index_date", "window_end"])
    return a, i, pd.Series(deaths, dtype="datetime64[ns]")


def rules(**over):
    return with_defaults({"response": over}, "study")["response"]


@pytest.fixture(scope="module")
def derived():
    a, i, _ = frames()
    return {
        mode: derive_best_response(a, i, rules(confirmation=mode)).set_index("patient_id")
        for mode in ("none", "required")
    }


def _day(value):
    return None if pd.isna(value) else (value - DAY0).days


def test_at_least_25_hand_worked_patients():
    assert len(CASES) >= 25 and len(set(IDS)) == len(IDS)


@pytest.mark.parametrize("mode", ["none", "required"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_best_response(case, mode, derived):
    pid, rule, _, _, _, expected, sd_weeks, onset, pd_day, pct = case
    row = derived[mode].loc[pid]
    best, day = expected[mode]
    assert (row["best_response"], _day(row["best_response_date"])) == (best, day), rule
    assert isinstance(row["best_response_source"], str) and row["best_response_source"]
    assert _day(row["response_onset_date"]) == onset[mode], rule
    assert _day(row["assessment_progression_date"]) == pd_day, rule
    if sd_weeks is None:
        assert pd.isna(row["sd_weeks"]), rule
    else:
        assert row["sd_weeks"] == pytest.approx(sd_weeks, abs=1e-12), rule
    if pct is None:
        assert pd.isna(row["best_pct_change"]), rule
    else:
        assert row["best_pct_change"] == pytest.approx(pct, abs=1e-9), rule


def test_one_row_per_index_patient_in_index_order(derived):
    assert list(derived["none"].index) == IDS


def test_source_names_the_deciding_assessment(derived):
    src = derived["required"]["best_response_source"]
    assert src["P02"] == "PR at day 42, confirmed as PR by PR at day 84 (at least 28 days later)"
    assert src["P05"] == "CR at day 84, confirmed by CR at day 126 (at least 28 days later)"
    assert "not confirmed" in src["P01"]
    assert src["P14"] == "no tumour assessment after the index date within the window"
    assert "shorter than 6 weeks" in src["P07"]
    assert "only NE" in src["P20"]


def test_sd_accepted_between_confirmations_when_configured():
    # P03 again: PR-SD-PR with one SD allowed between -> confirmed PR
    a, i, _ = frames([c for c in CASES if c[0] == "P03"])
    out = derive_best_response(a, i, rules(confirmation="required", confirmation_accept_sd=True))
    assert out["best_response"].tolist() == ["PR"]


def test_sd_minimum_is_a_setting():
    # P06 (SD at day 28) qualifies once the minimum is 4 weeks
    a, i, _ = frames([c for c in CASES if c[0] == "P06"])
    assert derive_best_response(a, i, rules(sd_min_weeks=4))["best_response"].tolist() == ["SD"]


def test_confirmation_interval_is_a_setting():
    # P18 (PR day 42, PR day 63): 21 days confirm when the minimum is 21
    a, i, _ = frames([c for c in CASES if c[0] == "P18"])
    out = derive_best_response(a, i, rules(confirmation="required", confirmation_min_days=21))
    assert out["best_response"].tolist() == ["PR"]


def test_cutoff_date_ends_the_window():
    # P26 (SD day 42, PR day 400) with a cut-off on day 300: the PR is ignored
    a, i, _ = frames([c for c in CASES if c[0] == "P26"])
    cut = (DAY0 + pd.Timedelta(days=300)).date().isoformat()
    out = derive_best_response(a, i, rules(cutoff_date=cut))
    assert out["best_response"].tolist() == ["SD"]
    assert out["sd_weeks"].tolist() == [6.0]


def test_same_day_conflict_is_an_error_by_default():
    a = pd.DataFrame(
        {
            "patient_id": ["X", "X"],
            "date": [DAY0 + pd.Timedelta(days=42)] * 2,
            "response": ["PR", "PD"],
        }
    )
    i = pd.DataFrame({"patient_id": ["X"], "index_date": [DAY0], "window_end": [pd.NaT]})
    assert same_day_conflicts(a).tolist() == [True, True]
    with pytest.raises(AssessmentError, match="same_day: worst"):
        derive_best_response(a, i, rules())
    # documented outcome: the worst response of the day (PD) is kept, and the source says so
    out = derive_best_response(a, i, rules(same_day="worst"))
    assert out["best_response"].tolist() == ["PD"]
    assert (
        "same-day conflict on day 42 resolved to the worst response"
        in out["best_response_source"].iat[0]
    )


def test_same_response_twice_on_one_day_is_no_conflict():
    a = pd.DataFrame(
        {
            "patient_id": ["X", "X"],
            "date": [DAY0 + pd.Timedelta(days=42)] * 2,
            "response": ["SD", "SD"],
        }
    )
    i = pd.DataFrame({"patient_id": ["X"], "index_date": [DAY0], "window_end": [pd.NaT]})
    out = derive_best_response(a, i, rules())
    assert out["best_response"].tolist() == ["SD"] and out["n_assessments"].tolist() == [1]


def test_unknown_response_code_is_an_error():
    a = pd.DataFrame(
        {"patient_id": ["X"], "date": [DAY0 + pd.Timedelta(days=42)], "response": ["iCR"]}
    )
    i = pd.DataFrame({"patient_id": ["X"], "index_date": [DAY0], "window_end": [pd.NaT]})
    with pytest.raises(AssessmentError, match="response other than"):
        derive_best_response(a, i, rules())


def test_duration_of_response_and_time_to_response():
    a, i, deaths = frames()
    out = derive_best_response(a, i, rules())
    dur = response_durations(out, i, deaths, 30.4375).set_index("patient_id")
    m = 30.4375
    # P01: onset day 42, PD day 84 -> 42 days, event (progression)
    assert dur.loc["P01", "dor_months"] == pytest.approx(42 / m, abs=1e-12)
    assert (dur.loc["P01", "dor_event"], dur.loc["P01", "dor_source"]) == (1, "progression")
    # P05: onset day 42, no PD, last adequate assessment day 126 -> 84 days censored
    assert dur.loc["P05", "dor_months"] == pytest.approx(84 / m, abs=1e-12)
    assert dur.loc["P05", "dor_event"] == 0
    # P29: onset day 42, death day 100 on the line -> 58 days, event (death)
    assert dur.loc["P29", "dor_months"] == pytest.approx(58 / m, abs=1e-12)
    assert (dur.loc["P29", "dor_event"], dur.loc["P29", "dor_source"]) == (1, "death")
    # P30: death day 120 after the next line (day 90): censored at the SD on day 84 -> 42 days
    assert dur.loc["P30", "dor_months"] == pytest.approx(42 / m, abs=1e-12)
    assert dur.loc["P30", "dor_event"] == 0
    # TTR: index to onset; P26 responds at day 400
    assert dur.loc["P26", "ttr_months"] == pytest.approx(400 / m, abs=1e-12)
    # non-responders have no DoR or TTR (P15 died before any assessment)
    for pid in ("P06", "P11", "P15"):
        assert pd.isna(dur.loc[pid, "dor_months"]) and pd.isna(dur.loc[pid, "ttr_months"])
    responders = out["response_onset_date"].notna().sum()
    assert dur["dor_months"].notna().sum() == responders
    assert not math.isnan(float(np.nanmax(dur["dor_months"])))
