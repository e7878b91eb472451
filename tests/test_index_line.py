"""Declared index-line selection: the three seed designs, written as config only, on hand-made
histories; the attrition rows; the analysis dataset built from the index lines."""

import numpy as np
import pandas as pd
import pytest

from her2rwe.config import study_settings
from her2rwe.derive.index_line import IndexRuleError, select_index_lines
from her2rwe.derive.lines import derive_lines, line_rules
from her2rwe.derive.records_dataset import index_cohort
from her2rwe.records.drugs import load_dictionary, map_exposures

D0 = pd.Timestamp("2020-01-01")
DICT = load_dictionary()


def history(spec):
    """spec: {pid: [(drugs joined by '+', start day, end day, reason, setting)]}."""
    rows = []
    for pid, lines in spec.items():
        for drugs, s, e, reason, *setting in lines:
            for drug in drugs.split("+"):
                rows.append((pid, drug, s, e, reason, setting[0] if setting else "metastatic"))
    t = pd.DataFrame(
        rows, columns=["patient_id", "drug", "s", "e", "discontinuation_reason", "setting"]
    )
    t["start_date"] = D0 + pd.to_timedelta(t.pop("s"), unit="D")
    t["end_date"] = D0 + pd.to_timedelta(t.pop("e"), unit="D")
    t["generic"], _ = map_exposures(t["drug"], DICT)
    t["drug_class"] = DICT.classes_of(t["generic"])
    t["row"] = np.arange(len(t))
    pts = pd.DataFrame(
        {
            "patient_id": list(spec),
            "metastatic_date": D0,
            "death_date": pd.NaT,
            "last_contact_date": D0 + pd.Timedelta(days=3000),
        }
    )
    settings = study_settings({"lines": {}})
    lines = derive_lines(t, pts, line_rules(settings["lines"], 30.4375)).lines
    return lines, pts


def select(spec, index, order=None):
    lines, pts = history(spec)
    rule = study_settings({"index": index})["index"]
    subs = study_settings({})["lines"]["substitutions"]
    return select_index_lines(lines, pts, rule, DICT, subs, order), lines, pts, rule


SEED_000 = {
    "steps": [
        {"label": "after a TKI line", "after": {"contains": ["anti-HER2 TKI"]}},
        {
            "label": "ADC other than T-DM1, or HP+C",
            "any_of": [
                {"contains": ["anti-HER2 ADC"], "excludes": ["T-DM1"]},
                {"contains": ["trastuzumab", "pertuzumab", "chemotherapy"]},
            ],
        },
    ],
    "arms": {"ADC": {"contains": ["anti-HER2 ADC"]}, "HP+C": {"contains": ["pertuzumab"]}},
}
HPC = "trastuzumab+pertuzumab+docetaxel"


def test_seed_000_adc_or_hpc_after_tki_failure():
    spec = {
        "A1": [
            (HPC, 0, 300, "progression"),
            ("lapatinib+capecitabine", 310, 500, "progression"),
            ("T-DXd", 510, 800, "progression"),
        ],
        "A2": [
            (HPC, 0, 300, None),
            ("pyrotinib+capecitabine", 310, 500, None),
            ("T-DM1", 510, 700, None),
            (HPC, 710, 900, None),
        ],
        "A3": [("T-DXd", 0, 300, None)],
        "A4": [
            ("tucatinib+trastuzumab+capecitabine", 0, 300, None),
            ("vinorelbine", 310, 400, None),
        ],
        "A5": [("trastuzumab", -400, -200, None, "early")],
        "A6": [
            ("lapatinib+capecitabine", 0, 200, None),
            ("disitamab vedotin", 210, 400, None),
            ("T-DXd", 410, 600, None),
        ],
    }
    sel, *_ = select(spec, SEED_000, ["HP+C", "ADC"])
    got = sel.index.set_index("patient_id")[["line", "arm", "regimen"]]
    assert got.to_dict("index") == {
        "A1": {"line": 3, "arm": "ADC", "regimen": "trastuzumab deruxtecan"},
        "A2": {"line": 4, "arm": "HP+C", "regimen": "docetaxel+pertuzumab+trastuzumab"},
        "A6": {
            "line": 2,
            "arm": "ADC",
            "regimen": "disitamab vedotin",
        },  # the first qualifying line
    }
    total = sel.attrition[sel.attrition["arm"] == "Total"]
    assert total["n"].tolist() == [6, 1, 1, 1, 0, 3]  # read; A5; A3; A4; no arm; analysed
    assert total["reason"].tolist()[2:4] == [
        "no line meets: after a TKI line",
        "no line meets: ADC other than T-DM1, or HP+C",
    ]
    # per arm: read = excluded + analysed, and the arms add up to Total
    for _arm, g in sel.attrition.groupby("arm"):
        assert g["n"].iloc[0] == g["n"].iloc[1:].sum()
    per_step = (
        sel.attrition[sel.attrition["arm"] != "Total"]
        .groupby(["step", "reason"], sort=False)["n"]
        .sum()
    )
    assert per_step.tolist() == total["n"].tolist()


