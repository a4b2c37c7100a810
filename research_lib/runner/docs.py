"""Build the documentation site offline.

``research-lib docs`` stages the executed notebooks of the last ``reproduce``
run (``reports/NN_*.ipynb``) into ``docs/notebooks/`` with a provenance note on
top of each, and runs Sphinx with warnings as errors into ``docs/_build/html``.
Where there are no reports it runs ``reproduce`` first, so the site never
executes a notebook itself (MyST-NB runs with ``nb_execution_mode = "off"``).

MathJax is served from the ``jupyter-server-mathjax`` wheel (MathJax 2.7, a
PyPI package pinned in the lock file), copied into the site's ``_static``: the
pages render formulas without any network access.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import inspect
import json
import logging
import os
import re
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from research_lib.errors import ResearchLibError
from research_lib.runner.provenance import LOCK_FILE as PROVENANCE_LOCK_FILE
from research_lib.runner.reproduce import PROJECT_ROOT, numbered_notebooks

logger = logging.getLogger(__name__)

DOCS_DIR = PROJECT_ROOT / "docs"
LOCK_FILE = PROVENANCE_LOCK_FILE
#: environment variables read by ``docs/conf.py``
ENV_REPORTS = "RESEARCH_LIB_DOCS_REPORTS"
ENV_ALLOW_UNEXECUTED = "RESEARCH_LIB_DOCS_UNEXECUTED"


class DocsBuildError(ResearchLibError):
    """Sphinx failed (a warning counts as a failure); the message says where the log is."""


@dataclass(frozen=True)
class DocsBuild:
    """A finished site build."""

    html: Path
    seconds: float
    pages: int
    executed: bool


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def lock_hash(lock: Path = LOCK_FILE) -> str | None:
    """sha256 of the lock file, or ``None`` when the project has none (an installed wheel)."""
    return sha256_file(lock) if lock.is_file() else None


def _run_window(nb: dict[str, Any]) -> tuple[str, str]:
    """First and last execution timestamps recorded by nbclient in the cells' metadata."""
    stamps = [
        t
        for cell in nb.get("cells", [])
        for key in ("iopub.execute_input", "shell.execute_reply")
        if (t := cell.get("metadata", {}).get("execution", {}).get(key))
    ]
    return (min(stamps), max(stamps)) if stamps else ("not recorded", "not recorded")


def provenance_markdown(executed: Path, source: Path | None) -> str:
    """The note put on top of a rendered notebook: which run, which source, which environment."""
    nb = json.loads(executed.read_text(encoding="utf-8"))
    start, end = _run_window(nb)
    ran = any(c.get("outputs") for c in nb.get("cells", []) if c.get("cell_type") == "code")
    lock = lock_hash()
    lines = [
        "```{admonition} Provenance of this page",
        ":class: note",
        "",
        f"- Rendered from: `reports/{executed.name}` (sha256 `{sha256_file(executed)[:16]}`)"
        if ran else f"- **Not executed**: rendered from the source `notebooks/{executed.name}` (no `reproduce` run found)",
        f"- Executed: {start} to {end} (UTC, recorded by nbclient)" if ran else "- Executed: no",
    ]
    if source is not None and source.is_file():
        lines.append(f"- Source notebook: `notebooks/{source.name}` (sha256 `{sha256_file(source)[:16]}`)")
    lines.append(f"- Lock file when the site was built: `requirements/lock-py311.txt` (sha256 `{lock[:16]}`); "
                 "the run's own is the `lock-py311.txt sha256` row of its Software table" if lock else "- Lock file: none")
    lines += [
        "- Data files, their checksums and the package versions of the run: the notebook's own *Provenance* cell below.",
        "```",
    ]
    return "\n".join(lines)


def public_objects(module_name: str) -> list[str]:
    """Functions and classes named in a module's ``__all__`` (its public callables when it has none)."""
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n, v in vars(module).items() if not n.startswith("_") and getattr(v, "__module__", None) == module_name]
    return [n for n in names if inspect.isclass(getattr(module, n, None)) or inspect.isfunction(getattr(module, n, None))]


def api_index_rst(sections: Sequence[tuple[str, str]]) -> str:
    """The API reference's index: one autosummary table per (module, title), each object listed once.

    An object exported by several modules (``research_lib.event_study`` is
    ``research_lib.study.event_study``) is documented under the first section
    that exports it, so Sphinx sees no duplicate description.
    """
    seen: set[int] = set()
    parts = ["API reference", "=============", "",
             "Generated from the public API (the modules' ``__all__``) at build time: each function and class",
             "has its own page, with the formulas of its Notes and the sources of its References.", ""]
    for module_name, title in sections:
        module = importlib.import_module(module_name)
        rows = []
        for name in public_objects(module_name):
            obj = getattr(module, name)
            if id(obj) not in seen:
                seen.add(id(obj))
                rows.append(f"   {module_name}.{name}")
        if rows:
            parts += [title, "-" * len(title), "", f"``{module_name}``", "",
                      ".. autosummary::", "   :toctree: generated", "   :nosignatures:", "", *sorted(rows), ""]
    return "\n".join(parts)


@dataclass(frozen=True)
class NotebookUse:
    """A call of a public name in a notebook: which notebook, under which heading."""

    notebook: str  # file stem, e.g. ``01_alibaba_new_york``
    title: str  # the notebook's title
    section: str  # the heading the calling cell sits under


