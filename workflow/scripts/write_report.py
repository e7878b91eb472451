"""Write a study's results paragraph, methods paragraph and manuscript tables (DOCX)."""

import sys
from pathlib import Path

import pandas as pd

from her2rwe import io, report
from her2rwe.dataset import arm_levels, reference_arm

sys.stderr = open(snakemake.log[0], "w", buffering=1)
study = snakemake.params.study


def table(name):
    path = snakemake.input.get(name)
    if not path or Path(path).stat().st_size == 0:
        return None
    frame = pd.read_csv(path)
    return None if frame.empty else frame


survival = table("survival")
arms_present = sorted(survival.loc[survival["split"] == "arm", "group"].astype(str).unique())
arms = arm_levels(study, arms_present)
reference = reference_arm(study, arms_present) if len(arms) > 1 else None
paragraph = report.results_paragraph(
    study,
    survival,
    table("comparisons"),
    table("response"),
    table("response_comparisons"),
    table("adverse_events"),
    arms=arms,
    reference=reference,
)
methods = report.methods_paragraph(study, snakemake.params.days_per_month, report.software_versions())
title = study.get("title") or snakemake.wildcards.study
synthetic = "\n\n_Synthetic data: no row describes a real patient._" if study.get("synthetic") else ""
io.write_text(f"# {title}\n\n## Results\n\n{paragraph}\n\n## Methods\n\n{methods}{synthetic}\n", snakemake.output.summary)

tables = []
for path in snakemake.input.markdown:
    tables += report.parse_markdown_tables(Path(path).read_text(encoding="utf-8"))
report.write_docx(tables, snakemake.output.docx, heading=title, intro=study.get("citation"))
print(f"{len(tables)} tables written to {snakemake.output.docx}", file=sys.stderr)
