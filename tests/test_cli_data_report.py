"""``research-lib data-report`` through research_lib.cli.app.main."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from research_lib.cli.app import main
from research_lib.data import data_report


def test_data_report_prints_source_range_checksum(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data-report", "BABA", "9988.HK"]) == 0
    out = capsys.readouterr().out
    for sym in ("BABA", "9988.HK"):
        sha = hashlib.sha256((shared_data / "prices" / f"{sym}.csv").read_bytes()).hexdigest()
        line = next(row for row in out.splitlines() if row.strip().startswith(sym + " "))
        assert "snapshot" in line and sha[:12] in line
    assert "2021-01-04" in out and "2026-03-25" in out  # BABA's range
    assert "2023-09-01" in out  # 9988.HK's missing sessions are listed


def test_data_report_with_dates(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data-report", "^GSPC", "--start", "2025-02-01", "--end", "2025-02-28", "--offline"]) == 0
    out = capsys.readouterr().out
    assert "2025-02-03" in out and "2025-02-28" in out and "every date is a session" in out


def test_unknown_symbol_exits_2(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data-report", "NOSUCHSYM"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("research-lib data-report: error:") and "NOSUCHSYM" in err


def test_bad_dates_exit_2(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data-report", "BABA", "--start", "2025-03-01", "--end", "2025-01-01"]) == 2
    assert "after end" in capsys.readouterr().err


def test_data_report_function(shared_data: Path) -> None:
    text = data_report("BABA", "2025-02-21", "2025-02-24")
    assert "snapshot:" in text and "BABA" in text and "2025-02-21" in text
