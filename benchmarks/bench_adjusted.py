"""Adjusted comparison at scale: PS model, ATE weights, weighted KM and weighted Cox (robust SE).

A synthetic two-arm cohort of N patients (default 1,000,000; seed 20261125) with 5 covariates (age,
ECOG 0/1/2 as a factor, HR status, visceral and brain metastases) that drive both the arm and the
hazard; PFS in whole days. Stages timed in one process, after the imports (timed too):
propensity model (logistic IRLS on 6 design columns + intercept) -> ATE weights -> weighted
Kaplan-Meier per arm with the infinitesimal-jackknife SE, median CI and RMST -> weighted Cox on arm
(Efron) with the robust (sandwich, one cluster per patient) variance. Prints a Markdown table.

    PYTHONPATH=src python benchmarks/bench_adjusted.py [--n 1000000]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

T0 = time.perf_counter()
import numpy as np  # noqa: E402

from her2rwe.stats import cox, km, propensity, weighting  # noqa: E402

IMPORTS = time.perf_counter() - T0
DAYS_PER_MONTH = 30.4375


def generate(n: int, seed: int = 20261125):
    rng = np.random.default_rng(seed)
    age = rng.normal(58, 11, n).round()
    ecog = rng.choice([0, 1, 2], n, p=[0.45, 0.4, 0.15])
    hr_pos = rng.random(n) < 0.55
    visceral = rng.random(n) < 0.6
    brain = rng.random(n) < 0.25
    lp_arm = -0.3 + 0.01 * (age - 58) - 0.3 * ecog + 0.2 * hr_pos + 0.3 * visceral - 0.4 * brain
    arm = rng.random(n) < 1 / (1 + np.exp(-lp_arm))
    lp = -0.25 * arm + 0.015 * (age - 58) + 0.3 * ecog + 0.35 * visceral + 0.4 * brain
    event_time = rng.exponential(9.0 * np.exp(-lp))
    censor = rng.uniform(6, 48, n)
    months = (
        np.maximum(np.ceil(np.minimum(event_time, censor) * DAYS_PER_MONTH), 1) / DAYS_PER_MONTH
    )
    event = event_time <= censor
    X = np.column_stack([age, ecog == 1, ecog == 2, hr_pos, visceral, brain]).astype(float)
    names = ["age", "ecog1", "ecog2", "hr_statuspositive", "visceral_metsyes", "brain_metsyes"]
    return X, names, arm, months, event


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    args = ap.parse_args()
    X, names, z, t, e = generate(args.n)
    stages = {"imports": IMPORTS}

    def timed(label, fn):
        t0 = time.perf_counter()
        out = fn()
        stages[label] = time.perf_counter() - t0
        return out

    fit = timed("propensity model (IRLS)", lambda: propensity.fit_logistic(X, z, names))
    w = timed("ATE weights", lambda: weighting.ps_weights(fit.fitted, z, "ATE"))

    def weighted_km():
        out = []
        for side in (True, False):
            f = km.kaplan_meier(t[z == side], e[z == side], weights=w[z == side])
            out.append((km.km_quantiles(f, (0.5,))[0], km.rmst(f, 24.0)))
        return out

    curves = timed("weighted KM by arm (IJ SE, median CI, RMST)", weighted_km)
    ids = np.arange(args.n)
    cfit = timed(
        "weighted Cox on arm, robust SE",
        lambda: cox.cox_ph(z.astype(float), t, e, weights=w, cluster=ids, fix_times=False),
    )
    total = sum(stages.values())
    print(f"n = {args.n:,}; machine {platform.machine()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f} at the end; PS iterations {fit.iterations}, "
          f"Cox iterations {cfit.iterations}")  # fmt: skip
    print("\n| stage | seconds |\n| :--- | ---: |")
    for k, v in stages.items():
        print(f"| {k} | {v:.2f} |")
    print(f"| **total** | **{total:.2f}** |")
    print(f"\nHR {cfit.hr[0]:.4f} (robust SE {cfit.se[0]:.5f}); medians by arm "
          f"{curves[0][0][0]:.3f} / {curves[1][0][0]:.3f} months")  # fmt: skip


if __name__ == "__main__":
    main()
