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
from dataclasses import dataclass, field, replace
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

from research_lib.data._common import values_on_dates
from research_lib.data.screen import (
    Finding,
    ScreenConfig,
    ScreenReport,
    check_on_suspect,
    screen_prices,
    zero_variance_rows,
)
from research_lib.data.sources import PriceSource
from research_lib.engine.panel import EventPanel
from research_lib.engine.returns import _DAY_NS, align_benchmark, compute_returns
from research_lib.errors import (
    DataError,
    DesignError,
    EventError,
    InvalidRequestError,
    NoValidEventsError,
    UnknownSymbolError,
    WindowError,
)
from research_lib.listings.calendars import calendar_for, day_zero, get_calendar
from research_lib.listings.symbols import lookup
from research_lib.models.registry import REGISTRY, Layout, get_model, model_names

_MAX_LISTED_DATES = 8

log = logging.getLogger(__name__)

LeadLag = Literal["trim", "extend"]
_LEAD_LAG = ("trim", "extend")


def __getattr__(name: str) -> Any:
    # model knowledge lives in the model registry; these names are live views of it
    if name == "FACTOR_COLUMNS":  # factor columns (besides rf) used by each factor model
        return {n: m.layout().factor_cols for n, m in REGISTRY.items() if m.layout().factor_cols}
    if name == "BENCHMARK_MODELS":  # models that need a benchmark return
        return tuple(n for n, m in REGISTRY.items() if m.layout().needs_benchmark)
    if name == "PANEL_MODELS":
        return model_names()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --------------------------------------------------------------------------- spec
@dataclass(frozen=True)
class WindowSpec:
    """Estimation and event windows in event time (sessions relative to day 0).

    Attributes
    ----------
    estimation
        (first, last) session of the estimation window, inclusive.
    event
        (first, last) session of the event window, inclusive.
    min_estimation
        minimum number of complete-case estimation returns an
        event needs to be kept.
    lead_lag
        where the lagged and leading benchmark returns of the
        estimation window come from (Scholes-Williams, Dimson).  ``"trim"``
        (default): only estimation-window returns; an estimation day whose lag
        or lead falls outside the window (the first K and last K days for K
        lags and leads) has that regressor missing and leaves the estimation
        sample, so the lead of the last estimation day is never an event-window
        return.  ``"extend"``: the lag and lead are the benchmark returns of the
        neighbouring sessions wherever they are (the behaviour before this
        option; the lead of day -11 is then the return of day -10).

    Raises
    ------
    WindowError
        If a window is not ordered, the estimation window does not end before
        the event window starts, or ``min_estimation`` cannot be met or is too
        small to estimate a variance (it must be at least k + 2 with k = 1 for
        the smallest estimated model; :func:`build_panel` checks the model's own k).

    Examples
    --------
    >>> from research_lib import WindowSpec
    >>> spec = WindowSpec(estimation=(-120, -11), event=(-5, 5), min_estimation=60)
    >>> spec.estimation, spec.event
    ((-120, -11), (-5, 5))
    >>> WindowSpec(estimation=(-10, 0), event=(-5, 5))
    Traceback (most recent call last):
    ...
    research_lib.errors.WindowError: estimation window (-10, 0) overlaps or follows the event window (-5, 5); end the estimation window before the event window starts, e.g. estimation=(-10, -6)
    """

    estimation: tuple[int, int] = (-250, -11)
    event: tuple[int, int] = (-10, 10)
    min_estimation: int = 120
    lead_lag: LeadLag = "trim"

    def __post_init__(self) -> None:
        if self.lead_lag not in _LEAD_LAG:
            raise WindowError(f"lead_lag={self.lead_lag!r} is not one of {_LEAD_LAG}; use 'trim' (default) or 'extend'")
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
def _missing(value: Any) -> bool:  # a cell of the events table: any type
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(pd.isna(cast(Any, value)))
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


def _as_date(value: Any, eid: object) -> pd.Timestamp:
    try:
        d = pd.Timestamp(cast(Any, value))
    except (TypeError, ValueError) as exc:
        raise EventError(f"event {eid}: event_date {value!r} is not a date; write it as YYYY-MM-DD") from exc
    if d.tzinfo is not None:
        d = d.tz_localize(None)
    return d.normalize()


def _anchor_timestamp(eid: object, sym: str, ts: Any, date: Any) -> _Anchor:
    """Day 0 from an announcement time (an EventError propagates, naming the event)."""
    try:
        parsed = pd.Timestamp(cast(Any, ts))
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


