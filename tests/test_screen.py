"""The price screen (issue 12): split-like jumps, reversing spikes, stale runs, zero variance.

Each planted error is put into a real snapshot series (MSFT against ^GSPC) and must become a
``suspect`` event (default ``on_suspect="warn"``), an exclusion (``"exclude"``, and always for zero
variance) or nothing (``"ignore"``).  The real series themselves must raise no alarm.
"""

from __future__ import annotations

import math
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from research_lib import event_study
from research_lib.data import load_prices
from research_lib.data.report import data_report
from research_lib.data.snapshot import read_price_csv
from research_lib.errors import DataError, InvalidRequestError, NoValidEventsError

try:  # issue 12 names; imported softly so that each behaviour test fails alone on older code
    from research_lib.data.screen import ScreenConfig, check_values, screen_prices
    from research_lib.engine.windows import SuspectPriceWarning
except ImportError:  # pragma: no cover - only on code before issue 12
    ScreenConfig = check_values = screen_prices = None  # type: ignore[assignment,misc]
    SuspectPriceWarning = UserWarning  # type: ignore[assignment,misc]

DAY0 = "2024-10-21"  # a quiet MSFT session (|return| < 1 %), so a planted split is the only large move


@pytest.fixture(scope="module")
def px(shared_data: Path) -> tuple[pd.Series, pd.Series]:
    ps = load_prices(["MSFT", "^GSPC"], "2023-06-01", "2025-03-31", snapshot=shared_data, offline=True)
    return ps["MSFT"].adj_close.copy(), ps["^GSPC"].adj_close.copy()


def _events(day0: str = DAY0) -> pd.DataFrame:
    return pd.DataFrame({"event_id": ["e1"], "symbol": ["MSFT"], "benchmark": ["^GSPC"], "event_date": [day0]})


def _run(msft: pd.Series, gspc: pd.Series, **kw: object):  # noqa: ANN202
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        res = event_study(_events(), prices={"MSFT": msft, "^GSPC": gspc}, **kw)  # type: ignore[arg-type]
    return res, [w for w in rec if issubclass(w.category, SuspectPriceWarning)]


def _split(s: pd.Series, on: str, ratio: float) -> pd.Series:
    out = s.copy()
    out[out.index >= on] /= ratio
    return out


def test_clean_series_is_not_flagged(px: tuple[pd.Series, pd.Series]) -> None:
    res, warned = _run(*px)
    assert res.attrition["status"].tolist() == ["kept"] and warned == []


def test_unadjusted_split_in_event_window_is_suspect(px: tuple[pd.Series, pd.Series]) -> None:
    msft, gspc = px
    res, warned = _run(_split(msft, DAY0, 2.0), gspc)
    row = res.attrition.iloc[0]
    assert row["status"] == "suspect"
    assert f"suspect split in MSFT on {DAY0}" in row["reason"] and "2:1 split" in row["reason"]
    assert "[in the event window]" in row["reason"]
    assert len(warned) == 1 and "on_suspect='exclude'" in str(warned[0].message)
    assert res.events["car[0,1]"].iloc[0] < -0.4  # the numbers are still those of the data: flagged, not hidden
    assert "Suspect prices" in str(res.summary())
    with pytest.raises(NoValidEventsError, match="2:1 split"):
        _run(_split(msft, DAY0, 2.0), gspc, on_suspect="exclude")
    res, warned = _run(_split(msft, DAY0, 2.0), gspc, on_suspect="ignore")
    assert res.attrition["status"].tolist() == ["kept"] and warned == []


def test_split_in_estimation_window_is_suspect(px: tuple[pd.Series, pd.Series]) -> None:
    msft, gspc = px
    res, _ = _run(_split(msft, "2024-06-03", 2.0), gspc)
    reason = res.attrition["reason"].iloc[0]
    assert res.attrition["status"].iloc[0] == "suspect"
    assert "split in MSFT on 2024-06-03" in reason and "[in the estimation window]" in reason


