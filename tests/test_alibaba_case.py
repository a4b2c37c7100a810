"""The Alibaba 2025-02-24 case: the engine's key numbers against an independent computation.

The independent path reads the snapshot CSVs with pandas, computes simple
returns P_t / P_t-1 - 1 on each file's own dates, counts the windows in rows
of the security's file (after checking with exchange_calendars directly that
those rows are exactly the exchange's sessions), fits the market model with
statsmodels OLS and forms AR, CAR and Var(CAR) = L s^2 + g' Cov(b) g.  Nothing
of research_lib is used on that path.  The engine's ``event_study`` must agree
to 1e-10, and both must agree loosely with the closes checked in the data's
PROVENANCE.md (BABA -10.23%, 9988.HK -2.02% on 2025-02-24).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import exchange_calendars as xcals
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from research_lib.cases import alibaba as case
from research_lib.errors import EventError
from research_lib.listings.calendars import day_zero
from research_lib.study import event_study

DAY0 = pd.Timestamp("2025-02-24")
EST, EVT = (-250, -11), (-10, 10)
WINDOWS = [(0, 0), (0, 1), (-1, 1)]
CASES = [("BABA", "^GSPC", "XNYS", -0.1023), ("9988.HK", "^HSI", "XHKG", -0.0202)]


def _adj_close(folder: Path, symbol: str) -> pd.Series:
    frame = pd.read_csv(folder / "prices" / f"{symbol}.csv", parse_dates=["date"], index_col="date")
    return frame["adj_close"].dropna().sort_index()


def _independent(folder: Path, symbol: str, bench: str, cal_code: str) -> dict[str, object]:
    price, index = _adj_close(folder, symbol), _adj_close(folder, bench)
    ret = price / price.shift(1) - 1.0
    mret = index / index.shift(1) - 1.0
    i0 = ret.index.get_loc(DAY0)
    rows = ret.index[i0 + EST[0] - 1 : i0 + EVT[1] + 1]  # one extra row: the first return needs the previous close
    with warnings.catch_warnings():  # exchange_calendars' own use of pandas APIs deprecated in pandas 3
        warnings.simplefilter("ignore", getattr(pd.errors, "Pandas4Warning", DeprecationWarning))
        cal = xcals.get_calendar(cal_code, start="2020-01-01")
    sessions = pd.DatetimeIndex(cal.sessions_in_range(rows[0], rows[-1]))
    assert list(sessions) == list(rows), "the file's rows must be the exchange's sessions"
    est = ret.index[i0 + EST[0] : i0 + EST[1] + 1]
    evt = ret.index[i0 + EVT[0] : i0 + EVT[1] + 1]
    y, x = ret.reindex(est), mret.reindex(est)
    ok = y.notna() & x.notna()
    fit = sm.OLS(y[ok].to_numpy(), sm.add_constant(x[ok].to_numpy())).fit()
    a, b = fit.params
    x_evt = mret.reindex(evt).to_numpy()
    ar = ret.reindex(evt).to_numpy() - a - b * x_evt
    tau = np.arange(EVT[0], EVT[1] + 1)
    out: dict[str, object] = {"n": int(ok.sum()), "alpha": a, "beta": b, "sigma": np.sqrt(fit.scale), "ar": ar,
                              "raw0": float(ret.loc[DAY0]), "mkt0": float(mret.loc[DAY0])}
    for w in WINDOWS:
        m = (tau >= w[0]) & (tau <= w[1])
        g = np.array([m.sum(), x_evt[m].sum()])  # sum of the event-window design rows [1, R_m]
        out[f"car{w}"] = ar[m].sum()
        out[f"var{w}"] = m.sum() * fit.scale + g @ fit.cov_params() @ g
    return out


@pytest.fixture(scope="module")
def engine(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> object:
    """The default design through the whole engine path (events -> data layer -> panel -> model)."""
    with pytest.MonkeyPatch.context() as mp:  # module scope: set the isolated cache by hand
        mp.setenv("RESEARCH_LIB_CACHE", str(tmp_path_factory.mktemp("cache")))
        return event_study(case.case_events(), estimation_window=EST, event_window=EVT, car_windows=WINDOWS,
                           snapshot=shared_data, offline=True)


def test_day_zero_is_monday_on_both_exchanges() -> None:
    assert day_zero(case.ANNOUNCED_AT, "9988.HK").session == DAY0
    assert day_zero(case.ANNOUNCED_AT, "9988.HK").rule == "intraday"
    assert day_zero(case.ANNOUNCED_AT, "BABA").session == DAY0  # Sunday evening in New York
    table = case.day_zero_table()
    assert (table["day0"] == table["catalogue_day0"]).all()


@pytest.mark.parametrize(("symbol", "bench", "cal_code", "fact"), CASES, ids=[c[0] for c in CASES])
def test_engine_matches_independent_ols(engine, shared_data, symbol, bench, cal_code, fact) -> None:  # noqa: ANN001
    ind = _independent(shared_data, symbol, bench, cal_code)
    row = engine.events.set_index("symbol").loc[symbol]
    i = list(engine.abnormal.panel.symbols).index(symbol)
    assert row["day0"] == DAY0 and row["n_est"] == ind["n"] == 240
    assert row["alpha"] == pytest.approx(ind["alpha"], abs=1e-12)
    assert row["beta"] == pytest.approx(ind["beta"], abs=1e-10)
    assert row["sigma"] == pytest.approx(ind["sigma"], abs=1e-12)
    np.testing.assert_allclose(engine.abnormal.ar[i], ind["ar"], rtol=0, atol=1e-10)
    for w in WINDOWS:
        key = f"{w[0]},{w[1]}"
        assert row[f"car[{key}]"] == pytest.approx(ind[f"car{w}"], abs=1e-10)
        assert row[f"se[{key}]"] == pytest.approx(np.sqrt(ind[f"var{w}"]), abs=1e-10)
        t = ind[f"car{w}"] / np.sqrt(ind[f"var{w}"])
        assert row[f"p[{key}]"] == pytest.approx(2 * stats.t.sf(abs(t), ind["n"] - 2), abs=1e-10)
    # loose sanity against the closes checked in PROVENANCE.md
    r0 = engine.abnormal.panel.r_evt[i, list(engine.abnormal.panel.tau_evt).index(0)]
    assert r0 == pytest.approx(ind["raw0"], abs=1e-12)
    assert abs(r0 - fact) < 5e-4
    ar0 = row["car[0,0]"]
    assert abs(ar0 - r0) < 0.03  # the index moved about half a percent that day
    assert np.sign(ar0) == np.sign(fact)



def test_two_clocks_in_utc() -> None:
    clock = case.session_clock(["9988.HK", "BABA"], DAY0, DAY0).set_index("symbol")
    hk, ny = clock.loc["9988.HK"], clock.loc["BABA"]
    assert (hk["open_utc"].hour, hk["open_utc"].minute, hk["close_utc"].hour) == (1, 30, 8)
    assert (hk["break_start_utc"].hour, hk["break_end_utc"].hour) == (4, 5)
    assert (ny["open_utc"].hour, ny["open_utc"].minute, ny["close_utc"].hour) == (14, 30, 21)
    assert pd.isna(ny["break_start_utc"]) and hk["close_utc"] < ny["open_utc"]


def test_return_spans_say_what_each_return_contains() -> None:
    announced = case.ANNOUNCED_AT
    hk_monday = (pd.Timestamp("2025-02-24T01:30Z"), pd.Timestamp("2025-02-24T08:00Z"))
    marks = {"plan": announced, "HK Monday session": hk_monday}
    hk = case.return_spans("9988.HK", ["2025-02-21", "2025-02-24"], marks).set_index("date")
    ny = case.return_spans("BABA", ["2025-02-24"], marks).set_index("date")
    assert hk.loc[DAY0, "hours"] == 72.0  # Friday 08:00 UTC to Monday 08:00 UTC
    assert hk.loc[DAY0, "contains"] == "plan; HK Monday session"
    assert hk.loc[pd.Timestamp("2025-02-21"), "contains"] == ""
    assert ny.loc[DAY0, "contains"] == "plan; HK Monday session"
    part = case.return_spans("9988.HK", ["2025-02-24"], {"x": (pd.Timestamp("2025-02-24T07:00Z"),
                                                                 pd.Timestamp("2025-02-24T09:00Z"))})
    assert part["contains"].iloc[0] == "x (partly)"
    # news known only to be after Thursday's HK close and before New York's open: in HK's Friday return
    results = (pd.Timestamp("2025-02-20T16:00+08:00"), pd.Timestamp("2025-02-20T09:30-05:00"))
    fri = case.return_spans("9988.HK", ["2025-02-20", "2025-02-21"], {"results": results})
    assert list(fri["contains"]) == ["", "results"]
    assert case.return_spans("BABA", ["2025-02-20"], {"results": results})["contains"].iloc[0] == "results"
    with pytest.raises(EventError, match="not a XHKG session"):
        case.return_spans("9988.HK", ["2025-02-22"])
    with pytest.raises(EventError, match="no time zone"):
        case.return_spans("9988.HK", ["2025-02-24"], {"naive": pd.Timestamp("2025-02-24 03:00")})


def test_event_time_of_the_earnings_reaction() -> None:
    assert case.event_time("BABA", DAY0, ["2025-02-20"]).iloc[0] == -2
    tau = case.event_time("9988.HK", DAY0, ["2025-02-21", "2025-02-22", "2025-02-25"])
    assert tau.iloc[0] == -1 and pd.isna(tau.iloc[1]) and tau.iloc[2] == 1
    with pytest.raises(EventError):
        case.event_time("BABA", "2025-02-23", ["2025-02-20"])


def test_window_span_and_overlap_hours_on_the_two_clocks() -> None:
    from research_lib.cases.alibaba import overlap_hours, window_span

    hk = window_span("9988.HK", "2025-02-24", (0, 1))  # Fri 21 Feb HK close -> Tue 25 Feb HK close
    ny = window_span("BABA", "2025-02-24", (-1, 0))  # Thu 20 Feb NY close -> Mon 24 Feb NY close
    assert hk == (pd.Timestamp("2025-02-21 08:00", tz="UTC"), pd.Timestamp("2025-02-25 08:00", tz="UTC"))
    assert ny == (pd.Timestamp("2025-02-20 21:00", tz="UTC"), pd.Timestamp("2025-02-24 21:00", tz="UTC"))
    assert overlap_hours(hk, ny) == pytest.approx(24 * 3 + 13)  # Fri 08:00 -> Mon 21:00
    # BABA's Monday return (Fri 21:00 -> Mon 21:00 UTC) against the Hang Seng's Monday and Tuesday returns
    baba_mon = window_span("BABA", "2025-02-24", (0, 0))
    assert overlap_hours(baba_mon, window_span("^HSI", "2025-02-24", (0, 0))) == pytest.approx(59)
    assert overlap_hours(baba_mon, window_span("^HSI", "2025-02-24", (1, 1))) == pytest.approx(13)
    t = pd.Timestamp("2025-02-24 00:00", tz="UTC")
    assert overlap_hours((t, t + pd.Timedelta(hours=1)), (t + pd.Timedelta(hours=2), t + pd.Timedelta(hours=3))) == 0.0


@pytest.mark.parametrize(("symbol", "bench", "cal_code", "fact"), CASES)
def test_trading_measures_match_their_formulas(engine, shared_data, symbol, bench, cal_code, fact) -> None:  # noqa: ANN001
    """Day-0 abnormal log volume, Parkinson ratio and close location recomputed from the CSV with pandas."""
    frame = pd.read_csv(shared_data / "prices" / f"{symbol}.csv", parse_dates=["date"], index_col="date").sort_index()
    frame = frame[frame["adj_close"].notna()]
    i0 = frame.index.get_loc(DAY0)
    est = frame.iloc[i0 + EST[0] : i0 + EST[1] + 1]
    day = frame.loc[DAY0]
    lv = np.log1p(est["volume"].where(est["volume"] > 0))
    m, s = lv.count(), lv.std(ddof=1)
    av0 = np.log1p(day["volume"]) - lv.mean()
    pk = np.log(est["high"] / est["low"]) ** 2 / (4 * np.log(2))
    pk0 = np.log(day["high"] / day["low"]) ** 2 / (4 * np.log(2))
    lpk = np.log(pk[pk > 0])
    frames = {sym: pd.read_csv(shared_data / "prices" / f"{sym}.csv", parse_dates=["date"], index_col="date")
              for sym in (symbol, bench)}
    panel = engine.abnormal.panel
    keep = np.asarray(panel.symbols) == symbol
    import dataclasses

    one = dataclasses.replace(panel, **{f.name: getattr(panel, f.name)[keep] for f in dataclasses.fields(panel)
                                        if isinstance(getattr(panel, f.name), np.ndarray)
                                        and getattr(panel, f.name).shape[:1] == keep.shape})
    out = case.trading_measures(one, frames, taus=(0,)).set_index("measure")
    assert out.loc["log volume", "abnormal"] == pytest.approx(av0, abs=1e-10)
    assert out.loc["log volume", "t"] == pytest.approx(av0 / (s * np.sqrt(1 + 1 / m)), rel=1e-9)
    assert out.loc["Parkinson", "ratio"] == pytest.approx(pk0 / pk[pk > 0].mean(), rel=1e-9)
    assert out.loc["Parkinson", "abnormal"] == pytest.approx(np.log(pk0) - lpk.mean(), abs=1e-10)
    loc = (day["close"] - day["low"]) / (day["high"] - day["low"])
    assert out.loc["Parkinson", "close location"] == pytest.approx(loc, abs=1e-12)
    assert out.loc["log volume", "volume"] == day["volume"]
