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
    naive_var: np.ndarray | None = None  # with a cluster: the model-based variance (var is robust)
    terms: dict[str, list[int]] = field(default_factory=dict)
    _data: _RiskSets | None = field(default=None, repr=False)
    _final: tuple | None = field(default=None, repr=False)  # (information, parts) at coef

    # an infinite coefficient (R: "may be infinite") overflows exp() to inf, as in R: no warning

    @property
    def se(self) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return np.sqrt(np.diag(self.var))

    @property
    def hr(self) -> np.ndarray:
        with np.errstate(over="ignore"):
            return np.exp(self.coef)

    def ci(self, conf_level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Wald CI of the hazard ratio: exp(coef -/+ z se), as confint(coxph)."""
        from her2rwe.stats.km import z_value

        z = z_value(conf_level)
        with np.errstate(over="ignore", invalid="ignore"):
            return np.exp(self.coef - z * self.se), np.exp(self.coef + z * self.se)

    @property
    def p(self) -> np.ndarray:
        """Wald p-value per coefficient, as summary(coxph)'s Pr(>|z|)."""
        from her2rwe.stats.km import chisq_sf

        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            z2s = (self.coef / self.se) ** 2
        return np.array([chisq_sf(z2, 1) for z2 in z2s])


class RiskSetIndex:
    """The sort order and tied-group structure of (time, event, strata, weights), without covariates.

    Fits on the same rows that differ only in their covariates (a table's univariable and
    multivariable models) can share one: build it with :func:`risk_set_index` and pass it to
    :func:`cox_ph` as ``index``; the sort and the group bookkeeping are then done once. It also keeps
    cox.zph's time transform, which depends on the rows only.
    """

    def __init__(
        self,
        time: np.ndarray,
        event: np.ndarray,
        strata: np.ndarray | None,
        weights: np.ndarray | None = None,
    ):
        n = len(time)
        s = (
            np.zeros(n, dtype=np.int8)
            if strata is None
            else np.unique(strata, return_inverse=True)[1]
        )
        order = np.lexsort((time, s)) if strata is not None else np.argsort(time)
        self.n = n
        self.order = order
        self.time = time[order]
        self.event = event[order]
        self.stratified = strata is not None
        self.strata = s[order]
        cut = np.flatnonzero(np.diff(self.strata)) + 1
        self.blocks = list(zip(np.r_[0, cut], np.r_[cut, n], strict=True))
        new = np.r_[True, (np.diff(self.strata) != 0) | (np.diff(self.time) != 0)]
        self.group_starts = np.flatnonzero(new)  # every tied group, with or without events
        group = np.cumsum(new) - 1
        ev = np.flatnonzero(self.event)
        self.ev = ev
        ev_group = group[ev]
        starts = np.r_[0, np.flatnonzero(np.diff(ev_group)) + 1] if len(ev) else np.zeros(0, int)
        self.ev_starts = starts  # event groups, as offsets into the event list
        self.d = np.diff(np.r_[starts, len(ev)])
        self.ev_group = ev_group[starts]  # tied-group number of each event group
        self.first = self.group_starts[self.ev_group]  # first row of each event group
        self.k = np.arange(len(ev)) - np.repeat(starts, self.d)
        self.gi = np.repeat(np.arange(len(self.d)), self.d)  # event group of each event
        self.ev_first = ev[starts]  # first event row of each event group
        self.ev_extra = ev[self.k > 0]  # the other tied events
        self.frac = self.k / np.repeat(self.d, self.d)
        self.multi = np.flatnonzero(self.d > 1)  # event groups with tied events
        self.in_multi = self.d[self.gi] > 1  # events in such groups
        # case weights c (coxph's weights=): risk-set sums use c exp(eta); each tied group's terms
        # are scaled by the mean weight of its events (R coxfit6's meanwt)
        self.cw = None if weights is None else np.asarray(weights, dtype=float)[order]
        if self.cw is None:
            self.meanwt = np.ones(len(self.d))
        else:
            self.meanwt = np.add.reduceat(self.cw[ev], starts) / self.d if len(ev) else np.zeros(0)
        # with continuous times most event groups are single events: skip the reductions then
        self.ev_single = bool(np.all(self.d == 1))
        self._zph_time: np.ndarray | None = None

    def zph_time(self) -> np.ndarray:
        """cox.zph's transform 1 - S(t-) per event group, centred on its mean over the events."""
        if self._zph_time is None:
            from her2rwe.stats.km import kaplan_meier, surv_before_sorted

            if not self.stratified:  # sorted by time already
                before = surv_before_sorted(self.time, self.event)
            else:  # sorted within strata: the KM of all rows sorts again
                km = kaplan_meier(self.time, self.event, fix_times=False)
                before = np.r_[1.0, km.surv][np.searchsorted(km.time, self.time, side="left")]
            ttimes = 1 - before
            self._zph_time = (ttimes - ttimes[self.ev].mean())[self.first]
        return self._zph_time


def risk_set_index(time, event, strata=None, weights=None, fix_times: bool = True) -> RiskSetIndex:
    """A :class:`RiskSetIndex` of complete rows (no missing time, event, strata or weight), for
    several :func:`cox_ph` calls on the same rows."""
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=float)
    if np.isnan(t).any() or np.isnan(e).any():
        raise ValueError("risk_set_index takes complete rows only")
    if fix_times:  # coxph.control(timefix = TRUE)
        from her2rwe.stats.km import timefix

        t = timefix(t)
    cw = None if weights is None else np.asarray(weights, dtype=float)
    if cw is not None and (cw.shape != t.shape or np.any(~np.isfinite(cw)) or np.any(cw < 0)):
        raise ValueError("weights must be finite, >= 0 and one per row")
    return RiskSetIndex(t, e > 0, None if strata is None else np.asarray(strata), cw)


