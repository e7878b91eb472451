"""Binomial proportions, their differences and odds ratios, and tests of contingency tables.

Every function reproduces a named R computation (R 4.2, stats package):

- ``clopper_pearson``: the exact interval of ``binom.test``;
- ``wilson``: the score interval of ``prop.test(x, n, correct = FALSE)``;
- ``newcombe_diff``: the hybrid-score interval for p1 - p2 (method 10 of Newcombe 1998), built from
  the two Wilson intervals;
- ``wald_diff``: p1 - p2 +/- z * sqrt(p1 q1 / n1 + p2 q2 / n2);
- ``conditional_odds_ratio``: the conditional maximum-likelihood odds ratio and its exact interval, as
  ``fisher.test`` prints them;
- ``chisq_test``: Pearson's chi-square test as ``chisq.test`` (Yates' correction on 2x2 tables when
  ``correct=True``, R's default);
- ``fisher_test``: Fisher's exact test for 2x2 and larger r x c tables, computed exactly (not Monte
  Carlo) by enumerating the tables with the observed margins, as ``fisher.test``.

Only ``scipy.special`` and ``scipy.optimize`` are used (both imported lazily); ``scipy.stats`` is not
needed. Results are unrounded.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

# R's fisher.test treats tables whose probability is within this relative error of the observed
# table's probability as "as extreme" (relErr <- 1 + 10^(-7))
FISHER_REL_ERR = 1 + 1e-7


def _z(conf_level: float) -> float:
    from scipy.special import ndtri

    return float(ndtri((1 + conf_level) / 2))


def _check_count(x: int, n: int) -> None:
    if n < 0 or x < 0 or x > n:
        raise ValueError(f"expected 0 <= x <= n, got x={x}, n={n}")


def clopper_pearson(x: int, n: int, conf_level: float = 0.95) -> tuple[float, float]:
    """Clopper-Pearson exact interval, as R ``binom.test(x, n)$conf.int``; (nan, nan) when n = 0."""
    _check_count(x, n)
    if n == 0:
        return math.nan, math.nan
    from scipy.special import betaincinv

    alpha = 1 - conf_level
    lower = 0.0 if x == 0 else float(betaincinv(x, n - x + 1, alpha / 2))
    upper = 1.0 if x == n else float(betaincinv(x + 1, n - x, 1 - alpha / 2))
    return lower, upper


def wilson(x: int, n: int, conf_level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval, as R ``prop.test(x, n, correct = FALSE)$conf.int``."""
    _check_count(x, n)
    if n == 0:
        return math.nan, math.nan
    z = _z(conf_level)
    p = x / n
    z22n = z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    # as prop.test: the bound is exactly 0 (1) when the estimate is 0 (1)
    lower = 0.0 if p <= 0 else max(0.0, (p + z22n - half) / (1 + 2 * z22n))
    upper = 1.0 if p >= 1 else min(1.0, (p + z22n + half) / (1 + 2 * z22n))
    return lower, upper


CI_FUNCTIONS = {"clopper-pearson": clopper_pearson, "wilson": wilson}

CI_METHOD_TEXT = {
    "clopper-pearson": "Clopper-Pearson exact",
    "wilson": "Wilson score (no continuity correction)",
}


def proportion_ci(
    x: int, n: int, method: str = "clopper-pearson", conf_level: float = 0.95
) -> tuple[float, float]:
    """A binomial CI by name: ``clopper-pearson`` (default) or ``wilson``."""
    try:
        return CI_FUNCTIONS[method](x, n, conf_level)
    except KeyError:
        raise ValueError(
            f"unknown CI method {method!r}; expected one of {', '.join(CI_FUNCTIONS)}"
        ) from None


