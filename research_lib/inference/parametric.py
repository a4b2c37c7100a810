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

from research_lib.inference._arrays import NORMAL, f4, fmt, moments, scalar_note, t_dist
from research_lib.inference.results import Statistic


def t_cross_sectional(car: np.ndarray) -> Statistic:
    r"""Cross-sectional t: CAAR / (s_CAR / sqrt(N)), t(N - 1).

    Notes
    -----
    With :math:`N` events and sample standard deviation :math:`s_{CAR}` (ddof 1),

    .. math::

        t_{CS} = \frac{\overline{CAR}}{s_{CAR} / \sqrt{N}} \sim t(N - 1),
        \qquad \overline{CAR} = \frac{1}{N} \sum_{i=1}^{N} CAR_i .

    The variance comes from the event-period cross-section, so the test is
    robust to event-induced variance (notebook 05, part c).

    References
    ----------
    .. [1] Brown, S. J. and Warner, J. B. (1985). Using daily stock returns: the
       case of event studies. Journal of Financial Economics 14, 3-31.
    .. [2] Campbell, J. Y., Lo, A. W. and MacKinlay, A. C. (1997). The Econometrics
       of Financial Markets, ch. 4.

    Examples
    --------
    >>> import numpy as np
    >>> s = t_cross_sectional(np.array([0.02, 0.035, -0.01, 0.04, 0.015]))
    >>> round(float(s.stat), 3), s.label, int(s.n)
    (2.272, 't', 5)
    >>> x = np.array([0.02, 0.035, -0.01, 0.04, 0.015])
    >>> bool(np.isclose(s.stat, x.mean() / (x.std(ddof=1) / np.sqrt(5))))
    True
    """
    n, mean, sd = moments(car)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(sd > 0, mean / (sd / np.sqrt(n)), np.nan)
    note = scalar_note((n < 2, f"needs at least 2 events with a CAR, has {fmt(n)}"), (sd == 0, "cross-sectional SD of CAR is zero"))
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
    note = scalar_note((n == 0, "no event"), (dropped > 0, f"{fmt(dropped)} event(s) without M_i - k > 2 or S_it > 0 left out"))
    return z, n, note


def patell(csar: np.ndarray, v: np.ndarray, length: int) -> Statistic:
    r"""Patell (1976) Z over an L-day window: sum_i CSAR_i / sqrt(L sum_i v_i), N(0,1).

    Parameters
    ----------
    csar : numpy.ndarray
        (..., N) :math:`CSAR_i = \sum_{t \in W} SAR_{it}` with :math:`SAR_{it} = AR_{it} / S_{it}`.
    v : numpy.ndarray
        (..., N) :math:`v_i = (M_i - k)/(M_i - k - 2)`, the variance of a :math:`t(M_i - k)` SAR.
    length : int
        :math:`L`, days in the window.

    Returns
    -------
    Statistic
        The z statistic with a standard normal null.

    Notes
    -----
    With :math:`S_{it}` the prediction-error standard deviation of event :math:`i`
    on day :math:`t`, :math:`M_i` its estimation returns and :math:`k` the
    parameters of the normal-return model,

    .. math::

        Z = \frac{\sum_{i=1}^{N} CSAR_i}{\sqrt{L \sum_{i=1}^{N} v_i}} \sim N(0, 1),
        \qquad v_i = \frac{M_i - k}{M_i - k - 2}.

    Which multi-day form, and why: this is the *pooled* form, the sum of all
    :math:`N L` standardised residuals divided by its null standard deviation
    (each SAR has variance :math:`v_i` and, under H0, SARs are uncorrelated
    across days and events).  The averaged form of Campbell, Lo and MacKinlay's
    :math:`J_2`, :math:`N^{-1/2} \sum_i CSAR_i / \sqrt{L v_i}`, standardises each
    event first; both are N(0,1) under H0 and coincide when every event has the
    same :math:`M_i` (complete estimation windows).  The pooled form weights every
    standardised residual equally with unequal :math:`M_i` (Patell pools the SARs
    of a day the same way, :math:`z_t = \sum_i SAR_{it} / \sqrt{\sum_i v_i}`) and
    reduces to Patell's day statistic for :math:`L = 1`.

    References
    ----------
    .. [1] Patell, J. M. (1976). Corporate forecasts of earnings per share and stock
       price behavior: empirical tests. Journal of Accounting Research 14, 246-276.

    Examples
    --------
    >>> import numpy as np
    >>> s = patell(np.array([2.1, 0.4, 1.5, -0.3]), np.full(4, 238 / 236), length=1)
    >>> round(float(s.stat), 3), s.label
    (1.842, 'N(0,1)')
    """
    z, n, note = _patell_z(csar, v, length)
    return Statistic(z, NORMAL, n, "N(0,1)", note)


