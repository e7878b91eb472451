"""Lines of therapy from a treatment history, by documented rules (docs/lines_of_therapy.md).

Rules, each a study setting under ``lines:`` (defaults in the config schema):

- regimen window (``regimen_window_days``, 28): a line's regimen is the set of drugs started on or
  before day 28 after the line's first drug (as the Merck line-of-therapy algorithm);
- late addition: a drug started after the window that is not in the regimen starts a new line,
  whose regimen is the added drug plus the previous line's drugs still given (a course running past
  the new start) and the drugs started within the new line's own window;
- allowed additions (``additions``, default endocrine therapy added to a line holding an anti-HER2
  antibody): such a drug joins the line without starting a new one;
- drops and maintenance: a drug of the regimen that stops does not end the line (trastuzumab +
  pertuzumab continued for years after the taxane stops is one line);
- substitutions (``substitutions``, a closed list; default paclitaxel, nab-paclitaxel and docetaxel
  with each other, trastuzumab IV, SC and biosimilars with each other): a drug replaced by one of
  its group continues the line;
- gap (``gap_days``, 120): an exposure starting more than 120 days after the last dose (or course
  end) of every drug of the line so far starts a new line, even with the same drugs (re-challenge);
- adjuvant rule (``adjuvant_rule_months``, 12; seed 004): when metastatic disease is diagnosed
  within 12 months of the last dose of early-setting anti-HER2 therapy (or during it), the early
  therapy counts as line 1 and the first metastatic line is line 2; other early therapy is in no
  line.

A line's end is its last dose or course end, but not after the next line's start (lines never
overlap). ``end_reason`` says why the line ended: ``new_drug``, ``gap``, ``recurrence`` (early
therapy counted by the adjuvant rule), or for a patient's last line ``death`` (death within the gap
of the last dose), ``ongoing`` (last contact within the gap of the last dose) or ``stopped``.
``rule`` says which rule numbered it: ``first``, ``adjuvant``, ``new_drug``, ``gap`` or ``given``.

When the treatments file has a ``line`` column (chart-abstracted numbering), the lines are taken as
given and :func:`compare_given_lines` lists the exposures that the rules would number differently.

The algorithm is vectorised over patients: one pass per line number, each pass a few array
operations over the exposures not yet assigned, so the cost grows with the number of lines of the
longest history, not with the number of patients.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from her2rwe.records.drugs import CLASSES, LINE_CLASS_ORDER

LINE_COLUMNS = [
    "patient_id",
    "line",
    "regimen",
    "classes",
    "line_class",
    "start_date",
    "end_date",
    "next_line_start",
    "end_reason",
    "discontinuation_reason",
    "rule",
    "setting",
    "n_exposures",
]
ANTI_HER2 = ("anti-HER2 antibody", "anti-HER2 ADC", "anti-HER2 TKI")
REASON_PRIORITY = ("progression", "ILD", "other_AE", "other", "completed")
_EPOCH = np.datetime64("1970-01-01", "D")


@dataclass(frozen=True)
class LineRules:
    """The line-of-therapy rules (see the module docstring); build with :func:`line_rules`."""

    regimen_window_days: int
    gap_days: int
    adjuvant_rule_months: float
    days_per_month: float
    substitutions: tuple[tuple[str, ...], ...]
    additions: tuple[tuple[str, str], ...]  # (added drug or class, drug or class in the line)


def line_rules(settings: Mapping[str, Any], days_per_month: float) -> LineRules:
    """The rules from a study's filled ``lines`` block."""
    return LineRules(
        regimen_window_days=int(settings["regimen_window_days"]),
        gap_days=int(settings["gap_days"]),
        adjuvant_rule_months=float(settings["adjuvant_rule_months"]),
        days_per_month=float(days_per_month),
        substitutions=tuple(tuple(g) for g in settings["substitutions"]),
        additions=tuple((a["add"], a["to"]) for a in settings["additions"]),
    )


def _days(s: pd.Series) -> np.ndarray:
    return (s.to_numpy(dtype="datetime64[D]") - _EPOCH).astype(np.int64)


