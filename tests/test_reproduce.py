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
