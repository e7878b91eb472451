"""Run the workflow on a project folder, the way a user does, with this checkout's package first."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).with_name("snakemake")
ENV = {**os.environ, "PYTHONPATH": str(REPO / "src")}


def command(project: Path, *extra: str) -> list[str]:
    """`snakemake --cores 1 -s <repo>/Snakefile -d <project> --configfile <project>/config.yaml`."""
    # --configfile takes several values: --cores after it ends the list, so `extra` may hold targets
    return [
        str(SNAKEMAKE),
        "-s",
        str(REPO / "Snakefile"),
        "-d",
        str(project),
        "--configfile",
        str(project / "config.yaml"),
        "--cores",
        "1",
        *extra,
    ]


def run(project: Path, *extra: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        command(project, *extra), capture_output=True, text=True, timeout=timeout, env=ENV
    )
