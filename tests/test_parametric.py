"""Parametric survival models against R survreg (tests/r/trial_context_reference.R).

survreg(Surv(time, event) ~ 1, dist = ..., control = survreg.control(rel.tolerance = 1e-12)) per
arm of colon (by treatment), lung (by sex) and gbsg (by hormonal therapy), times in months, and of
the harder cases: lung in days, lung censored at 6 months (heavy censoring), 12 patients of lung, a
simulated Weibull sample; restricted means by R integrate() of the fitted survival, means by the
closed forms. The generalised gamma against a direct maximisation of its log-likelihood written
out in R (survreg has no generalised gamma), polished by Newton steps to about 1e-9.
"""

import math
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from her2rwe.stats import parametric

FIXTURES = Path(__file__).parent / "fixtures"
SURVREG = pd.read_csv(FIXTURES / "trial_context_survreg.csv")
GENGAMMA = pd.read_csv(FIXTURES / "trial_context_gengamma.csv")
RTOL = 1e-9  # survreg's optimum: the fits agree to 2e-11 (parameters) and 5e-15 (log-likelihood)
GG_RTOL = 1e-8  # R's numerical optimum of the generalised gamma, known to about 1e-9


@cache
def _data(dataset, arm):
    d = pd.read_csv(FIXTURES / f"trial_context_data_{dataset}.csv")
    d = d[d["arm"] == arm]
    return d["time"].to_numpy(), d["event"].to_numpy()


@cache
def _fit(dataset, arm, dist):
    return parametric.fit_parametric(*_data(dataset, arm), dist)


CASES = list(SURVREG.itertuples(index=False))
# the generalised gamma of lung censored at 6 months has no maximum (below)
GG_CASES = [r for r in GENGAMMA.itertuples(index=False) if r.dataset != "lung_cens6"]


@pytest.mark.parametrize("row", CASES, ids=lambda r: f"{r.dataset}-{r.arm}-{r.dist}")
def test_parameters_and_loglik_match_survreg(row):
    fit = _fit(row.dataset, row.arm, row.dist)
    assert fit.converged
    assert fit.mu == pytest.approx(row.mu, rel=RTOL)
    assert fit.sigma == pytest.approx(row.sigma, rel=RTOL)
    assert fit.loglik == pytest.approx(row.loglik, rel=1e-9)
    assert fit.aic == pytest.approx(row.aic, rel=1e-9)
    assert fit.rmst(row.horizon) == pytest.approx(row.rmst, rel=RTOL)
    if math.isinf(row.mean):
        assert math.isinf(fit.mean())
    else:
        assert fit.mean() == pytest.approx(row.mean, rel=RTOL)


def test_colon_exponential_in_months_matches_the_closed_form():
    # mu = log(sum t / events) exactly (an optimiser that stops short of it is off by 5e-7 here)
    row = SURVREG[
        (SURVREG.dataset == "colon") & (SURVREG.arm == "Lev") & (SURVREG.dist == "exponential")
    ].iloc[0]
    d = pd.read_csv(FIXTURES / "trial_context_data_colon.csv")
    d = d[d["arm"] == "Lev"]
    fit = parametric.fit_parametric(d["time"], d["event"], "exponential")
    closed = math.log(d["time"].sum() / d["event"].sum())
    assert row.mu == pytest.approx(closed, rel=1e-12)
    assert fit.mu == pytest.approx(closed, rel=1e-14)


@pytest.mark.parametrize("row", GG_CASES, ids=lambda r: f"{r.dataset}-{r.arm}")
def test_generalised_gamma_matches_direct_maximum_likelihood_in_r(row):
    fit = _fit(row.dataset, row.arm, "gengamma")
    assert fit.converged
    assert row.max_gradient < 1e-8  # R's optimum is a stationary point
    assert fit.loglik == pytest.approx(row.loglik, rel=1e-9)
    assert (fit.mu, fit.sigma, fit.q) == pytest.approx((row.mu, row.sigma, row.q), rel=GG_RTOL)
    assert fit.rmst(row.horizon) == pytest.approx(row.rmst, rel=GG_RTOL)
    # nests the Weibull (Q = 1) and the log-normal (Q = 0)
    assert fit.loglik >= _fit(row.dataset, row.arm, "weibull").loglik - 1e-9
    assert fit.loglik >= _fit(row.dataset, row.arm, "lognormal").loglik - 1e-9


@pytest.mark.parametrize("arm", ["female", "male"])
def test_generalised_gamma_without_a_maximum_is_reported_not_converged(arm):
    # lung censored at 6 months: the likelihood keeps rising as Q grows and sigma shrinks, so there
    # is no maximum. R's optimisers stop where the gradient is still 1e-6 (one with convergence
    # code 1): not a stationary point, unlike every other reference case
    row = GENGAMMA[(GENGAMMA.dataset == "lung_cens6") & (GENGAMMA.arm == arm)].iloc[0]
    assert row.max_gradient > 1e-7
    fit = _fit("lung_cens6", arm, "gengamma")
    assert not fit.converged
    assert math.isnan(fit.mu) and math.isnan(fit.loglik)


