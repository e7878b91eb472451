"""Endpoint derivation: time-to-event endpoints as data.

An endpoint is an origin date, a list of event sources and a list of censoring sources, in the spirit
of admiral's ``event_source``/``censor_source``. One generic function, :func:`derive_endpoint`, turns
a definition into ``(months, event, source)`` for every patient:

1. the event is the earliest available event date (ties go to the source listed first);
2. an event that falls strictly after the earliest ``censor_before`` date (intercurrent censoring,
   e.g. the start of the next treatment) is not counted;
3. otherwise the row is censored at the first available ``censor`` date, or at the ``censor_before``
   date when that is earlier.

The row's ``<endpoint>_source`` records the label of the source that decided it. Times are
``(date - origin).days / days_per_month`` months.

This module imports no pandas at import time (the config check imports it while Snakemake parses).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from her2rwe.config import study_settings, with_defaults

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

DAYS_PER_MONTH = 365.25 / 12  # 30.4375


@dataclass(frozen=True)
class DateSource:
    """A candidate date: the column, the label recorded when it decides, and an optional condition."""

    date: str
    source: str | None = None
    where: Mapping[str, Any] | None = None

    @property
    def label(self) -> str:
        if self.source:
            return self.source
        return self.date[:-5] if self.date.endswith("_date") else self.date

    def columns(self) -> set[str]:
        return {self.date, *(self.where or {})}


@dataclass(frozen=True)
class EndpointDefinition:
    """A time-to-event endpoint: origin, event sources, censoring sources, intercurrent censoring."""

    name: str
    events: tuple[DateSource, ...]
    censor: tuple[DateSource, ...]
    censor_before: tuple[DateSource, ...] = ()
    origin: str = "index_date"
    label: str | None = None
    competing: tuple[DateSource, ...] = ()
    same_day: str = "error"  # competing risks: event and competing event on one day

    def columns(self) -> set[str]:
        cols = {self.origin}
        for src in (*self.events, *self.competing, *self.censor, *self.censor_before):
            cols |= src.columns()
        return cols

    @property
    def is_competing(self) -> bool:
        """A competing-risks endpoint: {name}_status 0/1/2 instead of {name}_event."""
        return bool(self.competing)

    @property
    def display(self) -> str:
        return self.label or self.name.upper()

    @classmethod
    def from_config(cls, name: str, spec: Mapping[str, Any]) -> EndpointDefinition:
        spec = with_defaults(spec, "endpoint_definition")

        def sources(items: Sequence[Mapping[str, Any]]) -> tuple[DateSource, ...]:
            return tuple(
                DateSource(date=i["date"], source=i.get("source"), where=i.get("where"))
                for i in items
            )

        return cls(
            name=name,
            origin=spec["origin"],
            events=sources(spec["events"]),
            censor=sources(spec["censor"]),
            censor_before=sources(spec["censor_before"]),
            label=spec.get("label"),
            competing=sources(spec["competing"]),
            same_day=spec["same_day"],
        )


_S = DateSource
BUILTIN_ENDPOINTS: dict[str, EndpointDefinition] = {
    "pfs": EndpointDefinition(
        name="pfs",
        label="Progression-free survival",
        events=(_S("progression_date", "progression"), _S("death_date", "death")),
        censor=(_S("last_assessment_date", "last_assessment"), _S("index_date", "no_assessment")),
    ),
    "os": EndpointDefinition(
        name="os",
        label="Overall survival",
        events=(_S("death_date", "death"),),
        censor=(_S("last_contact_date", "last_contact"), _S("index_date", "no_follow_up")),
    ),
    "ttf": EndpointDefinition(
        name="ttf",
        label="Time to treatment failure",
        events=(_S("discontinuation_date", "discontinuation"), _S("death_date", "death")),
        censor=(_S("last_contact_date", "last_contact"), _S("index_date", "no_follow_up")),
    ),
    "ttnt": EndpointDefinition(
        name="ttnt",
        label="Time to next treatment",
        events=(_S("next_treatment_date", "next_treatment"), _S("death_date", "death")),
        censor=(_S("last_contact_date", "last_contact"), _S("index_date", "no_follow_up")),
    ),
    "dot": EndpointDefinition(
        name="dot",
        label="Duration of treatment",
        events=(_S("discontinuation_date", "discontinuation"),),
        censor=(_S("last_contact_date", "last_contact"), _S("index_date", "no_follow_up")),
    ),
    # TTNT with death as a competing event (list it under competing_endpoints): the cumulative
    # incidence of starting a next treatment, where death before it competes instead of counting
    "ttnt_cr": EndpointDefinition(
        name="ttnt_cr",
        label="Next treatment",  # the event whose cumulative incidence is estimated
        events=(_S("next_treatment_date", "next_treatment"),),
        competing=(_S("death_date", "death"),),
        censor=(_S("last_contact_date", "last_contact"), _S("index_date", "no_follow_up")),
    ),
}


def endpoint_definitions(study: Mapping[str, Any]) -> dict[str, EndpointDefinition]:
    """Built-in definitions, overridden or extended by the study's `endpoint_definitions`."""
    study = study_settings(study)
    defs = dict(BUILTIN_ENDPOINTS)
    for name, spec in (study.get("endpoint_definitions") or {}).items():
        defs[name] = EndpointDefinition.from_config(name, spec)
    return defs


