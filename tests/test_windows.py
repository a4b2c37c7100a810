"""Day-0 anchoring, window specs and stacked panels (research_lib.engine.windows)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from research_lib.engine.windows import FactorRegionWarning, WindowSpec, anchor_events, build_panel
from research_lib.errors import DataError, EventError, InvalidRequestError, NoValidEventsError, WindowError
from research_lib.listings.calendars import get_calendar, sessions

DAY0 = pd.Timestamp("2025-02-24")
SPEC = WindowSpec()  # (-250, -11), (-10, 10), min 120


@pytest.fixture(scope="module")
def real_prices(shared_data: Path) -> dict[str, pd.Series]:
    root = shared_data / "prices"
    out = {}
    for sym in ("BABA", "^GSPC", "9988.HK", "^HSI", "2330.TW", "^TWII"):
        frame = pd.read_csv(root / f"{sym}.csv", parse_dates=["date"], index_col="date")
        out[sym] = frame["adj_close"].rename(sym)
    return out


def _events(rows: list[tuple[str, str, str, object]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "event_id": [r[0] for r in rows],
            "symbol": [r[1] for r in rows],
            "benchmark": [r[2] for r in rows],
            "event_date": pd.to_datetime([r[3] for r in rows]),
        }
    )


def _panel(prices: dict[str, pd.Series], rows: list[tuple[str, str, str, object]], spec: WindowSpec = SPEC, **kw):
    anchored, _ = anchor_events(_events(rows))
    return build_panel(anchored, prices, spec, **kw)


def _synthetic_prices(start: str, end: str, seed: int = 0, symbols: tuple[str, ...] = ("AAA", "^GSPC")):
    dates = sessions("AAPL", start, end)
    rng = np.random.default_rng(seed)
    out = {}
    for sym in symbols:
        r = rng.normal(0.0003, 0.01, len(dates))
        out[sym] = pd.Series(100 * np.exp(np.cumsum(r)), index=dates, name=sym)
    return out


# --------------------------------------------------------------------------- WindowSpec
def test_windowspec_defaults_and_event_time() -> None:
    assert len(SPEC.tau_est) == 240 and SPEC.tau_est[-1] == -11
    assert list(SPEC.tau_evt) == list(range(-10, 11))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"estimation": (-11, -250)}, "wrong order"),
        ({"event": (10, -10)}, "wrong order"),
        ({"estimation": (-250, -5)}, r"overlaps.*estimation=\(-250, -11\)"),
        ({"estimation": (20, 100)}, "overlaps or follows"),
        ({"min_estimation": 500}, "exceeds the 240 sessions"),
        ({"min_estimation": 2}, "too small"),
    ],
)
def test_windowspec_rejects_bad_windows(kwargs: dict, match: str) -> None:
    with pytest.raises(WindowError, match=match):
        WindowSpec(**kwargs)


def test_min_estimation_must_cover_model_parameters() -> None:
    prices = _synthetic_prices("2020-01-01", "2021-12-31")
    with pytest.raises(WindowError, match="at least 8"):
        _panel(prices, [("e", "AAA", "^GSPC", "2021-06-01")], WindowSpec(min_estimation=7), model="ff5")


# --------------------------------------------------------------------------- anchoring
def test_anchor_rules_and_attrition() -> None:
    ev = pd.DataFrame(
        {
            "event_id": ["hk_intraday", "ny_weekend", "ny_after_close", "ny_date", "bad_sym", "no_date"],
            "symbol": ["9988.HK", "BABA", "INTC", "BABA", "XYZ.ZZ", "BABA"],
            "benchmark": ["^HSI", "^GSPC", "^GSPC", "^GSPC", "^GSPC", "^GSPC"],
            "announced_at": ["2025-02-24T11:48+08:00", None, "2021-03-23T14:00-07:00", None, None, None],
            "event_date": pd.to_datetime([None, "2025-02-23", None, "2025-02-24", "2025-02-24", None]),
            "note": list("abcdef"),
        }
    )
    anchored, attrition = anchor_events(ev)
    assert list(attrition["event_id"]) == list(ev["event_id"])  # one row per input event
    status = dict(zip(attrition["event_id"], attrition["status"], strict=True))
    assert status == {
        "hk_intraday": "kept",
        "ny_weekend": "shifted",
        "ny_after_close": "shifted",
        "ny_date": "kept",
        "bad_sym": "excluded",
        "no_date": "excluded",
    }
    day0 = dict(zip(anchored["event_id"], anchored["day0"], strict=True))
    assert day0["hk_intraday"] == DAY0
    assert day0["ny_weekend"] == DAY0  # Sunday -> Monday, reported
    assert day0["ny_after_close"] == pd.Timestamp("2021-03-24")
    assert anchored.set_index("event_id").loc["ny_after_close", "anchor_rule"] == "after_close"
    reasons = dict(zip(attrition["event_id"], attrition["reason"], strict=True))
    assert "2025-02-23" in reasons["ny_weekend"] and "2025-02-24" in reasons["ny_weekend"]
    assert "ZZ" in reasons["bad_sym"]
    assert "neither event_date nor announced_at" in reasons["no_date"]
    assert list(anchored["note"]) == ["a", "b", "c", "d"]  # other columns carried through


def test_anchor_rejects_duplicates_and_naive_timestamps() -> None:
    with pytest.raises(EventError, match="duplicate"):
        anchor_events(_events([("x", "BABA", "^GSPC", "2025-02-24"), ("x", "BABA", "^GSPC", "2025-02-25")]))
    naive = pd.DataFrame(
        {"event_id": ["n"], "symbol": ["BABA"], "benchmark": ["^GSPC"], "announced_at": ["2025-02-24 10:00"]}
    )
    with pytest.raises(EventError, match="time zone"):
        anchor_events(naive)
    bad_date = pd.DataFrame({"event_id": ["d"], "symbol": ["BABA"], "benchmark": ["^GSPC"], "event_date": ["soon"]})
    with pytest.raises(EventError, match="event d: event_date 'soon' is not a date"):
        anchor_events(bad_date)
    with pytest.raises(EventError, match="column"):
        anchor_events(pd.DataFrame({"event_id": ["a"], "symbol": ["BABA"]}))


def test_announced_at_wins_over_event_date_and_says_so() -> None:
    ev = pd.DataFrame(
        {
            "event_id": ["a"],
            "symbol": ["INTC"],
            "benchmark": ["^GSPC"],
            "announced_at": [pd.Timestamp("2021-03-23 17:00", tz="America/New_York")],
            "event_date": [pd.Timestamp("2021-03-23")],
        }
    )
    anchored, attrition = anchor_events(ev)
    assert anchored.loc[0, "day0"] == pd.Timestamp("2021-03-24")
    assert attrition.loc[0, "status"] == "shifted"
    assert "takes precedence over event_date 2021-03-23" in attrition.loc[0, "reason"]


def test_dates_outside_the_calendar_are_excluded() -> None:
    ev = pd.DataFrame(
        {
            "event_id": ["old_ts", "old_date", "ok"],
            "symbol": ["BABA"] * 3,
            "benchmark": ["^GSPC"] * 3,
            "announced_at": ["1960-01-05T10:00-05:00", None, None],
            "event_date": pd.to_datetime([None, "1960-01-05", "2025-02-24"]),
        }
    )
    anchored, attrition = anchor_events(ev)
    assert list(anchored["event_id"]) == ["ok"]
    assert attrition["reason"].str.contains("outside the XNYS calendar").sum() == 2


def test_unknown_benchmark_is_excluded_at_anchoring() -> None:
    anchored, attrition = anchor_events(
        _events([("a", "BABA", "^NOPE", "2025-02-24"), ("b", "BABA", "^GSPC", "2025-02-24")])
    )
    assert list(anchored["event_id"]) == ["b"]
    row = attrition.set_index("event_id").loc["a"]
    assert row["status"] == "excluded" and "^NOPE" in row["reason"]


# --------------------------------------------------------------------------- real snapshot
def test_baba_on_nyse_sessions(real_prices: dict[str, pd.Series]) -> None:
    panel, attrition = _panel(real_prices, [("baba", "BABA", "^GSPC", DAY0)])
    assert attrition["status"].tolist() == ["kept"]
    nyse = get_calendar("XNYS").sessions
    i0 = nyse.get_loc(DAY0)
    est = pd.DatetimeIndex(panel.est_dates[0])
    evt = pd.DatetimeIndex(panel.evt_dates[0])
    assert len(est) == 240
    assert est[-1] == nyse[i0 - 11] and est[0] == nyse[i0 - 250]
    assert evt.equals(pd.DatetimeIndex(nyse[i0 - 10 : i0 + 11]))
    assert pd.Timestamp("2025-02-17") not in evt  # Presidents' Day
    assert evt[list(panel.tau_evt).index(-5)] == pd.Timestamp("2025-02-14")
    assert evt[list(panel.tau_evt).index(0)] == DAY0
    r0 = panel.y_evt[0, list(panel.tau_evt).index(0)]
    assert r0 == pytest.approx(126.8952 / 141.3607 - 1, abs=1e-6)
    assert round(r0 * 100, 2) == -10.23
    np.testing.assert_array_equal(panel.r_evt, panel.y_evt)
    assert panel.x_names == ("mkt",)
    gspc = real_prices["^GSPC"]
    assert panel.x_evt[0, 10, 0] == pytest.approx(gspc.loc[DAY0] / gspc.loc["2025-02-21"] - 1, rel=1e-12)


def test_hk_listing_counts_hkex_sessions(real_prices: dict[str, pd.Series]) -> None:
    panel, _ = _panel(real_prices, [("hk", "9988.HK", "^HSI", DAY0)])
    hkex = get_calendar("XHKG").sessions
    i0 = hkex.get_loc(DAY0)
    assert pd.DatetimeIndex(panel.est_dates[0]).equals(pd.DatetimeIndex(hkex[i0 - 250 : i0 - 10]))
    assert pd.DatetimeIndex(panel.evt_dates[0]).equals(pd.DatetimeIndex(hkex[i0 - 10 : i0 + 11]))
    lunar = pd.Timestamp("2025-01-29")
    assert lunar not in set(pd.DatetimeIndex(panel.est_dates[0]))
    px = real_prices["9988.HK"]
    assert panel.y_evt[0, 10] == pytest.approx(px.loc[DAY0] / px.loc["2025-02-21"] - 1, rel=1e-12)


def test_cross_calendar_benchmark_holidays_are_incomplete_cases(real_prices: dict[str, pd.Series]) -> None:
    panel, attrition = _panel(real_prices, [("x", "BABA", "^HSI", DAY0)])
    est = pd.DatetimeIndex(panel.est_dates[0])
    hk = get_calendar("XHKG").sessions
    not_hk = ~est.isin(hk)
    assert not_hk.sum() > 5  # HK holidays inside the NYSE estimation window
    assert np.isnan(panel.x_est[0, not_hk, 0]).all()
    # every HK holiday is missing, and the complete-case count excludes them
    cc = np.isfinite(panel.y_est[0]) & np.isfinite(panel.x_est[0, :, 0])
    assert not cc[not_hk].any()
    assert attrition.loc[0, "n_est"] == cc.sum() < 240
    # ^HSI has a close on every HK session of this window, so a regressor is missing exactly when either end
    # of the NYSE interval (previous NYSE session, this session] is not an HK session
    ny = get_calendar("XNYS").sessions
    prev = ny[ny.get_indexer(est) - 1]
    np.testing.assert_array_equal(np.isnan(panel.x_est[0, :, 0]), not_hk | ~prev.isin(hk))


def test_min_estimation_is_honoured(real_prices: dict[str, pd.Series]) -> None:
    _, att = _panel(real_prices, [("x", "BABA", "^HSI", DAY0), ("ok", "BABA", "^GSPC", DAY0)])
    m = int(att.loc[0, "n_est"])
    _, kept = _panel(
        real_prices, [("x", "BABA", "^HSI", DAY0), ("ok", "BABA", "^GSPC", DAY0)], WindowSpec(min_estimation=m)
    )
    assert kept.loc[0, "status"] == "kept"
    _, excl = _panel(
        real_prices, [("x", "BABA", "^HSI", DAY0), ("ok", "BABA", "^GSPC", DAY0)], WindowSpec(min_estimation=m + 1)
    )
    assert excl.loc[0, "status"] == "excluded"
    assert f"only {m} complete estimation returns" in excl.loc[0, "reason"]
    assert "2024-04-01" in excl.loc[0, "reason"]  # Easter Monday in Hong Kong: named as an incomplete day


# --------------------------------------------------------------------------- exclusions
def test_missing_price_in_event_window_excludes_with_dates(real_prices: dict[str, pd.Series]) -> None:
    prices = dict(real_prices)
    prices["BABA"] = real_prices["BABA"].drop(pd.Timestamp("2025-02-26"))
    panel, att = _panel(prices, [("gap", "BABA", "^GSPC", DAY0), ("hk", "9988.HK", "^HSI", DAY0)])
    row = att.set_index("event_id").loc["gap"]
    assert row["status"] == "excluded"
    assert "2025-02-26" in row["reason"] and "2025-02-27" in row["reason"]  # no price, then a 2-session return
    assert list(panel.event_ids) == ["hk"]


def test_day0_outside_data_and_missing_series(real_prices: dict[str, pd.Series]) -> None:
    rows = [
        ("early", "BABA", "^GSPC", "2020-06-01"),  # BABA.csv starts 2021-01-04
        ("nobench", "BABA", "^HSTECH", DAY0),  # known symbol, no prices loaded
        ("nosec", "JD", "^GSPC", DAY0),
        ("ok", "BABA", "^GSPC", DAY0),
    ]
    _, att = _panel(real_prices, rows)
    reasons = att.set_index("event_id")["reason"]
    assert (att.set_index("event_id")["status"] == "excluded").sum() == 3
    assert "outside the data of BABA (2021-01-04.." in reasons["early"]
    assert "no prices for the benchmark ^HSTECH" in reasons["nobench"]
    assert "no prices for the security JD" in reasons["nosec"]


def test_all_excluded_raises_with_attrition(real_prices: dict[str, pd.Series]) -> None:
    with pytest.raises(NoValidEventsError, match="outside the data") as info:
        _panel(real_prices, [("early", "BABA", "^GSPC", "2020-06-01")])
    assert info.value.attrition["status"].tolist() == ["excluded"]


def test_zero_variance_benchmark_is_excluded() -> None:
    prices = _synthetic_prices("2020-01-01", "2021-12-31")
    prices["^NDX"] = pd.Series(1000.0, index=prices["^GSPC"].index)  # flat index: every return is 0
    _, att = _panel(prices, [("flat", "AAA", "^NDX", "2021-06-01"), ("ok", "AAA", "^GSPC", "2021-06-01")])
    row = att.set_index("event_id").loc["flat"]
    assert row["status"] == "excluded" and "zero variance of mkt" in row["reason"]
    assert att.set_index("event_id").loc["ok", "status"] == "kept"


def test_estimation_before_calendar_start_is_excluded() -> None:
    prices = _synthetic_prices("1970-01-01", "1971-12-31")
    _, att = _panel(prices, [("old", "AAA", "^GSPC", "1970-06-01"), ("ok", "AAA", "^GSPC", "1971-06-01")])
    row = att.set_index("event_id").loc["old"]
    assert row["status"] == "excluded"
    assert "before the calendar's first session 1970-01-02" in row["reason"]


# --------------------------------------------------------------------------- regressors
def test_scholes_williams_and_dimson_columns_are_shifted_market() -> None:
    prices = _synthetic_prices("2020-01-01", "2021-12-31")
    extend = replace(SPEC, lead_lag="extend")  # the former behaviour, kept behind the option
    sw, _ = _panel(prices, [("e", "AAA", "^GSPC", "2021-06-01")], spec=extend, model="scholes_williams")
    assert sw.x_names == ("mkt_lag1", "mkt", "mkt_lead1")
    mk, _ = _panel(prices, [("e", "AAA", "^GSPC", "2021-06-01")], model="market")
    np.testing.assert_array_equal(sw.x_est[0, :, 1], mk.x_est[0, :, 0])
    np.testing.assert_array_equal(sw.x_est[0, 1:, 0], mk.x_est[0, :-1, 0])  # lag
    np.testing.assert_array_equal(sw.x_est[0, :-1, 2], mk.x_est[0, 1:, 0])  # lead
    assert sw.x_est[0, -1, 2] == mk.x_evt[0, 0, 0]  # lead of the last estimation day is day tau1
    # default "trim": the lag and lead come from the estimation window only
    tr, att = _panel(prices, [("e", "AAA", "^GSPC", "2021-06-01")], model="scholes_williams")
    np.testing.assert_array_equal(tr.x_est[0, 1:, 0], mk.x_est[0, :-1, 0])
    np.testing.assert_array_equal(tr.x_est[0, :-1, 2], mk.x_est[0, 1:, 0])
    assert np.isnan(tr.x_est[0, 0, 0]) and np.isnan(tr.x_est[0, -1, 2])  # would reach outside the window
    np.testing.assert_array_equal(tr.x_evt, sw.x_evt)  # the event window is unchanged
    assert att["n_est"].item() == np.isfinite(mk.y_est[0]).sum() - 2
    dm, _ = _panel(prices, [("e", "AAA", "^GSPC", "2021-06-01")], model="dimson", dimson_lags=2)
    assert dm.x_names == ("mkt_lag2", "mkt_lag1", "mkt", "mkt_lead1", "mkt_lead2")
    np.testing.assert_array_equal(dm.x_evt[0, 2:, 0], mk.x_evt[0, :-2, 0])


def test_factor_panel_uses_excess_returns() -> None:
    prices = _synthetic_prices("2020-01-01", "2021-12-31")
    dates = prices["AAA"].index
    rng = np.random.default_rng(3)
    fac = pd.DataFrame(rng.normal(0, 0.01, (len(dates), 4)), index=dates, columns=["mkt_rf", "smb", "hml", "mom"])
    fac["rf"] = 0.0001
    panel, _ = _panel(prices, [("e", "AAA", "", "2021-06-01")], model="carhart4", factors=fac)
    assert panel.x_names == ("mkt_rf", "smb", "hml", "mom")
    np.testing.assert_allclose(panel.y_evt, panel.r_evt - 0.0001, rtol=0, atol=1e-15)
    np.testing.assert_allclose(panel.offset_evt, 0.0001)
    evt = pd.DatetimeIndex(panel.evt_dates[0])
    np.testing.assert_array_equal(panel.x_evt[0, :, 1], fac.loc[evt, "smb"].to_numpy())
    with pytest.raises(DataError, match="percent"):
        _panel(prices, [("e", "AAA", "", "2021-06-01")], model="carhart4", factors=fac * 100)
    with pytest.raises(InvalidRequestError, match="factors="):
        _panel(prices, [("e", "AAA", "", "2021-06-01")], model="ff3")


def test_missing_factor_day_in_event_window_excludes() -> None:
    prices = _synthetic_prices("2020-01-01", "2021-12-31")
    dates = prices["AAA"].index
    fac = pd.DataFrame(
        np.random.default_rng(4).normal(0, 0.01, (len(dates), 3)), index=dates, columns=["mkt_rf", "smb", "hml"]
    )
    fac["rf"] = 0.0
    fac = fac.drop(pd.Timestamp("2021-06-02"))
    _, att = _panel(prices, [("e", "AAA", "", "2021-06-01"), ("ok", "AAA", "", "2021-03-01")], model="ff3", factors=fac)
    row = att.set_index("event_id").loc["e"]
    assert (
        row["status"] == "excluded"
        and "missing factor return in the event window on 2021-06-02" in row["reason"]
    )


def test_typed_date_that_is_not_a_session_is_shifted_reported_and_logged(caplog) -> None:  # noqa: ANN001
    ev = pd.DataFrame({"event_id": ["sat"], "symbol": ["BABA"], "benchmark": ["^GSPC"],
                       "event_date": [pd.Timestamp("2025-02-22")]})
    with caplog.at_level("WARNING", logger="research_lib.engine.windows"):
        anchored, attrition = anchor_events(ev)
    assert anchored["day0"].iloc[0] == pd.Timestamp("2025-02-24")
    row = attrition.iloc[0]
    assert row["status"] == "shifted" and "2025-02-22 (Saturday) is not a XNYS session" in row["reason"]
    assert "sat" in caplog.text and "give a session date" in caplog.text


def test_missing_factor_is_named_not_blamed_on_the_security(real_prices: dict[str, pd.Series]) -> None:
    """2330.TW trades on 2025-02-17 (a US holiday): the US factors, not the security, are missing."""
    days = pd.bdate_range("2023-01-02", "2025-06-30")
    rng = np.random.default_rng(0)
    factors = pd.DataFrame(rng.normal(0, 0.005, (len(days), 4)), index=days, columns=["mkt_rf", "smb", "hml", "rf"])
    factors["rf"] = 0.0001
    factors = factors.drop(pd.Timestamp("2025-02-17"))  # no US trading that day
    prices = {"2330.TW": real_prices["2330.TW"], "^TWII": real_prices["^TWII"]}
    anchored, _ = anchor_events(pd.DataFrame({"event_id": ["tw"], "symbol": ["2330.TW"], "benchmark": ["^TWII"],
                                              "event_date": [pd.Timestamp("2025-02-20")]}))
    with pytest.raises(NoValidEventsError) as err, pytest.warns(FactorRegionWarning, match="2330.TW"):
        build_panel(anchored, prices, WindowSpec(), model="ff3", factors=factors)
    reason = err.value.attrition.loc[0, "reason"]
    assert "missing factor return in the event window on 2025-02-17, 2025-02-18" in reason
    assert "missing security return" not in reason


def test_benchmark_of_another_exchange_is_flagged(real_prices: dict[str, pd.Series], caplog) -> None:  # noqa: ANN001
    with caplog.at_level("WARNING", logger="research_lib.engine.windows"):
        _panel(real_prices, [("x", "BABA", "^HSI", DAY0)])
    assert "non-synchronous" in caplog.text and "scholes_williams" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="research_lib.engine.windows"):
        _panel(real_prices, [("y", "BABA", "^GSPC", DAY0)])
    assert "non-synchronous" not in caplog.text
