"""Variance ratio and range-based volatility: formulas, Brownian unbiasedness, size, power, bad input."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from research_lib.errors import NoValidEventsError
from research_lib.inference import TestBattery
from research_lib.measures import (
    OHLCArrays,
    abnormal_range,
    garman_klass_variance,
    parkinson_variance,
    variance_ratio_test,
)
from research_lib.measures.synthetic import market_model_panel, synthetic_panel
from research_lib.models import fit_model

L1, L2 = 200, 11


def test_estimators_equal_their_formulas_on_a_hand_case() -> None:
    o, h, lo, c = 100.0, 110.0, 95.0, 97.0
    assert parkinson_variance(np.array(h), np.array(lo)) == pytest.approx(np.log(110 / 95) ** 2 / (4 * np.log(2)), rel=1e-14)
    gk = 0.5 * np.log(110 / 95) ** 2 - (2 * np.log(2) - 1) * np.log(97 / 100) ** 2
    assert garman_klass_variance(np.array(o), np.array(h), np.array(lo), np.array(c)) == pytest.approx(gk, rel=1e-14)
    # missing and inconsistent bars are NaN, never guessed
    assert np.isnan(parkinson_variance(np.array([np.nan, 90.0]), np.array([95.0, 95.0]))).all()
    assert np.isnan(garman_klass_variance(np.array([100.0]), np.array([99.0]), np.array([95.0]), np.array([97.0])))[0]


def _bars(n_paths: int, sigma2: np.ndarray | float, rng: np.random.Generator, steps: int = 100) -> tuple[np.ndarray, ...]:
    """Exact daily OHLC of driftless Brownian log prices with daily variance sigma2 (open = 0).

    The grid values are a random walk; each sub-interval's max and min are drawn
    exactly from the Brownian bridge between its end points,
    M = (a + b + sqrt((b - a)^2 - 2 s^2 ln U)) / 2 (the min likewise).
    """
    s2 = np.broadcast_to(np.asarray(sigma2, dtype=float), (n_paths,))[:, None] / steps
    w = np.concatenate([np.zeros((n_paths, 1)), np.cumsum(np.sqrt(s2) * rng.standard_normal((n_paths, steps)), axis=1)], axis=1)
    a, b = w[:, :-1], w[:, 1:]
    up = (a + b + np.sqrt((b - a) ** 2 - 2 * s2 * np.log(rng.random(a.shape)))) / 2
    dn = (a + b - np.sqrt((b - a) ** 2 - 2 * s2 * np.log(rng.random(a.shape)))) / 2
    return np.ones(n_paths), np.exp(up.max(axis=1)), np.exp(dn.min(axis=1)), np.exp(w[:, -1])


def test_range_estimators_unbiased_on_brownian_paths() -> None:
    rng = np.random.default_rng(42)
    sigma2 = 4e-4
    o, h, lo, c = _bars(40_000, sigma2, rng)
    for est in (parkinson_variance(h, lo), garman_klass_variance(o, h, lo, c)):
        se = est.std() / np.sqrt(est.size)
        assert abs(est.mean() - sigma2) < 4 * se, (est.mean(), sigma2, se)
        assert se < 0.01 * sigma2  # the check is sharp enough to see a 4% bias
    # the close-to-close estimator has the same mean but is far noisier (Parkinson's efficiency ~5)
    assert np.var(np.log(c) ** 2) > 4 * np.var(parkinson_variance(h, lo))


def _range_panel(n: int, rng: np.random.Generator, day0_factor: float = 1.0) -> tuple[object, OHLCArrays]:
    s2 = np.full((n, L1 + L2), 4e-4)
    s2[:, L1 + L2 // 2] *= day0_factor
    o, h, lo, c = (x.reshape(n, L1 + L2) for x in _bars(n * (L1 + L2), s2.reshape(-1), rng, steps=5))
    panel = synthetic_panel(np.zeros((n, L1)), np.zeros((n, L2)))
    split = [(x[:, :L1], x[:, L1:]) for x in (o, h, lo, c)]
    return panel, OHLCArrays(*(p[0] for p in split), *(p[1] for p in split))


def test_abnormal_range_size_and_power() -> None:
    rng = np.random.default_rng(7)
    reps = {1.0: 200, 4.0: 100}
    rates = {}
    for factor, r in reps.items():
        hits = np.zeros(2)
        for _ in range(r):
            panel, ohlc = _range_panel(20, rng, factor)
            res = abnormal_range(panel, ohlc, "parkinson")
            out = TestBattery(res.abnormal).window(0, 0, ["bmp", "corrado_rank"])
            hits += [out["bmp"].pvalue < 0.05, out["corrado_rank"].pvalue < 0.05]
        rates[factor] = hits / r
    assert np.all(np.abs(rates[1.0] - 0.05) < 3 * np.sqrt(0.0475 / 200)), rates
    assert np.all(rates[4.0] > 0.8), rates


def test_abnormal_range_log_ratio_and_status() -> None:
    rng = np.random.default_rng(8)
    panel, ohlc = _range_panel(3, rng)
    hi_evt, hi_est = ohlc.high_evt.copy(), ohlc.high_est.copy()
    hi_est[0] = np.nan  # like an index file: no highs
    hi_evt[1, L2 // 2] = ohlc.low_evt[1, L2 // 2]  # H = L on day 0
    res = abnormal_range(panel, dataclasses.replace(ohlc, high_est=hi_est, high_evt=hi_evt), "garman_klass")
    st = res.status.set_index("event_id")
    assert st.loc["E0", "status"] == "excluded" and "no high/low" in st.loc["E0", "reason"]
    assert st.loc["E1", "status"] == "flagged" and "tau = 0" in st.loc["E1", "reason"]
    assert st.loc["E2", "status"] == "kept"
    assert res.abnormal.ar.shape[0] == 2
    v = res.var_est[2]
    np.testing.assert_allclose(res.log_ratio[2], np.log(res.var_evt[2] / v.mean()), rtol=1e-12)
    np.testing.assert_allclose(res.abnormal.ar[1], np.log(res.var_evt[2]) - np.log(v).mean(), rtol=1e-12)
    with pytest.raises(NoValidEventsError, match="no high/low"):
        abnormal_range(panel, dataclasses.replace(ohlc, high_est=np.full_like(hi_est, np.nan)))


@pytest.mark.parametrize("method", ["chi2", "t"])
def test_variance_ratio_size_and_power(method: str) -> None:
    """500 seeded studies of N=30 market-model events; day-0 error variance x1 (size) and x3 (power)."""
    rates = {}
    for factor in (1.0, 3.0):
        hits = 0
        for r in range(500 if factor == 1.0 else 100):
            panel = market_model_panel(30, l1=L1, l2=L2, seed=r + (0 if factor == 1.0 else 10_000))
            if factor != 1.0:
                y = panel.y_evt.copy()
                y[:, L2 // 2] = 0.0002 + panel.x_evt[:, L2 // 2, 0] + np.sqrt(factor) * (y[:, L2 // 2] - 0.0002 - panel.x_evt[:, L2 // 2, 0])
                panel = dataclasses.replace(panel, y_evt=y)
            hits += variance_ratio_test(fit_model(panel, "market"), (0, 0), method).pvalue < 0.05
        rates[factor] = hits / (500 if factor == 1.0 else 100)
    upper = 0.05 + 3 * np.sqrt(0.0475 / 500)
    # chi2 is close to exact; the one-sided t on skewed squares is undersized, never oversized
    lower = 0.05 - 3 * np.sqrt(0.0475 / 500) if method == "chi2" else 0.0
    assert lower < rates[1.0] < upper, rates
    assert rates[3.0] > 0.8, rates


def test_variance_ratio_is_mean_squared_sar() -> None:
    ab = fit_model(market_model_panel(5, l1=L1, l2=L2, seed=3), "market")
    res = variance_ratio_test(ab, (-1, 1), "chi2", "two-sided")
    d = ab.n_est - 2
    u = (ab.sar[:, 4:7] ** 2 * ((d - 2) / d)[:, None])
    assert res.stat == pytest.approx(u.sum(), rel=1e-12) and res.distribution == "chi2(15)"
    np.testing.assert_allclose(res.ratios, u.mean(axis=1), rtol=1e-12)


def test_ohlc_arrays_from_frames_report_an_index_without_high_low() -> None:
    import pandas as pd

    from research_lib.measures import ohlc_arrays

    rng = np.random.default_rng(9)
    panel, ohlc = _range_panel(2, rng)
    frames = {}
    for i, sym in enumerate(("S0", "S1")):
        dates = pd.DatetimeIndex(np.concatenate([panel.est_dates[i], panel.evt_dates[i]]))
        cols = {c: np.concatenate([getattr(ohlc, f"{c}_est")[i], getattr(ohlc, f"{c}_evt")[i]]) for c in ("open", "high", "low", "close")}
        frames[sym] = pd.DataFrame(cols, index=dates)
    frames["S1"][["high", "low"]] = np.nan  # an index file: closes only
    arrays = ohlc_arrays(panel, frames)
    np.testing.assert_array_equal(arrays.high_est[0], ohlc.high_est[0])
    res = abnormal_range(panel, arrays)
    assert list(res.status["status"]) == ["kept", "excluded"] and "not guessed" in res.status["reason"][1]
    assert np.isnan(res.var_evt[1]).all()
