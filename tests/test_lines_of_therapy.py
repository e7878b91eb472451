"""Lines of therapy: hand-worked cases, each with the rule it exercises, and property tests.

Days are offsets from 2020-01-01; the metastatic diagnosis is day 0 unless a case says otherwise.
Default rules: regimen window 28 days, gap 120 days, adjuvant rule 12 months (365.25 days),
substitutions {paclitaxel, nab-paclitaxel, docetaxel} and {trastuzumab, trastuzumab-hyaluronidase},
allowed addition: endocrine therapy to a line holding an anti-HER2 antibody.
"""

import functools

import numpy as np
import pandas as pd
import pytest

from her2rwe.config import study_settings
from her2rwe.derive.lines import LINE_COLUMNS, derive_lines, line_rules
from her2rwe.records.drugs import load_dictionary, map_exposures

D0 = pd.Timestamp("2020-01-01")
DICT = load_dictionary()


def day(n):
    return None if n is None else D0 + pd.Timedelta(days=n)


def treatments(rows, pid="P1"):
    """rows: (drug, start, end[, setting[, reason[, line]]])."""
    out = []
    for r in rows:
        r = list(r) + [None] * (6 - len(r))
        drug, s, e, setting, reason, line = r
        out.append(
            {
                "patient_id": pid,
                "drug": drug,
                "start_date": day(s),
                "end_date": day(e if e is not None else s),
                "setting": setting or "metastatic",
                "discontinuation_reason": reason,
                "line": line,
            }
        )
    frame = pd.DataFrame(out)
    generic, unknown = map_exposures(frame["drug"], DICT)
    assert not unknown.any()
    frame["generic"] = generic
    frame = frame.assign(generic=frame["generic"].str.split("+")).explode(
        "generic", ignore_index=True
    )
    frame["drug_class"] = DICT.classes_of(frame["generic"])
    frame["row"] = np.arange(len(frame))
    if frame["line"].isna().all():
        frame = frame.drop(columns="line")
    else:
        frame["line"] = frame["line"].astype("Int64")
    return frame


def patients(ids=("P1",), meta=0, death=None, contact=2000):
    return pd.DataFrame(
        {
            "patient_id": list(ids),
            "metastatic_date": [day(meta)] * len(ids),
            "death_date": pd.to_datetime([day(death)] * len(ids)),
            "last_contact_date": pd.to_datetime([day(contact)] * len(ids)),
        }
    )


def rules(**lines):
    settings = study_settings({"lines": lines})
    return line_rules(settings["lines"], 30.4375)


def lot(rows, meta=0, death=None, contact=2000, **kw):
    res = derive_lines(
        treatments(rows), patients(meta=meta, death=death, contact=contact), rules(**kw)
    )
    t = res.lines
    return [
        (
            int(r.line),
            r.regimen,
            (r.start_date - D0).days,
            (r.end_date - D0).days,
            r.end_reason,
            r.rule,
        )
        for r in t.itertuples()
    ]


def test_01_single_drug_one_line():
    # rule: first metastatic therapy starts line 1; the last line is ongoing when the last contact
    # (day 2000) is within the gap (120 days) of its last dose... here it is not: stopped
    assert lot([("T-DXd", 0, 200)]) == [(1, "trastuzumab deruxtecan", 0, 200, "stopped", "first")]


def test_02_window_addition_joins_regimen():
    # rule: drugs started within 28 days of the line's first drug form its regimen (day 28 counts)
    got = lot([("trastuzumab", 0, 300), ("pertuzumab", 10, 300), ("docetaxel", 28, 120)])
    assert got == [(1, "docetaxel+pertuzumab+trastuzumab", 0, 300, "stopped", "first")]


def test_03_late_addition_starts_new_line_with_drugs_still_given():
    # rule: a drug added after the window starts a new line: added drug + previous drugs still given
    got = lot([("trastuzumab", 0, 400), ("docetaxel", 0, 100), ("capecitabine", 200, 400)])
    assert got == [
        (1, "docetaxel+trastuzumab", 0, 200, "new_drug", "first"),
        (2, "capecitabine+trastuzumab", 200, 400, "stopped", "new_drug"),
    ]


