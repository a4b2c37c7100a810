"""The study's path for ``measure="volume"`` and ``measure="range"``.

:func:`research_lib.study.event_study` builds the events' windows from returns
as usual (so day 0, the sessions and the estimation sample are the same for
every measure), then :func:`other_measure` swaps the abnormal returns for
abnormal log volume (:func:`~research_lib.measures.volume.abnormal_volume`) or
abnormal log range variance (:func:`~research_lib.measures.volatility.abnormal_range`)
on the same sessions.  Every event the measure cannot use is excluded in the
study's :class:`~research_lib.events.attrition.Attrition` log with the reason,
and an event kept with missing days gets a note; none is dropped silently.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from research_lib.conventions import get_conventions
from research_lib.engine.panel import AbnormalReturns, EventPanel
from research_lib.errors import NoValidEventsError
from research_lib.events.attrition import Attrition
from research_lib.inference.results import TestResult
from research_lib.measures.volatility import abnormal_range, ohlc_arrays, variance_ratio_test
from research_lib.measures.volume import abnormal_volume, volume_arrays

if TYPE_CHECKING:
    from research_lib.spec import StudySpec

#: what ``ar`` holds under each measure (the summary's wording)
MEASURE_LABELS = {"returns": "abnormal returns", "volume": "abnormal log volume",
                  "range": "abnormal log range variance"}


#: volume/OHLC frames of the user data of the running study (``event_study(data=...)``), see :func:`user_frames`
_ACTIVE: ContextVar[dict[str, pd.DataFrame] | None] = ContextVar("research_lib_measure_frames", default=None)
_COLUMNS = ("volume", "open", "high", "low", "close")


def read_user_frames(data: pd.DataFrame | str | os.PathLike[str]) -> dict[str, pd.DataFrame]:
    """``volume`` (and ``open, high, low, close`` if present) per symbol of a long user table.

    The table is read and checked like :func:`research_lib.data.user.read_user_data` (same
    symbol and date rules); a wide table or one without these columns gives ``{}``.
    """
    from research_lib.data import user  # its loader and long-table checks, so both reads agree

    frame, origin = user._load(data)
    frame.columns = [str(c).strip().lower() if str(c).strip().lower() in (*user._KNOWN, *_COLUMNS) else str(c).strip()
                     for c in frame.columns]
    cols = [c for c in _COLUMNS if c in frame.columns]
    if "symbol" not in frame.columns or "date" not in frame.columns or not cols:
        return {}
    kind = "ret" if "ret" in frame.columns else "price"
    clean = user._clean_long(frame, origin, kind)
    for c in cols:
        clean[c] = user._numeric(clean, c, origin)
    return {str(sym): grp.set_index(pd.DatetimeIndex(grp["date"]))[cols] for sym, grp in clean.groupby("symbol")}


@contextmanager
def user_frames(data: object, measure: str) -> Iterator[None]:
    """While a study on user data runs: its volume/OHLC and the data layer's frames are collected."""
    if measure == "returns" or data is None or not isinstance(data, pd.DataFrame | str | os.PathLike):
        yield
        return
    token = _ACTIVE.set(read_user_frames(data))
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def active_frames() -> dict[str, pd.DataFrame] | None:
    """The frames of the running user-data study (``None`` outside one)."""
    return _ACTIVE.get()


#: the variance-ratio tests a study's ``tests=`` accepts (event-induced variance of the ARs)
VARIANCE_RATIO_TESTS: tuple[str, ...] = ("variance_ratio_chi2", "variance_ratio_t")


