"""Your own data: a long table of returns or prices keyed by any identifier.

Formats read (CSV or parquet, or a DataFrame):

* **long returns** (CRSP style): ``symbol,date,ret`` with simple daily returns
  (``RET``: R_t = P_t / P_{t-1} - 1 including distributions), optional
  ``dlret`` (a delisting return) and ``volume``.  Where ``dlret`` is given it is
  compounded with the day's return, R = (1 + ret)(1 + dlret) - 1; where ``ret``
  is missing on that day the delisting return alone is the day's return
  (Shumway 1997, JF 52, 327-340: the delisting return completes the holding
  period).  Missing returns stay missing (they are never filled or bridged);
  CRSP's missing-value codes in ``ret``/``dlret`` (the letters ``A``-``Z`` and
  the numbers -44, -55, -66, -77, -88, -99) are read as missing, with a warning
  that counts them.
* **long prices**: ``symbol,date,price`` (adjusted closes), optional ``volume``;
* either may carry a ``calendar`` column (an ``exchange_calendars`` code per
  identifier, see :mod:`research_lib.listings.registry`) and ``mcap`` (market
  capitalisation, used only by value-weighted baskets ``VW(...)``);
* **wide prices**: ``date,SYM1,SYM2,...`` (one column of adjusted closes per
  identifier), as ``research-lib study --prices`` reads.

Identifiers are any strings (PERMNO ``10107``, ``^SPX``, ISINs); they are
stripped and upper-cased, as the events reader does.  Return data enters the
engine as returns (:class:`~research_lib.data.sources.ReturnSeries`), with no
price round trip, so the returns used are exactly those given.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from research_lib.data.sources import ReturnSeries
from research_lib.errors import DataError

__all__ = ["UserData", "read_user_data"]

_KNOWN = ("symbol", "date", "ret", "price", "dlret", "volume", "calendar", "mcap")


@dataclass(frozen=True)
class UserData:
    """A validated user data set.

    Attributes
    ----------
    kind
        ``"ret"`` (simple returns, delisting returns compounded in) or ``"price"``.
    values
        identifier -> series indexed by date (returns or adjusted closes).
    calendars
        identifier -> calendar code, from a ``calendar`` column (may be empty).
    mcap
        identifier -> market capitalisation by date (may be empty).
    origin
        where the data came from (a path or ``"DataFrame"``).

    Examples
    --------
    >>> import pandas as pd
    >>> from research_lib.data import read_user_data
    >>> d = read_user_data(pd.DataFrame({"symbol": ["A", "A"], "date": ["2024-01-02", "2024-01-03"],
    ...                                  "price": [10.0, 10.5], "calendar": ["XLON", "XLON"]}))
    >>> d.kind, d.calendars
    ('price', {'A': 'XLON'})
    """

    kind: str
    values: dict[str, pd.Series]
    calendars: dict[str, str] = field(default_factory=dict)
    mcap: dict[str, pd.Series] = field(default_factory=dict)
    origin: str = "DataFrame"

    @property
    def symbols(self) -> list[str]:
        return list(self.values)

    def mapping(self) -> dict[str, pd.Series | ReturnSeries]:
        """What :func:`research_lib.engine.windows.build_panel` takes: prices, or return sources."""
        if self.kind == "price":
            return dict(self.values)
        return {s: ReturnSeries(s, v, origin="user returns") for s, v in self.values.items()}

    def sources_table(self) -> pd.DataFrame:
        rows = [{"symbol": s, "source": f"user {self.kind}", "first": v.index.min(), "last": v.index.max(),
                 "sha256": "", "origin": self.origin} for s, v in self.values.items()]
        return pd.DataFrame(rows)


def _load(source: str | os.PathLike[str] | pd.DataFrame) -> tuple[pd.DataFrame, str]:
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
        if frame.columns.duplicated().any():
            dups = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
            raise DataError(f"data DataFrame has the column(s) {dups} more than once; keep one column of each name")
        if "date" not in frame.columns and isinstance(frame.index, pd.DatetimeIndex):
            frame = frame.rename_axis("date").reset_index()
        return frame, "DataFrame"
    if not isinstance(source, str | os.PathLike):
        raise DataError(f"data must be a DataFrame or the path of a CSV/parquet file, not {type(source).__name__}")
    path = Path(source)
    if not path.is_file():
        raise DataError(f"data file {path} not found; pass a CSV or parquet file with symbol,date,ret|price")
    if path.suffix.lower() in (".parquet", ".pq"):
        frame = _read_parquet(path)
    else:
        try:
            frame = pd.read_csv(path, dtype={"symbol": str, "calendar": str})
        except pd.errors.EmptyDataError:
            raise DataError(f"data file {path} is empty; write a header (symbol,date,ret|price) and one row per "
                            "symbol and date") from None
    return frame, str(path)


def _read_parquet(path: Path) -> pd.DataFrame:
    """The parquet file as a frame; a file pyarrow cannot read as parquet is a :class:`DataError` with the fix."""
    import pyarrow as pa

    try:
        return pd.read_parquet(path)
    except (pa.ArrowException, OSError) as exc:  # ArrowInvalid for a junk or truncated file, OSError for I/O
        raise DataError(
            f"data file {path} is not a readable parquet file ({' '.join(str(exc).split())}); write it again with "
            "DataFrame.to_parquet, or save the data as CSV (symbol,date,ret|price) and pass that") from None


def read_user_data(source: str | os.PathLike[str] | pd.DataFrame) -> UserData:
    """Read and validate user data (see the module docstring for the formats).

    Raises
    ------
    DataError
        Naming the problem and the fix, for: no ``date`` column, no ``symbol``
        column in a long table, both ``ret`` and ``price`` or neither, duplicate
        ``(symbol, date)`` rows, unparseable dates or numbers, returns below
        -100%, a return column that looks like prices, a price column that looks
        like returns, a zero price, negative volume, ``dlret`` with prices.

    Examples
    --------
    >>> import pandas as pd
    >>> from research_lib.data import read_user_data
    >>> long = pd.DataFrame({"symbol": ["10107", "10107", "10107"],
    ...                      "date": ["2024-01-02", "2024-01-03", "2024-01-04"],
    ...                      "ret": [0.01, None, 0.02], "dlret": [None, -0.30, None]})
    >>> data = read_user_data(long)
    >>> data.kind, data.values["10107"].round(3).tolist()  # the delisting return alone fills the missing day
    ('ret', [0.01, -0.3, 0.02])
    """
    frame, origin = _load(source)
    frame.columns = [str(c).strip() for c in frame.columns]
    lower = {c: c.lower() for c in frame.columns if c.lower() in _KNOWN}
    frame = frame.rename(columns=lower)
    if "date" not in frame.columns:
        raise DataError(f"data {origin} has no date column; name the column of dates 'date' (YYYY-MM-DD)")
    has_ret, has_px = "ret" in frame.columns, "price" in frame.columns
    if "symbol" not in frame.columns:
        if has_ret or has_px:
            raise DataError(f"data {origin} has no symbol column; a long table needs symbol,date and ret or price")
        return _wide(frame, origin)
    if has_ret and has_px:
        raise DataError(f"data {origin} has both ret and price; keep one (ret for returns, price for adjusted closes)")
    if not (has_ret or has_px):
        raise DataError(f"data {origin} has neither a ret nor a price column; add ret (simple returns) or price (adjusted closes)")
    kind = "ret" if has_ret else "price"
    frame = _clean_long(frame, origin, kind)
    if kind == "ret":
        _check_returns(frame, origin)
    else:
        _check_prices(frame["price"], origin, frame["symbol"] + " " + frame["date"].dt.strftime("%Y-%m-%d"))
    return _assemble(frame, origin, kind)


def _numeric(frame: pd.DataFrame, col: str, origin: str) -> pd.Series:
    vals = pd.to_numeric(frame[col], errors="coerce")
    bad = vals.isna() & frame[col].notna() & (frame[col].astype(str).str.strip() != "")
    if bad.any():
        raise DataError(f"data {origin}, column {col}: non-numeric values {frame[col][bad].tolist()[:3]}; use numbers or leave the cell empty")
    return vals.astype(float)


def _clean_long(frame: pd.DataFrame, origin: str, kind: str) -> pd.DataFrame:
    out = frame.copy()
    sym = out["symbol"].astype(str).str.strip().str.upper()
    if (out["symbol"].isna() | (sym == "")).any():
        raise DataError(f"data {origin}: {int((out['symbol'].isna() | (sym == '')).sum())} row(s) without a symbol; fill or drop them")
    out["symbol"] = sym
    try:
        # as_unit("ns") inside the try: a year such as 9999 parses, then fails later as a raw OutOfBoundsDatetime
        out["date"] = pd.DatetimeIndex(pd.to_datetime(out["date"], format="ISO8601")).tz_localize(None).normalize().as_unit("ns")
    except (TypeError, ValueError) as exc:
        raise DataError(f"data {origin}: the date column must hold dates (YYYY-MM-DD): {str(exc).splitlines()[0].split(' You might want to try')[0]}") from None
    dup = out.duplicated(["symbol", "date"], keep=False)
    if dup.any():
        ex = out.loc[dup, ["symbol", "date"]].drop_duplicates().head(5)
        pairs = [f"{s} {d:%Y-%m-%d}" for s, d in zip(ex["symbol"], ex["date"], strict=True)]
        raise DataError(f"data {origin} has {int(dup.sum())} rows with a duplicate (symbol, date), e.g. {pairs}; keep one row per symbol and date")
    for col in ("ret", "dlret"):
        if col in out.columns:
            out[col] = _crsp_missing(out[col], col, origin)
    for col in (kind, "dlret", "volume", "mcap"):
        if col in out.columns:
            out[col] = _numeric(out, col, origin)
    if "volume" in out.columns and (out["volume"] < 0).any():
        neg = out[out["volume"] < 0]
        shown = [f"{s} {d:%Y-%m-%d}" for s, d in zip(neg["symbol"].head(3), neg["date"].head(3), strict=True)]
        raise DataError(f"data {origin}: {len(neg)} row(s) with negative volume, e.g. {shown}; volume counts shares "
                        "traded and cannot be negative: fix those rows or leave the cell empty")
    if "dlret" in out.columns and kind == "price":
        raise DataError(f"data {origin} has dlret with prices; a delisting return belongs to return data (ret), or fold it into the last price")
    return out.sort_values(["symbol", "date"], kind="stable")


_CRSP_CODES = (-44.0, -55.0, -66.0, -77.0, -88.0, -99.0)


def _crsp_missing(values: pd.Series, col: str, origin: str) -> pd.Series:
    """CRSP's missing-value codes (a letter, or -44 ... -99) as NaN, with a warning that counts them."""
    text = values.astype(str).str.strip()
    letter = text.str.fullmatch(r"[A-Za-z]")
    num = pd.to_numeric(values, errors="coerce")
    code = num.isin(_CRSP_CODES)
    hit = (letter & values.notna()) | code
    if hit.any():
        warnings.warn(
            f"data {origin}: {int(hit.sum())} {col} value(s) are CRSP missing-value codes "
            f"({sorted(set(text[hit]))[:5]}); they are read as missing returns",
            UserWarning,
            stacklevel=4,
        )
    return values.where(~hit, np.nan)


