"""The shareable treatment-pattern tables of a records study (small counts masked)."""

from __future__ import annotations

import pandas as pd

from her2rwe.outputs import suppression
from her2rwe.outputs.suppression import Margin


def shareable_treatment_patterns(
    sequences: pd.DataFrame, outcomes: pd.DataFrame, min_cell_count: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Transitions add up to their ``all`` row per (from_line, from_class); classes add up to
    ``all`` per line group. With ``min_cell_count`` <= 1 the tables are returned unchanged."""
    if not min_cell_count or min_cell_count <= 1:
        return sequences.copy(), outcomes.copy()
    seq = suppression.suppress(
        sequences,
        counts=["n"],
        k=min_cell_count,
        margins=[Margin(by="to_class", total="all", within=["from_line", "from_class"])],
    ).table
    out = suppression.suppress(
        outcomes,
        counts=["n", "tot_events", "ttnt_events"],
        k=min_cell_count,
        margins=[Margin(by="line_class", total="all", within=["line_group"])],
    ).table
    return seq, out
