"""A seeded, CRSP-shaped synthetic data set: PERMNO-like ids, a market series, gaps and a delisting."""

from __future__ import annotations

import numpy as np
import pandas as pd

from research_lib.listings.calendars import get_calendar

PERMNOS = ("10107", "14593", "12490", "11850")
MARKET = "VWRETD"


def sessions() -> pd.DatetimeIndex:
    cal = get_calendar("XNYS")
    return pd.DatetimeIndex(cal.sessions_in_range("2019-01-02", "2020-06-30"))


def prices_long(seed: int = 11) -> pd.DataFrame:
    """Adjusted closes (long) with a missing price inside an estimation window; the last id delists."""
    rng = np.random.default_rng(seed)
    days = sessions()
    m = rng.normal(0.0004, 0.01, len(days))
    rows = []
    series = {MARKET: 100 * np.cumprod(1 + m)}
    for k, p in enumerate(PERMNOS):
        r = 0.0002 * k + (0.6 + 0.3 * k) * m + rng.normal(0, 0.015, len(days))
        series[p] = (20 + 10 * k) * np.cumprod(1 + r)
    for sym, px in series.items():
        px = px.copy()
        if sym == PERMNOS[1]:
            px[200] = np.nan  # a missing price: the returns on that day and the next are missing
        if sym == PERMNOS[3]:
            px = px[: len(days) - 20]  # delisted 20 sessions before the end
        rows.append(pd.DataFrame({"symbol": sym, "date": days[: len(px)], "price": px}))
    return pd.concat(rows, ignore_index=True)


def returns_long(seed: int = 11, dlret: float = -0.3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The same data as CRSP gives it (ret, with a dlret on the last day of the delisted id),
    and the matching prices (the delisting return folded into the last price)."""
    px = prices_long(seed)
    out = []
    for _, grp in px.groupby("symbol", sort=False):
        p = grp["price"].to_numpy()
        r = np.full(len(p), np.nan)
        r[1:] = p[1:] / p[:-1] - 1  # NaN next to a missing price, as a gap gives
        out.append(grp.assign(ret=r).drop(columns="price"))
    ret = pd.concat(out, ignore_index=True)
    ret["dlret"] = np.nan
    last = ret.index[ret["symbol"] == PERMNOS[3]][-1]
    ret.loc[last, "dlret"] = dlret
    px = px.copy()
    plast = px.index[px["symbol"] == PERMNOS[3]][-1]
    px.loc[plast, "price"] *= 1 + dlret
    return ret, px


def events() -> pd.DataFrame:
    days = sessions()
    d = [days[300], days[310], days[320], days[len(days) - 26]]
    return pd.DataFrame({
        "event_id": ["e1", "e2", "e3", "e4"],
        "symbol": list(PERMNOS),
        "benchmark": [MARKET] * 4,
        "event_date": [x.strftime("%Y-%m-%d") for x in d],
        "region": ["US", "EU", "US", "EU"],
        "amount_usd_bn": [1.5, 2.0, 0.5, 3.0],
    })
