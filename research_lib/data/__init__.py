"""Prices and factors: the on-disk cache, the snapshot folder, yfinance and the Ken French library.

Public interface::

    from research_lib.data import load_price, load_prices, load_factors, PriceSeries, PriceSet

See :mod:`research_lib.data.prices` for the order in which sources are tried,
:mod:`research_lib.data.cache` for the cache's manifests, checksums and
revision warnings, and :mod:`research_lib.data.factors` for the factor files.
"""

from __future__ import annotations

from research_lib.data.cache import DataRevisionWarning
from research_lib.data.factors import load_factors
from research_lib.data.prices import PriceSeries, PriceSet, load_price, load_prices
from research_lib.data.report import data_report
from research_lib.data.screen import ScreenConfig, screen_prices
from research_lib.data.snapshot import SymbolNotInSnapshotError
from research_lib.data.sources import PriceSource, ReturnSeries
from research_lib.data.user import UserData, read_user_data

__all__ = [
    "DataRevisionWarning",
    "PriceSeries",
    "PriceSet",
    "ScreenConfig",
    "SymbolNotInSnapshotError",
    "data_report",
    "load_factors",
    "load_price",
    "load_prices",
    "screen_prices",
    "PriceSource",
    "ReturnSeries",
    "UserData",
    "read_user_data",
]
