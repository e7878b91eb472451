"""Fewer points for very long step curves, with no difference that a 300-dpi figure can show.

A Kaplan-Meier curve of a million patients has up to a million steps, far more than the few
thousand pixel columns of its axes; drawing them all makes the PDF large and slow and the PNG slow,
and changes nothing that can be seen. The curve is cut into columns a quarter of a pixel wide (at the
figure's 300 dpi); within a column only the first and the last point are kept. A non-increasing step
curve drawn through the kept points leaves its true path by less than a quarter of a pixel in time,
and passes through every kept point exactly. Censor ticks that fall in the same quarter-pixel cell
(time and survival) are drawn once. Curves with fewer points than columns are returned unchanged,
so small studies draw exactly as before. Only what is drawn changes: every printed number (medians,
numbers at risk, labels) comes from the result tables, not from the thinned points.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from her2rwe.outputs.plotting import style

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

OVERSAMPLE = 4  # columns per pixel


def columns(ax: Axes, xmax: float) -> tuple[int, float]:
    """(number of quarter-pixel columns across the axes at the figure's dpi, width of one in x)."""
    fig = ax.figure
    pos = ax.get_position()
    n = int(np.ceil(pos.width * fig.get_figwidth() * style.DPI * OVERSAMPLE))
    return n, xmax / n


def step_points(t: np.ndarray, ax: Axes, xmax: float) -> np.ndarray:
    """Indices of the points of a step curve (times t, sorted) to draw: all of them when there are
    fewer than columns, else the first and last point of every column (times past xmax: each its own
    column's first and last, they are clipped anyway)."""
    n, width = columns(ax, xmax)
    if len(t) <= n:
        return np.arange(len(t))
    col = np.floor(np.asarray(t, dtype=float) / width).astype(np.int64)
    change = np.flatnonzero(np.diff(col)) + 1
    first = np.concatenate(([0], change))
    last = np.concatenate((change - 1, [len(t) - 1]))
    return np.unique(np.concatenate((first, last)))


def mark_points(
    t: np.ndarray, s: np.ndarray, ax: Axes, xmax: float, ylim: tuple[float, float]
) -> np.ndarray:
    """Indices of censor ticks to draw: one per quarter-pixel cell of (time, survival), the y axis
    spanning ylim; all of them when there are fewer than columns."""
    n, width = columns(ax, xmax)
    if len(t) <= n:
        return np.arange(len(t))
    pos = ax.get_position()
    rows = int(np.ceil(pos.height * ax.figure.get_figheight() * style.DPI * OVERSAMPLE))
    ylo, yhi = ylim
    cell_x = np.floor(np.asarray(t, dtype=float) / width).astype(np.int64)
    cell_y = np.floor((np.asarray(s, dtype=float) - ylo) / (yhi - ylo) * rows).astype(np.int64)
    _, keep = np.unique(np.stack((cell_x, cell_y)), axis=1, return_index=True)
    return np.sort(keep)
