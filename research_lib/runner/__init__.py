"""Running notebooks: reproduce, the template, and provenance records."""

from __future__ import annotations

from research_lib.runner.provenance import (
    Provenance,
    package_versions,
    provenance_table,
)
from research_lib.runner.reproduce import (
    NotebookExecutionError,
    NotebookRun,
    execute_notebook,
    numbered_notebooks,
    reproduce,
    reproduce_from_cli,
    scrub_paths,
)
from research_lib.runner.template import (
    TEMPLATE,
    TemplateExecutionError,
    run_template,
)

__all__ = [
    "package_versions",
    "Provenance",
    "provenance_table",
    "NotebookExecutionError",
    "NotebookRun",
    "numbered_notebooks",
    "scrub_paths",
    "execute_notebook",
    "reproduce",
    "reproduce_from_cli",
    "TEMPLATE",
    "TemplateExecutionError",
    "run_template",
]