def _source_dates(frame: pd.DataFrame, src: DateSource) -> pd.Series:
    dates = frame[src.date]
    if src.where:
        keep = None
        for col, wanted in src.where.items():
            values = list(wanted) if isinstance(wanted, list | tuple) else [wanted]
            hit = frame[col].astype("string").isin([str(v) for v in values]).fillna(False)
            keep = hit if keep is None else keep & hit
        dates = dates.where(keep)
    return dates


def _earliest(frame: pd.DataFrame, sources: Sequence[DateSource]) -> tuple[pd.Series, pd.Series]:
    """Earliest available date over sources, and its label (ties: the first listed)."""
    import pandas as pd

    date = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    label = pd.Series(pd.NA, index=frame.index, dtype="string")
    for src in sources:
        d = _source_dates(frame, src)
        better = d.notna() & (date.isna() | (d < date))
        date = date.mask(better, d)
        label = label.mask(better, src.label)
    return date, label


def _first_available(
    frame: pd.DataFrame, sources: Sequence[DateSource]
) -> tuple[pd.Series, pd.Series]:
    """First non-missing date in the order the sources are listed."""
    import pandas as pd

    date = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    label = pd.Series(pd.NA, index=frame.index, dtype="string")
    for src in sources:
        d = _source_dates(frame, src)
        take = date.isna() & d.notna()
        date = date.mask(take, d)
        label = label.mask(take, src.label)
    return date, label


def same_day_rows(
    frame: pd.DataFrame, definition: EndpointDefinition
) -> tuple[list[int], list[str], list[str]]:
    """Positions of the rows whose earliest event and earliest competing event of a competing-risks
    definition fall on the same day, with the date column of each (the tie that ``same_day``
    settles)."""
    import numpy as np

    ev_date, ev_label = _earliest(frame, definition.events)
    cp_date, cp_label = _earliest(frame, definition.competing)
    same = (ev_date.notna() & (ev_date == cp_date)).to_numpy()
    rows = np.flatnonzero(same).tolist()
    ev_col = {s.label: s.date for s in definition.events}
    cp_col = {s.label: s.date for s in definition.competing}
    return (
        rows,
        [ev_col[ev_label.iat[i]] for i in rows],
        [cp_col[cp_label.iat[i]] for i in rows],
    )


