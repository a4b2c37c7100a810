"""Execute the numbered notebooks on fresh kernels and write reports.

``research-lib reproduce`` runs every ``notebooks/NN_*.ipynb`` with
``nbclient`` (a fresh kernel each, started once per notebook), and writes the
executed notebook and an HTML rendering (``nbconvert``) of each into
``reports/``.  With ``jobs=2`` (the default on a machine with two or more
cores) two notebooks run at a time, each on its own kernel; they are started
in notebook order and reported in notebook order, so the output and the index
do not depend on which finished first.  A failing cell stops the run (no
further notebook is started; those already running finish) with a non-zero
exit status naming the notebook and the cell, and keeps the previous good
report of that notebook.  Outputs are scrubbed of the machine's paths before
they are written.

Each run records where its time went (:class:`NotebookTiming`): the kernel's
start, the import cell, the other cells, the kernel's shutdown and the export
(HTML and files); ``reproduce`` prints the split and the index shows it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html as htmllib
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from research_lib.config import absolute_environment
from research_lib.errors import ResearchLibError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_PATTERN = re.compile(r"^\d{2}_.+\.ipynb$")


class NotebookExecutionError(ResearchLibError):
    """A notebook cell raised; the message names the notebook and the cell."""


@dataclass(frozen=True)
class NotebookTiming:
    """Where one notebook's wall time went, in seconds.

    ``kernel_start`` runs from launching the kernel until it answers;
    ``imports`` is the import cell (cells tagged ``imports``, else the first
    code cell after the parameters that starts with ``import``/``from``);
    ``cells`` every other cell; ``shutdown`` the kernel's shutdown and the
    client's own overhead; ``export`` scrubbing, the HTML rendering and
    writing the files.
    """

    kernel_start: float
    imports: float
    cells: float
    shutdown: float
    export: float

    @property
    def total(self) -> float:
        """Wall time of the notebook from kernel launch to its report written."""
        return self.kernel_start + self.imports + self.cells + self.shutdown + self.export

    def as_dict(self) -> dict[str, float]:
        """The parts and the total, rounded to 0.01 s (for printing and the index)."""
        parts = {"kernel start": self.kernel_start, "import cell": self.imports, "other cells": self.cells,
                 "shutdown": self.shutdown, "export": self.export, "total": self.total}
        return {k: round(v, 2) for k, v in parts.items()}


@dataclass(frozen=True)
class NotebookRun:
    """One executed notebook: where it went and how long it took.

    ``seconds`` is the execution (kernel start to shutdown); ``timing`` splits
    it and adds the export.
    """

    name: str
    seconds: float
    executed: Path
    html: Path
    timing: NotebookTiming | None = None


@dataclass
class _Clock:
    """Times taken from nbclient's hooks while one notebook runs (mutable, private)."""

    launched: float = field(default_factory=time.perf_counter)
    ready: float | None = None
    started: dict[int, float] = field(default_factory=dict)
    took: dict[int, float] = field(default_factory=dict)

    def on_ready(self, **_: object) -> None:
        self.ready = time.perf_counter()

    def on_cell(self, cell_index: int, **_: object) -> None:
        self.started[cell_index] = time.perf_counter()

    def on_done(self, cell_index: int, **_: object) -> None:
        self.took[cell_index] = time.perf_counter() - self.started[cell_index]


