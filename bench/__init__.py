"""Benchmarks for the lab's engine and job runner; run with `python -m bench.run`."""
