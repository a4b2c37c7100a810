"""Orchestration: events + prices -> :class:`~research_lib.results.EventStudyResult`.

The steps are the ones a careful reader would do by hand, each in its own
module: anchor every event's day 0 on its listing's calendar
(:mod:`~research_lib.engine.windows`), load prices (:mod:`~research_lib.data`),
stack the estimation and event windows of all events into arrays, fit the
normal-return model for all events at once (:mod:`~research_lib.models.fit`),
and run the test battery (:mod:`~research_lib.inference.battery`).  Nothing is
dropped or shifted silently: the attrition table says what happened to each
event.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from research_lib.config import get_settings
from research_lib.conventions import get_conventions
from research_lib.engine.windows import WindowSpec, anchor_events, build_panel
from research_lib.errors import DataError, InvalidRequestError, NoValidEventsError, WindowError
from research_lib.events.reader import parse_event_date, read_events
from research_lib.inference.battery import TestBattery
from research_lib.models.fit import fit_model
from research_lib.results import EventStudyResult, StudyParameters, Window, _wkey

log = logging.getLogger(__name__)

FACTOR_MODELS = {"ff3": "ff3", "ff5": "ff5", "carhart4": "carhart4"}
DEFAULT_CAR_WINDOWS: tuple[Window, ...] = ((0, 0), (0, 1), (-1, 1))


def _car_windows(car_windows: Iterable[Sequence[int]] | None, event_window: Window) -> tuple[Window, ...]:
    wins = [tuple(int(x) for x in w) for w in (car_windows or DEFAULT_CAR_WINDOWS)]
    if car_windows is None:
        wins.append(tuple(event_window))
    out: list[Window] = []
    for w in wins:
        if len(w) != 2 or w[0] > w[1] or w[0] < event_window[0] or w[1] > event_window[1]:
            raise WindowError(
                f"CAR window {list(w)} must be [a, b] with a <= b inside the event window {list(event_window)}; "
                "widen the event window or change the CAR window"
            )
        if w not in out:
            out.append(w)  # type: ignore[arg-type]
    return tuple(out)


def _price_ranges(anchored: pd.DataFrame, spec: WindowSpec) -> tuple[dict[str, pd.Timestamp], dict[str, pd.Timestamp]]:
    """First and last date each symbol must cover: the windows counted in each security's own sessions.

    A few sessions of margin cover lags, leads and the price before the first return; ten calendar
    days more cover a benchmark on another calendar whose holidays fall at the edges.
    """
    from research_lib.listings.calendars import calendar_for

    starts: dict[str, pd.Timestamp] = {}
    ends: dict[str, pd.Timestamp] = {}
    margin = pd.Timedelta(days=10)
    day0 = pd.DatetimeIndex(pd.to_datetime(anchored["day0"]))
    cals = [calendar_for(s).name for s in anchored["symbol"]]
    for name in dict.fromkeys(cals):
        rows = np.flatnonzero(np.array(cals) == name)
        sess = calendar_for(anchored["symbol"].iloc[rows[0]]).sessions
        pos = sess.searchsorted(day0[rows])
        lo = sess[np.clip(pos + spec.estimation[0] - 3, 0, len(sess) - 1)] - margin
        hi = sess[np.clip(pos + spec.event[1] + 3, 0, len(sess) - 1)] + margin
        for j, r in enumerate(rows):
            for sym in (anchored["symbol"].iloc[r], anchored["benchmark"].iloc[r]):
                starts[sym] = min(starts.get(sym, lo[j]), lo[j])
                ends[sym] = max(ends.get(sym, hi[j]), hi[j])
    return starts, ends


def _load_prices(
    anchored: pd.DataFrame, spec: WindowSpec, snapshot: str | os.PathLike[str] | None, offline: bool | None
) -> tuple[dict[str, pd.Series], pd.DataFrame, dict[str, str]]:
    """Adjusted closes of every security and benchmark, over a range wide enough for all windows."""
    from research_lib.data import load_prices

    starts, ends = _price_ranges(anchored, spec)
    symbols = list(dict.fromkeys(list(anchored["symbol"]) + list(anchored["benchmark"])))
    prices: dict[str, pd.Series] = {}
    failed: dict[str, str] = {}
    rows = []
    todo: Iterable[str] = symbols
    if sys.stderr.isatty() and len(symbols) > 1:  # downloads can be slow: show progress at a terminal
        from tqdm.auto import tqdm

        todo = tqdm(symbols, desc="prices", unit="symbol", leave=False)
    for sym in todo:
        # each symbol over the range its own events need, so that coverage warnings mean something
        start, end = starts[sym], ends[sym]
        try:
            series = load_prices([sym], start=start, end=end, snapshot=snapshot, offline=offline, progress=False)[sym]
        except DataError as exc:
            failed[sym] = str(exc)
            continue
        prices[sym] = series.adj_close
        rows.append({"symbol": sym, "source": series.source, "first": series.frame.index.min(),
                     "last": series.frame.index.max(), "sha256": series.sha256[:12], "origin": series.origin})
    return prices, pd.DataFrame(rows), failed


def event_study(
    events: pd.DataFrame | str | os.PathLike[str],
    *,
    estimation_window: Window = (-250, -11),
    event_window: Window = (-10, 10),
    car_windows: Iterable[Sequence[int]] | None = None,
    model: str = "market",
    min_estimation: int = 120,
    conventions: str = "textbook",
    returns: str = "simple",
    after_gap: str = "missing",
    confidence: float = 0.95,
    exclude_dates: Iterable[str | pd.Timestamp] = (),
    prices: Mapping[str, pd.Series] | None = None,
    factors: pd.DataFrame | None = None,
    snapshot: str | os.PathLike[str] | None = None,
    offline: bool | None = None,
    tests: Sequence[str] | str | None = None,
) -> EventStudyResult:
    """Run an event study.

    Parameters
    ----------
    events : a DataFrame or CSV path with ``event_id, symbol, benchmark`` and
        ``event_date`` or ``announced_at`` (see :func:`research_lib.events.reader.read_events`).
    estimation_window, event_window : [a, b] in trading sessions of each security's
        own exchange, relative to day 0 (defaults [-250, -11] and [-10, +10]).
    car_windows : windows [a, b] inside the event window (default [0,0], [0,+1],
        [-1,+1] and the whole event window).
    model : normal-return model (:data:`research_lib.models.fit.MODELS`).
    min_estimation : minimum number of valid estimation returns; events with fewer are excluded.
    conventions : ``"textbook"`` (default), ``"estudy2"`` or ``"eventstudy"``.
    returns : ``"simple"`` or ``"log"`` returns from adjusted closes.
    after_gap : ``"missing"`` (the return spanning a gap in the data is missing) or ``"span"``.
    confidence : level of the two-sided confidence bands and intervals.
    exclude_dates : sessions whose returns are left out of every estimation sample
        (e.g. an earlier earnings day); windows are not shifted, ``min_estimation``
        applies to what is left.
    prices : adjusted closes per symbol; by default loaded through :mod:`research_lib.data`.
    factors : Fama-French factors (decimal) for factor models; loaded when needed.
    snapshot, offline : data-source settings passed to the data layer.
    tests : test names for each CAR window (see :class:`research_lib.inference.battery.TestBattery`):
        ``None`` for the standard battery ``TEST_NAMES``, ``"all"`` to add the extra tests
        (CLM J1/J2, Brown-Warner 1980, Lamb, Corrado-Zivney, modified rank).

    Raises
    ------
    NoValidEventsError
        If every event was excluded; the message lists the reasons.

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
    conv = get_conventions(conventions)
    if not isinstance(events, pd.DataFrame):
        events = read_events(events)
    spec = WindowSpec(tuple(estimation_window), tuple(event_window), int(min_estimation))
    wins = _car_windows(car_windows, spec.event)
    drop = tuple(f"{_exclude_date(d):%Y-%m-%d}" for d in exclude_dates)
    params = StudyParameters(
        spec.estimation, spec.event, wins, model, spec.min_estimation, conv.name, returns, after_gap, confidence, drop
    )

    if prices is None:
        get_settings(snapshot, offline)  # a missing snapshot folder is one error, not one per event
    anchored, attrition = anchor_events(events)
    sources = pd.DataFrame()
    if prices is None:
        live = anchored
        prices, sources, failed = _load_prices(live, spec, snapshot, offline) if len(live) else ({}, pd.DataFrame(), {})
        for sym, why in failed.items():
            hit = attrition["event_id"].isin(anchored.loc[(anchored["symbol"] == sym) | (anchored["benchmark"] == sym), "event_id"])
            attrition.loc[hit & (attrition["status"] != "excluded"), ["status", "reason"]] = ["excluded", f"no prices for {sym}: {why}"]
        anchored = anchored[~anchored["event_id"].isin(attrition.loc[attrition["status"] == "excluded", "event_id"])]
    if model in FACTOR_MODELS and factors is None:
        from research_lib.data import load_factors

        factors = load_factors(FACTOR_MODELS[model], snapshot=snapshot, offline=offline)

    try:
        if not len(anchored):
            raise NoValidEventsError("no event left after anchoring and loading prices")
        panel, build_attr = build_panel(
            anchored, prices, spec, model=model, factors=factors, returns=returns, after_gap=after_gap, exclude_dates=drop
        )
    except NoValidEventsError as err:
        attrition = _merge_attrition(attrition, getattr(err, "attrition", None))
        reasons = "; ".join(f"{r.event_id}: {r.reason}" for r in attrition.itertuples() if r.status == "excluded")
        raise NoValidEventsError(f"no event could be studied ({reasons})") from None
    attrition = _merge_attrition(attrition, build_attr)

    ab = fit_model(panel, model, conv)
    battery = TestBattery(ab)
    by_window = {_wkey(w): battery.window(*w, tests) for w in wins}
    daily = _daily_table(ab, battery)
    table = _events_table(ab, wins, returns)
    return EventStudyResult(params, ab, table, daily, by_window, attrition.reset_index(drop=True), sources)


