"""Lines of therapy from the records reader's codes of distinct values (generic names and their
classes, setting, discontinuation reason) are the lines derived from the frame's cells alone."""

import numpy as np
import pandas as pd
import pytest

from her2rwe.config import study_settings
from her2rwe.derive.lines import _line_reasons, derive_lines, line_rules
from her2rwe.records.drugs import load_dictionary
from her2rwe.records.longitudinal import read_records
from her2rwe.synthetic.records import write_records


@pytest.mark.parametrize("combination", [False, True])
def test_lines_from_the_readers_codes_are_the_lines_from_the_cells(tmp_path, combination):
    write_records(tmp_path, n=300, seed=17)  # synthetic records: several thousand exposures
    if combination:  # a fixed combination: one exposure per component, codes repeated with it
        path = tmp_path / "treatments.csv"
        path.write_text(path.read_text().replace(",trastuzumab,", ",Phesgo,", 40))
    files = {k: tmp_path / f"{k}.csv" for k in ("patients", "treatments")}
    rec = read_records(files, load_dictionary())
    factors = rec.treatment_factors
    assert {"generic", "drug_class", "setting", "discontinuation_reason"} <= set(factors)
    t = rec.treatments
    assert (t["drug"] == "Phesgo").any() == combination
    for column, (codes, values) in factors.items():
        assert list(np.asarray(values, dtype=object)[codes]) == t[column].tolist()
    rules = line_rules(study_settings({"records": {}})["lines"], 30.4375)
    kw = {"patient_rows": rec.treatment_patients}
    got = derive_lines(t, rec.patients, rules, factors=factors, **kw)
    want = derive_lines(t, rec.patients, rules, **kw)
    pd.testing.assert_frame_equal(got.lines, want.lines)
    pd.testing.assert_series_equal(got.exposure_line, want.exposure_line)
    pd.testing.assert_series_equal(got.rule_line, want.rule_line)
    assert got.lines["discontinuation_reason"].notna().any()


def test_line_reasons_from_codes_and_from_factorize():
    # lines 0..2; line 0: two reasons end on day 9 (progression outranks other), line 1 none,
    # line 2: the latest-ending exposure's reason, and a reason outside the list ranks last
    line_id = np.array([0, 0, 0, 1, 2, 2, 2])
    end = np.array([9, 9, 5, 3, 4, 8, 8])
    cells = np.array(["other", "progression", "ILD", None, "ILD", "unlisted", "completed"], object)
    codes, values = pd.factorize(cells)
    assert _line_reasons(line_id, end, 3, codes, values).tolist() == [
        "progression",
        None,
        "completed",
    ]
    # the same cells as codes of values that include the missing one (the reader's codes)
    values = np.array(["other", None, "progression", "ILD", "unlisted", "completed"], object)
    codes = np.array([0, 2, 3, 1, 3, 4, 5])
    assert list(values[codes]) == list(cells)
    assert _line_reasons(line_id, end, 3, codes, values).tolist() == [
        "progression",
        None,
        "completed",
    ]
