"""Benchmarks of the trading server: `python -m bench` runs them all (see bench/README.md)."""