def test_seed_001_first_tki_after_tdm1():
    spec = {
        "B1": [("T-DM1", 0, 300, "progression"), ("lapatinib+capecitabine", 310, 600, None)],
        "B2": [("lapatinib+capecitabine", 0, 300, None), ("T-DM1", 310, 600, None)],
        "B3": [
            ("T-DM1", 0, 300, None),
            ("vinorelbine", 310, 400, None),
            ("pyrotinib+capecitabine", 410, 600, None),
            ("neratinib", 610, 700, None),
        ],
    }
    index = {
        "steps": [
            {"label": "after T-DM1", "after": {"contains": ["T-DM1"]}},
            {"label": "a TKI", "contains": ["anti-HER2 TKI"]},
        ],
        "arm_label": "TKI",
    }
    sel, *_ = select(spec, index)
    assert sel.index[["patient_id", "line", "arm"]].values.tolist() == [
        ["B1", 2, "TKI"],
        ["B3", 3, "TKI"],
    ]


def test_seed_002_first_line_after_tdxd_stopped():
    spec = {
        "C1": [
            ("T-DXd", 0, 250, "progression"),
            ("tucatinib+trastuzumab+capecitabine", 260, 500, None),
        ],
        "C2": [("T-DXd", 0, 2990, None)],
        "C3": [(HPC, 0, 300, None), ("T-DXd", 310, 500, "ILD"), ("eribulin", 510, 700, None)],
    }
    index = {
        "steps": [{"label": "after T-DXd", "after": {"contains": ["T-DXd"], "immediately": True}}],
        "arm_label": "post-T-DXd",
    }
    sel, lines, pts, rule = select(spec, index)
    assert sel.index[["patient_id", "line"]].values.tolist() == [["C1", 2], ["C3", 3]]
    cohort = index_cohort(sel, lines, pts, None, rule, DICT, 30.4375).set_index("patient_id")
    assert cohort.loc["C1", "tdxd_discontinuation_reason"] == "progression"
    assert cohort.loc["C3", "tdxd_discontinuation_reason"] == "ILD"
    assert (cohort.loc["C1", "tdxd_end_date"] - cohort.loc["C1", "tdxd_start_date"]).days == 250
    assert cohort.loc["C1", "index_therapy_class"] == "anti-HER2 TKI"
    assert cohort.loc["C3", "index_therapy_class"] == "other"
    assert cohort["prior_lines"].tolist() == [1, 2]
    # after T-DXd stopped for ILD only
    index["steps"][0]["after"]["stopped_for"] = ["ILD"]
    sel, *_ = select(spec, index)
    assert sel.index["patient_id"].tolist() == ["C3"]


def test_line_bounds_min_follow_up_and_unknown_names():
    spec = {
        "D1": [("T-DM1", 0, 100, None), ("T-DXd", 110, 300, None)],
        "D2": [("T-DM1", 0, 100, None), ("T-DXd", 2900, 2950, None)],
    }
    sel, *_ = select(
        spec,
        {"steps": [{"label": "line 2", "line": {"min": 2, "max": 2}}], "min_follow_up_days": 365},
    )
    assert sel.index["patient_id"].tolist() == ["D1"]
    assert (
        sel.attrition.query("arm == 'Total' and step == 'excluded'")["reason"]
        .iloc[-1]
        .startswith("follow-up")
    )
    with pytest.raises(IndexRuleError, match=r"index.steps\[0\].contains: 'wonderdrug'"):
        select(spec, {"steps": [{"contains": ["wonderdrug"]}]})


def test_progression_from_assessments_and_prior_tdm1_benefit():
    spec = {
        "E1": [
            ("T-DM1", 0, 200, "progression"),
            ("lapatinib+capecitabine", 210, 600, "progression"),
            ("eribulin", 610, 700, None),
        ]
    }
    index = {"steps": [{"contains": ["anti-HER2 TKI"]}], "arm_label": "TKI"}
    sel, lines, pts, rule = select(spec, index)
    day = lambda n: D0 + pd.Timedelta(days=n)  # noqa: E731
    assess = pd.DataFrame(
        {
            "patient_id": "E1",
            "date": [day(100), day(300), day(400), day(550), day(650)],
            "response": ["SD", "PR", "NE", "PD", "PD"],
            "sum_diameters": np.nan,
        }
    )
    row = index_cohort(sel, lines, pts, assess, rule, DICT, 30.4375).iloc[0]
    assert row["progression_date"] == day(550)  # first PD after the index date (day 210)
    assert row["last_assessment_date"] == day(550)  # NE is not an adequate assessment
    assert row["prior_tdm1_benefit"] == "yes"  # 200 days < 6 months, but SD during T-DM1
    assert row["discontinuation_reason"] == "progression" and row["next_treatment_date"] == day(610)
    # a missing response held as NA in a string column is not an adequate assessment either
    na = assess.assign(response=pd.array(["SD", "PR", None, "PD", "PD"], dtype="string"))
    row = index_cohort(sel, lines, pts, na, rule, DICT, 30.4375).iloc[0]
    assert row["progression_date"] == day(550) and row["last_assessment_date"] == day(550)
    rule = {**rule, "progression": "treatment_end"}
    assert index_cohort(sel, lines, pts, assess, rule, DICT, 30.4375).iloc[0][
        "progression_date"
    ] == day(600)
