"""Speed of the GARCH market model and the wild bootstrap against plain loops.

Times in one run (so the machine's load affects both sides):

(a) GARCH(1,1) market model for ``--events`` events of a seeded synthetic panel
    (estimation window 250 sessions, event window 21): :func:`fit_garch` with
    ``workers=1`` and ``workers=2``, against a plain per-event loop that calls
    ``arch.arch_model(...).fit()`` and ``.forecast()`` directly;
(b) the wild bootstrap of the CAAR t with ``--resamples`` resamples over
    ``--boot-events`` events: :func:`wild_bootstrap_t` (one weight matrix per
    block, one matrix product) against a per-resample Python loop with the
    same seed and the same weights.

Bootstrap timings are the best of five.  GARCH: the plain loop and
``workers=1`` alternate on chunks of 100 events (load drift on a shared
machine hits both alike); ``workers=2`` is one run over all events.

Run: ``python benchmarks/bench_measures.py [--events 1000] [--resamples 999] [--boot-events 10000]``.
Not a timed test: the printed ratios depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from arch import arch_model

from research_lib.inference.resampling import wild_bootstrap_t
from research_lib.measures.synthetic import garch_panel
from research_lib.models.garch import GarchSpec, fit_garch


def _plain_arch_loop(y: np.ndarray, x: np.ndarray, horizon: int) -> np.ndarray:
    out = np.empty((y.shape[0], horizon))
    for i in range(y.shape[0]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = arch_model(100 * y[i], x=100 * x[i][:, None], mean="LS", vol="GARCH", p=1, q=1, rescale=False).fit(disp="off")
        out[i] = res.forecast(horizon=horizon, x=np.zeros((1, 1, horizon)), reindex=False).variance.to_numpy()[-1] / 1e4
    return out


def _timed(fn, *args, repeat: int = 1):  # type: ignore[no-untyped-def]
    """Best of ``repeat`` wall-clock timings (as timeit reports) and the last output."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best, out


def bench_garch(n: int, chunk: int = 100) -> None:
    """The plain loop and ``workers=1`` alternate on chunks of events (so load drift hits both)."""
    panel = garch_panel(n, l1=250, l2=21, seed=1)
    _plain_arch_loop(panel.y_est[:2], panel.x_est[:2, :, 0], 21)  # warm-up: imports and first-call costs
    t_loop = t1 = 0.0
    fc, ar_var = [], []
    for a in range(0, n, chunk):
        part = panel.select(np.isin(np.arange(n), np.arange(a, min(a + chunk, n))))
        dt, out = _timed(_plain_arch_loop, part.y_est, part.x_est[:, :, 0], 21)
        t_loop += dt
        fc.append(out)
        dt, res = _timed(fit_garch, part, GarchSpec(workers=1))
        t1 += dt
        ar_var.append(res.abnormal.ar_var if len(res.abnormal.ar) == len(out) else np.full_like(out, np.nan))
    t2, r2 = _timed(fit_garch, panel, GarchSpec(workers=2))
    same = np.allclose(np.concatenate(ar_var), np.concatenate(fc), rtol=1e-10) and np.allclose(r2.abnormal.ar_var, np.concatenate(fc), rtol=1e-10)
    counts = r2.status["status"].value_counts().to_dict()
    print(f"GARCH(1,1), {n} events: plain arch loop {t_loop:.2f} s; fit_garch workers=1 {t1:.2f} s "
          f"(x{t_loop / t1:.2f} of the loop's speed), workers=2 {t2:.2f} s (x{t_loop / t2:.2f}; "
          f"x{t1 / t2:.2f} over workers=1); same forecasts: {same}; status {counts}")


def _loop_wild(car: np.ndarray, b: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    c = car - car.mean()
    n = c.size
    out = np.empty(b)
    for k in range(b):
        w = 1.0 - 2.0 * np.unpackbits(rng.integers(-(2**63), 2**63 - 1, size=-(-n // 64), dtype=np.int64, endpoint=True).view(np.uint8))[:n]
        s = w * c
        out[k] = s.mean() / (s.std(ddof=1) / np.sqrt(n))
    return out


def bench_bootstrap(n: int, b: int) -> None:
    car = np.random.default_rng(2).normal(0.001, 0.05, n)
    t_vec, res = _timed(wild_bootstrap_t, car, b, 3, repeat=5)
    t_loop, null = _timed(_loop_wild, car, b, 3, repeat=5)
    p_loop = (1 + np.sum(np.abs(null) >= abs(res.stat))) / (b + 1)
    print(f"wild bootstrap, {b} resamples x {n} events: vectorised {t_vec:.3f} s, per-resample loop {t_loop:.3f} s "
          f"(x{t_loop / t_vec:.1f}); same p-value: {np.isclose(p_loop, res.pvalue)} (p = {res.pvalue:.4f})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--resamples", type=int, default=999)
    ap.add_argument("--boot-events", type=int, default=10_000)
    args = ap.parse_args()
    bench_bootstrap(args.boot_events, args.resamples)
    bench_bootstrap(30, args.resamples)  # small N: the per-resample overhead dominates
    bench_garch(args.events)


if __name__ == "__main__":
    main()
