# Input contract v2: longitudinal records -> validated frames and lines of therapy (every patient,
# before and independently of index selection), and the CONSORT-style flow figure of the selection.


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


rule plot_flow:
    input:
        attrition="results/{study}/tables/attrition.csv",
    output:
        pdf="results/{study}/figures/flow.pdf",
        png="results/{study}/figures/flow.png",
    params:
        study=study_block,
        min_cell_count=config["min_cell_count"],
    log:
        "results/{study}/logs/plot_flow.log",
    script:
        "../scripts/plot_flow.py"
