"""Cumulative-incidence figure of a competing-risks endpoint, in the style of the Kaplan-Meier figure.

Everything drawn comes from the competing-risks stage's results (docs/outputs.md): the step
functions from ``competing/cif_curves.parquet``, the numbers at risk from ``competing/risk_table.csv``,
the values at the landmarks from ``cumulative_incidence.csv`` and Gray's p and the subdistribution
hazard ratio from ``competing_comparisons.csv``. Nothing is re-estimated here.

Per arm one colour; the event of interest solid, the competing event dashed (``figures.
competing_curves``); an annotation block above the plot and the number-at-risk table under the x
ticks, laid out in millimetres as the KM figure. Registered as the figure kind ``cif`` in
``figures.FIGURE_KINDS`` (one ``cif_<endpoint>`` per competing-risks endpoint).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from her2rwe.formatting import fmt_ci, fmt_num, is_missing
from her2rwe.outputs.plotting import style
from her2rwe.outputs.plotting.km import count_table, layout, p_text
from her2rwe.outputs.plotting.spec import FigureContext, FigureSpec

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd
    from matplotlib.figure import Figure


@dataclass
class CIFPanel:
    """What one cumulative-incidence figure shows, already selected from the results tables."""

    arms: list[str]
    curves: dict[tuple[str, str], pd.DataFrame]  # (arm, event_type) -> time, cif
    ticks: list[float]
    at_risk: dict[str, list[Any]]
    header: list[str]  # one line per arm: the event's CIF at the landmarks
    comparisons: list[str] = field(default_factory=list)
    xmax: float = 0.0
    names: dict[str, str] = field(default_factory=dict)  # arm -> display name (default: itself)


def pct_text(cif: Any, lower: Any, upper: Any) -> str:
    """``2.9% (1.8-4.4)``; ``NE`` when missing."""
    if is_missing(cif):
        return "NE"
    lo = None if is_missing(lower) else 100 * float(lower)
    hi = None if is_missing(upper) else 100 * float(upper)
    return f"{fmt_num(100 * float(cif))}% ({fmt_ci(lo, hi, missing='NE')})"


def shr_line(
    row: Mapping[str, Any], many: bool, conf_level: float = 0.95, name: Callable[[Any], str] = str
) -> str:
    """``SHR 0.72 (95% CI 0.50-1.04); Gray's p = 0.081``, prefixed with the arms when several."""
    if is_missing(row["shr"]):
        head = "SHR not estimable"
    else:
        ci = fmt_ci(row["shr_lower"], row["shr_upper"], 2, missing="NE")
        head = f"SHR {fmt_num(row['shr'], 2)} ({conf_level * 100:g}% CI {ci})"
    tail = p_text(row["gray_p"], "Gray's p")
    text = f"{head}; {tail}" if tail else head
    return f"{name(row['arm'])} vs {name(row['reference'])}: {text}" if many else text


