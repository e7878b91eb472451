"""The cohort checks through the reader's distinct values and pyarrow arrays, and the vectorised
schema run without pandera, give exactly the problems of the plain checks: the same table without
what the reader knows (no codes, no arrays), run through pandera."""

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from her2rwe.config import study_settings
from her2rwe.derive.dataset import cohort_problems
from her2rwe.records import ingest
from her2rwe.records.fastread import all_distinct
from her2rwe.records.ingest import RawTable, read_raw_csv

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
CASES = yaml.safe_load((CORPUS / "manifest.yaml").read_text())
STUDY = {"arms": {"column": "arm"}, "endpoints": ["pfs", "os"]}


def plain(raw: RawTable) -> RawTable:
    """The same table, without the reader's codes and arrays."""
    return RawTable(raw.path, raw.frame, raw.header_line, raw.lines, list(raw.dropped))


def both(study, raw, monkeypatch):
    fast = cohort_problems(study, raw)
    with monkeypatch.context() as m:
        m.setattr(ingest.TableSchema, "passes", lambda self, raw: False)
        slow = cohort_problems(study, plain(raw))
    return fast, slow


@pytest.mark.parametrize("case", [c for c in CASES if "cohort" in c], ids=lambda c: c["cohort"])
def test_corpus_gives_the_same_problems(case, monkeypatch):
    study = copy.deepcopy(STUDY)
    study.update(case.get("study", {}))
    try:
        raw = read_raw_csv(CORPUS / case["cohort"], case["cohort"])
    except ingest.InputError:
        return  # refused before any check
    fast, slow = both(study_settings(study), raw, monkeypatch)
    assert fast == slow


N = 1500  # above 1000 rows: the reader builds repeating columns from their distinct values


def cohort(rng) -> pd.DataFrame:
    """A synthetic cohort (labelled synthetic in its file)."""
    index = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 400, N), unit="D")
    return pd.DataFrame(
        {
            "patient_id": [f"P{i:05d}" for i in range(N)],
            "arm": rng.choice(["ADC", "HP+C"], N),
            "index_date": pd.DatetimeIndex(index).strftime("%Y-%m-%d"),
            "progression_date": pd.DatetimeIndex(index + pd.Timedelta(days=90)).strftime(
                "%Y-%m-%d"
            ),
            "pfs_months": rng.exponential(8, N).round(6).astype(str),
            "pfs_event": rng.choice(["0", "1"], N),
            "os_months": rng.exponential(20, N).round(6).astype(str),
            "os_event": rng.choice(["0", "1"], N),
            "best_response": rng.choice(["CR", "PR", "SD", "PD", "NE", ""], N),
            "age": rng.integers(30, 90, N).astype(str),
            "ecog": rng.choice(["0", "1", "2"], N),
            "site": rng.choice(["S01", "S02", "S03"], N),
            "lab": rng.gamma(4, 2.5, N).round(4).astype(str),
        }
    )


def _set(frame, column, rows, value):
    frame.loc[rows, column] = value


INJECTIONS = {
    "clean": lambda f: None,
    "e-mail in a covariate": lambda f: _set(f, "site", [7], "ann@example.org"),
    "phone in durations": lambda f: _set(f, "pfs_months", [3, 900], "020 7946 0958"),
    "names as patient IDs": lambda f: _set(f, "patient_id", range(0, N, 3), "Okafor"),
    "one name as patient ID": lambda f: _set(f, "patient_id", [11], "Ann Lee"),
    "record numbers": lambda f: _set(
        f, "site", slice(None), [f"{10_000_000 + 7 * i}" for i in range(N)]
    ),
    "names in a covariate": lambda f: _set(
        f,
        "site",
        slice(None),
        [f"{chr(65 + i % 26)}n{chr(97 + i // 26 % 26)} Le{chr(97 + i % 7)}" for i in range(N)],
    ),
    "padded arms and blank rows": lambda f: (
        _set(f, "arm", range(0, N, 5), " ADC "),
        _set(f, "arm", [4], "HP+C\u00a0"),
    ),
    "empty required cells": lambda f: (
        _set(f, "pfs_months", [5], ""),
        _set(f, "arm", [6, 1200], ""),
        _set(f, "patient_id", [8], ""),
    ),
    "bad dates and chronology": lambda f: (
        _set(f, "index_date", [9], "2021-02-30"),
        _set(f, "progression_date", [10, 11], "2019-01-01"),
        _set(f, "progression_date", [12], "31/01/2020"),
    ),
    "durations out of bounds": lambda f: (
        _set(f, "pfs_months", [13], "1201"),
        _set(f, "os_months", [14], "-1"),
        _set(f, "os_months", [15], "1e309"),
        _set(f, "pfs_months", [16], "twelve"),
    ),
    "non-ASCII cells": lambda f: (
        _set(f, "site", [17], "Zürich"),
        _set(f, "lab", [18], "١٢٫٥"),
        _set(f, "age", [19], "fünfzig"),
    ),
    "duplicate patient IDs": lambda f: _set(f, "patient_id", [20, 21, 1400], "P00001"),
    "event flags": lambda f: (_set(f, "pfs_event", [22], "2"), _set(f, "os_event", [23], "yes")),
    "word among numbers": lambda f: _set(f, "age", [24, 25], "fifty"),
    "long free text": lambda f: _set(f, "site", [26], "x " * 60),
    "distinct text": lambda f: _set(f, "site", slice(None), [f"site-{i}-x" for i in range(N)]),
    "bad response": lambda f: _set(f, "best_response", [27], "CRX"),
}


CLEAN = {"clean", "padded arms and blank rows"}


@pytest.mark.parametrize("name", sorted(INJECTIONS))
def test_large_tables_give_the_same_problems(tmp_path, name, monkeypatch):
    frame = cohort(np.random.default_rng(7))
    INJECTIONS[name](frame)
    text = frame.to_csv(index=False, lineterminator="\n")
    if name == "padded arms and blank rows":
        lines = text.splitlines()
        text = "\n".join([*lines[:30], ",,,,,,,,,,,,", *lines[30:]]) + "\n"
    path = tmp_path / "cohort.csv"
    path.write_text("# SYNTHETIC\n" + text, encoding="utf-8")
    raw = read_raw_csv(path, "cohort.csv")
    assert raw.factors and raw.arrays  # the reader's fast path, both kinds of column
    study = study_settings(
        {**STUDY, "arms": {"column": "arm", "order": ["HP+C", "ADC"]}, "covariates": ["age"]}
    )
    fast, slow = both(study, raw, monkeypatch)
    assert fast == slow
    assert (name in CLEAN) == (not fast[0])


@pytest.mark.parametrize(
    "cells, expected",
    [
        (["P1", "P2", "P3"], True),
        (["P1", "P2", "P1"], False),
        (["ABCDEFGH", "ABCDEFGI"], True),
        (["ABCDEFGH", "ABCDEFGH"], False),
        (["a", "bb"], None),  # cells of two lengths: left to the caller
        (["ABCDEFGHI", "ABCDEFGHJ"], None),  # longer than 8 bytes
    ],
)
def test_all_distinct(cells, expected):
    import pyarrow as pa

    assert all_distinct(pa.array(cells)) is expected
