"""Returns on exchange sessions and benchmark alignment (research_lib.engine.returns)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from research_lib.engine.returns import align_benchmark, compute_returns
from research_lib.errors import DataError, InvalidRequestError
from research_lib.listings.calendars import get_calendar, sessions


def _adj_close(shared_data: Path, symbol: str) -> pd.Series:
    frame = pd.read_csv(shared_data / "prices" / f"{symbol}.csv", parse_dates=["date"], index_col="date")
    return frame["adj_close"].rename(symbol)


def _synthetic(dates: list[str], values: list[float]) -> pd.Series:
    return pd.Series(values, index=pd.DatetimeIndex(dates), name="X")


# --------------------------------------------------------------------------- real data
def test_baba_known_return(shared_data: Path) -> None:
    px = _adj_close(shared_data, "BABA")
    grid = sessions("BABA", px.index.min(), px.index.max())
    ret = compute_returns(px, grid)
    day = pd.Timestamp("2025-02-24")
    expected = px.loc[day] / px.loc[pd.Timestamp("2025-02-21")] - 1.0
    assert ret.loc[day] == pytest.approx(expected, rel=1e-12)
    assert round(ret.loc[day] * 100, 2) == -10.23  # PROVENANCE.md: 141.3607 -> 126.8952
    assert ret.index.equals(grid)
    assert np.isnan(ret.iloc[0])


def test_log_returns_are_log1p_of_simple(shared_data: Path) -> None:
    px = _adj_close(shared_data, "9988.HK")
    grid = sessions("9988.HK", px.index.min(), px.index.max())
    simple = compute_returns(px, grid)
    logr = compute_returns(px, grid, kind="log")
    np.testing.assert_allclose(logr.to_numpy(), np.log1p(simple.to_numpy()), rtol=1e-12, equal_nan=True)


def test_benchmark_on_other_calendar_covers_the_same_interval(shared_data: Path) -> None:
    """Each aligned index return spans exactly the security's session interval, or is NaN."""
    hsi = _adj_close(shared_data, "^HSI")
    hk = sessions("^HSI", "2024-12-01", "2025-03-31")
    ny = sessions("BABA", "2025-01-02", "2025-03-31")
    r_hk = compute_returns(hsi[(hsi.index >= hk[0]) & (hsi.index <= hk[-1])], hk)
    on_ny = align_benchmark(r_hk, ny)
    assert on_ny.index.equals(ny)
    hk_holidays = ny.difference(hk)  # NYSE sessions without an HKEX session (Lunar New Year ...)
    assert pd.Timestamp("2025-01-29") in hk_holidays
    assert on_ny.loc[hk_holidays].isna().all()
    # oracle: index closes at both ends of each NY interval, NaN when either end is not an HK session
    close = hsi.reindex(hk)
    for prev, day in zip(ny[:-1], ny[1:], strict=True):
        want = close.get(day, np.nan) / close.get(prev, np.nan) - 1.0
        got = on_ny.loc[day]
        assert (np.isnan(got) and np.isnan(want)) or got == pytest.approx(want, rel=1e-12), day
    # 2025-02-03: NY's return starts on Friday 01-31, an HK holiday -> no matching index return
    assert np.isnan(on_ny.loc[pd.Timestamp("2025-02-03")])
    # 2025-01-21: NY was closed on Monday 01-20 (HK open), so the index return spans two HK sessions
    jan21 = pd.Timestamp("2025-01-21")
    assert on_ny.loc[jan21] == pytest.approx(hsi.loc[jan21] / hsi.loc[pd.Timestamp("2025-01-17")] - 1.0, rel=1e-12)
    # on one calendar nothing changes
    same = align_benchmark(r_hk, hk)
    np.testing.assert_array_equal(same.to_numpy()[1:], r_hk.to_numpy()[1:])


