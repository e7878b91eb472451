"""Kaplan-Meier estimation as R survival 3.5 computes it.

Every function here reproduces a named R computation, to a relative 1e-6 (see docs/methods.md):

- :func:`kaplan_meier` - ``survfit(Surv(time, event) ~ 1, conf.type=...)``: one row per distinct
  time (event or censoring), Greenwood variance, ``std.err`` on the log-survival scale, and the
  pointwise CI of ``survival:::survfit_confint`` (``log-log``, ``log`` or ``plain``);
- :func:`km_quantiles` - ``quantile.survfit`` (``survival:::findq``): the flat-at-p midpoint rule,
  the last-point rule, NA when not reached, CI limits read off the pointwise bands (NA band values,
  such as log-log where S is 0 or 1, are skipped);
- :func:`km_at` - ``summary(fit, times=...)`` for landmarks;
- :func:`rmst` - the ``rmean`` and ``se(rmean)`` of ``print(fit, rmean=tau)`` (``survival:::survmean``);
  for a fit with case weights that are not all whole numbers, the infinitesimal-jackknife SE;
- case weights (``kaplan_meier(..., weights=w)``) as ``survfit(..., weights = w)``: weighted counts
  at risk and of events; when any weight is not a whole number, R's default ``robust = TRUE``
  infinitesimal-jackknife variance (one cluster per row) instead of Greenwood's;
- :func:`followup` - median follow-up by reverse Kaplan-Meier, ``survfit(Surv(time, 1 - event) ~ 1)``;
- :func:`spss_quantile` - SPSS's symmetric interval, estimate +/- z * SE with the Klein-Moeschberger
  (Collett) large-sample SE of a percentile.

All functions take plain numpy arrays and are vectorised: the cost is one sort of the times.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

CONF_TYPES = ("log-log", "log", "plain")
R_TOLERANCE = float(np.sqrt(np.finfo(float).eps))  # quantile.survfit's default `tolerance`


def z_value(conf_level: float) -> float:
    """The two-sided normal quantile, qnorm(1 - (1 - conf_level) / 2).

    Python's NormalDist.inv_cdf (Wichura's AS 241, about 1e-16 relative) is as exact as
    scipy.special.ndtri and spares each job the scipy import.
    """
    from statistics import NormalDist

    return NormalDist().inv_cdf(1 - (1 - conf_level) / 2)


def chisq_sf(x: float, df: int) -> float:
    """Upper tail of the chi-square distribution for an integer df, pchisq(x, df, lower=FALSE).

    Closed forms (Abramowitz and Stegun 26.4.4-26.4.5), sums of positive terms: for even df,
    exp(-x/2) sum_{j<df/2} (x/2)^j / j!; for odd df, erfc(sqrt(x/2)) + sqrt(2x/pi) exp(-x/2)
    sum_{j=1}^{(df-1)/2} x^(j-1) / (1 * 3 * ... * (2j - 1)).
    """
    import math

    if not (df >= 1 and float(df).is_integer()):
        raise ValueError(f"df must be a positive integer, not {df!r}")
    if math.isnan(x):
        return math.nan
    if x <= 0:
        return 1.0
    df = int(df)
    if df % 2 == 0:
        term = total = 1.0
        for j in range(1, df // 2):
            term *= (x / 2) / j
            total += term
        return min(1.0, math.exp(-x / 2) * total)
    tail = math.erfc(math.sqrt(x / 2))
    if df == 1:
        return tail
    term = total = 1.0
    for j in range(2, (df - 1) // 2 + 1):
        term *= x / (2 * j - 1)
        total += term
    return min(1.0, tail + math.sqrt(2 * x / math.pi) * math.exp(-x / 2) * total)


@dataclass(frozen=True)
class KMFit:
    """A Kaplan-Meier curve in the layout of an R survfit object (one row per distinct time)."""

    n: int
    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    surv: np.ndarray
    std_err: np.ndarray  # SE of -log S (Greenwood), as survfit's std.err
    greenwood: np.ndarray  # cumulative sum of d / (n (n - d))
    lower: np.ndarray
    upper: np.ndarray
    conf_type: str
    conf_level: float
    # with case weights: per distinct time, the sums of w^2 over all rows and over the events,
    # for the infinitesimal-jackknife variance (None for Greenwood)
    sq_weights: np.ndarray | None = None
    sq_weights_event: np.ndarray | None = None

    @property
    def robust(self) -> bool:
        return self.sq_weights is not None

    @property
    def n_risk_counts(self) -> np.ndarray:
        """Rows at each distinct time (events and censorings)."""
        return self.n_event + self.n_censor

    @property
    def events(self) -> int:
        return int(self.n_event.sum())


def _as_arrays(time, event) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=float)
    if t.shape != e.shape:
        raise ValueError("time and event must have the same length")
    keep = ~(np.isnan(t) | np.isnan(e))
    return t[keep], e[keep] > 0


def confint(
    surv: np.ndarray, std_err: np.ndarray, conf_type: str, conf_level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise CI of S as ``survival:::survfit_confint`` (logse=TRUE, conf.lower="usual").

    log-log: exp(-exp(log(-log S) -/+ z se / log S)), undefined where S is 0 or 1;
    log: S exp(-/+ z se), upper capped at 1, undefined where S is 0;
    plain: S -/+ z se S, clipped to [0, 1].
    """
    z = z_value(conf_level)
    p = np.asarray(surv, dtype=float)
    se = np.asarray(std_err, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # R: scale <- ifelse(selow == 0, 1, selow / se); here selow == se, so 1 (NaN where se is Inf)
        scale = np.where(se == 0, 1.0, se / se)
        if conf_type == "plain":
            se2 = se * p * z
            lower = np.fmax(p - se2 * scale, 0.0)
            upper = np.fmin(p + se2, 1.0)
            bad = np.isnan(se2)
            lower[bad | np.isnan(scale)] = np.nan
            upper[bad] = np.nan
        elif conf_type == "log":
            xx = np.where(p == 0, np.nan, p)
            se2 = z * se
            lower = np.exp(np.log(xx) - se2 * scale)
            upper = np.fmin(np.exp(np.log(xx) + se2), 1.0)
            upper[np.isnan(xx)] = np.nan
        elif conf_type == "log-log":
            xx = np.where((p == 0) | (p == 1), np.nan, p)
            se2 = z * se / np.log(xx)
            lower = np.exp(-np.exp(np.log(-np.log(xx)) - se2 * scale))
            upper = np.exp(-np.exp(np.log(-np.log(xx)) + se2))
        else:
            raise ValueError(f"unknown conf_type {conf_type!r} (expected one of {CONF_TYPES})")
    return lower, upper


def timefix(time, tolerance: float = R_TOLERANCE) -> np.ndarray:
    """Merge times equal up to rounding, as R survival's ``aeqSurv`` (``timefix = TRUE``).

    survfit, survdiff and coxph call it on the response first: sorted distinct finite times whose
    gap is <= tolerance, or <= tolerance * mean(|distinct times|), are chained into one tie and
    replaced by the first (smallest) time of the chain. Without it, times that differ only by
    floating-point noise would count as distinct.
    """
    t = np.array(time, dtype=float)
    finite = np.flatnonzero(np.isfinite(t))
    order = finite[np.argsort(t[finite])]
    ts = t[order]
    new = np.r_[True, ts[1:] != ts[:-1]]
    y = ts[new]  # the sorted distinct times
    if len(y) < 2:
        return t
    dy = np.diff(y)
    tied = (dy <= tolerance) | (dy / np.mean(np.abs(y)) <= tolerance)
    if not tied.any():
        return t
    keep = np.r_[True, ~tied]
    chain = np.cumsum(keep) - 1  # chain of each distinct time
    t[order] = y[keep][chain[np.cumsum(new) - 1]]
    return t


def kaplan_meier(
    time,
    event,
    conf_type: str = "log-log",
    conf_level: float = 0.95,
    fix_times: bool = True,
    weights=None,
) -> KMFit:
    """Kaplan-Meier estimate with Greenwood variance, as R ``survfit(Surv(time, event) ~ 1)``.

    Rows with a missing time or event are dropped; times equal up to rounding are merged first
    (:func:`timefix`, as R; ``fix_times=False`` when the caller has done it). ``conf_type`` is ``log-log``, ``log`` or
    ``plain``; for the ``spss`` method use ``log-log`` bands here and :func:`spss_quantile` for the
    percentiles.

    With case ``weights`` (>= 0) the counts at risk and of events are weighted sums, as
    ``survfit(..., weights = w)``; n_risk is then the weighted number at risk. When any weight is
    not a whole number the standard error is R's default for that case, the infinitesimal
    jackknife (``robust = TRUE``, one cluster per row; :func:`_ij_std_err`), else Greenwood's.
    """
    if weights is None:
        t, e = _as_arrays(time, event)
        w = None
    else:
        t, e, w = _as_arrays_weighted(time, event, weights)
    if fix_times:
        t = timefix(t)
    order = np.argsort(t)
    ts = t[order]
    new = np.r_[True, ts[1:] != ts[:-1]] if len(ts) else np.zeros(0, bool)
    starts = np.flatnonzero(new)
    times = ts[starts]
    if w is None:
        n_total = np.diff(np.r_[starts, len(ts)]).astype(float)
        n_event = np.add.reduceat(e[order].astype(float), starts) if len(ts) else np.zeros(0)
        return km_from_counts(times, n_total, n_event, conf_type, conf_level)
    wo, eo = w[order], e[order]
    sums = (
        np.add.reduceat(np.column_stack([wo, wo * eo, wo * wo, wo * wo * eo]), starts)
        if len(ts)
        else np.zeros((0, 4))
    )
    fit = km_from_counts(times, sums[:, 0], sums[:, 1], conf_type, conf_level)
    if np.all(w == np.floor(w)):  # whole-number weights are frequency weights: Greenwood
        return fit
    std_err = _ij_std_err(fit.n_risk, fit.n_event, sums[:, 2], sums[:, 3])
    lower, upper = confint(fit.surv, std_err, conf_type, conf_level)
    return replace(
        fit, std_err=std_err, lower=lower, upper=upper, sq_weights=sums[:, 2],
        sq_weights_event=sums[:, 3],
    )  # fmt: skip


def _as_arrays_weighted(time, event, weights) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=float)
    w = np.asarray(weights, dtype=float)
    if not (t.shape == e.shape == w.shape):
        raise ValueError("time, event and weights must have the same length")
    keep = ~(np.isnan(t) | np.isnan(e) | np.isnan(w))
    if np.any(w[keep] < 0):
        raise ValueError("case weights must be >= 0")
    return t[keep], e[keep] > 0, w[keep]


