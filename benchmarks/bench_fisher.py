"""Fisher's exact test on larger r x c tables: our exact enumeration against R's fisher.test.

The tables are those of tests/fixtures/tables_fisher_large.csv (2x3 .. 3x4, 50 to 1,000 patients;
written by tests/r/fisher_large_reference.R). Each table is timed in this process after one warm-up
call of a small table (imports and caches excluded), with the default work budget; with --r, each is
also timed in R (fisher.test with the workspace the fixture names, `system.time` of the call alone).
Prints a Markdown table and the largest relative difference from R's p-values.

    PYTHONPATH=src python benchmarks/bench_fisher.py [--r]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from her2rwe.stats import proportions

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "tables_fisher_large.csv"

R_TIMER = """
d <- read.csv("{csv}")
for (i in seq_len(nrow(d))) {{
  x <- matrix(as.integer(strsplit(d$cells[i], ";")[[1]]), d$nrow[i], byrow = TRUE)
  x <- x[rowSums(x) > 0, colSums(x) > 0, drop = FALSE]
  s <- system.time(fisher.test(x, workspace = d$workspace[i]))[["elapsed"]]
  cat(sprintf("%.3f\\n", s))
}}
"""


def table_of(row) -> np.ndarray:
    cells = [int(v) for v in str(row["cells"]).split(";")]
    return np.array(cells).reshape(int(row["nrow"]), int(row["ncol"]))


def r_seconds(data: pd.DataFrame) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "tables.csv"
        data.to_csv(csv, index=False)
        script = Path(tmp) / "time.R"
        script.write_text(R_TIMER.format(csv=csv))
        out = subprocess.run(
            ["Rscript", str(script)], check=True, capture_output=True, text=True
        ).stdout
    return [float(v) for v in out.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--r", action="store_true", help="time R's fisher.test too")
    args = parser.parse_args()
    data = pd.read_csv(FIXTURE)
    proportions.fisher_exact_p([[3, 1, 2], [1, 4, 5]])
    ours, worst = [], 0.0
    for _, row in data.iterrows():
        start = time.perf_counter()
        p = proportions.fisher_exact_p(table_of(row))
        ours.append(time.perf_counter() - start)
        worst = max(worst, abs(p - row["fisher_p"]) / row["fisher_p"])
    theirs = r_seconds(data) if args.r else [float("nan")] * len(data)
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, numpy {np.__version__}; 1-minute load average "
        f"{os.getloadavg()[0]:.2f}\n"
    )
    print("| table | R workspace | ours (s) | R fisher.test (s) |")
    print("| :--- | ---: | ---: | ---: |")
    for (_, row), a, b in zip(data.iterrows(), ours, theirs, strict=True):
        print(f"| {row['label']} | {row['workspace']:.0e} | {a:.3f} | {b:.3f} |")
    print(f"| **total** | | **{sum(ours):.2f}** | **{sum(theirs):.2f}** |")
    print(f"\nLargest relative difference from R's p-value: {worst:.1e}")


if __name__ == "__main__":
    main()
