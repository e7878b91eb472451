# Configuration, wildcard constraints and target lists. The config is validated against
# workflow/schemas/config.schema.yaml and every study is checked against its cohort file here,
# while Snakemake parses the workflow, so config errors surface before any job runs.
from pathlib import Path

from her2rwe.config import ConfigError, prepare

REPO = Path(workflow.basedir)

# `--config strict_reproduction=true` arrives as the string "true"; other spellings still fail the
# schema check with a message that names the key.
if str(config.get("strict_reproduction")).lower() in ("true", "false"):
    config["strict_reproduction"] = str(config["strict_reproduction"]).lower() == "true"

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


def final_outputs(study):
    """Every final output of one study, stage by stage (what `rule all` asks for)."""
    return [
        # endpoints.smk
        f"results/{study}/analysis_dataset.parquet",
        f"results/{study}/tables/attrition.csv",
    ]


def get_final_output(wildcards):
    return [path for study in STUDIES for path in final_outputs(study)]
