"""Trial context: published trial arms, reconstructed from their Kaplan-Meier curves, beside the
real-world arms (docs/trial_context.md).

prepare -> compute -> arrange. :func:`reconstruct_arm` reads one ``studies.<name>.trial_context``
item's digitised files and reconstructs its patient data (Guyot et al. 2012,
:mod:`her2rwe.stats.ipd`); the other functions turn the reconstructed arms and the study's results
into tidy, unrounded tables: the fit report of each arm, the comparison of medians and landmark
rates, the optional Cox hazard ratio of each real-world arm against the reconstructed arm, and
parametric models (:mod:`her2rwe.stats.parametric`) of every arm of an endpoint that has one.
Real-world counts are taken from the shareable survival tables (masked when small), never
recomputed here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from her2rwe.analyses.survival import Settings, fit_cox, summarize_group
from her2rwe.config import study_settings
from her2rwe.formatting import LevelLabels
from her2rwe.records.digitised import read_at_risk, read_curve
from her2rwe.stats import ipd, km, parametric

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
REAL_WORLD = "real-world"
RECONSTRUCTED = "reconstructed"
CAVEAT = (
    "Cross-study comparison, descriptive only: the trial arm is reconstructed from a published "
    "Kaplan-Meier curve (Guyot et al. 2012), and its patients were not randomised against the "
    "real-world cohort. Eligibility, prior therapy, time origin, assessment schedules and endpoint "
    "definitions differ between the studies, and the hazard ratio is not adjusted for any of them."
)
COMPARISON_COLUMNS = [
    "endpoint",
    "source",
    "arm",
    "n",
    "events",
    "median",
    "median_lower",
    "median_upper",
]
COX_COLUMNS = [
    "endpoint", "arm", "trial_arm", "n", "events", "trial_n", "trial_events", "hr", "hr_lower",
    "hr_upper", "hr_p", "ties", "note",
]  # fmt: skip
FIT_COLUMNS = ["quantity", "time", "input", "reconstructed", "difference"]
PARAMETRIC_COLUMNS = [
    "endpoint", "source", "arm", "distribution", "mu", "sigma", "q", "loglik", "n_params", "aic",
    "bic", "delta_aic", "mean", "rmst", "horizon", "converged", "note",
]  # fmt: skip


def check_name(name: str) -> str:
    """A trial arm's name becomes part of a file name: letters, digits and underscores only."""
    if not isinstance(name, str) or not NAME.match(name):
        raise ValueError(
            f"trial_context name {name!r}: use letters, digits and underscores, starting with a letter"
        )
    return name


@dataclass
class TrialArm:
    """One reconstructed trial arm: its config item, the reconstruction and its KM fit."""

    name: str
    label: str
    endpoint: str
    source: str
    cox: bool
    rec: ipd.Reconstruction
    fit: km.KMFit


def reconstruct_arm(
    item: Mapping[str, Any], settings: Settings, workdir: str | Path = "."
) -> TrialArm:
    """Read one trial_context item's files and reconstruct its patient data."""
    name = check_name(item["name"])
    t, s = read_curve(Path(workdir) / item["curve"])
    risk_time = n_risk = None
    if item.get("at_risk") is not None:
        risk_time, n_risk = read_at_risk(Path(workdir) / item.get("at_risk"))
    rec = ipd.reconstruct(
        t,
        s,
        risk_time=risk_time,
        n_risk=n_risk,
        n=item.get("n"),
        total_events=item.get("total_events"),
        scale=item["scale"],
    )
    fit = km.kaplan_meier(rec.time, rec.event, settings.band_type, settings.conf_level)
    return TrialArm(
        name=name,
        label=item.get("label") or name,
        endpoint=item["endpoint"],
        source=item.get("source") or "",
        cox=bool(item["cox"]),
        rec=rec,
        fit=fit,
    )


def ipd_table(arm: TrialArm) -> pd.DataFrame:
    """The reconstructed patient data: one row per patient, ``time`` (months) and ``event``."""
    return pd.DataFrame({"time": arm.rec.time, "event": arm.rec.event.astype(int)})


def _median(time: np.ndarray, surv: np.ndarray) -> float:
    """The first time a step curve is at or below 0.5 (NaN if never)."""
    below = np.flatnonzero(np.asarray(surv) <= 0.5)
    return float(time[below[0]]) if len(below) else np.nan


