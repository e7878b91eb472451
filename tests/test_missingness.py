"""Missing data per variable and arm (tables/missingness.csv and .md), counted by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd

from her2rwe.analyses.missingness import summarize_missingness
from her2rwe.outputs import shareable
from her2rwe.outputs.study_tables import format_missingness

STUDY = {
    "endpoints": ["pfs"],
    "covariates": ["age", "ecog"],
    "subgroups": [{"variable": "ecog"}],
    "synthetic": True,
}


def _data() -> pd.DataFrame:
    # arm A: 4 patients, age missing for 1, ecog for 2; arm B: 3 patients, age missing for 0,
    # ecog for 1; sd_weeks missing for all but one; pfs never missing
    return pd.DataFrame(
        {
            "patient_id": list("abcdefg"),
            "arm": ["A", "A", "A", "A", "B", "B", "B"],
            "pfs_months": [1.0, 2, 3, 4, 5, 6, 7],
            "pfs_event": [1, 0, 1, 1, 0, 1, 1],
            "pfs_source": ["x"] * 7,
            "age": [50, np.nan, 60, 70, 55, 65, 75],
            "ecog": ["0", None, None, "1", "1", "0", None],
            "sd_weeks": [np.nan, 30, np.nan, np.nan, np.nan, np.nan, np.nan],
        }
    )


def test_counts_per_variable_and_arm():
    t = summarize_missingness(_data(), STUDY, ["A", "B"])
    assert list(t["variable"].unique()) == ["pfs_months", "age", "ecog", "sd_weeks"]
    got = {(r.variable, r.arm): (r.n, r.missing_n) for r in t.itertuples()}
    assert got[("age", "A")] == (4, 1) and got[("age", "B")] == (3, 0)
    assert got[("age", "Overall")] == (7, 1)
    assert got[("ecog", "A")] == (4, 2) and got[("ecog", "B")] == (3, 1)
    assert got[("ecog", "Overall")] == (7, 3)
    assert got[("sd_weeks", "Overall")] == (7, 6)
    assert got[("pfs_months", "Overall")] == (7, 0)
    pct = t.set_index(["variable", "arm"])["missing_pct"]
    assert abs(pct[("ecog", "Overall")] - 300 / 7) < 1e-12
    roles = dict(zip(t["variable"], t["role"], strict=False))
    assert roles == {
        "pfs_months": "endpoint",
        "age": "covariate",
        "ecog": "covariate, subgroup",
        "sd_weeks": "response",
    }


def test_single_arm_has_no_overall_row():
    data = _data().assign(arm="A")
    t = summarize_missingness(data, STUDY, ["A"])
    assert set(t["arm"]) == {"A"}


def test_small_counts_are_masked_with_their_complement():
    t = summarize_missingness(_data(), STUDY, ["A", "B"])
    sh = shareable.missingness(t, 3)
    shown = sh.table.set_index(["variable", "arm"])
    # age: A has 1 missing (< 3, masked); B has 0 (shown); so Overall (1) would give A back: the
    # Overall count is small itself and masked too
    assert shown.loc[("age", "A"), "missing_n"] == "<3"
    assert shown.loc[("age", "A"), "missing_pct"] == "<3"
    assert shown.loc[("age", "Overall"), "missing_n"] == "<3"
    # ecog: A 2 (masked), B 1 (masked), Overall 3 shown
    assert shown.loc[("ecog", "A"), "missing_n"] == "<3"
    assert shown.loc[("ecog", "Overall"), "missing_n"] == 3
    # pfs: nothing missing, nothing hidden
    assert shown.loc[("pfs_months", "A"), "missing_n"] == 0
    text = format_missingness(sh.table, STUDY, sh.footnote())
    assert "| ecog | covariate, subgroup | <3 | <3 | 3 (42.9%) |" in text
    assert "A (N = 4)" in text and "Overall (N = 7)" in text
    assert "Counts from 1 to 2 are shown as <3" in text and "Synthetic data" in text
