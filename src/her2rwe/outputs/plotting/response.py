"""Best overall response per arm: a stacked bar (CR/PR/SD/PD/NE) with ORR and CBR marked.

Reads ``best_response.csv`` (percentages per arm and category) and ``response.csv`` (ORR and CBR
with their CIs). The ORR and CBR marks are drawn at the rates in ``response.csv``; the segments are
the category percentages of ``best_response.csv``; nothing is recomputed.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from her2rwe.formatting import RESPONSE_LABELS as LABELS
from her2rwe.formatting import fmt_ci, fmt_num, is_missing
from her2rwe.outputs.plotting import style

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure

    from her2rwe.outputs.plotting.spec import FigureContext, FigureSpec

CATEGORIES = tuple(LABELS)


def rate_text(name: str, pct: float, lower: float, upper: float, conf_level: float = 0.95) -> str:
    """``ORR 52.5% (95% CI 36.1-68.5)``."""
    return f"{name} {fmt_num(pct)}% ({conf_level * 100:g}% CI {fmt_ci(lower, upper)})"


def plot_response(
    best: pd.DataFrame,
    rates: pd.DataFrame,
    arms: Sequence[str],
    colors: Mapping[str, str],
    *,
    cbr_weeks: float = 24,
    conf_level: float = 0.95,
    width: str = "double",
    min_cell_count: int = 0,
    shown_n: Mapping[str, Any] | None = None,
    names: Mapping[str, str] | None = None,
) -> Figure:
    """Stacked bars of best overall response per arm (percent of the arm), ORR and CBR marked;
    the arms by ``names`` (arm -> display name) where given.

    With ``min_cell_count`` k > 1, an arm's n of 1..k-1 reads ``<k``, an n that the shareable
    response table hides (``shown_n``: arm -> its cell there) reads as there, and a category whose
    count is 1..k-1 gets no percentage label."""
    from matplotlib.patches import Patch

    from her2rwe.outputs.shareable import is_small, shown_count

    cats = [
        c
        for c in CATEGORIES
        if c in set(best["response"]) and best.loc[best["response"] == c, "n"].sum() > 0
    ]
    n_arms = len(arms)
    fw = style.WIDTH_MM[width]
    legend_rows = 1 if width == "double" else 2
    top_mm = 4.0 + 3.6 * legend_rows
    # a long name wraps: the first bar's label must not reach the y-axis labels (the bar's centre
    # is 0.8 bar widths, about 10 mm, from the axis); the space below grows with its lines
    shown = {a: textwrap.fill((names or {}).get(a, a), 14, break_long_words=False) for a in arms}
    extra = max((shown[a].count("\n") for a in arms), default=0)
    plot_h, bottom_mm = 52.0, 16.0 + 2.8 * extra
    height = top_mm + plot_h + bottom_mm
    fig = style.new_figure(width, height)
    bar_mm = 12.0
    left_mm = 14.0
    slot_mm = min(70.0, (fw - left_mm - 3.0) / n_arms)  # a bar and its ORR / CBR labels
    plot_mm = n_arms * slot_mm
    two_lines = slot_mm - bar_mm < 44.0
    ax = fig.add_axes((left_mm / fw, bottom_mm / height, plot_mm / fw, plot_h / height))
    slot = min(slot_mm, plot_mm / n_arms) / bar_mm
    xs = [i * slot for i in range(n_arms)]
    for x, arm in zip(xs, arms, strict=True):
        rows = best[best["arm"] == arm].set_index("response")
        bottom = 0.0
        for c in cats:
            pct = (
                float(rows.at[c, "pct"])
                if c in rows.index and not is_missing(rows.at[c, "pct"])
                else 0.0
            )
            ax.bar(
                x,
                pct,
                width=1.0,
                bottom=bottom,
                color=style.RESPONSE_COLORS[c],
                edgecolor="white",
                lw=0.5,
                gid=f"bar:{arm}:{c}",
            )
            small = c in rows.index and is_small(rows.at[c, "n"], min_cell_count)
            if pct >= 6 and not small:
                dark = c in ("CR", "PR")
                ax.text(
                    x,
                    bottom + pct / 2,
                    f"{c} {fmt_num(pct)}%",
                    ha="center",
                    va="center",
                    fontsize=5.5,
                    color="white" if dark else "black",
                )
            bottom += pct
        r = rates[rates["arm"] == arm]
        if not len(r):
            continue
        r = r.iloc[0]
        marks = [("ORR", r["orr_pct"], r["orr_lower"], r["orr_upper"], r.get("orr_n"))]
        if "cbr_pct" in r and not is_missing(r["cbr_pct"]):
            marks.append(("CBR", r["cbr_pct"], r["cbr_lower"], r["cbr_upper"], r.get("cbr_n")))
        placed: list[float] = []
        for name, pct, lo, hi, count in marks:
            if is_missing(pct) or is_small(count, min_cell_count):
                continue  # not estimable, or a count below min_cell_count: no mark, no label
            y = float(pct)
            ax.plot(
                [x + 0.5, x + 0.68],
                [y, y],
                color=colors[arm],
                lw=1.4,
                zorder=4,
                gid=f"{name}:{arm}",
                solid_capstyle="butt",
            )
            gap = 12 if two_lines else 7
            ty = y
            for other in placed:  # keep the two labels apart when the rates are close
                if abs(ty - other) < gap:
                    ty = other - gap if ty <= other else other + gap
            placed.append(ty)
            text = rate_text(name, pct, lo, hi, conf_level)
            if two_lines:
                text = text.replace(" (", "\n(", 1)
            ax.annotate(
                text,
                xy=(x + 0.68, y),
                xytext=(x + 0.8, ty),
                ha="left",
                va="center",
                fontsize=5.8,
                color=colors[arm],
                arrowprops={"arrowstyle": "-", "color": colors[arm], "lw": 0.5},
            )
    ax.set_xlim(-0.8, xs[-1] + slot - 0.7)
    ax.set_ylim(0, 100)
    ax.set_ylabel("Patients (%)")
    ax.set_xticks(xs)
    n_by_arm = {a: rates.loc[rates["arm"] == a, "n"] for a in arms}
    ax.set_xticklabels(
        [
            f"{shown[a]}\n(n = {shown_count(int(n_by_arm[a].iloc[0]), min_cell_count, (shown_n or {}).get(a))})"
            if len(n_by_arm[a])
            else shown[a]
            for a in arms
        ]
    )
    for lab, arm in zip(ax.get_xticklabels(), arms, strict=True):
        lab.set_color(colors[arm])
    ax.tick_params(axis="x", length=0)
    handles = [Patch(facecolor=style.RESPONSE_COLORS[c], label=LABELS[c]) for c in cats]
    ncol = len(cats) if legend_rows == 1 else (len(cats) + 1) // 2
    fig.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(left_mm / fw - 0.01, 1.0),
        ncol=ncol,
        frameon=False,
        fontsize=6.0,
        handlelength=1.2,
        columnspacing=1.0,
    )
    note = f"ORR = CR + PR; CBR = CR + PR + SD \u2265 {cbr_weeks:g} weeks"
    fig.text(
        2.0 / fw, 1.5 / height, note, ha="left", va="bottom", fontsize=5.5, color=style.NEUTRAL
    )
    return fig


def draw(spec: FigureSpec, ctx: FigureContext) -> Figure:
    """Figure kind ``response``: best overall response per arm, ORR and CBR marked."""
    best = ctx.tables["best_response"]
    recorded = best[best["response"].astype(str) != "missing"]
    if not len(recorded) or float(recorded["n"].fillna(0).sum()) == 0:
        return style.placeholder("No best overall response recorded.", "Best overall response")
    present = set(best["arm"].astype(str))
    arms = [a for a in ctx.arms if a in present] or list(dict.fromkeys(best["arm"].astype(str)))
    from her2rwe.outputs.shareable import shown_counts

    return plot_response(
        best,
        ctx.tables["response"],
        arms,
        ctx.colors if ctx.arms else style.arm_colors(arms),
        cbr_weeks=ctx.study["response"]["cbr_min_weeks"],
        conf_level=ctx.conf_level,
        width=ctx.width,
        min_cell_count=ctx.min_cell_count,
        shown_n=shown_counts(ctx.tables.get("response_shown"), "n"),
        names={a: ctx.arm_name(a) for a in arms},
    )
