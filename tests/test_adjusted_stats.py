"""Propensity scores, weights, balance, weighted Kaplan-Meier and weighted Cox against R.

Fixtures: tests/r/adjusted_reference.R on R survival's colon (deaths; Lev+5FU vs observation),
pbc (the randomised part; D-penicillamine vs placebo) and rotterdam (chemotherapy or not), complete
cases. R computes the weights from glm's fitted scores by their textbook formulas; the R call is
beside each test. Tolerance: relative 1e-6. The E-value and matching are checked by hand.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from her2rwe.stats import cox, km, propensity, weighting

FIX = Path(__file__).parent / "fixtures"
RTOL = 1e-6
SETS = {  # reference arm, categorical covariates, covariates, landmarks, tau
    "colon": ("Obs", ["differ", "extent"], ["age", "sex", "obstruct", "nodes", "differ", "extent"],
              [365, 1095, 1825], 2000),
    "pbc": ("placebo", ["sex", "edema", "stage"], ["age", "sex", "edema", "bili", "albumin", "stage"],
            [1000, 2000, 3000], 3000),
    "rotterdam": ("none", ["size", "grade"], ["age", "meno", "size", "grade", "nodes", "er"],
                  [1825, 3650, 5000], 4000),
}  # fmt: skip
WEIGHTS = ["none", "ATE", "ATE_stabilized", "ATT", "ATO", "ATE_truncated99"]


def assert_close(actual, expected, what: str, atol: float = 0.0) -> None:
    a = np.asarray(actual, dtype=float)
    e = np.asarray(expected, dtype=float)
    assert a.shape == e.shape, what
    assert np.array_equal(np.isnan(a), np.isnan(e)), f"{what}: NA pattern {a} vs R {e}"
    np.testing.assert_allclose(a, e, rtol=RTOL, atol=atol, equal_nan=True, err_msg=what)


def _levels(values: pd.Series) -> list:
    return sorted(values.unique())  # numbers numerically, text in byte order (as the R script)


def load(name: str):
    ref, cat, cov, _, _ = SETS[name]
    d = pd.read_csv(FIX / f"adjusted_data_{name}.csv")
    z = (d["arm"] != ref).to_numpy()
    cols, names, indicators = [], [], []
    for v in cov:  # R's treatment contrasts: one 0/1 column per level but the first
        if v in cat:
            levels = _levels(d[v])
            for lev in levels:
                ind = (d[v] == lev).to_numpy(dtype=float)
                indicators.append(ind)
                if lev != levels[0]:
                    cols.append(ind)
                    names.append(f"{v}{lev}")
        else:
            cols.append(d[v].to_numpy(dtype=float))
            indicators.append(cols[-1])
            names.append(v)
    return d, z, np.column_stack(cols), names, np.column_stack(indicators)


def r_weights(name: str, which: str, n: int) -> np.ndarray:
    if which == "none":
        return np.ones(n)
    w = pd.read_csv(FIX / "adjusted_weights.csv")
    return w.loc[w["dataset"] == name, f"w_{which}"].to_numpy()


@pytest.mark.parametrize("name", SETS)
def test_propensity_matches_r_glm(name):
    # R: glm(z ~ covariates, family = binomial, control = glm.control(epsilon = 1e-14))
    d, z, X, names, _ = load(name)
    fit = propensity.fit_logistic(X, z, names)
    r = pd.read_csv(FIX / "adjusted_glm.csv").query("dataset == @name")
    assert len(fit.coef) == len(r)
    assert_close(fit.coef, r["estimate"], "coef")
    assert_close(fit.se, r["se"], "se")
    assert fit.deviance == pytest.approx(r["deviance"].iloc[0], rel=RTOL)
    ps = pd.read_csv(FIX / "adjusted_weights.csv").query("dataset == @name")["ps"]
    assert_close(fit.fitted, ps, "fitted")


@pytest.mark.parametrize("name", SETS)
def test_weights_match_r_formulas(name):
    # R: z / ps + (1 - z) / (1 - ps); stabilized by mean(z); ATT; ATO; pmin(w, quantile(w, .99))
    d, z, X, names, _ = load(name)
    ps = propensity.fit_logistic(X, z, names).fitted
    for which, w in {
        "ATE": weighting.ps_weights(ps, z, "ATE"),
        "ATE_stabilized": weighting.ps_weights(ps, z, "ATE", stabilize=True),
        "ATT": weighting.ps_weights(ps, z, "ATT"),
        "ATO": weighting.ps_weights(ps, z, "ATO"),
        "ATE_truncated99": weighting.truncate_weights(weighting.ps_weights(ps, z, "ATE"), 99),
    }.items():
        assert_close(w, r_weights(name, which, len(z)), which)


@pytest.mark.parametrize("name", SETS)
def test_balance_and_ess_match_r(name):
    # R: (weighted mean1 - weighted mean0) / sqrt((var(x1) + var(x0)) / 2); weighted variances
    # sum w (x - m)^2 sum w / ((sum w)^2 - sum w^2); ESS (sum w)^2 / sum w^2
    d, z, _, _, ind = load(name)
    bal = pd.read_csv(FIX / "adjusted_balance.csv", keep_default_na=False).query("dataset == @name")
    ess = pd.read_csv(FIX / "adjusted_ess.csv").query("dataset == @name")
    ref = SETS[name][0]
    for which in WEIGHTS:
        w = r_weights(name, which, len(z))
        b = weighting.balance(ind, z, None if which == "none" else w)
        r = bal[bal["weights"] == which]
        # overlap weights balance the model's covariates exactly: SMDs of 1e-15 there
        assert_close(b.smd, r["smd"], f"{which} smd", atol=1e-12)
        assert_close(b.variance_ratio, r["variance_ratio"], f"{which} variance ratio")
        e = ess[ess["weights"] == which].set_index("arm")["ess"]
        assert weighting.ess(w[~z]) == pytest.approx(e[ref], rel=RTOL)
        assert weighting.ess(w[z]) == pytest.approx(e.drop(ref).iloc[0], rel=RTOL)


@pytest.mark.parametrize("name", SETS)
@pytest.mark.parametrize("which", WEIGHTS)
def test_weighted_km_matches_r_survfit(name, which):
    # R: survfit(Surv(time, event) ~ 1, weights = w, conf.type = ct) per arm: the robust
    # (infinitesimal-jackknife) SE whenever a weight is not a whole number, as R's default;
    # quantile(fit, 0.5) and summary(fit, times = landmarks)
    d, z, _, _, _ = load(name)
    w = r_weights(name, which, len(z))
    med = pd.read_csv(FIX / "adjusted_medians.csv")
    steps = pd.read_csv(FIX / "adjusted_km.csv")
    landmarks = SETS[name][3]
    for arm in (0, 1):
        sel = z == bool(arm)
        for ct in ("log-log", "log"):
            fit = km.kaplan_meier(d["time"][sel], d["event"][sel], ct, weights=w[sel])
            r = med[(med["dataset"] == name) & (med["weights"] == which) & (med["arm"] == arm)
                    & (med["conf_type"] == ct)].iloc[0]  # fmt: skip
            assert_close(km.km_quantiles(fit, (0.5,))[0],
                         r[["median", "median_lower", "median_upper"]], f"{arm} {ct} median")  # fmt: skip
            if ct != "log-log":
                continue
            at = km.km_at(fit, landmarks)
            for col in ("surv", "lower", "upper"):
                assert_close(at[col], r[[f"{col}{i}" for i in (1, 2, 3)]], f"{arm} {col}")
            c = steps[(steps["dataset"] == name) & (steps["weights"] == which)
                      & (steps["arm"] == arm)]  # fmt: skip
            if c.empty:
                continue
            idx = np.searchsorted(fit.time, c["time"])
            assert_close(fit.time[idx], c["time"], "time")
            for col in ("n_risk", "n_event", "surv", "lower", "upper"):
                assert_close(getattr(fit, col)[idx], c[col], f"{arm} {col}")
            # R reports the robust SE on the survival scale (logse = FALSE)
            se = fit.std_err * fit.surv if fit.robust else fit.std_err
            assert_close(se[idx], c["std_err"], f"{arm} std_err")


@pytest.mark.parametrize("name", SETS)
def test_rmst_difference_matches_r(name):
    # R: summary(survfit(...), rmean = tau)$table per arm (unweighted: survRM2's method, the
    # difference of the RMSTs with Greenwood SEs combined); weighted: the SE from
    # survfit(..., influence = 1)$influence.surv integrated to tau
    d, z, _, _, _ = load(name)
    tau = SETS[name][4]
    rd = pd.read_csv(FIX / "adjusted_rmst_diff.csv").query("dataset == @name")
    per_arm = pd.read_csv(FIX / "adjusted_rmst.csv").query("dataset == @name")
    for which in WEIGHTS:
        w = r_weights(name, which, len(z))
        fits = [km.kaplan_meier(d["time"][z == s], d["event"][z == s], "log", weights=w[z == s])
                for s in (False, True)]  # fmt: skip
        res = [km.rmst(f, tau) for f in fits]
        r = per_arm[per_arm["weights"] == which].sort_values("arm")
        assert_close([m for m, _ in res], r["rmean"], f"{which} rmean")
        assert_close([s for _, s in res], r["se_greenwood" if which == "none" else "se_ij"], which)
        diff = km.rmst_difference(fits[1], fits[0], tau)
        e = rd[rd["weights"] == which].iloc[0]
        assert_close(diff, e[["rmst_diff", "se", "lower", "upper"]], f"{which} difference")


@pytest.mark.parametrize("name", SETS)
@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_weighted_cox_robust_matches_r_coxph(name, ties):
    # R: coxph(Surv(time, event) ~ z, weights = w, cluster = id, ties = ties)
    d, z, _, _, _ = load(name)
    r = pd.read_csv(FIX / "adjusted_cox.csv").query("dataset == @name and ties == @ties")
    for which in WEIGHTS:
        e = r[r["weights"] == which].iloc[0]
        w = r_weights(name, which, len(z))
        fit = cox.cox_ph(z.astype(float), d["time"], d["event"], ties=ties, weights=w,
                         cluster=d["id"].to_numpy())  # fmt: skip
        lower, upper = fit.ci()
        assert_close(
            [fit.coef[0], fit.se[0], math.sqrt(fit.naive_var[0, 0]), lower[0], upper[0], fit.p[0]],
            e[["coef", "se_robust", "se_naive", "hr_lower", "hr_upper", "p"]],
            which,
        )


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_weighted_cox_three_terms_clustered_matches_r(ties):
    # R: coxph(Surv(time, event) ~ z + age + bili, data = pbc, weights = w_ATE, cluster = stage)
    d, z, _, _, _ = load("pbc")
    r = pd.read_csv(FIX / "adjusted_cox_multi.csv").query("ties == @ties")
    X = np.column_stack([z, d["age"], d["bili"]]).astype(float)
    fit = cox.cox_ph(X, d["time"], d["event"], ties=ties, weights=r_weights("pbc", "ATE", len(z)),
                     cluster=d["stage"].to_numpy())  # fmt: skip
    assert_close(fit.coef, r["coef"], "coef")
    assert_close(fit.se, r["se_robust"], "robust se")
    assert_close(np.sqrt(np.diag(fit.naive_var)), r["se_naive"], "naive se")
    assert_close([fit.var[0, 1], fit.var[0, 2]], [r["var_12"].iloc[0], r["var_13"].iloc[0]], "cov")


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_score_residuals_sum_to_the_score(ties):
    # sum_i w_i U_i(beta) is the score at any beta (weighted, heavy ties): a check of the
    # decomposition that the robust variance is built from
    rng = np.random.default_rng(3)
    t = rng.integers(1, 8, 200).astype(float)
    e = rng.random(200) < 0.7
    x = rng.normal(size=(200, 2))
    w = rng.uniform(0.2, 3, 200)
    rs = cox.cox_ph(x, t, e, ties=ties, weights=w, keep_data=True)._data
    _, score, _, parts = rs.evaluate(np.array([0.3, -0.2]), ties, full=True)
    total = (rs.score_residuals(parts) * rs.cw[:, None]).sum(axis=0)
    np.testing.assert_allclose(total, score, rtol=1e-10)
    assert np.all(np.abs(score) > 1)  # away from the MLE, so the check has teeth


def test_case_weights_of_one_change_nothing():
    d, z, _, _, _ = load("colon")
    a = km.kaplan_meier(d["time"], d["event"])
    b = km.kaplan_meier(d["time"], d["event"], weights=np.ones(len(z)))
    for col in ("time", "n_risk", "surv", "std_err", "lower", "upper"):
        np.testing.assert_array_equal(getattr(a, col), getattr(b, col))
    assert not b.robust


def test_separation_by_a_level_seen_in_one_arm_is_named():
    z = np.array([1, 1, 1, 0, 0, 0, 1, 0])
    x = np.array([1, 1, 0, 0, 0, 0, 0, 0], dtype=float)  # level only in the non-reference arm
    with pytest.raises(propensity.SeparationError, match="brain_metsyes"):
        propensity.fit_logistic(x, z, ["brain_metsyes"])


def test_separation_by_a_numeric_covariate_is_reported():
    z = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0])  # age > 4.5 predicts the arm
    with pytest.raises(propensity.SeparationError, match="separation"):
        propensity.fit_logistic(x, z, ["age"])


def test_trimming_that_empties_an_arm_says_which():
    ps = np.array([0.95, 0.97, 0.5, 0.6])
    z = np.array([1, 1, 0, 0])
    with pytest.raises(weighting.EmptyArmError, match="non-reference arm"):
        weighting.trim_range(ps, z, 0.1, 0.9)
    np.testing.assert_array_equal(weighting.trim_range(ps, z, 0.05, 0.96), [1, 0, 1, 1])


def test_e_value_by_hand():
    # HR 0.5, common outcome: RR = (1 - 0.5^sqrt(0.5)) / (1 - 0.5^sqrt(2)) = 0.62004...;
    # 1 / RR = 1.61280...; E = 1.61280 + sqrt(1.61280 * 0.61280) = 2.60694...
    rr = 1 / ((1 - 0.5 ** math.sqrt(0.5)) / (1 - 0.5 ** math.sqrt(2)))
    assert rr == pytest.approx(1.6128, abs=5e-4)
    point, ci = weighting.e_value(0.5, 0.3, 0.8)
    assert point == pytest.approx(rr + math.sqrt(rr * (rr - 1)), rel=1e-12)
    assert point == pytest.approx(2.607, abs=1e-3)
    rr_ci = (1 - 0.5 ** math.sqrt(0.8)) / (1 - 0.5 ** math.sqrt(1 / 0.8))  # the upper limit
    assert ci == pytest.approx(1 / rr_ci + math.sqrt(1 / rr_ci * (1 / rr_ci - 1)), rel=1e-12)
    assert weighting.e_value(1.4, 0.9, 2.0)[1] == 1.0  # the CI holds 1
    assert weighting.e_value(1.0)[0] == 1.0


def test_matching_by_hand():
    # logit scores: treated 0.0 and 2.0; controls -0.1, 0.05, 1.0, 5.0; mean 1.325, sum of squared
    # deviations 19.479, SD (n - 1) = sqrt(19.479 / 5) = 1.974, caliper 0.2 SD = 0.395: treated 0.0
    # takes control 0.05 (closest), treated 2.0 has no control within 0.395 (1.0 is 1.0 away)
    lp = np.array([0.0, 2.0, -0.1, 0.05, 1.0, 5.0])
    ps = 1 / (1 + np.exp(-lp))
    z = np.array([1, 1, 0, 0, 0, 0])
    pair = weighting.match_nearest(ps, z, caliper=0.2, seed=7)
    assert pair[0] == pair[3] >= 0
    assert pair[1] == pair[2] == pair[4] == pair[5] == -1
    wide = weighting.match_nearest(ps, z, caliper=1.0, seed=7)  # 1.974 wide: both matched
    assert sorted(np.bincount(wide[wide >= 0])) == [2, 2]
    assert wide[1] == wide[4]
    with pytest.raises(weighting.EmptyArmError):
        weighting.match_nearest(ps, z, caliper=0.001)
