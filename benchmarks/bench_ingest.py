"""Read and validate a large cohort CSV: the work of the `derive_endpoints` job, in a fresh process.

Two synthetic files (labelled synthetic, seed 20240501):
- `duration`: 1,000,000 patients in duration form, one endpoint (PFS) and three covariates, as
  benchmarks/bench_scale.py writes it (43 MB, 7 columns);
- `wide`: the same patients with 32 columns (about 200 MB): four dates (no death date, so that the
  durations are the only form of each endpoint), PFS and OS durations, the
  best response, the regimen and 20 covariates (age,
  ECOG, visceral metastases, 8 lab values with 4 decimals, 8 yes/no flags, a site code).

Each file is read by `derive.dataset.build_study_data` (read, identifier guard, schema and chronology
checks, typing, endpoints) in a child process; the child reports the wall time of each stage and the
process's peak resident memory.

    python benchmarks/bench_ingest.py [--n 1000000] [--which duration wide] [--write-doc docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_survival import generate  # noqa: E402
from bench_workflow import commit, publish  # noqa: E402

SECTION = "## Ingest: read and validate a large cohort"
COVARIATES = ["age", "ecog", "visceral_mets"]
LABS = [f"lab_{i}" for i in range(1, 9)]
FLAGS = [f"flag_{i}" for i in range(1, 9)]
WIDE_COVARIATES = [*COVARIATES, *LABS, *FLAGS, "site"]


def study(which: str) -> dict:
    covariates = WIDE_COVARIATES if which == "wide" else COVARIATES
    return {
        "title": "Synthetic benchmark cohort",
        "synthetic": True,
        "arms": {"column": "arm", "reference": "HP+C"},
        "endpoints": ["pfs", "os"] if which == "wide" else ["pfs"],
        "covariates": covariates,
    }


def write_duration(n: int, path: Path) -> None:
    import pandas as pd

    parquet = path.with_suffix(".parquet")
    generate(n, tied=False, path=parquet)
    frame = pd.read_parquet(parquet)
    parquet.unlink()
    with open(path, "w") as out:
        out.write("# SYNTHETIC DATA (benchmark)\n")
        frame.to_csv(out, index=False, float_format="%.17g")


def write_wide(n: int, path: Path) -> None:
    import numpy as np
    import pandas as pd

    parquet = path.with_suffix(".parquet")
    generate(n, tied=False, path=parquet)
    frame = pd.read_parquet(parquet)
    parquet.unlink()
    rng = np.random.default_rng(20240501)
    index = pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 1500, n), unit="D")
    days = (frame["pfs_months"] * 30.4375).round()
    progression = index + pd.to_timedelta(days, unit="D")
    os_months = frame["pfs_months"] + rng.exponential(10, n)
    contact = index + pd.to_timedelta((os_months * 30.4375).round() + 1, unit="D")

    def iso(ts, mask=None):
        s = pd.Series(pd.DatetimeIndex(ts).strftime("%Y-%m-%d"), dtype=object)
        return s if mask is None else s.where(np.asarray(mask), "")

    event = frame["pfs_event"].to_numpy() == 1
    wide = pd.DataFrame(
        {
            "patient_id": frame["patient_id"],
            "arm": frame["arm"],
            "regimen": np.where(frame["arm"] == "ADC", "T-DXd", "HP+C"),
            "index_date": iso(index),
            "progression_date": iso(progression, event),
            "last_assessment_date": iso(progression),
            "last_contact_date": iso(contact),
            "pfs_months": frame["pfs_months"],
            "pfs_event": frame["pfs_event"],
            "os_months": os_months,
            "os_event": (rng.random(n) < 0.4).astype(int),
            "best_response": rng.choice(["CR", "PR", "SD", "PD", "NE", ""], n),
            **{c: frame[c] for c in COVARIATES},
            **{lab: rng.gamma(4, 2.5, n).round(4) for lab in LABS},
            **{flag: rng.choice(["yes", "no", ""], n, p=[0.3, 0.65, 0.05]) for flag in FLAGS},
            "site": rng.choice([f"S{i:02d}" for i in range(40)], n),
        }
    )
    with open(path, "w") as out:
        out.write("# SYNTHETIC DATA (benchmark)\n")
        wide.to_csv(out, index=False, float_format="%.6g")


def child(which: str, path: str) -> None:
    """The measured work, in this process: stage times and peak RSS as one JSON line."""
    import resource

    t0 = time.perf_counter()
    from her2rwe.derive import dataset
    from her2rwe.records import ingest

    spec = study(which)
    t1, c1 = time.perf_counter(), time.process_time()
    raw = ingest.read_raw_csv(path, keep=dataset.declared_columns(spec))
    t2 = time.perf_counter()
    problems, _ = dataset.cohort_problems(dataset.study_settings(spec), raw)
    t3, c3 = time.perf_counter(), time.process_time()
    if problems:
        raise SystemExit(str(ingest.InputError(problems)))
    peak_checks = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    del raw
    data = dataset.build_study_data(spec, path)
    t4 = time.perf_counter()
    print(
        json.dumps(
            {
                "imports": t1 - t0,
                "read": t2 - t1,
                "checks": t3 - t2,
                "cpu": c3 - c1,
                "whole build_study_data": t4 - t3,
                "rows": len(data.dataset),
                "peak_checks_mb": peak_checks,
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def measure(which: str, path: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    load = os.getloadavg()[0]
    out = subprocess.run(
        [sys.executable, __file__, "--child", which, str(path)],
        capture_output=True,
        text=True,
        env=env,
    )
    if out.returncode:
        raise SystemExit(out.stderr)
    return {**json.loads(out.stdout.strip().splitlines()[-1]), "load": load}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--which", nargs="+", default=["duration", "wide"])
    parser.add_argument("--write-doc", type=Path)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    rows = []
    with tempfile.TemporaryDirectory(prefix="her2rwe-ingest-") as tmp:
        for which in args.which:
            path = Path(tmp) / f"{which}.csv"
            (write_wide if which == "wide" else write_duration)(args.n, path)
            res = measure(which, path)
            res["mb"] = path.stat().st_size / 1e6
            res["columns"] = len(path.read_text().splitlines()[1].split(","))
            rows.append((which, res))
            print(which, res, flush=True)
    lines = [
        "| file | size (MB) | columns | read (s) | checks (s) | read + checks (s) "
        "| read + checks, CPU user + sys (s) "
        "| peak RSS (MB) | whole `build_study_data` (s) | its peak RSS (MB) | 1-minute load before |",
        "| :--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for which, r in rows:
        lines.append(
            f"| {which} | {r['mb']:.0f} | {r['columns']} | {r['read']:.2f} | {r['checks']:.2f} "
            f"| {r['read'] + r['checks']:.2f} | {r['cpu']:.2f} | {r['peak_checks_mb']:.0f} "
            f"| {r['whole build_study_data']:.2f} | {r['peak_mb']:.0f} | {r['load']:.2f} |"
        )
    table = "\n".join(lines)
    text = f"""{SECTION}

{args.n:,} synthetic patients (benchmarks/bench_ingest.py: `duration` is the file of
bench_scale.py, `wide` the same patients with 32 columns). In a fresh process: `read` is
`records.ingest.read_raw_csv` (declared columns only), `checks` the identifier guard and every
cohort check (`derive.dataset.cohort_problems`); the whole `build_study_data` (read, checks, typing,
endpoints) is then timed again from the start, after the first table is freed. CPU time (user +
sys, all threads) of read + checks; on a shared machine it moves less with the load than the wall
time. Peak RSS of the process after the checks, and at the end.
Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}. Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC at commit {commit()}.

Reproduce:

```
python benchmarks/bench_ingest.py --n {args.n} --write-doc docs/benchmarks.md
```

{table}
"""
    publish(text, args.write_doc, SECTION)


if __name__ == "__main__":
    main()
