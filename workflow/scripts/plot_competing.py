"""Draw the cumulative-incidence figure of every competing-risks endpoint of one study (PDF,
300-dpi PNG and the text it draws) from the competing-risks results; numbers at risk are masked
below min_cell_count."""

import sys

import pandas as pd

from her2rwe import io
from her2rwe.outputs.plotting import competing, style

sys.stderr = open(snakemake.log[0], "w", buffering=1)
inp = snakemake.input
tables = {
    "cumulative_incidence": io.read_table(inp.cumulative_incidence, dtype={"arm": str}),
    "competing_comparisons": io.read_table(inp.competing_comparisons, dtype={"arm": str}),
    "cif_curves": pd.read_parquet(inp.cif_curves),
    "cif_risk_table": io.read_table(inp.risk_table, dtype={"arm": str}),
}
k = snakemake.params.min_cell_count
for name, fig in competing.draw_figures(tables, snakemake.params.study, k):
    out = snakemake.output
    style.save(fig, out[f"{name}_pdf"], out[f"{name}_png"], out[f"{name}_txt"])
    print(f"{name}: written", file=sys.stderr)
print(f"min_cell_count {k}", file=sys.stderr)
