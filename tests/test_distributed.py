"""A study's chunks on a two-worker Dask LocalCluster give the single-process numbers."""

from __future__ import annotations

import pytest

pytest.importorskip("dask.distributed", reason="dask[distributed] (the 'scale' extra) is not installed")

from test_chunks import _study, assert_same_results, synthetic_events  # noqa: E402

from research_lib.engine.distributed import dask_mapper, local_cluster  # noqa: E402
from research_lib.errors import InvalidRequestError  # noqa: E402


@pytest.fixture(scope="module")
def client():
    import dask.distributed as dd

    with local_cluster(2) as cluster, dd.Client(cluster) as c:
        yield c


def test_two_workers_give_the_single_process_numbers(client) -> None:
    events = synthetic_events(1200, seed=11)
    import dask.distributed as dd

    one = _study(events)
    with dd.get_task_stream(client) as stream:
        spread = _study(events, chunk_size=300, client=client)
    assert_same_results(one, spread)
    # the four chunks ran as four Dask tasks on the cluster's workers, not in this process
    chunks = [t for t in stream.data if "fit_chunk" in str(t["key"])]
    assert len(chunks) == 4
    assert {t["worker"] for t in chunks} <= set(client.scheduler_info()["workers"])


def test_a_scheduler_address_is_accepted(client) -> None:
    events = synthetic_events(400, seed=12)
    assert_same_results(_study(events), _study(events, chunk_size=150, scheduler=client.scheduler.address))


def test_one_way_of_naming_the_cluster_at_a_time(client) -> None:
    with pytest.raises(InvalidRequestError, match="give one of scheduler, client and workers"):
        with dask_mapper(scheduler="tcp://127.0.0.1:1", client=client):
            pass


