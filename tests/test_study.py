"""End-to-end: events + prices -> EventStudyResult, its tables, JSON, summary, plots and the CLI."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from research_lib.cli.app import main
from research_lib.errors import NoValidEventsError, WindowError
from research_lib.inference.battery import TEST_NAMES
from research_lib.listings.calendars import sessions
from research_lib.study import event_study

SESS = sessions("AAA", "2020-01-01", "2022-12-31")


def _prices(seed: int = 0, symbols: tuple[str, ...] = ("AAA", "BBB", "CCC")) -> dict[str, pd.Series]:
    rng = np.random.default_rng(seed)
    rm = rng.normal(0.0004, 0.01, len(SESS))
    out = {"^GSPC": pd.Series(3000 * np.cumprod(1 + rm), index=SESS)}
    for j, s in enumerate(symbols):
        r = 0.0002 * j + (0.8 + 0.2 * j) * rm + rng.normal(0, 0.015, len(SESS))
        out[s] = pd.Series(50 * np.cumprod(1 + r), index=SESS)
    return out


def _events() -> pd.DataFrame:
    return pd.DataFrame({
        "event_id": ["a1", "b1", "c1"],
        "symbol": ["AAA", "BBB", "CCC"],
        "benchmark": ["^GSPC"] * 3,
        "event_date": pd.to_datetime(["2021-06-15", "2021-09-14", "2022-03-15"]),
    })


def _oracle(prices: dict[str, pd.Series], symbol: str, day0: str, est=(-250, -11), win=(-1, 1)) -> tuple[float, float]:
    """CAR and its standard error computed directly with statsmodels (the textbook formulas)."""
    r = prices[symbol].pct_change()
    m = prices["^GSPC"].pct_change()
    i0 = SESS.get_loc(pd.Timestamp(day0))
    e = slice(i0 + est[0], i0 + est[1] + 1)
    res = sm.OLS(r.iloc[e].to_numpy(), sm.add_constant(m.iloc[e].to_numpy())).fit()
    w = slice(i0 + win[0], i0 + win[1] + 1)
    xe = sm.add_constant(m.iloc[w].to_numpy(), has_constant="add")
    ar = r.iloc[w].to_numpy() - xe @ res.params
    g = np.ones(len(ar))
    cov = res.scale * np.eye(len(ar)) + xe @ res.cov_params() @ xe.T  # V = s^2 I + X* Var(b) X*'
    return float(ar.sum()), float(np.sqrt(g @ cov @ g))


def test_cars_match_statsmodels_and_tables_are_complete() -> None:
    prices = _prices()
    res = event_study(_events(), prices=prices, car_windows=[(-1, 1), (0, 0)])
    assert res.n_events == 3 and set(res.attrition["status"]) == {"kept"}
    for _, row in res.events.iterrows():
        car, se = _oracle(prices, row["symbol"], f"{row['day0']:%Y-%m-%d}")
        assert row["car[-1,1]"] == pytest.approx(car, rel=1e-9, abs=1e-12)
        assert row["se[-1,1]"] == pytest.approx(se, rel=1e-9)
    assert set(res.tests["-1,1"]) >= set(TEST_NAMES)
    assert res.daily["tau"].tolist() == list(range(-10, 11))
    np.testing.assert_allclose(res.daily["caar"].iloc[-1], res.abnormal.car(-10, 10)[0].mean())


def test_per_event_statsmodels_detail_matches_the_vectorised_fit() -> None:
    res = event_study(_events(), prices=_prices())
    ols = res.ols("b1")
    row = res.events.set_index("event_id").loc["b1"]
    np.testing.assert_allclose(ols.params.to_numpy(), [row["alpha"], row["beta"]], rtol=1e-10)
    np.testing.assert_allclose(np.sqrt(ols.scale), row["sigma"], rtol=1e-10)
    hac = ols.get_robustcov_results("HAC", maxlags=5)
    assert hac.bse.shape == (2,) and np.all(hac.bse > 0)


def test_json_layout_and_values() -> None:
    res = event_study(_events(), prices=_prices(), car_windows=[(0, 1)])
    d = res.to_json_dict()
    assert set(d) == {"parameters", "events", "excluded", "aggregate"}
    ev = d["events"][0]
    assert set(ev) == {"event_id", "symbol", "benchmark", "event_date", "n_estimation", "alpha", "beta", "sigma", "params", "ar", "car"}
    assert set(ev["car"]["0,1"]) == {"car", "se", "t", "p"}
    assert ev["car"]["0,1"]["car"] == pytest.approx(ev["ar"]["0"] + ev["ar"]["1"])
    agg = d["aggregate"]["caar"]["0,1"]
    assert set(agg["tests"]) >= set(TEST_NAMES)
    t = agg["tests"]["t_cross_sectional"]
    cars = [e["car"]["0,1"]["car"] for e in d["events"]]
    oracle = stats.ttest_1samp(cars, 0.0)
    assert t["stat"] == pytest.approx(oracle.statistic) and t["p"] == pytest.approx(oracle.pvalue)
    json.dumps(d)  # serialisable


def test_summary_and_plots_render() -> None:
    res = event_study(_events().iloc[:1], prices=_prices())
    text = str(res.summary())
    assert "Event Study Results" in text and "alpha" in text and "[-1,1]" in text
    assert "<table" in res._repr_html_()
    fig, axes = plt.subplots(1, 2)
    assert res.plot("car", ax=axes[0]) is axes[0]
    assert res.plot("ar", ax=axes[1]) is axes[1]
    legend = [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert any("95% two-sided band" in s for s in legend)
    plt.close(fig)


def test_exclusions_are_reported_not_silent() -> None:
    prices = _prices()
    ev = _events()
    ev.loc[len(ev)] = ["early", "AAA", "^GSPC", pd.Timestamp("2020-03-02")]  # too few estimation days
    res = event_study(ev, prices=prices)
    assert res.n_events == 3
    ex = res.excluded
    assert ex["event_id"].tolist() == ["early"] and "estimation" in ex["reason"].item()


def test_all_excluded_raises_with_reasons() -> None:
    ev = _events().iloc[:1].assign(event_date=pd.Timestamp("2020-02-03"))
    with pytest.raises(NoValidEventsError, match="a1"):
        event_study(ev, prices=_prices())


def test_bad_car_window_is_a_clear_error() -> None:
    with pytest.raises(WindowError, match="inside the event window"):
        event_study(_events(), prices=_prices(), car_windows=[(-12, 0)])


def test_cli_study_on_snapshot_writes_json(tmp_path, shared_data, capsys) -> None:  # noqa: ANN001
    csv = tmp_path / "events.csv"
    csv.write_text("event_id,symbol,benchmark,announced_at\nbaba_capex,BABA,^GSPC,2025-02-24T11:48+08:00\n")
    out = tmp_path / "res.json"
    code = main(["study", str(csv), "--car-window", "0", "1", "--car-window", "-1", "1", "--json", str(out)])
    assert code == 0
    d = json.loads(out.read_text())
    ev = d["events"][0]
    assert ev["event_date"] == "2025-02-24" and ev["symbol"] == "BABA"
    assert "Event Study Results" in capsys.readouterr().out
    # day-0 simple return of BABA is -10.23%; its AR must be of that order (beta*market is small that day)
    assert -0.12 < ev["ar"]["0"] < -0.08


def test_cli_bad_input_exits_2_with_one_line(tmp_path, capsys) -> None:  # noqa: ANN001
    csv = tmp_path / "events.csv"
    csv.write_text("event_id,symbol,benchmark,event_date\nx,NOPE.ZZ,^GSPC,2025-02-24\n")
    assert main(["study", str(csv)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "NOPE.ZZ" in err[0]
    assert main(["study", str(tmp_path / "missing.csv")]) == 2


def test_exclude_dates_leave_the_estimation_sample_without_shifting_windows() -> None:
    prices = _prices()
    ev = _events().iloc[:1]
    drop = ["2021-03-01", "2021-04-15", "2021-07-01"]  # two inside the estimation window, one in the event window
    res = event_study(ev, prices=prices, exclude_dates=drop, car_windows=[(-1, 1)])
    full = event_study(ev, prices=prices, car_windows=[(-1, 1)])
    assert res.events["n_est"].item() == full.events["n_est"].item() - 2
    np.testing.assert_array_equal(res.abnormal.panel.est_dates, full.abnormal.panel.est_dates)
    r = prices["AAA"].pct_change()
    m = prices["^GSPC"].pct_change()
    i0 = SESS.get_loc(pd.Timestamp("2021-06-15"))
    est = pd.DataFrame({"r": r, "m": m}).iloc[i0 - 250 : i0 - 10].drop(pd.DatetimeIndex(drop), errors="ignore")
    ols = sm.OLS(est["r"].to_numpy(), sm.add_constant(est["m"].to_numpy())).fit()
    np.testing.assert_allclose(res.events[["alpha", "beta"]].to_numpy()[0], ols.params, rtol=1e-10)
    assert res.parameters.exclude_dates == tuple(drop)
    # the event-window date keeps its AR: exclusion applies to estimation samples only
    assert np.isfinite(res.abnormal.ar).all()


def test_json_beta_is_the_market_sensitivity_for_every_model() -> None:
    prices = _prices()
    rng = np.random.default_rng(4)
    rm = prices["^GSPC"].pct_change()
    factors = pd.DataFrame({"rf": 0.0001, "smb": rng.normal(0, 0.005, len(SESS)), "hml": rng.normal(0, 0.005, len(SESS))},
                           index=SESS)
    factors["mkt_rf"] = rm - factors["rf"]
    ev = _events().iloc[:2]
    ff3 = event_study(ev, prices=prices, factors=factors.dropna(), model="ff3").to_json_dict()["events"][0]
    assert set(ff3["params"]) == {"alpha", "mkt_rf", "smb", "hml"} and ff3["beta"] == ff3["params"]["mkt_rf"]
    dim = event_study(ev, prices=prices, model="dimson")
    d = dim.to_json_dict()["events"][0]
    assert d["beta"] == pytest.approx(sum(v for k, v in d["params"].items() if k != "alpha"))
    assert event_study(ev, prices=prices, model="market_adjusted").to_json_dict()["events"][0]["beta"] == 1.0
    assert event_study(ev, prices=prices, model="constant_mean").to_json_dict()["events"][0]["beta"] is None


def test_loader_fetches_enough_history_for_long_windows_on_asian_calendars(shared_data) -> None:  # noqa: ANN001
    """The price range is counted in the listing's sessions, so a 1000-session window loses nothing."""
    ev = pd.DataFrame({"event_id": ["tsmc"], "symbol": ["2330.TW"], "benchmark": ["^TWII"],
                       "event_date": [pd.Timestamp("2021-06-15")]})
    design = dict(estimation_window=(-1000, -11), min_estimation=120, car_windows=[(0, 1)])
    loaded = event_study(ev, **design)
    full = {s: pd.read_csv(shared_data / "prices" / f"{s}.csv", index_col="date", parse_dates=True)["adj_close"]
            for s in ("2330.TW", "^TWII")}
    given = event_study(ev, prices=full, **design)
    assert loaded.events["n_est"].item() == given.events["n_est"].item()
    np.testing.assert_allclose(loaded.events[["alpha", "beta", "car[0,1]"]], given.events[["alpha", "beta", "car[0,1]"]])


