"""Symbol registry: Yahoo-style symbol -> exchange calendar, currency, benchmark.

Rules, in order:

1. an explicit entry in :data:`KNOWN` (indices, ETFs, FX and listings whose
   suffix alone is ambiguous);
2. the suffix of the symbol (``.HK`` -> HKEX, ``.T`` -> Tokyo, ...);
3. no suffix and no caret -> a US listing on the NYSE calendar (NYSE and
   Nasdaq share one holiday calendar; ``exchange_calendars`` models both).

Index symbols (``^...``) and FX (``...=X``) that are not listed raise
:class:`~research_lib.errors.UnknownSymbolError`, because their trading
calendar cannot be guessed.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from research_lib.errors import UnknownSymbolError

#: calendars given by the user for a study (set by :func:`research_lib.listings.registry.use_registry`):
#: explicit entries are looked up before the rules below, a default calendar after them.
ACTIVE_RESOLUTION: ContextVar[Any] = ContextVar("research_lib_active_resolution", default=None)


@dataclass(frozen=True)
class SymbolInfo:
    """What the project knows about one symbol.

    Attributes
    ----------
    symbol
        Yahoo-style symbol.
    calendar
        ``exchange_calendars`` code of the listing's exchange (``XNYS``, ``XHKG`` ...).
    currency
        ISO 4217 currency of the prices, or ``"index points"``.
    kind
        ``"equity"``, ``"etf"``, ``"index"`` or ``"fx"``.
    benchmark
        the default market index for an equity listed there.
    timezone
        the exchange's time zone (used for day-0 mapping).

    Examples
    --------
    >>> from research_lib.listings import lookup
    >>> info = lookup("9988.HK")
    >>> info.calendar, info.currency, info.timezone
    ('XHKG', 'HKD', 'Asia/Hong_Kong')
    """

    symbol: str
    calendar: str
    currency: str
    kind: str
    benchmark: str
    timezone: str


# suffix -> (calendar, currency, benchmark, timezone)
SUFFIXES: dict[str, tuple[str, str, str, str]] = {
    "": ("XNYS", "USD", "^GSPC", "America/New_York"),
    ".HK": ("XHKG", "HKD", "^HSI", "Asia/Hong_Kong"),
    ".T": ("XTKS", "JPY", "^N225", "Asia/Tokyo"),
    ".TW": ("XTAI", "TWD", "^TWII", "Asia/Taipei"),
    ".KS": ("XKRX", "KRW", "^KS11", "Asia/Seoul"),
    ".SS": ("XSHG", "CNY", "000001.SS", "Asia/Shanghai"),
    ".SZ": ("XSHG", "CNY", "000001.SS", "Asia/Shanghai"),
    ".L": ("XLON", "GBP", "^FTSE", "Europe/London"),
    ".DE": ("XETR", "EUR", "^GDAXI", "Europe/Berlin"),
    ".PA": ("XPAR", "EUR", "^FCHI", "Europe/Paris"),
    ".AS": ("XAMS", "EUR", "^AEX", "Europe/Amsterdam"),
    ".TO": ("XTSE", "CAD", "^GSPTSE", "America/Toronto"),
    ".AX": ("XASX", "AUD", "^AXJO", "Australia/Sydney"),
}

# Explicit entries: symbol -> (calendar, currency, kind, benchmark, timezone)
KNOWN: dict[str, tuple[str, str, str, str, str]] = {
    "^GSPC": ("XNYS", "index points", "index", "^GSPC", "America/New_York"),
    "^NDX": ("XNYS", "index points", "index", "^GSPC", "America/New_York"),
    "^IXIC": ("XNYS", "index points", "index", "^GSPC", "America/New_York"),
    "^DJI": ("XNYS", "index points", "index", "^GSPC", "America/New_York"),
    "^RUT": ("XNYS", "index points", "index", "^GSPC", "America/New_York"),
    "^HSI": ("XHKG", "index points", "index", "^HSI", "Asia/Hong_Kong"),
    "^HSTECH": ("XHKG", "index points", "index", "^HSI", "Asia/Hong_Kong"),
    "^N225": ("XTKS", "index points", "index", "^N225", "Asia/Tokyo"),
    "^TWII": ("XTAI", "index points", "index", "^TWII", "Asia/Taipei"),
    "^KS11": ("XKRX", "index points", "index", "^KS11", "Asia/Seoul"),
    "^FTSE": ("XLON", "index points", "index", "^FTSE", "Europe/London"),
    "^GDAXI": ("XETR", "index points", "index", "^GDAXI", "Europe/Berlin"),
    "000001.SS": ("XSHG", "index points", "index", "000001.SS", "Asia/Shanghai"),
    # currencies trade around the clock on weekdays: exchange_calendars' "24/5" calendar
    "HKD=X": ("24/5", "HKD per USD", "fx", "^HSI", "UTC"),
    "CNY=X": ("24/5", "CNY per USD", "fx", "000001.SS", "UTC"),
}
for _etf in ("SPY", "QQQ", "KWEB", "FXI", "MCHI", "IWM", "DIA", "SMH", "SOXX"):
    KNOWN[_etf] = ("XNYS", "USD", "etf", "^GSPC", "America/New_York")


def lookup(symbol: str) -> SymbolInfo:
    """Return the registry entry of a Yahoo-style symbol.

    Raises
    ------
    UnknownSymbolError
        For an empty symbol, an unlisted index/FX symbol or an unknown suffix.

    Examples
    --------
    >>> info = lookup("9988.hk")
    >>> info.symbol, info.calendar, info.currency, info.benchmark
    ('9988.HK', 'XHKG', 'HKD', '^HSI')
    >>> lookup("BABA").calendar
    'XNYS'
    >>> lookup("^XYZ")
    Traceback (most recent call last):
    ...
    research_lib.errors.UnknownSymbolError: index or FX symbol '^XYZ' is not in the registry, ...
    """
    sym = symbol.strip().upper() if isinstance(symbol, str) else ""  # Yahoo symbols are upper case
    if not sym:
        raise UnknownSymbolError(f"empty symbol {symbol!r}; pass a Yahoo-style symbol such as 'BABA' or '9988.HK'")
    active = ACTIVE_RESOLUTION.get()
    if active is None:
        return _yahoo_rules(sym)
    hit = active.lookup(sym)  # a calendar column or the user's SymbolRegistry
    if hit is not None:
        return hit
    try:
        return _yahoo_rules(sym)
    except UnknownSymbolError as exc:
        hit = active.fallback(sym)
        if hit is None:
            raise UnknownSymbolError(
                f"identifier {sym!r} has no calendar: {exc}; or give it one with a calendar column in the data or "
                "events file, a SymbolRegistry (registry=, --registry PATH) or a default (default_calendar=, --calendar CODE)"
            ) from None
        return hit


def _yahoo_rules(sym: str) -> SymbolInfo:
    """The rules of the module docstring for an upper-cased symbol."""
    if sym in KNOWN:
        cal, cur, kind, bench, tz = KNOWN[sym]
        return SymbolInfo(sym, cal, cur, kind, bench, tz)
    if sym.startswith("^") or sym.endswith("=X"):
        raise UnknownSymbolError(
            f"index or FX symbol {sym!r} is not in the registry, so its trading calendar is unknown; "
            "add it to research_lib.listings.symbols.KNOWN with its exchange calendar"
        )
    suffix = "." + sym.rsplit(".", 1)[1] if "." in sym else ""
    if suffix not in SUFFIXES:
        raise UnknownSymbolError(
            f"symbol {sym!r} has the unknown exchange suffix {suffix!r}; known suffixes: "
            + ", ".join(s or "(none)" for s in SUFFIXES)
            + "; add it to research_lib.listings.symbols.SUFFIXES"
        )
    cal, cur, bench, tz = SUFFIXES[suffix]
    return SymbolInfo(sym, cal, cur, "equity", bench, tz)
