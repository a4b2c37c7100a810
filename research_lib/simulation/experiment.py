"""Size and power of event-study tests by simulation (Brown and Warner 1985 design).

A simulation draws S samples of N *pseudo-events*: securities and day-0
dates picked at random from a panel of daily returns, where nothing happened
on day 0 unless the simulation puts it there.  The returns come from a
:class:`ReturnUniverse`, either real (:func:`snapshot_universe`: US stocks
against ^GSPC from the data snapshot) or a seeded synthetic market
(:class:`SyntheticMarket`).  Optionally the simulation plants

- an abnormal return d on day 0 (or d / L on each of L days of a window),
- an event-induced variance increase (the AR's standard deviation times c),
- clustering: all N events of a sample on one date (with a common
  non-market factor in the synthetic market, residuals are then correlated).

The S x N pseudo-events are stacked into :class:`~research_lib.engine.panel.EventPanel`
panels, one per block of samples (:data:`SAMPLE_BLOCK_CELLS`; the samples are independent, so the
numbers do not depend on the block size, tested) and each block is fitted with
:func:`research_lib.models.fit_model` once.  The tests are
then evaluated for every sample at once by :class:`PerSampleTests`, which
reshapes the (S N, ...) arrays to (S, N, ...) and calls the battery's own test
functions (:data:`research_lib.inference.battery.REGISTRY`) with a leading
samples axis: the same function objects that
:class:`research_lib.inference.battery.TestBattery` calls for one sample (the
test suite checks they are the same objects and agree to 1e-10 on sample slices).  The result is a
:class:`SimulationResult` with rejection rates and their Monte-Carlo
standard errors sqrt(p (1 - p) / S).

Data requirement: every pseudo-event has complete estimation and event
windows (Brown and Warner 1985 also required complete data), so M_i = L1 for
every event and no missing-value bookkeeping is needed in the per-sample tests.

References
----------
Brown, S. J. and Warner, J. B. (1980). Measuring security price performance.
JFE 8, 205-258; (1985). Using daily stock returns: the case of event studies.
JFE 14, 3-31.  MacKinlay, A. C. (1997). Event studies in economics and
finance. JEL 35(1), 13-39.  Boehmer, E., Musumeci, J. and Poulsen, A. B.
(1991). Event-study methodology under conditions of event-induced variance.
JFE 30, 253-272.  Kolari, J. W. and Pynnönen, S. (2010). RFS 23, 3996-4025.
Gelbach, J. B., Helland, E. and Klick, J. (2013). ALER 15(2), 495-541.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from research_lib.conventions import TEXTBOOK, Conventions, get_conventions, pct_label
from research_lib.engine.panel import AbnormalReturns, EventPanel
from research_lib.engine.windows import WindowSpec
from research_lib.errors import DataError, InvalidRequestError
from research_lib.inference._arrays import t_dist
from research_lib.inference._threads import single_blas
from research_lib.inference.battery import (
    ALL_TEST_NAMES,
    KP_TESTS,
    REGISTRY,
    TEST_NAMES,
    WindowInputs,
    aar_sd,
    forecast_factor,
    positive_fraction,
    wilcoxon_groups,
)
from research_lib.inference.correlation import kolari_pynnonen_r
from research_lib.inference.rank import EstimationRanks, generalized_rank_inputs, rank_scores
from research_lib.inference.results import Statistic
from research_lib.inference.single_firm import sample_quantile_pvalues
from research_lib.models.fit import fit_model
from research_lib.models.registry import benchmark_only_models

log = logging.getLogger(__name__)

#: across-event tests evaluated per sample (the battery's main tests and CLM's J1)
SIMULATION_TESTS: tuple[str, ...] = (*TEST_NAMES, "clm_j1")
#: single-event tests, for designs with one event per sample
SINGLE_FIRM_TESTS: tuple[str, ...] = ("single_t", "sample_quantile")
#: US listings of the snapshot used as securities by default (all on the NYSE calendar)
DEFAULT_SNAPSHOT_SYMBOLS: tuple[str, ...] = (
    "AAPL", "MSFT", "NVDA", "AMZN", "META", "GOOGL", "ORCL", "MU", "INTC", "AMD", "AVGO",
    "JD", "PDD", "BIDU", "BABA", "QQQ",
)
#: Brown and Warner (1985): estimation days -244..-6, event window -5..+5
BROWN_WARNER_WINDOWS = WindowSpec(estimation=(-244, -6), event=(-5, 5), min_estimation=120)
SIDES = ("two-sided", "upper")
#: one distinct colour per test of SIMULATION_TESTS + SINGLE_FIRM_TESTS (tab10, then five more)
_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf", "#393b79", "#bd9e39", "#637939", "#1f77b4", "#d62728")


# =========================================================================== universes
@dataclass(frozen=True)
class ReturnUniverse:
    """Daily returns of K securities and their market index on one session grid.

    Attributes
    ----------
    dates
        (G,) datetime64[ns] sessions.
    returns
        (G, K) security returns, NaN where missing (before a listing, gaps).
    market
        (G,) market returns, NaN where missing.
    symbols
        the K security names.
    market_symbol
        name of the market index.
    description
        one line saying where the returns come from.
    """

    dates: np.ndarray
    returns: np.ndarray
    market: np.ndarray
    symbols: tuple[str, ...]
    market_symbol: str
    description: str

    def __post_init__(self) -> None:
        g = len(self.dates)
        if self.returns.ndim != 2 or self.returns.shape != (g, len(self.symbols)) or self.market.shape != (g,):
            raise InvalidRequestError(
                f"universe arrays disagree: {g} dates, returns {self.returns.shape}, market {self.market.shape}, "
                f"{len(self.symbols)} symbols; returns must be (dates, securities) and market (dates,)"
            )

    @property
    def n_securities(self) -> int:
        return len(self.symbols)

    def valid_day0(self, spec: WindowSpec) -> np.ndarray:
        """(G, K) True where a day 0 at that row leaves complete estimation and event windows.

        Complete: the security's and the market's returns are present on every
        estimation and event session (sessions between the two windows are not used).
        """
        ok = np.isfinite(self.returns) & np.isfinite(self.market)[:, None]
        g = ok.shape[0]
        cum = np.vstack([np.zeros((1, ok.shape[1]), dtype=np.int64), np.cumsum(ok, axis=0)])
        (e0, e1), (v0, v1) = spec.estimation, spec.event
        out = np.zeros_like(ok)
        lo, hi = max(0, -e0), g - 1 - max(0, v1)  # day-0 rows whose windows lie on the grid
        if hi < lo:
            return out
        p = np.arange(lo, hi + 1)
        n_est = cum[p + e1 + 1] - cum[p + e0]
        n_evt = cum[p + v1 + 1] - cum[p + v0]
        out[lo : hi + 1] = (n_est == e1 - e0 + 1) & (n_evt == v1 - v0 + 1)
        return out


@dataclass(frozen=True)
class SyntheticMarket:
    """A seeded market-model world: R_kt = alpha_k + beta_k R_mt + sigma_k e_kt.

    Attributes
    ----------
    alpha, beta, sigma
        intercept, slope and residual SD (daily, in decimals), a
        number for every security or an array of length K.
    market_mean, market_sd
        mean and SD of the market return R_mt.
    distribution
        ``"normal"`` or ``"t"`` (Student t with ``df`` degrees of
        freedom scaled to unit variance; df > 2) for the market and residual shocks.
    df
        degrees of freedom of the t distribution.
    common_factor
        rho in e_kt = sqrt(rho) f_t + sqrt(1 - rho) u_kt with f_t a
        common non-market shock: residuals of two securities have correlation rho
        on the same date (0 = independent residuals).

    Notes
    -----
    This is the data-generating process of the textbook market model
    (Campbell, Lo and MacKinlay 1997, sec. 4.3) with an optional common
    factor as in Kolari and Pynnönen (2010)'s simulations.
    """

    alpha: float | Sequence[float] = 0.0
    beta: float | Sequence[float] = 1.0
    sigma: float | Sequence[float] = 0.02
    market_mean: float = 0.0004
    market_sd: float = 0.01
    distribution: str = "normal"
    df: float = 5.0
    common_factor: float = 0.0

    def __post_init__(self) -> None:
        if self.distribution not in ("normal", "t"):
            raise InvalidRequestError(f"distribution {self.distribution!r} is not 'normal' or 't'")
        if self.distribution == "t" and not self.df > 2:
            raise InvalidRequestError(f"a t distribution with df = {self.df} has no finite variance; use df > 2")
        if not 0.0 <= self.common_factor < 1.0:
            raise InvalidRequestError(f"common_factor = {self.common_factor} must be a correlation in [0, 1)")
        if np.any(np.asarray(self.sigma) <= 0) or self.market_sd <= 0:
            raise InvalidRequestError("sigma and market_sd must be positive standard deviations (decimals, e.g. 0.02)")

    def _shocks(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        if self.distribution == "normal":
            return rng.standard_normal(shape)
        return rng.standard_t(self.df, shape) * np.sqrt((self.df - 2.0) / self.df)

    def draw(self, n_securities: int = 200, n_days: int = 3000, seed: int = 0) -> ReturnUniverse:
        """Draw a universe of ``n_securities`` x ``n_days`` business days (seeded).

        Parameters
        ----------
        n_securities : K; a clustered design with N events per sample needs K >= N.
        n_days : G; must exceed the estimation and event windows.
        seed : seed of ``numpy.random.default_rng``.
        """
        if n_securities < 1 or n_days < 2:
            raise InvalidRequestError("n_securities and n_days must be positive (e.g. 200 securities, 3000 days)")
        rng = np.random.default_rng(seed)
        k = n_securities
        params = {}
        for name in ("alpha", "beta", "sigma"):
            val = np.asarray(getattr(self, name), dtype=float)
            if val.ndim not in (0, 1) or (val.ndim == 1 and val.size != k):
                raise InvalidRequestError(f"{name} has {val.size} values for {k} securities; pass one number or K values")
            params[name] = np.broadcast_to(val, (k,))
        rm = self.market_mean + self.market_sd * self._shocks(rng, (n_days,))
        u = self._shocks(rng, (n_days, k))
        if self.common_factor > 0:
            f = self._shocks(rng, (n_days, 1))
            u = np.sqrt(self.common_factor) * f + np.sqrt(1.0 - self.common_factor) * u
        ret = params["alpha"] + params["beta"] * rm[:, None] + params["sigma"] * u
        dates = pd.bdate_range("2000-01-03", periods=n_days).values.astype("datetime64[ns]")
        desc = (
            f"synthetic market model ({self.distribution}{'' if self.distribution == 'normal' else f', df={self.df:g}'}), "
            f"K={k} securities x G={n_days} days, common factor rho={self.common_factor:g}, seed={seed}"
        )
        return ReturnUniverse(dates, ret, rm, tuple(f"S{i:03d}" for i in range(k)), "MKT", desc)


def snapshot_universe(
    symbols: Sequence[str] = DEFAULT_SNAPSHOT_SYMBOLS,
    market: str = "^GSPC",
    *,
    start: object = None,
    end: object = None,
    returns: str = "simple",
    snapshot: str | os.PathLike[str] | None = None,
    offline: bool | None = None,
) -> ReturnUniverse:
    """Real daily returns of ``symbols`` and ``market`` through the data layer.

    Every listing must trade on the market's exchange calendar (the default
    symbols are US listings; ^GSPC is on XNYS).  Returns are computed on the
    calendar's sessions (:func:`research_lib.engine.returns.compute_returns`); a
    session without a price is a missing return, and before a listing's first
    price every return is missing, so pseudo-events fall only where a
    security has complete windows.

    Parameters
    ----------
    symbols, market
        Yahoo-style symbols.
    start, end
        first and last price date used (inclusive), e.g. ``end="2025-02-21"``
        to keep every pseudo-event window before an actual event.
    returns
        ``"simple"`` or ``"log"``.
    snapshot, offline
        override ``RESEARCH_LIB_SNAPSHOT`` / ``RESEARCH_LIB_OFFLINE``.
    """
    from research_lib.data import load_prices
    from research_lib.engine.returns import align_benchmark, compute_returns
    from research_lib.listings.calendars import sessions
    from research_lib.listings.symbols import lookup

    names = list(dict.fromkeys(str(s).strip().upper() for s in symbols))
    if not names:
        raise InvalidRequestError("no symbols given; pass at least one security, e.g. ['AAPL', 'MSFT']")
    cal = lookup(market).calendar
    other = [s for s in names if lookup(s).calendar != cal]
    if other:
        raise InvalidRequestError(
            f"{other} do not trade on the {cal} calendar of {market}; simulate each exchange separately "
            f"(pass only {cal} listings, or a market index of their exchange)"
        )
    loaded = load_prices([*names, market], start, end, snapshot=None if snapshot is None else Path(snapshot),
                         offline=offline, progress=False)
    first = min(loaded[s].first for s in names)  # the securities' span; the market may cover more
    last = max(loaded[s].last for s in names)
    grid = sessions(market, first, last)
    rets = np.column_stack(
        [compute_returns(loaded[s].adj_close, sessions(s, loaded[s].first, loaded[s].last), returns).reindex(grid).to_numpy()
         for s in names]
    )
    mkt_ret = compute_returns(loaded[market].adj_close, sessions(market, loaded[market].first, loaded[market].last), returns)
    mkt = align_benchmark(mkt_ret, grid).to_numpy()
    desc = f"snapshot daily {returns} returns of {len(names)} {cal} listings vs {market}, {first:%Y-%m-%d}..{last:%Y-%m-%d}"
    return ReturnUniverse(grid.values.astype("datetime64[ns]"), rets, mkt, tuple(names), market, desc)


# =========================================================================== pseudo-events
@dataclass(frozen=True)
class PseudoEvents:
    """Where the S x N pseudo-events fall: (S, N) security columns and day-0 rows of a universe."""

    security: np.ndarray
    day0_row: np.ndarray

    @property
    def n_samples(self) -> int:
        return int(self.security.shape[0])

    @property
    def n_events(self) -> int:
        return int(self.security.shape[1])


def draw_events(
    universe: ReturnUniverse,
    spec: WindowSpec,
    n_samples: int,
    n_events: int,
    *,
    clustered: bool = False,
    rng: np.random.Generator,
) -> PseudoEvents:
    """Draw S samples of N pseudo-events with complete windows.

    Notes
    -----
    Not clustered (Brown and Warner 1985): each event's security is drawn
    uniformly (with replacement) among the securities that have at least one
    admissible day 0, then its day 0 uniformly among that security's
    admissible rows.  With few securities (the snapshot has 16) a sample
    holds the same security several times, at different dates.  Clustered:
    each sample gets one day 0, drawn uniformly among the rows where at least
    N securities are admissible, and N distinct securities admissible on that row.
    """
    if n_samples < 1 or n_events < 1:
        raise InvalidRequestError(f"n_samples={n_samples} and n_events={n_events} must be at least 1")
    valid = universe.valid_day0(spec)
    if clustered:
        per_row = valid.sum(axis=1)
        rows = np.flatnonzero(per_row >= n_events)
        if rows.size == 0:
            raise InvalidRequestError(
                f"a clustered design needs {n_events} distinct securities with complete windows on one date; this "
                f"universe has at most {int(per_row.max())} ({universe.n_securities} securities); lower n_events or "
                "use a synthetic universe with more securities"
            )
        day0 = rng.choice(rows, size=n_samples)
        keys = rng.random((n_samples, universe.n_securities))
        keys[~valid[day0]] = 2.0  # inadmissible securities sort last
        sec = np.argsort(keys, axis=1, kind="stable")[:, :n_events]
        return PseudoEvents(sec, np.repeat(day0[:, None], n_events, axis=1))
    counts = valid.sum(axis=0)
    usable = np.flatnonzero(counts > 0)
    if usable.size == 0:
        raise DataError(
            f"no security of the universe has complete estimation {spec.estimation} and event {spec.event} windows; "
            "shorten the windows or use a longer return history"
        )
    sec = usable[rng.integers(0, usable.size, size=(n_samples, n_events))]
    rows_sorted = np.nonzero(valid.T)  # (security, row) pairs sorted by security
    offsets = np.concatenate([[0], np.cumsum(counts)])
    pick = rng.integers(0, counts[sec])
    day0 = rows_sorted[1][offsets[sec] + pick]
    return PseudoEvents(sec, day0)


def pseudo_panel(universe: ReturnUniverse, events: PseudoEvents, spec: WindowSpec) -> EventPanel:
    """One :class:`EventPanel` of all S x N pseudo-events (market model regressor ``mkt``).

    Row s N + n holds event n of sample s.  Event ids are those row numbers.
    """
    sec = events.security.reshape(-1)
    p0 = events.day0_row.reshape(-1)
    r_est = p0[:, None] + spec.tau_est[None, :]
    r_evt = p0[:, None] + spec.tau_evt[None, :]

    def take(series: np.ndarray, tau: np.ndarray, rows: np.ndarray, column: np.ndarray | None = None) -> np.ndarray:
        """``series[rows]`` (or ``series[rows, column]``): a window of consecutive rows is copied as one run per event."""
        if tau.size and np.all(np.diff(tau) == 1) and np.all(rows[:, :1] >= 0):
            if column is None:
                return np.lib.stride_tricks.sliding_window_view(series, tau.size, axis=0)[rows[:, 0]]
            by_security = np.ascontiguousarray(series.T)
            return np.lib.stride_tricks.sliding_window_view(by_security, tau.size, axis=1)[column, rows[:, 0]]
        return series[rows] if column is None else series[rows, column[:, None]]

    y_est = take(universe.returns, spec.tau_est, r_est, sec)
    y_evt = take(universe.returns, spec.tau_evt, r_evt, sec)
    if not (np.all(np.isfinite(y_est)) and np.all(np.isfinite(y_evt))):
        raise InvalidRequestError("pseudo-events must have complete windows; draw them with draw_events for this spec")
    sym = np.asarray(universe.symbols, dtype=object)
    return EventPanel(
        event_ids=np.arange(sec.size),
        symbols=sym[sec],
        benchmarks=np.full(sec.size, universe.market_symbol, dtype=object),
        day0=universe.dates[p0],
        tau_est=spec.tau_est,
        tau_evt=spec.tau_evt,
        est_dates=take(universe.dates, spec.tau_est, r_est),
        evt_dates=take(universe.dates, spec.tau_evt, r_evt),
        y_est=y_est,
        y_evt=y_evt,
        x_est=take(universe.market, spec.tau_est, r_est)[:, :, None],
        x_evt=take(universe.market, spec.tau_evt, r_evt)[:, :, None],
        r_evt=y_evt.copy(),
        offset_evt=np.zeros_like(y_evt),
        x_names=("mkt",),
    )


def plant_abnormal_returns(
    ab: AbnormalReturns,
    size: float,
    window: tuple[int, int] = (0, 0),
    variance_factor: float = 1.0,
    noise: np.ndarray | None = None,
) -> AbnormalReturns:
    """Add an abnormal return (and optionally extra variance) to every event.

    Parameters
    ----------
    ab
        fitted abnormal returns of the pseudo-events.
    size
        abnormal return d (decimal); d / L is added on each of the L days of ``window``.
    window
        event days (tau, inclusive) that receive the abnormal return and the extra variance.
    variance_factor
        c >= 1; the AR's standard deviation on those days becomes c times s_i.
    noise
        (N, L2) standard normal draws for the extra variance (pass the same
        draws for every size to get smooth power curves); required when c > 1.

    Returns
    -------
    AbnormalReturns
        With ``ar``, ``panel.y_evt`` and ``panel.r_evt`` shifted by the same amounts.

    Notes
    -----
    With a fixed regressor matrix the AR is linear in the return, AR = R - X b,
    and b depends on estimation returns only, so adding delta to the event
    returns adds delta to the ARs and changes nothing else (``ar_var``, ``sigma2``
    and the estimation residuals stay as fitted): planting after the fit equals
    planting before it.  The variance increase adds
    sqrt(c^2 - 1) s_i z_it with s_i the estimated residual SD and z_it standard
    normal, so Var(AR_it) is about c^2 s_i^2 on the window days (the
    event-induced variance design of Boehmer, Musumeci and Poulsen 1991).
    """
    mask = ab.window_index(*window)
    if variance_factor < 1.0:
        raise InvalidRequestError(f"variance_factor={variance_factor} < 1: the simulation can only add variance")
    delta = np.zeros_like(ab.ar)
    delta[:, mask] = size / int(mask.sum())
    if variance_factor > 1.0:
        if noise is None or noise.shape != ab.ar.shape:
            raise InvalidRequestError(f"variance_factor > 1 needs standard normal noise of shape {ab.ar.shape}")
        extra = np.sqrt(variance_factor**2 - 1.0) * np.sqrt(ab.sigma2)[:, None] * noise
        delta[:, mask] += extra[:, mask]
    panel = dataclasses.replace(ab.panel, y_evt=ab.panel.y_evt + delta, r_evt=ab.panel.r_evt + delta)
    return dataclasses.replace(ab, panel=panel, ar=ab.ar + delta)


def sample_slice(ab: AbnormalReturns, sample: int, n_events: int) -> AbnormalReturns:
    """The :class:`AbnormalReturns` of one sample (rows sample N .. sample N + N - 1) of a stacked simulation."""
    rows = np.zeros(ab.ar.shape[0], dtype=bool)
    rows[sample * n_events : (sample + 1) * n_events] = True
    if not rows.any():
        raise InvalidRequestError(f"sample {sample} is outside the {ab.ar.shape[0] // n_events} samples")
    kw: dict[str, Any] = {}
    for f in dataclasses.fields(ab):
        val = getattr(ab, f.name)
        if f.name == "panel":
            kw[f.name] = val.select(rows)
        elif isinstance(val, np.ndarray) and val.ndim >= 1 and val.shape[0] == rows.size:
            kw[f.name] = val[rows]
        else:
            kw[f.name] = val
    return AbnormalReturns(**kw)


# =========================================================================== per-sample tests
def _single_t(per: PerSampleTests, car: np.ndarray) -> tuple[np.ndarray, ...]:
    """One event per sample: CAR / sqrt(Var(CAR)) against t(M - k)."""
    st = Statistic((car / np.sqrt(per.car_var))[:, 0], t_dist(per.df_single[:, 0]), np.ones(per.s), "t")
    return st.stat, st.pvalue_for("two-sided"), st.pvalue_for("greater")


def _sample_quantile(per: PerSampleTests, car: np.ndarray) -> tuple[np.ndarray, ...]:
    """One event per sample: the SQ test of :func:`~research_lib.inference.single_firm.sample_quantile_pvalues`."""
    quantile, p_two, _, p_up = sample_quantile_pvalues(per.rolling_sums(), car.reshape(-1))
    return quantile, p_two, p_up


#: rank tests -> the rank scores they need (computed only for the tests asked)
_RANK_TESTS = {"corrado_rank": "corrado", "modified_rank": "modified", "corrado_zivney": "zivney"}
#: simulate() fits and tests its samples in blocks of about this many estimation-window cells (events x L1)
SAMPLE_BLOCK_CELLS = 1 << 20
#: single-firm tests of the simulator (one event per sample)
SINGLE_FIRM_REGISTRY = {"single_t": _single_t, "sample_quantile": _sample_quantile}


class PerSampleTests:
    """The test battery for each of S samples of N events, computed for all samples at once.

    Parameters
    ----------
    ab
        abnormal returns of S x N events, sample-major rows (row s N + n), complete
        windows (no missing values); the ARs may later be replaced by planted ones.
    n_samples
        S.
    window
        CAR window (tau, inclusive).
    kolari_pynnonen
        compute the Kolari-Pynnönen r of each sample for the
        CAR window (needed by ``patell_kp`` and ``bmp_kp``).

    Notes
    -----
    There is one battery: :meth:`evaluate` builds a
    :class:`~research_lib.inference.battery.WindowInputs` with a leading
    samples axis, (S, N) per-event arrays, and calls the functions of
    :data:`research_lib.inference.battery.REGISTRY`, the very objects
    :class:`~research_lib.inference.battery.TestBattery` calls for one sample.
    What depends only on the estimation window (s_AAR, p_hat, the ranks of
    standardised estimation residuals, r, the rolling residual sums) is
    computed once here with the battery's own helpers
    (:func:`~research_lib.inference.battery.aar_sd`,
    :func:`~research_lib.inference.battery.positive_fraction`,
    :func:`~research_lib.inference.rank.generalized_rank_inputs`,
    :func:`~research_lib.inference.correlation.kolari_pynnonen_r`);
    :meth:`evaluate` takes the (possibly planted) ARs.

    Wilcoxon: samples that need the exact null (N <= 50 non-zero CARs without
    ties) and those that need the normal approximation are passed to the
    battery's function separately (:func:`~research_lib.inference.sign.wilcoxon_exact_rows`).

    Single-firm tests (N = 1): ``single_t`` = CAR / sqrt(Var(CAR)) against
    t(M - k); ``sample_quantile`` = the Gelbach, Helland and Klick (2013) test
    with finite-sample p-values (:func:`research_lib.inference.single_firm.sample_quantile_pvalues`).
    """

    __test__ = False
    registry = REGISTRY  # the battery's own dispatch, shared

    @single_blas
    def __init__(self, ab: AbnormalReturns, n_samples: int, window: tuple[int, int], kolari_pynnonen: bool = True) -> None:
        rows = ab.ar.shape[0]
        if n_samples < 1 or rows % n_samples:
            raise InvalidRequestError(f"{rows} events cannot be split into {n_samples} equal samples")
        for name in ("ar", "ar_var", "est_resid", "sigma2"):
            if not np.all(np.isfinite(getattr(ab, name))):
                raise InvalidRequestError(
                    f"per-sample tests need complete windows, but {name} has missing values; build the panel with "
                    "pseudo_panel (complete windows) or use TestBattery per sample"
                )
        self.ab = ab
        self.s, self.n = n_samples, rows // n_samples
        self.window = (int(window[0]), int(window[1]))
        self.mask = ab.window_index(*self.window)
        self.days = np.flatnonzero(self.mask)
        self.length = int(self.days.size)
        self._estudy2 = getattr(ab.conventions, "rank_aggregation", "textbook") == "estudy2"
        s, n = self.s, self.n
        self.l1 = ab.est_resid.shape[1]
        self.est3 = ab.est_resid.reshape(s, n, self.l1)
        _, var = ab.car(*self.window)
        self.car_var = var.reshape(s, n)
        self.sd_ar = np.sqrt(ab.ar_var)
        m = ab.n_est.astype(float)
        dfr = m - (ab.k if ab.k > 0 else 1)  # as TestBattery: market-adjusted s^2 has M - 1 df
        with np.errstate(invalid="ignore", divide="ignore"):
            self.v = np.where(dfr > 2, dfr / (dfr - 2), np.nan).reshape(s, n)
        self.n_est = m.reshape(s, n)
        self.sigma2 = np.asarray(ab.sigma2, dtype=float).reshape(s, n)
        self.df_single = np.asarray(ab.df, dtype=float).reshape(s, n)
        self.s_aar, self.n_aar = aar_sd(self.est3)
        self.p_hat = positive_fraction(self.est3, pooled=self._estudy2)
        # the estimation residuals are sorted once: for the generalised rank and, merged with each
        # AR size's event-window ARs, for the rank scores (rank_scores(..., est_ranks=...))
        self.est_ranks = EstimationRanks.of(self.est3)
        self.gr = generalized_rank_inputs(self.est3, self.sigma2, est_ranks=self.est_ranks)
        lamb = forecast_factor(ab.ar_var.reshape(s, n, -1), self.sigma2, self.n_est,
                               self._estudy2 and ab.conventions.forecast_error)
        self.lamb_factor = lamb[:, self.days]
        self.r = np.zeros(s)
        self._kp = bool(kolari_pynnonen and n >= 2)
        if self._kp:
            dates = ab.panel.est_dates.reshape(s, n, self.l1)
            win = ab.panel.evt_dates[:, self.mask].reshape(s, n, self.length)
            self.r = kolari_pynnonen_r(self.est3, dates, win)[0]
        self._sums: np.ndarray | None = None

    # ------------------------------------------------------------------ helpers
    def rolling_sums(self) -> np.ndarray:
        """(S N, L1 - L + 1) sums of L consecutive estimation residuals of each event."""
        if self._sums is None:
            c = np.concatenate([np.zeros((self.ab.est_resid.shape[0], 1)), np.cumsum(self.ab.est_resid, axis=1)], axis=1)
            self._sums = c[:, self.length :] - c[:, : -self.length]
        return self._sums

    @staticmethod
    def names(tests: Sequence[str] | None, n_events: int) -> tuple[str, ...]:
        """Validate test names for samples of ``n_events`` (default: battery for N >= 3, single-firm for N = 1)."""
        if tests is None:
            if n_events == 1:
                return SINGLE_FIRM_TESTS
            if n_events >= 3:
                return SIMULATION_TESTS
            raise InvalidRequestError(f"with {n_events} events per sample pass tests=...; the battery needs N >= 3")
        names = (tests,) if isinstance(tests, str) else tuple(tests)
        known = (*ALL_TEST_NAMES, *SINGLE_FIRM_TESTS)
        bad = [t for t in names if t not in known]
        if bad:
            raise InvalidRequestError(f"unknown test(s) {bad}; choose from {list(known)}")
        if n_events > 1 and any(t in SINGLE_FIRM_TESTS for t in names):
            raise InvalidRequestError(f"{list(SINGLE_FIRM_TESTS)} test one event; use n_events=1 for them")
        if n_events < 3 and any(t in REGISTRY for t in names):
            raise InvalidRequestError(f"across-event tests need at least 3 events per sample, not {n_events}")
        return names

    def inputs(self, ar: np.ndarray, names: Sequence[str]) -> WindowInputs:
        """The (S, N) :class:`WindowInputs` of the CAR window for abnormal returns ``ar`` (S N, L2)."""
        s, n = self.s, self.n
        car = np.sum(ar[:, self.mask], axis=1).reshape(s, n)  # same sum as AbnormalReturns.car
        sar = ar / self.sd_ar
        scar = sar[:, self.days[0]].reshape(s, n) if self.length == 1 else car / np.sqrt(self.car_var)
        csar = sar[:, self.mask].sum(axis=1).reshape(s, n)
        which = [score for test, score in _RANK_TESTS.items() if test in names]
        ranks = (rank_scores(self.est3, ar.reshape(s, n, -1), self._estudy2, which, est_ranks=self.est_ranks)
                 if which else None)
        return WindowInputs(
            car=car, car_var=self.car_var, scar=scar, csar=csar, v=self.v, sigma2=self.sigma2, n_est=self.n_est,
            length=self.length, s_aar=self.s_aar, n_aar=self.n_aar, p_hat=self.p_hat, r=self.r,
            aar=ar[:, self.mask].reshape(s, n, self.length).mean(axis=1), lamb_factor=self.lamb_factor,
            ranks=ranks, days=self.days, n_rank=np.full(s, n), gr=self.gr,
        )

    # ------------------------------------------------------------------ evaluation
    @single_blas
    def evaluate(self, ar: np.ndarray | None = None, tests: Sequence[str] | None = None) -> dict[str, tuple[np.ndarray, ...]]:
        """Statistic, two-sided and upper one-sided (``"greater"``) p-value of each test for every sample.

        Parameters
        ----------
        ar : (S N, L2) abnormal returns (default: those of ``ab``).
        tests : names from :data:`SIMULATION_TESTS` (any of the battery's names) / :data:`SINGLE_FIRM_TESTS`.

        Returns
        -------
        dict name -> (stat (S,), p_two_sided (S,), p_upper (S,)).  For ``wilcoxon``
        the statistic is W+; for ``sample_quantile`` it is F(CAR), the empirical quantile.
        """
        names = self.names(tests, self.n)
        if not self._kp and any(t in KP_TESTS for t in names):
            raise InvalidRequestError("patell_kp / bmp_kp need the cross-correlation: build PerSampleTests with kolari_pynnonen=True")
        a = self.ab.ar if ar is None else np.asarray(ar, dtype=float)
        out: dict[str, tuple[np.ndarray, ...]] = {}
        battery_names = [t for t in names if t in REGISTRY]
        w = self.inputs(a, battery_names) if battery_names else None
        with np.errstate(invalid="ignore", divide="ignore"):
            for name in names:
                if name in SINGLE_FIRM_REGISTRY:
                    out[name] = SINGLE_FIRM_REGISTRY[name](self, np.sum(a[:, self.mask], axis=1).reshape(self.s, self.n))
                elif name == "wilcoxon":
                    assert w is not None
                    out[name] = self._wilcoxon(w)
                else:
                    assert w is not None
                    st = REGISTRY[name](w)
                    out[name] = (np.asarray(st.stat, dtype=float), st.pvalue_for("two-sided"), st.pvalue_for("greater"))
        return out

    def _wilcoxon(self, w: WindowInputs) -> tuple[np.ndarray, ...]:
        """The battery's Wilcoxon, called once per group of samples sharing its null distribution."""
        stat, p_two, p_up = (np.full(self.s, np.nan) for _ in range(3))
        for rows, st in wilcoxon_groups(w):
            stat[rows], p_two[rows], p_up[rows] = st.stat, st.pvalue_for("two-sided"), st.pvalue_for("greater")
        return stat, p_two, p_up


# =========================================================================== design and result
@dataclass(frozen=True)
class SimulationDesign:
    """What to simulate.

    Attributes
    ----------
    n_events
        N events per sample.
    n_samples
        S samples.
    spec
        estimation and event windows (default: Brown and Warner 1985, -244..-6 and -5..+5).
    car_window
        window of the tested CAR (tau, inclusive).
    ar_sizes
        abnormal returns d to plant (decimals; 0 = the null), one simulation pass each.
    ar_window
        days that receive d (d / L each) and the extra variance; default ``car_window``.
    variance_factor
        c >= 1, event-window AR standard deviation = c s_i on ``ar_window`` days.
    clustered
        all N events of a sample on one date (N distinct securities).
    model
        ``"market"``, ``"market_adjusted"`` or ``"constant_mean"``.
    tests
        test names (default: the battery for N >= 3, the single-firm tests for N = 1).
    seed
        seed of the draws (events and extra variance).
    """

    n_events: int = 50
    n_samples: int = 1000
    spec: WindowSpec = BROWN_WARNER_WINDOWS
    car_window: tuple[int, int] = (0, 0)
    ar_sizes: tuple[float, ...] = (0.0,)
    ar_window: tuple[int, int] | None = None
    variance_factor: float = 1.0
    clustered: bool = False
    model: str = "market"
    tests: tuple[str, ...] | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.n_events < 1 or self.n_samples < 1:
            raise InvalidRequestError(f"n_events={self.n_events} and n_samples={self.n_samples} must be at least 1")
        lo, hi = self.spec.event
        for label, w in (("car_window", self.car_window), ("ar_window", self.ar_window or self.car_window)):
            if len(w) != 2 or w[0] > w[1] or w[0] < lo or w[1] > hi:
                raise InvalidRequestError(f"{label} {w} must be (a, b) with a <= b inside the event window {self.spec.event}")
        if self.variance_factor < 1:
            raise InvalidRequestError(f"variance_factor={self.variance_factor} must be >= 1 (1 = no extra variance)")
        supported = benchmark_only_models()  # registry models whose only regressor is the same-day market
        if self.model not in supported:
            raise InvalidRequestError(f"model {self.model!r}: simulations support {supported}")
        if len(self.ar_sizes) == 0:
            raise InvalidRequestError("ar_sizes is empty; pass e.g. (0.0,) for the null or (0, 0.005, 0.01, 0.02)")
        PerSampleTests.names(self.tests, self.n_events)

    @property
    def planted_window(self) -> tuple[int, int]:
        return tuple(self.ar_window or self.car_window)  # type: ignore[return-value]


@dataclass(frozen=True)
class SimulationResult:
    """Rejection rates of event-study tests over simulated samples.

    Attributes
    ----------
    design
        the :class:`SimulationDesign`.
    universe
        description of the return universe.
    tests
        test names (columns of the arrays).
    ar_sizes
        (A,) planted abnormal returns.
    stats, pvalues, pvalues_upper
        (A, S, T) statistics, two-sided and upper
        one-sided p-values of every test in every sample.
    caar
        (A, S) mean CAR of each sample (over the CAR window).
    mean_cross_correlation
        (S,) Kolari-Pynnönen r of each sample (0 if not computed).
    seconds
        wall time of the simulation.
    """

    design: SimulationDesign
    universe: str
    tests: tuple[str, ...]
    ar_sizes: np.ndarray
    stats: np.ndarray
    pvalues: np.ndarray
    pvalues_upper: np.ndarray
    caar: np.ndarray
    mean_cross_correlation: np.ndarray
    seconds: float = 0.0
    levels: tuple[float, ...] = field(default=(0.05, 0.01))

    def _p(self, side: str) -> np.ndarray:
        if side not in SIDES:
            raise InvalidRequestError(f"side {side!r} is not one of {SIDES}")
        return self.pvalues if side == "two-sided" else self.pvalues_upper

    def rejection_rates(self, level: float = 0.05, side: str = "two-sided") -> pd.DataFrame:
        """Share of samples with p < level: one row per test, one column per AR size.

        Samples where a statistic is not computable (nan) are left out of that
        test's denominator.
        """
        p = self._p(side)
        valid = np.isfinite(p)
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.sum((p < level) & valid, axis=1) / np.sum(valid, axis=1)  # (A, T)
        return pd.DataFrame(rate.T, index=pd.Index(self.tests, name="test"),
                            columns=pd.Index(self.ar_sizes, name="ar_size"))

    def to_frame(self, levels: Sequence[float] | None = None, sides: Sequence[str] = ("two-sided",)) -> pd.DataFrame:
        """Long table: ar_size, test, side, level, rejection_rate, mc_se = sqrt(p (1 - p) / S), n_samples."""
        rows = []
        for side in sides:
            p = self._p(side)
            n_ok = np.sum(np.isfinite(p), axis=1)  # (A, T)
            for level in levels or self.levels:
                rate = self.rejection_rates(level, side).to_numpy().T  # (A, T)
                with np.errstate(invalid="ignore", divide="ignore"):
                    se = np.sqrt(rate * (1 - rate) / n_ok)
                for a, d in enumerate(self.ar_sizes):
                    for t, name in enumerate(self.tests):
                        rows.append({"ar_size": float(d), "test": name, "side": side, "level": float(level),
                                     "rejection_rate": rate[a, t], "mc_se": se[a, t], "n_samples": int(n_ok[a, t])})
        return pd.DataFrame(rows)

    def size_check(self, level: float = 0.05, side: str = "two-sided", z: float = 2.576) -> pd.DataFrame:
        """Rejection rates at AR = 0 against the nominal level: rate, mc_se, band and verdict.

        The band is level +- z sqrt(level (1 - level) / S) (z = 2.576: a 99% band);
        the verdict is ``"over-rejects"``, ``"under-rejects"`` or ``"holds its size"``.
        """
        zero = np.flatnonzero(self.ar_sizes == 0)
        if zero.size == 0:
            raise InvalidRequestError("this simulation planted no zero abnormal return; add 0.0 to ar_sizes")
        rate = self.rejection_rates(level, side).iloc[:, zero[0]]
        n_ok = np.sum(np.isfinite(self._p(side)[zero[0]]), axis=0)
        half = z * np.sqrt(level * (1 - level) / n_ok)
        verdict = np.where(rate > level + half, "over-rejects", np.where(rate < level - half, "under-rejects", "holds its size"))
        return pd.DataFrame({"rejection_rate": rate.to_numpy(), "mc_se": np.sqrt(rate * (1 - rate) / n_ok).to_numpy(),
                             "lower": level - half, "upper": level + half, "verdict": verdict}, index=rate.index)

    def detectable(self, test: str, power: float = 0.8, level: float = 0.05, side: str = "two-sided") -> float:
        """Smallest |planted AR| at which ``test`` rejects in at least ``power`` of the samples.

        Linear interpolation of the rejection rate between the simulated sizes
        (ordered by |d|); ``nan`` if no simulated size reaches ``power``.
        """
        if test not in self.tests:
            raise InvalidRequestError(f"test {test!r} was not simulated; choose from {list(self.tests)}")
        size = np.abs(self.ar_sizes)
        order = np.argsort(size, kind="stable")
        x, y = size[order], self.rejection_rates(level, side).loc[test].to_numpy()[order]
        hit = np.flatnonzero(y >= power)
        if hit.size == 0:
            return float("nan")
        j = int(hit[0])
        if j == 0 or y[j] == y[j - 1]:
            return float(x[j])
        return float(x[j - 1] + (power - y[j - 1]) * (x[j] - x[j - 1]) / (y[j] - y[j - 1]))

    def summary(self) -> str:
        """Text table of two-sided rejection rates at each level, with Monte-Carlo standard errors."""
        d = self.design
        head = (
            f"Simulation: S={d.n_samples} samples of N={d.n_events} events, CAR window {list(d.car_window)}, "
            f"{'clustered' if d.clustered else 'random'} event dates, variance factor {d.variance_factor:g}, "
            f"model {d.model}, seed {d.seed}\nUniverse: {self.universe}\n"
            f"Rejection rates (two-sided; Monte-Carlo s.e. in parentheses), {self.seconds:.1f} s"
        )
        blocks = [head]
        for level in self.levels:
            rate = self.rejection_rates(level)
            n_ok = np.sum(np.isfinite(self.pvalues), axis=1).T
            se = np.sqrt(rate * (1 - rate) / n_ok)
            cells = rate.map(lambda x: f"{x:.3f}") + se.map(lambda x: f" ({x:.3f})")
            cells.columns = [f"AR {x:.2%}" for x in self.ar_sizes]
            blocks.append(f"\nlevel {pct_label(level)}\n{cells.to_string()}")
        return "\n".join(blocks)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        rate = self.rejection_rates(self.levels[0])
        rate.columns = [f"AR {x:.2%}" for x in self.ar_sizes]
        return (f"<p>{self.design.n_samples} samples of {self.design.n_events} events; "
                f"two-sided rejection rates at {pct_label(self.levels[0])}</p>" + rate.to_html(float_format=lambda x: f"{x:.3f}"))

    def plot(self, ax: Any = None, level: float = 0.05, side: str = "two-sided", tests: Sequence[str] | None = None,
             title: str | None = None, legend: bool = True) -> Any:
        """Rejection rate against planted AR size, one line per test, nominal level marked.

        Draws into ``ax`` (a new figure if None) and returns it; never calls ``show()``.
        Each test keeps the same colour and marker whichever subset is drawn.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(8, 5))
        rate = self.rejection_rates(level, side)
        names = list(tests) if tests is not None else list(self.tests)
        missing = [t for t in names if t not in rate.index]
        if missing:
            raise InvalidRequestError(f"tests {missing} were not simulated; choose from {list(self.tests)}")
        markers = "osD^v<>phX*P8os"
        x = self.ar_sizes * 100
        order = list(SIMULATION_TESTS + SINGLE_FIRM_TESTS)
        for name in names:
            i = order.index(name)
            ax.plot(x, rate.loc[name].to_numpy(), marker=markers[i % len(markers)], color=_COLORS[i % len(_COLORS)],
                    label=name, linewidth=1.2, markersize=4)
        ax.axhline(level, color="black", linestyle="--", linewidth=1, label=f"nominal level {pct_label(level)}")
        ax.set_xlabel("planted abnormal return (%)")
        ax.set_ylabel(f"rejection rate ({side}, {pct_label(level)} level)")
        ax.set_ylim(-0.02, 1.02)
        d = self.design
        ax.set_title(title or f"N = {d.n_events} events, {d.n_samples} samples")
        ax.grid(alpha=0.3)
        if legend:
            ax.legend(fontsize=7, ncol=2, loc="best")
        return ax


@single_blas
def simulate(universe: ReturnUniverse, design: SimulationDesign, conventions: Conventions | str = TEXTBOOK) -> SimulationResult:
    """Run a Brown and Warner (1985) style simulation.

    Parameters
    ----------
    universe
        returns to draw pseudo-events from (:func:`snapshot_universe`, :meth:`SyntheticMarket.draw`).
    design
        samples, events, windows, planted effects and tests.
    conventions
        convention set of the fit (default textbook).

    Returns
    -------
    SimulationResult

    Notes
    -----
    Steps: draw S x N pseudo-events with complete windows
    (:func:`draw_events`), then, block of samples by block (about
    :data:`SAMPLE_BLOCK_CELLS` estimation cells each: memory stays bounded and the
    freed arrays are reused), stack them into one panel (:func:`pseudo_panel`),
    fit the model once (:func:`research_lib.models.fit_model`), then for
    each AR size plant it (:func:`plant_abnormal_returns`, the same
    extra-variance draws for every size) and evaluate every test for every
    sample (:class:`PerSampleTests`).  The rejection rate of a test is the
    share of samples with p < level; its Monte-Carlo standard error is
    sqrt(p (1 - p) / S).

    References
    ----------
    Brown and Warner (1980, 1985); Boehmer, Musumeci and Poulsen (1991);
    Kolari and Pynnönen (2010); MacKinlay (1997).
    """
    t0 = time.perf_counter()
    conv = get_conventions(conventions)
    d = design
    rng = np.random.default_rng(d.seed)
    events = draw_events(universe, d.spec, d.n_samples, d.n_events, clustered=d.clustered, rng=rng)
    tests = PerSampleTests.names(d.tests, d.n_events)
    kp = any(t.endswith("_kp") for t in tests)
    noise = rng.standard_normal((d.n_samples * d.n_events, d.spec.tau_evt.size)) if d.variance_factor > 1 else None
    shape = (len(d.ar_sizes), d.n_samples, len(tests))
    out = {key: np.empty(shape) for key in ("stat", "p", "p_up")}
    caar = np.empty(shape[:2])
    r = np.empty(d.n_samples)
    # samples are independent: blocks of samples (fit, then every test) keep each array at about
    # SAMPLE_BLOCK_CELLS cells, so memory does not grow with S and freed blocks are reused
    step = max(1, SAMPLE_BLOCK_CELLS // max(d.n_events * d.spec.tau_est.size, 1))
    for a in range(0, d.n_samples, step):
        b = min(a + step, d.n_samples)
        block = PseudoEvents(events.security[a:b], events.day0_row[a:b])
        base = fit_model(pseudo_panel(universe, block, d.spec), d.model, conv)
        per = PerSampleTests(base, b - a, d.car_window, kolari_pynnonen=kp)
        rows = slice(a * d.n_events, b * d.n_events)
        for k, size in enumerate(d.ar_sizes):
            ab = plant_abnormal_returns(base, float(size), d.planted_window, d.variance_factor,
                                        None if noise is None else noise[rows])
            res = per.evaluate(ab.ar, tests)
            for t, name in enumerate(tests):
                out["stat"][k, a:b, t], out["p"][k, a:b, t], out["p_up"][k, a:b, t] = res[name]
            caar[k, a:b] = ab.ar[:, per.mask].sum(axis=1).reshape(b - a, d.n_events).mean(axis=1)
        r[a:b] = per.r
    seconds = time.perf_counter() - t0
    log.info("simulated %d samples of %d events in %.2f s", d.n_samples, d.n_events, seconds)
    return SimulationResult(d, universe.description, tests, np.asarray(d.ar_sizes, dtype=float), out["stat"],
                            out["p"], out["p_up"], caar, r, seconds)


# =========================================================================== analytic power
def car_sd(sigma: float | np.ndarray, window_length: int = 1, n_est: int = 239) -> np.ndarray:
    """Standard deviation of one event's market-model CAR, estimation error included.

    Notes
    -----
    Var(CAR_i) = s^2 [L + L^2/M + (sum_ev (R_mt - mean R_m))^2 / sum_est (R_m - mean R_m)^2]
    (Campbell, Lo and MacKinlay 1997, eq. 4.4.14).  Averaged over i.i.d. normal
    market returns, E[(sum_ev (R_mt - mean R_m))^2] = sigma_m^2 (L + L^2/M) and
    E[1 / sum_est (R_m - mean R_m)^2] = 1 / (sigma_m^2 (M - 3)), independently, so

        sd(CAR) = sigma sqrt((L + L^2/M) (M - 2) / (M - 3)).

    For L = 1 and M = 239 this is 1.0042 sigma.
    """
    m, ln = float(n_est), float(window_length)
    if m <= 3 or ln < 1:
        raise InvalidRequestError(f"car_sd needs n_est > 3 and window_length >= 1, got {n_est}, {window_length}")
    return np.asarray(sigma, dtype=float) * np.sqrt((ln + ln**2 / m) * (m - 2.0) / (m - 3.0))


def mackinlay_power(abnormal: float | np.ndarray, n_events: int | np.ndarray, sd: float | np.ndarray,
                    level: float = 0.05) -> np.ndarray:
    """Analytic power of the two-sided J1 test (MacKinlay 1997).

    Power = Phi(-z_{1-a/2} + d sqrt(N) / s) + Phi(-z_{1-a/2} - d sqrt(N) / s),
    with d the abnormal return, N the number of events and s the standard
    deviation of one event's CAR (see :func:`car_sd`).  It treats J1 as
    N(d sqrt(N)/s, 1), i.e. known variances; with N = 1 it is the power of the
    single-event z test.

    References
    ----------
    MacKinlay, A. C. (1997). Event studies in economics and finance. JEL 35(1),
    13-39, section 8 and Table 1 / Figure 3.
    """
    if not 0 < level < 1:
        raise InvalidRequestError(f"level={level} must be in (0, 1), e.g. 0.05")
    z = stats.norm.ppf(1 - level / 2)
    shift = np.asarray(abnormal, dtype=float) * np.sqrt(np.asarray(n_events, dtype=float)) / np.asarray(sd, dtype=float)
    return stats.norm.cdf(-z + shift) + stats.norm.cdf(-z - shift)


def mackinlay_detectable(n_events: int, sd: float, power: float = 0.8, level: float = 0.05) -> float:
    """The abnormal return d > 0 at which :func:`mackinlay_power` equals ``power`` (solved numerically).

    Close to (z_{1-a/2} + z_power) s / sqrt(N) when the far tail term is negligible.
    """
    from scipy.optimize import brentq

    if not level < power < 1:
        raise InvalidRequestError(f"power={power} must lie between the level {level} and 1")
    hi = (stats.norm.ppf(1 - level / 2) + stats.norm.ppf(power) + 1.0) * sd / np.sqrt(n_events)
    return float(brentq(lambda d: float(mackinlay_power(d, n_events, sd, level)) - power, 0.0, hi, xtol=1e-14))


__all__ = [
    "BROWN_WARNER_WINDOWS",
    "DEFAULT_SNAPSHOT_SYMBOLS",
    "SIMULATION_TESTS",
    "SINGLE_FIRM_TESTS",
    "PerSampleTests",
    "PseudoEvents",
    "ReturnUniverse",
    "SimulationDesign",
    "SimulationResult",
    "SyntheticMarket",
    "car_sd",
    "draw_events",
    "mackinlay_detectable",
    "mackinlay_power",
    "plant_abnormal_returns",
    "pseudo_panel",
    "sample_slice",
    "simulate",
    "snapshot_universe",
]
