"""Shared pieces of the model fits: conventions, sample checks and batched OLS.

OLS is solved in closed form for all N events together: with a 0/1 mask for
missing days, the normal equations X'X b = X'y are (N, p, p) and (N, p)
arrays built with batched matrix products and solved with batched
``numpy.linalg`` calls, so there is no Python loop over events.
"""

from __future__ import annotations

import numpy as np

from research_lib.conventions import Conventions
from research_lib.engine.panel import AbnormalReturns, EventPanel
from research_lib.errors import DataError, InsufficientEstimationWindowError
from research_lib.models.registry import prediction_variance


def ddof(conv: Conventions, k: int) -> int:
    """Degrees of freedom subtracted from M in s^2 under ``conv.resid_ddof``."""
    return {"k": k, "1": 1, "0": 0}[conv.resid_ddof]


def t_df(conv: Conventions, n_est: np.ndarray, resid_df: np.ndarray) -> np.ndarray:
    """Degrees of freedom of single-event t tests under ``conv.t_df``."""
    return {"resid": resid_df, "n_est": n_est, "n_est_minus_1": n_est - 1}[conv.t_df]


def check_sample(panel: EventPanel, n_est: np.ndarray, need: int, model: str) -> None:
    short = np.flatnonzero(n_est < need)
    if len(short):
        i = short[0]
        raise InsufficientEstimationWindowError(
            int(n_est[i]), need, what=f"model {model!r}, event {panel.event_ids[i]} (and {len(short) - 1} more)"
        )


def columns(panel: EventPanel, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(N, L1, q) and (N, L2, q) slices of the named regressors."""
    idx = [panel.x_names.index(n) for n in names]
    return panel.x_est[:, :, idx], panel.x_evt[:, :, idx]


def with_intercept(x: np.ndarray) -> np.ndarray:
    ones = np.ones(x.shape[:2] + (1,))
    return np.concatenate([ones, x], axis=2)


def batched_ols(
    y: np.ndarray, design: np.ndarray, panel: EventPanel
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """OLS of y on design for every event, on its complete cases.

    Returns (mask (N,L1), n (N,), beta (N,p), xtx_inv (N,p,p), resid (N,L1) NaN off-sample).
    """
    mask = np.isfinite(y) & np.all(np.isfinite(design), axis=2)
    xm = np.where(mask[:, :, None], design, 0.0)
    ym = np.where(mask, y, 0.0)
    xmt = xm.transpose(0, 2, 1)
    xtx = xmt @ xm  # (N, p, p)
    xty = (xmt @ ym[:, :, None])[:, :, 0]  # (N, p)
    rank = np.linalg.matrix_rank(xtx)
    singular = np.flatnonzero(rank < design.shape[2])
    if len(singular):
        ids = [str(panel.event_ids[i]) for i in singular[:5]]
        raise DataError(
            f"the estimation regressors are collinear (X'X singular) for events {ids}; a regressor is constant "
            "or duplicated over the estimation sample: check the benchmark/factor data or use another model"
        )
    beta = np.linalg.solve(xtx, xty[:, :, None])[:, :, 0]
    xtx_inv = np.linalg.inv(xtx)
    resid = np.where(mask, y - (design @ beta[:, :, None])[:, :, 0], np.nan)
    return mask, mask.sum(axis=1), beta, xtx_inv, resid


def full_window_inverse(mkt_est: np.ndarray, n_est: np.ndarray) -> np.ndarray:
    """(N, 2, 2) matrix A with [1, x] A [1, x]' = 1/M + (x - mean)^2 / Sxx over ALL window market returns."""
    fin = np.isfinite(mkt_est)
    cnt = fin.sum(axis=1)
    mbar = np.where(fin, mkt_est, 0.0).sum(axis=1) / cnt
    sxx = np.where(fin, (mkt_est - mbar[:, None]) ** 2, 0.0).sum(axis=1)
    a = np.empty((len(n_est), 2, 2))
    a[:, 0, 0] = 1.0 / n_est + mbar**2 / sxx
    a[:, 0, 1] = a[:, 1, 0] = -mbar / sxx
    a[:, 1, 1] = 1.0 / sxx
    return a


def intercept_slope_inverse(n_est: np.ndarray, xbar: np.ndarray, q: np.ndarray) -> np.ndarray:
    """(N, 2, 2) A = [[1/M + xbar^2 q, -xbar q], [-xbar q, q]], so [1, x] A [1, x]' = 1/M + (x - xbar)^2 q.

    With q = 1/Sxx this is (X'X)^-1 of the market model.
    """
    a = np.empty((len(n_est), 2, 2))
    a[:, 0, 0] = 1.0 / n_est + xbar**2 * q
    a[:, 0, 1] = a[:, 1, 0] = -xbar * q
    a[:, 1, 1] = q
    return a


def fit_ols(
    panel: EventPanel, model: str, names: list[str], conv: Conventions, param_names: tuple[str, ...]
) -> AbnormalReturns:
    """OLS of y on (1, the named regressors) for every event (CLM 1997, sec. 4.4)."""
    x_est, x_evt = columns(panel, names)
    d_est, d_evt = with_intercept(x_est), with_intercept(x_evt)
    p = d_est.shape[2]
    mask, n_est, beta, xtx_inv, resid = batched_ols(panel.y_est, d_est, panel)
    dd = ddof(conv, p)
    check_sample(panel, n_est, max(p + 1, dd + 1), model)
    sigma2 = np.nansum(resid**2, axis=1) / (n_est - dd)
    if model == "market" and conv.market_moments == "full_window":
        xtx_inv = full_window_inverse(x_est[:, :, 0], n_est)
    ar = panel.y_evt - (d_evt @ beta[:, :, None])[:, :, 0]
    return AbnormalReturns(
        panel=panel, model=model, param_names=param_names, params=beta, k=p, n_est=n_est, sigma2=sigma2,
        df=t_df(conv, n_est, n_est - p), est_resid=resid, ar=ar, ar_var=prediction_variance(sigma2, d_evt, xtx_inv, conv),
        xtx_inv=xtx_inv, x_evt_design=d_evt, conventions=conv,
    )
