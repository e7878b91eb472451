"""Identifier guard and small-cell suppression (primary, percentages, complementary, audit)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from workflow_helpers import run

from her2rwe.derive.dataset import build_study_data
from her2rwe.outputs import suppression
from her2rwe.outputs.shareable import shareable_attrition
from her2rwe.outputs.suppression import Margin, suppress
from her2rwe.records import identifiers
from her2rwe.records.ingest import read_raw_csv

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "data" / "raw" / "example"

# ---- identifier guard: column names


@pytest.mark.parametrize(
    "column, reason",
    [
        ("name", "a name"),
        ("Patient Name", "a name"),
        ("first_name", "a name"),
        ("LastName", "a name"),
        ("surname", "a name"),
        ("initials", "a name"),
        ("mrn", "a medical record number"),
        ("Medical_Record_Number", "a medical record number"),
        ("hospital_number", "a medical record number"),
        ("nhs_number", "a medical record number"),
        ("SSN", "a national or insurance ID"),
        ("insurance_id", "a national or insurance ID"),
        ("medicare_number", "a national or insurance ID"),
        ("passport_no", "a national or insurance ID"),
        ("phone", "a phone number"),
        ("mobile_phone", "a phone number"),
        ("email", "an e-mail address"),
        ("E-Mail", "an e-mail address"),
        ("address", "a street address"),
        ("zip_code", "a street address"),
        ("postcode", "a street address"),
        ("dob", "a full birth date"),
        ("birth_date", "a full birth date"),
        ("DateOfBirth", "a full birth date"),
    ],
)
def test_identifier_column_names_are_refused(column, reason):
    frame = pd.DataFrame({column: ["x", "y"]})
    findings = identifiers.find_identifiers(frame, [2, 3])
    assert [(f.column, f.reason) for f in findings] == [
        (column, f"the column name suggests {reason}")
    ]


@pytest.mark.parametrize(
    "column",
    [
        "patient_id",
        "arm",
        "regimen",
        "regimen_name",
        "drug_name",
        "site_name",
        "index_date",
        "death_date",
        "discontinuation_reason",
        "best_response",
        "age",
        "ecog",
        "hr_status",
        "birth_year",
        "prior_lines",
        "pfs_months",
        "pfs_event",
        "term",
        "grade",
        "category",
        "visceral_mets",
        "brain_mets",
        "site",
    ],
)
def test_contract_and_covariate_names_pass(column):
    frame = pd.DataFrame({column: ["1", "2"]})
    assert identifiers.find_identifiers(frame, [2, 3]) == []


def test_bundled_example_passes_the_guard():
    for name in ("cohort.csv", "adverse_events.csv"):
        raw = read_raw_csv(EXAMPLE / name)
        assert identifiers.find_identifiers(raw.frame, raw.lines, raw.header_line) == []


def test_value_rules_and_no_value_in_the_message():
    frame = pd.DataFrame(
        {
            "patient_id": [f"EX{i:04d}" for i in range(1, 7)],  # pseudonyms pass
            "regimen": ["T-DXd", "T-DM1", "other ADC", "T-DXd", "SYD985", "T-DXd"],
            "note": ["", "", "call 555-201-3344", "", "", ""],
            "gp": ["", "dr.who@clinic.example", "", "", "", ""],
        }
    )
    problems, notes = identifiers.identifier_guard(frame, range(2, 8), "c.csv", 1)
    text = "\n".join(map(str, problems))
    assert [(p.column, p.line) for p in problems] == [("note", 4), ("gp", 3)]
    assert "phone numbers (1 row(s))" in text and "e-mail addresses (1 row(s))" in text
    assert "555" not in text and "dr.who" not in text and all(p.value is None for p in problems)
    assert notes == []


def test_contract_columns_are_not_judged_by_the_share_of_name_like_values():
    terms = [
        "Febrile Neutropenia",
        "Peripheral Neuropathy",
        "Interstitial Lung",
        "Hand Foot",
        "Left Ventricular",
        "Nausea",
    ]
    frame = pd.DataFrame({"term": terms, "regimen": terms})
    assert identifiers.find_identifiers(frame, range(2, 8)) == []
    (f,) = identifiers.find_identifiers(frame.rename(columns={"term": "treating"}), range(2, 8))
    assert (f.column, f.reason) == ("treating", "values look like person names (5 row(s))")


def test_allowlist_keeps_a_column_and_records_it():
    frame = pd.DataFrame({"zip": ["021", "100", "946"]})
    problems, notes = identifiers.identifier_guard(frame, [2, 3, 4], "c.csv", 1, ["zip"])
    assert problems == []
    assert notes == [
        "c.csv: column 'zip' kept although it looks like a direct identifier (the column name "
        "suggests a street address): it is listed in identifier_allowlist"
    ]


def test_free_text_threshold():
    short = "x" * identifiers.FREE_TEXT_MAX_CHARS
    frame = pd.DataFrame({"comment": [short, "ok"]})
    assert identifiers.find_identifiers(frame, [2, 3]) == []
    frame = pd.DataFrame({"comment": [short + "y", "ok"]})
    (f,) = identifiers.find_identifiers(frame, [2, 3])
    assert f.column == "comment" and f.line == 2 and "free text longer than 100" in f.reason


# ---- suppression: primary cells and percentages


def test_primary_suppression_masks_1_to_k_minus_1_only():
    t = pd.DataFrame({"n": [0, 1, 10, 11, 250]})
    r = suppress(t, counts=["n"], k=11)
    assert r.table["n"].tolist() == [0, "<11", "<11", 11, 250]
    assert r.status["n"].tolist() == ["", "primary", "primary", "", ""]
    assert suppress(t, counts=["n"], k=5).table["n"].tolist() == [0, "<5", 10, 11, 250]


def test_off_by_default():
    t = pd.DataFrame({"n": [0, 1, 3]})
    for k in (0, 1):
        r = suppress(t, counts=["n"], k=k)
        pd.testing.assert_frame_equal(r.table, t)
        assert r.n_primary == r.n_complementary == 0


def test_percentages_follow_their_count_and_their_denominator():
    # arm B has 8 patients: its n is masked; 3/8 = 37.5% would give n back from orr_n and orr_pct,
    # so B's orr_pct is masked too although orr_n = 3 is masked anyway; B's cbr_n = 0 (0%) is shown
    t = pd.DataFrame(
        {
            "arm": ["A", "B"],
            "n": [40, 8],
            "orr_n": [20, 3],
            "orr_pct": [50.0, 37.5],
            "cbr_n": [30, 0],
            "cbr_pct": [75.0, 0.0],
        }
    )
    r = suppress(
        t,
        counts=["n", "orr_n", "cbr_n"],
        k=11,
        pcts={"orr_pct": ("orr_n", "n"), "cbr_pct": ("cbr_n", "n")},
    )
    assert r.table.loc[1].tolist() == ["B", "<11", "<11", "<11", 0, 0.0]
    assert r.table.loc[0].tolist() == ["A", 40, 20, 50.0, 30, 75.0]


# ---- complementary suppression


def test_complement_is_the_next_smallest_part():
    # total 78 = 3 + 20 + 15 + 40: the 3 is masked; 78 - 20 - 15 - 40 would give it back, so the
    # next smallest part (15) is masked too
    t = pd.DataFrame({"level": ["a", "b", "c", "d", "Total"], "n": [3, 20, 15, 40, 78]})
    r = suppress(t, counts=["n"], k=11, margins=[Margin(by="level", total="Total")])
    assert r.table["n"].tolist() == ["<11", 20, "*", 40, 78]
    assert suppression.audit(r) == []


def test_two_small_cells_need_no_complement():
    t = pd.DataFrame({"level": ["a", "b", "c", "Total"], "n": [3, 4, 40, 47]})
    r = suppress(t, counts=["n"], k=11, margins=[Margin(by="level", total="Total")])
    assert r.table["n"].tolist() == ["<11", "<11", 40, 47]


def test_two_small_cells_that_sum_to_their_lower_bounds_get_a_complement():
    # a + b = 42 - 40 = 2 and each masked cell is at least 1, so both are 1: the 40 is masked too
    t = pd.DataFrame({"level": ["a", "b", "c", "Total"], "n": [1, 1, 40, 42]})
    r = suppress(t, counts=["n"], k=11, margins=[Margin(by="level", total="Total")])
    assert r.table["n"].tolist() == ["<11", "<11", "*", 42]
    assert suppression.audit(r) == []


def test_hidden_remainder_counts_as_a_small_cell():
    # n = 50 and 45 responders: the 5 non-responders follow by subtraction, so orr_n is masked;
    # with 30 responders (20 non-responders) nothing is masked
    t = pd.DataFrame({"n": [50, 50], "orr_n": [45, 30], "orr_pct": [90.0, 60.0]})
    r = suppress(
        t, counts=["n", "orr_n"], k=11, pcts={"orr_pct": "orr_n"}, row_totals={"n": ["orr_n"]}
    )
    assert r.table.loc[0].tolist() == [50, "*", "*"]
    assert r.table.loc[1].tolist() == [50, 30, 60.0]


def test_cascade_across_rows_and_columns_and_audit():
    # 2 arms x 3 steps of an attrition table, plus the Total arm
    t = pd.DataFrame(
        {
            "arm": ["A"] * 3 + ["B"] * 3 + ["Total"] * 3,
            "step": ["read", "excluded", "analysed"] * 3,
            "n": [50, 3, 47, 40, 12, 28, 90, 15, 75],
        }
    )
    margins = [
        Margin(by="step", total="read", within=["arm"]),
        Margin(by="arm", total="Total", within=["step"]),
    ]
    r = suppress(t, counts=["n"], k=11, margins=margins)
    # A excluded 3 is primary. Row A: 50 = 3 + 47 -> 47 is masked. Column excluded: 15 = 3 + 12 ->
    # 12 is masked. Row B: 40 = 12 + 28 -> 28 is masked. Column analysed: 75 = 47 + 28, two unknown.
    assert r.table["n"].tolist() == [50, "<11", "*", 40, "*", "*", 90, 15, 75]
    assert suppression.audit(r) == []


def test_audit_finds_a_cell_left_recoverable():
    t = pd.DataFrame({"level": ["a", "b", "Total"], "n": [3, 47, 50]})
    r = suppress(t, counts=["n"], k=11)  # no relations declared: primary only
    r.relations = suppress(
        t, counts=["n"], k=11, margins=[Margin(by="level", total="Total")]
    ).relations
    assert suppression.audit(r) == [(0, "n", 3.0, 3.0)]


@pytest.mark.parametrize("seed", range(20))
def test_no_masked_cell_is_recoverable_in_random_tables(seed):
    rng = np.random.default_rng(seed)
    arms, levels = ["A", "B", "C"], ["l1", "l2", "l3", "l4"]
    cells = rng.choice([0, 1, 2, 5, 9, 12, 30, 80], size=(len(arms), len(levels)))
    rows = [
        {"arm": a, "level": lv, "n": int(cells[i, j])}
        for i, a in enumerate(arms)
        for j, lv in enumerate(levels)
    ]
    rows += [{"arm": a, "level": "Total", "n": int(cells[i].sum())} for i, a in enumerate(arms)]
    rows += [
        {"arm": "All", "level": lv, "n": int(cells[:, j].sum())} for j, lv in enumerate(levels)
    ]
    rows.append({"arm": "All", "level": "Total", "n": int(cells.sum())})
    t = pd.DataFrame(rows)
    margins = [
        Margin(by="level", total="Total", within=["arm"]),
        Margin(by="arm", total="All", within=["level"]),
    ]
    r = suppress(t, counts=["n"], k=11, margins=margins)
    shown = pd.to_numeric(r.table["n"], errors="coerce")
    assert not ((shown >= 1) & (shown <= 10)).any()
    assert suppression.audit(r) == []


def test_overlay_masks_formatted_cells():
    t = pd.DataFrame({"n": [40, 40], "orr_n": [4, 20], "orr_pct": [10.0, 50.0]})
    r = suppress(t, counts=["n", "orr_n"], k=11, pcts={"orr_pct": "orr_n"})
    formatted = pd.DataFrame({"ORR": ["4 (10.0%)", "20 (50.0%)"]})
    assert suppression.overlay(formatted, r, {"ORR": ["orr_n", "orr_pct"]})["ORR"].tolist() == [
        "<11",
        "20 (50.0%)",
    ]
    assert "shown as <11" in r.footnote()


# ---- the attrition table


def test_shareable_attrition_of_a_small_cohort(tmp_path):
    # 8 patients: 5 in arm A, 3 in arm B; every non-zero count is below 11
    lines = ["patient_id,arm,pfs_months,pfs_event"]
    lines += [f"P{i},{'A' if i <= 5 else 'B'},{i}.0,1" for i in range(1, 9)]
    path = tmp_path / "c.csv"
    path.write_text("\n".join(lines) + "\n")
    data = build_study_data({"arms": {"column": "arm"}, "endpoints": ["pfs"]}, path)
    assert data.attrition["n"].tolist() == [5, 0, 5, 3, 0, 3, 8, 0, 8]  # internal: unsuppressed
    shared = shareable_attrition(data.attrition, 11)
    assert shared["n"].tolist() == ["<11", 0, "<11", "<11", 0, "<11", "<11", 0, "<11"]
    assert shareable_attrition(data.attrition, 0)["n"].tolist() == data.attrition["n"].tolist()


@pytest.mark.e2e
def test_workflow_with_min_cell_count_masks_attrition_and_keeps_internal(tmp_path):
    (tmp_path / "data").mkdir()
    lines = (EXAMPLE / "cohort.csv").read_text().splitlines()
    header = next(i for i, ln in enumerate(lines) if ln.startswith("patient_id"))
    hpc = [ln for ln in lines[header + 1 :] if ",HP+C," in ln][:7]  # a 7-patient reference arm
    adc = [ln for ln in lines[header + 1 :] if ",ADC," in ln]
    rows = [f"{ln},AB{i % 3}" for i, ln in enumerate([*hpc, *adc])]  # an allow-listed column
    (tmp_path / "data" / "cohort.csv").write_text(
        "\n".join([lines[header] + ",postcode_area", *rows]) + "\n"
    )
    (tmp_path / "config.yaml").write_text(
        "min_cell_count: 11\nstudies:\n  s:\n    cohort: data/cohort.csv\n"
        "    arms: {column: arm, reference: HP+C}\n    endpoints: [pfs, os]\n"
        "    identifier_allowlist: [postcode_area]\n    baseline: [postcode_area]\n"
    )
    proc = run(tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    shared = pd.read_csv(
        tmp_path / "results/s/tables/attrition.csv", dtype=str, keep_default_na=False
    )
    internal = pd.read_csv(tmp_path / "results/s/internal/attrition.csv")
    assert internal.set_index(["arm", "step"]).loc[("HP+C", "rows read"), "n"] == 7
    n = len(adc)
    # HP+C 7 is masked; the Total (7 + n) would give it back from ADC's n, so ADC's n is masked too
    assert shared["n"].tolist() == ["<11", "0", "<11", "*", "0", "*", str(7 + n), "0", str(7 + n)]
    log = (tmp_path / "results/s/logs/derive_endpoints.log").read_text()
    assert "min_cell_count 11" in log
    assert (
        "data/cohort.csv: column 'postcode_area' kept although it looks like a direct identifier "
        "(the column name suggests a street address): it is listed in identifier_allowlist"
    ) in log
    # the columns the config does not declare are dropped unread, by name only
    assert "not declared by the input contract or the study's config dropped unread" in log
    dropped = next(line for line in log.splitlines() if "dropped unread" in line)
    assert "hr_status" in dropped and "postcode_area" not in dropped
