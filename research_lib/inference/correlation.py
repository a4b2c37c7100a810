"""Kolari-Pynnönen mean cross-correlation of abnormal returns for the CAR window being tested.

Derivation
----------
Let SCAR_i = CAR_i / sd(CAR_i) over a window of L days and let the daily
abnormal returns of two events i and j have correlation rho_ij on a common
calendar date and be uncorrelated across dates.  CAR_i and CAR_j share the
o_ij calendar dates on which both windows lie, so, with equal daily
variances within each event,

    Corr(SCAR_i, SCAR_j) = o_ij rho_ij sigma_i sigma_j / (L sigma_i sigma_j) = rho_ij o_ij / L.

Kolari and Pynnönen's adjustment 1 + (N - 1) r is N^-1 Var(sum_i SCAR_i)
under unit variances, which needs the mean of Corr(SCAR_i, SCAR_j) over all
N(N-1)/2 pairs:

    r = (2 / (N (N - 1))) sum_{i<j} rho_ij o_ij / L.

With every event on one date, o_ij = L for every pair and r is Kolari and
Pynnönen's mean correlation of the residuals.  Staggered events whose CAR
windows do not meet have o_ij = 0 and add zero (their abnormal returns are
not correlated through common shocks), but still count in the number of pairs.

rho_ij is estimated by the sample (Pearson) correlation of the two events'
estimation residuals over their common calendar dates C_ij, computed
exactly from sums over the common dates only (not from each series' own
mean and SD): with n = |C_ij|,

    S_x = sum_C e_i,  S_y = sum_C e_j,  S_xx = sum_C e_i^2,  S_yy = sum_C e_j^2,  S_xy = sum_C e_i e_j,
    rho_ij = (S_xy - S_x S_y / n) / sqrt((S_xx - S_x^2 / n) (S_yy - S_y^2 / n)).

Put the residuals on a (dates x events) grid E (0 where missing), the
validity mask M (1 where present) and E2 = E * E.  Then for every pair at
once n = M'M, S_x = E'M, S_y = M'E, S_xx = E2'M, S_yy = M'E2 and
S_xy = E'E.  Only S_xy needs a matrix product: event j's valid dates are
the run of grid rows from its first to its last valid date minus its holes
H_j (rows of the run where it has no residual), so
sum_{C_ij} x_i = sum_{run_j} x_i - sum_{H_j} x_i, the first term a difference
of two running sums down the grid (O(1) per pair), the second a sparse
product over the holes (none with complete data).  The five sums are the
same numbers as the masked products, added in another order.  o_ij is the
product W'W of the CAR windows' date indicators.  A pair with fewer than
``min_overlap`` (30) common estimation dates, or a constant series on them,
gets rho_ij = 0.  (Each series is first centred and scaled on its own dates,
which changes no correlation but keeps the sums, and the differences of
running sums, well conditioned.)

Cost: events are sorted by the first date of their CAR window and taken in
blocks; a block is multiplied only with the later events whose window
starts before the block's last window ends (every other pair has o_ij = 0),
over the date rows those events span.  Each block places its partner
columns on a local grid once, from a slice of one list of cells made per
sample (a whole (dates x events) grid would need memory proportional to
dates times events; the holes come from the gaps between each event's
cells, the running sums are taken column-major and run-shaped CAR windows
overlap by interval arithmetic), and runs its one product in float64: float32 products differ from float64 by about 1e-7 relative, far
above the 1e-10 the battery's statistics are held to.  When every event of a
sample has the same estimation dates (complete) and the same window, r is
the mean off-diagonal entry of the residual correlation matrix, computed for
all such samples at once from ||sum_i z_i||^2.  When few pairs have CAR
windows that meet (a simulation's samples of events at random dates), the
same five sums are gathered pair by pair for all samples in one pass
(one ``searchsorted`` over keyed dates) instead of multiplying mostly empty
blocks; both routes are tested against a plain per-pair loop.

References
----------
Kolari, J. W. and Pynnönen, S. (2010). Event study testing with cross-sectional
correlation of abnormal returns. Review of Financial Studies 23(11), 3996-4025.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from research_lib.errors import InvalidRequestError
from research_lib.inference._threads import single_blas

#: minimum number of common estimation dates for a pair to get a correlation (else rho_ij = 0)
MIN_OVERLAP = 30
#: below this many (pairs whose CAR windows meet) x (estimation days), sums are gathered pair by pair
PAIR_ELEMENTS = 2_000_000


def _day_numbers(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer day numbers of datetime64 values and their validity (not NaT)."""
    dd = np.asarray(d)
    if dd.dtype == np.dtype("datetime64[ns]"):  # the panel's dtype: integer division beats a unit cast
        raw = dd.view(np.int64)
        ok = raw != np.iinfo(np.int64).min
        return np.where(ok, raw // 86_400_000_000_000, 0), ok
    dd = dd.astype("datetime64[D]")
    ok = ~np.isnat(dd)
    return np.where(ok, dd.astype(np.int64), 0), ok


def _standardise(e: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row centred and scaled on its own valid entries (0 elsewhere); rows with zero SD flagged."""
    n = valid.sum(axis=-1)
    z = np.where(valid, e, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(valid, z - (z.sum(axis=-1) / n)[..., None], 0.0)
        sd = np.sqrt(np.einsum("...i,...i->...", z, z) / n)
        z = np.where(valid, z / sd[..., None], 0.0)
    return z, (sd > 0) & np.isfinite(sd)


@dataclass(frozen=True)
class _Entries:
    """The valid cells of an (events x days) array, event by event: grid position, value, row offsets.

    Built once per sample so that each block's grid is filled from a contiguous
    slice (events are sorted) instead of searching the block's cells again.
    """

    row: np.ndarray
    pos: np.ndarray
    val: np.ndarray
    start: np.ndarray

    @classmethod
    def of(cls, pos: np.ndarray, ok: np.ndarray, values: np.ndarray | None = None) -> _Entries:
        flat = np.flatnonzero(ok)  # row-major: event by event, in column order
        r = flat // max(ok.shape[1], 1)
        val = np.ones(r.size) if values is None else values.ravel()[flat]
        start = np.concatenate([[0], np.cumsum(np.count_nonzero(ok, axis=1))])
        return cls(r, pos.ravel()[flat], val, start)

    def holes(self) -> _Entries | None:
        """Grid positions inside each event's run (first to last valid position) where it has no value.

        Found from the gaps between consecutive positions of each event, so the block
        products need no dense (dates x events) hole mask; None if some event's
        positions do not ascend (the blocks then find the holes from the grid).
        """
        same = self.row[1:] == self.row[:-1]
        gap = np.where(same, self.pos[1:] - self.pos[:-1] - 1, 0)
        if np.any(gap < 0):
            return None
        k = np.flatnonzero(gap > 0)
        g = gap[k]
        rep = np.repeat(k, g)
        step = np.arange(rep.size) - np.repeat(np.cumsum(g) - g, g)
        row = self.row[rep]
        start = np.searchsorted(row, np.arange(int(self.start.size)), side="left")
        return _Entries(row, self.pos[rep] + 1 + step, np.ones(row.size), start)

    def local(self, a: int, c: int, lo: int, rows: int) -> sparse.csr_array:
        """(events a..c-1) x (grid rows lo..lo+rows-1) 0/1 sparse matrix of the entries."""
        k = slice(int(self.start[a]), int(self.start[c]))
        return sparse.csr_array((self.val[k], (self.row[k] - a, self.pos[k] - lo)), shape=(c - a, rows))

    def grid(self, a: int, c: int, lo: int, hi: int, ones: bool = False) -> np.ndarray:
        """(rows lo..hi) x (events a..c-1) grid: the values (or 1) at the events' positions, 0 elsewhere."""
        out = np.zeros((hi - lo + 1, c - a))
        k = slice(int(self.start[a]), int(self.start[c]))
        out[self.pos[k] - lo, self.row[k] - a] = 1.0 if ones else self.val[k]
        return out


@dataclass(frozen=True)
class _Runs:
    """Running sums of each event's values, squares and presence over its own span of grid positions.

    Row i holds sum over the grid positions p_lo_i .. p_lo_i + t - 1 (t = 0 .. W) of
    event i's z, z^2 and validity, so the sum of event i over any run of positions
    [lo, hi] is a difference of two entries: made once per sample, it replaces the
    running sums that every block would take again over its whole local grid
    (each event's running sums start at its own first date, not the block's).
    """

    z: np.ndarray
    q: np.ndarray
    m: np.ndarray
    p_lo: np.ndarray
    width: int

    @classmethod
    def of(cls, cells: _Entries, p_lo: np.ndarray, p_hi: np.ndarray, limit: int) -> _Runs | None:
        """From the cells of the events (sorted rows); None if the (events x widest span) tables exceed ``limit`` cells."""
        n = p_lo.size
        has = cells.start[1:] > cells.start[:-1]
        if not has.any():
            return None
        width = int((p_hi - p_lo)[has].max()) + 1
        if n * (width + 1) > limit:
            return None
        lo = np.where(has, p_lo, 0)
        # each cell's place in the (n, width + 1) tables (first column 0), built in place: one index array
        at = cells.row * (width + 1)
        at += cells.pos
        at -= lo[cells.row]
        at += 1
        out = []
        for val, dtype in ((cells.val, np.float64), (np.square(cells.val), np.float64), (1, np.int32)):
            run = np.zeros((n, width + 1), dtype=dtype)
            run.ravel()[at] = val
            np.cumsum(run[:, 1:], axis=1, out=run[:, 1:])  # in place: no second table per sum
            out.append(run.ravel())
        return cls(out[0], out[1], out[2], lo, width)

    def over(self, i: np.ndarray, lo: np.ndarray, hi: np.ndarray, count: bool = True) -> tuple[np.ndarray, ...]:
        """Count (if ``count``), sum and sum of squares of event ``i`` over grid positions ``lo`` .. ``hi``."""
        base = i * (self.width + 1)
        first = self.p_lo[i]
        top = base + np.clip(hi + 1 - first, 0, self.width)
        bot = base + np.clip(lo - first, 0, self.width)
        sums = (self.z[top] - self.z[bot], self.q[top] - self.q[bot])
        return (self.m[top] - self.m[bot], *sums) if count else sums


def _grid_positions(day: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Position of each valid day on the sorted union of the valid days (-1 where not valid).

    A presence table over the day range and its running count replace ``np.unique``
    (a sort of every date): the positions are the same.
    """
    pos = np.full(day.shape, -1, dtype=np.int64)
    if not ok.any():
        return pos
    d = day[ok]
    base = int(d.min())
    d = d - base
    present = np.zeros(int(d.max()) + 1, dtype=bool)
    present[d] = True
    pos[ok] = (np.cumsum(present) - 1)[d]
    return pos


def _block_correlations(zg: np.ndarray, mg: np.ndarray, lo: np.ndarray, hi: np.ndarray, nb: int,
                        min_overlap: int, holes: sparse.csr_array | None, bi: np.ndarray,
                        cj: np.ndarray, runs: tuple[np.ndarray, ...] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Exact correlations of the listed pairs (grid column ``bi`` < ``nb``, grid column ``cj``) and their
    common-date counts (both (P,), 0 for a pair without a correlation).

    On common dates C_ij = V_i and V_j (valid dates) the five sums n, S_x, S_xx,
    S_y, S_yy come from running sums over the grid: V_j is the run lo_j..hi_j of
    event j minus its holes H_j (dates of the run where j has no residual), so
    sum_{C_ij} x = sum_{V_i, lo_j..hi_j} x - sum_{V_i, H_j} x, the first term a
    difference of two running sums, the second a sparse product over the (few)
    holes.  Only S_xy = Z_b' Z needs a dense matrix product.  Exact: the same
    sums as the masked products M'M, Z'M, ..., reordered.  The sums are gathered
    for the listed pairs only (those whose CAR windows meet), not for the whole
    (nb x C) rectangle of the block.  ``runs``: the five run sums (n, S_x, S_xx of
    column bi over the run of cj, S_y, S_yy of cj over the run of bi) already taken
    from :class:`_Runs`; without them they come from running sums down this grid.  With
    ``runs`` and ``holes`` given, ``mg`` may hold only the first ``nb`` columns.
    """
    q = zg * zg

    def running(g: np.ndarray) -> np.ndarray:
        """(columns, rows + 1) running sums of each column down the rows, 0 first (column-major: each
        event's sums are contiguous, about 4x faster than accumulating down a row-major grid; same sums)."""
        out = np.empty((g.shape[1], g.shape[0] + 1))
        out[:, 0] = 0.0
        np.cumsum(g.T, axis=1, out=out[:, 1:])
        return out.ravel()

    if runs is not None:
        cnt, sx, sxx, sy, syy = runs
    else:
        width = zg.shape[0] + 1
        cz, cm, cq = running(zg), running(mg), running(q)
        # flat indices into the (columns, rows + 1) running sums: column bi over the run of cj, and back
        x_hi, x_lo = bi * width + hi[cj] + 1, bi * width + lo[cj]
        y_hi, y_lo = cj * width + hi[bi] + 1, cj * width + lo[bi]
        cnt = cm[x_hi] - cm[x_lo]  # |V_i on the run of j|
        sx = cz[x_hi] - cz[x_lo]
        sxx = cq[x_hi] - cq[x_lo]
        sy = cz[y_hi] - cz[y_lo]  # z_j over the run of i
        syy = cq[y_hi] - cq[y_lo]
    sxy = (zg[:, :nb].T @ zg).ravel()[bi * zg.shape[1] + cj]
    if holes is None:
        rows = np.arange(zg.shape[0])[:, None]
        dense = (rows >= lo[None, :]) & (rows <= hi[None, :]) & (mg == 0)
        holes = sparse.csr_array(dense.T.astype(float)) if dense.any() else None
    if holes is not None and holes.nnz:
        at = cj * nb + bi  # (C, nb) products: hole rows of column cj against block column bi
        h_cnt, h_sx, h_sxx = (np.asarray(holes @ g).ravel()[at] for g in (mg[:, :nb], zg[:, :nb], q[:, :nb]))
        cnt, sx, sxx = cnt - h_cnt, sx - h_sx, sxx - h_sxx
        h_first = holes[:nb]
        back = bi * zg.shape[1] + cj
        sy = sy - np.asarray(h_first @ zg).ravel()[back]
        syy = syy - np.asarray(h_first @ q).ravel()[back]
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy - sx * sy / cnt
        vx = sxx - sx * sx / cnt
        vy = syy - sy * sy / cnt
        rho = cov / np.sqrt(vx * vy)
    good = (cnt >= min_overlap) & (vx > 0) & (vy > 0) & np.isfinite(rho)
    return np.where(good, rho, 0.0), np.where(good, cnt, 0)


def _pair_terms(
    z: np.ndarray, valid: np.ndarray, ed: np.ndarray, wd: np.ndarray, w_ok: np.ndarray, min_overlap: int,
    ii: np.ndarray, jj: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """rho_ij o_ij of each listed pair, whether it has a correlation, and rho_ij: the sums of the block
    products gathered pair by pair (cheaper when few pairs have CAR windows that meet).

    Each event's valid dates are keyed as event * span + day in one sorted array, so the
    dates of event j matching those of event i are found with one ``searchsorted`` for all pairs.
    """
    def matches(day: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rows = np.unique(jj)  # only the partner events need to be looked up
        base = int(day[ok].min())
        span = int(day[ok].max()) - base + 2
        sub = ok[rows]
        key = (np.arange(rows.size)[:, None] * span + (day[rows] - base))[sub]
        srt = np.argsort(key, kind="stable")  # already sorted when dates ascend within each event
        flat_idx = np.flatnonzero(sub.ravel())[srt]  # position in the (rows x days) block
        key = key[srt]
        q = np.searchsorted(rows, jj)[:, None] * span + (day[ii] - base)
        at = np.clip(np.searchsorted(key, q), 0, key.size - 1)
        row_of, col_of = np.divmod(flat_idx[at], day.shape[1])
        return ok[ii] & (key[at] == q), rows[row_of] * day.shape[1] + col_of

    hit_w, _ = matches(wd, w_ok)
    o = hit_w.sum(axis=1)
    hit, where = matches(ed, valid)
    hit &= (o > 0)[:, None]
    x = np.where(hit, z[ii], 0.0)
    y = np.where(hit, z.ravel()[where], 0.0)
    n = hit.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        sx, sy = x.sum(axis=1), y.sum(axis=1)
        cov = np.einsum("ij,ij->i", x, y) - sx * sy / n
        vx = np.einsum("ij,ij->i", x, x) - sx * sx / n
        vy = np.einsum("ij,ij->i", y, y) - sy * sy / n
        rho = cov / np.sqrt(vx * vy)
    good = (o > 0) & (n >= min_overlap) & (vx > 0) & (vy > 0) & np.isfinite(rho)
    return np.where(good, rho * o, 0.0), good, np.where(good, rho, 0.0)


def _blocks(
    z: np.ndarray, valid: np.ndarray, ed: np.ndarray, wd: np.ndarray, w_ok: np.ndarray,
    w_first: np.ndarray, w_last: np.ndarray, min_overlap: int, block: int,
    collect: list[tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None,
) -> tuple[float, int]:
    """sum of rho_ij o_ij and the contributing pairs of one sample by blocked matrix products
    (events sorted by the first date of their CAR window)."""
    n = z.shape[0]
    pos = _grid_positions(ed, valid)
    wpos = _grid_positions(wd, w_ok)
    big = np.iinfo(np.int64).max
    p_lo, p_hi = np.where(valid, pos, big).min(axis=1), pos.max(axis=1)
    q_lo, q_hi = np.where(w_ok, wpos, big).min(axis=1), wpos.max(axis=1)
    total, pairs = 0.0, 0
    w_cells, e_cells = _Entries.of(wpos, w_ok), _Entries.of(pos, valid, z)
    h_cells = e_cells.holes()
    del pos  # in the cells now: freed before the running-sum tables are made
    own = _Runs.of(e_cells, p_lo, p_hi, 2 * z.size + n)  # per-event running sums, unless spans are very uneven
    has: np.ndarray = np.asarray(w_ok.any(axis=1), dtype=bool)
    # windows that are runs of the union of window dates share the overlap of two intervals
    # (the same integers as the product W'W of their date indicators)
    runs = bool(np.all(np.count_nonzero(w_ok, axis=1)[has] == (q_hi - q_lo + 1)[has]))
    for a in range(0, n, block):
        b = min(n, a + block)
        c = int(np.searchsorted(w_first, w_last[a:b].max(), side="right"))
        if c <= a + 1:
            continue
        if runs:
            overlap = np.maximum(np.minimum(q_hi[a:b, None], q_hi[None, a:c]) - np.maximum(q_lo[a:b, None], q_lo[None, a:c]) + 1, 0)
            overlap = np.where(has[a:b, None] & has[None, a:c], overlap, 0).astype(float)
        else:
            wg = w_cells.grid(a, c, int(q_lo[a:c].min()), int(q_hi[a:c].max()), ones=True)
            overlap = wg[:, : b - a].T @ wg  # o_ij: calendar dates the two CAR windows share
        meet = (np.arange(a, c)[None, :] > np.arange(a, b)[:, None]) & (overlap > 0)
        bi, cj = np.nonzero(meet)
        if bi.size == 0:
            continue
        lo, hi = int(p_lo[a:c].min()), int(p_hi[a:c].max())
        zg = e_cells.grid(a, c, lo, hi)
        # with per-event runs and listed holes only the block's own columns of the 0/1 grid are used
        mg = e_cells.grid(a, b if own is not None and h_cells is not None else c, lo, hi, ones=True)
        holes = None if h_cells is None else h_cells.local(a, c, lo, hi - lo + 1)
        five = None
        if own is not None:
            gi, gj = a + bi, a + cj
            five = (*own.over(gi, p_lo[gj], p_hi[gj]), *own.over(gj, p_lo[gi], p_hi[gi], count=False))
        rho, cnt = _block_correlations(zg, mg, p_lo[a:c] - lo, p_hi[a:c] - lo, b - a, min_overlap, holes, bi, cj, five)
        use = cnt > 0
        total += float(np.sum(rho[use] * overlap[bi[use], cj[use]]))
        pairs += int(use.sum())
        if collect is not None:  # (row, column, rho) of the pairs, in this sample's sorted order
            collect.append((a + bi[use], a + cj[use], rho[use]))
    return total, pairs


@dataclass(frozen=True)
class PreparedResiduals:
    """Estimation residuals made ready for :func:`kolari_pynnonen_r` once (rows: events, flattened over samples).

    z : residuals centred and scaled on each event's own dates (0 where missing);
    valid : residual present; days : integer day numbers; usable : at least
    ``min_overlap`` residuals and a positive SD.
    """

    z: np.ndarray
    valid: np.ndarray
    days: np.ndarray
    usable: np.ndarray
    min_overlap: int


def prepare_residuals(est_resid: np.ndarray, est_dates: np.ndarray, min_overlap: int = MIN_OVERLAP) -> PreparedResiduals:
    """Standardise (..., N, L1) residuals and number their dates, for several windows' r."""
    e = np.asarray(est_resid, dtype=float)
    e = e.reshape(-1, e.shape[-1])
    days, d_ok = _day_numbers(np.asarray(est_dates).reshape(e.shape))
    valid = np.isfinite(e) & d_ok
    z, sd_ok = _standardise(e, valid)
    return PreparedResiduals(z, valid, days, (valid.sum(axis=1) >= min_overlap) & sd_ok, int(min_overlap))


def _meeting_rows(w: np.ndarray, sample: np.ndarray) -> np.ndarray:
    """Rows (events, sample ``sample``) whose span of CAR-window dates meets that of another event of their sample."""
    wd, w_ok = _day_numbers(w)
    has: np.ndarray = np.asarray(w_ok.any(axis=1), dtype=bool)
    first = np.where(w_ok, wd, np.iinfo(np.int64).max).min(axis=1)
    last = np.where(w_ok, wd, np.iinfo(np.int64).min).max(axis=1)
    idx = np.flatnonzero(has)
    if idx.size < 2:
        return idx
    idx = idx[np.lexsort((first[idx], sample[idx]))]
    samp, f, la = sample[idx], first[idx], last[idx]
    base = int(f.min())
    span = int(la.max()) - base + 2
    reach = np.searchsorted(samp * span + (f - base), samp * span + (la - base), side="right")
    count = np.maximum(reach - np.arange(idx.size) - 1, 0)
    meets = count > 0  # has a later partner
    later = np.zeros(idx.size + 1, dtype=np.int64)  # mark partners idx[k+1 .. reach-1] by a difference array
    np.add.at(later, np.arange(idx.size) + 1, (count > 0).astype(np.int64))
    np.add.at(later, np.maximum(reach, np.arange(idx.size) + 1), -(count > 0).astype(np.int64))
    meets |= np.cumsum(later[:-1]) > 0
    return np.sort(idx[meets])


def _block_size(count: np.ndarray) -> int:
    """Events per block from each event's number of later partners: half the 90th percentile plus 32
    (between 32 and 512).  Smaller blocks multiply fewer pairs whose windows never meet; with the sums
    gathered for the meeting pairs only, half the 90th percentile was quicker than twice it here
    (10k events staggered: 0.22-0.26 s against 0.30 s; on 200 dates 0.24-0.29 s against 0.40 s)."""
    return int(np.clip(0.5 * np.percentile(count, 90) + 32, 32, 512))


def _stacked(
    prep: PreparedResiduals, w: np.ndarray, sample: np.ndarray, n_s: int, n_all: int, block: int | None,
    pair_elements: int,
) -> tuple[np.ndarray, np.ndarray]:
    """r and contributing pairs of S samples at once (``prep`` rows and ``w`` (S N, L) sample-major).

    Few pairs whose CAR windows meet over all samples (at most ``pair_elements`` pair x date
    cells): their sums are gathered pair by pair (:func:`_pair_terms`) for every sample in one
    pass; otherwise blocked matrix products sample by sample (:func:`_blocks`).
    """
    length = w.shape[-1]
    l1 = prep.z.shape[1]
    wd, w_ok = _day_numbers(w)
    keep = prep.usable & w_ok.any(axis=1)
    total: np.ndarray = np.zeros(n_s)
    pairs: np.ndarray = np.zeros(n_s, dtype=np.int64)
    if keep.sum() < 2:
        return total, pairs
    w_first = np.where(w_ok, wd, np.iinfo(np.int64).max).min(axis=1)
    w_last = np.where(w_ok, wd, np.iinfo(np.int64).min).max(axis=1)
    idx = np.flatnonzero(keep)
    idx = idx[np.lexsort((w_first[idx], sample[idx]))]  # by sample, then by first window date
    samp, first_s, last_s = sample[idx], w_first[idx], w_last[idx]
    base = int(first_s.min())
    span = int(last_s.max()) - base + 2
    # partners of event i: the next events of its sample whose window starts before i's ends
    reach = np.searchsorted(samp * span + (first_s - base), samp * span + (last_s - base), side="right")
    count = np.maximum(reach - np.arange(idx.size) - 1, 0)
    n_meet = int(count.sum())
    if n_meet == 0:
        return total, pairs
    if n_meet * l1 <= pair_elements:
        ii = np.repeat(np.arange(idx.size), count)
        first = np.repeat(np.cumsum(count) - count, count)
        jj = ii + 1 + (np.arange(n_meet) - first)
        terms, good, _ = _pair_terms(prep.z, prep.valid, prep.days, wd, w_ok, prep.min_overlap, idx[ii], idx[jj])
        total = np.bincount(samp[ii], weights=terms, minlength=n_s).astype(float)
        pairs = np.bincount(samp[ii][good], minlength=n_s).astype(np.int64)
    else:
        if block is None:  # about the number of partners: wider blocks multiply pairs whose windows never meet
            block = _block_size(count)
        bounds = np.searchsorted(samp, np.arange(n_s + 1))
        for s in np.flatnonzero(np.bincount(samp, weights=count, minlength=n_s) > 0):
            rows = idx[bounds[s] : bounds[s + 1]]
            total[s], pairs[s] = _blocks(prep.z[rows], prep.valid[rows], prep.days[rows], wd[rows], w_ok[rows],
                                         w_first[rows], w_last[rows], prep.min_overlap, block)
    return total / (length * n_all * (n_all - 1) / 2.0), pairs


@dataclass(frozen=True)
class PairCorrelations:
    """rho_ij of the pairs (rows ``i`` < ``j`` of one sample) whose event windows meet, with a correlation.

    Computed once (:func:`pair_correlations`); the r of any CAR window inside the
    event window then only needs the pairs' common window dates (:func:`r_from_pairs`).
    """

    i: np.ndarray
    j: np.ndarray
    rho: np.ndarray
    n_events: int


@single_blas
def pair_correlations(prep: PreparedResiduals, window_dates: np.ndarray, pair_elements: int = PAIR_ELEMENTS) -> PairCorrelations:
    """Exact rho_ij of every pair of one sample whose ``window_dates`` (N, L) meet (see the module notes)."""
    n_all = prep.z.shape[0]
    wd, w_ok = _day_numbers(window_dates)
    keep = prep.usable & w_ok.any(axis=1)
    none = PairCorrelations(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0), n_all)
    if keep.sum() < 2:
        return none
    w_first = np.where(w_ok, wd, np.iinfo(np.int64).max).min(axis=1)
    w_last = np.where(w_ok, wd, np.iinfo(np.int64).min).max(axis=1)
    idx = np.flatnonzero(keep)
    idx = idx[np.argsort(w_first[idx], kind="stable")]
    count = np.maximum(np.searchsorted(w_first[idx], w_last[idx], side="right") - np.arange(idx.size) - 1, 0)
    n_meet = int(count.sum())
    if n_meet == 0:
        return none
    if n_meet * prep.z.shape[1] <= pair_elements:
        ii = np.repeat(np.arange(idx.size), count)
        jj = ii + 1 + (np.arange(n_meet) - np.repeat(np.cumsum(count) - count, count))
        _, good, rho = _pair_terms(prep.z, prep.valid, prep.days, wd, w_ok, prep.min_overlap, idx[ii], idx[jj])
        return PairCorrelations(idx[ii][good], idx[jj][good], rho[good], n_all)
    block = _block_size(count)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    _blocks(prep.z[idx], prep.valid[idx], prep.days[idx], wd[idx], w_ok[idx], w_first[idx], w_last[idx],
            prep.min_overlap, block, parts)
    if not parts:
        return none
    return PairCorrelations(idx[np.concatenate([p[0] for p in parts])], idx[np.concatenate([p[1] for p in parts])],
                            np.concatenate([p[2] for p in parts]), n_all)


def r_from_pairs(pc: PairCorrelations, window_dates: np.ndarray) -> tuple[float, int]:
    """r = sum over the stored pairs of rho_ij o_ij / (L N(N-1)/2) for a CAR window (N, L) inside theirs."""
    length = window_dates.shape[1]
    if pc.rho.size == 0 or length == 0 or pc.n_events < 2:
        return 0.0, 0
    wd, w_ok = _day_numbers(window_dates)
    pos = _grid_positions(wd, w_ok)  # the positions on np.unique of the valid dates, without a sort
    n_days = int(pos.max()) + 1
    lo, hi = np.where(w_ok, pos, np.iinfo(np.int64).max).min(axis=1), pos.max(axis=1)
    has = np.asarray(w_ok.any(axis=1), dtype=bool)
    contiguous = bool(np.all(w_ok.sum(axis=1)[has] == (hi - lo + 1)[has]))
    if contiguous and has.all() and bool(np.all(hi - lo + 1 == length)):
        # every window a run of L positions: two such runs share L - |lo_i - lo_j| positions (or none),
        # the same integers as the general interval overlap, from two gathers instead of six
        return _r_of_overlaps(pc, np.maximum(0, length - np.abs(lo[pc.i] - lo[pc.j])), length)
    if contiguous:  # each window is a run of the union of window dates: overlap of two intervals
        o = np.maximum(0, np.minimum(hi[pc.i], hi[pc.j]) - np.maximum(lo[pc.i], lo[pc.j]) + 1)
    else:
        ind = np.zeros((pos.shape[0], n_days + 1), dtype=bool)
        rr, cc = np.nonzero(w_ok)
        ind[rr, pos[rr, cc]] = True
        o = np.einsum("kd,kd->k", ind[pc.i].astype(float), ind[pc.j].astype(float))
    return _r_of_overlaps(pc, np.where(has[pc.i] & has[pc.j], o, 0), length)


def _r_of_overlaps(pc: PairCorrelations, o: np.ndarray, length: int) -> tuple[float, int]:
    """r and the contributing pairs from the pairs' common CAR-window dates ``o``."""
    used = (o > 0) & (pc.rho != 0)
    return float(np.sum(pc.rho * o) / (length * pc.n_events * (pc.n_events - 1) / 2.0)), int(used.sum())


def r_daily(pc: PairCorrelations, window_dates: np.ndarray, chunk: int = 100_000) -> tuple[np.ndarray, np.ndarray]:
    """r and contributing pairs of every one-day window at once, (N, L2) dates -> (L2,), (L2,).

    With L = 1, o_ij is 1 when the two events' day-tau dates coincide, so
    r_tau = sum of rho_ij over the pairs on one date / (N(N-1)/2): the same
    number as :func:`r_from_pairs` of the column tau, for every tau in one pass
    (pairs taken in chunks to bound memory).
    """
    l2 = window_dates.shape[1]
    total, used = np.zeros(l2), np.zeros(l2, dtype=np.int64)
    if pc.rho.size == 0 or l2 == 0 or pc.n_events < 2:
        return total, used
    wd, w_ok = _day_numbers(window_dates)
    nz = pc.rho != 0
    # an event whose window is a run of the union of window dates (every day valid) is "regular":
    # two regular events share the date of column tau for every tau if their windows start on the
    # same date, for none otherwise, so their pairs need no column-by-column comparison
    pos = _grid_positions(wd, w_ok)
    regular = np.all(w_ok, axis=1) & np.all(pos == pos[:, :1] + np.arange(l2)[None, :], axis=1)
    both = regular[pc.i] & regular[pc.j]
    same_start = both & (wd[pc.i, 0] == wd[pc.j, 0])
    total += float(np.sum(pc.rho[same_start]))
    used += int(np.count_nonzero(same_start & nz))
    rest = np.flatnonzero(~both)
    for a in range(0, rest.size, chunk):
        k = rest[a : a + chunk]
        same = (wd[pc.i[k]] == wd[pc.j[k]]) & w_ok[pc.i[k]] & w_ok[pc.j[k]]
        total += pc.rho[k] @ same
        used += (same & nz[k][:, None]).sum(axis=0)
    return total / (pc.n_events * (pc.n_events - 1) / 2.0), used


def _common_dates_samples(e: np.ndarray, d: np.ndarray, w: np.ndarray, min_overlap: int) -> np.ndarray:
    """(S,) r for samples whose events share one complete set of estimation dates and one CAR window."""
    n = e.shape[-2]
    if e.shape[-1] < min_overlap:
        return np.zeros(e.shape[0])
    z, ok = _standardise(e, np.ones(e.shape, dtype=bool))
    z = np.where(ok[..., None], z, 0.0)  # a constant series correlates 0 with every other
    tot = z.sum(axis=-2)
    cross = np.einsum("si,si->s", tot, tot) - np.einsum("sni,sni->s", z, z)
    return cross / e.shape[-1] / (n * (n - 1))


@single_blas
def kolari_pynnonen_r(
    est_resid: np.ndarray,
    est_dates: np.ndarray,
    window_dates: np.ndarray,
    min_overlap: int = MIN_OVERLAP,
    block: int | None = None,
    pair_elements: int = PAIR_ELEMENTS,
    prepared: PreparedResiduals | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Kolari-Pynnönen mean correlation r of the SCARs of a CAR window (see the module docstring).

    Parameters
    ----------
    est_resid
        (..., N, L1) estimation residuals, nan where missing.
    est_dates
        (..., N, L1) datetime64 calendar dates of those residuals.
    window_dates
        (..., N, L) datetime64 calendar dates of each event's CAR window (NaT = none).
    min_overlap
        common estimation dates a pair needs for a correlation (default 30).
    block
        events per block of matrix products; default: half the 90th percentile of the
        number of partners (events whose CAR window meets) plus 32, between 32 and 512.
    pair_elements
        with at most this many (pairs whose CAR windows meet) x L1 cells the
        sums are gathered pair by pair instead (same numbers, cheaper for sparse overlaps;
        0 forces the matrix products).
    prepared
        :func:`prepare_residuals` of the same residuals (saves redoing it for every window).

    Returns
    -------
    r
        (...) r = mean over all N(N-1)/2 pairs of rho_ij o_ij / L (0 if N < 2).
    n_pairs
        (...) pairs with o_ij > 0 and a correlation (at least ``min_overlap`` common dates).

    Notes
    -----
    With :math:`\hat\rho_{ij}` the sample correlation of events :math:`i` and :math:`j`'s
    estimation residuals on their common calendar dates and :math:`o_{ij}` the number of
    calendar dates their :math:`L`-day CAR windows share,

    .. math::

        \operatorname{Corr}(SCAR_i, SCAR_j) = \frac{\rho_{ij}\, o_{ij}}{L}, \qquad
        \bar r = \frac{2}{N(N-1)} \sum_{i<j} \frac{\hat\rho_{ij}\, o_{ij}}{L},

    so that :math:`\operatorname{Var}\left(\sum_i SCAR_i\right) / N = 1 + (N - 1)\bar r` under
    unit variances: the factor that :func:`~research_lib.inference.parametric.patell_kp` and
    :func:`~research_lib.inference.parametric.bmp_kp` divide out.  With every event on one
    date, :math:`o_{ij} = L` and :math:`\bar r` is the mean residual correlation of Kolari
    and Pynnönen (2010); windows that do not meet add zero but count as pairs.

    References
    ----------
    .. [1] Kolari, J. W. and Pynnönen, S. (2010). Event study testing with
       cross-sectional correlation of abnormal returns. Review of Financial
       Studies 23, 3996-4025.

    Examples
    --------
    Two events on the same dates whose residuals share a common shock:

    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> common = rng.normal(size=200)
    >>> e = np.stack([common + rng.normal(size=200), common + rng.normal(size=200)])
    >>> dates = np.broadcast_to(np.arange("2024-01-01", 200, dtype="datetime64[D]"), (2, 200))
    >>> window = np.broadcast_to(np.array(["2025-01-02", "2025-01-03"], dtype="datetime64[D]"), (2, 2))
    >>> r, n_pairs = kolari_pynnonen_r(e, dates, window)
    >>> round(float(r), 3), int(n_pairs), round(float(np.corrcoef(e)[0, 1]), 3)
    (0.424, 1, 0.424)
    """
    e = np.asarray(est_resid, dtype=float)
    d = np.asarray(est_dates)
    w = np.asarray(window_dates)
    if e.ndim < 2 or d.shape != e.shape or w.shape[:-1] != e.shape[:-1]:
        raise InvalidRequestError(
            f"estimation residuals {e.shape}, their dates {d.shape} and CAR-window dates {w.shape} disagree; "
            "pass (..., N, L1), (..., N, L1) and (..., N, L) arrays from the panel"
        )
    lead = e.shape[:-2]
    n, l1, length = e.shape[-2], e.shape[-1], w.shape[-1]
    e, d, w = e.reshape(-1, n, l1), d.reshape(-1, n, l1), w.reshape(-1, n, length)
    r = np.zeros(e.shape[0])
    pairs = np.zeros(e.shape[0], dtype=np.int64)
    if n >= 2 and length > 0:
        same_est = np.all(d == d[:, :1, :], axis=(1, 2)) & np.all(np.isfinite(e), axis=(1, 2)) & ~np.isnat(d).any(axis=(1, 2))
        same_win = np.all(w == w[:, :1, :], axis=(1, 2)) & ~np.isnat(w).any(axis=(1, 2))
        fast = same_est & same_win
        if fast.any():
            r[fast] = _common_dates_samples(e[fast], d[fast], w[fast], min_overlap)
            pairs[fast] = n * (n - 1) // 2 if l1 >= min_overlap else 0
        if (~fast).any():
            slow = np.flatnonzero(~fast)
            ws = w[slow].reshape(-1, length)
            sample = np.repeat(np.arange(slow.size), n)
            if prepared is None or slow.size != e.shape[0]:
                # only events whose CAR window meets another of their sample can add to r
                rows = _meeting_rows(ws, sample)
                prepared = prepare_residuals(e[slow].reshape(-1, l1)[rows], d[slow].reshape(-1, l1)[rows], min_overlap)
                ws, sample = ws[rows], sample[rows]
            r[slow], pairs[slow] = _stacked(prepared, ws, sample, slow.size, n, block, pair_elements)
    return r.reshape(lead), pairs.reshape(lead)


def mean_cross_correlation(
    est_resid: np.ndarray,
    est_dates: np.ndarray,
    min_overlap: int = MIN_OVERLAP,
    evt_dates: np.ndarray | None = None,
    block: int | None = None,
) -> tuple[float, int]:
    """r of one sample with the CAR window ``evt_dates`` (N, L); without it every pair's windows coincide.

    Without ``evt_dates`` (o_ij = L for every pair) r is the plain mean over all
    N(N-1)/2 pairs of the residual correlations on common dates (pairs with
    fewer than ``min_overlap`` common dates counting 0): Kolari and Pynnönen's r
    for events on one date.  See :func:`kolari_pynnonen_r`.
    """
    e = np.asarray(est_resid, dtype=float)
    if e.ndim != 2 or e.shape[0] < 2:
        return 0.0, 0
    if evt_dates is None:
        win = np.full((e.shape[0], 1), np.datetime64("2000-01-01", "ns"))
    else:
        win = np.asarray(evt_dates)
    r, pairs = kolari_pynnonen_r(e, est_dates, win, min_overlap, block)
    return float(r), int(pairs)


__all__ = ["MIN_OVERLAP", "PAIR_ELEMENTS", "PairCorrelations", "PreparedResiduals", "kolari_pynnonen_r", "mean_cross_correlation",
           "pair_correlations", "prepare_residuals", "r_daily", "r_from_pairs"]
