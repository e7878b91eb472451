"""Landmark and subgroup survival as people read them: tables/landmarks.md,
tables/subgroup_survival.md and the sentences of summary.md (values typed by hand below)."""

from __future__ import annotations

import pandas as pd

from her2rwe.outputs import survival_tables as st

STUDY = {"title": "T", "endpoints": ["pfs"], "synthetic": True, "ci_method": "log-log"}

LANDMARKS = pd.DataFrame(
    [
        ["pfs", "arm", "B", 6, 38, 0.6588, 0.5250, 0.7631],
        ["pfs", "arm", "B", 12, "<11", 0.31468, 0.19859, 0.43738],
        ["pfs", "arm", "A", 6, 42, 0.58237, 0.46554, 0.68228],
        ["pfs", "arm", "A", 12, 15, 0.25749, 0.16149, 0.36449],
        ["pfs", "overall", "All", 6, 80, 0.617, 0.531, 0.692],
        ["pfs", "overall", "All", 12, 31, 0.283, 0.207, 0.363],
    ],
    columns=["endpoint", "split", "group", "time", "n_risk", "surv", "surv_lower", "surv_upper"],
)


def test_landmark_table_rates_in_percent_with_ci_and_at_risk():
    text = st.format_landmarks(LANDMARKS, STUDY, "Counts from 1 to 10 are shown as <11.")
    assert "| Endpoint | Group | 6 months | 12 months |" in text
    assert "| PFS | B | 65.9 (52.5-76.3) [38] | 31.5 (19.9-43.7) [<11] |" in text
    assert "| PFS | A | 58.2 (46.6-68.2) [42] | 25.7 (16.1-36.4) [15] |" in text
    assert "| PFS | All |" in text  # two arms: the overall row too
    assert "log-log transformed" in text and "_Counts from 1 to 10" in text
    single = LANDMARKS[LANDMARKS["group"] != "A"]
    assert "| PFS | All |" not in st.format_landmarks(single, STUDY)


def test_landmark_sentence_puts_the_reference_last():
    (sentence,) = st.landmark_sentences(STUDY, LANDMARKS, ["B", "A"], reference="B")
    assert sentence == (
        "The 12-month PFS rate was 25.7% (95% CI 16.1-36.4) with A "
        "and 31.5% (95% CI 19.9-43.7) with B."
    )
    single = LANDMARKS[(LANDMARKS["group"] == "A")].assign(time=[6, 24])
    (sentence,) = st.landmark_sentences(STUDY, single, ["A"])
    assert sentence == "The 6-month PFS rate was 58.2% (95% CI 46.6-68.2)."


SUBGROUPS = pd.DataFrame(
    [
        ["pfs", "", "Overall", "Overall", "A", "B", 83, 63, 7.0, 4.5, 9.0, 0.996, 0.686, 1.446, 0.983, None, "arm", ""],
        ["pfs", "regimen", "X vs B", "X", "X", "B", 36, 21, 14.06, 7.82, 35.02, 0.4091, 0.2341, 0.7148, 0.0017, None, "compare", ""],
        ["pfs", "hr", "Hormone receptor status", "neg", "A", "B", 37, 30, 7.75, 3.15, 10.41, 0.8629, 0.4767, 1.5619, 0.626, 0.5789, "arm", ""],
        ["pfs", "hr", "Hormone receptor status", "pos", "A", "B", 46, "<11", None, 4.0, None, 1.0595, 0.6484, 1.7313, 0.8176, 0.5789, "arm", ""],
    ],
    columns=["endpoint", "variable", "label", "level", "group", "reference", "n", "events",
             "median", "median_lower", "median_upper", "hr", "hr_lower", "hr_upper", "hr_p",
             "interaction_p", "contrast", "note"],
)  # fmt: skip


def test_subgroup_table_and_sentences():
    text = st.format_subgroups(SUBGROUPS, STUDY)
    assert "| PFS | Overall |  | A vs B | 83 (63) | 7.0 (4.5-9.0) | 1.00 (0.69-1.45) | 0.983 |  |" in text
    assert "| PFS | X vs B | X | X vs B | 36 (21) | 14.1 (7.8-35.0) | 0.41 (0.23-0.71) | 0.002 |  |" in text
    assert "| PFS | Hormone receptor status | pos | A vs B | 46 (<11) | NR (4.0-NR) | 1.06 (0.65-1.73) | 0.818 | 0.579 |" in text
    sentences = st.subgroup_sentences(STUDY, SUBGROUPS)
    assert sentences == [
        "By subgroup, for PFS: X vs B, HR 0.41 (95% CI 0.23-0.71; p = 0.002).",
        "Interaction tests for PFS by subgroup: hormone receptor status (p = 0.579).",
    ]


def test_single_arm_levels_compare_with_the_first():
    rows = pd.DataFrame(
        [
            ["pfs", "", "Overall", "Overall", "All", "", 66, 52, 10.12, 4.67, 15.57, None, None, None, None, None, "level", ""],
            ["pfs", "prior", "Prior benefit", "no", "no", "no", 26, 23, 4.93, 2.247, 7.61, None, None, None, None, None, "level", "reference level"],
            ["pfs", "prior", "Prior benefit", "yes", "yes", "no", 40, 29, 11.3, 7.31, 15.29, 0.44992, 0.25213, 0.80286, 0.00687, None, "level", ""],
        ],
        columns=SUBGROUPS.columns,
    )  # fmt: skip
    text = st.format_subgroups(rows, STUDY)
    assert "| PFS | Overall |  |  | 66 (52) | 10.1 (4.7-15.6) | - |  |  |" in text
    assert "| PFS | Prior benefit | no | reference | 26 (23) | 4.9 (2.2-7.6) | - |  |  |" in text
    assert "| PFS | Prior benefit | yes | yes vs no | 40 (29) | 11.3 (7.3-15.3) | 0.45 (0.25-0.80) | 0.007 |  |" in text
    assert st.subgroup_sentences(STUDY, rows) == [
        "By subgroup, for PFS: yes vs no (Prior benefit), HR 0.45 (95% CI 0.25-0.80; p = 0.007)."
    ]
