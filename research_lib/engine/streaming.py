"""A chunked study with memory set by the chunk size: per-chunk reductions, a spill, two passes, a merge.

The events are cut into chunks sorted by day 0 (:func:`research_lib.engine.chunks.chunk_tasks`).
Nothing of size N x L1 (the estimation window) is ever held for all events at once:

**Pass 1** (:func:`fit_chunk_partials`, one task per chunk, runs anywhere): build the chunk's
panel, fit the model, and reduce the fit to

* the chunk's *compact* abnormal returns (:func:`compact`: the event-window arrays, ``sigma2``,
  ``n_est``, coefficients and the design rows ``ab.car`` needs; estimation-window arrays of
  width 0), its BHARs and each event's fraction of positive residuals -- all per event, small;
* its :class:`~research_lib.inference.partials.EstimationSums` (sums over the chunk's events per
  event-time day: the AAR series of the crude-dependence and Lamb tests, the rank scores);
* a *spill* of its estimation residuals, estimation and event-window dates and ``sigma2`` to
  ``.npy`` files in a folder (``RESEARCH_LIB_SPILL_DIR`` or the system temporary folder; on a
  cluster of several machines it must be a folder every worker can read), removed at the end.

**Merge** (driver): the compact arrays are put in the order of the one-pass run and the sums
added; :class:`~research_lib.inference.partials.PartialBattery` gives every window's and every
event day's SCAR* thresholds (they need SD(SCAR) over all events, hence a second pass).

**Pass 2** (:func:`second_pass`, one task per chunk): read the chunk's spill back and make

* the generalised-rank sums for every window and day (:func:`~research_lib.inference.partials.grank_sums`);
  re-reading the spilled residuals is exact and costs one read (a refit would rebuild the panel);
* the Kolari-Pynnönen sums over pairs of rho_ij o_ij for every window and day: the pairs of
  the chunk's own events, and the pairs of its events with the *partners* -- events of earlier
  chunks whose event window meets the chunk's calendar span (their rows are read from the
  earlier chunks' spills).  Each pair is counted once (own pairs in order, partners only from
  earlier chunks).  rho_ij is the exact correlation of the two events' standardised residuals
  (:func:`research_lib.inference.correlation.prepare_residuals`) on their common dates, from the
  five masked sums of the module notes of :mod:`research_lib.inference.correlation`, taken as
  one matrix product per block of events here (:func:`kp_sums`).

**Memory bound.**  Per task: the chunk's panel and fit (proportional to the chunk size) plus,
in pass 2, the partners' residuals and the pair blocks -- proportional to the number of events
whose event windows share calendar time with the chunk.  That is bounded for events spread
over time, but not for a cluster: if N events fall on one date every event is a partner of
every other and pass 2 holds all of them (the result is still exact).  On the driver: per
event about 8 bytes x (6 L2 + (q + p) L2 + a few) for the compact arrays (symbols and benchmarks
one object per value), the events table, the attrition log (texts shared) and the per-window
results -- no N x L1 array.  Freed heap is returned to the system after each task and after the
merge (:func:`release_freed_memory`), so resident memory follows the live arrays.
"""

from __future__ import annotations

import ctypes
import functools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from research_lib.conventions import get_conventions
from research_lib.engine.chunks import _SHARED, ChunkTask, PriceReader, chunk_tasks
from research_lib.engine.panel import AbnormalReturns, EventPanel
from research_lib.engine.windows import WindowSpec, build_panel
from research_lib.errors import InvalidRequestError, NoValidEventsError

__all__ = ["ChunkPartials", "KPRows", "SecondTask", "StreamedStudy", "compact", "fit_chunk_partials", "kp_sums",
           "second_pass", "stream_study"]

Mapper = Callable[[Callable[[Any], Any], Iterable[Any]], Iterable[Any]]
_SPILL = ("est", "est_dates", "evt_dates", "sigma2")


def compact(ab: AbnormalReturns) -> AbnormalReturns:
    """``ab`` without its estimation-window arrays and the event-window ``y_evt``/``offset_evt`` (width 0).

    What stays is what the result tables, ``car``, BHAR-free analyses and ``calendar_time`` read:
    ARs and their variances, dates, raw returns ``r_evt``, regressors ``x_evt``, the design rows.
    """
    p = ab.panel
    n = p.n_events
    panel = replace(p, est_dates=p.est_dates[:, :0].copy(), y_est=np.empty((n, 0)), x_est=p.x_est[:, :0].copy(),
                    y_evt=np.empty((n, 0)), offset_evt=np.empty((n, 0)),
                    symbols=_one_object_per_value(p.symbols), benchmarks=_one_object_per_value(p.benchmarks))
    return replace(ab, panel=panel, est_resid=np.empty((n, 0)))


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl): nothing to do
        return None


