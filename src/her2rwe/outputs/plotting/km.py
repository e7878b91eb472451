"""Kaplan-Meier figure with a number-at-risk table, medians, and the HR / log-rank annotation.

Everything drawn comes from the survival stage's results (docs/outputs.md): the step function from
``km_curves.parquet``, the numbers at risk from ``risk_table.csv``, medians from ``survival.csv``,
and the HR and log-rank p from ``comparisons.csv`` (``subgroup_survival.csv`` for subgroup splits).
Nothing is re-estimated here.

Layout is computed in millimetres so that the number-at-risk table sits exactly under the x ticks
(each count is centred on its tick) and nothing overlaps at journal column widths.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from her2rwe.formatting import fmt_ci, fmt_num, fmt_p, is_missing, risk_table_interval
from her2rwe.outputs.plotting import style

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure

    from her2rwe.outputs.plotting.spec import FigureContext, FigureSpec

ORIGIN_TEXT = {"index_date": "start of index therapy"}
_YLIM = (-0.03, 1.03)  # the survival axis; a curve that drops to 0 stays off the frame


def time_axis_label(origin: str = "index_date", unit: str = "months") -> str:
    """``Months since start of index therapy``: the x-axis label names the time origin."""
    text = ORIGIN_TEXT.get(origin, origin.removesuffix("_date").replace("_", " "))
    return f"{unit.capitalize()} since {text}"


def p_text(p: Any, name: str = "p") -> str:
    """``log-rank p = 0.072`` or ``log-rank p < 0.001``; empty when p is missing."""
    s = fmt_p(p)
    if not s:
        return ""
    return f"{name} {s[0]} {s[1:]}" if s.startswith("<") else f"{name} = {s}"


def median_text(median: Any, lower: Any, upper: Any, conf_level: float = 0.95) -> str:
    """``median 7.0 mo (95% CI 5.6-8.9)``; ``median NR (95% CI 9.5-NR)`` where not reached."""
    level = f"{conf_level * 100:g}%"
    head = "median NR" if is_missing(median) else f"median {fmt_num(median)} mo"
    return f"{head} ({level} CI {fmt_ci(lower, upper)})"


def hr_text(
    hr: Any,
    lower: Any,
    upper: Any,
    p: Any = None,
    p_name: str = "log-rank p",
    conf_level: float = 0.95,
) -> str:
    """``HR 0.72 (95% CI 0.50-1.04); log-rank p = 0.081``; ``HR NE`` when not estimable."""
    if is_missing(hr):
        head = "HR not estimable"
    else:
        head = f"HR {fmt_num(hr, 2)} ({conf_level * 100:g}% CI {fmt_ci(lower, upper, 2, missing='NE')})"
    tail = p_text(p, p_name)
    return f"{head}; {tail}" if tail else head


@dataclass
class KMPanel:
    """What one Kaplan-Meier figure shows, already selected from the results tables."""

    groups: list[str]
    curves: dict[str, pd.DataFrame]  # group -> time, surv, surv_lower, surv_upper, n_censor
    ticks: list[float]
    at_risk: dict[str, list[Any]]  # group -> n_risk at each tick (None where the table has none)
    cum_events: dict[str, list[Any]]
    medians: dict[str, tuple[Any, Any, Any]]
    comparisons: list[str] = field(default_factory=list)
    xmax: float = 0.0
    title: str = ""
    names: dict[str, str] = field(default_factory=dict)  # group -> display name (default: itself)

    def name(self, group: str) -> str:
        return self.names[group] if group in self.names else group


def _float(x: Any) -> float:
    return math.nan if is_missing(x) else float(x)


def select_panel(
    curves: pd.DataFrame,
    risk: pd.DataFrame,
    survival: pd.DataFrame,
    endpoint: str,
    split: str = "arm",
    comparisons: Sequence[str] = (),
    xmax: float | None = None,
    title: str = "",
    interval: float | None = None,
) -> KMPanel:
    """Pick the rows of one endpoint and split out of the results tables, in display order.

    Groups are drawn in the order of ``survival.csv`` (display order). The x ticks are the risk
    table's times up to the axis end (every `interval` months if the table has no rows for the
    split: `interval`, or chosen from the axis length as the survival stage does); the axis ends at
    `xmax` or at the last time of the curves.
    """
    import numpy as np
    import pandas as pd

    surv = survival[(survival["endpoint"] == endpoint) & (survival["split"] == split)]
    cur = curves[(curves["endpoint"] == endpoint) & (curves["split"] == split)]
    rsk = risk[(risk["endpoint"] == endpoint) & (risk["split"] == split)]
    # each curve's rows, by group code (a million-row curve table: no text comparison per group)
    codes, labels = pd.factorize(cur["group"], use_na_sentinel=False)
    code_of = {}
    for k, label in enumerate(labels):
        code_of.setdefault(str(label), []).append(k)
    drawn = set(code_of)
    # groups in display order; a group without patients (e.g. "<level>, <arm>" where the level
    # occurs in one arm only) has no curve and is left out
    empty = set(surv.loc[surv["n"].fillna(0) == 0, "group"].astype(str)) if "n" in surv else set()
    groups = [g for g in dict.fromkeys(surv["group"].astype(str)) if g in drawn and g not in empty]
    groups += [g for g in code_of if g not in groups and g not in empty]
    end = float(xmax) if xmax else float(cur["time"].max()) if len(cur) else 1.0
    ticks = sorted(t for t in set(rsk["time"].astype(float)) if t <= end + 1e-9)
    if not xmax and ticks:
        end = max(end, ticks[-1])
    if not ticks:  # no risk table for this split: ticks every `interval`, the table left blank
        step = interval or risk_table_interval(end)
        ticks = [i * step for i in range(int(end // step) + 1)]
    at_risk: dict[str, list[Any]] = {}
    cum: dict[str, list[Any]] = {}
    for g in groups:
        rows = rsk[rsk["group"].astype(str) == g].set_index("time")
        at_risk[g] = [int(rows.at[t, "n_risk"]) if t in rows.index else None for t in ticks]
        cum[g] = [
            int(rows.at[t, "cum_events"])
            if t in rows.index and "cum_events" in rows and not is_missing(rows.at[t, "cum_events"])
            else None
            for t in ticks
        ]
    medians = {}
    for g in groups:
        row = surv[surv["group"].astype(str) == g]
        medians[g] = (
            tuple(row.iloc[0][["median", "median_lower", "median_upper"]])
            if len(row)
            else (None,) * 3
        )
    return KMPanel(
        groups=groups,
        curves={
            g: cur[np.isin(codes, code_of[g])].sort_values("time", kind="stable") for g in groups
        },
        ticks=ticks,
        at_risk=at_risk,
        cum_events=cum,
        medians=medians,
        comparisons=list(comparisons),
        xmax=end,
        title=title,
    )


def arm_comparison_lines(
    comparisons: pd.DataFrame,
    endpoint: str,
    conf_level: float = 0.95,
    name: Callable[[Any], str] = str,
) -> list[str]:
    """One line per non-reference arm, naming the comparison: ``ADC vs HP+C: HR ...; log-rank
    p = ...`` (arms by ``name``, their display names)."""
    rows = comparisons[comparisons["endpoint"] == endpoint]
    lines = []
    for _, r in rows.iterrows():
        text = hr_text(r["hr"], r["hr_lower"], r["hr_upper"], r["logrank_p"], conf_level=conf_level)
        lines.append(f"{name(r['arm'])} vs {name(r['reference'])}: {text}")
    return lines


def subgroup_comparison_lines(
    subgroups: pd.DataFrame,
    endpoint: str,
    variable: str,
    conf_level: float = 0.95,
    label: str = "",
    ctx: FigureContext | None = None,
) -> list[str]:
    """HR lines of a subgroup split, from ``subgroup_survival.csv`` (Cox Wald p; no log-rank there);
    arms and levels by their display names when ``ctx`` is given."""
    arm = ctx.arm_name if ctx is not None else str
    level = (lambda v: ctx.level_name(variable, v)) if ctx is not None else str
    rows = subgroups[(subgroups["endpoint"] == endpoint) & (subgroups["variable"] == variable)]
    lines = []
    for _, r in rows.iterrows():
        if is_missing(r.get("hr")) and (
            str(r.get("note", "")) == "reference level"
            or r.get("n") == 0
            or r.get("n_reference") == 0
        ):
            continue  # no comparison to show: the reference level itself, or an empty group
        text = hr_text(r["hr"], r["hr_lower"], r["hr_upper"], r.get("hr_p"), "p", conf_level)
        if r["contrast"] == "arm":
            lines.append(f"{level(r['level'])}: {arm(r['group'])} vs {arm(r['reference'])}, {text}")
        elif r["contrast"] == "level":
            lines.append(f"{level(r['group'])} vs {level(r['reference'])}: {text}")
        else:
            lines.append(f"{r['group']} vs {r['reference']}: {text}")
    p_int = rows["interaction_p"].dropna() if "interaction_p" in rows else []
    if len(p_int):
        lines.append(f"Treatment x {label or variable} interaction: {p_text(p_int.iloc[0])}")
    return lines


def draw_panel(
    panel: KMPanel,
    styles: Mapping[str, Mapping[str, Any]],
    fig_cfg: Mapping[str, Any],
    *,
    ylabel: str,
    origin: str,
    conf_level: float,
    min_cell_count: int = 0,
    risk_title: str = "Number at risk",
    overlays: Mapping[str, pd.DataFrame] | None = None,
) -> Figure:
    """:func:`plot_km` with the study's figure options, the printed counts coarsened with k
    (shareable.mask_risk_rows: 1..k-1 read ``<k``, larger counts rounded down to a multiple of k,
    said in the risk table's title)."""
    from her2rwe.outputs.shareable import mask_risk_rows, risk_rows_note

    panel.at_risk = mask_risk_rows(panel.at_risk, min_cell_count)
    panel.cum_events = mask_risk_rows(panel.cum_events, min_cell_count)
    note = risk_rows_note(min_cell_count)
    if note:
        risk_title = f"{risk_title} ({note})"
    return plot_km(
        panel,
        styles,
        ylabel=ylabel,
        xlabel=time_axis_label(origin),
        conf_level=conf_level,
        ci_band=bool(fig_cfg["ci_band"]),
        cumulative_events=bool(fig_cfg["cumulative_events"]),
        width=fig_cfg["width"],
        risk_title=risk_title,
        overlays=overlays,
    )


# layout in millimetres
_LINE = 3.3  # one line of 6.5-pt text
_ROW = 3.2  # one row of the risk table
_CHAR = 1.25  # width of one 6.5-pt character, for the left margin


def count_table(
    axis,
    groups: Sequence[str],
    ticks: Sequence[float],
    values: Mapping[str, list[Any]],
    styles: Mapping[str, Mapping[str, Any]],
    title: str,
    kind: str,
    left: float,
    axes_mm: float,
    names: Mapping[str, str] | None = None,
) -> None:
    """A table of counts under the x ticks (number at risk, cumulative events): a bold title, each
    group's name in its colour at the left, each count centred on its tick (``gid`` kind:group)."""
    axis.set_ylim(len(groups) - 0.5, -1.2)
    for sp in axis.spines.values():
        sp.set_visible(False)
    axis.tick_params(axis="both", length=0, labelbottom=False, labelleft=False)
    axis.text(
        -(left - 2.0) / axes_mm,
        -1.0,
        title,
        transform=axis.get_yaxis_transform(),
        ha="left",
        va="center",
        fontsize=6.5,
        fontweight="bold",
    )
    for i, g in enumerate(groups):
        axis.text(
            -4.0 / axes_mm,
            i,
            (names or {}).get(g, g),
            transform=axis.get_yaxis_transform(),
            ha="right",
            va="center",
            fontsize=6.5,
            color=styles[g]["color"],
        )
        for t, v in zip(ticks, values[g], strict=True):
            axis.text(
                t,
                i,
                "" if v is None else str(v),
                ha="center",
                va="center",
                fontsize=6.5,
                gid=f"{kind}:{g}",
                clip_on=False,
            )


@dataclass
class Layout:
    """The axes of a curve figure (annotation block, plot, number-at-risk table, optional
    cumulative-events table) and the millimetre measures the drawing needs."""

    fig: Figure
    ax_head: Any
    ax: Any
    ax_risk: Any
    ax_cum: Any
    fw: float
    left: float
    right: float
    head_left: float


def layout(
    groups: Sequence[str], n_head: int, width: str, cumulative_events: bool, head_chars: int = 0
) -> Layout:
    """Lay out a curve figure in millimetres: ``n_head`` annotation lines (the longest
    ``head_chars`` characters), the plot, the tables."""
    head_mm = n_head * _LINE + 1.5
    main_mm = 62.0 if width == "double" else 52.0
    axis_mm = 10.5  # tick labels and x label
    risk_mm = _LINE + len(groups) * _ROW
    cum_mm = (_LINE + 1.0 + len(groups) * _ROW) if cumulative_events else 0.0
    top, bottom = 2.0, 2.0
    height = top + head_mm + 1.5 + main_mm + axis_mm + risk_mm + cum_mm + bottom
    fig = style.new_figure(width, height)
    fw = style.WIDTH_MM[width]
    label_len = max(len(g) for g in groups)
    left = max(17.0, 7.0 + label_len * 1.3)
    right = 5.0

    def box(y_top_mm: float, h_mm: float) -> tuple[float, float, float, float]:
        return (left / fw, 1 - (y_top_mm + h_mm) / height, (fw - left - right) / fw, h_mm / height)

    y = top
    # the annotation block may use the full width: at single-column width the plot's own width is
    # too narrow for "<group>: median X.X mo (95% CI a-b)"; and at any width when long group names
    # push the plot so far right that the longest annotation line would leave the canvas
    head_left = 2.0 if width == "single" or left + head_chars * _CHAR > fw - 2.0 else left
    ax_head = fig.add_axes(
        (head_left / fw, 1 - (y + head_mm) / height, (fw - head_left - 2.0) / fw, head_mm / height)
    )
    y += head_mm + 1.5
    ax = fig.add_axes(box(y, main_mm))
    y += main_mm + axis_mm
    ax_risk = fig.add_axes(box(y, risk_mm), sharex=ax)
    y += risk_mm
    ax_cum = fig.add_axes(box(y, cum_mm), sharex=ax) if cumulative_events else None
    return Layout(fig, ax_head, ax, ax_risk, ax_cum, fw, left, right, head_left)


def plot_km(
    panel: KMPanel,
    styles: Mapping[str, Mapping[str, Any]],
    *,
    ylabel: str,
    xlabel: str,
    conf_level: float = 0.95,
    ci_band: bool = False,
    cumulative_events: bool = False,
    width: str = "double",
    risk_title: str = "Number at risk",
    overlays: Mapping[str, pd.DataFrame] | None = None,
) -> Figure:
    """Draw the Kaplan-Meier figure of one endpoint and split.

    ``risk_title`` heads the number-at-risk table (weighted curves: "Number at risk (unweighted)").
    ``overlays`` maps a label to the step curve (``time``, ``surv``) of a trial arm reconstructed
    from its published curve: drawn in grey, dashed, without censor ticks, median or at-risk row,
    and named "<label> (reconstructed)" in the annotation block.

    Step curves with censor ticks (``|``), an optional pointwise CI band, dashed median lines, an
    annotation block above the plot (per group ``median X.X mo (95% CI a-b)``, then the comparison
    lines), and the number-at-risk table (optionally cumulative events) under the x ticks.
    """
    import numpy as np
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FixedLocator

    from her2rwe.outputs.plotting import thin

    groups = panel.groups
    overlays = dict(overlays or {})
    lead = 1 if panel.title else 0
    n_head = lead + len(groups) + len(overlays) + len(panel.comparisons)
    head = [f"{panel.name(g)}: median 00.0 mo (95% CI 00.0-00.0)" for g in groups]
    head += [f"{label} (reconstructed)" for label in overlays] + list(panel.comparisons)
    lay = layout(
        [panel.name(g) for g in groups], n_head, width, cumulative_events, max(map(len, head))
    )
    fig, ax_head, ax, ax_risk, ax_cum = lay.fig, lay.ax_head, lay.ax, lay.ax_risk, lay.ax_cum
    fw, left, right, head_left = lay.fw, lay.left, lay.right, lay.head_left

    # curves
    for g in groups:
        c = panel.curves[g]
        st = styles[g]
        t = c["time"].to_numpy(dtype=float)
        s = c["surv"].to_numpy(dtype=float)
        # a very long curve is thinned to what 300 dpi can show (thin.py); short ones are untouched
        keep = thin.step_points(t, ax, panel.xmax)
        ax.step(
            t[keep],
            s[keep],
            where="post",
            color=st["color"],
            linestyle=st["linestyle"],
            lw=1.2,
            zorder=3,
        )
        if ci_band:
            lo = c["surv_lower"].to_numpy(dtype=float, na_value=math.nan)[keep]
            hi = c["surv_upper"].to_numpy(dtype=float, na_value=math.nan)[keep]
            ax.fill_between(
                t[keep], lo, hi, step="post", color=st["color"], alpha=0.15, lw=0, zorder=1
            )
        cens = np.flatnonzero(c["n_censor"].to_numpy(dtype=float) > 0)
        cens = cens[thin.mark_points(t[cens], s[cens], ax, panel.xmax, _YLIM)]
        ax.plot(
            t[cens],
            s[cens],
            linestyle="none",
            marker="|",
            markersize=4,
            mew=0.8,
            color=st["color"],
            zorder=4,
            gid=f"censor:{g}",
        )
    for label, c in overlays.items():
        ax.step(
            c["time"].to_numpy(dtype=float),
            c["surv"].to_numpy(dtype=float),
            where="post",
            color=style.RECONSTRUCTED,
            linestyle="--",
            lw=1.0,
            zorder=2.5,
            gid=f"reconstructed:{label}",
        )
    # dashed median lines: one horizontal at 0.5 to the largest median, one drop per group
    finite = [(g, _float(panel.medians[g][0])) for g in groups]
    finite = [(g, m) for g, m in finite if not math.isnan(m) and m <= panel.xmax]
    if finite:
        ax.plot(
            [0, max(m for _, m in finite)],
            [0.5, 0.5],
            ls="--",
            lw=0.6,
            color=style.NEUTRAL,
            zorder=2,
        )
        for g, m in finite:
            ax.plot(
                [m, m],
                [0, 0.5],
                ls="--",
                lw=0.6,
                color=styles[g]["color"],
                zorder=2,
                gid=f"median:{g}",
            )

    ax.set_xlim(0, panel.xmax)
    ax.set_ylim(*_YLIM)
    ax.yaxis.set_major_locator(FixedLocator([0.0, 0.2, 0.4, 0.6, 0.8, 1.0]))
    ax.xaxis.set_major_locator(FixedLocator(panel.ticks))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"{ylabel}\n(probability)")
    ax.grid(axis="y", color=style.GRID, lw=0.4)
    ax.tick_params(axis="x", labelbottom=True)

    # annotation block: one coloured line per group, then the comparisons in black
    ax_head.set_axis_off()
    ax_head.set_xlim(0, 1)
    ax_head.set_ylim(n_head, 0)
    if panel.title:
        ax_head.text(0.0, 0.5, panel.title, va="center", ha="left", fontsize=6.5, fontweight="bold")
    handle = 7.0 / (fw - head_left - 2.0)  # a 7-mm line sample before each group's text
    for i, g in enumerate(groups, start=lead):
        st = styles[g]
        ax_head.add_line(
            Line2D(
                [0.0, handle],
                [i + 0.5, i + 0.5],
                color=st["color"],
                linestyle=st["linestyle"],
                lw=1.2,
            )
        )
        text = f"{panel.name(g)}: {median_text(*panel.medians[g], conf_level=conf_level)}"
        ax_head.text(
            handle * 1.3,
            i + 0.5,
            text,
            va="center",
            ha="left",
            fontsize=6.5,
            gid=f"median_text:{g}",
        )
    for i, label in enumerate(overlays, start=lead + len(groups)):
        ax_head.add_line(
            Line2D(
                [0.0, handle],
                [i + 0.5, i + 0.5],
                color=style.RECONSTRUCTED,
                linestyle="--",
                lw=1.0,
            )
        )
        ax_head.text(
            handle * 1.3,
            i + 0.5,
            f"{label} (reconstructed)",
            va="center",
            ha="left",
            fontsize=6.5,
            color=style.RECONSTRUCTED,
            gid=f"reconstructed_text:{label}",
        )
    for j, line in enumerate(panel.comparisons, start=lead + len(groups) + len(overlays)):
        ax_head.text(0.0, j + 0.5, line, va="center", ha="left", fontsize=6.5, gid="comparison")

    axes_mm = fw - left - right

    def table(axis, values: dict[str, list[Any]], title: str, kind: str) -> None:
        count_table(
            axis, groups, panel.ticks, values, styles, title, kind, left, axes_mm, panel.names
        )

    table(ax_risk, panel.at_risk, risk_title, "at_risk")
    if ax_cum is not None:
        table(ax_cum, panel.cum_events, "Cumulative events", "cum_events")
    return fig


