"""Design checks (issue 12): a benchmark equal to the security, factors of another market, and
sessions that the calendar lists but the exchange did not hold (unscheduled closures)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from research_lib import event_study
from research_lib.data.report import data_report
from research_lib.errors import NoValidEventsError


def _new(name: str) -> type:
    """A name added by issue 12, imported where used (so that each test fails alone on older code)."""
    import research_lib.engine.windows as w
    import research_lib.errors as e

    return getattr(e, name, None) or getattr(w, name)


def _ev(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["event_id", "symbol", "benchmark", "event_date"])


@pytest.mark.parametrize(("sym", "bench"), [("9988.HK", "9988.HK"), ("MSFT", "MSFT")])
def test_benchmark_equal_to_security_is_refused(shared_data: Path, sym: str, bench: str) -> None:
    with pytest.raises(_new("DesignError"), match=f"benchmark of {sym} is {sym} itself.*use a market index"):
        event_study(_ev([("a", sym, bench, "2024-05-14")]), snapshot=shared_data, offline=True)


def test_benchmark_equal_to_security_is_fine_for_constant_mean(shared_data: Path) -> None:
    res = event_study(_ev([("a", "MSFT", "MSFT", "2024-05-14")]), model="constant_mean", snapshot=shared_data, offline=True)
    assert res.n_events == 1


def test_us_factors_on_a_hong_kong_listing_warn(shared_data: Path) -> None:
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        with pytest.raises(NoValidEventsError):  # US holidays also leave factor returns missing in the window
            event_study(_ev([("a", "9988.HK", "^HSI", "2024-05-14")]), model="ff3", snapshot=shared_data, offline=True)
    msgs = [str(w.message) for w in rec if issubclass(w.category, _new("FactorRegionWarning"))]
    assert len(msgs) == 1 and "9988.HK (XHKG)" in msgs[0] and "US factors" in msgs[0]


def test_us_factors_on_a_us_listing_do_not_warn(shared_data: Path) -> None:
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        event_study(_ev([("a", "MSFT", "^GSPC", "2024-05-14")]), model="ff3", snapshot=shared_data, offline=True)
    assert not [w for w in rec if issubclass(w.category, _new("FactorRegionWarning"))]


@pytest.mark.parametrize(("sym", "bench", "day", "closed"), [
    ("9988.HK", "^HSI", "2023-09-07", ["2023-09-08", "2023-09-01"]),
    ("9988.HK", "^HSI", "2023-09-11", ["2023-09-08", "2023-09-01"]),
    ("9988.HK", "^HSI", "2023-09-04", ["2023-09-01"]),
    ("2330.TW", "^TWII", "2021-04-07", ["2021-04-06"]),
])
def test_unscheduled_closure_is_not_missing_data(shared_data: Path, sym: str, bench: str, day: str, closed: list[str]) -> None:
    res = event_study(_ev([("a", sym, bench, day)]), snapshot=shared_data, offline=True)
    row = res.attrition.iloc[0]
    assert row["status"] == "kept", row["reason"]
    assert "unscheduled closure" in row["reason"] and all(d in row["reason"] for d in closed)
    assert "use a benchmark of the security's own exchange" not in row["reason"]
    dates = pd.DatetimeIndex(np.concatenate([res.abnormal.panel.est_dates[0], res.abnormal.panel.evt_dates[0]]))
    assert not dates.isin(pd.DatetimeIndex(closed)).any()  # the windows are counted without them
    assert res.abnormal.n_est[0] == 240 and np.isfinite(res.events["car[0,1]"].iloc[0])


def test_a_gap_of_the_security_alone_is_still_missing_data(shared_data: Path) -> None:
    from research_lib.data import load_prices

    ps = load_prices(["9988.HK", "^HSI"], "2022-06-01", "2024-03-31", snapshot=shared_data, offline=True)
    sec = ps["9988.HK"].adj_close.drop(pd.Timestamp("2023-09-12"))  # ^HSI traded that day
    with pytest.raises(NoValidEventsError, match="missing security return in the event window on 2023-09-12"):
        event_study(_ev([("a", "9988.HK", "^HSI", "2023-09-11")]), prices={"9988.HK": sec, "^HSI": ps["^HSI"].adj_close})


def test_data_report_names_the_closures(shared_data: Path) -> None:
    text = data_report(["9988.HK", "^HSI", "2330.TW", "^TWII"], "2021-01-01", "2023-12-31", snapshot=shared_data, offline=True)
    assert "probable unscheduled closures" in text
    assert "XHKG: 2 session(s) that no symbol of the exchange traded: 2023-09-01, 2023-09-08" in text
    assert "2021-04-06" in text.split("probable unscheduled closures")[1]


def test_event_on_the_closure_day_names_it(shared_data: Path) -> None:
    ev = _ev([("on", "9988.HK", "^HSI", "2023-09-08"), ("near", "9988.HK", "^HSI", "2023-09-12")])
    res = event_study(ev, snapshot=shared_data, offline=True)
    att = res.attrition.set_index("event_id")
    assert att.loc["near", "status"] == "kept"
    assert att.loc["on", "status"] == "excluded"
    assert "unscheduled closure" in att.loc["on", "reason"] and "next session 2023-09-11" in att.loc["on", "reason"]
