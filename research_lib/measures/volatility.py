"""Abnormal volatility: the event-day variance ratio and range-based daily variance.

Two measures:

(a) the variance ratio U_it = AR_it^2 / S_it^2 of abnormal returns against their
    estimation-window prediction-error variance (Beaver 1968), with a
    cross-sectional test on the squared standardised ARs;
(b) the daily variance from the high and low (Parkinson 1980) and from open,
    high, low and close (Garman and Klass 1980), with its abnormal value around
    day 0 against the estimation window.

What a daily high and low can and cannot say about an intraday reversal
-----------------------------------------------------------------------
The range ln(H/L) measures how far the price travelled within the session,
and the position of the close in the range, (C - L)/(H - L), where it ended.
A stock that hits a multi-year high during the session and then closes well
below it (9988.HK on 24 February 2025: a three-year high intraday, a close
about 2% lower) shows as a wide range with a close near the low, so a large
Parkinson and Garman-Klass variance and a small close location.  The daily bar
cannot say *when* the high and the low happened: the same bar fits "up first,
then down" (a reversal) and "down first, then a rally that faded" -- the order
of H and L within the day is unknown, and so are the path between them, the
time spent near the high and the volume traded there.  A range estimator also
assumes a continuous path without drift; opening jumps (the overnight move,
ln O_t / C_{t-1}) are outside the Parkinson range, and Garman-Klass uses only
the open-to-close part, so a large overnight gap is not in either estimate.
Index files without high/low (``^HSI``, ``^GSPC`` in the snapshot) give no
range: such events are reported, not filled.

References
----------
Beaver, W. H. (1968). The information content of annual earnings announcements.
*Journal of Accounting Research* 6 (Supplement), 67-92.
Patell, J. M. (1976). Corporate forecasts of earnings per share and stock price
behavior. *Journal of Accounting Research* 14, 246-276.
Parkinson, M. (1980). The extreme value method for estimating the variance of the rate
of return. *Journal of Business* 53, 61-65.
Garman, M. B. and Klass, M. J. (1980). On the estimation of security price volatilities
from historical data. *Journal of Business* 53, 67-78.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from research_lib.engine.panel import AbnormalReturns, EventPanel
from research_lib.errors import InvalidRequestError, NoValidEventsError
from research_lib.models.fit import fit_model

LN2 = float(np.log(2.0))


# --------------------------------------------------------------------------- (a) variance ratio
@dataclass(frozen=True)
class VarianceRatioTest:
    """Cross-sectional test of the variance ratio over an event window.

    Attributes
    ----------
    name : ``"variance_ratio_chi2"`` or ``"variance_ratio_t"``.
    stat : the statistic.
    pvalue : p-value for ``alternative``.
    distribution : reference distribution, e.g. ``"chi2(30)"`` or ``"t(29)"``.
    alternative : ``"greater"`` (variance increase) or ``"two-sided"``.
    mean_ratio : mean over events of U_i / E0[U_i] (1 under the null).
    ratios : (n,) U_i of the events used (mean over the window's days).
    n : number of events used.
    null : the null hypothesis in words.
    """

    name: str
    stat: float
    pvalue: float
    distribution: str
    alternative: str
    mean_ratio: float
    ratios: np.ndarray
    n: int
    null: str


def _tail(dist: stats.rv_continuous | stats.rv_frozen, stat: float, alternative: str) -> float:
    up = float(dist.sf(stat))
    return up if alternative == "greater" else float(min(1.0, 2 * min(up, dist.cdf(stat))))


def variance_ratio_test(
    ab: AbnormalReturns, window: tuple[int, int] = (0, 0), method: str = "chi2", alternative: str = "greater"
) -> VarianceRatioTest:
    """Is the variance of abnormal returns in the window above its estimation level?

    Parameters
    ----------
    ab : abnormal returns (any model) with prediction-error variances ``ar_var``.
    window : event days [start, stop]; (0, 0) is the event day.
    method : ``"chi2"`` or ``"t"`` (see Notes).
    alternative : ``"greater"`` (default: a variance increase) or ``"two-sided"``.

    Notes
    -----
    U_it = AR_it^2 / S_it^2 = SAR_it^2 (Beaver 1968's variance ratio, with the
    prediction-error variance S_it^2 of ``ab``).  For event i with d_i = M_i - k
    residual degrees of freedom, SAR_it is t(d_i) under normal errors without
    event-induced variance (Patell 1976), so E0[U] = d_i / (d_i - 2) and U
    is F(1, d_i); write u_it = U_it (d_i - 2) / d_i (mean 1).

    - ``chi2``: X = sum_i sum_t u_it over the L window days of the N events;
      under H0 with large d_i the SAR are independent N(0, 1), so X ~ chi2(N L)
      (the squared-SAR test; the sum of squared standardised residuals).
      Assumes independent, normal ARs across events and days.
    - ``t``: the cross-sectional t of ubar_i = mean_t u_it - 1,
      t = mean(ubar) / (sd(ubar) / sqrt(N)) ~ t(N-1): robust to a
      misspecified S_it^2 common to all events, but the squared SARs are
      right-skewed, so the one-sided test is undersized in small samples.

    The size of both at 5% is checked by seeded simulation in
    ``tests/test_volatility.py``.

    Examples
    --------
    >>> from research_lib.examples import example_abnormal_returns
    >>> from research_lib.measures import variance_ratio_test
    >>> vr = variance_ratio_test(example_abnormal_returns(), window=(0, 0))
    >>> type(vr).__name__
    'VarianceRatioTest'
    """
    if method not in ("chi2", "t") or alternative not in ("greater", "two-sided"):
        raise InvalidRequestError(f"method={method!r}, alternative={alternative!r}: choose 'chi2'|'t' and 'greater'|'two-sided'")
    m = ab.window_index(*window)
    sar2 = (ab.ar[:, m] ** 2) / ab.ar_var[:, m]
    d = np.asarray(ab.n_est, dtype=float) - ab.k
    with np.errstate(invalid="ignore", divide="ignore"):
        u = sar2 * np.where(d > 2, (d - 2) / d, np.nan)[:, None]
    rows = np.all(np.isfinite(u), axis=1)
    u = u[rows]
    n, length = u.shape
    null = "the abnormal-return variance in the window equals its estimation-window level (no event-induced variance)"
    if n < (1 if method == "chi2" else 2):
        return VarianceRatioTest(f"variance_ratio_{method}", float("nan"), float("nan"), "", alternative, float("nan"), u.mean(axis=1), n, null)
    if method == "chi2":
        stat, dist, label = float(u.sum()), stats.chi2(n * length), f"chi2({n * length})"
    else:
        ubar = u.mean(axis=1) - 1.0
        stat = float(ubar.mean() / (ubar.std(ddof=1) / np.sqrt(n)))
        dist, label = stats.t(n - 1), f"t({n - 1})"
    return VarianceRatioTest(
        f"variance_ratio_{method}", stat, _tail(dist, stat, alternative), label, alternative,
        float(u.mean()), u.mean(axis=1), n, null,
    )


# --------------------------------------------------------------------------- (b) range estimators
def parkinson_variance(high: np.ndarray, low: np.ndarray) -> np.ndarray:
    """Parkinson (1980) daily variance (ln H/L)^2 / (4 ln 2); NaN where H or L is missing or H < L.

    Examples
    --------
    >>> import numpy as np
    >>> from research_lib.measures import parkinson_variance
    >>> v = parkinson_variance(np.array([102.0, 101.0]), np.array([98.0, 99.5]))
    >>> np.round(v, 6).tolist()
    [0.000577, 8.1e-05]
    >>> round(float(np.log(102 / 98) ** 2 / (4 * np.log(2))), 6)
    0.000577
    """
    h, lo = np.asarray(high, dtype=float), np.asarray(low, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.log(h / lo)
    return np.where(np.isfinite(r) & (r >= 0), r**2 / (4 * LN2), np.nan)


def garman_klass_variance(open_: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray) -> np.ndarray:
    """Garman-Klass (1980) daily variance 0.5 (ln H/L)^2 - (2 ln 2 - 1)(ln C/O)^2.

    NaN where a price is missing or the bar is inconsistent (H below O, C or L,
    or L above O or C).

    Examples
    --------
    >>> import numpy as np
    >>> from research_lib.measures import garman_klass_variance
    >>> o, h, lo, c = (np.array([x]) for x in (100.0, 102.0, 98.0, 101.0))
    >>> round(float(garman_klass_variance(o, h, lo, c)[0]), 6)
    0.000762
    >>> round(float(0.5 * np.log(102 / 98) ** 2 - (2 * np.log(2) - 1) * np.log(101 / 100) ** 2), 6)
    0.000762
    """
    o, h, lo, c = (np.asarray(a, dtype=float) for a in (open_, high, low, close))
    with np.errstate(invalid="ignore", divide="ignore"):
        hl, co = np.log(h / lo), np.log(c / o)
        ok = np.isfinite(hl) & np.isfinite(co) & (h >= np.maximum(o, c)) & (lo <= np.minimum(o, c))
    return np.where(ok, 0.5 * hl**2 - (2 * LN2 - 1) * co**2, np.nan)


@dataclass(frozen=True)
class OHLCArrays:
    """Open, high, low, close of N events on the estimation (N, L1) and event (N, L2) sessions."""

    open_est: np.ndarray
    high_est: np.ndarray
    low_est: np.ndarray
    close_est: np.ndarray
    open_evt: np.ndarray
    high_evt: np.ndarray
    low_evt: np.ndarray
    close_evt: np.ndarray


def ohlc_arrays(panel: EventPanel, frames: Mapping[str, pd.DataFrame]) -> OHLCArrays:
    """Look up ``open, high, low, close`` of each event's security on the panel's sessions.

    ``frames`` maps symbols to price frames indexed by date; a missing column or date gives NaN.
    """
    out: dict[str, np.ndarray] = {}
    for col in ("open", "high", "low", "close"):
        for part, dates in (("est", panel.est_dates), ("evt", panel.evt_dates)):
            arr = np.full(dates.shape, np.nan)
            for sym in np.unique(panel.symbols.astype(str)):
                rows = panel.symbols.astype(str) == sym
                frame = frames.get(sym)
                if frame is None or col not in frame.columns:
                    continue
                idx = pd.DatetimeIndex(dates[rows].reshape(-1))
                arr[rows] = frame[col].astype(float).reindex(idx).to_numpy().reshape(dates[rows].shape)
            out[f"{col}_{part}"] = arr
    return OHLCArrays(**out)


@dataclass(frozen=True)
class RangeResult:
    """Range-based abnormal volatility.

    Attributes
    ----------
    estimator : ``"parkinson"`` or ``"garman_klass"``.
    var_est, var_evt : (N, L1), (N, L2) daily range variances of all input events.
    log_ratio : (N, L2) ln(var_evt / mean of var_est): the event day's variance
        as a multiple of the estimation-window average (descriptive).
    abnormal : AbnormalReturns of the kept events on y = ln(var): the
        constant-mean model, ``ar`` = ln var_t - mean_est ln var, so the battery's
        t, standardised (BMP) and rank tests apply to abnormal log range variance.
    close_location : (N, L2) (C - L)/(H - L): 1 = close at the high, 0 = at the low.
    status : per input event (all events are in ``var_*``, ``log_ratio``; only kept ones in ``abnormal``) ``event_id``, ``symbol``, ``status`` (kept/flagged/excluded),
        ``reason``, ``n_est``, ``stage`` (``"range"``).
    """

    estimator: str
    var_est: np.ndarray
    var_evt: np.ndarray
    log_ratio: np.ndarray
    abnormal: AbnormalReturns
    close_location: np.ndarray
    status: pd.DataFrame


def _range_status(panel: EventPanel, ohlc: OHLCArrays, v_est: np.ndarray, v_evt: np.ndarray, min_estimation: int) -> tuple[list[str], list[str]]:
    status, reasons = ["kept"] * panel.n_events, [""] * panel.n_events
    usable = np.isfinite(v_est) & (v_est > 0)
    for i in range(panel.n_events):  # message strings only
        if not (np.isfinite(ohlc.high_est[i]).any() and np.isfinite(ohlc.low_est[i]).any()):
            status[i], reasons[i] = "excluded", (
                f"{panel.symbols[i]} has no high/low prices (index files often carry only closes): the range "
                "cannot be computed and is not guessed; use the variance ratio of returns instead")
            continue
        if usable[i].sum() < min_estimation:
            status[i], reasons[i] = "excluded", (
                f"only {usable[i].sum()} estimation sessions with a usable range, {min_estimation} required; "
                "lengthen the estimation window or lower min_estimation")
            continue
        bad = panel.tau_evt[~(np.isfinite(v_evt[i]) & (v_evt[i] > 0))]
        if bad.size:
            status[i], reasons[i] = "flagged", (
                "range missing, zero (H = L) or inconsistent on event days tau = "
                + ", ".join(str(int(t)) for t in bad[:8]) + "; those days are NaN")
    return status, reasons


def abnormal_range(panel: EventPanel, ohlc: OHLCArrays, estimator: str = "parkinson", *, min_estimation: int = 120) -> RangeResult:
    """Daily range variance around the event and its abnormal value against the estimation window.

    Notes
    -----
    sigma^2_t from :func:`parkinson_variance` or :func:`garman_klass_variance`.
    The descriptive abnormal value is ln(sigma^2_0 / mean_est sigma^2).  For the
    test, log variance is used: ln sigma^2 of a range estimator is far closer
    to normal than sigma^2 itself, and its mean under the null is estimated
    without Jensen bias, so AR_t = ln sigma^2_t - mean_est ln sigma^2 with
    S^2 = s^2 (1 + 1/M) (the constant-mean model of
    :func:`~research_lib.models.fit.fit_model` on y = ln sigma^2).  For one
    firm, the ranks of the event day among the estimation days
    (``corrado_rank`` of the battery) do not rely on normality.  Sessions
    with H = L (no range: halts, stale quotes) give ln 0 and are treated as
    missing, reported per event.

    Raises
    ------
    NoValidEventsError
        If no event has a usable range (``attrition`` holds the status table).
    """
    if estimator not in ("parkinson", "garman_klass"):
        raise InvalidRequestError(f"estimator={estimator!r}: choose 'parkinson' or 'garman_klass'")
    if estimator == "parkinson":
        v_est, v_evt = parkinson_variance(ohlc.high_est, ohlc.low_est), parkinson_variance(ohlc.high_evt, ohlc.low_evt)
    else:
        v_est = garman_klass_variance(ohlc.open_est, ohlc.high_est, ohlc.low_est, ohlc.close_est)
        v_evt = garman_klass_variance(ohlc.open_evt, ohlc.high_evt, ohlc.low_evt, ohlc.close_evt)
    status, reasons = _range_status(panel, ohlc, v_est, v_evt, min_estimation)
    with np.errstate(invalid="ignore", divide="ignore"):
        pos = np.isfinite(v_est) & (v_est > 0)
        mean_est = np.where(pos, v_est, 0.0).sum(axis=1) / pos.sum(axis=1)
        log_ratio = np.log(v_evt / mean_est[:, None])
        y_est = np.where(v_est > 0, np.log(v_est), np.nan)
        y_evt = np.where(v_evt > 0, np.log(v_evt), np.nan)
        loc = (ohlc.close_evt - ohlc.low_evt) / (ohlc.high_evt - ohlc.low_evt)
    keep = np.array([s != "excluded" for s in status])
    n, l1 = y_est.shape
    table = pd.DataFrame({"event_id": panel.event_ids, "symbol": panel.symbols, "status": status, "reason": reasons,
                          "n_est": np.isfinite(y_est).sum(axis=1), "stage": "range"})
    if not keep.any():
        err = NoValidEventsError("no event has a usable range: " + "; ".join(sorted(set(reasons))))
        err.attrition = table
        raise err
    vp = dataclasses.replace(panel, y_est=y_est, y_evt=y_evt, x_est=np.zeros((n, l1, 0)),
                             x_evt=np.zeros(y_evt.shape + (0,)), r_evt=y_evt, x_names=(), returns_kind="log_range_variance")
    abnormal = dataclasses.replace(fit_model(vp.select(keep), "constant_mean"), model=f"range_{estimator}")
    return RangeResult(estimator, v_est, v_evt, log_ratio, abnormal, loc, table)


__all__ = [
    "OHLCArrays",
    "RangeResult",
    "VarianceRatioTest",
    "abnormal_range",
    "garman_klass_variance",
    "ohlc_arrays",
    "parkinson_variance",
    "variance_ratio_test",
]
