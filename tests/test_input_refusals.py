"""Refusals at the edges: control characters in events, unreadable parquet data, missing template inputs (clear, typed, nothing lost)."""

from __future__ import annotations

import pandas as pd
import pytest

from research_lib.errors import ResearchLibError
from research_lib.events.reader import read_events


@pytest.mark.parametrize(("column", "value", "shown"), [
    ("symbol", "BA\x00BA", r"'BA\x00BA'"), ("benchmark", "^GS\tPC", r"'^GS\tPC'"), ("event_id", "e\x001", r"'e\x001'"),
])
def test_unprintable_values_are_refused_escaped(tmp_path, column, value, shown) -> None:
    row = {"event_id": "e1", "symbol": "BABA", "benchmark": "^GSPC", "event_date": "2025-02-24", column: value}
    frame = pd.DataFrame([row])
    path = tmp_path / "events.csv"
    path.write_bytes(frame.to_csv(index=False).encode())
    for source in (path, frame):  # the file and the DataFrame entry points say the same
        with pytest.raises(ResearchLibError) as err:
            read_events(source)
        text = str(err.value)
        assert f"{column} {shown} holds an unprintable character" in text and "retype" in text
        assert "\x00" not in text and "\t" not in text  # shown escaped, never raw


@pytest.mark.parametrize("content", [b"junk", b"PAR1" + b"\x00" * 40 + b"PAR1"])
def test_a_file_that_is_not_parquet_gets_a_data_error_with_the_fix(tmp_path, content) -> None:
    from research_lib.data.user import read_user_data
    from research_lib.errors import DataError

    path = tmp_path / "returns.parquet"
    path.write_bytes(content)
    with pytest.raises(DataError, match="is not a readable parquet file.*to_parquet"):
        read_user_data(path)
    assert path.read_bytes() == content  # the input is left as it was


def test_a_truncated_parquet_file_gets_a_data_error(tmp_path) -> None:
    from research_lib.data.user import read_user_data
    from research_lib.errors import DataError

    path = tmp_path / "returns.parquet"
    pd.DataFrame({"symbol": ["A"] * 3, "date": pd.date_range("2024-01-02", periods=3), "ret": [0.01, 0.0, -0.01]}).to_parquet(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(DataError, match="is not a readable parquet file"):
        read_user_data(path)


@pytest.mark.parametrize("option", ["data", "registry", "portfolios", "template"])
def test_run_template_names_a_missing_input_file_before_any_kernel(tmp_path, option) -> None:
    from research_lib.errors import InputFileNotFoundError
    from research_lib.runner.template import run_template

    events = tmp_path / "events.csv"
    events.write_text("event_id,symbol,benchmark,event_date\ne1,BABA,^GSPC,2025-02-24\n")
    missing = tmp_path / f"no_{option}.csv"
    with pytest.raises(InputFileNotFoundError, match=f"{option}.* not found") as err:
        run_template(events, tmp_path / "out.ipynb", **{option: missing})
    assert isinstance(err.value, FileNotFoundError)  # still a FileNotFoundError for older callers
    assert not (tmp_path / "out.ipynb").exists()  # refused before a kernel started or anything was written
