"""Text in figures never overlaps and never leaves the canvas.

Checked on the drawn text positions (Matplotlib's own text extents, after drawing, in pixels at the
saved resolution) of every figure of the bundled run (redrawn from tests/expected_results, the frozen
tables of the bundled run) and of a long-follow-up, three-arm synthetic cohort (about 105 months,
arms with long names). Rules: no two text items on one line closer than 0.15 em, no two text items
intersecting, none past the canvas edge.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from her2rwe.analyses.survival import summarize_survival
from her2rwe.config import has_assessments, validate_config
from her2rwe.outputs.plotting import figures, style
from tests.conftest import bundled_study_data

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = ROOT / "tests" / "expected_results"
GAP_EM = 0.15


def text_boxes(fig) -> list[tuple[str, float, object]]:
    """(text, font size in px, window extent) of every visible, non-empty text of the figure."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    fig.set_dpi(style.DPI)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    # tick labels of ticks outside the view limits exist but are not drawn
    hidden = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not lo - 1e-9 <= tick.get_loc() <= hi + 1e-9:
                    hidden.update((id(tick.label1), id(tick.label2)))
    out = []
    for t in fig.findobj(Text):
        if id(t) in hidden:
            continue
        if not t.get_visible() or not str(t.get_text()).strip():
            continue
        if hasattr(t, "axes") and t.axes is not None and not t.axes.get_visible():
            continue
        bbox = t.get_window_extent(renderer)
        if bbox.width == 0 or bbox.height == 0:
            continue
        out.append((t.get_text(), t.get_fontsize() * style.DPI / 72.0, bbox))
    return out


def layout_problems(fig) -> list[str]:
    """Every pair of texts too close or intersecting, and every text past the canvas edge."""
    boxes = text_boxes(fig)
    width, height = fig.canvas.get_width_height()  # the Agg canvas of text_boxes
    problems = []
    tol = 0.5  # pixels
    for text, _, b in boxes:
        if b.x0 < -tol or b.y0 < -tol or b.x1 > width + tol or b.y1 > height + tol:
            problems.append(f"past the edge: {text!r}")
    for (ta, fa, a), (tb, fb, b) in itertools.combinations(boxes, 2):
        v_overlap = min(a.y1, b.y1) - max(a.y0, b.y0)
        h_gap = max(b.x0 - a.x1, a.x0 - b.x1)  # negative when they overlap horizontally
        if v_overlap <= tol:
            continue  # different lines, not intersecting
        same_line = v_overlap > 0.5 * min(a.height, b.height)
        if h_gap < -tol:
            problems.append(f"intersecting: {ta!r} and {tb!r}")
        elif same_line and h_gap < GAP_EM * min(fa, fb):
            problems.append(f"closer than {GAP_EM} em: {ta!r} and {tb!r}")
    return problems


def _bundled() -> list[tuple[str, dict]]:
    cfg = validate_config(yaml.safe_load((ROOT / "config.yaml").read_text()))
    return sorted(cfg["studies"].items())


def _frozen_tables(study: str, block=None) -> dict[str, pd.DataFrame]:
    res = EXPECTED / study
    sources = dict(figures.figure_sources(block) if block is not None else figures.TABLES)
    sources.pop("tumour_response", None)  # internal, never frozen: derived below
    tables = figures.read_tables(
        {k: res / p.replace("internal/", "tables/") for k, p in sources.items()}
    )
    block = dict(_bundled())[study]
    if has_assessments(block):
        # the waterfall and swimmer read the patient-level response table, which is internal and
        # so never frozen: derive it from the bundled synthetic files as the workflow does
        tables["tumour_response"] = bundled_study_data(block).tumour_response
    return tables


@pytest.mark.parametrize("study", [name for name, _ in _bundled()])
def test_bundled_figures_have_no_overlapping_text(study):
    block = dict(_bundled())[study]
    tables = _frozen_tables(study, block)
    bad = {}
    for name, fig in figures.draw_study_figures(tables, block):
        problems = layout_problems(fig)
        if problems:
            bad[name] = problems[:5]
    assert not bad


