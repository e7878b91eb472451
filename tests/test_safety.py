"""Adverse-event tables against counts worked out by hand (worst grade per patient and term)."""

import numpy as np
import pandas as pd
import pytest

from her2rwe.analyses import safety


@pytest.fixture
def dataset():
    # safety population: arm A has 5 patients (a1-a5), arm B has 4 (b1-b4); a5 and b4 have no AE
    return pd.DataFrame(
        {
            "patient_id": ["a1", "a2", "a3", "a4", "a5", "b1", "b2", "b3", "b4"],
            "arm": ["A"] * 5 + ["B"] * 4,
        }
    )


@pytest.fixture
def events():
    rows = [
        # a1: diarrhea twice (grades 1 and 3 -> worst 3), neutropenia 4
        ("a1", "Diarrhea", 1),
        ("a1", "Diarrhea", 3),
        ("a1", "Neutropenia", 4),
        # a2: diarrhea 2, nausea 1
        ("a2", "Diarrhea", 2),
        ("a2", "Nausea", 1),
        # a3: neutropenia 3 then 5 (worst 5: counts in >=3 and 5, not in 3-4)
        ("a3", "Neutropenia", 3),
        ("a3", "Neutropenia", 5),
        # a4: nausea 2 three times
        ("a4", "Nausea", 2),
        ("a4", "Nausea", 2),
        ("a4", "Nausea", 2),
        # b1: diarrhea 1; b2: anemia 3 and neutropenia 2; b3: diarrhea 2
        ("b1", "Diarrhea", 1),
        ("b2", "Anemia", 3),
        ("b2", "Neutropenia", 2),
        ("b3", "Diarrhea", 2),
    ]
    ae = pd.DataFrame(rows, columns=["patient_id", "term", "grade"])
    ae["arm"] = ae["patient_id"].str[0].str.upper()
    return ae


CATEGORIES = {
    "Diarrhea": "gastrointestinal",
    "Nausea": "gastrointestinal",
    "Neutropenia": "hematologic",
    "Anemia": "hematologic",
}


def counts(table, key, by="term"):
    row = table[(table["arm"] == key[0]) & (table[by] == key[1])].iloc[0]
    return [int(row[f"{b}_n"]) for b in ("any_grade", "grade34", "grade3plus", "grade5")]


def test_term_counts_by_hand(dataset, events):
    t = safety.summarize_adverse_events(dataset, events, ["A", "B"], categories=CATEGORIES)
    # arm A: Diarrhea a1(3), a2(2) -> any 2, 3-4 1, >=3 1, 5 0
    assert counts(t, ("A", "Diarrhea")) == [2, 1, 1, 0]
    # Neutropenia a1(4), a3(5) -> any 2, 3-4 1, >=3 2, 5 1
    assert counts(t, ("A", "Neutropenia")) == [2, 1, 2, 1]
    # Nausea a2(1), a4(2, three episodes) -> any 2, none severe
    assert counts(t, ("A", "Nausea")) == [2, 0, 0, 0]
    assert counts(t, ("A", "Anemia")) == [0, 0, 0, 0]
    # any AE in A: a1 worst 4, a2 2, a3 5, a4 2 -> any 4, 3-4 1, >=3 2, 5 1
    assert counts(t, ("A", safety.ANY_AE)) == [4, 1, 2, 1]
    # arm B: any AE b1 1, b2 3, b3 2 -> any 3, 3-4 1, >=3 1
    assert counts(t, ("B", safety.ANY_AE)) == [3, 1, 1, 0]
    assert counts(t, ("Overall", "Diarrhea")) == [4, 1, 1, 0]
    a = t[t["arm"] == "A"].set_index("term")
    assert (a["n"] == 5).all()
    assert a.loc["Diarrhea", "any_grade_pct"] == pytest.approx(40.0)
    assert a.loc["Neutropenia", "grade5_pct"] == pytest.approx(20.0)
    # sorted by overall frequency: any AE, Diarrhea 4, Neutropenia 3, Nausea 2, Anemia 1
    assert list(a.index) == [safety.ANY_AE, "Diarrhea", "Neutropenia", "Nausea", "Anemia"]
    assert a.loc["Diarrhea", "category"] == "gastrointestinal"


