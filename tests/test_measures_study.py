"""event_study(measure=...), the GARCH registry entries and the resampling tests, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from research_lib import event_study
from research_lib.errors import InvalidRequestError, NoValidEventsError
from research_lib.examples import example_events, example_prices
from research_lib.inference.resampling import lbt_bootstrap, wild_bootstrap_t
from research_lib.measures import abnormal_range, abnormal_volume, ohlc_arrays, volume_arrays
from research_lib.models.garch import GarchSpec, fit_garch
from research_lib.spec import StudySpec

EVT = [(0, 0), (-1, 1)]


def _frames(seed: int = 7, shock: float = 1.0) -> dict[str, pd.DataFrame]:
    """Example closes with seeded volume (market volume drives each security's), OHLC around the close."""
    rng = np.random.default_rng(seed)
    closes = example_prices()
    mkt = np.exp(rng.normal(15.0, 0.3, len(closes["^GSPC"])))
    events = example_events().set_index("symbol")["event_date"]
    out = {}
    for sym, c in closes.items():
        vol = mkt.copy() if sym == "^GSPC" else np.exp(2.0 + 0.5 * np.log(mkt) + rng.normal(0, 0.4, mkt.size))
        if sym in events.index:
            vol[c.index.get_loc(pd.Timestamp(events[sym]))] *= np.exp(shock)  # planted volume shock on day 0
        spread = np.exp(np.abs(rng.normal(0, 0.01, c.size)))
        out[sym] = pd.DataFrame({"adj_close": c, "open": c / spread**0.3, "high": c * spread, "low": c / spread,
                                 "close": c, "volume": np.round(vol)}, index=c.index)
    return out


def _ols_abnormal(res, frames: dict[str, pd.DataFrame], market: bool) -> np.ndarray:
    """Oracle: statsmodels OLS of log(1+V) on a constant (and the benchmark's log(1+V)) per event."""
    p = res.abnormal.panel
    out = np.empty_like(res.abnormal.ar)
    for i, sym in enumerate(p.symbols):
        y = np.log1p(frames[sym]["volume"].reindex(pd.DatetimeIndex(p.est_dates[i])).to_numpy())
        ye = np.log1p(frames[sym]["volume"].reindex(pd.DatetimeIndex(p.evt_dates[i])).to_numpy())
        if market:
            m = np.log1p(frames[p.benchmarks[i]]["volume"].reindex(pd.DatetimeIndex(p.est_dates[i])).to_numpy())
            me = np.log1p(frames[p.benchmarks[i]]["volume"].reindex(pd.DatetimeIndex(p.evt_dates[i])).to_numpy())
            fit = sm.OLS(y, sm.add_constant(m)).fit()
            out[i] = ye - fit.predict(sm.add_constant(me))
        else:
            out[i] = ye - sm.OLS(y, np.ones_like(y)).fit().params[0]
    return out


@pytest.mark.parametrize("model", ["constant_mean", "market"])
def test_volume_study_equals_abnormal_volume_and_statsmodels(model: str) -> None:
    frames = _frames()
    res = event_study(example_events(), prices=frames, measure="volume", model=model, car_windows=EVT)
    assert res.parameters.measure == "volume" and res.n_events == 5
    direct = abnormal_volume(res.abnormal.panel, volume_arrays(res.abnormal.panel, frames), model)
    np.testing.assert_allclose(res.abnormal.ar, direct.abnormal.ar, rtol=1e-12)
    np.testing.assert_allclose(res.abnormal.ar, _ols_abnormal(res, frames, model == "market"), rtol=1e-9, atol=1e-12)
    day0 = list(res.abnormal.panel.tau_evt).index(0)
    np.testing.assert_allclose(res.to_frame()["car[0,0]"], res.abnormal.ar[:, day0])
    payload = res.to_json_dict()
    assert payload["parameters"]["measure"] == "volume"
    assert payload["events"][0]["ar"]["0"] == pytest.approx(res.abnormal.ar[0, day0])
    assert "abnormal log volume" in str(res.summary())
    assert "BHAR not computed" in res.bhar_note()


def test_planted_volume_shock_is_detected() -> None:
    res = event_study(example_events(), prices=_frames(shock=1.5), measure="volume", model="market", car_windows=EVT)
    t = res.tests["0,0"]
    assert res.to_frame()["car[0,0]"].mean() == pytest.approx(1.5, abs=0.5)
    assert t["patell"].pvalue < 0.01 and t["t_cross_sectional"].pvalue < 0.05


def test_range_study_equals_abnormal_range() -> None:
    frames = _frames()
    res = event_study(example_events(), prices=frames, measure="range", model="constant_mean", car_windows=EVT,
                      range_estimator="garman_klass")
    direct = abnormal_range(res.abnormal.panel, ohlc_arrays(res.abnormal.panel, frames), "garman_klass")
    np.testing.assert_allclose(res.abnormal.ar, direct.abnormal.ar, rtol=1e-12)
    assert res.abnormal.model == "range_garman_klass"


def test_missing_volume_is_excluded_with_reason_and_zero_day0_noted() -> None:
    frames = _frames()
    frames["EXA"] = frames["EXA"].drop(columns="volume")
    day0 = pd.Timestamp(example_events().set_index("symbol").loc["EXB", "event_date"])
    frames["EXB"].loc[day0, "volume"] = 0.0
    res = event_study(example_events(), prices=frames, measure="volume", model="constant_mean", car_windows=EVT)
    att = res.attrition.set_index("symbol")
    assert att.loc["EXA", "status"] == "excluded" and "no volume for EXA" in att.loc["EXA", "reason"]
    assert att.loc["EXB", "status"] != "excluded" and "volume missing or zero on event days tau = 0" in att.loc["EXB", "reason"]
    assert res.n_events == 4
    row = res.to_frame().set_index("symbol").loc["EXB"]
    assert np.isnan(row["car[0,0]"])


def test_index_without_volume_under_market_model_is_reported() -> None:
    frames = _frames()
    frames["^GSPC"]["volume"] = 0.0
    with pytest.raises(NoValidEventsError, match="benchmark .GSPC has no usable volume") as err:
        event_study(example_events(), prices=frames, measure="volume", model="market")
    assert err.value.attrition is not None and set(err.value.attrition["status"]) == {"excluded"}
    ok = event_study(example_events(), prices=frames, measure="volume", model="constant_mean")
    assert ok.n_events == 5  # the mean-adjusted model needs no market volume


def test_series_without_high_low_and_closes_only() -> None:
    frames = _frames()
    frames["EXC"] = frames["EXC"][["adj_close", "volume"]]
    res = event_study(example_events(), prices=frames, measure="range", model="constant_mean")
    att = res.attrition.set_index("symbol")
    assert att.loc["EXC", "status"] == "excluded" and "no high, low for EXC" in att.loc["EXC", "reason"]
    with pytest.raises(NoValidEventsError, match="no volume for"):
        event_study(example_events(), prices=example_prices(), measure="volume", model="constant_mean")


def test_measure_options_are_validated() -> None:
    with pytest.raises(InvalidRequestError, match="measure='volume' models log volume"):
        StudySpec(measure="volume", model="ff3")
    with pytest.raises(InvalidRequestError, match="measure='turnover' is not known"):
        StudySpec(measure="turnover")  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError, match="n_resamples=5"):
        StudySpec(n_resamples=5)
    assert StudySpec(measure="volume", model="constant_mean").as_dict()["measure"] == "volume"


