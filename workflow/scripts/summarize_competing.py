"""Cumulative incidence, Gray's test and Fine-Gray comparisons of one study's competing-risks
endpoints.

Each table is written unsuppressed under results/{study}/internal/ and with small counts masked
(min_cell_count) under results/{study}/tables/, with a Markdown copy formatted from the shareable one
(for tables.docx); the curves and numbers at risk for the figure under results/{study}/competing/.
"""

import dataclasses
import sys

import pandas as pd
import pyarrow.parquet as pq

from her2rwe import io
from her2rwe.analyses import competing
from her2rwe.outputs.table_files import write_internal_and_shared

sys.stderr = open(snakemake.log[0], "w", buffering=1)
study = snakemake.params.study
k = snakemake.params.min_cell_count
path = snakemake.input.dataset
data = pd.read_parquet(path, columns=competing.analysis_columns(study, pq.read_schema(path).names))
results = competing.summarize_competing(data, study)
out = snakemake.output
shared = write_internal_and_shared(
    {name: getattr(results, name) for name in ("cumulative_incidence", "competing_comparisons")},
    k,
    out,
    sys.stderr,
)
formatted = competing.format_tables(
    dataclasses.replace(results, **{name: s.table for name, s in shared.items()}),
    study,
    {name: s.footnote() for name, s in shared.items()},
)
for name, text in formatted.items():
    io.write_text(text, out[f"{name}_md"])
io.write_parquet(results.cif_curves, out.cif_curves)
io.write_table(results.risk_table, out.risk_table)
print(
    f"{len(data)} patients, competing-risks endpoints {', '.join(study['competing_endpoints'])}, "
    f"min_cell_count {k}",
    file=sys.stderr,
)