def newcombe_diff(
    x1: int, n1: int, x2: int, n2: int, conf_level: float = 0.95
) -> tuple[float, float, float]:
    """p1 - p2 with Newcombe's hybrid-score interval (method 10, Newcombe 1998, Stat Med 17:873).

    L = d - sqrt((p1 - l1)^2 + (u2 - p2)^2), U = d + sqrt((u1 - p1)^2 + (p2 - l2)^2), where (l, u) are
    the Wilson intervals without continuity correction.
    """
    if n1 == 0 or n2 == 0:
        return math.nan, math.nan, math.nan
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1, conf_level)
    l2, u2 = wilson(x2, n2, conf_level)
    d = p1 - p2
    return d, d - math.hypot(p1 - l1, u2 - p2), d + math.hypot(u1 - p1, p2 - l2)


def wald_diff(
    x1: int, n1: int, x2: int, n2: int, conf_level: float = 0.95
) -> tuple[float, float, float]:
    """p1 - p2 with the Wald interval d +/- z * sqrt(p1 q1 / n1 + p2 q2 / n2) (no correction),
    clipped to [-1, 1] as R's ``prop.test(correct = FALSE)`` does."""
    if n1 == 0 or n2 == 0:
        return math.nan, math.nan, math.nan
    p1, p2 = x1 / n1, x2 / n2
    d = p1 - p2
    half = _z(conf_level) * math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    return d, max(d - half, -1.0), min(d + half, 1.0)


DIFF_FUNCTIONS = {"newcombe": newcombe_diff, "wald": wald_diff}

DIFF_METHOD_TEXT = {
    "newcombe": "Newcombe hybrid score (method 10)",
    "wald": "Wald",
}


def difference_ci(
    x1: int, n1: int, x2: int, n2: int, method: str = "newcombe", conf_level: float = 0.95
) -> tuple[float, float, float]:
    """(p1 - p2, lower, upper) by name: ``newcombe`` (default) or ``wald``."""
    try:
        return DIFF_FUNCTIONS[method](x1, n1, x2, n2, conf_level)
    except KeyError:
        raise ValueError(
            f"unknown difference CI method {method!r}; expected one of {', '.join(DIFF_FUNCTIONS)}"
        ) from None


# ------------------------------------------------------------------------------------------------
# odds ratio: conditional MLE with exact CI, ported from R's fisher.test


def _log_choose(n: int, k: np.ndarray) -> np.ndarray:
    from scipy.special import gammaln

    return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)


class _NoncentralHypergeometric:
    """X = table[0, 0] of a 2x2 table given its margins, with odds ratio ``ncp`` (R's dnhyper etc.)."""

    def __init__(self, table: np.ndarray):
        self.x = int(table[0, 0])
        m = int(table[:, 0].sum())
        n = int(table[:, 1].sum())
        k = int(table[0, :].sum())
        self.lo = max(0, k - n)
        self.hi = min(k, m)
        self.support = np.arange(self.lo, self.hi + 1)
        self.logdc = _log_choose(m, self.support) + _log_choose(n, k - self.support)

    def density(self, ncp: float) -> np.ndarray:
        d = self.logdc + math.log(ncp) * self.support
        d = np.exp(d - d.max())
        return d / d.sum()

    def mean(self, ncp: float) -> float:
        if ncp == 0:
            return float(self.lo)
        if math.isinf(ncp):
            return float(self.hi)
        return float((self.support * self.density(ncp)).sum())

    def cdf(self, q: int, ncp: float, upper_tail: bool = False) -> float:
        if ncp == 0:
            return float(q <= self.lo if upper_tail else q >= self.lo)
        if math.isinf(ncp):
            return float(q <= self.hi if upper_tail else q >= self.hi)
        d = self.density(ncp)
        return float(d[self.support >= q].sum() if upper_tail else d[self.support <= q].sum())


def _root(f, lo: float, hi: float) -> float:
    from scipy.optimize import brentq

    return float(brentq(f, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=500))


