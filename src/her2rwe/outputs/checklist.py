"""The reporting checklist of a study (results/{study}/checklist.md), filled from the run.

Items of STROBE (cohort studies) and of its RECORD extension for routinely collected data, each in
a short paraphrase with where in this study's outputs it is answered, or that the pipeline does not
answer it (the introduction, discussion, funding and the data's provenance are the authors' to
write). The wording of ESMO-GROW is not bundled, so its items are not listed. Which outputs exist
depends on the study's config (an adjusted comparison, subgroups, records input, published
targets); numbers quoted are read from the shareable tables.

No pandas at import time (the report job reads tables only to show them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

NOT_ANSWERED = "Not answered by the pipeline"


@dataclass(frozen=True)
class Facts:
    """What the checklist quotes from the run."""

    analysed: str  # patients analysed (text: a masked count stays masked), "" if unknown
    variables: int  # variables counted in missingness.csv
    with_missing: int  # of which with at least one missing value (Overall or the single arm)
    has: frozenset[str]  # outputs present, paths relative to results/{study}/


def facts(
    attrition: Sequence[Mapping[str, str]],
    missingness: Sequence[Mapping[str, str]],
    outputs: Sequence[str],
) -> Facts:
    from her2rwe.outputs.html_report import analysed_patients

    total = analysed_patients(attrition)
    arms = list(dict.fromkeys(r["arm"] for r in missingness))
    top = "Overall" if "Overall" in arms else (arms[0] if arms else "")
    rows = [r for r in missingness if r["arm"] == top]
    missing = [r for r in rows if r["missing_n"] not in ("0", "0.0")]
    return Facts(total, len(rows), len(missing), frozenset(outputs))


def _where(f: Facts, *paths: str) -> str:
    """The outputs among `paths` that this study has, in backticks; "" when none."""
    present = [p for p in paths if p in f.has]
    return ", ".join(f"`{p}`" for p in present)


def _either(answer: str, otherwise: str) -> str:
    return answer if answer else otherwise


def items(study: Mapping[str, Any], f: Facts) -> list[tuple[str, str, str]]:
    """(item, what it asks, where it is answered) for every STROBE and RECORD item."""
    records = "records" in study
    adjusted = bool(study.get("adjustment"))
    subgroups = bool(study["subgroups"])
    n_text = f" ({f.analysed} patients analysed)" if f.analysed else ""
    attrition = _where(f, "tables/attrition.csv", "figures/flow.png")
    methods = "`summary.md` (Methods), `report.html` (Methods)"
    not_manuscript = f"{NOT_ANSWERED}: the authors' text"
    rows = [
        ("STROBE 1a", "Design named in the title or abstract", not_manuscript),
        ("STROBE 1b", "Informative, balanced abstract",
         f"{NOT_ANSWERED}; the results paragraph of `summary.md` gives its numbers"),
        ("STROBE 2", "Scientific background and rationale", not_manuscript),
        ("STROBE 3", "Objectives and hypotheses", not_manuscript),
        ("STROBE 4", "Key elements of the design early in the paper",
         "`report.html` (Design): data, arms and reference, endpoints, subgroups, adjustment"),
        ("STROBE 5", "Setting, locations, relevant dates (recruitment, exposure, follow-up)",
         f"{NOT_ANSWERED} for places and calendar dates (no date leaves the pipeline); "
         "follow-up: median by reverse Kaplan-Meier in `tables/survival.md`"),
        ("STROBE 6a", "Eligibility criteria, sources and methods of selection; follow-up methods",
         _either(attrition, NOT_ANSWERED) + n_text + "; censoring rules in " + methods),
        ("STROBE 6b", "Matched studies: matching criteria and number exposed/unexposed",
         "`tables/adjusted.md`, `tables/balance.csv` (1:1 propensity-score matching as a "
         "sensitivity analysis)" if adjusted and study["adjustment"]["matching"]
         else "Not applicable: no matched design"),
        ("STROBE 7", "Outcomes, exposures, predictors, confounders, effect modifiers defined",
         f"Endpoints, covariates and subgroups: {methods}, `report.html` (Design); endpoint "
         "definitions in the study config (`endpoint_definitions`) and docs/methods.md"),
        ("STROBE 8", "Data sources and methods of measurement for each variable",
         f"Response (RECIST 1.1) and adverse events (CTCAE grade) in {methods}; "
         f"{NOT_ANSWERED} for the data's provenance"),
        ("STROBE 9", "Efforts to address potential sources of bias",
         "Confounding: propensity-score adjusted comparison, `tables/adjusted.md`, "
         "`adjusted/methods.md`, E-values in `tables/adjusted_comparisons.csv`" if adjusted
         else f"{NOT_ANSWERED}: no adjusted comparison is configured (studies.<name>.adjustment)"),
        ("STROBE 10", "How the study size was arrived at",
         _either(_where(f, "tables/attrition.csv"), NOT_ANSWERED) + n_text
         + "; no sample-size calculation (a fixed cohort)"),
        ("STROBE 11", "Handling of quantitative variables, groupings chosen",
         "`tables/baseline.md` (continuous as median [IQR] and range; categorical levels as "
         "configured in `categorical`)"),
        ("STROBE 12a", "All statistical methods, including those to control for confounding",
         methods + (", `adjusted/methods.md`" if adjusted else "")),
        ("STROBE 12b", "Methods to examine subgroups and interactions",
         "Interaction p (likelihood-ratio test) in `tables/subgroup_survival.csv`, forest "
         "figures; " + methods if subgroups else "Not applicable: no subgroups configured"),
        ("STROBE 12c", "How missing data were addressed",
         f"`tables/missingness.csv` ({f.with_missing} of {f.variables} variables with a missing "
         "value); missing values are left out of each statistic (`tables/baseline.md` Missing "
         "rows)" + ("; complete cases in the adjusted comparison (`tables/adjusted_attrition.csv`)"
                    if adjusted else "")),
        ("STROBE 12d", "Cohort studies: how loss to follow-up was addressed",
         "Censoring at the last assessment or contact, " + methods
         + "; reverse Kaplan-Meier follow-up in `tables/survival.md`"),
        ("STROBE 12e", "Sensitivity analyses",
         "`tables/adjusted.md` (weighting, and matching where configured)" if adjusted
         else f"{NOT_ANSWERED}: no sensitivity analysis is configured"),
        ("STROBE 13a", "Numbers of individuals at each stage",
         _either(attrition, NOT_ANSWERED) + n_text),
        ("STROBE 13b", "Reasons for non-participation at each stage",
         _either(_where(f, "tables/attrition.csv"), NOT_ANSWERED) + " (reason column)"),
        ("STROBE 13c", "Flow diagram",
         "`figures/flow.png`" if "figures/flow.png" in f.has
         else f"{NOT_ANSWERED}: the attrition table gives the numbers"),
        ("STROBE 14a", "Characteristics of participants; information on exposures and confounders",
         "`tables/baseline.md` (Table 1)"),
        ("STROBE 14b", "Number of participants with missing data for each variable",
         "`tables/missingness.md`, `tables/missingness.csv` (per arm)"),
        ("STROBE 14c", "Follow-up time (average and total)",
         "Median follow-up by reverse Kaplan-Meier, `tables/survival.md`; "
         f"{NOT_ANSWERED} for total person-time"),
        ("STROBE 15", "Numbers of outcome events or summary measures over time",
         "Events per endpoint and arm, `tables/survival.md`; survival over time, "
         "`tables/landmarks.csv` and the Kaplan-Meier figures with numbers at risk"),
        ("STROBE 16a", "Unadjusted and adjusted estimates with precision; confounders adjusted for",
         "`tables/survival.md`, `tables/comparisons.md`, `tables/cox_models.md`"
         + (", `tables/adjusted.md`" if adjusted else "")),
        ("STROBE 16b", "Category boundaries of categorised continuous variables",
         "`tables/baseline.md`, `tables/cox_models.md` (levels as coded)"),
        ("STROBE 16c", "Relative risk translated into absolute risk",
         "Landmark survival rates with CIs, `tables/landmarks.csv`; RMST, `tables/survival.md`"),
        ("STROBE 17", "Other analyses: subgroups, interactions, sensitivity analyses",
         ", ".join(x for x in [
             "`tables/subgroup_survival.csv`, `tables/response_subgroups.md`, forest figures"
             if subgroups else "",
             "`tables/adjusted.md`" if adjusted else "",
             "`tables/trial_context.md`" if "tables/trial_context.md" in f.has else "",
         ] if x) or f"{NOT_ANSWERED}: none configured"),
        ("STROBE 18", "Key results with reference to the objectives",
         f"{NOT_ANSWERED}; `summary.md` (Results) states them"),
        ("STROBE 19", "Limitations, sources of bias or imprecision", not_manuscript),
        ("STROBE 20", "Cautious overall interpretation", not_manuscript),
        ("STROBE 21", "Generalisability", not_manuscript),
        ("STROBE 22", "Funding and the role of funders", not_manuscript),
        ("RECORD 1.1", "Type of data and database named in the title or abstract", not_manuscript),
        ("RECORD 1.2", "Region and time frame in the abstract", not_manuscript),
        ("RECORD 1.3", "Linkage between databases stated", not_manuscript),
        ("RECORD 6.1", "Methods of selecting the population (codes, algorithms)",
         ("Index-line selection from the records, docs/lines_of_therapy.md; " if records else "")
         + "arm and endpoint definitions in the study config; " + _either(attrition, "")),
        ("RECORD 6.2", "Validation of the codes or algorithms used to select the population",
         NOT_ANSWERED),
        ("RECORD 6.3", "Data linkage: flow diagram of the linkage",
         "Not applicable: one data source per study" if not records
         else "`figures/flow.png` (the records of one source, no linkage)"),
        ("RECORD 7.1", "Complete list of codes and algorithms for exposures, outcomes, confounders",
         ("The drug dictionary (data/drug_dictionary.csv) and line rules; " if records else "")
         + "endpoint definitions in the study config (`endpoint_definitions`) and docs/methods.md"),
        ("RECORD 12.1", "Extent of the investigators' access to the database", not_manuscript),
        ("RECORD 12.2", "Data cleaning methods",
         "Input validation (types, codes, dates) stops the run or writes attrition rows; "
         "the job logs (logs/) name each check; docs/data_dictionary.md"),
        ("RECORD 12.3", "Linkage methods and their quality",
         "Not applicable: no linkage in the pipeline"),
        ("RECORD 13.1", "Selection of the persons included, with a flow diagram",
         _either(attrition, NOT_ANSWERED) + n_text),
        ("RECORD 19.1", "Implications of using data not collected for the research question",
         f"{NOT_ANSWERED}; `tables/missingness.csv`"
         + (" and the E-values of `tables/adjusted_comparisons.csv`" if adjusted else "")
         + " inform it"),
        ("RECORD 22.1", "Access to the protocol, raw data and programming code",
         "Software and versions, " + methods + "; every output's checksum, "
         "`../MANIFEST.sha256`; the code is this pipeline's repository; "
         f"{NOT_ANSWERED} for the protocol and raw data"),
    ]  # fmt: skip
    return rows


def checklist_markdown(study_name: str, study: Mapping[str, Any], f: Facts) -> str:
    from her2rwe.formatting import markdown_table

    title = str(study.get("title") or study_name)
    rows = items(study, f)
    answered = sum(1 for _, _, where in rows if not where.startswith(NOT_ANSWERED))
    intro = (
        f"# Reporting checklist: {title}\n\n"
        "STROBE (cohort studies) and its RECORD extension for routinely collected data. Each item "
        "is paraphrased; the last column says where this study's outputs (under "
        f"`results/{study_name}/`) answer it, or that the pipeline does not. "
        f"{answered} of {len(rows)} items point to an output. ESMO-GROW items are not listed: "
        "their wording is not bundled with the pipeline.\n\n"
    )
    notes = ["Synthetic data: no row describes a real patient."] if study.get("synthetic") else []
    return intro + markdown_table(
        rows, ["Item", "Asks for", "Where answered"], align=["l", "l", "l"], footnotes=notes
    )
