"""The on-disk cache: manifests, atomic writes, corruption, revisions."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yfinance
from test_data_yahoo import ADJ, CLOSE, DATES, FakeDownload, yf_frame

from research_lib.data import DataRevisionWarning, load_price
from research_lib.data import cache as ch
from research_lib.errors import CacheCorruptError


def _frame(values: list[float]) -> pd.DataFrame:
    idx = pd.DatetimeIndex(pd.date_range("2025-01-06", periods=len(values), freq="B"), name="date")
    v = np.asarray(values, dtype=float)
    return pd.DataFrame({"close": v, "adj_close": v * 0.9}, index=idx)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# --- atomic writes ---------------------------------------------------------------------------
def test_atomic_write_failure_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "x.parquet"

    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        ch.atomic_write_bytes(target, b"some bytes")
    assert not target.exists() and _leftovers(tmp_path) == []


def test_atomic_write_failure_keeps_previous_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "x.parquet"
    ch.atomic_write_bytes(target, b"old")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("interrupted")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        ch.atomic_write_bytes(target, b"new content")
    assert target.read_bytes() == b"old" and _leftovers(tmp_path) == []


def test_write_entry_failure_mid_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = ch.atomic_write_bytes

    def write_half_then_fail(path: Path, data: bytes) -> None:
        real(path.with_name("half.bin"), data[: len(data) // 2])  # other files stay valid
        raise OSError("killed")

    monkeypatch.setattr(ch, "atomic_write_bytes", write_half_then_fail)
    with pytest.raises(OSError):
        ch.write_entry(tmp_path / "a.parquet", _frame([1, 2, 3]), {"source": "test"}, label="A")
    assert not (tmp_path / "a.parquet").exists() and not (tmp_path / "a.json").exists()


# --- manifests and verification ----------------------------------------------------------------
def test_manifest_contents(tmp_path: Path) -> None:
    frame = _frame([1.0, 2.0, 3.0])
    entry = ch.write_entry(tmp_path / "a.parquet", frame, {"source": "yfinance", "request": {"symbol": "A"}, "adjustment": "x"}, label="A")
    manifest = json.loads((tmp_path / "a.json").read_text())
    assert manifest["sha256"] == hashlib.sha256((tmp_path / "a.parquet").read_bytes()).hexdigest() == entry.sha256
    assert manifest["source"] == "yfinance" and manifest["request"] == {"symbol": "A"} and manifest["adjustment"] == "x"
    when = dt.datetime.fromisoformat(manifest["retrieved_at"].replace("Z", "+00:00"))
    assert when.tzinfo is not None and abs(dt.datetime.now(dt.UTC) - when) < dt.timedelta(minutes=5)
    assert {"pandas", "yfinance", "research_lib"} <= set(manifest["versions"])
    assert manifest["versions"]["pandas"] == pd.__version__
    assert (manifest["rows"], manifest["first"], manifest["last"]) == (3, "2025-01-06", "2025-01-08")
    back = ch.read_entry(tmp_path / "a.parquet")
    pd.testing.assert_frame_equal(back.frame, frame, check_freq=False)


def test_truncated_or_altered_file_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    ch.write_entry(path, _frame([1, 2, 3]), {"source": "t"}, label="A")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CacheCorruptError, match="SHA-256"):
        ch.read_entry(path)
    path.write_bytes(data)
    assert len(ch.read_entry(path).frame) == 3
    path.with_suffix(".json").unlink()
    # issue 12: a complete parquet without its manifest is half an entry (killed writer): absent, not corrupt
    with pytest.raises(ch.IncompleteEntry, match="manifest"):
        ch.read_entry(path)


def test_compare_frames() -> None:
    old = _frame([10, 20, 30, 40])
    new = old.copy()
    new.iloc[1:3, :] *= 1.05
    new = new.drop(new.index[0])
    rev = ch.compare_frames(old, new, "adj_close")
    assert (rev.n_common, rev.n_changed, rev.n_removed, rev.n_added) == (3, 2, 1, 0)
    assert rev.max_change == pytest.approx(0.05, rel=1e-12) and rev.is_revision
    assert ch.compare_frames(old, old.copy()).identical


# --- corruption through the loader -------------------------------------------------------------
@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeDownload:
    """Online, no snapshot, a fake yfinance, the cache in tmp_path/cache."""
    monkeypatch.delenv("RESEARCH_LIB_SNAPSHOT", raising=False)
    monkeypatch.setenv("RESEARCH_LIB_CACHE", str(tmp_path / "cache"))
    fake = FakeDownload(yf_frame())
    monkeypatch.setattr(yfinance, "download", fake)
    return fake


def _cached(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "prices" / "BABA" / "yahoo_first_latest.parquet"


def test_corrupt_cache_refused_offline(online: FakeDownload, tmp_path: Path) -> None:
    load_price("BABA", offline=False)
    path = _cached(tmp_path)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(CacheCorruptError, match="yahoo_first_latest.parquet"):
        load_price("BABA", offline=True)
    assert len(online.calls) == 1


def test_corrupt_cache_refetched_online(online: FakeDownload, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    load_price("BABA", offline=False)
    path = _cached(tmp_path)
    path.write_bytes(b"garbage")
    with caplog.at_level(logging.WARNING, logger="research_lib.data"):
        s = load_price("BABA", offline=False)
    assert s.source == "yfinance" and len(online.calls) == 2 and s.adj_close.tolist() == ADJ
    assert "corrupt" in caplog.text
    assert ch.read_entry(path).sha256 == s.sha256  # a verified file is back in place
    assert len(list(path.parent.glob("*.corrupt-*.parquet"))) == 1  # the bad one is kept for inspection


def test_cache_write_failure_still_returns_data(online: FakeDownload, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(path: Path, data: bytes) -> None:
        raise OSError("read-only file system")

    monkeypatch.setattr(ch, "atomic_write_bytes", fail)
    s = load_price("BABA", offline=False)
    assert s.source == "yfinance" and len(s.frame) == 4 and len(s.sha256) == 64
    assert not _cached(tmp_path).exists()


# --- revisions ------------------------------------------------------------------------------------
def test_revision_warns_and_keeps_old_copy(online: FakeDownload, tmp_path: Path) -> None:
    load_price("BABA", offline=False)
    revised = [a * 0.98 for a in ADJ[:2]] + ADJ[2:]  # a new dividend adjusts the earlier rows
    online.outcomes = [yf_frame(adj=revised)]
    with pytest.warns(DataRevisionWarning) as rec:
        s = load_price("BABA", offline=False, refresh=True)
    msg = str(rec[0].message)
    expected = max(abs(n / o - 1) for n, o in zip(revised, ADJ, strict=True))
    assert "2 of 4 common rows changed" in msg and f"{expected:.6g}" in msg
    assert s.adj_close.tolist() == revised
    folder = _cached(tmp_path).parent
    old = list(folder.glob("yahoo_first_latest.superseded-*.parquet"))
    assert len(old) == 1 and old[0].with_suffix(".json").exists()
    assert json.loads(_cached(tmp_path).with_suffix(".json").read_text())["supersedes"] == old[0].name
    assert ch.read_entry(old[0]).frame["adj_close"].tolist() == ADJ
    # the cache now serves the new data
    assert load_price("BABA", offline=True).adj_close.tolist() == revised


def test_identical_or_appended_download_does_not_warn(online: FakeDownload, tmp_path: Path) -> None:
    first = load_price("BABA", offline=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataRevisionWarning)
        same = load_price("BABA", offline=False, refresh=True)
        assert same.sha256 == first.sha256
        assert list(_cached(tmp_path).parent.glob("*superseded*")) == []
        online.outcomes = [yf_frame(dates=[*DATES, "2025-02-26"], close=[*CLOSE, 135.0], adj=[*ADJ, 132.5])]
        longer = load_price("BABA", offline=False, refresh=True)
    assert len(longer.frame) == 5
    assert len(list(_cached(tmp_path).parent.glob("*superseded*.parquet"))) == 1


# --- freshness --------------------------------------------------------------------------------------
def test_same_day_rerun_uses_the_cache(online: FakeDownload) -> None:
    load_price("BABA", offline=False)
    again = load_price("BABA", offline=False)
    assert again.source == "cache" and len(online.calls) == 1


def test_download_older_than_later_sessions_is_refreshed_online_only(online: FakeDownload, tmp_path: Path) -> None:
    """A file retrieved on the day of its last row may lack the sessions that came after."""
    load_price("BABA", offline=False)
    manifest_path = _cached(tmp_path).with_suffix(".json")
    manifest = json.loads(manifest_path.read_text())
    manifest["retrieved_at"] = "2025-02-25T22:00:00+00:00"
    manifest_path.write_text(json.dumps(manifest))
    assert load_price("BABA", offline=True).source == "cache" and len(online.calls) == 1  # offline: kept
    online.outcomes = [yf_frame(dates=[*DATES, "2025-02-26"], close=[*CLOSE, 135.0], adj=[*ADJ, 132.5])]
    fresh = load_price("BABA", offline=False)
    assert fresh.source == "yfinance" and len(online.calls) == 2 and len(fresh.frame) == 5


def test_corrupt_cache_offline_falls_back_to_the_snapshot(online: FakeDownload, tmp_path: Path, shared_data: Path,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    load_price("BABA", offline=False)
    path = _cached(tmp_path)
    path.write_bytes(b"garbage")
    with caplog.at_level(logging.WARNING, logger="research_lib.data"):
        s = load_price("BABA", offline=True, snapshot=shared_data)
    assert s.source == "snapshot" and "corrupt" in caplog.text and len(online.calls) == 1


# --- issue 12: entries committed as one unit, checked against the request -------------------------
def _px_frame(start: str, periods: int, level: float = 100.0) -> pd.DataFrame:
    idx = pd.DatetimeIndex(pd.bdate_range(start, periods=periods), name="date")
    v = level * np.exp(np.cumsum(np.full(periods, 0.001)))
    return pd.DataFrame({"open": v, "high": v, "low": v, "close": v, "adj_close": v, "volume": 1.0}, index=idx)


def _put(cache_dir: Path, folder_symbol: str, manifest_symbol: str, frame: pd.DataFrame) -> Path:
    from research_lib.data import yahoo

    path = ch.price_file(cache_dir, folder_symbol, None, None)
    request = {"symbol": manifest_symbol, "start": None, "end": None, "auto_adjust": yahoo.AUTO_ADJUST}
    ch.write_entry(path, frame, {"kind": "prices", "source": "yfinance", "request": request}, label=manifest_symbol)
    return path


@pytest.fixture
def cache_dir() -> Path:
    return Path(os.environ["RESEARCH_LIB_CACHE"])


def test_entry_of_another_symbol_is_refused_and_falls_through(cache_dir: Path, shared_data: Path,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    _put(cache_dir, "MSFT", "BABA", _px_frame("2024-01-02", 300))  # a BABA entry placed under MSFT
    with caplog.at_level(logging.WARNING, logger="research_lib.data"):
        s = load_price("MSFT", "2024-01-02", "2024-12-31", snapshot=shared_data, offline=True)
    assert s.source == "snapshot" and "'BABA', not 'MSFT'" in caplog.text


def test_half_entry_is_absent_not_corrupt(cache_dir: Path, shared_data: Path) -> None:
    path = _put(cache_dir, "MSFT", "MSFT", _px_frame("2024-01-02", 300))
    ch.manifest_path(path).unlink()  # killed between the parquet's rename and the manifest's
    s = load_price("MSFT", "2024-01-02", "2024-12-31", snapshot=shared_data, offline=True)
    assert s.source == "snapshot"
    assert list(path.parent.glob("*corrupt*")) == []
    from research_lib.data.snapshot import SymbolNotInSnapshotError

    with pytest.raises(SymbolNotInSnapshotError):  # not CacheCorruptError
        load_price("MSFT", "2024-01-02", "2024-12-31", snapshot=shared_data / "prices", offline=True)


def test_interleaved_writers_leave_an_incomplete_entry_not_a_corrupt_one(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    ch.write_entry(path, _frame([1, 2, 3]), {"source": "t"}, label="A")
    first_manifest = ch.manifest_path(path).read_bytes()
    ch.write_entry(path, _frame([1, 2, 3, 4]), {"source": "t"}, label="A")
    ch.manifest_path(path).write_bytes(first_manifest)  # writer 1 renames its manifest last
    with pytest.raises(ch.IncompleteEntry):
        ch.read_entry(path)
    ch.write_entry(path, _frame([1, 2, 3, 4]), {"source": "t"}, label="A")  # the next writer repairs it
    assert len(ch.read_entry(path).frame) == 4
    assert [p.name for p in tmp_path.iterdir() if "corrupt" in p.name] == []  # nothing good was moved aside


def test_manifest_is_embedded_in_the_parquet(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    entry = ch.write_entry(path, _frame([1, 2, 3]), {"source": "t", "request": {"symbol": "A"}}, label="A")
    inner = ch.embedded_manifest(path.read_bytes())
    assert inner is not None and inner["request"] == {"symbol": "A"} and inner["write_id"] == entry.manifest["write_id"]


def test_stale_temporary_files_are_removed(cache_dir: Path, shared_data: Path) -> None:
    path = _put(cache_dir, "MSFT", "MSFT", _px_frame("2024-01-02", 300))
    stale = path.parent / f".{path.name}.abc123.tmp"
    young = path.parent / f".{path.name}.def456.tmp"
    stale.write_bytes(b"half")
    young.write_bytes(b"half")
    os.utime(stale, (1, 1))
    load_price("MSFT", "2024-01-02", "2024-12-31", snapshot=shared_data, offline=True)
    assert not stale.exists() and young.exists()  # a live writer's file is left alone


def test_cache_files_respect_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        ch.write_entry(tmp_path / "a.parquet", _frame([1, 2, 3]), {"source": "t"}, label="A")
    finally:
        os.umask(old)
    import stat

    assert {stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()} == {0o644}


def test_entry_that_does_not_cover_the_request_falls_back(cache_dir: Path, shared_data: Path, tmp_path: Path) -> None:
    _put(cache_dir, "MSFT", "MSFT", _px_frame("2024-01-02", 60))  # an old download: Jan-Mar 2024
    s = load_price("MSFT", "2024-01-02", "2025-06-30", snapshot=shared_data, offline=True)
    assert s.source == "snapshot" and s.last >= pd.Timestamp("2025-06-27")
    empty = tmp_path / "empty_snapshot"
    (empty / "prices").mkdir(parents=True)
    s = load_price("MSFT", "2024-01-02", "2025-06-30", snapshot=empty, offline=True)
    assert s.source == "cache"  # nothing else has it: the short entry, with a coverage warning in the log
