"""Chunked studies from partial sums (research_lib.engine.streaming, research_lib.inference.partials).

The battery of a chunked study is rebuilt from per-chunk sums and a second pass over spilled
residuals; it must give TestBattery's numbers on the one-pass run (1e-12 relative) for every
test, window and day, under both conventions, with missing days, unequal M_i, staggered and
clustered dates (clusters larger than a chunk, so Kolari-Pynnönen pairs cross chunk borders),
and its memory must be set by the chunk size.
"""

from __future__ import annotations

import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from research_lib import event_study
from research_lib.engine.chunks import fit_in_chunks
from research_lib.engine.streaming import stream_study
from research_lib.engine.windows import WindowSpec, anchor_events
from research_lib.events.reader import read_events
from research_lib.inference import rank
from research_lib.inference._arrays import moments
from research_lib.inference.battery import ALL_TEST_NAMES, TestBattery
from research_lib.inference.partials import generalized_rank_from_sums, grank_sums
from research_lib.listings import sessions
from research_lib.spec import StudySpec

WINDOWS = [(0, 0), (-1, 1), (-5, 5), (2, 10)]
SYMS = ["EXA", "EXB", "EXC", "EXD", "EXE"]


def market(years: int = 6, seed: int = 5, holes: float = 0.02) -> dict[str, pd.Series]:
    """Seeded market-model prices on the NYSE sessions, with ``holes`` of the days missing for two securities."""
    dates = pd.DatetimeIndex(sessions("^GSPC", "2012-01-03", f"{2012 + years - 1}-12-28")).tz_localize(None)
    rng = np.random.default_rng(seed)
    mkt = rng.normal(0.0004, 0.01, len(dates))
    out = {"^GSPC": pd.Series(100 * np.cumprod(1 + mkt), index=dates, name="^GSPC")}
    for k, s in enumerate(SYMS):
        r = 0.0002 + rng.uniform(0.6, 1.4) * mkt + rng.normal(0, rng.uniform(0.01, 0.03), len(dates))
        price = pd.Series(100 * np.cumprod(1 + r), index=dates, name=s)
        if k in (1, 3):  # missing sessions: unequal M_i and missing event-window ARs
            price[rng.random(len(dates)) < holes] = np.nan
        out[s] = price
    return out


