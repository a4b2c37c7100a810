"""The simulation tools: per-sample statistics equal the engine's battery, planted effects are recovered,
the analytic J1 power is matched, sizes are nominal under the null, and seeds reproduce runs.

Monte-Carlo checks use seeded designs; bounds are binomial 99.9% intervals or
a few Monte-Carlo standard errors, computed in the test from the design.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy import stats

from research_lib.engine.windows import WindowSpec
from research_lib.errors import InvalidRequestError
from research_lib.inference.battery import TestBattery
from research_lib.inference.sign import signed_rank_distribution
from research_lib.inference.single_firm import sample_quantile_test
from research_lib.models.fit import fit_model
from research_lib.simulation.experiment import (
    BROWN_WARNER_WINDOWS,
    SIMULATION_TESTS,
    PerSampleTests,
    SimulationDesign,
    SyntheticMarket,
    car_sd,
    draw_events,
    mackinlay_detectable,
    mackinlay_power,
    plant_abnormal_returns,
    pseudo_panel,
    sample_slice,
    simulate,
    snapshot_universe,
)

SPEC = WindowSpec(estimation=(-130, -6), event=(-5, 5), min_estimation=100)  # L1 = 125: faster


@pytest.fixture(scope="module")
def universe():  # noqa: ANN201
    return SyntheticMarket(sigma=0.02, common_factor=0.03).draw(120, 1500, seed=11)


@pytest.fixture(scope="module")
def plain_universe():  # noqa: ANN201
    return SyntheticMarket(sigma=0.02).draw(150, 2500, seed=5)


def _stacked(universe, n_samples: int, n_events: int, clustered: bool, seed: int, size: float = 0.0, c: float = 1.0):  # noqa: ANN001, ANN202
    rng = np.random.default_rng(seed)
    ev = draw_events(universe, SPEC, n_samples, n_events, clustered=clustered, rng=rng)
    base = fit_model(pseudo_panel(universe, ev, SPEC))
    noise = rng.standard_normal(base.ar.shape)
    return ev, base, plant_abnormal_returns(base, size, (0, 0), c, noise)


def _compare_with_battery(ab, n_samples: int, n_events: int, window: tuple[int, int]) -> None:  # noqa: ANN001
    res = PerSampleTests(ab, n_samples, window).evaluate(tests=SIMULATION_TESTS)
    for s in range(n_samples):
        battery = TestBattery(sample_slice(ab, s, n_events)).window(*window, list(SIMULATION_TESTS))
        for name in SIMULATION_TESTS:
            stat, p_two, _ = res[name]
            ref = battery[name]
            assert np.isfinite(ref.stat) and np.isfinite(ref.pvalue), (name, ref)
            np.testing.assert_allclose(stat[s], ref.stat, rtol=1e-10, atol=1e-10, err_msg=f"{name} sample {s}")
            np.testing.assert_allclose(p_two[s], ref.pvalue, rtol=1e-10, atol=1e-12, err_msg=f"{name} sample {s}")


# --------------------------------------------------------------------------- equality with the engine
@pytest.mark.parametrize("clustered", [False, True])
@pytest.mark.parametrize("window", [(0, 0), (-2, 3)])
def test_per_sample_statistics_equal_the_battery_on_each_slice(universe, clustered: bool, window) -> None:  # noqa: ANN001
    """Vectorised per-sample tests == TestBattery on each sample's slice (planted AR and variance, correlated residuals)."""
    _, _, ab = _stacked(universe, 4, 15, clustered, seed=3, size=0.01, c=1.5)
    _compare_with_battery(ab, 4, 15, window)


def test_per_sample_statistics_on_real_returns(shared_data) -> None:  # noqa: ANN001
    """The same equality on snapshot returns (real data: ties, fat tails, a security drawn more than once)."""
    uni = snapshot_universe(["AAPL", "MSFT", "BABA", "JD", "INTC"], "^GSPC")
    rng = np.random.default_rng(8)
    ev = draw_events(uni, BROWN_WARNER_WINDOWS, 3, 20, rng=rng)
    ab = fit_model(pseudo_panel(uni, ev, BROWN_WARNER_WINDOWS))
    _compare_with_battery(ab, 3, 20, (-1, 1))
    _compare_with_battery(ab, 3, 20, (0, 0))


