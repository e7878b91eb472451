"""Propensity scores: logistic regression of the arm on the covariates, as R ``glm(family=binomial)``.

:func:`fit_logistic` is iteratively reweighted least squares with R's ``glm.fit`` start
(``mustart = (y + 0.5) / 2``), Fisher scoring (the canonical logit link, so also Newton) and a
tighter convergence rule than R's default (relative change of the deviance below 1e-12), so that the
coefficients equal ``glm(..., control = glm.control(epsilon = 1e-14))`` to about 1e-10 and R's
default fit to its own 1e-8. Each step solves the weighted least-squares problem by the normal
equations on equilibrated columns (Cholesky) rather than by R's QR: the same solution to about
1e-12 here, at a fraction of the cost for a million patients.

The score is P(non-reference arm | covariates). The design matrix comes in without an intercept
(categorical covariates already expanded with R's treatment contrasts: one 0/1 column per
non-reference level); the intercept is added here.

Separation: when a covariate (or a combination of them) predicts the arm perfectly, the maximum
likelihood estimate does not exist and IRLS walks off towards infinity. :func:`fit_logistic` raises
:class:`SeparationError` naming the cause instead of returning scores of 0 or 1: first by a direct
check of every 0/1 column (a level seen in one arm only), then by the fit itself (fitted
probabilities within 1e-12 of 0 or 1, or no convergence).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EPSILON = 1e-12
MAX_ITER = 100
PROB_EPS = 1e-12


class SeparationError(ValueError):
    """The arms are separated by the covariates: the propensity score is 0 or 1 for some patients."""


@dataclass(frozen=True)
class LogisticFit:
    names: list[str]  # "(Intercept)" first, then the design columns
    coef: np.ndarray
    var: np.ndarray
    fitted: np.ndarray  # P(y = 1 | x), in the input row order
    linear_predictor: np.ndarray
    deviance: float
    null_deviance: float
    iterations: int

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.var))


def check_separation(X: np.ndarray, y: np.ndarray, names: list[str]) -> None:
    """Raise SeparationError when a 0/1 column's ones (or zeros) all fall in one arm."""
    y = np.asarray(y) > 0
    for j, nm in enumerate(names):
        x = X[:, j]
        if not np.all((x == 0) | (x == 1)):
            continue
        for side in (1.0, 0.0):
            sel = x == side
            if sel.any() and (np.all(y[sel]) or not np.any(y[sel])):
                arm = "the non-reference arm" if np.all(y[sel]) else "the reference arm"
                what = "with" if side else "without"
                raise SeparationError(
                    f"complete separation: every patient {what} {nm} ({int(sel.sum())}) is in "
                    f"{arm}, so their propensity score is 0 or 1 and the weights are infinite; "
                    "drop or merge this covariate level"
                )


def fit_logistic(X, y, names: list[str] | None = None, eps: float = EPSILON) -> LogisticFit:
    """Logistic regression of y (0/1) on X (n, p, without intercept) by IRLS, as R glm.

    Rows with missing values must be removed by the caller. Raises SeparationError (see the
    module docstring) and ValueError for a singular design (a covariate that is constant or a
    linear combination of others).
    """
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    y = np.asarray(y, dtype=float)
    n, p = X.shape
    names = list(names) if names is not None else [f"x{i + 1}" for i in range(p)]
    if n == 0:
        raise ValueError("no patients to fit the propensity model")
    if y.min() == y.max():
        raise ValueError("the propensity model needs patients in both arms")
    check_separation(X, y, names)
    A = np.column_stack([np.ones(n), X])
    cross = A.T @ A
    scale = 1 / np.sqrt(np.diag(cross))
    eig = (
        np.linalg.eigvalsh(cross * scale[:, None] * scale[None, :])
        if np.all(np.isfinite(scale))
        else np.zeros(1)
    )
    if eig.min() <= 1e-10 * eig.max():
        raise ValueError(
            "the propensity model's covariates are collinear (a covariate is constant or a "
            "combination of others); drop one"
        )
    mu = (y + 0.5) / 2  # glm.fit's binomial mustart with unit weights
    eta = np.log(mu / (1 - mu))
    dev_old = np.inf
    dev = _deviance(y, mu)
    beta = np.zeros(p + 1)
    converged = False
    iterations = 0
    for it in range(1, MAX_ITER + 1):
        iterations = it
        w = mu * (1 - mu)  # mu.eta(eta)^2 / variance(mu) for the logit link
        z = eta + (y - mu) / w
        beta = _wls(A, w, z)
        eta = A @ beta
        with np.errstate(over="ignore"):
            mu = 1 / (1 + np.exp(-eta))
        if np.any(mu < PROB_EPS) or np.any(mu > 1 - PROB_EPS):
            break
        dev_old, dev = dev, _deviance(y, mu)
        if abs(dev - dev_old) / (abs(dev) + 0.1) < eps:
            converged = True
            break
    if not converged or np.any(mu < PROB_EPS) or np.any(mu > 1 - PROB_EPS):
        raise SeparationError(
            "complete or quasi-complete separation: the covariates predict the arm perfectly for "
            "some patients (fitted propensity scores of 0 or 1"
            + ("" if converged else f", no convergence in {MAX_ITER} iterations")
            + "); the weights would be infinite. Drop or merge covariates"
        )
    w = mu * (1 - mu)
    var = np.linalg.inv(A.T @ (A * w[:, None]))
    ybar = y.mean()
    return LogisticFit(
        names=["(Intercept)", *names],
        coef=beta,
        var=var,
        fitted=mu,
        linear_predictor=eta,
        deviance=float(dev),
        null_deviance=float(_deviance(y, np.full(n, ybar))),
        iterations=iterations,
    )


def _wls(A: np.ndarray, w: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Weighted least squares by the normal equations on equilibrated columns (Cholesky).

    The columns are scaled to unit weighted norm first, which keeps the condition number of the
    small (p+1)-square system near that of the design itself.
    """
    Aw = A * w[:, None]
    xtx = A.T @ Aw
    d = 1 / np.sqrt(np.diag(xtx))
    c = np.linalg.cholesky(xtx * d[:, None] * d[None, :])
    rhs = (Aw.T @ z) * d
    return d * np.linalg.solve(c.T, np.linalg.solve(c, rhs))


def _deviance(y: np.ndarray, mu: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(y > 0, np.log(mu), np.log1p(-mu))
    return float(-2 * terms.sum())
