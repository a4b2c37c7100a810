"""A printable account of what the data layer delivers for some symbols.

Used by ``research-lib data-report``: per symbol the source, date range, rows,
calendar discrepancies, checksum and origin, followed by the discrepant dates
themselves (the first few of each kind).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from research_lib.config import get_settings
from research_lib.data.prices import PriceSet, load_prices
from research_lib.data.screen import ScreenConfig, screen_prices

#: How many extra/missing dates are listed per symbol.
LIST_DATES = 5


def data_report(
    symbols: str | Sequence[str],
    start: object = None,
    end: object = None,
    *,
    snapshot: str | Path | None = None,
    offline: bool | None = None,
    screen: ScreenConfig | None = None,
) -> str:
    """Load ``symbols`` and describe them as text.

    Returns
    -------
    str
        The settings used, the :meth:`PriceSet.report` table, the calendar
        discrepancies per symbol, the sessions that every symbol of one exchange
        lacks (probable unscheduled closures) and the price screen's findings
        (thresholds ``screen``, default :class:`~research_lib.data.screen.ScreenConfig`).

    Raises
    ------
    The errors of :func:`research_lib.data.load_prices`.
    """
    settings = get_settings(snapshot, offline)
    prices = load_prices(symbols, start, end, snapshot=snapshot, offline=offline, progress=False)
    lines = [
        f"snapshot: {settings.snapshot or '(none)'}",
        f"cache:    {settings.cache_dir}",
        f"offline:  {settings.offline}",
        "",
        format_table(prices.report()),
    ]
    notes = calendar_notes(prices)
    if notes:
        lines += ["", "calendar check (dates compared with each listing's exchange calendar):", *notes]
    else:
        lines += ["", "calendar check: every date is a session and no session is missing"]
    closed = closure_notes(prices)
    if closed:
        lines += ["", "probable unscheduled closures (sessions of the calendar that no symbol of that exchange has; "
                  "a study counts its windows without them):", *closed]
    found = screen_notes(prices, screen)
    cfg = screen or ScreenConfig()
    lines += ["", f"price screen (split-like jumps within {cfg.split_tolerance:g} log points of a split ratio, "
              f"reversing spikes of at least {cfg.spike_min:.3g} log points, runs of {cfg.stale_run}+ identical closes):"]
    lines += found or ["  no suspect prices"]
    return "\n".join(lines)


def screen_notes(prices: PriceSet, config: ScreenConfig | None = None) -> list[str]:
    """One line per suspect value of each symbol (see :mod:`research_lib.data.screen`)."""
    out = []
    for sym, s in prices.items():
        for f in screen_prices(s.frame["adj_close"], sym, config=config).findings:
            out.append(f"  {f.describe()}")
    return out


def closure_notes(prices: PriceSet) -> list[str]:
    """Sessions missing from every symbol of one exchange (two symbols or more), in short runs."""
    by_cal: dict[str, list[pd.DatetimeIndex]] = {}
    for s in prices.values():
        by_cal.setdefault(s.info.calendar, []).append(s.missing_sessions)
    out = []
    for code, missing in by_cal.items():
        if len(missing) < 2:
            continue
        common = missing[0]
        for m in missing[1:]:
            common = common.intersection(m)
        if len(common):
            shown = ", ".join(f"{d:%Y-%m-%d}" for d in common[:LIST_DATES])
            more = f" (+{len(common) - LIST_DATES} more)" if len(common) > LIST_DATES else ""
            out.append(f"  {code}: {len(common)} session(s) that no symbol of the exchange traded: {shown}{more}")
    return out


def format_table(table: pd.DataFrame) -> str:
    """A plain-text table without the index."""
    return table.to_string(index=False)


def calendar_notes(prices: PriceSet) -> list[str]:
    """One line per symbol and kind of discrepancy, with the first dates."""
    notes = []
    for sym, s in prices.items():
        kinds = (
            ("dates that are not " + s.info.calendar + " sessions", s.extra_dates),
            (s.info.calendar + " sessions missing", s.missing_sessions),
            ("dates outside the " + s.info.calendar + " calendar's range (not checked)", s.unchecked_dates),
        )
        for label, dates in kinds:
            if len(dates):
                shown = ", ".join(f"{d:%Y-%m-%d}" for d in dates[:LIST_DATES])
                more = f" (+{len(dates) - LIST_DATES} more)" if len(dates) > LIST_DATES else ""
                notes.append(f"  {sym}: {len(dates)} {label}: {shown}{more}")
    return notes
