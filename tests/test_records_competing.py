"""A records study: an endpoint whose event comes from the adverse-event file (a term list with
onset dates, index.adverse_event_dates), with death competing. Hand-worked patients."""

import pytest

from her2rwe.config import validate_config
from her2rwe.derive.records_pipeline import build_records_study_data, derive_study_lines
from her2rwe.records.rawtext import InputError

PATIENTS = """patient_id,metastatic_date,death_date,last_contact_date
P1,2020-01-01,,2021-01-01
P2,2020-01-01,2020-07-01,2020-07-01
P3,2020-01-01,,2020-12-01
P4,2020-01-01,,2020-10-01
"""
TREATMENTS = """patient_id,drug,start_date,end_date,setting,discontinuation_reason
P1,T-DXd,2020-01-10,2020-03-01,metastatic,ILD
P2,T-DXd,2020-01-10,2020-03-01,metastatic,progression
P3,T-DXd,2020-01-10,2020-03-01,metastatic,progression
P4,T-DXd,2020-01-10,2020-03-01,metastatic,progression
"""
AE = """patient_id,term,grade,onset_date
P1,Pneumonitis,2,2020-02-20
P1,interstitial lung disease,3,2020-05-11
P2,Nausea,1,2020-02-01
P3,ILD,2,2020-01-05
P4,ILD,2,2020-04-11
"""
DAYS = 30.4375


def study_data(tmp_path, ae=AE, same_day="error"):
    for name, text in (("patients", PATIENTS), ("treatments", TREATMENTS), ("adverse_events", ae)):  # fmt: skip
        (tmp_path / f"{name}.csv").write_text(text)
    records = {k: f"{k}.csv" for k in ("patients", "treatments", "adverse_events")}
    block = {
        "records": records,
        "arms": {},
        "endpoints": ["os"],
        "competing_endpoints": ["ild"],
        "index": {"adverse_event_dates": {"ild": ["ILD", "Interstitial lung disease"]}},
        "endpoint_definitions": {
            "ild": {
                "events": [{"date": "ild_date"}],
                "competing": [{"date": "death_date"}],
                "censor": [{"date": "last_contact_date"}],
                "same_day": same_day,
            }
        },
    }
    study = validate_config({"studies": {"s": block}})["studies"]["s"]
    files = {k: str(tmp_path / v) for k, v in records.items()}
    sl = derive_study_lines(study, files, DAYS)
    return build_records_study_data(
        study, sl.lines, sl.patients, sl.assessments, sl.adverse_events, DAYS
    )


def test_event_dates_from_adverse_event_terms_with_death_competing(tmp_path):
    d = study_data(tmp_path).dataset.set_index("patient_id")
    # index date = T-DXd start 2020-01-10 for everyone
    # P1: 'Pneumonitis' is not in the list; 'interstitial lung disease' matches case-insensitively:
    #     event on 2020-05-11 = day 122
    assert (d.loc["P1", "ild_status"], d.loc["P1", "ild_months"]) == (1, pytest.approx(122 / DAYS))
    # P2: no listed term; death on 2020-07-01 = day 173 competes
    assert (d.loc["P2", "ild_status"], d.loc["P2", "ild_months"]) == (2, pytest.approx(173 / DAYS))
    # P3: ILD onset 2020-01-05 is before the index date (an earlier line's event): censored at
    #     last contact 2020-12-01 = day 326
    assert (d.loc["P3", "ild_status"], d.loc["P3", "ild_months"]) == (0, pytest.approx(326 / DAYS))
    # P4: ILD on 2020-04-11 = day 92
    assert (d.loc["P4", "ild_status"], d.loc["P4", "ild_months"]) == (1, pytest.approx(92 / DAYS))


def test_same_day_event_and_death_is_an_error_unless_a_rule_settles_it(tmp_path):
    ae = AE.replace("P2,Nausea,1,2020-02-01", "P2,ILD,3,2020-07-01")
    with pytest.raises(InputError) as exc:
        study_data(tmp_path, ae)
    assert "for 1 patient(s) the event (ild_date) and the competing event (death_date)" in str(exc.value)  # fmt: skip
    d = study_data(tmp_path, ae, same_day="event").dataset.set_index("patient_id")
    assert d.loc["P2", "ild_status"] == 1


def test_onset_dates_are_checked_with_file_line_and_column(tmp_path):
    ae = AE.replace("2020-04-11", "2020-04-31")
    with pytest.raises(InputError) as exc:
        study_data(tmp_path, ae)
    assert "adverse_events.csv:6: column 'onset_date': expected an ISO date YYYY-MM-DD or empty" in str(exc.value)  # fmt: skip
