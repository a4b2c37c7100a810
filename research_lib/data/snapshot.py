"""Reading and validating the CSV files of a snapshot directory.

A snapshot is a folder laid out like ``shared/data``::

    prices/<SYMBOL>.csv      date,open,high,low,close,adj_close,volume
    factors/FF3_daily.csv    date,mkt_rf,smb,hml,rf          (percent per day)
    factors/FF5_daily.csv    date,mkt_rf,smb,hml,rmw,cma,rf  (percent per day)
    factors/MOM_daily.csv    date,mom                        (percent per day)

Every file is checked before use; a defect raises
:class:`~research_lib.errors.SnapshotError` naming the file, the line and the fix.
Nothing is repaired, filled or re-sorted silently.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from research_lib.config import ENV_OFFLINE, ENV_SNAPSHOT
from research_lib.data._common import PRICE_COLUMNS, sha256_bytes
from research_lib.errors import DataUnavailableError, SnapshotError, UnknownSymbolError

log = logging.getLogger(__name__)

#: Columns that must hold a value on every row of a price file.
REQUIRED_VALUES: tuple[str, ...] = ("close", "adj_close")


class SymbolNotInSnapshotError(UnknownSymbolError, DataUnavailableError):
    """Offline, and neither the cache nor the snapshot has the symbol.

    It is both an :class:`~research_lib.errors.UnknownSymbolError` and a
    :class:`~research_lib.errors.DataUnavailableError`, so either ``except`` catches it.
    """


def price_path(snapshot: Path, symbol: str) -> Path:
    """The file that holds ``symbol`` in a snapshot: ``<snapshot>/prices/<SYMBOL>.csv``."""
    return Path(snapshot) / "prices" / f"{symbol}.csv"


def snapshot_symbols(snapshot: Path) -> list[str]:
    """Symbols that a snapshot has price files for, sorted."""
    folder = Path(snapshot) / "prices"
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.csv"))


def not_in_snapshot_error(symbol: str, snapshot: Path | None) -> SymbolNotInSnapshotError:
    """The error for an offline request that no local source can serve (message on one line)."""
    go_online = f"go online (unset {ENV_OFFLINE} or pass offline=False)"
    if snapshot is None:
        return SymbolNotInSnapshotError(
            f"no data for {symbol}: it is not in the cache, no snapshot is set and the network is off; "
            f"{go_online} or set {ENV_SNAPSHOT} to a folder with prices/{symbol}.csv"
        )
    have = snapshot_symbols(snapshot)
    listing = ", ".join(have) if have else "no price files at all"
    return SymbolNotInSnapshotError(
        f"no data for {symbol}: it is not in the cache and the snapshot {snapshot} has no prices/{symbol}.csv "
        f"(it has: {listing}); check the symbol, {go_online}, or point {ENV_SNAPSHOT} at a snapshot that has it"
    )


def _fail(path: Path, problem: str, fix: str) -> SnapshotError:
    return SnapshotError(f"snapshot file {path}: {problem}; {fix}")


def read_dated_csv(
    path: Path,
    columns: Sequence[str],
    *,
    required_values: Sequence[str] = (),
    data: bytes | None = None,
) -> tuple[pd.DataFrame, str]:
    """Read a ``date,<columns...>`` CSV strictly.

    Parameters
    ----------
    path
        The file (used for reading unless ``data`` is given, and in messages).
    columns
        Numeric columns that must be present (extra columns are ignored).
    required_values
        Columns that may not have empty cells.
    data
        The file's bytes, if already read.

    Returns
    -------
    frame
        Float columns in the order of ``columns``, indexed by a DatetimeIndex named ``date``.
    sha256
        Checksum of the file's bytes.

    Raises
    ------
    SnapshotError
        Missing or empty file, missing column, unparseable, unsorted or duplicate
        dates, non-numeric or non-finite values, empty cells in ``required_values``.
    """
    path = Path(path)
    if data is None:
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise _fail(path, "the file does not exist", "check the snapshot folder or the symbol") from exc
    checksum = sha256_bytes(data)
    header = "date," + ",".join(columns)
    if not data.strip():
        raise _fail(path, "the file is empty", f"restore it from the source; the first line must be {header}")
    _check_field_counts(path, data, header)
    try:
        raw = pd.read_csv(io.BytesIO(data), dtype={"date": str}, keep_default_na=False, na_values=[""], encoding="utf-8")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise _fail(path, f"not a readable CSV ({exc})", f"restore it from the source; the header must be {header}") from exc
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [c for c in ("date", *columns) if c not in raw.columns]
    if missing:
        raise _fail(
            path,
            f"missing column(s) {', '.join(missing)} (found: {', '.join(raw.columns)})",
            f"the header must be {header}",
        )
    if raw.empty:
        raise _fail(path, "the file has a header but no rows", "restore the data rows from the source")
    dates = _parse_dates(path, raw["date"].fillna(""))
    frame = pd.DataFrame({c: _column_values(path, raw[c], c) for c in columns}, index=dates)
    for col in required_values:
        blank = frame[col].isna().to_numpy()
        if blank.any():
            i = int(np.flatnonzero(blank)[0])
            raise _fail(
                path,
                f"empty {col} on line {i + 2} ({dates[i]:%Y-%m-%d}) and {int(blank.sum()) - 1} more",
                "fill in the value from the source or drop the row (nothing is filled in for you)",
            )
    return frame, checksum


def _check_field_counts(path: Path, data: bytes, header: str) -> None:
    """Every row has as many fields as the header (pandas would pad short rows silently); no blank rows inside."""
    body = data.rstrip(b"\r\n \t")
    if _same_field_counts(body):
        return
    lines = body.splitlines()
    counts = np.array([line.count(b",") for line in lines])
    bad = np.flatnonzero(counts != counts[0])
    if bad.size:
        i = int(bad[0])
        what = "is blank" if not lines[i].strip() else f"has {counts[i] + 1} fields, the header {counts[0] + 1}"
        raise _fail(path, f"line {i + 1} {what}", f"every row needs one value (or an empty cell) per column of {header}")


def _same_field_counts(body: bytes) -> bool:
    """True when every ``\\n``-ended line has as many commas as the first (all lines at once, no per-line loop).

    Files with ``\\r`` line ends return False and take the line-by-line check, which names the bad line.
    """
    if b"\r" in body:
        return False
    buf = np.frombuffer(body, dtype=np.uint8)
    ends = np.flatnonzero(buf == ord("\n"))
    commas = np.flatnonzero(buf == ord(","))
    per_line = np.diff(np.searchsorted(commas, ends), prepend=0, append=len(commas))  # commas between line ends
    return bool((per_line == per_line[0]).all())


def _parse_dates(path: Path, text: pd.Series) -> pd.DatetimeIndex:
    text = text.astype(str).str.strip()
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise _fail(path, f"unparseable date {text.iloc[i]!r} on line {i + 2}", "write dates as YYYY-MM-DD")
    idx = pd.DatetimeIndex(parsed, name="date")
    dup = idx.duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise _fail(path, f"duplicate date {idx[i]:%Y-%m-%d} on line {i + 2}", "keep exactly one row per date")
    if not idx.is_monotonic_increasing:
        step = np.diff(idx.asi8)
        i = int(np.flatnonzero(step < 0)[0]) + 1
        raise _fail(
            path,
            f"dates not in ascending order: {idx[i]:%Y-%m-%d} on line {i + 2} follows {idx[i - 1]:%Y-%m-%d}",
            "sort the rows by date",
        )
    return idx


def _column_values(path: Path, column: pd.Series, name: str) -> np.ndarray:
    """Float values of a column; pandas' own parse when it found only numbers, else a cell-by-cell check."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        values = column.to_numpy(dtype=float, na_value=np.nan)
        bad = np.isinf(values)
        if not bad.any():
            return values
    return _parse_numbers(path, column.astype(object).where(column.notna(), "").astype(str), name)


