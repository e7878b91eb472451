"""The CONSORT-style flow figure of a records study, drawn from its (shareable) attrition table.

Boxes down the left: patients in the records, then the patients remaining after each selection
step; boxes to the right: the patients excluded at each step with the reason; at the bottom one box
per arm. Counts are read from the shareable table, so a masked count stays masked.
"""

from __future__ import annotations

import textwrap

import pandas as pd

from her2rwe.formatting import LevelLabels
from her2rwe.outputs.plotting import style


def _n(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return "masked"
    try:
        return f"{int(float(value))}"
    except (TypeError, ValueError):
        return str(value)


def flow_steps(attrition: pd.DataFrame) -> tuple[int, list[tuple[str, object]], dict[str, object]]:
    """(patients read, [(reason, n excluded)], {arm: n analysed}) from the Total and arm rows."""
    total = attrition[attrition["arm"] == "Total"]
    read = total.loc[total["step"] == "rows read", "n"].iloc[0]
    excluded = [(r.reason, r.n) for r in total[total["step"] == "excluded"].itertuples()]
    arms = attrition[
        (attrition["step"] == "analysed") & ~attrition["arm"].isin(["Total", "no arm"])
    ]
    return read, excluded, dict(zip(arms["arm"], arms["n"], strict=True))


def draw_flow(attrition: pd.DataFrame, title: str = "", labels: LevelLabels | None = None):
    read, excluded, arms = flow_steps(attrition)
    name_of = (labels or LevelLabels({})).arm
    steps = len(excluded)
    fig = style.new_figure("double", height_mm=30.0 + 16.0 * (steps + 1))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, steps + 2)
    box = {
        "boxstyle": "square,pad=0.4",
        "facecolor": "white",
        "edgecolor": style.NEUTRAL,
        "linewidth": 0.6,
    }
    y = steps + 1.5
    ax.text(
        0.3,
        y,
        f"Patients in the records\nn = {_n(read)}",
        ha="center",
        va="center",
        fontsize=7,
        bbox=box,
    )
    remaining = read
    for reason, n in excluded:
        y -= 1
        try:
            remaining = int(float(remaining)) - int(float(n))
        except (TypeError, ValueError):
            remaining = None
        ax.annotate(
            "",
            xy=(0.3, y + 0.22),
            xytext=(0.3, y + 0.78),
            arrowprops={"arrowstyle": "-|>", "color": style.NEUTRAL, "lw": 0.6},
        )
        ax.text(
            0.52,
            y + 0.5,
            textwrap.fill(f"Excluded: {reason}", 48, break_on_hyphens=False) + f"\nn = {_n(n)}",
            ha="left",
            va="center",
            fontsize=6.5,
            bbox=box,
        )
        ax.plot([0.3, 0.51], [y + 0.5, y + 0.5], color=style.NEUTRAL, lw=0.6)
        ax.text(
            0.3,
            y,
            f"Remaining\nn = {_n(remaining)}",
            ha="center",
            va="center",
            fontsize=7,
            bbox=box,
        )
    if arms:
        y -= 1
        for i, (arm, n) in enumerate(arms.items()):
            x = 0.3 + (i - (len(arms) - 1) / 2) * 0.22
            ax.annotate(
                "",
                xy=(x, y + 0.22),
                xytext=(0.3, y + 0.78),
                arrowprops={"arrowstyle": "-|>", "color": style.NEUTRAL, "lw": 0.6},
            )
            ax.text(x, y, f"{name_of(arm)}\nn = {_n(n)}", ha="center", va="center", fontsize=7, bbox=box)
    if title:
        ax.text(0.02, steps + 1.95, title, ha="left", va="top", fontsize=7, fontweight="bold")
    return fig
