"""Log-rank, Cox and cox.zph against R survival 3.5.3 (fixtures from tests/r/survival_reference.R).

R calls: survdiff(Surv(time, event) ~ group [+ strata(s)]); coxph(..., ties = "efron"|"breslow")
with summary()/confint(); cox.zph(fit)$table; anova(f0, f1) for interactions. Relative 1e-6.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from her2rwe.stats import cox, logrank

FIX = Path(__file__).parent / "fixtures"
RTOL = 1e-6


def load(name: str) -> pd.DataFrame:
    return pd.read_csv(FIX / f"survival_data_{name}.csv")


def design(d: pd.DataFrame, spec: list[tuple[str, str]]):
    """Columns as R's model.matrix: ('num', col) numeric; ('fac', col) treatment dummies vs the
    first sorted level; ('grp', col) likewise, named as R names them."""
    cols, names, terms = [], [], {}
    for kind, col in spec:
        if kind == "num":
            terms[col] = [len(cols)]
            cols.append(d[col].to_numpy(float))
            names.append(col)
        else:
            levels = sorted(d[col].unique())
            label = f"factor({col})" if kind == "fac" else col
            terms[label] = []
            for lev in levels[1:]:
                terms[label].append(len(cols))
                cols.append((d[col] == lev).to_numpy(float))
                names.append(f"{label}{lev:g}" if isinstance(lev, float) else f"{label}{lev}")
    return np.column_stack(cols), names, terms


LUNG_NA = load("lung").dropna(subset=["ph_ecog"])
CASES = {
    "lung_sex": (load("lung"), [("grp", "group")], None),
    "lung_multi": (LUNG_NA, [("grp", "group"), ("num", "age"), ("fac", "ph_ecog")], None),
    "lung_strat": (LUNG_NA, [("grp", "group"), ("num", "age")], "ph_ecog"),
    "veteran_multi": (
        load("veteran"),
        [("grp", "group"), ("num", "karno"), ("num", "age"), ("grp", "celltype")],
        None,
    ),
    "veteran_strat": (load("veteran"), [("grp", "group")], "celltype"),
    "ovarian": (load("ovarian"), [("grp", "group"), ("num", "age")], None),
    "aml": (load("aml"), [("grp", "group")], None),
    "ties": (load("ties"), [("grp", "group"), ("num", "x")], None),
    "flat05": (load("flat05"), [("grp", "group")], None),
    "drop0": (load("drop0"), [("grp", "group")], None),
    "neartie": (load("neartie"), [("grp", "group")], None),
}


def fit_case(case: str, ties: str, keep_data: bool = False) -> cox.CoxFit:
    d, spec, strata = CASES[case]
    X, names, terms = design(d, spec)
    s = None if strata is None else d[strata].to_numpy()
    return cox.cox_ph(X, d["time"], d["event"], s, ties, names, terms, keep_data=keep_data)


COX = pd.read_csv(FIX / "survival_cox.csv")


@pytest.mark.parametrize("case,ties", list(COX.groupby(["case", "ties"], sort=False).groups))
def test_cox_matches_r_coxph(case, ties):
    exp = COX[(COX["case"] == case) & (COX["ties"] == ties)]
    fit = fit_case(case, ties)
    assert fit.names == list(exp["term"])
    lower, upper = fit.ci(0.95)
    got = {"coef": fit.coef, "se": fit.se, "hr": fit.hr, "lower": lower, "upper": upper, "p": fit.p}
    for col, val in got.items():
        np.testing.assert_allclose(val, exp[col], rtol=RTOL, err_msg=f"{case} {ties} {col}")
    np.testing.assert_allclose(
        [fit.loglik0, fit.loglik], exp[["loglik0", "loglik1"]].iloc[0], rtol=1e-9
    )
    assert fit.iterations == exp["iter"].iloc[0]
    assert fit.n == exp["n"].iloc[0] and fit.n_events == exp["nevent"].iloc[0]
    assert fit.converged and not fit.infinite.any()


ZPH = pd.read_csv(FIX / "survival_zph.csv")


@pytest.mark.parametrize("case,ties", list(ZPH.groupby(["case", "ties"], sort=False).groups))
def test_cox_zph_matches_r(case, ties):
    exp = ZPH[(ZPH["case"] == case) & (ZPH["ties"] == ties)]
    res = cox.cox_zph(fit_case(case, ties, keep_data=True))
    assert list(res) == list(exp["term"])
    got = np.array([res[t] for t in exp["term"]])
    np.testing.assert_allclose(got[:, 0], exp["chisq"], rtol=RTOL, err_msg=f"{case} {ties} chisq")
    np.testing.assert_array_equal(got[:, 1], exp["df"])
    np.testing.assert_allclose(got[:, 2], exp["p"], rtol=RTOL, err_msg=f"{case} {ties} p")


LR_CASES = {
    "veteran_strat": ("veteran", "celltype"),
    "lung_strat": ("lung", "ph_ecog"),
    "ties_strat": ("ties", "x_gt4"),
}


@pytest.mark.parametrize(
    "row", pd.read_csv(FIX / "survival_logrank.csv").to_dict("records"), ids=lambda r: r["case"]
)
def test_logrank_matches_r_survdiff(row):
    name, strata = LR_CASES.get(row["case"], (row["case"], None))
    d = load(name)
    if strata == "ph_ecog":
        d = d.dropna(subset=["ph_ecog"])
    s = None
    if strata == "x_gt4":
        s = (d["x"] > 4).to_numpy()
    elif strata:
        s = d[strata].to_numpy()
    res = logrank.logrank_test(d["time"], d["event"], d["group"], s)
    np.testing.assert_allclose([res.chisq, res.p], [row["chisq"], row["p"]], rtol=RTOL)
    assert res.df == row["df"]


@pytest.mark.parametrize(
    "row",
    pd.read_csv(FIX / "survival_interaction.csv").to_dict("records"),
    ids=lambda r: f"{r['case']}-{r['ties']}",
)
def test_interaction_lrt_matches_r_anova(row):
    d = load("veteran")
    var = row["case"].split("_")[1]
    X0, n0, _ = design(d, [("grp", "group"), ("grp", var)])
    arm = X0[:, :1]
    X1 = np.column_stack([X0, arm * X0[:, 1:]])
    f0 = cox.cox_ph(X0, d["time"], d["event"], ties=row["ties"])
    f1 = cox.cox_ph(X1, d["time"], d["event"], ties=row["ties"])
    chisq, df, p = cox.lr_test(f0, f1)
    np.testing.assert_allclose([chisq, p], [row["chisq"], row["p"]], rtol=RTOL)
    assert df == row["df"]


def test_zero_event_arm_flags_infinite_coefficient():
    # arm B of `noevent` has no events: R warns "coefficient may be infinite"; we flag it
    d = load("noevent")
    fit = cox.cox_ph((d["group"] == "B").to_numpy(float), d["time"], d["event"])
    assert fit.infinite.all()


def test_cox_row_order_invariant():
    d = load("veteran")
    X, _, _ = design(d, [("grp", "group"), ("num", "karno")])
    perm = np.random.default_rng(3).permutation(len(d))
    a = cox.cox_ph(X, d["time"], d["event"])
    b = cox.cox_ph(X[perm], d["time"].to_numpy()[perm], d["event"].to_numpy()[perm])
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-10)


@pytest.mark.parametrize("case,ties", list(ZPH.groupby(["case", "ties"], sort=False).groups))
def test_shared_risk_set_index_matches_r(case, ties):
    # one index for the rows, a one-column fit on it first (it fills the index's cox.zph time
    # transform), then the case's model on the same index: R's coef and cox.zph as before
    d, spec, strata = CASES[case]
    X, names, terms = design(d, spec)
    s = None if strata is None else d[strata].to_numpy()
    index = cox.risk_set_index(d["time"], d["event"], s)
    cox.cox_zph(cox.cox_ph(X[:, :1], None, None, ties=ties, keep_data=True, index=index))
    fit = cox.cox_ph(X, None, None, None, ties, names, terms, keep_data=True, index=index)
    exp = COX[(COX["case"] == case) & (COX["ties"] == ties)]
    np.testing.assert_allclose(fit.coef, exp["coef"], rtol=RTOL)
    np.testing.assert_allclose(fit.se, exp["se"], rtol=RTOL)
    assert fit.n == exp["n"].iloc[0] and fit.n_events == exp["nevent"].iloc[0]
    res = cox.cox_zph(fit)
    exp = ZPH[(ZPH["case"] == case) & (ZPH["ties"] == ties)]
    np.testing.assert_allclose([res[t][0] for t in exp["term"]], exp["chisq"], rtol=RTOL)
    # and the very same numbers as a fit that sorts for itself
    alone = fit_case(case, ties, keep_data=True)
    assert np.array_equal(fit.coef, alone.coef) and np.array_equal(fit.var, alone.var)
    assert res == cox.cox_zph(alone)


def test_risk_set_index_takes_complete_rows_only():
    with pytest.raises(ValueError, match="complete rows"):
        cox.risk_set_index([1.0, np.nan, 3.0], [1, 0, 1])
    index = cox.risk_set_index([1.0, 2.0, 3.0], [1, 0, 1])
    with pytest.raises(ValueError, match="index's rows"):
        cox.cox_ph(np.array([[0.0], [1.0]]), None, None, index=index)
