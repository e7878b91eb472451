"""Baseline characteristics (Table 1) per arm and overall.

- Continuous variables: median [Q1-Q3] and range (quantiles as R's default ``quantile(type = 7)``);
  p-value from the Wilcoxon rank-sum test (2 arms) or the Kruskal-Wallis test (more arms), as R's
  ``wilcox.test`` and ``kruskal.test`` with their defaults: the exact Wilcoxon distribution when both
  arms have fewer than 50 patients and there are no ties, else the normal approximation with
  continuity correction and tie-corrected variance.
- Categorical variables: n (%) per level, % of the patients with a known value; p-value from
  Pearson's chi-square test (Yates' correction on 2x2 tables, R's default) or Fisher's exact test
  (r x c, exact), Fisher when any expected count is below 5.
- Missing values are counted in a ``Missing`` row (n and % of all patients) and left out of the
  statistics and tests.
- Standardized mean difference (2 arms only): continuous |m1 - m2| / sqrt((s1^2 + s2^2) / 2) with
  sample variances; categorical the multinomial SMD of Yang & Dalton (2012),
  sqrt((p1 - p2)' S^-1 (p1 - p2)) with S = (S1 + S2) / 2, S_i = diag(p_i) - p_i p_i', over all levels
  but the first. Both are absolute values, as R tableone prints them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from her2rwe import formatting
from her2rwe.config import study_settings
from her2rwe.stats import proportions

OVERALL = "Overall"
EXCLUDED = {"patient_id", "arm", "best_response", "sd_weeks", "discontinuation_reason"}
MAX_INTEGER_LEVELS = 5


@dataclass(frozen=True)
class Variable:
    name: str
    type: str  # continuous | categorical
    label: str


def baseline_variables(data: pd.DataFrame, study: Mapping[str, Any]) -> list[Variable]:
    """Table 1 variables: the study's ``baseline`` list, else its ``covariates``, else every
    covariate column of the dataset. A type not given is inferred: listed in ``categorical``, text
    or boolean, or integers with at most 5 distinct values -> categorical; other numbers ->
    continuous."""
    study = study_settings(study)
    endpoints = set(study["endpoints"])
    items = (
        study.get("baseline")
        or study.get("covariates")
        or [
            c
            for c in data.columns
            if c not in EXCLUDED
            and not any(c.startswith(f"{ep}_") for ep in endpoints)
            and not c.endswith(("_months", "_event", "_source"))
        ]
    )
    forced = set(study["categorical"])
    out = []
    for item in items:
        if isinstance(item, str):
            item = {"name": item}
        name = item["name"]
        if name not in data.columns:
            raise ValueError(f"baseline variable {name!r} is not in the analysis dataset")
        vtype = item.get("type") or infer_type(data[name], name in forced)
        out.append(Variable(name, vtype, item.get("label") or name))
    return out


def infer_type(series: pd.Series, categorical: bool = False) -> str:
    if (
        categorical
        or not pd.api.types.is_numeric_dtype(series)
        or pd.api.types.is_bool_dtype(series)
    ):
        return "categorical"
    values = series.dropna().to_numpy(dtype=float)
    if np.all(values == np.round(values)) and len(np.unique(values)) <= MAX_INTEGER_LEVELS:
        return "categorical"
    return "continuous"


# ------------------------------------------------------------------------------------------------
# tests


def _rank_sums(samples: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Sum of each sample's average ranks (as R rank() of all samples together), and the sizes of
    the tie groups. One sort: a distinct value's average rank is the same for all its copies, so
    a sample's rank sum is its count of each distinct value times that rank. Every term is a whole
    number or a half, so the sums are exact (the same in any order)."""
    _, inverse, counts = np.unique(np.concatenate(samples), return_inverse=True, return_counts=True)
    avg = np.cumsum(counts) - (counts - 1) / 2
    sample = np.repeat(np.arange(len(samples)), [len(x) for x in samples])
    per = np.bincount(sample * len(counts) + inverse, minlength=len(samples) * len(counts))
    return per.reshape(len(samples), len(counts)) @ avg, counts


def _wilcoxon_counts(m: int, n: int) -> np.ndarray:
    """Number of arrangements with Mann-Whitney statistic W = 0..m*n (float, as R's cwilcox)."""
    # generating function prod_{i=1..n} (1 - q^(m+i)) / (1 - q^i)
    size = m * n + 1
    f = np.zeros(size)
    f[0] = 1.0
    for i in range(1, n + 1):
        shifted = np.zeros(size)
        if m + i < size:
            shifted[m + i :] = f[: size - (m + i)]
        f = f - shifted
        for k in range(i, size):  # divide by (1 - q^i)
            f[k] += f[k - i]
    return f


