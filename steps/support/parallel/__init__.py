"""The parallel runner: `python -m steps.support.parallel` (see __main__.py
and docs/reports.md)."""
