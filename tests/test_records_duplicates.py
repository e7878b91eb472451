"""The duplicate-row check of the records reader (one integer per row) against the plain pandas
rule, ``frame.duplicated(keep="first")`` on the cells as read, on hand-made tables."""

import numpy as np
import pandas as pd
import pytest

from her2rwe.records.ingest import RawTable, read_raw_csv
from her2rwe.records.longitudinal import _duplicates, _row_codes


def partition(values) -> np.ndarray:
    """Rows numbered by their first equal row: two rows share a number exactly when equal."""
    return pd.factorize(pd.Series(list(values), dtype=object))[0]


def check(raw: RawTable) -> None:
    frame = raw.frame
    codes = _row_codes(raw)
    assert (codes >= 0).all()  # no combination overflowed (it would wrap round to negatives)
    rows = [tuple(r) for r in frame.itertuples(index=False, name=None)]
    assert (partition(codes) == partition(rows)).all()
    dup = frame.duplicated(keep="first").to_numpy()
    assert (pd.Series(codes).duplicated(keep="first").to_numpy() == dup).all()
    lines = [p.line for p in _duplicates(raw, "row")]
    assert lines == [int(x) for x in raw.lines[dup]]


def read(tmp_path, text: str) -> RawTable:
    path = tmp_path / "t.csv"
    path.write_text(text)
    return read_raw_csv(path)


def test_small_table_with_empty_cells_and_one_differing_cell(tmp_path):
    raw = read(
        tmp_path,
        "a,b,c\nx,,1\nx,,1\nx,,2\n,,1\nx,y,1\n,,1\nx,,1\n",
    )
    check(raw)
    assert [p.line for p in _duplicates(raw, "row")] == [3, 7, 8]
    assert all("duplicate row: the same row appears twice" in str(p) for p in _duplicates(raw, "row"))


def test_cells_equal_only_after_stripping_are_equal(tmp_path):
    # above 1000 rows and repeating: the fast reader builds the columns from their distinct
    # values, where ' a' and 'a ' keep codes of their own that strip to the same value
    rng = np.random.default_rng(3)
    n = 3000
    a = rng.choice(["a", " a", "a ", "b", " b "], n)
    b = rng.choice(["1", "2", " 2", ""], n)
    text = "p,q\n" + "".join(f"{x},{y}\n" for x, y in zip(a, b, strict=True))
    raw = read(tmp_path, text)
    assert raw.has_factors("p") and raw.has_factors("q")
    assert len(set(raw.factors["p"][1])) < len(raw.factors["p"][1])  # values coincide
    check(raw)


def test_rows_of_empty_cells_dropped_by_the_reader(tmp_path):
    rng = np.random.default_rng(4)
    n = 2000
    a = rng.choice(["a", "b", "c"], n)
    b = rng.choice(["x", "y"], n)
    body = [f"{x},{y}\n" for x, y in zip(a, b, strict=True)]
    body[7] = " , \n"  # a row of blank cells: not a row of the table
    raw = read(tmp_path, "p,q\n" + "".join(body))
    assert len(raw.frame) == n - 1
    check(raw)


def test_many_columns_of_many_values_overflow_one_integer(tmp_path):
    # 8 columns of about 1,000 distinct values each: 1e24 combinations, more than one int64
    rng = np.random.default_rng(5)
    n = 1500
    cols = {f"c{i}": rng.integers(0, 1000, n).astype(str) for i in range(8)}
    frame = pd.DataFrame(cols)
    frame = pd.concat([frame, frame.iloc[[3, 10, 10, 700]]], ignore_index=True)
    frame.loc[len(frame)] = frame.iloc[5].to_numpy()
    frame.loc[len(frame) - 1, "c7"] = "other"  # equal to row 5 but for the last column
    raw = RawTable("t.csv", frame.astype(object), 1, np.arange(2, len(frame) + 2))
    check(raw)
    assert int(frame.duplicated().sum()) == 4


@pytest.mark.parametrize(
    "text",
    [
        "a,b\n",  # header only
        "a\nx\nx\ny\n",  # one column
        "a,b\n\"x,1\",2\n\"x,1\",2\nx,\"1,2\"\n",  # quoted cells: the line-by-line reader
    ],
)
def test_edge_tables(tmp_path, text):
    check(read(tmp_path, text))