def test_wilcoxon_large_sample_uses_the_normal_approximation(plain_universe) -> None:  # noqa: ANN001
    """N = 60 > 50: W+ and the normal-approximation p equal the battery's (scipy approx, no continuity correction)."""
    _, _, ab = _stacked(plain_universe, 2, 60, False, seed=4, size=0.003)
    res = PerSampleTests(ab, 2, (0, 0), kolari_pynnonen=False).evaluate(tests=("wilcoxon", "sign"))
    for s in range(2):
        ref = TestBattery(sample_slice(ab, s, 60)).window(0, 0, ["wilcoxon"])["wilcoxon"]
        assert ref.distribution.startswith("N(0,1)")
        np.testing.assert_allclose(res["wilcoxon"][0][s], ref.stat, rtol=1e-12)
        np.testing.assert_allclose(res["wilcoxon"][1][s], ref.pvalue, rtol=1e-10)


@pytest.mark.parametrize("n", [1, 2, 5, 12, 30, 50])
def test_exact_wilcoxon_tails_match_scipy(n: int) -> None:
    rng = np.random.default_rng(n)
    for _ in range(5):
        x = rng.normal(0.2, 1.0, n)
        w = int(round(stats.rankdata(np.abs(x))[x > 0].sum()))
        dist = signed_rank_distribution(n)  # the battery's exact W+ null (moved from the simulator)
        below, above = dist.cdf(w), dist.sf(w - 1)
        ref_two = stats.wilcoxon(x, method="exact").pvalue
        ref_up = stats.wilcoxon(x, method="exact", alternative="greater").pvalue
        assert min(1.0, 2 * min(below, above)) == pytest.approx(ref_two, rel=1e-10, abs=1e-15)
        assert above == pytest.approx(ref_up, rel=1e-10, abs=1e-15)


def test_one_sided_pvalues_follow_the_reference_distributions(universe) -> None:  # noqa: ANN001
    _, _, ab = _stacked(universe, 3, 12, False, seed=9, size=0.005)
    res = PerSampleTests(ab, 3, (0, 0)).evaluate()
    np.testing.assert_allclose(res["patell"][2], stats.norm.sf(res["patell"][0]), rtol=1e-12)
    np.testing.assert_allclose(res["bmp"][2], stats.t.sf(res["bmp"][0], 11), rtol=1e-12)
    for s in range(3):
        car = ab.ar[s * 12 : (s + 1) * 12, 5]
        assert res["wilcoxon"][2][s] == pytest.approx(stats.wilcoxon(car, alternative="greater").pvalue, rel=1e-10)


def test_single_firm_tests_equal_the_single_event_computations(plain_universe) -> None:  # noqa: ANN001
    """N = 1: single_t is CAR / sqrt(Var CAR) against t(M - 2); sample_quantile equals sample_quantile_test."""
    _, _, ab = _stacked(plain_universe, 6, 1, False, seed=2, size=0.03)
    for window in ((0, 0), (-1, 2)):
        res = PerSampleTests(ab, 6, window).evaluate()
        assert set(res) == {"single_t", "sample_quantile"}
        car, var = ab.car(*window)
        t = car / np.sqrt(var)
        np.testing.assert_allclose(res["single_t"][0], t, rtol=1e-12)
        np.testing.assert_allclose(res["single_t"][1], 2 * stats.t.sf(np.abs(t), ab.df), rtol=1e-12)
        for i in range(6):
            ref = sample_quantile_test(ab, i, window)
            assert res["sample_quantile"][0][i] == pytest.approx(ref.quantile, abs=1e-12)
            assert res["sample_quantile"][1][i] == pytest.approx(ref.pvalue, abs=1e-12)


# --------------------------------------------------------------------------- the simulator itself
def test_draws_have_complete_windows_and_clusters_share_a_date(universe) -> None:  # noqa: ANN001
    valid = universe.valid_day0(SPEC)
    rng = np.random.default_rng(0)
    ev = draw_events(universe, SPEC, 30, 40, rng=rng)
    assert valid[ev.day0_row, ev.security].all()
    cl = draw_events(universe, SPEC, 30, 40, clustered=True, rng=rng)
    assert valid[cl.day0_row, cl.security].all()
    assert (cl.day0_row == cl.day0_row[:, :1]).all()
    assert all(len(set(row)) == 40 for row in cl.security)
    with pytest.raises(InvalidRequestError, match="distinct securities"):
        draw_events(universe, SPEC, 2, 121, clustered=True, rng=rng)


