"""The across-event test battery: is the average abnormal return zero?

:class:`TestBattery` takes the :class:`~research_lib.engine.panel.AbnormalReturns` of
N events, precomputes what every test needs once (ranks over the combined
estimation + event window, the estimation-window AAR series, the fraction of
positive estimation residuals, ...) and then evaluates any subset of the tests
for a CAR window ``[start, stop]`` (``window``) or for every event day
(``daily``).  The tests themselves are public functions over arrays with an
optional leading samples axis (:mod:`~research_lib.inference.parametric`,
:mod:`~research_lib.inference.rank`, :mod:`~research_lib.inference.sign`,
:mod:`~research_lib.inference.correlation`), reached through :data:`REGISTRY`
from a :class:`WindowInputs`; the simulator
(:class:`research_lib.simulation.PerSampleTests`) calls the very same entries
with S samples at once.  Results carry their frozen scipy null distribution
(:class:`~research_lib.inference.results.TestResult`): two-sided p-values by
default, one-sided ones and critical values on request.

Tests (names are the keys of the returned dicts)
------------------------------------------------
``t_cross_sectional``   cross-sectional t on CAR_i, t(N-1)
``crude_dependence``    Brown and Warner (1980, 1985) crude dependence adjustment, t(M-1)
``patell``              Patell (1976) standardised residual Z, N(0,1)
``bmp``                 Boehmer, Musumeci and Poulsen (1991) standardised cross-sectional t, t(N-1)
``patell_kp``, ``bmp_kp``  the same adjusted for cross-correlation (Kolari and Pynnönen 2010)
``corrado_rank``        Corrado (1989) rank test, Cowan (1992) multi-day form, N(0,1)
``generalized_rank``    Kolari and Pynnönen (2011) generalised rank t, t(T-2)
``sign``                sign test on CAR_i, N(0,1) approximation
``generalized_sign``    Cowan (1992) generalised sign test, N(0,1) approximation
``wilcoxon``            Wilcoxon signed-rank test on CAR_i (exact for small N)
``skewness_corrected``  Hall (1992) skewness-corrected t, t(N-1)

Extra tests (``EXTRA_TEST_NAMES``; as in the R package estudy2 and CLM):
``clm_j1``, ``clm_j2`` (Campbell, Lo and MacKinlay 1997), ``brown_warner_1980``,
``lamb`` (Lamb 1995 as estudy2 computes it), ``corrado_zivney`` (Corrado and
Zivney 1992 sign test), ``modified_rank`` (Campbell and Wasley 1993), and the
exact binomial forms of the sign tests, ``sign_exact`` and
``generalized_sign_exact`` (statistic: the number of positive CARs).

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from research_lib.engine.panel import AbnormalReturns
from research_lib.errors import InvalidRequestError
from research_lib.inference import parametric, rank, sign
from research_lib.inference._arrays import finite, moments
from research_lib.inference._threads import single_blas
from research_lib.inference.correlation import (
    MIN_OVERLAP,
    PairCorrelations,
    mean_cross_correlation,
    pair_correlations,
    prepare_residuals,
    r_daily,
    r_from_pairs,
)
from research_lib.inference.rank import GeneralizedRankInputs, RankScores, rank_rows, row_median
from research_lib.inference.results import Statistic, TestResult

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
    "sign_exact",
    "generalized_sign_exact",
)
ALL_TEST_NAMES: tuple[str, ...] = TEST_NAMES + EXTRA_TEST_NAMES

NULLS: dict[str, str] = {
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
    "sign_exact": "positive and negative CARs are equally likely (p = 0.5; exact binomial)",
    "generalized_sign_exact": "the fraction of positive CARs equals the estimation-window fraction (exact binomial)",
}
_NULLS = NULLS  # former private name


@dataclass(frozen=True)
class WindowInputs:
    """Everything the tests of one CAR window need, per event (..., N) or per sample (...).

    A leading samples axis is optional: :class:`TestBattery` builds 1-d inputs
    for its one sample (the events whose CAR is defined), the simulator (S, N)
    inputs.  nan in a per-event array leaves that event out of the tests that use it.

    Attributes
    ----------
    car, car_var, scar, csar
        (..., N) CAR_i, Var(CAR_i), SCAR_i (SAR_i for one day), CSAR_i = sum of SARs.
    v
        (..., N) (M_i - k)/(M_i - k - 2).
    sigma2, n_est
        (..., N) residual variances and estimation returns of the events.
    length
        L, days in the window.
    s_aar, n_aar
        (...) SD of the estimation-window AAR series and its number of days.
    p_hat
        (...) fraction of positive estimation residuals (generalised sign).
    r
        (...) Kolari-Pynnönen r of this window (nan if not computed).
    aar, lamb_factor
        (..., L) window AARs and (L,) forecast-error factors (Lamb).
    ranks
        rank scores of the estimation + event days; ``days`` (L,) the window's event-window columns.
    n_rank
        (...) fewest events present on a window day (rank family).
    gr
        generalised-rank inputs of the events (aligned with ``scar``).
    """

    car: np.ndarray
    car_var: np.ndarray
    scar: np.ndarray
    csar: np.ndarray
    v: np.ndarray
    sigma2: np.ndarray
    n_est: np.ndarray
    length: int
    s_aar: np.ndarray
    n_aar: np.ndarray
    p_hat: np.ndarray
    r: np.ndarray
    aar: np.ndarray
    lamb_factor: np.ndarray
    ranks: RankScores | None
    days: np.ndarray
    n_rank: np.ndarray
    gr: GeneralizedRankInputs | None

    def rank_days(self, series: np.ndarray) -> np.ndarray:
        """The window's columns of a (..., L1 + L2) daily rank series."""
        assert self.ranks is not None
        return series[..., self.ranks.l1 + self.days]


