"""A study in chunks of events: the chunk tasks, and the per-event merge of the first round.

A chunk is a run of events sorted by day 0 (so that only neighbouring chunks share calendar
time), with the prices of its own securities cut to its own date span (or, with a
:class:`PriceReader`, only where the task reads them itself).  :func:`chunk_tasks` makes the
tasks one at a time.

``event_study(..., chunk_size=K)`` runs them through :mod:`research_lib.engine.streaming`
(:meth:`ChunkRun.stream`): each chunk is reduced to per-event numbers and mergeable sums, and the
battery is finished from those (:mod:`research_lib.inference.partials`), so that memory is set by
the chunk size.  That module's notes say what is merged how and what bounds the memory.

:func:`fit_chunk`, :func:`fit_in_chunks` and :func:`merge_abnormal` (the first round: whole
per-event arrays merged, N x L1 estimation residuals included) are kept for code that wants the
full :class:`~research_lib.engine.panel.AbnormalReturns` of a study fitted chunk by chunk: the
fit of one event never looks at another, so every number is the same float as in one pass.
The same tasks run in this process (``map``) or on a Dask cluster
(:mod:`research_lib.engine.distributed`).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from research_lib.conventions import get_conventions
from research_lib.engine.panel import AbnormalReturns, EventPanel
from research_lib.engine.windows import WindowSpec, build_panel, date_ranges
from research_lib.errors import InvalidRequestError, NoValidEventsError

__all__ = ["ChunkResult", "ChunkRun", "ChunkTask", "PriceReader", "WorkerPrices", "chunk_tasks", "fit_chunk", "fit_in_chunks",
           "merge_abnormal"]

#: Fields of EventPanel / AbnormalReturns shared by all events (everything else has one row per event).
_SHARED = frozenset({"tau_est", "tau_evt", "x_names", "returns_kind", "model", "param_names", "k", "conventions"})


@dataclass(frozen=True)
class PriceReader:
    """Where a worker reads a chunk's prices itself: the snapshot/cache call the driver made, then cut.

    ``loaded`` is the date range over which the driver loaded each symbol; the worker makes the
    same :func:`research_lib.data.load_prices` call (so the same floats) and cuts the series to
    its chunk's span -- the series are not shipped from the driver.  A worker process keeps the
    series it read for the other chunks of the same study (``study``, a fresh token per reader;
    :func:`_read_series`), so each worker reads each symbol once per study, not once per chunk.
    """

    snapshot: str | None
    offline: bool | None
    loaded: Mapping[str, tuple[Any, Any]]
    study: str = dataclasses.field(default_factory=lambda: uuid.uuid4().hex)

    def read(self, spans: Mapping[str, tuple[Any, Any]]) -> dict[str, pd.Series]:
        """Adjusted closes of the symbols of ``spans`` (symbol -> (first, last) date) the driver had."""
        out = {}
        for sym, (lo, hi) in spans.items():
            if sym in self.loaded:
                start, end = self.loaded[sym]
                out[sym] = _read(self.study, sym, start, end, self.snapshot, self.offline)[0].loc[lo:hi]
        return out

    def probe(self, symbols: Sequence[str]) -> tuple[list[dict[str, Any]], dict[str, str], list[Any]]:
        """Load ``symbols`` where this runs (a task): their rows of the sources table, the failures, and
        the log records and warnings the loading gave (for the driver to pass on).

        The rows and messages of :func:`research_lib.study._load_prices`; the series stay in this
        worker for its chunks (no series travel back).
        """
        from research_lib.errors import DataError

        rows, failed = [], {}
        records: list[Any] = []
        handler = _Collect(records)
        logger = logging.getLogger("research_lib")
        logger.addHandler(handler)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                for sym in symbols:
                    start, end = self.loaded[sym]
                    try:
                        rows.append(_read(self.study, sym, start, end, self.snapshot, self.offline)[1])
                    except DataError as exc:
                        failed[sym] = str(exc)
        finally:
            logger.removeHandler(handler)
        return rows, failed, records + [(w.category, str(w.message)) for w in caught]


class _Collect(logging.Handler):
    """Keeps the log records of a loading task (sent back to the driver, which logs them there)."""

    def __init__(self, out: list[Any]) -> None:
        super().__init__(logging.DEBUG)
        self.out = out

    def emit(self, record: logging.LogRecord) -> None:
        record.msg, record.args = record.getMessage(), None  # plain text: the arguments need not pickle
        self.out.append(record)


def _replay(notes: Sequence[Any]) -> None:
    """Log (and warn) on the driver what the workers' loading tasks logged and warned."""
    for note in notes:
        if isinstance(note, logging.LogRecord):
            logger = logging.getLogger(note.name)
            if logger.isEnabledFor(note.levelno):
                logger.handle(note)
        else:
            category, message = note
            warnings.warn(message, category, stacklevel=3)


