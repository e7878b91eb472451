"""Kaplan-Meier against R survival 3.5.3 (fixtures from tests/r/survival_reference.R) and by hand.

Every expected number comes from R (`Rscript tests/r/survival_reference.R`, which records the R call
beside each table) or from the hand calculation written out in the test. Tolerance: relative 1e-6.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from her2rwe.stats import km

FIX = Path(__file__).parent / "fixtures"
RTOL = 1e-6
DATASETS = ["lung", "veteran", "ovarian", "aml", "ties", "noevent", "flat05", "drop0", "single"]


def load(name: str) -> pd.DataFrame:
    return pd.read_csv(FIX / f"survival_data_{name}.csv")


def subset(dataset: str, group: str) -> pd.DataFrame:
    d = load(dataset)
    return d if group == "All" else d[d["group"] == group]


def assert_close(actual, expected, what: str) -> None:
    """Equal to a relative 1e-6, with NaN (R's NA) only where R has NA, and Inf where R has Inf."""
    a = np.asarray(actual, dtype=float)
    e = np.asarray(expected, dtype=float)
    assert a.shape == e.shape, what
    assert np.array_equal(np.isnan(a), np.isnan(e)), f"{what}: NA pattern {a} vs R {e}"
    np.testing.assert_allclose(a, e, rtol=RTOL, atol=0, equal_nan=True, err_msg=what)


def curves():
    steps = pd.read_csv(FIX / "survival_km_steps.csv")
    return [(k, g) for k, g in steps.groupby(["dataset", "group", "conf_type"], sort=False)]


@pytest.mark.parametrize(
    "key,expected", curves(), ids=lambda v: "-".join(v) if isinstance(v, tuple) else ""
)
def test_km_steps_match_r_survfit(key, expected):
    # R: survfit(Surv(time, event) ~ 1, data, conf.type = <conf_type>)
    dataset, group, conf_type = key
    d = subset(dataset, group)
    fit = km.kaplan_meier(d["time"], d["event"], conf_type)
    assert_close(fit.time, expected["time"], "time")
    for col in ("n_risk", "n_event", "n_censor", "surv", "std_err", "lower", "upper"):
        assert_close(getattr(fit, col), expected[col], f"{key} {col}")


@pytest.mark.parametrize("conf_type", km.CONF_TYPES)
def test_km_quantiles_match_r_quantile_survfit(conf_type):
    # R: quantile(fit, probs = c(0.25, 0.5, 0.75)), incl. the flat-at-0.5 midpoint (flat05) and NA
    q = pd.read_csv(FIX / "survival_quantiles.csv")
    q = q[q["conf_type"] == conf_type]
    for (dataset, group), exp in q.groupby(["dataset", "group"], sort=False):
        d = subset(dataset, group)
        fit = km.kaplan_meier(d["time"], d["event"], conf_type)
        got = km.km_quantiles(fit, probs=exp["prob"].to_numpy())
        what = f"{dataset}/{group}/{conf_type}"
        assert_close(got[:, 0], exp["quantile"], what + " quantile")
        assert_close(got[:, 1], exp["lower"], what + " lower")
        assert_close(got[:, 2], exp["upper"], what + " upper")


def test_flat_at_half_median_is_midpoint_and_not_reached_is_nan():
    # hand: flat05 arm A, times 1,2,3+,5: S = 0.75, 0.5, 0.5, 0 -> median (2 + 5) / 2 = 3.5
    d = subset("flat05", "A")
    fit = km.kaplan_meier(d["time"], d["event"], "log")
    assert km.km_quantiles(fit, probs=(0.5,))[0, 0] == pytest.approx(3.5, rel=1e-12)
    # arm B of noevent: nobody has an event -> every quantile and bound NaN
    d = subset("noevent", "B")
    q = km.km_quantiles(km.kaplan_meier(d["time"], d["event"]))
    assert np.isnan(q).all()


@pytest.mark.parametrize("conf_type", km.CONF_TYPES)
def test_landmarks_match_r_summary_times(conf_type):
    # R: summary(fit, times = <landmarks>, extend = TRUE); we leave S NaN beyond the last time
    lm = pd.read_csv(FIX / "survival_landmarks.csv")
    lm = lm[lm["conf_type"] == conf_type]
    n = 0
    for (dataset, group), exp in lm.groupby(["dataset", "group"], sort=False):
        d = subset(dataset, group)
        fit = km.kaplan_meier(d["time"], d["event"], conf_type)
        got = km.km_at(fit, exp["time"])
        assert_close(got["n_risk"], exp["n_risk"], f"{dataset}/{group} n_risk")
        inside = (exp["time"] <= d["time"].max()).to_numpy() | (exp["surv"] == 0).to_numpy()
        for col in ("surv", "std_err", "lower", "upper"):
            assert_close(got[col][inside], exp[col][inside], f"{dataset}/{group} {col}")
            assert np.isnan(got[col][~inside]).all()
        n += inside.sum()
    assert n > 50


def test_rmst_matches_r_print_rmean():
    # R: summary(fit, rmean = tau)$table[c("rmean", "se(rmean)")]
    rm = pd.read_csv(FIX / "survival_rmst.csv")
    for row in rm.itertuples():
        d = subset(row.dataset, row.group)
        fit = km.kaplan_meier(d["time"], d["event"], "log")
        mean, se = km.rmst(fit, row.tau)
        assert_close([mean, se], [row.rmean, row.se], f"{row.dataset}/{row.group} rmst")


def test_rmst_by_hand():
    # times 1, 2, 3 all events, tau = 2.5: area = 1*1 + (2/3)*1 + (1/3)*0.5 = 11/6
    # var = A1^2 d/(n(n-d)) at t=1 + A2^2 at t=2, A1 = 2/3 + 1/6 = 5/6, A2 = 1/6:
    #     (5/6)^2 / (3*2) + (1/6)^2 / (2*1) = 25/216 + 3/216 = 28/216
    fit = km.kaplan_meier([1, 2, 3], [1, 1, 1], "log")
    mean, se = km.rmst(fit, 2.5)
    assert mean == pytest.approx(11 / 6, rel=1e-12)
    assert se == pytest.approx(np.sqrt(28 / 216), rel=1e-12)


@pytest.mark.parametrize("conf_type", km.CONF_TYPES)
def test_followup_matches_r_reverse_km(conf_type):
    # R: quantile(survfit(Surv(time, 1 - event) ~ 1, conf.type = <conf_type>), probs = 0.5)
    fu = pd.read_csv(FIX / "survival_followup.csv")
    for row in fu[fu["conf_type"] == conf_type].itertuples():
        d = subset(row.dataset, row.group)
        got = km.followup(d["time"], d["event"], conf_type)
        assert_close(got, [row.median, row.lower, row.upper], f"{row.dataset}/{row.group}")


def test_spss_median_ci_worked_example():
    # Ten patients, events at 1, 2, ..., 10, no censoring: S(t_j) = 1 - j/10.
    # Median: S = 0.5 on [5, 6) -> R's midpoint rule gives 5.5.
    # Density (uniform kernel between the 45th and 55th percentiles):
    #   u = max{t_j: S >= 0.55} = 4 (S = 0.6), l = min{t_j: S <= 0.45} = 6 (S = 0.4)
    #   f = (0.6 - 0.4) / (6 - 4) = 0.1
    # Greenwood at the median (S = 0.5): sum_{j=1..5} 1/((11-j)(10-j)) = 1/5 - 1/10 = 0.1
    #   Var S = 0.5^2 * 0.1 = 0.025 ; SE(median) = sqrt(0.025) / 0.1 = 1.5811388300841898
    # 95% CI = 5.5 -/+ 1.959963984540054 * 1.5811388300841898 = 5.5 -/+ 3.0989764...
    fit = km.kaplan_meier(np.arange(1, 11), np.ones(10), "log-log")
    est, lower, upper, se = km.spss_quantile(fit, 0.5, 0.95)
    assert est == pytest.approx(5.5, rel=1e-12)
    assert se == pytest.approx(1.5811388300841898, rel=1e-12)
    half = 1.959963984540054 * 1.5811388300841898
    assert lower == pytest.approx(5.5 - half, rel=1e-12)
    assert upper == pytest.approx(5.5 + half, rel=1e-12)


def test_spss_not_estimable_when_curve_stays_above_045():
    fit = km.kaplan_meier([1, 2, 3, 4], [1, 0, 0, 0])
    assert np.isnan(km.spss_quantile(fit)).all()


def test_km_invariants_row_order_and_monotone():
    d = load("lung")
    fit = km.kaplan_meier(d["time"], d["event"])
    perm = np.random.default_rng(1).permutation(len(d))
    fit2 = km.kaplan_meier(d["time"].to_numpy()[perm], d["event"].to_numpy()[perm])
    np.testing.assert_array_equal(fit.surv, fit2.surv)
    assert np.all(np.diff(fit.surv) <= 0) and fit.surv.min() >= 0 and fit.surv.max() <= 1
    ok = ~np.isnan(fit.lower)
    assert np.all(fit.lower[ok] <= fit.surv[ok]) and np.all(fit.surv[ok] <= fit.upper[ok])


# R: x <- c(0.5, 3.84, 10, 40, 150); pchisq(x, df, lower.tail = FALSE) for df in 1, 2, 3, 6, 9
R_PCHISQ = {
    1: [0.47950012218695348, 0.050043521248705224, 0.0015654022580025519, 2.5396285894708649e-10, 1.733643245717827e-34],
    2: [0.77880078307140488, 0.14660696213035015, 0.006737946999085467, 2.0611536224385579e-09, 2.6786369618080778e-33],
    3: [0.91889141165467592, 0.27926761711861031, 0.018566135463043233, 1.0655090334255863e-08, 2.6349139284880449e-32],
    6: [0.99783850331023749, 0.6983182820192837, 0.12465201948308116, 4.5551495055892125e-07, 7.7372428641826348e-30],
    9: [0.99996956625883882, 0.92162405617649346, 0.35048521232336138, 7.5985252294642758e-06, 8.8196299548054152e-28],
}  # fmt: skip


@pytest.mark.parametrize("df", list(R_PCHISQ))
def test_chisq_sf_matches_r_pchisq(df):
    got = [km.chisq_sf(x, df) for x in (0.5, 3.84, 10, 40, 150)]
    np.testing.assert_allclose(got, R_PCHISQ[df], rtol=1e-12)


def test_z_value_matches_r_qnorm():
    # R: qnorm(c(0.975, 0.95, 0.995))
    got = [km.z_value(c) for c in (0.95, 0.90, 0.99)]
    np.testing.assert_allclose(
        got, [1.9599639845400536, 1.6448536269514715, 2.5758293035488999], rtol=1e-14
    )


def test_timefix_merges_times_equal_up_to_rounding_as_r():
    # R aeqSurv: gap <= sqrt(eps) (absolute) or <= sqrt(eps) * mean(|distinct times|) is a tie.
    # distinct times 10, 10.00000001, 20, 20.0000001, 30, 30.000001: mean 20.0000002;
    # gaps 1e-8 (absolute tie), 1e-7 / 20 = 5e-9 (relative tie), 1e-6 / 20 = 5e-8 (no tie)
    t = [20.0000001, 10.00000001, 10, 20, 30, 30.000001]
    np.testing.assert_array_equal(km.timefix(t), [20, 10, 10, 20, 30, 30.000001])
    d = subset("neartie", "A")  # survfit reports 7 distinct times here (fixture), not 9
    assert len(km.kaplan_meier(d["time"], d["event"]).time) == 7
    assert len(km.kaplan_meier(d["time"], d["event"], fix_times=False).time) == 9