def _parse_numbers(path: Path, text: pd.Series, name: str) -> np.ndarray:
    cells = text.astype(str).str.strip().to_numpy(dtype=object)
    blank = cells == ""
    values = pd.to_numeric(pd.Series(cells).mask(blank), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~blank & ~np.isfinite(values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise _fail(
            path,
            f"non-numeric {name} {cells[i]!r} on line {i + 2} ({int(bad.sum())} such cell(s))",
            "write plain decimal numbers; leave the cell empty where the value is unknown",
        )
    return values


def read_price_csv(path: Path, data: bytes | None = None) -> tuple[pd.DataFrame, str]:
    """Read and validate one snapshot price file.

    Rules: columns ``date,open,high,low,close,adj_close,volume``; ISO dates,
    strictly ascending; ``close`` and ``adj_close`` present on every row;
    prices strictly positive where present; volume non-negative where present.

    Returns
    -------
    frame
        Float columns ``open, high, low, close, adj_close, volume`` (NaN where the
        file has an empty cell), DatetimeIndex ``date``.
    sha256
        Checksum of the CSV.

    Raises
    ------
    SnapshotError
        For any violation, naming the file, the first offending line and the fix.
    """
    frame, checksum = read_dated_csv(path, PRICE_COLUMNS, required_values=REQUIRED_VALUES, data=data)
    for col in ("open", "high", "low", "close", "adj_close"):
        bad = (frame[col] <= 0).to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise _fail(
                path,
                f"non-positive {col} {frame[col].iloc[i]!r} on line {i + 2} ({frame.index[i]:%Y-%m-%d})",
                "prices must be > 0: correct the value from the source, or leave open/high/low empty if unknown",
            )
    bad = (frame["volume"] < 0).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise _fail(path, f"negative volume on line {i + 2} ({frame.index[i]:%Y-%m-%d})", "correct it or leave it empty")
    return frame, checksum