@functools.lru_cache(maxsize=512)
def _read(study: str, sym: str, start: Any, end: Any, snapshot: str | None, offline: bool | None
          ) -> tuple[pd.Series, dict[str, Any]]:
    """One symbol's adjusted closes as the driver would load them, and its row of the sources table.

    Kept per worker process for the chunks of one study (``study`` is in the key, so a later
    study reads the files again; at most 512 series).
    """
    from research_lib.data import load_prices

    series = load_prices([sym], start=start, end=end, snapshot=snapshot, offline=offline, progress=False)[sym]
    row = {"symbol": sym, "source": series.source, "first": series.frame.index.min(),
           "last": series.frame.index.max(), "sha256": series.sha256[:12], "origin": series.origin}
    return series.adj_close, row


@dataclass(frozen=True)
class WorkerPrices:
    """Prices from a path loaded by the workers only: the driver loads none (a distributed run).

    ``symbols`` in the order of the sources table; ``on_loaded(sources, failed)`` is called on
    the driver with the workers' sources rows and failures (symbol -> message) and returns the
    events left (it records the exclusions in the study's attrition log).
    """

    reader: PriceReader
    symbols: tuple[str, ...]
    on_loaded: Callable[[pd.DataFrame, dict[str, str]], pd.DataFrame]

    #: symbols per loading task
    GROUP = 16

    def load(self, mapper: Callable[[Callable[[Any], Any], Iterable[Any]], Iterable[Any]], anchored: pd.DataFrame
             ) -> tuple[PriceReader, pd.DataFrame]:
        """Load on the workers; the reader of the symbols that loaded and the events left."""
        groups = [self.symbols[i:i + self.GROUP] for i in range(0, len(self.symbols), self.GROUP)]
        rows: list[dict[str, Any]] = []
        failed: dict[str, str] = {}
        for got, bad, notes in mapper(self.reader.probe, groups):
            rows.extend(got)
            failed.update(bad)
            _replay(notes)
        left = self.on_loaded(pd.DataFrame(rows), failed)
        loaded = {s: r for s, r in self.reader.loaded.items() if s not in failed}
        return dataclasses.replace(self.reader, loaded=loaded), left


@dataclass(frozen=True)
class ChunkTask:
    """One chunk: its events (anchored rows), the prices of its securities over its span, the design.

    With a ``reader`` the prices are empty and the task reads them where it runs (``spans``: the
    chunk's date range per symbol); :meth:`chunk_prices` gives them either way.
    """

    index: int
    events: pd.DataFrame
    prices: Mapping[str, pd.Series]
    windows: WindowSpec
    design: Any  # research_lib.spec.StudySpec (not imported: spec imports the engine)
    factors: pd.DataFrame | None
    reader: PriceReader | None = None
    spans: Mapping[str, tuple[Any, Any]] | None = None

    def chunk_prices(self) -> Mapping[str, pd.Series]:
        """The chunk's prices: carried, or read by :attr:`reader` over :attr:`spans`."""
        if self.reader is None:
            return self.prices
        return self.reader.read(self.spans or {})


@dataclass(frozen=True)
class ChunkResult:
    """A fitted chunk: its abnormal returns (None if every event was excluded) and its panel log."""

    index: int
    abnormal: AbnormalReturns | None
    panel_table: pd.DataFrame


def check_chunk_size(chunk_size: object) -> int | None:
    """``None`` (one pass) or a positive int, else an :class:`InvalidRequestError` with the fix."""
    if chunk_size is None:
        return None
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int | np.integer) or int(chunk_size) < 1:
        raise InvalidRequestError(f"chunk_size must be a positive number of events, not {chunk_size!r}; e.g. chunk_size=5000")
    return int(chunk_size)


