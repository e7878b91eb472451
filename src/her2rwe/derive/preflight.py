"""The pre-run check of a study against its data, while Snakemake parses the workflow.

:func:`prepare` validates the config (schema, defaults) and checks every study block against its
input files' headers and arms, so a wrong arm, endpoint or column name fails before any job runs.
The full, row-level validation of the data happens at ingest. Standard library only (no pandas), so
a broken config costs well under a second to find out about.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from her2rwe.config import ConfigError, load_schema, study_settings, validate_config
from her2rwe.derive.endpoints import BUILTIN_ENDPOINTS
from her2rwe.records.rawtext import CsvStructureError, check_file, records


def endpoint_definition_names(study: Mapping[str, Any]) -> set[str]:
    return set(BUILTIN_ENDPOINTS) | set(study["endpoint_definitions"])


def _read_header_and_column(path: Path, column: str) -> tuple[list[str], list[str]]:
    """The header of a CSV and the values of one column, with the standard library only.

    Comments are skipped only above the header (as ingest does); a broken CSV structure stops the
    reading (ingest reports it with its line and column)."""
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    rows = records(text)
    try:
        first = next(rows, None)
        if first is None:
            return [], []
        header = [h.strip() for h in first[1]]
        if column not in header:
            return header, []
        idx = header.index(column)
        values = [row[idx].strip() for _, row in rows if len(row) == len(header)]
    except CsvStructureError:
        return header, []
    return header, values


def check_study_against_data(
    name: str, study: Mapping[str, Any], workdir: str | Path = "."
) -> None:
    """Check what the config says about a study against its cohort file's header and arms.

    Catches a wrong arm, endpoint or column name before any job runs. The full, row-level validation
    of the data happens at ingest.
    """
    if "records" in study:
        check_records_study(name, study, workdir)
        return
    problems: list[str] = []
    key = f"studies.{name}"
    cohort = Path(workdir) / study["cohort"]
    if not cohort.is_file():
        raise ConfigError([f"{key}.cohort: file not found: {study['cohort']}"])
    ae = study.get("adverse_events")
    if ae and not (Path(workdir) / ae).is_file():
        problems.append(f"{key}.adverse_events: file not found: {ae}")
    for i, item in enumerate(study_settings(study)["trial_context"]):
        for field in ("curve", "at_risk"):
            path = item.get(field)
            if path is not None and not (Path(workdir) / path).is_file():
                problems.append(f"{key}.trial_context[{i}].{field}: file not found: {path}")
    unreadable = check_file(cohort, study["cohort"])
    if ae and (Path(workdir) / ae).is_file():
        unreadable += check_file(Path(workdir) / ae, ae)
    if unreadable:
        field = {study["cohort"]: "cohort"}
        raise ConfigError([f"{key}.{field.get(p.file, 'adverse_events')}: {p}" for p in unreadable])
    arm_col = study["arms"]["column"]
    header, arm_values = _read_header_and_column(cohort, arm_col)
    if not header:
        raise ConfigError([f"{key}.cohort: {study['cohort']} is empty"])
    if arm_col not in header:
        problems.append(f"{key}.arms.column: column {arm_col!r} is not in {study['cohort']}")
    else:
        # the arms column may hold anything (a names column named by mistake): say how many arms
        # there are, never which (the identifier guard has not run yet)
        present = {v for v in arm_values if v != ""}
        there = f"{study['cohort']} has {len(present)} distinct value(s) in column {arm_col!r}"
        ref = study["arms"].get("reference")
        if ref is not None and ref not in present:
            problems.append(f"{key}.arms.reference: arm {ref!r} does not occur ({there})")
        for arm in study["arms"].get("order") or []:
            if arm not in present:
                problems.append(f"{key}.arms.order: arm {arm!r} does not occur ({there})")
    known = endpoint_definition_names(study)
    for ep in study["endpoints"]:
        has_duration = f"{ep}_months" in header and f"{ep}_event" in header
        if ep not in known and not has_duration:
            problems.append(
                f"{key}.endpoints: unknown endpoint {ep!r}: not built in ({', '.join(sorted(BUILTIN_ENDPOINTS))}), "
                f"not in endpoint_definitions, and {study['cohort']} has no {ep}_months/{ep}_event columns"
            )
    columns = set(header)
    for field in ("strata", "covariates", "categorical"):
        for col in study.get(field, []):
            if col not in columns:
                problems.append(f"{key}.{field}: column {col!r} is not in {study['cohort']}")
    adjustment = study.get("adjustment") or {}
    for col in adjustment.get("covariates") or []:
        if col not in columns:
            problems.append(
                f"{key}.adjustment.covariates: column {col!r} is not in {study['cohort']}"
            )
    if adjustment and arm_col in header and len({v for v in arm_values if v != ""}) < 2:
        problems.append(f"{key}.adjustment: an adjusted comparison needs two arms")
    for i, sg in enumerate(study["subgroups"]):
        if sg["variable"] not in columns:
            problems.append(
                f"{key}.subgroups[{i}].variable: column {sg['variable']!r} is not in {study['cohort']}"
            )
    for item in study["baseline"]:
        col = item if isinstance(item, str) else item["name"]
        if col not in columns:
            problems.append(f"{key}.baseline: column {col!r} is not in {study['cohort']}")
    if problems:
        raise ConfigError(problems)


RECORDS_DERIVED = (
    "regimen",
    "index_line",
    "index_line_class",
    "index_therapy_class",
    "next_therapy_class",
    "prior_lines",
    "prior_tdm1_benefit",
    "trastuzumab_resistance",
    "discontinuation_reason",
    "best_response",
    *(
        f"prior_{c}"
        for c in ("antibody", "adc", "tki", "chemotherapy", "endocrine", "cdk46_inhibitor", "other")
    ),
)
"""Columns a records study derives for every patient (derive/records_dataset.py)."""


def check_records_study(name: str, study: Mapping[str, Any], workdir: str | Path = ".") -> None:
    """A records study: its files exist and are CSV text, and every column the config names is in
    the patients file or derived from the records."""
    key = f"studies.{name}.records"
    problems: list[str] = []
    headers: dict[str, list[str]] = {}
    for kind, path in study["records"].items():
        if not path:
            continue
        full = Path(workdir) / path
        if not full.is_file():
            problems.append(f"{key}.{kind}: file not found: {path}")
            continue
        bad = check_file(full, path)
        if bad:
            problems += [f"{key}.{kind}: {p}" for p in bad]
            continue
        headers[kind], _ = _read_header_and_column(full, "patient_id")
    if problems:
        raise ConfigError(problems)
    derived = set(RECORDS_DERIVED)
    for prefix in study["index"]["drug_history"]:
        derived |= {
            f"{prefix}_{s}" for s in ("start_date", "end_date", "discontinuation_reason", "line")
        }
    columns = set(headers["patients"]) | derived
    where = f"{study['records']['patients']} or the derived columns"
    for field in ("strata", "covariates", "categorical"):
        for col in study.get(field, []):
            if col not in columns:
                problems.append(f"studies.{name}.{field}: column {col!r} is not in {where}")
    for i, sg in enumerate(study["subgroups"]):
        if sg["variable"] not in columns and sg["variable"] != "arm":
            problems.append(
                f"studies.{name}.subgroups[{i}].variable: column {sg['variable']!r} is not in {where}"
            )
    known = endpoint_definition_names(study)
    for ep in study["endpoints"]:
        if ep not in known:
            problems.append(
                f"studies.{name}.endpoints: unknown endpoint {ep!r}: not built in "
                f"({', '.join(sorted(BUILTIN_ENDPOINTS))}) and not in endpoint_definitions"
            )
    ref = study["arms"].get("reference")
    arms = study["index"].get("arms") or {study["index"]["arm_label"]: {}}
    if ref is not None and ref not in arms:
        problems.append(
            f"studies.{name}.arms.reference: {ref!r} is not an arm of index.arms ({', '.join(arms)})"
        )
    if problems:
        raise ConfigError(problems)


def prepare(
    config: Mapping[str, Any], workdir: str | Path = ".", schema_path: str | Path | None = None
) -> dict:
    """Validate the config, fill defaults and check every study against its cohort header."""
    cfg = validate_config(config, load_schema(schema_path))
    problems: list[str] = []
    for name, study in cfg["studies"].items():
        try:
            check_study_against_data(name, study, workdir)
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    return cfg
