"""Tumour response tables: ORR, DCR and CBR per arm, between-arm comparisons, best-response
distribution and response by subgroup.

Definitions (DESIGN.md, RECIST 1.1 best overall response):
- ORR = CR + PR;
- DCR = CR + PR + SD;
- CBR = CR + PR + SD lasting at least ``cbr_min_weeks`` weeks (column ``sd_weeks``); CR and PR always
  count. An SD patient whose ``sd_weeks`` is missing does not count towards CBR.

The denominator is all patients of the arm (``all``, default; a missing best response counts as a
non-responder), patients with measurable disease (``measurable``: column ``measurable_disease``
truthy), or evaluable patients (``evaluable``: best response other than NE and not missing).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from her2rwe.config import study_settings
from her2rwe.formatting import LevelLabels
from her2rwe.records import ingest
from her2rwe.stats import proportions

# the RECIST 1.1 best responses of the input contract
RESPONSES = list(ingest.RESPONSES)
# row labels of the best-response distribution, in table order (RECIST 1.1 terms)
RATES = ["orr", "cbr", "dcr"]
RATE_LABELS = {"orr": "ORR", "cbr": "CBR", "dcr": "DCR"}
DENOMINATORS = {
    "all": "all treated patients",
    "measurable": "patients with measurable disease",
    "evaluable": "evaluable patients (best response other than NE or missing)",
}
OVERALL = "Overall"
TRUTHY = {"1", "true", "t", "yes", "y"}


@dataclass(frozen=True)
class ResponseOptions:
    """The study's ``response`` block with defaults (see the config schema)."""

    column: str = "best_response"
    cbr_min_weeks: float = 24.0
    ci_method: str = "clopper-pearson"
    diff_ci_method: str = "newcombe"
    test: str = "auto"
    chisq_correct: bool = True
    denominator: str = "all"
    conf_level: float = 0.95

    @classmethod
    def from_study(cls, study: Mapping[str, Any]) -> ResponseOptions:
        study = study_settings(study)
        r = study["response"] or {}
        return cls(
            column=r["column"],
            cbr_min_weeks=float(r["cbr_min_weeks"]),
            ci_method=r["ci_method"],
            diff_ci_method=r["diff_ci_method"],
            test=r["test"],
            chisq_correct=bool(r["chisq_correct"]),
            denominator=r["denominator"],
            conf_level=float(study["conf_level"]),
        )


def truthy(series: pd.Series) -> pd.Series:
    """True for 1, true, yes, y (any case); False for anything else, including missing."""
    s = series.astype("string").str.strip().str.lower()
    s = s.str.replace(r"\.0+$", "", regex=True)
    return s.isin(TRUTHY).fillna(False).astype(bool)


def derive_response_flags(data: pd.DataFrame, options: ResponseOptions) -> pd.DataFrame:
    """One row per patient: ``arm``, ``bor`` (CR/PR/SD/PD/NE or NA), ``in_denominator``, ``orr``,
    ``dcr`` and ``cbr`` (booleans; ``cbr`` is NA for every row when it cannot be judged).

    Raises ValueError when the best-response column, or the ``measurable_disease`` column for the
    measurable denominator, is not in the data.
    """
    if options.column not in data.columns:
        raise ValueError(f"best-response column {options.column!r} is not in the analysis dataset")
    bor = data[options.column].astype("string").str.strip().str.upper()
    bor = bor.where(bor.isin(RESPONSES))
    out = pd.DataFrame({"arm": data["arm"].astype(str).to_numpy(), "bor": bor.to_numpy()})
    out["bor"] = out["bor"].astype("string")
    if options.denominator == "all":
        keep = np.ones(len(out), dtype=bool)
    elif options.denominator == "measurable":
        if "measurable_disease" not in data.columns:
            raise ValueError(
                "response.denominator is 'measurable' but the data have no measurable_disease column"
            )
        keep = truthy(data["measurable_disease"]).to_numpy()
    elif options.denominator == "evaluable":
        keep = (out["bor"].notna() & (out["bor"] != "NE")).to_numpy(dtype=bool)
    else:
        raise ValueError(
            f"unknown response denominator {options.denominator!r}; expected one of "
            f"{', '.join(DENOMINATORS)}"
        )
    out["in_denominator"] = keep
    b = out["bor"].fillna("")
    out["orr"] = b.isin(["CR", "PR"]).to_numpy()
    out["dcr"] = b.isin(["CR", "PR", "SD"]).to_numpy()
    if options.cbr_min_weeks <= 0:
        out["cbr"] = out["dcr"]
    elif "sd_weeks" in data.columns:
        weeks = data["sd_weeks"].to_numpy(dtype=float, na_value=np.nan)
        durable_sd = (b == "SD").to_numpy() & (weeks >= options.cbr_min_weeks)
        out["cbr"] = out["orr"].to_numpy() | durable_sd
    else:
        out["cbr"] = pd.array([pd.NA] * len(out), dtype="boolean")
    return out


