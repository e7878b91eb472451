# Ingest, validation and endpoint derivation: raw CSV -> analysis dataset (one row per patient).


rule derive_endpoints:
    input:
        unpack(cohort_inputs),
    output:
        dataset="results/{study}/analysis_dataset.parquet",
        adverse_events="results/{study}/adverse_events.parquet",
        attrition="results/{study}/tables/attrition.csv",
        attrition_internal="results/{study}/internal/attrition.csv",
        tumour_response="results/{study}/internal/tumour_response.parquet",
    params:
        study=study_block,
        days_per_month=config["days_per_month"],
        min_cell_count=config["min_cell_count"],
    priority: PRIORITY_DERIVE
    resources:
        mem_mb=memory_mb(1000, 20),
        runtime=10,
        cpus_per_task=1,
    log:
        "results/{study}/logs/derive_endpoints.log",
    script:
        "../scripts/derive_endpoints.py"