def select_panel(
    curves: pd.DataFrame,
    risk: pd.DataFrame,
    ci: pd.DataFrame,
    comparisons: pd.DataFrame,
    endpoint: str,
    arms: Sequence[str],
    xmax: float | None = None,
    conf_level: float = 0.95,
    name: Callable[[Any], str] = str,
) -> CIFPanel:
    """Pick one endpoint's rows; the arms in display order (``All`` only for a single arm), named
    by ``name`` (their display names)."""
    cur = curves[curves["endpoint"] == endpoint]
    rsk = risk[risk["endpoint"] == endpoint]
    drawn = [a for a in arms if (cur["arm"].astype(str) == a).any()]
    if not drawn:
        drawn = ["All"] if (cur["arm"].astype(str) == "All").any() else []
    end = float(xmax) if xmax else float(cur["time"].max()) if len(cur) else 1.0
    ticks = sorted(t for t in set(rsk["time"].astype(float)) if t <= end + 1e-9)
    at_risk = {}
    for a in drawn:
        rows = rsk[rsk["arm"].astype(str) == a].set_index("time")
        at_risk[a] = [int(rows.at[t, "n_risk"]) if t in rows.index else None for t in ticks]
    header = []
    for a in drawn:
        rows = ci[(ci["endpoint"] == endpoint) & (ci["arm"].astype(str) == a)]
        rows = rows[rows["event_type"] == "event"]
        parts = [
            f"{fmt_num(r.time, 0)} mo {pct_text(r.cif, r.cif_lower, r.cif_upper)}"
            for r in rows.itertuples(index=False)
            if not is_missing(r.cif)
        ]
        header.append(
            f"{name(a) if a != 'All' else a} ({conf_level * 100:g}% CI): "
            + ("; ".join(parts) if parts else "no estimate at the landmarks")
        )
    cmp = comparisons[comparisons["endpoint"] == endpoint]
    many = len(cmp) > 1
    lines = [shr_line(r, many, conf_level, name) for r in cmp.to_dict("records")]
    return CIFPanel(
        arms=drawn,
        curves={
            (a, kind): cur[(cur["arm"].astype(str) == a) & (cur["event_type"] == kind)]
            for a in drawn
            for kind in ("event", "competing")
        },
        ticks=ticks,
        at_risk=at_risk,
        header=header,
        comparisons=lines,
        xmax=end,
        names={a: a if a == "All" else name(a) for a in drawn},
    )


PLOT_DECIMALS = 4
"""Cumulative incidences are drawn rounded to this many decimals (as the love plot's |SMD|), so the
drawing does not depend on the last bits of floating-point arithmetic."""


def plotted(values: pd.Series) -> np.ndarray:
    """The values a curve draws: rounded to PLOT_DECIMALS."""
    import numpy as np

    return np.round(values.to_numpy(dtype=float), PLOT_DECIMALS)


def _ymax(panel: CIFPanel, competing: bool) -> float:
    top = 0.0
    for (_, kind), c in panel.curves.items():
        if kind == "event" or competing:
            if len(c):
                top = max(top, float(plotted(c["cif"]).max()))
    step = 0.05 if top <= 0.3 else 0.1
    return min(1.0, max(step, math.ceil(top * 1.1 / step) * step))


def plot_cif(
    panel: CIFPanel,
    styles: Mapping[str, Mapping[str, Any]],
    *,
    event_label: str,
    competing_label: str,
    xlabel: str,
    competing: bool = True,
    width: str = "double",
    risk_title: str = "Number at risk",
) -> Figure:
    """Draw the cumulative-incidence figure of one endpoint.

    Step curves per arm (event solid, competing event dashed when ``competing``), a key and an
    annotation block above (per arm the event's CIF at the landmarks with CIs, then SHR and Gray's p
    per comparison), and the number-at-risk table under the x ticks.
    """
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FixedLocator

    arms = panel.arms
    n_head = 1 + len(panel.header) + len(panel.comparisons)
    head = [f"{event_label}, {line}" for line in panel.header] + list(panel.comparisons)
    lay = layout([panel.names.get(a, a) for a in arms], n_head, width, False, max(map(len, head)))
    fig, ax_head, ax, ax_risk = lay.fig, lay.ax_head, lay.ax, lay.ax_risk
    fw, left, right, head_left = lay.fw, lay.left, lay.right, lay.head_left

    kinds = [("event", "-")] + ([("competing", "--")] if competing else [])
    for a in arms:
        for kind, ls in kinds:
            c = panel.curves[(a, kind)]
            if not len(c):
                continue
            ax.step(
                c["time"].to_numpy(dtype=float),
                plotted(c["cif"]),
                where="post",
                color=styles[a]["color"],
                linestyle=ls,
                lw=1.2,
                zorder=3,
                gid=f"cif:{a}:{kind}",
            )
    ax.set_xlim(0, panel.xmax)
    ax.set_ylim(0, _ymax(panel, competing))
    ax.xaxis.set_major_locator(FixedLocator(panel.ticks))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Cumulative incidence\n(proportion)")
    ax.grid(axis="y", color=style.GRID, lw=0.4)

    ax_head.set_axis_off()
    ax_head.set_xlim(0, 1)
    ax_head.set_ylim(n_head, 0)
    handle = 7.0 / (fw - head_left - 2.0)
    x = 0.0
    for (kind, ls), label in zip(kinds, (event_label, competing_label), strict=False):
        ax_head.add_line(
            Line2D([x, x + handle], [0.5, 0.5], color=style.NEUTRAL, linestyle=ls, lw=1.2)
        )
        ax_head.text(
            x + handle * 1.3, 0.5, label, va="center", ha="left", fontsize=6.5, gid=f"key:{kind}"
        )
        x += handle * 1.6 + 0.012 * len(label)
    for i, (a, line) in enumerate(zip(arms, panel.header, strict=True), start=1):
        ax_head.add_line(
            Line2D([0.0, handle], [i + 0.5, i + 0.5], color=styles[a]["color"], lw=1.2)
        )
        ax_head.text(handle * 1.3, i + 0.5, f"{event_label}, {line}", va="center", ha="left",
                     fontsize=6.5, gid=f"cif_text:{a}")  # fmt: skip
    for j, line in enumerate(panel.comparisons, start=1 + len(arms)):
        ax_head.text(0.0, j + 0.5, line, va="center", ha="left", fontsize=6.5, gid="comparison")

    count_table(ax_risk, arms, panel.ticks, panel.at_risk, styles, risk_title, "at_risk",
                left, fw - left - right, panel.names)  # fmt: skip
    return fig


