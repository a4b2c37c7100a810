"""Engine: returns on each listing's sessions, stacked event windows and attrition."""

from __future__ import annotations

from research_lib.engine.panel import (
    AbnormalReturns,
    EventPanel,
)
from research_lib.engine.returns import (
    align_benchmark,
    compute_returns,
)
from research_lib.engine.windows import (
    FACTOR_COLUMNS,
    PANEL_MODELS,
    WindowSpec,
    anchor_events,
    build_panel,
)

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
]
