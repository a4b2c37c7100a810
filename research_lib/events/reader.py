"""Event tables: a validated reader for any events CSV and the project's capex catalogue.

Two kinds of file are handled here.

*A user's events file* (the input of ``research-lib study``), read by
:func:`read_events`: one row per event and listing with the columns
``event_id, symbol, benchmark`` and ``event_date`` (a session, ``YYYY-MM-DD``)
and/or ``announced_at`` (ISO 8601 with a UTC offset, for example
``2025-02-24T11:48+08:00``).  Any other column is kept (group labels ...).

*The capex catalogue* ``research_lib/cases/capex_events.csv`` (described in
``research_lib/cases/capex_events.md``), read by :func:`load_catalogue`: one row per
announcement, possibly with several listings, and a per-market timing token.
:func:`catalogue_to_events` turns it into the generic events format, one row
per listing.

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
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from research_lib.errors import CatalogueError, EventError, UnknownSymbolError
from research_lib.listings.calendars import day_zero, get_calendar
from research_lib.listings.symbols import lookup

__all__ = [
    "CATALOGUE_COLUMNS",
    "DEFAULT_CATALOGUE",
    "EARNINGS_WINDOW",
    "EVENT_TYPES",
    "MARKET_CALENDARS",
    "TIMING_CATEGORIES",
    "Catalogue",
    "TimingToken",
    "catalogue_to_events",
    "load_catalogue",
    "parse_announced_at",
    "parse_event_date",
    "parse_timing",
    "read_events",
]

# Package data, found through importlib.resources from a source checkout and an installed wheel alike.
DEFAULT_CATALOGUE = Path(str(resources.files("research_lib") / "cases" / "capex_events.csv"))

REQUIRED_EVENT_COLUMNS = ("event_id", "symbol", "benchmark")
DATE_COLUMNS = ("event_date", "announced_at")

#: Market codes of the catalogue's timing tokens -> exchange_calendars code.
MARKET_CALENDARS: dict[str, str] = {"US": "XNYS", "HK": "XHKG", "TW": "XTAI", "JP": "XTKS", "KR": "XKRX"}
TIMING_CATEGORIES = ("before_open", "intraday", "after_close", "unknown")
EVENT_TYPES = ("annual_guidance", "multi_year_pledge", "site_project", "supply_deal")
REGIONS = ("US", "Asia")
#: Sessions either side of the primary listing's day 0 within which an earnings
#: release makes ``confounded_earnings`` true.
EARNINGS_WINDOW = 5

CATALOGUE_REQUIRED = (
    "event_id",
    "company",
    "region",
    "type",
    "announced_local",
    "timing",
    "listings",
    "primary_symbol",
    "benchmark_symbol",
    "amount_usd_bn",
    "confounded_earnings",
    "source_urls",
)
CATALOGUE_OPTIONAL = (
    "timing_basis",
    "leak_date",
    "amount_text",
    "horizon",
    "earnings_date",
    "confounders",
    "summary",
)
CATALOGUE_COLUMNS = CATALOGUE_REQUIRED + CATALOGUE_OPTIONAL

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_EVENT_ID_RE = re.compile(r"^(\d{8})_[a-z0-9_]+$")
_TOKEN_RE = re.compile(r"^([A-Z]{2}):([a-z_]+)(?:@(.+))?$")
_MAX_LISTED = 20


# --------------------------------------------------------------------------- parsing of single values
def parse_event_date(value: object) -> pd.Timestamp:
    """Parse an event date written ``YYYY-MM-DD`` (or a midnight timestamp) into a naive Timestamp.

    Raises
    ------
    ValueError
        With the fix in the message, for any other spelling (``24/02/2025`` is
        ambiguous between day-first and month-first, so it is refused).
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
        return pd.Timestamp(text)
    except ValueError:
        raise ValueError(f"event_date {text!r} is not a calendar date; check the month and day") from None


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
    try:
        ts = pd.Timestamp(part)
    except (ValueError, TypeError):
        ts = pd.NaT
    if ts is pd.NaT or not part:
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
    _check_delimiter(name, list(frame.columns))
    _check_field_counts(path, name, len(frame.columns))
    # Line numbers as a spreadsheet shows them: the header is line 1, the first row line 2.
    labels = [f"line {i + 2}" for i in range(len(frame))]
    keep = [i for i in range(len(frame)) if not all(_blank(v) for v in frame.iloc[i])]
    frame = frame.iloc[keep].reset_index(drop=True)
    return frame, name, [labels[i] for i in keep]


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


