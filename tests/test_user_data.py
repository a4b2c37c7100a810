"""Your own data in: CRSP-style long returns give the same study as the same data given as prices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _crsp import MARKET, PERMNOS, events, prices_long, returns_long

from research_lib.data.user import read_user_data
from research_lib.errors import DataError
from research_lib.study import event_study

KW = {"estimation_window": (-120, -11), "event_window": (-5, 5), "min_estimation": 60, "tests": "all"}


@pytest.fixture(scope="module")
def pair():  # noqa: ANN201
    ret, px = returns_long()
    return event_study(events(), data=ret, **KW), event_study(events(), data=px, **KW), ret


def test_returns_and_prices_give_the_same_study(pair) -> None:  # noqa: ANN001
    a, b, _ = pair
    assert a.n_events == b.n_events == 4
    np.testing.assert_allclose(a.abnormal.params, b.abnormal.params, rtol=0, atol=1e-12)  # alphas and betas
    np.testing.assert_allclose(a.abnormal.ar, b.abnormal.ar, rtol=0, atol=1e-12)
    for col in [c for c in a.events.columns if c.startswith(("car[", "se[", "t[", "p["))] + ["bhar", "sigma"]:
        np.testing.assert_allclose(a.events[col], b.events[col], rtol=1e-12, atol=1e-12)
    ta, tb = a.tests_frame(), b.tests_frame()
    np.testing.assert_allclose(ta["stat"], tb["stat"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ta["p"], tb["p"], rtol=1e-10, atol=1e-12)


def test_delisting_return_is_compounded_and_returns_enter_unchanged(pair) -> None:  # noqa: ANN001
    a, _, ret = pair
    sym = PERMNOS[3]
    last = ret[ret["symbol"] == sym].iloc[-1]
    expected = (1 + last["ret"]) * (1 + last["dlret"]) - 1
    i = list(a.abnormal.panel.event_ids).index("e4")
    dates = pd.DatetimeIndex(a.abnormal.panel.evt_dates[i])
    assert dates[-1] == last["date"]
    assert a.abnormal.panel.r_evt[i, -1] == expected  # exact: no price round trip
    own = ret[ret["symbol"] == sym].set_index("date")["ret"]
    np.testing.assert_array_equal(a.abnormal.panel.r_evt[i, :-1], own.reindex(dates[:-1]).to_numpy())


def test_missing_returns_stay_missing(pair) -> None:  # noqa: ANN001
    a, _, ret = pair
    i = list(a.abnormal.panel.event_ids).index("e2")
    est = pd.DatetimeIndex(a.abnormal.panel.est_dates[i])
    own = ret[ret["symbol"] == PERMNOS[1]].set_index("date")["ret"].reindex(est)
    assert own.isna().sum() == 2  # the gap: two missing returns in the estimation window
    assert int(a.events.loc[a.events["event_id"] == "e2", "n_est"].iloc[0]) == len(est) - 2
    np.testing.assert_array_equal(np.isnan(a.abnormal.panel.y_est[i]), own.isna().to_numpy())


def test_dlret_with_missing_ret_is_the_day_return() -> None:
    frame = pd.DataFrame({"symbol": ["X", "X", "X"], "date": ["2020-01-02", "2020-01-03", "2020-01-06"],
                          "ret": [0.01, np.nan, np.nan], "dlret": [np.nan, -0.5, np.nan]})
    got = read_user_data(frame).values["X"]
    np.testing.assert_array_equal(got.to_numpy(), [0.01, -0.5, np.nan])


def test_files_csv_parquet_wide_and_mapping_agree(tmp_path, pair) -> None:  # noqa: ANN001
    a, _, ret = pair
    csv, pq = tmp_path / "crsp.csv", tmp_path / "crsp.parquet"
    ret.assign(date=ret["date"].dt.strftime("%Y-%m-%d")).to_csv(csv, index=False)
    ret.to_parquet(pq)
    for src in (csv, pq):
        np.testing.assert_allclose(event_study(events(), data=src, **KW).abnormal.ar, a.abnormal.ar, rtol=0, atol=1e-12)
    px = prices_long()
    _, px_d = returns_long()
    wide = px_d.pivot(index="date", columns="symbol", values="price").reset_index()
    res_w = event_study(events(), data=wide, **KW)
    np.testing.assert_allclose(res_w.abnormal.ar, a.abnormal.ar, rtol=0, atol=1e-12)
    mapping = {s: g.set_index("date")["price"] for s, g in px_d.groupby("symbol")}
    res_m = event_study(events(), prices=mapping, **KW)  # PERMNOs have no suffix: NYSE by the Yahoo rules
    np.testing.assert_allclose(res_m.abnormal.ar, a.abnormal.ar, rtol=0, atol=1e-12)
    assert len(px)


def test_any_identifier_string_with_the_default_calendar() -> None:
    ret, _ = returns_long()
    ret["symbol"] = ret["symbol"].replace({MARKET: "^SPX", PERMNOS[0]: "US5949181045"})
    ev = events().replace({MARKET: "^SPX", PERMNOS[0]: "US5949181045"})
    res = event_study(ev, data=ret, **KW)
    assert set(res.events["benchmark"]) == {"^SPX"} and "US5949181045" in set(res.events["symbol"])


# ----------------------------------------------------------------------------- bad input
def _long(**cols: object) -> pd.DataFrame:
    base = {"symbol": ["A", "A", "A"], "date": ["2020-01-02", "2020-01-03", "2020-01-06"]}
    base.update(cols)  # type: ignore[arg-type]
    return pd.DataFrame(base)


@pytest.mark.parametrize(
    ("frame", "words"),
    [
        (_long(ret=[0.01, 0.02, -0.01]).drop(columns="symbol"), "no symbol column"),
        (_long(ret=[0.01, 0.02, -0.01]).drop(columns="date"), "no date column"),
        (_long(ret=[0.01, 0.02, -0.01], price=[1.0, 2.0, 3.0]), "both ret and price"),
        (_long(volume=[1, 2, 3]), "neither a ret nor a price"),
        (_long(ret=[0.01, 0.02, -0.01]).assign(date=["2020-01-02", "2020-01-02", "2020-01-06"]), "duplicate (symbol, date)"),
        (_long(ret=[0.01, -1.2, 0.0]), "below -100%"),
        (_long(ret=[101.0, 102.5, 99.0]), "looks like prices"),
        (_long(price=[0.01, -0.02, 0.005]), "looks like returns"),
        (_long(price=[10.0, 11.0, 12.0], dlret=[np.nan, np.nan, -0.3]), "dlret with prices"),
    ],
)
def test_bad_data_is_refused_with_the_fix(frame: pd.DataFrame, words: str) -> None:
    with pytest.raises(DataError, match=None) as err:
        read_user_data(frame)
    assert words in str(err.value)
    assert ";" in str(err.value)  # the message goes on to say what to do


def test_a_missing_file_names_the_path(tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(DataError, match="not found"):
        read_user_data(tmp_path / "nope.csv")


def test_crsp_missing_codes_are_missing_with_a_warning() -> None:
    frame = pd.DataFrame({"symbol": ["10107"] * 4, "date": ["2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07"],
                          "ret": ["0.01", "C", "-99", "0.02"]})
    with pytest.warns(UserWarning, match="2 ret value.*CRSP missing-value codes"):
        got = read_user_data(frame).values["10107"]
    np.testing.assert_array_equal(got.to_numpy(), [0.01, np.nan, np.nan, 0.02])
