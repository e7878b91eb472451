"""Parametric survival models against R survreg (tests/r/trial_context_reference.R).

survreg(Surv(time, event) ~ 1, dist = ..., control = survreg.control(rel.tolerance = 1e-12)) per
arm of lung (by sex) and gbsg (by hormonal therapy), times in months; restricted means by R
integrate() of the fitted survival, means by the closed forms. The generalised gamma against a
direct maximisation of its log-likelihood written out in R (survreg has no generalised gamma).
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
RTOL = 1e-6  # the issue asks for 1e-5 relative; the fits reach 1e-7


@cache
def _data(dataset, arm):
    d = pd.read_csv(FIXTURES / f"trial_context_data_{dataset}.csv")
    d = d[d["arm"] == arm]
    return d["time"].to_numpy(), d["event"].to_numpy()


@cache
def _fit(dataset, arm, dist):
    return parametric.fit_parametric(*_data(dataset, arm), dist)


CASES = [r for r in SURVREG.itertuples(index=False) if r.dataset in ("lung", "gbsg")]


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
    # the case where lifelines alone stops 5e-7 short: mu = log(sum t / events) exactly
    row = SURVREG[
        (SURVREG.dataset == "colon") & (SURVREG.arm == "Lev") & (SURVREG.dist == "exponential")
    ].iloc[0]
    d = pd.read_csv(FIXTURES / "trial_context_data_colon.csv")
    d = d[d["arm"] == "Lev"]
    fit = parametric.fit_parametric(d["time"], d["event"], "exponential")
    closed = math.log(d["time"].sum() / d["event"].sum())
    assert row.mu == pytest.approx(closed, rel=1e-12)
    assert fit.mu == pytest.approx(closed, rel=1e-8)


@pytest.mark.parametrize("dataset,arm", [("lung", "female"), ("gbsg", "hormon")])
def test_generalised_gamma_matches_direct_maximum_likelihood_in_r(dataset, arm):
    row = GENGAMMA[(GENGAMMA.dataset == dataset) & (GENGAMMA.arm == arm)].iloc[0]
    fit = _fit(dataset, arm, "gengamma")
    assert fit.converged
    assert fit.loglik == pytest.approx(row.loglik, rel=1e-9)
    assert (fit.mu, fit.sigma, fit.q) == pytest.approx((row.mu, row.sigma, row.q), rel=1e-5)
    # nests the Weibull (Q = 1) and the log-normal (Q = 0)
    assert fit.loglik >= _fit(dataset, arm, "weibull").loglik - 1e-9
    assert fit.loglik >= _fit(dataset, arm, "lognormal").loglik - 1e-9


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


def test_bad_data_are_refused():
    with pytest.raises(parametric.ParametricFitError, match="times > 0"):
        parametric.fit_parametric([0.0, 1.0, 2.0], [1, 1, 0], "weibull")
    with pytest.raises(parametric.ParametricFitError, match="too few"):
        parametric.fit_parametric([1.0, 2.0, 3.0], [1, 0, 0], "weibull")
    with pytest.raises(ValueError, match="distribution must be one of"):
        parametric.fit_parametric([1.0, 2.0], [1, 1], "gompertz")
