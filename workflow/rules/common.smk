# Configuration, wildcard constraints and target lists. The config is validated against
# workflow/schemas/config.schema.yaml and every study is checked against its cohort file here,
# while Snakemake parses the workflow, so config errors surface before any job runs.
from pathlib import Path

from her2rwe.config import ConfigError
from her2rwe.config import has_assessments as config_has_assessments
from her2rwe.derive.preflight import check_config_files, prepare, unsafe_output_paths
from her2rwe.formatting import ci_method_text
from her2rwe.outputs.plotting.figures import caption as figure_caption
from her2rwe.outputs.plotting.figures import TRIAL_CONTEXT_TABLES, figure_names, figure_sources
from her2rwe.outputs.plotting.figures import figure_specs
from her2rwe.outputs.reproduce import TABLE_FILES, required_tables

# the schema beside this file, also when the workflow is used as a module from another project
CONFIG_SCHEMA = Path(workflow.source_path("../schemas/config.schema.yaml"))

# `--config strict_reproduction=true` arrives as the string "true"; other spellings still fail the
# schema check with a message that names the key.
if str(config.get("strict_reproduction")).lower() in ("true", "false"):
    config["strict_reproduction"] = str(config["strict_reproduction"]).lower() == "true"

try:
    # the config files Snakemake loaded, read again strictly: duplicate keys, alias bombs, YTE
    check_config_files(workflow.configfiles)
    config = prepare(config, workdir=".", schema_path=CONFIG_SCHEMA)
except ConfigError as exc:
    raise WorkflowError(str(exc)) from None

STUDIES = sorted(config["studies"])
# studies with an adjusted comparison (a part of their summarize job, summarize.smk)
ADJUSTED_STUDIES = [s for s in STUDIES if config["studies"][s].get("adjustment")]


wildcard_constraints:
    study="|".join(STUDIES) if STUDIES else "NO_STUDY",
    endpoint="[a-z][a-z0-9_]*",


def study_config(study):
    return config["studies"][study]


def study_block(wildcards):
    """The study's config block (validated, defaults filled), for `params:`."""
    return study_config(wildcards.study)


def cohort_inputs(wildcards):
    """The study's input files: the cohort and, where configured, the adverse-event file; for a
    records study, its record files. A records study's endpoints job reads and validates the
    records and numbers the lines itself instead of waiting for derive_lines (records.smk): the two
    jobs run side by side, and the analysis dataset is built without a start-up and a parquet
    round trip of a million rows in between."""
    study = study_config(wildcards.study)
    if "records" in study:
        return records_inputs(wildcards)
    files = {"cohort": study["cohort"]}
    if study.get("adverse_events"):
        files["adverse_events"] = study["adverse_events"]
    if study.get("assessments"):
        files["assessments"] = study["assessments"]
    return files


def records_inputs(wildcards):
    """A records study's CSV files (input contract v2)."""
    records = study_config(wildcards.study)["records"]
    return {key: path for key, path in records.items() if path}


def records_outputs(study):
    """Outputs of a records study only: lines of therapy, treatment patterns, flow and sequences."""
    if "records" not in study_config(study):
        return []
    return [
        f"results/{study}/lines_of_therapy.parquet",
        f"results/{study}/tables/treatment_sequences.csv",
        f"results/{study}/tables/outcomes_by_line.csv",
        *records_figure_outputs(study).values(),
    ]


def records_figure_inputs(study):
    """A records study's flow and treatment-sequence figures are drawn by its figure job (one
    matplotlib start-up per study, figures.smk), from these shareable tables."""
    if "records" not in study_config(study):
        return {}
    return {
        "flow_attrition": f"results/{study}/tables/attrition.csv",
        "sequences_table": f"results/{study}/tables/treatment_sequences.csv",
    }


def records_figure_outputs(study):
    """{flow_pdf, flow_png, sequences_pdf, sequences_png: path} of a records study."""
    if "records" not in study_config(study):
        return {}
    return {
        f"{name}_{ext}": f"results/{study}/figures/{name}.{ext}"
        for name in ("flow", "sequences")
        for ext in ("pdf", "png")
    }


