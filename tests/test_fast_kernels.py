"""The battery's fast kernels against plain, independent computations.

Ranks (one sort of the estimation residuals merged with the ARs), the row-wise
binary search, the generalised-rank counts, the Kolari-Pynnönen pair
correlations and the block-of-samples simulation each equal a direct
computation (scipy.stats.rankdata per row, np.searchsorted per row, a per-pair
pandas loop, the unblocked run) on seeded data with ties and missing values.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from _synth import make_ab
from scipy import stats

from research_lib.inference import _threads
from research_lib.inference import correlation as correlation_module
from research_lib.inference import rank as rank_module
from research_lib.inference.battery import TestBattery
from research_lib.inference.correlation import pair_correlations, prepare_residuals, r_daily, r_from_pairs
from research_lib.inference.rank import (
    EstimationRanks,
    combined_ranks,
    generalized_rank,
    generalized_rank_inputs,
    rank_rows,
    rank_scores,
    row_median,
    row_searchsorted,
)
from research_lib.simulation import experiment


def _tied_data(rng: np.random.Generator, lead: tuple[int, ...], l1: int, l2: int) -> tuple[np.ndarray, np.ndarray]:
    """Residuals and ARs rounded to one decimal (many ties, also between the two) with 5% nan."""
    est = np.round(rng.standard_normal((*lead, l1)), 1)
    ar = rng.standard_normal((*lead, l2))
    ar[..., ::3] = np.round(ar[..., ::3], 1)
    est[rng.random(est.shape) < 0.05] = np.nan
    ar[rng.random(ar.shape) < 0.05] = np.nan
    return est, ar


def _rankdata(x: np.ndarray) -> np.ndarray:
    """scipy's average ranks of each row, nan kept (the independent reference)."""
    flat = x.reshape(-1, x.shape[-1])
    out = np.array([stats.rankdata(row, nan_policy="omit") for row in flat])
    return out.reshape(x.shape)


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("lead", [(80,), (6, 15)])
def test_combined_ranks_equal_scipy_rankdata_per_row(ties: bool, lead: tuple[int, ...]) -> None:
    rng = np.random.default_rng(11)
    est, ar = _tied_data(rng, lead, 60, 7)
    if not ties:
        est, ar = rng.standard_normal(est.shape), rng.standard_normal(ar.shape)
    comb = np.concatenate([est, ar], axis=-1)
    ref = _rankdata(comb)
    k, srt, m = combined_ranks(EstimationRanks.of(est), ar, sort=True)
    np.testing.assert_allclose(k, ref, rtol=0, atol=1e-12)
    k2, srt2, m2 = rank_rows(comb)
    np.testing.assert_allclose(k2, ref, rtol=0, atol=1e-12)
    assert srt is not None
    np.testing.assert_array_equal(srt, np.sort(comb, axis=-1))
    np.testing.assert_array_equal(m, np.isfinite(comb).sum(axis=-1))
    np.testing.assert_array_equal(row_median(srt, m), np.nanmedian(comb, axis=-1))


