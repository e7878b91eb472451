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


# ---- adverse-event and tumour-assessment files: the same vectorised schema run, pandera only when a
# check fails. Expected problems are written out by hand from the files' contract (DESIGN.md); a
# cell is described by its class (rawtext.describe: "6" a whole number, "2.0" a number, "-3" a
# negative number, "2020-13-01" a date-like value that is not a valid ISO date), never its value.

AE_HEADER = "patient_id,term,grade,category\n"
ASSESS_HEADER = "patient_id,date,response,sum_diameters\n"


def _raw(tmp_path, name, text):
    path = tmp_path / name
    path.write_text("# SYNTHETIC\n" + text, encoding="utf-8")
    return read_raw_csv(path, name)


def _validate_both(raw, schema, monkeypatch):
    fast = ingest.validate(raw, schema)
    with monkeypatch.context() as m:
        m.setattr(ingest.TableSchema, "passes", lambda self, raw: False)
        slow = ingest.validate(plain(raw), schema)
    return [str(p) for p in fast], [str(p) for p in slow]


@pytest.mark.parametrize(
    "body, expected",
    [
        ("P1,Neutropenia,3,Haematological\nP2,Nausea,1,\n", []),
        # rule: grade is one of 1-5 as written (file line 4: the comment, the header, then row 2)
        (
            "P1,Nausea,1,\nP2,Fatigue,6,\n",
            ["ae.csv:4: column 'grade': expected a CTCAE grade 1-5 (found a whole number)"],
        ),
        # rule: the term is required; a grade of 2.0 is not a grade as written
        (
            "P1,,2,\nP2,Rash,2.0,\n",
            [
                "ae.csv:3: column 'term': expected an adverse-event term (found an empty cell)",
                "ae.csv:4: column 'grade': expected a CTCAE grade 1-5 (found a number)",
            ],
        ),
    ],
)
def test_adverse_event_checks(tmp_path, monkeypatch, body, expected):
    raw = _raw(tmp_path, "ae.csv", AE_HEADER + body)
    fast, slow = _validate_both(raw, ingest.adverse_event_schema(), monkeypatch)
    assert sorted(fast) == sorted(slow) == sorted(expected)


@pytest.mark.parametrize(
    "body, expected",
    [
        ("P1,2020-01-01,,41\nP1,2020-03-01,PR,20\n", []),
        # rules: an ISO date is required; response is CR, PR, SD, PD, NE or empty; sum >= 0
        (
            "P1,2020-01-01,,41\nP1,,PR,20\nP1,2020-13-01,SD,20\nP1,2020-05-01,XX,-3\n",
            [
                "a.csv:4: column 'date': expected the assessment date (required) "
                "(found an empty cell)",
                "a.csv:5: column 'date': expected an ISO date YYYY-MM-DD "
                "(found a date-like value that is not a valid ISO date)",
                "a.csv:6: column 'response': expected CR, PR, SD, PD, NE, or empty on a baseline "
                "assessment (found text (2 characters))",
                "a.csv:6: column 'sum_diameters': expected a sum of diameters (mm) >= 0 "
                "(found a negative number)",
            ],
        ),
    ],
)
def test_assessment_checks(tmp_path, monkeypatch, body, expected):
    from her2rwe.records.assessments import assessment_schema

    raw = _raw(tmp_path, "a.csv", ASSESS_HEADER + body)
    fast, slow = _validate_both(raw, assessment_schema(), monkeypatch)
    assert sorted(fast) == sorted(slow) == sorted(expected)


def test_clean_adverse_event_and_assessment_files_do_not_import_pandera(tmp_path):
    # pandera is imported only for a file that fails a check (its import alone is about 0.35 s of
    # every job that reads such a file)
    import subprocess
    import sys

    (tmp_path / "ae.csv").write_text(AE_HEADER + "P1,Nausea,1,\n")
    (tmp_path / "a.csv").write_text(ASSESS_HEADER + "P1,2020-01-01,,41\n")
    code = (
        "import sys\n"
        "from her2rwe.records import ingest\n"
        "from her2rwe.records.assessments import assessment_schema\n"
        f"ae = ingest.read_raw_csv({str(tmp_path / 'ae.csv')!r}, 'ae.csv')\n"
        f"a = ingest.read_raw_csv({str(tmp_path / 'a.csv')!r}, 'a.csv')\n"
        "assert ingest.adverse_event_problems(ae) == []\n"
        "assert ingest.validate(a, assessment_schema()) == []\n"
        "assert 'pandera' not in sys.modules, 'pandera imported'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
