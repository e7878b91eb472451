"""Parametric survival models for extrapolation: exponential, Weibull, log-normal, log-logistic and
generalised gamma, fitted by maximum likelihood to right-censored data.

Every model is reported on the accelerated-failure-time scale of R ``survreg``: log T = mu +
sigma W, with W extreme-value (exponential with sigma = 1, Weibull), normal (log-normal) or
logistic (log-logistic). The generalised gamma is Prentice's (1974) three-parameter form (mu,
sigma, Q), as flexsurv's ``gengamma``: Weibull at Q = 1, log-normal at Q = 0. The log-likelihood
is that of the event times (not of their logarithms), as ``survreg``'s ``loglik``.

Fitting. The exponential has a closed form: mu = log(sum of times / events). The other families
are fitted by Newton's method on theta = (mu, log sigma[, Q]), as survreg does, from starting
values taken from the moments of the log times (generalised gamma: from the fitted Weibull and
log-normal, and Q = -0.5, -1 at the Weibull's mu and sigma; the best converged fit is kept). With
z = (log t - mu) / sigma, an event adds log f_W(z) - log sigma - log t and a censored time
log S_W(z); the first and second derivatives in z are analytic, so are the gradient and Hessian in
(mu, log sigma). For the generalised gamma the derivatives in Q (which would need the derivative of
the incomplete gamma function in its shape) are central differences with Richardson extrapolation.
Each step solves (-H + lambda I) step = gradient, with lambda = 0 while -H is positive definite and
the log-likelihood rises (Levenberg-Marquardt damping otherwise). The fit has converged when the
largest gradient component is below ``GRADIENT_TOL`` or a full Newton step moves no parameter by
more than ``STEP_TOL``.
"""

from __future__ import annotations

import math
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
GRADIENT_TOL = 1e-10  # largest |d loglik / d theta| at the optimum
STEP_TOL = 1e-11  # or: a full Newton step moves no parameter by more than this
MAX_ITER = 100
HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
# the generalised gamma's starting values of Q besides the Weibull's 1 and log-normal's 0 (+-0.2)
GENGAMMA_Q_STARTS = (-0.5, -1.0)


class ParametricFitError(ValueError):
    """Data a parametric model cannot be fitted to, with a message a user can act on."""


@dataclass(frozen=True)
class ParametricFit:
    """One fitted model: survreg-scale parameters, the same in lifelines' parametrisation, and
    information criteria.

    BIC uses the number of patients, as R's ``BIC()`` on a ``survreg`` fit.
    """

    distribution: str
    n: int
    events: int
    mu: float
    sigma: float
    q: float | None  # generalised gamma shape; None for the two-parameter families
    params: dict[str, float]  # the same model in lifelines' parametrisation (its names), to compare
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
        return restricted_mean(self.distribution, self.mu, self.sigma, self.q, horizon)


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


def restricted_mean(
    distribution: str, mu: float, sigma: float, q: float | None, horizon: float
) -> float:
    """Area under S(t) from 0 to ``horizon`` (tau), closed form where one exists.

    RMST = tau S(tau) + E[T; T <= tau]. With w = (log tau - mu) / sigma: exponential and Weibull
    exp(mu) Gamma(1 + sigma) P(sigma, e^w) (P the regularised lower incomplete gamma);
    log-normal tau S(tau) + exp(mu + sigma^2 / 2) Phi(w - sigma); log-logistic (sigma < 1)
    tau S(tau) + exp(mu) B(1 + sigma, 1 - sigma) I_F(tau)(1 + sigma, 1 - sigma) (I the regularised
    incomplete beta); generalised gamma, with k = 1 / Q^2, a = k + sigma / Q > 0 and
    x = k exp(Q w): tau S(tau) + exp(mu) k^(-sigma / Q) Gamma(a) / Gamma(k) times P(a, x) (Q > 0)
    or 1 - P(a, x) (Q < 0). Otherwise (log-logistic with sigma >= 1, generalised gamma with
    a <= 0: no mean) adaptive quadrature to a relative 1e-12.
    """
    if not horizon > 0:
        raise ValueError(f"horizon must be > 0, not {horizon}")
    w = (math.log(horizon) - mu) / sigma
    if distribution in ("exponential", "weibull"):
        return math.exp(mu) * math.gamma(1.0 + sigma) * float(special.gammainc(sigma, math.exp(w)))
    if distribution == "lognormal" or (distribution == "gengamma" and q == 0):
        tail = math.exp(mu + sigma**2 / 2.0) * float(special.ndtr(w - sigma))
        return horizon * float(special.ndtr(-w)) + tail
    if distribution == "loglogistic" and sigma < 1:
        beta = math.pi * sigma / math.sin(math.pi * sigma)  # B(1 + sigma, 1 - sigma)
        part = float(special.betainc(1.0 + sigma, 1.0 - sigma, special.expit(w)))
        return horizon * float(special.expit(-w)) + math.exp(mu) * beta * part
    if distribution == "gengamma":
        k = 1.0 / q**2
        a = k + sigma / q
        if a > 0:
            x = k * math.exp(q * w)
            scale = math.exp(
                mu - (sigma / q) * math.log(k) + special.gammaln(a) - special.gammaln(k)
            )
            part = special.gammainc(a, x) if q > 0 else special.gammaincc(a, x)
            s_tau = special.gammaincc(k, x) if q > 0 else special.gammainc(k, x)
            return horizon * float(s_tau) + scale * float(part)
    elif distribution != "loglogistic":
        raise ValueError(f"unknown distribution {distribution!r}")
    from scipy import integrate  # only here: the closed forms above cover the usual cases

    value, _ = integrate.quad(
        lambda t: float(survival_function(distribution, mu, sigma, q, np.array([t]))[0]),
        0.0,
        horizon,
        epsabs=0.0,
        epsrel=1e-12,
        limit=200,
    )
    return value


