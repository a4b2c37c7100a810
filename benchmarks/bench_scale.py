"""End-to-end speed and memory of large studies, as ratios against baselines measured in the same run.

Synthetic universe, no data files needed: 100 seeded market-model securities on ``^GSPC`` over
the NYSE sessions of 1996-2024 (the process of :mod:`research_lib.examples`), written as a
snapshot folder in a temporary directory, and N events drawn on it (day 0 among the sessions
with a full 250-day estimation window).  Market model, the full battery, CAR windows
[0,0], [-1,1], [-5,5].

Figures printed (each measured in a fresh subprocess, so peak RSS is that run's own):

(a) ``e2e``: the study end to end on ``--e2e-events`` events -- events CSV read and validated,
    prices from the snapshot, fit, battery, ``to_results_json`` written with orjson -- against the
    practical floor: plain ``pd.read_csv`` of the same files, a minimal vectorised numpy market
    model (alpha, beta, ARs, CARs of the three windows) and orjson of a per-event CAR document;
    the ratio of the two processes' CPU times is printed beside it (less sensitive to other load
    on a shared machine; it counts BLAS threads that spin while waiting for a core);
(b) ``scale``: the same study (without JSON) on each of ``--sizes`` events with ``chunk_size``,
    time and peak resident memory, and the time ratio against linear from the smallest size;
(c) ``dask``: the chunked study on a LocalCluster of 2 worker processes against 1 worker.

Run: ``python benchmarks/bench_scale.py [--e2e-events 10000] [--repeat 3] [--sizes 100000 200000]
[--chunk 20000] [--dask-events 40000] [--skip scale dask]``; ``--sizes 100000 1000000`` for the 1M-event figure
(minutes; memory is set by the chunk size plus about 2.3 KB per event of per-event results and tables, see
research_lib.engine.streaming).  On this fixed 29-year calendar the events per date grow with N, and
with them the Kolari-Pynnönen pairs per event (N x events per calendar window pairs in all), so the
time of that step grows faster than linearly; the other steps are linear.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

WINDOWS = [(0, 0), (-1, 1), (-5, 5)]
L1 = (-250, -11)


def make_universe(folder: Path, n: int, seed: int = 7, securities: int = 100) -> tuple[Path, Path]:
    """A snapshot of ``securities`` market-model stocks on ``^GSPC`` (NYSE sessions 1996-2024) and ``n`` events.

    Same data-generating process as :mod:`research_lib.examples` (Gaussian market, known betas),
    over 29 years so that estimation windows overlap as they do in a real long sample.
    """
    from research_lib.listings import sessions

    dates = pd.DatetimeIndex(sessions("^GSPC", "1996-01-02", "2024-12-31")).tz_localize(None).rename("date")
    rng = np.random.default_rng(seed)
    market = rng.normal(0.0004, 0.010, len(dates))
    syms = [f"SYN{i:03d}" for i in range(securities)]
    rets = {"^GSPC": market}
    for s in syms:
        rets[s] = 0.0002 + rng.uniform(0.5, 1.5) * market + rng.normal(0.0, rng.uniform(0.01, 0.03), len(dates))
    (folder / "snap" / "prices").mkdir(parents=True, exist_ok=True)
    for s, r in rets.items():
        close = 100.0 * np.cumprod(1.0 + r)
        close[0] = 100.0
        frame = pd.DataFrame({"open": close, "high": close, "low": close, "close": close, "adj_close": close,
                              "volume": 1_000_000}, index=dates)
        frame.to_csv(folder / "snap" / "prices" / f"{s}.csv", date_format="%Y-%m-%d", float_format="%.6f")
    days = dates[262:-12]
    events = pd.DataFrame({"event_id": [f"e{i:07d}" for i in range(n)],
                           "symbol": np.array(syms)[rng.integers(0, securities, n)], "benchmark": "^GSPC",
                           "event_date": days[rng.integers(0, len(days), n)].strftime("%Y-%m-%d")})
    path = folder / f"events_{n}.csv"
    events.to_csv(path, index=False)
    return folder / "snap", path


def run_study(snap: Path, events: Path, out: Path | None, **kw: object) -> float:
    from research_lib import event_study
    from research_lib.outputs import write_json

    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = event_study(events, snapshot=snap, offline=True, car_windows=WINDOWS, **kw)
    if out is not None:
        write_json(out, res.to_results_json())
    return time.perf_counter() - t


def floor(snap: Path, events: Path, out: Path) -> float:
    """Plain reading, a minimal vectorised market model and orjson: what no study can beat by much."""
    import orjson

    t = time.perf_counter()
    ev = pd.read_csv(events)
    px = {p.stem: pd.read_csv(p, index_col=0, parse_dates=True).iloc[:, -1] for p in (snap / "prices").glob("*.csv")}
    ret = pd.DataFrame(px).sort_index().pct_change()
    pos = ret.index.searchsorted(pd.to_datetime(ev["event_date"]).to_numpy())
    r = ret.to_numpy()
    col = {s: i for i, s in enumerate(ret.columns)}
    y, m = r[:, [col[s] for s in ev["symbol"]]], r[:, col["^GSPC"]]
    est = pos[:, None] + np.arange(L1[0], L1[1] + 1)
    rows = np.arange(len(ev))[:, None]
    ye, xe = y[est, rows], m[est]
    xb, yb = xe.mean(1, keepdims=True), ye.mean(1, keepdims=True)
    beta = ((xe - xb) * (ye - yb)).sum(1) / ((xe - xb) ** 2).sum(1)
    alpha = yb[:, 0] - beta * xb[:, 0]
    evt = pos[:, None] + np.arange(-10, 11)
    ar = y[evt, rows] - alpha[:, None] - beta[:, None] * m[evt]
    cars = {f"{a},{b}": ar[:, a + 10:b + 11].sum(1).tolist() for a, b in WINDOWS}
    doc = {"events": [{"event_id": e, "alpha": a, "beta": b, "ar": dict(zip(map(str, range(-10, 11)), row, strict=True)),
                       "car": {k: v[i] for k, v in cars.items()}}
                      for i, (e, a, b, row) in enumerate(zip(ev["event_id"], alpha.tolist(), beta.tolist(), ar.tolist(), strict=True))]}
    out.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    return time.perf_counter() - t


def child(args: argparse.Namespace) -> None:
    """One measurement in this process; prints a JSON line with seconds and peak RSS (MB)."""
    folder = Path(args.folder)
    snap, events = make_universe(folder, args.n)
    cpu0 = time.process_time()
    if args.what == "floor":
        sec = floor(snap, events, folder / "floor.json")
    elif args.what == "e2e":
        run_study(snap, events, None, chunk_size=args.n)  # warm: calendars, imports
        cpu0 = time.process_time()
        sec = run_study(snap, events, folder / "study.json")
    elif args.what == "scale":
        sec = run_study(snap, events, None, chunk_size=args.chunk)
    else:
        import dask.distributed as dd

        from research_lib.engine.distributed import local_cluster

        with local_cluster(args.workers) as cluster, dd.Client(cluster) as client:
            run_study(snap, events, None, chunk_size=args.chunk, client=client)  # workers warm
            sec = run_study(snap, events, None, chunk_size=args.chunk, client=client)
    print(json.dumps({"seconds": sec, "cpu_seconds": time.process_time() - cpu0,  # this process's threads only
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def measure(what: str, n: int, **extra: object) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, __file__, "--child", what, "--n", str(n), "--folder", tmp]
        for k, v in extra.items():
            cmd += [f"--{k}", str(v)]
        line = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    return dict(json.loads(line))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--e2e-events", type=int, default=10_000)
    p.add_argument("--sizes", type=int, nargs="+", default=[100_000, 200_000])
    p.add_argument("--chunk", type=int, default=20_000)
    p.add_argument("--dask-events", type=int, default=40_000)
    p.add_argument("--skip", nargs="*", default=[], choices=["e2e", "scale", "dask"])
    p.add_argument("--repeat", type=int, default=1, help="(a): measure floor and study this many times, alternating")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    p.add_argument("--n", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--folder", default=None, help=argparse.SUPPRESS)
    p.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        args.what = args.child
        child(args)
        return
    if "e2e" not in args.skip:
        n = args.e2e_events
        ratios = []
        for _ in range(args.repeat):  # floor and study alternate, so that both see the same machine load
            fl, st = measure("floor", n), measure("e2e", n)
            ratios.append(st["seconds"] / fl["seconds"])
            print(f"(a) end to end, {n} events: study {st['seconds']:.2f} s, floor {fl['seconds']:.2f} s, "
                  f"ratio {ratios[-1]:.1f}x (target <= 3x); CPU time {st['cpu_seconds']:.2f} s / "
                  f"{fl['cpu_seconds']:.2f} s = {st['cpu_seconds'] / fl['cpu_seconds']:.1f}x")
        if len(ratios) > 1:
            print(f"(a) median ratio of {len(ratios)} runs: {float(np.median(ratios)):.1f}x (target <= 3x)")
    if "scale" not in args.skip:
        base = None
        for n in args.sizes:
            r = measure("scale", n, chunk=args.chunk)
            base = base or (n, r["seconds"])
            lin = r["seconds"] / (base[1] * n / base[0])
            print(f"(b) {n} events, chunk {args.chunk}: {r['seconds']:.1f} s, peak RSS {r['peak_mb']:.0f} MB, "
                  f"{1e6 * r['seconds'] / n:.0f} us/event, time / linear from {base[0]}: {lin:.2f} (target <= 1.2)")
    if "dask" not in args.skip:
        n, chunk = args.dask_events, max(1, args.dask_events // 8)
        one, two = measure("dask", n, chunk=chunk, workers=1), measure("dask", n, chunk=chunk, workers=2)
        print(f"(c) LocalCluster, {n} events in chunks of {chunk}: 1 worker {one['seconds']:.1f} s, "
              f"2 workers {two['seconds']:.1f} s, speed-up {one['seconds'] / two['seconds']:.2f}x")


if __name__ == "__main__":
    main()
