"""The treatment-sequence figure of a records study: for each line number (1, 2, 3, 4+), a
horizontal bar of the share of patients by the class of that line, from the shareable sequence
table (rows ``to_class = all``). A class whose count is masked is not drawn, and a note says so.
Stacked bars read better in print than a Sankey diagram and keep every share on one axis."""

from __future__ import annotations

import pandas as pd

from her2rwe.outputs.plotting import style
from her2rwe.records.drugs import LINE_CLASS_ORDER

CLASS_COLORS = dict(zip(LINE_CLASS_ORDER, style.PALETTE, strict=False))


def draw_sequences(sequences: pd.DataFrame, title: str = ""):
    totals = sequences[sequences["to_class"] == "all"].copy()
    totals["n"] = pd.to_numeric(totals["n"], errors="coerce")
    masked = bool(totals["n"].isna().any())
    groups = sorted(totals["from_line"].astype(str).unique(), key=lambda g: (len(g), g))
    fig = style.new_figure("double", height_mm=25.0 + 9.0 * max(len(groups), 1))
    ax = fig.add_axes((0.12, 0.28, 0.6, 0.62))
    if not groups:
        ax.set_axis_off()
        ax.text(0.5, 0.5, "No lines of therapy", ha="center", va="center", fontsize=8)
        return fig
    seen = []
    for y, group in enumerate(groups):
        rows = totals[totals["from_line"].astype(str) == group].set_index("from_class")["n"]
        total = rows.sum()
        left = 0.0
        for cls in LINE_CLASS_ORDER:
            n = rows.get(cls)
            if n is None or pd.isna(n) or total == 0:
                continue
            share = 100.0 * n / total
            ax.barh(
                y,
                share,
                left=left,
                color=CLASS_COLORS[cls],
                edgecolor="white",
                linewidth=0.4,
                label=cls if cls not in seen else None,
            )
            if share >= 8:
                ax.text(
                    left + share / 2,
                    y,
                    f"{share:.0f}%",
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="white",
                )
            seen.append(cls)
            left += share
        ax.text(101, y, f"n = {int(total)}", ha="left", va="center", fontsize=6.5)
    ax.set_yticks(range(len(groups)), [f"Line {g}" for g in groups])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("Patients (%)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.1, 1.0), frameon=False, fontsize=6.5)
    if title:
        fig.text(0.02, 0.97, title, ha="left", va="top", fontsize=7, fontweight="bold")
    if masked:
        fig.text(0.02, 0.03, "Classes with a masked (small) count are not drawn.", fontsize=6)
    return fig