def test_planting_after_the_fit_equals_planting_in_the_returns(universe) -> None:  # noqa: ANN001
    ev, base, planted = _stacked(universe, 2, 10, False, seed=1, size=0.02, c=2.0)
    refit = fit_model(dataclasses.replace(base.panel, y_evt=planted.panel.y_evt))
    np.testing.assert_allclose(refit.ar, planted.ar, rtol=0, atol=1e-13)
    np.testing.assert_allclose(refit.ar_var, planted.ar_var, rtol=1e-13)


def test_planted_effects_are_recovered(plain_universe) -> None:  # noqa: ANN001
    """Mean CAAR equals the planted AR within 4 MC standard errors; a spread AR is recovered over its window;
    the variance factor c multiplies the day-0 AR variance by c^2."""
    design = SimulationDesign(n_events=20, n_samples=300, spec=SPEC, ar_sizes=(0.0, 0.01), tests=("clm_j1",), seed=4)
    res = simulate(plain_universe, design)
    for a, d in enumerate(res.ar_sizes):
        se = res.caar[a].std(ddof=1) / math.sqrt(design.n_samples)
        assert abs(res.caar[a].mean() - d) < 4 * se, (d, res.caar[a].mean(), se)
    spread = simulate(plain_universe, dataclasses.replace(design, car_window=(-2, 2), ar_window=(-2, 2), ar_sizes=(0.015,)))
    se = spread.caar[0].std(ddof=1) / math.sqrt(design.n_samples)
    assert abs(spread.caar[0].mean() - 0.015) < 4 * se
    _, base, planted = _stacked(plain_universe, 500, 40, False, seed=6, size=0.0, c=2.0)
    ratio = np.var(planted.ar[:, 5]) / np.mean(planted.ar_var[:, 5])
    assert ratio == pytest.approx(4.0, rel=0.05)  # 20,000 events: sampling error of a variance ratio ~1%


def _bounds(reps: int, p: float, level: float = 0.999) -> tuple[float, float]:
    return stats.binom.ppf((1 - level) / 2, reps, p) / reps, stats.binom.ppf(1 - (1 - level) / 2, reps, p) / reps


def test_null_rejection_rates_are_nominal(plain_universe) -> None:  # noqa: ANN001
    """Random dates, normal market model, no effect: rejection at 5% within the binomial 99.9% interval."""
    tests = ("t_cross_sectional", "patell", "bmp", "corrado_rank", "clm_j1", "generalized_rank")
    res = simulate(plain_universe, SimulationDesign(n_events=30, n_samples=400, spec=SPEC, tests=tests, seed=21))
    lo, hi = _bounds(400, 0.05)
    rates = res.rejection_rates(0.05)[0.0]
    for name in tests:
        assert lo <= rates[name] <= hi, (name, rates[name], lo, hi)
    check = res.size_check(0.05)
    assert list(check.index) == list(tests) and set(check["verdict"]) <= {"holds its size", "over-rejects", "under-rejects"}


def test_j1_power_matches_mackinlay(plain_universe) -> None:  # noqa: ANN001
    """J1 rejection rate at d = 0.8% (sigma 2%, N = 20) equals MacKinlay's analytic power within 3.3 MC s.e."""
    d, n, reps = 0.008, 20, 400
    res = simulate(plain_universe, SimulationDesign(n_events=n, n_samples=reps, spec=SPEC, ar_sizes=(d,), tests=("clm_j1",), seed=17))
    power = float(mackinlay_power(d, n, car_sd(0.02, 1, 125)))
    se = math.sqrt(power * (1 - power) / reps)
    assert 0.3 < power < 0.8
    assert abs(res.rejection_rates(0.05).iloc[0, 0] - power) < 3.3 * se, (res.rejection_rates(0.05), power)