def _exclude_date(value: object) -> pd.Timestamp:
    try:
        return parse_event_date(value)
    except ValueError as exc:
        raise WindowError(f"excluded estimation date: {exc}") from None


def _merge_attrition(first: pd.DataFrame, later: pd.DataFrame) -> pd.DataFrame:
    """Exclusions found while building windows override the anchoring status."""
    out = first.copy()
    if later is None or not len(later):
        return out
    bad = later[later["status"] == "excluded"].set_index("event_id")["reason"]
    hit = out["event_id"].isin(bad.index)
    out.loc[hit, "status"] = "excluded"
    out.loc[hit, "reason"] = out.loc[hit, "event_id"].map(bad)
    return out


def _events_table(ab, wins: tuple[Window, ...], returns: str) -> pd.DataFrame:  # noqa: ANN001
    p = ab.panel
    df = pd.DataFrame({"event_id": p.event_ids, "symbol": p.symbols, "benchmark": p.benchmarks,
                       "day0": pd.to_datetime(p.day0), "n_est": ab.n_est.astype(int)})
    for j, name in enumerate(ab.param_names):
        df[name] = ab.params[:, j]
    df["sigma"] = np.sqrt(ab.sigma2)
    for w in wins:
        key = _wkey(w)
        car, var = ab.car(*w)
        se = np.sqrt(var)
        t = car / se
        df[f"car[{key}]"] = car
        df[f"se[{key}]"] = se
        df[f"t[{key}]"] = t
        df[f"p[{key}]"] = 2 * stats.t.sf(np.abs(t), ab.df)
    if returns == "simple":
        normal = p.r_evt - ab.ar
        df["bhar"] = np.prod(1 + p.r_evt, axis=1) - np.prod(1 + normal, axis=1)
    return df


