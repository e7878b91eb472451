"""Shareable versions of the results tables: small counts masked (``min_cell_count``).

Every stage computes its tables once, writes them unsuppressed under ``results/{study}/internal/``
and writes the copy returned here under ``results/{study}/tables/``. Each function applies the
table's recipe (docs/privacy.md, section 3): which columns are counts, which percentages and
confidence bounds derive from them, and which cells add up to which totals, so that complementary
suppression leaves no masked cell recoverable from a total. With ``k <= 1`` every function returns
an unchanged copy.

:class:`Shared` keeps the suppression result that :func:`suppression.audit` checks; for tables whose
totals are not rows of their own (best response, baseline, subgroups), that result is computed on
the table with the total rows added, and ``table``/``status`` are the contract-shaped copies.

Pure functions: no file writes, no printing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from her2rwe.outputs import suppression
from her2rwe.outputs.suppression import COMPLEMENTARY, COMPLEMENTARY_MARKER, PRIMARY, Margin

RATES = ("orr", "cbr", "dcr")
AE_COUNTS = ("any_grade", "grade3plus", "grade34", "grade5")
_TOTAL = "__total__"


@dataclass
class Shared:
    """A shareable table: ``table`` (masked cells hold ``<k`` or ``*``), ``status`` (same shape:
    "", "primary" or "complementary"), and ``result``, the :class:`suppression.Suppressed` that
    :func:`suppression.audit` checks (None when nothing was suppressed)."""

    table: pd.DataFrame
    status: pd.DataFrame
    k: int
    result: suppression.Suppressed | None = None
    force: list = field(default_factory=list)  # cells hidden because another table hides them

    def footnote(self) -> str:
        return _footnote(self.status, self.k)

    def log_line(self, name: str) -> str:
        """``<name>: 2 primary, 1 complementary cell(s) masked``, for a job log."""
        status = self.status.to_numpy()
        return (
            f"{name}: {(status == PRIMARY).sum()} primary, "
            f"{(status == COMPLEMENTARY).sum()} complementary cell(s) masked"
        )


def off(k: int | None) -> bool:
    return not k or k <= 1


def _unchanged(table: pd.DataFrame, k: int | None) -> Shared:
    status = pd.DataFrame("", index=table.index, columns=table.columns)
    return Shared(table.copy(), status, int(k or 0))


def _footnote(status: pd.DataFrame, k: int) -> str:
    values = status.to_numpy()
    if not (values != "").any():
        return ""
    text = f"Counts from 1 to {k - 1} are shown as {suppression.marker(k)}"
    if (values == COMPLEMENTARY).any():
        text += (
            f"; cells marked {COMPLEMENTARY_MARKER} are hidden so that they cannot be recovered "
            "from totals"
        )
    return text + "."


def is_small(value: Any, k: int | None) -> bool:
    """True for a count from 1 to k-1 (never with k <= 1)."""
    return not off(k) and 1 <= suppression._num(value) < k


def mask_count(value: Any, k: int | None) -> Any:
    """A single count as it may be shown: ``<k`` for 1..k-1, else the value unchanged."""
    return suppression.marker(int(k)) if is_small(value, k) else value


def is_masked(value: Any) -> bool:
    """True for the text of a masked cell (``<k`` or ``*``)."""
    return isinstance(value, str) and (value == COMPLEMENTARY_MARKER or value.startswith("<"))


def arm_sizes(sizes: Mapping[str, Any], k: int | None, total: str = "Overall") -> dict[str, str]:
    """The study's one decision on its arm sizes, which every shareable output that prints an
    arm's n follows (survival.csv and comparisons.csv, the baseline header and totals): arm ->
    "" (shown), "primary" (1..k-1) or "complementary", and ``total`` -> the same for the study's
    size. Arms add up to the total, so one hidden arm hides a second one (the smallest shown).
    ``sizes``: arm -> number of patients."""
    arms = list(sizes)
    if off(k) or not arms:
        return {**dict.fromkeys(arms, ""), total: ""}
    frame = pd.DataFrame(
        {"arm": [*arms, _TOTAL], "n": [suppression._num(sizes[a]) for a in arms] + [
            float(sum(suppression._num(sizes[a]) for a in arms))]}
    )  # fmt: skip
    status = suppression.suppress(frame, ["n"], int(k), margins=[Margin("arm", _TOTAL)]).status
    return {**dict(zip(arms, status["n"][: len(arms)], strict=True)), total: status["n"].iloc[-1]}


def shown_size(n: Any, status: str, k: int | None) -> Any:
    """An arm's n as printed under :func:`arm_sizes`: its marker when hidden, else the number."""
    if status == PRIMARY:
        return suppression.marker(int(k))
    return COMPLEMENTARY_MARKER if status == COMPLEMENTARY else n


