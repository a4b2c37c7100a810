"""One attrition log for a study: what happened to each event, at which step and why.

Every step of :func:`research_lib.study.event_study` appends to the same
:class:`Attrition` log: ``read`` (the events table), ``anchor`` (day 0 on the
listing's calendar), ``prices`` (loading the security and its benchmark) and
``panel`` (windows, estimation sample, regressors).  An event's status only
gets worse: once ``excluded`` it stays excluded, and the first reason that
excluded it is the one reported.

Schema of :meth:`Attrition.table` (one row per input event, input order):

========== ==============================================================
column     meaning
========== ==============================================================
event_id   the event's id as given
symbol     the security
status     ``kept``, ``shifted`` (day 0 moved to the next session, with the
           reason), ``suspect`` (kept, but a price in its windows failed the
           screen of :mod:`research_lib.data.screen`) or ``excluded``
stage      the step that set the status (``anchor``, ``prices``, ``panel``, ``screen``)
reason     the explanation, naming dates and the fix where there is one
========== ==============================================================

:meth:`Attrition.log` gives every entry appended, in order, for an audit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

import pandas as pd

Status = Literal["kept", "shifted", "suspect", "excluded"]
COLUMNS = ("event_id", "symbol", "status", "stage", "reason")
_RANK = {"kept": 0, "shifted": 1, "suspect": 2, "excluded": 3}
_SYMBOL, _STATUS, _REASON = 1, 2, 4  # positions in COLUMNS

__all__ = ["COLUMNS", "Attrition", "Status"]


class Attrition:
    """Append-only log of event statuses (see the module docstring for the schema).

    Examples
    --------
    >>> from research_lib import Attrition
    >>> log = Attrition()
    >>> log.record("e1", "ABC", "kept", "anchor", "day 0 given")
    >>> log.record("e1", "ABC", "excluded", "window", "only 80 estimation returns, needs 120")
    >>> log.table()[["event_id", "status", "stage"]]
      event_id    status   stage
    0       e1  excluded  window
    """

    def __init__(self) -> None:
        # Compact on purpose (a study of a million events keeps one state and a few log entries per
        # event): the final state of an event is a list in COLUMNS order, a log entry a tuple, and
        # the texts of a step's table are shared objects, not one copy per row.
        self._order: list[str] = []
        self._state: dict[str, list[str]] = {}
        self._log: list[tuple[str, str, str, str, str]] = []

    def record(self, event_id: object, symbol: object, status: Status, stage: str, reason: str) -> None:
        """Append one entry; the event's status becomes the worse of its old and the new one."""
        eid = str(event_id)
        entry = (eid, str(symbol), status, stage, str(reason))
        self._log.append(entry)
        old = self._state.get(eid)
        if old is None:
            self._order.append(eid)
            self._state[eid] = list(entry)
        elif _RANK[status] > _RANK[old[_STATUS]]:
            self._state[eid] = list(entry)

    def add_table(self, frame: pd.DataFrame, stage: str | None = None) -> None:
        """Append a step's table (columns ``event_id, symbol, status, reason`` and optionally ``stage``).

        Each row is one :meth:`record`; the columns are converted once, not row by row.
        """
        n = len(frame)
        if stage:
            stages = [stage] * n
        elif "stage" in frame.columns:
            stages = [str(v or "") for v in frame["stage"].tolist()]
        else:
            stages = [""] * n
        columns = (frame["event_id"].tolist(), _shared(frame["symbol"].tolist()), _shared(frame["status"].tolist()),
                   _shared(stages), _shared(frame["reason"].tolist()))
        for eid, sym, status, where, reason in zip(*columns, strict=True):
            self.record(eid, sym, status, where, reason)

    def exclude(self, event_ids: Iterable[object], stage: str, reason: str) -> None:
        """Mark events as excluded at ``stage`` with ``reason``."""
        for eid in event_ids:
            state = self._state.get(str(eid))
            sym = state[_SYMBOL] if state is not None else ""
            self.record(eid, sym, "excluded", stage, reason)

    def note(self, event_id: object, text: str, *, suspect: bool = False) -> None:
        """Add ``text`` to a kept event's reason (a screen finding, an unscheduled closure).

        With ``suspect=True`` the event's status becomes ``suspect``: it stays in the study, but a
        price in its windows failed the screen (:mod:`research_lib.data.screen`).  Excluded events
        keep their exclusion reason unchanged.
        """
        state = self._state.get(str(event_id))
        if state is None or state[_STATUS] == "excluded":
            return
        if text and text not in state[_REASON]:
            state[_REASON] = f"{state[_REASON]}; {text}" if state[_REASON] else text
        if suspect:
            state[_STATUS] = "suspect"
        self._log.append((state[0], state[_SYMBOL], state[_STATUS], "screen", text))

    def excluded_ids(self) -> set[str]:
        return {e for e, s in self._state.items() if s[_STATUS] == "excluded"}

    def reasons(self) -> str:
        """``id: reason; ...`` for every excluded event."""
        return "; ".join(f"{e}: {s[_REASON]}" for e, s in self._state.items() if s[_STATUS] == "excluded")

    def table(self) -> pd.DataFrame:
        """The final status of every event (the schema in the module docstring)."""
        return pd.DataFrame([self._state[e] for e in self._order], columns=list(COLUMNS))

    def log(self) -> pd.DataFrame:
        """Every entry in the order it was appended."""
        return pd.DataFrame(self._log, columns=list(COLUMNS))

    def __len__(self) -> int:
        return len(self._order)


def _shared(values: Sequence[object]) -> list[Any]:
    """``values`` as texts, equal texts one object (a column repeats a few symbols and reasons per event)."""
    seen: dict[str, str] = {}
    return [seen.setdefault(text, text) for text in map(str, values)]
