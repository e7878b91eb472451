"""Input contract v2: read and validate longitudinal records (patients, treatments, assessments,
adverse events).

Every check runs over every row, vectorised, and all problems of all files are raised together as
one :class:`~her2rwe.records.rawtext.InputError`, each naming the file, the 1-based line and the
column. Values of the patient_id column and of columns that look like identifiers are never shown.
Besides the column checks the reader catches an end date before its start, exposures after death
or after the last contact, exact duplicate rows, patients unknown to the patient table, and drugs
that the dictionary does not know (one problem listing the names). An assessment dated before the
metastatic diagnosis is a warning (early-disease imaging), returned in ``Records.notes``.

Files are read by :func:`her2rwe.records.ingest.read_raw_csv`, the reader of v1 cohorts: a simple
CSV (no quotes, no blank lines after the header, every row the header's width) is parsed by pyarrow
(:mod:`her2rwe.records.fastread`), any other file line by line, which reports malformed rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from her2rwe.records import identifiers, ingest
from her2rwe.records.assessments import same_day_problems
from her2rwe.records.drugs import DrugDictionary, map_exposures
from her2rwe.records.rawtext import InputError, Problem

__all__ = [
    "Records",
    "read_records",
    "PATIENT_COLUMNS",
    "TREATMENT_COLUMNS",
    "ASSESSMENT_COLUMNS",
    "SETTINGS",
    "DISCONTINUATION_REASONS",
]

PATIENT_COLUMNS = ("patient_id", "metastatic_date", "death_date", "last_contact_date")
TREATMENT_COLUMNS = (
    "patient_id",
    "drug",
    "start_date",
    "end_date",
    "setting",
    "discontinuation_reason",
    "line",
)
ASSESSMENT_COLUMNS = ("patient_id", "date", "response", "sum_diameters")
REQUIRED = {
    "patients": ("patient_id", "metastatic_date"),
    "treatments": ("patient_id", "drug", "start_date"),
    "assessments": ("patient_id", "date"),
}
SETTINGS = ("early", "metastatic")
DISCONTINUATION_REASONS = ("progression", "ILD", "other_AE", "completed", "other")
RESPONSES = ("CR", "PR", "SD", "PD", "NE")
ISO_DATE = r"\d{4}-\d{2}-\d{2}"
POSITIVE_INT = r"[1-9]\d*"


@dataclass
class Records:
    """Typed, validated records: dates as datetime64[ns], empty cells missing.

    ``treatments`` has one row per exposure and generic drug (a fixed combination expands into its
    components), with ``generic`` and ``drug_class`` from the dictionary, ``setting`` filled
    (metastatic by default), ``end_date`` filled (start_date when empty) and ``row`` (the 0-based
    data row of the file, for messages).
    """

    patients: pd.DataFrame
    treatments: pd.DataFrame
    assessments: pd.DataFrame | None
    adverse_events: pd.DataFrame | None
    notes: list[str] = field(default_factory=list)
    #: each ``treatments`` row's position in ``patients`` (found once while checking the file)
    treatment_patients: np.ndarray | None = None
    #: ``(codes, values)`` of some ``treatments`` columns (``values[codes]`` is the column), known
    #: from the reader's distinct values: generic (distinct names), drug_class (the same codes),
    #: setting and discontinuation_reason
    treatment_factors: dict = field(default_factory=dict)


# ------------------------------------------------------------------------------------------------
# reading


# ------------------------------------------------------------------------------------------------
# vectorised checks over the raw text


def _problems(raw: ingest.RawTable, mask, column: str, message: str, show: bool = True):
    mask = np.asarray(mask, dtype=bool)
    rows = np.flatnonzero(mask)
    values = raw.frame[column].to_numpy() if (show and column in raw.frame) else None
    return [
        Problem(
            raw.path,
            int(raw.lines[i]),
            column,
            message,
            None if values is None else str(values[i]),
        )
        for i in rows
    ]


def _dates(s: pd.Series, factor: tuple[np.ndarray, np.ndarray]) -> tuple[pd.Series, np.ndarray]:
    """Parsed dates (NaT where empty or invalid) and a mask of invalid non-empty cells; the
    distinct values are parsed once (a million rows hold a few thousand dates). ``factor``: the
    column's ``(codes, values)`` (:meth:`ingest.RawTable.factorized`)."""
    codes, uniques = factor
    u = pd.Series(uniques, dtype=object)
    ok = u.str.fullmatch(ISO_DATE).fillna(False).to_numpy(dtype=bool)
    parsed_u = pd.to_datetime(u.where(ok), format="%Y-%m-%d", errors="coerce").to_numpy()
    bad_u = (u != "").to_numpy() & pd.isna(parsed_u)
    parsed = pd.Series(parsed_u[codes] if len(codes) else parsed_u[:0], index=s.index)
    return parsed.astype("datetime64[ns]"), bad_u[codes] if len(codes) else bad_u[:0]


