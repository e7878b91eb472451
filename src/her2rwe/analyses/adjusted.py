"""Comparative effectiveness adjusted for confounding: propensity scores, weights, balance, survival.

prepare -> compute -> arrange, for a study with an ``adjustment:`` block (docs/methods_adjusted.md):

1. prepare: the adjustment covariates of every patient with an arm; rows missing a covariate are
   dropped (``missing: complete_case``, an attrition step) or kept with a missing indicator
   (``missing: indicator``); a covariate that is unknown or has a single level is an error;
2. propensity score: logistic regression of the non-reference arm on the covariates
   (``stats.propensity``, as R glm; categorical covariates with R's treatment contrasts); complete
   separation is an error that names the covariate;
3. weights for the estimand (ATE, optionally stabilized; ATT; ATO), after optional trimming by
   score range (patients dropped, an attrition step) and truncation at a weight percentile
   (``stats.weighting``); 1:1 nearest-neighbour matching on the logit score within a caliper as a
   sensitivity analysis (``matching: true``);
4. balance: SMD and variance ratio of every covariate level before and after, effective sample
   sizes, |SMD| > ``smd_threshold`` flagged;
5. per endpoint: weighted Kaplan-Meier by arm (median, landmarks; infinitesimal-jackknife variance,
   as R survfit with weights), weighted Cox HR with the robust (sandwich) SE, RMST difference at
   ``rmst_tau`` with its CI, and the E-value of the HR; optionally a seeded bootstrap that
   re-estimates the score (``bootstrap``: number of replicates, 0 = off).

Multi-arm studies: each non-reference arm is compared with the reference in its own two-arm model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from her2rwe.analyses import survival
from her2rwe.config import study_settings
from her2rwe.derive.dataset import arm_levels, reference_arm
from her2rwe.formatting import LevelLabels, risk_table_interval
from her2rwe.stats import cox, km, propensity, weighting

BALANCE_COLUMNS = [
    "arm", "reference", "variable", "level", "estimand", "method", "mean_arm_before",
    "mean_reference_before", "mean_arm_after", "mean_reference_after", "smd_before", "smd_after",
    "variance_ratio_before", "variance_ratio_after", "flag", "n_arm", "n_reference", "ess_arm",
    "ess_reference",
]  # fmt: skip
COMPARISON_COLUMNS = [
    "endpoint", "arm", "reference", "estimand", "method", "n", "n_arm", "n_reference", "events",
    "ess_arm", "ess_reference", "hr", "hr_lower", "hr_upper", "hr_p", "se_robust", "se_naive",
    "ties", "rmst_tau", "rmst_diff", "rmst_diff_lower", "rmst_diff_upper", "rmst_diff_se",
    "e_value", "e_value_ci", "hr_boot_lower", "hr_boot_upper", "rmst_diff_boot_lower",
    "rmst_diff_boot_upper", "bootstrap_replicates", "variance", "note",
]  # fmt: skip
SURVIVAL_COLUMNS = [
    "endpoint", "arm", "estimand", "method", "n", "events", "median", "median_lower",
    "median_upper", "time", "surv", "surv_lower", "surv_upper", "ci_method", "variance",
]  # fmt: skip
CURVE_COLUMNS = survival.CURVE_COLUMNS
RISK_COLUMNS = survival.RISK_COLUMNS
PS_COLUMNS = ["arm", "comparison", "ps", "weight", "kept", "matched"]
ATTRITION_COLUMNS = ["arm", "step", "reason", "n"]


class AdjustmentError(ValueError):
    """The adjustment block cannot be applied to the data; the message names the problem."""


@dataclass
class AdjustedResults:
    balance: pd.DataFrame
    comparisons: pd.DataFrame
    survival: pd.DataFrame
    km_curves: pd.DataFrame  # weighted curves, split "arm", group = arm (layout of km_curves)
    risk_table: pd.DataFrame  # unweighted numbers at risk at the figure ticks
    scores: pd.DataFrame  # one row per patient in a comparison: arm, ps, weight (no identifiers)
    attrition: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass
class Design:
    """The covariates of the analysed rows: the PS design (treatment contrasts) and, for the
    balance table, every level's column."""

    X: np.ndarray
    names: list[str]
    balance_X: np.ndarray
    balance_labels: list[tuple[str, str]]  # (variable, level); level "" for a numeric covariate


