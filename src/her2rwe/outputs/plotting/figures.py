"""All figures of one study, from its results tables and its config block.

`figure_names` says which figures a study has; it depends only on the config (endpoints,
subgroups, whether an adverse-event file is configured), so Snakemake knows every output before
any job runs. `draw_study_figures` draws them one by one from the computed tables; a figure whose
data are absent (no response data, no adverse events, a subgroup without rows) becomes a labelled
"No data" placeholder, so the set of files never depends on the data.

This module imports no matplotlib or pandas at import time (Snakemake imports it while parsing).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from her2rwe.config import study_settings

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
# What the plot_figures rule reads: the unsuppressed tables (results/{study}/internal/) for exact
# curves and bars; every count that a figure prints goes through min_cell_count when drawn.
# The shareable survival and subgroup tables give the forest plots their printed events/n (so
# that a count hidden there, also as a complementary cell, is hidden in the figure too).
SOURCES = {
    **{key: path.replace("tables/", "internal/", 1) for key, path in TABLES.items()},
    "survival_shown": "tables/survival.csv",
    "subgroup_survival_shown": "tables/subgroup_survival.csv",
}


def km_subgroups(study: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Subgroups drawn as Kaplan-Meier figures (``km: true``, the default), one per variable."""
    study = study_settings(study)
    seen: dict[str, Mapping[str, Any]] = {}
    for sg in study.get("subgroups") or []:
        if sg["km"] and sg["variable"] not in seen:
            seen[sg["variable"]] = sg
    return list(seen.values())


def figure_names(study: Mapping[str, Any]) -> list[str]:
    """File stems under ``figures/`` (each written as .pdf and .png), in drawing order.

    Subgroup KM figures are drawn for ``figures.subgroup_endpoints`` (default: the first endpoint).
    """
    study = study_settings(study)
    names = []
    chosen = (study.get("figures") or {}).get("subgroup_endpoints")
    sub_eps = study["endpoints"][:1] if chosen is None else chosen
    for ep in study["endpoints"]:
        names.append(f"km_{ep}")
        if ep in sub_eps:
            names += [f"km_{ep}_{sg['variable']}" for sg in km_subgroups(study)]
    if study.get("subgroups"):
        names += [f"forest_{ep}" for ep in study["endpoints"]]
    names.append("response")
    if study.get("adverse_events"):
        names.append("toxicity")
    return names


def figure_kind(name: str) -> str:
    """``km``, ``km_subgroup``, ``forest``, ``response`` or ``toxicity`` (for captions)."""
    if name.startswith("km_"):
        return "km" if name.count("_") == 1 else "km_subgroup"
    return name.split("_", 1)[0]


def read_tables(paths: Mapping[str, str]) -> dict[str, pd.DataFrame]:
    """Read the results tables named in `TABLES` (keys) from `paths`."""
    import pandas as pd

    from her2rwe import io

    out = {}
    for key, path in paths.items():
        if key not in SOURCES:
            continue
        if str(path).endswith(".parquet"):
            out[key] = pd.read_parquet(path)
        else:
            out[key] = io.read_table(path, dtype={"group": str, "arm": str})
    return out