@pytest.mark.parametrize("estudy2", [False, True])
def test_rank_scores_from_estimation_ranks_equal_a_fresh_sort(estudy2: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Merged ranks, and the blocks of samples (S x N x days above the block size), give the same scores."""
    monkeypatch.setattr(rank_module, "BLOCK_CELLS", 2048)  # small blocks: 30 x 12 x 71 cells make several
    monkeypatch.setattr(rank_module, "MERGE_RATIO", 1)  # merge the 11 ARs into the 60 residuals' sort
    rng = np.random.default_rng(3)
    est, ar = _tied_data(rng, (30, 12), 60, 11)
    er = EstimationRanks.of(est)
    whole = rank_scores(est[:3], ar[:3], estudy2)  # three samples: one block
    merged = rank_scores(est, ar, estudy2, ("corrado", "modified"), est_ranks=er)
    for f in ("dbar", "zu", "s_k", "s_u", "n_t"):
        np.testing.assert_array_equal(getattr(merged, f)[:3], getattr(whole, f))
    for got in (rank_scores(est, ar, estudy2, est_ranks=er), rank_scores(est, ar, estudy2)):
        for f in ("dbar", "zu", "zg", "s_k", "s_u", "s_g", "n_t"):
            np.testing.assert_array_equal(getattr(got, f)[:3], getattr(whole, f))
    # independent: Corrado's Dbar of sample 0 from scipy's ranks
    k = _rankdata(np.concatenate([est[0], ar[0]], axis=-1))
    m = np.isfinite(k).sum(axis=1)
    dev = k - (m[:, None] + 1) / 2
    n_t = np.isfinite(k).sum(axis=0)
    plain = np.nansum(dev, axis=0) if not estudy2 else np.nanmean(dev, axis=0) * k.shape[0]
    np.testing.assert_allclose(rank_scores(est, ar, estudy2, est_ranks=er).dbar[0], plain / n_t, rtol=1e-12)


@pytest.mark.parametrize("m", [1, 2, 7, 64, 250])
def test_row_searchsorted_equals_searchsorted_per_row(m: int) -> None:
    rng = np.random.default_rng(m)
    x = np.round(rng.standard_normal((120, m)), 1)
    x[rng.random(x.shape) < 0.1] = np.nan
    srt = np.sort(x, axis=1)
    cnt = np.isfinite(srt).sum(axis=1)
    q = np.round(rng.standard_normal((120, 4)), 1)
    q[0, 0] = np.nan
    q[1] = srt[1, 0] if cnt[1] else 0.0  # equal to an entry
    for side in ("left", "right"):
        ref = np.array([[np.searchsorted(srt[i, : cnt[i]], v, side) if not np.isnan(v) else cnt[i] for v in q[i]]
                        for i in range(q.shape[0])])
        np.testing.assert_array_equal(row_searchsorted(srt, cnt, q, side), ref)
        np.testing.assert_array_equal(row_searchsorted(srt, cnt, q[:, 1], side), ref[:, 1])


@pytest.mark.parametrize("shape", ["one query per row", "queries per row"])
def test_count_below_equals_two_searches_per_row_with_ties(shape: str) -> None:
    """Entries below and at-or-below each query (the second count taken from the first where no tie) equal
    np.searchsorted left/right of each row's valid entries, with many ties, nan queries and empty rows."""
    rng = np.random.default_rng(11)
    x = np.round(rng.standard_normal((150, 30)), 1)
    x[rng.random(x.shape) < 0.15] = np.nan
    x[4] = np.nan  # an empty row
    srt = np.sort(x, axis=1)
    cnt = np.isfinite(srt).sum(axis=1)
    k = 1 if shape == "one query per row" else 3
    q = np.round(rng.standard_normal((k, 150)), 1)
    pick = srt[np.arange(150), rng.integers(0, 30, 150)]
    q[0, ::2] = pick[::2]  # equal to an entry (or nan) in every other row
    q[0, 1] = np.nan
    queries = q[0] if k == 1 else q
    lt, le = rank_module._count_below(srt, cnt.astype(float), queries)
    for side, got in (("left", lt), ("right", le)):
        ref = np.array([[np.searchsorted(srt[i, : cnt[i]], q[s, i], side) if not np.isnan(q[s, i]) else cnt[i]
                         for i in range(150)] for s in range(k)])
        np.testing.assert_array_equal(got, ref[0] if k == 1 else ref)


def test_generalized_rank_inputs_from_estimation_ranks() -> None:
    """Reusing the residuals' sort gives the ranks of GSAR, also where s_i is zero or nan (ranked afresh)."""
    rng = np.random.default_rng(5)
    est, _ = _tied_data(rng, (40,), 80, 1)
    sigma2 = rng.uniform(0.5, 2.0, 40)
    sigma2[3], sigma2[7] = 0.0, np.nan
    fresh = generalized_rank_inputs(est, sigma2)
    reused = generalized_rank_inputs(est, sigma2, est_ranks=EstimationRanks.of(est))
    ref = _rankdata(np.where(np.isfinite(fresh.gsar), fresh.gsar, np.nan))
    for g in (fresh, reused):
        np.testing.assert_allclose(g.rank, ref, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(g.gsar, fresh.gsar)
        np.testing.assert_array_equal(g.sorted_gsar, np.sort(fresh.gsar, axis=-1))
        np.testing.assert_array_equal(g.t_i, np.isfinite(fresh.gsar).sum(axis=1) + 1.0)


def test_generalized_rank_for_stacked_days_equals_one_call_per_day() -> None:
    """(S, N) SCARs against one set of residuals (the daily table) equal S separate calls, ties included."""
    rng = np.random.default_rng(8)
    est, _ = _tied_data(rng, (60,), 90, 1)
    gr = generalized_rank_inputs(est, rng.uniform(0.5, 2.0, 60))
    scar = np.round(rng.standard_normal((5, 60)), 1)  # ties with GSAR values are likely
    scar[2, :4] = np.nan
    stacked = generalized_rank(scar, gr).stat
    for s in range(5):
        assert stacked[s] == pytest.approx(float(generalized_rank(scar[s], gr).stat), rel=1e-12)


def _rho_pairs_loop(est: np.ndarray, dates: np.ndarray, pairs: list[tuple[int, int]], min_overlap: int = 30) -> np.ndarray:
    """Pearson correlation of each listed pair on its common dates by pandas (0 under ``min_overlap``)."""
    series = [pd.Series(est[i], index=pd.to_datetime(dates[i])).dropna() for i in range(est.shape[0])]
    out = []
    for i, j in pairs:
        common = series[i].index.intersection(series[j].index)
        c = series[i][common].corr(series[j][common]) if len(common) >= min_overlap else 0.0
        out.append(0.0 if np.isnan(c) else c)
    return np.array(out)


@pytest.mark.parametrize("shuffle", [False, True])
def test_pair_correlations_equal_a_per_pair_loop(shuffle: bool) -> None:
    """Exact rho_ij by blocked products (holes from the cells' gaps; with shuffled dates, from the grid)."""
    ab = make_ab(60, 80, 5, seed=2, spread_days=40, rho=0.3, missing=0.08)
    est, dates = ab.est_resid.copy(), ab.panel.est_dates.copy()
    if shuffle:  # estimation dates not ascending within an event: the dense hole path
        perm = np.random.default_rng(0).permutation(est.shape[1])
        est, dates = est[:, perm], dates[:, perm]
    pc = pair_correlations(prepare_residuals(est, dates), ab.panel.evt_dates, pair_elements=0)
    assert pc.rho.size > 100
    ref = _rho_pairs_loop(est, dates, list(zip(pc.i.tolist(), pc.j.tolist(), strict=True)))
    np.testing.assert_allclose(pc.rho, ref, rtol=0, atol=1e-12)
    gathered = pair_correlations(prepare_residuals(est, dates), ab.panel.evt_dates)  # pair-by-pair route
    order = np.lexsort((gathered.j, gathered.i))
    mine = np.lexsort((pc.j, pc.i))
    np.testing.assert_allclose(gathered.rho[order], pc.rho[mine], rtol=0, atol=1e-12)


def test_pair_correlations_without_per_event_running_sums_equal_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """The block-local running sums (used when the events' date spans are too uneven for per-event
    tables) give the same rho_ij as the per-event tables and the pandas loop."""
    ab = make_ab(60, 80, 5, seed=4, spread_days=40, rho=0.3, missing=0.08)
    est, dates = ab.est_resid, ab.panel.est_dates
    own = pair_correlations(prepare_residuals(est, dates), ab.panel.evt_dates, pair_elements=0)
    monkeypatch.setattr(correlation_module._Runs, "of", classmethod(lambda cls, *a: None))
    local = pair_correlations(prepare_residuals(est, dates), ab.panel.evt_dates, pair_elements=0)
    np.testing.assert_array_equal(own.i, local.i)
    np.testing.assert_array_equal(own.j, local.j)
    np.testing.assert_allclose(local.rho, own.rho, rtol=1e-12, atol=0)
    ref = _rho_pairs_loop(est, dates, list(zip(local.i.tolist(), local.j.tolist(), strict=True)))
    np.testing.assert_allclose(local.rho, ref, rtol=0, atol=1e-12)


def test_r_daily_equals_r_from_pairs_per_day_with_regular_and_irregular_windows() -> None:
    ab = make_ab(50, 60, 7, seed=6, spread_days=15, rho=0.3)
    evt = ab.panel.evt_dates.copy()
    evt[::7, 3] = np.datetime64("NaT")  # irregular windows for every seventh event
    pc = pair_correlations(prepare_residuals(ab.est_resid, ab.panel.est_dates), evt)
    r, used = r_daily(pc, evt)
    for j in range(evt.shape[1]):
        r_j, used_j = r_from_pairs(pc, evt[:, j : j + 1])
        assert r[j] == pytest.approx(r_j, rel=1e-12, abs=1e-15)
        assert used[j] == used_j


def test_simulation_blocks_of_samples_give_the_numbers_of_one_block(monkeypatch: pytest.MonkeyPatch) -> None:
    uni = experiment.SyntheticMarket(sigma=0.02).draw(60, 900, seed=1)
    design = experiment.SimulationDesign(n_events=12, n_samples=30, seed=4, ar_sizes=(0.0, 0.01), variance_factor=1.5,
                                         tests=(*experiment.SIMULATION_TESTS, "modified_rank", "corrado_zivney"))
    monkeypatch.setattr(experiment, "SAMPLE_BLOCK_CELLS", 1 << 40)
    one = experiment.simulate(uni, design)
    monkeypatch.setattr(experiment, "SAMPLE_BLOCK_CELLS", 7 * 12 * 239)  # blocks of 7 samples, the last of 2
    blocks = experiment.simulate(uni, design)
    for f in ("stats", "pvalues", "pvalues_upper", "caar", "mean_cross_correlation"):
        np.testing.assert_array_equal(getattr(blocks, f), getattr(one, f), err_msg=f)


def test_blas_thread_limit_changes_no_number(monkeypatch: pytest.MonkeyPatch) -> None:
    ab = make_ab(40, 80, 7, seed=9, spread_days=20, rho=0.2, missing=0.05)
    limited = TestBattery(ab).window(-1, 1, "all")
    monkeypatch.setattr(_threads, "BLAS_THREADS", None)
    free = TestBattery(ab).window(-1, 1, "all")
    for name, res in limited.items():
        assert res.stat == pytest.approx(free[name].stat, rel=1e-12, nan_ok=True), name


def test_selected_generalized_rank_inputs_keep_the_sorted_rows() -> None:
    rng = np.random.default_rng(1)
    gr = generalized_rank_inputs(rng.standard_normal((10, 40)), np.ones(10))
    sub = gr.select(np.array([1, 4, 5]))
    assert sub.srt is not None
    np.testing.assert_array_equal(sub.sorted_gsar, np.sort(gr.gsar[[1, 4, 5]], axis=-1))
    assert dataclasses.replace(sub, srt=None).sorted_gsar.shape == (3, 40)


def test_blas_limit_is_shared_by_nested_and_concurrent_entries() -> None:
    """The first entry sets the limit, the last exit lifts it (threads may overlap in any order)."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    import threading

    def threads() -> list[int]:
        return [int(i["num_threads"]) for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]

    before = threads()
    inside: list[list[int]] = []
    gate = threading.Barrier(2)

    def work() -> None:
        with _threads.blas_limit():
            gate.wait()
            inside.append(threads())
            gate.wait()

    with _threads.blas_limit():
        assert all(n == 1 for n in threads())
        pair = [threading.Thread(target=work) for _ in range(2)]
        for t in pair:
            t.start()
        for t in pair:
            t.join()
    assert inside and all(n == 1 for row in inside for n in row)
    assert threads() == before


def test_rank_rows_orders_special_values_as_numpy_sorts_them() -> None:
    """Integer sort keys: -0.0 / +0.0 tie, subnormals order; infinities and (negative) nan are missing, last."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((50, 30))
    x[0, :6] = [np.inf, -np.inf, -0.0, 0.0, -np.nan, np.nan]
    x[1, :4] = [1e-300, -1e-300, 5e-324, -5e-324]
    x[2, :3] = [0.0, -0.0, 0.0]
    ranks, srt, counts = rank_rows(x)
    for i in range(x.shape[0]):
        ok = np.isfinite(x[i])
        np.testing.assert_array_equal(srt[i, : ok.sum()], np.sort(x[i, ok]))
        np.testing.assert_allclose(ranks[i, ok], stats.rankdata(x[i, ok]), rtol=0, atol=1e-12)
        assert np.isnan(ranks[i, ~ok]).all() and counts[i] == ok.sum()


@pytest.mark.parametrize("irregular", [False, True])
def test_r_from_pairs_equals_a_loop_over_the_pairs_common_window_dates(irregular: bool) -> None:
    """r of several CAR windows from the stored rho_ij equals sum rho_ij |dates_i & dates_j| / (L N(N-1)/2)
    by a plain loop over sets of dates: windows that are all L-position runs (the two-gather route) and
    windows with a missing date (the general route)."""
    ab = make_ab(50, 80, 11, seed=6, spread_days=30, rho=0.3)
    evt = ab.panel.evt_dates.copy()
    if irregular:
        evt[3, 4] = np.datetime64("NaT")
    pc = pair_correlations(prepare_residuals(ab.est_resid, ab.panel.est_dates), evt, pair_elements=0)
    assert pc.rho.size > 50
    n = evt.shape[0]
    for cols in (slice(5, 6), slice(4, 7), slice(0, 11)):
        w = evt[:, cols]
        sets = [{d for d in row.tolist() if d is not None} for row in w.astype("datetime64[D]")]
        ref = sum(float(r) * len(sets[i] & sets[j]) for i, j, r in zip(pc.i.tolist(), pc.j.tolist(), pc.rho, strict=True))
        used = sum(1 for i, j, r in zip(pc.i.tolist(), pc.j.tolist(), pc.rho, strict=True) if r != 0 and sets[i] & sets[j])
        r, pairs = r_from_pairs(pc, w)
        assert r == pytest.approx(ref / (w.shape[1] * n * (n - 1) / 2.0), rel=1e-12, abs=1e-15)
        assert pairs == used
