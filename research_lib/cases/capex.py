"""The project's capex catalogue: large AI, cloud and chip capex announcements (a case, not the core).

``research_lib/cases/capex_events.csv`` (described in ``capex_events.md``) holds one row per
announcement, possibly with several listings, and a per-market timing token.
:func:`load_catalogue` reads and validates it; :func:`catalogue_to_events` turns it into the
generic events format of :func:`research_lib.events.reader.read_events`, one row per listing.
A date-only row is turned into an ``event_date`` here, from its timing category, because that
rule is part of the catalogue's definition.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from research_lib.errors import CatalogueError
from research_lib.events.reader import (
    _DATE_RE,
    _blank,
    _check_symbol,
    _clean,
    _raise_collected,
    _read_table,
    _where,
    parse_announced_at,
    parse_event_date,
)
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
    "parse_timing",
]

# Package data, found through importlib.resources from a source checkout and an installed wheel alike.
DEFAULT_CATALOGUE = Path(str(resources.files("research_lib") / "cases" / "capex_events.csv"))

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

_EVENT_ID_RE = re.compile(r"^(\d{8})_[a-z0-9_]+$")
_TOKEN_RE = re.compile(r"^([A-Z]{2}):([a-z_]+)(?:@(.+))?$")


# --------------------------------------------------------------------------- the capex catalogue
@dataclass(frozen=True)
class TimingToken:
    """When an announcement reached one market.

    Attributes
    ----------
    market
        market code (``US``, ``HK``, ``TW``, ``JP``, ``KR``; see :data:`MARKET_CALENDARS`).
    category
        ``before_open``, ``intraday``, ``after_close`` or ``unknown``.
    date
        the local calendar date in that market the category refers to, when
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

    Examples
    --------
    >>> from research_lib.events import parse_timing
    >>> sorted(parse_timing("US:after_close;JP:before_open@2025-01-22"))
    ['JP', 'US']
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
    frame
        one row per announcement, the CSV's columns with types
        (``amount_usd_bn`` float, ``confounded_earnings`` bool, ``leak_date``
        and ``earnings_date`` datetime64), plus ``announced_at`` (tz-aware
        Timestamp or None) and ``local_date`` (the announcement's local date).
    path
        the file it was read from.
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

    Examples
    --------
    >>> from research_lib import load_catalogue
    >>> cat = load_catalogue()
    >>> "event_id" in cat.frame.columns, len(cat.event_ids) > 10
    (True, True)
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
    out["amount_usd_bn"] = pd.Series([p["amount_usd_bn"] for p in parsed], index=out.index, dtype=float)
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

    Examples
    --------
    >>> from research_lib import load_catalogue
    >>> from research_lib.events import catalogue_to_events
    >>> ev = catalogue_to_events(load_catalogue())
    >>> {"event_id", "symbol", "benchmark"} <= set(ev.columns)
    True
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


def _listing_event(rec: Mapping[Hashable, Any], sym: str, tokens: dict[str, TimingToken]) -> dict[str, object]:
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
