"""Daily prices from Yahoo Finance through ``yfinance``.

One function, :func:`download_prices`, asks ``yfinance.download`` for one
symbol with every setting explicit (``auto_adjust=False``, ``actions=False``,
``progress=False``) and hands the raw frame to :func:`normalise_download`,
which turns any of yfinance's layouts into the data layer's frame:

* MultiIndex columns in either order, ``(field, ticker)`` (``group_by="column"``,
  the default) or ``(ticker, field)`` (``group_by="ticker"``), or flat columns;
* lower-case names, ``Adj Close`` -> ``adj_close`` (if absent, ``close`` is used
  and the adjustment setting says so);
* a time-zone-aware index converted to the listing's exchange time zone and
  reduced to the local trading date (tz-naive), as the snapshot files are.

``yfinance.download`` treats its ``end`` as exclusive, so one day is added to
the inclusive ``end`` of the request.  Rate limiting (``YFRateLimitError`` or a
"Too Many Requests" message, raised or only logged by yfinance) is retried with
exponential back-off; the waiting function is injectable so tests run instantly.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd

from research_lib.config import ENV_SNAPSHOT
from research_lib.data._common import PRICE_COLUMNS, filter_dates, fmt_date
from research_lib.errors import DataUnavailableError, RateLimitError

log = logging.getLogger(__name__)

#: The adjustment setting used for every download (recorded in cache manifests).
AUTO_ADJUST = False
ADJUSTMENT_YAHOO_ADJ_CLOSE = "auto_adjust=False: open/high/low/close as traded (split-adjusted); adj_close = Yahoo 'Adj Close'"
ADJUSTMENT_CLOSE_ONLY = "adj_close missing from the download: adj_close = close (auto_adjust-style, OHLC already adjusted)"

_FIELDS = {"open", "high", "low", "close", "adj close", "adj_close", "volume", "dividends", "stock splits", "capital gains", "repaired?"}
_RATE_LIMIT_MARKERS = ("too many requests", "rate limit", "ratelimit")


def _unavailable(symbol: str, start: pd.Timestamp | None, end: pd.Timestamp | None, detail: str = "") -> DataUnavailableError:
    span = f"{fmt_date(start) or 'the first date'} .. {fmt_date(end) or 'today'}"
    extra = f" ({detail})" if detail else ""
    return DataUnavailableError(
        f"yfinance returned no prices for {symbol} over {span}{extra}; go online (check the connection), "
        f"check the symbol on finance.yahoo.com, or set {ENV_SNAPSHOT} to a folder with prices/{symbol}.csv"
    )


def is_rate_limit(exc: BaseException | str) -> bool:
    """True for yfinance's ``YFRateLimitError`` or any error/message saying "Too Many Requests"."""
    if not isinstance(exc, str):
        if type(exc).__name__ == "YFRateLimitError":
            return True
        exc = f"{type(exc).__name__}: {exc}"
    text = exc.lower()
    return any(marker in text for marker in _RATE_LIMIT_MARKERS)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.messages.append(record.getMessage())
        except Exception:  # noqa: BLE001 - a malformed log record must not break the download
            self.messages.append(str(record.msg))


@contextmanager
def _yfinance_messages() -> Iterator[list[str]]:
    """Collect what yfinance logs during a call (``download`` logs failures instead of raising)."""
    handler = _Collect()
    logger = logging.getLogger("yfinance")
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)


