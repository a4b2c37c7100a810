"""What the engine consumes per identifier: a price or return source.

:class:`~research_lib.engine.windows.build_panel` takes a mapping identifier -> series.
A value is either adjusted closes (a ``pd.Series``, or a frame with ``adj_close``),
from which returns are computed on the listing's sessions, or any object that
follows the :class:`PriceSource` protocol: it hands over its *returns* on a
session grid directly, so a return file (CRSP ``RET``) enters the engine without
a price round trip.  :class:`ReturnSeries` is the implementation used for user
return data (:mod:`research_lib.data.user`) and for basket benchmarks
(:mod:`research_lib.data.basket`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from research_lib.errors import InvalidRequestError

__all__ = ["PriceSource", "ReturnSeries"]


@runtime_checkable
class PriceSource(Protocol):
    """A per-identifier source of daily returns on a session grid.

    ``returns_on(grid, kind, span)`` returns ``(valid, ret)``: ``valid`` is the
    series of the dates that carry data (its first and last date bound the
    identifier's data), ``ret`` the one-session returns indexed by the sessions
    of ``grid`` inside ``span`` (NaN where missing).  ``kind`` is ``"simple"`` or
    ``"log"``.
    """

    def returns_on(
        self, grid: pd.DatetimeIndex, kind: str, span: tuple[pd.Timestamp, pd.Timestamp]
    ) -> tuple[pd.Series, pd.Series]: ...


@dataclass(frozen=True)
class ReturnSeries:
    """Simple daily returns of one identifier, indexed by date (NaN = missing).

    Attributes
    ----------
    name
        the identifier.
    returns
        simple returns R_t = P_t / P_{t-1} - 1 over the interval from the
        previous session to session t (CRSP's ``RET``), indexed by date.
    origin
        a word for the provenance table (``"user returns"``, ``"basket"`` ...).

    Examples
    --------
    >>> import pandas as pd
    >>> from research_lib.data import ReturnSeries
    >>> rs = ReturnSeries("10107", pd.Series([0.01, None], index=pd.to_datetime(["2024-01-02", "2024-01-03"])))
    >>> rs.name, rs.origin
    ('10107', 'user returns')
    """

    name: str
    returns: pd.Series
    origin: str = "user returns"

    def returns_on(
        self, grid: pd.DatetimeIndex, kind: str, span: tuple[pd.Timestamp, pd.Timestamp]
    ) -> tuple[pd.Series, pd.Series]:
        """The returns placed on the sessions of ``grid`` within ``span`` (see :class:`PriceSource`).

        A missing return stays missing: it is never filled or bridged.  Returns
        dated on days that are not sessions of ``grid`` are dropped with a
        warning (the calendar of the identifier is then probably wrong).
        ``kind="log"`` gives ln(1 + R).
        """
        if kind not in ("simple", "log"):
            raise InvalidRequestError(f"unknown return kind {kind!r}; use 'simple' or 'log'")
        r = self.returns
        idx = pd.DatetimeIndex(r.index).as_unit("ns")
        r = pd.Series(np.asarray(r, dtype=float), index=idx, name=self.name)
        valid = r.dropna()
        extra = pd.DatetimeIndex(valid.index.difference(grid))
        if len(extra):
            warnings.warn(
                f"{len(extra)} return(s) of {self.name} fall on dates that are not sessions of its calendar "
                f"({extra.strftime('%Y-%m-%d').tolist()[:5]}); they were dropped. Give the identifier its "
                "calendar (a calendar column or a SymbolRegistry) or check the dates.",
                UserWarning,
                stacklevel=3,
            )
        lo, hi = span
        sub = grid[(grid >= lo) & (grid <= hi)]
        ret = r.reindex(sub)
        if kind == "log":
            ret = np.log1p(ret)
        return valid, pd.Series(ret.to_numpy(dtype=float), index=pd.DatetimeIndex(sub, name="date"), name="ret")
