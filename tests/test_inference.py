"""The test battery against independent computations (scipy, plain per-event loops).

Every expected value here is recomputed in the test by a different code path
(a loop over events or days, scipy.stats), never copied from the library.
The estudy2 COVID case compares with the digits the R package prints
(shared/data/reference/README.md).
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _synth import make_ab
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from research_lib.conventions import ESTUDY2, TEXTBOOK
from research_lib.engine.panel import AbnormalReturns, EventPanel
from research_lib.errors import InvalidRequestError
from research_lib.inference.battery import (
    ALL_TEST_NAMES,
    EXTRA_TEST_NAMES,
    TEST_NAMES,
    TestBattery,
    TestResult,
    mean_cross_correlation,
    run_tests,
)
from research_lib.inference.correlation import kolari_pynnonen_r

N_SMALL, L1_SMALL, L2_SMALL = 7, 60, 5


@pytest.fixture(scope="module")
def ab() -> AbnormalReturns:
    """7 events, some estimation returns missing, overlapping calendar windows."""
    return make_ab(N_SMALL, L1_SMALL, L2_SMALL, seed=11, missing=0.05, spread_days=40, rho=0.2, ar0=0.01)


@pytest.fixture(scope="module")
def battery(ab: AbnormalReturns) -> TestBattery:
    return TestBattery(ab)


WINDOWS = [(0, 0), (-1, 1), (-2, 2), (1, 2)]


def _cars(ab: AbnormalReturns, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
    """CAR_i and Var(CAR_i) by a loop: sum of ARs and gamma' V_i gamma with V_i built per event."""
    tau = list(ab.panel.tau_evt)
    cols = [tau.index(t) for t in range(a, b + 1)]
    car, var = [], []
    for i in range(ab.ar.shape[0]):
        car.append(sum(ab.ar[i, c] for c in cols))
        xs = ab.x_evt_design[i][cols]  # (L, p)
        v = ab.sigma2[i] * (np.eye(len(cols)) + xs @ ab.xtx_inv[i] @ xs.T)
        var.append(float(np.ones(len(cols)) @ v @ np.ones(len(cols))))
    return np.array(car), np.array(var)


# ----------------------------------------------------------------------------- basics
def test_result_object_and_names(battery: TestBattery) -> None:
    res = battery.window(-1, 1, "all")
    assert tuple(res) == ALL_TEST_NAMES == TEST_NAMES + EXTRA_TEST_NAMES
    assert tuple(battery.window(-1, 1)) == TEST_NAMES
    for r in res.values():
        assert isinstance(r, TestResult)
        assert 0.0 <= r.pvalue <= 1.0 and math.isfinite(r.stat)
        assert r.null and r.distribution
        assert r.name in str(r) and "H0" in str(r)
    assert res["t_cross_sectional"].distribution == f"t({N_SMALL - 1})"
    with pytest.raises(InvalidRequestError, match="unknown test"):
        battery.window(0, 0, ["patel"])
    with pytest.raises(ValueError, match="event window"):
        battery.window(-9, 0)
    assert run_tests(battery.ab, (-1, 1))["bmp"] == res["bmp"]


def test_car_matches_loop(ab: AbnormalReturns) -> None:
    car, var = ab.car(-1, 2)
    car2, var2 = _cars(ab, -1, 2)
    np.testing.assert_allclose(car, car2, rtol=1e-12)
    np.testing.assert_allclose(var, var2, rtol=1e-10)


# ----------------------------------------------------------------------------- parametric
@pytest.mark.parametrize("win", WINDOWS)
def test_cross_sectional_t_and_skewness(battery: TestBattery, ab: AbnormalReturns, win: tuple[int, int]) -> None:
    car, _ = _cars(ab, *win)
    res = battery.window(*win, ["t_cross_sectional", "skewness_corrected"])
    ref = stats.ttest_1samp(car, 0.0)
    assert res["t_cross_sectional"].stat == pytest.approx(ref.statistic, rel=1e-10)
    assert res["t_cross_sectional"].pvalue == pytest.approx(ref.pvalue, rel=1e-9)
    n = car.size
    s_ratio = car.mean() / car.std(ddof=1)
    g = stats.skew(car, bias=False)  # adjusted Fisher-Pearson = N/((N-1)(N-2)) sum (x - m)^3 / s^3
    t = math.sqrt(n) * (s_ratio + g * s_ratio**2 / 3 + g**2 * s_ratio**3 / 27 + g / (6 * n))
    assert res["skewness_corrected"].stat == pytest.approx(t, rel=1e-10)
    assert res["skewness_corrected"].pvalue == pytest.approx(2 * stats.t.sf(abs(t), n - 1), rel=1e-9)


