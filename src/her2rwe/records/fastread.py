"""The fast path of :func:`her2rwe.records.ingest.read_raw_csv`: a simple CSV parsed by pyarrow.

A file is simple when nothing in it needs the line-by-line reader's judgement: no quote character,
no bare carriage return, no blank line after the header, no line longer than the longest cell the
line-by-line reader accepts, and every record with the header's number of fields (pyarrow refuses any
other). Then each physical line after the header is one record and its file line is known without
counting. The result is the same table the line-by-line reader builds (cells stripped with
``str.strip``, rows of empty cells dropped); for any other file :func:`read_simple` returns None and
the caller reads line by line, which names every problem with its line and column.
"""

from __future__ import annotations

import re

import numpy as np

#: a cell whose first or last character is not printable, non-space ASCII may need ``str.strip``
_MAY_STRIP = r"^[^!-~]|[^!-~]$"
_NOT_SPACE = re.compile(r"\S")  # what str.strip() keeps
_BLANK_LINE = re.compile(r"\n\r?\n")


def body_start(text: str) -> int:
    """Offset of the header line: comment ('#') and blank lines at the top are skipped, as
    :func:`her2rwe.records.rawtext.records` does."""
    pos = 0
    while pos < len(text):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        line = text[pos:end]
        if line.strip() and not line.startswith("#"):
            return pos
        pos = end + 1
    return pos


