"""Competing-risks endpoints from a cohort file: the columns kept, and bad input named by file, line
and column without the offending value (a status outside 0/1/2, an event and a competing event on
the same day, a competing source naming a missing column)."""

from __future__ import annotations

import pytest

from her2rwe.derive.dataset import build_study_data
from her2rwe.derive.declared import declared_columns
from her2rwe.records.ingest import InputError

ILD = {
    "events": [{"date": "ild_date", "source": "ild"}],
    "competing": [{"date": "death_date", "source": "death"}],
    "censor": [{"date": "last_contact_date", "source": "last_contact"}],
}


def study(**extra):
    return {
        "arms": {"column": "arm"},
        "endpoints": ["os"],
        "competing_endpoints": ["ild"],
        "endpoint_definitions": {"ild": ILD},
        **extra,
    }


HEADER = "patient_id,arm,index_date,ild_date,death_date,last_contact_date,unrelated\n"


def test_competing_columns_are_declared_and_derived(tmp_path):
    path = tmp_path / "cohort.csv"
    path.write_text(
        HEADER
        + "P1,A,2030-01-01,2030-02-01,2030-06-01,2030-06-01,x\n"
        + "P2,A,2030-01-01,,2030-03-01,2030-03-01,y\n"
        + "P3,B,2030-01-01,,,2030-07-01,z\n"
    )
    assert {"ild_date", "death_date", "ild_months", "ild_status"} <= declared_columns(study())
    data = build_study_data(study(), path)
    assert data.dataset["ild_status"].tolist() == [1, 2, 0]
    assert data.dataset["ild_source"].tolist() == ["ild", "death", "last_contact"]
    assert "unrelated" not in data.dataset.columns  # not declared: dropped unread


def test_same_day_tie_names_file_line_and_columns_not_the_date(tmp_path):
    path = tmp_path / "cohort.csv"
    path.write_text(
        HEADER
        + "P1,A,2030-01-01,2030-02-01,2030-06-01,2030-06-01,x\n"
        + "P2,A,2030-01-01,2030-04-17,2030-04-17,2030-04-17,y\n"
    )
    with pytest.raises(InputError) as exc:
        build_study_data(study(), path, display={"cohort": "cohort.csv"})
    text = str(exc.value)
    assert "1 problem(s)" in text
    assert (
        "cohort.csv:3: column 'ild_date': endpoint 'ild': the event (ild_date) and the competing "
        "event (death_date) are on the same day; set endpoint_definitions.ild.same_day" in text
    )
    assert "2030-04-17" not in text and "P2" not in text
    # the tie rule settles it
    rule = study(endpoint_definitions={"ild": {**ILD, "same_day": "competing"}})
    assert build_study_data(rule, path).dataset["ild_status"].tolist() == [1, 2]


def test_status_outside_0_1_2_names_file_line_and_column_not_the_value(tmp_path):
    s = {"arms": {"column": "arm"}, "endpoints": ["os"], "competing_endpoints": ["x"]}
    head = "patient_id,arm,index_date,death_date,last_contact_date,x_months,x_status\n"
    ok = tmp_path / "ok.csv"
    ok.write_text(head + "P1,A,2030-01-01,,2030-05-01,3.5,1\nP2,B,2030-01-01,,2030-05-01,4.0,2\n")
    data = build_study_data(s, ok).dataset
    assert data["x_status"].tolist() == [1, 2]
    assert data["x_source"].tolist() == ["event", "competing"]
    bad = tmp_path / "bad.csv"
    bad.write_text(
        head
        + "P1,A,2030-01-01,,2030-05-01,3.5,1\n"
        + "P2,A,2030-01-01,,2030-05-01,4.0,7\n"
        + "P3,B,2030-01-01,,2030-05-01,2.0,\n"
        + "P4,B,2030-01-01,,2030-05-01,,2\n"
        + "P5,B,2030-01-01,,2030-05-01,1.0,1.0\n"
    )
    with pytest.raises(InputError) as exc:
        build_study_data(s, bad, display={"cohort": "c.csv"})
    text = str(exc.value)
    status = "expected a competing-risks status 0 (censored), 1 (event) or 2 (competing event)"
    assert "4 problem(s)" in text
    assert f"c.csv:3: column 'x_status': {status} (found a whole number)" in text
    assert f"c.csv:4: column 'x_status': {status} (found an empty cell)" in text
    assert "c.csv:5: column 'x_months': expected a duration (required)" in text
    assert f"c.csv:6: column 'x_status': {status} (found a number)" in text
    assert "7" not in text
