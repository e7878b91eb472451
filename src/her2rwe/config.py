"""Configuration: schema validation with defaults, and checks of a study block against its data.

This module is imported when Snakemake parses the workflow, before any job runs, so it uses only the
standard library, PyYAML and jsonschema (no pandas): a broken config costs the user well under a
second to find out about.
"""

from __future__ import annotations

import copy
import csv
import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from her2rwe.endpoints import BUILTIN_ENDPOINTS
from her2rwe.rawtext import check_file

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"


class ConfigError(ValueError):
    """The configuration is invalid; the message lists every problem, each naming its key."""

    def __init__(self, problems: Iterable[str]):
        self.problems = list(problems)
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in self.problems))


def load_schema(path: str | Path | None = None) -> dict:
    with open(path or SCHEMA_PATH, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _defaulting_validator(schema: dict):
    """A Draft 2020-12 validator that fills in `default` values as it validates.

    A default of null is not inserted: absent optional keys stay absent and readers use `.get`.
    """
    base = jsonschema.Draft202012Validator
    validate_properties = base.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema_):
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if isinstance(sub, dict) and "default" in sub and name not in instance:
                    if sub["default"] is not None:
                        instance[name] = copy.deepcopy(sub["default"])
        yield from validate_properties(validator, properties, instance, schema_)

    cls = jsonschema.validators.extend(base, {"properties": set_defaults})
    return cls(schema)


def _path(error: jsonschema.ValidationError) -> str:
    parts = [str(p) for p in error.absolute_path]
    return ".".join(parts) if parts else "(top level)"


def _describe(error: jsonschema.ValidationError) -> str:
    """Turn a jsonschema error into a sentence that names the key and what was expected."""
    where = _path(error)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = (
            sorted(set(error.instance) - set(allowed)) if isinstance(error.instance, dict) else []
        )
        msgs = []
        for key in extra:
            hint = difflib.get_close_matches(key, allowed, n=1)
            did = f"; did you mean '{hint[0]}'?" if hint else ""
            msgs.append(
                f"{where + '.' if where != '(top level)' else ''}{key}: unknown key{did} "
                f"(allowed: {', '.join(allowed)})"
            )
        if msgs:
            return "\n  - ".join(msgs)
    if error.validator == "required":
        return f"{where}: {error.message}"
    if error.validator == "enum":
        options = ", ".join(str(o) for o in error.validator_value if o is not None)
        return f"{where}: {error.instance!r} is not one of: {options}"
    if error.validator == "type":
        return f"{where}: expected {error.validator_value}, got {error.instance!r}"
    if error.validator == "propertyNames":
        return f"{where}: name {error.instance!r} is not allowed ({error.message})"
    return f"{where}: {error.message}"


def validate_config(config: Mapping[str, Any], schema: dict | None = None) -> dict:
    """Validate a config mapping against the schema and return a copy with defaults filled in.

    Raises ConfigError listing every problem, each naming its key.
    """
    cfg = copy.deepcopy(dict(config))
    validator = _defaulting_validator(schema or load_schema())
    errors = sorted(
        validator.iter_errors(cfg), key=lambda e: (list(map(str, e.absolute_path)), e.message)
    )
    # a oneOf/anyOf failure reports its sub-errors; keep the most specific ones
    problems: list[str] = []
    for err in errors:
        leaf = jsonschema.exceptions.best_match([err]) if err.context else err
        msg = _describe(leaf)
        if msg not in problems:
            problems.append(msg)
    if problems:
        raise ConfigError(problems)
    _check_semantics(cfg)
    return cfg


def endpoint_definition_names(study: Mapping[str, Any]) -> set[str]:
    return set(BUILTIN_ENDPOINTS) | set(study.get("endpoint_definitions", {}))


def _check_semantics(cfg: Mapping[str, Any]) -> None:
    problems: list[str] = []
    for name, study in cfg["studies"].items():
        arms = study.get("arms", {})
        order = arms.get("order")
        ref = arms.get("reference")
        if order and ref and ref not in order:
            problems.append(
                f"studies.{name}.arms.reference: {ref!r} is not in arms.order ({', '.join(order)})"
            )
        if order and len(set(order)) != len(order):
            problems.append(f"studies.{name}.arms.order: arms are listed more than once")
    if problems:
        raise ConfigError(problems)


# --------------------------------------------------------------------------------------------
# checks against the data, still before any job runs


def _read_header_and_column(path: Path, column: str) -> tuple[list[str], list[str]]:
    """The header of a CSV and the values of one column, with the standard library only."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        lines = (line for line in fh if not line.startswith("#"))
        reader = csv.reader(lines)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            return [], []
        if column not in header:
            return header, []
        idx = header.index(column)
        values = [row[idx].strip() for row in reader if len(row) > idx]
    return header, values


def check_study_against_data(
    name: str, study: Mapping[str, Any], workdir: str | Path = "."
) -> None:
    """Check what the config says about a study against its cohort file's header and arms.

    Catches a wrong arm, endpoint or column name before any job runs. The full, row-level validation
    of the data happens at ingest.
    """
    problems: list[str] = []
    key = f"studies.{name}"
    cohort = Path(workdir) / study["cohort"]
    if not cohort.is_file():
        raise ConfigError([f"{key}.cohort: file not found: {study['cohort']}"])
    ae = study.get("adverse_events")
    if ae and not (Path(workdir) / ae).is_file():
        problems.append(f"{key}.adverse_events: file not found: {ae}")
    unreadable = check_file(cohort, study["cohort"])
    if ae and (Path(workdir) / ae).is_file():
        unreadable += check_file(Path(workdir) / ae, ae)
    if unreadable:
        field = {study["cohort"]: "cohort"}
        raise ConfigError([f"{key}.{field.get(p.file, 'adverse_events')}: {p}" for p in unreadable])
    arm_col = study.get("arms", {}).get("column", "arm")
    header, arm_values = _read_header_and_column(cohort, arm_col)
    if not header:
        raise ConfigError([f"{key}.cohort: {study['cohort']} is empty"])
    if arm_col not in header:
        problems.append(f"{key}.arms.column: column {arm_col!r} is not in {study['cohort']}")
    else:
        present = sorted({v for v in arm_values if v != ""})
        ref = study.get("arms", {}).get("reference")
        if ref is not None and ref not in present:
            problems.append(
                f"{key}.arms.reference: arm {ref!r} does not occur in {study['cohort']} "
                f"(arms there: {', '.join(present) or 'none'})"
            )
        for arm in study.get("arms", {}).get("order") or []:
            if arm not in present:
                problems.append(
                    f"{key}.arms.order: arm {arm!r} does not occur in {study['cohort']} "
                    f"(arms there: {', '.join(present) or 'none'})"
                )
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
    for i, sg in enumerate(study.get("subgroups", [])):
        if sg["variable"] not in columns:
            problems.append(
                f"{key}.subgroups[{i}].variable: column {sg['variable']!r} is not in {study['cohort']}"
            )
    for item in study.get("baseline", []):
        col = item if isinstance(item, str) else item["name"]
        if col not in columns:
            problems.append(f"{key}.baseline: column {col!r} is not in {study['cohort']}")
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