def _isin(factor: tuple[np.ndarray, np.ndarray], allowed) -> np.ndarray:
    """Membership per row through the distinct values (``factor``: the column's codes and values,
    :meth:`ingest.RawTable.factorized`)."""
    codes, uniques = factor
    return np.isin(np.asarray(uniques, dtype=object), list(allowed))[codes]


def _missing_columns(raw: ingest.RawTable, kind: str) -> list[Problem]:
    return [
        Problem(raw.path, raw.header_line, col, "required column is missing from the header")
        for col in REQUIRED[kind]
        if col not in raw.frame.columns
    ]


def _date_checks(raw, col, required, parsed_out) -> list[Problem]:
    if col not in raw.frame.columns:
        return []
    s = raw.frame[col]
    parsed, bad = _dates(s, raw.factorized(col))
    parsed_out[col] = parsed
    problems = _problems(
        raw, bad, col, "expected an ISO date YYYY-MM-DD" + ("" if required else " or empty")
    )
    if required:
        problems += _problems(raw, _blank(raw, col), col, "expected a date (required)", False)
    return problems


def _duplicates(raw: ingest.RawTable, what: str) -> list[Problem]:
    """Rows equal to an earlier row (``raw.frame.duplicated(keep="first")``), through one integer
    per row (:func:`_row_codes`) instead of hashing every cell again."""
    dup = pd.Series(_row_codes(raw)).duplicated(keep="first").to_numpy()
    return (
        _problems(raw, dup, None, f"duplicate row: the same {what} appears twice", False)
        if dup.any()
        else []
    )


def _row_codes(raw: ingest.RawTable) -> np.ndarray:
    """One integer per row, equal for two rows exactly when all their cells are equal: the codes
    of each column's distinct values (:meth:`ingest.RawTable.distinct`) combined in mixed radix;
    when the next column would overflow the product, the combination so far is renumbered by its
    distinct values first (at most one per row, so two columns always fit)."""
    combined = np.zeros(len(raw.frame), dtype=np.int64)
    size = 1
    for column in raw.frame.columns:
        codes, values = raw.distinct(column)
        span = max(len(values), 1)
        if size * span >= 2**62:
            combined, uniques = pd.factorize(combined)
            size = max(len(uniques), 1)
        combined = combined * span + codes
        size *= span
    return combined


def _unknown_patients(raw: ingest.RawTable, position: np.ndarray | None) -> list[Problem]:
    """``position``: each row's patient in the patient table (:func:`_positions`), -1 unknown."""
    if position is None or "patient_id" not in raw.frame:
        return []
    blank = _blank(raw, "patient_id")
    return _problems(
        raw,
        (position < 0) & ~blank,
        "patient_id",
        "patient is not in the patients file",
        False,
    ) + _problems(raw, blank, "patient_id", "expected a patient ID", False)


def _blank(raw: ingest.RawTable, column: str) -> np.ndarray:
    """``(raw.frame[column] == "").to_numpy()``, through the column's distinct values where the
    reader built it from them (:meth:`ingest.RawTable.filled`)."""
    return ~raw.filled(column)