@pytest.mark.parametrize("win", WINDOWS)
def test_crude_dependence_bw1980_lamb(battery: TestBattery, ab: AbnormalReturns, win: tuple[int, int]) -> None:
    car, _ = _cars(ab, *win)
    n, length = car.size, win[1] - win[0] + 1
    # estimation-window AAR series, one estimation day at a time
    aar = []
    for j in range(ab.est_resid.shape[1]):
        vals = [ab.est_resid[i, j] for i in range(n) if np.isfinite(ab.est_resid[i, j])]
        if vals:
            aar.append(sum(vals) / len(vals))
    s_aar = float(np.std(aar, ddof=1))
    res = battery.window(*win, ["crude_dependence", "brown_warner_1980", "lamb"])
    t = car.mean() / (math.sqrt(length) * s_aar)
    assert res["crude_dependence"].stat == pytest.approx(t, rel=1e-10)
    assert res["crude_dependence"].df == len(aar) - 1
    assert res["crude_dependence"].pvalue == pytest.approx(2 * stats.t.sf(abs(t), len(aar) - 1), rel=1e-9)
    sd80 = math.sqrt(sum(ab.sigma2)) / n
    t80 = car.mean() / (math.sqrt(length) * sd80)
    assert res["brown_warner_1980"].stat == pytest.approx(t80, rel=1e-10)
    assert res["brown_warner_1980"].df == pytest.approx(np.mean(ab.n_est) - 1)
    tau = list(ab.panel.tau_evt)
    daily = []
    for t_ in range(win[0], win[1] + 1):
        c = tau.index(t_)
        factor = np.mean([ab.ar_var[i, c] / ab.sigma2[i] for i in range(n)])
        daily.append(np.mean(ab.ar[:, c]) / (s_aar * math.sqrt(factor)))
    assert res["lamb"].stat == pytest.approx(sum(daily) / math.sqrt(length), rel=1e-10)


@pytest.mark.parametrize("win", WINDOWS)
def test_patell_bmp_clm(battery: TestBattery, ab: AbnormalReturns, win: tuple[int, int]) -> None:
    car, var = _cars(ab, *win)
    tau = list(ab.panel.tau_evt)
    cols = [tau.index(t) for t in range(win[0], win[1] + 1)]
    length, n = len(cols), car.size
    csar, v = [], []
    for i in range(n):
        csar.append(sum(ab.ar[i, c] / math.sqrt(ab.ar_var[i, c]) for c in cols))
        dfr = ab.n_est[i] - ab.k
        v.append(dfr / (dfr - 2))
    z = sum(csar) / math.sqrt(length * sum(v))
    scar = car / np.sqrt(var) if length > 1 else np.array([ab.ar[i, cols[0]] / math.sqrt(ab.ar_var[i, cols[0]]) for i in range(n)])
    res = battery.window(*win, "all")
    assert res["patell"].stat == pytest.approx(z, rel=1e-10)
    assert res["patell"].pvalue == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-9)
    ref = stats.ttest_1samp(scar, 0.0)
    assert res["bmp"].stat == pytest.approx(ref.statistic, rel=1e-10)
    assert res["bmp"].pvalue == pytest.approx(ref.pvalue, rel=1e-9)
    r = battery.correlation(*win)  # r follows the CAR window tested (issue 10)
    assert res["patell_kp"].stat == pytest.approx(z / math.sqrt(1 + (n - 1) * r), rel=1e-10)
    assert res["bmp_kp"].stat == pytest.approx(ref.statistic * math.sqrt((1 - r) / (1 + (n - 1) * r)), rel=1e-10)
    assert res["clm_j1"].stat == pytest.approx(car.sum() / math.sqrt(var.sum()), rel=1e-10)
    assert res["clm_j2"].stat == pytest.approx(scar.sum() / math.sqrt(sum(v)), rel=1e-10)


def test_clm_j2_equals_textbook_form_with_complete_data() -> None:
    ab = make_ab(12, 80, 5, seed=3)  # no missing data: M_i = L1 for every event
    car, var = ab.car(-1, 1)
    j2 = math.sqrt(12 * (80 - 4) / (80 - 2)) * np.mean(car / np.sqrt(var))
    assert TestBattery(ab).window(-1, 1, ["clm_j2"])["clm_j2"].stat == pytest.approx(j2, rel=1e-10)


