# The tables of a study, in one job (one Python start-up): survival (Kaplan-Meier summaries,
# landmarks, log-rank, Cox models and subgroups), then response, safety and baseline. Tables:
# unsuppressed under internal/, shareable (min_cell_count) under tables/.



rule summarize_study:
    input:
        dataset="results/{study}/analysis_dataset.parquet",
        adverse_events="results/{study}/adverse_events.parquet",
    output:
        survival=shareable_table("survival", "table_survival"),
        landmarks=shareable_table("landmarks", "table_survival"),
        comparisons=shareable_table("comparisons", "table_survival"),
        cox_models=shareable_table("cox_models", "table_survival"),
        subgroup_survival=shareable_table("subgroup_survival", "table_survival"),
        survival_md="results/{study}/tables/survival.md",
        comparisons_md="results/{study}/tables/comparisons.md",
        cox_models_md="results/{study}/tables/cox_models.md",
        landmarks_md="results/{study}/tables/landmarks.md",
        subgroup_survival_md="results/{study}/tables/subgroup_survival.md",
        km_curves="results/{study}/survival/km_curves.parquet",
        risk_table="results/{study}/survival/risk_table.csv",
        survival_internal="results/{study}/internal/survival.csv",
        landmarks_internal="results/{study}/internal/landmarks.csv",
        comparisons_internal="results/{study}/internal/comparisons.csv",
        cox_models_internal="results/{study}/internal/cox_models.csv",
        subgroup_survival_internal="results/{study}/internal/subgroup_survival.csv",
        **{f"{name}_csv": shareable_table(name, "table_tables") for name in TABLE_NAMES},
        **{f"{name}_md": f"results/{{study}}/tables/{name}.md" for name in TABLE_NAMES},
        **{f"{name}_internal": f"results/{{study}}/internal/{name}.csv" for name in TABLE_NAMES},
    params:
        study=study_block,
        min_cell_count=config["min_cell_count"],
    resources:
        mem_mb=memory_mb(1000, 60),
        runtime=25,
        cpus_per_task=1,
    log:
        survival="results/{study}/logs/summarize_survival.log",
        tables="results/{study}/logs/summarize_tables.log",
    script:
        "../scripts/summarize_study.py"

