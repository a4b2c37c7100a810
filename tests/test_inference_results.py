"""TestResult's frozen distributions, the exact sign tests and the registry, against scipy."""

from __future__ import annotations

import numpy as np
import pytest
from _synth import make_ab
from scipy import stats

from research_lib.errors import InvalidRequestError
from research_lib.inference import REGISTRY, TestBattery, critical_values, pvalues
from research_lib.inference.sign import sign_exact, signed_rank_distribution, wilcoxon


@pytest.fixture(scope="module")
def battery() -> TestBattery:
    return TestBattery(make_ab(30, 80, 5, seed=5, spread_days=20, rho=0.1, ar0=0.004))


def test_one_sided_pvalues_and_critical_values_of_t_and_normal(battery: TestBattery) -> None:
    res = battery.window(-1, 1, "all")
    t = res["t_cross_sectional"]
    assert t.dist.dist.name == "t" and t.df == 29 and t.distribution == "t(29)"
    assert t.pvalue_for("greater") == pytest.approx(stats.t.sf(t.stat, 29), rel=1e-12)
    assert t.pvalue_for("less") == pytest.approx(stats.t.cdf(t.stat, 29), rel=1e-12)
    assert t.pvalue_for("two-sided") == t.pvalue == pytest.approx(2 * stats.t.sf(abs(t.stat), 29), rel=1e-12)
    assert t.critical_value(0.05) == pytest.approx(stats.t.ppf(0.975, 29), rel=1e-12)
    assert t.critical_value(0.05, "less") == pytest.approx(stats.t.ppf(0.05, 29), rel=1e-12)
    z = res["patell"]
    assert z.critical_value(0.01, "greater") == pytest.approx(stats.norm.isf(0.01), rel=1e-12)
    assert z.pvalue_for("greater") + z.pvalue_for("less") == pytest.approx(1.0, rel=1e-12)
    with pytest.raises(InvalidRequestError, match="alternative"):
        z.pvalue_for("bigger")


def test_exact_sign_tests_against_binomtest(battery: TestBattery) -> None:
    res = battery.window(-1, 1, "all")
    car, _ = battery.ab.car(-1, 1)
    w, n = int(np.sum(car > 0)), car.size
    exact = res["sign_exact"]
    assert exact.stat == w and exact.distribution == f"Binomial({n}, 0.5)"
    assert exact.pvalue == pytest.approx(stats.binomtest(w, n, 0.5).pvalue, rel=1e-12)
    assert exact.pvalue_for("greater") == pytest.approx(stats.binomtest(w, n, 0.5, alternative="greater").pvalue, rel=1e-12)
    assert exact.pvalue_for("less") == pytest.approx(stats.binomtest(w, n, 0.5, alternative="less").pvalue, rel=1e-12)
    g = res["generalized_sign_exact"]
    p_hat = float(np.mean([np.mean(e[np.isfinite(e)] > 0) for e in battery.ab.est_resid]))
    assert g.pvalue_for("greater") == pytest.approx(stats.binomtest(w, n, p_hat, alternative="greater").pvalue, rel=1e-12)
    lo, hi = stats.binom.cdf(w, n, p_hat), stats.binom.sf(w - 1, n, p_hat)
    assert g.pvalue == pytest.approx(min(1.0, 2 * min(lo, hi)), rel=1e-12)  # equal tails (doubling)
    # the normal approximation stays the default sign test
    assert res["sign"].distribution == "N(0,1)"


def test_exact_critical_values_give_the_exact_size() -> None:
    """Binomial(50, 1/2): reject when w >= c at 2.5% per tail, and the attained size is <= 5%."""
    st = sign_exact(np.r_[np.ones(30), -np.ones(20)])
    c_hi = float(critical_values(st.dist, 0.05, "two-sided"))
    c_lo = float(critical_values(st.dist, 0.05, "less"))
    assert stats.binom.sf(c_hi - 1, 50, 0.5) <= 0.025 < stats.binom.sf(c_hi - 2, 50, 0.5)
    assert stats.binom.cdf(c_lo, 50, 0.5) <= 0.05 < stats.binom.cdf(c_lo + 1, 50, 0.5)
    size = stats.binom.sf(c_hi - 1, 50, 0.5) * 2
    assert size <= 0.05
    # the approximate sign test at N = 50 over-rejects: its exact size at 5% is 6.5%
    z = (np.arange(51) - 25) / np.sqrt(12.5)
    approx_size = stats.binom.pmf(np.arange(51), 50, 0.5)[np.abs(z) > stats.norm.isf(0.025)].sum()
    assert approx_size == pytest.approx(0.065, abs=0.001)


@pytest.mark.parametrize("n", [3, 10, 25])
def test_signed_rank_distribution_against_scipy(n: int) -> None:
    rng = np.random.default_rng(n)
    x = rng.normal(0.3, 1.0, n)
    st = wilcoxon(x)
    assert st.label == "exact" and st.dist is signed_rank_distribution(n)
    assert float(st.pvalue_for("greater")) == pytest.approx(stats.wilcoxon(x, method="exact", alternative="greater").pvalue, rel=1e-12)
    assert float(st.pvalue_for("less")) == pytest.approx(stats.wilcoxon(x, method="exact", alternative="less").pvalue, rel=1e-12)
    assert float(st.pvalue_for()) == pytest.approx(stats.wilcoxon(x, method="exact").pvalue, rel=1e-12)
    two = x.copy()
    two[1] = two[0]  # a tie: normal approximation with scipy's tie correction
    approx = wilcoxon(two)
    assert approx.label.startswith("N(0,1)")
    assert float(approx.pvalue_for()) == pytest.approx(stats.wilcoxon(two, method="approx", correction=False).pvalue, rel=1e-12)


def test_pvalues_with_a_samples_axis_and_nan() -> None:
    stat = np.array([1.0, np.nan, -2.5])
    p = pvalues(stat, stats.norm())
    assert np.isnan(p[1]) and p[0] == pytest.approx(2 * stats.norm.sf(1.0)) and p[2] == pytest.approx(2 * stats.norm.sf(2.5))
    assert set(REGISTRY) >= {"t_cross_sectional", "sign_exact", "generalized_sign_exact", "wilcoxon"}
