"""The one place where t statistics, p-values and confidence intervals come from abnormal returns.

The per-event table, the per-day table, the CAR/CAAR table of the summary, the
robustness table and the plots all call :func:`t_inference` (and
:func:`car_estimate` for a CAR or CAAR with its standard error), so a change of
convention shows up everywhere at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from research_lib.engine.panel import AbnormalReturns

__all__ = ["CarEstimate", "TInference", "car_estimate", "format_p", "t_inference"]


def format_p(p: object, digits: int = 3, less: str = "<") -> str:
    """A p-value for a table: ``digits`` decimals, and ``<0.001`` (for 3) rather than a p of ``0.000``.

    A p-value is never zero, so rounding one below 10^-digits to zeros would misstate it.
    ``less`` is the sign written before the bound (``"$<$"`` in LaTeX text).

    Examples
    --------
    >>> format_p(0.04321), format_p(0.00004), format_p(float("nan"))
    ('0.043', '<0.001', 'nan')
    """
    try:
        v = float(p)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "nan"
    if not np.isfinite(v):
        return "nan"
    bound = 10.0 ** -digits
    return f"{less}{bound:.{digits}f}" if v < bound else f"{v:.{digits}f}"


@dataclass(frozen=True)
class TInference:
    """t = est / se with Student-t(df) two-sided p-value and the ``level`` interval est +/- q se."""

    t: np.ndarray
    p: np.ndarray
    half_width: np.ndarray
    low: np.ndarray
    high: np.ndarray


def t_inference(est: object, se: object, df: object, level: float = 0.95) -> TInference:
    """Student-t inference for estimates with standard errors (arrays broadcast).

    Notes
    -----
    t = est / se, p = 2 (1 - F_t(|t|; df)), interval est +/- t_{(1+level)/2, df} se.
    A zero or missing standard error gives t = NaN (never an infinite statistic).
    """
    e = np.asarray(est, dtype=float)
    s = np.asarray(se, dtype=float)
    d = np.asarray(df, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(s > 0, e / s, np.nan)
    p = 2 * stats.t.sf(np.abs(t), d)
    half = stats.t.ppf(0.5 + level / 2, d) * s
    return TInference(t=t, p=p, half_width=half, low=e - half, high=e + half)


@dataclass(frozen=True)
class CarEstimate:
    """A CAR (one event) or CAAR (all events) with its standard error, degrees of freedom and how."""

    estimate: float
    se: float
    df: float
    se_from: str


def car_estimate(ab: AbnormalReturns, start: int, end: int, event: int | None = None) -> CarEstimate:
    """CAR[start, end] of event ``event`` (prediction-error SE, t(df) of its estimation)
    or, for ``event=None`` with several events, the CAAR with the cross-sectional SE, t(N-1).

    With one event and ``event=None`` the single event's CAR is returned.
    """
    car, var = ab.car(start, end)
    n = car.shape[0]
    if event is None and n == 1:
        event = 0
    if event is not None:
        df = float(ab.df[event])
        return CarEstimate(float(car[event]), float(np.sqrt(var[event])), df, f"prediction error, t({df:g})")
    return CarEstimate(float(np.mean(car)), float(np.std(car, ddof=1) / np.sqrt(n)), float(n - 1),
                       f"cross-sectional, t({n - 1})")
