# Input contract v2: longitudinal records -> validated frames and lines of therapy (every patient,
# before and independently of index selection), and the treatment patterns. The CONSORT-style flow
# figure of the selection and the treatment-sequence figure are drawn by the study's figure job
# (figures.smk: one matplotlib start-up per study).


rule derive_lines:
    input:
        unpack(records_inputs),
    output:
        lines="results/{study}/lines_of_therapy.parquet",
        discrepancies="results/{study}/internal/line_discrepancies.csv",
        patients="results/{study}/internal/records_patients.parquet",
        assessments="results/{study}/internal/records_assessments.parquet",
        adverse_events="results/{study}/internal/records_adverse_events.parquet",
    params:
        study=study_block,
        days_per_month=config["days_per_month"],
    log:
        "results/{study}/logs/derive_lines.log",
    script:
        "../scripts/derive_lines.py"


rule summarize_treatment_patterns:
    input:
        lines="results/{study}/lines_of_therapy.parquet",
        patients="results/{study}/internal/records_patients.parquet",
    output:
        sequences="results/{study}/tables/treatment_sequences.csv",
        outcomes="results/{study}/tables/outcomes_by_line.csv",
        sequences_internal="results/{study}/internal/treatment_sequences.csv",
        outcomes_internal="results/{study}/internal/outcomes_by_line.csv",
    params:
        study=study_block,
        days_per_month=config["days_per_month"],
        min_cell_count=config["min_cell_count"],
    log:
        "results/{study}/logs/summarize_treatment_patterns.log",
    script:
        "../scripts/summarize_treatment_patterns.py"