def _endpoint_text(study: Mapping[str, Any], endpoint: str) -> tuple[str, str]:
    """(label, origin) of an endpoint from the study's definitions; a bare column gets its name."""
    study = study_settings(study)
    from her2rwe.derive.endpoints import endpoint_definitions

    definition = endpoint_definitions(study).get(endpoint)
    if definition is None:
        return endpoint.upper(), "index_date"
    return definition.display, definition.origin


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
    """Yield (name, figure) for every figure of the study (see `figure_names`).

    With ``min_cell_count`` k > 1, every count printed in a figure (numbers at risk, cumulative
    events, forest events/n, the arms' n) reads ``<k`` when it is 1..k-1."""
    study = study_settings(study)
    from her2rwe.outputs.plotting import forest, km, response, style, toxicity
    from her2rwe.outputs.shareable import mask_risk_rows

    k = int(min_cell_count or 0)

    names = names or figure_names(study)
    fig_cfg = study.get("figures") or {}
    width = fig_cfg["width"]
    conf = float(study["conf_level"])
    arms = display_arms(tables)
    colors = style.arm_colors(arms)
    single_arm = len(arms) == 1
    subgroups = {sg["variable"]: sg for sg in study.get("subgroups") or []}
    surv, curves, risk = tables["survival"], tables["km_curves"], tables["risk_table"]
    sub = tables["subgroup_survival"]
    sub_shown = tables.get("subgroup_survival_shown")  # same rows, counts masked (or None)

    def split_styles(split: str, endpoint: str) -> dict[str, dict[str, Any]]:
        groups = surv.loc[(surv["split"] == split) & (surv["endpoint"] == endpoint), "group"]
        return style.group_styles(list(dict.fromkeys(groups.astype(str))), arms)

    for name in names:
        kind = figure_kind(name)
        if kind in ("km", "km_subgroup"):
            endpoint = next(
                ep
                for ep in study["endpoints"]
                if name == f"km_{ep}" or name.startswith(f"km_{ep}_")
            )
            split = "arm" if kind == "km" else name.removeprefix(f"km_{endpoint}_")
            label, origin = _endpoint_text(study, endpoint)
            if kind == "km":
                lines = (
                    []
                    if single_arm
                    else km.arm_comparison_lines(tables["comparisons"], endpoint, conf)
                )
            else:
                sg_label = (subgroups.get(split) or {}).get("label") or split
                lines = km.subgroup_comparison_lines(sub, endpoint, split, conf, sg_label)
            title = "" if kind == "km" else f"{label} by {sg_label}"
            panel = km.select_panel(
                curves,
                risk,
                surv,
                endpoint,
                split,
                lines,
                fig_cfg.get("xmax"),
                title,
                float(fig_cfg["risk_table_interval"]),
            )
            if not panel.groups or all(len(c) == 0 for c in panel.curves.values()):
                what = "the arms" if kind == "km" else f"subgroup {split}"
                yield (
                    name,
                    style.placeholder(f"No Kaplan-Meier estimates of {label} for {what}.", label),
                )
                continue
            panel.at_risk = mask_risk_rows(panel.at_risk, k)
            panel.cum_events = mask_risk_rows(panel.cum_events, k)
            styles = split_styles(split, endpoint)
            for g in panel.groups:
                styles.setdefault(g, {"color": style.NEUTRAL, "linestyle": "-"})
            yield (
                name,
                km.plot_km(
                    panel,
                    styles,
                    ylabel=label,
                    xlabel=km.time_axis_label(origin),
                    conf_level=conf,
                    ci_band=bool(fig_cfg["ci_band"]),
                    cumulative_events=bool(fig_cfg["cumulative_events"]),
                    width=width,
                ),
            )
        elif kind == "forest":
            endpoint = name.removeprefix("forest_")
            label, _ = _endpoint_text(study, endpoint)
            rows = sub[sub["endpoint"] == endpoint]
            if not (rows["level"].astype(str) != "Overall").any():
                yield (
                    name,
                    style.placeholder(
                        f"No subgroup estimates of {label}.", f"Forest plot: {label}"
                    ),
                )
                continue
            color_of = {}
            for var in dict.fromkeys(rows["variable"].astype(str)):
                for g, st in split_styles(var, endpoint).items():
                    color_of[(var, g)] = st["color"]
            table = forest.forest_table(
                rows,
                endpoint,
                single_arm=single_arm,
                single_arm_forest=study["single_arm_forest"],
                colors=lambda var, group, cmap=color_of: cmap.get(
                    (var, group), colors.get(group, style.NEUTRAL)
                ),
                endpoint_label=endpoint.upper(),
                conf_level=conf,
                survival=surv,
                min_cell_count=k,
                shown=None
                if sub_shown is None
                else sub_shown[(sub["endpoint"] == endpoint).to_numpy()],
                shown_survival=tables.get("survival_shown"),
            )
            yield name, forest.plot_forest(table, width)
        elif kind == "response":
            best = tables["best_response"]
            recorded = best[best["response"].astype(str) != "missing"]
            if not len(recorded) or float(recorded["n"].fillna(0).sum()) == 0:
                yield (
                    name,
                    style.placeholder(
                        "No best overall response recorded.", "Best overall response"
                    ),
                )
                continue
            rates = tables["response"]
            resp_arms = [a for a in arms if a in set(best["arm"].astype(str))] or list(
                dict.fromkeys(best["arm"].astype(str))
            )
            cbr_weeks = (study.get("response") or {})["cbr_min_weeks"]
            yield (
                name,
                response.plot_response(
                    best,
                    rates,
                    resp_arms,
                    style.arm_colors(resp_arms) if not arms else colors,
                    cbr_weeks=cbr_weeks,
                    conf_level=conf,
                    width=width,
                    min_cell_count=k,
                ),
            )
        elif kind == "toxicity":
            ae = tables["adverse_events"]
            ae_arms = [a for a in arms if a in set(ae["arm"].astype(str))]
            ae = ae[ae["arm"].astype(str).isin(ae_arms)]  # drops an "Overall" row if present
            if not len(ae) or not (ae["any_grade_n"].fillna(0) > 0).any():
                yield (
                    name,
                    style.placeholder("No adverse events recorded.", "Adverse events by grade"),
                )
                continue
            yield name, toxicity.plot_toxicity(ae, ae_arms, colors, width=width, min_cell_count=k)
        else:  # pragma: no cover - figure_names only makes the kinds above
            raise ValueError(f"unknown figure {name!r}")