def _stirling_rest(k: float) -> float:
    """k log k - k - log Gamma(k): the Stirling series for large k, where the direct difference
    of three large numbers would lose digits (k = 1 / Q^2 grows without bound as Q -> 0)."""
    if k < 100.0:
        return k * math.log(k) - k - math.lgamma(k)
    return (
        0.5 * math.log(k) - HALF_LOG_2PI - 1.0 / (12.0 * k) + 1.0 / (360.0 * k**3)
        - 1.0 / (1260.0 * k**5)
    )  # fmt: skip


def _terms(distribution: str, z: np.ndarray, event: np.ndarray, q: float | None):
    """Per patient: the log-likelihood term in z = (log t - mu) / sigma (event: log f_W(z),
    censored: log S_W(z)) and its first and second derivatives in z."""
    if distribution == "weibull":
        ez = np.exp(z)
        value = np.where(event, z - ez, -ez)
        return value, np.where(event, 1.0 - ez, -ez), -ez
    censored = ~event  # log S and the hazard only where needed: the costly functions
    if distribution == "lognormal":
        value, d1, d2 = -0.5 * z * z - HALF_LOG_2PI, -z, np.full(len(z), -1.0)
        zc = z[censored]
        with np.errstate(divide="ignore"):
            log_s = special.log_ndtr(-zc)
        hazard = np.exp(value[censored] - log_s)  # d log S / dz = -hazard
        value[censored], d1[censored], d2[censored] = log_s, -hazard, -hazard * (hazard - zc)
        return value, d1, d2
    if distribution == "loglogistic":
        p = special.expit(z)
        pq = p * special.expit(-z)
        log_s = -np.logaddexp(0.0, z)
        return (
            np.where(event, z + 2.0 * log_s, log_s),
            np.where(event, 1.0 - 2.0 * p, -p),
            np.where(event, -2.0 * pq, -pq),
        )
    # generalised gamma, Q != 0: k = 1 / Q^2, u = Q z, x = k exp(u) is Gamma(k, 1);
    # log f_W = k log k + z / Q - x + log|Q| - log Gamma(k), written so that it keeps its digits
    # as Q -> 0 (the log-normal limit): Stirling's rest - k (expm1(u) - u) + log|Q|
    k = 1.0 / (q * q)
    u = q * z
    em1 = np.expm1(u)
    log_f = _stirling_rest(k) - k * (em1 - u) + math.log(abs(q))
    x = k * np.exp(u)  # not k (em1 + 1): x must keep its digits where u is far below 0
    d1, d2 = -em1 / q, -q * q * x  # events: d2 = -exp(u)
    xc = x[censored]
    with np.errstate(divide="ignore"):
        log_s = np.log(special.gammaincc(k, xc) if q > 0 else special.gammainc(k, xc))
    hazard = np.exp(log_f[censored] - log_s)
    value = log_f.copy()
    value[censored], d1[censored] = log_s, -hazard
    d2[censored] = -hazard * (q * (k - xc) + hazard)
    return value, d1, d2


