"""Orchestration: events + prices -> :class:`~research_lib.results.EventStudyResult`.

One way through, each step once: the events are validated (:func:`research_lib.events.reader.read_events`,
the same checks for a DataFrame as for a CSV file), every event's day 0 is anchored on its
listing's calendar (:mod:`~research_lib.engine.windows`), prices are loaded (:mod:`~research_lib.data`),
the estimation and event windows of all events are stacked into arrays, the normal-return model
is fitted for all events at once (:mod:`~research_lib.models.fit`) and the test battery is run
(:mod:`~research_lib.inference.battery`).  Every step appends to one
:class:`~research_lib.events.attrition.Attrition` log, so nothing is dropped or shifted silently.

The design is a :class:`~research_lib.spec.StudySpec`; the keyword call
``event_study(events, model="ff3", ...)`` builds the same spec.  The library never prints;
the command line (:mod:`research_lib.cli.study`) does.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from research_lib.analysis.columns import with_extra_columns
from research_lib.config import get_settings
from research_lib.conventions import get_conventions
from research_lib.data.user_study import needs_user_path, study_with_user_data
from research_lib.engine.chunks import ChunkRun, PriceReader, WorkerPrices
from research_lib.engine.panel import AbnormalReturns, EventPanel
from research_lib.engine.streaming import StreamedStudy
from research_lib.engine.windows import WindowSpec, anchor_events, build_panel, date_ranges
from research_lib.errors import DataError, InvalidRequestError, NoValidEventsError
from research_lib.events.attrition import Attrition
from research_lib.events.reader import read_events
from research_lib.inference.battery import TestBattery
from research_lib.inference.partials import PartialBattery
from research_lib.inference.resampling import STUDY_RESAMPLING_TESTS, study_resampling_tests
from research_lib.measures.study import (
    VARIANCE_RATIO_TESTS,
    active_frames,
    other_measure,
    price_frames,
    user_frames,
    variance_ratio_results,
)
from research_lib.models.fit import fit_model
from research_lib.models.garch import GARCH_MODELS
from research_lib.models.garch_models import attrition_rows as garch_attrition_rows
from research_lib.models.garch_models import fit_with_status
from research_lib.models.registry import FACTOR_MODELS  # factor model -> load_factors key (live)
from research_lib.results import EventStudyResult, StudyParameters, _wkey
from research_lib.spec import DEFAULT_CAR_WINDOWS, StudySpec, check_events_argument, check_prices
from research_lib.tables import t_inference

log = logging.getLogger(__name__)

BHAR_LOG_NOTE = ("BHAR not computed: returns='log'; a buy-and-hold return compounds simple returns, "
                 "so run with returns='simple' for BHARs (the CARs of log returns are already compounded)")

__all__ = ["DEFAULT_CAR_WINDOWS", "FACTOR_MODELS", "StudySpec", "event_study", "read_price_table"]


def _snapshot_arg(snapshot: str | os.PathLike[str] | None) -> str | None:
    return None if snapshot is None else os.fspath(snapshot)


def _load_prices(
    anchored: pd.DataFrame, spec: WindowSpec, snapshot: str | None, offline: bool | None,
    frames: dict[str, pd.DataFrame] | None = None,
) -> tuple[dict[str, pd.Series], pd.DataFrame, dict[str, str]]:
    """Adjusted closes of every security and benchmark, each over the range its own events need.

    ``frames``, if given, receives each symbol's whole price frame (volume, open/high/low/close).
    """
    from research_lib.data import load_prices

    frames = active_frames() if frames is None else frames  # a user-data study collects the frames it loads
    ranges = date_ranges(anchored, spec, lags=3, leads=3)  # room for the lags and leads of any model
    symbols = list(dict.fromkeys(list(anchored["symbol"]) + list(anchored["benchmark"])))
    prices: dict[str, pd.Series] = {}
    failed: dict[str, str] = {}
    rows = []
    for sym in symbols:
        try:
            series = load_prices([sym], start=ranges[sym][0], end=ranges[sym][1], snapshot=snapshot, offline=offline,
                                 progress=False)[sym]
        except DataError as exc:
            failed[sym] = str(exc)
            continue
        prices[sym] = series.adj_close
        if frames is not None:
            frames.setdefault(sym, series.frame)  # the user's own volume/OHLC win
        rows.append({"symbol": sym, "source": series.source, "first": series.frame.index.min(),
                     "last": series.frame.index.max(), "sha256": series.sha256[:12], "origin": series.origin})
    return prices, pd.DataFrame(rows), failed


_RUN_KEYS = ("chunk_size", "scheduler", "client", "workers")


def _resolve_spec(spec: StudySpec | None, options: Mapping[str, Any]) -> StudySpec:
    """The spec of the call: ``spec`` with ``options`` applied, or the options alone."""
    if spec is None:
        return StudySpec.from_options(options)
    if not isinstance(spec, StudySpec):
        raise InvalidRequestError(f"spec must be a StudySpec, not {type(spec).__name__}; "
                                  "e.g. event_study(events, StudySpec(model='market'))")
    if options:
        current = {f.name: getattr(spec, f.name) for f in fields(StudySpec)}
        return StudySpec.from_options({**current, **options})
    return spec


def event_study(
    events: pd.DataFrame | str | os.PathLike[str],
    spec: StudySpec | None = None,
    *,
    prices: Mapping[str, pd.Series] | None = None,
    factors: pd.DataFrame | None = None,
    snapshot: str | os.PathLike[str] | None = None,
    offline: bool | None = None,
    data: pd.DataFrame | str | os.PathLike[str] | None = None,
    registry: Any = None,
    portfolios: Any = None,
    default_calendar: str | None = None,
    **options: Any,
) -> EventStudyResult:
    """Run an event study.

    Parameters
    ----------
    events
        a DataFrame or CSV path with ``event_id, symbol, benchmark`` and
        ``event_date`` (``YYYY-MM-DD``) or ``announced_at`` (see
        :func:`research_lib.events.reader.read_events`; a DataFrame gets the same checks as a file).
    spec
        the design (:class:`~research_lib.spec.StudySpec`): windows, model, conventions,
        returns, confidence, excluded dates, tests, BHAR benchmark.
    prices
        adjusted closes per symbol (pandas Series indexed by date); by default loaded
        through :mod:`research_lib.data`.
    factors
        Fama-French factors (decimal) for factor models; loaded when needed.
    snapshot, offline
        data-source settings passed to the data layer.
    **options
        the fields of :class:`~research_lib.spec.StudySpec` as keywords
        (``estimation_window=(-250, -11)``, ``event_window=(-10, 10)``, ``car_windows=[(0, 1)]``,
        ``model="market"``, ``min_estimation=120``, ``conventions="textbook"``, ``returns="simple"``,
        ``after_gap="missing"``, ``confidence=0.95``, ``exclude_dates=[...]``, ``tests=None``,
        ``bhar_benchmark="model"``, ``on_suspect="warn"``, ``measure="returns"|"volume"|"range"``,
        ``range_estimator="parkinson"``, ``n_resamples=999``, ``seed=0``); with ``spec`` they override its fields.
        With ``measure="volume"`` (``model="constant_mean"`` or ``"market"``) ``ar`` and ``car`` hold
        abnormal log volume (:mod:`research_lib.measures.volume`); the volume comes from the price
        frames of the data layer, ``volume`` columns of ``prices`` frames or of ``data``.
    data
        your own returns or prices, a DataFrame or a CSV/parquet path in long format
        ``symbol,date,ret|price[,dlret,volume,calendar,mcap]`` or wide ``date,SYM1,...``
        (:func:`research_lib.data.user.read_user_data`); identifiers not in it come from the data layer.
    registry
        a :class:`research_lib.listings.registry.SymbolRegistry`, a mapping
        identifier -> calendar code, or a CSV ``symbol,calendar,timezone,currency``.
    portfolios
        named basket benchmarks, a CSV ``portfolio,member,weight``
        (:mod:`research_lib.data.basket`); ``EW(..)``/``VW(..)``/``W(..)`` need none.
    default_calendar
        calendar of identifiers no rule knows (default XNYS when ``data`` is
        given; ``"none"`` refuses them).

    Returns
    -------
    EventStudyResult
        Every column of the events table besides the standard ones is carried
        into ``result.events`` and ``result.attrition``.

    Raises
    ------
    NoValidEventsError
        If every event was excluded; the message lists the reasons.
    EventError, CatalogueError, WindowError, InvalidRequestError, DataError
        For invalid events, windows, options or prices, with the fix in the message.

    Notes
    -----
    For event :math:`i` and day :math:`t` of its event window, with the model fitted on the
    estimation window,

    .. math::

        AR_{it} = R_{it} - \\hat{E}[R_{it}], \\qquad
        CAR_i(\\tau_1, \\tau_2) = \\sum_{t=\\tau_1}^{\\tau_2} AR_{it}.

    Examples
    --------
    On the seeded synthetic market of :mod:`research_lib.examples` (five events with a planted
    day-0 abnormal return of 5%), prices passed directly, no data layer:

    >>> from research_lib import event_study
    >>> from research_lib.examples import example_events, example_prices
    >>> res = event_study(example_events(), prices=example_prices(), car_windows=[(0, 0), (-1, 1)])
    >>> frame = res.to_frame()
    >>> len(frame), int(frame["n_est"].min())
    (5, 240)
    >>> round(float(frame["car[0,0]"].mean()), 2)
    0.05
    """
    run = ChunkRun.pop(dict(options))  # chunk_size / scheduler / client / workers: how, not what
    options = {k: v for k, v in options.items() if k not in _RUN_KEYS}
    design = _resolve_spec(spec, options)
    events = check_events_argument(events)
    check_prices(prices)  # before the user-data branch, which would otherwise meet a bad mapping first (raw errors)
    user_kw = {"data": data, "registry": registry, "portfolios": portfolios, "default_calendar": default_calendar}
    if any(v is not None for v in user_kw.values()) or needs_user_path(events, prices):
        # your own data, calendars or baskets: prepared in research_lib.data.user_study, then this function again
        rest = {"spec": design, "prices": prices, "factors": factors, "snapshot": snapshot, "offline": offline,
                **run.as_options()}
        with user_frames(data, design.measure):  # the volume/OHLC of the user data, for measure="volume"/"range"
            return study_with_user_data(event_study, events, rest, **user_kw)
    table = read_events(events)
    frames = price_frames(prices)  # volume / OHLC of prices given as frames (measure="volume" or "range")
    price_map = check_prices(prices)
    attrition = Attrition()
    windows = WindowSpec(design.estimation_window, design.event_window, design.min_estimation)
    anchored = _anchor(table, attrition)
    _warn_idle_exclude_dates(anchored, design.exclude_dates)
    sources = pd.DataFrame()
    reader: PriceReader | WorkerPrices | None = None
    loaded: dict[str, pd.DataFrame] = {}
    if price_map is None:
        get_settings(snapshot, offline)  # a missing snapshot folder is one error, not one per event
        keep = frames if design.measure != "returns" else None  # a returns study keeps no frames in memory
        if run.distributed and keep is None and active_frames() is None and len(anchored):
            # the workers load the prices (as tasks, then for their chunks); this process loads none
            reader, price_map = _worker_prices(anchored, windows, _snapshot_arg(snapshot), offline, attrition, loaded), {}
        else:
            price_map, sources = _prices_for(anchored, windows, _snapshot_arg(snapshot), offline, attrition, keep)
            if run.distributed and len(anchored):  # the workers read their chunks' prices over the same ranges
                reader = PriceReader(_snapshot_arg(snapshot), offline, date_ranges(anchored, windows, lags=3, leads=3))
            anchored = _not_excluded(anchored, attrition)
    if design.model in FACTOR_MODELS and factors is None:
        from research_lib.data import load_factors

        factors = load_factors(FACTOR_MODELS[design.model], snapshot=_snapshot_arg(snapshot), offline=offline)
    ab, streamed = _fit(anchored, price_map, windows, design, factors, attrition, run, reader)
    sources = loaded.get("sources", sources)
    if design.measure != "returns":
        ab = other_measure(ab, frames, design, attrition)
    battery = TestBattery(ab) if streamed is None else streamed.battery  # chunked: from merged partial sums
    raw_events = _events_table(ab, design, None if streamed is None else streamed.bhar)
    by_window = _tests_by_window(ab, battery, design, raw_events)
    params = StudyParameters(
        design.estimation_window, design.event_window, design.windows, design.model, design.min_estimation,
        get_conventions(design.conventions).name, design.returns, design.after_gap, design.confidence,
        design.exclude_dates, design.measure,
    )
    events_table = with_extra_columns(raw_events, table)  # the user's own columns ride along
    return EventStudyResult(params, ab, events_table, _daily_table(ab, battery, design.confidence),
                            by_window, with_extra_columns(attrition.table(), table), sources, spec=design)


class ExcludeDateWarning(UserWarning):
    """An ``exclude_dates`` entry is no trading session of any listing studied (it removes nothing)."""


def _warn_idle_exclude_dates(anchored: pd.DataFrame, dates: Sequence[str]) -> None:
    """Warn for each excluded date that is a session of none of the studied securities' exchanges."""
    if not dates or not len(anchored):
        return
    from research_lib.listings.calendars import get_calendar

    calendars = []
    for code in {_calendar_code(str(sym)) for sym in anchored["symbol"].astype(str).unique()} - {None}:
        calendars.append(get_calendar(str(code)))
    for day in dates:
        ts = pd.Timestamp(day)
        if not any(ts in cal.sessions for cal in calendars):  # .sessions: no out-of-bounds error for far dates
            warnings.warn(ExcludeDateWarning(
                f"exclude_dates: {day} is not a trading session of any listing studied, so it removes nothing; "
                "check the date (a weekend or holiday?) or drop it from exclude_dates"), stacklevel=3)


