"""The chunks of a study as tasks on Dask (``dask.distributed``): a local cluster or a remote scheduler.

Both passes of :mod:`research_lib.engine.streaming` run as tasks: the first
(``fit_chunk_partials``: the chunk's panel, fit, per-event numbers, partial sums and spill) and
the second (``second_pass``: generalised-rank and Kolari-Pynnönen sums from the spills).  The
driver only merges their small results and finishes the battery.  A task carries its chunk's
events and, for prices given in memory, the slices of prices it needs; prices from the snapshot
or cache are read by the worker itself (:class:`research_lib.engine.chunks.PriceReader`), once
per symbol and study in each worker process.
Scheduling, retries and data movement are Dask's; nothing here schedules.

Pointing it at a cluster: start ``dask scheduler`` on one machine and ``dask worker
tcp://HOST:8786`` on each of the others (each with research_lib installed, same version), then
``event_study(events, scheduler="tcp://HOST:8786")`` or ``research-lib study --scheduler
tcp://HOST:8786``.  The spill folder (``RESEARCH_LIB_SPILL_DIR``) and a snapshot folder must then
be on a file system every worker sees at the same path.  ``workers=N`` (``--workers N``) starts a
``LocalCluster`` of N single-threaded processes on this machine instead.  Needs the ``scale``
extra (``pip install research_lib[scale]``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from research_lib.errors import InvalidRequestError

__all__ = ["dask_mapper", "local_cluster"]


def _import_distributed() -> Any:
    try:
        import dask.distributed as dd
    except ImportError:
        raise InvalidRequestError(
            "a distributed run needs dask.distributed; install it with pip install 'research_lib[scale]' "
            "(or pip install 'dask[distributed]'), or run without scheduler/client/workers"
        ) from None
    return dd


def local_cluster(workers: int) -> Any:
    """A ``LocalCluster`` of ``workers`` single-threaded processes bound to 127.0.0.1.

    The scheduler's HTTP server (and dashboard, if bokeh is installed) takes a free local port, so
    two clusters on one machine (e.g. two test workers) do not compete for 8787.
    """
    dd = _import_distributed()
    return dd.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address="127.0.0.1:0")


@contextlib.contextmanager
def dask_mapper(
    scheduler: str | None = None, client: Any = None, workers: int | None = None
) -> Iterator[Callable[[Callable[[Any], Any], Iterable[Any]], list[Any]]]:
    """A ``map(fn, tasks)`` that runs each task on Dask and gathers the results in order.

    ``client`` is used as given (not closed); ``scheduler`` connects a new client; ``workers``
    starts (and afterwards closes) a local cluster.  Exactly one may be given.
    """
    given = [x is not None for x in (scheduler, client, workers)]
    if sum(given) > 1:
        raise InvalidRequestError("give one of scheduler, client and workers, not several")
    dd = _import_distributed()
    with contextlib.ExitStack() as stack:
        if client is None:
            if scheduler is not None:
                client = stack.enter_context(dd.Client(scheduler))
            else:
                cluster = stack.enter_context(local_cluster(int(workers or 1)))
                client = stack.enter_context(dd.Client(cluster))

        def run(fn: Callable[[Any], Any], tasks: Iterable[Any]) -> list[Any]:
            items = list(tasks)
            # pure=False: two chunks with equal inputs are still two tasks; results come back in order
            futures = client.map(fn, items, pure=False)
            return list(client.gather(futures))

        yield run
