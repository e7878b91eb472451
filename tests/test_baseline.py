"""Table 1: rank tests against R (wilcox.test, kruskal.test), categorical tests against R
(fisher.test r x c, chisq.test), SMDs by hand."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from her2rwe.analyses import baseline
from her2rwe.analyses.baseline import Variable

FIXTURES = Path(__file__).parent / "fixtures"


def numbers(text, sep=";"):
    return np.array([float(v) for v in str(text).split(sep)])


@pytest.mark.parametrize("row", pd.read_csv(FIXTURES / "tables_wilcox.csv").to_dict("records"))
def test_wilcoxon_matches_r_defaults(row):
    res = baseline.wilcoxon_rank_sum(numbers(row["x"]), numbers(row["y"]))
    assert res.statistic == pytest.approx(row["W"], rel=1e-12)
    assert res.p == pytest.approx(row["p"], rel=1e-6)


def test_wilcoxon_exact_only_without_ties_and_below_50():
    assert baseline.wilcoxon_rank_sum([1, 2, 3], [4, 5, 6.5]).test == "wilcoxon (exact)"
    assert baseline.wilcoxon_rank_sum([1, 2, 3], [3, 5, 6]).test == "wilcoxon (normal, cc)"
    assert (
        baseline.wilcoxon_rank_sum(np.arange(50.0), np.arange(3.0) + 0.5).test
        == "wilcoxon (normal, cc)"
    )
    # hand: x = (1, 2), y = (3, 4): W = 0, 6 arrangements, P(W <= 0) = 1/6 -> two-sided 1/3
    assert baseline.wilcoxon_rank_sum([1, 2], [3, 4]).p == pytest.approx(1 / 3)


@pytest.mark.parametrize("row", pd.read_csv(FIXTURES / "tables_kruskal.csv").to_dict("records"))
def test_kruskal_matches_r(row):
    groups = [numbers(g, " ") for g in row["groups"].split(";")]
    res = baseline.kruskal_wallis(groups)
    assert res.statistic == pytest.approx(row["statistic"], rel=1e-6)
    assert res.df == row["df"]
    assert res.p == pytest.approx(row["p"], rel=1e-6)


def test_smd_by_hand():
    # continuous: means 2 and 4, variances 1 and 4 -> 2 / sqrt(2.5)
    assert baseline.smd_continuous([1, 2, 3], [2, 4, 6]) == pytest.approx(2 / math.sqrt(2.5))
    # binary: 0.3 / sqrt((0.25 + 0.16) / 2)
    assert baseline.smd_categorical([0.5, 0.5], [0.8, 0.2]) == pytest.approx(0.3 / math.sqrt(0.205))
    # three levels (Yang & Dalton): T = (-0.1, 0), S = [[0.225, -0.07], [-0.07, 0.16]], det 0.0311
    # T' S^-1 T = 0.01 * 0.16 / 0.0311
    assert baseline.smd_categorical([0.5, 0.3, 0.2], [0.4, 0.4, 0.2]) == pytest.approx(
        math.sqrt(0.01 * 0.16 / 0.0311)
    )


@pytest.fixture(scope="module")
def cohort():
    return pd.read_csv(FIXTURES / "tables_cohort.csv").astype({"age": "Int64", "ecog": "Int64"})


def test_table1_against_r(cohort):
    want = pd.read_csv(FIXTURES / "tables_cohort_baseline.csv").iloc[0]
    variables = [Variable("age", "continuous", "Age"), Variable("ecog", "categorical", "ECOG")]
    t = baseline.summarize_baseline(cohort, ["A", "B", "C"], variables)
    age = t[(t["variable"] == "age")].iloc[0]
    assert age["test"] == "kruskal" and age["p"] == pytest.approx(want["kruskal_age_p"], rel=1e-6)
    assert age["A__median"] == want["median_age_A"]
    assert age["A__q1"] == pytest.approx(want["q1_age_A"]) and age["A__q3"] == pytest.approx(
        want["q3_age_A"]
    )
    ecog = t[t["variable"] == "ecog"].iloc[0]
    expected_test = "fisher" if ecog["test"] == "fisher" else "chisq"
    assert ecog["p"] == pytest.approx(want[f"{expected_test}_ecog_p"], rel=1e-6)
    # fisher and chisq forced
    t_f = baseline.summarize_baseline(cohort, ["A", "B", "C"], variables[1:], test="fisher")
    assert t_f.iloc[0]["p"] == pytest.approx(want["fisher_ecog_p"], rel=1e-6)
    t_c = baseline.summarize_baseline(cohort, ["A", "B", "C"], variables[1:], test="chisq")
    assert t_c.iloc[0]["p"] == pytest.approx(want["chisq_ecog_p"], rel=1e-6)
    two = baseline.summarize_baseline(
        cohort[cohort["arm"].isin(["A", "B"])], ["A", "B"], variables[:1]
    )
    assert two.iloc[0]["p"] == pytest.approx(want["wilcox_age_AB_p"], rel=1e-6)
    assert two.iloc[0]["test"].startswith("wilcoxon")
    assert not math.isnan(two.iloc[0]["smd"])


def test_table1_counts_missing_and_formatting():
    data = pd.DataFrame(
        {
            "patient_id": list("abcdefg"),
            "arm": ["X", "X", "X", "Y", "Y", "Y", "Y"],
            "sex": pd.array(["F", "F", None, "M", "F", "M", "M"], dtype="string"),
            "age": pd.array([40, 50, 60, 30, None, 70, 80], dtype="Int64"),
        }
    )
    study = {"baseline": [{"name": "sex", "label": "Sex"}, "age"], "endpoints": []}
    variables = baseline.baseline_variables(data, study)
    assert [(v.name, v.type, v.label) for v in variables] == [
        ("sex", "categorical", "Sex"),
        ("age", "continuous", "age"),
    ]
    t = baseline.summarize_baseline(data, ["X", "Y"], variables).set_index(["variable", "level"])
    # sex in X: F 2 of 2 known (100%), 1 missing of 3 (33.3%); Y: F 1/4, M 3/4
    assert t.loc[("sex", "F"), "X"] == "2 (100.0%)"
    assert t.loc[("sex", "M"), "Y"] == "3 (75.0%)"
    assert t.loc[("sex", "Missing"), "X"] == "1 (33.3%)"
    assert t.loc[("sex", "F"), "Overall"] == "3 (50.0%)"
    # age X: 40, 50, 60 -> median 50 [45-55], range 40-60; Y: 30, 70, 80 (one missing)
    assert t.loc[("age", "Median [IQR]"), "X"] == "50 [45-55]"
    assert t.loc[("age", "Range"), "Y"] == "30-80"
    assert t.loc[("age", "Missing"), "Y__n"] == 1
    assert {"p", "test", "smd"} <= set(t.columns)


def test_type_inference():
    assert baseline.infer_type(pd.Series([0, 1, 2, 1], dtype="Int64")) == "categorical"
    assert baseline.infer_type(pd.Series(range(20), dtype="Int64")) == "continuous"
    assert baseline.infer_type(pd.Series([1.5, 2.5, 3.5])) == "continuous"
    assert baseline.infer_type(pd.Series(["a", "b"], dtype="string")) == "categorical"
    assert baseline.infer_type(pd.Series(range(20)), categorical=True) == "categorical"
