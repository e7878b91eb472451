"""Draw every figure of one study from its computed results tables (PDF and 300-dpi PNG).

The tables are the unsuppressed ones (results/{study}/internal/); counts printed in the figures are
masked below min_cell_count."""

import sys

from her2rwe.outputs.plotting import figures, style

sys.stderr = open(snakemake.log[0], "w", buffering=1)
tables = figures.read_tables(dict(snakemake.input.items()))
names = snakemake.params.names
k = snakemake.params.min_cell_count
for name, fig in figures.draw_study_figures(tables, snakemake.params.study, names, k):
    style.save_named(fig, name, snakemake.output)
    print(f"{name}: written", file=sys.stderr)
print(f"min_cell_count {k}", file=sys.stderr)