def _check_returns(frame: pd.DataFrame, origin: str) -> None:
    for col in ("ret", "dlret"):
        if col not in frame.columns:
            continue
        v = frame[col].dropna()
        low = v[v < -1]
        if len(low):
            row = frame.loc[low.index[0]]
            raise DataError(
                f"data {origin}: {len(low)} {col} value(s) below -100% (e.g. {row['symbol']} {row['date']:%Y-%m-%d}: "
                f"{low.iloc[0]:.4g}); a simple return cannot lose more than everything: check the data (percent? log?)"
            )
    vals = frame["ret"].dropna().to_numpy()
    if vals.size and (np.mean(vals > 1.5) > 0.5 or (vals.min() >= 0 and np.median(vals) > 1.5)):
        raise DataError(
            f"data {origin}: the ret column looks like prices (median {np.median(vals):.4g}, "
            f"{np.mean(vals > 1.5):.0%} above 1.5); "
            "if these are adjusted closes rename the column to price; if they are percent returns divide by 100"
        )


def _check_prices(values: pd.Series, origin: str, labels: pd.Series) -> None:
    """Prices must be positive; ``labels`` names each row (``symbol date`` or the date) in the message."""
    v = values.dropna().to_numpy()
    if not v.size:
        return
    if (v < 0).any() or (np.all(np.abs(v) < 1) and np.median(np.abs(v)) < 0.1):
        raise DataError(
            f"data {origin}: the price column looks like returns ({np.mean(v < 0):.0%} negative, median {np.median(v):.4g}); "
            "if these are simple returns rename the column to ret; prices must be positive adjusted closes"
        )
    zero = values == 0
    if zero.any():
        raise DataError(f"data {origin}: {int(zero.sum())} zero price(s), e.g. {labels[zero].head(3).tolist()}; a price "
                        "must be positive: fix those rows or leave the cell empty (a missing price)")


