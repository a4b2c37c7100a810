"""Loading daily prices: the cache, then the snapshot, then yfinance.

:func:`load_price` returns a :class:`PriceSeries` that records where its data
came from (``source``, ``origin``, ``sha256``) and how its dates compare with
the listing's exchange calendar (``extra_dates``, ``missing_sessions``).
:func:`load_prices` does the same for several symbols and returns a
:class:`PriceSet`.

Source order
------------
1. **cache** - a verified parquet file of an earlier yfinance download whose
   request covers the dates asked for (skipped with ``refresh=True``);
2. **snapshot** - ``<snapshot>/prices/<SYMBOL>.csv``, validated strictly;
3. **yfinance** - only when online; the download is cached for next time.

Offline (``offline=True`` or ``RESEARCH_LIB_OFFLINE=1``) the network is never
touched.  Nothing is spliced across sources, filled or interpolated.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from research_lib.config import Settings, get_settings
from research_lib.data import cache, yahoo
from research_lib.data._common import (
    PRICE_COLUMNS,
    date_range_bounds,
    filter_dates,
    fmt_date,
    normalise_symbol,
    sha256_bytes,
)
from research_lib.data.snapshot import not_in_snapshot_error, price_path, read_price_csv
from research_lib.errors import CacheCorruptError, DataUnavailableError
from research_lib.listings.calendars import check_against_calendar, get_calendar, sessions
from research_lib.listings.symbols import SymbolInfo, lookup

log = logging.getLogger(__name__)

#: Gap (calendar days) between a requested bound and the data's first/last date that is logged.
COVERAGE_TOLERANCE_DAYS = 7


@dataclass(frozen=True, eq=False)
class PriceSeries:
    """Daily prices of one symbol with their provenance and calendar check.

    Attributes
    ----------
    symbol
        Yahoo-style symbol (upper case).
    info
        the registry entry (:func:`research_lib.listings.symbols.lookup`).
    frame
        float columns ``open, high, low, close, adj_close, volume`` (NaN where
        unknown), indexed by a tz-naive DatetimeIndex ``date`` of exchange-local
        trading dates, ascending and unique.
    source
        ``"cache"``, ``"snapshot"`` or ``"yfinance"``: where this call got the data.
    origin
        the file read, or the download request.
    sha256
        SHA-256 of the file read (snapshot CSV or cache parquet; for a fresh
        download, of the parquet written to the cache).
    extra_dates
        dates in the data that are not sessions of the exchange calendar.
    missing_sessions
        sessions between the first and last date that the data lacks.
    unchecked_dates
        dates outside the range that the exchange calendar covers
        (e.g. before 1997 for XTKS), which could not be checked.
    """

    symbol: str
    info: SymbolInfo
    frame: pd.DataFrame
    source: str
    origin: str
    sha256: str
    extra_dates: pd.DatetimeIndex
    missing_sessions: pd.DatetimeIndex
    unchecked_dates: pd.DatetimeIndex = field(default_factory=lambda: pd.DatetimeIndex([], name="date"))

    @property
    def adj_close(self) -> pd.Series:
        """Adjusted close (use it for returns), named by the symbol."""
        return self.frame["adj_close"].rename(self.symbol)

    @property
    def first(self) -> pd.Timestamp:
        return self.frame.index[0]

    @property
    def last(self) -> pd.Timestamp:
        return self.frame.index[-1]

    def __repr__(self) -> str:
        return (
            f"PriceSeries({self.symbol!r}, {len(self.frame)} rows {self.first:%Y-%m-%d}..{self.last:%Y-%m-%d}, "
            f"source={self.source!r}, sha256={self.sha256[:12]}, extra_dates={len(self.extra_dates)}, "
            f"missing_sessions={len(self.missing_sessions)})"
        )


class PriceSet(Mapping[str, PriceSeries]):
    """Several :class:`PriceSeries`, in the order requested."""

    def __init__(self, series: Sequence[PriceSeries]) -> None:
        self._series: dict[str, PriceSeries] = {s.symbol: s for s in series}

    def __getitem__(self, symbol: str) -> PriceSeries:
        try:
            return self._series[symbol]
        except KeyError:
            key = symbol.strip().upper() if isinstance(symbol, str) else symbol
            if key in self._series:
                return self._series[key]
            raise KeyError(f"{symbol!r} is not in this PriceSet (it has {', '.join(self._series)})") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._series)

    def __len__(self) -> int:
        return len(self._series)

    def __repr__(self) -> str:
        return f"PriceSet({', '.join(self._series)})"

    def adj_close(self) -> pd.DataFrame:
        """Adjusted closes side by side: outer join of the dates, one column per symbol (NaN where absent)."""
        if not self._series:
            return pd.DataFrame(index=pd.DatetimeIndex([], name="date"))
        wide = pd.concat([s.adj_close for s in self._series.values()], axis=1, join="outer", sort=True)
        wide.index.name = "date"
        return wide

    def report(self) -> pd.DataFrame:
        """One row per symbol: source, first and last date, rows, calendar discrepancies, short checksum, origin."""
        rows = [
            {
                "symbol": s.symbol,
                "source": s.source,
                "first": fmt_date(s.first),
                "last": fmt_date(s.last),
                "rows": len(s.frame),
                "extra_dates": len(s.extra_dates),
                "missing_sessions": len(s.missing_sessions),
                "sha256": s.sha256[:12],
                "origin": s.origin,
            }
            for s in self._series.values()
        ]
        columns = ["symbol", "source", "first", "last", "rows", "extra_dates", "missing_sessions", "sha256", "origin"]
        return pd.DataFrame(rows, columns=columns)


def load_price(
    symbol: str,
    start: object = None,
    end: object = None,
    *,
    snapshot: str | os.PathLike[str] | None = None,
    offline: bool | None = None,
    cache_dir: str | Path | None = None,
    refresh: bool = False,
) -> PriceSeries:
    """Load one symbol's daily prices (cache, snapshot, then yfinance when online).

    Parameters
    ----------
    symbol
        Yahoo-style symbol (``"BABA"``, ``"9988.HK"``, ``"^GSPC"``).
    start, end
        First and last date, both inclusive (``None`` = all available).
    snapshot, offline, cache_dir
        Override ``RESEARCH_LIB_SNAPSHOT``, ``RESEARCH_LIB_OFFLINE``, ``RESEARCH_LIB_CACHE``.
    refresh
        Skip the cached downloads (the snapshot, if it has the symbol, is still
        read; otherwise yfinance is asked again and a changed result raises a
        :class:`~research_lib.data.DataRevisionWarning`).

    Returns
    -------
    PriceSeries

    Raises
    ------
    InvalidRequestError
        A bound is not a date, or ``start`` is after ``end``.
    UnknownSymbolError
        The symbol is malformed or its exchange is unknown.
    SnapshotError
        The snapshot folder does not exist or the symbol's file is malformed.
    DataUnavailableError
        No source has the symbol (offline: :class:`SymbolNotInSnapshotError`,
        which is also an ``UnknownSymbolError``), or no rows fall in the dates.
    CacheCorruptError
        Offline, and the cached file fails its checksum.
    RateLimitError
        Yahoo kept refusing the download.

    Examples
    --------
    Offline, from a snapshot folder (here the example market written to a temporary one):

    >>> import tempfile
    >>> from research_lib import load_price
    >>> from research_lib.examples import example_snapshot
    >>> root = example_snapshot(tempfile.mkdtemp())
    >>> s = load_price("EXA", "2024-01-02", "2024-01-31", snapshot=root, offline=True,
    ...                cache_dir=tempfile.mkdtemp())
    >>> s.source, len(s.frame), list(s.missing_sessions)
    ('snapshot', 21, [])
    """
    settings = get_settings(snapshot, offline, cache_dir)
    lo, hi = date_range_bounds(start, end)
    return _load_one(symbol, lo, hi, settings, refresh=refresh)


def load_prices(
    symbols: str | Sequence[str],
    start: object = None,
    end: object = None,
    *,
    snapshot: str | os.PathLike[str] | None = None,
    offline: bool | None = None,
    cache_dir: str | Path | None = None,
    progress: bool | None = None,
    refresh: bool = False,
) -> PriceSet:
    """Load several symbols (see :func:`load_price`); duplicates are loaded once.

    ``progress`` shows a tqdm bar; ``None`` shows it only when stderr is a terminal.

    Examples
    --------
    Offline, from a snapshot folder (here the synthetic one of :mod:`research_lib.examples`,
    written to a temporary folder):

    >>> import tempfile
    >>> from research_lib.examples import example_snapshot
    >>> root = example_snapshot(tempfile.mkdtemp())
    >>> tmp_cache = tempfile.mkdtemp()
    >>> prices = load_prices(["EXA", "^GSPC"], "2024-01-02", "2024-06-28", snapshot=root,
    ...                      offline=True, cache_dir=tmp_cache, progress=False)
    >>> sorted(prices)
    ['EXA', '^GSPC']
    >>> report = prices.report()
    >>> print(report[["symbol", "source", "first", "last", "missing_sessions"]].to_string(index=False))
    symbol   source      first       last  missing_sessions
       EXA snapshot 2024-01-02 2024-06-28                 0
     ^GSPC snapshot 2024-01-02 2024-06-28                 0
    """
    settings = get_settings(snapshot, offline, cache_dir)
    lo, hi = date_range_bounds(start, end)
    wanted = [symbols] if isinstance(symbols, str) else list(symbols)
    unique = list(dict.fromkeys(normalise_symbol(s) for s in wanted))
    show = sys.stderr.isatty() if progress is None else bool(progress)
    todo: Iterable[str] = unique
    if show:  # import only when shown: tqdm.auto warns in Jupyter without ipywidgets
        from tqdm.auto import tqdm

        todo = tqdm(unique, desc="prices", unit="symbol", leave=False)
    loaded = [_load_one(sym, lo, hi, settings, refresh=refresh) for sym in todo]
    return PriceSet(loaded)


def _load_one(symbol: str, start: pd.Timestamp | None, end: pd.Timestamp | None, settings: Settings, *, refresh: bool) -> PriceSeries:
    sym = normalise_symbol(symbol)
    info = lookup(sym)
    found = None if refresh else _from_cache(sym, start, end, settings)
    if found is None:
        found = _from_snapshot(sym, settings)
    if found is None:
        if settings.offline:
            raise not_in_snapshot_error(sym, settings.snapshot)
        found = _from_yahoo(sym, info, start, end, settings)
    frame, source, origin, checksum = found
    full_first, full_last = frame.index.min(), frame.index.max()
    frame = filter_dates(frame, start, end)
    if frame.empty:
        raise DataUnavailableError(
            f"{sym}: {origin} has no rows between {fmt_date(start) or 'the start'} and {fmt_date(end) or 'the end'} "
            f"(it covers {full_first:%Y-%m-%d} .. {full_last:%Y-%m-%d}); change the dates"
            + ("" if settings.offline else " or pass refresh=True to download again")
        )
    _log_coverage(sym, frame, start, end, origin)
    extra, missing, unchecked = _calendar_check(sym, info, pd.DatetimeIndex(frame.index))
    if len(extra) or len(missing):
        log.warning(
            "%s (%s): %d date(s) that are not %s sessions%s and %d %s session(s) missing%s",
            sym, source, len(extra), info.calendar, _sample(extra), len(missing), info.calendar, _sample(missing),
        )
    return PriceSeries(sym, info, frame, source, origin, checksum, extra, missing, unchecked)


def _calendar_check(
    sym: str, info: SymbolInfo, dates: pd.DatetimeIndex
) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex, pd.DatetimeIndex]:
    """Extra dates and missing sessions, comparing only dates the exchange calendar covers.

    ``exchange_calendars`` starts some calendars late (XTKS in 1997); dates outside
    its range cannot be judged and are returned separately instead of being
    counted as non-sessions.
    """
    cal = get_calendar(info.calendar)
    inside = (dates >= cal.first_session) & (dates <= cal.last_session)
    unchecked = pd.DatetimeIndex(dates[~inside], name="date")
    if len(unchecked):
        log.warning(
            "%s: %d date(s) outside the %s calendar's range %s .. %s were not checked against it",
            sym, len(unchecked), info.calendar, f"{cal.first_session:%Y-%m-%d}", f"{cal.last_session:%Y-%m-%d}",
        )
    extra, missing = check_against_calendar(dates[inside], sym)
    return pd.DatetimeIndex(extra, name="date"), pd.DatetimeIndex(missing, name="date"), unchecked


def _sample(dates: pd.DatetimeIndex, k: int = 3) -> str:
    if len(dates) == 0:
        return ""
    more = ", ..." if len(dates) > k else ""
    return " (" + ", ".join(f"{d:%Y-%m-%d}" for d in dates[:k]) + more + ")"


def _log_coverage(sym: str, frame: pd.DataFrame, start: pd.Timestamp | None, end: pd.Timestamp | None, origin: str) -> None:
    tol = pd.Timedelta(days=COVERAGE_TOLERANCE_DAYS)
    if start is not None and frame.index[0] - start > tol:
        log.warning("%s: data starts %s, after the requested start %s (%s)", sym, f"{frame.index[0]:%Y-%m-%d}", fmt_date(start), origin)
    if end is not None and end - frame.index[-1] > tol:
        log.warning("%s: data ends %s, before the requested end %s (%s)", sym, f"{frame.index[-1]:%Y-%m-%d}", fmt_date(end), origin)


Found = tuple[pd.DataFrame, str, str, str]


def _from_cache(sym: str, start: pd.Timestamp | None, end: pd.Timestamp | None, settings: Settings) -> Found | None:
    """The first verified cache entry of ``sym`` that covers the request.

    An entry is used only when its own manifest names ``sym`` and a request that
    covers ``[start, end]`` (a file copied under another symbol's folder is
    refused), and when its rows reach the request's ends (within
    :data:`COVERAGE_TOLERANCE_DAYS`).  An entry that falls short is used only if
    no later source (the snapshot, or yfinance online) has the symbol.
    Half-written entries are skipped as absent.
    """
    short: Found | None = None
    for path in cache.find_price_files(settings.cache_dir, sym, start, end):
        try:
            entry = cache.read_entry(path)
        except cache.IncompleteEntry as exc:
            log.info("%s", exc)
            continue
        except CacheCorruptError as exc:
            if settings.offline and not _in_snapshot(sym, settings):
                raise
            # never used; the snapshot (or, online, a fresh download) takes its place
            log.warning("%s; %s %s instead", exc, "reading the snapshot's" if settings.offline else "downloading", sym)
            return None
        request = entry.manifest.get("request", {}) if isinstance(entry.manifest.get("request"), dict) else {}
        mismatch = _manifest_mismatch(sym, request, start, end)
        if mismatch:
            log.warning("cache file %s is not used: %s", path, mismatch)
            continue
        wanted = yahoo.AUTO_ADJUST
        if request.get("auto_adjust", wanted) != wanted:
            log.info("cache file %s was downloaded with another adjustment setting; not used", path)
            continue
        frame = _conform(entry.frame)
        if not settings.offline and _may_have_grown(sym, frame, entry.manifest, end):
            log.info("cache file %s was downloaded before %s and may lack later sessions; downloading again", path,
                     fmt_date(end))
            continue
        found = (frame, "cache", str(path), entry.sha256)
        if _covers(frame, start, end):
            return found
        log.info("cache file %s does not cover %s .. %s; trying the next source", path, fmt_date(start), fmt_date(end))
        short = short or found
    if short is not None and not _in_snapshot(sym, settings) and settings.offline:
        return short  # nothing else can serve it: the coverage warning says what is lacking
    return None


def _manifest_mismatch(sym: str, request: dict, start: pd.Timestamp | None, end: pd.Timestamp | None) -> str | None:
    """Why a manifest's request does not match this one (``None`` if it does)."""
    if str(request.get("symbol", "")).upper() != sym:
        return f"its manifest is for symbol {request.get('symbol')!r}, not {sym!r} (a misplaced file)"
    try:
        lo = None if request.get("start") is None else pd.Timestamp(request["start"])
        hi = None if request.get("end") is None else pd.Timestamp(request["end"])
    except (TypeError, ValueError):
        return f"its manifest's request range {request.get('start')!r} .. {request.get('end')!r} is unreadable"
    if (lo is not None and (start is None or lo > start)) or (hi is not None and (end is None or hi < end)):
        return (f"its manifest's request {fmt_date(lo) or 'first'} .. {fmt_date(hi) or 'latest'} does not cover "
                f"{fmt_date(start) or 'first'} .. {fmt_date(end) or 'latest'}")
    return None