def conditional_odds_ratio(table, conf_level: float = 0.95) -> tuple[float, float, float]:
    """Conditional MLE of the odds ratio of a 2x2 table and its exact CI, as R ``fisher.test``.

    The table is [[a, b], [c, d]]; the odds ratio is (a/b)/(c/d) in the sense of R (rows = groups,
    first column = event). Roots are found to machine precision; R's ``uniroot`` stops at a
    tolerance of about 1e-4, so R's printed values agree to about that.
    """
    t = np.asarray(table, dtype=int)
    if t.shape != (2, 2):
        raise ValueError("conditional_odds_ratio needs a 2x2 table")
    if (t.sum(axis=0) == 0).any() or (t.sum(axis=1) == 0).any():
        return math.nan, math.nan, math.nan
    h = _NoncentralHypergeometric(t)
    x, lo, hi = h.x, h.lo, h.hi
    eps = np.finfo(float).eps

    if x == lo:
        est = 0.0
    elif x == hi:
        est = math.inf
    else:
        mu = h.mean(1.0)
        if mu > x:
            est = _root(lambda s: h.mean(s) - x, 0.0, 1.0)
        elif mu < x:
            est = 1 / _root(lambda s: h.mean(1 / s) - x, eps, 1.0)
        else:
            est = 1.0

    alpha = (1 - conf_level) / 2

    def upper_limit() -> float:
        if x == hi:
            return math.inf
        p = h.cdf(x, 1.0)
        if p < alpha:
            return _root(lambda s: h.cdf(x, s) - alpha, 0.0, 1.0)
        if p > alpha:
            return 1 / _root(lambda s: h.cdf(x, 1 / s) - alpha, eps, 1.0)
        return 1.0

    def lower_limit() -> float:
        if x == lo:
            return 0.0
        p = h.cdf(x, 1.0, upper_tail=True)
        if p > alpha:
            return _root(lambda s: h.cdf(x, s, upper_tail=True) - alpha, 0.0, 1.0)
        if p < alpha:
            return 1 / _root(lambda s: h.cdf(x, 1 / s, upper_tail=True) - alpha, eps, 1.0)
        return 1.0

    return est, lower_limit(), upper_limit()


# ------------------------------------------------------------------------------------------------
# tests of r x c tables


@dataclass(frozen=True)
class TestResult:
    test: str  # "chisq", "chisq (Yates)", "fisher"
    statistic: float
    df: float
    p: float


def _as_table(table) -> np.ndarray:
    t = np.asarray(table)
    if t.ndim != 2:
        raise ValueError("expected a two-dimensional contingency table")
    if (t < 0).any() or not np.allclose(t, np.round(t)):
        raise ValueError("a contingency table holds non-negative integer counts")
    t = np.round(t).astype(np.int64)
    # as R does after table(): rows or columns that are all zero carry no information
    t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
    return t


def expected_counts(table) -> np.ndarray:
    t = _as_table(table)
    return np.outer(t.sum(axis=1), t.sum(axis=0)) / t.sum()


def chisq_test(table, correct: bool = True) -> TestResult:
    """Pearson's chi-square test of independence, as R ``chisq.test(table, correct = correct)``.

    Yates' continuity correction applies to 2x2 tables only, with R's rule min(0.5, |O - E|).
    Rows or columns that are entirely zero are dropped first. A table with fewer than two non-empty
    rows or columns has no test (NaN).
    """
    t = _as_table(table)
    if t.shape[0] < 2 or t.shape[1] < 2:
        return TestResult("chisq", math.nan, math.nan, math.nan)
    e = np.outer(t.sum(axis=1), t.sum(axis=0)) / t.sum()
    yates = correct and t.shape == (2, 2)
    dev = np.abs(t - e)
    if yates:
        dev = dev - np.minimum(0.5, dev)
    stat = float((dev**2 / e).sum())
    df = (t.shape[0] - 1) * (t.shape[1] - 1)
    from scipy.special import chdtrc

    return TestResult(
        "chisq (Yates)" if yates else "chisq", stat, float(df), float(chdtrc(df, stat))
    )


def _log_factorial(n) -> np.ndarray:
    from scipy.special import gammaln

    return gammaln(np.asarray(n, dtype=float) + 1)


