"""Competing-risks analysis of a study: cumulative incidence tables, curves and arm comparisons.

prepare -> compute -> arrange: :func:`summarize_competing` takes the analysis dataset (one row per
patient, ``{ep}_months`` and ``{ep}_status`` per competing-risks endpoint: 0 censored, 1 event,
2 competing event) and the validated study block, and returns unrounded tables:

- ``cumulative_incidence``: per endpoint, arm (and ``All``), event type (``event`` or
  ``competing``) and landmark time, the Aalen-Johansen cumulative incidence (a proportion, 0-1) with
  the variance of R ``cmprsk::cuminc`` and the log(-log) CI, the numbers at risk and of events by
  then, and the crude proportion over the whole follow-up;
- ``competing_comparisons``: per non-reference arm against the reference arm (the two arms alone),
  Gray's test (rho = 0) and the Fine-Gray subdistribution hazard ratio (``cmprsk::crr``);
- ``cif_curves`` and ``risk_table``: the step functions and the numbers at risk that the figure
  draws.

Estimators: :mod:`her2rwe.stats.competing` (docs/methods.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from her2rwe.config import study_settings
from her2rwe.derive.dataset import arm_levels, reference_arm
from her2rwe.formatting import LevelLabels, risk_table_interval
from her2rwe.stats import competing

EVENT_TYPES = {1: "event", 2: "competing"}
# the columns issue 16 requires first, in its order; then the counts the suppression works on
CIF_COLUMNS = [
    "endpoint", "arm", "event_type", "time", "cif", "cif_se", "cif_lower", "cif_upper",
    "n", "n_risk", "events", "events_total", "crude_pct", "conf_level", "note",
]  # fmt: skip
COMPARISON_COLUMNS = [
    "endpoint", "arm", "reference", "gray_chisq", "gray_p", "shr", "shr_lower", "shr_upper",
    "shr_p", "n", "events", "competing", "gray_df", "note",
]  # fmt: skip
CURVE_COLUMNS = ["endpoint", "arm", "event_type", "time", "cif", "cif_lower", "cif_upper"]
RISK_COLUMNS = ["endpoint", "arm", "time", "n_risk", "cum_events", "cum_competing"]


@dataclass
class CompetingResults:
    cumulative_incidence: pd.DataFrame
    competing_comparisons: pd.DataFrame
    cif_curves: pd.DataFrame
    risk_table: pd.DataFrame


def analysis_columns(study: Mapping[str, Any], available) -> list[str]:
    """The analysis-dataset columns this stage reads."""
    study = study_settings(study)
    wanted = ["arm"]
    for ep in study["competing_endpoints"]:
        wanted += [f"{ep}_months", f"{ep}_status"]
    present = set(available)
    return [c for c in wanted if c in present]


def endpoint_arrays(data: pd.DataFrame, ep: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times, status codes and the rows where both are present."""
    t = data[f"{ep}_months"].to_numpy(float, na_value=np.nan)
    s = data[f"{ep}_status"].to_numpy(float, na_value=np.nan)
    ok = ~(np.isnan(t) | np.isnan(s))
    return t, np.where(ok, s, 0).astype(int), ok


def _group_rows(ep, arm, t, s, times, conf_level) -> list[dict[str, Any]]:
    rows = []
    n = len(t)
    st = np.sort(t)
    for code, kind in EVENT_TYPES.items():
        et = np.sort(t[s == code])
        total = len(et)
        base = {"endpoint": ep, "arm": arm, "event_type": kind, "n": n,
                "events_total": total, "conf_level": conf_level}  # fmt: skip
        if n == 0:
            for x in times:
                rows.append({**base, "time": x, "n_risk": 0, "events": 0, "cif": np.nan,
                             "cif_se": np.nan, "cif_lower": np.nan, "cif_upper": np.nan,
                             "crude_pct": np.nan, "note": "no patients"})  # fmt: skip
            continue
        fit = competing.cumulative_incidence(t, s, cause=code)
        cif, var = fit.at(times)
        lower, upper = competing.cif_confint(cif, var, conf_level)
        for i, x in enumerate(times):
            note = "after the last follow-up" if x > fit.last_followup else ""
            rows.append({**base, "time": x,
                         "n_risk": int(n - np.searchsorted(st, x, side="left")),
                         "events": int(np.searchsorted(et, x, side="right")),
                         "cif": cif[i], "cif_se": np.sqrt(var[i]), "cif_lower": lower[i],
                         "cif_upper": upper[i], "crude_pct": 100.0 * total / n, "note": note})  # fmt: skip
    return rows