def _present(table: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    return [c for c in columns if c in table.columns]


def _whole(frame: pd.DataFrame) -> pd.DataFrame:
    """Whole floats of text (object) columns as ints: a float column that holds a marker is written
    cell by cell, where 50.0 would read ``50.0`` instead of the ``50`` of the unmasked table."""
    for c in frame.columns:
        if frame[c].dtype == object:
            frame[c] = [int(v) if isinstance(v, float) and v.is_integer() else v for v in frame[c]]
    return frame


def _apply(table: pd.DataFrame, status: pd.DataFrame, k: int) -> pd.DataFrame:
    out = table.copy()
    hidden = status != ""
    if hidden.to_numpy().any():
        cols = [c for c in table.columns if hidden[c].any()]
        out[cols] = out[cols].astype(object)
        out = _whole(
            out.mask(status == PRIMARY, suppression.marker(k)).mask(
                status == COMPLEMENTARY, COMPLEMENTARY_MARKER
            )
        )
    return mask_notes(out, status, k)


# a count in a note: "3 patient(s) without a best response", "all 12 patients censored"
_NOTE_COUNT = re.compile(r"\b(\d+)(?= (?:patient|event|subject))")
# a note that says a count is zero: "no patients", "no events on one side", "all ... censored"
_NOTE_ZERO = re.compile(r"\bno (?:[\w-]+ )?(?:patients|events)\b|\ball patients censored\b")
NOTE_COLUMNS = ("note",)


def mask_note(note: Any, k: int, row_hidden: bool) -> Any:
    """A table note as it may be shared. A count it prints is masked like a count cell (``<k`` for
    1..k-1); in a row with a masked cell every count it prints reads ``*``, and a note that states
    a zero count ("no patients", "no events", "all patients censored") or a fact that bounds one
    reads ``*`` as a whole: beside a masked cell it would give it back or narrow it
    (docs/privacy.md)."""
    if off(k) or not isinstance(note, str) or not note:
        return note
    if row_hidden and _NOTE_ZERO.search(note):
        return COMPLEMENTARY_MARKER

    def count(m: re.Match) -> str:
        n = int(m.group(1))
        if row_hidden:
            return COMPLEMENTARY_MARKER
        return suppression.marker(k) if 1 <= n < k else m.group(1)

    return _NOTE_COUNT.sub(count, note)


def mask_notes(table: pd.DataFrame, status: pd.DataFrame, k: int) -> pd.DataFrame:
    """:func:`mask_note` on every note column, a row's cells hidden as ``status`` says."""
    notes = [c for c in NOTE_COLUMNS if c in table.columns]
    if off(k) or not notes:
        return table
    out = table.copy()
    row_hidden = (status != "").any(axis=1)
    for c in notes:
        out[c] = [mask_note(v, k, bool(h)) for v, h in zip(out[c], row_hidden, strict=True)]
    return out


def _simple(table: pd.DataFrame, k: int, counts: Sequence[str], **kwargs) -> Shared:
    if off(k) or table.empty:
        return _unchanged(table, k)
    result = suppression.suppress(table, counts=_present(table, counts), k=k, **kwargs)
    return Shared(
        mask_notes(_whole(result.table.copy()), result.status, k), result.status, k, result
    )


# ------------------------------------------------------------------------------------------------
# survival stage


def survival(table: pd.DataFrame, k: int, force: Sequence[tuple[Any, str]] = ()) -> Shared:
    """survival.csv: n = events + censored in each row; per endpoint, the arms add up to the overall
    row, and so do the groups of every subgroup split (patients missing the variable are the
    remainder, a hidden cell)."""
    splits = [s for s in dict.fromkeys(table.get("split", pd.Series(dtype=str))) if s != "overall"]
    margins = [Margin("split", "overall", within=["endpoint"], parts=[s]) for s in splits]
    return _simple(
        table, k, ["n", "events", "censored"], row_totals={"n": ["events", "censored"]},
        margins=margins, force=force,
    )  # fmt: skip


def coarsen_at_risk(value: Any, k: int | None) -> Any:
    """A number at risk (or a cumulative count) as shared: 0 as it is, 1..k-1 ``<k``, and a larger
    number rounded down to a multiple of k (25 reads 22 with k = 11). Two shown numbers of a row
    then differ by a multiple of k or by an unknown amount, never by a small count, and the number
    at time 0 does not give an arm's n back where a table hides it (docs/privacy.md)."""
    if off(k) or value is None:
        return value
    v = suppression._num(value)
    if np.isnan(v) or v == 0:
        return value
    if v < k:
        return suppression.marker(int(k))
    return int(v // k) * int(k)


def landmarks(table: pd.DataFrame, k: int) -> Shared:
    """landmarks.csv: numbers at risk coarsened (:func:`coarsen_at_risk`): below k masked, larger
    numbers rounded down to a multiple of k (the difference of two exact numbers at risk is the
    small count of patients who left the risk set between them)."""
    if off(k) or table.empty or "n_risk" not in table.columns:
        return _unchanged(table, k)
    status = pd.DataFrame("", index=table.index, columns=table.columns)
    status["n_risk"] = [PRIMARY if is_small(v, k) else "" for v in table["n_risk"]]
    out = table.copy()
    out["n_risk"] = [coarsen_at_risk(v, k) for v in out["n_risk"]]
    return Shared(_whole(out), status, k)


def _size_cells(survival_t: pd.DataFrame, sizes: Mapping[str, Any] | None, k: int) -> list:
    """The n cells of survival.csv that hold an arm's size (or the study's) hidden by
    :func:`arm_sizes`."""
    if not sizes or survival_t.empty:
        return []
    hidden = {a for a, st in arm_sizes(sizes, k, total=_TOTAL).items() if st}
    whole = float(sum(suppression._num(v) for v in sizes.values()))
    cells = []
    for idx, row in survival_t.iterrows():
        group = _TOTAL if row["split"] == "overall" else str(row["group"])
        size = whole if group == _TOTAL else suppression._num(sizes.get(group))
        if row["split"] in ("arm", "overall") and group in hidden and row["n"] == size:
            cells.append((idx, "n"))
    return cells


def comparisons(table: pd.DataFrame, k: int, survival_shared: Shared | None = None) -> Shared:
    """comparisons.csv: n and events of each comparison, events within n. A comparison's n and
    events are the sums of its two arms' rows of survival.csv: with ``survival_shared``, each is
    hidden when survival.csv hides either arm's count (the sum and the other arm would give it
    back)."""
    force = []
    if survival_shared is not None and not off(k) and not table.empty:
        surv, status = survival_shared.table, survival_shared.status
        arm_rows = surv["split"].astype(str) == "arm"
        for idx, row in table.iterrows():
            rows = arm_rows & (surv["endpoint"].astype(str) == str(row["endpoint"]))
            rows &= surv["group"].astype(str).isin([str(row["arm"]), str(row["reference"])])
            for c in ("n", "events"):
                if (status.loc[rows, c] != "").any():
                    force.append((idx, c))
    return _simple(table, k, ["n", "events"], row_totals={"n": ["events"]}, force=force)


def cox_models(table: pd.DataFrame, k: int) -> Shared:
    """cox_models.csv: n and events of each model term, events within n."""
    return _simple(table, k, ["n", "events"], row_totals={"n": ["events"]})


def subgroup_survival(table: pd.DataFrame, k: int, force: Sequence[tuple[Any, str]] = ()) -> Shared:
    """subgroup_survival.csv: events within n (and within n_reference); per endpoint, subgroup
    variable and group, the levels add up to the endpoint's Overall row (missing values are the
    hidden remainder). Each (endpoint, variable) block is suppressed with its Overall row; a cell
    of an Overall row is masked when any block masks it (masking more never makes a hidden cell
    recoverable). ``result`` is the suppression of the last block with masks (for the audit use
    :func:`subgroup_blocks`)."""
    if off(k) or table.empty:
        return _unchanged(table, k)
    status = pd.DataFrame("", index=table.index, columns=table.columns)
    last = None
    for rows, result in subgroup_blocks(table, k, force):
        last = result
        for idx, row in zip(rows, result.status.index, strict=True):
            for c in result.status.columns:
                s = result.status.at[row, c]
                if s == PRIMARY or (s == COMPLEMENTARY and status.at[idx, c] == ""):
                    status.at[idx, c] = s
    return Shared(_apply(table, status, k), status, k, last)


def subgroup_blocks(
    table: pd.DataFrame, k: int, force: Sequence[tuple[Any, str]] = ()
) -> list[tuple[list[Any], suppression.Suppressed]]:
    """The blocks of :func:`subgroup_survival`: (index labels of the table's rows, suppression of
    the block: the endpoint's Overall rows and one variable's level rows)."""
    counts = _present(table, ["n", "events", "n_reference", "events_reference"])
    is_total = table["level"].astype(str) == "Overall"
    out = []
    for endpoint in dict.fromkeys(table["endpoint"]):
        of_ep = table["endpoint"] == endpoint
        variables = list(dict.fromkeys(table.loc[of_ep & ~is_total, "variable"]))
        for variable in variables or [None]:  # no subgroup: the Overall rows alone
            rows = table.index[of_ep & (is_total | (table["variable"] == variable))]
            block = table.loc[rows, ["level", "group", *counts]].reset_index(drop=True)
            at = {idx: i for i, idx in enumerate(rows)}
            result = suppression.suppress(
                block, counts=counts, k=k,
                row_totals=[("n", ["events"]), ("n_reference", ["events_reference"])],
                margins=[Margin("level", "Overall", within=["group"])] if variable is not None else [],
                force=[(at[idx], c) for idx, c in force if idx in at and c in counts],
            )  # fmt: skip
            out.append((list(rows), result))
    return out


def _links(survival_t: pd.DataFrame, subgroups: pd.DataFrame) -> list[tuple[tuple, tuple]]:
    """Pairs of cells that hold the same count in survival.csv and subgroup_survival.csv:
    ((survival index, column), (subgroup index, column)). An Overall row's group and reference are
    the arm rows; a level row's are the subgroup split's group ``"<level>, <arm>"``, or the
    ``compare`` group, or the level. Only cells with equal values are linked."""
    where = {
        (str(r.endpoint), str(r.split), str(r.group)): idx
        for idx, r in zip(survival_t.index, survival_t.itertuples(index=False), strict=True)
    }
    out = []
    for idx, r in zip(subgroups.index, subgroups.itertuples(index=False), strict=True):
        ep, var, level = str(r.endpoint), str(r.variable), str(r.level)
        for group, cols in (
            (r.group, ("n", "events")),
            (r.reference, ("n_reference", "events_reference")),
        ):
            if level == "Overall":
                keys = [(ep, "arm", str(group))]
            else:
                keys = [(ep, var, f"{level}, {group}"), (ep, var, str(group)), (ep, var, level)]
            hit = next((where[key] for key in keys if key in where), None)
            if hit is None:
                continue
            for src, dst in zip(("n", "events"), cols, strict=True):
                if dst in subgroups.columns and suppression._num(
                    survival_t.at[hit, src]
                ) == suppression._num(getattr(r, dst)):
                    out.append(((hit, src), (idx, dst)))
    return out


def survival_tables(
    survival_t: pd.DataFrame,
    subgroups: pd.DataFrame,
    k: int,
    sizes: Mapping[str, Any] | None = None,
) -> tuple[Shared, Shared]:
    """survival.csv and subgroup_survival.csv suppressed together: a count that sits in both
    (an arm's n and events, a subgroup group's) is hidden in both or in neither. Each table is
    suppressed with the cells the other hides forced hidden, until neither adds any. ``sizes``
    (arm -> patients): an arm's n equal to its size is hidden where :func:`arm_sizes` hides it."""
    if off(k):
        return survival(survival_t, k), subgroup_survival(subgroups, k)
    links = _links(survival_t, subgroups) if not subgroups.empty else []
    force_s: set = set(_size_cells(survival_t, sizes, k))
    force_g: set = set()
    for _ in range(10):
        sv = survival(survival_t, k, sorted(force_s, key=str))
        sg = subgroup_survival(subgroups, k, sorted(force_g, key=str))
        new_g = {b for a, b in links if sv.status.at[a] and not sg.status.at[b]}
        new_s = {a for a, b in links if sg.status.at[b] and not sv.status.at[a]}
        if not new_g and not new_s:
            break
        force_g |= new_g
        force_s |= new_s
    sv.force, sg.force = sorted(force_s, key=str), sorted(force_g, key=str)
    return sv, sg


# ------------------------------------------------------------------------------------------------
# competing risks


def cumulative_incidence(table: pd.DataFrame, k: int) -> Shared:
    """cumulative_incidence.csv: the events of a type by a time within its events over the whole
    follow-up, those within n (the crude percentage masked with them); per endpoint, event type and
    time, the arms add up to the All row. Numbers at risk below k are masked; the estimates are
    shown, as in landmarks.csv."""
    return _simple(
        table, k, ["n", "n_risk", "events", "events_total"],
        pcts={"crude_pct": ("events_total", "n")},
        row_totals=[("n", ["events_total"]), ("events_total", ["events"])],
        margins=[Margin("arm", "All", within=["endpoint", "event_type", "time"])],
    )  # fmt: skip


def competing_comparisons(table: pd.DataFrame, k: int) -> Shared:
    """competing_comparisons.csv: events and competing events within n of each comparison."""
    return _simple(
        table, k, ["n", "events", "competing"], row_totals={"n": ["events", "competing"]}
    )


# ------------------------------------------------------------------------------------------------
# response, safety, baseline


def _rate_pcts(columns: Sequence[str]) -> dict[str, tuple]:
    """Each rate's percentage and confidence bounds, masked with its count (the bounds of an exact
    interval give the count back). The bounds are masked with a hidden denominator even for a
    count of 0: the upper limit of 0/n is a function of n."""
    out: dict[str, tuple] = {}
    for r in RATES:
        for suffix in ("pct", "lower", "upper"):
            if f"{r}_{suffix}" in columns and f"{r}_n" in columns:
                out[f"{r}_{suffix}"] = (f"{r}_n", "n") + (() if suffix == "pct" else ("always",))
    return out


_RATE_NESTING = [("n", ["dcr_n"]), ("dcr_n", ["cbr_n"]), ("cbr_n", ["orr_n"])]

#: statistics of a response comparison that are functions of its four counts (a difference with
#: three of the counts gives the fourth back)
COMPARISON_DERIVED = (
    "diff", "diff_lower", "diff_upper", "odds_ratio", "or_lower", "or_upper", "statistic", "p",
)  # fmt: skip


def response_comparisons(table: pd.DataFrame, response_shared: Shared, k: int) -> Shared:
    """response_comparisons.csv: each count (``x``, ``n``, ``x_reference``, ``n_reference``) is
    hidden exactly where response.csv hides it (same arm, same rate), and when any count of a row is
    hidden, so is every statistic computed from them (difference, odds ratio, their CIs, the test
    statistic and p): with the other three counts they would give the hidden one back."""
    if off(k) or table.empty:
        return _unchanged(table, k)
    resp, rstat = response_shared.table, response_shared.status
    row_of = {str(a): i for i, a in zip(resp.index, resp["arm"], strict=True)}
    status = pd.DataFrame("", index=table.index, columns=table.columns)
    for idx, rec in table.iterrows():
        rate = rec["rate"]
        cells = {
            "x": (rec["arm"], f"{rate}_n"),
            "n": (rec["arm"], "n"),
            "x_reference": (rec["reference"], f"{rate}_n"),
            "n_reference": (rec["reference"], "n"),
        }
        hidden = False
        for col, (arm, rcol) in cells.items():
            if col not in table.columns:
                continue
            i = row_of.get(str(arm))
            kind = rstat.at[i, rcol] if i is not None and rcol in rstat.columns else ""
            if not kind and is_small(rec[col], k):
                kind = PRIMARY
            if kind:
                status.at[idx, col] = kind
                hidden = True
        if hidden:
            for col in _present(table, COMPARISON_DERIVED):
                status.at[idx, col] = COMPLEMENTARY
    return Shared(_apply(table, status, k), status, k)


def response(table: pd.DataFrame, k: int) -> Shared:
    """response.csv: ORR within CBR within DCR within n per row, n within ``n_total`` (the arm's
    patients, of whom n are in the denominator); the arms add up to Overall."""
    nesting = list(_RATE_NESTING)
    if "n_total" in table.columns:
        nesting.insert(0, ("n_total", ["n"]))
    return _simple(
        table, k, ["n_total", "n", "orr_n", "cbr_n", "dcr_n"], pcts=_rate_pcts(table.columns),
        row_totals=nesting, margins=[Margin("arm", "Overall")],
    )  # fmt: skip


def response_duration(table: pd.DataFrame, k: int) -> Shared:
    """response_duration.csv: DoR events within responders within n per arm."""
    nesting = [("n", ["responders"]), ("responders", ["dor_events"])]
    return _simple(table, k, ["n", "responders", "dor_events"], row_totals=nesting)


def response_subgroups(
    table: pd.DataFrame, k: int, arm_totals: pd.DataFrame | None = None
) -> Shared:
    """response_subgroups.csv: as response.csv per row; within a subgroup level, the arms add up to
    the Overall arm row; with ``arm_totals`` (response.csv), within a subgroup variable and arm the
    levels add up to the arm's row of response.csv (patients missing the variable are the hidden
    remainder), related through added total rows."""
    counts = ["n", "orr_n", "cbr_n", "dcr_n"]
    if off(k) or table.empty:
        return _unchanged(table, k)
    base = table.reset_index(drop=True)
    ext = base
    margins = [Margin("arm", "Overall", within=["variable", "level"])]
    present = _present(base, counts)
    if arm_totals is not None and len(arm_totals):
        totals = []
        by_arm = arm_totals.set_index(arm_totals["arm"].astype(str))
        for (variable, arm), _ in base.groupby(["variable", "arm"], sort=False):
            if str(arm) in by_arm.index:
                row = {"variable": variable, "arm": arm, "level": _TOTAL}
                row.update({c: by_arm.at[str(arm), c] for c in present if c in by_arm.columns})
                totals.append(row)
        if totals:
            ext = pd.concat([base, pd.DataFrame(totals)], ignore_index=True)
            margins.append(Margin("level", _TOTAL, within=["variable", "arm"]))
    result = suppression.suppress(
        ext, counts=present, k=k, pcts=_rate_pcts(base.columns), row_totals=_RATE_NESTING,
        margins=margins,
    )  # fmt: skip
    st = result.status.iloc[: len(base)][list(base.columns)]
    st.index = table.index
    return Shared(_apply(table, st, k), st, k, result)


def best_response(table: pd.DataFrame, k: int) -> Shared:
    """best_response.csv: per arm, the categories (with missing) add up to the arm's n (``n_arm``,
    related through an added total row); ``pct`` is masked with ``n``, and with ``n_arm`` when
    ``n`` is not zero."""
    if off(k) or table.empty:
        return _unchanged(table, k)
    base = table.reset_index(drop=True)
    totals = base.groupby("arm", sort=False)["n_arm"].first().reset_index()
    totals["response"], totals["n"] = _TOTAL, totals["n_arm"]
    ext = pd.concat([base, totals[["arm", "response", "n", "n_arm"]]], ignore_index=True)
    result = suppression.suppress(
        ext,
        counts=["n"],
        k=k,
        margins=[
            Margin("response", _TOTAL, within=["arm"]),
            Margin("arm", "Overall", within=["response"]),
        ],
    )
    st = result.status.iloc[: len(base)].reset_index(drop=True)
    arm_status = dict(zip(totals["arm"], result.status["n"].iloc[len(base) :], strict=True))
    st["n_arm"] = [arm_status[a] for a in base["arm"]]
    pct = st["n"].copy()
    for i in range(len(base)):
        if not pct[i] and st.at[i, "n_arm"] and suppression._num(base.at[i, "n"]) != 0:
            pct[i] = st.at[i, "n_arm"]
    st["pct"] = pct
    st.index = table.index
    return Shared(_apply(table, st[table.columns], k), st[table.columns], k, result)


def adverse_events(table: pd.DataFrame, k: int) -> Shared:
    """adverse_events.csv / adverse_events_by_category.csv: per row, any grade within n, grade >= 3
    within any grade, grade 3-4 and grade 5 within grade >= 3; per term (category), the arms add up
    to the Overall row. No relation across terms or categories (a patient has several). Each
    percentage goes with its count and ``n``."""
    by = "term" if "term" in table.columns else "category"
    pcts = {f"{c}_pct": (f"{c}_n", "n") for c in AE_COUNTS if f"{c}_pct" in table.columns}
    return _simple(
        table, k, ["n", *(f"{c}_n" for c in AE_COUNTS)], pcts=pcts,
        row_totals=[("n", ["any_grade_n"]), ("any_grade_n", ["grade3plus_n"]),
                    ("grade3plus_n", ["grade34_n", "grade5_n"])],
        margins=[Margin("arm", "Overall", within=[by])],
    )  # fmt: skip


def baseline(
    table: pd.DataFrame, k: int, groups: Sequence[str], sizes: Mapping[str, int]
) -> Shared:
    """baseline.csv: the ``{group}__n`` counts of every row; per row, the arms add up to Overall;
    per categorical variable, the levels (with Missing) add up to the group's N (``sizes``, related
    through an added total row). Percentages go with their counts; the formatted text cells
    (``"23 (46.0%)"``) of categorical rows are masked with their count. Continuous rows keep their
    summary statistics; their ``__n`` is masked like any count."""
    if off(k) or table.empty:
        return _unchanged(table, k)
    arms = [g for g in groups if g != groups[-1]]
    overall = groups[-1]
    counts = [f"{g}__n" for g in groups if f"{g}__n" in table.columns]
    pcts = {f"{g}__pct": f"{g}__n" for g in groups if f"{g}__pct" in table.columns}
    base = table.reset_index(drop=True)
    cat_vars = list(dict.fromkeys(base.loc[base["type"] != "continuous", "variable"]))
    totals = pd.DataFrame(
        [{"variable": v, "level": _TOTAL, "type": "total",
          **{f"{g}__n": sizes.get(g, np.nan) for g in groups}} for v in cat_vars]
    )  # fmt: skip
    ext = pd.concat([base, totals], ignore_index=True) if len(totals) else base
    decided = arm_sizes({a: sizes.get(a, np.nan) for a in arms}, k, total=overall)
    hidden_sizes = [
        (i, f"{g}__n") for i in range(len(base), len(ext)) for g in groups
        if decided.get(g) and f"{g}__n" in counts
    ]  # fmt: skip
    is_cat = ext["type"] != "continuous"
    ext["_block"] = np.where(is_cat, ext["variable"].astype(str), "")
    ext["_kind"] = np.where(is_cat, "cat", ext.index.astype(str))
    result = suppression.suppress(
        ext, counts=counts, k=k, pcts=pcts,
        row_totals=[(f"{overall}__n", [f"{a}__n" for a in arms])] if len(arms) > 1 else None,
        margins=[Margin("level", _TOTAL, within=["_block", "_kind"])],
        force=hidden_sizes,
    )  # fmt: skip
    st = result.status.iloc[: len(base)][list(base.columns)].reset_index(drop=True)
    for g in groups:
        if g in base.columns and f"{g}__n" in st.columns:
            cat = (base["type"] != "continuous").to_numpy()
            st.loc[cat, g] = st.loc[cat, f"{g}__n"].to_numpy()
    st.index = table.index
    shared = Shared(_apply(table, st, k), st, k, result)
    shared.table.attrs = dict(table.attrs)
    shared.table.attrs["n"] = {
        g: shown_size(n, decided.get(g, PRIMARY if is_small(n, k) else ""), k)
        for g, n in table.attrs.get("n", {}).items()
    }
    return shared


# ------------------------------------------------------------------------------------------------
# adjusted comparison (analyses.adjusted)

ESS = ("ess_arm", "ess_reference")  # masked like counts: for matched pairs they are counts


def missingness(table: pd.DataFrame, k: int) -> Shared:
    """missingness.csv: per row, missing_n within n (the patients with a value are the hidden
    remainder); per variable, the arms add up to the Overall row."""
    return _simple(
        table, k, ["n", "missing_n"], pcts={"missing_pct": ("missing_n", "n")},
        row_totals=[("n", ["missing_n"])], margins=[Margin("arm", "Overall", within=["variable"])],
    )  # fmt: skip


def balance(table: pd.DataFrame, k: int) -> Shared:
    """balance.csv: the arms' numbers of patients and effective sample sizes (no relation)."""
    return _simple(table, k, ["n_arm", "n_reference", *ESS])


def adjusted_comparisons(table: pd.DataFrame, k: int) -> Shared:
    """adjusted_comparisons.csv: n = n_arm + n_reference, events within n, the ESSs."""
    return _simple(
        table, k, ["n", "n_arm", "n_reference", "events", *ESS],
        row_totals=[("n", ["n_arm", "n_reference"]), ("n", ["events"])],
    )  # fmt: skip


def adjusted_survival(table: pd.DataFrame, k: int) -> Shared:
    """adjusted_survival.csv: n and events of each arm, events within n."""
    return _simple(table, k, ["n", "events"], row_totals={"n": ["events"]})


def adjusted_attrition(table: pd.DataFrame, k: int) -> Shared:
    """adjusted_attrition.csv: patients per arm and step."""
    return _simple(table, k, ["n"])


# ------------------------------------------------------------------------------------------------
# trial context (analyses.trial_context)

#: a parametric fit's statistics that give counts back: BIC - AIC = p (log n - 2) gives n, and the
#: exponential model's log-likelihood -d (mu + 1) gives the events d
PARAMETRIC_DERIVED = ("loglik", "aic", "bic", "delta_aic")


def parametric(table: pd.DataFrame, survival_shown: pd.DataFrame, k: int) -> Shared:
    """trial_context/parametric.csv: a real-world arm's log-likelihood, AIC, BIC and delta AIC read
    ``*`` where the shareable survival.csv hides the arm's n or events for the endpoint (the
    reconstructed arms are published data); notes are masked as in every table."""
    if off(k) or table.empty:
        return _unchanged(table, k)
    arms = survival_shown[survival_shown["split"] == "arm"]
    hidden = {
        (str(r.endpoint), str(r.group))
        for r in arms.itertuples(index=False)
        if is_masked(r.n) or is_masked(r.events)
    }
    status = pd.DataFrame("", index=table.index, columns=table.columns)
    for idx, r in table.iterrows():
        if r["source"] != "reconstructed" and (str(r["endpoint"]), str(r["arm"])) in hidden:
            for c in _present(table, PARAMETRIC_DERIVED):
                status.at[idx, c] = COMPLEMENTARY
    return Shared(_apply(table, status, k), status, k)


# ------------------------------------------------------------------------------------------------
# figures


def mask_risk_rows(values: Mapping[str, list[Any]], k: int | None) -> dict[str, list[Any]]:
    """Numbers at risk / cumulative events per group as drawn: :func:`coarsen_at_risk` (1..k-1
    read ``<k``, larger numbers rounded down to a multiple of k)."""
    return {g: [coarsen_at_risk(v, k) for v in vs] for g, vs in values.items()}


def shown_count(value: Any, k: int | None, shown: Any = None) -> Any:
    """A count printed in a figure: its marker where the shareable table that holds the same count
    hides it (``shown``, that table's cell), else :func:`mask_count`."""
    return shown if is_masked(shown) else mask_count(value, k)


def shown_counts(table: pd.DataFrame | None, column: str) -> dict[str, Any]:
    """Arm -> its ``column`` cell in a shareable table (empty without the table)."""
    if table is None or table.empty or column not in table.columns:
        return {}
    return dict(zip(table["arm"].astype(str), table[column], strict=True))


def risk_rows_note(k: int | None) -> str:
    """What the risk table of a figure says about its numbers when they are coarsened."""
    return "" if off(k) else f"<{k}: 1-{k - 1}; others rounded down to a multiple of {k}"


# ------------------------------------------------------------------------------------------------
# reproduction

COUNT_COLUMNS = frozenset(
    {"n", "events", "censored", "n_reference", "events_reference", "n_risk", "count"}
)


def _is_count(column: str) -> bool:
    return column in COUNT_COLUMNS or column.endswith("_n")


def _underlying_counts(metric: str, value: Any, tables: Mapping[str, pd.DataFrame]) -> list[float]:
    """The counts a computed reproduction value is made of (a count, a percentage's count, a
    share's count and its remainder); [] when it is not a function of small counts."""
    from her2rwe.analyses.safety import ANY_AE
    from her2rwe.outputs import reproduce

    column, _, rest = str(metric).partition(".")
    if _is_count(column):
        return [value]
    try:
        if column.endswith("_pct"):
            return [reproduce.lookup(f"{column.removesuffix('_pct')}_n.{rest}", tables)[0]]
        if column == "share":
            count = reproduce.lookup(f"count.{rest}", tables)[0]
            return [count, len(tables["dataset"]) - count]
        if column.endswith("_share"):
            cats, _, arm = rest.partition(".")
            ae = tables["adverse_events_by_category"]
            rows = ae[ae["arm"].astype(str) == arm] if arm else ae
            rows = rows[rows["category"].astype(str) != ANY_AE]
            values = pd.to_numeric(rows[column.removesuffix("_share") + "_n"], errors="coerce")
            hit = rows["category"].astype(str).isin(cats.split("+")).to_numpy()
            part = float(values[hit].fillna(0).sum())
            return [part, float(values.fillna(0).sum()) - part]
    except (LookupError, ValueError, KeyError):
        return []
    return []


def _share_of_hidden_cells(metric: str, tables: Mapping[str, pd.DataFrame], k: int) -> bool:
    """True for an adverse-event category share (``grade34_share.<categories>.<arm>``) made of a
    cell that the shareable ``adverse_events_by_category.csv`` hides (also as a complementary
    cell, which may be large): the share with the shown cells would give it back."""
    from her2rwe.analyses.safety import ANY_AE

    column, _, rest = str(metric).partition(".")
    if not column.endswith("_share") or "adverse_events_by_category" not in tables:
        return False
    ae = tables["adverse_events_by_category"]
    count = column.removesuffix("_share") + "_n"
    if ae.empty or count not in ae.columns:
        return False
    status = adverse_events(ae, k).status
    _, _, arm = rest.partition(".")
    used = (ae["category"].astype(str) != ANY_AE) & (
        (ae["arm"].astype(str) == arm) if arm else True
    )
    return bool((status.loc[used, count] != "").any() or (status.loc[used, "n"] != "").any())


def _masked_in_shared(metric: str, shared: Mapping[str, pd.DataFrame] | None) -> bool:
    """True when the shareable copy of the table a metric reads does not show its value (a masked
    cell, or one of a percentage's or share's counts masked there)."""
    from her2rwe.outputs import reproduce

    if not shared:
        return False
    try:
        needed = reproduce.parse_metric(metric).tables
    except (LookupError, ValueError):
        return False
    if not set(needed) <= set(shared):
        return False
    try:
        value, _ = reproduce.lookup(metric, {**shared, "dataset": None})
    except (TypeError, ValueError):
        return True
    except LookupError:
        return False
    return bool(np.isnan(value))


def reproduction(
    table: pd.DataFrame,
    tables: Mapping[str, pd.DataFrame],
    k: int,
    shared: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """reproduction.csv as shared: targets are checked on the unsuppressed values, then a computed
    value made of a count of 1..k-1 reads ``<k``: a count (``orr_n.ADC``, ``events.pfs.ADC``,
    ``count.x.y``), a percentage whose count is small (``orr_pct`` -> ``orr_n``, same keys), a
    ``share`` or ``grade34_share`` whose count or remainder is small, or a ``grade34_share`` made
    of a cell that the shareable adverse-event table by category hides. The published value and the
    description beside a masked value are masked too: with a "pass" they would give the hidden
    number back, and a target may be a frozen internal number rather than a published one (the
    paper's numbers stay in its seed document). ``tables``: the unsuppressed tables the targets were
    looked up in. ``shared``: the shareable copies of the same tables (results/{study}/tables/):
    a value that its shareable table masks (primary or complementary) is masked here too, so that a
    count hidden by the study's suppression is not printed by reproduction.csv."""
    if off(k) or table.empty:
        return table.copy()
    rows = [
        i
        for i, metric in enumerate(table["metric"])
        if any(
            is_small(c, k) for c in _underlying_counts(metric, table["computed"].iloc[i], tables)
        )
        or _share_of_hidden_cells(metric, tables, k)
        or (
            not np.isnan(suppression._num(table["computed"].iloc[i]))
            and _masked_in_shared(metric, shared)
        )
    ]
    out = table.copy()
    if rows:
        for col in ("computed", "published", "description"):
            if col in out.columns:
                out[col] = out[col].astype(object)
                out.iloc[rows, out.columns.get_loc(col)] = suppression.marker(k)
    return out


def shareable_attrition(attrition: pd.DataFrame, min_cell_count: int) -> pd.DataFrame:
    """The attrition table with small counts masked (``suppression.suppress``), for sharing.

    Relations: per arm, rows read = excluded (every reason) + analysed; per step and reason, the
    arms add up to Total.
    """
    if not min_cell_count or min_cell_count <= 1:
        return attrition.copy()
    result = suppression.suppress(
        attrition,
        counts=["n"],
        k=min_cell_count,
        margins=[
            Margin(by="step", total="rows read", within=["arm"]),
            Margin(by="arm", total="Total", within=["step", "reason"]),
        ],
    )
    return result.table
