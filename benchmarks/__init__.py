"""Benchmarks for Division Bell: run them all with `python benchmarks/run.py` (see README)."""
