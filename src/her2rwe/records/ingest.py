"""Ingest: read a cohort or adverse-event CSV, validate it against input contract v1, and coerce types.

Validation runs every check on every row and reports all problems of a file in one error, each
naming the file, the 1-based line of the CSV, the column, the offending value and what was expected:
the checks run vectorised first (through the distinct values of a column that repeats), and a file
that fails one goes through pandera (lazy mode), which names every problem. Nothing is analysed
until a file is clean.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from her2rwe.records.contract import DATE_COLUMNS, RESPONSES
from her2rwe.records.fastread import (
    all_distinct,
    fullmatch,
    fullmatch_arrow,
    read_simple,
    repeats,
)
from her2rwe.records.rawtext import (
    EMPTY,
    FIELD_LIMIT,
    CsvStructureError,
    InputError,
    Problem,
    decode,
    delimiter_problem,
    records,
    refuse,
)

__all__ = [
    "InputError",
    "Problem",
    "RawTable",
    "read_raw_csv",
    "cohort_schema",
    "validate",
    "coerce_cohort",
    "read_cohort",
    "read_adverse_events",
]

ISO_DATE = r"\d{4}-\d{2}-\d{2}"
NUMBER = r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?"
HEADER_ONLY = "the file has a header but no patient rows"
MAX_MONTHS = 1200.0
"""A duration longer than 100 years is a data error (a unit slip, or 1e300), not follow-up."""
MAX_WEEKS = MAX_MONTHS * 52 / 12


@dataclass
class RawTable:
    """A CSV read as text: every cell a string, empty cells as '', and each row's line number."""

    path: str
    frame: pd.DataFrame
    header_line: int
    lines: np.ndarray  # 1-based CSV line of each data row
    dropped: list[str] = field(default_factory=list)  # columns dropped unread (``keep``)
    # column -> (codes, values) with values[codes] == the column, where the reader built the column
    # from its distinct values (fastread); rows are never dropped from a RawTable after reading,
    # and its cells are never changed
    factors: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    # column -> the same cells as a pyarrow string array, where the reader has them (fastread)
    arrays: dict[str, Any] = field(default_factory=dict)
    _masks: dict[tuple[str, str], np.ndarray] = field(default_factory=dict, repr=False)

    def factorized(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """``(codes, values)`` of a column, ``values[codes]`` equal to its cells: the reader's own
        codes where it has them, else ``pd.factorize``. The values need not be distinct, so use
        them only for what depends on each value alone."""
        if self.has_factors(column):
            return self.factors[column]
        codes, values = pd.factorize(self.frame[column].to_numpy(dtype=object))
        return codes, np.asarray(values, dtype=object)

    def distinct(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """``(codes, values)`` of a column, ``values[codes]`` equal to its cells, with ``values``
        its distinct values, each present in a row (:meth:`factorized`, made distinct)."""
        codes, values = self.factorized(column)
        if not self.has_factors(column):
            return codes, values  # pd.factorize: distinct and present already
        same, distinct = pd.factorize(values)  # values stripped after encoding may coincide
        codes = same[codes]
        present = np.bincount(codes, minlength=len(distinct)) > 0
        if not present.all():  # a value only in rows of empty cells, dropped by the reader
            codes = (np.cumsum(present) - 1)[codes]
            distinct = distinct[present]
        return codes, np.asarray(distinct, dtype=object)

    def has_factors(self, column: str) -> bool:
        """Whether the reader built ``column`` from its distinct values (:meth:`factorized`)."""
        return column in self.factors and len(self.factors[column][0]) == len(self.frame)

    def arrow(self, column: str):
        """The cells of ``column`` as a pyarrow string array: the reader's own where it has it."""
        import pyarrow as pa

        if column in self.arrays and len(self.arrays[column]) == len(self.frame):
            return self.arrays[column]
        return pa.array(self.frame[column].to_numpy(dtype=object), type=pa.string())

    def filled(self, column: str) -> np.ndarray:
        """``cells != ""`` of ``column``, per row."""
        if self.has_factors(column):
            codes, values = self.factors[column]
            return values.astype(bool)[codes]
        return self.frame[column].to_numpy(dtype=object).astype(bool)

    def numbers(self, column: str) -> np.ndarray:
        """Which cells of ``column`` are numbers (:data:`NUMBER` in full), per row; computed once
        per column (the identifier guard and the checks share it)."""
        key = (column, "number")
        if key not in self._masks:
            if self.has_factors(column):
                codes, values = self.factors[column]
                self._masks[key] = fullmatch(values, NUMBER)[codes]
            else:
                self._masks[key] = fullmatch_arrow(self.arrow(column), NUMBER)
        return self._masks[key]

    def elementwise(self, column: str, fn) -> np.ndarray:
        """``fn(cells)`` per row, for a function that maps each cell on its own (a Series in, one
        result per element out): through the distinct values of a column the reader built from
        them."""
        if self.has_factors(column):
            codes, values = self.factors[column]
            return np.asarray(fn(pd.Series(values, dtype=object)))[codes]
        return np.asarray(fn(self.frame[column]))

    def line_of(self, index: Any) -> int | None:
        if index is None or (isinstance(index, float) and np.isnan(index)):
            return None
        return int(self.lines[int(index)])


def _ragged(name: str, line: int, row: list[str], header: list[str]) -> Problem:
    """A record with the wrong number of fields; one that spans lines points at the quoted cell."""
    message = f"expected {len(header)} comma-separated fields as in the header, found {len(row)}"
    spans = [i for i, cell in enumerate(row) if "\n" in cell]
    if spans:
        i = spans[0]
        lines = row[i].count("\n") + 1
        return Problem(
            name,
            line,
            header[i] if i < len(header) else None,
            f"{message}: a quoted cell here runs over {lines} lines, so a quote is probably not "
            "closed where it should be",
        )
    return Problem(name, line, None, message)


def read_raw_csv(
    path: str | Path, display: str | None = None, keep: Iterable[str] | None = None
) -> RawTable:
    """Read a CSV as strings. Lines starting with '#' are comments (e.g. a synthetic-data note) and
    blank lines are skipped; a UTF-8 byte-order mark is accepted.

    Line numbers are 1-based lines of the file, counting comment lines and the header. Raises
    InputError for a file that is empty, not UTF-8 text (naming the lines), an Excel workbook, not
    comma-delimited, has blank or repeated column names, or rows with the wrong number of fields.

    With ``keep``, the table holds only those columns (the others are dropped unread; their names
    are in ``RawTable.dropped``). A simple file (no quotes, no blank lines after the header, see
    :mod:`her2rwe.records.fastread`) is parsed by pyarrow; any other file line by line.
    """
    name = display or str(path)
    raw = Path(path).read_bytes()
    if raw.isascii():  # valid UTF-8 already: decoded only if read line by line
        refuse(raw, name)
        text = None
    else:
        text = decode(raw, name)
    keep = None if keep is None else set(keep)
    fast = read_simple(text, FIELD_LIMIT, keep, raw)
    if fast is not None:
        header_line, header, columns, lines, factors, arrays = fast
        names = [h.strip() for h in header]
        frame = pd.DataFrame(columns, columns=[c for c in names if c in columns], copy=False)
        dropped = [c for c in names if c not in columns]
        return RawTable(name, frame, header_line, lines, dropped, factors, arrays)
    if text is None:
        text = raw.decode("ascii")
    del raw
    return _read_lines(text, name, keep)


def _read_lines(text: str, name: str, keep: set[str] | None) -> RawTable:
    """The line-by-line reader: every structural problem with its line and column."""
    rows = records(text)
    try:
        first = next(rows, None)
    except CsvStructureError as exc:
        raise InputError([Problem(name, exc.line, None, exc.message)]) from None
    if first is None:
        raise InputError([Problem(name, None, None, EMPTY)])
    header_line, header = first
    header = [h.strip() for h in header]
    problem = delimiter_problem(",".join(header), len(header), name, header_line)
    if problem:
        raise InputError([problem])
    problems = []
    seen: set[str] = set()
    for i, col in enumerate(header, 1):
        if not col:
            problems.append(
                Problem(name, header_line, None, f"header field {i} has no column name")
            )
        elif col in seen:
            problems.append(Problem(name, header_line, col, "column name appears more than once"))
        seen.add(col)
    data, lines = [], []
    width = len(header)
    try:
        for line, row in rows:
            if len(row) == width:
                data.append([cell.strip() for cell in row])
                lines.append(line)
            elif any(cell.strip() for cell in row):  # not a row of empty cells
                problems.append(_ragged(name, line, row, header))
    except CsvStructureError as exc:
        column = header[exc.field] if exc.field is not None and exc.field < width else None
        problems.append(Problem(name, exc.line, column, exc.message))
    if not problems:
        # rows of empty cells, as spreadsheets export, are not patients
        kept = [i for i, row in enumerate(data) if any(row)]
        if len(kept) < len(data):
            data = [data[i] for i in kept]
            lines = [lines[i] for i in kept]
    if problems:
        raise InputError(problems)
    frame = pd.DataFrame(data, columns=header, dtype=object)
    if frame.empty:
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in header})
    dropped = [] if keep is None else [c for c in header if c not in keep]
    if dropped:
        frame = frame.drop(columns=dropped)
    return RawTable(name, frame, header_line, np.asarray(lines, dtype=np.int64), dropped)


