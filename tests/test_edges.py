"""Statistics at the edges (issue 12), against R (tests/r/edge_cases.R -> tests/fixtures/
edge_cases.csv): missing rows, an arm without events, all events at one time, clipped and truncated
intervals, and tiny studies that must run without a crash or an escaping RuntimeWarning."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from her2rwe.analyses import survival
from her2rwe.config import study_settings
from her2rwe.stats import cox, km, logrank, proportions

FIXTURES = Path(__file__).resolve().parent / "fixtures"
R = pd.read_csv(FIXTURES / "edge_cases.csv").set_index(["case", "quantity"])["value"]


def r(case, quantity):
    return float(R[(case, quantity)])


@pytest.fixture(autouse=True)
def warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def nan_rows():
    d = pd.read_csv(FIXTURES / "edge_data_nan_rows.csv", na_values="NA")
    return d


def test_logrank_drops_rows_with_a_missing_value_as_r():
    d = nan_rows()
    lr = logrank.logrank_test(d["time"], d["event"], d["arm"])
    assert lr.chisq == pytest.approx(r("nan_rows", "logrank_chisq"), rel=1e-9)
    assert lr.observed.sum() == d.dropna(subset=["time", "event"])["event"].sum()


def test_logrank_drops_rows_with_a_missing_group():
    d = nan_rows()
    group = d["arm"].astype(object)
    group.iloc[0] = None
    full = logrank.logrank_test(d["time"].iloc[1:], d["event"].iloc[1:], d["arm"].iloc[1:])
    dropped = logrank.logrank_test(d["time"], d["event"], group)
    assert dropped.chisq == pytest.approx(full.chisq, rel=1e-12)


def test_cox_ph_drops_rows_with_a_missing_value_as_r():
    d = nan_rows()
    X = np.c_[(d["arm"] == "B").astype(float), d["age"]]
    fit = cox.cox_ph(X, d["time"], d["event"], names=["armB", "age"])
    assert fit.n == r("nan_rows", "cox_n")
    assert fit.coef[0] == pytest.approx(r("nan_rows", "cox_coef_armB"), abs=1e-6)
    assert fit.coef[1] == pytest.approx(r("nan_rows", "cox_coef_age"), abs=1e-6)


def test_cox_zph_not_estimable_when_all_events_are_at_one_time():
    assert r("zph_one_event_time", "r_stops") == 1  # R's cox.zph stops
    time = np.array([5, 5, 5, 7, 8, 9.0])
    event = np.array([1, 1, 1, 0, 0, 0])
    x = np.array([0, 1, 0, 1, 0, 1.0])
    fit = cox.cox_ph(x, time, event, keep_data=True)
    zph = cox.cox_zph(fit)
    assert np.isnan(zph["x1"][0]) and np.isnan(zph["x1"][2])
    assert np.isnan(zph["GLOBAL"][2])


def test_arm_without_events_keeps_the_estimable_terms_as_r():
    d = pd.read_csv(FIXTURES / "edge_data_noevent_arm.csv")
    d["patient_id"] = [f"P{i}" for i in range(len(d))]
    d["pfs_source"] = "x"
    study = study_settings(
        {"arms": {"column": "arm"}, "endpoints": ["pfs"], "covariates": ["age", "ecog"]}
    )
    rows = survival.summarize_survival(d, study).cox_models
    multi = rows[rows["model"] == "multivariable"].set_index("term")
    assert np.isnan(multi.loc["arm", "hr"])
    assert "armB: no events in the level" in multi.loc["arm", "note"]
    case = "noevent_arm_multivariable"
    for term in ("age", "ecog"):
        got = multi.loc[term]
        for col, q in (("hr", "hr"), ("hr_lower", "lower"), ("hr_upper", "upper"), ("p", "p")):
            assert got[col] == pytest.approx(r(case, f"{term}_{q}"), rel=1e-6), (term, col)


@pytest.mark.parametrize("case, x1, n1, x2, n2", [("wald_9of10_1of10", 9, 10, 1, 10),
                                                  ("wald_0of3_10of10", 0, 3, 10, 10)])  # fmt: skip
def test_wald_difference_ci_is_clipped_as_prop_test(case, x1, n1, x2, n2):
    _, lo, hi = proportions.wald_diff(x1, n1, x2, n2)
    assert lo == pytest.approx(r(case, "lower"), abs=1e-12)
    assert hi == pytest.approx(r(case, "upper"), abs=1e-12)


def test_spss_median_lower_limit_is_truncated_at_zero():
    # Hand calculation: 4 patients, events at 1, 2, 3, 4 -> S = .75, .5, .25, 0; S is .5 on
    # [2, 3), so the median is the midpoint 2.5 (R's quantile.survfit).
    # u = 1 (S = .75 >= .55), l = 3 (S = .25 <= .45): f = (.75 - .25) / (3 - 1) = .25.
    # Var S = .5^2 * (1/(4*3) + 1/(3*2)) = .0625; SE = .25 / .25 = 1.
    # 2.5 - 1.96 * 1 = 0.54 > 0: not truncated; with 99.9 %: 2.5 - 3.29 < 0 -> 0.
    fit = km.kaplan_meier([1, 2, 3, 4.0], [1, 1, 1, 1])
    est, lower, upper, se = km.spss_quantile(fit, 0.5, 0.95)
    assert (est, se) == (2.5, pytest.approx(1.0, rel=1e-12))
    assert lower == pytest.approx(2.5 - 1.959963984540054, rel=1e-12)
    est, lower, upper, se = km.spss_quantile(fit, 0.5, 0.999)
    assert lower == 0.0 and upper == pytest.approx(2.5 + 3.290526731491926, rel=1e-12)



def test_spss_percentile_where_survival_is_zero_has_no_interval():
    # Hand calculation: 3 patients, events at 1, 2, 3 -> S = 2/3, 1/3, 0. The 75th percentile
    # (S <= .25) is reached at t = 3, where S = 0: Greenwood's variance S^2 * sum d/(n(n-d)) has
    # the term 1/(1*0), so the SE (and the interval) are not estimable. SPSS prints no limits;
    # a lower limit of 0 (0 - z * NaN, then truncated) would be a number made up.
    fit = km.kaplan_meier([1, 2, 3.0], [1, 1, 1])
    est, lower, upper, se = km.spss_quantile(fit, 0.75, 0.95)
    assert est == 3.0
    assert np.isnan(lower) and np.isnan(upper) and np.isnan(se)

def tiny(arms, covariates=()):
    n = len(arms)
    return pd.DataFrame(
        {
            "patient_id": [f"P{i}" for i in range(n)],
            "arm": arms,
            "pfs_months": np.linspace(1, 9, n),
            "pfs_event": np.ones(n, dtype="int8"),
            "pfs_source": "x",
            "age": np.linspace(40, 80, n),
        }
    ), study_settings(
        {"arms": {"column": "arm"}, "endpoints": ["pfs"], "covariates": list(covariates)}
    )


@pytest.mark.parametrize(
    "arms, covariates",
    [(["A", "B"], ["age"]), (["A", "B"], []), (["A", "A", "A", "B"], ["age"]), (["A"], ["age"])],
)
def test_one_patient_arms_run_without_crash_or_warning(arms, covariates):
    data, study = tiny(arms, covariates)
    results = survival.summarize_survival(data, study)
    assert len(results.survival) >= 1
    notes = " ".join(results.cox_models["note"]) if len(results.cox_models) else ""
    assert "Traceback" not in notes
