"""Draw the treatment-sequence figure of a records study from its shareable sequence table."""

import sys

from her2rwe import io
from her2rwe.outputs.plotting import style
from her2rwe.outputs.plotting.sequences import draw_sequences

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sequences = io.read_table(snakemake.input.sequences)
fig = draw_sequences(sequences, snakemake.params.study["title"] or snakemake.wildcards.study)
style.save(fig, snakemake.output.pdf, snakemake.output.png)
print("sequences: written", file=sys.stderr)
