"""The tables of one study, in one job (one Python start-up): first the Kaplan-Meier summaries,
landmarks, comparisons, Cox models and subgroups, then the response, adverse-event and baseline
tables (CSV, unrounded; Markdown, formatted). Each part writes its own log.

Each table is written twice: unsuppressed under results/{study}/internal/ (for figures and
reproduction checks), and with small counts masked (min_cell_count) under results/{study}/tables/
for sharing; the Markdown tables are formatted from the shareable copies.
"""

import dataclasses
import sys

import pandas as pd
import pyarrow.parquet as pq

from her2rwe import io
from her2rwe.analyses import survival
from her2rwe.config import has_adverse_events
from her2rwe.outputs import shareable, survival_tables
from her2rwe.outputs.study_tables import log_lines, summarize_study_tables
from her2rwe.outputs.table_files import write_internal_and_shared

study = snakemake.params.study
k = snakemake.params.min_cell_count
out = snakemake.output

# ---- survival ----------------------------------------------------------------------------------
sys.stderr = open(snakemake.log["survival"], "w", buffering=1)
path = snakemake.input.dataset
data = pd.read_parquet(path, columns=survival.analysis_columns(study, pq.read_schema(path).names))
results = survival.summarize_survival(data, study)
shared = dict(
    zip(
        ("survival", "subgroup_survival"),
        shareable.survival_tables(
            results.survival, results.subgroup_survival, k, data["arm"].value_counts().to_dict()
        ),
        strict=True,
    )
)
shared["comparisons"] = shareable.comparisons(results.comparisons, k, shared["survival"])
names = ("survival", "landmarks", "comparisons", "cox_models", "subgroup_survival")
shared = write_internal_and_shared(
    {name: getattr(results, name) for name in names}, k, out, sys.stderr, decided=shared
)
notes = {name: shared[name].footnote() for name in ("survival", "comparisons", "cox_models")}
formatted = survival.format_tables(
    dataclasses.replace(results, **{name: s.table for name, s in shared.items()}), study, notes
)
formatted["landmarks"] = survival_tables.format_landmarks(
    shared["landmarks"].table, study, shared["landmarks"].footnote()
)
formatted["subgroup_survival"] = survival_tables.format_subgroups(
    shared["subgroup_survival"].table, study, shared["subgroup_survival"].footnote()
)
for name, text in formatted.items():
    io.write_text(text, out[f"{name}_md"])
io.write_parquet(results.km_curves, out.km_curves)
io.write_table(results.risk_table, out.risk_table)
print(
    f"{len(data)} patients, {len(study['endpoints'])} endpoints, "
    f"method {study['ci_method']}, min_cell_count {k}",
    file=sys.stderr,
)
del data, results, shared, formatted

# ---- response, adverse events and baseline ------------------------------------------------------
sys.stderr = open(snakemake.log["tables"], "w", buffering=1)
tables = summarize_study_tables(
    study,
    io.read_analysis_dataset(snakemake.input.dataset),
    io.read_analysis_dataset(snakemake.input.adverse_events),
    has_adverse_event_file=has_adverse_events(study),
    min_cell_count=k,
)
for name, table in tables.items():
    io.write_table(table.unsuppressed, out[f"{name}_internal"])
    io.write_table(table.frame, out[f"{name}_csv"])
    io.write_text(table.markdown, out[f"{name}_md"])
print("\n".join(log_lines(tables)), file=sys.stderr)
print(f"min_cell_count {k}", file=sys.stderr)
