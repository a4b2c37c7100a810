"""The snapshot source: real files of shared/data and every kind of malformed file."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from research_lib.data import PriceSet, SymbolNotInSnapshotError, load_price, load_prices
from research_lib.data.snapshot import read_price_csv
from research_lib.errors import (
    DataUnavailableError,
    InvalidRequestError,
    SnapshotError,
    UnknownSymbolError,
)

HEADER = "date,open,high,low,close,adj_close,volume\n"
GOOD_ROWS = "2025-02-20,10,11,9,10.5,10.4,1000\n2025-02-21,10.5,11.5,10,11,10.9,1200\n2025-02-24,11,12,10.5,11.5,11.4,900\n"


# --- the real snapshot -------------------------------------------------------------
@pytest.mark.parametrize(
    ("symbol", "before", "after"),
    [
        # PROVENANCE.md, "Known facts checked": adjusted closes 2025-02-21 -> 2025-02-24
        ("BABA", 141.3607, 126.8952),
        ("9988.HK", 138.2085, 135.4144),
        ("^HSI", 23477.9199, 23341.6094),
        ("^GSPC", 6013.1299, 5983.2500),
    ],
)
def test_known_closes_from_provenance(shared_data: Path, symbol: str, before: float, after: float) -> None:
    s = load_price(symbol, "2025-02-21", "2025-02-24")
    assert s.source == "snapshot"
    assert list(s.frame.index) == [pd.Timestamp("2025-02-21"), pd.Timestamp("2025-02-24")]
    assert s.adj_close.round(4).tolist() == [before, after]


def test_baba_fall_is_ten_percent(shared_data: Path) -> None:
    s = load_price("BABA", "2025-02-21", "2025-02-24")
    ret = s.adj_close.iloc[1] / s.adj_close.iloc[0] - 1
    assert round(100 * ret, 2) == -10.23


def test_frame_schema_and_provenance(shared_data: Path) -> None:
    s = load_price("9988.HK")
    f = s.frame
    assert list(f.columns) == ["open", "high", "low", "close", "adj_close", "volume"]
    assert all(dtype == np.float64 for dtype in f.dtypes)
    assert isinstance(f.index, pd.DatetimeIndex) and f.index.name == "date" and f.index.tz is None
    assert f.index.is_monotonic_increasing and f.index.is_unique
    path = shared_data / "prices" / "9988.HK.csv"
    assert s.origin == str(path)
    assert s.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert s.info.calendar == "XHKG" and s.adj_close.name == "9988.HK"
    # close-only rows (HKEX half days) keep the close and leave open/high/low/volume unknown
    row = f.loc["2024-12-24"]
    assert np.isnan(row["open"]) and np.isnan(row["volume"]) and row["close"] > 0
    # every value agrees with an independent plain read of the file
    plain = pd.read_csv(path, index_col="date", parse_dates=True)
    pd.testing.assert_frame_equal(f, plain.astype(float), check_names=False, check_freq=False, check_index_type=False)


def test_calendar_gaps_are_reported(shared_data: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="research_lib.data"):
        s = load_price("9988.HK", "2023-08-01", "2023-09-30")
    # HKEX closed for typhoon/black-rainstorm on 2023-09-01 and 2023-09-08; the calendar does not know it
    expected_missing = pd.DatetimeIndex(["2023-09-01", "2023-09-08"])
    assert list(s.missing_sessions) == list(expected_missing)
    assert len(s.extra_dates) == 0
    assert any("9988.HK" in r.getMessage() and "2023-09-01" in r.getMessage() for r in caplog.records)
    rep = PriceSet([s]).report()
    assert rep.loc[0, "missing_sessions"] == 2 and rep.loc[0, "extra_dates"] == 0


def test_index_file_extra_dates_are_reported(shared_data: Path) -> None:
    s = load_price("^HSI", "1987-01-01", "1990-12-31")
    assert len(s.extra_dates) > 0
    # independent check: each reported extra date is absent from the calendar's sessions
    from research_lib.listings.calendars import get_calendar

    cal = get_calendar("XHKG")
    assert not any(cal.is_session(d) for d in s.extra_dates)
    assert all(d in s.frame.index for d in s.extra_dates)


def test_start_end_inclusive_and_order(shared_data: Path) -> None:
    s = load_price("BABA", "2025-02-20", pd.Timestamp("2025-02-25"))
    assert s.frame.index[0] == pd.Timestamp("2025-02-20") and s.frame.index[-1] == pd.Timestamp("2025-02-25")
    with pytest.raises(InvalidRequestError, match="after end"):
        load_price("BABA", "2025-03-01", "2025-02-01")
    with pytest.raises(InvalidRequestError, match="YYYY-MM-DD"):
        load_price("BABA", "not a date")


def test_no_rows_in_range(shared_data: Path) -> None:
    with pytest.raises(DataUnavailableError, match="2021-01-04"):
        load_price("BABA", "2010-01-01", "2010-12-31")


def test_symbol_case_is_normalised(shared_data: Path) -> None:
    assert load_price(" baba ", "2025-02-21", "2025-02-21").symbol == "BABA"


def test_offline_never_calls_yfinance(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import yfinance

    calls = []
    monkeypatch.setattr(yfinance, "download", lambda *a, **k: calls.append(a))
    with pytest.raises(SymbolNotInSnapshotError) as info:
        load_price("ZZZZ")
    assert calls == []
    msg = str(info.value)
    assert isinstance(info.value, UnknownSymbolError) and isinstance(info.value, DataUnavailableError)
    assert "BABA" in msg and "9988.HK" in msg and "offline" in msg and "\n" not in msg


def test_unknown_exchange_suffix() -> None:
    with pytest.raises(UnknownSymbolError, match="suffix"):
        load_price("ABC.ZZ")
    with pytest.raises(UnknownSymbolError):
        load_price("../etc/passwd")


def test_load_prices_order_dedup_and_wide(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ps = load_prices(["9988.HK", "BABA", "baba"], "2025-01-20", "2025-02-28")
    assert list(ps) == ["9988.HK", "BABA"] and len(ps) == 2
    assert ps["baba"] is ps["BABA"]
    wide = ps.adj_close()
    assert list(wide.columns) == ["9988.HK", "BABA"]
    union = ps["BABA"].frame.index.union(ps["9988.HK"].frame.index)
    assert wide.index.equals(union)
    # 2025-01-29..31 is Lunar New Year in Hong Kong but NYSE trades
    assert np.isnan(wide.loc["2025-01-30", "9988.HK"]) and not np.isnan(wide.loc["2025-01-30", "BABA"])
    rep = ps.report()
    assert list(rep.columns) == [
        "symbol", "source", "first", "last", "rows", "extra_dates", "missing_sessions", "sha256", "origin",
    ]
    assert rep["rows"].tolist() == [len(ps["9988.HK"].frame), len(ps["BABA"].frame)]
    assert rep["sha256"].str.len().eq(12).all()
    # stderr is not a terminal under pytest: no progress bar by default
    assert capsys.readouterr().err == ""


def test_progress_bar_when_asked(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    load_prices(["BABA", "SPY"], "2025-02-01", "2025-02-28", progress=True)
    assert "prices" in capsys.readouterr().err


# --- malformed snapshots ------------------------------------------------------------------
def _snapshot(tmp_path: Path, symbol: str, text: str | bytes) -> Path:
    (tmp_path / "prices").mkdir(exist_ok=True)
    path = tmp_path / "prices" / f"{symbol}.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return tmp_path


def test_good_tmp_snapshot(tmp_path: Path) -> None:
    snap = _snapshot(tmp_path, "AAA", HEADER + "2025-02-20,,,,10.5,10.4,\n" + GOOD_ROWS.split("\n", 1)[1])
    s = load_price("AAA", snapshot=snap)
    assert s.frame["adj_close"].tolist() == [10.4, 10.9, 11.4]
    assert np.isnan(s.frame["open"].iloc[0]) and np.isnan(s.frame["volume"].iloc[0])


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (b"", "empty"),
        (b"\n  \n", "empty"),
        (HEADER, "no rows"),
        ("date,open,high,low,close,volume\n2025-02-20,1,1,1,1,1\n", "missing column.*adj_close"),
        (HEADER + "2025-02-30,1,1,1,1,1,1\n", "unparseable date '2025-02-30' on line 2"),
        (HEADER + "20/02/2025,1,1,1,1,1,1\n", "unparseable date"),
        (HEADER + "2025-02-21,1,1,1,1,1,1\n2025-02-20,1,1,1,1,1,1\n", "ascending.*line 3"),
        (HEADER + "2025-02-20,1,1,1,1,1,1\n2025-02-20,1,1,1,1,1,1\n", "duplicate date 2025-02-20 on line 3"),
        (HEADER + "2025-02-20,1,1,1,abc,1,1\n", "non-numeric close 'abc' on line 2"),
        (HEADER + "2025-02-20,1,1,1,1,inf,1\n", "non-numeric adj_close"),
        (HEADER + "2025-02-20,1,1,1,1,nan,1\n", "non-numeric adj_close"),
        (HEADER + "2025-02-20,1,1,1,0,1,1\n", "non-positive close"),
        (HEADER + "2025-02-20,-1,1,1,1,1,1\n", "non-positive open"),
        (HEADER + "2025-02-20,1,1,1,1,1,-5\n", "negative volume"),
        (HEADER + "2025-02-20,1,1,1,,1,1\n", "empty close on line 2"),
        (HEADER + "2025-02-20,1,1,1,1,1,1,9,9\n", "line 2 has 9 fields, the header 7"),
        (HEADER + "2025-02-20,1,1,1,1,1,1\n2025-02-21,1,1,1,1,1\n", "line 3 has 6 fields"),
        (HEADER + "2025-02-20,1,1,1,1,1,1\n\n2025-02-21,1,1,1,1,1,1\n", "line 3 is blank"),
        (HEADER.encode() + b"2025-02-20,1,1,1,1,1,\xff\xfe\n", "not a readable CSV|non-numeric volume"),
    ],
)
def test_malformed_file(tmp_path: Path, text: str | bytes, match: str) -> None:
    snap = _snapshot(tmp_path, "BAD", text)
    with pytest.raises(SnapshotError, match=match) as info:
        load_price("BAD", snapshot=snap)
    msg = str(info.value)
    assert "BAD.csv" in msg and ";" in msg  # names the file and a fix


def test_missing_file_in_tmp_snapshot(tmp_path: Path) -> None:
    snap = _snapshot(tmp_path, "AAA", HEADER + GOOD_ROWS)
    with pytest.raises(SymbolNotInSnapshotError, match=r"has no prices/BBB.csv \(it has: AAA\)"):
        load_price("BBB", snapshot=snap)


def test_snapshot_folder_missing(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="does not exist"):
        load_price("BABA", snapshot=tmp_path / "nowhere")


def test_read_price_csv_checksum(tmp_path: Path) -> None:
    data = (HEADER + GOOD_ROWS).encode()
    path = _snapshot(tmp_path, "AAA", data) / "prices" / "AAA.csv"
    frame, checksum = read_price_csv(path)
    assert checksum == hashlib.sha256(data).hexdigest()
    assert frame.index.tolist() == list(pd.to_datetime(["2025-02-20", "2025-02-21", "2025-02-24"]))


def test_dates_before_calendar_start_are_unchecked_not_extra(shared_data: Path) -> None:
    from research_lib.listings.calendars import get_calendar

    first = get_calendar("XTKS").first_session  # exchange_calendars starts XTKS in 1997
    s = load_price("^N225", "1996-11-01", "1997-02-28")
    before = s.frame.index[s.frame.index < first]
    assert len(before) > 0 and s.unchecked_dates.equals(pd.DatetimeIndex(before, name="date"))
    assert not any(d < first for d in s.extra_dates.union(s.missing_sessions))
