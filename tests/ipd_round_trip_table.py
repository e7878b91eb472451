"""Print the round-trip validation of the IPD reconstruction as Markdown (docs/trial_context.md).

Run from the repository root:  .venv/bin/python tests/ipd_round_trip_table.py
Reads the fixtures written by tests/r/trial_context_reference.R (R's numbers for the original data)
and reconstructs each arm from its digitiser-like curve under four input scenarios.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from her2rwe.stats import cox, ipd, km

FIXTURES = Path(__file__).parent / "fixtures"
STEP = 0.5
SCENARIOS = {
    "at-risk table + total events": (True, True),
    "at-risk table": (True, False),
    "total events only": (False, True),
    "neither (n only)": (False, False),
}


def _fmt(x, digits=2):
    return "NR" if np.isnan(x) else f"{x:.{digits}f}"


def main() -> None:
    dig = pd.read_csv(FIXTURES / "trial_context_digitised.csv")
    risk = pd.read_csv(FIXTURES / "trial_context_at_risk.csv")
    arms = pd.read_csv(FIXTURES / "trial_context_arms.csv")
    steps = pd.read_csv(FIXTURES / "trial_context_km_steps.csv")
    coxref = pd.read_csv(FIXTURES / "trial_context_cox.csv")

    def rows(frame, dataset, arm):
        return frame[(frame["dataset"] == dataset) & (frame["arm"] == arm)]

    recs = {}
    print(
        "| scenario | data set | arm | n | events R / rec. | median R / rec. (months) | max abs. diff. in S, one step allowed | max abs. diff. in S | at risk reproduced |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, (with_risk, with_events) in SCENARIOS.items():
        for a in arms.itertuples(index=False):
            curve = rows(dig, a.dataset, a.arm)
            r = rows(risk, a.dataset, a.arm)
            kw = {"risk_time": r["time"], "n_risk": r["n_risk"]} if with_risk else {"n": int(a.n)}
            rec = ipd.reconstruct(
                curve["time"],
                curve["surv"],
                total_events=int(a.events) if with_events else None,
                **kw,
            )
            recs[name, a.dataset, a.arm] = rec
            fit = km.kaplan_meier(rec.time, rec.event)
            median = float(km.km_quantiles(fit, (0.5,))[0, 0])
            s = rows(steps, a.dataset, a.arm)
            end = float(s["time"].max())
            band = ipd.band_distance(s["time"], s["surv"], fit.time, fit.surv, STEP, end)
            sup = ipd.band_distance(s["time"], s["surv"], fit.time, fit.surv, 0.0, end)
            at_risk = "n/a"
            if with_risk:
                at_risk = (
                    "all" if (rec.n_risk_reconstructed == rec.n_risk_published).all() else "no"
                )
            print(
                f"| {name} | {a.dataset} | {a.arm} | {a.n} | {a.events} / {rec.events} | "
                f"{_fmt(a.median)} / {_fmt(median)} | {band:.4f} | {sup:.4f} | {at_risk} |"
            )
    print()
    print(
        "| scenario | data set | arm vs reference | HR R, original data (95% CI) | HR reconstructed (95% CI) | abs. diff. in log HR |"
    )
    print("|---|---|---|---|---|---|")
    for name in SCENARIOS:
        for c in coxref.itertuples(index=False):
            arm, ref = recs[name, c.dataset, c.arm], recs[name, c.dataset, c.reference]
            fit = cox.cox_ph(
                np.r_[np.ones(arm.n), np.zeros(ref.n)],
                np.r_[arm.time, ref.time],
                np.r_[arm.event, ref.event],
            )
            lo, hi = fit.ci()
            print(
                f"| {name} | {c.dataset} | {c.arm} vs {c.reference} | {np.exp(c.log_hr):.3f} | "
                f"{fit.hr[0]:.3f} ({lo[0]:.3f}-{hi[0]:.3f}) | {abs(fit.coef[0] - c.log_hr):.4f} |"
            )


if __name__ == "__main__":
    main()
