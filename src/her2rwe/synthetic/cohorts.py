"""Synthetic cohorts for the three bundled studies, calibrated to their published results.

The real patient data of the studies in ``shared/seeds`` is not public. This module builds, for each
study, a seeded synthetic cohort in date form (input contract v1) that is consistent with the
paper's design and reproduces its reported numbers:

- counts the paper gives are exact (sample sizes, responders, adverse-event counts, category shares);
- medians (and, for ``tki_after_tdm1``, the SPSS-style CI) hit the published value at the paper's
  rounding, with a margin inside the rounding interval, when computed by the pipeline's own
  estimators.

There is one implementation of every statistic: calibration calls :mod:`her2rwe.stats.km`
(``kaplan_meier``, ``km_quantiles``, ``spss_quantile``) and :mod:`her2rwe.stats.cox` (``cox_ph``), the
functions the survival stage uses, so what is calibrated is exactly what the pipeline computes.

How a cohort is made:

1. covariates and categories are assigned with exact counts (shuffled with the study's seed);
2. latent times (progression, post-progression survival, follow-up, discontinuation, gap to the next
   therapy) are drawn once from Weibull/uniform models whose scales depend on the covariates;
3. the scales are solved by a damped fixed-point iteration so that the exact KM medians of the
   endpoints (and, for ``tki_after_tdm1``, the half-width of the SPSS interval, through the spread
   of the progression times) come close to their targets; times are rounded to whole days;
4. the remaining gap is closed by moving the few event times that decide each median onto the
   target day ("snapping"), endpoint by endpoint in the order PFS, OS, TTF, TTNT, so that a later
   step never changes an earlier endpoint; for ``tki_after_tdm1`` a small search then places the
   event times that decide the SPSS SE (see :func:`_tune_spss`);
5. the endpoints are derived from the written dates with :mod:`her2rwe.derive.endpoints`, exactly as the
   pipeline does, and every target is checked; a miss raises :class:`CalibrationError`.

Dates are shifted: index dates fall in 2030-2035, so no date is a real one. Every file starts with a
``# SYNTHETIC DATA`` comment line. The generator is deterministic: the same seed gives the same
bytes.
"""

from __future__ import annotations

import dataclasses
import io as _io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from her2rwe.derive.endpoints import DAYS_PER_MONTH, EndpointDefinition, derive_endpoint
from her2rwe.stats import cox, km

SEEDS = {"adc_vs_hpc": 20220000, "tki_after_tdm1": 20230001, "post_tdxd_ensemble": 20250002}
SEED_FILES = {
    "adc_vs_hpc": "000_be98aacf0b6e7c1f.txt",
    "tki_after_tdm1": "001_e481710447dfbd65.txt",
    "post_tdxd_ensemble": "002_af2ba4c08a4a66ee.txt",
}


class CalibrationError(RuntimeError):
    """The synthetic cohort does not reproduce a published number."""


# ------------------------------------------------------------------------------------------------
# the pipeline's estimators (her2rwe.stats.km, her2rwe.stats.cox): calibration uses them and nothing else


def km_fit(time, event) -> km.KMFit:
    """The pipeline's Kaplan-Meier fit (:func:`her2rwe.stats.km.kaplan_meier`; the band type does not
    matter for percentiles or the SPSS interval)."""
    return km.kaplan_meier(time, event, conf_type="plain")


def km_median(time, event, p: float = 0.5) -> float:
    """The p-quantile of the survival time as the pipeline computes it (:func:`her2rwe.stats.km.km_quantiles`,
    R ``quantile.survfit``); NaN when not reached."""
    return float(km.km_quantiles(km_fit(time, event), (p,))[0, 0])


def spss_median_ci(time, event, conf_level: float = 0.95) -> tuple[float, float, float, float]:
    """Median, lower, upper and SE of the SPSS-style interval as the pipeline computes it for
    ``ci_method: spss`` (:func:`her2rwe.stats.km.spss_quantile`)."""
    return km.spss_quantile(km_fit(time, event), 0.5, conf_level)


def cox_hr(time, event, group) -> tuple[float, float]:
    """Hazard ratio and Wald p of ``group`` (True vs False) by the pipeline's Cox model
    (:func:`her2rwe.stats.cox.cox_ph`, Efron ties), as the subgroup comparisons of the survival stage."""
    fit = cox.cox_ph(np.asarray(group, dtype=float), time, event, ties="efron")
    return float(fit.hr[0]), float(fit.p[0])


def _quantile_event(fit: km.KMFit, p: float) -> tuple[float | None, float | None, bool]:
    """Where the p-quantile of a fit is decided: the first event time at which S falls to 1 - p,
    the event time after it (None if none), and whether S sits exactly at 1 - p there (then the
    quantile is the midpoint of the two; see :func:`her2rwe.stats.km.km_quantiles`)."""
    ev = fit.n_event > 0
    t_ev, s_ev = fit.time[ev], fit.surv[ev]
    reach = np.flatnonzero(s_ev <= 1.0 - p + km.R_TOLERANCE)
    if not len(reach):
        return None, None, False
    i = int(reach[0])
    nxt = float(t_ev[i + 1]) if i + 1 < len(t_ev) else None
    return float(t_ev[i]), nxt, bool(abs(s_ev[i] - (1.0 - p)) < km.R_TOLERANCE)


# ------------------------------------------------------------------------------------------------
# calibration machinery


def _exact_counts(rng: np.random.Generator, counts: Mapping[str, int]) -> np.ndarray:
    """A shuffled array holding each label exactly its count of times."""
    values = np.concatenate([np.full(n, k, dtype=object) for k, n in counts.items()])
    return values[rng.permutation(len(values))]


def _solve(
    medians: Callable[[dict[str, float]], dict[str, float]],
    params: dict[str, float],
    targets: Mapping[str, float],
    owners: Mapping[str, str],
    damping: float = 0.6,
    n_iter: int = 80,
    rel_tol: float = 0.004,
) -> dict[str, float]:
    """Damped fixed-point iteration on log scales: each target has an owning parameter, which moves
    by log(target / current median) until every median is within ``rel_tol`` of its target."""
    params = dict(params)
    for _ in range(n_iter):
        current = medians(params)
        gaps = {g: np.log(targets[g] / current[g]) for g in targets}
        if all(abs(v) < rel_tol for v in gaps.values()):
            break
        for g, gap in gaps.items():
            params[owners[g]] += damping * gap
    return params


def _snap(
    get: Callable[[], tuple[np.ndarray, np.ndarray]],
    move: Callable[[np.ndarray, int], None],
    groups: Mapping[str, np.ndarray],
    targets: Mapping[str, int],
    movable: np.ndarray | None = None,
    p: float = 0.5,
    max_rounds: int = 400,
) -> None:
    """Move the event times that decide each group's p-quantile onto the target day.

    ``get`` returns the current (time in days, event) of every patient; ``move(rows, day)`` sets the
    event time of those rows to ``day`` (updating whatever depends on it). Repeats over the groups
    until every quantile sits on its target; when S sits exactly at 1 - p, one patient of the next
    event time is moved too, so that S falls below 1 - p on the target day.
    """
    for _ in range(max_rounds):
        done = True
        for name, day in targets.items():
            t, e = get()
            mask = groups[name]
            fit = km_fit(t[mask], e[mask])
            at, nxt, exact = _quantile_event(fit, p)
            if at is not None and not exact and at == day:
                continue
            done = False
            ok = mask & e & (movable if movable is not None else True)
            if at is None:  # not reached: move the last events
                rows = np.flatnonzero(ok & (t == fit.time[fit.n_event > 0][-1]))
            else:
                rows = np.flatnonzero(ok & (t == at))
                if exact and at == day and nxt is not None:
                    rows = np.flatnonzero(ok & (t == nxt))[:1]
            if len(rows) == 0:
                raise CalibrationError(f"group {name!r}: the quantile is decided by a fixed time")
            move(rows, int(day))
        if done:
            return
    raise CalibrationError(f"snapping did not converge for {sorted(targets)}")


