"""Calendar-time portfolios: construction, regression against numpy, a planted abnormal return, size by simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from research_lib.analysis.calendar_time import (
    calendar_time_abnormal,
    calendar_time_alpha,
    calendar_time_from_result,
    calendar_time_portfolio,
    holdings_from_result,
)
from research_lib.errors import InvalidRequestError
from research_lib.listings.calendars import sessions
from research_lib.study import event_study

DATES = pd.bdate_range("2021-01-04", periods=500)


def _world(rng: np.random.Generator, n_sec: int = 30, n_events: int = 60, delta: float = 0.0, days: int = 2):
    """Market, FF-style factors, security returns and event holdings with a planted daily AR ``delta``."""
    t = len(DATES)
    rf = np.full(t, 0.0001)
    mkt_rf = rng.normal(0.0003, 0.01, t)
    smb, hml = rng.normal(0, 0.005, t), rng.normal(0, 0.005, t)
    beta = rng.uniform(0.6, 1.4, n_sec)
    eps = rng.normal(0, 0.02, (t, n_sec))
    ret = rf[:, None] + mkt_rf[:, None] * beta[None, :] + 0.3 * smb[:, None] + eps
    syms = [f"S{j:02d}" for j in range(n_sec)]
    start_idx = rng.choice(np.arange(5, t - days - 5), n_events, replace=False)
    sec = rng.integers(0, n_sec, n_events)
    for i, j in zip(start_idx, sec, strict=True):
        ret[i : i + days, j] += delta
    returns = pd.DataFrame(ret, index=DATES, columns=syms)
    holdings = pd.DataFrame({"symbol": [syms[j] for j in sec], "start": DATES[start_idx],
                             "end": DATES[start_idx + days - 1]})
    factors = pd.DataFrame({"mkt_rf": mkt_rf, "smb": smb, "hml": hml, "rf": rf}, index=DATES)
    return returns, holdings, factors


def test_portfolio_matches_a_loop() -> None:
    rng = np.random.default_rng(3)
    returns, holdings, _ = _world(rng, n_sec=5, n_events=40, days=3)
    returns.iloc[7, 2] = np.nan  # a missing return is not held that day
    port = calendar_time_portfolio(returns, holdings)
    expect = {}
    for d in returns.index:
        held = {h.symbol for h in holdings.itertuples() if h.start <= d <= h.end}
        vals = [returns.at[d, s] for s in sorted(held) if np.isfinite(returns.at[d, s])]
        if vals:
            expect[d] = (float(np.mean(vals)), len(vals))
    assert list(port.index) == list(expect)
    np.testing.assert_allclose(port["ret"].to_numpy(), [v[0] for v in expect.values()], rtol=1e-14)
    assert port["n"].tolist() == [v[1] for v in expect.values()]
    assert port["n"].max() >= 2  # overlapping windows were exercised


def _lstsq(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """OLS coefficients and classical standard errors, by numpy."""
    X = np.column_stack([np.ones(len(y)), x])
    b, *_ = np.linalg.lstsq(X, y, rcond=None)
    e = y - X @ b
    s2 = e @ e / (len(y) - X.shape[1])
    return b, np.sqrt(np.diag(s2 * np.linalg.inv(X.T @ X)))


def test_alpha_matches_numpy_for_market_and_ff3() -> None:
    rng = np.random.default_rng(4)
    returns, holdings, factors = _world(rng, delta=0.004)
    port = calendar_time_portfolio(returns, holdings)
    f = factors.loc[port.index]
    y = port["ret"].to_numpy() - f["rf"].to_numpy()
    market = f["mkt_rf"] + f["rf"]
    res = calendar_time_alpha(port, market=market, factors=factors, model="market")
    b, se = _lstsq(y, f["mkt_rf"].to_numpy())
    assert res.alpha == pytest.approx(b[0], rel=1e-10) and res.se == pytest.approx(se[0], rel=1e-10)
    assert res.df == len(y) - 2 and res.n_days == len(y)
    assert res.pvalue == pytest.approx(2 * stats.t.sf(abs(b[0] / se[0]), len(y) - 2), rel=1e-8)
    # market from the factors gives the same regression
    res2 = calendar_time_alpha(port, factors=factors, model="market")
    assert res2.alpha == pytest.approx(res.alpha, rel=1e-10)
    ff = calendar_time_alpha(port, factors=factors, model="ff3")
    b3, se3 = _lstsq(y, f[["mkt_rf", "smb", "hml"]].to_numpy())
    assert ff.alpha == pytest.approx(b3[0], rel=1e-10) and ff.se == pytest.approx(se3[0], rel=1e-10)
    np.testing.assert_allclose(ff.params.to_numpy(), b3, rtol=1e-9)


def test_hac_standard_error_is_newey_west() -> None:
    """Consecutive dates: the HAC standard error is statsmodels' Newey-West (Bartlett, no correction)."""
    rng = np.random.default_rng(5)
    returns, _, factors = _world(rng, n_sec=4)
    always = pd.DataFrame({"symbol": returns.columns, "start": DATES[0], "end": DATES[-1]})
    port = calendar_time_portfolio(returns, always)
    f = factors.loc[port.index]
    assert len(port) == len(DATES)  # no gap
    res = calendar_time_alpha(port, factors=factors, model="market", hac_lags=3)
    y = port["ret"].to_numpy() - f["rf"].to_numpy()
    ref = sm.OLS(y, sm.add_constant(f["mkt_rf"].to_numpy())).fit(cov_type="HAC", cov_kwds={"maxlags": 3})
    assert res.cov_type == "HAC(3)"
    assert res.se == pytest.approx(ref.bse[0], rel=1e-10)


