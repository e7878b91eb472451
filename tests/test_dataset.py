"""Analysis dataset: date form and duration form agree; bad rows are located by file, line, column."""

import pandas as pd
import pytest

from her2rwe.derive.dataset import build_study_data
from her2rwe.records.ingest import InputError
from tests.conftest import EXAMPLE

STUDY = {"arms": {"column": "arm", "reference": "HP+C"}, "endpoints": ["pfs", "os", "ttf", "ttnt"]}
M = 30.4375


def test_date_form_and_duration_form_give_identical_datasets(tmp_path):
    dated = build_study_data(STUDY, EXAMPLE / "cohort.csv").dataset
    # the duration form: the same patients with <ep>_months/<ep>_event/<ep>_source and no dates
    raw = pd.read_csv(EXAMPLE / "cohort.csv", comment="#", dtype=str, keep_default_na=False)
    durations = raw[[c for c in raw.columns if not c.endswith("_date")]].copy()
    for ep in STUDY["endpoints"]:
        for suffix in ("months", "event", "source"):
            durations[f"{ep}_{suffix}"] = (
                dated[f"{ep}_{suffix}"].map(repr if suffix == "months" else str).to_numpy()
            )
    path = tmp_path / "cohort_durations.csv"
    durations.to_csv(path, index=False)
    from_durations = build_study_data(STUDY, path).dataset
    pd.testing.assert_frame_equal(dated, from_durations)


def test_example_cohort_hand_checked_rows():
    """Two example patients, checked against the dates in the CSV by hand."""
    data = build_study_data(STUDY, EXAMPLE / "cohort.csv").dataset.set_index("patient_id")
    # EX0001: index 2032-05-24, no progression, last assessment 2032-09-27 (126 days:
    # 7 (rest of May) + 30 + 31 + 31 + 27), last contact 2032-10-08 (137 days)
    assert data.loc["EX0001", ["pfs_months", "pfs_event", "pfs_source"]].tolist() == pytest.approx(
        [126 / M, 0, "last_assessment"]
    )
    assert data.loc["EX0001", ["os_months", "os_event", "os_source"]].tolist() == pytest.approx(
        [137 / M, 0, "last_contact"]
    )


def write(tmp_path, text, name="cohort.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


GOOD_HEADER = (
    "patient_id,arm,index_date,progression_date,death_date,last_assessment_date,last_contact_date\n"
)


def test_every_problem_is_located_by_file_line_and_column(tmp_path):
    path = write(
        tmp_path,
        "# synthetic\n"
        + GOOD_HEADER
        + "P1,A,2020-01-01,2020-02-30,,2020-02-01,2020-03-01\n"  # line 3: Feb 30
        + "P2,B,2020-01-01,,,2020-02-01,2020-03-01\n"
        + "P3,B,01/02/2020,,,,2020-03-01\n",  # line 5: not ISO
    )
    with pytest.raises(InputError) as info:
        build_study_data({**STUDY, "endpoints": ["pfs", "os"], "arms": {}}, path)
    problems = info.value.problems
    located = {(p.line, p.column) for p in problems}
    assert (3, "progression_date") in located
    assert (5, "index_date") in located
    text = str(info.value)
    assert f"{path}:3: column 'progression_date'" in text
    assert "YYYY-MM-DD" in text and "not a valid ISO date" in text
    assert "2020-02-30" not in text and "01/02/2020" not in text  # cell values are never shown


def test_missing_required_column_names_the_header_line(tmp_path):
    path = write(
        tmp_path,
        "patient_id,arm,index_date,progression_date,last_assessment_date\nP1,A,2020-01-01,,\n",
    )
    with pytest.raises(InputError) as info:
        build_study_data({**STUDY, "endpoints": ["pfs"], "arms": {}}, path)
    text = str(info.value)
    assert f"{path}:1" in text and "death_date" in text


def test_duplicate_patient_ids(tmp_path):
    path = write(tmp_path, GOOD_HEADER + "P1,A,2020-01-01,,,,\nP1,A,2020-01-01,,,,\n")
    with pytest.raises(InputError) as info:
        build_study_data({**STUDY, "endpoints": ["os"], "arms": {}}, path)
    assert any(
        p.line == 3 and p.column == "patient_id" and "duplicate" in p.message
        for p in info.value.problems
    )


def test_bad_duration_form_values(tmp_path):
    path = write(tmp_path, "patient_id,arm,pfs_months,pfs_event\nP1,A,-1,1\nP2,A,3.5,2\nP3,A,,0\n")
    with pytest.raises(InputError) as info:
        build_study_data({**STUDY, "endpoints": ["pfs"], "arms": {}}, path)
    located = {(p.line, p.column) for p in info.value.problems}
    assert {(2, "pfs_months"), (3, "pfs_event"), (4, "pfs_months")} <= located


def test_attrition_counts_per_arm():
    attrition = build_study_data(STUDY, EXAMPLE / "cohort.csv").attrition
    read = attrition[attrition.step == "rows read"].set_index("arm")["n"]
    analysed = attrition[attrition.step == "analysed"].set_index("arm")["n"]
    raw = pd.read_csv(EXAMPLE / "cohort.csv", comment="#")
    assert read["ADC"] == (raw.arm == "ADC").sum() and read["HP+C"] == (raw.arm == "HP+C").sum()
    assert read["Total"] == len(raw) == analysed["Total"]