def _calendar_code(symbol: str) -> str | None:
    from research_lib.errors import ResearchLibError
    from research_lib.listings.symbols import lookup

    try:
        return lookup(symbol).calendar
    except ResearchLibError:  # an identifier anchoring could not place: it has no sessions to compare with
        return None


def _anchor(table: pd.DataFrame, attrition: Attrition) -> pd.DataFrame:
    anchored, anchor_table = anchor_events(table)
    attrition.add_table(anchor_table, "anchor")
    return anchored


def _prices_for(
    anchored: pd.DataFrame, windows: WindowSpec, snapshot: str | None, offline: bool | None, attrition: Attrition,
    frames: dict[str, pd.DataFrame] | None = None,
) -> tuple[dict[str, pd.Series], pd.DataFrame]:
    if not len(anchored):
        return {}, pd.DataFrame()
    prices, sources, failed = _load_prices(anchored, windows, snapshot, offline, frames)
    for sym, why in failed.items():
        hit = anchored.loc[(anchored["symbol"] == sym) | (anchored["benchmark"] == sym), "event_id"]
        attrition.exclude(hit, "prices", f"no prices for {sym}: {why}")
    return prices, sources


def _not_excluded(anchored: pd.DataFrame, attrition: Attrition) -> pd.DataFrame:
    return anchored[~anchored["event_id"].astype(str).isin(attrition.excluded_ids())]


