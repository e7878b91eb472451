# Response, safety and baseline tables: one job per study (scipy is imported once). CSVs:
# unsuppressed under internal/, shareable (min_cell_count) under tables/.



rule summarize_tables:
    input:
        dataset="results/{study}/analysis_dataset.parquet",
        adverse_events="results/{study}/adverse_events.parquet",
    output:
        **{f"{name}_csv": shareable_table(name, "table_tables") for name in TABLE_NAMES},
        **{f"{name}_md": f"results/{{study}}/tables/{name}.md" for name in TABLE_NAMES},
        **{f"{name}_internal": f"results/{{study}}/internal/{name}.csv" for name in TABLE_NAMES},
    params:
        study=study_block,
        min_cell_count=config["min_cell_count"],
    resources:
        mem_mb=memory_mb(1000, 30),
        runtime=10,
        cpus_per_task=1,
    log:
        "results/{study}/logs/summarize_tables.log",
    script:
        "../scripts/summarize_tables.py"