# Job priorities: of the jobs ready to run, Snakemake starts those of the highest priority first.
# Every study's tables and figures wait on its derive jobs, and its figures on its tables: so the
# derive jobs of all studies go first, then the summaries. The jobs left then (figures per study,
# reproduction check, reports) go longest first, so that the two cores finish together instead of
# one long figure job running alone at the end (docs/benchmarks.md, "Bundled run: job timeline").
# Their lengths are estimated in figures (about 0.4 s each, PDF and PNG): write_reports takes about
# as long as drawing 6 figures, check_reproduction 2.
PRIORITY_DERIVE = 400
PRIORITY_SUMMARIZE = 300
PRIORITY_LAST = 200  # plus the job's estimated length in figures


def figure_priority(study):
    """A study's figure job: longest first among the jobs after the summaries."""
    return PRIORITY_LAST + len(figure_names(study_config(study)))


def memory_mb(base, per_input_mb=0):
    """A job's memory request for a cluster (resources: mem_mb): base MB plus per_input_mb for every
    MB of its input files, measured in docs/benchmarks.md (profiles/slurm, docs/cluster.md)."""
    return lambda wildcards, input: int(base + per_input_mb * input.size_mb)


def has_assessments(study):
    """True when the study derives its tumour response from an assessment file (a part of its summarize job, summarize.smk)."""
    return config_has_assessments(study_config(study))


# survival tables written by the summarize job (summarize.smk)
SURVIVAL_TABLES = ["survival", "landmarks", "comparisons", "cox_models", "subgroup_survival"]
SURVIVAL_MARKDOWN = ["survival", "comparisons", "cox_models", "landmarks", "subgroup_survival"]

# response, safety and baseline tables written by the summarize job (CSV and Markdown each)
TABLE_NAMES = [
    "response",
    "response_comparisons",
    "best_response",
    "response_subgroups",
    "adverse_events",
    "adverse_events_by_category",
    "baseline",
    "missingness",
]


# figures drawn by figures.smk (one job per study); the figure kinds, their names and captions come
# from the registry in her2rwe/outputs/plotting/figures.py


def figure_inputs(study):
    """The results tables the figures read: the unsuppressed ones (internal/) for exact curves and
    bars, and the shareable ones for printed counts (docs/outputs.md, docs/privacy.md)."""
    sources = figure_sources(study_config(study))
    inputs = {key: f"results/{study}/{path}" for key, path in sources.items()}
    if study in TRIAL_CONTEXT_STUDIES:
        for key, output in TRIAL_CONTEXT_TABLES.items():
            inputs[key] = trial_context_outputs(study)[output]
    return inputs


def figure_outputs(study):
    """{name_pdf, name_png, name_txt: path} for every figure of the study; the text file lists the
    strings the figure draws (figures/text/, compared by the drift check)."""
    outputs = {}
    for name in figure_names(study_config(study)):
        for ext in ("pdf", "png"):
            outputs[f"{name}_{ext}"] = f"results/{study}/figures/{name}.{ext}"
        outputs[f"{name}_txt"] = f"results/{study}/figures/text/{name}.txt"
    return outputs


# the adjusted comparison's tables (summarize.smk); its figures are figure kinds of plot_figures
ADJUSTED_TABLES = ["balance", "adjusted_comparisons", "adjusted_survival", "adjusted_attrition"]


def figure_report_outputs(study):
    """The outputs, PNGs marked for the Snakemake report with a method caption each."""
    outputs = figure_outputs(study)
    for spec in figure_specs(study_config(study)):
        key = f"{spec.name}_png"
        outputs[key] = report(
            outputs[key],
            caption=f"../report/{figure_caption(spec)}",
            category="Figures",
            subcategory=study,
            labels={"study": study, "figure": spec.name},
        )
    return outputs


def figure_methods(study):
    """Method text for the captions: estimator, CI method, test and ties, from the config."""
    block = study_config(study)
    response = block["response"]
    return {
        "ci": ci_method_text(block["ci_method"], block["conf_level"]),
        "ties": block["ties"].capitalize(),
        "strata": ", ".join(block["strata"]) or "none",
        "interval": (
            f"every {block['figures']['risk_table_interval']:g} months"
            if block["figures"].get("risk_table_interval")
            else "at an interval chosen from the follow-up (at most 12 columns)"
        ),
        "conf": f"{block['conf_level'] * 100:g}%",
        "rate_ci": response["ci_method"].replace("-", "–").title(),
        "cbr_weeks": response["cbr_min_weeks"],
        "single_arm_forest": block["single_arm_forest"],
        "title": block.get("title") or study,
    }