# ------------------------------------------------------------------------------------------------
# a long-follow-up, three-arm synthetic cohort (not patient data)

ARMS = ("Observation", "Lev", "Lev+5FU")


def three_arm_study() -> tuple[dict, dict[str, pd.DataFrame]]:
    rng = np.random.default_rng(20261125)
    n = 619
    arm = np.array(ARMS)[rng.integers(0, 3, n)]
    rate = np.select([arm == "Lev+5FU", arm == "Lev"], [0.010, 0.016], 0.018)
    grade = rng.choice(["well", "moderate", "poor"], n)
    nodes = rng.choice(["0-3", "4+"], n)
    data = {"arm": arm, "differentiation": grade, "nodes": nodes}
    for ep, scale in (("pfs_ntcens", 1.0), ("os", 0.7)):
        t = rng.exponential(1 / (rate * scale))
        censor = rng.uniform(60, 105, n)
        data[f"{ep}_months"] = np.minimum(t, censor)
        data[f"{ep}_event"] = (t <= censor).astype(int)
    block = validate_config(
        {
            "studies": {
                "three_arm": {
                    "title": "Three-arm long-follow-up cohort (synthetic)",
                    "synthetic": True,
                    "cohort": "cohort.csv",
                    "arms": {"column": "arm", "reference": "Observation"},
                    "endpoints": ["pfs_ntcens", "os"],
                    "subgroups": [
                        {"variable": "differentiation", "label": "Differentiation"},
                        {"variable": "nodes", "label": "Positive lymph nodes", "km": False},
                    ],
                    "figures": {"subgroup_endpoints": ["pfs_ntcens", "os"]},
                }
            }
        }
    )["studies"]["three_arm"]
    res = summarize_survival(pd.DataFrame(data), block)
    tables = {
        "km_curves": res.km_curves,
        "risk_table": res.risk_table,
        "survival": res.survival,
        "comparisons": res.comparisons,
        "subgroup_survival": res.subgroup_survival,
    }
    # response and adverse events: per-arm percentages in the shape of the results tables
    fix = ROOT / "tests" / "fixtures" / "figures" / "two_arm" / "tables"
    best = pd.read_csv(fix / "best_response.csv", dtype={"arm": str})
    resp = pd.read_csv(fix / "response.csv", dtype={"arm": str})
    ae = pd.read_csv(fix / "adverse_events.csv", dtype={"arm": str})
    first = str(best["arm"].iloc[0])

    def per_arm(table):
        one = table[table["arm"].astype(str) == first]
        return pd.concat([one.assign(arm=a) for a in ARMS], ignore_index=True)

    tables["best_response"] = per_arm(best)
    tables["response"] = per_arm(resp)
    ae = per_arm(ae)
    ae["n_arm"] = 304
    tables["adverse_events"] = ae
    block["adverse_events"] = "adverse_events.csv"
    return block, tables


def test_three_arm_long_follow_up_figures_have_no_overlapping_text():
    block, tables = three_arm_study()
    names = figures.figure_names(block)
    assert "km_pfs_ntcens" in names and "toxicity" in names
    bad = {}
    for name, fig in figures.draw_study_figures(tables, block):
        problems = layout_problems(fig)
        if problems:
            bad[name] = problems[:5]
    assert not bad


def test_the_checker_sees_run_together_numbers():
    # what issue 17 reported: numbers at risk every 3 months over 105 months ran together
    fig = style.new_figure("single", 20)
    ax = fig.add_axes((0.05, 0.3, 0.9, 0.6))
    ax.set_xlim(0, 105)
    for x in range(0, 106, 3):
        ax.text(x, 0.5, "315", ha="center", fontsize=6.5)
    assert any("closer than" in p or "intersecting" in p for p in layout_problems(fig))
    fig = style.new_figure("single", 20)
    fig.text(0.99, 0.5, "a long legend entry that runs off", fontsize=6.5)
    assert any("past the edge" in p for p in layout_problems(fig))