def download_prices(
    symbol: str,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
    *,
    timezone: str,
    retries: int = 4,
    base_delay: float = 2.0,
    sleep: Callable[[float], None] | None = None,
) -> tuple[pd.DataFrame, str]:
    """Download one symbol's daily prices with explicit settings.

    Parameters
    ----------
    symbol
        Yahoo-style symbol.
    start, end
        Inclusive date bounds (``None`` = from the first / up to the latest date).
    timezone
        The exchange's time zone (``SymbolInfo.timezone``), used to turn a
        tz-aware index into local trading dates.
    retries, base_delay, sleep
        On rate limiting wait ``base_delay * 2**k`` seconds before retry ``k + 1``
        (``k = 0 .. retries - 1``) using ``sleep`` (default :func:`time.sleep`).

    Returns
    -------
    frame
        See :func:`normalise_download`; rows limited to ``[start, end]``.
    adjustment
        A sentence stating how ``adj_close`` was obtained.

    Raises
    ------
    RateLimitError
        If Yahoo still refuses after ``retries`` retries.
    DataUnavailableError
        If the download fails otherwise or returns no rows.

    Notes
    -----
    Without ``start`` the request uses ``period="max"`` (yfinance would
    otherwise return one month) and the rows after ``end`` are dropped here.
    """
    import yfinance as yf

    wait = time.sleep if sleep is None else sleep
    kwargs: dict[str, object] = {
        "auto_adjust": AUTO_ADJUST,
        "actions": False,
        "progress": False,
        "threads": False,
        "ignore_tz": False,
        "multi_level_index": True,
        "group_by": "column",
    }
    if start is None:
        kwargs["period"] = "max"
    else:
        kwargs["start"] = fmt_date(start)
        if end is not None:
            kwargs["end"] = fmt_date(end + pd.Timedelta(days=1))  # yfinance's end is exclusive
    last_problem = ""
    for attempt in range(retries + 1):
        try:
            with _yfinance_messages() as messages:
                raw = yf.download(symbol, **kwargs)
        except Exception as exc:  # noqa: BLE001 - any failure of the download is reported with its cause
            if not is_rate_limit(exc):
                raise _unavailable(symbol, start, end, f"{type(exc).__name__}: {exc}") from exc
            last_problem = str(exc)
        else:
            empty = raw is None or raw.empty
            limited = [m for m in messages if is_rate_limit(m)]
            if not (empty and limited):
                if empty:
                    raise _unavailable(symbol, start, end, "; ".join(messages)[:300])
                frame, adjustment = normalise_download(raw, symbol, timezone)
                frame = filter_dates(frame, start, end)
                if frame.empty:
                    raise _unavailable(symbol, start, end, "no rows inside the requested dates")
                return frame, adjustment
            last_problem = limited[0]
        if attempt < retries:
            delay = base_delay * 2**attempt
            log.warning("Yahoo rate limit for %s (attempt %d of %d); waiting %.0f s", symbol, attempt + 1, retries + 1, delay)
            wait(delay)
    raise RateLimitError(
        f"Yahoo kept refusing {symbol} with 'Too Many Requests' after {retries + 1} attempts ({last_problem[:120]}); "
        f"wait a few minutes and try again, or set {ENV_SNAPSHOT} to a snapshot folder to work offline"
    )


def _select_ticker(raw: pd.DataFrame, symbol: str) -> pd.DataFrame:
    """Reduce MultiIndex columns to the fields of one ticker, whichever level holds the fields."""
    cols = raw.columns
    assert isinstance(cols, pd.MultiIndex)
    field_level = None
    for level in range(cols.nlevels):
        names = {str(v).strip().lower() for v in cols.get_level_values(level)}
        if names and names <= _FIELDS:
            field_level = level
            break
    if field_level is None or cols.nlevels != 2:
        raise DataUnavailableError(
            f"yfinance returned columns {list(cols)[:6]} for {symbol}, which are not (field, ticker) pairs; "
            "update yfinance or report the layout to the research_lib maintainers"
        )
    ticker_level = 1 - field_level
    tickers = [str(t) for t in cols.get_level_values(ticker_level).unique()]
    match = [t for t in tickers if t.upper() == symbol.upper()]
    if match:
        key = match[0]
    elif len(tickers) == 1:
        key = tickers[0]
        log.warning("yfinance labelled the %s download as %r; using it", symbol, key)
    else:
        raise DataUnavailableError(
            f"yfinance returned tickers {tickers} but not {symbol}; request one symbol at a time"
        )
    frame = raw.xs(key, axis=1, level=ticker_level)
    return frame.to_frame() if isinstance(frame, pd.Series) else frame


