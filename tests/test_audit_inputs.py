"""Audit: bad inputs that gave a raw traceback, a silent wrong result or a confusing message.

Each test pins one fix; before it the call raised a non-library exception
(TypeError, ValueError, OverflowError, OutOfBoundsDatetime, EmptyDataError,
FileNotFoundError, jsonschema ValidationError), used the wrong data without a
word, or destroyed an input file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from research_lib.cli.app import main
from research_lib.data.basket import read_portfolios
from research_lib.data.screen import check_values
from research_lib.data.user import read_user_data
from research_lib.errors import CatalogueError, DataError, InvalidRequestError, OutputError, WindowError
from research_lib.listings.calendars import sessions
from research_lib.listings.registry import SymbolRegistry
from research_lib.study import event_study, read_price_table

SESS = sessions("AAA", "2020-01-01", "2022-12-31")


def _prices() -> dict[str, pd.Series]:
    rng = np.random.default_rng(411)
    rm = rng.normal(0.0004, 0.01, len(SESS))
    out = {"^GSPC": pd.Series(3000 * np.cumprod(1 + rm), index=SESS)}
    for s in ("AAA", "BBB"):
        out[s] = pd.Series(50 * np.cumprod(1 + 0.9 * rm + rng.normal(0, 0.015, len(SESS))), index=SESS)
    return out


def _events() -> pd.DataFrame:
    return pd.DataFrame({"event_id": ["a1", "b1"], "symbol": ["AAA", "BBB"], "benchmark": ["^GSPC"] * 2,
                         "event_date": ["2021-06-15", "2022-03-15"]})


# ---------------------------------------------------------------- windows: NaN / inf (raw ValueError, OverflowError)
@pytest.mark.parametrize("kw", [{"car_windows": [(0, np.nan)]}, {"event_window": (-10, np.inf)},
                                {"min_estimation": float("nan")}])
def test_non_finite_window_is_a_window_error(kw: dict) -> None:
    with pytest.raises(WindowError, match="not a finite number"):
        event_study(_events(), prices=_prices(), **kw)


# ---------------------------------------------------------------- prices mappings
def test_prices_as_a_dataframe_says_how_to_pass_it() -> None:
    with pytest.raises(DataError, match=r"not DataFrame; for a wide frame .* pass frame.to_dict"):
        event_study(_events(), prices=pd.DataFrame(_prices()))  # type: ignore[arg-type]


def test_prices_with_a_time_zone_are_refused_clearly() -> None:
    p = _prices()
    p["AAA"] = p["AAA"].tz_localize("UTC")
    with pytest.raises(DataError, match=r"prices\['AAA'\] has a time-zone-aware index"):
        event_study(_events(), prices=p)


def test_empty_price_series_is_called_empty() -> None:
    p = {**_prices(), "AAA": pd.Series(dtype=float)}
    with pytest.raises(DataError, match=r"prices\['AAA'\] is an empty Series"):
        event_study(_events(), prices=p)


def test_infinite_price_is_called_infinite() -> None:
    idx = pd.date_range("2024-01-01", periods=3, freq="B")
    with pytest.raises(DataError, match="infinite or not positive"):
        check_values(pd.Series([1.0, np.inf, 3.0], index=idx), "A")


# ---------------------------------------------------------------- events: far dates, duplicate columns
def test_event_date_beyond_pandas_range_names_the_year(tmp_path: Path) -> None:
    ev = _events().assign(event_date=["9999-01-04", "2022-03-15"])
    with pytest.raises(CatalogueError, match="'9999-01-04' is outside the dates pandas can hold"):
        event_study(ev, prices=_prices())
    path = tmp_path / "ev.csv"
    ev.to_csv(path, index=False)
    with pytest.raises(CatalogueError, match="outside the dates pandas can hold"):
        event_study(path, prices=_prices())


def test_duplicate_event_columns_are_refused(tmp_path: Path) -> None:
    ev = _events()
    with pytest.raises(CatalogueError, match="column.*symbol appear more than once"):
        event_study(pd.concat([ev, ev[["symbol"]]], axis=1), prices=_prices())
    # a CSV header with two symbol columns: read_csv renamed the second to symbol.1 and the first was used silently
    path = tmp_path / "ev.csv"
    path.write_text("event_id,symbol,symbol,benchmark,event_date\na1,AAA,BBB,^GSPC,2021-06-15\n")
    with pytest.raises(CatalogueError, match="symbol appear more than once"):
        event_study(path, prices=_prices())


# ---------------------------------------------------------------- user data
@pytest.mark.parametrize("bad", [None, 5])
def test_user_data_of_wrong_type(bad: object) -> None:
    with pytest.raises(DataError, match="must be a DataFrame or the path"):
        read_user_data(bad)  # type: ignore[arg-type]


def test_user_data_empty_file_duplicate_columns_far_dates_unnamed_column(tmp_path: Path) -> None:
    empty = tmp_path / "u.csv"
    empty.write_text("")
    with pytest.raises(DataError, match="is empty"):
        read_user_data(empty)
    dup = pd.DataFrame([["A", "2021-01-04", 0.1, 0.2]], columns=["symbol", "date", "ret", "ret"])
    with pytest.raises(DataError, match="more than once"):
        read_user_data(dup)
    with pytest.raises(DataError, match="date column must hold dates"):
        read_user_data(pd.DataFrame({"symbol": ["A"], "date": ["9999-01-04"], "ret": [0.1]}))
    wide = tmp_path / "w.csv"
    wide.write_text("date,,B\n2021-01-04,1,2\n2021-01-05,1.1,2.1\n")
    with pytest.raises(DataError, match="no symbol in the header"):
        read_user_data(wide)


# ---------------------------------------------------------------- side files: --prices, --registry, --portfolios
def test_price_table_missing_or_empty(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        read_price_table(tmp_path / "none.csv")
    (tmp_path / "p.csv").write_text("")
    with pytest.raises(DataError, match="is empty"):
        read_price_table(tmp_path / "p.csv")


def test_registry_missing_empty_or_wrong_type(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequestError, match="not found"):
        SymbolRegistry.from_csv(tmp_path / "none.csv")
    (tmp_path / "r.csv").write_text("")
    with pytest.raises(InvalidRequestError, match="is empty"):
        SymbolRegistry.from_csv(tmp_path / "r.csv")
    with pytest.raises(InvalidRequestError, match="registry must be a SymbolRegistry"):
        event_study(_events(), prices=_prices(), registry=5)


def test_portfolios_missing_or_empty(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequestError, match="not found"):
        read_portfolios(tmp_path / "none.csv")
    (tmp_path / "pf.csv").write_text("")
    with pytest.raises(InvalidRequestError, match="is empty"):
        read_portfolios(tmp_path / "pf.csv")


def test_cli_side_files_get_library_messages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ev = tmp_path / "ev.csv"
    _events().to_csv(ev, index=False)
    (tmp_path / "empty.csv").write_text("")
    for opt in ("--prices", "--registry", "--portfolios"):
        assert main(["study", str(ev), opt, str(tmp_path / "empty.csv"), "--offline"]) == 2
        err = capsys.readouterr().err
        assert "is empty" in err and "No columns to parse" not in err, err


# ---------------------------------------------------------------- outputs
def test_cli_empty_out_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ev = tmp_path / "ev.csv"
    _events().to_csv(ev, index=False)
    prices = tmp_path / "px.csv"
    pd.DataFrame(_prices()).rename_axis("date").to_csv(prices)
    assert main(["study", str(ev), "--prices", str(prices), "--out", ""]) == 2  # was 0, with nothing written
    assert "--out '' is an empty path" in capsys.readouterr().err


def test_template_refuses_to_write_over_the_events_file(tmp_path: Path) -> None:
    pytest.importorskip("papermill")
    from research_lib.runner.template import run_template

    ev = tmp_path / "ev.csv"
    _events().to_csv(ev, index=False)
    before = ev.read_bytes()
    with pytest.raises(OutputError, match="it is the input file"):
        run_template(ev, ev, html=False)
    with pytest.raises(OutputError, match="it is the input file"):
        run_template(ev, tmp_path / "out.ipynb", json_out=ev, html=False)
    assert ev.read_bytes() == before  # papermill used to replace it with the failed notebook


def test_reproduce_refuses_the_notebooks_folder_as_output(tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    from research_lib.errors import ResearchLibError
    from research_lib.runner.reproduce import reproduce

    nb = tmp_path / "01_x.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), nb)
    before = nb.read_bytes()
    with pytest.raises(ResearchLibError, match="would overwrite the notebooks"):
        reproduce(notebooks=tmp_path, output=tmp_path, progress=False)
    assert nb.read_bytes() == before


def test_date_errors_do_not_repeat_pandas_format_advice(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text("date,AAA\n01/02/2021,2\n")
    with pytest.raises(DataError, match="must hold dates") as info:
        read_price_table(tmp_path / "p.csv")
    assert "passing `format`" not in str(info.value)  # pandas' advice, wrong for a YYYY-MM-DD file format
    with pytest.raises(DataError, match="must hold dates") as info:
        read_user_data(pd.DataFrame({"symbol": ["A"], "date": ["01/04/2021"], "ret": [0.1]}))
    assert "passing `format`" not in str(info.value)


def test_reproduce_missing_notebooks_folder(tmp_path: Path) -> None:
    from research_lib.errors import ResearchLibError
    from research_lib.runner.reproduce import reproduce

    with pytest.raises(ResearchLibError, match="notebooks folder .* does not exist"):  # was a raw FileNotFoundError
        reproduce(notebooks=tmp_path / "none", output=tmp_path / "out", progress=False)


def test_output_refusal_is_said_once(tmp_path: Path) -> None:
    from research_lib.outputs import resolve_target

    src = tmp_path / "events.csv"
    src.write_text("x\n")
    with pytest.raises(OutputError) as info:
        resolve_target(src, inputs=[src], what="--json")
    # was "cannot write --json '...': cannot write --json ...: it is the input file ..." (the OutputError re-wrapped)
    assert str(info.value).count("cannot write") == 1, str(info.value)


def test_reproduce_reports_the_broken_notebook_not_a_missing_folder(tmp_path: Path) -> None:
    from research_lib.errors import ResearchLibError
    from research_lib.runner.reproduce import reproduce

    (tmp_path / "nb").mkdir()
    (tmp_path / "nb" / "01_broken.ipynb").write_text("{")
    with pytest.raises(ResearchLibError, match="01_broken") as info:  # was "[Errno 2] No such file ...: 'out'"
        reproduce(notebooks=tmp_path / "nb", output=tmp_path / "out", progress=False)
    assert "No such file" not in str(info.value)


# ---------------------------------------------------------------- wave 2 audit: cases left open
def test_empty_tests_list_is_refused_with_the_alternatives() -> None:
    with pytest.raises(InvalidRequestError, match=r"tests=\[\] asks for no tests; pass tests=None .*'all'"):
        event_study(_events(), prices=_prices(), tests=[])


def test_exclude_date_that_is_no_session_warns_it_removes_nothing() -> None:
    from research_lib.study import ExcludeDateWarning

    with pytest.warns(ExcludeDateWarning, match="2021-01-02 is not a trading session .* removes nothing"):
        event_study(_events(), prices=_prices(), exclude_dates=["2021-01-02", "2021-01-04"])  # a Saturday, a Monday
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", ExcludeDateWarning)  # a real session: no warning
        event_study(_events(), prices=_prices(), exclude_dates=["2021-01-04"])


def _long(**cols: list) -> pd.DataFrame:
    base = {"symbol": ["AAA"] * 3, "date": ["2024-01-02", "2024-01-03", "2024-01-04"]}
    return pd.DataFrame({**base, **cols})


def test_negative_volume_in_user_data_names_the_row() -> None:
    with pytest.raises(DataError, match=r"1 row\(s\) with negative volume, e.g. \['AAA 2024-01-03'\]"):
        read_user_data(_long(price=[10.0, 11.0, 12.0], volume=[100.0, -5.0, 200.0]))


def test_negative_volume_in_the_volume_measure_names_the_event() -> None:
    from research_lib.engine.windows import WindowSpec, anchor_events, build_panel
    from research_lib.measures.volume import abnormal_volume, volume_arrays

    p = _prices()
    anchored, _ = anchor_events(_events())
    panel, _ = build_panel(anchored, p, WindowSpec((-250, -11), (-10, 10), 100), model="constant_mean")
    frames = {s: pd.DataFrame({"volume": np.full(len(SESS), 1000.0)}, index=SESS) for s in p}
    frames["BBB"].loc[SESS[SESS.get_indexer([pd.Timestamp("2022-03-15")])[0]], "volume"] = -3.0
    with pytest.raises(InvalidRequestError, match=r"1 negative volume value\(s\) in volume_evt, e.g. \['b1 BBB 2022-03-15'\]"):
        abnormal_volume(panel, volume_arrays(panel, frames), "constant_mean")


@pytest.mark.parametrize("entries", [None, "XNYS", {"10107": "NOPE"}, {"10107": {"timezone": "UTC"}}])
def test_symbol_registry_constructor_validates_like_from_mapping(entries: object) -> None:
    with pytest.raises(InvalidRequestError, match="mapping symbol -> calendar|unknown calendar code|has no 'calendar'"):
        SymbolRegistry(entries)  # type: ignore[arg-type]


def test_symbol_registry_constructor_normalises_like_from_mapping() -> None:
    reg = SymbolRegistry({"vod_ln": "XLON"})  # type: ignore[dict-item]
    assert reg.get("VOD_LN") == SymbolRegistry.from_mapping({"vod_ln": "XLON"}).get("VOD_LN")
    assert reg.get("VOD_LN").calendar == "XLON"  # type: ignore[union-attr]


@pytest.mark.parametrize(("text", "match"), [("EW(AAA,,BBB)", "has an empty member"), ("EW(AAA,BBB,)", "has an empty member"),
                                             ("EW(EW(A,B),C)", "baskets cannot be nested")])
def test_basket_with_empty_or_nested_member_is_refused(text: str, match: str) -> None:
    from research_lib.data.basket import parse_basket

    with pytest.raises(InvalidRequestError, match=match):
        parse_basket(text)


def test_zero_price_is_refused_when_read_with_the_rows_named() -> None:
    with pytest.raises(DataError, match=r"1 zero price\(s\), e.g. \['AAA 2024-01-03'\]"):
        read_user_data(_long(price=[10.0, 0.0, 12.0]))
    wide = pd.DataFrame({"date": ["2024-01-02", "2024-01-03"], "AAA": [10.0, 0.0]})
    with pytest.raises(DataError, match=r"zero price\(s\), e.g. \['2024-01-03'\]"):
        read_user_data(wide)


@pytest.mark.parametrize(("values", "dtype"), [([True, False] * 2, None), (["1.0", "2.0"] * 2, None),
                                               (["1.0", "2.0"] * 2, object)])
def test_non_numeric_prices_series_is_refused_by_dtype(values: list, dtype: object) -> None:
    """A few bad cells among numbers stay the screen's exclusion (tests/test_screen.py); a whole non-number series is refused."""
    from research_lib.spec import check_prices

    s = pd.Series(values, index=pd.date_range("2024-01-01", periods=4, freq="B"), dtype=dtype)
    with pytest.raises(DataError, match=r"prices\['AAA'\] has dtype (bool|object|str\w*), not numbers"):
        check_prices({"AAA": s})


def test_run_template_missing_events_file_is_a_typed_error(tmp_path: Path) -> None:
    from research_lib.errors import EventsFileNotFoundError
    from research_lib.runner.template import run_template

    with pytest.raises(EventsFileNotFoundError, match="events file .*absent.csv: file not found"):
        run_template(tmp_path / "absent.csv", tmp_path / "x.ipynb")
    with pytest.raises(CatalogueError, match="is a folder"):
        run_template(tmp_path, tmp_path / "x.ipynb")