class _Likelihood:
    """The log-likelihood of one family in theta = (mu, log sigma[, Q]), as survreg's loglik."""

    def __init__(self, distribution: str, t: np.ndarray, event: np.ndarray):
        self.distribution = distribution
        self.log_t = np.log(t)
        self.event = event
        self.events = float(event.sum())
        self.sum_log_t_events = float(self.log_t[event].sum())

    def _z(self, theta):
        sigma = math.exp(theta[1])
        return (self.log_t - theta[0]) / sigma, sigma

    def value(self, theta) -> float:
        z, _ = self._z(theta)
        q = theta[2] if len(theta) == 3 else None
        if q == 0.0:
            return -math.inf
        terms, _, _ = _terms(self.distribution, z, self.event, q)
        total = float(terms.sum()) - self.events * theta[1] - self.sum_log_t_events
        return total if math.isfinite(total) else -math.inf

    def derivatives(self, theta) -> tuple[float, np.ndarray, np.ndarray]:
        """Log-likelihood, gradient and Hessian in (mu, log sigma) at fixed Q (if any)."""
        z, sigma = self._z(theta)
        q = theta[2] if len(theta) == 3 else None
        if q == 0.0:
            return -math.inf, np.full(2, np.nan), np.full((2, 2), np.nan)
        terms, d1, d2 = _terms(self.distribution, z, self.event, q)
        value = float(terms.sum()) - self.events * theta[1] - self.sum_log_t_events
        zd1, zd2 = z * d1, z * d2
        s1, sz1, s2, sz2, szz2 = d1.sum(), zd1.sum(), d2.sum(), zd2.sum(), (z * zd2).sum()
        gradient = np.array([-s1 / sigma, -sz1 - self.events])
        hessian = np.array([[s2 / sigma**2, (sz2 + s1) / sigma], [(sz2 + s1) / sigma, sz1 + szz2]])
        return (value if math.isfinite(value) else -math.inf), gradient, hessian

    def full(self, theta) -> tuple[float, np.ndarray, np.ndarray]:
        """Log-likelihood, gradient and Hessian in all of theta. For the generalised gamma the
        derivatives in Q are central differences (step h and h / 2, Richardson-extrapolated for the
        first derivative)."""
        value, g2, h2 = self.derivatives(theta)
        if len(theta) == 2 or not math.isfinite(value):
            return value, g2, h2
        q = theta[2]
        h = min(1e-3, abs(q) / 4.0)
        shifted = {}
        for step in (h, -h, h / 2, -h / 2):
            th = np.array([theta[0], theta[1], q + step])
            shifted[step] = self.derivatives(th)
        if not all(math.isfinite(v[0]) for v in shifted.values()):
            return -math.inf, np.full(3, np.nan), np.full((3, 3), np.nan)
        d_h = (shifted[h][0] - shifted[-h][0]) / (2 * h)
        d_half = (shifted[h / 2][0] - shifted[-h / 2][0]) / h
        g_q = (4.0 * d_half - d_h) / 3.0
        cross = (shifted[h / 2][1] - shifted[-h / 2][1]) / h
        h_qq = (shifted[h / 2][0] - 2.0 * value + shifted[-h / 2][0]) / (h / 2) ** 2
        gradient = np.append(g2, g_q)
        hessian = np.empty((3, 3))
        hessian[:2, :2] = h2
        hessian[:2, 2] = hessian[2, :2] = cross
        hessian[2, 2] = h_qq
        return value, gradient, hessian


def _newton(lik: _Likelihood, theta) -> tuple[np.ndarray, float, bool]:
    """Maximise ``lik`` from ``theta``: (theta, log-likelihood, converged)."""
    theta = np.asarray(theta, dtype=float)
    value, gradient, hessian = lik.full(theta)
    if not math.isfinite(value):
        return theta, value, False
    damping = 0.0
    for _ in range(MAX_ITER):
        if np.max(np.abs(gradient)) <= GRADIENT_TOL:
            return theta, value, True
        information = -hessian
        scale = max(float(np.max(np.abs(np.diag(information)))), 1e-8)
        while True:
            try:
                a = information + damping * scale * np.eye(len(theta))
                np.linalg.cholesky(a)  # positive definite, else more damping
                step = np.linalg.solve(a, gradient)
            except np.linalg.LinAlgError:
                damping = max(4.0 * damping, 1e-6)
                if damping > 1e12:
                    return theta, value, False
                continue
            trial = theta + step
            new_value = lik.value(trial)
            if damping == 0.0 and np.max(np.abs(step)) <= STEP_TOL:
                return trial if new_value >= value else theta, max(value, new_value), True
            # accept a rise, or no fall beyond rounding (the last steps near the optimum)
            if new_value >= value - 1e-13 * abs(value):
                break
            damping = max(4.0 * damping, 1e-6)
            if damping > 1e12:
                return theta, value, False
        theta = trial
        value, gradient, hessian = lik.full(theta)
        if not math.isfinite(value):
            return theta, value, False
        damping = 0.0 if damping <= 1e-6 else damping / 10.0
    return theta, value, False


