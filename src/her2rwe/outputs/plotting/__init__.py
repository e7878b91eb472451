"""Publication figures drawn from the computed results tables (docs/outputs.md, docs/figures.md).

Modules: ``style`` (palette, sizes, deterministic saving), ``km`` (Kaplan-Meier with risk table),
``forest`` (subgroup forest plots), ``response`` (best overall response), ``toxicity`` (adverse
events by grade), ``figures`` (all figures of one study from its results files). Matplotlib is
imported lazily, inside the drawing functions, with the Agg backend.
"""
