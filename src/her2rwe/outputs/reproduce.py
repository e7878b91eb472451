"""Reproduction checks: look up each published target in a study's result tables and compare.

A target (``studies.<name>.targets`` in the config) names a computed number with a small dotted
grammar, documented in docs/reproduction.md::

    median.pfs.ADC                      survival.csv: column median, endpoint pfs, group ADC
    median_upper.pfs.All                the whole cohort (split overall)
    median.pfs.next_therapy_class=other a group of one split (split=group)
    hr.pfs.HP+C / hr_p.pfs.T-DXd        comparisons.csv (arm), else subgroup_survival.csv (level/group)
    orr_pct.ADC                         response.csv: column, arm
    any_grade_n.Diarrhea[.TKI]          adverse_events.csv: column, term, arm (optional)
    grade34_n.category=hematologic.ADC  adverse_events_by_category.csv
    grade34_share.hematologic+gastrointestinal.ADC
                                        share (%) of the grade 3-4 counts over categories in an arm
    share.next_therapy_class.a|b        analysis dataset: % of patients whose column is a or b
    count.ild_recurrence.yes            analysis dataset: number of such patients

Without ``tolerance`` a target passes when the computed value, rounded to the published number of
decimals (half away from zero, as journals print), equals the published value: 7.0 needs a value in
[6.95, 7.05). With ``tolerance`` it passes when |computed - published| <= tolerance. With
``direction`` ('<', '>', '<=', '>=') it passes when ``computed <direction> value``.

Pure functions: tables come in as data frames, results go out as data frames and text. pandas is
imported lazily: the rule file imports this module while Snakemake parses the workflow.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from her2rwe.formatting import fmt_num, markdown_table

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

# the unsuppressed tables (results/{study}/internal/): targets are compared on exact values; counts
# below min_cell_count are masked only in the reproduction.csv that is written (her2rwe.outputs.shareable)
TABLE_FILES = {
    "survival": "internal/survival.csv",
    "comparisons": "internal/comparisons.csv",
    "subgroup_survival": "internal/subgroup_survival.csv",
    "response": "internal/response.csv",
    "adverse_events": "internal/adverse_events.csv",
    "adverse_events_by_category": "internal/adverse_events_by_category.csv",
    "dataset": "analysis_dataset.parquet",
    "cumulative_incidence": "internal/cumulative_incidence.csv",
}
# tables every study has (written by the endpoint and survival stages for any study)
ALWAYS = ("survival", "comparisons", "subgroup_survival")

SURVIVAL_COLUMNS = frozenset(
    ["n", "events", "censored", "median", "median_lower", "median_upper"]
    + [f"{q}{s}" for q in ("q25", "q75") for s in ("", "_lower", "_upper")]
    + ["rmst", "rmst_se", "rmst_tau", "followup_median", "followup_lower", "followup_upper"]
)
COMPARISON_COLUMNS = frozenset(
    ["hr", "hr_lower", "hr_upper", "hr_p", "logrank_chisq", "logrank_df", "logrank_p", "ph_p"]
)
INTERACTION_COLUMNS = frozenset(["interaction_p"])
RESPONSE_COLUMNS = frozenset(
    f"{rate}_{stat}" for rate in ("orr", "cbr", "dcr") for stat in ("n", "pct", "lower", "upper")
)
AE_LEVELS = ("any_grade", "grade3plus", "grade34", "grade5")
AE_COLUMNS = frozenset(f"{lv}_{s}" for lv in AE_LEVELS for s in ("n", "pct"))
AE_SHARE_COLUMNS = frozenset(f"{lv}_share" for lv in AE_LEVELS)
DATASET_COLUMNS = frozenset(["share", "count"])
# columns that hold counts of patients or events: written and shown as integers
COUNT_COLUMNS = frozenset(
    ["n", "events", "censored", "count"]
    + [c for c in RESPONSE_COLUMNS | AE_COLUMNS if c.endswith("_n")]
)
COMPETING_COLUMNS = frozenset(["crude_pct", "cif", "cif_lower", "cif_upper", "cif_se"])
DIRECTIONS = {"<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge}
RESULT_COLUMNS = [
    "metric",
    "published",
    "computed",
    "tolerance",
    "status",
    "direction",
    "seed",
    "description",
    "table",
    "note",
]


class MetricError(ValueError):
    """A target's metric does not follow the grammar of docs/reproduction.md."""