def _start(distribution: str, log_t: np.ndarray, event: np.ndarray) -> np.ndarray:
    """Starting (mu, log sigma): the moments of the log times, matched to the family's W."""
    sd = float(np.std(log_t)) if len(log_t) > 1 else 0.0
    sd = sd if sd > 0 else 1.0
    if distribution == "weibull":
        sigma = sd * math.sqrt(6.0) / math.pi
        # mu that maximises the likelihood at this sigma: sigma log(sum t^(1/sigma) / events)
        mu = sigma * (special.logsumexp(log_t / sigma) - math.log(event.sum()))
        return np.array([mu, math.log(sigma)])
    sigma = sd if distribution == "lognormal" else sd * math.sqrt(3.0) / math.pi
    return np.array([float(np.mean(log_t)), math.log(sigma)])


def _lifelines_params(
    distribution: str, mu: float, sigma: float, q: float | None
) -> dict[str, float]:
    """The fitted model in lifelines' parametrisation: exponential lambda_ = exp(mu); Weibull
    lambda_ = exp(mu), rho_ = 1 / sigma; log-normal mu_, sigma_; log-logistic alpha_ = exp(mu),
    beta_ = 1 / sigma; generalised gamma mu_, ln_sigma_ = log(sigma), lambda_ = Q."""
    if distribution == "exponential":
        return {"lambda_": math.exp(mu)}
    if distribution == "weibull":
        return {"lambda_": math.exp(mu), "rho_": 1.0 / sigma}
    if distribution == "lognormal":
        return {"mu_": mu, "sigma_": sigma}
    if distribution == "loglogistic":
        return {"alpha_": math.exp(mu), "beta_": 1.0 / sigma}
    return {"mu_": mu, "ln_sigma_": math.log(sigma), "lambda_": q}


def _fit(distribution: str, t: np.ndarray, event: np.ndarray):
    """(mu, sigma, q, loglik) of the maximum, or None where the fit does not converge."""
    if distribution == "exponential":
        # closed form: mu = log(sum t / d); loglik = sum over events of (log t - mu) - sum t / exp(mu)
        # - sum over events of log t = -d (mu + 1)
        d = float(event.sum())
        mu = math.log(float(t.sum()) / d)
        return mu, 1.0, None, -d * (mu + 1.0)
    if distribution != "gengamma":
        lik = _Likelihood(distribution, t, event)
        theta, value, ok = _newton(lik, _start(distribution, lik.log_t, event))
        if not ok or not np.isfinite(theta).all():
            return None
        return float(theta[0]), math.exp(theta[1]), None, value
    starts = []
    for family, qs in (("weibull", (1.0, *GENGAMMA_Q_STARTS)), ("lognormal", (0.2, -0.2))):
        fit = _fit(family, t, event)
        if fit is not None:
            starts += [(fit[0], math.log(fit[1]), q0) for q0 in qs]
    lik = _Likelihood("gengamma", t, event)
    best = None
    for start in starts:
        theta, value, ok = _newton(lik, start)
        if ok and np.isfinite(theta).all() and (best is None or value > best[3]):
            best = (float(theta[0]), math.exp(theta[1]), float(theta[2]), value)
    return best


def fit_parametric(time, event, distribution: str) -> ParametricFit:
    """Fit one parametric model by maximum likelihood, right-censored data (see the module notes).

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
    with np.errstate(all="ignore"):  # a diverging step is refused by its -inf or nan likelihood
        best = _fit(distribution, t, e > 0)
    if best is None:
        if distribution != "gengamma":
            raise ParametricFitError(
                f"{LABELS[distribution]}: the fit did not converge (no finite maximum of the "
                "likelihood found)"
            )
        nan = float("nan")
        return ParametricFit(distribution, len(t), int(e.sum()), nan, nan, nan, {}, nan, 3, False)
    mu, sigma, q, loglik = best
    return ParametricFit(
        distribution=distribution,
        n=len(t),
        events=int(e.sum()),
        mu=mu,
        sigma=sigma,
        q=q,
        params=_lifelines_params(distribution, mu, sigma, q),
        loglik=loglik,
        n_params=N_PARAMS[distribution],
        converged=True,
    )


def fit_all(time, event, distributions=DISTRIBUTIONS) -> list[ParametricFit]:
    """Fit each of ``distributions`` to the same data (see :func:`fit_parametric`)."""
    return [fit_parametric(time, event, d) for d in distributions]
