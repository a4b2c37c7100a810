"""Basket benchmarks equal the hand-compounded basket on the security's session intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _crsp import PERMNOS, events, returns_long

from research_lib.data.basket import basket_returns, parse_basket, read_portfolios
from research_lib.errors import DataError, InvalidRequestError
from research_lib.listings.calendars import get_calendar
from research_lib.study import event_study

KW = {"estimation_window": (-120, -11), "event_window": (-5, 5), "min_estimation": 60}
MEMBERS = PERMNOS[:3]


def _london_security(seed: int = 3) -> pd.DataFrame:
    days = pd.DatetimeIndex(get_calendar("XLON").sessions_in_range("2019-01-02", "2020-06-30"))
    r = np.random.default_rng(seed).normal(0, 0.012, len(days))
    return pd.DataFrame({"symbol": "LSEX", "date": days, "ret": r, "calendar": "XLON"})


def _hand_basket(ret: pd.DataFrame, weights: dict[str, float], grid: pd.DatetimeIndex) -> pd.Series:
    """Plain loops: weighted mean over members present each NYSE day, compounded over each (s, t] of ``grid``."""
    wide = ret[ret["symbol"].isin(list(weights))].pivot(index="date", columns="symbol", values="ret")
    daily = {}
    for d, row in wide.iterrows():
        num = sum(weights[m] * row[m] for m in weights if np.isfinite(row[m]))
        den = sum(weights[m] for m in weights if np.isfinite(row[m]))
        daily[d] = num / den if den > 0 else np.nan
    nyse = list(wide.index)
    out = {}
    for s, t in zip(grid[:-1], grid[1:], strict=True):
        if s not in daily or t not in daily:
            out[t] = np.nan
            continue
        growth = 1.0
        for d in nyse[nyse.index(s) + 1: nyse.index(t) + 1]:
            growth *= 1 + daily[d]
        out[t] = growth - 1
    return pd.Series(out)


@pytest.mark.parametrize(("bench", "weights"), [
    ("EW(10107,14593,12490)", {m: 1.0 for m in MEMBERS}),
    ("W(10107:0.5,14593:0.3,12490:0.2)", {"10107": 0.5, "14593": 0.3, "12490": 0.2}),
])
def test_basket_benchmark_equals_the_hand_compounded_basket(bench: str, weights: dict[str, float]) -> None:
    ret, _ = returns_long()
    data = pd.concat([ret, _london_security()], ignore_index=True)
    days = pd.DatetimeIndex(get_calendar("XLON").sessions_in_range("2019-01-02", "2020-06-30"))
    ev = pd.DataFrame({"event_id": ["l1", "l2"], "symbol": ["LSEX", "LSEX"], "benchmark": [bench, bench],
                       "event_date": [f"{days[250]:%Y-%m-%d}", f"{days[330]:%Y-%m-%d}"]})
    res = event_study(ev, data=data, **KW)
    p = res.abnormal.panel
    for i in range(2):
        est = pd.DatetimeIndex(p.est_dates[i])
        grid = days[days.get_indexer([est[0]])[0] - 1: days.get_indexer([est[-1]])[0] + 1]
        hand = _hand_basket(ret, weights, grid).reindex(est)
        np.testing.assert_allclose(p.x_est[i, :, 0], hand.to_numpy(), rtol=1e-12, atol=1e-15)
    assert np.isnan(p.x_est[0, :, 0]).any()  # London sessions next to a US holiday have no benchmark return
    note = res.sources[res.sources["source"] == "basket"]["origin"].iloc[0]
    assert "2 of" in note and "renormalised" in note  # the two missing returns of 14593
    assert res.attrition["reason"].str.contains(r"benchmark basket .*: 2 of \d+ days with weights renormalised").all()


def test_cli_basket_from_a_portfolio_file_and_a_registry(tmp_path, capsys) -> None:  # noqa: ANN001
    from research_lib.cli.app import main

    ret, _ = returns_long()
    ret["symbol"] = ret["symbol"].replace({"VWRETD": "^SPX"})
    ret.to_csv(tmp_path / "crsp.csv", index=False)
    events().iloc[3:].assign(benchmark="PEERS").to_csv(tmp_path / "ev.csv", index=False)
    (tmp_path / "p.csv").write_text("portfolio,member,weight\npeers,10107,1\npeers,^SPX,1\n")
    (tmp_path / "r.csv").write_text("symbol,calendar\n^SPX,XNYS\n")
    argv = ["study", str(tmp_path / "ev.csv"), "--data", str(tmp_path / "crsp.csv"), "--portfolios", str(tmp_path / "p.csv"),
            "--registry", str(tmp_path / "r.csv"), "--calendar", "none", "--estimation-window", "-120", "-11",
            "--event-window", "-5", "5", "--min-estimation", "60", "--json", str(tmp_path / "o.json")]
    assert main(argv) == 0
    doc = __import__("json").loads((tmp_path / "o.json").read_text())
    assert doc["events"][0]["benchmark"] == "PEERS" and doc["schema_version"] == "1.0"
    capsys.readouterr()
    (tmp_path / "r.csv").write_text("symbol,calendar\n^SPX,XWHAT\n")
    assert main(argv) == 2 and "unknown calendar code 'XWHAT'" in capsys.readouterr().err


def test_renormalised_weights_and_value_weights() -> None:
    idx = pd.DatetimeIndex(["2020-01-02", "2020-01-03", "2020-01-06"])
    r = {"A": pd.Series([0.01, np.nan, 0.03], idx), "B": pd.Series([0.03, 0.02, np.nan], idx)}
    ew, note = basket_returns(parse_basket("EW(A,B)"), r)
    np.testing.assert_allclose(ew.to_numpy(), [0.02, 0.02, 0.03])
    assert note["renormalised_days"] == 2
    cap = {"A": pd.Series([1.0, 3.0, 3.0], idx), "B": pd.Series([3.0, 1.0, 1.0], idx)}
    vw, _ = basket_returns(parse_basket("VW(A,B)"), r, cap)
    # yesterday's caps: day 1 none (missing), day 2 only B present, day 3 only A present
    assert np.isnan(vw.iloc[0]) and vw.iloc[1] == 0.02 and vw.iloc[2] == 0.03


def test_named_portfolio_equals_the_written_weights(tmp_path) -> None:  # noqa: ANN001
    path = tmp_path / "ports.csv"
    path.write_text("portfolio,member,weight\npeers,10107,0.5\npeers,14593,0.3\npeers,12490,0.2\n")
    ports = read_portfolios(path)
    assert ports["PEERS"].members == ("10107", "14593", "12490")
    ret, _ = returns_long()
    ev = events().iloc[3:].assign(benchmark="PEERS")
    named = event_study(ev, data=ret, portfolios=path, **KW)
    written = event_study(ev.assign(benchmark="W(10107:0.5,14593:0.3,12490:0.2)"), data=ret, **KW)
    np.testing.assert_array_equal(named.abnormal.ar, written.abnormal.ar)


def test_bad_baskets_are_refused() -> None:
    ret, _ = returns_long()
    with pytest.raises(DataError, match=r"basket member\(s\) \['NOPE'\] are not in the data"):
        event_study(events().assign(benchmark="EW(10107,NOPE)"), data=ret, **KW)
    for text, words in (("EW()", "no members"), ("W(A:0.5,B)", "no weight"), ("EW(A,A)", "twice"), ("W(A:-1)", "positive")):
        with pytest.raises(InvalidRequestError, match=words):
            parse_basket(text)
    with pytest.raises(DataError, match="mcap"):
        basket_returns(parse_basket("VW(A)"), {"A": pd.Series([0.1], pd.DatetimeIndex(["2020-01-02"]))})