def _positions(
    factor: tuple[np.ndarray, np.ndarray], patients: pd.DataFrame
) -> tuple[np.ndarray, pd.DataFrame]:
    """Each row's position in the patient table (its first row of a repeated ID), -1 for a patient
    not in it; and that table without repeated IDs. ``factor``: the patient_id column's codes and
    values (:meth:`ingest.RawTable.factorized`); each value is looked up once."""
    first = patients.drop_duplicates("patient_id")
    codes, values = factor
    found = pd.Index(first["patient_id"]).get_indexer(np.asarray(values, dtype=object))
    return (found[codes] if len(codes) else np.zeros(0, dtype=np.intp)), first


def _after(raw, later, limit, column, what) -> list[Problem]:
    """Rows whose ``later`` date falls after the patient's ``limit`` date (both aligned)."""
    bad = (later > limit).to_numpy() & limit.notna().to_numpy()
    return _problems(raw, bad, column, what)


def _guard(raw: ingest.RawTable, contract: Iterable[str], allowlist) -> tuple[list, list]:
    """The identifier guard over the columns the contract does not define."""
    extra = [c for c in raw.frame.columns if c not in set(contract)]
    if not extra:
        return [], []
    return identifiers.identifier_guard(
        raw.frame[extra], raw.lines, raw.path, raw.header_line, allowlist, raw
    )


def patient_problems(raw: ingest.RawTable, allowlist=()) -> tuple[list[Problem], list[str], dict]:
    flagged, notes = _guard(raw, PATIENT_COLUMNS, allowlist)
    problems = flagged + _missing_columns(raw, "patients")
    parsed: dict[str, pd.Series] = {}
    if "patient_id" in raw.frame:
        ids = raw.frame["patient_id"]
        problems += _problems(
            raw, (ids == "").to_numpy(), "patient_id", "expected a patient ID", False
        )
        dup = (ids.duplicated(keep="first") & (ids != "")).to_numpy()
        problems += _problems(
            raw, dup, "patient_id", "duplicate patient ID: each patient must appear once", False
        )
    problems += _date_checks(raw, "metastatic_date", True, parsed)
    for col in ("death_date", "last_contact_date"):
        problems += _date_checks(raw, col, False, parsed)
    if "metastatic_date" in parsed:
        for col, what in (
            ("death_date", "death before the metastatic diagnosis"),
            ("last_contact_date", "last contact before the metastatic diagnosis"),
        ):
            if col in parsed:
                bad = (parsed[col] < parsed["metastatic_date"]).to_numpy()
                problems += _problems(
                    raw, bad, col, f"{what}: expected on or after metastatic_date"
                )
    if "death_date" in parsed and "last_contact_date" in parsed:
        bad = (parsed["last_contact_date"] > parsed["death_date"]).to_numpy()
        problems += _problems(raw, bad, "last_contact_date", "last contact after death")
    if raw.frame.empty:
        problems.append(Problem(raw.path, raw.header_line, None, ingest.HEADER_ONLY))
    skip = {p.column for p in flagged} | set(PATIENT_COLUMNS)
    problems += ingest.mostly_numeric_problems(raw, skip=skip)
    return ingest.redact(problems, flagged), notes, parsed


def _patient_dates(position: np.ndarray, first: pd.DataFrame, col: str, index) -> pd.Series:
    """The patient table's ``col`` for each row (NaT for a patient not in it); ``position`` and
    ``first`` from :func:`_positions`."""
    if col not in first:
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    values = first[col].to_numpy(dtype="datetime64[ns]")
    return pd.Series(np.where(position >= 0, values[position], np.datetime64("NaT")), index=index)


def _common_problems(raw, kind, contract, patients, allowlist):
    """The identifier guard, missing required columns and patients unknown to the patient table;
    and each row's patient (:func:`_positions`; None without a patient table or column)."""
    flagged, notes = _guard(raw, contract, allowlist)
    problems = flagged + _missing_columns(raw, kind)
    found = None
    if patients is not None and "patient_id" in raw.frame:
        found = _positions(raw.factorized("patient_id"), patients)
    problems += _unknown_patients(raw, None if found is None else found[0])
    return flagged, notes, problems, found


