"""Project settings read from the environment.

Three settings decide where prices come from:

``RESEARCH_LIB_SNAPSHOT``
    A directory laid out like ``shared/data`` (``prices/<SYMBOL>.csv``,
    ``factors/``).  When set, it is consulted after the cache and before
    yfinance.
``RESEARCH_LIB_OFFLINE``
    ``1``/``true``/``yes`` forbids every network call.
``RESEARCH_LIB_CACHE``
    The on-disk cache folder (default: ``~/.cache/research_lib``).

Every loader also accepts the same settings as arguments; an explicit argument
wins over the environment.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from research_lib.errors import SnapshotError

ENV_SNAPSHOT = "RESEARCH_LIB_SNAPSHOT"
ENV_OFFLINE = "RESEARCH_LIB_OFFLINE"
ENV_CACHE = "RESEARCH_LIB_CACHE"

_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Where data comes from and whether the network may be used."""

    snapshot: Path | None
    offline: bool
    cache_dir: Path

    def with_overrides(
        self,
        snapshot: str | os.PathLike[str] | None = None,
        offline: bool | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
    ) -> Settings:
        """Return a copy with the given (non-None) settings replaced."""
        new = self
        if snapshot is not None:
            new = replace(new, snapshot=_check_snapshot(Path(snapshot)))
        if offline is not None:
            new = replace(new, offline=bool(offline))
        if cache_dir is not None:
            new = replace(new, cache_dir=Path(cache_dir).expanduser())
        return new


def _check_snapshot(path: Path) -> Path:
    path = path.expanduser()
    if path.exists() and not path.is_dir():
        raise SnapshotError(
            f"snapshot {path} is a file, not a folder; set {ENV_SNAPSHOT} (or pass snapshot=) to the folder "
            "that holds prices/<SYMBOL>.csv (for example the parent folder of prices/)"
        )
    if not path.is_dir():
        tried = str(path) if path.is_absolute() else f"{path} (from {Path.cwd()}: {path.absolute()})"
        raise SnapshotError(
            f"snapshot directory {tried} does not exist; set {ENV_SNAPSHOT} "
            "(or pass snapshot=) to a folder that holds prices/<SYMBOL>.csv, "
            "such as ../shared/data"
        )
    return path.resolve()


def get_settings(
    snapshot: str | os.PathLike[str] | None = None,
    offline: bool | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Settings:
    """Read the settings from the environment, then apply explicit overrides.

    Parameters
    ----------
    snapshot, offline, cache_dir
        Explicit values; ``None`` means "take the environment's".

    Raises
    ------
    SnapshotError
        If a snapshot directory is named but does not exist.
    """
    env_snap = os.environ.get(ENV_SNAPSHOT, "").strip()
    env_off = os.environ.get(ENV_OFFLINE, "").strip().lower() in _TRUE
    env_cache = os.environ.get(ENV_CACHE, "").strip()
    base = Settings(
        snapshot=_check_snapshot(Path(env_snap)) if env_snap and snapshot is None else None,
        offline=env_off,
        cache_dir=Path(env_cache).expanduser() if env_cache else Path.home() / ".cache" / "research_lib",
    )
    return base.with_overrides(snapshot=snapshot, offline=offline, cache_dir=cache_dir)


@contextmanager
def absolute_environment() -> Iterator[Settings]:
    """Make relative path settings absolute in ``os.environ`` while the block runs.

    Notebook kernels start in ``notebooks/``, not where the command was typed, so
    ``RESEARCH_LIB_SNAPSHOT=../shared/data`` would point elsewhere inside them.
    A snapshot that does not exist is reported here, once, before any kernel starts.
    """
    settings = get_settings()
    saved = {key: os.environ.get(key) for key in (ENV_SNAPSHOT, ENV_CACHE)}
    try:
        if settings.snapshot is not None:
            os.environ[ENV_SNAPSHOT] = str(settings.snapshot)
        if saved[ENV_CACHE]:
            os.environ[ENV_CACHE] = str(settings.cache_dir.absolute())
        yield settings
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