def _check_symbol(symbol: str, role: str) -> str | None:
    """None if ``symbol`` is in the registry, else a message with the fix."""
    if not symbol:
        return f"{role} is empty; give a Yahoo-style symbol such as 'BABA' or '9988.HK'"
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

    problems: list[str] = []
    ids, dates, times = [], [], []
    seen: dict[str, str] = {}
    for i in range(len(frame)):
        row = frame.iloc[i]
        eid = _clean(row["event_id"])
        where = _where(labels[i], eid)
        ids.append(eid)
        row_problems = _check_event_row(row, eid, seen, labels[i])
        date, stamp = _row_dates(row, row_problems)
        dates.append(date)
        times.append(stamp)
        if not row_problems and date is not None and stamp is not None:
            _check_date_against_time(date, stamp, _clean(row["symbol"]), where, row_problems)
        problems.extend(f"{where}: {p}" for p in row_problems)
    _raise_collected(name, problems)

    out = frame.copy()
    out["event_id"] = ids
    for col in ("symbol", "benchmark"):
        out[col] = [_clean(v).upper() for v in frame[col]]
    out["event_date"] = pd.to_datetime(pd.Series(dates, dtype=object), errors="raise").astype("datetime64[ns]")
    out["announced_at"] = pd.Series(times, dtype=object)
    first = ["event_id", "symbol", "benchmark", "event_date", "announced_at"]
    return out[first + [c for c in out.columns if c not in first]]


def _check_event_row(row: pd.Series, eid: str, seen: dict[str, str], label: str) -> list[str]:
    problems = []
    if not eid:
        problems.append("event_id is empty; give every event a unique id")
    elif eid in seen:
        problems.append(f"duplicate event_id (first used on {seen[eid]}); make every event_id unique")
    else:
        seen[eid] = label
    for col in ("symbol", "benchmark"):
        msg = _check_symbol(_clean(row[col]), col)
        if msg:
            problems.append(msg)
    return problems


def _row_dates(row: pd.Series, problems: list[str]) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    date = stamp = None
    raw_date = row.get("event_date")
    raw_time = row.get("announced_at")
    if not _blank(raw_date):
        try:
            date = parse_event_date(raw_date)
        except ValueError as exc:
            problems.append(str(exc))
    if not _blank(raw_time):
        try:
            stamp = parse_announced_at(raw_time)
        except ValueError as exc:
            problems.append(str(exc))
    if _blank(raw_date) and _blank(raw_time):
        problems.append("neither event_date nor announced_at is given; fill in one of them")
    return date, stamp


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


# --------------------------------------------------------------------------- the capex catalogue
@dataclass(frozen=True)
class TimingToken:
    """When an announcement reached one market.

    Attributes
    ----------
    market : market code (``US``, ``HK``, ``TW``, ``JP``, ``KR``; see :data:`MARKET_CALENDARS`).
    category : ``before_open``, ``intraday``, ``after_close`` or ``unknown``.
    date : the local calendar date in that market the category refers to, when
        it differs from the announcement's local date (``JP:before_open@2025-01-22``);
        None means the announcement's local date.
    """

    market: str
    category: str
    date: pd.Timestamp | None = None


