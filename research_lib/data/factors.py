"""Fama-French and momentum daily factors (Kenneth R. French data library).

:func:`load_factors` returns DECIMAL daily returns (the published files are in
percent) indexed by a DatetimeIndex ``date``:

=========  ==========================================
model      columns
=========  ==========================================
ff3        mkt_rf, smb, hml, rf
ff5        mkt_rf, smb, hml, rmw, cma, rf
mom        mom
carhart4   mkt_rf, smb, hml, rf, mom (inner join of ff3 and mom)
=========  ==========================================

Sources are tried like prices: the cache of an earlier download, the snapshot
(``<snapshot>/factors/FF3_daily.csv``, ``FF5_daily.csv``, ``MOM_daily.csv``,
percent), then the zipped CSV files of the data library when online, parsed by
:func:`parse_french_csv` and cached with a manifest.

References
----------
Fama, E. F. and French, K. R. (1993). Common risk factors in the returns on
stocks and bonds. Journal of Financial Economics 33, 3-56.
Fama, E. F. and French, K. R. (2015). A five-factor asset pricing model.
Journal of Financial Economics 116, 1-22.
Carhart, M. M. (1997). On persistence in mutual fund performance. Journal of
Finance 52, 57-82.
"""

from __future__ import annotations

import io
import logging
import os
import re
import urllib.request
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from research_lib.config import ENV_OFFLINE, ENV_SNAPSHOT, Settings, get_settings
from research_lib.data import cache
from research_lib.data._common import date_range_bounds, filter_dates, fmt_date
from research_lib.data.snapshot import read_dated_csv
from research_lib.errors import CacheCorruptError, DataUnavailableError, InvalidRequestError

log = logging.getLogger(__name__)

FRENCH_URL = "https://mba.tuck.dartmouth.edu/pages/faculty/ken.french/ftp/"

#: Values the data library uses for "missing".
MISSING_MARKERS = (-99.99, -999.0)


@dataclass(frozen=True)
class FactorFile:
    """One daily factor file: snapshot/cache name, library zip and columns."""

    name: str
    zip_name: str
    columns: tuple[str, ...]

    @property
    def url(self) -> str:
        return FRENCH_URL + self.zip_name


FILES: dict[str, FactorFile] = {
    "ff3": FactorFile("FF3_daily", "F-F_Research_Data_Factors_daily_CSV.zip", ("mkt_rf", "smb", "hml", "rf")),
    "ff5": FactorFile("FF5_daily", "F-F_Research_Data_5_Factors_2x3_daily_CSV.zip", ("mkt_rf", "smb", "hml", "rmw", "cma", "rf")),
    "mom": FactorFile("MOM_daily", "F-F_Momentum_Factor_daily_CSV.zip", ("mom",)),
}
#: factor sets that are not a model of the model registry
_EXTRA_SETS: dict[str, tuple[str, ...]] = {"mom": ("mom",)}


def factor_sets() -> dict[str, tuple[str, ...]]:
    """Factor set -> the files it joins: each factor model of the model registry, plus ``mom``.

    Sets of one file come first, then those that join several.
    """
    from research_lib.models.registry import factor_files  # the models say which files they need

    sets = {**factor_files(), **_EXTRA_SETS}
    return dict(sorted(sets.items(), key=lambda kv: len(kv[1]) > 1))


def __getattr__(name: str) -> dict[str, tuple[str, ...]]:
    if name == "MODELS":  # former constant, now read from the model registry
        return factor_sets()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

_DATE8 = re.compile(r"^\d{8}$")