@dataclass(frozen=True)
class Metric:
    """A parsed metric: the column, the table family it comes from, and its keys."""

    text: str
    column: str
    family: str  # survival | comparison | interaction | response | ae | ae_category | ae_share | dataset
    keys: tuple[str, ...]

    @property
    def is_count(self) -> bool:
        """A count of patients or events (written and shown as an integer)."""
        return self.column in COUNT_COLUMNS

    @property
    def tables(self) -> tuple[str, ...]:
        return {
            "survival": ("survival", "subgroup_survival"),
            "comparison": ("comparisons", "subgroup_survival"),
            "interaction": ("subgroup_survival",),
            "response": ("response",),
            "ae": ("adverse_events",),
            "ae_category": ("adverse_events_by_category",),
            "ae_share": ("adverse_events_by_category",),
            "dataset": ("dataset",),
            "competing": ("cumulative_incidence",),
        }[self.family]


def parse_metric(text: str) -> Metric:
    """Parse a metric of the grammar in docs/reproduction.md; raise MetricError naming the problem."""
    column, dot, rest = text.partition(".")
    if not dot or not rest:
        raise MetricError(f"metric {text!r}: expected <column>.<keys>, e.g. median.pfs.ADC")
    if column in SURVIVAL_COLUMNS or column in COMPARISON_COLUMNS:
        endpoint, dot, group = rest.partition(".")
        if not dot or not group:
            raise MetricError(f"metric {text!r}: expected {column}.<endpoint>.<group or arm>")
        family = "survival" if column in SURVIVAL_COLUMNS else "comparison"
        return Metric(text, column, family, (endpoint, group))
    if column in INTERACTION_COLUMNS:
        endpoint, dot, variable = rest.partition(".")
        if not dot or not variable:
            raise MetricError(f"metric {text!r}: expected {column}.<endpoint>.<subgroup variable>")
        return Metric(text, column, "interaction", (endpoint, variable))
    if column in RESPONSE_COLUMNS:
        return Metric(text, column, "response", (rest,))
    if column in AE_COLUMNS:
        family = "ae_category" if rest.startswith("category=") else "ae"
        return Metric(text, column, family, (rest.removeprefix("category="),))
    if column in AE_SHARE_COLUMNS:
        cats, dot, arm = rest.rpartition(".")
        if not dot:
            cats, arm = rest, ""
        return Metric(text, column, "ae_share", (cats, arm))
    if column in DATASET_COLUMNS:
        variable, dot, values = rest.partition(".")
        if not dot or not values:
            raise MetricError(f"metric {text!r}: expected {column}.<column>.<value>[|<value>...]")
        return Metric(text, column, "dataset", (variable, values))
    if column in COMPETING_COLUMNS:
        endpoint, dot, arm = rest.partition(".")
        arm, at, time = arm.partition("@")
        if not dot or not arm or (column != "crude_pct") != bool(at):
            form = (
                "crude_pct.<endpoint>.<arm>"
                if column == "crude_pct"
                else f"{column}.<endpoint>.<arm>@<months>"
            )
            raise MetricError(f"metric {text!r}: expected {form}")
        return Metric(text, column, "competing", (endpoint, arm, time))
    known = sorted(
        SURVIVAL_COLUMNS
        | COMPARISON_COLUMNS
        | INTERACTION_COLUMNS
        | RESPONSE_COLUMNS
        | AE_COLUMNS
        | AE_SHARE_COLUMNS
        | DATASET_COLUMNS
        | COMPETING_COLUMNS
    )
    raise MetricError(f"metric {text!r}: unknown column {column!r} (known: {', '.join(known)})")


def required_tables(targets: Iterable[Mapping[str, Any]]) -> list[str]:
    """Table keys (see TABLE_FILES) the targets need, plus the ones every study has."""
    keys = set(ALWAYS)
    for target in targets:
        keys.update(parse_metric(target["metric"]).tables)
    return [k for k in TABLE_FILES if k in keys]


