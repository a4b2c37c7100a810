"""Calendars for any identifier, without editing the library.

Every identifier (a PERMNO ``"10107"``, ``"^SPX"``, an ISIN, a basket
``EW(JD,PDD)``) gets its exchange calendar from, in order:

1. a ``calendar`` column in the data or events file (an ``exchange_calendars``
   code such as ``XNYS``, ``XHKG``, ``XLON``);
2. the :class:`SymbolRegistry` the user passes (``event_study(..., registry=...)``,
   ``research-lib study --registry PATH``), built from a mapping or a CSV of
   ``symbol,calendar,timezone,currency`` (timezone and currency optional);
3. the Yahoo suffix rules of :mod:`research_lib.listings.symbols`;
4. the default calendar (``default_calendar=`` / ``--calendar CODE``; XNYS when
   user data is given).  ``default_calendar=None`` turns the fallback off: an
   identifier that none of the rules knows is then refused.

:func:`use_registry` makes such a resolution active for the duration of a
study (a context variable read by :func:`research_lib.listings.symbols.lookup`),
so every part of the engine sees the same calendars.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from research_lib.errors import InvalidRequestError
from research_lib.listings import symbols as _symbols
from research_lib.listings.symbols import SymbolInfo

__all__ = ["SymbolRegistry", "check_calendar_code", "use_registry"]


def check_calendar_code(code: object, where: str = "") -> str:
    """The ``exchange_calendars`` calendar named ``code`` (aliases resolved), else a typed error with the fix."""
    import exchange_calendars as xcals

    text = str(code).strip()
    names = set(xcals.get_calendar_names(include_aliases=True))
    for cand in (text, text.upper()):
        if cand in names:
            return str(xcals.resolve_alias(cand))  # an alias (XNAS) is its calendar (XNYS)
    at = f" ({where})" if where else ""
    raise InvalidRequestError(
        f"unknown calendar code {text!r}{at}; use an exchange_calendars code such as XNYS, XNAS, XHKG, XLON, "
        "XTKS or XETR (exchange_calendars.get_calendar_names() lists them all)"
    )


def _info(symbol: str, calendar: str, timezone: object = None, currency: object = None) -> SymbolInfo:
    code = check_calendar_code(calendar, f"symbol {symbol}")
    tz = str(timezone).strip() if isinstance(timezone, str) and timezone.strip() else ""
    if not tz:
        from research_lib.listings.calendars import get_calendar

        tz = str(get_calendar(code).tz)
    cur = str(currency).strip() if isinstance(currency, str) and currency.strip() else "unknown"
    return SymbolInfo(symbol, code, cur, "user", "", tz)


def _entries(mapping: object) -> dict[str, SymbolInfo]:
    """Validated registry entries: upper-cased identifiers -> SymbolInfo with a known calendar code."""
    if not isinstance(mapping, Mapping):
        raise InvalidRequestError(
            f"a SymbolRegistry needs a mapping symbol -> calendar code, not {type(mapping).__name__}; "
            "write e.g. SymbolRegistry({'10107': 'XNYS'}) or SymbolRegistry.from_csv(path)"
        )
    out: dict[str, SymbolInfo] = {}
    for sym, val in mapping.items():
        key = str(sym).strip().upper()
        if isinstance(val, SymbolInfo):
            out[key] = val
        elif isinstance(val, Mapping):
            if "calendar" not in val:
                raise InvalidRequestError(f"registry entry {sym!r} has no 'calendar'; give e.g. {{'calendar': 'XNYS'}}")
            out[key] = _info(key, str(val["calendar"]), val.get("timezone"), val.get("currency"))
        else:
            out[key] = _info(key, str(val))
    return out


@dataclass(frozen=True)
class SymbolRegistry:
    """User-given calendars (and time zones, currencies) of identifiers.

    Build it with :meth:`from_mapping` (``{"10107": "XNAS", "^SPX": {"calendar": "XNYS"}}``)
    or :meth:`from_csv` (columns ``symbol,calendar`` and optionally ``timezone,currency``).
    Identifiers are matched as written and upper-cased (events files are upper-cased).

    Examples
    --------
    >>> from research_lib.listings import SymbolRegistry
    >>> reg = SymbolRegistry.from_mapping({"10107": "XNYS", "VOD_LN": {"calendar": "XLON", "currency": "GBP"}})
    >>> info = reg.get("vod_ln")
    >>> info.calendar, info.currency
    ('XLON', 'GBP')
    >>> reg.get("unknown") is None
    True
    """

    entries: Mapping[str, SymbolInfo] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # the plain constructor gets the checks of from_mapping (entries already built by it pass as they are)
        entries = self.entries
        if isinstance(entries, Mapping) and all(
            isinstance(v, SymbolInfo) and isinstance(k, str) and k == k.strip().upper() for k, v in entries.items()
        ):
            return
        object.__setattr__(self, "entries", _entries(entries))

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, object]) -> SymbolRegistry:
        return cls(_entries(mapping))

    @classmethod
    def from_csv(cls, path: str | os.PathLike[str]) -> SymbolRegistry:
        """Read ``symbol,calendar[,timezone,currency]`` (one row per identifier)."""
        layout = "symbol,calendar,timezone,currency"
        if not isinstance(path, str | os.PathLike):
            raise InvalidRequestError(f"registry must be a SymbolRegistry, a mapping symbol -> calendar or the path of a "
                                      f"CSV {layout}, not {type(path).__name__}")
        if not Path(path).is_file():
            raise InvalidRequestError(f"registry file {path} not found (or not a file); pass a CSV {layout}")
        try:
            frame = pd.read_csv(Path(path), dtype=str, keep_default_na=False)
        except pd.errors.EmptyDataError:
            raise InvalidRequestError(f"registry file {path} is empty; write a header {layout} and one row per identifier") from None
        lacking = [c for c in ("symbol", "calendar") if c not in frame.columns]
        if lacking:
            raise InvalidRequestError(
                f"registry file {path} lacks the column(s) {lacking}; write it as symbol,calendar,timezone,currency"
            )
        dup = frame["symbol"].str.strip().str.upper()
        if dup.duplicated().any():
            raise InvalidRequestError(f"registry file {path} lists {dup[dup.duplicated()].tolist()[:5]} twice; keep one row each")
        rows = {r["symbol"]: {k: r.get(k, "") for k in ("calendar", "timezone", "currency")} for r in frame.to_dict("records")}
        return cls.from_mapping(rows)

    def get(self, symbol: str) -> SymbolInfo | None:
        return self.entries.get(str(symbol).strip().upper())

    def merged(self, other: SymbolRegistry | None) -> SymbolRegistry:
        """Entries of ``self`` win over those of ``other``."""
        return self if other is None else SymbolRegistry({**dict(other.entries), **dict(self.entries)})

    def __len__(self) -> int:
        return len(self.entries)


@dataclass(frozen=True)
class _Resolution:
    """The active rules: explicit entries (data/events column first, then the user's registry) and a default."""

    explicit: SymbolRegistry
    default_calendar: str | None

    def lookup(self, symbol: str) -> SymbolInfo | None:
        return self.explicit.get(symbol)

    def fallback(self, symbol: str) -> SymbolInfo | None:
        if self.default_calendar is None:
            return None
        return _info(str(symbol).strip().upper(), self.default_calendar)


@contextmanager
def use_registry(
    registry: SymbolRegistry | None = None,
    *,
    columns: SymbolRegistry | None = None,
    default_calendar: str | None = None,
) -> Iterator[None]:
    """Make the calendar rules active inside the ``with`` block (see the module docstring).

    ``columns`` are the calendars read from a ``calendar`` column of the data or
    events file (they win over ``registry``).
    """
    default = None if default_calendar is None else check_calendar_code(default_calendar, "default calendar")
    explicit = (columns or SymbolRegistry()).merged(registry)
    token = _symbols.ACTIVE_RESOLUTION.set(_Resolution(explicit, default))
    try:
        yield
    finally:
        _symbols.ACTIVE_RESOLUTION.reset(token)