def _covers(frame: pd.DataFrame, start: pd.Timestamp | None, end: pd.Timestamp | None) -> bool:
    if frame.empty:
        return False
    tol = pd.Timedelta(days=COVERAGE_TOLERANCE_DAYS)
    return not ((start is not None and frame.index[0] - start > tol) or (end is not None and end - frame.index[-1] > tol))


def _in_snapshot(sym: str, settings: Settings) -> bool:
    return settings.snapshot is not None and price_path(settings.snapshot, sym).is_file()


def _may_have_grown(sym: str, frame: pd.DataFrame, manifest: dict, end: pd.Timestamp | None) -> bool:
    """True when the listing has had sessions since the download that fall inside the request and
    after the file's last row: a study of a recent event, rerun days later, gets them.  A rerun on
    the same day, or of a period that had ended before the download, keeps its cache (no network)."""
    if not len(frame):
        return False
    retrieved = pd.Timestamp(manifest.get("retrieved_at") or "1970-01-01")
    retrieved = (retrieved.tz_convert("UTC") if retrieved.tzinfo else retrieved).tz_localize(None).normalize()
    today = pd.Timestamp.now("UTC").tz_localize(None).normalize()
    upto = today if end is None else min(end, today)
    after = max(retrieved, frame.index[-1]) + pd.Timedelta(days=1)
    if after > upto:
        return False
    return len(sessions(sym, after, upto)) > 0


