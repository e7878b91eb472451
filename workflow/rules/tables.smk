# Response, safety and baseline tables: one job per study (scipy is imported once).

TABLE_NAMES = [
    "response",
    "response_comparisons",
    "best_response",
    "response_subgroups",
    "adverse_events",
    "adverse_events_by_category",
    "baseline",
]


rule summarize_tables:
    input:
        dataset="results/{study}/analysis_dataset.parquet",
        adverse_events="results/{study}/adverse_events.parquet",
    output:
        **{f"{name}_csv": f"results/{{study}}/tables/{name}.csv" for name in TABLE_NAMES},
        **{f"{name}_md": f"results/{{study}}/tables/{name}.md" for name in TABLE_NAMES},
    params:
        study=study_block,
    log:
        "results/{study}/logs/summarize_tables.log",
    script:
        "../scripts/summarize_tables.py"


@register_final_output
def table_outputs(study):
    return [
        f"results/{study}/tables/{name}.{ext}" for name in TABLE_NAMES for ext in ("csv", "md")
    ]