def _ij_terms(n_risk: np.ndarray, n_event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per distinct time j: a_j = d_j / (n_j (n_j - d_j)) and b_j = 1 / (n_j - d_j) (0 when n_j = d_j).

    The influence of row i on log S(t) is sum over t_j <= t of Y_i(t_j) a_j - dN_i(t_j) b_j.
    """
    rest = n_risk - n_event
    with np.errstate(divide="ignore", invalid="ignore"):
        b = np.where(rest > 0, 1 / rest, 0.0)
    return n_event / n_risk * b, b


def _ij_std_err(n_risk, n_event, w2, w2e) -> np.ndarray:
    """Infinitesimal-jackknife SE of log S(t) at each distinct time: sqrt(sum_i w_i^2 U_i(t)^2).

    A row leaving at t_k (event indicator e) has U = C_k - e b_k from then on, with C the cumulative
    sum of a (:func:`_ij_terms`); a row still at risk after t has U = C(t). So the variance at t_j is
    sum_{k <= j} (W2_k C_k^2 - 2 C_k b_k W2e_k + b_k^2 W2e_k) + C_j^2 * (sum of w^2 beyond t_j).
    Where the curve has dropped to 0 the log scale is undefined (NaN).
    """
    a, b = _ij_terms(n_risk, n_event)
    c = np.cumsum(a)
    left = np.cumsum(w2 * c * c - 2 * c * b * w2e + b * b * w2e)
    beyond = np.cumsum(w2[::-1])[::-1] - w2
    var = left + c * c * beyond
    dead = np.cumsum(n_risk - n_event <= 0) > 0
    return np.where(dead, np.nan, np.sqrt(var))


def _risk_and_surv(n_total: np.ndarray, n_event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Numbers at risk and the KM survival at each distinct time, from the counts there."""
    n_risk = np.cumsum(n_total[::-1])[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        return n_risk, np.cumprod(1.0 - n_event / n_risk)


def surv_before_sorted(time: np.ndarray, event: np.ndarray) -> np.ndarray:
    """S(t-) of the KM of all rows, at each row, for times already sorted (no CI, no sort).

    The same S as :func:`kaplan_meier` (same counts, same arithmetic), read just before each row's
    time: 1 at the first distinct time. For cox.zph's Kaplan-Meier time transform.
    """
    if not len(time):
        return np.zeros(0)
    new = np.r_[True, time[1:] != time[:-1]]
    starts = np.flatnonzero(new)
    n_total = np.diff(np.r_[starts, len(time)]).astype(float)
    n_event = np.add.reduceat(np.asarray(event, dtype=float), starts)
    surv = _risk_and_surv(n_total, n_event)[1]
    return np.r_[1.0, surv][np.cumsum(new) - 1]


def km_from_counts(
    times: np.ndarray,
    n_total: np.ndarray,
    n_event: np.ndarray,
    conf_type: str = "log-log",
    conf_level: float = 0.95,
) -> KMFit:
    """Kaplan-Meier from the counts at each distinct time (all rows, events)."""
    n_censor = n_total - n_event
    n_risk, surv = _risk_and_surv(n_total, n_event)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0)
    greenwood = np.cumsum(term)
    std_err = np.sqrt(greenwood)
    # S and its SE change only at times with events (elsewhere they are multiplied by 1 and added
    # 0): the limits are computed there and carried forward, the same values at a fraction of the
    # cost when most distinct times are censorings
    steps = np.flatnonzero(n_event > 0)
    if len(steps) < 0.9 * len(surv):
        at = np.r_[0, steps[steps > 0]] if len(surv) else steps
        lower, upper = confint(surv[at], std_err[at], conf_type, conf_level)
        carry = np.zeros(len(surv), dtype=np.intp)
        carry[at] = np.arange(len(at))
        np.maximum.accumulate(carry, out=carry)
        lower, upper = lower[carry], upper[carry]
    else:
        lower, upper = confint(surv, std_err, conf_type, conf_level)
    return KMFit(
        n=int(n_total.sum()),
        time=times,
        n_risk=n_risk,
        n_event=n_event,
        n_censor=n_censor,
        surv=surv,
        std_err=std_err,
        greenwood=greenwood,
        lower=lower,
        upper=upper,
        conf_type=conf_type,
        conf_level=conf_level,
    )


def _findq(x: np.ndarray, y: np.ndarray, probs, tol: float = R_TOLERANCE) -> np.ndarray:
    """``survival:::findq``: for each p the first x where the distribution y reaches p.

    y = 1 - S (with 0 prepended at the start time). When y sits at p on a flat stretch the result is
    the midpoint of that stretch; when y ends at p it is the midpoint to the last time; NA values of
    y (undefined band points) are skipped; NaN when y never reaches p.
    """
    probs = np.asarray(probs, dtype=float)
    out = np.full(len(probs), np.nan)
    if np.all(np.isnan(y)) or np.nanmax(y) < probs.min():
        return out
    xmax = x[-1]
    # drop duplicated y values, keeping the first (R's duplicated(); NaNs count as equal)
    nan = np.isnan(y)
    vals = y[~nan]
    if np.all(vals[1:] >= vals[:-1]):  # the usual, monotone case: no sort needed
        keep = np.zeros(len(y), dtype=bool)
        pos = np.flatnonzero(~nan)
        keep[pos] = np.r_[True, vals[1:] != vals[:-1]]
        if nan.any():
            keep[np.argmax(nan)] = True
        first = np.flatnonzero(keep)
    else:
        _, first = np.unique(y, return_index=True, equal_nan=True)
        first.sort()
    x, y = x[first], y[first]
    valid = ~np.isnan(y)
    idx = np.flatnonzero(valid)
    yv = y[valid]
    if not np.all(yv[1:] >= yv[:-1]):
        order = np.argsort(yv, kind="stable")
        yv, idx = yv[order], idx[order]

    def constant_f1(knots: np.ndarray, p: float) -> float:
        # approx(knots, idx, p, method="constant", f=1): the first knot >= p; NA outside the range
        if p < knots[0] or p > knots[-1]:
            return np.nan
        return x[idx[np.searchsorted(knots, p, side="left")]]

    ymax = np.nanmax(y)
    above, below = yv + tol, yv - tol  # the knots of both approx() calls, made once for all p
    for i, p in enumerate(probs):
        if ymax < p:
            continue
        if p == 0:
            out[i] = x[0]
            continue
        x1 = constant_f1(above, p)
        x2 = constant_f1(below, p)
        out[i] = (x1 + x2) / 2
        if not np.isnan(y[-1]) and abs(p - y[-1]) < tol:
            out[i] = (x1 + xmax) / 2
    return out


def km_quantiles(fit: KMFit, probs=(0.25, 0.5, 0.75), start_time: float = 0.0) -> np.ndarray:
    """Quantiles of the event-time distribution with CI, as R ``quantile.survfit``.

    Returns an array of shape (len(probs), 3): estimate, lower, upper. ``probs`` are of the
    distribution function: 0.5 is the median, 0.25 the time by which 25% had the event. NaN
    where not reached.
    """
    x = np.concatenate([[start_time], fit.time])
    out = np.full((len(probs), 3), np.nan)
    for j, curve in enumerate((fit.surv, fit.lower, fit.upper)):
        out[:, j] = _findq(x, np.concatenate([[0.0], 1.0 - curve]), probs)
    return out


def km_at(fit: KMFit, times) -> dict[str, np.ndarray]:
    """Survival, its Greenwood SE (survival scale) and CI at given times with the number at risk, as ``summary(fit, times=)``.

    S(t) is the estimate at the last time <= t (1 before the first time); n_risk counts patients
    with time >= t. Beyond the last observed time S(t) is not estimable and is NaN, unless the curve
    has already dropped to 0 (R's ``extend=TRUE`` would carry the last value forward).
    """
    times = np.atleast_1d(np.asarray(times, dtype=float))
    if len(fit.time) == 0:
        nan = np.full(len(times), np.nan)
        return {"time": times, "n_risk": np.zeros(len(times)), "surv": nan, "std_err": nan.copy(),
                "lower": nan.copy(), "upper": nan.copy()}  # fmt: skip
    j = np.searchsorted(fit.time, times, side="right") - 1
    k = np.searchsorted(fit.time, times, side="left")
    n_risk = np.where(k < len(fit.time), fit.n_risk[np.minimum(k, len(fit.time) - 1)], 0.0)
    before = j < 0
    jj = np.maximum(j, 0)
    surv = np.where(before, 1.0, fit.surv[jj])
    se = np.where(before, 0.0, fit.std_err[jj])
    lower, upper = confint(surv, se, fit.conf_type, fit.conf_level)
    # before the first observed time summary.survfit reports the band as (1, 1) for every type;
    # at a later time with S still 1 (censorings only) a log-log band stays undefined
    lower[before] = 1.0
    upper[before] = 1.0
    with np.errstate(invalid="ignore"):
        se_surv = surv * se  # summary.survfit's std.err is on the survival scale
    last = fit.time[-1]
    beyond = (times > last) & (surv > 0)
    for arr in (surv, se_surv, lower, upper):
        arr[beyond] = np.nan
    return {
        "time": times,
        "n_risk": n_risk,
        "surv": surv,
        "std_err": se_surv,
        "lower": lower,
        "upper": upper,
    }


def rmst(fit: KMFit, tau: float, start_time: float = 0.0) -> tuple[float, float]:
    """Restricted mean survival time up to ``tau`` and its SE, as ``print(survfit, rmean=tau)``.

    RMST = integral of S from 0 to tau (area of the step function). Its variance is
    sum_i A_i^2 d_i / (n_i (n_i - d_i)) over times t_i <= tau, where A_i is the area under S from
    t_i to tau (terms with n_i = d_i count 0), as ``survival:::survmean``.
    """
    keep = fit.time <= tau
    if not keep.any():
        return float(tau - start_time), 0.0
    if fit.robust:
        return _rmst_ij(fit, tau, start_time)
    with np.errstate(divide="ignore", invalid="ignore"):
        hh = np.where(
            fit.n_risk - fit.n_event == 0,
            0.0,
            fit.n_event / (fit.n_risk * (fit.n_risk - fit.n_event)),
        )[keep]
    temptime = np.append(fit.time[keep], tau)
    tempsurv = np.append(fit.surv[keep], fit.surv[keep][-1])
    delta = np.diff(np.concatenate([[start_time], temptime]))
    rectangles = delta * np.concatenate([[1.0], tempsurv[:-1]])
    # area from each time t_i (i < n) to tau, paired with hh_i
    tail = np.cumsum(rectangles[1:][::-1])[::-1]
    var = float(np.sum(tail**2 * hh))
    return float(rectangles.sum() + start_time), float(np.sqrt(var))


def _rmst_ij(fit: KMFit, tau: float, start_time: float) -> tuple[float, float]:
    """RMST with its infinitesimal-jackknife SE (the weighted-data counterpart of survmean's).

    The influence of row i on the RMST is the integral of S(t) U_i(t) up to tau, that is
    sum over t_j <= min(T_i, tau) of a_j A_j - e_i b_{k_i} A_{k_i}, where A_j is the area under S
    from t_j to tau (:func:`_ij_std_err` for a, b, U). Its variance is sum_i w_i^2 infl_i^2.
    """
    keep = fit.time <= tau
    times, surv = fit.time[keep], fit.surv[keep]
    delta = np.diff(np.concatenate([[start_time], times, [tau]]))
    rectangles = delta * np.concatenate([[1.0], surv])
    area = np.cumsum(rectangles[1:][::-1])[::-1]  # from each t_j to tau
    a, b = _ij_terms(fit.n_risk[keep], fit.n_event[keep])
    dcum = np.cumsum(a * area)
    ba = b * area
    w2, w2e = fit.sq_weights[keep], fit.sq_weights_event[keep]
    var = np.sum(w2 * dcum**2 - 2 * dcum * ba * w2e + ba * ba * w2e)
    var += dcum[-1] ** 2 * fit.sq_weights[~keep].sum()
    return float(rectangles.sum() + start_time), float(np.sqrt(var))


def rmst_difference(
    fit: KMFit, reference: KMFit, tau: float, conf_level: float = 0.95
) -> tuple[float, float, float, float]:
    """RMST of ``fit`` minus that of ``reference`` up to tau: (difference, SE, lower, upper).

    The SEs of the two independent arms are combined, sqrt(se1^2 + se0^2), with a Wald CI: with
    equal weights this is survRM2's ``rmst2`` (Greenwood SEs, as :func:`rmst`).
    """
    m1, s1 = rmst(fit, tau)
    m0, s0 = rmst(reference, tau)
    se = float(np.hypot(s1, s0))
    z = z_value(conf_level)
    diff = m1 - m0
    return diff, se, diff - z * se, diff + z * se


def followup(time, event, conf_type: str = "log-log", conf_level: float = 0.95) -> np.ndarray:
    """Median follow-up by reverse Kaplan-Meier (censoring as the event): estimate, lower, upper."""
    return km_quantiles(reverse_km(kaplan_meier(time, event, conf_type, conf_level)), (0.5,))[0]


def reverse_km(fit: KMFit) -> KMFit:
    """The reverse Kaplan-Meier curve (censoring as the event) from a fit's counts."""
    return km_from_counts(fit.time, fit.n_risk_counts, fit.n_censor, fit.conf_type, fit.conf_level)


def spss_quantile(
    fit: KMFit, prob: float = 0.5, conf_level: float = 0.95, estimate: float | None = None
) -> tuple[float, float, float, float]:
    """Percentile with the symmetric SE-based CI that SPSS prints: estimate +/- z * SE.

    SE (Klein and Moeschberger 1997, sec. 4.5; Collett 1994, sec. 2.4) of the percentile t_p
    (S(t_p) = 1 - p):

        SE(t_p) = sqrt(Var S(t_p)) / f(t_p),   Var S(t_p) = S(t_p)^2 * sum_{t_j <= t_p} d_j / (n_j (n_j - d_j))

    with the density from a uniform kernel between the 1 - p + 0.05 and 1 - p - 0.05 survival
    levels (the 45th and 55th percentiles for the median):

        f(t_p) = (S(u) - S(l)) / (l - u),
        u = max{t_j event time: S(t_j) >= 1 - p + 0.05}  (the origin, S = 1, when there is none),
        l = min{t_j event time: S(t_j) <= 1 - p - 0.05}.

    The estimate is R's percentile (``quantile.survfit``) unless given. A lower limit below 0 (a
    time cannot be negative) is truncated at 0; the method text says so. Returns (estimate, lower, upper, se); NaN where not estimable (percentile not
    reached, or S never falls to 1 - p - 0.05); the SE and limits are NaN where S(t_p) = 0 (its
    Greenwood variance is infinite).
    """
    if estimate is None:
        estimate = km_quantiles(fit, probs=(prob,))[0, 0]
    if np.isnan(estimate):
        return (np.nan, np.nan, np.nan, np.nan)
    ev = fit.n_event > 0
    t_ev, s_ev = fit.time[ev], fit.surv[ev]
    hi, lo = 1 - prob + 0.05, 1 - prob - 0.05
    above = s_ev >= hi
    u, s_u = (t_ev[above][-1], s_ev[above][-1]) if above.any() else (0.0, 1.0)
    below = s_ev <= lo
    if not below.any():
        return (float(estimate), np.nan, np.nan, np.nan)
    t_l, s_l = t_ev[below][0], s_ev[below][0]
    density = (s_u - s_l) / (t_l - u)
    j = np.searchsorted(fit.time, estimate, side="right") - 1
    s_m, gw = (fit.surv[j], fit.greenwood[j]) if j >= 0 else (1.0, 0.0)
    if s_m == 0.0:  # Greenwood's variance is infinite where S = 0: no SE, no interval
        return (float(estimate), np.nan, np.nan, np.nan)
    se = float(np.sqrt(s_m**2 * gw) / density)
    z = z_value(conf_level)
    return (float(estimate), max(0.0, float(estimate - z * se)), float(estimate + z * se), se)
