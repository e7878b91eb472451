"""What one figure is, and what every figure-drawing function receives.

`FigureSpec` is built from the config alone (see `figures.FIGURE_KINDS`): its kind, file stem,
endpoint and split are fields, never parsed back out of a file name. `FigureContext` carries the
study's results tables and the settings that every kind needs (arms in display order, colours,
confidence level, width, small-cell threshold).

No matplotlib or pandas at import time (Snakemake imports this while parsing the workflow).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class FigureSpec:
    """One figure of a study: ``name`` is the file stem under figures/ (.pdf, .png, text/.txt)."""

    name: str
    kind: str
    endpoint: str | None = None
    split: str | None = None  # "arm" or a subgroup variable


@dataclass(frozen=True)
class FigureKind:
    """A kind of figure: which figures a study has (`specs`, from the config only), how one is
    drawn (`draw`), the report caption (workflow/report/<caption>) and the results tables it reads
    (`sources`: key -> path under results/{study}/, added to the plot job's inputs)."""

    kind: str
    specs: Callable[[Mapping[str, Any]], list[FigureSpec]]
    draw: Callable[[FigureSpec, FigureContext], Figure]
    caption: str
    sources: Mapping[str, str] = field(default_factory=dict)


@dataclass
class FigureContext:
    """Everything a drawing function may read: tables by key, the filled study block, display
    arms and their colours, and the threshold k below which printed counts read ``<k``."""

    tables: Mapping[str, pd.DataFrame]
    study: Mapping[str, Any]
    arms: list[str]
    colors: dict[str, str]
    min_cell_count: int = 0

    @property
    def figure_settings(self) -> Mapping[str, Any]:
        return self.study["figures"]

    @property
    def width(self) -> str:
        return self.study["figures"]["width"]

    @property
    def conf_level(self) -> float:
        return float(self.study["conf_level"])

    @property
    def single_arm(self) -> bool:
        return len(self.arms) == 1

    def endpoint_text(self, endpoint: str) -> tuple[str, str]:
        """(label, origin) of an endpoint from the study's definitions."""
        from her2rwe.derive.endpoints import endpoint_definitions

        definition = endpoint_definitions(self.study).get(endpoint)
        if definition is None:
            return endpoint.upper(), "index_date"
        return definition.display, definition.origin

    def subgroup(self, variable: str) -> Mapping[str, Any]:
        """The config block of a subgroup split (empty when not configured)."""
        for sg in self.study["subgroups"]:
            if sg["variable"] == variable:
                return sg
        return {}

    def arm_name(self, arm: Any) -> str:
        """An arm as figures print it: its display name (the study's `display`), else its code."""
        from her2rwe.formatting import LevelLabels

        return LevelLabels.of(self.study).arm(arm)

    def level_name(self, variable: str, level: Any) -> str:
        """A level of a covariate or subgroup variable as figures print it."""
        from her2rwe.formatting import LevelLabels

        return LevelLabels.of(self.study).label(variable, level)

    def group_name(self, split: str, group: str) -> str:
        """A group of survival.csv as figures print it: an arm, a subgroup level, or a level and
        an arm (``<level>, <arm>`` in a study with arms); a compare group keeps its name."""
        if split == "arm":
            return self.arm_name(group)
        if split == "overall" or self.subgroup(split).get("compare"):
            return str(group)
        level, _, arm = str(group).rpartition(", ")
        if level and arm in self.arms:
            return f"{self.level_name(split, level)}, {self.arm_name(arm)}"
        return self.level_name(split, group)

    def split_styles(self, split: str, endpoint: str) -> dict[str, dict[str, Any]]:
        """Colour and line style of each group of a split, in display order."""
        from her2rwe.outputs.plotting import style

        surv = self.tables["survival"]
        groups = surv.loc[(surv["split"] == split) & (surv["endpoint"] == endpoint), "group"]
        return style.group_styles(list(dict.fromkeys(groups.astype(str))), self.arms)