def test_04_day_29_is_after_the_window():
    # rule: regimen window is day 0..28; a drug on day 29 is a late addition
    got = lot([("trastuzumab", 0, 100), ("pertuzumab", 29, 100)])
    assert [g[:2] for g in got] == [(1, "trastuzumab"), (2, "pertuzumab+trastuzumab")]


def test_05_drop_to_maintenance_is_one_line():
    # rule: dropping the taxane and continuing trastuzumab + pertuzumab for years is one line
    rows = [("docetaxel", 0, 126), ("trastuzumab", 0, 900), ("pertuzumab", 0, 900)]
    assert lot(rows) == [(1, "docetaxel+pertuzumab+trastuzumab", 0, 900, "stopped", "first")]


def test_06_maintenance_as_repeated_administrations():
    # rule: drops/maintenance with administration-level rows (every 21 days) stay in one line
    rows = [("paclitaxel", d, None) for d in range(0, 120, 7)]
    rows += [(drug, d, None) for d in range(0, 700, 21) for drug in ("trastuzumab", "pertuzumab")]
    got = lot(rows)
    assert len(got) == 1 and got[0][1] == "paclitaxel+pertuzumab+trastuzumab" and got[0][3] == 693


def test_07_substitution_taxanes():
    # rule: substitution paclitaxel -> docetaxel continues the line; the regimen keeps its name
    rows = [("paclitaxel", 0, 90), ("trastuzumab", 0, 400), ("docetaxel", 100, 200)]
    assert lot(rows) == [(1, "paclitaxel+trastuzumab", 0, 400, "stopped", "first")]


def test_08_substitution_nab_paclitaxel_and_back():
    # rule: substitution both ways within the closed taxane group
    rows = [("docetaxel", 0, 60), ("abraxane", 90, 150), ("taxol", 180, 240)]
    got = lot(rows)
    assert len(got) == 1 and got[0][1] == "docetaxel"


def test_09_substitution_trastuzumab_iv_to_sc():
    # rule: substitution trastuzumab IV -> SC (and biosimilars map to trastuzumab) continues
    rows = [("Herceptin", 0, 200), ("ogivri", 210, 300), ("Herceptin SC", 320, 600)]
    got = lot(rows)
    assert len(got) == 1 and got[0][1] == "trastuzumab"


def test_10_substitution_off_makes_a_new_line():
    # rule: substitutions are a closed list; with none listed docetaxel after paclitaxel is new
    rows = [("paclitaxel", 0, 90), ("docetaxel", 100, 200)]
    got = lot(rows, substitutions=[])
    assert [g[:2] for g in got] == [(1, "paclitaxel"), (2, "docetaxel")]


def test_11_non_listed_switch_is_new_line():
    # rule: capecitabine is not a taxane substitute: new line
    rows = [("paclitaxel", 0, 90), ("capecitabine", 100, 200)]
    got = lot(rows)
    assert [g[1] for g in got] == ["paclitaxel", "capecitabine"] and got[0][4] == "new_drug"


def test_12_gap_rule_same_drug_restarted():
    # rule: gap > 120 days after the last dose of the line starts a new line, same drug
    got = lot([("T-DM1", 0, 100), ("T-DM1", 221, 300)])
    assert got == [
        (1, "trastuzumab emtansine", 0, 100, "gap", "first"),
        (2, "trastuzumab emtansine", 221, 300, "stopped", "gap"),
    ]


def test_13_gap_of_exactly_120_days_continues():
    # rule: the gap must exceed 120 days
    got = lot([("T-DM1", 0, 100), ("T-DM1", 220, 300)])
    assert len(got) == 1


def test_14_gap_measured_from_the_latest_end_of_any_drug():
    # rule: the gap counts from the last dose of every drug of the line (trastuzumab to day 300)
    rows = [("trastuzumab", 0, 300), ("pertuzumab", 0, 50), ("pertuzumab", 400, 420)]
    got = lot(rows)
    assert len(got) == 1 and got[0][3] == 420