def patell_kp(csar: np.ndarray, v: np.ndarray, length: int, r: np.ndarray | float) -> Statistic:
    r"""Patell Z adjusted for cross-correlation (Kolari and Pynnönen 2010): z sqrt(1 / (1 + (N - 1) r)).

    Notes
    -----
    With :math:`\bar r` the mean correlation of the events' standardised CARs
    (:func:`research_lib.inference.kolari_pynnonen_r`),

    .. math::

        Z_{KP} = Z \sqrt{\frac{1}{1 + (N - 1)\bar r}} .

    References
    ----------
    .. [1] Kolari, J. W. and Pynnönen, S. (2010). Event study testing with
       cross-sectional correlation of abnormal returns. Review of Financial
       Studies 23, 3996-4025.

    Examples
    --------
    >>> import numpy as np
    >>> s = patell_kp(np.array([2.1, 0.4, 1.5, -0.3]), np.full(4, 238 / 236), 1, r=0.05)
    >>> round(float(s.stat), 3)
    1.717
    """
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
    note = scalar_note((n < 2, f"needs at least 2 standardised CARs, has {fmt(n)}"), (sd == 0, "cross-sectional SD of SCAR is zero"))
    return t, n, note


def bmp(scar: np.ndarray) -> Statistic:
    r"""Boehmer, Musumeci and Poulsen (1991): sqrt(N) mean(SCAR) / sd(SCAR), t(N - 1).

    Notes
    -----
    With :math:`SCAR_i = CAR_i / \hat\sigma(CAR_i)` (the prediction-error standard
    deviation of the CAR from the estimation window) and :math:`s_{SCAR}` their
    cross-sectional standard deviation (ddof 1),

    .. math::

        t_{BMP} = \frac{\sqrt{N}\, \overline{SCAR}}{s_{SCAR}} \sim t(N - 1).

    Standardising keeps Patell's power; dividing by the cross-sectional
    dispersion makes the test robust to event-induced variance.

    References
    ----------
    .. [1] Boehmer, E., Musumeci, J. and Poulsen, A. B. (1991). Event-study
       methodology under conditions of event-induced variance. Journal of
       Financial Economics 30, 253-272.

    Examples
    --------
    >>> import numpy as np
    >>> scar = np.array([2.1, 0.4, 1.5, -0.3, 1.1])
    >>> s = bmp(scar)
    >>> round(float(s.stat), 3), s.label, int(s.n)
    (2.291, 't', 5)
    >>> bool(np.isclose(s.stat, np.sqrt(5) * scar.mean() / scar.std(ddof=1)))
    True
    """
    t, n, note = _bmp_t(scar)
    return Statistic(t, t_dist(n - 1), n, "t", note)


