"""Draw the adjusted comparison's figures of one study: love plot, propensity-score overlap,
weighted Kaplan-Meier (PDF and 300-dpi PNG, and the text each draws). Counts printed in the
figures are masked below min_cell_count."""

import sys

import pandas as pd

from her2rwe import io
from her2rwe.derive.dataset import arm_levels
from her2rwe.outputs.plotting import adjusted, style

sys.stderr = open(snakemake.log[0], "w", buffering=1)
tables = {}
for key in adjusted.TABLES:
    path = snakemake.input[key]
    tables[key] = (
        pd.read_parquet(path)
        if path.endswith(".parquet")
        else io.read_table(path, dtype={"group": str, "arm": str, "reference": str, "level": str})
    )
k = snakemake.params.min_cell_count
study = snakemake.params.study
arms = arm_levels(study, sorted(set(tables["adjusted_survival"]["arm"].astype(str))))
for name, fig in adjusted.draw_adjusted_figures(tables, study, arms, k):
    style.save_named(fig, name, snakemake.output)
    print(f"{name}: written", file=sys.stderr)
print(f"min_cell_count {k}", file=sys.stderr)
