"""Build the analysis dataset of a study: validated cohort -> one row per patient with derived endpoints."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from her2rwe.config import study_settings
from her2rwe.derive.declared import ADVERSE_EVENT_CONTRACT, declared_columns, undeclared
from her2rwe.derive.endpoints import (
    DAYS_PER_MONTH,
    EndpointDefinition,
    derive_endpoints,
    endpoint_definitions,
    same_day_ties,
)
from her2rwe.derive.tumour_response import PATIENT_COLUMNS, cohort_response
from her2rwe.formatting import LevelLabels
from her2rwe.records import assessments as assessment_file
from her2rwe.records import identifiers, ingest


@dataclass
class StudyData:
    """A study's analysis dataset, its attrition table (unsuppressed: internal) and its validated
    adverse events; ``notes`` are lines for the job log (e.g. allow-listed identifier columns)."""

    dataset: pd.DataFrame
    attrition: pd.DataFrame
    adverse_events: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    # patient-level response outputs (derive.tumour_response.PATIENT_COLUMNS); empty without an
    # assessment file
    tumour_response: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=PATIENT_COLUMNS)
    )


AE_COLUMNS = ["patient_id", "arm", "term", "grade", "category"]


def arm_levels(study: Mapping[str, Any], present: list[str] | None = None) -> list[str]:
    """Display order of the arms: `arms.order`, else the arms listed under `display` for the arm
    column in that order, then the reference first and the others sorted."""
    study = study_settings(study)
    arms = study["arms"]
    if arms.get("order"):
        return list(arms["order"])
    levels = sorted(present or [])
    ref = arms.get("reference")
    if ref in levels:
        levels.remove(ref)
        levels.insert(0, ref)
    return LevelLabels.of(study).order("arm", levels)


def reference_arm(study: Mapping[str, Any], present: list[str]) -> str:
    """The configured reference arm, else the first arm in sorted order (DESIGN.md)."""
    study = study_settings(study)
    ref = study["arms"].get("reference")
    return ref if ref is not None else sorted(present)[0]


def _read(
    path: str | Path, name: str, declared: set[str]
) -> tuple[ingest.RawTable | None, list[ingest.Problem]]:
    """The declared columns of a CSV; the others are dropped unread (``RawTable.dropped``)."""
    try:
        return ingest.read_raw_csv(path, name, keep=declared), []
    except ingest.InputError as exc:
        return None, exc.problems


def minimise(raw: ingest.RawTable, declared: set[str]) -> list[str]:
    """Drop the columns of ``raw`` that are not declared (in place), besides those the reader
    dropped unread; the job-log note names them all."""
    dropped = raw.dropped + undeclared(raw.frame.columns, declared)
    if not dropped:
        return []
    raw.frame = raw.frame.drop(columns=[c for c in dropped if c in raw.frame.columns])
    return [
        f"{raw.path}: {len(dropped)} column(s) not declared by the input contract or the study's "
        f"config dropped unread (data minimisation): {', '.join(dropped)}"
    ]


def cohort_problems(
    study: Mapping[str, Any], raw: ingest.RawTable
) -> tuple[list[ingest.Problem], list[str]]:
    """Every problem of a raw cohort table for this study, and the job-log notes.

    Identifier guard first; then the schema (columns, dates, durations, flags, responses, duplicate
    IDs), a header without rows, the arms, the chronology of the dates and numbers among numbers.
    Values of columns refused as identifiers are never shown.
    """
    arm_col = study["arms"]["column"]
    definitions = endpoint_definitions(study)
    endpoints = list(study["endpoints"])
    header = set(raw.frame.columns)
    flagged, notes = identifiers.identifier_guard(
        raw.frame, raw.lines, raw.path, raw.header_line, study["identifier_allowlist"], raw
    )
    durations = {ep for ep in endpoints if f"{ep}_months" in header and f"{ep}_event" in header}
    twice = [
        ep for ep in sorted(durations) if ep in definitions and definitions[ep].columns() <= header
    ]
    date_form = [definitions[ep] for ep in endpoints if ep not in durations and ep in definitions]
    competing = list(study["competing_endpoints"])
    statuses = [ep for ep in competing if {f"{ep}_months", f"{ep}_status"} <= header]
    date_form += [definitions[ep] for ep in competing if ep not in statuses and ep in definitions]
    origins = {d.origin for d in date_form}
    needed = set().union(*(d.columns() for d in date_form)) if date_form else set()
    response_col = study["response"]["column"]
    schema = ingest.cohort_schema(
        raw.frame.columns, arm_col, origins, durations, needed, response_column=response_col,
        status_endpoints=statuses,
    )  # fmt: skip
    problems = flagged + ingest.validate(raw, schema)
    for ep in twice:
        problems.append(
            ingest.Problem(
                raw.path,
                raw.header_line,
                f"{ep}_months",
                f"endpoint {ep!r} is given twice: as {ep}_months/{ep}_event and by the dates its "
                f"definition reads ({', '.join(sorted(definitions[ep].columns()))}): keep one, "
                "or name the duration endpoint differently",
            )
        )
    if raw.frame.empty:
        problems.append(ingest.Problem(raw.path, raw.header_line, None, ingest.HEADER_ONLY))
    problems += _arm_problems(study, raw, arm_col)
    problems += ingest.chronology_problems(raw)
    skip = {arm_col, response_col, *(p.column for p in flagged)}
    skip |= {f"{ep}_status" for ep in statuses}
    problems += ingest.mostly_numeric_problems(raw, skip=skip)
    return ingest.redact(problems, flagged), notes


def build_study_data(
    study: Mapping[str, Any],
    cohort_path: str | Path,
    adverse_events_path: str | Path | None = None,
    days_per_month: float = DAYS_PER_MONTH,
    display: Mapping[str, str] | None = None,
    assessments_path: str | Path | None = None,
) -> StudyData:
    """Validate the study's files and derive its analysis dataset and attrition table.

    Every problem of every input file is collected first and raised together as one
    ``ingest.InputError`` (each with file, line and column), before anything is derived.
    """
    study = study_settings(study)
    display = display or {}
    cohort_name = display.get("cohort", str(cohort_path))
    arm_col = study["arms"]["column"]
    definitions = endpoint_definitions(study)
    endpoints = list(study["endpoints"])
    allowlist = study["identifier_allowlist"]

    declared = declared_columns(study)
    raw, problems = _read(cohort_path, cohort_name, declared)
    notes: list[str] = []
    if raw is not None:
        notes += minimise(raw, declared)
        found, guard_notes = cohort_problems(study, raw)
        notes += guard_notes
        problems += found
    ae_raw = None
    if adverse_events_path:
        ae_name = display.get("adverse_events", str(adverse_events_path))
        ae_raw, found = _read(adverse_events_path, ae_name, set(ADVERSE_EVENT_CONTRACT))
        problems += found
    if ae_raw is not None:
        notes += minimise(ae_raw, set(ADVERSE_EVENT_CONTRACT))
        flagged, ae_notes = identifiers.identifier_guard(
            ae_raw.frame, ae_raw.lines, ae_raw.path, ae_raw.header_line, allowlist, ae_raw
        )
        notes += ae_notes
        ids = raw.frame["patient_id"] if raw is not None and "patient_id" in raw.frame else None
        problems += ingest.redact(flagged + ingest.adverse_event_problems(ae_raw, ids), flagged)
    as_raw = None
    if assessments_path:
        as_name = display.get("assessments", str(assessments_path))
        as_raw, found = _read(assessments_path, as_name, set(assessment_file.COLUMNS))
        problems += found
    if as_raw is not None:
        notes += minimise(as_raw, set(assessment_file.COLUMNS))
    if as_raw is not None and raw is not None:
        problems += _assessment_problems(study, raw, as_raw, allowlist, notes)
    if problems:
        raise ingest.InputError(problems)

    cohort = ingest.coerce_cohort(raw.frame, raw)
    cohort["arm"] = cohort[arm_col].astype(str)
    tumour = pd.DataFrame(columns=PATIENT_COLUMNS)
    if as_raw is not None:
        typed = assessment_file.coerce_assessments(as_raw.frame)
        derived, tumour = cohort_response(cohort, typed, study["response"], days_per_month)
        response_col = study["response"]["column"]
        replaced = [c for c in (response_col, "sd_weeks") if c in cohort.columns]
        cohort[response_col] = derived["best_response"].to_numpy()
        cohort["sd_weeks"] = derived["sd_weeks"].to_numpy()
        cohort["best_response_source"] = derived["best_response_source"].to_numpy()
        notes.append(
            f"{response_col} and sd_weeks derived from {len(typed)} tumour assessment(s) by the "
            "response rules"
            + (f" (replacing the cohort's {' and '.join(replaced)} column(s))" if replaced else "")
        )
    competing = list(study["competing_endpoints"])
    ties = same_day_problems(raw, cohort, competing, definitions)
    if ties:
        raise ingest.InputError(ties)
    derived = derive_endpoints(cohort, endpoints, definitions, days_per_month, competing)

    endpoint_inputs = {f"{ep}_{s}" for ep in endpoints for s in ("months", "event", "source")}
    endpoint_inputs |= {f"{ep}_{s}" for ep in competing for s in ("months", "status", "source")}
    covariates = [
        c
        for c in cohort.columns
        if c not in {"patient_id", "arm", arm_col}
        and c not in endpoint_inputs
        and not c.endswith("_date")
    ]
    # the columns side by side, as pd.concat(axis=1) puts them, without copying them (no name
    # repeats: covariates exclude the endpoint columns)
    parts = [cohort[["patient_id", "arm"]].astype({"patient_id": str}), derived, cohort[covariates]]
    dataset = pd.DataFrame({c: part[c] for part in parts for c in part.columns}, copy=False)
    levels = arm_levels(study, sorted(dataset["arm"].unique()))

    attrition = summarize_attrition(cohort, dataset, levels)

    ae = pd.DataFrame({c: pd.Series(dtype="object") for c in AE_COLUMNS})
    if ae_raw is not None:
        ae_typed = ingest.coerce_adverse_events(ae_raw.frame)
        arm_of = dict(zip(dataset["patient_id"], dataset["arm"], strict=True))
        ae = ae_typed.assign(arm=ae_typed["patient_id"].map(arm_of))
        if "category" not in ae.columns:
            cats = study["adverse_event_categories"]
            ae["category"] = ae["term"].map(cats).astype("string")
        ae = ae[AE_COLUMNS + [c for c in ae.columns if c not in AE_COLUMNS]]
    return StudyData(
        dataset=dataset, attrition=attrition, adverse_events=ae, notes=notes, tumour_response=tumour
    )


def _assessment_problems(
    study: Mapping[str, Any],
    cohort: ingest.RawTable,
    raw: ingest.RawTable,
    allowlist: list[str],
    notes: list[str],
) -> list[ingest.Problem]:
    """Identifier guard and checks of the assessment file against the cohort's index dates."""
    if "index_date" not in cohort.frame.columns:
        return [
            ingest.Problem(
                cohort.path,
                cohort.header_line,
                "index_date",
                "required column is missing: an assessment file needs each patient's index date",
            )
        ]
    flagged, more = identifiers.identifier_guard(
        raw.frame, raw.lines, raw.path, raw.header_line, allowlist, raw
    )
    notes += more
    text = cohort.frame["index_date"]
    valid = text.str.fullmatch(ingest.ISO_DATE).fillna(False).astype(bool)
    dates = pd.to_datetime(text.where(valid), format="%Y-%m-%d", errors="coerce")
    index_dates = dict(zip(cohort.frame["patient_id"], dates, strict=True))
    found = assessment_file.assessment_problems(raw, index_dates, study["response"]["same_day"])
    return ingest.redact(flagged + found, flagged)


