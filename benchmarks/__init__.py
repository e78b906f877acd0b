"""Benchmarks for newsclean (quality harness: benchmarks/quality.py)."""