def test_hac_lags_follow_the_calendar_not_the_rows() -> None:
    """Portfolio dates with gaps: lag j pairs dates j sessions apart (a plain loop over date pairs)."""
    rng = np.random.default_rng(5)
    returns, holdings, factors = _world(rng)
    port = calendar_time_portfolio(returns, holdings)
    assert (np.diff(DATES.get_indexer(port.index)) > 1).any()  # the portfolio skips sessions
    res = calendar_time_alpha(port, factors=factors, model="market", hac_lags=3)
    f = factors.loc[port.index]
    y = port["ret"].to_numpy() - f["rf"].to_numpy()
    X = np.column_stack([np.ones(len(y)), f["mkt_rf"].to_numpy()])
    b = np.linalg.lstsq(X, y, rcond=None)[0]
    u = (y - X @ b)[:, None] * X
    session = DATES.get_indexer(port.index)
    s = u.T @ u
    for a in range(len(y)):
        for c in range(len(y)):
            lag = session[a] - session[c]
            if 1 <= lag <= 3:  # observation a is `lag` sessions after observation c
                s += (1 - lag / 4) * (np.outer(u[a], u[c]) + np.outer(u[c], u[a]))
    bread = np.linalg.inv(X.T @ X)
    cov = bread @ s @ bread  # Bartlett kernel, no small-sample correction
    assert res.cov_type == "HAC(3)"
    assert res.se == pytest.approx(np.sqrt(cov[0, 0]), rel=1e-10)
    # row-order lags (the former behaviour) give a different standard error here
    rows = u.T @ u
    for lag in range(1, 4):
        g = u[lag:].T @ u[:-lag]
        rows += (1 - lag / 4) * (g + g.T)
    assert abs(res.se - np.sqrt((bread @ rows @ bread)[0, 0])) > 1e-8
    # an explicit calendar with every session gives the same numbers
    same = calendar_time_alpha(port, factors=factors, model="market", hac_lags=3, calendar=DATES)
    assert same.se == pytest.approx(res.se, rel=1e-12)


def test_planted_abnormal_return_is_recovered() -> None:
    rng = np.random.default_rng(6)
    delta = 0.01
    returns, holdings, factors = _world(rng, n_events=80, delta=delta)
    port = calendar_time_portfolio(returns, holdings)
    for model in ("market", "ff3"):
        res = calendar_time_alpha(port, factors=factors, model=model)
        assert abs(res.alpha - delta) < 4 * res.se, (model, res.alpha, res.se)
        assert res.t > 3 and res.pvalue < 0.01


