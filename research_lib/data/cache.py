"""The on-disk cache: immutable parquet files, each with a JSON manifest.

Layout under the cache folder (``RESEARCH_LIB_CACHE``)::

    prices/<SYMBOL>/yahoo_<start|first>_<end|latest>.parquet   one yfinance request
    prices/<SYMBOL>/yahoo_<start|first>_<end|latest>.json      its manifest
    factors/french_<FILE>.parquet / .json                      one Ken French file

A manifest records the source, the request (symbol, start, end, adjustment
setting), the retrieval time (UTC, ISO 8601), the versions of pandas, numpy,
pyarrow, yfinance and research_lib, the adjustment setting, the row count and
date range, and the SHA-256 of the parquet file.

Rules
-----
* Writes are atomic (:func:`research_lib.outputs.write_bytes_atomic`): bytes go
  to a unique temporary file in the same folder, are flushed and ``fsync``-ed,
  then ``os.replace`` puts them in place; files get the umask's permissions.
  An entry is committed as one unit: the parquet embeds its manifest (with a
  random ``write_id``) and is renamed first, the ``.json`` manifest (which adds
  the parquet's checksum) last.  A parquet without its own ``.json`` is a half
  entry (a killed or concurrent writer) and is treated as absent, never as
  corrupt, and never moved aside.  Temporary files older than
  :data:`STALE_TMP_SECONDS` (left by a killed writer) are removed.
* Every read checks the parquet's SHA-256 against the manifest; a mismatch or an
  unreadable file raises :class:`~research_lib.errors.CacheCorruptError`.  The
  loaders then download again when online and refuse when offline: a corrupt
  file is never used.
* A file is never modified.  When a new download for the same request differs
  from the cached one, the old pair is renamed ``<name>.superseded-<UTC time>``
  (and recorded as ``supersedes`` in the new manifest) and, if rows present in
  both changed or disappeared, a :class:`DataRevisionWarning` states how many
  and the largest relative change of ``adj_close``.
"""

from __future__ import annotations

import io
import json
import logging
import os
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from research_lib.data._common import fmt_date, package_versions, sha256_bytes, utc_now_iso
from research_lib.errors import CacheCorruptError
from research_lib.outputs import clean_stale_temporaries, write_bytes_atomic

log = logging.getLogger(__name__)

MANIFEST_FORMAT = 1


class DataRevisionWarning(UserWarning):
    """A fresh download differs from the cached copy of the same request (e.g. a new dividend adjustment)."""


@dataclass(frozen=True, eq=False)
class CacheEntry:
    """A verified cache file: its frame, path, checksum and manifest."""

    frame: pd.DataFrame
    path: Path
    sha256: str
    manifest: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Revision:
    """How a new frame differs from an old one (see :func:`compare_frames`)."""

    n_common: int
    n_changed: int
    n_removed: int
    n_added: int
    max_change: float

    @property
    def identical(self) -> bool:
        return self.n_changed == 0 and self.n_removed == 0 and self.n_added == 0

    @property
    def is_revision(self) -> bool:
        """Rows that both copies hold changed, or dates disappeared (appended rows are not a revision)."""
        return self.n_changed > 0 or self.n_removed > 0


# --- atomic files -------------------------------------------------------------
#: Seconds after which a writer's temporary file in a cache folder is stale (its writer was killed).
STALE_TMP_SECONDS = 600.0
_META_KEY = b"research_lib.manifest"


class IncompleteEntry(LookupError):
    """A cache entry whose parquet and manifest do not belong to one write (a writer was killed or is
    between its two renames).  Readers treat it as absent: it is neither used nor called corrupt."""


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically with :func:`research_lib.outputs.write_bytes_atomic`.

    On any failure the temporary file is removed and the exception propagates;
    ``path`` is then either absent or still holds its previous content.
    """
    write_bytes_atomic(path, data, mkdir=True)


def frame_to_parquet_bytes(frame: pd.DataFrame, manifest: dict[str, Any] | None = None) -> bytes:
    """Serialise a frame (index included) to parquet bytes with pyarrow, optionally embedding a manifest
    in the file's key-value metadata (so that the data and the facts about it are renamed as one file)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=True)
    if manifest is not None:
        meta = dict(table.schema.metadata or {})
        meta[_META_KEY] = json.dumps(manifest, sort_keys=True).encode("utf-8")
        table = table.replace_schema_metadata(meta)
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def embedded_manifest(data: bytes) -> dict[str, Any] | None:
    """The manifest embedded in parquet bytes (``None`` if there is none); raises if unreadable."""
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(io.BytesIO(data)).schema_arrow.metadata or {}
    raw = meta.get(_META_KEY)
    return None if raw is None else dict(json.loads(raw.decode("utf-8")))


def manifest_path(parquet: Path) -> Path:
    """The manifest beside a parquet file (same name, ``.json``)."""
    return Path(parquet).with_suffix(".json")


