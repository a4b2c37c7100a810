"""Engine: returns on each listing's sessions, stacked event windows and attrition."""

from __future__ import annotations

from research_lib.engine.chunks import ChunkRun, fit_in_chunks, merge_abnormal
from research_lib.engine.panel import (
    AbnormalReturns,
    EventPanel,
)
from research_lib.engine.returns import (
    align_benchmark,
    compute_returns,
)
from research_lib.engine.windows import (
    WindowSpec,
    anchor_events,
    build_panel,
)


def __getattr__(name: str) -> object:
    # FACTOR_COLUMNS and PANEL_MODELS are live views of the model registry (see engine.windows)
    if name in ("FACTOR_COLUMNS", "PANEL_MODELS"):
        from research_lib.engine import windows

        return getattr(windows, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "EventPanel",
    "AbnormalReturns",
    "compute_returns",
    "align_benchmark",
    "FACTOR_COLUMNS",
    "PANEL_MODELS",
    "WindowSpec",
    "anchor_events",
    "build_panel",
    "ChunkRun",
    "fit_in_chunks",
    "merge_abnormal",
]  # noqa: F822 (FACTOR_COLUMNS, PANEL_MODELS: module __getattr__)
