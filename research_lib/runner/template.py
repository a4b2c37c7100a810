"""Run the event-study template notebook on any events file (with papermill).

``research_lib/runner/template_event_study.ipynb`` is a parameterised notebook: its
cell tagged ``parameters`` sets ``events_file``, ``estimation_window``,
``event_window``, ``car_windows``, ``model``, ``conventions``,
``min_estimation`` and ``json_out``.  :func:`run_template` executes it with
:func:`papermill.execute_notebook` (which inserts the values after that cell)
into a new notebook, so a researcher gets a complete, executed report of a
study of their own events::

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

from research_lib.config import absolute_environment
from research_lib.errors import InvalidRequestError, ResearchLibError

__all__ = ["TEMPLATE", "TemplateExecutionError", "run_template"]

#: The template notebook of the project (present in a source checkout).
# Package data: the template ships inside the wheel (importlib.resources), not beside a checkout.
TEMPLATE = Path(str(resources.files("research_lib") / "runner" / "template_event_study.ipynb"))


class TemplateExecutionError(ResearchLibError):
    """A cell of the template notebook raised; the message names the error and the partly executed output."""


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
    FileNotFoundError
        If the events file or the template does not exist.
    TemplateExecutionError
        If a cell fails (bad events, no prices ...): the message gives the
        error of the cell; the partly executed notebook is at ``output_path``.
    """
    events = Path(events_csv).resolve()
    if not events.is_file():
        raise FileNotFoundError(f"events file {events} not found; pass a CSV with event_id,symbol,benchmark,event_date|announced_at")
    # the design gets the same validation as every other entry point before a kernel is started
    # (the events file is read and validated in the notebook, whose failing cell is then reported)
    from research_lib.spec import StudySpec

    StudySpec(estimation_window=tuple(estimation_window), event_window=tuple(event_window),  # type: ignore[arg-type]
              car_windows=car_windows, model=model, conventions=conventions,  # type: ignore[arg-type]
              min_estimation=min_estimation)
    nb = Path(template).resolve() if template is not None else TEMPLATE
    if not nb.is_file():
        raise FileNotFoundError(
            f"template notebook {nb} not found; run from a source checkout of research_lib or pass template="
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
    }
    if params["car_windows"] is None:
        params["car_windows"] = [[0, 0], [0, 1], [-1, 1]]
    out = Path(output_path)
    out.parent.mkdir(parents=True, exist_ok=True)
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
    return out