def _worker_prices(
    anchored: pd.DataFrame, windows: WindowSpec, snapshot: str | None, offline: bool | None, attrition: Attrition,
    out: dict[str, pd.DataFrame],
) -> WorkerPrices:
    """Prices loaded by the workers of a distributed run: each symbol over the range :func:`_load_prices`
    would use; the failures go into ``attrition`` as :func:`_prices_for` records them and the sources
    table into ``out["sources"]`` (same rows, same order)."""
    symbols = tuple(dict.fromkeys(list(anchored["symbol"]) + list(anchored["benchmark"])))
    reader = PriceReader(snapshot, offline, date_ranges(anchored, windows, lags=3, leads=3))

    def on_loaded(sources: pd.DataFrame, failed: dict[str, str]) -> pd.DataFrame:
        for sym in symbols:
            if sym in failed:
                hit = anchored.loc[(anchored["symbol"] == sym) | (anchored["benchmark"] == sym), "event_id"]
                attrition.exclude(hit, "prices", f"no prices for {sym}: {failed[sym]}")
        out["sources"] = sources
        return _not_excluded(anchored, attrition)

    return WorkerPrices(reader, symbols, on_loaded)


def _fit(
    anchored: pd.DataFrame, prices: Mapping[str, pd.Series], windows: WindowSpec, design: StudySpec,
    factors: pd.DataFrame | None, attrition: Attrition, run: ChunkRun | None = None,
    reader: PriceReader | WorkerPrices | None = None,
) -> tuple[AbnormalReturns, StreamedStudy | None]:
    """Windows into arrays, the panel step's statuses into the log, and the model fitted.

    In chunks (``run``): the chunks' compact abnormal returns and their battery from partial
    sums (:mod:`research_lib.engine.streaming`), else the fit and None.
    """
    chunked: StreamedStudy | None = None
    try:
        if not len(anchored):
            raise NoValidEventsError("no event left after anchoring and loading prices")
        if run is not None and run.active and (design.model in GARCH_MODELS or design.measure != "returns"):
            raise InvalidRequestError(
                f"chunk_size, workers and scheduler run return studies with the OLS models; model={design.model!r} "
                f"with measure={design.measure!r} runs in one pass: drop chunk_size/workers/scheduler")
        if run is not None and run.active:  # research_lib.engine.streaming: same numbers, memory set by the chunk
            chunked, panel_table = run.stream(anchored, prices, windows, design, factors, reader)
        else:
            panel, panel_table = build_panel(
                anchored, prices, windows, model=design.model, factors=factors, returns=design.returns,
                after_gap=design.after_gap, exclude_dates=design.exclude_dates, on_suspect=design.on_suspect,
            )
    except NoValidEventsError as err:
        if err.attrition is not None:
            attrition.add_table(err.attrition, "panel")
        raise NoValidEventsError(f"no event could be studied ({attrition.reasons()})", attrition.table()) from None
    attrition.add_table(panel_table[panel_table["status"] != "suspect"], "panel")
    _screen_notes(panel_table, attrition)
    if chunked is not None:
        return chunked.abnormal, chunked
    if design.model in GARCH_MODELS and design.measure == "returns":
        return _fit_garch(panel, design, attrition), None
    return fit_model(panel, design.model, get_conventions(design.conventions)), None