def treatment_problems(
    raw: ingest.RawTable,
    patients: pd.DataFrame | None,
    dictionary: DrugDictionary,
    allowlist=(),
) -> tuple[list[Problem], list[str], dict]:
    """Every problem of the treatments file, its notes, and what the checks parsed (the date
    columns, ``generic`` from the dictionary with ``generic_factor``, each row's code among the
    distinct generic names and those names, and each row's ``patient_position``) for
    :func:`_typed_treatments`."""
    flagged, notes, problems, found = _common_problems(
        raw, "treatments", TREATMENT_COLUMNS, patients, allowlist
    )
    f = raw.frame
    parsed: dict = {}
    problems += _date_checks(raw, "start_date", True, parsed)
    problems += _date_checks(raw, "end_date", False, parsed)
    if "start_date" in parsed and "end_date" in parsed:
        bad = (parsed["end_date"] < parsed["start_date"]).to_numpy()
        problems += _problems(raw, bad, "end_date", "end date before the start date")
    if "setting" in f:
        bad = ~_isin(raw.factorized("setting"), ("", *SETTINGS))
        problems += _problems(raw, bad, "setting", "expected early, metastatic or empty")
    if "discontinuation_reason" in f:
        bad = ~_isin(raw.factorized("discontinuation_reason"), ("", *DISCONTINUATION_REASONS))
        problems += _problems(
            raw,
            bad,
            "discontinuation_reason",
            "expected " + ", ".join(DISCONTINUATION_REASONS) + " or empty",
        )
    if "line" in f:
        bad = ~f["line"].str.fullmatch(POSITIVE_INT).fillna(False).to_numpy(dtype=bool)
        if "setting" in f:
            bad &= (f["setting"] != "early").to_numpy() | (f["line"] != "").to_numpy()
        problems += _problems(
            raw, bad, "line", "expected a line number 1, 2, ... (empty only for early-setting rows)"
        )
    if "drug" in f:
        blank = _blank(raw, "drug")
        problems += _problems(raw, blank, "drug", "expected a drug name", False)
        # the generic name of each distinct value, then of each row (and a code per generic name)
        codes, values = raw.factorized("drug")
        by_value, unknown = map_exposures(pd.Series(values, dtype=object), dictionary)
        parsed["generic"] = pd.Series(by_value.to_numpy()[codes], index=f.index, dtype=object)
        # and each row's code among the distinct generic names, for _typed_treatments
        generic_codes, generic_names = pd.factorize(by_value.to_numpy(dtype=object))
        parsed["generic_factor"] = (generic_codes[codes], np.asarray(generic_names, dtype=object))
        unknown = unknown[codes]
        unknown &= ~blank
        if unknown.any():
            names = sorted(set(f["drug"].to_numpy()[unknown]))
            first = int(raw.lines[np.flatnonzero(unknown)[0]])
            problems.append(
                Problem(
                    raw.path,
                    first,
                    "drug",
                    f"{int(unknown.sum())} row(s) name drugs that are not in the drug dictionary: "
                    + ", ".join(repr(n) for n in names[:50])
                    + (" ..." if len(names) > 50 else "")
                    + "; map them in the study's drugs: block (name: {generic: ..., class: ...})",
                )
            )
    if found is not None and "start_date" in parsed:
        death = _patient_dates(*found, "death_date", f.index)
        contact = _patient_dates(*found, "last_contact_date", f.index)
        end = parsed.get("end_date", parsed["start_date"]).fillna(parsed["start_date"])
        problems += _after(
            raw, parsed["start_date"], death, "start_date", "exposure starts after death"
        )
        problems += _after(
            raw,
            end.where(parsed.get("end_date", end).notna()),
            death,
            "end_date",
            "exposure ends after death",
        )
        problems += _after(
            raw,
            parsed["start_date"],
            contact,
            "start_date",
            "exposure starts after the last contact",
        )
        problems += _after(
            raw,
            end.where(parsed.get("end_date", end).notna()),
            contact,
            "end_date",
            "exposure ends after the last contact",
        )
    if found is not None:
        parsed["patient_position"] = found[0]
    problems += _duplicates(raw, "exposure")
    if raw.frame.empty:
        problems.append(Problem(raw.path, raw.header_line, None, ingest.HEADER_ONLY))
    return ingest.redact(problems, flagged), notes, parsed


