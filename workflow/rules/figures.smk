# Publication figures: one job per study draws all of its figures from the computed results.
# The figures of a study depend on its config (endpoints, subgroups, adverse-event file), so the rule
# is written once per study (rule plot_figures_<study>); `plot_figures` asks for all of them.
from her2rwe.formatting import ci_method_text
from her2rwe.plotting.figures import TABLES, figure_kind, figure_names

FIGURE_CAPTIONS = {
    "km": "../report/km.rst",
    "km_subgroup": "../report/km_subgroup.rst",
    "forest": "../report/forest.rst",
    "response": "../report/response.rst",
    "toxicity": "../report/toxicity.rst",
}


def figure_inputs(study):
    """The contract paths (docs/outputs.md) of the results tables that the figures read."""
    return {key: f"results/{study}/{path}" for key, path in TABLES.items()}


def figure_outputs(study):
    """{name_pdf, name_png: path} for every figure of the study."""
    return {
        f"{name}_{ext}": f"results/{study}/figures/{name}.{ext}"
        for name in figure_names(study_config(study))
        for ext in ("pdf", "png")
    }


def figure_report_outputs(study):
    """The outputs, PNGs marked for the Snakemake report with a method caption each."""
    outputs = figure_outputs(study)
    for key, path in outputs.items():
        if key.endswith("_png"):
            name = key.removesuffix("_png")
            outputs[key] = report(
                path,
                caption=FIGURE_CAPTIONS[figure_kind(name)],
                category="Figures",
                subcategory=study,
                labels={"study": study, "figure": name},
            )
    return outputs


def figure_methods(study):
    """Method text for the captions: estimator, CI method, test and ties, from the config."""
    block = study_config(study)
    response = block.get("response", {})
    return {
        "ci": ci_method_text(block.get("ci_method", "log-log"), block.get("conf_level", 0.95)),
        "ties": block.get("ties", "efron").capitalize(),
        "strata": ", ".join(block.get("strata", [])) or "none",
        "interval": block.get("figures", {}).get("risk_table_interval", 3),
        "conf": f"{block.get('conf_level', 0.95) * 100:g}%",
        "rate_ci": response.get("ci_method", "clopper-pearson").replace("-", "–").title(),
        "cbr_weeks": response.get("cbr_min_weeks", 24),
        "single_arm_forest": block.get("single_arm_forest", "medians"),
        "title": block.get("title") or study,
    }


for _study in STUDIES:

    rule:
        name:
            f"plot_figures_{_study}"
        input:
            **figure_inputs(_study),
        output:
            **figure_report_outputs(_study),
        params:
            study=study_config(_study),
            names=figure_names(study_config(_study)),
            methods=figure_methods(_study),
        log:
            f"results/{_study}/logs/plot_figures.log",
        script:
            "../scripts/plot_figures.py"


rule plot_figures:
    localrule: True
    input:
        [path for study in STUDIES for path in figure_outputs(study).values()],


@register_final_output
def figure_final_outputs(study):
    return list(figure_outputs(study).values())