def _fit_garch(panel: EventPanel, design: StudySpec, attrition: Attrition) -> AbnormalReturns:
    """GARCH fits per event; failed fits excluded and bound hits noted in the attrition log."""
    try:
        res = fit_with_status(panel, design.model, design.min_estimation)
    except NoValidEventsError as err:
        if err.attrition is not None:
            attrition.add_table(garch_attrition_rows(err.attrition), "garch")
        raise NoValidEventsError(f"no event could be studied ({attrition.reasons()})", attrition.table()) from None
    rows = garch_attrition_rows(res.status)
    attrition.add_table(rows[rows["status"] == "excluded"], "garch")
    for row in rows[(rows["status"] == "kept") & (rows["reason"] != "")].itertuples():
        attrition.note(row.event_id, str(row.reason))
    return res.abnormal


def _screen_notes(panel_table: pd.DataFrame, attrition: Attrition) -> None:
    """Screen findings and unscheduled closures of kept events join their reason in the log."""
    if "notes" not in panel_table.columns:
        return
    noted = (panel_table["status"] != "excluded") & (panel_table["notes"].astype(str) != "")  # most rows: none
    for row in panel_table[noted].itertuples(index=False):
        for part in filter(None, str(row.notes).split("\n")):
            attrition.note(row.event_id, part, suspect=row.status == "suspect" and part.startswith("suspect "))


