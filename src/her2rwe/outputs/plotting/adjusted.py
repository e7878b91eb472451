"""Figures of the adjusted comparison: love plot, propensity-score overlap, weighted Kaplan-Meier.

Drawn from the adjusted stage's results (docs/outputs.md), nothing re-estimated:

- ``adjusted_love``: |SMD| of every covariate level before (open circles) and after (filled) the
  weighting (and the matching, when run), with the flag threshold as a dashed line;
- ``adjusted_ps_overlap``: mirrored histograms of the propensity score, the comparison arm above
  the axis and the reference arm below, as the percentage of each arm's patients per bin; with
  ``min_cell_count`` k > 1 a bin holding 1 to k-1 patients of an arm is not drawn (said under the
  figure);
- ``adjusted_km_<endpoint>``: the weighted Kaplan-Meier curves with the weighted medians and the
  weighted HR (robust CI); the number-at-risk table shows the unweighted numbers of patients, and
  its title says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from her2rwe.config import study_settings
from her2rwe.formatting import LevelLabels, fmt_num
from her2rwe.outputs.plotting import km, style
from her2rwe.outputs.plotting.spec import FigureContext, FigureSpec

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure

BINS = 20
RISK_TITLE = "Number at risk (unweighted)"
# what the adjusted kinds read (key -> path under results/{study}/; FigureKind.sources)
SOURCES = {
    "balance": "internal/balance.csv",
    "adjusted_comparisons": "internal/adjusted_comparisons.csv",
    "adjusted_survival": "internal/adjusted_survival.csv",
    "adjusted_km_curves": "adjusted/km_curves.parquet",
    "adjusted_risk_table": "adjusted/risk_table.csv",
    "propensity_scores": "adjusted/propensity_scores.parquet",
}


def _adjusted(study: Mapping[str, Any]) -> bool:
    return bool(study_settings(study).get("adjustment"))


def love_specs(study: Mapping[str, Any]) -> list[FigureSpec]:
    """The love plot of a study with an adjustment block."""
    return [FigureSpec("adjusted_love", "adjusted_love")] if _adjusted(study) else []


def overlap_specs(study: Mapping[str, Any]) -> list[FigureSpec]:
    """The propensity-score overlap figure of a study with an adjustment block."""
    return [FigureSpec("adjusted_ps_overlap", "adjusted_ps_overlap")] if _adjusted(study) else []


def km_specs(study: Mapping[str, Any]) -> list[FigureSpec]:
    """One weighted Kaplan-Meier figure per endpoint of a study with an adjustment block."""
    if not _adjusted(study):
        return []
    endpoints = study_settings(study)["endpoints"]
    return [FigureSpec(f"adjusted_km_{ep}", "adjusted_km", ep, "arm") for ep in endpoints]


def _label(var: str, level: Any, labels: LevelLabels | None = None) -> str:
    if str(level) in ("", "nan"):
        return var
    return f"{var}: {labels.label(var, level) if labels is not None else level}"


# Plotted |SMD| values are rounded to this many decimals: 1e-4 is far below what the figure can show,
# and far above the last-bit differences that another BLAS kernel gives the weights, so the drawing
# (and the PDF's bytes) do not depend on the machine's kernel.
PLOT_DECIMALS = 4


def _plotted(values: pd.Series) -> pd.Series:
    return values.abs().round(PLOT_DECIMALS)


def plot_love(
    balance: pd.DataFrame,
    threshold: float,
    width: str = "single",
    labels: LevelLabels | None = None,
) -> Figure:
    """|SMD| per covariate level, before and after, one panel per comparison (values plotted at
    PLOT_DECIMALS decimals); arms and levels by their display names (``labels``)."""
    names = labels or LevelLabels({})
    from matplotlib.lines import Line2D

    pairs = zip(balance["arm"].astype(str), balance["reference"].astype(str), strict=True)
    comps = list(dict.fromkeys(pairs))
    first = balance[balance["method"] == balance["method"].iloc[0]]
    n_rows = max(len(first[(first["arm"] == a) & (first["reference"] == r)]) for a, r in comps)
    panel_mm = 8.0 + 3.6 * n_rows
    height = 14.0 + panel_mm * len(comps)
    fig = style.new_figure(width, height)
    markers = {"weighting": ("o", style.PALETTE[0]), "matching": ("s", style.PALETTE[1])}
    for i, (arm, ref) in enumerate(comps):
        rows = balance[
            (balance["arm"].astype(str) == arm) & (balance["reference"].astype(str) == ref)
        ]
        bottom = 1 - (10.0 + panel_mm * (i + 1)) / height
        ax = fig.add_axes((0.42, bottom + 6.0 / height, 0.53, (panel_mm - 8.0) / height))
        methods = list(dict.fromkeys(rows["method"]))
        base = rows[rows["method"] == methods[0]]
        ticks = [_label(v, lev, names) for v, lev in zip(base["variable"], base["level"], strict=True)]
        y = list(range(len(ticks)))[::-1]
        ax.scatter(_plotted(base["smd_before"]), y, marker="o", facecolors="none",
                   edgecolors=style.NEUTRAL, s=14, lw=0.8, zorder=3)  # fmt: skip
        for m in methods:
            mk, color = markers.get(m, ("D", style.PALETTE[2]))
            r = rows[rows["method"] == m]
            ax.scatter(_plotted(r["smd_after"]), y, marker=mk, color=color, s=12, zorder=4)
        ax.axvline(threshold, ls="--", lw=0.6, color=style.NEUTRAL)
        ax.axvline(0, lw=0.6, color=style.GRID)
        ax.set_yticks(y)
        ax.set_yticklabels(ticks)
        ax.set_ylim(-0.7, len(ticks) - 0.3)
        top = max(float(_plotted(rows[["smd_before", "smd_after"]]).max().max()), threshold) * 1.15
        ax.set_xlim(0, top)
        ax.set_xlabel("Absolute standardized mean difference")
        if len(comps) > 1:
            ax.set_title(f"{names.arm(arm)} vs {names.arm(ref)}", fontsize=7, loc="left")
        ax.grid(axis="x", color=style.GRID, lw=0.4)
    handles = [Line2D([], [], marker="o", ls="none", markerfacecolor="none",
                      markeredgecolor=style.NEUTRAL, label="before")]  # fmt: skip
    for m in dict.fromkeys(balance["method"]):
        mk, color = markers.get(m, ("D", style.PALETTE[2]))
        handles.append(Line2D([], [], marker=mk, ls="none", color=color, label=f"after {m}"))
    fig.legend(handles=handles, loc="upper center", ncol=len(handles), frameon=False,
               bbox_to_anchor=(0.5, 1 - 1.0 / height))  # fmt: skip
    return fig


def plot_overlap(
    scores: pd.DataFrame,
    arms: list[str],
    min_cell_count: int = 0,
    width: str = "single",
    labels: LevelLabels | None = None,
) -> Figure:
    """Mirrored histograms of the propensity score by arm (share of each arm's patients per bin);
    arms by their display names (``labels``)."""
    shown = (labels or LevelLabels({})).arm
    import numpy as np

    comps = list(dict.fromkeys(scores["comparison"].astype(str)))
    panel_mm = 45.0
    height = 8.0 + panel_mm * len(comps) + 6.0
    fig = style.new_figure(width, height)
    colors = style.arm_colors(arms)
    edges = np.linspace(0.0, 1.0, BINS + 1)
    hidden = False
    k = int(min_cell_count or 0)
    for i, comp in enumerate(comps):
        rows = scores[scores["comparison"].astype(str) == comp]
        arm, _, ref = comp.partition(" vs ")
        bottom = 1 - (6.0 + panel_mm * (i + 1)) / height
        ax = fig.add_axes((0.16, bottom + 10.0 / height, 0.78, (panel_mm - 12.0) / height))
        top = 0.0
        for name, sign in ((arm, 1.0), (ref, -1.0)):
            ps = rows.loc[rows["arm"].astype(str) == name, "ps"].to_numpy(float)
            counts, _ = np.histogram(ps, edges)
            if k > 1:
                small = (counts >= 1) & (counts < k)
                hidden |= bool(small.any())
                counts = np.where(small, 0, counts)
            share = 100.0 * counts / max(len(ps), 1)
            top = max(top, float(share.max()) if len(share) else 0.0)
            ax.bar(edges[:-1], sign * share, width=np.diff(edges), align="edge",
                   color=colors.get(name, style.NEUTRAL), alpha=0.85, lw=0.3,
                   edgecolor="white", label=f"{shown(name)} (n = {len(ps)})")  # fmt: skip
        top = top * 1.1 or 1.0
        ax.set_ylim(-top, top)
        ax.axhline(0, color=style.NEUTRAL, lw=0.6)
        ticks = ax.get_yticks()
        ax.set_yticks(ticks)
        ax.set_yticklabels([fmt_num(abs(t), 0) for t in ticks])
        ax.set_ylim(-top, top)
        ax.set_xlim(0, 1)
        ax.set_xlabel(f"Propensity score (probability of {shown(arm)})")
        ax.set_ylabel("Patients of the arm (%)")
        ax.legend(loc="upper right", frameon=False)
        ax.text(0.01, 0.97, f"{shown(arm)} above, {shown(ref)} below", transform=ax.transAxes, ha="left",
                va="top", fontsize=6.5)  # fmt: skip
    if hidden:
        fig.text(0.02, 0.01, f"Bins with 1 to {k - 1} patients of an arm are not drawn.",
                 fontsize=6, color=style.NEUTRAL)  # fmt: skip
    return fig


def weighted_km_lines(
    comparisons: pd.DataFrame, endpoint: str, conf_level: float, name: Callable[[Any], str] = str
) -> list[str]:
    """``ADC vs HP+C (ATE weights): HR ... (robust 95% CI ...); p = ...`` per comparison."""
    rows = comparisons[(comparisons["endpoint"] == endpoint)
                       & (comparisons["method"] == "weighting")]  # fmt: skip
    lines = []
    for _, r in rows.iterrows():
        text = km.hr_text(r["hr"], r["hr_lower"], r["hr_upper"], r["hr_p"], "robust p", conf_level)
        lines.append(f"{name(r['arm'])} vs {name(r['reference'])}, {r['estimand']} weights: {text}")
    return lines


def draw_love(spec: FigureSpec, ctx: FigureContext) -> Figure:
    """The love plot, one column wide (as before these kinds joined the registry)."""
    threshold = float(ctx.study["adjustment"]["smd_threshold"])
    return plot_love(ctx.tables["balance"], threshold, labels=LevelLabels.of(ctx.study))


def draw_overlap(spec: FigureSpec, ctx: FigureContext) -> Figure:
    """The overlap histograms, one column wide."""
    return plot_overlap(
        ctx.tables["propensity_scores"], ctx.arms, ctx.min_cell_count,
        labels=LevelLabels.of(ctx.study),
    )  # fmt: skip


def draw_km(spec: FigureSpec, ctx: FigureContext) -> Figure:
    """The weighted curves of one endpoint; the numbers at risk are unweighted (RISK_TITLE) and the
    cumulative events are not shown (they would read as weighted)."""
    fig_cfg = {**ctx.figure_settings, "cumulative_events": False}
    estimand = ctx.study["adjustment"]["estimand"]
    label, origin = ctx.endpoint_text(spec.endpoint)
    surv = _median_rows(ctx.tables["adjusted_survival"], spec.endpoint)
    lines = weighted_km_lines(
        ctx.tables["adjusted_comparisons"], spec.endpoint, ctx.conf_level, ctx.arm_name
    )
    panel = km.select_panel(
        ctx.tables["adjusted_km_curves"], ctx.tables["adjusted_risk_table"], surv, spec.endpoint,
        "arm", lines, fig_cfg.get("xmax"), f"{label}, weighted ({estimand})",
        fig_cfg.get("risk_table_interval"),
    )  # fmt: skip
    if not panel.groups:
        return style.placeholder(f"No weighted estimates of {label}.", label)
    panel.names = {g: ctx.arm_name(g) for g in panel.groups}
    return km.draw_panel(
        panel, style.group_styles(panel.groups, ctx.arms), fig_cfg, ylabel=label, origin=origin,
        conf_level=ctx.conf_level, min_cell_count=ctx.min_cell_count, risk_title=RISK_TITLE,
    )  # fmt: skip


def _median_rows(adjusted_survival: pd.DataFrame, endpoint: str) -> pd.DataFrame:
    """One row per arm (weighting): the layout of survival.csv that select_panel reads."""
    rows = adjusted_survival[(adjusted_survival["endpoint"] == endpoint)
                             & (adjusted_survival["method"] == "weighting")]  # fmt: skip
    rows = rows.drop_duplicates("arm")
    return rows.assign(split="arm", group=rows["arm"].astype(str))[
        ["endpoint", "split", "group", "n", "median", "median_lower", "median_upper"]
    ]