def _from_snapshot(sym: str, settings: Settings) -> Found | None:
    if settings.snapshot is None:
        return None
    path = price_path(settings.snapshot, sym)
    if not path.is_file():
        return None
    frame, checksum = read_price_csv(path)
    return frame, "snapshot", str(path), checksum


def _from_yahoo(sym: str, info: SymbolInfo, start: pd.Timestamp | None, end: pd.Timestamp | None, settings: Settings) -> Found:
    frame, adjustment = yahoo.download_prices(sym, start, end, timezone=info.timezone)
    target = cache.price_file(settings.cache_dir, sym, start, end)
    manifest = {
        "kind": "prices",
        "source": "yfinance",
        "request": {
            "symbol": sym,
            "start": fmt_date(start),
            "end": fmt_date(end),
            "auto_adjust": yahoo.AUTO_ADJUST,
            "actions": False,
            "interval": "1d",
        },
        "adjustment": adjustment,
        "timezone": info.timezone,
    }
    origin = f"yfinance.download({sym!r}, start={fmt_date(start)}, end={fmt_date(end)} inclusive, auto_adjust={yahoo.AUTO_ADJUST})"
    try:
        entry = cache.write_entry(target, frame, manifest, label=sym, revision_column="adj_close")
    except OSError as exc:
        log.warning("could not write the cache file %s (%s); the download is used but not cached", target, exc)
        return frame, "yfinance", origin, sha256_bytes(cache.frame_to_parquet_bytes(frame))
    return frame, "yfinance", f"{origin} -> {entry.path}", entry.sha256


def _conform(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns and index exactly as promised (after a parquet round trip)."""
    out = frame.reindex(columns=list(PRICE_COLUMNS)).astype(float)
    out.index = pd.DatetimeIndex(out.index, name="date")
    return out
