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


def bundled_study_data(block, days_per_month: float = 30.4375):
    """The analysis dataset of a bundled study (a validated config block, paths relative to the
    repository), as the workflow builds it: from a cohort file, or from longitudinal records."""
    from her2rwe.derive.dataset import build_study_data
    from her2rwe.derive.records_pipeline import build_records_study_data, derive_study_lines

    if block.get("records"):
        files = {k: str(REPO / v) for k, v in block["records"].items() if v}
        sl = derive_study_lines(block, files, days_per_month)
        return build_records_study_data(
            block, sl.lines, sl.patients, sl.assessments, sl.adverse_events, days_per_month
        )
    return build_study_data(
        block,
        REPO / block["cohort"],
        REPO / block["adverse_events"] if block.get("adverse_events") else None,
        days_per_month,
        assessments_path=REPO / block["assessments"] if block.get("assessments") else None,
    )
