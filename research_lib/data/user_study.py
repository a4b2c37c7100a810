"""Plumbing of ``event_study(..., data=, registry=, portfolios=, default_calendar=)``.

:func:`study_with_user_data` prepares what the engine takes -- one mapping
identifier -> prices or returns (user data, the ``prices=`` mapping, basket
benchmarks, and the data layer for identifiers in none of them) -- makes the
calendar rules active (:func:`research_lib.listings.registry.use_registry`) and
runs :func:`research_lib.study.event_study` on it.  The calendar of a basket is
that of its first member.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from research_lib.data.basket import Basket, basket_source, is_basket, parse_basket, read_portfolios
from research_lib.data.user import UserData, read_user_data
from research_lib.errors import DataError
from research_lib.listings.registry import SymbolRegistry, check_calendar_code, use_registry

__all__ = ["needs_user_path", "study_with_user_data"]

_OFF = ("", "none", "off")


def _raw_events(events: pd.DataFrame | str | os.PathLike[str]) -> pd.DataFrame:
    if isinstance(events, pd.DataFrame):
        return events
    return pd.read_csv(Path(events), dtype=str, keep_default_na=False)


def needs_user_path(events: object, prices: Mapping[str, Any] | None) -> bool:
    """True if the events give calendars or name a basket benchmark that ``prices`` does not already hold."""
    try:
        raw = _raw_events(events)  # type: ignore[arg-type]
    except (OSError, ValueError):
        return False  # the normal path reports the unreadable file
    if "calendar" in raw.columns and (raw["calendar"].astype(str).str.strip() != "").any():
        return True  # calendars given in the events file
    if "benchmark" not in raw.columns:
        return False
    have = set(prices or {})
    return any(is_basket(b) and str(b).strip().upper().replace(" ", "") not in have for b in raw["benchmark"])


def _column_calendars(raw: pd.DataFrame, user: UserData | None) -> dict[str, str]:
    out: dict[str, str] = {}
    if user is not None:
        for sym, code in user.calendars.items():
            out[sym] = check_calendar_code(code, f"data, symbol {sym}")
    if "calendar" in raw.columns:
        for sym, code in zip(raw["symbol"], raw["calendar"], strict=True):
            if isinstance(code, str) and code.strip():
                out[str(sym).strip().upper()] = check_calendar_code(code, f"events file, symbol {sym}")
    return out


def _member_returns(
    members: list[str], table: Mapping[str, Any], kind: str
) -> dict[str, pd.Series]:
    """Simple returns of basket members from user returns, or prices on each member's calendar."""
    from research_lib.data.sources import ReturnSeries
    from research_lib.engine.returns import compute_returns
    from research_lib.listings.calendars import calendar_for

    out: dict[str, pd.Series] = {}
    for m in members:
        obj = table[m]
        if isinstance(obj, ReturnSeries):
            out[m] = obj.returns
            continue
        px = obj["adj_close"] if isinstance(obj, pd.DataFrame) else obj
        px = px.dropna()
        grid = pd.DatetimeIndex(calendar_for(m).sessions_in_range(px.index.min(), px.index.max()))
        out[m] = compute_returns(px.rename(m), grid, kind="simple")
    return out


def _load_missing(events: pd.DataFrame, need: list[str], kw: dict[str, Any]) -> tuple[dict[str, pd.Series], pd.DataFrame]:
    """Identifiers in no user table come from the data layer over the events' range."""
    from research_lib.engine.windows import WindowSpec, anchor_events
    from research_lib.study import _load_prices

    if not need:
        return {}, pd.DataFrame()
    design = kw["spec"]
    spec = WindowSpec(design.estimation_window, design.event_window, design.min_estimation)
    ev = events.copy()
    ev["benchmark"] = ev["symbol"]  # only the dates matter here
    anchored, _ = anchor_events(ev)
    if not len(anchored):
        return {}, pd.DataFrame()
    day0 = anchored["day0"]
    fake = pd.DataFrame({"event_id": [f"_{s}" for s in need], "symbol": need, "benchmark": need})
    rows = [fake.assign(day0=d) for d in (day0.min(), day0.max())]
    both = pd.concat(rows, ignore_index=True)
    prices, sources, _failed = _load_prices(both, spec, kw.get("snapshot"), kw.get("offline"))
    return prices, sources


