"""Missing data per variable and arm (tables/missingness.csv): for every variable of the analysis
dataset, how many patients of each arm (and overall) have no value.

The variables are the dataset's columns (data minimisation keeps only the declared ones) but the
patient identifier, the arm and the bookkeeping columns (an endpoint's ``_event`` or ``_status``,
every ``_source``: which date or assessment decided a value); an endpoint, competing-risks ones
included, is counted by its time (``<endpoint>_months``). Each variable
says its role in the analysis (endpoint, covariate, subgroup, adjustment, baseline, response,
other), from the config. Missing means an empty cell (NaN/None); a variable that is missing by
design for some patients (the duration of stable disease of a patient without stable disease) is
counted as missing as well, and its role tells the reader why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from her2rwe.config import study_settings

OVERALL = "Overall"
COLUMNS = ["variable", "role", "arm", "n", "missing_n", "missing_pct"]
RESPONSE_COLUMNS = {"best_response", "sd_weeks"}


def _roles(study: Mapping[str, Any]) -> dict[str, list[str]]:
    roles: dict[str, list[str]] = {}

    def add(variable: str, role: str) -> None:
        roles.setdefault(variable, [])
        if role not in roles[variable]:
            roles[variable].append(role)

    for endpoint in [*study["endpoints"], *study["competing_endpoints"]]:
        add(f"{endpoint}_months", "endpoint")
    for variable in study["covariates"]:
        add(variable, "covariate")
    for subgroup in study["subgroups"]:
        add(subgroup["variable"], "subgroup")
    if study.get("adjustment"):
        for variable in study["adjustment"]["covariates"]:
            add(variable, "adjustment")
    for variable in study.get("baseline") or []:
        add(variable, "baseline")
    return roles


def analysed_variables(data: pd.DataFrame, study: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(variable, role) for every column counted, in dataset order."""
    study = study_settings(study)
    endpoints = {*study["endpoints"], *study["competing_endpoints"]}
    skip = {"patient_id", "arm"}
    skip |= {f"{e}_{part}" for e in endpoints for part in ("event", "status", "source")}
    skip |= {c for c in data.columns if str(c).endswith("_source")}  # which date decided a value
    roles = _roles(study)
    out = []
    for column in data.columns:
        if column in skip:
            continue
        role = roles.get(column)
        if role is None:
            role = ["response"] if column in RESPONSE_COLUMNS else ["other"]
        out.append((str(column), ", ".join(role)))
    return out


def summarize_missingness(
    data: pd.DataFrame, study: Mapping[str, Any], arms: Sequence[str]
) -> pd.DataFrame:
    """One row per variable and arm, then the Overall row: n patients, missing_n, missing_pct
    (% of n; unrounded)."""
    rows = []
    arm = data["arm"].astype(str)
    groups = [(a, arm == a) for a in arms]
    if len(arms) != 1:
        groups.append((OVERALL, pd.Series(True, index=data.index)))
    for variable, role in analysed_variables(data, study):
        missing = data[variable].isna()
        for name, mask in groups:
            n = int(mask.sum())
            m = int((missing & mask).sum())
            rows.append([variable, role, name, n, m, 100.0 * m / n if n else float("nan")])
    return pd.DataFrame(rows, columns=COLUMNS)
