"""Data minimisation: the input columns a study declares, and nothing else.

A cohort column is kept when input contract v1 declares it (``patient_id``, the arm column, the
contract's dates and codes, each endpoint's ``_months/_event/_source``, each competing-risks
endpoint's ``_months/_status/_source``) or the study's config names it (endpoint definitions, also
of the competing-risks endpoints, strata, covariates, categorical, reference levels, subgroups and
their comparison groups, baseline rows, the response column, ``count.``/``share.`` targets). Every other
column is dropped before any check looks at its values; the job log names the dropped columns, never
their values (DESIGN.md, "Privacy"; docs/privacy.md).

Standard library only: the config check imports this while Snakemake parses the workflow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from her2rwe.config import study_settings
from her2rwe.derive.endpoints import endpoint_definitions
from her2rwe.records.contract import DATE_COLUMNS

#: cohort columns of input contract v1 that every study keeps when present
COHORT_CONTRACT = (
    "patient_id",
    "regimen",
    *DATE_COLUMNS,
    "discontinuation_reason",
    "best_response",
    "sd_weeks",
    "measurable_disease",
)
#: adverse-event columns of input contract v1 (the file has no other use)
ADVERSE_EVENT_CONTRACT = ("patient_id", "term", "grade", "category")
#: reproduction metrics that read a column of the analysis dataset: <kind>.<column>.<values>
_DATASET_METRICS = ("count.", "share.")


def declared_columns(study: Mapping[str, Any]) -> set[str]:
    """Every cohort column the contract or the study's (validated) config declares."""
    study = study_settings(study)
    cols = set(COHORT_CONTRACT)
    cols.add(study["arms"]["column"])
    cols.add(study["response"]["column"])
    definitions = endpoint_definitions(study)
    for ep in study["endpoints"]:
        cols |= {f"{ep}_months", f"{ep}_event", f"{ep}_source"}
        if ep in definitions:
            cols |= definitions[ep].columns()
    for ep in study["competing_endpoints"]:
        cols |= {f"{ep}_months", f"{ep}_status", f"{ep}_source"}
        if ep in definitions:
            cols |= definitions[ep].columns()
    for field in ("strata", "covariates", "categorical"):
        cols |= set(study[field] or [])
    cols |= set(study["reference_levels"] or {})
    for item in study["baseline"] or []:
        cols.add(item if isinstance(item, str) else item["name"])
    for sg in study["subgroups"] or []:
        cols.add(sg["variable"])
        compare = sg.get("compare") or {}
        for spec in (compare.get("groups") or {}).values():
            cols |= set(spec or {})
    for target in study["targets"] or []:
        metric = str(target["metric"])
        if metric.startswith(_DATASET_METRICS) and metric.count(".") >= 2:
            cols.add(metric.split(".", 2)[1])
    return cols


def undeclared(header: Iterable[str], declared: Iterable[str]) -> list[str]:
    """The columns of ``header`` that are not declared, in file order."""
    keep = set(declared)
    return [c for c in header if c not in keep]
