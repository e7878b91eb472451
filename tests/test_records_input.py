"""Input contract v2: reading and validating longitudinal records, the drug dictionary."""

import pandas as pd
import pytest

from her2rwe.records.drugs import load_dictionary, map_exposures
from her2rwe.records.longitudinal import read_records
from her2rwe.records.rawtext import InputError

PATIENTS = """patient_id,metastatic_date,death_date,last_contact_date,age
P1,2020-01-01,,2021-06-01,50
P2,2020-02-01,2020-12-01,2020-12-01,61
"""
TREATMENTS = """patient_id,drug,start_date,end_date,setting,discontinuation_reason
P1,Herceptin,2020-01-10,2020-06-01,,
P1,T-DXd,2020-07-01,2021-01-01,metastatic,progression
P2,kadcyla,2020-02-10,2020-10-01,metastatic,ILD
"""
ASSESS = """patient_id,date,response,sum_diameters
P1,2019-10-01,,40
P1,2020-03-01,PR,30
P2,2020-05-01,PD,55
"""


def write(tmp_path, **files):
    paths = {}
    for name, text in files.items():
        (tmp_path / f"{name}.csv").write_text(text)
        paths[name] = str(tmp_path / f"{name}.csv")
    return paths


def problems(tmp_path, **files):
    base = {"patients": PATIENTS, "treatments": TREATMENTS}
    base.update(files)
    with pytest.raises(InputError) as exc:
        read_records(write(tmp_path, **base), load_dictionary())
    return [str(p) for p in exc.value.problems]


def test_valid_records_are_typed_and_assessment_before_diagnosis_is_a_warning(tmp_path):
    rec = read_records(
        write(tmp_path, patients=PATIENTS, treatments=TREATMENTS, assessments=ASSESS),
        load_dictionary(),
    )
    t = rec.treatments
    assert t["generic"].tolist() == [
        "trastuzumab",
        "trastuzumab deruxtecan",
        "trastuzumab emtansine",
    ]
    assert t["setting"].tolist() == ["metastatic"] * 3
    assert t["start_date"].dtype.kind == "M" and rec.patients["metastatic_date"].dtype.kind == "M"
    assert any("1 assessment(s) dated before" in n and "line 2" in n for n in rec.notes)


def test_every_problem_at_once_with_file_line_column(tmp_path):
    treatments = TREATMENTS + (
        "P1,T-DM1,2020-05-01,2020-04-01,,\n"  # line 5: end before start
        "P2,lapatinib,2021-01-01,2021-02-01,,\n"  # line 6: after death and after last contact
        "P1,Herceptin,2020-01-10,2020-06-01,,\n"  # line 7: duplicate of line 2
        "P1,wonderdrug,2020-02-01,,,\n"  # line 8: unknown drug
        "P1,T-DXd,2020-13-01,,adjuvant,stopped\n"  # line 9: bad date, setting, reason
        "P9,T-DXd,2020-03-01,,,\n"  # line 10: unknown patient
    )
    found = problems(tmp_path, treatments=treatments)
    joined = "\n".join(found)
    assert (
        "treatments.csv:5: column 'end_date': end date before the start date (found a date)"
        in joined
    )
    assert "treatments.csv:6: column 'start_date': exposure starts after death" in joined
    assert "treatments.csv:6: column 'start_date': exposure starts after the last contact" in joined
    assert "treatments.csv:7: duplicate row" in joined
    assert (
        "treatments.csv:8: column 'drug': 1 row(s) name drugs that are not in the drug dictionary: 'wonderdrug'"
        in joined
    )
    assert "treatments.csv:9: column 'start_date': expected an ISO date" in joined
    assert "treatments.csv:9: column 'setting'" in joined
    assert "treatments.csv:9: column 'discontinuation_reason'" in joined
    assert "treatments.csv:10: column 'patient_id': patient is not in the patients file" in joined
    assert "P9" not in joined  # patient IDs are never echoed


def test_patient_file_problems(tmp_path):
    patients = PATIENTS + "P1,2020-01-01,,,\nP3,,,2019-01-01,\nP4,2020-01-01,2019-05-01,,\n"
    joined = "\n".join(problems(tmp_path, patients=patients))
    assert "patients.csv:4: column 'patient_id': duplicate patient ID" in joined
    assert "patients.csv:5: column 'metastatic_date': expected a date (required)" in joined
    assert "patients.csv:6: column 'death_date': death before the metastatic diagnosis" in joined


def test_assessment_problems(tmp_path):
    assess = ASSESS + "P1,2020-04-01,VGPR,-3\nP2,2021-01-01,PD,\n"
    joined = "\n".join(problems(tmp_path, assessments=assess))
    assert "assessments.csv:5: column 'response': expected CR, PR, SD, PD, NE" in joined
    assert "assessments.csv:5: column 'sum_diameters'" in joined
    assert "assessments.csv:6: column 'date': assessment after death" in joined


def test_missing_required_column(tmp_path):
    joined = "\n".join(problems(tmp_path, treatments="patient_id,drug\nP1,T-DXd\n"))
    assert "treatments.csv:1: column 'start_date': required column is missing" in joined


