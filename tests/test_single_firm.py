"""The sample-quantile test against a plain loop, and its size by simulation."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from research_lib.inference.single_firm import rolling_sums, sample_quantile_test


def _ab(resid: np.ndarray, ar: np.ndarray) -> SimpleNamespace:
    tau = np.arange(-(ar.size // 2), ar.size // 2 + 1)

    def window_index(a: int, b: int) -> np.ndarray:
        return (tau >= a) & (tau <= b)

    return SimpleNamespace(est_resid=resid[None, :], ar=ar[None, :], window_index=window_index)


def test_rolling_sums_match_a_loop_and_skip_gaps() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=50)
    x[[7, 30]] = np.nan
    got = rolling_sums(x, 3)
    want = [x[j:j + 3].sum() for j in range(48) if not np.isnan(x[j:j + 3]).any()]
    np.testing.assert_allclose(got, want)
    with pytest.raises(ValueError, match="between 1 and"):
        rolling_sums(x, 0)


def test_pvalue_is_the_two_sided_empirical_tail() -> None:
    rng = np.random.default_rng(1)
    resid = rng.standard_t(3, size=240) * 0.01
    ar = np.zeros(21)
    ar[10:12] = [-0.09, 0.01]  # CAR[0,1] = -0.08
    res = sample_quantile_test(_ab(resid, ar), 0, (0, 1))
    sums = np.array([resid[j] + resid[j + 1] for j in range(239)])
    assert res.car == pytest.approx(-0.08)
    assert res.n_sums == 239
    # finite-sample p-values (1 + #as extreme) / (n + 1), by a plain count
    lower = (1 + sum(1 for s in sums if s <= -0.08)) / (len(sums) + 1)
    upper = (1 + sum(1 for s in sums if s >= -0.08)) / (len(sums) + 1)
    assert res.pvalue == pytest.approx(min(1, 2 * min(lower, upper)), rel=1e-12)
    assert res.pvalue_less == pytest.approx(lower, rel=1e-12) and res.pvalue_greater == pytest.approx(upper, rel=1e-12)
    assert res.pvalue < 0.05 and "SQ test" in str(res)


def test_pvalue_is_never_zero() -> None:
    """A CAR beyond every residual sum gets 2 / (n + 1), not 0 (issue 10)."""
    rng = np.random.default_rng(2)
    resid = rng.normal(0, 0.01, size=240)
    ar = np.zeros(21)
    ar[10] = -1.0  # far below every one-day residual
    res = sample_quantile_test(_ab(resid, ar), 0, (0, 0))
    assert res.quantile == 0.0
    assert res.pvalue == pytest.approx(2 / 241, rel=1e-12) and res.pvalue_less == pytest.approx(1 / 241, rel=1e-12)
    assert res.pvalue_greater == 1.0


def test_size_under_the_null_is_near_nominal() -> None:
    """A CAR drawn from the same fat-tailed law as the residuals is rejected about 5% of the time."""
    rng = np.random.default_rng(7)
    rejections = 0
    n_sim = 800
    for _ in range(n_sim):
        e = rng.standard_t(4, size=261) * 0.01
        ar = np.zeros(21)
        ar[10] = e[-1]
        rejections += sample_quantile_test(_ab(e[:240], ar), 0, (0, 0)).pvalue < 0.05
    rate = rejections / n_sim
    se = np.sqrt(0.05 * 0.95 / n_sim)
    assert abs(rate - 0.05) < 4 * se, rate
