"""Draw every figure of one study from its computed results tables (PDF and 300-dpi PNG); for a
records study also its flow (from the shareable attrition table) and treatment-sequence figures.

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
if "flow_pdf" in snakemake.output.keys():  # a records study: the flow and sequence figures
    from functools import partial

    from her2rwe import io
    from her2rwe.formatting import LevelLabels
    from her2rwe.outputs.plotting.flow import draw_flow
    from her2rwe.outputs.plotting.sequences import draw_sequences

    title = snakemake.params.methods["title"]
    for name, draw, table in (
        ("flow", partial(draw_flow, labels=LevelLabels.of(snakemake.params.study)), snakemake.input.flow_attrition),
        ("sequences", draw_sequences, snakemake.input.sequences_table),
    ):
        fig = draw(io.read_table(table), title)
        style.save(fig, snakemake.output[f"{name}_pdf"], snakemake.output[f"{name}_png"])
        print(f"{name}: written", file=sys.stderr)
print(f"min_cell_count {k}", file=sys.stderr)