def reproduction_studies():
    """The studies with published targets (the others have nothing to reproduce)."""
    return [study for study in STUDIES if study_config(study).get("targets")]


def reproduction_inputs(wildcards):
    """For every study with targets, the result tables its targets read (docs/outputs.md paths)
    plus the survival tables every study has, keyed '<study>__<table>'. A study without response or
    adverse-event targets needs no such table. The shareable copy of each internal table is keyed
    '<study>__shared_<table>': a value it masks stays masked in reproduction.csv."""
    files = {}
    for study in reproduction_studies():
        for key in required_tables(study_config(study)["targets"]):
            files[f"{study}__{key}"] = f"results/{study}/{TABLE_FILES[key]}"
            if TABLE_FILES[key].startswith("internal/"):
                shared = TABLE_FILES[key].replace("internal/", "tables/", 1)
                files[f"{study}__shared_{key}"] = f"results/{study}/{shared}"
    return files


# studies with reconstructed trial arms (a part of their summarize job, summarize.smk) (studies.<name>.trial_context)
TRIAL_CONTEXT_STUDIES = [study for study in STUDIES if study_config(study)["trial_context"]]


# the trial-context tables in the summary and the DOCX, in this order (keys of trial_context_outputs)
TRIAL_CONTEXT_REPORT = ["comparison_md", "cox_md", "parametric_md"]


def trial_context_inputs(study):
    """Each trial arm's digitised curve and at-risk table, keyed '<name>__curve' / '<name>__at_risk'
    (the study's summarize job also reads its analysis dataset and its own survival tables)."""
    files = {}
    for item in study_config(study)["trial_context"]:
        files[f"{item['name']}__curve"] = item["curve"]
        if item.get("at_risk") is not None:
            files[f"{item['name']}__at_risk"] = item["at_risk"]
    return files


def trial_context_outputs(study):
    """Per trial arm its patient data and fit report; per study the comparison and Cox tables
    (shareable and internal), the parametric models and the curves the KM figure overlays
    (docs/outputs.md)."""
    folder = f"results/{study}/trial_context"
    outputs = {}
    for item in study_config(study)["trial_context"]:
        name = item["name"]  # the schema allows letters, digits and underscores only
        outputs[f"{name}__ipd"] = f"{folder}/{name}_ipd.csv"
        outputs[f"{name}__fit"] = f"{folder}/{name}_fit.csv"
        outputs[f"{name}__fit_md"] = f"{folder}/{name}_fit.md"
    outputs.update(
        comparison=f"results/{study}/tables/trial_context.csv",
        comparison_md=f"results/{study}/tables/trial_context.md",
        cox=f"results/{study}/tables/trial_context_cox.csv",
        cox_md=f"results/{study}/tables/trial_context_cox.md",
        comparison_internal=f"results/{study}/internal/trial_context.csv",
        cox_internal=f"results/{study}/internal/trial_context_cox.csv",
        parametric=f"{folder}/parametric.csv",
        parametric_md=f"{folder}/parametric.md",
        curves=f"{folder}/curves.parquet",
    )
    return outputs


def study_blocks(wildcards):
    """Every study's config block, keyed by study name, for `params:`."""
    return {study: study_config(study) for study in STUDIES}


# the tables of tables.docx, in manuscript order (Table 1 first)
DOCX_TABLES = [
    "baseline",
    "survival",
    "comparisons",
    "cox_models",
    "landmarks",
    "subgroup_survival",
    "response",
    "response_comparisons",
    "best_response",
    "adverse_events",
    "adverse_events_by_category",
]
# what the results paragraph reads
SUMMARY_TABLES = [
    "survival",
    "comparisons",
    "response",
    "response_comparisons",
    "adverse_events",
    "landmarks",
    "subgroup_survival",
]


