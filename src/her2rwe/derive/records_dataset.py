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


def _holds(joined: pd.Series, item: str) -> np.ndarray:
    """Rows whose '+'-joined list holds ``item`` (each distinct list is split once)."""
    hits = [u for u in joined.dropna().unique() if item in u.split("+")]
    return joined.isin(hits).to_numpy()


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
        win = _with_cohort(
            assessments, cohort_ids, out[["index_date", "next_treatment_date"]]
        )
        inside = (win["date"] > win["index_date"]) & (
            win["next_treatment_date"].isna()
            | (win["date"] <= win["next_treatment_date"])
            | (not index_rule["stop_at_next_line"])
        )
        win = win[inside & win["response"].isin(ADEQUATE)]
        first_pd = win[win["response"] == "PD"].groupby("patient_id")["date"].min()
        prog = pd.Series(first_pd.reindex(out["patient_id"]).to_numpy(), index=out.index)
        before_pd = win.merge(first_pd.rename("pd"), on="patient_id", how="left")
        before_pd = before_pd[before_pd["pd"].isna() | (before_pd["date"] <= before_pd["pd"])]
        last = pd.Series(
            before_pd.groupby("patient_id")["date"].max().reindex(out["patient_id"]).to_numpy(),
            index=out.index,
        )
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
    before = _with_cohort(lines, cohort_ids, out[["index_line"]])
    prior = before[before["line"] < before["index_line"]]
    out["prior_lines"] = (
        prior.groupby("patient_id")
        .size()
        .reindex(out["patient_id"])
        .fillna(0)
        .astype(int)
        .to_numpy()
    )
    for cls in CLASSES:
        having = set(prior.loc[_holds(prior["classes"], cls), "patient_id"])
        out[f"prior_{_slug(cls)}"] = np.where(out["patient_id"].isin(having), "yes", "no")
    out["index_therapy_class"] = therapy_group(out["index_line_class"]).to_numpy()
    nxt = before[before["line"] == before["index_line"] + 1].set_index("patient_id")["line_class"]
    out["next_therapy_class"] = therapy_group(nxt.reindex(out["patient_id"])).to_numpy()

    def holding(frame: pd.DataFrame, drug: str) -> pd.DataFrame:
        return frame[_holds(frame["regimen"], dictionary.resolve_name(drug))]

    tdm1 = (
        holding(prior, "T-DM1")
        .sort_values(["patient_id", "line"])
        .drop_duplicates("patient_id", keep="last")
    )
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
    ben = pd.Series(np.where(benefit, "yes", "no"), index=tdm1["patient_id"].to_numpy())
    out["prior_tdm1_benefit"] = ben.reindex(out["patient_id"]).to_numpy()

    tras = holding(before[before["line"] <= before["index_line"]], "trastuzumab")
    tras = tras.sort_values(["patient_id", "line"]).drop_duplicates("patient_id")
    t_months = (tras["end_date"] - tras["start_date"]).dt.days / days_per_month
    primary = (tras["rule"] == "adjuvant").to_numpy() | (
        (tras["setting"] == "metastatic").to_numpy()
        & (t_months <= index_rule["primary_resistance_months"]).to_numpy()
    )
    res = pd.Series(np.where(primary, "primary", "acquired"), index=tras["patient_id"].to_numpy())
    out["trastuzumab_resistance"] = res.reindex(out["patient_id"]).to_numpy()

    upto = before[before["line"] <= before["index_line"]]
    for prefix, drug in index_rule["drug_history"].items():
        h = (
            holding(upto, drug)
            .sort_values(["patient_id", "line"])
            .drop_duplicates("patient_id", keep="last")
        )
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


def _with_cohort(frame: pd.DataFrame, cohort_ids: pd.Index, columns: pd.DataFrame) -> pd.DataFrame:
    """``frame.merge(columns with patient_id, on="patient_id")`` (inner, in ``frame``'s order, a
    fresh index) for a cohort of distinct patients, through one lookup of each row's patient."""
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
