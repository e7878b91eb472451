"""Validate a records study's files and write its lines of therapy (every patient)."""

import sys

from her2rwe import io
from her2rwe.derive.records_pipeline import derive_study_lines
from her2rwe.records.ingest import InputError

sys.stderr = open(snakemake.log[0], "w", buffering=1)
try:
    result = derive_study_lines(
        snakemake.params.study, dict(snakemake.input), snakemake.params.days_per_month
    )
except InputError as exc:
    print(exc, file=sys.stderr)
    print(exc, file=sys.__stderr__)
    sys.exit(1)
for note in result.notes:
    print(note, file=sys.stderr)
io.write_parquet(result.lines, snakemake.output.lines)
io.write_table(result.discrepancies, snakemake.output.discrepancies)
io.write_parquet(result.patients, snakemake.output.patients)
print(
    f"{result.patients.shape[0]} patients, {result.lines.shape[0]} lines of therapy; "
    f"{result.discrepancies.shape[0]} exposure(s) numbered differently by the rules than given",
    file=sys.stderr,
)
