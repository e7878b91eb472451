# Reproduction checks: the published targets of every study against its result tables (one job for
# all studies: a lookup is cheap and each job pays ~1 s of start-up), then a summary of all studies.
# With --config strict_reproduction=true the summary job fails, naming every missed target; the
# per-study reproduction.csv files are kept for inspection.


rule check_reproduction:
    input:
        unpack(reproduction_inputs),
    output:
        tables=expand("results/{study}/reproduction.csv", study=reproduction_studies()),
    params:
        studies=study_blocks,
        min_cell_count=config["min_cell_count"],
    priority: PRIORITY_LAST + 2
    resources:
        mem_mb=1000,
        runtime=5,
        cpus_per_task=1,
    log:
        "results/logs/check_reproduction.log",
    script:
        "../scripts/check_reproduction.py"


rule summarize_reproduction:
    input:
        tables=expand("results/{study}/reproduction.csv", study=reproduction_studies()),
    output:
        summary="results/reproduction_summary.md",
    params:
        studies=study_blocks,
        strict=config["strict_reproduction"],
    resources:
        mem_mb=1000,
        runtime=5,
        cpus_per_task=1,
    log:
        "results/logs/summarize_reproduction.log",
    script:
        "../scripts/summarize_reproduction.py"


# The drift check: `snakemake verify` compares this run's shareable results with the frozen copy
# named by `verify.expected` (written by `her2rwe freeze --to DIR`) and fails naming every number
# that moved (docs/reproducibility.md). It builds whatever is missing first.
rule verify:
    localrule: True
    input:
        get_final_output,
    params:
        expected=config["verify"].get("expected"),
        rtol=config["verify"]["rtol"],
        atol=config["verify"]["atol"],
    log:
        "results/logs/verify.log",
    script:
        "../scripts/verify_results.py"
