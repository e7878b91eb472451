"""Ingest: read a cohort or adverse-event CSV, validate it against input contract v1, and coerce types.

Validation runs every check on every row (pandera, lazy mode) and reports all problems of a file in
one error, each naming the file, the 1-based line of the CSV, the column, the offending value and
what was expected. Nothing is analysed until a file is clean.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

DATE_COLUMNS = (
    "index_date",
    "progression_date",
    "death_date",
    "last_assessment_date",
    "last_contact_date",
    "next_treatment_date",
    "discontinuation_date",
)
RESPONSES = ("CR", "PR", "SD", "PD", "NE")
ISO_DATE = r"\d{4}-\d{2}-\d{2}"
NUMBER = r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?"


@dataclass(frozen=True)
class Problem:
    """One problem in an input file."""

    file: str
    line: int | None
    column: str | None
    message: str
    value: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        col = f" column '{self.column}':" if self.column else ""
        val = f" (found {self.value!r})" if self.value is not None else ""
        return f"{where}:{col} {self.message}{val}"


class InputError(ValueError):
    """Input data violate the contract. ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[Problem], max_shown: int = 200):
        self.problems = list(problems)
        shown = [str(p) for p in self.problems[:max_shown]]
        more = len(self.problems) - len(shown)
        if more > 0:
            shown.append(f"... and {more} more problem(s)")
        n = len(self.problems)
        super().__init__(f"{n} problem(s) in the input:\n" + "\n".join(f"  {s}" for s in shown))


@dataclass
class RawTable:
    """A CSV read as text: every cell a string, empty cells as '', and each row's line number."""

    path: str
    frame: pd.DataFrame
    header_line: int
    lines: np.ndarray  # 1-based CSV line of each data row

    def line_of(self, index: Any) -> int | None:
        if index is None or (isinstance(index, float) and np.isnan(index)):
            return None
        return int(self.lines[int(index)])


def read_raw_csv(path: str | Path, display: str | None = None) -> RawTable:
    """Read a CSV as strings. Leading lines starting with '#' are comments (e.g. a synthetic-data note).

    Line numbers are 1-based lines of the file, counting comment lines and the header.
    """
    name = display or str(path)
    raw = Path(path).read_bytes()
    text = raw.decode("utf-8-sig")
    lines = text.splitlines()
    # physical lines that hold a record: not a comment, not blank
    keep = [i + 1 for i, ln in enumerate(lines) if ln.strip() and not ln.startswith("#")]
    if not keep:
        raise InputError(
            [
                Problem(
                    name,
                    None,
                    None,
                    "the file is empty: expected a header line and one row per patient",
                )
            ]
        )
    frame = pd.read_csv(
        Path(path),
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        comment=None,
        skip_blank_lines=True,
        skiprows=lambda i: i < len(lines) and lines[i].startswith("#"),
        encoding="utf-8-sig",
    )
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.apply(lambda s: s.str.strip())
    header_line = keep[0]
    data_lines = np.asarray(keep[1 : 1 + len(frame)], dtype=np.int64)
    if len(data_lines) < len(frame):  # quoted fields spanning lines: fall back to row order
        data_lines = np.arange(header_line + 1, header_line + 1 + len(frame))
    return RawTable(name, frame.reset_index(drop=True), header_line, data_lines)


# ------------------------------------------------------------------------------------------------
# pandera schemas over the raw text


def _pa():
    import pandera.pandas as pa

    return pa


def _blank_or(pattern: str):
    rx = re.compile(pattern)

    def check(s: pd.Series) -> pd.Series:
        return (s == "") | s.str.fullmatch(rx)

    return check


def _valid_date(s: pd.Series) -> pd.Series:
    ok = (s == "") | s.str.fullmatch(ISO_DATE)
    parsed = pd.to_datetime(s.where(ok & (s != "")), format="%Y-%m-%d", errors="coerce")
    return (s == "") | (ok & parsed.notna())


def _non_negative_number(s: pd.Series) -> pd.Series:
    num = pd.to_numeric(s.where(s.str.fullmatch(NUMBER)), errors="coerce")
    return (s == "") | (num.notna() & (num >= 0))