def test_workers_read_their_own_prices_from_the_snapshot(client, tmp_path) -> None:
    """With prices from a snapshot the chunk tasks carry no price series: each worker reads its chunk's."""
    import warnings

    from research_lib import event_study
    from research_lib.engine.chunks import PriceReader, chunk_tasks
    from research_lib.engine.windows import WindowSpec, anchor_events, date_ranges
    from research_lib.events.reader import read_events
    from research_lib.examples import example_prices, example_snapshot
    from research_lib.spec import StudySpec

    root = example_snapshot(tmp_path)
    events = synthetic_events(600, seed=13)
    kw = {"snapshot": root, "offline": True, "car_windows": [(0, 0), (-1, 1), (-5, 5)]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = event_study(events, **kw)
        spread = event_study(events, chunk_size=200, client=client, **kw)
    assert_same_results(one, spread)
    # what such a task holds: no series, the spans to read; reading gives the driver's series cut to them
    table, _ = anchor_events(read_events(events))
    reader = PriceReader(str(root), True, date_ranges(table, WindowSpec(), lags=3, leads=3))
    task = next(chunk_tasks(table, example_prices(), WindowSpec(), StudySpec(), None, 200, reader))
    assert task.prices == {} and task.spans
    read = task.chunk_prices()
    assert set(read) == set(task.spans)
    sym = next(iter(read))
    lo, hi = task.spans[sym]
    driver = event_study.__globals__["_load_prices"](table, WindowSpec(), str(root), True)[0][sym].loc[lo:hi]
    assert read[sym].equals(driver)


def test_the_command_line_runs_chunks_on_two_workers(tmp_path, capsys) -> None:
    """``research-lib study --chunk-size N --workers 2`` writes the JSON of the single-process run."""
    import json

    from research_lib.cli.app import main
    from research_lib.examples import example_snapshot

    root = example_snapshot(tmp_path / "snap")
    events = tmp_path / "events.csv"
    synthetic_events(300, seed=14).to_csv(events, index=False)
    common = ["study", str(events), "--snapshot", str(root), "--offline"]
    assert main([*common, "--json", str(tmp_path / "one.json")]) == 0
    assert main([*common, "--chunk-size", "100", "--workers", "2", "--json", str(tmp_path / "two.json")]) == 0
    capsys.readouterr()
    one, two = (json.loads((tmp_path / f"{n}.json").read_text()) for n in ("one", "two"))
    assert one["aggregate"]["n_events"] == two["aggregate"]["n_events"] == 300
    for key, block in one["aggregate"]["caar"].items():
        other = two["aggregate"]["caar"][key]
        assert other["caar"] == pytest.approx(block["caar"], rel=1e-12)
        for name, t in block["tests"].items():
            for m in ("stat", "p"):
                got = other["tests"][name][m]
                assert (got is None) if t[m] is None else got == pytest.approx(t[m], rel=1e-12), (key, name, m)


def test_a_worker_reads_each_symbol_once_per_study(tmp_path, monkeypatch) -> None:
    """The chunks of one study share a worker's read of a symbol (same series); a new study reads again."""
    import research_lib.data as data
    from research_lib.engine.chunks import PriceReader
    from research_lib.examples import example_snapshot

    root = example_snapshot(tmp_path)
    calls: list[str] = []
    real = data.load_prices

    def counted(symbols, **kw):
        calls.extend(symbols)
        return real(symbols, **kw)

    monkeypatch.setattr(data, "load_prices", counted)
    direct = real(["EXA"], start="2023-01-03", end="2024-08-30", snapshot=str(root), offline=True, progress=False)
    loaded = {"EXA": ("2023-01-03", "2024-08-30")}
    reader = PriceReader(str(root), True, loaded)
    first = reader.read({"EXA": ("2023-03-01", "2023-06-30")})["EXA"]
    second = reader.read({"EXA": ("2024-01-02", "2024-06-28")})["EXA"]
    assert calls == ["EXA"]
    assert first.equals(direct["EXA"].adj_close.loc["2023-03-01":"2023-06-30"])
    assert second.equals(direct["EXA"].adj_close.loc["2024-01-02":"2024-06-28"])
    PriceReader(str(root), True, loaded).read({"EXA": ("2023-03-01", "2023-06-30")})
    assert calls == ["EXA", "EXA"]  # another study (another reader): the files are read again


def test_from_a_snapshot_the_workers_load_the_prices_and_the_driver_none(client, tmp_path, monkeypatch, caplog) -> None:
    """Prices from a path on a cluster: loaded by tasks, not by the driver; the attrition log (a symbol
    that is missing), the sources table, the loading's log messages and every number as in one process."""
    import logging
    import warnings

    import pandas as pd

    import research_lib.study as study
    from research_lib import event_study
    from research_lib.examples import example_snapshot

    root = example_snapshot(tmp_path)
    events = synthetic_events(400, seed=21)
    events.loc[events.index[:7], "symbol"] = "NOPE"  # not in the snapshot: excluded at the prices step
    kw = {"snapshot": root, "offline": True, "car_windows": [(0, 0), (-1, 1)]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with caplog.at_level(logging.INFO, logger="research_lib"):
            one = event_study(events, **kw)
        here = sorted(r.getMessage() for r in caplog.records if r.name.startswith("research_lib.data"))
        caplog.clear()

        def no_driver_loading(*args: object, **kwargs: object) -> None:
            raise AssertionError("the driver loaded prices")

        monkeypatch.setattr(study, "_load_prices", no_driver_loading)
        with caplog.at_level(logging.INFO, logger="research_lib"):
            spread = event_study(events, chunk_size=150, client=client, **kw)
        there = sorted(r.getMessage() for r in caplog.records if r.name.startswith("research_lib.data"))
    assert_same_results(one, spread)
    pd.testing.assert_frame_equal(one.attrition, spread.attrition)
    pd.testing.assert_frame_equal(one.sources, spread.sources)
    assert (one.attrition["status"] == "excluded").sum() == 7
    assert here, "the example snapshot logs what it loads"
    assert here == there  # the loading messages reach the driver's log
