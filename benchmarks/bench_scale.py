"""The whole workflow on a 1,000,000-patient cohort against R survival on the same CSV, in one run.

A synthetic two-arm cohort in duration form with one endpoint (PFS) and three covariates is written
as CSV (benchmarks/bench_survival.generate, seed 20240501). Then, one after the other in the same
run: the whole workflow on a project holding only that study (fresh, `--cores 2`, every output of
`rule all`), with its job timeline and each job's peak memory; and R survival reading the same CSV
(read.csv), Kaplan-Meier by arm with the log-log median CI, the log-rank test and the Cox models on
arm and on arm + the three covariates (wall time of the Rscript process). Reported as a ratio.

    python benchmarks/bench_scale.py [--n 1000000] [--write-doc docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_survival import generate, rscript  # noqa: E402
from bench_workflow import commit, publish  # noqa: E402
from jobs import run_with_timeline, timeline_table  # noqa: E402

SECTION = "## Whole workflow at scale against R"

CONFIG = """\
studies:
  scale:
    title: "Synthetic benchmark cohort"
    synthetic: true
    cohort: data/cohort.csv
    arms: {column: arm, reference: HP+C}
    endpoints: [pfs]
    covariates: [age, ecog, visceral_mets]
"""

R_SCRIPT = r"""
suppressPackageStartupMessages(library(survival))
d <- read.csv(commandArgs(TRUE)[1])
d$arm <- relevel(factor(d$arm), ref = "HP+C")
f <- survfit(Surv(pfs_months, pfs_event) ~ arm, data = d, conf.type = "log-log")
q <- quantile(f, probs = 0.5)
sd <- survdiff(Surv(pfs_months, pfs_event) ~ arm, data = d)
c1 <- coxph(Surv(pfs_months, pfs_event) ~ arm, data = d)
c4 <- coxph(Surv(pfs_months, pfs_event) ~ arm + age + ecog + visceral_mets, data = d)
cat(sprintf("median %.6f %.6f chisq %.6f hr %.6f\n", q$quantile[1], q$quantile[2], sd$chisq, exp(coef(c1))))
"""


def make_project(root: Path, n: int) -> Path:
    import pandas as pd

    data = root / "data"
    data.mkdir(parents=True)
    parquet = root / "cohort.parquet"
    generate(n, tied=False, path=parquet)
    pd.read_parquet(parquet).to_csv(data / "cohort.csv", index=False, float_format="%.17g")
    parquet.unlink()
    (root / "config.yaml").write_text(CONFIG)
    return root


def run_r(csv: Path, workdir: Path) -> tuple[float, str]:
    wall, stdout = rscript(R_SCRIPT, csv, workdir)
    if stdout is None:
        raise SystemExit("Rscript failed")
    return wall, stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--write-doc", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="her2rwe-scale-") as tmp:
        project = make_project(Path(tmp) / "project", args.n)
        csv = project / "data" / "cohort.csv"
        size_mb = csv.stat().st_size / 1e6
        load_ours = os.getloadavg()[0]
        wall, cpu, jobs = run_with_timeline(project, ["--cores", "2"])
        load_r = os.getloadavg()[0]
        r_wall, r_out = run_r(csv, Path(tmp))
    ratio = wall / r_wall
    ok = "met" if ratio <= 1 else "NOT met"
    text = f"""{SECTION}

{args.n:,} patients, two arms, duration form, one endpoint (PFS), three covariates; CSV of
{size_mb:.0f} MB. Ours: the whole workflow, fresh, `--cores 2` (every output of `rule all`: dataset,
tables, figures, summary, DOCX, manifest), wall time of the `snakemake` process. R: `Rscript` reading
the same CSV with read.csv, survfit by arm (log-log CI) and its median, survdiff, coxph on arm and on
arm + 3 covariates (wall time of the process). Same benchmark run, one after the other.
Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}. Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC at commit {commit()}.

Reproduce:

```
python benchmarks/bench_scale.py --n {args.n} --write-doc docs/benchmarks.md
```

| measurement | wall (s) | 1-minute load average before |
| :--- | ---: | ---: |
| whole workflow (ours; {cpu:.1f} s CPU, user + system) | {wall:.1f} | {load_ours:.2f} |
| R survival: read + KM + log-rank + Cox | {r_wall:.1f} | {load_r:.2f} |
| **ratio ours / R** | **{ratio:.2f}** | |

Budget (ours <= R): {ok}. R printed: `{r_out}`.

Jobs (start and end in seconds from the start of the run; CPU time and peak RSS of each job's
process):

{timeline_table(jobs, wall)}
"""
    publish(text, args.write_doc, SECTION)


if __name__ == "__main__":
    main()
