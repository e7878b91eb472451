"""Thinning long step curves for drawing (outputs/plotting/thin.py): small curves are untouched; a
long one keeps, at every column boundary, exactly the value of the full curve."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
from matplotlib.figure import Figure

from her2rwe.outputs.plotting import thin


def axes(width_in=4.0, height_in=2.0):
    fig = Figure(figsize=(width_in, height_in))
    return fig.add_axes((0, 0, 1, 1))  # the axes fill the figure: width_in * 300 dpi * 4 columns


def step_value(t, s, x):
    """S(x) of a right-continuous step curve through (t, s) starting at 1 before the first time."""
    i = np.searchsorted(t, x, side="right") - 1
    return np.where(i >= 0, s[np.clip(i, 0, None)], 1.0)


def test_short_curve_is_drawn_whole():
    ax = axes()
    t = np.linspace(0, 10, 4800)  # 4 in * 300 dpi * 4 = 4800 columns: not more points than that
    assert np.array_equal(thin.step_points(t, ax, 10.0), np.arange(4800))
    s = np.linspace(1, 0, 4800)
    assert np.array_equal(thin.mark_points(t, s, ax, 10.0, (0.0, 1.02)), np.arange(4800))


def test_long_curve_agrees_at_every_column_boundary():
    ax = axes(width_in=1.0)  # 1200 columns of width 10/1200
    rng = np.random.default_rng(1)
    t = np.sort(rng.uniform(0, 10, 100_000))
    s = np.cumprod(1 - rng.uniform(0, 2e-5, t.size))  # non-increasing
    keep = thin.step_points(t, ax, 10.0)
    assert len(keep) <= 2 * 1200
    assert keep[0] == 0 and keep[-1] == t.size - 1
    edges = np.arange(1, 1200) * (10.0 / 1200)
    np.testing.assert_array_equal(step_value(t[keep], s[keep], edges), step_value(t, s, edges))
    # within a column the thinned curve stays between the column's first and last value
    mid = edges - 10.0 / 2400
    assert np.all(step_value(t[keep], s[keep], mid) >= step_value(t, s, mid))


def test_censor_marks_once_per_cell():
    ax = axes(width_in=1.0, height_in=1.0)  # 1200 x 1200 cells over x 0..10, y 0..1.02
    t = np.repeat(np.linspace(0.001, 9.99, 1000), 3)  # each time three times
    s = np.repeat(np.linspace(1, 0.01, 1000), 3)
    keep = thin.mark_points(t, s, ax, 10.0, (0.0, 1.02))
    assert np.array_equal(keep, np.arange(0, 3000, 3))  # the first of each triple