def same_day_problems(
    raw: ingest.RawTable,
    cohort: pd.DataFrame,
    competing: list[str],
    definitions: Mapping[str, EndpointDefinition],
) -> list[ingest.Problem]:
    """Rows whose event and competing event of a competing-risks endpoint fall on the same day,
    for definitions whose tie rule is ``same_day: error`` (docs/data_dictionary.md); each names the
    file, the line and the event's date column, never a value."""
    problems = []
    for ep, rows, event_cols, competing_cols in same_day_ties(cohort, competing, definitions):
        for i, ev_col, cp_col in zip(rows, event_cols, competing_cols, strict=True):
            problems.append(
                ingest.Problem(
                    raw.path,
                    raw.line_of(i),
                    ev_col,
                    f"endpoint {ep!r}: the event ({ev_col}) and the competing event ({cp_col}) "
                    f"are on the same day; set endpoint_definitions.{ep}.same_day to 'event' or "
                    "'competing' to say which counts (docs/data_dictionary.md, tie rule)",
                )
            )
    return problems


def _arm_problems(
    study: Mapping[str, Any], raw: ingest.RawTable, arm_col: str
) -> list[ingest.Problem]:
    """Arms in the data that `arms.order` does not name, and named arms with no patients."""
    arms_cfg = study["arms"]
    order = arms_cfg.get("order")
    if arm_col not in raw.frame.columns:
        return []
    problems = []
    arms = raw.frame[arm_col]
    codes, values = raw.distinct(arm_col)
    seen = set(values)
    present = sorted(seen - {""})
    ref = arms_cfg.get("reference")
    if ref is not None and ref not in present and not (order and ref in order):
        problems.append(
            ingest.Problem(
                raw.path,
                None,
                arm_col,
                f"the reference arm {ref!r} has no patients ({len(present)} other arm value(s) "
                "in the file; values not shown)",
            )
        )
    if not order:
        return problems
    unknown = (~pd.Series(values, dtype=object).isin(order) & (values != "")).to_numpy()[codes]
    for i in unknown.nonzero()[0]:
        problems.append(
            ingest.Problem(
                raw.path,
                raw.line_of(i),
                arm_col,
                f"arm is not one of the configured arms ({', '.join(order)})",
                arms.iat[i],
            )
        )
    for arm in order:
        if arm not in seen:
            problems.append(
                ingest.Problem(raw.path, None, arm_col, f"configured arm {arm!r} has no patients")
            )
    return problems


def summarize_attrition(
    cohort: pd.DataFrame, dataset: pd.DataFrame, levels: list[str]
) -> pd.DataFrame:
    """Rows read, rows excluded (with the reason) and rows analysed, per arm and in total."""
    rows = []
    read = cohort["arm"].value_counts()
    analysed = dataset["arm"].value_counts()
    for arm in [*levels, "Total"]:
        n_read = int(read.sum() if arm == "Total" else read.get(arm, 0))
        n_an = int(analysed.sum() if arm == "Total" else analysed.get(arm, 0))
        rows.append({"arm": arm, "step": "rows read", "reason": "", "n": n_read})
        rows.append({"arm": arm, "step": "excluded", "reason": "none", "n": n_read - n_an})
        rows.append({"arm": arm, "step": "analysed", "reason": "", "n": n_an})
    return pd.DataFrame(rows, columns=["arm", "step", "reason", "n"])
