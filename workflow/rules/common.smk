# Configuration, wildcard constraints and target lists. The config is validated against
# workflow/schemas/config.schema.yaml and every study is checked against its cohort file here,
# while Snakemake parses the workflow, so config errors surface before any job runs.
from pathlib import Path

from her2rwe.config import ConfigError, prepare
from her2rwe.reproduce import TABLE_FILES, required_tables

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


def reproduction_studies():
    """The studies with published targets (the others have nothing to reproduce)."""
    return [study for study in STUDIES if study_config(study).get("targets")]


def reproduction_inputs(wildcards):
    """For every study with targets, the result tables its targets read (docs/outputs.md paths)
    plus the survival tables every study has, keyed '<study>__<table>'. A study without response or
    adverse-event targets needs no such table."""
    return {
        f"{study}__{key}": f"results/{study}/{TABLE_FILES[key]}"
        for study in reproduction_studies()
        for key in required_tables(study_config(study)["targets"])
    }


def study_blocks(wildcards):
    """Every study's config block, keyed by study name, for `params:`."""
    return {study: study_config(study) for study in STUDIES}


def final_outputs(study):
    """Every final output of one study, stage by stage (what `rule all` asks for)."""
    return [
        # endpoints.smk
        f"results/{study}/analysis_dataset.parquet",
        f"results/{study}/tables/attrition.csv",
        # reproduce.smk (studies with published targets)
        *(
            [f"results/{study}/reproduction.csv", "results/reproduction_summary.md"]
            if study in reproduction_studies()
            else []
        ),
    ]


def get_final_output(wildcards):
    return [path for study in STUDIES for path in final_outputs(study)]
