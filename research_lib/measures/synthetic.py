"""Seeded synthetic event panels for tests, simulations and benchmarks."""

from __future__ import annotations

import numpy as np

from research_lib.engine.panel import EventPanel


def synthetic_panel(
    y_est: np.ndarray, y_evt: np.ndarray, x_est: np.ndarray | None = None, x_evt: np.ndarray | None = None
) -> EventPanel:
    """An :class:`EventPanel` around given (N, L1), (N, L2) arrays.

    Event time runs -L1-L2//2 .. -L2//2-1 (estimation) and -(L2//2) .. L2-L2//2-1
    (event window); sessions are business days ending with each event's
    window, events ``E0..E{N-1}`` on symbol ``S{i}`` with benchmark ``MKT``.
    ``x_est``/``x_evt`` are the market regressor (``("mkt",)``) if given.
    """
    n, l1 = y_est.shape
    l2 = y_evt.shape[1]
    lead = l2 // 2
    tau_evt = np.arange(-lead, l2 - lead)
    tau_est = np.arange(-lead - l1, -lead)
    days = np.busday_offset("2020-01-01", np.arange(l1 + l2 + n), roll="forward").astype("datetime64[ns]")
    grid = np.stack([days[i : i + l1 + l2] for i in range(n)])
    if x_est is None or x_evt is None:
        names: tuple[str, ...] = ()
        xe, xv = np.zeros((n, l1, 0)), np.zeros((n, l2, 0))
    else:
        xe, xv, names = x_est[:, :, None], x_evt[:, :, None], ("mkt",)
    return EventPanel(
        event_ids=np.array([f"E{i}" for i in range(n)], dtype=object),
        symbols=np.array([f"S{i}" for i in range(n)], dtype=object),
        benchmarks=np.array(["MKT"] * n, dtype=object),
        day0=grid[:, l1 + lead],
        tau_est=tau_est,
        tau_evt=tau_evt,
        est_dates=grid[:, :l1],
        evt_dates=grid[:, l1:],
        y_est=np.asarray(y_est, dtype=float),
        y_evt=np.asarray(y_evt, dtype=float),
        x_est=xe,
        x_evt=xv,
        r_evt=np.asarray(y_evt, dtype=float),
        offset_evt=np.zeros((n, l2)),
        x_names=names,
    )


def market_model_panel(n: int, l1: int = 240, l2: int = 21, seed: int = 0, beta: float = 1.0, sigma: float = 0.02) -> EventPanel:
    """Seeded market-model returns: R = 0.0002 + beta R_m + e, R_m ~ N(0.0003, 0.01^2), e ~ N(0, sigma^2)."""
    rng = np.random.default_rng(seed)
    m = rng.normal(0.0003, 0.01, (n, l1 + l2))
    r = 0.0002 + beta * m + rng.normal(0.0, sigma, (n, l1 + l2))
    return synthetic_panel(r[:, :l1], r[:, l1:], m[:, :l1], m[:, l1:])


def garch_panel(n: int, l1: int = 250, l2: int = 11, seed: int = 0) -> EventPanel:
    """Seeded market model with GARCH(1,1) errors: omega 2e-5, alpha 0.10, beta 0.85 (daily variance 4e-4)."""
    rng = np.random.default_rng(seed)
    t = l1 + l2
    m = rng.normal(0.0003, 0.01, (n, t))
    e = np.empty((n, t))
    s2 = np.full(n, 2e-5 / 0.05)
    for k in range(t):  # the recursion runs over days, vectorised over events
        e[:, k] = np.sqrt(s2) * rng.standard_normal(n)
        s2 = 2e-5 + 0.1 * e[:, k] ** 2 + 0.85 * s2
    r = 0.0002 + 1.1 * m + e
    return synthetic_panel(r[:, :l1], r[:, l1:], m[:, :l1], m[:, l1:])


__all__ = ["garch_panel", "market_model_panel", "synthetic_panel"]
