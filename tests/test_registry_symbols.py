"""Calendars without editing the library: data/events column > registry > Yahoo suffix > default."""

from __future__ import annotations

import pandas as pd
import pytest
from _crsp import MARKET, PERMNOS, events, returns_long

from research_lib.errors import CatalogueError, InvalidRequestError, UnknownSymbolError
from research_lib.listings.registry import SymbolRegistry, use_registry
from research_lib.listings.symbols import lookup
from research_lib.study import event_study

KW = {"estimation_window": (-120, -11), "event_window": (-5, 5), "min_estimation": 60}


def test_order_of_the_rules() -> None:
    reg = SymbolRegistry.from_mapping({"10107": "XNAS", "10108": "xnys", "9988.HK": "XNYS", "^SPX": {"calendar": "XNYS", "currency": "index points"}})
    cols = SymbolRegistry.from_mapping({"10107": "XLON"})
    with use_registry(reg, columns=cols, default_calendar="XTKS"):
        assert lookup("10107").calendar == "XLON"  # the data/events column wins
        assert lookup("10108").calendar == "XNYS"  # codes are case-insensitive, aliases resolved
        assert lookup("9988.HK").calendar == "XNYS"  # the registry beats the suffix rule
        assert lookup("^SPX").currency == "index points"
        assert lookup("BABA").calendar == "XNYS"  # no suffix: the Yahoo rule
        assert lookup("^WEIRD").calendar == "XTKS"  # nothing knows it: the default
        assert str(lookup("^WEIRD").timezone) == "Asia/Tokyo"
    with pytest.raises(UnknownSymbolError):
        lookup("^SPX")  # outside the block the library's own rules apply, unchanged


def test_registry_from_csv(tmp_path) -> None:  # noqa: ANN001
    path = tmp_path / "reg.csv"
    path.write_text("symbol,calendar,timezone,currency\n^SPX,XNYS,America/New_York,index points\nGB00B03MLX29,XLON,,GBP\n")
    reg = SymbolRegistry.from_csv(path)
    assert reg.get("^spx").calendar == "XNYS" and reg.get("GB00B03MLX29").timezone == "Europe/London"
    assert len(reg) == 2


def test_unknown_calendar_code_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="unknown calendar code 'XNOPE'.*exchange_calendars"):
        SymbolRegistry.from_mapping({"X": "XNOPE"})
    with pytest.raises(InvalidRequestError, match="unknown calendar code"):
        event_study(events(), data=returns_long()[0], default_calendar="NOPE", **KW)


def test_identifier_without_calendar_is_refused_when_the_default_is_off() -> None:
    ret, _ = returns_long()
    ret["symbol"] = ret["symbol"].replace({MARKET: "^SPX"})
    ev = events().replace({MARKET: "^SPX"})
    with pytest.raises(Exception, match=r"'\^SPX' has no calendar.*SymbolRegistry"):
        event_study(ev, data=ret, default_calendar="none", **KW)
    res = event_study(ev, data=ret, default_calendar="none", registry={"^SPX": "XNYS"}, **KW)
    assert res.n_events == 4


def test_calendar_column_of_the_data_decides_the_sessions() -> None:
    ret, _ = returns_long()
    ret = ret[ret["symbol"].isin([PERMNOS[0], MARKET])].copy()
    ev = events().iloc[:1]
    base = event_study(ev, data=ret, **KW)
    # the same returns declared on the Nasdaq calendar (same sessions as NYSE): same study
    same = event_study(ev, data=ret.assign(calendar="XNAS"), **KW)
    pd.testing.assert_frame_equal(base.events, same.events)
    # declared on London's calendar: a US holiday-free London session grid moves day -k
    with pytest.warns(UserWarning, match="not sessions of its calendar"):
        other = event_study(ev.assign(calendar="XLON"), data=ret, **KW)
    assert pd.DatetimeIndex(other.abnormal.panel.est_dates[0]).difference(
        pd.DatetimeIndex(base.abnormal.panel.est_dates[0])).size > 0


def test_a_calendar_column_in_the_events_file_alone_is_enough() -> None:
    _, px = returns_long()
    px["symbol"] = px["symbol"].replace({PERMNOS[0]: "^ONE"})
    prices = {s: g.set_index("date")["price"] for s, g in px.groupby("symbol")}
    ev = events().replace({PERMNOS[0]: "^ONE"})
    # the library's own rules do not know ^ONE: the events table is refused, as an events CSV would be
    with pytest.raises(CatalogueError, match=r"\^ONE"):
        event_study(ev, prices=prices, **KW)
    res = event_study(ev.assign(calendar=["XNYS", "", "", ""]), prices=prices, **KW)
    assert res.n_events == 4 and "calendar" not in res.to_frame().columns
