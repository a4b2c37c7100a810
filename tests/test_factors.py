"""Fama-French / momentum factors: snapshot files, the data-library parser, the online path (faked)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from research_lib.data import factors as fx
from research_lib.data import load_factors
from research_lib.errors import DataUnavailableError, InvalidRequestError, SnapshotError

# Shaped like F-F_Research_Data_Factors_daily.CSV: description, blank, header with an empty first
# cell, dated rows padded with spaces, a blank line, an annual section and a copyright line.
FRENCH_TEXT = (
    "This file was created by using the 202604 CRSP database.\r\n"
    "The Tbill return is the simple daily rate that, over the number of trading days\r\n"
    "\r\n"
    ",Mkt-RF,SMB,HML,RF\r\n"
    "20250221,   -1.71,   -0.63,    1.05,    0.02\r\n"
    "20250224,   -0.54,    0.25,    0.83,    0.02\r\n"
    "20250225,   -0.60,  -99.99,    1.00,    0.02\r\n"
    "\r\n"
    " Annual Factors: January-December \r\n"
    ",Mkt-RF,SMB,HML,RF\r\n"
    "2024,   20.00,   -8.00,   -5.00,    5.00\r\n"
    "\r\n"
    "Copyright 2026 Eugene F. Fama and Kenneth R. French\r\n"
)

# FF5 as some copies have it: every line padded with commas
FRENCH_FF5_TEXT = (
    "This file was created by using the 202510 CRSP database.,,,,,,\n"
    ",,,,,,\n"
    ",Mkt-RF,SMB,HML,RMW,CMA,RF\n"
    "20251030,-1.1,0,0.67,-0.27,0.42,0.02\n"
    "20251031,0.4,-0.07,-0.24,-1.31,0.18,0.02\n"
    ",,,,,,\n"
    "Copyright 2025 Eugene F. Fama and Kenneth R. French,,,,,,\n"
)


def test_parser_on_library_layout() -> None:
    df = fx.parse_french_csv(FRENCH_TEXT, ("mkt_rf", "smb", "hml", "rf"))
    assert list(df.columns) == ["mkt_rf", "smb", "hml", "rf"]
    assert list(df.index) == list(pd.to_datetime(["2025-02-21", "2025-02-24", "2025-02-25"]))
    assert df.loc["2025-02-21", "mkt_rf"] == -1.71  # still percent; the annual row 2024 is not read
    assert np.isnan(df.loc["2025-02-25", "smb"])  # -99.99 is the library's missing code
    ff5 = fx.parse_french_csv(FRENCH_FF5_TEXT, fx.FILES["ff5"].columns)
    assert ff5.shape == (2, 6) and ff5.loc["2025-10-31", "rmw"] == -1.31


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("no header at all\n20250221,1,2\n", "no header"),
        (",Mkt-RF,SMB\n\nCopyright\n", "no rows"),
        (",Mkt-RF,SMB\n20250221,1\n", "1 values for 2 columns"),
        (",Mkt-RF,SMB\n20250221,1,x\n", "non-numeric"),
        (",Mkt-RF,SMB\n20250224,1,2\n20250221,1,2\n", "strictly increasing"),
        (",Mkt-RF,SMB\n20251341,1,2\n", "invalid date"),
    ],
)
def test_parser_errors(text: str, match: str) -> None:
    with pytest.raises(DataUnavailableError, match=match):
        fx.parse_french_csv(text)
    with pytest.raises(DataUnavailableError, match="columns"):
        fx.parse_french_csv(FRENCH_TEXT, ("mkt_rf", "smb"))


def test_parser_on_real_library_files(shared_data: Path) -> None:
    """The untouched library CSVs under raw/ parse to the same numbers as the snapshot's factor files."""
    raw = shared_data / "raw"
    cases = [
        ("tommy66779__Comparaison-IA-DotCom/F-F_Research_Data_Factors_daily.csv", "FF3_daily", fx.FILES["ff3"].columns),
        ("tommy66779__Comparaison-IA-DotCom/F-F_Momentum_Factor_daily.csv", "MOM_daily", fx.FILES["mom"].columns),
        (
            "xyy98257-cyber__MGRCM0034---Data-preparation-SBUX-FF5/F-F_Research_Data_5_Factors_2x3_daily.csv",
            "FF5_daily",
            fx.FILES["ff5"].columns,
        ),
    ]
    for rel, name, cols in cases:
        if not (raw / rel).is_file():
            pytest.skip(f"raw copy {rel} not present")
        parsed = fx.parse_french_csv((raw / rel).read_text(encoding="latin-1"), cols)
        plain = pd.read_csv(shared_data / "factors" / f"{name}.csv", index_col="date", parse_dates=True)
        assert parsed.index.equals(pd.DatetimeIndex(plain.index)), name
        np.testing.assert_array_equal(parsed.to_numpy(), plain[list(cols)].to_numpy(dtype=float))


