"""Small helpers shared by the data modules: symbols, date bounds, checksums, versions."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from importlib import metadata

import numpy as np
import pandas as pd

from research_lib.errors import InvalidRequestError, UnknownSymbolError

#: The price columns of every frame the data layer returns, in this order.
PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "adj_close", "volume")

_SAFE_SYMBOL = re.compile(r"^[A-Za-z0-9.^=_\-]+$")


def normalise_symbol(symbol: str) -> str:
    """Strip and upper-case a Yahoo-style symbol; refuse characters that could escape a folder.

    Raises
    ------
    UnknownSymbolError
        If the symbol is empty or holds characters other than letters, digits and ``. ^ = _ -``.
    """
    sym = symbol.strip().upper() if isinstance(symbol, str) else ""
    if not sym or not _SAFE_SYMBOL.match(sym):
        raise UnknownSymbolError(
            f"symbol {symbol!r} is not a Yahoo-style symbol; use letters, digits and . ^ = _ - only, "
            "for example 'BABA', '9988.HK' or '^GSPC'"
        )
    return sym


def to_date(value: object, name: str) -> pd.Timestamp | None:
    """Read a date bound (``None``, ISO string, date or Timestamp) as a tz-naive midnight Timestamp.

    A time-zone-aware value keeps its own wall-clock date; a time of day is dropped.

    Raises
    ------
    InvalidRequestError
        If the value cannot be read as a date.
    """
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise InvalidRequestError(f"{name}={value!r} is not a date; write it as YYYY-MM-DD") from exc
    if ts is pd.NaT:
        raise InvalidRequestError(f"{name}={value!r} is not a date; write it as YYYY-MM-DD")
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts.normalize()


def date_range_bounds(start: object, end: object) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """Parse ``start`` and ``end`` (both inclusive) and check their order.

    Raises
    ------
    InvalidRequestError
        If a bound is not a date or ``start`` is after ``end``.
    """
    s, e = to_date(start, "start"), to_date(end, "end")
    if s is not None and e is not None and s > e:
        raise InvalidRequestError(f"start {s:%Y-%m-%d} is after end {e:%Y-%m-%d}; swap them or fix one")
    return s, e


def fmt_date(ts: pd.Timestamp | None) -> str | None:
    """``YYYY-MM-DD`` or ``None``."""
    return None if ts is None else f"{ts:%Y-%m-%d}"


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of a byte string."""
    return hashlib.sha256(data).hexdigest()


def utc_now_iso() -> str:
    """The current time in UTC as ISO 8601 with a ``Z`` suffix (microseconds)."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def package_versions() -> dict[str, str | None]:
    """Versions of the packages that shape a cached file (``None`` if not installed)."""
    out: dict[str, str | None] = {}
    for name in ("research_lib", "pandas", "numpy", "pyarrow", "yfinance"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def filter_dates(frame: pd.DataFrame, start: pd.Timestamp | None, end: pd.Timestamp | None) -> pd.DataFrame:
    """Rows whose date lies in ``[start, end]`` (both inclusive; ``None`` = open)."""
    mask = pd.Series(True, index=frame.index)
    if start is not None:
        mask &= frame.index >= start
    if end is not None:
        mask &= frame.index <= end
    return frame.loc[mask.to_numpy()]


def _sorted_ns(index: pd.DatetimeIndex, target: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray] | None:
    """Both indexes as int64 nanoseconds if ``index`` is strictly increasing without NaT (else None)."""
    if index.tz != target.tz:
        return None
    try:
        a, b = index.as_unit("ns").asi8, target.as_unit("ns").asi8
    except (OverflowError, ValueError):  # dates beyond the nanosecond range
        return None
    if len(a) and (not (a[1:] > a[:-1]).all() or a[0] == np.iinfo(np.int64).min):  # unsorted, repeated or NaT
        return None
    return a, b


def _search(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Position of each ``b`` in the sorted unique ``a``, -1 where absent."""
    if not len(a):
        return np.full(len(b), -1, dtype=np.intp)
    pos = np.searchsorted(a, b)
    found = (pos < len(a)) & (a[np.minimum(pos, len(a) - 1)] == b)
    return np.where(found, pos, -1).astype(np.intp)


def date_positions(index: pd.DatetimeIndex, target: pd.DatetimeIndex) -> np.ndarray:
    """``index.get_indexer(target)`` (-1 where a date is absent), by binary search when ``index`` is sorted.

    Price and calendar indexes are sorted and unique; a binary search then needs no hash table of
    the index, which ``get_indexer`` builds anew for every new index object (most of the cost of
    placing a series on a calendar).  Any other index (unsorted, repeated or time-zone-mixed
    dates) takes ``get_indexer`` itself.
    """
    both = _sorted_ns(index, target)
    return index.get_indexer(target) if both is None else _search(*both)


def values_on_dates(values: pd.Series, target: pd.DatetimeIndex) -> np.ndarray:
    """``values.reindex(target).to_numpy(dtype=float)`` for a date-indexed series (see :func:`date_positions`)."""
    both = _sorted_ns(pd.DatetimeIndex(values.index), target)
    if both is None:
        return values.reindex(target).to_numpy(dtype=float)
    pos = _search(*both)
    vals = np.asarray(values, dtype=float)
    out = np.full(len(target), np.nan)
    hit = pos >= 0
    out[hit] = vals[pos[hit]]
    return out
