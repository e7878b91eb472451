# The standalone study report: results/{study}/report.html, one self-contained page per study (every
# shareable table formatted, every figure embedded with its caption, summary and methods), and the
# reporting checklist, results/{study}/checklist.md (STROBE and RECORD items and where the outputs
# answer them), written by one job for all studies from the outputs that `rule all` lists
# (her2rwe/outputs/html_report.py, her2rwe/outputs/checklist.py).


def html_report_files(study):
    """What the report of a study shows, in order: its tables (the formatted Markdown version where
    one exists, else the CSV; manuscript tables first), its figures (PNG), the summary and the
    reproduction table."""
    outputs = final_outputs(study)
    base = f"results/{study}/"
    markdown = [p for p in outputs if p.endswith(".md") and p.startswith(base + "tables/")]
    markdown += [p for p in outputs if p.endswith(".md") and p.startswith(base + "trial_context/")]
    order = {f"{base}tables/{name}.md": i for i, name in enumerate(DOCX_TABLES)}
    markdown.sort(key=lambda p: order.get(p, len(order)))
    shown = {p[: -len(".md")] for p in markdown}
    # tables that a Markdown file of another name formats (adjusted.md: comparisons and balance)
    shown |= {f"{base}tables/{name}" for name in ("balance", "adjusted_comparisons") if f"{base}tables/adjusted.md" in markdown}
    csvs = [
        p
        for p in outputs
        if p.startswith(base + "tables/") and p.endswith(".csv") and p[: -len(".csv")] not in shown
    ]
    reproduction = f"{base}reproduction.csv"
    figures = {
        Path(p).stem: p for p in outputs if p.startswith(base + "figures/") and p.endswith(".png")
    }
    return {
        "tables": [*dict.fromkeys(markdown + csvs)],
        "figures": figures,
        "summary": f"{base}summary.md",
        "reproduction": reproduction if reproduction in outputs else None,
    }


def html_report_captions(study):
    """Per figure the text of its caption template of the Snakemake report (workflow/report/*.rst),
    or None. The text, not the path: source_path() may name a per-run cache folder, and a param
    that changes from run to run would rerun the job every time."""
    templates = {spec.name: figure_caption(spec) for spec in figure_specs(study_config(study))}
    if study in ADJUSTED_STUDIES:
        for spec in adjusted_figure_specs(study_config(study)):
            templates[spec.name] = Path(ADJUSTED_CAPTIONS[spec.kind]).name
    return {
        stem: (
            Path(workflow.source_path(f"../report/{templates[stem]}")).read_text(encoding="utf-8")
            if stem in templates
            else None
        )
        for stem in html_report_files(study)["figures"]
    }


def html_report_inputs(wildcards):
    inputs = []
    for study in STUDIES:
        files = html_report_files(study)
        inputs += [*files["tables"], *files["figures"].values(), files["summary"]]
        inputs += [
            f"results/{study}/tables/{name}.csv" for name in ("survival", "attrition", "missingness")
        ]
        if files["reproduction"]:
            inputs.append(files["reproduction"])
    return list(dict.fromkeys(inputs))


rule write_html_reports:
    input:
        html_report_inputs,
    output:
        reports=report(
            expand("results/{study}/report.html", study=STUDIES),
            caption="../report/study_report.rst",
            category="Study reports",
        ),
        checklists=expand("results/{study}/checklist.md", study=STUDIES),
    params:
        studies=study_blocks,
        files={study: html_report_files(study) for study in STUDIES},
        captions={study: html_report_captions(study) for study in STUDIES},
        methods={study: figure_methods(study) for study in STUDIES},
        outputs={
            study: sorted(
                p[len(f"results/{study}/") :]
                for p in get_final_output(None)
                if p.startswith(f"results/{study}/")
            )
            for study in STUDIES
        },
    resources:
        mem_mb=1000,
        runtime=5,
        cpus_per_task=1,
    log:
        "results/logs/write_html_reports.log",
    script:
        "../scripts/write_html_reports.py"