def _spec(study: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = study_settings(study).get("adjustment")
    if not spec:
        raise AdjustmentError("the study has no adjustment block")
    return spec


def _is_categorical(s: pd.Series, var: str, categorical: set[str]) -> bool:
    numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
    return var in categorical or not numeric


def prepare(
    data: pd.DataFrame, study: Mapping[str, Any], arm: str, reference: str
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """The rows of the two arms with the covariates usable, and the attrition rows.

    complete_case: rows missing any covariate are dropped (one attrition row per covariate, in the
    order of the list: the first missing covariate of a row is its reason). indicator: a missing
    numeric value becomes the mean of the observed ones plus a 0/1 column ``<var> missing``; a
    missing categorical value becomes the level ``missing``.
    """
    spec = _spec(study)
    covariates = list(spec["covariates"])
    unknown = [c for c in covariates if c not in data.columns]
    if unknown:
        raise AdjustmentError(
            f"adjustment.covariates: {', '.join(map(repr, unknown))} not in the analysis dataset"
        )
    arms = survival._arm_array(data)
    rows = data[np.isin(arms, [arm, reference])].copy()
    attrition: list[dict[str, Any]] = []
    categorical = set(study_settings(study)["categorical"] or [])

    def count(frame: pd.DataFrame, step: str, reason: str) -> None:
        arms_f = survival._arm_array(frame)
        for a in (reference, arm):
            attrition.append(
                {"arm": a, "step": step, "reason": reason, "n": int((arms_f == a).sum())}
            )

    count(rows, "in the comparison", "")
    if spec["missing"] == "complete_case":
        for var in covariates:
            miss = rows[var].isna().to_numpy()
            if miss.any():
                count(rows[miss], "excluded", f"missing {var}")
                rows = rows[~miss]
    else:
        for var in covariates:
            miss = rows[var].isna()
            if not miss.any():
                continue
            if _is_categorical(rows[var], var, categorical):
                rows[var] = survival._column_values(rows, var).fillna("missing")
            else:
                rows[f"{var} missing"] = miss.astype(float)
                rows[var] = rows[var].fillna(rows[var].mean())
    count(rows, "complete cases", "")
    for var in covariates:
        vals = rows[var].dropna()
        if vals.nunique() < 2:
            what = "no values" if vals.empty else "a single level"
            raise AdjustmentError(
                f"adjustment.covariates: {var!r} has {what} among the {len(rows)} patients of "
                f"{arm} vs {reference}; it cannot adjust for anything: remove it"
            )
    return rows, attrition


def design(rows: pd.DataFrame, study: Mapping[str, Any]) -> Design:
    """PS design (R treatment contrasts, survival._design) and the balance columns."""
    spec = _spec(study)
    covariates = list(spec["covariates"])
    extra = [c for c in rows.columns if c.endswith(" missing") and c[:-8] in covariates]
    X, labels, terms, ok = survival._design(rows, covariates + extra, study)
    if not ok.all():  # pragma: no cover - prepare() removed or filled every missing value
        raise AdjustmentError("missing covariate values remain after prepare()")
    names = [f"{var}{lev}" if lev else var for var, lev, _ in labels]
    bal_cols, bal_labels = [], []
    for var in covariates + extra:
        cols = terms[var]
        if labels[cols[0]][1] == "":  # numeric
            bal_cols.append(X[:, cols[0]])
            bal_labels.append((var, ""))
            continue
        ref_level = labels[cols[0]][2]
        bal_cols.append(1.0 - X[:, cols].sum(axis=1))
        bal_labels.append((var, ref_level))
        for j in cols:
            bal_cols.append(X[:, j])
            bal_labels.append((var, labels[j][1]))
    return Design(X, names, np.column_stack(bal_cols), bal_labels)


def _weights(ps: np.ndarray, z: np.ndarray, spec: Mapping[str, Any]) -> np.ndarray:
    w = weighting.ps_weights(ps, z, spec["estimand"], spec["stabilize"])
    pct = spec["trim"].get("weight_percentile")
    return weighting.truncate_weights(w, pct) if pct is not None else w


def _trim(ps: np.ndarray, z: np.ndarray, spec: Mapping[str, Any], label: str) -> np.ndarray:
    rng = spec["trim"].get("ps_range")
    if rng is None:
        return np.ones(len(ps), dtype=bool)
    try:
        return weighting.trim_range(ps, z, float(rng[0]), float(rng[1]))
    except weighting.EmptyArmError as exc:
        raise AdjustmentError(f"adjustment.trim.ps_range ({label}): {exc}") from None


def _fit_ps(X: np.ndarray, z: np.ndarray, names: list[str], label: str) -> np.ndarray:
    try:
        return propensity.fit_logistic(X, z, names).fitted
    except propensity.SeparationError as exc:
        raise AdjustmentError(f"propensity model ({label}): {exc}") from None
    except ValueError as exc:
        raise AdjustmentError(f"propensity model ({label}): {exc}") from None


@dataclass
class _Sample:
    """The analysed rows of one method: the row mask into the comparison's rows, the weights and
    the cluster of each kept row (the patient, or the matched pair)."""

    method: str
    estimand: str
    keep: np.ndarray
    w: np.ndarray
    cluster: np.ndarray


def _endpoint_summary(
    t: np.ndarray,
    e: np.ndarray,
    z: np.ndarray,
    w: np.ndarray,
    cluster: np.ndarray,
    settings: survival.Settings,
    tau: float | None,
    conf: float,
) -> dict[str, Any]:
    """HR (robust SE), RMST difference and the two weighted KM fits of one endpoint."""
    ok = ~(np.isnan(t) | np.isnan(e))
    t, e, z, w, cluster = t[ok], e[ok], z[ok], w[ok], cluster[ok]
    fits = {
        side: km.kaplan_meier(t[z == side], e[z == side], settings.band_type, conf, False, w[z == side])
        for side in (True, False)
    }  # fmt: skip
    out: dict[str, Any] = {"fits": fits, "n": int(ok.sum()), "events": int(e.sum())}
    notes = []
    for side in (True, False):
        if e[z == side].sum() == 0:
            notes.append("no events in one arm: hazard ratio not estimable")
            break
    if not notes:
        fit = cox.cox_ph(
            z.astype(float), t, e, ties=settings.ties, weights=w, cluster=cluster, fix_times=False
        )
        if not fit.converged or fit.infinite.any():
            notes.append("weighted Cox model did not converge: hazard ratio not estimable")
        else:
            lo, hi = fit.ci(conf)
            out.update(hr=fit.hr[0], hr_lower=lo[0], hr_upper=hi[0], hr_p=fit.p[0],
                       se_robust=fit.se[0], se_naive=float(np.sqrt(fit.naive_var[0, 0])))  # fmt: skip
    if tau is not None and len(fits[True].time) and len(fits[False].time):
        d, se, lo, hi = km.rmst_difference(fits[True], fits[False], tau, conf)
        out.update(rmst_diff=d, rmst_diff_se=se, rmst_diff_lower=lo, rmst_diff_upper=hi)
    out["note"] = "; ".join(notes)
    return out


def _bootstrap(
    rows: pd.DataFrame,
    dsg: Design,
    z: np.ndarray,
    study: Mapping[str, Any],
    settings: survival.Settings,
    taus: Mapping[str, float | None],
) -> dict[str, dict[str, np.ndarray]]:
    """Seeded bootstrap (resampling patients within arms) of the weighted HR and RMST difference,
    re-estimating the score, the trimming and the weights in every replicate."""
    spec = _spec(study)
    reps = int(spec["bootstrap"])
    rng = np.random.default_rng(int(spec["seed"]))
    idx1, idx0 = np.flatnonzero(z), np.flatnonzero(~z)
    out = {ep: {"hr": np.full(reps, np.nan), "rmst": np.full(reps, np.nan)} for ep in taus}
    for b in range(reps):
        take = np.r_[rng.choice(idx1, len(idx1)), rng.choice(idx0, len(idx0))]
        zb = z[take]
        try:
            ps = propensity.fit_logistic(dsg.X[take], zb, dsg.names).fitted
            keep = np.ones(len(take), dtype=bool)
            rngps = spec["trim"].get("ps_range")
            if rngps is not None:
                keep = weighting.trim_range(ps, zb, float(rngps[0]), float(rngps[1]))
        except (ValueError, weighting.EmptyArmError):
            continue  # a replicate without a usable score counts as missing
        w = _weights(ps[keep], zb[keep], spec)
        for ep, tau in taus.items():
            t = rows[f"{ep}_months"].to_numpy(float, na_value=np.nan)[take][keep]
            e = rows[f"{ep}_event"].to_numpy(float, na_value=np.nan)[take][keep]
            res = _endpoint_summary(t, e, zb[keep], w, np.arange(len(t)), settings, tau,
                                    settings.conf_level)  # fmt: skip
            out[ep]["hr"][b] = res.get("hr", np.nan)
            out[ep]["rmst"][b] = res.get("rmst_diff", np.nan)
    return out


def summarize_adjusted(data: pd.DataFrame, study: Mapping[str, Any]) -> AdjustedResults:
    """Every table of the adjusted comparison of one study (unrounded)."""
    study = study_settings(study)
    spec = _spec(study)
    settings = survival.Settings.from_study(study)
    conf = settings.conf_level
    data = survival.fix_times(data, study["endpoints"])
    arms_all = survival._arm_array(data)
    present = sorted(a for a in pd.unique(arms_all).tolist() if a != "")
    ref = reference_arm(study, present)
    others = [a for a in arm_levels(study, present) if a != ref]
    if not others:
        raise AdjustmentError("adjustment needs two arms; the study has one")
    threshold = float(spec["smd_threshold"])
    bal_rows, cmp_rows, surv_rows, curve_parts, risk_parts, score_parts = [], [], [], [], [], []
    attrition: list[dict[str, Any]] = []
    summary: dict[str, Any] = {"comparisons": []}
    for arm in others:
        label = f"{arm} vs {ref}"
        rows, attr = prepare(data, study, arm, ref)
        z = survival._arm_array(rows) == arm
        dsg = design(rows, study)
        ps = _fit_ps(dsg.X, z, dsg.names, label)
        keep = _trim(ps, z, spec, label)
        if not keep.all():
            arms_r = np.where(z, arm, ref)
            for a in (ref, arm):
                attr.append({"arm": a, "step": "excluded",
                             "reason": "propensity score outside the trimming range",
                             "n": int(((arms_r == a) & ~keep).sum())})  # fmt: skip
        for a in (ref, arm):
            attr.append({"arm": a, "step": "analysed (weighting)", "reason": "",
                         "n": int((keep & (z == (a == arm))).sum())})  # fmt: skip
        w = np.zeros(len(z))
        w[keep] = _weights(ps[keep], z[keep], spec)
        samples = [_Sample("weighting", spec["estimand"], keep, w[keep], np.flatnonzero(keep))]
        pair = np.full(len(z), -1)
        if spec["matching"]:
            try:
                pair = weighting.match_nearest(ps, z, float(spec["ps_caliper"]), int(spec["seed"]))
            except weighting.EmptyArmError as exc:
                raise AdjustmentError(f"adjustment.matching ({label}): {exc}") from None
            matched = pair >= 0
            samples.append(_Sample("matching", "ATT", matched, np.ones(int(matched.sum())),
                                   pair[matched]))  # fmt: skip
            for a in (ref, arm):
                attr.append({"arm": a, "step": "analysed (matching)", "reason": "",
                             "n": int((matched & (z == (a == arm))).sum())})  # fmt: skip
        attrition += attr
        score_parts.append(pd.DataFrame({
            "arm": np.where(z, arm, ref), "comparison": label, "ps": ps, "weight": w,
            "kept": keep, "matched": pair >= 0}))  # fmt: skip
        # balance: before = all analysed rows unweighted (the same SD denominator for every method)
        den = weighting.sd_denominator(dsg.balance_X, z)
        before = weighting.balance(dsg.balance_X, z, denominator=den)
        for smp in samples:
            zk = z[smp.keep]
            # after: the same denominator, that of the whole (unweighted, untrimmed) sample
            after = weighting.balance(dsg.balance_X[smp.keep], zk, smp.w, denominator=den)
            smd_after = after.smd
            xk = dsg.balance_X[smp.keep]
            w1, w0 = smp.w[zk], smp.w[~zk]
            for j, (var, lev) in enumerate(dsg.balance_labels):
                x = dsg.balance_X[:, j]
                bal_rows.append({
                    "arm": arm, "reference": ref, "variable": var, "level": lev,
                    "estimand": smp.estimand, "method": smp.method,
                    "mean_arm_before": x[z].mean(), "mean_reference_before": x[~z].mean(),
                    "mean_arm_after": w1 @ xk[zk, j] / w1.sum(),
                    "mean_reference_after": w0 @ xk[~zk, j] / w0.sum(),
                    "smd_before": before.smd[j], "smd_after": smd_after[j],
                    "variance_ratio_before": before.variance_ratio[j],
                    "variance_ratio_after": after.variance_ratio[j],
                    "flag": bool(abs(smd_after[j]) > threshold),
                    "n_arm": int(zk.sum()), "n_reference": int((~zk).sum()),
                    "ess_arm": weighting.ess(w1), "ess_reference": weighting.ess(w0),
                })  # fmt: skip
        taus: dict[str, float | None] = {}
        for ep in study["endpoints"]:
            taus[ep] = (settings.rmst_tau if settings.rmst_tau is not None
                        else survival.default_tau(rows, ep, study))  # fmt: skip
        boot = _bootstrap(rows, dsg, z, study, settings, taus) if spec["bootstrap"] else None
        for ep in study["endpoints"]:
            t_all = rows[f"{ep}_months"].to_numpy(float, na_value=np.nan)
            e_all = rows[f"{ep}_event"].to_numpy(float, na_value=np.nan)
            tau = taus[ep]
            for smp in samples:
                zk = z[smp.keep]
                res = _endpoint_summary(t_all[smp.keep], e_all[smp.keep], zk, smp.w, smp.cluster,
                                        settings, tau, conf)  # fmt: skip
                ev, ev_ci = weighting.e_value(
                    res.get("hr", np.nan), res.get("hr_lower"), res.get("hr_upper")
                )
                row = {
                    "endpoint": ep, "arm": arm, "reference": ref, "estimand": smp.estimand,
                    "method": smp.method, "n": res["n"], "n_arm": int(zk.sum()),
                    "n_reference": int((~zk).sum()), "events": res["events"],
                    "ess_arm": weighting.ess(smp.w[zk]), "ess_reference": weighting.ess(smp.w[~zk]),
                    "ties": settings.ties, "rmst_tau": tau if tau is not None else np.nan,
                    "e_value": ev, "e_value_ci": ev_ci, "bootstrap_replicates": 0,
                    "variance": "robust (sandwich), clustered by "
                    + ("patient" if smp.method == "weighting" else "matched pair"),
                    "note": res["note"],
                }  # fmt: skip
                for k in (
                    "hr",
                    "hr_lower",
                    "hr_upper",
                    "hr_p",
                    "se_robust",
                    "se_naive",
                    "rmst_diff",
                    "rmst_diff_lower",
                    "rmst_diff_upper",
                    "rmst_diff_se",
                ):
                    row[k] = res.get(k, np.nan)  # fmt: skip
                if boot is not None and smp.method == "weighting":
                    alpha = (1 - conf) / 2
                    for key, col in (("hr", "hr_boot"), ("rmst", "rmst_diff_boot")):
                        vals = boot[ep][key][np.isfinite(boot[ep][key])]
                        lo, hi = (np.quantile(vals, [alpha, 1 - alpha]) if len(vals)
                                  else (np.nan, np.nan))  # fmt: skip
                        row[f"{col}_lower"], row[f"{col}_upper"] = lo, hi
                    row["bootstrap_replicates"] = int(np.isfinite(boot[ep]["hr"]).sum())
                cmp_rows.append(row)
                for side, a in ((False, ref), (True, arm)):
                    fit = res["fits"][side]
                    q = km.km_quantiles(fit, (0.5,))[0] if fit.n else np.full(3, np.nan)
                    at = km.km_at(fit, settings.landmarks) if settings.landmarks else None
                    base = {
                        "endpoint": ep, "arm": a, "estimand": smp.estimand, "method": smp.method,
                        "n": int((zk == side).sum()),
                        "events": int(np.nansum(e_all[smp.keep][zk == side])),
                        "median": q[0], "median_lower": q[1], "median_upper": q[2],
                        "ci_method": settings.band_type,
                        "variance": "infinitesimal jackknife (robust)" if fit.robust
                        else "Greenwood",
                    }  # fmt: skip
                    for i, tm in enumerate(settings.landmarks):
                        surv_rows.append({**base, "time": tm, "surv": at["surv"][i],
                                          "surv_lower": at["lower"][i],
                                          "surv_upper": at["upper"][i]})  # fmt: skip
                    if not settings.landmarks:
                        surv_rows.append(base)
                    if smp.method == "weighting":
                        key = {"endpoint": ep, "split": "arm", "group": a}
                        curve_parts.append((key, survival._curve_rows(fit)))
                        tt, ee = t_all[smp.keep][zk == side], e_all[smp.keep][zk == side]
                        okk = ~np.isnan(tt)
                        end = settings.xmax if settings.xmax is not None else np.nanmax(t_all)
                        step = settings.risk_interval or risk_table_interval(end)
                        ticks = np.arange(0.0, end + 1e-9, step)
                        risk_parts.append(pd.DataFrame(
                            {**key, **survival._risk_ticks(tt[okk], ee[okk], ticks)}))  # fmt: skip
        flagged = [
            r["variable"] + (f"={r['level']}" if r["level"] else "")
            for r in bal_rows
            if r["arm"] == arm and r["method"] == "weighting" and r["flag"]
        ]
        summary["comparisons"].append({"arm": arm, "reference": ref, "flagged": flagged,
                                       "balanced": not flagged})  # fmt: skip
    return AdjustedResults(
        balance=pd.DataFrame(bal_rows).reindex(columns=BALANCE_COLUMNS),
        comparisons=pd.DataFrame(cmp_rows).reindex(columns=COMPARISON_COLUMNS),
        survival=pd.DataFrame(surv_rows).reindex(columns=SURVIVAL_COLUMNS),
        km_curves=survival._stack_curves(curve_parts),
        risk_table=pd.concat(risk_parts, ignore_index=True).reindex(columns=RISK_COLUMNS)
        if risk_parts
        else pd.DataFrame(columns=RISK_COLUMNS),
        scores=pd.concat(score_parts, ignore_index=True).reindex(columns=PS_COLUMNS),
        attrition=pd.DataFrame(attrition).reindex(columns=ATTRITION_COLUMNS),
        summary=summary,
    )


# ------------------------------------------------------------------------------------------------
# text


def methods_text(study: Mapping[str, Any], results: AdjustedResults | None = None) -> str:
    """The methods paragraph of the adjusted analysis: estimand, covariates, weights, trimming,
    matching, variance and bootstrap, from the config (and the balance verdict when given)."""
    spec = _spec(study)
    labels = LevelLabels.of(study)
    est = spec["estimand"]
    population = {
        "ATE": "the average treatment effect in the whole population (ATE), with inverse-probability "
        "weights (1/ps in the comparison arm, 1/(1-ps) in the reference arm)"
        + (", stabilized by each arm's share of the patients" if spec["stabilize"] else ""),
        "ATT": "the average treatment effect in the treated (ATT, the non-reference arm), with "
        "weights of 1 in that arm and ps/(1-ps) in the reference arm",
        "ATO": "the effect in the overlap population (ATO), with overlap weights (1-ps in the "
        "comparison arm, ps in the reference arm)",
    }[est]
    covs = ", ".join(spec["covariates"])
    cat = [c for c in spec["covariates"] if c in set(study_settings(study)["categorical"] or [])]
    trim = spec["trim"]
    parts = [
        "Adjusted comparison (sensitivity analysis): the propensity score, the probability of "
        "receiving the comparison arm rather than the reference arm, was estimated by logistic "
        f"regression on {covs}"
        + (f" ({', '.join(cat)} as categorical, reference level the first)" if cat else "")
        + ".",
        "Patients missing a covariate were excluded (complete cases)."
        if spec["missing"] == "complete_case"
        else "Missing covariate values were handled with missing indicators (numeric: the observed "
        "mean plus a 0/1 indicator; categorical: a 'missing' level).",
        f"The estimand was {population}.",
    ]
    if trim.get("ps_range") is not None:
        lo, hi = trim["ps_range"]
        parts.append(f"Patients with a propensity score outside [{lo:g}, {hi:g}] were excluded.")
    if trim.get("weight_percentile") is not None:
        parts.append(f"Weights were truncated at their {trim['weight_percentile']:g}th percentile.")
    if not trim.get("ps_range") and trim.get("weight_percentile") is None:
        parts.append("No trimming was applied.")
    parts.append(
        "Balance was assessed by standardized mean differences (pooled unweighted SD of both arms, "
        f"the same before and after weighting; |SMD| > {float(spec['smd_threshold']):g} flagged), "
        "variance ratios and effective sample sizes."
    )
    parts.append(
        "Survival was estimated by weighted Kaplan-Meier curves (infinitesimal-jackknife variance, "
        "as R survfit with weights) and compared by a weighted Cox model "
        f"({str(study_settings(study)['ties']).capitalize()} ties) with a robust sandwich variance "
        "clustered by patient, as R coxph(..., weights, cluster); the restricted mean survival "
        "time difference used the same weighted curves."
    )
    if spec["matching"]:
        parts.append(
            "As a further sensitivity analysis, patients were matched 1:1 by nearest neighbour on "
            f"the logit of the propensity score without replacement within a caliper of "
            f"{float(spec['ps_caliper']):g} SD (robust variance clustered by matched pair)."
        )
    if spec["bootstrap"]:
        parts.append(
            f"Confidence intervals that account for the estimation of the propensity score come "
            f"from {int(spec['bootstrap'])} bootstrap replicates (resampling within arms, "
            f"seed {int(spec['seed'])}, percentile intervals) that re-estimate the score and the "
            "weights; the robust intervals treat the weights as known."
        )
    else:
        parts.append(
            "The robust intervals treat the estimated weights as known (no bootstrap was requested), "
            "which is usually conservative for inverse-probability weights."
        )
    parts.append(
        "E-values for the hazard ratios use the common-outcome approximation of VanderWeele and Ding."
    )
    if results is not None:
        for c in results.summary.get("comparisons", []):
            if c["balanced"]:
                parts.append(
                    f"{labels.arm(c['arm'])} vs {labels.arm(c['reference'])}: balance achieved after weighting "
                    f"(every |SMD| <= {float(spec['smd_threshold']):g})."
                )
            else:
                parts.append(
                    f"{labels.arm(c['arm'])} vs {labels.arm(c['reference'])}: balance not achieved after weighting "
                    f"(|SMD| > {float(spec['smd_threshold']):g}: {', '.join(c['flagged'])})."
                )
    return " ".join(parts)


def format_tables(
    results: AdjustedResults,
    study: Mapping[str, Any],
    notes: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Markdown for people: ``adjusted`` (the comparisons, then the balance table before and after).

    Counts are printed as they are, so a shareable copy (masked counts) formats as well; ``notes``
    holds a footnote per table (the suppression note), none when empty."""
    from her2rwe import formatting as fm

    study = study_settings(study)
    spec = _spec(study)
    labels = LevelLabels.of(study)
    notes = notes or {}
    conf = f"{float(study['conf_level']) * 100:g}%"
    title = study.get("title") or ""
    synthetic = ["Synthetic data."] if study.get("synthetic") else []
    rows = []
    for r in results.comparisons.itertuples(index=False):
        rows.append([
            r.endpoint.upper(), f"{labels.arm(r.arm)} vs {labels.arm(r.reference)}", f"{r.method} ({r.estimand})", r.n,
            r.events, f"{fm.fmt_num(r.ess_arm, 1, '-')} / {fm.fmt_num(r.ess_reference, 1, '-')}",
            fm.fmt_estimate_ci(r.hr, r.hr_lower, r.hr_upper, 2, "-"), fm.fmt_p(r.hr_p),
            fm.fmt_estimate_ci(r.rmst_diff, r.rmst_diff_lower, r.rmst_diff_upper, 2, "-"),
            fm.fmt_num(r.e_value, 2, "-"), r.note or "",
        ])  # fmt: skip
    taus = sorted({float(x) for x in results.comparisons["rmst_tau"].dropna()})
    boot = int(spec["bootstrap"])
    comparisons = fm.markdown_table(
        rows,
        [
            "Endpoint",
            "Comparison",
            "Method (estimand)",
            "N",
            "Events",
            "ESS (arm / reference)",
            f"HR ({conf} robust CI)",
            "p",
            f"RMST difference, months ({conf} CI)",
            "E-value",
            "Note",
        ],  # fmt: skip
        title=f"Adjusted comparisons (sensitivity analysis){': ' + title if title else ''}",
        footnotes=[
            "HR from a weighted Cox model with a robust (sandwich) variance clustered by patient "
            "(weighting) or matched pair (matching); the weights are treated as known"
            + (
                f"; bootstrap percentile CIs ({boot} replicates) in adjusted_comparisons.csv"
                if boot
                else ""
            )
            + ".",  # fmt: skip
            "RMST difference (arm minus reference) up to tau = "
            + (", ".join(f"{x:.1f}" for x in taus) or "-")
            + " months, from the weighted Kaplan-Meier curves. ESS, effective sample size.",
            "E-value of the HR (VanderWeele and Ding, common-outcome approximation).",
            *([notes["adjusted_comparisons"]] if notes.get("adjusted_comparisons") else []),
            *synthetic,
        ],
    )
    rows = []
    b = results.balance
    for r in b.itertuples(index=False):
        rows.append([
            f"{labels.arm(r.arm)} vs {labels.arm(r.reference)}", r.variable + (f": {labels.label(r.variable, r.level)}" if str(r.level) else ""),
            r.method, fm.fmt_num(r.smd_before, 3, "-"), fm.fmt_num(r.smd_after, 3, "-"),
            fm.fmt_num(r.variance_ratio_before, 2, "-"), fm.fmt_num(r.variance_ratio_after, 2, "-"),
            "yes" if r.flag else "",
        ])  # fmt: skip
    verdicts = [
        f"{labels.arm(c['arm'])} vs {labels.arm(c['reference'])}: "
        + (
            "balance achieved after weighting."
            if c["balanced"]
            else "not balanced after weighting (" + ", ".join(c["flagged"]) + ")."
        )  # fmt: skip
        for c in results.summary.get("comparisons", [])
    ]
    balance_md = fm.markdown_table(
        rows,
        [
            "Comparison",
            "Covariate",
            "Method",
            "SMD before",
            "SMD after",
            "Variance ratio before",
            "Variance ratio after",
            f"|SMD| > {float(spec['smd_threshold']):g}",
        ],  # fmt: skip
        title="Covariate balance before and after adjustment",
        footnotes=[
            "SMD, standardized mean difference (arm minus reference) over the pooled unweighted SD "
            "of both arms before adjustment (the same denominator after); a categorical covariate "
            "as one 0/1 indicator per level.",
            *verdicts,
            *([notes["balance"]] if notes.get("balance") else []),
            *synthetic,
        ],
    )
    return {"adjusted": comparisons + "\n" + balance_md}
