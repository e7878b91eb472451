"""Reconstruction of patient data from digitised Kaplan-Meier curves (Guyot et al. 2012).

Round trip on real data: tests/r/trial_context_reference.R reads R survival's colon (death, by
treatment), lung (by sex) and gbsg (recurrence-free survival, by hormonal therapy), writes a
digitiser-like curve per arm (one point per half month, survival to 3 decimals) with its numbers
at risk every 6 or 12 months, and R's own KM steps, medians and Cox log hazard ratios of the
original data. The tests reconstruct from the digitised input and hold the result to the issue's
thresholds against R's numbers for the original data.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from her2rwe.stats import cox, ipd, km

FIXTURES = Path(__file__).parent / "fixtures"
STEP = 0.5  # digitising step of the fixtures, months
DIGITISED = pd.read_csv(FIXTURES / "trial_context_digitised.csv")
AT_RISK = pd.read_csv(FIXTURES / "trial_context_at_risk.csv")
ARMS = pd.read_csv(FIXTURES / "trial_context_arms.csv")
KM_STEPS = pd.read_csv(FIXTURES / "trial_context_km_steps.csv")
COX = pd.read_csv(FIXTURES / "trial_context_cox.csv")
ARM_KEYS = [tuple(x) for x in ARMS[["dataset", "arm"]].itertuples(index=False)]
MODES = ["at_risk", "at_risk_and_events"]


def _rows(frame, dataset, arm):
    return frame[(frame["dataset"] == dataset) & (frame["arm"] == arm)]


def _reconstruct(dataset, arm, mode):
    curve = _rows(DIGITISED, dataset, arm)
    risk = _rows(AT_RISK, dataset, arm)
    events = int(_rows(ARMS, dataset, arm)["events"].iloc[0])
    return ipd.reconstruct(
        curve["time"],
        curve["surv"],
        risk_time=risk["time"],
        n_risk=risk["n_risk"],
        total_events=events if mode == "at_risk_and_events" else None,
    )


def _median(time, event) -> float:
    return float(km.km_quantiles(km.kaplan_meier(time, event), (0.5,))[0, 0])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dataset,arm", ARM_KEYS)
def test_round_trip_median_within_one_digitising_step(dataset, arm, mode):
    rec = _reconstruct(dataset, arm, mode)
    published = float(_rows(ARMS, dataset, arm)["median"].iloc[0])  # R quantile(survfit)
    median = _median(rec.time, rec.event)
    if np.isnan(published):
        assert np.isnan(median)
        return
    steps = _rows(KM_STEPS, dataset, arm)
    original_there = ipd.step_value(steps["time"], steps["surv"], [median])[0]
    assert abs(median - published) <= STEP or abs(original_there - 0.5) <= 0.005


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dataset,arm", ARM_KEYS)
def test_round_trip_km_within_002_allowing_one_step(dataset, arm, mode):
    rec = _reconstruct(dataset, arm, mode)
    fit = km.kaplan_meier(rec.time, rec.event)
    steps = _rows(KM_STEPS, dataset, arm)  # R survfit on the original data
    end = float(steps["time"].max())
    assert ipd.band_distance(steps["time"], steps["surv"], fit.time, fit.surv, STEP, end) <= 0.02
    assert rec.n == int(_rows(ARMS, dataset, arm)["n"].iloc[0])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "row", list(COX.itertuples(index=False)), ids=lambda r: f"{r.dataset}-{r.arm}"
)
def test_round_trip_cox_log_hr_within_005(row, mode):
    arm = _reconstruct(row.dataset, row.arm, mode)
    ref = _reconstruct(row.dataset, row.reference, mode)
    x = np.r_[np.ones(arm.n), np.zeros(ref.n)]
    fit = cox.cox_ph(x, np.r_[arm.time, ref.time], np.r_[arm.event, ref.event])
    assert abs(fit.coef[0] - row.log_hr) <= 0.05  # row.log_hr: R coxph on the original data


@pytest.mark.parametrize("dataset,arm", ARM_KEYS)
def test_round_trip_reproduces_published_numbers_at_risk(dataset, arm):
    rec = _reconstruct(dataset, arm, "at_risk")
    assert rec.converged, rec.notes
    np.testing.assert_array_equal(rec.n_risk_reconstructed, rec.n_risk_published)


def test_total_events_are_matched_without_an_at_risk_table():
    for dataset, arm in ARM_KEYS:
        curve = _rows(DIGITISED, dataset, arm)
        info = _rows(ARMS, dataset, arm).iloc[0]
        rec = ipd.reconstruct(
            curve["time"], curve["surv"], n=int(info["n"]), total_events=int(info["events"])
        )
        assert (rec.n, rec.events) == (int(info["n"]), int(info["events"]))


def test_guyot_steps_by_hand():
    # 10 patients; digitised (0, 1), (1, 0.9), (2, 0.7), (3, 0.7); at risk 10 at 0 and 7 at 2.
    # Interval [0, 2): first guess round(10 * 0.7 / 1 - 7) = 0 censored gives 1 event at t=1
    # (round(10 * 0.1)) and 9 at risk at 2, so 9 - 7 = 2 censored, spread at 2/3 and 4/3: then
    # 1 event at t=1 (round(9 * 0.1) = 1, KM 8/9) and 7 at risk at 2, as published.
    # Last interval [2, 3]: 2 censored over 2 months carried on for 1 month = 1 censored, at 2.5;
    # t=2: round(7 * (1 - 0.7 / (8/9))) = round(1.4875) = 1 event; t=3: round(5 * (1 - 0.7 /
    # (8/9 * 6/7))) = round(0.406) = 0; the 5 still at risk are censored at 3.
    rec = ipd.reconstruct([0, 1, 2, 3], [1, 0.9, 0.7, 0.7], risk_time=[0, 2], n_risk=[10, 7])
    np.testing.assert_allclose(
        rec.time, [2 / 3, 1, 4 / 3, 2, 2.5, 3, 3, 3, 3, 3], rtol=0, atol=1e-12
    )
    np.testing.assert_array_equal(rec.event, [0, 1, 0, 1, 0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(rec.n_risk_reconstructed, [10, 7])
    assert rec.converged and rec.notes == []


def test_without_any_table_nobody_is_censored_before_the_end():
    # n = 4, drops of 0.25 at 1 and 2, curve read to 5: events at 1 and 2, two censored at 5
    rec = ipd.reconstruct([0, 1, 2, 5], [100, 75, 50, 50], n=4)
    np.testing.assert_array_equal(rec.time, [1, 2, 5, 5])
    np.testing.assert_array_equal(rec.event, [1, 1, 0, 0])
    assert rec.curve.scale == "percent"


def test_cleaning_reports_each_change():
    curve = ipd.clean_curve(
        [-0.02, 0.0, 1.0, 3.0, 2.0, 3.0, 4.0, 4.0],
        [1.002, 1.0, 0.9, 0.6, 0.8, 0.605, 0.5, 0.5],
        scale="proportion",
    )
    steps = [c["step"] for c in curve.changes]
    assert steps == ["sort", "clip_time", "clip_surv", "monotone", "duplicates"]
    # sorted: (-0.02, 1.002) (0, 1) (1, .9) (2, .8) (3, .6) (3, .605) (4, .5) (4, .5)
    # times >= 0, survival <= 1, the 0.005 rise flattened, one duplicate of (0, 1) and one of (4, .5)
    np.testing.assert_array_equal(curve.time, [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(curve.surv, [1, 0.9, 0.8, 0.6, 0.5])
    assert {c["step"]: c["n_points"] for c in curve.changes}["duplicates"] == 3


def test_clean_curve_leaves_a_clean_curve_alone():
    curve = ipd.clean_curve([0, 1, 2], [1, 0.5, 0.25])
    assert curve.changes == [] and curve.scale == "proportion"


@pytest.mark.parametrize(
    "time,surv,message",
    [
        ([0, 1, 2], [1, 0.8, 0.82], "rises from 0.8 to 0.82 at time 2"),
        ([], [], "no points"),
        ([0, 1, None], [1, 0.5, 0.4], "empty time or surv"),
        ([0, 1], [1, 250], "check the scale"),
    ],
)
def test_bad_curves_are_refused_with_a_clear_message(time, surv, message):
    with pytest.raises(ipd.DigitisedInputError, match=message):
        ipd.clean_curve(np.array(time, dtype=float), np.array(surv, dtype=float))


@pytest.mark.parametrize(
    "time,n_risk,message",
    [
        ([0, 6, 12], [100, 80, 85], "increases from 80 to 85 at time 12"),
        ([0, 6, 24], [100, 80, 60], "time 24 is outside the digitised curve"),
        ([6, 12], [100, 80], "first time must be 0"),
        ([0, 12, 6], [100, 80, 90], "times must increase"),
        ([], [], "no rows"),
        ([0, 6], [100, 80.5], "whole numbers"),
    ],
)
def test_bad_at_risk_tables_are_refused(time, n_risk, message):
    with pytest.raises(ipd.DigitisedInputError, match=message):
        ipd.check_at_risk(
            np.array(time, dtype=float), np.array(n_risk, dtype=float), curve_end=20.0
        )


def test_band_distance_by_hand():
    # reference drops 1 -> 0.5 at t=2; the other curve drops 1 -> 0.45 at t=2.4
    assert ipd.band_distance([2], [0.5], [2.4], [0.45], shift=0.5, end=5) == pytest.approx(0.05)
    assert ipd.band_distance([2], [0.5], [2.4], [0.45], shift=0.0, end=5) == pytest.approx(0.5)
