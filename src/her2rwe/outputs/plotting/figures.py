"""All figures of one study, from its results tables and its config block.

`FIGURE_KINDS` is the registry: one entry per kind of figure, each with a function that lists the
study's figures of that kind from the config alone (`FigureSpec`: name, kind, endpoint, split), a
function that draws one of them, its report caption and the tables it reads. To add a kind, write
its module under outputs/plotting/ and append one `FigureKind` here. Snakemake knows every output
before any job runs; a figure whose data are absent (no response data, no adverse events, a
subgroup without rows) is drawn as a labelled "No data" placeholder, so the set of files never
depends on the data. A figure's kind and endpoint are fields of its spec, never read back from its
file name.

This module imports no matplotlib or pandas at import time (Snakemake imports it while parsing).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from her2rwe.config import has_adverse_events, has_assessments, study_settings
from her2rwe.outputs.plotting import (
    adjusted,
    cif,
    forest,
    km,
    parametric,
    response,
    swimmer,
    toxicity,
    waterfall,
)
from her2rwe.outputs.plotting.spec import FigureContext, FigureKind, FigureSpec

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure

TABLES = {
    "km_curves": "survival/km_curves.parquet",
    "risk_table": "survival/risk_table.csv",
    "survival": "tables/survival.csv",
    "comparisons": "tables/comparisons.csv",
    "subgroup_survival": "tables/subgroup_survival.csv",
    "best_response": "tables/best_response.csv",
    "response": "tables/response.csv",
    "adverse_events": "tables/adverse_events.csv",
}
# What the plot_figures rule reads (kinds may add their own in `FigureKind.sources`): the unsuppressed tables (results/{study}/internal/) for exact
# curves and bars; every count that a figure prints goes through min_cell_count when drawn.
# The shareable survival and subgroup tables give the forest plots their printed events/n (so
# that a count hidden there, also as a complementary cell, is hidden in the figure too).
SOURCES = {
    **{key: path.replace("tables/", "internal/", 1) for key, path in TABLES.items()},
    "survival_shown": "tables/survival.csv",
    "subgroup_survival_shown": "tables/subgroup_survival.csv",
    # the arms' "n =" labels of the response and toxicity figures: hidden where the table hides them
    "response_shown": "tables/response.csv",
    "adverse_events_shown": "tables/adverse_events.csv",
}
# the reconstructed trial arms' curves (results/{study}/trial_context/curves.parquet) and the
# parametric models (parametric.csv): inputs of the figures only of studies with a trial_context
# block (key -> the trial_context rule's output); the KM figure of the endpoint draws the curves,
# the parametric figure both
TRIAL_CONTEXT_CURVES = parametric.CURVES
TRIAL_CONTEXT_TABLES = {TRIAL_CONTEXT_CURVES: "curves", parametric.PARAMETRIC: "parametric"}


def km_subgroups(study: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Subgroups drawn as Kaplan-Meier figures (``km: true``, the default), one per variable."""
    study = study_settings(study)
    seen: dict[str, Mapping[str, Any]] = {}
    for sg in study["subgroups"]:
        if sg["km"] and sg["variable"] not in seen:
            seen[sg["variable"]] = sg
    return list(seen.values())


def _km_specs(study: Mapping[str, Any]) -> list[FigureSpec]:
    return [FigureSpec(f"km_{ep}", "km", ep, "arm") for ep in study["endpoints"]]


def _km_subgroup_specs(study: Mapping[str, Any]) -> list[FigureSpec]:
    """Per subgroup split, for ``figures.subgroup_endpoints`` (default: the first endpoint)."""
    chosen = study["figures"].get("subgroup_endpoints")
    endpoints = study["endpoints"][:1] if chosen is None else chosen
    return [
        FigureSpec(f"km_{ep}_{sg['variable']}", "km_subgroup", ep, sg["variable"])
        for ep in study["endpoints"]
        if ep in endpoints
        for sg in km_subgroups(study)
    ]


def _forest_specs(study: Mapping[str, Any]) -> list[FigureSpec]:
    if not study["subgroups"]:
        return []
    return [FigureSpec(f"forest_{ep}", "forest", ep) for ep in study["endpoints"]]


def _response_specs(study: Mapping[str, Any]) -> list[FigureSpec]:
    return [FigureSpec("response", "response")]


def _toxicity_specs(study: Mapping[str, Any]) -> list[FigureSpec]:
    return [FigureSpec("toxicity", "toxicity")] if has_adverse_events(study) else []


def _assessment_specs(kind: str):
    """Waterfall and swimmer: for a study with an assessment file (docs/methods_response.md)."""

    def specs(study: Mapping[str, Any]) -> list[FigureSpec]:
        return [FigureSpec(kind, kind)] if has_assessments(study) else []

    return specs


# patient-level response (no IDs; written for every study, empty without an assessment file)
TUMOUR_RESPONSE = {"tumour_response": "internal/tumour_response.parquet"}

