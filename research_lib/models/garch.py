"""Market model with GARCH(1,1) or GJR-GARCH(1,1,1) errors, fitted per event with ``arch``.

Each event's estimation window is fitted by maximum likelihood with
``arch.arch_model(y, x=R_m, mean="LS", vol="GARCH", p=1, o=0|1, q=1)``; the
abnormal returns over the event window are standardised by the multi-step
conditional variance forecast from the end of the estimation window.  The
fits are independent, so they run in a process pool when ``workers > 1``.

References
----------
Bollerslev, T. (1986). Generalized autoregressive conditional heteroskedasticity.
*Journal of Econometrics* 31, 307-327.
Glosten, L. R., Jagannathan, R. and Runkle, D. E. (1993). On the relation between the
expected value and the volatility of the nominal excess return on stocks. *Journal of
Finance* 48, 1779-1801.
Corhay, A. and Tourani Rad, A. (1996). Conditional heteroskedasticity adjusted market
model and an event study. *Quarterly Review of Economics and Finance* 36, 529-538.
Sheppard, K. ``arch`` documentation, https://arch.readthedocs.io.
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from research_lib.engine.panel import AbnormalReturns, EventPanel
from research_lib.errors import InvalidRequestError, NoValidEventsError

log = logging.getLogger(__name__)

GARCH_MODELS = {"garch": 0, "gjr_garch": 1}
#: a parameter this close to its bound (0 for alpha, gamma, beta; 1 for persistence) is reported.
BOUND_TOL = 1e-6


@dataclass(frozen=True)
class GarchSpec:
    """Options of the GARCH market model.

    Attributes
    ----------
    model : ``"garch"`` (GARCH(1,1)) or ``"gjr_garch"`` (GJR-GARCH(1,1,1)).
    min_estimation : fewest complete estimation days to attempt a fit.
    scale : returns are multiplied by this before fitting (per cent: the
        optimiser of ``arch`` is tuned for variances near 1); results are
        reported back on the original scale.
    dist : innovation distribution passed to ``arch_model`` (``"normal"``).
    workers : processes for the per-event fits (1 = in this process).
    """

    model: str = "garch"
    min_estimation: int = 100
    scale: float = 100.0
    dist: str = "normal"
    workers: int = 1

    def __post_init__(self) -> None:
        if self.model not in GARCH_MODELS:
            raise InvalidRequestError(f"GARCH model {self.model!r} is not one of {tuple(GARCH_MODELS)}")
        if self.workers < 1:
            raise InvalidRequestError(f"workers={self.workers} must be at least 1")
        if self.min_estimation < 10:
            raise InvalidRequestError(f"min_estimation={self.min_estimation} is too small for a GARCH fit; use 100 or more")


@dataclass(frozen=True)
class GarchAbnormalReturns(AbnormalReturns):
    """AbnormalReturns whose AR variances are conditional variance forecasts.

    The OLS forecast-error term does not apply, so Var(CAR_i) is the sum of
    the event-window variance forecasts (the errors are serially
    uncorrelated under the model): ``car`` returns sum AR and sum ``ar_var``.
    ``cond_var_est`` holds the in-sample conditional variances (N, L1).
    """

    cond_var_est: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 0)))

    def car(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        m = self.window_index(start, stop)
        return np.sum(self.ar[:, m], axis=1), np.sum(self.ar_var[:, m], axis=1)


@dataclass(frozen=True)
class GarchResult:
    """Fitted events and the status of every event.

    Attributes
    ----------
    abnormal : :class:`GarchAbnormalReturns` of the events fitted (``"kept"`` or ``"flagged"``).
    status : one row per input event: ``event_id``, ``symbol``, ``status``
        (``"kept"``, ``"flagged"`` = fitted with a parameter at its bound,
        ``"failed"`` = not used), ``reason``, ``n_est``, ``stage`` (``"garch"``).
    spec : the options used.
    """

    abnormal: GarchAbnormalReturns
    status: pd.DataFrame
    spec: GarchSpec


@dataclass(frozen=True)
class _Fit:
    ok: bool
    reason: str
    params: np.ndarray  # alpha, beta (mean), omega, alpha1, [gamma1], beta1 (original scale)
    cond_var: np.ndarray  # (L1,) NaN off-sample
    forecast: np.ndarray  # (H,) variance forecasts h = 1..H
    flag: str = ""


def param_names(model: str) -> tuple[str, ...]:
    """Names of the parameters in ``AbnormalReturns.params`` for ``model``."""
    vol = ("omega", "alpha1", "gamma1", "beta1") if GARCH_MODELS[model] else ("omega", "alpha1", "beta1")
    return ("alpha", "beta", *vol)


def fit_one(y: np.ndarray, x: np.ndarray, horizon: int, spec: GarchSpec) -> _Fit:
    """Fit one event's estimation window (NaN days dropped) and forecast ``horizon`` days ahead."""
    from arch import arch_model

    o = GARCH_MODELS[spec.model]
    npar = 5 + o
    nan = _Fit(False, "", np.full(npar, np.nan), np.full(y.shape, np.nan), np.full(horizon, np.nan))
    ok = np.isfinite(y) & np.isfinite(x)
    m = int(ok.sum())
    if m < spec.min_estimation:
        return dataclasses.replace(nan, reason=f"only {m} complete estimation days, the GARCH fit needs {spec.min_estimation}; lengthen the estimation window or use the market model")
    ys, xs = spec.scale * y[ok], spec.scale * x[ok]
    if np.std(ys) == 0 or np.std(xs) == 0:
        what = "returns" if np.std(ys) == 0 else "benchmark returns"
        return dataclasses.replace(nan, reason=f"{what} are constant over the estimation window: no variance to model; check the prices")
    am = arch_model(ys, x=xs[:, None], mean="LS", vol="GARCH", p=1, o=o, q=1, dist=spec.dist, rescale=False)  # type: ignore[arg-type]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence is read from the result below
        try:
            res = am.fit(disp="off")
        except (ValueError, np.linalg.LinAlgError) as exc:
            return dataclasses.replace(nan, reason=f"arch could not fit the model: {exc}")
    if res.convergence_flag != 0:
        msg = getattr(res.optimization_result, "message", "")
        return dataclasses.replace(nan, reason=f"the likelihood optimiser did not converge ({msg}); use the market model for this event")
    p = np.asarray(res.params, dtype=float)
    fc = res.forecast(horizon=horizon, x=np.zeros((1, 1, horizon)), reindex=False).variance.to_numpy()[-1]
    s2 = spec.scale**2
    params = p.copy()
    params[0] /= spec.scale
    params[2] /= s2
    cond = np.full(y.shape, np.nan)
    cond[ok] = np.asarray(res.conditional_volatility) ** 2 / s2
    return _Fit(True, "", params, cond, fc / s2, _bound_flag(p, o))


