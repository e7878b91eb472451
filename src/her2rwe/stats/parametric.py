"""Parametric survival models for extrapolation: exponential, Weibull, log-normal, log-logistic and
generalised gamma, fitted by maximum likelihood with lifelines.

Every model is reported on the accelerated-failure-time scale of R ``survreg``: log T = mu +
sigma W, with W extreme-value (exponential with sigma = 1, Weibull), normal (log-normal) or
logistic (log-logistic). The generalised gamma is Prentice's (1974) three-parameter form (mu,
sigma, Q), as flexsurv's ``gengamma``: Weibull at Q = 1, log-normal at Q = 0. The log-likelihood
is that of the event times (not of their logarithms), as ``survreg``'s ``loglik``.

Mapping from lifelines' parameters: exponential mu = log(lambda_); Weibull mu = log(lambda_),
sigma = 1 / rho_; log-normal mu = mu_, sigma = sigma_; log-logistic mu = log(alpha_), sigma =
1 / beta_; generalised gamma mu = mu_, sigma = exp(ln_sigma_), Q = lambda_.

lifelines minimises the mean negative log-likelihood with L-BFGS-B after a Nelder-Mead start, and
keeps the Nelder-Mead point when L-BFGS-B stops abnormally; how close it gets to the optimum then
depends on the time unit (on colon in months the exponential's mu stopped 5e-7 relative from
survreg's whatever the tolerances, on the same times divided by their geometric mean the
log-logistic's stopped 7e-6 away). Each model is therefore fitted twice, with tighter tolerances
(``FIT_OPTIONS``): on the times as given and on the times divided by their geometric mean c
(transformed back exactly: mu + log c; log-likelihood - events x log c); the fit with the larger
log-likelihood is kept.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import special

DISTRIBUTIONS = ("exponential", "weibull", "lognormal", "loglogistic", "gengamma")
LABELS = {
    "exponential": "Exponential",
    "weibull": "Weibull",
    "lognormal": "Log-normal",
    "loglogistic": "Log-logistic",
    "gengamma": "Generalised gamma",
}
N_PARAMS = {"exponential": 1, "weibull": 2, "lognormal": 2, "loglogistic": 2, "gengamma": 3}
FIT_OPTIONS = {"ftol": 1e-15, "gtol": 1e-13, "maxiter": 10_000}


class ParametricFitError(ValueError):
    """Data a parametric model cannot be fitted to, with a message a user can act on."""


@dataclass(frozen=True)
class ParametricFit:
    """One fitted model: survreg-scale parameters, lifelines' own, and information criteria.

    BIC uses the number of patients, as R's ``BIC()`` on a ``survreg`` fit.
    """

    distribution: str
    n: int
    events: int
    mu: float
    sigma: float
    q: float | None  # generalised gamma shape; None for the two-parameter families
    params: dict[str, float]  # lifelines' parameters, by lifelines' names
    loglik: float
    n_params: int
    converged: bool

    @property
    def aic(self) -> float:
        return -2.0 * self.loglik + 2.0 * self.n_params

    @property
    def bic(self) -> float:
        return -2.0 * self.loglik + math.log(self.n) * self.n_params

    def survival(self, times) -> np.ndarray:
        """S(t) of the fitted model at ``times`` (months)."""
        return survival_function(self.distribution, self.mu, self.sigma, self.q, times)

    def mean(self) -> float:
        """Mean survival time (area under the whole curve); ``inf`` where it does not exist."""
        return mean_survival(self.distribution, self.mu, self.sigma, self.q)

    def rmst(self, horizon: float) -> float:
        """Restricted mean survival time: the area under the fitted curve from 0 to ``horizon``."""
        if not horizon > 0:
            raise ValueError(f"horizon must be > 0, not {horizon}")
        from scipy import integrate  # here: the figures draw curves without importing it

        value, _ = integrate.quad(
            lambda t: float(self.survival(np.array([t]))[0]),
            0.0,
            horizon,
            epsabs=0.0,
            epsrel=1e-12,
            limit=200,
        )
        return value


def survival_function(
    distribution: str, mu: float, sigma: float, q: float | None, times
) -> np.ndarray:
    """S(t) of a survreg-scale model (log T = mu + sigma W); S(0) = 1."""
    t = np.asarray(times, dtype=float)
    with np.errstate(divide="ignore"):
        w = (np.log(t) - mu) / sigma
    if distribution in ("exponential", "weibull"):
        s = np.exp(-np.exp(w))
    elif distribution == "lognormal":
        s = special.ndtr(-w)  # the normal survival function, as scipy.stats.norm.sf computes it
    elif distribution == "loglogistic":
        s = special.expit(-w)
    elif distribution == "gengamma":
        if q == 0:
            s = special.ndtr(-w)
        else:
            shape = 1.0 / q**2
            x = shape * np.exp(q * w)
            s = special.gammaincc(shape, x) if q > 0 else special.gammainc(shape, x)
    else:
        raise ValueError(f"unknown distribution {distribution!r}")
    return np.where(t <= 0, 1.0, s)


def mean_survival(distribution: str, mu: float, sigma: float, q: float | None) -> float:
    """Mean of T for a survreg-scale model, closed form; ``inf`` where the integral diverges.

    Exponential and Weibull exp(mu) Gamma(1 + sigma); log-normal exp(mu + sigma^2 / 2);
    log-logistic exp(mu) pi sigma / sin(pi sigma) for sigma < 1; generalised gamma
    exp(mu) k^(-sigma / Q) Gamma(k + sigma / Q) / Gamma(k) with k = 1 / Q^2, for k + sigma / Q > 0.
    """
    if distribution in ("exponential", "weibull"):
        return math.exp(mu) * math.gamma(1.0 + sigma)
    if distribution == "lognormal" or (distribution == "gengamma" and q == 0):
        return math.exp(mu + sigma**2 / 2.0)
    if distribution == "loglogistic":
        return math.exp(mu) * math.pi * sigma / math.sin(math.pi * sigma) if sigma < 1 else math.inf
    if distribution == "gengamma":
        k = 1.0 / q**2
        a = k + sigma / q
        if a <= 0:
            return math.inf
        return math.exp(mu - (sigma / q) * math.log(k) + special.gammaln(a) - special.gammaln(k))
    raise ValueError(f"unknown distribution {distribution!r}")


def _fitter(distribution: str):
    from lifelines import (
        ExponentialFitter,
        GeneralizedGammaFitter,
        LogLogisticFitter,
        LogNormalFitter,
        WeibullFitter,
    )

    return {
        "exponential": ExponentialFitter,
        "weibull": WeibullFitter,
        "lognormal": LogNormalFitter,
        "loglogistic": LogLogisticFitter,
        "gengamma": GeneralizedGammaFitter,
    }[distribution]()


def _survreg_scale(distribution: str, p: dict[str, float]) -> tuple[float, float, float | None]:
    if distribution == "exponential":
        return math.log(p["lambda_"]), 1.0, None
    if distribution == "weibull":
        return math.log(p["lambda_"]), 1.0 / p["rho_"], None
    if distribution == "lognormal":
        return p["mu_"], p["sigma_"], None
    if distribution == "loglogistic":
        return math.log(p["alpha_"]), 1.0 / p["beta_"], None
    return p["mu_"], math.exp(p["ln_sigma_"]), p["lambda_"]


def _lifelines_params(
    distribution: str, mu: float, sigma: float, q: float | None
) -> dict[str, float]:
    if distribution == "exponential":
        return {"lambda_": math.exp(mu)}
    if distribution == "weibull":
        return {"lambda_": math.exp(mu), "rho_": 1.0 / sigma}
    if distribution == "lognormal":
        return {"mu_": mu, "sigma_": sigma}
    if distribution == "loglogistic":
        return {"alpha_": math.exp(mu), "beta_": 1.0 / sigma}
    return {"mu_": mu, "ln_sigma_": math.log(sigma), "lambda_": q}


def fit_parametric(time, event, distribution: str) -> ParametricFit:
    """Fit one parametric model by maximum likelihood (lifelines), right-censored data.

    Times must be > 0 (as ``survreg``). A generalised gamma that does not converge comes back
    with ``converged=False`` (its numbers are then not to be used); the other families raise.
    """
    if distribution not in DISTRIBUTIONS:
        raise ValueError(
            f"distribution must be one of {', '.join(DISTRIBUTIONS)}, not {distribution!r}"
        )
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=float)
    if t.shape != e.shape or t.ndim != 1:
        raise ParametricFitError("time and event must be columns of the same length")
    if len(t) == 0 or np.isnan(t).any() or np.isnan(e).any():
        raise ParametricFitError(
            "parametric models need non-empty time and event columns without gaps"
        )
    if (t <= 0).any():
        raise ParametricFitError(
            f"parametric models need times > 0; {int((t <= 0).sum())} patient(s) have time <= 0"
        )
    if e.sum() < N_PARAMS[distribution]:
        raise ParametricFitError(
            f"{LABELS[distribution]}: {int(e.sum())} event(s), too few to fit {N_PARAMS[distribution]} parameter(s)"
        )
    best = None
    error = None
    # lifelines' optimiser stops short on some scales (see the module notes): fit on the time
    # unit as given and on times divided by their geometric mean c, keep the larger likelihood
    for scale in (1.0, float(np.exp(np.mean(np.log(t))))):
        fitter = _fitter(distribution)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fitter.fit(t / scale, e > 0, fit_options=dict(FIT_OPTIONS))
        except Exception as caught:  # lifelines raises its own ConvergenceError and plain errors
            error = caught
            continue
        mu, sigma, q = _survreg_scale(
            distribution, {k: float(v) for k, v in fitter.params_.items()}
        )
        # back to the original unit: log T = log c + log(T / c); each event's density gains 1 / c
        mu += math.log(scale)
        loglik = float(fitter.log_likelihood_) - e.sum() * math.log(scale)
        if np.isfinite([mu, sigma, loglik]).all() and (best is None or loglik > best[3]):
            best = (mu, sigma, q, loglik)
    if best is None:
        if distribution != "gengamma":
            raise ParametricFitError(f"{LABELS[distribution]}: the fit did not converge ({error})")
        nan = float("nan")
        return ParametricFit(distribution, len(t), int(e.sum()), nan, nan, nan, {}, nan, 3, False)
    mu, sigma, q, loglik = best
    params = _lifelines_params(distribution, mu, sigma, q)
    converged = True
    return ParametricFit(
        distribution=distribution,
        n=len(t),
        events=int(e.sum()),
        mu=mu,
        sigma=sigma,
        q=q,
        params=params,
        loglik=loglik,
        n_params=N_PARAMS[distribution],
        converged=converged,
    )


def fit_all(time, event, distributions=DISTRIBUTIONS) -> list[ParametricFit]:
    """Fit each of ``distributions`` to the same data (see :func:`fit_parametric`)."""
    return [fit_parametric(time, event, d) for d in distributions]
