"""Config validation: defaults, and messages that name the offending key."""

import copy
import textwrap

import pytest
import yaml

from her2rwe.config import ConfigError, validate_config
from her2rwe.derive.preflight import prepare

MINIMAL = yaml.safe_load(
    textwrap.dedent(
        """
        studies:
          my_study:
            cohort: data/raw/example/cohort.csv
            arms: {column: arm, reference: HP+C}
            endpoints: [pfs, os]
        """
    )
)


def errors_of(cfg, **kwargs):
    with pytest.raises(ConfigError) as info:
        (prepare if kwargs else validate_config)(cfg, **kwargs)
    return str(info.value)


def test_minimal_block_gets_documented_defaults():
    cfg = validate_config(MINIMAL)
    study = cfg["studies"]["my_study"]
    assert cfg["days_per_month"] == 30.4375
    assert cfg["min_cell_count"] == 0
    assert study["ci_method"] == "log-log"
    assert study["conf_level"] == 0.95
    assert study["landmarks"] == [6, 12, 24]
    assert study["ties"] == "efron"
    assert study["response"]["cbr_min_weeks"] == 24
    assert study["response"]["ci_method"] == "clopper-pearson"
    assert "risk_table_interval" not in study["figures"]  # chosen from the follow-up
    assert "adverse_events" not in study  # optional, no default file


def test_minimal_block_passes_data_checks():
    from tests.conftest import REPO

    cfg = prepare(MINIMAL, workdir=REPO)
    assert cfg["studies"]["my_study"]["endpoints"] == ["pfs", "os"]


def test_unknown_key_is_named_with_a_suggestion():
    cfg = copy.deepcopy(MINIMAL)
    cfg["studies"]["my_study"]["ci_mehtod"] = "log"
    msg = errors_of(cfg)
    assert "studies.my_study.ci_mehtod: unknown key" in msg
    assert "did you mean 'ci_method'" in msg


def test_unknown_top_level_key():
    cfg = copy.deepcopy(MINIMAL)
    cfg["min_cell_cont"] = 11
    assert "min_cell_cont: unknown key; did you mean 'min_cell_count'" in errors_of(cfg)


def test_bad_enum_lists_the_choices():
    cfg = copy.deepcopy(MINIMAL)
    cfg["studies"]["my_study"]["ci_method"] = "loglog"
    msg = errors_of(cfg)
    assert "studies.my_study.ci_method: 'loglog' is not one of: log-log, log, plain, spss" in msg


def test_every_problem_is_reported_at_once():
    cfg = copy.deepcopy(MINIMAL)
    cfg["studies"]["my_study"]["ties"] = "exact"
    cfg["studies"]["my_study"]["conf_level"] = 95
    msg = errors_of(cfg)
    assert "studies.my_study.ties" in msg and "studies.my_study.conf_level" in msg


def test_missing_required_key():
    cfg = copy.deepcopy(MINIMAL)
    del cfg["studies"]["my_study"]["endpoints"]
    assert "studies.my_study: 'endpoints' is a required property" in errors_of(cfg)


def test_wrong_reference_arm_is_named():
    from tests.conftest import REPO

    cfg = copy.deepcopy(MINIMAL)
    cfg["studies"]["my_study"]["arms"]["reference"] = "HPC"
    msg = errors_of(cfg, workdir=REPO)
    assert (
        "studies.my_study.arms.reference: arm 'HPC' does not occur (data/raw/example/cohort.csv "
        "has 2 distinct value(s) in column 'arm')" in msg
    )
    assert "ADC" not in msg  # values of the data are never listed: the column may hold names


def test_unknown_endpoint_is_named():
    from tests.conftest import REPO

    cfg = copy.deepcopy(MINIMAL)
    cfg["studies"]["my_study"]["endpoints"] = ["pfs", "efs"]
    assert "studies.my_study.endpoints: unknown endpoint 'efs'" in errors_of(cfg, workdir=REPO)


def test_missing_cohort_file_is_named():
    cfg = copy.deepcopy(MINIMAL)
    cfg["studies"]["my_study"]["cohort"] = "nowhere/cohort.csv"
    assert "studies.my_study.cohort: file not found: nowhere/cohort.csv" in errors_of(
        cfg, workdir="."
    )


def test_unknown_covariate_column_is_named():
    from tests.conftest import REPO

    cfg = copy.deepcopy(MINIMAL)
    cfg["studies"]["my_study"]["covariates"] = ["age", "ecgo"]
    assert "studies.my_study.covariates: column 'ecgo' is not in" in errors_of(cfg, workdir=REPO)


def test_bundled_config_is_valid():
    from tests.conftest import REPO

    cfg = yaml.safe_load((REPO / "config.yaml").read_text())
    prepare(cfg, workdir=REPO)


def test_every_schema_property_has_type_description_and_default():
    from her2rwe.config import load_schema

    schema = load_schema()
    missing = []

    def walk(node, path, required=()):
        if not isinstance(node, dict):
            return
        for name, sub in node.get("properties", {}).items():
            here = f"{path}.{name}"
            if "description" not in sub:
                missing.append(f"{here}: description")
            if "type" not in sub and "$ref" not in sub and "oneOf" not in sub:
                missing.append(f"{here}: type")
            if "default" not in sub and name not in node.get("required", []) and "$ref" not in sub:
                missing.append(f"{here}: default")
            walk(sub, here)
        for key in ("additionalProperties", "items"):
            if isinstance(node.get(key), dict):
                walk(node[key], path + "[]")
        for name, sub in node.get("$defs", {}).items():
            walk(sub, f"$defs.{name}")

    walk(schema, "")
    assert missing == []