def same_day_ties(
    frame: pd.DataFrame, competing: Sequence[str], definitions: Mapping[str, EndpointDefinition]
) -> Iterator[tuple[str, list[int], list[str], list[str]]]:
    """For each competing-risks endpoint whose tie rule is ``same_day: error`` and which is derived
    from dates (not given in the duration form), ``(endpoint, rows, event columns, competing
    columns)`` of its ties (:func:`same_day_rows`); endpoints without a tie are left out."""
    for ep in competing:
        d = definitions.get(ep)
        if d is None or not d.is_competing or d.same_day != "error":
            continue
        if {f"{ep}_months", f"{ep}_status"} <= set(frame.columns):
            continue  # the duration form: no dates to tie
        rows, event_cols, competing_cols = same_day_rows(frame, d)
        if rows:
            yield ep, rows, event_cols, competing_cols


class DerivationError(ValueError):
    """An endpoint cannot be derived for some rows (e.g. no censoring date at all)."""


def derive_endpoint(
    frame: pd.DataFrame, definition: EndpointDefinition, days_per_month: float = DAYS_PER_MONTH
) -> pd.DataFrame:
    """Derive one endpoint from date columns.

    Returns a frame with the same index and columns ``{name}_months`` (float), ``{name}_event``
    (0/1 int) and ``{name}_source`` (label of the deciding source). A competing-risks endpoint
    (``competing`` sources) gives ``{name}_status`` instead of ``{name}_event``: 0 censored, 1 the
    event, 2 the competing event, whichever of the two came first; on the same day the definition's
    ``same_day`` rule decides (``error`` by default).
    """
    import numpy as np
    import pandas as pd

    name = definition.name
    missing = sorted(definition.columns() - set(frame.columns))
    if missing:
        what = "status" if definition.is_competing else "event"
        raise DerivationError(
            f"endpoint {name!r} needs column(s) {', '.join(missing)}, "
            f"or {name}_months and {name}_{what}"
        )
    origin = frame[definition.origin]
    ev_date, ev_label = _earliest(frame, definition.events)
    code = np.ones(len(frame), dtype=np.int8)
    if definition.is_competing:
        cp_date, cp_label = _earliest(frame, definition.competing)
        same = ev_date.notna() & (ev_date == cp_date)
        if same.any() and definition.same_day == "error":
            raise DerivationError(
                f"endpoint {name!r}: {int(same.sum())} patient(s) have the event and the competing "
                f"event on the same day; set endpoint_definitions.{name}.same_day to 'event' or "
                "'competing' to say which counts (docs/data_dictionary.md, tie rule)"
            )
        if definition.same_day == "event":
            cp_date = cp_date.mask(same)
        else:
            ev_date = ev_date.mask(same)
        cp_first = cp_date.notna() & (ev_date.isna() | (cp_date < ev_date))
        ev_date = ev_date.mask(cp_first, cp_date)
        ev_label = ev_label.mask(cp_first, cp_label)
        code = np.where(cp_first.to_numpy(), 2, 1).astype(np.int8)
    stop_date, stop_label = _earliest(frame, definition.censor_before)
    cens_date, cens_label = _first_available(frame, definition.censor)

    is_event = ev_date.notna() & (stop_date.isna() | (ev_date <= stop_date))
    stop_first = stop_date.notna() & (cens_date.isna() | (stop_date < cens_date))
    cens_date = cens_date.mask(stop_first, stop_date)
    cens_label = cens_label.mask(stop_first, stop_label)

    end = ev_date.where(is_event, cens_date)
    label = ev_label.where(is_event, cens_label)
    undecided = end.isna() | origin.isna()
    if undecided.any():
        rows = list(frame.index[undecided][:10])
        raise DerivationError(
            f"endpoint {definition.name!r}: no origin, event or censoring date for row(s) {rows}"
        )
    days = (end - origin).dt.days.to_numpy(dtype=float)
    n = definition.name
    hit = is_event.to_numpy()
    if definition.is_competing:
        status = (f"{n}_status", np.where(hit, code, 0).astype(np.int8))
    else:
        status = (f"{n}_event", hit.astype(np.int8))
    return pd.DataFrame(
        {
            f"{n}_months": days / days_per_month,
            status[0]: status[1],
            f"{n}_source": label.astype("string"),
        },
        index=frame.index,
    )


