"""The pre-run check of a study against its data, while Snakemake parses the workflow.

:func:`prepare` validates the config (schema, defaults) and checks every study block against its
input files' headers and arms, so a wrong arm, endpoint or column name fails before any job runs.
The full, row-level validation of the data happens at ingest. Standard library only (no pandas), so
a broken config costs well under a second to find out about.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from her2rwe.config import ConfigError, load_schema, study_settings, validate_config
from her2rwe.derive.endpoints import BUILTIN_ENDPOINTS, endpoint_definitions
from her2rwe.formatting import level_text
from her2rwe.records.rawtext import check_file, check_file_header, file_column_levels

# ------------------------------------------------------------------------------------------------
# config files: read again, strictly

MAX_YAML_NODES = 200_000
"""A config file whose YAML, with every alias expanded, has more nodes than this is refused (an
alias bomb expands a few lines into billions of nodes)."""


def _yaml():
    import yaml

    # libyaml's parser where PyYAML was built with it (several times faster than the pure-Python
    # one); the checks below run on the composed nodes either way
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class StrictLoader(base):
        """Safe YAML that refuses duplicate keys and bounds alias expansion."""

        name = "<config>"

        def get_single_node(self):
            node = super().get_single_node()
            if node is not None:
                _expanded_size(node, {}, self.name)
            return node

        def construct_mapping(self, node, deep=False):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                line = key_node.start_mark.line + 1
                try:
                    first = seen.setdefault(key, line)
                except TypeError:
                    continue  # an unhashable key: PyYAML reports it
                if first != line:
                    raise ConfigError(
                        [
                            f"{self.name}:{line}: duplicate key {key!r} (first at line {first}): "
                            "YAML would silently keep the last value; write each key once"
                        ]
                    )
            return super().construct_mapping(node, deep)

    return yaml, StrictLoader


def _expanded_size(node, memo: dict[int, int], name: str) -> int:
    """Nodes of a composed YAML document with every alias expanded (memoised: linear time)."""
    size = memo.get(id(node))
    if size is not None:
        return size
    value = node.value
    if isinstance(value, list):
        size = 1
        for item in value:
            pair = item if isinstance(item, tuple) else (item,)
            size += sum(_expanded_size(n, memo, name) for n in pair)
    else:
        size = 1
    if size > MAX_YAML_NODES:
        raise ConfigError(
            [
                f"{name}: the YAML expands to more than {MAX_YAML_NODES:,} values (aliases "
                "repeated within aliases?): refused"
            ]
        )
    memo[id(node)] = size
    return size


def check_config_file(path: str | Path) -> dict:
    """Read a config file strictly: plain YAML or JSON, no duplicate keys, bounded alias expansion,
    no YTE templating (``__use_yte__``: Snakemake would run code from it). Returns its content.

    A config file is as trusted as code (docs/privacy.md): Snakemake reads it before this check.
    """
    yaml, loader = _yaml()
    name = str(path)
    text = Path(path).read_text(encoding="utf-8")
    reader = loader(text)
    reader.name = name
    try:
        data = reader.get_single_data()
    except RecursionError:
        raise ConfigError([f"{name}: the YAML is nested too deeply"]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([f"{name}: not valid YAML: {exc}"]) from None
    finally:
        reader.dispose()
    if isinstance(data, dict) and "__use_yte__" in data:
        raise ConfigError(
            [
                f"{name}: __use_yte__: YTE templating runs code from the config file while "
                "Snakemake reads it; her2rwe configs are plain YAML (remove the key and the "
                "templates)"
            ]
        )
    return data


def check_config_files(paths) -> None:
    """:func:`check_config_file` on every config file Snakemake loaded; one ConfigError for all."""
    problems: list[str] = []
    for path in paths:
        try:
            check_config_file(path)
        except ConfigError as exc:
            problems += exc.problems
    if problems:
        raise ConfigError(problems)


# ------------------------------------------------------------------------------------------------
# names that become parts of file paths

SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]*")
"""A name from config or data that becomes part of a file name: no separators, no '..'."""


def path_name_problems(name: str, study: Mapping[str, Any]) -> list[str]:
    """Config names that would become parts of output paths and are not safe file-name parts."""
    problems = []
    for i, sg in enumerate(study["subgroups"]):
        variable = str(sg["variable"])
        if sg["km"] and (not SAFE_NAME.fullmatch(variable) or ".." in variable):
            problems.append(
                f"studies.{name}.subgroups[{i}].variable: {variable!r} becomes part of a file "
                "name (figures/km_<endpoint>_<variable>.pdf): use only letters, digits and "
                "_ . + - (no '..'), or set km: false for this subgroup"
            )
    return problems


def unsafe_output_paths(paths) -> list[str]:
    """Output paths that are absolute, leave results/ or hold '..' (none should)."""
    bad = []
    for path in paths:
        text = str(path)
        parts = Path(text).parts
        if Path(text).is_absolute() or ".." in parts or not parts or parts[0] != "results":
            bad.append(text)
    return bad


def endpoint_definition_names(study: Mapping[str, Any]) -> set[str]:
    return set(BUILTIN_ENDPOINTS) | set(study["endpoint_definitions"])


HEAD_BYTES = 1 << 20
"""How much of an input file the parse-time check reads for its file-level problems (encoding,
binary, delimiter) and header: every run of Snakemake pays it, and a 100,000-patient treatment file
is about 90 MB. The jobs that read the file check all of it."""


def _read_header_and_levels(
    path: Path, columns: Sequence[str]
) -> tuple[list[str], dict[str, set[str]]]:
    """The header of a CSV and the distinct values of the listed columns it has, in one pass
    (comments are skipped only above the header, as ingest does; a broken CSV structure gives no
    values: ingest reports it with its line and column). See rawtext.file_column_levels."""
    return file_column_levels(path, columns)


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
    tumour = study.get("assessments")
    if tumour and not (Path(workdir) / tumour).is_file():
        problems.append(f"{key}.assessments: file not found: {tumour}")
    # each file's first lines: the job that reads it (endpoints.smk) checks the whole file
    unreadable = check_file(cohort, study["cohort"], HEAD_BYTES)
    if ae and (Path(workdir) / ae).is_file():
        unreadable += check_file(Path(workdir) / ae, ae, HEAD_BYTES)
    if tumour and (Path(workdir) / tumour).is_file():
        unreadable += check_file(Path(workdir) / tumour, tumour, HEAD_BYTES)
    if unreadable:
        field = {study["cohort"]: "cohort", tumour: "assessments"}
        raise ConfigError([f"{key}.{field.get(p.file, 'adverse_events')}: {p}" for p in unreadable])
    arm_col = study["arms"]["column"]
    header, levels = _read_header_and_levels(cohort, [arm_col])
    if not header:
        raise ConfigError([f"{key}.cohort: {study['cohort']} is empty"])
    if arm_col not in header:
        problems.append(f"{key}.arms.column: column {arm_col!r} is not in {study['cohort']}")
    else:
        # the arms column may hold anything (a names column named by mistake): say how many arms
        # there are, never which (the identifier guard has not run yet)
        present = levels.get(arm_col, set()) - {""}
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
    problems += _competing_problems(key, study, header)
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
    if adjustment and arm_col in header and len(levels.get(arm_col, set()) - {""}) < 2:
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
    problems += display_problems(name, study)
    wanted = [c for c in study["display"] if c in columns and c in display_columns(study)]
    wanted = [c for c in wanted if not identifier_columns(study, [c])]
    if wanted:
        _, values = _read_header_and_levels(cohort, wanted)
        present = {c: {data_level(v) for v in vals if v != ""} for c, vals in values.items()}
        problems += display_value_problems(name, study, present, study["cohort"])
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
        # the file's first lines: the jobs that read it (records.smk) check the whole file
        bad, header = check_file_header(full, path, head_bytes=HEAD_BYTES)
        if bad:
            problems += [f"{key}.{kind}: {p}" for p in bad]
            continue
        headers[kind] = header
    if problems:
        raise ConfigError(problems)
    derived = set(RECORDS_DERIVED)
    for prefix in study["index"]["drug_history"]:
        derived |= {
            f"{prefix}_{s}" for s in ("start_date", "end_date", "discontinuation_reason", "line")
        }
    derived |= {f"{name}_date" for name in study["index"]["adverse_event_dates"]}
    if study["index"]["adverse_event_dates"] and "onset_date" not in headers.get(
        "adverse_events", []
    ):
        problems.append(
            f"studies.{name}.index.adverse_event_dates: needs records.adverse_events with an "
            "onset_date column"
        )
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
    problems += display_problems(name, study, columns)
    arm_key = study["arms"]["column"]
    for raw in study["display"][arm_key] if arm_key in study["display"] else []:
        if level_text(raw) not in arms:
            problems.append(
                f"studies.{name}.display.{arm_key}: {level_text(raw)!r} is not an arm of "
                f"index.arms ({', '.join(arms)})"
            )
    present = {}
    patients = [c for c in study["display"] if c in headers["patients"] and c != arm_key]
    patients = [c for c in patients if c in display_columns(study)]
    patients = [c for c in patients if not identifier_columns(study, [c])]
    if patients:
        _, values = _read_header_and_levels(Path(workdir) / study["records"]["patients"], patients)
        present |= {c: {data_level(v) for v in vals if v != ""} for c, vals in values.items()}
    # columns derived from the records are checked when the analysis dataset is built
    problems += display_value_problems(name, study, present, study["records"]["patients"])
    if problems:
        raise ConfigError(problems)


# ------------------------------------------------------------------------------------------------
# display names and order (studies.<name>.display)


def display_columns(study: Mapping[str, Any]) -> set[str]:
    """The columns `display` may name: the arm column and the study's covariates, categorical and
    adjustment covariates, subgroup variables and Table 1 variables."""
    study = study_settings(study)
    cols = {study["arms"]["column"], *study["covariates"], *study["categorical"]}
    adjustment = study.get("adjustment")  # null by default: absent
    cols |= set(adjustment["covariates"] if adjustment else [])
    cols |= {sg["variable"] for sg in study["subgroups"]}
    cols |= {item if isinstance(item, str) else item["name"] for item in study["baseline"]}
    return cols


def identifier_columns(study: Mapping[str, Any], columns: Sequence[str]) -> list[str]:
    """The listed columns that look like identifiers (their values are never read or printed)."""
    from her2rwe.records.identifiers import identifier_name_reason  # numpy: only when needed

    return [c for c in columns if c == "patient_id" or identifier_name_reason(c) is not None]


def _control(text: str) -> bool:
    return any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in text)


def display_problems(
    name: str, study: Mapping[str, Any], columns: set[str] | None = None
) -> list[str]:
    """The `display` setting on its own: each column one the study declares (never an
    identifier-like one), and labels non-empty, unique within a column, without control
    characters. ``columns``: the columns the data have, when known."""
    problems = []
    allowed = display_columns(study)
    for column, mapping in study["display"].items():
        key = f"studies.{name}.display.{column}"
        if column in identifier_columns(study, [column]):
            problems.append(
                f"{key}: {column!r} looks like an identifier column; display names are for arms "
                "and the levels of covariates, subgroups and Table 1 variables"
            )
            continue
        if column not in allowed:
            problems.append(
                f"{key}: {column!r} is not the arm column ({study['arms']['column']}), a "
                "covariate, a subgroup variable or a Table 1 variable of the study"
            )
        elif columns is not None and column not in columns and column != study["arms"]["column"]:
            problems.append(f"{key}: column {column!r} is not in the data")
        seen: dict[str, str] = {}
        for raw, label in mapping.items():
            where = f"{key}[{level_text(raw)!r}]"
            if not str(label).strip():
                problems.append(f"{where}: the label is empty")
            elif _control(str(label)):
                problems.append(f"{where}: the label holds a control character (a line break?)")
            elif str(label) in seen:
                problems.append(
                    f"{where}: label {label!r} is also the label of {seen[str(label)]!r}; "
                    "labels must differ within a column"
                )
            seen.setdefault(str(label), level_text(raw))
    return problems


def data_level(text: str) -> str:
    """A CSV cell as the level it becomes in the analysis dataset (`formatting.level_text`): a
    whole number reads 1 whether written 1, 1.0 or 01."""
    try:
        number = float(text)
    except ValueError:
        return text
    return level_text(number) if number.is_integer() else text


def display_value_problems(
    name: str, study: Mapping[str, Any], present: Mapping[str, set[str]], source: str
) -> list[str]:
    """Listed raw values that do not occur in their column (``present``: column -> the levels of
    the data, as `formatting.level_text` prints them). The value named is the config's."""
    problems = []
    for column, levels in present.items():
        for raw in study["display"][column]:
            if level_text(raw) in levels:
                continue
            hint = (
                " (unquoted yes/no/true/false are YAML booleans: quote the value)"
                if isinstance(raw, bool)
                else ""
            )
            problems.append(
                f"studies.{name}.display.{column}: value {level_text(raw)!r} does not occur in "
                f"column {column!r} of {source}{hint}"
            )
    return problems


