"""Portfolio (basket) benchmarks: a sector or peer index built from member returns.

Written in the events file's ``benchmark`` column:

* ``EW(JD,PDD,BIDU)``: equal weights;
* ``W(JD:0.5,PDD:0.3,BIDU:0.2)``: fixed weights (they need not sum to one:
  they are normalised);
* ``VW(JD,PDD,BIDU)``: value weights, each member weighted by its market
  capitalisation (``mcap`` column of the data) on the previous date with a
  value (weights fixed at the start of each day, as a buy-and-hold index);
* a name defined in a portfolio file ``portfolio,member,weight`` (a CSV;
  ``portfolios=`` / ``--portfolios PATH``).

The basket's daily return on date t is the weighted mean of the members'
simple returns on t, R_B,t = sum_i w_i R_i,t / sum_i w_i over the members
*that have a return on t* (weights renormalised over the members present; no
member present -> missing).  The number of such renormalised days is reported
(:func:`basket_notes`, the study's ``sources`` table).  The series is placed on
the calendar of the first member and then, like any benchmark, compounded over
each of the security's session intervals
(:func:`research_lib.engine.returns.align_benchmark`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from research_lib.data.sources import ReturnSeries
from research_lib.errors import DataError, InvalidRequestError

__all__ = ["Basket", "basket_returns", "is_basket", "parse_basket", "read_portfolios"]

_PATTERN = re.compile(r"^\s*(EW|VW|W)\s*\((.*)\)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Basket:
    """A portfolio benchmark: its name as written, members, fixed weights (None for VW) and scheme."""

    name: str
    members: tuple[str, ...]
    weights: tuple[float, ...] | None
    scheme: str  # "EW", "VW" or "W"


def is_basket(text: object, portfolios: Mapping[str, Basket] | None = None) -> bool:
    if not isinstance(text, str):
        return False
    return bool(_PATTERN.match(text)) or (portfolios is not None and text.strip().upper() in portfolios)


def parse_basket(text: str, portfolios: Mapping[str, Basket] | None = None) -> Basket:
    """The basket written as ``EW(..)``, ``VW(..)``, ``W(a:w,..)`` or a named portfolio.

    Raises
    ------
    InvalidRequestError
        For an empty basket, a repeated member, a weight that is not a positive
        number, or a ``W(...)`` member without ``:weight``.
    """
    key = text.strip().upper()
    if portfolios is not None and key in portfolios:
        return portfolios[key]
    m = _PATTERN.match(text)
    if m is None:
        raise InvalidRequestError(f"{text!r} is not a basket; write EW(A,B), VW(A,B) or W(A:0.5,B:0.5)")
    scheme, body = m.group(1).upper(), m.group(2)
    if not body.strip():
        raise InvalidRequestError(f"basket {text!r} has no members; list them, e.g. EW(JD,PDD)")
    if "(" in body or ")" in body:
        raise InvalidRequestError(f"basket {text!r} nests a basket or has a stray parenthesis; baskets cannot be nested, "
                                  "list the underlying members in one basket, e.g. EW(A,B,C)")
    parts = [p.strip() for p in body.split(",")]
    if not all(parts):
        raise InvalidRequestError(f"basket {text!r} has an empty member (two commas or a trailing comma); "
                                  "remove it or name the symbol, e.g. EW(JD,PDD)")
    members, weights = [], []
    for p in parts:
        if scheme == "W":
            if ":" not in p:
                raise InvalidRequestError(f"basket {text!r}: member {p!r} has no weight; write W(JD:0.5,PDD:0.5)")
            sym, w = p.rsplit(":", 1)
            weights.append(_weight(w, text))
            members.append(sym.strip().upper())
        else:
            members.append(p.upper())
    if len(set(members)) != len(members):
        raise InvalidRequestError(f"basket {text!r} lists a member twice; give each member once")
    wts = tuple(weights) if scheme == "W" else (tuple([1.0] * len(members)) if scheme == "EW" else None)
    return Basket(key.replace(" ", ""), tuple(members), wts, scheme)


def _weight(text: str, where: str) -> float:
    try:
        w = float(text)
    except ValueError:
        raise InvalidRequestError(f"basket {where!r}: weight {text!r} is not a number") from None
    if not np.isfinite(w) or w <= 0:
        raise InvalidRequestError(f"basket {where!r}: weight {text!r} must be a positive number")
    return w


def read_portfolios(path: str | os.PathLike[str] | pd.DataFrame) -> dict[str, Basket]:
    """Named portfolios from ``portfolio,member,weight`` (weight optional: equal weights)."""
    if isinstance(path, pd.DataFrame):
        frame = path
    elif not isinstance(path, str | os.PathLike) or not Path(path).is_file():
        raise InvalidRequestError(f"portfolio file {path!r} not found (or not a file); pass a CSV portfolio,member,weight "
                                  "(or a DataFrame / mapping of baskets)")
    else:
        try:
            frame = pd.read_csv(Path(path), dtype={"portfolio": str, "member": str})
        except pd.errors.EmptyDataError:
            raise InvalidRequestError(f"portfolio file {path} is empty; write a header portfolio,member,weight and one "
                                      "row per member") from None
    lacking = [c for c in ("portfolio", "member") if c not in frame.columns]
    if lacking:
        raise InvalidRequestError(f"portfolio file lacks {lacking}; write it as portfolio,member,weight")
    out: dict[str, Basket] = {}
    for name, grp in frame.groupby("portfolio", sort=False):
        members = tuple(grp["member"].astype(str).str.strip().str.upper())
        if len(set(members)) != len(members):
            raise InvalidRequestError(f"portfolio {name!r} lists a member twice; give each member once")
        raw = grp["weight"].tolist() if "weight" in grp.columns else [1.0] * len(members)
        wts = tuple(_weight(str(w), str(name)) for w in raw)
        key = str(name).strip().upper()
        out[key] = Basket(key, members, wts, "W")
    return out


def _member_returns(basket: Basket, returns: Mapping[str, pd.Series]) -> pd.DataFrame:
    lacking = [m for m in basket.members if m not in returns]
    if lacking:
        raise DataError(
            f"basket {basket.name}: member(s) {lacking} have no data; add their returns or prices to the data, "
            "or drop them from the basket"
        )
    return pd.DataFrame({m: returns[m] for m in basket.members}).sort_index()


def basket_returns(
    basket: Basket, returns: Mapping[str, pd.Series], mcap: Mapping[str, pd.Series] | None = None
) -> tuple[pd.Series, dict[str, object]]:
    """Daily simple returns of the basket and a note of how missing members were handled.

    Parameters
    ----------
    returns : member -> simple daily returns indexed by date (NaN missing).
    mcap : member -> market capitalisation by date (``VW`` only).

    Returns
    -------
    series : R_B,t (see the module docstring), indexed by the dates on which any member has a value.
    note : ``{"basket", "members", "days", "renormalised_days", "empty_days"}``.
    """
    r = _member_returns(basket, returns)
    if basket.weights is not None:
        w = pd.DataFrame(np.broadcast_to(np.asarray(basket.weights, dtype=float), r.shape), index=r.index, columns=r.columns)
    else:
        if mcap is None or any(m not in mcap for m in basket.members):
            raise DataError(f"basket {basket.name} is value-weighted but the data has no mcap for every member; add an mcap column or use EW(...)")
        cap = pd.DataFrame({m: mcap[m] for m in basket.members}).reindex(r.index)
        w = cap.ffill().shift(1)  # yesterday's capitalisation: weights known at the start of the day
    present = r.notna() & w.notna() & (w > 0)
    wp = w.where(present, 0.0)
    total = wp.sum(axis=1)
    val = (r.fillna(0.0) * wp).sum(axis=1) / total.where(total > 0)
    any_data = r.notna().any(axis=1)
    some_missing = present.sum(axis=1) < len(basket.members)
    note: dict[str, object] = {
        "basket": basket.name, "members": ",".join(basket.members), "days": int(any_data.sum()),
        "renormalised_days": int((some_missing & (total > 0)).sum()), "empty_days": int((any_data & ~(total > 0)).sum()),
    }
    return val[any_data].rename(basket.name), note


def basket_source(basket: Basket, returns: Mapping[str, pd.Series], mcap: Mapping[str, pd.Series] | None = None) -> tuple[ReturnSeries, dict[str, object]]:
    """:func:`basket_returns` as an engine input (a :class:`ReturnSeries`)."""
    series, note = basket_returns(basket, returns, mcap)
    return ReturnSeries(basket.name, series, origin="basket"), note
