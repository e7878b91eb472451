"""Trial context of one study: reconstruct each trial arm from its digitised curve, and write its
patient data and fit report, the comparison with the real-world arms, the optional Cox HRs, the
parametric models and the curves the KM figure overlays (docs/trial_context.md)."""

import sys

import pandas as pd
import pyarrow.parquet as pq

from her2rwe import io
from her2rwe.analyses import trial_context as tc
from her2rwe.analyses.survival import Settings
from her2rwe.outputs import shareable

sys.stderr = open(snakemake.log[0], "w", buffering=1)
study = snakemake.params.study
out = snakemake.output
settings = Settings.from_study(study)
arms = [tc.reconstruct_arm(item, settings) for item in study["trial_context"]]
for arm in arms:
    report = tc.fit_report(arm)
    io.write_table(tc.ipd_table(arm), out[f"{arm.name}__ipd"])
    io.write_table(report, out[f"{arm.name}__fit"])
    io.write_text(tc.fit_markdown(arm, report), out[f"{arm.name}__fit_md"])
    for change in arm.rec.curve.changes:
        print(
            f"{arm.name}: cleaning: {change['step']}: {change['n_points']} point(s): {change['detail']}",
            file=sys.stderr,
        )
    for note in arm.rec.notes:
        print(f"{arm.name}: warning: {note}", file=sys.stderr)
    print(
        f"{arm.name}: {arm.rec.n} patients, {arm.rec.events} events reconstructed", file=sys.stderr
    )

# the shareable copies read the shareable survival tables (small counts masked), the internal
# copies the unsuppressed ones
survival, comparison = {}, {}
for kind, suffix in (("shown", ""), ("internal", "_internal")):
    survival[kind] = io.read_table(
        snakemake.input[f"survival{suffix}"], dtype={"group": str, "arm": str}
    )
    landmarks = io.read_table(snakemake.input[f"landmarks{suffix}"], dtype={"group": str})
    comparison[kind] = tc.comparison_table(survival[kind], landmarks, arms, study)
    io.write_table(comparison[kind], out[f"comparison{suffix}"])
io.write_text(tc.format_comparison(comparison["shown"], arms, study), out.comparison_md)

path = snakemake.input.dataset
arm_col = study["arms"]["column"]
columns = [arm_col] + [f"{a.endpoint}_{x}" for a in arms for x in ("months", "event")]
data = pd.read_parquet(
    path, columns=list(dict.fromkeys(c for c in columns if c in pq.read_schema(path).names))
)
cox = tc.cox_table(data, arms, study, survival["shown"])
io.write_table(cox, out.cox)
io.write_table(tc.cox_table(data, arms, study, survival["internal"]), out.cox_internal)
io.write_text(tc.format_cox(cox, arms, study), out.cox_md)
# a real-world arm's log-likelihood, AIC and BIC give its n and events back: hidden where
# survival.csv hides them
models = shareable.parametric(
    tc.parametric_table(data, arms, study), survival["shown"], snakemake.params.min_cell_count
).table
io.write_table(models, out.parametric)
io.write_text(tc.format_parametric(models, study), out.parametric_md)
io.write_parquet(tc.curves_table(arms), out.curves)
