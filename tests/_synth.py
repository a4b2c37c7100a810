"""Seeded synthetic event studies for the inference tests.

Builds an :class:`~research_lib.engine.panel.AbnormalReturns` from simulated
market-model returns with its own small OLS (numpy, vectorised over events),
independent of ``research_lib.models.fit``.

Data-generating process on a common business-day calendar of G days:
R_mt ~ N(mu_m, sd_m^2); a common non-market factor f_t ~ N(0, 1);
R_it = a_i + b_i R_mt + s_i (sqrt(rho) f_t + sqrt(1 - rho) u_it), u_it ~ N(0, 1),
so the market-model residuals of two events have correlation rho on the days
they share.  On event day 0 the noise can be scaled by sqrt(var_mult) and a
shift ``ar0`` added (in units of return, or of s_i if ``ar0_in_sd``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from research_lib.conventions import TEXTBOOK, Conventions
from research_lib.engine.panel import AbnormalReturns, EventPanel


def market_model_ar(
    y_est: np.ndarray,
    x_est: np.ndarray,
    y_evt: np.ndarray,
    x_evt: np.ndarray,
    ddof: int = 2,
) -> dict[str, np.ndarray]:
    """OLS of y on (1, x) per event (rows), with nan as missing.

    Returns alpha, beta, n (M_i), sigma2 (SSR / (M_i - ddof)), est_resid,
    ar, ar_var = sigma2 (1 + 1/M + (x* - xbar)^2 / Sxx), xtx_inv (N, 2, 2)
    and the design rows (N, L2, 2).
    """
    ok = np.isfinite(y_est) & np.isfinite(x_est)
    n = ok.sum(axis=1).astype(float)
    xs = np.where(ok, x_est, 0.0)
    ys = np.where(ok, y_est, 0.0)
    xbar = xs.sum(axis=1) / n
    ybar = ys.sum(axis=1) / n
    dx = np.where(ok, x_est - xbar[:, None], 0.0)
    dy = np.where(ok, y_est - ybar[:, None], 0.0)
    sxx = (dx * dx).sum(axis=1)
    beta = (dx * dy).sum(axis=1) / sxx
    alpha = ybar - beta * xbar
    resid = np.where(ok, y_est - alpha[:, None] - beta[:, None] * x_est, np.nan)
    sigma2 = np.nansum(resid**2, axis=1) / (n - ddof)
    ar = y_evt - alpha[:, None] - beta[:, None] * x_evt
    ar_var = sigma2[:, None] * (1.0 + 1.0 / n[:, None] + (x_evt - xbar[:, None]) ** 2 / sxx[:, None])
    sx = xs.sum(axis=1)
    sxx_raw = (xs * xs).sum(axis=1)
    det = n * sxx_raw - sx**2
    xtx_inv = np.stack([np.stack([sxx_raw, -sx], axis=1), np.stack([-sx, n], axis=1)], axis=1) / det[:, None, None]
    design = np.stack([np.ones_like(x_evt), x_evt], axis=2)
    return {"alpha": alpha, "beta": beta, "n": n, "sigma2": sigma2, "est_resid": resid, "ar": ar,
            "ar_var": ar_var, "xtx_inv": xtx_inv, "design": design}


def make_ab(
    n_events: int = 30,
    l1: int = 120,
    l2: int = 11,
    seed: int = 0,
    ar0: float = 0.0,
    ar0_in_sd: bool = False,
    var_mult: float = 1.0,
    rho: float = 0.0,
    same_date: bool = False,
    spread_days: int = 1000,
    missing: float = 0.0,
    sigma: tuple[float, float] = (0.01, 0.03),
    conventions: Conventions = TEXTBOOK,
    rng: np.random.Generator | None = None,
) -> AbnormalReturns:
    """A synthetic :class:`AbnormalReturns` (market model) of ``n_events`` events.

    ``same_date`` puts every event on the same calendar day (so their
    estimation windows coincide); otherwise event offsets are drawn
    uniformly over ``spread_days`` business days.  ``missing`` is the
    probability that an estimation-window return is missing; ``sigma`` the
    range of the uniform distribution of the residual SDs s_i.
    """
    rng = rng if rng is not None else np.random.default_rng(seed)
    half = l2 // 2
    tau_evt = np.arange(-half, l2 - half)
    tau_est = np.arange(tau_evt[0] - l1, tau_evt[0])
    span = l1 + l2
    offsets = np.zeros(n_events, dtype=int) if same_date else rng.integers(0, spread_days, n_events)
    g = int(offsets.max()) + span
    cal = pd.bdate_range("2000-01-03", periods=g).values.astype("datetime64[ns]")
    rm = rng.normal(0.0004, 0.01, g)
    f = rng.normal(0.0, 1.0, g)
    a = rng.normal(0.0, 0.0005, n_events)
    b = rng.uniform(0.5, 1.5, n_events)
    s = rng.uniform(sigma[0], sigma[1], n_events)
    idx = offsets[:, None] + np.arange(span)[None, :]
    noise = np.sqrt(rho) * f[idx] + np.sqrt(1.0 - rho) * rng.normal(0.0, 1.0, (n_events, span))
    day0 = l1 + half
    noise[:, day0] *= np.sqrt(var_mult)
    y = a[:, None] + b[:, None] * rm[idx] + s[:, None] * noise
    y[:, day0] += ar0 * (s if ar0_in_sd else 1.0)
    x = rm[idx]
    y_est, y_evt = y[:, :l1].copy(), y[:, l1:]
    if missing > 0:
        y_est[rng.random(y_est.shape) < missing] = np.nan
    fit = market_model_ar(y_est, x[:, :l1], y_evt, x[:, l1:], ddof=2)
    dates = cal[idx]
    panel = EventPanel(
        event_ids=np.array([f"e{i}" for i in range(n_events)]),
        symbols=np.array([f"S{i}" for i in range(n_events)]),
        benchmarks=np.array(["MKT"] * n_events),
        day0=dates[:, day0],
        tau_est=tau_est,
        tau_evt=tau_evt,
        est_dates=dates[:, :l1],
        evt_dates=dates[:, l1:],
        y_est=y_est,
        y_evt=y_evt,
        x_est=x[:, :l1, None],
        x_evt=x[:, l1:, None],
        r_evt=y_evt,
        offset_evt=np.zeros_like(y_evt),
        x_names=("mkt",),
    )
    return AbnormalReturns(
        panel=panel,
        model="market",
        param_names=("alpha", "beta"),
        params=np.stack([fit["alpha"], fit["beta"]], axis=1),
        k=2,
        n_est=fit["n"],
        sigma2=fit["sigma2"],
        df=fit["n"] - 2,
        est_resid=fit["est_resid"],
        ar=fit["ar"],
        ar_var=fit["ar_var"],
        xtx_inv=fit["xtx_inv"],
        x_evt_design=fit["design"],
        conventions=conventions,
    )
