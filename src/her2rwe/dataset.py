"""Build the analysis dataset of a study: validated cohort -> one row per patient with derived endpoints."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from her2rwe import ingest
from her2rwe.endpoints import DAYS_PER_MONTH, derive_endpoints, endpoint_definitions


@dataclass
class StudyData:
    dataset: pd.DataFrame
    attrition: pd.DataFrame
    adverse_events: pd.DataFrame


AE_COLUMNS = ["patient_id", "arm", "term", "grade", "category"]


def arm_levels(study: Mapping[str, Any], present: list[str] | None = None) -> list[str]:
    """Display order of the arms: `arms.order`, else the reference first and the others sorted."""
    arms = study.get("arms", {})
    if arms.get("order"):
        return list(arms["order"])
    levels = sorted(present or [])
    ref = arms.get("reference")
    if ref in levels:
        levels.remove(ref)
        levels.insert(0, ref)
    return levels


def reference_arm(study: Mapping[str, Any], present: list[str]) -> str:
    """The configured reference arm, else the first arm in sorted order (DESIGN.md)."""
    ref = study.get("arms", {}).get("reference")
    return ref if ref is not None else sorted(present)[0]


def build_study_data(
    study: Mapping[str, Any],
    cohort_path: str | Path,
    adverse_events_path: str | Path | None = None,
    days_per_month: float = DAYS_PER_MONTH,
    display: Mapping[str, str] | None = None,
) -> StudyData:
    """Validate the study's files and derive its analysis dataset and attrition table.

    Raises ``ingest.InputError`` listing every problem of a file, each with file, line and column.
    """
    display = display or {}
    cohort_name = display.get("cohort", str(cohort_path))
    arm_col = study.get("arms", {}).get("column", "arm")
    definitions = endpoint_definitions(study)
    endpoints = list(study["endpoints"])

    raw = ingest.read_raw_csv(cohort_path, cohort_name)
    header = set(raw.frame.columns)
    durations = {ep for ep in endpoints if f"{ep}_months" in header and f"{ep}_event" in header}
    date_form = [definitions[ep] for ep in endpoints if ep not in durations and ep in definitions]
    origins = {d.origin for d in date_form}
    needed = set().union(*(d.columns() for d in date_form)) if date_form else set()
    schema = ingest.cohort_schema(raw.frame.columns, arm_col, origins, durations, needed)
    problems = ingest.validate(raw, schema)
    if not problems and raw.frame.empty:
        problems = [
            ingest.Problem(
                cohort_name, raw.header_line, None, "the file has a header but no patient rows"
            )
        ]
    problems += _arm_problems(study, raw, arm_col)
    if problems:
        raise ingest.InputError(problems)

    cohort = ingest.coerce_cohort(raw.frame)
    cohort["arm"] = cohort[arm_col].astype(str)
    derived = derive_endpoints(cohort, endpoints, definitions, days_per_month)

    endpoint_inputs = {f"{ep}_{s}" for ep in endpoints for s in ("months", "event", "source")}
    covariates = [
        c
        for c in cohort.columns
        if c not in {"patient_id", "arm", arm_col}
        and c not in endpoint_inputs
        and not c.endswith("_date")
    ]
    dataset = pd.concat(
        [cohort[["patient_id", "arm"]].astype({"patient_id": str}), derived, cohort[covariates]],
        axis=1,
    )
    levels = arm_levels(study, sorted(dataset["arm"].unique()))

    attrition = summarize_attrition(cohort, dataset, levels)

    ae = pd.DataFrame({c: pd.Series(dtype="object") for c in AE_COLUMNS})
    if adverse_events_path:
        ae_raw = ingest.read_adverse_events(
            adverse_events_path,
            cohort["patient_id"],
            display.get("adverse_events", str(adverse_events_path)),
        )
        arm_of = dict(zip(dataset["patient_id"], dataset["arm"], strict=True))
        ae = ae_raw.assign(arm=ae_raw["patient_id"].map(arm_of))
        if "category" not in ae.columns:
            cats = study.get("adverse_event_categories", {})
            ae["category"] = ae["term"].map(cats).astype("string")
        ae = ae[AE_COLUMNS + [c for c in ae.columns if c not in AE_COLUMNS]]
    return StudyData(dataset=dataset, attrition=attrition, adverse_events=ae)


def _arm_problems(
    study: Mapping[str, Any], raw: ingest.RawTable, arm_col: str
) -> list[ingest.Problem]:
    """Arms in the data that `arms.order` does not name, and named arms with no patients."""
    order = study.get("arms", {}).get("order")
    if not order or arm_col not in raw.frame.columns:
        return []
    problems = []
    arms = raw.frame[arm_col]
    unknown = ~arms.isin(order) & (arms != "")
    for i in unknown.to_numpy().nonzero()[0]:
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
        if not (arms == arm).any():
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
