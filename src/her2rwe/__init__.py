"""her2rwe: real-world outcomes analysis of HER2-positive metastatic breast cancer.

The package is the pure core of the workflow: ingest and validation, endpoint derivation, survival,
response, safety and baseline statistics, formatting and plotting. It has no Snakemake imports and no
global state; the scripts in ``workflow/scripts`` only move data between files and these functions.
"""

__version__ = "0.1.0"