# ----------------------------------------------------------------------------- rank and sign
def _rank_family_by_loop(ab: AbnormalReturns, win: tuple[int, int]) -> dict[str, float]:
    """Corrado, Campbell-Wasley and Corrado-Zivney statistics, one event and one day at a time."""
    n, l1 = ab.est_resid.shape
    comb = np.concatenate([ab.est_resid, ab.ar], axis=1)
    days = comb.shape[1]
    dev = [[None] * days for _ in range(n)]
    u = [[None] * days for _ in range(n)]
    g = [[None] * days for _ in range(n)]
    for i in range(n):
        idx = [t for t in range(days) if np.isfinite(comb[i, t])]
        ranks = stats.rankdata(comb[i, idx])
        med = float(np.median(comb[i, idx]))
        for t, k in zip(idx, ranks, strict=True):
            dev[i][t] = k - (len(idx) + 1) / 2
            u[i][t] = k / (len(idx) + 1) - 0.5
            g[i][t] = float(np.sign(comb[i, t] - med))
    kbar, zu, zg = [], [], []
    for t in range(days):
        present = [i for i in range(n) if dev[i][t] is not None]
        kbar.append(sum(dev[i][t] for i in present) / len(present))
        zu.append(sum(u[i][t] for i in present) / math.sqrt(len(present)))
        zg.append(sum(g[i][t] for i in present) / math.sqrt(len(present)))
    s_k = math.sqrt(sum(x * x for x in kbar) / days)
    s_u = math.sqrt(sum(x * x for x in zu) / days)
    s_g = math.sqrt(sum(x * x for x in zg) / days)
    tau = list(ab.panel.tau_evt)
    cols = [l1 + tau.index(t) for t in range(win[0], win[1] + 1)]
    root = math.sqrt(len(cols))
    return {
        "corrado_rank": sum(kbar[c] for c in cols) / root / s_k,
        "modified_rank": sum(zu[c] for c in cols) / root / s_u,
        "corrado_zivney": sum(zg[c] for c in cols) / root / s_g,
    }


@pytest.mark.parametrize("win", WINDOWS)
def test_rank_family(battery: TestBattery, ab: AbnormalReturns, win: tuple[int, int]) -> None:
    ref = _rank_family_by_loop(ab, win)
    res = battery.window(*win, list(ref))
    for name, z in ref.items():
        assert res[name].stat == pytest.approx(z, rel=1e-10), name
        assert res[name].pvalue == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-9)


def _generalized_rank_by_loop(ab: AbnormalReturns, win: tuple[int, int]) -> tuple[float, float]:
    car, var = _cars(ab, *win)
    if win[0] == win[1]:
        c = list(ab.panel.tau_evt).index(win[0])
        scar = ab.ar[:, c] / np.sqrt(ab.ar_var[:, c])
    else:
        scar = car / np.sqrt(var)
    scar_star = scar / np.std(scar, ddof=1)
    n, l1 = ab.est_resid.shape
    u = np.full((n, l1 + 1), np.nan)
    for i in range(n):
        series = np.append(ab.est_resid[i] / math.sqrt(ab.sigma2[i]), scar_star[i])
        ok = np.isfinite(series)
        u[i, ok] = stats.rankdata(series[ok]) / (ok.sum() + 1) - 0.5
    total = 0.0
    for t in range(l1 + 1):
        col = u[:, t][np.isfinite(u[:, t])]
        total += (col.size / n) * col.mean() ** 2
    big_t = l1 + 1
    s_u = math.sqrt(total / big_t)
    z = np.mean(u[:, -1]) / s_u
    return z * math.sqrt((big_t - 2) / (big_t - 1 - z * z)), big_t - 2


@pytest.mark.parametrize("win", WINDOWS)
def test_generalized_rank(battery: TestBattery, ab: AbnormalReturns, win: tuple[int, int]) -> None:
    t, df = _generalized_rank_by_loop(ab, win)
    r = battery.window(*win, ["generalized_rank"])["generalized_rank"]
    assert r.stat == pytest.approx(t, rel=1e-10)
    assert r.df == df
    assert r.pvalue == pytest.approx(2 * stats.t.sf(abs(t), df), rel=1e-9)


@pytest.mark.parametrize("win", WINDOWS)
def test_sign_generalized_sign_wilcoxon(battery: TestBattery, ab: AbnormalReturns, win: tuple[int, int]) -> None:
    car, _ = _cars(ab, *win)
    n = car.size
    w = sum(1 for c in car if c > 0)
    fractions = []
    for i in range(n):
        e = ab.est_resid[i][np.isfinite(ab.est_resid[i])]
        fractions.append(sum(1 for x in e if x > 0) / e.size)
    p = sum(fractions) / n
    res = battery.window(*win, ["sign", "generalized_sign", "wilcoxon"])
    assert res["sign"].stat == pytest.approx((w - n / 2) / math.sqrt(n / 4), rel=1e-12)
    assert res["generalized_sign"].stat == pytest.approx((w - n * p) / math.sqrt(n * p * (1 - p)), rel=1e-12)
    ref = stats.wilcoxon(car)  # exact for 7 distinct non-zero values
    assert res["wilcoxon"].pvalue == pytest.approx(ref.pvalue, rel=1e-12)
    ranks = stats.rankdata(np.abs(car))
    assert res["wilcoxon"].stat == sum(r for r, c in zip(ranks, car, strict=True) if c > 0)
    assert res["wilcoxon"].distribution == "exact"


