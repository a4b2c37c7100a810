"""Which events drive an average: leave-one-out, median and trimmed CAARs; event-induced variance.

A CAAR over a few dozen events can rest on one or two of them.
:func:`influence_table` gives, for each event, the CAAR without it;
:func:`robust_centres` the mean, median and trimmed mean side by side; and
:func:`event_variance_ratio` the statistic that explains why the Patell test
and the Boehmer-Musumeci-Poulsen (BMP) test disagree when the event day is
more volatile than the estimation window.

References
----------
Boehmer, E., Musumeci, J. and Poulsen, A. B. (1991), "Event-study methodology
under conditions of event-induced variance", *JFE* 30(2), 253-272.
Patell, J. M. (1976), "Corporate forecasts of earnings per share and stock
price behavior", *Journal of Accounting Research* 14(2), 246-276.
Belsley, D. A., Kuh, E. and Welsch, R. E. (1980), *Regression Diagnostics*
(leave-one-out influence).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from research_lib.engine.panel import AbnormalReturns
from research_lib.errors import InvalidRequestError

__all__ = ["event_variance_ratio", "influence_table", "leak_start_cars", "robust_centres"]


def _values(cars: pd.Series) -> pd.Series:
    clean = cars.astype(float).dropna()
    if len(clean) < 3:
        raise InvalidRequestError(f"need at least three events with a CAR, got {len(clean)}")
    return clean


def influence_table(cars: pd.Series) -> pd.DataFrame:
    """Leave-one-out CAAR of each event, sorted by influence.

    Parameters
    ----------
    cars
        One CAR per event (index: event names).

    Returns
    -------
    pd.DataFrame
        Index: event; columns ``car``, ``caar_without`` (mean of the other
        N - 1 CARs) and ``influence`` = CAAR - caar_without = (car - CAAR) / (N - 1),
        sorted by ``|influence|``, largest first.

    Notes
    -----
    Vectorised: caar_without_i = (sum - car_i) / (N - 1).
    """
    c = _values(cars)
    n = len(c)
    without = (c.sum() - c) / (n - 1)
    out = pd.DataFrame({"car": c, "caar_without": without, "influence": c.mean() - without})
    return out.reindex(out["influence"].abs().sort_values(ascending=False).index)


def robust_centres(cars: pd.Series, trim: float = 0.1, drop: Sequence[str] = ()) -> pd.Series:
    """Mean, median and trimmed mean of the CARs (optionally without ``drop``).

    ``trim`` is the share cut from *each* tail (:func:`scipy.stats.trim_mean`).
    Returns a Series with ``n``, ``mean``, ``median``, ``trimmed_mean``,
    ``share_positive``.
    """
    c = _values(cars.drop(index=list(drop)))
    return pd.Series({
        "n": float(len(c)), "mean": float(c.mean()), "median": float(c.median()),
        "trimmed_mean": float(stats.trim_mean(c, trim)), "share_positive": float((c > 0).mean()),
    })


def event_variance_ratio(ab: AbnormalReturns, start: int, stop: int) -> float:
    """Cross-sectional variance of the standardised CARs over its value under no event-induced variance.

    Notes
    -----
    With SCAR_i = CAR_i / se_i (prediction-error se), Patell's test assumes
    Var(SCAR_i) = (M_i - 2) / (M_i - 4) (Student t with M_i - 2 df), while BMP
    uses the sample cross-sectional variance s^2(SCAR).  The ratio
    s^2(SCAR) / mean((M_i - 2)/(M_i - 4)) is the factor by which the BMP
    statistic's variance exceeds Patell's: about 1 without event-induced
    variance; the Patell z is larger than BMP's by roughly its square root
    (Boehmer, Musumeci and Poulsen 1991, section 2).  Here M_i - 2 is the
    t-test's degrees of freedom ``ab.df``.
    """
    car, var = ab.car(start, stop)
    scar = car / np.sqrt(var)
    ok = np.isfinite(scar)
    if ok.sum() < 3:
        raise InvalidRequestError(f"need at least three events with a CAR over [{start},{stop}], got {int(ok.sum())}")
    dfs = np.asarray(ab.df, dtype=float)[ok]
    return float(np.var(scar[ok], ddof=1) / np.mean(dfs / (dfs - 2.0)))


def leak_start_cars(ab: AbnormalReturns, leak_dates: Mapping[str, str | pd.Timestamp | None], stop: int,
                    start: int = 0) -> pd.DataFrame:
    """CAR of each event over [start, stop] and over a window moved to start at its leak date.

    A catalogue's ``leak_date`` says that the news reached the market on or
    before that session, so the event window should start there: for an event
    whose leak date falls on event day tau_L < ``start`` (the first session on
    or after the leak date), the leak-started window is [tau_L, stop]; other
    events keep [start, stop].

    Parameters
    ----------
    ab
        The fitted abnormal returns.
    leak_dates
        event_id -> leak date (missing or NaT: no leak).
    stop, start
        The standard window [start, stop].

    Returns
    -------
    pd.DataFrame
        Index ``event_id``; ``leak_tau`` (NaN without a leak), ``window`` (text),
        ``car`` (standard window), ``car_leak`` (leak-started window) and
        ``se_leak`` (its prediction-error SE).

    Raises
    ------
    InvalidRequestError
        If a leak date lies before the event window.
    """
    ids = list(ab.panel.event_ids)
    tau = np.asarray(ab.panel.tau_evt)
    starts = np.full(len(ids), start)
    leak_tau = np.full(len(ids), np.nan)
    for i, eid in enumerate(ids):  # one lookup per event with a leak date (a handful)
        raw = leak_dates.get(eid)
        leak = pd.Timestamp(raw) if raw is not None else pd.NaT
        if pd.isna(leak):
            continue
        dates = pd.DatetimeIndex(ab.panel.evt_dates[i])
        pos = int(dates.searchsorted(leak))
        if leak < dates[0]:
            raise InvalidRequestError(f"{eid}: leak date {leak:%Y-%m-%d} is before the event window; widen it")
        leak_tau[i] = tau[pos]
        starts[i] = min(start, int(tau[pos]))
    car, var = ab.car(start, stop)
    car_leak, se_leak = car.copy(), np.sqrt(var)
    for s0 in np.unique(starts[starts != start]):  # one vectorised CAR per distinct start
        c, v = ab.car(int(s0), stop)
        hit = starts == s0
        car_leak[hit], se_leak[hit] = c[hit], np.sqrt(v[hit])
    return pd.DataFrame({"leak_tau": leak_tau, "window": [f"[{a},{stop}]" for a in starts], "car": car,
                         "car_leak": car_leak, "se_leak": se_leak}, index=pd.Index(ids, name="event_id"))
