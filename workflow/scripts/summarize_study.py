"""The tables of one study, in one job (one Python start-up), part by part: the Kaplan-Meier
summaries, landmarks, comparisons, Cox models and subgroups; the response, adverse-event and
baseline tables; and where the study configures them, competing risks, the adjusted comparison,
duration of response, treatment patterns (records) and the trial context. The rule's outputs are
keyed '<part>__<key>' (summary_parts() in workflow/rules/common.smk); a part runs when the study has
it, and writes its own log.

Each table is written twice: unsuppressed under results/{study}/internal/ (for figures and
reproduction checks), and with small counts masked (min_cell_count) under results/{study}/tables/
for sharing; the Markdown tables are formatted from the shareable copies. Each part imports what it
needs when it runs.
"""

import dataclasses
import sys

import pandas as pd
import pyarrow.parquet as pq

from her2rwe import io
from her2rwe.outputs.table_files import write_internal_and_shared

study = snakemake.params.study
k = snakemake.params.min_cell_count
inputs = snakemake.input


def files(part):
    """The outputs of one part, by their keys within the part."""
    prefix = f"{part}__"
    return {
        key.removeprefix(prefix): path
        for key, path in snakemake.output.items()
        if key.startswith(prefix)
    }


def dataset_columns(pick):
    """The analysis dataset, only the columns ``pick`` chooses from the names it has."""
    path = inputs.dataset
    return pd.read_parquet(path, columns=pick(pq.read_schema(path).names))


def write_formatted_and_curves(out, formatted, curves, curves_key, risk_table):
    """A part's Markdown tables (``<name>_md``), its curves (parquet) and their numbers at risk."""
    for name, text in formatted.items():
        io.write_text(text, out[f"{name}_md"])
    io.write_parquet(curves, out[curves_key])
    io.write_table(risk_table, out["risk_table"])


def survival_part(out):
    from her2rwe.analyses import survival
    from her2rwe.outputs import shareable, survival_tables

    data = dataset_columns(lambda names: survival.analysis_columns(study, names))
    results = survival.summarize_survival(data, study)
    shared = dict(
        zip(
            ("survival", "subgroup_survival"),
            shareable.survival_tables(
                results.survival, results.subgroup_survival, k, data["arm"].value_counts().to_dict()
            ),
            strict=True,
        )
    )
    shared["comparisons"] = shareable.comparisons(results.comparisons, k, shared["survival"])
    names = ("survival", "landmarks", "comparisons", "cox_models", "subgroup_survival")
    shared = write_internal_and_shared(
        {name: getattr(results, name) for name in names}, k, out, sys.stderr, decided=shared
    )
    notes = {name: shared[name].footnote() for name in ("survival", "comparisons", "cox_models")}
    formatted = survival.format_tables(
        dataclasses.replace(results, **{name: s.table for name, s in shared.items()}), study, notes
    )
    formatted["landmarks"] = survival_tables.format_landmarks(
        shared["landmarks"].table, study, shared["landmarks"].footnote()
    )
    formatted["subgroup_survival"] = survival_tables.format_subgroups(
        shared["subgroup_survival"].table, study, shared["subgroup_survival"].footnote()
    )
    write_formatted_and_curves(out, formatted, results.km_curves, "km_curves", results.risk_table)
    print(
        f"{len(data)} patients, {len(study['endpoints'])} endpoints, "
        f"method {study['ci_method']}, min_cell_count {k}",
        file=sys.stderr,
    )


def tables_part(out):
    """Response, adverse events and baseline."""
    from her2rwe.config import has_adverse_events
    from her2rwe.outputs.study_tables import log_lines, summarize_study_tables

    tables = summarize_study_tables(
        study,
        io.read_analysis_dataset(inputs.dataset),
        io.read_analysis_dataset(inputs.adverse_events),
        has_adverse_event_file=has_adverse_events(study),
        min_cell_count=k,
    )
    for name, table in tables.items():
        io.write_table(table.unsuppressed, out[f"{name}_internal"])
        io.write_table(table.frame, out[f"{name}_csv"])
        io.write_text(table.markdown, out[f"{name}_md"])
    print("\n".join(log_lines(tables)), file=sys.stderr)
    print(f"min_cell_count {k}", file=sys.stderr)


