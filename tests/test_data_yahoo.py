"""The yfinance adapter, with frames shaped like yfinance's real output (no network)."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yfinance
from yfinance.exceptions import YFRateLimitError

from research_lib.data import load_price
from research_lib.data import yahoo as yh
from research_lib.errors import DataUnavailableError, RateLimitError

DATES = ["2025-02-20", "2025-02-21", "2025-02-24", "2025-02-25"]
CLOSE = [133.1, 143.75, 129.04, 134.0]
ADJ = [131.0, 141.3607, 126.8952, 131.8]


def yf_frame(
    symbol: str = "BABA",
    dates: list[str] = DATES,
    close: list[float] = CLOSE,
    adj: list[float] | None = ADJ,
    layout: str = "column",
    tz: str | None = None,
) -> pd.DataFrame:
    """A frame laid out as ``yfinance.download`` returns it (fields sorted as yfinance sorts them)."""
    idx = pd.DatetimeIndex(pd.to_datetime(dates), name="Date")
    if tz is not None:
        idx = idx.tz_localize(tz)
    c = np.asarray(close, dtype=float)
    fields = {"Close": c, "High": c * 1.02, "Low": c * 0.97, "Open": c * 0.99, "Volume": np.arange(len(c)) * 1000.0 + 5e6}
    if adj is not None:
        fields = {"Adj Close": np.asarray(adj, dtype=float), **fields}
    if layout == "column":
        cols = pd.MultiIndex.from_tuples([(f, symbol) for f in fields], names=["Price", "Ticker"])
    elif layout == "ticker":
        cols = pd.MultiIndex.from_tuples([(symbol, f) for f in fields], names=["Ticker", "Price"])
    else:
        cols = pd.Index(list(fields), name="Price")
    return pd.DataFrame(np.column_stack(list(fields.values())), index=idx, columns=cols)


@pytest.mark.parametrize("layout", ["column", "ticker", "flat"])
def test_normalise_layouts(layout: str) -> None:
    frame, adjustment = yh.normalise_download(yf_frame(layout=layout), "BABA", "America/New_York")
    assert list(frame.columns) == ["open", "high", "low", "close", "adj_close", "volume"]
    assert frame.index.name == "date" and frame.index.tz is None
    assert list(frame.index) == list(pd.to_datetime(DATES))
    assert frame["adj_close"].tolist() == ADJ and frame["close"].tolist() == CLOSE
    np.testing.assert_allclose(frame["open"], np.asarray(CLOSE) * 0.99)
    assert adjustment == yh.ADJUSTMENT_YAHOO_ADJ_CLOSE


def test_tz_aware_index_gives_exchange_dates() -> None:
    # yfinance's ignore_tz=False output: midnight in the exchange's zone
    frame, _ = yh.normalise_download(yf_frame(tz="America/New_York"), "BABA", "America/New_York")
    assert list(frame.index) == list(pd.to_datetime(DATES))
    # a UTC stamp of 16:00 is already the next day in Hong Kong (UTC+8)
    raw = yf_frame("9988.HK", dates=["2025-02-20 16:00", "2025-02-23 16:00"], close=[138.5, 135.7], adj=[138.5, 135.7], tz="UTC")
    frame, _ = yh.normalise_download(raw, "9988.HK", "Asia/Hong_Kong")
    assert list(frame.index) == [pd.Timestamp("2025-02-21"), pd.Timestamp("2025-02-24")]


def test_missing_adj_close_uses_close_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        frame, adjustment = yh.normalise_download(yf_frame(adj=None), "BABA", "America/New_York")
    assert frame["adj_close"].tolist() == CLOSE
    assert adjustment == yh.ADJUSTMENT_CLOSE_ONLY
    assert "Adj Close" in caplog.text


def test_rows_without_close_dropped_and_duplicates() -> None:
    raw = yf_frame(close=[133.1, np.nan, 129.04, 134.0], adj=[131.0, np.nan, 126.8952, 131.8])
    frame, _ = yh.normalise_download(raw, "BABA", "America/New_York")
    assert pd.Timestamp("2025-02-21") not in frame.index and len(frame) == 3
    two = pd.concat([yf_frame("BABA"), yf_frame("JD")], axis=1)
    with pytest.raises(DataUnavailableError, match="PDD"):
        yh.normalise_download(two, "PDD", "America/New_York")
    frame, _ = yh.normalise_download(two, "JD", "America/New_York")
    assert len(frame) == 4


def test_non_positive_price_refused() -> None:
    with pytest.raises(DataUnavailableError, match="non-positive"):
        yh.normalise_download(yf_frame(close=[1, 2, 0, 3], adj=[1, 2, 0, 3]), "BABA", "America/New_York")


class FakeDownload:
    """Stands in for yfinance.download: returns or raises the queued outcomes, records each call."""

    def __init__(self, *outcomes: object) -> None:
        self.outcomes = list(outcomes)
        self.calls: list[tuple[tuple, dict]] = []

    def __call__(self, *args: object, **kwargs: object) -> pd.DataFrame:
        self.calls.append((args, kwargs))
        out = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if callable(out) and not isinstance(out, pd.DataFrame):
            out = out()
        if isinstance(out, BaseException):
            raise out
        return out  # type: ignore[return-value]


def test_download_settings_are_explicit(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeDownload(yf_frame())
    monkeypatch.setattr(yfinance, "download", fake)
    frame, _ = yh.download_prices("BABA", pd.Timestamp("2025-02-21"), pd.Timestamp("2025-02-24"), timezone="America/New_York")
    args, kw = fake.calls[0]
    assert args == ("BABA",)
    assert kw["start"] == "2025-02-21" and kw["end"] == "2025-02-25"  # yfinance's end is exclusive
    assert kw["auto_adjust"] is False and kw["actions"] is False and kw["progress"] is False
    assert "multi_level_index" in kw
    assert list(frame.index) == [pd.Timestamp("2025-02-21"), pd.Timestamp("2025-02-24")]  # rows outside dropped
    yh.download_prices("BABA", None, pd.Timestamp("2025-02-21"), timezone="America/New_York")
    _, kw = fake.calls[1]
    assert kw["period"] == "max" and "start" not in kw and "end" not in kw


def test_empty_download_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yfinance, "download", FakeDownload(pd.DataFrame()))
    with pytest.raises(DataUnavailableError) as info:
        yh.download_prices("NOPE", None, None, timezone="America/New_York")
    msg = str(info.value)
    assert "NOPE" in msg and "online" in msg and "check the symbol" in msg and "RESEARCH_LIB_SNAPSHOT" in msg


def test_other_error_is_wrapped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yfinance, "download", FakeDownload(ConnectionError("no route to host")))
    with pytest.raises(DataUnavailableError, match="no route to host"):
        yh.download_prices("BABA", None, None, timezone="America/New_York")


def test_rate_limit_retries_then_succeeds(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeDownload(YFRateLimitError(), Exception("HTTP 429 Too Many Requests"), yf_frame())
    monkeypatch.setattr(yfinance, "download", fake)
    waits: list[float] = []
    frame, _ = yh.download_prices("BABA", None, None, timezone="America/New_York", sleep=waits.append, base_delay=1.5)
    assert waits == [1.5, 3.0] and len(fake.calls) == 3 and len(frame) == 4


def test_rate_limit_gives_up(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeDownload(YFRateLimitError())
    monkeypatch.setattr(yfinance, "download", fake)
    waits: list[float] = []
    with pytest.raises(RateLimitError, match="BABA.*5 attempts"):
        yh.download_prices("BABA", None, None, timezone="America/New_York", sleep=waits.append)
    assert waits == [2.0, 4.0, 8.0, 16.0] and len(fake.calls) == 5


def test_rate_limit_only_logged_by_yfinance(monkeypatch: pytest.MonkeyPatch) -> None:
    """yfinance.download catches the error, logs it and returns an empty frame."""

    def logged_failure() -> pd.DataFrame:
        logging.getLogger("yfinance").error("['BABA']: YFRateLimitError('Too Many Requests. Rate limited. Try after a while.')")
        return pd.DataFrame()

    fake = FakeDownload(logged_failure, yf_frame())
    monkeypatch.setattr(yfinance, "download", fake)
    waits: list[float] = []
    frame, _ = yh.download_prices("BABA", None, None, timezone="America/New_York", sleep=waits.append)
    assert waits == [2.0] and len(frame) == 4


def test_load_price_online_caches(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("RESEARCH_LIB_SNAPSHOT", raising=False)
    fake = FakeDownload(yf_frame())
    monkeypatch.setattr(yfinance, "download", fake)
    s = load_price("BABA", "2025-02-20", "2025-02-25", offline=False, cache_dir=tmp_path)
    assert s.source == "yfinance" and s.adj_close.tolist() == ADJ
    parquet = tmp_path / "prices" / "BABA" / "yahoo_2025-02-20_2025-02-25.parquet"
    assert parquet.is_file() and s.sha256 == hashlib.sha256(parquet.read_bytes()).hexdigest()
    manifest = json.loads(parquet.with_suffix(".json").read_text())
    assert manifest["request"]["symbol"] == "BABA" and manifest["request"]["auto_adjust"] is False
    # warm: the cache answers, also for a narrower request, without a download; offline too
    again = load_price("BABA", "2025-02-21", "2025-02-24", offline=True, cache_dir=tmp_path)
    assert again.source == "cache" and len(fake.calls) == 1
    assert again.adj_close.tolist() == ADJ[1:3]
    assert again.sha256 == s.sha256
    # a wider request is not covered: it goes to yfinance again
    load_price("BABA", "2025-02-01", "2025-02-25", offline=False, cache_dir=tmp_path)
    assert len(fake.calls) == 2


def test_fx_bars_stamped_at_london_midnight_keep_their_date() -> None:
    """Summer (BST) midnight is 23:00 UTC the day before: the bar's date must not move."""
    days = pd.DatetimeIndex(["2024-06-03", "2024-06-04", "2024-06-05"]).tz_localize("Europe/London")
    raw = yf_frame(dates=[d.strftime("%Y-%m-%d") for d in days], close=[7.81, 7.80, 7.82], adj=[7.81, 7.80, 7.82],
                   symbol="HKD=X")
    raw.index = days
    frame, _ = yh.normalise_download(raw, "HKD=X", timezone="UTC")
    assert list(frame.index) == list(pd.DatetimeIndex(["2024-06-03", "2024-06-04", "2024-06-05"]))
