"""The two array containers that connect windows, models and inference.

:class:`EventPanel` holds the inputs of N events stacked as arrays
(events x days); :class:`AbnormalReturns` holds what a normal-return model
made of them.  Missing values are NaN throughout; nothing is shifted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from research_lib.conventions import TEXTBOOK, Conventions
from research_lib.errors import InvalidRequestError, WindowError


@dataclass(frozen=True)
class EventPanel:
    """Estimation and event windows of N events as arrays.

    Shapes: N events, L1 estimation sessions, L2 event-window sessions,
    q regressor variables.

    Attributes
    ----------
    event_ids
        (N,) event identifiers.
    symbols, benchmarks
        (N,) security and benchmark symbols.
    day0
        (N,) datetime64[ns] day-0 sessions.
    tau_est
        (L1,) event time of the estimation sessions (e.g. -250..-11).
    tau_evt
        (L2,) event time of the event-window sessions (e.g. -10..10).
    est_dates, evt_dates
        (N, L1), (N, L2) datetime64[ns] session dates.
    y_est, y_evt
        (N, L1), (N, L2) dependent variable: the security's return
        (minus the risk-free rate for factor models); NaN where missing.
    x_est, x_evt
        (N, L1, q), (N, L2, q) regressor variables, named by
        ``x_names`` (``("mkt",)`` for the market model; lags and leads for
        Dimson; factors for Fama-French); NaN where missing.
    r_evt
        (N, L2) raw security returns in the event window (for BHAR).
    offset_evt
        (N, L2) the part of the normal return not fitted (risk-free
        rate for factor models, 0 otherwise): E[R] = offset + fitted.
    x_names
        names of the q regressor variables.
    returns_kind
        ``"simple"`` or ``"log"``.

    Examples
    --------
    >>> from research_lib.examples import example_panel
    >>> panel = example_panel()
    >>> panel.y_est.shape, panel.y_evt.shape  # (events, estimation days), (events, event days)
    ((5, 240), (5, 21))
    """

    event_ids: np.ndarray
    symbols: np.ndarray
    benchmarks: np.ndarray
    day0: np.ndarray
    tau_est: np.ndarray
    tau_evt: np.ndarray
    est_dates: np.ndarray
    evt_dates: np.ndarray
    y_est: np.ndarray
    y_evt: np.ndarray
    x_est: np.ndarray
    x_evt: np.ndarray
    r_evt: np.ndarray
    offset_evt: np.ndarray
    x_names: tuple[str, ...]
    returns_kind: str = "simple"

    @property
    def n_events(self) -> int:
        return int(self.y_est.shape[0])

    def select(self, mask: np.ndarray) -> EventPanel:
        """The sub-panel of the events where ``mask`` is True."""
        kw = {}
        for name in self.__dataclass_fields__:
            val = getattr(self, name)
            if isinstance(val, np.ndarray) and val.ndim >= 1 and val.shape[0] == self.n_events and name not in ("tau_est", "tau_evt"):
                kw[name] = val[mask]
            else:
                kw[name] = val
        return EventPanel(**kw)


@dataclass(frozen=True)
class AbnormalReturns:
    """A normal-return model's output for N events.

    Attributes
    ----------
    panel
        the inputs.
    model
        model name (``"market"``, ``"constant_mean"``, ...).
    param_names
        names of the p estimated coefficients (``("alpha", "beta")``).
    params
        (N, p) coefficients.
    k
        number of estimated parameters (p; 0 for market-adjusted).
    n_est
        (N,) M_i, valid estimation returns used.
    sigma2
        (N,) residual variance s_i^2 = sum e^2 / (M_i - ddof).
    df
        (N,) degrees of freedom of single-event t tests.
    est_resid
        (N, L1) estimation-window residuals (NaN where missing).
    ar
        (N, L2) abnormal returns.
    ar_var
        (N, L2) prediction-error variance S^2_it of each AR.
    xtx_inv
        (N, p, p) (X'X)^-1 of the estimation regressors (with intercept
        column where the model has one); zero-size when k = 0.
    x_evt_design
        (N, L2, p) event-window design rows X*_i.
    conventions
        the convention set used.

    Examples
    --------
    >>> from research_lib.examples import example_abnormal_returns
    >>> ab = example_abnormal_returns()
    >>> car, var = ab.car(0, 0)  # day 0: the planted 5% plus noise
    >>> [round(float(c), 3) for c in car]
    [0.075, 0.057, 0.048, 0.064, 0.016]
    """

    panel: EventPanel
    model: str
    param_names: tuple[str, ...]
    params: np.ndarray
    k: int
    n_est: np.ndarray
    sigma2: np.ndarray
    df: np.ndarray
    est_resid: np.ndarray
    ar: np.ndarray
    ar_var: np.ndarray
    xtx_inv: np.ndarray
    x_evt_design: np.ndarray
    conventions: Conventions = TEXTBOOK

    @property
    def is_compact(self) -> bool:
        """True for a chunked study's abnormal returns, which keep no estimation-window arrays.

        A study run with ``chunk_size``, ``workers`` or ``scheduler`` keeps the event-window
        arrays only (:func:`research_lib.engine.streaming.compact`), so that memory is set by
        the chunk size; its tests were computed from partial sums before the arrays were dropped.
        """
        return self.est_resid.ndim == 2 and self.est_resid.shape[1] == 0 and self.panel.tau_est.size > 0

    def require_estimation(self, what: str) -> None:
        """Raise :class:`InvalidRequestError` naming ``what`` and the fix if :attr:`is_compact`."""
        if self.is_compact:
            raise InvalidRequestError(
                f"{what} needs the estimation-window residuals, which a study run in chunks (chunk_size, "
                "workers or scheduler) does not keep; rerun event_study without chunk_size/workers/scheduler "
                "for this step (the study's own numbers are the same either way)")

    @property
    def sar(self) -> np.ndarray:
        """(N, L2) standardised abnormal returns AR_it / S_it."""
        return self.ar / np.sqrt(self.ar_var)

    def window_index(self, start: int, stop: int) -> np.ndarray:
        """Boolean mask over ``tau_evt`` for the window [start, stop] (inclusive)."""
        tau = self.panel.tau_evt
        if start > stop or start < tau[0] or stop > tau[-1]:
            raise WindowError(
                f"CAR window [{start}, {stop}] must be ordered and lie inside the event window [{tau[0]}, {tau[-1]}]; "
                "change the CAR window or widen the event window"
            )
        return (tau >= start) & (tau <= stop)

    def car(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """CAR_i over [start, stop] and its variance.

        Var(CAR_i) = gamma' V_i gamma with V_i = s_i^2 (I + X*_i (X_i'X_i)^-1 X*_i')
        (Campbell, Lo and MacKinlay 1997, eq. 4.4.11-4.4.14), i.e.
        s_i^2 [L + (X*'gamma)' (X'X)^-1 (X*'gamma)].  Under the
        ``sigma2_days`` convention (eventstudy package) it is L s_i^2, and with
        ``forecast_error=False`` the estimation term is dropped.

        Returns
        -------
        car : (N,) cumulative abnormal returns (NaN if any AR in the window is missing).
        var : (N,) their variances.
        """
        m = self.window_index(start, stop)
        length = int(m.sum())
        car = np.sum(self.ar[:, m], axis=1)
        if self.conventions.car_variance == "sigma2_days" or not self.conventions.forecast_error or self.k == 0:
            return car, self.sigma2 * length
        g = self.x_evt_design[:, m, :].sum(axis=1)  # (N, p) = X*' gamma
        quad = np.einsum("np,npq,nq->n", g, self.xtx_inv, g)
        return car, self.sigma2 * (length + quad)

    def to_frame(self) -> pd.DataFrame:
        """Long table: one row per event and event day (event_id, tau, date, ar, sar)."""
        n, l2 = self.ar.shape
        return pd.DataFrame(
            {
                "event_id": np.repeat(self.panel.event_ids, l2),
                "tau": np.tile(self.panel.tau_evt, n),
                "date": self.panel.evt_dates.reshape(-1),
                "ar": self.ar.reshape(-1),
                "ar_se": np.sqrt(self.ar_var).reshape(-1),
                "sar": self.sar.reshape(-1),
            }
        )
