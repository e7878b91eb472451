"""Run Snakemake on a project folder and record each job: its rule, start and end (seconds from the
start of the run) and its peak resident memory (VmHWM), by watching /proc while the run goes.

A job is a process started from a `.snakemake/scripts/tmp*.<script>.py` file (every rule of the
workflow is a script: rule). Linux only.

    from jobs import run_with_timeline
    wall, jobs = run_with_timeline(project, ["--cores", "2"])
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPT = re.compile(r"\.snakemake/scripts/tmp[^/]*?\.(\w+)\.py")


@dataclass
class Job:
    pid: int
    script: str
    start: float
    end: float
    peak_mb: float = 0.0
    cpu: float = 0.0  # user + system seconds, last seen


def _stat_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a process so far (/proc/<pid>/stat fields 14 and 15)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _status_peak_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _inside(pid: int, project: Path) -> bool:
    """Whether the process runs in the project folder (other runs on the machine are not ours)."""
    try:
        return Path(os.readlink(f"/proc/{pid}/cwd")).resolve() == project
    except OSError:
        return False


def _watch(
    stop: threading.Event, t0: float, jobs: dict[int, Job], interval: float, project: Path
) -> None:
    while not stop.is_set():
        now = time.perf_counter() - t0
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            job = jobs.get(pid)
            if job is None:
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as fh:
                        cmd = fh.read().replace(b"\0", b" ").decode(errors="replace")
                except OSError:
                    continue
                match = SCRIPT.search(cmd)
                if not match or not _inside(pid, project):
                    continue
                job = jobs[pid] = Job(pid, match.group(1), now, now)
            peak = _status_peak_mb(pid)
            cpu = _stat_cpu(pid)
            if peak is not None and cpu is not None:
                job.peak_mb = max(job.peak_mb, peak)
                job.cpu = max(job.cpu, cpu)
                job.end = now
        stop.wait(interval)


def run_with_timeline(
    project: Path, args: list[str], interval: float = 0.05
) -> tuple[float, float, list[Job]]:
    """Run `snakemake -s <repo>/Snakefile -d <project> *args`; (wall seconds, CPU seconds of the
    whole process tree (user + system: Snakemake and every job), jobs by start). The CPU time does
    not grow with the machine's load the way the wall time does."""
    exe = Path(sys.executable).with_name("snakemake")
    cmd = [str(exe), "-s", str(REPO / "Snakefile"), "-d", str(project), "-q", *args]
    jobs: dict[int, Job] = {}
    stop = threading.Event()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    watcher = threading.Thread(target=_watch, args=(stop, t0, jobs, interval, project.resolve()), daemon=True)
    watcher.start()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    stop.set()
    watcher.join()
    if proc.returncode != 0:
        raise SystemExit(f"snakemake failed:\n{proc.stderr[-3000:]}")
    return wall, cpu, sorted(jobs.values(), key=lambda job: job.start)


def timeline_table(jobs: list[Job], wall: float) -> str:
    """A Markdown table of the jobs, with a bar per job on a 50-column time axis."""
    rows = [
        "| job (script) | start (s) | end (s) | wall (s) | CPU (s) | peak RSS (MB) | timeline |",
        "| :--- | ---: | ---: | ---: | ---: | ---: | :--- |",
    ]
    for job in jobs:
        a, b = int(50 * job.start / wall), max(int(50 * job.end / wall), int(50 * job.start / wall) + 1)
        bar = "`" + "." * a + "#" * (b - a) + "." * (50 - b) + "`"
        rows.append(
            f"| {job.script} | {job.start:.1f} | {job.end:.1f} | {job.end - job.start:.1f} "
            f"| {job.cpu:.1f} | {job.peak_mb:.0f} | {bar} |"
        )
    return "\n".join(rows)