def _anchor_dates(eids: list[object], syms: list[str], dates: pd.Series) -> tuple[np.ndarray, ...]:
    """Day 0 from dates without a time, looked up in each calendar's sessions at once.

    Returns the arrays ``status, day0 (datetime64[ns]), rule, reason`` of these rows.
    """
    m = len(syms)
    status = np.full(m, "excluded", dtype=object)
    day0 = np.full(m, np.datetime64("NaT"), dtype="datetime64[ns]")
    rule = np.full(m, "", dtype=object)
    reason = np.full(m, "", dtype=object)
    days = _as_dates(dates, eids)
    known: dict[str, str] = {}
    codes = np.array([known[s] if s in known else known.setdefault(s, lookup(s).calendar) for s in syms], dtype=object)
    for code in dict.fromkeys(codes.tolist()):
        rows = np.flatnonzero(codes == code)
        sess = pd.DatetimeIndex(get_calendar(code).sessions)
        d = days[rows]
        found = sess[np.minimum(sess.searchsorted(d, side="left"), len(sess) - 1)]
        first, last = sess[0], sess[-1]
        outside = np.asarray((d < first) | (d > last))
        exact = ~outside & np.asarray(found == d)
        text = d.strftime("%Y-%m-%d")
        hit = rows[exact]
        status[hit], rule[hit] = "kept", "date"
        day0[hit] = d[exact].as_unit("ns").values
        reason[hit] = [f"day 0 given as the {code} session {t}" for t in text[exact]]
        for j in np.flatnonzero(outside).tolist():
            reason[rows[j]] = (f"event date {text[j]} is outside the {code} calendar "
                               f"({first:%Y-%m-%d}..{last:%Y-%m-%d})")
        for j in np.flatnonzero(~outside & ~exact).tolist():
            i, nxt = rows[j], found[j]
            why = f"event date {text[j]} ({d[j]:%A}) is not a {code} session; day 0 is the next session {nxt:%Y-%m-%d}"
            # a typed date that is not a session is probably a mistake: say so where it is seen
            log.warning("%s: %s (give a session date, or announced_at with its time zone)", eids[i], why)
            status[i], day0[i], rule[i], reason[i] = "shifted", nxt.as_unit("ns").to_datetime64(), "non_trading_day", why
    return status, day0, rule, reason


def _as_dates(dates: pd.Series, eids: list[object]) -> pd.DatetimeIndex:
    """:func:`_as_date` of every value: a datetime column at once, anything else value by value."""
    if dates.dtype.kind == "M":
        idx = pd.DatetimeIndex(dates)
        return (idx.tz_localize(None) if idx.tz is not None else idx).normalize()
    return pd.DatetimeIndex([_as_date(d, e) for d, e in zip(dates.tolist(), eids, strict=True)])


def _missing_cells(column: pd.Series | None, n: int) -> np.ndarray:
    """``_missing`` of every cell of a column (all True when the column is absent); a datetime column at once."""
    if column is None:
        return np.ones(n, dtype=bool)
    if column.dtype.kind == "M":
        return np.asarray(column.isna(), dtype=bool)
    return np.fromiter(map(_missing, column.tolist()), dtype=bool, count=n)


def _symbol_problems(syms: list[object], benches: list[object]) -> list[str | None]:
    """:func:`_symbol_problem` of every row, evaluated once per distinct (security, benchmark) pair."""
    known: dict[object, str | None] = {}
    pairs: dict[tuple[object, object], str | None] = {}
    out: list[str | None] = []
    for key in zip(syms, benches, strict=True):
        if key not in pairs:
            pairs[key] = _symbol_problem(key[0], key[1], known)
        out.append(pairs[key])
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
    dates = events["event_date"] if has_date else None
    problems = _symbol_problems(syms, benches)
    bad_symbol = np.array([p is not None for p in problems], dtype=bool)
    no_stamp = _missing_cells(events["announced_at"] if has_ts else None, n)
    no_date = _missing_cells(dates, n)
    status = np.full(n, "excluded", dtype=object)
    day0 = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    rule = np.full(n, "", dtype=object)
    reason = np.array(["" if p is None else p for p in problems], dtype=object)
    for i in np.flatnonzero(~bad_symbol & ~no_stamp).tolist():  # announcement times: one calendar rule each
        status[i], day, rule[i], reason[i] = _anchor_timestamp(eids[i], syms[i], stamps[i],
                                                              None if dates is None else dates.iloc[i])
        if day is not None:
            day0[i] = pd.Timestamp(day).as_unit("ns").to_datetime64()
    reason[~bad_symbol & no_stamp & no_date] = "neither event_date nor announced_at is given; supply one of them"
    by_date = np.flatnonzero(~bad_symbol & no_stamp & ~no_date)
    if len(by_date) and dates is not None:
        picked = _anchor_dates([eids[i] for i in by_date], [syms[i] for i in by_date], dates.iloc[by_date])
        status[by_date], day0[by_date], rule[by_date], reason[by_date] = picked
    attrition = pd.DataFrame(
        {
            "event_id": events["event_id"].to_numpy(),
            "symbol": events["symbol"].to_numpy(),
            "status": status.tolist(),
            "reason": reason.tolist(),
            "stage": "anchor",
        }
    )
    keep = status != "excluded"
    anchored = events.loc[keep].copy().reset_index(drop=True)
    anchored["day0"] = pd.DatetimeIndex(day0[keep])
    anchored["anchor_rule"] = rule[keep].tolist()
    anchored["anchor_reason"] = reason[keep].tolist()
    return anchored, attrition