def test_config_maps_an_unknown_drug(tmp_path):
    treatments = TREATMENTS + "P1,wonderdrug,2020-02-01,,,\n"
    paths = write(tmp_path, patients=PATIENTS, treatments=treatments)
    rec = read_records(paths, load_dictionary({"wonderdrug": {"class": "other"}}))
    assert rec.treatments["drug_class"].iloc[-1] == "other"
    rec = read_records(paths, load_dictionary({"WonderDrug": {"generic": "T-DXd"}}))
    assert rec.treatments["generic"].iloc[-1] == "trastuzumab deruxtecan"
    with pytest.raises(ValueError, match="give its class"):
        load_dictionary({"newdrug": {}})


def test_dictionary_spellings_and_combinations():
    d = load_dictionary()
    names = pd.Series(
        ["  ENHERTU ", "ado-trastuzumab  emtansine", "Phesgo", "nab paclitaxel", "Ogivri"]
    )
    generic, unknown = map_exposures(names, d)
    assert not unknown.any()
    assert generic.tolist() == [
        "trastuzumab deruxtecan",
        "trastuzumab emtansine",
        "pertuzumab+trastuzumab-hyaluronidase",
        "nab-paclitaxel",
        "trastuzumab",
    ]
    assert (
        d.drug_class["tucatinib"] == "anti-HER2 TKI"
        and d.drug_class["disitamab vedotin"] == "anti-HER2 ADC"
    )


def test_fast_reader_matches_the_line_by_line_reader(tmp_path):
    from her2rwe.records.ingest import _read_lines, read_raw_csv

    path = tmp_path / "t.csv"
    path.write_text("# synthetic\n# note\n" + TREATMENTS)
    fast, slow = read_raw_csv(path), _read_lines(path.read_text(), str(path), None)
    pd.testing.assert_frame_equal(fast.frame, slow.frame)
    assert fast.lines.tolist() == slow.lines.tolist() == [4, 5, 6]
    quoted = tmp_path / "q.csv"
    quoted.write_text('patient_id,drug\n"P1","T-DXd"\n')
    assert read_raw_csv(quoted).frame["drug"].tolist() == ["T-DXd"]


def test_synthetic_records_are_byte_reproducible(tmp_path):
    from her2rwe.synthetic.records import write_records

    write_records(tmp_path / "a", n=30, seed=5)
    write_records(tmp_path / "b", n=30, seed=5)
    for name in ("patients", "treatments", "assessments", "adverse_events"):
        a = (tmp_path / "a" / f"{name}.csv").read_bytes()
        assert a == (tmp_path / "b" / f"{name}.csv").read_bytes()
        assert a.startswith(b"# SYNTHETIC DATA")


def test_a_fixed_combination_becomes_one_exposure_per_component_in_order(tmp_path):
    treatments = TREATMENTS + "P2,Phesgo,2020-10-05,2020-11-01,metastatic,\nP2,T-DXd,2020-11-02,,,\n"
    rec = read_records(write(tmp_path, patients=PATIENTS, treatments=treatments), load_dictionary())
    t = rec.treatments
    # file rows 3 and 4 (0-based): Phesgo expands into its two generics, between its neighbours
    assert t["row"].tolist() == [0, 1, 2, 3, 3, 4]
    assert t["generic"].tolist()[3:] == [
        "pertuzumab",
        "trastuzumab-hyaluronidase",
        "trastuzumab deruxtecan",
    ]
    assert t["drug"].tolist()[3:5] == ["Phesgo", "Phesgo"]
    assert t["drug_class"].tolist()[3:] == ["anti-HER2 antibody"] * 2 + ["anti-HER2 ADC"]
    assert t["setting"].tolist()[-1] == "metastatic"  # empty setting: metastatic
    assert t["discontinuation_reason"].isna().tolist()[3:] == [True, True, True]


@pytest.mark.parametrize(
    "text",
    ["", "\n", "a", "a\n", "a\n\n", "\n\na\nbb\n", "ab\ncd", "a\r\nb\r\n", "x\n" * 7],
)
def test_physical_lines_cut_as_str_split(text):
    from her2rwe.records.rawtext import _physical_lines

    expected = text.split("\n")
    if expected[-1] == "":
        expected.pop()
    for chunk in (1, 2, 3, 1 << 20):
        for start in range(len(text) + 1):
            want = text[start:].split("\n")
            if want[-1] == "":
                want.pop()
            assert list(_physical_lines(text, start, chunk)) == want
    assert list(_physical_lines(text, 0)) == expected


def test_same_day_rows_are_the_rows_of_a_repeated_patient_and_day():
    from her2rwe.records.assessments import same_day_rows

    pid = ["P1", "P1", "P1", "P2", "P2", "P1"]
    date = pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-01", "2020-01-01", None, None])
    # P1 twice on 2020-01-01; a missing date is no day (P1's and P2's)
    assert same_day_rows(pid, date).tolist() == [True, False, True, False, False, False]