def read_simple(text: str, field_limit: int, keep=None, raw: bytes | None = None):
    """``(header_line, header, columns, lines, factors)`` of a simple CSV text, else None.

    ``header`` is the header's fields (unstripped), ``columns`` maps each stripped column name
    (those in ``keep`` when given; every column's cells still decide which rows are empty) to an
    object array of stripped strings, ``lines`` the 1-based file line of each row kept. ``factors``
    maps the columns built from their distinct values (:func:`_stripped`) to ``(codes, values)``:
    ``values[codes]`` is the column. ``raw``, the file's bytes that ``text`` decodes, saves
    encoding the text again.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv

    if '"' in text or ("\r" in text and text.count("\r") != text.count("\r\n")):
        return None
    start = body_start(text)
    end = text.find("\n", start)
    if end < 0:
        return None
    header_line = text.count("\n", 0, start) + 1
    header = text[start:end].removesuffix("\r").split(",")
    names = [h.strip() for h in header]
    if len(set(names)) != len(names) or "" in names or len(names) < 2:
        return None
    if (
        _NOT_SPACE.search(text, end + 1) is None  # no rows
        or _BLANK_LINE.search(text, end) is not None  # a blank line after the header
    ):
        return None
    if raw is None:
        data = text[end + 1 :].encode("utf-8")
    else:
        bom = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
        data = raw[bom + len(text[: end + 1].encode("utf-8")) :]
    expected = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    generic = [f"c{i}" for i in range(len(names))]
    try:
        table = csv.read_csv(
            pa.py_buffer(data),
            read_options=csv.ReadOptions(column_names=generic, use_threads=True),
            parse_options=csv.ParseOptions(
                delimiter=",",
                quote_char=False,
                escape_char=False,
                newlines_in_values=False,
                ignore_empty_lines=False,
            ),
            convert_options=csv.ConvertOptions(
                column_types={g: pa.string() for g in generic},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                null_values=[],
                check_utf8=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    n = table.num_rows
    if n != expected:
        return None
    if max(pc.max(pc.binary_length(c)).as_py() or 0 for c in table.columns) >= field_limit:
        return None  # a cell the line-by-line reader refuses (bytes >= characters)
    empty = np.ones(n, dtype=bool)
    columns, factors = {}, {}
    for g, name in zip(generic, names, strict=True):
        wanted = keep is None or name in keep
        if not wanted and not empty.any():
            continue
        values, blank, factor = _stripped(table.column(g).combine_chunks(), wanted)
        empty &= blank
        if wanted:
            columns[name] = values
            if factor is not None:
                factors[name] = factor
    lines = np.arange(header_line + 1, header_line + 1 + n, dtype=np.int64)
    if empty.any():
        full = ~empty
        columns = {k: v[full] for k, v in columns.items()}
        factors = {k: (codes[full], uniq) for k, (codes, uniq) in factors.items()}
        lines = lines[full]
    return header_line, header, columns, lines, factors


def _stripped(col, values: bool):
    """``(cells, blank, factor)``: the cells of a pyarrow string array stripped with ``str.strip``
    (an object array; None unless ``values``), which of them are empty, and for a column built
    from its distinct values ``(codes, values)`` (else None).

    A column whose values repeat is built from its distinct values, so its rows share one string
    object per value (a million yes/no flags hold two strings, not a million), and the checks work
    on those values through the codes instead of hashing the column again. Two cells that differ
    only in surrounding spaces keep two codes with equal values (each check maps values one by
    one)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(col)
    # repeating values: in an evenly spaced sample, or in the first rows (a column sorted by its
    # value, such as the patient of a file with one row per exposure, repeats only there)
    samples = [col.take(pa.array(np.arange(0, n, max(1, n // 10_000)))), col.slice(0, 10_000)]
    if n > 1000 and any(len(pc.unique(x)) < len(x) // 2 for x in samples):
        encoded = pc.dictionary_encode(col)
        uniq = encoded.dictionary.to_numpy(zero_copy_only=False)
        uniq = np.array([v.strip() for v in uniq], dtype=object)
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.intp)
        if not values:
            return None, (uniq == "")[codes], None
        return uniq[codes], (uniq == "")[codes], (codes, uniq)
    strip = np.flatnonzero(pc.match_substring_regex(col, _MAY_STRIP).to_numpy(False))
    blank = pc.equal(pc.binary_length(col), 0).to_numpy(False)
    if not values:
        for k, cell in enumerate(col.take(pa.array(strip, type=pa.int64())).to_pylist()):
            blank[strip[k]] = cell.strip() == ""
        return None, blank, None
    cells = col.to_numpy(zero_copy_only=False).astype(object, copy=False)
    for i in strip:
        cells[i] = cells[i].strip()
        blank[i] = cells[i] == ""
    return cells, blank, None


def _ascii_pattern(pattern: str) -> str:
    """``pattern`` anchored for a whole-value match, with ``\\d`` as ``[0-9]``: for ASCII text the
    same language in Python's engine and pyarrow's. Only ``\\d`` and ``\\.`` escapes are allowed
    (``\\s``, ``\\w`` and ``\\b`` differ between the engines)."""
    if re.search(r"\\[^d.]", pattern):
        raise ValueError(f"pattern {pattern!r} has an escape whose meaning differs in pyarrow")
    return "^(?:" + pattern.replace(r"\d", "[0-9]") + ")$"


def repeats(values) -> bool:
    """Whether a column's values repeat enough that working on its distinct values pays: fewer than
    half of an evenly spaced sample of at most 10,000 cells are distinct."""
    cells = np.asarray(values, dtype=object)
    if len(cells) <= 1000:
        return False
    sample = cells[:: max(1, len(cells) // 10_000)]
    return len(set(sample)) < len(sample) // 2


def by_distinct(values, fn) -> np.ndarray:
    """``np.asarray(fn(values))``, computed on the distinct values of a column whose values repeat
    (:func:`repeats`) and spread back to the rows; ``fn`` maps an object Series to one result
    per element, each depending on that element only."""
    import pandas as pd

    if not repeats(values):
        return np.asarray(fn(pd.Series(np.asarray(values, dtype=object), dtype=object)))
    codes, uniq = pd.factorize(np.asarray(values, dtype=object))
    return np.asarray(fn(pd.Series(np.asarray(uniq, dtype=object), dtype=object)))[codes]


def fullmatch(values, pattern: str) -> np.ndarray:
    """``re.fullmatch(pattern, v) is not None`` for each string of ``values`` (a Series or array
    of str), vectorised: on the distinct values of a column whose values repeat, by pyarrow over
    ASCII values and Python's ``re`` over the others."""
    if repeats(values):
        return by_distinct(values, lambda u: _fullmatch(u, pattern))
    return _fullmatch(values, pattern)


def _fullmatch(values, pattern: str) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc

    cells = np.asarray(values, dtype=object)
    if not len(cells):
        return np.zeros(0, dtype=bool)
    arr = pa.array(cells, type=pa.string())
    ascii = pc.string_is_ascii(arr).to_numpy(zero_copy_only=False)
    out = pc.match_substring_regex(arr, _ascii_pattern(pattern)).to_numpy(zero_copy_only=False)
    out &= ascii
    if not ascii.all():
        rx = re.compile(pattern)
        for i in np.flatnonzero(~ascii):
            out[i] = rx.fullmatch(cells[i]) is not None
    return out