# --------------------------------------------------------------------------- layout
_Layout = Layout  # the registry's layout (kept under its former name)


def _layout(model: str, dimson_lags: int) -> Layout:
    """The regressors ``model`` needs, from the model registry."""
    return get_model(model).layout(dimson_lags)


def _trim_lead_lag(x_est: np.ndarray, layout: Layout) -> np.ndarray:
    """x_est with each lag/lead missing where it would reach outside the estimation window."""
    l1 = x_est.shape[1]
    pos = np.arange(l1)
    for j, off in enumerate(layout.bench_offsets):
        if off:
            outside = (pos + off < 0) | (pos + off >= l1)
            x_est[:, outside, j] = np.nan
    return x_est


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
    market_col = "mkt_rf" if "mkt_rf" in fac.columns else layout.factor_cols[0]
    med = float(np.nanmedian(np.abs(fac[market_col].to_numpy())))
    if med > 0.05:
        raise DataError(
            f"factor returns look like percent (median |mkt_rf| = {med:.3g}); divide them by 100 to get decimal returns"
        )
    fac.index = pd.DatetimeIndex(fac.index).normalize().as_unit("ns")
    return fac


#: exchange calendars of the market that the Ken French US factors describe
US_CALENDARS = ("XNYS", "XNAS", "XASE", "ARCX", "BATS")


class FactorRegionWarning(UserWarning):
    """Factors of one market fitted to a listing of another (e.g. US Fama-French on a Hong Kong share)."""


def _check_factor_region(anchored: pd.DataFrame, fac: pd.DataFrame | None, model: str) -> None:
    """Warn when the factors' region (``factors.attrs["region"]``, default ``"US"``) is not the listings' market."""
    if fac is None or not len(anchored):
        return
    region = str(fac.attrs.get("region", "US"))
    if region.upper() not in ("US", "USA", "UNITED STATES"):
        return  # other regions: the caller said which market they describe; nothing to compare here
    foreign = {}
    for sym in dict.fromkeys(anchored["symbol"].astype(str)):
        try:
            code = lookup(sym).calendar
        except UnknownSymbolError:
            continue
        if code not in US_CALENDARS:
            foreign[sym] = code
    if foreign:
        shown = ", ".join(f"{s} ({c})" for s, c in list(foreign.items())[:8])
        warnings.warn(FactorRegionWarning(
            f"model {model!r} uses {region} factors (Ken French's US files) for listing(s) of another market: {shown}; "
            "their risk premia and holidays are those of the US (US holidays leave factor returns missing on the "
            "listing's sessions): use factors of the listing's own region (set factors.attrs['region']) or a "
            "market model with a local index"), stacklevel=3)


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
    closed: pd.DatetimeIndex = field(default_factory=lambda: pd.DatetimeIndex([]))  # unscheduled closures