def test_wilcoxon_large_sample_uses_normal_approximation() -> None:
    ab = make_ab(80, 60, 3, seed=5)
    r = TestBattery(ab).window(0, 0, ["wilcoxon"])["wilcoxon"]
    ref = stats.wilcoxon(ab.ar[:, 1], method="approx")
    assert r.pvalue == pytest.approx(ref.pvalue, rel=1e-12)
    assert "approx" in r.distribution


# ----------------------------------------------------------------------------- KP correlation
def _rho_loop(est: np.ndarray, dates: np.ndarray, min_overlap: int = 30) -> np.ndarray:
    """Pairwise Pearson correlations of the residuals on each pair's common dates, by a plain
    loop (pandas; 0 with fewer than ``min_overlap`` common dates)."""
    n = est.shape[0]
    series = [pd.Series(est[i], index=pd.to_datetime(dates[i])).dropna() for i in range(n)]
    rho = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            common = series[i].index.intersection(series[j].index)
            if len(common) >= min_overlap:
                c = series[i][common].corr(series[j][common])
                rho[i, j] = 0.0 if np.isnan(c) else c
    return rho


def _kp_loop(rho: np.ndarray, win: np.ndarray | None = None) -> float:
    """Kolari-Pynnönen r by a plain loop over pairs: rho_ij o_ij / L averaged over all N(N-1)/2 pairs,
    o_ij the calendar dates the two CAR windows share (o_ij = L for every pair without ``win``)."""
    n = rho.shape[0]
    length = 1 if win is None else win.shape[1]
    total = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            o = length if win is None else len(set(win[i].tolist()) & set(win[j].tolist()))
            total += rho[i, j] * o / length
    return total / (n * (n - 1) / 2)


@pytest.mark.parametrize("missing", [0.0, 0.1])
@pytest.mark.parametrize(("block", "pair_elements"), [(256, 0), (5, 0), (256, 10**9)])
def test_kp_r_follows_the_car_window_and_matches_a_pair_loop(missing: float, block: int, pair_elements: int) -> None:
    """Matrix products in one block, in many blocks with partners across them, and gathered per pair."""
    ab = make_ab(40, 60, 5, seed=8, spread_days=90, rho=0.3, missing=missing)
    est, dates = ab.est_resid, ab.panel.est_dates
    rho = _rho_loop(est, dates)
    for win in [(0, 0), (-1, 1), (-2, 2), (1, 2)]:
        wd = ab.panel.evt_dates[:, ab.window_index(*win)]
        r, pairs = kolari_pynnonen_r(est, dates, wd, block=block, pair_elements=pair_elements)
        assert float(r) == pytest.approx(_kp_loop(rho, wd), rel=1e-10, abs=1e-14), win
        assert 0 < pairs < 40 * 39 // 2  # staggered events: some CAR windows do not meet
        assert TestBattery(ab).correlation(*win) == pytest.approx(float(r), rel=1e-12)
    r_one, _ = mean_cross_correlation(est, dates)  # no windows: every pair as if on one date
    assert r_one == pytest.approx(_kp_loop(rho), rel=1e-10)


def test_battery_r_from_stored_pairs_equals_the_direct_computation() -> None:
    """TestBattery keeps rho_ij of the pairs whose event windows meet and re-weights them per window;
    with a hole in some CAR windows (non-contiguous dates) it still equals kolari_pynnonen_r."""
    ab = make_ab(30, 60, 5, seed=4, spread_days=30, rho=0.2, missing=0.05)
    evt = ab.panel.evt_dates.copy()
    evt[::4, 2] = np.datetime64("NaT")  # day 0 missing for every fourth event
    ab = dataclasses.replace(ab, panel=dataclasses.replace(ab.panel, evt_dates=evt))
    battery = TestBattery(ab)
    for win in [(0, 0), (-1, 1), (-2, 2)]:
        wd = evt[:, ab.window_index(*win)]
        r, pairs = kolari_pynnonen_r(ab.est_resid, ab.panel.est_dates, wd)
        assert battery.correlation(*win) == pytest.approx(float(r), rel=1e-12, abs=1e-15), win
        assert battery._correlation(*win)[1] == int(pairs)