def _bhar(ab: AbnormalReturns, design: StudySpec, start: int, end: int) -> np.ndarray:
    """Buy-and-hold abnormal return over [start, end]: prod(1 + R) - prod(1 + E[R]).

    E[R] is the model's normal return (``bhar_benchmark="model"``: R - AR, the fitted
    return plus the risk-free rate for factor models) or the benchmark's own return
    (``"benchmark"``: the market regressor, plus the risk-free rate when it is an excess return).
    Barber and Lyon (1997), eq. (3).
    """
    p = ab.panel
    cols = (p.tau_evt >= start) & (p.tau_evt <= end)
    r = p.r_evt[:, cols]
    if design.bhar_benchmark == "model":
        normal = r - ab.ar[:, cols]
    else:
        names = list(p.x_names)
        key = "mkt" if "mkt" in names else "mkt_rf" if "mkt_rf" in names else None
        if key is None:
            return np.full(r.shape[0], np.nan)
        normal = p.x_evt[:, cols, names.index(key)] + (p.offset_evt[:, cols] if key == "mkt_rf" else 0.0)
    return np.prod(1 + r, axis=1) - np.prod(1 + normal, axis=1)


def bhar_note(design: StudySpec, x_names: Sequence[str]) -> str:
    """Why BHARs are absent (``""`` when they are given): log returns, or no benchmark regressor."""
    if design.measure != "returns":
        return f"BHAR not computed: measure={design.measure!r}; a buy-and-hold return compounds returns"
    if design.returns == "log":
        return BHAR_LOG_NOTE
    if design.bhar_benchmark == "benchmark" and not {"mkt", "mkt_rf"} & set(x_names):
        return (f"BHAR not computed: bhar_benchmark='benchmark' but model {design.model!r} has no benchmark return; "
                "use bhar_benchmark='model'")
    return ""


