"""Event tables: a validated reader for any events CSV file or DataFrame.

*A user's events file* (the input of ``research-lib study``), read by
:func:`read_events`: one row per event and listing with the columns
``event_id, symbol, benchmark`` and ``event_date`` (a session, ``YYYY-MM-DD``)
and/or ``announced_at`` (ISO 8601 with a UTC offset, for example
``2025-02-24T11:48+08:00``).  Any other column is kept (group labels ...).

The project's capex catalogue (one row per announcement, several listings) is a case, not
the core: it lives in :mod:`research_lib.cases.capex` (its names stay importable from here).

This module only reads and validates.  Turning ``announced_at`` into day 0 is
the job of :func:`research_lib.listings.calendars.day_zero` (used through
``research_lib.engine.windows.anchor_events``); a date-only catalogue row is turned
into an ``event_date`` here, from its timing category, because that rule is
part of the catalogue's definition.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import warnings
import zoneinfo
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from research_lib.errors import CatalogueError, EventError, UnknownSymbolError
from research_lib.listings.calendars import day_zero
from research_lib.listings.symbols import lookup

__all__ = ["parse_announced_at", "parse_event_date", "read_events"]

#: Names of the capex catalogue that moved to :mod:`research_lib.cases.capex`, still importable from here.
_MOVED = ("CATALOGUE_COLUMNS", "DEFAULT_CATALOGUE", "EARNINGS_WINDOW", "EVENT_TYPES", "MARKET_CALENDARS",
          "TIMING_CATEGORIES", "Catalogue", "TimingToken", "catalogue_to_events", "load_catalogue", "parse_timing")


REQUIRED_EVENT_COLUMNS = ("event_id", "symbol", "benchmark")
DATE_COLUMNS = ("event_date", "announced_at")


_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_MAX_LISTED = 20


# --------------------------------------------------------------------------- parsing of single values
def parse_event_date(value: object) -> pd.Timestamp:
    """Parse an event date written ``YYYY-MM-DD`` (or a midnight timestamp) into a naive Timestamp.

    Raises
    ------
    ValueError
        With the fix in the message, for any other spelling (``24/02/2025`` is
        ambiguous between day-first and month-first, so it is refused).

    Examples
    --------
    >>> from research_lib.events import parse_event_date
    >>> parse_event_date("2025-02-24")
    Timestamp('2025-02-24 00:00:00')
    """
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        ts = pd.Timestamp(value)
        if ts.tzinfo is not None:
            ts = ts.tz_localize(None)
        if ts != ts.normalize():
            raise ValueError(f"event_date {value!s} has a time of day; put the time in announced_at (with an offset)")
        return ts
    text = str(value).strip()
    if not _DATE_RE.match(text):
        raise ValueError(f"event_date {text!r} is not written YYYY-MM-DD; write it as e.g. 2025-02-24")
    try:
        ts = pd.Timestamp(text)
    except ValueError:
        raise ValueError(f"event_date {text!r} is not a calendar date; check the month and day") from None
    # pandas parses a year such as 9999 at second resolution; the engine's nanosecond arrays cannot hold it
    if not pd.Timestamp.min <= ts <= pd.Timestamp.max:
        raise ValueError(f"event_date {text!r} is outside the dates pandas can hold "
                         f"({pd.Timestamp.min:%Y-%m-%d} .. {pd.Timestamp.max:%Y-%m-%d}); check the year")
    return ts


def parse_announced_at(value: object) -> pd.Timestamp:
    """Parse an announcement time that carries its time zone.

    Accepted: ISO 8601 with a UTC offset or ``Z`` (``2025-02-24T11:48+08:00``,
    ``2021-03-23T21:00Z``), or an ISO local time followed by an IANA zone name
    (``2025-02-24 11:48 Asia/Hong_Kong``).  The result is a tz-aware Timestamp.

    Raises
    ------
    ValueError
        For a naive time (no offset, no zone), an unknown zone name, a local
        time that does not exist or is ambiguous in that zone (DST change), or
        text that is not a time.

    Examples
    --------
    >>> from research_lib.events import parse_announced_at
    >>> parse_announced_at("2025-02-24T16:30:00+08:00").isoformat()
    '2025-02-24T16:30:00+08:00'
    """
    if isinstance(value, pd.Timestamp | dt.datetime):
        ts = pd.Timestamp(value)
        text = str(value)
    else:
        text = str(value).strip()
        if _DATE_RE.match(text):
            raise ValueError(
                f"announced_at {text!r} is a date without a time; put it in event_date, "
                "or add the time and its offset (2025-02-24T11:48+08:00)"
            )
        if not _ISO_TIME_RE.match(text):
            raise ValueError(f"announced_at {text!r} is not an ISO 8601 time; write it like 2025-02-24T11:48+08:00")
        ts = _parse_timestamp_text(text)
    if ts.tzinfo is None:
        raise ValueError(
            f"announced_at {text!r} has no UTC offset or time zone; write it like 2025-02-24T11:48+08:00 "
            "(or give only event_date)"
        )
    return ts


def _parse_timestamp_text(text: str) -> pd.Timestamp:
    head, _, last = text.rpartition(" ")
    if head and ("/" in last or last == "UTC"):
        try:
            zone = zoneinfo.ZoneInfo(last)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"announced_at {text!r}: unknown time zone {last!r}; use an IANA name such as Asia/Hong_Kong"
            ) from None
        local = _timestamp_or_error(head, text)
        if local.tzinfo is not None:
            raise ValueError(f"announced_at {text!r} gives both an offset and a zone name; keep only one")
        try:
            return local.tz_localize(zone, ambiguous="raise", nonexistent="raise")
        except ValueError as exc:
            raise ValueError(
                f"announced_at {text!r} is ambiguous or does not exist in {last} (daylight-saving change); "
                "write it with an explicit UTC offset"
            ) from exc
    return _timestamp_or_error(text, text)


def _timestamp_or_error(part: str, text: str) -> pd.Timestamp:
    ts: pd.Timestamp | None
    try:
        ts = pd.Timestamp(part)
    except (ValueError, TypeError):
        ts = None
    if ts is None or ts is pd.NaT or not part:
        raise ValueError(f"announced_at {text!r} is not an ISO 8601 time; write it like 2025-02-24T11:48+08:00")
    return ts


def _blank(value: object) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float) and value != value:
        return True
    return isinstance(value, str) and not value.strip()


def _clean(value: object) -> str:
    return "" if _blank(value) else str(value).strip()


# --------------------------------------------------------------------------- reading CSV text
def _read_table(source: str | Path | pd.DataFrame) -> tuple[pd.DataFrame, str, list[str]]:
    """Load a table; return it (RangeIndex), its name for messages and a location label per row."""
    if isinstance(source, pd.DataFrame):
        frame = source.reset_index(drop=True).copy()
        frame.columns = [str(c).strip() for c in frame.columns]
        _check_duplicate_columns("events table", list(frame.columns), mangled=False)
        return frame, "events table", [f"row {i + 1}" for i in range(len(frame))]
    path = check_events_path(source)
    name = str(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise CatalogueError(f"{name}: the file is empty; write a header line and one row per event") from None
    except pd.errors.ParserError as exc:
        if "EOF inside string" in str(exc):
            line = re.search(r"row (\d+)", str(exc))
            where = f" starting on line {int(line.group(1)) + 1}" if line else ""
            raise CatalogueError(
                f"{name}: a quote (\") is opened{where} and never closed; close it or remove it "
                "(a value with a comma must be wrapped in a pair of quotes)"
            ) from None
        raise CatalogueError(f"{name}: not a readable CSV file ({exc}); save it as CSV (UTF-8)") from exc
    except UnicodeDecodeError as exc:
        raise CatalogueError(f"{name}: not a readable UTF-8 CSV file ({exc}); save it as CSV (UTF-8)") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    _check_duplicate_columns(name, list(frame.columns), mangled=True)
    _check_delimiter(name, list(frame.columns))
    _check_field_counts(path, name, len(frame.columns))
    # Line numbers as a spreadsheet shows them: the header is line 1, the first row line 2.
    labels = [f"line {i + 2}" for i in range(len(frame))]
    # every cell is text here (dtype=str, no NA parsing): a blank row is one whose cells all strip to ""
    blank = np.ones(len(frame), dtype=bool)
    for col in frame.columns:
        blank &= (frame[col].str.strip() == "").to_numpy()
    keep = np.flatnonzero(~blank)
    frame = frame.iloc[keep].reset_index(drop=True)
    return frame, name, [labels[i] for i in keep.tolist()]


def _check_duplicate_columns(name: str, columns: list[str], mangled: bool) -> None:
    """Refuse a header that names a column twice (read_csv renames the second ``x`` to ``x.1``)."""
    seen = {c for c in columns}
    dups = sorted({c for c in columns if columns.count(c) > 1})
    if mangled:
        dups += sorted({m.group(1) for c in columns if (m := re.fullmatch(r"(.+)\.\d+", c)) and m.group(1) in seen})
    if dups:
        raise CatalogueError(f"{name}: column(s) {', '.join(dups)} appear more than once in the header; "
                             "keep one column of each name")


def check_events_path(source: str | Path) -> Path:
    """The events file's path, or a :class:`CatalogueError` saying what it is instead (missing, a folder, ``-``)."""
    if str(source).strip() == "-":
        raise CatalogueError(
            "'-' (standard input) cannot be the events file; save the events as a CSV file and pass its path"
        )
    path = Path(source)
    if path.is_dir():
        raise CatalogueError(f"{path}: is a folder, not a file; pass the events CSV file inside it (e.g. {path / 'events.csv'})")
    if not path.is_file():
        if path.exists():
            raise CatalogueError(f"{path}: is not a regular file (a FIFO or device?); save the events as a CSV file")
        raise CatalogueError(f"{path}: file not found; check the path")
    return path


