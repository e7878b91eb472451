"""Configuration: schema validation with defaults (the checks against the data: derive/preflight.py).

This module is imported when Snakemake parses the workflow, before any job runs, so it uses only the
standard library, PyYAML and jsonschema (no pandas): a broken config costs the user well under a
second to find out about.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:  # pragma: no cover
    import jsonschema

# jsonschema is imported where a config is validated or filled (Snakemake's parse, library calls),
# not at import: a job reads study blocks that the parse filled already (StudySettings)

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"


class ConfigError(ValueError):
    """The configuration is invalid; the message lists every problem, each naming its key."""

    def __init__(self, problems: Iterable[str]):
        self.problems = list(problems)
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in self.problems))


# libyaml's parser where PyYAML was built with it (the same documents, parsed several times faster)
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SCHEMAS: dict[tuple[str, int, int], dict] = {}


def load_schema(path: str | Path | None = None) -> dict:
    """The config schema (a fresh copy). Parsed once per file version: Snakemake parses the
    workflow once per run, and the study blocks are filled from the same schema many times."""
    path = Path(path or SCHEMA_PATH).resolve()
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _SCHEMAS:
        with open(path, encoding="utf-8") as fh:
            _SCHEMAS[key] = yaml.load(fh, Loader=_SAFE_LOADER)  # noqa: S506 (a safe loader)
    return copy.deepcopy(_SCHEMAS[key])


def _defaulting_validator(schema: dict):
    """A Draft 2020-12 validator that fills in `default` values as it validates.

    A default of null is not inserted: absent optional keys stay absent and readers use `.get`.
    """
    import jsonschema

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
    import jsonschema

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
    # every study block is complete now: study_settings() returns it as it is
    cfg["studies"] = {name: StudySettings(block) for name, block in cfg["studies"].items()}
    return cfg


def _check_semantics(cfg: Mapping[str, Any]) -> None:
    problems: list[str] = []
    for name, study in cfg["studies"].items():
        if ("cohort" in study) == ("records" in study):
            problems.append(
                f"studies.{name}: give either `cohort` (one row per patient) or `records` "
                "(longitudinal records, input contract v2)"
                + (", not both" if "cohort" in study else "")
            )
        arms = study["arms"]
        order = arms.get("order")
        ref = arms.get("reference")
        if order and ref and ref not in order:
            problems.append(
                f"studies.{name}.arms.reference: {ref!r} is not in arms.order ({', '.join(order)})"
            )
        if order and len(set(order)) != len(order):
            problems.append(f"studies.{name}.arms.order: arms are listed more than once")
        problems += _trial_context_problems(name, study)
    if problems:
        raise ConfigError(problems)


def _trial_context_problems(name: str, study: Mapping[str, Any]) -> list[str]:
    """Trial arms: unique names, an endpoint of the study, and an at-risk table or a patient count."""
    problems = []
    seen: set[str] = set()
    for i, item in enumerate(study["trial_context"]):
        key = f"studies.{name}.trial_context[{i}]"
        if item["name"] in seen:
            problems.append(f"{key}.name: {item['name']!r} is used by another trial arm")
        seen.add(item["name"])
        if item["endpoint"] not in study["endpoints"]:
            problems.append(
                f"{key}.endpoint: {item['endpoint']!r} is not one of the study's endpoints "
                f"({', '.join(study['endpoints'])})"
            )
        if item.get("at_risk") is None and item.get("n") is None:
            problems.append(
                f"{key}: give the published at-risk table (at_risk) or, without one, "
                "the number of patients (n)"
            )
    return problems


class StudySettings(dict):
    """A study block with every schema default filled in (see :func:`study_settings`)."""


_FILLERS: dict[str, Any] = {}


def with_defaults(block: Mapping[str, Any], definition: str) -> dict:
    """A copy of `block` with the defaults of the schema's ``$defs/<definition>`` filled in (no
    validation: required keys may be missing)."""
    if definition not in _FILLERS:
        schema = load_schema()
        _FILLERS[definition] = _defaulting_validator(
            {"$defs": schema["$defs"], "$ref": f"#/$defs/{definition}"}
        )
    filled = copy.deepcopy(dict(block))
    for _ in _FILLERS[definition].iter_errors(filled):
        pass  # filling happens as the validator walks the block; problems are validate_config's
    return filled


def study_settings(study: Mapping[str, Any]) -> StudySettings:
    """The study block with the schema's defaults filled in, the one way code reads settings.

    The schema (workflow/schemas/config.schema.yaml) is the only place a default lives: code reads
    ``settings["ci_method"]`` and never supplies a fallback value of its own. A block that came
    through :func:`validate_config` is complete already; a partial block (a library call, a test) is
    completed here. Filling does not validate, and a block filled already comes back as it is.
    """
    if isinstance(study, StudySettings):
        return study
    return StudySettings(with_defaults(study, "study"))


def has_assessments(study: Mapping[str, Any]) -> bool:
    """True when the study derives tumour response from serial assessments: a v1 ``assessments``
    file or an ``assessments`` file among its ``records``."""
    records = study.get("records") or {}
    return bool(study.get("assessments") or records.get("assessments"))


def has_adverse_events(study: Mapping[str, Any]) -> bool:
    """True when the study has an adverse-event file: the v1 ``adverse_events`` key or an
    ``adverse_events`` file among its ``records``."""
    records = study.get("records") or {}
    return bool(study.get("adverse_events") or records.get("adverse_events"))