def test_confidence_level_labels_are_not_rounded() -> None:
    res = event_study(_events().iloc[:1], prices=_prices(), confidence=0.975, car_windows=[(0, 1)])
    table = res.car_table()
    assert {"ci_low_97.5%", "ci_high_97.5%"} <= set(table.columns)
    row = table.iloc[0]
    q = stats.t.ppf(0.9875, res.abnormal.df[0])
    assert row["ci_high_97.5%"] == pytest.approx(row["car"] + q * row["se"])
    assert "97.5% two-sided" in str(res.summary())
    ax = res.plot("car")
    assert any("97.5% two-sided band" in t.get_text() for t in ax.get_legend().get_texts())
    plt.close(ax.figure)


@pytest.mark.parametrize("target", ["folder", "missing/out.json"])
def test_cli_refuses_an_unwritable_json_path_before_the_study(tmp_path, capsys, target) -> None:  # noqa: ANN001
    csv = tmp_path / "events.csv"
    csv.write_text("event_id,symbol,benchmark,event_date\nx,BABA,^GSPC,2025-02-24\n")
    (tmp_path / "folder").mkdir()
    assert main(["study", str(csv), "--json", str(tmp_path / target)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot write --json" in err[0] and "choose a writable file path" in err[0]


def test_exclude_dates_are_strict_iso_dates() -> None:
    with pytest.raises(WindowError, match="excluded estimation date.*YYYY-MM-DD"):
        event_study(_events(), prices=_prices(), exclude_dates=["01/03/2025"])


def test_missing_snapshot_is_one_clear_error(tmp_path) -> None:  # noqa: ANN001
    from research_lib.errors import SnapshotError

    with pytest.raises(SnapshotError, match="does not exist"):
        event_study(_events(), snapshot=tmp_path / "nope")


# --------------------------------------------------------------------------- spec, attrition, BHAR, summary
def test_spec_and_keyword_call_give_the_same_study() -> None:
    from research_lib.spec import StudySpec

    spec = StudySpec(car_windows=[(0, 1), (-1, 1)], confidence=0.9, min_estimation=150)
    a = event_study(_events(), spec, prices=_prices())
    b = event_study(_events(), prices=_prices(), car_windows=[(0, 1), (-1, 1)], confidence=0.9, min_estimation=150)
    assert a.spec == b.spec == spec and a.spec.car_windows == ((0, 1), (-1, 1))
    pd.testing.assert_frame_equal(a.events, b.events)
    c = event_study(_events(), spec, prices=_prices(), confidence=0.99)  # keywords override the spec's fields
    assert c.spec.confidence == 0.99 and c.spec.car_windows == spec.car_windows
    with pytest.raises(AttributeError):
        spec.model = "ff3"  # type: ignore[misc]  # frozen


def test_attrition_is_one_table_with_the_documented_schema() -> None:
    from research_lib.events.attrition import COLUMNS

    ev = _events()
    ev.loc[len(ev)] = ["early", "AAA", "^GSPC", pd.Timestamp("2020-03-02")]  # excluded at the panel step
    ev.loc[len(ev)] = ["sat", "BBB", "^GSPC", pd.Timestamp("2021-06-12")]  # a Saturday: shifted when anchored
    res = event_study(ev, prices=_prices())
    att = res.attrition
    assert tuple(att.columns) == COLUMNS and att["event_id"].tolist() == ev["event_id"].tolist()
    row = att.set_index("event_id")
    assert row.loc["early", "status"] == "excluded" and row.loc["early", "stage"] == "panel"
    assert row.loc["sat", "status"] == "shifted" and row.loc["sat", "stage"] == "anchor"
    assert "2021-06-14" in row.loc["sat", "reason"]
    assert set(row.loc[["a1", "b1", "c1"], "status"]) == {"kept"}


def test_bhar_for_every_window_against_a_plain_loop() -> None:
    prices = _prices()
    for expected in ("model", "benchmark"):
        res = event_study(_events(), prices=prices, car_windows=[(0, 1), (-1, 1)], bhar_benchmark=expected)
        for _, row in res.events.iterrows():
            i0 = SESS.get_loc(row["day0"])
            r = prices[row["symbol"]].pct_change()
            m = prices["^GSPC"].pct_change()
            for a, b in ((0, 1), (-1, 1)):
                gross_r, gross_n = 1.0, 1.0
                for k in range(i0 + a, i0 + b + 1):
                    normal = row["alpha"] + row["beta"] * m.iloc[k] if expected == "model" else m.iloc[k]
                    gross_r *= 1 + r.iloc[k]
                    gross_n *= 1 + normal
                assert row[f"bhar[{a},{b}]"] == pytest.approx(gross_r - gross_n, rel=1e-9, abs=1e-14)
        d = res.to_json_dict()["aggregate"]["bhar"]
        assert d["expected_return"] == expected
        assert ("fitted normal return" if expected == "model" else "benchmark's own return") in d["note"]
        assert d["mean"]["0,1"] == pytest.approx(res.events["bhar[0,1]"].mean())


def test_bhar_absent_with_log_returns_says_why() -> None:
    res = event_study(_events(), prices=_prices(), returns="log", car_windows=[(0, 1)])
    assert not any(c.startswith("bhar") for c in res.events.columns)
    d = res.to_json_dict()["aggregate"]["bhar"]
    assert d["events"] is None and "log" in d["note"]
    assert "BHAR not computed: returns='log'" in str(res.summary())


def test_summary_formats_returns_in_percent_with_the_band() -> None:
    res = event_study(_events(), prices=_prices(), car_windows=[(0, 1)], confidence=0.9)
    s = res.summary()
    text = s.as_text()
    caar = res.car_table().set_index("window").loc["[0,1]"]
    assert f"{100 * caar['car']:.2f}%" in text and f"{100 * caar['ci_low_90%']:.2f}%" in text
    assert "90% two-sided" in text and "90% low" in text
    assert "<table" in s._repr_html_() and "\\begin{tabular}" in s.as_latex() and "[0,1]" in s.as_csv()
