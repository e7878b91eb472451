"""Estimators only: arrays in, small result objects out (no pandas I/O, no config)."""