# ------------------------------------------------------------------------------------------------
# pandera schemas over the raw text


TEXT = None
"""The schemas' column type: none checked. Every cell of a raw table is a string by construction
(read_raw_csv), and pandera's per-cell type check of an object column costs a second per million
rows. For the same reason the columns are declared nullable: no cell is ever null, and pandera's
null scan costs a fifth of a second per column and million rows."""


def _pa():
    import pandera.pandas as pa

    return pa


def _check(fn, error: str):
    """A pandera check over every cell: the cells of a raw table are never null, so pandera's
    null scan of the column before and after each check (``ignore_na``) is skipped."""
    return _pa().Check(fn, error=error, ignore_na=False)


def _matches(s: pd.Series, pattern: str) -> pd.Series:
    """Which cells match ``pattern`` in full (vectorised, :func:`fastread.fullmatch`)."""
    return pd.Series(fullmatch(s, pattern), index=s.index)


def filled(s: pd.Series) -> pd.Series:
    """``s != ""`` for a column of a raw table (every cell a string): each cell's truth value, a
    C loop over the objects instead of a string comparison per cell (a quarter of the time)."""
    return pd.Series(s.to_numpy(dtype=object).astype(bool), index=s.index)


def _empty(s: pd.Series) -> pd.Series:
    """``s == ""`` for a column of a raw table (:func:`filled`)."""
    return ~filled(s)