def chunk_tasks(
    anchored: pd.DataFrame, prices: Mapping[str, pd.Series], windows: WindowSpec, design: Any,
    factors: pd.DataFrame | None, chunk_size: int, reader: PriceReader | None = None,
) -> Iterator[ChunkTask]:
    """The chunks of ``chunk_size`` events by day 0, made one at a time; each carries only its own prices
    (or, with a ``reader``, only where to read them)."""
    order = np.argsort(pd.to_datetime(anchored["day0"]).to_numpy(), kind="stable")
    for k, start in enumerate(range(0, len(order), chunk_size)):
        sub = anchored.iloc[order[start:start + chunk_size]]
        ranges = date_ranges(sub, windows, lags=3, leads=3)
        if reader is not None:  # the symbols the driver (or the workers' loading tasks) could load
            have = reader.loaded if not prices else prices
            yield ChunkTask(k, sub, {}, windows, design, factors, reader, {s: r for s, r in ranges.items() if s in have})
            continue
        own = {s: prices[s].loc[lo:hi] for s, (lo, hi) in ranges.items() if s in prices}
        yield ChunkTask(k, sub, own, windows, design, factors)


def fit_chunk(task: ChunkTask) -> ChunkResult:
    """Build the panel of one chunk and fit its model (a pure function of the task: runs anywhere)."""
    from research_lib.models.fit import fit_model  # the models build on the engine: imported at use

    d = task.design
    try:
        panel, table = build_panel(
            task.events, task.chunk_prices(), task.windows, model=d.model, factors=task.factors, returns=d.returns,
            after_gap=d.after_gap, exclude_dates=d.exclude_dates, on_suspect=d.on_suspect,
        )
    except NoValidEventsError as err:
        table = err.attrition if err.attrition is not None else pd.DataFrame()
        return ChunkResult(task.index, None, table)
    return ChunkResult(task.index, fit_model(panel, d.model, get_conventions(d.conventions)), table)


def _concat(parts: Sequence[Any], cls: type) -> Any:
    """One dataclass from several: per-event arrays stacked, everything else (shared) from the first."""
    values = {}
    for f in dataclasses.fields(cls):
        items = [getattr(p, f.name) for p in parts]
        shared = f.name in _SHARED or not isinstance(items[0], np.ndarray)
        values[f.name] = items[0] if shared else np.concatenate(items, axis=0)
    return cls(**values)


def merge_abnormal(parts: Sequence[AbnormalReturns], event_order: Sequence[Any]) -> AbnormalReturns:
    """The chunks' abnormal returns as one, events in ``event_order`` (the ids of the one-pass run).

    Every per-event array is concatenated and re-ordered; shared fields (event time, names,
    conventions) are taken from the first chunk, and must agree across chunks.
    """
    for p in parts[1:]:
        if not (np.array_equal(p.panel.tau_est, parts[0].panel.tau_est) and p.param_names == parts[0].param_names):
            raise InvalidRequestError("chunks disagree on event time or parameters; run without chunk_size")
    panel = _concat([p.panel for p in parts], EventPanel)
    ab = _concat(parts, AbnormalReturns)
    ab = dataclasses.replace(ab, panel=panel)
    rank = {str(e): i for i, e in enumerate(event_order)}
    perm = np.argsort([rank[str(e)] for e in panel.event_ids], kind="stable")
    return _take_events(ab, perm)


def _take_events(ab: AbnormalReturns, rows: np.ndarray) -> AbnormalReturns:
    def take(obj: Any, cls: type) -> dict[str, Any]:
        out = {}
        for f in dataclasses.fields(cls):
            v = getattr(obj, f.name)
            keep = f.name in _SHARED or not isinstance(v, np.ndarray) or v.ndim == 0 or v.shape[0] != len(rows)
            out[f.name] = v if keep else v[rows]
        return out

    panel = EventPanel(**take(ab.panel, EventPanel))
    return AbnormalReturns(**{**take(ab, AbnormalReturns), "panel": panel})


def fit_in_chunks(
    anchored: pd.DataFrame, prices: Mapping[str, pd.Series], windows: WindowSpec, design: Any,
    factors: pd.DataFrame | None, chunk_size: int,
    mapper: Callable[[Callable[[ChunkTask], ChunkResult], Iterable[ChunkTask]], Iterable[ChunkResult]] = map,
) -> tuple[AbnormalReturns, pd.DataFrame]:
    """Fit the study chunk by chunk (``mapper`` runs the tasks: ``map`` here, a Dask client elsewhere).

    Returns the merged abnormal returns (events in the order of ``anchored``) and the panel log
    (rows in the same order).

    Raises
    ------
    NoValidEventsError
        If no event of any chunk could be studied (with the merged panel log).
    """
    tasks = chunk_tasks(anchored, prices, windows, design, factors, chunk_size)
    results = sorted(mapper(fit_chunk, tasks), key=lambda r: r.index)
    tables = [r.panel_table for r in results if len(r.panel_table)]
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    if len(table) and "event_id" in table.columns:
        rank = {str(e): i for i, e in enumerate(anchored["event_id"])}
        table = table.iloc[np.argsort([rank.get(str(e), len(rank)) for e in table["event_id"]], kind="stable")]
        table = table.reset_index(drop=True)
    parts = [r.abnormal for r in results if r.abnormal is not None]
    if not parts:
        raise NoValidEventsError("no event left after building the panels of all chunks", table)
    return merge_abnormal(parts, list(anchored["event_id"])), table