def assessment_problems(
    raw: ingest.RawTable, patients: pd.DataFrame | None, allowlist=(), same_day: str = "error"
) -> tuple[list[Problem], list[str], dict]:
    """Every problem of the assessments file, its notes, and the parsed ``date`` column."""
    flagged, notes, problems, found = _common_problems(
        raw, "assessments", ASSESSMENT_COLUMNS, patients, allowlist
    )
    f = raw.frame
    parsed: dict[str, pd.Series] = {}
    problems += _date_checks(raw, "date", True, parsed)
    if "response" in f:
        bad = ~_isin(raw.factorized("response"), ("", *RESPONSES))
        problems += _problems(
            raw, bad, "response", "expected CR, PR, SD, PD, NE or empty (baseline)"
        )
    if "sum_diameters" in f:
        codes, uniques = raw.factorized("sum_diameters")
        u = pd.Series(uniques, dtype=object)
        num = pd.to_numeric(u.where(u.str.fullmatch(ingest.NUMBER).fillna(False)), errors="coerce")
        bad = ((u != "").to_numpy() & ~(num >= 0).to_numpy())[codes]
        problems += _problems(
            raw, bad, "sum_diameters", "expected a sum of diameters in mm >= 0 or empty"
        )
    if found is not None and "date" in parsed:
        death = _patient_dates(*found, "death_date", f.index)
        problems += _after(raw, parsed["date"], death, "date", "assessment after death")
        meta = _patient_dates(*found, "metastatic_date", f.index)
        early = (parsed["date"] < meta).to_numpy()
        if early.any():
            notes.append(
                f"warning: {raw.path}: {int(early.sum())} assessment(s) dated before the patient's "
                f"metastatic diagnosis (first at line {int(raw.lines[np.flatnonzero(early)[0]])}); "
                "kept, and ignored for response after the index date"
            )
    problems += _duplicates(raw, "assessment")
    if same_day == "error" and not problems and {"patient_id", "date", "response"} <= set(f):
        problems += same_day_problems(raw, parsed["date"], None if found is None else found[0])
    return ingest.redact(problems, flagged), notes, parsed


# ------------------------------------------------------------------------------------------------
# coercion


def _typed_patients(raw: ingest.RawTable, parsed: Mapping[str, pd.Series]) -> pd.DataFrame:
    # the raw table lends its distinct values: each column is typed once per distinct value
    out = ingest.coerce_cohort(raw.frame.drop(columns=[c for c in parsed if c in raw.frame]), raw)
    for col in ("metastatic_date", "death_date", "last_contact_date"):
        out[col] = (
            parsed[col]
            if col in parsed
            else pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
        )
    out["patient_id"] = raw.frame["patient_id"].astype(str)
    return out


