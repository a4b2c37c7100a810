"""The docs machinery without a browser: API index, notebook staging with provenance, lock digest, CLI."""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import re
from pathlib import Path

import pytest
from conftest import REPO

import research_lib
from research_lib.runner import docs as docs_runner
from research_lib.runner.provenance import LOCK_LABEL, package_versions


def _notebook(path: Path, executed: bool) -> Path:
    code = {"cell_type": "code", "metadata": {}, "source": "1 + 1", "execution_count": None, "outputs": [], "id": "c2"}
    if executed:
        code["execution_count"] = 1
        code["outputs"] = [{"output_type": "execute_result", "execution_count": 1, "metadata": {}, "data": {"text/plain": "2"}}]
        code["metadata"] = {"execution": {"iopub.execute_input": "2026-01-02T10:00:00.1Z", "shell.execute_reply": "2026-01-02T10:00:01.5Z"}}
    nb = {
        "nbformat": 4, "nbformat_minor": 5, "metadata": {},
        "cells": [{"cell_type": "markdown", "metadata": {}, "source": "# Title", "id": "c1"}, code],
    }
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def test_api_index_lists_every_public_callable_once() -> None:
    import research_lib

    text = docs_runner.api_index_rst([("research_lib", "Top"), ("research_lib.study", "Study")])
    listed = [line.strip() for line in text.splitlines() if line.startswith("   research_lib.")]
    assert len(listed) == len(set(listed))
    top = set(docs_runner.public_objects("research_lib"))
    assert {f"research_lib.{n}" for n in top} <= set(listed)
    # callables and classes only; constants such as __version__ are not pages
    assert "__version__" in research_lib.__all__ and "research_lib.__version__" not in listed
    # event_study is documented under research_lib (first section), not again under research_lib.study
    assert "research_lib.event_study" in listed and "research_lib.study.event_study" not in listed


def test_stage_puts_the_provenance_of_the_run_after_the_title(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    executed = _notebook(reports / "01_demo.ipynb", executed=True)
    dest = tmp_path / "staged"
    assert docs_runner.stage_notebooks(dest, reports) is True
    nb = json.loads((dest / "01_demo.ipynb").read_text())
    assert [c["cell_type"] for c in nb["cells"]] == ["markdown", "markdown", "code"]
    note = nb["cells"][1]["source"]
    assert hashlib.sha256(executed.read_bytes()).hexdigest()[:16] in note
    assert "2026-01-02T10:00:00.1Z to 2026-01-02T10:00:01.5Z" in note
    assert nb["cells"][1]["id"] == "provenance-of-this-page"
    assert nb["cells"][2]["outputs"][0]["data"]["text/plain"] == "2"  # outputs kept, nothing re-executed


def test_stage_without_reports_needs_permission(tmp_path: Path) -> None:
    with pytest.raises(docs_runner.DocsBuildError, match="research-lib reproduce"):
        docs_runner.stage_notebooks(tmp_path / "staged", tmp_path / "no-reports")
    assert docs_runner.stage_notebooks(tmp_path / "staged", tmp_path / "no-reports", allow_unexecuted=True) is False
    staged = sorted(p.name for p in (tmp_path / "staged").iterdir())
    assert staged == sorted(p.name for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    note = json.loads((tmp_path / "staged" / staged[0]).read_text())["cells"][1]["source"]
    assert "Not executed" in note


def test_run_provenance_names_the_lock_file() -> None:
    lock = REPO / "requirements" / "lock-py311.txt"
    assert package_versions()[LOCK_LABEL] == hashlib.sha256(lock.read_bytes()).hexdigest()[:16]
    assert docs_runner.lock_hash() == hashlib.sha256(lock.read_bytes()).hexdigest()


def test_docs_subcommand_is_wired() -> None:
    from research_lib.cli.app import build_parser

    args = build_parser().parse_args(["docs", "--no-reproduce", "--output", "x"])
    assert args.command == "docs" and args.no_reproduce and args.output == "x"
    assert args.handler.__qualname__.startswith("_add_docs")


def test_example_data_is_deterministic_and_carries_the_planted_effect() -> None:
    from research_lib.examples import BETAS, EVENT_DATES, PLANTED_AR, example_returns

    a, b = example_returns(), example_returns()
    assert a.equals(b) and not a.equals(example_returns(seed=1))
    # the security's return on its day 0 minus the market-model part is the planted AR plus one noise draw
    for sym, day in EVENT_DATES.items():
        resid = a[sym] - 0.0002 - BETAS[sym] * a["^GSPC"]
        day0 = resid.loc[day]
        others = resid.drop(day)
        assert abs(day0 - PLANTED_AR) < 4 * others.std()
        assert abs(others.mean()) < 3 * others.std() / len(others) ** 0.5


def test_notebook_uses_find_the_section_that_calls_a_name(tmp_path: Path) -> None:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": "# A title\n\n## First part"},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": "res = event_study(ev)"},
        {"cell_type": "markdown", "metadata": {}, "source": "## Second part"},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "source": "x = obj.sessions(1)\ny = event_study(ev2)"},
    ]
    (tmp_path / "01_x.ipynb").write_text(json.dumps({"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": cells}))
    uses = docs_runner.notebook_uses(tmp_path, ["event_study", "sessions"])
    assert [(u.notebook, u.title, u.section) for u in uses["event_study"]] == [
        ("01_x", "A title", "First part"), ("01_x", "A title", "Second part")]
    assert "sessions" not in uses  # a method of another object is not a call of the public function


