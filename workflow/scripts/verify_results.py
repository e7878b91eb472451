"""The drift check of `snakemake verify`: this run's results against the frozen expected results."""

import sys

from her2rwe.outputs.verify import verify

log = open(snakemake.log[0], "w", buffering=1)
expected = snakemake.params.expected
if not expected:
    message = (
        "verify: no expected results configured: set verify.expected in the config "
        "(a folder written by `her2rwe freeze --to DIR`)"
    )
    print(message, file=log)
    sys.exit(message)
outcome = verify(expected, "results", rtol=snakemake.params.rtol, atol=snakemake.params.atol)
text = outcome.render()
print(text, file=log)
print(text, file=sys.stderr)
if not outcome.ok:
    sys.exit(f"verify: results drifted from {expected} (the list: results/logs/verify.log)")
