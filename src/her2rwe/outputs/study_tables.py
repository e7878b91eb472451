"""The response, safety and baseline tables of one study: computed results (unrounded frames) and
their formatted Markdown versions, with the reason when a table is skipped.

With ``min_cell_count`` (k > 1), ``Table.frame`` and ``Table.markdown`` are the shareable versions
(her2rwe.outputs.shareable: counts 1..k-1 read ``<k``, complementary cells ``*``) and ``Table.internal`` is
the unsuppressed frame; with k = 0 both frames are equal."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from her2rwe import formatting
from her2rwe.analyses import baseline, missingness, response, safety
from her2rwe.config import study_settings
from her2rwe.derive.dataset import arm_levels, reference_arm
from her2rwe.formatting import LevelLabels
from her2rwe.outputs import shareable
from her2rwe.stats import proportions

TABLES = [
    "response",
    "response_comparisons",
    "best_response",
    "response_subgroups",
    "adverse_events",
    "adverse_events_by_category",
    "baseline",
    "missingness",
]


@dataclass
class Table:
    frame: pd.DataFrame  # shareable (counts masked when min_cell_count > 1)
    markdown: str
    skipped: str = ""  # why the table is empty ("" when it was computed)
    internal: pd.DataFrame | None = None  # unsuppressed (None: same as frame)

    @property
    def unsuppressed(self) -> pd.DataFrame:
        return self.frame if self.internal is None else self.internal


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


def _skipped(columns: list[str], title: str, reason: str) -> Table:
    return Table(_empty(columns), f"**{title}**\n\nNot available: {reason}.\n", reason)


def _footnotes(study: Mapping[str, Any], *notes: str) -> list[str]:
    out = [n for n in notes if n]
    if study.get("synthetic"):
        out.append("Synthetic data: no row describes a real patient.")
    return out


def _title(study: Mapping[str, Any], name: str) -> str:
    return f"{name} - {study['title']}" if study.get("title") else name


def _pct(x: Any) -> str:
    return formatting.fmt_num(x, 1, "-")


def _count(n: Any) -> Any:
    """A count cell: an int, or the text of a masked count (``<11``, ``*``) as it is."""
    return n if shareable.is_masked(n) else int(n)


def _n_pct(n: Any, pct: Any) -> str:
    """``n (pct%)``; a masked count reads as its marker, a masked percentage ``n (*)``."""
    if shareable.is_masked(n):
        return n
    if shareable.is_masked(pct):
        return f"{int(n)} ({pct})"
    return formatting.fmt_n_pct(n, pct)


def _rate_cell(n: Any, pct: Any) -> str:
    return "NE" if formatting.is_missing(n) else _n_pct(n, pct)


def _ci_cell(lower: Any, upper: Any) -> str:
    if shareable.is_masked(lower):
        return lower
    if formatting.is_missing(lower):
        return "-"
    return formatting.fmt_ci(lower, upper, 1, "-")


# ------------------------------------------------------------------------------------------------
# formatting of each table


def format_response(
    table: pd.DataFrame, opts: response.ResponseOptions, study, suppression: str = ""
) -> str:
    conf = f"{opts.conf_level * 100:g}% CI"
    header = ["Arm", "N"]
    for r in response.RATES:
        header += [f"{response.RATE_LABELS[r]}, n (%)", conf]
    rows = []
    arm = LevelLabels.of(study).arm
    for rec in table.to_dict("records"):
        row = [arm(rec["arm"]), _count(rec["n"])]
        for r in response.RATES:
            row += [
                _rate_cell(rec[f"{r}_n"], rec[f"{r}_pct"]),
                _ci_cell(rec[f"{r}_lower"], rec[f"{r}_upper"]),
            ]
        rows.append(row)
    notes = [
        f"Denominator: {response.DENOMINATORS[opts.denominator]}.",
        f"ORR, CR + PR; CBR, CR + PR + SD lasting >= {opts.cbr_min_weeks:g} weeks; DCR, CR + PR + SD.",
        f"{conf}: {proportions.CI_METHOD_TEXT[opts.ci_method]}.",
        *sorted({n for n in table["note"] if isinstance(n, str) and n}),
        suppression,
    ]
    return formatting.markdown_table(
        rows, header, _title(study, "Tumour response"), _footnotes(study, *notes)
    )


def format_comparisons(
    table: pd.DataFrame, opts: response.ResponseOptions, study, suppression_note: str = ""
) -> str:
    conf = f"{opts.conf_level * 100:g}% CI"
    header = [
        "Rate",
        "Comparison",
        f"Difference, % points ({conf})",
        f"Odds ratio ({conf})",
        "Test",
        "p",
    ]
    rows = []
    arm = LevelLabels.of(study).arm
    for rec in table.to_dict("records"):
        if shareable.is_masked(rec["diff"]):  # hidden with the counts it derives from
            rows.append(
                [
                    response.RATE_LABELS[rec["rate"]],
                    f"{arm(rec['arm'])} vs {arm(rec['reference'])}",
                    rec["diff"],
                    rec["odds_ratio"],
                    rec["test"] if isinstance(rec["test"], str) else "",
                    rec["p"],
                ]
            )
            continue
        diff = (
            "-"
            if formatting.is_missing(rec["diff"])
            else f"{formatting.fmt_num(rec['diff'], 1)} "
            f"({formatting.fmt_ci(rec['diff_lower'], rec['diff_upper'], 1, '-', ' to ')})"
        )
        odds = (
            "-"
            if formatting.is_missing(rec["odds_ratio"])
            else formatting.fmt_estimate_ci(
                rec["odds_ratio"], rec["or_lower"], rec["or_upper"], 2, "-"
            )
        )
        rows.append(
            [
                response.RATE_LABELS[rec["rate"]],
                f"{arm(rec['arm'])} vs {arm(rec['reference'])}",
                diff,
                odds,
                rec["test"] if isinstance(rec["test"], str) else "",
                formatting.fmt_p(rec["p"]),
            ]
        )
    test_rule = {
        "auto": "chi-square test, or Fisher's exact test when any expected count is below 5",
        "chisq": "chi-square test",
        "fisher": "Fisher's exact test",
    }[opts.test]
    notes = [
        f"Difference: {proportions.DIFF_METHOD_TEXT[opts.diff_ci_method]} interval.",
        "Odds ratio: conditional maximum-likelihood estimate with exact CI (as R fisher.test).",
        f"p: {test_rule}" + ("; Yates' correction on 2x2 tables." if opts.chisq_correct else "."),
    ]
    if suppression_note:
        notes.append(
            suppression_note + " A comparison whose counts are hidden is hidden as a whole."
        )
    return formatting.markdown_table(
        rows, header, _title(study, "Response by arm"), _footnotes(study, *notes)
    )


def format_best_response(table: pd.DataFrame, study, suppression: str = "") -> str:
    arms = list(dict.fromkeys(table["arm"]))
    sizes = table.groupby("arm", sort=False)["n_arm"].first()
    arm = LevelLabels.of(study).arm
    header = ["Best overall response"] + [f"{arm(a)} (N = {_count(sizes[a])})" for a in arms]
    labels = formatting.RESPONSE_LABELS
    rows = []
    for cat in [*response.RESPONSES, "missing"]:
        sub = table[table["response"] == cat].set_index("arm")
        rows.append([labels[cat]] + [_n_pct(sub.loc[a, "n"], sub.loc[a, "pct"]) for a in arms])
    notes = ["RECIST 1.1 best overall response; % of all patients in the arm.", suppression]
    return formatting.markdown_table(
        rows, header, _title(study, "Best overall response"), _footnotes(study, *notes)
    )


def format_subgroups(
    table: pd.DataFrame, opts: response.ResponseOptions, study, suppression: str = ""
) -> str:
    header = [
        "Subgroup",
        "Level",
        "Arm",
        "N",
        "ORR, n (%)",
        "ORR 95% CI",
        "CBR, n (%)",
        "p (ORR)",
        "p (CBR)",
    ]
    rows = []
    labels = LevelLabels.of(study)
    for rec in table.to_dict("records"):
        compared = rec["contrast"] == "compare"  # a named group of the config, not a level
        rows.append(
            [
                rec["label"],
                rec["level"] if compared else labels.label(rec["variable"], rec["level"]),
                rec["arm"] if rec["arm"] == response.OVERALL else labels.arm(rec["arm"]),
                _count(rec["n"]),
                _rate_cell(rec["orr_n"], rec["orr_pct"]),
                _ci_cell(rec["orr_lower"], rec["orr_upper"]),
                _rate_cell(rec["cbr_n"], rec["cbr_pct"]),
                formatting.fmt_p(rec["orr_p"]),
                formatting.fmt_p(rec["cbr_p"]),
            ]
        )
    notes = [
        f"Denominator: {response.DENOMINATORS[opts.denominator]}.",
        "p: across the levels of the subgroup within an arm (or across the compared groups).",
        suppression,
    ]
    return formatting.markdown_table(
        rows, header, _title(study, "Response by subgroup"), _footnotes(study, *notes)
    )


def format_adverse_events(table: pd.DataFrame, by: str, study, suppression: str = "") -> str:
    arms = list(dict.fromkeys(table["arm"]))
    sizes = table.groupby("arm", sort=False)["n"].first()
    header = ["Adverse event" if by == "term" else "Category"]
    arm = LevelLabels.of(study).arm
    for a in arms:
        n = _count(sizes[a])
        header += [f"{arm(a)} (N = {n}) any grade", f"{arm(a)} grade 3-4", f"{arm(a)} grade 5"]
    rows = []
    for value in dict.fromkeys(table[by]):
        sub = table[table[by] == value].set_index("arm")
        row = [value]
        for a in arms:
            row += [
                _n_pct(sub.loc[a, f"{b}_n"], sub.loc[a, f"{b}_pct"])
                for b in ("any_grade", "grade34", "grade5")
            ]
        rows.append(row)
    notes = [
        "Patients are counted once per "
        + ("term" if by == "term" else "category")
        + ", at their worst CTCAE grade; % of all patients in the arm (safety population).",
        "Grade >= 3 counts are in the CSV (grade3plus_n).",
        suppression,
    ]
    title = "Adverse events" if by == "term" else "Adverse events by category"
    return formatting.markdown_table(rows, header, _title(study, title), _footnotes(study, *notes))


def format_baseline(table: pd.DataFrame, arms: list[str], study, suppression: str = "") -> str:
    groups = [*arms, baseline.OVERALL]
    n_per = {g: table.attrs.get("n", {}).get(g) for g in groups}
    labels = LevelLabels.of(study)
    shown = {g: g if g == baseline.OVERALL else labels.arm(g) for g in groups}
    header = ["Characteristic", ""] + [
        f"{shown[g]} (N = {n_per[g]})" if n_per[g] is not None else shown[g] for g in groups
    ]
    two = len(arms) == 2
    header += ["p"] + (["SMD"] if two else [])
    rows = []
    last = None
    for rec in table.to_dict("records"):
        first = rec["variable"] != last
        last = rec["variable"]
        level = rec["level"] if rec["type"] == "continuous" else labels.label(rec["variable"], rec["level"])
        row = [rec["label"] if first else "", level] + [rec[g] for g in groups]
        row.append(formatting.fmt_p(rec["p"]) if first else "")
        if two:
            row.append(formatting.fmt_num(rec["smd"], 2, "") if first else "")
        rows.append(row)
    notes = [
        "Continuous: median [IQR] and range; categorical: n (% of patients with a known value); "
        "missing: n (% of all patients).",
        "p: Wilcoxon rank-sum (2 arms) or Kruskal-Wallis test for continuous variables; chi-square "
        "test, or Fisher's exact test when any expected count is below 5, for categorical ones.",
    ]
    if two:
        notes.append("SMD: absolute standardized mean difference (categorical: Yang & Dalton).")
    notes.append(suppression)
    return formatting.markdown_table(
        rows, header, _title(study, "Baseline characteristics"), _footnotes(study, *notes)
    )


# ------------------------------------------------------------------------------------------------
# the study


def format_missingness(table: pd.DataFrame, study, suppression: str = "") -> str:
    arms = list(dict.fromkeys(table["arm"]))
    sizes = table.groupby("arm", sort=False)["n"].first()
    arm = LevelLabels.of(study).arm
    header = ["Variable", "Role", *(f"{arm(a)} (N = {_count(sizes[a])})" for a in arms)]
    rows = []
    for variable in dict.fromkeys(table["variable"]):
        sub = table[table["variable"] == variable].set_index("arm")
        cells = [_n_pct(sub.loc[a, "missing_n"], sub.loc[a, "missing_pct"]) for a in arms]
        rows.append([variable, sub["role"].iloc[0], *cells])
    notes = [
        "Patients without a value, n (% of the arm); a variable recorded only where it applies "
        "(sd_weeks: stable disease) is missing for the others by design.",
        suppression,
    ]
    title = _title(study, "Missing data")
    return formatting.markdown_table(rows, header, title, _footnotes(study, *notes))


def summarize_study_tables(
    study: Mapping[str, Any],
    data: pd.DataFrame,
    adverse_events: pd.DataFrame,
    has_adverse_event_file: bool,
    min_cell_count: int = 0,
) -> dict[str, Table]:
    """Every table of the study, computed or skipped with a reason; shareable (``frame``,
    ``markdown``) and unsuppressed (``internal``)."""
    study = study_settings(study)
    k = min_cell_count
    arms = arm_levels(study, sorted(data["arm"].astype(str).unique()))
    ref = reference_arm(study, arms)
    opts = response.ResponseOptions.from_study(study)
    out: dict[str, Table] = {}

    bor_missing = ""
    if opts.column not in data.columns:
        bor_missing = f"the cohort has no best-response column ({opts.column})"
    elif data[opts.column].isna().all():
        bor_missing = f"no patient has a best response recorded ({opts.column})"
    if bor_missing:
        out["response"] = _skipped(response.RESPONSE_COLUMNS, "Tumour response", bor_missing)
        out["response_comparisons"] = _skipped(
            response.COMPARISON_COLUMNS, "Response by arm", bor_missing
        )
        out["best_response"] = _skipped(
            response.BEST_RESPONSE_COLUMNS, "Best overall response", bor_missing
        )
        out["response_subgroups"] = _skipped(
            response.SUBGROUP_COLUMNS, "Response by subgroup", bor_missing
        )
    else:
        t = response.summarize_response(data, arms, opts)
        sh = shareable.response(t, k)
        out["response"] = Table(
            sh.table, format_response(sh.table, opts, study, sh.footnote()), internal=t
        )
        if len(arms) > 1:
            c = response.compare_response(data, arms, ref, opts)
            sc = shareable.response_comparisons(c, sh, k)
            out["response_comparisons"] = Table(
                sc.table, format_comparisons(sc.table, opts, study, sc.footnote()), internal=c
            )
        else:
            out["response_comparisons"] = _skipped(
                response.COMPARISON_COLUMNS,
                "Response by arm",
                "single-arm study, no between-arm comparison",
            )
        b = response.summarize_best_response(data, arms, opts)
        sh = shareable.best_response(b, k)
        out["best_response"] = Table(
            sh.table, format_best_response(sh.table, study, sh.footnote()), internal=b
        )
        subgroups = study["subgroups"]
        if subgroups:
            s = response.summarize_response_subgroups(
                data, arms, subgroups, opts, LevelLabels.of(study)
            )
            sh = shareable.response_subgroups(s, k, out["response"].unsuppressed)
            out["response_subgroups"] = Table(
                sh.table, format_subgroups(sh.table, opts, study, sh.footnote()), internal=s
            )
        else:
            out["response_subgroups"] = _skipped(
                response.SUBGROUP_COLUMNS,
                "Response by subgroup",
                "the study has no subgroups configured",
            )

    cats = study["adverse_event_categories"]
    if not has_adverse_event_file:
        reason = "the study has no adverse-event file (studies.<name>.adverse_events)"
        out["adverse_events"] = _skipped(
            list(safety.empty_table("term").columns), "Adverse events", reason
        )
        out["adverse_events_by_category"] = _skipped(
            list(safety.empty_table("category").columns), "Adverse events by category", reason
        )
    else:
        for name, by in (("adverse_events", "term"), ("adverse_events_by_category", "category")):
            t = safety.summarize_adverse_events(data, adverse_events, arms, by=by, categories=cats)
            sh = shareable.adverse_events(t, k)
            out[name] = Table(
                sh.table, format_adverse_events(sh.table, by, study, sh.footnote()), internal=t
            )

    variables = baseline.baseline_variables(data, study)
    if variables:
        t = baseline.summarize_baseline(
            data, arms, variables, "auto", opts.chisq_correct, LevelLabels.of(study)
        )
        t.attrs["n"] = {
            **data["arm"].astype(str).value_counts().to_dict(),
            baseline.OVERALL: len(data),
        }
        sh = shareable.baseline(t, k, [*arms, baseline.OVERALL], t.attrs["n"])
        out["baseline"] = Table(
            sh.table, format_baseline(sh.table, arms, study, sh.footnote()), internal=t
        )
    else:
        cols = ["variable", "label", "level", "type", *arms, baseline.OVERALL, "p", "test", "smd"]
        out["baseline"] = _skipped(
            cols, "Baseline characteristics", "no baseline variables or covariates"
        )
    m = missingness.summarize_missingness(data, study, arms)
    sh = shareable.missingness(m, k)
    out["missingness"] = Table(sh.table, format_missingness(sh.table, study, sh.footnote()), internal=m)
    return out


def log_lines(tables: Mapping[str, Table]) -> list[str]:
    lines = []
    for name, table in tables.items():
        if table.skipped:
            lines.append(f"{name}: skipped - {table.skipped}")
        else:
            lines.append(f"{name}: {len(table.frame)} rows")
    return lines
