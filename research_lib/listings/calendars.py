"""Exchange calendars and the mapping of an announcement time to day 0.

Built on ``exchange_calendars``.  Its calendars cover only the last 20 years
unless told otherwise, so :func:`get_calendar` builds each one from
:data:`CALENDAR_START` (or the calendar's own earliest bound) to cover the
whole range of the snapshot data.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import pickle
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import exchange_calendars as xcals
import pandas as pd

from research_lib.errors import EventError
from research_lib.listings.symbols import lookup

CALENDAR_START = pd.Timestamp("1970-01-01")
logger = logging.getLogger(__name__)


@cache
def get_calendar(code: str) -> xcals.ExchangeCalendar:
    """Return the exchange calendar ``code`` covering 1970 (or its first bound) onward.

    Examples
    --------
    >>> cal = get_calendar("XHKG")
    >>> cal.name, str(cal.tz)
    ('XHKG', 'Asia/Hong_Kong')
    """
    bound = xcals.calendar_utils._default_calendar_factories[code].bound_min()
    start = CALENDAR_START if bound is None else max(CALENDAR_START, pd.Timestamp(bound))
    path = _stored_path(code, start)
    stored = _load_stored(path, code)
    if stored is not None:
        return stored
    with warnings.catch_warnings():
        # exchange_calendars 4.13 uses pandas APIs that pandas 3 flags for removal in pandas 4;
        # the warnings are about its internals, not about our data.
        warnings.simplefilter("ignore", getattr(pd.errors, "Pandas4Warning", DeprecationWarning))
        cal = xcals.get_calendar(code, start=start)
    _store(path, cal)
    return cal


# A built calendar is kept on disk for the day it was built (its default end moves with today):
# building XKRX from 1970 costs 2.5-4.7 s on a 2-core machine, reading it back about 0.07 s, so
# each notebook kernel after the first skips the build.  Building from a later start instead
# saves far less (XKRX from 2015 still costs 1.6-2.2 s: its lunar holidays dominate) and would
# shorten what every caller can check.  The file is the user's own cache (RESEARCH_LIB_CACHE),
# keyed by code, start, build day and the exchange_calendars and pandas versions; anything that
# fails to load is rebuilt.  RESEARCH_LIB_CALENDAR_CACHE=0 turns it off.
_CACHE_ENV = "RESEARCH_LIB_CALENDAR_CACHE"


def _stored_path(code: str, start: pd.Timestamp) -> Path | None:
    if os.environ.get(_CACHE_ENV, "").strip() == "0":
        return None
    root = os.environ.get("RESEARCH_LIB_CACHE", "").strip()
    folder = (Path(root).expanduser() if root else Path.home() / ".cache" / "research_lib") / "calendars"
    versions = f"xcals{xcals.__version__}-pandas{pd.__version__}"
    return folder / f"{code}-{start:%Y%m%d}-{dt.date.today():%Y%m%d}-{versions}.pickle"


def _load_stored(path: Path | None, code: str) -> xcals.ExchangeCalendar | None:
    if path is None or not path.is_file():
        return None
    try:
        cal = pickle.loads(path.read_bytes())  # our own file in the user's cache (see above)
    except Exception:  # noqa: BLE001 -- a damaged or foreign file is rebuilt, whatever the error
        logger.debug("calendar cache %s unreadable; rebuilding", path)
        return None
    return cal if isinstance(cal, xcals.ExchangeCalendar) and cal.name == code else None


def _store(path: Path | None, cal: xcals.ExchangeCalendar) -> None:
    if path is None:
        return
    from research_lib.outputs import write_bytes_atomic

    try:
        write_bytes_atomic(path, pickle.dumps(cal, protocol=pickle.HIGHEST_PROTOCOL), mkdir=True)
    except (OSError, pickle.PicklingError) as exc:  # a read-only cache costs time, not correctness
        logger.debug("calendar cache %s not written: %s", path, exc)
        return
    for old in path.parent.glob(f"{cal.name}-*.pickle"):  # earlier days and versions of this calendar
        if old != path:
            with contextlib.suppress(OSError):
                old.unlink()


def calendar_for(symbol: str) -> xcals.ExchangeCalendar:
    """The trading calendar of a symbol's listing (see :mod:`research_lib.listings.symbols`).

    Examples
    --------
    >>> calendar_for("9988.HK").name, calendar_for("BABA").name
    ('XHKG', 'XNYS')
    """
    return get_calendar(lookup(symbol).calendar)


def sessions(symbol: str, start: str | pd.Timestamp, end: str | pd.Timestamp) -> pd.DatetimeIndex:
    """Trading sessions of ``symbol``'s exchange between ``start`` and ``end`` inclusive.

    Examples
    --------
    Good Friday and Easter Monday 2025 are holidays in Hong Kong; New York closes on Good Friday only:

    >>> sessions("9988.HK", "2025-04-17", "2025-04-22").strftime("%Y-%m-%d").tolist()
    ['2025-04-17', '2025-04-22']
    >>> sessions("BABA", "2025-04-17", "2025-04-22").strftime("%Y-%m-%d").tolist()
    ['2025-04-17', '2025-04-21', '2025-04-22']
    """
    cal = calendar_for(symbol)
    start_ts = max(pd.Timestamp(start), cal.first_session)
    end_ts = min(pd.Timestamp(end), cal.last_session)
    if start_ts > end_ts:
        return pd.DatetimeIndex([], name="date")
    return pd.DatetimeIndex(cal.sessions_in_range(start_ts, end_ts), name="date")


@dataclass(frozen=True)
class DayZero:
    """Where an announcement lands on one listing's calendar.

    Attributes
    ----------
    session
        the day-0 session (a date, midnight, tz-naive).
    rule
        ``"before_open"``, ``"intraday"``, ``"after_close"``, ``"non_trading_day"``
        or ``"date"`` (a day 0 given as a date that is a session).
    shifted
        True when day 0 is a later date than the local announcement date.
    reason
        one sentence saying why this session is day 0.

    Examples
    --------
    >>> from research_lib.listings import day_zero
    >>> d = day_zero("2025-02-24T08:00:00-05:00", "BABA")  # before the New York open
    >>> d.session.date().isoformat(), d.rule, d.shifted
    ('2025-02-24', 'before_open', False)
    """

    session: pd.Timestamp
    rule: str
    shifted: bool
    reason: str


def session_index(grid: pd.DatetimeIndex, day: object) -> int:
    """Position of ``day`` in the sorted, unique session index ``grid``.

    Raises
    ------
    EventError
        If ``day`` is not one of the sessions.
    """
    ts = pd.Timestamp(day)  # type: ignore[arg-type]
    pos = int(grid.searchsorted(ts))
    if pos >= len(grid) or grid[pos] != ts:
        raise EventError(f"{ts:%Y-%m-%d} is not a session of this calendar; pass a trading session")
    return pos


def day_zero(announced_at: str | pd.Timestamp | dt.datetime, symbol: str) -> DayZero:
    """Map an announcement timestamp to day 0 on ``symbol``'s own exchange calendar.

    Rules: before the open, or during a session (lunch breaks included), day 0
    is that session; at or after the close, or on a day without a session,
    day 0 is the next session (an announcement at the closing bell cannot be
    in that day's closing price).

    Raises
    ------
    EventError
        If the timestamp has no time zone (its meaning would be a guess).

    Examples
    --------
    Alibaba's plan came out during the Hong Kong session of Monday 24 February 2025, which was
    Sunday evening in New York:

    >>> hk = day_zero("2025-02-24T11:48+08:00", "9988.HK")
    >>> hk.session.date().isoformat(), hk.rule
    ('2025-02-24', 'intraday')
    >>> ny = day_zero("2025-02-24T11:48+08:00", "BABA")
    >>> ny.session.date().isoformat(), ny.rule, ny.shifted
    ('2025-02-24', 'non_trading_day', True)
    """
    ts = pd.Timestamp(announced_at)
    if ts.tzinfo is None:
        raise EventError(
            f"announcement time {announced_at!s} has no time zone; write it with an offset "
            "(2025-02-24T11:48+08:00) or give event_date instead"
        )
    info = lookup(symbol)
    cal = get_calendar(info.calendar)
    local = ts.tz_convert(cal.tz)
    date = pd.Timestamp(local.date())
    _in_range(cal, date, symbol)
    where = f"{info.calendar} ({cal.tz})"
    if cal.is_session(date):
        open_, close = cal.session_open(date), cal.session_close(date)
        if ts < open_:
            return DayZero(date, "before_open", False, f"announced {local:%Y-%m-%d %H:%M %Z} before the {where} open")
        # at the close itself the closing price is already being set: that counts as after the close
        if ts < close:
            return DayZero(date, "intraday", False, f"announced {local:%Y-%m-%d %H:%M %Z} during the {where} session")
        nxt = cal.next_session(date)
        return DayZero(
            nxt, "after_close", True, f"announced {local:%Y-%m-%d %H:%M %Z} after the {where} close; day 0 is the next session"
        )
    nxt = cal.date_to_session(date, direction="next")
    return DayZero(
        nxt, "non_trading_day", True, f"announced {local:%Y-%m-%d %Z}, not a {where} session; day 0 is the next session"
    )


def _in_range(cal: xcals.ExchangeCalendar, date: pd.Timestamp, symbol: str) -> None:
    # leave one session of margin at the end so that next_session() is defined
    if date < cal.first_session or date >= cal.last_session:
        raise EventError(
            f"date {date:%Y-%m-%d} for {symbol} lies outside the {cal.name} calendar "
            f"({cal.first_session:%Y-%m-%d}..{cal.last_session:%Y-%m-%d}); check the date"
        )


def check_session(date: str | pd.Timestamp, symbol: str) -> DayZero:
    """Accept a day 0 given as a date, if it is a session of ``symbol``'s exchange.

    Raises
    ------
    EventError
        If the date is not a session; the message names the neighbouring sessions.

    Examples
    --------
    >>> check_session("2025-02-24", "BABA").rule
    'date'
    >>> check_session("2025-02-23", "BABA")
    Traceback (most recent call last):
    ...
    research_lib.errors.EventError: event date 2025-02-23 (Sunday) is not a XNYS session for BABA; ...
    """
    info = lookup(symbol)
    cal = get_calendar(info.calendar)
    d = pd.Timestamp(date).normalize()
    if d.tzinfo is not None:
        d = d.tz_localize(None)
    _in_range(cal, d, symbol)
    if not cal.is_session(d):
        prev = cal.date_to_session(d, direction="previous")
        nxt = cal.date_to_session(d, direction="next")
        raise EventError(
            f"event date {d:%Y-%m-%d} ({d:%A}) is not a {info.calendar} session for {symbol}; "
            f"use {prev:%Y-%m-%d} or {nxt:%Y-%m-%d}, or give announced_at with a time zone"
        )
    return DayZero(d, "date", False, f"day 0 given as the {info.calendar} session {d:%Y-%m-%d}")


def check_against_calendar(dates: pd.DatetimeIndex, symbol: str) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """Compare a price series' dates with its exchange calendar.

    Returns
    -------
    extra
        dates in the data that are not sessions.
    missing
        sessions between the first and last date that the data lacks.

    Examples
    --------
    >>> import pandas as pd
    >>> dates = pd.DatetimeIndex(["2025-02-20", "2025-02-22", "2025-02-24"])
    >>> extra, missing = check_against_calendar(dates, "BABA")
    >>> extra.strftime("%Y-%m-%d").tolist(), missing.strftime("%Y-%m-%d").tolist()
    (['2025-02-22'], ['2025-02-21'])
    """
    if len(dates) == 0:
        return pd.DatetimeIndex([]), pd.DatetimeIndex([])
    cal = calendar_for(symbol)
    # dates outside the calendar's range cannot be checked (the data layer reports them separately)
    dates = dates[(dates >= cal.first_session) & (dates <= cal.last_session)]
    if len(dates) == 0:
        return pd.DatetimeIndex([]), pd.DatetimeIndex([])
    expected = sessions(symbol, dates.min(), dates.max())
    extra = dates.difference(expected)
    missing = expected.difference(dates)
    return extra, missing
