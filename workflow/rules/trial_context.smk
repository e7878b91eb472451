# Trial context (studies.<name>.trial_context): published trial arms reconstructed from their
# digitised Kaplan-Meier curves, set beside the real-world arms. One job per study that has any;
# the outputs depend on the arms' names, so the rule is written once per such study.


for _study in TRIAL_CONTEXT_STUDIES:

    rule:
        name:
            f"trial_context_{_study}"
        input:
            **trial_context_inputs(_study),
        output:
            **trial_context_outputs(_study),
        params:
            study=study_config(_study),
            min_cell_count=config["min_cell_count"],
        log:
            f"results/{_study}/logs/trial_context.log",
        script:
            "../scripts/trial_context.py"
