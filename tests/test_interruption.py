"""Nothing partial: atomic writes, a run killed mid-job leaves no output that looks complete and a
rerun completes cleanly, and a failed run of one study never touches another study's results."""

import ast
import base64
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from workflow_helpers import ENV, command, run

from her2rwe import io
from her2rwe.derive.dataset import build_study_data

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "data" / "raw" / "example"
STUDY_OUTPUTS = (
    "analysis_dataset.parquet",
    "adverse_events.parquet",
    "tables/attrition.csv",
    "internal/attrition.csv",
)


def make_project(root, studies=("s",)):
    (root / "data").mkdir(parents=True)
    shutil.copy(EXAMPLE / "cohort.csv", root / "data" / "cohort.csv")
    shutil.copy(EXAMPLE / "adverse_events.csv", root / "data" / "adverse_events.csv")
    blocks = "".join(
        f"  {name}:\n    cohort: data/{'cohort' if name == studies[0] else name}.csv\n"
        "    adverse_events: data/adverse_events.csv\n"
        "    arms: {column: arm, reference: HP+C}\n    endpoints: [pfs, os]\n"
        for name in studies
    )
    for name in studies[1:]:
        shutil.copy(EXAMPLE / "cohort.csv", root / "data" / f"{name}.csv")
    (root / "config.yaml").write_text("studies:\n" + blocks)
    return root


def incomplete_markers(project):
    """Outputs that snakemake has marked incomplete (it regenerates them on the next run)."""
    folder = project / ".snakemake" / "incomplete"
    if not folder.is_dir():
        return set()
    return {base64.b64decode(p.name).decode() for p in folder.iterdir()}


def recorded_outputs(project):
    """Outputs whose job Snakemake recorded as finished (its metadata is written after the job)."""
    folder = project / ".snakemake" / "metadata"
    if not folder.is_dir():
        return set()
    return {base64.urlsafe_b64decode(p.name).decode() for p in folder.iterdir()}


def test_atomic_write_killed_mid_write_leaves_no_target(tmp_path):
    target = tmp_path / "big.csv"
    writer = (
        "import numpy as np, pandas as pd\n"
        "from her2rwe import io\n"
        "frame = pd.DataFrame(np.random.default_rng(1).random((2_000_000, 4)))\n"
        f"io.write_table(frame, {str(target)!r})\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", writer], env=ENV)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".big.csv.*")):  # the temporary file beside the target
        assert proc.poll() is None and time.monotonic() < deadline, "writer never started"
        time.sleep(0.005)
    time.sleep(0.05)
    proc.kill()
    proc.wait()
    assert not target.exists()


@pytest.mark.e2e
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_killed_run_leaves_nothing_that_looks_complete_and_rerun_completes(tmp_path, sig):
    project = make_project(tmp_path)
    proc = subprocess.Popen(
        command(project),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env=ENV,
    )
    deadline = time.monotonic() + 60
    while not incomplete_markers(project):  # the job has started
        assert proc.poll() is None and time.monotonic() < deadline, "the job never started"
        time.sleep(0.005)
    time.sleep(0.2)  # mid-job
    os.killpg(proc.pid, sig)
    proc.wait(timeout=60)
    if sig == signal.SIGKILL:
        assert proc.returncode != 0
    # SIGINT: Snakemake's log handler swallows a KeyboardInterrupt raised while it writes a record
    # (snakemake/logging.py), so an interrupt that lands during a log write is lost and the run
    # finishes with exit code 0. The promise checked below holds either way: nothing that looks
    # complete is partial.

    marked, finished = incomplete_markers(project), recorded_outputs(project)
    for name in STUDY_OUTPUTS:
        path = project / "results" / "s" / name
        # an output either does not exist, or is flagged incomplete for the next run, or its job
        # finished (only a lost SIGINT lets the run go on)
        key = f"results/s/{name}"
        assert not path.exists() or key in marked or (sig == signal.SIGINT and key in finished), name
    # no truncated file under an output's name: whatever exists reads in full
    for path in (project / "results").rglob("*"):
        if path.is_file() and path.suffix == ".parquet" and not path.name.startswith("."):
            pd.read_parquet(path)

    if sig == signal.SIGKILL:  # a hard kill cannot release snakemake's lock
        assert run(project, "--unlock").returncode == 0
    rerun = run(project)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert incomplete_markers(project) == set()
    expected = build_study_data(
        {"arms": {"column": "arm", "reference": "HP+C"}, "endpoints": ["pfs", "os"]},
        project / "data" / "cohort.csv",
        project / "data" / "adverse_events.csv",
    )
    io.write_parquet(expected.dataset, tmp_path / "expected.parquet")
    got = pd.read_parquet(project / "results" / "s" / "analysis_dataset.parquet")
    pd.testing.assert_frame_equal(got, pd.read_parquet(tmp_path / "expected.parquet"))
    assert not [p for p in (project / "results").rglob(".*") if p.is_file()]  # no temp files


