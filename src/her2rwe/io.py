"""File input and output. Every output is written to a temporary file beside its target and renamed
into place, so a failed or interrupted job never leaves a file that looks complete."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


@contextlib.contextmanager
def atomic_path(path: str | Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success rename it onto `path`, else delete it.

    A job killed with SIGKILL cannot delete its temporary file; the next write of the same target
    (the rerun of that job) removes every leftover temporary of it first."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_leftover_temporaries(target)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.name}.",
        suffix=suffix if suffix is not None else target.suffix,
        dir=target.parent,
    )
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, target)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def remove_leftover_temporaries(target: str | Path) -> list[Path]:
    """Delete the temporary files of ``target`` that a killed writer left beside it
    (``.<name>.<random><suffix>``); returns what was removed."""
    target = Path(target)
    prefix = f".{target.name}."
    removed = []
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(target.parent):
            if entry.name.startswith(prefix) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


def write_text(text: str, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_table(table: pd.DataFrame, path: str | Path) -> None:
    """Write a results table as CSV with unrounded numbers, no index. Each float is written in its
    shortest form that reads back to the same double (8.9, not 8.9000000000000004); a float column
    whose values are all whole numbers (counts with a missing cell) is written as integers (43, not
    43.0)."""
    with atomic_path(path) as tmp:
        _whole_numbers_as_integers(table).to_csv(tmp, index=False, lineterminator="\n")


def _whole_numbers_as_integers(table: pd.DataFrame) -> pd.DataFrame:
    import numpy as np

    converted = {}
    for name in table.columns[table.dtypes.map(lambda d: d.kind == "f")]:
        values = table[name].to_numpy()
        present = values[~np.isnan(values)]
        if (
            present.size
            and np.isfinite(present).all()
            and (np.abs(present) < 2.0**53).all()
            and (present == np.round(present)).all()
        ):
            converted[name] = table[name].astype("Int64")
    return table.assign(**converted) if converted else table


def read_table(path: str | Path, **kwargs) -> pd.DataFrame:
    """Read a results table back exactly: the round-trip float parser gives back the very doubles
    that write_table wrote (pandas' default parser can be one unit in the last place off)."""
    import pandas as pd

    return pd.read_csv(path, keep_default_na=True, float_precision="round_trip", **kwargs)


def write_parquet(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a data frame to parquet deterministically (no pandas index metadata drift)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata(None)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")


def read_analysis_dataset(path: str | Path) -> pd.DataFrame:
    import pandas as pd

    return pd.read_parquet(path)


FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def write_bytes(data: bytes, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_docx(document, path: str | Path) -> None:
    """Save a python-docx Document with fixed zip timestamps, so equal content gives equal bytes."""
    import io as _io
    import zipfile

    buffer = _io.BytesIO()
    document.save(buffer)
    src = zipfile.ZipFile(_io.BytesIO(buffer.getvalue()))
    out = _io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info.filename))
    write_bytes(out.getvalue(), path)


def sha256_manifest(root: str | Path, paths: Iterable[str | Path]) -> str:
    """`sha256  relative/path` lines, sorted by path (the format `sha256sum -c` reads). Each file is
    read once, in blocks, so a large output is never held in memory whole."""
    root = Path(root)
    lines = []
    for p in sorted({Path(p).as_posix() for p in paths}):
        with open(root / p, "rb") as fh:
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
        lines.append(f"{digest}  {p}")
    return "\n".join(lines) + "\n"