def _bound_flag(p: np.ndarray, o: int) -> str:
    """The constraints of ``arch`` that hold with equality (within BOUND_TOL).

    arch imposes omega > 0, alpha1 >= 0, alpha1 + gamma1 >= 0 (gamma1 may be
    negative), beta1 >= 0 and alpha1 + gamma1 / 2 + beta1 <= 1.
    """
    alpha, beta = p[3], p[-1]
    gamma = p[4] if o else 0.0
    # omega's lower bound in arch is a small positive multiple of the sample variance, never 0 exactly;
    # it is not checked here
    checks = [("alpha1", alpha, "0"), ("beta1", beta, "0")]
    if o:
        checks.append(("alpha1 + gamma1", alpha + gamma, "0"))
    flags = [f"{n} = {v:.3g} at its lower bound {b}" for n, v, b in checks if v < BOUND_TOL]
    persistence = alpha + 0.5 * gamma + beta
    if persistence > 1.0 - BOUND_TOL:
        flags.append(f"persistence alpha1 + gamma1/2 + beta1 = {persistence:.6f} at the stationarity bound 1 (variance forecasts do not revert)")
    return "; ".join(flags)


def _fit_chunk(args: tuple[np.ndarray, np.ndarray, int, GarchSpec]) -> list[_Fit]:
    y, x, horizon, spec = args
    return [fit_one(y[i], x[i], horizon, spec) for i in range(y.shape[0])]


def _fit_all(y: np.ndarray, x: np.ndarray, horizon: int, spec: GarchSpec) -> list[_Fit]:
    n = y.shape[0]
    if spec.workers == 1 or n < 2 * spec.workers:
        return _fit_chunk((y, x, horizon, spec))
    chunks = np.array_split(np.arange(n), min(n, 4 * spec.workers))
    with ProcessPoolExecutor(max_workers=spec.workers) as pool:
        parts = pool.map(_fit_chunk, [(y[c], x[c], horizon, spec) for c in chunks])
        return [f for part in parts for f in part]


