"""Rank tests: Corrado (1989), Campbell-Wasley, Corrado-Zivney and the Kolari-Pynnönen generalised rank.

Functions over arrays with an optional leading samples axis: per-event
inputs are (..., N, days), the statistics (...).  The estimation + event
window scores (:func:`rank_scores`) and the generalised-rank inputs
(:func:`generalized_rank_inputs`) are computed once per set of abnormal
returns; a window's test then costs a sum.  Formulas and references: see
:class:`~research_lib.inference.battery.TestBattery`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from research_lib.inference._arrays import NORMAL, moments, scalar_note, t_dist
from research_lib.inference.results import Statistic


def rank_rows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ranks within each row of the last axis (average ranks for ties, nan kept), sorted rows, valid counts.

    Same result as ``scipy.stats.rankdata(x, axis=-1, nan_policy="omit")``
    (tested).  Written by hand because it is the hot loop of the simulator and
    the battery: one *unstable* sort per row, the inverse permutation gives
    the ranks, and only rows that contain a tie are re-ranked, each with two
    ``searchsorted`` calls on its sorted values (average rank = (left + right + 1) / 2).
    Measured on a (50,000 x 250) array here: 1.2 s, against 1.8 s for
    ``scipy.stats.rankdata(axis=1)`` and 2.3 s for a fully vectorised
    tie-group pass; a stable sort alone costs 0.9 s against 0.2 s.
    """
    shape = x.shape
    m = shape[-1]
    if m == 0 or x.size == 0:
        return np.full(shape, np.nan), np.full(shape, np.nan), np.zeros(shape[:-1])
    flat = np.asarray(x, dtype=float).reshape(-1, m)
    order = np.argsort(flat, axis=1)  # unstable (introsort); nan sort last
    # flat indices instead of take/put_along_axis (which build index grids): same values, faster
    at = order + (np.arange(flat.shape[0]) * m)[:, None]
    srt = flat.ravel()[at]
    ranks = np.empty(flat.shape)
    ranks.ravel()[at.ravel()] = np.tile(np.arange(1.0, m + 1.0), flat.shape[0])
    bad = ~np.isfinite(flat)
    if bad.any():
        ranks[bad] = np.nan
    counts = np.isfinite(flat).sum(axis=1).astype(float)
    if m > 1:
        tied = np.flatnonzero(np.any(srt[:, 1:] == srt[:, :-1], axis=1))
        for i in tied:  # rare with continuous returns: a row loop only over rows with ties
            row, c = flat[i], int(counts[i])
            ok = np.isfinite(row)
            lo = np.searchsorted(srt[i, :c], row[ok], side="left")
            hi = np.searchsorted(srt[i, :c], row[ok], side="right")
            ranks[i, ok] = (lo + hi + 1) / 2.0
    return ranks.reshape(shape), srt.reshape(shape), counts.reshape(shape[:-1])