def months_to_day(months: float) -> int:
    """The whole day nearest to a time in months (30.4375 days a month)."""
    return int(round(months * DAYS_PER_MONTH))


# ------------------------------------------------------------------------------------------------
# a patient's course after the index date, in whole days


@dataclass
class Course:
    """Latent course of each patient, in days from the index date.

    P progression; Q survival after progression (0 for a death without progression); F end of
    follow-up (data cut-off or loss); wd how many days before progression the index therapy stopped
    (0: stopped at progression); G days from stopping to the next therapy; A days from the last
    tumour assessment to the end of follow-up (PFS-censored patients).
    """

    P: np.ndarray
    Q: np.ndarray
    F: np.ndarray
    wd: np.ndarray
    G: np.ndarray
    A: np.ndarray
    death_only: np.ndarray

    def timeline(self) -> dict[str, np.ndarray]:
        P, F = self.P, self.F
        D = P + self.Q
        died = D <= F
        prog = (P <= F) & ~self.death_only
        pfs_event = prog | (died & self.death_only)
        last_assess = np.where(prog, P, np.maximum(0, np.minimum(F, D) - self.A))
        last_assess = np.where(died & self.death_only, np.maximum(0, D - self.A), last_assess)
        Dd = np.maximum(0, P - self.wd)
        disc = Dd <= np.where(died, D, F)
        N = Dd + self.G
        nxt = disc & (N <= np.where(died, D, F))
        end = np.where(died, D, F)
        return {
            "pfs_time": np.where(pfs_event, P, last_assess),
            "pfs_event": pfs_event,
            "os_time": end,
            "os_event": died,
            "ttf_time": np.where(disc, Dd, end),
            "ttf_event": disc | died,
            "ttnt_time": np.where(nxt, N, end),
            "ttnt_event": nxt | died,
            "progression": np.where(prog, P, -1),
            "death": np.where(died, D, -1),
            "last_assessment": last_assess,
            "last_contact": end,
            "discontinuation": np.where(disc, Dd, -1),
            "next_treatment": np.where(nxt, N, -1),
        }


def _weibull(u: np.ndarray, shape: float) -> np.ndarray:
    """Unit-median Weibull variates from uniforms."""
    return (-np.log(u) / np.log(2.0)) ** (1.0 / shape)


@dataclass
class Draws:
    """The random numbers of a cohort, drawn once so that calibration is deterministic."""

    eP: np.ndarray
    eQ: np.ndarray
    eW: np.ndarray
    tox: np.ndarray
    eG: np.ndarray
    A: np.ndarray
    entry: np.ndarray
    loss: np.ndarray
    death_only: np.ndarray

    @classmethod
    def make(cls, rng: np.random.Generator, n: int, death_only_share: float = 0.05) -> Draws:
        return cls(
            eP=_weibull(rng.random(n), 1.3),
            eQ=_weibull(rng.random(n), 1.2),
            eW=rng.uniform(0.15, 0.85, n),
            tox=rng.random(n),
            eG=_weibull(rng.random(n), 1.5),
            A=rng.integers(0, 43, n),
            entry=rng.random(n),
            loss=rng.exponential(1.0, n),
            death_only=rng.random(n) < death_only_share,
        )


def _course(
    d: Draws,
    p_scale: np.ndarray,
    q_scale: np.ndarray,
    accrual_days: int,
    followup_after_accrual: int,
    loss_scale_days: float,
    tox_share: float,
    gap_scale: np.ndarray | float,
    rounded: bool,
) -> Course:
    P = p_scale * d.eP
    Q = np.where(d.death_only, 0.0, q_scale * d.eQ)
    entry = np.floor(d.entry * accrual_days)
    F = np.minimum(accrual_days + followup_after_accrual - entry, d.loss * loss_scale_days)
    wd = np.where(d.tox < tox_share, d.eW * P, 0.0)
    G = 14 + gap_scale * d.eG
    arrays = [P, Q, F, wd, G]
    if rounded:
        arrays = [np.maximum(np.rint(a), 0).astype(np.int64) for a in arrays]
        arrays[0] = np.maximum(arrays[0], 1)
    return Course(*arrays, A=d.A.astype(np.int64), death_only=d.death_only)


def _medians(tl: Mapping[str, np.ndarray], spec: Mapping[str, tuple[str, np.ndarray]]):
    return {g: km_median(tl[f"{ep}_time"][m], tl[f"{ep}_event"][m]) for g, (ep, m) in spec.items()}


def _snap_endpoint(
    course: Course,
    endpoint: str,
    groups: Mapping[str, np.ndarray],
    targets_days: Mapping[str, int],
    p: float = 0.5,
) -> None:
    """Snap one endpoint's quantiles by editing the latent part that only it and later ones use."""

    def get():
        tl = course.timeline()
        return tl[f"{endpoint}_time"], tl[f"{endpoint}_event"]

    tl0 = course.timeline()
    if endpoint == "pfs":
        movable = tl0["pfs_event"]

        def move(rows, day):
            course.P[rows] = day

    elif endpoint == "os":
        movable = tl0["os_event"] & ~course.death_only

        def move(rows, day):
            course.Q[rows] = np.maximum(day - course.P[rows], 0)

    elif endpoint == "ttf":
        movable = tl0["discontinuation"] >= 0

        def move(rows, day):
            course.wd[rows] = course.P[rows] - day  # negative: stopped after progression

    elif endpoint == "ttnt":
        movable = tl0["next_treatment"] >= 0

        def move(rows, day):
            dd = np.maximum(0, course.P[rows] - course.wd[rows])
            course.G[rows] = np.maximum(day - dd, 0)

    else:  # pragma: no cover
        raise ValueError(endpoint)
    _snap(get, move, groups, targets_days, movable=movable, p=p)


# ------------------------------------------------------------------------------------------------
# writing


HEADER = (
    "# SYNTHETIC DATA: {study} cohort generated by her2rwe.synthetic.cohorts (seed {seed}), "
    "calibrated to the published results of shared/seeds/{seed_file}; dates are shifted and no row "
    "describes a real patient.\n"
)


def _iso(origin: np.ndarray, days: np.ndarray) -> list[str]:
    """ISO dates origin + days; an empty string where days < 0 (no such event)."""
    dates = origin + days.astype("timedelta64[D]")
    text = np.datetime_as_string(dates, unit="D")
    return [str(s) if d >= 0 else "" for s, d in zip(text, days, strict=True)]


