# The tables of a study, in one job (one Python start-up for all of them): survival (Kaplan-Meier
# summaries, landmarks, log-rank, Cox models and subgroups), then response, safety and baseline;
# and, where the study configures them, competing risks, the adjusted comparison, duration of
# response (an assessment file), treatment patterns (records) and the trial context. Each part
# writes its own log. Tables: unsuppressed under internal/, shareable (min_cell_count) under tables/.
# What the job writes depends on the study's config, so the rule is written once per study (rule
# summarize_study_<study>; summary_parts() in common.smk lists the outputs part by part).


for _study in STUDIES:

    rule:
        name:
            f"summarize_study_{_study}"
        input:
            **summary_inputs(_study),
        output:
            **{
                f"{part}__{key}": path
                for part, files in summary_parts(_study).items()
                for key, path in files.items()
            },
        params:
            study=study_config(_study),
            days_per_month=config["days_per_month"],
            min_cell_count=config["min_cell_count"],
        priority: PRIORITY_SUMMARIZE
        resources:
            mem_mb=memory_mb(1000, 60),
            runtime=30,
            cpus_per_task=1,
        log:
            **{
                part: f"results/{_study}/logs/{SUMMARY_LOGS[part]}.log"
                for part in summary_parts(_study)
            },
        script:
            "../scripts/summarize_study.py"