def release_freed_memory() -> None:
    """Return the heap pages freed so far to the operating system (glibc's ``malloc_trim``; elsewhere a no-op).

    A chunk frees hundreds of MB of temporaries of a few MB each; glibc keeps such blocks in its
    heap once its mmap threshold has risen, so without this the resident memory of a long run
    holds every chunk's freed working set as well as the live results (dask.distributed trims
    its workers the same way).  Nothing live is touched.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _trimmed(results: Iterable[Any]) -> list[Any]:
    """The tasks' results as a list, freed memory returned after each (``map`` runs a task per item)."""
    out = []
    for r in results:
        out.append(r)
        release_freed_memory()
    return out


def _one_object_per_value(values: np.ndarray) -> np.ndarray:
    """An object array with equal values as one object (the same values: symbols repeat across events,
    and one text object per event costs about 60 bytes each that a million-event study keeps)."""
    if values.dtype != object or values.size == 0 or pd.isna(values).any():  # factorize would turn None into nan
        return values
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return np.asarray(uniques, dtype=object)[codes]


def _day_numbers(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer day numbers of datetime64 values and where they are valid (not NaT)."""
    dd = np.asarray(d).astype("datetime64[D]")
    ok = ~np.isnat(dd)
    return np.where(ok, dd.astype(np.int64), 0), ok


def _window_span(evt_dates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n,) first and last valid event-window day number of each event (max/min int where none)."""
    day, ok = _day_numbers(evt_dates)
    big = np.iinfo(np.int64).max
    return np.where(ok, day, big).min(axis=1), np.where(ok, day, -big).max(axis=1)


@dataclass(frozen=True)
class ChunkPartials:
    """Pass 1 of one chunk: compact per-event arrays, mergeable sums, where its spill is.

    ``abnormal`` is None (and the rest empty) when no event of the chunk could be studied.
    """

    index: int
    panel_table: pd.DataFrame
    abnormal: AbnormalReturns | None
    bhar: dict[str, np.ndarray]
    frac: np.ndarray
    sums: Any  # research_lib.inference.partials.EstimationSums
    first: np.ndarray
    last: np.ndarray
    spill: str
    l1: int


def _chunk_bhar(ab: AbnormalReturns, design: Any) -> dict[str, np.ndarray]:
    """The chunk's BHARs per CAR window ("a,b") and over the whole event window ("")."""
    from research_lib.study import _bhar, bhar_note  # the study module owns the BHAR definition

    if bhar_note(design, ab.panel.x_names):
        return {}
    out = {f"{a},{b}": _bhar(ab, design, a, b) for a, b in design.windows}
    tau = ab.panel.tau_evt
    out[""] = _bhar(ab, design, int(tau[0]), int(tau[-1]))
    return out


def fit_chunk_partials(task: ChunkTask, spill_root: str) -> ChunkPartials:
    """Pass 1 of a chunk: panel, fit, per-event arrays, sums, spill (a pure function of the task plus a folder)."""
    from research_lib.inference._arrays import finite
    from research_lib.inference.partials import EstimationSums, positive_fractions
    from research_lib.models.fit import fit_model

    d = task.design
    empty = np.empty(0)
    try:
        panel, table = build_panel(
            task.events, task.chunk_prices(), task.windows, model=d.model, factors=task.factors, returns=d.returns,
            after_gap=d.after_gap, exclude_dates=d.exclude_dates, on_suspect=d.on_suspect,
        )
    except NoValidEventsError as err:
        table = err.attrition if err.attrition is not None else pd.DataFrame()
        return ChunkPartials(task.index, table, None, {}, empty, None, empty, empty, "", 0)
    ab = fit_model(panel, d.model, get_conventions(d.conventions))
    est = finite(ab.est_resid)
    folder = Path(spill_root) / f"chunk_{task.index:06d}"
    folder.mkdir(parents=True, exist_ok=True)
    for name, arr in zip(_SPILL, (est, panel.est_dates, panel.evt_dates, np.asarray(ab.sigma2, dtype=float)), strict=True):
        np.save(folder / f"{name}.npy", arr)
    first, last = _window_span(panel.evt_dates)
    return ChunkPartials(task.index, table, compact(ab), _chunk_bhar(ab, d), positive_fractions(est),
                         EstimationSums.of(est, finite(ab.ar)), first, last, str(folder), int(est.shape[1]))


# ---------------------------------------------------------------------- Kolari-Pynnönen pairs
@dataclass(frozen=True)
class KPRows:
    """Events ready for the pair sums: standardised residuals on their dates, event-window dates."""

    z: np.ndarray
    valid: np.ndarray
    days: np.ndarray
    usable: np.ndarray
    evt_day: np.ndarray
    evt_ok: np.ndarray
    first: np.ndarray
    last: np.ndarray

    @classmethod
    def of(cls, est: np.ndarray, est_dates: np.ndarray, evt_dates: np.ndarray, min_overlap: int) -> KPRows:
        from research_lib.inference.correlation import prepare_residuals

        prep = prepare_residuals(est, est_dates, min_overlap)
        day, ok = _day_numbers(evt_dates)
        first, last = _window_span(evt_dates)
        return cls(prep.z, prep.valid, prep.days, prep.usable & ok.any(axis=1), day, ok, first, last)

    def take(self, rows: np.ndarray) -> KPRows:
        return KPRows(*(getattr(self, f)[rows] for f in self.__dataclass_fields__))

    @staticmethod
    def concat(parts: Sequence[KPRows]) -> KPRows:
        return KPRows(*(np.concatenate([getattr(p, f) for p in parts]) for f in KPRows.__dataclass_fields__))


def _grid(days: np.ndarray, ok: np.ndarray, values: np.ndarray | None, pos_of: np.ndarray, base: int, size: int) -> np.ndarray:
    """(dates x events) grid of ``values`` (or 1) at each event's valid dates, 0 elsewhere."""
    out = np.zeros((size, days.shape[0]))
    r, c = np.nonzero(ok)
    out[pos_of[days[r, c] - base], r] = 1.0 if values is None else values[r, c]
    return out


def _positions(*sets: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, int, int]:
    """Position of every day on the sorted union of the valid days of ``sets`` (a presence table, no sort)."""
    vals = np.concatenate([d[o] for d, o in sets])
    base = int(vals.min())
    present = np.zeros(int(vals.max()) - base + 1, dtype=bool)
    present[vals - base] = True
    pos = np.cumsum(present) - 1
    return pos, base, int(present.sum())


def _runs(days: np.ndarray, ok: np.ndarray, pos_of: np.ndarray, base: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """First and last grid position of each event's valid days, and whether every event's days are one run."""
    p = np.where(ok, pos_of[np.where(ok, days - base, 0)], -1)
    big = np.iinfo(np.int64).max
    lo, hi = np.where(ok, p, big).min(axis=1), p.max(axis=1)
    return lo, hi, bool(np.all(ok.sum(axis=1) == hi - lo + 1))


def _run_sums(grid: np.ndarray, lo: np.ndarray, hi: np.ndarray, col: np.ndarray) -> np.ndarray:
    """Sums of ``grid`` column ``col[k]`` over rows lo[k] .. hi[k] (0 where the run is empty), for listed pairs.

    A difference of running sums (exact up to rounding, as in :mod:`research_lib.inference.correlation`).
    """
    run = np.concatenate([np.zeros((1, grid.shape[1])), np.cumsum(grid, axis=0)])
    empty = hi < lo
    return np.where(empty, 0.0, run[np.where(empty, 0, hi + 1), col] - run[np.where(empty, 0, lo), col])


def _rho(a: KPRows, c: KPRows, ii: np.ndarray, jj: np.ndarray, min_overlap: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact correlations on common dates of the pairs (a[ii], c[jj]), and whether each has one.

    The five sums n, S_x, S_xx, S_y, S_yy and the cross sum S_xy of
    :mod:`research_lib.inference.correlation`; S_xy is one matrix product of the block.  When
    every event's valid dates are one run of the block's dates (no holes), n and the four single
    sums come from running sums over the pair's common run; otherwise they are masked products.
    (Written here because the pair blocks of two chunks are not one sample of that module.)
    """
    pos, base, size = _positions((a.days, a.valid), (c.days, c.valid))
    za, zc = _grid(a.days, a.valid, a.z, pos, base, size), _grid(c.days, c.valid, c.z, pos, base, size)
    sxy = (za.T @ zc)[ii, jj]
    a_lo, a_hi, a_run = _runs(a.days, a.valid, pos, base)
    c_lo, c_hi, c_run = _runs(c.days, c.valid, pos, base)
    if a_run and c_run:
        lo, hi = np.maximum(a_lo[ii], c_lo[jj]), np.minimum(a_hi[ii], c_hi[jj])
        cnt = np.maximum(hi - lo + 1, 0).astype(float)
        sx, sxx = _run_sums(za, lo, hi, ii), _run_sums(za * za, lo, hi, ii)
        sy, syy = _run_sums(zc, lo, hi, jj), _run_sums(zc * zc, lo, hi, jj)
    else:
        ma, mc = _grid(a.days, a.valid, None, pos, base, size), _grid(c.days, c.valid, None, pos, base, size)
        na, nc = ma.shape[1], mc.shape[1]
        left = np.hstack([ma, za, za * za]).T @ mc
        cnt, sx, sxx = left[:na][ii, jj], left[na:2 * na][ii, jj], left[2 * na:][ii, jj]
        right = ma.T @ np.hstack([zc, zc * zc])
        sy, syy = right[:, :nc][ii, jj], right[:, nc:][ii, jj]
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy - sx * sy / cnt
        vx = sxx - sx * sx / cnt
        vy = syy - sy * sy / cnt
        rho = cov / np.sqrt(vx * vy)
    good = (cnt >= min_overlap) & (vx > 0) & (vy > 0) & np.isfinite(rho)
    return np.where(good, rho, 0.0), good


def _overlaps(a: KPRows, c: KPRows, cols: np.ndarray) -> np.ndarray:
    """(na, nc) o_ij: calendar dates the two events' windows (event-window columns ``cols``) share."""
    ad, ao, cd, co = a.evt_day[:, cols], a.evt_ok[:, cols], c.evt_day[:, cols], c.evt_ok[:, cols]
    if ad.shape[1] == 1:  # one day: the two dates are equal or not
        return ((ad[:, :1] == cd[:, 0][None, :]) & ao[:, :1] & co[:, 0][None, :]).astype(float)
    if not (ao.any() and co.any()):
        return np.zeros((ad.shape[0], cd.shape[0]))
    pos, base, size = _positions((ad, ao), (cd, co))
    a_lo, a_hi, a_run = _runs(ad, ao, pos, base)
    c_lo, c_hi, c_run = _runs(cd, co, pos, base)
    if a_run and c_run:  # each window a run of the windows' dates: the overlap of two intervals
        o = np.minimum(a_hi[:, None], c_hi[None, :]) - np.maximum(a_lo[:, None], c_lo[None, :]) + 1
        return np.maximum(o, 0).astype(float)
    return _grid(ad, ao, None, pos, base, size).T @ _grid(cd, co, None, pos, base, size)


def _window_starts(rows: KPRows, pos: np.ndarray, base: int) -> tuple[np.ndarray, np.ndarray]:
    """Each event's first position on the union of window dates, and whether its window is that run
    with every day present (then two events' windows differ only by the offset of their starts)."""
    lo, hi, _ = _runs(rows.evt_day, rows.evt_ok, pos, base)
    return lo, rows.evt_ok.all(axis=1) & (hi - lo + 1 == rows.evt_ok.shape[1])


def kp_sums(own: KPRows, partners: KPRows, key_cols: Sequence[np.ndarray], min_overlap: int,
            block: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Sum of rho_ij o_ij (and the contributing pairs) per key: pairs within ``own`` and own x ``partners``.

    Events are taken in blocks (``block`` events; by default about twice the number of later
    events an event meets) sorted by the first date of their event window; a block meets only
    the later own events whose window starts before the block's last window date ends and the
    partners whose window meets the block's span (every other pair has o_ij = 0), and only the
    pairs whose event windows meet are computed.  When
    every window of a block is a full run of the windows' dates, o_ij of a window of L days is
    max(0, L - |d_ij|) with d_ij the offset of the two windows' starts, so the pairs' rho_ij are
    summed once by offset and each key takes a weighted sum of those 2 L2 - 1 numbers.
    """
    n_k, l2 = len(key_cols), own.evt_day.shape[1]
    total, pairs = np.zeros(n_k), np.zeros(n_k, dtype=np.int64)
    lengths = np.array([int(c.sum()) for c in key_cols])
    runs = all(np.ptp(np.flatnonzero(c)) + 1 == c.sum() for c in key_cols if c.any())
    o_idx = np.flatnonzero(own.usable)
    if o_idx.size == 0:
        return total, pairs
    o_idx = o_idx[np.argsort(own.first[o_idx], kind="stable")]
    o_first = own.first[o_idx]
    p_idx = np.flatnonzero(partners.usable)
    pos, base, _ = _positions((own.evt_day, own.evt_ok), (partners.evt_day, partners.evt_ok))
    (own_lo, own_full), (mate_lo, mate_full) = _window_starts(own, pos, base), _window_starts(partners, pos, base)
    weight = np.maximum(lengths[:, None] - np.arange(l2 + 1)[None, :], 0)  # o of each key at offset d
    if block is None:  # about the number of later partners: wider blocks compare pairs whose windows never meet
        reach = np.searchsorted(o_first, own.last[o_idx], side="right") - np.arange(o_idx.size) - 1
        block = int(np.clip(2 * np.percentile(reach, 90) + 32, 32, 512))
    for a in range(0, o_idx.size, block):
        rows = o_idx[a:a + block]
        lo, hi = int(own.first[rows].min()), int(own.last[rows].max())
        later = o_idx[a:int(np.searchsorted(o_first, hi, side="right"))]
        mates = p_idx[(partners.first[p_idx] <= hi) & (partners.last[p_idx] >= lo)]
        if later.size + mates.size <= 1:
            continue
        first = np.concatenate([own.first[later], partners.first[mates]])
        last = np.concatenate([own.last[later], partners.last[mates]])
        meet = (first[None, :] <= own.last[rows][:, None]) & (last[None, :] >= own.first[rows][:, None])
        meet[:, :later.size] &= np.arange(later.size)[None, :] > np.arange(rows.size)[:, None]  # own pairs once
        ii, jj = np.nonzero(meet)
        if ii.size == 0:
            continue
        blk = own.take(rows)
        cand = KPRows.concat([own.take(later), partners.take(mates)])
        rho, good = _rho(blk, cand, ii, jj, min_overlap)
        if not good.any():
            continue
        if runs and own_full[later].all() and mate_full[mates].all():
            starts = np.concatenate([own_lo[later], mate_lo[mates]])
            d = np.minimum(np.abs(starts[jj] - own_lo[rows][ii]), l2)
            by_d = np.bincount(d, weights=rho, minlength=l2 + 1)  # rho is 0 where not good
            n_d = np.bincount(d, weights=good & (rho != 0), minlength=l2 + 1)
            total += weight @ by_d
            pairs += ((weight > 0) @ n_d).astype(np.int64)
            continue
        for k, cols in enumerate(key_cols):
            o = _overlaps(blk, cand, cols)[ii, jj]
            hit = good & (o > 0)
            total[k] += float(np.sum(rho[hit] * o[hit]))
            pairs[k] += int(np.count_nonzero(hit & (rho != 0)))
    return total, pairs


# ---------------------------------------------------------------------- pass 2
@dataclass(frozen=True)
class SecondTask:
    """Pass 2 of one chunk: its spill, its events' SCAR* thresholds per key, its partners' spills and rows."""

    index: int
    spill: str
    x: np.ndarray
    key_cols: tuple[np.ndarray, ...]
    partners: tuple[tuple[str, np.ndarray], ...]
    min_overlap: int


def _load(folder: str, rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
    out = {}
    for name in _SPILL:
        arr = np.load(Path(folder) / f"{name}.npy", mmap_mode="r")
        out[name] = np.asarray(arr if rows is None else arr[rows])
    return out


def second_pass(task: SecondTask) -> Any:
    """Generalised-rank and Kolari-Pynnönen sums of one chunk (reads its spill and its partners' rows)."""
    from research_lib.inference.partials import SecondPassSums, grank_sums

    own = _load(task.spill)
    u_sum, n_t, u_evt = grank_sums(own["est"], own["sigma2"], task.x)
    kp_own = KPRows.of(own["est"], own["est_dates"], own["evt_dates"], task.min_overlap)
    del own
    mates = [_load(folder, rows) for folder, rows in task.partners if rows.size]
    if mates:
        kp_mates = KPRows.concat([KPRows.of(m["est"], m["est_dates"], m["evt_dates"], task.min_overlap) for m in mates])
    else:
        kp_mates = kp_own.take(np.empty(0, dtype=np.int64))
    total, pairs = kp_sums(kp_own, kp_mates, task.key_cols, task.min_overlap)
    return SecondPassSums(u_sum, n_t, u_evt, total, pairs)


# ---------------------------------------------------------------------- driver
@dataclass(frozen=True)
class StreamedStudy:
    """A chunked study merged: compact abnormal returns, its battery, the BHARs (keys "a,b" and "")."""

    abnormal: AbnormalReturns
    battery: Any  # research_lib.inference.partials.PartialBattery
    bhar: dict[str, np.ndarray]


def _panel_log(results: Sequence[ChunkPartials], anchored: pd.DataFrame) -> pd.DataFrame:
    tables = [r.panel_table for r in results if len(r.panel_table)]
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    if len(table) and "event_id" in table.columns:
        at = _order_of(anchored["event_id"], table["event_id"])
        table = table.iloc[np.argsort(np.where(at < 0, len(anchored), at), kind="stable")].reset_index(drop=True)
    return table


def _order_of(order: Any, ids: Any) -> np.ndarray:
    """Position of each of ``ids`` in ``order`` (ids compared as text; -1 where absent), without a per-event loop.

    With repeated ids in ``order`` the last position counts (as a dict from id to position would give).
    """
    keys = _texts(order)
    if not keys.is_unique:
        keys = keys[::-1]
        first = ~keys.duplicated()
        pos = (len(keys) - 1 - np.arange(len(keys)))[first]
        found = keys[first].get_indexer(_texts(ids))
        return np.where(found < 0, -1, pos[found])
    return keys.get_indexer(_texts(ids))


def _texts(values: Any) -> pd.Index:
    """``values`` as an index of texts (``str`` of each, converted at once)."""
    return pd.Index(pd.Series(np.asarray(values, dtype=object)).astype(str))


def _partners(parts: Sequence[ChunkPartials]) -> list[tuple[tuple[str, np.ndarray], ...]]:
    """For each chunk, the rows of earlier chunks whose event window meets the chunk's calendar span."""
    out = []
    for c, part in enumerate(parts):
        lo, hi = part.first.min(), part.last.max()
        mates = []
        for prev in parts[:c]:
            rows = np.flatnonzero((prev.first <= hi) & (prev.last >= lo))
            if rows.size:
                mates.append((prev.spill, rows))
        out.append(tuple(mates))
    return out


def _placed(items: Sequence[np.ndarray], where: np.ndarray, offs: np.ndarray) -> np.ndarray:
    """The chunks' rows of one per-event array put at their merged positions (one output array, no concatenation)."""
    out = np.empty((int(offs[-1]),) + items[0].shape[1:], dtype=np.result_type(*items))
    for c, arr in enumerate(items):
        out[where[offs[c]:offs[c + 1]]] = arr
    return out


def _merged(objs: list[dict[str, Any]], cls: type, where: np.ndarray, offs: np.ndarray) -> dict[str, Any]:
    """The fields of ``cls`` from the chunks' field dicts, per-event arrays placed in merged order.

    Each field is taken out of the chunks' dicts as it is placed, so that the chunks' copy of
    the per-event arrays is released field by field (peak: the merged arrays plus one field).
    """
    values = {}
    for f in fields(cls):
        if f.name not in objs[0]:
            continue
        items = [o.pop(f.name) for o in objs]
        per_event = f.name not in _SHARED and isinstance(items[0], np.ndarray) and items[0].ndim > 0
        values[f.name] = _placed(items, where, offs) if per_event else items[0]
        del items
    return values


def _merge_first(abs_: list[AbnormalReturns], event_order: Any
                 ) -> tuple[AbnormalReturns, np.ndarray, np.ndarray]:
    """The chunks' compact abnormal returns as one, events in one-pass order; ``abs_`` is emptied.

    Also returns ``where`` (merged position of each event, chunks concatenated) and the chunk offsets.
    """
    tau, names = abs_[0].panel.tau_est, abs_[0].param_names
    if not all(np.array_equal(a.panel.tau_est, tau) and a.param_names == names for a in abs_):
        raise InvalidRequestError("chunks disagree on event time or parameters; run without chunk_size")
    at = _order_of(event_order, np.concatenate([a.panel.event_ids for a in abs_]))
    if np.any(at < 0):
        raise InvalidRequestError("a chunk returned an event that is not among the study's events; run without chunk_size")
    perm = np.argsort(at, kind="stable")
    where = np.empty_like(perm)
    where[perm] = np.arange(perm.size)  # merged position of each event, chunks concatenated
    offs = np.cumsum([0] + [a.ar.shape[0] for a in abs_])
    panels = [{f.name: getattr(a.panel, f.name) for f in fields(EventPanel)} for a in abs_]
    rest = [{f.name: getattr(a, f.name) for f in fields(AbnormalReturns) if f.name != "panel"} for a in abs_]
    abs_.clear()  # from here the chunks' arrays live only in the dicts, which _merged empties
    panel = EventPanel(**_merged(panels, EventPanel, where, offs))
    return AbnormalReturns(panel=panel, **_merged(rest, AbnormalReturns, where, offs)), where, offs


def stream_study(
    anchored: pd.DataFrame, prices: Mapping[str, pd.Series], windows: WindowSpec, design: Any,
    factors: pd.DataFrame | None, chunk_size: int, mapper: Mapper = map, reader: PriceReader | None = None,
) -> tuple[StreamedStudy, pd.DataFrame]:
    """Run a study in chunks with bounded memory (module notes); ``mapper`` runs the tasks (``map`` or Dask).

    With a ``reader`` each pass-1 task reads its own prices (from the snapshot or cache) where it runs.

    Returns the merged study (events in the order of ``anchored``) and the panel log.

    Raises
    ------
    NoValidEventsError
        If no event of any chunk could be studied (with the merged panel log).
    """
    from research_lib.inference.battery import MIN_OVERLAP
    from research_lib.inference.partials import EstimationSums, PartialBattery

    root = tempfile.mkdtemp(prefix="research_lib_chunks_", dir=os.environ.get("RESEARCH_LIB_SPILL_DIR") or None)
    try:
        tasks = chunk_tasks(anchored, prices, windows, design, factors, chunk_size, reader)
        results = sorted(_trimmed(mapper(functools.partial(fit_chunk_partials, spill_root=root), tasks)),
                         key=lambda r: r.index)
        table = _panel_log(results, anchored)
        parts = [r for r in results if r.abnormal is not None]
        if not parts:
            raise NoValidEventsError("no event left after building the panels of all chunks", table)
        plan = [(p.index, p.spill, mates) for p, mates in zip(parts, _partners(parts), strict=True)]
        sums, l1 = EstimationSums.merge([p.sums for p in parts]), parts[0].l1
        fracs, bhars = [p.frac for p in parts], [p.bhar for p in parts]
        abs_ = [p.abnormal for p in parts if p.abnormal is not None]
        del results, parts  # the chunks' per-event arrays are now referenced by abs_ only
        ab, where, offs = _merge_first(abs_, anchored["event_id"])
        frac = _placed(fracs, where, offs)
        bhar = {k: _placed([b[k] for b in bhars], where, offs) for k in bhars[0]}
        del fracs, bhars
        release_freed_memory()  # the chunks' copies of the per-event arrays, freed by the merge
        battery = PartialBattery(ab, sums, frac, l1, design.windows)
        x = battery.thresholds()
        key_cols = tuple(ab.window_index(a, b) for a, b in battery.keys)
        second = (SecondTask(index, spill, x[where[offs[c]:offs[c + 1]]], key_cols, mates, MIN_OVERLAP)
                  for c, (index, spill, mates) in enumerate(plan))
        second_sums = _trimmed(mapper(second_pass, second))
        battery.finish(_merge_second(second_sums, where, offs))
        return StreamedStudy(ab, battery, bhar), table
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _merge_second(sums: Sequence[Any], where: np.ndarray, offs: np.ndarray) -> Any:
    from research_lib.inference.partials import SecondPassSums

    u_evt = np.zeros((where.size, sums[0].u_evt.shape[1]))
    for c, s in enumerate(sums):
        u_evt[where[offs[c]:offs[c + 1]]] = s.u_evt
    return SecondPassSums(np.sum([s.u_sum for s in sums], axis=0), np.sum([s.n_t for s in sums], axis=0), u_evt,
                          np.sum([s.kp_total for s in sums], axis=0), np.sum([s.kp_pairs for s in sums], axis=0))
