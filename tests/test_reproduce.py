"""The reproduce command: executes numbered notebooks in order, writes reports, names a failing cell."""

from __future__ import annotations

import nbformat

from research_lib.cli.app import main


def _write(path, cells: list[str]) -> None:  # noqa: ANN001
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# t")] + [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, path)


def test_reproduce_writes_reports_and_names_the_failing_cell(tmp_path, capsys) -> None:  # noqa: ANN001
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    _write(nbs / "01_ok.ipynb", ["x = 6 * 7", "print(x)"])
    _write(nbs / "02_bad.ipynb", ["y = 1", "raise ValueError('boom')"])
    _write(nbs / "scratch.ipynb", ["raise RuntimeError('not numbered, never run')"])
    out = tmp_path / "reports"
    code = main(["reproduce", "--notebooks", str(nbs), "--output", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert "02_bad.ipynb" in err and "cell 2" in err and "boom" in err
    assert (out / "01_ok.html").is_file() and "42" in (out / "01_ok.ipynb").read_text()
    assert not (out / "scratch.ipynb").exists()

    code = main(["reproduce", "--notebooks", str(nbs), "--output", str(out), "--only", "01"])
    assert code == 0
    assert "1 notebooks executed" in capsys.readouterr().out


def test_relative_snapshot_setting_reaches_the_kernel(tmp_path, monkeypatch, shared_data) -> None:  # noqa: ANN001
    """A kernel starts in the notebook's folder; a relative RESEARCH_LIB_SNAPSHOT must still point at the data."""
    import os

    nbs = tmp_path / "project" / "notebooks"
    nbs.mkdir(parents=True)
    _write(nbs / "01_env.ipynb", ["from research_lib.data import load_price", "print(load_price('BABA').source)"])
    monkeypatch.chdir(tmp_path / "project")
    monkeypatch.setenv("RESEARCH_LIB_SNAPSHOT", os.path.relpath(shared_data, tmp_path / "project"))
    out = tmp_path / "reports"
    assert main(["reproduce", "--notebooks", str(nbs), "--output", str(out)]) == 0
    assert "snapshot" in (out / "01_env.ipynb").read_text()
    assert os.environ["RESEARCH_LIB_SNAPSHOT"] == os.path.relpath(shared_data, tmp_path / "project")  # restored


def test_missing_snapshot_is_reported_before_any_kernel_starts(tmp_path, monkeypatch, capsys) -> None:  # noqa: ANN001
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    _write(nbs / "01_ok.ipynb", ["x = 1"])
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RESEARCH_LIB_SNAPSHOT", "no/such/folder")
    assert main(["reproduce", "--notebooks", str(nbs), "--output", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "no/such/folder" in err and "does not exist" in err and str(tmp_path) in err


def test_failed_notebook_keeps_the_good_report_and_the_index_links_each(tmp_path, capfd) -> None:  # noqa: ANN001
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# One\n\n**Question.** Is six times seven forty-two?"),
                nbformat.v4.new_code_cell("from IPython.display import Markdown\nMarkdown(f'answer: {6 * 7}')"),
                nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nplt.plot([1, 2]);")]
    nb.cells[1].metadata["tags"] = ["answer"]
    nbformat.write(nb, nbs / "01_q.ipynb")
    out = tmp_path / "reports"
    assert main(["reproduce", "--notebooks", str(nbs), "--output", str(out)]) == 0
    index = (out / "index.html").read_text()
    assert "Is six times seven forty-two?" in index and "answer: 42" in index and 'href="01_q.html"' in index
    assert "commit" in index and "pandas" in index
    assert 'alt="01_q: figure 1' in (out / "01_q.html").read_text()
    good = (out / "01_q.html").read_text()
    streams = capfd.readouterr()
    shown = streams.err + streams.out
    assert "Kernel is running over TCP" not in shown and "Alternative text is missing" not in shown
    assert "warning" not in shown.lower(), shown

    nb.cells[1].source = "raise ValueError('broken')"
    nbformat.write(nb, nbs / "01_q.ipynb")
    assert main(["reproduce", "--notebooks", str(nbs), "--output", str(out)]) == 2
    assert (out / "01_q.html").read_text() == good, "a failed run must keep the previous good report"
    assert (out / "01_q.failed.ipynb").is_file()
    assert "answer: 42" in (out / "index.html").read_text()
    assert not list(out.glob(".*.partial"))


def test_provenance_of_study_uses_the_study_sources_without_reloading(tmp_path) -> None:  # noqa: ANN001
    import pandas as pd
    import pytest

    from research_lib.errors import InvalidRequestError
    from research_lib.runner.provenance import provenance_of_study

    snap = tmp_path / "snap"
    src = pd.DataFrame({"symbol": ["B", "A", "A"], "source": "snapshot", "first": pd.Timestamp("2024-01-02"),
                        "last": pd.Timestamp("2024-12-31"), "sha256": "abc",
                        "origin": [str(snap / "prices" / "B.csv"), str(snap / "prices" / "A.csv"), str(snap / "prices" / "A.csv")]})
    snap.mkdir()
    prov = provenance_of_study(src, snapshot=snap, offline=True)
    assert list(prov.prices["symbol"]) == ["A", "B"] and list(prov.prices["origin"]) == ["prices/A.csv", "prices/B.csv"]
    assert "pandas" in prov.versions.index and str(tmp_path) not in str(prov)
    with pytest.raises(InvalidRequestError, match="sources needs"):
        provenance_of_study(pd.DataFrame({"symbol": ["A"]}), snapshot=snap, offline=True)


def test_reproduce_times_each_part_and_runs_two_at_a_time_in_notebook_order(tmp_path, capsys) -> None:  # noqa: ANN001
    """Two kernels at a time: records and printed lines come back in notebook order, with the time split."""
    import json

    from research_lib.runner.reproduce import TIMINGS_FILE, reproduce

    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    # 01 is the slowest: with two at a time it finishes after 02 and 03, yet is reported first
    _write(nbs / "01_slow.ipynb", ["import time", "time.sleep(1.5)"])
    _write(nbs / "02_fast.ipynb", ["import json", "x = 2"])
    _write(nbs / "03_fast.ipynb", ["from math import pi", "y = pi"])
    out = tmp_path / "reports"
    runs = reproduce(nbs, out, jobs=2, progress=False)
    assert [r.name for r in runs] == ["01_slow.ipynb", "02_fast.ipynb", "03_fast.ipynb"]
    for run in runs:
        t = run.timing
        assert t is not None and min(t.kernel_start, t.imports, t.cells, t.shutdown, t.export) >= 0
        assert abs(t.kernel_start + t.imports + t.cells + t.shutdown - run.seconds) < 1e-6
    slow = runs[0].timing
    assert slow is not None and slow.cells >= 1.4 > slow.imports  # the sleep is in the second cell, not the import cell
    index = (out / "index.html").read_text()
    assert "What reproduce spent and where" in index and "kernel start" in index and "2 notebook(s) at a time" in index
    saved = json.loads((out / TIMINGS_FILE).read_text())
    assert saved["jobs"] == 2 and set(saved["notebooks"]) == {"01_slow", "02_fast", "03_fast"}
    assert saved["notebooks"]["01_slow"]["total"] >= 1.5

    assert main(["reproduce", "--notebooks", str(nbs), "--output", str(out), "--jobs", "2", "--only", "02", "03"]) == 0
    printed = capsys.readouterr().out
    assert printed.index("02_fast") < printed.index("03_fast") and "import cell" in printed and "2 at a time" in printed
    kept = json.loads((out / TIMINGS_FILE).read_text())["notebooks"]
    assert kept["01_slow"]["total"] == saved["notebooks"]["01_slow"]["total"]  # not run this time: its figure is kept


def test_two_at_a_time_a_failure_starts_no_further_notebook_and_keeps_the_reports(tmp_path, capsys) -> None:  # noqa: ANN001
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    _write(nbs / "01_bad.ipynb", ["raise ValueError('first')"])
    _write(nbs / "02_ok.ipynb", ["import time", "time.sleep(3.0)", "z = 3"])  # outlasts 01_bad's start and failure
    _write(nbs / "03_bad.ipynb", ["raise ValueError('second')"])
    _write(nbs / "04_never.ipynb", ["w = 4"])
    out = tmp_path / "reports"
    assert main(["reproduce", "--notebooks", str(nbs), "--output", str(out), "--jobs", "2"]) == 2
    err = capsys.readouterr().err
    assert "01_bad.ipynb" in err and "first" in err and "03_bad" not in err  # the first failure in notebook order
    assert (out / "02_ok.html").is_file(), "the notebook running beside the failed one finishes and is written"
    assert (out / "01_bad.failed.ipynb").is_file() and not (out / "04_never.ipynb").exists()
    assert not (out / "03_bad.failed.ipynb").exists(), "no notebook starts after a failure"
    assert 'href="02_ok.html"' in (out / "index.html").read_text()


def test_start_order_longest_first_and_unreadable_timings() -> None:
    from pathlib import Path

    from research_lib.runner.reproduce import import_cells, previous_timings, start_order

    paths = [Path(f"{n}.ipynb") for n in ("01_a", "02_b", "03_c", "04_d")]
    assert start_order(paths, {}) == paths
    # unknown ones first (in order), then the longest; ties keep notebook order
    assert [p.stem for p in start_order(paths, {"01_a": 3.0, "02_b": 9.0, "04_d": 3.0})] == ["03_c", "02_b", "01_a", "04_d"]
    assert previous_timings(Path("/no/such/folder")) == {}
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# t"), nbformat.v4.new_code_cell("import os\nN = 3"),
                nbformat.v4.new_code_cell("# the imports\nimport math"), nbformat.v4.new_code_cell("import json")]
    nb.cells[1].metadata["tags"] = ["parameters"]
    assert import_cells(nb) == {2}
    nb.cells[3].metadata["tags"] = ["imports"]
    assert import_cells(nb) == {3}


def test_reproduce_refuses_zero_jobs(tmp_path) -> None:  # noqa: ANN001
    import pytest

    from research_lib.runner.reproduce import NotebookExecutionError, reproduce

    (tmp_path / "nb").mkdir()
    _write(tmp_path / "nb" / "01_x.ipynb", ["x = 1"])
    with pytest.raises(NotebookExecutionError, match="jobs must be 1 or more"):
        reproduce(tmp_path / "nb", tmp_path / "out", jobs=0, progress=False)


def test_cli_imports_nbformat_without_the_iri_grammar_and_validation_still_works() -> None:
    """The CLI skips jsonschema's IRI checker on import (1-2 s); notebooks still validate, the module still imports."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from research_lib.runner.reproduce import _import_nbclient_without_iri_grammar as f\n"
        "f()\n"
        "assert 'rfc3987_syntax' not in sys.modules and 'jsonschema' in sys.modules\n"
        "import nbformat\n"
        "nb = nbformat.v4.new_notebook(); nb.cells = [nbformat.v4.new_code_cell('x = 1')]; nbformat.validate(nb)\n"
        "bad = nbformat.from_dict({'cells': [], 'metadata': {'kernelspec': 7}, 'nbformat': 4, 'nbformat_minor': 5})\n"
        "try:\n    nbformat.validate(bad)\nexcept nbformat.ValidationError:\n    print('refused')\n"
        "import importlib.util\n"
        "if importlib.util.find_spec('rfc3987_syntax'):\n    import rfc3987_syntax  # noqa: F401\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True).stdout
    assert out.split() == ["refused", "ok"]
