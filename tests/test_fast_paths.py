"""The vectorised steps on the way in and out give what the row-by-row versions they replace gave.

Each test compares a fast path with a plain reference written here (one value, one row at a
time, as the code did before): the results document value for value, anchoring, the attrition
log, event dates, field counts of snapshot files, and placing series on calendars.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pandas as pd
import pytest

from research_lib.analysis.tables import load_schema, results_json, user_columns
from research_lib.data._common import date_positions, values_on_dates
from research_lib.data.screen import _stale_runs, check_values
from research_lib.data.snapshot import _check_field_counts
from research_lib.engine.returns import compute_returns
from research_lib.engine.windows import anchor_events
from research_lib.errors import DataError, SnapshotError
from research_lib.events.attrition import Attrition
from research_lib.events.reader import parse_event_date, read_events
from research_lib.examples import example_events, example_prices
from research_lib.listings.calendars import get_calendar
from research_lib.listings.symbols import lookup
from research_lib.models.fit import market_beta
from research_lib.study import event_study


# --------------------------------------------------------------------------- the results document
@pytest.fixture(scope="module")
def study() -> Any:
    ev = example_events()
    extra = pd.DataFrame({"event_id": ["no_px", "weekend", "late"], "symbol": ["EXZ", "EXB", "EXC"],
                          "benchmark": "^GSPC", "event_date": ["2024-03-01", "2024-03-16", "2024-08-29"]})
    ev = pd.concat([ev, extra], ignore_index=True)
    ev["region"] = ["US", "EU", None, "US", "ASIA", "US", "EU", "EU"]
    ev["size"] = [1.5, np.nan, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return event_study(ev, prices=example_prices(), car_windows=[(0, 0), (-1, 1)], min_estimation=120)


def _plain(v: Any) -> Any:
    """The old cell conversion (analysis.tables._jsonable), one value at a time."""
    if v is None or isinstance(v, bool | str):
        return v
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, int | np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        return float(v) if math.isfinite(float(v)) else None
    if isinstance(v, pd.Timestamp | np.datetime64):
        return None if pd.isna(v) else pd.Timestamp(v).isoformat()
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return str(v)


def _num(x: Any) -> float | None:
    v = float(x)
    return v if math.isfinite(v) else None


def _reference_events(res: Any) -> list[dict[str, Any]]:
    """Per-event records built row by row (the layout of results_json before it was vectorised)."""
    ab, ev = res.abnormal, res.events.reset_index(drop=True)
    tau = [str(int(t)) for t in ab.panel.tau_evt]
    keys = [f"{a},{b}" for a, b in res.parameters.car_windows]
    beta = market_beta(ab)
    out = []
    for i in range(len(ev)):
        row = ev.iloc[i]
        rec = {"event_id": str(row["event_id"]), "symbol": str(row["symbol"]), "benchmark": str(row["benchmark"]),
               "event_date": pd.Timestamp(row["day0"]).strftime("%Y-%m-%d"), "n_estimation": int(row["n_est"]),
               "alpha": _num(row["alpha"]), "beta": None if beta is None else _num(beta[i]), "sigma": _num(row["sigma"]),
               "params": {name: _num(row[name]) for name in ab.param_names},
               "ar": {t: _num(a) for t, a in zip(tau, ab.ar[i], strict=True)},
               "car": {k: {m: _num(row[f"{m}[{k}]"]) for m in ("car", "se", "t", "p")} for k in keys}}
        dates = pd.DatetimeIndex(ab.panel.evt_dates[i])
        rec["dates"] = {t: (None if pd.isna(d) else d.strftime("%Y-%m-%d")) for t, d in zip(tau, dates, strict=True)}
        rec["columns"] = {c: _plain(row[c]) for c in user_columns(res)}
        out.append(rec)
    return out


def test_results_document_equals_the_row_by_row_build(study: Any) -> None:
    doc = results_json(study)
    assert doc["events"] == _reference_events(study)
    att = study.attrition
    assert doc["attrition"] == [{c: _plain(v) for c, v in row.items()} for row in att.to_dict("records")]
    assert {a["event_id"] for a in doc["attrition"]} >= {"no_px", "weekend", "late"}
    assert doc["events"][0]["columns"] == {"region": "US", "size": 1.5}
    assert doc["events"][1]["columns"] == {"region": "EU", "size": None}  # NaN -> null, as before
    jsonschema.validate(json.loads(json.dumps(doc)), load_schema())


def test_results_document_with_missing_abnormal_returns(study: Any) -> None:
    """A non-finite AR (None in the document) sits where it was; the rest is untouched."""
    ar = study.abnormal.ar
    saved = ar[1, 3]
    ar[1, 3] = np.nan
    try:
        doc = study.to_json_dict()
        assert doc["events"][1]["ar"]["-7"] is None
        assert doc["events"] == [{k: e[k] for k in doc["events"][0]} for e in _reference_events(study)]
    finally:
        ar[1, 3] = saved


# --------------------------------------------------------------------------- anchoring and the attrition log
def _reference_anchor(sym: str, day: pd.Timestamp) -> tuple[str, pd.Timestamp | None]:
    sess = pd.DatetimeIndex(get_calendar(lookup(sym).calendar).sessions)
    if day < sess[0] or day > sess[-1]:
        return "excluded", None
    nxt = sess[sess >= day][0]
    return ("kept" if nxt == day else "shifted"), nxt


def test_anchoring_matches_a_per_row_calendar_lookup() -> None:
    days = ["2024-03-01", "2024-03-02", "2024-03-29", "1850-01-01", "2024-12-25", "2024-07-04", "2024-03-04"]
    syms = ["AAPL", "BABA", "9988.HK", "9988.HK", "MSFT", "AAPL", "NOPE.XX"]
    ev = pd.DataFrame({"event_id": [f"e{i}" for i in range(len(days))], "symbol": syms,
                       "benchmark": ["^GSPC", "^GSPC", "^HSI", "^HSI", np.nan, "^GSPC", "^GSPC"],
                       "event_date": pd.to_datetime(days)})
    for frame in (ev, ev.assign(event_date=days)):  # a datetime column at once, text value by value
        anchored, table = anchor_events(frame)
        day0 = dict(zip(anchored["event_id"], anchored["day0"], strict=True))
        for i, (sym, day) in enumerate(zip(syms, days, strict=True)):
            if sym == "NOPE.XX":
                assert table.loc[i, "status"] == "excluded" and table.loc[i, "reason"].startswith("unknown security")
                continue
            status, expect = _reference_anchor(sym, pd.Timestamp(day))
            assert table.loc[i, "status"] == status, (sym, day)
            if expect is not None:
                assert day0[f"e{i}"] == expect
        assert table.loc[0, "reason"] == "day 0 given as the XNYS session 2024-03-01"
        assert table.loc[1, "reason"] == ("event date 2024-03-02 (Saturday) is not a XNYS session; "
                                          "day 0 is the next session 2024-03-04")
        assert table.loc[3, "reason"].startswith("event date 1850-01-01 is outside the XHKG calendar (")


def test_attrition_table_appends_as_record_by_record() -> None:
    frame = pd.DataFrame({"event_id": [1, "b", "c"], "symbol": ["A", "B", "C"], "status": ["kept", "excluded", "kept"],
                          "reason": ["ok", "gone", 3.5], "stage": ["anchor", np.nan, None]})
    fast, slow = Attrition(), Attrition()
    fast.add_table(frame)
    fast.add_table(frame.assign(status="excluded"), "panel")
    for stage in (None, "panel"):
        part = frame if stage is None else frame.assign(status="excluded")
        for row in part.itertuples(index=False):
            slow.record(row.event_id, row.symbol, row.status, stage or str(row.stage or ""), str(row.reason))
    pd.testing.assert_frame_equal(fast.table(), slow.table())
    pd.testing.assert_frame_equal(fast.log(), slow.log())


def test_event_dates_parsed_together_equal_one_by_one() -> None:
    texts = ["2024-03-01", " 2024-03-04 ", "2024-02-30", "9999-01-01", "24/02/2025", "2024-1-2", "2024-03-01"]
    ev = pd.DataFrame({"event_id": [f"e{i}" for i in range(len(texts))], "symbol": "AAPL", "benchmark": "^GSPC",
                       "event_date": texts})
    with pytest.raises(Exception) as caught:
        read_events(ev)
    for i, text in enumerate(texts):
        try:
            parse_event_date(text)
        except ValueError as exc:
            assert f"row {i + 1} (event_id 'e{i}'): {exc}" in str(caught.value)
        else:
            assert f"row {i + 1} " not in str(caught.value)
    good = read_events(ev.iloc[[0, 1, 6]])
    assert good["event_date"].tolist() == [parse_event_date(texts[k]) for k in (0, 1, 6)]
    assert str(good["event_date"].dtype) == "datetime64[ns]"


# --------------------------------------------------------------------------- snapshot files and calendars
def _per_line_counts(data: bytes) -> str | None:
    lines = data.rstrip(b"\r\n \t").splitlines()
    counts = [line.count(b",") for line in lines]
    bad = [i for i, c in enumerate(counts) if c != counts[0]]
    return None if not bad else f"line {bad[0] + 1}"


@pytest.mark.parametrize("body", [
    b"date,a,b\n2024-01-02,1,2\n2024-01-03,3,4\n",
    b"date,a,b\n2024-01-02,1,2\n\n2024-01-03,3,4\n",
    b"date,a,b\n2024-01-02,1\n2024-01-03,3,4\n",
    b"date,a,b\n2024-01-02,1,2\n2024-01-03,3,4,5\n\n\n",
    b"date,a,b\r\n2024-01-02,1,2\r\n2024-01-03,3\r\n",
    b"date,a,b\r2024-01-02,1,2\r2024-01-03,3,4\r",
])
def test_field_counts_at_once_as_line_by_line(body: bytes, tmp_path: Path) -> None:
    expected = _per_line_counts(body)
    if expected is None:
        _check_field_counts(tmp_path / "x.csv", body, "date,a,b")
        return
    with pytest.raises(SnapshotError, match=expected + " "):
        _check_field_counts(tmp_path / "x.csv", body, "date,a,b")


def test_date_positions_and_values_equal_get_indexer_and_reindex() -> None:
    rng = np.random.default_rng(3)
    sess = pd.bdate_range("2020-01-01", periods=400)
    have = sess[np.sort(rng.choice(len(sess), 250, replace=False))]
    target = sess[rng.choice(len(sess), 300)].append(pd.DatetimeIndex([pd.NaT, pd.Timestamp("2030-01-01")]))
    cases = [(have, target), (have.as_unit("s"), target), (have[::-1], target), (have.append(have[:3]), sess),
             (have.tz_localize("UTC"), target.tz_localize("UTC")), (have[:0], target),
             (pd.DatetimeIndex([pd.NaT]).append(have), target)]
    for index, tgt in cases:
        if index.has_duplicates:
            with pytest.raises(Exception):  # noqa: B017 (get_indexer's own error on repeated dates)
                index.get_indexer(tgt)
            with pytest.raises(ValueError):
                values_on_dates(pd.Series(np.arange(len(index), dtype=float), index=index), tgt)
            continue
        np.testing.assert_array_equal(date_positions(index, tgt), index.get_indexer(tgt))
        series = pd.Series(rng.normal(size=len(index)), index=index)
        np.testing.assert_array_equal(values_on_dates(series, tgt), series.reindex(tgt).to_numpy(dtype=float))


def test_float_and_object_closes_give_the_same_returns_and_errors() -> None:
    px = example_prices()["EXA"]
    sess = pd.DatetimeIndex(px.index)
    holes = px.copy()
    holes.iloc[[5, 6, 40]] = np.nan
    for series in (px, holes):
        pd.testing.assert_series_equal(compute_returns(series, sess), compute_returns(series.astype(object), sess))
    for bad in (np.inf, -1.0, 0.0):
        broken = holes.copy()
        broken.iloc[10] = bad
        with pytest.raises(DataError) as fast:
            check_values(broken, "EXA")
        with pytest.raises(DataError) as slow:
            check_values(broken.astype(object), "EXA")
        assert str(fast.value) == str(slow.value)


def test_stale_runs_only_long_runs_listed() -> None:
    v = np.array([1.0, 1, 1, 1, 1, 2, 3, 3, 3, 3, 3, 3, 4, 4])
    dates = pd.bdate_range("2024-01-01", periods=len(v))
    found = _stale_runs(pd.Series(v, index=dates), dates, "X", 5)
    assert [(f.date, f.size, f.last) for f in found] == [(dates[0], 5.0, dates[4]), (dates[6], 6.0, dates[11])]