def _assemble(frame: pd.DataFrame, origin: str, kind: str) -> UserData:
    value = frame[kind]
    if kind == "ret" and "dlret" in frame.columns:
        dl = frame["dlret"]
        value = value.where(dl.isna(), (1 + value.fillna(0.0)) * (1 + dl) - 1)
    values: dict[str, pd.Series] = {}
    mcap: dict[str, pd.Series] = {}
    cals: dict[str, str] = {}
    for sym, grp in frame.groupby("symbol", sort=False):
        idx = pd.DatetimeIndex(grp["date"], name="date").as_unit("ns")
        values[str(sym)] = pd.Series(value.loc[grp.index].to_numpy(dtype=float), index=idx, name=str(sym))
        if "mcap" in frame.columns:
            mcap[str(sym)] = pd.Series(grp["mcap"].to_numpy(dtype=float), index=idx, name=str(sym))
        if "calendar" in frame.columns:
            codes = grp["calendar"].dropna().astype(str).str.strip().unique()
            if len(codes) > 1:
                raise DataError(f"data {origin}: {sym} has several calendars {list(codes)}; give one calendar per identifier")
            if len(codes):
                cals[str(sym)] = codes[0]
    return UserData(kind, values, cals, mcap, origin)


def _wide(frame: pd.DataFrame, origin: str) -> UserData:
    """One column of adjusted closes per identifier (the ``--prices`` layout)."""
    try:
        dates = pd.DatetimeIndex(pd.to_datetime(frame["date"], format="ISO8601"), name="date").as_unit("ns")
    except (TypeError, ValueError) as exc:
        raise DataError(f"data {origin}: the date column must hold dates (YYYY-MM-DD): {str(exc).splitlines()[0].split(' You might want to try')[0]}") from None
    if dates.has_duplicates:
        raise DataError(f"wide data {origin} has duplicate dates {dates[dates.duplicated()].strftime('%Y-%m-%d').tolist()[:5]}; keep one row per date")
    values: dict[str, pd.Series] = {}
    for col in frame.columns:
        if col == "date":
            continue
        if str(col).startswith("Unnamed:") or not str(col).strip():  # read_csv's name for an empty header cell
            raise DataError(f"wide data {origin}: a price column has no symbol in the header ({col!r}); "
                            "write the symbol above every column of prices")
        vals = _numeric(frame, col, origin)
        _check_prices(vals, f"{origin} (column {col})", pd.Series(dates.strftime("%Y-%m-%d"), index=vals.index))
        values[str(col).strip().upper()] = pd.Series(vals.to_numpy(), index=dates, name=str(col).strip().upper())
    if not values:
        raise DataError(f"data {origin} has only a date column; add one column of prices per symbol, or use symbol,date,ret|price")
    return UserData("price", values, {}, {}, origin)
