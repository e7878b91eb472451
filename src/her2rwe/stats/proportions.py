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


class FisherTooLarge(ValueError):
    """The exact enumeration would visit more partial tables than the budget allows."""


@functools.lru_cache(maxsize=64)
def _compositions(total: int, caps: tuple[int, ...]) -> np.ndarray:
    """Every vector x with sum(x) = total and 0 <= x_i <= caps[i], one per row."""
    dims = [min(c, total) + 1 for c in caps[:-1]]
    grid = np.indices(dims, dtype=np.int64).reshape(len(dims), -1).T
    last = total - grid.sum(axis=1)
    keep = (last >= 0) & (last <= caps[-1])
    return np.ascontiguousarray(np.column_stack([grid[keep], last[keep]]))


def _even_split(total: int, caps: np.ndarray, lf: np.ndarray) -> np.ndarray:
    """Per row of caps: the largest -sum(log x_i!) over sum(x) = total, 0 <= x <= caps, reached by
    the most even split the caps allow (water filling; -sum(log x!) is Schur-concave)."""
    s = np.sort(caps, axis=1)
    left = np.full(len(s), total, dtype=np.int64)
    out = np.zeros(len(s))
    k = s.shape[1]
    for i in range(k):
        take = np.minimum(s[:, i], left // (k - i))
        out -= lf[take]
        left -= take
    return out


def _concentrated(total: int, caps: np.ndarray, lf: np.ndarray) -> np.ndarray:
    """Per row of caps: the smallest -sum(log x_i!) over the same set, reached by filling the
    largest caps first."""
    s = -np.sort(-caps, axis=1)
    left = np.full(len(s), total, dtype=np.int64)
    out = np.zeros(len(s))
    for i in range(s.shape[1]):
        take = np.minimum(s[:, i], left)
        out -= lf[take]
        left -= take
    return out


def _two_column_max(total: int, m: np.ndarray, lf: np.ndarray) -> np.ndarray:
    """Per row of m: the largest -sum(log x_i! + log (m_i - x_i)!) over sum(x) = total,
    0 <= x <= m - the most probable split of two columns (the multivariate hypergeometric mode).

    The objective is separable and concave, so the maximum takes the ``total`` largest marginal
    gains log((m_i - x) / (x + 1)); the level of the last one taken is found by bisection."""
    mf = m.astype(float)
    hi = np.full(len(m), math.log(float(m.sum(axis=1).max()) + 2.0) + 1.0)
    lo = -hi

    def taken(level: np.ndarray) -> np.ndarray:
        mu = np.exp(level)[:, None]
        return np.clip(np.ceil((mf - mu) / (1 + mu)), 0, mf).astype(np.int64)

    for _ in range(60):
        mid = (lo + hi) / 2
        over = taken(mid).sum(axis=1) > total
        lo = np.where(over, mid, lo)
        hi = np.where(over, hi, mid)
    x = taken(hi)
    # the gains still to take equal the level (up to the bisection's precision)
    return -(lf[x] + lf[m - x]).sum(axis=1) + (total - x.sum(axis=1)) * hi


def _node_ids(m: np.ndarray, radix: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of m (sorted remaining row margins with a common sum) and, per row, the
    index of its node."""
    k = m.shape[1] - 1
    if k * math.log(radix) < 62 * math.log(2):
        codes = m[:, :k] @ (radix ** np.arange(k - 1, -1, -1, dtype=np.int64))
        _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
        return m[first], inverse.ravel()
    nodes, inverse = np.unique(m, axis=0, return_inverse=True)
    return nodes, inverse.ravel()


FISHER_MAX_WORK = 30_000_000
# partial tables whose log-probabilities differ by less than this are merged (their weights added);
# far below R's relative tolerance of 1e-7 on the probability
_MERGE_DIGITS = 10
# bounds decide a partial table only with this margin (log scale), so that a rounding error in a
# bound never decides one; the undecided are enumerated exactly
_BOUND_MARGIN = 1e-9
# cells evaluated per vectorised block
_BLOCK = 1 << 21


def fisher_exact_p(table, max_work: int = FISHER_MAX_WORK) -> float:
    """Two-sided Fisher exact p-value of an r x c table, computed exactly as R ``fisher.test``.

    The p-value is the total probability, under independence with both margins fixed, of the tables
    whose probability is at most that of the observed table (times 1 + 1e-7, R's tolerance). Every
    table with the observed margins is accounted for, column by column (a network algorithm in the
    spirit of Mehta & Patel, the method behind R's FEXACT), in log space:
    - partial tables are grouped by the row margins they leave (the node, sorted); partial tables
      with the same node and the same probability are merged, their multiplicities added;
    - a partial table whose completions are all at most (or all above) the observed probability is
      counted (or discarded) in one step, with the closed form N'!/prod r'_i! of the total weight of
      its completions. The bounds: each remaining column on its own (most even and most
      concentrated split), and for the last two columns the exact most probable split;
    - the last two columns are enumerated once per node: their log-weights are sorted with
      cumulative sums, so each partial table of that node costs one binary search.
    All nodes of a level are processed in vectorised blocks. Raises FisherTooLarge when the work
    (cells enumerated) would exceed ``max_work``. P-values below about 1e-300 underflow to 0.
    """
    t = _as_table(table)
    if t.shape[0] < 2 or t.shape[1] < 2:
        return 1.0
    # compositions over the shorter dimension; largest columns last (their order is immaterial)
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

    total = 0.0
    radix = int(rows.max()) + 1

    def bounds(j: int, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Largest and smallest log-weight of the completions of each node from column j on."""
        if j == ncol - 2:
            both = float(col_lf[-2] + col_lf[-1])
            hi = both + _two_column_max(int(cols[-2]), nodes, lf)
            lo = both + _concentrated(int(cols[-2]), nodes, lf)
            return hi, lo + _concentrated(int(cols[-1]), nodes, lf)
        hi = np.zeros(len(nodes))
        lo = np.zeros(len(nodes))
        for col in range(j, ncol):
            hi += col_lf[col] + _even_split(int(cols[col]), nodes, lf)
            lo += col_lf[col] + _concentrated(int(cols[col]), nodes, lf)
        return hi, lo

    def settle(j: int, m: np.ndarray, v: np.ndarray, w: np.ndarray):
        """Count the partial tables whose completions (from column j on) all count, drop those
        none of whose completions count, return the undecided."""
        nonlocal total
        nodes, inverse = _node_ids(m, radix)
        hi, lo = bounds(j, nodes)
        hi, lo = hi[inverse], lo[inverse]
        done = v + hi <= threshold - _BOUND_MARGIN
        if done.any():
            md = m[done]
            rest = lf[md.sum(axis=1)] - lf[md].sum(axis=1)
            total += float((w[done] * np.exp(v[done] + rest)).sum())
        keep = ~done & (v + lo <= threshold + _BOUND_MARGIN)
        return m[keep], v[keep], w[keep]

    m, v, w = settle(0, np.sort(rows)[None, :], np.array([const]), np.array([1.0]))
    for j in range(ncol - 2):
        if not len(m):
            return min(1.0, total)
        comps = _compositions(int(cols[j]), tuple(int(c) for c in m.max(axis=0)))
        terms = float(col_lf[j]) - lf[comps].sum(axis=1)
        spend(len(m) * len(comps))
        step = max(1, _BLOCK // len(comps))
        kept = []
        for a in range(0, len(m), step):
            child = m[a : a + step, None, :] - comps[None, :, :]
            pi, ci = np.nonzero((child >= 0).all(axis=2))
            kept.append(
                settle(
                    j + 1,
                    np.sort(child[pi, ci], axis=1),
                    v[a : a + step][pi] + terms[ci],
                    w[a : a + step][pi],
                )
            )
        m, v, w = (np.concatenate(parts) for parts in zip(*kept, strict=True))
        # partial tables with the same node and probability are merged, their weights added
        nodes, inverse = _node_ids(m, radix)
        rounded = np.round(v, _MERGE_DIGITS)
        order = np.lexsort((rounded, inverse))
        inverse, rounded, w = inverse[order], rounded[order], w[order]
        change = np.ones(len(order), dtype=bool)
        change[1:] = (inverse[1:] != inverse[:-1]) | (rounded[1:] != rounded[:-1])
        first = np.flatnonzero(change)
        m, v, w = nodes[inverse[first]], rounded[first], np.add.reduceat(w, first)
    if not len(m):
        return min(1.0, total)

    # the last two columns, enumerated once per node: sorted log-weights and cumulative sums, one
    # binary search per partial table
    nodes, inverse = _node_ids(m, radix)
    order = np.argsort(inverse, kind="stable")
    v, w = v[order], w[order]
    ends = np.cumsum(np.bincount(inverse, minlength=len(nodes)))
    starts = ends - np.bincount(inverse, minlength=len(nodes))
    comps = _compositions(int(cols[-2]), tuple(int(c) for c in nodes.max(axis=0)))
    base = float(col_lf[-2] + col_lf[-1]) - lf[comps].sum(axis=1)
    spend(len(nodes) * len(comps) + len(v))
    step = max(1, _BLOCK // len(comps))
    for a in range(0, len(nodes), step):
        block = nodes[a : a + step]
        val = np.broadcast_to(base, (len(block), len(base))).copy()
        ok = np.ones(val.shape, dtype=bool)
        for i in range(block.shape[1]):
            rest = block[:, i, None] - comps[None, :, i]
            ok &= rest >= 0
            val -= lf[np.maximum(rest, 0)]
        val[~ok] = np.inf
        val.sort(axis=1)
        top = np.where(np.isfinite(val), val, -np.inf).max(axis=1)
        cum = np.cumsum(np.exp(val - top[:, None]), axis=1)
        for q in range(len(val)):
            s0, s1 = starts[a + q], ends[a + q]
            k = np.searchsorted(val[q], threshold - v[s0:s1], side="right")
            hit = k > 0
            total += float(
                (w[s0:s1][hit] * np.exp(v[s0:s1][hit] + top[q]) * cum[q, k[hit] - 1]).sum()
            )
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