def study_with_user_data(
    run: Callable[..., Any],
    events: pd.DataFrame | str | os.PathLike[str],
    kw: dict[str, Any],
    *,
    data: Any = None,
    registry: SymbolRegistry | str | os.PathLike[str] | Mapping[str, Any] | None = None,
    portfolios: Mapping[str, Basket] | str | os.PathLike[str] | pd.DataFrame | None = None,
    default_calendar: str | None = None,
) -> Any:
    """Run ``run`` (:func:`research_lib.study.event_study`) on user data with the user's calendars."""
    from research_lib.events.reader import read_events

    user = read_user_data(data) if data is not None else None
    if registry is not None and not isinstance(registry, SymbolRegistry):
        registry = SymbolRegistry.from_mapping(registry) if isinstance(registry, Mapping) else SymbolRegistry.from_csv(registry)
    ports = portfolios if isinstance(portfolios, Mapping) or portfolios is None else read_portfolios(portfolios)
    raw = _raw_events(events)
    default = default_calendar if default_calendar is not None else ("XNYS" if user is not None else None)
    default = None if default is not None and default.strip().lower() in _OFF else default
    cols = SymbolRegistry.from_mapping(_column_calendars(raw, user))
    baskets = {b.name: b for b in (parse_basket(str(x), ports) for x in raw.get("benchmark", []) if is_basket(x, ports))}
    with use_registry(registry, columns=cols, default_calendar=default):
        basket_cals = _basket_calendars(baskets)
    cols = SymbolRegistry({**dict(cols.entries), **basket_cals})
    with use_registry(registry, columns=cols, default_calendar=default):
        frame = read_events(events if isinstance(events, pd.DataFrame) else Path(events))
        table: dict[str, Any] = dict(user.mapping()) if user is not None else {}
        table.update(kw.get("prices") or {})
        members = sorted({m for b in baskets.values() for m in b.members})
        if user is not None:
            lacking = [m for m in members if m not in table]
            if lacking:
                raise DataError(f"basket member(s) {lacking} are not in the data {user.origin}; add their returns or prices, or drop them from the basket")
        need = [s for s in dict.fromkeys([*frame["symbol"], *frame["benchmark"], *members]) if s not in table and s not in baskets and s]
        loaded, sources = _load_missing(frame, need, kw)
        table.update(loaded)
        notes = []
        mret = _member_returns([m for m in members if m in table], table, user.kind if user else "price")
        for b in baskets.values():
            src, note = basket_source(b, mret, user.mcap if user else None)
            table[b.name] = src
            notes.append(note)
        frame["benchmark"] = [b.replace(" ", "") if is_basket(b, ports) else b for b in frame["benchmark"]]
        # the calendars are active now: the engine reads them from the registry, not from the column
        res = run(frame.drop(columns=["calendar"], errors="ignore"), **{**kw, "prices": table})
    return replace(res, sources=_sources(user, sources, notes), attrition=_basket_reasons(res.attrition, frame, notes))


def _basket_reasons(attrition: pd.DataFrame, events: pd.DataFrame, notes: list[dict[str, object]]) -> pd.DataFrame:
    """Each event measured against a basket says how often the basket's weights were renormalised."""
    if not notes or not len(attrition):
        return attrition
    text = {str(n["basket"]): (f"benchmark basket {n['basket']}: {n['renormalised_days']} of {n['days']} days with "
                               "weights renormalised over the members present") for n in notes}
    bench = attrition["event_id"].map(events.set_index("event_id")["benchmark"])
    add = bench.map(text)
    out = attrition.copy()
    hit = add.notna() & (out["status"] != "excluded")
    out.loc[hit, "reason"] = out.loc[hit, "reason"].astype(str) + "; " + add[hit]
    return out


def _basket_calendars(baskets: Mapping[str, Basket]) -> dict[str, Any]:
    from research_lib.listings.registry import _info
    from research_lib.listings.symbols import lookup

    out: dict[str, Any] = {}
    for name, b in baskets.items():
        first = lookup(b.members[0])
        out[name.upper()] = _info(name, first.calendar, first.timezone, first.currency)
    return out


def _sources(user: UserData | None, loaded: pd.DataFrame, notes: list[dict[str, object]]) -> pd.DataFrame:
    parts = [user.sources_table()] if user is not None else []
    if len(loaded):
        parts.append(loaded)
    if notes:
        parts.append(pd.DataFrame([{"symbol": n["basket"], "source": "basket", "origin": (
            f"members {n['members']}; {n['renormalised_days']} of {n['days']} days with weights renormalised over the "
            f"members present, {n['empty_days']} days without any member")} for n in notes]))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
