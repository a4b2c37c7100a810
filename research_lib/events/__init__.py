"""Events: reading and validating events files and frames, and the attrition log.

The capex catalogue's names (``load_catalogue``, ``catalogue_to_events`` ...) live in
:mod:`research_lib.cases.capex`; they stay importable from here (loaded on first use).
"""

from __future__ import annotations

from research_lib.events.attrition import Attrition
from research_lib.events.reader import parse_announced_at, parse_event_date, read_events

_CATALOGUE_NAMES = (
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
)

__all__ = [  # noqa: PLE0604 - the catalogue names are provided by __getattr__
    "Attrition",
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


def __getattr__(name: str) -> object:
    if name in _CATALOGUE_NAMES:
        from research_lib.cases import capex

        return getattr(capex, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
