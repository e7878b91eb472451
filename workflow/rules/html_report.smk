# The standalone study report: results/{study}/report.html, one self-contained page per study (every
# shareable table formatted, every figure embedded with its caption, summary and methods), and the
# reporting checklist, results/{study}/checklist.md (STROBE and RECORD items and where the outputs
# answer them), written by one job for all studies from the outputs that `rule all` lists
# (her2rwe/outputs/html_report.py, her2rwe/outputs/checklist.py).


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
