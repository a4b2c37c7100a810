"""Inference: test statistics across events and for one firm.

The tests are public functions over arrays with an optional leading samples
axis (``parametric``, ``rank``, ``sign``, ``correlation``); ``battery`` holds
the registry that maps test names to them and :class:`TestBattery`, which
evaluates them for one study; the simulator evaluates the same registry
entries for many samples at once.
"""

from __future__ import annotations

from research_lib.inference.battery import (
    ALL_TEST_NAMES,
    EXTRA_TEST_NAMES,
    REGISTRY,
    TEST_NAMES,
    TestBattery,
    WindowInputs,
    run_tests,
)
from research_lib.inference.correlation import kolari_pynnonen_r, mean_cross_correlation
from research_lib.inference.results import Statistic, TestResult, critical_values, pvalues
from research_lib.inference.single_firm import (
    SampleQuantileTest,
    rolling_sums,
    sample_quantile_pvalues,
    sample_quantile_test,
)

__all__ = [
    "ALL_TEST_NAMES",
    "EXTRA_TEST_NAMES",
    "REGISTRY",
    "TEST_NAMES",
    "Statistic",
    "TestResult",
    "WindowInputs",
    "critical_values",
    "kolari_pynnonen_r",
    "mean_cross_correlation",
    "pvalues",
    "TestBattery",
    "run_tests",
    "SampleQuantileTest",
    "rolling_sums",
    "sample_quantile_pvalues",
    "sample_quantile_test",
]
