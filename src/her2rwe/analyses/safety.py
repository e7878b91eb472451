"""Adverse-event tables: patients with each term (or category) per arm, by worst CTCAE grade.

A patient is counted once per term (or category), at the worst grade they had for it:
- any grade: the patient had the term at all;
- grade 3-4: the worst grade is 3 or 4;
- grade >= 3: the worst grade is 3, 4 or 5;
- grade 5: the worst grade is 5.
The "Any adverse event" row counts each patient once, at their worst grade over all terms. The
denominator of every percentage is the safety population: all patients of the arm in the analysis
dataset (with or without an adverse event). Rows are sorted by the number of patients with the term
in the whole cohort (most frequent first), then by name; the "Any adverse event" row comes first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

ANY_AE = "Any adverse event"
OVERALL = "Overall"
UNCATEGORIZED = "uncategorized"
GRADE_BANDS = {
    "any_grade": (1, 5),
    "grade34": (3, 4),
    "grade3plus": (3, 5),
    "grade5": (5, 5),
}
COUNT_COLUMNS = [c for band in GRADE_BANDS for c in (f"{band}_n", f"{band}_pct")]


def assign_categories(
    adverse_events: pd.DataFrame, categories: Mapping[str, str] | None = None
) -> pd.Series:
    """The category of each row: the file's ``category`` column, else the study's term-to-category
    map, else ``uncategorized``."""
    mapped = adverse_events["term"].map(dict(categories or {}))
    if "category" in adverse_events.columns:
        cat = adverse_events["category"].astype("string").str.strip().replace("", pd.NA)
        cat = cat.fillna(mapped.astype("string"))
    else:
        cat = mapped.astype("string")
    return cat.fillna(UNCATEGORIZED)


def worst_grades(adverse_events: pd.DataFrame, by: str) -> pd.DataFrame:
    """One row per patient and ``by`` value with the patient's worst grade (``patient_id``, ``arm``,
    ``by``, ``grade``)."""
    ae = adverse_events[["patient_id", "arm", by, "grade"]].copy()
    ae["grade"] = pd.to_numeric(ae["grade"]).astype(int)
    return ae.groupby(["patient_id", "arm", by], as_index=False, sort=False)["grade"].max()


def _count_row(worst: pd.Series, n: int) -> dict[str, float]:
    row = {}
    for band, (lo, hi) in GRADE_BANDS.items():
        k = int(((worst >= lo) & (worst <= hi)).sum())
        row[f"{band}_n"] = k
        row[f"{band}_pct"] = 100 * k / n if n else np.nan
    return row


def summarize_adverse_events(
    dataset: pd.DataFrame,
    adverse_events: pd.DataFrame,
    arms: Sequence[str],
    by: str = "term",
    categories: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Patients with each ``by`` value (``term`` or ``category``) per arm and Overall.

    ``dataset`` gives the safety population (one row per patient with its arm); ``adverse_events``
    has ``patient_id``, ``arm``, ``term``, ``grade`` and optionally ``category``. Every arm x value
    appears, with zero counts where an arm had none.
    """
    if by not in ("term", "category"):
        raise ValueError("by must be 'term' or 'category'")
    ae = adverse_events.copy()
    ae["arm"] = ae["patient_id"].map(
        dict(zip(dataset["patient_id"], dataset["arm"].astype(str), strict=True))
    )
    unknown = ae["arm"].isna()
    if unknown.any():
        ids = ", ".join(sorted(ae.loc[unknown, "patient_id"].astype(str).unique())[:5])
        raise ValueError(f"adverse events of patients not in the analysis dataset: {ids}")
    ae["category"] = assign_categories(ae, categories)
    per_value = worst_grades(ae, by)
    ae["_all"] = ANY_AE
    per_patient = worst_grades(ae, "_all").rename(columns={"_all": by})
    worst = pd.concat([per_patient, per_value], ignore_index=True)

    total = worst.groupby(by)["patient_id"].nunique()
    values = [ANY_AE] + sorted(
        (v for v in total.index if v != ANY_AE), key=lambda v: (-int(total[v]), str(v))
    )
    population = dataset["arm"].astype(str).value_counts()
    rows = []
    for arm in [*arms, OVERALL]:
        n = int(population.sum() if arm == OVERALL else population.get(arm, 0))
        in_arm = worst if arm == OVERALL else worst[worst["arm"] == arm]
        grouped = {k: g["grade"] for k, g in in_arm.groupby(by)}
        for value in values:
            grades = grouped.get(value, pd.Series([], dtype=int))
            rows.append({"arm": arm, by: value, "n": n, **_count_row(grades, n)})
    out = pd.DataFrame(rows, columns=["arm", by, "n", *COUNT_COLUMNS])
    if by == "term":
        term_category = (
            ae.groupby("term")["category"].agg(lambda s: s.value_counts().index[0]).to_dict()
        )
        out.insert(2, "category", out["term"].map(term_category).fillna(""))
    return out


def empty_table(by: str = "term") -> pd.DataFrame:
    cols = ["arm", by] + (["category"] if by == "term" else []) + ["n", *COUNT_COLUMNS]
    return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
