"""The fast ingest path gives exactly what the line-by-line reader and Python's re give."""

import re

import numpy as np
import pandas as pd
import pytest

from her2rwe.records import identifiers
from her2rwe.records.fastread import _ascii_pattern, fullmatch, read_simple
from her2rwe.records.ingest import NUMBER, _read_lines, read_raw_csv
from her2rwe.records.rawtext import FIELD_LIMIT

HEADER = "patient_id,arm,pfs_months,age\n"
NBSP_B = "B\u00a0"
SIMPLE = {
    "plain": HEADER + "P1,A,1.5,60\nP2,B,2,61\n",
    "crlf": HEADER.replace("\n", "\r\n") + "P1,A,1.5,60\r\nP2,B,2,61",
    "comments on top": "# SYNTHETIC\n\n# note\n" + HEADER + "P1,A,1.5,60\n",
    "padded cells": HEADER + " P1 ,A\u00a0,\t1.5, 60\u2003\nP2,B,2,61\n",
    "rows of empty cells": HEADER + "P1,A,1.5,60\n,,,\n , ,\u00a0,\nP2,B,2,61\n",
    "non-ASCII": HEADER + "P1,Ärm,١٫٥,٦٠\nP2,B,2,61\n",
    "padded header": " patient_id , arm,pfs_months,age \nP1,A,1.5,60\n",
    # 3000 rows whose values repeat: built from the distinct values
    "repeating values": HEADER
    + "".join(
        f"P{i},{' A' if i % 3 else NBSP_B},{i % 7}.5,{' ' if i % 5 else 60}\n" for i in range(3000)
    )
    + ",,,\n",
    # about 2 MB: pyarrow parses it in blocks of 1 MB; padded and blank cells in every block, in
    # columns built from their distinct values and in one that is not (pfs_months)
    "several blocks": HEADER
    + "".join(
        f"P{i % 40_000},{' A' if i % 3 else NBSP_B},{' ' if i % 11 else ''}{i}.5,"
        f"{' ' if i % 5 else 60 + i % 7}\n"
        for i in range(100_000)
    )
    + ",,,\n",
}
FALLBACK = {
    "quotes": HEADER + 'P1,"A",1.5,60\n',
    "blank line": HEADER + "P1,A,1.5,60\n\nP2,B,2,61\n",
    "ragged": HEADER + "P1,A,1.5\n",
    "bare CR": HEADER + "P1,A,1.5,60\rP2,B,2,61\n",
    "header only": HEADER,
    "repeated column": "a,a\n1,2\n",
    "comment after the header": HEADER + "# note\n",
    "long line": HEADER + "P1,A,1.5," + "9" * FIELD_LIMIT + "\n",
    "long cell in a later block": HEADER
    + "P1,A,1.5,60\n" * 100_000
    + "P1," + "A" * FIELD_LIMIT + ",1.5,60\n",
}


@pytest.mark.parametrize("keep", [None, {"patient_id", "age"}])
@pytest.mark.parametrize("name", sorted(SIMPLE))
def test_fast_reader_gives_the_line_readers_table(tmp_path, name, keep):
    text = SIMPLE[name]
    assert read_simple(text, FIELD_LIMIT, keep) is not None
    path = tmp_path / "c.csv"
    path.write_bytes(text.encode())
    fast = read_raw_csv(path, keep=keep)
    slow = _read_lines(text, str(path), keep)
    pd.testing.assert_frame_equal(fast.frame, slow.frame)
    assert fast.lines.tolist() == slow.lines.tolist()
    assert (fast.header_line, fast.dropped) == (slow.header_line, slow.dropped)


@pytest.mark.parametrize("name", sorted(FALLBACK))
def test_files_the_fast_reader_leaves_to_the_line_reader(name):
    assert read_simple(FALLBACK[name], FIELD_LIMIT) is None


VALUES = ["1", "+1.5", "-2e3", ".5", "5.", "1e", " 1", "1 ", "١٢", "2020-01-01", "CR", "CRX", ""]


@pytest.mark.parametrize(
    "pattern", [NUMBER, r"\d{4}-\d{2}-\d{2}", "CR|PR|SD|PD|NE", r"[+-]?\d+", "[01]"]
)
@pytest.mark.parametrize("rows", [1, 3000])  # 3000 repeats: through the distinct values
def test_vectorised_fullmatch_is_pythons(pattern, rows):
    values = pd.Series(VALUES * rows, dtype=object)
    expected = np.array([re.fullmatch(pattern, v) is not None for v in values])
    assert (fullmatch(values, pattern) == expected).all()


def test_patterns_whose_escapes_differ_between_engines_are_refused():
    with pytest.raises(ValueError):
        _ascii_pattern(r"\s+")


def test_the_guard_still_reads_non_ascii_digits():
    """Python's \\d matches Arabic-Indic digits, pyarrow's does not: such values take Python's re."""
    frame = pd.DataFrame(
        {"patient_id": [f"P{i}" for i in range(12)], "note": ["٥٥٥-١٢٣-٤٥٦٧"] + ["x"] * 11}
    )
    (finding,) = identifiers.find_identifiers(frame, np.arange(2, 14))
    assert (finding.column, finding.line, finding.rows) == ("note", 2, 1)
    assert "phone numbers" in finding.reason


def _word(i: int) -> str:
    return chr(65 + i % 26) + chr(97 + i // 26 % 26) + chr(97 + i // 676 % 26) + "a"


@pytest.mark.parametrize("rows", [50, 3000])  # 3000 distinct values: tested row by row
def test_the_guard_reads_record_numbers_and_names_in_both_modes(rows):
    frame = pd.DataFrame(
        {
            "patient_id": [f"P{i}" for i in range(rows)],
            "ref": [f"{10_000_000 + 7 * i}" for i in range(rows)],  # numbers, and MRN-shaped
            "carer": [f"Ann{chr(97 + i % 26)} Lee{chr(97 + i // 26 % 26)}{i}" for i in range(rows)],
            "who": [f"{_word(i)} {_word(i + 7)}" for i in range(rows)],
        }
    )
    found = {f.column: f for f in identifiers.find_identifiers(frame, np.arange(2, rows + 2))}
    assert "unique record numbers" in found["ref"].reason and found["ref"].rows == rows
    assert found["carer"].reason.startswith("values look like nearly all distinct text")
    assert f"({rows} distinct of {rows} cells)" in found["carer"].reason
    assert "person names" in found["who"].reason


def test_distinct_values_of_a_column_in_several_blocks():
    import pyarrow as pa

    from her2rwe.records.fastread import _encoded

    blocks = [["b", "a", "b"], [], ["c", "a"], ["a", "d", "b"]]
    cells = [c for block in blocks for c in block]
    for col in (pa.chunked_array(blocks, type=pa.string()), pa.array(cells)):
        values, codes = _encoded(col)
        assert values[codes].tolist() == cells
        assert sorted(values) == ["a", "b", "c", "d"]