STATUS_LABELS = {0: "censored", 1: "event", 2: "competing"}


def _duration_status(frame: pd.DataFrame, ep: str) -> pd.DataFrame:
    """A competing-risks endpoint in the duration form: ``{ep}_months`` with ``{ep}_status``."""
    import pandas as pd

    status = pd.to_numeric(frame[f"{ep}_status"], errors="coerce")
    bad = ~status.isin(list(STATUS_LABELS))
    if bad.any():
        raise DerivationError(
            f"endpoint {ep!r}: {int(bad.sum())} value(s) of {ep}_status outside 0 (censored), "
            "1 (event), 2 (competing event)"
        )
    st = status.astype("int8")
    if f"{ep}_source" in frame.columns:
        src = frame[f"{ep}_source"].astype("string")
    else:
        src = st.map(STATUS_LABELS).astype("string")
    return pd.DataFrame(
        {
            f"{ep}_months": frame[f"{ep}_months"].astype(float),
            f"{ep}_status": st,
            f"{ep}_source": src,
        }
    )


def derive_endpoints(
    frame: pd.DataFrame,
    endpoints: Sequence[str],
    definitions: Mapping[str, EndpointDefinition],
    days_per_month: float = DAYS_PER_MONTH,
    competing: Sequence[str] = (),
) -> pd.DataFrame:
    """Derive every endpoint; an endpoint given as ``<ep>_months``/``<ep>_event`` is taken as is.

    In the duration form, ``<ep>_source`` is taken from the data when present, else ``event`` or
    ``censored``. The ``competing`` endpoints (competing risks) come from ``<ep>_months`` with
    ``<ep>_status`` (0, 1, 2; source else ``censored``, ``event``, ``competing``) or from a
    definition with competing sources.
    """
    import numpy as np
    import pandas as pd

    parts = []
    for ep in competing:
        if f"{ep}_months" in frame.columns and f"{ep}_status" in frame.columns:
            parts.append(_duration_status(frame, ep))
        elif ep in definitions and definitions[ep].is_competing:
            parts.append(derive_endpoint(frame, definitions[ep], days_per_month))
        else:
            raise DerivationError(
                f"competing-risks endpoint {ep!r}: no definition with competing sources and no "
                f"{ep}_months/{ep}_status columns"
            )
    for ep in endpoints:
        months, event = f"{ep}_months", f"{ep}_event"
        if months in frame.columns and event in frame.columns:
            ev = frame[event].astype("int8")
            if f"{ep}_source" in frame.columns:
                src = frame[f"{ep}_source"].astype("string")
            else:
                labels = np.array(["censored", "event"], dtype=object)[(ev.to_numpy() != 0) * 1]
                src = pd.Series(labels, index=frame.index, dtype="string")
            parts.append(
                pd.DataFrame({months: frame[months].astype(float), event: ev, f"{ep}_source": src})
            )
        elif ep in definitions:
            parts.append(derive_endpoint(frame, definitions[ep], days_per_month))
        else:
            raise DerivationError(
                f"unknown endpoint {ep!r}: no definition and no {months}/{event} columns"
            )
    return pd.concat(parts, axis=1) if parts else pd.DataFrame(index=frame.index)


def endpoint_name(study: Mapping[str, Any], endpoint: str) -> str:
    """An endpoint as tables print it: ``PFS`` for a built-in endpoint, else the label of its
    definition (``Duration of T-DXd``), else its name in capitals."""
    study = study_settings(study)
    custom = study["endpoint_definitions"]
    if endpoint in BUILTIN_ENDPOINTS and endpoint not in custom:
        return endpoint.upper()
    definition = endpoint_definitions(study).get(endpoint)
    return definition.label if definition and definition.label else endpoint.upper()
