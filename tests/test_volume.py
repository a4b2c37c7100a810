"""Abnormal log volume: statsmodels oracle, bad input, size and power."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from research_lib.errors import InvalidRequestError, NoValidEventsError
from research_lib.inference import TestBattery
from research_lib.measures import VolumeArrays, abnormal_volume, log_volume
from research_lib.measures.synthetic import synthetic_panel

L1, L2 = 200, 11


def _volumes(n: int, seed: int, shock: float = 0.0) -> tuple[VolumeArrays, np.ndarray, np.ndarray]:
    """Lognormal volume with a market component; ``shock`` adds to log volume on day 0."""
    rng = np.random.default_rng(seed)
    m = 20.0 + 0.3 * rng.standard_normal((n, L1 + L2))
    v = 5.0 + 0.6 * m + 0.5 * rng.standard_normal((n, L1 + L2))
    v[:, L1 + L2 // 2] += shock
    vol, mvol = np.expm1(v), np.expm1(m)
    return VolumeArrays(vol[:, :L1], vol[:, L1:], mvol[:, :L1], mvol[:, L1:]), vol, mvol


def _panel(n: int) -> object:
    return synthetic_panel(np.zeros((n, L1)), np.zeros((n, L2)))


def test_market_model_equals_statsmodels_ols_per_event() -> None:
    va, vol, mvol = _volumes(4, 1)
    res = abnormal_volume(_panel(4), va, model="market")
    ab = res.abnormal
    for i in range(4):
        y, x = np.log1p(vol[i, :L1]), sm.add_constant(np.log1p(mvol[i, :L1]))
        fit = sm.OLS(y, x).fit()
        np.testing.assert_allclose(ab.params[i], fit.params, rtol=1e-9)
        np.testing.assert_allclose(ab.sigma2[i], fit.scale, rtol=1e-9)
        pred = fit.get_prediction(sm.add_constant(np.log1p(mvol[i, L1:])))
        np.testing.assert_allclose(ab.ar[i], np.log1p(vol[i, L1:]) - pred.predicted_mean, rtol=1e-9, atol=1e-12)
        # prediction-error variance = var of the mean prediction + s^2
        np.testing.assert_allclose(ab.ar_var[i], pred.se_mean**2 + fit.scale, rtol=1e-9)
    assert (res.status["status"] == "kept").all()


def test_mean_adjusted_is_the_estimation_mean() -> None:
    va, vol, _ = _volumes(3, 2)
    ab = abnormal_volume(_panel(3), va, model="constant_mean").abnormal
    lv = np.log1p(vol)
    np.testing.assert_allclose(ab.ar, lv[:, L1:] - lv[:, :L1].mean(axis=1, keepdims=True), rtol=1e-10)
    np.testing.assert_allclose(ab.sigma2, lv[:, :L1].var(axis=1, ddof=1), rtol=1e-10)


def test_log_turnover() -> None:
    out = log_volume(np.array([0.0, 1000.0]), np.array([1e6, 1e6]))
    np.testing.assert_allclose(out, np.log(np.array([0.0, 0.1]) + 0.000255))
    assert np.isnan(log_volume(np.array([-1.0]))[0])


def test_missing_and_zero_event_volume_flagged_not_dropped() -> None:
    va, _, _ = _volumes(3, 3)
    evt = va.volume_evt.copy()
    evt[0, L2 // 2] = 0.0
    evt[1, 0] = np.nan
    res = abnormal_volume(_panel(3), VolumeArrays(va.volume_est, evt, va.market_est, va.market_evt), "market")
    st = res.status.set_index("event_id")
    assert st.loc["E0", "status"] == "flagged" and "tau = 0" in st.loc["E0", "reason"]
    assert st.loc["E1", "status"] == "flagged" and "tau = -5" in st.loc["E1", "reason"]
    assert st.loc["E2", "status"] == "kept"
    assert res.abnormal.ar.shape[0] == 3
    assert np.isnan(res.abnormal.ar[0, L2 // 2]) and np.isnan(res.abnormal.ar[1, 0])
    # zero kept as a value on request
    res2 = abnormal_volume(_panel(3), VolumeArrays(va.volume_est, evt, va.market_est, va.market_evt), "market", zero_volume="keep")
    assert np.isfinite(res2.abnormal.ar[0, L2 // 2])


def test_index_without_volume_excludes_with_reason() -> None:
    va, _, _ = _volumes(2, 4)
    mest = va.market_est.copy()
    mest[1] = 0.0  # like ^HSI in the snapshot
    res = abnormal_volume(_panel(2), VolumeArrays(va.volume_est, va.volume_evt, mest, va.market_evt), "market")
    st = res.status.set_index("event_id")
    assert st.loc["E1", "status"] == "excluded" and "constant_mean" in st.loc["E1", "reason"]
    assert res.abnormal.ar.shape[0] == 1
    with pytest.raises(NoValidEventsError, match="no usable volume"):
        abnormal_volume(_panel(1), VolumeArrays(va.volume_est[:1], va.volume_evt[:1], mest[1:], va.market_evt[:1]), "market")


def test_market_model_without_benchmark_volume_is_refused() -> None:
    va, _, _ = _volumes(2, 5)
    with pytest.raises(InvalidRequestError, match="benchmark's volume"):
        abnormal_volume(_panel(2), VolumeArrays(va.volume_est, va.volume_evt), "market")
    with pytest.raises(InvalidRequestError, match="do not match the panel"):
        abnormal_volume(_panel(3), va)


def test_size_and_power_of_battery_on_volume() -> None:
    """Seeded: 300 studies of N=20; rejection of the day-0 BMP and rank tests at 5%."""
    reps, n = 300, 20
    rates = {}
    for shock in (0.0, 0.5):
        rej = np.zeros(2)
        for r in range(reps):
            va, _, _ = _volumes(n, 1000 + r, shock)
            ab = abnormal_volume(_panel(n), va, "market").abnormal
            out = TestBattery(ab).window(0, 0, ["bmp", "corrado_rank"])
            rej += [out["bmp"].pvalue < 0.05, out["corrado_rank"].pvalue < 0.05]
        rates[shock] = rej / reps
    mc = 3 * np.sqrt(0.05 * 0.95 / reps)
    assert np.all(np.abs(rates[0.0] - 0.05) < mc), rates
    assert np.all(rates[0.5] > 0.8), rates


def test_volume_arrays_look_up_dates_and_leave_gaps_nan() -> None:
    import pandas as pd

    from research_lib.measures import volume_arrays

    panel = _panel(2)
    dates = pd.DatetimeIndex(np.unique(np.concatenate([panel.est_dates.ravel(), panel.evt_dates.ravel()])))
    frame = pd.DataFrame({"volume": np.arange(dates.size, dtype=float)}, index=dates)
    va = volume_arrays(panel, {"S0": frame, "MKT": frame.drop(dates[3])})
    np.testing.assert_array_equal(va.volume_est[0], frame["volume"].reindex(pd.DatetimeIndex(panel.est_dates[0])).to_numpy())
    assert np.isnan(va.volume_est[1]).all()  # S1 has no frame
    assert np.isnan(va.market_est[0, 3]) and np.isfinite(va.market_est[0, 4])
