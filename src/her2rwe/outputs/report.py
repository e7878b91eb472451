"""Report pieces for people: a results paragraph per study in the style of a paper, a methods
paragraph that names every estimator and the software versions, and the parsing of the formatted
Markdown tables (the DOCX is written by outputs/docx_tables.py).

Everything here reads computed results (docs/outputs.md); nothing recomputes a statistic. Outputs
are deterministic: the same results give byte-identical files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from her2rwe import formatting as fmt
from her2rwe.config import study_settings
from her2rwe.derive.endpoints import BUILTIN_ENDPOINTS, endpoint_definitions
from her2rwe.formatting import LevelLabels

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd  # imported where used: the HTML report job reads no DataFrame

# ------------------------------------------------------------------------------------------------
# endpoint names


def endpoint_abbreviation(study: Mapping[str, Any], endpoint: str) -> str:
    """`PFS` for built-in endpoints, else the definition's label, else the name in capitals."""
    if endpoint in BUILTIN_ENDPOINTS and endpoint not in (study.get("endpoint_definitions") or {}):
        return endpoint.upper()
    definition = endpoint_definitions(study).get(endpoint)
    if not (definition and definition.label):
        return endpoint.upper()
    label = definition.label
    # "Duration of T-DXd" reads "duration of T-DXd" mid-sentence; "PFS2" or "T-DXd ..." stay as they are
    return label[0].lower() + label[1:] if label[:2].istitle() and label[1:2].islower() else label


# ------------------------------------------------------------------------------------------------
# results paragraph


def _rows(table: pd.DataFrame | None, **where: Any) -> pd.DataFrame:
    import pandas as pd

    if table is None or table.empty:
        return pd.DataFrame()
    mask = pd.Series(True, index=table.index)
    for col, value in where.items():
        if col in table.columns:
            mask &= table[col].astype(str) == str(value)
    return table[mask]


def _number(value: Any) -> float | None:
    """The cell as a number, or None for a masked cell (`<11`, `*`) or text."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _count(value: Any) -> str:
    """A count as printed: the integer, or a masked cell (min_cell_count) exactly as the table has it."""
    number = _number(value)
    return str(value) if number is None else str(int(number))


def _median_text(row: Mapping[str, Any], digits: int = 1) -> str:
    if fmt.is_missing(row.get("median")):
        lower = fmt.fmt_num(row.get("median_lower"), digits)
        return f"not reached (95% CI {lower}-NR)"
    return f"{fmt.fmt_num(row['median'], digits)} months (95% CI {fmt.fmt_ci(row.get('median_lower'), row.get('median_upper'), digits)})"


def sentence_order(
    arms: Sequence[str], reference: str | None, study: Mapping[str, Any] | None = None
) -> list[str]:
    """The arms in the order a sentence names them: the study's `arms.order` as given, when it sets
    one (`arms` is then in that order); else the other arms in display order and the reference
    last, the comparator last as papers write it."""
    if study is not None and study_settings(study)["arms"].get("order"):
        return list(arms)
    return [a for a in arms if a != reference] + ([reference] if reference else [])


def survival_sentences(
    study: Mapping[str, Any],
    survival: pd.DataFrame,
    comparisons: pd.DataFrame | None,
    arms: Sequence[str],
    reference: str | None,
) -> list[str]:
    """ "Median PFS was 7.0 months (95% CI ...) with ADC and 8.9 months (...) with HP+C (HR ..., p = ...)."""
    sentences = []
    for endpoint in study["endpoints"]:
        name = endpoint_abbreviation(study, endpoint)
        by_arm = _rows(survival, endpoint=endpoint, split="arm")
        if len(arms) <= 1 or by_arm.empty:
            row = _rows(survival, endpoint=endpoint, split="overall")
            if row.empty:
                row = by_arm
            if row.empty:
                continue
            r = row.iloc[0]
            sentences.append(
                f"Median {name} was {_median_text(r)}, with {_count(r['events'])} events among {_count(r['n'])} patients."
            )
            continue
        order = sentence_order(arms, reference, study)
        name_of = LevelLabels.of(study).arm
        parts = []
        for arm in order:
            row = _rows(by_arm, group=arm)
            if not row.empty:
                parts.append(f"{_median_text(row.iloc[0])} with {name_of(arm)}")
        text = f"Median {name} was " + _join(parts)
        hr_parts = []
        for arm in (a for a in order if a != reference):
            comp = _rows(comparisons, endpoint=endpoint, arm=arm)
            if comp.empty:
                continue
            c = comp.iloc[0]
            if fmt.is_missing(c.get("hr")):
                hr_parts.append(
                    f"{name_of(arm)} vs {name_of(reference)}: HR not estimable"
                    + (
                        f" ({c['note']})"
                        if isinstance(c.get("note"), str) and c.get("note")
                        else ""
                    )
                )
                continue
            hr = f"HR {fmt.fmt_num(c['hr'], 2)}, 95% CI {fmt.fmt_ci(c['hr_lower'], c['hr_upper'], 2)}"
            p = fmt.fmt_p(c.get("logrank_p"))
            p_text = f"; log-rank p {'= ' + p if not p.startswith('<') else p}" if p else ""
            prefix = f"{name_of(arm)} vs {name_of(reference)}: " if len(order) > 2 else ""
            hr_parts.append(prefix + hr + p_text)
        if hr_parts:
            text += " (" + "; ".join(hr_parts) + ")"
        sentences.append(text + ".")
    return sentences