def _lexsort(keys: Sequence[np.ndarray]) -> np.ndarray:
    """``np.lexsort(keys)`` for integer keys (the last the primary): when one int64 holds every
    combination, the keys are packed into one (each shifted to start at 0) and sorted stably, which
    gives the same order (ties keep the order of the rows) in about half the time."""
    n = len(keys[0])
    if n == 0:
        return np.lexsort(keys)
    lows = [int(k.min()) for k in keys]
    spans = [int(k.max()) - low + 1 for k, low in zip(keys, lows, strict=True)]
    total = 1
    for span in spans:
        total *= span
    if total >= 2**63:
        return np.lexsort(keys)
    packed = np.zeros(n, dtype=np.int64)
    for k, low, span in zip(reversed(keys), reversed(lows), reversed(spans), strict=True):
        packed = packed * span + (k.astype(np.int64) - low)
    return np.argsort(packed, kind="stable")


_TABLE_LIMIT = 1 << 26  # a presence table of at most 64 MB


def _distinct(values: np.ndarray, bound: int, table: bool = False) -> np.ndarray:
    """``np.unique(values)`` of non-negative integers below ``bound``, through a presence table (a
    linear pass instead of a sort) when the bound is small enough; with ``table``, that presence
    table itself (a bool array: ``t[v]`` says whether ``v`` is among the values)."""
    if bound > _TABLE_LIMIT:
        return np.unique(values)
    present = np.zeros(bound, dtype=bool)
    present[values] = True
    return present if table else np.flatnonzero(present)


def _first_rows(codes: np.ndarray) -> np.ndarray:
    """``np.unique(codes, return_index=True)[1]`` for the codes of :func:`pandas.factorize` (in
    order of first appearance: a code is new where it exceeds every earlier one), without a sort."""
    if len(codes) == 0 or codes.min() < 0:
        return np.unique(codes, return_index=True)[1]
    seen = np.maximum.accumulate(codes)
    return np.flatnonzero(np.r_[True, seen[1:] > seen[:-1]])


def _matches(names: np.ndarray, classes: np.ndarray, what: str) -> np.ndarray:
    """Drugs (by generic name and class) that `what` (a class or a generic name) refers to."""
    if what in CLASSES:
        return classes == what
    return names == what


def _label_regimens(masks: np.ndarray, names: np.ndarray, classes: np.ndarray):
    """Regimen, classes and summary class of each line from its drug bitmask (names sorted)."""
    uniq, inverse = np.unique(masks, return_inverse=True)
    reg, cls, main = [], [], []
    for m in uniq:
        drugs = [names[i] for i in range(len(names)) if (int(m) >> i) & 1]
        present = {classes[i] for i in range(len(names)) if (int(m) >> i) & 1}
        reg.append("+".join(drugs))
        cls.append("+".join(c for c in CLASSES if c in present))
        main.append(next((c for c in LINE_CLASS_ORDER if c in present), ""))
    return (
        np.array(reg, dtype=object)[inverse],
        np.array(cls, dtype=object)[inverse],
        np.array(main, dtype=object)[inverse],
    )


def _line_reasons(
    line_id: np.ndarray, end: np.ndarray, n_lines: int, codes: np.ndarray, values
) -> np.ndarray:
    """Per line: the last discontinuation reason recorded on its exposures (of the latest-ending
    exposure that has one; the most specific when several end that day: progression, ILD,
    other_AE, other, completed). Each exposure's reason is ``values[codes]`` (a code -1 or a
    missing value: none); the ranks are looked up once per distinct value."""
    out = np.full(n_lines, None, dtype=object)
    values = np.asarray(values, dtype=object)
    known = np.append(pd.notna(values), False)  # code -1: the last entry
    keep = known[codes]
    if not keep.any():
        return out
    priority = {r: i for i, r in enumerate(REASON_PRIORITY)}
    ranks = np.array([priority.get(v, 99) if isinstance(v, str) else 99 for v in values], np.int64)
    kept = codes[keep]
    rank = ranks[kept]
    # by line, latest end first, then rank; ties keep the order of the rows (a stable sort)
    lines = line_id[keep].astype(np.int64)
    order = _lexsort((rank, -end[keep].astype(np.int64), lines))
    lines = lines[order]
    first = np.r_[True, lines[1:] != lines[:-1]]
    out[lines[first]] = values[kept[order][first]]
    return out


