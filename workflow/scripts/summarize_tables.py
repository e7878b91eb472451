"""Write a study's response, adverse-event and baseline tables (CSV, unrounded; Markdown, formatted).

Each CSV is written twice: unsuppressed under results/{study}/internal/, and with small counts
masked (min_cell_count) under results/{study}/tables/; the Markdown tables are the shareable ones.
"""

import sys

from her2rwe import io
from her2rwe.config import has_adverse_events
from her2rwe.outputs.study_tables import log_lines, summarize_study_tables

sys.stderr = open(snakemake.log[0], "w", buffering=1)
study = snakemake.params.study
tables = summarize_study_tables(
    study,
    io.read_analysis_dataset(snakemake.input.dataset),
    io.read_analysis_dataset(snakemake.input.adverse_events),
    has_adverse_event_file=has_adverse_events(study),
    min_cell_count=snakemake.params.min_cell_count,
)
for name, table in tables.items():
    io.write_table(table.unsuppressed, snakemake.output[f"{name}_internal"])
    io.write_table(table.frame, snakemake.output[f"{name}_csv"])
    io.write_text(table.markdown, snakemake.output[f"{name}_md"])
print("\n".join(log_lines(tables)), file=sys.stderr)
print(f"min_cell_count {snakemake.params.min_cell_count}", file=sys.stderr)
