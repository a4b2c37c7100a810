"""One validation for every entry point (issue 12, item 4): the DataFrame path, the keyword call,
the spec, and the command line refuse the same bad inputs with a typed error that names the fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research_lib.cli.app import main
from research_lib.errors import CatalogueError, DataError, EventError, InvalidRequestError, WindowError
from research_lib.spec import StudySpec
from research_lib.study import event_study
from tests.test_study import _events, _prices


def test_dataframe_event_date_must_be_iso() -> None:
    ev = _events().astype({"event_date": object})
    ev.loc[0, "event_date"] = "04/02/2025"  # read as 2 April before; ambiguous, so refused
    with pytest.raises(CatalogueError, match="YYYY-MM-DD"):
        event_study(ev, prices=_prices())


@pytest.mark.parametrize(("options", "error", "fix"), [
    ({"min_estimation": 120.7}, WindowError, "whole number"),
    ({"car_windows": [(0, 1.9)]}, WindowError, "whole number"),
    ({"estimation_window": (-250.5, -11)}, WindowError, "whole number"),
    ({"confidence": 95}, InvalidRequestError, "confidence=0.95"),
    ({"confidence": -0.5}, InvalidRequestError, "between 0 and 1"),
    ({"confidence": 1.0}, InvalidRequestError, "between 0 and 1"),
    ({"car_windows": (0, 1)}, WindowError, r"car_windows=\[\(0, 1\)\]"),
    ({"exclude_dates": "2024-06-03"}, WindowError, r"exclude_dates=\['2024-06-03'\]"),
    ({"exclude_dates": ["03/06/2024"]}, WindowError, "YYYY-MM-DD"),
    ({"returns": "logs"}, InvalidRequestError, "'simple', 'log'"),
    ({"model": "market_model"}, InvalidRequestError, "'market'"),
    ({"conventions": "sigma2days"}, InvalidRequestError, "'textbook'"),
    ({"bhar_benchmark": "index"}, InvalidRequestError, "'model', 'benchmark'"),
    ({"estimation_window": (-11, -250)}, WindowError, "a <= b"),
    ({"modle": "market"}, InvalidRequestError, "unknown study option"),
])
def test_bad_options_are_refused_not_truncated(options, error, fix) -> None:  # noqa: ANN001
    with pytest.raises(error, match=fix):
        event_study(_events(), prices=_prices(), **options)
    if "modle" not in options:  # the spec itself refuses them the same way
        with pytest.raises(error, match=fix):
            StudySpec(**options)


def test_events_none_and_empty_frame() -> None:
    with pytest.raises(EventError, match="events is None; pass a DataFrame"):
        event_study(None, prices=_prices())  # type: ignore[arg-type]
    with pytest.raises(EventError, match="no rows"):
        event_study(_events().iloc[:0], prices=_prices())
    with pytest.raises(EventError, match="DataFrame or a CSV path"):
        event_study([("a1", "AAA")], prices=_prices())  # type: ignore[arg-type]


def test_spec_must_be_a_studyspec() -> None:
    with pytest.raises(InvalidRequestError, match="spec must be a StudySpec"):
        event_study(_events(), {"model": "market"}, prices=_prices())  # type: ignore[arg-type]


def test_prices_must_be_series() -> None:
    with pytest.raises(DataError, match=r"prices\['MSFT'\] is a list, not a pandas Series"):
        event_study(_events(), prices={"MSFT": [1, 2, 3]})  # type: ignore[dict-item]
    bad = {k: v.reset_index(drop=True) for k, v in _prices().items()}
    with pytest.raises(DataError, match="not indexed by dates"):
        event_study(_events(), prices=bad)


def test_cli_refuses_non_iso_dates_and_empty_json(tmp_path, capsys) -> None:  # noqa: ANN001
    assert main(["data-report", "BABA", "--start", "01/02/2025"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err
    csv = tmp_path / "events.csv"
    csv.write_text("event_id,symbol,benchmark,event_date\nbaba,BABA,^GSPC,2025-02-24\n")
    assert main(["study", str(csv), "--json", ""]) == 2
    assert "path is empty" in capsys.readouterr().err
    assert main(["study", str(csv), "--exclude-date", "24/02/2025"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_integral_floats_and_numpy_integers_are_accepted() -> None:
    a = event_study(_events(), prices=_prices(), min_estimation=np.int64(120), car_windows=[(np.int64(0), 1.0)])
    b = event_study(_events(), prices=_prices(), car_windows=[(0, 1)])
    assert a.spec == b.spec
    pd.testing.assert_frame_equal(a.events, b.events)


@pytest.mark.parametrize(("options", "error", "fix"), [
    ({"min_estimation": 120.7}, WindowError, "whole number"),
    ({"car_windows": (0, 1)}, WindowError, r"car_windows=\[\(0, 1\)\]"),
    ({"car_windows": [(0, 1.9)]}, WindowError, "whole number"),
    ({"model": "marekt"}, InvalidRequestError, "'market'"),
])
def test_template_entry_point_validates_before_starting_a_kernel(tmp_path, options, error, fix) -> None:  # noqa: ANN001
    from research_lib.runner.template import run_template

    csv = tmp_path / "events.csv"
    csv.write_text("event_id,symbol,benchmark,event_date\nbaba,BABA,^GSPC,2025-02-24\n")
    with pytest.raises(error, match=fix):
        run_template(csv, tmp_path / "out.ipynb", **options)
    assert not (tmp_path / "out.ipynb").exists()  # refused before a kernel started
