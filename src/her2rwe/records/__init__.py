"""Reading raw input files: CSV checks, the input contracts, the identifier guard."""
