"""research_lib.listings.symbols and research_lib.listings.calendars: registry rules, sessions, day-0 mapping."""

from __future__ import annotations

import pandas as pd
import pytest

from research_lib.errors import EventError, UnknownSymbolError
from research_lib.listings.calendars import (
    check_against_calendar,
    check_session,
    day_zero,
    get_calendar,
    sessions,
)
from research_lib.listings.symbols import lookup


# --- symbols -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("symbol", "calendar", "currency", "kind", "benchmark"),
    [
        ("BABA", "XNYS", "USD", "equity", "^GSPC"),
        ("9988.HK", "XHKG", "HKD", "equity", "^HSI"),
        ("9984.T", "XTKS", "JPY", "equity", "^N225"),
        ("005930.KS", "XKRX", "KRW", "equity", "^KS11"),
        ("^GSPC", "XNYS", "index points", "index", "^GSPC"),
        ("^HSI", "XHKG", "index points", "index", "^HSI"),
        ("SPY", "XNYS", "USD", "etf", "^GSPC"),
        ("HKD=X", "24/5", "HKD per USD", "fx", "^HSI"),
    ],
)
def test_lookup(symbol: str, calendar: str, currency: str, kind: str, benchmark: str) -> None:
    info = lookup(symbol)
    assert (info.symbol, info.calendar, info.currency, info.kind, info.benchmark) == (symbol, calendar, currency, kind, benchmark)


def test_lookup_timezones_match_exchange_calendars() -> None:
    for sym in ("BABA", "9988.HK", "9984.T", "2330.TW", "^N225"):
        info = lookup(sym)
        assert str(get_calendar(info.calendar).tz) == info.timezone


@pytest.mark.parametrize("bad", ["", "   ", "^NOPE", "EUR=X", "ABC.ZZ"])
def test_lookup_unknown(bad: str) -> None:
    with pytest.raises(UnknownSymbolError) as info:
        lookup(bad)
    assert "\n" not in str(info.value)


# --- sessions ----------------------------------------------------------------------------
def test_sessions_and_holidays() -> None:
    got = sessions("BABA", "2025-02-20", "2025-02-25")
    assert list(got) == list(pd.to_datetime(["2025-02-20", "2025-02-21", "2025-02-24", "2025-02-25"]))
    # Lunar New Year 2025: HKEX closed 29-31 January; NYSE closed 9 January (national day of mourning)
    hk = sessions("9988.HK", "2025-01-27", "2025-02-04")
    assert list(hk) == list(pd.to_datetime(["2025-01-27", "2025-01-28", "2025-02-03", "2025-02-04"]))
    assert pd.Timestamp("2025-01-09") not in sessions("BABA", "2025-01-06", "2025-01-10")
    assert len(sessions("BABA", "2025-02-22", "2025-02-23")) == 0


def test_calendar_covers_1970() -> None:
    assert get_calendar("XNYS").first_session <= pd.Timestamp("1970-01-02")
    assert sessions("^GSPC", "1970-01-01", "1970-01-09")[0] == pd.Timestamp("1970-01-02")


def test_check_against_calendar() -> None:
    expected = sessions("BABA", "2025-02-03", "2025-02-28")
    dates = expected.drop(pd.Timestamp("2025-02-12")).append(pd.DatetimeIndex(["2025-02-15"])).sort_values()
    extra, missing = check_against_calendar(dates, "BABA")
    assert list(extra) == [pd.Timestamp("2025-02-15")] and list(missing) == [pd.Timestamp("2025-02-12")]
    e0, m0 = check_against_calendar(pd.DatetimeIndex([]), "BABA")
    assert len(e0) == 0 and len(m0) == 0


# --- day 0 ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("announced", "symbol", "session", "rule", "shifted"),
    [
        ("2025-02-21T08:00-05:00", "BABA", "2025-02-21", "before_open", False),
        ("2025-02-21T11:00-05:00", "BABA", "2025-02-21", "intraday", False),
        ("2025-02-20T16:30-05:00", "BABA", "2025-02-21", "after_close", True),
        ("2025-02-21T17:00-05:00", "BABA", "2025-02-24", "after_close", True),  # Friday evening -> Monday
        ("2025-02-24T11:48+08:00", "BABA", "2025-02-24", "non_trading_day", True),  # Sunday night in New York
        ("2025-02-24T11:48+08:00", "9988.HK", "2025-02-24", "intraday", False),
        ("2025-02-24T12:30+08:00", "9988.HK", "2025-02-24", "intraday", False),  # lunch break counts as the session
        ("2025-02-24T16:30+08:00", "9988.HK", "2025-02-25", "after_close", True),
        ("2024-12-24T13:00+08:00", "9988.HK", "2024-12-27", "after_close", True),  # half day, then Christmas holidays
        ("2025-01-29T10:00+08:00", "9988.HK", "2025-02-03", "non_trading_day", True),  # Lunar New Year
        # daylight saving time started 2025-03-09: the open is 09:30 EDT = 13:30 UTC
        ("2025-03-10T13:29Z", "BABA", "2025-03-10", "before_open", False),
        ("2025-03-10T13:31Z", "BABA", "2025-03-10", "intraday", False),
    ],
)
def test_day_zero(announced: str, symbol: str, session: str, rule: str, shifted: bool) -> None:
    d0 = day_zero(announced, symbol)
    assert (d0.session, d0.rule, d0.shifted) == (pd.Timestamp(session), rule, shifted)
    assert d0.reason


def test_day_zero_needs_time_zone() -> None:
    with pytest.raises(EventError, match="time zone"):
        day_zero("2025-02-24 11:48", "9988.HK")


def test_check_session() -> None:
    assert check_session("2025-02-24", "BABA").session == pd.Timestamp("2025-02-24")
    with pytest.raises(EventError, match="2025-02-21 or 2025-02-24"):
        check_session("2025-02-22", "BABA")


def test_date_before_calendar_is_an_event_error() -> None:
    with pytest.raises(EventError):
        check_session("1950-01-03", "BABA")


def test_built_calendars_are_kept_on_disk_and_damaged_files_rebuilt(tmp_path, monkeypatch) -> None:
    from research_lib.listings import calendars as cals

    monkeypatch.setenv("RESEARCH_LIB_CACHE", str(tmp_path))
    build = cals.get_calendar.__wrapped__  # past the in-process cache
    first = build("XHKG")
    files = list((tmp_path / "calendars").glob("XHKG-*.pickle"))
    assert len(files) == 1
    again = build("XHKG")  # read back from the file
    assert again is not first and again.sessions.equals(first.sessions) and again.name == "XHKG"
    files[0].write_bytes(b"not a pickle")
    rebuilt = build("XHKG")
    assert rebuilt.sessions.equals(first.sessions)
    monkeypatch.setenv("RESEARCH_LIB_CALENDAR_CACHE", "0")
    for f in (tmp_path / "calendars").iterdir():
        f.unlink()
    build("XHKG")
    assert not list((tmp_path / "calendars").iterdir())