def test_garch_registry_entry_equals_fit_garch() -> None:
    ev, px = example_events(), example_prices()
    res = event_study(ev, prices=px, model="garch", car_windows=EVT, tests=["patell", "bmp"])
    market = event_study(ev, prices=px, model="market", car_windows=EVT)
    direct = fit_garch(market.abnormal.panel, GarchSpec("garch", min_estimation=120))
    np.testing.assert_allclose(res.abnormal.params, direct.abnormal.params, rtol=1e-10)
    np.testing.assert_allclose(res.abnormal.ar_var, direct.abnormal.ar_var, rtol=1e-10)
    np.testing.assert_allclose(res.abnormal.ar, direct.abnormal.ar, rtol=1e-10)
    assert list(res.abnormal.param_names) == ["alpha", "beta", "omega", "alpha1", "beta1"]
    sar = res.abnormal.ar / np.sqrt(res.abnormal.ar_var)  # Patell Z on the GARCH SARs, day 0
    day0 = list(res.abnormal.panel.tau_evt).index(0)
    v = (res.abnormal.n_est - 2) / (res.abnormal.n_est - 4)
    z = sar[:, day0].sum() / np.sqrt(v.sum())
    assert res.tests["0,0"]["patell"].stat == pytest.approx(z, rel=1e-8)