def _need_ranks(w: WindowInputs) -> RankScores:
    if w.ranks is None:
        raise InvalidRequestError("rank tests need rank scores; build the inputs with ranks (TestBattery does)")
    return w.ranks


def _need_gr(w: WindowInputs) -> GeneralizedRankInputs:
    if w.gr is None:
        raise InvalidRequestError("generalized_rank needs its inputs; build the inputs with them (TestBattery does)")
    return w.gr


#: test name -> function of a :class:`WindowInputs`; the one dispatch used by the study and the simulator
REGISTRY: dict[str, Callable[[WindowInputs], Statistic]] = {
    "t_cross_sectional": lambda w: parametric.t_cross_sectional(w.car),
    "crude_dependence": lambda w: parametric.crude_dependence(w.car, w.s_aar, w.n_aar, w.length),
    "patell": lambda w: parametric.patell(w.csar, w.v, w.length),
    "bmp": lambda w: parametric.bmp(w.scar),
    "patell_kp": lambda w: parametric.patell_kp(w.csar, w.v, w.length, w.r),
    "bmp_kp": lambda w: parametric.bmp_kp(w.scar, w.r),
    "corrado_rank": lambda w: rank.corrado_rank(w.rank_days(_need_ranks(w).dbar), _need_ranks(w).s_k, w.n_rank),
    "generalized_rank": lambda w: rank.generalized_rank(w.scar, _need_gr(w)),
    "sign": lambda w: sign.sign(w.car),
    "generalized_sign": lambda w: sign.generalized_sign(w.car, w.p_hat),
    "wilcoxon": lambda w: sign.wilcoxon(w.car),
    "skewness_corrected": lambda w: parametric.skewness_corrected(w.car),
    "clm_j1": lambda w: parametric.clm_j1(w.car, w.car_var),
    "clm_j2": lambda w: parametric.clm_j2(w.scar, w.v),
    "brown_warner_1980": lambda w: parametric.brown_warner_1980(w.car, w.sigma2, w.n_est, w.length),
    "lamb": lambda w: parametric.lamb(w.aar, w.s_aar, w.lamb_factor, np.isfinite(w.car).sum(axis=-1)),
    "corrado_zivney": lambda w: rank.corrado_zivney(w.rank_days(_need_ranks(w).zg), _need_ranks(w).s_g, w.n_rank),
    "modified_rank": lambda w: rank.modified_rank(w.rank_days(_need_ranks(w).zu), _need_ranks(w).s_u, w.n_rank),
    "sign_exact": lambda w: sign.sign_exact(w.car),
    "generalized_sign_exact": lambda w: sign.generalized_sign_exact(w.car, w.p_hat),
}
#: the daily table stacks days as samples in parts of about this many (days x events x L1) cells
DAILY_PART_CELLS = 32_000_000
#: tests that need the Kolari-Pynnönen r of the window
KP_TESTS: frozenset[str] = frozenset({"patell_kp", "bmp_kp"})


