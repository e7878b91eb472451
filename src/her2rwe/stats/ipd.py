"""Individual patient data reconstructed from a published Kaplan-Meier curve.

The method is Guyot, Ades, Ouwens and Welton (2012), "Enhanced secondary analysis of survival
data: reconstructing the data from published Kaplan-Meier survival curves", BMC Medical Research
Methodology 12:9. Its inputs are the digitised coordinates of the curve, the published numbers at
risk (optional) and the total number of events (optional). Between two times of the at-risk table
the number of patients censored is first guessed from the drop of the curve, spread evenly over
the interval, and the events at each digitised point follow from the drop of the curve and the
number still at risk; the number censored is then corrected until the reconstructed number at risk
at the start of the next interval equals the published one. In the last interval (or in the whole
curve when there is no at-risk table) the censoring rate of the earlier intervals is carried on,
or, when the total number of events is given, the number censored is chosen so that the
reconstructed events match it.

Arrays in, small result objects out; reading the digitiser's files is the caller's business.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: A rise of the digitised survival larger than this is an error, not digitising noise.
RISE_TOLERANCE = 0.01
#: Survival values above this are taken as percentages when the scale is ``auto``.
PERCENT_THRESHOLD = 1.5
SCALES = ("auto", "proportion", "percent")
MAX_ITERATIONS = 10_000


class DigitisedInputError(ValueError):
    """A digitised curve or at-risk table that cannot be used, with a message a user can act on."""


@dataclass(frozen=True)
class CleanedCurve:
    """Digitised points after cleaning: time from 0, survival in [0, 1] and non-increasing.

    ``changes`` has one row per kind of change made (step, number of points, detail), empty when
    the points needed no cleaning.
    """

    time: np.ndarray
    surv: np.ndarray
    scale: str
    n_input: int
    changes: list[dict] = field(default_factory=list)


def _as_float(values, what: str) -> np.ndarray:
    try:
        x = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as error:
        raise DigitisedInputError(f"{what}: values must be numbers") from error
    if x.ndim != 1:
        raise DigitisedInputError(f"{what}: expected one column of numbers")
    return x


def clean_curve(
    time, surv, scale: str = "auto", rise_tolerance: float = RISE_TOLERANCE
) -> CleanedCurve:
    """Clean digitised Kaplan-Meier points and say what was changed.

    In order: survival is divided by 100 when ``scale`` is ``percent``, or ``auto`` and any value
    exceeds 1.5; points are sorted by time (stable, so points that share a time keep the
    digitiser's order); negative times (a click left of the axis) become 0 and survival outside
    [0, 1] is clipped; a point (0, 1) is added when the curve does not start there; a rise of the
    survival above the lowest earlier value by at most ``rise_tolerance`` is digitising noise and
    is flattened, a larger rise is an error; exact duplicate points are dropped.
    """
    if scale not in SCALES:
        raise DigitisedInputError(f"scale must be one of {', '.join(SCALES)}, not {scale!r}")
    t = _as_float(time, "digitised curve, time")
    s = _as_float(surv, "digitised curve, surv")
    if t.shape != s.shape:
        raise DigitisedInputError("digitised curve: time and surv must have the same length")
    if len(t) == 0:
        raise DigitisedInputError("digitised curve: the file has no points")
    missing = np.isnan(t) | np.isnan(s)
    if missing.any():
        raise DigitisedInputError(
            f"digitised curve: {int(missing.sum())} point(s) with an empty time or surv "
            f"(row(s) {', '.join(str(i + 1) for i in np.flatnonzero(missing)[:5])})"
        )
    if not (np.isfinite(t).all() and np.isfinite(s).all()):
        raise DigitisedInputError("digitised curve: infinite values")
    changes: list[dict] = []
    n_input = len(t)
    used = scale
    if scale == "percent" or (scale == "auto" and s.max() > PERCENT_THRESHOLD):
        s = s / 100.0
        used = "percent"
        changes.append(
            {
                "step": "scale",
                "n_points": n_input,
                "detail": "survival read as percent and divided by 100",
            }
        )
    else:
        used = "proportion"
    if s.max() > PERCENT_THRESHOLD:
        raise DigitisedInputError(
            f"digitised curve: survival up to {s.max():.4g} after scaling; check the scale"
        )
    order = np.argsort(t, kind="stable")
    if (order != np.arange(len(t))).any():
        changes.append(
            {
                "step": "sort",
                "n_points": int((order != np.arange(len(t))).sum()),
                "detail": "points sorted by time",
            }
        )
    t, s = t[order], s[order]
    negative = t < 0
    if negative.any():
        changes.append(
            {
                "step": "clip_time",
                "n_points": int(negative.sum()),
                "detail": f"negative times set to 0 (lowest {t.min():.4g})",
            }
        )
        t = np.where(negative, 0.0, t)
    outside = (s < 0) | (s > 1)
    if outside.any():
        changes.append(
            {
                "step": "clip_surv",
                "n_points": int(outside.sum()),
                "detail": f"survival clipped to [0, 1] (range read {s.min():.4g} to {s.max():.4g})",
            }
        )
        s = np.clip(s, 0.0, 1.0)
    if not (t[0] == 0 and s[0] == 1):
        t, s = np.r_[0.0, t], np.r_[1.0, s]
        changes.append(
            {"step": "start", "n_points": 1, "detail": "point (0, 1) added at the start"}
        )
    running_min = np.minimum.accumulate(s)
    rise = s - running_min
    if rise.max() > rise_tolerance:
        k = int(np.argmax(rise > rise_tolerance))
        raise DigitisedInputError(
            f"digitised curve: survival rises from {running_min[k]:.4g} to {s[k]:.4g} at time "
            f"{t[k]:.4g}; a Kaplan-Meier curve never rises (rises up to {rise_tolerance} are "
            "treated as digitising noise). Check the points near there: a point from another "
            "curve, or the two corners of a drop out of time order?"
        )
    if rise.max() > 0:
        changes.append(
            {
                "step": "monotone",
                "n_points": int((rise > 0).sum()),
                "detail": f"rises up to {rise.max():.4g} flattened to the lowest earlier survival",
            }
        )
        s = running_min
    duplicate = np.r_[False, (t[1:] == t[:-1]) & (s[1:] == s[:-1])]
    if duplicate.any():
        changes.append(
            {
                "step": "duplicates",
                "n_points": int(duplicate.sum()),
                "detail": "exact duplicate points dropped",
            }
        )
        t, s = t[~duplicate], s[~duplicate]
    return CleanedCurve(time=t, surv=s, scale=used, n_input=n_input, changes=changes)


def check_at_risk(time, n_risk, curve_end: float) -> tuple[np.ndarray, np.ndarray]:
    """Validate a published number-at-risk table against the curve's time range.

    The table starts at time 0, its times increase and lie within the curve (0 to its last
    point), and its counts are whole numbers that never increase.
    """
    t = _as_float(time, "at-risk table, time")
    n = _as_float(n_risk, "at-risk table, n_risk")
    if t.shape != n.shape:
        raise DigitisedInputError("at-risk table: time and n_risk must have the same length")
    if len(t) == 0:
        raise DigitisedInputError("at-risk table: the file has no rows")
    if (np.isnan(t) | np.isnan(n)).any():
        raise DigitisedInputError("at-risk table: empty time or n_risk")
    if t[0] != 0:
        raise DigitisedInputError(
            f"at-risk table: the first time must be 0 (the number randomised), not {t[0]:.4g}"
        )
    if (np.diff(t) <= 0).any():
        k = int(np.argmax(np.diff(t) <= 0)) + 1
        raise DigitisedInputError(f"at-risk table: times must increase (row {k + 1}: {t[k]:.4g})")
    beyond = (t < 0) | (t > curve_end)
    if beyond.any():
        raise DigitisedInputError(
            f"at-risk table: time {t[beyond][0]:.4g} is outside the digitised curve (0 to "
            f"{curve_end:.4g}); drop that column of the table or digitise the curve further"
        )
    if (n < 0).any() or (n != np.round(n)).any():
        raise DigitisedInputError("at-risk table: n_risk must be whole numbers >= 0")
    if (np.diff(n) > 0).any():
        k = int(np.argmax(np.diff(n) > 0)) + 1
        raise DigitisedInputError(
            f"at-risk table: the number at risk increases from {n[k - 1]:.0f} to {n[k]:.0f} at "
            f"time {t[k]:.4g}; numbers at risk never increase"
        )
    if n[0] < 1:
        raise DigitisedInputError("at-risk table: no patient at risk at time 0")
    return t, n.astype(int)


@dataclass(frozen=True)
class Reconstruction:
    """Reconstructed individual patient data (one row per patient) and how well it fits.

    ``risk_time``/``n_risk_published``/``n_risk_reconstructed`` compare the at-risk table with
    the reconstruction (the latter counts patients with time >= the table's time, as R's
    ``n.risk``). ``converged`` is False when some interval's number censored could not be
    made to reproduce the next published number at risk (``notes`` says where).
    """

    time: np.ndarray
    event: np.ndarray
    curve: CleanedCurve
    risk_time: np.ndarray
    n_risk_published: np.ndarray
    n_risk_reconstructed: np.ndarray
    total_events_published: int | None
    converged: bool
    notes: list[str]

    @property
    def n(self) -> int:
        return len(self.time)

    @property
    def events(self) -> int:
        return int(self.event.sum())


def _with_risk_times(t: np.ndarray, s: np.ndarray, risk_time: np.ndarray):
    """Add a point at each at-risk time that has none, at the curve's value there (step function)."""
    new = risk_time[~np.isin(risk_time, t)]
    if len(new) == 0:
        return t, s, 0
    values = s[np.searchsorted(t, new, side="right") - 1]
    # a point added at time x goes after the points before x and before the points at or after x
    tt = np.r_[t, new]
    ss = np.r_[s, values]
    order = np.lexsort((-ss, tt))
    return tt[order], ss[order], len(new)


class _Walker:
    """Events, censorings and numbers at risk along the digitised points (Guyot's recursion)."""

    def __init__(self, t: np.ndarray, s: np.ndarray, n0: int):
        self.t, self.s = t, s
        self.d = np.zeros(len(t), dtype=int)  # events at point k
        self.c = np.zeros(len(t), dtype=int)  # censorings in [t_k, t_k+1)
        self.n_hat = np.zeros(len(t) + 1, dtype=int)
        self.n_hat[0] = n0

    def walk(self, lo: int, hi: int, end: float, n_censor: int, km_start: float):
        """Walk points lo..hi with ``n_censor`` censorings spread evenly over [t_lo, end].

        Returns (number at risk after point hi, KM after point hi, censoring times).
        """
        t, s = self.t, self.s
        cens = t[lo] + np.arange(1, n_censor + 1) * (end - t[lo]) / (n_censor + 1)
        bounds = np.r_[t[lo + 1 : hi + 1], np.inf]
        segment = np.searchsorted(bounds, cens, side="right")
        counts = np.bincount(segment, minlength=hi - lo + 1)
        used = np.zeros(len(cens), dtype=bool)
        km = km_start
        for j, k in enumerate(range(lo, hi + 1)):
            n_k = self.n_hat[k]
            d = 0
            if n_k > 0 and km > 0:
                d = int(np.clip(np.round(n_k * (1 - s[k] / km)), 0, n_k))
            if d > 0:
                km *= 1 - d / n_k
            c = int(min(counts[j], n_k - d))
            self.d[k], self.c[k] = d, c
            self.n_hat[k + 1] = n_k - d - c
            used[np.flatnonzero(segment == j)[:c]] = True
        return self.n_hat[hi + 1], km, cens[used]


def _censored_for_events(
    walker: _Walker, lo: int, hi: int, km: float, n_last: int, target: int
) -> int:
    """Number censored in the last interval whose events come closest to ``target`` (fewest wins).

    More censoring leaves fewer patients at risk and so fewer events: bisect for the smallest
    number censored with at most ``target`` events, then look at its neighbours (rounding makes
    the count only nearly monotone).
    """

    def events(c: int) -> int:
        walker.walk(lo, hi, walker.t[-1], c, km)
        return int(walker.d[lo:].sum())

    a, b = 0, n_last
    while a < b:
        mid = (a + b) // 2
        if events(mid) <= target:
            b = mid
        else:
            a = mid + 1
    candidates = range(max(0, a - 3), min(n_last, a + 3) + 1)
    return min(candidates, key=lambda c: (abs(events(c) - target), c))


def reconstruct(
    time,
    surv,
    risk_time=None,
    n_risk=None,
    n: int | None = None,
    total_events: int | None = None,
    scale: str = "auto",
) -> Reconstruction:
    """Reconstruct patient-level (time, event) data from a digitised Kaplan-Meier curve (Guyot 2012).

    ``time``/``surv`` are the digitised points (cleaned by :func:`clean_curve` first). Give the
    published at-risk table as ``risk_time``/``n_risk`` (first time 0), or, without one, the number
    of patients ``n``. ``total_events`` (optional) fixes the number censored in the last interval.
    Censored patients still at risk after the last point are censored at the last point's time.
    """
    curve = clean_curve(time, surv, scale=scale)
    t, s = curve.time, curve.surv
    if risk_time is None and n_risk is None:
        if n is None:
            raise DigitisedInputError("without an at-risk table the number of patients is needed")
        if n < 1 or n != int(n):
            raise DigitisedInputError(f"number of patients must be a whole number >= 1, not {n}")
        rt, nr = np.array([0.0]), np.array([int(n)])
    elif risk_time is None or n_risk is None:
        raise DigitisedInputError("the at-risk table needs both time and n_risk")
    else:
        rt, nr = check_at_risk(risk_time, n_risk, curve_end=float(t[-1]))
        if n is not None and int(n) != nr[0]:
            raise DigitisedInputError(
                f"number of patients {n} differs from the number at risk at time 0 ({nr[0]})"
            )
    if total_events is not None:
        if total_events < 0 or total_events != int(total_events) or total_events > nr[0]:
            raise DigitisedInputError(
                f"total events must be a whole number from 0 to {nr[0]}, not {total_events}"
            )
        total_events = int(total_events)
    t, s, added = _with_risk_times(t, s, rt)
    changes = list(curve.changes)
    if added:
        changes.append(
            {
                "step": "risk_times",
                "n_points": added,
                "detail": "points added at at-risk times, at the curve's value there",
            }
        )
    curve = CleanedCurve(time=t, surv=s, scale=curve.scale, n_input=curve.n_input, changes=changes)
    lower = np.searchsorted(t, rt, side="left")
    upper = np.r_[lower[1:] - 1, len(t) - 1]
    walker = _Walker(t, s, int(nr[0]))
    notes: list[str] = []
    converged = True
    km = 1.0
    censor_times: list[np.ndarray] = []
    m = len(rt)
    for i in range(m - 1):
        lo, hi, nxt = lower[i], upper[i], lower[i + 1]
        n_i = walker.n_hat[lo]
        ratio = s[nxt] / s[lo] if s[lo] > 0 else 0.0
        n_censor = max(0, int(np.round(n_i * ratio - nr[i + 1])))
        gaps: dict[int, int] = {}
        for _ in range(MAX_ITERATIONS):
            n_next, _, _ = walker.walk(lo, hi, t[nxt], n_censor, km)
            gaps[n_censor] = int(n_next - nr[i + 1])
            proposal = max(0, n_censor + gaps[n_censor])
            if gaps[n_censor] == 0 or proposal in gaps:
                break
            n_censor = proposal
        # the number censored whose next number at risk is closest to the published one
        n_censor = min(gaps, key=lambda c: (abs(gaps[c]), c))
        n_next, km, cens = walker.walk(lo, hi, t[nxt], n_censor, km)
        if gaps[n_censor]:
            converged = False
            notes.append(
                f"interval {rt[i]:g}-{rt[i + 1]:g}: reconstructed {n_next} at risk at "
                f"{rt[i + 1]:g} against {nr[i + 1]} published"
            )
        censor_times.append(cens)
    # last interval: censoring rate of the earlier intervals, or matched to the total events
    lo, hi = lower[-1], upper[-1]
    n_last = int(walker.n_hat[lo])
    span = t[-1] - t[lo]
    if m > 1 and rt[-1] > 0:
        rate = sum(len(c) for c in censor_times) / rt[-1]
        n_censor = int(min(np.round(rate * span), n_last))
    else:
        n_censor = 0
    events_before = int(walker.d[:lo].sum())
    if total_events is not None:
        n_censor = _censored_for_events(walker, lo, hi, km, n_last, total_events - events_before)
    n_end, _, cens = walker.walk(lo, hi, t[-1], n_censor, km)
    if total_events is not None and int(walker.d.sum()) != total_events:
        notes.append(
            f"total events: reconstructed {int(walker.d.sum())} against {total_events} published"
        )
    censor_times.append(cens)
    event_times = np.repeat(t, walker.d)
    cens_all = np.concatenate(censor_times + [np.full(int(n_end), t[-1])])
    times = np.r_[event_times, cens_all]
    events = np.r_[np.ones(len(event_times), dtype=int), np.zeros(len(cens_all), dtype=int)]
    order = np.lexsort((-events, times))
    times, events = times[order], events[order]
    n_rec = (
        np.array([int((times >= x).sum()) for x in rt])
        if risk_time is not None
        else np.array([len(times)])
    )
    return Reconstruction(
        time=times,
        event=events,
        curve=curve,
        risk_time=rt,
        n_risk_published=nr,
        n_risk_reconstructed=n_rec,
        total_events_published=total_events,
        converged=converged,
        notes=notes,
    )


def step_value(time, surv, at, left: bool = False) -> np.ndarray:
    """A survival step function (value 1 before its first time) at ``at``; ``left`` for S(at-)."""
    t = np.asarray(time, dtype=float)
    s = np.asarray(surv, dtype=float)
    idx = np.searchsorted(t, np.asarray(at, dtype=float), side="left" if left else "right") - 1
    return np.where(idx >= 0, s[np.maximum(idx, 0)], 1.0)


def band_distance(ref_time, ref_surv, time, surv, shift: float, end: float) -> float:
    """Largest vertical distance of a step curve from a reference step curve, allowing a shift in time.

    For each t in [0, end] the distance is how far S(t) lies outside the range the reference takes
    over [t - shift, t + shift], that is outside [S_ref(t + shift), S_ref((t - shift)-)]; with
    ``shift=0`` it is the sup-norm distance of the two curves. Both curves are right-continuous
    steps with value 1 before their first time.
    """
    ref_time = np.asarray(ref_time, dtype=float)
    time = np.asarray(time, dtype=float)
    knots = np.r_[0.0, time, ref_time - shift, ref_time + shift, end]
    eps = 1e-9 * max(1.0, end)
    at = np.r_[knots, knots - eps, knots + eps]
    at = np.unique(at[(at >= 0) & (at <= end)])
    value = step_value(time, surv, at)
    upper = step_value(ref_time, ref_surv, at - shift, left=True)
    lower = step_value(ref_time, ref_surv, at + shift)
    return float(np.max(np.maximum(value - upper, lower - value).clip(min=0.0)))