def _check_delimiter(name: str, columns: list[str]) -> None:
    """A one-column header holding ';' or a tab: the file uses another separator than the comma."""
    if len(columns) != 1:
        return
    for sep, label in ((";", "semicolon"), ("\t", "tab")):
        if sep in columns[0] and len(columns[0].split(sep)) >= 3:
            raise CatalogueError(
                f"{name}: looks {label}-separated (header {columns[0]!r}); save it with commas as separators "
                f"(in a spreadsheet: 'CSV UTF-8 (comma delimited)'), or convert it with "
                f"pandas.read_csv(path, sep={sep!r}).to_csv(new_path, index=False)"
            )


def _check_field_counts(path: Path, name: str, width: int) -> None:
    """Refuse rows with more or fewer fields than the header (pandas would shift the columns)."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        bad = [
            f"line {n}: {len(row)} fields, the header has {width}"
            for n, row in enumerate(csv.reader(fh), start=1)
            if n > 1 and any(v.strip() for v in row) and len(row) != width
        ]
    if bad:
        hint = "; quote values that contain commas, and check the delimiter is a comma"
        _raise_collected(name, [b + hint for b in bad])


def _raise_collected(name: str, problems: list[str]) -> None:
    if not problems:
        return
    shown = problems[:_MAX_LISTED]
    more = f"\n  ... and {len(problems) - _MAX_LISTED} more" if len(problems) > _MAX_LISTED else ""
    plural = "s" if len(problems) > 1 else ""
    raise CatalogueError(f"{name}: {len(problems)} invalid row{plural}:\n  " + "\n  ".join(shown) + more)


def _where(label: str, event_id: str) -> str:
    return f"{label} (event_id {event_id!r})" if event_id else label


def _unprintable(text: str, role: str) -> str:
    """The message for a value holding a control character (a NUL byte, a tab, ...), shown escaped."""
    k = next(i for i, ch in enumerate(text) if not ch.isprintable())
    return (f"{role} {text!r} holds an unprintable character ({text[k]!r} at position {k + 1}), often left by an "
            "export or a copy from another program; retype the value in the file")


def _check_symbol(symbol: str, role: str) -> str | None:
    """None if ``symbol`` is in the registry, else a message with the fix."""
    if not symbol:
        return f"{role} is empty; give a Yahoo-style symbol such as 'BABA' or '9988.HK'"
    if not symbol.isprintable():
        return _unprintable(symbol, role)
    try:
        lookup(symbol)
    except UnknownSymbolError as exc:
        return f"{role} {symbol!r} is unknown: {exc}"
    return None


# --------------------------------------------------------------------------- generic events files
def read_events(source: str | Path | pd.DataFrame) -> pd.DataFrame:
    """Read and validate an events file (CSV path) or table (DataFrame).

    Parameters
    ----------
    source
        Path of a CSV file or a DataFrame with the columns ``event_id``,
        ``symbol``, ``benchmark`` and at least one of ``event_date``
        (``YYYY-MM-DD``) and ``announced_at`` (ISO 8601 with offset or zone).

    Returns
    -------
    pandas.DataFrame
        The same rows in the same order: ``event_id, symbol, benchmark,
        event_date, announced_at`` followed by the other columns.
        ``event_date`` is ``datetime64`` (NaT where absent); ``announced_at``
        is an object column of tz-aware Timestamps (None where absent).

    Raises
    ------
    CatalogueError
        Naming the file, the line (header = line 1, as a spreadsheet shows it)
        or table row, the event_id and the fix, for: an empty file, a missing
        column, an empty or duplicate event_id, a row with neither date nor
        time, a time without UTC offset, an unreadable date or time, an
        unknown symbol or benchmark, and ``event_date`` inconsistent with
        ``announced_at``.  All invalid rows are listed at once.

    Notes
    -----
    When a row gives both values, ``announced_at`` is the more precise one and
    decides day 0; ``event_date`` is then a cross-check.  It must lie between
    the announcement's calendar date (the earlier of the date as written and
    the date in the listing's exchange time zone) and the day-0 session that
    ``announced_at`` implies (:func:`research_lib.listings.calendars.day_zero`).  A
    date inside that range but different from day 0 gives a ``UserWarning``;
    a date outside it is an error.

    Examples
    --------
    >>> import pandas as pd
    >>> from research_lib import read_events
    >>> ev = read_events(pd.DataFrame({"event_id": ["a"], "symbol": ["BABA"], "benchmark": ["^GSPC"],
    ...                                "announced_at": ["2025-02-24T08:00:00-05:00"]}))
    >>> ev.loc[0, "announced_at"]
    Timestamp('2025-02-24 08:00:00-0500', tz='UTC-05:00')
    """
    frame, name, labels = _read_table(source)
    missing = [c for c in REQUIRED_EVENT_COLUMNS if c not in frame.columns]
    if missing:
        raise CatalogueError(
            f"{name}: missing column(s) {', '.join(missing)}; the header must contain "
            "event_id, symbol, benchmark and event_date and/or announced_at"
        )
    if not any(c in frame.columns for c in DATE_COLUMNS):
        raise CatalogueError(f"{name}: no event_date or announced_at column; add one of them (or both)")
    if frame.empty:
        raise CatalogueError(f"{name}: no event rows; add one row per event below the header")

    checked = _ColumnChecks.run(frame, labels)
    _raise_collected(name, checked.problems)

    out = frame.copy()
    out["event_id"] = checked.ids
    for col in ("symbol", "benchmark"):
        out[col] = checked.symbols[col].str.upper().to_numpy()
    out["event_date"] = pd.to_datetime(pd.Series(checked.dates, dtype=object), errors="raise").astype("datetime64[ns]")
    out["announced_at"] = pd.Series(checked.times, dtype=object)
    first = ["event_id", "symbol", "benchmark", "event_date", "announced_at"]
    return out[first + [c for c in out.columns if c not in first]]


def _per_unique(values: pd.Series, fn: Callable[[object], Any]) -> list[Any]:
    """``[fn(v) for v in values]`` evaluated once per distinct value (columns repeat dates and symbols)."""
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
    except TypeError:  # unhashable cells: no shortcut
        return [fn(v) for v in values]
    done = [fn(u) for u in uniques]
    return [done[c] for c in codes]


def _event_dates(values: pd.Series) -> list[tuple[Any, str | None]]:
    """``_parse_or_message(parse_event_date)`` of every cell: the ``YYYY-MM-DD`` texts parsed together.

    Each distinct value is parsed once; the texts that match ``YYYY-MM-DD`` go through one
    ``pd.to_datetime`` call, and whatever that cannot place (not a calendar date, beyond the
    nanosecond range, not text) takes :func:`parse_event_date` for its message.
    """
    one = _parse_or_message(parse_event_date)
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
    except TypeError:  # unhashable cells: no shortcut
        return [one(v) for v in values]
    distinct = list(uniques)
    done: list[tuple[Any, str | None] | None] = [None] * len(distinct)
    iso = [k for k, v in enumerate(distinct) if isinstance(v, str) and _DATE_RE.match(v.strip())]
    if iso:
        parsed = pd.to_datetime(pd.Series([distinct[k].strip() for k in iso], dtype=object), format="%Y-%m-%d",
                                errors="coerce")
        fine = (parsed.notna() & (parsed >= pd.Timestamp.min) & (parsed <= pd.Timestamp.max)).tolist()
        for k, ts, ok in zip(iso, parsed.tolist(), fine, strict=True):
            if ok:
                done[k] = (ts, None)
    results = [d if d is not None else one(v) for d, v in zip(done, distinct, strict=True)]
    return [results[c] for c in codes]


def _symbol_message(value: object, role: str) -> str | None:
    return _check_symbol(str(value), role)


def _parse_or_message(parse: Callable[[object], pd.Timestamp]) -> Callable[[object], tuple[Any, str | None]]:
    def run(value: object) -> tuple[Any, str | None]:
        if _blank(value):
            return None, None
        try:
            return parse(value), None
        except ValueError as exc:
            return None, str(exc)

    return run


class _ColumnChecks:
    """The checks of :func:`read_events` done column by column; the messages are collected per row in order."""

    def __init__(self, frame: pd.DataFrame, labels: list[str]) -> None:
        n = len(frame)
        self.labels = labels
        self.row_problems: dict[int, list[str]] = {}  # row -> its messages, only rows that have some
        ids = pd.Series(_per_unique(frame["event_id"], _clean), dtype=object)
        self.ids = ids.tolist()
        self.symbols = {c: pd.Series(_per_unique(frame[c], _clean), dtype=object) for c in ("symbol", "benchmark")}
        blank_col = pd.Series([None] * n, dtype=object)
        raw_date = frame["event_date"] if "event_date" in frame.columns else blank_col
        raw_time = frame["announced_at"] if "announced_at" in frame.columns else blank_col
        self._raw = (raw_date, raw_time)
        self.dates: list[Any] = []
        self.times: list[Any] = []
        self.problems: list[str] = []

    @classmethod
    def run(cls, frame: pd.DataFrame, labels: list[str]) -> _ColumnChecks:
        self = cls(frame, labels)
        self._check_ids()
        for col in ("symbol", "benchmark"):
            self._add(_per_unique(self.symbols[col], partial(_symbol_message, role=col)))
        self._check_dates()
        self.problems = [
            f"{_where(labels[i], self.ids[i])}: {p}" for i in sorted(self.row_problems) for p in self.row_problems[i]
        ]
        return self

    def _add(self, messages: list[str | None]) -> None:
        for i in (k for k, m in enumerate(messages) if m):
            self.row_problems.setdefault(i, []).append(str(messages[i]))

    def _check_ids(self) -> None:
        ids = pd.Series(self.ids, dtype=object)
        empty = (ids == "").to_numpy()
        first = ~ids.duplicated(keep="first").to_numpy()
        first_label = dict(zip(ids[first & ~empty], [self.labels[i] for i in np.flatnonzero(first & ~empty)], strict=True))
        msgs: list[str | None] = [None] * len(ids)
        for i in np.flatnonzero(empty):
            msgs[i] = "event_id is empty; give every event a unique id"
        for i in np.flatnonzero(~first & ~empty):
            msgs[i] = f"duplicate event_id (first used on {first_label[self.ids[i]]}); make every event_id unique"
        for k, text in enumerate(self.ids):
            if not text.isprintable():
                msgs[k] = _unprintable(text, "event_id")
        self._add(msgs)

    def _check_dates(self) -> None:
        raw_date, raw_time = self._raw
        parsed_d = _event_dates(raw_date)
        parsed_t = _per_unique(raw_time, _parse_or_message(parse_announced_at))
        self.dates = [d for d, _ in parsed_d]
        self.times = [t for t, _ in parsed_t]
        self._add([m for _, m in parsed_d])
        self._add([m for _, m in parsed_t])
        no_date = np.array(_per_unique(raw_date, _blank), dtype=bool)
        no_time = np.array(_per_unique(raw_time, _blank), dtype=bool)
        self._add(["neither event_date nor announced_at is given; fill in one of them" if b else None
                   for b in no_date & no_time])
        both = [i for i in range(len(self.ids))
                if i not in self.row_problems and self.dates[i] is not None and self.times[i] is not None]
        for i in both:  # only rows that give both values, each checked against its listing's calendar
            _check_date_against_time(self.dates[i], self.times[i], str(self.symbols["symbol"][i]),
                                     _where(self.labels[i], self.ids[i]), self.row_problems.setdefault(i, []))


def _check_date_against_time(
    date: pd.Timestamp, stamp: pd.Timestamp, symbol: str, where: str, problems: list[str]
) -> None:
    try:
        zero = day_zero(stamp, symbol)
    except (EventError, ValueError) as exc:
        problems.append(f"announced_at cannot be placed on {symbol}'s calendar: {exc}")
        return
    local = pd.Timestamp(stamp.tz_convert(lookup(symbol).timezone).date())
    written = pd.Timestamp(stamp.date())
    earliest = min(local, written)
    if not earliest <= date <= zero.session:
        problems.append(
            f"event_date {date:%Y-%m-%d} contradicts announced_at {stamp.isoformat()}, whose day 0 on {symbol} "
            f"is {zero.session:%Y-%m-%d}; correct one of them or leave event_date empty"
        )
    elif date != zero.session:
        warnings.warn(
            f"{where}: event_date {date:%Y-%m-%d} differs from the day 0 {zero.session:%Y-%m-%d} implied by "
            f"announced_at ({zero.reason}); announced_at takes precedence",
            UserWarning,
            stacklevel=3,
        )


def __getattr__(name: str) -> object:
    if name in _MOVED:  # loaded lazily: research_lib.cases.capex builds on this module
        from research_lib.cases import capex

        return getattr(capex, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