def test_15_gap_rule_180_days():
    # rule: the gap is a setting (Merck's later version used 180 days)
    rows = [("T-DM1", 0, 100), ("T-DM1", 250, 300)]
    assert len(lot(rows)) == 2 and len(lot(rows, gap_days=180)) == 1


def test_16_rechallenge_after_another_line():
    # rule: re-challenge: going back to an earlier drug after a different line is a new line
    rows = [
        ("T-DM1", 0, 100),
        ("lapatinib", 110, 200),
        ("capecitabine", 110, 200),
        ("T-DM1", 210, 300),
    ]
    got = lot(rows)
    assert [g[1] for g in got] == [
        "trastuzumab emtansine",
        "capecitabine+lapatinib",
        "trastuzumab emtansine",
    ]
    assert [g[5] for g in got] == ["first", "new_drug", "new_drug"]


def test_17_overlapping_courses_of_one_drug():
    # rule: overlapping rows of the same drug are one exposure history within the line
    got = lot([("trastuzumab", 0, 200), ("trastuzumab", 150, 300), ("trastuzumab", 250, 260)])
    assert got == [(1, "trastuzumab", 0, 300, "stopped", "first")]


def test_18_same_day_switch():
    # rule: same-day switch: T-DM1 ends day 200 and T-DXd starts day 200; T-DM1 is not carried
    rows = [("T-DM1", 0, 200, None, "progression"), ("T-DXd", 200, 400)]
    got = lot(rows)
    assert got == [
        (1, "trastuzumab emtansine", 0, 200, "new_drug", "first"),
        (2, "trastuzumab deruxtecan", 200, 400, "stopped", "new_drug"),
    ]


def test_19_continuous_course_crossing_a_new_line_is_carried():
    # rule: a course still running when a new drug starts is part of the new regimen
    rows = [
        ("trastuzumab", 0, 500),
        ("docetaxel", 0, 100),
        ("tucatinib", 300, 500),
        ("capecitabine", 300, 500),
    ]
    got = lot(rows)
    assert got[1][1] == "capecitabine+trastuzumab+tucatinib" and got[0][3] == 300


def test_20_endocrine_added_to_antibody_maintenance():
    # rule: allowed addition: endocrine added to anti-HER2 antibody maintenance is not a new line
    rows = [
        ("trastuzumab", 0, 600),
        ("pertuzumab", 0, 600),
        ("docetaxel", 0, 120),
        ("letrozole", 150, 600),
    ]
    got = lot(rows)
    assert len(got) == 1 and got[0][1] == "docetaxel+pertuzumab+trastuzumab"


def test_21_endocrine_added_without_antibody_is_a_new_line():
    # rule: the allowed addition needs an anti-HER2 antibody in the line
    rows = [("capecitabine", 0, 300), ("letrozole", 150, 300)]
    assert [g[1] for g in lot(rows)] == ["capecitabine", "capecitabine+letrozole"]


def test_22_allowed_additions_can_be_switched_off():
    # rule: the allowed additions are a setting; with none, letrozole starts a new line
    rows = [("trastuzumab", 0, 600), ("letrozole", 150, 600)]
    assert len(lot(rows, additions=[])) == 2


def test_23_adjuvant_within_12_months_is_line_1():
    # rule: adjuvant rule: metastatic diagnosis 300 days after the last early trastuzumab dose
    rows = [
        ("docetaxel", -700, -600, "early"),
        ("trastuzumab", -700, -300, "early"),
        ("T-DXd", 10, 300),
    ]
    got = lot(rows)
    assert got == [
        (1, "docetaxel+trastuzumab", -700, -300, "recurrence", "adjuvant"),
        (2, "trastuzumab deruxtecan", 10, 300, "stopped", "first"),
    ]


def test_24_adjuvant_beyond_12_months_is_no_line():
    # rule: adjuvant rule: 400 days (> 365.25) after the last early dose: early therapy in no line
    rows = [("trastuzumab", -800, -400, "early"), ("T-DXd", 10, 300)]
    assert lot(rows) == [(1, "trastuzumab deruxtecan", 10, 300, "stopped", "first")]


