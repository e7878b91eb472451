"""Binomial CIs, differences, odds ratios and contingency tests against R (tests/r/tables_reference.R)."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from her2rwe import formatting
from her2rwe.stats import proportions

FIXTURES = Path(__file__).parent / "fixtures"
REL = 1e-6


def fixture(name):
    return pd.read_csv(FIXTURES / name)


def close(a, b, rel=REL, abs_=1e-12):
    return a == pytest.approx(b, rel=rel, abs=abs_)


@pytest.mark.parametrize("row", fixture("tables_binom.csv").to_dict("records"))
def test_clopper_pearson_and_wilson_match_r_binom_test_and_prop_test(row):
    x, n, conf = int(row["x"]), int(row["n"]), row["conf_level"]
    lo, hi = proportions.clopper_pearson(x, n, conf)
    assert close(lo, row["cp_lower"]) and close(hi, row["cp_upper"])
    lo, hi = proportions.wilson(x, n, conf)
    assert close(lo, row["wilson_lower"]) and close(hi, row["wilson_upper"])


@pytest.mark.parametrize("method", ["clopper-pearson", "wilson"])
@pytest.mark.parametrize("x,n", [(0, 5), (1, 5), (43, 83), (18, 67), (12, 66), (66, 66)])
def test_every_ci_contains_its_estimate(method, x, n):
    lo, hi = proportions.proportion_ci(x, n, method)
    assert 0 <= lo <= x / n <= hi <= 1


def test_published_rates_seed_000_and_001():
    # seed 000: ORR 51.8% (43/83) vs 26.9% (18/67); seed 001: ORR 18.2% (12/66)
    assert formatting.fmt_num(100 * 43 / 83) == "51.8"
    assert formatting.fmt_num(100 * 18 / 67) == "26.9"
    assert formatting.fmt_num(100 * 12 / 66) == "18.2"


def test_newcombe_published_example():
    # Newcombe (1998) Table II, example (a): 56/70 - 48/80, method 10: 0.0524 to 0.3339
    d, lo, hi = proportions.newcombe_diff(56, 70, 48, 80)
    assert d == pytest.approx(0.2)
    assert round(lo, 4) == 0.0524 and round(hi, 4) == 0.3339


@pytest.mark.parametrize("row", fixture("tables_2x2.csv").to_dict("records"))
def test_2x2_against_r(row):
    x1, n1, x2, n2 = (int(row[k]) for k in ("x1", "n1", "x2", "n2"))
    table = [[x1, n1 - x1], [x2, n2 - x2]]
    assert close(proportions.fisher_exact_p(table), row["fisher_p"])
    est, lo, hi = proportions.conditional_odds_ratio(table)
    # the precise columns repeat fisher.test's equations with uniroot(tol = 1e-13)
    for got, want, want_r in (
        (est, row["or_precise"], row["or_r"]),
        (lo, row["or_lower_precise"], row["or_lower_r"]),
        (hi, row["or_upper_precise"], row["or_upper_r"]),
    ):
        if math.isinf(want) or want == 0:
            assert got == want
        else:
            assert close(got, want, rel=1e-6)
            # fisher.test itself stops at uniroot's tolerance (~1.2e-4 on t or on 1/t)
            assert abs(got - want_r) < 2e-4 or abs(1 / got - 1 / want_r) < 2e-4
    if not math.isnan(row["chisq_p"]):
        yates = proportions.chisq_test(table, correct=True)
        plain = proportions.chisq_test(table, correct=False)
        assert close(yates.statistic, row["chisq_yates_stat"]) and close(
            yates.p, row["chisq_yates_p"]
        )
        assert close(plain.statistic, row["chisq_stat"]) and close(plain.p, row["chisq_p"])
    d, lo, hi = proportions.newcombe_diff(x1, n1, x2, n2)
    assert close(lo, row["newcombe_lower"]) and close(hi, row["newcombe_upper"])
    assert lo <= d <= hi
    d, lo, hi = proportions.wald_diff(x1, n1, x2, n2)
    assert close(lo, row["wald_lower"]) and close(hi, row["wald_upper"])


@pytest.mark.parametrize("row", fixture("tables_rxc.csv").to_dict("records"))
def test_rxc_fisher_is_exact_as_r_and_chisq_matches(row):
    cells = [int(v) for v in str(row["cells"]).split(";")]
    table = np.array(cells).reshape(int(row["nrow"]), int(row["ncol"]))
    try:
        p = proportions.fisher_exact_p(table, max_work=3_000_000)
    except proportions.FisherTooLarge:
        # the documented limit: only large tables (3x5 with n = 142 among these) exceed the budget
        assert table.size >= 12 and table.sum() >= 100
        return
    assert close(p, row["fisher_p"])
    assert close(proportions.fisher_exact_p(table.T), row["fisher_p"])
    res = proportions.chisq_test(table)
    if not math.isnan(row["chisq_p"]):
        assert close(res.statistic, row["chisq_stat"]) and close(res.p, row["chisq_p"])


def test_fisher_2x2_hand_hypergeometric():
    # [[3, 1], [1, 3]]: P(X=k) = C(4,k) C(4,4-k) / C(8,4) = 1, 16, 36, 16, 1 over 70;
    # tables at most as likely as the observed (16/70): k = 0, 1, 3, 4 -> 34/70
    assert proportions.fisher_exact_p([[3, 1], [1, 3]]) == pytest.approx(34 / 70, rel=1e-12)


def test_auto_rule_uses_fisher_below_expected_5():
    assert proportions.choose_test([[9, 1], [3, 7]], "auto") == "fisher"  # expected 4 in a cell
    assert proportions.choose_test([[43, 40], [18, 49]], "auto") == "chisq"
    assert proportions.choose_test([[43, 40], [18, 49]], "fisher") == "fisher"
    with pytest.raises(ValueError):
        proportions.choose_test([[1, 2], [3, 4]], "exact")


def test_degenerate_inputs():
    assert all(math.isnan(v) for v in proportions.clopper_pearson(0, 0))
    with pytest.raises(ValueError):
        proportions.clopper_pearson(3, 2)
    assert math.isnan(proportions.chisq_test([[5, 0], [3, 0]]).p)


def test_fisher_too_large_falls_back_to_chisq_under_auto():
    # a 4x6 table of 2,695 patients: beyond the default budget of the exact enumeration
    table = [
        [300, 200, 100, 50, 20, 5],
        [280, 210, 90, 60, 25, 4],
        [320, 190, 110, 40, 15, 6],
        [290, 205, 95, 55, 22, 3],
    ]
    with pytest.raises(proportions.FisherTooLarge):
        proportions.fisher_exact_p(table)
    res = proportions.contingency_test(table, "auto")
    assert res.test.startswith("chisq") and "Fisher too large" in res.test
    assert res.p == pytest.approx(proportions.chisq_test(table).p)
    assert math.isnan(proportions.contingency_test(table, "fisher").p)


@pytest.mark.parametrize("row", fixture("tables_rxc_random.csv").to_dict("records"))
def test_rxc_fisher_random_tables_match_r(row):
    cells = [int(v) for v in str(row["cells"]).split(";")]
    table = np.array(cells).reshape(int(row["nrow"]), int(row["ncol"]))
    try:
        p = proportions.fisher_exact_p(table, max_work=3_000_000)
    except proportions.FisherTooLarge:
        # the documented limit: only large tables (3x5 with n = 142 among these) exceed the budget
        assert table.size >= 12 and table.sum() >= 100
        return
    assert close(p, row["fisher_p"])


@pytest.mark.parametrize(
    "row", fixture("tables_fisher_large.csv").to_dict("records"), ids=lambda row: row["label"]
)
def test_fisher_larger_tables_match_r_within_the_default_budget(row):
    # tests/r/fisher_large_reference.R: 2x3 .. 3x4 tables of 50 to 1,000 patients, several of which
    # fisher.test solves only with workspace = 2e8; no FisherTooLarge with the default budget.
    # "3x4, n 600": R's FEXACT is 8.6e-7 (relative) above the full enumeration of its 476,325
    # partial tables (0.35279724298205), hence 1e-6 and not tighter.
    cells = [int(v) for v in str(row["cells"]).split(";")]
    table = np.array(cells).reshape(int(row["nrow"]), int(row["ncol"]))
    p = proportions.fisher_exact_p(table)
    assert p == pytest.approx(row["fisher_p"], rel=1e-6, abs=0)
    # rows and columns play the same part; an all-zero row or column is no category (as table())
    assert proportions.fisher_exact_p(table.T) == pytest.approx(p, rel=1e-9, abs=0)
