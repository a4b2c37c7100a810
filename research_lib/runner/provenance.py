"""Provenance of a notebook's run: which data, from where, which checksums, which software.

Printed in each notebook's provenance cell so that a reader can tell whether
a rerun used the same inputs.  Paths are shown relative to the snapshot or
cache folder, never as absolute machine paths.
"""

from __future__ import annotations

import hashlib
import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pandas as pd

from research_lib.config import get_settings

PACKAGES = ("research_lib", "numpy", "pandas", "scipy", "statsmodels", "exchange_calendars", "yfinance", "matplotlib")


def package_versions(packages: Sequence[str] = PACKAGES) -> pd.Series:
    """Installed versions of ``packages`` (``"not installed"`` where absent), plus Python's."""
    out = {"python": platform.python_version()}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    out[LOCK_LABEL] = _lock_digest()
    return pd.Series(out, name="version")


#: the row of :func:`package_versions` that identifies the lock file of the checkout
LOCK_LABEL = "lock-py311.txt sha256"
LOCK_FILE = Path(__file__).resolve().parents[2] / "requirements" / "lock-py311.txt"


def _lock_digest() -> str:
    """First 16 hex digits of the lock file's sha256 (which exact versions a locked install had)."""
    if not LOCK_FILE.is_file():  # an installed wheel has no lock file beside it
        return "no lock file"
    return hashlib.sha256(LOCK_FILE.read_bytes()).hexdigest()[:16]


def _relative(origin: str, bases: Sequence[Path | None]) -> str:
    for base in bases:
        if base is None:
            continue
        try:
            return str(Path(origin).resolve().relative_to(base.resolve()))
        except (ValueError, OSError):
            continue
    return origin


@dataclass(frozen=True)
class Provenance:
    """Data sources with checksums, and package versions."""

    prices: pd.DataFrame
    versions: pd.Series
    snapshot: str

    def __repr__(self) -> str:
        return str(self)

    def __str__(self) -> str:
        return (
            f"Data: {self.snapshot}\n{self.prices.to_string(index=False)}\n\n"
            f"Software:\n{self.versions.to_string()}"
        )

    def _repr_html_(self) -> str:
        return (
            f"<p><b>Data:</b> {self.snapshot}</p>{self.prices.to_html(index=False)}"
            f"<p><b>Software</b></p>{self.versions.to_frame().T.to_html(index=False)}"
        )


def provenance_table(
    symbols: Sequence[str], start: str | None = None, end: str | None = None, *,
    snapshot: str | os.PathLike[str] | None = None, offline: bool | None = None,
) -> Provenance:
    """Load ``symbols`` through the data layer and report source, range, rows, calendar gaps and sha256."""
    from research_lib.data import load_prices

    settings = get_settings(snapshot=snapshot, offline=offline)
    folder = None if snapshot is None else Path(snapshot)
    report = load_prices(list(symbols), start, end, snapshot=folder, offline=offline, progress=False).report()
    report["origin"] = [_relative(o, [settings.snapshot, settings.cache_dir]) for o in report["origin"]]
    where = "snapshot directory (RESEARCH_LIB_SNAPSHOT)" if settings.snapshot else "cache / yfinance"
    where += "; network " + ("off" if settings.offline else "allowed")
    return Provenance(report, package_versions(), where)


def provenance_of_study(sources: pd.DataFrame, *, snapshot: str | os.PathLike[str] | None = None,
                        offline: bool | None = None) -> Provenance:
    """Provenance of the prices a study actually loaded (its ``sources`` table), without loading them again.

    ``sources`` is :attr:`research_lib.results.EventStudyResult.sources`: one row
    per symbol with ``source``, ``first`` and ``last`` (the study windows'
    range), ``sha256`` and ``origin``.  Reading the files again over their
    whole history would report data-quality notes far outside the windows.

    Raises
    ------
    InvalidRequestError
        If ``sources`` lacks the columns above (e.g. the study was given ``prices=``).
    """
    from research_lib.errors import InvalidRequestError

    need = {"symbol", "source", "first", "last", "sha256", "origin"}
    if not need <= set(sources.columns):
        raise InvalidRequestError(f"sources needs the columns {sorted(need)}; a study run with prices= has no sources table")
    settings = get_settings(snapshot=snapshot, offline=offline)
    table = sources.drop_duplicates("symbol").sort_values("symbol").reset_index(drop=True).copy()
    table["origin"] = [_relative(o, [settings.snapshot, settings.cache_dir]) for o in table["origin"]]
    where = "snapshot directory (RESEARCH_LIB_SNAPSHOT)" if settings.snapshot else "cache / yfinance"
    where += "; network " + ("off" if settings.offline else "allowed") + "; ranges: what the study windows read"
    return Provenance(table, package_versions(), where)
