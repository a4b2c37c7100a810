"""A screen for implausible prices, run on every series before it is used.

An event study inherits every error of its prices: an unadjusted 2:1 split in
the event window reads as a -50 % abnormal return with a t of -40, one price
typed a hundred times too large gives a residual standard deviation of several
hundred percent a day, and months of repeated closes shrink the variance.  The
screen flags such values; :func:`research_lib.engine.windows.build_panel` marks
every event whose windows contain one (status ``"suspect"``, with the date, the
size and the likely cause) or excludes it, by the ``on_suspect`` policy.

Checks (thresholds in :class:`ScreenConfig`)
--------------------------------------------
``value``
    Non-numeric, non-finite or non-positive prices: :func:`check_values` raises
    :class:`~research_lib.errors.DataError` (this is the one place of that check
    for prices handed to the engine; the snapshot and yfinance readers check
    their files line by line when reading them).
``split``
    A one-session log return (minus the benchmark's, when given) within
    ``split_tolerance`` of ``+-log(k)`` for a
    split or reverse-split ratio ``k`` in ``split_ratios`` (2:1, 3:2, 3:1, 4:1,
    5:1, 8:1, 10:1, 20:1 and the reverse ratios), that does not reverse on the
    next session and that the benchmark (when given) does not match (the
    benchmark's log return on that session is smaller than
    ``benchmark_share`` times the security's).  Likely cause: prices not adjusted
    for a split.
``spike``
    A one-session move of at least ``spike_min`` in log terms that the next
    session reverses to within ``spike_reversal`` of its size (e.g. one price
    x100), not matched by the benchmark.  Likely cause: a typo or a bad tick.
``stale``
    ``stale_run`` or more consecutive identical closes.  Likely cause: a
    provider repeating the last price of a suspended or illiquid listing.
``zero_variance``
    No variation of the security's returns over an event's estimation sample
    (checked per event by :func:`flag_zero_variance`); the event is excluded
    unless ``on_suspect="ignore"`` (its sigma would be 0 and its t undefined).

Policies (``on_suspect``)
-------------------------
``"warn"`` (default): the event is kept with status ``"suspect"`` and the finding
in its reason; ``"exclude"``: the event is excluded with that reason;
``"ignore"``: nothing is marked (zero variance is then also kept).

References
----------
Dimson, E. and Marsh, P. (1985), "Data errors in financial time series" (recording
errors show up as reversing spikes); Ince, O. S. and Porter, R. B. (2006),
"Individual equity return data from Thomson Datastream: Handle with care!",
*Journal of Financial Research* 29(4), 463-479 (screens for stale prices,
unadjusted splits and reversing spikes, the model of the checks here).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from research_lib.data._common import values_on_dates
from research_lib.errors import DataError, InvalidRequestError

ON_SUSPECT = ("warn", "exclude", "ignore")

#: split ratios k (new shares per old share); the reverse ratios 1/k are added by ScreenConfig
_SPLITS = (1.5, 2.0, 3.0, 4.0, 5.0, 8.0, 10.0, 20.0)


@dataclass(frozen=True)
class ScreenConfig:
    """Thresholds of the price screen (see the module docstring for each check).

    Attributes
    ----------
    split_ratios
        forward split ratios k; a jump of ``+-log(k)`` is split-like.
    split_tolerance
        largest ``| |r - r_b| - log k |`` (log returns of the security and, when
        given, the benchmark) still counted as a split: 0.05 covers the day's own move of
        about 97 % of large-cap sessions while keeping 3:2 (0.405) and 2:1 (0.693) apart.
    benchmark_share
        the benchmark "matches" a jump when its log return on that
        session is at least this share of the security's, with the same sign.
    spike_min
        smallest ``|log return|`` of a spike's first session (log(1.5): +50 %/-33 %).
    spike_reversal
        the next session's return must undo the spike to within this
        share of its size (``|r_t + r_{t+1}| <= spike_reversal * |r_t|``).
    stale_run
        this many consecutive identical closes (or more) are flagged.
    """

    split_ratios: tuple[float, ...] = _SPLITS
    split_tolerance: float = 0.05
    benchmark_share: float = 0.5
    spike_min: float = math.log(1.5)
    spike_reversal: float = 0.25
    stale_run: int = 5

    def __post_init__(self) -> None:
        if not self.split_ratios or any(not (k > 1) for k in self.split_ratios):
            raise InvalidRequestError(f"split_ratios {self.split_ratios!r} must be ratios above 1, e.g. (2.0, 3.0)")
        for name in ("split_tolerance", "benchmark_share", "spike_min", "spike_reversal"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and 0 < value < 10):
                raise InvalidRequestError(f"ScreenConfig.{name}={value!r} must be a positive number")
        if not isinstance(self.stale_run, int) or self.stale_run < 2:
            raise InvalidRequestError(f"ScreenConfig.stale_run={self.stale_run!r} must be an integer >= 2")

    @property
    def log_ratios(self) -> np.ndarray:
        """``log(k)`` of each ratio (the reverse split is the negative)."""
        return np.log(np.asarray(self.split_ratios, dtype=float))


@dataclass(frozen=True)
class Finding:
    """One suspect value: where, what, how large and the likely cause."""

    symbol: str
    date: pd.Timestamp
    kind: str  # "split", "spike", "stale", "zero_variance"
    size: float  # the price ratio P_t / P_{t-1} (split, spike) or the run length (stale)
    cause: str
    last: pd.Timestamp | None = None  # last date of a stale run

    def describe(self) -> str:
        when = f"{self.date:%Y-%m-%d}" + (f"..{self.last:%Y-%m-%d}" if self.last is not None else "")
        size = f"{int(self.size)} identical closes" if self.kind == "stale" else f"price ratio {self.size:.4g}"
        return f"suspect {self.kind} in {self.symbol} on {when} ({size}): {self.cause}"


@dataclass(frozen=True)
class ScreenReport:
    """The findings of one series."""

    symbol: str
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    def __len__(self) -> int:
        return len(self.findings)

    def frame(self) -> pd.DataFrame:
        cols = ["symbol", "date", "last", "kind", "size", "cause"]
        return pd.DataFrame([{c: getattr(f, c) for c in cols} for f in self.findings], columns=cols)


def check_on_suspect(value: object) -> str:
    """Validate an ``on_suspect`` policy."""
    if value not in ON_SUSPECT:
        raise InvalidRequestError(f"on_suspect={value!r} is not a policy; use one of {ON_SUSPECT} (default 'warn')")
    return str(value)


def check_values(values: pd.Series, name: str) -> pd.Series:
    """Prices as floats; refuse non-numeric, infinite and non-positive values (NaN = missing).

    Raises
    ------
    DataError
        Naming the first offending dates and the fix.
    """
    if not (isinstance(values.dtype, np.dtype) and values.dtype.kind == "f"):  # floats are numbers already
        nums = pd.to_numeric(values, errors="coerce")
        odd = nums.isna() & values.notna()
        if odd.any():
            shown = [f"{d:%Y-%m-%d}={v!r}" if isinstance(d, pd.Timestamp) else repr(v) for d, v in values[odd].head(3).items()]
            raise DataError(f"prices of {name} are not numbers ({', '.join(shown)}); convert them with pd.to_numeric or fix the rows")
        values = nums
    nums = values.astype(float)
    arr = nums.to_numpy()
    bad = ~np.isfinite(arr) & ~np.isnan(arr) | (arr <= 0)
    if bad.any():
        dates = nums.index[bad]
        shown = dates.strftime("%Y-%m-%d").tolist()[:5] if isinstance(dates, pd.DatetimeIndex) else list(dates[:5])
        raise DataError(
            f"adjusted closes of {name} are infinite or not positive on {shown}; "
            "returns need positive prices: fix or drop those rows in the price data"
        )
    return nums


def screen_prices(
    prices: pd.Series, symbol: str, benchmark: pd.Series | None = None, config: ScreenConfig | None = None
) -> ScreenReport:
    """Screen one price series (adjusted closes by date) for split-like jumps, spikes and stale runs.

    Parameters
    ----------
    prices
        Adjusted closes indexed by date; NaN rows are dropped (returns between
        consecutive available prices are screened).
    symbol
        For the findings.
    benchmark
        The benchmark's log returns indexed by the same dates (optional); a jump
        the benchmark matches is not flagged.
    config
        Thresholds (default :class:`ScreenConfig()`).

    Returns
    -------
    ScreenReport

    Examples
    --------
    A 2-for-1 split left in the closes is caught (a jump of the split ratio the benchmark does not share):

    >>> import numpy as np, pandas as pd
    >>> from research_lib.data import screen_prices
    >>> dates = pd.bdate_range("2024-01-02", periods=60)
    >>> close = pd.Series(100 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 0.01, 60))), index=dates)
    >>> close.iloc[30:] /= 2
    >>> report = screen_prices(close, "ABC")
    >>> type(report).__name__
    'ScreenReport'
    """
    cfg = config or ScreenConfig()
    if not isinstance(prices, pd.Series) or not isinstance(prices.index, pd.DatetimeIndex):
        raise DataError(f"prices of {symbol} must be a pandas Series indexed by dates (a DatetimeIndex)")
    if benchmark is not None and not isinstance(benchmark.index, pd.DatetimeIndex):
        raise DataError(f"the benchmark returns for {symbol} must be indexed by dates (a DatetimeIndex)")
    if prices.index.has_duplicates:
        raise DataError(f"prices of {symbol} have duplicate dates; keep one price per session")
    px = check_values(prices, symbol).dropna().sort_index()
    if len(px) < 2:
        return ScreenReport(symbol)
    dates = pd.DatetimeIndex(px.index)
    logp = np.log(px.to_numpy())
    r = np.diff(logp)  # r[i] is the return on dates[i + 1]
    b = _bench_on(benchmark, dates[1:])
    unmatched = ~(np.sign(b) == np.sign(r)) | (np.abs(b) < cfg.benchmark_share * np.abs(r))
    nxt = np.append(r[1:], np.nan)
    big = np.abs(r) >= cfg.spike_min
    spike = big & unmatched & (np.sign(nxt) == -np.sign(r)) & (np.abs(r + nxt) <= cfg.spike_reversal * np.abs(r))
    # compare the market-adjusted jump with the split ratios (a split on a day the market moves 2 % is still a split)
    near = np.abs(np.abs(r - b)[:, None] - cfg.log_ratios[None, :]) <= cfg.split_tolerance
    prev_spike = np.concatenate([[False], spike[:-1]])  # the return that undoes a spike
    split = near.any(axis=1) & unmatched & ~spike & ~prev_spike
    out: list[Finding] = []
    for i in map(int, np.flatnonzero(spike)):
        out.append(Finding(symbol, dates[i + 1], "spike", float(np.exp(r[i])),
                           f"a one-session move of {np.expm1(r[i]):+.1%} reversed on {dates[i + 2]:%Y-%m-%d} "
                           "(a bad tick or a typo, e.g. a price x100)"))
    for i in map(int, np.flatnonzero(split)):
        kind = _split_label(cfg.split_ratios[int(np.argmax(near[i]))], forward=r[i] < 0)
        out.append(Finding(symbol, dates[i + 1], "split", float(np.exp(r[i])),
                           f"a jump of {np.expm1(r[i]):+.1%} that matches an unadjusted {kind} and not the benchmark; "
                           "use split-adjusted prices (adj_close)"))
    out += _stale_runs(px, dates, symbol, cfg.stale_run)
    out.sort(key=lambda f: f.date)
    return ScreenReport(symbol, tuple(out))


def _split_label(k: float, *, forward: bool) -> str:
    """``"2:1 split"``, ``"3:2 split"``, ``"1:10 reverse split"``, ``"2:3 reverse split"``."""
    new, old = (f"{k:g}", "1") if k == int(k) else (f"{k * 2:g}", "2")
    return f"{new}:{old} split" if forward else f"{old}:{new} reverse split"


def _bench_on(benchmark: pd.Series | None, dates: pd.DatetimeIndex) -> np.ndarray:
    if benchmark is None:
        return np.zeros(len(dates))
    vals = values_on_dates(pd.Series(np.asarray(benchmark, dtype=float), index=pd.DatetimeIndex(benchmark.index)), dates)
    return np.nan_to_num(vals, nan=0.0)


def _stale_runs(px: pd.Series, dates: pd.DatetimeIndex, symbol: str, min_run: int) -> list[Finding]:
    """Runs of ``min_run`` or more identical consecutive closes (run-length encoding with numpy)."""
    v = px.to_numpy()
    change = np.concatenate([[True], v[1:] != v[:-1]])
    starts = np.flatnonzero(change)
    lengths = np.diff(np.append(starts, len(v)))
    long_runs = lengths >= min_run  # only the long runs reach the Python loop
    out = []
    for s, n in zip(starts[long_runs].tolist(), lengths[long_runs].tolist(), strict=True):
        out.append(Finding(symbol, dates[s], "stale", float(n),
                           f"{n} consecutive identical closes of {v[s]:.6g} (stale prices: a suspended or illiquid "
                           "listing, or a provider repeating the last price); their returns are 0, not data",
                           last=dates[s + n - 1]))
    return out


def zero_variance_rows(y_est: np.ndarray, min_n: int = 2) -> np.ndarray:
    """Rows (events) whose finite estimation returns do not vary (max == min) with at least ``min_n`` of them."""
    finite = np.isfinite(y_est)
    n = finite.sum(axis=1)
    hi = np.where(finite, y_est, -np.inf).max(axis=1)
    lo = np.where(finite, y_est, np.inf).min(axis=1)
    return (n >= min_n) & (hi == lo)


__all__ = [
    "ON_SUSPECT",
    "Finding",
    "ScreenConfig",
    "ScreenReport",
    "check_on_suspect",
    "check_values",
    "screen_prices",
    "zero_variance_rows",
]