def _curve(ep, arm, t, s, conf_level) -> list[pd.DataFrame]:
    parts = []
    for code, kind in EVENT_TYPES.items():
        if len(t) == 0:
            continue
        fit = competing.cumulative_incidence(t, s, cause=code)
        time = np.r_[0.0, fit.time, fit.last_followup]
        cif = np.r_[0.0, fit.cif, fit.cif[-1] if len(fit.cif) else 0.0]
        var = np.r_[0.0, fit.var, fit.var[-1] if len(fit.var) else 0.0]
        lower, upper = competing.cif_confint(cif, var, conf_level)
        parts.append(pd.DataFrame({"endpoint": ep, "arm": arm, "event_type": kind, "time": time,
                                   "cif": cif, "cif_lower": lower, "cif_upper": upper}))  # fmt: skip
    return parts


def compare(t, s, arms, arm, reference, ep, conf_level) -> dict[str, Any]:
    """Gray's test and the Fine-Gray SHR of ``arm`` vs ``reference`` on the two arms' patients."""
    sel = np.isin(arms, [arm, reference])
    x = (arms[sel] == arm).astype(float)
    ts, ss = t[sel], s[sel]
    row: dict[str, Any] = {"endpoint": ep, "arm": arm, "reference": reference,
                           "n": int(sel.sum()), "events": int((ss == 1).sum()),
                           "competing": int((ss == 2).sum())}  # fmt: skip
    for key in ("gray_chisq", "gray_df", "gray_p", "shr", "shr_lower", "shr_upper", "shr_p"):
        row[key] = np.nan
    notes = []
    if x.sum() == 0 or x.sum() == len(x):
        row["note"] = "one of the two arms has no patients: not comparable"
        return row
    if (ss == 1).sum() == 0:
        row["note"] = "no events: Gray's test and the subdistribution hazard ratio not defined"
        return row
    gray = competing.gray_test(ts, ss, x)
    row.update(gray_chisq=gray.chisq, gray_df=gray.df, gray_p=gray.p)
    for side, label in ((1.0, arm), (0.0, reference)):
        if (ss[x == side] == 1).sum() == 0:
            notes.append(f"no events in arm {label}: subdistribution hazard ratio not estimable")
    if not notes:
        fit = competing.fine_gray(ts, ss, x[:, None])
        if fit.converged:
            lo, hi = fit.confint(conf_level)
            row.update(shr=float(np.exp(fit.coef[0])), shr_lower=lo[0], shr_upper=hi[0],
                       shr_p=float(fit.p[0]))  # fmt: skip
        else:
            notes.append("Fine-Gray model did not converge: subdistribution hazard ratio omitted")
    row["note"] = "; ".join(notes)
    return row


def summarize_competing(data: pd.DataFrame, study: Mapping[str, Any]) -> CompetingResults:
    """Every competing-risks table of docs/outputs.md for one study (unrounded)."""
    study = study_settings(study)
    conf_level = float(study["conf_level"])
    times = [float(x) for x in study["landmarks"]]
    chosen = study["figures"].get("risk_table_interval")
    arms_all = data["arm"].astype("string").fillna("").to_numpy(dtype=object)
    present = sorted(a for a in pd.unique(arms_all).tolist() if a != "")
    levels = arm_levels(study, present)
    ref = reference_arm(study, present)
    cif_rows, comp_rows, curve_parts, risk_parts = [], [], [], []
    for ep in study["competing_endpoints"]:
        t, s, ok = endpoint_arrays(data, ep)
        axis_end = study["figures"].get("xmax")
        if axis_end is None:
            axis_end = float(np.nanmax(t)) if ok.any() else 0.0
        interval = float(chosen) if chosen else risk_table_interval(axis_end)
        ticks = np.arange(0.0, axis_end + 1e-9, interval)
        for arm in [*levels, "All"]:
            sel = ok & ((arms_all == arm) if arm != "All" else np.ones(len(t), bool))
            ta, sa = t[sel], s[sel]
            cif_rows += _group_rows(ep, arm, ta, sa, times, conf_level)
            curve_parts += _curve(ep, arm, ta, sa, conf_level)
            st = np.sort(ta)
            risk_parts.append(pd.DataFrame({
                "endpoint": ep, "arm": arm, "time": ticks,
                "n_risk": len(st) - np.searchsorted(st, ticks, side="left"),
                "cum_events": np.searchsorted(np.sort(ta[sa == 1]), ticks, side="right"),
                "cum_competing": np.searchsorted(np.sort(ta[sa == 2]), ticks, side="right"),
            }))  # fmt: skip
        for arm in levels:
            if arm != ref:
                comp_rows.append(compare(t[ok], s[ok], arms_all[ok], arm, ref, ep, conf_level))

    def concat(parts, columns):
        out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        return out.reindex(columns=columns)

    return CompetingResults(
        cumulative_incidence=pd.DataFrame(cif_rows).reindex(columns=CIF_COLUMNS),
        competing_comparisons=pd.DataFrame(comp_rows).reindex(columns=COMPARISON_COLUMNS),
        cif_curves=concat(curve_parts, CURVE_COLUMNS),
        risk_table=concat(risk_parts, RISK_COLUMNS),
    )


