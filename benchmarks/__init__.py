"""Benchmarks (pytest-benchmark): `make bench`; see docs/benchmarks.md."""
