"""Sign and signed-rank tests on CARs: functions over (..., N) arrays (nan = event left out).

The sign tests come in two forms: the normal approximation (``sign``,
``generalized_sign``; Cowan 1992) and the exact binomial (``sign_exact``,
``generalized_sign_exact``), whose statistic is the number of positive CARs
w and whose null distribution is ``scipy.stats.binom(N, p)`` (p = 1/2, or
p_hat, the estimation-window fraction of positive residuals).  The battery's
default ``TEST_NAMES`` keep the normal forms (as the published batteries and
estudy2 report them); the exact forms are in ``EXTRA_TEST_NAMES`` and should
be preferred for small N (at N = 50 the approximate sign test's exact size
at 5% is 6.5%).  Two-sided exact p-values double the smaller tail, which for
p = 1/2 is ``scipy.stats.binomtest``'s p-value.
"""

from __future__ import annotations

import warnings
from functools import cache
from typing import Any

import numpy as np
from scipy import stats

from research_lib.inference._arrays import NORMAL, f4, fmt, scalar_note
from research_lib.inference.rank import rank_rows
from research_lib.inference.results import Statistic


def _positives(car: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ok = np.isfinite(car)
    return ok.sum(axis=-1), np.sum(car > 0, axis=-1)


def sign(car: np.ndarray) -> Statistic:
    r"""Sign test, normal approximation: z = (w - N/2) / sqrt(N/4), w = number of positive CARs.

    Notes
    -----
    With :math:`w` the number of positive CARs among :math:`N`,

    .. math::

        Z_{sign} = \frac{w - N/2}{\sqrt{N/4}} \overset{a}{\sim} N(0, 1);

    :func:`sign_exact` refers :math:`w` to :math:`\mathrm{Binomial}(N, 1/2)`.

    References
    ----------
    .. [1] Cowan, A. R. (1992). Nonparametric event study tests. Review of
       Quantitative Finance and Accounting 2, 343-358.

    Examples
    --------
    >>> import numpy as np
    >>> s = sign(np.array([0.02, 0.035, -0.01, 0.04, 0.015, 0.01]))
    >>> round(float(s.stat), 3)
    1.633
    """
    n, pos = _positives(car)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(n > 0, (pos - 0.5 * n) / np.sqrt(0.25 * n), np.nan)
    return Statistic(z, NORMAL, n, "N(0,1)", scalar_note((n == 0, "no event with a CAR")))


def sign_exact(car: np.ndarray) -> Statistic:
    """Sign test, exact: w = number of positive CARs against Binomial(N, 1/2)."""
    n, pos = _positives(car)
    stat = np.where(n > 0, pos, np.nan).astype(float)
    label = f"Binomial({int(n)}, 0.5)" if np.ndim(n) == 0 else "Binomial(N, 0.5)"
    return Statistic(stat, stats.binom(n, 0.5), n, label, scalar_note((n == 0, "no event with a CAR")))


def generalized_sign(car: np.ndarray, p_hat: np.ndarray | float) -> Statistic:
    r"""Cowan (1992) generalised sign test, normal approximation: (w - N p) / sqrt(N p (1 - p)).

    Notes
    -----
    :math:`\hat p` is the share of positive abnormal returns in the estimation
    window (by default the mean over events of each event's share), and
    :math:`w` the number of positive CARs:

    .. math::

        Z_{gsign} = \frac{w - N \hat p}{\sqrt{N \hat p (1 - \hat p)}} \overset{a}{\sim} N(0, 1).

    References
    ----------
    .. [1] Cowan, A. R. (1992). Nonparametric event study tests. Review of
       Quantitative Finance and Accounting 2, 343-358.

    Examples
    --------
    >>> import numpy as np
    >>> s = generalized_sign(np.array([0.02, 0.035, -0.01, 0.04, 0.015, 0.01]), p_hat=0.48)
    >>> round(float(s.stat), 3)
    1.732
    >>> round((5 - 6 * 0.48) / (6 * 0.48 * 0.52) ** 0.5, 3)
    1.732
    """
    n, pos = _positives(car)
    p = np.asarray(p_hat, dtype=float)
    good = (n > 0) & (p > 0) & (p < 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(good, (pos - n * p) / np.sqrt(n * p * (1 - p)), np.nan)
    note = scalar_note((~good, f"no CAR or degenerate p_hat = {fmt(p)}"), (True, f"p_hat = {f4(p)}"))
    return Statistic(z, NORMAL, n, "N(0,1)", note)


def generalized_sign_exact(car: np.ndarray, p_hat: np.ndarray | float) -> Statistic:
    """Generalised sign test, exact: w against Binomial(N, p_hat)."""
    n, pos = _positives(car)
    p = np.asarray(p_hat, dtype=float)
    good = (n > 0) & (p > 0) & (p < 1)
    stat = np.where(good, pos, np.nan).astype(float)
    label = f"Binomial({int(n)}, {float(p):.4f})" if np.ndim(n) == 0 and np.ndim(p) == 0 else "Binomial(N, p_hat)"
    note = scalar_note((~good, f"no CAR or degenerate p_hat = {fmt(p)}"), (True, f"p_hat = {f4(p)}"))
    return Statistic(stat, stats.binom(n, np.where(good, p, 0.5)), n, label, note)


@cache
def signed_rank_distribution(n: int) -> Any:
    """Exact null distribution of the Wilcoxon W+ for n non-zero, untied observations (frozen scipy).

    W+ = sum of the ranks of the positive values; under H0 each subset of
    {1..n} is equally likely, so P(W+ = w) = c_n(w) / 2^n with c_n(w) the number
    of subsets with sum w, built by the recursion c_j(w) = c_{j-1}(w) + c_{j-1}(w - j).
    scipy keeps its own copy private, so it is rebuilt here and frozen as an
    ``rv_discrete`` (one-sided p-values and critical values come from it).
    """
    top = n * (n + 1) // 2
    counts = np.zeros(top + 1)
    counts[0] = 1.0
    for j in range(1, n + 1):
        counts[j:] = counts[j:] + counts[:-j].copy()
    return stats.rv_discrete(name="signed_rank", values=(np.arange(top + 1), counts / 2.0**n)).freeze()


def wilcoxon_exact_rows(car: np.ndarray) -> np.ndarray:
    """(...) True where a sample gets the exact W+ distribution: N <= 50 non-zero CARs, no ties, no nan."""
    x = np.asarray(car, dtype=float)
    srt = np.sort(np.abs(x), axis=-1)
    no_tie = ~np.any(srt[..., 1:] == srt[..., :-1], axis=-1) if x.shape[-1] > 1 else np.ones(x.shape[:-1], bool)
    return (x.shape[-1] <= 50) & no_tie & np.all(np.isfinite(x) & (x != 0), axis=-1)


def wilcoxon(car: np.ndarray) -> Statistic:
    r"""Wilcoxon signed-rank test on CARs (zeros dropped); the statistic is W+.

    Notes
    -----
    With :math:`R_i^{+}` the rank of :math:`|CAR_i|` among the :math:`N` non-zero CARs,

    .. math::

        W^{+} = \sum_{i:\, CAR_i > 0} R_i^{+}, \qquad
        \operatorname{E} W^{+} = \frac{N(N+1)}{4}, \qquad
        \operatorname{Var} W^{+} = \frac{N(N+1)(2N+1)}{24} - \sum_{g} \frac{t_g^3 - t_g}{48},

    :math:`t_g` the size of tie group :math:`g`.

    Exact null distribution (:func:`signed_rank_distribution`) when every
    sample has N <= 50 non-zero CARs without ties, else the normal
    approximation N(N(N+1)/4, N(N+1)(2N+1)/24 - sum(t^3 - t)/48) with the tie
    correction and no continuity correction: the rules
    ``scipy.stats.wilcoxon(x, method="exact" | "approx", correction=False)``
    applies, and its p-values are reproduced (tested).  W+ comes from
    :func:`~research_lib.inference.rank.rank_rows` rather than scipy because
    scipy reports min(W+, W-) for the two-sided test and, with ``method="auto"``,
    keeps the exact distribution even with ties.  Samples of an array that
    need different methods must be passed separately (the simulator splits
    them with :func:`wilcoxon_exact_rows`).

    References
    ----------
    .. [1] Wilcoxon, F. (1945). Individual comparisons by ranking methods.
       Biometrics Bulletin 1, 80-83.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> car = np.array([0.02, 0.035, -0.01, 0.04, 0.015, 0.012])
    >>> s = wilcoxon(car)
    >>> float(s.stat), round(float(s.pvalue_for()), 4)
    (20.0, 0.0625)
    >>> round(float(stats.wilcoxon(car, method="exact").pvalue), 4)
    0.0625
    """
    x = np.asarray(car, dtype=float)
    keep = np.isfinite(x) & (x != 0)
    ranks, _, _ = rank_rows(np.where(keep, np.abs(x), np.nan))
    n = keep.sum(axis=-1)
    w_plus = np.sum(np.where(keep & (x > 0), ranks, 0.0), axis=-1)
    w_plus = np.where(n > 0, w_plus, np.nan)
    note = scalar_note((np.all(n == 0), "no non-zero CAR")) or "stat is W+"
    if x.ndim == 1:
        xx = np.abs(x[keep])
        exact = xx.size <= 50 and np.unique(xx).size == xx.size
    else:
        exact = bool(np.all(wilcoxon_exact_rows(x)))
    if exact and (np.ndim(n) == 0 or np.all(n == np.ravel(n)[0])):
        n0 = int(np.ravel(n)[0])
        if n0 > 0:
            return Statistic(w_plus, signed_rank_distribution(n0), n, "exact", note)
    # normal approximation with the tie correction of the variance (scipy's "approx")
    a = np.where(keep, np.abs(x), np.nan)
    srt = np.sort(a, axis=-1)
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        ties = _tie_term(srt)
        var = n * (n + 1) * (2 * n + 1) / 24.0 - ties / 48.0
        dist = stats.norm(loc=n * (n + 1) / 4.0, scale=np.sqrt(np.where(var > 0, var, np.nan)))
    return Statistic(w_plus, dist, n, "N(0,1) approx.", note)


def _tie_term(srt: np.ndarray) -> np.ndarray:
    """sum over tie groups of t^3 - t along the last axis of sorted values (nan at the end)."""
    m = srt.shape[-1]
    if m < 2:
        return np.zeros(srt.shape[:-1])
    flat = srt.reshape(-1, m)
    out = np.zeros(flat.shape[0])
    rows = np.flatnonzero(np.any(flat[:, 1:] == flat[:, :-1], axis=1))
    for i in rows:  # only rows with ties
        _, t = np.unique(flat[i][np.isfinite(flat[i])], return_counts=True)
        out[i] = float(np.sum(t.astype(float) ** 3 - t))
    return out.reshape(srt.shape[:-1])


__all__ = [
    "generalized_sign",
    "generalized_sign_exact",
    "sign",
    "sign_exact",
    "signed_rank_distribution",
    "wilcoxon",
    "wilcoxon_exact_rows",
]
