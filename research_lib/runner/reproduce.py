"""Execute the numbered notebooks on fresh kernels and write reports.

``research-lib reproduce`` runs every ``notebooks/NN_*.ipynb`` in order with
``nbclient`` (a fresh kernel each), and writes the executed notebook and an
HTML rendering (``nbconvert``) of each into ``reports/``.  A failing cell
stops the run with a non-zero exit status naming the notebook and the cell.
Outputs are scrubbed of the machine's paths before they are written.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from research_lib.config import absolute_environment
from research_lib.errors import ResearchLibError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_PATTERN = re.compile(r"^\d{2}_.+\.ipynb$")


class NotebookExecutionError(ResearchLibError):
    """A notebook cell raised; the message names the notebook and the cell."""


@dataclass(frozen=True)
class NotebookRun:
    """One executed notebook: where it went and how long it took."""

    name: str
    seconds: float
    executed: Path
    html: Path


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
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from nbconvert import HTMLExporter

    nb = _read_notebook(path)
    if parameters:
        _inject_parameters(nb, parameters)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    try:
        with absolute_environment():  # the kernel starts in the notebook's folder
            client.execute()
    except CellExecutionError as exc:
        idx, first = _failing_cell(nb)
        out_dir.mkdir(parents=True, exist_ok=True)
        _scrub_notebook(nb)
        nbformat.write(nb, out_dir / path.name)
        ename = getattr(exc, "ename", "error")
        evalue = getattr(exc, "evalue", str(exc).splitlines()[-1] if str(exc) else "")
        raise NotebookExecutionError(
            f"{path.name}: cell {idx} ({first!r}) failed with {ename}: {evalue}; "
            f"the partly executed notebook is in {out_dir / path.name}"
        ) from None
    seconds = time.perf_counter() - start
    _scrub_notebook(nb)
    out_dir.mkdir(parents=True, exist_ok=True)
    executed = out_dir / path.name
    nbformat.write(nb, executed)
    html, _ = HTMLExporter().from_notebook_node(nb)
    html_path = executed.with_suffix(".html")
    html_path.write_text(html, encoding="utf-8")
    return NotebookRun(path.name, seconds, executed, html_path)


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
              timeout: int = 1200, progress: bool | None = None) -> list[NotebookRun]:
    """Execute the numbered notebooks in order; return one record per notebook."""
    from tqdm.auto import tqdm

    folder = notebooks or PROJECT_ROOT / "notebooks"
    out_dir = output or folder.parent / "reports"
    paths = numbered_notebooks(folder)
    if only:
        paths = [p for p in paths if any(p.name.startswith(prefix) for prefix in only)]
    if not paths:
        raise NotebookExecutionError(f"no numbered notebooks (NN_*.ipynb) found in {folder}; check --notebooks/--only")
    runs = []
    bar = tqdm(paths, desc="notebooks", unit="nb", disable=not (sys.stderr.isatty() if progress is None else progress))
    for path in bar:
        bar.set_postfix_str(path.name)
        runs.append(execute_notebook(path, out_dir, timeout=timeout))
    return runs


def reproduce_from_cli(args: argparse.Namespace) -> int:
    """Handler of ``research-lib reproduce``."""
    runs = reproduce(
        Path(args.notebooks) if args.notebooks else None,
        Path(args.output) if args.output else None,
        args.only,
        args.timeout,
        progress=True,
    )
    for r in runs:
        print(f"{r.name:<45} {r.seconds:7.1f} s  -> {r.html}")
    print(f"{len(runs)} notebooks executed in {sum(r.seconds for r in runs):.1f} s")
    return 0