def _corrupt(path: Path, why: str) -> CacheCorruptError:
    return CacheCorruptError(
        f"cache file {path} is corrupt ({why}); delete it and {manifest_path(path).name}, "
        "or go online so that the loader downloads it again"
    )


def _read_manifest(parquet: Path) -> tuple[dict[str, Any] | None, str]:
    try:
        manifest = json.loads(manifest_path(parquet).read_text(encoding="utf-8"))
        return dict(manifest), str(manifest["sha256"])
    except FileNotFoundError:
        return None, "missing"
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return None, f"unreadable: {exc}"


def read_entry(parquet: Path) -> CacheEntry:
    """Read a cache file after checking it against its manifest.

    Notes
    -----
    A write renames the parquet (which embeds its manifest and a random
    ``write_id``) first and the ``.json`` manifest second.  A parquet whose
    ``.json`` is missing, or carries another ``write_id``, is half an entry
    (a writer was killed, or another one is between its two renames) and
    raises :class:`IncompleteEntry`, which callers treat as "not cached".

    Raises
    ------
    IncompleteEntry
        The parquet is missing, or complete but without its own manifest.
    CacheCorruptError
        The parquet is unreadable, or fails the checksum of its own manifest.
    """
    parquet = Path(parquet)
    try:
        data = parquet.read_bytes()
    except FileNotFoundError as exc:
        raise IncompleteEntry(f"{parquet} does not exist") from exc
    except OSError as exc:
        raise _corrupt(parquet, f"cannot read it: {exc}") from exc
    manifest, expected = _read_manifest(parquet)
    actual = sha256_bytes(data)
    if manifest is None or actual != expected:
        try:
            inner = embedded_manifest(data)
        except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a bad file
            why = f"SHA-256 {actual[:12]}... does not match the manifest's {expected[:12]}..." if manifest else (
                f"manifest {manifest_path(parquet).name} {expected} and the parquet is unreadable: {exc}")
            raise _corrupt(parquet, why) from exc
        same_write = inner is not None and manifest is not None and inner.get("write_id") == manifest.get("write_id")
        if inner is None and manifest is not None or same_write:
            raise _corrupt(parquet, f"SHA-256 {actual[:12]}... does not match the manifest's {expected[:12]}...")
        raise IncompleteEntry(f"{parquet} has no manifest of its own ({expected}); treated as not cached")
    try:
        frame = pd.read_parquet(io.BytesIO(data), engine="pyarrow")
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a bad file
        raise _corrupt(parquet, f"parquet unreadable: {exc}") from exc
    return CacheEntry(frame=frame, path=parquet, sha256=actual, manifest=manifest)


def clean_stale(folder: Path, older_than: float = STALE_TMP_SECONDS) -> list[Path]:
    """Remove temporary files left by killed writers in a cache folder (see :mod:`research_lib.outputs`)."""
    removed = clean_stale_temporaries(folder, older_than)
    for path in removed:
        log.info("removed the stale temporary file %s (left by an interrupted write)", path)
    return removed


# --- revisions ----------------------------------------------------------------
def compare_frames(old: pd.DataFrame, new: pd.DataFrame, column: str | None = "adj_close") -> Revision:
    """Compare two versions of the same request.

    Notes
    -----
    On the dates both hold, a row counts as changed when any shared column
    differs (relative tolerance 1e-12, NaN equal to NaN).  ``max_change`` is
    ``max |new/old - 1|`` of ``column`` over those dates, or, with
    ``column=None``, the largest absolute difference over all shared columns.
    """
    common = old.index.intersection(new.index)
    cols = [c for c in new.columns if c in old.columns]
    o = old.loc[common, cols].to_numpy(dtype=float)
    n = new.loc[common, cols].to_numpy(dtype=float)
    differs = ~np.isclose(n, o, rtol=1e-12, atol=0.0, equal_nan=True)
    changed = int(differs.any(axis=1).sum()) if len(common) else 0
    if len(common) == 0:
        max_change = 0.0
    elif column is not None and column in cols:
        rel = np.abs(new.loc[common, column].to_numpy(float) / old.loc[common, column].to_numpy(float) - 1.0)
        max_change = float(np.nanmax(rel)) if np.isfinite(rel).any() else 0.0
    else:
        absdiff = np.abs(n - o)
        max_change = float(np.nanmax(absdiff)) if np.isfinite(absdiff).any() else 0.0
    return Revision(
        n_common=len(common),
        n_changed=changed,
        n_removed=len(old.index.difference(new.index)),
        n_added=len(new.index.difference(old.index)),
        max_change=max_change,
    )


def _stamp() -> str:
    return utc_now_iso().replace("-", "").replace(":", "").replace(".", "")


def _move_aside(parquet: Path, tag: str) -> str:
    """Rename a parquet/manifest pair to ``<stem>.<tag>-<UTC time>.*``; return the new parquet name."""
    new_stem = f"{parquet.stem}.{tag}-{_stamp()}"
    target = parquet.with_name(new_stem + ".parquet")
    if parquet.exists():
        os.replace(parquet, target)
    if manifest_path(parquet).exists():
        os.replace(manifest_path(parquet), parquet.with_name(new_stem + ".json"))
    return target.name