def wilcoxon_rank_sum(x: np.ndarray, y: np.ndarray) -> proportions.TestResult:
    """Two-sided Wilcoxon rank-sum test, as R ``wilcox.test(x, y)`` with its defaults (exact when
    both samples are below 50 and there are no ties; else normal approximation, continuity
    correction, tie-corrected variance). The statistic is R's W."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    m, n = len(x), len(y)
    if m == 0 or n == 0:
        return proportions.TestResult("wilcoxon", math.nan, math.nan, math.nan)
    sums, ties = _rank_sums([x, y])
    w = float(sums[0] - m * (m + 1) / 2)
    exact = m < 50 and n < 50 and (ties == 1).all()
    if exact:
        counts = _wilcoxon_counts(m, n)
        total = counts.sum()
        k = int(round(w))
        if w > m * n / 2:
            p = counts[k:].sum() / total
        else:
            p = counts[: k + 1].sum() / total
        return proportions.TestResult("wilcoxon (exact)", w, math.nan, min(1.0, 2 * p))
    from scipy.special import ndtr

    z = w - m * n / 2
    sigma = math.sqrt(
        m * n / 12 * ((m + n + 1) - float((ties**3 - ties).sum()) / ((m + n) * (m + n - 1)))
    )
    if sigma == 0:
        return proportions.TestResult("wilcoxon", w, math.nan, math.nan)
    z = (z - math.copysign(0.5, z) if z != 0 else 0.0) / sigma
    p = 2 * min(float(ndtr(z)), float(ndtr(-z)))
    return proportions.TestResult("wilcoxon (normal, cc)", w, math.nan, min(1.0, p))


def kruskal_wallis(groups: Sequence[np.ndarray]) -> proportions.TestResult:
    """Kruskal-Wallis rank-sum test with tie correction, as R ``kruskal.test``."""
    groups = [np.asarray(g, float) for g in groups if len(g)]
    if len(groups) < 2:
        return proportions.TestResult("kruskal", math.nan, math.nan, math.nan)
    big_n = sum(len(g) for g in groups)
    sums, ties = _rank_sums(groups)
    stat = 0.0
    for g, rank_sum in zip(groups, sums, strict=True):
        stat += float(rank_sum) ** 2 / len(g)
    stat = 12 * stat / (big_n * (big_n + 1)) - 3 * (big_n + 1)
    denom = 1 - float((ties**3 - ties).sum()) / (big_n**3 - big_n)
    if denom == 0:
        return proportions.TestResult("kruskal", math.nan, math.nan, math.nan)
    stat /= denom
    from scipy.special import chdtrc

    df = len(groups) - 1
    return proportions.TestResult("kruskal", stat, float(df), float(chdtrc(df, stat)))


# ------------------------------------------------------------------------------------------------
# standardized mean differences


def smd_continuous(x: np.ndarray, y: np.ndarray) -> float:
    """|mean(x) - mean(y)| / sqrt((var(x) + var(y)) / 2), sample variances (ddof 1)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 2 or len(y) < 2:
        return math.nan
    pooled = math.sqrt((x.var(ddof=1) + y.var(ddof=1)) / 2)
    diff = abs(x.mean() - y.mean())
    if pooled == 0:
        return 0.0 if diff == 0 else math.nan
    return float(diff / pooled)


def smd_categorical(p1: np.ndarray, p2: np.ndarray) -> float:
    """Yang & Dalton (2012) multinomial SMD from two vectors of level proportions (each sums to 1)."""
    p1, p2 = np.asarray(p1, float), np.asarray(p2, float)
    if len(p1) < 2:
        return 0.0
    t = (p1 - p2)[1:]
    a, b = p1[1:], p2[1:]
    s = (np.diag(a) - np.outer(a, a) + np.diag(b) - np.outer(b, b)) / 2
    if not t.any():
        return 0.0
    try:
        val = float(t @ np.linalg.solve(s, t))
    except np.linalg.LinAlgError:
        val = float(t @ np.linalg.pinv(s) @ t)
    return math.sqrt(max(val, 0.0))


# ------------------------------------------------------------------------------------------------
# the table


def _quantiles(x: np.ndarray) -> dict[str, float]:
    if len(x) == 0:
        return dict.fromkeys(("median", "q1", "q3", "min", "max", "mean", "sd"), math.nan)
    q1, med, q3 = np.quantile(x, [0.25, 0.5, 0.75])  # numpy "linear" = R type 7
    return {
        "median": float(med),
        "q1": float(q1),
        "q3": float(q3),
        "min": float(x.min()),
        "max": float(x.max()),
        "mean": float(x.mean()),
        "sd": float(x.std(ddof=1)) if len(x) > 1 else math.nan,
    }


def _digits(values: np.ndarray) -> int:
    """Decimals to print: 0 for whole numbers, else 1."""
    v = values[~np.isnan(values)]
    return 0 if len(v) and np.all(v == np.round(v)) else 1


