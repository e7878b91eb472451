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

from her2rwe.records.rawtext import header_bytes

_NOT_SPACE = re.compile(r"\S")  # what str.strip() keeps
_NOT_SPACE_BYTE = re.compile(rb"[^ \t\n\r\f\v\x1c-\x1f]")  # a byte not of ASCII whitespace


def read_simple(text: str | None, field_limit: int, keep=None, raw: bytes | None = None):
    """``(header_line, header, columns, lines, factors, arrays)`` of a simple CSV text, else None.

    ``header`` is the header's fields (unstripped), ``columns`` maps each stripped column name
    (those in ``keep`` when given; every column's cells still decide which rows are empty) to an
    object array of stripped strings, ``lines`` the 1-based file line of each row kept. ``factors``
    maps the columns built from their distinct values (:func:`_stripped`) to ``(codes, values)``:
    ``values[codes]`` is the column. ``arrays`` maps the other columns whose cells needed no
    stripping to the same cells as a pyarrow string array, so that the checks need not convert the
    strings back. ``raw``, the file's bytes that ``text`` decodes, saves encoding the text again;
    with ``raw``, ``text`` may be None when the bytes are ASCII (then they are the text).
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv

    if raw is None:
        raw = text.encode("utf-8")
    # the file is scanned as bytes: in UTF-8, the bytes of '"', CR and LF are those characters only
    if b'"' in raw or (b"\r" in raw and raw.count(b"\r") != raw.count(b"\r\n")):
        return None
    head = header_bytes(raw)
    if head is None:
        return None
    header_line, header, offset = head
    names = [h.strip() for h in header]
    if len(set(names)) != len(names) or "" in names or len(names) < 2:
        return None
    first = _NOT_SPACE_BYTE.search(raw, offset)
    if first is None or (
        raw[first.start()] >= 0x80 and _NOT_SPACE.search(raw[first.start() :].decode()) is None
    ):
        return None  # no rows
    data = memoryview(raw)[offset:]
    expected = raw.count(b"\n", offset) + (0 if raw.endswith(b"\n") else 1)
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
        return None  # a record with another number of fields
    n = table.num_rows
    if n != expected:
        return None
    # the columns stay in pyarrow's blocks: those built from their distinct values never need
    # one contiguous copy (:func:`_stripped`)
    cols = [table.column(g) for g in generic]
    if max(pc.max(pc.binary_length(c)).as_py() or 0 for c in cols) >= field_limit:
        return None  # a cell the line-by-line reader refuses (bytes >= characters)
    empty = np.ones(n, dtype=bool)
    columns, factors, arrays = {}, {}, {}
    for col, name in zip(cols, names, strict=True):
        wanted = keep is None or name in keep
        if not wanted and not empty.any():
            continue
        values, blank, factor, changed, whole = _stripped(col, wanted)
        empty &= blank
        if wanted:
            columns[name] = values
            if factor is not None:
                factors[name] = factor
            elif not changed:
                arrays[name] = whole
    del table, cols
    # a blank line is read as a row of empty cells: only then can there be one
    if empty.any() and (
        raw.startswith((b"\n", b"\r\n"), offset)
        or raw.find(b"\n\n", offset) >= 0
        or raw.find(b"\n\r\n", offset) >= 0
    ):
        return None
    lines = np.arange(header_line + 1, header_line + 1 + n, dtype=np.int64)
    if empty.any():
        full = ~empty
        columns = {k: v[full] for k, v in columns.items()}
        factors = {k: (codes[full], uniq) for k, (codes, uniq) in factors.items()}
        arrays = {k: v.filter(pa.array(full)) for k, v in arrays.items()}
        lines = lines[full]
    return header_line, header, columns, lines, factors, arrays


def _stripped(col, values: bool):
    """``(cells, blank, factor, changed, whole)``: the cells of a pyarrow string array or chunked
    array stripped with ``str.strip`` (an object array; None unless ``values``), which of them are
    empty, for a column built from its distinct values ``(codes, values)`` (else None), whether
    stripping changed a cell of a column not built so, and for such a column its cells as one
    pyarrow array (else None).

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
        uniq, codes = _encoded(col)
        uniq = np.array([v.strip() for v in uniq], dtype=object)
        if not values:
            return None, (uniq == "")[codes], None, False, None
        return uniq[codes], (uniq == "")[codes], (codes, uniq), False, None
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    # a cell may need str.strip when its first or last character is not printable, non-space ASCII
    # (in UTF-8 the first and last bytes of a non-ASCII character are >= 0x80)
    offsets, data = _layout(col)
    blank = offsets[1:] == offsets[:-1]
    rows = np.flatnonzero(~blank)
    first, last = data[offsets[rows]], data[offsets[rows + 1] - 1]
    strip = rows[(first < 0x21) | (first > 0x7E) | (last < 0x21) | (last > 0x7E)]
    if not values:
        for k, cell in enumerate(col.take(pa.array(strip, type=pa.int64())).to_pylist()):
            blank[strip[k]] = cell.strip() == ""
        return None, blank, None, False, col
    cells = col.to_numpy(zero_copy_only=False).astype(object, copy=False)
    changed = False
    for i in strip:
        cell = cells[i].strip()
        if cell != cells[i]:
            cells[i], changed = cell, True
            blank[i] = cell == ""
    return cells, blank, None, changed, col


