"""End to end: the workflow in a separate project folder, with the minimal study block."""

import os

import pandas as pd
import pytest

from tests.conftest import REPO
from tests.workflow_helpers import run as run_snakemake

pytestmark = pytest.mark.e2e
M = 30.4375

# A hand-made cohort in date form. Index 2021-01-01 for all (2021 is not a leap year).
HAND = """\
patient_id,arm,index_date,progression_date,death_date,last_assessment_date,last_contact_date,age
H1,A,2021-01-01,2021-03-02,2021-06-30,2021-03-02,2021-06-30,61
H2,A,2021-01-01,,2021-02-10,2021-01-20,2021-02-10,55
H3,B,2021-01-01,,,,2021-04-11,47
H4,B,2021-01-01,2021-01-01,,2021-01-01,2021-12-31,70
"""
# by hand: 2021-03-02 is day 31 + 28 + 1 = 60; 2021-06-30 is day 31+28+31+30+31+29 = 180;
# 2021-02-10 is day 40; 2021-04-11 is day 31+28+31+10 = 100; 2021-12-31 is day 364.
EXPECTED = {
    "H1": {"pfs": (60 / M, 1, "progression"), "os": (180 / M, 1, "death")},
    "H2": {"pfs": (40 / M, 1, "death"), "os": (40 / M, 1, "death")},
    "H3": {"pfs": (0.0, 0, "no_assessment"), "os": (100 / M, 0, "last_contact")},
    "H4": {"pfs": (0.0, 1, "progression"), "os": (364 / M, 0, "last_contact")},
}


def snapshot(root):
    """Every file under root (but caches) with its modification time and size."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [
            d for d in dirnames if d not in {".git", "__pycache__", ".pytest_cache", ".ruff_cache"}
        ]
        for f in filenames:
            p = os.path.join(dirpath, f)
            st = os.stat(p)
            out[p] = (st.st_mtime_ns, st.st_size)
    return out


def hand_project(tmp_path, config_extra=""):
    (tmp_path / "data").mkdir(parents=True)
    (tmp_path / "data" / "cohort.csv").write_text(HAND)
    (tmp_path / "config.yaml").write_text(
        "studies:\n"
        "  my_study:\n"
        "    cohort: data/cohort.csv\n"
        "    arms: {column: arm, reference: B}\n"
        "    endpoints: [pfs, os]\n" + config_extra
    )
    return tmp_path


def test_project_folder_run_matches_hand_values_and_writes_only_inside(tmp_path):
    project = hand_project(tmp_path / "project")
    before = snapshot(REPO)
    result = run_snakemake(project)
    assert result.returncode == 0, result.stderr[-3000:]
    assert snapshot(REPO) == before, "the run wrote inside the repository"
    data = pd.read_parquet(project / "results" / "my_study" / "analysis_dataset.parquet").set_index(
        "patient_id"
    )
    for pid, endpoints in EXPECTED.items():
        for ep, (months, event, source) in endpoints.items():
            row = data.loc[pid]
            assert row[f"{ep}_months"] == pytest.approx(months, rel=1e-12), (pid, ep)
            assert (row[f"{ep}_event"], row[f"{ep}_source"]) == (event, source), (pid, ep)
    assert {"patient_id", "arm"} <= set(data.reset_index().columns)
    assert "age" not in data.columns  # not declared by the config: dropped unread (minimisation)
    attrition = pd.read_csv(project / "results" / "my_study" / "tables" / "attrition.csv")
    assert attrition.query("arm == 'Total' and step == 'analysed'")["n"].item() == 4


def test_broken_config_fails_before_any_job_and_names_the_key(tmp_path):
    project = hand_project(tmp_path, config_extra="    ci_method: loglog\n")
    result = run_snakemake(project)
    assert result.returncode != 0
    assert "studies.my_study.ci_method: 'loglog' is not one of" in result.stderr
    assert not (project / "results").exists()


def test_wrong_arm_fails_before_any_job(tmp_path):
    project = hand_project(tmp_path)
    (project / "config.yaml").write_text(
        (project / "config.yaml").read_text().replace("reference: B", "reference: C")
    )
    result = run_snakemake(project)
    assert result.returncode != 0
    assert (
        "studies.my_study.arms.reference: arm 'C' does not occur (data/cohort.csv has 2 distinct "
        "value(s) in column 'arm')" in result.stderr
    )
    assert not (project / "results").exists()


def test_broken_cohort_fails_with_file_line_column_and_leaves_no_dataset(tmp_path):
    project = hand_project(tmp_path)
    cohort = project / "data" / "cohort.csv"
    cohort.write_text(HAND.replace("H3,B,2021-01-01", "H3,B,2021-13-01"))
    result = run_snakemake(project)
    assert result.returncode != 0
    assert "data/cohort.csv:4: column 'index_date'" in result.stderr
    assert not (project / "results" / "my_study" / "analysis_dataset.parquet").exists()