def test_daily_r_of_every_day_matches_the_pair_loop_and_the_window_path() -> None:
    """r of all one-day windows in one pass (r_daily) equals the per-pair loop of each day, with
    missing residuals and a missing day-0 date; the daily table with a missing AR equals window(t, t)."""
    ab = make_ab(30, 60, 5, seed=5, spread_days=20, rho=0.25, missing=0.05)
    evt = ab.panel.evt_dates.copy()
    evt[::5, 2] = np.datetime64("NaT")
    ar = ab.ar.copy()
    ar[3, 1] = np.nan  # one event without an AR on day -1: a second set of events
    ab = dataclasses.replace(ab, ar=ar, panel=dataclasses.replace(ab.panel, evt_dates=evt))
    battery = TestBattery(ab)
    rho = _rho_loop(ab.est_resid, ab.panel.est_dates)
    d = battery.daily("all")
    for j, t in enumerate(ab.panel.tau_evt):
        day = evt[:, j]
        n = day.size
        loop = sum(rho[a, b] for a in range(n) for b in range(a + 1, n) if not np.isnat(day[a]) and day[a] == day[b])
        assert battery.correlation(int(t), int(t)) == pytest.approx(loop / (n * (n - 1) / 2), rel=1e-10, abs=1e-14)
        w = battery.window(int(t), int(t), "all")
        for name, res in w.items():
            assert d[f"{name}_stat"][j] == pytest.approx(res.stat, rel=1e-12, nan_ok=True), (t, name)
            assert d[f"{name}_p"][j] == pytest.approx(res.pvalue, rel=1e-12, nan_ok=True), (t, name)
    assert d["n"][1] == 29


def test_kp_r_with_a_leading_samples_axis() -> None:
    ab = make_ab(30, 60, 5, seed=3, spread_days=40, rho=0.2, missing=0.05)
    wd = ab.panel.evt_dates[:, ab.window_index(-1, 1)]
    est, dates = ab.est_resid.reshape(3, 10, -1), ab.panel.est_dates.reshape(3, 10, -1)
    r, pairs = kolari_pynnonen_r(est, dates, wd.reshape(3, 10, -1))
    assert r.shape == pairs.shape == (3,)
    for s in range(3):
        assert r[s] == pytest.approx(_kp_loop(_rho_loop(est[s], dates[s]), wd.reshape(3, 10, -1)[s]), rel=1e-10, abs=1e-14)


def test_mean_cross_correlation_common_dates_equals_pearson() -> None:
    """All events on one date: r is Kolari and Pynnönen's mean residual correlation, for every window."""
    ab = make_ab(25, 100, 3, seed=9, same_date=True, rho=0.25)
    c = np.corrcoef(ab.est_resid)
    ref = c[np.triu_indices(25, 1)].mean()
    battery = TestBattery(ab)
    assert battery.mean_cross_correlation == pytest.approx(ref, rel=1e-10)
    assert battery.correlation(0, 0) == pytest.approx(ref, rel=1e-10)
    assert battery.correlation(-1, 1) == pytest.approx(ref, rel=1e-10)


def test_mean_cross_correlation_disjoint_windows_is_zero() -> None:
    ab = make_ab(5, 60, 3, seed=1, spread_days=5000)
    starts = np.sort(ab.panel.est_dates[:, 0])
    assert np.all(np.diff(starts) > np.timedelta64(120, "D"))  # 60 sessions < 120 calendar days: no overlap
    assert mean_cross_correlation(ab.est_resid, ab.panel.est_dates) == (0.0, 0)
    ab1 = make_ab(1, 60, 3, seed=1)
    assert TestBattery(ab1).mean_cross_correlation == 0.0


# ----------------------------------------------------------------------------- daily table
def test_daily_matches_single_day_windows(battery: TestBattery, ab: AbnormalReturns) -> None:
    d = battery.daily()
    assert list(d["tau"]) == list(ab.panel.tau_evt)
    assert set(f"{n}_stat" for n in TEST_NAMES) <= set(d.columns)
    np.testing.assert_allclose(d["aar"], ab.ar.mean(axis=0), rtol=1e-12)
    assert (d["n"] == N_SMALL).all()
    for t in (-2, 0, 2):
        row = d.set_index("tau").loc[t]
        w = battery.window(t, t)
        for name in TEST_NAMES:
            assert row[f"{name}_stat"] == pytest.approx(w[name].stat, rel=1e-12)
            assert row[f"{name}_p"] == pytest.approx(w[name].pvalue, rel=1e-12)


# ----------------------------------------------------------------------------- properties
def _permuted(ab: AbnormalReturns, perm: np.ndarray) -> AbnormalReturns:
    panel = ab.panel.select(np.ones(ab.ar.shape[0], bool))
    pk = {f.name: getattr(panel, f.name) for f in dataclasses.fields(panel)}
    for name, val in pk.items():
        if isinstance(val, np.ndarray) and val.ndim >= 1 and val.shape[0] == ab.ar.shape[0] and name not in ("tau_est", "tau_evt"):
            pk[name] = val[perm]
    kw = {f.name: getattr(ab, f.name) for f in dataclasses.fields(ab)}
    for name in ("params", "n_est", "sigma2", "df", "est_resid", "ar", "ar_var", "xtx_inv", "x_evt_design"):
        kw[name] = kw[name][perm]
    kw["panel"] = EventPanel(**pk)
    return AbnormalReturns(**kw)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), a=st.integers(-2, 2), length=st.integers(0, 2))