def load_factors(
    model: str = "ff3",
    start: object = None,
    end: object = None,
    *,
    snapshot: str | os.PathLike[str] | None = None,
    offline: bool | None = None,
    cache_dir: str | Path | None = None,
) -> pd.DataFrame:
    """Daily factor returns as decimals.

    Parameters
    ----------
    model
        ``"ff3"``, ``"ff5"``, ``"mom"`` or ``"carhart4"``.
    start, end
        Inclusive date bounds.
    snapshot, offline, cache_dir
        Override the environment settings (see :mod:`research_lib.config`).

    Returns
    -------
    pandas.DataFrame
        Columns as in the module docstring, DatetimeIndex ``date``; ``attrs["provenance"]``
        lists, per file, its source, origin and SHA-256.

    Notes
    -----
    Published values are percent per day; each is divided by 100, so
    ``mkt_rf = (R_m - R_f)`` as a decimal.  ``carhart4`` keeps the dates that
    both files have.

    Raises
    ------
    InvalidRequestError
        Unknown model, or ``start`` after ``end``.
    SnapshotError
        A snapshot factor file is malformed.
    DataUnavailableError
        Offline and no local copy, a failed download, or no rows in the dates.
    """
    key = str(model).strip().lower()
    sets = factor_sets()
    if key not in sets:
        raise InvalidRequestError(f"unknown factor model {model!r}; use one of {', '.join(sets)}")
    settings = get_settings(snapshot, offline, cache_dir)
    lo, hi = date_range_bounds(start, end)
    frames, provenance = [], []
    for part in sets[key]:
        frame, prov = _load_file(FILES[part], settings)
        frames.append(frame)
        provenance.append(prov)
    out = frames[0] if len(frames) == 1 else frames[0].join(frames[1], how="inner")
    out = filter_dates(out, lo, hi) / 100.0
    if out.empty:
        raise DataUnavailableError(
            f"no {key} factor rows between {fmt_date(lo) or 'the start'} and {fmt_date(hi) or 'the end'} "
            f"(available: {frames[0].index.min():%Y-%m-%d} .. {frames[0].index.max():%Y-%m-%d}); change the dates"
        )
    out.index = pd.DatetimeIndex(out.index, name="date")
    out.attrs["provenance"] = provenance
    return out


def _load_file(spec: FactorFile, settings: Settings) -> tuple[pd.DataFrame, dict[str, str]]:
    """One factor file in percent, with where it came from."""
    target = Path(settings.cache_dir) / "factors" / f"french_{spec.name}.parquet"
    if target.exists():
        try:
            entry = cache.read_entry(target)
        except cache.IncompleteEntry as exc:
            log.info("%s", exc)
        except CacheCorruptError as exc:
            if settings.offline:
                raise
            log.warning("%s; downloading %s again", exc, spec.zip_name)
        else:
            frame = entry.frame.reindex(columns=list(spec.columns)).astype(float)
            frame.index = pd.DatetimeIndex(frame.index, name="date")
            return frame, {"file": spec.name, "source": "cache", "origin": str(target), "sha256": entry.sha256}
    if settings.snapshot is not None:
        path = Path(settings.snapshot) / "factors" / f"{spec.name}.csv"
        if path.is_file():
            frame, checksum = read_dated_csv(path, spec.columns, required_values=spec.columns)
            return frame, {"file": spec.name, "source": "snapshot", "origin": str(path), "sha256": checksum}
    if settings.offline:
        where = f"the snapshot {settings.snapshot} has no factors/{spec.name}.csv" if settings.snapshot else "no snapshot is set"
        raise DataUnavailableError(
            f"no {spec.name} factors: not in the cache and {where}, and the network is off; "
            f"go online (unset {ENV_OFFLINE}) or set {ENV_SNAPSHOT} to a folder with factors/{spec.name}.csv"
        )
    frame = parse_french_csv(_unzip_csv(_fetch_url(spec.url), spec.zip_name), spec.columns, what=spec.zip_name)
    manifest = {
        "kind": "factors",
        "source": "Ken French data library",
        "request": {"file": spec.zip_name, "url": spec.url},
        "units": "percent per day, as published",
        "adjustment": "not applicable",
    }
    try:
        entry = cache.write_entry(target, frame, manifest, label=spec.name, revision_column=None)
        origin, checksum = f"{spec.url} -> {entry.path}", entry.sha256
    except OSError as exc:
        log.warning("could not write the cache file %s (%s); the download is used but not cached", target, exc)
        origin, checksum = spec.url, ""
    return frame, {"file": spec.name, "source": "ken_french", "origin": origin, "sha256": checksum}


