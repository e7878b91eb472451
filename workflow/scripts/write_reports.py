"""Write every study's results and methods paragraphs (summary.md) and manuscript tables (DOCX)."""

import sys
from pathlib import Path

from her2rwe import io
from her2rwe.config import has_assessments
from her2rwe.derive.dataset import arm_levels, reference_arm
from her2rwe.formatting import LevelLabels
from her2rwe.outputs import docx_tables, report, survival_tables
from her2rwe.outputs.response_duration import response_duration_sentences, response_methods_sentence

sys.stderr = open(snakemake.log[0], "w", buffering=1)
versions = report.software_versions()
markdown_tables = snakemake.params.markdown_tables


def table(study, name):
    frame = io.read_table(snakemake.input[f"{study}__{name}"])
    return None if frame.empty else frame


for i, (name, study) in enumerate(snakemake.params.studies.items()):
    survival = table(name, "survival")
    present = sorted(survival.loc[survival["split"] == "arm", "group"].astype(str).unique())
    arms = arm_levels(study, present)
    reference = reference_arm(study, present) if len(arms) > 1 else None
    paragraph = report.results_paragraph(
        study,
        survival,
        table(name, "comparisons"),
        table(name, "response"),
        table(name, "response_comparisons"),
        table(name, "adverse_events"),
        arms=arms,
        reference=reference,
        survival_extra=[
            *survival_tables.landmark_sentences(
                study, table(name, "landmarks"), arms, reference
            ),
            *survival_tables.subgroup_sentences(study, table(name, "subgroup_survival")),
        ],
    )
    if f"{name}__response_duration" in snakemake.input.keys():
        extra = response_duration_sentences(table(name, "response_duration"), study)
        paragraph = " ".join([paragraph, *extra]) if extra else paragraph
    derivation = [response_methods_sentence(study)] if has_assessments(study) else []
    methods = report.methods_paragraph(study, snakemake.params.days_per_month, versions, derivation)
    if f"{name}__cumulative_incidence" in snakemake.input.keys():
        competing = report.competing_sentences(
            study, table(name, "cumulative_incidence"), table(name, "competing_comparisons")
        )
        paragraph = " ".join([paragraph, *competing])
    if f"{name}__adjusted_comparisons" in snakemake.input.keys():
        adjusted = report.adjusted_sentences(study, table(name, "adjusted_comparisons"))
        paragraph = " ".join([paragraph, *adjusted])
        methods += (
            "\n\n"
            + Path(snakemake.input[f"{name}__adjusted_methods"]).read_text(encoding="utf-8").strip()
        )
    trial_context = [
        Path(snakemake.input[key]).read_text(encoding="utf-8")
        for key in (f"{name}__trial_context_{k}" for k in snakemake.params.trial_context_report)
        if key in snakemake.input.keys()
    ]
    title = study.get("title") or name
    note = "\n\n_Synthetic data: no row describes a real patient._\n" if study.get("synthetic") else "\n"
    io.write_text(f"# {title}\n\n## Results\n\n{paragraph}\n\n{report.trial_context_section(trial_context)}## Methods\n\n{methods}\n{note}", snakemake.output.summaries[i])

    tables = []
    names = list(markdown_tables)
    if f"{name}__response_duration_md" in snakemake.input.keys():
        names.insert(names.index("best_response") + 1, "response_duration")
    if f"{name}__cumulative_incidence_md" in snakemake.input.keys():
        names += ["cumulative_incidence", "competing_comparisons"]
    if f"{name}__adjusted_md" in snakemake.input.keys():
        names.append("adjusted")
    for md in names:
        text = Path(snakemake.input[f"{name}__{md}_md"]).read_text(encoding="utf-8")
        tables += [t for t in report.parse_markdown_tables(text) if t.rows]
    for text in trial_context:
        tables += [t for t in report.parse_markdown_tables(text) if t.rows]
    docx_tables.write_docx(
        tables,
        snakemake.output.docx[i],
        heading=title,
        intro=study.get("citation"),
        page_size=snakemake.params.page_size,
        arms=[*map(LevelLabels.of(study).arm, arms), "Overall"],
    )
    print(f"{name}: summary and {len(tables)} tables", file=sys.stderr)
