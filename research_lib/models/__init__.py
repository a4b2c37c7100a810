"""Normal-return models, fitted for all events at once.

The registry (:mod:`research_lib.models.registry`) holds one object per model;
the built-in ones register themselves when this package is imported.  See
``CONTRIBUTING.md`` for adding a model: one new module plus its tests.
"""

from __future__ import annotations

# the registry first: the model modules and research_lib.engine.windows import it
from research_lib.models.registry import (  # isort: skip
    FACTOR_MODELS,
    REGISTRY,
    Layout,
    Model,
    ModelName,
    benchmark_only_models,
    factor_files,
    get_model,
    model_names,
    register,
    unregister,
)
# isort: off
# the built-in models register themselves on import, in this order (the order of MODELS)
from research_lib.models import constant_mean  # noqa: F401
from research_lib.models import market  # noqa: F401
from research_lib.models import factor  # noqa: F401
from research_lib.models import scholes_williams  # noqa: F401
from research_lib.models import dimson  # noqa: F401
from research_lib.models import garch_models  # noqa: F401

# isort: on
from research_lib.models.fit import (
    dimson_beta,
    fit_event_ols,
    fit_model,
    market_beta,
)


def __getattr__(name: str) -> tuple[str, ...]:
    # live views of the registry (a model registered at run time is listed)
    if name == "MODELS":
        return model_names()
    if name == "OLS_MODELS":
        return tuple(n for n, m in REGISTRY.items() if m.ols)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "FACTOR_MODELS",
    "MODELS",
    "OLS_MODELS",
    "REGISTRY",
    "Layout",
    "Model",
    "ModelName",
    "benchmark_only_models",
    "dimson_beta",
    "factor_files",
    "fit_event_ols",
    "fit_model",
    "get_model",
    "market_beta",
    "model_names",
    "register",
    "unregister",
]