def fit_report(arm: TrialArm) -> pd.DataFrame:
    """How well the reconstruction reproduces its inputs, one row per quantity.

    ``input`` is what the digitised curve, at-risk table or published total says; ``reconstructed``
    is the same quantity from the reconstructed data. ``rmse_surv`` and ``max_abs_diff_surv``
    compare the reconstructed KM with the (cleaned) digitised points at their times.
    """
    rec, fit = arm.rec, arm.fit
    pts_t, pts_s = rec.curve.time, rec.curve.surv
    at_points = ipd.step_value(fit.time, fit.surv, pts_t)
    diff = at_points - pts_s
    nan = np.nan
    rows = [
        ("patients", nan, rec.n_risk_published[0], rec.n),
        (
            "events",
            nan,
            nan if rec.total_events_published is None else rec.total_events_published,
            rec.events,
        ),
        ("median", nan, _median(pts_t, pts_s), float(km.km_quantiles(fit, (0.5,))[0, 0])),
        ("digitised_points", nan, rec.curve.n_input, len(pts_t)),
        ("rmse_surv", nan, nan, float(np.sqrt(np.mean(diff**2)))),
        ("max_abs_diff_surv", nan, nan, float(np.max(np.abs(diff)))),
    ]
    for t, a, b in zip(rec.risk_time, rec.n_risk_published, rec.n_risk_reconstructed, strict=True):
        rows.append(("n_risk", float(t), a, b))
    table = pd.DataFrame(rows, columns=["quantity", "time", "input", "reconstructed"])
    table["difference"] = table["reconstructed"] - table["input"]
    return table[FIT_COLUMNS]


def fit_markdown(arm: TrialArm, report: pd.DataFrame) -> str:
    """The fit report for people: the numbers, what cleaning changed, and any warnings."""
    from her2rwe import formatting as fm

    def num(x, digits=3):
        return "" if pd.isna(x) else (f"{int(x)}" if float(x) == int(x) else fm.fmt_num(x, digits))

    rows = [
        [r.quantity, num(r.time, 1), num(r.input), num(r.reconstructed), num(r.difference)]
        for r in report.itertuples()
    ]
    changes = [
        f"- {c['step']}: {c['n_points']} point(s): {c['detail']}" for c in arm.rec.curve.changes
    ]
    notes = [f"- {n}" for n in arm.rec.notes]
    text = fm.markdown_table(
        rows,
        ["Quantity", "Time", "Input", "Reconstructed", "Difference"],
        title=f"Reconstruction of {arm.label} ({arm.endpoint.upper()})",
        footnotes=[
            f"Source: {arm.source}" if arm.source else "",
            "Guyot et al. 2012 algorithm; survival compared with the digitised points at their times.",
        ],
    )
    text += (
        "\nCleaning of the digitised points:\n\n" + ("\n".join(changes) or "- none needed") + "\n"
    )
    text += "\nWarnings:\n\n" + ("\n".join(notes) or "- none") + "\n"
    return text


def landmark_columns(landmarks: Sequence[float]) -> list[str]:
    return [f"surv_{t:g}{part}" for t in landmarks for part in ("", "_lower", "_upper")]


def trial_rows(arms: Sequence[TrialArm], study: Mapping[str, Any]) -> pd.DataFrame:
    """Medians and landmark survival of the reconstructed arms, by the study's own methods."""
    settings = Settings.from_study(study)
    rows = []
    for arm in arms:
        row, fit = summarize_group(arm.rec.time, arm.rec.event.astype(float), settings, None)
        out = {"endpoint": arm.endpoint, "source": RECONSTRUCTED, "arm": arm.label}
        out.update({k: row[k] for k in ("n", "events", "median", "median_lower", "median_upper")})
        at = km.km_at(fit, settings.landmarks)
        for j, t in enumerate(settings.landmarks):
            out[f"surv_{t:g}"] = at["surv"][j]
            out[f"surv_{t:g}_lower"] = at["lower"][j]
            out[f"surv_{t:g}_upper"] = at["upper"][j]
        rows.append(out)
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS + landmark_columns(settings.landmarks))