def _number_metastatic(
    pat: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    drug: np.ndarray,
    key: np.ndarray,
    key_by_drug: np.ndarray,
    is_add: Sequence[np.ndarray],
    is_to: Sequence[np.ndarray],
    rules: LineRules,
):
    """Assign each (sorted) exposure to a line; return per-exposure line ordinal (0-based per
    patient) and per-line arrays."""
    n = len(pat)
    n_drugs = len(key_by_drug)
    n_keys = int(key_by_drug.max()) + 1 if len(key_by_drug) else 1
    ordinal = np.full(n, -1, dtype=np.int64)
    W, G = rules.regimen_window_days, rules.gap_days
    big = int(end.max() - start.min() + G + 10) if n else 1
    rem = np.arange(n)
    carried = np.empty(0, dtype=np.int64)  # pat * n_drugs + drug of drugs still given
    counter = np.zeros(int(pat.max()) + 1 if n else 0, dtype=np.int64)
    lines: dict[str, list[np.ndarray]] = {
        k: [] for k in ("pat", "ord", "start", "end", "next", "why", "rule", "mask")
    }
    rule_of_next = np.zeros(len(counter), dtype=np.int8)  # 0 first, 1 new_drug, 2 gap
    n_pairs, n_regs = len(counter) * n_drugs, len(counter) * n_keys  # bounds of the codes below
    while rem.size:
        p, s, e, d, k = pat[rem], start[rem], end[rem], drug[rem], key[rem]
        m = rem.size
        is_first = np.r_[True, p[1:] != p[:-1]]
        seg_start = np.flatnonzero(is_first)
        seg = np.cumsum(is_first) - 1
        seg_p = p[seg_start]
        in_win = (s - s[seg_start][seg]) <= W
        pairs = _distinct(np.concatenate([p[in_win] * n_drugs + d[in_win], carried]), n_pairs)
        pair_p, pair_d = pairs // n_drugs, pairs % n_drugs
        reg = _distinct(pair_p * n_keys + key_by_drug[pair_d], n_regs, table=True)
        in_reg = reg[p * n_keys + k] if reg.dtype == bool else np.isin(p * n_keys + k, reg)
        ok_add = np.zeros(m, dtype=bool)
        for add, to in zip(is_add, is_to, strict=True):
            has_to = np.zeros(len(counter), dtype=bool)
            has_to[pair_p[to[pair_d]]] = True
            ok_add |= add[d] & has_to[p]
        run = np.maximum.accumulate(e + seg * big)
        prev = np.r_[0, run[:-1]] - seg * big
        gap = ~is_first & ((s - prev) > G)
        brk = ~in_win & (gap | ~(in_reg | ok_add))
        pos = np.where(brk, np.arange(m), m)
        first_break = np.minimum.reduceat(pos, seg_start)
        seg_end = np.r_[seg_start[1:], m]
        ended = first_break < seg_end
        assigned = np.arange(m) < np.where(ended, first_break, seg_end)[seg]
        ordinal[rem[assigned]] = counter[p[assigned]]
        last_end = np.maximum.reduceat(np.where(assigned, e, np.iinfo(np.int64).min), seg_start)
        fb = np.minimum(first_break, m - 1)
        nxt = np.where(ended, s[fb], np.iinfo(np.int64).min)
        why = np.where(ended, np.where(gap[fb], 2, 1), 0).astype(np.int8)
        mask = np.zeros(len(seg_start), dtype=np.int64)
        pair_seg = np.searchsorted(seg_p, pair_p)
        np.bitwise_or.at(mask, pair_seg, np.left_shift(np.int64(1), pair_d.astype(np.int64)))
        for name, val in (
            ("pat", seg_p),
            ("ord", counter[seg_p].copy()),
            ("start", s[seg_start]),
            ("end", np.where(ended, np.minimum(last_end, nxt), last_end)),
            ("next", nxt),
            ("why", why),
            ("rule", rule_of_next[seg_p].copy()),
            ("mask", mask),
        ):
            lines[name].append(val)
        # drugs of a line that ended for a new drug and are still given when the next line starts
        still = assigned & ended[seg] & (why[seg] == 1) & (e > nxt[seg])
        carried = np.unique(p[still] * n_drugs + d[still])
        rule_of_next[seg_p] = why
        counter[seg_p] += 1
        rem = rem[~assigned]
    out = {k: (np.concatenate(v) if v else np.empty(0, dtype=np.int64)) for k, v in lines.items()}
    return ordinal, out


