"""The user's own columns of the events table, carried into the result tables."""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["STANDARD_EVENT_COLUMNS", "extra_columns", "with_extra_columns"]

#: columns the study itself reads; every other column of the events table is the user's
STANDARD_EVENT_COLUMNS = ("event_id", "symbol", "benchmark", "event_date", "announced_at", "calendar")


def extra_columns(events: pd.DataFrame) -> list[str]:
    """The user's columns of an events table, in their order."""
    return [c for c in events.columns if c not in STANDARD_EVENT_COLUMNS]


def with_extra_columns(table: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """``table`` (keyed by ``event_id``) with the user's events columns appended (values matched by id).

    A column whose name the table already uses is added as ``<name>_event``.  A column
    read as text (events files are read as text) whose every non-empty cell is a number
    becomes numeric (empty cells missing), so that it can enter a regression.
    """
    extra = extra_columns(events)
    if not extra or "event_id" not in table.columns:
        return table
    src = events.set_index(events["event_id"].astype(str))[extra]
    out = table.copy()
    key = out["event_id"].astype(str)
    for c in extra:
        name = c if c not in out.columns else f"{c}_event"
        out[name] = _numeric_if_possible(key.map(src[c]))
    return out


def _numeric_if_possible(values: pd.Series) -> Any:
    if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
        return values.to_numpy()
    blank = values.isna() | (values.astype(str).str.strip() == "")
    num = pd.to_numeric(values.where(~blank), errors="coerce")
    if (num.notna() | blank).all() and (~blank).any():
        return num.to_numpy(dtype=float)
    return values.to_numpy()