def competing_part(out):
    """Cumulative incidence, Gray's test and Fine-Gray comparisons; the curves and numbers at risk
    for the figure under results/{study}/competing/."""
    from her2rwe.analyses import competing

    data = dataset_columns(lambda names: competing.analysis_columns(study, names))
    results = competing.summarize_competing(data, study)
    shared = write_internal_and_shared(
        {
            name: getattr(results, name)
            for name in ("cumulative_incidence", "competing_comparisons")
        },
        k,
        out,
        sys.stderr,
    )
    formatted = competing.format_tables(
        dataclasses.replace(results, **{name: s.table for name, s in shared.items()}),
        study,
        {name: s.footnote() for name, s in shared.items()},
    )
    write_formatted_and_curves(out, formatted, results.cif_curves, "cif_curves", results.risk_table)
    print(
        f"{len(data)} patients, competing-risks endpoints {', '.join(study['competing_endpoints'])}, "
        f"min_cell_count {k}",
        file=sys.stderr,
    )


def adjusted_part(out):
    """Propensity score, weights, balance, weighted survival; the Markdown table and the methods
    paragraph are formatted from the shareable copies."""
    from her2rwe.analyses import adjusted

    results = adjusted.summarize_adjusted(pd.read_parquet(inputs.dataset), study)
    tables = {
        "balance": results.balance,
        "adjusted_comparisons": results.comparisons,
        "adjusted_survival": results.survival,
        "adjusted_attrition": results.attrition,
    }
    shared = write_internal_and_shared(tables, k, out, sys.stderr)
    shown = dataclasses.replace(
        results,
        balance=shared["balance"].table,
        comparisons=shared["adjusted_comparisons"].table,
    )
    notes = {name: shared[name].footnote() for name in ("balance", "adjusted_comparisons")}
    io.write_text(adjusted.format_tables(shown, study, notes)["adjusted"], out["adjusted_md"])
    io.write_text(adjusted.methods_text(study, results) + "\n", out["methods"])
    io.write_parquet(results.km_curves, out["km_curves"])
    io.write_table(results.risk_table, out["risk_table"])
    io.write_parquet(results.scores, out["scores"])
    for c in results.summary["comparisons"]:
        verdict = "balanced" if c["balanced"] else "not balanced: " + ", ".join(c["flagged"])
        print(f"{c['arm']} vs {c['reference']}: {verdict}", file=sys.stderr)
    print(f"min_cell_count {k}", file=sys.stderr)


def response_duration_part(out):
    """Duration of response and time to response (CSV unrounded, shareable and internal;
    Markdown)."""
    from her2rwe.outputs.response_duration import response_duration_tables

    patients = io.read_analysis_dataset(inputs.tumour_response)
    table, shared, markdown = response_duration_tables(patients, study, k)
    io.write_table(table, out["internal"])
    io.write_table(shared, out["csv"])
    io.write_text(markdown, out["md"])
    print(
        f"{int(table['responders'].sum())} responders in {len(table)} arm(s); min_cell_count {k}",
        file=sys.stderr,
    )


def treatment_patterns_part(out):
    """Line-to-line transitions and outcomes by line of a records study."""
    from her2rwe.analyses.treatment_patterns import summarize_outcomes_by_line, summarize_sequences
    from her2rwe.outputs.patterns import shareable_treatment_patterns

    lines = io.read_analysis_dataset(inputs.lines)
    patients = io.read_analysis_dataset(inputs.patients)
    sequences = summarize_sequences(lines)
    outcomes = summarize_outcomes_by_line(
        lines, patients, snakemake.params.days_per_month, study["ci_method"], study["conf_level"]
    )
    io.write_table(sequences, out["sequences_internal"])
    io.write_table(outcomes, out["outcomes_internal"])
    shown_sequences, shown_outcomes = shareable_treatment_patterns(sequences, outcomes, k)
    io.write_table(shown_sequences, out["sequences"])
    io.write_table(shown_outcomes, out["outcomes"])
    print(
        f"{len(sequences)} transition rows, {len(outcomes)} outcome rows; min_cell_count {k}",
        file=sys.stderr,
    )


