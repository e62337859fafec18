"""Benchmarks of Kyodo's workflow engine (see bench/README.md)."""
