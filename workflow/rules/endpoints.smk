# Ingest, validation and endpoint derivation: raw CSV -> analysis dataset (one row per patient).


rule derive_endpoints:
    input:
        unpack(cohort_inputs),
    output:
        dataset="results/{study}/analysis_dataset.parquet",
        adverse_events="results/{study}/adverse_events.parquet",
        attrition="results/{study}/tables/attrition.csv",
    params:
        study=study_block,
        days_per_month=config["days_per_month"],
    log:
        "results/{study}/logs/derive_endpoints.log",
    script:
        "../scripts/derive_endpoints.py"