def _fetch_url(url: str, timeout: float = 60.0) -> bytes:
    """Download ``url`` (the only network access of this module)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - fixed https URL
            return resp.read()
    except OSError as exc:
        raise DataUnavailableError(
            f"could not download {url} ({exc}); check the connection, or set {ENV_SNAPSHOT} to a folder "
            "with factors/FF3_daily.csv, FF5_daily.csv and MOM_daily.csv"
        ) from exc


def _unzip_csv(data: bytes, what: str) -> str:
    """The text of the single CSV inside a data-library zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = [n for n in zf.namelist() if n.lower().endswith(".csv")]
            if len(names) != 1:
                raise DataUnavailableError(f"{what} holds {len(names)} CSV files, expected 1; the library layout changed")
            return zf.read(names[0]).decode("latin-1")
    except zipfile.BadZipFile as exc:
        raise DataUnavailableError(f"{what} is not a valid zip file ({exc}); try again later or use a snapshot") from exc


def _column_name(label: str) -> str:
    return label.strip().lower().replace("-", "_").replace(" ", "_")


def parse_french_csv(text: str, columns: Sequence[str] | None = None, *, what: str = "factor file") -> pd.DataFrame:
    """Parse the daily section of a Ken French data-library CSV.

    The files start with lines of description, then a header whose first cell is
    empty (``,Mkt-RF,SMB,HML,RF``), then rows ``YYYYMMDD, v1, v2, ...``; they may
    continue with a blank line, further sections (e.g. annual factors) and a
    copyright line.  Only the first block of dated rows after the first header is
    read.  ``-99.99`` and ``-999`` (the library's missing-value codes) become NaN.

    Parameters
    ----------
    text
        The CSV text.
    columns
        Expected column names after renaming (``Mkt-RF`` -> ``mkt_rf``); checked when given.
    what
        Name of the file, for messages.

    Returns
    -------
    pandas.DataFrame
        Values in PERCENT as published, DatetimeIndex ``date``.

    Raises
    ------
    DataUnavailableError
        No header, no dated rows, a malformed row, unexpected columns, or
        unsorted/duplicate dates.
    """

    def fail(problem: str) -> DataUnavailableError:
        return DataUnavailableError(
            f"cannot parse {what}: {problem}; the data-library layout may have changed - use a snapshot "
            f"({ENV_SNAPSHOT}) with the factors/ files instead"
        )

    lines = text.splitlines()
    names: list[str] | None = None
    dates: list[str] = []
    rows: list[list[float]] = []
    for number, line in enumerate(lines, start=1):
        cells = [c.strip() for c in line.split(",")]
        while len(cells) > 1 and cells[-1] == "":
            cells.pop()
        if names is None:
            if cells[0] == "" and len(cells) > 1 and all(c and not _is_number(c) for c in cells[1:]):
                names = [_column_name(c) for c in cells[1:]]
            continue
        if _DATE8.match(cells[0]):
            if len(cells) - 1 != len(names):
                raise fail(f"line {number} has {len(cells) - 1} values for {len(names)} columns")
            try:
                rows.append([float(c) for c in cells[1:]])
            except ValueError as exc:
                raise fail(f"non-numeric value on line {number} ({exc})") from exc
            dates.append(cells[0])
        elif rows:
            break  # blank line, annual section or copyright: the daily block is over
    if names is None:
        raise fail("no header line like ',Mkt-RF,SMB,HML,RF'")
    if not rows:
        raise fail("no rows dated YYYYMMDD after the header")
    if columns is not None and names != list(columns):
        raise fail(f"columns {names}, expected {list(columns)}")
    index = pd.DatetimeIndex(pd.to_datetime(dates, format="%Y%m%d", errors="coerce"), name="date")
    if index.hasnans:
        raise fail(f"invalid date {dates[int(np.flatnonzero(index.isna())[0])]}")
    if not index.is_unique or not index.is_monotonic_increasing:
        raise fail("dates are not strictly increasing")
    values = np.asarray(rows, dtype=float)
    values[np.isin(values, MISSING_MARKERS)] = np.nan
    return pd.DataFrame(values, index=index, columns=names)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
