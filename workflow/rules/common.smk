# Configuration, wildcard constraints and target lists. The config is validated against
# workflow/schemas/config.schema.yaml and every study is checked against its cohort file here,
# while Snakemake parses the workflow, so config errors surface before any job runs.
from pathlib import Path

from her2rwe.config import ConfigError, prepare

REPO = Path(workflow.basedir)

try:
    config = prepare(config, workdir=".", schema_path=REPO / "workflow" / "schemas" / "config.schema.yaml")
except ConfigError as exc:
    raise WorkflowError(str(exc)) from None

STUDIES = sorted(config["studies"])


wildcard_constraints:
    study="|".join(STUDIES) if STUDIES else "NO_STUDY",
    endpoint="[a-z][a-z0-9_]*",


def study_config(study):
    return config["studies"][study]


def study_block(wildcards):
    """The study's config block (validated, defaults filled), for `params:`."""
    return study_config(wildcards.study)


def cohort_inputs(wildcards):
    """The study's input files: the cohort and, where configured, the adverse-event file."""
    study = study_config(wildcards.study)
    files = {"cohort": study["cohort"]}
    if study.get("adverse_events"):
        files["adverse_events"] = study["adverse_events"]
    return files


# survival tables written by survival.smk
SURVIVAL_TABLES = ["survival", "landmarks", "comparisons", "cox_models", "subgroup_survival"]
SURVIVAL_MARKDOWN = ["survival", "comparisons", "cox_models"]

# response, safety and baseline tables written by tables.smk (CSV and Markdown each)
TABLE_NAMES = [
    "response",
    "response_comparisons",
    "best_response",
    "response_subgroups",
    "adverse_events",
    "adverse_events_by_category",
    "baseline",
]


def final_outputs(study):
    """Every final output of one study, stage by stage (what `rule all` asks for)."""
    return [
        # endpoints.smk
        f"results/{study}/analysis_dataset.parquet",
        f"results/{study}/tables/attrition.csv",
        # survival.smk
        *(f"results/{study}/tables/{name}.csv" for name in SURVIVAL_TABLES),
        *(f"results/{study}/tables/{name}.md" for name in SURVIVAL_MARKDOWN),
        f"results/{study}/survival/km_curves.parquet",
        f"results/{study}/survival/risk_table.csv",
        # tables.smk
        *(f"results/{study}/tables/{name}.{ext}" for name in TABLE_NAMES for ext in ("csv", "md")),
    ]


def get_final_output(wildcards):
    return [path for study in STUDIES for path in final_outputs(study)]