def test_garch_failure_is_excluded_not_dropped() -> None:
    px = example_prices()
    flat = px["EXD"].copy()
    flat.iloc[:] = 50.0  # constant price: no variance to model
    px["EXD"] = flat
    res = event_study(example_events(), prices=px, model="gjr_garch", on_suspect="ignore", car_windows=EVT)
    att = res.attrition.set_index("symbol")
    assert att.loc["EXD", "status"] == "excluded" and att.loc["EXD", "stage"] == "garch"
    assert "GARCH fit failed" in att.loc["EXD", "reason"] and "constant" in att.loc["EXD", "reason"]
    assert res.n_events == 4


def test_resampling_tests_are_seeded_and_match_the_functions() -> None:
    ev, px = example_events(), example_prices()
    kw = dict(prices=px, car_windows=EVT, tests=["t_cross_sectional", "wild_bootstrap", "lbt_bootstrap"], n_resamples=199)
    a, b = event_study(ev, seed=3, **kw), event_study(ev, seed=3, **kw)
    pd.testing.assert_frame_equal(a.tests_frame(), b.tests_frame())
    car = a.to_frame()["car[-1,1]"].to_numpy()
    wb = wild_bootstrap_t(car, 199, 3)
    got = a.tests["-1,1"]["wild_bootstrap"]
    assert (got.stat, got.pvalue) == (wb.stat, wb.pvalue) and got.distribution == "wild bootstrap (B=199, seed=3)"
    assert got.stat == pytest.approx(a.tests["-1,1"]["t_cross_sectional"].stat)
    lbt = a.tests["-1,1"]["lbt_bootstrap"]
    assert np.isnan(lbt.stat) and "at least 8" in lbt.note  # five events: too few for LBT, said, not raised
    c = event_study(ev, seed=4, **kw).tests["-1,1"]["wild_bootstrap"]
    assert c.stat == got.stat  # the statistic does not depend on the seed
    frame = a.tests_frame()
    assert {"wild_bootstrap", "lbt_bootstrap"} <= set(frame["test"])
    assert a.to_json_dict()["aggregate"]["caar"]["-1,1"]["tests"]["wild_bootstrap"]["p"] == pytest.approx(wb.pvalue)
    bh = a.to_frame()["bhar[-1,1]"].to_numpy()
    with pytest.raises(InvalidRequestError):
        lbt_bootstrap(bh, 199, 3)


def test_placebo_permutation_for_one_firm() -> None:
    ev = example_events().iloc[:1]
    res = event_study(ev, prices=example_prices(), car_windows=[(0, 0)], tests=["placebo_permutation"],
                      n_resamples=499, seed=1)
    t = res.tests["0,0"]["placebo_permutation"]
    assert t.distribution == "placebo dates (B=499, seed=1)" and t.stat == pytest.approx(res.to_frame()["car[0,0]"].iloc[0])
    resid = res.abnormal.est_resid[0]
    draws = resid[np.random.default_rng(1).integers(0, resid.size, size=499)]
    assert t.pvalue == pytest.approx((1 + np.sum(np.abs(draws) >= abs(t.stat))) / 500)


