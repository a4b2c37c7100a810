"""The across-event test battery: is the average abnormal return zero?

:class:`TestBattery` takes the :class:`~research_lib.engine.panel.AbnormalReturns` of
N events, precomputes what every test needs once (ranks over the combined
estimation + event window, the estimation-window AAR series, the
Kolari-Pynnönen mean cross-correlation, the fraction of positive estimation
residuals, ...) and then evaluates any subset of the tests for a CAR window
``[start, stop]`` (``window``) or for every event day (``daily``).  Every
statistic is vectorised across events; p-values are two-sided.

Tests (names are the keys of the returned dicts)
------------------------------------------------
``t_cross_sectional``   cross-sectional t on CAR_i, t(N-1)
``crude_dependence``    Brown and Warner (1980, 1985) crude dependence adjustment, t(M-1)
``patell``              Patell (1976) standardised residual Z, N(0,1)
``bmp``                 Boehmer, Musumeci and Poulsen (1991) standardised cross-sectional t, t(N-1)
``patell_kp``, ``bmp_kp``  the same adjusted for cross-correlation (Kolari and Pynnönen 2010)
``corrado_rank``        Corrado (1989) rank test, Cowan (1992) multi-day form, N(0,1)
``generalized_rank``    Kolari and Pynnönen (2011) generalised rank t, t(T-2)
``sign``                sign test on CAR_i, N(0,1)
``generalized_sign``    Cowan (1992) generalised sign test, N(0,1)
``wilcoxon``            Wilcoxon signed-rank test on CAR_i (exact for small N)
``skewness_corrected``  Hall (1992) skewness-corrected t, t(N-1)

Extra tests (``EXTRA_TEST_NAMES``; as in the R package estudy2 and CLM):
``clm_j1``, ``clm_j2`` (Campbell, Lo and MacKinlay 1997), ``brown_warner_1980``,
``lamb`` (Lamb 1995 as estudy2 computes it), ``corrado_zivney`` (Corrado and
Zivney 1992 sign test) and ``modified_rank`` (Campbell and Wasley 1993).

Missing data: an event enters a window test only if all its ARs in the
window are present (its CAR is defined); rank and sign tests of the
Corrado family work day by day with the N_t events present that day.

Small samples: tests that need a cross-sectional standard deviation
(t, BMP, skewness-corrected, generalised rank) return ``nan`` with a
``note`` when fewer than two (three for the skewness correction) events are
valid or the cross-sectional SD is zero; they never raise, so a
single-event study still gets a battery (of mostly ``nan``).
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from research_lib.engine.panel import AbnormalReturns
from research_lib.errors import InvalidRequestError

log = logging.getLogger(__name__)

TEST_NAMES: tuple[str, ...] = (
    "t_cross_sectional",
    "crude_dependence",
    "patell",
    "bmp",
    "patell_kp",
    "bmp_kp",
    "corrado_rank",
    "generalized_rank",
    "sign",
    "generalized_sign",
    "wilcoxon",
    "skewness_corrected",
)
EXTRA_TEST_NAMES: tuple[str, ...] = (
    "clm_j1",
    "clm_j2",
    "brown_warner_1980",
    "lamb",
    "corrado_zivney",
    "modified_rank",
)
ALL_TEST_NAMES: tuple[str, ...] = TEST_NAMES + EXTRA_TEST_NAMES

#: minimum number of common estimation days for a pair of events to enter the
#: Kolari-Pynnönen mean correlation.
MIN_OVERLAP = 30

_NULLS: dict[str, str] = {
    "t_cross_sectional": "the mean CAR is zero (independent events, cross-sectional variance)",
    "crude_dependence": "the CAAR is zero (variance from the estimation-window AAR series)",
    "patell": "the mean standardised CAR is zero (independent events, no event-induced variance)",
    "bmp": "the mean standardised CAR is zero (cross-sectional variance of SCAR)",
    "patell_kp": "the mean standardised CAR is zero (Patell Z adjusted for cross-correlation)",
    "bmp_kp": "the mean standardised CAR is zero (BMP t adjusted for cross-correlation)",
    "corrado_rank": "event-window ranks of ARs are no different from estimation-window ranks",
    "generalized_rank": "the rank of the standardised CAR equals the mean estimation-window rank",
    "sign": "positive and negative CARs are equally likely (p = 0.5)",
    "generalized_sign": "the fraction of positive CARs equals the estimation-window fraction",
    "wilcoxon": "CARs are symmetric around zero (median zero)",
    "skewness_corrected": "the mean CAR is zero (t corrected for skewness)",
    "clm_j1": "the CAAR is zero (variance = sum of Var(CAR_i) / N^2)",
    "clm_j2": "the mean standardised CAR is zero (CLM J2)",
    "brown_warner_1980": "the CAAR is zero (variance = sum of s_i^2 / N^2)",
    "lamb": "the CAAR is zero (AAR-series SD with a forecast-error correction)",
    "corrado_zivney": "ARs are as likely above their median in the event window as in the estimation window",
    "modified_rank": "event-window standardised ranks have mean 1/2 (Campbell-Wasley)",
}


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class TestResult:
    """One test statistic with its two-sided p-value.

    Attributes
    ----------
    name : test name (one of ``ALL_TEST_NAMES``).
    stat : the statistic (``nan`` if it cannot be computed; see ``note``).
    pvalue : two-sided p-value under ``distribution``.
    null : the null hypothesis in words.
    distribution : reference distribution, e.g. ``"t(239)"``, ``"N(0,1)"``, ``"exact"``.
    df : degrees of freedom of a t distribution, else ``None``.
    n : number of events that entered the statistic.
    note : why the statistic is ``nan`` or how it was computed, if notable.
    """

    __test__ = False  # not a pytest test class

    name: str
    stat: float
    pvalue: float
    null: str
    distribution: str
    df: float | None = None
    n: int = 0
    note: str = ""

    def __str__(self) -> str:
        text = f"{self.name}: stat = {self.stat:.4f}, p = {self.pvalue:.4f} [{self.distribution}, N = {self.n}]; H0: {self.null}"
        return text + (f" ({self.note})" if self.note else "")


def _t_result(name: str, stat: float, df: float, n: int, note: str = "") -> TestResult:
    if not np.isfinite(stat) or not np.isfinite(df) or df <= 0:
        return TestResult(name, float("nan"), float("nan"), _NULLS[name], "t", None, n, note or "not computable")
    p = float(2.0 * stats.t.sf(abs(stat), df))
    dist = f"t({df:g})"
    return TestResult(name, float(stat), p, _NULLS[name], dist, float(df), n, note)


def _z_result(name: str, stat: float, n: int, note: str = "") -> TestResult:
    if not np.isfinite(stat):
        return TestResult(name, float("nan"), float("nan"), _NULLS[name], "N(0,1)", None, n, note or "not computable")
    return TestResult(name, float(stat), float(2.0 * stats.norm.sf(abs(stat))), _NULLS[name], "N(0,1)", None, n, note)


def _nan_result(name: str, note: str, n: int = 0, distribution: str = "") -> TestResult:
    return TestResult(name, float("nan"), float("nan"), _NULLS[name], distribution, None, n, note)


# --------------------------------------------------------------------------- helpers
def _finite(x: np.ndarray) -> np.ndarray:
    """Copy of ``x`` as float with inf replaced by nan."""
    out = np.array(x, dtype=float, copy=True)
    out[~np.isfinite(out)] = np.nan
    return out


def _nanmean_rows(x: np.ndarray) -> np.ndarray:
    """Mean over axis 0 ignoring nan; nan (no warning) where a column is empty."""
    cnt = np.sum(np.isfinite(x), axis=0)
    tot = np.nansum(x, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)


def _sd(x: np.ndarray) -> float:
    """Sample standard deviation (ddof 1) of a 1-d array without nan."""
    return float(np.std(x, ddof=1)) if x.size >= 2 else float("nan")


def mean_cross_correlation(
    est_resid: np.ndarray,
    est_dates: np.ndarray,
    min_overlap: int = MIN_OVERLAP,
    max_block_elements: int = 4_000_000,
    max_grid_elements: int = 30_000_000,
    disjoint_as_zero: bool = True,
    evt_dates: np.ndarray | None = None,
) -> tuple[float, int]:
    """Average pairwise correlation of estimation residuals aligned on calendar dates.

    Parameters
    ----------
    est_resid : (N, L1) estimation residuals, nan where missing.
    est_dates : (N, L1) datetime64 calendar dates of those residuals.
    min_overlap : a pair enters the average only if both events have a
        residual on at least this many common dates (default 30).
    max_block_elements : size of one block of pairwise products (memory bound).
    max_grid_elements : largest (dates x events) grid held in memory at once
        (float32); above it each block scatters its own slice of the grid.
    disjoint_as_zero : if True (default) r is the mean over all N(N-1)/2 pairs,
        a pair with fewer than ``min_overlap`` common dates counting as 0; if
        False, the mean over the qualifying pairs only.
    evt_dates : (N, L2) event-window dates.  When given, a pair also needs
        event windows that share calendar time: two events whose event windows
        lie apart cannot have correlated abnormal returns, whatever their
        estimation residuals share (the same stock studied a few months apart
        has estimation windows with nearly identical residuals but independent
        event windows).  :class:`TestBattery` passes them.

    Returns
    -------
    r : the mean correlation; 0.0 if no pair qualifies.
    n_pairs : number of pairs that qualify (at least ``min_overlap`` common dates and,
        given ``evt_dates``, event windows that meet).

    Notes
    -----
    Each event's residuals are standardised on its own valid days,
    z_it = (e_it - mean_i) / sd_i (ddof 0), and mapped onto the union grid
    of calendar dates (missing = 0).  For a pair (i, j) with n_ij common
    dates the correlation is approximated by
    rho_ij = sum_common z_it z_jt / n_ij, exact when both series are observed
    on the same days; with partial overlap it uses each series' own mean and
    SD instead of those of the common sample (an approximation that avoids a
    per-pair pass over the data).  Events are sorted by their first date and
    processed in column blocks: for a block only the later events whose
    date range can overlap by ``min_overlap`` days are multiplied, so no N x N
    matrix is ever held in memory and events far apart in time cost nothing.
    If all events share one complete set of dates the average is obtained in
    O(N L1) from ||sum_i z_i||^2.

    Why pairs without common dates count as zero: the adjustment
    1 + (N - 1) r of Kolari and Pynnönen is N^-1 Var(sum_i SCAR_i), which needs
    the mean correlation over *all* pairs.  Events whose estimation windows
    share (almost) no calendar days are far apart in time, so their event
    windows do not overlap either and their ARs are not correlated through
    common shocks.  Averaging only over the overlapping pairs would apply the
    correlation of a few neighbours to every pair: with events spread over
    time, its sampling noise (often negative) multiplied by N - 1 makes the
    adjusted tests over-reject.  With all events on one date both definitions
    coincide.  Pairs with fewer than ``min_overlap`` (default 30) common days
    are treated as having no reliable correlation estimate.  The same argument
    is why, given ``evt_dates``, only pairs whose event windows overlap in
    calendar time count: for them the estimation-residual correlation is the
    estimate of the correlation of their abnormal returns, for the others it
    is zero.  With every event on one date this is Kolari and Pynnönen's r.

    References
    ----------
    Kolari, J. W. and Pynnönen, S. (2010). Event study testing with
    cross-sectional correlation of abnormal returns. Review of Financial
    Studies 23(11), 3996-4025.
    """
    e = np.asarray(est_resid, dtype=float)
    if e.ndim != 2 or e.shape[0] < 2:
        return 0.0, 0
    all_pairs = e.shape[0] * (e.shape[0] - 1) // 2
    d = np.asarray(est_dates).astype("datetime64[ns]")
    if d.shape != e.shape:
        raise InvalidRequestError(
            f"estimation dates have shape {d.shape} but residuals {e.shape}; pass the panel's est_dates"
        )
    valid = np.isfinite(e) & ~np.isnat(d)
    n_i = valid.sum(axis=1)
    z = np.where(valid, e, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        z -= (z.sum(axis=1) / np.maximum(n_i, 1))[:, None]
        z[~valid] = 0.0
        sd = np.sqrt(np.einsum("ij,ij->i", z, z) / np.maximum(n_i, 1))
    keep = (n_i >= min_overlap) & (sd > 0) & np.isfinite(sd)
    if keep.sum() < 2:
        return 0.0, 0
    if evt_dates is not None:
        ev = np.asarray(evt_dates).astype("datetime64[ns]")
        ev_first = np.where(np.isnat(ev), np.datetime64("2262-01-01", "ns"), ev).min(axis=1).view("int64")
        ev_last = np.where(np.isnat(ev), np.datetime64("1678-01-01", "ns"), ev).max(axis=1).view("int64")
    else:  # every pair's event windows treated as overlapping
        ev_first = np.zeros(e.shape[0], dtype=np.int64)
        ev_last = np.ones(e.shape[0], dtype=np.int64)
    if not keep.all():
        z, valid, d = z[keep], valid[keep], d[keep]
        ev_first, ev_last = ev_first[keep], ev_last[keep]
    z /= sd[keep, None]
    n = z.shape[0]
    # calendar grid: every date on which some event has a residual
    days = (d.view("int64") // 86_400_000_000_000).astype(np.int32)
    first = int(days[valid].min())
    span = int(days[valid].max()) - first + 1
    on_grid = np.zeros(span, dtype=bool)
    on_grid[days[valid] - first] = True
    lookup = (np.cumsum(on_grid) - 1).astype(np.int32)
    pos = lookup[np.clip(days - first, 0, span - 1)]
    del days
    pos[~valid] = -1
    n_grid = int(on_grid.sum())

    # fast path: every event observed on exactly the same dates, all event windows overlapping
    if np.all(valid) and np.all(pos == pos[0]) and ev_first.max() <= ev_last.min():
        tot = z.sum(axis=0)
        cross = float(tot @ tot - np.sum(z * z))  # sum over ordered pairs i != j
        total, count = cross / (2 * z.shape[1]), n * (n - 1) // 2
        return total / (all_pairs if disjoint_as_zero else count), count
    z = z.astype(np.float32)  # products in single precision (BLAS), sums in double

    start = np.where(valid, pos, n_grid).min(axis=1)
    end = pos.max(axis=1)
    # sort by event-window start when only pairs whose event windows meet count (a narrow band of
    # partners), otherwise by estimation start (partners: estimation windows that overlap)
    use_evt = evt_dates is not None
    order = np.lexsort((start, ev_first)) if use_evt else np.argsort(start, kind="stable")
    z, valid, pos, start, end = z[order], valid[order], pos[order], start[order], end[order]
    ev_first, ev_last = ev_first[order], ev_last[order]
    # without holes (a residual on every grid date of its span) the common
    # dates of two events are the overlap of their spans: no mask product needed
    no_holes = bool(np.all(end - start + 1 == valid.sum(axis=1)))
    dense = n_grid * n <= max_grid_elements
    if dense:  # the whole (dates x events) grid fits in memory: slice it
        zg = np.zeros((n_grid, n), dtype=np.float32)
        rows, cols = np.nonzero(valid)
        zg[pos[rows, cols], rows] = z[rows, cols]
        mg = None if no_holes else _scatter_mask(valid, pos, n_grid).astype(np.float32)

    def columns(a: int, b: int, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray | None]:
        """(dates lo..hi) x (events a..b-1) blocks of z and (if needed) of the validity mask."""
        if dense:
            mm = None if mg is None else mg[lo : hi + 1, a:b]
            return zg[lo : hi + 1, a:b], mm
        zz = np.zeros((hi - lo + 1, b - a), dtype=np.float32)
        sub = valid[a:b] & (pos[a:b] >= lo) & (pos[a:b] <= hi)
        rr, cc = np.nonzero(sub)
        zz[pos[a:b][rr, cc] - lo, rr] = z[a:b][rr, cc]
        if no_holes:
            return zz, None
        mm = np.zeros_like(zz)
        mm[pos[a:b][rr, cc] - lo, rr] = 1.0
        return zz, mm

    total, count = 0.0, 0
    # block width from the widest band of later events a block must be multiplied with
    if use_evt:
        band = np.searchsorted(ev_first, ev_last, side="right") - np.arange(n)
    else:
        band = np.searchsorted(start, end - min_overlap + 1, side="right") - np.arange(n)
    wide = float(band.max())  # block x (block + wide) products must stay under max_block_elements
    block = int(max(16, min(4096, (-wide + math.sqrt(wide * wide + 4.0 * max_block_elements)) / 2.0)))
    if use_evt:
        # a block's products cover every pair inside it, but only pairs whose event windows meet
        # count: keep blocks about as wide as the typical band of partners
        block = int(min(block, max(64, 2 * np.median(band))))
    for a in range(0, n, block):
        b = min(n, a + block)
        lo, hi = int(start[a:b].min()), int(end[a:b].max())
        if use_evt:  # later events whose event window starts before the block's last one ends
            c_end = int(np.searchsorted(ev_first, ev_last[a:b].max(), side="right"))
        else:  # later events whose first date leaves room for min_overlap common dates
            c_end = int(np.searchsorted(start, hi - min_overlap + 1, side="right"))
        if c_end <= a + 1:
            continue
        zb, mb = columns(a, b, lo, hi)
        zc, mc = columns(a, c_end, lo, hi)
        prod = (zb.T @ zc).astype(np.float64)
        if no_holes:
            cnt = np.minimum(end[a:b, None], end[None, a:c_end]) - np.maximum(start[a:b, None], start[None, a:c_end]) + 1
        else:
            assert mb is not None and mc is not None  # columns() returns the masks whenever there are holes
            cnt = mb.T @ mc
        upper = np.arange(a, c_end)[None, :] > np.arange(a, b)[:, None]
        meet = (ev_first[a:b, None] <= ev_last[None, a:c_end]) & (ev_first[None, a:c_end] <= ev_last[a:b, None])
        ok = upper & (cnt >= min_overlap) & meet
        if ok.any():
            total += float(np.sum(prod[ok] / cnt[ok]))
            count += int(ok.sum())
    if count == 0:
        return 0.0, 0
    return total / (all_pairs if disjoint_as_zero else count), count


def _scatter_mask(valid: np.ndarray, pos: np.ndarray, n_grid: int) -> np.ndarray:
    """(dates x events) boolean grid of the valid residuals."""
    out = np.zeros((n_grid, valid.shape[0]), dtype=bool)
    rows, cols = np.nonzero(valid)
    out[pos[rows, cols], rows] = True
    return out


def _rank_rows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ranks within each row (average ranks for ties, nan kept), sorted rows, valid counts.

    Same result as ``scipy.stats.rankdata(x, axis=1, nan_policy="omit")``;
    one argsort per row, scipy only for the rows that contain ties.
    """
    n, m = x.shape
    order = np.argsort(x, axis=1, kind="stable")  # nan sort last
    srt = np.take_along_axis(x, order, axis=1)
    ranks = np.empty((n, m))
    np.put_along_axis(ranks, order, np.arange(1.0, m + 1.0)[None, :], axis=1)
    counts = np.sum(np.isfinite(x), axis=1)
    ranks[~np.isfinite(x)] = np.nan
    tied = np.flatnonzero(np.any(np.diff(srt, axis=1) == 0, axis=1))
    if tied.size:
        ranks[tied] = stats.rankdata(x[tied], axis=1, nan_policy="omit")
    return ranks, srt, counts.astype(float)


