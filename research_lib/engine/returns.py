"""Prices to daily returns on an exchange's sessions, and benchmark alignment.

A return is a statement about two consecutive *sessions* of the listing's
exchange.  Prices are therefore first placed on the exchange calendar
(:func:`research_lib.listings.calendars.sessions`); a session without a price is a
missing return, never silently bridged.  A benchmark (index) return is
computed on the benchmark's own calendar and then compounded over each
interval between two sessions of the security (:func:`align_benchmark`),
so that both returns in a regression measure the same calendar time.

References
----------
Campbell, J. Y., Lo, A. W. and MacKinlay, A. C. (1997), *The Econometrics of
Financial Markets*, ch. 1.4 (simple and continuously compounded returns) and
ch. 4.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from research_lib.data._common import date_positions, values_on_dates
from research_lib.data.screen import check_values
from research_lib.errors import DataError, InvalidRequestError

RETURN_KINDS = ("simple", "log")
AFTER_GAP = ("missing", "span")
_DAY_NS = 86_400 * 10**9


def _as_date_index(index: pd.Index, what: str) -> pd.DatetimeIndex:
    """Tz-naive midnight dates in nanoseconds (the calendars' resolution)."""
    if not isinstance(index, pd.DatetimeIndex):
        raise DataError(
            f"{what} must be indexed by dates (a DatetimeIndex); got {type(index).__name__}; "
            "parse the date column with pd.to_datetime and set it as the index"
        )
    idx = index.as_unit("ns")
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    if (idx.asi8 % _DAY_NS).any():  # times of day present: keep the date only
        idx = idx.normalize()
    return idx


def compute_returns(
    adj_close: pd.Series,
    sessions: pd.DatetimeIndex | None = None,
    kind: str = "simple",
    after_gap: str = "missing",
) -> pd.Series:
    """Daily returns of one listing on its exchange's sessions.

    Parameters
    ----------
    adj_close
        Adjusted closes indexed by exchange-local trading date.  NaN prices
        count as missing.
    sessions
        The listing's sessions (for example ``calendars.sessions(symbol, start, end)``).
        ``None`` uses the dates of ``adj_close`` itself; gaps in the data then
        cannot be detected, so pass the calendar whenever it is known.
    kind
        ``"simple"``: R_t = P_t / P_{t-1} - 1; ``"log"``: r_t = ln(P_t / P_{t-1}).
    after_gap
        What to do with the first price after one or more sessions without a
        price.  ``"missing"`` (default): that return spans several sessions, so
        it is not a one-day return and is set to NaN.  ``"span"``: keep the
        multi-session return P_t / P_last - 1 on the first session after the gap.

    Returns
    -------
    pd.Series
        Returns named ``"ret"`` indexed by ``sessions`` (name ``"date"``); NaN on
        the first session, on sessions without a price and (``"missing"``) on
        the first session after a gap.

    Raises
    ------
    DataError
        For non-positive prices, duplicate dates or a non-date index.
    InvalidRequestError
        For an unknown ``kind`` or ``after_gap``.

    Notes
    -----
    Prices dated on days that are not sessions are dropped with a warning
    (they cannot belong to a session-to-session return).

    References
    ----------
    Campbell, Lo and MacKinlay (1997), sec. 1.4.
    """
    if kind not in RETURN_KINDS:
        raise InvalidRequestError(f"unknown return kind {kind!r}; use one of {RETURN_KINDS}")
    if after_gap not in AFTER_GAP:
        raise InvalidRequestError(f"unknown after_gap {after_gap!r}; use one of {AFTER_GAP}")
    name = adj_close.name if adj_close.name is not None else "prices"
    dates = _as_date_index(adj_close.index, f"adjusted closes of {name}")
    if dates.has_duplicates:
        dup = dates[dates.duplicated()].strftime("%Y-%m-%d").tolist()[:5]
        raise DataError(f"adjusted closes of {name} have duplicate dates {dup}; keep one price per session")
    # the one check of price values for the engine (research_lib.data.screen): numbers, finite, positive
    # float closes are checked as they are; anything else goes through object so that pd.to_numeric sees each cell
    floats = isinstance(adj_close.dtype, np.dtype) and adj_close.dtype.kind == "f"
    raw = adj_close.to_numpy() if floats else np.asarray(adj_close, dtype=object)
    values = check_values(pd.Series(raw, index=dates), str(name))
    values = values.dropna().sort_index()
    if sessions is None:
        grid = values.index
    else:
        grid = _as_date_index(sessions, "sessions")
        extra = pd.DatetimeIndex(values.index.difference(grid))
        if len(extra):
            warnings.warn(
                f"{len(extra)} price(s) of {name} fall on dates that are not sessions "
                f"({pd.DatetimeIndex(extra).strftime('%Y-%m-%d').tolist()[:5]}); they were dropped. Check the data or the calendar.",
                UserWarning,
                stacklevel=2,
            )
    price = values_on_dates(values, pd.DatetimeIndex(grid))
    prev = np.full_like(price, np.nan)
    prev[1:] = price[:-1]
    if after_gap == "span":
        # last available price strictly before each session
        last = pd.Series(price).ffill().to_numpy()
        prev[1:] = last[:-1]
    ratio = price / prev
    ret = np.log(ratio) if kind == "log" else ratio - 1.0
    return pd.Series(ret, index=pd.DatetimeIndex(grid, name="date"), name="ret")


def align_benchmark(benchmark_returns: pd.Series, sessions: pd.DatetimeIndex, kind: str = "simple") -> pd.Series:
    """Benchmark returns over exactly the intervals of a security's session returns.

    The benchmark return must already be computed on the benchmark's own
    exchange calendar (:func:`compute_returns`).  The security's return on
    session t covers the interval from its previous session s to t; the
    benchmark return placed on t covers the same interval: the benchmark's
    returns on its own sessions in (s, t] compounded, provided the benchmark
    also had sessions on both s and t.  Otherwise (a holiday of the index's
    exchange at either end) the result is NaN: the regression pairs only
    returns that measure the same stretch of calendar time, and an unmatched
    day drops out as an incomplete case rather than pairing, say, a one-day
    security return with a two-day index return.  On one calendar this is
    the benchmark's own return, unchanged.

    Parameters
    ----------
    benchmark_returns
        Returns indexed by the benchmark's sessions (NaN where missing).
    sessions
        The security's sessions.
    kind
        ``"simple"`` (compounded as prod(1 + r) - 1) or ``"log"`` (summed).

    Returns
    -------
    pd.Series
        Benchmark returns indexed by ``sessions``.
    """
    if kind not in RETURN_KINDS:
        raise InvalidRequestError(f"kind={kind!r} is not one of {RETURN_KINDS}")
    idx = _as_date_index(benchmark_returns.index, "benchmark returns")
    if idx.has_duplicates:
        raise DataError("benchmark returns have duplicate dates; compute them with compute_returns on one calendar")
    grid = _as_date_index(sessions, "sessions")
    r = np.asarray(benchmark_returns, dtype=float)
    pos = date_positions(idx, grid)  # position of each security session among the benchmark's, -1 if absent
    out = np.full(len(grid), np.nan)
    if len(grid) > 1 and len(idx):
        a, b = pos[:-1], pos[1:]  # benchmark positions of the interval ends (s, t]
        ok = (a >= 0) & (b > a)
        single = ok & (b == a + 1)
        out[1:][single] = r[b[single]]
        multi = ok & (b > a + 1)
        if multi.any():
            bad = np.concatenate([[0], np.cumsum(~np.isfinite(r))])
            lg = np.where(np.isfinite(r), r if kind == "log" else np.log1p(np.where(np.isfinite(r), r, 0.0)), 0.0)
            cum = np.concatenate([[0.0], np.cumsum(lg)])
            am, bm = a[multi], b[multi]
            total = cum[bm + 1] - cum[am + 1]
            val = total if kind == "log" else np.expm1(total)
            out[1:][multi] = np.where(bad[bm + 1] - bad[am + 1] == 0, val, np.nan)
    res = pd.Series(out, index=pd.DatetimeIndex(grid, name="date"), name=benchmark_returns.name)
    return res
