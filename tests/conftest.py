"""Shared fixtures: the repository root and small cohort writers."""

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "data" / "raw" / "example"


@pytest.fixture
def example_project(tmp_path):
    """A project folder with a copy of the bundled example cohort and the minimal study block."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(EXAMPLE / "cohort.csv", data / "cohort.csv")
    shutil.copy(EXAMPLE / "adverse_events.csv", data / "adverse_events.csv")
    (tmp_path / "config.yaml").write_text(
        "studies:\n"
        "  my_study:\n"
        "    cohort: data/cohort.csv\n"
        "    arms: {column: arm, reference: HP+C}\n"
        "    endpoints: [pfs, os]\n"
    )
    return tmp_path