def _encoded(col) -> tuple[np.ndarray, np.ndarray]:
    """``(values, codes)`` of a pyarrow string array or chunked array: its distinct values (an
    object array) and each cell's position among them. pyarrow encodes the blocks of a chunked
    array against one dictionary; blocks with dictionaries of their own are encoded again as one
    array."""
    import pyarrow as pa
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(col)
    if isinstance(encoded, pa.ChunkedArray):
        chunks = encoded.chunks
        dictionary = chunks[-1].dictionary if chunks else None
        if not chunks or not all(c.dictionary.equals(dictionary) for c in chunks):
            return _encoded(col.combine_chunks())
        indices = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in chunks])
    else:
        dictionary, indices = encoded.dictionary, encoded.indices.to_numpy(zero_copy_only=False)
    uniq = dictionary.to_numpy(zero_copy_only=False)
    return uniq, indices.astype(np.intp)


def _layout(col) -> tuple[np.ndarray, np.ndarray]:
    """``(offsets, data)`` of a pyarrow string array without nulls: cell ``i`` is the UTF-8 bytes
    ``data[offsets[i]:offsets[i + 1]]``."""
    buffers = col.buffers()
    kind = np.int64 if str(col.type) == "large_string" else np.int32
    offsets = np.frombuffer(buffers[1], dtype=kind)[col.offset : col.offset + len(col) + 1]
    if buffers[2] is None:
        return offsets.astype(np.int64), np.zeros(0, dtype=np.uint8)
    return offsets.astype(np.int64), np.frombuffer(buffers[2], dtype=np.uint8)


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

    cells = np.asarray(values, dtype=object)
    if not len(cells):
        return np.zeros(0, dtype=bool)
    return fullmatch_arrow(pa.array(cells, type=pa.string()), pattern)


def fullmatch_arrow(arr, pattern: str) -> np.ndarray:
    """:func:`fullmatch` of the cells of a pyarrow string array: pyarrow over ASCII values,
    Python's ``re`` over the others."""
    import pyarrow.compute as pc

    if not len(arr):
        return np.zeros(0, dtype=bool)
    ascii = pc.string_is_ascii(arr).to_numpy(zero_copy_only=False)
    out = pc.match_substring_regex(arr, _ascii_pattern(pattern)).to_numpy(zero_copy_only=False)
    out &= ascii
    if not ascii.all():
        rx = re.compile(pattern)
        others = np.flatnonzero(~ascii)
        for i, cell in zip(others, arr.take(others).to_pylist(), strict=True):
            out[i] = rx.fullmatch(cell) is not None
    return out


def all_distinct(col) -> bool | None:
    """Whether no two cells of a pyarrow string array are equal, for cells of one length of at most
    8 bytes (most pseudonyms: each cell read as one 64-bit number, then sorted); None otherwise."""
    offsets, data = _layout(col)
    n = len(col)
    if n < 2:
        return True
    width = int(offsets[1] - offsets[0])
    if not 0 < width <= 8 or offsets[-1] - offsets[0] != n * width:
        return None
    if not (np.diff(offsets) == width).all():
        return None
    keys = np.zeros((n, 8), dtype=np.uint8)
    keys[:, :width] = data[offsets[0] : offsets[-1]].reshape(n, width)
    keys = np.sort(keys.view(np.uint64).ravel())
    return not bool((keys[1:] == keys[:-1]).any())