def test_25_adjuvant_rule_six_months():
    # rule: adjuvant rule as a one-line change: 6 months (DESTINY-Breast03 eligibility)
    rows = [("trastuzumab", -700, -300, "early"), ("T-DXd", 10, 300)]
    assert len(lot(rows)) == 2 and len(lot(rows, adjuvant_rule_months=6)) == 1


def test_26_early_chemotherapy_only_is_no_line():
    # rule: adjuvant rule counts early anti-HER2 therapy only; early chemotherapy alone: no line
    rows = [("docetaxel", -100, -30, "early"), ("trastuzumab", 10, 300)]
    assert lot(rows) == [(1, "trastuzumab", 10, 300, "stopped", "first")]


def test_27_recurrence_during_adjuvant_trastuzumab():
    # rule: adjuvant rule: metastatic diagnosis while on early trastuzumab counts too
    rows = [("trastuzumab", -200, 20, "early"), ("lapatinib", 30, 200), ("capecitabine", 30, 200)]
    got = lot(rows)
    assert [g[0] for g in got] == [1, 2] and got[0][4] == "recurrence"


def test_28_death_during_a_line():
    # rule: the last line ends with death when death is within the gap of the last dose
    assert lot([("T-DXd", 0, 200)], death=250, contact=250)[0][4] == "death"


def test_29_ongoing_at_last_contact():
    # rule: the last line is ongoing when the last contact is within the gap of the last dose
    assert lot([("T-DXd", 0, 200)], contact=260)[0][4] == "ongoing"


def test_30_stopped_long_before_death():
    # rule: death more than 120 days after the last dose: the line stopped
    assert lot([("T-DXd", 0, 200)], death=400, contact=400)[0][4] == "stopped"


def test_31_fixed_combination_expands():
    # rule: a fixed combination (Phesgo) is its components; adding docetaxel in the window
    got = lot([("Phesgo", 0, 300), ("docetaxel", 0, 100)])
    assert got[0][1] == "docetaxel+pertuzumab+trastuzumab-hyaluronidase"


def test_32_discontinuation_reason_of_the_ending_exposure():
    # rule: a line's discontinuation reason is the one recorded on the exposure that ends it
    rows = [
        ("trastuzumab", 0, 300, None, "completed"),
        ("docetaxel", 0, 100, None, "other_AE"),
        ("T-DXd", 310, 500, None, "ILD"),
    ]
    res = derive_lines(treatments(rows), patients(), rules())
    assert list(res.lines["discontinuation_reason"]) == ["completed", "ILD"]


def test_33_line_classes():
    # rule: a line's class is the first of ADC, TKI, antibody, CDK4/6, chemotherapy, endocrine, other
    rows = [("trastuzumab", 0, 100), ("tucatinib", 0, 100), ("capecitabine", 0, 100)]
    res = derive_lines(treatments(rows), patients(), rules())
    assert res.lines["line_class"].tolist() == ["anti-HER2 TKI"]
    assert res.lines["classes"].tolist() == ["anti-HER2 antibody+anti-HER2 TKI+chemotherapy"]


def test_34_given_lines_are_taken_as_given_and_differences_listed():
    # rule: a `line` column is taken as given; the rules' numbering is kept for comparison
    from her2rwe.derive.lines import compare_given_lines

    rows = [("T-DM1", 0, 100, None, None, 1), ("T-DM1", 300, 400, None, None, 1)]
    t = treatments(rows)
    res = derive_lines(t, patients(), rules())
    assert res.lines["line"].tolist() == [1] and res.lines["rule"].tolist() == ["given"]
    diff = compare_given_lines(t, res)
    assert diff["rule_line"].tolist() == [2] and diff["given_line"].tolist() == [1]


# ------------------------------------------------------------------------------------------------
# property tests on random histories


