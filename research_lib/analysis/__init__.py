"""Analyses built on a study's results: groups, calendar time, robustness, ADR parity."""
