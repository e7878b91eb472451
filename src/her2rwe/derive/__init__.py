"""Derived records: endpoints, the one-row-per-patient analysis dataset, the pre-run check of a study against its data."""
