"""Inference for a single firm without assuming normal residuals.

With one event, the cross-section offers no variance estimate and the
Student-t test of CAR / se leans on normal abnormal returns.  Daily stock
returns are fat-tailed, so the project also reports the sample-quantile (SQ)
test of Gelbach, Helland and Klick (2013): the event's CAR over L sessions
is compared with the empirical distribution of L-session sums of the
estimation-window residuals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from research_lib.conventions import pct_label
from research_lib.engine.panel import AbnormalReturns


@dataclass(frozen=True)
class SampleQuantileTest:
    """Result of the SQ test for one event and window.

    Attributes
    ----------
    car
        the event's CAR over the window.
    window
        (start, stop) in event time.
    n_sums
        number of L-session residual sums forming the null distribution.
    quantile
        empirical CDF of the null sums at the CAR, F(CAR).
    pvalue
        two-sided finite-sample p = min(1, 2 min(p_less, p_greater)), never below 2/(n+1).
    lower, upper
        the alpha/2 and 1 - alpha/2 empirical quantiles.
    level
        1 - alpha.
    null
        the null hypothesis in words.
    """

    car: float
    window: tuple[int, int]
    n_sums: int
    quantile: float
    pvalue: float
    lower: float
    upper: float
    level: float
    null: str
    pvalue_less: float = float("nan")
    pvalue_greater: float = float("nan")

    def __str__(self) -> str:
        return (
            f"SQ test CAR[{self.window[0]},{self.window[1]}] = {self.car:.4f}: empirical quantile {self.quantile:.3f}, "
            f"two-sided p = {self.pvalue:.3f}; {pct_label(self.level)} acceptance region [{self.lower:.4f}, {self.upper:.4f}] "
            f"from {self.n_sums} residual sums"
        )


def rolling_sums(resid: np.ndarray, length: int) -> np.ndarray:
    """All sums of ``length`` consecutive estimation residuals that contain no missing value.

    Examples
    --------
    >>> import numpy as np
    >>> from research_lib.inference import rolling_sums
    >>> rolling_sums(np.array([[1.0, 2.0, 3.0, 4.0]]), 2).tolist()
    [3.0, 5.0, 7.0]
    """
    x = np.asarray(resid, dtype=float)
    if length < 1 or length > x.size:
        raise ValueError(f"window length {length} must be between 1 and the {x.size} estimation sessions")
    valid = ~np.isnan(x)
    csum = np.concatenate([[0.0], np.cumsum(np.where(valid, x, 0.0))])
    cval = np.concatenate([[0], np.cumsum(valid)])
    sums = csum[length:] - csum[:-length]
    complete = (cval[length:] - cval[:-length]) == length
    return sums[complete]


def sample_quantile_pvalues(sums: np.ndarray, car: np.ndarray | float) -> tuple[np.ndarray, ...]:
    """F(CAR) and the finite-sample p-values of the SQ test, with an optional leading samples axis.

    Parameters
    ----------
    sums
        (..., n) null draws S_j (the L-session residual sums of each sample).
    car
        (...) the CARs.

    Returns
    -------
    quantile
        F(CAR) = #{S_j <= CAR} / n.
    p_two
        min(1, 2 min(p_less, p_greater)).
    p_less
        (1 + #{S_j <= CAR}) / (n + 1).
    p_greater
        (1 + #{S_j >= CAR}) / (n + 1).

    Notes
    -----
    (1 + #as extreme) / (n + 1) is the exact p-value of a rank test when CAR
    and the n sums are exchangeable under H0 (the CAR is one more draw from
    the same distribution): it is never 0 and never below 1/(n + 1), unlike
    the share of sums as extreme, which is exactly 0 for a CAR beyond every
    sum (Davison and Hinkley 1997, eq. 4.11).
    """
    x = np.asarray(sums, dtype=float)
    c = np.asarray(car, dtype=float)[..., None]
    n = x.shape[-1]
    at_most = np.sum(x <= c, axis=-1)
    at_least = np.sum(x >= c, axis=-1)
    p_less = (1.0 + at_most) / (n + 1.0)
    p_greater = (1.0 + at_least) / (n + 1.0)
    return at_most / n, np.minimum(1.0, 2.0 * np.minimum(p_less, p_greater)), p_less, p_greater


def sample_quantile_test(ab: AbnormalReturns, event: int, window: tuple[int, int], level: float = 0.95) -> SampleQuantileTest:
    """Gelbach-Helland-Klick (2013) sample-quantile test of one event's CAR.

    Notes
    -----
    With estimation residuals e_1..e_M and a window of L sessions, the null
    distribution is the empirical distribution of S_j = e_j + ... + e_{j+L-1}
    over all complete runs j.  With F the empirical CDF (F(x) = share of
    S_j <= x), the two-sided p-value is 2 min(F(CAR), 1 - F(CAR^-)), where
    F(CAR^-) counts sums strictly below CAR; the test rejects at level alpha
    when CAR lies outside the [alpha/2, 1 - alpha/2] empirical quantiles.
    The overlapping sums are dependent, and with M = 240 and L = 3 the tails
    rest on few observations: the p-value is a guide, not an exact size.

    References
    ----------
    Gelbach, J. B., Helland, E. and Klick, J. (2013). Valid inference in
    single-firm, single-event studies. American Law and Economics Review 15(2), 495-541.
    Davison, A. C. and Hinkley, D. V. (1997). Bootstrap Methods and their
    Application. Cambridge University Press, ch. 4.

    Examples
    --------
    >>> from research_lib.examples import example_abnormal_returns
    >>> from research_lib.inference import sample_quantile_test
    >>> sq = sample_quantile_test(example_abnormal_returns(), event=0, window=(0, 0))
    >>> type(sq).__name__
    'SampleQuantileTest'
    """
    mask = ab.window_index(*window)
    car = float(np.sum(ab.ar[event, mask]))
    sums = rolling_sums(ab.est_resid[event], int(mask.sum()))
    if sums.size == 0:
        raise ValueError("no complete run of estimation residuals as long as the window; shorten the window")
    below, p, p_less, p_greater = (float(v) for v in sample_quantile_pvalues(sums, car))
    alpha = 1 - level
    lo, hi = np.quantile(sums, [alpha / 2, 1 - alpha / 2])
    return SampleQuantileTest(
        car, (int(window[0]), int(window[1])), int(sums.size), below, p, float(lo), float(hi), level,
        f"CAR[{window[0]},{window[1]}] is drawn from the distribution of {int(mask.sum())}-session sums of estimation residuals",
        p_less, p_greater,
    )
