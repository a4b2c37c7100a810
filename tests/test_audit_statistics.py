"""Audit: every statistic of a study recomputed from the formulas, with plain numpy/scipy/statsmodels.

The panels are fresh (seeds not used elsewhere): staggered event dates with
overlapping windows, securities with missing prices in their estimation windows
(so M_i differs across events) and one security listed late (a short estimation
window).  Nothing here calls a research_lib helper except ``event_study`` itself
and ``sessions`` for the trading calendar; formulas from docs/methods.md:
MacKinlay (1997), Campbell, Lo and MacKinlay (1997) ch. 4, Patell (1976),
Boehmer, Musumeci and Poulsen (1991), Kolari and Pynnonen (2010, 2011),
Corrado (1989), Campbell and Wasley (1993), Cowan (1992), Hall (1992),
Scholes and Williams (1977).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from research_lib.listings.calendars import sessions
from research_lib.study import event_study

SESS = sessions("AAA", "2015-01-01", "2019-12-31")
EST = (-250, -11)
EVW = (-10, 10)
CARW = [(-1, 1), (0, 5)]
SEEDS = [20261202, 7310]


@dataclass
class Case:
    prices: dict[str, pd.Series]
    events: pd.DataFrame


def _case(seed: int, n: int = 12) -> Case:
    rng = np.random.default_rng(seed)
    g = len(SESS)
    rm = rng.normal(0.0003, 0.011, g)
    common = rng.normal(0, 1, g)
    prices = {"^GSPC": pd.Series(2000 * np.cumprod(1 + rm), index=SESS)}
    rows = []
    base = rng.integers(400, 900)
    for i in range(n):
        sym = f"S{i:02d}"
        beta = rng.uniform(0.5, 1.6)
        s = rng.uniform(0.008, 0.03)
        e = s * (np.sqrt(0.3) * common + np.sqrt(0.7) * rng.normal(0, 1, g))
        r = rng.normal(0.0002, 0.0003) + beta * rm + e
        # staggered: clusters of dates a few days apart so CAR windows partly overlap
        d0 = int(base + (i // 3) * 40 + rng.integers(0, 4))
        r[d0] += 0.02  # a planted effect on day 0
        p = pd.Series(30 * np.cumprod(1 + r), index=SESS)
        # missing prices inside the estimation window (never in the event window)
        k = int(rng.integers(0, 25))
        drop = rng.choice(np.arange(d0 + EST[0], d0 + EST[1] - 1), size=k, replace=False)
        p.iloc[drop] = np.nan
        if i == n - 1:  # listed late: only ~160 estimation returns
            p.iloc[: d0 - 170] = np.nan
        prices[sym] = p.dropna()
        rows.append({"event_id": f"e{i}", "symbol": sym, "benchmark": "^GSPC", "event_date": SESS[d0]})
    return Case(prices, pd.DataFrame(rows))


def _returns(p: pd.Series) -> np.ndarray:
    """Session returns; a missing price makes its return and the next one missing."""
    x = p.reindex(SESS).to_numpy(dtype=float)
    r = np.full(len(x), np.nan)
    r[1:] = x[1:] / x[:-1] - 1.0
    return r


@dataclass
class Oracle:
    """Per-event quantities from the textbook formulas."""

    alpha: np.ndarray
    beta: np.ndarray
    sigma: np.ndarray
    m: np.ndarray
    est_resid: np.ndarray  # (N, L1)
    est_dates: np.ndarray  # (N, L1) session positions
    ar: np.ndarray  # (N, L2)
    evt_pos: np.ndarray  # (N, L2)
    car: dict[tuple[int, int], np.ndarray]
    var_car: dict[tuple[int, int], np.ndarray]
    bhar: np.ndarray


def _oracle(c: Case) -> Oracle:
    rm = _returns(c.prices["^GSPC"])
    out: dict[str, list] = {k: [] for k in ("a", "b", "s", "m", "res", "ed", "ar", "ep", "bhar")}
    car: dict[tuple[int, int], list] = {w: [] for w in CARW}
    vcar: dict[tuple[int, int], list] = {w: [] for w in CARW}
    for _, ev in c.events.iterrows():
        ri = _returns(c.prices[ev["symbol"]])
        i0 = SESS.get_loc(ev["event_date"])
        est = np.arange(i0 + EST[0], i0 + EST[1] + 1)
        evt = np.arange(i0 + EVW[0], i0 + EVW[1] + 1)
        ok = np.isfinite(ri[est]) & np.isfinite(rm[est])
        y, x = ri[est][ok], rm[est][ok]
        fit = sm.OLS(y, sm.add_constant(x)).fit()
        a, b = fit.params
        m = ok.sum()
        s2 = fit.ssr / (m - 2)
        res = np.full(len(est), np.nan)
        res[ok] = fit.resid
        ar = ri[evt] - a - b * rm[evt]
        xbar, sxx = x.mean(), ((x - x.mean()) ** 2).sum()
        for w in CARW:
            sel = slice(w[0] - EVW[0], w[1] - EVW[0] + 1)
            l2 = w[1] - w[0] + 1
            car[w].append(ar[sel].sum())
            vcar[w].append(s2 * (l2 + l2**2 / m + (rm[evt][sel] - xbar).sum() ** 2 / sxx))
        out["bhar"].append(np.prod(1 + ri[evt]) - np.prod(1 + a + b * rm[evt]))
        for k, v in zip(("a", "b", "s", "m", "res", "ed", "ar", "ep"), (a, b, np.sqrt(s2), m, res, est, ar, evt), strict=True):
            out[k].append(v)
    arr = {k: np.array(v) for k, v in out.items()}
    return Oracle(arr["a"], arr["b"], arr["s"], arr["m"].astype(float), arr["res"], arr["ed"], arr["ar"], arr["ep"],
                  {w: np.array(v) for w, v in car.items()}, {w: np.array(v) for w, v in vcar.items()}, arr["bhar"])


@pytest.fixture(scope="module", params=SEEDS)
def run(request: pytest.FixtureRequest) -> tuple[Case, Oracle, object]:
    c = _case(request.param)
    res = event_study(c.events, prices=c.prices, estimation_window=EST, event_window=EVW, car_windows=CARW,
                      tests="all", min_estimation=100)
    return c, _oracle(c), res


def _col(res, name: str) -> np.ndarray:
    return res.events[name].to_numpy(dtype=float)


def test_market_model_fit_and_var_car(run) -> None:
    c, o, res = run
    assert res.n_events == len(c.events)
    assert np.ptp(o.m) > 20  # unequal estimation lengths really are in the case
    np.testing.assert_allclose(_col(res, "alpha"), o.alpha, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(_col(res, "beta"), o.beta, rtol=1e-9)
    np.testing.assert_allclose(_col(res, "sigma"), o.sigma, rtol=1e-9)
    np.testing.assert_allclose(res.abnormal.ar, o.ar, rtol=1e-9, atol=1e-13)
    np.testing.assert_array_equal(res.events["n_est"].to_numpy(), o.m)
    for w in CARW:
        key = f"[{w[0]},{w[1]}]"
        np.testing.assert_allclose(_col(res, f"car{key}"), o.car[w], rtol=1e-9, atol=1e-13)
        np.testing.assert_allclose(_col(res, f"se{key}"), np.sqrt(o.var_car[w]), rtol=1e-9)
    cars = res.car_table()
    for w, row in zip(CARW, cars.itertuples(), strict=True):
        np.testing.assert_allclose(row.car, o.car[w].mean(), rtol=1e-9)
        # CAAR se of the table: the cross-sectional one, t(N - 1)
        np.testing.assert_allclose(row.se, o.car[w].std(ddof=1) / np.sqrt(len(o.alpha)), rtol=1e-9)


def _test(res, w: tuple[int, int], name: str):
    return res.tests[f"{w[0]},{w[1]}"][name]


def _scar(o: Oracle, w) -> np.ndarray:
    return o.car[w] / np.sqrt(o.var_car[w])


def test_parametric_tests(run) -> None:
    _, o, res = run
    n = len(o.alpha)
    v = (o.m - 2) / (o.m - 4)
    for w in CARW:
        car, scar, l2 = o.car[w], _scar(o, w), w[1] - w[0] + 1
        t_cs = car.mean() / (car.std(ddof=1) / np.sqrt(n))
        np.testing.assert_allclose(_test(res, w, "t_cross_sectional").stat, t_cs, rtol=1e-9)
        # Patell on the window: CSAR_i = sum of the daily SAR_it (each with its own S_it)
        s_it = _sar_daily(o)
        sel = slice(w[0] - EVW[0], w[1] - EVW[0] + 1)
        csar = s_it[:, sel].sum(axis=1)
        # methods.md writes the averaged form (1/sqrt N) sum_i CSAR_i / sqrt(L v_i); the library documents
        # (parametric.patell Notes) that it uses the pooled form sum_i CSAR_i / sqrt(L sum_i v_i), equal when
        # every M_i is the same.  Check the pooled form exactly and that the two differ only through unequal M_i.
        z_pooled = csar.sum() / np.sqrt(l2 * v.sum())
        z_avg = np.sum(csar / np.sqrt(l2 * v)) / np.sqrt(n)
        np.testing.assert_allclose(_test(res, w, "patell").stat, z_pooled, rtol=1e-9)
        assert abs(z_pooled - z_avg) < 0.01 * abs(z_avg) + 1e-3
        t_bmp = np.sqrt(n) * scar.mean() / scar.std(ddof=1)
        np.testing.assert_allclose(_test(res, w, "bmp").stat, t_bmp, rtol=1e-9)
        j1 = car.mean() / np.sqrt(o.var_car[w].sum() / n**2)
        np.testing.assert_allclose(_test(res, w, "clm_j1").stat, j1, rtol=1e-9)
        j2 = scar.sum() / np.sqrt(v.sum())  # = sqrt(N (L1-4)/(L1-2)) mean SCAR when every M_i = L1
        np.testing.assert_allclose(_test(res, w, "clm_j2").stat, j2, rtol=1e-9)
        s = car.std(ddof=1)
        big_s = car.mean() / s
        g = n / ((n - 1) * (n - 2)) * np.sum((car - car.mean()) ** 3) / s**3
        t_sk = np.sqrt(n) * (big_s + g * big_s**2 / 3 + g**2 * big_s**3 / 27 + g / (6 * n))
        np.testing.assert_allclose(_test(res, w, "skewness_corrected").stat, t_sk, rtol=1e-9)


def _sar_daily(o: Oracle) -> np.ndarray:
    """SAR_it = AR_it / S_it, S_it^2 = s^2 (1 + 1/M + (R_mt - xbar)^2 / Sxx), recomputed here."""
    out = np.empty_like(o.ar)
    for i in range(len(o.alpha)):
        ok = np.isfinite(o.est_resid[i])
        # rebuild the market returns of the estimation and event days of this event
        x_est = _RM[o.est_dates[i]][ok]
        x_evt = _RM[o.evt_pos[i]]
        xbar, sxx = x_est.mean(), ((x_est - x_est.mean()) ** 2).sum()
        s2 = o.sigma[i] ** 2
        out[i] = o.ar[i] / np.sqrt(s2 * (1 + 1 / o.m[i] + (x_evt - xbar) ** 2 / sxx))
    return out


_RM = np.empty(0)


@pytest.fixture(autouse=True)
def _market(run) -> None:
    global _RM
    _RM = _returns(run[0].prices["^GSPC"])


def test_kolari_pynnonen_staggered_r(run) -> None:
    _, o, res = run
    n = len(o.alpha)
    for w in CARW:
        l2 = w[1] - w[0] + 1
        lo, hi = o.evt_pos[:, 0] + (w[0] - EVW[0]), o.evt_pos[:, 0] + (w[1] - EVW[0])
        terms = []
        for i, j in combinations(range(n), 2):
            di = pd.Series(o.est_resid[i], index=o.est_dates[i]).dropna()
            dj = pd.Series(o.est_resid[j], index=o.est_dates[j]).dropna()
            both = di.index.intersection(dj.index)
            overlap = max(0, min(hi[i], hi[j]) - max(lo[i], lo[j]) + 1)
            rho = np.corrcoef(di[both], dj[both])[0, 1] if len(both) > 2 else 0.0
            terms.append(rho * overlap / l2 if overlap else 0.0)
        r = float(np.mean(terms))
        assert any(t != 0 for t in terms) and any(t == 0 for t in terms)  # overlapping and disjoint pairs
        scar = _scar(o, w)
        t_bmp = np.sqrt(n) * scar.mean() / scar.std(ddof=1)
        adj = t_bmp * np.sqrt((1 - r) / (1 + (n - 1) * r))
        np.testing.assert_allclose(_test(res, w, "bmp_kp").stat, adj, rtol=1e-7)


def test_rank_tests_with_missing_days(run) -> None:
    _, o, res = run
    comb = np.concatenate([o.est_resid, o.ar], axis=1)
    l1 = o.est_resid.shape[1]
    k = np.full(comb.shape, np.nan)
    m_i = np.isfinite(comb).sum(axis=1)
    for i in range(len(comb)):
        ok = np.isfinite(comb[i])
        k[i, ok] = stats.rankdata(comb[i, ok])
    n_t = np.isfinite(comb).sum(axis=0)
    dbar = np.nansum(k - (m_i[:, None] + 1) / 2, axis=0) / n_t  # Corrado, mean rank per event (M_i + 1) / 2
    u = k / (m_i[:, None] + 1) - 0.5  # Campbell and Wasley (1993)
    zt = np.nansum(u, axis=0) / np.sqrt(n_t)
    s_k = np.sqrt(np.mean(dbar**2))
    s_u = np.sqrt(np.mean(zt**2))
    for w in CARW:
        cols = np.arange(l1 + w[0] - EVW[0], l1 + w[1] - EVW[0] + 1)
        l2 = len(cols)
        np.testing.assert_allclose(_test(res, w, "corrado_rank").stat, dbar[cols].sum() / (np.sqrt(l2) * s_k), rtol=1e-9)
        np.testing.assert_allclose(_test(res, w, "modified_rank").stat, zt[cols].sum() / (np.sqrt(l2) * s_u), rtol=1e-9)


def test_generalized_rank(run) -> None:
    _, o, res = run
    n = len(o.alpha)
    for w in CARW:
        scar = _scar(o, w)
        star = scar / scar.std(ddof=1)
        gsar = o.est_resid / o.sigma[:, None]
        l1 = gsar.shape[1]
        u = np.full((n, l1 + 1), np.nan)
        for i in range(n):
            ok = np.isfinite(gsar[i])
            vals = np.append(gsar[i, ok], star[i])
            rk = stats.rankdata(vals)
            t_i = ok.sum() + 1
            uu = rk / (t_i + 1) - 0.5
            u[i, np.flatnonzero(ok)] = uu[:-1]
            u[i, -1] = uu[-1]
        n_t = np.isfinite(u[:, :-1]).sum(axis=0)
        ubar = np.nanmean(u[:, :-1], axis=0)
        ubar0 = u[:, -1].mean()
        big_t = l1 + 1
        s_u = np.sqrt((np.sum(n_t / n * ubar**2) + ubar0**2) / big_t)
        z = ubar0 / s_u
        t = z * np.sqrt((big_t - 2) / (big_t - 1 - z**2))
        np.testing.assert_allclose(_test(res, w, "generalized_rank").stat, t, rtol=1e-9)


def test_sign_tests_and_wilcoxon(run) -> None:
    _, o, res = run
    n = len(o.alpha)
    p = np.mean([np.mean(r[np.isfinite(r)] > 0) for r in o.est_resid])
    for w in CARW:
        car = o.car[w]
        wpos = (car > 0).sum()
        np.testing.assert_allclose(_test(res, w, "sign").stat, (wpos - 0.5 * n) / np.sqrt(0.25 * n), rtol=1e-12)
        np.testing.assert_allclose(_test(res, w, "generalized_sign").stat, (wpos - n * p) / np.sqrt(n * p * (1 - p)),
                                   rtol=1e-9)
        np.testing.assert_allclose(_test(res, w, "sign_exact").pvalue, stats.binomtest(int(wpos), n, 0.5).pvalue,
                                   rtol=1e-9)
        wx = stats.wilcoxon(car)
        np.testing.assert_allclose(_test(res, w, "wilcoxon").pvalue, wx.pvalue, rtol=1e-9)


def test_bhar(run) -> None:
    _, o, res = run
    np.testing.assert_allclose(_col(res, "bhar"), o.bhar, rtol=1e-9)


def test_scholes_williams_beta() -> None:
    c = _case(99173)
    res = event_study(c.events, prices=c.prices, estimation_window=EST, event_window=EVW, car_windows=CARW,
                      model="scholes_williams", min_estimation=100)
    rm = _returns(c.prices["^GSPC"])
    for k, ev in c.events.iterrows():
        ri = _returns(c.prices[ev["symbol"]])
        i0 = SESS.get_loc(ev["event_date"])
        t = np.arange(i0 + EST[0] + 1, i0 + EST[1])  # lag and lead inside the estimation window
        y, xl, x0, xf = ri[t], rm[t - 1], rm[t], rm[t + 1]
        ok = np.isfinite(y) & np.isfinite(xl) & np.isfinite(x0) & np.isfinite(xf)
        y, xl, x0, xf = y[ok], xl[ok], x0[ok], xf[ok]
        slopes = [stats.linregress(x, y).slope for x in (xl, x0, xf)]
        rho = np.corrcoef(x0, xl)[0, 1]
        b = sum(slopes) / (1 + 2 * rho)
        a = y.mean() - b * x0.mean()
        np.testing.assert_allclose(res.events["beta"].iloc[k], b, rtol=1e-9)
        np.testing.assert_allclose(res.events["alpha"].iloc[k], a, rtol=1e-9, atol=1e-12)


def test_pvalues_follow_the_stated_distributions(run) -> None:
    """Two-sided p-values from the reference distribution of each statistic (scipy), df as in methods.md."""
    _, o, res = run
    n = len(o.alpha)
    big_t = o.est_resid.shape[1] + 1  # every estimation day has an event here, plus the collapsed event day
    for w in CARW:
        for name, dist in [("t_cross_sectional", stats.t(n - 1)), ("patell", stats.norm()), ("sign", stats.norm()),
                           ("generalized_sign", stats.norm()), ("corrado_rank", stats.norm()),
                           ("generalized_rank", stats.t(big_t - 2)), ("clm_j1", stats.norm()), ("clm_j2", stats.norm())]:
            t = _test(res, w, name)
            np.testing.assert_allclose(t.pvalue, 2 * dist.sf(abs(t.stat)), rtol=1e-9, err_msg=name)