def test_cli_measure_volume(shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from research_lib.cases.alibaba import case_events
    from research_lib.cli.app import main

    events = tmp_path / "ev.csv"
    case_events().to_csv(events, index=False)
    out = tmp_path / "res.json"
    assert main(["study", str(events), "--measure", "volume", "--model", "constant_mean", "--snapshot",
                 str(shared_data), "--offline", "--json", str(out)]) == 0
    assert "abnormal log volume" in capsys.readouterr().out
    payload = json.loads(out.read_text())
    assert payload["parameters"]["measure"] == "volume"
    lib = event_study(case_events(), measure="volume", model="constant_mean", snapshot=shared_data, offline=True)
    day0 = list(lib.abnormal.panel.tau_evt).index(0)
    for i, ev in enumerate(payload["events"]):
        assert ev["ar"]["0"] == pytest.approx(lib.abnormal.ar[i, day0])
        assert ev["ar"]["0"] > 1.0  # BABA and 9988.HK traded far above their estimation-window volume on day 0


def test_simulated_size_and_power_of_the_new_tests() -> None:
    from research_lib.simulation.measures import MeasuresDesign, new_tests_size_power

    d = MeasuresDesign(n_samples=120, n_events=20, n_resamples=99, seed=11)
    tab = new_tests_size_power(d).set_index(["test", "scenario"])["rejection_rate"]
    mc = 3 * np.sqrt(0.05 * 0.95 / d.n_samples)
    for test in ("wild_bootstrap", "t_cross_sectional", "variance_ratio_chi2", "variance_ratio_t", "volume_t",
                 "volume_patell", "volume_rank"):
        assert abs(tab[(test, "null")] - 0.05) <= mc, (test, tab[(test, "null")])
    for test in ("variance_ratio_chi2", "variance_ratio_t", "volume_t", "volume_patell", "volume_rank"):
        assert tab[(test, "planted")] > 0.8, test
    assert abs(tab[("wild_bootstrap", "planted")] - tab[("t_cross_sectional", "planted")]) < 0.15
    small = MeasuresDesign(n_samples=4, n_events=10, n_resamples=49, seed=2)
    pd.testing.assert_frame_equal(new_tests_size_power(small), new_tests_size_power(small))


def test_user_data_volume_column_reaches_the_volume_study() -> None:
    frames = _frames()
    long = pd.concat([f[["adj_close", "volume"]].rename(columns={"adj_close": "price"}).assign(symbol=s)
                      .rename_axis("date").reset_index() for s, f in frames.items()], ignore_index=True)
    res = event_study(example_events(), data=long, measure="volume", model="market", car_windows=EVT)
    ref = event_study(example_events(), prices=frames, measure="volume", model="market", car_windows=EVT)
    np.testing.assert_allclose(res.abnormal.ar, ref.abnormal.ar, rtol=1e-12)
    without = long.drop(columns="volume")
    with pytest.raises(NoValidEventsError, match="no volume for"):
        event_study(example_events(), data=without, measure="volume", model="constant_mean")


def test_variance_ratio_entries_equal_the_function() -> None:
    from research_lib.measures import variance_ratio_test

    res = event_study(example_events(), prices=example_prices(), car_windows=EVT,
                      tests=["bmp", "variance_ratio_chi2", "variance_ratio_t"])
    for method in ("chi2", "t"):
        want = variance_ratio_test(res.abnormal, (-1, 1), method)
        got = res.tests["-1,1"][f"variance_ratio_{method}"]
        assert (got.stat, got.pvalue, got.distribution) == (want.stat, want.pvalue, want.distribution)
    assert list(res.tests["0,0"]) == ["bmp", "variance_ratio_chi2", "variance_ratio_t"]


def test_cli_model_garch_with_variance_ratio(shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from research_lib.cases.alibaba import case_events
    from research_lib.cli.app import main

    events = tmp_path / "ev.csv"
    case_events().to_csv(events, index=False)
    out = tmp_path / "garch.json"
    assert main(["study", str(events), "--model", "garch", "--car-window", "0", "0", "--tests", "patell",
                 "variance_ratio_chi2", "--snapshot", str(shared_data), "--offline", "--json", str(out)]) == 0
    payload = json.loads(out.read_text())
    assert payload["parameters"]["model"] == "garch" and payload["parameters"]["measure"] == "returns"
    assert set(payload["aggregate"]["caar"]["0,0"]["tests"]) == {"patell", "variance_ratio_chi2"}
    assert set(payload["events"][0]["params"]) == {"alpha", "beta", "omega", "alpha1", "beta1"}
    lib = event_study(case_events(), model="garch", car_windows=[(0, 0)], snapshot=shared_data, offline=True)
    assert payload["events"][0]["ar"]["0"] == pytest.approx(lib.to_frame()["car[0,0]"].iloc[0])