def fit_garch(panel: EventPanel, spec: GarchSpec | None = None) -> GarchResult:
    """Market model with GARCH(1,1) or GJR-GARCH(1,1,1) errors for every event.

    Parameters
    ----------
    panel
        A market-model panel (``x_names`` contains ``"mkt"``).
    spec
        Model, minimum estimation days, scaling and the number of worker processes.

    Returns
    -------
    GarchResult
        ``abnormal`` (AR, variance forecasts, parameters) of the fitted events and
        the status of every event.

    Raises
    ------
    NoValidEventsError
        If no event could be fitted (``attrition`` holds the status table).

    Notes
    -----
    R_t = a + b R_mt + e_t, e_t = sigma_t z_t, z_t ~ N(0, 1), with

        sigma_t^2 = omega + alpha1 e_{t-1}^2 + gamma1 e_{t-1}^2 I(e_{t-1} < 0) + beta1 sigma_{t-1}^2

    (gamma1 = 0 for GARCH(1,1); Bollerslev 1986; Glosten, Jagannathan and Runkle
    1993), fitted by ``arch`` on the complete estimation days (missing days are
    dropped, so the recursion treats the remaining days as adjacent).  For an
    event day tau, h = tau - (last estimation tau) steps after the window,
    AR_tau = R_tau - a - b R_m,tau and ``ar_var`` = E_T[sigma^2_{T+h}], the
    h-step forecast of ``arch`` (which for GARCH(1,1) is
    omega sum_{j<h-1} (alpha1 + beta1)^j + (alpha1 + beta1)^{h-1} sigma^2_{T+1}).
    SAR = AR / sqrt(forecast).  ``sigma2`` is e'e / (M - 2) of the estimation
    residuals (used by the battery's rank and dependence tests), ``k = 2``.
    Events whose fit fails (too few days, constant returns, no convergence)
    are ``"failed"`` with the reason; a fit on a boundary of arch's parameter
    space (alpha1, beta1 or alpha1 + gamma1 at 0, persistence
    alpha1 + gamma1/2 + beta1 at 1) is kept and ``"flagged"`` with the constraint named.
    """
    spec = spec or GarchSpec()
    if "mkt" not in panel.x_names:
        raise InvalidRequestError(f"the GARCH market model needs the regressor 'mkt'; the panel holds {panel.x_names}; build it with model='market'")
    j = panel.x_names.index("mkt")
    steps = np.asarray(panel.tau_evt) - int(panel.tau_est[-1])
    fits = _fit_all(panel.y_est, panel.x_est[:, :, j], int(steps.max()), spec)
    status = ["failed" if not f.ok else ("flagged" if f.flag else "kept") for f in fits]
    reasons = [f.reason if not f.ok else f.flag for f in fits]
    n_est = (np.isfinite(panel.y_est) & np.isfinite(panel.x_est[:, :, j])).sum(axis=1)
    table = pd.DataFrame({"event_id": panel.event_ids, "symbol": panel.symbols, "status": status,
                          "reason": reasons, "n_est": n_est, "stage": "garch"})
    keep = np.array([f.ok for f in fits])
    if not keep.any():
        err = NoValidEventsError("no GARCH fit succeeded: " + "; ".join(sorted(set(reasons))))
        err.attrition = table
        raise err
    for row in table[table["status"] != "kept"].itertuples():
        log.info("GARCH %s event %s: %s", row.status, row.event_id, row.reason)
    return GarchResult(_assemble(panel.select(keep), [f for f in fits if f.ok], steps, spec), table, spec)


def _assemble(panel: EventPanel, fits: list[_Fit], steps: np.ndarray, spec: GarchSpec) -> GarchAbnormalReturns:
    j = panel.x_names.index("mkt")
    params = np.stack([f.params for f in fits])
    a, b = params[:, 0], params[:, 1]
    x_est, x_evt = panel.x_est[:, :, j], panel.x_evt[:, :, j]
    resid = panel.y_est - a[:, None] - b[:, None] * x_est
    n_est = np.isfinite(resid).sum(axis=1)
    sigma2 = np.nansum(resid**2, axis=1) / (n_est - 2)
    ar = panel.y_evt - a[:, None] - b[:, None] * x_evt
    ar_var = np.stack([f.forecast[steps - 1] for f in fits])
    n, l2 = ar.shape
    return GarchAbnormalReturns(
        panel=panel, model=spec.model, param_names=param_names(spec.model), params=params, k=2,
        n_est=n_est, sigma2=sigma2, df=(n_est - 2).astype(float), est_resid=resid, ar=ar, ar_var=ar_var,
        xtx_inv=np.zeros((n, 2, 2)), x_evt_design=np.stack([np.ones((n, l2)), x_evt], axis=2),
        cond_var_est=np.stack([f.cond_var for f in fits]),
    )


__all__ = ["GARCH_MODELS", "GarchAbnormalReturns", "GarchResult", "GarchSpec", "fit_garch", "fit_one", "param_names"]
