"""Parametric tests of CAAR = 0: functions over arrays with an optional leading samples axis.

Every function takes per-event inputs of shape (..., N) (nan = the event is
left out of that sample) and returns a :class:`~research_lib.inference.results.Statistic`
of shape (...).  :class:`~research_lib.inference.battery.TestBattery` calls
them with one sample (1-d inputs), the simulator with S samples (2-d inputs):
the same functions, so the two cannot drift apart.  Formulas and references:
see :class:`~research_lib.inference.battery.TestBattery`.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats

from research_lib.inference._arrays import NORMAL, f4, moments, scalar_note, t_dist
from research_lib.inference.results import Statistic


def t_cross_sectional(car: np.ndarray) -> Statistic:
    """Cross-sectional t: CAAR / (s_CAR / sqrt(N)), t(N - 1)."""
    n, mean, sd = moments(car)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(sd > 0, mean / (sd / np.sqrt(n)), np.nan)
    note = scalar_note((n < 2, f"needs at least 2 events with a CAR, has {n}"), (sd == 0, "cross-sectional SD of CAR is zero"))
    return Statistic(t, t_dist(n - 1), n, "t", note)


def crude_dependence(car: np.ndarray, s_aar: np.ndarray | float, n_aar: np.ndarray | float, length: int) -> Statistic:
    """Brown and Warner crude dependence adjustment: CAAR / (sqrt(L) s_AAR), t(M - 1).

    ``s_aar`` is the SD (ddof 1) of the estimation-window AAR series of ``n_aar`` days.
    """
    n, mean, _ = moments(car)
    s = np.asarray(s_aar, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where((s > 0) & (n > 0), mean / (np.sqrt(length) * s), np.nan)
    note = scalar_note((~((n > 0) & (s > 0)), "no CAR or no estimation-window AAR variance"))
    return Statistic(t, t_dist(np.asarray(n_aar, dtype=float) - 1), n, "t", note)


def _patell_z(csar: np.ndarray, v: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray, str]:
    ok = np.isfinite(csar) & np.isfinite(v)
    n = ok.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(ok, csar, 0.0).sum(axis=-1) / np.sqrt(length * np.where(ok, v, 0.0).sum(axis=-1))
    z = np.where(n > 0, z, np.nan)
    dropped = np.isfinite(csar).sum(axis=-1) - n
    note = scalar_note((n == 0, "no event"), (dropped > 0, f"{dropped} event(s) without M_i - k > 2 or S_it > 0 left out"))
    return z, n, note


def patell(csar: np.ndarray, v: np.ndarray, length: int) -> Statistic:
    """Patell (1976) Z over an L-day window: sum_i CSAR_i / sqrt(L sum_i v_i), N(0,1).

    Parameters
    ----------
    csar : (..., N) CSAR_i = sum over the window of SAR_it = AR_it / S_it.
    v : (..., N) v_i = (M_i - k)/(M_i - k - 2), the variance of a t(M_i - k) SAR.
    length : L, days in the window.

    Notes
    -----
    Which multi-day form, and why: this is the *pooled* form
    Z = sum_i CSAR_i / sqrt(L sum_i v_i): the sum of all N L standardised
    residuals divided by its null SD (each SAR has variance v_i and, under
    H0, SARs are uncorrelated across days and events).  The averaged form in
    ``methods.md`` (and in Campbell, Lo and MacKinlay's J2),
    (1/sqrt(N)) sum_i CSAR_i / sqrt(L v_i), standardises each event's CSAR
    first and then averages.  Both are N(0,1) under H0 and they coincide when
    every event has the same M_i (complete estimation windows, the common
    case).  The pooled form is kept because, with unequal M_i, it weights
    every standardised residual equally (Patell 1976 pools the SARs of a day
    the same way, z_t = sum_i SAR_it / sqrt(sum_i v_i)), and it reduces to
    Patell's day statistic for L = 1.
    """
    z, n, note = _patell_z(csar, v, length)
    return Statistic(z, NORMAL, n, "N(0,1)", note)


def patell_kp(csar: np.ndarray, v: np.ndarray, length: int, r: np.ndarray | float) -> Statistic:
    """Patell Z adjusted for cross-correlation (Kolari and Pynnönen 2010): z sqrt(1 / (1 + (N - 1) r))."""
    z, n, note = _patell_z(csar, v, length)
    r = np.asarray(r, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        adj = 1.0 / (1.0 + (n - 1) * r)
        out = np.where(adj > 0, z * np.sqrt(np.where(adj > 0, adj, np.nan)), np.nan)
    note = scalar_note((~(adj > 0), f"1 + (N-1) r <= 0 with r = {f4(r)}")) or note or scalar_note((True, f"r = {f4(r)}"))
    return Statistic(out, NORMAL, n, "N(0,1)", note)


def _bmp_t(scar: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
    n, mean, sd = moments(scar)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(sd > 0, np.sqrt(n) * mean / sd, np.nan)
    note = scalar_note((n < 2, f"needs at least 2 standardised CARs, has {n}"), (sd == 0, "cross-sectional SD of SCAR is zero"))
    return t, n, note


def bmp(scar: np.ndarray) -> Statistic:
    """Boehmer, Musumeci and Poulsen (1991): sqrt(N) mean(SCAR) / sd(SCAR), t(N - 1)."""
    t, n, note = _bmp_t(scar)
    return Statistic(t, t_dist(n - 1), n, "t", note)


def bmp_kp(scar: np.ndarray, r: np.ndarray | float) -> Statistic:
    """BMP t adjusted for cross-correlation (Kolari and Pynnönen 2010): t sqrt((1 - r) / (1 + (N - 1) r))."""
    t, n, note = _bmp_t(scar)
    r = np.asarray(r, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        adj = (1.0 - r) / (1.0 + (n - 1) * r)
        out = np.where(adj > 0, t * np.sqrt(np.where(adj > 0, adj, np.nan)), np.nan)
    note = note or scalar_note((~(adj > 0), f"(1 - r)/(1 + (N-1) r) <= 0 with r = {f4(r)}"), (True, f"r = {f4(r)}"))
    return Statistic(out, t_dist(n - 1), n, "t", note)


def skewness_corrected(car: np.ndarray) -> Statistic:
    """Hall (1992) skewness-corrected t: sqrt(N)(S + g S^2/3 + g^2 S^3/27 + g/(6N)), t(N - 1).

    S = CAAR / s_CAR and g = N / ((N-1)(N-2)) sum (CAR_i - CAAR)^3 / s_CAR^3
    (s_CAR with ddof 1).  Written out, g is the adjusted Fisher-Pearson
    skewness G1 = sqrt(N (N-1)) / (N-2) m3 / m2^(3/2), so it is taken from
    ``scipy.stats.skew(car, bias=False)``.
    """
    n, mean, sd = moments(car)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # scipy's precision warning for (near-)constant CARs
        x = np.asarray(car, dtype=float)
        policy = "omit" if np.isnan(x).any() else "propagate"
        g = np.asarray(stats.skew(x, axis=-1, bias=False, nan_policy=policy), dtype=float)
        big_s = mean / sd
        t = np.sqrt(n) * (big_s + g * big_s**2 / 3 + g**2 * big_s**3 / 27 + g / (6 * n))
    t = np.where((n >= 3) & (sd > 0), t, np.nan)
    note = scalar_note((n < 3, f"needs at least 3 events with a CAR, has {n}"), (sd == 0, "cross-sectional SD of CAR is zero"))
    return Statistic(t, t_dist(n - 1), n, "t", note)


def clm_j1(car: np.ndarray, car_var: np.ndarray) -> Statistic:
    """Campbell, Lo and MacKinlay J1: CAAR / sqrt(sum_i Var(CAR_i) / N^2), N(0,1)."""
    ok = np.isfinite(car) & (car_var > 0)
    n = ok.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(ok, car, 0.0).sum(axis=-1) / np.sqrt(np.where(ok, car_var, 0.0).sum(axis=-1))
    z = np.where(n > 0, z, np.nan)
    return Statistic(z, NORMAL, n, "N(0,1)", scalar_note((n == 0, "no event with Var(CAR) > 0")))


def clm_j2(scar: np.ndarray, v: np.ndarray) -> Statistic:
    """Campbell, Lo and MacKinlay J2: sum_i SCAR_i / sqrt(sum_i v_i), N(0,1)."""
    ok = np.isfinite(scar) & np.isfinite(v)
    n = ok.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(ok, scar, 0.0).sum(axis=-1) / np.sqrt(np.where(ok, v, 0.0).sum(axis=-1))
    z = np.where(n > 0, z, np.nan)
    return Statistic(z, NORMAL, n, "N(0,1)", scalar_note((n == 0, "no event with a SCAR and M_i - k > 2")))


def brown_warner_1980(car: np.ndarray, sigma2: np.ndarray, n_est: np.ndarray, length: int) -> Statistic:
    """Brown and Warner (1980): CAAR / (sqrt(L) sqrt(sum_i s_i^2) / N), t(mean(M) - 1)."""
    n, mean, _ = moments(car)
    ok_var = np.all(np.isfinite(sigma2), axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(np.sum(sigma2, axis=-1)) / n
        t = np.where(ok_var & (n > 0) & (sd > 0), mean / (np.sqrt(length) * sd), np.nan)
        m = np.asarray(n_est, dtype=float)
        df = m.sum(axis=-1) / m.shape[-1] - 1 if m.shape[-1] else np.full(m.shape[:-1], np.nan)
    note = scalar_note((~(ok_var & (n > 0)), "no CAR or a missing residual variance"), (~(sd > 0), "residual variances are zero"))
    return Statistic(t, t_dist(df), n, "t", note)


def lamb(aar: np.ndarray, s_aar: np.ndarray | float, factor: np.ndarray, n: np.ndarray | int) -> Statistic:
    """Lamb (1995) as estudy2: sum over the window of AAR_t / (s_AAR sqrt(c_t)), divided by sqrt(L); N(0,1).

    Parameters
    ----------
    aar : (..., L) AAR of the window days (over the events that enter).
    s_aar : SD of the estimation-window AAR series.
    factor : (L,) or (..., L) forecast-error factors c_t.
    n : events that enter.
    """
    s = np.asarray(s_aar, dtype=float)
    length = aar.shape[-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        daily = aar / (s[..., None] * np.sqrt(factor))
        z = np.where((s > 0) & (np.asarray(n) > 0), daily.sum(axis=-1) / np.sqrt(length), np.nan)
    note = scalar_note((~((s > 0) & (np.asarray(n) > 0)), "no CAR or no estimation-window AAR variance"))
    return Statistic(z, NORMAL, np.asarray(n), "N(0,1)", note)


__all__ = [
    "bmp",
    "bmp_kp",
    "brown_warner_1980",
    "clm_j1",
    "clm_j2",
    "crude_dependence",
    "lamb",
    "patell",
    "patell_kp",
    "skewness_corrected",
    "t_cross_sectional",
]