# ------------------------------------------------------------------------------------------------
# lookup


class NotFound(LookupError):
    """The metric names rows that are not in the tables."""


def _text(s: pd.Series) -> pd.Series:
    return s.astype("string").fillna("")


def _one(rows: pd.DataFrame, column: str, what: str) -> float:
    import pandas as pd

    if len(rows) == 0:
        raise NotFound(f"no row for {what}")
    if len(rows) > 1:
        raise NotFound(f"{len(rows)} rows match {what}; qualify it (see docs/reproduction.md)")
    if column not in rows.columns:
        raise NotFound(f"the table has no column {column!r}")
    value = rows[column].iloc[0]
    return float("nan") if pd.isna(value) else float(value)


def _table(tables: Mapping[str, pd.DataFrame], key: str) -> pd.DataFrame:
    if key not in tables or tables[key] is None:
        raise NotFound(f"table {TABLE_FILES[key]} is not available")
    return tables[key]


def _subgroup_rows(sub: pd.DataFrame, endpoint: str, token: str) -> pd.DataFrame:
    rows = sub[_text(sub["endpoint"]) == endpoint]
    if "=" in token:
        variable, _, level = token.partition("=")
        rows = rows[_text(rows["variable"]) == variable]
        token = level
    hit = _text(rows["level"]) == token
    if "group" in rows.columns:
        hit |= _text(rows["group"]) == token
    return rows[hit]


def _lookup_survival(m: Metric, tables: Mapping[str, pd.DataFrame]) -> tuple[float, str]:
    endpoint, token = m.keys
    surv = _table(tables, "survival")
    rows = surv[_text(surv["endpoint"]) == endpoint]
    if "=" in token:
        split, _, group = token.partition("=")
        cand = rows[(_text(rows["split"]) == split) & (_text(rows["group"]) == group)]
    elif token.lower() in ("all", "overall"):
        cand = rows[_text(rows["split"]) == "overall"]
    else:
        cand = rows[_text(rows["group"]) == token]
        for preferred in ("arm", "overall"):
            if len(cand) > 1 and (_text(cand["split"]) == preferred).any():
                cand = cand[_text(cand["split"]) == preferred]
    if len(cand) == 0 and "subgroup_survival" in tables and m.column in tables["subgroup_survival"]:
        sub = _subgroup_rows(tables["subgroup_survival"], endpoint, token)
        return _one(sub, m.column, f"endpoint {endpoint}, group {token}"), "subgroup_survival"
    return _one(cand, m.column, f"endpoint {endpoint}, group {token}"), "survival"


def _lookup_comparison(m: Metric, tables: Mapping[str, pd.DataFrame]) -> tuple[float, str]:
    endpoint, token = m.keys
    comp = tables.get("comparisons")
    if comp is not None and "=" not in token:
        rows = comp[(_text(comp["endpoint"]) == endpoint) & (_text(comp["arm"]) == token)]
        if len(rows):
            return _one(rows, m.column, f"endpoint {endpoint}, arm {token}"), "comparisons"
    sub = _table(tables, "subgroup_survival")
    rows = _subgroup_rows(sub, endpoint, token)
    if m.column in rows.columns:
        rows = rows[rows[m.column].notna()]
    return _one(
        rows, m.column, f"endpoint {endpoint}, arm or subgroup {token}"
    ), "subgroup_survival"


def _lookup_interaction(m: Metric, tables: Mapping[str, pd.DataFrame]) -> tuple[float, str]:
    endpoint, variable = m.keys
    sub = _table(tables, "subgroup_survival")
    rows = sub[(_text(sub["endpoint"]) == endpoint) & (_text(sub["variable"]) == variable)]
    values = rows[m.column].dropna().unique() if m.column in rows.columns else []
    if len(values) != 1:
        raise NotFound(f"no single {m.column} for endpoint {endpoint}, subgroup {variable}")
    return float(values[0]), "subgroup_survival"


