"""Cox proportional-hazards regression as R ``coxph`` (survival 3.5), vectorised.

Partial likelihood with Efron (default) or Breslow ties, optional strata, fitted by Newton-Raphson
exactly as R's ``coxfit6``: start at beta = 0, full Newton steps, step-halving when the
log-likelihood decreases, stop when |1 - loglik_old / loglik_new| <= 1e-9 (``eps``) with at most 20
iterations (``iter.max``); the variance is the inverse information at the final beta. Wald CI and p.

Cost: one sort of the data (by stratum, then time), then per iteration reverse cumulative sums over
the risk sets (O(n p^2)) and an Efron correction vectorised over all events (each event gets its
fraction k/d within its tied group): no Python loop over patients or event times.

:func:`cox_zph` is the proportional-hazards test of ``cox.zph(fit, transform="km")`` (score test of
g(t) * x terms, per term and global); :func:`lr_test` compares nested fits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

EPS = 1e-9
ITER_MAX = 20
TOLER_INF = float(np.sqrt(EPS))


@dataclass
class CoxFit:
    names: list[str]
    coef: np.ndarray
    var: np.ndarray
    loglik0: float
    loglik: float
    iterations: int
    converged: bool
    n: int
    n_events: int
    ties: str
    infinite: np.ndarray  # R's "coefficient may be infinite" flag, per coefficient
    terms: dict[str, list[int]] = field(default_factory=dict)
    _data: _RiskSets | None = field(default=None, repr=False)

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.var))

    @property
    def hr(self) -> np.ndarray:
        return np.exp(self.coef)

    def ci(self, conf_level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Wald CI of the hazard ratio: exp(coef -/+ z se), as confint(coxph)."""
        from her2rwe.km import z_value

        z = z_value(conf_level)
        return np.exp(self.coef - z * self.se), np.exp(self.coef + z * self.se)

    @property
    def p(self) -> np.ndarray:
        """Wald p-value per coefficient, as summary(coxph)'s Pr(>|z|)."""
        from scipy.special import chdtrc

        return chdtrc(1, (self.coef / self.se) ** 2)


class _RiskSets:
    """Data sorted by (stratum, time) with the index structures of the risk sets and tied events."""

    def __init__(self, X: np.ndarray, time: np.ndarray, event: np.ndarray, strata: np.ndarray | None):
        n = len(time)
        s = np.zeros(n, dtype=np.int64) if strata is None else np.unique(strata, return_inverse=True)[1]
        order = np.lexsort((time, s))
        self.order = order
        self.X = X[order] - X.mean(axis=0)  # centring changes nothing but protects exp() from overflow
        self.time = time[order]
        self.event = event[order]
        self.strata = s[order]
        # stratum blocks (for the reverse cumulative sums)
        cut = np.flatnonzero(np.diff(self.strata)) + 1
        self.blocks = list(zip(np.r_[0, cut], np.r_[cut, n], strict=True))
        # tied groups: same stratum and time
        new = np.r_[True, (np.diff(self.strata) != 0) | (np.diff(self.time) != 0)]
        group = np.cumsum(new) - 1
        first_of_group = np.flatnonzero(new)
        ev = np.flatnonzero(self.event)
        self.ev = ev
        ev_group = group[ev]
        starts = np.r_[0, np.flatnonzero(np.diff(ev_group)) + 1]  # event groups in the event list
        self.ev_starts = starts
        d = np.diff(np.r_[starts, len(ev)])
        self.d = d
        self.group_of_event = np.repeat(np.arange(len(starts)), d)
        self.k = np.arange(len(ev)) - np.repeat(starts, d)  # rank within the tied events
        self.first = first_of_group[ev_group[starts]]  # first row of each event group's risk set
        p = X.shape[1]
        self.p = p
        self.iu = np.triu_indices(p)

    def moments(self, beta: np.ndarray, ties: str):
        """Per event: Efron-adjusted s0, means (nev x p) and second moments (nev x p x p)."""
        p = self.p
        eta = self.X @ beta
        w = np.exp(eta)
        iu0, iu1 = self.iu
        m = 1 + p + len(iu0)
        Z = np.empty((m, len(w)))
        Z[0] = w
        Z[1 : 1 + p] = (self.X * w[:, None]).T
        Z[1 + p :] = (self.X[:, iu0] * self.X[:, iu1] * w[:, None]).T
        E = np.add.reduceat(Z[:, self.ev], self.ev_starts, axis=1) if len(self.ev) else Z[:, :0]
        for a, b in self.blocks:  # reverse cumulative sums within each stratum, in place
            blk = Z[:, a:b][:, ::-1]
            np.cumsum(blk, axis=1, out=blk)
        R = Z[:, self.first]
        del Z
        gi = self.group_of_event
        if ties == "efron":
            frac = self.k / self.d[gi]
            S = R[:, gi] - frac * E[:, gi]
        else:
            S = R[:, gi]
        s0 = S[0]
        mean = (S[1 : 1 + p] / s0).T
        second = np.empty((len(s0), p, p))
        packed = (S[1 + p :] / s0).T
        second[:, iu0, iu1] = packed
        second[:, iu1, iu0] = packed
        return eta, s0, mean, second

    def evaluate(self, beta: np.ndarray, ties: str):
        """Log partial likelihood, score and information at beta."""
        eta, s0, mean, second = self.moments(beta, ties)
        loglik = float(eta[self.ev].sum() - np.log(s0).sum())
        score = self.X[self.ev].sum(axis=0) - mean.sum(axis=0)
        info = second.sum(axis=0) - mean.T @ mean
        return loglik, score, info