def _join(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


TEST_NAMES = {
    "chisq": "chi-square test",
    "chisq (Yates)": "chi-square test with continuity correction",
    "fisher": "Fisher's exact test",
}


def _rate_text(row: Mapping[str, Any], key: str, digits: int = 1) -> str | None:
    """ "51.8% (43/83; 95% CI 40.6-62.9)", or None when the rate was not estimated."""
    if fmt.is_missing(row.get(f"{key}_n")) or fmt.is_missing(row.get(f"{key}_pct")):
        return None
    if _number(row[f"{key}_n"]) is None:  # a masked small count: its rate and CI are masked too
        return f"{_count(row[f'{key}_n'])} of {_count(row['n'])} patients"
    return (
        f"{fmt.fmt_num(row[f'{key}_pct'], digits)}% ({_count(row[f'{key}_n'])}/{_count(row['n'])}; "
        f"95% CI {fmt.fmt_ci(row.get(f'{key}_lower'), row.get(f'{key}_upper'), digits)})"
    )


def response_sentences(
    response: pd.DataFrame | None,
    comparisons: pd.DataFrame | None,
    arms: Sequence[str],
    reference: str | None,
    study: Mapping[str, Any] | None = None,
) -> list[str]:
    """ "The ORR was 51.8% (43/83; 95% CI ...) with ADC and 26.9% (...) with HP+C (p = ...)."""
    if response is None or response.empty:
        return []
    import pandas as pd

    names = {
        "orr": "objective response rate",
        "cbr": "clinical benefit rate",
        "dcr": "disease control rate",
    }
    sentences = []
    multi = len(arms) > 1
    for key, name in names.items():
        if f"{key}_pct" not in response.columns:
            continue
        if not multi:
            row = _rows(response, arm=arms[0]) if arms else pd.DataFrame()
            if row.empty:
                row = _rows(response, arm="Overall")
            if row.empty:
                continue
            text = _rate_text(row.iloc[0], key)
            if text:
                sentences.append(f"The {name} was {text}.")
            continue
        order = sentence_order(arms, reference, study)
        name_of = LevelLabels.of(study).arm if study is not None else str
        parts = []
        for arm in order:
            row = _rows(response, arm=arm)
            rate = None if row.empty else _rate_text(row.iloc[0], key)
            if rate:
                parts.append(f"{rate} with {name_of(arm)}")
        if not parts:
            continue
        text = f"The {name} was " + _join(parts)
        ps = []
        for arm in (a for a in order if a != reference):
            comp = _rows(comparisons, rate=key, arm=arm)
            if not comp.empty and not fmt.is_missing(_number(comp.iloc[0].get("p"))):
                p = fmt.fmt_p(comp.iloc[0]["p"])
                test = TEST_NAMES.get(str(comp.iloc[0].get("test", "")), "")
                # three or more arms: each p names its comparison, as the hazard ratios do
                who = f"{name_of(arm)} vs {name_of(reference)}, " if len(order) > 2 else ""
                ps.append(
                    f"{who}{test + ' ' if test else ''}p {'= ' + p if not p.startswith('<') else p}"
                )
        if ps:
            text += " (" + "; ".join(ps) + ")"
        sentences.append(text + ".")
    return sentences


def adverse_event_sentence(
    adverse_events: pd.DataFrame | None, top: int = 3, digits: int = 1
) -> list[str]:
    """ "The most common adverse events were diarrhea (36, 54.5%), ..." over all patients."""
    if adverse_events is None or adverse_events.empty:
        return []
    table = _rows(adverse_events, arm="Overall")
    if table.empty:  # a single-arm table without an Overall row
        arms = adverse_events["arm"].astype(str).unique()
        table = adverse_events if len(arms) == 1 else table
    table = table[~table["term"].astype(str).str.lower().str.startswith("any")]
    if table.empty:
        return []
    # rank by the count; a masked count (min_cell_count) ranks last and prints as it is
    rank = table["any_grade_n"].map(lambda v: -1.0 if _number(v) is None else _number(v))
    top_rows = (
        table.assign(_rank=rank.to_numpy())
        .sort_values("_rank", ascending=False, kind="mergesort")
        .head(top)
    )
    parts = []
    for r in top_rows.itertuples(index=False):
        term = str(r.term)
        name = term.lower() if term[:1].isupper() and not term[:2].isupper() else term
        pct = (
            r.any_grade_pct
            if _number(r.any_grade_pct) is None
            else fmt.fmt_num(r.any_grade_pct, digits) + "%"
        )
        parts.append(f"{name} ({_count(r.any_grade_n)}, {pct})")
    return [f"The most common adverse events were {_join(parts)}."]


def results_paragraph(
    study: Mapping[str, Any],
    survival: pd.DataFrame,
    comparisons: pd.DataFrame | None = None,
    response: pd.DataFrame | None = None,
    response_comparisons: pd.DataFrame | None = None,
    adverse_events: pd.DataFrame | None = None,
    arms: Sequence[str] = (),
    reference: str | None = None,
    survival_extra: Sequence[str] = (),
) -> str:
    """The results paragraph; `survival_extra` (landmark and subgroup sentences) follows the
    survival sentences."""
    sentences = [
        *survival_sentences(study, survival, comparisons, arms, reference),
        *survival_extra,
        *response_sentences(response, response_comparisons, arms, reference, study),
        *adverse_event_sentence(adverse_events),
    ]
    return " ".join(sentences)


def adjusted_sentences(study: Mapping[str, Any], comparisons: pd.DataFrame | None) -> list[str]:
    """ "Adjusted for ... (ATE weights), the HR for PFS was 0.97 (95% CI ...)." from the shareable
    adjusted_comparisons.csv (weighting rows; the matching rows are in the table)."""
    rows = _rows(comparisons, method="weighting")
    if rows.empty:
        return []
    spec = study_settings(study)["adjustment"]
    name_of = LevelLabels.of(study).arm
    parts = []
    for r in rows.itertuples(index=False):
        name = endpoint_abbreviation(study, r.endpoint)
        many = len(set(rows["arm"])) > 1
        who = f"{name_of(r.arm)} vs {name_of(r.reference)}, " if many else ""
        if fmt.is_missing(r.hr):
            parts.append(f"{who}{name}: HR not estimable")
            continue
        parts.append(
            f"{who}{name} HR {fmt.fmt_num(r.hr, 2)} (95% CI "
            f"{fmt.fmt_ci(r.hr_lower, r.hr_upper, 2)}; E-value {fmt.fmt_num(r.e_value, 2)})"
        )
    covs = ", ".join(spec["covariates"])
    return [
        f"In the sensitivity analysis adjusted for {covs} by propensity-score weighting "
        f"({spec['estimand']}), {_join(parts)}."
    ]


# ------------------------------------------------------------------------------------------------
# methods paragraph


def software_versions(
    packages: Iterable[str] = ("her2rwe", "numpy", "pandas", "scipy", "matplotlib", "snakemake"),
) -> dict[str, str]:
    import platform
    from importlib import metadata

    versions = {"Python": platform.python_version()}
    for pkg in packages:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "not installed"
    return versions


def methods_paragraph(
    study: Mapping[str, Any],
    days_per_month: float,
    versions: Mapping[str, str],
    extra: Sequence[str] = (),
) -> str:
    """Names every estimator, its settings, and the software versions; ``extra`` sentences (e.g.
    how best response was derived) go before the closing sentence on software."""
    study = study_settings(study)
    resp = study["response"]
    ci_text = fmt.ci_method_text(study["ci_method"], study["conf_level"])
    rate_ci = {"clopper-pearson": "Clopper-Pearson exact", "wilson": "Wilson score"}[
        resp["ci_method"]
    ]
    diff_ci = {"newcombe": "Newcombe hybrid score", "wald": "Wald"}[resp["diff_ci_method"]]
    test = {
        "auto": "Fisher's exact test when any expected count was below 5, otherwise the chi-square test",
        "chisq": "the chi-square test",
        "fisher": "Fisher's exact test",
    }[resp["test"]]
    strata = study.get("strata") or []
    strat = f", stratified by {', '.join(strata)}" if strata else ""
    ties = study["ties"].capitalize()
    software = ", ".join(f"{k} {v}" for k, v in versions.items())
    return (
        _survival_methods(study, days_per_month, ci_text, strat, ties)
        + competing_methods(study)
        + (
            f"Response was assessed by RECIST 1.1: objective response rate (ORR, "
            f"complete or partial response), disease control rate (DCR, ORR or stable disease) and clinical "
            f"benefit rate (CBR, ORR or stable disease lasting at least {resp['cbr_min_weeks']:g} weeks), "
            f"with {rate_ci} confidence intervals; differences between arms are given with {diff_ci} "
            f"intervals and compared with {test}. Adverse events are counted once per patient and term at the "
            f"worst CTCAE grade. "
        )
        + "".join(f"{sentence} " for sentence in extra)
        + f"Analyses used {software}."
    )


def competing_methods(study: Mapping[str, Any]) -> str:
    """The competing-risks sentence of the methods paragraph (empty without competing endpoints)."""
    study = study_settings(study)
    eps = study["competing_endpoints"]
    if not eps:
        return ""
    from her2rwe.analyses.competing import event_labels

    definitions = endpoint_definitions(study)
    parts = []
    for ep in eps:
        d = definitions.get(ep)
        if d is None or not d.is_competing:
            parts.append(ep.upper())
            continue
        labels = event_labels(study, ep)
        parts.append(f"{_sentence_case(labels['event'])} ({labels['rival']} competing)")
    conf = f"{study['conf_level'] * 100:g}%"
    return (
        f"The cumulative incidence of {_join(parts)} was estimated with the Aalen-Johansen estimator, "
        f"treating the competing event as such rather than as censoring, with the variance of Gray "
        f"(as R cmprsk cuminc) and {conf} confidence intervals on the log(-log) scale; arms were "
        f"compared with Gray's test and with subdistribution hazard ratios from the Fine-Gray model "
        f"(robust variance). "
    )



def _sentence_case(label: str) -> str:
    """A label inside a sentence: "time to next treatment", but "ILD recurrence"."""
    if len(label) > 1 and label[1].islower():
        return label[0].lower() + label[1:]
    return label


def competing_sentences(
    study: Mapping[str, Any],
    cumulative_incidence: pd.DataFrame | None,
    comparisons: pd.DataFrame | None,
) -> list[str]:
    """ "With death as a competing event, the cumulative incidence of ILD recurrence was 1.7% (95% CI
    0.9-3.0) at 6 months, ... (SHR ..., Gray's p = ...)." per competing-risks endpoint, per arm (the
    whole cohort for a single arm), from the shareable tables."""
    from her2rwe.analyses.competing import event_labels

    study = study_settings(study)
    conf = f"{study['conf_level'] * 100:g}%"
    name_of = LevelLabels.of(study).arm
    sentences = []
    for ep in study["competing_endpoints"]:
        rows = _rows(cumulative_incidence, endpoint=ep, event_type="event")
        if rows.empty:
            continue
        arms = [a for a in dict.fromkeys(rows["arm"].astype(str)) if a != "All"]
        groups = arms if len(arms) > 1 else ["All"]
        labels = event_labels(study, ep)
        parts = []
        for group in groups:
            g = rows[rows["arm"].astype(str) == group]
            at = []
            for r in g[~g["cif"].map(fmt.is_missing)].itertuples(index=False):
                lo, hi = (None if fmt.is_missing(v) else 100 * float(v) for v in (r.cif_lower, r.cif_upper))
                level = "" if at else f"{conf} CI "
                at.append(
                    f"{fmt.fmt_num(100 * float(r.cif))}% ({level}{fmt.fmt_ci(lo, hi, missing='NE')}) "
                    f"at {fmt.fmt_num(r.time, 0)} months"
                )  # fmt: skip
            if at:
                parts.append(_join(at) + (f" with {name_of(group)}" if group != "All" else ""))
        if not parts:
            continue
        label = _sentence_case(labels["event"])
        rival = labels["rival"]
        lead = f"With {rival} as a competing event" if rival else "With competing events"
        text = f"{lead}, the cumulative incidence of {label} was "
        text += "; ".join(parts)
        extra = []
        for c in _rows(comparisons, endpoint=ep).to_dict("records"):
            prefix = f"{name_of(c['arm'])} vs {name_of(c['reference'])}: " if len(groups) > 2 else ""
            if fmt.is_missing(c.get("shr")):
                extra.append(prefix + "SHR not estimable")
                continue
            p = fmt.fmt_p(c.get("gray_p"))
            gray = f"; Gray's p {'= ' + p if not p.startswith('<') else p}" if p else ""
            extra.append(
                f"{prefix}SHR {fmt.fmt_num(c['shr'], 2)}, {conf} CI "
                f"{fmt.fmt_ci(c['shr_lower'], c['shr_upper'], 2)}{gray}"
            )
        if extra:
            text += " (" + "; ".join(extra) + ")"
        sentences.append(text + ".")
    return sentences


def _survival_methods(
    study: Mapping[str, Any], days_per_month: float, ci_text: str, strat: str, ties: str
) -> str:
    return (
        f"Time-to-event endpoints were derived from dates as the time from the index date to the event, "
        f"in months (days / {days_per_month:g}); patients without an event were censored at their last "
        f"tumour assessment (PFS) or last contact (other endpoints). Survival was estimated with the "
        f"Kaplan-Meier method with Greenwood variance; medians and survival rates are given with {ci_text}. "
        f"Median follow-up was estimated by the reverse Kaplan-Meier method. Arms were compared with the "
        f"log-rank test{strat}, and hazard ratios were estimated with Cox proportional hazards models "
        f"({ties} ties{strat}) with Wald confidence intervals; proportional hazards were checked with "
        f"scaled Schoenfeld residuals. "
    )


def trial_context_section(tables: Sequence[str]) -> str:
    """The summary's ``## Trial context`` section: the comparison of the real-world arms with the
    reconstructed trial arms, the Cox table and the parametric models, as their Markdown files
    have them (footnotes and caveat included); "" for a study without a trial_context block."""
    texts = [t.strip() for t in tables if t.strip()]
    if not texts:
        return ""
    return "## Trial context\n\n" + "\n\n".join(texts) + "\n\n"


# ------------------------------------------------------------------------------------------------
# DOCX from the formatted Markdown tables


@dataclass
class MarkdownTable:
    title: str | None
    header: list[str]
    rows: list[list[str]]
    footnotes: list[str] = field(default_factory=list)


_BOLD = re.compile(r"^\*\*(.+)\*\*$")


def parse_markdown_tables(text: str) -> list[MarkdownTable]:
    """Parse the tables written by formatting.markdown_table (title, pipe table, footnotes)."""
    tables: list[MarkdownTable] = []
    title: str | None = None
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        m = _BOLD.match(line)
        if m:
            title = m.group(1)
            i += 1
            continue
        if line.startswith("|"):
            block = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                block.append(lines[i].strip())
                i += 1
            cells = [_split_row(b) for b in block]
            header, body = cells[0], [c for c in cells[2:]]
            notes = []
            while (
                i < len(lines)
                and not lines[i].strip().startswith("|")
                and not _BOLD.match(lines[i].strip())
            ):
                note = lines[i].strip()
                if note:
                    notes.append(note.strip("_"))
                i += 1
            tables.append(MarkdownTable(title, header, body, notes))
            title = None
            continue
        i += 1
    return tables


def _split_row(line: str) -> list[str]:
    inner = line.strip()[1:-1]
    cells, cur, esc = [], "", False
    for ch in inner:
        if esc:
            cur += ch
            esc = False
        elif ch == "\\":
            esc = True
        elif ch == "|":
            cells.append(cur.strip())
            cur = ""
        else:
            cur += ch
    cells.append(cur.strip())
    return cells


# ------------------------------------------------------------------------------------------------
# the closing lines of a run


def run_summary(studies: Sequence[str], results: str | Path = "results") -> list[str]:
    """What a finished run prints last: the studies, how many published targets were reproduced
    (from each reproduction.csv present) and where the outputs and the report are."""
    import csv

    results = Path(results)
    lines = [
        f"her2rwe: {len(studies)} stud{'y' if len(studies) == 1 else 'ies'} ({', '.join(studies)})"
    ]
    total = passed = 0
    for study in studies:
        path = results / study / "reproduction.csv"
        if not path.is_file():
            continue
        with path.open(newline="", encoding="utf-8") as fh:
            status = [row["status"] for row in csv.DictReader(fh)]
        total += len(status)
        passed += status.count("pass")
    if total:
        lines.append(
            f"published targets reproduced: {passed} of {total} "
            f"({results / 'reproduction_summary.md'})"
        )
    lines.append(
        f"per study: {results}/<study>/report.html (open in a browser), summary.md, tables.docx, "
        f"tables/, figures/; all studies: snakemake --report {results}/report.html"
    )
    return lines