def cohort_schema(
    columns: Iterable[str],
    arm_column: str = "arm",
    required_dates: Iterable[str] = ("index_date",),
    duration_endpoints: Iterable[str] = (),
    required_columns: Iterable[str] = (),
):
    """The pandera schema of a cohort file, given its header and what the study needs.

    ``required_dates`` must be present and filled on every row (the time origins);
    ``required_columns`` must be present (their cells may be empty).
    """
    pa = _pa()
    columns = list(columns)
    required_dates = set(required_dates)
    required_columns = set(required_columns) - required_dates
    spec: dict[str, Any] = {
        "patient_id": pa.Column(
            str,
            checks=[
                pa.Check(lambda s: s != "", error="expected a non-empty pseudonymous patient ID")
            ],
            unique=True,
            report_duplicates="exclude_first",
        ),
        arm_column: pa.Column(
            str, checks=[pa.Check(lambda s: s != "", error="expected the treatment arm")]
        ),
    }
    date_cols = (
        set(DATE_COLUMNS)
        | {c for c in columns if c.endswith("_date")}
        | required_dates
        | {c for c in required_columns if c.endswith("_date")}
    )
    for col in sorted(date_cols):
        checks = [pa.Check(_valid_date, error="expected an ISO date YYYY-MM-DD or empty")]
        if col in required_dates:
            checks.insert(0, pa.Check(lambda s: s != "", error="expected a date (required)"))
        spec[col] = pa.Column(str, checks=checks, required=col in required_dates | required_columns)
    for col in sorted(required_columns - date_cols):
        spec.setdefault(col, pa.Column(str))
    duration_endpoints = set(duration_endpoints)
    for col in columns:
        if col.endswith("_months"):
            checks = [pa.Check(_non_negative_number, error="expected a number of months >= 0")]
            if col[: -len("_months")] in duration_endpoints:
                checks.insert(
                    0, pa.Check(lambda s: s != "", error="expected a duration (required)")
                )
            spec[col] = pa.Column(str, checks=checks)
        elif col.endswith("_event"):
            checks = [pa.Check(_blank_or(r"[01]"), error="expected an event flag 0 or 1")]
            if col[: -len("_event")] in duration_endpoints:
                checks.insert(
                    0, pa.Check(lambda s: s != "", error="expected an event flag (required)")
                )
            spec[col] = pa.Column(str, checks=checks)
    for ep in sorted(duration_endpoints):
        spec.setdefault(f"{ep}_months", pa.Column(str))
        spec.setdefault(f"{ep}_event", pa.Column(str))
    if "best_response" in columns:
        spec["best_response"] = pa.Column(
            str,
            checks=[
                pa.Check(
                    _blank_or("|".join(RESPONSES)), error="expected CR, PR, SD, PD, NE or empty"
                )
            ],
        )
    if "sd_weeks" in columns:
        spec["sd_weeks"] = pa.Column(
            str, checks=[pa.Check(_non_negative_number, error="expected weeks >= 0 or empty")]
        )
    return pa.DataFrameSchema(spec, strict=False, name="cohort")


def adverse_event_schema():
    pa = _pa()
    return pa.DataFrameSchema(
        {
            "patient_id": pa.Column(
                str, checks=[pa.Check(lambda s: s != "", error="expected a patient ID")]
            ),
            "term": pa.Column(
                str, checks=[pa.Check(lambda s: s != "", error="expected an adverse-event term")]
            ),
            "grade": pa.Column(
                str,
                checks=[
                    pa.Check(lambda s: s.isin(list("12345")), error="expected a CTCAE grade 1-5")
                ],
            ),
            "category": pa.Column(str, required=False),
        },
        strict=False,
        name="adverse_events",
    )


