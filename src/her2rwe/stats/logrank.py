"""Log-rank test as R ``survdiff(Surv(time, event) ~ group [+ strata(s)])`` (rho = 0).

At each distinct event time t within a stratum, with n_t at risk, d_t events and n_gt at risk in
group g: E_g = sum d_t n_gt / n_t and
V_gh = sum d_t (n_t - d_t) / (n_t - 1) * (n_gt / n_t) (delta_gh - n_ht / n_t). Strata add their O, E
and V. As survdiff, groups with E_g = 0 are dropped, then the first remaining group, and
chisq = (O - E)' V^-1 (O - E) over the rest, with df = (groups with E > 0) - 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LogRank:
    chisq: float
    df: int
    p: float
    observed: np.ndarray
    expected: np.ndarray
    groups: np.ndarray


def _observed_expected(
    time: np.ndarray, event: np.ndarray, g: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    times, inverse = np.unique(time, return_inverse=True)
    nt = len(times)
    cell = inverse * n_groups + g
    size = nt * n_groups
    total = np.bincount(cell, minlength=size).reshape(nt, n_groups).astype(float)
    deaths = np.bincount(cell, weights=event, minlength=size).reshape(nt, n_groups)
    at_risk = np.cumsum(total[::-1], axis=0)[::-1]
    d = deaths.sum(axis=1)
    keep = d > 0
    at_risk, deaths, d = at_risk[keep], deaths[keep], d[keep]
    n = at_risk.sum(axis=1)
    frac = at_risk / n[:, None]
    observed = deaths.sum(axis=0)
    expected = (d[:, None] * frac).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(n > 1, d * (n - d) / (n - 1), 0.0)
    var = np.diag((factor[:, None] * frac).sum(axis=0)) - (factor[:, None] * frac).T @ frac
    return observed, expected, var


def _missing(values: np.ndarray) -> np.ndarray:
    """None, NaN or pandas NA in an object array."""
    import pandas as pd

    return np.asarray(pd.isna(values), dtype=bool)


def logrank_test(time, event, group, strata=None, fix_times: bool = True) -> LogRank:
    """Log-rank (Mantel-Haenszel) test over all groups, stratified when ``strata`` is given.

    Times equal up to rounding are merged first (``km.timefix``, as survdiff's timefix). Rows with a
    missing time, event, group or stratum are dropped, as R's default ``na.action`` (and
    ``kaplan_meier``) does.
    """
    from her2rwe.stats.km import chisq_sf, timefix

    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=float)
    group = np.asarray(group)
    keep = ~(np.isnan(t) | np.isnan(e) | _missing(group))
    if strata is not None:
        strata = np.asarray(strata)
        keep &= ~_missing(strata)
    if not keep.all():
        t, e, group = t[keep], e[keep], group[keep]
        strata = None if strata is None else strata[keep]
    if fix_times:
        t = timefix(t)
    groups, g = np.unique(group, return_inverse=True)
    k = len(groups)
    s = (
        np.zeros(len(t), dtype=int)
        if strata is None
        else np.unique(np.asarray(strata), return_inverse=True)[1]
    )
    observed = np.zeros(k)
    expected = np.zeros(k)
    var = np.zeros((k, k))
    for level in np.unique(s):
        m = s == level
        o, ex, v = _observed_expected(t[m], e[m], g[m], k)
        observed += o
        expected += ex
        var += v
    use = np.flatnonzero(expected > 0)
    df = len(use) - 1
    if df < 1:
        return LogRank(0.0, 0, np.nan, observed, expected, groups)
    rest = use[1:]
    diff = (observed - expected)[rest]
    vv = var[np.ix_(rest, rest)]
    chisq = float(diff @ np.linalg.solve(vv, diff))
    return LogRank(chisq, int(df), chisq_sf(chisq, df), observed, expected, groups)