def notebook_uses(folder: Path, names: Sequence[str], quoted: Sequence[str] = ()) -> dict[str, list[NotebookUse]]:
    """Where each of ``names`` is called (``name(``) in the notebooks of ``folder``, by section.

    ``quoted`` names count where they appear as a string literal (``"bmp"``, ``'market'``): the
    notebooks select tests and models by name (``tests=["bmp"]``, ``model="market"``), so the
    API page of a statistic or a model links to the sections that use it.

    The API pages link to these sections, so a reader of a statistic's formula finds the
    notebook that applies it.
    """
    calls = {n: re.compile(rf"(?<![\w.]){re.escape(n)}\(") for n in names}
    calls.update({n: re.compile(rf"[\"']{re.escape(n)}[\"']") for n in quoted})
    out: dict[str, list[NotebookUse]] = {}
    for path in numbered_notebooks(folder) if folder.is_dir() else []:
        nb = json.loads(path.read_text(encoding="utf-8"))
        title, section = path.stem, ""
        for cell in nb.get("cells", []):
            src = "".join(cell.get("source", ""))
            if cell.get("cell_type") == "markdown":
                for line in src.splitlines():
                    if line.startswith("# ") and title == path.stem:
                        title = line[2:].strip()
                    elif line.startswith("## "):
                        section = line[3:].strip()
                continue
            for name, pattern in calls.items():
                use = NotebookUse(path.stem, title, section or title)
                if pattern.search(src) and use not in out.get(name, []):
                    out.setdefault(name, []).append(use)
    return out


def stage_notebooks(dest: Path, reports: Path | None = None, allow_unexecuted: bool = False) -> bool:
    """Copy the executed notebooks into ``dest`` with a provenance cell on top.

    Returns whether the notebooks are executed ones (``False`` means the source
    notebooks were staged, which only ``allow_unexecuted`` permits).
    """
    reports = reports or PROJECT_ROOT / "reports"
    sources = {p.name: p for p in numbered_notebooks(PROJECT_ROOT / "notebooks")} if (PROJECT_ROOT / "notebooks").is_dir() else {}
    found = numbered_notebooks(reports) if reports.is_dir() else []
    executed = bool(found)
    if not found:
        if not allow_unexecuted:
            raise DocsBuildError(f"no executed notebooks in {reports}; run `research-lib reproduce` first")
        found = list(sources.values())
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for path in found:
        nb = json.loads(path.read_text(encoding="utf-8"))
        note: dict[str, Any] = {"cell_type": "markdown", "metadata": {}, "source": provenance_markdown(path, sources.get(path.name))}
        if (nb.get("nbformat"), nb.get("nbformat_minor", 0)) >= (4, 5):
            note["id"] = "provenance-of-this-page"
        nb["cells"].insert(_after_title(nb), note)
        (dest / path.name).write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return executed


def _after_title(nb: dict[str, Any]) -> int:
    """Index after the first markdown cell (the title), so the page keeps its heading."""
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") == "markdown":
            return i + 1
    return 0


def build_docs(output: Path | None = None, reports: Path | None = None, *, run_reproduce: bool = True,
               allow_unexecuted: bool = False, strict: bool = True) -> DocsBuild:
    """Build the HTML site into ``output`` (default ``docs/_build/html``).

    Parameters
    ----------
    output : folder for the HTML.
    reports : folder of the executed notebooks (default ``reports/``).
    run_reproduce : run ``reproduce`` first when ``reports`` holds no notebook.
    allow_unexecuted : render the source notebooks when no reports exist (tests only).
    strict : treat Sphinx warnings as errors (``-W --keep-going``).
    """
    from sphinx.cmd.build import build_main

    output = output or DOCS_DIR / "_build" / "html"
    reports = reports or PROJECT_ROOT / "reports"
    if run_reproduce and not (reports.is_dir() and numbered_notebooks(reports)):
        from research_lib.runner.reproduce import reproduce

        logger.info("no reports in %s: running reproduce first", reports)
        reproduce(output=reports)  # its kernels draw inline figures whatever MPLBACKEND is set here
    os.environ[ENV_REPORTS] = str(reports)
    os.environ[ENV_ALLOW_UNEXECUTED] = "1" if allow_unexecuted else ""
    doctrees = output.parent / "doctrees"
    args = ["-b", "html", "-q", "-d", str(doctrees), str(DOCS_DIR), str(output)]
    if strict:
        args[:0] = ["-W", "--keep-going"]
    start = time.perf_counter()
    status = build_main(args)
    seconds = time.perf_counter() - start
    if status != 0:
        raise DocsBuildError(f"sphinx-build failed with status {status} (warnings fail the build); see the messages above")
    pages = sum(1 for _ in output.rglob("*.html"))
    executed = bool(numbered_notebooks(reports)) if reports.is_dir() else False
    return DocsBuild(output, seconds, pages, executed)


def docs_from_cli(args: argparse.Namespace) -> int:
    """Handler of ``research-lib docs``."""
    build = build_docs(
        Path(args.output) if args.output else None,
        Path(args.reports) if args.reports else None,
        run_reproduce=not args.no_reproduce,
    )
    print(f"{build.pages} pages built in {build.seconds:.1f} s -> {build.html / 'index.html'}")
    print(f"open it: python -m http.server -d {build.html} 8000 --bind 127.0.0.1, then http://127.0.0.1:8000/")
    return 0
