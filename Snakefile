# her2rwe: real-world outcomes analysis of HER2-positive metastatic breast cancer.
# Table of contents; the logic lives in src/her2rwe, the rules in workflow/rules.


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/records.smk"
include: "workflow/rules/endpoints.smk"
include: "workflow/rules/summarize.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/reproduce.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/html_report.smk"


rule all:
    input:
        get_final_output,
    default_target: True
