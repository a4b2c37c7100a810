"""The test battery from mergeable partial sums: chunk by chunk, then one exact finishing step.

:class:`~research_lib.inference.battery.TestBattery` needs every event's estimation residuals
(N x L1) at once.  Each of its inputs is, however, either a per-event number (a few per event
and window, small) or a sum over events of a per-event quantity on each event-time day, so a
study in chunks of events (:mod:`research_lib.engine.streaming`) can reduce every chunk to

* per-event arrays: the compact :class:`~research_lib.engine.panel.AbnormalReturns` (ARs, their
  variances, the event-window design rows, ``sigma2``, ``n_est``; no estimation-window arrays),
  each event's fraction of positive estimation residuals (generalised sign);
* :class:`EstimationSums`: per estimation day the sum and count of the residuals (the AAR series
  of the crude-dependence and Lamb tests), the pooled positive/valid counts (estudy2's p_hat),
  and per estimation + event day the sums of the Corrado, Campbell-Wasley and Corrado-Zivney
  rank scores with the events present (:func:`research_lib.inference.rank.rank_scores` before
  its division by N_t);

and add them (:meth:`EstimationSums.merge`).  :class:`PartialBattery` then rebuilds the
:class:`~research_lib.inference.battery.WindowInputs` of every window from the merged pieces and
evaluates the very same :data:`~research_lib.inference.battery.REGISTRY` functions, so no test
formula is duplicated -- except the generalised rank, whose window term needs the events'
standardised residuals compared with a threshold ``SCAR*_i = SCAR_i / SD(SCAR)`` that depends on
all events.  Its sums (:func:`grank_sums`) are made in a second pass over each chunk once the SDs
are known, and :func:`generalized_rank_from_sums` finishes them with the formula of
:func:`research_lib.inference.rank.generalized_rank` (Kolari and Pynnönen 2011), term for term.
The Kolari-Pynnönen r of each window arrives as the sum over pairs of rho_ij o_ij
(:mod:`research_lib.engine.streaming`), divided here by L N (N - 1) / 2.

Sums over events are added in another order than in one pass, so statistics agree to rounding
(tested to 1e-12 relative against :class:`TestBattery` for every test, window and day, both
conventions); per-event quantities are the same floats.

References
----------
Kolari, J. W. and Pynnönen, S. (2011). Nonparametric rank tests for event studies. Journal of
Empirical Finance 18, 953-971.  Other tests: see :class:`~research_lib.inference.battery.TestBattery`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from research_lib.engine.panel import AbnormalReturns
from research_lib.errors import InvalidRequestError
from research_lib.inference import rank
from research_lib.inference._arrays import finite, moments, scalar_note, t_dist
from research_lib.inference.battery import NULLS, REGISTRY, WindowInputs, forecast_factor, test_names
from research_lib.inference.rank import RankScores
from research_lib.inference.results import Statistic, TestResult

__all__ = ["EstimationSums", "PartialBattery", "SecondPassSums", "positive_fractions", "generalized_rank_from_sums",
           "grank_sums"]

Window = tuple[int, int]


@dataclass(frozen=True)
class EstimationSums:
    """Sums over the events of one chunk (or of several, merged) on each event-time day.

    Attributes
    ----------
    n_events
        events summed.
    est_sum, est_cnt
        (L1,) sum and count of the present estimation residuals of each estimation day.
    pos, valid
        positive and present estimation residuals of all events (estudy2's pooled p_hat).
    rank_sum
        (3, L1 + L2) sums over the events present of the Corrado deviations K_it - (M'_i + 1)/2,
        the Campbell-Wasley scores K_it / (M'_i + 1) - 1/2 and the Corrado-Zivney signs.
    rank_cnt
        (L1 + L2,) events present on each day.
    m_sum
        sum over events of M'_i, their valid estimation + event days (estudy2's T).
    """

    n_events: int
    est_sum: np.ndarray
    est_cnt: np.ndarray
    pos: int
    valid: int
    rank_sum: np.ndarray
    rank_cnt: np.ndarray
    m_sum: float

    @classmethod
    def of(cls, est: np.ndarray, ar: np.ndarray) -> EstimationSums:
        """The sums of one chunk: ``est`` (n, L1) residuals and ``ar`` (n, L2) ARs, nan where missing."""
        present = np.isfinite(est)
        comb = np.concatenate([est, ar], axis=-1)
        k, srt, m_i = rank.rank_rows(comb)
        with np.errstate(invalid="ignore"):
            scores = np.stack([
                np.nansum(k - (m_i[:, None] + 1.0) / 2.0, axis=0),
                np.nansum(k / (m_i[:, None] + 1.0) - 0.5, axis=0),
                np.nansum(np.sign(comb - rank.row_median(srt, m_i)[:, None]), axis=0),
            ])
        return cls(int(est.shape[0]), np.nansum(est, axis=0), present.sum(axis=0), int(((est > 0) & present).sum()),
                   int(present.sum()), scores, np.isfinite(comb).sum(axis=0), float(m_i.sum()))

    @staticmethod
    def merge(parts: Sequence[EstimationSums]) -> EstimationSums:
        """The sums of all the chunks."""
        if not parts:
            raise InvalidRequestError("no chunk to merge; run the study on at least one event")
        return EstimationSums(
            sum(p.n_events for p in parts), np.sum([p.est_sum for p in parts], axis=0),
            np.sum([p.est_cnt for p in parts], axis=0), sum(p.pos for p in parts), sum(p.valid for p in parts),
            np.sum([p.rank_sum for p in parts], axis=0), np.sum([p.rank_cnt for p in parts], axis=0),
            float(sum(p.m_sum for p in parts)))

    def aar_sd(self) -> tuple[float, int]:
        """SD (ddof 1) of the estimation-window AAR series and its days, as :func:`~research_lib.inference.battery.aar_sd`."""
        with np.errstate(invalid="ignore", divide="ignore"):
            aar = np.where(self.est_cnt > 0, self.est_sum / np.maximum(self.est_cnt, 1), np.nan)
        n_days, _, sd = moments(aar)
        return float(sd), int(n_days)

    def rank_scores(self, estudy2: bool, l1: int) -> RankScores:
        """The :class:`~research_lib.inference.rank.RankScores` of all events (as ``rank.rank_scores``)."""
        n_t = self.rank_cnt.astype(float)
        days = n_t > 0
        t_days = self.m_sum / self.n_events if estudy2 else float(days.sum())
        with np.errstate(invalid="ignore", divide="ignore"):
            if estudy2:  # rowMeans(x, na.rm = TRUE) * ncol(x)
                tot = np.where(days, self.rank_sum / np.maximum(n_t, 1), np.nan) * self.n_events
            else:
                tot = np.where(days, self.rank_sum, np.nan)
            daily = [tot[0] / n_t, tot[1] / np.sqrt(n_t), tot[2] / np.sqrt(n_t)]
            sds = [np.sqrt(np.sum(np.where(days, d, 0.0) ** 2) / t_days) for d in daily]
        return RankScores(daily[0], daily[1], daily[2], np.asarray(sds[0]), np.asarray(sds[1]), np.asarray(sds[2]),
                          n_t, int(l1))


def positive_fractions(est: np.ndarray) -> np.ndarray:
    """(n,) each event's fraction of positive estimation residuals (the terms of Cowan's p_hat; nan if none)."""
    valid = np.isfinite(est)
    cnt = valid.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, ((est > 0) & valid).sum(axis=-1) / np.maximum(cnt, 1), np.nan)


@dataclass(frozen=True)
class SecondPassSums:
    """The second pass of one chunk (or merged): per key k (a window or an event day).

    ``u_sum`` (K, L1): sum_i w_i (rank_i(GSAR_it) + [GSAR_it > SCAR*_i] + [=]/2), w_i = 1/(T_i + 1);
    ``n_t`` (K, L1): events with a SCAR* present on each estimation day; ``u_evt`` (n, K) each
    event's U of its collapsed window (0 when left out); ``kp_total`` (K,) and ``kp_pairs`` (K,):
    sum over pairs of rho_ij o_ij and the pairs that contribute.
    """

    u_sum: np.ndarray
    n_t: np.ndarray
    u_evt: np.ndarray
    kp_total: np.ndarray
    kp_pairs: np.ndarray


def grank_sums(est: np.ndarray, sigma2: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The generalised-rank sums of one chunk for thresholds ``x`` (n, K) = SCAR*_i per key (nan: left out).

    The terms of :func:`research_lib.inference.rank.generalized_rank`, summed over this chunk's events.
    """
    gr = rank.generalized_rank_inputs(est, sigma2)
    k_n = x.shape[1]
    l1 = est.shape[1]
    u_sum, n_t, u_evt = np.zeros((k_n, l1)), np.zeros((k_n, l1)), np.zeros((est.shape[0], k_n))
    rank0, present = gr.rank0, gr.present
    with np.errstate(invalid="ignore", divide="ignore"):
        for k in range(k_n):
            xk = x[:, k]
            ok = np.isfinite(xk)
            w = np.where(ok, 1.0 / (gr.t_i + 1.0), 0.0)
            gt = gr.gsar > xk[:, None]
            u = w @ rank0 + w @ gt
            eq = gr.gsar == xk[:, None]
            n_eq = eq.sum(axis=-1)
            if n_eq.any():
                u = u + 0.5 * (w @ eq)
            u_sum[k] = u
            n_t[k] = ok.astype(float) @ present
            below = (gr.t_i - 1.0) - gt.sum(axis=-1) - 0.5 * n_eq
            u_evt[:, k] = np.where(ok, (below + 1.0) * w - 0.5, 0.0)
    return u_sum, n_t, u_evt


def generalized_rank_from_sums(scar: np.ndarray, u_sum: np.ndarray, n_t: np.ndarray, u_evt: np.ndarray) -> Statistic:
    r"""Kolari and Pynnönen (2011) generalised rank t from merged sums, t(T - 2).

    ``scar`` (N_w,) the window's SCARs (for N and SD(SCAR)); ``u_sum`` and ``n_t`` (L1,) the merged
    :func:`grank_sums`; ``u_evt`` (N,) the events' U of the collapsed window.

    Notes
    -----
    As :func:`research_lib.inference.rank.generalized_rank`: with
    :math:`\bar U_t = (u_t - N_t/2) / N_t`, :math:`\bar U_0 = \sum_i U_{i0} / N`,
    :math:`S_{\bar U} = \sqrt{(\sum_t (N_t/N) \bar U_t^2 + \bar U_0^2) / T}`, :math:`Z = \bar U_0 / S_{\bar U}`,
    :math:`t = Z \sqrt{(T - 2)/(T - 1 - Z^2)}`, T the estimation days with an event plus one.
    """
    n, _, sd = moments(scar)
    with np.errstate(invalid="ignore", divide="ignore"):
        u = u_sum - 0.5 * n_t
        ubar0 = u_evt.sum() / n
        days = n_t > 0
        ubar = np.where(days, u / np.where(days, n_t, 1), 0.0)
        big_t = days.sum() + 1.0
        s_u = np.sqrt((np.sum((n_t / n) * ubar**2) + ubar0**2) / big_t)
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


class PartialBattery:
    """The battery of a chunked study from merged per-event arrays and partial sums.

    Same results as ``TestBattery(ab_full)`` (to rounding) for the windows given as ``keys``
    (every one-day window of the event window is added for :meth:`daily`).  Built in two steps:
    the constructor takes the first pass (compact abnormal returns, merged
    :class:`EstimationSums`, per-event extras); :meth:`thresholds` gives the SCAR*_i of every key
    for the second pass, whose merged :class:`SecondPassSums` :meth:`finish` takes.

    Parameters
    ----------
    ab
        compact abnormal returns of all N events (estimation arrays may be empty).
    sums
        merged :class:`EstimationSums`.
    frac
        (N,) per-event :func:`positive_fractions`.
    l1
        estimation days.
    windows
        the CAR windows to be tested.
    """

    __test__ = False

    def __init__(self, ab: AbnormalReturns, sums: EstimationSums, frac: np.ndarray, l1: int,
                 windows: Sequence[Window]) -> None:
        self.ab = ab
        self._estudy2 = getattr(ab.conventions, "rank_aggregation", "textbook") == "estudy2"
        self._ar, self._ar_var = finite(ab.ar), finite(ab.ar_var)
        with np.errstate(invalid="ignore", divide="ignore"):
            self._sar = finite(self._ar / np.sqrt(self._ar_var))
        self.n_events, self.l2, self.l1 = int(self._ar.shape[0]), int(self._ar.shape[1]), int(l1)
        self._sigma2 = np.asarray(ab.sigma2, dtype=float)
        self._m = np.asarray(ab.n_est, dtype=float)
        dfr = self._m - (ab.k if ab.k > 0 else 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            self._v = np.where(dfr > 2, dfr / (dfr - 2), np.nan)
        self._s_aar, self._n_aar = sums.aar_sd()
        self._lamb_c = forecast_factor(self._ar_var, self._sigma2, self._m, self._estudy2 and ab.conventions.forecast_error)
        self._ranks = sums.rank_scores(self._estudy2, self.l1) if self.n_events > 0 else None
        if self._estudy2:
            self._p_hat = sums.pos / sums.valid if sums.valid else np.nan
        else:
            self._p_hat = float(moments(frac)[1])
        tau = [int(t) for t in ab.panel.tau_evt]
        self.keys: list[Window] = list(dict.fromkeys([(int(a), int(b)) for a, b in windows] + [(t, t) for t in tau]))
        self._second: SecondPassSums | None = None

    # ------------------------------------------------------------------ per-event pieces of a window
    def _window(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Columns, rows (events whose CAR is defined), CAR, Var(CAR) and SCAR of [start, stop], as TestBattery.inputs."""
        days = np.flatnonzero(self.ab.window_index(start, stop))
        car, var = self.ab.car(start, stop)
        car, var = np.asarray(car, dtype=float), np.asarray(var, dtype=float)
        rows = np.flatnonzero(np.isfinite(car) & np.all(np.isfinite(self._ar[:, days]), axis=1))
        car, var = car[rows], var[rows]
        with np.errstate(invalid="ignore", divide="ignore"):
            scar = self._sar[rows, days[0]] if days.size == 1 else car / np.sqrt(var)
        return days, rows, car, var, finite(scar)

    def thresholds(self) -> np.ndarray:
        """(N, K) SCAR*_i = SCAR_i / SD(SCAR) of every key (nan where the event is left out): the second pass's input."""
        x = np.full((self.n_events, len(self.keys)), np.nan)
        for k, (a, b) in enumerate(self.keys):
            _, rows, _, _, scar = self._window(a, b)
            _, _, sd = moments(scar)
            with np.errstate(invalid="ignore", divide="ignore"):
                x[rows, k] = scar / sd
        return x

    def finish(self, second: SecondPassSums) -> PartialBattery:
        """Take the merged second pass (generalised-rank sums and Kolari-Pynnönen pair sums)."""
        if second.u_evt.shape != (self.n_events, len(self.keys)):
            raise InvalidRequestError("the second pass does not match the events and windows of the first")
        self._second = second
        return self

    def correlation(self, start: int, stop: int) -> float:
        """Kolari-Pynnönen r of [start, stop]: sum of rho_ij o_ij / (L N (N - 1) / 2)."""
        s = self._need_second()
        k = self._key(start, stop)
        n = self.n_events
        if n < 2 or s.kp_total[k] == 0:
            return 0.0
        return float(s.kp_total[k] / (self._length(start, stop) * n * (n - 1) / 2.0))

    def _length(self, start: int, stop: int) -> int:
        return int(self.ab.window_index(start, stop).sum())

    def _need_second(self) -> SecondPassSums:
        if self._second is None:
            raise InvalidRequestError("the battery needs its second pass; call finish() with the merged SecondPassSums")
        return self._second

    def _key(self, start: int, stop: int) -> int:
        try:
            return self.keys.index((int(start), int(stop)))
        except ValueError:
            raise InvalidRequestError(
                f"window [{start}, {stop}] was not among the windows of this chunked study {self.keys[:5]}...; "
                "add it to car_windows (or run without chunk_size)") from None

    # ------------------------------------------------------------------ tests
    def inputs(self, start: int, stop: int) -> WindowInputs:
        """The :class:`WindowInputs` of [start, stop] (no generalised-rank inputs: see :meth:`window`)."""
        days, rows, car, var, scar = self._window(start, stop)
        csar = self._sar[np.ix_(rows, days)].sum(axis=1)
        ranks = self._ranks
        n_rank = np.asarray(int(np.min(ranks.n_t[ranks.l1 + days])) if ranks is not None else 0)
        aar = self._ar[np.ix_(rows, days)].mean(axis=0) if rows.size else np.full(days.size, np.nan)
        return WindowInputs(
            car=car, car_var=var, scar=scar, csar=finite(csar), v=self._v[rows], sigma2=self._sigma2[rows],
            n_est=self._m[rows], length=int(days.size), s_aar=np.asarray(self._s_aar), n_aar=np.asarray(self._n_aar),
            p_hat=np.asarray(self._p_hat), r=np.asarray(self.correlation(start, stop)), aar=aar,
            lamb_factor=self._lamb_c[days], ranks=ranks, days=days, n_rank=n_rank, gr=None,
        )

    def window(self, start: int, stop: int, tests: Sequence[str] | str | None = None) -> dict[str, TestResult]:
        """Tests of CAAR = 0 over [start, stop], as :meth:`TestBattery.window`."""
        names = test_names(tests)
        w = self.inputs(start, stop)
        out = {}
        with np.errstate(invalid="ignore", divide="ignore"):
            for name in names:
                if name == "generalized_rank":
                    s = self._need_second()
                    k = self._key(start, stop)
                    stat = generalized_rank_from_sums(w.scar, s.u_sum[k], s.n_t[k], s.u_evt[:, k])
                else:
                    stat = REGISTRY[name](w)
                out[name] = TestResult.from_statistic(name, NULLS[name], stat)
        return out

    def daily(self, tests: Sequence[str] | str | None = None) -> pd.DataFrame:
        """One row per event day, as :meth:`TestBattery.daily` (each day's tests are those of ``window(tau, tau)``)."""
        names = test_names(tests)
        tau = np.asarray(self.ab.panel.tau_evt, dtype=int)
        ok = np.isfinite(self._ar)
        cnt = ok.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            aar = np.where(cnt > 0, np.where(ok, self._ar, 0.0).sum(axis=0) / cnt, np.nan)
        cols: dict[str, np.ndarray] = {"tau": tau, "aar": aar, "n": cnt.astype(int)}
        for name in names:
            cols[f"{name}_stat"], cols[f"{name}_p"] = np.full(tau.size, np.nan), np.full(tau.size, np.nan)
        for j, t in enumerate(tau):
            for name, res in self.window(int(t), int(t), names).items():
                cols[f"{name}_stat"][j], cols[f"{name}_p"][j] = res.stat, res.pvalue
        return pd.DataFrame(cols)
