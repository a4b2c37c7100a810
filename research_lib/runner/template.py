"""Run the event-study template notebook on any events file (with papermill).

``research_lib/runner/template_event_study.ipynb`` is a parameterised notebook: its
cell tagged ``parameters`` sets ``events_file``, ``estimation_window``,
``event_window``, ``car_windows``, ``model``, ``conventions``,
``min_estimation``, ``json_out``, and for your own data ``data_file``,
``registry_file``, ``portfolios_file``, ``default_calendar`` and ``group_by``
(CAAR per group and the difference tests).  :func:`run_template` executes it with
:func:`papermill.execute_notebook` (which inserts the values after that cell)
into a new notebook, and writes an HTML report beside it (nbconvert), so a
researcher gets a complete, executed report of a study of their own events::

    from research_lib.runner.template import run_template
    run_template("my_events.csv", "my_study.ipynb", car_windows=[[0, 1], [-1, 1]])

The same from a shell::

    papermill research_lib/runner/template_event_study.ipynb my_study.ipynb \\
        -p events_file "$PWD/my_events.csv" -y "car_windows: [[0, 1], [-1, 1]]"

papermill is an optional dependency (``pip install research_lib[notebooks]``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from research_lib.config import absolute_environment
from research_lib.errors import (
    CatalogueError,
    EventsFileNotFoundError,
    InputFileNotFoundError,
    InvalidRequestError,
    ResearchLibError,
)

__all__ = ["TEMPLATE", "TemplateExecutionError", "readable", "run_template"]

#: columns shown in percent (returns); p-values and statistics get 3 decimals
_PERCENT_PREFIXES = ("car[", "se[", "caar", "aar", "ar", "ar_se", "bhar", "median_car", "diff", "alpha", "sigma",
                     "share_positive", "car")

#: The template notebook of the project (present in a source checkout).
# Package data: the template ships inside the wheel (importlib.resources), not beside a checkout.
TEMPLATE = Path(str(resources.files("research_lib") / "runner" / "template_event_study.ipynb"))


class TemplateExecutionError(ResearchLibError):
    """A cell of the template notebook raised; the message names the error and the partly executed output."""


def _is_percent(col: str) -> bool:
    return col in _PERCENT_PREFIXES or col.startswith(("car[", "se["))


def readable(frame: Any) -> Any:
    """``frame`` styled for reading: returns in percent (2 decimals), CAAR% as is, statistics and p-values 3 decimals."""
    import pandas as pd

    fmt: dict[str, Any] = {}
    for col in frame.columns:
        name = str(col)
        if not pd.api.types.is_float_dtype(frame[col]):
            continue
        if name == "caar_pct":
            fmt[col] = "{:.2f}%".format
        elif _is_percent(name):
            fmt[col] = "{:.2%}".format
        else:
            fmt[col] = "{:.3f}".format
    return frame.style.format(fmt, na_rep="-").hide(axis="index")


def write_html(notebook: str | os.PathLike[str]) -> Path:
    """The executed notebook as an HTML report beside it (nbconvert; written atomically)."""
    import nbformat
    from nbconvert import HTMLExporter

    src = Path(notebook)
    body, _ = HTMLExporter().from_notebook_node(nbformat.read(str(src), as_version=4))
    out = src.with_suffix(".html")
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(body, encoding="utf-8")
    os.replace(tmp, out)
    return out


def _window(w: Sequence[int], name: str) -> list[int]:
    vals = [int(x) for x in w]
    if len(vals) != 2:
        raise InvalidRequestError(f"{name} {list(w)} must be two integers [a, b]")
    return vals


def run_template(
    events_csv: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    estimation_window: Sequence[int] = (-250, -11),
    event_window: Sequence[int] = (-10, 10),
    car_windows: Iterable[Sequence[int]] | None = ((0, 0), (0, 1), (-1, 1)),
    model: str = "market",
    conventions: str = "textbook",
    min_estimation: int = 120,
    json_out: str | os.PathLike[str] | None = None,
    data: str | os.PathLike[str] | None = None,
    registry: str | os.PathLike[str] | None = None,
    portfolios: str | os.PathLike[str] | None = None,
    default_calendar: str | None = None,
    group_by: str | None = None,
    html: bool = True,
    template: str | os.PathLike[str] | None = None,
    kernel_name: str | None = None,
    timeout: int = 600,
) -> Path:
    """Execute the template notebook on ``events_csv`` and write the executed notebook to ``output_path``.

    Parameters
    ----------
    events_csv
        The events file (see :func:`research_lib.events.reader.read_events`).
    output_path
        Where the executed notebook is written (``.ipynb``).
    estimation_window, event_window, car_windows, model, conventions, min_estimation
        As in :func:`research_lib.study.event_study`.
    json_out
        If given, the notebook also writes ``result.to_json_dict()`` there.
    data, registry, portfolios, default_calendar
        Your returns or prices, calendars and named baskets (files), as in
        :func:`research_lib.study.event_study`.
    group_by
        An events column: the report shows CAAR per group and the difference tests.
    html
        Also write the executed notebook as ``output_path`` with suffix ``.html`` (nbconvert).
    template
        Another template notebook (default: :data:`TEMPLATE`).
    kernel_name
        Jupyter kernel (default: the one named in the notebook, ``python3``).
    timeout
        Per-cell time limit in seconds.

    Returns
    -------
    pathlib.Path
        ``output_path``.

    Raises
    ------
    EventsFileNotFoundError
        If the events file does not exist (a :class:`CatalogueError` and a ``FileNotFoundError``).
    InputFileNotFoundError
        If the template, or a ``data``, ``registry`` or ``portfolios`` file given, does not exist
        (also an ``InvalidRequestError`` and a ``FileNotFoundError``); checked before a kernel starts.
    TemplateExecutionError
        If a cell fails (bad events, no prices ...): the message gives the
        error of the cell; the partly executed notebook is at ``output_path``.
    """
    from research_lib.events.reader import check_events_path

    try:
        events = check_events_path(Path(events_csv)).resolve()
    except CatalogueError as exc:
        raise EventsFileNotFoundError(f"events file {exc}; pass a CSV with event_id,symbol,benchmark,"
                                      "event_date|announced_at") from None
    # the design gets the same validation as every other entry point before a kernel is started
    # (the events file is read and validated in the notebook, whose failing cell is then reported)
    from research_lib.spec import StudySpec

    StudySpec(estimation_window=tuple(estimation_window), event_window=tuple(event_window),  # type: ignore[arg-type]
              car_windows=car_windows, model=model, conventions=conventions,  # type: ignore[arg-type]
              min_estimation=min_estimation)
    nb = Path(template).resolve() if template is not None else TEMPLATE
    if not nb.is_file():
        raise InputFileNotFoundError(
            f"template notebook {nb} not found; pass template= the path of an .ipynb, or reinstall research_lib "
            "(the default template ships with the package)"
        )
    try:
        import papermill as pm
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("run_template needs papermill: pip install 'research_lib[notebooks]'") from exc

    params = {
        "events_file": str(events),
        "estimation_window": _window(estimation_window, "estimation_window"),
        "event_window": _window(event_window, "event_window"),
        "car_windows": None if car_windows is None else [_window(w, "car window") for w in car_windows],
        "model": str(model),
        "conventions": str(conventions),
        "min_estimation": int(min_estimation),
        "json_out": None if json_out is None else str(Path(json_out).resolve()),
        "data_file": _abs(data, "data", "your returns or prices (CSV or parquet: symbol,date,ret|price)"),
        "registry_file": _abs(registry, "registry", "the symbol registry CSV (symbol,calendar,timezone,currency)"),
        "portfolios_file": _abs(portfolios, "portfolios", "the baskets CSV (portfolio,member,weight)"),
        "default_calendar": default_calendar,
        "group_by": group_by,
    }
    if params["car_windows"] is None:
        params["car_windows"] = [[0, 0], [0, 1], [-1, 1]]
    out = Path(output_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    # papermill writes the notebook (and the notebook --json) in place: refuse a target that is an input
    from research_lib.outputs import resolve_target

    inputs: list[str | os.PathLike[str]] = [p for p in (events, nb, data, registry, portfolios) if p is not None]
    resolve_target(str(out), inputs=inputs, what="output notebook")
    if json_out is not None:
        resolve_target(json_out, inputs=[*inputs, out], what="json_out")
    try:
        with absolute_environment():  # the kernel starts in the template's folder
            pm.execute_notebook(
                str(nb), str(out), parameters=params, kernel_name=kernel_name, cwd=str(nb.parent),
                progress_bar=False, execution_timeout=timeout,
            )
    except pm.PapermillExecutionError as exc:
        raise TemplateExecutionError(
            f"the template failed in cell {exc.exec_count} with {exc.ename}: {exc.evalue}; "
            f"fix the events file or the parameters (the partly executed notebook is {out})"
        ) from None
    if html:
        write_html(out)
    return out


def _abs(path: str | os.PathLike[str] | None, option: str, what: str) -> str | None:
    """The absolute path of an input file given as ``option``, checked before any kernel starts."""
    if path is None:
        return None
    p = Path(path).resolve()
    if not p.is_file():
        state = "is a folder" if p.is_dir() else "not found"
        raise InputFileNotFoundError(f"{option} file {p} {state}; pass {option}= the path of {what}")
    return str(p)
