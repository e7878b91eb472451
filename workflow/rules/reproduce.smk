# Reproduction checks: each study's published targets against its result tables, and a summary of
# all studies. With --config strict_reproduction=true a missed target fails the run.
from her2rwe.reproduce import TABLE_FILES, required_tables


def reproduction_inputs(wildcards):
    """The result tables the study's targets read (docs/outputs.md paths), plus the survival
    tables every study has. A study without response or adverse-event targets needs no such table."""
    targets = study_config(wildcards.study).get("targets", [])
    return {key: f"results/{wildcards.study}/{TABLE_FILES[key]}" for key in required_tables(targets)}


def reproduction_tables(wildcards):
    return expand("results/{study}/reproduction.csv", study=STUDIES)


def study_blocks(wildcards):
    return {study: study_config(study) for study in STUDIES}


rule check_reproduction:
    input:
        unpack(reproduction_inputs),
    output:
        table="results/{study}/reproduction.csv",
    params:
        study=study_block,
    log:
        "results/{study}/logs/check_reproduction.log",
    script:
        "../scripts/check_reproduction.py"


rule summarize_reproduction:
    input:
        tables=reproduction_tables,
    output:
        summary="results/reproduction_summary.md",
    params:
        studies=study_blocks,
        strict=config["strict_reproduction"],
    log:
        "results/logs/summarize_reproduction.log",
    script:
        "../scripts/summarize_reproduction.py"


@register_final_output
def reproduction_outputs(study):
    return [f"results/{study}/reproduction.csv", "results/reproduction_summary.md"]