class _Sources:
    """Returns of securities and benchmarks, computed once per symbol, and the screen of their prices.

    Prices are cut to ``span`` (the dates the study's windows can reach, with a
    month of margin) before returns are computed, so that data problems far
    from every event (and the work of computing returns there) are skipped.
    Each series is screened (:func:`research_lib.data.screen.screen_prices`)
    on the same dates.  A session of an exchange calendar that *no* series of
    that exchange has, while at least two of them (a security and a benchmark
    of its own exchange) trade around it, is an unscheduled closure (a typhoon
    or rainstorm day the calendar does not know): it leaves the grid, so that
    windows are counted without it (see :meth:`closures`).
    """

    def __init__(
        self,
        prices: Mapping[str, pd.Series],
        kind: str,
        after_gap: str,
        span: tuple[pd.Timestamp, pd.Timestamp],
        screen: ScreenConfig | None = None,
    ):
        self.prices, self.kind, self.after_gap, self.span = prices, kind, after_gap, span
        self.screen = screen or ScreenConfig()
        self.sec: dict[str, _Series | str] = {}
        self.bench_own: dict[str, pd.Series | str] = {}
        self.bench: dict[tuple[str, str], np.ndarray | str] = {}
        self.reports: dict[str, ScreenReport] = {}
        self._closed: dict[str, pd.DatetimeIndex] = {}
        self._cut: dict[str, pd.Series] = {}
        self._grids: dict[str, pd.DatetimeIndex] = {}  # per calendar code: every listing of it shares the grid
        self._bench_log: dict[tuple[str, str], pd.Series] = {}  # benchmark log returns on a calendar's grid

    def _returns(self, symbol: str, grid: pd.DatetimeIndex) -> tuple[pd.Series, pd.Series]:
        obj = self.prices[symbol]
        if isinstance(obj, PriceSource):  # returns given directly (user return data, baskets): no price round trip
            return obj.returns_on(grid, self.kind, self.span)
        px = _as_prices(obj, symbol)
        px.index = pd.DatetimeIndex(px.index).as_unit("ns")
        lo, hi = self.span
        cut = px[(px.index >= lo) & (px.index <= hi)]
        sub = grid[(grid >= lo) & (grid <= hi)]
        ret = compute_returns(cut, sub, kind=self.kind, after_gap=self.after_gap)
        self._cut[symbol] = cut[cut.index.isin(sub)]  # screened when first asked for (see report)
        return px.dropna(), ret

    def report(self, symbol: str) -> ScreenReport:
        """The screen of a series on its own (no benchmark), computed once when first asked for.

        A security with a benchmark is screened against it in :meth:`findings` instead, so its
        report on its own is only computed where it is used.
        """
        if symbol not in self.reports:
            cut = self._cut.get(symbol)
            self.reports[symbol] = ScreenReport(symbol) if cut is None else screen_prices(cut, symbol, config=self.screen)
        return self.reports[symbol]

    def grid(self, symbol: str) -> pd.DatetimeIndex:
        """The listing's sessions without the unscheduled closures of its exchange (built once per calendar)."""
        code = lookup(symbol).calendar
        if code not in self._grids:
            grid = pd.DatetimeIndex(get_calendar(code).sessions).as_unit("ns")
            closed = self.closures(code)
            self._grids[code] = grid.difference(closed) if len(closed) else grid
        return self._grids[code]

    def closures(self, code: str) -> pd.DatetimeIndex:
        """Sessions of calendar ``code`` in the study's span that every series of that exchange lacks.

        Needs at least two series of the exchange trading on both sides of the
        date; runs longer than three sessions are missing data, not closures.
        """
        if code not in self._closed:
            self._closed[code] = self._find_closures(code)
        return self._closed[code]

    def _find_closures(self, code: str) -> pd.DatetimeIndex:
        lo, hi = self.span
        sess = pd.DatetimeIndex(get_calendar(code).sessions).as_unit("ns")
        sess = sess[(sess >= lo) & (sess <= hi)]
        have = np.zeros(len(sess), dtype=bool)
        covered = np.zeros(len(sess), dtype=int)
        for sym, obj in self.prices.items():
            try:
                if lookup(sym).calendar != code:
                    continue
                if isinstance(obj, PriceSource):  # given returns (a basket has none of its own: skipped)
                    own = getattr(obj, "returns", None)
                    if not isinstance(own, pd.Series):
                        continue
                    px = own.dropna()
                else:
                    px = _as_prices(obj, sym).dropna()
                idx = pd.DatetimeIndex(px.index).as_unit("ns")
                if idx.tz is not None or (idx.asi8 % _DAY_NS).any():  # times of day: keep the date only
                    idx = idx.normalize()
            except (UnknownSymbolError, DataError, TypeError, ValueError):
                continue
            if idx.empty:
                continue
            have |= sess.isin(idx) if idx.tz is not None else _on_dates(sess, idx)
            covered += (sess > idx.min()) & (sess < idx.max())
        gap = ~have & (covered >= 2)
        # keep only short runs (1-3 sessions): a long common gap is missing data
        keep = gap.copy()
        starts = np.flatnonzero(gap & ~np.concatenate([[False], gap[:-1]]))
        for s0 in starts:
            n = 0
            while s0 + n < len(gap) and gap[s0 + n]:
                n += 1
            if n > 3:
                keep[s0:s0 + n] = False
        closed = pd.DatetimeIndex(sess[keep], name="date")
        if len(closed):
            log.warning(
                "%s: %d calendar session(s) that no series of the exchange traded (%s) are treated as unscheduled "
                "closures and left out of every window", code, len(closed), _fmt_dates(closed.values),
            )
        return closed

    def security(self, sym: str) -> _Series | str:
        """Returns of a security on its calendar, or the reason it has none."""
        if sym not in self.sec:
            self.sec[sym] = self._load_security(sym)
        return self.sec[sym]

    def _load_security(self, sym: str) -> _Series | str:
        try:
            calendar_for(sym)
        except UnknownSymbolError as exc:
            return f"unknown security symbol: {exc}"
        if sym not in self.prices:
            return f"no prices for the security {sym}; load them or drop the event"
        grid = self.grid(sym)
        try:
            valid, ret = self._returns(sym, grid)
        except DataError as exc:
            return f"unusable prices for {sym}: {exc}"
        if valid.empty:
            return f"no prices for the security {sym} (the series is empty); load them or drop the event"
        full = values_on_dates(ret, grid)
        return _Series(grid, full, pd.Timestamp(valid.index.min()), pd.Timestamp(valid.index.max()),
                       self.closures(lookup(sym).calendar))

    def benchmark(self, bench: object, sym: str, grid: pd.DatetimeIndex) -> np.ndarray | str:
        """Benchmark returns over the security's session intervals (see ``align_benchmark``), or a reason."""
        if _missing(bench):
            return "no benchmark given; the model needs one (fill the benchmark column)"
        bench = str(bench)
        if bench.strip().upper() == sym.strip().upper():
            raise DesignError(
                f"the benchmark of {sym} is {sym} itself: the market model would fit alpha 0, beta 1 and sigma 0, "
                f"and every abnormal return would be 0; use a market index as the benchmark (for a "
                f"{lookup(sym).calendar} listing, e.g. {lookup(sym).benchmark}), or model='constant_mean'"
            )
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
            calendar_for(bench)
        except UnknownSymbolError as exc:
            return f"unknown benchmark symbol: {exc}"
        if bench not in self.prices:
            return f"no prices for the benchmark {bench}; load them or choose another benchmark"
        try:
            _, ret = self._returns(bench, self.grid(bench))
        except DataError as exc:
            return f"unusable prices for the benchmark {bench}: {exc}"
        return ret

    def findings(self, sym: str, bench: object, grid: pd.DatetimeIndex) -> list[Finding]:
        """Screen findings of a security, judged against its benchmark's returns when it has one, and of
        the benchmark itself."""
        if _missing(bench) or str(bench) not in self.prices or str(bench) == sym or sym not in self._cut:
            return list(self.report(sym).findings)
        b = self.bench_own.get(str(bench))
        if b is None:
            b = self.bench_own[str(bench)] = self._load_benchmark(str(bench))
        if isinstance(b, str):
            return list(self.report(sym).findings)
        key = (lookup(sym).calendar, str(bench))  # the grid is the calendar's (see grid): one alignment per pair
        if key not in self._bench_log:
            self._bench_log[key] = pd.Series(np.log1p(align_benchmark(b, grid, kind="simple").to_numpy()), index=grid)
        own = screen_prices(self._cut[sym], sym, benchmark=self._bench_log[key], config=self.screen).findings
        return [*own, *self.report(str(bench)).findings]


