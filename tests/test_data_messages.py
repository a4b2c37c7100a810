"""Confusing messages made clear (issue 12): events files, snapshot paths, broken notebooks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from research_lib.cli.app import main
from research_lib.errors import CatalogueError, SnapshotError
from research_lib.events.reader import read_events


def _write(tmp_path: Path, text: str, name: str = "events.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_semicolon_separated_events_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "event_id;symbol;benchmark;event_date\nx;BABA;^GSPC;2025-02-24\n")
    with pytest.raises(CatalogueError, match="looks semicolon-separated.*commas as separators.*sep=';'"):
        read_events(path)


def test_tab_separated_events_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "event_id\tsymbol\tbenchmark\tevent_date\nx\tBABA\t^GSPC\t2025-02-24\n")
    with pytest.raises(CatalogueError, match="looks tab-separated"):
        read_events(path)


def test_unclosed_quote(tmp_path: Path) -> None:
    path = _write(tmp_path, 'event_id,symbol,benchmark,event_date\nx,"BABA,^GSPC,2025-02-24\ny,BABA,^GSPC,2025-02-25\n')
    with pytest.raises(CatalogueError, match=r"quote \(\"\) is opened starting on line 2 and never closed"):
        read_events(path)


def test_folder_as_events_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="is a folder, not a file"):
        read_events(tmp_path)


def test_dash_as_events_file() -> None:
    with pytest.raises(CatalogueError, match="standard input"):
        read_events("-")


@pytest.mark.parametrize("target", ["folder", "-"])
def test_cli_folder_or_dash_as_events_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str) -> None:
    arg = str(tmp_path) if target == "folder" else "-"
    assert main(["study", arg]) == 2
    err = capsys.readouterr().err
    assert ("is a folder" if target == "folder" else "standard input") in err and "not found" not in err


def test_fifo_as_events_file(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(CatalogueError, match="not a regular file"):
        read_events(tmp_path / "pipe")


def test_snapshot_path_that_is_a_file(shared_data: Path) -> None:
    from research_lib.data import load_price

    with pytest.raises(SnapshotError, match="is a file, not a folder"):
        load_price("MSFT", snapshot=shared_data / "prices" / "MSFT.csv", offline=True)


@pytest.mark.parametrize(("content", "why"), [
    ("{}", "missing a key: cells"),
    ('{"cells": [{"cell_type": "code", "metadata": {}, "outputs": []}], "metadata": {}, "nbformat": 4, '
     '"nbformat_minor": 5}', "'source' is a required property"),
    ("not json", "does not appear to be JSON"),
])
def test_broken_notebook_names_the_file(tmp_path: Path, content: str, why: str) -> None:
    from research_lib.runner.reproduce import NotebookExecutionError, execute_notebook

    nb = _write(tmp_path, content, "01_broken.ipynb")
    with pytest.raises(NotebookExecutionError, match="01_broken.ipynb: not a valid Jupyter notebook") as info:
        execute_notebook(nb, tmp_path / "out")
    assert why in str(info.value)
