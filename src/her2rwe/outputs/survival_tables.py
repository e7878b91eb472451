"""Landmark and subgroup survival for people: the formatted tables (tables/landmarks.md,
tables/subgroup_survival.md, also in tables.docx and report.html) and the sentences of the results
paragraph (summary.md) that quote them.

Everything reads the shareable tables (counts masked below min_cell_count print as they are).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from her2rwe import formatting as fmt
from her2rwe.config import study_settings
from her2rwe.derive.endpoints import endpoint_name
from her2rwe.formatting import LevelLabels
from her2rwe.outputs.report import endpoint_abbreviation, sentence_order

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def _num(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number


def _count(value: Any) -> str:
    """A count as printed: the integer, or a masked cell (``<11``, ``*``) as it is; empty if none."""
    number = _num(value)
    if number is None:
        return "" if fmt.is_missing(value) else str(value)
    return str(int(number))


def _pct(value: Any) -> str:
    """A survival probability as a percentage with one decimal (a masked cell as it is)."""
    number = _num(value)
    if number is None:
        return "NR" if fmt.is_missing(value) else str(value)
    return fmt.fmt_num(100 * number, 1)


def _rate(row: Mapping[str, Any]) -> str:
    """``65.9 (52.5-76.3)``: the rate in % and its CI."""
    if _num(row["surv"]) is None:
        return _pct(row["surv"])
    return f"{_pct(row['surv'])} ({_pct(row['surv_lower'])}-{_pct(row['surv_upper'])})"


def _months(t: float) -> str:
    return f"{t:g}"


def _title(study: Mapping[str, Any], name: str) -> str:
    return f"{name}: {study['title']}" if study.get("title") else name


def _synthetic(study: Mapping[str, Any]) -> list[str]:
    return ["Synthetic data."] if study.get("synthetic") else []


def _groups(table: pd.DataFrame) -> pd.DataFrame:
    """The arm rows, and the overall row only when there are two or more arms."""
    arms = table[table["split"] == "arm"]
    if arms["group"].nunique() > 1:
        return table[table["split"].isin(["arm", "overall"])]
    return arms if not arms.empty else table[table["split"] == "overall"]


def format_landmarks(table: pd.DataFrame, study: Mapping[str, Any], note: str = "") -> str:
    """One row per endpoint and arm, one column per landmark time: rate % (95% CI) [at risk]."""
    study = study_settings(study)
    shown = _groups(table)
    times = sorted({float(t) for t in shown["time"]})
    labels = LevelLabels.of(study)
    rows = []
    for endpoint in study["endpoints"]:
        sub = shown[shown["endpoint"] == endpoint]
        for group in dict.fromkeys(sub["group"]):
            cells = []
            for t in times:
                hit = sub[(sub["group"] == group) & (sub["time"].astype(float) == t)]
                if hit.empty:
                    cells.append("-")
                    continue
                r = hit.iloc[0]
                cells.append(f"{_rate(r)} [{_count(r['n_risk'])}]")
            split = sub.loc[sub["group"] == group, "split"].iloc[0]
            shown_group = labels.arm(group) if split == "arm" else group
            rows.append([endpoint_name(study, endpoint), shown_group, *cells])
    header = ["Endpoint", "Group", *(f"{_months(t)} months" for t in times)]
    conf = f"{study['conf_level'] * 100:g}%"
    # SPSS-style studies: symmetric bands for the curve and its landmarks (analyses/survival.py)
    method = "plain" if study["ci_method"] == "spss" else study["ci_method"]
    notes = [
        f"Kaplan-Meier survival rate, % ({conf} CI) [number at risk] at each landmark; "
        f"{fmt.ci_method_text(method, study['conf_level'])}.",
        note,
        *_synthetic(study),
    ]
    return fmt.markdown_table(rows, header, _title(study, "Landmark survival rates"), notes)


def _blank(value: Any) -> bool:
    return fmt.is_missing(value) or not str(value).strip()


def _level(r: Mapping[str, Any], labels: LevelLabels) -> str:
    """The subgroup level of a row as people read it (a compare group's name as configured)."""
    if str(r["level"]) == "Overall" or r["contrast"] == "compare":
        return str(r["level"])
    return labels.label(str(r["variable"]), r["level"])


def _comparison(r: Mapping[str, Any], labels: LevelLabels) -> str:
    if r["contrast"] == "level":
        if str(r["level"]) == "Overall":
            return ""
        if str(r["note"] or "") == "reference level" or _blank(r["reference"]):
            return "reference"
        reference = labels.label(str(r["variable"]), r["reference"])
        return f"{_level(r, labels)} vs {reference}"
    if r["contrast"] == "arm":
        return f"{labels.arm(r['group'])} vs {labels.arm(r['reference'])}"
    return f"{r['group']} vs {r['reference']}"


def format_subgroups(table: pd.DataFrame, study: Mapping[str, Any], note: str = "") -> str:
    """One row per endpoint, subgroup level and comparison: n (events), median, HR and p, and the
    interaction p of the subgroup."""
    study = study_settings(study)
    conf = f"{study['conf_level'] * 100:g}%"
    labels = LevelLabels.of(study)
    rows = []
    for r in table.to_dict("records"):
        hr = (
            fmt.fmt_estimate_ci(r["hr"], r["hr_lower"], r["hr_upper"], 2, "-")
            if _num(r["hr"]) is not None
            else ("-" if fmt.is_missing(r["hr"]) else str(r["hr"]))
        )
        rows.append([
            endpoint_name(study, r["endpoint"]),
            "Overall" if str(r["level"]) == "Overall" else str(r["label"]),
            "" if str(r["level"]) == "Overall" else _level(r, labels),
            _comparison(r, labels),
            f"{_count(r['n'])} ({_count(r['events'])})",
            fmt.fmt_estimate_ci(r["median"], r["median_lower"], r["median_upper"])
            if _num(r["median"]) is not None or fmt.is_missing(r["median"]) else str(r["median"]),
            hr,
            fmt.fmt_p(r["hr_p"]) if _num(r["hr_p"]) is not None else "",
            fmt.fmt_p(r["interaction_p"]) if _num(r["interaction_p"]) is not None else "",
        ])  # fmt: skip
    header = [
        "Endpoint", "Subgroup", "Level", "Comparison", "N (events)",
        f"Median, months ({conf} CI)", f"HR ({conf} CI)", "p", "Interaction p",
    ]  # fmt: skip
    notes = [
        f"Kaplan-Meier medians; HR from a Cox model ({study['ties'].capitalize()} ties, Wald "
        f"{conf} CI and p) of the comparison within each level; interaction p from a "
        "likelihood-ratio test of the arm-by-subgroup term. Single-arm studies compare each level "
        "with the first.",
        note,
        *_synthetic(study),
    ]
    return fmt.markdown_table(rows, header, _title(study, "Survival by subgroup"), notes)


# ------------------------------------------------------------------------------------------------
# sentences of the results paragraph


def landmark_sentences(
    study: Mapping[str, Any],
    landmarks: pd.DataFrame | None,
    arms: Sequence[str],
    reference: str | None = None,
) -> list[str]:
    """ "The 12-month PFS rate was 25.7% (95% CI 16.1-36.4) with ADC and 31.5% (...) with HP+C."
    per endpoint, at 12 months when it is a landmark, else the first landmark; the arms in the
    order of the median sentences (`report.sentence_order`)."""
    if landmarks is None or landmarks.empty:
        return []
    study = study_settings(study)
    times = sorted({float(t) for t in landmarks["time"]})
    t = 12.0 if 12.0 in times else times[0]
    shown = _groups(landmarks)
    labels = LevelLabels.of(study)
    multi = shown[shown["split"] == "arm"]["group"].nunique() > 1
    sentences = []
    for endpoint in study["endpoints"]:
        sub = shown[(shown["endpoint"] == endpoint) & (shown["time"].astype(float) == t)]
        if multi:
            sub = sub[sub["split"] == "arm"]
            ordered = sentence_order(arms, reference, study)
            order = [a for a in ordered if a in set(sub["group"])] or list(sub["group"])
        else:
            order = list(sub["group"])[:1]
        parts = []
        for group in order:
            r = sub[sub["group"] == group].iloc[0]
            if _num(r["surv"]) is None:
                continue
            text = f"{_pct(r['surv'])}% (95% CI {_pct(r['surv_lower'])}-{_pct(r['surv_upper'])})"
            parts.append(f"{text} with {labels.arm(group)}" if multi else text)
        if not parts:
            continue
        joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        name = endpoint_abbreviation(study, endpoint)
        sentences.append(f"The {_months(t)}-month {name} rate was {joined}.")
    return sentences


def subgroup_sentences(study: Mapping[str, Any], subgroups: pd.DataFrame | None) -> list[str]:
    """For the first (primary) endpoint, the comparisons of subgroup levels or defined groups (HR,
    CI, p), and the interaction p of each split in a study with arms; the other endpoints are in
    the table."""
    if subgroups is None or subgroups.empty:
        return []
    study = study_settings(study)
    labels = LevelLabels.of(study)
    sentences = []
    for endpoint in study["endpoints"][:1]:
        sub = subgroups[(subgroups["endpoint"] == endpoint) & (subgroups["level"].astype(str) != "Overall")]
        name = endpoint_abbreviation(study, endpoint)
        hrs, interactions = [], []
        for r in sub.to_dict("records"):
            if r["contrast"] in ("level", "compare") and _num(r["hr"]) is not None:
                p = fmt.fmt_p(r["hr_p"])
                p_text = f"; p {'= ' + p if not p.startswith('<') else p}" if p else ""
                hrs.append(
                    f"{_comparison(r, labels)}{' (' + str(r['label']) + ')' if r['contrast'] == 'level' else ''}, "
                    f"HR {fmt.fmt_num(r['hr'], 2)} (95% CI {fmt.fmt_ci(r['hr_lower'], r['hr_upper'], 2)}{p_text})"
                )
            elif r["contrast"] == "arm" and _num(r["interaction_p"]) is not None:
                label = str(r["label"])
                if label not in (x[0] for x in interactions):
                    interactions.append((label, fmt.fmt_p(r["interaction_p"])))
        if hrs:
            sentences.append(f"By subgroup, for {name}: " + "; ".join(hrs) + ".")
        if interactions:
            items = ", ".join(
                f"{label.lower() if label[:1].isupper() and not label[:2].isupper() else label} "
                f"(p {'= ' + p if not p.startswith('<') else p})"
                for label, p in interactions
            )
            sentences.append(f"Interaction tests for {name} by subgroup: {items}.")
    return sentences