def _on_dates(sess: pd.DatetimeIndex, dates: pd.DatetimeIndex) -> np.ndarray:
    """``sess.isin(dates)`` for sorted sessions (both in ns), by binary search instead of a hash table per series."""
    s, d = sess.asi8, dates.asi8
    pos = np.searchsorted(s, d)
    inside = pos < len(s)
    pos, d = pos[inside], d[inside]
    hit = np.zeros(len(s), dtype=bool)
    hit[pos[s[pos] == d]] = True
    return hit


def date_ranges(
    anchored: pd.DataFrame, spec: WindowSpec, lags: int = 0, leads: int = 0
) -> dict[str, tuple[pd.Timestamp, pd.Timestamp]]:
    """First and last date each security and benchmark must cover: the one computation of the study's dates.

    The windows are counted in each security's own sessions, ``lags`` and ``leads`` sessions more for
    lagged and led regressors, three sessions more for the price before the first return, and ten
    calendar days more for a benchmark on another calendar whose holidays fall at the edges.  The
    loader (:func:`research_lib.study.event_study`) fetches each symbol over its range; ``build_panel``
    cuts prices to the union of the ranges before computing returns.  Events whose security is not in
    the registry are skipped (they are excluded when anchored).
    """
    margin = pd.Timedelta(days=10)
    day0 = pd.DatetimeIndex(pd.to_datetime(anchored["day0"]))
    symbols = anchored["symbol"].astype(str).to_numpy()
    benches = anchored["benchmark"].to_numpy()
    lo = np.full(len(symbols), np.datetime64("NaT"), dtype="datetime64[ns]")
    hi = lo.copy()
    known = np.zeros(len(symbols), dtype=bool)
    codes, uniques = pd.factorize(symbols)
    for k, sym in enumerate(uniques):  # one calendar per security, all its events at once
        try:
            sess = calendar_for(sym).sessions
        except UnknownSymbolError:
            continue
        rows = np.flatnonzero(codes == k)
        pos = sess.searchsorted(day0[rows])
        lo[rows] = (sess[np.clip(pos + spec.estimation[0] - lags - 3, 0, len(sess) - 1)] - margin).to_numpy()
        hi[rows] = (sess[np.clip(pos + spec.event[1] + leads + 3, 0, len(sess) - 1)] + margin).to_numpy()
        known[rows] = True
    bench_ok = np.array([not _missing(b) for b in benches], dtype=bool)
    names = np.concatenate([symbols[known], np.asarray(benches, dtype=object)[known & bench_ok].astype(str)])
    both = pd.DataFrame({"name": names, "lo": np.concatenate([lo[known], lo[known & bench_ok]]),
                         "hi": np.concatenate([hi[known], hi[known & bench_ok]])})
    # keys in first-seen order, security by security (its events in order, each security before its
    # benchmark): the order of the per-event loop this replaces
    order = np.concatenate([np.flatnonzero(known), np.flatnonzero(known & bench_ok)])
    slot = np.concatenate([np.zeros(known.sum()), np.ones((known & bench_ok).sum())])
    both = both.assign(_c=codes[order], _o=order, _s=slot).sort_values(["_c", "_o", "_s"], kind="stable")
    agg = both.groupby("name", sort=False).agg(lo=("lo", "min"), hi=("hi", "max"))
    return {str(k): (pd.Timestamp(a), pd.Timestamp(b)) for k, a, b in zip(agg.index, agg["lo"], agg["hi"], strict=True)}


