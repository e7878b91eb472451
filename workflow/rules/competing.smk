# Competing risks: Aalen-Johansen cumulative incidence, Gray's test and Fine-Gray, one job per study
# with competing_endpoints. Tables: unsuppressed under internal/, shareable under tables/.


rule summarize_competing:
    input:
        dataset="results/{study}/analysis_dataset.parquet",
    output:
        cumulative_incidence=shareable_table("cumulative_incidence", "table_competing"),
        competing_comparisons=shareable_table("competing_comparisons", "table_competing"),
        cumulative_incidence_internal="results/{study}/internal/cumulative_incidence.csv",
        competing_comparisons_internal="results/{study}/internal/competing_comparisons.csv",
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


def competing_figure_outputs(study):
    """{cif_<ep>_pdf, _png, _txt: path} of a study's cumulative-incidence figures."""
    outputs = {}
    for ep in study_config(study)["competing_endpoints"]:
        for ext in ("pdf", "png"):
            outputs[f"cif_{ep}_{ext}"] = f"results/{study}/figures/cif_{ep}.{ext}"
        outputs[f"cif_{ep}_txt"] = f"results/{study}/figures/text/cif_{ep}.txt"
    return outputs


for _study in [s for s in STUDIES if study_config(s)["competing_endpoints"]]:

    rule:
        name:
            f"plot_competing_{_study}"
        input:
            cumulative_incidence=f"results/{_study}/internal/cumulative_incidence.csv",
            competing_comparisons=f"results/{_study}/internal/competing_comparisons.csv",
            cif_curves=f"results/{_study}/competing/cif_curves.parquet",
            risk_table=f"results/{_study}/competing/risk_table.csv",
        output:
            **{
                key: report(path, caption="../report/cif.rst", category="Figures",
                            subcategory=_study, labels={"study": _study, "figure": key[:-4]})
                if key.endswith("_png") else path
                for key, path in competing_figure_outputs(_study).items()
            },
        params:
            study=study_config(_study),
            min_cell_count=config["min_cell_count"],
        resources:
            mem_mb=memory_mb(1000, 20),
            runtime=10,
            cpus_per_task=1,
        log:
            f"results/{_study}/logs/plot_competing.log",
        script:
            "../scripts/plot_competing.py"