@dataclass(frozen=True)
class ChunkRun:
    """How a study runs: in one pass (the default), in chunks here, or in chunks on a Dask cluster.

    Popped from the keywords of :func:`research_lib.study.event_study` by :meth:`pop`:
    ``chunk_size`` (events per chunk), ``scheduler`` (a Dask scheduler address such as
    ``"tcp://10.0.0.5:8786"``), ``client`` (a ``dask.distributed.Client``) and ``workers``
    (start a local cluster of that many worker processes).  These say how to compute, not what:
    the results are the same floats whichever is used.
    """

    chunk_size: int | None = None
    scheduler: str | None = None
    client: Any = None
    workers: int | None = None

    #: Events per chunk when a cluster is asked for without a chunk size.
    DEFAULT_DISTRIBUTED_CHUNK = 5000

    @classmethod
    def pop(cls, options: dict[str, Any]) -> ChunkRun:
        run = cls(check_chunk_size(options.pop("chunk_size", None)), options.pop("scheduler", None),
                  options.pop("client", None), options.pop("workers", None))
        if run.workers is not None and (isinstance(run.workers, bool) or not isinstance(run.workers, int) or run.workers < 1):
            raise InvalidRequestError(f"workers must be a positive number of processes, not {run.workers!r}; e.g. workers=2")
        return run

    def as_options(self) -> dict[str, Any]:
        """The keywords that give this run back (those that are set)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}

    @property
    def distributed(self) -> bool:
        return self.scheduler is not None or self.client is not None or self.workers is not None

    @property
    def active(self) -> bool:
        return self.chunk_size is not None or self.distributed

    def fit(
        self, anchored: pd.DataFrame, prices: Mapping[str, pd.Series], windows: WindowSpec, design: Any,
        factors: pd.DataFrame | None,
    ) -> tuple[AbnormalReturns, pd.DataFrame]:
        """:func:`fit_in_chunks` here, or with the tasks on Dask (:mod:`research_lib.engine.distributed`)."""
        size = self.chunk_size or (self.DEFAULT_DISTRIBUTED_CHUNK if self.distributed else len(anchored))
        if not self.distributed:
            return fit_in_chunks(anchored, prices, windows, design, factors, size)
        from research_lib.engine.distributed import dask_mapper

        with dask_mapper(self.scheduler, self.client, self.workers) as mapper:
            return fit_in_chunks(anchored, prices, windows, design, factors, size, mapper)

    def stream(
        self, anchored: pd.DataFrame, prices: Mapping[str, pd.Series], windows: WindowSpec, design: Any,
        factors: pd.DataFrame | None, reader: PriceReader | WorkerPrices | None = None,
    ) -> tuple[Any, pd.DataFrame]:
        """The study with memory set by the chunk size (:func:`research_lib.engine.streaming.stream_study`),
        here or with both passes' tasks on Dask; returns the merged study and the panel log.

        ``reader`` (prices from the snapshot or cache): on Dask the workers read their chunks'
        prices themselves; in this process the loaded ``prices`` are used.  A :class:`WorkerPrices`
        (no prices loaded here) has the workers load them first, as tasks.
        """
        from research_lib.engine.streaming import stream_study

        size = self.chunk_size or (self.DEFAULT_DISTRIBUTED_CHUNK if self.distributed else len(anchored))
        if not self.distributed:
            return stream_study(anchored, prices, windows, design, factors, size)
        from research_lib.engine.distributed import dask_mapper

        with dask_mapper(self.scheduler, self.client, self.workers) as mapper:
            if isinstance(reader, WorkerPrices):  # the workers load the prices; the driver learns what failed
                reader, anchored = reader.load(mapper, anchored)
                if not len(anchored):
                    raise NoValidEventsError("no event left after anchoring and loading prices")
            return stream_study(anchored, prices, windows, design, factors, size, mapper, reader)