def _lookup_response(m: Metric, tables: Mapping[str, pd.DataFrame]) -> tuple[float, str]:
    (arm,) = m.keys
    resp = _table(tables, "response")
    arms = _text(resp["arm"])
    rows = resp[arms == arm] if (arms == arm).any() else resp[arms.str.lower() == arm.lower()]
    return _one(rows, m.column, f"arm {arm}"), "response"


def _pick_arm(rows: pd.DataFrame, arm: str | None, what: str) -> pd.DataFrame:
    arms = _text(rows["arm"])
    if arm:
        return rows[arms == arm]
    for total in ("Overall", "Total", "All"):
        if (arms == total).any():
            return rows[arms == total]
    if arms.nunique() > 1:
        raise NotFound(f"{what} is reported for several arms; add the arm to the metric")
    return rows


def _lookup_ae(m: Metric, tables: Mapping[str, pd.DataFrame]) -> tuple[float, str]:
    """A term (or category) with an optional trailing '.arm'; names match exactly, else ignoring
    case."""

    (rest,) = m.keys
    if m.family == "ae_category":
        key, label = "category", "adverse_events_by_category"
    else:
        key, label = "term", "adverse_events"
    ae = _table(tables, label)
    names = _text(ae[key])

    def match(name: str) -> pd.Series:
        exact = names == name
        return exact if exact.any() else names.str.lower() == name.lower()

    hit, arm = match(rest), None
    if not hit.any():
        name, _, arm = rest.rpartition(".")
        hit = match(name) if name else hit
    if not hit.any():
        raise NotFound(f"no {key} {rest!r}")
    rows = _pick_arm(ae[hit], arm, f"{key} {rest!r}")
    return _one(rows, m.column, f"{key} {rest}"), label


def _lookup_ae_share(m: Metric, tables: Mapping[str, pd.DataFrame]) -> tuple[float, str]:
    import pandas as pd

    from her2rwe.analyses.safety import ANY_AE

    cats, arm = m.keys
    ae = _table(tables, "adverse_events_by_category")
    rows = _pick_arm(ae, arm or None, "the category table")
    rows = rows[_text(rows["category"]) != ANY_AE]  # a summary row, not a category
    count = m.column.removesuffix("_share") + "_n"
    values = pd.to_numeric(rows[count], errors="coerce").fillna(0)
    total = float(values.sum())
    if total == 0:
        return float("nan"), "adverse_events_by_category"
    wanted = _text(rows["category"]).isin(cats.split("+"))
    return 100.0 * float(values[wanted].sum()) / total, "adverse_events_by_category"


def _lookup_dataset(m: Metric, tables: Mapping[str, pd.DataFrame]) -> tuple[float, str]:
    variable, values = m.keys
    ds = _table(tables, "dataset")
    if variable not in ds.columns:
        raise NotFound(f"the analysis dataset has no column {variable!r}")
    hit = _text(ds[variable]).isin(values.split("|"))
    n = int(hit.sum())
    return (float(n) if m.column == "count" else 100.0 * n / len(ds)), "dataset"


def _competing_rows(tables: Mapping[str, pd.DataFrame], endpoint: str, arm: str) -> pd.DataFrame:
    ci = _table(tables, "cumulative_incidence")
    rows = ci[(_text(ci["endpoint"]) == endpoint) & (_text(ci["event_type"]) == "event")]
    return rows[_text(rows["arm"]) == arm]


def _lookup_competing(m: Metric, tables: Mapping[str, pd.DataFrame]) -> tuple[float, str]:
    endpoint, arm, time = m.keys
    rows = _competing_rows(tables, endpoint, arm)
    what = f"endpoint {endpoint}, arm {arm}"
    if m.column == "crude_pct":
        return _one(rows.iloc[:1], m.column, what), "cumulative_incidence"
    try:
        at = float(time)
    except ValueError:
        raise NotFound(f"{time!r} is not a time in months") from None
    rows = rows[rows["time"].astype(float) == at]
    return _one(rows, m.column, f"{what}, {time} months"), "cumulative_incidence"


