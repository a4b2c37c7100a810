"""Shared fixtures: the snapshot of ../shared/data, an isolated cache, no network."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

REPO = Path(__file__).resolve().parents[1]


def _shared_data() -> Path:
    env = os.environ.get("RESEARCH_LIB_SNAPSHOT", "").strip()
    return Path(env).resolve() if env else (REPO.parent / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real snapshot (``RESEARCH_LIB_SNAPSHOT`` or ``../shared/data``); skips when absent."""
    path = _shared_data()
    if not (path / "prices").is_dir():
        pytest.skip(f"snapshot data not found at {path}; set RESEARCH_LIB_SNAPSHOT to a copy of shared/data")
    return path


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every test gets its own cache folder and may never touch the network."""
    monkeypatch.setenv("RESEARCH_LIB_CACHE", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("RESEARCH_LIB_OFFLINE", "1")
    if (_shared_data() / "prices").is_dir():
        monkeypatch.setenv("RESEARCH_LIB_SNAPSHOT", str(_shared_data()))
    else:
        monkeypatch.delenv("RESEARCH_LIB_SNAPSHOT", raising=False)
