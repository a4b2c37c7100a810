"""Measures beyond returns: abnormal volume and abnormal volatility."""

from __future__ import annotations

from research_lib.measures.volume import (
    TURNOVER_CONSTANT,
    VOLUME_MODELS,
    VolumeArrays,
    VolumeResult,
    abnormal_volume,
    log_volume,
    volume_arrays,
)

__all__ = [
    "TURNOVER_CONSTANT",
    "VOLUME_MODELS",
    "VolumeArrays",
    "VolumeResult",
    "abnormal_volume",
    "log_volume",
    "volume_arrays",
]