def variance_ratio_results(ab: AbnormalReturns, window: tuple[int, int], names: tuple[str, ...]) -> dict[str, TestResult]:
    """:func:`~research_lib.measures.volatility.variance_ratio_test` over ``window`` as battery results.

    The p-values are one-sided (a variance increase), as the test is; ``note`` says so
    and gives the mean variance ratio (1 under the null).
    """
    out: dict[str, TestResult] = {}
    for name in names:
        vr = variance_ratio_test(ab, window, name.rsplit("_", 1)[1])
        note = f"one-sided ({vr.alternative}); mean variance ratio {vr.mean_ratio:.3g}"
        out[name] = TestResult(name, vr.stat, vr.pvalue, vr.null, vr.distribution, None, vr.n, note)
    return out


def price_frames(prices: object) -> dict[str, pd.DataFrame]:
    """The price frames among user-given ``prices`` (a frame with ``adj_close`` and e.g. ``volume``)."""
    out = dict(active_frames() or {})
    if isinstance(prices, Mapping):
        out.update({str(k): v for k, v in prices.items() if isinstance(v, pd.DataFrame)})
    return out


def _lacking(panel: EventPanel, frames: Mapping[str, pd.DataFrame], columns: tuple[str, ...]) -> dict[int, str]:
    """Events whose security has no frame or lacks one of ``columns``: index -> missing columns."""
    out: dict[int, str] = {}
    for i, sym in enumerate(panel.symbols.astype(str)):
        frame = frames.get(sym)
        have = set() if frame is None else set(frame.columns)
        miss = [c for c in columns if c not in have]
        if miss:
            out[i] = ", ".join(miss)
    return out


def _record(status: pd.DataFrame, attrition: Attrition, stage: str) -> None:
    excl = status[status["status"] == "excluded"]
    attrition.add_table(excl, stage)
    for row in status[status["status"] == "flagged"].itertuples():
        attrition.note(row.event_id, f"{stage}: {row.reason}")


def other_measure(
    ab: AbnormalReturns, frames: Mapping[str, pd.DataFrame], design: StudySpec, attrition: Attrition
) -> AbnormalReturns:
    """Abnormal log volume or log range variance of the events of ``ab`` (``design.measure``).

    Raises
    ------
    NoValidEventsError
        If no event has the data the measure needs; the message and the attrition table say why.
    """
    panel = ab.panel
    cols = ("volume",) if design.measure == "volume" else (
        ("high", "low") if design.range_estimator == "parkinson" else ("open", "high", "low", "close"))
    lacking = _lacking(panel, frames, cols)
    for i, miss in lacking.items():
        attrition.exclude([panel.event_ids[i]], design.measure,
                          f"no {miss} for {panel.symbols[i]}: measure={design.measure!r} needs it; load prices through "
                          "research_lib.data (the snapshot carries volume and OHLC) or pass prices as DataFrames "
                          f"with an adj_close and a {miss} column")
    keep = np.array([i not in lacking for i in range(panel.n_events)])
    try:
        if not keep.any():
            raise NoValidEventsError(f"no event has the data measure={design.measure!r} needs")
        return _fit_measure(panel.select(keep), frames, design, attrition)
    except NoValidEventsError as err:
        table = getattr(err, "attrition", None)
        if table is not None:
            _record(table, attrition, design.measure)
        raise NoValidEventsError(f"no event could be studied ({attrition.reasons()})", attrition.table()) from None


def _fit_measure(panel: EventPanel, frames: Mapping[str, pd.DataFrame], design: StudySpec, attrition: Attrition) -> AbnormalReturns:
    result: Any
    if design.measure == "volume":
        result = abnormal_volume(panel, volume_arrays(panel, frames), design.model, get_conventions(design.conventions),
                                 min_estimation=design.min_estimation)
    else:
        result = abnormal_range(panel, ohlc_arrays(panel, frames), design.range_estimator,
                                min_estimation=design.min_estimation)
    _record(result.status, attrition, design.measure)
    abnormal: AbnormalReturns = result.abnormal
    return abnormal


__all__ = ["MEASURE_LABELS", "VARIANCE_RATIO_TESTS", "variance_ratio_results", "active_frames", "other_measure", "price_frames", "read_user_frames", "user_frames"]
