"""The bundled run, fresh, with its job timeline: every job's start, end and peak memory.

The bundled config and data are copied into a temporary project folder (the repository's results/
is not touched); `--cores 2`. Each run reports the 1-minute load average before it, since the
machine may be shared.

    python benchmarks/bench_bundled.py [--repeat 3] [--write-doc docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_workflow import COMPILED, commit, compile_package, project_copy, publish  # noqa: E402
from jobs import run_with_timeline, timeline_table  # noqa: E402

SECTION = "## Bundled run: job timeline"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write-doc", type=Path)
    args = parser.parse_args()
    compile_package()
    walls, cpus, loads, runs = [], [], [], []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="her2rwe-bench-") as tmp:
            project = project_copy(Path(tmp))
            loads.append(os.getloadavg()[0])
            wall, cpu, jobs = run_with_timeline(project, ["--cores", "2"])
            walls.append(wall)
            cpus.append(cpu)
            runs.append((wall, cpu, jobs))
    median = statistics.median(walls)
    wall, cpu, jobs = min(runs, key=lambda run: abs(run[0] - median))
    ok = "met" if median <= 10 else "NOT met"
    text = f"""{SECTION}

The three bundled studies, fresh, `--cores 2`; the timeline of the run closest to the median.
{COMPILED}
Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}. Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC at commit {commit()}.

Reproduce:

```
python benchmarks/bench_bundled.py --repeat {args.repeat} --write-doc docs/benchmarks.md
```

Fresh run: median {median:.1f} s (runs: {", ".join(f"{w:.1f}" for w in walls)}); 1-minute load
average before each run: {", ".join(f"{x:.2f}" for x in loads)}. Budget (<= 10 s): {ok}.
CPU time of the whole process tree (Snakemake and every job, user + system), which the load
changes far less than the wall time: median {statistics.median(cpus):.1f} s (runs: {", ".join(f"{c:.1f}" for c in cpus)}).

Timeline of the {wall:.1f} s run ({cpu:.1f} s CPU; the time before the first job is Snakemake
parsing the workflow and checking the config):

{timeline_table(jobs, wall)}
"""
    publish(text, args.write_doc, SECTION)


if __name__ == "__main__":
    main()
