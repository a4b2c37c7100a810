"""research_lib: an exact, offline-first event-study toolkit.

The package holds every computation used by the project's notebooks: price data
(snapshot, yfinance, on-disk cache), exchange calendars and day-0 mapping,
normal-return models solved for many events at once, the event-study test
battery, result objects and plots.
"""

from __future__ import annotations

__version__ = "0.1.0"
