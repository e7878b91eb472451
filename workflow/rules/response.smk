# Duration of response and time to response, for studies with an assessment file (one job per
# study). CSV: unsuppressed under internal/, shareable (min_cell_count) under tables/.


rule summarize_response_duration:
    input:
        patients="results/{study}/internal/tumour_response.parquet",
    output:
        csv=shareable_table("response_duration", "table_tables"),
        md="results/{study}/tables/response_duration.md",
        internal="results/{study}/internal/response_duration.csv",
    params:
        study=study_block,
        min_cell_count=config["min_cell_count"],
    log:
        "results/{study}/logs/summarize_response_duration.log",
    script:
        "../scripts/summarize_response_duration.py"
