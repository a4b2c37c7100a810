"""Inference: test statistics across events and for one firm."""

from __future__ import annotations

from research_lib.inference.battery import (
    TestBattery,
    TestResult,
    mean_cross_correlation,
    run_tests,
)
from research_lib.inference.single_firm import (
    SampleQuantileTest,
    rolling_sums,
    sample_quantile_test,
)

__all__ = [
    "TestResult",
    "mean_cross_correlation",
    "TestBattery",
    "run_tests",
    "SampleQuantileTest",
    "rolling_sums",
    "sample_quantile_test",
]
