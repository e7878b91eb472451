"""Write every study's standalone HTML report (results/{study}/report.html) from its shareable
outputs: summary, tables, figures and reproduction status (her2rwe.outputs.html_report); and its
reporting checklist (results/{study}/checklist.md, her2rwe.outputs.checklist)."""

import sys

from her2rwe import io
from her2rwe.outputs import checklist, html_report

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
    facts = checklist.facts(
        html_report.records(*html_report.read_csv(f"results/{name}/tables/attrition.csv")),
        html_report.records(*html_report.read_csv(f"results/{name}/tables/missingness.csv")),
        snakemake.params.outputs[name],
    )
    io.write_text(checklist.checklist_markdown(name, study, facts), snakemake.output.checklists[i])
