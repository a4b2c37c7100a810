"""Peers of one firm: their returns on a day, an equal-weight peer basket, a market-plus-sector model.

A firm's abnormal return against its home market index still holds news
common to its industry or country.  Three tools separate the firm's own
part:

* :func:`day_returns` -- the simple close-to-close return of several
  listings on given sessions (what the peers did on day 0);
* :func:`equal_weight_index` -- an equal-weight basket of peer returns,
  returned as a price index so that it can be passed to
  :func:`research_lib.study.event_study` through ``prices=`` as a benchmark;
* :func:`market_sector_model` -- a two-index market model
  R_i = a + b_m R_m + b_s R_s + e (market plus sector), estimated by OLS on
  the estimation window, with the day's return split into its market,
  sector and own (abnormal) parts.

References
----------
MacKinlay, A. C. (1997), "Event studies in economics and finance", *JEL*
35(1), section 4 (multifactor normal-return models: "the industry index").
Campbell, J. Y., Lo, A. W. and MacKinlay, A. C. (1997), *The Econometrics of
Financial Markets*, ch. 4 (prediction-error variance of abnormal returns).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from research_lib.errors import InvalidRequestError
from research_lib.listings.calendars import calendar_for

__all__ = ["SectorModelResult", "day_returns", "equal_weight_index", "market_sector_model", "simple_returns"]


def _series(prices: Mapping[str, pd.Series], symbol: str) -> pd.Series:
    if symbol not in prices:
        raise InvalidRequestError(f"no prices for {symbol!r}; load it first (e.g. load_case_prices([{symbol!r}, ...]))")
    s = prices[symbol].astype(float)
    s.index = pd.DatetimeIndex(s.index).tz_localize(None) if getattr(s.index, "tz", None) else pd.DatetimeIndex(s.index)
    return s.sort_index()


def simple_returns(prices: Mapping[str, pd.Series], symbols: Sequence[str]) -> pd.DataFrame:
    """Simple returns P_t / P_{t-1} - 1 of each symbol on its own dates (one column per symbol).

    A return is computed between consecutive *available* closes of the
    symbol; columns are then aligned on the union of dates (NaN where a
    symbol did not trade).
    """
    return pd.DataFrame({s: _series(prices, s).dropna().pct_change() for s in symbols})


def day_returns(prices: Mapping[str, pd.Series], symbols: Sequence[str], dates: Sequence[str | pd.Timestamp]) -> pd.DataFrame:
    """Close-to-close simple return of each symbol on each date (rows: symbols, columns: dates).

    Raises
    ------
    InvalidRequestError
        If a symbol has no prices, or has no close on one of the dates (say
        which, so that the caller can pick sessions of the right exchange).
    """
    rets = simple_returns(prices, symbols)
    idx = pd.DatetimeIndex([pd.Timestamp(d) for d in dates])
    have = rets.reindex(idx).notna()
    missing = [f"{s} on {d:%Y-%m-%d}" for d in idx for s in symbols if not bool(have.loc[d, s])]
    if missing:
        raise InvalidRequestError(f"no return for {', '.join(missing)}; pass sessions on which every symbol traded")
    return rets.loc[idx].T.rename_axis(index="symbol", columns="date")


def equal_weight_index(prices: Mapping[str, pd.Series], symbols: Sequence[str], base: float = 100.0) -> pd.Series:
    """An equal-weight basket of ``symbols`` as a price index (daily rebalanced).

    The basket's return on day t is the mean of the members' simple returns,
    R_b,t = (1/K) sum_k R_k,t, kept only on days on which all K members have
    a return (so the weights are equal every day); the index is
    base * prod(1 + R_b).  Its simple returns, as computed by the library
    from ``adj_close``, are exactly R_b.

    Raises
    ------
    InvalidRequestError
        If fewer than two symbols are given or they share no dates.
    """
    if len(symbols) < 2:
        raise InvalidRequestError(f"a basket needs at least two members, got {list(symbols)}")
    mean = simple_returns(prices, symbols).dropna(how="any").mean(axis=1)
    if mean.empty:
        raise InvalidRequestError(f"{list(symbols)} share no trading dates with returns; check the price ranges")
    first = mean.index[0] - pd.Timedelta(days=1)  # a base date before the first return
    index = pd.concat([pd.Series([base], index=[first]), base * (1.0 + mean).cumprod()])
    return index.rename("basket")


@dataclass(frozen=True)
class SectorModelResult:
    """Two-index market model of one event.

    Attributes
    ----------
    params : a, b_market, b_sector (OLS).
    n_est : estimation returns used.
    sigma : residual standard deviation (ddof = 3).
    daily : one row per event day ``tau``: ``date``, ``ret``, ``market_part``
        (b_m R_m), ``sector_part`` (b_s R_s), ``alpha``, ``ar``, ``ar_se``
        (prediction-error SE), ``t``, ``p``.
    """

    params: pd.Series
    n_est: int
    sigma: float
    daily: pd.DataFrame


def _window(grid: pd.DatetimeIndex, day0: pd.Timestamp, window: tuple[int, int]) -> pd.DatetimeIndex:
    p0 = int(grid.searchsorted(day0))  # day0 is a session of grid (checked by the caller)
    lo, hi = p0 + window[0], p0 + window[1]
    if lo < 0 or hi >= len(grid):
        raise InvalidRequestError(f"window {window} around {day0:%Y-%m-%d} runs outside the exchange calendar")
    return grid[lo: hi + 1]


def market_sector_model(
    prices: Mapping[str, pd.Series], symbol: str, market: str, sector: str, day0: str | pd.Timestamp,
    estimation: tuple[int, int] = (-250, -11), event: tuple[int, int] = (-10, 10),
) -> SectorModelResult:
    """Fit R_i = a + b_m R_m + b_s R_s + e on the estimation window; abnormal returns in the event window.

    Windows count sessions of ``symbol``'s exchange relative to ``day0``;
    estimation days without all three returns are dropped.

    Notes
    -----
    AR_t = R_t - (a + b_m R_m,t + b_s R_s,t), with prediction-error variance
    Var(AR_t) = s^2 (1 + x_t'(X'X)^{-1} x_t), s^2 = e'e / (M - 3), and
    t = AR / se ~ t(M - 3) under normal residuals (Campbell, Lo and
    MacKinlay 1997, eq. 4.4.9 with two regressors). The split of the day's
    return into ``market_part``, ``sector_part``, ``alpha`` and ``ar`` is
    exact: they sum to ``ret``.  The sector index usually contains the firm
    itself; its own news then leaks into the sector part, so ``ar`` is a
    lower bound (in size) on the firm's own move.

    Raises
    ------
    InvalidRequestError
        If prices are missing, day 0 is not a session, or too few estimation
        returns remain (fewer than 30).
    """
    d0 = pd.Timestamp(day0)
    grid = pd.DatetimeIndex(calendar_for(symbol).sessions)
    if d0 not in grid:
        raise InvalidRequestError(f"day 0 {d0:%Y-%m-%d} is not a session of {symbol}'s exchange; pass a session")
    rets = simple_returns(prices, [symbol, market, sector])
    est = rets.reindex(_window(grid, d0, estimation)).dropna(how="any")
    evt = rets.reindex(_window(grid, d0, event))
    if len(est) < 30:
        raise InvalidRequestError(f"only {len(est)} estimation days with all of {symbol}, {market}, {sector}; need 30")
    # plain least squares with the textbook prediction-error variance; statsmodels is the oracle in the tests
    x = np.column_stack([np.ones(len(est)), est[market], est[sector]])
    coef, *_ = np.linalg.lstsq(x, est[symbol].to_numpy(), rcond=None)
    resid = est[symbol].to_numpy() - x @ coef
    df = len(est) - 3
    s2 = float(resid @ resid / df)
    xtx_inv = np.linalg.inv(x.T @ x)
    xe = np.column_stack([np.ones(len(evt)), evt[market], evt[sector]])
    ar = evt[symbol].to_numpy() - xe @ coef
    se = np.sqrt(s2 * (1.0 + np.einsum("ij,jk,ik->i", xe, xtx_inv, xe)))
    t = ar / se
    daily = pd.DataFrame({
        "tau": np.arange(event[0], event[1] + 1), "date": evt.index, "ret": evt[symbol].to_numpy(),
        "market_part": coef[1] * evt[market].to_numpy(), "sector_part": coef[2] * evt[sector].to_numpy(),
        "alpha": coef[0], "ar": ar, "ar_se": se, "t": t, "p": 2 * stats.t.sf(np.abs(t), df),
    }).set_index("tau")
    params = pd.Series(coef, index=["alpha", f"beta_{market}", f"beta_{sector}"])
    return SectorModelResult(params, len(est), float(np.sqrt(s2)), daily)
