# Input contract v2: longitudinal records -> validated frames and lines of therapy (every patient,
# before and independently of index selection). The endpoints job of a records study
# (endpoints.smk) reads and validates the same files and numbers the lines in its own process, by the
# same code, so that it does not wait for this job. The treatment patterns are a part of the study's
# summarize job (summarize.smk); the CONSORT-style flow figure of the selection and the
# treatment-sequence figure are drawn by the study's figure job (figures.smk: one matplotlib
# start-up per study).


rule derive_lines:
    input:
        unpack(records_inputs),
    output:
        lines="results/{study}/lines_of_therapy.parquet",
        discrepancies="results/{study}/internal/line_discrepancies.csv",
        patients="results/{study}/internal/records_patients.parquet",
    params:
        study=study_block,
        days_per_month=config["days_per_month"],
    priority: PRIORITY_DERIVE
    resources:
        # 100,000 patients (about 120 MB of CSV): 1.2 GB peak, 16 s (docs/benchmarks.md, records)
        mem_mb=memory_mb(1000, 10),
        runtime=10,
        cpus_per_task=1,
    log:
        "results/{study}/logs/derive_lines.log",
    script:
        "../scripts/derive_lines.py"
