"""Report pieces: results paragraph, methods paragraph, DOCX tables and manifest.

Inputs are small hand-written tables in the shape of docs/outputs.md; expected text is written out
by hand.
"""

import zipfile

import pandas as pd

from her2rwe import formatting as fmt
from her2rwe import io
from her2rwe.outputs import docx_tables, report

STUDY = {"endpoints": ["pfs"], "ci_method": "log-log", "conf_level": 0.95, "response": {}}
SURVIVAL = pd.DataFrame(
    {
        "endpoint": ["pfs", "pfs", "pfs"],
        "split": ["arm", "arm", "overall"],
        "group": ["HP+C", "ADC", "All"],
        "n": [67, 83, 150],
        "events": [50, 60, 110],
        "median": [8.94, 7.02, 7.5],
        "median_lower": [6.1, 5.55, 6.0],
        "median_upper": [11.2, float("nan"), 9.0],
    }
)
COMPARISONS = pd.DataFrame(
    {
        "endpoint": ["pfs"],
        "arm": ["ADC"],
        "reference": ["HP+C"],
        "hr": [1.234],
        "hr_lower": [0.851],
        "hr_upper": [1.789],
        "logrank_p": [0.2712],
    }
)
RESPONSE = pd.DataFrame(
    {
        "arm": ["HP+C", "ADC", "Overall"],
        "n": [67, 83, 150],
        "orr_n": [18, 43, 61],
        "orr_pct": [100 * 18 / 67, 100 * 43 / 83, 100 * 61 / 150],
        "orr_lower": [16.8, 40.6, 32.7],
        "orr_upper": [39.0, 62.9, 49.0],
    }
)
RESP_COMP = pd.DataFrame(
    {"rate": ["orr"], "arm": ["ADC"], "reference": ["HP+C"], "test": ["chisq"], "p": [0.0021]}
)


def test_two_arm_results_paragraph_reads_like_the_paper():
    text = report.results_paragraph(
        STUDY, SURVIVAL, COMPARISONS, RESPONSE, RESP_COMP, arms=["HP+C", "ADC"], reference="HP+C"
    )
    assert text.startswith(
        "Median PFS was 7.0 months (95% CI 5.6-NR) with ADC and 8.9 months (95% CI 6.1-11.2) with HP+C "
        "(HR 1.23, 95% CI 0.85-1.79; log-rank p = 0.271)."
    )
    # 43/83 = 51.807% and 18/67 = 26.866%
    assert (
        "The objective response rate was 51.8% (43/83; 95% CI 40.6-62.9) with ADC and 26.9% (18/67; 95% CI 16.8-39.0) with HP+C (chi-square test p = 0.002)."
        in text
    )


def test_single_arm_paragraph_and_not_reached_median():
    surv = pd.DataFrame(
        {
            "endpoint": ["pfs"],
            "split": ["overall"],
            "group": ["All"],
            "n": [66],
            "events": [20],
            "median": [float("nan")],
            "median_lower": [9.95],
            "median_upper": [float("nan")],
        }
    )
    text = report.results_paragraph(STUDY, surv, arms=["TKI"], reference=None)
    assert text == "Median PFS was not reached (95% CI 10.0-NR), with 20 events among 66 patients."


def test_most_common_adverse_events_sentence():
    ae = pd.DataFrame(
        {
            "arm": ["Overall"] * 4,
            "term": ["Any adverse event", "Diarrhea", "Hand-foot syndrome", "Leucopenia"],
            "n": [66] * 4,
            "any_grade_n": [60, 36, 31, 30],
            "any_grade_pct": [100 * 60 / 66, 100 * 36 / 66, 100 * 31 / 66, 100 * 30 / 66],
        }
    )
    # 36/66 = 54.545 -> 54.5; 31/66 = 46.97 -> 47.0; 30/66 = 45.45 -> 45.5
    assert report.adverse_event_sentence(ae) == [
        "The most common adverse events were diarrhea (36, 54.5%), hand-foot syndrome (31, 47.0%) and leucopenia (30, 45.5%)."
    ]


def test_methods_paragraph_names_estimators_and_versions():
    text = report.methods_paragraph(
        {**STUDY, "ci_method": "spss", "ties": "breslow"},
        30.4375,
        {"Python": "3.11.7", "numpy": "2.4.6"},
    )
    for phrase in (
        "Kaplan-Meier method with Greenwood variance",
        "Klein-Moeschberger",
        "reverse Kaplan-Meier",
        "log-rank test",
        "Breslow ties",
        "Clopper-Pearson exact",
        "Newcombe hybrid score",
        "Fisher's exact test when any expected count was below 5",
        "at least 24 weeks",
        "days / 30.4375",
        "Python 3.11.7, numpy 2.4.6",
    ):
        assert phrase in text, phrase


