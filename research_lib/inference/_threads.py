"""One BLAS thread around the battery's and the simulator's many small matrix products.

The Kolari-Pynnönen block products, the generalised rank's weighted sums and the
simulator's per-sample products are small (a few hundred rows each).  A
multi-threaded BLAS gains little on them and, on a machine whose cores are busy
with other work, its threads wait for each other: measured on this 2-core
machine under load, the daily table of 10k events took 1.3-3.4 s with two
OpenBLAS threads and 0.5-0.7 s with one (CPU time 0.7-1.9 s against 0.3 s).
So the battery runs its products with :data:`BLAS_THREADS` threads
(``threadpoolctl``, the limit is lifted on return); set it to ``None`` to keep
the BLAS library's own setting.  Parallelism across events belongs to the chunked
and distributed engine (several processes), not to threads inside one product.

The limit is process-wide (that is how BLAS libraries are configured): nested
and concurrent entries (threads) share one limit, set by the first to enter and
lifted by the last to leave.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

#: BLAS threads inside the battery and the simulator (None: leave the library's setting)
BLAS_THREADS: int | None = 1

F = TypeVar("F", bound=Callable[..., Any])
_lock = threading.Lock()
_state: dict[str, Any] = {"controller": None, "depth": 0, "limiter": None}


def _controller() -> Any:
    """threadpoolctl's controller of the loaded BLAS libraries (made once), or None without threadpoolctl."""
    if _state["controller"] is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # optional at run time: without it BLAS keeps its own thread count
            return None
        _state["controller"] = ThreadpoolController()
    return _state["controller"]


@contextmanager
def blas_limit() -> Iterator[None]:
    """Limit BLAS to :data:`BLAS_THREADS` threads inside the block (no-op if None or without threadpoolctl)."""
    limits = BLAS_THREADS
    with _lock:
        ctl = _controller() if limits is not None else None
        if ctl is not None:
            if _state["depth"] == 0:
                _state["limiter"] = ctl.limit(limits=limits, user_api="blas")
            _state["depth"] += 1
    try:
        yield
    finally:
        if ctl is not None:
            with _lock:
                _state["depth"] -= 1
                if _state["depth"] == 0:
                    _state["limiter"].restore_original_limits()
                    _state["limiter"] = None


def single_blas(fn: F) -> F:
    """Decorator: run ``fn`` under :func:`blas_limit`."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with blas_limit():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
