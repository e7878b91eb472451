# Publication figures: one job per study draws all of its figures from the computed results.
# The figures of a study depend on its config (endpoints, subgroups, adverse-event file), so the rule
# is written once per study (rule plot_figures_<study>); `plot_figures` asks for all of them.


for _study in STUDIES:

    rule:
        name:
            f"plot_figures_{_study}"
        input:
            **figure_inputs(_study),
            **records_figure_inputs(_study),
        output:
            **figure_report_outputs(_study),
            **records_figure_outputs(_study),
        params:
            study=study_config(_study),
            names=figure_names(study_config(_study)),
            methods=figure_methods(_study),
            min_cell_count=config["min_cell_count"],
        priority: figure_priority(_study)
        resources:
            mem_mb=memory_mb(1000, 20),
            runtime=10,
            cpus_per_task=1,
        log:
            f"results/{_study}/logs/plot_figures.log",
        script:
            "../scripts/plot_figures.py"


rule plot_figures:
    localrule: True
    input:
        [path for study in STUDIES for path in figure_outputs(study).values()],

