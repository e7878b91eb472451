"""All studies' reproduction at a glance (results/reproduction_summary.md); with
strict_reproduction, fail naming every missed target."""

import sys
from pathlib import Path

from her2rwe import io
from her2rwe.outputs import reproduce

sys.stderr = open(snakemake.log[0], "w", buffering=1)
results = {Path(path).parent.name: io.read_table(path) for path in snakemake.input.tables}
io.write_text(
    reproduce.summary_markdown(results, snakemake.params.studies), snakemake.output.summary
)
missed = reproduce.missed_targets(results)
if missed and snakemake.params.strict:
    message = "strict_reproduction: published targets not reproduced:\n" + "\n".join(
        f"  - {m}" for m in missed
    )
    print(message, file=sys.stderr)
    print(message, file=sys.__stderr__)
    sys.exit(1)
print(f"{len(missed)} target(s) missed", file=sys.stderr)
