"""ADR parity on small synthetic series with known premiums."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from research_lib.analysis.parity import (
    HKD_PEG_BAND,
    FxAssumption,
    adr_parity,
    fx_assumption,
    fx_daily_moves,
    rescale_to_reference,
)
from research_lib.errors import DataError, InvalidRequestError

RATIO = 8.0


def _pair(seed: int = 0, n: int = 12, rate: float = 7.8) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Ordinary closes (HKD), the true premium, and ADR closes built from them at a fixed rate."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2025-02-03", periods=n)
    ordinary = pd.Series(130 * np.exp(np.cumsum(rng.normal(0, 0.02, n))), index=dates)
    premium = pd.Series(rng.normal(0, 0.03, n), index=dates)
    adr = RATIO * ordinary / rate * (1 + premium)
    return adr, ordinary, premium


def test_premium_recovered_with_band_bounds() -> None:
    adr, ordinary, premium = _pair()
    fx = FxAssumption(7.8, "test")
    out = adr_parity(adr, ordinary, RATIO, fx)
    np.testing.assert_allclose(out["premium"], premium, rtol=0, atol=1e-12)
    np.testing.assert_allclose(out["implied"], RATIO * ordinary / 7.8, rtol=1e-14)
    np.testing.assert_allclose(out["log_premium"], np.log1p(premium), atol=1e-12)
    # at the band's ends the premium is (1 + p) * X_end / 7.8 - 1
    np.testing.assert_allclose(out["premium_low"], (1 + premium) * 7.75 / 7.8 - 1, atol=1e-12)
    np.testing.assert_allclose(out["premium_high"], (1 + premium) * 7.85 / 7.8 - 1, atol=1e-12)
    assert (out["ordinary_date"] == out.index).all()


def test_log_premium_change_is_difference_of_log_returns() -> None:
    adr, ordinary, _ = _pair(seed=3)
    out = adr_parity(adr, ordinary, RATIO, 7.8)
    diff = out["log_premium"].diff().dropna()
    expected = (np.log(adr).diff() - np.log(ordinary).diff()).dropna()
    np.testing.assert_allclose(diff, expected, atol=1e-12)


def test_fx_series_and_number_give_the_same_premium() -> None:
    adr, ordinary, premium = _pair(seed=1)
    rate = pd.Series(7.8, index=adr.index)
    a = adr_parity(adr, ordinary, RATIO, rate)
    b = adr_parity(adr, ordinary, RATIO, 7.8)
    np.testing.assert_allclose(a["premium"], b["premium"], atol=0)
    assert "premium_low" not in a.columns


def test_home_holiday_drops_the_date_and_lead_pairs_next_session() -> None:
    adr, ordinary, _ = _pair(seed=2)
    holiday = ordinary.index[4]
    ordinary = ordinary.drop(holiday)
    same = adr_parity(adr, ordinary, RATIO, 7.8)
    assert holiday not in same.index and len(same) == len(adr) - 1
    led = adr_parity(adr, ordinary, RATIO, 7.8, ordinary_lead=1)
    # ADR close of the day before the holiday is paired with the first home close after it
    before = ordinary.index[3]
    assert led.loc[before, "ordinary_date"] == ordinary.index[4]
    assert led.loc[before, "premium"] == pytest.approx(adr[before] * 7.8 / (RATIO * ordinary.iloc[4]) - 1, abs=1e-12)
    assert ordinary.index[-1] not in led.index  # no later home close to pair with


def test_fx_assumption_choices_and_bounds() -> None:
    fx = pd.Series([7.80, 7.79, np.nan], index=pd.to_datetime(["2024-12-04", "2024-12-05", "2024-12-06"]))
    last = fx_assumption(fx)
    assert last.rate == 7.79 and "2024-12-05" in last.basis
    mid = fx_assumption(method="band_mid")
    assert mid.rate == pytest.approx(7.80)
    lo, hi = mid.premium_bounds()
    assert lo == pytest.approx(7.75 / 7.80 - 1) and hi == pytest.approx(7.85 / 7.80 - 1)
    assert mid.max_log_change() == pytest.approx(math.log(7.85 / 7.75))
    assert HKD_PEG_BAND == (7.75, 7.85)
    with pytest.raises(InvalidRequestError, match="outside its band"):
        FxAssumption(7.9, "bad")
    with pytest.raises(InvalidRequestError, match="needs the rate series"):
        fx_assumption(method="last")
    with pytest.raises(InvalidRequestError, match="unknown method"):
        fx_assumption(fx, method="mean")
    with pytest.raises(DataError, match="no value"):
        fx_assumption(pd.Series([np.nan], index=pd.to_datetime(["2024-01-02"])))


def test_fx_daily_moves() -> None:
    fx = pd.Series([7.80, 7.81, 7.80, 7.83], index=pd.bdate_range("2024-01-01", periods=4))
    m = fx_daily_moves(fx)
    d = np.abs(np.diff(np.log([7.80, 7.81, 7.80, 7.83])))
    assert m["n"] == 3 and m["max"] == pytest.approx(d.max()) and m["median"] == pytest.approx(np.median(d))
    assert fx_daily_moves(fx, start="2024-01-02")["n"] == 2
    with pytest.raises(DataError):
        fx_daily_moves(fx.iloc[:1])


def test_rescale_to_reference_recovers_exchange_prices() -> None:
    raw = pd.Series([100.0, 102.0, 99.0], index=pd.bdate_range("2025-02-19", periods=3))
    adj = raw * 0.9834
    back = rescale_to_reference(adj, "2025-02-20", 102.0)
    np.testing.assert_allclose(back, raw, rtol=1e-14)
    with pytest.raises(DataError, match="no adjusted close"):
        rescale_to_reference(adj, "2025-02-24", 102.0)
    with pytest.raises(DataError, match="positive"):
        rescale_to_reference(adj, "2025-02-20", 0.0)


def test_bad_arguments() -> None:
    adr, ordinary, _ = _pair()
    with pytest.raises(InvalidRequestError, match="ratio"):
        adr_parity(adr, ordinary, 0, 7.8)
    with pytest.raises(InvalidRequestError, match="ordinary_lead"):
        adr_parity(adr, ordinary, RATIO, 7.8, ordinary_lead=-1)


def test_parity_takes_ratio_and_pair_and_alibaba_constants_live_in_the_case() -> None:
    import research_lib.analysis.parity as parity
    from research_lib.cases import alibaba

    assert not hasattr(parity, "BABA_ADS_RATIO") and alibaba.BABA_ADS_RATIO == 8.0
    idx = pd.to_datetime(["2024-01-02", "2024-01-03"])
    fx = pd.Series([1.35, 1.36], index=idx)
    with pytest.raises(InvalidRequestError, match="band=\\(low, high\\)"):
        fx_assumption(fx, pair="USD/SGD")  # no known peg: the band must be given
    sgd = fx_assumption(fx, band=(1.30, 1.40), pair="USD/SGD")
    assert sgd.rate == 1.36 and sgd.pair == "USD/SGD" and "USD/SGD" in sgd.basis
    adr = pd.Series([20.0, 21.0], index=idx)
    ordinary = pd.Series([2 * 20.0 * 1.36 / 2, 21.0 * 1.36 / 2], index=idx)  # ratio 2: parity exactly on day 2
    out = parity.adr_parity(adr, ordinary, 2.0, sgd)
    assert out["premium"].iloc[1] == pytest.approx(0.0, abs=1e-12)
