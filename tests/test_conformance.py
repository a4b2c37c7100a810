"""Golden tests: the project reproduces the numbers two published packages print for their own examples.

References are the digits in ``reference/README.md`` of the snapshot (parsed by
``research_lib.cases.conformance.read_published``, so no published digit is retyped
here except a few that guard the parser).  A value matches when it rounds to
the printed digits: |ours - printed| <= half a unit of the last printed digit.
Independent checks recompute inputs another way (scipy/statsmodels regressions
on the reference CSVs, the package's row-based windows) rather than through
the engine.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from research_lib.cases import conformance as cf
from research_lib.cli.app import main
from research_lib.config import get_settings
from research_lib.conventions import ESTUDY2, EVENTSTUDY, TEXTBOOK
from research_lib.engine.returns import compute_returns
from research_lib.errors import DataError
from research_lib.listings.calendars import calendar_for, sessions
from research_lib.study import read_price_table

VIGNETTE_EST = ("2019-04-02", "2020-03-13")  # estimation returns of the estudy2 vignette
VIGNETTE_DAYS = pd.DatetimeIndex(["2020-03-16", "2020-03-17", "2020-03-18", "2020-03-19", "2020-03-20"])


@pytest.fixture(scope="module")
def ref(shared_data: Path) -> Path:
    """The snapshot's reference folder (module scope: resolved from the session's snapshot setting)."""
    path = get_settings(snapshot=shared_data).snapshot / "reference"
    if not (path / "README.md").is_file():
        pytest.skip(f"reference data not found in {path}; use a snapshot of shared/data that ships reference/")
    return path


@pytest.fixture(scope="module")
def published(ref: Path) -> cf.Published:
    return cf.read_published(ref)


@pytest.fixture(scope="module")
def covid(ref: Path) -> cf.ReferenceCase:
    return cf.estudy2_case(ref)


@pytest.fixture(scope="module")
def covid_result(covid: cf.ReferenceCase):  # noqa: ANN201
    return covid.run()


@pytest.fixture(scope="module")
def apple(ref: Path) -> cf.ReferenceCase:
    return cf.lemaire_case(ref)


def _rates(ref: Path, name: str) -> pd.DataFrame:
    frame = pd.read_csv(ref / "estudy2_covid" / name, index_col=0)
    frame.index = pd.to_datetime(frame.index)
    return frame


# --------------------------------------------------------------------------- the README parser
def test_readme_parser_keeps_digits(published: cf.Published) -> None:
    e = published.estudy2
    assert list(e.values.index) == list(cf.ESTUDY2_STATISTICS)
    assert list(e.values.columns) == list(VIGNETTE_DAYS)
    # a few cells read back exactly as printed (guards the parser, not the engine)
    assert e.values.loc["bmp", pd.Timestamp("2020-03-20")] == 8.65212561
    assert e.decimals.loc["bmp", pd.Timestamp("2020-03-20")] == 8
    assert e.values.loc["wilcoxon", pd.Timestamp("2020-03-17")] == 10 and e.decimals.loc["wilcoxon"].eq(0).all()
    assert published.estudy2_textbook.values.loc["corrado_zivney", pd.Timestamp("2020-03-20")] == 2.0670
    assert published.estudy2_textbook.decimals.eq(4).all().all()
    assert published.estudy2_params.values.loc["UPWK", "alpha"] == -0.003810
    assert published.lemaire.values.loc["t", 0] == 2.14 and published.lemaire.decimals.loc["ar"].eq(3).all()
    assert list(published.lemaire.values.columns) == list(range(-2, 11))
    assert published.lemaire_params.values.loc["sigma", "value"] == 0.02244606


# --------------------------------------------------------------------------- estudy2: inputs and design
def test_log_returns_from_prices_reproduce_rates(ref: Path) -> None:
    prices = _rates(ref, "prices.csv").join(_rates(ref, "prices_indx.csv"))
    rates = _rates(ref, "rates.csv").join(_rates(ref, "rates_indx.csv"))
    grid = sessions("^GSPC", prices.index[0], prices.index[-1])
    assert grid.equals(pd.DatetimeIndex(prices.index)), "the estudy2 prices are on NYSE sessions"
    for col in rates.columns:
        ours = compute_returns(prices[col].dropna(), grid, kind="log").reindex(rates.index)
        np.testing.assert_array_equal(np.isfinite(ours.to_numpy()), np.isfinite(rates[col].to_numpy()), err_msg=col)
        np.testing.assert_allclose(ours.to_numpy(), rates[col].to_numpy(), rtol=1e-12, atol=1e-15, err_msg=col)


def test_estudy2_windows_are_the_vignette_dates(covid: cf.ReferenceCase, covid_result, ref: Path) -> None:  # noqa: ANN001
    p = covid_result.abnormal.panel
    est = pd.DatetimeIndex(p.est_dates[0])
    assert covid.estimation_window == (-len(est), -1)
    assert (est[0], est[-1]) == tuple(pd.Timestamp(d) for d in VIGNETTE_EST)
    assert (p.est_dates == p.est_dates[0]).all() and (p.evt_dates == p.evt_dates[0]).all()
    assert pd.DatetimeIndex(p.evt_dates[0]).equals(VIGNETTE_DAYS)
    # complete cases per security: counted here from rates.csv
    rates = _rates(ref, "rates.csv").loc[VIGNETTE_EST[0]:VIGNETTE_EST[1]]
    assert list(covid_result.abnormal.n_est) == [int(rates[s].notna().sum()) for s in p.symbols]


def test_estudy2_alpha_beta(covid_result, published: cf.Published, ref: Path) -> None:  # noqa: ANN001
    ev = covid_result.events.set_index("symbol")
    pp = published.estudy2_params
    rates, mkt = _rates(ref, "rates.csv"), _rates(ref, "rates_indx.csv").iloc[:, 0]
    est = rates.loc[VIGNETTE_EST[0]:VIGNETTE_EST[1]]
    for sym in pp.values.index:
        ok = est[sym].notna()
        fit = stats.linregress(mkt.loc[est.index][ok], est[sym][ok])  # independent: scipy on rates.csv
        assert ev.loc[sym, "alpha"] == pytest.approx(fit.intercept, abs=1e-12)
        assert ev.loc[sym, "beta"] == pytest.approx(fit.slope, abs=1e-10)
        for col in ("alpha", "beta"):
            tol = 0.5 * 10.0 ** -pp.decimals.loc[sym, col]
            assert abs(ev.loc[sym, col] - pp.values.loc[sym, col]) <= tol, (sym, col)


def test_estudy2_every_statistic_to_the_printed_digits(covid_result, published: cf.Published) -> None:  # noqa: ANN001
    ours = cf.estudy2_statistics(covid_result)
    cmp = cf.compare(ours, published.estudy2)
    assert len(cmp) == 13 * 5
    bad = cmp[~cmp["ok"]]
    assert bad.empty, bad.to_string()


def test_estudy2_lamb_difference_is_its_mean_m(covid_result, published: cf.Published) -> None:  # noqa: ANN001
    """estudy2's Lamb formula by hand (1 + 1/mean(M) + ...) hits the printed digits, and so does the engine."""
    ab = covid_result.abnormal
    s_aar = np.std(np.nanmean(ab.est_resid, axis=0), ddof=1)
    x = ab.panel.x_est[0, :, 0]
    mbar, sxx = x.mean(), np.sum((x - x.mean()) ** 2)
    c = 1 + 1 / ab.n_est.mean() + (ab.panel.x_evt[0, :, 0] - mbar) ** 2 / sxx
    lamb = ab.ar.mean(axis=0) / (s_aar * np.sqrt(c))
    printed = published.estudy2.values.loc["lamb"].to_numpy()
    assert np.all(np.abs(lamb - printed) <= 0.5e-6)
    ours = cf.estudy2_statistics(covid_result).loc["lamb"].to_numpy()
    np.testing.assert_allclose(ours, lamb, rtol=1e-10)