# --- writing --------------------------------------------------------------------
def write_entry(
    parquet: Path,
    frame: pd.DataFrame,
    manifest: dict[str, Any],
    *,
    label: str,
    revision_column: str | None = "adj_close",
) -> CacheEntry:
    """Store ``frame`` at ``parquet`` with its manifest, keeping any different older copy.

    Parameters
    ----------
    parquet
        Target file.
    frame
        The data to store.
    manifest
        Source-specific fields (``source``, ``request``, ``adjustment`` ...); the
        checksum, versions, retrieval time and date range are added here.
    label
        What the data is (``"BABA"``), for messages.
    revision_column
        Column whose largest relative change is reported on a revision.

    Returns
    -------
    CacheEntry
        The entry now in place (the old one when the new data is identical).

    Warns
    -----
    DataRevisionWarning
        When rows held by both copies changed or dates disappeared.
    """
    parquet = Path(parquet)
    clean_stale(parquet.parent)
    supersedes = None
    if parquet.exists() or manifest_path(parquet).exists():
        try:
            old = read_entry(parquet)
        except IncompleteEntry as exc:
            log.info("%s; replacing it", exc)
        except CacheCorruptError as exc:
            moved = _move_aside(parquet, "corrupt")
            log.warning("%s; kept it as %s and writing a fresh copy", exc, moved)
        else:
            rev = compare_frames(old.frame, frame, revision_column)
            if rev.identical:
                log.debug("new download of %s is identical to %s; keeping the cached file", label, parquet)
                return old
            supersedes = _move_aside(parquet, "superseded")
            if rev.is_revision:
                what = f"max |relative change| of {revision_column}" if revision_column else "max |change|"
                warnings.warn(
                    DataRevisionWarning(
                        f"{label}: the new download differs from the cached copy retrieved "
                        f"{old.manifest.get('retrieved_at', '?')}: {rev.n_changed} of {rev.n_common} common rows changed "
                        f"({what} {rev.max_change:.6g}), {rev.n_removed} date(s) removed, {rev.n_added} added; "
                        f"the new data is used and cached in {parquet.name}, the old copy is kept as {supersedes}"
                    ),
                    stacklevel=2,
                )
            else:
                log.info("%s: %d new row(s) appended to the cached copy; old copy kept as %s", label, rev.n_added, supersedes)
    full: dict[str, Any] = {
        "format": MANIFEST_FORMAT,
        **manifest,
        "retrieved_at": manifest.get("retrieved_at") or utc_now_iso(),
        "versions": package_versions(),
        "file": parquet.name,
        "rows": len(frame),
        "first": fmt_date(frame.index.min()) if len(frame) else None,
        "last": fmt_date(frame.index.max()) if len(frame) else None,
        "supersedes": supersedes,
        "write_id": uuid.uuid4().hex,
    }
    # one unit: the parquet carries its manifest; the .json (with the checksum) is renamed last
    data = frame_to_parquet_bytes(frame, full)
    checksum = sha256_bytes(data)
    full["sha256"] = checksum
    atomic_write_bytes(parquet, data)
    atomic_write_bytes(manifest_path(parquet), (json.dumps(full, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    return CacheEntry(frame=frame, path=parquet, sha256=checksum, manifest=full)


# --- price files -------------------------------------------------------------------
def price_file(cache_dir: Path, symbol: str, start: pd.Timestamp | None, end: pd.Timestamp | None) -> Path:
    """The cache file of one yfinance request."""
    return Path(cache_dir) / "prices" / symbol / f"yahoo_{fmt_date(start) or 'first'}_{fmt_date(end) or 'latest'}.parquet"


def _parse_request(name: str) -> tuple[pd.Timestamp | None, pd.Timestamp | None] | None:
    parts = name.removesuffix(".parquet").split("_")
    if len(parts) != 3 or parts[0] != "yahoo" or "." in name.removesuffix(".parquet"):
        return None
    try:
        s = None if parts[1] == "first" else pd.Timestamp(parts[1])
        e = None if parts[2] == "latest" else pd.Timestamp(parts[2])
    except ValueError:
        return None
    return s, e


def find_price_files(cache_dir: Path, symbol: str, start: pd.Timestamp | None, end: pd.Timestamp | None) -> list[Path]:
    """Current (not superseded) cache files of ``symbol`` whose request covers ``[start, end]``.

    A request covers another when its start is open or not later, and its end is
    open or not earlier.  The exact request comes first, then the others by name.
    """
    exact = price_file(cache_dir, symbol, start, end)
    folder = exact.parent
    if not folder.is_dir():
        return []
    clean_stale(folder)
    found = []
    for path in sorted(folder.glob("yahoo_*.parquet")):
        req = _parse_request(path.name)
        if req is None:
            continue
        s, e = req
        if (s is None or (start is not None and s <= start)) and (e is None or (end is not None and e >= end)):
            found.append(path)
    found.sort(key=lambda p: p != exact)
    return found
