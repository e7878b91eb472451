"""Propensity-score weights, trimming, matching, covariate balance and the E-value.

Estimands (ps = P(non-reference arm | x), z = 1 in the non-reference arm):

- ATE, the average effect in the whole population: w = z / ps + (1 - z) / (1 - ps); stabilized, each
  arm's weights are multiplied by that arm's share of the patients (Robins, Hernan and Brumback 2000);
- ATT, the effect in the non-reference arm: w = 1 there, ps / (1 - ps) in the reference arm;
- ATO, the overlap population (Li, Morgan and Zaslavsky 2018): w = z (1 - ps) + (1 - z) ps.

Trimming: :func:`trim_range` drops patients whose score lies outside [lower, upper] (Crump et al.
2009 use [0.1, 0.9]); :func:`truncate_weights` caps the weights at a percentile of their
distribution (R ``quantile(w, q, type = 7)``), as WeightIt's ``trim()``.

Balance (:func:`balance`): for every covariate column (a categorical level as its 0/1 indicator),
SMD = (weighted mean in the arm - weighted mean in the reference) / sqrt((s1^2 + s0^2) / 2) with the
unweighted sample SDs (n - 1) in the denominator, the same before and after weighting; variance
ratio = weighted variance in the arm / in the reference, each the unbiased reliability-weighted
variance sum w (x - m)^2 * sum w / ((sum w)^2 - sum w^2) (the sample variance when the weights are
all equal). Effective sample size (Kish): (sum w)^2 / sum w^2.

Matching (:func:`match_nearest`): 1:1 greedy nearest-neighbour matching without replacement on the
logit of the score, non-reference patients in random order (seeded), within a caliper of ``caliper``
SDs of the logit score (pooled over both arms, as MatchIt's default ``std.caliper``).

E-value (VanderWeele and Ding 2017): for a hazard ratio of a common outcome the HR is first turned
into an approximate risk ratio, RR = (1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1/HR)); with RR < 1 inverted,
E = RR + sqrt(RR (RR - 1)). For the CI the bound closer to 1 is used, and E = 1 when the CI holds 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ESTIMANDS = ("ATE", "ATT", "ATO")


class EmptyArmError(ValueError):
    """Trimming or matching left an arm without patients."""


def ps_weights(ps, z, estimand: str = "ATE", stabilize: bool = False) -> np.ndarray:
    """Weights for the estimand from the score ps = P(z = 1 | x); see the module docstring."""
    ps = np.asarray(ps, dtype=float)
    z = np.asarray(z) > 0
    if estimand == "ATE":
        w = np.where(z, 1 / ps, 1 / (1 - ps))
        if stabilize:
            share = z.mean()
            w = w * np.where(z, share, 1 - share)
    elif estimand == "ATT":
        w = np.where(z, 1.0, ps / (1 - ps))
    elif estimand == "ATO":
        w = np.where(z, 1 - ps, ps)
    else:
        raise ValueError(f"unknown estimand {estimand!r} (expected one of {ESTIMANDS})")
    return w


def _check_arms(z: np.ndarray, keep: np.ndarray, what: str) -> None:
    for side, label in ((True, "non-reference"), (False, "reference")):
        if not np.any(keep & (z == side)):
            raise EmptyArmError(f"{what} leaves the {label} arm without patients")


def trim_range(ps, z, lower: float, upper: float) -> np.ndarray:
    """Mask of patients kept: lower <= ps <= upper. Raises EmptyArmError when an arm empties."""
    ps = np.asarray(ps, dtype=float)
    keep = (ps >= lower) & (ps <= upper)
    _check_arms(np.asarray(z) > 0, keep, f"trimming the propensity score to [{lower}, {upper}]")
    return keep


def quantile7(x, q: float) -> float:
    """R's quantile(x, q, type = 7): linear interpolation between order statistics."""
    xs = np.sort(np.asarray(x, dtype=float))
    h = (len(xs) - 1) * q
    lo = int(np.floor(h))
    hi = min(lo + 1, len(xs) - 1)
    return float(xs[lo] + (h - lo) * (xs[hi] - xs[lo]))


def truncate_weights(w, percentile: float) -> np.ndarray:
    """Weights capped at their ``percentile`` (0-100) percentile, as R pmin(w, quantile(w, p))."""
    w = np.asarray(w, dtype=float)
    return np.minimum(w, quantile7(w, percentile / 100))


def ess(w) -> float:
    """Kish's effective sample size, (sum w)^2 / sum w^2."""
    w = np.asarray(w, dtype=float)
    return float(w.sum() ** 2 / np.sum(w * w)) if len(w) else 0.0