def _typed_treatments(
    raw: ingest.RawTable, dictionary: DrugDictionary, parsed: Mapping[str, pd.Series]
) -> tuple[pd.DataFrame, np.ndarray | None]:
    """``parsed``: what :func:`treatment_problems` parsed (dates, ``generic``, each row's patient
    position) of a valid file. Returns the typed table, each of its rows' patient position and
    the ``(codes, values)`` of the columns whose codes are known (:attr:`Records.treatment_factors`)."""
    f = raw.frame
    generic = parsed["generic"]
    start = parsed["start_date"]
    end = parsed["end_date"] if "end_date" in f else pd.Series(pd.NaT, index=f.index)
    columns = {
        "patient_id": f["patient_id"].astype(str),
        "drug": f["drug"].astype(str),
        "generic": generic,
        "start_date": start,
        "end_date": end.fillna(start),
        "setting": _empty_as(raw, "setting", "metastatic") if "setting" in f else "metastatic",
        "discontinuation_reason": (
            _empty_as(raw, "discontinuation_reason", None) if "discontinuation_reason" in f else None
        ),
        "row": np.arange(len(f), dtype=np.int64),
    }
    if "line" in f:
        columns["line"] = pd.to_numeric(_empty_as(raw, "line", None)).astype("Int64")
    # the codes of the filled setting and reason columns, for the lines of therapy
    factors = {
        column: _empty_factor(raw, column, value)
        for column, value in (("setting", "metastatic"), ("discontinuation_reason", None))
        if column in f and raw.has_factors(column)
    }
    position = parsed.get("patient_position")
    # a fixed combination ('a+b') becomes one row per component, in order (as Series.explode);
    # each distinct generic name is split once, and each column repeated before the frame is built
    codes, names = parsed["generic_factor"] if "generic_factor" in parsed else pd.factorize(generic)
    parts = [str(name).split("+") for name in names]
    if any(len(p) > 1 for p in parts):
        count = np.array([len(p) for p in parts], dtype=np.int64)[codes]
        rows = np.repeat(np.arange(len(f)), count)
        flat = np.array([x for p in parts for x in p], dtype=object)
        first = np.r_[0, np.cumsum([len(p) for p in parts])[:-1]]
        within = np.arange(len(rows)) - np.repeat(np.cumsum(count) - count, count)
        at = np.repeat(first[codes], count) + within  # each new row's component in `flat`
        columns["generic"] = flat[at]
        for name, column in columns.items():
            if isinstance(column, pd.Series):
                columns[name] = column.iloc[rows].reset_index(drop=True)
            elif name != "generic" and isinstance(column, np.ndarray):
                columns[name] = column[rows]
        out = pd.DataFrame(columns, index=pd.RangeIndex(len(rows)), copy=False)
        flat_codes, names = pd.factorize(flat)
        codes = flat_codes[at]
        if position is not None:
            position = np.repeat(position, count)
        factors = {k: (c[rows], v) for k, (c, v) in factors.items()}
    else:
        out = pd.DataFrame(columns, copy=False)
    classes = dictionary.classes_of(pd.Series(names, dtype=object)).to_numpy()
    out["drug_class"] = classes[codes] if len(codes) else classes[:0]
    names = np.asarray(names, dtype=object)
    factors.update(generic=(codes, names), drug_class=(codes, classes))
    return out, position, factors


