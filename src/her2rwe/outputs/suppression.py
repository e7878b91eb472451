"""Small-cell suppression of output tables.

:func:`suppress` masks every count from 1 to ``k - 1`` (primary suppression) and the percentages
derived from it, then adds complementary suppression: in every additive relation of the table
(a total and its parts, within a row or across rows), a masked cell is never the only unknown, so
no masked cell can be recovered by subtraction. :func:`audit` checks this claim with linear
programming. Masked cells read ``<k`` (primary) and ``*`` (complementary). See docs/privacy.md.

Pure functions only: no file writes, no printing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

# ------------------------------------------------------------------------------------------------
# small-cell suppression

PRIMARY = "primary"
COMPLEMENTARY = "complementary"
COMPLEMENTARY_MARKER = "*"


def marker(k: int) -> str:
    """The text of a primary-suppressed cell: ``<11`` for k = 11."""
    return f"<{k}"


@dataclass(frozen=True)
class Margin:
    """An additive relation across rows: in every group of rows that agree on ``within``, the row
    whose ``by`` column equals ``total`` holds the sum of the rows listed in ``parts`` (default: all
    the group's other rows), for every count column.

    Examples: arms add up to the Total row (``Margin(by="arm", total="Total", within=["step"])``);
    the steps of an attrition table (``Margin(by="step", total="rows read", within=["arm"],
    parts=["excluded", "analysed"])``).
    """

    by: str
    total: Any
    within: Sequence[str] = ()
    parts: Sequence[Any] | None = None


@dataclass
class Suppressed:
    """The result of :func:`suppress`.

    ``table``: a copy of the input where masked count and percentage cells hold their marker text
    (``<k`` or ``*``); unmasked cells keep their unrounded values. ``status``: same shape, ``""`` for
    a shown cell, ``"primary"`` or ``"complementary"`` for a masked one.
    """

    table: pd.DataFrame
    status: pd.DataFrame
    k: int
    counts: list[str]
    relations: list[tuple[tuple[int, str], list[tuple[int, str]], float]] = field(repr=False)

    @property
    def n_primary(self) -> int:
        return int((self.status == PRIMARY).to_numpy().sum())

    @property
    def n_complementary(self) -> int:
        return int((self.status == COMPLEMENTARY).to_numpy().sum())

    def footnote(self) -> str:
        """A footnote for formatted tables; empty when nothing is masked."""
        if not (self.n_primary or self.n_complementary):
            return ""
        text = f"Counts from 1 to {self.k - 1} are shown as {marker(self.k)}"
        if self.n_complementary:
            text += f"; cells marked {COMPLEMENTARY_MARKER} are hidden so that they cannot be recovered from totals"
        return text + "."


def _as_relations(row_totals) -> list[tuple[str, list[str]]]:
    if not row_totals:
        return []
    if isinstance(row_totals, Mapping):
        return [(t, list(p)) for t, p in row_totals.items()]
    return [(t, list(p)) for t, p in row_totals]


def _num(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def suppress(
    table: pd.DataFrame,
    counts: Sequence[str],
    k: int,
    pcts: Mapping[str, str | tuple] | None = None,
    row_totals: Mapping[str, Sequence[str]] | Sequence[tuple[str, Sequence[str]]] | None = None,
    margins: Sequence[Margin] = (),
    force: Iterable[tuple[Any, str]] = (),
) -> Suppressed:
    """Mask small counts with complementary suppression.

    - ``counts``: the count columns. Every count from 1 to k-1 is masked (primary). Zero is shown.
    - ``pcts``: percentage column -> its count column, or -> (count column, denominator column), or
      -> (count, denominator, "always") for a confidence bound, masked with a hidden denominator
      even when the count is 0 (the upper limit of 0/n gives n back). A
      percentage is masked with its count, and also when its denominator is masked and the count is
      not zero (else the denominator could be recovered from count and percentage).
    - ``row_totals``: within each row, total column -> the part columns it contains, e.g.
      ``{"n": ["orr_n"]}``. The parts need not be exhaustive: the remainder (``n - orr_n``, the
      non-responders) is treated as a hidden cell, so when it is 1..k-1 a shown part is masked too.
      Give a list of pairs to state several relations for one total.
    - ``margins``: relations across rows (:class:`Margin`).
    - ``force``: (index label, count column) cells to hide from the start (complementary, unless
      they are small): cells that another table hides, so that the two tables agree.

    Complementary rule: in every relation with a masked (or small hidden) cell, at least two cells
    are unknown; otherwise the smallest shown part (non-zero first) is masked, or the total when no
    part is left. Repeated until no relation changes. ``k <= 1`` turns suppression off.
    """
    out = table.copy()
    status = pd.DataFrame("", index=table.index, columns=table.columns)
    if k is None or k <= 1:
        return Suppressed(out, status, int(k or 0), list(counts), [])
    pos = {idx: i for i, idx in enumerate(table.index)}
    values = {(pos[idx], c): _num(table.at[idx, c]) for c in counts for idx in table.index}
    masked: dict[tuple[int, str], str] = {cell: PRIMARY for cell, v in values.items() if 1 <= v < k}
    for idx, c in force:
        masked.setdefault((pos[idx], c), COMPLEMENTARY)

    relations: list[tuple[tuple[int, str], list[tuple[int, str]], float]] = []
    for total, parts in _as_relations(row_totals):
        for i in range(len(table)):
            tv = values.get((i, total), _num(table.iloc[i][total]))
            pv = [values.get((i, p), _num(table.iloc[i][p])) for p in parts]
            if np.isnan(tv) or any(np.isnan(pv)):
                continue
            relations.append(((i, total), [(i, p) for p in parts], tv - sum(pv)))
    for m in margins:
        keys = list(m.within)
        groups = table.groupby(keys, sort=False, dropna=False) if keys else [((), table)]
        for _, g in groups:
            tot = g.index[g[m.by] == m.total]
            if len(tot) != 1:
                continue
            part_rows = g.index[g[m.by] != m.total]
            if m.parts is not None:
                part_rows = g.index[g[m.by].isin(list(m.parts))]
            for c in counts:
                tv = values[(pos[tot[0]], c)]
                pv = [values[(pos[r], c)] for r in part_rows]
                if np.isnan(tv) or any(np.isnan(pv)):
                    continue
                relations.append(((pos[tot[0]], c), [(pos[r], c) for r in part_rows], tv - sum(pv)))

    for cell in _cells(relations):
        values.setdefault(cell, _num(table.iloc[cell[0]][cell[1]]))
    changed = True
    while changed:
        changed = False
        for total, parts, remainder in relations:
            hidden_small = 1 <= remainder < k
            cells = [total, *parts]
            unknown = sum(c in masked for c in cells) + (1 if remainder != 0 else 0)
            sensitive = hidden_small or any(c in masked for c in cells)
            if not sensitive or unknown >= 2:
                continue
            shown = [c for c in parts if c not in masked]
            if shown:
                nonzero = [c for c in shown if values[c] > 0]
                pick = min(nonzero or shown, key=lambda c: (values[c], c[0], c[1]))
            elif total not in masked:
                pick = total
            else:
                continue
            masked[pick] = COMPLEMENTARY
            changed = True
    if masked and relations:
        _close_leaks(masked, values, relations, k)

    for (i, c), kind in masked.items():
        idx = table.index[i]
        status.at[idx, c] = kind
    for pct, spec in (pcts or {}).items():
        spec = (spec,) if isinstance(spec, str) else tuple(spec)
        count, denom, always = (*spec, None, None)[:3]
        for i, idx in enumerate(table.index):
            kind = masked.get((i, count))
            if kind is None and denom is not None and (i, denom) in masked:
                if always or values.get((i, count), 0) != 0:
                    kind = masked[(i, denom)]
            if kind:
                status.at[idx, pct] = kind
    hidden = status != ""
    if hidden.to_numpy().any():
        cols = [c for c in table.columns if hidden[c].any()]
        out[cols] = out[cols].astype(object)
        out = out.mask(status == PRIMARY, marker(k)).mask(
            status == COMPLEMENTARY, COMPLEMENTARY_MARKER
        )
    return Suppressed(out, status, int(k), list(counts), relations)


def overlay(
    formatted: pd.DataFrame, result: Suppressed, sources: Mapping[str, Sequence[str]]
) -> pd.DataFrame:
    """Mask cells of a formatted table built from the unsuppressed numbers.

    ``formatted`` has the same index as the suppressed table; ``sources`` maps each formatted column
    to the columns of the numeric table it was made from (e.g. ``{"ORR": ["orr_n", "orr_pct"]}``).
    A formatted cell reads ``<k`` when any source cell is primary-masked, ``*`` when any is
    complementary-masked.
    """
    out = formatted.copy().astype(object)
    for col, src in sources.items():
        st = result.status[list(src)]
        primary = (st == PRIMARY).any(axis=1)
        comp = (st == COMPLEMENTARY).any(axis=1) & ~primary
        out.loc[primary.to_numpy(), col] = marker(result.k)
        out.loc[comp.to_numpy(), col] = COMPLEMENTARY_MARKER
    return out


def audit(result: Suppressed) -> list[tuple[Any, str, float, float]]:
    """Cells that a reader could recover exactly from the shown cells and the table's relations.

    For each primary-masked count cell (and each hidden remainder of 1..k-1), solves two integer
    linear programs: the minimum and maximum of the cell subject to every relation, primary cells in
    [1, k-1], other hidden cells >= 0. Reports ``(index, column, low, high)`` when the range is a
    single value (a remainder is reported under its total's cell). An empty list means the
    suppression holds.
    """
    masked = {}
    for i, idx in enumerate(result.status.index):
        for c in result.counts:
            if result.status.at[idx, c]:
                masked[(i, c)] = result.status.at[idx, c]
    values = {cell: _num(result.table.iloc[cell[0]][cell[1]]) for cell in _cells(result.relations)}
    leaks = _recoverable(masked, values, result.relations, result.k)
    index = result.status.index
    return [(index[cell[0]], cell[1], lo, hi) for cell, lo, hi in leaks]


def _cells(relations) -> set[tuple[int, str]]:
    cells = set()
    for total, parts, _ in relations:
        cells.add(total)
        cells.update(parts)
    return cells


def _recoverable(masked, values, relations, k):
    """(cell, low, high) for every sensitive hidden cell whose feasible range is one value."""
    from scipy.optimize import linprog

    hidden = {cell: v for v, cell in enumerate(sorted(c for c in masked if c in _cells(relations)))}
    rem = {
        j: len(hidden) + t for t, j in enumerate(j for j, r in enumerate(relations) if r[2] != 0)
    }
    n = len(hidden) + len(rem)
    targets = [(cell, v) for cell, v in hidden.items() if masked[cell] == PRIMARY]
    targets += [(relations[j][0], v) for j, v in rem.items() if 1 <= relations[j][2] < k]
    if not targets:
        return []
    a_eq, b_eq = [], []
    for j, (total, parts, _) in enumerate(relations):
        row, rhs = np.zeros(n), 0.0
        for cell, sign in [(total, 1.0)] + [(p, -1.0) for p in parts]:
            if cell in hidden:
                row[hidden[cell]] += sign
            else:
                rhs -= sign * values[cell]
        if j in rem:
            row[rem[j]] -= 1.0
        if row.any():
            a_eq.append(row)
            b_eq.append(rhs)
    bounds = [(1, k - 1) if masked[c] == PRIMARY else (0, None) for c in hidden]
    bounds += [(0, None)] * len(rem)
    leaks = []
    for cell, v in targets:
        lo_hi = []
        for sign in (1.0, -1.0):
            obj = np.zeros(n)
            obj[v] = sign
            res = linprog(
                obj,
                A_eq=np.array(a_eq) if a_eq else None,
                b_eq=np.array(b_eq) if b_eq else None,
                bounds=bounds,
                integrality=np.ones(n),
                method="highs",
            )
            lo_hi.append(sign * res.fun if res.success else float("nan"))
        lo, hi = lo_hi
        if not hi > lo:
            leaks.append((cell, lo, hi))
    return leaks


def _propagated_leaks(masked, values, relations, k):
    """Leaks found by interval propagation, without a solver: in each relation, a hidden cell lies in
    [S - sum of the others' upper bounds, S - sum of their lower bounds]; repeated to a fixed
    point. Sound (a single-valued interval is a leak); exact when no hidden cell is in two
    relations. Returns the leaks and whether the result is exact."""
    lo = {c: (1.0 if masked[c] == PRIMARY else 0.0) for c in masked}
    hi = {c: (k - 1.0 if masked[c] == PRIMARY else np.inf) for c in masked}
    rems = []
    for j, (_, _, r) in enumerate(relations):
        if r != 0:
            key = ("remainder", j)
            lo[key], hi[key] = 0.0, np.inf
            rems.append((j, key))
    terms = []  # (known sum S, [(cell, sign)]) with sum(sign * cell) = S
    for j, (total, parts, r) in enumerate(relations):
        cells = [(total, 1.0)] + [(p, -1.0) for p in parts]
        if r != 0:
            cells.append((("remainder", j), -1.0))
        known = -sum(sign * values[c] for c, sign in cells if c not in lo)
        unknown = [(c, sign) for c, sign in cells if c in lo]
        if unknown:
            terms.append((known, unknown))
    seen: dict = {}
    for _, unknown in terms:
        for c, _ in unknown:
            seen[c] = seen.get(c, 0) + 1
    exact = all(n <= 1 for n in seen.values())
    for _ in range(50):
        changed = False
        for known, unknown in terms:
            for c, sign in unknown:
                others_lo = sum(lo[o] if s > 0 else -hi[o] for o, s in unknown if o != c)
                others_hi = sum(hi[o] if s > 0 else -lo[o] for o, s in unknown if o != c)
                # sign * c = known - others
                a, b = known - others_hi, known - others_lo
                if sign < 0:
                    a, b = -b, -a
                if a > lo[c] + 1e-9:
                    lo[c], changed = a, True
                if b < hi[c] - 1e-9:
                    hi[c], changed = b, True
        if not changed:
            break
    targets = [c for c in masked if masked[c] == PRIMARY and c in seen]
    targets += [relations[j][0] for j, key in rems if 1 <= relations[j][2] < k]
    keys = {relations[j][0]: key for j, key in rems}
    leaks = []
    for c in targets:
        key = c if c in masked else keys[c]
        if hi[key] - lo[key] < 0.5:
            leaks.append((c, lo[key], hi[key]))
    return leaks, exact


def _close_leaks(masked, values, relations, k) -> None:
    """Mask more cells until no sensitive cell can be recovered (bounds included: two primary cells
    that add up to 2 are both 1). Picks the smallest shown cell in a relation of a leaking cell, else
    in a relation that shares a hidden cell with one; at worst every cell of the table."""
    while True:
        leaks, exact = _propagated_leaks(masked, values, relations, k)
        if not leaks and not exact:
            leaks = _recoverable(masked, values, relations, k)
        if not leaks:
            return
        cell = leaks[0][0]
        near = [r for r in relations if cell == r[0] or cell in r[1]]
        reach = {c for r in near for c in (r[0], *r[1])}
        candidates = [c for c in reach if c not in masked]
        if not candidates:
            wider = [r for r in relations if reach & {r[0], *r[1]}]
            candidates = [c for r in wider for c in (r[0], *r[1]) if c not in masked]
        if not candidates:
            candidates = [c for c in _cells(relations) if c not in masked]
        if not candidates:
            return
        nonzero = [c for c in candidates if values[c] > 0]
        pick = min(nonzero or candidates, key=lambda c: (values[c], c[0], c[1]))
        masked[pick] = COMPLEMENTARY
