"""Figure kind ``parametric``: the fitted parametric survival curves over the Kaplan-Meier curve,
one panel per arm, for every endpoint that has a reconstructed trial arm (docs/trial_context.md).

Drawn from the trial-context stage's results, nothing re-estimated: the models' survreg-scale
parameters from ``trial_context/parametric.csv``, the real-world arms' Kaplan-Meier steps from
``km_curves.parquet`` and the reconstructed arms' from ``trial_context/curves.parquet``. Each
panel runs to the larger of the model horizon (``parametric.horizon``) and the arm's follow-up,
so the extrapolation beyond the data is visible; a dotted line marks the arm's last observed time.
No count is printed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from her2rwe.config import study_settings
from her2rwe.outputs.plotting import km, style
from her2rwe.outputs.plotting.adjusted import PLOT_DECIMALS
from her2rwe.outputs.plotting.spec import FigureContext, FigureSpec

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure

# the table key of the plot job's inputs (added for studies with a trial_context block only)
PARAMETRIC = "trial_context_parametric"
CURVES = "trial_context_curves"
GRID_POINTS = 241  # evaluation points of each fitted curve over the panel's time axis
PANEL_MM = 42.0
KM_COLOR = "#000000"


def specs(study: Mapping[str, Any]) -> list[FigureSpec]:
    """``parametric_<endpoint>`` for each endpoint (in config order) that has a trial arm."""
    study = study_settings(study)
    endpoints = dict.fromkeys(item["endpoint"] for item in study["trial_context"])
    return [FigureSpec(f"parametric_{ep}", "parametric", ep, "arm") for ep in endpoints]


def plotted(values: Any) -> Any:
    """Survival values as drawn: rounded to PLOT_DECIMALS decimals (far below what the figure can
    show, far above the last-bit differences that another BLAS kernel gives the fitted
    parameters), so the drawing and the PDF's bytes do not depend on the machine."""
    import numpy as np

    return np.round(np.asarray(values, dtype=float), PLOT_DECIMALS)


def _km_steps(ctx: FigureContext, endpoint: str, source: str, arm: str) -> pd.DataFrame | None:
    """The arm's Kaplan-Meier steps (time, surv), starting at (0, 1); None when absent."""
    from her2rwe.analyses.trial_context import REAL_WORLD

    if source == REAL_WORLD:
        table = ctx.tables["km_curves"]
        rows = table[
            (table["endpoint"] == endpoint)
            & (table["split"] == "arm")
            & (table["group"].astype(str) == arm)
        ]
    else:
        table = ctx.tables.get(CURVES)
        if table is None:
            return None
        rows = table[(table["endpoint"] == endpoint) & (table["group"].astype(str) == arm)]
    if rows.empty:
        return None
    return rows[["time", "surv"]].sort_values("time", kind="stable").reset_index(drop=True)


def draw(spec: FigureSpec, ctx: FigureContext) -> Figure:
    """The fitted curves (one colour and line style per model) over each arm's KM (black steps)."""
    import numpy as np
    from matplotlib.lines import Line2D

    from her2rwe.analyses.trial_context import REAL_WORLD
    from her2rwe.stats import parametric

    label, origin = ctx.endpoint_text(spec.endpoint)
    models = ctx.tables.get(PARAMETRIC)
    if models is None or models.empty:
        return style.placeholder(f"No parametric models of {label}.", label)
    models = models[models["endpoint"] == spec.endpoint]
    converged = models["converged"].astype(str).str.lower() == "true"
    models = models[converged & models["mu"].notna()]
    panels = [
        (src, arm)
        for src, arm in dict.fromkeys(zip(models["source"], models["arm"].astype(str), strict=True))
        if _km_steps(ctx, spec.endpoint, src, arm) is not None
    ]
    if not panels:
        return style.placeholder(f"No parametric models of {label}.", label)
    distributions = [d for d in parametric.DISTRIBUTIONS if d in set(models["distribution"])]
    colors = {d: style.PALETTE[i % len(style.PALETTE)] for i, d in enumerate(distributions)}
    dashes = {
        d: style.LINESTYLES[(i + 1) % len(style.LINESTYLES)] for i, d in enumerate(distributions)
    }
    horizon = float(study_settings(ctx.study)["parametric"]["horizon"])

    ncols = 2 if len(panels) > 1 else 1
    nrows = -(-len(panels) // ncols)
    head_mm = 12.0
    height = head_mm + PANEL_MM * nrows + 4.0
    fig = style.new_figure(ctx.width, height)
    width_mm = style.WIDTH_MM[ctx.width]
    left_mm, gap_mm, right_mm = 12.0, 8.0, 3.0
    panel_w = (width_mm - left_mm - right_mm - gap_mm * (ncols - 1)) / ncols
    for i, (source, arm) in enumerate(panels):
        row, col = divmod(i, ncols)
        x0 = (left_mm + col * (panel_w + gap_mm)) / width_mm
        y0 = 1 - (head_mm + PANEL_MM * (row + 1) - 10.0) / height
        ax = fig.add_axes((x0, y0, panel_w / width_mm, (PANEL_MM - 16.0) / height))
        steps = _km_steps(ctx, spec.endpoint, source, arm)
        t_km = np.r_[0.0, steps["time"].to_numpy(dtype=float)]
        s_km = plotted(np.r_[1.0, steps["surv"].to_numpy(dtype=float)])
        last = float(t_km.max())
        xmax = max(horizon, last)
        ax.step(t_km, s_km, where="post", color=KM_COLOR, lw=1.0, zorder=4, gid=f"km:{arm}")
        grid = np.linspace(0.0, xmax, GRID_POINTS)
        arm_models = models[(models["source"] == source) & (models["arm"].astype(str) == arm)]
        for r in arm_models.itertuples(index=False):
            q = None if r.q is None or np.isnan(float(r.q)) else float(r.q)
            s = parametric.survival_function(r.distribution, float(r.mu), float(r.sigma), q, grid)
            ax.plot(grid, plotted(s), color=colors[r.distribution],
                    linestyle=dashes[r.distribution], lw=0.9, zorder=3,
                    gid=f"model:{arm}:{r.distribution}")  # fmt: skip
        ax.axvline(last, color=style.NEUTRAL, lw=0.5, linestyle=":", zorder=2)
        ax.set_xlim(0, xmax)
        ax.set_ylim(-0.03, 1.03)
        ax.grid(axis="y", color=style.GRID, lw=0.4)
        shown = ctx.arm_name(arm) if source == REAL_WORLD else f"{arm} (reconstructed)"
        ax.set_title(shown, fontsize=6.5, loc="left")
        ax.set_xlabel(km.time_axis_label(origin), fontsize=6.5)
        if col == 0:
            ax.set_ylabel(label, fontsize=6.5)
    handles = [Line2D([], [], color=KM_COLOR, lw=1.0, label="Kaplan-Meier")]
    handles += [
        Line2D([], [], color=colors[d], linestyle=dashes[d], lw=0.9, label=parametric.LABELS[d])
        for d in distributions
    ]
    fig.legend(handles=handles, loc="upper center", ncol=min(len(handles), 3), frameon=False,
               fontsize=6.5, bbox_to_anchor=(0.5, 1 - 1.0 / height))  # fmt: skip
    return fig
