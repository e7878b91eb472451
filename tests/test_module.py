"""End to end: a project that deploys the workflow as a Snakemake module (the layout snakedeploy
writes: workflow/Snakefile with `module her2rwe: ...` and `use rule * from her2rwe`, its config in
config/config.yaml), runs it, and gets the same analysis dataset as the hand calculation."""

import subprocess

import pandas as pd
import pytest

from tests.conftest import REPO
from tests.test_workflow import EXPECTED, HAND
from tests.workflow_helpers import ENV, SNAKEMAKE

pytestmark = pytest.mark.e2e

MODULE_SNAKEFILE = """\
configfile: "config/config.yaml"


module her2rwe:
    snakefile:
        "{snakefile}"
    config:
        config


use rule * from her2rwe
"""


def test_workflow_runs_as_a_module_of_another_project(tmp_path):
    project = tmp_path / "project"
    (project / "workflow").mkdir(parents=True)
    (project / "config").mkdir()
    (project / "data").mkdir()
    (project / "data" / "cohort.csv").write_text(HAND)
    (project / "config" / "config.yaml").write_text(
        "studies:\n"
        "  my_study:\n"
        "    cohort: data/cohort.csv\n"
        "    arms: {column: arm, reference: B}\n"
        "    endpoints: [pfs, os]\n"
    )
    (project / "workflow" / "Snakefile").write_text(
        MODULE_SNAKEFILE.format(snakefile=REPO / "Snakefile")
    )
    proc = subprocess.run(
        [str(SNAKEMAKE), "--cores", "1", "-q"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=180,
        env=ENV,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]

    results = project / "results"
    for path in ("MANIFEST.sha256", "my_study/summary.md", "my_study/tables/survival.csv"):
        assert (results / path).is_file(), path
    data = pd.read_parquet(results / "my_study" / "analysis_dataset.parquet").set_index("patient_id")
    for pid, endpoints in EXPECTED.items():
        for endpoint, (months, event, _) in endpoints.items():
            assert data.loc[pid, f"{endpoint}_months"] == pytest.approx(months, rel=1e-12)
            assert data.loc[pid, f"{endpoint}_event"] == event