def _drugs(t: pd.DataFrame, factors: Mapping[str, tuple[np.ndarray, np.ndarray]]):
    """``(codes, names, classes)``: each exposure's code among the distinct generic names present,
    those names, and each name's class (that of its first exposure). From ``factors`` when it
    holds ``generic`` and ``drug_class`` with the same codes, else by :func:`pandas.factorize`."""
    if "generic" in factors and "drug_class" in factors:
        codes, names = factors["generic"]
        class_codes, classes = factors["drug_class"]
        if class_codes is codes:
            present = np.bincount(codes, minlength=len(names)) > 0
            names, classes = np.asarray(names, dtype=object), np.asarray(classes, dtype=object)
            if not present.all():  # a name of no exposure
                codes = (np.cumsum(present) - 1)[codes]
                names, classes = names[present], classes[present]
            return codes, names, classes
    codes, names = pd.factorize(t["generic"])
    return codes, np.asarray(names, dtype=object), t["drug_class"].to_numpy()[_first_rows(codes)]


@dataclass
class LinesResult:
    """Lines (one row per patient and line, LINE_COLUMNS) and each exposure's line (``exposure_line``,
    aligned with the treatments frame passed in; missing for early therapy outside every line)."""

    lines: pd.DataFrame
    exposure_line: pd.Series
    rule_line: pd.Series