def test_price_times_100_is_a_spike(px: tuple[pd.Series, pd.Series]) -> None:
    msft, gspc = px
    bad = msft.copy()
    bad.loc["2024-10-18"] *= 100
    res, _ = _run(bad, gspc)
    reason = res.attrition["reason"].iloc[0]
    assert res.attrition["status"].iloc[0] == "suspect"
    assert "suspect spike in MSFT on 2024-10-18" in reason and "x100" in reason


def test_three_months_of_stale_closes(px: tuple[pd.Series, pd.Series]) -> None:
    msft, gspc = px
    bad = msft.copy()
    m = (bad.index >= "2024-05-01") & (bad.index < "2024-08-01")
    bad[m] = bad[m].iloc[0]
    res, _ = _run(bad, gspc)
    reason = res.attrition["reason"].iloc[0]
    n = int(m.sum())
    assert res.attrition["status"].iloc[0] == "suspect"
    assert f"{n} identical closes" in reason and "stale" in reason


def test_constant_series_is_excluded_for_zero_variance(px: tuple[pd.Series, pd.Series]) -> None:
    msft, gspc = px
    flat = msft * 0 + 300.0
    ev = pd.DataFrame({"event_id": ["flat", "good"], "symbol": ["AAPL", "MSFT"], "benchmark": ["^GSPC", "^GSPC"],
                       "event_date": [DAY0, DAY0]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = event_study(ev, prices={"AAPL": flat, "MSFT": msft, "^GSPC": gspc})
    att = res.attrition.set_index("event_id")
    assert att.loc["flat", "status"] == "excluded" and "zero variance" in att.loc["flat", "reason"]
    assert att.loc["good", "status"] == "kept" and res.n_events == 1
    # every test then agrees on N: only the good event is in the panel
    assert list(res.events["event_id"]) == ["good"]


@pytest.mark.parametrize(("ratio", "label"), [(2.0, "2:1 split"), (1.5, "3:2 split"), (3.0, "3:1 split"),
                                                (4.0, "4:1 split"), (5.0, "5:1 split"), (10.0, "10:1 split"),
                                                (0.5, "1:2 reverse split"), (0.1, "1:10 reverse split")])
def test_every_split_ratio_is_recognised(px: tuple[pd.Series, pd.Series], ratio: float, label: str) -> None:
    msft = px[0]
    rep = screen_prices(_split(msft, DAY0, ratio), "MSFT")
    assert [(f.kind, f"{f.date:%Y-%m-%d}") for f in rep.findings] == [("split", DAY0)]
    assert label in rep.findings[0].cause
    assert rep.findings[0].size == pytest.approx(msft[DAY0] / ratio / msft[msft.index < DAY0].iloc[-1])


def test_a_jump_the_benchmark_matches_is_not_a_split(px: tuple[pd.Series, pd.Series]) -> None:
    msft, gspc = px
    both = _split(msft, DAY0, 2.0)
    bench = np.log(_split(gspc, DAY0, 2.0)).diff()  # the index halves on the same session
    assert screen_prices(both, "MSFT", benchmark=bench).findings == ()
    assert len(screen_prices(both, "MSFT", benchmark=np.log(gspc).diff()).findings) == 1


def test_thresholds_are_configurable(px: tuple[pd.Series, pd.Series]) -> None:
    msft = px[0]
    bad = msft.copy()
    m = (bad.index >= "2024-05-01") & (bad.index < "2024-05-09")  # 6 sessions
    bad[m] = bad[m].iloc[0]
    assert [f.kind for f in screen_prices(bad, "MSFT").findings] == ["stale"]
    assert screen_prices(bad, "MSFT", config=ScreenConfig(stale_run=10)).findings == ()
    spike = msft.copy()
    spike.loc["2024-10-18"] *= 1.3  # +30 % and back: below the default log(1.5)
    assert screen_prices(spike, "MSFT").findings == ()
    assert [f.kind for f in screen_prices(spike, "MSFT", config=ScreenConfig(spike_min=math.log(1.2))).findings] == ["spike"]


@pytest.mark.parametrize("kwargs", [{"stale_run": 1}, {"split_ratios": (0.5,)}, {"split_tolerance": -1.0},
                                    {"spike_min": 0.0}, {"split_ratios": ()}])
def test_bad_screen_config_is_refused(kwargs: dict) -> None:
    with pytest.raises(InvalidRequestError, match="ScreenConfig|split_ratios"):
        ScreenConfig(**kwargs)


def test_on_suspect_is_validated(px: tuple[pd.Series, pd.Series]) -> None:
    with pytest.raises(InvalidRequestError, match="on_suspect='drop'.*warn"):
        _run(*px, on_suspect="drop")


def test_value_check_is_typed() -> None:
    idx = pd.date_range("2024-01-01", periods=3, freq="B")
    with pytest.raises(DataError, match="not numbers"):
        check_values(pd.Series(["1", "x", "3"], index=idx, dtype=object), "A")
    with pytest.raises(DataError, match="not positive"):
        check_values(pd.Series([1.0, np.inf, 3.0], index=idx), "A")
    with pytest.raises(DataError, match="not positive"):
        check_values(pd.Series([1.0, -2.0, 3.0], index=idx), "A")


def test_non_numeric_prices_in_a_study_are_an_exclusion_reason(px: tuple[pd.Series, pd.Series]) -> None:
    msft, gspc = px
    bad = msft.astype(object)
    bad.loc["2024-08-01"] = "n/a"  # inside the estimation window
    with pytest.raises(NoValidEventsError, match="not numbers"):
        event_study(_events(), prices={"MSFT": bad, "^GSPC": gspc})


def test_no_false_alarm_on_the_snapshot_2024_2025(shared_data: Path) -> None:
    """The false-alarm measurement: every snapshot series over 2024-2025 (and the three named ones)."""
    alarms = []
    for path in sorted((shared_data / "prices").glob("*.csv")):
        frame, _ = read_price_csv(path)
        recent = frame.loc[(frame.index >= "2024-01-01") & (frame.index <= "2025-12-31"), "adj_close"]
        alarms += list(screen_prices(recent, path.stem).findings)
    assert alarms == []


def test_real_studies_raise_no_alarm(shared_data: Path) -> None:
    ev = pd.DataFrame({"event_id": ["baba", "msft", "hk"], "symbol": ["BABA", "MSFT", "9988.HK"],
                       "benchmark": ["^GSPC", "^GSPC", "^HSI"], "event_date": ["2025-02-20", "2024-10-31", "2025-02-21"]})
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        res = event_study(ev, snapshot=shared_data, offline=True)
    assert set(res.attrition["status"]) <= {"kept", "shifted"}
    assert not [w for w in rec if issubclass(w.category, SuspectPriceWarning)]


def test_data_report_lists_the_screen(shared_data: Path, tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    (snap / "prices").mkdir(parents=True)
    text = (shared_data / "prices" / "MSFT.csv").read_text().splitlines()
    header, rows = text[0], text[1:]
    cols = header.split(",")
    j = cols.index("adj_close")
    out = [header]
    for line in rows:
        cells = line.split(",")
        if cells[0] == "2024-10-18" and cells[j]:
            cells[j] = str(float(cells[j]) * 100)
        out.append(",".join(cells))
    (snap / "prices" / "MSFT.csv").write_text("\n".join(out) + "\n")
    report = data_report(["MSFT"], "2024-09-01", "2024-12-31", snapshot=snap, offline=True)
    assert "price screen" in report and "suspect spike in MSFT on 2024-10-18" in report
    clean = data_report(["MSFT"], "2024-09-01", "2024-12-31", snapshot=shared_data, offline=True)
    assert "no suspect prices" in clean
    shutil.rmtree(snap)


def test_screen_refuses_what_it_cannot_read() -> None:
    with pytest.raises(DataError, match="DatetimeIndex"):
        screen_prices(pd.Series([1.0, 2.0]), "A")
    idx = pd.DatetimeIndex(["2024-01-02", "2024-01-02", "2024-01-03"])
    with pytest.raises(DataError, match="duplicate dates"):
        screen_prices(pd.Series([1.0, 2.0, 3.0], index=idx), "A")
    assert screen_prices(pd.Series([1.0], index=idx[:1]), "A").findings == ()  # too short to judge: nothing
