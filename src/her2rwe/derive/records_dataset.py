"""A records study's analysis dataset: index line -> the v1 one-row-per-patient dataset.

From the index line (:mod:`her2rwe.derive.index_line`), the lines of therapy and the assessments:
index_date = line start; progression_date = the first PD assessment after the index date and not
after the next line's start (``index.stop_at_next_line: false``: at any time, regardless of the next
line; ``index.progression`` can take the end of the index line when it stopped for progression
instead, or the earlier of both); last_assessment_date = the last adequate assessment (CR, PR, SD
or PD) in the same window, not after that PD; next_treatment_date = the next line's start;
discontinuation_date and discontinuation_reason = the index line's end and reason (empty while the
line is ongoing: the patient's last line, the last contact within the gap rule of its last dose and
no discontinuation reason recorded); death and last contact from the patients file. These feed the same endpoint
definitions as a v1 cohort (derive/endpoints.py), so every table and figure downstream is shared.

Derived covariates: prior_lines (lines before the index line, the early therapy counted by the
adjuvant rule included); prior_<class> (yes/no, an earlier line holding that class); index_line
and index_line_class; index_therapy_class and next_therapy_class (anti-HER2 antibody, anti-HER2 TKI,
other anti-HER2 or other; the next class empty when no next line); prior_tdm1_benefit (yes when a
prior T-DM1 line lasted at least ``index.benefit_months`` or had a CR, PR or SD assessment; empty
without prior T-DM1); trastuzumab_resistance (primary when the first metastatic trastuzumab line
lasted at most ``index.primary_resistance_months`` or early trastuzumab was counted as line 1 by
the adjuvant rule, else acquired; empty without trastuzumab before the index line); and for each
``index.drug_history`` entry the last line holding that drug on or before the index line.

Best overall response is not derived here: the records pipeline fills ``best_response`` and
``sd_weeks`` from the assessments by the tumour-response rules (derive/tumour_response.py); the
column stays empty for a study without an assessments file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from her2rwe.derive.endpoints import (
    derive_endpoints,
    endpoint_definitions,
    same_day_ties,
)
from her2rwe.derive.index_line import IndexSelection
from her2rwe.records.drugs import CLASSES, DrugDictionary
from her2rwe.records.rawtext import InputError, Problem

ADEQUATE = ("CR", "PR", "SD", "PD")
THERAPY_GROUPS = {
    "anti-HER2 antibody": "anti-HER2 antibody",
    "anti-HER2 TKI": "anti-HER2 TKI",
    "anti-HER2 ADC": "other anti-HER2",
}


def _slug(cls: str) -> str:
    return cls.lower().replace("anti-her2 ", "").replace("/", "").replace(" ", "_")


def _holds(joined: pd.Series, item: str, factor=None) -> np.ndarray:
    """Rows whose '+'-joined list holds ``item`` (each distinct list is split once). ``factor``:
    ``pd.factorize(joined)`` when several items are looked up in one column."""
    codes, uniques = pd.factorize(joined) if factor is None else factor
    hit = np.array([item in u.split("+") for u in uniques] + [False], dtype=bool)
    return hit[codes]  # code -1 (a missing list): the last entry, no


def therapy_group(line_class: pd.Series) -> pd.Series:
    """anti-HER2 antibody, anti-HER2 TKI, other anti-HER2 (ADC) or other."""
    return line_class.map(THERAPY_GROUPS).fillna("other").where(line_class.notna())


def index_cohort(
    selection: IndexSelection,
    lines: pd.DataFrame,
    patients: pd.DataFrame,
    assessments: pd.DataFrame | None,
    index_rule: Mapping[str, Any],
    dictionary: DrugDictionary,
    days_per_month: float,
) -> pd.DataFrame:
    """One row per selected patient in the v1 cohort form (dates, arm, regimen, covariates)."""
    idx = selection.index
    pt = patients.set_index("patient_id")
    out = pd.DataFrame(
        {
            "patient_id": idx["patient_id"].to_numpy(),
            "arm": idx["arm"].to_numpy(),
            "regimen": idx["regimen"].to_numpy(),
            "index_date": idx["start_date"].to_numpy(),
            "index_line": idx["line"].to_numpy(),
            "index_line_class": idx["line_class"].to_numpy(),
            "next_treatment_date": idx["next_line_start"].to_numpy(),
        }
    )
    # a line whose last exposure records why it stopped has stopped, even with the last contact
    # within the gap rule of its last dose
    ongoing = ((idx["end_reason"] == "ongoing") & idx["discontinuation_reason"].isna()).to_numpy()
    out["discontinuation_date"] = idx["end_date"].where(~ongoing).to_numpy()
    out["discontinuation_reason"] = idx["discontinuation_reason"].where(~ongoing).to_numpy()
    cohort_ids = pd.Index(out["patient_id"])
    # each index patient's row in the patient table, looked up once (reindex semantics: a patient
    # not in it gets missing values)
    pt_rows = pt.index.get_indexer(cohort_ids)
    if (pt_rows < 0).any():
        pt_at = pt.reindex(cohort_ids)
    else:
        pt_at = pt.iloc[pt_rows]
    for col in ("death_date", "last_contact_date"):
        out[col] = pt_at[col].to_numpy()

    # progression and last adequate assessment within (index date, next line start]
    prog = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    last = prog.copy()
    if assessments is not None and len(assessments):
        at = cohort_ids.get_indexer(assessments["patient_id"])
        keep = at >= 0
        pos = at[keep]  # each kept assessment's row in `out`
        date = assessments["date"].to_numpy(dtype="datetime64[ns]")[keep]
        start = out["index_date"].to_numpy(dtype="datetime64[ns]")[pos]
        stop = out["next_treatment_date"].to_numpy(dtype="datetime64[ns]")[pos]
        response = pd.Series(assessments["response"].to_numpy(dtype=object)[keep], dtype=object)
        inside = (date > start) & (
            np.isnat(stop) | (date <= stop) | (not index_rule["stop_at_next_line"])
        )
        inside &= response.isin(ADEQUATE).to_numpy()
        when = date.view(np.int64)
        never = np.iinfo(np.int64).max
        # the first PD per patient; the last adequate assessment not after it
        first_pd = np.full(len(out), never, dtype=np.int64)
        is_pd = inside & (response == "PD").to_numpy()  # a missing response (None, NA): no
        np.minimum.at(first_pd, pos[is_pd], when[is_pd])
        upto = inside & (when <= first_pd[pos])
        last_at = np.full(len(out), never, dtype=np.int64)
        seen = np.zeros(len(out), dtype=bool)
        seen[pos[upto]] = True
        last_at[seen] = np.iinfo(np.int64).min
        np.maximum.at(last_at, pos[upto], when[upto])
        prog = pd.Series(_as_dates(first_pd, never), index=out.index)
        last = pd.Series(_as_dates(last_at, never), index=out.index)
    stopped_pd = out["discontinuation_date"].where(out["discontinuation_reason"] == "progression")
    how = index_rule["progression"]
    if how == "treatment_end":
        prog = pd.Series(stopped_pd.to_numpy(), index=out.index)
    elif how == "earliest":
        prog = pd.concat([prog, stopped_pd], axis=1).min(axis=1)
    out["progression_date"] = pd.to_datetime(prog.to_numpy())
    out["last_assessment_date"] = pd.to_datetime(last.to_numpy())
    out["best_response"] = pd.Series(pd.NA, index=out.index, dtype="string")

    # covariates from the lines before the index line
    line_at = cohort_ids.get_indexer(lines["patient_id"])
    before = _with_cohort(lines, cohort_ids, out[["index_line"]], line_at)
    before_pos = line_at[line_at >= 0]  # each row's patient: its row in `out`
    is_prior = (before["line"] < before["index_line"]).to_numpy()
    prior = before[is_prior]
    prior_pos = before_pos[is_prior]
    out["prior_lines"] = np.bincount(prior_pos, minlength=len(out)).astype(int)
    prior_classes = pd.factorize(prior["classes"])
    for cls in CLASSES:
        having = np.zeros(len(out), dtype=bool)
        having[prior_pos[_holds(prior["classes"], cls, prior_classes)]] = True
        out[f"prior_{_slug(cls)}"] = np.where(having, "yes", "no")
    out["index_therapy_class"] = therapy_group(out["index_line_class"]).to_numpy()
    is_next = (before["line"] == before["index_line"] + 1).to_numpy()
    nxt = np.full(len(out), np.nan, dtype=object)
    nxt[before_pos[is_next]] = before["line_class"].to_numpy(dtype=object)[is_next]
    out["next_therapy_class"] = therapy_group(pd.Series(nxt, dtype=object)).to_numpy()

    regimens = pd.factorize(before["regimen"])
    before_line = before["line"].to_numpy()

    def holding(mask: np.ndarray, drug: str, keep: str) -> tuple[pd.DataFrame, np.ndarray]:
        """Per patient, the ``keep`` (first or last) line holding ``drug`` among the rows of
        ``before`` under ``mask``; and those rows' patients' rows in ``out``."""
        rows = np.flatnonzero(mask)
        factor = (regimens[0][rows], regimens[1])
        rows = rows[_holds(before["regimen"], dictionary.resolve_name(drug), factor)]
        rows = rows[np.lexsort((before_line[rows], before_pos[rows]))]
        p = before_pos[rows]
        edge = p[1:] != p[:-1]
        pick = (np.r_[edge, True] if keep == "last" else np.r_[True, edge]) if len(rows) else []
        return before.iloc[rows[pick]], p[pick]

    def by_patient(values: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """``values`` of some index patients (rows ``pos`` of ``out``) as a column of ``out``,
        NaN for the others (as reindexing a Series by patient gives)."""
        column = np.full(len(out), np.nan, dtype=object)
        column[pos] = values
        return column

    tdm1, tdm1_pos = holding(is_prior, "T-DM1", "last")
    months = (tdm1["end_date"] - tdm1["start_date"]).dt.days / days_per_month
    benefit = months >= index_rule["benefit_months"]
    if assessments is not None and len(assessments):
        # each T-DM1 patient's assessments beside that line's dates (only who qualifies is kept)
        a = _with_cohort(
            assessments, pd.Index(tdm1["patient_id"]), tdm1[["start_date", "end_date"]]
        )
        good = a[
            (a["date"] > a["start_date"])
            & (a["date"] <= a["end_date"])
            & a["response"].isin(("CR", "PR", "SD"))
        ]
        benefit |= tdm1["patient_id"].isin(set(good["patient_id"])).to_numpy()
    out["prior_tdm1_benefit"] = by_patient(np.where(benefit, "yes", "no"), tdm1_pos)

    upto = (before["line"] <= before["index_line"]).to_numpy()
    tras, tras_pos = holding(upto, "trastuzumab", "first")
    t_months = (tras["end_date"] - tras["start_date"]).dt.days / days_per_month
    primary = (tras["rule"] == "adjuvant").to_numpy() | (
        (tras["setting"] == "metastatic").to_numpy()
        & (t_months <= index_rule["primary_resistance_months"]).to_numpy()
    )
    out["trastuzumab_resistance"] = by_patient(np.where(primary, "primary", "acquired"), tras_pos)

    for prefix, drug in index_rule["drug_history"].items():
        h, _ = holding(upto, drug, "last")
        h = h.set_index("patient_id").reindex(out["patient_id"])
        out[f"{prefix}_start_date"] = h["start_date"].to_numpy()
        out[f"{prefix}_end_date"] = h["end_date"].where(h["end_reason"] != "ongoing").to_numpy()
        out[f"{prefix}_discontinuation_reason"] = h["discontinuation_reason"].to_numpy()
        out[f"{prefix}_line"] = h["line"].astype("Int64").array

    covariates = [
        c
        for c in patients.columns
        if c not in ("patient_id", "metastatic_date", "death_date", "last_contact_date")
    ]
    for col in covariates:
        out[col] = pt_at[col].to_numpy()
    return out


def _as_dates(days: np.ndarray, missing: int) -> np.ndarray:
    """datetime64[ns] from nanoseconds since the epoch, NaT where ``missing``."""
    return np.where(days == missing, np.iinfo(np.int64).min, days).view("datetime64[ns]")


def _with_cohort(
    frame: pd.DataFrame, cohort_ids: pd.Index, columns: pd.DataFrame, at: np.ndarray | None = None
) -> pd.DataFrame:
    """``frame.merge(columns with patient_id, on="patient_id")`` (inner, in ``frame``'s order, a
    fresh index) for a cohort of distinct patients, through one lookup of each row's patient
    (``at``: that lookup, ``cohort_ids.get_indexer(frame["patient_id"])``, when done already)."""
    if at is None:
        at = cohort_ids.get_indexer(frame["patient_id"])
    keep = at >= 0
    out = frame[keep].reset_index(drop=True)
    for col in columns.columns:
        out[col] = columns[col].to_numpy()[at[keep]]
    return out


def build_analysis_dataset(
    cohort: pd.DataFrame, study: Mapping[str, Any], days_per_month: float
) -> pd.DataFrame:
    """The v1 analysis dataset from an index cohort: patient_id, arm, endpoints, covariates."""
    endpoints = list(study["endpoints"])
    definitions = endpoint_definitions(study)
    competing = list(study["competing_endpoints"])
    ties = [
        Problem(
            "records",
            None,
            ev_cols[0],
            f"competing-risks endpoint {ep!r}: for {len(rows)} patient(s) the event "
            f"({ev_cols[0]}) and the competing event ({cp_cols[0]}) fall on the same day; set "
            f"endpoint_definitions.{ep}.same_day to event or competing",
        )
        for ep, rows, ev_cols, cp_cols in same_day_ties(cohort, competing, definitions)
    ]
    if ties:
        raise InputError(ties)
    derived = derive_endpoints(cohort, endpoints, definitions, days_per_month, competing)
    covariates = [
        c for c in cohort.columns if c not in ("patient_id", "arm") and not c.endswith("_date")
    ]
    for col in covariates:
        if cohort[col].dtype == object:
            cohort[col] = cohort[col].astype("string")
    return pd.concat(
        [
            cohort[["patient_id", "arm"]].astype({"patient_id": str, "arm": str}),
            derived,
            cohort[covariates],
        ],
        axis=1,
    )