class _RiskSets:
    """Data sorted by (stratum, time), with the index structures of the risk sets and tied events.

    Every per-event sum of the partial likelihood is reduced to per-group scalars. For a tied group g
    (d_g events at one time in one stratum) with risk-set sums S0, S1, S2 (of w, w x, w x x') and
    event sums E0, E1, E2, Efron's k-th event (k = 0..d-1, f = k/d) has s0_k = S0 - f E0 and mean
    m_k = (S1 - f E1) / s0_k. With a = sum_k 1/s0_k, b = sum_k f/s0_k and c_j = sum_k f^j / s0_k^2:

        sum_k m_k            = a S1 - b E1
        sum_k S2_k / s0_k    = a S2 - b E2
        sum_k m_k m_k'       = c0 S1 S1' - c1 (S1 E1' + E1 S1') + c2 E1 E1'

    and sum_g h_g (a_g S2_g - b_g E2_g) = X' diag(w (A - B)) X, where A_i sums h_g a_g over the risk
    sets that hold row i and B_i = h_g b_g on the event rows of group g. So only S0 and S1 need
    cumulative sums and the second moments are one weighted X'X. Breslow is f = 0.
    The row structures come from a :class:`RiskSetIndex` (shared by fits on the same rows).
    """

    def __init__(self, X: np.ndarray, index: RiskSetIndex):
        self.__dict__.update(vars(index))  # the index's arrays, by reference (read only here)
        self.index = index
        self.X = X[index.order]
        self.X -= self.X.mean(axis=0)  # centring changes nothing but protects exp() from overflow
        self.p = X.shape[1]
        ev = self.ev
        if self.cw is None:
            self.x_events = self.X[ev].sum(axis=0)
        else:
            self.x_events = self.cw[ev] @ self.X[ev]

    def _risk_sums(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sums of w and w x over the risk set of each event group (stratum-wise): S0, S1.

        The reverse cumulative sum over rows (within each stratum), read at each event group's
        first row. Overwrites v.
        """
        for a, b in self.blocks:
            blk = v[a:b][::-1]
            np.cumsum(blk, axis=0, out=blk)
        rows = v[self.first]
        return rows[:, 0], rows[:, 1:]

    def _event_sums(self, v: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
        """Sums of the rows of v over the tied events of each event group (or of `groups`)."""
        if groups is None:
            out = v[self.ev_first]
            if self.ev_extra.size:
                np.add.at(out, self.gi[self.k > 0], v[self.ev_extra])
            return out
        rows = self.ev[self.in_multi]
        starts = np.r_[0, np.cumsum(self.d[groups])[:-1]]
        return np.add.reduceat(v[rows], starts, axis=0)

    def _row_cumsum(self, per_group: np.ndarray) -> np.ndarray:
        """A_i = sum of per-group values over the event groups whose risk set holds row i."""
        z = np.zeros(len(self.time))
        z[self.first] = per_group
        for a, b in self.blocks:
            np.cumsum(z[a:b], out=z[a:b])
        return z

    def evaluate(self, beta: np.ndarray, ties: str, full: bool = False):
        """Log partial likelihood, score and information at beta (and the pieces for cox_zph).

        Efron's correction only touches groups with tied events (f = 0 for the first event of a
        group), so the event sums E and the b, c1, c2 terms are kept for those groups only.
        """
        eta = self.X @ beta
        w = np.exp(eta)
        if self.cw is not None:
            w *= self.cw
        v = np.empty((len(w), 1 + self.p))
        v[:, 0] = w
        np.multiply(self.X, w[:, None], out=v[:, 1:])
        efron = ties == "efron" and not self.ev_single
        if efron:  # sums over the tied events, before v is overwritten
            Ev = self._event_sums(v, self.multi)
            E0, E1 = Ev[:, 0], np.ascontiguousarray(Ev[:, 1:])
        S0, S1 = self._risk_sums(v)
        del v
        s0 = S0[self.gi] if not self.ev_single else S0
        if efron:
            f = self.frac[self.in_multi]
            s0[self.in_multi] -= f * np.repeat(E0, self.d[self.multi])
        inv = 1 / s0
        if self.ev_single:
            red = lambda v: v  # noqa: E731
        elif len(self.ev):
            red = lambda v: np.add.reduceat(v, self.ev_starts)  # noqa: E731
        else:
            red = lambda v: v[:0]  # noqa: E731
        inv2 = inv * inv
        parts = {"a": red(inv), "c0": red(inv2), "S1": S1, "E1": None, "w": w}
        if efron:
            mstarts = np.r_[0, np.cumsum(self.d[self.multi])[:-1]]
            im, im2 = inv[self.in_multi], inv2[self.in_multi]
            parts.update(
                E1=E1,
                b=np.add.reduceat(f * im, mstarts),
                c1=np.add.reduceat(f * im2, mstarts),
                c2=np.add.reduceat(f * f * im2, mstarts),
            )
        if self.cw is None:
            loglik = float(eta[self.ev].sum() - np.log(s0).sum())
            score = self.x_events - self._sum_means(parts)
        else:
            mw = self.meanwt if self.ev_single else self.meanwt[self.gi]
            loglik = float(self.cw[self.ev] @ eta[self.ev] - mw @ np.log(s0))
            score = self.x_events - self._sum_means(parts, self.meanwt)
        info = self.weighted_info(parts, self.meanwt)
        return (loglik, score, info, parts) if full else (loglik, score, info)

    def _sum_means(self, parts, h=None) -> np.ndarray:
        a = parts["a"] if h is None else parts["a"] * h
        out = parts["S1"].T @ a
        if parts["E1"] is not None:
            b = parts["b"] if h is None else parts["b"] * h[self.multi]
            out -= parts["E1"].T @ b
        return out

    def weighted_info(self, parts, h: np.ndarray) -> np.ndarray:
        """sum over event groups of h_g * sum_k V_k (Efron/Breslow risk-set covariances)."""
        S1, E1 = parts["S1"], parts["E1"]
        weight = self._row_cumsum(h * parts["a"])
        if E1 is not None:
            hm = h[self.multi]
            weight[self.ev[self.in_multi]] -= np.repeat(hm * parts["b"], self.d[self.multi])
        weight *= parts["w"]
        second = self.X.T @ (self.X * weight[:, None])
        means = S1.T @ (S1 * (h * parts["c0"])[:, None])
        if E1 is not None:
            Sm = S1[self.multi]
            cross = Sm.T @ (E1 * (hm * parts["c1"])[:, None])
            means += E1.T @ (E1 * (hm * parts["c2"])[:, None]) - cross - cross.T
        return second - means

    def score_residuals(self, parts) -> np.ndarray:
        """Score residuals per row (sorted order), as ``residuals(coxph, type = "score")``.

        For row i with risk score r_i = exp(eta_i) (centred X), summing over the event groups g
        whose risk set holds i, with meanwt h_g, Efron fractions f_k = k/d_g, s0_k and means m_k:

            U_i = e_i (x_i - mean_k m_k)
                  - r_i sum_g h_g sum_k (1 - f_k [i an event of g]) (x_i - m_k) / s0_k

        (R's coxscore2). The per-group sums sum_k 1/s0_k = a, sum_k f_k/s0_k = b,
        sum_k m_k/s0_k = c0 S1 - c1 E1 and sum_k f_k m_k/s0_k = c1 S1 - c2 E1 make it two
        cumulative sums over the rows. The row sums sum_i c_i U_i equal the score.
        """
        h = self.meanwt
        S1, E1 = parts["S1"], parts["E1"]
        coef_a = self._row_cumsum(h * parts["a"])
        mk = S1 * (h * parts["c0"])[:, None]  # sum_k m_k / s0_k, per event group, times h
        sum_m = S1 * parts["a"][:, None]  # sum_k m_k
        if E1 is not None:
            hm = h[self.multi]
            mk[self.multi] -= E1 * (hm * parts["c1"])[:, None]
            sum_m[self.multi] -= E1 * parts["b"][:, None]
        coef_b = np.column_stack([self._row_cumsum(mk[:, j]) for j in range(self.p)])
        if E1 is not None:
            rows = self.ev[self.in_multi]
            reps = self.d[self.multi]
            coef_a[rows] -= np.repeat(hm * parts["b"], reps)
            fm = S1[self.multi] * parts["c1"][:, None] - E1 * parts["c2"][:, None]
            coef_b[rows] -= np.repeat(fm * hm[:, None], reps, axis=0)
        r = parts["w"] if self.cw is None else parts["w"] / np.where(self.cw > 0, self.cw, 1)
        resid = -r[:, None] * (self.X * coef_a[:, None] - coef_b)
        mbar = sum_m / self.d[:, None]
        resid[self.ev] += self.X[self.ev] - mbar[self.gi]
        return resid


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
    fix_times: bool = True,
    weights=None,
    cluster=None,
    index: RiskSetIndex | None = None,
) -> CoxFit:
    """Fit a Cox model as ``coxph(Surv(time, event) ~ X [+ strata(strata)], ties=ties)``.

    ``X`` is an (n, p) design matrix without intercept (factors already expanded into dummies).
    ``terms`` maps a term name to its columns (for cox_zph); default one term per column.
    Rows with a missing value (in X, time, event, strata, weights or cluster) are dropped, as R's
    default ``na.action`` does; ``n`` counts the rows used.

    ``weights``: case weights, as ``coxph(..., weights = w)`` (Efron's tied-event terms scaled by
    the mean weight of the tied events, as R). ``cluster``: one label per row; then ``var`` is the
    robust (sandwich) variance of ``coxph(..., cluster = id)``, D'D with D the weighted dfbeta
    residuals summed within clusters, and ``naive_var`` the model-based one. With weights that are
    not frequencies (propensity-score weights) give a cluster per patient.

    ``index``: a :func:`risk_set_index` of these same rows (time, event, strata, weights, with
    ``fix_times`` applied as there), shared by several fits; the rows of ``X`` must then be complete.
    The fit is the same as without it.
    """
    if ties not in ("efron", "breslow"):
        raise ValueError(f"ties must be 'efron' or 'breslow', not {ties!r}")
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    if index is not None:
        if X.shape[0] != index.n or np.isnan(X).any():
            raise ValueError("with an index, X must hold the index's rows, all complete")
        return _fit(X, index, ties, names, terms, iter_max, eps, keep_data, cluster)
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=float)
    keep = ~(np.isnan(X).any(axis=1) | np.isnan(t) | np.isnan(e))
    if strata is not None or weights is not None or cluster is not None:
        import pandas as pd

        for extra in (strata, weights, cluster):
            if extra is not None:
                keep &= ~np.asarray(pd.isna(np.asarray(extra)), dtype=bool)
    if not keep.all():  # complete rows only (copies: not when every row is complete)
        X, t, event = X[keep], t[keep], e[keep]
        strata = None if strata is None else np.asarray(strata)[keep]
        weights = None if weights is None else np.asarray(weights)[keep]
        cluster = None if cluster is None else np.asarray(cluster)[keep]
    index = risk_set_index(t, event, strata, weights, fix_times)
    return _fit(X, index, ties, names, terms, iter_max, eps, keep_data, cluster)


def _fit(X, index, ties, names, terms, iter_max, eps, keep_data, cluster) -> CoxFit:
    """Newton-Raphson of R's coxfit6 on complete rows sorted by ``index``."""
    p = X.shape[1]
    names = list(names) if names is not None else [f"x{i + 1}" for i in range(p)]
    terms = terms or {nm: [i] for i, nm in enumerate(names)}
    rs = _RiskSets(X, index)

    beta = np.zeros(p)
    loglik, score, info = rs.evaluate(beta, ties)
    loglik0 = best = loglik
    newbeta = beta + _solve(info, score)
    halving = False
    converged = False
    it = 0
    for it in range(1, iter_max + 1):  # R coxfit6's main loop
        parts = None  # free the previous iteration's arrays first
        newlk, score, info, parts = rs.evaluate(newbeta, ties, full=True)
        # C semantics of R's coxfit6: best / 0 is inf or NaN (not converged), never an exception
        ratio = best / newlk if newlk != 0 else (np.nan if best == 0 else np.inf)
        if np.isfinite(newlk) and abs(1 - ratio) <= eps and not halving:
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
    naive_var = None
    if cluster is not None:
        naive_var = var
        var = _robust_var(rs, parts, var, np.asarray(cluster))
    return CoxFit(
        names=names,
        coef=coef,
        var=var,
        loglik0=float(loglik0),
        loglik=float(best),
        iterations=it,
        converged=converged,
        n=index.n,
        n_events=int(index.event.sum()),
        ties=ties,
        infinite=infinite,
        naive_var=naive_var,
        terms=terms,
        _data=rs if keep_data else None,
        _final=(info, parts) if keep_data else None,
    )


def _robust_var(rs: _RiskSets, parts, var: np.ndarray, cluster: np.ndarray) -> np.ndarray:
    """Sandwich variance: crossprod of the weighted dfbeta residuals summed within clusters."""
    dfbeta = rs.score_residuals(parts) @ var
    if rs.cw is not None:
        dfbeta *= rs.cw[:, None]
    _, codes = np.unique(cluster[rs.order], return_inverse=True)
    if codes.max() + 1 < len(codes):  # some clusters hold several rows
        dfbeta = np.column_stack([np.bincount(codes, weights=col) for col in dfbeta.T])
    return dfbeta.T @ dfbeta


def lr_test(reduced: CoxFit, full: CoxFit) -> tuple[float, int, float]:
    """Likelihood-ratio test of nested fits on the same rows: (chisq, df, p), as anova(f0, f1)."""
    from her2rwe.stats.km import chisq_sf

    chisq = 2 * (full.loglik - reduced.loglik)
    df = len(full.coef) - len(reduced.coef)
    return float(chisq), int(df), chisq_sf(chisq, df) if df > 0 else np.nan


def cox_zph(fit: CoxFit) -> dict[str, tuple[float, int, float]]:
    """Schoenfeld-residual PH test as survival 3.5's ``cox.zph(fit, transform="km")``.

    With g(t) = 1 - S(t-) (left-continuous KM of all rows, ignoring strata), centred on its mean over
    the events, it is the score test, at the fitted beta, of adding g(t) * x for the columns of a term
    (per term) or of every term (GLOBAL): U = sum over events g(t) (x - xbar(t)), and the information
    of (x, g x) is built from the Efron/Breslow-weighted risk-set covariances V(t):
    [[sum V, sum g V], [sum g V, sum g^2 V]]. Returns {term: (chisq, df, p)} plus "GLOBAL".
    The fit needs ``keep_data=True``.
    """
    from her2rwe.stats.km import chisq_sf

    rs = fit._data
    if rs is None:
        raise ValueError("fit the model with keep_data=True to test proportional hazards")
    p = len(fit.coef)
    g = rs.index.zph_time()  # one value per event group (constant over tied events)
    if not len(g) or np.all(np.abs(g) <= 1e-12):
        # all events at one time (or none): g(t) is constant, the test has no information and
        # R's cox.zph stops; not estimable here
        out = {name: (np.nan, len(cols), np.nan) for name, cols in fit.terms.items()}
        out["GLOBAL"] = (np.nan, p, np.nan)
        return out
    if fit._final is not None:  # the last iteration evaluated the model at the final coef
        i11, parts = fit._final
    else:
        _, _, i11, parts = rs.evaluate(fit.coef, fit.ties, full=True)
    x_ev = rs._event_sums(rs.X) if len(rs.ev) else np.zeros((0, p))
    u2 = (g[:, None] * x_ev).sum(axis=0) - rs._sum_means(parts, g)
    i12 = rs.weighted_info(parts, g)
    i22 = rs.weighted_info(parts, g**2)
    imat = np.block([[i11, i12], [i12, i22]])
    u = np.r_[np.zeros(p), u2]
    out = {}
    for name, cols in fit.terms.items():
        kk = np.r_[np.arange(p), np.asarray(cols) + p]
        uu = u[kk]
        chisq = float(uu @ _solve(imat[np.ix_(kk, kk)], uu))
        out[name] = (chisq, len(cols), chisq_sf(chisq, len(cols)))
    chisq = float(u @ _solve(imat, u))
    out["GLOBAL"] = (chisq, p, chisq_sf(chisq, p))
    return out
