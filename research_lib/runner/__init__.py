"""Running notebooks: reproduce, the template, and provenance records.

The names load on first use (PEP 562), so ``research-lib reproduce`` does not
import pandas (through :mod:`~research_lib.runner.provenance`) before its
first kernel starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from research_lib._lazy import lazy_attributes

_EXPORTS: dict[str, str] = {
    "package_versions": "research_lib.runner.provenance",
    "Provenance": "research_lib.runner.provenance",
    "provenance_table": "research_lib.runner.provenance",
    "NotebookExecutionError": "research_lib.runner.reproduce",
    "NotebookRun": "research_lib.runner.reproduce",
    "NotebookTiming": "research_lib.runner.reproduce",
    "numbered_notebooks": "research_lib.runner.reproduce",
    "scrub_paths": "research_lib.runner.reproduce",
    "execute_notebook": "research_lib.runner.reproduce",
    "reproduce": "research_lib.runner.reproduce",
    "reproduce_from_cli": "research_lib.runner.reproduce",
    "TEMPLATE": "research_lib.runner.template",
    "TemplateExecutionError": "research_lib.runner.template",
    "run_template": "research_lib.runner.template",
}

__all__ = [
    "package_versions",
    "Provenance",
    "provenance_table",
    "NotebookExecutionError",
    "NotebookRun",
    "NotebookTiming",
    "numbered_notebooks",
    "scrub_paths",
    "execute_notebook",
    "reproduce",
    "reproduce_from_cli",
    "TEMPLATE",
    "TemplateExecutionError",
    "run_template",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from research_lib.runner.provenance import Provenance, package_versions, provenance_table
    from research_lib.runner.reproduce import (
        NotebookExecutionError,
        NotebookRun,
        NotebookTiming,
        execute_notebook,
        numbered_notebooks,
        reproduce,
        reproduce_from_cli,
        scrub_paths,
    )
    from research_lib.runner.template import TEMPLATE, TemplateExecutionError, run_template


__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS, globals(), __all__)
