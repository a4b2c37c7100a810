"""Listings: the symbol registry, exchange calendars and day 0 of an announcement."""

from __future__ import annotations

from research_lib.listings.calendars import (
    DayZero,
    calendar_for,
    check_against_calendar,
    check_session,
    day_zero,
    get_calendar,
    sessions,
)
from research_lib.listings.registry import SymbolRegistry, use_registry
from research_lib.listings.symbols import (
    SymbolInfo,
    lookup,
)

__all__ = [
    "get_calendar",
    "calendar_for",
    "sessions",
    "DayZero",
    "day_zero",
    "check_session",
    "check_against_calendar",
    "SymbolInfo",
    "lookup",
    "SymbolRegistry",
    "use_registry",
]
