"""Time a records study from CSV to analysis dataset: 100,000 synthetic patients with about 15
drug exposures and 10 tumour assessments each, timed as the whole `snakemake` command that builds
`results/bench/analysis_dataset.parquet` (validation of the four files, lines of therapy for every
patient, index selection, endpoints), with the peak memory of any process of the run.

    python benchmarks/bench_records.py [--patients 100000] [--repeat 3] [--write-doc docs/benchmarks.md]

The synthetic records are generated once into a temporary project folder (not timed). Budget:
10 s and 2 GB.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_workflow import COMPILED, commit, compile_package, publish  # noqa: E402

SECTION = "## Records to analysis dataset"
CONFIG = """studies:
  bench:
    title: "Benchmark (synthetic records)"
    synthetic: true
    records:
      patients: patients.csv
      treatments: treatments.csv
      assessments: assessments.csv
    index:
      steps:
        - label: "a line after an anti-HER2 TKI line"
          after: {contains: [anti-HER2 TKI]}
        - label: "an ADC other than T-DM1, or trastuzumab + pertuzumab + chemotherapy"
          any_of:
            - {contains: [anti-HER2 ADC], excludes: [T-DM1]}
            - {contains: [trastuzumab, pertuzumab, chemotherapy]}
      arms:
        ADC: {contains: [anti-HER2 ADC]}
        HP+C: {contains: [pertuzumab]}
    arms: {reference: HP+C}
    endpoints: [pfs, os, ttf, ttnt]
"""


def generate(folder: Path, n: int) -> dict[str, int]:
    sys.path.insert(0, str(REPO / "src"))
    from her2rwe.synthetic.records import write_records

    write_records(folder, n=n, seed=7, rows_per_course=2, assess_per_patient=10)
    (folder / "config.yaml").write_text(CONFIG)
    return {
        name: sum(1 for _ in open(folder / f"{name}.csv")) - 2
        for name in ("patients", "treatments", "assessments")
    }


def run(project: Path) -> tuple[float, float, float]:
    exe = Path(sys.executable).with_name("snakemake")
    cmd = [
        str(exe),
        "-s",
        str(REPO / "Snakefile"),
        "-d",
        str(project),
        "--cores",
        "2",
        "-q",
        "all",
        "--",
        "results/bench/analysis_dataset.parquet",
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"snakemake failed:\n{proc.stderr[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = max(before.ru_maxrss, after.ru_maxrss) / 1024  # MiB
    # CPU time (user + sys) of snakemake and every job it ran: on a shared machine the wall time
    # moves with the load, the CPU time much less
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return elapsed, cpu, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write-doc", type=Path)
    args = parser.parse_args()
    compile_package()
    times, cpus, peaks, loads = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="her2rwe-records-bench-") as tmp:
        project = Path(tmp)
        rows = generate(project, args.patients)
        for _ in range(args.repeat):
            subprocess.run(
                ["rm", "-rf", str(project / "results"), str(project / ".snakemake")], check=True
            )
            loads.append(os.getloadavg()[0])
            elapsed, cpu, peak = run(project)
            times.append(elapsed)
            cpus.append(cpu)
            peaks.append(peak)
    med = statistics.median(times)
    ok = "met" if med <= 10 and max(peaks) <= 2048 else "NOT met"
    text = f"""{SECTION}

A records study from CSV to analysis dataset: {args.patients:,} synthetic patients,
{rows["treatments"]:,} treatment rows, {rows["assessments"]:,} assessment rows; the whole
`snakemake --cores 2 results/bench/analysis_dataset.parquet` (validation, lines of therapy for every
patient, index selection, endpoints), from a fresh results folder. Median of {args.repeat} runs;
CPU time of snakemake and all its jobs; peak resident memory of the largest process.

{COMPILED}

Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}. Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC at commit {commit()}.

Reproduce:

```
python benchmarks/bench_records.py --patients {args.patients} --repeat {args.repeat} --write-doc docs/benchmarks.md
```

| measurement | median | runs |
| :--- | ---: | :--- |
| wall time (s) | {med:.1f} | {", ".join(f"{t:.1f}" for t in times)} |
| CPU time, user + sys (s) | {statistics.median(cpus):.1f} | {", ".join(f"{t:.1f}" for t in cpus)} |
| peak memory (MiB) | {max(peaks):.0f} | {", ".join(f"{p:.0f}" for p in peaks)} |

1-minute load average before each run: {", ".join(f"{x:.2f}" for x in loads)}. Budget (10 s, 2 GB): {ok}.
"""
    publish(text, args.write_doc, SECTION)


if __name__ == "__main__":
    main()