def test_markdown_tables_round_trip_into_docx_deterministically(tmp_path):
    md = fmt.markdown_table(
        [["ADC", "7.0 (5.6-NR)"], ["HP+C", "8.9 (6.1-11.2)"]],
        ["Arm", "Median PFS, months (95% CI)"],
        title="Progression-free survival",
        footnotes=["95% CI log-log transformed."],
    )
    md += "\n" + fmt.markdown_table([["a|b", "1"]], ["x", "y"], title="Second")
    tables = report.parse_markdown_tables(md)
    assert [t.title for t in tables] == ["Progression-free survival", "Second"]
    assert tables[0].rows == [["ADC", "7.0 (5.6-NR)"], ["HP+C", "8.9 (6.1-11.2)"]]
    assert tables[0].footnotes == ["95% CI log-log transformed."]
    assert tables[1].rows == [["a|b", "1"]]
    a, b = tmp_path / "a.docx", tmp_path / "b.docx"
    docx_tables.write_docx(tables, a, heading="Study", page_size="A4")
    docx_tables.write_docx(tables, b, heading="Study", page_size="A4")
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as z:
        body = z.read("word/document.xml").decode()
        assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in z.infolist())
    assert "Median PFS, months (95% CI)" in body and "8.9 (6.1-11.2)" in body


def test_manifest_lists_sorted_sha256(tmp_path):
    (tmp_path / "b.txt").write_text("b")
    (tmp_path / "a.txt").write_text("a")
    text = io.sha256_manifest(tmp_path, ["b.txt", "a.txt"])
    # sha256("a") and sha256("b"), as printed by `printf a | sha256sum`
    assert text == (
        "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb  a.txt\n"
        "3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d  b.txt\n"
    )


def test_rates_that_were_not_estimated_are_left_out():
    """No sd_weeks column: CBR is empty in the table, so the paragraph says nothing about it."""
    response = pd.DataFrame(
        {"arm": ["TKI", "Overall"], "n": [66, 66], "orr_n": [12, 12], "orr_pct": [100 * 12 / 66] * 2,
         "orr_lower": [9.8, 9.8], "orr_upper": [29.4, 29.4], "cbr_n": [float("nan")] * 2,
         "cbr_pct": [float("nan")] * 2}
    )  # fmt: skip
    # 12/66 = 18.18% -> 18.2
    assert report.response_sentences(response, None, ["TKI"], None) == [
        "The objective response rate was 18.2% (12/66; 95% CI 9.8-29.4)."
    ]


def test_custom_endpoint_label_reads_mid_sentence():
    study = {
        "endpoint_definitions": {
            "tdxd_duration": {"label": "Duration of T-DXd", "events": [], "censor": []}
        }
    }
    assert report.endpoint_abbreviation(study, "tdxd_duration") == "duration of T-DXd"
    assert report.endpoint_abbreviation(study, "pfs") == "PFS"


def test_masked_cells_print_as_they_are():
    """With min_cell_count the shareable tables hold '<11' and '*' in count and percent cells."""
    response = pd.DataFrame(
        {"arm": ["ADC", "HP+C", "Overall"], "n": ["83", "67", "150"], "orr_n": ["43", "<11", "*"],
         "orr_pct": ["51.807228915662648", "<11", "*"], "orr_lower": ["40.6", "<11", "*"],
         "orr_upper": ["62.9", "<11", "*"]}
    )  # fmt: skip
    text = report.response_sentences(response, None, ["HP+C", "ADC"], "HP+C")
    assert text == [
        "The objective response rate was 51.8% (43/83; 95% CI 40.6-62.9) with ADC and <11 of 67 patients with HP+C."
    ]
    ae = pd.DataFrame(
        {"arm": ["Overall"] * 3, "term": ["Nausea", "Rash", "Fatigue"], "n": ["150"] * 3,
         "any_grade_n": ["40", "<11", "12"], "any_grade_pct": ["26.666666666666668", "<11", "8"]}
    )  # fmt: skip
    # 40/150 = 26.7%; the masked count ranks last
    assert report.adverse_event_sentence(ae) == [
        "The most common adverse events were nausea (40, 26.7%), fatigue (12, 8.0%) and rash (<11, <11)."
    ]
    surv = pd.DataFrame(
        {"endpoint": ["pfs"], "split": ["overall"], "group": ["All"], "n": ["66"], "events": ["<11"],
         "median": [float("nan")], "median_lower": [9.95], "median_upper": [float("nan")]}
    )  # fmt: skip
    assert report.results_paragraph(STUDY, surv, arms=["TKI"]) == (
        "Median PFS was not reached (95% CI 10.0-NR), with <11 events among 66 patients."
    )


