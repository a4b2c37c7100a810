"""Measures beyond returns: abnormal volume and abnormal volatility."""

from __future__ import annotations

from research_lib.measures.volatility import (
    OHLCArrays,
    RangeResult,
    VarianceRatioTest,
    abnormal_range,
    garman_klass_variance,
    ohlc_arrays,
    parkinson_variance,
    variance_ratio_test,
)
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
    "OHLCArrays",
    "RangeResult",
    "VarianceRatioTest",
    "abnormal_range",
    "garman_klass_variance",
    "ohlc_arrays",
    "parkinson_variance",
    "variance_ratio_test",
    "TURNOVER_CONSTANT",
    "VOLUME_MODELS",
    "VolumeArrays",
    "VolumeResult",
    "abnormal_volume",
    "log_volume",
    "volume_arrays",
]
