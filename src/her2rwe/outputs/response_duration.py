"""The duration-of-response table of a study with an assessment file: shareable frame and Markdown.

Computed by analyses.response_duration; counts masked by outputs.shareable.response_duration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from her2rwe import formatting
from her2rwe.analyses.response_duration import summarize_response_duration
from her2rwe.config import study_settings
from her2rwe.derive.dataset import arm_levels
from her2rwe.formatting import LevelLabels
from her2rwe.outputs import shareable

TITLE = "Duration of response and time to response"


def _count(n: Any) -> Any:
    return n if shareable.is_masked(n) else int(n)


def format_response_duration(
    table: pd.DataFrame, study: Mapping[str, Any], suppression: str = ""
) -> str:
    study = study_settings(study)
    conf = f"{study['conf_level'] * 100:g}% CI"
    header = [
        "Arm",
        "N",
        "Responders",
        "DoR events",
        f"Median DoR, months ({conf})",
        "Median TTR, months (IQR)",
        "TTR range, months",
    ]
    rows = []
    arm = LevelLabels.of(study).arm
    for rec in table.to_dict("records"):
        rows.append(
            [
                arm(rec["arm"]),
                _count(rec["n"]),
                _count(rec["responders"]),
                _count(rec["dor_events"]),
                formatting.fmt_estimate_ci(
                    rec["dor_median"], rec["dor_median_lower"], rec["dor_median_upper"]
                ),
                "-"
                if formatting.is_missing(rec["ttr_median"])
                else f"{formatting.fmt_num(rec['ttr_median'])} "
                f"({formatting.fmt_ci(rec['ttr_q25'], rec['ttr_q75'])})",
                "-"
                if formatting.is_missing(rec["ttr_min"])
                else formatting.fmt_ci(rec["ttr_min"], rec["ttr_max"]),
            ]
        )
    r = study["response"]
    confirm = (
        f"confirmed by an assessment at least {r['confirmation_min_days']} days later"
        if r["confirmation"] == "required"
        else "without confirmation"
    )
    notes = [
        f"Responders: best overall response CR or PR from the tumour assessments ({confirm}).",
        "DoR: first CR or PR to progression or death on the index line, Kaplan-Meier among "
        f"responders; censored at the last adequate assessment. {conf}: "
        f"{formatting.CI_METHOD_TEXT[study['ci_method']]}.",
        "TTR: index date to the first CR or PR, among responders.",
        *sorted({n for n in table["note"] if isinstance(n, str) and n}),
        suppression,
    ]
    if study.get("synthetic"):
        notes.append("Synthetic data: no row describes a real patient.")
    title = f"{TITLE} - {study['title']}" if study.get("title") else TITLE
    return formatting.markdown_table(rows, header, title, notes)


def response_duration_tables(
    patients: pd.DataFrame, study: Mapping[str, Any], min_cell_count: int
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """(unsuppressed, shareable, markdown) duration-of-response tables of a study."""
    study = study_settings(study)
    arms = arm_levels(study, sorted(patients["arm"].astype(str).unique()))
    table = summarize_response_duration(patients, arms, study)
    shared = shareable.response_duration(table, min_cell_count)
    markdown = format_response_duration(shared.table, study, shared.footnote())
    return table, shared.table, markdown


def response_duration_sentences(table: pd.DataFrame | None, study: Mapping[str, Any]) -> list[str]:
    """ "Among responders, the median duration of response was 9.1 months (95% CI 6.0-12.3) with
    ADC (24 responders) ..." and the median time to response, for the results paragraph. Read
    from the shareable table: a masked count is shown as its marker."""
    if table is None or table.empty:
        return []
    study = study_settings(study)
    conf = f"{study['conf_level'] * 100:g}% CI"
    arm = LevelLabels.of(study).arm
    dor, ttr = [], []
    for rec in table.to_dict("records"):
        if not shareable.is_masked(rec["responders"]) and int(rec["responders"]) == 0:
            continue
        median = formatting.fmt_num(rec["dor_median"])
        ci = formatting.fmt_ci(rec["dor_median_lower"], rec["dor_median_upper"])
        n = _count(rec["responders"])
        months = " months" if median != formatting.NR else ""
        dor.append(f"{median}{months} ({conf} {ci}) with {arm(rec['arm'])} ({n} responders)")
        ttr.append(
            f"{formatting.fmt_num(rec['ttr_median'])} months (IQR "
            f"{formatting.fmt_ci(rec['ttr_q25'], rec['ttr_q75'])}) with {arm(rec['arm'])}"
        )
    if not dor:
        return ["No patient had a CR or PR, so duration of response was not estimated."]
    return [
        "Among responders, the median duration of response was " + "; ".join(dor) + ".",
        "The median time to response was " + "; ".join(ttr) + ".",
    ]


def response_methods_sentence(study: Mapping[str, Any]) -> str:
    """The methods sentence of a study whose best response comes from tumour assessments."""
    study = study_settings(study)
    r = study["response"]
    if r["confirmation"] == "required":
        confirm = (
            f"a CR or PR counted when confirmed by a later assessment at least "
            f"{r['confirmation_min_days']} days after it (at most {r['confirmation_max_ne']} NE "
            f"{'and one SD ' if r['confirmation_accept_sd'] else ''}between)"
        )
    else:
        confirm = "responses did not require confirmation"
    ends = ["the first progression"]
    if r["stop_at_next_line"]:
        ends.append("the start of the next line")
    if r.get("cutoff_date"):
        ends.append(f"the data cut-off ({r['cutoff_date']})")
    until = ends[0] if len(ends) == 1 else f"the earliest of {', '.join(ends[:-1])} and {ends[-1]}"
    return (
        "Best overall response was derived from the serial tumour assessments by RECIST 1.1: only "
        f"assessments after the index date, up to {until}, counted; {confirm}; stable disease "
        f"counted from {r['sd_min_weeks']:g} "
        "weeks after the index date (earlier SD counted as not evaluable). Duration of response "
        "(first CR or PR to progression or death on the index line) was estimated by Kaplan-Meier "
        "among responders; time to response is summarised by its median and interquartile range."
    )