def test_cli_reproduces_estudy2(covid: cf.ReferenceCase, published: cf.Published, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    events, prices = covid.write_inputs(tmp_path)
    out = tmp_path / "out.json"
    assert main([*covid.cli_args(events, prices), "--json", str(out)]) == 0
    assert "Event Study Results" in capsys.readouterr().out
    data = json.loads(out.read_text())
    assert data["parameters"]["conventions"] == "estudy2" and data["parameters"]["returns"] == "log"
    e = published.estudy2
    for tau, day in enumerate(e.values.columns):
        tests = data["aggregate"]["caar"][f"{tau},{tau}"]["tests"]
        got = {"aar": data["aggregate"]["aar"][str(tau)], **{n: tests[n]["stat"] for n in cf.ESTUDY2_STATISTICS[1:]}}
        for name, value in got.items():
            printed = e.values.loc[name, day]
            assert abs(value - printed) <= 0.5 * 10.0 ** -e.decimals.loc[name, day], (name, day)


def test_cli_standard_battery_and_bad_inputs(covid: cf.ReferenceCase, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    events, prices = covid.write_inputs(tmp_path)
    args = covid.cli_args(events, prices)
    plain = args[: args.index("--tests")]
    out = tmp_path / "plain.json"
    assert main([*plain, "--json", str(out)]) == 0
    names = set(json.loads(out.read_text())["aggregate"]["caar"]["0,0"]["tests"])
    assert "lamb" not in names and "t_cross_sectional" in names
    capsys.readouterr()
    assert main([*plain, "--tests", "no_such_test"]) == 2
    assert "no_such_test" in capsys.readouterr().err


def test_read_price_table_errors(tmp_path: Path) -> None:
    a = tmp_path / "a.csv"
    a.write_text("date,AAA\n2020-01-02,1.5\n2020-01-03,NA\n")
    got = read_price_table([a])
    assert math.isnan(got["AAA"].iloc[1]) and got["AAA"].index[0] == pd.Timestamp("2020-01-02")
    with pytest.raises(DataError, match="more than one"):
        read_price_table([a, a])
    b = tmp_path / "b.csv"
    b.write_text("date,BBB\n2020-01-02,abc\n")
    with pytest.raises(DataError, match="non-numeric"):
        read_price_table(b)
    c = tmp_path / "c.csv"
    c.write_text("date,CCC\n2020-01-02,1\n2020-01-02,2\n")
    with pytest.raises(DataError, match="duplicate dates"):
        read_price_table(c)


# --------------------------------------------------------------------------- eventstudy (Lemaire): Apple
def test_gafam_rows_are_nyse_sessions(ref: Path) -> None:
    ret = pd.read_csv(ref / "lemaire_gafam" / "returns_GAFAM.csv", index_col=0)
    idx = pd.DatetimeIndex(pd.to_datetime(ret.index))
    grid = pd.DatetimeIndex(calendar_for("SPY").sessions)
    assert idx.equals(grid[(grid >= idx[0]) & (grid <= idx[-1])])


def test_lemaire_apple_to_the_printed_digits(apple: cf.ReferenceCase, published: cf.Published, ref: Path) -> None:
    res = apple.run()
    table, params = cf.lemaire_statistics(res)
    cmp = cf.compare(table, published.lemaire)
    assert cmp["ok"].all(), cmp[~cmp["ok"]].to_string()
    lp = published.lemaire_params
    for name in ("alpha", "beta", "sigma"):
        assert abs(params[name] - lp.values.loc[name, "value"]) <= 0.5 * 10.0 ** -lp.decimals.loc[name, "value"], name
    assert params["df"] == 299  # the package's p-values come from t(estimation_size - 1)

    # independent: the package's row arithmetic on the returns file with statsmodels
    ret = pd.read_csv(ref / "lemaire_gafam" / "returns_GAFAM.csv", index_col=0)
    i = list(ret.index).index("2007-01-09")
    y, x = ret["AAPL"].to_numpy(), ret["SPY"].to_numpy()
    est = slice(i - 332, i - 32)
    fit = sm.OLS(y[est], sm.add_constant(x[est])).fit()
    evt = slice(i - 2, i + 11)
    ar = y[evt] - fit.params[0] - fit.params[1] * x[evt]
    sigma2 = np.mean(fit.resid**2)  # ddof 0
    t = np.cumsum(ar) / np.sqrt(np.arange(1, 14) * sigma2)
    np.testing.assert_allclose(table.loc["ar"].to_numpy(), ar, rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(table.loc["t"].to_numpy(), t, rtol=1e-8)
    assert params["sigma"] == pytest.approx(math.sqrt(sigma2), rel=1e-10)


# --------------------------------------------------------------------------- decomposition and errors
def test_decomposition_adds_up(apple: cf.ReferenceCase) -> None:
    def car_t(conv) -> pd.Series:  # noqa: ANN001
        table, params = cf.lemaire_statistics(apple.run(conv, tests=None))
        return pd.concat([table.loc["t"].rename(lambda d: f"t{d}"), params[["sigma", "df"]]])

    levels, changes = cf.decompose(car_t, TEXTBOOK, EVENTSTUDY)
    assert list(levels.columns) == ["textbook", "+resid_ddof=0", "+forecast_error=False",
                                    "+car_variance=sigma2_days", "+t_df=n_est_minus_1"]
    np.testing.assert_allclose(changes.sum(axis=1), levels["+t_df=n_est_minus_1"] - levels["textbook"], atol=1e-12)
    np.testing.assert_allclose(levels.iloc[:, -1], car_t(EVENTSTUDY), atol=0)
    # sigma: only the residual ddof moves it, by sqrt((M - 2) / M)
    assert changes.loc["sigma"].drop("+resid_ddof=0").abs().max() == 0
    assert levels.loc["sigma", "+resid_ddof=0"] / levels.loc["sigma", "textbook"] == pytest.approx(math.sqrt(298 / 300))
    assert levels.loc["df"].tolist() == [298, 298, 298, 298, 299]
    path = cf.convention_path("textbook", "estudy2")
    assert [p.name for p in path][-1] == "estudy2" and path[-1].describe() == ESTUDY2.describe()
    assert len(path) == 4  # resid_ddof, market_moments, rank_aggregation


def test_mislabelled_band_covers_80_percent() -> None:
    q = cf.band_quantiles(0.90, 299)
    assert q.loc["mislabelled", "coverage"] == pytest.approx(0.80, abs=1e-12)
    assert q.loc["correct", "coverage"] == pytest.approx(0.90, abs=1e-12)
    draws = stats.t.rvs(299, size=200_000, random_state=np.random.default_rng(7))
    inside = np.mean(np.abs(draws) <= q.loc["mislabelled", "critical"])
    assert abs(inside - 0.80) < 4 * math.sqrt(0.8 * 0.2 / draws.size)


def test_event_window_df_and_calendar_days(apple: cf.ReferenceCase) -> None:
    p = cf.event_window_df(2.0, 299, 13)
    assert p.loc["event window (L2 - 1)", "df"] == 12
    assert p.loc["event window (L2 - 1)", "p"] > p.loc["estimation window", "p"]
    cal = cf.calendar_day_design(apple)
    assert cal.loc["sessions", "n_estimation"] == 300 and cal.loc["sessions", "n_event"] == 13
    assert cal.loc["calendar days", "n_event"] < 13 and cal.loc["calendar days", "n_estimation"] < 300
    # the session design reproduces the package's CAR(-2, +10)
    res = apple.run(tests=None)
    assert cal.loc["sessions", "car"] == pytest.approx(res.events["car[-2,10]"].iloc[0], rel=1e-9)
