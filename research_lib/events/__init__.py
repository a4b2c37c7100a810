"""Events: reading and validating events files and frames."""

from __future__ import annotations

from research_lib.events.reader import (
    CATALOGUE_COLUMNS,
    DEFAULT_CATALOGUE,
    EARNINGS_WINDOW,
    EVENT_TYPES,
    MARKET_CALENDARS,
    TIMING_CATEGORIES,
    Catalogue,
    TimingToken,
    catalogue_to_events,
    load_catalogue,
    parse_announced_at,
    parse_event_date,
    parse_timing,
    read_events,
)

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
