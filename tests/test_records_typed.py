"""The typed records tables built through the reader's distinct values give what the plain pandas
rules give on the cells as read."""

import numpy as np
import pandas as pd
import pytest

from her2rwe.records.ingest import RawTable, read_raw_csv
from her2rwe.records.longitudinal import _empty_as

N = 2500  # rows: above 1000, so that a repeating column is built from its distinct values


def _two_ways(tmp_path, a, b) -> tuple[RawTable, RawTable]:
    """Columns ``a`` (repeating: built from its distinct values) and ``b`` (mostly distinct: not
    built so) read by the fast reader, and the same table without the reader's codes."""
    path = tmp_path / "t.csv"
    path.write_text("a,b\n" + "".join(f"{x},{y}\n" for x, y in zip(a, b, strict=True)))
    raw = read_raw_csv(path)
    assert raw.has_factors("a") and not raw.has_factors("b")
    return raw, RawTable(raw.path, raw.frame, raw.header_line, raw.lines)


@pytest.mark.parametrize("value", [None, "metastatic"])
def test_empty_cells_replaced_as_pandas_replace(tmp_path, value):
    rng = np.random.default_rng(11)
    a = rng.choice(["", " ", "early", " early ", "metastatic"], N)
    b = np.array([f"x{i}" if i % 4 else "" for i in range(N)])
    raw, plain = _two_ways(tmp_path, a, b)
    for table in (raw, plain):
        for column in ("a", "b"):
            got = _empty_as(table, column, value)
            want = raw.frame[column].replace("", value)
            assert got.dtype == object
            assert got.tolist() == want.tolist()
            pd.testing.assert_index_equal(got.index, want.index)


def _patients(tmp_path, n=1500):
    rng = np.random.default_rng(12)
    rows = [
        f"P{i:05d},2020-{1 + i % 12:02d}-01,,2021-06-01,"
        f"{rng.choice(['50', '61', '', '7'])},{rng.choice(['0.5', '1', ''])},"
        f"{rng.choice(['yes', 'no', ' no', ''])}\n"
        for i in range(n)
    ]
    path = tmp_path / "patients.csv"
    path.write_text(
        "patient_id,metastatic_date,death_date,last_contact_date,age,score,flag\n" + "".join(rows)
    )
    return read_raw_csv(path)


def test_patients_typed_through_distinct_values_as_cell_by_cell(tmp_path):
    from her2rwe.records.longitudinal import _typed_patients, patient_problems

    raw = _patients(tmp_path)
    assert all(raw.has_factors(c) for c in ("age", "score", "flag"))
    problems, _, parsed = patient_problems(raw)
    assert problems == []
    plain = RawTable(raw.path, raw.frame, raw.header_line, raw.lines)
    got, want = _typed_patients(raw, parsed), _typed_patients(plain, parsed)
    assert str(got["age"].dtype) == "Int64" and got["score"].dtype == float
    pd.testing.assert_frame_equal(got, want)


def test_treatments_typed_through_generic_codes_as_by_factorizing(tmp_path):
    from her2rwe.records.drugs import load_dictionary
    from her2rwe.records.longitudinal import (
        _typed_patients,
        _typed_treatments,
        patient_problems,
        treatment_problems,
    )

    raw_p = _patients(tmp_path)
    patients = _typed_patients(raw_p, patient_problems(raw_p)[2])
    rng = np.random.default_rng(13)
    drugs = ["Herceptin", "trastuzumab", "T-DXd", "kadcyla", "Phesgo"]
    rows = [
        f"P{i % 1500:05d},{rng.choice(drugs)},2020-{1 + i % 12:02d}-{2 + i // 1500:02d},,,\n"
        for i in range(3000)
    ]
    path = tmp_path / "treatments.csv"
    path.write_text(
        "patient_id,drug,start_date,end_date,setting,discontinuation_reason\n" + "".join(rows)
    )
    raw = read_raw_csv(path)
    dictionary = load_dictionary()
    problems, _, parsed = treatment_problems(raw, patients, dictionary)
    assert problems == [] and "generic_factor" in parsed
    got, got_pos, _ = _typed_treatments(raw, dictionary, parsed)
    without = {k: v for k, v in parsed.items() if k != "generic_factor"}
    want, want_pos, _ = _typed_treatments(raw, dictionary, without)
    assert len(got) > len(raw.frame)  # fixed combinations became one row per component
    pd.testing.assert_frame_equal(got, want)
    assert (got_pos == want_pos).all()


def test_blank_cells_through_distinct_values_as_comparison(tmp_path):
    from her2rwe.records.longitudinal import _blank

    rng = np.random.default_rng(14)
    a = rng.choice(["", " ", "\u00a0", "x", " x"], N)  # blank after stripping: '', ' ', NBSP
    b = np.array([f"y{i}" if i % 3 else " " for i in range(N)])
    raw, plain = _two_ways(tmp_path, a, b)
    for table in (raw, plain):
        for column in ("a", "b"):
            want = (raw.frame[column] == "").to_numpy()
            assert want.any() and not want.all()
            assert (_blank(table, column) == want).all()
