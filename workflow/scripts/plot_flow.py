"""Draw the CONSORT-style flow figure of a records study from its shareable attrition table."""

import sys

from her2rwe import io
from her2rwe.outputs.plotting import style
from her2rwe.outputs.plotting.flow import draw_flow

sys.stderr = open(snakemake.log[0], "w", buffering=1)
attrition = io.read_table(snakemake.input.attrition)
fig = draw_flow(attrition, snakemake.params.study["title"] or snakemake.wildcards.study)
style.save(fig, snakemake.output.pdf, snakemake.output.png)
print("flow: written", file=sys.stderr)
