"""Formatting for people: statistics come in unrounded, text comes out.

One place decides how a number is printed in every table, figure annotation and summary, so a median
reads the same everywhere: ``7.0 (5.6-8.9)``, ``NR`` when not reached, ``p < 0.001``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

NR = "NR"
DASH = "-"


def is_missing(x: Any) -> bool:
    if x is None:
        return True
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return False


def fmt_num(x: Any, digits: int = 1, missing: str = NR) -> str:
    """A number rounded half away from zero as journals print it; `missing` when NaN/None."""
    if is_missing(x):
        return missing
    x = float(x)
    if math.isinf(x):
        return missing
    q = 10**digits
    r = math.floor(abs(x) * q + 0.5 + 1e-9) / q
    return f"{math.copysign(r, x) if r else 0.0:.{digits}f}"


def fmt_ci(lower: Any, upper: Any, digits: int = 1, missing: str = NR, sep: str = "-") -> str:
    return f"{fmt_num(lower, digits, missing)}{sep}{fmt_num(upper, digits, missing)}"


def fmt_estimate_ci(est: Any, lower: Any, upper: Any, digits: int = 1, missing: str = NR) -> str:
    """``7.0 (5.6-8.9)``; a missing estimate or bound prints as NR."""
    return f"{fmt_num(est, digits, missing)} ({fmt_ci(lower, upper, digits, missing)})"


def fmt_p(p: Any, digits: int = 3) -> str:
    """A p-value: ``<0.001`` below 10^-digits, else `digits` decimals; empty when missing."""
    if is_missing(p):
        return ""
    p = float(p)
    floor = 10.0**-digits
    if p < floor:
        return f"<{floor:.{digits}f}"
    return f"{min(p, 1.0):.{digits}f}"


def fmt_n_pct(n: Any, pct: Any, digits: int = 1) -> str:
    """``43 (51.8%)``."""
    if is_missing(n):
        return ""
    return f"{int(n)} ({fmt_num(pct, digits, missing='-')}%)"


def markdown_table(
    rows: Sequence[Sequence[Any]],
    header: Sequence[str],
    title: str | None = None,
    footnotes: Iterable[str] = (),
    align: Sequence[str] | None = None,
) -> str:
    """A GitHub-flavoured Markdown table with an optional title and footnotes.

    ``align`` holds one of 'l', 'r', 'c' per column (default: first column left, others right).
    """
    align = list(align or ["l"] + ["r"] * (len(header) - 1))
    marks = {"l": ":---", "r": "---:", "c": ":---:"}

    def cell(v: Any) -> str:
        return "" if v is None else str(v).replace("|", "\\|").replace("\n", " ")

    lines = []
    if title:
        lines += [f"**{title}**", ""]
    lines.append("| " + " | ".join(cell(h) for h in header) + " |")
    lines.append("| " + " | ".join(marks[a] for a in align) + " |")
    for row in rows:
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    notes = [f for f in footnotes if f]
    if notes:
        lines.append("")
        lines += [f"{n}" if n.startswith(("*", "†", "‡", "Note")) else f"_{n}_" for n in notes]
    return "\n".join(lines) + "\n"


# RECIST 1.1 best-overall-response categories as they print, in reporting order; kept in the core
# (no pandas) so the figure registry, read when the workflow is parsed, stays light
RESPONSE_LABELS = {
    "CR": "Complete response",
    "PR": "Partial response",
    "SD": "Stable disease",
    "PD": "Progressive disease",
    "NE": "Not evaluable",
    "missing": "Missing",
}


CI_METHOD_TEXT = {
    "log-log": "log-log transformed (Brookmeyer-Crowley, as SAS PROC LIFETEST)",
    "log": "log transformed (as R survfit's default)",
    "plain": "untransformed (plain)",
    "spss": (
        "symmetric, median ± z·SE with the Klein-Moeschberger large-sample SE (as SPSS); "
        "a lower limit below 0 is shown as 0"
    ),
}


def ci_method_text(method: str, conf_level: float = 0.95) -> str:
    """A sentence fragment that names the CI method, for footnotes and captions."""
    return f"{conf_level * 100:g}% CI {CI_METHOD_TEXT[method]}"


# months between number-at-risk columns, smallest first; the first that keeps the table at most
# MAX_RISK_COLUMNS wide is used when figures.risk_table_interval is not set
RISK_INTERVALS = (1.0, 2.0, 3.0, 6.0, 12.0, 24.0, 36.0, 60.0, 120.0)
MAX_RISK_COLUMNS = 12


def risk_table_interval(axis_end: float, max_columns: int = MAX_RISK_COLUMNS) -> float:
    """The interval (months) of the number-at-risk table and x ticks for a time axis that ends at
    `axis_end`: the smallest of RISK_INTERVALS that gives at most `max_columns` columns (0 counted)."""
    end = float(axis_end) if math.isfinite(axis_end) and axis_end > 0 else 0.0
    for step in RISK_INTERVALS:
        if math.floor(end / step + 1e-9) + 1 <= max_columns:
            return step
    return float(math.ceil(end / (max_columns - 1)))


# ------------------------------------------------------------------------------------------------
# display names and order of arms and levels (the study's `display` setting)


def level_text(value: Any) -> str:
    """A level as it prints, and the text a configured value is matched by (subgroup ``levels``,
    ``reference_levels``, ``display``): a whole number reads ``1`` whether stored as 1 or 1.0 (an
    integer column with a missing cell); anything else is its ``str`` (a YAML boolean: True)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if math.isfinite(float(value)) and float(value).is_integer():
            return str(int(value))
    return str(value)


class LevelLabels:
    """Display names and order of the arms and the levels of covariates, subgroups and Table 1
    variables (``display``: {column: {raw value: label}}). The arm column is addressed as ``arm``
    whatever ``arms.column`` names it. A level without a label prints as its raw text."""

    def __init__(self, display: Mapping[str, Mapping[Any, str]], arm_column: str = "arm"):
        self._labels = {
            ("arm" if column == arm_column else column): {
                level_text(raw): str(label) for raw, label in mapping.items()
            }
            for column, mapping in display.items()
        }

    @classmethod
    def of(cls, study: Mapping[str, Any]) -> LevelLabels:
        """The labels of a study block (filled with its defaults)."""
        from her2rwe.config import study_settings

        settings = study_settings(study)
        return cls(settings["display"], settings["arms"]["column"])

    def label(self, column: str, raw: Any) -> str:
        """The display name of one level of ``column`` (its raw text when none is set)."""
        text = level_text(raw)
        mapping = self._labels[column] if column in self._labels else {}
        return mapping[text] if text in mapping else text

    def arm(self, raw: Any) -> str:
        return self.label("arm", raw)

    def order(self, column: str, levels: Iterable[Any]) -> list[Any]:
        """``levels`` in display order: the listed ones in the setting's key order, then the
        others in their given order."""
        levels = list(levels)
        listed = list(self._labels[column]) if column in self._labels else []
        rank = {text: i for i, text in enumerate(listed)}
        first = sorted(
            (v for v in levels if level_text(v) in rank), key=lambda v: rank[level_text(v)]
        )
        return first + [v for v in levels if level_text(v) not in rank]

    def columns(self) -> list[str]:
        return list(self._labels)