def _row_median(srt: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Median of each row of an ascending-sorted array whose first ``counts`` entries are valid."""
    c = counts.astype(int)
    lo = np.clip((c - 1) // 2, 0, max(srt.shape[1] - 1, 0))
    hi = np.clip(c // 2, 0, max(srt.shape[1] - 1, 0))
    rows = np.arange(srt.shape[0])
    med = 0.5 * (srt[rows, lo] + srt[rows, hi]) if srt.shape[1] else np.full(srt.shape[0], np.nan)
    return np.where(c > 0, med, np.nan)


@dataclass(frozen=True)
class _Win:
    """What one CAR window gives the tests."""

    start: int
    stop: int
    days: np.ndarray  # (L,) column indices into the event window
    car: np.ndarray  # (n,) CARs of the valid events
    car_var: np.ndarray  # (n,) their variances
    scar: np.ndarray  # (n,) standardised CARs (nan where Var(CAR) <= 0)
    csar: np.ndarray  # (n,) sum of SARs over the window
    rows: np.ndarray  # (n,) indices of the valid events

    @property
    def n(self) -> int:
        return int(self.car.size)

    @property
    def length(self) -> int:
        return int(self.days.size)


# --------------------------------------------------------------------------- battery
class TestBattery:
    """All across-event tests of one set of abnormal returns.

    Parameters
    ----------
    ab : abnormal returns of N events (any normal-return model).
    min_overlap : minimum common estimation days for a pair of events to enter
        the Kolari-Pynnönen mean cross-correlation (default 30).

    Attributes
    ----------
    mean_cross_correlation : the Kolari-Pynnönen r used by ``patell_kp`` and ``bmp_kp``.
    n_correlation_pairs : number of event pairs it averages.

    Notes
    -----
    Notation: AR_it abnormal returns, S_it^2 their prediction-error variances,
    SAR_it = AR_it / S_it, CAR_i over the window of L days with variance
    Var(CAR_i) (``ab.car``), SCAR_i = CAR_i / sqrt(Var(CAR_i)), M_i valid
    estimation returns, k estimated parameters, v_i = (M_i - k)/(M_i - k - 2).

    - t_cross_sectional: t = CAAR / (s_CAR / sqrt(N)), t(N-1).
    - crude_dependence: AAR_tau = mean over events of the estimation residuals
      at estimation day tau (event time); s_AAR their SD (ddof 1) over the M
      estimation days; t = CAAR / (sqrt(L) s_AAR), t(M-1).
    - patell: z = sum_i CSAR_i / sqrt(L sum_i v_i), CSAR_i = sum_window SAR_it.
      For L = 1 this is Patell's day statistic sum SAR / sqrt(sum v_i); with
      equal M_i it equals (1/sqrt(N)) sum_i CSAR_i / sqrt(L v_i).
    - bmp: t = sqrt(N) mean(SCAR) / sd(SCAR) (SAR for L = 1), t(N-1).
    - patell_kp: z sqrt(1 / (1 + (N-1) r)); bmp_kp: t sqrt((1 - r) / (1 + (N-1) r)),
      r the mean pairwise correlation of the estimation residuals on common
      calendar dates over all N(N-1)/2 pairs, pairs with fewer than
      ``min_overlap`` common dates counting as 0 (see :func:`mean_cross_correlation`).
    - corrado_rank: K_it ranks of the ARs of event i over its estimation +
      event days (average ranks for ties, M'_i valid days), D_it = K_it - (M'_i + 1)/2,
      Dbar_t = mean of D_it over the N_t events present, S_K = sqrt(sum_t Dbar_t^2 / T)
      over all estimation + event days; window: sum_window Dbar_t / (sqrt(L) S_K).
      Missing days are handled by each event's own mean rank (M'_i + 1)/2 and
      by averaging over the events present (estudy2's ``rank_test``).
    - modified_rank (Campbell-Wasley): U_it = K_it/(M'_i + 1) - 1/2,
      Z_t = sum_i U_it / sqrt(N_t), S_U = sqrt(sum_t Z_t^2 / T); window:
      sum_window Z_t / (sqrt(L) S_U).
    - corrado_zivney: as modified_rank with G_it = sign(AR_it - median_i AR).
    - generalized_rank: SCAR*_i = SCAR_i / sd(SCAR); GSAR_it = e_it / s_i on
      estimation days and SCAR*_i for the collapsed window; U_it =
      rank_i(GSAR_it) / (T_i + 1) - 1/2 (T_i = M_i + 1), Ubar_t over the N_t
      events present, S_U = sqrt(sum_t (N_t/N) Ubar_t^2 / T) with T = L1 + 1,
      Z = Ubar_0 / S_U, t = Z sqrt((T-2)/(T-1-Z^2)), t(T-2).
    - sign: w positive CARs, z = (w - N/2) / sqrt(N/4).
    - generalized_sign: p_hat = mean_i (fraction of positive e_it of event i);
      z = (w - N p_hat) / sqrt(N p_hat (1 - p_hat)).
    - wilcoxon: W+ (sum of ranks of |CAR_i| of positive CARs, zeros dropped);
      p from ``scipy.stats.wilcoxon`` (exact if N <= 50 without ties/zeros).
    - skewness_corrected: S = CAAR/s_CAR, g = N/((N-1)(N-2)) sum (CAR_i-CAAR)^3/s_CAR^3,
      t = sqrt(N)(S + g S^2/3 + g^2 S^3/27 + g/(6N)), t(N-1).
    - clm_j1: CAAR / sqrt(sum_i Var(CAR_i) / N^2), N(0,1).
    - clm_j2: sum_i SCAR_i / sqrt(sum_i v_i), i.e. sqrt(N (L1-4)/(L1-2)) mean SCAR
      when every M_i = L1 and k = 2; N(0,1).
    - brown_warner_1980: CAAR / (sqrt(L) sqrt(sum_i s_i^2) / N), t(mean(M) - 1).
    - lamb: as estudy2 (Lamb 1995): AAR_t / (s_AAR sqrt(c_t)) with c_t =
      mean_i S_it^2 / s_i^2 the forecast-error factor of day t (for the market
      model 1 + 1/M_i + (R_mt - mean R_m)^2 / sum (R_m - mean R_m)^2);
      window: sum of the daily statistics / sqrt(L) (estudy2's ``car_lamb``); N(0,1).
      estudy2 uses 1/mean(M) where this uses mean(1/M): a relative difference
      of order 1e-6 when the M_i differ.

    Conventions (``ab.conventions.rank_aggregation``):

    - ``"textbook"``: cross-sectional sums are plain sums over the events
      present; T is the number of estimation + event days on which at least one
      event has a return; p_hat of the generalised sign test is Cowan's mean of
      per-event fractions.
    - ``"estudy2"``: reproduces the R package estudy2: a sum over events on day t
      is computed as rowMeans(x, na.rm = TRUE) * ncol(x), i.e. (N / N_t) times
      the sum over the N_t events present, which inflates days on which some
      events are missing (in corrado_rank, modified_rank, corrado_zivney); T is
      the mean over events of their number of valid estimation + event days; and
      p_hat pools all estimation days of all events.

    References
    ----------
    Boehmer, E., Musumeci, J. and Poulsen, A. B. (1991). JFE 30, 253-272.
    Brown, S. J. and Warner, J. B. (1980). JFE 8, 205-258; (1985). JFE 14, 3-31.
    Campbell, C. J. and Wasley, C. E. (1993). JFE 33, 73-92.
    Campbell, J. Y., Lo, A. W. and MacKinlay, A. C. (1997). The Econometrics of
    Financial Markets, ch. 4.
    Corrado, C. J. (1989). JFE 23, 385-395.
    Corrado, C. J. and Zivney, T. L. (1992). JFQA 27, 465-478.
    Cowan, A. R. (1992). Review of Quantitative Finance and Accounting 2, 343-358.
    Hall, P. (1992). On the removal of skewness by transformation. JRSS B 54, 221-228.
    Kolari, J. W. and Pynnönen, S. (2010). RFS 23, 3996-4025; (2011). JEF 18, 953-971.
    Lamb, R. P. (1995). Journal of Risk and Insurance 62, 111-123.
    MacKinlay, A. C. (1997). Journal of Economic Literature 35, 13-39.
    Patell, J. M. (1976). Journal of Accounting Research 14, 246-276.
    """

    __test__ = False

    def __init__(self, ab: AbnormalReturns, min_overlap: int = MIN_OVERLAP) -> None:
        self.ab = ab
        self.min_overlap = int(min_overlap)
        self._estudy2 = getattr(ab.conventions, "rank_aggregation", "textbook") == "estudy2"
        ar = _finite(ab.ar)
        if ar.ndim != 2:
            raise InvalidRequestError(f"abnormal returns must be a 2-d (events x days) array, got shape {ar.shape}; build them with a model from research_lib.models.fit")
        est = _finite(ab.est_resid)
        self._ar = ar
        self._ar_var = _finite(ab.ar_var)
        with np.errstate(invalid="ignore", divide="ignore"):
            self._sar = _finite(ar / np.sqrt(self._ar_var))
        self._est = est
        n, l2 = ar.shape
        self.n_events, self.l2, self.l1 = n, l2, est.shape[1]
        self._sigma2 = np.asarray(ab.sigma2, dtype=float)
        m = np.asarray(ab.n_est, dtype=float)
        self._m = m
        # degrees of freedom of the residual variance: M - k, and M - 1 for the market-adjusted
        # model, whose variance is taken about the mean of its ARs although it estimates nothing
        dfr = m - (ab.k if ab.k > 0 else 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            self._v = np.where(dfr > 2, dfr / (dfr - 2), np.nan)  # Var of a t(M-k) variable
        # estimation-window AAR series in event time (Brown-Warner 1985, Lamb)
        aar_est = _nanmean_rows(est)
        aar_est = aar_est[np.isfinite(aar_est)]
        self._n_aar_est = aar_est.size
        self._s_aar = _sd(aar_est)
        # forecast-error factor of each event day (Lamb)
        with np.errstate(invalid="ignore", divide="ignore"):
            self._lamb_c = _nanmean_rows(_finite(self._ar_var / self._sigma2[:, None]))
        if self._estudy2 and ab.conventions.forecast_error and self._lamb_c.size:
            # estudy2 puts 1/mean(M_i) into the factor where the mean of the events' own
            # factors has mean(1/M_i); the market term is common to all events under its
            # full-window market moments, so swapping the two reproduces its Lamb exactly.
            m = np.asarray(ab.n_est, dtype=float)
            m = m[m > 0]
            self._lamb_c = self._lamb_c - np.mean(1.0 / m) + 1.0 / np.mean(m)
        self._prepare_ranks()
        # generalised sign: fraction of positive estimation residuals
        valid_est = np.isfinite(est)
        pos = (est > 0) & valid_est
        if self._estudy2:
            self._p_hat = float(pos.sum() / valid_est.sum()) if valid_est.any() else float("nan")
        else:
            cnt = valid_est.sum(axis=1)
            frac = pos.sum(axis=1)[cnt > 0] / cnt[cnt > 0]
            self._p_hat = float(frac.mean()) if frac.size else float("nan")
        # generalised rank: standardised estimation residuals and their ranks within the event
        with np.errstate(invalid="ignore", divide="ignore"):
            self._gsar_est = _finite(est / np.sqrt(self._sigma2)[:, None])
        gr_rank, _, gr_cnt = _rank_rows(self._gsar_est)
        self._gr_valid = np.isfinite(self._gsar_est)
        self._gr_t = gr_cnt + 1.0  # T_i: valid estimation days + the event observation
        self._gr_w = 1.0 / (self._gr_t + 1.0)
        self._gr_rw = np.where(self._gr_valid, gr_rank, 0.0) * self._gr_w[:, None]
        self._gr_rw_sum = self._gr_rw.sum(axis=0)
        self._gr_n_t = self._gr_valid.sum(axis=0)
        # Kolari-Pynnönen mean cross-correlation of estimation residuals
        self.mean_cross_correlation, self.n_correlation_pairs = mean_cross_correlation(
            est, ab.panel.est_dates, min_overlap=self.min_overlap, evt_dates=ab.panel.evt_dates
        )

    # ------------------------------------------------------------------ precomputation
    def _cross_sum(self, x: np.ndarray) -> np.ndarray:
        """Sum over events (axis 0) of each day; estudy2: nanmean * N (its quirk)."""
        if self._estudy2:
            return _nanmean_rows(x) * x.shape[0]
        cnt = np.sum(np.isfinite(x), axis=0)
        return np.where(cnt > 0, np.nansum(x, axis=0), np.nan)

    def _prepare_ranks(self) -> None:
        """Ranks, standardised ranks and median signs over estimation + event days."""
        comb = np.concatenate([self._est, self._ar], axis=1)  # (N, L1 + L2)
        self._rank_ok = comb.shape[0] > 0
        if not self._rank_ok:
            return
        k, srt, m_i = _rank_rows(comb)
        valid = np.isfinite(comb)
        n_t = valid.sum(axis=0).astype(float)  # events present on each day
        with np.errstate(invalid="ignore"):
            d = k - (m_i[:, None] + 1.0) / 2.0
            u = k / (m_i[:, None] + 1.0) - 0.5
            g = np.sign(comb - _row_median(srt, m_i)[:, None])
        days = n_t > 0
        t_days = float(np.mean(m_i)) if self._estudy2 else float(days.sum())
        with np.errstate(invalid="ignore", divide="ignore"):
            dbar = self._cross_sum(d) / n_t  # Corrado: mean over events present
            zu = self._cross_sum(u) / np.sqrt(n_t)  # Campbell-Wasley
            zg = self._cross_sum(g) / np.sqrt(n_t)  # Corrado-Zivney
            self._s_k = float(np.sqrt(np.nansum(dbar[days] ** 2) / t_days))
            self._s_u = float(np.sqrt(np.nansum(zu[days] ** 2) / t_days))
            self._s_g = float(np.sqrt(np.nansum(zg[days] ** 2) / t_days))
        l1 = self._est.shape[1]
        self._dbar_evt, self._zu_evt, self._zg_evt = dbar[l1:], zu[l1:], zg[l1:]
        self._n_t_evt = n_t[l1:]

    # ------------------------------------------------------------------ windows
    def _window(self, start: int, stop: int) -> _Win:
        ab = self.ab
        mask = ab.window_index(start, stop)
        days = np.flatnonzero(mask)
        car, var = ab.car(start, stop)
        car = np.asarray(car, dtype=float)
        var = np.asarray(var, dtype=float)
        rows = np.flatnonzero(np.isfinite(car) & np.all(np.isfinite(self._ar[:, days]), axis=1))
        car, var = car[rows], var[rows]
        with np.errstate(invalid="ignore", divide="ignore"):
            if days.size == 1:
                scar = self._sar[rows, days[0]]
            else:
                scar = _finite(car / np.sqrt(var))
            csar = self._sar[np.ix_(rows, days)].sum(axis=1)
        return _Win(int(start), int(stop), days, car, var, _finite(scar), _finite(csar), rows)

    def window(self, start: int, stop: int, tests: Sequence[str] | str | None = None) -> dict[str, TestResult]:
        """Tests of CAAR = 0 over the event-time window [start, stop] (inclusive).

        Parameters
        ----------
        start, stop : event days (tau); a single day is ``window(t, t)``.
        tests : names from ``TEST_NAMES`` / ``EXTRA_TEST_NAMES``; ``None`` for
            ``TEST_NAMES``, ``"all"`` for both.

        Returns
        -------
        dict test name -> :class:`TestResult`, in the order asked.
        """
        names = self._names(tests)
        w = self._window(start, stop)
        return {name: getattr(self, f"_test_{name}")(w) for name in names}

    def daily(self, tests: Sequence[str] | str | None = None) -> pd.DataFrame:
        """One row per event day tau: ``tau``, ``aar``, ``n`` and ``<test>_stat``, ``<test>_p``.

        ``aar`` and ``n`` use every event with an AR that day.
        """
        names = self._names(tests)
        tau = np.asarray(self.ab.panel.tau_evt, dtype=int)
        rows = []
        for j, t in enumerate(tau):
            col = self._ar[:, j]
            ok = np.isfinite(col)
            row: dict[str, float] = {"tau": int(t), "aar": float(col[ok].mean()) if ok.any() else float("nan"), "n": int(ok.sum())}
            res = self.window(int(t), int(t), names)
            for name, r in res.items():
                row[f"{name}_stat"] = r.stat
                row[f"{name}_p"] = r.pvalue
            rows.append(row)
        return pd.DataFrame(rows)

    @staticmethod
    def _names(tests: Sequence[str] | str | None) -> tuple[str, ...]:
        if tests is None:
            return TEST_NAMES
        if isinstance(tests, str):
            if tests == "all":
                return ALL_TEST_NAMES
            tests = (tests,)
        bad = [t for t in tests if t not in ALL_TEST_NAMES]
        if bad:
            raise InvalidRequestError(f"unknown test(s) {bad}; choose from {list(ALL_TEST_NAMES)} (or 'all')")
        return tuple(tests)

    # ------------------------------------------------------------------ parametric
    def _test_t_cross_sectional(self, w: _Win) -> TestResult:
        name = "t_cross_sectional"
        if w.n < 2:
            return _nan_result(name, f"needs at least 2 events with a CAR, has {w.n}", w.n, "t")
        s = _sd(w.car)
        if s == 0:
            return _nan_result(name, "cross-sectional SD of CAR is zero", w.n, "t")
        return _t_result(name, w.car.mean() / (s / np.sqrt(w.n)), w.n - 1, w.n)

    def _test_crude_dependence(self, w: _Win) -> TestResult:
        name = "crude_dependence"
        if w.n < 1 or not (self._s_aar > 0):
            return _nan_result(name, "no CAR or no estimation-window AAR variance", w.n, "t")
        stat = w.car.mean() / (np.sqrt(w.length) * self._s_aar)
        return _t_result(name, stat, self._n_aar_est - 1, w.n)

    def _patell(self, w: _Win) -> tuple[float, int, str]:
        ok = np.isfinite(w.csar) & np.isfinite(self._v[w.rows])
        note = "" if ok.all() else f"{int((~ok).sum())} event(s) without M_i - k > 2 or S_it > 0 left out"
        if not ok.any():
            return float("nan"), 0, note or "no event"
        z = w.csar[ok].sum() / np.sqrt(w.length * self._v[w.rows][ok].sum())
        return float(z), int(ok.sum()), note

    def _test_patell(self, w: _Win) -> TestResult:
        z, n, note = self._patell(w)
        return _z_result("patell", z, n, note)

    def _test_patell_kp(self, w: _Win) -> TestResult:
        z, n, note = self._patell(w)
        r = self.mean_cross_correlation
        adj = 1.0 / (1.0 + (n - 1) * r) if n else float("nan")
        if not adj > 0:
            return _nan_result("patell_kp", f"1 + (N-1) r <= 0 with r = {r:.4f}", n, "N(0,1)")
        return _z_result("patell_kp", z * np.sqrt(adj), n, note or f"r = {r:.4f}")

    def _bmp(self, w: _Win) -> tuple[float, int, str]:
        s = w.scar[np.isfinite(w.scar)]
        if s.size < 2:
            return float("nan"), s.size, f"needs at least 2 standardised CARs, has {s.size}"
        sd = _sd(s)
        if sd == 0:
            return float("nan"), s.size, "cross-sectional SD of SCAR is zero"
        return float(np.sqrt(s.size) * s.mean() / sd), s.size, ""

    def _test_bmp(self, w: _Win) -> TestResult:
        t, n, note = self._bmp(w)
        return _t_result("bmp", t, n - 1, n, note)

    def _test_bmp_kp(self, w: _Win) -> TestResult:
        t, n, note = self._bmp(w)
        r = self.mean_cross_correlation
        adj = (1.0 - r) / (1.0 + (n - 1) * r) if n else float("nan")
        if not adj > 0:
            return _nan_result("bmp_kp", f"(1 - r)/(1 + (N-1) r) <= 0 with r = {r:.4f}", n, "t")
        return _t_result("bmp_kp", t * np.sqrt(adj), n - 1, n, note or f"r = {r:.4f}")

    def _test_skewness_corrected(self, w: _Win) -> TestResult:
        name = "skewness_corrected"
        n = w.n
        if n < 3:
            return _nan_result(name, f"needs at least 3 events with a CAR, has {n}", n, "t")
        s = _sd(w.car)
        if s == 0:
            return _nan_result(name, "cross-sectional SD of CAR is zero", n, "t")
        mean = w.car.mean()
        big_s = mean / s
        g = n / ((n - 1) * (n - 2)) * np.sum((w.car - mean) ** 3) / s**3
        t = np.sqrt(n) * (big_s + g * big_s**2 / 3 + g**2 * big_s**3 / 27 + g / (6 * n))
        return _t_result(name, t, n - 1, n)

    def _test_clm_j1(self, w: _Win) -> TestResult:
        ok = w.car_var > 0
        if not ok.any():
            return _nan_result("clm_j1", "no event with Var(CAR) > 0", 0, "N(0,1)")
        return _z_result("clm_j1", w.car[ok].sum() / np.sqrt(w.car_var[ok].sum()), int(ok.sum()))

    def _test_clm_j2(self, w: _Win) -> TestResult:
        ok = np.isfinite(w.scar) & np.isfinite(self._v[w.rows])
        if not ok.any():
            return _nan_result("clm_j2", "no event with a SCAR and M_i - k > 2", 0, "N(0,1)")
        return _z_result("clm_j2", w.scar[ok].sum() / np.sqrt(self._v[w.rows][ok].sum()), int(ok.sum()))

    def _test_brown_warner_1980(self, w: _Win) -> TestResult:
        name = "brown_warner_1980"
        s2 = self._sigma2[w.rows]
        if w.n < 1 or not np.all(np.isfinite(s2)):
            return _nan_result(name, "no CAR or a missing residual variance", w.n, "t")
        sd = np.sqrt(s2.sum()) / w.n
        if not sd > 0:
            return _nan_result(name, "residual variances are zero", w.n, "t")
        stat = w.car.mean() / (np.sqrt(w.length) * sd)
        return _t_result(name, stat, float(np.mean(self._m[w.rows])) - 1, w.n)

    def _test_lamb(self, w: _Win) -> TestResult:
        name = "lamb"
        if w.n < 1 or not (self._s_aar > 0):
            return _nan_result(name, "no CAR or no estimation-window AAR variance", w.n, "N(0,1)")
        aar = self._ar[np.ix_(w.rows, w.days)].mean(axis=0)
        daily = aar / (self._s_aar * np.sqrt(self._lamb_c[w.days]))
        return _z_result(name, daily.sum() / np.sqrt(w.length), w.n)

    # ------------------------------------------------------------------ rank and sign
    def _rank_family(self, name: str, per_day: np.ndarray, scale: float, w: _Win) -> TestResult:
        n = int(np.min(self._n_t_evt[w.days])) if self._rank_ok else 0
        if not self._rank_ok or not (scale > 0):
            return _nan_result(name, "no ranks (no data or constant returns)", n, "N(0,1)")
        vals = per_day[w.days]
        if not np.all(np.isfinite(vals)):
            return _nan_result(name, "a day of the window has no event", n, "N(0,1)")
        return _z_result(name, vals.sum() / (np.sqrt(w.length) * scale), n)

    def _test_corrado_rank(self, w: _Win) -> TestResult:
        return self._rank_family("corrado_rank", getattr(self, "_dbar_evt", np.array([])), getattr(self, "_s_k", np.nan), w)

    def _test_modified_rank(self, w: _Win) -> TestResult:
        return self._rank_family("modified_rank", getattr(self, "_zu_evt", np.array([])), getattr(self, "_s_u", np.nan), w)

    def _test_corrado_zivney(self, w: _Win) -> TestResult:
        return self._rank_family("corrado_zivney", getattr(self, "_zg_evt", np.array([])), getattr(self, "_s_g", np.nan), w)

    def _test_sign(self, w: _Win) -> TestResult:
        if w.n < 1:
            return _nan_result("sign", "no event with a CAR", 0, "N(0,1)")
        pos = float(np.sum(w.car > 0))
        return _z_result("sign", (pos - 0.5 * w.n) / np.sqrt(0.25 * w.n), w.n)

    def _test_generalized_sign(self, w: _Win) -> TestResult:
        p = self._p_hat
        if w.n < 1 or not (0 < p < 1):
            return _nan_result("generalized_sign", f"no CAR or degenerate p_hat = {p}", w.n, "N(0,1)")
        pos = float(np.sum(w.car > 0))
        return _z_result("generalized_sign", (pos - w.n * p) / np.sqrt(w.n * p * (1 - p)), w.n, f"p_hat = {p:.4f}")

    def _test_wilcoxon(self, w: _Win) -> TestResult:
        name = "wilcoxon"
        x = w.car[w.car != 0]
        if x.size < 1:
            return _nan_result(name, "no non-zero CAR", 0, "exact")
        ranks = stats.rankdata(np.abs(x))
        w_plus = float(ranks[x > 0].sum())
        exact = x.size <= 50 and np.unique(np.abs(x)).size == x.size
        method = "exact" if exact else "approx"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = stats.wilcoxon(x, method=method, zero_method="wilcox", correction=False)
        dist = "exact" if exact else "N(0,1) approx."
        return TestResult(name, w_plus, float(res.pvalue), _NULLS[name], dist, None, int(x.size), "stat is W+")

    def _test_generalized_rank(self, w: _Win) -> TestResult:
        name = "generalized_rank"
        ok = np.isfinite(w.scar)
        n = int(ok.sum())
        if n < 2:
            return _nan_result(name, f"needs at least 2 standardised CARs, has {n}", n, "t")
        scar = w.scar[ok]
        sd = _sd(scar)
        if sd == 0:
            return _nan_result(name, "cross-sectional SD of SCAR is zero", n, "t")
        x = (scar / sd)[:, None]  # SCAR*_i, the collapsed event observation
        rows = w.rows[ok]
        every = rows.size == self.n_events  # rows are then 0..N-1 in order
        g = self._gsar_est if every else self._gsar_est[rows]  # (n, L1), nan compares False
        wt = self._gr_w[rows]
        gt = g > x  # estimation days ranked one place higher because of the event observation
        eq = g == x
        n_gt, n_eq = gt.sum(axis=1), eq.sum(axis=1)
        n_t = self._gr_n_t if every else self._gr_valid[rows].sum(axis=0)
        rw_sum = self._gr_rw_sum if every else self._gr_rw[rows].sum(axis=0)
        # sum over events of U_it = (rank_it + [g > x] + [g == x]/2) / (T_i + 1) - 1/2 on each estimation day
        u_sum = rw_sum - 0.5 * n_t
        if np.all(wt == wt[0]):  # same number of valid days for every event: count instead of weighting
            u_sum += wt[0] * (np.count_nonzero(gt, axis=0) + 0.5 * np.count_nonzero(eq, axis=0))
        else:
            u_sum += wt @ gt + (0.5 * (wt @ eq) if n_eq.any() else 0.0)
        t_i = self._gr_t[rows]
        below = (t_i - 1.0) - n_gt - 0.5 * n_eq
        u_evt = (below + 1.0) * wt - 0.5
        days = n_t > 0
        ubar = u_sum[days] / n_t[days]
        ubar0 = float(u_evt.mean())
        big_t = float(days.sum()) + 1.0
        s_u = np.sqrt((np.sum((n_t[days] / n) * ubar**2) + ubar0**2) / big_t)
        if not s_u > 0 or big_t < 3:
            return _nan_result(name, "degenerate rank variance", n, "t")
        z = ubar0 / s_u
        denom = big_t - 1 - z**2
        if denom <= 0:
            return _nan_result(name, "Z^2 >= T - 1: transformation to t undefined", n, "t")
        return _t_result(name, z * np.sqrt((big_t - 2) / denom), big_t - 2, n)


def run_tests(ab: AbnormalReturns, window: tuple[int, int], tests: Sequence[str] | str | None = None) -> dict[str, TestResult]:
    """Convenience: ``TestBattery(ab).window(*window, tests)``."""
    start, stop = window
    return TestBattery(ab).window(int(start), int(stop), tests)