def derive_lines(
    treatments: pd.DataFrame,
    patients: pd.DataFrame,
    rules: LineRules,
    use_given: bool = True,
    patient_rows: np.ndarray | None = None,
    factors: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> LinesResult:
    """Lines of therapy of every patient (see the module docstring for the rules).

    ``treatments``: patient_id, generic, drug_class, start_date, end_date (filled), setting,
    discontinuation_reason and optionally line; ``patients``: patient_id, metastatic_date,
    death_date, last_contact_date. ``patient_rows``: each treatment row's position in
    ``patients`` when known already (the records reader finds it), else looked up by ID.
    ``factors``: ``(codes, values)`` of some columns, ``values[codes]`` the column, when known
    already (:attr:`her2rwe.records.longitudinal.Records.treatment_factors`): ``generic`` with
    distinct values and ``drug_class`` with the same codes (each name's class), ``setting``,
    ``discontinuation_reason``; the others are read from the frame. The result does not depend on
    the order of the rows.
    """
    factors = {k: v for k, v in (factors or {}).items() if len(v[0]) == len(treatments)}
    t = treatments  # columns are read as arrays, by position: no copy with a fresh index
    pids = pd.Index(patients["patient_id"].astype(str))
    if patient_rows is None or len(patient_rows) != len(t) or not pids.is_unique:
        pat_all = pids.get_indexer(t["patient_id"].astype(str))
    else:
        pat_all = np.asarray(patient_rows, dtype=np.intp)
    if (pat_all < 0).any():
        raise ValueError("treatments name patients that are not in the patients table")
    g_codes, g_uniques, g_classes = _drugs(t, factors)
    names = np.array(sorted(g_uniques), dtype=object)
    if len(names) > 62:
        raise ValueError("more than 62 distinct drugs: regimen bitmasks need a wider type")
    drug_all = np.searchsorted(names, g_uniques)[g_codes]
    classes_by_drug = np.empty(len(names), dtype=object)
    classes_by_drug[np.searchsorted(names, g_uniques)] = g_classes
    groups = {g: i for i, grp in enumerate(rules.substitutions) for g in grp}
    key_by_drug = np.array(
        [len(names) + groups[nm] if nm in groups else i for i, nm in enumerate(names)],
        dtype=np.int64,
    )
    is_add = [_matches(names, classes_by_drug, a) for a, _ in rules.additions]
    is_to = [_matches(names, classes_by_drug, b) for _, b in rules.additions]
    start_all, end_all = _days(t["start_date"]), _days(t["end_date"])
    if "setting" in factors:
        codes, values = factors["setting"]
        early = (np.asarray(values, dtype=object) == "early")[codes]
    else:
        early = (t["setting"] == "early").to_numpy()

    # early therapy counted as line 1 by the adjuvant rule
    meta = _days(patients["metastatic_date"])
    her2 = early & np.isin(classes_by_drug, ANTI_HER2)[drug_all]
    last_her2 = np.full(len(pids), np.iinfo(np.int64).min)
    np.maximum.at(last_her2, pat_all[her2], end_all[her2])
    has_her2 = last_her2 > np.iinfo(np.int64).min
    limit = rules.adjuvant_rule_months * rules.days_per_month
    adjuvant = has_her2 & ((meta - last_her2) <= limit)
    adj_rows = early & adjuvant[pat_all]

    met = ~early
    idx = np.flatnonzero(met)
    order = _lexsort((end_all[idx], drug_all[idx], start_all[idx], pat_all[idx]))
    idx = idx[order]
    ordinal, ml = _number_metastatic(
        pat_all[idx],
        start_all[idx],
        end_all[idx],
        drug_all[idx],
        key_by_drug[drug_all[idx]],
        key_by_drug,
        is_add,
        is_to,
        rules,
    )
    offset = adjuvant.astype(np.int64)
    rule_names = np.array(["first", "new_drug", "gap"], dtype=object)
    why_names = np.array(["", "new_drug", "gap"], dtype=object)
    met_lines = pd.DataFrame(
        {
            "pat": ml["pat"],
            "line": ml["ord"] + 1 + offset[ml["pat"]],
            "start": ml["start"],
            "end": ml["end"],
            "next": ml["next"],
            "end_reason": why_names[ml["why"]],
            "rule": rule_names[ml["rule"]],
            "mask": ml["mask"],
            "setting": "metastatic",
        }
    )
    # per-exposure line numbers (rules), and the discontinuation reason per line
    rule_line = np.full(len(t), -1, dtype=np.int64)
    rule_line[idx] = ordinal + 1 + offset[pat_all[idx]]
    rule_line[adj_rows] = 1

    adj_idx = np.flatnonzero(adj_rows)
    if len(adj_idx):
        ap = pat_all[adj_idx]
        frame = pd.DataFrame(
            {
                "pat": ap,
                "s": start_all[adj_idx],
                "e": end_all[adj_idx],
                "bit": np.left_shift(np.int64(1), drug_all[adj_idx].astype(np.int64)),
            }
        )
        g = frame.groupby("pat", sort=True)
        adj = pd.DataFrame(
            {
                "start": g["s"].min(),
                "end": g["e"].max(),
                "mask": frame.drop_duplicates(["pat", "bit"]).groupby("pat")["bit"].sum(),
            }
        ).reset_index()
        first_met = pd.Series(ml["start"][ml["ord"] == 0], index=ml["pat"][ml["ord"] == 0])
        nxt = (
            first_met.reindex(adj["pat"]).fillna(np.iinfo(np.int64).min).astype(np.int64).to_numpy()
        )
        adj_lines = pd.DataFrame(
            {
                "pat": adj["pat"].to_numpy(),
                "line": 1,
                "start": adj["start"].to_numpy(),
                "end": np.where(
                    nxt > np.iinfo(np.int64).min, np.minimum(adj["end"], nxt), adj["end"]
                ),
                "next": nxt,
                "end_reason": "recurrence",
                "rule": "adjuvant",
                "mask": adj["mask"].to_numpy(),
                "setting": "early",
            }
        )
        met_lines.loc[(met_lines["line"] == 2) & adjuvant[met_lines["pat"]], "rule"] = "first"
        all_lines = pd.concat([adj_lines, met_lines], ignore_index=True)
    else:
        all_lines = met_lines

    given = "line" in t.columns and use_given and t["line"].notna().any()
    if given:
        all_lines, exp_line = _given_lines(t, pat_all, drug_all, start_all, end_all, early)
    else:
        exp_line = rule_line
    lines = _finish(
        all_lines,
        t,
        pat_all,
        exp_line,
        end_all,
        patients,
        pids,
        names,
        classes_by_drug,
        rules,
        factors.get("discontinuation_reason"),
    )

    def as_series(a):
        values = pd.arrays.IntegerArray(np.where(a > 0, a, 0).astype(np.int64), a <= 0)
        return pd.Series(values, index=treatments.index)

    return LinesResult(lines, as_series(exp_line), as_series(rule_line))


def _given_lines(t, pat_all, drug_all, start_all, end_all, early):
    """Lines as numbered in the treatments file's ``line`` column."""
    has = t["line"].notna().to_numpy()
    given = np.where(has, t["line"].fillna(0).to_numpy(dtype=np.int64), -1)
    frame = pd.DataFrame(
        {
            "pat": pat_all[has],
            "line": given[has],
            "s": start_all[has],
            "e": end_all[has],
            "early": early[has],
            "bit": np.left_shift(np.int64(1), drug_all[has].astype(np.int64)),
        }
    )
    g = frame.groupby(["pat", "line"], sort=True)
    lines = pd.DataFrame(
        {
            "start": g["s"].min(),
            "end": g["e"].max(),
            "mask": frame.drop_duplicates(["pat", "line", "bit"])
            .groupby(["pat", "line"])["bit"]
            .sum(),
            "early": g["early"].all(),
        }
    ).reset_index()
    nxt = lines.groupby("pat")["start"].shift(-1)
    has_next = nxt.notna().to_numpy()
    nxt = nxt.fillna(np.iinfo(np.int64).min).astype(np.int64).to_numpy()
    lines["end"] = np.where(has_next, np.minimum(lines["end"], nxt), lines["end"])
    lines["next"] = nxt
    lines["end_reason"] = np.where(has_next, "given", "")
    lines["rule"] = "given"
    lines["setting"] = np.where(lines["early"], "early", "metastatic")
    return lines.drop(columns="early"), given


def _finish(
    all_lines, t, pat_all, exp_line, end_all, patients, pids, names, classes_by_drug, rules, reasons
):
    all_lines = all_lines.sort_values(["pat", "line"], kind="stable").reset_index(drop=True)
    # terminal reasons for each patient's last line
    last = ~all_lines["pat"].duplicated(keep="last").to_numpy()
    death = _days(patients["death_date"].fillna(pd.Timestamp("2262-01-01")))
    death_known = patients["death_date"].notna().to_numpy()
    contact = _days(patients["last_contact_date"].fillna(pd.Timestamp("1678-01-01")))
    contact_known = patients["last_contact_date"].notna().to_numpy()
    pat = all_lines["pat"].to_numpy()
    end = all_lines["end"].to_numpy()
    terminal = np.where(
        death_known[pat] & (death[pat] - end <= rules.gap_days),
        "death",
        np.where(contact_known[pat] & (contact[pat] - end <= rules.gap_days), "ongoing", "stopped"),
    )
    reason = all_lines["end_reason"].to_numpy(dtype=object)
    reason = np.where(last & (all_lines["setting"].to_numpy() == "metastatic"), terminal, reason)
    # line ids for exposures, then the recorded discontinuation reason of the ending exposures
    # lines are sorted by (patient, line): a line's id is the position of its key
    width = int(max(all_lines["line"].max() if len(all_lines) else 0, exp_line.max(initial=0))) + 1
    line_key = pat.astype(np.int64) * width + all_lines["line"].to_numpy(dtype=np.int64)
    has = exp_line > 0
    line_id = np.searchsorted(line_key, pat_all[has].astype(np.int64) * width + exp_line[has])
    if reasons is None:  # the codes of the column's distinct values
        reasons = pd.factorize(t["discontinuation_reason"].to_numpy(dtype=object))
    codes, values = reasons
    dis = _line_reasons(line_id, end_all[has], len(all_lines), codes[has], values)
    n_exp = np.bincount(line_id, minlength=len(all_lines))
    regimen, classes, main = _label_regimens(all_lines["mask"].to_numpy(), names, classes_by_drug)
    nxt = all_lines["next"].to_numpy()
    to_date = lambda a: (_EPOCH + a.astype("timedelta64[D]")).astype("datetime64[ns]")  # noqa: E731
    next_date = np.where(
        nxt > np.iinfo(np.int64).min, to_date(np.maximum(nxt, -(10**6))), np.datetime64("NaT")
    )
    return pd.DataFrame(
        {
            "patient_id": pids.to_numpy()[pat],  # str already (pids)
            "line": all_lines["line"].to_numpy(dtype=np.int64),
            "regimen": regimen,
            "classes": classes,
            "line_class": main,
            "start_date": to_date(all_lines["start"].to_numpy()),
            "end_date": to_date(end),
            "next_line_start": pd.to_datetime(next_date),
            "end_reason": reason.astype(object),
            "discontinuation_reason": dis,
            "rule": all_lines["rule"].to_numpy(dtype=object),
            "setting": all_lines["setting"].to_numpy(dtype=object),
            "n_exposures": n_exp.astype(np.int64),
        },
        columns=LINE_COLUMNS,
    )


def compare_given_lines(treatments: pd.DataFrame, result: LinesResult) -> pd.DataFrame:
    """Exposures whose given line differs from the line the rules assign (patient-level,
    internal): patient_id, row (0-based data row of the file), drug, start_date, given_line,
    rule_line."""
    if "line" not in treatments.columns:
        return pd.DataFrame(
            columns=["patient_id", "row", "drug", "start_date", "given_line", "rule_line"]
        )
    given = treatments["line"].astype("Int64")
    rule = result.rule_line
    differ = (given.fillna(0) != rule.fillna(0)).to_numpy()
    out = treatments.loc[differ, ["patient_id", "row", "drug", "start_date"]].copy()
    out["given_line"] = given[differ]
    out["rule_line"] = rule[differ]
    return out.drop_duplicates("row").reset_index(drop=True)