def row_median(srt: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Median of each row of an ascending-sorted array whose first ``counts`` entries are valid."""
    c = counts.astype(int)
    m = srt.shape[-1]
    if m == 0:
        return np.full(c.shape, np.nan)
    lo = np.clip((c - 1) // 2, 0, m - 1)[..., None]
    hi = np.clip(c // 2, 0, m - 1)[..., None]
    med = 0.5 * (np.take_along_axis(srt, lo, axis=-1) + np.take_along_axis(srt, hi, axis=-1))[..., 0]
    return np.where(c > 0, med, np.nan)


@dataclass(frozen=True)
class RankScores:
    """Daily cross-sectional rank scores over estimation + event days (leading samples axis optional).

    Attributes
    ----------
    dbar
        (..., T) Corrado's mean deviation of ranks from the mean rank, Dbar_t.
    zu
        (..., T) Campbell-Wasley Z_t = sum_i U_it / sqrt(N_t).
    zg
        (..., T) Corrado-Zivney sign scores sum_i G_it / sqrt(N_t).
    s_k, s_u, s_g
        (...) their SDs sqrt(sum_t x_t^2 / T).
    n_t
        (..., T) events present on each day.
    l1
        estimation days (the event window starts at column ``l1``).
    """

    dbar: np.ndarray
    zu: np.ndarray
    zg: np.ndarray
    s_k: np.ndarray
    s_u: np.ndarray
    s_g: np.ndarray
    n_t: np.ndarray
    l1: int


def _cross_sum(x: np.ndarray, estudy2: bool, complete: bool) -> np.ndarray:
    """Sum over events (axis -2) of each day; estudy2: nanmean * N (its quirk); nan where no event."""
    if complete:  # every event present every day: both conventions are the plain sum
        return x.sum(axis=-2)
    cnt = np.isfinite(x).sum(axis=-2)
    tot = np.nansum(x, axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        if estudy2:
            return np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan) * x.shape[-2]
        return np.where(cnt > 0, tot, np.nan)


RANK_SCORES: tuple[str, ...] = ("corrado", "modified", "zivney")


def rank_scores(est: np.ndarray, ar: np.ndarray, estudy2: bool = False, which: Sequence[str] = RANK_SCORES) -> RankScores:
    """Ranks, standardised ranks and median signs of each event over its estimation + event days.

    Parameters
    ----------
    est
        (..., N, L1) estimation residuals; ar : (..., N, L2) abnormal returns (nan = missing).
    estudy2
        reproduce the R package estudy2's aggregation (see ``TestBattery``).
    which
        scores to compute, of ``"corrado"`` (dbar, s_k), ``"modified"`` (zu, s_u) and
        ``"zivney"`` (zg, s_g); the others are left empty (size 0).
    """
    comb = np.concatenate([est, ar], axis=-1)
    k, srt, m_i = rank_rows(comb)
    present = np.isfinite(comb)
    complete = bool(present.all())
    n_t = present.sum(axis=-2).astype(float)
    days = n_t > 0
    t_days = np.mean(m_i, axis=-1) if estudy2 else days.sum(axis=-1).astype(float)
    empty = np.empty(0)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for name in which:
            if name == "corrado":
                daily = _cross_sum(k - (m_i[..., None] + 1.0) / 2.0, estudy2, complete) / n_t
            elif name == "modified":
                daily = _cross_sum(k / (m_i[..., None] + 1.0) - 0.5, estudy2, complete) / np.sqrt(n_t)
            else:
                g = np.sign(comb - row_median(srt, m_i)[..., None])
                daily = _cross_sum(g, estudy2, complete) / np.sqrt(n_t)
            out[name] = (daily, np.sqrt(np.sum(np.where(days, daily, 0.0) ** 2, axis=-1) / t_days))
    get = {name: out.get(name, (empty, empty)) for name in RANK_SCORES}
    return RankScores(get["corrado"][0], get["modified"][0], get["zivney"][0], get["corrado"][1], get["modified"][1],
                      get["zivney"][1], n_t, int(est.shape[-1]))


def _rank_family(per_day: np.ndarray, scale: np.ndarray | float, n: np.ndarray | int) -> Statistic:
    """sum over the window of the daily scores / (sqrt(L) scale), N(0,1)."""
    length = per_day.shape[-1]
    s = np.asarray(scale, dtype=float)
    full = np.all(np.isfinite(per_day), axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(full & (s > 0), per_day.sum(axis=-1) / (np.sqrt(length) * s), np.nan)
    note = scalar_note((~(s > 0), "no ranks (no data or constant returns)"), (~full, "a day of the window has no event"))
    return Statistic(z, NORMAL, np.asarray(n), "N(0,1)", note)


def corrado_rank(dbar: np.ndarray, s_k: np.ndarray | float, n: np.ndarray | int) -> Statistic:
    r"""Corrado (1989) rank test, Cowan (1992) multi-day form: sum_window Dbar_t / (sqrt(L) S_K), N(0,1).

    ``dbar`` is (..., L), the window's columns of :attr:`RankScores.dbar`.

    Notes
    -----
    :math:`K_{it}` ranks event :math:`i`'s abnormal returns over its :math:`M'_i`
    valid estimation and event days (average ranks for ties);
    :math:`D_{it} = K_{it} - (M'_i + 1)/2` and :math:`\bar D_t` is its mean over the
    :math:`N_t` events present on day :math:`t`.  Over the :math:`T` estimation and
    event days and an :math:`L`-day window :math:`W`,

    .. math::

        S_K = \sqrt{\frac{1}{T} \sum_{t} \bar D_t^2}, \qquad
        Z_{rank} = \frac{\sum_{t \in W} \bar D_t}{\sqrt{L}\, S_K} \sim N(0, 1).

    References
    ----------
    .. [1] Corrado, C. J. (1989). A nonparametric test for abnormal security-price
       performance in event studies. Journal of Financial Economics 23, 385-395.
    .. [2] Cowan, A. R. (1992). Nonparametric event study tests. Review of
       Quantitative Finance and Accounting 2, 343-358.

    Examples
    --------
    >>> import numpy as np
    >>> s = corrado_rank(np.array([40.0, 12.0]), s_k=30.0, n=20)
    >>> round(float(s.stat), 3)
    1.226
    """
    return _rank_family(dbar, s_k, n)


def modified_rank(zu: np.ndarray, s_u: np.ndarray | float, n: np.ndarray | int) -> Statistic:
    """Campbell and Wasley (1993) standardised-rank test: sum_window Z_t / (sqrt(L) S_U), N(0,1)."""
    return _rank_family(zu, s_u, n)


def corrado_zivney(zg: np.ndarray, s_g: np.ndarray | float, n: np.ndarray | int) -> Statistic:
    """Corrado and Zivney (1992) sign test on AR - median: sum_window Z_t / (sqrt(L) S_G), N(0,1)."""
    return _rank_family(zg, s_g, n)


@dataclass(frozen=True)
class GeneralizedRankInputs:
    """Standardised estimation residuals GSAR_it = e_it / s_i, their within-event ranks and T_i = M_i + 1."""

    gsar: np.ndarray  # (..., N, L1), nan where missing
    rank: np.ndarray  # (..., N, L1), rank of GSAR_it among the event's valid estimation days
    t_i: np.ndarray  # (..., N)

    @cached_property
    def rank0(self) -> np.ndarray:
        """The ranks with 0 where GSAR is missing (computed once, reused by every window)."""
        return np.where(np.isfinite(self.gsar), self.rank, 0.0)

    @cached_property
    def present(self) -> np.ndarray:
        """(..., N, L1) GSAR present."""
        return np.isfinite(self.gsar)


def generalized_rank_inputs(est: np.ndarray, sigma2: np.ndarray) -> GeneralizedRankInputs:
    """Precompute :class:`GeneralizedRankInputs` from (..., N, L1) residuals and (..., N) variances."""
    with np.errstate(invalid="ignore", divide="ignore"):
        gsar = est / np.sqrt(sigma2)[..., None]
    gsar = np.where(np.isfinite(gsar), gsar, np.nan)
    rank, _, cnt = rank_rows(gsar)
    return GeneralizedRankInputs(gsar, rank, cnt + 1.0)


def _weighted(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    """sum_i w_i x_it over the events axis: (..., N) weights, (..., N, T) values (bool or float) -> (..., T).

    ``einsum`` reads a boolean ``x`` directly (no float copy of the indicators).
    """
    return np.einsum("...i,...it->...t", w, x)


def generalized_rank(scar: np.ndarray, gr: GeneralizedRankInputs) -> Statistic:
    r"""Kolari and Pynnönen (2011) generalised rank t over a CAR window, t(T - 2).

    Notes
    -----
    :math:`SCAR^*_i = SCAR_i / s_{SCAR}` is the collapsed event observation of
    event :math:`i` (nan: the event is left out); the standardised estimation
    residuals are :math:`GSAR_{it} = e_{it} / s_i`.  With :math:`T_i = M_i + 1`
    observations per event (estimation days and the collapsed window),

    .. math::

        U_{it} = \frac{\operatorname{rank}_i(GSAR_{it})}{T_i + 1} - \frac12, \qquad
        S_{\bar U} = \sqrt{\frac{1}{T} \sum_{t} \frac{N_t}{N} \bar U_t^2}, \qquad
        Z = \frac{\bar U_0}{S_{\bar U}}, \qquad
        t_{grank} = Z \sqrt{\frac{T - 2}{T - 1 - Z^2}} \sim t(T - 2),

    where :math:`\bar U_t` averages over the :math:`N_t` events present on day
    :math:`t`, :math:`t = 0` is the collapsed window, and :math:`T` counts the
    estimation days with an event plus one.  The event observation moves each
    estimation rank up by :math:`[GSAR_{it} > SCAR^*_i]` (+1/2 for a tie).

    References
    ----------
    .. [1] Kolari, J. W. and Pynnönen, S. (2011). Nonparametric rank tests for
       event studies. Journal of Empirical Finance 18, 953-971.
    """
    n, _, sd = moments(scar)
    ok = np.isfinite(scar)
    with np.errstate(invalid="ignore", divide="ignore"):
        x = scar / sd[..., None]
        w = np.where(ok, 1.0 / (gr.t_i + 1.0), 0.0)  # weight 0 drops an event
        present = gr.present
        # sums over events as (weights) x (events, days) products; [GSAR_it > SCAR*_i] and the
        # (rare) ties are the only terms that depend on the window
        gt = gr.gsar > x[..., None]  # nan compares False
        u_sum = _weighted(w, gr.rank0) + _weighted(w, gt)
        n_gt = gt.sum(axis=-1)
        del gt
        eq = gr.gsar == x[..., None]
        n_eq = eq.sum(axis=-1)
        if n_eq.any():
            u_sum = u_sum + 0.5 * _weighted(w, eq)
        del eq
        n_t = _weighted(ok.astype(float), present)
        u_sum = u_sum - 0.5 * n_t
        below = (gr.t_i - 1.0) - n_gt - 0.5 * n_eq
        u_evt = np.where(ok, (below + 1.0) * w - 0.5, 0.0)
        ubar0 = u_evt.sum(axis=-1) / n
        days = n_t > 0
        ubar = np.where(days, u_sum / np.where(days, n_t, 1), 0.0)
        big_t = days.sum(axis=-1) + 1.0
        s_u = np.sqrt((np.sum((n_t / n[..., None]) * ubar**2, axis=-1) + ubar0**2) / big_t)
        z = ubar0 / s_u
        denom = big_t - 1 - z**2
        good = (n >= 2) & (sd > 0) & (s_u > 0) & (big_t >= 3) & (denom > 0)
        t = np.where(good, z * np.sqrt((big_t - 2) / np.where(denom > 0, denom, np.nan)), np.nan)
    note = scalar_note(
        (n < 2, f"needs at least 2 standardised CARs, has {n}"),
        (sd == 0, "cross-sectional SD of SCAR is zero"),
        (~((s_u > 0) & (big_t >= 3)), "degenerate rank variance"),
        (~(denom > 0), "Z^2 >= T - 1: transformation to t undefined"),
    )
    return Statistic(t, t_dist(big_t - 2), n, "t", note)


__all__ = [
    "GeneralizedRankInputs",
    "RankScores",
    "corrado_rank",
    "corrado_zivney",
    "generalized_rank",
    "generalized_rank_inputs",
    "modified_rank",
    "rank_rows",
    "rank_scores",
    "row_median",
]
