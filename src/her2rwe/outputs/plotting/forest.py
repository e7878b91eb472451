"""Subgroup forest plots, drawn from ``subgroup_survival.csv`` (docs/outputs.md).

Multi-arm study: one row per subgroup level with events/n per arm, the HR (non-reference vs
reference arm) with its CI on a log axis, the interaction p on each subgroup's header row, an
overall row (a diamond), a reference line at 1, and square markers whose area is proportional to
the number of events. ``compare`` subgroups show their group-vs-reference HR in the same way.

Single-arm study (``single_arm_forest``): either a forest of medians with their CIs per level
(linear axis, dashed line at the overall median) or a forest of HRs of each level vs the first level.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from her2rwe.formatting import fmt_estimate_ci, fmt_p, is_missing
from her2rwe.outputs.plotting import style

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure

    from her2rwe.outputs.plotting.spec import FigureContext, FigureSpec


@dataclass
class ForestRow:
    kind: str  # "overall", "header" or "level"
    label: str
    cells: list[str] = field(default_factory=list)  # the text columns left of the plot
    estimate: float = math.nan
    lower: float = math.nan
    upper: float = math.nan
    events: float = 0.0
    estimate_text: str = ""
    p_interaction: str = ""
    color: str = style.NEUTRAL


@dataclass
class ForestTable:
    rows: list[ForestRow]
    columns: list[str]  # headers of the text columns
    measure: str  # "hr" or "median"
    estimate_header: str
    xlabel: str
    favours: tuple[str, str] | None = None
    reference_value: float = math.nan  # 1 for HRs, the overall median for medians


def _num(x: Any) -> float:
    return math.nan if is_missing(x) else float(x)


def _count_text(x: Any, k: int) -> str:
    """A count as printed: 1..k-1 read ``<k`` (min_cell_count; k <= 1 prints every count); the
    text of a cell masked in a shareable table (``<11``, ``*``) as it is."""
    if isinstance(x, str) and not x.strip().isdigit():
        return x
    v = int(x)
    return f"<{k}" if k > 1 and 1 <= v < k else str(v)


def _events_n(events: Any, n: Any, k: int = 0) -> str:
    if is_missing(n):
        return ""
    return f"{'-' if is_missing(events) else _count_text(events, k)}/{_count_text(n, k)}"


def forest_table(
    subgroups: pd.DataFrame,
    endpoint: str,
    *,
    single_arm: bool,
    single_arm_forest: str = "medians",
    colors: Callable[[str, str], str] | None = None,
    endpoint_label: str = "",
    conf_level: float = 0.95,
    survival: pd.DataFrame | None = None,
    min_cell_count: int = 0,
    shown: pd.DataFrame | None = None,
    shown_survival: pd.DataFrame | None = None,
    arm_name: Callable[[Any], str] = str,
    level_name: Callable[[str, Any], str] | None = None,
) -> ForestTable:
    """Arrange the rows of one endpoint of ``subgroup_survival.csv`` for drawing (file order kept).

    `colors(variable, group)` gives the marker colour of a row (default: neutral grey). In a forest
    of medians, a ``compare`` subgroup shows each group's median; the reference group, which has no
    row of its own in ``subgroup_survival.csv``, is taken from `survival` (``survival.csv``,
    split = the subgroup variable) when given.
    """
    k = int(min_cell_count or 0)
    level_name = level_name or (lambda variable, level: str(level))
    # printed events/n come from the shareable tables when given (same rows, counts masked there
    # with their complementary cells); else the counts here are masked 1..k-1 only
    rows_in = subgroups[subgroups["endpoint"] == endpoint]
    labels_in = rows_in if shown is None else shown[(subgroups["endpoint"] == endpoint).to_numpy()]
    level_pct = f"{conf_level * 100:g}%"
    medians = single_arm and single_arm_forest == "medians"
    measure = "median" if medians else "hr"
    n_arm_groups = rows_in.loc[rows_in["contrast"] == "arm", "group"].nunique()
    out: list[ForestRow] = []
    seen: set[str] = set()
    for j, (_, r) in enumerate(rows_in.iterrows()):
        variable = str(r["variable"])
        overall = str(r["level"]) == "Overall"
        events = _num(r["events"])
        if not single_arm or measure == "hr":
            events = (0 if math.isnan(events) else events) + (
                0 if is_missing(r.get("events_reference")) else float(r["events_reference"])
            )
        c = labels_in.iloc[j]
        if single_arm:
            cells = [_events_n(c["events"], c["n"], k)]
        else:
            cells = [
                _events_n(c["events"], c["n"], k),
                _events_n(c.get("events_reference"), c.get("n_reference"), k),
            ]
        if medians:
            est, lo, hi = _num(r["median"]), _num(r["median_lower"]), _num(r["median_upper"])
            text = fmt_estimate_ci(est, lo, hi, 1)
        else:
            est, lo, hi = _num(r["hr"]), _num(r["hr_lower"]), _num(r["hr_upper"])
            if math.isnan(est) and str(r.get("note", "")) == "reference level":
                text = "reference"
            elif single_arm and overall:
                text = ""
            else:
                text = "NE" if math.isnan(est) else fmt_estimate_ci(est, lo, hi, 2, missing="NE")
        color = colors(variable, str(r["group"])) if colors else style.NEUTRAL
        if overall:
            # with three or more arms there is one Overall row per non-reference arm: name it
            label = (
                f"Overall, {arm_name(r['group'])} vs {arm_name(r['reference'])}"
                if r["contrast"] == "arm" and n_arm_groups > 1
                else "Overall"
            )
            out.append(
                ForestRow("overall", label, cells, est, lo, hi, events, text, "", style.NEUTRAL)
            )
            continue
        if variable not in seen:
            seen.add(variable)
            p_int = ""
            if "interaction_p" in r and not is_missing(r["interaction_p"]):
                p_int = fmt_p(r["interaction_p"])
            out.append(ForestRow("header", str(r["label"]), p_interaction=p_int))
        if r["contrast"] == "compare":
            label = str(r["group"]) if medians else f"{r['group']} vs {r['reference']}"
        elif r["contrast"] == "arm" and n_arm_groups > 1:
            label = f"{level_name(variable, r['level'])} ({arm_name(r['group'])})"
        else:
            label = level_name(variable, r["level"])
        out.append(ForestRow("level", label, cells, est, lo, hi, events, text, "", color))
        if medians and r["contrast"] == "compare" and survival is not None:
            last_of_variable = rows_in.loc[rows_in["variable"].astype(str) == variable].index[-1]
            if r.name == last_of_variable:
                ref_row = _survival_row(survival, endpoint, variable, str(r["reference"]))
                if ref_row is not None:
                    ref_color = colors(variable, str(r["reference"])) if colors else style.NEUTRAL
                    ref_shown = None if shown_survival is None else shown_survival.loc[ref_row.name]
                    out.append(_median_row(ref_row, str(r["reference"]), ref_color, k, ref_shown))
    first = rows_in[rows_in["level"].astype(str) == "Overall"]
    if single_arm:
        columns = ["Events/n"]
        favours = None
    else:
        arm_groups = [arm_name(g) for g in dict.fromkeys(first["group"].astype(str))] or ["Group"]
        ref = arm_name(first["reference"].iloc[0]) if len(first) else "Reference"
        if len(arm_groups) > 1:  # each row names its arm; the first column holds that arm's counts
            columns = ["Arm\nevents/n", f"{_wrap(ref)}\nevents/n"]
            favours = (" or ".join(arm_groups), ref)
        else:
            columns = [f"{_wrap(arm_groups[0])}\nevents/n", f"{_wrap(ref)}\nevents/n"]
            favours = (arm_groups[0], ref)
    name = endpoint_label or endpoint.upper()
    if medians:
        overall_median = _num(first["median"].iloc[0]) if len(first) else math.nan
        return ForestTable(
            out,
            columns,
            "median",
            f"Median, mo ({level_pct} CI)",
            f"Median {name} (months)",
            None,
            overall_median,
        )
    xlabel = (
        f"Hazard ratio of {name} (log scale)"
        if not single_arm
        else f"Hazard ratio of {name} vs first level (log scale)"
    )
    return ForestTable(out, columns, "hr", f"HR ({level_pct} CI)", xlabel, favours, 1.0)


def _survival_row(survival: pd.DataFrame, endpoint: str, split: str, group: str):
    rows = survival[
        (survival["endpoint"] == endpoint)
        & (survival["split"].astype(str) == split)
        & (survival["group"].astype(str) == group)
    ]
    return rows.iloc[0] if len(rows) else None


def _median_row(r: Any, label: str, color: str, k: int = 0, shown: Any = None) -> ForestRow:
    """A forest-of-medians row from a ``survival.csv`` record (``shown``: the same record of the
    shareable table, for the printed counts)."""
    est, lo, hi = _num(r["median"]), _num(r["median_lower"]), _num(r["median_upper"])
    c = r if shown is None else shown
    cells = [_events_n(c["events"], c["n"], k)]
    text = fmt_estimate_ci(est, lo, hi, 1)
    return ForestRow("level", label, cells, est, lo, hi, _num(r["events"]), text, "", color)


def _hr_limits(rows: list[ForestRow]) -> tuple[float, float]:
    lows = [r.lower for r in rows if r.lower > 0] + [r.estimate for r in rows if r.estimate > 0]
    highs = [r.upper for r in rows if math.isfinite(r.upper)] + [
        r.estimate for r in rows if r.estimate > 0
    ]
    lo = min(lows + [1.0]) / 1.15
    hi = max(highs + [1.0]) * 1.15
    return max(lo, 0.05), min(hi, 20.0)


_ROW = 4.2
_CHAR = 1.25
_MARKER_AREA = 60.0  # points^2 of the square of the level with the most events
_MIN_MARKER_AREA = 6.0  # points^2: a small subgroup's square stays visible


def _wrap(name: str, chars: int = 16) -> str:
    """A long arm name over several lines (a column header stays about as wide as its counts)."""
    return textwrap.fill(name, chars, break_long_words=False)


def _widths(table: ForestTable, width: str) -> tuple[float, float, list[float], float, float]:
    """Font size and the widths (mm) of the label, count, estimate and interaction columns."""
    fs = 5.5 if width == "single" else 6.5
    char = _CHAR * fs / 6.5
    rows = table.rows
    label_mm = max(len(r.label) + (2 if r.kind == "level" else 0) for r in rows) * char + 3
    # bold header lines: a long one (a wrapped arm name) needs about 1.3 characters' width each
    col_mm = [
        max(max(len(line) * char + 4, len(line) * char * 1.3 + 1) for line in c.split("\n"))
        for c in table.columns
    ]
    col_mm = [max(w, 9 * char) for w in col_mm]
    est_mm = max(len(table.estimate_header), *(len(r.estimate_text) for r in rows)) * char + 3
    pint_mm = 14 * char if any(r.p_interaction for r in rows) else 0.0
    return fs, label_mm, col_mm, est_mm, pint_mm


def _plot_mm(table: ForestTable, width: str) -> float:
    _, label_mm, col_mm, est_mm, pint_mm = _widths(table, width)
    return style.WIDTH_MM[width] - 10.0 - label_mm - sum(col_mm) - est_mm - pint_mm


def plot_forest(table: ForestTable, width: str = "double") -> Figure:
    """Draw a forest plot from a ForestTable (see `forest_table`)."""
    from matplotlib.ticker import FixedLocator, NullLocator
    from matplotlib.transforms import blended_transform_factory

    rows = table.rows
    n = len(rows)
    if width == "single" and _plot_mm(table, "single") < 30.0:
        width = "double"  # the text columns leave no room for the plot at single-column width
    fw = style.WIDTH_MM[width]
    fs, label_mm, col_mm, est_mm, pint_mm = _widths(table, width)
    char = _CHAR * fs / 6.5
    x0 = 2.0
    plot_left = x0 + label_mm + sum(col_mm) + 2.0
    plot_right = fw - 2.0 - est_mm - pint_mm - 2.0
    # long arm names: the "favours" labels wrap within half the plot, the header grows with its lines
    favours = []
    if table.favours:
        half = max(8, int(((plot_right - plot_left) / 2 - 2.0) / char))
        g, ref = table.favours
        favours = [_wrap(f"\u2190 favours {g}", half), _wrap(f"favours {ref} \u2192", half)]
    fav_extra = max((f.count("\n") for f in favours), default=0)
    head_lines = max(c.count("\n") + 1 for c in table.columns)
    head_mm, top, bottom = max(8.0, 2.8 * head_lines + 2.4), 1.5, 1.5
    axis_mm = (12.5 + 2.6 * fav_extra) if table.favours else 9.5
    height = top + head_mm + max(n, 1) * _ROW + axis_mm + bottom
    fig = style.new_figure(width, height)
    ax = fig.add_axes(
        (
            plot_left / fw,
            (bottom + axis_mm) / height,
            (plot_right - plot_left) / fw,
            n * _ROW / height,
        )
    )
    ax.set_ylim(n - 0.5, -0.5)
    ax.yaxis.set_major_locator(NullLocator())
    ax.spines["left"].set_visible(False)
    tr = blended_transform_factory(fig.transFigure, ax.transData)
    head_y = 1 - (top + head_mm / 2) / height

    def text_at(x_mm: float, y: float, s: str, ha: str = "left", **kw: Any) -> None:
        fig.text(x_mm / fw, y, s, transform=tr, ha=ha, va="center", fontsize=fs, **kw)

    # column headers
    fig.text(x0 / fw, head_y, "Subgroup", ha="left", va="center", fontsize=fs, fontweight="bold")
    xc = x0 + label_mm
    centers = []
    for h, w in zip(table.columns, col_mm, strict=True):
        centers.append(xc + w / 2)
        fig.text(
            (xc + w / 2) / fw, head_y, h, ha="center", va="center", fontsize=fs, fontweight="bold"
        )
        xc += w
    est_x = plot_right + 2.0
    fig.text(
        est_x / fw,
        head_y,
        table.estimate_header,
        ha="left",
        va="center",
        fontsize=fs,
        fontweight="bold",
    )
    if pint_mm:
        fig.text(
            (fw - 2.0) / fw,
            head_y,
            "P interaction",
            ha="right",
            va="center",
            fontsize=fs,
            fontweight="bold",
        )

    # rows
    if table.measure == "hr":
        ax.set_xscale("log")
        lo, hi = _hr_limits(rows)
    else:
        vals = [v for r in rows for v in (r.estimate, r.lower, r.upper) if math.isfinite(v)]
        lo, hi = 0.0, (max(vals) * 1.08 if vals else 1.0)
    ax.set_xlim(lo, hi)
    max_events = max([r.events for r in rows if r.kind == "level"] + [1.0])
    for i, r in enumerate(rows):
        if i % 2 == 0:
            ax.axhspan(i - 0.5, i + 0.5, color="#F4F4F4", lw=0, zorder=0)
        weight = "bold" if r.kind in ("header", "overall") else "normal"
        indent = 2 * char if r.kind == "level" else 0.0
        text_at(x0 + indent, i, r.label, fontweight=weight)
        for c, cell in zip(centers, r.cells, strict=False):
            text_at(c, i, cell, ha="center")
        text_at(est_x, i, r.estimate_text)
        if r.p_interaction:
            text_at(fw - 2.0, i, r.p_interaction, ha="right")
        if not math.isfinite(r.estimate):
            continue
        left = r.lower if math.isfinite(r.lower) else lo
        right = r.upper if math.isfinite(r.upper) else hi
        ax.plot(
            [max(left, lo), min(right, hi)],
            [i, i],
            color=r.color,
            lw=0.9,
            zorder=2,
            solid_capstyle="butt",
        )
        for end, edge, marker in ((right, hi, ">"), (left, lo, "<")):
            if end >= hi if marker == ">" else end <= lo:
                ax.plot(
                    [edge], [i], marker=marker, color=r.color, markersize=3, zorder=3, clip_on=False
                )
        if r.kind == "overall":
            xs = [max(left, lo), r.estimate, min(right, hi), r.estimate]
            ax.fill(xs, [i, i - 0.32, i, i + 0.32], color=style.NEUTRAL, zorder=3, gid="overall")
        else:
            # area proportional to the events, never smaller than a visible square
            size = max(_MARKER_AREA * r.events / max_events, _MIN_MARKER_AREA)
            ax.scatter(
                [r.estimate], [i], s=size, marker="s", color=r.color, zorder=3, lw=0, gid="level"
            )
    if math.isfinite(table.reference_value):
        ref_style = "-" if table.measure == "hr" else "--"
        ax.axvline(table.reference_value, color=style.NEUTRAL, lw=0.6, ls=ref_style, zorder=1)
    if table.measure == "hr":
        ticks = [t for t in (0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20) if lo <= t <= hi]
        if len(ticks) < 4:
            fine = (0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 7, 10)
            ticks = [t for t in fine if lo <= t <= hi]
        nice = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 7, 10, 20)
        past = [t for t in nice if t >= hi / 1.15 - 1e-9]  # the largest CI limit drawn
        if past and (not ticks or ticks[-1] < hi / 1.15 - 1e-9):
            hi = max(hi, past[0] * 1.05)
            ax.set_xlim(lo, hi)
            ticks = [*ticks, past[0]]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticklabels([f"{t:g}" for t in ticks])
    ax.set_xlabel(table.xlabel, fontsize=fs)
    ax.tick_params(axis="x", labelsize=fs)
    if table.favours:
        y = (bottom + 0.8 + 1.3 * fav_extra) / height
        fig.text(
            (plot_left + 1) / fw,
            y,
            favours[0],
            ha="left",
            va="center",
            fontsize=fs - 0.5,
            color=style.NEUTRAL,
        )
        fig.text(
            (plot_right - 1) / fw,
            y,
            favours[1],
            ha="right",
            va="center",
            fontsize=fs - 0.5,
            color=style.NEUTRAL,
        )
    return fig


def draw(spec: FigureSpec, ctx: FigureContext) -> Figure:
    """Figure kind ``forest``: the subgroup estimates of one endpoint."""
    label, _ = ctx.endpoint_text(spec.endpoint)
    sub = ctx.tables["subgroup_survival"]
    rows = sub[sub["endpoint"] == spec.endpoint]
    if not (rows["level"].astype(str) != "Overall").any():
        return style.placeholder(f"No subgroup estimates of {label}.", f"Forest plot: {label}")
    color_of = {}
    for var in dict.fromkeys(rows["variable"].astype(str)):
        for g, st in ctx.split_styles(var, spec.endpoint).items():
            color_of[(var, g)] = st["color"]
    shown = ctx.tables.get("subgroup_survival_shown")
    table = forest_table(
        rows,
        spec.endpoint,
        single_arm=ctx.single_arm,
        single_arm_forest=ctx.study["single_arm_forest"],
        colors=lambda var, group: color_of.get((var, group), ctx.colors.get(group, style.NEUTRAL)),
        endpoint_label=label,
        conf_level=ctx.conf_level,
        survival=ctx.tables["survival"],
        min_cell_count=ctx.min_cell_count,
        shown=None if shown is None else shown[(sub["endpoint"] == spec.endpoint).to_numpy()],
        shown_survival=ctx.tables.get("survival_shown"),
        arm_name=ctx.arm_name,
        level_name=ctx.level_name,
    )
    return plot_forest(table, ctx.width)