def _column_bounds(total: int, caps: np.ndarray, lf: np.ndarray) -> tuple[float, float]:
    """Largest and smallest -sum(log x_i!) over x with sum(x) = total and 0 <= x_i <= caps.

    The largest spreads the total as evenly as the caps allow (water filling); the smallest puts as
    much as possible into the largest caps. -sum(log x!) is Schur-concave, so these are the extremes.
    """
    caps = np.sort(caps)
    # water filling for the most even split
    even = np.zeros_like(caps)
    left = total
    k = len(caps)
    for i, cap in enumerate(caps):
        share = left // (k - i)
        take = min(cap, share)
        even[i] = take
        left -= take
    # distribute any remainder one by one to cells with room (largest caps last filled first)
    i = len(caps) - 1
    while left > 0 and i >= 0:
        room = caps[i] - even[i]
        add = min(room, left)
        even[i] += add
        left -= add
        i -= 1
    concentrated = np.zeros_like(caps)
    left = total
    for i in range(k - 1, -1, -1):
        take = min(caps[i], left)
        concentrated[i] = take
        left -= take
    return -float(lf[even].sum()), -float(lf[concentrated].sum())


@functools.lru_cache(maxsize=65536)
def _composition_array(total: int, caps: tuple[int, ...]) -> np.ndarray:
    """Every vector x with sum(x) = total and 0 <= x_i <= caps[i], one per row."""
    if len(caps) == 1:
        return np.array([[total]] if 0 <= total <= caps[0] else [], dtype=np.int64).reshape(-1, 1)
    dims = [min(c, total) + 1 for c in caps[:-1]]
    if math.prod(dims) <= 1_000_000:
        # every choice of the first k - 1 cells at once; the last cell is what is left
        grid = np.indices(dims, dtype=np.int64).reshape(len(dims), -1).T
        last = total - grid.sum(axis=1)
        keep = (last >= 0) & (last <= caps[-1])
        return np.column_stack([grid[keep], last[keep]])
    rest = sum(caps[1:])
    blocks = []
    for first in range(max(0, total - rest), min(caps[0], total) + 1):
        tail = _composition_array(total - first, caps[1:])
        blocks.append(np.column_stack([np.full(len(tail), first, dtype=np.int64), tail]))
    if not blocks:
        return np.zeros((0, len(caps)), dtype=np.int64)
    return np.concatenate(blocks)


class FisherTooLarge(ValueError):
    """The exact enumeration would visit more partial tables than the budget allows."""


def _exact_path_bounds(rows: np.ndarray, cols: np.ndarray, lf: np.ndarray, col_lf: np.ndarray):
    """Largest and smallest sum over columns l >= j of (log c_l! - sum_i log x_il!) over all
    completions, for every level j and every node (remaining row margins) - the longest and shortest
    paths of the network algorithm - computed backwards by dynamic programming over dense arrays
    indexed by the mixed-radix code of the remaining margins. None when the state space is too large
    (the callers then use per-column bounds)."""
    radix = rows + 1
    size = int(np.prod(radix))
    ncol = len(cols)
    if size > 1_000_000 or ncol < 3:
        return None
    strides = np.concatenate([np.cumprod(radix[::-1])[::-1][1:], [1]]).astype(np.int64)
    hi = [None] * ncol
    lo = [None] * ncol
    # level ncol - 2: the last two columns, every node with the right total
    for j in range(ncol - 2, -1, -1):
        states = _composition_array(int(cols[j:].sum()), tuple(int(v) for v in rows))
        best = np.full(len(states), -np.inf)
        worst = np.full(len(states), np.inf)
        for x in _composition_array(int(cols[j]), tuple(int(v) for v in rows)):
            child = states - x
            ok = (child >= 0).all(axis=1)
            if not ok.any():
                continue
            term = float(col_lf[j] - lf[x].sum())
            if j == ncol - 2:
                val = term + float(col_lf[j + 1]) - lf[child[ok]].sum(axis=1)
            else:
                codes = child[ok] @ strides
                val_hi = term + hi[j + 1][codes]
                val_lo = term + lo[j + 1][codes]
                best[ok] = np.maximum(best[ok], val_hi)
                worst[ok] = np.minimum(worst[ok], val_lo)
                continue
            best[ok] = np.maximum(best[ok], val)
            worst[ok] = np.minimum(worst[ok], val)
        hi[j] = np.full(size, -np.inf)
        lo[j] = np.full(size, np.inf)
        codes = states @ strides
        hi[j][codes] = best
        lo[j][codes] = worst
    return strides, hi, lo