def parse_timing(text: str) -> dict[str, TimingToken]:
    """Parse a timing field such as ``US:after_close;JP:before_open@2025-01-22``.

    Raises
    ------
    ValueError
        For an empty field, an unknown market or category, a bad date or a
        market named twice.
    """
    tokens: dict[str, TimingToken] = {}
    parts = [p.strip() for p in str(text).split(";") if p.strip()]
    if not parts:
        raise ValueError("timing is empty; write MARKET:category tokens such as US:after_close")
    for part in parts:
        m = _TOKEN_RE.match(part)
        if not m:
            raise ValueError(f"timing token {part!r} is not MARKET:category[@YYYY-MM-DD]; e.g. US:after_close")
        market, category, date_text = m.groups()
        if market not in MARKET_CALENDARS:
            raise ValueError(
                f"timing token {part!r}: unknown market {market!r}; use one of {', '.join(MARKET_CALENDARS)}"
            )
        if category not in TIMING_CATEGORIES:
            raise ValueError(
                f"timing token {part!r}: unknown category {category!r}; use one of {', '.join(TIMING_CATEGORIES)}"
            )
        if market in tokens:
            raise ValueError(f"timing names market {market} twice; keep one token per market")
        date = None
        if date_text is not None:
            date = parse_event_date(date_text)
        tokens[market] = TimingToken(market, category, date)
    return tokens


def _market_of(symbol: str) -> str | None:
    """The timing-token market code of a listing (None if no code is defined for its exchange)."""
    cal = lookup(symbol).calendar
    return next((m for m, c in MARKET_CALENDARS.items() if c == cal), None)


def _split_listings(text: str) -> list[str]:
    return [s.strip() for s in str(text).split(";") if s.strip()]


@dataclass(frozen=True)
class Catalogue:
    """The validated capex catalogue.

    Attributes
    ----------
    frame : one row per announcement, the CSV's columns with types
        (``amount_usd_bn`` float, ``confounded_earnings`` bool, ``leak_date``
        and ``earnings_date`` datetime64), plus ``announced_at`` (tz-aware
        Timestamp or None) and ``local_date`` (the announcement's local date).
    path : the file it was read from.
    """

    frame: pd.DataFrame
    path: Path

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def event_ids(self) -> list[str]:
        """The announcements' ids, in file order."""
        return list(self.frame["event_id"])

    def to_events(self, listings: str = "primary") -> pd.DataFrame:
        """Shortcut for :func:`catalogue_to_events`."""
        return catalogue_to_events(self, listings=listings)


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """Read and validate the capex catalogue.

    Parameters
    ----------
    path
        CSV file; default: the project's ``research_lib/cases/capex_events.csv``.

    Raises
    ------
    CatalogueError
        Naming the file, line, event_id and fix for: a missing column, an
        empty file, a malformed or duplicate event_id, an event_id whose date
        is not the announcement's local date, a time without UTC offset, an
        unknown symbol, a listing without a usable benchmark, an invalid or
        missing timing token, a timing token that contradicts the timestamp,
        an unknown type or region, a non-numeric amount, an invalid flag or
        date, or a row without source URLs.
    """
    path = DEFAULT_CATALOGUE if path is None else Path(path)
    frame, name, labels = _read_table(path)
    missing = [c for c in CATALOGUE_REQUIRED if c not in frame.columns]
    if missing:
        raise CatalogueError(
            f"{name}: missing column(s) {', '.join(missing)}; see research_lib/cases/capex_events.md for the columns"
        )
    if frame.empty:
        raise CatalogueError(f"{name}: no rows; add one row per announcement below the header")
    for col in CATALOGUE_OPTIONAL:
        if col not in frame.columns:
            frame[col] = ""
    frame = frame.map(_clean)

    problems: list[str] = []
    parsed: list[dict[str, object]] = []
    seen: dict[str, str] = {}
    for i in range(len(frame)):
        row = frame.iloc[i]
        where = _where(labels[i], row["event_id"])
        row_problems: list[str] = []
        values = _validate_catalogue_row(row, labels[i], seen, row_problems)
        problems.extend(f"{where}: {p}" for p in row_problems)
        parsed.append(values)
    _raise_collected(name, problems)

    out = frame.copy()
    out["amount_usd_bn"] = [p["amount_usd_bn"] for p in parsed]
    out["confounded_earnings"] = [bool(p["confounded_earnings"]) for p in parsed]
    for col in ("leak_date", "earnings_date", "local_date"):
        out[col] = pd.Series([p[col] for p in parsed], dtype="datetime64[ns]")
    out["announced_at"] = pd.Series([p["announced_at"] for p in parsed], dtype=object)
    return Catalogue(out, path)


