"""Inference: test statistics across events and for one firm."""