def test_size_under_the_null_by_simulation() -> None:
    """With no abnormal return the 5% test rejects about 5% of the time (300 samples, 3-sigma binomial band)."""
    rng = np.random.default_rng(7)
    reps, rejections = 300, 0
    for _ in range(reps):
        returns, holdings, factors = _world(rng, n_sec=10, n_events=40)
        res = calendar_time_alpha(calendar_time_portfolio(returns, holdings), factors=factors, model="market")
        rejections += res.pvalue < 0.05
    band = 3 * np.sqrt(0.05 * 0.95 / reps)
    assert abs(rejections / reps - 0.05) < band, rejections


SESS = sessions("AAA", "2020-01-01", "2022-12-31")


def test_from_result_uses_the_study_returns() -> None:
    rng = np.random.default_rng(8)
    rm = rng.normal(0.0004, 0.01, len(SESS))
    prices = {"^GSPC": pd.Series(3000 * np.cumprod(1 + rm), index=SESS)}
    syms = ["AAA", "BBB", "CCC", "DDD", "EEE", "FFF"]
    day0 = pd.to_datetime(["2021-06-15", "2021-06-15", "2021-06-16", "2021-09-14", "2022-03-15", "2022-05-16"])
    for j, s in enumerate(syms):
        r = (0.8 + 0.1 * j) * rm + rng.normal(0, 0.015, len(SESS))
        i0 = SESS.get_loc(day0[j])
        r[i0 : i0 + 2] += 0.03  # planted abnormal return on days 0 and +1
        prices[s] = pd.Series(50 * np.cumprod(1 + r), index=SESS)
    events = pd.DataFrame({"event_id": syms, "symbol": syms, "benchmark": ["^GSPC"] * 6, "event_date": day0})
    res = event_study(events, prices=prices, car_windows=[(0, 1)])
    hold = holdings_from_result(res, (0, 1))
    assert (hold["start"] == day0).all()
    wide = pd.DataFrame({s: prices[s].pct_change() for s in syms})
    port = calendar_time_portfolio(wide, hold)
    assert port["n"].max() == 3  # AAA, BBB (and CCC on 06-16) share dates
    ct = calendar_time_from_result(res, (0, 1), benchmark="^GSPC")
    b, se = _lstsq(port["ret"].to_numpy(), prices["^GSPC"].pct_change().loc[port.index].to_numpy())
    assert ct.n_days == len(port) and ct.alpha == pytest.approx(b[0], rel=1e-9) and ct.se == pytest.approx(se[0], rel=1e-9)
    # mean calendar-time AR: mean over dates of the dates' mean AR
    long = res.abnormal.to_frame()
    long = long[(long["tau"] >= 0) & (long["tau"] <= 1)]
    daily = long.groupby("date")["ar"].mean()
    ctar = calendar_time_abnormal(res, (0, 1))
    assert ctar.alpha == pytest.approx(daily.mean(), rel=1e-12) and ctar.n_days == len(daily)
    assert ctar.t == pytest.approx(stats.ttest_1samp(daily, 0.0).statistic, rel=1e-10)
    assert ctar.alpha > 0.015
    with pytest.raises(InvalidRequestError, match="no included event has benchmark"):
        calendar_time_from_result(res, (0, 1), benchmark="^HSI")


def test_clear_errors() -> None:
    port = pd.DataFrame({"ret": [0.01, 0.02, 0.0, 0.01], "n": 1}, index=DATES[:4])
    with pytest.raises(InvalidRequestError, match="needs factors"):
        calendar_time_alpha(port, model="ff3")
    with pytest.raises(InvalidRequestError, match="not available"):
        calendar_time_alpha(port, model="carhart")
    with pytest.raises(InvalidRequestError, match="only 3 dates"):
        calendar_time_alpha(port.iloc[:3], market=pd.Series(0.01 * np.arange(4), index=DATES[:4]))
    with pytest.raises(InvalidRequestError, match="no returns for"):
        calendar_time_portfolio(pd.DataFrame({"A": [0.1]}, index=DATES[:1]),
                                pd.DataFrame({"symbol": ["B"], "start": DATES[:1], "end": DATES[:1]}))
