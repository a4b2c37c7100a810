"""Chunked studies (research_lib.engine.chunks): the same floats as one pass, memory set by the chunk.

Also pins the vectorised input/output steps against the per-row loops they replaced.
"""

from __future__ import annotations

import tracemalloc
import warnings

import numpy as np
import pandas as pd
import pytest

from research_lib import event_study
from research_lib.engine.chunks import chunk_tasks, fit_chunk
from research_lib.engine.windows import WindowSpec, anchor_events, date_ranges
from research_lib.errors import InvalidRequestError
from research_lib.events.reader import read_events
from research_lib.examples import example_prices
from research_lib.listings.calendars import calendar_for
from research_lib.spec import StudySpec

WINDOWS = [(0, 0), (-1, 1), (-5, 5)]


def synthetic_events(n: int, seed: int = 7) -> pd.DataFrame:
    """``n`` events on the five example securities, day 0 drawn from the sessions with a full window."""
    rng = np.random.default_rng(seed)
    prices = example_prices()
    sessions = prices["EXA"].index
    days = sessions[262:-12]  # 250 estimation days and 10 event days fit inside the example market
    syms = np.array(["EXA", "EXB", "EXC", "EXD", "EXE"])
    return pd.DataFrame({
        "event_id": [f"e{i:06d}" for i in range(n)],
        "symbol": syms[rng.integers(0, 5, n)],
        "benchmark": "^GSPC",
        "event_date": days[rng.integers(0, len(days), n)].strftime("%Y-%m-%d"),
    })


def _study(events: pd.DataFrame, **kw: object):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return event_study(events, prices=example_prices(), car_windows=WINDOWS, **kw)


def assert_same_results(a, b) -> None:
    """CARs and every per-event column, every test statistic and p-value of every window, the daily table."""
    num = a.events.select_dtypes("number").columns
    assert list(a.events["event_id"]) == list(b.events["event_id"])
    np.testing.assert_allclose(a.events[num].to_numpy(float), b.events[num].to_numpy(float), rtol=1e-12, atol=1e-12)
    assert a.tests.keys() == b.tests.keys()
    for k in a.tests:
        assert a.tests[k].keys() == b.tests[k].keys()
        for name, t in a.tests[k].items():
            u = b.tests[k][name]
            np.testing.assert_allclose([t.stat, t.pvalue], [u.stat, u.pvalue], rtol=1e-12, atol=1e-12, err_msg=f"{k} {name}")
    dn = a.daily.select_dtypes("number").columns
    np.testing.assert_allclose(a.daily[dn].to_numpy(float), b.daily[dn].to_numpy(float), rtol=1e-12, atol=1e-12)


@pytest.fixture(scope="module")
def events_3k() -> pd.DataFrame:
    return synthetic_events(3000)


@pytest.fixture(scope="module")
def one_pass(events_3k):
    return _study(events_3k)


def test_chunked_study_gives_the_one_pass_numbers(events_3k, one_pass) -> None:
    chunked = _study(events_3k, chunk_size=250)
    assert chunked.n_events == one_pass.n_events == 3000
    assert_same_results(one_pass, chunked)
    # the chunks really differ from one pass: 12 tasks, each with fewer events
    table, _ = anchor_events(read_events(events_3k))
    spec = StudySpec(car_windows=WINDOWS)
    sizes = [len(t.events) for t in chunk_tasks(table, example_prices(), WindowSpec(), spec, None, 250)]
    assert sizes == [250] * 12


def test_a_chunk_of_everything_and_a_spec_object_agree(events_3k, one_pass) -> None:
    assert_same_results(one_pass, _study(events_3k, chunk_size=10_000))
    assert_same_results(one_pass, event_study(events_3k, StudySpec(car_windows=WINDOWS), prices=example_prices(),
                                              chunk_size=999))


@pytest.mark.parametrize("bad", [0, -3, 2.5, "10", True])
def test_chunk_size_must_be_a_positive_int(events_3k, bad) -> None:
    with pytest.raises(InvalidRequestError, match="chunk_size must be a positive number"):
        _study(events_3k.head(10), chunk_size=bad)


def _chunk_peak(n: int, chunk: int) -> int:
    """Peak traced memory of the chunk stage: tasks made one at a time, each fitted, only its CARs kept."""
    table, _ = anchor_events(read_events(synthetic_events(n)))
    prices, spec = example_prices(), StudySpec(car_windows=WINDOWS)
    tracemalloc.start()
    try:
        cars = []
        for task in chunk_tasks(table, prices, WindowSpec(), spec, None, chunk):
            ab = fit_chunk(task).abnormal
            assert ab is not None
            cars.append(ab.car(-1, 1)[0])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sum(len(c) for c in cars) == n
    return peak


def test_chunk_size_bounds_the_memory_of_the_chunk_stage() -> None:
    small, large = _chunk_peak(1500, 150), _chunk_peak(3000, 150)
    assert large < 1.5 * small, (small, large)
    # and the chunk is what sets it: ten times the chunk costs clearly more than doubling N
    assert _chunk_peak(1500, 1500) > 2 * small


def _date_ranges_loop(anchored, spec, lags, leads):
    """The per-event loop that date_ranges replaced (the oracle)."""
    starts, ends, margin = {}, {}, pd.Timedelta(days=10)
    grouped = [row for sym in dict.fromkeys(anchored["symbol"])
               for _, row in anchored[anchored["symbol"] == sym].iterrows()]  # security by security
    for row in grouped:
        sess = calendar_for(row["symbol"]).sessions
        pos = sess.searchsorted(pd.Timestamp(row["day0"]))
        lo = sess[np.clip(pos + spec.estimation[0] - lags - 3, 0, len(sess) - 1)] - margin
        hi = sess[np.clip(pos + spec.event[1] + leads + 3, 0, len(sess) - 1)] + margin
        for name in (row["symbol"], row["benchmark"]):
            starts[name] = min(starts.get(name, lo), lo)
            ends[name] = max(ends.get(name, hi), hi)
    return {k: (starts[k], ends[k]) for k in starts}


def test_date_ranges_matches_the_per_event_loop() -> None:
    rng = np.random.default_rng(3)
    n = 400
    anchored = pd.DataFrame({
        "symbol": rng.choice(["BABA", "9988.HK", "AAPL", "0700.HK"], n),
        "benchmark": rng.choice(["^GSPC", "^HSI"], n),
        "day0": pd.Timestamp("2016-01-04") + pd.to_timedelta(rng.integers(0, 2500, n), "D"),
    })
    got, want = date_ranges(anchored, WindowSpec(), 3, 2), _date_ranges_loop(anchored, WindowSpec(), 3, 2)
    assert got == want and list(got) == list(want)
