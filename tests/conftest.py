"""Shared fixtures: the repository root and small cohort writers."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "data" / "raw" / "example"


def snakemake_command(project: Path, *extra: str) -> list[str]:
    """`snakemake -s <repo>/Snakefile -d <project> --configfile <project>/config.yaml`, same interpreter."""
    exe = Path(sys.executable).with_name("snakemake")
    base = [str(exe)] if exe.exists() else [sys.executable, "-m", "snakemake"]
    return [
        *base,
        "-s",
        str(REPO / "Snakefile"),
        "-d",
        str(project),
        "--configfile",
        str(project / "config.yaml"),
        *extra,
    ]


def run_snakemake(project: Path, *extra: str, cores: int = 2) -> subprocess.CompletedProcess:
    return subprocess.run(
        snakemake_command(project, "--cores", str(cores), *extra),
        capture_output=True,
        text=True,
        timeout=600,
    )


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
