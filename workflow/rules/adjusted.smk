# Adjusted comparison (studies with an `adjustment:` block): propensity score, weights, balance,
# weighted survival in one job per study; its figures (love plot, propensity-score overlap, weighted
# Kaplan-Meier) are figure kinds of plot_figures_<study> (figures.smk). Tables: unsuppressed under
# internal/, shareable (min_cell_count) under tables/.


rule summarize_adjusted:
    input:
        dataset="results/{study}/analysis_dataset.parquet",
    output:
        balance=shareable_table("balance", "table_adjusted"),
        adjusted_comparisons=shareable_table("adjusted_comparisons", "table_adjusted"),
        adjusted_survival=shareable_table("adjusted_survival", "table_adjusted"),
        adjusted_attrition=shareable_table("adjusted_attrition", "table_adjusted"),
        adjusted_md="results/{study}/tables/adjusted.md",
        methods="results/{study}/adjusted/methods.md",
        km_curves="results/{study}/adjusted/km_curves.parquet",
        risk_table="results/{study}/adjusted/risk_table.csv",
        scores="results/{study}/adjusted/propensity_scores.parquet",
        balance_internal="results/{study}/internal/balance.csv",
        adjusted_comparisons_internal="results/{study}/internal/adjusted_comparisons.csv",
        adjusted_survival_internal="results/{study}/internal/adjusted_survival.csv",
        adjusted_attrition_internal="results/{study}/internal/adjusted_attrition.csv",
    params:
        study=study_block,
        min_cell_count=config["min_cell_count"],
    log:
        "results/{study}/logs/summarize_adjusted.log",
    script:
        "../scripts/summarize_adjusted.py"