# The figure kinds, in drawing order. Add a kind by appending one entry.
FIGURE_KINDS: list[FigureKind] = [
    FigureKind("km", _km_specs, km.draw_arms, "km.rst"),
    FigureKind("km_subgroup", _km_subgroup_specs, km.draw_subgroup, "km_subgroup.rst"),
    FigureKind("forest", _forest_specs, forest.draw, "forest.rst"),
    FigureKind("response", _response_specs, response.draw, "response.rst"),
    FigureKind("toxicity", _toxicity_specs, toxicity.draw, "toxicity.rst"),
    FigureKind("cif", cif.specs, cif.draw, "cif.rst", cif.SOURCES),
    FigureKind(
        "waterfall", _assessment_specs("waterfall"), waterfall.draw, "waterfall.rst", TUMOUR_RESPONSE
    ),
    FigureKind("swimmer", _assessment_specs("swimmer"), swimmer.draw, "swimmer.rst", TUMOUR_RESPONSE),
    FigureKind("parametric", parametric.specs, parametric.draw, "parametric.rst"),
    # the adjusted comparison (studies with an adjustment block; outputs/plotting/adjusted.py)
    FigureKind(
        "adjusted_love", adjusted.love_specs, adjusted.draw_love, "adjusted_love.rst", adjusted.SOURCES
    ),
    FigureKind(
        "adjusted_ps_overlap",
        adjusted.overlap_specs,
        adjusted.draw_overlap,
        "adjusted_ps_overlap.rst",
        adjusted.SOURCES,
    ),
    FigureKind("adjusted_km", adjusted.km_specs, adjusted.draw_km, "adjusted_km.rst", adjusted.SOURCES),
]


def kinds() -> dict[str, FigureKind]:
    """The registry by kind name."""
    out: dict[str, FigureKind] = {}
    for entry in FIGURE_KINDS:
        if entry.kind in out:
            raise ValueError(f"figure kind {entry.kind!r} registered twice")
        out[entry.kind] = entry
    return out


def figure_specs(study: Mapping[str, Any]) -> list[FigureSpec]:
    """Every figure of the study, from its config alone, in drawing order; names are unique."""
    study = study_settings(study)
    specs = [spec for entry in kinds().values() for spec in entry.specs(study)]
    names = [s.name for s in specs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"two figures would be written to the same file: {', '.join(twice)}")
    return specs


def figure_names(study: Mapping[str, Any]) -> list[str]:
    """File stems under ``figures/`` (each written as .pdf, .png and text/.txt), in drawing order."""
    return [spec.name for spec in figure_specs(study)]


def figure_sources(study: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Every table the figures read (key -> path under results/{study}/); given a study block, a
    kind's own sources only when the study has figures of that kind."""
    out = dict(SOURCES)
    settings = None if study is None else study_settings(study)
    for entry in FIGURE_KINDS:
        if settings is None or entry.specs(settings):
            out.update(entry.sources)
    return out


def caption(spec: FigureSpec) -> str:
    """The report caption file (under workflow/report/) of a figure."""
    return kinds()[spec.kind].caption


# columns read as text, never as numbers (arm names such as "1", covariate levels)
TEXT_COLUMNS = {"group": str, "arm": str, "reference": str, "level": str}


def read_tables(paths: Mapping[str, str]) -> dict[str, pd.DataFrame]:
    """Read the results tables named in `figure_sources()` (keys) from `paths`."""
    import pandas as pd

    from her2rwe import io

    known = figure_sources()
    out = {}
    for key, path in paths.items():
        if key not in known and key not in TRIAL_CONTEXT_TABLES:
            continue
        if str(path).endswith(".parquet"):
            out[key] = pd.read_parquet(path)
        else:
            out[key] = io.read_table(path, dtype=TEXT_COLUMNS)
    return out


def display_arms(tables: Mapping[str, pd.DataFrame]) -> list[str]:
    """Arms in display order: the order of ``split == "arm"`` groups in survival.csv."""
    surv = tables["survival"]
    arms = surv.loc[surv["split"] == "arm", "group"].astype(str)
    return list(dict.fromkeys(arms))


def draw_study_figures(
    tables: Mapping[str, pd.DataFrame],
    study: Mapping[str, Any],
    names: list[str] | None = None,
    min_cell_count: int = 0,
) -> Iterator[tuple[str, Figure]]:
    """Yield (name, figure) for the study's figures named in `names` (default: all of them).

    With ``min_cell_count`` k > 1, every count printed in a figure (numbers at risk, cumulative
    events, forest events/n, the arms' n) reads ``<k`` when it is 1..k-1."""
    from her2rwe.outputs.plotting import style

    study = study_settings(study)
    specs = {spec.name: spec for spec in figure_specs(study)}
    unknown = [n for n in names or [] if n not in specs]
    if unknown:
        raise ValueError(f"not a figure of this study: {', '.join(unknown)}")
    arms = display_arms(tables)
    ctx = FigureContext(
        tables=tables,
        study=study,
        arms=arms,
        colors=style.arm_colors(arms),
        min_cell_count=int(min_cell_count or 0),
    )
    registry = kinds()
    for name in names or list(specs):
        spec = specs[name]
        yield name, registry[spec.kind].draw(spec, ctx)
