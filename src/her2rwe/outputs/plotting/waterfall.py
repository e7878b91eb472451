"""Waterfall plot: each patient's best percentage change in the sum of target-lesion diameters.

Reads the patient-level response table (results/{study}/internal/tumour_response.parquet, no
patient IDs): one bar per patient with a measured change, sorted from the largest increase to the
largest decrease, one panel per arm, coloured by best overall response, with the RECIST 1.1 lines
at -30% (partial response) and +20% (progressive disease).

Small cells: with ``min_cell_count`` k > 1, an arm with 1..k-1 patients drawn is left out (its
panel says so) and every printed count reads ``<k``; no patient is labelled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from her2rwe.formatting import RESPONSE_LABELS as LABELS
from her2rwe.outputs.plotting import style

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure

    from her2rwe.outputs.plotting.spec import FigureContext, FigureSpec

PR_LINE = -30.0
PD_LINE = 20.0
ORDER = ("CR", "PR", "SD", "PD", "NE")


def plot_waterfall(
    patients: pd.DataFrame,
    arms: Sequence[str],
    arm_colors: Mapping[str, str],
    *,
    width: str = "double",
    min_cell_count: int = 0,
    names: Mapping[str, str] | None = None,
) -> Figure:
    """One panel per arm of best % change bars, coloured by best response (arm names in their
    colours)."""
    import numpy as np
    from matplotlib.patches import Patch

    from her2rwe.outputs.shareable import is_small, mask_count

    k = int(min_cell_count or 0)
    data = patients[patients["best_pct_change"].notna()]
    n_arms = max(len(arms), 1)
    fw = style.WIDTH_MM[width]
    height = 78.0
    fig = style.new_figure(width, height)
    left_mm, right_mm, bottom_mm, top_mm = 22.0, 9.0, 14.0, 12.0
    gap_mm = 6.0
    panel_mm = (fw - left_mm - right_mm - gap_mm * (n_arms - 1)) / n_arms
    ymin, ymax = -100.0, 100.0
    shown_codes: list[str] = []
    for i, arm in enumerate(arms):
        x0 = left_mm + i * (panel_mm + gap_mm)
        ax = fig.add_axes(
            (x0 / fw, bottom_mm / height, panel_mm / fw, (height - top_mm - bottom_mm) / height)
        )
        rows = data[data["arm"].astype(str) == arm].sort_values(
            ["best_pct_change", "best_response"], ascending=[False, True], kind="mergesort"
        )
        n_all = int((patients["arm"].astype(str) == arm).sum())
        n = len(rows)
        ax.set_title(
            f"{(names or {}).get(arm, arm)} (n = {mask_count(n, k)} of {mask_count(n_all, k)})",
            fontsize=7,
            color=arm_colors.get(arm, style.NEUTRAL),
        )
        ax.axhline(0.0, color=style.NEUTRAL, lw=0.5)
        for level, text in ((PD_LINE, "+20%"), (PR_LINE, "\u221230%")):
            ax.axhline(level, color=style.NEUTRAL, lw=0.6, ls="--")
            ax.text(1.0, level, f" {text}", transform=ax.get_yaxis_transform(), fontsize=5.5,
                    va="center", ha="left", color=style.NEUTRAL, clip_on=False)  # fmt: skip
        ax.set_xticks([])
        ax.set_ylim(ymin, ymax)
        if i == 0:
            ax.set_ylabel("Best change from baseline in\nsum of diameters (%)", fontsize=7)
        else:
            ax.set_yticklabels([])
        if n == 0 or is_small(n, k):
            why = "no patient with a measured change" if n == 0 else "too few patients to show"
            ax.text(0.5, 0.5, why, transform=ax.transAxes, ha="center", va="center",
                    fontsize=6, color=style.NEUTRAL)  # fmt: skip
            ax.set_xlim(0, 1)
            continue
        values = np.clip(rows["best_pct_change"].to_numpy(float), ymin, ymax)
        codes = rows["best_response"].astype(str).to_numpy()
        colors = [style.RESPONSE_COLORS.get(c, style.NEUTRAL) for c in codes]
        ax.bar(np.arange(n), values, width=0.8, color=colors, edgecolor="none")
        ax.set_xlim(-0.6, n - 0.4)
        shown_codes += list(codes)
    present = [c for c in ORDER if c in set(shown_codes)]
    handles = [Patch(facecolor=style.RESPONSE_COLORS[c], label=LABELS[c]) for c in present]
    if handles:
        fig.legend(handles=handles, loc="upper center", ncol=len(handles), fontsize=6,
                   frameon=False, bbox_to_anchor=(0.5, 1.0))  # fmt: skip
    fig.text(
        left_mm / fw,
        2.0 / height,
        "One bar per patient with a baseline and a later sum of diameters; dashed lines: "
        "RECIST 1.1 partial response (\u221230%) and progression (+20%).",
        fontsize=5.5,
        color=style.NEUTRAL,
    )
    return fig


def draw(spec: FigureSpec, ctx: FigureContext) -> Figure:
    """Figure kind ``waterfall`` (registered in figures.FIGURE_KINDS)."""
    return plot_waterfall(
        ctx.tables["tumour_response"],
        ctx.arms,
        ctx.colors,
        width=ctx.width,
        min_cell_count=ctx.min_cell_count,
        names={a: ctx.arm_name(a) for a in ctx.arms},
    )
