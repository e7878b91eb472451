"""Compare a study's published targets with its result tables: results/{study}/reproduction.csv."""

import sys

from her2rwe import io, reproduce

sys.stderr = open(snakemake.log[0], "w", buffering=1)
tables = {
    key: io.read_analysis_dataset(path) if path.endswith(".parquet") else io.read_table(path)
    for key, path in snakemake.input.items()
}
table = reproduce.check_targets(snakemake.params.study.get("targets", []), tables)
io.write_table(table, snakemake.output.table)
for row in table.itertuples(index=False):
    print(
        f"{row.status:8} {row.metric}: published {row.published:g}, computed {row.computed:.6g} {row.note}",
        file=sys.stderr,
    )
