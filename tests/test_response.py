"""Response rates against R (binom.test, fisher.test, chisq.test on tests/fixtures/tables_cohort.csv)
and hand counts."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from her2rwe.analyses import response
from her2rwe.analyses.response import ResponseOptions

FIXTURES = Path(__file__).parent / "fixtures"
ARMS = ["A", "B", "C"]


@pytest.fixture(scope="module")
def cohort():
    data = pd.read_csv(FIXTURES / "tables_cohort.csv", dtype={"best_response": "string"})
    data["best_response"] = data["best_response"].astype("string")
    return data


@pytest.mark.parametrize("denominator", ["all", "measurable", "evaluable"])
def test_rates_and_clopper_pearson_match_r(cohort, denominator):
    expected = pd.read_csv(FIXTURES / "tables_cohort_rates.csv")
    expected = expected[expected["denominator"] == denominator]
    table = response.summarize_response(cohort, ARMS, ResponseOptions(denominator=denominator))
    assert list(table["arm"]) == [*ARMS, "Overall"]
    assert (table["denominator"] == denominator).all()
    for row in expected.itertuples():
        got = table.set_index("arm").loc[row.arm]
        assert got["n"] == row.n
        assert got[f"{row.rate}_n"] == row.x
        assert got[f"{row.rate}_pct"] == pytest.approx(100 * row.x / row.n, rel=1e-12)
        assert got[f"{row.rate}_lower"] == pytest.approx(100 * row.lower, rel=1e-6, abs=1e-12)
        assert got[f"{row.rate}_upper"] == pytest.approx(100 * row.upper, rel=1e-6)


def test_invariants(cohort):
    for den in ("all", "measurable", "evaluable"):
        for ci in ("clopper-pearson", "wilson"):
            t = response.summarize_response(
                cohort, ARMS, ResponseOptions(denominator=den, ci_method=ci)
            )
            assert (t["orr_n"] <= t["cbr_n"]).all() and (t["cbr_n"] <= t["dcr_n"]).all()
            for r in response.RATES:
                assert (t[f"{r}_lower"] <= t[f"{r}_pct"]).all()
                assert (t[f"{r}_pct"] <= t[f"{r}_upper"]).all()


def test_comparisons_match_r_fisher_and_chisq(cohort):
    expected = pd.read_csv(FIXTURES / "tables_cohort_comparisons.csv")
    for test in ("fisher", "chisq", "auto"):
        cmp = response.compare_response(cohort, ARMS, "A", ResponseOptions(test=test))
        assert set(cmp["arm"]) == {"B", "C"} and (cmp["reference"] == "A").all()
        for row in expected.itertuples():
            got = cmp[(cmp["arm"] == row.arm) & (cmp["rate"] == row.rate)].iloc[0]
            want_fisher = test == "fisher" or (test == "auto" and row.min_expected < 5)
            want = row.fisher_p if want_fisher else row.chisq_yates_p
            assert got["p"] == pytest.approx(want, rel=1e-6)
            assert got["test"] == ("fisher" if want_fisher else "chisq (Yates)")
            assert got["diff_lower"] <= got["diff"] <= got["diff_upper"]
            assert got["or_lower"] <= got["odds_ratio"] <= got["or_upper"]


def test_hand_counted_cohort_and_cbr_rule():
    # arm X: CR, PR, SD 30 wk, SD 10 wk, SD (no weeks), PD, NE, missing -> ORR 2, CBR 3, DCR 5 of 8
    # arm Y: SD 24 wk (exactly the threshold: counts), PD, PD, PR -> ORR 1, CBR 2, DCR 2 of 4
    data = pd.DataFrame(
        {
            "patient_id": [f"p{i}" for i in range(12)],
            "arm": ["X"] * 8 + ["Y"] * 4,
            "best_response": pd.array(
                ["CR", "PR", "SD", "SD", "SD", "PD", "NE", None, "SD", "PD", "PD", "PR"],
                dtype="string",
            ),
            "sd_weeks": [
                np.nan,
                np.nan,
                30,
                10,
                np.nan,
                np.nan,
                np.nan,
                np.nan,
                24,
                np.nan,
                np.nan,
                np.nan,
            ],
            "measurable_disease": [
                "yes",
                "Yes",
                "1",
                "no",
                "y",
                "TRUE",
                "0",
                None,
                "yes",
                "yes",
                "no",
                "true",
            ],
        }
    )
    t = response.summarize_response(data, ["X", "Y"], ResponseOptions()).set_index("arm")
    assert t.loc["X", ["n", "orr_n", "cbr_n", "dcr_n"]].tolist() == [8, 2, 3, 5]
    assert t.loc["Y", ["n", "orr_n", "cbr_n", "dcr_n"]].tolist() == [4, 1, 2, 2]
    assert t.loc["Overall", ["n", "orr_n", "cbr_n", "dcr_n"]].tolist() == [12, 3, 5, 7]
    ev = response.summarize_response(data, ["X", "Y"], ResponseOptions(denominator="evaluable"))
    assert ev.set_index("arm").loc["X", "n"] == 6  # NE and missing left out
    ms = response.summarize_response(data, ["X", "Y"], ResponseOptions(denominator="measurable"))
    # measurable in X: yes, Yes, 1, y, TRUE (5): CR, PR, SD30, SD(no weeks), PD -> ORR 2, CBR 3, DCR 4
    assert ms.set_index("arm").loc["X", ["n", "orr_n", "cbr_n", "dcr_n"]].tolist() == [5, 2, 3, 4]
    assert (
        response.summarize_response(data, ["X"], ResponseOptions(cbr_min_weeks=8)).loc[0, "cbr_n"]
        == 4
    )
    best = response.summarize_best_response(data, ["X", "Y"], ResponseOptions())
    x = best[best["arm"] == "X"].set_index("response")["n"]
    assert x.to_dict() == {"CR": 1, "PR": 1, "SD": 3, "PD": 1, "NE": 1, "missing": 1}


def test_published_orr_seed_000_and_001():
    # seed 000: ORR 43/83 = 51.8% (ADC) vs 18/67 = 26.9% (HP+C); seed 001: 12/66 = 18.2%
    def cohort(arm, x, n):
        return pd.DataFrame({"arm": arm, "best_response": ["PR"] * x + ["PD"] * (n - x)})

    data = pd.concat([cohort("ADC", 43, 83), cohort("HP+C", 18, 67)], ignore_index=True)
    data["best_response"] = data["best_response"].astype("string")
    t = response.summarize_response(data, ["HP+C", "ADC"], ResponseOptions(cbr_min_weeks=0))
    assert round(t.set_index("arm").loc["ADC", "orr_pct"], 1) == 51.8
    assert round(t.set_index("arm").loc["HP+C", "orr_pct"], 1) == 26.9
    single = cohort("TKI", 12, 66)
    single["best_response"] = single["best_response"].astype("string")
    assert (
        round(response.summarize_response(single, ["TKI"], ResponseOptions()).loc[0, "orr_pct"], 1)
        == 18.2
    )


def test_published_cbr_seed_000_and_001():
    # seed 000: CBR 69.9% (58/83) vs 65.7% (44/67); seed 001: CBR 66.7% (44/66), SD >= 24 weeks
    def cohort(arm, cr_pr, sd_long, sd_short, n):
        bor = ["PR"] * cr_pr + ["SD"] * (sd_long + sd_short)
        bor += ["PD"] * (n - len(bor))
        weeks = [np.nan] * cr_pr + [30.0] * sd_long + [12.0] * sd_short
        weeks += [np.nan] * (n - len(weeks))
        return pd.DataFrame({"arm": arm, "best_response": bor, "sd_weeks": weeks})

    data = pd.concat(
        [cohort("ADC", 43, 15, 5, 83), cohort("HP+C", 18, 26, 4, 67), cohort("TKI", 12, 32, 6, 66)],
        ignore_index=True,
    )
    data["best_response"] = data["best_response"].astype("string")
    t = response.summarize_response(data, ["HP+C", "ADC", "TKI"], ResponseOptions()).set_index(
        "arm"
    )
    assert [round(t.loc[a, "cbr_pct"], 1) for a in ("ADC", "HP+C", "TKI")] == [69.9, 65.7, 66.7]
    assert [round(t.loc[a, "orr_pct"], 1) for a in ("ADC", "HP+C", "TKI")] == [51.8, 26.9, 18.2]


def test_no_sd_weeks_makes_cbr_not_estimable():
    data = pd.DataFrame(
        {"arm": ["X", "X"], "best_response": pd.array(["SD", "PR"], dtype="string")}
    )
    t = response.summarize_response(data, ["X"], ResponseOptions())
    assert np.isnan(t.loc[0, "cbr_pct"]) and "sd_weeks" in t.loc[0, "note"]
    assert t.loc[0, "orr_n"] == 1


def test_missing_measurable_column_is_an_error():
    data = pd.DataFrame({"arm": ["X"], "best_response": pd.array(["SD"], dtype="string")})
    with pytest.raises(ValueError, match="measurable_disease"):
        response.summarize_response(data, ["X"], ResponseOptions(denominator="measurable"))


def test_subgroups_levels_and_compare(cohort):
    cohort = cohort.assign(regimen=np.where(cohort["arm"] == "A", "R1", "R2"))
    subgroups = [
        {"variable": "ecog", "label": "ECOG"},
        {
            "variable": "regimen",
            "compare": {"groups": {"B or C": {"arm": ["B", "C"]}, "A": {"regimen": "R1"}}},
        },
    ]
    t = response.summarize_response_subgroups(cohort, ARMS, subgroups, ResponseOptions())
    lv = t[(t["variable"] == "ecog") & (t["arm"] == "A")]
    for row in lv.itertuples():
        sub = cohort[(cohort["arm"] == "A") & (cohort["ecog"] == row.level)]
        assert row.n == len(sub)
        assert row.orr_n == sub["best_response"].isin(["CR", "PR"]).sum()
    cmp = t[t["contrast"] == "compare"].set_index("level")
    assert cmp.loc["B or C", "n"] == (cohort["arm"] != "A").sum()
    assert (
        cmp.loc["A", "orr_n"]
        == cohort.loc[cohort["arm"] == "A", "best_response"].isin(["CR", "PR"]).sum()
    )
    assert (cmp["arm"] == "Overall").all()


def test_study_tables_skip_with_reason_and_keep_columns():
    from her2rwe.outputs.study_tables import TABLES, summarize_study_tables

    data = pd.DataFrame(
        {"patient_id": ["a", "b", "c"], "arm": ["X", "Y", "Y"], "age": [50.5, 60.2, 70.1]}
    )
    ae = pd.DataFrame(
        {c: pd.Series(dtype="object") for c in ["patient_id", "arm", "term", "grade", "category"]}
    )
    tables = summarize_study_tables({"endpoints": ["pfs"], "synthetic": True}, data, ae, False)
    assert list(tables) == TABLES
    for name in ("response", "best_response", "response_comparisons", "response_subgroups"):
        assert tables[name].frame.empty and "best-response column" in tables[name].skipped
        assert "Not available" in tables[name].markdown
    assert "orr_lower" in tables["response"].frame.columns
    assert "adverse-event file" in tables["adverse_events"].skipped
    assert "grade3plus_pct" in tables["adverse_events"].frame.columns
    assert not tables["baseline"].skipped and "Synthetic" in tables["baseline"].markdown
