"""Validate a study's input files and write its analysis dataset and attrition table.

The attrition table is written twice: unsuppressed under results/{study}/internal/, and with small
counts masked (min_cell_count) under results/{study}/tables/ for sharing.
"""

import sys

from her2rwe import io
from her2rwe.derive.dataset import build_study_data
from her2rwe.derive.records_pipeline import build_records_study_data, derive_study_lines
from her2rwe.outputs.shareable import shareable_attrition
from her2rwe.records.ingest import InputError

sys.stderr = open(snakemake.log[0], "w", buffering=1)
notes = []  # a records study's notes on its records (also in derive_lines' log)
try:
    if "records" in snakemake.params.study:
        # the same reading, validation and lines as derive_lines (records.smk), in this process
        records = derive_study_lines(
            snakemake.params.study, dict(snakemake.input), snakemake.params.days_per_month
        )
        data = build_records_study_data(
            snakemake.params.study,
            records.lines,
            records.patients,
            records.assessments,
            records.adverse_events,
            days_per_month=snakemake.params.days_per_month,
            name=snakemake.wildcards.study,
        )
        notes = records.notes
    else:
        data = build_study_data(
            snakemake.params.study,
            snakemake.input.cohort,
            snakemake.input.get("adverse_events"),
            days_per_month=snakemake.params.days_per_month,
            assessments_path=snakemake.input.get("assessments"),
        )
except InputError as exc:
    print(exc, file=sys.stderr)
    print(exc, file=sys.__stderr__)
    sys.exit(1)
for note in notes + data.notes:
    print(note, file=sys.stderr)
io.write_parquet(data.dataset, snakemake.output.dataset)
io.write_parquet(data.adverse_events, snakemake.output.adverse_events)
io.write_parquet(data.tumour_response, snakemake.output.tumour_response)
io.write_table(data.attrition, snakemake.output.attrition_internal)
io.write_table(
    shareable_attrition(data.attrition, snakemake.params.min_cell_count), snakemake.output.attrition
)
print(
    f"{len(data.dataset)} patients, {len(data.adverse_events)} adverse-event rows; "
    f"min_cell_count {snakemake.params.min_cell_count}",
    file=sys.stderr,
)
