"""Seeded synthetic example data: a small market that needs no files and no network.

The docstring Examples of the package, the quick start and the tests run on
it.  A market index ``^GSPC`` follows a Gaussian random walk in returns over
the New York Stock Exchange sessions of 2023-01-03 to 2024-08-30; five US
listings (``EXA`` ... ``EXE``) follow the market model

.. math::

    R_{it} = \\alpha_i + \\beta_i R_{mt} + \\varepsilon_{it},
    \\qquad \\varepsilon_{it} \\sim N(0, \\sigma_i^2),

with known :data:`BETAS`, and each has one event whose day-0 return carries a
planted abnormal return of :data:`PLANTED_AR`.  The same seed always gives the
same numbers (NumPy's ``default_rng``).

Examples
--------
>>> from research_lib.examples import example_events, example_prices
>>> prices = example_prices()
>>> sorted(prices)
['EXA', 'EXB', 'EXC', 'EXD', 'EXE', '^GSPC']
>>> prices["EXA"].index[[0, -1]].strftime("%Y-%m-%d").tolist()
['2023-01-03', '2024-08-30']
>>> example_events()[["event_id", "symbol", "benchmark", "event_date"]].head(2)
  event_id symbol benchmark  event_date
0    exa_0    EXA     ^GSPC  2024-03-01
1    exb_0    EXB     ^GSPC  2024-03-15
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from research_lib.engine.panel import AbnormalReturns, EventPanel
    from research_lib.results import EventStudyResult

#: market-model betas of the five example securities
BETAS: dict[str, float] = {"EXA": 0.8, "EXB": 1.0, "EXC": 1.2, "EXD": 0.9, "EXE": 1.5}
#: daily residual standard deviations
SIGMAS: dict[str, float] = {"EXA": 0.012, "EXB": 0.015, "EXC": 0.018, "EXD": 0.010, "EXE": 0.020}
#: abnormal return planted on each event's day 0
PLANTED_AR = 0.05
#: day 0 of each security's event (a New York session)
EVENT_DATES: dict[str, str] = {
    "EXA": "2024-03-01", "EXB": "2024-03-15", "EXC": "2024-04-02", "EXD": "2024-04-16", "EXE": "2024-05-01",
}
START, END = "2023-01-03", "2024-08-30"
MARKET = "^GSPC"


def example_sessions() -> pd.DatetimeIndex:
    """The New York Stock Exchange sessions the example market trades on.

    Examples
    --------
    >>> s = example_sessions()
    >>> len(s), s[0].date().isoformat()
    (418, '2023-01-03')
    """
    from research_lib.listings import sessions

    return pd.DatetimeIndex(sessions(MARKET, START, END)).tz_localize(None).rename("date")


def example_returns(seed: int = 20250224) -> pd.DataFrame:
    """Daily simple returns of the market and the five securities (one column each).

    Examples
    --------
    >>> r = example_returns()
    >>> r.shape
    (418, 6)
    >>> round(float(r["^GSPC"].std()), 3)
    0.01
    """
    dates = example_sessions()
    rng = np.random.default_rng(seed)
    market = rng.normal(0.0004, 0.010, len(dates))
    cols = {MARKET: market}
    for sym, beta in BETAS.items():
        ret = 0.0002 + beta * market + rng.normal(0.0, SIGMAS[sym], len(dates))
        ret[dates.get_loc(pd.Timestamp(EVENT_DATES[sym]))] += PLANTED_AR
        cols[sym] = ret
    return pd.DataFrame(cols, index=dates)


def example_prices(seed: int = 20250224) -> dict[str, pd.Series]:
    """Adjusted closes per symbol, built from :func:`example_returns` (start at 100).

    The mapping is what :func:`research_lib.event_study` takes as ``prices=``.

    Examples
    --------
    >>> p = example_prices()
    >>> float(p["EXA"].iloc[0])
    100.0
    >>> p["EXA"].name
    'EXA'
    """
    closes = 100.0 * (1.0 + example_returns(seed)).cumprod()
    closes.iloc[0] = 100.0  # the first session has no return: the price starts at 100
    return {sym: closes[sym].rename(sym) for sym in closes.columns}


def example_events() -> pd.DataFrame:
    """One event per example security, dated by its day 0 (``event_date``).

    Examples
    --------
    >>> ev = example_events()
    >>> len(ev), list(ev.columns)
    (5, ['event_id', 'symbol', 'benchmark', 'event_date'])
    """
    return pd.DataFrame(
        {
            "event_id": [f"{s.lower()}_0" for s in EVENT_DATES],
            "symbol": list(EVENT_DATES),
            "benchmark": MARKET,
            "event_date": list(EVENT_DATES.values()),
        }
    )


def example_snapshot(folder: str | os.PathLike[str], seed: int = 20250224) -> Path:
    """Write the example prices as a snapshot folder (``prices/<SYMBOL>.csv``) and return it.

    The layout is the one ``RESEARCH_LIB_SNAPSHOT`` names, so the data layer
    reads it offline like the real snapshot.

    Examples
    --------
    >>> import tempfile
    >>> root = example_snapshot(tempfile.mkdtemp())
    >>> sorted(p.name for p in (root / "prices").iterdir())[:2]
    ['EXA.csv', 'EXB.csv']
    """
    root = Path(folder)
    (root / "prices").mkdir(parents=True, exist_ok=True)
    for sym, close in example_prices(seed).items():
        frame = pd.DataFrame(
            {"open": close, "high": close, "low": close, "close": close, "adj_close": close, "volume": 1_000_000},
            index=close.index.rename("date"),
        )
        frame.to_csv(root / "prices" / f"{sym}.csv", date_format="%Y-%m-%d", float_format="%.6f")
    return root


def example_panel(model: str = "market") -> EventPanel:
    """The five example events stacked into an :class:`~research_lib.EventPanel` for ``model``.

    Estimation window (-250, -11), event window (-10, 10): the panel that
    :func:`research_lib.fit_model` and :class:`research_lib.TestBattery` take.

    Examples
    --------
    >>> panel = example_panel()
    >>> panel.y_est.shape, panel.y_evt.shape
    ((5, 240), (5, 21))
    """
    from research_lib.engine.windows import WindowSpec, anchor_events, build_panel

    anchored, _ = anchor_events(example_events())
    panel, _ = build_panel(anchored, example_prices(), WindowSpec(), model=model)
    return panel


def example_abnormal_returns(model: str = "market") -> AbnormalReturns:
    """Abnormal returns of the five example events under ``model`` (textbook conventions).

    Examples
    --------
    >>> ab = example_abnormal_returns()
    >>> round(float(ab.ar[:, 10].mean()), 3)  # day 0: the planted 0.05 plus noise
    0.05
    """
    from research_lib.models.fit import fit_model

    return fit_model(example_panel(model), model)


@functools.lru_cache(maxsize=1)
def example_result() -> EventStudyResult:
    """:func:`research_lib.event_study` on the example market, CAR windows (0, 0) and (-1, 1).

    Computed once per process (the docstring Examples share it); treat it as read-only.

    Examples
    --------
    >>> res = example_result()
    >>> res.n_events, res.parameters.car_windows
    (5, ((0, 0), (-1, 1)))
    """
    from research_lib.study import event_study

    return event_study(example_events(), prices=example_prices(), car_windows=[(0, 0), (-1, 1)])
