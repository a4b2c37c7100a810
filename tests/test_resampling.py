"""Resampling tests: equal to plain per-resample loops, size under the null, power."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from research_lib.errors import InvalidRequestError
from research_lib.inference.resampling import (
    lbt_bootstrap,
    placebo_permutation_test,
    skewness_adjusted_t,
    wild_bootstrap_t,
)


def _loop_wild(car: np.ndarray, b: int, seed: int, center: bool = True) -> np.ndarray:
    rng = np.random.default_rng(seed)
    c = car - car.mean() if center else car
    out = []
    for _ in range(b):
        w = 1.0 - 2.0 * np.unpackbits(rng.integers(-(2**63), 2**63 - 1, size=-(-c.size // 64), dtype=np.int64, endpoint=True).view(np.uint8))[: c.size]
        out.append(stats.ttest_1samp(w * c, 0.0).statistic)
    return np.array(out)


def test_wild_bootstrap_equals_plain_loop() -> None:
    car = np.random.default_rng(1).normal(0.01, 0.05, 40)
    res = wild_bootstrap_t(car, n_resamples=499, seed=11)
    t = stats.ttest_1samp(car, 0.0).statistic
    null = _loop_wild(car, 499, 11)
    assert res.stat == pytest.approx(t, rel=1e-12)
    assert res.pvalue == pytest.approx((1 + np.sum(np.abs(null) >= abs(t))) / 500, abs=1e-15)
    assert res.critical_values == pytest.approx(tuple(np.quantile(null, [0.025, 0.975])), rel=1e-10)
    assert (res.n_resamples, res.seed) == (499, 11)
    assert wild_bootstrap_t(car, 499, 11) == res  # reproducible
    flips = wild_bootstrap_t(car, 499, 11, center=False)
    null_f = _loop_wild(car, 499, 11, center=False)
    assert flips.pvalue == pytest.approx((1 + np.sum(np.abs(null_f) >= abs(t))) / 500, abs=1e-15)


def test_wild_bootstrap_blocks_do_not_change_the_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    import research_lib.inference.resampling as rs

    car = np.random.default_rng(2).normal(0, 1, 50)
    whole = wild_bootstrap_t(car, 300, 5)
    monkeypatch.setattr(rs, "BLOCK_ELEMENTS", 50 * 7)  # blocks of 7 resamples
    assert wild_bootstrap_t(car, 300, 5) == whole


def test_lbt_equals_plain_loop() -> None:
    x = np.random.default_rng(3).lognormal(0, 1, 60) - np.exp(0.5)
    res = lbt_bootstrap(x, n_resamples=400, seed=4)
    rng = np.random.default_rng(4)
    nb, n = 15, 60
    null = []
    for _ in range(400):
        s = x[rng.integers(0, n, size=nb)]
        sd = s.std(ddof=1)
        S = (s.mean() - x.mean()) / sd
        g = np.sum((s - s.mean()) ** 3) / (nb * sd**3)
        null.append(np.sqrt(nb) * (S + g * S**2 / 3 + g / (6 * nb)))
    null_a = np.array(null)
    sd = x.std(ddof=1)
    S, g = x.mean() / sd, stats.skew(x, bias=True) * (x.std(ddof=0) / sd) ** 3
    t = np.sqrt(n) * (S + g * S**2 / 3 + g / (6 * n))
    assert res.stat == pytest.approx(t, rel=1e-10)
    assert res.critical_values == pytest.approx(tuple(np.quantile(null_a, [0.025, 0.975])), rel=1e-10)
    p = min(1.0, 2 * (1 + min(np.sum(null_a <= t), np.sum(null_a >= t))) / 401)
    assert res.pvalue == pytest.approx(p)
    assert float(skewness_adjusted_t(x)) == pytest.approx(t, rel=1e-12)


def test_placebo_permutation() -> None:
    e = np.random.default_rng(5).normal(0, 0.02, 240)
    e[17] = np.nan
    res = placebo_permutation_test(e, 0.05, 3)
    sums = np.array([e[j : j + 3].sum() for j in range(238) if np.isfinite(e[j : j + 3]).all()])
    assert res.n_resamples == sums.size == 235
    assert res.pvalue == pytest.approx((1 + np.sum(np.abs(sums) >= 0.05)) / (sums.size + 1))
    drawn = placebo_permutation_test(e, 0.05, 3, n_resamples=1000, seed=9)
    assert drawn == placebo_permutation_test(e, 0.05, 3, n_resamples=1000, seed=9) and drawn.seed == 9
    with pytest.raises(InvalidRequestError, match="seed"):
        placebo_permutation_test(e, 0.05, 3, n_resamples=100)
    with pytest.raises(InvalidRequestError, match="pseudo windows"):
        placebo_permutation_test(e[:10], 0.05, 3)


def test_size_and_power() -> None:
    """Seeded: 2000 samples of N=30 events, B=199; rejection at 5% (MC sd 0.49 points)."""
    reps, n, b = 2000, 30, 199
    rng = np.random.default_rng(2024)
    rej = {"flip0": 0, "wild0": 0, "lbt0": 0, "perm0": 0, "wild1": 0, "lbt1": 0, "perm1": 0}
    for r in range(reps):
        car = rng.standard_normal(n) * rng.uniform(0.5, 2.0, n)  # heteroskedastic events
        bhar = rng.lognormal(0, 0.8, n) - np.exp(0.32)  # skewed, mean zero
        resid = rng.standard_normal(250)
        rej["wild0"] += wild_bootstrap_t(car, b, r).pvalue < 0.05
        rej["flip0"] += wild_bootstrap_t(car, b, r, center=False).pvalue < 0.05
        rej["lbt0"] += lbt_bootstrap(bhar, b, r).pvalue < 0.05
        rej["perm0"] += placebo_permutation_test(resid[:240], resid[240:243].sum(), 3).pvalue < 0.05
        if r < 300:  # power with a planted effect
            rej["wild1"] += wild_bootstrap_t(car + 0.8, b, r).pvalue < 0.05
            rej["lbt1"] += lbt_bootstrap(bhar + 0.6, b, r).pvalue < 0.05
            rej["perm1"] += placebo_permutation_test(resid[:240], resid[240:243].sum() + 6.0, 3).pvalue < 0.05
    mc = 3 * np.sqrt(0.05 * 0.95 / reps)
    for k in ("wild0", "flip0", "lbt0", "perm0"):
        assert abs(rej[k] / reps - 0.05) < mc, (k, rej[k] / reps)
    for k in ("wild1", "lbt1", "perm1"):
        assert rej[k] / 300 > 0.8, (k, rej[k] / 300)