def report_inputs(wildcards):
    """Per study, keyed '<study>__<table>': the CSV tables of the results paragraph and the Markdown
    tables of the DOCX."""
    inputs = {}
    for study in STUDIES:
        for name in SUMMARY_TABLES:
            inputs[f"{study}__{name}"] = f"results/{study}/tables/{name}.csv"
        for name in DOCX_TABLES:
            inputs[f"{study}__{name}_md"] = f"results/{study}/tables/{name}.md"
        if study_config(study)["competing_endpoints"]:  # competing risks: sentences, tables
            for name in COMPETING_TABLES:
                inputs[f"{study}__{name}"] = f"results/{study}/tables/{name}.csv"
                inputs[f"{study}__{name}_md"] = f"results/{study}/tables/{name}.md"
        if study in ADJUSTED_STUDIES:  # the adjusted comparison: a sentence, a paragraph, tables
            inputs[f"{study}__adjusted_comparisons"] = f"results/{study}/tables/adjusted_comparisons.csv"
            inputs[f"{study}__adjusted_methods"] = f"results/{study}/adjusted/methods.md"
            inputs[f"{study}__adjusted_md"] = f"results/{study}/tables/adjusted.md"
        if has_assessments(study):
            inputs[f"{study}__response_duration"] = f"results/{study}/tables/response_duration.csv"
            inputs[f"{study}__response_duration_md"] = f"results/{study}/tables/response_duration.md"
        if study in TRIAL_CONTEXT_STUDIES:  # the trial-context tables: a section and DOCX tables
            for key in TRIAL_CONTEXT_REPORT:
                inputs[f"{study}__trial_context_{key}"] = trial_context_outputs(study)[key]
    return inputs


def manifest_inputs(wildcards):
    """Every output that the manifest lists: all final outputs but the manifest itself."""
    return [path for path in get_final_output(wildcards) if path != "results/MANIFEST.sha256"]


def shareable_table(study, name, caption):
    """A shareable results table of a study, registered for the HTML report."""
    return report(
        f"results/{study}/tables/{name}.csv",
        caption=f"../report/{caption}.rst",
        category="Tables",
        subcategory=study,
        labels={"study": study, "table": name},
    )


COMPETING_TABLES = ["cumulative_incidence", "competing_comparisons"]


def competing_outputs(study):
    """The competing-risks outputs of a study (its summarize job, summarize.smk)."""
    return [
        *(f"results/{study}/tables/{name}.{ext}" for name in COMPETING_TABLES for ext in ("csv", "md")),
        f"results/{study}/competing/cif_curves.parquet",
        f"results/{study}/competing/risk_table.csv",
    ]  # the cif_<endpoint> figures: figure_outputs (figures.smk)


# ---- the summarize job of a study (summarize.smk) ----------------------------------------------