def _validate_catalogue_row(row: pd.Series, label: str, seen: dict[str, str], problems: list[str]) -> dict[str, object]:
    values: dict[str, object] = {"announced_at": None, "local_date": None}
    eid = row["event_id"]
    m = _EVENT_ID_RE.match(eid)
    if not m:
        problems.append("event_id must look like YYYYMMDD_company_slug (lower case, digits and _)")
    elif eid in seen:
        problems.append(f"duplicate event_id (first used on {seen[eid]}); make every event_id unique")
    else:
        seen[eid] = label
    _parse_announced_local(row["announced_local"], values, problems)
    if m and values["local_date"] is not None and m.group(1) != f"{values['local_date']:%Y%m%d}":
        problems.append(
            f"event_id date {m.group(1)} differs from announced_local {row['announced_local']}; make them agree"
        )
    for col, allowed in (("region", REGIONS), ("type", EVENT_TYPES)):
        if row[col] not in allowed:
            problems.append(f"{col} {row[col]!r} is not one of {', '.join(allowed)}")
    listings = _check_listings(row, problems)
    tokens = _check_timing(row["timing"], listings, row["primary_symbol"], problems)
    if tokens and values["announced_at"] is not None and not problems:
        _check_timing_against_time(values["announced_at"], tokens, listings, problems)  # type: ignore[arg-type]
    values["amount_usd_bn"] = _parse_amount(row["amount_usd_bn"], problems)
    values["confounded_earnings"] = _parse_flag(row["confounded_earnings"], problems)
    for col in ("leak_date", "earnings_date"):
        values[col] = None
        if row[col]:
            try:
                values[col] = parse_event_date(row[col])
            except ValueError as exc:
                problems.append(f"{col}: {exc}")
    if values["confounded_earnings"] and not row["earnings_date"]:
        problems.append("confounded_earnings is true but earnings_date is empty; give the earnings release date")
    urls = row["source_urls"].split()
    if not urls or any(not u.startswith(("http://", "https://")) for u in urls):
        problems.append("source_urls must hold one or more http(s) URLs separated by spaces")
    return values


def _parse_announced_local(text: str, values: dict[str, object], problems: list[str]) -> None:
    if _DATE_RE.match(text):
        try:
            values["local_date"] = parse_event_date(text)
        except ValueError as exc:
            problems.append(f"announced_local: {exc}")
        return
    try:
        stamp = parse_announced_at(text)
    except ValueError as exc:
        problems.append(f"announced_local: {exc}".replace("announced_at", "time"))
        return
    values["announced_at"] = stamp
    values["local_date"] = pd.Timestamp(stamp.date())


def _check_listings(row: pd.Series, problems: list[str]) -> list[str]:
    listings = _split_listings(row["listings"])
    if not listings:
        problems.append("listings is empty; give the symbols separated by ';'")
        return []
    if len(set(listings)) != len(listings):
        problems.append("listings names a symbol twice")
    bad = False
    for sym in listings:
        msg = _check_symbol(sym, "listing")
        if msg:
            problems.append(msg)
            bad = True
    primary = row["primary_symbol"]
    if primary not in listings:
        problems.append(
            f"primary_symbol {primary!r} is not among the listings {row['listings']!r}; add it or correct it"
        )
        bad = True
    bench = row["benchmark_symbol"]
    if not bench:
        problems.append(f"benchmark_symbol is empty; give the market index of {primary} (e.g. ^GSPC, ^HSI)")
    else:
        msg = _check_symbol(bench, "benchmark_symbol")
        if msg:
            problems.append(msg)
    if bad:
        return []
    for sym in listings:
        if sym == primary:
            continue
        default = lookup(sym).benchmark
        msg = _check_symbol(default, f"default benchmark of listing {sym}")
        if msg:
            problems.append(f"{msg}; listing {sym} has no usable benchmark — drop it or register its index")
    return listings