def competing_note(tables: Mapping[str, pd.DataFrame], metric: Metric) -> str:
    """Beside a crude proportion: the cumulative incidence (competing event accounted for) at each
    landmark time of the table, e.g. ``CIF 12 mo 2.6% (95% CI 1.6-4.1)``."""
    endpoint, arm, _ = metric.keys
    rows = _competing_rows(tables, endpoint, arm)
    parts = []
    for r in rows.itertuples(index=False):
        if math.isnan(float(r.cif)):
            continue
        ci = f"{fmt_num(100 * r.cif_lower, 1)}-{fmt_num(100 * r.cif_upper, 1)}"
        parts.append(f"{fmt_num(r.time, 0)} mo {fmt_num(100 * r.cif, 1)}% (CI {ci})")
    return "Aalen-Johansen cumulative incidence: " + "; ".join(parts) if parts else ""


LOOKUPS = {
    "survival": _lookup_survival,
    "comparison": _lookup_comparison,
    "interaction": _lookup_interaction,
    "response": _lookup_response,
    "ae": _lookup_ae,
    "ae_category": _lookup_ae,
    "ae_share": _lookup_ae_share,
    "dataset": _lookup_dataset,
    "competing": _lookup_competing,
}


def lookup(metric: str | Metric, tables: Mapping[str, pd.DataFrame]) -> tuple[float, str]:
    """The computed value a metric names, and the table it came from (raises NotFound)."""
    m = parse_metric(metric) if isinstance(metric, str) else metric
    return LOOKUPS[m.family](m, tables)


# ------------------------------------------------------------------------------------------------
# comparison with the published value


def published_decimals(value: float | int) -> int:
    """Decimals of a published number as written: 7.0 -> 1, 54 -> 0, 0.05 -> 2."""
    if isinstance(value, bool):
        raise TypeError("a published value is a number")
    if isinstance(value, int):
        return 0
    exponent = Decimal(repr(float(value))).as_tuple().exponent
    return max(-int(exponent), 0)


def default_tolerance(value: float | int) -> float:
    """Half a unit of the published rounding: 7.0 -> 0.05, 54 -> 0.5."""
    return 0.5 * 10.0 ** -published_decimals(value)


def evaluate(target: Mapping[str, Any], computed: float) -> tuple[str, float]:
    """'pass' or 'fail' for one target, and the tolerance used (NaN for a directional claim)."""
    value = target["value"]
    if computed is None or math.isnan(computed):
        return "fail", float("nan")
    direction = target.get("direction")
    if direction:
        return ("pass" if DIRECTIONS[direction](computed, value) else "fail"), float("nan")
    tol = target.get("tolerance")
    if tol is not None:
        return ("pass" if abs(computed - value) <= tol + 1e-12 else "fail"), float(tol)
    d = published_decimals(value)
    same = fmt_num(computed, d) == fmt_num(value, d)
    return ("pass" if same else "fail"), default_tolerance(value)


def check_targets(
    targets: Sequence[Mapping[str, Any]], tables: Mapping[str, pd.DataFrame]
) -> pd.DataFrame:
    """One row per target: metric, published, computed, tolerance, status (pass, fail, missing),
    direction, seed, description, the table the value came from, and a note when it is missing."""
    import pandas as pd

    rows = []
    for target in targets:
        note, table, missing = "", "", False
        try:
            computed, table = lookup(target["metric"], tables)
            metric = parse_metric(target["metric"])
            if metric.column == "crude_pct":
                note = competing_note(tables, metric)
        except NotFound as exc:
            computed, note, missing = float("nan"), str(exc), True
        status, tol = evaluate(target, computed)
        published: float | int = float(target["value"])
        if _is_count(target["metric"]):
            published = _as_int(published)
            computed = _as_int(computed)
        if missing:
            status = "missing"
        elif math.isnan(computed):
            note = "not estimable (empty in the result table)"
        rows.append(
            {
                "metric": target["metric"],
                "published": published,
                "computed": computed,
                "tolerance": tol,
                "status": status,
                "direction": target.get("direction") or "",
                "seed": target.get("seed") or "",
                "description": target.get("description") or "",
                "table": table,
                "note": note,
            }
        )
    out = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    # counts next to rates: an object column keeps 43 as 43 and 7.0 as 7.0 in the CSV
    for column in ("published", "computed"):
        out[column] = pd.Series([row[column] for row in rows], index=out.index, dtype=object)
    return out