def _empty_factor(raw: ingest.RawTable, column: str, value) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, values)`` of ``raw.frame[column].replace("", value)`` for a column the reader
    built from its distinct values (:meth:`ingest.RawTable.has_factors`)."""
    codes, values = raw.factors[column]
    values = np.asarray(values, dtype=object)
    return codes, np.where(values == "", value, values).astype(object, copy=False)


def _empty_as(raw: ingest.RawTable, column: str, value) -> pd.Series:
    """``raw.frame[column].replace("", value)``, without pandas' generic replace: through the
    column's distinct values where the reader built it from them (a few values, not a comparison
    per row)."""
    s = raw.frame[column]
    if raw.has_factors(column):
        codes, cells = _empty_factor(raw, column, value)
        return pd.Series(cells[codes], index=s.index, dtype=object)
    arr = s.to_numpy(dtype=object)
    return pd.Series(np.where(arr == "", value, arr), index=s.index, dtype=object)


def _typed_assessments(raw: ingest.RawTable, parsed: Mapping[str, pd.Series]) -> pd.DataFrame:
    f = raw.frame
    out = pd.DataFrame(
        {
            "patient_id": f["patient_id"].astype(str),
            "date": parsed["date"],
            "response": _empty_as(raw, "response", None)
            if "response" in f
            else pd.Series(None, index=f.index, dtype=object),
        }
    )
    out["sum_diameters"] = (
        _numbers(raw.factorized("sum_diameters")) if "sum_diameters" in f else np.nan
    )
    return out


def _numbers(factor: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """``pd.to_numeric(s.replace("", None)).astype(float)`` of a column ``s`` given as its codes and
    values (:meth:`ingest.RawTable.factorized`), parsed once per value. The values (with None for
    the empty cells) are the column's own, so pandas infers the same type from them and every cell
    gets the number it would get on its own."""
    codes, uniques = factor
    empty = np.flatnonzero(np.asarray(uniques, dtype=object) == "")
    values = np.asarray(uniques, dtype=object).copy()
    values[empty] = None
    numbers = pd.to_numeric(pd.Series(values, dtype=object)).astype(float).to_numpy()
    return numbers[codes] if len(codes) else numbers[:0]


def _read(path, name):
    try:
        return ingest.read_raw_csv(path, name), []
    except InputError as exc:
        return None, exc.problems


def read_records(
    files: Mapping[str, str | Path | None],
    dictionary: DrugDictionary,
    allowlist: Iterable[str] = (),
    display: Mapping[str, str] | None = None,
    same_day: str = "error",
) -> Records:
    """Read and validate a study's records (keys patients, treatments, assessments, adverse_events;
    the last two optional). Raises InputError with every problem of every file. ``same_day``: the
    study's ``response.same_day`` rule (``error``: two assessments of a patient on one day with
    different responses are a problem)."""
    display = display or {}
    allowlist = tuple(allowlist)
    problems: list[Problem] = []
    notes: list[str] = []
    raws: dict[str, ingest.RawTable] = {}
    for kind in ("patients", "treatments", "assessments", "adverse_events"):
        path = files.get(kind)
        if path:
            raw, found = _read(path, display.get(kind, str(path)))
            problems += found
            if raw is not None:
                raws[kind] = raw
    patients = None
    if "patients" in raws:
        found, found_notes, parsed = patient_problems(raws["patients"], allowlist)
        problems += found
        notes += found_notes
        if "patient_id" in raws["patients"].frame and "metastatic_date" in parsed:
            patients = _typed_patients(raws["patients"], parsed)
    parsed_treatments = parsed_assessments = {}
    if "treatments" in raws:
        found, found_notes, parsed_treatments = treatment_problems(
            raws["treatments"], patients, dictionary, allowlist
        )
        problems += found
        notes += found_notes
    if "assessments" in raws:
        found, found_notes, parsed_assessments = assessment_problems(
            raws["assessments"], patients, allowlist, same_day
        )
        problems += found
        notes += found_notes
    if "adverse_events" in raws:
        raw = raws["adverse_events"]
        flagged, ae_notes = identifiers.identifier_guard(
            raw.frame, raw.lines, raw.path, raw.header_line, allowlist, raw
        )
        notes += ae_notes
        ids = None if patients is None else patients["patient_id"]
        found = ingest.adverse_event_problems(raw, ids) + _date_checks(raw, "onset_date", False, {})
        problems += ingest.redact(flagged + found, flagged)
    if problems:
        problems.sort(key=lambda p: (p.file, p.line or 0, p.column or ""))
        raise InputError(problems)
    treatments, positions, factors = _typed_treatments(
        raws["treatments"], dictionary, parsed_treatments
    )
    assessments = (
        _typed_assessments(raws["assessments"], parsed_assessments)
        if "assessments" in raws
        else None
    )
    ae = (
        ingest.coerce_adverse_events(raws["adverse_events"].frame)
        if "adverse_events" in raws
        else None
    )
    if ae is not None and "onset_date" in ae.columns:
        onset = ae["onset_date"].where(ae["onset_date"] != "")
        ae["onset_date"] = pd.to_datetime(onset, format="%Y-%m-%d")
    return Records(patients, treatments, assessments, ae, notes, positions, factors)
