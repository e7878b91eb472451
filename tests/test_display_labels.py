"""Display names and order of arms and levels (studies.<name>.display) reach every place people read.

A small synthetic two-arm cohort (labelled synthetic) with coded arms (CTL, TRT) and an ordinal
grade coded 1/2/3 (one cell missing, so the column is read as floats 1.0/2.0/3.0): `display` names
the arms and the grades Well/Moderate/Poor, in an order that sorting the labels would not give.
The labels and their order must appear in the Markdown tables, the DOCX, the HTML report, the
summary sentences and the figures' text; the CSV tables keep the raw codes. The preflight refuses
a column the study does not declare, an identifier-like column, a value the data lack, and empty,
repeated or multi-line labels, all in one error.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from her2rwe.analyses import survival
from her2rwe.config import ConfigError, validate_config
from her2rwe.derive.dataset import arm_levels, build_study_data, reference_arm
from her2rwe.derive.preflight import prepare
from her2rwe.formatting import LevelLabels, level_text
from her2rwe.outputs import docx_tables, html_report, report, survival_tables
from her2rwe.outputs.plotting import figures
from her2rwe.outputs.report import parse_markdown_tables
from her2rwe.outputs.study_tables import summarize_study_tables

ARMS = {"CTL": "Observation (control)", "TRT": "Zeta regimen"}
LONG = {"CTL": "Observation with best supportive care (control)", "TRT": "Zeta regimen"}
GRADES = {1: "Well", 2: "Moderate", 3: "Poor"}  # sorted labels would read Moderate, Poor, Well
NOTE = "# SYNTHETIC DATA: a test cohort for display labels; no row describes a real patient.\n"


def _cohort(tmp_path: Path) -> None:
    rng = np.random.default_rng(20261126)
    n = 160
    arm = np.where(np.arange(n) % 2 == 0, "CTL", "TRT")
    grade = rng.choice(["1", "2", "3"], n).astype(object)
    grade[5] = ""  # a missing cell: pandas reads the column as floats 1.0, 2.0, 3.0
    cohort = pd.DataFrame(
        {
            "patient_id": [f"P{i:03d}" for i in range(n)],
            "arm": arm,
            "grade": grade,
            "age": rng.integers(30, 80, n),
            "best_response": rng.choice(["CR", "PR", "SD", "PD"], n),
        }
    )
    for ep in ("pfs", "os"):
        t = rng.exponential(np.where(arm == "TRT", 14.0, 9.0) * (2.0 if ep == "os" else 1.0))
        censor = rng.uniform(12, 40, n)
        cohort[f"{ep}_months"] = np.round(np.minimum(t, censor), 2)
        cohort[f"{ep}_event"] = (t <= censor).astype(int)
    ae = pd.DataFrame(
        [
            (p, "Nausea", int(g), "gastrointestinal")
            for p, g in zip(cohort["patient_id"], rng.integers(1, 4, n), strict=True)
        ],
        columns=["patient_id", "term", "grade", "category"],
    )
    (tmp_path / "cohort.csv").write_text(NOTE + cohort.to_csv(index=False))
    (tmp_path / "adverse_events.csv").write_text(NOTE + ae.to_csv(index=False))


def _block(**extra) -> dict:
    return {
        "title": "Display labels (synthetic)",
        "synthetic": True,
        "cohort": "cohort.csv",
        "adverse_events": "adverse_events.csv",
        "arms": {"column": "arm", "reference": "CTL"},
        "endpoints": ["pfs", "os"],
        "covariates": ["grade", "age"],
        "categorical": ["grade"],
        "landmarks": [12],
        "subgroups": [{"variable": "grade", "label": "Tumour grade"}],
        "display": {"arm": dict(ARMS), "grade": dict(GRADES)},
        **extra,
    }


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """(study block, dataset, survival results, other tables, Markdown texts) of the cohort."""
    tmp = tmp_path_factory.mktemp("display")
    _cohort(tmp)
    block = validate_config({"studies": {"s": _block()}})["studies"]["s"]
    data = build_study_data(block, tmp / "cohort.csv", tmp / "adverse_events.csv")
    results = survival.summarize_survival(data.dataset, block)
    other = summarize_study_tables(block, data.dataset, data.adverse_events, True)
    markdown = {
        **survival.format_tables(results, block),
        "landmarks": survival_tables.format_landmarks(results.landmarks, block),
        "subgroup_survival": survival_tables.format_subgroups(results.subgroup_survival, block),
        **{name: t.markdown for name, t in other.items()},
    }
    return block, data, results, other, markdown, tmp


def _in_order(text: str, words) -> bool:
    at = [text.find(w) for w in words]
    return all(a >= 0 for a in at) and at == sorted(at)


# ------------------------------------------------------------------------------------------------
# the setting itself


def test_labels_match_levels_by_their_text_and_keep_the_key_order():
    labels = LevelLabels({"treatment": {"B": "Bee"}, "grade": {3: "Poor", 1: "Well"}}, "treatment")
    assert labels.arm("B") == "Bee" and labels.arm("A") == "A"  # the arm column is "arm"
    assert labels.label("grade", 1.0) == "Well" and labels.label("grade", "3") == "Poor"
    assert labels.label("grade", 2) == "2"  # not listed: its raw text
    # listed levels in the key order, then the others in their given order
    assert labels.order("grade", ["1", "2", "3", "4"]) == ["3", "1", "2", "4"]
    assert [level_text(v) for v in (1, 1.0, 2.5, True, "01")] == ["1", "1", "2.5", "True", "01"]


def test_arm_order_follows_display_unless_arms_order_is_set():
    block = {
        "arms": {"reference": "A"},
        "endpoints": ["pfs"],
        "display": {"arm": {"C": "c", "B": "b"}},
    }
    assert arm_levels(block, ["A", "B", "C"]) == ["C", "B", "A"]
    block["arms"]["order"] = ["A", "C", "B"]
    assert arm_levels(block, ["A", "B", "C"]) == ["A", "C", "B"]
    assert reference_arm(block, ["A", "B", "C"]) == "A"  # the reference does not move


# ------------------------------------------------------------------------------------------------
# tables, sentences, DOCX, HTML


def test_markdown_tables_print_labels_in_display_order(study):
    _, _, _, _, md, _ = study
    # arms: the reference first (arms.order unset), by name, never by code
    for name in (
        "survival",
        "landmarks",
        "response",
        "best_response",
        "adverse_events",
        "baseline",
    ):
        assert _in_order(md[name], list(ARMS.values())), name
        assert not re.search(r"\b(CTL|TRT)\b", md[name]), name
    assert "Zeta regimen vs Observation (control)" in md["comparisons"]
    assert "Zeta regimen vs Observation (control)" in md["response_comparisons"]
    # grade levels: Well, Moderate, Poor in Table 1, the subgroup tables and the Cox terms
    for name in ("baseline", "subgroup_survival", "response_subgroups"):
        assert _in_order(md[name], ["Well", "Moderate", "Poor"]), name
    assert "grade: Moderate vs Well" in md["cox_models"]
    assert "grade: Poor vs Well" in md["cox_models"]
    assert "| 1 |" not in md["baseline"] and "1.0" not in md["baseline"]


def test_csv_tables_keep_the_raw_codes(study):
    _, _, results, other, _, _ = study
    arms = results.survival.loc[results.survival["split"] == "arm", "group"]
    assert set(arms) == {"CTL", "TRT"}
    assert set(results.comparisons["arm"]) == {"TRT"}
    levels = set(results.subgroup_survival["level"].astype(str)) - {"Overall"}
    assert levels == {"1", "2", "3"}
    assert set(other["response"].frame["arm"]) == {"CTL", "TRT", "Overall"}
    assert {"1", "2", "3"} <= set(other["baseline"].frame["level"].astype(str))
    cox = results.cox_models
    assert set(cox.loc[cox["term"] == "grade", "level"].astype(str)) == {"2", "3"}
    for table in (results.survival, other["baseline"].frame, other["response"].frame):
        text = table.to_csv(index=False)
        assert not any(label in text for label in [*ARMS.values(), *GRADES.values()])


def test_summary_sentences_name_the_arms_and_levels(study):
    block, _, results, other, _, _ = study
    arms = arm_levels(block, ["CTL", "TRT"])
    paragraph = report.results_paragraph(
        block,
        results.survival,
        results.comparisons,
        other["response"].frame,
        other["response_comparisons"].frame,
        other["adverse_events"].frame,
        arms=arms,
        reference="CTL",
        survival_extra=[
            *survival_tables.landmark_sentences(block, results.landmarks, arms, "CTL"),
            *survival_tables.subgroup_sentences(block, results.subgroup_survival),
        ],
    )
    assert "with Zeta regimen and" in paragraph and "with Observation (control)" in paragraph
    assert "The 12-month PFS rate was" in paragraph
    assert not re.search(r"\b(CTL|TRT)\b", paragraph)


def test_docx_shows_labels_and_spans_the_named_arms(study):
    import docx

    block, _, _, _, md, tmp = study
    tables = [t for text in md.values() for t in parse_markdown_tables(text) if t.rows]
    path = tmp / "tables.docx"
    arms = [LevelLabels.of(block).arm(a) for a in ("CTL", "TRT")]
    docx_tables.write_docx(tables, path, heading="Display", page_size="A4", arms=[*arms, "Overall"])
    document = docx.Document(str(path))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    text = "\n".join(cells)
    assert "Observation (control)" in cells and "Zeta regimen" in cells  # spanning arm headers
    baseline = ["\n".join(c.text for row in t.rows for c in row.cells) for t in document.tables]
    baseline = [b for b in baseline if b.startswith("Characteristic")]
    assert len(baseline) == 1 and _in_order(baseline[0], ["Well", "Moderate", "Poor"])
    assert not re.search(r"\b(CTL|TRT)\b", text)


def test_html_report_shows_labels(study):
    block, data, results, other, md, tmp = study
    root = tmp / "report"
    (root / "tables").mkdir(parents=True)
    paths = []
    for name, text in md.items():
        (root / "tables" / f"{name}.md").write_text(text)
        paths.append(root / "tables" / f"{name}.md")
    results.survival.to_csv(root / "tables" / "survival.csv", index=False)
    data.attrition.to_csv(root / "tables" / "attrition.csv", index=False)
    paths.append(root / "tables" / "attrition.csv")
    (root / "summary.md").write_text("# Display\n\n## Results\n\nText.\n\n## Methods\n\nText.\n")
    files = {"tables": paths, "figures": {}, "summary": root / "summary.md", "reproduction": None}
    page, _, _ = html_report.build_study_report("s", block, root, files, {}, {"title": "Display"})
    assert "Observation (control), Zeta regimen (reference: Observation (control))" in page
    baseline = page[page.rindex("Baseline characteristics") :]  # the table, after the list
    assert _in_order(baseline[: baseline.index("</table>")], ["Well", "Moderate", "Poor"])
    body = re.sub(r"<[^>]+>", " ", page)
    assert not re.search(r"\b(CTL|TRT)\b", body)


# ------------------------------------------------------------------------------------------------
# figures


def _figure_tables(results, other) -> dict:
    """The results tables the figures read, as the plot job gets them."""
    return {
        "km_curves": results.km_curves,
        "risk_table": results.risk_table,
        "survival": results.survival,
        "comparisons": results.comparisons,
        "subgroup_survival": results.subgroup_survival,
        "best_response": other["best_response"].frame,
        "response": other["response"].frame,
        "adverse_events": other["adverse_events"].frame,
    }


def test_figures_print_labels(study):
    from tests.test_figure_text_layout import layout_problems, text_boxes

    block, _, results, other, _, _ = study
    tables = _figure_tables(results, other)
    texts, problems = {}, {}
    for name, fig in figures.draw_study_figures(tables, block):
        texts[name] = " | ".join(t for t, _, _ in text_boxes(fig))
        problems[name] = layout_problems(fig)  # longer names still fit
        fig.clf()
    for name in ("km_pfs", "km_pfs_grade", "forest_pfs", "response", "toxicity"):
        assert not re.search(r"\b(CTL|TRT)\b", texts[name]), name
    assert "Observation (control): median" in texts["km_pfs"]
    assert "Zeta regimen vs Observation (control)" in texts["km_pfs"]
    assert "Observation (control) (n = " in texts["toxicity"]
    assert "Zeta regimen" in texts["response"]
    assert _in_order(texts["forest_pfs"], ["Well", "Moderate", "Poor"])
    assert "Well, Observation (control): median" in texts["km_pfs_grade"]
    assert not {name: p for name, p in problems.items() if p}


# ------------------------------------------------------------------------------------------------
# preflight


def test_preflight_accepts_the_setting(tmp_path):
    _cohort(tmp_path)
    cfg = prepare({"studies": {"s": _block()}}, workdir=tmp_path)
    assert cfg["studies"]["s"]["display"]["grade"] == GRADES


def test_preflight_names_every_problem_at_once(tmp_path):
    _cohort(tmp_path)
    bad = _block(
        display={
            "arm": {
                "CTL": "Control",
                "XYZ": "Control",
            },  # a value not in the data, a repeated label
            "grade": {4: "Undifferentiated", True: "Yes", 2: "Moderately\ndifferentiated"},
            "patient_id": {"P001": "someone"},  # identifier-like: refused, never read
            "age_group": {"young": "Young"},  # not declared by the study
        }
    )
    with pytest.raises(ConfigError) as err:
        prepare({"studies": {"s": bad}}, workdir=tmp_path)
    text = "\n".join(err.value.problems)
    assert "studies.s.display.arm: value 'XYZ' does not occur in column 'arm' of cohort.csv" in text
    assert "studies.s.display.arm['XYZ']: label 'Control' is also the label of 'CTL'" in text
    assert "studies.s.display.grade: value '4' does not occur in column 'grade'" in text
    assert "value 'True' does not occur" in text and "quote the value" in text
    assert "studies.s.display.grade['2']: the label holds a control character" in text
    assert "studies.s.display.patient_id: 'patient_id' looks like an identifier column" in text
    assert "P001" not in text  # a value of an identifier-like column is never printed
    assert "studies.s.display.age_group: 'age_group' is not the arm column" in text


def test_schema_refuses_an_empty_label(tmp_path):
    with pytest.raises(ConfigError, match=r"display\.grade\.1: '' should be non-empty"):
        validate_config({"studies": {"s": _block(display={"grade": {1: ""}})}})


def test_long_names_keep_the_figures_text_on_the_canvas(study):
    from tests.test_figure_text_layout import layout_problems

    block, _, results, other, _, _ = study
    long = validate_config({"studies": {"s": _block(display={"arm": LONG})}})["studies"]["s"]
    tables = _figure_tables(results, other)
    bad = {}
    for name, fig in figures.draw_study_figures(
        tables, long, ["km_pfs", "forest_pfs", "response", "toxicity"]
    ):
        if problems := layout_problems(fig):
            bad[name] = problems[:3]
        fig.clf()
    assert not bad


def test_records_study_checks_derived_columns_when_the_dataset_is_built():
    import yaml

    from her2rwe.records.rawtext import InputError
    from tests.conftest import REPO, bundled_study_data

    cfg = yaml.safe_load((REPO / "config.yaml").read_text())
    block = cfg["studies"]["tki_after_tdm1"]
    # trastuzumab_resistance is derived from the records: the preflight cannot see its values
    block["display"] = {"trastuzumab_resistance": {"acquired": "Acquired", "partial": "Partial"}}
    block = validate_config({"studies": {"tki_after_tdm1": block}})["studies"]["tki_after_tdm1"]
    with pytest.raises(
        InputError, match="display.trastuzumab_resistance: value 'partial' does not occur"
    ):
        bundled_study_data(block)
