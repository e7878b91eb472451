"""A records study end to end: files -> lines of therapy -> index lines -> analysis dataset.

Two steps, one Snakemake job each: :func:`derive_study_lines` validates the records and numbers the
lines of every patient (written before and independently of index selection);
:func:`build_records_study_data` selects the index lines and builds the same analysis dataset,
attrition table and adverse-event table as a v1 cohort study.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from her2rwe.config import has_assessments, study_settings
from her2rwe.derive.dataset import AE_COLUMNS, StudyData, arm_levels
from her2rwe.derive.index_line import select_index_lines
from her2rwe.derive.lines import compare_given_lines, derive_lines, line_rules
from her2rwe.derive.preflight import display_columns, display_value_problems, identifier_columns
from her2rwe.derive.records_dataset import build_analysis_dataset, index_cohort
from her2rwe.derive.tumour_response import PATIENT_COLUMNS, cohort_response
from her2rwe.formatting import level_text
from her2rwe.records.drugs import load_dictionary
from her2rwe.records.longitudinal import read_records
from her2rwe.records.rawtext import InputError, Problem

ASSESSMENT_FRAME = {
    "patient_id": "object",
    "date": "datetime64[ns]",
    "response": "object",
    "sum_diameters": "float64",
}


@dataclass
class StudyLines:
    lines: pd.DataFrame
    discrepancies: pd.DataFrame
    patients: pd.DataFrame
    assessments: pd.DataFrame
    adverse_events: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def dictionary_of(study: Mapping[str, Any]):
    try:
        return load_dictionary(study["drugs"])
    except ValueError as exc:
        raise InputError([Problem("config", None, "drugs", str(exc))]) from None


def derive_study_lines(
    study: Mapping[str, Any], files: Mapping[str, str], days_per_month: float
) -> StudyLines:
    """Read and validate the records (InputError listing every problem) and derive the lines."""
    study = study_settings(study)
    dictionary = dictionary_of(study)
    records = read_records(
        {k: files.get(k) for k in ("patients", "treatments", "assessments", "adverse_events")},
        dictionary,
        study["identifier_allowlist"],
        display={k: study["records"][k] for k in study["records"] if study["records"][k]},
        same_day=study["response"]["same_day"],
    )
    rules = line_rules(study["lines"], days_per_month)
    result = derive_lines(
        records.treatments,
        records.patients,
        rules,
        study["lines"]["use_given_lines"],
        patient_rows=records.treatment_patients,
        factors=records.treatment_factors,
    )
    differ = compare_given_lines(records.treatments, result)
    notes = list(records.notes)
    if "line" in records.treatments.columns:
        notes.append(
            f"lines taken as given in the treatments file; the rules would number "
            f"{len(differ)} exposure(s) differently (internal/line_discrepancies.csv)"
        )
    assessments = records.assessments
    if assessments is None:
        assessments = pd.DataFrame({c: pd.Series(dtype=t) for c, t in ASSESSMENT_FRAME.items()})
    ae = records.adverse_events
    if ae is None:
        ae = pd.DataFrame({c: pd.Series(dtype="object") for c in ("patient_id", "term", "grade")})
    return StudyLines(result.lines, differ, records.patients, assessments, ae, notes)


def first_onset(cohort: pd.DataFrame, adverse_events: pd.DataFrame, terms) -> np.ndarray:
    """Each index patient's earliest adverse-event onset after the index date among ``terms``
    (case-insensitive), NaT without one (``index.adverse_event_dates``: the column ``<name>_date``,
    and ``<name>`` yes/no beside it)."""
    if "onset_date" not in adverse_events.columns:
        raise InputError(
            [
                Problem(
                    "adverse_events",
                    None,
                    "onset_date",
                    "index.adverse_event_dates needs an onset_date column in the adverse-event file",
                )
            ]
        )
    wanted = {t.casefold() for t in terms}
    ae = adverse_events[adverse_events["term"].astype(str).str.casefold().isin(wanted)]
    ae = ae.merge(cohort[["patient_id", "index_date"]], on="patient_id")
    ae = ae[ae["onset_date"] > ae["index_date"]]
    first = ae.groupby("patient_id")["onset_date"].min()
    return pd.to_datetime(first.reindex(cohort["patient_id"]).to_numpy())


def _check_display(name: str, study: Mapping[str, Any], dataset: pd.DataFrame) -> None:
    """`display` values of columns derived from the records (the preflight saw only the patients
    file): each must occur in the analysis dataset."""
    arm_key = study["arms"]["column"]
    present = {
        column: {level_text(v) for v in dataset[column].dropna().unique()}
        for column in study["display"]
        if column != arm_key and column in dataset.columns and column in display_columns(study)
        and not identifier_columns(study, [column])
    }
    problems = display_value_problems(name, study, present, "the analysis dataset")
    if problems:
        raise InputError([Problem("config", None, None, p) for p in problems])


def build_records_study_data(
    study: Mapping[str, Any],
    lines: pd.DataFrame,
    patients: pd.DataFrame,
    assessments: pd.DataFrame,
    adverse_events: pd.DataFrame,
    days_per_month: float,
    name: str = "<study>",
) -> StudyData:
    """Index selection, the analysis dataset (v1 shape), attrition and adverse events by arm.
    ``name``: the study's key, for the message on a `display` value the derived data lack."""
    study = study_settings(study)
    dictionary = dictionary_of(study)
    rule = study["index"]
    selection = select_index_lines(
        lines,
        patients,
        rule,
        dictionary,
        study["lines"]["substitutions"],
        study["arms"].get("order"),
    )
    n_assessments = len(assessments)
    # only the index patients' assessments are used (window, T-DM1 benefit, response): the rest
    # are dropped once here, in their order, instead of in every step
    assessments = assessments[
        assessments["patient_id"].isin(selection.index["patient_id"]).to_numpy()
    ].reset_index(drop=True)
    cohort = index_cohort(selection, lines, patients, assessments, rule, dictionary, days_per_month)
    for name, terms in rule["adverse_event_dates"].items():
        cohort[f"{name}_date"] = first_onset(cohort, adverse_events, terms)
        cohort[name] = np.where(cohort[f"{name}_date"].notna(), "yes", "no")
    notes: list[str] = []
    tumour = pd.DataFrame(columns=PATIENT_COLUMNS)
    if has_assessments(study):
        # the index line's best overall response, DoR and TTR by the study's response rules; the
        # window ends at the next line's start (response.stop_at_next_line) or the cut-off
        derived, tumour = cohort_response(cohort, assessments, study["response"], days_per_month)
        cohort["best_response"] = derived["best_response"].astype("string").to_numpy()
        cohort["sd_weeks"] = derived["sd_weeks"].to_numpy()
        cohort["best_response_source"] = derived["best_response_source"].to_numpy()
        notes.append(
            f"best_response and sd_weeks derived from {n_assessments} tumour assessment(s) "
            "by the response rules"
        )
    else:
        notes.append("no assessments file: best_response is empty")
    dataset = build_analysis_dataset(cohort, study, days_per_month)
    _check_display(name, study, dataset)
    levels = arm_levels(study, sorted(dataset["arm"].unique()))
    att = selection.attrition
    order = {a: i for i, a in enumerate(levels)}
    att = att.assign(_o=att["arm"].map(order).fillna(len(order) + att["arm"].eq("Total")))
    att = att.sort_values("_o", kind="stable").drop(columns="_o").reset_index(drop=True)
    ae = pd.DataFrame({c: pd.Series(dtype="object") for c in AE_COLUMNS})
    if len(adverse_events):
        arm_of = dict(zip(dataset["patient_id"], dataset["arm"], strict=True))
        ae = adverse_events[adverse_events["patient_id"].isin(arm_of)].copy()
        ae["arm"] = ae["patient_id"].map(arm_of)
        if "category" not in ae.columns:
            ae["category"] = ae["term"].map(study["adverse_event_categories"]).astype("string")
        ae = ae[AE_COLUMNS + [c for c in ae.columns if c not in AE_COLUMNS]].reset_index(drop=True)
    return StudyData(
        dataset=dataset, attrition=att, adverse_events=ae, notes=notes, tumour_response=tumour
    )
