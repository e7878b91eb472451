"""Time the ingest checks (identifier guard, schema, chronology) and attrition suppression.

Run: PYTHONPATH=src python benchmarks/ingest_checks.py
The example cohort (110 patients) is stacked to 22,000 rows with fresh patient IDs.

Results 2026-11-21 on the shared 2-core machine (load ~3.5), best of 3:
  build_study_data, example (110 rows): 336 ms
  read_raw_csv, 22,000 rows: 463 ms
  identifier guard, 22,000 rows x 19 columns: 398 ms (2,607 ms before it checked distinct values only)
  all cohort checks, 22,000 rows: 1,330 ms
  shareable_attrition, k=11, with masking: 811 ms on the first call (scipy.optimize import), 29 ms after
"""

import time
from pathlib import Path

import pandas as pd

from her2rwe.derive.dataset import build_study_data, cohort_problems, shareable_attrition
from her2rwe.records import identifiers
from her2rwe.records.ingest import read_raw_csv

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "data" / "raw" / "example"
STUDY = {
    "arms": {"column": "arm", "reference": "HP+C"},
    "endpoints": ["pfs", "os", "ttf", "ttnt", "dot"],
}


def timed(label, fn, repeat=3):
    best = min(_once(fn) for _ in range(repeat))
    print(f"{label}: {best * 1000:.0f} ms")


def _once(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main(tmp=Path("/tmp/her2rwe_bench")):
    tmp.mkdir(exist_ok=True)
    raw = read_raw_csv(EXAMPLE / "cohort.csv")
    big = pd.concat(
        [raw.frame.assign(patient_id=raw.frame.patient_id + f"-{i}") for i in range(200)]
    )
    big.to_csv(tmp / "cohort_22k.csv", index=False)
    timed(
        "build_study_data, example (110 rows)",
        lambda: build_study_data(STUDY, EXAMPLE / "cohort.csv", EXAMPLE / "adverse_events.csv"),
    )
    big_raw = read_raw_csv(tmp / "cohort_22k.csv")
    timed("read_raw_csv, 22,000 rows", lambda: read_raw_csv(tmp / "cohort_22k.csv"))
    timed(
        "identifier guard, 22,000 rows x 19 columns",
        lambda: identifiers.find_identifiers(big_raw.frame, big_raw.lines),
    )
    timed("all cohort checks, 22,000 rows", lambda: cohort_problems(STUDY, big_raw))
    attrition = build_study_data(STUDY, EXAMPLE / "cohort.csv").attrition
    small = attrition.assign(n=[5, 2, 3, 60, 0, 60, 65, 2, 63])
    timed(
        "shareable_attrition, k=11, with masking (incl. solver import on first call)",
        lambda: shareable_attrition(small, 11),
        repeat=1,
    )
    timed("shareable_attrition, k=11, with masking", lambda: shareable_attrition(small, 11))


if __name__ == "__main__":
    main()