def _rate_columns(flags: pd.DataFrame, options: ResponseOptions) -> dict[str, Any]:
    """n, and for each rate its count, % and CI (0-100) over the patients in the denominator."""
    sub = flags[flags["in_denominator"]]
    n = len(sub)
    row: dict[str, Any] = {"n": n}
    for rate in RATES:
        col = sub[rate]
        if col.isna().any() or n == 0:
            row.update({f"{rate}_n": math.nan, f"{rate}_pct": math.nan})
            row.update({f"{rate}_lower": math.nan, f"{rate}_upper": math.nan})
            continue
        x = int(col.astype(bool).sum())
        lower, upper = proportions.proportion_ci(x, n, options.ci_method, options.conf_level)
        row.update(
            {
                f"{rate}_n": x,
                f"{rate}_pct": 100 * x / n,
                f"{rate}_lower": 100 * lower,
                f"{rate}_upper": 100 * upper,
            }
        )
    return row


def _rate_note(flags: pd.DataFrame, options: ResponseOptions) -> str:
    notes = []
    if flags["cbr"].isna().any():
        notes.append(
            f"CBR not estimable: no sd_weeks column to judge SD >= {options.cbr_min_weeks:g} weeks"
        )
    missing = int(flags.loc[flags["in_denominator"], "bor"].isna().sum())
    if missing and options.denominator == "all":
        notes.append(f"{missing} patient(s) without a best response counted as non-responders")
    return "; ".join(notes)


def summarize_response(
    data: pd.DataFrame, arms: Sequence[str], options: ResponseOptions
) -> pd.DataFrame:
    """Response rates per arm (in ``arms`` order) and ``Overall``, with CIs (percent, unrounded)."""
    flags = derive_response_flags(data, options)
    groups = [(arm, flags[flags["arm"] == arm]) for arm in arms]
    groups.append((OVERALL, flags))
    rows = []
    for arm, sub in groups:
        row = {"arm": arm, **_rate_columns(sub, options)}
        row.update(
            {
                "n_total": len(sub),
                "denominator": options.denominator,
                "ci_method": options.ci_method,
                "conf_level": options.conf_level,
                "cbr_min_weeks": options.cbr_min_weeks,
                "note": _rate_note(sub, options),
            }
        )
        rows.append(row)
    return pd.DataFrame(rows, columns=RESPONSE_COLUMNS)


RESPONSE_COLUMNS = [
    "arm",
    "n",
    *[f"{r}_{s}" for r in RATES for s in ("n", "pct", "lower", "upper")],
    "n_total",
    "denominator",
    "ci_method",
    "conf_level",
    "cbr_min_weeks",
    "note",
]

COMPARISON_COLUMNS = [
    "rate",
    "arm",
    "reference",
    "n",
    "x",
    "n_reference",
    "x_reference",
    "diff",
    "diff_lower",
    "diff_upper",
    "diff_method",
    "odds_ratio",
    "or_lower",
    "or_upper",
    "or_method",
    "test",
    "statistic",
    "p",
    "conf_level",
    "note",
]