def test_category_counts_by_hand(dataset, events):
    t = safety.summarize_adverse_events(
        dataset, events, ["A", "B"], by="category", categories=CATEGORIES
    )
    # gastrointestinal in A: a1 (worst 3), a2 (2), a4 (2) -> any 3, 3-4 1, >=3 1
    assert counts(t, ("A", "gastrointestinal"), "category") == [3, 1, 1, 0]
    # hematologic in B: b2 (anemia 3, neutropenia 2 -> worst 3) -> any 1, 3-4 1
    assert counts(t, ("B", "hematologic"), "category") == [1, 1, 1, 0]


def test_category_column_wins_over_map_and_fills_blanks(dataset, events):
    ev = events.assign(category=np.where(events["term"] == "Nausea", "other", None))
    t = safety.summarize_adverse_events(
        dataset, ev, ["A", "B"], by="category", categories=CATEGORIES
    )
    assert counts(t, ("A", "other"), "category") == [2, 0, 0, 0]
    assert counts(t, ("A", "gastrointestinal"), "category") == [2, 1, 1, 0]  # diarrhea only
    t = safety.summarize_adverse_events(dataset, events, ["A", "B"], by="category")
    assert set(t["category"]) == {safety.ANY_AE, safety.UNCATEGORIZED}


def test_invariants(dataset, events):
    terms = safety.summarize_adverse_events(dataset, events, ["A", "B"], categories=CATEGORIES)
    cats = safety.summarize_adverse_events(
        dataset, events, ["A", "B"], by="category", categories=CATEGORIES
    )
    for t in (terms, cats):
        assert (t["any_grade_n"] <= t["n"]).all()
        assert (t["grade34_n"] <= t["grade3plus_n"]).all()
        assert (t["grade3plus_n"] <= t["any_grade_n"]).all()
        assert (t["grade5_n"] <= t["grade3plus_n"]).all()
    # each category count >= the largest term count in it; any AE >= every row
    for arm in ("A", "B", "Overall"):
        tt = terms[terms["arm"] == arm]
        cc = cats[cats["arm"] == arm].set_index("category")
        for cat, group in tt[tt["term"] != safety.ANY_AE].groupby("category"):
            for band in ("any_grade", "grade3plus", "grade5"):
                assert cc.loc[cat, f"{band}_n"] >= group[f"{band}_n"].max()
        assert (tt["any_grade_n"] <= tt["any_grade_n"].iloc[0]).all()


def test_unknown_patient_is_an_error(dataset, events):
    bad = pd.concat(
        [events, pd.DataFrame([{"patient_id": "zz", "term": "Rash", "grade": 1, "arm": "A"}])]
    )
    with pytest.raises(ValueError, match="zz"):
        safety.summarize_adverse_events(dataset, bad, ["A", "B"])


def test_published_seed_001_percentages():
    # seed 001 (n = 66): diarrhea 36 (54.5%), hand-foot syndrome 31 (47.0%), leucopenia 30 (45.5%)
    ids = [f"p{i}" for i in range(66)]
    dataset = pd.DataFrame({"patient_id": ids, "arm": "TKI"})
    rows = [(i, "Diarrhea", 1) for i in ids[:36]] + [(i, "Hand-foot syndrome", 2) for i in ids[:31]]
    rows += [(i, "Leucopenia", 3) for i in ids[30:60]]
    ae = pd.DataFrame(rows, columns=["patient_id", "term", "grade"]).assign(arm="TKI")
    t = (
        safety.summarize_adverse_events(dataset, ae, ["TKI"])
        .query("arm == 'TKI'")
        .set_index("term")
    )
    assert [
        round(t.loc[k, "any_grade_pct"], 1)
        for k in ("Diarrhea", "Hand-foot syndrome", "Leucopenia")
    ] == [54.5, 47.0, 45.5]
    assert list(t.index[1:]) == ["Diarrhea", "Hand-foot syndrome", "Leucopenia"]