@pytest.mark.parametrize("model", ["ff3", "ff5", "mom"])
def test_snapshot_factors_are_decimals(shared_data: Path, model: str) -> None:
    spec = fx.FILES[model]
    df = load_factors(model, "2025-01-02", "2025-03-31")
    plain = pd.read_csv(shared_data / "factors" / f"{spec.name}.csv", index_col="date", parse_dates=True)
    plain = plain.loc["2025-01-02":"2025-03-31"]
    assert list(df.columns) == list(spec.columns) and df.index.name == "date"
    np.testing.assert_allclose(df.to_numpy(), plain.to_numpy(dtype=float) / 100.0, rtol=0, atol=1e-15)
    assert df.index[0] == pd.Timestamp("2025-01-02") and df.index[-1] == pd.Timestamp("2025-03-31")
    prov = df.attrs["provenance"][0]
    assert prov["source"] == "snapshot"
    assert prov["sha256"] == hashlib.sha256((shared_data / "factors" / f"{spec.name}.csv").read_bytes()).hexdigest()


def test_carhart4_is_inner_join(shared_data: Path) -> None:
    df = load_factors("carhart4", "1926-07-01", "1926-12-31")
    ff3 = pd.read_csv(shared_data / "factors" / "FF3_daily.csv", index_col="date", parse_dates=True)
    mom = pd.read_csv(shared_data / "factors" / "MOM_daily.csv", index_col="date", parse_dates=True)
    both = ff3.join(mom, how="inner").loc["1926-07-01":"1926-12-31"] / 100.0
    assert list(df.columns) == ["mkt_rf", "smb", "hml", "rf", "mom"]
    assert df.index[0] == pd.Timestamp("1926-11-03")  # momentum starts later than FF3
    np.testing.assert_allclose(df.to_numpy(), both.to_numpy(), rtol=0, atol=1e-15)


def test_bad_requests(shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InvalidRequestError, match="ff3, ff5, mom, carhart4"):
        load_factors("ff4")
    with pytest.raises(InvalidRequestError):
        load_factors("ff3", "2025-02-01", "2025-01-01")
    calls: list[str] = []
    monkeypatch.setattr(fx, "_fetch_url", lambda url, timeout=60.0: calls.append(url) or b"")
    monkeypatch.delenv("RESEARCH_LIB_SNAPSHOT", raising=False)
    with pytest.raises(DataUnavailableError, match="FF3_daily"):
        load_factors("ff3")
    assert calls == []  # offline: the network is never touched


def test_malformed_snapshot_factor_file(tmp_path: Path) -> None:
    (tmp_path / "factors").mkdir()
    (tmp_path / "factors" / "MOM_daily.csv").write_text("date,mom\n2025-01-02,0.5\n2025-01-03,\n")
    with pytest.raises(SnapshotError, match="empty mom on line 3"):
        load_factors("mom", snapshot=tmp_path)


def _zip(name: str, text: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(name, text)
    return buf.getvalue()


def test_online_download_is_parsed_and_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RESEARCH_LIB_SNAPSHOT", raising=False)
    calls: list[str] = []

    def fetch(url: str, timeout: float = 60.0) -> bytes:
        calls.append(url)
        return _zip("F-F_Research_Data_Factors_daily.csv", FRENCH_TEXT)

    monkeypatch.setattr(fx, "_fetch_url", fetch)
    df = load_factors("ff3", offline=False, cache_dir=tmp_path)
    assert calls == [fx.FRENCH_URL + "F-F_Research_Data_Factors_daily_CSV.zip"]
    assert df.loc["2025-02-24", "mkt_rf"] == pytest.approx(-0.0054, abs=1e-15)
    assert df.attrs["provenance"][0]["source"] == "ken_french"
    manifest = json.loads((tmp_path / "factors" / "french_FF3_daily.json").read_text())
    assert manifest["request"]["url"] == calls[0] and manifest["rows"] == 3
    again = load_factors("ff3", "2025-02-24", offline=True, cache_dir=tmp_path)
    assert again.attrs["provenance"][0]["source"] == "cache" and len(again) == 2 and len(calls) == 1
    pd.testing.assert_frame_equal(again, df.loc["2025-02-24":], check_freq=False)


def test_bad_zip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RESEARCH_LIB_SNAPSHOT", raising=False)
    monkeypatch.setattr(fx, "_fetch_url", lambda url, timeout=60.0: b"<html>not found</html>")
    with pytest.raises(DataUnavailableError, match="not a valid zip"):
        load_factors("mom", offline=False, cache_dir=tmp_path)
