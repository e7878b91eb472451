"""Treatment patterns: transitions by class and outcomes by line, against hand counts and hand
Kaplan-Meier medians."""

import numpy as np
import pandas as pd
import pytest

from her2rwe.analyses.treatment_patterns import summarize_outcomes_by_line, summarize_sequences
from her2rwe.outputs.patterns import shareable_treatment_patterns

D0 = pd.Timestamp("2020-01-01")
M = 30.4375


def d(n):
    return pd.NaT if n is None or pd.isna(n) else D0 + pd.Timedelta(days=int(n))


def lines_frame():
    # patient, line, class, start, end, next start, end reason, setting
    rows = [
        ("A", 1, "anti-HER2 antibody", 0, 120, 130, "new_drug", "metastatic"),
        ("A", 2, "anti-HER2 ADC", 130, 400, None, "stopped", "metastatic"),
        ("B", 1, "anti-HER2 antibody", 0, 60, 61, "new_drug", "metastatic"),
        ("B", 2, "anti-HER2 TKI", 61, 90, None, "stopped", "metastatic"),
        ("C", 1, "anti-HER2 ADC", 0, 200, None, "ongoing", "metastatic"),
        ("E", 1, "anti-HER2 antibody", -500, -200, 10, "recurrence", "early"),
        ("E", 2, "anti-HER2 ADC", 10, 100, None, "stopped", "metastatic"),
    ]
    f = pd.DataFrame(
        rows, columns=["patient_id", "line", "line_class", "s", "e", "n", "end_reason", "setting"]
    )
    f["start_date"] = f.pop("s").map(d)
    f["end_date"] = f.pop("e").map(d)
    f["next_line_start"] = pd.to_datetime(f.pop("n").map(d))
    return f


def patients():
    return pd.DataFrame(
        {
            "patient_id": ["A", "B", "C", "E"],
            "death_date": pd.to_datetime([d(500), None, None, None]),
            "last_contact_date": pd.to_datetime([d(500), d(400), d(250), d(300)]),
        }
    )


def test_sequences_hand_counts():
    seq = summarize_sequences(lines_frame())
    got = {(r.from_line, r.from_class, r.to_class): r.n for r in seq.itertuples()}
    assert got == {
        ("1", "anti-HER2 ADC", "none"): 1,
        ("1", "anti-HER2 ADC", "all"): 1,
        ("1", "anti-HER2 antibody", "anti-HER2 ADC"): 2,  # A, and E's early line 1 -> ADC
        ("1", "anti-HER2 antibody", "anti-HER2 TKI"): 1,
        ("1", "anti-HER2 antibody", "all"): 3,
        ("2", "anti-HER2 ADC", "none"): 2,
        ("2", "anti-HER2 ADC", "all"): 2,
        ("2", "anti-HER2 TKI", "none"): 1,
        ("2", "anti-HER2 TKI", "all"): 1,
    }


def test_outcomes_by_line_hand_km_medians():
    out = summarize_outcomes_by_line(lines_frame(), patients(), M).set_index(
        ["line_group", "line_class"]
    )
    row = out.loc[("1", "all")]  # metastatic line 1 of A, B, C (E's early line 1 has no row)
    assert row["n"] == 3
    # time on treatment: 60 (event), 120 (event), 250 (C ongoing, censored at last contact)
    # KM: S(60) = 2/3, S(120) = 1/3 -> median 120 days
    assert row["tot_events"] == 2 and row["tot_median"] == pytest.approx(120 / M, abs=1e-12)
    # time to next treatment: 61 (B), 130 (A), 250 (C censored) -> median 130 days
    assert row["ttnt_events"] == 2 and row["ttnt_median"] == pytest.approx(130 / M, abs=1e-12)
    two = out.loc[("2", "anti-HER2 ADC")]  # A (130 -> 400; death 500) and E (10 -> 100; alive)
    assert two["n"] == 2 and two["tot_events"] == 2
    # TTNT: E censored at last contact 290, then A's death at 370 days: S(370) = 0 -> median 370
    assert two["ttnt_events"] == 1 and two["ttnt_median"] == pytest.approx(370 / M, abs=1e-12)
    assert np.isnan(two["ttnt_upper"])  # R leaves the band undefined where S = 0


def test_shareable_patterns_mask_small_counts():
    seq = summarize_sequences(lines_frame())
    out = summarize_outcomes_by_line(lines_frame(), patients(), M)
    shown_seq, shown_out = shareable_treatment_patterns(seq, out, 11)
    assert set(shown_seq["n"].astype(str)) <= {"<11", "*", "0"}
    assert (shown_out["n"].astype(str) == "<11").all()