def compare_two(x1: int, n1: int, x2: int, n2: int, options: ResponseOptions) -> dict[str, Any]:
    """Difference (percentage points) with CI, conditional-MLE odds ratio with exact CI, and the
    chi-square or Fisher p-value of group 1 (x1/n1) against group 2 (x2/n2)."""
    if n1 == 0 or n2 == 0:
        return {
            "diff": math.nan,
            "diff_lower": math.nan,
            "diff_upper": math.nan,
            "odds_ratio": math.nan,
            "or_lower": math.nan,
            "or_upper": math.nan,
            "test": "",
            "statistic": math.nan,
            "p": math.nan,
            "note": "a group has no patients in the denominator",
        }
    d, lo, hi = proportions.difference_ci(
        x1, n1, x2, n2, options.diff_ci_method, options.conf_level
    )
    table = [[x1, n1 - x1], [x2, n2 - x2]]
    est, or_lo, or_hi = proportions.conditional_odds_ratio(table, options.conf_level)
    note = ""
    if (x1 + x2) in (0, n1 + n2):
        res = proportions.TestResult("", math.nan, math.nan, math.nan)
        note = "no test: every patient has the same outcome"
    else:
        res = proportions.contingency_test(table, options.test, options.chisq_correct)
    return {
        "diff": 100 * d,
        "diff_lower": 100 * lo,
        "diff_upper": 100 * hi,
        "odds_ratio": est,
        "or_lower": or_lo,
        "or_upper": or_hi,
        "test": res.test,
        "statistic": res.statistic,
        "p": res.p,
        "note": note,
    }


def compare_response(
    data: pd.DataFrame, arms: Sequence[str], reference: str, options: ResponseOptions
) -> pd.DataFrame:
    """One row per rate and non-reference arm: the arm against the reference arm."""
    flags = derive_response_flags(data, options)
    flags = flags[flags["in_denominator"]]
    rows = []
    ref = flags[flags["arm"] == reference]
    for rate in RATES:
        for arm in arms:
            if arm == reference:
                continue
            sub = flags[flags["arm"] == arm]
            base = {
                "rate": rate,
                "arm": arm,
                "reference": reference,
                "n": len(sub),
                "n_reference": len(ref),
                "diff_method": options.diff_ci_method,
                "or_method": "conditional MLE, exact CI (as R fisher.test)",
                "conf_level": options.conf_level,
            }
            if sub[rate].isna().any() or ref[rate].isna().any():
                rows.append({**base, "note": f"{RATE_LABELS[rate]} not estimable"})
                continue
            x1, x2 = int(sub[rate].astype(bool).sum()), int(ref[rate].astype(bool).sum())
            rows.append(
                {
                    **base,
                    "x": x1,
                    "x_reference": x2,
                    **compare_two(x1, len(sub), x2, len(ref), options),
                }
            )
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


BEST_RESPONSE_COLUMNS = ["arm", "response", "n", "pct", "n_arm"]


def summarize_best_response(
    data: pd.DataFrame, arms: Sequence[str], options: ResponseOptions
) -> pd.DataFrame:
    """Best-response distribution per arm and Overall: CR, PR, SD, PD, NE, missing; % of all
    patients in the arm (the table is not restricted by the response denominator)."""
    flags = derive_response_flags(data, options)
    bor = flags["bor"].fillna("missing")
    rows = []
    for arm in [*arms, OVERALL]:
        mask = np.ones(len(flags), bool) if arm == OVERALL else (flags["arm"] == arm).to_numpy()
        n_arm = int(mask.sum())
        counts = bor[mask].value_counts()
        for cat in [*RESPONSES, "missing"]:
            n = int(counts.get(cat, 0))
            rows.append(
                {
                    "arm": arm,
                    "response": cat,
                    "n": n,
                    "pct": 100 * n / n_arm if n_arm else math.nan,
                    "n_arm": n_arm,
                }
            )
    return pd.DataFrame(rows, columns=BEST_RESPONSE_COLUMNS)


# ------------------------------------------------------------------------------------------------
# subgroups


def matches(series: pd.Series, wanted: Any) -> pd.Series:
    """True where the column equals the configured value (or one of the values in a list).

    Numbers compare as numbers (1 matches 1.0), everything else as trimmed text; booleans match
    1/true/yes and 0/false/no.
    """
    values = wanted if isinstance(wanted, list) else [wanted]
    text = series.astype("string").str.strip()
    numeric = pd.to_numeric(series, errors="coerce")
    hit = pd.Series(False, index=series.index)
    for v in values:
        if isinstance(v, bool):
            hit |= truthy(series) if v else (text.str.lower().isin({"0", "false", "f", "no", "n"}))
        elif isinstance(v, (int, float)):
            hit |= (numeric == v).fillna(False).astype(bool)
        else:
            hit |= (text == str(v)).fillna(False).astype(bool)
    return hit.fillna(False).astype(bool)