def test_clustered_correlated_events_inflate_bmp_and_the_adjustment_restores_it() -> None:
    """Kolari and Pynnönen (2010): one date, residual correlation 0.1, N = 30: BMP over-rejects, BMP-KP does not."""
    uni = SyntheticMarket(sigma=0.02, common_factor=0.1).draw(60, 1200, seed=2)
    res = simulate(uni, SimulationDesign(n_events=30, n_samples=200, spec=SPEC, clustered=True, tests=("bmp", "bmp_kp"), seed=5))
    lo, hi = _bounds(200, 0.05)
    rates = res.rejection_rates(0.05)[0.0]
    assert rates["bmp"] > hi
    assert lo <= rates["bmp_kp"] <= hi
    assert res.mean_cross_correlation.mean() == pytest.approx(0.1, abs=0.03)


def test_seeds_reproduce_runs(universe) -> None:  # noqa: ANN001
    design = SimulationDesign(n_events=10, n_samples=20, spec=SPEC, ar_sizes=(0.0, 0.01), variance_factor=1.5, seed=3)
    a, b = simulate(universe, design), simulate(universe, design)
    np.testing.assert_array_equal(a.pvalues, b.pvalues)
    np.testing.assert_array_equal(a.stats, b.stats)
    c = simulate(universe, dataclasses.replace(design, seed=4))
    assert not np.array_equal(a.pvalues, c.pvalues)
    again = SyntheticMarket(sigma=0.02, common_factor=0.03).draw(120, 1500, seed=11)
    np.testing.assert_array_equal(again.returns, universe.returns)


def test_result_tables_and_plot(universe) -> None:  # noqa: ANN001
    import matplotlib.pyplot as plt

    res = simulate(universe, SimulationDesign(n_events=10, n_samples=25, spec=SPEC, ar_sizes=(0.0, 0.02), seed=1))
    frame = res.to_frame(sides=("two-sided", "upper"))
    assert len(frame) == 2 * 2 * 2 * len(SIMULATION_TESTS)
    row = frame.query("test == 'bmp' and level == 0.05 and side == 'two-sided' and ar_size == 0.02").iloc[0]
    manual = np.mean(res.pvalues[1, :, res.tests.index("bmp")] < 0.05)
    assert row.rejection_rate == pytest.approx(manual)
    assert row.mc_se == pytest.approx(math.sqrt(manual * (1 - manual) / 25))
    assert "level 5%" in res.summary() and "level 1%" in str(res)
    fig, ax = plt.subplots()
    out = res.plot(ax=ax, tests=["bmp", "patell"])
    assert out is ax and len(ax.lines) == 3 and ax.lines[-1].get_ydata()[0] == 0.05
    plt.close(fig)


def test_invalid_designs_are_rejected(universe) -> None:  # noqa: ANN001
    with pytest.raises(InvalidRequestError, match="n_events=1"):
        SimulationDesign(n_events=5, tests=("single_t",))
    with pytest.raises(InvalidRequestError, match="at least 3 events"):
        SimulationDesign(n_events=2, tests=("bmp",))
    with pytest.raises(InvalidRequestError, match="variance_factor"):
        SimulationDesign(variance_factor=0.5)
    with pytest.raises(InvalidRequestError, match="inside the event window"):
        SimulationDesign(car_window=(0, 9))
    with pytest.raises(InvalidRequestError, match="unknown test"):
        SimulationDesign(tests=("nope",))
    _, _, ab = _stacked(universe, 2, 5, False, seed=0)
    with pytest.raises(InvalidRequestError, match="kolari_pynnonen=True"):
        PerSampleTests(ab, 2, (0, 0), kolari_pynnonen=False).evaluate(tests=("bmp_kp",))
    with pytest.raises(InvalidRequestError, match="equal samples"):
        PerSampleTests(ab, 3, (0, 0))


# --------------------------------------------------------------------------- analytic formulas
def test_car_sd_matches_the_expected_prediction_variance() -> None:
    """E[L + L^2/M + (sum_ev (Rm - mean))^2 / Sxx] over normal market returns, by Monte Carlo (200,000 draws)."""
    rng = np.random.default_rng(0)
    m, length = 30, 4
    est = rng.normal(0.001, 0.01, (200_000, m))
    evt = rng.normal(0.001, 0.01, (200_000, length))
    mean = est.mean(axis=1, keepdims=True)
    term = (evt - mean).sum(axis=1) ** 2 / ((est - mean) ** 2).sum(axis=1)
    factor = length + length**2 / m + term
    se = factor.std() / math.sqrt(factor.size)
    assert float(car_sd(1.0, length, m)) ** 2 == pytest.approx(factor.mean(), abs=4 * se)