def _check_timing(text: str, listings: list[str], primary: str, problems: list[str]) -> dict[str, TimingToken]:
    try:
        tokens = parse_timing(text)
    except ValueError as exc:
        problems.append(str(exc))
        return {}
    if not listings:
        return tokens
    markets = {_market_of(s) for s in listings}
    for market in tokens:
        if market not in markets:
            problems.append(
                f"timing names market {market}, but no listing trades there; remove the token or add the listing"
            )
    primary_market = _market_of(primary)
    if primary_market not in tokens:
        problems.append(
            f"timing has no token for the primary listing's market ({primary_market}); add one, e.g. {primary_market}:unknown"
        )
    return tokens


def _check_timing_against_time(
    stamp: pd.Timestamp, tokens: dict[str, TimingToken], listings: list[str], problems: list[str]
) -> None:
    for sym in listings:
        token = tokens.get(_market_of(sym) or "")
        if token is None or token.category == "unknown":
            continue
        cal = get_calendar(lookup(sym).calendar)
        local = token.date if token.date is not None else pd.Timestamp(stamp.tz_convert(cal.tz).date())
        by_token = _date_only_day0(local, token.category, cal)[0]
        by_time = day_zero(stamp, sym).session
        if by_token != by_time:
            problems.append(
                f"timing token {token.market}:{token.category} puts day 0 of {sym} on {by_token:%Y-%m-%d}, but the "
                f"timestamp puts it on {by_time:%Y-%m-%d}; correct the token or the time"
            )


def _parse_amount(text: str, problems: list[str]) -> float:
    if not text:
        return float("nan")
    try:
        value = float(text)
    except ValueError:
        problems.append(f"amount_usd_bn {text!r} is not a number; write billions of USD (e.g. 62.5) or leave it empty")
        return float("nan")
    if value < 0:
        problems.append(f"amount_usd_bn {text!r} is negative")
    return value


def _parse_flag(text: str, problems: list[str]) -> bool:
    flag = text.lower()
    if flag not in ("true", "false"):
        problems.append(f"confounded_earnings {text!r} must be true or false")
    return flag == "true"


# --------------------------------------------------------------------------- catalogue -> events
def _date_only_day0(local: pd.Timestamp, category: str | None, cal) -> tuple[pd.Timestamp, str, str]:
    """Day 0 of a date-only announcement on one calendar: (session, rule, reason).

    ``category`` None means the listing's market has no timing token.
    """
    where = f"{cal.name} ({cal.tz})"
    if not cal.is_session(local):
        nxt = cal.date_to_session(local, direction="next")
        return nxt, "non_trading_day", f"announced {local:%Y-%m-%d}, not a {where} session; day 0 is the next session"
    if category in ("before_open", "intraday"):
        when = "before the open" if category == "before_open" else "during the session"
        return local, category, f"announced {when} on the {where} session {local:%Y-%m-%d}"
    if category == "after_close":
        nxt = cal.next_session(local)
        return nxt, category, f"announced after the {where} close on {local:%Y-%m-%d}; day 0 is the next session"
    if category == "unknown":
        return local, "unknown", f"time of day unknown; day 0 is the announcement date, a {where} session"
    return (
        local,
        "no_timing_token",
        f"no timing for this market; day 0 is the first {where} session on or after {local:%Y-%m-%d}",
    )


