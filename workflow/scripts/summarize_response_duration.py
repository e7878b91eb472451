"""Write a study's duration-of-response table (CSV unrounded, shareable and internal; Markdown)."""

import sys

from her2rwe import io
from her2rwe.outputs.response_duration import response_duration_tables

sys.stderr = open(snakemake.log[0], "w", buffering=1)
patients = io.read_analysis_dataset(snakemake.input.patients)
table, shared, markdown = response_duration_tables(
    patients, snakemake.params.study, snakemake.params.min_cell_count
)
io.write_table(table, snakemake.output.internal)
io.write_table(shared, snakemake.output.csv)
io.write_text(markdown, snakemake.output.md)
print(
    f"{int(table['responders'].sum())} responders in {len(table)} arm(s); "
    f"min_cell_count {snakemake.params.min_cell_count}",
    file=sys.stderr,
)
