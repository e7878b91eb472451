"""A failed job leaves no output of its stage or of any later stage (issue 12, class 5).

Corpus cases (tests/bad_inputs/) that fail at each stage run the workflow in a temporary project:
- the config check (before any job): nothing under ``results/`` at all;
- ``derive_endpoints``: nothing under ``results/<study>/`` but the job's log;
- a summarize job (``summarize_study``, in its survival part), made to crash after it has written
  three of its outputs (a fault injected through ``sitecustomize``, as a bug would): none of the job's outputs,
  nothing that depends on them, and no hidden temporary file anywhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from workflow_helpers import ENV, command

REPO = Path(__file__).resolve().parents[1]
# the tables summarize_study's survival part writes (tables/ and internal/, CSV and Markdown)
SURVIVAL_TABLES = {"survival", "landmarks", "comparisons", "cox_models", "subgroup_survival"}
CORPUS = REPO / "tests" / "bad_inputs"

# crashes the job named by HER2RWE_TEST_CRASH after its n-th table write (HER2RWE_TEST_CRASH_AFTER)
SITECUSTOMIZE = """
import os, sys
_job = os.environ.get("HER2RWE_TEST_CRASH")
if _job and any(_job in str(a) for a in sys.argv):
    from her2rwe import io as _io
    _write, _left = _io.write_table, [int(os.environ["HER2RWE_TEST_CRASH_AFTER"])]
    def write_table(*args, **kwargs):
        if _left[0] == 0:
            raise RuntimeError("injected failure (test)")
        _left[0] -= 1
        return _write(*args, **kwargs)
    _io.write_table = write_table
"""


def _project(tmp_path: Path, cohort: str, study: dict | None = None) -> Path:
    (tmp_path / "data").mkdir()
    shutil.copy(CORPUS / cohort, tmp_path / "data" / "cohort.csv")
    block = {"cohort": "data/cohort.csv", "arms": {"column": "arm"}, "endpoints": ["pfs", "os"]}
    block.update(study or {})
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"studies": {"s": block}}))
    return tmp_path


def _run(project: Path, *targets: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        command(project, *targets), capture_output=True, text=True, timeout=300, env=env or ENV
    )


def _files(root: Path) -> list[str]:
    """Every file under root, hidden ones included, as paths relative to root."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.mark.e2e
@pytest.mark.parametrize(
    "cohort, study",
    [
        ("e_reference_absent_names_as_arms.csv", {"arms": {"column": "arm", "reference": "HP+C"}}),
        ("good_cohort.csv", {"subgroups": [{"variable": "../../escape"}]}),
    ],
)
def test_a_config_check_failure_writes_nothing(tmp_path, cohort, study):
    project = _project(tmp_path, cohort, study)
    proc = _run(project)
    assert proc.returncode != 0
    results = project / "results"
    assert not results.exists() or _files(results) == []


@pytest.mark.e2e
@pytest.mark.parametrize(
    "cohort, study",
    [("many_problems.csv", {}), ("a_months_1e300.csv", {"endpoints": ["pfs"]})],
)
def test_a_derive_endpoints_failure_leaves_only_its_log(tmp_path, cohort, study):
    project = _project(tmp_path, cohort, study)
    proc = _run(project)
    assert proc.returncode != 0
    assert f"{cohort.split('.')[0]}" in proc.stdout + proc.stderr or "cohort.csv" in proc.stderr
    assert _files(project / "results") == ["s/logs/derive_endpoints.log"]


@pytest.mark.e2e
def test_a_summarize_job_that_crashes_mid_way_leaves_none_of_its_outputs(tmp_path):
    project = _project(tmp_path, "good_cohort.csv")
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(SITECUSTOMIZE)
    env = {
        **ENV,
        "PYTHONPATH": os.pathsep.join([str(hook), ENV["PYTHONPATH"]]),
        "HER2RWE_TEST_CRASH": "summarize_study",
        "HER2RWE_TEST_CRASH_AFTER": "3",
    }
    # the survival stage only (later stages read its tables)
    proc = _run(project, "results/s/tables/survival.csv", env=env)
    assert proc.returncode != 0
    log = project / "results" / "s" / "logs" / "summarize_survival.log"
    assert "injected failure" in log.read_text()
    files = _files(project / "results")
    # derive_endpoints finished; nothing of summarize_study (it had written three tables)
    assert "s/analysis_dataset.parquet" in files
    survival_outputs = [
        f for f in files
        if f.startswith("s/survival/") or Path(f).stem in SURVIVAL_TABLES
    ]  # fmt: skip
    assert survival_outputs == []
    assert [f for f in files if Path(f).name.startswith(".")] == []
    # the rerun without the fault completes the stage
    again = _run(project, "results/s/tables/survival.csv")
    assert again.returncode == 0, again.stderr[-2000:]
    assert (project / "results" / "s" / "tables" / "survival.csv").exists()
