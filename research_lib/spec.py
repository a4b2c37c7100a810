"""The design of an event study as one typed, validated object.

:class:`StudySpec` holds everything that defines a study apart from the events
and the data: windows, normal-return model, conventions, kind of returns,
confidence level, excluded estimation dates, the tests and the BHAR benchmark.
``event_study(events, spec=StudySpec(...))`` and the keyword call
``event_study(events, model="market", ...)`` build the same spec, so both go
through the same checks; the command line and the template notebook build it
too.  Every check raises a typed error (:mod:`research_lib.errors`) whose
message names the argument, the value and the fix.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal, get_args

import pandas as pd

from research_lib.conventions import Conventions
from research_lib.errors import DataError, EventError, InvalidRequestError, WindowError

Window = tuple[int, int]
ModelName = Literal[
    "market", "constant_mean", "market_adjusted", "ff3", "ff5", "carhart4", "scholes_williams", "dimson",
    "garch", "gjr_garch",
]
ConventionsName = Literal["textbook", "estudy2", "eventstudy"]
ReturnsKind = Literal["simple", "log"]
AfterGap = Literal["missing", "span"]
BharBenchmark = Literal["model", "benchmark"]
OnSuspect = Literal["warn", "exclude", "ignore"]
Measure = Literal["returns", "volume", "range"]
RangeEstimator = Literal["parkinson", "garman_klass"]
#: models of normal log volume (``measure="volume"``)
VOLUME_MODEL_NAMES: tuple[str, ...] = ("constant_mean", "market")

DEFAULT_CAR_WINDOWS: tuple[Window, ...] = ((0, 0), (0, 1), (-1, 1))

__all__ = [
    "AfterGap",
    "BharBenchmark",
    "ConventionsName",
    "Measure",
    "RangeEstimator",
    "DEFAULT_CAR_WINDOWS",
    "ModelName",
    "ReturnsKind",
    "StudySpec",
    "check_events_argument",
    "check_integer",
    "check_prices",
    "check_window",
    "strict_date",
]


# --------------------------------------------------------------------------- single values
def check_integer(name: str, value: object) -> int:
    """``value`` as an int; refuse a fraction, a bool or a non-number instead of truncating it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise WindowError(f"{name}={value!r} is not an integer; give a whole number of trading sessions, e.g. 120")
    number = float(value)
    if not math.isfinite(number):
        raise WindowError(f"{name}={value!r} is not a finite number; give a whole number of trading sessions, e.g. 120")
    if not number.is_integer():
        raise WindowError(f"{name}={value!r} is not a whole number; windows and sample sizes count sessions, "
                          f"e.g. {name}={int(number)}")
    return int(number)


