"""Abnormal trading volume: log volume with a mean-adjusted or a market model.

The volume of N events is handled exactly like returns: log volume becomes the
dependent variable of an :class:`~research_lib.engine.panel.EventPanel` (and the
benchmark's log volume its regressor), and the existing batched OLS of
:func:`research_lib.models.fit.fit_model` fits every event at once.  The result
is an :class:`~research_lib.engine.panel.AbnormalReturns` whose ``ar`` holds
abnormal log volume, so the t, standardised and rank tests of
:class:`~research_lib.inference.battery.TestBattery` apply unchanged.

References
----------
Ajinkya, B. B. and Jain, P. C. (1989). The behavior of daily stock market trading
volume. *Journal of Accounting and Economics* 11, 331-359.
Campbell, C. J. and Wasley, C. E. (1996). Measuring abnormal daily trading volume for
samples of NYSE/ASE and NASDAQ securities using parametric and nonparametric test
statistics. *Review of Quantitative Finance and Accounting* 6, 309-326.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from research_lib.conventions import TEXTBOOK, Conventions
from research_lib.engine.panel import AbnormalReturns, EventPanel
from research_lib.errors import InvalidRequestError, NoValidEventsError
from research_lib.models.fit import fit_model

VOLUME_MODELS = ("constant_mean", "market")
#: Campbell and Wasley (1996) add 0.000255 to turnover in per cent before the log (zero volume).
TURNOVER_CONSTANT = 0.000255


@dataclass(frozen=True)
class VolumeArrays:
    """Raw share volume of N events on the panel's estimation and event sessions.

    Attributes
    ----------
    volume_est, volume_evt : (N, L1), (N, L2) shares traded; NaN where missing.
    market_est, market_evt : (N, L1), (N, L2) the benchmark's volume (market model only).
    shares_est, shares_evt : (N, L1), (N, L2) shares outstanding; if given, log
        turnover replaces log(1 + V).
    """

    volume_est: np.ndarray
    volume_evt: np.ndarray
    market_est: np.ndarray | None = None
    market_evt: np.ndarray | None = None
    shares_est: np.ndarray | None = None
    shares_evt: np.ndarray | None = None


@dataclass(frozen=True)
class VolumeResult:
    """Abnormal log volume of the kept events and the status of every event.

    Attributes
    ----------
    abnormal : AbnormalReturns of the kept events (``ar`` = abnormal log volume,
        ``model`` = ``"volume_constant_mean"`` or ``"volume_market"``).
    status : one row per input event: ``event_id``, ``symbol``, ``status``
        (``"kept"``, ``"flagged"`` = kept with missing event days, or ``"excluded"``),
        ``reason``, ``n_est`` and ``stage`` (``"volume"``), as the attrition table.
    log_volume : ``"log(1+V)"`` or ``"log turnover"``.
    """

    abnormal: AbnormalReturns
    status: pd.DataFrame
    log_volume: str


def log_volume(volume: np.ndarray, shares: np.ndarray | None = None, constant: float = TURNOVER_CONSTANT) -> np.ndarray:
    """log(1 + V), or log(100 V / S + c) when shares outstanding S are given.

    Non-finite or negative volume gives NaN.  Zero volume is kept here
    (log(1 + 0) = 0); :func:`abnormal_volume` decides what a zero means.

    Examples
    --------
    >>> import numpy as np
    >>> from research_lib.measures import log_volume
    >>> np.round(log_volume(np.array([0.0, 99.0, -1.0])), 4).tolist()
    [0.0, 4.6052, nan]
    """
    v = np.asarray(volume, dtype=float)
    v = np.where(np.isfinite(v) & (v >= 0), v, np.nan)
    if shares is None:
        return np.log1p(v)
    s = np.asarray(shares, dtype=float)
    s = np.where(np.isfinite(s) & (s > 0), s, np.nan)
    return np.log(100.0 * v / s + constant)


def volume_arrays(panel: EventPanel, frames: Mapping[str, pd.DataFrame], column: str = "volume") -> VolumeArrays:
    """Look up the ``volume`` column of price frames on the panel's session dates.

    ``frames`` maps symbols (securities and benchmarks) to price frames indexed
    by date (e.g. ``load_prices(...)[sym].frame``).  Dates a frame lacks give NaN.
    """

    def take(symbols: np.ndarray, dates: np.ndarray) -> np.ndarray:
        out = np.full(dates.shape, np.nan)
        for sym in np.unique(symbols.astype(str)):
            rows = symbols.astype(str) == sym
            if sym not in frames or column not in frames[sym].columns:
                continue
            col = frames[sym][column].astype(float)
            idx = pd.DatetimeIndex(dates[rows].reshape(-1))
            out[rows] = col.reindex(idx).to_numpy().reshape(dates[rows].shape)
        return out

    return VolumeArrays(
        volume_est=take(panel.symbols, panel.est_dates),
        volume_evt=take(panel.symbols, panel.evt_dates),
        market_est=take(panel.benchmarks, panel.est_dates),
        market_evt=take(panel.benchmarks, panel.evt_dates),
    )


def _fmt_tau(tau: np.ndarray) -> str:
    return ", ".join(str(int(t)) for t in tau[:8]) + (" ..." if tau.size > 8 else "")


def _check_events(panel: EventPanel, v: VolumeArrays, model: str, min_estimation: int) -> tuple[list[str], list[str]]:
    """Per event: status and reason; the arrays are already cleaned (zero -> NaN)."""
    status = ["kept"] * panel.n_events
    reasons = [""] * panel.n_events
    n_est = np.isfinite(v.volume_est).sum(axis=1)
    for i in range(panel.n_events):  # building message strings only; the fit is vectorised
        problems: list[str] = []
        miss = panel.tau_evt[~np.isfinite(v.volume_evt[i])]
        if model == "market":
            m_est = v.market_est[i] if v.market_est is not None else np.full(1, np.nan)
            if np.isfinite(m_est).sum() < min_estimation or np.nanstd(m_est) == 0:
                status[i] = "excluded"
                reasons[i] = (
                    f"benchmark {panel.benchmarks[i]} has no usable volume (missing, zero or constant) in the "
                    "estimation window, as index files often lack it: use model='constant_mean' or a benchmark "
                    "with volume (e.g. an ETF)"
                )
                continue
        if n_est[i] < min_estimation:
            status[i] = "excluded"
            reasons[i] = (
                f"only {n_est[i]} estimation sessions with positive volume, {min_estimation} required; "
                "lengthen the estimation window or lower min_estimation"
            )
            continue
        if miss.size:
            problems.append(f"volume missing or zero on event days tau = {_fmt_tau(miss)}; those ARs are NaN")
        if problems:
            status[i], reasons[i] = "flagged", "; ".join(problems)
    return status, reasons


def _clean(v: VolumeArrays, zero_volume: str) -> VolumeArrays:
    def fix(a: np.ndarray | None) -> np.ndarray | None:
        if a is None:
            return None
        a = np.asarray(a, dtype=float)
        bad = ~np.isfinite(a) | (a < 0)
        if zero_volume == "missing":
            bad |= a == 0
        return np.where(bad, np.nan, a)

    return VolumeArrays(*(fix(getattr(v, f.name)) for f in dataclasses.fields(v)))  # type: ignore[arg-type]


def _refuse_negative(panel: EventPanel, v: VolumeArrays) -> None:
    """Negative volume is a data error, not a missing value: name the rows (event, symbol, date)."""
    for name, dates, syms in (("volume_est", panel.est_dates, panel.symbols), ("volume_evt", panel.evt_dates, panel.symbols),
                              ("market_est", panel.est_dates, panel.benchmarks),
                              ("market_evt", panel.evt_dates, panel.benchmarks)):
        arr = getattr(v, name)
        if arr is None:
            continue
        with np.errstate(invalid="ignore"):
            rows, cols = np.nonzero(np.asarray(arr, dtype=float) < 0)
        if rows.size:
            shown = [f"{panel.event_ids[i]} {syms[i]} {pd.Timestamp(dates[i, j]):%Y-%m-%d}"
                     for i, j in zip(rows[:3], cols[:3], strict=True)]
            raise InvalidRequestError(f"{rows.size} negative volume value(s) in {name}, e.g. {shown}; volume counts "
                                      "shares traded and cannot be negative: fix those rows of the data or blank them")


def _volume_panel(panel: EventPanel, v: VolumeArrays, model: str) -> EventPanel:
    y_est = log_volume(v.volume_est, v.shares_est)
    y_evt = log_volume(v.volume_evt, v.shares_evt)
    n, l1 = y_est.shape
    l2 = y_evt.shape[1]
    if model == "market":
        assert v.market_est is not None and v.market_evt is not None
        x_est = log_volume(v.market_est)[:, :, None]
        x_evt = log_volume(v.market_evt)[:, :, None]
        names: tuple[str, ...] = ("mkt",)
    else:
        x_est, x_evt, names = np.zeros((n, l1, 0)), np.zeros((n, l2, 0)), ()
    return dataclasses.replace(
        panel, y_est=y_est, y_evt=y_evt, x_est=x_est, x_evt=x_evt, r_evt=y_evt,
        offset_evt=np.zeros((n, l2)), x_names=names, returns_kind="log_volume",
    )


def abnormal_volume(
    panel: EventPanel,
    volumes: VolumeArrays,
    model: str = "constant_mean",
    conventions: Conventions | str = TEXTBOOK,
    *,
    min_estimation: int = 120,
    zero_volume: str = "missing",
) -> VolumeResult:
    """Abnormal log volume of N events with a mean-adjusted or a market model.

    Parameters
    ----------
    panel
        The events' windows (ids, symbols, benchmarks, dates, event time); its
        returns are not used.
    volumes
        Raw volumes on the panel's sessions (see :func:`volume_arrays`).
    model
        ``"constant_mean"`` (mean-adjusted) or ``"market"`` (market model on the
        benchmark's log volume).
    conventions
        Passed to :func:`~research_lib.models.fit.fit_model`.
    min_estimation
        Minimum estimation sessions with usable volume (and market volume).
    zero_volume
        ``"missing"`` (default): a zero is treated as a missing observation (on
        Yahoo data a zero usually means a halt or a gap, not a session without
        trades); ``"keep"``: log(1 + 0) = 0 is used as a value.

    Returns
    -------
    VolumeResult
        The kept events' abnormal log volume and the status of every event.

    Raises
    ------
    NoValidEventsError
        If every event is excluded (``attrition`` holds the status table).

    Notes
    -----
    v_it = log(1 + V_it) (Ajinkya and Jain 1989; Campbell and Wasley 1996), or,
    with shares outstanding S_it, v_it = log(100 V_it / S_it + 0.000255) (log
    turnover in per cent, Campbell and Wasley 1996).  Mean-adjusted model:
    AV_it = v_it - mean over the estimation window of v_i, with S^2_it =
    s_i^2 (1 + 1/M_i).  Market model: v_it = a_i + b_i m_t + e_it with m_t the
    benchmark's log(1 + V_mt), AV_it = v_it - a_i - b_i m_t and the usual
    prediction-error variance (CLM 1997, eq. 4.4.9).  The fit is
    :func:`~research_lib.models.fit.fit_model` on the log-volume panel, so
    every convention and test of the return study applies.  An event whose
    benchmark has no volume (index files often carry zeros) is excluded under
    the market model with that reason; an event with missing or zero volume
    on event days is kept (``"flagged"``) with NaN abnormal volume on those
    days, which removes it from the tests of windows containing them.
    """
    if model not in VOLUME_MODELS:
        raise InvalidRequestError(f"volume model {model!r} is not one of {VOLUME_MODELS}")
    if zero_volume not in ("missing", "keep"):
        raise InvalidRequestError(f"zero_volume={zero_volume!r}: choose 'missing' or 'keep'")
    shape_est, shape_evt = panel.y_est.shape, panel.y_evt.shape
    if np.shape(volumes.volume_est) != shape_est or np.shape(volumes.volume_evt) != shape_evt:
        raise InvalidRequestError(
            f"volume arrays {np.shape(volumes.volume_est)}, {np.shape(volumes.volume_evt)} do not match the panel "
            f"{shape_est}, {shape_evt}; build them with volume_arrays(panel, frames)"
        )
    if model == "market" and (volumes.market_est is None or volumes.market_evt is None):
        raise InvalidRequestError(
            "the market model of volume needs the benchmark's volume (market_est, market_evt); "
            "build the arrays with volume_arrays(panel, frames) including the benchmarks, or use model='constant_mean'"
        )
    _refuse_negative(panel, volumes)
    v = _clean(volumes, zero_volume)
    status, reasons = _check_events(panel, v, model, min_estimation)
    keep = np.array([s != "excluded" for s in status])
    vp = _volume_panel(panel, v, model)
    n_est = (np.isfinite(vp.y_est) & np.all(np.isfinite(vp.x_est), axis=2)).sum(axis=1)
    table = pd.DataFrame(
        {"event_id": panel.event_ids, "symbol": panel.symbols, "status": status, "reason": reasons,
         "n_est": n_est, "stage": "volume"}
    )
    if not keep.any():
        err = NoValidEventsError("every event was excluded from the volume study: " + "; ".join(sorted(set(reasons))))
        err.attrition = table
        raise err
    ab = fit_model(vp.select(keep), model, conventions)
    ab = dataclasses.replace(ab, model=f"volume_{model}")
    kind = "log turnover" if volumes.shares_est is not None else "log(1+V)"
    return VolumeResult(abnormal=ab, status=table, log_volume=kind)


__all__ = ["TURNOVER_CONSTANT", "VOLUME_MODELS", "VolumeArrays", "VolumeResult", "abnormal_volume", "log_volume", "volume_arrays"]