def weighted_var(x: np.ndarray, w: np.ndarray) -> float:
    """Unbiased reliability-weighted variance (the sample variance for equal weights)."""
    sw = w.sum()
    m = np.sum(w * x) / sw
    denom = sw * sw - np.sum(w * w)
    return float(np.sum(w * (x - m) ** 2) * sw / denom) if denom > 0 else np.nan


@dataclass(frozen=True)
class Balance:
    smd: np.ndarray
    variance_ratio: np.ndarray


def sd_denominator(X, z) -> np.ndarray:
    """sqrt((s1^2 + s0^2) / 2) per column, with the unweighted sample SDs (n - 1) of the arms."""
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    z = np.asarray(z) > 0
    with np.errstate(invalid="ignore"):
        return np.sqrt((X[z].var(axis=0, ddof=1) + X[~z].var(axis=0, ddof=1)) / 2)


def balance(X, z, w=None, denominator=None) -> Balance:
    """SMD and variance ratio of every column of X, non-reference (z = 1) minus reference.

    ``denominator``: the SMD denominators to use (default :func:`sd_denominator` of X and z); pass
    those of the whole sample when X is a trimmed or matched subset, so that before and after
    share one denominator.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    z = np.asarray(z) > 0
    w = np.ones(len(z)) if w is None else np.asarray(w, dtype=float)
    x1, x0, w1, w0 = X[z], X[~z], w[z], w[~z]
    den = sd_denominator(X, z) if denominator is None else np.asarray(denominator, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = (w1 @ x1) / w1.sum() - (w0 @ x0) / w0.sum()
        smd = np.where(den > 0, diff / den, np.where(diff == 0, 0.0, np.nan))
        vr = np.array(
            [weighted_var(x1[:, j], w1) / weighted_var(x0[:, j], w0) for j in range(X.shape[1])]
        )
    return Balance(smd=smd, variance_ratio=vr)


def match_nearest(ps, z, caliper: float = 0.2, seed: int = 1) -> np.ndarray:
    """1:1 nearest-neighbour matching without replacement on logit(ps) within a caliper.

    Returns the matched-pair number of each patient (-1 when unmatched). The caliper is in SDs of
    the logit score over all patients. Non-reference patients are taken in a seeded random order;
    each takes the closest unmatched reference patient (ties: the lower row number) within the
    caliper. Raises EmptyArmError when no pair is formed.
    """
    ps = np.asarray(ps, dtype=float)
    z = np.asarray(z) > 0
    lp = np.log(ps / (1 - ps))
    width = caliper * float(np.std(lp, ddof=1))
    treated = np.flatnonzero(z)
    controls = np.flatnonzero(~z)
    order = np.argsort(lp[controls], kind="stable")
    controls = controls[order]
    cl = lp[controls]
    free = np.ones(len(controls), dtype=bool)
    # a linked list of free controls in logit order gives O(log n) neighbour search per patient
    nxt = np.arange(1, len(controls) + 1)
    prv = np.arange(-1, len(controls) - 1)
    pair = np.full(len(ps), -1)
    rng = np.random.default_rng(seed)
    k = 0
    for i in rng.permutation(treated):
        pos = int(np.searchsorted(cl, lp[i]))
        right = pos
        while right < len(controls) and not free[right]:
            right = nxt[right]
        left = pos - 1
        while left >= 0 and not free[left]:
            left = prv[left]
        best = -1
        dist = np.inf
        for c in (left, right):
            if 0 <= c < len(controls):
                dc = abs(cl[c] - lp[i])
                if dc < dist or (dc == dist and controls[c] < controls[best]):
                    best, dist = c, dc
        if best < 0 or dist > width:
            continue
        free[best] = False
        p_, n_ = prv[best], nxt[best]
        if p_ >= 0:
            nxt[p_] = n_
        if n_ < len(controls):
            prv[n_] = p_
        pair[i] = pair[controls[best]] = k
        k += 1
    if k == 0:
        raise EmptyArmError(f"matching within a caliper of {caliper} SD formed no pairs")
    return pair


def _hr_to_rr(hr: float) -> float:
    return (1 - 0.5 ** np.sqrt(hr)) / (1 - 0.5 ** np.sqrt(1 / hr))


def e_value(
    hr: float, lower: float | None = None, upper: float | None = None
) -> tuple[float, float]:
    """E-value of a hazard ratio (common outcome) and of its CI limit closer to 1."""
    if not (np.isfinite(hr) and hr > 0):
        return np.nan, np.nan

    def ev(h: float) -> float:
        rr = _hr_to_rr(h)
        rr = 1 / rr if rr < 1 else rr
        return float(rr + np.sqrt(rr * (rr - 1)))

    point = ev(hr)
    if lower is None or upper is None or not (np.isfinite(lower) and np.isfinite(upper)):
        return point, np.nan
    if lower <= 1 <= upper:
        return point, 1.0
    return point, ev(lower if hr > 1 else upper)
