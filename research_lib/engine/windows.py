"""Day 0 of each event, and the stacked estimation and event windows.

Two steps turn an event table into arrays:

1. :func:`anchor_events` maps each event to day 0 on its security's own
   exchange calendar (:mod:`research_lib.listings.calendars`) and logs what happened to
   every event (kept, shifted to a later session, excluded) with a reason.
2. :func:`build_panel` counts the estimation and event windows in that
   exchange's *sessions* relative to day 0 (never calendar days, never
   shifted), gathers the returns and regressors of all events into arrays
   (events x days) and excludes, with a reason naming dates, every event that
   cannot be studied.

References
----------
MacKinlay, A. C. (1997), "Event studies in economics and finance", *Journal
of Economic Literature* 35(1), 13-39 (timeline of estimation and event
windows).  Campbell, Lo and MacKinlay (1997), *The Econometrics of Financial
Markets*, ch. 4.1-4.3.  Scholes and Williams (1977), *JFE* 5; Dimson (1979),
*JFE* 7 (lagged and leading market returns).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from research_lib.data.sources import PriceSource
from research_lib.engine.panel import EventPanel
from research_lib.engine.returns import align_benchmark, compute_returns
from research_lib.errors import (
    DataError,
    EventError,
    InvalidRequestError,
    NoValidEventsError,
    UnknownSymbolError,
    WindowError,
)
from research_lib.listings.calendars import calendar_for, day_zero, get_calendar
from research_lib.listings.symbols import lookup

#: factor columns (besides rf) used by each factor model
FACTOR_COLUMNS: dict[str, tuple[str, ...]] = {
    "ff3": ("mkt_rf", "smb", "hml"),
    "ff5": ("mkt_rf", "smb", "hml", "rmw", "cma"),
    "carhart4": ("mkt_rf", "smb", "hml", "mom"),
}
BENCHMARK_MODELS = ("market", "market_adjusted", "scholes_williams", "dimson")
PANEL_MODELS = ("constant_mean", *BENCHMARK_MODELS, *FACTOR_COLUMNS)
_MAX_LISTED_DATES = 8

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- spec
@dataclass(frozen=True)
class WindowSpec:
    """Estimation and event windows in event time (sessions relative to day 0).

    Attributes
    ----------
    estimation : (first, last) session of the estimation window, inclusive.
    event : (first, last) session of the event window, inclusive.
    min_estimation : minimum number of complete-case estimation returns an
        event needs to be kept.

    Raises
    ------
    WindowError
        If a window is not ordered, the estimation window does not end before
        the event window starts, or ``min_estimation`` cannot be met or is too
        small to estimate a variance (it must be at least k + 2 with k = 1 for
        the smallest estimated model; :func:`build_panel` checks the model's own k).
    """

    estimation: tuple[int, int] = (-250, -11)
    event: tuple[int, int] = (-10, 10)
    min_estimation: int = 120

    def __post_init__(self) -> None:
        for label, win in (("estimation", self.estimation), ("event", self.event)):
            if len(win) != 2 or any(not isinstance(v, int | np.integer) for v in win):
                raise WindowError(f"{label} window {win!r} must be a pair of integers (first, last), e.g. (-250, -11)")
            if win[0] > win[1]:
                raise WindowError(
                    f"{label} window {win!r} is in the wrong order; write it as ({win[1]}, {win[0]}) (first, last)"
                )
        e0, e1 = self.estimation
        v0, v1 = self.event
        if e1 >= v0:
            raise WindowError(
                f"estimation window {self.estimation} overlaps or follows the event window {self.event}; "
                f"end the estimation window before the event window starts, e.g. estimation=({e0}, {v0 - 1})"
            )
        length = e1 - e0 + 1
        if self.min_estimation > length:
            raise WindowError(
                f"min_estimation={self.min_estimation} exceeds the {length} sessions of the estimation window "
                f"{self.estimation}; lower min_estimation or lengthen the estimation window"
            )
        if self.min_estimation < 3:
            raise WindowError(
                f"min_estimation={self.min_estimation} is too small to estimate a residual variance "
                "(at least k + 2 = 3 for the constant-mean model); raise it"
            )

    @property
    def tau_est(self) -> np.ndarray:
        """Event time of the estimation sessions."""
        return np.arange(self.estimation[0], self.estimation[1] + 1)

    @property
    def tau_evt(self) -> np.ndarray:
        """Event time of the event-window sessions."""
        return np.arange(self.event[0], self.event[1] + 1)


# --------------------------------------------------------------------------- day 0
def _missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


_Anchor = tuple[str, pd.Timestamp | None, str, str]  # status, day 0, rule, reason


def _symbol_problem(sym: object, bench: object, cache: dict[object, str | None]) -> str | None:
    """Why the security or benchmark symbol is unusable (None if both are known)."""
    for what, value in (("security", sym), ("benchmark", bench)):
        if what == "benchmark" and _missing(value):
            continue  # a benchmark is only needed by some models (build_panel checks)
        if value not in cache:
            try:
                lookup(value)  # type: ignore[arg-type]
                cache[value] = None
            except UnknownSymbolError as exc:
                cache[value] = str(exc)
        if cache[value] is not None:
            return f"unknown {what} symbol: {cache[value]}"
    return None


def _as_date(value: object, eid: object) -> pd.Timestamp:
    try:
        d = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise EventError(f"event {eid}: event_date {value!r} is not a date; write it as YYYY-MM-DD") from exc
    if d.tzinfo is not None:
        d = d.tz_localize(None)
    return d.normalize()


def _anchor_timestamp(eid: object, sym: str, ts: object, date: object) -> _Anchor:
    """Day 0 from an announcement time (an EventError propagates, naming the event)."""
    try:
        parsed = pd.Timestamp(ts)
    except (TypeError, ValueError) as exc:
        raise EventError(
            f"event {eid}: announced_at {ts!r} is not a timestamp; write it as ISO 8601 with an offset, "
            "e.g. 2025-02-24T11:48+08:00"
        ) from exc
    cal = calendar_for(sym)
    if parsed.tzinfo is not None:
        local = parsed.tz_convert(cal.tz).tz_localize(None).normalize()
        if local < cal.first_session or local >= cal.last_session:
            span = f"{cal.first_session:%Y-%m-%d}..{cal.last_session:%Y-%m-%d}"
            return "excluded", None, "", f"announced {parsed} is outside the {lookup(sym).calendar} calendar ({span})"
    try:
        dz = day_zero(parsed, sym)
    except EventError as exc:
        raise EventError(f"event {eid}: {exc}") from exc
    reason = dz.reason
    if not _missing(date) and _as_date(date, eid) != dz.session:
        reason += f" (announced_at takes precedence over event_date {_as_date(date, eid):%Y-%m-%d})"
    return ("shifted" if dz.shifted else "kept"), dz.session, dz.rule, reason


def _anchor_dates(eids: list[object], syms: list[str], dates: list[object]) -> list[_Anchor]:
    """Day 0 from dates without a time, looked up in each calendar's sessions at once."""
    out: list[_Anchor] = [("excluded", None, "", "")] * len(syms)
    days = [_as_date(d, e) for d, e in zip(dates, eids, strict=True)]
    codes = [lookup(s).calendar for s in syms]
    for code in dict.fromkeys(codes):
        rows = [i for i, c in enumerate(codes) if c == code]
        cal = get_calendar(code)
        sess = pd.DatetimeIndex(cal.sessions)
        d = pd.DatetimeIndex([days[i] for i in rows])
        pos = np.minimum(sess.searchsorted(d, side="left"), len(sess) - 1)
        found = list(sess[pos])
        first, last = sess[0], sess[-1]
        for j, i in enumerate(rows):
            day = days[i]
            if day < first or day > last:
                why = f"event date {day:%Y-%m-%d} is outside the {code} calendar ({first:%Y-%m-%d}..{last:%Y-%m-%d})"
                out[i] = ("excluded", None, "", why)
            elif found[j] == day:
                out[i] = ("kept", day, "date", f"day 0 given as the {code} session {day:%Y-%m-%d}")
            else:
                why = (
                    f"event date {day:%Y-%m-%d} ({day:%A}) is not a {code} session; "
                    f"day 0 is the next session {found[j]:%Y-%m-%d}"
                )
                # a typed date that is not a session is probably a mistake: say so where it is seen
                log.warning("%s: %s (give a session date, or announced_at with its time zone)", eids[i], why)
                out[i] = ("shifted", found[j], "non_trading_day", why)
    return out


def anchor_events(events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Map every event to day 0 on its security's exchange calendar.

    Parameters
    ----------
    events
        Columns ``event_id``, ``symbol``, ``benchmark`` and at least one of
        ``event_date`` (a date; NaT if absent) and ``announced_at`` (a
        tz-aware timestamp or an ISO string with a UTC offset; None/NaN if
        absent).  Other columns are carried through.

    Returns
    -------
    anchored : pd.DataFrame
        The events that have a day 0, with the added columns ``day0``
        (Timestamp, a session of the security's exchange), ``anchor_rule``
        (``before_open``, ``intraday``, ``after_close``, ``non_trading_day``
        or ``date``) and ``anchor_reason``.
    attrition : pd.DataFrame
        One row per input event: ``event_id``, ``symbol``, ``status``
        (``"kept"``, ``"shifted"`` or ``"excluded"``), ``reason`` and
        ``stage`` (``"anchor"``).

    Raises
    ------
    EventError
        For missing columns, duplicate event ids, a time stamp without a
        time zone, or an unparseable time stamp: these are errors in the
        event table itself, which the user must fix.

    Notes
    -----
    Rules (see :func:`research_lib.listings.calendars.day_zero`): ``announced_at`` wins
    when both are given.  An announcement before the open or during a session
    has that session as day 0; after the close, the next session.  A date
    given without a time that is not a session (weekend, holiday) is moved
    to the next session, because that is the first session whose trading can
    reflect the news; the event is marked ``"shifted"`` with both dates named.
    An unknown security or benchmark symbol excludes that event only (the rest
    of the study can go on), with the registry's message as the reason.
    """
    required = ("event_id", "symbol", "benchmark")
    lacking = [c for c in required if c not in events.columns]
    if lacking:
        raise EventError(f"events table lacks the column(s) {lacking}; it needs {list(required)}")
    has_date, has_ts = "event_date" in events.columns, "announced_at" in events.columns
    if not (has_date or has_ts):
        raise EventError("events table needs an event_date or an announced_at column (or both)")
    dup = events["event_id"][events["event_id"].duplicated()].unique().tolist()
    if dup:
        raise EventError(f"duplicate event_id values {dup[:10]}; give every event a unique id")
    n = len(events)
    eids, syms, benches = (events[c].tolist() for c in required)
    stamps = events["announced_at"].tolist() if has_ts else [None] * n
    dates = events["event_date"].tolist() if has_date else [None] * n
    results: list[_Anchor] = [("excluded", None, "", "")] * n
    by_date: list[int] = []
    known: dict[object, str | None] = {}
    for i in range(n):
        problem = _symbol_problem(syms[i], benches[i], known)
        if problem:
            results[i] = ("excluded", None, "", problem)
        elif not _missing(stamps[i]):
            results[i] = _anchor_timestamp(eids[i], syms[i], stamps[i], dates[i])
        elif _missing(dates[i]):
            results[i] = ("excluded", None, "", "neither event_date nor announced_at is given; supply one of them")
        else:
            by_date.append(i)
    picked = _anchor_dates([eids[i] for i in by_date], [syms[i] for i in by_date], [dates[i] for i in by_date])
    for i, res in zip(by_date, picked, strict=True):
        results[i] = res
    status = [r[0] for r in results]
    attrition = pd.DataFrame(
        {
            "event_id": events["event_id"].to_numpy(),
            "symbol": events["symbol"].to_numpy(),
            "status": status,
            "reason": [r[3] for r in results],
            "stage": "anchor",
        }
    )
    keep = np.array([s != "excluded" for s in status], dtype=bool)
    anchored = events.loc[keep].copy().reset_index(drop=True)
    anchored["day0"] = pd.DatetimeIndex([r[1] for r, k in zip(results, keep, strict=True) if k]).as_unit("ns")
    anchored["anchor_rule"] = [r[2] for r, k in zip(results, keep, strict=True) if k]
    anchored["anchor_reason"] = [r[3] for r, k in zip(results, keep, strict=True) if k]
    return anchored, attrition


# --------------------------------------------------------------------------- layout
@dataclass(frozen=True)
class _Layout:
    """Which regressors a model needs and how they are built."""

    x_names: tuple[str, ...]
    bench_offsets: tuple[int, ...]  # session offsets of benchmark columns (empty if none)
    factor_cols: tuple[str, ...]  # factor columns (empty if none)
    evt_required: tuple[bool, ...]  # regressor needed in the event window (for the AR)
    k: int  # parameters estimated (for min_estimation >= k + 2)


def _layout(model: str, dimson_lags: int) -> _Layout:
    if model == "constant_mean":
        return _Layout((), (), (), (), 1)
    if model in ("market", "market_adjusted"):
        return _Layout(("mkt",), (0,), (), (True,), 2 if model == "market" else 0)
    if model == "scholes_williams":
        return _Layout(("mkt_lag1", "mkt", "mkt_lead1"), (-1, 0, 1), (), (False, True, False), 2)
    if model == "dimson":
        if not isinstance(dimson_lags, int) or dimson_lags < 1:
            raise InvalidRequestError(f"dimson_lags={dimson_lags!r} must be a positive integer (1 is usual)")
        kk = dimson_lags
        names = (
            tuple(f"mkt_lag{j}" for j in range(kk, 0, -1)) + ("mkt",) + tuple(f"mkt_lead{j}" for j in range(1, kk + 1))
        )
        return _Layout(names, tuple(range(-kk, kk + 1)), (), (True,) * len(names), 2 * kk + 2)
    if model in FACTOR_COLUMNS:
        cols = FACTOR_COLUMNS[model]
        return _Layout(cols, (), cols, (True,) * len(cols), len(cols) + 1)
    raise InvalidRequestError(f"unknown model {model!r}; choose one of {PANEL_MODELS}")


def _check_factors(factors: pd.DataFrame | None, layout: _Layout, model: str) -> pd.DataFrame | None:
    if not layout.factor_cols:
        return None
    if factors is None:
        raise InvalidRequestError(
            f"model {model!r} needs factor returns; pass factors= (a DataFrame of decimal daily returns "
            f"with columns {list(layout.factor_cols) + ['rf']}, indexed by date)"
        )
    need = [*layout.factor_cols, "rf"]
    lacking = [c for c in need if c not in factors.columns]
    if lacking:
        raise DataError(
            f"factors lack the column(s) {lacking} needed by model {model!r}; load the matching factor file"
        )
    fac = factors[need].astype(float)
    med = float(np.nanmedian(np.abs(fac["mkt_rf"].to_numpy())))
    if med > 0.05:
        raise DataError(
            f"factor returns look like percent (median |mkt_rf| = {med:.3g}); divide them by 100 to get decimal returns"
        )
    fac.index = pd.DatetimeIndex(fac.index).normalize().as_unit("ns")
    return fac


# --------------------------------------------------------------------------- series
def _as_prices(obj: pd.Series | pd.DataFrame, symbol: str) -> pd.Series:
    if isinstance(obj, pd.DataFrame):
        if "adj_close" not in obj.columns:
            raise DataError(f"price frame of {symbol} has no adj_close column; pass adjusted closes")
        obj = obj["adj_close"]
    return obj.rename(symbol)


@dataclass
class _Series:
    grid: pd.DatetimeIndex  # the listing's sessions (whole calendar)
    ret: np.ndarray  # returns on grid (NaN outside the study's date span)
    first: pd.Timestamp  # first and last date with a price
    last: pd.Timestamp


class _Sources:
    """Returns of securities and benchmarks, computed once per symbol.

    Prices are cut to ``span`` (the dates the study's windows can reach, with a
    month of margin) before returns are computed, so that data problems far
    from every event (and the work of computing returns there) are skipped.
    """

    def __init__(
        self, prices: Mapping[str, pd.Series], kind: str, after_gap: str, span: tuple[pd.Timestamp, pd.Timestamp]
    ):
        self.prices, self.kind, self.after_gap, self.span = prices, kind, after_gap, span
        self.sec: dict[str, _Series | str] = {}
        self.bench_own: dict[str, pd.Series | str] = {}
        self.bench: dict[tuple[str, str], np.ndarray | str] = {}

    def _returns(self, symbol: str, grid: pd.DatetimeIndex) -> tuple[pd.Series, pd.Series]:
        obj = self.prices[symbol]
        if isinstance(obj, PriceSource):  # returns given directly (user return data, baskets): no price round trip
            return obj.returns_on(grid, self.kind, self.span)
        px = _as_prices(obj, symbol)
        px.index = pd.DatetimeIndex(px.index).as_unit("ns")
        lo, hi = self.span
        cut = px[(px.index >= lo) & (px.index <= hi)]
        sub = grid[(grid >= lo) & (grid <= hi)]
        return px.dropna(), compute_returns(cut, sub, kind=self.kind, after_gap=self.after_gap)

    def security(self, sym: str) -> _Series | str:
        """Returns of a security on its calendar, or the reason it has none."""
        if sym not in self.sec:
            self.sec[sym] = self._load_security(sym)
        return self.sec[sym]

    def _load_security(self, sym: str) -> _Series | str:
        try:
            grid = pd.DatetimeIndex(calendar_for(sym).sessions).as_unit("ns")
        except UnknownSymbolError as exc:
            return f"unknown security symbol: {exc}"
        if sym not in self.prices:
            return f"no prices for the security {sym}; load them or drop the event"
        try:
            valid, ret = self._returns(sym, grid)
        except DataError as exc:
            return f"unusable prices for {sym}: {exc}"
        if valid.empty:
            return f"no prices for the security {sym} (the series is empty); load them or drop the event"
        full = ret.reindex(grid).to_numpy()
        return _Series(grid, full, pd.Timestamp(valid.index.min()), pd.Timestamp(valid.index.max()))

    def benchmark(self, bench: object, sym: str, grid: pd.DatetimeIndex) -> np.ndarray | str:
        """Benchmark returns over the security's session intervals (see ``align_benchmark``), or a reason."""
        if _missing(bench):
            return "no benchmark given; the model needs one (fill the benchmark column)"
        bench = str(bench)
        if bench not in self.bench_own:
            self.bench_own[bench] = self._load_benchmark(bench)
        own = self.bench_own[bench]
        if isinstance(own, str):
            return own
        key = (lookup(sym).calendar, bench)
        if key not in self.bench:
            self.bench[key] = align_benchmark(own, grid, kind=self.kind).to_numpy()
            if key[0] != lookup(bench).calendar:
                log.warning(
                    "%s listings are measured against %s, an index of another exchange (%s vs %s): the two close "
                    "at different hours, so same-day returns are non-synchronous; consider model='scholes_williams' "
                    "or 'dimson', or a benchmark of the listing's own exchange",
                    key[0], bench, lookup(bench).calendar, key[0],
                )
        return self.bench[key]

    def _load_benchmark(self, bench: str) -> pd.Series | str:
        try:
            own = pd.DatetimeIndex(calendar_for(bench).sessions).as_unit("ns")
        except UnknownSymbolError as exc:
            return f"unknown benchmark symbol: {exc}"
        if bench not in self.prices:
            return f"no prices for the benchmark {bench}; load them or choose another benchmark"
        try:
            _, ret = self._returns(bench, own)
        except DataError as exc:
            return f"unusable prices for the benchmark {bench}: {exc}"
        return ret


def _study_span(
    anchored: pd.DataFrame, day0: pd.DatetimeIndex, spec: WindowSpec, layout: _Layout
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Dates the windows of all events can reach, on their securities' calendars, plus a month each side."""
    max_lag = max(0, -min(layout.bench_offsets, default=0))
    max_lead = max(0, max(layout.bench_offsets, default=0))
    los, his = [], []
    for sym, rows in anchored.groupby("symbol", sort=False).indices.items():
        try:
            grid = calendar_for(sym).sessions
        except UnknownSymbolError:
            continue
        pos = grid.get_indexer(day0[rows])
        pos = pos[pos >= 0]
        if len(pos):
            los.append(grid[max(0, pos.min() + spec.estimation[0] - max_lag - 1)])
            his.append(grid[min(len(grid) - 1, pos.max() + spec.event[1] + max_lead)])
    if not los:
        return pd.Timestamp.min, pd.Timestamp.max
    margin = pd.Timedelta(days=31)
    return min(los) - margin, max(his) + margin


def _fmt_dates(dates: np.ndarray) -> str:
    txt = [pd.Timestamp(d).strftime("%Y-%m-%d") for d in dates[:_MAX_LISTED_DATES]]
    more = f" and {len(dates) - _MAX_LISTED_DATES} more" if len(dates) > _MAX_LISTED_DATES else ""
    return ", ".join(txt) + more


def _take(values: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """values[pos] with NaN where pos is outside the array."""
    inside = (pos >= 0) & (pos < len(values))
    out = values[np.clip(pos, 0, len(values) - 1)]
    return np.where(inside, out, np.nan)


# --------------------------------------------------------------------------- panel
def build_panel(
    anchored: pd.DataFrame,
    prices: Mapping[str, pd.Series],
    spec: WindowSpec,
    model: str = "market",
    factors: pd.DataFrame | None = None,
    returns: str = "simple",
    after_gap: str = "missing",
    *,
    dimson_lags: int = 1,
    exclude_dates: Iterable[str | pd.Timestamp] | None = None,
) -> tuple[EventPanel, pd.DataFrame]:
    """Stack the estimation and event windows of all events into arrays.

    Parameters
    ----------
    anchored
        Output of :func:`anchor_events` (columns ``event_id``, ``symbol``,
        ``benchmark``, ``day0``).
    prices
        Symbol -> adjusted closes (Series, or a frame with ``adj_close``),
        indexed by exchange-local trading date, or a
        :class:`~research_lib.data.sources.PriceSource` that gives its returns
        directly (user return data, basket benchmarks).
    spec
        The windows, in sessions relative to day 0.
    model
        Decides the regressors: ``market``/``market_adjusted`` -> ``mkt``;
        ``scholes_williams`` -> ``mkt_lag1, mkt, mkt_lead1``; ``dimson`` ->
        ``mkt_lagK..mkt_leadK`` (``dimson_lags`` = K); ``constant_mean`` ->
        none; ``ff3``/``ff5``/``carhart4`` -> the factors, with y = R - rf and
        ``offset_evt`` = rf.
    factors
        Decimal daily factor returns indexed by date (factor models only).
    returns, after_gap
        Passed to :func:`research_lib.engine.returns.compute_returns`.
    dimson_lags
        Number K of lags and leads of the Dimson model.
    exclude_dates
        Sessions whose returns leave every estimation sample (for example an
        earnings day or a market-wide shock); the window is not shifted, the
        model is fitted on the remaining complete cases and
        ``spec.min_estimation`` applies to what is left.

    Returns
    -------
    panel : EventPanel
        Arrays of the kept events, in input order.
    attrition : pd.DataFrame
        One row per input event: ``event_id``, ``symbol``, ``status``
        (``"kept"`` or ``"excluded"``), ``reason``, ``n_est`` and ``stage``
        (``"panel"``).

    Raises
    ------
    NoValidEventsError
        If every event is excluded (the error's ``attrition`` attribute holds the table).
    WindowError
        If ``spec.min_estimation`` is below k + 2 for ``model``.

    Notes
    -----
    Event time is the session index on the security's exchange calendar:
    tau = 0 is day 0, tau = -1 the previous session of that exchange, and so
    on.  The benchmark's return is computed on the benchmark's own calendar
    and placed on the security's sessions by date, so a benchmark holiday is
    a missing regressor (cross-listed securities).  Lags and leads are the
    benchmark return on the previous and next *security* session.  Factor
    models subtract the (simple) daily risk-free rate from the security's
    return; with ``returns="log"`` this is the usual approximation of the log
    excess return.

    An event is excluded, with a reason naming dates, when: its security or
    benchmark has no prices; day 0 lies outside the security's data; the
    estimation window (with lags) would start before the calendar's first
    session or the event window (with leads) end after its last; fewer than
    ``spec.min_estimation`` estimation sessions have the return and every
    regressor (complete cases); a return or a needed regressor is missing in
    the event window (for Scholes-Williams only ``mkt`` is needed there);
    or a regressor has zero variance over the estimation sample.

    References
    ----------
    MacKinlay (1997); Campbell, Lo and MacKinlay (1997), sec. 4.3.
    """
    if not isinstance(spec, WindowSpec):
        raise InvalidRequestError("spec must be a WindowSpec, e.g. WindowSpec(estimation=(-250, -11), event=(-10, 10))")
    layout = _layout(model, dimson_lags)
    if spec.min_estimation < layout.k + 2:
        raise WindowError(
            f"min_estimation={spec.min_estimation} is too small for model {model!r} with {layout.k} parameters; "
            f"use at least {layout.k + 2}"
        )
    lacking = [c for c in ("event_id", "symbol", "benchmark", "day0") if c not in anchored.columns]
    if lacking:
        raise EventError(f"anchored events lack the column(s) {lacking}; pass the output of anchor_events")
    fac = _check_factors(factors, layout, model)
    tau_est, tau_evt = spec.tau_est, spec.tau_evt
    n, l1, l2, q = len(anchored), len(tau_est), len(tau_evt), len(layout.x_names)
    arr = {
        "y_est": np.full((n, l1), np.nan),
        "y_evt": np.full((n, l2), np.nan),
        "r_evt": np.full((n, l2), np.nan),
        "offset_evt": np.zeros((n, l2)),
        "x_est": np.full((n, l1, q), np.nan),
        "x_evt": np.full((n, l2, q), np.nan),
        "est_dates": np.full((n, l1), np.datetime64("NaT", "ns")),
        "evt_dates": np.full((n, l2), np.datetime64("NaT", "ns")),
    }
    reasons: list[list[str]] = [[] for _ in range(n)]
    day0 = pd.DatetimeIndex(anchored["day0"]).as_unit("ns")
    sources = _Sources(prices, returns, after_gap, _study_span(anchored, day0, spec, layout))
    fac_cache: dict[str, pd.DataFrame] = {}
    groups = anchored.groupby(["symbol", "benchmark"], sort=False, dropna=False).indices
    for (sym, bench), rows in groups.items():
        sec = sources.security(sym)
        if isinstance(sec, str):
            _add(reasons, rows, sec)
            continue
        mkt = None
        if layout.bench_offsets:
            mkt = sources.benchmark(bench, sym, sec.grid)
            if isinstance(mkt, str):
                _add(reasons, rows, mkt)
                continue
        pos0 = sec.grid.get_indexer(day0[rows])
        ok = _check_positions(rows, pos0, day0, sec, sym, spec, layout, reasons)
        rows, pos0 = rows[ok], pos0[ok]
        if len(rows) == 0:
            continue
        p_est = pos0[:, None] + tau_est[None, :]
        p_evt = pos0[:, None] + tau_evt[None, :]
        y_est, y_evt = sec.ret[p_est], sec.ret[p_evt]
        arr["r_evt"][rows] = y_evt
        arr["est_dates"][rows] = sec.grid.values[p_est]
        arr["evt_dates"][rows] = sec.grid.values[p_evt]
        if mkt is not None:
            for j, off in enumerate(layout.bench_offsets):
                arr["x_est"][rows, :, j] = _take(mkt, p_est + off)
                arr["x_evt"][rows, :, j] = _take(mkt, p_evt + off)
        if fac is not None:
            cal_code = lookup(sym).calendar
            if cal_code not in fac_cache:
                # factor returns (US trading days) compounded over each of the security's session intervals
                fac_cache[cal_code] = pd.DataFrame(
                    {c: align_benchmark(fac[c], sec.grid, kind="simple") for c in fac.columns}, index=sec.grid
                )
            f_on_grid = fac_cache[cal_code]
            rf = f_on_grid["rf"].to_numpy()
            for j, col in enumerate(layout.factor_cols):
                vals = f_on_grid[col].to_numpy()
                arr["x_est"][rows, :, j] = vals[p_est]
                arr["x_evt"][rows, :, j] = vals[p_evt]
            y_est = y_est - rf[p_est]
            y_evt = y_evt - rf[p_evt]
            arr["offset_evt"][rows] = rf[p_evt]
        arr["y_est"][rows] = y_est
        arr["y_evt"][rows] = y_evt
    if exclude_dates is not None:
        arr["y_est"] = _mask_dates(arr["y_est"], arr["est_dates"], exclude_dates)
    n_est = _check_samples(arr, reasons, spec, layout)
    return _assemble(anchored, day0, arr, reasons, n_est, tau_est, tau_evt, layout, returns)


def _add(reasons: list[list[str]], rows: np.ndarray, text: str) -> None:
    for r in rows:
        reasons[r].append(text)


def _check_positions(
    rows: np.ndarray,
    pos0: np.ndarray,
    day0: pd.DatetimeIndex,
    sec: _Series,
    sym: str,
    spec: WindowSpec,
    layout: _Layout,
    reasons: list[list[str]],
) -> np.ndarray:
    """Mask of the rows whose windows fit on the calendar and whose day 0 is in the data."""
    max_lag = max(0, -min(layout.bench_offsets, default=0))
    max_lead = max(0, max(layout.bench_offsets, default=0))
    d0 = day0[rows]
    not_session = pos0 < 0
    outside = (d0 < sec.first) | (d0 > sec.last)
    too_early = (pos0 + spec.estimation[0] - max_lag < 0) & ~not_session
    too_late = (pos0 + spec.event[1] + max_lead >= len(sec.grid)) & ~not_session
    bad = not_session | outside | too_early | too_late
    for j in np.flatnonzero(bad):
        r, d = rows[j], d0[j]
        if not_session[j]:
            reasons[r].append(
                f"day 0 {d:%Y-%m-%d} is not a session of {sym}'s exchange; anchor events with anchor_events"
            )
        if outside[j]:
            reasons[r].append(
                f"day 0 {d:%Y-%m-%d} is outside the data of {sym} ({sec.first:%Y-%m-%d}..{sec.last:%Y-%m-%d})"
            )
        if too_early[j]:
            reasons[r].append(
                f"the estimation window would start {max_lag - spec.estimation[0]} sessions before day 0 "
                f"{d:%Y-%m-%d}, before the calendar's first session {sec.grid[0]:%Y-%m-%d}"
            )
        if too_late[j]:
            reasons[r].append(
                f"the event window from day 0 {d:%Y-%m-%d} would end after the calendar's last session "
                f"{sec.grid[-1]:%Y-%m-%d}"
            )
    return ~bad


def _check_samples(
    arr: dict[str, np.ndarray], reasons: list[list[str]], spec: WindowSpec, layout: _Layout
) -> np.ndarray:
    """Complete-case counts, event-window completeness and regressor variance (all events at once)."""
    y_est, x_est, y_evt, x_evt = arr["y_est"], arr["x_est"], arr["y_evt"], arr["x_evt"]
    cc = np.isfinite(y_est) & np.all(np.isfinite(x_est), axis=2)
    n_est = cc.sum(axis=1)
    placed = ~np.isnat(arr["est_dates"][:, 0])  # rows that were gathered
    req = np.array(layout.evt_required, dtype=bool)
    # a missing dependent variable is the security's own return, or (factor models) the risk-free rate
    r_bad = ~np.isfinite(arr["r_evt"])
    y_bad = ~np.isfinite(y_evt) & r_bad
    rf_bad = ~np.isfinite(y_evt) & ~r_bad
    x_bad = ~np.all(np.isfinite(x_evt[:, :, req]), axis=2) if req.any() else np.zeros_like(y_bad)
    x_bad |= rf_bad
    # a regressor without variation over the complete cases (max == min)
    big = np.where(cc[:, :, None], x_est, np.nan)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows of excluded events
        flat = (np.nanmax(big, axis=1) - np.nanmin(big, axis=1)) == 0
    flat &= (n_est >= 2)[:, None]
    too_few = n_est < spec.min_estimation
    bad = placed & (too_few | y_bad.any(axis=1) | x_bad.any(axis=1) | flat.any(axis=1))
    for i in np.flatnonzero(bad):
        dates = arr["est_dates"][i]
        span = f"{_fmt_dates(dates[[0]])}..{_fmt_dates(dates[[-1]])}"
        if too_few[i]:
            reasons[i].append(
                f"only {n_est[i]} complete estimation returns in {span} ({len(dates)} sessions; no security "
                f"return or regressor on {_fmt_dates(dates[~cc[i]])}); min_estimation={spec.min_estimation}: "
                "lengthen the estimation window or lower min_estimation"
            )
        if y_bad[i].any():
            reasons[i].append(
                f"missing security return in the event window on {_fmt_dates(arr['evt_dates'][i][y_bad[i]])}"
            )
        if x_bad[i].any():
            reasons[i].append(
                f"missing {'factor' if layout.factor_cols else 'benchmark'} return in the event window on "
                f"{_fmt_dates(arr['evt_dates'][i][x_bad[i]])} (no {'factor' if layout.factor_cols else 'benchmark'} "
                "return over that session's interval, e.g. a holiday of the index's market); shorten the event "
                "window or use a benchmark of the security's own exchange"
            )
        if flat[i].any():
            names = ", ".join(name for name, f in zip(layout.x_names, flat[i], strict=True) if f)
            reasons[i].append(
                f"zero variance of {names} over the estimation sample {span}; the slope cannot be estimated: "
                "check the benchmark prices or use constant_mean"
            )
    return n_est


def _assemble(
    anchored: pd.DataFrame,
    day0: pd.DatetimeIndex,
    arr: dict[str, np.ndarray],
    reasons: list[list[str]],
    n_est: np.ndarray,
    tau_est: np.ndarray,
    tau_evt: np.ndarray,
    layout: _Layout,
    kind: str,
) -> tuple[EventPanel, pd.DataFrame]:
    keep = np.array([not r for r in reasons], dtype=bool)
    first = pd.DatetimeIndex(arr["est_dates"][:, 0]).strftime("%Y-%m-%d")
    last = pd.DatetimeIndex(arr["est_dates"][:, -1]).strftime("%Y-%m-%d")
    attrition = pd.DataFrame(
        {
            "event_id": anchored["event_id"].to_numpy(),
            "symbol": anchored["symbol"].to_numpy(),
            "status": np.where(keep, "kept", "excluded"),
            "reason": [
                "; ".join(r) if r else f"{m} complete estimation returns, {a}..{b}"
                for r, m, a, b in zip(reasons, n_est, first, last, strict=True)
            ],
            "n_est": np.where(keep, n_est, 0),
            "stage": "panel",
        }
    )
    if not keep.any():
        lines = "; ".join(f"{e}: {r}" for e, r in zip(attrition["event_id"], attrition["reason"], strict=True))
        msg = f"all {len(keep)} events were excluded: {lines}" if len(keep) else "no events to build a panel from"
        err = NoValidEventsError(msg)
        err.attrition = attrition  # type: ignore[attr-defined]
        raise err
    panel = EventPanel(
        event_ids=anchored["event_id"].to_numpy()[keep],
        symbols=anchored["symbol"].astype(str).to_numpy()[keep],
        benchmarks=anchored["benchmark"].astype(str).to_numpy()[keep],
        day0=day0.values[keep],
        tau_est=tau_est,
        tau_evt=tau_evt,
        est_dates=arr["est_dates"][keep],
        evt_dates=arr["evt_dates"][keep],
        y_est=arr["y_est"][keep],
        y_evt=arr["y_evt"][keep],
        x_est=arr["x_est"][keep],
        x_evt=arr["x_evt"][keep],
        r_evt=arr["r_evt"][keep],
        offset_evt=arr["offset_evt"][keep],
        x_names=layout.x_names,
        returns_kind=kind,
    )
    return panel, attrition


__all__ = ["FACTOR_COLUMNS", "PANEL_MODELS", "WindowSpec", "anchor_events", "build_panel"]


def _mask_dates(values: np.ndarray, dates: np.ndarray, drop: Iterable[str | pd.Timestamp]) -> np.ndarray:
    want = pd.DatetimeIndex([pd.Timestamp(d) for d in drop]).normalize().as_unit("ns").values
    return np.where(np.isin(dates, want), np.nan, values)


def mask_estimation_dates(panel: EventPanel, dates: Iterable[str | pd.Timestamp]) -> tuple[EventPanel, np.ndarray]:
    """Drop the estimation-window returns dated on ``dates`` from a built panel (set them missing).

    Returns the new panel and, per event, how many previously valid returns were removed.
    Event-window arrays are unchanged.  ``build_panel(..., exclude_dates=...)`` does the
    same while building, so that ``min_estimation`` and the attrition table apply.
    """
    y = _mask_dates(panel.y_est, panel.est_dates, list(dates))
    n_masked = (np.isfinite(panel.y_est) & ~np.isfinite(y)).sum(axis=1)
    return replace(panel, y_est=y), n_masked
