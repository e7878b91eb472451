"""Survival analysis of a study: the tidy tables of docs/outputs.md from the analysis dataset.

prepare -> compute -> arrange: :func:`summarize_survival` takes the analysis dataset (one row per
patient, ``{ep}_months`` and ``{ep}_event`` per endpoint) and the validated study block, and returns
unrounded tables; :func:`format_tables` turns them into Markdown through ``her2rwe.formatting``.

Estimators (docs/methods.md): Kaplan-Meier with Greenwood variance (``her2rwe.stats.km``, as R survfit),
log-rank (``her2rwe.stats.logrank``, as survdiff), Cox PH (``her2rwe.stats.cox``, as coxph) with the PH test of
cox.zph. The study's ``ci_method`` selects the CI of the survival curve and its percentiles:
``log-log``, ``log`` or ``plain`` as R's ``conf.type``; ``spss`` gives percentiles +/- z * SE
(Klein-Moeschberger SE) and symmetric (plain) bands for the curve and landmarks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from her2rwe.config import study_settings
from her2rwe.derive.dataset import arm_levels, reference_arm
from her2rwe.derive.endpoints import endpoint_name
from her2rwe.formatting import LevelLabels, level_text, risk_table_interval
from her2rwe.stats import cox, km, logrank

PH_ALPHA = 0.05

SURVIVAL_COLUMNS = [
    "endpoint", "split", "group", "arm", "n", "events", "censored",
    "median", "median_lower", "median_upper", "q25", "q25_lower", "q25_upper",
    "q75", "q75_lower", "q75_upper", "rmst", "rmst_se", "rmst_tau",
    "followup_median", "followup_lower", "followup_upper", "ci_method", "conf_level", "note",
]  # fmt: skip
LANDMARK_COLUMNS = [
    "endpoint", "split", "group", "time", "n_risk", "surv", "surv_lower", "surv_upper", "surv_se",
]  # fmt: skip
COMPARISON_COLUMNS = [
    "endpoint", "arm", "reference", "n", "events", "hr", "hr_lower", "hr_upper", "hr_p",
    "logrank_chisq", "logrank_df", "logrank_p", "ties", "strata", "ph_p", "ph_flag", "note",
]  # fmt: skip
COX_COLUMNS = [
    "endpoint", "model", "term", "level", "reference_level", "n", "events", "hr", "hr_lower",
    "hr_upper", "p", "ph_p", "ph_flag", "note",
]  # fmt: skip
SUBGROUP_COLUMNS = [
    "endpoint", "variable", "label", "level", "group", "reference", "n", "events", "n_reference",
    "events_reference", "median", "median_lower", "median_upper", "hr", "hr_lower", "hr_upper",
    "hr_p", "interaction_p", "contrast", "note",
]  # fmt: skip
CURVE_COLUMNS = [
    "endpoint", "split", "group", "time", "n_risk", "n_event", "n_censor", "surv", "surv_lower",
    "surv_upper",
]  # fmt: skip
RISK_COLUMNS = ["endpoint", "split", "group", "time", "n_risk", "cum_events"]


@dataclass
class SurvivalResults:
    survival: pd.DataFrame
    landmarks: pd.DataFrame
    comparisons: pd.DataFrame
    cox_models: pd.DataFrame
    subgroup_survival: pd.DataFrame
    km_curves: pd.DataFrame
    risk_table: pd.DataFrame


@dataclass
class Settings:
    ci_method: str
    conf_level: float
    landmarks: list[float]
    rmst_tau: float | None
    ties: str
    strata: list[str]
    risk_interval: float | None  # None: chosen from the follow-up (risk_table_interval)
    xmax: float | None

    @property
    def band_type(self) -> str:
        """conf.type of the curve's pointwise band: spss prints symmetric (plain) intervals."""
        return "plain" if self.ci_method == "spss" else self.ci_method

    @classmethod
    def from_study(cls, study: Mapping[str, Any]) -> Settings:
        study = study_settings(study)
        figures = study["figures"] or {}
        return cls(
            ci_method=study["ci_method"],
            conf_level=float(study["conf_level"]),
            landmarks=[float(x) for x in study["landmarks"]],
            rmst_tau=study.get("rmst_tau"),
            ties=study["ties"],
            strata=list(study["strata"] or []),
            risk_interval=_optional_float(figures.get("risk_table_interval")),
            xmax=figures.get("xmax"),
        )


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


# ------------------------------------------------------------------------------------------------
# one group: Kaplan-Meier summaries


def _nan_note(n: int, events: int) -> str:
    if n == 0:
        return "no patients"
    if events == 0:
        return "all patients censored: median and survival percentiles not estimable"
    return ""


