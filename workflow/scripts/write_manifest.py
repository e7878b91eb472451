"""The checksum manifest of every output (results/MANIFEST.sha256, `sha256sum -c` format).

A script job: a `run:` block would start a second Snakemake process that parses the whole workflow
again (and checks the config against the data) just to hash the files."""

import sys

from her2rwe.io import sha256_manifest, write_text

sys.stderr = open(snakemake.log[0], "w", buffering=1)
write_text(sha256_manifest(".", snakemake.input), snakemake.output[0])
print(f"{len(snakemake.input)} files", file=sys.stderr)