def normalise_download(raw: pd.DataFrame, symbol: str, timezone: str) -> tuple[pd.DataFrame, str]:
    """Turn a yfinance frame into the data layer's price frame.

    Returns
    -------
    frame
        Float columns ``open, high, low, close, adj_close, volume`` (NaN if a field
        is absent), DatetimeIndex ``date`` of exchange-local trading dates,
        ascending and unique; rows without a close are dropped.
    adjustment
        :data:`ADJUSTMENT_YAHOO_ADJ_CLOSE`, or :data:`ADJUSTMENT_CLOSE_ONLY` when
        the download had no ``Adj Close`` column.

    Raises
    ------
    DataUnavailableError
        If the frame is empty, has no close column, or holds non-positive prices.
    """
    if raw is None or raw.empty:
        raise _unavailable(symbol, None, None)
    frame = _select_ticker(raw, symbol) if isinstance(raw.columns, pd.MultiIndex) else raw
    frame = frame.rename(columns=lambda c: str(c).strip().lower().replace(" ", "_"))
    if "close" not in frame.columns:
        raise DataUnavailableError(
            f"the yfinance download for {symbol} has no Close column (columns: {list(frame.columns)}); "
            "update yfinance or use a snapshot"
        )
    if "adj_close" in frame.columns:
        adjustment = ADJUSTMENT_YAHOO_ADJ_CLOSE
    else:
        log.warning("the yfinance download for %s has no 'Adj Close'; using close as adj_close", symbol)
        frame = frame.assign(adj_close=frame["close"])
        adjustment = ADJUSTMENT_CLOSE_ONLY
    out = pd.DataFrame(
        {c: pd.to_numeric(frame[c], errors="coerce").astype(float) if c in frame.columns else np.nan for c in PRICE_COLUMNS},
        index=frame.index,
    )
    out.index = _local_dates(pd.DatetimeIndex(out.index), timezone)
    out = out.loc[out["close"].notna().to_numpy() & out["adj_close"].notna().to_numpy()]
    out = out.sort_index(kind="stable")
    dup = out.index.duplicated(keep="last")
    if dup.any():
        log.warning("yfinance returned %d duplicate date(s) for %s (e.g. %s); keeping the last row of each",
                    int(dup.sum()), symbol, f"{out.index[dup][0]:%Y-%m-%d}")
        out = out.loc[~dup]
    if out.empty:
        raise _unavailable(symbol, None, None, "every row lacks a close")
    nonpos = (out[["open", "high", "low", "close", "adj_close"]] <= 0).any(axis=1).to_numpy()
    if nonpos.any():
        raise DataUnavailableError(
            f"yfinance returned non-positive prices for {symbol} on {int(nonpos.sum())} date(s), first "
            f"{out.index[nonpos][0]:%Y-%m-%d}; retry later or use a snapshot file"
        )
    return out, adjustment


def _local_dates(index: pd.DatetimeIndex, timezone: str) -> pd.DatetimeIndex:
    """Trading dates from yfinance's stamps.

    Listings on an exchange: stamps are converted to the exchange's ``timezone``
    first (a bar stamped in UTC at 16:00 is the next day in Hong Kong).
    Currencies (registry zone ``UTC``) have no exchange: Yahoo stamps their daily
    bars at midnight of its own zone (London), whose wall-clock date is the bar's;
    converting to UTC would move summer bars to the previous day.
    """
    if index.tz is not None:
        index = index.tz_localize(None) if timezone == "UTC" else index.tz_convert(timezone).tz_localize(None)
    return pd.DatetimeIndex(index.normalize(), name="date")