def summarize_group(
    time: np.ndarray, event: np.ndarray, settings: Settings, tau: float | None
) -> tuple[dict[str, Any], km.KMFit]:
    """n, events, percentiles with CI, RMST and reverse-KM follow-up of one group."""
    fit = km.kaplan_meier(time, event, settings.band_type, settings.conf_level, fix_times=False)
    n, events = fit.n, fit.events
    row: dict[str, Any] = {"n": n, "events": events, "censored": n - events}
    rev = km.reverse_km(fit)
    if settings.ci_method == "spss":
        q = np.array([km.spss_quantile(fit, p, settings.conf_level)[:3] for p in (0.5, 0.25, 0.75)])
        fu = km.spss_quantile(rev, 0.5, settings.conf_level)[:3] if n else (np.nan,) * 3
    else:
        q = km.km_quantiles(fit, (0.5, 0.25, 0.75)) if n else np.full((3, 3), np.nan)
        fu = km.km_quantiles(rev, (0.5,))[0] if n else (np.nan,) * 3
    for i, name in enumerate(("median", "q25", "q75")):
        row[name], row[f"{name}_lower"], row[f"{name}_upper"] = q[i]
    notes = [_nan_note(n, events)]
    if n and not np.isnan(row["median"]) and np.isnan(row["median_upper"]):
        notes.append("upper confidence limit of the median not reached")
    if n and events and np.isnan(row["median"]):
        notes.append("median not reached")
    if tau is not None and n:
        row["rmst"], row["rmst_se"] = km.rmst(fit, tau)
        row["rmst_tau"] = tau
        if tau > fit.time[-1] and fit.surv[-1] > 0:
            notes.append(
                f"RMST: tau {tau:g} is beyond this group's last follow-up ({fit.time[-1]:g})"
            )
    else:
        row["rmst"] = row["rmst_se"] = np.nan
        row["rmst_tau"] = tau if tau is not None else np.nan
    row["followup_median"], row["followup_lower"], row["followup_upper"] = fu
    row["note"] = "; ".join(x for x in notes if x)
    return row, fit


def _curve_rows(fit: km.KMFit) -> dict[str, np.ndarray]:
    return {
        "time": np.r_[0.0, fit.time],
        "n_risk": np.r_[fit.n, fit.n_risk],
        "n_event": np.r_[0.0, fit.n_event],
        "n_censor": np.r_[0.0, fit.n_censor],
        "surv": np.r_[1.0, fit.surv],
        "surv_lower": np.r_[1.0, fit.lower],
        "surv_upper": np.r_[1.0, fit.upper],
    }


def _risk_ticks_of(fit: km.KMFit, ticks: np.ndarray) -> dict[str, np.ndarray]:
    """:func:`_risk_ticks` read off the group's KM fit (its counts per distinct time), no sort."""
    at = np.searchsorted(fit.time, ticks, side="left")
    upto = np.searchsorted(fit.time, ticks, side="right")
    n_risk = np.r_[fit.n_risk, 0.0][at].astype(np.int64)
    cum_events = np.r_[0.0, np.cumsum(fit.n_event)][upto].astype(np.int64)
    return {"time": ticks, "n_risk": n_risk, "cum_events": cum_events}


def _risk_ticks(time: np.ndarray, event: np.ndarray, ticks: np.ndarray) -> dict[str, np.ndarray]:
    st = np.sort(time)
    n_risk = len(st) - np.searchsorted(st, ticks, side="left")
    et = np.sort(time[event > 0])
    return {"time": ticks, "n_risk": n_risk, "cum_events": np.searchsorted(et, ticks, side="right")}


# ------------------------------------------------------------------------------------------------
# groups of a study