def _count_pct(n: Any, pct: Any) -> str:
    """``21 (3.2%)``; a masked count (``<11``, ``*``) as it is, its percentage with it."""
    from her2rwe import formatting as fm

    if fm.is_missing(n):
        return ""
    if isinstance(n, str) and not n.strip().lstrip("+-").replace(".", "", 1).isdigit():
        return n
    return f"{int(float(n))} ({fm.fmt_num(pct, 1, missing='-')}%)"


def event_labels(study: Mapping[str, Any], ep: str) -> dict[str, str]:
    """``{"event": "ILD recurrence", "competing": "Death (competing)", "rival": "death"}`` from the
    endpoint's definition (``Competing event`` and no rival in the duration form)."""
    from her2rwe.derive.endpoints import endpoint_definitions

    d = endpoint_definitions(study).get(ep)
    if d is None or not d.is_competing:
        return {"event": ep.upper(), "competing": "Competing event", "rival": ""}
    rival = " or ".join(dict.fromkeys(s.label.replace("_", " ") for s in d.competing))
    return {
        "event": d.display,
        "competing": f"{rival[0].upper()}{rival[1:]} (competing)",
        "rival": rival,
    }


def format_tables(
    results: CompetingResults, study: Mapping[str, Any], notes: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Markdown tables for people: cumulative_incidence.md (per endpoint, arm and event type the
    cumulative incidence in % at each landmark) and competing_comparisons.md (subdistribution
    hazard ratio and Gray's test). Count cells are printed as they are, so a shareable copy (counts
    masked as ``<11`` / ``*``) formats as well; ``notes`` adds a footnote per table."""
    from her2rwe import formatting as fm

    study = study_settings(study)
    labels = LevelLabels.of(study)
    notes = notes or {}
    conf = f"{float(study['conf_level']) * 100:g}%"
    title = study.get("title") or ""
    footer = ["Synthetic data." if study.get("synthetic") else ""]
    ci = results.cumulative_incidence
    times = sorted({float(t) for t in ci["time"]})
    if ci["arm"].astype(str).nunique() <= 2:  # a single arm: its rows are the All rows
        ci = ci[ci["arm"].astype(str) != "All"]
    rows = []
    for (ep, arm, kind), g in ci.groupby(["endpoint", "arm", "event_type"], sort=False):
        g = g.set_index("time")
        first = g.iloc[0]
        cells = [
            fm.fmt_estimate_ci(*(100 * float(g.at[t, c]) if not fm.is_missing(g.at[t, c])
                                 else None for c in ("cif", "cif_lower", "cif_upper")),
                               missing="NE")
            for t in times
        ]  # fmt: skip
        label = event_labels(study, ep)[kind]
        rows.append(
            [label, arm if arm == "All" else labels.arm(arm), first["n"], _count_pct(first["events_total"], first["crude_pct"]), *cells]
        )
    ci_md = fm.markdown_table(
        rows,
        [
            "Event",
            "Arm",
            "N",
            "Events, n (%)",
            *(f"{fm.fmt_num(t, 0)} months, % ({conf} CI)" for t in times),
        ],
        title=f"Cumulative incidence{': ' + title if title else ''}",
        align=["l", "l", *["r"] * (2 + len(times))],
        footnotes=[
            "Aalen-Johansen cumulative incidence with the competing event as such, not censored; "
            f"variance of Gray (as R cmprsk cuminc), {conf} CI on the log(-log) scale. NE, not "
            "estimable (after the last follow-up).",
            "Events: of the type over the whole follow-up (crude %).",
            *([notes["cumulative_incidence"]] if notes.get("cumulative_incidence") else []),
            *footer,
        ],
    )
    rows = []
    for r in results.competing_comparisons.itertuples(index=False):
        shr = fm.fmt_estimate_ci(r.shr, r.shr_lower, r.shr_upper, 2, "-")
        rows.append([
            event_labels(study, r.endpoint)["event"], f"{labels.arm(r.arm)} vs {labels.arm(r.reference)}", r.n, r.events,
            r.competing, shr, fm.fmt_p(r.shr_p), fm.fmt_p(r.gray_p),
            r.note if isinstance(r.note, str) else "",
        ])  # fmt: skip
    comparisons_md = fm.markdown_table(
        rows,
        [
            "Event",
            "Comparison",
            "N",
            "Events",
            "Competing",
            f"SHR ({conf} CI)",
            "p (SHR)",
            "Gray's p",
            "Note",
        ],  # fmt: skip
        title=f"Competing-risks comparisons{': ' + title if title else ''}",
        align=["l", "l", *["r"] * 6, "l"],
        footnotes=[
            "SHR, subdistribution hazard ratio (Fine-Gray, as R cmprsk crr) with Wald CI and p; "
            "Gray's test (rho = 0) on the two arms.",
            *([notes["competing_comparisons"]] if notes.get("competing_comparisons") else []),
            *footer,
        ],
    )
    return {"cumulative_incidence": ci_md, "competing_comparisons": comparisons_md}
