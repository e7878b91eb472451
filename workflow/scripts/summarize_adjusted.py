"""The adjusted comparison of one study (propensity score, weights, balance, weighted survival).

Each table is written twice: unsuppressed under results/{study}/internal/ (for the figures), and
with small counts masked (min_cell_count) under results/{study}/tables/ for sharing; the Markdown
table and the methods paragraph are formatted from the shareable copies.
"""

import dataclasses
import sys

import pandas as pd

from her2rwe import io
from her2rwe.analyses import adjusted
from her2rwe.outputs.table_files import write_internal_and_shared

sys.stderr = open(snakemake.log[0], "w", buffering=1)
study = snakemake.params.study
k = snakemake.params.min_cell_count
data = pd.read_parquet(snakemake.input.dataset)
results = adjusted.summarize_adjusted(data, study)
out = snakemake.output
tables = {
    "balance": results.balance,
    "adjusted_comparisons": results.comparisons,
    "adjusted_survival": results.survival,
    "adjusted_attrition": results.attrition,
}
shared = write_internal_and_shared(tables, k, out, sys.stderr)
shown = dataclasses.replace(
    results,
    balance=shared["balance"].table,
    comparisons=shared["adjusted_comparisons"].table,
)
notes = {name: shared[name].footnote() for name in ("balance", "adjusted_comparisons")}
io.write_text(adjusted.format_tables(shown, study, notes)["adjusted"], out.adjusted_md)
io.write_text(adjusted.methods_text(study, results) + "\n", out.methods)
io.write_parquet(results.km_curves, out.km_curves)
io.write_table(results.risk_table, out.risk_table)
io.write_parquet(results.scores, out.scores)
for c in results.summary["comparisons"]:
    verdict = "balanced" if c["balanced"] else "not balanced: " + ", ".join(c["flagged"])
    print(f"{c['arm']} vs {c['reference']}: {verdict}", file=sys.stderr)
print(f"min_cell_count {k}", file=sys.stderr)
