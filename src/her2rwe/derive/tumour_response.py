"""Best overall response (RECIST 1.1) of the index line from serial tumour assessments.

:func:`derive_best_response` turns time-point responses (one row per assessment: CR, PR, SD, PD, NE,
or empty on a baseline assessment) into one row per index patient. The rules, each a setting of the
study's ``response`` block (workflow/schemas/config.schema.yaml; docs/methods.md, "Tumour response
from assessments"):

1. **Window.** Only assessments strictly after the index date count, up to and including the
   earliest of the window end (the start of the next line; an assessment on that day still belongs
   to the index line) and ``cutoff_date``; assessments after the first PD in the window are ignored.
   Assessments on or before the index date belong to earlier lines. Rows with an empty response
   after the index date are not time-point responses and are ignored for the best response.
2. **Same day.** Two assessments of one patient on one day with different responses are an error
   (``same_day: error``) or are combined into the worst of them (``same_day: worst``; order
   PD, NE, SD, PR, CR, as RECIST combines lesion-level responses), and the source text says so.
3. **Best response, without confirmation** (``confirmation: none``, the real-world default): CR if
   any CR, else PR if any PR, else SD if an SD (or better) assessment lies at least
   ``sd_min_weeks`` weeks after the index date, else PD if the window ends in a PD, else NE.
   An SD earlier than the minimum counts as NE (it does not stop a later PD from being the best).
4. **With confirmation** (``confirmation: required``): a CR counts when a later CR at least
   ``confirmation_min_days`` days after it confirms it, with only CR or NE between (at most
   ``confirmation_max_ne`` NE). A PR counts when a CR or PR is followed, at least
   ``confirmation_min_days`` later, by a CR or PR, with only CR, PR or NE between (at most
   ``confirmation_max_ne`` NE, and one SD when ``confirmation_accept_sd``). An unconfirmed CR or PR
   still counts as stable disease when it meets the SD minimum (RECIST 1.1, table 3).
5. **NE** when no assessment qualifies, including a patient with no assessment in the window.

Returned per patient: ``best_response``, ``best_response_date`` (the deciding assessment),
``best_response_source`` (why, in words, with days from the index date), ``sd_weeks`` (weeks from
the index date to the last SD-or-better assessment before progression), ``response_onset_date``
(first CR or PR; with confirmation, the first CR or PR that is confirmed), ``assessment_progression_date``
(the first PD in the window), ``last_adequate_assessment_date`` (last CR/PR/SD/PD in the window,
where duration of response is censored), ``n_assessments`` (time points in the window) and
``best_pct_change`` (smallest percentage change of ``sum_diameters`` from the baseline, the last
assessment on or before the index date with ``sum_diameters``, over the window's assessments).

:func:`response_durations` adds duration of response and time to response, which need the death
date. Everything is vectorised over patients; no loop runs per patient.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from her2rwe.records.assessments import same_day_rows

CODES = ("CR", "PR", "SD", "PD", "NE")
# worst first, for combining two time points on one day
WORST_FIRST = ("PD", "NE", "SD", "PR", "CR")
DAYS_PER_WEEK = 7.0

OUTPUT_COLUMNS = [
    "patient_id",
    "best_response",
    "best_response_date",
    "best_response_source",
    "sd_weeks",
    "response_onset_date",
    "assessment_progression_date",
    "last_adequate_assessment_date",
    "n_assessments",
    "best_pct_change",
]


class AssessmentError(ValueError):
    """Assessments that the rules cannot use (e.g. conflicting time points on one day)."""


def _dates(s: pd.Series) -> pd.Series:
    if s.dtype == "datetime64[ns]":
        return s
    return pd.to_datetime(s).astype("datetime64[ns]")


def _codes(response: pd.Series) -> pd.Series:
    """Responses stripped and upper-cased, missing as '' (computed on the distinct values)."""
    codes, uniques = pd.factorize(response)
    clean = pd.Series(uniques, dtype=object).astype("string").str.strip().str.upper().fillna("")
    clean = np.append(clean.to_numpy(dtype=object), "")  # code -1: a missing response
    return pd.Series(clean[codes], index=response.index, dtype="string")


def _check_codes(response: pd.Series) -> None:
    """AssessmentError when a response (stripped, upper-cased) is not a code or empty; the
    distinct values are checked, the rows counted only on an error."""
    clean = _codes(pd.Series(pd.unique(response.to_numpy(dtype=object)), dtype=object))
    if not clean.isin([*CODES, ""]).all():
        bad = ~_codes(response).isin([*CODES, ""])
        raise AssessmentError(
            f"{int(bad.sum())} assessment(s) with a response other than {', '.join(CODES)} or empty"
        )


def _clean(assessments: pd.DataFrame) -> pd.DataFrame:
    a = assessments.copy()
    if "sum_diameters" not in a.columns:
        a["sum_diameters"] = np.nan
    a["patient_id"] = a["patient_id"].astype(str)
    a["date"] = _dates(a["date"])
    a["response"] = _codes(a["response"]).astype(object)
    a["sum_diameters"] = pd.to_numeric(a["sum_diameters"], errors="coerce").astype(float)
    return a[["patient_id", "date", "response", "sum_diameters"]]


def same_day_conflicts(assessments: pd.DataFrame, rows: np.ndarray | None = None) -> pd.Series:
    """True for every row whose patient has another row on the same day with a different
    (non-empty) response. ``rows``: :func:`same_day_rows` of these assessments, when known."""
    a = assessments
    pid, date = a["patient_id"], _dates(a["date"])
    if not pd.api.types.is_integer_dtype(pid):  # integer codes of patients are kept as they are
        pid = pid.astype(str)
    out = pd.Series(False, index=a.index)
    if rows is None:
        rows = same_day_rows(pid, date)  # only a day with two rows can conflict
    if rows.any():
        resp = _codes(a["response"][rows])
        key = [pid[rows], date[rows]]
        n_codes = resp.where(resp != "").groupby(key).transform("nunique")
        out[rows] = (n_codes > 1).reindex(resp.index, fill_value=False).astype(bool).to_numpy()
    return out


def _collapse_same_day(a: pd.DataFrame, same_day: str) -> tuple[pd.DataFrame, pd.Series]:
    """One time point per patient and day: the worst response, the largest sum of diameters.

    Returns the collapsed rows and, per patient, the days (from nothing: dates) on which a conflict
    was resolved."""
    # a day with one row is its own time point: only days with several rows can conflict, and
    # only they are grouped
    several = same_day_rows(a["patient_id"], a["date"])
    conflict = same_day_conflicts(a, several)
    if conflict.any() and same_day == "error":
        n = int(a.loc[conflict, "patient_id"].nunique())
        raise AssessmentError(
            f"{n} patient(s) have two assessments on one day with different responses; fix the "
            "data or set response.same_day: worst (the worst response of the day is kept)"
        )
    rank = a["response"].map({c: i for i, c in enumerate(WORST_FIRST)}).fillna(len(WORST_FIRST))
    a = a.assign(_rank=rank.astype(int), _conflict=conflict.to_numpy())
    cols = ["patient_id", "date", "_rank", "sum_diameters", "_conflict"]
    out = a.loc[~several & a["date"].notna().to_numpy(), cols]  # no date: no time point
    if several.any():
        g = a[several].groupby(["patient_id", "date"], sort=True)
        grouped = g.agg(
            _rank=("_rank", "min"),
            sum_diameters=("sum_diameters", "max"),
            _conflict=("_conflict", "any"),
        ).reset_index()
        out = pd.concat([out, grouped[cols]], ignore_index=True)
    out = out.sort_values(["patient_id", "date"], kind="stable", ignore_index=True)
    lookup = np.array([*WORST_FIRST, ""], dtype=object)
    out["response"] = lookup[out["_rank"].to_numpy()]
    return out.drop(columns="_rank"), out.loc[out["_conflict"], ["patient_id", "date"]]


def _days(later: pd.Series, earlier: pd.Series) -> pd.Series:
    return (later - earlier).dt.days


def _first_per_patient(frame: pd.DataFrame, mask: pd.Series, column: str = "date") -> pd.Series:
    """The first `column` value (in date order) per patient among rows where mask holds."""
    return frame.loc[mask].groupby("patient_id", sort=False)[column].first()


def _confirmed(w: pd.DataFrame, rules: Mapping[str, Any]) -> tuple[pd.Series, pd.Series]:
    """Per patient: the date of the first confirmed CR and of the first confirmed PR-or-better,
    and the date of the assessment that confirmed each (as a frame indexed by patient).

    Pairs (first, second) of one patient's window assessments are formed by a self-merge; what lies
    between is counted from per-patient cumulative counts of each response."""
    min_days = int(rules["confirmation_min_days"])
    max_ne = int(rules["confirmation_max_ne"])
    max_sd = 1 if rules["confirmation_accept_sd"] else 0
    w = w.reset_index(drop=True)
    w["_pos"] = w.groupby("patient_id").cumcount()
    cum = {}
    for code in CODES:
        cum[code] = (w["response"] == code).astype(int).groupby(w["patient_id"]).cumsum()
    for code in CODES:
        w[f"_c{code}"] = cum[code]
    resp_cols = ["patient_id", "date", "response", "_pos", *(f"_c{c}" for c in CODES)]
    first = w.loc[w["response"].isin(["CR", "PR"]), resp_cols]
    second = w.loc[w["response"].isin(["CR", "PR"]), resp_cols]
    pairs = first.merge(second, on="patient_id", suffixes=("_1", "_2"))
    pairs = pairs[_days(pairs["date_2"], pairs["date_1"]) >= min_days]
    between = {}
    for code in CODES:
        # counts strictly between: up to the row before the second, minus up to the first
        at2 = pairs[f"_c{code}_2"] - (pairs["response_2"] == code).astype(int)
        between[code] = at2 - pairs[f"_c{code}_1"]
    ne_ok = between["NE"] <= max_ne
    cr = (
        (pairs["response_1"] == "CR")
        & (pairs["response_2"] == "CR")
        & (between["PR"] == 0)
        & (between["SD"] == 0)
        & ne_ok
    )
    pr = ne_ok & (between["SD"] <= max_sd)
    out = {}
    for name, ok in (("CR", cr), ("PR", pr)):
        hit = pairs.loc[ok].sort_values(["patient_id", "date_1", "date_2"])
        firsts = hit.groupby("patient_id", sort=False).first()
        out[name] = firsts[["date_1", "date_2", "response_1", "response_2"]]
    return out["CR"], out["PR"]


def _day_text(d: pd.Series) -> pd.Series:
    return "day " + d.astype("Int64").astype("string")


def derive_best_response(
    assessments: pd.DataFrame, index: pd.DataFrame, rules: Mapping[str, Any]
) -> pd.DataFrame:
    """Best overall response of the index line, one row per patient of ``index`` (its order).

    ``assessments``: patient_id, date, response (CR/PR/SD/PD/NE, or empty on a baseline
    assessment), optional sum_diameters (mm). ``index``: patient_id, index_date, window_end (the
    next line's start or a cut-off; NaT = open). ``rules``: the study's validated ``response``
    block (confirmation, confirmation_min_days, confirmation_max_ne, confirmation_accept_sd,
    sd_min_weeks, cutoff_date, same_day). The module docstring states every rule.

    Raises :class:`AssessmentError` for a response outside the codes, or for same-day conflicts
    when ``same_day`` is ``error``.
    """
    idx = index[["patient_id", "index_date", "window_end"]].copy()
    idx["patient_id"] = idx["patient_id"].astype(str)
    idx["index_date"] = _dates(idx["index_date"])
    idx["window_end"] = _dates(idx["window_end"])
    if idx["patient_id"].duplicated().any():
        raise AssessmentError("the index table has a patient more than once")
    if rules.get("cutoff_date") is not None:
        cutoff = pd.Timestamp(rules.get("cutoff_date"))
        idx["window_end"] = idx["window_end"].where(idx["window_end"] <= cutoff, cutoff)

    _check_codes(assessments["response"])
    # only the index patients' rows are cleaned (the response codes of every row are checked)
    a = assessments[assessments["patient_id"].astype(str).isin(idx["patient_id"]).to_numpy()]
    a = _clean(a)
    # patients as integer codes in the order of their IDs, so that sorting and grouping by code
    # give the order of the IDs without hashing or comparing strings; the IDs come back at the end
    ids = np.sort(idx["patient_id"].to_numpy(dtype=object))
    id_codes = pd.Index(ids)
    a["patient_id"] = id_codes.get_indexer(a["patient_id"])
    idx["patient_id"] = id_codes.get_indexer(idx["patient_id"])
    a, conflicts = _collapse_same_day(a, rules["same_day"])
    a = a.merge(idx, on="patient_id", how="inner").sort_values(["patient_id", "date"])
    a = a.reset_index(drop=True)

    # baseline: the last assessment on or before the index date with a sum of diameters
    pre = a[(a["date"] <= a["index_date"]) & a["sum_diameters"].notna()]
    baseline = pre.groupby("patient_id", sort=False)["sum_diameters"].last()

    # the window: after the index date, up to the window end, up to and including the first PD
    after = a["date"] > a["index_date"]
    inside = after & (a["window_end"].isna() | (a["date"] <= a["window_end"]))
    w = a[inside & (a["response"] != "")].copy()
    is_pd = (w["response"] == "PD").astype(int)
    pd_before = is_pd.groupby(w["patient_id"]).cumsum() - is_pd
    w = w[pd_before == 0].reset_index(drop=True)
    w["day"] = _days(w["date"], w["index_date"])
    sd_min_days = float(rules["sd_min_weeks"]) * DAYS_PER_WEEK
    resp = w["response"]
    sd_ok = resp.isin(["CR", "PR", "SD"]) & (w["day"] >= sd_min_days)

    out = idx.set_index("patient_id")
    grp = w.groupby("patient_id", sort=False)
    out["n_assessments"] = grp.size().reindex(out.index).fillna(0).astype(int)
    first_pd = _first_per_patient(w, resp == "PD")
    out["assessment_progression_date"] = first_pd.reindex(out.index)
    adequate = w[resp.isin(["CR", "PR", "SD", "PD"])]
    out["last_adequate_assessment_date"] = (
        adequate.groupby("patient_id", sort=False)["date"].last().reindex(out.index)
    )
    good = w[resp.isin(["CR", "PR", "SD"])]
    last_good = good.groupby("patient_id", sort=False)["date"].last().reindex(out.index)
    out["sd_weeks"] = _days(last_good, out["index_date"]) / DAYS_PER_WEEK

    first_sd_ok = w[sd_ok].groupby("patient_id", sort=False)[["date", "day", "response"]].first()
    first_any = grp[["date", "day", "response"]].first()
    # filled by position (first rule that gives a patient a response wins), as Series at the end
    best = np.full(len(out), pd.NA, dtype=object)
    when = np.full(len(out), np.datetime64("NaT"), dtype="datetime64[ns]")
    why = np.full(len(out), pd.NA, dtype=object)
    onset = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")

    def values_at(values: pd.Series, labels: pd.Index, keep: np.ndarray) -> np.ndarray:
        """``values.reindex(labels[keep]).to_numpy()``, by position when aligned already."""
        if values.index.equals(labels):
            return values.to_numpy()[keep]
        return values.reindex(labels[keep]).to_numpy()

    def put(mask_index: pd.Index, code: str, dates: pd.Series, text: pd.Series | str) -> None:
        at = out.index.get_indexer(mask_index)
        free = pd.isna(best[at])
        if not free.any():
            return
        best[at[free]] = code
        when[at[free]] = values_at(dates, mask_index, free)
        why[at[free]] = values_at(text, mask_index, free) if isinstance(text, pd.Series) else text

    min_days = int(rules["confirmation_min_days"])
    if rules["confirmation"] == "required":
        cr, pr = _confirmed(w, rules)
        for code, pairs, verb in (
            ("CR", cr, ", confirmed by "),
            ("PR", pr, ", confirmed as PR by "),
        ):
            origin = out["index_date"].reindex(pairs.index)
            text = (
                pairs["response_1"] + " at " + _day_text(_days(pairs["date_1"], origin)) + verb
                + pairs["response_2"] + " at " + _day_text(_days(pairs["date_2"], origin))
                + f" (at least {min_days} days later)"
            )  # fmt: skip
            put(pairs.index, code, pairs["date_1"], text)
        # onset: the first CR or PR that is confirmed (as CR or PR)
        both = pd.concat([cr["date_1"], pr["date_1"]]).groupby(level=0).min()
        onset.loc[both.index] = both.to_numpy()
        sd_text = (
            first_sd_ok["response"]
            + " at "
            + _day_text(first_sd_ok["day"])
            + pd.Series(
                np.where(
                    first_sd_ok["response"].isin(["CR", "PR"]).to_numpy(),
                    " (response not confirmed)",
                    "",
                ),
                index=first_sd_ok.index,
            )
            + f": stable disease at least {rules['sd_min_weeks']:g} weeks after the index date"
        )
    else:
        first_cr = w[resp == "CR"].groupby("patient_id", sort=False)[["date", "day"]].first()
        first_pr = w[resp == "PR"].groupby("patient_id", sort=False)[["date", "day"]].first()
        put(
            first_cr.index,
            "CR",
            first_cr["date"],
            "first CR at " + _day_text(first_cr["day"]) + " (no confirmation required)",
        )
        put(
            first_pr.index,
            "PR",
            first_pr["date"],
            "first PR at " + _day_text(first_pr["day"]) + " (no confirmation required)",
        )
        first_resp = w[resp.isin(["CR", "PR"])].groupby("patient_id", sort=False)["date"].first()
        onset.loc[first_resp.index] = first_resp.to_numpy()
        sd_text = (
            "SD at "
            + _day_text(first_sd_ok["day"])
            + f": at least {rules['sd_min_weeks']:g} weeks after the index date"
        )
    put(first_sd_ok.index, "SD", first_sd_ok["date"], sd_text)

    early_sd = w[resp.isin(["CR", "PR", "SD"])].groupby("patient_id", sort=False)["day"].first()
    pd_rows = w[resp == "PD"].set_index("patient_id")
    pd_text = "PD at " + _day_text(pd_rows["day"])
    before_pd = early_sd.reindex(pd_rows.index)
    pd_text = pd_text + pd.Series(
        np.where(
            before_pd.notna().to_numpy(),
            f": no response, and stable disease before it shorter than "
            f"{rules['sd_min_weeks']:g} weeks",
            ": progression before any response or stable disease",
        ),
        index=pd_rows.index,
    )
    put(pd_rows.index, "PD", pd_rows["date"], pd_text)

    # NE: assessments in the window, none qualifying; or none at all
    ne_text = pd.Series(
        np.where(
            early_sd.reindex(first_any.index).notna().to_numpy(),
            f"stable disease only earlier than {rules['sd_min_weeks']:g} weeks after the "
            "index date, and no later qualifying assessment",
            "no assessment in the window qualifies (only NE)",
        ),
        index=first_any.index,
    )
    put(first_any.index, "NE", pd.Series(pd.NaT, index=first_any.index), ne_text)
    rest = out.index[pd.isna(best)]
    put(
        rest,
        "NE",
        pd.Series(pd.NaT, index=rest, dtype="datetime64[ns]"),
        "no tumour assessment after the index date within the window",
    )

    why = pd.Series(why, index=out.index)
    if len(conflicts):
        days = _days(conflicts["date"], conflicts["patient_id"].map(out["index_date"]))
        note = "; same-day conflict on " + _day_text(days) + " resolved to the worst response"
        note = note.groupby(conflicts["patient_id"].to_numpy()).agg("".join)
        why.loc[note.index] = why.loc[note.index] + note

    out["best_response"] = pd.Series(best, index=out.index)
    out["best_response_date"] = when
    out["best_response_source"] = why
    out["response_onset_date"] = onset

    # best percentage change of the sum of diameters from baseline, over the window
    post = w[w["sum_diameters"].notna()]
    base = post["patient_id"].map(baseline)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = (post["sum_diameters"] - base) / base * 100.0
    pct = pct.where(base > 0)
    out["best_pct_change"] = pct.groupby(post["patient_id"]).min().reindex(out.index)

    out = out.reset_index()
    out["patient_id"] = ids[out["patient_id"].to_numpy()]
    out["best_response"] = out["best_response"].astype("string")
    out["best_response_source"] = out["best_response_source"].astype("string")
    return out[OUTPUT_COLUMNS]


def response_durations(
    derived: pd.DataFrame,
    index: pd.DataFrame,
    death_date: pd.Series,
    days_per_month: float,
) -> pd.DataFrame:
    """Duration of response (DoR) and time to response (TTR) per patient, for responders.

    DoR runs from the response onset to the first PD in the window, or death on or before the
    window end (the next line's start or the cut-off; any death when the window is open); otherwise
    it is censored at the last adequate assessment. TTR runs from the index date to the onset.
    Non-responders have missing values. ``death_date`` is aligned with ``index`` by position.
    Returns patient_id, dor_months, dor_event, dor_source, ttr_months.
    """
    d = derived.set_index("patient_id")
    idx = index[["patient_id", "index_date", "window_end"]].copy()
    idx["patient_id"] = idx["patient_id"].astype(str)
    idx["death_date"] = _dates(pd.Series(np.asarray(death_date), index=idx.index))
    idx = idx.set_index("patient_id")
    idx["index_date"] = _dates(idx["index_date"])
    idx["window_end"] = _dates(idx["window_end"])
    d = d.reindex(idx.index)
    onset = d["response_onset_date"]
    resp = onset.notna()
    prog = d["assessment_progression_date"]
    death_in = idx["death_date"].where(
        idx["window_end"].isna() | (idx["death_date"] <= idx["window_end"])
    )
    event_date = pd.concat([prog, death_in], axis=1).min(axis=1)
    source = np.where(
        prog.notna() & (prog <= death_in.fillna(pd.Timestamp.max)),
        "progression",
        np.where(death_in.notna(), "death", "last_adequate_assessment"),
    )
    censor_date = d["last_adequate_assessment_date"].where(
        d["last_adequate_assessment_date"] >= onset, onset
    )
    end = event_date.where(event_date.notna(), censor_date)
    out = pd.DataFrame(index=idx.index)
    out["dor_months"] = (_days(end, onset) / days_per_month).where(resp)
    out["dor_event"] = event_date.notna().astype("Int8").where(resp)
    out["dor_source"] = pd.Series(source, index=idx.index, dtype="string").where(resp)
    out["ttr_months"] = (_days(onset, idx["index_date"]) / days_per_month).where(resp)
    return out.reset_index()


PATIENT_COLUMNS = [
    "arm",
    "best_response",
    "best_pct_change",
    "n_assessments",
    "dor_months",
    "dor_event",
    "dor_source",
    "ttr_months",
    "line_months",
    "line_ongoing",
    "progression_months",
    "death_months",
]


def _optional_date(cohort: pd.DataFrame, column: str) -> pd.Series:
    if column in cohort.columns:
        return _dates(cohort[column]).reset_index(drop=True)
    return pd.Series(pd.NaT, index=range(len(cohort)), dtype="datetime64[ns]")


def cohort_response(
    cohort: pd.DataFrame,
    assessments: pd.DataFrame,
    rules: Mapping[str, Any],
    days_per_month: float,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The response of a v1 cohort (one row per patient, with ``index_date``) from its assessments.

    The index line's window ends at ``next_treatment_date`` (when the column exists and
    ``stop_at_next_line`` holds). Returns
    ``(columns, patients)``: ``columns`` holds ``best_response``, ``sd_weeks`` and
    ``best_response_source`` aligned with the cohort's rows (for the analysis dataset);
    ``patients`` is the patient-level table of the response outputs, without patient IDs
    (:data:`PATIENT_COLUMNS`): best % change, DoR, TTR, and the swimmer-plot times (months from the
    index date): ``line_months`` to discontinuation, else the next line, else death, else last
    contact (``line_ongoing`` when none of the first three happened), the first assessed
    progression and death.
    """
    c = cohort.reset_index(drop=True)
    index_date = _dates(c["index_date"])
    next_line = _optional_date(c, "next_treatment_date")
    window_end = next_line if rules["stop_at_next_line"] else next_line.where(next_line.isna())
    index = pd.DataFrame(
        {
            "patient_id": c["patient_id"].astype(str),
            "index_date": index_date,
            "window_end": window_end,
        }
    )
    derived = derive_best_response(assessments, index, rules)
    death = _optional_date(c, "death_date")
    dur = response_durations(derived, index, death, days_per_month)
    columns = derived[["best_response", "sd_weeks", "best_response_source"]].copy()

    def months(date: pd.Series) -> pd.Series:
        return _days(date, index_date) / days_per_month

    stop = _optional_date(c, "discontinuation_date")
    ended = stop.fillna(next_line).fillna(death)
    last = _optional_date(c, "last_contact_date")
    patients = pd.DataFrame(
        {
            "arm": c["arm"].astype(str),
            "best_response": derived["best_response"],
            "best_pct_change": derived["best_pct_change"],
            "n_assessments": derived["n_assessments"],
            "dor_months": dur["dor_months"],
            "dor_event": dur["dor_event"],
            "dor_source": dur["dor_source"],
            "ttr_months": dur["ttr_months"],
            "line_months": months(ended.fillna(last)),
            "line_ongoing": ended.isna(),
            "progression_months": months(derived["assessment_progression_date"]),
            "death_months": months(death),
        }
    )
    return columns, patients[PATIENT_COLUMNS]