def _events_table(ab: AbnormalReturns, design: StudySpec, bhar: Mapping[str, np.ndarray] | None = None) -> pd.DataFrame:
    """One row per event; ``bhar`` (a chunked study's, keys "a,b" and "" for the event window) replaces :func:`_bhar`."""
    p = ab.panel
    df = pd.DataFrame({"event_id": p.event_ids, "symbol": p.symbols, "benchmark": p.benchmarks,
                       "day0": pd.to_datetime(p.day0), "n_est": ab.n_est.astype(int)})
    for j, name in enumerate(ab.param_names):
        df[name] = ab.params[:, j]
    df["sigma"] = np.sqrt(ab.sigma2)
    note = bhar_note(design, p.x_names)
    for w in design.windows:
        key = _wkey(w)
        car, var = ab.car(*w)
        se = np.sqrt(var)
        inf = t_inference(car, se, ab.df, design.confidence)
        df[f"car[{key}]"] = car
        df[f"se[{key}]"] = se
        df[f"t[{key}]"] = inf.t
        df[f"p[{key}]"] = inf.p
        if not note:
            df[f"bhar[{key}]"] = _bhar(ab, design, *w) if bhar is None else bhar[key]
    if not note:  # whole event window
        df["bhar"] = _bhar(ab, design, int(p.tau_evt[0]), int(p.tau_evt[-1])) if bhar is None else bhar[""]
    return df


def _tests_by_window(
    ab: AbnormalReturns, battery: TestBattery | PartialBattery, design: StudySpec, events: pd.DataFrame
) -> dict[str, dict[str, Any]]:
    """The battery per CAR window, then the resampling (seeded, ``design.seed``) and variance-ratio tests asked for."""
    asked = design.tests
    names = () if asked is None or isinstance(asked, str) else asked
    extra = (*STUDY_RESAMPLING_TESTS, *VARIANCE_RATIO_TESTS)
    resampling = tuple(n for n in names if n in STUDY_RESAMPLING_TESTS)
    ratios = tuple(n for n in names if n in VARIANCE_RATIO_TESTS)
    rest = tuple(n for n in names if n not in extra)
    run_battery = not (resampling or ratios) or bool(rest)
    battery_tests = (rest or None) if (resampling or ratios) else asked
    out: dict[str, dict[str, Any]] = {}
    for w in design.windows:
        key = _wkey(w)
        out[key] = dict(battery.window(*w, battery_tests)) if run_battery else {}
        out[key].update(variance_ratio_results(ab, w, ratios))
        if resampling:
            bhar = events[f"bhar[{key}]"].to_numpy() if f"bhar[{key}]" in events.columns else None
            one = ab.ar.shape[0] == 1
            if one and ab.est_resid.shape[1] == 0:
                raise InvalidRequestError("a single-event study with resampling tests runs in one pass: "
                                          "drop chunk_size/workers/scheduler")
            out[key].update(study_resampling_tests(
                ab.car(*w)[0], resampling, design.n_resamples, design.seed,
                est_resid=ab.est_resid[0] if one else None, length=w[1] - w[0] + 1, bhar=bhar))
    return out