def check_window(name: str, value: object) -> Window:
    """A window ``(a, b)`` of integers with ``a <= b``."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):  # tuples, lists, numpy arrays
        raise WindowError(f"{name}={value!r} is not a window; give two integers (a, b), e.g. (-1, 1)")
    items = list(value)
    if len(items) != 2:
        raise WindowError(f"{name}={value!r} must have exactly two integers (a, b), e.g. (-1, 1)")
    a, b = (check_integer(f"{name}[{i}]", v) for i, v in enumerate(items))
    if a > b:
        raise WindowError(f"{name}={[a, b]} starts after it ends; give (a, b) with a <= b")
    return a, b


def strict_date(name: str, value: object) -> pd.Timestamp:
    """A date written ``YYYY-MM-DD`` (or a Timestamp at midnight); ``04/02/2025`` is ambiguous and refused."""
    from research_lib.events.reader import parse_event_date

    try:
        return parse_event_date(value)
    except ValueError as exc:
        raise InvalidRequestError(f"{name}: {exc}") from None


def _choice(name: str, value: object, literal: Any) -> str:
    allowed = get_args(literal)
    if value not in allowed:
        raise InvalidRequestError(f"{name}={value!r} is not known; use one of {', '.join(map(repr, allowed))}")
    return str(value)


def _known(name: str, value: object, allowed: Sequence[str]) -> None:
    if not isinstance(value, str) or value not in allowed:
        raise InvalidRequestError(f"{name}={value!r} is not known; use one of {', '.join(map(repr, allowed))}")


def _model_names() -> tuple[str, ...]:
    """The models the fitting layer knows (read at run time, so a newly registered model is accepted)."""
    from research_lib.models import fit

    return tuple(fit.MODELS)


def _is_conventions(value: object) -> bool:
    return isinstance(value, Conventions)


def _conventions_names() -> tuple[str, ...]:
    from research_lib.conventions import CONVENTIONS

    return tuple(CONVENTIONS)


def _confidence(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidRequestError(f"confidence={value!r} is not a number; give a level between 0 and 1, e.g. 0.95")
    level = float(value)
    if not 0.0 < level < 1.0:
        hint = f"; for {level:g}% write confidence={level / 100:g}" if 1.0 < level < 100.0 else ""
        raise InvalidRequestError(f"confidence={value!r} must lie strictly between 0 and 1 (e.g. 0.95){hint}")
    return level


def _car_windows(value: object, event_window: Window) -> tuple[Window, ...]:
    if value is None:
        wins = [*DEFAULT_CAR_WINDOWS, event_window]
    else:
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            raise WindowError(f"car_windows={value!r} is not a list of windows; write e.g. car_windows=[(0, 1), (-1, 1)]")
        items = list(value)
        if len(items) == 2 and all(isinstance(v, numbers.Real) for v in items):
            raise WindowError(f"car_windows={value!r} is one window, not a list of windows; "
                              f"write car_windows=[({items[0]}, {items[1]})]")
        if not items:
            raise WindowError("car_windows is empty; give at least one window, e.g. car_windows=[(0, 1)]")
        wins = [check_window("CAR window", w) for w in items]
    out: list[Window] = []
    for w in wins:
        if w[0] < event_window[0] or w[1] > event_window[1]:
            raise WindowError(
                f"CAR window {list(w)} must be [a, b] with a <= b inside the event window {list(event_window)}; "
                "widen the event window or change the CAR window"
            )
        if w not in out:
            out.append(w)
    return tuple(out)


def _exclude_dates(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str | pd.Timestamp):
        raise WindowError(f"exclude_dates={value!r} is a single date, not a list; write exclude_dates=[{str(value)!r}]")
    if not isinstance(value, Iterable):
        raise WindowError(f"exclude_dates={value!r} is not a list of dates; write e.g. exclude_dates=['2024-06-03']")
    out = []
    for d in value:
        try:
            out.append(f"{strict_date('excluded estimation date', d):%Y-%m-%d}")
        except InvalidRequestError as exc:
            raise WindowError(str(exc)) from None
    return tuple(out)


def _tests(value: object) -> tuple[str, ...] | str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value if value == "all" else (value,)
    if not isinstance(value, Iterable) or not all(isinstance(v, str) for v in value):
        raise InvalidRequestError(f"tests={value!r} must be None, 'all' or a list of test names, e.g. ['patell', 'bmp']")
    names = tuple(value)
    if not names:
        raise InvalidRequestError("tests=[] asks for no tests; pass tests=None for the standard battery, "
                                  "tests='all' for every test, or a list of names, e.g. ['patell', 'bmp']")
    return "all" if names == ("all",) else names


# --------------------------------------------------------------------------- the spec
@dataclass(frozen=True)
class StudySpec:
    """The design of an event study (validated when built).

    Attributes
    ----------
    estimation_window, event_window
        ``(a, b)`` in trading sessions of each security's own
        exchange relative to day 0 (defaults ``(-250, -11)`` and ``(-10, 10)``).
    car_windows
        windows inside the event window; ``None`` gives ``(0,0), (0,1), (-1,1)`` and
        the whole event window.  Stored as a tuple of pairs.
    model
        normal-return model name.
    min_estimation
        minimum number of valid estimation returns.
    conventions
        ``"textbook"``, ``"estudy2"`` or ``"eventstudy"`` (or a
        :class:`~research_lib.conventions.Conventions` object).
    returns
        ``"simple"`` or ``"log"``.
    after_gap
        ``"missing"`` or ``"span"`` (the return spanning a gap in the data).
    confidence
        level of the two-sided bands and intervals, strictly between 0 and 1.
    exclude_dates
        sessions (``YYYY-MM-DD``) left out of every estimation sample.
    tests
        ``None`` (standard battery), ``"all"`` or a tuple of test names.
    bhar_benchmark
        the expected return the BHAR compounds: ``"model"`` (the fitted normal
        return, the default) or ``"benchmark"`` (the benchmark's own return).
    on_suspect
        an event whose windows hold a price flagged by the screen
        (:mod:`research_lib.data.screen`: split-like jump, reversing spike, stale run):
        ``"warn"`` (default: status ``suspect`` and a warning), ``"exclude"`` or ``"ignore"``.
        Zero variance of a security's estimation returns excludes its event unless ``"ignore"``.
    measure : what the ARs measure: ``"returns"`` (default), ``"volume"`` (abnormal log volume,
        :func:`research_lib.measures.abnormal_volume`; ``model`` ``"constant_mean"`` or ``"market"``)
        or ``"range"`` (abnormal log range variance, :func:`research_lib.measures.abnormal_range`,
        estimator ``range_estimator``; the constant-mean model of ln sigma^2).
    range_estimator : ``"parkinson"`` (high/low) or ``"garman_klass"`` (open/high/low/close).
    n_resamples, seed : resamples and generator seed of the resampling tests
        (``tests=[..., "wild_bootstrap", "placebo_permutation", "lbt_bootstrap"]``).

    Raises
    ------
    WindowError, InvalidRequestError
        For a window that is not two integers, a fraction where a count is needed, a
        confidence outside (0, 1), an unknown option, a bare pair given as ``car_windows``
        or a bare string given as ``exclude_dates``.

    Examples
    --------
    >>> from research_lib import StudySpec, event_study
    >>> from research_lib.examples import example_events, example_prices
    >>> spec = StudySpec(estimation_window=(-200, -11), car_windows=((0, 0), (0, 1)))
    >>> spec.car_windows, spec.model
    (((0, 0), (0, 1)), 'market')
    >>> res = event_study(example_events(), spec, prices=example_prices())
    >>> int(res.to_frame()["n_est"].min())
    190
    """

    estimation_window: Window = (-250, -11)
    event_window: Window = (-10, 10)
    car_windows: tuple[Window, ...] | None = None
    model: ModelName = "market"
    min_estimation: int = 120
    conventions: ConventionsName | Conventions = "textbook"
    returns: ReturnsKind = "simple"
    after_gap: AfterGap = "missing"
    confidence: float = 0.95
    exclude_dates: tuple[str, ...] = field(default=())
    tests: tuple[str, ...] | str | None = None
    bhar_benchmark: BharBenchmark = "model"
    on_suspect: OnSuspect = "warn"
    measure: Measure = "returns"
    range_estimator: RangeEstimator = "parkinson"
    n_resamples: int = 999
    seed: int = 0

    def __post_init__(self) -> None:
        est = check_window("estimation_window", self.estimation_window)
        evt = check_window("event_window", self.event_window)
        put = object.__setattr__  # frozen: normalise the fields once, here
        put(self, "estimation_window", est)
        put(self, "event_window", evt)
        put(self, "car_windows", _car_windows(self.car_windows, evt))
        put(self, "min_estimation", check_integer("min_estimation", self.min_estimation))
        _known("model", self.model, _model_names())
        if not _is_conventions(self.conventions):
            _known("conventions", self.conventions, _conventions_names())
        _choice("returns", self.returns, ReturnsKind)
        _choice("after_gap", self.after_gap, AfterGap)
        _choice("bhar_benchmark", self.bhar_benchmark, BharBenchmark)
        _choice("on_suspect", self.on_suspect, OnSuspect)
        self._check_measure()
        put(self, "confidence", _confidence(self.confidence))
        put(self, "exclude_dates", _exclude_dates(self.exclude_dates))
        put(self, "tests", _tests(self.tests))

    def _check_measure(self) -> None:
        _choice("measure", self.measure, Measure)
        _choice("range_estimator", self.range_estimator, RangeEstimator)
        put = object.__setattr__
        put(self, "n_resamples", check_integer("n_resamples", self.n_resamples))
        put(self, "seed", check_integer("seed", self.seed))
        if self.n_resamples < 19:
            raise InvalidRequestError(f"n_resamples={self.n_resamples} is too few for a p-value of 0.05; use 999 (or at least 19)")
        if self.measure == "volume" and self.model not in VOLUME_MODEL_NAMES:
            raise InvalidRequestError(f"measure='volume' models log volume with {VOLUME_MODEL_NAMES}, not model={self.model!r}; "
                                      "use model='constant_mean' (estimation-window mean) or model='market' (benchmark volume)")
        if self.measure == "range" and self.model != "constant_mean":
            raise InvalidRequestError(f"measure='range' uses the constant-mean model of log range variance, not model={self.model!r}; "
                                      "pass model='constant_mean'")

    @property
    def windows(self) -> tuple[Window, ...]:
        """The CAR windows (never None once built)."""
        return self.car_windows or ()

    def replace(self, **changes: Any) -> StudySpec:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> StudySpec:
        """Build from keyword options; an unknown key is an error naming the known ones."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise InvalidRequestError(f"unknown study option(s) {unknown}; the options are {sorted(known)}")
        return cls(**dict(options))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: windows as lists."""
        return {
            "estimation_window": list(self.estimation_window),
            "event_window": list(self.event_window),
            "car_windows": [list(w) for w in self.windows],
            "model": self.model,
            "min_estimation": self.min_estimation,
            "conventions": self.conventions if isinstance(self.conventions, str) else self.conventions.name,
            "returns": self.returns,
            "after_gap": self.after_gap,
            "confidence": self.confidence,
            "exclude_dates": list(self.exclude_dates),
            "tests": self.tests if self.tests is None or isinstance(self.tests, str) else list(self.tests),
            "bhar_benchmark": self.bhar_benchmark,
            "on_suspect": self.on_suspect,
            "measure": self.measure,
            "range_estimator": self.range_estimator,
            "n_resamples": self.n_resamples,
            "seed": self.seed,
        }


# --------------------------------------------------------------------------- other arguments
def check_events_argument(events: object) -> pd.DataFrame | str:
    """Refuse what cannot be an events table before anything else runs."""
    import os

    if events is None:
        raise EventError("events is None; pass a DataFrame with event_id, symbol, benchmark and event_date "
                         "or announced_at, or the path of such a CSV file")
    if isinstance(events, pd.DataFrame):
        if events.empty:
            raise EventError("the events table has no rows; add one row per event (event_id, symbol, benchmark, "
                             "event_date or announced_at)")
        return events
    if isinstance(events, str | os.PathLike):
        return os.fspath(events)
    raise EventError(f"events must be a DataFrame or a CSV path, not {type(events).__name__}; "
                     "e.g. event_study('my_events.csv') or event_study(pd.read_csv(...))")


def _not_numbers(series: pd.Series) -> bool:
    """Bool, string, or object dtype holding no number at all (a few bad cells among numbers are left to the screen)."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return True
    if pd.api.types.is_numeric_dtype(series.dtype):
        return False
    if series.dtype != object:  # pandas' str dtype, categorical of labels, ...
        return True
    values = series.dropna()
    return bool(len(values)) and all(isinstance(v, str | bool) for v in values)  # np.bool_ is no number either


def check_prices(prices: object) -> dict[str, pd.Series] | None:
    """``prices`` must map each symbol to a pandas Series (or a frame with ``adj_close``) indexed by date."""
    if prices is None:
        return None
    if not isinstance(prices, Mapping) or isinstance(prices, pd.DataFrame):
        hint = "; for a wide frame (one column per symbol) pass frame.to_dict('series')" if isinstance(prices, pd.DataFrame) else ""
        raise DataError(f"prices must be a dict symbol -> pandas Series of adjusted closes, not {type(prices).__name__}{hint}")
    out: dict[str, pd.Series] = {}
    for sym, series in prices.items():
        if isinstance(series, pd.DataFrame) and "adj_close" in series.columns:
            series = series["adj_close"]
        if callable(getattr(series, "returns_on", None)):  # a PriceSource (user returns, a basket): passed as is
            out[str(sym)] = series
            continue
        if not isinstance(series, pd.Series):
            raise DataError(f"prices[{sym!r}] is a {type(series).__name__}, not a pandas Series; give adjusted closes "
                            f"indexed by date, e.g. pd.Series(values, index=pd.to_datetime(dates))")
        if series.empty:
            raise DataError(f"prices[{sym!r}] is an empty Series; give its adjusted closes or leave the symbol out of prices")
        if not isinstance(series.index, pd.DatetimeIndex):
            raise DataError(f"prices[{sym!r}] is not indexed by dates; set a DatetimeIndex "
                            "(e.g. series.index = pd.to_datetime(series.index, format='ISO8601'))")
        if series.index.tz is not None:
            raise DataError(f"prices[{sym!r}] has a time-zone-aware index ({series.index.tz}); index the closes by "
                            "exchange-local trading date without a time zone (series.tz_localize(None))")
        if _not_numbers(series):
            raise DataError(f"prices[{sym!r}] has dtype {series.dtype}, not numbers; give adjusted closes as floats "
                            "(e.g. pd.to_numeric(series, errors='raise'))")
        out[str(sym)] = series
    return out
