"""Speed of a Brown-Warner simulation: stacked per-sample tests against a per-sample loop over the engine.

Design: a seeded synthetic market (200 securities x 3000 days, normal market
model), S samples of N events (default 1,000 x 50), Brown and Warner (1985)
windows (estimation -244..-6, event -5..+5), CAR window [0, 0], the full
battery (``SIMULATION_TESTS``: 12 battery tests + CLM J1).

Timed in one run, so machine load affects both sides alike:

(a) ``simulate``: stacked panels of blocks of samples, one fit per block, every
    test for every sample of a block at once (``PerSampleTests``), for one AR
    size (three runs: the first in the process, then the best of two more) and
    for four; wall and CPU time of each;
(b) the loop: for each sample, slice its events out of a stacked panel,
    fit the market model (``fit_model``) and run
    ``TestBattery(ab).window(0, 0, tests)``; and the battery alone on slices
    of one stacked fit (``sample_slice``); timed on ``--loop-samples``
    samples and scaled to S.  Four AR sizes cost the loop four times its
    per-sample battery time (plus one fit).

Run: ``python benchmarks/bench_simulation.py [--samples 1000] [--events 50] [--loop-samples 50]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from research_lib.inference.battery import TestBattery
from research_lib.models.fit import fit_model
from research_lib.simulation.experiment import (
    BROWN_WARNER_WINDOWS,
    SIMULATION_TESTS,
    SimulationDesign,
    SyntheticMarket,
    draw_events,
    pseudo_panel,
    sample_slice,
    simulate,
)


def loop_per_sample(universe, n_samples: int, n_events: int, seed: int = 0) -> tuple[float, float]:  # noqa: ANN001
    """Seconds for ``n_samples`` samples done one at a time with the engine.

    Returns (fit + battery per sample, battery only on slices of one stacked fit).
    """
    rng = np.random.default_rng(seed)
    panel = pseudo_panel(universe, draw_events(universe, BROWN_WARNER_WINDOWS, n_samples, n_events, rng=rng), BROWN_WARNER_WINDOWS)
    tests = list(SIMULATION_TESTS)
    t0 = time.perf_counter()
    for s in range(n_samples):
        rows = np.zeros(panel.n_events, dtype=bool)
        rows[s * n_events : (s + 1) * n_events] = True
        ab = fit_model(panel.select(rows), "market")
        TestBattery(ab).window(0, 0, tests)
    with_fit = time.perf_counter() - t0
    stacked = fit_model(panel, "market")
    t0 = time.perf_counter()
    for s in range(n_samples):
        TestBattery(sample_slice(stacked, s, n_events)).window(0, 0, tests)
    return with_fit, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--events", type=int, default=50)
    ap.add_argument("--loop-samples", type=int, default=50)
    args = ap.parse_args()
    universe = SyntheticMarket(sigma=0.02).draw(200, 3000, seed=1)
    simulate(universe, SimulationDesign(n_events=args.events, n_samples=20, seed=99))  # warm-up (imports, caches)

    s, n = args.samples, args.events
    runs = []  # (wall, CPU) of the one-size run: the first in this process, then two more
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.process_time()
        simulate(universe, SimulationDesign(n_events=n, n_samples=s, seed=1))
        runs.append((time.perf_counter() - t0, time.process_time() - c0))
    (one, one_cpu), (warm, warm_cpu) = runs[0], min(runs[1:])
    t0, c0 = time.perf_counter(), time.process_time()
    simulate(universe, SimulationDesign(n_events=n, n_samples=s, ar_sizes=(0.0, 0.005, 0.01, 0.02), seed=1))
    four, four_cpu = time.perf_counter() - t0, time.process_time() - c0
    loop, battery_only = (x / args.loop_samples for x in loop_per_sample(universe, args.loop_samples, n))

    print(f"design  S={s:,d} samples x N={n} events, {len(SIMULATION_TESTS)} tests, CAR window [0,0], L1=239, L2=11")
    print(f"stacked one AR size : {one:7.2f} s wall, CPU {one_cpu:.2f} s, first run of this size in the process "
          f"(target for 1,000 x 50: < 1.5 s); again in the same process: {warm:.2f} s wall, CPU {warm_cpu:.2f} s "
          f"(best of 2; CPU counts all threads, wall includes waiting for a shared CPU and first-touch page faults)")
    print(f"stacked four sizes  : {four:7.2f} s wall, CPU {four_cpu:.2f} s, {four / (4 * s) * 1e3:6.2f} ms/sample/size")
    print(f"loop    fit + TestBattery per sample: {loop * 1e3:6.2f} ms/sample (timed on {args.loop_samples} samples); "
          f"scaled to S={s:,d}: {loop * s:7.2f} s")
    print(f"loop    TestBattery only on slices of one stacked fit: {battery_only * 1e3:6.2f} ms/sample; "
          f"scaled: {battery_only * s:7.2f} s")
    print(f"ratio   loop (fit + battery) / stacked: one size {loop * s / one:.1f}x, four sizes {4 * loop * s / four:.1f}x; "
          f"battery-only loop / stacked: one size {battery_only * s / one:.1f}x, four sizes {4 * battery_only * s / four:.1f}x")


if __name__ == "__main__":
    main()