def summary_parts(study):
    """{part: {key: path}}: what the study's summarize job writes, part by part, in the order the
    job runs them; a part that the study does not configure is absent. Each part keeps the output
    keys (and the log) that it had as a job of its own."""
    base = f"results/{study}"
    block = study_config(study)
    parts = {
        # Kaplan-Meier summaries, landmarks, comparisons, Cox models and subgroups
        "survival": {
            **{name: shareable_table(study, name, "table_survival") for name in SURVIVAL_TABLES},
            **{f"{name}_md": f"{base}/tables/{name}.md" for name in SURVIVAL_MARKDOWN},
            "km_curves": f"{base}/survival/km_curves.parquet",
            "risk_table": f"{base}/survival/risk_table.csv",
            **{f"{name}_internal": f"{base}/internal/{name}.csv" for name in SURVIVAL_TABLES},
        },
        # response, safety and baseline
        "tables": {
            **{f"{name}_csv": shareable_table(study, name, "table_tables") for name in TABLE_NAMES},
            **{f"{name}_md": f"{base}/tables/{name}.md" for name in TABLE_NAMES},
            **{f"{name}_internal": f"{base}/internal/{name}.csv" for name in TABLE_NAMES},
        },
    }
    if block["competing_endpoints"]:  # Aalen-Johansen, Gray's test, Fine-Gray
        parts["competing"] = {
            **{name: shareable_table(study, name, "table_competing") for name in COMPETING_TABLES},
            **{f"{name}_internal": f"{base}/internal/{name}.csv" for name in COMPETING_TABLES},
            **{f"{name}_md": f"{base}/tables/{name}.md" for name in COMPETING_TABLES},
            "cif_curves": f"{base}/competing/cif_curves.parquet",
            "risk_table": f"{base}/competing/risk_table.csv",
        }
    if study in ADJUSTED_STUDIES:  # propensity score, weights, balance, weighted survival
        parts["adjusted"] = {
            **{name: shareable_table(study, name, "table_adjusted") for name in ADJUSTED_TABLES},
            "adjusted_md": f"{base}/tables/adjusted.md",
            "methods": f"{base}/adjusted/methods.md",
            "km_curves": f"{base}/adjusted/km_curves.parquet",
            "risk_table": f"{base}/adjusted/risk_table.csv",
            "scores": f"{base}/adjusted/propensity_scores.parquet",
            **{f"{name}_internal": f"{base}/internal/{name}.csv" for name in ADJUSTED_TABLES},
        }
    if has_assessments(study):  # duration of response and time to response
        parts["response_duration"] = {
            "csv": shareable_table(study, "response_duration", "table_tables"),
            "md": f"{base}/tables/response_duration.md",
            "internal": f"{base}/internal/response_duration.csv",
        }
    if "records" in block:  # treatment patterns: line-to-line transitions, outcomes by line
        parts["treatment_patterns"] = {
            "sequences": f"{base}/tables/treatment_sequences.csv",
            "outcomes": f"{base}/tables/outcomes_by_line.csv",
            "sequences_internal": f"{base}/internal/treatment_sequences.csv",
            "outcomes_internal": f"{base}/internal/outcomes_by_line.csv",
        }
    if study in TRIAL_CONTEXT_STUDIES:  # reconstructed trial arms (reads the survival part's tables)
        parts["trial_context"] = trial_context_outputs(study)
    return parts


# the log of each part: results/{study}/logs/<name>.log, the names of the parts' former jobs
SUMMARY_LOGS = {
    "survival": "summarize_survival",
    "tables": "summarize_tables",
    "competing": "summarize_competing",
    "adjusted": "summarize_adjusted",
    "response_duration": "summarize_response_duration",
    "treatment_patterns": "summarize_treatment_patterns",
    "trial_context": "trial_context",
}


def summary_inputs(study):
    """The files the study's summarize job reads: the analysis dataset and adverse events, and
    where its parts need them the tumour response (assessments), the lines of therapy and patients
    (records) and the trial arms' digitised curves."""
    base = f"results/{study}"
    files = {
        "dataset": f"{base}/analysis_dataset.parquet",
        "adverse_events": f"{base}/adverse_events.parquet",
    }
    if has_assessments(study):
        files["tumour_response"] = f"{base}/internal/tumour_response.parquet"
    if "records" in study_config(study):
        files["lines"] = f"{base}/lines_of_therapy.parquet"
        files["patients"] = f"{base}/internal/records_patients.parquet"
    if study in TRIAL_CONTEXT_STUDIES:
        files.update(trial_context_inputs(study))
    return files


def final_outputs(study):
    """Every final output of one study, stage by stage (what `rule all` asks for)."""
    return [
        # endpoints.smk
        f"results/{study}/analysis_dataset.parquet",
        f"results/{study}/tables/attrition.csv",
        # records.smk and summarize.smk (records studies)
        *records_outputs(study),
        # summarize.smk: survival
        *(f"results/{study}/tables/{name}.csv" for name in SURVIVAL_TABLES),
        *(f"results/{study}/tables/{name}.md" for name in SURVIVAL_MARKDOWN),
        f"results/{study}/survival/km_curves.parquet",
        f"results/{study}/survival/risk_table.csv",
        # summarize.smk: competing risks (studies with competing_endpoints)
        *(competing_outputs(study) if study_config(study)["competing_endpoints"] else []),
        # summarize.smk: response, safety and baseline
        *(f"results/{study}/tables/{name}.{ext}" for name in TABLE_NAMES for ext in ("csv", "md")),
        # summarize.smk: duration of response (studies with an assessment file)
        *(
            [f"results/{study}/tables/response_duration.{ext}" for ext in ("csv", "md")]
            if has_assessments(study)
            else []
        ),
        # figures.smk
        *figure_outputs(study).values(),
        # summarize.smk: the adjusted comparison (studies with an adjustment block)
        *(
            [
                *(f"results/{study}/tables/{name}.csv" for name in ADJUSTED_TABLES),
                f"results/{study}/tables/adjusted.md",
                f"results/{study}/adjusted/methods.md",
            ]
            if study in ADJUSTED_STUDIES
            else []
        ),
        # summarize.smk: trial context (studies with reconstructed trial arms)
        *(trial_context_outputs(study).values() if study in TRIAL_CONTEXT_STUDIES else []),
        # reproduce.smk (studies with published targets)
        *(
            [f"results/{study}/reproduction.csv", "results/reproduction_summary.md"]
            if study in reproduction_studies()
            else []
        ),
    ]