def import_cells(nb) -> set[int]:  # noqa: ANN001 (nbformat node)
    """Indices of the import cell(s): those tagged ``imports``, else the first code cell opening with an import.

    The ``parameters`` cell is never the import cell (notebook 05's opens with ``import os``).
    """
    tagged = {i for i, c in enumerate(nb.cells) if "imports" in c.get("metadata", {}).get("tags", [])}
    if tagged:
        return tagged
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "parameters" in cell.get("metadata", {}).get("tags", []):
            continue
        lines = [ln for ln in cell.source.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
        if lines and lines[0].startswith(("import ", "from ")):
            return {i}
    return set()


def default_jobs() -> int:
    """Notebooks run at a time by default: two where the machine has two or more cores, else one."""
    return min(2, os.cpu_count() or 1)


def numbered_notebooks(folder: Path) -> list[Path]:
    """The ``NN_*.ipynb`` notebooks of ``folder`` in order."""
    return sorted(p for p in folder.iterdir() if NOTEBOOK_PATTERN.match(p.name))


def scrub_paths(text: str, roots: list[str] | None = None) -> str:
    """Replace machine-specific paths (project root, home, site-packages) by neutral tokens."""
    roots = roots if roots is not None else [str(PROJECT_ROOT.parent), str(Path.home())]
    for root in sorted(filter(None, roots), key=len, reverse=True):
        text = text.replace(root + os.sep, "<root>/").replace(root, "<root>")
    # installed packages: keep the path inside the package, drop the environment's location
    return re.sub(r"\S*(site|dist)-packages[\\/]", "<packages>/", text)


def _scrub_notebook(nb) -> None:  # noqa: ANN001 (nbformat node)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                out["text"] = scrub_paths(out["text"])
            if "traceback" in out:
                out["traceback"] = [scrub_paths(t) for t in out["traceback"]]
            for key, val in out.get("data", {}).items():
                if key.startswith("text/") and isinstance(val, str):
                    out["data"][key] = scrub_paths(val)


def execute_notebook(path: Path, out_dir: Path, timeout: int = 1200, parameters: dict | None = None) -> NotebookRun:
    """Execute one notebook on a fresh kernel; write ``.ipynb`` and ``.html`` into ``out_dir``.

    Raises
    ------
    NotebookExecutionError
        Naming the notebook, the failing cell (index and first line) and the error.
    """
    from nbclient.util import run_sync

    with absolute_environment(), _inline_figures():  # the kernel starts in the notebook's folder
        return run_sync(_execute)(path, out_dir, timeout, parameters)


async def _execute(path: Path, out_dir: Path, timeout: int, parameters: dict | None) -> NotebookRun:
    """Run one notebook on its own kernel, then write its report (the export runs in a thread)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = _read_notebook(path)
    if parameters:
        _inject_parameters(nb, parameters)
    clock = _Clock()
    # The kernel's own start-up notice ("Kernel is running over TCP without encryption": a local kernel
    # on the loopback interface) is not a problem of the notebook; the kernel logs only errors.  Every
    # output has arrived when the last cell replies, so the kernel is stopped at once, not politely.
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}},
                            extra_arguments=["--IPKernelApp.log_level=ERROR"], shutdown_kernel="immediate",
                            on_notebook_start=clock.on_ready, on_cell_execute=clock.on_cell,
                            on_cell_executed=clock.on_done)
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        await client.async_execute()
    except CellExecutionError as exc:
        raise _failed(nb, path, out_dir, exc) from None
    seconds = time.perf_counter() - clock.launched
    start_export = time.perf_counter()
    run = await asyncio.to_thread(_write_report, nb, path, out_dir)
    export = time.perf_counter() - start_export
    kernel_start = (clock.ready or clock.launched) - clock.launched
    imports = sum(t for i, t in clock.took.items() if i in import_cells(nb))
    cells = sum(clock.took.values()) - imports
    timing = NotebookTiming(kernel_start, imports, cells, max(0.0, seconds - kernel_start - imports - cells), export)
    return NotebookRun(run.name, seconds, run.executed, run.html, timing)


def _failed(nb, path: Path, out_dir: Path, exc: Exception) -> NotebookExecutionError:  # noqa: ANN001
    """Write the partly executed notebook beside the reports; the error names the notebook and the cell."""
    import nbformat

    idx, first = _failing_cell(nb)
    _scrub_notebook(nb)
    failed = out_dir / f"{path.stem}.failed.ipynb"
    nbformat.write(nb, failed)
    ename = getattr(exc, "ename", "error")
    evalue = getattr(exc, "evalue", str(exc).splitlines()[-1] if str(exc) else "")
    return NotebookExecutionError(
        f"{path.name}: cell {idx} ({first!r}) failed with {ename}: {evalue}; "
        f"the partly executed notebook is in {failed}; the previous report (if any) is kept"
    )


def _write_report(nb, path: Path, out_dir: Path) -> NotebookRun:  # noqa: ANN001
    """Scrub, render and write the executed notebook and its HTML (the timing fields are filled by the caller)."""
    import nbformat

    _scrub_notebook(nb)
    executed = out_dir / path.name
    html_path = executed.with_suffix(".html")
    # written under temporary names and moved into place together, so that a failure never leaves half a report
    tmp_nb, tmp_html = out_dir / f".{path.name}.partial", out_dir / f".{html_path.name}.partial"
    nbformat.write(nb, tmp_nb)
    tmp_html.write_text(_html(nb, path.stem), encoding="utf-8")
    os.replace(tmp_nb, executed)
    os.replace(tmp_html, html_path)
    (out_dir / f"{path.stem}.failed.ipynb").unlink(missing_ok=True)
    return NotebookRun(path.name, 0.0, executed, html_path)


def _read_notebook(path: Path):  # noqa: ANN202 (nbformat node)
    """Read and validate a notebook; a broken file raises NotebookExecutionError naming it (not a raw traceback)."""
    import warnings

    import nbformat

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # MissingIDFieldWarning and the like: validity is checked below
            nb = nbformat.read(path, as_version=4)
            nbformat.validate(nb)
    except Exception as exc:  # noqa: BLE001 - nbformat raises JSON, validation and conversion errors
        why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise NotebookExecutionError(
            f"{path}: not a valid Jupyter notebook ({type(exc).__name__}: {why}); restore it from version control "
            "or open and save it in Jupyter"
        ) from None
    return nb


@contextlib.contextmanager
def _inline_figures() -> Iterator[None]:
    """Kernels draw figures into the notebook, even when the caller set ``MPLBACKEND=Agg`` for itself.

    With ``MPLBACKEND=Agg`` inherited, a kernel renders every figure off-screen and the report has none.
    """
    old = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = old


def _html(nb, stem: str) -> str:  # noqa: ANN001 (nbformat node)
    """HTML rendering with an alternative text on every figure (nbconvert otherwise logs a warning per notebook)."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter()
    quiet = logging.getLogger("research_lib.runner.nbconvert")
    quiet.setLevel(logging.ERROR)  # the alt-text notice: the figures get their text below
    exporter.log = quiet
    html, _ = exporter.from_notebook_node(nb)
    count = iter(range(1, 10_000))
    return re.sub(r'alt="No description has been provided for this image"',
                  lambda _m: f'alt="{stem}: figure {next(count)} (described in the text around it)"', html)


def _failing_cell(nb) -> tuple[int, str]:  # noqa: ANN001
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                lines = cell.source.strip().splitlines()
                return i, lines[0] if lines else ""
    return -1, ""


def _inject_parameters(nb, parameters: dict) -> None:  # noqa: ANN001
    """Add a cell after the one tagged ``parameters`` (papermill's convention)."""
    import nbformat

    src = "# injected parameters\n" + "\n".join(f"{k} = {v!r}" for k, v in parameters.items())
    cell = nbformat.v4.new_code_cell(src)
    cell.metadata["tags"] = ["injected-parameters"]
    for i, c in enumerate(nb.cells):
        if "parameters" in c.get("metadata", {}).get("tags", []):
            nb.cells.insert(i + 1, cell)
            return
    nb.cells.insert(0, cell)


def reproduce(notebooks: Path | None = None, output: Path | None = None, only: list[str] | None = None,
              timeout: int = 1200, progress: bool | None = None, jobs: int | None = None) -> list[NotebookRun]:
    """Execute the numbered notebooks, ``jobs`` at a time (default :func:`default_jobs`); one record per notebook.

    Each notebook has its own kernel.  Notebooks start in order and the records
    come back in notebook order whatever finished first.  After a failure no
    further notebook starts; those running finish, the index is written, and
    the first failure (in notebook order) is raised.
    """
    from tqdm.auto import tqdm

    folder = notebooks or PROJECT_ROOT / "notebooks"
    out_dir = output or folder.parent / "reports"
    if Path(out_dir).resolve() == Path(folder).resolve():  # each report would replace its own source notebook
        raise NotebookExecutionError(f"the report folder {out_dir} is the notebooks folder; the executed reports "
                                     "would overwrite the notebooks: choose another --output, e.g. reports/")
    if not Path(folder).is_dir():
        raise NotebookExecutionError(f"notebooks folder {folder} does not exist (or is not a folder); check --notebooks")
    if jobs is not None and jobs < 1:
        raise NotebookExecutionError(f"jobs must be 1 or more (got {jobs}); use --jobs 1 to run one notebook at a time")
    paths = numbered_notebooks(folder)
    if only:
        paths = [p for p in paths if any(p.name.startswith(prefix) for prefix in only)]
    if not paths:
        raise NotebookExecutionError(f"no numbered notebooks (NN_*.ipynb) found in {folder}; check --notebooks/--only")
    from nbclient.util import run_sync

    jobs = jobs or default_jobs()
    bar = tqdm(total=len(paths), desc="notebooks", unit="nb",
               disable=not (sys.stderr.isatty() if progress is None else progress))
    start = time.perf_counter()
    done: dict[str, NotebookRun] = {}
    failures: dict[str, BaseException] = {}
    order = start_order(paths, previous_timings(Path(out_dir))) if jobs > 1 else paths
    # the run's provenance (git, package versions: imports pandas) is gathered while the kernels start
    side = ThreadPoolExecutor(max_workers=1)
    provenance = side.submit(_run_provenance)
    try:
        with absolute_environment(), _inline_figures():  # the kernels start in the notebooks' folder
            run_sync(_run_pool)(order, Path(out_dir), timeout, jobs, bar.update, done, failures)
    finally:  # also after a failure or an interrupt: the index then shows the kept reports
        bar.close()
        runs = [done[p.name] for p in paths if p.name in done]
        wall = time.perf_counter() - start
        try:
            write_index(Path(out_dir), runs, wall=wall, jobs=jobs, provenance=provenance.result())
            _write_timings(Path(out_dir), runs, wall, jobs)
        finally:
            side.shutdown()
    for path in paths:  # the first failure in notebook order, whatever failed first in time
        if path.name in failures:
            raise failures[path.name]
    return runs


#: the run's time split, beside the index (read back by the next run to start the longest notebooks first)
TIMINGS_FILE = "reproduce-timings.json"


def previous_timings(out_dir: Path) -> dict[str, float]:
    """Total seconds per notebook in the last run's :data:`TIMINGS_FILE` (empty when there is none or it is unreadable)."""
    import json

    try:
        data = json.loads((out_dir / TIMINGS_FILE).read_text(encoding="utf-8"))
        return {str(k): float(v["total"]) for k, v in data["notebooks"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def start_order(paths: list[Path], last: dict[str, float]) -> list[Path]:
    """Longest first by the last run's totals (notebooks without one first, in order); ties keep notebook order.

    With two kernels at a time, starting the longest notebook last would leave
    one core idle at the end; the reports do not depend on the order.
    """
    rank = {p: i for i, p in enumerate(paths)}
    return sorted(paths, key=lambda p: (-last.get(p.stem, float("inf")), rank[p]))


def _write_timings(out_dir: Path, runs: list[NotebookRun], wall: float, jobs: int) -> None:
    import json

    from research_lib.outputs import write_text_atomic

    if not runs:
        return
    kept = previous_timings(out_dir)  # a notebook not run this time (--only, a failure) keeps its last figure
    data = {"wall": round(wall, 2), "jobs": jobs,
            "notebooks": {k: {"total": v} for k, v in kept.items()} | {row["notebook"]: {k: v for k, v in row.items()
                                                                       if k != "notebook"} for row in timing_table(runs)}}
    write_text_atomic(out_dir / TIMINGS_FILE, json.dumps(data, indent=1, sort_keys=True) + "\n")


async def _run_pool(paths: list[Path], out_dir: Path, timeout: int, jobs: int, tick: Callable[[int], object],
                    done: dict[str, NotebookRun], failures: dict[str, BaseException]) -> None:
    """Run the notebooks at most ``jobs`` at a time into ``done``; stop starting new ones after the first failure."""
    gate = asyncio.Semaphore(jobs)

    async def one(path: Path) -> None:
        async with gate:
            if failures:
                return
            try:
                done[path.name] = await _execute(path, out_dir, timeout, None)
            except Exception as exc:  # noqa: BLE001 - kept and raised by the caller, after the index is written
                failures[path.name] = exc
            finally:
                tick(1)

    # a Semaphore wakes its waiters in the order they queued, so notebooks start in the order given
    await asyncio.gather(*(one(p) for p in paths))


def _question(nb) -> str:  # noqa: ANN001
    """The paragraph of the first Markdown cell that starts with **Question.** (else its title)."""
    first = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
    paragraphs = [p.strip() for p in first.split("\n\n")]
    hit = next((p for p in paragraphs if p.startswith("**Question.**")), paragraphs[0] if paragraphs else "")
    return " ".join(hit.replace("**Question.**", "").split())


def _answer(nb) -> str:  # noqa: ANN001
    """Markdown (or plain text) shown by the cells tagged ``answer``: the notebook's computed findings."""
    parts = []
    for cell in nb.cells:
        if "answer" in cell.get("metadata", {}).get("tags", []):
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                parts.append(data.get("text/markdown") or data.get("text/plain") or out.get("text", ""))
    return "\n\n".join(p for p in parts if p)


def _run_provenance() -> dict[str, str]:
    import datetime as dt
    import subprocess

    from research_lib.config import get_settings
    from research_lib.runner.provenance import package_versions

    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                                text=True, check=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = "unknown (not a git checkout)"
    settings = get_settings()
    data = "snapshot directory (RESEARCH_LIB_SNAPSHOT)" if settings.snapshot else "cache / yfinance"
    out = {"run (UTC)": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M"), "commit": commit,
           "data": data + ("; network off" if settings.offline else "; network allowed")}
    return out | {str(k): str(v) for k, v in package_versions().items()}


def write_index(out_dir: Path, runs: list[NotebookRun], wall: float | None = None, jobs: int | None = None,
                provenance: dict[str, str] | None = None) -> Path:
    """Write ``index.html``: each executed notebook's question, computed findings and link; the run's provenance.

    The index also shows what the run spent and where (:func:`timing_table`).
    ``provenance`` is the run's record (commit, versions; gathered here when not given).
    """
    import nbformat
    from nbconvert.filters import markdown2html

    seconds = {r.name: r.seconds for r in runs}
    rows = []
    # no report folder yet when the first notebook failed before writing one: without it the FileNotFoundError
    # raised here (in reproduce's finally block) replaced the notebook's own error
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    for path in [p for p in numbered_notebooks(out_dir) if not p.name.endswith(".failed.ipynb")]:
        nb = nbformat.read(path, as_version=4)
        took = f"{seconds[path.name]:.1f} s in this run" if path.name in seconds else "kept from an earlier run"
        rows.append(
            f'<section><h2><a href="{htmllib.escape(path.with_suffix(".html").name)}">{htmllib.escape(path.stem)}</a></h2>'
            f"<div><b>Question.</b> {markdown2html(_question(nb))}</div>"
            f"<div><b>What it found</b>{markdown2html(_answer(nb)) or '<p>(no cell tagged answer)</p>'}</div>"
            f"<p><small>{took}</small></p></section>"
        )
    prov = "".join(f"<tr><th>{htmllib.escape(k)}</th><td>{htmllib.escape(str(v))}</td></tr>" for k, v in (provenance or _run_provenance()).items())
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>research_lib reports</title>'
        "<style>body{font-family:sans-serif;max-width:60em;margin:auto;padding:1em}th{text-align:left;padding-right:1em}"
        "td{text-align:right;padding-right:1em}section{border-bottom:1px solid #ccc;padding-bottom:.5em}</style></head><body>"
        f"<h1>research_lib: executed notebooks</h1>{''.join(rows)}{_timing_html(runs, wall, jobs)}"
        f"<h2>Provenance of the run</h2><table>{prov}</table></body></html>"
    )
    index = out_dir / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


def timing_table(runs: list[NotebookRun]) -> list[dict[str, str | float]]:
    """One row per notebook: its name and the parts of :class:`NotebookTiming` in seconds."""
    return [{"notebook": r.name.removesuffix(".ipynb")} | r.timing.as_dict() for r in runs if r.timing is not None]


def _timing_html(runs: list[NotebookRun], wall: float | None, jobs: int | None) -> str:
    table = timing_table(runs)
    if not table:
        return ""
    head = "".join(f"<th>{htmllib.escape(k)}{'' if k == 'notebook' else ' (s)'}</th>" for k in table[0])
    body = "".join("<tr>" + "".join(f"<td>{v}</td>" if k != "notebook" else f"<th>{htmllib.escape(str(v))}</th>"
                                    for k, v in row.items()) + "</tr>" for row in table)
    summed = sum(float(row["total"]) for row in table)
    note = (f"<p>Wall time of the run {wall:.1f} s with {jobs} notebook(s) at a time; the notebooks' own totals sum to "
            f"{summed:.1f} s.</p>" if wall is not None else "")
    return f"<h2>What reproduce spent and where</h2><table><tr>{head}</tr>{body}</table>{note}"


def _import_nbclient_without_iri_grammar() -> None:
    """Import nbclient (and nbformat, jsonschema) without jsonschema's IRI format check.

    ``jsonschema`` registers an ``iri`` format checker only when ``rfc3987_syntax``
    imports, and that module builds a full parser grammar on import: 1.3-1.9 s
    on a 2-core machine, before the first kernel could start.  The notebook
    schema uses no ``iri`` format, so the CLI process (ours alone) does without
    it; the blocker is removed again at once, so a direct import still works.
    """
    if "jsonschema" in sys.modules or "rfc3987_syntax" in sys.modules:
        return
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # `import rfc3987_syntax` then raises ImportError
    try:
        import nbclient  # noqa: F401 - imports nbformat and jsonschema now
    finally:
        del sys.modules["rfc3987_syntax"]


def reproduce_from_cli(args: argparse.Namespace) -> int:
    """Handler of ``research-lib reproduce``: runs the notebooks, prints the time split per notebook."""
    start = time.perf_counter()
    _import_nbclient_without_iri_grammar()
    jobs = getattr(args, "jobs", None) or default_jobs()
    runs = reproduce(
        Path(args.notebooks) if args.notebooks else None,
        Path(args.output) if args.output else None,
        args.only,
        args.timeout,
        progress=True,
        jobs=jobs,
    )
    wall = time.perf_counter() - start
    table = timing_table(runs)
    keys = [k for k in table[0] if k != "notebook"] if table else []
    print(f"{'notebook':<36}" + "".join(f"{k:>14}" for k in keys))
    for row in table:
        print(f"{row['notebook']:<36}" + "".join(f"{row[k]:>13.1f}s" for k in keys))
    if table:
        print(f"{'sum over notebooks':<36}" + "".join(f"{sum(float(r[k]) for r in table):>13.1f}s" for k in keys))
    print(f"{len(runs)} notebooks executed in {wall:.1f} s ({jobs} at a time); reports: {runs[0].html.parent}, "
          f"index: {runs[0].html.parent / 'index.html'}")
    return 0