def compare_group_masks(data: pd.DataFrame, compare: Mapping[str, Any]) -> dict[str, pd.Series]:
    """Group label -> patients in the group (every column condition holds)."""
    masks = {}
    for label, conditions in compare["groups"].items():
        mask = pd.Series(True, index=data.index)
        for column, wanted in conditions.items():
            if column not in data.columns:
                raise ValueError(f"subgroup compare group {label!r}: column {column!r} not in data")
            mask &= matches(data[column], wanted)
        masks[label] = mask
    return masks


def subgroup_levels(data: pd.DataFrame, subgroup: Mapping[str, Any]) -> list[Any]:
    if subgroup.get("levels"):
        return list(subgroup["levels"])
    values = data[subgroup["variable"]].dropna().unique().tolist()
    return sorted(values, key=lambda v: (str(type(v)), v))


SUBGROUP_COLUMNS = [
    "variable",
    "label",
    "contrast",
    "level",
    "arm",
    *RESPONSE_COLUMNS[1:14],
    "orr_p",
    "cbr_p",
    "test",
    "denominator",
    "ci_method",
    "note",
]


def _across_groups_p(flags_by_group: list[pd.DataFrame], rate: str, options: ResponseOptions):
    """Test of a rate across groups (groups x responder table); NaN when not testable."""
    table = []
    for f in flags_by_group:
        f = f[f["in_denominator"]]
        if f[rate].isna().any():
            return None
        x = int(f[rate].astype(bool).sum())
        table.append([x, len(f) - x])
    t = np.asarray(table)
    t = t[t.sum(axis=1) > 0]
    if len(t) < 2 or (t.sum(axis=0) == 0).any():
        return None
    return proportions.contingency_test(t, options.test, options.chisq_correct)


def summarize_response_subgroups(
    data: pd.DataFrame,
    arms: Sequence[str],
    subgroups: Sequence[Mapping[str, Any]],
    options: ResponseOptions,
    labels: LevelLabels | None = None,
) -> pd.DataFrame:
    """Response rates by subgroup (levels in display order: `levels`, else ``labels``' order).

    For a subgroup with levels: one row per level and arm (and ``Overall`` across arms when the
    study has more than one arm); ``orr_p``/``cbr_p`` test the rate across the levels within that arm.
    For a subgroup with ``compare`` groups: one row per group (``arm`` = ``Overall``); the p-values
    test the rate across the groups.
    """
    flags = derive_response_flags(data, options)
    flags.index = data.index
    rows = []
    arm_sets = list(arms) + ([OVERALL] if len(arms) > 1 else [])
    for sg in subgroups:
        var = sg["variable"]
        label = sg.get("label") or var
        if sg.get("compare"):
            masks = compare_group_masks(data, sg["compare"])
            blocks = {OVERALL: [(g, flags[m.to_numpy()]) for g, m in masks.items()]}
            contrast = "compare"
        else:
            levels = subgroup_levels(data, sg)
            if labels is not None and not sg.get("levels"):
                levels = labels.order(var, levels)
            blocks = {}
            for arm in arm_sets:
                in_arm = flags if arm == OVERALL else flags[flags["arm"] == arm]
                col = data.loc[in_arm.index, var]
                found = [(lv, in_arm[matches(col, lv).to_numpy()]) for lv in levels]
                # a level that does not occur in an arm (e.g. an ADC regimen in the HP+C arm) is no row
                blocks[arm] = [(lv, sub) for lv, sub in found if len(sub)]
            contrast = "level"
        for arm, groups in blocks.items():
            tests = {
                r: _across_groups_p([g for _, g in groups], r, options) for r in ("orr", "cbr")
            }
            test_name = next((t.test for t in tests.values() if t is not None), "")
            for level, sub in groups:
                rows.append(
                    {
                        "variable": var,
                        "label": label,
                        "contrast": contrast,
                        "level": level,
                        "arm": arm,
                        **_rate_columns(sub, options),
                        "orr_p": tests["orr"].p if tests["orr"] else math.nan,
                        "cbr_p": tests["cbr"].p if tests["cbr"] else math.nan,
                        "test": test_name,
                        "denominator": options.denominator,
                        "ci_method": options.ci_method,
                        "note": _rate_note(sub, options) if len(sub) else "no patients",
                    }
                )
    return pd.DataFrame(rows, columns=SUBGROUP_COLUMNS)