def mixed_events(n: int, prices: dict[str, pd.Series], days: int | None = None, seed: int = 9,
                 clustered: bool = True) -> pd.DataFrame:
    """``n`` events: a third in three one-date clusters (if ``clustered``), the rest staggered over ``days`` sessions."""
    rng = np.random.default_rng(seed)
    sess = prices["^GSPC"].index[262:-15]
    sess = sess[: days or len(sess)]
    n_cl = n // 3 if clustered else 0
    cluster = sess[rng.integers(0, len(sess), 3)]
    dates = np.concatenate([np.repeat(cluster, [n_cl // 3, n_cl // 3, n_cl - 2 * (n_cl // 3)]),
                            sess[rng.integers(0, len(sess), n - n_cl)]])
    return pd.DataFrame({"event_id": [f"e{i:05d}" for i in range(n)], "symbol": np.array(SYMS)[rng.integers(0, 5, n)],
                         "benchmark": "^GSPC", "event_date": pd.DatetimeIndex(dates).strftime("%Y-%m-%d")})


def _close(a: np.ndarray, b: np.ndarray, what: str) -> None:
    np.testing.assert_allclose(np.asarray(b, float), np.asarray(a, float), rtol=1e-12, atol=0, equal_nan=True, err_msg=what)


@pytest.fixture(scope="module")
def prices() -> dict[str, pd.Series]:
    return market()


@pytest.mark.parametrize(("conventions", "holes"), [("textbook", 0.02), ("estudy2", 0.02), ("textbook", 0.0)])
def test_partial_battery_is_the_one_pass_battery(prices, conventions, holes) -> None:
    """(With holes the KP pair sums take the masked products, without them the running sums.)"""
    prices = prices if holes else market(holes=0.0)
    events = mixed_events(700, prices)
    table, _ = anchor_events(read_events(events))
    windows = [*WINDOWS, (-10, 10)]
    spec = StudySpec(car_windows=windows, conventions=conventions, min_estimation=150)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full, _ = fit_in_chunks(table, prices, WindowSpec(min_estimation=150), spec, None, 10**6)
        streamed, _ = stream_study(table, prices, WindowSpec(min_estimation=150), spec, None, 64)
    assert len(set(full.n_est)) > (5 if holes else 0)  # unequal M_i
    assert np.isnan(full.est_resid).any() == (holes > 0)  # missing estimation days (event-window holes drop the event)
    tb, pb = TestBattery(full), streamed.battery
    for w in windows:
        one, part = tb.window(*w, "all"), pb.window(*w, "all")
        assert list(part) == list(ALL_TEST_NAMES)
        for name in ALL_TEST_NAMES:
            _close([one[name].stat, one[name].pvalue], [part[name].stat, part[name].pvalue], f"{w} {name}")
            assert part[name].n == one[name].n and part[name].distribution == one[name].distribution
        assert tb.correlation(*w) != 0.0  # the KP r is really exercised
        _close(tb.correlation(*w), pb.correlation(*w), f"r {w}")
    da, db = tb.daily("all"), pb.daily("all")
    assert list(da.columns) == list(db.columns)
    _close(da.to_numpy(float), db.to_numpy(float), "daily")
    # the pairs across chunk borders are all there (clusters of ~78 events > the 64-event chunks)
    assert int(pb._need_second().kp_pairs[pb.keys.index((-10, 10))]) == tb.n_correlation_pairs > 0


@pytest.mark.parametrize("conventions", ["textbook", "estudy2"])
def test_chunked_event_study_gives_the_one_pass_tables(prices, conventions) -> None:
    from test_chunks import assert_same_results

    events = mixed_events(400, prices, seed=3)
    kw = {"prices": prices, "car_windows": WINDOWS, "conventions": conventions, "tests": "all"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one, chunked = event_study(events, **kw), event_study(events, chunk_size=90, **kw)
    assert_same_results(one, chunked)
    assert list(chunked.to_json_dict()["aggregate"]["caar"]) == list(one.to_json_dict()["aggregate"]["caar"])
    assert chunked.abnormal.est_resid.shape == (chunked.n_events, 0)  # no estimation-window array kept


def test_generalized_rank_from_sums_matches_the_one_pass_function() -> None:
    rng = np.random.default_rng(1)
    n, l1 = 90, 60
    est = rng.normal(size=(n, l1))
    est[rng.random((n, l1)) < 0.1] = np.nan
    sigma2 = rng.uniform(0.5, 2.0, n)
    sigma2[5] = 1.0
    scar = rng.normal(0.3, 1.0, n)
    scar[[4, 17]] = np.nan
    x = (scar / moments(scar)[2])[:, None]
    est[5, 3] = x[5, 0]  # an exact tie of SCAR*_5 with one of its GSARs (s_5 = 1)
    want = rank.generalized_rank(scar, rank.generalized_rank_inputs(est, sigma2))
    parts = [grank_sums(est[s], sigma2[s], x[s]) for s in (slice(0, 30), slice(30, 31), slice(31, n))]
    u_sum = sum(p[0][0] for p in parts)
    n_t = sum(p[1][0] for p in parts)
    u_evt = np.concatenate([p[2][:, 0] for p in parts])
    got = generalized_rank_from_sums(scar, u_sum, n_t, u_evt)
    assert np.isfinite(want.stat)
    _close(want.stat, got.stat, "grank t")
    assert int(got.n) == int(want.n) == n - 2
    assert got.note == want.note


def test_the_spill_folder_is_removed(prices, tmp_path, monkeypatch) -> None:
    import research_lib.engine.streaming as streaming

    monkeypatch.setenv("RESEARCH_LIB_SPILL_DIR", str(tmp_path))
    events = mixed_events(120, prices, seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        event_study(events, prices=prices, car_windows=WINDOWS, chunk_size=50)
        assert list(Path(tmp_path).iterdir()) == []

        def broken(task: object) -> None:
            assert any(Path(tmp_path).iterdir())  # the spill is there during the second pass
            raise RuntimeError("worker lost")

        monkeypatch.setattr(streaming, "second_pass", broken)
        with pytest.raises(RuntimeError, match="worker lost"):
            event_study(events, prices=prices, car_windows=WINDOWS, chunk_size=50)
    assert list(Path(tmp_path).iterdir()) == []


def _peak(events: pd.DataFrame, prices: dict[str, pd.Series], chunk: int | None) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tracemalloc.start()
        try:
            res = event_study(events, prices=prices, car_windows=WINDOWS[:3], **({"chunk_size": chunk} if chunk else {}))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert res.n_events == len(events)
    return peak / 1e6


def test_a_chunk_size_bounds_the_memory_of_the_study() -> None:
    """Same density of events in calendar time at N and 2N: the chunked peak is far below one pass
    and grows with N only by the per-event results (no N x L1 array), far less than one pass grows."""
    prices = market(years=10, holes=0.0)
    small = mixed_events(1000, prices, days=700, seed=2, clustered=False)
    large = mixed_events(2000, prices, days=1400, seed=2, clustered=False)
    one_s, one_l = _peak(small, prices, None), _peak(large, prices, None)
    ch_s, ch_l = _peak(small, prices, 200), _peak(large, prices, 200)
    print(f"tracemalloc peaks MB: one pass {one_s:.1f} / {one_l:.1f}, chunks of 200 {ch_s:.1f} / {ch_l:.1f}")
    assert ch_l < 0.4 * one_l, (ch_l, one_l)
    assert ch_l - ch_s < 0.3 * (one_l - one_s), (ch_s, ch_l, one_s, one_l)


def test_compact_symbols_are_one_object_per_value_with_the_same_values() -> None:
    from research_lib.engine.streaming import _one_object_per_value

    raw = np.array(["".join(s) for s in (["A", "B"], ["C"], ["A", "B"], ["C"], ["A", "B"])], dtype=object)
    assert raw[0] is not raw[2]  # built separately: two objects of one text
    out = _one_object_per_value(raw)
    assert out.dtype == object and list(out) == list(raw)
    assert out[0] is out[2] is out[4] and out[1] is out[3]
    assert len({id(v) for v in out}) == 2
    missing = np.append(raw, None)
    assert _one_object_per_value(missing) is missing  # a missing value is kept as it is, not turned into nan
    ints = np.arange(4)
    assert _one_object_per_value(ints) is ints  # not object dtype: untouched


def test_release_freed_memory_leaves_live_arrays_alone() -> None:
    from research_lib.engine.streaming import release_freed_memory

    live = np.arange(1_000_000, dtype=float)
    freed = [np.ones(500_000) for _ in range(8)]
    del freed
    release_freed_memory()
    assert live.sum() == pytest.approx(999_999 * 1_000_000 / 2)


def test_the_attrition_log_keeps_one_object_per_repeated_text() -> None:
    """Memory: a step's table of N events repeats a few reasons; the log holds each text once."""
    from research_lib.events.attrition import Attrition

    n = 2_000
    frame = pd.DataFrame({"event_id": [f"e{i}" for i in range(n)], "symbol": ["SYM"] * n, "status": ["kept"] * n,
                          "reason": ["day 0 given"] * n})
    log = Attrition()
    log.add_table(frame, "anchor")
    log.add_table(frame.assign(status="excluded", reason="no prices"), "prices")
    table, entries = log.table(), log.log()
    assert len(table) == n and set(table["status"]) == {"excluded"} and set(table["reason"]) == {"no prices"}
    assert len(entries) == 2 * n and list(entries.columns) == ["event_id", "symbol", "status", "stage", "reason"]
    assert entries["stage"].tolist() == ["anchor"] * n + ["prices"] * n
    reasons = {id(s[4]) for s in log._state.values()}
    assert len(reasons) == 1


def test_order_of_is_the_position_a_dict_of_ids_gives() -> None:
    from research_lib.engine.streaming import _order_of

    rng = np.random.default_rng(3)
    order = np.array([f"e{i}" for i in rng.permutation(500)] + [7, 8.5], dtype=object)
    ids = np.array(list(rng.choice(order, 300, replace=False)) + ["missing", "7"], dtype=object)
    rank = {str(e): i for i, e in enumerate(order)}
    assert _order_of(order, ids).tolist() == [rank.get(str(e), -1) for e in ids]
    repeated = np.array(["a", "b", "a", "c", "b"], dtype=object)
    rank = {str(e): i for i, e in enumerate(repeated)}
    assert _order_of(repeated, repeated[::-1]).tolist() == [rank[str(e)] for e in repeated[::-1]]
    assert _order_of(pd.Series(["x", "y"], dtype="string"), np.array(["y", "z"], dtype=object)).tolist() == [1, -1]
