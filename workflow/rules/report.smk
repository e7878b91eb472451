# Report: per study a results paragraph in the style of the paper with a methods paragraph
# (summary.md) and the manuscript tables (tables.docx), written by one job for all studies; then a
# checksum manifest of every output. `snakemake --report results/report.html` gathers the figures
# and tables registered with report() into one self-contained HTML file.


rule write_reports:
    input:
        unpack(report_inputs),
    output:
        summaries=report(
            expand("results/{study}/summary.md", study=STUDIES),
            caption="../report/summary.rst",
            category="Summary",
        ),
        docx=expand("results/{study}/tables.docx", study=STUDIES),
    params:
        studies=study_blocks,
        days_per_month=config["days_per_month"],
        markdown_tables=DOCX_TABLES,
        page_size=config["docx_page_size"],
        trial_context_report=TRIAL_CONTEXT_REPORT,
    priority: PRIORITY_LAST + 6
    resources:
        mem_mb=1000,
        runtime=5,
        cpus_per_task=1,
    log:
        "results/logs/write_reports.log",
    script:
        "../scripts/write_reports.py"


rule write_manifest:
    # checksums only: on a cluster it runs where Snakemake runs, not as a job of its own
    localrule: True
    input:
        manifest_inputs,
    output:
        "results/MANIFEST.sha256",
    log:
        "results/logs/write_manifest.log",
    script:
        "../scripts/write_manifest.py"


# The closing lines of a successful run: studies, published targets reproduced, where things are
# (the full log stays in .snakemake/log/ and results/{study}/logs/).
onsuccess:
    from her2rwe.outputs.report import run_summary

    print("\n".join(run_summary(STUDIES)))