def test_names(tests: Sequence[str] | str | None) -> tuple[str, ...]:
    """Validate test names: ``None`` -> ``TEST_NAMES``, ``"all"`` -> ``ALL_TEST_NAMES``."""
    if tests is None:
        return TEST_NAMES
    if isinstance(tests, str):
        if tests == "all":
            return ALL_TEST_NAMES
        tests = (tests,)
    bad = [t for t in tests if t not in REGISTRY]
    if bad:
        raise InvalidRequestError(f"unknown test(s) {bad}; choose from {list(ALL_TEST_NAMES)} (or 'all')")
    return tuple(tests)


test_names.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def aar_sd(est: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SD (ddof 1) of the estimation-window AAR series and its number of days, (..., N, L1) -> (...).

    AAR_tau is the mean over the events present of the residuals at estimation
    day tau (event time), as Brown and Warner (1980, 1985).
    """
    cnt = np.isfinite(est).sum(axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        aar = np.where(cnt > 0, np.nansum(est, axis=-2) / np.maximum(cnt, 1), np.nan)
    n_days, _, sd = moments(aar)
    return sd, n_days


def positive_fraction(est: np.ndarray, pooled: bool = False) -> np.ndarray:
    """p_hat of the generalised sign test, (..., N, L1) -> (...).

    Cowan (1992): the mean over events of each event's fraction of positive
    estimation residuals; ``pooled`` (estudy2): positives over all residuals.
    """
    valid = np.isfinite(est)
    pos = (est > 0) & valid
    with np.errstate(invalid="ignore", divide="ignore"):
        if pooled:
            return pos.sum(axis=(-1, -2)) / valid.sum(axis=(-1, -2))
        cnt = valid.sum(axis=-1)
        frac = np.where(cnt > 0, pos.sum(axis=-1) / np.maximum(cnt, 1), np.nan)
        _, mean, _ = moments(frac)
    return mean


def forecast_factor(ar_var: np.ndarray, sigma2: np.ndarray, n_est: np.ndarray, estudy2: bool = False) -> np.ndarray:
    """Lamb's forecast-error factor c_t = mean_i S_it^2 / s_i^2 of each event day, (..., N, L2) -> (..., L2).

    ``estudy2``: estudy2 puts 1/mean(M_i) into the factor where the mean of the
    events' own factors has mean(1/M_i); the market term is common to all
    events under its full-window market moments, so swapping the two
    reproduces its Lamb exactly.
    """
    ratio = finite(ar_var / sigma2[..., None])
    cnt = np.isfinite(ratio).sum(axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.where(cnt > 0, np.nansum(ratio, axis=-2) / np.maximum(cnt, 1), np.nan)
        if estudy2 and c.size:
            m = np.where(n_est > 0, n_est, np.nan)
            c = c - (np.nanmean(1.0 / m, axis=-1) - 1.0 / np.nanmean(m, axis=-1))[..., None]
    return c


def evaluate_samples(name: str, w: WindowInputs) -> tuple[np.ndarray, np.ndarray]:
    """Statistic and two-sided p-value of test ``name`` for every sample of (S, N) inputs ``w``.

    Wilcoxon: samples that need the exact null (N <= 50 non-zero CARs without
    ties, one distribution per N) and those that need the normal approximation
    are passed separately, so that each sample gets the method it would get alone.
    """
    if name != "wilcoxon":
        st = REGISTRY[name](w)
        return np.asarray(st.stat, dtype=float), st.pvalue_for("two-sided")
    stat, p = np.full(w.car.shape[:-1], np.nan), np.full(w.car.shape[:-1], np.nan)
    for rows, st in wilcoxon_groups(w):
        stat[rows], p[rows] = st.stat, st.pvalue_for("two-sided")
    return stat, p


def wilcoxon_groups(w: WindowInputs) -> list[tuple[np.ndarray, Statistic]]:
    """The battery's Wilcoxon of (S, N) inputs, one call per group of samples that share a null.

    Samples with the exact null (N <= 50 non-zero CARs without ties) are grouped by
    their number of non-zero CARs, the others (normal approximation) form one group.
    """
    car = w.car
    nonzero = np.sum(np.isfinite(car) & (car != 0), axis=-1)
    key = np.where(sign.wilcoxon_exact_rows(car), nonzero, -1)
    groups = [np.flatnonzero(key == k) for k in np.unique(key)]
    return [(rows, REGISTRY["wilcoxon"](replace(w, car=car[rows]))) for rows in groups]


# kept importable under their former private names (tests and notebooks used them)
_rank_rows = rank_rows
_row_median = row_median


# --------------------------------------------------------------------------- battery
class TestBattery:
    """All across-event tests of one set of abnormal returns.

    Parameters
    ----------
    ab
        abnormal returns of N events (any normal-return model).
    min_overlap
        minimum common estimation days for a pair of events to enter
        the Kolari-Pynnönen mean cross-correlation (default 30).

    Attributes
    ----------
    mean_cross_correlation
        the Kolari-Pynnönen r of the whole event window
        (``correlation(start, stop)`` gives the r of any CAR window, the one
        ``patell_kp`` and ``bmp_kp`` use).
    n_correlation_pairs
        pairs contributing to it (CAR windows meet, >= ``min_overlap`` common dates).

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
      r = mean over all N(N-1)/2 pairs of rho_ij o_ij / L for the CAR window
      tested: rho_ij the exact correlation of the two events' estimation
      residuals on their common calendar dates (0 with fewer than
      ``min_overlap``), o_ij the calendar dates their CAR windows share
      (see :mod:`research_lib.inference.correlation` for the derivation).
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
    - sign: w positive CARs, z = (w - N/2) / sqrt(N/4); sign_exact: w against
      Binomial(N, 1/2).
    - generalized_sign: p_hat = mean_i (fraction of positive e_it of event i);
      z = (w - N p_hat) / sqrt(N p_hat (1 - p_hat)); generalized_sign_exact: w
      against Binomial(N, p_hat).  The default battery (``TEST_NAMES``) reports
      the normal approximations; the exact forms are extra tests.
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

    Examples
    --------
    >>> from research_lib import TestBattery
    >>> from research_lib.examples import example_abnormal_returns
    >>> tb = TestBattery(example_abnormal_returns())
    >>> day0 = tb.window(0, 0, tests=["t_cross_sectional", "bmp", "corrado_rank"])
    >>> {name: round(r.stat, 2) for name, r in day0.items()}
    {'t_cross_sectional': 5.18, 'bmp': 3.79, 'corrado_rank': 3.6}
    >>> day0["bmp"].distribution
    't(4)'

    The cross-sectional t is the one-sample t of the day-0 CARs:

    >>> from scipy import stats
    >>> car, _ = example_abnormal_returns().car(0, 0)
    >>> round(float(stats.ttest_1samp(car, 0.0).statistic), 2)
    5.18
    """

    __test__ = False

    @single_blas
    def __init__(self, ab: AbnormalReturns, min_overlap: int = MIN_OVERLAP) -> None:
        ab.require_estimation("TestBattery")
        self.ab = ab
        self.min_overlap = int(min_overlap)
        self._estudy2 = getattr(ab.conventions, "rank_aggregation", "textbook") == "estudy2"
        ar = finite(ab.ar)
        if ar.ndim != 2:
            raise InvalidRequestError(f"abnormal returns must be a 2-d (events x days) array, got shape {ar.shape}; build them with a model from research_lib.models.fit")
        est = finite(ab.est_resid)
        self._ar, self._est = ar, est
        self._ar_var = finite(ab.ar_var)
        with np.errstate(invalid="ignore", divide="ignore"):
            self._sar = finite(ar / np.sqrt(self._ar_var))
        n, l2 = ar.shape
        self.n_events, self.l2, self.l1 = n, l2, est.shape[1]
        self._sigma2 = np.asarray(ab.sigma2, dtype=float)
        self._m = np.asarray(ab.n_est, dtype=float)
        # degrees of freedom of the residual variance: M - k, and M - 1 for the market-adjusted
        # model, whose variance is taken about the mean of its ARs although it estimates nothing
        dfr = self._m - (ab.k if ab.k > 0 else 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            self._v = np.where(dfr > 2, dfr / (dfr - 2), np.nan)  # Var of a t(M-k) variable
        # estimation-window AAR series in event time (Brown-Warner 1985, Lamb)
        s_aar, n_aar = aar_sd(est)
        self._s_aar, self._n_aar_est = float(s_aar), int(n_aar)
        self._lamb_c = forecast_factor(self._ar_var, self._sigma2, self._m, self._estudy2 and ab.conventions.forecast_error)
        # one sort of the estimation residuals serves the rank scores and the generalised rank
        est_ranks = rank.EstimationRanks.of(est) if n > 0 else None
        self._ranks = rank.rank_scores(est, ar, self._estudy2, est_ranks=est_ranks) if n > 0 else None
        self._p_hat = float(positive_fraction(est, pooled=self._estudy2))
        self._gr = rank.generalized_rank_inputs(est, self._sigma2, est_ranks=est_ranks)
        self._r_cache: dict[tuple[int, int], tuple[float, int]] = {}
        self._kp_pairs: PairCorrelations | None = None
        self._day_var: np.ndarray | None = None

    # ------------------------------------------------------------------ precomputation
    # ------------------------------------------------------------------ Kolari-Pynnönen r
    def correlation(self, start: int, stop: int) -> float:
        """Kolari-Pynnönen r of the CAR window [start, stop] (see :func:`kolari_pynnonen_r`).

        The pairs' correlations rho_ij are computed once (for the pairs whose event
        windows meet); each window then needs only its o_ij.
        """
        return self._correlation(start, stop)[0]

    @single_blas
    def _correlation(self, start: int, stop: int) -> tuple[float, int]:
        key = (int(start), int(stop))
        if key not in self._r_cache:
            days = self.ab.window_index(*key)
            if self._kp_pairs is None:  # rho_ij once, for the pairs whose event windows meet
                prep = prepare_residuals(self._est, self.ab.panel.est_dates, self.min_overlap)
                self._kp_pairs = pair_correlations(prep, self.ab.panel.evt_dates)
            self._r_cache[key] = r_from_pairs(self._kp_pairs, self.ab.panel.evt_dates[:, days])
        return self._r_cache[key]

    @property
    def mean_cross_correlation(self) -> float:
        """r of the whole event window (every event day); ``correlation(a, b)`` for a CAR window."""
        tau = self.ab.panel.tau_evt
        return self.correlation(int(tau[0]), int(tau[-1])) if len(tau) else 0.0

    @property
    def n_correlation_pairs(self) -> int:
        """Pairs contributing to :attr:`mean_cross_correlation`."""
        tau = self.ab.panel.tau_evt
        return self._correlation(int(tau[0]), int(tau[-1]))[1] if len(tau) else 0

    # ------------------------------------------------------------------ windows
    def inputs(self, start: int, stop: int, kp: bool = True) -> WindowInputs:
        """The :class:`WindowInputs` of the CAR window [start, stop] (events whose CAR is defined)."""
        ab = self.ab
        days = np.flatnonzero(ab.window_index(start, stop))
        car, var = ab.car(start, stop)
        car = np.asarray(car, dtype=float)
        var = np.asarray(var, dtype=float)
        rows = np.flatnonzero(np.isfinite(car) & np.all(np.isfinite(self._ar[:, days]), axis=1))
        car, var = car[rows], var[rows]
        with np.errstate(invalid="ignore", divide="ignore"):
            scar = self._sar[rows, days[0]] if days.size == 1 else car / np.sqrt(var)
        csar = self._sar[np.ix_(rows, days)].sum(axis=1)
        every = rows.size == self.n_events
        gr = self._gr if every else self._gr.select(rows)
        ranks = self._ranks
        n_rank = np.asarray(int(np.min(ranks.n_t[ranks.l1 + days])) if ranks is not None else 0)
        aar = self._ar[np.ix_(rows, days)].mean(axis=0) if rows.size else np.full(days.size, np.nan)
        r = np.asarray(self.correlation(start, stop) if kp else np.nan)
        return WindowInputs(
            car=car, car_var=var, scar=finite(scar), csar=finite(csar), v=self._v[rows], sigma2=self._sigma2[rows],
            n_est=self._m[rows], length=int(days.size), s_aar=np.asarray(self._s_aar), n_aar=np.asarray(self._n_aar_est),
            p_hat=np.asarray(self._p_hat), r=r, aar=aar, lamb_factor=self._lamb_c[days], ranks=ranks, days=days,
            n_rank=n_rank, gr=gr,
        )

    @single_blas
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
        names = test_names(tests)
        w = self.inputs(start, stop, kp=bool(KP_TESTS.intersection(names)))
        with np.errstate(invalid="ignore", divide="ignore"):
            return {name: TestResult.from_statistic(name, NULLS[name], REGISTRY[name](w)) for name in names}

    @single_blas
    def daily(self, tests: Sequence[str] | str | None = None) -> pd.DataFrame:
        """One row per event day tau: ``tau``, ``aar``, ``n`` and ``<test>_stat``, ``<test>_p``.

        ``aar`` and ``n`` use every event with an AR that day.  Every day's tests are
        those of ``window(tau, tau)``, computed in one pass: days whose events with an
        AR are the same set are stacked as samples on the leading axis of the test
        functions (:meth:`day_inputs`), so a complete event window takes one pass.
        """
        names = test_names(tests)
        tau = np.asarray(self.ab.panel.tau_evt, dtype=int)
        ok = np.isfinite(self._ar)
        cnt = ok.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            aar = np.where(cnt > 0, np.where(ok, self._ar, 0.0).sum(axis=0) / cnt, np.nan)
        cols: dict[str, np.ndarray] = {"tau": tau, "aar": aar, "n": cnt.astype(int)}
        out = {f"{name}_{k}": np.full(tau.size, np.nan) for name in names for k in ("stat", "p")}
        if tau.size:
            kp = bool(KP_TESTS.intersection(names))
            r_day = self._daily_correlation() if kp else np.full(tau.size, np.nan)
            if ok.all():  # complete event windows: every day has every event
                sets, group = np.ones((1, ok.shape[0]), dtype=bool), np.zeros(tau.size, dtype=np.int64)
            else:
                sets, group = np.unique(ok.T, axis=0, return_inverse=True)  # days with the same events
            for g in range(sets.shape[0]):
                days = np.flatnonzero(group.ravel() == g)
                rows = np.flatnonzero(sets[g])
                for part in np.array_split(days, max(1, -(-days.size * rows.size * max(self.l1, 1) // DAILY_PART_CELLS))):
                    self._daily_part(names, part, rows, r_day, out)
        return pd.DataFrame({**cols, **{k: out[k] for k in (f"{n}_{x}" for n in names for x in ("stat", "p"))}})

    def _daily_part(self, names: tuple[str, ...], days: np.ndarray, rows: np.ndarray, r_day: np.ndarray,
                    out: dict[str, np.ndarray]) -> None:
        """Fill ``out`` for event-day columns ``days`` whose events with an AR are ``rows``."""
        if rows.size == 0:  # no event: the window path gives its nan results and notes
            for j in days:
                t = int(self.ab.panel.tau_evt[j])
                for name, res in self.window(t, t, names).items():
                    out[f"{name}_stat"][j], out[f"{name}_p"][j] = res.stat, res.pvalue
            return
        w = self.day_inputs(days, rows, r_day[days])
        with np.errstate(invalid="ignore", divide="ignore"):
            for name in names:
                stat, p = evaluate_samples(name, w)
                out[f"{name}_stat"][days], out[f"{name}_p"][days] = stat, p

    def day_inputs(self, days: np.ndarray, rows: np.ndarray, r: np.ndarray) -> WindowInputs:
        """(D, R) :class:`WindowInputs` of the one-day windows of event-day columns ``days`` (D,), events ``rows``.

        The events must have an AR on every one of those days (as ``window(tau, tau)``
        would select them); the days are the samples axis.
        """
        def per_day(x: np.ndarray) -> np.ndarray:
            return np.ascontiguousarray(x[np.ix_(rows, days)].T)

        car = per_day(self._ar)
        sar = finite(per_day(self._sar))
        every = rows.size == self.n_events
        gr = self._gr if every else self._gr.select(rows)
        ranks = self._ranks
        n_rank = ranks.n_t[ranks.l1 + days].astype(int) if ranks is not None else np.zeros(days.size, dtype=int)
        return WindowInputs(
            car=car, car_var=per_day(self._day_variances()), scar=sar, csar=sar, v=self._v[rows], sigma2=self._sigma2[rows],
            n_est=self._m[rows], length=1, s_aar=np.asarray(self._s_aar), n_aar=np.asarray(self._n_aar_est),
            p_hat=np.asarray(self._p_hat), r=np.asarray(r, dtype=float), aar=car.mean(axis=1)[:, None],
            lamb_factor=self._lamb_c[days][:, None], ranks=ranks, days=days[:, None], n_rank=n_rank, gr=gr,
        )

    def _day_variances(self) -> np.ndarray:
        """(N, L2) Var(CAR_i) of every one-day window, as ``ab.car(tau, tau)`` gives it."""
        if self._day_var is None:
            tau = self.ab.panel.tau_evt
            self._day_var = np.column_stack([np.asarray(self.ab.car(int(t), int(t))[1], dtype=float) for t in tau])
        return self._day_var

    def _daily_correlation(self) -> np.ndarray:
        """(L2,) Kolari-Pynnönen r of every one-day window (the pairs' rho_ij are computed once)."""
        self.correlation(int(self.ab.panel.tau_evt[0]), int(self.ab.panel.tau_evt[-1]))  # fills the pairs
        assert self._kp_pairs is not None
        return r_daily(self._kp_pairs, self.ab.panel.evt_dates)[0]

    @staticmethod
    def _names(tests: Sequence[str] | str | None) -> tuple[str, ...]:
        return test_names(tests)


def run_tests(ab: AbnormalReturns, window: tuple[int, int], tests: Sequence[str] | str | None = None) -> dict[str, TestResult]:
    """Convenience: ``TestBattery(ab).window(*window, tests)``.

    Examples
    --------
    >>> from research_lib.examples import example_abnormal_returns
    >>> from research_lib.inference import run_tests
    >>> out = run_tests(example_abnormal_returns(), (0, 0), tests=["bmp", "generalized_sign"])
    >>> {k: round(v.pvalue, 3) for k, v in out.items()}
    {'bmp': 0.019, 'generalized_sign': 0.028}
    """
    start, stop = window
    return TestBattery(ab).window(int(start), int(stop), tests)


__all__ = [
    "ALL_TEST_NAMES",
    "EXTRA_TEST_NAMES",
    "KP_TESTS",
    "MIN_OVERLAP",
    "NULLS",
    "REGISTRY",
    "TEST_NAMES",
    "TestBattery",
    "TestResult",
    "WindowInputs",
    "aar_sd",
    "evaluate_samples",
    "forecast_factor",
    "mean_cross_correlation",
    "positive_fraction",
    "run_tests",
    "test_names",
    "wilcoxon_groups",
]
