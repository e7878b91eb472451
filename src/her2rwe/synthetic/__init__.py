"""The seeded generators of the bundled synthetic data."""