def test_time_unit_changes_mu_and_loglik_only_by_the_unit():
    # log T in days = log T in months + log 30.4375; each event's density gains 1 / 30.4375
    c = 30.4375
    for dist in ("weibull", "lognormal", "loglogistic", "gengamma"):
        months, days = _fit("lung", "male", dist), _fit("lung_days", "male", dist)
        assert days.mu == pytest.approx(months.mu + math.log(c), rel=1e-10)
        assert days.sigma == pytest.approx(months.sigma, rel=1e-9)
        assert days.loglik == pytest.approx(months.loglik - months.events * math.log(c), rel=1e-12)


@pytest.mark.parametrize("dist", ["weibull", "lognormal", "loglogistic", "gengamma"])
def test_analytic_derivatives_match_finite_differences(dist):
    t, e = _data("gbsg", "hormon")
    lik = parametric._Likelihood(dist, t, e > 0)
    theta = np.array([3.5, math.log(0.9)] + ([-0.7] if dist == "gengamma" else []))
    _, gradient, hessian = lik.full(theta)
    h = 1e-5
    for i in range(len(theta)):
        step = np.zeros(len(theta))
        step[i] = h
        numeric = (lik.value(theta + step) - lik.value(theta - step)) / (2 * h)
        assert gradient[i] == pytest.approx(numeric, rel=1e-6, abs=1e-6)
        column = (lik.full(theta + step)[1] - lik.full(theta - step)[1]) / (2 * h)
        np.testing.assert_allclose(hessian[:, i], column, rtol=1e-5, atol=1e-4)


def test_params_are_lifelines_parametrisation():
    lifelines = pytest.importorskip("lifelines")
    t, e = _data("lung", "female")
    ours = _fit("lung", "female", "weibull").params
    theirs = lifelines.WeibullFitter().fit(t, e).params_
    assert ours == pytest.approx({k: float(v) for k, v in theirs.items()}, rel=1e-5)
    ours = _fit("lung", "female", "loglogistic").params
    theirs = lifelines.LogLogisticFitter().fit(t, e).params_
    assert ours == pytest.approx({k: float(v) for k, v in theirs.items()}, rel=1e-5)


def test_bic_uses_the_number_of_patients():
    fit = _fit("lung", "male", "weibull")
    assert fit.bic == pytest.approx(-2 * fit.loglik + 2 * math.log(138), rel=1e-12)


def test_survival_functions_by_hand():
    t = np.array([0.0, 2.0, 10.0])
    # Weibull mu = log 10, sigma = 0.5: S(t) = exp(-(t / 10)^2)
    np.testing.assert_allclose(
        parametric.survival_function("weibull", math.log(10), 0.5, None, t),
        np.exp(-((t / 10) ** 2)),
        rtol=1e-14,
    )
    # log-logistic mu = log 10, sigma = 1: S(t) = 1 / (1 + t / 10)
    np.testing.assert_allclose(
        parametric.survival_function("loglogistic", math.log(10), 1.0, None, t),
        1 / (1 + t / 10),
        rtol=1e-14,
    )
    # generalised gamma with Q = 1 is the Weibull
    np.testing.assert_allclose(
        parametric.survival_function("gengamma", 1.0, 0.7, 1.0, t),
        parametric.survival_function("weibull", 1.0, 0.7, None, t),
        rtol=1e-12,
    )
    # generalised gamma with Q = sigma is the gamma: Q = sigma = 1 is the exponential, mean exp(mu)
    assert parametric.mean_survival("gengamma", 1.0, 1.0, 1.0) == pytest.approx(math.e, rel=1e-14)


def test_restricted_means_by_hand():
    # exponential mu = log 10: 10 (1 - exp(-tau / 10))
    assert parametric.restricted_mean("exponential", math.log(10), 1.0, None, 7.0) == pytest.approx(
        10 * (1 - math.exp(-0.7)), rel=1e-14
    )
    # log-logistic sigma = 1 (no mean, the quadrature path): 10 log(1 + tau / 10)
    assert parametric.restricted_mean(
        "loglogistic", math.log(10), 1.0, None, 30.0
    ) == pytest.approx(10 * math.log(4.0), rel=1e-12)
    # Weibull sigma = 1/2: the integral of exp(-(t / 10)^2) to 10 is 5 sqrt(pi) erf(1)
    assert parametric.restricted_mean("weibull", math.log(10), 0.5, None, 10.0) == pytest.approx(
        5 * math.sqrt(math.pi) * math.erf(1.0), rel=1e-14
    )
    # generalised gamma at Q = 1 is the Weibull
    assert parametric.restricted_mean("gengamma", 1.0, 0.7, 1.0, 5.0) == pytest.approx(
        parametric.restricted_mean("weibull", 1.0, 0.7, None, 5.0), rel=1e-13
    )


def test_bad_data_are_refused():
    with pytest.raises(parametric.ParametricFitError, match="times > 0"):
        parametric.fit_parametric([0.0, 1.0, 2.0], [1, 1, 0], "weibull")
    with pytest.raises(parametric.ParametricFitError, match="too few"):
        parametric.fit_parametric([1.0, 2.0, 3.0], [1, 0, 0], "weibull")
    with pytest.raises(ValueError, match="distribution must be one of"):
        parametric.fit_parametric([1.0, 2.0], [1, 1], "gompertz")
    # three events at one time: sigma -> 0, the likelihood has no maximum
    with pytest.raises(parametric.ParametricFitError, match="did not converge"):
        parametric.fit_parametric([2.0, 2.0, 2.0], [1, 1, 1], "weibull")
    assert not parametric.fit_parametric([2.0, 2.0, 2.0], [1, 1, 1], "gengamma").converged
