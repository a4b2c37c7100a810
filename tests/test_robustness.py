"""Robustness designs, estimation-date masking and the placebo, on seeded synthetic prices.

Synthetic adjusted closes are placed on the New York calendar under the
names BABA and ^GSPC (only their calendar is used), with a market model
R = 0.0005 + 1.2 R_m + e and a -10% abnormal return on day 0.  Every
estimate is checked against statsmodels OLS on the same returns, computed
here with pandas alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from research_lib.analysis.robustness import (
    Design,
    fit_design,
    mask_estimation_dates,
    placebo_cars,
    placebo_days,
    placebo_summary,
    robustness_table,
)
from research_lib.engine.windows import WindowSpec, build_panel
from research_lib.errors import InsufficientEstimationWindowError, InvalidRequestError, NoValidEventsError
from research_lib.inference.single_firm import sample_quantile_test
from research_lib.listings.calendars import sessions
from research_lib.models.fit import fit_model

DAY0 = pd.Timestamp("2025-02-24")
SHOCK = -0.10


@pytest.fixture(scope="module")
def prices() -> dict[str, pd.Series]:
    rng = np.random.default_rng(20250224)
    grid = sessions("BABA", "2022-06-01", "2025-06-30")
    m = rng.normal(0.0004, 0.01, len(grid))
    r = 0.0005 + 1.2 * m + rng.normal(0, 0.02, len(grid))
    r[grid.get_loc(DAY0)] += SHOCK
    return {
        "BABA": pd.Series(50 * np.cumprod(1 + np.r_[0, r[1:]]), index=grid),
        "^GSPC": pd.Series(4000 * np.cumprod(1 + np.r_[0, m[1:]]), index=grid),
    }


def _returns(prices: dict[str, pd.Series]) -> tuple[pd.Series, pd.Series]:
    y, x = prices["BABA"], prices["^GSPC"]
    return y / y.shift(1) - 1, x / x.shift(1) - 1


def _ols_car(prices, day0, est, window, drop=()) -> tuple[float, float, int]:  # noqa: ANN001
    """CAR and its prediction-error SE by statsmodels, counting windows in rows of the series."""
    y, x = _returns(prices)
    i0 = y.index.get_loc(pd.Timestamp(day0))
    idx = y.index[i0 + est[0] : i0 + est[1] + 1]
    idx = idx[~idx.isin(pd.DatetimeIndex(drop))]
    fit = sm.OLS(y[idx].to_numpy(), sm.add_constant(x[idx].to_numpy())).fit()
    w = y.index[i0 + window[0] : i0 + window[1] + 1]
    ar = y[w] - fit.params[0] - fit.params[1] * x[w]
    g = np.array([len(w), x[w].sum()])
    var = len(w) * fit.scale + g @ fit.cov_params() @ g
    return float(ar.sum()), float(np.sqrt(var)), len(idx)


def test_mask_estimation_dates_drops_returns_not_prices(prices) -> None:  # noqa: ANN001
    anchored = pd.DataFrame({"event_id": ["e"], "symbol": ["BABA"], "benchmark": ["^GSPC"], "day0": [DAY0]})
    panel, _ = build_panel(anchored, prices, WindowSpec())
    est = pd.DatetimeIndex(panel.est_dates[0])
    drop = [est[10], est[11], DAY0, pd.Timestamp("2019-01-02")]  # two estimation days, day 0, a date outside
    masked, n = mask_estimation_dates(panel, drop)
    assert n.tolist() == [2]
    assert np.isnan(masked.y_est[0, [10, 11]]).all()
    assert np.isfinite(masked.y_est[0, 9]) and np.isfinite(masked.y_est[0, 12])  # neighbours kept
    np.testing.assert_array_equal(masked.y_evt, panel.y_evt)  # the event window is never touched
    np.testing.assert_array_equal(masked.x_est, panel.x_est)
    assert np.isfinite(panel.y_est[0, 10])  # the input is not modified


def test_fit_design_with_excluded_dates_matches_statsmodels(prices) -> None:  # noqa: ANN001
    drop = ("2025-01-27", "2025-01-28")
    d = Design("BABA", "^GSPC", exclude_dates=drop)
    ab, attr = fit_design(d, DAY0, prices)
    car, se, n = _ols_car(prices, DAY0, d.estimation, (0, 1), drop)
    got_car, got_var = ab.car(0, 1)
    assert attr["n_masked"].tolist() == [2] and int(ab.n_est[0]) == n == 238
    assert got_car[0] == pytest.approx(car, abs=1e-12)
    assert np.sqrt(got_var[0]) == pytest.approx(se, abs=1e-12)
    # without the exclusion the fit differs
    ab0, _ = fit_design(Design("BABA", "^GSPC"), DAY0, prices)
    assert ab0.params[0, 1] != pytest.approx(ab.params[0, 1], abs=1e-9)


def test_exclusions_below_min_estimation_are_reported(prices) -> None:  # noqa: ANN001
    d0 = pd.Timestamp("2024-06-03")
    grid = sessions("BABA", "2023-01-01", "2025-06-30")
    p0 = grid.get_loc(d0)
    many = tuple(grid[p0 - 130 : p0 - 10])  # 120 of the 240 estimation returns
    d = Design("BABA", "^GSPC", min_estimation=150, exclude_dates=many)
    with pytest.raises(InsufficientEstimationWindowError, match="120 valid estimation returns, 150 required"):
        fit_design(d, d0, prices)
    # with two events only the affected one is excluded
    ab, attr = fit_design(d, [d0, DAY0], prices)
    assert list(attr["status"]) == ["excluded", "kept"] and ab.ar.shape[0] == 1
    p1 = grid.get_loc(DAY0)
    overlap = len(set(many) & set(grid[p1 - 250 : p1 - 10]))  # the later window starts inside the dropped span
    assert attr["n_masked"].tolist() == [120, overlap] and 0 < overlap < 120
    assert attr["n_est"].tolist()[1] == 240 - overlap


def test_robustness_table_rows_match_independent_fits(prices) -> None:  # noqa: ANN001
    designs = [Design("BABA", "^GSPC"), Design("BABA", "^GSPC", estimation=(-120, -11), min_estimation=100)]
    windows = [(0, 0), (-1, 1)]
    tab = robustness_table(designs, "2025-02-24T11:48+08:00", prices, windows)
    assert len(tab) == 4 and list(tab["n_est"]) == [240, 240, 110, 110]
    for _, row in tab.iterrows():
        est = (-250, -11) if row["estimation"] == "[-250,-11]" else (-120, -11)
        w = (0, 0) if row["window"] == "[0,0]" else (-1, 1)
        car, se, n = _ols_car(prices, DAY0, est, w)
        assert row["car"] == pytest.approx(car, abs=1e-12) and row["se"] == pytest.approx(se, abs=1e-12)
        assert row["p"] == pytest.approx(2 * stats.t.sf(abs(car / se), n - 2), abs=1e-12)
    # the injected shock is found on day 0, within a few residual SDs (0.02)
    day0 = tab[tab["window"] == "[0,0]"]["car"]
    assert ((day0 - SHOCK).abs() < 0.06).all()
    ab, _ = fit_design(designs[0], DAY0, prices)
    assert tab.loc[0, "sq_p"] == sample_quantile_test(ab, 0, (0, 0)).pvalue


def test_placebo_days_keep_windows_inside_the_estimation_window() -> None:
    d = Design("BABA", "^GSPC")
    grid = sessions("BABA", "2023-01-01", "2025-12-31")
    p0 = grid.get_loc(DAY0)
    days = placebo_days(d, DAY0, (0, 1))
    assert len(days) == (-11 - 1) - (-250 - 0) + 1
    assert days[0] == grid[p0 - 250] and days[-1] == grid[p0 - 12]
    assert len(placebo_days(d, DAY0, (0, 1), step=2)) == (len(days) + 1) // 2
    with pytest.raises(InvalidRequestError):
        placebo_days(d, DAY0, (0, 1), step=0)
    with pytest.raises(InvalidRequestError, match="longer than the estimation window"):
        placebo_days(d, DAY0, (-300, 0))


def test_placebo_cars_equal_one_by_one_fits(prices) -> None:  # noqa: ANN001
    d = Design("BABA", "^GSPC")
    days = placebo_days(d, DAY0, (0, 1), step=40)
    table = placebo_cars(d, days, prices, (0, 1))
    assert list(table["day0"]) == list(days)
    for r in table.itertuples():
        car, se, _ = _ols_car(prices, r.day0, d.estimation, (0, 1))
        assert r.car == pytest.approx(car, abs=1e-12) and r.se == pytest.approx(se, abs=1e-12)
        assert r.t == pytest.approx(car / se, abs=1e-9)
    with pytest.raises(NoValidEventsError, match="no placebo day"):
        placebo_cars(d, [pd.Timestamp("2022-06-01")], prices, (0, 1))  # no data before it


def test_placebo_summary_counts() -> None:
    table = pd.DataFrame({"car": [-0.03, -0.01, 0.0, 0.01, 0.02], "t": [-3.0, -1.0, 0.0, 1.0, 2.0]})
    s = placebo_summary(table, car=-0.02, t=2.5)
    assert s.n == 5 and s.share_abs_car == pytest.approx(2 / 5) and s.p_abs_car == pytest.approx(3 / 6)
    assert s.share_abs_t == pytest.approx(1 / 5)
    assert s.lower < -0.02 < 0.0 < s.upper
    assert "5 placebo days" in str(s)
    with pytest.raises(NoValidEventsError):
        placebo_summary(table.assign(car=np.nan), car=0.1)


def test_design_label_and_spec() -> None:
    d = Design("BABA", "^GSPC", model="ff3", exclude_dates=("2025-01-27",))
    assert "ff3" in d.label and "minus 1 day" in d.label
    assert d.spec == WindowSpec((-250, -11), (-10, 10), 120)
    assert d.exclude_dates == (pd.Timestamp("2025-01-27"),)


# --------------------------------------------------------------------------- peers, basket, sector model
def _with_peers(prices: dict[str, pd.Series]) -> dict[str, pd.Series]:
    rng = np.random.default_rng(7)
    grid = prices["BABA"].index
    out = dict(prices)
    for k, sym in enumerate(("P1", "P2", "SEC")):
        r = rng.normal(0.0, 0.015 + 0.002 * k, len(grid))
        out[sym] = pd.Series(20 * np.cumprod(1 + np.r_[0, r[1:]]), index=grid)
    out["P2"] = out["P2"].drop(grid[5])  # a day without a close: that day's basket return is dropped
    return out


def test_day_returns_and_equal_weight_basket_are_the_mean_of_peer_returns(prices) -> None:  # noqa: ANN001
    from research_lib.analysis.peers import day_returns, equal_weight_index

    p = _with_peers(prices)
    tab = day_returns(p, ["BABA", "P1"], [DAY0])
    assert tab.loc["BABA", DAY0] == pytest.approx(p["BABA"][DAY0] / p["BABA"].shift(1)[DAY0] - 1)
    basket = equal_weight_index(p, ["P1", "P2"])
    r = basket.pct_change().dropna()
    r1, r2 = p["P1"].pct_change(), p["P2"].pct_change()  # plain pandas, each on its own closes
    both = r1.index.intersection(r2.dropna().index)[1:]
    np.testing.assert_allclose(r.loc[both].to_numpy(), ((r1[both] + r2[both]) / 2).to_numpy(), rtol=1e-10)
    assert p["BABA"].index[5] not in r.index and p["BABA"].index[6] in r.index
    with pytest.raises(InvalidRequestError, match="at least two members"):
        equal_weight_index(p, ["P1"])
    with pytest.raises(InvalidRequestError, match="P2 on"):
        day_returns(p, ["P2"], [p["BABA"].index[5]])


def test_market_sector_model_matches_statsmodels(prices) -> None:  # noqa: ANN001
    from research_lib.analysis.peers import market_sector_model

    p = _with_peers(prices)
    res = market_sector_model(p, "BABA", "^GSPC", "SEC", DAY0, (-250, -11), (-5, 5))
    rets = pd.DataFrame({s: p[s].pct_change() for s in ("BABA", "^GSPC", "SEC")})
    i0 = rets.index.get_loc(DAY0)
    est = rets.iloc[i0 - 250: i0 - 10]
    fit = sm.OLS(est["BABA"], sm.add_constant(est[["^GSPC", "SEC"]])).fit()
    np.testing.assert_allclose(res.params.to_numpy(), fit.params.to_numpy(), rtol=1e-9)
    evt = rets.iloc[i0 - 5: i0 + 6]
    pred = fit.get_prediction(sm.add_constant(evt[["^GSPC", "SEC"]]))
    np.testing.assert_allclose(res.daily["ar"].to_numpy(), (evt["BABA"] - pred.predicted_mean).to_numpy(), rtol=1e-9)
    obs_se = np.sqrt(pred.var_pred_mean + fit.scale)  # prediction of a new observation
    np.testing.assert_allclose(res.daily["ar_se"].to_numpy(), obs_se, rtol=1e-9)
    parts = res.daily[["market_part", "sector_part", "alpha", "ar"]].sum(axis=1)
    np.testing.assert_allclose(parts.to_numpy(), res.daily["ret"].to_numpy(), rtol=1e-12)
    assert res.daily.loc[0, "ar"] < SHOCK / 2 and res.n_est == 240


def test_largest_residual_days_finds_a_planted_outlier(prices) -> None:  # noqa: ANN001
    from research_lib.analysis.robustness import largest_residual_days

    p = dict(prices)
    grid = p["BABA"].index
    day = grid[grid.get_loc(DAY0) - 100]
    r = p["BABA"].pct_change()
    r[day] += 0.25
    p["BABA"] = pd.Series(50 * np.cumprod(1 + r.fillna(0).to_numpy()), index=grid)
    top = largest_residual_days(Design("BABA", "^GSPC"), DAY0, p, k=2)
    assert top.loc[0, "date"] == day and top.loc[0, "tau"] == -100 and top.loc[0, "residual"] > 0.2
    assert len(top) == 2 and abs(top.loc[0, "residual"]) >= abs(top.loc[1, "residual"])


# --------------------------------------------------------------------------- influence
def test_influence_table_is_the_leave_one_out_mean() -> None:
    from research_lib.analysis.influence import influence_table, robust_centres

    cars = pd.Series([0.35, 0.23, 0.01, -0.02, 0.0, -0.03, 0.02], index=list("abcdefg"))
    tab = influence_table(cars)
    for name in cars.index:  # plain loop as the oracle
        assert tab.loc[name, "caar_without"] == pytest.approx(cars.drop(name).mean())
    assert list(tab.index[:2]) == ["a", "b"]
    c = robust_centres(cars, trim=0.2, drop=["a"])
    assert c["mean"] == pytest.approx(cars.drop("a").mean()) and c["median"] == pytest.approx(cars.drop("a").median())
    assert c["trimmed_mean"] == pytest.approx(np.mean(np.sort(cars.drop("a"))[1:-1]))


def test_event_variance_ratio_is_near_one_without_and_large_with_event_induced_variance() -> None:
    from _synth import make_ab

    from research_lib.analysis.influence import event_variance_ratio

    calm = [event_variance_ratio(make_ab(n_events=200, seed=s), 0, 0) for s in range(5)]
    wild = [event_variance_ratio(make_ab(n_events=200, seed=s, var_mult=4.0), 0, 0) for s in range(5)]
    assert 0.8 < np.mean(calm) < 1.2
    assert 3.0 < np.mean(wild) < 5.0


def test_leak_start_cars_move_the_window_start_to_the_leak_day() -> None:
    from _synth import make_ab

    from research_lib.analysis.influence import leak_start_cars

    ab = make_ab(n_events=6, seed=3)
    ids = list(ab.panel.event_ids)
    tau = list(ab.panel.tau_evt)
    leak = {ids[1]: pd.Timestamp(ab.panel.evt_dates[1][tau.index(-2)]), ids[4]: pd.Timestamp(ab.panel.evt_dates[4][tau.index(-1)])}
    out = leak_start_cars(ab, leak, stop=1)
    ar = ab.ar
    assert out.loc[ids[1], "car_leak"] == pytest.approx(ar[1, tau.index(-2): tau.index(1) + 1].sum())  # plain sum
    assert out.loc[ids[4], "window"] == "[-1,1]" and out.loc[ids[0], "window"] == "[0,1]"
    assert out.loc[ids[0], "car_leak"] == pytest.approx(ar[0, tau.index(0): tau.index(1) + 1].sum())
    assert out["leak_tau"].notna().sum() == 2


def test_plot_car_from_a_start_uses_okabe_ito_and_integer_ticks(prices) -> None:  # noqa: ANN001
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from research_lib.cases.alibaba import case_events
    from research_lib.plotting import MAIN, OKABE_ITO, car_path, plot_car
    from research_lib.study import event_study

    res = event_study(case_events({"BABA": "^GSPC"}), prices=prices, car_windows=[(0, 0)])
    tau, car, _, _ = car_path(res, 0, 0.95, start=-3)
    ab = res.abnormal
    ar = ab.ar[0][list(ab.panel.tau_evt).index(-3):]
    assert tau[0] == -3 and car == pytest.approx(np.cumsum(ar))  # cumulated from -3, a plain running sum
    ax = plot_car(res, start=-3)
    assert ax.lines[0].get_color().lower() == MAIN.lower() and MAIN in OKABE_ITO.values()
    assert all(float(t).is_integer() for t in ax.get_xticks())
    assert ax.get_legend() is not None and ax.get_legend().get_bbox_to_anchor().y0 < ax.get_window_extent().y0
    with pytest.raises(ValueError, match="outside the event window"):
        car_path(res, 0, 0.95, start=-50)
    plt.close("all")


def test_garch_design_equals_arch_fitted_directly(prices) -> None:  # noqa: ANN001
    """A GARCH row: mean-equation AR and SE = the root of the summed variance forecasts of ``arch`` on the same window."""
    from arch import arch_model

    tab = robustness_table([Design("BABA", "^GSPC", "garch")], "2025-02-24T11:48+08:00", prices, [(0, 0), (0, 1)])
    y, x = _returns(prices)
    i0 = y.index.get_loc(DAY0)
    est = y.index[i0 - 250 : i0 - 10]
    am = arch_model(100 * y[est].to_numpy(), x=100 * x[est].to_numpy()[:, None], mean="LS", vol="GARCH", p=1, q=1)
    fit = am.fit(disp="off")
    a, b = fit.params.iloc[0] / 100, fit.params.iloc[1]
    h = fit.forecast(horizon=11, x=np.zeros((1, 1, 11)), reindex=False).variance.to_numpy()[0] / 100**2
    for k, (w, row) in enumerate(tab.set_index("window").iterrows()):
        days = y.index[i0 : i0 + k + 1]
        car = float((y[days] - a - b * x[days]).sum())
        assert row["car"] == pytest.approx(car, abs=1e-5) and row["beta"] == pytest.approx(b, abs=1e-4)
        assert row["se"] == pytest.approx(np.sqrt(h[: k + 1].sum()), rel=1e-3), w


def test_permutation_p_counts_pseudo_windows(prices) -> None:  # noqa: ANN001
    """perm_p = (1 + #{|S_j| >= |CAR|}) / (n + 1) over the L-day sums of the estimation residuals (a plain loop)."""
    tab = robustness_table([Design("BABA", "^GSPC")], "2025-02-24T11:48+08:00", prices, [(0, 1)])
    ab, _ = fit_design(Design("BABA", "^GSPC"), DAY0, prices)
    e = ab.est_resid[0]
    sums = [e[j] + e[j + 1] for j in range(e.size - 1)]
    car = tab.loc[0, "car"]
    expected = (1 + sum(abs(s) >= abs(car) for s in sums)) / (len(sums) + 1)
    assert tab.loc[0, "perm_p"] == pytest.approx(expected, abs=1e-15)


def test_garch_bootstrap_rows_match_their_formulas() -> None:
    """Wild-bootstrap t = the one-sample t of the CARs (scipy); GARCH BMP = sqrt(N) mean(SCAR) / sd(SCAR) by hand."""
    from research_lib.analysis.robustness import garch_bootstrap_rows
    from research_lib.measures.synthetic import market_model_panel
    from research_lib.models.garch import fit_garch

    panel = market_model_panel(12, seed=3)
    ab = fit_model(panel, "market")
    rows, status = garch_bootstrap_rows(ab, [(0, 0), (-1, 1)], n_resamples=199, seed=1)
    assert len(status) == 12 and set(rows["window"]) == {"[0,0]", "[-1,1]"}
    g = fit_garch(panel).abnormal
    for (a, b), key in (((0, 0), "[0,0]"), ((-1, 1), "[-1,1]")):
        r = rows[rows["window"] == key].set_index("test")
        car, _ = ab.car(a, b)
        assert r.iloc[0]["stat"] == pytest.approx(stats.ttest_1samp(car, 0.0).statistic, rel=1e-12)
        assert 1 / 200 <= r.iloc[0]["p"] <= 1
        gc, gv = g.car(a, b)
        scar = gc / np.sqrt(gv)
        assert r.loc["GARCH BMP", "stat"] == pytest.approx(np.sqrt(scar.size) * scar.mean() / scar.std(ddof=1), rel=1e-10)


def test_resampling_rejections_share_the_simulator_draws_and_hold_size() -> None:
    """t and BMP rates equal the simulator's on the same draws; the wild bootstrap holds its size, then finds a 2% AR."""
    from research_lib.analysis.robustness import resampling_rejections
    from research_lib.simulation.experiment import SimulationDesign, SyntheticMarket, simulate

    universe = SyntheticMarket(sigma=0.02).draw(n_securities=60, n_days=1500, seed=5)
    design = SimulationDesign(n_events=20, n_samples=300, ar_sizes=(0.0, 0.02), seed=11, tests=("t_cross_sectional", "bmp"))
    rates = resampling_rejections(universe, design, n_resamples=99)
    ref = simulate(universe, design).rejection_rates(0.05)
    assert rates.loc["t_cross_sectional"].to_numpy() == pytest.approx(ref.loc["t_cross_sectional"].to_numpy(), abs=1e-12)
    assert rates.loc["bmp"].to_numpy() == pytest.approx(ref.loc["bmp"].to_numpy(), abs=1e-12)
    half = 2.576 * np.sqrt(0.05 * 0.95 / 300)  # 99% Monte-Carlo band of a 5% rate
    assert abs(rates.loc["wild_bootstrap_t", 0.0] - 0.05) < half + 1 / 100  # + the p-value grid of 99 resamples
    assert abs(rates.loc["placebo_permutation", 0.0] - 0.05) < half
    assert rates.loc["wild_bootstrap_t", 0.02] > 0.8