@functools.cache
def random_histories(n_pat=60, seed=7):
    """Random histories of up to 14 exposures per patient, early ones before the diagnosis."""
    rng = np.random.default_rng(seed)
    drugs = np.array(
        [
            "trastuzumab",
            "pertuzumab",
            "docetaxel",
            "paclitaxel",
            "T-DM1",
            "T-DXd",
            "lapatinib",
            "capecitabine",
            "tucatinib",
            "letrozole",
            "vinorelbine",
        ],
        dtype=object,
    )
    k = rng.integers(1, 15, n_pat)
    pid = np.repeat([f"P{i:03d}" for i in range(n_pat)], k)
    start = rng.integers(-600, 1200, len(pid))
    end = start + rng.integers(0, 200, len(pid))
    frame = pd.DataFrame(
        {
            "patient_id": pid,
            "drug": drugs[rng.integers(len(drugs), size=len(pid))],
            "start_date": D0 + pd.to_timedelta(start, unit="D"),
            "end_date": D0 + pd.to_timedelta(end, unit="D"),
            "setting": np.where(start < 0, "early", "metastatic"),
            "discontinuation_reason": np.array(["progression", "ILD", None], dtype=object)[
                rng.integers(3, size=len(pid))
            ],
        }
    )
    frame["generic"], _ = map_exposures(frame["drug"], DICT)
    frame["drug_class"] = DICT.classes_of(frame["generic"])
    frame["row"] = np.arange(len(frame))
    pts = patients([f"P{i:03d}" for i in range(n_pat)], meta=0, contact=1500)
    return frame, pts


def test_property_shuffling_rows_changes_nothing():
    t, pts = random_histories()
    a = derive_lines(t, pts, rules()).lines
    b = derive_lines(
        t.sample(frac=1, random_state=3), pts.sample(frac=1, random_state=4), rules()
    ).lines
    key = ["patient_id", "line"]
    pd.testing.assert_frame_equal(
        a.sort_values(key).reset_index(drop=True), b.sort_values(key).reset_index(drop=True)
    )


def test_property_lines_never_overlap_and_are_numbered_1_to_n():
    t, pts = random_histories(seed=11)
    lines = derive_lines(t, pts, rules()).lines
    assert list(lines.columns) == LINE_COLUMNS
    for _, g in lines.groupby("patient_id"):
        assert g["line"].tolist() == list(range(1, len(g) + 1))
        assert (g["start_date"].to_numpy()[1:] >= g["end_date"].to_numpy()[:-1]).all()
        assert (g["end_date"] >= g["start_date"]).all()
        nxt = g["next_line_start"].to_numpy()[:-1]
        assert (nxt == g["start_date"].to_numpy()[1:]).all()


def test_property_every_metastatic_exposure_in_exactly_one_line():
    t, pts = random_histories(seed=5)
    res = derive_lines(t, pts, rules())
    met = (t["setting"] == "metastatic").to_numpy()
    assert res.exposure_line[met].notna().all()
    counts = res.lines.set_index(["patient_id", "line"])["n_exposures"]
    assigned = t[res.exposure_line.notna().to_numpy()].assign(
        line=res.exposure_line.dropna().to_numpy()
    )
    assert assigned.groupby(["patient_id", "line"]).size().sort_index().equals(counts.sort_index())
    # every exposure falls inside its line's dates
    merged = assigned.merge(res.lines, on=["patient_id", "line"], suffixes=("", "_line"))
    assert (merged["start_date"] >= merged["start_date_line"]).all()
    nxt = merged["next_line_start"].fillna(pd.Timestamp("2262-01-01"))
    assert (merged["start_date"] < nxt).all() | (merged["setting"] == "early").any()


def test_property_early_therapy_is_line_1_or_in_no_line():
    t, pts = random_histories(seed=9)
    res = derive_lines(t, pts, rules())
    early = (t["setting"] == "early").to_numpy()
    lines_early = res.exposure_line[early]
    assert set(lines_early.dropna().unique()) <= {1}
    adj = res.lines[res.lines["rule"] == "adjuvant"]
    assert (adj["line"] == 1).all() and (adj["setting"] == "early").all()
    with_line = set(t.loc[early & res.exposure_line.notna().to_numpy(), "patient_id"])
    assert with_line == set(adj["patient_id"])


@pytest.mark.parametrize("window", [0, 28, 60])
def test_property_window_never_changes_exposure_count(window):
    t, pts = random_histories(seed=2)
    res = derive_lines(t, pts, rules(regimen_window_days=window))
    assert res.lines["n_exposures"].sum() == res.exposure_line.notna().sum()