def _study_span(
    anchored: pd.DataFrame, day0: pd.DatetimeIndex, spec: WindowSpec, layout: _Layout
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The union of :func:`date_ranges`: the dates the windows of all events can reach."""
    ranges = date_ranges(anchored.assign(day0=day0), spec, layout.max_lag, layout.max_lead)
    if not ranges:
        return pd.Timestamp.min, pd.Timestamp.max
    return min(lo for lo, _ in ranges.values()), max(hi for _, hi in ranges.values())


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
    on_suspect: str = "warn",
    screen: ScreenConfig | None = None,
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
        A registered model (:mod:`research_lib.models.registry`); its
        :meth:`~research_lib.models.registry.Model.layout` decides the
        regressors: ``market``/``market_adjusted`` -> ``mkt``;
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
    on_suspect, screen
        What to do with an event whose windows hold a value flagged by the
        price screen (:mod:`research_lib.data.screen`, thresholds ``screen``):
        ``"warn"`` keeps it with status ``"suspect"``, ``"exclude"`` excludes
        it, ``"ignore"`` does neither.  Zero variance of the security's
        estimation returns excludes the event unless ``"ignore"``.

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
    benchmark return on the previous and next *security* session; in the
    estimation window only those inside the window are used unless
    ``spec.lead_lag="extend"`` (see :class:`WindowSpec`).  Factor
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

    Examples
    --------
    >>> from research_lib import WindowSpec, build_panel
    >>> from research_lib.engine.windows import anchor_events
    >>> from research_lib.examples import example_events, example_prices
    >>> anchored, _ = anchor_events(example_events())
    >>> panel, table = build_panel(anchored, example_prices(), WindowSpec(), model="market")
    >>> panel.y_est.shape, list(table["status"].unique())
    ((5, 240), ['kept'])
    """
    if not isinstance(spec, WindowSpec):
        raise InvalidRequestError("spec must be a WindowSpec, e.g. WindowSpec(estimation=(-250, -11), event=(-10, 10))")
    layout = _layout(model, dimson_lags)
    _check_panel_request(anchored, spec, layout, model)
    day0 = pd.DatetimeIndex(anchored["day0"]).as_unit("ns")
    fac = _check_factors(factors, layout, model)
    _check_factor_region(anchored, fac, model)
    job = _PanelJob(
        arr=_empty_arrays(len(anchored), len(spec.tau_est), len(spec.tau_evt), len(layout.x_names)),
        reasons=[[] for _ in range(len(anchored))],
        sources=_Sources(prices, returns, after_gap, _study_span(anchored, day0, spec, layout), screen),
        day0=day0,
        spec=spec,
        layout=layout,
        fac=fac,
    )
    for sym, bench, rows in _symbol_groups(anchored):
        _fill_group(job, sym, bench, rows)
    if spec.lead_lag == "trim":
        job.arr["x_est"] = _trim_lead_lag(job.arr["x_est"], layout)
    if exclude_dates is not None:
        job.arr["y_est"] = _mask_dates(job.arr["y_est"], job.arr["est_dates"], exclude_dates)
    n_est = _check_samples(job.arr, job.reasons, spec, layout)
    notes = _screen_events(anchored, job.arr, job.reasons, job.sources, check_on_suspect(on_suspect))
    panel, attrition = _assemble(anchored, day0, job.arr, job.reasons, n_est, spec.tau_est, spec.tau_evt, layout, returns)
    return panel, _mark_suspects(attrition, notes, on_suspect)


@dataclass
class _PanelJob:
    """The state build_panel fills group by group: arrays, reasons, the return sources and the design."""

    arr: dict[str, np.ndarray]
    reasons: list[list[str]]
    sources: _Sources
    day0: pd.DatetimeIndex
    spec: WindowSpec
    layout: _Layout
    fac: pd.DataFrame | None
    fac_cache: dict[str, pd.DataFrame] = field(default_factory=dict)


def _check_panel_request(anchored: pd.DataFrame, spec: WindowSpec, layout: _Layout, model: str) -> None:
    if spec.min_estimation < layout.k + 2:
        raise WindowError(
            f"min_estimation={spec.min_estimation} is too small for model {model!r} with {layout.k} parameters; "
            f"use at least {layout.k + 2}"
        )
    lacking = [c for c in ("event_id", "symbol", "benchmark", "day0") if c not in anchored.columns]
    if lacking:
        raise EventError(f"anchored events lack the column(s) {lacking}; pass the output of anchor_events")


def _empty_arrays(n: int, l1: int, l2: int, q: int) -> dict[str, np.ndarray]:
    """NaN-filled panel arrays (zeros for the offset), one row per event."""
    return {
        "y_est": np.full((n, l1), np.nan),
        "y_evt": np.full((n, l2), np.nan),
        "r_evt": np.full((n, l2), np.nan),
        "offset_evt": np.zeros((n, l2)),
        "x_est": np.full((n, l1, q), np.nan),
        "x_evt": np.full((n, l2, q), np.nan),
        "est_dates": np.full((n, l1), np.datetime64("NaT", "ns")),
        "evt_dates": np.full((n, l2), np.datetime64("NaT", "ns")),
    }


def _symbol_groups(anchored: pd.DataFrame) -> list[tuple[str, str, np.ndarray]]:
    """(security, benchmark, row positions) for each pair, in order of first appearance."""
    groups = anchored.groupby(["symbol", "benchmark"], sort=False, dropna=False).indices
    out = []
    for key, rows in groups.items():
        sym, bench = cast(tuple[str, str], key)  # a two-column groupby key is a pair
        out.append((sym, bench, np.asarray(rows, dtype=np.intp)))
    return out


def _fill_group(job: _PanelJob, sym: str, bench: str, rows: np.ndarray) -> None:
    """Returns, regressors and dates of the events of one security-benchmark pair."""
    sec = job.sources.security(sym)
    if isinstance(sec, str):
        _add(job.reasons, rows, sec)
        return
    mkt: np.ndarray | None = None
    if job.layout.bench_offsets:
        got = job.sources.benchmark(bench, sym, sec.grid)
        if isinstance(got, str):
            _add(job.reasons, rows, got)
            return
        mkt = got
    pos0 = sec.grid.get_indexer(job.day0[rows])
    ok = _check_positions(rows, pos0, job.day0, sec, sym, job.spec, job.layout, job.reasons)
    rows, pos0 = rows[ok], pos0[ok]
    if len(rows) == 0:
        return
    arr = job.arr
    p_est = pos0[:, None] + job.spec.tau_est[None, :]
    p_evt = pos0[:, None] + job.spec.tau_evt[None, :]
    y_est, y_evt = sec.ret[p_est], sec.ret[p_evt]
    arr["r_evt"][rows] = y_evt
    arr["est_dates"][rows] = sec.grid.values[p_est]
    arr["evt_dates"][rows] = sec.grid.values[p_evt]
    if mkt is not None:
        for j, off in enumerate(job.layout.bench_offsets):
            arr["x_est"][rows, :, j] = _take(mkt, p_est + off)
            arr["x_evt"][rows, :, j] = _take(mkt, p_evt + off)
    if job.fac is not None:
        rf = _fill_factors(job, sym, sec.grid, rows, p_est, p_evt)
        y_est = y_est - rf[p_est]
        y_evt = y_evt - rf[p_evt]
        arr["offset_evt"][rows] = rf[p_evt]
    arr["y_est"][rows] = y_est
    arr["y_evt"][rows] = y_evt


def _fill_factors(
    job: _PanelJob, sym: str, grid: pd.DatetimeIndex, rows: np.ndarray, p_est: np.ndarray, p_evt: np.ndarray
) -> np.ndarray:
    """Put the factor regressors of ``rows`` in place; return the risk-free rate on the security's sessions."""
    assert job.fac is not None
    cal_code = lookup(sym).calendar
    if cal_code not in job.fac_cache:
        # factor returns (US trading days) compounded over each of the security's session intervals
        job.fac_cache[cal_code] = pd.DataFrame(
            {c: align_benchmark(job.fac[c], grid, kind="simple") for c in job.fac.columns}, index=grid
        )
    f_on_grid = job.fac_cache[cal_code]
    for j, col in enumerate(job.layout.factor_cols):
        vals = f_on_grid[col].to_numpy()
        job.arr["x_est"][rows, :, j] = vals[p_est]
        job.arr["x_evt"][rows, :, j] = vals[p_evt]
    return f_on_grid["rf"].to_numpy()


def _screen_events(
    anchored: pd.DataFrame, arr: dict[str, np.ndarray], reasons: list[list[str]], sources: _Sources, on_suspect: str
) -> list[list[str]]:
    """Screen findings and unscheduled closures inside each event's windows.

    Returns one list of notes per event.  Under ``"exclude"`` a suspect value
    is also added to the event's exclusion reasons; zero variance of the
    security's estimation returns always is, unless ``"ignore"``.
    """
    notes: list[list[str]] = [[] for _ in range(len(anchored))]
    placed = ~np.isnat(arr["est_dates"][:, 0])
    if on_suspect != "ignore":
        for i in np.flatnonzero(placed & zero_variance_rows(arr["y_est"])):
            reasons[i].append(
                f"zero variance of the security's returns over the estimation sample "
                f"{_fmt_dates(arr['est_dates'][i][[0]])}..{_fmt_dates(arr['est_dates'][i][[-1]])} (constant or stale "
                "prices): sigma would be 0 and every t-statistic undefined; check the prices"
            )
    lo, est_hi, hi = arr["est_dates"][:, 0], arr["est_dates"][:, -1], arr["evt_dates"][:, -1]
    pairs: dict[tuple[str, object], np.ndarray] = anchored.groupby(
        ["symbol", "benchmark"], sort=False, dropna=False).indices  # type: ignore[assignment]
    for (sym, bench), rows in pairs.items():
        rows = rows[placed[rows]]
        sec = sources.sec.get(sym)
        if not len(rows) or not isinstance(sec, _Series):
            continue
        found = sources.findings(sym, bench, sec.grid) if on_suspect != "ignore" else []
        for f in found:
            first = np.datetime64(f.date.as_unit("ns"))
            last = np.datetime64((f.last if f.last is not None else f.date).as_unit("ns"))
            for i in rows[(first <= hi[rows]) & (last >= lo[rows])]:
                where = "estimation" if last <= est_hi[i] else "event"
                text = f"{f.describe()} [in the {where} window]"
                notes[i].append(text)
                if on_suspect == "exclude":
                    reasons[i].append(text)
        closed = sources.closures(lookup(sym).calendar).values
        for i in rows if len(closed) else ():  # no closures on this calendar: nothing to look for per event
            inside = closed[(closed >= lo[i]) & (closed <= hi[i])]
            if len(inside):
                notes[i].append(
                    f"unscheduled closure(s) {_fmt_dates(inside)}: {lookup(sym).calendar} calls them sessions but no "
                    f"series of the exchange traded; the windows are counted without them"
                )
    return notes


def _mark_suspects(attrition: pd.DataFrame, notes: list[list[str]], on_suspect: str) -> pd.DataFrame:
    """Kept events with a suspect value get status ``"suspect"``; every note is appended to the reason."""
    out = attrition.copy()
    out["notes"] = ["\n".join(extra) for extra in notes]  # the screen's own notes, one per line
    for i, extra in enumerate(notes):
        if not extra:
            continue
        out.loc[i, "reason"] = "; ".join([str(out.loc[i, "reason"]), *extra])
        if out.loc[i, "status"] == "kept" and any(t.startswith("suspect ") for t in extra) and on_suspect == "warn":
            out.loc[i, "status"] = "suspect"
    n = int((out["status"] == "suspect").sum())
    if n:
        warnings.warn(SuspectPriceWarning(
            f"{n} event(s) have suspect prices in their windows (see the attrition table's status 'suspect'); "
            "fix the prices, or pass on_suspect='exclude' to leave those events out"), stacklevel=3)
    return out


class SuspectPriceWarning(UserWarning):
    """Prices inside an event's windows look wrong (split-like jump, reversing spike, stale run)."""


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
    max_lag, max_lead = layout.max_lag, layout.max_lead
    d0 = day0[rows]
    not_session = pos0 < 0
    outside = (d0 < sec.first) | (d0 > sec.last)
    too_early = (pos0 + spec.estimation[0] - max_lag < 0) & ~not_session
    too_late = (pos0 + spec.event[1] + max_lead >= len(sec.grid)) & ~not_session
    bad = not_session | outside | too_early | too_late
    for j in np.flatnonzero(bad):
        r, d = rows[j], d0[int(j)]
        if not_session[j] and d in sec.closed:
            k = int(sec.grid.searchsorted(d))
            nxt = sec.grid[k] if k < len(sec.grid) else None
            reasons[r].append(
                f"day 0 {d:%Y-%m-%d} is an unscheduled closure of {sym}'s exchange (a calendar session that no series "
                f"of the exchange traded); give the next session{f' {nxt:%Y-%m-%d}' if nxt is not None else ''} "
                "as the event date"
            )
        elif not_session[j]:
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
        raise NoValidEventsError(msg, attrition)
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


__all__ = ["FACTOR_COLUMNS", "PANEL_MODELS", "FactorRegionWarning", "LeadLag", "SuspectPriceWarning", "WindowSpec", "anchor_events", "build_panel"]  # noqa: F822 (module __getattr__)


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