def _labels(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Integer codes (-1 = missing) and the text of each level, by hashing (no string ops)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes, [level_text(u) for u in uniques]


def _column_values(data: pd.DataFrame, col: str) -> pd.Series:
    """A column as text labels (object dtype, None where missing), as it prints."""
    codes, names = _labels(data[col])
    lookup = np.array([*names, None], dtype=object)
    return pd.Series(lookup[codes], index=data.index, dtype=object)


def _arm_array(data: pd.DataFrame, columns: ColumnLabels | None = None) -> np.ndarray:
    """The arm of every row as an object array, missing as '' (never a group of its own)."""
    if columns is not None:
        return columns.arm_array(data)
    return _column_values(data, "arm").fillna("").to_numpy(dtype=object)


class ColumnLabels:
    """The text labels of a frame's columns, made once per column (the arm column is read by every
    table of every endpoint). Another frame (a subgroup table's relabelled copy) is not kept."""

    def __init__(self, data: pd.DataFrame):
        self.data = data
        self._values: dict[str, pd.Series] = {}
        self._arms: np.ndarray | None = None

    def values(self, data: pd.DataFrame, col: str) -> pd.Series:
        if data is not self.data:
            return _column_values(data, col)
        if col not in self._values:
            self._values[col] = _column_values(data, col)
        return self._values[col]

    def arm_array(self, data: pd.DataFrame) -> np.ndarray:
        if data is not self.data:
            return _arm_array(data)
        if self._arms is None:
            self._arms = self.values(data, "arm").fillna("").to_numpy(dtype=object)
        return self._arms


def _match(data: pd.DataFrame, spec: Mapping[str, Any]) -> np.ndarray:
    """Rows where every column equals the value (or one of the values)."""
    mask = np.ones(len(data), dtype=bool)
    for col, value in spec.items():
        values = value if isinstance(value, list) else [value]
        s = _column_values(data, col)
        mask &= s.isin([str(v) for v in values]).fillna(False).to_numpy(dtype=bool)
    return mask


def _levels(data: pd.DataFrame, sg: Mapping[str, Any]) -> list[str]:
    s = _column_values(data, sg["variable"])
    if sg.get("levels"):
        return [level_text(v) for v in sg["levels"]]
    return sorted(s.dropna().unique().tolist())


def _display_levels(data: pd.DataFrame, sg: Mapping[str, Any], study: Mapping[str, Any]) -> list[str]:
    """A subgroup's levels in display order: its `levels`, else those listed under `display` for
    its variable, then the others sorted (the reference level stays the first of `_levels`)."""
    levels = _levels(data, sg)
    return levels if sg.get("levels") else LevelLabels.of(study).order(sg["variable"], levels)


def study_groups(
    data: pd.DataFrame, study: Mapping[str, Any], columns: ColumnLabels | None = None
) -> list[tuple[str, str, np.ndarray]]:
    """(split, group, row mask) for the arms, the whole cohort, and subgroups with km: true."""
    study = study_settings(study)
    arms = columns.values(data, "arm") if columns is not None else _column_values(data, "arm")
    levels = arm_levels(study, sorted(arms.dropna().unique().tolist()))
    groups = [("arm", a, (arms == a).fillna(False).to_numpy(bool)) for a in levels]
    groups.append(("overall", "All", np.ones(len(data), dtype=bool)))
    multi = len(levels) > 1
    for sg in study["subgroups"] or []:
        if not sg["km"]:
            continue
        var = sg["variable"]
        if sg.get("compare"):
            for label, spec in sg["compare"]["groups"].items():
                groups.append((var, label, _match(data, spec)))
            continue
        s = _column_values(data, var)
        for lev in _display_levels(data, sg, study):
            in_level = (s == lev).fillna(False).to_numpy(bool)
            if multi:
                for a in levels:
                    groups.append(
                        (var, f"{lev}, {a}", in_level & (arms == a).fillna(False).to_numpy(bool))
                    )
            else:
                groups.append((var, lev, in_level))
    return groups


def default_tau(
    data: pd.DataFrame, ep: str, study: Mapping[str, Any], columns: ColumnLabels | None = None
) -> float | None:
    """The smallest of the arms' largest follow-up times (schema default of rmst_tau)."""
    study = study_settings(study)
    t = data[f"{ep}_months"].to_numpy(dtype=float, na_value=np.nan)
    arms = _arm_array(data, columns)
    maxima = [
        np.nanmax(t[arms == a])
        for a in pd.unique(arms)
        if a != "" and np.isfinite(t[arms == a]).any()
    ]
    return float(min(maxima)) if maxima else None


# ------------------------------------------------------------------------------------------------
# Cox models


def _design(
    data: pd.DataFrame,
    covariates: Sequence[str],
    study: Mapping[str, Any],
    columns: dict[str, tuple] | None = None,
) -> tuple[np.ndarray, list[tuple[str, str, str]], dict[str, list[int]], np.ndarray]:
    """Design matrix with categorical covariates expanded against their reference level.

    Returns X, per column (term, level, reference_level), term -> columns, and the complete-case
    mask. A covariate is categorical when listed in `categorical` or when it is not numeric.
    ``columns`` keeps each covariate's columns for the next design of the same data and study.
    """
    cols: list[np.ndarray] = []
    labels: list[tuple[str, str, str]] = []
    terms: dict[str, list[int]] = {}
    ok = np.ones(len(data), dtype=bool)
    for var in covariates:
        if columns is not None and var in columns:
            var_cols, var_labels, var_ok = columns[var]
        else:
            var_cols, var_labels, var_ok = _design_columns(data, var, study)
            if columns is not None:
                columns[var] = (var_cols, var_labels, var_ok)
        ok &= var_ok
        terms[var] = list(range(len(cols), len(cols) + len(var_cols)))
        cols += var_cols
        labels += var_labels
    X = np.column_stack(cols) if cols else np.zeros((len(data), 0))
    return X, labels, terms, ok


def _design_columns(
    data: pd.DataFrame, var: str, study: Mapping[str, Any]
) -> tuple[list[np.ndarray], list[tuple[str, str, str]], np.ndarray]:
    """The design columns of one covariate, their (term, level, reference_level) and its
    non-missing mask."""
    refs = {k: str(v) for k, v in (study["reference_levels"] or {}).items()}
    s = data[var]
    numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
    if var in set(study["categorical"] or []) or not numeric:
        codes, names = _labels(s)
        present = sorted(names, key=_level_key)
        ref = refs.get(var, present[0] if present else "")
        levels = [lev for lev in present if lev != ref]
        cols = [(codes == names.index(lev)).astype(float) for lev in levels]
        return cols, [(var, lev, ref) for lev in levels], codes >= 0
    x = s.to_numpy(dtype=float, na_value=np.nan)
    return [x], [(var, "", "")], ~np.isnan(x)


def _level_key(v: str):
    try:
        return (0, float(v), v)
    except ValueError:
        return (1, 0.0, v)


def _strata_codes(
    data: pd.DataFrame, strata: Sequence[str]
) -> tuple[np.ndarray | None, np.ndarray]:
    if not strata:
        return None, np.ones(len(data), dtype=bool)
    key = np.zeros(len(data), dtype=np.int64)
    ok = np.ones(len(data), dtype=bool)
    for col in strata:
        codes, names = _labels(data[col])
        ok &= codes >= 0
        key = key * (len(names) + 1) + (codes + 1)
    return key, ok


def fit_cox(
    X: np.ndarray,
    time: np.ndarray,
    event: np.ndarray,
    strata: np.ndarray | None,
    ties: str,
    names: list[str],
    terms: dict[str, list[int]],
    ph_test: bool = True,
    index: cox.RiskSetIndex | None = None,
) -> tuple[cox.CoxFit | None, dict[str, tuple[float, int, float]], str]:
    """A Cox fit with its PH test, or None with the reason when it cannot be estimated.

    A dummy column without events on one side has an infinite MLE (R: "coefficient may be
    infinite"); R still reports the other coefficients of the model, and so does this: the fit comes
    back with ``fit.infinite`` set for the columns that are not estimable and the reason in the
    third value (callers show those columns as not estimable and the others as fitted).
    ``index``: the rows' :func:`cox.risk_set_index`, shared with other fits (see :class:`CoxCache`).
    """
    if int(np.sum(event)) == 0:
        return None, {}, "no events: hazard ratio not estimable"
    flagged = np.zeros(len(names), dtype=bool)
    reasons = []
    for j, nm in enumerate(names):
        x = X[:, j]
        if np.all(x == x[0]):
            return None, {}, f"{nm}: no variation; hazard ratio not estimable"
        if np.all((x == 0) | (x == 1)):
            for side in (0.0, 1.0):
                if np.any(x == side) and not np.any(event[x == side] > 0):
                    where = "in the level" if side else "outside the level"
                    flagged[j] = True
                    reasons.append(f"{nm}: no events {where}; hazard ratio not estimable")
    fit = cox.cox_ph(
        X, time, event, strata, ties, names, terms, keep_data=ph_test, fix_times=False, index=index
    )
    if not fit.converged:
        return None, {}, f"Cox model did not converge in {fit.iterations} iterations"
    infinite = fit.infinite & ~flagged
    if infinite.any():
        bad = ", ".join(n for n, f in zip(names, infinite, strict=True) if f)
        reasons.append(f"coefficient may be infinite ({bad}); hazard ratio not estimable")
    fit.infinite = fit.infinite | flagged
    ph = {}
    if ph_test and not fit.infinite.any():
        try:
            ph = cox.cox_zph(fit)
        except np.linalg.LinAlgError:
            ph = {}
    fit._data = fit._final = None
    return fit, ph, "; ".join(reasons)


class CoxCache:
    """Work shared by the Cox fits of one endpoint: one sort and risk-set index per set of rows
    (the univariable and multivariable models of complete data share theirs), and a fit repeated
    with the same rows and design (the arm comparison and the univariable arm model) done once;
    also the medians of the survival table's groups, which the subgroup table repeats. The same
    numbers as computing each again: each depends only on its rows, design and settings."""

    def __init__(self, ep: str, columns: ColumnLabels | None = None):
        self.ep = ep
        self.columns = columns
        self._indexes: dict[bytes, cox.RiskSetIndex] = {}
        self._fits: dict[tuple, tuple] = {}
        self.comparisons: dict[tuple, dict[str, Any]] = {}  # compare_arms rows
        self.medians: dict[bytes, tuple] = {}  # median and CI of the survival table's groups

    @staticmethod
    def digest(a: np.ndarray) -> bytes:
        import hashlib

        a = np.ascontiguousarray(a)
        return hashlib.blake2b(a.view(np.uint8), digest_size=16).digest() + str(a.shape).encode()

    def fit(self, sel, X, time, event, strata, ties, names, terms):
        """fit_cox of the rows `sel` of this endpoint (time, event, strata and X already subset)."""
        rows = self.digest(sel)
        # only a one-column design repeats (the arm): wider ones are not kept
        key = (rows, self.digest(X), ties, tuple(terms)) if X.shape[1] == 1 else None
        if key in self._fits:
            cached_names, result = self._fits[key]
            if cached_names == list(names) or not result[2]:  # names appear only in reasons
                return result
        if rows not in self._indexes:
            if int(np.sum(event)) == 0:  # fit_cox stops before fitting
                return fit_cox(X, time, event, strata, ties, names, terms)
            self._indexes[rows] = cox.risk_set_index(time, event, strata, fix_times=False)
        result = fit_cox(X, time, event, strata, ties, names, terms, index=self._indexes[rows])
        if key is not None:
            self._fits[key] = (list(names), result)
        return result


def _cox(cache: CoxCache | None, ep: str, sel, X, time, event, strata, ties, names, terms):
    """fit_cox through the endpoint's cache when there is one."""
    if cache is None or cache.ep != ep:
        return fit_cox(X, time, event, strata, ties, names, terms)
    return cache.fit(sel, X, time, event, strata, ties, names, terms)


def _endpoint_arrays(data: pd.DataFrame, ep: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = data[f"{ep}_months"].to_numpy(dtype=float, na_value=np.nan)
    e = data[f"{ep}_event"].to_numpy(dtype=float, na_value=np.nan)
    ok = ~(np.isnan(t) | np.isnan(e))
    return t, e, ok


def compare_arms(
    data: pd.DataFrame,
    ep: str,
    arm: str,
    reference: str,
    settings: Settings,
    mask=None,
    cache: CoxCache | None = None,
) -> dict[str, Any]:
    """Log-rank and Cox HR of `arm` vs `reference` (stratified when the study names strata)."""
    t, e, ok = _endpoint_arrays(data, ep)
    arms = _arm_array(data, None if cache is None else cache.columns)
    sel = ok & np.isin(arms, [arm, reference])
    if mask is not None:
        sel &= mask
    if cache is None or cache.ep != ep:
        return _compare(data, ep, arm, reference, settings, t, e, arms, sel, None)
    # the same comparison again (a subgroup table's overall row): same rows and arms, same row
    key = (arm, reference, cache.digest(sel), cache.digest(arms[sel] == arm))
    if key not in cache.comparisons:
        cache.comparisons[key] = _compare(
            data, ep, arm, reference, settings, t, e, arms, sel, cache
        )
    return dict(cache.comparisons[key])


def _compare(data, ep, arm, reference, settings, t, e, arms, sel, cache) -> dict[str, Any]:
    strata, s_ok = _strata_codes(data, settings.strata)
    notes = []
    if strata is not None and (sel & ~s_ok).any():
        notes.append(f"{int((sel & ~s_ok).sum())} patients with missing strata excluded")
    sel &= s_ok
    row: dict[str, Any] = {
        "endpoint": ep, "arm": arm, "reference": reference, "n": int(sel.sum()),
        "events": int(e[sel].sum()), "ties": settings.ties, "strata": "+".join(settings.strata),
    }  # fmt: skip
    x = (arms[sel] == arm).astype(float)
    s = None if strata is None else strata[sel]
    for k in ("hr", "hr_lower", "hr_upper", "hr_p", "logrank_chisq", "logrank_p", "ph_p"):
        row[k] = np.nan
    row["logrank_df"] = np.nan
    row["ph_flag"] = False
    if x.sum() == 0 or x.sum() == len(x):
        notes.append("one of the two arms has no patients: not comparable")
        row["note"] = "; ".join(notes)
        return row
    lr = logrank.logrank_test(t[sel], e[sel], x, s, fix_times=False)
    if lr.df > 0:
        row.update(logrank_chisq=lr.chisq, logrank_df=lr.df, logrank_p=lr.p)
    else:
        notes.append("no events: log-rank test not defined")
    for side, label in ((1.0, arm), (0.0, reference)):
        if e[sel][x == side].sum() == 0:
            notes.append(f"no events in arm {label}: hazard ratio not estimable")
    if not any("hazard ratio" in n for n in notes):
        fit, ph, why = _cox(
            cache, ep, sel, x[:, None], t[sel], e[sel], s, settings.ties, [arm], {"arm": [0]}
        )
        if fit is None or fit.infinite[0]:
            notes.append(why)
        else:
            lo, hi = fit.ci(settings.conf_level)
            row.update(hr=fit.hr[0], hr_lower=lo[0], hr_upper=hi[0], hr_p=fit.p[0])
            if ph:
                row["ph_p"] = ph["GLOBAL"][2]
                row["ph_flag"] = bool(ph["GLOBAL"][2] < PH_ALPHA)
    row["note"] = "; ".join(notes)
    return row


def cox_model_rows(
    data: pd.DataFrame,
    ep: str,
    study: Mapping[str, Any],
    settings: Settings,
    cache: CoxCache | None = None,
) -> list[dict[str, Any]]:
    """Univariable (each term alone) and multivariable (arm + covariates) Cox models."""
    study = study_settings(study)
    covariates = list(study["covariates"] or [])
    columns = None if cache is None else cache.columns
    arms = columns.values(data, "arm") if columns is not None else _column_values(data, "arm")
    arm_present = sorted(arms.dropna().unique().tolist())
    terms_list = (["arm"] if len(arm_present) > 1 else []) + covariates
    if not terms_list:
        return []
    ref_arm = reference_arm(study, arm_present)
    rows: list[dict[str, Any]] = []
    t, e, ok = _endpoint_arrays(data, ep)
    strata, s_ok = _strata_codes(data, settings.strata)
    spec = dict(study)
    spec["reference_levels"] = {**(study["reference_levels"] or {}), "arm": ref_arm}
    spec["categorical"] = list(study["categorical"] or []) + ["arm"]
    models = [("univariable", [v]) for v in terms_list]
    if len(terms_list) > 1:
        models.append(("multivariable", terms_list))
    design_columns: dict[str, tuple] = {}  # each covariate's design columns, made once
    for model, variables in models:
        X, labels, terms, cc = _design(data, variables, spec, design_columns)
        sel = ok & s_ok & cc
        n, events = int(sel.sum()), int(e[sel].sum())
        names = [f"{v}{lev}" for v, lev, _ in labels]
        Xs = X if sel.all() else X[sel]
        fit, ph, why = (
            (None, {}, "no complete cases")
            if n == 0
            else _cox(
                cache,
                ep,
                sel,
                Xs,
                t[sel],
                e[sel],
                None if strata is None else strata[sel],
                settings.ties,
                names,
                terms,
            )
        )
        if fit is not None:
            lo, hi = fit.ci(settings.conf_level)
        for j, (var, lev, ref) in enumerate(labels):
            row = {
                "endpoint": ep, "model": model, "term": var, "level": lev,
                "reference_level": ref, "n": n, "events": events,
            }  # fmt: skip
            if fit is None or fit.infinite[j]:
                row.update(hr=np.nan, hr_lower=np.nan, hr_upper=np.nan, p=np.nan, ph_p=np.nan,
                           ph_flag=False, note=why)  # fmt: skip
            else:
                php = ph.get(var, (np.nan, 0, np.nan))[2]
                row.update(hr=fit.hr[j], hr_lower=lo[j], hr_upper=hi[j], p=fit.p[j], ph_p=php,
                           ph_flag=bool(php < PH_ALPHA), note="")  # fmt: skip
            rows.append(row)
        if not labels:
            rows.append({"endpoint": ep, "model": model, "term": variables[0], "level": "",
                         "reference_level": "", "n": n, "events": events, "hr": np.nan,
                         "hr_lower": np.nan, "hr_upper": np.nan, "p": np.nan, "ph_p": np.nan,
                         "ph_flag": False, "note": "a single level: no contrast"})  # fmt: skip
    return rows


# ------------------------------------------------------------------------------------------------
# subgroups


def _median_of(t, e, sel, settings, cache: CoxCache | None = None) -> tuple[float, float, float]:
    if not sel.any():
        return (np.nan,) * 3
    key = None if cache is None else cache.digest(sel)
    if key is not None and key in cache.medians:  # a group of the survival table
        return cache.medians[key]
    row, _ = summarize_group(t[sel], e[sel], settings, None)
    return row["median"], row["median_lower"], row["median_upper"]


def _interaction_p(data, ep, arm, reference, variable, settings) -> float:
    """LRT of the arm x subgroup interaction: Cox(arm + level dummies + arm:levels) vs without."""
    t, e, ok = _endpoint_arrays(data, ep)
    arms = _arm_array(data)
    lev = _column_values(data, variable)
    sel = ok & np.isin(arms, [arm, reference]) & lev.notna().to_numpy(bool)
    strata, s_ok = _strata_codes(data, settings.strata)
    sel &= s_ok
    x = (arms[sel] == arm).astype(float)
    levels = sorted(lev[sel].unique().tolist(), key=_level_key)
    if len(levels) < 2 or x.sum() in (0, len(x)):
        return np.nan
    L = np.column_stack([(lev[sel] == lv).to_numpy(float) for lv in levels[1:]])
    X0 = np.column_stack([x, L])
    X1 = np.column_stack([X0, x[:, None] * L])
    # drop interaction columns that are all zero or collinear with a main effect
    keep = [j for j in range(X1.shape[1]) if X1[:, j].any()]
    X1 = X1[:, keep]
    if np.linalg.matrix_rank(X1) < X1.shape[1] or np.linalg.matrix_rank(X1) == X0.shape[1]:
        return np.nan
    s = None if strata is None else strata[sel]
    f0 = cox.cox_ph(X0, t[sel], e[sel], s, settings.ties, fix_times=False)
    f1 = cox.cox_ph(X1, t[sel], e[sel], s, settings.ties, fix_times=False)
    if not (f0.converged and f1.converged):
        return np.nan
    return cox.lr_test(f0, f1)[2]


def subgroup_rows(
    data: pd.DataFrame,
    ep: str,
    study: Mapping[str, Any],
    settings: Settings,
    cache: CoxCache | None = None,
) -> list[dict[str, Any]]:
    """Rows of subgroup_survival.csv for one endpoint (contract in docs/outputs.md)."""
    study = study_settings(study)
    t, e, ok = _endpoint_arrays(data, ep)
    arms = _arm_array(data, None if cache is None else cache.columns)
    present = sorted(a for a in pd.unique(arms[ok]).tolist() if a != "")
    levels_arm = arm_levels(study, present)
    ref = reference_arm(study, present)
    others = [a for a in levels_arm if a != ref]
    multi = len(present) > 1
    rows: list[dict[str, Any]] = []
    base = {"endpoint": ep, "interaction_p": np.nan}

    def add(variable, label, level, group, reference, sel, ref_sel, contrast, cmp=None, note=""):
        med = _median_of(t, e, sel & ok, settings, cache if cache is not None and cache.ep == ep else None)
        r = {**base, "variable": variable, "label": label, "level": level, "group": group,
             "reference": reference, "n": int((sel & ok).sum()), "events": int(e[sel & ok].sum()),
             "n_reference": int((ref_sel & ok).sum()) if ref_sel is not None else np.nan,
             "events_reference": int(e[ref_sel & ok].sum()) if ref_sel is not None else np.nan,
             "median": med[0], "median_lower": med[1], "median_upper": med[2],
             "hr": np.nan, "hr_lower": np.nan, "hr_upper": np.nan, "hr_p": np.nan,
             "contrast": contrast, "note": note}  # fmt: skip
        if cmp is not None:
            r.update({k: cmp[k] for k in ("hr", "hr_lower", "hr_upper", "hr_p")})
            r["note"] = "; ".join(x for x in (note, cmp.get("note", "")) if x)
        rows.append(r)

    allrows = np.ones(len(data), dtype=bool)
    if multi:
        for a in others:
            cmp = compare_arms(data, ep, a, ref, settings, cache=cache)
            add("", "Overall", "Overall", a, ref, arms == a, arms == ref, "arm", cmp)
    else:
        add("", "Overall", "Overall", "All", "", allrows, None, "level")
    for sg in study["subgroups"] or []:
        var, label = sg["variable"], sg.get("label") or sg["variable"]
        if sg.get("compare"):
            groups = sg["compare"]["groups"]
            names = list(groups)
            gref = sg["compare"].get("reference") or names[-1]
            masks = {g: _match(data, spec) for g, spec in groups.items()}
            for g in names:
                if g == gref:
                    continue
                both = masks[g] | masks[gref]
                overlap = masks[g] & masks[gref]
                tmp = data.assign(arm=np.where(masks[g], g, np.where(masks[gref], gref, None)))
                note = (
                    f"{int(overlap.sum())} patients in both groups counted in {g}"
                    if overlap.any()
                    else ""
                )
                cmp = compare_arms(tmp, ep, g, gref, settings, mask=both, cache=cache)
                add(var, label, g, g, gref, masks[g], masks[gref] & ~masks[g], "compare", cmp, note)
            continue
        s = _column_values(data, var)
        levs = _display_levels(data, sg, study)
        if multi:
            for a in others:
                ip = _interaction_p(data, ep, a, ref, var, settings)
                for lev in levs:
                    in_lev = (s == lev).fillna(False).to_numpy(bool)
                    cmp = compare_arms(data, ep, a, ref, settings, mask=in_lev, cache=cache)
                    add(
                        var,
                        label,
                        lev,
                        a,
                        ref,
                        in_lev & (arms == a),
                        in_lev & (arms == ref),
                        "arm",
                        cmp,
                    )
                    rows[-1]["interaction_p"] = ip
        else:
            analysed = _levels(data, sg)
            first = analysed[0] if analysed else None
            for lev in levs:
                in_lev = (s == lev).fillna(False).to_numpy(bool)
                if lev == first:
                    add(
                        var,
                        label,
                        lev,
                        lev,
                        first,
                        in_lev,
                        in_lev,
                        "level",
                        None,
                        "reference level",
                    )
                    continue
                tag = np.where(
                    in_lev, "L", np.where((s == first).fillna(False).to_numpy(bool), "R", None)
                )
                tmp = data.assign(arm=tag)
                cmp = compare_arms(tmp, ep, "L", "R", settings, cache=cache)
                ref_mask = (s == first).fillna(False).to_numpy(bool)
                add(var, label, lev, lev, first, in_lev, ref_mask, "level", cmp)
    return rows


# ------------------------------------------------------------------------------------------------
# the study


def analysis_columns(study: Mapping[str, Any], available: Sequence[str]) -> list[str]:
    """The analysis-dataset columns the survival tables use (reading only these saves time)."""
    study = study_settings(study)
    wanted = ["arm"]
    for ep in study["endpoints"]:
        wanted += [f"{ep}_months", f"{ep}_event"]
    wanted += list(study["covariates"] or []) + list(study["strata"] or [])
    for sg in study["subgroups"] or []:
        wanted.append(sg["variable"])
        for spec in ((sg.get("compare") or {}).get("groups") or {}).values():
            wanted += list(spec)
    present = set(available)
    return [c for c in dict.fromkeys(wanted) if c in present]


def fix_times(data: pd.DataFrame, endpoints: Sequence[str]) -> pd.DataFrame:
    """Merge each endpoint's times that are equal up to rounding, over the whole cohort, as R's
    survfit/survdiff/coxph do with ``timefix = TRUE`` (``km.timefix``). The functions of this
    module take times as given (``fix_times=False``), so this runs once per endpoint."""
    fixed = {f"{ep}_months": km.timefix(data[f"{ep}_months"].to_numpy(float, na_value=np.nan))
             for ep in endpoints}  # fmt: skip
    return data.assign(**fixed)


def summarize_survival(data: pd.DataFrame, study: Mapping[str, Any]) -> SurvivalResults:
    """Every survival table of docs/outputs.md for one study (unrounded).

    Near-equal times are merged first (:func:`fix_times`), then every estimate uses them as given.
    """
    study = study_settings(study)
    settings = Settings.from_study(study)
    data = fix_times(data, study["endpoints"])
    columns = ColumnLabels(data)
    arms = _arm_array(data, columns)
    present = sorted(a for a in pd.unique(arms).tolist() if a != "")
    ref = reference_arm(study, present)
    levels = arm_levels(study, present)
    groups = study_groups(data, study, columns)
    surv_rows, lm_parts, curve_parts, risk_parts = [], [], [], []
    comp_rows, cox_rows, sub_rows = [], [], []
    for ep in study["endpoints"]:
        t, e, ok = _endpoint_arrays(data, ep)
        tau = (
            settings.rmst_tau
            if settings.rmst_tau is not None
            else default_tau(data, ep, study, columns)
        )
        axis_end = (
            settings.xmax if settings.xmax is not None else (np.nanmax(t) if ok.any() else 0.0)
        )
        interval = settings.risk_interval or risk_table_interval(axis_end)
        ticks = np.arange(0.0, axis_end + 1e-9, interval)
        cache = CoxCache(ep, columns)
        for split, group, mask in groups:
            sel = mask & ok
            row, fit = summarize_group(t[sel], e[sel], settings, tau)
            cache.medians[cache.digest(sel)] = (row["median"], row["median_lower"],
                                                row["median_upper"])  # fmt: skip
            surv_rows.append({"endpoint": ep, "split": split, "group": group,
                              "arm": group if split == "arm" else "", **row,
                              "ci_method": settings.ci_method, "conf_level": settings.conf_level})  # fmt: skip
            key = {"endpoint": ep, "split": split, "group": group}
            if settings.landmarks:
                at = km.km_at(fit, settings.landmarks)
                lm_parts.append(pd.DataFrame({**key, "time": at["time"], "n_risk": at["n_risk"],
                    "surv": at["surv"], "surv_lower": at["lower"], "surv_upper": at["upper"],
                    "surv_se": at["std_err"]}))  # fmt: skip
            curve_parts.append((key, _curve_rows(fit)))
            risk_parts.append(pd.DataFrame({**key, **_risk_ticks_of(fit, ticks)}))
        for a in levels:
            if a != ref:
                comp_rows.append(compare_arms(data, ep, a, ref, settings, cache=cache))
        cox_rows += cox_model_rows(data, ep, study, settings, cache)
        sub_rows += subgroup_rows(data, ep, study, settings, cache)
        del cache

    def frame(rows_or_parts, columns, concat=False):
        if concat:
            out = pd.concat(rows_or_parts, ignore_index=True) if rows_or_parts else pd.DataFrame()
        else:
            out = pd.DataFrame(rows_or_parts)
        return out.reindex(columns=columns)

    curves = _stack_curves(curve_parts)
    return SurvivalResults(
        survival=frame(surv_rows, SURVIVAL_COLUMNS),
        landmarks=frame(lm_parts, LANDMARK_COLUMNS, True),
        comparisons=frame(comp_rows, COMPARISON_COLUMNS),
        cox_models=frame(cox_rows, COX_COLUMNS),
        subgroup_survival=frame(sub_rows, SUBGROUP_COLUMNS),
        km_curves=curves,
        risk_table=frame(risk_parts, RISK_COLUMNS, True),
    )


def _stack_curves(parts: list[tuple[dict[str, str], dict[str, np.ndarray]]]) -> pd.DataFrame:
    """One long frame of KM steps, built column by column (key columns as repeated labels)."""
    lengths = [len(rows["time"]) for _, rows in parts]
    out: dict[str, Any] = {}
    for col in ("endpoint", "split", "group"):
        labels = [key[col] for key, _ in parts]
        out[col] = np.repeat(np.array(labels, dtype=object), lengths)
    for col in CURVE_COLUMNS[3:]:
        values = np.concatenate([rows[col] for _, rows in parts]) if parts else np.zeros(0)
        out[col] = values.astype("int64") if col in ("n_risk", "n_event", "n_censor") else values
    return pd.DataFrame(out, columns=CURVE_COLUMNS, copy=False)  # new arrays: no second copy


# ------------------------------------------------------------------------------------------------
# formatted tables


def _footer(study: Mapping[str, Any]) -> list[str]:
    study = study_settings(study)
    return ["Synthetic data." if study.get("synthetic") else ""]


def _note(notes: Mapping[str, str], name: str) -> list[str]:
    return [notes[name]] if notes.get(name) else []


def format_tables(
    results: SurvivalResults, study: Mapping[str, Any], notes: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Markdown tables for people: survival.md, comparisons.md, cox_models.md.

    Count cells are printed as they are, so a shareable copy (counts masked as ``<11`` / ``*``,
    her2rwe.outputs.shareable) formats as well; ``notes`` adds a footnote per table (e.g. the suppression
    note), none when empty."""
    notes = notes or {}
    from her2rwe import formatting as fm

    settings = Settings.from_study(study)
    title = study.get("title") or ""
    ci_text = fm.ci_method_text(settings.ci_method, settings.conf_level)
    conf = f"{settings.conf_level * 100:g}%"
    s = results.survival
    s = s[s["split"].isin(["arm", "overall"])]
    names = {ep: endpoint_name(study, ep) for ep in study_settings(study)["endpoints"]}

    def name_of(endpoint: str) -> str:
        return names.get(endpoint) or endpoint.upper()

    labels = LevelLabels.of(study)
    rows = []
    for r in s.itertuples(index=False):
        rows.append([
            name_of(r.endpoint), labels.arm(r.group) if r.split == "arm" else r.group, r.n, r.events,
            fm.fmt_estimate_ci(r.median, r.median_lower, r.median_upper),
            f"{fm.fmt_num(r.rmst, 1, '-')} ({fm.fmt_num(r.rmst_se, 2, '-')})",
            fm.fmt_estimate_ci(r.followup_median, r.followup_lower, r.followup_upper),
        ])  # fmt: skip
    # one tau per endpoint (the same for every group of it): name the endpoint of each
    taus = {}
    for ep, tau in zip(s["endpoint"], s["rmst_tau"], strict=True):
        if not pd.isna(tau):
            taus.setdefault(name_of(ep), float(tau))
    tau_txt = "; ".join(f"{name} {tau:.1f}" for name, tau in taus.items()) or "-"
    survival_md = fm.markdown_table(
        rows,
        [
            "Endpoint",
            "Group",
            "N",
            "Events",
            f"Median, months ({conf} CI)",
            "RMST (SE)",
            f"Median follow-up ({conf} CI)",
        ],  # fmt: skip
        title=f"Kaplan-Meier estimates{': ' + title if title else ''}",
        footnotes=[
            f"Kaplan-Meier estimator with Greenwood variance; median {ci_text}. NR, not reached.",
            f"RMST, restricted mean survival time up to tau months ({tau_txt}); SE as R print.survfit.",
            "Median follow-up by reverse Kaplan-Meier (censoring as the event).",
            *_note(notes, "survival"),
            *_footer(study),
        ],
    )
    c = results.comparisons
    rows = []
    for r in c.itertuples(index=False):
        rows.append([
            name_of(r.endpoint), f"{labels.arm(r.arm)} vs {labels.arm(r.reference)}", r.n, r.events,
            fm.fmt_estimate_ci(r.hr, r.hr_lower, r.hr_upper, 2, "-"), fm.fmt_p(r.hr_p),
            fm.fmt_p(r.logrank_p), fm.fmt_p(r.ph_p) + (" *" if r.ph_flag else ""), r.note or "",
        ])  # fmt: skip
    strata = "+".join(settings.strata)
    comparisons_md = fm.markdown_table(
        rows,
        [
            "Endpoint",
            "Comparison",
            "N",
            "Events",
            f"HR ({conf} CI)",
            "Wald p",
            "Log-rank p",
            "PH test p",
            "Note",
        ],  # fmt: skip
        title=f"Between-arm comparisons{': ' + title if title else ''}",
        footnotes=[
            f"Cox proportional-hazards model, {settings.ties.capitalize()} ties, Wald {conf} CI and p"
            + (f", stratified by {strata}" if strata else "")
            + "; log-rank test"
            + (f" stratified by {strata}" if strata else "")
            + ".",
            "PH test: Schoenfeld residuals vs Kaplan-Meier-transformed time (as R cox.zph); "
            f"* p < {PH_ALPHA}.",
            *_note(notes, "comparisons"),
            *_footer(study),
        ],
    )
    m = results.cox_models
    rows = []
    for r in m.itertuples(index=False):
        term = (
            f"{r.term}: {labels.label(r.term, r.level)} vs {labels.label(r.term, r.reference_level)}"
            if r.level
            else r.term
        )
        rows.append([
            name_of(r.endpoint), r.model, term, r.n, r.events,
            fm.fmt_estimate_ci(r.hr, r.hr_lower, r.hr_upper, 2, "-"), fm.fmt_p(r.p),
            fm.fmt_p(r.ph_p) + (" *" if r.ph_flag else ""), r.note or "",
        ])  # fmt: skip
    cox_md = fm.markdown_table(
        rows,
        [
            "Endpoint",
            "Model",
            "Term",
            "N",
            "Events",
            f"HR ({conf} CI)",
            "Wald p",
            "PH test p",
            "Note",
        ],
        title=f"Cox proportional-hazards models{': ' + title if title else ''}",
        footnotes=[
            f"Cox proportional-hazards model, {settings.ties.capitalize()} ties, Wald {conf} CI; "
            "categorical covariates against their reference level; complete cases"
            + (f"; stratified by {strata}" if strata else "")
            + ".",
            "PH test per term: Schoenfeld residuals vs Kaplan-Meier-transformed time (cox.zph); "
            f"* p < {PH_ALPHA}.",
            *_note(notes, "cox_models"),
            *_footer(study),
        ],
    )
    return {"survival": survival_md, "comparisons": comparisons_md, "cox_models": cox_md}
