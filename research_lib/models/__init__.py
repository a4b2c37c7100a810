"""Normal-return models, fitted for all events at once."""

from __future__ import annotations

from research_lib.models.fit import (
    MODELS,
    OLS_MODELS,
    dimson_beta,
    fit_event_ols,
    fit_model,
)

__all__ = [
    "MODELS",
    "OLS_MODELS",
    "dimson_beta",
    "fit_event_ols",
    "fit_model",
]