def _problems_from_pandera(raw: RawTable, exc) -> list[Problem]:
    problems = []
    fc = exc.failure_cases
    for rec in fc.itertuples(index=False):
        column = rec.column if isinstance(rec.column, str) else None
        if rec.check == "column_in_dataframe":
            problems.append(
                Problem(
                    raw.path,
                    raw.header_line,
                    str(rec.failure_case),
                    "required column is missing from the header",
                )
            )
            continue
        if str(rec.check).startswith(("field_uniqueness", "unique")):
            msg = "duplicate patient ID: each patient must appear once"
        else:
            msg = str(rec.check)
        idx = rec.index if rec.index is not None and not pd.isna(rec.index) else None
        problems.append(
            Problem(
                raw.path,
                raw.line_of(idx),
                column,
                msg,
                None if rec.failure_case is None else str(rec.failure_case),
            )
        )
    problems.sort(key=lambda p: (p.line or 0, p.column or ""))
    return problems


def validate(raw: RawTable, schema) -> list[Problem]:
    """Run a pandera schema over the raw table in lazy mode and return every problem found."""
    pa = _pa()
    try:
        schema.validate(raw.frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return _problems_from_pandera(raw, exc)
    return []


# ------------------------------------------------------------------------------------------------
# coercion, after validation has passed


def coerce_cohort(frame: pd.DataFrame) -> pd.DataFrame:
    """Typed cohort: dates as datetime64, durations as float, flags as int8, empty cells as missing."""
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if col.endswith("_date"):
            out[col] = pd.to_datetime(s.replace("", None), format="%Y-%m-%d")
        elif col.endswith("_months") or col == "sd_weeks":
            out[col] = pd.to_numeric(s.replace("", None)).astype(float)
        elif col.endswith("_event"):
            out[col] = pd.to_numeric(s.replace("", None)).astype("Int8")
        elif col in ("patient_id",):
            continue
        else:
            out[col] = _infer(s)
    return out


def _infer(s: pd.Series) -> pd.Series:
    """A covariate as numbers when every non-empty cell is a number, else as text; '' is missing."""
    nonblank = s[s != ""]
    if len(nonblank) and nonblank.str.fullmatch(r"[+-]?\d+").all():
        return pd.to_numeric(s.replace("", None)).astype("Int64")
    if len(nonblank) and nonblank.str.fullmatch(NUMBER).all():
        return pd.to_numeric(s.replace("", None)).astype(float)
    return s.replace("", None).astype("string")


def read_cohort(
    path: str | Path,
    arm_column: str = "arm",
    required_dates: Iterable[str] = ("index_date",),
    duration_endpoints: Iterable[str] = (),
    required_columns: Iterable[str] = (),
    display: str | None = None,
) -> pd.DataFrame:
    """Read, validate and type a cohort file. Raises InputError listing every problem."""
    raw = read_raw_csv(path, display)
    schema = cohort_schema(
        raw.frame.columns, arm_column, required_dates, duration_endpoints, required_columns
    )
    problems = validate(raw, schema)
    if problems:
        raise InputError(problems)
    if raw.frame.empty:
        raise InputError(
            [Problem(raw.path, raw.header_line, None, "the file has a header but no patient rows")]
        )
    cohort = coerce_cohort(raw.frame)
    cohort.attrs["lines"] = raw.lines
    cohort.attrs["path"] = raw.path
    return cohort


def read_adverse_events(
    path: str | Path, patient_ids: Iterable[str] | None = None, display: str | None = None
) -> pd.DataFrame:
    """Read and validate an adverse-event file; every patient must be in the cohort."""
    raw = read_raw_csv(path, display)
    problems = validate(raw, adverse_event_schema())
    if patient_ids is not None and "patient_id" in raw.frame.columns:
        known = set(patient_ids)
        unknown = ~raw.frame["patient_id"].isin(known) & (raw.frame["patient_id"] != "")
        for i in np.flatnonzero(unknown.to_numpy()):
            problems.append(
                Problem(
                    raw.path,
                    raw.line_of(i),
                    "patient_id",
                    "patient is not in the cohort file",
                    raw.frame["patient_id"].iat[i],
                )
            )
    if problems:
        raise InputError(sorted(problems, key=lambda p: (p.line or 0, p.column or "")))
    ae = raw.frame.copy()
    ae["grade"] = ae["grade"].astype(int)
    if "category" in ae.columns:
        ae["category"] = ae["category"].replace("", None).astype("string")
    return ae