def _date_columns(origin: np.ndarray, tl: Mapping[str, np.ndarray]) -> dict[str, list[str]]:
    return {
        "index_date": _iso(origin, np.zeros(len(origin), dtype=np.int64)),
        "progression_date": _iso(origin, tl["progression"]),
        "death_date": _iso(origin, tl["death"]),
        "last_assessment_date": _iso(origin, tl["last_assessment"]),
        "last_contact_date": _iso(origin, tl["last_contact"]),
        "next_treatment_date": _iso(origin, tl["next_treatment"]),
        "discontinuation_date": _iso(origin, tl["discontinuation"]),
    }


def _index_discontinuation_reason(tl: Mapping[str, np.ndarray], course) -> np.ndarray:
    """Why the index therapy stopped: other_AE (withdrawn for toxicity), progression, death, or ''
    while it goes on."""
    return np.where(
        tl["discontinuation"] < 0,
        "",
        np.where(
            course.wd > 0, "other_AE", np.where(tl["progression"] >= 0, "progression", "death")
        ),
    )


COVARIATE_COLUMNS = (
    "age", "ecog", "hr_status", "visceral_mets", "brain_mets", "prior_lines",
    "prior_pertuzumab", "prior_tdm1", "prior_tki",
)  # fmt: skip


def _covariate_columns(cov: Mapping[str, Any], **fixed: str) -> dict[str, Any]:
    """The covariate columns in file order; `fixed` gives a value shared by every patient (e.g. every
    patient of a study after T-DM1 had prior T-DM1)."""
    return {name: fixed[name] if name in fixed else cov[name] for name in COVARIATE_COLUMNS}


def _index_dates(draws: Draws, start: str, accrual_days: int) -> np.ndarray:
    return np.datetime64(start, "D") + np.floor(draws.entry * accrual_days).astype("timedelta64[D]")


def render_csv(frame: pd.DataFrame, study: str) -> str:
    """The CSV text of a synthetic file: the SYNTHETIC DATA comment line, header and rows."""
    buf = _io.StringIO()
    buf.write(HEADER.format(study=study, seed=SEEDS[study], seed_file=SEED_FILES[study]))
    frame.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()


@dataclass
class SyntheticStudy:
    """A generated cohort, its adverse events (or None) and the README text beside them."""

    name: str
    cohort: pd.DataFrame
    adverse_events: pd.DataFrame | None
    readme: str
    checks: dict[str, float] = field(default_factory=dict)

    def files(self) -> dict[str, str]:
        out = {"cohort.csv": render_csv(self.cohort, self.name), "README.md": self.readme}
        if self.adverse_events is not None:
            out["adverse_events.csv"] = render_csv(self.adverse_events, self.name)
        return out


