"""Every numbered notebook executes top to bottom on a fresh kernel, and committed notebooks carry no outputs."""

from __future__ import annotations

import json
import re

import pytest
from conftest import REPO

from research_lib.runner.reproduce import execute_notebook, numbered_notebooks, scrub_paths

NOTEBOOKS = numbered_notebooks(REPO / "notebooks") if (REPO / "notebooks").is_dir() else []
CI_SIM_SAMPLES = 200

# the raw pandas display (0.012224, 72.222222): a number with six or more decimals (as /work/shared/hooks/before-stop)
RAW_NUMBER = re.compile(r"(?<![\w.])-?\d+\.\d{6,}(?![\w])")
HEXISH = re.compile(r"[0-9a-f]{12,}")  # checksums and ids are not numbers
WARNING = re.compile(r"\b\w*Warning\b|\bWARNING\b")


def _shown_text(out: dict) -> str:  # noqa: ANN001
    data = out.get("data", {})
    return "".join(out.get("text", "")) + "".join(data.get("text/html", "") or data.get("text/plain", "")) + "".join(
        data.get("text/markdown", ""))


def raw_numbers(nb: dict) -> list[str]:
    """Numbers with six or more decimals in the outputs of an executed notebook."""
    return [m for c in nb["cells"] for o in c.get("outputs", []) for m in RAW_NUMBER.findall(HEXISH.sub("", _shown_text(o)))]


def printed_warnings(nb: dict) -> list[str]:
    """Outputs that show a warning (a Python warning on stderr, a logged WARNING line)."""
    return [_shown_text(o) for c in nb["cells"] for o in c.get("outputs", []) if WARNING.search(_shown_text(o))
            and (o.get("name") == "stderr" or "Warning" in _shown_text(o))]


@pytest.mark.notebooks
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_executes(path, tmp_path, shared_data, monkeypatch) -> None:  # noqa: ANN001
    # notebook 05's CI size (its text says which verdicts this size cannot support); reproduce runs 1,000
    monkeypatch.setenv("RESEARCH_LIB_SIM_SAMPLES", str(CI_SIM_SAMPLES))
    run = execute_notebook(path, tmp_path, timeout=600)
    nb = json.loads(run.executed.read_text())
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    # a warning printed in a notebook is a defect (QuantEcon's rule)
    stderr = [o.get("text", "") for c in nb["cells"] for o in c.get("outputs", []) if o.get("name") == "stderr"]
    assert not any("Warning" in s for s in stderr), stderr
    assert not printed_warnings(nb), printed_warnings(nb)
    assert not raw_numbers(nb), f"format these for reading: {raw_numbers(nb)[:5]}"
    assert run.html.stat().st_size > 10_000
    assert str(REPO.parent) not in run.executed.read_text()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_notebook_is_clean(path) -> None:  # noqa: ANN001
    nb = json.loads(path.read_text())
    assert nb["cells"][0]["cell_type"] == "markdown", "a notebook opens with its question"
    assert nb["cells"][-1]["cell_type"] == "markdown", "a notebook ends with what it found"
    tagged = [c for c in nb["cells"] if "answer" in c.get("metadata", {}).get("tags", [])]
    assert tagged and all(c["cell_type"] == "code" for c in tagged), "the computed answer is a code cell tagged 'answer' (reports/index.html shows it)"
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None, "commit notebooks without outputs"


def test_scrub_paths_removes_machine_paths() -> None:
    installed = "/".join(["", "opt", "env", "lib", "python3.11", "site-packages", "pandas", "core.py"])
    text = f"File {REPO}/research_lib/x.py, {installed}"
    out = scrub_paths(text, roots=[str(REPO.parent)])
    assert str(REPO.parent) not in out and "/opt/env" not in out
    assert out.endswith("<packages>/pandas/core.py")


def test_raw_number_and_warning_checks_can_fail() -> None:
    shown = {"cells": [{"outputs": [{"output_type": "execute_result", "data": {"text/plain": "car 0.012224, sha 0123456789abcdef0123"}}]}]}
    assert raw_numbers(shown) == ["0.012224"]
    fine = {"cells": [{"outputs": [{"output_type": "stream", "name": "stdout", "text": "CAR -10.23%, t = -7.41, p 0.0003"}]}]}
    assert raw_numbers(fine) == [] and printed_warnings(fine) == []
    warned = {"cells": [{"outputs": [{"output_type": "stream", "name": "stderr", "text": "x.py:3: FutureWarning: soon"}]}]}
    assert printed_warnings(warned)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_and_its_text_pair_are_in_sync(path) -> None:  # noqa: ANN001
    """The ``py:percent`` file is the reviewed source; the ``.ipynb`` must hold exactly its cells."""
    jupytext = pytest.importorskip("jupytext", reason="jupytext is in the dev extra")
    text = path.with_suffix(".py")
    assert text.is_file(), f"pair {path.name} with its text: jupytext --set-formats ipynb,py:percent {path}"
    a, b = jupytext.read(text), jupytext.read(path)
    assert b.metadata.get("jupytext", {}).get("formats") == "ipynb,py:percent"
    assert [(c.cell_type, c.source, sorted(c.metadata.get("tags", []))) for c in a.cells] == [
        (c.cell_type, c.source, sorted(c.metadata.get("tags", []))) for c in b.cells
    ], f"out of sync: run jupytext --sync {text}"