FISHER_MAX_WORK = 10_000_000
# work units charged per node visited, for the Python overhead of a node (about 100 cells' worth)
_NODE_COST = 100
# partial tables whose log-probabilities differ by less than this are merged (their weights added);
# far below R's relative tolerance of 1e-7 on the probability
_MERGE_DIGITS = 10


def fisher_exact_p(table, max_work: int = FISHER_MAX_WORK) -> float:
    """Two-sided Fisher exact p-value of an r x c table, computed exactly as R ``fisher.test``.

    The p-value is the total probability, under independence with both margins fixed, of the tables
    whose probability is at most that of the observed table (times 1 + 1e-7, R's tolerance). Every
    table with the observed margins is accounted for, column by column (a network algorithm in the
    spirit of Mehta & Patel, the method behind R's FEXACT):
    - partial tables are grouped by the row margins they leave (the nodes); partial tables with the
      same node and the same probability are merged, their multiplicities added;
    - a partial table whose completions are all at most (or all above) the observed probability is
      counted (or discarded) in one step, using bounds from each remaining column on its own and the
      closed form N'!/prod r'_i! of the total weight of its completions;
    - the last two columns are enumerated at once, and their sorted log-weights with cumulative sums
      are cached per node, so each partial table costs one binary search.
    Raises FisherTooLarge when the work (partial tables and cells enumerated) would exceed
    ``max_work`` (R's ``fisher.test`` runs out of its default workspace on such tables too).
    """
    t = _as_table(table)
    if t.shape[0] < 2 or t.shape[1] < 2:
        return 1.0
    # compositions over the shorter dimension; smallest columns first (their order is immaterial)
    if t.shape[0] > t.shape[1]:
        t = t.T
    t = t[:, np.argsort(t.sum(axis=0), kind="stable")]
    rows = t.sum(axis=1).astype(np.int64)
    cols = t.sum(axis=0).astype(np.int64)
    n = int(t.sum())
    ncol = len(cols)
    # log P(table) = const + sum_j [log c_j! - sum_i log x_ij!]
    lf = _log_factorial(np.arange(n + 1))
    const = float(lf[rows].sum() - lf[n])
    col_lf = lf[cols]
    obs = const + float(col_lf.sum() - lf[t].sum())
    threshold = obs + math.log(FISHER_REL_ERR)
    work = 0

    def spend(amount: int) -> None:
        nonlocal work
        work += amount
        if work > max_work:
            raise FisherTooLarge(
                f"Fisher's exact test of this {t.shape[0]}x{t.shape[1]} table (n = {n}) needs more "
                f"work than the budget ({max_work}); use the chi-square test"
            )

    exact = _exact_path_bounds(rows, cols, lf, col_lf)

    def bounds(j: int, remaining: np.ndarray) -> tuple[float, float]:
        if exact is not None:
            code = int(remaining @ exact[0])
            return float(exact[1][j][code]), float(exact[2][j][code])
        hi = lo = 0.0
        for col in range(j, ncol):
            hi_c, lo_c = _column_bounds(int(cols[col]), remaining, lf)
            hi += float(col_lf[col]) + hi_c
            lo += float(col_lf[col]) + lo_c
        return hi, lo

    total = 0.0
    # node (remaining row margins) -> (log-weights of its partial tables, multiplicities)
    nodes: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] = {
        tuple(int(v) for v in rows): (np.array([const]), np.array([1.0]))
    }
    for j in range(ncol - 2):
        new_keys, new_vals, new_mult = [], [], []
        for key, (vals, mult) in nodes.items():
            remaining = np.asarray(key, dtype=np.int64)
            hi, lo = bounds(j, remaining)
            done = vals + hi <= threshold
            if done.any():
                rest = float(lf[int(remaining.sum())] - lf[remaining].sum())
                total += float((mult[done] * np.exp(vals[done] + rest)).sum())
            keep = ~done & (vals + lo <= threshold)
            if not keep.any():
                continue
            vals, mult = vals[keep], mult[keep]
            comps = _composition_array(int(cols[j]), key)
            spend(len(comps) * len(vals) + len(comps) + _NODE_COST)
            terms = float(col_lf[j]) - lf[comps].sum(axis=1)
            children = remaining - comps
            new_keys.append(np.repeat(children, len(vals), axis=0))
            new_vals.append((terms[:, None] + vals[None, :]).ravel())
            new_mult.append(np.tile(mult, len(comps)))
        if not new_keys:
            return min(1.0, total)
        keys = np.concatenate(new_keys)
        vals = np.concatenate(new_vals)
        mult = np.concatenate(new_mult)
        rounded = np.round(vals, _MERGE_DIGITS)
        order = np.lexsort((rounded, *keys.T[::-1]))
        keys, rounded, mult = keys[order], rounded[order], mult[order]
        change = np.ones(len(order), dtype=bool)
        change[1:] = (keys[1:] != keys[:-1]).any(axis=1) | (rounded[1:] != rounded[:-1])
        starts = np.flatnonzero(change)
        keys, rounded = keys[starts], rounded[starts]
        mult = np.add.reduceat(mult, starts)
        node_change = np.ones(len(starts), dtype=bool)
        node_change[1:] = (keys[1:] != keys[:-1]).any(axis=1)
        bounds_at = [*np.flatnonzero(node_change), len(starts)]
        nodes = {
            tuple(int(v) for v in keys[a]): (rounded[a:b], mult[a:b])
            for a, b in zip(bounds_at[:-1], bounds_at[1:], strict=True)
        }

    # the last two columns: enumerated per node, sorted, one binary search per partial table
    for key, (vals, mult) in nodes.items():
        remaining = np.asarray(key, dtype=np.int64)
        x = _composition_array(int(cols[-2]), key)
        spend(len(x) + len(vals) + _NODE_COST)
        tail = float(col_lf[-2] + col_lf[-1]) - lf[x].sum(axis=1) - lf[remaining - x].sum(axis=1)
        tail.sort()
        top = float(tail[-1])
        cums = np.cumsum(np.exp(tail - top))
        k = np.searchsorted(tail, threshold - vals, side="right")
        hit = k > 0
        total += float((mult[hit] * np.exp(vals[hit] + top) * cums[k[hit] - 1]).sum())
    return min(1.0, total)


