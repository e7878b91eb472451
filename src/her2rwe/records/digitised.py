"""Reading the digitised inputs of a reconstructed trial arm: the curve and the at-risk table.

A digitised curve is a CSV with columns ``time, surv`` (as a digitiser such as WebPlotDigitizer
exports them, survival as a proportion or a percentage); an at-risk table is a CSV with columns
``time, n_risk``. Lines starting with ``#`` are comments (say there where the numbers come from).
File-level problems (empty, not UTF-8, wrong delimiter) and cells that are not numbers are errors
that name the file, line and column; the checks of the values themselves (survival that rises,
at-risk counts that increase, ...) are :mod:`her2rwe.stats.ipd`'s.

These files hold published numbers, not patient data, so a message may quote a cell.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from her2rwe.records.rawtext import InputError, Problem, decode, delimiter_problem, records

CURVE_COLUMNS = ("time", "surv")
AT_RISK_COLUMNS = ("time", "n_risk")


def read_columns(path: str | Path, columns: tuple[str, ...], what: str) -> dict[str, np.ndarray]:
    """The named numeric columns of a small CSV, or InputError listing every problem."""
    name = str(path)
    p = Path(path)
    if not p.is_file():
        raise InputError([Problem(name, None, None, f"{what}: file not found")])
    text = decode(p.read_bytes(), name)
    rows = list(records(text))
    if not rows:
        raise InputError([Problem(name, None, None, f"{what}: the file is empty")])
    line, header = rows[0]
    header = [h.strip().lower() for h in header]
    problem = delimiter_problem(",".join(header), len(header), name, line)
    if problem:
        raise InputError([problem])
    missing = [c for c in columns if c not in header]
    if missing:
        raise InputError(
            [
                Problem(
                    name,
                    line,
                    None,
                    f"{what}: expected columns {', '.join(columns)}; missing {', '.join(missing)}",
                )
            ]
        )
    if len(rows) == 1:
        raise InputError([Problem(name, None, None, f"{what}: the file has a header and no rows")])
    index = {c: header.index(c) for c in columns}
    values = {c: [] for c in columns}
    problems = []
    for line, row in rows[1:]:
        for c, i in index.items():
            cell = row[i].strip() if i < len(row) else ""
            try:
                x = float(cell)
            except ValueError:
                x = math.nan
            if not math.isfinite(x):
                problems.append(Problem(name, line, c, "expected a number", cell))
            values[c].append(x)
    if problems:
        raise InputError(problems)
    return {c: np.asarray(v, dtype=float) for c, v in values.items()}


def read_curve(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """(time, surv) of a digitised Kaplan-Meier curve."""
    cols = read_columns(path, CURVE_COLUMNS, "digitised curve")
    return cols["time"], cols["surv"]


def read_at_risk(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """(time, n_risk) of a published number-at-risk table."""
    cols = read_columns(path, AT_RISK_COLUMNS, "at-risk table")
    return cols["time"], cols["n_risk"]
