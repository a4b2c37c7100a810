"""The one writer of outputs (issue 12): refusals, atomic replacement, permissions, the CLI's --json."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from research_lib.cli.app import main

try:  # issue 12 names; imported softly so that the CLI tests fail alone on older code
    from research_lib.errors import OutputError
    from research_lib.outputs import clean_stale_temporaries, write_bytes_atomic, write_json, write_text_atomic
except ImportError:  # pragma: no cover - only on code before issue 12
    OutputError = RuntimeError  # type: ignore[assignment,misc]

EVENTS = "event_id,symbol,benchmark,event_date\nx,BABA,^GSPC,2025-02-24\n"


def _tmps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_write_json_whole_file_and_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        out = write_json(tmp_path / "r.json", {"a": [1, 2]})
    finally:
        os.umask(old)
    assert json.loads(out.read_text()) == {"a": [1, 2]}
    assert stat.S_IMODE(out.stat().st_mode) == 0o644  # not mkstemp's 0o600
    assert _tmps(tmp_path) == []


def test_unserialisable_object_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    target.write_text("old")
    with pytest.raises(TypeError):
        write_json(target, {"a": object()})
    assert target.read_text() == "old" and _tmps(tmp_path) == []


@pytest.mark.parametrize("path", ["", "   "])
def test_empty_path_is_refused(path: str) -> None:
    with pytest.raises(OutputError, match="path is empty"):
        write_text_atomic(path, "x")


def test_input_file_is_refused_by_path_and_inode(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text(EVENTS)
    with pytest.raises(OutputError, match="input file"):
        write_text_atomic(events, "{}", inputs=[events])
    with pytest.raises(OutputError, match="input file"):
        write_text_atomic(tmp_path / "." / "events.csv", "{}", inputs=[str(events)])
    link = tmp_path / "hard.json"
    os.link(events, link)  # another name of the same file
    with pytest.raises(OutputError, match="input file"):
        write_text_atomic(link, "{}", inputs=[events])
    assert events.read_text() == EVENTS


def test_fifo_device_and_folder_are_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OutputError, match="a FIFO"):
        write_text_atomic(fifo, "x")
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # still a FIFO, not replaced by a file
    with pytest.raises(OutputError, match="a device"):
        write_text_atomic("/dev/null", "x")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    with pytest.raises(OutputError, match="a folder"):
        write_text_atomic(tmp_path, "x")
    with pytest.raises(OutputError, match="does not exist"):
        write_text_atomic(tmp_path / "missing" / "x.json", "x")


def test_symlink_is_followed_and_kept(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_text_atomic(link, "new")
    assert link.is_symlink() and real.read_text() == "new"
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "nowhere" / "x.json")
    with pytest.raises(OutputError, match="symbolic link"):
        write_text_atomic(dangling, "x")
    to_fifo = tmp_path / "to_fifo"
    os.mkfifo(tmp_path / "p2")
    to_fifo.symlink_to(tmp_path / "p2")
    with pytest.raises(OutputError, match="a FIFO"):
        write_text_atomic(to_fifo, "x")


def test_symlink_to_an_input_is_refused(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text(EVENTS)
    link = tmp_path / "out.json"
    link.symlink_to(events)
    with pytest.raises(OutputError, match="input file"):
        write_text_atomic(link, "{}", inputs=[events])
    assert events.read_text() == EVENTS


def test_temporary_names_are_unique(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    real = os.replace

    def spy(src: str, dst: str) -> None:
        seen.append(os.path.basename(src))
        real(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    for _ in range(3):
        write_bytes_atomic(tmp_path / "a.json", b"x")
    assert len(set(seen)) == 3 and all(s.startswith(".a.json.") and s.endswith(".tmp") for s in seen)


def test_stale_temporaries_are_cleaned_young_ones_kept(tmp_path: Path) -> None:
    old, young = tmp_path / ".a.json.x1.tmp", tmp_path / ".a.json.x2.tmp"
    old.write_text("half")
    young.write_text("half")
    os.utime(old, (1, 1))
    assert clean_stale_temporaries(tmp_path, older_than=60) == [old]
    assert young.exists() and not old.exists()


# --- the CLI ------------------------------------------------------------------------------------------
def _cli(tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    events = tmp_path / "events.csv"
    if not events.exists():
        events.write_text(EVENTS)
    code = main(["study", str(events), "--json", target])
    return code, capsys.readouterr().err


def test_cli_json_equal_to_events_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _cli(tmp_path, str(tmp_path / "events.csv"), capsys)
    assert code == 2 and "input file" in err and "choose another file name" in err
    assert (tmp_path / "events.csv").read_text() == EVENTS


def test_cli_empty_json_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _cli(tmp_path, "", capsys)
    assert code == 2 and "path is empty" in err


def test_cli_fifo_and_device_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.mkfifo(tmp_path / "pipe")
    code, err = _cli(tmp_path, str(tmp_path / "pipe"), capsys)
    assert code == 2 and "a FIFO" in err and stat.S_ISFIFO((tmp_path / "pipe").stat().st_mode)
    code, err = _cli(tmp_path, "/dev/null", capsys)
    assert code == 2 and "a device" in err


def test_cli_symlink_target_is_written(tmp_path: Path, capsys: pytest.CaptureFixture[str], shared_data: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("{}")
    (tmp_path / "link.json").symlink_to(real)
    code, _ = _cli(tmp_path, str(tmp_path / "link.json"), capsys)
    assert code == 0 and (tmp_path / "link.json").is_symlink()
    assert json.loads(real.read_text())["events"][0]["event_id"] == "x"
    assert _tmps(tmp_path) == []


@pytest.mark.parametrize("bad", ["a\0b.json", "x" * 5000 + ".json"])
def test_unusable_names_are_typed_errors(tmp_path: Path, bad: str) -> None:
    with pytest.raises(OutputError, match="cannot write"):
        write_text_atomic(tmp_path / bad, "x")


def test_symlink_loop_is_a_typed_error(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(OutputError, match="cannot write"):
        write_text_atomic(tmp_path / "a", "x")
