"""A records study (input contract v2) derives best overall response from its assessments.

Hand-worked: the index line is each patient's first metastatic line (the default index rule); the
response window runs from the index date to the next line's start (response.stop_at_next_line).
"""

import pytest

from her2rwe.config import validate_config
from her2rwe.derive.records_pipeline import build_records_study_data, derive_study_lines
from her2rwe.records.rawtext import InputError

PATIENTS = """patient_id,metastatic_date,death_date,last_contact_date
P1,2020-01-01,,2021-06-01
P2,2020-02-01,2020-12-01,2020-12-01
"""
TREATMENTS = """patient_id,drug,start_date,end_date,setting,discontinuation_reason
P1,trastuzumab,2020-01-10,2020-06-01,metastatic,progression
P1,T-DXd,2020-07-01,2021-01-01,metastatic,progression
P2,T-DM1,2020-02-10,2020-10-01,metastatic,progression
"""
ASSESS = """patient_id,date,response,sum_diameters
P1,2020-01-05,,50
P1,2020-02-21,PR,30
P1,2020-04-10,SD,35
P1,2020-08-01,CR,0
P2,2020-03-01,SD,
P2,2020-05-01,PD,
"""


def study_data(tmp_path, assessments=ASSESS):
    for name, text in (("patients", PATIENTS), ("treatments", TREATMENTS), ("assessments", assessments)):  # fmt: skip
        (tmp_path / f"{name}.csv").write_text(text)
    records = {k: f"{k}.csv" for k in ("patients", "treatments", "assessments")}
    cfg = {"studies": {"s": {"records": records, "arms": {}, "endpoints": ["pfs", "os"]}}}
    study = validate_config(cfg)["studies"]["s"]
    files = {k: str(tmp_path / v) for k, v in records.items()}
    sl = derive_study_lines(study, files, 30.4375)
    return build_records_study_data(
        study, sl.lines, sl.patients, sl.assessments, sl.adverse_events, 30.4375
    )


def test_best_response_of_the_index_line_from_the_assessments(tmp_path):
    data = study_data(tmp_path)
    d = data.dataset.set_index("patient_id")
    # P1: index 2020-01-10; PR on 2020-02-21 (day 42), SD later; the CR of 2020-08-01 falls after
    # the next line started (2020-07-01), so it belongs to line 2 and is ignored -> PR
    assert d.loc["P1", "best_response"] == "PR"
    assert d.loc["P1", "best_response_source"].startswith("first PR at day 42")
    # P2: index 2020-02-10; SD on day 20 is shorter than the 6-week minimum (NE); PD on day 81 is
    # the best response when nothing better came first -> PD
    assert d.loc["P2", "best_response"] == "PD"
    # sd_weeks: index date to the last SD-or-better assessment before PD (2020-03-01) = 20 days
    assert d.loc["P2", "sd_weeks"] == pytest.approx(20 / 7)
    t = data.tumour_response
    assert len(t) == 2 and "patient_id" not in t.columns
    # P1: baseline 50 (2020-01-05, on or before the index date) -> 30 = -40%
    assert t["best_pct_change"].iat[0] == pytest.approx(-40.0)
    assert any("derived from 6 tumour assessment(s)" in n for n in data.notes)


def test_same_day_conflict_in_records_names_file_line_and_column(tmp_path):
    bad = ASSESS + "P1,2020-02-21,SD,31\n"
    with pytest.raises(InputError) as exc:
        study_data(tmp_path, bad)
    text = str(exc.value)
    assert "assessments.csv:3: column 'response': another assessment of this patient on the same day" in text  # fmt: skip
    assert "assessments.csv:8: column 'response'" in text
    assert "P1" not in text