def comparison_table(
    survival_shown: pd.DataFrame,
    landmarks_shown: pd.DataFrame,
    arms: Sequence[TrialArm],
    study: Mapping[str, Any],
) -> pd.DataFrame:
    """Real-world arms (from the shareable survival and landmark tables) beside the trial arms.

    One row per endpoint that has a trial arm and per arm: the real-world arms first, in the
    order of survival.csv, then the reconstructed arms in config order.
    """
    settings = Settings.from_study(study)
    columns = COMPARISON_COLUMNS + landmark_columns(settings.landmarks)
    rows = []
    trial = trial_rows(arms, study)
    for endpoint in dict.fromkeys(a.endpoint for a in arms):
        surv = survival_shown[
            (survival_shown["endpoint"] == endpoint) & (survival_shown["split"] == "arm")
        ]
        marks = landmarks_shown[
            (landmarks_shown["endpoint"] == endpoint) & (landmarks_shown["split"] == "arm")
        ]
        for r in surv.itertuples(index=False):
            out = {"endpoint": endpoint, "source": REAL_WORLD, "arm": str(r.group)}
            out.update(
                {
                    k: getattr(r, k)
                    for k in ("n", "events", "median", "median_lower", "median_upper")
                }
            )
            for t in settings.landmarks:
                m = marks[
                    (marks["group"].astype(str) == str(r.group))
                    & np.isclose(marks["time"].astype(float), t)
                ]
                for part, col in (("", "surv"), ("_lower", "surv_lower"), ("_upper", "surv_upper")):
                    out[f"surv_{t:g}{part}"] = m[col].iloc[0] if len(m) else np.nan
            rows.append(out)
        rows += trial[trial["endpoint"] == endpoint].to_dict("records")
    return pd.DataFrame(rows, columns=columns)


def cox_table(
    data: pd.DataFrame,
    arms: Sequence[TrialArm],
    study: Mapping[str, Any],
    survival_shown: pd.DataFrame,
) -> pd.DataFrame:
    """Cox HR of each real-world arm against each reconstructed arm with ``cox: true``.

    The reconstructed arm is the reference (HR < 1: lower hazard in the real-world arm). Times of
    the two sources are merged as R's timefix would; no strata (the strata are real-world columns).
    The real-world n and events are those of the shareable survival table (masked when small).
    """
    settings = Settings.from_study(study)
    arm_col = study_settings(study)["arms"]["column"]
    rows = []
    for arm in arms:
        if not arm.cox:
            continue
        ep = arm.endpoint
        t = data[f"{ep}_months"].to_numpy(dtype=float, na_value=np.nan)
        e = data[f"{ep}_event"].to_numpy(dtype=float, na_value=np.nan)
        ok = ~(np.isnan(t) | np.isnan(e))
        groups = data[arm_col].astype(str).to_numpy()
        shown = survival_shown[
            (survival_shown["endpoint"] == ep) & (survival_shown["split"] == "arm")
        ]
        for r in shown.itertuples(index=False):
            sel = ok & (groups == str(r.group))
            x = np.r_[np.ones(int(sel.sum())), np.zeros(arm.rec.n)]
            tt = km.timefix(np.r_[t[sel], arm.rec.time])
            ee = np.r_[e[sel], arm.rec.event.astype(float)]
            row = {
                "endpoint": ep, "arm": str(r.group), "trial_arm": arm.label, "n": r.n,
                "events": r.events, "trial_n": arm.rec.n, "trial_events": arm.rec.events,
                "hr": np.nan, "hr_lower": np.nan, "hr_upper": np.nan, "hr_p": np.nan,
                "ties": settings.ties, "note": "",
            }  # fmt: skip
            if sel.sum() == 0:
                row["note"] = "no real-world patients in this arm"
            elif e[sel].sum() == 0 or arm.rec.events == 0:
                row["note"] = "no events on one side: hazard ratio not estimable"
            else:
                fit, _, why = fit_cox(
                    x[:, None],
                    tt,
                    ee,
                    None,
                    settings.ties,
                    [str(r.group)],
                    {"arm": [0]},
                    ph_test=False,
                )
                if fit is None:
                    row["note"] = why
                else:
                    lo, hi = fit.ci(settings.conf_level)
                    row.update(hr=fit.hr[0], hr_lower=lo[0], hr_upper=hi[0], hr_p=fit.p[0])
            rows.append(row)
    return pd.DataFrame(rows, columns=COX_COLUMNS)