def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(a, b, rcond=None)[0]


def _inverse(a: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(a)


def cox_ph(
    X,
    time,
    event,
    strata=None,
    ties: str = "efron",
    names: list[str] | None = None,
    terms: dict[str, list[int]] | None = None,
    iter_max: int = ITER_MAX,
    eps: float = EPS,
    keep_data: bool = False,
) -> CoxFit:
    """Fit a Cox model as ``coxph(Surv(time, event) ~ X [+ strata(strata)], ties=ties)``.

    ``X`` is an (n, p) design matrix without intercept (factors already expanded into dummies).
    ``terms`` maps a term name to its columns (for cox_zph); default one term per column.
    Rows with any missing value must be removed by the caller.
    """
    if ties not in ("efron", "breslow"):
        raise ValueError(f"ties must be 'efron' or 'breslow', not {ties!r}")
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=float) > 0
    p = X.shape[1]
    names = list(names) if names is not None else [f"x{i + 1}" for i in range(p)]
    terms = terms or {nm: [i] for i, nm in enumerate(names)}
    rs = _RiskSets(X, t, e, None if strata is None else np.asarray(strata))

    beta = np.zeros(p)
    loglik, score, info = rs.evaluate(beta, ties)
    loglik0 = best = loglik
    newbeta = beta + _solve(info, score)
    halving = False
    converged = False
    it = 0
    for it in range(1, iter_max + 1):  # R coxfit6's main loop
        newlk, score, info = rs.evaluate(newbeta, ties)
        if np.isfinite(newlk) and abs(1 - best / newlk) <= eps and not halving:
            converged = True
            best = newlk
            break
        if it == iter_max:
            break
        if not np.isfinite(newlk) or newlk < best:
            halving = True
            newbeta = (newbeta + beta) / 2
        else:
            halving = False
            best = newlk
            beta = newbeta
            newbeta = newbeta + _solve(info, score)
    if not converged:
        best = newlk
    var = _inverse(info)
    coef = newbeta
    infs = np.abs(score @ var)
    infinite = (infs > eps) & (infs > TOLER_INF * np.abs(coef)) if converged else np.zeros(p, bool)
    return CoxFit(
        names=names,
        coef=coef,
        var=var,
        loglik0=float(loglik0),
        loglik=float(best),
        iterations=it,
        converged=converged,
        n=len(t),
        n_events=int(e.sum()),
        ties=ties,
        infinite=infinite,
        terms=terms,
        _data=rs if keep_data else None,
    )


def lr_test(reduced: CoxFit, full: CoxFit) -> tuple[float, int, float]:
    """Likelihood-ratio test of nested fits on the same rows: (chisq, df, p), as anova(f0, f1)."""
    from scipy.special import chdtrc

    chisq = 2 * (full.loglik - reduced.loglik)
    df = len(full.coef) - len(reduced.coef)
    return float(chisq), int(df), float(chdtrc(df, chisq)) if df > 0 else np.nan


def cox_zph(fit: CoxFit) -> dict[str, tuple[float, int, float]]:
    """Schoenfeld-residual PH test as survival 3.5's ``cox.zph(fit, transform="km")``.

    With g(t) = 1 - S(t-) (left-continuous KM of all rows, ignoring strata), centred on its mean over
    the events, it is the score test, at the fitted beta, of adding g(t) * x for the columns of a term
    (per term) or of every term (GLOBAL): U = sum over events g(t) (x - xbar(t)), and the information
    of (x, g x) is built from the Efron/Breslow-weighted risk-set covariances V(t):
    [[sum V, sum g V], [sum g V, sum g^2 V]]. Returns {term: (chisq, df, p)} plus "GLOBAL".
    The fit needs ``keep_data=True``.
    """
    from scipy.special import chdtrc

    from her2rwe.km import kaplan_meier

    rs = fit._data
    if rs is None:
        raise ValueError("fit the model with keep_data=True to test proportional hazards")
    p = len(fit.coef)
    km = kaplan_meier(rs.time, rs.event)
    idx = np.searchsorted(km.time, rs.time, side="left")  # KM times strictly before t
    ttimes = 1 - np.r_[1.0, km.surv][idx]
    g_all = ttimes - ttimes[rs.ev].mean()
    g = g_all[rs.ev]
    _, s0, mean, second = rs.moments(fit.coef, fit.ties)
    V = second - mean[:, :, None] * mean[:, None, :]
    u2 = (g[:, None] * (rs.X[rs.ev] - mean)).sum(axis=0)
    i11 = V.sum(axis=0)
    i12 = (g[:, None, None] * V).sum(axis=0)
    i22 = (g[:, None, None] ** 2 * V).sum(axis=0)
    imat = np.block([[i11, i12], [i12, i22]])
    u = np.r_[np.zeros(p), u2]
    out = {}
    for name, cols in fit.terms.items():
        kk = np.r_[np.arange(p), np.asarray(cols) + p]
        uu = u[kk]
        chisq = float(uu @ _solve(imat[np.ix_(kk, kk)], uu))
        out[name] = (chisq, len(cols), float(chdtrc(len(cols), chisq)))
    chisq = float(u @ _solve(imat, u))
    out["GLOBAL"] = (chisq, p, float(chdtrc(p, chisq)))
    return out