def get_final_output(wildcards):
    paths = [path for study in STUDIES for path in final_outputs(study)]
    paths += [f"results/{study}/{name}" for study in STUDIES for name in ("summary.md", "tables.docx", "report.html", "checklist.md")]
    paths.append("results/MANIFEST.sha256")
    return list(dict.fromkeys(paths))


# no output ever leaves results/ (names from config and data are checked in prepare(); this is the
# last line of defence, before the DAG is built)
_UNSAFE = unsafe_output_paths(get_final_output(None))
if _UNSAFE:
    raise WorkflowError("outputs outside results/ refused: " + ", ".join(sorted(_UNSAFE)[:5]))


# ---- the standalone study report (html_report.smk) ----------------------------------------------


def html_report_files(study):
    """What the report of a study shows, in order: its tables (the formatted Markdown version where
    one exists, else the CSV; manuscript tables first), its figures (PNG), the summary and the
    reproduction table."""
    outputs = final_outputs(study)
    base = f"results/{study}/"
    markdown = [p for p in outputs if p.endswith(".md") and p.startswith(f"{base}tables/")]
    markdown += [p for p in outputs if p.endswith(".md") and p.startswith(f"{base}trial_context/")]
    order = {f"{base}tables/{name}.md": i for i, name in enumerate(DOCX_TABLES)}
    markdown.sort(key=lambda p: order.get(p, len(order)))
    shown = {p[: -len(".md")] for p in markdown}
    # tables that a Markdown file of another name formats (adjusted.md: comparisons and balance)
    shown |= {f"{base}tables/{name}" for name in ("balance", "adjusted_comparisons") if f"{base}tables/adjusted.md" in markdown}
    csvs = [
        p
        for p in outputs
        if p.startswith(f"{base}tables/") and p.endswith(".csv") and p[: -len(".csv")] not in shown
    ]
    reproduction = f"{base}reproduction.csv"
    figures = {
        Path(p).stem: p for p in outputs if p.startswith(f"{base}figures/") and p.endswith(".png")
    }
    return {
        "tables": [*dict.fromkeys(markdown + csvs)],
        "figures": figures,
        "summary": f"{base}summary.md",
        "reproduction": reproduction if reproduction in outputs else None,
    }


def html_report_captions(study):
    """Per figure the text of its caption template of the Snakemake report (workflow/report/*.rst),
    or None. The text, not the path: source_path() may name a per-run cache folder, and a param
    that changes from run to run would rerun the job every time."""
    templates = {spec.name: figure_caption(spec) for spec in figure_specs(study_config(study))}
    return {
        stem: (
            Path(workflow.source_path(f"../report/{templates[stem]}")).read_text(encoding="utf-8")
            if stem in templates
            else None
        )
        for stem in html_report_files(study)["figures"]
    }


def html_report_inputs(wildcards):
    inputs = []
    for study in STUDIES:
        files = html_report_files(study)
        inputs += [*files["tables"], *files["figures"].values(), files["summary"]]
        inputs += [
            f"results/{study}/tables/{name}.csv" for name in ("survival", "attrition", "missingness")
        ]
        if files["reproduction"]:
            inputs.append(files["reproduction"])
    return list(dict.fromkeys(inputs))