def test_reordering_events_changes_nothing(seed: int, a: int, length: int) -> None:
    ab = make_ab(9, 50, 5, seed=seed, missing=0.05, spread_days=30, rho=0.1)
    b = min(a + length, 2)
    perm = np.random.default_rng(seed).permutation(9)
    r1 = TestBattery(ab).window(a, b, "all")
    bat2 = TestBattery(_permuted(ab, perm))
    r2 = bat2.window(a, b, "all")
    assert bat2.mean_cross_correlation == pytest.approx(TestBattery(ab).mean_cross_correlation, rel=1e-6, abs=1e-12)
    for name in ALL_TEST_NAMES:
        assert r2[name].stat == pytest.approx(r1[name].stat, rel=1e-6, abs=1e-12), name
        assert r2[name].pvalue == pytest.approx(r1[name].pvalue, rel=1e-6, abs=1e-12), name


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), a=st.integers(-3, 3), length=st.integers(0, 6))
def test_car_is_the_sum_of_ars(seed: int, a: int, length: int) -> None:
    ab = make_ab(6, 40, 7, seed=seed)
    b = min(a + length, 3)
    cols = (ab.panel.tau_evt >= a) & (ab.panel.tau_evt <= b)
    car = ab.ar[:, cols].sum(axis=1)
    r = TestBattery(ab).window(a, b, ["t_cross_sectional", "sign"])
    assert r["t_cross_sectional"].stat == pytest.approx(stats.ttest_1samp(car, 0.0).statistic, rel=1e-9)
    assert r["sign"].stat == pytest.approx(((car > 0).sum() - 3) / math.sqrt(1.5), rel=1e-12)


