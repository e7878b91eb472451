"""Adverse events by term and arm: grouped horizontal bars split into grade 1-2 and grade >= 3.

Reads ``adverse_events.csv`` (patients with the term at any grade and at grade >= 3, as percent of
the arm's safety population). A patient counted at grade >= 3 is also counted at any grade, so the
grade 1-2 part of a bar is ``any_grade_pct - grade3plus_pct`` (patients whose worst grade of the term
is 1 or 2). The solid part of each bar is grade >= 3, the light part grade 1-2.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from her2rwe.outputs.plotting import style

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure

    from her2rwe.outputs.plotting.spec import FigureContext, FigureSpec


def tint(color: str, amount: float = 0.55) -> str:
    """`color` mixed with white (amount 0 = unchanged, 1 = white)."""
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    mix = [round(v + (255 - v) * amount) for v in (r, g, b)]
    return "#" + "".join(f"{v:02X}" for v in mix)


# a summary row of the safety table (each patient once, at the worst grade over all terms), not a term
SUMMARY_TERMS = frozenset({"Any adverse event"})


def select_terms(ae: pd.DataFrame, max_terms: int = 15) -> list[str]:
    """Terms ordered by their highest any-grade percentage over arms (ties: name), at most `max_terms`.

    The summary row "Any adverse event" is not a term and is left out.
    """
    ae = ae[~ae["term"].astype(str).isin(SUMMARY_TERMS)]
    top = ae.groupby("term")["any_grade_pct"].max().reset_index()
    top = top.sort_values(["any_grade_pct", "term"], ascending=[False, True], kind="stable")
    return [str(t) for t in top["term"].head(max_terms)]


def _arm_label(
    ae: pd.DataFrame, arm: str, min_cell_count: int, shown: Any = None, name: str | None = None
) -> str:
    """``<arm> (n = N)``, the arm by its display ``name`` when given; N reads ``<k`` when it is
    1..k-1, and as the shareable table has it (``shown``) when that hides it."""
    from her2rwe.outputs.shareable import shown_count

    name = arm if name is None else name
    n = ae.loc[ae["arm"] == arm, "n"]
    if len(n) and n.notna().iloc[0]:
        return f"{name} (n = {shown_count(int(n.iloc[0]), min_cell_count, shown)})"
    return name


def plot_toxicity(
    ae: pd.DataFrame,
    arms: Sequence[str],
    colors: Mapping[str, str],
    *,
    max_terms: int = 15,
    width: str = "double",
    min_cell_count: int = 0,
    shown_n: Mapping[str, Any] | None = None,
    names: Mapping[str, str] | None = None,
) -> Figure:
    """Grouped bars per term (most frequent on top), one bar per arm, grade >=3 solid, 1-2 light.

    With ``min_cell_count`` k > 1, an arm's n of 1..k-1 reads ``<k`` in the legend, and an n that
    the shareable adverse-event table hides (``shown_n``: arm -> its cell there) reads as there."""
    from matplotlib.patches import Patch

    terms = select_terms(ae, max_terms)
    n_arms = len(arms)
    band = 0.8 / n_arms
    fw = style.WIDTH_MM[width]
    row_mm = max(4.2, 2.6 * n_arms + 1.4)
    labels = [
        _arm_label(ae, arm, min_cell_count, (shown_n or {}).get(arm), (names or {}).get(arm))
        for arm in arms
    ]
    # legend entries "<arm> (n = N), grade 1-2" at 6 pt: about 1.3 mm a character, plus the patch
    entry_mm = max(len(f"{label}, grade 1-2") for label in labels) * 1.3 + 7.0
    side = width == "double"  # legend right of the bars; at single width above them
    legend_mm = max(36.0, entry_mm + 2.0) if side else 0.0
    ncol = 2 if 2 * entry_mm <= fw - 4.0 else 1
    top_mm = 3.0 if side else 3.0 + 3.4 * (2 * n_arms // ncol)
    height = top_mm + 12.0 + len(terms) * row_mm
    fig = style.new_figure(width, height)
    label_mm = max(len(t) for t in terms) * 1.2 + 4.0
    ax = fig.add_axes(
        (
            label_mm / fw,
            12.0 / height,
            (fw - label_mm - legend_mm - 4.0) / fw,
            len(terms) * row_mm / height,
        )
    )
    for j, arm in enumerate(arms):
        rows = ae[ae["arm"] == arm].set_index("term")
        for i, term in enumerate(terms):
            y = i - 0.4 + band * (j + 0.5)
            if term not in rows.index:
                continue
            anyg = float(rows.at[term, "any_grade_pct"])
            g3 = float(rows.at[term, "grade3plus_pct"]) if "grade3plus_pct" in rows else 0.0
            g3 = 0.0 if g3 != g3 else g3  # NaN: none
            ax.barh(y, g3, height=band * 0.92, color=colors[arm], lw=0, gid=f"g3:{arm}:{term}")
            ax.barh(
                y,
                anyg - g3,
                left=g3,
                height=band * 0.92,
                color=tint(colors[arm]),
                lw=0,
                gid=f"g12:{arm}:{term}",
            )
    ax.set_yticks(range(len(terms)))
    ax.set_yticklabels(terms)
    ax.set_ylim(len(terms) - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
    shown = ae[ae["term"].astype(str).isin(terms)]
    xmax = float(shown["any_grade_pct"].max()) if len(shown) else 1.0
    ax.set_xlim(0, min(100.0, xmax * 1.1 + 1))
    ax.set_xlabel("Patients with the adverse event (%)")
    ax.grid(axis="x", color=style.GRID, lw=0.4)
    ax.set_axisbelow(True)
    handles = []
    for arm, label in zip(arms, labels, strict=True):
        handles += [
            Patch(facecolor=colors[arm], label=f"{label}, grade \u22653"),
            Patch(facecolor=tint(colors[arm]), label=f"{label}, grade 1-2"),
        ]
    if side:
        ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            frameon=False,
            fontsize=6.0,
            title="CTCAE grade",
            title_fontsize=6.5,
            alignment="left",
        )
    else:
        fig.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(0.01, 1.0),
            ncol=ncol,
            frameon=False,
            fontsize=6.0,
            handlelength=1.2,
            columnspacing=1.0,
        )
    return fig


def draw(spec: FigureSpec, ctx: FigureContext) -> Figure:
    """Figure kind ``toxicity``: adverse events by grade and arm."""
    ae = ctx.tables["adverse_events"]
    arms = [a for a in ctx.arms if a in set(ae["arm"].astype(str))]
    ae = ae[ae["arm"].astype(str).isin(arms)]  # drops an "Overall" row if present
    if not len(ae) or not (ae["any_grade_n"].fillna(0) > 0).any():
        return style.placeholder("No adverse events recorded.", "Adverse events by grade")
    from her2rwe.outputs.shareable import shown_counts

    return plot_toxicity(
        ae, arms, ctx.colors, width=ctx.width, min_cell_count=ctx.min_cell_count,
        shown_n=shown_counts(ctx.tables.get("adverse_events_shown"), "n"),
        names={a: ctx.arm_name(a) for a in arms},
    )  # fmt: skip
