"""Competing risks against R cmprsk 2.2.11 and survival 3.5.3 (tests/r/competing_reference.R).

Data: mgus2 (progression vs death, by sex), colon (recurrence vs death, three arms), and two small
hand-made sets (ties between event types and censorings on the same day; an all-censored arm and an
arm with competing events only). Every expected number comes from R or from the hand calculation
written in the test. Tolerance: relative 1e-6.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from her2rwe.stats import competing
from her2rwe.stats.km import kaplan_meier

FIX = Path(__file__).parent / "fixtures"
RTOL = 1e-6
DATASETS = ("mgus2", "colon", "ties", "allcens")


def load(name: str) -> pd.DataFrame:
    return pd.read_csv(FIX / f"competing_data_{name}.csv")


def subset(dataset: str, group: str) -> pd.DataFrame:
    d = load(dataset)
    return d if group == "All" else d[d["group"] == group]


def assert_close(actual, expected, what: str, atol: float = 0.0) -> None:
    """Equal to a relative 1e-6, NaN exactly where R has NA."""
    a = np.asarray(actual, dtype=float)
    e = np.asarray(expected, dtype=float)
    assert a.shape == e.shape, what
    assert np.array_equal(np.isnan(a), np.isnan(e)), f"{what}: NA pattern differs from R"
    np.testing.assert_allclose(a, e, rtol=RTOL, atol=atol, equal_nan=True, err_msg=what)


def curves():
    cu = pd.read_csv(FIX / "competing_cuminc.csv")
    return [(k, g) for k, g in cu.groupby(["dataset", "group", "cause"], sort=False)]


@pytest.mark.parametrize(
    "key,expected", curves(), ids=lambda v: "-".join(map(str, v)) if isinstance(v, tuple) else ""
)
def test_cif_and_variance_match_cuminc_timepoints(key, expected):
    # R: timepoints(cuminc(time, status, cencode = 0), times): events at t count, NA past follow-up
    dataset, group, cause = key
    d = subset(dataset, group)
    fit = competing.cumulative_incidence(d["time"], d["status"], cause=cause)
    cif, var = fit.at(expected["time"])
    assert_close(cif, expected["est"], f"{key} est")
    assert_close(var, expected["var"], f"{key} var", atol=1e-15)
    lower, upper = competing.cif_confint(cif, var)
    assert_close(lower, expected["lower"], f"{key} lower")
    assert_close(upper, expected["upper"], f"{key} upper")


@pytest.mark.parametrize("dataset", DATASETS)
def test_point_estimates_match_survfit_multistate(dataset):
    # R: survfit(Surv(time, factor(status, 0:2)) ~ 1)$pstate[, c("1", "2")] at its times
    sf = pd.read_csv(FIX / "competing_survfit.csv")
    sf = sf[sf["dataset"] == dataset]
    for group, exp in sf.groupby("group"):
        d = subset(dataset, group)
        for cause, col in ((1, "p1"), (2, "p2")):
            fit = competing.cumulative_incidence(d["time"], d["status"], cause=cause)
            assert_close(fit.at(exp["time"])[0], exp[col], f"{dataset}/{group}/{col}", atol=1e-15)


def gray_cases():
    g = pd.read_csv(FIX / "competing_gray.csv")
    return [r._asdict() for r in g.itertuples(index=False)]


@pytest.mark.parametrize(
    "case",
    gray_cases(),
    ids=lambda c: f"{c['dataset']}-rho{c['rho']}-strat{c['stratified']}-cause{c['cause']}",
)
def test_gray_test_matches_cuminc_tests(case):
    # R: cuminc(time, status, group, [strata,] rho = rho, cencode = 0)$Tests
    d = load(case["dataset"])
    res = competing.gray_test(
        d["time"],
        d["status"],
        d["group"],
        strata=d["strata"] if case["stratified"] else None,
        rho=case["rho"],
        cause=case["cause"],
    )
    assert res.df == case["df"]
    assert_close(res.chisq, case["stat"], "chisq")
    assert_close(res.p, case["p"], "p")


def crr_cases():
    c = pd.read_csv(FIX / "competing_crr.csv")
    return [(k, g) for k, g in c.groupby(["dataset", "model", "failcode"], sort=False)]


@pytest.mark.parametrize(
    "key,expected", crr_cases(), ids=lambda v: "-".join(map(str, v)) if isinstance(v, tuple) else ""
)
def test_fine_gray_matches_crr_to_convergence(key, expected):
    # R: crr(time, status, cov1 = model.matrix(~ group [+ age10])[, -1], failcode, gtol = 1e-10)
    dataset, model, failcode = key
    d = load(dataset)
    x = pd.get_dummies(d["group"], drop_first=True, dtype=float)  # sorted levels, first = reference
    if model == "group_age10":
        x["age10"] = d["age10"]
    fit = competing.fine_gray(d["time"], d["status"], x.to_numpy(), cause=failcode)
    assert fit.converged
    assert_close(fit.coef, expected["coef"], "coef")
    assert_close(fit.se, expected["se"], "se")
    assert_close(fit.p, expected["p"], "p")
    assert_close(fit.loglik, expected["loglik"].iloc[0], "loglik")
    assert_close(fit.loglik_null, expected["loglik_null"].iloc[0], "loglik_null")
    assert fit.n == expected["n"].iloc[0]
    lower, upper = fit.confint(0.95)
    assert_close(lower, np.exp(expected["coef"] - 1.959963984540054 * expected["se"]), "lower")
    assert_close(upper, np.exp(expected["coef"] + 1.959963984540054 * expected["se"]), "upper")


def test_cif_by_hand_with_a_tie_between_event_types():
    # hand: times 1 (event), 2 (event), 2 (competing), 3 (censored), 4 (event), 5 (censored)
    # n(1) = 6: F = 1/6, S = 5/6; n(2) = 5, d1 = 1, d2 = 1: F += (5/6)(1/5) = 1/6 -> 1/3,
    # S = (5/6)(3/5) = 1/2; n(4) = 2: F += (1/2)(1/2) -> 7/12. Competing: G(2) = (5/6)(1/5) = 1/6.
    t = [1, 2, 2, 3, 4, 5]
    s = [1, 1, 2, 0, 1, 0]
    f1, _ = competing.cumulative_incidence(t, s, cause=1).at([0, 1, 1.5, 2, 3.9, 4, 5, 5.1])
    np.testing.assert_allclose(f1[:7], [0, 1 / 6, 1 / 6, 1 / 3, 1 / 3, 7 / 12, 7 / 12], rtol=1e-12)
    assert np.isnan(f1[7])  # past the last follow-up
    f2, _ = competing.cumulative_incidence(t, s, cause=2).at([1.9, 2, 5])
    np.testing.assert_allclose(f2, [0, 1 / 6, 1 / 6], rtol=1e-12)
    # the CIFs and the all-cause Kaplan-Meier add up to 1: 7/12 + 1/6 + S(5) = 1 with S(5) = 1/4
    km = kaplan_meier(t, np.array(s) > 0)
    assert km.surv[-1] == pytest.approx(1 / 4, rel=1e-12)


@pytest.mark.parametrize("dataset", DATASETS)
def test_invariants_sum_to_one_order_free_ci_contains_estimate(dataset):
    d = load(dataset)
    grid = np.unique(d["time"])
    f1, v1 = competing.cumulative_incidence(d["time"], d["status"], 1).at(grid)
    f2, _ = competing.cumulative_incidence(d["time"], d["status"], 2).at(grid)
    km = kaplan_meier(d["time"], d["status"] > 0)
    np.testing.assert_allclose(f1 + f2 + km.surv, 1.0, rtol=1e-12)
    assert np.all(np.diff(f1) >= 0) and np.all((f1 >= 0) & (f1 <= 1))
    shuffled = d.sample(frac=1.0, random_state=3)
    g1, w1 = competing.cumulative_incidence(shuffled["time"], shuffled["status"], 1).at(grid)
    np.testing.assert_array_equal(f1, g1)
    np.testing.assert_allclose(v1, w1, rtol=1e-12)
    lower, upper = competing.cif_confint(f1, v1)
    inside = ~np.isnan(lower)
    assert np.all((lower[inside] <= f1[inside]) & (f1[inside] <= upper[inside]))
    assert np.all((lower[inside] > 0) & (upper[inside] < 1))


def test_ci_is_missing_where_the_cif_is_zero():
    lower, upper = competing.cif_confint([0.0, 0.2, 1.0], [0.0, 0.01, 0.0])
    assert np.isnan(lower[0]) and np.isnan(upper[0]) and np.isnan(lower[2])
    # hand: F = 0.2, se = 0.1: e = 1.96 * 0.1 / (0.2 log 0.2); lower = 0.2^exp(-e)
    e = 1.959963984540054 * 0.1 / (0.2 * np.log(0.2))
    assert lower[1] == pytest.approx(0.2 ** np.exp(-e), rel=1e-12)
    assert upper[1] == pytest.approx(0.2 ** np.exp(e), rel=1e-12)


@pytest.mark.parametrize(
    "time,status,message",
    [
        ([1, 2, 3], [0, 1, 3], "1 status value"),
        ([1, -2, 3], [0, 1, 2], "1 time"),
        ([1, np.nan, 3], [0, 1, 2], "1 time"),
        ([1, 2, 3], [0, np.nan, 2], "1 status value"),
    ],
)
def test_bad_input_errors(time, status, message):
    with pytest.raises(ValueError, match=message):
        competing.cumulative_incidence(time, status)


def test_fine_gray_without_events_is_an_error():
    with pytest.raises(ValueError, match="no event"):
        competing.fine_gray([1, 2, 3], [0, 2, 0], [[0.0], [1.0], [0.0]])


def test_gray_needs_two_groups():
    with pytest.raises(ValueError, match="two groups"):
        competing.gray_test([1, 2, 3], [1, 2, 0], ["A", "A", "A"])
