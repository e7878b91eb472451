# Reproduction checks: each study's published targets against its result tables, and a summary of
# all studies. With --config strict_reproduction=true a missed target fails the run.

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