def _daily_table(ab, battery: TestBattery) -> pd.DataFrame:  # noqa: ANN001
    p = ab.panel
    daily = battery.daily()
    daily = daily.reset_index() if "tau" not in daily.columns else daily
    out = pd.DataFrame({"tau": p.tau_evt.astype(int)})
    if ab.ar.shape[0] == 1:
        out["date"] = pd.to_datetime(p.evt_dates[0])
        out["ar"] = ab.ar[0]
        out["ar_se"] = np.sqrt(ab.ar_var[0])
        out["t"] = ab.ar[0] / out["ar_se"]
        out["p"] = 2 * stats.t.sf(np.abs(out["t"]), ab.df[0])
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
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    out: dict[str, pd.Series] = {}
    for path in paths:
        frame = pd.read_csv(path)
        if frame.shape[1] < 2:
            raise DataError(f"price table {path} needs a date column and at least one symbol column; write it as date,SYM1,SYM2,...")
        first = frame.columns[0]
        try:
            dates = pd.DatetimeIndex(pd.to_datetime(frame[first], format="ISO8601"), name="date")
        except (TypeError, ValueError) as exc:
            raise DataError(f"the first column {first!r} of price table {path} must hold dates (YYYY-MM-DD): {exc}") from None
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


def _check_writable(out: Path) -> None:
    """Refuse a --json target that cannot be written, before the study runs."""
    folder = out.parent if str(out.parent) else Path(".")
    if out.is_dir() or not folder.is_dir() or not os.access(folder, os.W_OK):
        why = "is a folder" if out.is_dir() else f"its folder {folder} does not exist or is not writable"
        raise InvalidRequestError(f"cannot write --json {out}: {why}; choose a writable file path")


def study_from_cli(args: argparse.Namespace) -> int:
    """Handler of ``research-lib study``: print the summary, optionally write JSON."""
    path = Path(args.events)
    if args.json:
        _check_writable(Path(args.json))
    if not path.is_file():
        raise FileNotFoundError(f"events file {path} not found; pass a CSV with event_id,symbol,benchmark,event_date|announced_at")
    prices = read_price_table(args.prices) if getattr(args, "prices", None) else None
    tests = getattr(args, "tests", None)
    if tests is not None and len(tests) == 1 and tests[0] == "all":
        tests = "all"
    res = event_study(
        path,
        estimation_window=tuple(args.estimation_window),
        event_window=tuple(args.event_window),
        car_windows=args.car_window,
        model=args.model,
        min_estimation=args.min_estimation,
        conventions=args.conventions,
        returns=args.returns,
        exclude_dates=args.exclude_date or (),
        snapshot=args.snapshot,
        offline=args.offline,
        prices=prices,
        tests=tests,
    )
    print(res.summary())
    if args.json:
        out = Path(args.json)
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(json.dumps(res.to_json_dict(), indent=2))
        os.replace(tmp, out)
        print(f"wrote {out}")
    return 0