def _blank_or(pattern: str):
    def check(s: pd.Series) -> pd.Series:
        return _empty(s) | _matches(s, pattern)

    return check


def _valid_date(s: pd.Series) -> pd.Series:
    empty = _empty(s)
    ok = empty | _matches(s, ISO_DATE)
    parsed = pd.to_datetime(s.where(ok & ~empty), format="%Y-%m-%d", errors="coerce")
    return empty | (ok & parsed.notna())


def _number_cells(s: pd.Series, numbers: np.ndarray | None = None, arrow=None) -> np.ndarray:
    """The cells of ``s`` that are numbers (:data:`NUMBER`, in full) as floats, NaN elsewhere;
    ``numbers`` and ``arrow`` (which cells are numbers, and the cells as a pyarrow array) when
    known already.

    pyarrow's string-to-float cast, which rounds correctly like ``pd.to_numeric``; a number too
    large for a float becomes +-inf here where ``pd.to_numeric`` gives NaN, and both fail a bound."""
    import pyarrow as pa
    import pyarrow.compute as pc

    out = np.full(len(s), np.nan)
    if numbers is None:
        numbers = _matches(s, NUMBER).to_numpy()
    idx = np.flatnonzero(numbers)
    if len(idx) == len(s) and arrow is not None:
        return pc.cast(arrow, pa.float64()).to_numpy(zero_copy_only=False)
    if len(idx):
        if arrow is None:
            cells = pa.array(s.to_numpy(dtype=object)[idx], type=pa.string())
        else:
            cells = arrow.take(pa.array(idx))
        out[idx] = pc.cast(cells, pa.float64()).to_numpy(zero_copy_only=False)
    return out