def _is_count(metric: str) -> bool:
    try:
        return parse_metric(metric).is_count
    except MetricError:
        return False


def _as_int(value: float) -> float | int:
    """A whole number as int (43.0 -> 43); NaN and fractions as they are."""
    return int(value) if math.isfinite(value) and value == int(value) else value


# ------------------------------------------------------------------------------------------------
# across studies


def _direction(value: Any) -> str:
    """The direction of a result row ('' when none; an empty CSV cell reads back as NaN)."""
    return value if isinstance(value, str) else ""


def missed_targets(results: Mapping[str, pd.DataFrame]) -> list[str]:
    """'study: metric (published x, computed y)' for every target that did not pass."""
    import pandas as pd

    out = []
    for study, table in results.items():
        for row in table.itertuples(index=False):
            if row.status != "pass":
                value = _computed(row.computed)
                computed = (
                    value
                    if isinstance(value, str)
                    else "missing"
                    if pd.isna(value)
                    else f"{value:.6g}"
                )
                direction = _direction(row.direction)
                published = _computed(row.published)  # a masked target reads as its marker
                published = published if isinstance(published, str) else f"{published:g}"
                claim = f"{direction} {published}" if direction else published
                out.append(f"{study}: {row.metric} (published {claim}, computed {computed})")
    return out


def _computed(value: Any) -> float | str:
    """A computed value read back from reproduction.csv: a number, or the text of a masked count
    (``<11``, min_cell_count) as it is."""
    if isinstance(value, str):
        try:
            return float(value) if value else float("nan")
        except ValueError:
            return value
    return value


def _shown(value: float | str, published: float, direction: str, count: bool = False) -> str:
    import pandas as pd

    value = _computed(value)
    if isinstance(value, str):  # masked (min_cell_count)
        return value
    if pd.isna(value):
        return "missing"
    if count:
        return fmt_num(value, 0)
    if direction:
        return f"{value:.3g}"
    return fmt_num(value, max(published_decimals(published), 1))


def summary_markdown(results: Mapping[str, pd.DataFrame], studies: Mapping[str, Any]) -> str:
    """All studies at a glance: a count per study, then each target with its status."""
    overview = []
    for name, table in results.items():
        n_pass = int((table["status"] == "pass").sum())
        overview.append([name, len(table), n_pass, len(table) - n_pass])
    parts = [
        "# Reproduction of published results",
        "",
        markdown_table(overview, ["study", "targets", "reproduced", "missed"]),
        "",
    ]
    for name, table in results.items():
        study = studies.get(name, {})
        parts += [f"## {study.get('title') or name}", ""]
        if study.get("synthetic"):
            parts += [
                "Synthetic cohort calibrated to the published results (not patient data).",
                "",
            ]
        if study.get("citation"):
            parts += [f"Source: {study['citation']}", ""]
        if table.empty:
            parts += ["No published targets.", ""]
            continue
        rows = []
        for r in table.itertuples(index=False):
            direction = _direction(r.direction)
            # a target beside a masked value is masked too (shareable.reproduction): text
            value = r.published if isinstance(r.published, str) else f"{r.published:g}"
            published = f"{direction} {value}" if direction else value
            description = r.description
            if r.metric.startswith("crude_pct.") and isinstance(r.note, str) and r.note:
                description = f"{description}. {r.note}"  # the CIF beside the crude proportion
            rows.append(
                [
                    r.metric,
                    description,
                    published,
                    _shown(r.computed, r.published, direction, _is_count(r.metric)),
                    r.status,
                ]
            )
        parts += [
            markdown_table(
                rows,
                ["metric", "published result", "published", "computed", "status"],
                align=["l", "l", "r", "r", "l"],
            ),
            "",
        ]
    missed = missed_targets(results)
    parts.append(
        "All published targets are reproduced."
        if not missed
        else "Missed: " + "; ".join(missed) + "."
    )
    return "\n".join(parts) + "\n"