def _competing_problems(key: str, study: Mapping[str, Any], header: list[str]) -> list[str]:
    """Competing-risks endpoints: each from a definition with competing sources whose columns the
    cohort has, or from {ep}_months with {ep}_status; none listed among the Kaplan-Meier endpoints."""
    problems = []
    definitions = endpoint_definitions(study)
    columns = set(header)
    for ep in study["endpoints"]:
        if ep in definitions and definitions[ep].is_competing:
            problems.append(
                f"{key}.endpoints: {ep!r} has competing sources; list it under competing_endpoints"
            )
    for ep in study["competing_endpoints"]:
        if f"{ep}_months" in columns and f"{ep}_status" in columns:
            continue
        d = definitions.get(ep)
        if d is None or not d.is_competing:
            problems.append(
                f"{key}.competing_endpoints: {ep!r} has no definition with competing sources and "
                f"{study['cohort']} has no {ep}_months/{ep}_status columns"
            )
            continue
        kinds = {"origin": [d.origin]}
        for kind in ("events", "competing", "censor", "censor_before"):
            kinds[kind] = sorted(set().union(*(src.columns() for src in getattr(d, kind))))
        for kind, cols in kinds.items():
            for col in cols:
                if col not in columns:
                    problems.append(
                        f"{key}.endpoint_definitions.{ep}.{kind}: column {col!r} is not in "
                        f"{study['cohort']}"
                    )
    return problems


def prepare(
    config: Mapping[str, Any], workdir: str | Path = ".", schema_path: str | Path | None = None
) -> dict:
    """Validate the config, fill defaults and check every study against its cohort header."""
    cfg = validate_config(config, load_schema(schema_path))
    problems: list[str] = []
    for name, study in cfg["studies"].items():
        problems += path_name_problems(name, study)
        try:
            check_study_against_data(name, study, workdir)
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    return cfg