def _bounded_number(upper: float):
    def within(num: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return (num >= 0) & (num <= upper)  # False for NaN

    def check(s: pd.Series) -> pd.Series:
        return _empty(s) | pd.Series(within(_number_cells(s)), index=s.index)

    def on_table(raw: RawTable, column: str) -> np.ndarray:
        num = _number_cells(raw.frame[column], raw.numbers(column), raw.arrow(column))
        return ~raw.filled(column) | within(num)

    check.on_table = on_table  # the same check, with what the table knows already
    return check


@dataclass(frozen=True)
class _Rule:
    """A check of every cell of a column (``fn``: cells in, one bool per cell out, each from its
    own cell only) and its message."""

    fn: Any
    error: str


@dataclass(frozen=True)
class _Column:
    """A column of a :class:`TableSchema`: its checks, and pandera's column options."""

    checks: tuple[_Rule, ...] = ()
    options: dict = field(default_factory=dict)


def _column(checks=(), **options) -> _Column:
    return _Column(tuple(checks), options)


@dataclass(frozen=True)
class TableSchema:
    """The checks of a raw table, run vectorised by :func:`validate`; a table that fails one is
    run through the pandera schema of the same checks (:meth:`pandera`), which names every
    problem."""

    columns: dict[str, _Column]
    name: str

    def pandera(self):
        pa = _pa()
        spec = {
            col: pa.Column(
                TEXT,
                nullable=True,
                checks=[_check(rule.fn, error=rule.error) for rule in c.checks],
                **c.options,
            )
            for col, c in self.columns.items()
        }
        return pa.DataFrameSchema(spec, strict=False, name=self.name)

    def passes(self, raw: RawTable) -> bool:
        """Whether every check passes on every row, as pandera would find (each check on the
        distinct values of a column the reader built from them); False when unsure."""
        for col, c in self.columns.items():
            if col not in raw.frame.columns:
                if c.options.get("required", True):
                    return False
                continue
            try:
                if c.options.get("unique") and not _all_distinct(raw, col):
                    return False
                for rule in c.checks:
                    if raw.has_factors(col) or not hasattr(rule.fn, "on_table"):
                        ok = raw.elementwise(col, rule.fn)
                    else:
                        ok = rule.fn.on_table(raw, col)
                    if ok.dtype != bool or not ok.all():
                        return False
            except Exception:  # a check that fails to run: pandera reports it
                return False
        return True


def _all_distinct(raw: RawTable, column: str) -> bool:
    """Whether no two cells of a column are equal."""
    if raw.has_factors(column):
        codes, values = raw.distinct(column)
        return len(values) == len(codes)
    if column in raw.arrays:
        found = all_distinct(raw.arrow(column))
        if found is not None:
            return found
    return bool(raw.frame[column].is_unique)


def cohort_schema(
    columns: Iterable[str],
    arm_column: str = "arm",
    required_dates: Iterable[str] = ("index_date",),
    duration_endpoints: Iterable[str] = (),
    required_columns: Iterable[str] = (),
    response_column: str = "best_response",
    status_endpoints: Iterable[str] = (),
):
    """The checks of a cohort file (:class:`TableSchema`), given its header and what the study
    needs.

    ``required_dates`` must be present and filled on every row (the time origins);
    ``required_columns`` must be present (their cells may be empty); ``status_endpoints`` are
    competing-risks endpoints in the duration form: ``{ep}_months`` and ``{ep}_status`` (0, 1, 2)
    filled on every row.
    """
    columns = list(columns)
    required_dates = set(required_dates)
    required_columns = set(required_columns) - required_dates
    spec: dict[str, Any] = {
        "patient_id": _column(
            checks=[_Rule(filled, error="expected a non-empty pseudonymous patient ID")],
            unique=True,
            report_duplicates="exclude_first",
        ),
        arm_column: _column(checks=[_Rule(filled, error="expected the treatment arm")]),
    }
    date_cols = (
        set(DATE_COLUMNS)
        | {c for c in columns if c.endswith("_date")}
        | required_dates
        | {c for c in required_columns if c.endswith("_date")}
    )
    for col in sorted(date_cols):
        checks = [_Rule(_valid_date, error="expected an ISO date YYYY-MM-DD or empty")]
        if col in required_dates:
            checks.insert(0, _Rule(filled, error="expected a date (required)"))
        spec[col] = _column(checks=checks, required=col in required_dates | required_columns)
    for col in sorted(required_columns - date_cols):
        spec.setdefault(col, _column())
    duration_endpoints = set(duration_endpoints)
    status_endpoints = set(status_endpoints)
    for col in columns:
        if col.endswith("_months"):
            checks = [
                _Rule(
                    _bounded_number(MAX_MONTHS),
                    error=f"expected a number of months >= 0 and <= {MAX_MONTHS:g} (100 years)",
                )
            ]
            if col[: -len("_months")] in duration_endpoints | status_endpoints:
                checks.insert(0, _Rule(filled, error="expected a duration (required)"))
            spec[col] = _column(checks=checks)
        elif col.endswith("_event"):
            checks = [_Rule(_blank_or(r"[01]"), error="expected an event flag 0 or 1")]
            if col[: -len("_event")] in duration_endpoints:
                checks.insert(0, _Rule(filled, error="expected an event flag (required)"))
            spec[col] = _column(checks=checks)
    for ep in sorted(duration_endpoints):
        spec.setdefault(f"{ep}_months", _column())
        spec.setdefault(f"{ep}_event", _column())
    for ep in sorted(status_endpoints):
        spec.setdefault(f"{ep}_months", _column())
        spec[f"{ep}_status"] = _column(
            checks=[
                _Rule(
                    lambda s: _matches(s, "[012]"),
                    error="expected a competing-risks status 0 (censored), 1 (event) or 2 "
                    "(competing event)",
                )
            ],
        )
    if response_column in columns:
        spec[response_column] = _column(
            checks=[
                _Rule(_blank_or("|".join(RESPONSES)), error="expected CR, PR, SD, PD, NE or empty")
            ],
        )
    if "sd_weeks" in columns:
        spec["sd_weeks"] = _column(
            checks=[
                _Rule(
                    _bounded_number(MAX_WEEKS),
                    error=f"expected weeks >= 0 and <= {MAX_WEEKS:g} (100 years) or empty",
                )
            ],
        )
    return TableSchema(spec, "cohort")


def adverse_event_schema() -> TableSchema:
    return TableSchema(
        {
            "patient_id": _column(checks=[_Rule(filled, error="expected a patient ID")]),
            "term": _column(checks=[_Rule(filled, error="expected an adverse-event term")]),
            "grade": _column(
                checks=[_Rule(_one_of(list("12345")), error="expected a CTCAE grade 1-5")]
            ),
            "category": _column(required=False),
        },
        "adverse_events",
    )


def _one_of(values: list[str]):
    """A check: the cell is one of ``values`` (exactly, as written)."""
    return lambda s: s.isin(values)


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
            msg = str(rec.check) + _hint(str(rec.check), rec.failure_case)
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


def _hint(check: str, value: Any) -> str:
    """A hint for values that a spreadsheet typically produces."""
    v = "" if value is None else str(value)
    if "ISO date" in check:
        if re.fullmatch(r"\d{5}(\.\d+)?", v):
            return "; this looks like an Excel serial day number: format the column as a date"
        if re.fullmatch(r"\d{1,2}[/.]\d{1,2}[/.]\d{2,4}", v):
            return "; day/month order is ambiguous: write dates as YYYY-MM-DD"
    if ("number" in check or "weeks" in check) and re.fullmatch(r"[+-]?\d+,\d+", v):
        return "; use a decimal point, not a comma"
    return ""


def validate(raw: RawTable, schema) -> list[Problem]:
    """Run a schema over the raw table and return every problem found: a :class:`TableSchema`
    vectorised first, and through pandera (lazy mode) only when a check fails; a pandera schema
    through pandera."""
    if isinstance(schema, TableSchema):
        if schema.passes(raw):
            return []
        schema = schema.pandera()
    pa = _pa()
    try:
        schema.validate(raw.frame, lazy=True, inplace=True)  # no copy of the table
    except pa.errors.SchemaErrors as exc:
        return _problems_from_pandera(raw, exc)
    return []


# (later column, earlier column, what it means when the later one comes first)
CHRONOLOGY = (
    ("progression_date", "index_date", "progression before the index date"),
    ("death_date", "index_date", "death before the index date"),
    ("next_treatment_date", "index_date", "next treatment starts before the index date"),
    ("discontinuation_date", "index_date", "discontinuation before the index date"),
    ("last_assessment_date", "index_date", "last tumour assessment before the index date"),
    ("last_contact_date", "index_date", "last contact before the index date"),
    ("death_date", "progression_date", "death before progression"),
    ("death_date", "last_assessment_date", "death before the last tumour assessment"),
    ("death_date", "discontinuation_date", "death before discontinuation"),
    ("last_contact_date", "progression_date", "last contact before the recorded progression"),
    ("last_contact_date", "last_assessment_date", "last contact before the last tumour assessment"),
    ("last_contact_date", "discontinuation_date", "last contact before the discontinuation"),
)


def _iso_dates(s: pd.Series) -> pd.Series:
    """The cells that are ISO dates as datetimes, NaT elsewhere."""
    return pd.to_datetime(s.where(_matches(s, ISO_DATE)), format="%Y-%m-%d", errors="coerce")


def chronology_problems(raw: RawTable, rules=CHRONOLOGY) -> list[Problem]:
    """Rows whose dates are in an impossible order; cells that are not valid dates are skipped
    (the schema reports them)."""
    frame = raw.frame
    parsed = {}
    for col in {c for rule in rules for c in rule[:2]} & set(frame.columns):
        parsed[col] = raw.elementwise(col, _iso_dates)
    problems = []
    for later, earlier, what in rules:
        if later not in parsed or earlier not in parsed:
            continue
        bad = parsed[later] < parsed[earlier]  # False where either is not a date (NaT)
        for i in np.flatnonzero(bad):
            problems.append(
                Problem(
                    raw.path,
                    raw.line_of(i),
                    later,
                    f"{what}: expected on or after {earlier}",
                )
            )
    return problems


NOT_COVARIATES = ("patient_id", "arm", "regimen", "discontinuation_reason", "best_response")


def mostly_numeric_problems(
    raw: RawTable, skip: Iterable[str] = (), share: float = 0.8, min_numbers: int = 5
) -> list[Problem]:
    """Cells that are not numbers in a column whose other cells are (e.g. 'fifty' among ages)."""
    skip = set(skip) | set(NOT_COVARIATES)
    problems = []
    for col in raw.frame.columns:
        if col in skip or col.endswith(("_date", "_months", "_event", "_source")):
            continue
        s = raw.frame[col]
        nonblank = raw.filled(col)
        numeric = raw.numbers(col)  # numbers are never empty
        count, numbers = int(nonblank.sum()), int(numeric.sum())
        if numbers < min_numbers or numbers == count or numbers / count < share:
            continue
        for i in np.flatnonzero(nonblank & ~numeric):
            problems.append(
                Problem(
                    raw.path,
                    raw.line_of(i),
                    col,
                    "expected a number or empty (the other cells of this column are numbers)"
                    + _hint("number", s.iat[i]),
                    s.iat[i],
                )
            )
    return problems


# ------------------------------------------------------------------------------------------------
# coercion, after validation has passed


def coerce_cohort(frame: pd.DataFrame, table: RawTable | None = None) -> pd.DataFrame:
    """Typed cohort: dates as datetime64, durations as float, flags as int8, empty cells as missing.

    ``table``, the raw table whose frame ``frame`` is, lends the reader's distinct values: a
    column built from them is parsed once per distinct value."""
    out = {}
    for col in frame.columns:
        s = frame[col]
        distinct = table.distinct(col) if table is not None and table.has_factors(col) else None
        if col.endswith("_date"):
            out[col] = _per_value(s, distinct, _dates)
        elif col.endswith("_months") or col == "sd_weeks":
            out[col] = _per_value(s, distinct, lambda v: pd.to_numeric(_missing(v)).astype(float))
        elif col.endswith("_event"):
            out[col] = _numbers(s, distinct).astype("Int8")
        elif col in ("patient_id",):
            out[col] = s.copy()
        else:
            out[col] = _infer(s, distinct)
    return pd.DataFrame(out, index=frame.index)


def _dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(_missing(s), format="%Y-%m-%d")


def _missing(s: pd.Series) -> pd.Series:
    """``s.replace("", None)``, without a copy when no cell is empty."""
    return s if filled(s).all() else s.replace("", None)


def _per_value(s: pd.Series, distinct, fn) -> pd.Series:
    """``fn(s)`` for a function that converts each cell on its own, though the whole column may
    decide the type (``pd.to_numeric``): through ``distinct``, a column's ``(codes, values)`` of
    :meth:`RawTable.distinct`, when given (the same values, so the same type)."""
    if distinct is None:
        return fn(s)
    codes, values = distinct
    parsed = fn(pd.Series(values, dtype=object))
    return pd.Series(parsed.array.take(codes), index=s.index)


def _numbers(s: pd.Series, distinct=None) -> pd.Series:
    """``pd.to_numeric`` of the cells, '' as missing; parsed once per distinct value when the
    values repeat. The whole column decides the type, so the distinct values give the same one."""
    if distinct is None and repeats(s):
        codes, uniq = pd.factorize(s.to_numpy(dtype=object))
        distinct = codes, np.asarray(uniq, dtype=object)
    return _per_value(s, distinct, lambda v: pd.to_numeric(_missing(v)))


def _infer(s: pd.Series, distinct=None) -> pd.Series:
    """A covariate as numbers when every non-empty cell is a number, else as text; '' is missing."""
    cells = s if distinct is None else pd.Series(distinct[1], dtype=object)
    nonblank = cells[filled(cells)]
    if len(nonblank) and fullmatch(nonblank, r"[+-]?\d+").all():
        return _numbers(s, distinct).astype("Int64")
    if len(nonblank) and fullmatch(nonblank, NUMBER).all():
        return _numbers(s, distinct).astype(float)
    return _per_value(s, distinct, lambda v: v.replace("", None).astype("string"))


def read_cohort(
    path: str | Path,
    arm_column: str = "arm",
    required_dates: Iterable[str] = ("index_date",),
    duration_endpoints: Iterable[str] = (),
    required_columns: Iterable[str] = (),
    display: str | None = None,
) -> pd.DataFrame:
    """Read, validate and type a cohort file. Raises InputError listing every problem."""
    from her2rwe.records.identifiers import identifier_guard

    raw = read_raw_csv(path, display)
    flagged, _ = identifier_guard(raw.frame, raw.lines, raw.path, raw.header_line, table=raw)
    schema = cohort_schema(
        raw.frame.columns, arm_column, required_dates, duration_endpoints, required_columns
    )
    problems = flagged + validate(raw, schema) + chronology_problems(raw)
    if not problems and raw.frame.empty:
        problems = [Problem(raw.path, raw.header_line, None, HEADER_ONLY)]
    if problems:
        raise InputError(redact(problems, flagged))
    cohort = coerce_cohort(raw.frame, raw)
    cohort.attrs["lines"] = raw.lines
    cohort.attrs["path"] = raw.path
    return cohort


def adverse_event_problems(
    raw: RawTable, patient_ids: Iterable[str] | None = None
) -> list[Problem]:
    """Every problem of a raw adverse-event table: schema, and patients missing from the cohort."""
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
    return sorted(problems, key=lambda p: (p.line or 0, p.column or ""))


def coerce_adverse_events(frame: pd.DataFrame) -> pd.DataFrame:
    ae = frame.copy()
    ae["grade"] = ae["grade"].astype(int)
    if "category" in ae.columns:
        ae["category"] = ae["category"].replace("", None).astype("string")
    return ae


def read_adverse_events(
    path: str | Path,
    patient_ids: Iterable[str] | None = None,
    display: str | None = None,
    identifier_allowlist: Iterable[str] = (),
) -> pd.DataFrame:
    """Read and validate an adverse-event file; every patient must be in the cohort, and no column
    may look like a direct identifier unless it is in ``identifier_allowlist``."""
    from her2rwe.records.identifiers import identifier_guard

    raw = read_raw_csv(path, display)
    flagged, _ = identifier_guard(
        raw.frame, raw.lines, raw.path, raw.header_line, identifier_allowlist, raw
    )
    problems = redact(flagged + adverse_event_problems(raw, patient_ids), flagged)
    if problems:
        raise InputError(problems)
    return coerce_adverse_events(raw.frame)


def redact(problems: list[Problem], identifiers: Iterable[Problem]) -> list[Problem]:
    """Drop the values of every problem in a column flagged as an identifier."""
    from dataclasses import replace

    hidden = {p.column for p in identifiers}
    return [replace(p, value=None) if p.column in hidden else p for p in problems]
