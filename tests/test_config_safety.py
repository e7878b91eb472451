"""Config files are read again strictly (duplicate keys, alias bombs, YTE templating), and names
from the config that become parts of output paths are checked before the DAG is built."""

import copy

import pytest
from workflow_helpers import run

from her2rwe.config import ConfigError
from her2rwe.derive.preflight import (
    check_config_file,
    path_name_problems,
    prepare,
    unsafe_output_paths,
)
from tests.conftest import REPO

STUDY = "studies:\n  s:\n    cohort: data/raw/example/cohort.csv\n    arms: {column: arm}\n    endpoints: [pfs]\n"


def problems_of(tmp_path, text):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        check_config_file(path)
    return "\n".join(info.value.problems)


def test_duplicate_top_level_key_is_refused_with_both_lines(tmp_path):
    msg = problems_of(tmp_path, "min_cell_count: 11\n" + STUDY + "min_cell_count: 0\n")
    assert f"{tmp_path / 'config.yaml'}:7: duplicate key 'min_cell_count' (first at line 1)" in msg


def test_duplicate_key_inside_a_study_block_is_refused(tmp_path):
    msg = problems_of(tmp_path, STUDY + "    endpoints: [os]\n")
    assert "config.yaml:6: duplicate key 'endpoints' (first at line 5)" in msg


def alias_bomb(indent=""):
    lines = [f"{indent}a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        lines.append(f"{indent}a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("where", ["top", "study"])
def test_alias_bomb_is_refused(tmp_path, where):
    # 10^10 values once expanded; refused from the structure, without expanding
    text = alias_bomb() + STUDY if where == "top" else STUDY + alias_bomb("    ")
    assert "expands to more than 200,000 values" in problems_of(tmp_path, text)


def test_yte_templating_is_refused(tmp_path):
    msg = problems_of(tmp_path, "__use_yte__: true\n" + STUDY)
    assert "__use_yte__: YTE templating runs code" in msg


def test_plain_aliases_and_merge_keys_pass(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(
        "base: &base {column: arm}\n" + STUDY.replace("arms: {column: arm}", "arms: {<<: *base}")
    )
    assert check_config_file(path)["studies"]["s"]["arms"] == {"column": "arm"}


@pytest.mark.parametrize("config", ["config.yaml", "data/raw/example/config.yaml"])
def test_bundled_configs_pass(config):
    assert check_config_file(REPO / config)["studies"]


@pytest.mark.parametrize(
    "variable", ["../../../../escape", "a/b", "/abs", "a\\b", "..", "x..y", "has space", ""]
)
def test_subgroup_variable_that_becomes_a_path_is_refused(variable):
    study = {"subgroups": [{"variable": variable, "km": True}]}
    (msg,) = path_name_problems("s", study)
    assert msg.startswith(f"studies.s.subgroups[0].variable: {variable!r} becomes part of a file")


def test_subgroup_variable_without_figure_may_hold_any_name():
    assert path_name_problems("s", {"subgroups": [{"variable": "a/b", "km": False}]}) == []
    assert path_name_problems("s", {"subgroups": [{"variable": "hr_status+2", "km": True}]}) == []


def test_prepare_refuses_the_path_before_anything_runs(tmp_path):
    cfg = {
        "studies": {
            "s": {
                "cohort": "data/raw/example/cohort.csv",
                "arms": {"column": "arm"},
                "endpoints": ["pfs"],
                "subgroups": [{"variable": "../../escape"}],
            }
        }
    }
    with pytest.raises(ConfigError) as info:
        prepare(copy.deepcopy(cfg), workdir=REPO)
    assert any("'../../escape' becomes part of a file name" in p for p in info.value.problems)


def test_unsafe_output_paths():
    good = ["results/s/figures/km_pfs_regimen.pdf", "results/MANIFEST.sha256"]
    bad = ["results/s/../../x.pdf", "/tmp/x.pdf", "elsewhere/x.csv"]
    assert unsafe_output_paths(good + bad) == bad


@pytest.mark.e2e
def test_workflow_refuses_a_duplicate_key_before_any_job(tmp_path):
    (tmp_path / "config.yaml").write_text(
        "min_cell_count: 11\nstudies:\n  s:\n"
        f"    cohort: {REPO}/data/raw/example/cohort.csv\n    arms: {{column: arm}}\n"
        "    endpoints: [pfs]\nmin_cell_count: 0\n"
    )
    proc = run(tmp_path)
    assert proc.returncode != 0
    assert "duplicate key 'min_cell_count' (first at line 1)" in proc.stdout + proc.stderr
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("value", [1e-300, 0.5, 1e300, 365])
def test_absurd_days_per_month_is_refused_before_any_job(value):
    cfg = {
        "days_per_month": value,
        "studies": {
            "s": {
                "cohort": "data/raw/example/cohort.csv",
                "arms": {"column": "arm"},
                "endpoints": ["pfs"],
            }
        },
    }
    with pytest.raises(ConfigError) as info:
        prepare(cfg, workdir=REPO)
    assert any("days_per_month" in p for p in info.value.problems)
