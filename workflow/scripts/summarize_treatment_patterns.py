"""Treatment patterns of a records study: line-to-line transitions and outcomes by line."""

import sys

from her2rwe import io
from her2rwe.analyses.treatment_patterns import summarize_outcomes_by_line, summarize_sequences
from her2rwe.outputs.patterns import shareable_treatment_patterns

sys.stderr = open(snakemake.log[0], "w", buffering=1)
study = snakemake.params.study
lines = io.read_analysis_dataset(snakemake.input.lines)
patients = io.read_analysis_dataset(snakemake.input.patients)
sequences = summarize_sequences(lines)
outcomes = summarize_outcomes_by_line(
    lines, patients, snakemake.params.days_per_month, study["ci_method"], study["conf_level"]
)
io.write_table(sequences, snakemake.output.sequences_internal)
io.write_table(outcomes, snakemake.output.outcomes_internal)
k = snakemake.params.min_cell_count
shown_sequences, shown_outcomes = shareable_treatment_patterns(sequences, outcomes, k)
io.write_table(shown_sequences, snakemake.output.sequences)
io.write_table(shown_outcomes, snakemake.output.outcomes)
print(
    f"{len(sequences)} transition rows, {len(outcomes)} outcome rows; min_cell_count {k}",
    file=sys.stderr,
)
