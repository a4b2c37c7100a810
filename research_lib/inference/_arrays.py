"""Nan-aware reductions over the events axis (-1) shared by the battery's test functions."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from scipy import stats


def finite(x: np.ndarray) -> np.ndarray:
    """``x`` as float with inf replaced by nan (a copy only if ``x`` has an inf or is not float)."""
    out = np.asarray(x, dtype=float)
    if np.isinf(out).any():
        out = np.where(np.isinf(out), np.nan, out)
    return out


def moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count, mean and SD (ddof 1) over the last axis, ignoring nan (nan where undefined)."""
    ok = np.isfinite(x)
    n = ok.sum(axis=-1)
    xs = np.where(ok, x, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = xs.sum(axis=-1) / n
        dev = np.where(ok, x - mean[..., None], 0.0)
        sd = np.sqrt(np.einsum("...i,...i->...", dev, dev) / (n - 1))
    mean = np.where(n > 0, mean, np.nan)
    sd = np.where(n > 1, sd, np.nan)
    return n, mean, sd


def t_dist(df: np.ndarray | float) -> Any:
    """Frozen Student t with ``df`` (nan where df <= 0).

    A scalar df is frozen once and reused (freezing a scipy distribution builds a new
    distribution instance, about 0.2-0.6 ms: the battery freezes several per window).
    """
    d = np.asarray(df, dtype=float)
    if d.ndim == 0 and float(d) > 0:
        return _t_scalar(float(d))
    return stats.t(np.where(d > 0, d, np.nan))


@lru_cache(maxsize=256)
def _t_scalar(df: float) -> Any:
    return stats.t(np.asarray(df))


NORMAL = stats.norm()


def scalar_note(*pairs: tuple[Any, str]) -> str:
    """The first text whose (0-d) condition holds; '' for arrays (notes describe one sample)."""
    for cond, text in pairs:
        if np.ndim(cond) == 0 and bool(cond):
            return text
    return ""


def fmt(x: Any) -> str:
    """``f"{x}"`` for a 0-d value; '' for arrays (never formats a per-sample array that no note shows)."""
    return f"{x}" if np.ndim(x) == 0 else ""


def f4(x: Any) -> str:
    """A 0-d value with four decimals (notes); arrays as 'per sample'."""
    return f"{float(np.asarray(x)):.4f}" if np.ndim(x) == 0 else "(per sample)"