# the results tables the figure reads (key -> path under results/{study}/; figures.FIGURE_KINDS)
SOURCES = {
    "cumulative_incidence": "internal/cumulative_incidence.csv",
    "competing_comparisons": "internal/competing_comparisons.csv",
    "cif_curves": "competing/cif_curves.parquet",
    "cif_risk_table": "competing/risk_table.csv",
}


def specs(study: Mapping[str, Any]) -> list[FigureSpec]:
    """``cif_<endpoint>`` for every competing-risks endpoint of the (filled) study block."""
    return [FigureSpec(f"cif_{ep}", "cif", ep) for ep in study["competing_endpoints"]]


def draw(spec: FigureSpec, ctx: FigureContext) -> Figure:
    """The cumulative-incidence figure of ``spec.endpoint``; numbers at risk coarsened with k
    (1..k-1 read ``<k``, larger ones rounded down to a multiple of k, said in the table's title)."""
    from her2rwe.analyses.competing import event_labels
    from her2rwe.derive.endpoints import endpoint_definitions
    from her2rwe.outputs.plotting.km import time_axis_label
    from her2rwe.outputs.shareable import mask_risk_rows, risk_rows_note

    tables, study, ep = ctx.tables, ctx.study, spec.endpoint
    fig_cfg = ctx.figure_settings
    ci = tables["cumulative_incidence"]
    arms = [a for a in dict.fromkeys(ci["arm"].astype(str)) if a != "All"]
    d = endpoint_definitions(study).get(ep)
    labels = event_labels(study, ep)
    label = labels["event"]
    panel = select_panel(
        tables["cif_curves"], tables["cif_risk_table"], ci, tables["competing_comparisons"],
        ep, arms if len(arms) > 1 else ["All"], fig_cfg.get("xmax"), ctx.conf_level, ctx.arm_name,
    )  # fmt: skip
    if not panel.arms:
        return style.placeholder(f"No cumulative incidence of {label}.", label)
    panel.at_risk = mask_risk_rows(panel.at_risk, ctx.min_cell_count)
    note = risk_rows_note(ctx.min_cell_count)
    colors = style.arm_colors(panel.arms)
    styles = {a: {"color": colors[a], "linestyle": "-"} for a in panel.arms}
    origin = d.origin if d is not None else "index_date"
    return plot_cif(
        panel, styles, event_label=label, competing_label=labels["competing"],
        xlabel=time_axis_label(origin), competing=bool(fig_cfg["competing_curves"]),
        width=ctx.width, risk_title=f"Number at risk ({note})" if note else "Number at risk",
    )  # fmt: skip