def summarize_baseline(
    data: pd.DataFrame,
    arms: Sequence[str],
    variables: Sequence[Variable],
    test: str = "auto",
    chisq_correct: bool = True,
    labels: formatting.LevelLabels | None = None,
) -> pd.DataFrame:
    """Table 1: one block of rows per variable, one formatted column per arm and Overall, unrounded
    ``{arm}__*`` columns, and ``p``, ``test`` and ``smd`` on the first row of each variable.
    Categorical levels are sorted, or in the display order of ``labels`` (the study's `display`)."""
    groups = [*arms, OVERALL]
    masks = {a: (data["arm"].astype(str) == a).to_numpy() for a in arms}
    masks[OVERALL] = np.ones(len(data), dtype=bool)
    rows: list[dict[str, Any]] = []
    for var in variables:
        col = data[var.name]
        missing = col.isna().to_numpy()
        if var.type == "continuous":
            values = col.to_numpy(dtype=float, na_value=np.nan)
            digits = _digits(values)
            per = {a: values[masks[a] & ~missing] for a in groups}
            stats = {a: _quantiles(per[a]) for a in groups}
            arm_values = [per[a] for a in arms]
            if len(arms) == 2:
                res = wilcoxon_rank_sum(*arm_values)
                smd = smd_continuous(*arm_values)
            elif len(arms) > 2:
                res, smd = kruskal_wallis(arm_values), math.nan
            else:
                res, smd = None, math.nan
            first = {"variable": var.name, "label": var.label, "type": var.type}
            med = {**first, "level": "Median [IQR]"}
            rng = {**first, "level": "Range"}
            for a in groups:
                s = stats[a]
                med[a] = (
                    f"{formatting.fmt_num(s['median'], digits, '-')} "
                    f"[{formatting.fmt_ci(s['q1'], s['q3'], digits, '-')}]"
                    if len(per[a])
                    else "-"
                )
                rng[a] = formatting.fmt_ci(s["min"], s["max"], digits, "-") if len(per[a]) else "-"
                for key, v in s.items():
                    med[f"{a}__{key}"] = v
                med[f"{a}__n"] = len(per[a])
            med.update(_test_columns(res, smd))
            block = [med, rng]
        else:
            levels = (labels or formatting.LevelLabels({})).order(var.name, _categorical_levels(col))
            names = [formatting.level_text(lv) for lv in levels]
            # each cell's level by its text (1 and 1.0 are one level), worked out once per distinct
            # value: -1 for a missing cell or a value outside the levels
            codes, uniques = pd.factorize(col, use_na_sentinel=True)
            position = {name: i for i, name in enumerate(names)}
            per_unique = np.array(
                [position.get(formatting.level_text(u), -1) for u in uniques] + [-1], dtype=np.intp
            )
            level_of = per_unique[codes]  # code -1 (missing) picks the trailing -1
            counts = pd.DataFrame(
                {
                    a: np.bincount(level_of[masks[a] & (level_of >= 0)], minlength=len(names))
                    for a in groups
                },
                index=names,
            )
            table = counts[list(arms)].to_numpy()
            res = None
            if len(arms) >= 2 and len(levels) >= 2:
                t = table[table.sum(axis=1) > 0]
                if len(t) >= 2 and (t.sum(axis=0) > 0).sum() >= 2:
                    res = proportions.contingency_test(t.T, test, chisq_correct)
            smd = math.nan
            if len(arms) == 2 and (table.sum(axis=0) > 0).all():
                p = table / table.sum(axis=0)
                smd = smd_categorical(p[:, 0], p[:, 1])
            block = []
            for i, level in enumerate(counts.index):
                row = {"variable": var.name, "label": var.label, "type": var.type, "level": level}
                for a in groups:
                    known = int(counts[a].sum())
                    k = int(counts.iloc[i][a])
                    pct = 100 * k / known if known else math.nan
                    row[a] = formatting.fmt_n_pct(k, pct)
                    row[f"{a}__n"] = k
                    row[f"{a}__pct"] = pct
                block.append(row)
            if block:
                block[0].update(_test_columns(res, smd))
        miss = {"variable": var.name, "label": var.label, "type": var.type, "level": "Missing"}
        any_missing = False
        for a in groups:
            k = int((missing & masks[a]).sum())
            total = int(masks[a].sum())
            any_missing |= k > 0
            miss[a] = formatting.fmt_n_pct(k, 100 * k / total if total else math.nan)
            miss[f"{a}__n"] = k
            miss[f"{a}__pct"] = 100 * k / total if total else math.nan
        if any_missing:
            block.append(miss)
        rows.extend(block)
    front = ["variable", "label", "level", "type", *groups]
    out = pd.DataFrame(rows)
    if out.empty:
        return pd.DataFrame(columns=[*front, "p", "test", "smd"])
    rest = [c for c in out.columns if c not in front and c not in ("p", "test", "smd")]
    for c in ("p", "test", "smd"):
        if c not in out.columns:
            out[c] = math.nan if c != "test" else ""
    return out[
        [
            *front,
            *sorted(rest, key=lambda c: (groups.index(c.split("__")[0]), c)),
            "p",
            "test",
            "smd",
        ]
    ]


def _categorical_levels(col: pd.Series) -> list[Any]:
    values = col.dropna().unique().tolist()
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=str)


def _test_columns(res: proportions.TestResult | None, smd: float) -> dict[str, Any]:
    if res is None:
        return {"p": math.nan, "test": "", "smd": smd}
    return {"p": res.p, "test": res.test, "smd": smd}