def test_run_summary_counts_reproduced_targets(tmp_path):
    from her2rwe.outputs.report import run_summary

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "reproduction.csv").write_text(
        "metric,published,computed,tolerance,status\nx,1,1,0.5,pass\ny,2,3,0.5,fail\n"
    )
    lines = run_summary(["a", "b"], tmp_path)
    assert lines[0] == "her2rwe: 2 studies (a, b)"
    assert lines[1] == f"published targets reproduced: 1 of 2 ({tmp_path / 'reproduction_summary.md'})"
    assert "snakemake --report" in lines[2]


def test_three_arm_response_p_values_name_their_comparison():
    response = pd.DataFrame(
        {
            "arm": ["Obs", "Lev", "Lev+5FU"],
            "n": [10, 10, 10],
            "orr_n": [2, 3, 5],
            "orr_pct": [20.0, 30.0, 50.0],
            "orr_lower": [2.5, 6.7, 18.7],
            "orr_upper": [55.6, 65.2, 81.3],
        }
    )
    comparisons = pd.DataFrame(
        {
            "rate": ["orr", "orr"],
            "arm": ["Lev", "Lev+5FU"],
            "p": [1.0, 0.35],
            "test": ["fisher", "fisher"],
        }
    )
    (sentence,) = report.response_sentences(response, comparisons, ["Obs", "Lev", "Lev+5FU"], "Obs")
    assert sentence.endswith(
        "(Lev vs Obs, Fisher's exact test p = 1.000; Lev+5FU vs Obs, Fisher's exact test p = 0.350)."
    )
    (two,) = report.response_sentences(response[:2], comparisons[:1], ["Obs", "Lev"], "Obs")
    assert two.endswith("(Fisher's exact test p = 1.000).")


def test_arms_order_is_honoured_in_the_results_paragraph():
    """Without arms.order the comparator (reference) is named last, as papers write; with
    arms.order the sentences name the arms in that order, the comparisons unchanged."""
    from her2rwe.outputs import survival_tables

    ordered = {**STUDY, "arms": {"column": "arm", "reference": "HP+C", "order": ["HP+C", "ADC"]}}
    text = report.results_paragraph(
        ordered, SURVIVAL, COMPARISONS, RESPONSE, RESP_COMP, arms=["HP+C", "ADC"], reference="HP+C"
    )
    assert text.startswith(
        "Median PFS was 8.9 months (95% CI 6.1-11.2) with HP+C and 7.0 months (95% CI 5.6-NR) with ADC "
        "(HR 1.23, 95% CI 0.85-1.79; log-rank p = 0.271)."
    )
    # 18/67 = 26.9%, 43/83 = 51.8%
    assert "The objective response rate was 26.9% (18/67; 95% CI 16.8-39.0) with HP+C and 51.8%" in text
    landmarks = pd.DataFrame(
        {"endpoint": ["pfs"] * 2, "split": ["arm"] * 2, "group": ["HP+C", "ADC"], "time": [12.0] * 2,
         "surv": [0.315, 0.257], "surv_lower": [0.2, 0.161], "surv_upper": [0.43, 0.364]}
    )  # fmt: skip
    unordered = {**STUDY, "arms": {"column": "arm", "reference": "HP+C"}}
    assert survival_tables.landmark_sentences(ordered, landmarks, ["HP+C", "ADC"], "HP+C") == [
        "The 12-month PFS rate was 31.5% (95% CI 20.0-43.0) with HP+C and 25.7% (95% CI 16.1-36.4) with ADC."
    ]
    assert survival_tables.landmark_sentences(unordered, landmarks, ["HP+C", "ADC"], "HP+C") == [
        "The 12-month PFS rate was 25.7% (95% CI 16.1-36.4) with ADC and 31.5% (95% CI 20.0-43.0) with HP+C."
    ]
