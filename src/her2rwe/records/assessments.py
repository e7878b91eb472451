"""Read and check a tumour-assessment file (DESIGN.md, input contract v2: ``assessments.csv``).

One row per assessment: ``patient_id``, ``date``, ``response`` (CR, PR, SD, PD, NE, or empty on a
baseline assessment) and optional ``sum_diameters`` (mm). Every problem names the file, the line and
the column; values of the patient column are never shown.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from her2rwe.records.contract import RESPONSES
from her2rwe.records.ingest import (
    ISO_DATE,
    RawTable,
    TableSchema,
    _blank_or,
    _bounded_number,
    _column,
    _Rule,
    _valid_date,
    filled,
    validate,
)
from her2rwe.records.rawtext import Problem

COLUMNS = ("patient_id", "date", "response", "sum_diameters")


def assessment_schema() -> TableSchema:
    return TableSchema(
        {
            "patient_id": _column(checks=[_Rule(filled, error="expected a patient ID")]),
            "date": _column(
                checks=[
                    _Rule(filled, error="expected the assessment date (required)"),
                    _Rule(_valid_date, error="expected an ISO date YYYY-MM-DD"),
                ]
            ),
            "response": _column(
                checks=[
                    _Rule(
                        _blank_or("|".join(RESPONSES)),
                        error="expected CR, PR, SD, PD, NE, or empty on a baseline assessment",
                    )
                ]
            ),
            "sum_diameters": _column(
                required=False,
                checks=[
                    _Rule(_bounded_number(10000.0), error="expected a sum of diameters (mm) >= 0")
                ],
            ),
        },
        "assessments",
    )


def _hide_ids(problems: list[Problem]) -> list[Problem]:
    from dataclasses import replace

    return [replace(p, value=None) if p.column == "patient_id" else p for p in problems]


def same_day_rows(patient_id, date) -> np.ndarray:
    """Rows whose patient has another row on the same day (a missing date is no day): the only
    rows where two responses of one day can differ. Patients and days are compared through their
    integer codes, which is far cheaper than grouping a million strings."""
    pid = np.asarray(patient_id)
    if pid.dtype.kind not in "iu":  # integer codes of patients are factorized as they are
        pid = pid.astype(object)
    pcode = pd.factorize(pid)[0].astype(np.int64)
    dcode, days = pd.factorize(np.asarray(date, dtype="datetime64[ns]"))
    key = pd.Series(pcode * (len(days) + 1) + dcode)
    return (key.duplicated(keep=False) & (dcode >= 0)).to_numpy()


def same_day_problems(
    raw: RawTable, date: pd.Series | None = None, patient: np.ndarray | None = None
) -> list[Problem]:
    """Two assessments of a patient on one day with different responses (the rule
    ``response.same_day: error``): one problem per row of such a day, naming the day's first line.
    Rows with an unreadable date are left to the date check. ``date``: the date column already
    parsed (NaT where unreadable), when the caller has it; ``patient``: an integer code of each
    row's patient (one per patient ID), when the caller has it."""
    frame = raw.frame
    if date is None:
        codes, uniques = pd.factorize(frame["date"])
        u = pd.Series(uniques, dtype=object)
        parsed = pd.to_datetime(u.where(u.str.fullmatch(ISO_DATE)), errors="coerce").to_numpy()
        date = pd.Series(parsed[codes] if len(codes) else parsed[:0], index=frame.index)
    rows = np.flatnonzero(same_day_rows(frame["patient_id"] if patient is None else patient, date))
    if not len(rows):
        return []
    pid = frame["patient_id"].iloc[rows]
    date = pd.Series(np.asarray(date, dtype="datetime64[ns]")[rows], index=pid.index)
    resp = frame["response"].iloc[rows]
    codes = resp.where(resp != "")
    n_codes = codes.groupby([pid, date]).transform("nunique")
    first_line = pd.Series(raw.lines[rows], index=pid.index).groupby([pid, date]).transform("min")
    return [
        Problem(
            raw.path,
            raw.line_of(rows[j]),
            "response",
            "another assessment of this patient on the same day has a different response "
            f"(first on line {int(first_line.iat[j])}); keep one, or set "
            "response.same_day: worst",
            resp.iat[j],
        )
        for j in np.flatnonzero((n_codes > 1).to_numpy())
    ]


def assessment_problems(
    raw: RawTable, index_dates: Mapping[str, pd.Timestamp], same_day: str
) -> list[Problem]:
    """Every problem of a raw assessment table: the schema; patients not in the cohort; two
    assessments of a patient on one day with different responses (when ``same_day`` is ``error``);
    a ``sum_diameters`` after the index date without a baseline one on or before it.

    ``index_dates`` maps each cohort patient to the index date."""
    problems = _hide_ids(validate(raw, assessment_schema()))
    frame = raw.frame
    if problems or not {"patient_id", "date", "response"} <= set(frame.columns):
        return problems
    pid = frame["patient_id"]
    unknown = ~pid.isin(list(index_dates))
    for i in np.flatnonzero(unknown.to_numpy()):
        problems.append(
            Problem(raw.path, raw.line_of(i), "patient_id", "patient is not in the cohort file")
        )
    date = pd.to_datetime(frame["date"].where(frame["date"].str.fullmatch(ISO_DATE)))
    if same_day == "error":
        problems += same_day_problems(raw)
    if "sum_diameters" in frame.columns:
        index = pid.map(index_dates)
        has_sum = frame["sum_diameters"] != ""
        baseline = (has_sum & (date <= index)).groupby(pid).transform("any")
        orphan = has_sum & (date > index) & ~baseline & index.notna()
        first = orphan & ~orphan.groupby(pid).cumsum().gt(1)
        for i in np.flatnonzero(first.to_numpy()):
            problems.append(
                Problem(
                    raw.path,
                    raw.line_of(i),
                    "sum_diameters",
                    "sum of diameters after the index date without a baseline one (no assessment "
                    "of this patient on or before the index date has sum_diameters)",
                    frame["sum_diameters"].iat[i],
                )
            )
    return sorted(problems, key=lambda p: (p.line or 0, p.column or ""))


def coerce_assessments(frame: pd.DataFrame) -> pd.DataFrame:
    """Typed assessments: date as datetime64, sum_diameters as float (missing when empty)."""
    out = pd.DataFrame(
        {
            "patient_id": frame["patient_id"].astype(str),
            "date": pd.to_datetime(frame["date"], format="%Y-%m-%d"),
            "response": frame["response"].astype(str),
        }
    )
    if "sum_diameters" in frame.columns:
        out["sum_diameters"] = pd.to_numeric(frame["sum_diameters"].replace("", None)).astype(float)
    else:
        out["sum_diameters"] = np.nan
    return out
