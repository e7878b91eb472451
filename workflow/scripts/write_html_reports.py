"""Write every study's standalone HTML report (results/{study}/report.html) from its shareable
outputs: summary, tables, figures and reproduction status (her2rwe.outputs.html_report)."""

import sys

from her2rwe import io
from her2rwe.outputs import html_report

sys.stderr = open(snakemake.log[0], "w", buffering=1)

for i, (name, study) in enumerate(snakemake.params.studies.items()):
    page, n_tables, n_figures = html_report.build_study_report(
        name,
        study,
        f"results/{name}",
        snakemake.params.files[name],
        snakemake.params.captions[name],
        snakemake.params.methods[name],
    )
    io.write_text(page, snakemake.output.reports[i])
    print(f"{name}: report with {n_tables} tables and {n_figures} figures", file=sys.stderr)