def parametric_table(
    data: pd.DataFrame, arms: Sequence[TrialArm], study: Mapping[str, Any]
) -> pd.DataFrame:
    """Parametric models of every real-world arm and every reconstructed arm of the endpoints that
    have a trial arm (``studies.<name>.parametric``: distributions and horizon).

    ``delta_aic`` is the AIC minus the smallest AIC of the same arm. Patients with time 0 cannot
    enter a parametric likelihood (as in survreg); they are left out and the note says how many.
    """
    cfg = study_settings(study)
    options = cfg["parametric"]
    horizon = float(options["horizon"])
    arm_col = cfg["arms"]["column"]
    rows = []

    def fit_rows(endpoint, source, label, t, e):
        keep = t > 0
        note = "" if keep.all() else f"{int((~keep).sum())} patient(s) with time 0 left out"
        out = []
        for dist in options["distributions"]:
            row = {
                "endpoint": endpoint,
                "source": source,
                "arm": label,
                "distribution": dist,
                "horizon": horizon,
            }
            try:
                f = parametric.fit_parametric(t[keep], e[keep], dist)
            except parametric.ParametricFitError as exc:
                row.update(converged=False, note="; ".join(x for x in (note, str(exc)) if x))
                out.append(row)
                continue
            row.update(
                mu=f.mu, sigma=f.sigma, q=np.nan if f.q is None else f.q, loglik=f.loglik,
                n_params=f.n_params, aic=f.aic, bic=f.bic, converged=f.converged, note=note,
            )  # fmt: skip
            if f.converged:
                row.update(mean=f.mean(), rmst=f.rmst(horizon))
            else:
                row["note"] = "; ".join(x for x in (note, "did not converge") if x)
            out.append(row)
        table = pd.DataFrame(out)
        if "aic" in table and table["aic"].notna().any():
            table["delta_aic"] = table["aic"] - table["aic"].min()
        return table.to_dict("records")

    for endpoint in dict.fromkeys(a.endpoint for a in arms):
        t = data[f"{endpoint}_months"].to_numpy(dtype=float, na_value=np.nan)
        e = data[f"{endpoint}_event"].to_numpy(dtype=float, na_value=np.nan)
        ok = ~(np.isnan(t) | np.isnan(e))
        groups = data[arm_col].astype(str).to_numpy()
        for g in sorted(set(groups[ok])):
            sel = ok & (groups == g)
            rows += fit_rows(endpoint, REAL_WORLD, g, t[sel], e[sel])
        for arm in arms:
            if arm.endpoint == endpoint:
                rows += fit_rows(
                    endpoint, RECONSTRUCTED, arm.label, arm.rec.time, arm.rec.event.astype(float)
                )
    return pd.DataFrame(rows, columns=PARAMETRIC_COLUMNS)


def curves_table(arms: Sequence[TrialArm]) -> pd.DataFrame:
    """The reconstructed arms' KM steps (for the figure overlay): endpoint, group, time, surv."""
    parts = []
    for arm in arms:
        parts.append(
            pd.DataFrame(
                {
                    "endpoint": arm.endpoint,
                    "group": arm.label,
                    "time": np.r_[0.0, arm.fit.time],
                    "surv": np.r_[1.0, arm.fit.surv],
                }
            )
        )
    columns = ["endpoint", "group", "time", "surv"]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)


# ------------------------------------------------------------------------------------------------
# arrange: Markdown for people


def _source_notes(arms: Sequence[TrialArm]) -> list[str]:
    return [
        f"{a.label} ({a.endpoint.upper()}): reconstructed from a digitised Kaplan-Meier curve"
        + (f"; source: {a.source}" if a.source else "")
        for a in arms
    ]


