"""One source of defaults: the config schema. Code reads the filled config and never writes a default
of its own as `<mapping>.get("<config key>", <literal>)`."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from her2rwe.config import StudySettings, study_settings

REPO = Path(__file__).resolve().parents[1]
SCHEMA = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())


def config_keys(node, keys=None) -> set[str]:
    """Every property name anywhere in the schema."""
    keys = set() if keys is None else keys
    if isinstance(node, dict):
        for name, sub in (node.get("properties") or {}).items():
            keys.add(name)
            config_keys(sub, keys)
        for value in node.values():
            config_keys(value, keys)
    elif isinstance(node, list):
        for value in node:
            config_keys(value, keys)
    return keys


KEYS = config_keys(SCHEMA)
GET_WITH_DEFAULT = re.compile(r"(\w+(?:\.iloc\[0\])?)\.get\(\s*[\"'](\w+)[\"']\s*,\s*(?!None\s*\))")
# receivers that are not config: a results row, a table's attributes, display names of input files
NOT_CONFIG = {"row", "rec", "attrs", "display", "iloc[0]"}


def offenders(text: str, name: str) -> list[str]:
    found = []
    for i, line in enumerate(text.splitlines(), 1):
        for m in GET_WITH_DEFAULT.finditer(line):
            receiver = m.group(1).split(".")[-1]
            if m.group(2) in KEYS and receiver not in NOT_CONFIG:
                found.append(f"{name}:{i}: {line.strip()}")
    return found


def test_no_config_default_outside_the_schema():
    files = [*(REPO / "src" / "her2rwe").rglob("*.py"), *(REPO / "workflow").rglob("*.py")]
    files += [*(REPO / "workflow" / "rules").glob("*.smk"), REPO / "Snakefile"]
    found = [hit for f in files for hit in offenders(f.read_text(), str(f.relative_to(REPO)))]
    assert found == [], "read defaults from the filled config (her2rwe.config):\n" + "\n".join(found)


def test_the_scan_catches_a_default_written_twice():
    assert offenders('m = study.get("ci_method", "log-log")', "x.py") == [
        'x.py:1: m = study.get("ci_method", "log-log")'
    ]
    assert offenders('m = study.get("ci_method")', "x.py") == []
    assert offenders('m = row.get("not_a_config_key", 1)', "x.py") == []


def test_study_settings_fills_the_schema_defaults_once():
    filled = study_settings({"cohort": "c.csv", "endpoints": ["pfs"]})
    assert isinstance(filled, StudySettings)
    # values stated in workflow/schemas/config.schema.yaml
    assert filled["ci_method"] == "log-log"
    assert filled["conf_level"] == 0.95
    assert filled["ties"] == "efron"
    assert filled["landmarks"] == [6, 12, 24]
    assert filled["response"]["cbr_min_weeks"] == 24
    assert filled["arms"]["column"] == "arm"
    assert study_settings(filled) is filled
    assert study_settings({"ci_method": "spss"})["ci_method"] == "spss"