def test_aligned_benchmark_log_returns_sum_and_missing_values_propagate() -> None:
    bench_days = pd.DatetimeIndex(["2025-03-03", "2025-03-04", "2025-03-05", "2025-03-06", "2025-03-07"])
    r = pd.Series([np.nan, 0.01, 0.02, np.nan, 0.03], index=bench_days)
    sec_days = pd.DatetimeIndex(["2025-03-03", "2025-03-05", "2025-03-07"])
    logs = align_benchmark(r, sec_days, kind="log")
    assert logs.loc["2025-03-05"] == pytest.approx(0.03)  # 0.01 + 0.02
    assert np.isnan(logs.loc["2025-03-07"])  # a missing benchmark return inside the interval
    simple = align_benchmark(r, sec_days)
    assert simple.loc["2025-03-05"] == pytest.approx(1.01 * 1.02 - 1.0, rel=1e-12)


# --------------------------------------------------------------------------- gaps
GRID = pd.DatetimeIndex(["2025-03-03", "2025-03-04", "2025-03-05", "2025-03-06", "2025-03-07", "2025-03-10"])


def test_missing_price_gives_missing_returns() -> None:
    px = _synthetic(["2025-03-03", "2025-03-04", "2025-03-06", "2025-03-07", "2025-03-10"], [10, 11, 12.1, 12.1, 13.31])
    ret = compute_returns(px, GRID)
    assert np.isnan(ret.loc["2025-03-05"])  # no price
    assert np.isnan(ret.loc["2025-03-06"])  # spans two sessions: not a one-day return
    assert ret.loc["2025-03-04"] == pytest.approx(0.1)
    assert ret.loc["2025-03-07"] == pytest.approx(0.0)
    assert ret.loc["2025-03-10"] == pytest.approx(0.1)


def test_span_keeps_multi_session_return() -> None:
    px = _synthetic(["2025-03-03", "2025-03-04", "2025-03-06", "2025-03-07", "2025-03-10"], [10, 11, 12.1, 12.1, 13.31])
    ret = compute_returns(px, GRID, after_gap="span")
    assert np.isnan(ret.loc["2025-03-05"])
    assert ret.loc["2025-03-06"] == pytest.approx(12.1 / 11 - 1)
    assert np.isnan(ret.loc["2025-03-03"])  # nothing before the first price


def test_without_sessions_uses_own_dates() -> None:
    px = _synthetic(["2025-03-03", "2025-03-05"], [10.0, 12.0])
    ret = compute_returns(px)
    assert list(ret.index) == list(px.index)
    assert ret.iloc[1] == pytest.approx(0.2)


def test_price_on_non_session_is_dropped_with_warning() -> None:
    px = _synthetic(["2025-03-03", "2025-03-08", "2025-03-10"], [10.0, 99.0, 11.0])  # 03-08 is a Saturday
    grid = pd.DatetimeIndex(get_calendar("XNYS").sessions_in_range("2025-03-03", "2025-03-10"))
    with pytest.warns(UserWarning, match="2025-03-08"):
        ret = compute_returns(px, grid, after_gap="span")
    assert ret.loc["2025-03-10"] == pytest.approx(0.1)


@pytest.mark.parametrize("bad", [0.0, -1.0])
def test_non_positive_price_is_an_error(bad: float) -> None:
    px = _synthetic(["2025-03-03", "2025-03-04"], [10.0, bad])
    with pytest.raises(DataError, match="2025-03-04"):
        compute_returns(px)


def test_duplicate_dates_and_bad_arguments() -> None:
    px = _synthetic(["2025-03-03", "2025-03-03"], [10.0, 11.0])
    with pytest.raises(DataError, match="duplicate"):
        compute_returns(px)
    ok = _synthetic(["2025-03-03", "2025-03-04"], [10.0, 11.0])
    with pytest.raises(InvalidRequestError, match="kind"):
        compute_returns(ok, kind="pct")
    with pytest.raises(InvalidRequestError, match="after_gap"):
        compute_returns(ok, after_gap="fill")
    with pytest.raises(DataError, match="DatetimeIndex"):
        compute_returns(pd.Series([1.0, 2.0]))