def format_comparison(
    table: pd.DataFrame, arms: Sequence[TrialArm], study: Mapping[str, Any]
) -> str:
    """The comparison table for people: medians and landmark survival (%) with CIs."""
    from her2rwe import formatting as fm

    settings = Settings.from_study(study)
    conf = f"{settings.conf_level * 100:g}%"

    def pct(x):
        return (
            fm.fmt_num(100 * x, 1, "-")
            if not fm.is_missing(x) and not isinstance(x, str)
            else fm.fmt_num(x, 1, "-")
        )

    labels = LevelLabels.of(study)
    rows = []
    for r in table.to_dict("records"):
        arm = labels.arm(r["arm"]) if r["source"] == REAL_WORLD else r["arm"]
        row = [r["endpoint"].upper(), r["source"], arm, r["n"], r["events"],
               fm.fmt_estimate_ci(r["median"], r["median_lower"], r["median_upper"])]  # fmt: skip
        for t in settings.landmarks:
            est, lo, hi = (r[f"surv_{t:g}{p}"] for p in ("", "_lower", "_upper"))
            row.append("-" if fm.is_missing(est) else f"{pct(est)} ({pct(lo)}-{pct(hi)})")
        rows.append(row)
    header = ["Endpoint", "Source", "Arm", "N", "Events", f"Median, months ({conf} CI)"]
    header += [f"{t:g}-month survival, % ({conf} CI)" for t in settings.landmarks]
    title = study_settings(study).get("title") or ""
    return fm.markdown_table(
        rows,
        header,
        title=f"Real-world arms beside reconstructed trial arms{': ' + title if title else ''}",
        footnotes=[
            *_source_notes(arms),
            f"Kaplan-Meier estimates; median {fm.ci_method_text(settings.ci_method, settings.conf_level)}. "
            "Reconstructed arms: patient data rebuilt from the digitised curve and numbers at risk "
            "(Guyot et al. 2012), then analysed as the real-world arms.",
            "Trial and real-world patients differ in selection and follow-up: the rows are set side by side, not compared.",
            "Synthetic data." if study_settings(study)["synthetic"] else "",
        ],
        align=["l", "l", "l"] + ["r"] * (len(header) - 3),
    )


def format_cox(table: pd.DataFrame, arms: Sequence[TrialArm], study: Mapping[str, Any]) -> str:
    """The Cox table for people, with the cross-study caveat as its footnote."""
    from her2rwe import formatting as fm

    settings = Settings.from_study(study)
    conf = f"{settings.conf_level * 100:g}%"
    rows = [
        [
            r.endpoint.upper(),
            f"{LevelLabels.of(study).arm(r.arm)} vs {r.trial_arm}",
            r.n,
            r.events,
            r.trial_n,
            r.trial_events,
            fm.fmt_estimate_ci(r.hr, r.hr_lower, r.hr_upper, 2, "NE"),
            fm.fmt_p(r.hr_p),
            r.note,
        ]  # fmt: skip
        for r in table.itertuples(index=False)
    ]
    return fm.markdown_table(
        rows,
        [
            "Endpoint",
            "Comparison",
            "N",
            "Events",
            "Trial N",
            "Trial events",
            f"HR ({conf} CI)",
            "Wald p",
            "Note",
        ],
        title="Real-world arms vs reconstructed trial arms (Cox model)",
        footnotes=[
            "† " + CAVEAT,
            f"Cox proportional-hazards model, {settings.ties.capitalize()} ties, Wald {conf} CI; the reconstructed trial arm is the reference.",
            *_source_notes([a for a in arms if a.cox]),
            "No arm has `cox: true`: no hazard ratio estimated." if not len(table) else "",
            "Synthetic data." if study_settings(study)["synthetic"] else "",
        ],
    )


def format_parametric(table: pd.DataFrame, study: Mapping[str, Any]) -> str:
    """The parametric fits for people: AIC/BIC, mean and restricted mean survival."""
    from her2rwe import formatting as fm

    def num(x):  # a cell the shareable table hides holds its marker text (* or <k)
        return x if isinstance(x, str) and x else fm.fmt_num(x, 1, "-")

    def mean(x):
        return "diverges" if not fm.is_missing(x) and np.isinf(x) else fm.fmt_num(x, 1, "-")

    rows = [
        [
            r.endpoint.upper(),
            r.source,
            LevelLabels.of(study).arm(r.arm) if r.source == REAL_WORLD else r.arm,
            parametric.LABELS[r.distribution],
            num(r.aic),
            num(r.bic),
            num(r.delta_aic),
            mean(r.mean),
            fm.fmt_num(r.rmst, 1, "-"),
            r.note,
        ]  # fmt: skip
        for r in table.itertuples(index=False)
    ]
    horizon = study_settings(study)["parametric"]["horizon"]
    return fm.markdown_table(
        rows,
        [
            "Endpoint",
            "Source",
            "Arm",
            "Model",
            "AIC",
            "BIC",
            "ΔAIC",
            "Mean, months",
            f"RMST to {horizon:g} months",
            "Note",
        ],
        title="Parametric survival models",
        footnotes=[
            "Maximum likelihood (Newton's method), parameters as R survreg (log T = mu + sigma W); BIC with n = patients. "
            "Mean: area under the whole fitted curve; RMST: area up to the horizon.",
            "Extrapolation beyond the follow-up of the data rests on the model alone.",
            "Synthetic data." if study_settings(study)["synthetic"] else "",
        ],
    )