def bmp_kp(scar: np.ndarray, r: np.ndarray | float) -> Statistic:
    r"""BMP t adjusted for cross-correlation (Kolari and Pynnönen 2010): t sqrt((1 - r) / (1 + (N - 1) r)).

    Notes
    -----
    With :math:`\bar r` the mean correlation of the standardised CARs of the
    window tested (:func:`research_lib.inference.kolari_pynnonen_r`),

    .. math::

        t_{BMP}^{KP} = t_{BMP} \sqrt{\frac{1 - \bar r}{1 + (N - 1)\bar r}} .

    With :math:`\bar r = 0` it is the BMP t; a positive :math:`\bar r` (events on
    common dates) shrinks it.

    References
    ----------
    .. [1] Kolari, J. W. and Pynnönen, S. (2010). Event study testing with
       cross-sectional correlation of abnormal returns. Review of Financial
       Studies 23, 3996-4025.

    Examples
    --------
    >>> import numpy as np
    >>> scar = np.array([2.1, 0.4, 1.5, -0.3, 1.1])
    >>> round(float(bmp_kp(scar, r=0.0).stat), 3), round(float(bmp_kp(scar, r=0.1).stat), 3)
    (2.291, 1.837)
    """
    t, n, note = _bmp_t(scar)
    r = np.asarray(r, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        adj = (1.0 - r) / (1.0 + (n - 1) * r)
        out = np.where(adj > 0, t * np.sqrt(np.where(adj > 0, adj, np.nan)), np.nan)
    note = note or scalar_note((~(adj > 0), f"(1 - r)/(1 + (N-1) r) <= 0 with r = {f4(r)}"), (True, f"r = {f4(r)}"))
    return Statistic(out, t_dist(n - 1), n, "t", note)


def skewness_corrected(car: np.ndarray) -> Statistic:
    r"""Hall (1992) skewness-corrected t: sqrt(N)(S + g S^2/3 + g^2 S^3/27 + g/(6N)), t(N - 1).

    Notes
    -----
    With :math:`S = \overline{CAR} / s_{CAR}` (:math:`s_{CAR}` with ddof 1) and the
    sample skewness

    .. math::

        \hat\gamma = \frac{N}{(N-1)(N-2)} \sum_{i=1}^{N} \frac{(CAR_i - \overline{CAR})^3}{s_{CAR}^3},
        \qquad
        t_{skew} = \sqrt{N} \left( S + \frac{\hat\gamma S^2}{3} + \frac{\hat\gamma^2 S^3}{27}
        + \frac{\hat\gamma}{6N} \right) \sim t(N - 1).

    Written out, :math:`\hat\gamma` is the adjusted Fisher-Pearson skewness
    :math:`G_1`, so it is taken from ``scipy.stats.skew(car, bias=False)``.

    References
    ----------
    .. [1] Hall, P. (1992). On the removal of skewness by transformation. Journal
       of the Royal Statistical Society B 54, 221-228.
    .. [2] Lyon, J. D., Barber, B. M. and Tsai, C.-L. (1999). Improved methods for
       tests of long-run abnormal stock returns. Journal of Finance 54, 165-201.

    Examples
    --------
    >>> import numpy as np
    >>> s = skewness_corrected(np.array([0.02, 0.035, -0.01, 0.04, 0.015, 0.12]))
    >>> round(float(s.stat), 3)
    3.131
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
    note = scalar_note((n < 3, f"needs at least 3 events with a CAR, has {fmt(n)}"), (sd == 0, "cross-sectional SD of CAR is zero"))
    return Statistic(t, t_dist(n - 1), n, "t", note)


def clm_j1(car: np.ndarray, car_var: np.ndarray) -> Statistic:
    r"""Campbell, Lo and MacKinlay J1: CAAR / sqrt(sum_i Var(CAR_i) / N^2), N(0,1).

    Notes
    -----
    With :math:`\hat\sigma^2_i(\tau_1, \tau_2)` the estimation-window variance of
    event :math:`i`'s CAR (prediction error included, ``car_var``),

    .. math::

        J_1 = \frac{\overline{CAR}(\tau_1, \tau_2)}
        {\sqrt{\frac{1}{N^2} \sum_{i=1}^{N} \hat\sigma^2_i(\tau_1, \tau_2)}} \sim N(0, 1).

    References
    ----------
    .. [1] Campbell, J. Y., Lo, A. W. and MacKinlay, A. C. (1997). The Econometrics
       of Financial Markets, Princeton University Press, section 4.4.3, eq. (4.4.22).
    .. [2] MacKinlay, A. C. (1997). Event studies in economics and finance. Journal
       of Economic Literature 35, 13-39.

    Examples
    --------
    >>> import numpy as np
    >>> s = clm_j1(np.array([0.02, 0.035, -0.01, 0.04]), np.full(4, 0.02**2))
    >>> round(float(s.stat), 3)
    2.125
    """
    ok = np.isfinite(car) & (car_var > 0)
    n = ok.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(ok, car, 0.0).sum(axis=-1) / np.sqrt(np.where(ok, car_var, 0.0).sum(axis=-1))
    z = np.where(n > 0, z, np.nan)
    return Statistic(z, NORMAL, n, "N(0,1)", scalar_note((n == 0, "no event with Var(CAR) > 0")))


def clm_j2(scar: np.ndarray, v: np.ndarray) -> Statistic:
    r"""Campbell, Lo and MacKinlay J2: sum_i SCAR_i / sqrt(sum_i v_i), N(0,1).

    Notes
    -----
    With :math:`SCAR_i = CAR_i / \hat\sigma_i(\tau_1, \tau_2)` and
    :math:`v_i = (M_i - k) / (M_i - k - 2)` the variance of a standardised CAR,

    .. math::

        J_2 = \frac{\sum_{i=1}^{N} SCAR_i}{\sqrt{\sum_{i=1}^{N} v_i}} \sim N(0, 1),

    which is :math:`\sqrt{N (L_1 - 4)/(L_1 - 2)}\, \overline{SCAR}` of the book when
    every :math:`M_i = L_1` and :math:`k = 2`.

    References
    ----------
    .. [1] Campbell, J. Y., Lo, A. W. and MacKinlay, A. C. (1997). The Econometrics
       of Financial Markets, Princeton University Press, section 4.4.3, eq. (4.4.24).

    Examples
    --------
    >>> import numpy as np
    >>> s = clm_j2(np.array([2.1, 0.4, 1.5, -0.3]), np.full(4, 238 / 236))
    >>> round(float(s.stat), 3)
    1.842
    """
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
    aar
        (..., L) AAR of the window days (over the events that enter).
    s_aar
        SD of the estimation-window AAR series.
    factor
        (L,) or (..., L) forecast-error factors c_t.
    n
        events that enter.
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