def draw_arms(spec: FigureSpec, ctx: FigureContext) -> Figure:
    """Figure kind ``km``: the arms of one endpoint, with the between-arm comparisons."""
    lines = (
        []
        if ctx.single_arm
        else arm_comparison_lines(
            ctx.tables["comparisons"], spec.endpoint, ctx.conf_level, ctx.arm_name
        )
    )
    overlays = {}
    trial = ctx.tables.get("trial_context_curves")  # figures.TRIAL_CONTEXT_CURVES
    if trial is not None:
        rows = trial[trial["endpoint"] == spec.endpoint]
        for arm_label in dict.fromkeys(rows["group"].astype(str)):
            overlays[arm_label] = rows[rows["group"].astype(str) == arm_label]
    return _draw_split(spec, ctx, lines, "", "the arms", overlays)


def draw_subgroup(spec: FigureSpec, ctx: FigureContext) -> Figure:
    """Figure kind ``km_subgroup``: the levels of one subgroup split of one endpoint."""
    label, _ = ctx.endpoint_text(spec.endpoint)
    sg_label = ctx.subgroup(spec.split).get("label") or spec.split
    lines = subgroup_comparison_lines(
        ctx.tables["subgroup_survival"], spec.endpoint, spec.split, ctx.conf_level, sg_label, ctx
    )
    return _draw_split(spec, ctx, lines, f"{label} by {sg_label}", f"subgroup {spec.split}")


def _draw_split(
    spec: FigureSpec,
    ctx: FigureContext,
    lines: list[str],
    title: str,
    what: str,
    overlays: Mapping[str, pd.DataFrame] | None = None,
) -> Figure:
    label, origin = ctx.endpoint_text(spec.endpoint)
    settings = ctx.figure_settings
    panel = select_panel(
        ctx.tables["km_curves"],
        ctx.tables["risk_table"],
        ctx.tables["survival"],
        spec.endpoint,
        spec.split,
        lines,
        settings.get("xmax"),
        title,
        settings.get("risk_table_interval"),
    )
    if not panel.groups or all(len(c) == 0 for c in panel.curves.values()):
        return style.placeholder(f"No Kaplan-Meier estimates of {label} for {what}.", label)
    panel.names = {g: ctx.group_name(spec.split, g) for g in panel.groups}
    styles = ctx.split_styles(spec.split, spec.endpoint)
    for g in panel.groups:
        styles.setdefault(g, {"color": style.NEUTRAL, "linestyle": "-"})
    return draw_panel(
        panel, styles, settings, ylabel=label, origin=origin, conf_level=ctx.conf_level,
        min_cell_count=ctx.min_cell_count, overlays=overlays,
    )  # fmt: skip