def catalogue_to_events(cat: Catalogue, listings: str = "primary") -> pd.DataFrame:
    """Turn the catalogue into the generic events format (one row per listing).

    Parameters
    ----------
    cat
        From :func:`load_catalogue`.
    listings
        ``"primary"`` (one row per announcement) or ``"all"`` (every listing).

    Returns
    -------
    pandas.DataFrame
        ``event_id`` (``<catalogue id>:<symbol>``), ``symbol``, ``benchmark``,
        ``event_date``, ``announced_at``, then ``catalogue_id``, ``company``,
        ``is_primary``, ``timing``, ``timing_unknown``, ``day0_rule``,
        ``day0_reason``, ``leak_date``, ``type``, ``region``,
        ``amount_usd_bn``, ``confounded_earnings``.  Accepted by
        :func:`read_events`.

    Notes
    -----
    Where the catalogue gives a time, ``announced_at`` is set and
    ``event_date`` left empty: day 0 is then found by
    :func:`research_lib.listings.calendars.day_zero` on each listing's own calendar
    (``day0_rule`` = ``"timestamp"``; ``day0_reason`` is its explanation).
    Where it gives only a date, ``event_date`` is derived from the timing
    category of the listing's market, applied to that market's local date
    (the token's ``@date`` if present, else the announcement's local date):

    - ``before_open``, ``intraday``: that date's session;
    - ``after_close``: the next session;
    - ``unknown``: that date's session, with ``timing_unknown=True``
      (MacKinlay 1997 and the catalogue README advise a window of at least
      [-1, +1] for such events);
    - no token for the listing's market: the first session on or after the
      date, with ``timing_unknown=True`` and ``day0_rule="no_timing_token"``;
    - a date that is not a session: the next session (``"non_trading_day"``).

    References
    ----------
    MacKinlay, A. C. (1997). Event studies in economics and finance.
    Journal of Economic Literature 35(1), 13-39.
    """
    if listings not in ("primary", "all"):
        raise CatalogueError(f"listings={listings!r}; use 'primary' or 'all'")
    rows = []
    for rec in cat.frame.to_dict("records"):
        symbols = _split_listings(rec["listings"]) if listings == "all" else [rec["primary_symbol"]]
        tokens = parse_timing(rec["timing"])
        for sym in symbols:
            rows.append(_listing_event(rec, sym, tokens))
    return pd.DataFrame(rows, columns=_EVENT_OUTPUT_COLUMNS).astype(
        {"event_date": "datetime64[ns]", "leak_date": "datetime64[ns]", "announced_at": object}
    )


_EVENT_OUTPUT_COLUMNS = [
    "event_id", "symbol", "benchmark", "event_date", "announced_at", "catalogue_id", "company", "is_primary",
    "timing", "timing_unknown", "day0_rule", "day0_reason", "leak_date", "type", "region", "amount_usd_bn",
    "confounded_earnings",
]  # fmt: skip


def _listing_event(rec: dict[str, object], sym: str, tokens: dict[str, TimingToken]) -> dict[str, object]:
    primary = sym == rec["primary_symbol"]
    token = tokens.get(_market_of(sym) or "")
    out: dict[str, object] = {
        "event_id": f"{rec['event_id']}:{sym}",
        "symbol": sym,
        "benchmark": rec["benchmark_symbol"] if primary else lookup(sym).benchmark,
        "catalogue_id": rec["event_id"],
        "company": rec["company"],
        "is_primary": primary,
        "timing": token.category if token else "",
        "leak_date": rec["leak_date"],
        "type": rec["type"],
        "region": rec["region"],
        "amount_usd_bn": rec["amount_usd_bn"],
        "confounded_earnings": rec["confounded_earnings"],
    }
    stamp = rec["announced_at"]
    if stamp is not None and not _blank(stamp):
        out.update(event_date=pd.NaT, announced_at=stamp, timing_unknown=False, day0_rule="timestamp",
                   day0_reason=day_zero(stamp, sym).reason)  # fmt: skip
        return out
    local = token.date if token is not None and token.date is not None else rec["local_date"]
    cal = get_calendar(lookup(sym).calendar)
    session, rule, reason = _date_only_day0(pd.Timestamp(local), token.category if token else None, cal)
    out.update(event_date=session, announced_at=None, day0_rule=rule, day0_reason=reason,
               timing_unknown=token is None or token.category == "unknown")  # fmt: skip
    return out
