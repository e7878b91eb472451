"""The bad-input corpus (tests/bad_inputs/manifest.yaml): every malformed file ends in one InputError
that lists every problem with file, line and column, and never shows an identifier's value."""

import copy
import re
import shutil
from pathlib import Path

import pytest
import yaml
from workflow_helpers import run

from her2rwe.derive.dataset import build_study_data
from her2rwe.records.ingest import InputError, read_raw_csv

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "bad_inputs"
CASES = yaml.safe_load((CORPUS / "manifest.yaml").read_text())
BASE_STUDY = {"arms": {"column": "arm"}, "endpoints": ["pfs", "os"]}


def case_id(case):
    return "+".join(case[k] for k in ("cohort", "adverse_events") if k in case)


def run_case(case):
    study = copy.deepcopy(BASE_STUDY)
    study.update(case.get("study", {}))
    cohort = case.get("cohort", "good_cohort.csv")
    ae = case.get("adverse_events")
    display = {"cohort": cohort, "adverse_events": ae or ""}
    return build_study_data(study, CORPUS / cohort, CORPUS / ae if ae else None, display=display)


def test_corpus_has_at_least_30_bad_files_each_covered():
    files = {
        p.name for p in CORPUS.iterdir() if p.suffix == ".csv" and not p.name.startswith("good_")
    }
    covered = {case.get(k) for case in CASES for k in ("cohort", "adverse_events")} - {None}
    assert len(files) >= 30
    assert files == covered, (
        f"files without a case: {files - covered}; cases without a file: {covered - files}"
    )


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_gives_its_exact_errors(case):
    if "errors" not in case:
        # a hostile input that must be handled: the run succeeds, undeclared columns are dropped
        # unread (named in the notes), and no value is shown
        data = run_case(case)
        notes = "\n".join(data.notes)
        for column in case.get("dropped", []):
            assert column not in data.dataset.columns
            assert column not in data.adverse_events.columns
            assert re.search(rf"dropped unread .*\b{re.escape(column)}\b", notes), notes
        if "patients" in case:
            assert len(data.dataset) == case["patients"]
        if "ae_rows" in case:
            assert len(data.adverse_events) == case["ae_rows"]
        for secret in case.get("forbidden", []):
            assert secret not in notes
            cells = data.dataset.astype(str).to_numpy().ravel()
            assert not any(secret in cell for cell in cells)
        return
    with pytest.raises(InputError) as info:
        run_case(case)
    text = str(info.value)
    lines = [line.strip() for line in text.splitlines()[1:]]
    for expected in case["errors"]:
        if expected.startswith("re:"):
            assert any(re.fullmatch(expected[3:], line) for line in lines), (expected, lines)
        else:
            assert expected in lines, (expected, lines)
    if "count" in case:
        assert len(info.value.problems) == case["count"], lines
    for secret in case.get("forbidden", []):
        assert secret not in text


def test_good_files_pass_and_the_bundled_example_passes_the_identifier_guard():
    data = build_study_data(
        BASE_STUDY, CORPUS / "good_cohort.csv", CORPUS / "good_adverse_events.csv"
    )
    assert len(data.dataset) == 6 and len(data.adverse_events) == 2
    example = REPO / "data" / "raw" / "example"
    study = {
        "arms": {"column": "arm", "reference": "HP+C"},
        "endpoints": ["pfs", "os", "ttf", "ttnt", "dot"],
        # every column declared, so that the guard checks every column of the file
        "covariates": ["age", "ecog", "hr_status", "visceral_mets", "brain_mets", "prior_lines"],
    }
    data = build_study_data(study, example / "cohort.csv", example / "adverse_events.csv")
    assert data.notes == []  # nothing flagged, nothing allow-listed


def test_bom_is_accepted_silently(tmp_path):
    text = (CORPUS / "good_cohort.csv").read_text()
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    raw = read_raw_csv(path)
    assert raw.frame.columns[0] == "patient_id"
    assert len(build_study_data(BASE_STUDY, path).dataset) == 6


def test_allowlisted_identifier_column_is_kept_and_noted():
    study = {**BASE_STUDY, "covariates": ["age", "MRN"], "identifier_allowlist": ["MRN"]}
    data = build_study_data(study, CORPUS / "id_mrn_column.csv", display={"cohort": "c.csv"})
    assert "MRN" in data.dataset.columns
    assert data.notes == [
        "c.csv: column 'MRN' kept although it looks like a direct identifier (the column name "
        "suggests a medical record number): it is listed in identifier_allowlist"
    ]


def test_line_numbers_count_comments_and_quoted_newlines(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(
        "# note\n"
        "patient_id,arm,regimen,pfs_months,pfs_event\n"
        'P1,A,"two\nlines",1.0,1\n'  # lines 3-4
        "P2,A,x,2.0,7\n"  # line 5
    )
    with pytest.raises(InputError) as info:
        build_study_data({**BASE_STUDY, "endpoints": ["pfs"]}, path)
    assert [(p.line, p.column) for p in info.value.problems] == [(5, "pfs_event")]


# ---- end to end: a bad file stops the run before any analysis, and leaves no results


@pytest.mark.e2e
@pytest.mark.parametrize(
    "bad, expected, extra",
    [
        ("excel_xlsx.csv", "data/cohort.csv: the file is an Excel workbook (.xlsx)", ""),
        ("many_problems.csv", "data/cohort.csv:6: column 'index_date': expected an ISO date", ""),
        (
            "id_person_name_values.csv",
            "column 'treating': looks like a direct identifier",
            "    covariates: [treating]\n",
        ),
    ],
)
def test_workflow_stops_with_the_error_and_no_results(tmp_path, bad, expected, extra):
    (tmp_path / "data").mkdir()
    shutil.copy(CORPUS / bad, tmp_path / "data" / "cohort.csv")
    (tmp_path / "config.yaml").write_text(
        "studies:\n  s:\n    cohort: data/cohort.csv\n    arms: {column: arm}\n    endpoints: [pfs, os]\n"
        + extra
    )
    proc = run(tmp_path)
    assert proc.returncode != 0
    assert expected in proc.stdout + proc.stderr
    assert "Smith" not in proc.stdout + proc.stderr
    outputs = [p for p in (tmp_path / "results").rglob("*") if p.is_file() and p.suffix != ".log"]
    assert outputs == []