def test_notebook_uses_find_tests_and_models_chosen_by_name(tmp_path: Path) -> None:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": "# T\n\n## Tests"},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "source": "res = event_study(ev, model='dimson', tests=[\"bmp\"])\nbmpx = 1"},
    ]
    (tmp_path / "01_x.ipynb").write_text(json.dumps({"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": cells}))
    uses = docs_runner.notebook_uses(tmp_path, [], quoted=["bmp", "dimson", "patell"])
    assert [u.section for u in uses["bmp"]] == ["Tests"] and [u.section for u in uses["dimson"]] == ["Tests"]
    assert "patell" not in uses


# -- the docstrings' Examples and the user guide ---------------------------------------------------------

GUIDE_PAGES = ("quickstart", "own_data", "choosing", "conventions", "data", "cli")
# the subpackages whose main names must carry an Examples section (beyond research_lib.__all__)
EXAMPLE_MODULES = ("research_lib.inference.parametric", "research_lib.inference.rank", "research_lib.inference.sign",
                   "research_lib.inference.correlation")
STATISTICS = ("t_cross_sectional", "patell", "patell_kp", "bmp", "bmp_kp", "skewness_corrected", "clm_j1", "clm_j2",
              "corrado_rank", "generalized_rank", "sign", "generalized_sign", "wilcoxon", "kolari_pynnonen_r")


def _sections(obj: object) -> set[str]:
    """numpydoc section headers of an object's docstring (a title line followed by dashes)."""
    doc = inspect.getdoc(obj) or ""
    return set(re.findall(r"^(\w[\w ]*)\n-{3,}$", doc, flags=re.M))


def test_every_public_function_and_class_has_an_examples_section() -> None:
    callables = [n for n in research_lib.__all__ if inspect.isclass(getattr(research_lib, n)) or inspect.isfunction(getattr(research_lib, n))]
    assert len(callables) >= 20  # the check is not vacuous
    missing = [n for n in callables if "Examples" not in _sections(getattr(research_lib, n))]
    assert not missing, f"public names without an Examples section: {missing}"
    for name in callables:  # an Examples section with no doctest in it would not run
        assert ">>>" in (inspect.getdoc(getattr(research_lib, name)) or "").split("Examples\n--------", 1)[1], name


def test_the_main_statistics_state_their_formula_as_math_with_a_source() -> None:
    objs = {n: getattr(importlib.import_module(m), n) for m in EXAMPLE_MODULES
            for n in STATISTICS if hasattr(importlib.import_module(m), n)}
    assert set(objs) == set(STATISTICS)
    from research_lib.models.dimson import Dimson
    from research_lib.models.market import MarketModel
    from research_lib.models.scholes_williams import ScholesWilliams

    objs.update(market=MarketModel, scholes_williams=ScholesWilliams, dimson=Dimson)
    for name, obj in objs.items():
        doc = inspect.getdoc(obj) or ""
        assert {"Notes", "References"} <= _sections(obj), name
        assert ".. math::" in doc.split("References\n----------")[0], f"{name}: no .. math:: block in its Notes"


def _toctree_entries(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    blocks = re.findall(r"```\{toctree\}\n(.*?)```", text, flags=re.S)
    return [line.strip() for b in blocks for line in b.splitlines() if line.strip() and not line.startswith(":")]


def test_guide_pages_exist_and_are_in_the_toctree() -> None:
    guide = REPO / "docs" / "guide"
    assert "guide/index" in _toctree_entries(REPO / "docs" / "index.md")
    entries = _toctree_entries(guide / "index.md")
    for page in GUIDE_PAGES:
        assert (guide / f"{page}.md").is_file(), page
        assert page in entries, f"guide/{page}.md is not in the guide's toctree"
    own = (guide / "own_data.md").read_text(encoding="utf-8")
    assert "placeholder" not in own.lower()


def test_the_own_data_page_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every python block of guide/own_data.md, in order, in one namespace, in a temporary folder."""
    text = (REPO / "docs" / "guide" / "own_data.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 4
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, "own_data.md", "exec"), namespace)  # noqa: S102 - the guide's own code
    assert (tmp_path / "results.xlsx").is_file() and (tmp_path / "tables" / "tests.csv").is_file()
    frame = namespace["frame"]
    assert round(float(frame["car[0,0]"].mean()), 2) == 0.05  # the planted day-0 abnormal return