# ----------------------------------------------------------------------------- edge cases
def test_single_event_gives_nan_with_a_note() -> None:
    ab = make_ab(1, 60, 5, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from nan arithmetic
        res = TestBattery(ab).window(-1, 1, "all")
    for name in ("t_cross_sectional", "bmp", "bmp_kp", "skewness_corrected", "generalized_rank"):
        assert math.isnan(res[name].stat) and math.isnan(res[name].pvalue), name
        assert res[name].note, name
    car, var = ab.car(-1, 1)
    assert res["clm_j1"].stat == pytest.approx(car[0] / math.sqrt(var[0]), rel=1e-12)
    assert math.isfinite(res["patell"].stat) and res["wilcoxon"].pvalue == 1.0


def test_all_missing_event_window() -> None:
    ab = make_ab(6, 60, 5, seed=2)
    ar = ab.ar.copy()
    ar[:, :] = np.nan
    bad = dataclasses.replace(ab, ar=ar)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bat = TestBattery(bad)
        res = bat.window(0, 0, "all")
        daily = bat.daily()
    assert all(math.isnan(r.stat) for r in res.values())
    assert all(r.n == 0 for r in res.values())
    assert (daily["n"] == 0).all() and daily["aar"].isna().all()


def test_missing_ar_drops_event_from_window() -> None:
    ab = make_ab(8, 60, 5, seed=4)
    ar = ab.ar.copy()
    ar[3, 2] = np.nan  # tau = 0 of event 3
    res = TestBattery(dataclasses.replace(ab, ar=ar)).window(-1, 1)
    car = np.delete(ar[:, 1:4].sum(axis=1), 3)
    assert res["t_cross_sectional"].n == 7
    assert res["t_cross_sectional"].stat == pytest.approx(stats.ttest_1samp(car, 0.0).statistic, rel=1e-10)


def test_zero_cross_sectional_variance() -> None:
    ab = make_ab(5, 60, 3, seed=6)
    ar = np.tile(ab.ar[:1], (5, 1))  # every event has the same ARs
    res = TestBattery(dataclasses.replace(ab, ar=ar)).window(0, 0, "all")
    assert math.isnan(res["t_cross_sectional"].stat) and "zero" in res["t_cross_sectional"].note
    assert math.isnan(res["skewness_corrected"].stat)
    zero = dataclasses.replace(ab, ar_var=np.zeros_like(ab.ar_var))  # S_it = 0: SAR undefined
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res0 = TestBattery(zero).window(0, 0, ["patell", "bmp"])
    assert math.isnan(res0["patell"].stat) and math.isnan(res0["bmp"].stat)


# ----------------------------------------------------------------------------- estudy2 COVID example
ESTUDY2_PRINTED = {  # shared/data/reference/README.md, days 2020-03-16 .. 2020-03-20
    "aar": [0.02329740, -0.03157867, -0.01617850, 0.07672027, 0.05840545],
    "brown_warner_1980": [2.486449, -3.370281, -1.726675, 8.188085, 6.233409],
    "crude_dependence": [1.858514, -2.519140, -1.290615, 6.120241, 4.659205],
    "t_cross_sectional": [1.3941497, -1.2769075, -0.4023135, 1.7958275, 5.1233281],
    "patell": [2.5507399, -2.9495613, 0.3283654, 8.4216222, 6.3196352],
    "bmp": [1.20471169, -1.17531339, 0.07606284, 2.16657728, 8.65212561],
    "lamb": [1.620049, -2.435456, -1.254626, 6.105794, 4.565195],
    "sign": [1.1338934, 0.3779645, 1.1338934, 1.8898224, 2.6457513],
    "generalized_sign": [1.1516761, 0.3957301, 1.1516761, 1.9076220, 2.6635680],
    "corrado_zivney": [0.8636930, 0.2878977, 0.8636930, 1.4394883, 2.0152836],
    "corrado_rank": [0.7962064, -0.1857202, 1.0205417, 2.1127972, 2.9255529],
    "modified_rank": [0.8499246, -0.2283881, 0.9865178, 2.1665371, 2.9786668],
    "wilcoxon": [23, 10, 15, 27, 28],
}
README_TEXTBOOK = {
    "corrado_rank": [0.8166, -0.1905, 1.0467, 2.1669, 3.0005],
    "modified_rank": [0.8673, -0.2331, 1.0067, 2.2109, 3.0397],
    "corrado_zivney": [0.8859, 0.2953, 0.8859, 1.4764, 2.0670],
}


def _covid_ab(shared_data: Path, conventions) -> AbnormalReturns:  # noqa: ANN001
    """The estudy2 vignette by hand: market model by OLS on each security's complete cases,
    residual SD with n - 1, forecast error with the market mean over the whole window."""
    ref = shared_data / "reference" / "estudy2_covid"
    rates = pd.read_csv(ref / "rates.csv", index_col=0, parse_dates=True)
    mkt = pd.read_csv(ref / "rates_indx.csv", index_col=0, parse_dates=True).iloc[:, 0]
    est, evt = rates.loc[:"2020-03-13"], rates.loc["2020-03-16":"2020-03-20"]
    m_est, m_evt = mkt.loc[est.index].to_numpy(), mkt.loc[evt.index].to_numpy()
    n, l1, l2 = rates.shape[1], len(est), len(evt)
    alpha, beta, sigma2, m_i = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
    resid = np.full((n, l1), np.nan)
    for i, sym in enumerate(rates.columns):
        y = est[sym].to_numpy()
        ok = np.isfinite(y)
        fit = stats.linregress(m_est[ok], y[ok])
        alpha[i], beta[i], m_i[i] = fit.intercept, fit.slope, ok.sum()
        resid[i, ok] = y[ok] - fit.intercept - fit.slope * m_est[ok]
        sigma2[i] = np.var(resid[i, ok], ddof=1)
    ar = evt.to_numpy().T - alpha[:, None] - beta[:, None] * m_evt[None, :]
    mbar, ss = m_est.mean(), ((m_est - m_est.mean()) ** 2).sum()
    ar_var = sigma2[:, None] * (1 + 1 / m_i[:, None] + ((m_evt - mbar) ** 2 / ss)[None, :])
    d_est = np.tile(est.index.to_numpy().astype("datetime64[ns]"), (n, 1))
    d_evt = np.tile(evt.index.to_numpy().astype("datetime64[ns]"), (n, 1))
    syms = np.array(rates.columns)
    panel = EventPanel(
        event_ids=syms, symbols=syms, benchmarks=np.array(["^GSPC"] * n), day0=d_evt[:, 0],
        tau_est=np.arange(-l1, 0), tau_evt=np.arange(l2), est_dates=d_est, evt_dates=d_evt,
        y_est=est.to_numpy().T, y_evt=evt.to_numpy().T, x_est=np.tile(m_est, (n, 1))[..., None],
        x_evt=np.tile(m_evt, (n, 1))[..., None], r_evt=evt.to_numpy().T, offset_evt=np.zeros((n, l2)), x_names=("mkt",),
    )
    design = np.stack([np.ones((n, l2)), np.tile(m_evt, (n, 1))], axis=2)
    return AbnormalReturns(
        panel=panel, model="market", param_names=("alpha", "beta"), params=np.c_[alpha, beta], k=2, n_est=m_i,
        sigma2=sigma2, df=m_i - 2, est_resid=resid, ar=ar, ar_var=ar_var, xtx_inv=np.zeros((n, 2, 2)),
        x_evt_design=design, conventions=conventions,
    )


def test_estudy2_covid_printed_values(shared_data: Path) -> None:
    ab = _covid_ab(shared_data, ESTUDY2)
    np.testing.assert_allclose(ab.params[:, 0], [0.000134, 0.002517, -0.002549, -0.000140, 0.002955, 0.000280, -0.003810], atol=5e-7)
    np.testing.assert_allclose(ab.params[:, 1], [0.8646, 0.3064, 1.1344, 0.9582, 1.2273, 1.0341, 0.6928], atol=5e-5)
    daily = TestBattery(ab).daily(list(ESTUDY2_PRINTED)[1:])
    np.testing.assert_allclose(daily["aar"], ESTUDY2_PRINTED["aar"], atol=5e-9)
    for name, printed in list(ESTUDY2_PRINTED.items())[1:]:
        # estudy2 prints 6-7 decimals (half a unit: 5e-7); Lamb differs by 1/mean(M) vs mean(1/M) (~4e-6 relative)
        atol = 3e-5 if name == "lamb" else 5.01e-7
        np.testing.assert_allclose(daily[f"{name}_stat"], printed, rtol=0, atol=atol, err_msg=name)


def test_estudy2_covid_textbook_rank_values(shared_data: Path) -> None:
    """Textbook aggregation: plain sums over the securities present.

    The README's textbook values drop estudy2's rowMeans x ncol quirk but keep
    its T = mean number of valid days per security (239.14); ours divide by the
    245 days of the combined window, so they differ by exactly sqrt(245 / 239.14).
    """
    ab = _covid_ab(shared_data, TEXTBOOK)
    valid_days = np.isfinite(np.concatenate([ab.est_resid, ab.ar], axis=1)).sum(axis=1)
    scale = math.sqrt(np.mean(valid_days) / 245)
    daily = TestBattery(ab).daily(list(README_TEXTBOOK))
    for name, vals in README_TEXTBOOK.items():
        np.testing.assert_allclose(daily[f"{name}_stat"] * scale, vals, atol=6e-5, err_msg=name)
    quirk = TestBattery(_covid_ab(shared_data, ESTUDY2)).daily(["corrado_rank"])
    assert (daily["corrado_rank_stat"].abs() > quirk["corrado_rank_stat"].abs()).all()


def test_kp_correlation_counts_only_pairs_whose_event_windows_meet() -> None:
    """The same stock studied twice: shared estimation residuals, but CAR windows apart -> r = 0."""
    rng = np.random.default_rng(3)
    days = np.datetime64("2024-01-01", "ns") + np.arange(400).astype("timedelta64[D]")
    shocks = rng.normal(size=400)
    est = np.stack([shocks[0:200], shocks[60:260], shocks[100:300]])  # heavily overlapping estimation windows
    est_dates = np.stack([days[0:200], days[60:260], days[100:300]])
    evt_dates = np.stack([days[210:221], days[270:281], days[305:316]])  # event windows do not meet
    r_all, pairs_all = mean_cross_correlation(est, est_dates)
    assert r_all > 0.9 and pairs_all == 3  # identical shocks on common dates
    assert mean_cross_correlation(est, est_dates, evt_dates=evt_dates) == (0.0, 0)
    evt_meet = evt_dates.copy()
    evt_meet[1] = days[215:226]  # now the windows of events 0 and 1 share 6 of their 11 dates
    r, pairs = mean_cross_correlation(est, est_dates, evt_dates=evt_meet)
    common = slice(60, 200)  # events 0 and 1 share shocks 60..199 (140 dates)
    rho = np.corrcoef(shocks[common], shocks[common])[0, 1]
    assert pairs == 1 and r == pytest.approx(rho * 6 / 11 / 3, rel=1e-12)
    assert r == pytest.approx(_kp_loop(_rho_loop(est, est_dates), evt_meet), rel=1e-12)


def test_patell_scaling_for_the_market_adjusted_model_uses_its_variance_df() -> None:
    """Market-adjusted ARs: s^2 has M - 1 degrees of freedom, so Var(SAR) = (M - 1)/(M - 3)."""
    from dataclasses import replace

    ab = make_ab(12, 80, 5, seed=21)
    ma = replace(ab, k=0, model="market_adjusted")
    z = TestBattery(ma).window(0, 0, ["patell"])["patell"].stat
    m = ma.n_est.astype(float)
    day0 = list(ma.panel.tau_evt).index(0)
    assert z == pytest.approx(ma.sar[:, day0].sum() / np.sqrt(np.sum((m - 1) / (m - 3))), rel=1e-12)