def _responses(
    rng: np.random.Generator,
    pfs_weeks: np.ndarray,
    n_orr: int,
    n_sd_long: int,
    n_sd_short: int,
    n_ne: int,
    cr_share: float = 0.12,
    min_weeks: float = 24.0,
    status: PfsStatus | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Best overall response with exact counts: CR+PR = n_orr, SD >= min_weeks = n_sd_long, SD
    shorter = n_sd_short, NE = n_ne, PD the rest. SD lasts until progression or censoring (sd_weeks
    = PFS in weeks), so long SD goes to patients whose PFS reaches min_weeks; responders are drawn
    with weights rising with PFS. With ``status``, responses are then swapped so that serial
    assessments can give them (:func:`_consistent_responses`)."""
    n = len(pfs_weeks)
    resp = np.full(n, "PD", dtype=object)
    long_ok = np.flatnonzero(pfs_weeks >= min_weeks + 0.5)
    if len(long_ok) < n_sd_long:
        raise CalibrationError("too few patients with long PFS for the stable-disease count")
    sd_long = rng.choice(long_ok, n_sd_long, replace=False)
    resp[sd_long] = "SD"
    free = np.flatnonzero(resp == "PD")
    w = pfs_weeks[free] + 8.0
    responders = rng.choice(free, n_orr, replace=False, p=w / w.sum())
    n_cr = int(round(cr_share * n_orr))
    resp[responders] = "PR"
    resp[responders[:n_cr]] = "CR"
    short_ok = np.flatnonzero((resp == "PD") & (pfs_weeks >= 6) & (pfs_weeks < min_weeks - 0.5))
    if len(short_ok) < n_sd_short:
        raise CalibrationError("too few patients with short PFS for the stable-disease count")
    resp[rng.choice(short_ok, n_sd_short, replace=False)] = "SD"
    free = np.flatnonzero(resp == "PD")
    w = 1.0 / (pfs_weeks[free] + 4.0)
    resp[rng.choice(free, n_ne, replace=False, p=w / w.sum())] = "NE"
    if status is not None:
        resp = _consistent_responses(resp, pfs_weeks, status, min_weeks)
    sd_weeks = np.where(resp == "SD", np.floor(pfs_weeks * 10) / 10, np.nan)
    return resp, sd_weeks


@dataclass
class PfsStatus:
    """How each patient's PFS ends, for best responses that serial assessments can give:
    ``progressed``; ``clinical``, a progression the index line's stop for progression dates
    (no PD assessment needed); ``death_only``, death without progression; ``unassessed``, PFS
    censored at the index date (no assessment after it)."""

    progressed: np.ndarray
    clinical: np.ndarray
    death_only: np.ndarray
    unassessed: np.ndarray


def _consistent_responses(
    resp: np.ndarray, pfs_weeks: np.ndarray, status: PfsStatus, min_weeks: float
) -> np.ndarray:
    """Swap best responses between patients, keeping every count, until each patient's response
    agrees with how their PFS ends: PD only with a progression (an assessed PD is one); NE only
    without an assessment that PFS needs (a clinical progression, death without progression, or
    PFS censored at the index date); CR/PR only with at least 2 days of PFS (an assessment after
    the index date and before progression); SD of at least (below) ``min_weeks`` only with PFS
    that long (that short, and at least 6 weeks); a PFS censored at the index date only NE.
    Deterministic: the first patient that can take the label (no random draw)."""
    days = pfs_weeks * 7.0
    long_sd = pfs_weeks >= min_weeks + 0.5
    short_sd = (pfs_weeks >= 6) & (pfs_weeks < min_weeks - 0.5)

    def label(i: int) -> str:
        r = resp[i]
        if r == "SD":
            return "SDL" if long_sd[i] else "SDS"
        return "R" if r in ("CR", "PR") else r

    def allowed(i: int) -> set[str]:
        if status.unassessed[i]:
            return {"NE"}
        ok = {"R"} if days[i] > 1.5 else set()
        ok |= {"SDL"} if long_sd[i] else {"SDS"} if short_sd[i] else set()
        if status.progressed[i]:
            ok.add("PD")
        if status.clinical[i] or status.death_only[i]:
            ok.add("NE")
        return ok

    labels = [label(i) for i in range(len(resp))]
    for i in range(len(resp)):
        if labels[i] in allowed(i):
            continue
        for j in range(len(resp)):
            if labels[j] in allowed(i) and labels[i] in allowed(j) and labels[j] in allowed(j):
                resp[i], resp[j] = resp[j], resp[i]
                labels[i], labels[j] = labels[j], labels[i]
                break
        else:
            raise CalibrationError(f"no patient can swap best response {resp[i]} with patient {i}")
    return resp


def _covariates(
    rng: np.random.Generator, n: int, shares: Mapping[str, Mapping[str, float]]
) -> dict[str, np.ndarray]:
    """Age, ECOG and yes/no covariates with approximately the given shares."""
    out: dict[str, np.ndarray] = {
        "age": np.clip(np.rint(rng.normal(53, 10.5, n)), 27, 84).astype(int)
    }
    for name, levels in shares.items():
        keys = list(levels)
        probs = np.array([levels[k] for k in keys], dtype=float)
        out[name] = np.asarray(keys, dtype=object)[rng.choice(len(keys), n, p=probs / probs.sum())]
    return out


def _endpoint_months(cohort: pd.DataFrame, name: str, definition: EndpointDefinition):
    """An endpoint derived from the written dates, exactly as the pipeline derives it."""
    frame = cohort.copy()
    for col in frame.columns:
        if col.endswith("_date"):
            frame[col] = pd.to_datetime(frame[col].replace("", None), format="%Y-%m-%d")
    out = derive_endpoint(frame, definition)
    return out[f"{name}_months"].to_numpy(), out[f"{name}_event"].to_numpy()


def _check(label: str, value: float, target: float, tol: float) -> float:
    if not abs(value - target) <= tol:
        raise CalibrationError(f"{label}: computed {value:.4f}, published {target}")
    return float(value)


def _check_medians(
    cohort: pd.DataFrame,
    definitions: Mapping[str, EndpointDefinition],
    targets: Mapping[str, tuple[str, np.ndarray, float]],
    margin: float = 0.02,
) -> dict[str, float]:
    """Median of each (endpoint, patients) from the dates; each must round to its target with a
    margin of ``margin`` months inside the rounding interval."""
    cache = {ep: _endpoint_months(cohort, ep, definitions[ep]) for ep, _, _ in targets.values()}
    out = {}
    for label, (ep, mask, target) in targets.items():
        t, e = cache[ep]
        out[label] = _check(label, km_median(t[mask], e[mask]), target, 0.05 - margin)
    return out


# ------------------------------------------------------------------------------------------------
# seed 000: novel anti-HER2 ADCs vs HP+C after TKI failure


ADC_AE_TERMS = [
    # term, category, P(any grade) ADC, HP+C, P(grade 3-4 | any) ADC, HP+C
    ("Neutropenia", "hematologic", 0.55, 0.50, 0.40, 0.38),
    ("Leukopenia", "hematologic", 0.50, 0.45, 0.30, 0.28),
    ("Anemia", "hematologic", 0.45, 0.40, 0.18, 0.12),
    ("Thrombocytopenia", "hematologic", 0.35, 0.15, 0.30, 0.15),
    ("Nausea", "gastrointestinal", 0.55, 0.35, 0.12, 0.06),
    ("Vomiting", "gastrointestinal", 0.35, 0.20, 0.10, 0.05),
    ("Diarrhea", "gastrointestinal", 0.25, 0.40, 0.15, 0.20),
    ("Decreased appetite", "gastrointestinal", 0.35, 0.20, 0.05, 0.0),
    ("Fatigue", "general", 0.45, 0.40, 0.05, 0.04),
    ("Alopecia", "dermatologic", 0.30, 0.45, 0.0, 0.0),
    ("ALT increased", "hepatic", 0.30, 0.20, 0.06, 0.05),
    ("Peripheral neuropathy", "neurologic", 0.08, 0.35, 0.0, 0.06),
    ("Interstitial lung disease", "respiratory", 0.06, 0.0, 0.20, 0.0),
]


def generate_adc_vs_hpc(seed: int = SEEDS["adc_vs_hpc"]) -> SyntheticStudy:
    """ADC (83: 36 T-DXd, 47 other ADCs) vs HP+C (67) after TKI failure (seed 000)."""
    rng = np.random.default_rng(seed)
    n_adc, n_hpc = 83, 67
    n = n_adc + n_hpc
    arm = np.array(["ADC"] * n_adc + ["HP+C"] * n_hpc, dtype=object)
    regimen = np.concatenate(
        [_exact_counts(rng, {"T-DXd": 36, "other ADC": 47}), np.full(n_hpc, "HP+C", dtype=object)]
    )
    tdxd, other, hpc = regimen == "T-DXd", regimen == "other ADC", regimen == "HP+C"
    draws = Draws.make(rng, n)
    accrual, after = 1700, 240  # January 2019 - August 2023, shifted

    def build(params, rounded):
        p_scale = (
            np.exp(np.where(tdxd, params["tdxd"], np.where(other, params["other"], params["hpc"])))
            * DAYS_PER_MONTH
        )
        q_scale = np.where(tdxd, 16.0, np.where(other, 11.0, 13.0)) * DAYS_PER_MONTH
        return _course(draws, p_scale, q_scale, accrual, after, 1500.0, 0.12, 20.0, rounded)

    adc = arm == "ADC"
    spec = {"ADC": ("pfs", adc), "HP+C": ("pfs", hpc)}
    targets = {"ADC": 7.0, "HP+C": 8.9}
    params = _solve(
        lambda p: {
            g: m / DAYS_PER_MONTH for g, m in _medians(build(p, False).timeline(), spec).items()
        },
        {"tdxd": np.log(17.0), "other": np.log(4.5), "hpc": np.log(8.9)},
        targets,
        {"ADC": "other", "HP+C": "hpc"},
    )
    course = build(params, True)
    _snap_endpoint(
        course, "pfs", {"ADC": adc, "HP+C": hpc}, {g: months_to_day(v) for g, v in targets.items()}
    )
    tl = course.timeline()

    origin = _index_dates(draws, "2031-01-07", accrual)
    pfs_weeks = tl["pfs_time"] / 7.0
    progressed = tl["progression"] >= 0
    status = PfsStatus(
        progressed=progressed,
        clinical=progressed & (tl["discontinuation"] == tl["progression"]) & (course.wd <= 0),
        death_only=~progressed & tl["pfs_event"],
        unassessed=~tl["pfs_event"] & (tl["pfs_time"] == 0),
    )
    resp = np.empty(n, dtype=object)
    sdw = np.full(n, np.nan)
    for mask, counts in (
        (tdxd, (24, 5, 4, 1)),
        (other, (19, 10, 8, 2)),
        (hpc, (18, 26, 12, 2)),
    ):
        part = PfsStatus(*(getattr(status, f.name)[mask] for f in dataclasses.fields(PfsStatus)))
        r, w = _responses(rng, pfs_weeks[mask], *counts, status=part)
        resp[mask], sdw[mask] = r, w
    cov = _covariates(
        rng,
        n,
        {
            "ecog": {"0": 0.45, "1": 0.48, "2": 0.07},
            "hr_status": {"positive": 0.55, "negative": 0.45},
            "visceral_mets": {"yes": 0.68, "no": 0.32},
            "brain_mets": {"yes": 0.30, "no": 0.70},
            "prior_lines": {"2": 0.30, "3": 0.35, "4": 0.22, "5": 0.13},
            "prior_pertuzumab": {"yes": 0.62, "no": 0.38},
            "prior_tdm1": {"yes": 0.35, "no": 0.65},
        },
    )
    reason = _index_discontinuation_reason(tl, course)
    cohort = pd.DataFrame(
        {
            "patient_id": [f"AH{i + 1:04d}" for i in range(n)],
            "arm": arm,
            "regimen": regimen,
            **_date_columns(origin, tl),
            "discontinuation_reason": reason,
            "best_response": resp,
            "sd_weeks": sdw,
            **_covariate_columns(cov, prior_tki="yes"),
        }
    )
    ae_rows = []
    for i in range(n):
        col = 0 if arm[i] == "ADC" else 1
        for term, cat, p_adc, p_hpc, g_adc, g_hpc in ADC_AE_TERMS:
            if rng.random() < (p_adc, p_hpc)[col]:
                severe = rng.random() < (g_adc, g_hpc)[col]
                grade = int(rng.choice([3, 4], p=[0.8, 0.2])) if severe else int(rng.integers(1, 3))
                ae_rows.append((cohort["patient_id"].iat[i], term, grade, cat))
    ae = pd.DataFrame(ae_rows, columns=["patient_id", "term", "grade", "category"])

    from her2rwe.derive.endpoints import BUILTIN_ENDPOINTS

    checks = _check_medians(
        cohort,
        BUILTIN_ENDPOINTS,
        {"median.pfs.ADC": ("pfs", adc, 7.0), "median.pfs.HP+C": ("pfs", hpc, 8.9)},
    )
    t, e = _endpoint_months(cohort, "pfs", BUILTIN_ENDPOINTS["pfs"])
    sub = tdxd | hpc
    hr, p = cox_hr(t[sub], e[sub], tdxd[sub])
    if not (hr < 1 and p < 0.01):  # published: better with T-DXd, p < 0.05
        raise CalibrationError(f"T-DXd vs HP+C PFS not clearly better (HR {hr:.3f}, p {p:.4f})")
    checks["hr.pfs.T-DXd"], checks["hr_p.pfs.T-DXd"] = hr, p
    readme = _readme(
        "adc_vs_hpc",
        "Novel anti-HER2 antibody-drug conjugates (ADC) vs pertuzumab + trastuzumab + chemotherapy "
        "(HP+C) after TKI failure",
        [
            "150 patients: ADC 83 (regimen T-DXd 36, other ADC 47), HP+C 67.",
            "Median PFS 7.0 (ADC) vs 8.9 months (HP+C); T-DXd PFS better than HP+C.",
            "Best response: ORR 43/83 (51.8%) vs 18/67 (26.9%); CBR (CR + PR + SD >= 24 weeks, "
            "column sd_weeks) 58/83 (69.9%) vs 44/67 (65.7%).",
            "adverse_events.csv: one row per patient and term, CTCAE grade and category; grade 3-4 "
            "events are mostly hematologic and gastrointestinal.",
            "OS is not reported in the abstract; it is simulated (median about 20 months).",
        ],
    )
    return SyntheticStudy("adc_vs_hpc", cohort, ae, readme, checks)


# ------------------------------------------------------------------------------------------------
# seed 001: TKIs after T-DM1 resistance (single arm, SPSS-style median CI)


TKI_AE_COUNTS = [
    # term, category, patients with any grade, of whom grade 3-4
    ("Diarrhea", "gastrointestinal", 36, 6),
    ("Hand-foot syndrome", "dermatologic", 31, 4),
    ("Leucopenia", "hematologic", 30, 3),
    ("Neutropenia", "hematologic", 24, 5),
    ("Nausea", "gastrointestinal", 19, 0),
    ("Anemia", "hematologic", 17, 1),
    ("Vomiting", "gastrointestinal", 12, 1),
    ("Fatigue", "general", 15, 0),
    ("ALT increased", "hepatic", 11, 1),
    ("Oral mucositis", "gastrointestinal", 9, 1),
    ("Thrombocytopenia", "hematologic", 7, 1),
    ("Rash", "dermatologic", 6, 0),
]
TKI_SPSS_TARGET = {"median": 10.1, "lower": 4.7, "upper": 15.6}
# 308 days = 10.119 months: the one whole day whose median leaves room for both bounds (median
# +/- h must round to 4.7 and 15.6: h in [5.431, 5.469]); 307 days (10.086) leaves none
TKI_MEDIAN_DAY = 308


def generate_tki_after_tdm1(seed: int = SEEDS["tki_after_tdm1"]) -> SyntheticStudy:
    """TKI-based therapy after T-DM1 resistance: one arm of 66 (seed 001)."""
    rng = np.random.default_rng(seed)
    n = 66
    benefit = _exact_counts(rng, {"yes": 40, "no": 26})
    resistance = _exact_counts(rng, {"acquired": 46, "primary": 20})
    tki = _exact_counts(rng, {"pyrotinib": 52, "lapatinib": 10, "neratinib": 4})
    draws = Draws.make(rng, n)
    accrual, after = 1580, 300  # September 2018 - December 2022, shifted
    effect = np.where(benefit == "yes", 0.6, -0.6) + np.where(resistance == "acquired", 0.35, -0.45)

    def build(params, rounded):
        # spread: a power of the unit-median Weibull draws, so the KM curve around the median can
        # be as flat as the published interval needs (a shape below the common 1.3)
        spread = dataclasses.replace(draws, eP=draws.eP ** np.exp(params["spread"]))
        p_scale = np.exp(params["pfs"] + effect) * DAYS_PER_MONTH
        return _course(
            spread, p_scale, 14.0 * DAYS_PER_MONTH, accrual, after, 2500.0, 0.08, 20.0, rounded
        )

    def median_and_halfwidth(params):
        tl = build(params, False).timeline()
        med, lower, upper, _ = spss_median_ci(tl["pfs_time"] / DAYS_PER_MONTH, tl["pfs_event"])
        return {"all": med, "half": (upper - lower) / 2}

    target = TKI_SPSS_TARGET
    params = _solve(
        median_and_halfwidth,
        {"pfs": np.log(9.0), "spread": 0.0},
        {"all": 10.13, "half": (target["upper"] - target["lower"]) / 2},
        {"all": "pfs", "half": "spread"},
    )
    course = build(params, True)
    _tune_spss(course, TKI_MEDIAN_DAY)
    tl = course.timeline()

    origin = _index_dates(draws, "2030-09-03", accrual)
    resp, sdw = _responses(rng, tl["pfs_time"] / 7.0, 12, 32, 12, 2)
    cov = _covariates(
        rng,
        n,
        {
            "ecog": {"0": 0.40, "1": 0.52, "2": 0.08},
            "hr_status": {"positive": 0.50, "negative": 0.50},
            "visceral_mets": {"yes": 0.70, "no": 0.30},
            "brain_mets": {"yes": 0.25, "no": 0.75},
            "prior_lines": {"1": 0.25, "2": 0.40, "3": 0.25, "4": 0.10},
            "prior_pertuzumab": {"yes": 0.45, "no": 0.55},
            "prior_tki": {"yes": 0.15, "no": 0.85},
        },
    )
    reason = _index_discontinuation_reason(tl, course)
    cohort = pd.DataFrame(
        {
            "patient_id": [f"TK{i + 1:04d}" for i in range(n)],
            "arm": "TKI",
            "regimen": tki,
            **_date_columns(origin, tl),
            "discontinuation_reason": reason,
            "best_response": resp,
            "sd_weeks": sdw,
            "prior_tdm1_benefit": benefit,
            "trastuzumab_resistance": resistance,
            **_covariate_columns(cov, prior_tdm1="yes"),
        }
    )
    ae_rows = []
    ids = cohort["patient_id"].to_numpy()
    for term, cat, n_any, n_severe in TKI_AE_COUNTS:
        who = np.sort(rng.choice(n, n_any, replace=False))
        severe = set(rng.choice(who, n_severe, replace=False).tolist())
        for i in who:
            grade = (
                int(rng.choice([3, 4], p=[0.85, 0.15])) if i in severe else int(rng.integers(1, 3))
            )
            ae_rows.append((ids[i], term, grade, cat))
    ae = pd.DataFrame(ae_rows, columns=["patient_id", "term", "grade", "category"])
    ae = ae.sort_values(["patient_id", "term"], kind="stable").reset_index(drop=True)

    from her2rwe.derive.endpoints import BUILTIN_ENDPOINTS

    t, e = _endpoint_months(cohort, "pfs", BUILTIN_ENDPOINTS["pfs"])
    med, lower, upper, _ = spss_median_ci(t, e)
    checks = {
        "median.pfs.TKI": _check("median", med, 10.1, 0.05 - TKI_SPSS_MARGIN),
        "median_lower.pfs.TKI": _check("lower", lower, 4.7, 0.05 - TKI_SPSS_MARGIN),
        "median_upper.pfs.TKI": _check("upper", upper, 15.6, 0.05 - TKI_SPSS_MARGIN),
    }
    for col, better in (("prior_tdm1_benefit", "yes"), ("trastuzumab_resistance", "acquired")):
        hr, p = cox_hr(t, e, cohort[col].to_numpy() == better)
        if not (hr < 1 and p < 0.05):  # published: PFS better with {better}
            raise CalibrationError(f"PFS not clearly better with {col} = {better} (HR {hr:.3f})")
        checks[f"hr.pfs.{col}={better}"], checks[f"hr_p.pfs.{col}={better}"] = hr, p
    readme = _readme(
        "tki_after_tdm1",
        "Tyrosine kinase inhibitors after trastuzumab emtansine (T-DM1) resistance, single arm",
        [
            "66 patients, one arm (TKI); regimen is the TKI given.",
            "Median PFS 10.1 months with the SPSS-style symmetric 95% CI 4.7-15.6 (ci_method: spss).",
            "Best response: ORR 12/66 (18.2%); CBR (CR + PR + SD >= 24 weeks) 44/66 (66.7%).",
            "Subgroups: prior_tdm1_benefit (yes/no; PFS longer with benefit) and "
            "trastuzumab_resistance (primary/acquired; PFS longer with acquired resistance).",
            "adverse_events.csv: diarrhea 36 (54.5%), hand-foot syndrome 31 (47.0%), leucopenia 30 "
            "(45.5%) patients, and less frequent events; one row per patient and term.",
            "OS is not reported in the abstract; it is simulated.",
        ],
    )
    return SyntheticStudy("tki_after_tdm1", cohort, ae, readme, checks)


TKI_SPSS_MARGIN = 0.01  # months each of median, lower and upper must keep from a rounding edge


def _copy(course: Course) -> Course:
    return Course(*(np.array(getattr(course, f)) for f in Course.__dataclass_fields__))


def _pfs_days(course: Course) -> tuple[np.ndarray, np.ndarray]:
    tl = course.timeline()
    return tl["pfs_time"], tl["pfs_event"]


def _spss_margin(course: Course) -> float:
    """The smallest distance (months) of the median and both SPSS bounds, as the pipeline computes
    them, from the edges of the published values' rounding intervals (negative: a miss)."""
    t, e = _pfs_days(course)
    ci = spss_median_ci(t / DAYS_PER_MONTH, e)[:3]
    margin = min(
        0.05 - abs(x - TKI_SPSS_TARGET[k]) for x, k in zip(ci, TKI_SPSS_TARGET, strict=True)
    )
    return -np.inf if np.isnan(margin) else float(margin)


def _spss_window(fit: km.KMFit) -> tuple[float, float]:
    """The event times u and l between which :func:`her2rwe.stats.km.spss_quantile` measures the density
    at the median: u the last event time with S >= 0.55 (0, the origin, if none), l the first with
    S <= 0.45. Read off :func:`_quantile_event`: l decides the 0.55-quantile; u is the event that
    decides the 0.45-quantile when S sits exactly at 0.55 there, else the event before it."""
    l_time = _quantile_event(fit, 0.55)[0]
    a_time, _, exact = _quantile_event(fit, 0.45)
    if l_time is None or a_time is None:
        raise CalibrationError("S does not fall to 0.45")
    if exact:
        return a_time, l_time
    before = fit.time[(fit.n_event > 0) & (fit.time < a_time)]
    return (float(before[-1]) if len(before) else 0.0), l_time


def _tune_spss(course: Course, median_day: int, n_candidates: int = 6, reach: int = 6) -> None:
    """Calibrate the SPSS CI to 4.7-15.6 around 10.1 with the widest margin found.

    The half-width is z sqrt(Var S(median)) (l - u) / (S(u) - S(l)) (see :func:`_spss_window`);
    with the median on ``median_day``, each candidate moves the progression at u and the one at l
    by up to ``reach`` days each (whole days move the half-width in steps of about 0.04 months,
    close to the width of the band it must hit), and, for finer steps, the Greenwood variance is
    varied too: a candidate may move one patient's last tumour assessment (a PFS censoring after
    the median) to before the median, which changes the risk sets. Every candidate is scored by
    the pipeline's own estimator (:func:`_spss_margin`); the one with the largest margin is kept.
    """
    tl = course.timeline()
    late = np.flatnonzero(~tl["pfs_event"] & (tl["pfs_time"] > median_day))[:n_candidates]
    moves = [None] + [(j, back) for j in late.tolist() for back in (2, 5, 10, 20, 40, 80)]
    everyone = np.ones(len(course.P), bool)
    best, best_margin = None, -np.inf
    for move in moves:
        trial = _copy(course)
        if move is not None:
            j, back = move
            trial.A[j] = max(int(trial.F[j]) - (median_day - back), 0)
        try:
            _snap_endpoint(trial, "pfs", {"all": everyone}, {"all": median_day})
            t, e = _pfs_days(trial)
            u, l_time = _spss_window(km_fit(t, e))
        except CalibrationError:
            continue
        at_u = np.flatnonzero(e & (t == u)) if u > 0 else np.zeros(0, int)
        at_l = np.flatnonzero(e & (t == l_time))
        for du in range(-reach, reach + 1) if len(at_u) else (0,):
            for dl in range(-reach, reach + 1):
                cand = _copy(trial)
                cand.P[at_u] = u + du
                cand.P[at_l] = l_time + dl
                margin = _spss_margin(cand)
                if margin > best_margin + 1e-12:
                    best, best_margin = cand, margin
    if best is None or best_margin < TKI_SPSS_MARGIN:
        raise CalibrationError(f"the SPSS CI 4.7-15.6 was not reached (margin {best_margin:.4f})")
    for f in Course.__dataclass_fields__:
        setattr(course, f, getattr(best, f))


# ------------------------------------------------------------------------------------------------
# seed 002: EN-SEMBLE, treatment after T-DXd discontinuation


ENSEMBLE_CLASSES = {
    "anti-HER2 antibody": 359,
    "anti-HER2 TKI": 113,
    "other anti-HER2": 13,
    "other": 179,
}
ENSEMBLE_REGIMEN_WINDOW = 28
ENSEMBLE_REASONS = {"progression": 448, "ILD": 146, "other_AE": 34, "other": 36}
ENSEMBLE_DURATION_ENDPOINT = EndpointDefinition.from_config(
    "tdxd_duration",
    {
        "label": "Duration of T-DXd",
        "origin": "tdxd_start_date",
        "events": [{"date": "tdxd_end_date", "source": "tdxd_end"}],
        "censor": [{"date": "last_contact_date", "source": "last_contact"}],
    },
)


def generate_post_tdxd_ensemble(seed: int = SEEDS["post_tdxd_ensemble"]) -> SyntheticStudy:
    """EN-SEMBLE: 664 patients; index = start of the first line after T-DXd (seed 002)."""
    rng = np.random.default_rng(seed)
    n = 664
    cls = _exact_counts(rng, ENSEMBLE_CLASSES)
    reason = _exact_counts(rng, ENSEMBLE_REASONS)
    ab, tki = cls == "anti-HER2 antibody", cls == "anti-HER2 TKI"
    prog_r = reason == "progression"
    ae_r = (reason == "ILD") | (reason == "other_AE")
    draws = Draws.make(rng, n, death_only_share=0.04)
    e_dur = _weibull(rng.random(n), 1.4)
    gap_before = rng.integers(14, 50, n)
    accrual, after = 1100, 420

    def scales(params):
        p_log = np.where(
            prog_r, params["prog"], np.where(ae_r, params["ae"], params["prog"] + 0.2)
        ) + np.where(
            ab,
            params["ab"],
            np.where(tki, params["tki"], np.where(cls == "other", params["oth"], params["ab"])),
        )
        q_log = np.where(ab, params["q_ab"], np.where(tki, params["q_tki"], params["q_oth"]))
        return np.exp(p_log) * DAYS_PER_MONTH, np.exp(q_log) * DAYS_PER_MONTH

    def build(params, rounded):
        p_scale, q_scale = scales(params)
        return _course(
            draws,
            p_scale,
            q_scale,
            accrual,
            after,
            3000.0,
            1 / (1 + np.exp(-params["tox_logit"])),  # share stopping early, before progression
            np.exp(params["gap"]) * DAYS_PER_MONTH,
            rounded,
        )

    everyone = np.ones(n, bool)
    pfs_groups = {"all": everyone, "ab": ab, "tki": tki, "prog": prog_r, "ae": ae_r}
    pfs_targets = {"all": 4.1, "ab": 4.1, "tki": 4.3, "prog": 3.5, "ae": 7.3}
    os_groups = {"all": everyone, "ab": ab, "tki": tki}
    os_targets = {"all": 16.2, "ab": 17.2, "tki": 16.3}
    spec = {f"pfs_{g}": ("pfs", m) for g, m in pfs_groups.items()}
    spec |= {f"os_{g}": ("os", m) for g, m in os_groups.items()}
    spec |= {"ttf": ("ttf", everyone), "ttnt": ("ttnt", everyone)}
    targets = {f"pfs_{g}": v for g, v in pfs_targets.items()}
    targets |= {f"os_{g}": v for g, v in os_targets.items()}
    targets |= {"ttf": 1 / 3.8, "ttnt": 5.0}  # TTF falls as its owner rises: solve for 1 / median
    owners = {
        "pfs_all": "oth",
        "pfs_ab": "ab",
        "pfs_tki": "tki",
        "pfs_prog": "prog",
        "pfs_ae": "ae",
        "os_all": "q_oth",
        "os_ab": "q_ab",
        "os_tki": "q_tki",
        "ttf": "tox_logit",
        "ttnt": "gap",
    }
    start = {
        "prog": np.log(3.5),
        "ae": np.log(7.3),
        "ab": 0.0,
        "tki": 0.05,
        "oth": 0.0,
        "q_ab": np.log(12.0),
        "q_tki": np.log(11.0),
        "q_oth": np.log(10.0),
        "tox_logit": np.log(0.15 / 0.85),
        "gap": np.log(0.8),
    }

    def medians(p):
        out = {g: m / DAYS_PER_MONTH for g, m in _medians(build(p, False).timeline(), spec).items()}
        out["ttf"] = 1 / out["ttf"]
        return out

    params = _solve(medians, start, targets, owners, damping=0.5, n_iter=150)
    course = build(params, True)
    day = months_to_day
    _snap_endpoint(course, "pfs", pfs_groups, {g: day(v) for g, v in pfs_targets.items()})
    _snap_endpoint(course, "os", os_groups, {g: day(v) for g, v in os_targets.items()})
    _snap_endpoint(course, "ttf", {"all": everyone}, {"all": day(3.8)})
    # the next line starts after the index line's regimen window (lines.regimen_window_days, 28
    # days): a drug started within it would join the index regimen in the records
    early = (course.timeline()["next_treatment"] >= 0) & (
        course.timeline()["next_treatment"] <= ENSEMBLE_REGIMEN_WINDOW
    )
    stop = np.maximum(0, course.P - course.wd)
    course.G[early] = ENSEMBLE_REGIMEN_WINDOW + 1 - stop[early]
    _snap_endpoint(course, "ttnt", {"all": everyone}, {"all": day(5.0)})
    tl = course.timeline()

    # T-DXd before the index line: duration (every course ended), then a gap to the index date
    raw = e_dur * np.where(ae_r, 0.8, 1.05)
    dur = np.maximum(np.rint(raw * day(8.1) / km_median(raw, everyone)), 21).astype(np.int64)

    def get_dur():
        return dur, everyone

    def move_dur(rows, d):
        dur[rows] = d

    _snap(get_dur, move_dur, {"all": everyone}, {"all": day(8.1)})

    origin = _index_dates(draws, "2032-03-02", accrual)
    tdxd_end = origin - gap_before.astype("timedelta64[D]")
    tdxd_start = tdxd_end - dur.astype("timedelta64[D]")
    resp = _ensemble_responses(rng, tl["pfs_time"] / 7.0, ae_r)
    ild_rec = _exact_counts(rng, {"yes": 21, "no": n - 21})
    cov = _covariates(
        rng,
        n,
        {
            "ecog": {"0": 0.50, "1": 0.42, "2": 0.08},
            "hr_status": {"positive": 0.55, "negative": 0.45},
            "visceral_mets": {"yes": 0.72, "no": 0.28},
            "brain_mets": {"yes": 0.32, "no": 0.68},
            "prior_lines": {"1": 0.22, "2": 0.30, "3": 0.22, "4": 0.14, "5": 0.12},
            "prior_pertuzumab": {"yes": 0.82, "no": 0.18},
            "prior_tdm1": {"yes": 0.55, "no": 0.45},
            "prior_tki": {"yes": 0.30, "no": 0.70},
        },
    )
    index_reason = _index_discontinuation_reason(tl, course)
    dates = _date_columns(origin, tl)
    cohort = pd.DataFrame(
        {
            "patient_id": [f"EN{i + 1:04d}" for i in range(n)],
            "arm": "post-T-DXd",
            "next_therapy_class": cls,
            "tdxd_start_date": [str(x) for x in np.datetime_as_string(tdxd_start, unit="D")],
            "tdxd_end_date": [str(x) for x in np.datetime_as_string(tdxd_end, unit="D")],
            "tdxd_discontinuation_reason": reason,
            **dates,
            "discontinuation_reason": index_reason,
            "best_response": resp,
            "ild_recurrence": ild_rec,
            "ild_recurrence_date": _iso(origin, _ild_onset_days(seed, ild_rec, tl)),
            **_covariate_columns(cov),
            "prior_tdxd": "yes",
        }
    )
    from her2rwe.derive.endpoints import BUILTIN_ENDPOINTS

    defs = dict(BUILTIN_ENDPOINTS, tdxd_duration=ENSEMBLE_DURATION_ENDPOINT)
    checks = _check_medians(
        cohort,
        defs,
        {
            "median.tdxd_duration": ("tdxd_duration", everyone, 8.1),
            "median.ttf": ("ttf", everyone, 3.8),
            "median.ttnt": ("ttnt", everyone, 5.0),
            **{f"median.pfs.{g}": ("pfs", pfs_groups[g], v) for g, v in pfs_targets.items()},
            **{f"median.os.{g}": ("os", os_groups[g], v) for g, v in os_targets.items()},
        },
    )
    readme = _readme(
        "post_tdxd_ensemble",
        "EN-SEMBLE: treatment after trastuzumab deruxtecan (T-DXd) discontinuation",
        [
            "664 patients, one arm; the index date is the start of the first line after T-DXd.",
            "tdxd_start_date / tdxd_end_date: the T-DXd course (duration median 8.1 months, the "
            "custom endpoint tdxd_duration); tdxd_discontinuation_reason: progression 448, ILD 146, "
            "other_AE 34, other 36.",
            "next_therapy_class: anti-HER2 antibody 359, anti-HER2 TKI 113, other anti-HER2 13 "
            "(anti-HER2 485, 73%), other 179.",
            "Medians from the index date: TTF 3.8, TTNT 5.0, PFS 4.1, OS 16.2 months; antibody PFS "
            "4.1 / OS 17.2; TKI PFS 4.3 / OS 16.3; PFS 3.5 after discontinuation for progression vs "
            "7.3 after discontinuation for an adverse event (ILD or other_AE).",
            "ORR 96/664 (14.5%); ild_recurrence yes in 21/664 (3.2%).",
            "ild_recurrence_date: the onset of the ILD recurrence of those 21, for the competing-"
            "risks endpoint ild (death competing); drawn from its own seeded stream after every "
            "other column, skewed early (index date + 1 + floor(u^2 x (follow-up days - 1)) days, "
            "u uniform), and strictly before death or last contact. The paper reports only the "
            "crude 3.2%; the onset times are not from the paper.",
            "discontinuation_date / discontinuation_reason describe the index (post-T-DXd) line.",
        ],
    )
    return SyntheticStudy("post_tdxd_ensemble", cohort, None, readme, checks)


ILD_ONSET_STREAM = 16  # numpy SeedSequence([seed, 16]): the ILD onset draws only


def _ild_onset_days(seed: int, recurrence: np.ndarray, tl: Mapping[str, np.ndarray]) -> np.ndarray:
    """Days from the index date to ILD recurrence (-1 without one).

    A stream of its own (``default_rng([seed, ILD_ONSET_STREAM])``), drawn after every other column,
    so that adding the onset dates changed no other value. Onset 1 + floor(u^2 (f - 1)) days, u
    uniform on [0, 1) and f the days to death or, without death, to last contact: at least one day
    after the index date and strictly before death or last contact (never a tie with death).
    """
    rng = np.random.default_rng([seed, ILD_ONSET_STREAM])
    yes = np.asarray(recurrence) == "yes"
    end = np.where(tl["death"] >= 0, tl["death"], tl["last_contact"]).astype(np.int64)
    if (end[yes] < 2).any():
        raise CalibrationError("an ILD recurrence needs at least two days of follow-up")
    days = np.full(len(yes), -1, dtype=np.int64)
    u = rng.random(int(yes.sum()))
    days[yes] = 1 + np.floor(u**2 * (end[yes] - 1)).astype(np.int64)
    return days


def _ensemble_responses(
    rng: np.random.Generator, pfs_weeks: np.ndarray, ae_r: np.ndarray
) -> np.ndarray:
    """96 responders of 664 (more among patients who stopped T-DXd for an adverse event).

    A response needs a tumour assessment after the index date and before any progression: only
    patients whose PFS time is at least 2 days can respond (a PFS censored at the index date has
    no assessment after it; a progression on day 1 leaves no day for one)."""
    n = len(pfs_weeks)
    resp = np.full(n, "PD", dtype=object)
    w = (pfs_weeks + 6.0) * np.where(ae_r, 2.0, 1.0) * (pfs_weeks * 7.0 > 1.5)
    responders = rng.choice(n, 96, replace=False, p=w / w.sum())
    resp[responders] = "PR"
    resp[responders[:8]] = "CR"
    free = np.flatnonzero(resp == "PD")
    long = free[pfs_weeks[free] >= 12]
    resp[rng.choice(long, min(len(long), 250), replace=False)] = "SD"
    free = np.flatnonzero(resp == "PD")
    resp[rng.choice(free, 40, replace=False)] = "NE"
    return resp


# ------------------------------------------------------------------------------------------------


def _readme(study: str, title: str, facts: list[str]) -> str:
    lines = [
        f"# SYNTHETIC DATA: {study}",
        "",
        f"{title}. Source of the published numbers: `shared/seeds/{SEED_FILES[study]}`.",
        "",
        "**These files are synthetic.** No row describes a real patient; the real data of the "
        "study is not public. The cohort was generated by `her2rwe.synthetic.cohorts` "
        f"(numpy seed {SEEDS[study]}) to match the paper's design and reported results, and "
        "calibrated so that the pipeline's estimators reproduce its medians at the paper's "
        "rounding. Dates are shifted (index dates in the 2030s). Regenerate with "
        "`python workflow/scripts/generate_cohorts.py data/raw`; a test checks the committed files "
        "are identical to a fresh run.",
        "",
        "What the cohort reproduces:",
        "",
        *[f"- {f}" for f in facts],
        "",
        "Covariates (age, ecog, hr_status, visceral_mets, brain_mets, prior_lines, prior_pertuzumab, "
        "prior_tdm1, prior_tki) are simulated with plausible shares for the population; they are "
        "not taken from the paper.",
        "",
    ]
    return "\n".join(lines)


GENERATORS: dict[str, Callable[[], SyntheticStudy]] = {
    "adc_vs_hpc": generate_adc_vs_hpc,
    "tki_after_tdm1": generate_tki_after_tdm1,
    "post_tdxd_ensemble": generate_post_tdxd_ensemble,
}


def generate_all() -> dict[str, SyntheticStudy]:
    """Every bundled synthetic study, keyed by its folder name under data/raw."""
    return {name: make() for name, make in GENERATORS.items()}
