"""Writing a stage's results tables: each one twice, unsuppressed (``<name>_internal``, for figures
and reproduction checks) and shareable (``<name>``, small counts masked by the function of the same
name in :mod:`her2rwe.outputs.shareable`), with one line per table in the job's log."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO

import pandas as pd

from her2rwe import io
from her2rwe.outputs import shareable


def write_internal_and_shared(
    tables: Mapping[str, pd.DataFrame],
    k: int,
    out: Mapping[str, str],
    log: IO[str],
    decided: Mapping[str, shareable.Shared] | None = None,
) -> dict[str, shareable.Shared]:
    """Write every table of ``tables`` to ``out[f"{name}_internal"]`` and its shareable copy to
    ``out[name]``; a table whose shareable copy is already ``decided`` (one masking decision shared
    by several tables) is written as decided. Returns every table's :class:`shareable.Shared`."""
    shared = dict(decided or {})
    for name, table in tables.items():
        io.write_table(table, out[f"{name}_internal"])
        if name not in shared:
            shared[name] = getattr(shareable, name)(table, k)
        io.write_table(shared[name].table, out[name])
        print(shared[name].log_line(name), file=log)
    return shared