def fisher_test(table) -> TestResult:
    """Fisher's exact test (two-sided) of an r x c table, exact as R ``fisher.test``."""
    return TestResult("fisher", math.nan, math.nan, fisher_exact_p(table))


TESTS = ("auto", "chisq", "fisher")


def choose_test(table, test: str = "auto") -> str:
    """``chisq`` or ``fisher``: with ``auto``, Fisher when any expected count is below 5."""
    if test not in TESTS:
        raise ValueError(f"unknown test {test!r}; expected one of {', '.join(TESTS)}")
    if test != "auto":
        return test
    t = _as_table(table)
    if t.shape[0] < 2 or t.shape[1] < 2:
        return "chisq"
    return "fisher" if (expected_counts(t) < 5).any() else "chisq"


def contingency_test(table, test: str = "auto", correct: bool = True) -> TestResult:
    """Chi-square (``correct``: Yates on 2x2, R's default) or Fisher's exact test, by rule.

    When Fisher's test is too large to enumerate (FisherTooLarge), ``auto`` falls back to the
    chi-square test and says so in ``test``; an explicit ``fisher`` gives a NaN p-value.
    """
    chosen = choose_test(table, test)
    if chosen == "fisher":
        try:
            return fisher_test(table)
        except FisherTooLarge:
            if test == "fisher":
                return TestResult("fisher (too large to enumerate)", math.nan, math.nan, math.nan)
            res = chisq_test(table, correct=correct)
            return TestResult(
                f"{res.test}; Fisher too large to enumerate", res.statistic, res.df, res.p
            )
    return chisq_test(table, correct=correct)
