"""The Alibaba case of 2025-02-24: its events, its two clocks, its prices.

Alibaba published its RMB 380bn three-year plan for cloud and AI
infrastructure on Monday 2025-02-24 during the Hong Kong session (earliest
report found: 11:48 Hong Kong time, catalogue row
``20250224_alibaba_380bn_3y``, column ``timing_basis``).  The same company
trades in Hong Kong (``9988.HK``, HKD) and New York (``BABA``, 1 ADS = 8
ordinary shares, USD), whose sessions do not overlap.  This module holds what
notebooks 01-03 need to set the case up: the events table built from the
announcement time, day 0 per exchange, the sessions on one UTC clock, the
time span each close-to-close return covers, and a figure of the two clocks.

References
----------
MacKinlay, A. C. (1997), "Event studies in economics and finance", *JEL*
35(1) (the event date and the information set of each price).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from research_lib.cases.capex import catalogue_to_events, load_catalogue
from research_lib.errors import EventError
from research_lib.listings.calendars import calendar_for, day_zero, session_index
from research_lib.listings.symbols import lookup

#: Catalogue id of the case.
CATALOGUE_ID = "20250224_alibaba_380bn_3y"
#: Earliest report of the plan found by the catalogue's sources (Shanghai Daily, 11:48 HKT).
ANNOUNCED_AT = pd.Timestamp("2025-02-24T11:48+08:00")
#: Each listing with its home-market benchmark.
LISTINGS: dict[str, str] = {"BABA": "^GSPC", "9988.HK": "^HSI"}
#: 1 ADS = 8 ordinary shares since the 1-to-8 subdivision of 2019-07-30 (SEC 6-K); pass it to
#: :func:`research_lib.analysis.parity.adr_parity` as ``ratio``.
BABA_ADS_RATIO = 8.0
#: The ADS trades in USD, the ordinary shares in HKD: the pair of :func:`~research_lib.analysis.parity.fx_assumption`.
FX_PAIR = "USD/HKD"

__all__ = [
    "ANNOUNCED_AT",
    "BABA_ADS_RATIO",
    "FX_PAIR",
    "CATALOGUE_ID",
    "LISTINGS",
    "case_events",
    "case_record",
    "day_zero_table",
    "event_time",
    "load_case_prices",
    "overlap_hours",
    "plot_clock",
    "return_spans",
    "session_clock",
    "window_span",
]


def case_record(catalogue_id: str = CATALOGUE_ID) -> pd.Series:
    """The catalogue row of the case (dates, timing, confounders, sources).

    Raises
    ------
    EventError
        If the id is not in the project's catalogue.
    """
    frame = load_catalogue().frame
    hit = frame[frame["event_id"] == catalogue_id]
    if hit.empty:
        raise EventError(f"{catalogue_id!r} is not in the capex catalogue; check the id in research_lib/cases/capex_events.csv")
    return hit.iloc[0]


def case_events(
    listings: Mapping[str, str] | None = None,
    announced_at: str | pd.Timestamp = ANNOUNCED_AT,
    prefix: str = "alibaba_380bn",
) -> pd.DataFrame:
    """Events table (one row per listing) for :func:`research_lib.study.event_study`.

    Parameters
    ----------
    listings
        symbol -> benchmark (default :data:`LISTINGS`); the same symbol with
        another benchmark needs its own call (event ids must be unique).
    announced_at
        The announcement time with its time zone; day 0 follows on each
        listing's own calendar.
    prefix
        Event ids are ``f"{prefix}:{symbol}"``.
    """
    listings = dict(LISTINGS if listings is None else listings)
    ts = pd.Timestamp(announced_at)
    if ts.tzinfo is None:
        raise EventError(f"announced_at {announced_at!s} has no time zone; write it as 2025-02-24T11:48+08:00")
    return pd.DataFrame(
        {
            "event_id": [f"{prefix}:{s}" for s in listings],
            "symbol": list(listings),
            "benchmark": list(listings.values()),
            "announced_at": [ts] * len(listings),
        }
    )


def day_zero_table(announced_at: str | pd.Timestamp = ANNOUNCED_AT, symbols: Sequence[str] = tuple(LISTINGS)) -> pd.DataFrame:
    """Day 0 of the announcement on each listing's exchange, with the catalogue's own mapping beside it.

    Returns
    -------
    pd.DataFrame
        One row per symbol: ``exchange``, ``local_time`` of the announcement,
        ``day0`` (:func:`research_lib.listings.calendars.day_zero`), ``rule``, ``reason``
        and ``catalogue_day0`` (the catalogue's date-plus-timing-token rule,
        :func:`research_lib.cases.capex.catalogue_to_events`), which must agree.
    """
    ts = pd.Timestamp(announced_at)
    cat = catalogue_to_events(load_catalogue(), listings="all").set_index("symbol", drop=False)
    cat = cat[cat["catalogue_id"] == CATALOGUE_ID]
    rows = []
    for sym in symbols:
        dz = day_zero(ts, sym)
        cal = calendar_for(sym)
        rows.append({
            "symbol": sym,
            "exchange": f"{lookup(sym).calendar} ({cal.tz})",
            "local_time": ts.tz_convert(cal.tz).strftime("%Y-%m-%d %H:%M %Z"),
            "day0": dz.session,
            "rule": dz.rule,
            "reason": dz.reason,
            "catalogue_day0": cat["event_date"].get(sym, pd.NaT),
        })
    return pd.DataFrame(rows)


def event_time(symbol: str, day0: str | pd.Timestamp, dates: Sequence[str | pd.Timestamp]) -> pd.Series:
    """Event time tau (sessions of ``symbol``'s exchange relative to ``day0``) of each date.

    A date that is not a session gets NaN (pandas ``Int64`` missing).

    Raises
    ------
    EventError
        If ``day0`` is not a session of the exchange.
    """
    cal = calendar_for(symbol)
    d0 = pd.Timestamp(day0)
    if not cal.is_session(d0):
        raise EventError(f"day 0 {d0:%Y-%m-%d} is not a {lookup(symbol).calendar} session; pass a session")
    grid = pd.DatetimeIndex(cal.sessions)
    p0 = session_index(grid, d0)
    idx = pd.DatetimeIndex([pd.Timestamp(d) for d in dates])
    pos = grid.get_indexer(idx)
    tau = pd.Series(np.where(pos >= 0, pos - p0, -1), dtype="Int64").mask(pos < 0).array
    return pd.Series(tau, index=idx, name=f"tau_{symbol}")


def session_clock(symbols: Sequence[str], start: str | pd.Timestamp, end: str | pd.Timestamp) -> pd.DataFrame:
    """Sessions of each symbol's exchange between two dates, in UTC.

    Returns
    -------
    pd.DataFrame
        One row per (symbol, session): ``symbol``, ``exchange``, ``session``,
        ``open_utc``, ``break_start_utc``, ``break_end_utc`` (NaT without a
        lunch break) and ``close_utc``.
    """
    rows = []
    for sym in symbols:
        cal = calendar_for(sym)
        for s in cal.sessions_in_range(pd.Timestamp(start), pd.Timestamp(end)):
            rows.append({
                "symbol": sym,
                "exchange": lookup(sym).calendar,
                "session": s,
                "open_utc": cal.session_open(s),
                "break_start_utc": cal.session_break_start(s),
                "break_end_utc": cal.session_break_end(s),
                "close_utc": cal.session_close(s),
            })
    return pd.DataFrame(rows)


def _utc(t: str | pd.Timestamp, label: str) -> pd.Timestamp:
    ts = pd.Timestamp(t)
    if ts.tzinfo is None:
        raise EventError(f"mark {label!r} at {ts} has no time zone; give it one")
    return ts.tz_convert("UTC")


def return_spans(
    symbol: str,
    dates: Sequence[str | pd.Timestamp],
    marks: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """The UTC interval each close-to-close daily return of ``symbol`` covers.

    The return dated t runs from the close of the previous session of the
    listing's exchange to the close of session t: news released anywhere in
    that interval (overnight, over a weekend, during the other market's
    session) is in it.

    Parameters
    ----------
    symbol
        A listing (its exchange calendar decides the sessions).
    dates
        Sessions of that exchange.
    marks
        Optional label -> a tz-aware time, or a (start, end) pair of tz-aware
        times for news known only to fall after ``start`` and at or before
        ``end`` (or for the other market's session).  Column ``contains``
        lists the labels inside each return's interval: a time t with
        previous close < t <= close, a pair with previous close <= start and
        end <= close; a pair only partly inside is listed with ``(partly)``.

    Raises
    ------
    EventError
        If a date is not a session, or a mark has no time zone.
    """
    cal = calendar_for(symbol)
    rows = []
    for d in dates:
        s = pd.Timestamp(d)
        if not cal.is_session(s):
            raise EventError(f"{s:%Y-%m-%d} is not a {lookup(symbol).calendar} session for {symbol}; pass sessions")
        prev = cal.previous_session(s)
        lo, hi = cal.session_close(prev), cal.session_close(s)
        row: dict[str, Any] = {"symbol": symbol, "date": s, "from_utc": lo, "to_utc": hi,
                               "hours": (hi - lo).total_seconds() / 3600.0}
        if marks is not None:
            inside = []
            for label, m in marks.items():
                if isinstance(m, tuple):  # news after m[0] and at or before m[1]
                    a, b = _utc(m[0], label), _utc(m[1], label)
                    whole = lo <= a and b <= hi
                else:
                    a = b = _utc(m, label)
                    whole = lo < a <= hi
                if whole:
                    inside.append(label)
                elif a < hi and b > lo:
                    inside.append(f"{label} (partly)")
            row["contains"] = "; ".join(inside)
        rows.append(row)
    return pd.DataFrame(rows)


def window_span(symbol: str, day0: str | pd.Timestamp, window: tuple[int, int]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The UTC interval a CAR over event days ``window`` of ``symbol`` covers.

    The CAR over [a, b] sums the close-to-close returns of sessions a..b, so
    it runs from the close of session a - 1 to the close of session b (UTC).

    Raises
    ------
    EventError
        If ``day0`` is not a session of the listing's exchange.
    """
    cal = calendar_for(symbol)
    d0 = pd.Timestamp(day0)
    if not cal.is_session(d0):
        raise EventError(f"day 0 {d0:%Y-%m-%d} is not a {lookup(symbol).calendar} session; pass a session")
    grid = pd.DatetimeIndex(cal.sessions)
    p0 = int(grid.searchsorted(d0))
    return cal.session_close(grid[p0 + window[0] - 1]), cal.session_close(grid[p0 + window[1]])


def overlap_hours(a: tuple[pd.Timestamp, pd.Timestamp], b: tuple[pd.Timestamp, pd.Timestamp]) -> float:
    """Hours two UTC intervals (start, end) have in common (0 when disjoint)."""
    lo, hi = max(pd.Timestamp(a[0]), pd.Timestamp(b[0])), min(pd.Timestamp(a[1]), pd.Timestamp(b[1]))
    return max((hi - lo).total_seconds() / 3600.0, 0.0)


def load_case_prices(
    symbols: Sequence[str], start: str | None = None, end: str | None = None
) -> dict[str, pd.Series]:
    """Adjusted closes of ``symbols`` through the data layer (snapshot, cache or yfinance), as a dict.

    Pass the dict as ``prices=`` to :func:`research_lib.study.event_study` so
    that repeated designs read each file once.
    """
    from research_lib.data import load_prices

    ps = load_prices(list(symbols), start, end, progress=False)
    return {s: ps[s].adj_close for s in ps}


def plot_clock(
    clock: pd.DataFrame,
    marks: Mapping[str, Any] | None = None,
    ax: Any = None,
) -> Any:
    """Draw the sessions of :func:`session_clock` as bars on one UTC time axis; return ``ax``.

    One row per symbol; lunch breaks are left blank; each mark (label ->
    tz-aware time, or a (start, end) pair) is a labelled vertical line (or a
    shaded span).
    """
    import matplotlib.dates as mdates

    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(11, 3.2))
    symbols = list(dict.fromkeys(clock["symbol"]))
    from research_lib.plotting import DAY0, PALETTE

    colors = list(PALETTE)

    def num(t: pd.Timestamp) -> float:
        return mdates.date2num(pd.Timestamp(t).tz_convert("UTC").tz_localize(None).to_pydatetime())

    for i, sym in enumerate(symbols):
        rows = clock[clock["symbol"] == sym]
        spans = []
        for r in rows.itertuples():
            if pd.notna(r.break_start_utc):
                spans += [(r.open_utc, r.break_start_utc), (r.break_end_utc, r.close_utc)]
            else:
                spans.append((r.open_utc, r.close_utc))
        bars = [(num(a), num(b) - num(a)) for a, b in spans]
        ax.broken_barh(bars, (i - 0.3, 0.6), facecolors=colors[i % len(colors)], alpha=0.75)
        for r in rows.itertuples():
            ax.text(num(r.open_utc), i + 0.36, f"{r.session:%a %d %b}", fontsize=7, va="bottom")
    for j, (label, t) in enumerate((marks or {}).items()):
        y = len(symbols) - 0.5 + 0.25 * (j % 3)
        if isinstance(t, tuple):
            x = num(t[0])
            ax.axvspan(x, num(t[1]), color=DAY0, alpha=0.12, lw=0)
        else:
            x = num(t)
            ax.axvline(x, color=DAY0, ls="--", lw=1)
        ax.text(x, y, f" {label}", color=DAY0, fontsize=8, va="bottom")
    ax.set_yticks(range(len(symbols)))
    ax.set_yticklabels([f"{s} ({lookup(s).calendar})" for s in symbols])
    ax.set_ylim(-0.7, len(symbols) + 0.5)
    ax.xaxis.set_major_locator(mdates.DayLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%a %d %b\n00:00 UTC"))
    ax.xaxis.set_minor_locator(mdates.HourLocator(byhour=[6, 12, 18]))
    ax.grid(axis="x", which="both", color="0.85", lw=0.6)
    ax.set_xlabel("time (UTC)")
    ax.set_title("Trading sessions on one UTC clock (bars: regular sessions; gaps: lunch breaks, nights, weekend)")
    return ax


# --------------------------------------------------------------------------- volume and range (issue 14)
def load_case_frames(symbols: Sequence[str], start: str | None = None, end: str | None = None) -> dict[str, pd.DataFrame]:
    """Full price frames (open, high, low, close, adj_close, volume) of ``symbols`` through the data layer."""
    from research_lib.data import load_prices

    ps = load_prices(list(symbols), start, end, progress=False)
    return {s: ps[s].frame for s in ps}


def _single_firm_rows(ab: Any, taus: Sequence[int], measure: str) -> list[dict[str, Any]]:
    """t test (prediction-error SE, Student t with ``df``) and the sample-quantile p of each event day."""
    from scipy import stats

    from research_lib.inference.single_firm import sample_quantile_test

    rows = []
    tau = np.asarray(ab.panel.tau_evt)
    for i in range(ab.ar.shape[0]):
        for t in taus:
            j = int(np.flatnonzero(tau == t)[0])
            value, se = float(ab.ar[i, j]), float(np.sqrt(ab.ar_var[i, j]))
            tstat = value / se if np.isfinite(value) and se > 0 else float("nan")
            sq = sample_quantile_test(ab, i, (t, t)).pvalue if np.isfinite(value) else float("nan")
            rows.append({"symbol": str(ab.panel.symbols[i]), "tau": int(t), "measure": measure, "abnormal": value,
                         "t": tstat, "p": float(2 * stats.t.sf(abs(tstat), ab.df[i])), "SQ p": float(sq)})
    return rows


def trading_measures(panel: Any, frames: Mapping[str, pd.DataFrame], taus: Sequence[int] = (-1, 0, 1)) -> pd.DataFrame:
    """Abnormal log volume and abnormal range variance of one-firm events on the days ``taus``.

    Parameters
    ----------
    panel
        The :class:`~research_lib.engine.panel.EventPanel` of a return study
        (``result.abnormal.panel``): its event and estimation sessions are used.
    frames
        Price frames with ``open, high, low, close, volume`` by symbol (:func:`load_case_frames`).
    taus
        Event days to report.

    Returns
    -------
    pandas.DataFrame
        One row per (symbol, tau, measure), ``measure`` in ``"log volume"``
        (mean-adjusted model on log(1 + V)), ``"Parkinson"`` and
        ``"Garman-Klass"`` (abnormal ln of the range variance); columns
        ``abnormal`` (the abnormal value, in logs), ``t``, ``p`` (two-sided,
        Student t) and ``SQ p`` (sample-quantile p of Gelbach, Helland and Klick
        2013 against the estimation days), ``ratio`` (exp of ``abnormal`` for
        volume: the day's volume as a multiple of its normal level; for the
        range, the day's range variance over the estimation-window mean),
        ``close location`` ((C - L)/(H - L) of the day) and ``volume``.

    Notes
    -----
    The computation is :func:`research_lib.measures.abnormal_volume` (Campbell
    and Wasley 1996) and :func:`research_lib.measures.abnormal_range`
    (Parkinson 1980; Garman and Klass 1980); this function only lays the
    single-firm tests of their results out per day.
    """
    from research_lib.measures import abnormal_range, abnormal_volume, ohlc_arrays, volume_arrays

    vol = abnormal_volume(panel, volume_arrays(panel, frames), model="constant_mean")
    ohlc = ohlc_arrays(panel, frames)
    rows = _single_firm_rows(vol.abnormal, taus, "log volume")
    ranges = {}
    for est, label in (("parkinson", "Parkinson"), ("garman_klass", "Garman-Klass")):
        ranges[label] = abnormal_range(panel, ohlc, est)
        rows += _single_firm_rows(ranges[label].abnormal, taus, label)
    out = pd.DataFrame(rows)
    tau = np.asarray(panel.tau_evt)
    sym = list(map(str, panel.symbols))
    pos = out["tau"].map(lambda t: int(np.flatnonzero(tau == t)[0]))
    row = out["symbol"].map(sym.index)
    out["date"] = pd.DatetimeIndex(panel.evt_dates[row, pos])
    rr = ranges["Parkinson"]
    out["ratio"] = np.exp(out["abnormal"])
    is_range = out["measure"] != "log volume"
    log_ratio = {lab: r.log_ratio for lab, r in ranges.items()}
    out.loc[is_range, "ratio"] = [float(np.exp(log_ratio[m][i, j])) for m, i, j in
                                  zip(out.loc[is_range, "measure"], row[is_range], pos[is_range], strict=True)]
    out["close location"] = rr.close_location[row, pos]
    out["volume"] = volume_arrays(panel, frames).volume_evt[row, pos]
    return out[["symbol", "tau", "date", "measure", "abnormal", "ratio", "t", "p", "SQ p", "close location", "volume"]]
