"""Compare every study's published targets with its result tables: results/{study}/reproduction.csv.

Targets are checked on the unsuppressed tables (results/{study}/internal/); in the written table, a
computed count below min_cell_count (and the percentage made from it) is masked, and so is a value
that the shareable copy of its table (results/{study}/tables/) masks."""

import sys
from pathlib import Path

from her2rwe import io
from her2rwe.outputs import reproduce, shareable

sys.stderr = open(snakemake.log[0], "w", buffering=1)
k = snakemake.params.min_cell_count
tables, shared = {}, {}
for name, path in snakemake.input.items():
    study, key = name.rsplit("__", 1)
    if key.startswith("shared_"):
        shared.setdefault(study, {})[key.removeprefix("shared_")] = io.read_table(path)
        continue
    read = io.read_analysis_dataset if path.endswith(".parquet") else io.read_table
    tables.setdefault(study, {})[key] = read(path)
for out in snakemake.output.tables:
    study = Path(out).parent.name
    table = reproduce.check_targets(snakemake.params.studies[study]["targets"], tables[study])
    io.write_table(shareable.reproduction(table, tables[study], k, shared.get(study)), out)
    for row in table.itertuples(index=False):
        print(
            f"{study}: {row.status:8} {row.metric} = {row.computed:.6g} {row.note}", file=sys.stderr
        )
