# Configuration, wildcard constraints and target lists. The config is validated against
# workflow/schemas/config.schema.yaml and every study is checked against its cohort file here,
# while Snakemake parses the workflow, so config errors surface before any job runs.
import os
import sys
from pathlib import Path

REPO = Path(workflow.basedir)
# the package is importable even when the project is not installed (jobs inherit PYTHONPATH)
if (REPO / "src" / "her2rwe").is_dir():
    sys.path.insert(0, str(REPO / "src"))
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO / "src"), os.environ.get("PYTHONPATH")) if p
    )

from her2rwe.config import ConfigError, prepare  # noqa: E402

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


# Each rule file registers the final outputs of its stage for one study; `rule all` asks for all.
_FINAL_OUTPUTS = []


def register_final_output(function):
    """Register a function study -> list of paths that `rule all` requests for every study."""
    _FINAL_OUTPUTS.append(function)
    return function


def get_final_output(wildcards):
    return [path for study in STUDIES for function in _FINAL_OUTPUTS for path in function(study)]