def _daily_table(ab: AbnormalReturns, battery: TestBattery | PartialBattery, level: float) -> pd.DataFrame:
    p = ab.panel
    daily = battery.daily()
    daily = daily.reset_index() if "tau" not in daily.columns else daily
    out = pd.DataFrame({"tau": p.tau_evt.astype(int)})
    if ab.ar.shape[0] == 1:
        out["date"] = pd.to_datetime(p.evt_dates[0])
        out["ar"] = ab.ar[0]
        out["ar_se"] = np.sqrt(ab.ar_var[0])
        inf = t_inference(ab.ar[0], out["ar_se"], ab.df[0], level)
        out["t"] = inf.t
        out["p"] = inf.p
        out["car"] = np.cumsum(ab.ar[0])
        return out
    out["aar"] = np.mean(ab.ar, axis=0)
    out["caar"] = np.cumsum(out["aar"])
    extra = daily.drop(columns=[c for c in ("aar", "caar") if c in daily.columns])
    return out.merge(extra, on="tau", how="left")


def read_price_table(paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> dict[str, pd.Series]:
    """Adjusted closes from wide CSV files: a ``date`` column first, then one column per symbol.

    Used by ``research-lib study --prices PATH`` to study prices that are not in
    the snapshot (for example data shipped with another package).  Empty cells
    (``NA``) are missing prices.  A symbol may appear in only one file.

    Returns
    -------
    dict symbol -> adjusted closes indexed by date.

    Raises
    ------
    DataError
        If a file has no date column, an unparseable date, duplicate dates,
        non-numeric prices, or a symbol given twice.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "closes.csv"
    >>> _ = path.write_text("date,ABC,XYZ\\n2024-01-02,10.0,20.0\\n2024-01-03,10.5,NA\\n")
    >>> prices = read_price_table(path)
    >>> sorted(prices), float(prices["ABC"].iloc[-1])
    (['ABC', 'XYZ'], 10.5)
    """
    items: Iterable[str | os.PathLike[str]] = [paths] if isinstance(paths, str | os.PathLike) else paths
    out: dict[str, pd.Series] = {}
    for path in items:
        if not Path(path).is_file():
            raise DataError(f"price table {path} not found (or not a file); pass a CSV written date,SYM1,SYM2,...")
        try:
            frame = pd.read_csv(path)
        except pd.errors.EmptyDataError:
            raise DataError(f"price table {path} is empty; write a header date,SYM1,SYM2,... and one row per date") from None
        if frame.shape[1] < 2:
            raise DataError(f"price table {path} needs a date column and at least one symbol column; write it as date,SYM1,SYM2,...")
        first = frame.columns[0]
        try:
            dates = pd.DatetimeIndex(pd.to_datetime(frame[first], format="ISO8601"), name="date")
        except (TypeError, ValueError) as exc:
            raise DataError(f"the first column {first!r} of price table {path} must hold dates (YYYY-MM-DD): "
                            f"{str(exc).splitlines()[0].split(' You might want to try')[0]}") from None  # pandas' next lines suggest format= options
        if dates.has_duplicates:
            raise DataError(f"price table {path} has duplicate dates {dates[dates.duplicated()].strftime('%Y-%m-%d').tolist()[:5]}; keep one row per date")
        for col in frame.columns[1:]:
            if col in out:
                raise DataError(f"symbol {col!r} appears in more than one price table; give each symbol once")
            values = pd.to_numeric(frame[col], errors="coerce")
            bad = values.isna() & frame[col].notna()
            if bad.any():
                raise DataError(f"price table {path}, column {col!r}: non-numeric prices {frame[col][bad].tolist()[:3]}; use numbers or leave the cell empty")
            out[str(col)] = pd.Series(values.to_numpy(dtype=float), index=dates, name=str(col))
    return out