@pytest.mark.e2e
def test_failed_run_of_one_study_does_not_touch_another(tmp_path):
    project = make_project(tmp_path, studies=("good", "other"))
    first = run(project)
    assert first.returncode == 0, first.stderr[-2000:]
    good = project / "results" / "good"
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in good.rglob("*") if p.is_file()}

    # break the other study's cohort in a way only row-level validation finds
    text = (project / "data" / "other.csv").read_text().splitlines()
    text[3] = text[3].replace(",PR,", ",XX,").replace(",SD,", ",XX,").replace(",PD,", ",XX,")
    (project / "data" / "other.csv").write_text("\n".join(text) + "\n")
    second = run(project, "--keep-going")
    assert second.returncode != 0
    assert "other.csv:4: column 'best_response'" in second.stdout + second.stderr

    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in good.rglob("*") if p.is_file()}
    assert after == before
    # the failed study keeps no results that look current
    for name in STUDY_OUTPUTS:
        assert not (project / "results" / "other" / name).exists()


# ---- every write goes through her2rwe.io (temporary file + rename)

WRITE_CALLS = {
    "to_csv",
    "to_parquet",
    "to_excel",
    "to_json",
    "savefig",
    "write_text",
    "write_bytes",
    "write_table",
    "to_html",
    "to_markdown",
    "save",
}


IN_MEMORY = {"buf", "buffer"}  # names of io.StringIO / io.BytesIO buffers


def direct_writes(path):
    """Calls in a file that write a file directly (not through her2rwe.io), and open(..., 'w')."""
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in WRITE_CALLS:
            owner = func.value
            if isinstance(owner, ast.Name) and owner.id == "io":
                continue  # her2rwe.io.write_table etc.
            if isinstance(owner, ast.Name) and owner.id == "style" and func.attr == "save":
                continue  # her2rwe.outputs.plotting.style.save writes through io.atomic_path
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Name) and first.id in IN_MEMORY:
                continue  # into an in-memory buffer, not a file
            if func.attr == "to_markdown" and not node.args:
                continue  # returns a string
            found.append(f"{path.name}:{node.lineno}: .{func.attr}(")
        if isinstance(func, ast.Name) and func.id == "open":
            mode = node.args[1] if len(node.args) > 1 else None
            mode = next((k.value for k in node.keywords if k.arg == "mode"), mode)
            text = mode.value if isinstance(mode, ast.Constant) else ""
            log = isinstance(node.args[0], ast.Subscript) and "log" in ast.unparse(node.args[0])
            if any(m in str(text) for m in "wax") and not log:
                found.append(f"{path.name}:{node.lineno}: open(..., {text!r})")
    return found


def test_every_write_path_goes_through_her2rwe_io():
    files = sorted((REPO / "workflow" / "scripts").glob("*.py"))
    # io.py is the atomic writer and outputs/plotting/style.py the atomic figure writer (savefig into
    # io.atomic_path); synthetic/example.py is the developer tool that regenerates the bundled
    # synthetic cohort, not a workflow output
    package = REPO / "src" / "her2rwe"
    skip = {"io.py", "outputs/plotting/style.py", "synthetic/example.py"}
    files += [p for p in sorted(package.rglob("*.py")) if p.relative_to(package).as_posix() not in skip]
    assert len(files) > 40  # the whole package, every layer
    offenders = [hit for path in files for hit in direct_writes(path)]
    assert offenders == [], "write with her2rwe.io (atomic): " + "; ".join(offenders)


def test_direct_write_check_still_catches_file_writes(tmp_path):
    module = tmp_path / "mod.py"
    module.write_text(
        "frame.to_csv('out.csv')\n"  # line 1: a file: flagged
        "fig.savefig(path)\n"  # line 2: flagged
        "frame.to_csv(buf)\n"  # in-memory buffer: allowed
        "style.save(fig, pdf, png)\n"  # atomic figure writer: allowed
        "io.write_table(frame, path)\n"  # atomic: allowed
        "open(path, 'w')\n"  # line 6: flagged
    )
    assert direct_writes(module) == [
        "mod.py:1: .to_csv(",
        "mod.py:2: .savefig(",
        "mod.py:6: open(..., 'w')",
    ]
