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
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TypeVar

#: BLAS threads inside the battery and the simulator (None: leave the library's setting)
BLAS_THREADS: int | None = 1

F = TypeVar("F", bound=Callable[..., Any])
_controller: list[Any] = []


def blas_limit() -> AbstractContextManager[Any]:
    """Context manager limiting BLAS to :data:`BLAS_THREADS` threads (no-op without threadpoolctl)."""
    if BLAS_THREADS is None:
        return nullcontext()
    if not _controller:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # optional at run time: without it BLAS keeps its own thread count
            return nullcontext()
        _controller.append(ThreadpoolController())  # scans the loaded BLAS libraries once
    return _controller[0].limit(limits=BLAS_THREADS, user_api="blas")


def single_blas(fn: F) -> F:
    """Decorator: run ``fn`` under :func:`blas_limit`."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with blas_limit():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