def trial_context_part(out):
    """Reconstruct each trial arm from its digitised curve, and write its patient data and fit
    report, the comparison with the real-world arms (from the survival part's tables), the optional
    Cox HRs, the parametric models and the curves the KM figure overlays (docs/trial_context.md)."""
    from her2rwe.analyses import trial_context as tc
    from her2rwe.analyses.survival import Settings
    from her2rwe.outputs import shareable

    settings = Settings.from_study(study)
    arms = [tc.reconstruct_arm(item, settings) for item in study["trial_context"]]
    for arm in arms:
        report = tc.fit_report(arm)
        io.write_table(tc.ipd_table(arm), out[f"{arm.name}__ipd"])
        io.write_table(report, out[f"{arm.name}__fit"])
        io.write_text(tc.fit_markdown(arm, report), out[f"{arm.name}__fit_md"])
        for change in arm.rec.curve.changes:
            print(
                f"{arm.name}: cleaning: {change['step']}: {change['n_points']} point(s): "
                f"{change['detail']}",
                file=sys.stderr,
            )
        for note in arm.rec.notes:
            print(f"{arm.name}: warning: {note}", file=sys.stderr)
        print(
            f"{arm.name}: {arm.rec.n} patients, {arm.rec.events} events reconstructed",
            file=sys.stderr,
        )

    # the shareable copies read the shareable survival tables (small counts masked), the internal
    # copies the unsuppressed ones
    tables = files("survival")
    survival, comparison = {}, {}
    for kind, suffix in (("shown", ""), ("internal", "_internal")):
        survival[kind] = io.read_table(
            tables[f"survival{suffix}"], dtype={"group": str, "arm": str}
        )
        landmarks = io.read_table(tables[f"landmarks{suffix}"], dtype={"group": str})
        comparison[kind] = tc.comparison_table(survival[kind], landmarks, arms, study)
        io.write_table(comparison[kind], out[f"comparison{suffix}"])
    io.write_text(tc.format_comparison(comparison["shown"], arms, study), out["comparison_md"])

    arm_col = study["arms"]["column"]
    columns = [arm_col] + [f"{a.endpoint}_{x}" for a in arms for x in ("months", "event")]
    data = dataset_columns(lambda names: list(dict.fromkeys(c for c in columns if c in names)))
    cox = tc.cox_table(data, arms, study, survival["shown"])
    io.write_table(cox, out["cox"])
    io.write_table(tc.cox_table(data, arms, study, survival["internal"]), out["cox_internal"])
    io.write_text(tc.format_cox(cox, arms, study), out["cox_md"])
    # a real-world arm's log-likelihood, AIC and BIC give its n and events back: hidden where
    # survival.csv hides them
    models = shareable.parametric(
        tc.parametric_table(data, arms, study), survival["shown"], k
    ).table
    io.write_table(models, out["parametric"])
    io.write_text(tc.format_parametric(models, study), out["parametric_md"])
    io.write_parquet(tc.curves_table(arms), out["curves"])


# in this order: the trial context reads the survival part's tables
PARTS = {
    "survival": survival_part,
    "tables": tables_part,
    "competing": competing_part,
    "adjusted": adjusted_part,
    "response_duration": response_duration_part,
    "treatment_patterns": treatment_patterns_part,
    "trial_context": trial_context_part,
}
for part, run in PARTS.items():
    out = files(part)
    if not out:  # a part the study does not configure
        continue
    # each part's messages (and a traceback, should it fail) go to its own log
    previous, sys.stderr = sys.stderr, open(snakemake.log[part], "w", buffering=1)
    if previous is not sys.__stderr__:
        previous.close()
    run(out)