def test_mackinlay_power_formula() -> None:
    assert float(mackinlay_power(0.0, 50, 0.02)) == pytest.approx(0.05)
    z = stats.norm.ppf(0.995)
    expected = stats.norm.cdf(-z + 0.01 * math.sqrt(30) / 0.03) + stats.norm.cdf(-z - 0.01 * math.sqrt(30) / 0.03)
    assert float(mackinlay_power(0.01, 30, 0.03, level=0.01)) == pytest.approx(expected, rel=1e-12)
    curve = mackinlay_power(np.array([0.0, 0.005, 0.01, 0.02]), 50, 0.02)
    assert np.all(np.diff(curve) > 0)


def test_detectable_sizes() -> None:
    d = mackinlay_detectable(20, 0.02, power=0.8)
    assert float(mackinlay_power(d, 20, 0.02)) == pytest.approx(0.8, abs=1e-10)
    assert d == pytest.approx((stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * 0.02 / math.sqrt(20), rel=1e-3)


def test_simulated_detectable_size_interpolates(plain_universe) -> None:  # noqa: ANN001
    sizes = (0.0, -0.005, -0.01, -0.015, -0.02)
    res = simulate(plain_universe, SimulationDesign(n_events=10, n_samples=100, spec=SPEC, ar_sizes=sizes, tests=("clm_j1",), seed=2))
    rate = res.rejection_rates(0.05).loc["clm_j1"].to_numpy()
    d = res.detectable("clm_j1", 0.5)
    j = int(np.flatnonzero(rate >= 0.5)[0])
    assert abs(sizes[j - 1]) <= d <= abs(sizes[j])
    assert np.isnan(res.detectable("clm_j1", 0.99999)) or rate.max() >= 0.99999


# --------------------------------------------------------------------------- one battery
def test_simulator_and_study_share_the_battery(universe) -> None:  # noqa: ANN001
    """The simulator dispatches through the battery's REGISTRY: the same function objects, and on
    every sample slice the same statistics and one-sided p-values as TestBattery (all tests, two windows)."""
    import research_lib.inference.battery as battery_module
    from research_lib.simulation import experiment

    assert PerSampleTests.registry is battery_module.REGISTRY
    assert experiment.REGISTRY is battery_module.REGISTRY
    for gone in ("_row_ranks", "_wilcoxon_tails", "_wilcoxon_scipy", "_t_pvalues", "_z_pvalues"):
        assert not hasattr(experiment, gone), gone  # the re-implemented copies are deleted
    assert not any(name.startswith("_test_") for name in vars(TestBattery))
    names = list(battery_module.ALL_TEST_NAMES)
    calls: dict[str, int] = {}
    original = dict(battery_module.REGISTRY)
    try:
        for name, fn in original.items():  # count calls made through the shared registry
            battery_module.REGISTRY[name] = (lambda f, k: lambda w: (calls.__setitem__(k, calls.get(k, 0) + 1), f(w))[1])(fn, name)
        _, _, ab = _stacked(universe, 3, 12, True, seed=21, size=0.004, c=1.3)
        for window in [(0, 0), (-1, 2)]:
            calls.clear()
            res = PerSampleTests(ab, 3, window).evaluate(tests=names)
            assert set(calls) == set(names)  # every simulated test went through the registry
            for s in range(3):
                ref = TestBattery(sample_slice(ab, s, 12)).window(*window, names)
                for name in names:
                    stat, p_two, p_up = res[name]
                    np.testing.assert_allclose(stat[s], ref[name].stat, rtol=1e-10, atol=1e-12, err_msg=name)
                    np.testing.assert_allclose(p_two[s], ref[name].pvalue, rtol=1e-10, atol=1e-12, err_msg=name)
                    np.testing.assert_allclose(p_up[s], ref[name].pvalue_for("greater"), rtol=1e-10, atol=1e-12, err_msg=name)
    finally:
        battery_module.REGISTRY.update(original)
