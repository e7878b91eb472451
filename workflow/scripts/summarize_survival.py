"""Kaplan-Meier summaries, landmarks, comparisons, Cox models and subgroups of one study."""

import sys

import pandas as pd
import pyarrow.parquet as pq

from her2rwe import io, survival

sys.stderr = open(snakemake.log[0], "w", buffering=1)
study = snakemake.params.study
path = snakemake.input.dataset
data = pd.read_parquet(path, columns=survival.analysis_columns(study, pq.read_schema(path).names))
results = survival.summarize_survival(data, study)
out = snakemake.output
for name in ("survival", "landmarks", "comparisons", "cox_models", "subgroup_survival"):
    io.write_table(getattr(results, name), out[name])
for name, text in survival.format_tables(results, study).items():
    io.write_text(text, out[f"{name}_md"])
io.write_parquet(results.km_curves, out.km_curves)
io.write_table(results.risk_table, out.risk_table)
print(
    f"{len(data)} patients, {len(study['endpoints'])} endpoints, "
    f"method {study.get('ci_method', 'log-log')}",
    file=sys.stderr,
)
