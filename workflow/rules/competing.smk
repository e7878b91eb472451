# Competing risks: Aalen-Johansen cumulative incidence, Gray's test and Fine-Gray, one job per study
# with competing_endpoints. Tables: unsuppressed under internal/, shareable under tables/. The
# cif_<endpoint> figures are a figure kind of plot_figures_<study> (figures.smk).


rule summarize_competing:
    input:
        dataset="results/{study}/analysis_dataset.parquet",
    output:
        cumulative_incidence=shareable_table("cumulative_incidence", "table_competing"),
        competing_comparisons=shareable_table("competing_comparisons", "table_competing"),
        cumulative_incidence_internal="results/{study}/internal/cumulative_incidence.csv",
        competing_comparisons_internal="results/{study}/internal/competing_comparisons.csv",
        cumulative_incidence_md="results/{study}/tables/cumulative_incidence.md",
        competing_comparisons_md="results/{study}/tables/competing_comparisons.md",
        cif_curves="results/{study}/competing/cif_curves.parquet",
        risk_table="results/{study}/competing/risk_table.csv",
    params:
        study=study_block,
        min_cell_count=config["min_cell_count"],
    resources:
        mem_mb=memory_mb(1000, 20),
        runtime=10,
        cpus_per_task=1,
    log:
        "results/{study}/logs/summarize_competing.log",
    script:
        "../scripts/summarize_competing.py"
