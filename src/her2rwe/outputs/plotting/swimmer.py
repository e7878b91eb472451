"""Swimmer plot: time on the index line per patient, with response onset, progression and death.

Reads the patient-level response table (results/{study}/internal/tumour_response.parquet, no
patient IDs). One horizontal bar per patient, coloured by arm, from the index date to the end of
the index line (``line_months``); markers at the first CR/PR (``ttr_months``), the first assessed
progression and death; an arrow at the end of a line still ongoing. At most ``max_patients`` bars
are drawn: the longest times on the line, shared between the arms in proportion to their size, and
the figure says how many were left out.

Small cells: with ``min_cell_count`` k > 1, an arm with 1..k-1 patients drawn is left out and every
printed count reads ``<k``; no patient is labelled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from her2rwe.outputs.plotting import style

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure

    from her2rwe.outputs.plotting.spec import FigureContext, FigureSpec

MARKERS = {
    "response": {"marker": "^", "color": "#004B7A", "label": "Response (first CR/PR)"},
    "progression": {"marker": "D", "color": "#E69F00", "label": "Progression (assessed)"},
    "death": {"marker": "x", "color": "black", "label": "Death"},
}


def select_patients(patients: pd.DataFrame, arms: Sequence[str], max_patients: int) -> pd.DataFrame:
    """The patients drawn: per arm, the longest times on the line, the cap shared by arm size
    (largest remainders), in arm order and then from the longest time down."""
    import numpy as np
    import pandas as pd

    data = patients[patients["line_months"].notna()]
    sizes = np.array([(data["arm"].astype(str) == a).sum() for a in arms], dtype=float)
    total = sizes.sum()
    if total <= max_patients:
        quota = sizes.astype(int)
    else:
        exact = sizes * max_patients / total
        quota = np.floor(exact).astype(int)
        for j in np.argsort(-(exact - quota), kind="stable")[: max_patients - quota.sum()]:
            quota[j] += 1
    parts = []
    for arm, q in zip(arms, quota, strict=True):
        rows = data[data["arm"].astype(str) == arm]
        parts.append(rows.sort_values("line_months", ascending=False, kind="mergesort").head(q))
    return pd.concat(parts) if parts else data.head(0)


def plot_swimmer(
    patients: pd.DataFrame,
    arms: Sequence[str],
    arm_colors: Mapping[str, str],
    *,
    max_patients: int = 40,
    width: str = "double",
    min_cell_count: int = 0,
    names: Mapping[str, str] | None = None,
) -> Figure:
    """Bars of time on the index line (months) with response, progression, death and ongoing."""
    import numpy as np
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from her2rwe.outputs.shareable import is_small, mask_count

    k = int(min_cell_count or 0)
    chosen = select_patients(patients, arms, max_patients)
    shown_arms, dropped = [], []
    for arm in arms:
        n = int((chosen["arm"].astype(str) == arm).sum())
        if n and not is_small(n, k):
            shown_arms.append(arm)
        elif n:
            dropped.append(arm)
    chosen = chosen[chosen["arm"].astype(str).isin(shown_arms)]
    n = len(chosen)
    fw = style.WIDTH_MM[width]
    row_mm = 2.2
    top_mm, bottom_mm, left_mm = 10.0, 16.0, 8.0
    plot_h = max(row_mm * max(n, 1), 20.0)
    height = top_mm + plot_h + bottom_mm
    fig = style.new_figure(width, height)
    ax = fig.add_axes(
        (left_mm / fw, bottom_mm / height, (fw - left_mm - 4.0) / fw, plot_h / height)
    )
    y = np.arange(n)[::-1]
    arm_of = chosen["arm"].astype(str).to_numpy()
    line = chosen["line_months"].to_numpy(float)
    ax.barh(y, line, height=0.7, color=[arm_colors.get(a, style.NEUTRAL) for a in arm_of],
            edgecolor="none", alpha=0.85)  # fmt: skip
    for key, column in (("response", "ttr_months"), ("progression", "progression_months"),
                        ("death", "death_months")):  # fmt: skip
        t = chosen[column].to_numpy(float)
        ok = ~np.isnan(t)
        spec = MARKERS[key]
        ax.scatter(t[ok], y[ok], marker=spec["marker"], s=9, color=spec["color"], zorder=3,
                   linewidths=0.8)  # fmt: skip
    ongoing = chosen["line_ongoing"].astype(bool).to_numpy()
    xmax = float(np.nanmax(line)) if n else 1.0
    for yy, x in zip(y[ongoing], line[ongoing], strict=True):
        ax.annotate("", xy=(x + 0.04 * xmax, yy), xytext=(x, yy),
                    arrowprops={"arrowstyle": "->", "lw": 0.6, "color": style.NEUTRAL})  # fmt: skip
    ax.set_yticks([])
    ax.set_ylim(-1, max(n, 1))
    ax.set_xlim(0, xmax * 1.08 if n else 1.0)
    ax.spines["left"].set_visible(False)
    ax.set_xlabel("Months from the index date", fontsize=7)
    if n == 0:
        ax.text(0.5, 0.5, "no patient to show", transform=ax.transAxes, ha="center",
                va="center", fontsize=6, color=style.NEUTRAL)  # fmt: skip
    total = int(patients["line_months"].notna().sum())
    handles = [
        Patch(facecolor=arm_colors.get(a, style.NEUTRAL), label=(names or {}).get(a, a))
        for a in shown_arms
    ]
    handles += [
        Line2D([], [], linestyle="none", marker=s["marker"], color=s["color"], label=s["label"],
               markersize=3.5)
        for s in MARKERS.values()
    ]  # fmt: skip
    handles.append(Line2D([], [], color=style.NEUTRAL, marker=">", lw=0.6, markersize=3,
                          label="Ongoing"))  # fmt: skip
    fig.legend(handles=handles, loc="upper center", ncol=len(handles), fontsize=5.5,
               frameon=False, bbox_to_anchor=(0.5, 1.0))  # fmt: skip
    note = (
        f"{mask_count(n, k)} of {mask_count(total, k)} patients shown (the longest times on the "
        "index line, shared between the arms by size); bars end at discontinuation, the next "
        "line, death or last contact."
    )
    if dropped:
        note += f" Arms with fewer than {k} patients drawn are not shown."
    fig.text(left_mm / fw, 2.0 / height, note, fontsize=5.5, color=style.NEUTRAL)
    return fig


def draw(spec: FigureSpec, ctx: FigureContext) -> Figure:
    """Figure kind ``swimmer`` (registered in figures.FIGURE_KINDS); the cap is
    ``figures.swimmer_max_patients``."""
    return plot_swimmer(
        ctx.tables["tumour_response"],
        ctx.arms,
        ctx.colors,
        max_patients=int(ctx.figure_settings["swimmer_max_patients"]),
        width=ctx.width,
        min_cell_count=ctx.min_cell_count,
        names={a: ctx.arm_name(a) for a in ctx.arms},
    )
