"""Normal-return models solved for all events at once.

Every model is fitted on the complete cases of each event's estimation
window (days with the return and every regressor).  OLS is solved in closed
form for all N events together: with a 0/1 mask for missing days, the normal
equations X'X b = X'y are (N, p, p) and (N, p) arrays built with batched
matrix products and solved with batched ``numpy.linalg`` calls, so there is
no Python loop over events.  :func:`fit_event_ols` refits one event with
statsmodels, for details (robust standard errors) and as the tests' oracle.

References
----------
Campbell, J. Y., Lo, A. W. and MacKinlay, A. C. (1997), *The Econometrics of
Financial Markets*, ch. 4.3-4.4.  MacKinlay, A. C. (1997), "Event studies in
economics and finance", *JEL* 35(1).  Brown, S. J. and Warner, J. B. (1980,
1985), *JFE* 8 and 14.  Scholes, M. and Williams, J. (1977), "Estimating betas
from nonsynchronous data", *JFE* 5.  Dimson, E. (1979), "Risk measurement when
shares are subject to infrequent trading", *JFE* 7.  Fama, E. F. and French,
K. R. (1993, 2015); Carhart, M. M. (1997).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from research_lib.conventions import TEXTBOOK, Conventions, get_conventions
from research_lib.engine.panel import AbnormalReturns, EventPanel
from research_lib.engine.windows import FACTOR_COLUMNS
from research_lib.errors import DataError, InsufficientEstimationWindowError, InvalidRequestError

if TYPE_CHECKING:
    from statsmodels.regression.linear_model import RegressionResultsWrapper

MODELS = ("constant_mean", "market_adjusted", "market", "ff3", "ff5", "carhart4", "scholes_williams", "dimson")
OLS_MODELS = ("constant_mean", "market", "ff3", "ff5", "carhart4", "dimson")


# --------------------------------------------------------------------------- design
def _dimson_columns(x_names: tuple[str, ...]) -> list[str]:
    lags = sorted((int(n[7:]) for n in x_names if n.startswith("mkt_lag")), reverse=True)
    leads = sorted(int(n[8:]) for n in x_names if n.startswith("mkt_lead"))
    return [f"mkt_lag{j}" for j in lags] + ["mkt"] + [f"mkt_lead{j}" for j in leads]


def _regressors(panel: EventPanel, model: str) -> list[str]:
    """Names of the panel's x variables the model regresses on (intercept excluded)."""
    if model not in MODELS:
        raise InvalidRequestError(f"unknown model {model!r}; choose one of {MODELS}")
    if model == "constant_mean":
        need: list[str] = []
    elif model in ("market", "market_adjusted"):
        need = ["mkt"]
    elif model == "scholes_williams":
        need = ["mkt_lag1", "mkt", "mkt_lead1"]
    elif model == "dimson":
        need = _dimson_columns(panel.x_names)
        if len(need) < 3:
            need = ["mkt_lag1", "mkt", "mkt_lead1"]  # reported as missing below
    else:
        need = list(FACTOR_COLUMNS[model])
    lacking = [n for n in need if n not in panel.x_names]
    if lacking:
        raise InvalidRequestError(
            f"the panel holds the regressors {panel.x_names}, but model {model!r} needs {need}; "
            f"rebuild it with build_panel(..., model={model!r})"
        )
    return need


def _columns(panel: EventPanel, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(N, L1, q) and (N, L2, q) slices of the named regressors."""
    idx = [panel.x_names.index(n) for n in names]
    return panel.x_est[:, :, idx], panel.x_evt[:, :, idx]


def _with_intercept(x: np.ndarray) -> np.ndarray:
    ones = np.ones(x.shape[:2] + (1,))
    return np.concatenate([ones, x], axis=2)


def _check_conventions(conv: Conventions) -> None:
    checks = {
        "resid_ddof": ("k", "1", "0"),
        "t_df": ("resid", "n_est", "n_est_minus_1"),
        "market_moments": ("complete_cases", "full_window"),
    }
    for name, allowed in checks.items():
        if getattr(conv, name) not in allowed:
            raise InvalidRequestError(f"conventions.{name}={getattr(conv, name)!r} is not one of {allowed}")


def _ddof(conv: Conventions, k: int) -> int:
    return {"k": k, "1": 1, "0": 0}[conv.resid_ddof]


def _t_df(conv: Conventions, n_est: np.ndarray, resid_df: np.ndarray) -> np.ndarray:
    """Degrees of freedom of single-event t tests under ``conv.t_df``."""
    return {"resid": resid_df, "n_est": n_est, "n_est_minus_1": n_est - 1}[conv.t_df]


def _check_sample(panel: EventPanel, n_est: np.ndarray, need: int, model: str) -> None:
    short = np.flatnonzero(n_est < need)
    if len(short):
        i = short[0]
        raise InsufficientEstimationWindowError(
            int(n_est[i]), need, what=f"model {model!r}, event {panel.event_ids[i]} (and {len(short) - 1} more)"
        )


# --------------------------------------------------------------------------- OLS core
def _batched_ols(
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


def _full_window_inverse(mkt_est: np.ndarray, n_est: np.ndarray) -> np.ndarray:
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


def _fit_market_closed_form(panel: EventPanel, conv: Conventions) -> AbnormalReturns:
    """The market model for all events at once from sums over each estimation sample.

    b_i = sum (x - xbar)(y - ybar) / sum (x - xbar)^2 and a_i = ybar - b_i xbar on the
    complete cases; (X'X)^-1 = [[1/M + xbar^2/Sxx, -xbar/Sxx], [-xbar/Sxx, 1/Sxx]].
    Identical to the general batched OLS (tested), in a few passes over (N, L1) arrays.
    """
    x_est, x_evt = panel.x_est[:, :, panel.x_names.index("mkt")], panel.x_evt[:, :, panel.x_names.index("mkt")]
    y = panel.y_est
    mask = np.isfinite(y) & np.isfinite(x_est)
    n_est = mask.sum(axis=1)
    ddof = _ddof(conv, 2)
    _check_sample(panel, n_est, max(3, ddof + 1), "market")
    # in-place arithmetic on as few (N, L1) arrays as possible: at 10^4-10^5 events the cost
    # is memory traffic, not flops
    xm = np.where(mask, x_est, 0.0)
    ym = np.where(mask, y, 0.0)
    xbar = xm.sum(axis=1) / n_est
    ybar = ym.sum(axis=1) / n_est
    # uncentred sums: for returns (|mean| << sd) the cancellation costs nothing measurable
    sxx_raw = np.einsum("nl,nl->n", xm, xm)
    sxx = sxx_raw - n_est * xbar**2
    sxy = np.einsum("nl,nl->n", xm, ym) - n_est * xbar * ybar
    flat = np.flatnonzero(~(sxx > 1e-12 * np.maximum(1e-300, sxx_raw)))
    if len(flat):
        ids = [str(panel.event_ids[i]) for i in flat[:5]]
        raise DataError(
            f"the benchmark return does not vary over the estimation sample of events {ids}; "
            "check the benchmark's prices or choose another benchmark"
        )
    beta = sxy / sxx
    alpha = ybar - beta * xbar
    resid = xm  # reuse: resid = (y - alpha - beta x) on the sample, 0 elsewhere, then NaN elsewhere
    resid *= -beta[:, None]
    resid += ym
    resid -= alpha[:, None]
    resid *= mask
    sigma2 = np.einsum("nl,nl->n", resid, resid) / (n_est - ddof)
    resid[~mask] = np.nan
    if conv.market_moments == "full_window":
        xtx_inv = _full_window_inverse(x_est, n_est)
    else:
        xtx_inv = np.empty((len(n_est), 2, 2))
        xtx_inv[:, 0, 0] = 1.0 / n_est + xbar**2 / sxx
        xtx_inv[:, 0, 1] = xtx_inv[:, 1, 0] = -xbar / sxx
        xtx_inv[:, 1, 1] = 1.0 / sxx
    ar = panel.y_evt - alpha[:, None] - beta[:, None] * x_evt
    if conv.forecast_error:
        a00, a01, a11 = xtx_inv[:, 0, 0, None], xtx_inv[:, 0, 1, None], xtx_inv[:, 1, 1, None]
        ar_var = sigma2[:, None] * (1.0 + a00 + 2 * a01 * x_evt + a11 * x_evt**2)
    else:
        ar_var = np.repeat(sigma2[:, None], ar.shape[1], axis=1)
    design = np.stack([np.ones_like(x_evt), x_evt], axis=2)
    return AbnormalReturns(
        panel=panel, model="market", param_names=("alpha", "beta"), params=np.column_stack([alpha, beta]), k=2,
        n_est=n_est, sigma2=sigma2, df=_t_df(conv, n_est, n_est - 2), est_resid=resid, ar=ar,
        ar_var=ar_var, xtx_inv=xtx_inv, x_evt_design=design, conventions=conv,
    )


def _fit_ols_model(panel: EventPanel, model: str, names: list[str], conv: Conventions) -> AbnormalReturns:
    x_est, x_evt = _columns(panel, names)
    d_est, d_evt = _with_intercept(x_est), _with_intercept(x_evt)
    p = d_est.shape[2]
    mask, n_est, beta, xtx_inv, resid = _batched_ols(panel.y_est, d_est, panel)
    ddof = _ddof(conv, p)
    _check_sample(panel, n_est, max(p + 1, ddof + 1), model)
    sigma2 = np.nansum(resid**2, axis=1) / (n_est - ddof)
    if model == "market" and conv.market_moments == "full_window":
        xtx_inv = _full_window_inverse(x_est[:, :, 0], n_est)
    ar = panel.y_evt - (d_evt @ beta[:, :, None])[:, :, 0]
    if conv.forecast_error:
        quad = np.sum((d_evt @ xtx_inv) * d_evt, axis=2)  # x*' (X'X)^-1 x* per day
        ar_var = sigma2[:, None] * (1.0 + quad)
    else:
        ar_var = np.repeat(sigma2[:, None], ar.shape[1], axis=1)
    if model == "market":
        param_names: tuple[str, ...] = ("alpha", "beta")
    elif model == "constant_mean":
        param_names = ("mu",)
    else:
        param_names = ("alpha", *names)
    df = _t_df(conv, n_est, n_est - p)
    return AbnormalReturns(
        panel=panel,
        model=model,
        param_names=param_names,
        params=beta,
        k=p,
        n_est=n_est,
        sigma2=sigma2,
        df=df,
        est_resid=resid,
        ar=ar,
        ar_var=ar_var,
        xtx_inv=xtx_inv,
        x_evt_design=d_evt,
        conventions=conv,
    )


# --------------------------------------------------------------------------- other models
def _fit_market_adjusted(panel: EventPanel, conv: Conventions) -> AbnormalReturns:
    m_est, m_evt = _columns(panel, ["mkt"])
    e = panel.y_est - m_est[:, :, 0]
    mask = np.isfinite(e)
    n_est = mask.sum(axis=1)
    ddof = 0 if conv.resid_ddof == "0" else 1
    _check_sample(panel, n_est, 2, "market_adjusted")
    ebar = np.where(mask, e, 0.0).sum(axis=1) / n_est
    sigma2 = np.where(mask, (e - ebar[:, None]) ** 2, 0.0).sum(axis=1) / (n_est - ddof)
    ar = panel.y_evt - m_evt[:, :, 0]
    n = panel.n_events
    return AbnormalReturns(
        panel=panel,
        model="market_adjusted",
        param_names=(),
        params=np.zeros((n, 0)),
        k=0,
        n_est=n_est,
        sigma2=sigma2,
        df=_t_df(conv, n_est, n_est - 1),
        est_resid=np.where(mask, e, np.nan),
        ar=ar,
        ar_var=np.repeat(sigma2[:, None], ar.shape[1], axis=1),
        xtx_inv=np.zeros((n, 0, 0)),
        x_evt_design=np.zeros((n, ar.shape[1], 0)),
        conventions=conv,
    )


def _fit_scholes_williams(panel: EventPanel, conv: Conventions) -> AbnormalReturns:
    x_est, x_evt = _columns(panel, ["mkt_lag1", "mkt", "mkt_lead1"])
    y = panel.y_est
    mask = np.isfinite(y) & np.all(np.isfinite(x_est), axis=2)
    n_est = mask.sum(axis=1)
    _check_sample(panel, n_est, 3, "scholes_williams")
    w = mask.astype(float)
    ybar = np.where(mask, y, 0.0).sum(axis=1) / n_est
    xbar = np.einsum("nl,nlq->nq", w, np.where(mask[:, :, None], x_est, 0.0)) / n_est[:, None]
    xc = np.where(mask[:, :, None], x_est - xbar[:, None, :], 0.0)
    yc = np.where(mask, y - ybar[:, None], 0.0)
    sxx = np.einsum("nlq,nlq->nq", xc, xc)
    sxy = np.einsum("nlq,nl->nq", xc, yc)
    slopes = sxy / sxx  # b_-1, b_0, b_+1 from three simple regressions
    rho = np.einsum("nl,nl->n", xc[:, :, 1], xc[:, :, 0]) / np.sqrt(sxx[:, 1] * sxx[:, 0])
    beta = slopes.sum(axis=1) / (1.0 + 2.0 * rho)
    alpha = ybar - beta * xbar[:, 1]
    resid = np.where(mask, y - alpha[:, None] - beta[:, None] * x_est[:, :, 1], np.nan)
    ddof = _ddof(conv, 2)
    sigma2 = np.nansum(resid**2, axis=1) / (n_est - ddof)
    ar = panel.y_evt - alpha[:, None] - beta[:, None] * x_evt[:, :, 1]
    n, l2 = ar.shape
    design = np.stack([np.ones((n, l2)), x_evt[:, :, 1]], axis=2)
    return AbnormalReturns(
        panel=panel,
        model="scholes_williams",
        param_names=("alpha", "beta"),
        params=np.column_stack([alpha, beta]),
        k=2,
        n_est=n_est,
        sigma2=sigma2,
        df=_t_df(conv, n_est, n_est - 2),
        est_resid=resid,
        ar=ar,
        ar_var=np.repeat(sigma2[:, None], l2, axis=1),
        xtx_inv=np.zeros((n, 2, 2)),
        x_evt_design=design,
        conventions=conv,
    )


# --------------------------------------------------------------------------- public
def fit_model(panel: EventPanel, model: str = "market", conventions: Conventions | str = TEXTBOOK) -> AbnormalReturns:
    """Fit a normal-return model to every event of a panel and compute abnormal returns.

    Parameters
    ----------
    panel
        Output of :func:`research_lib.engine.windows.build_panel` (built for a model
        with the regressors this one needs).
    model
        One of :data:`MODELS`.
    conventions
        Convention set (or its name): residual degrees of freedom, forecast
        error term, market moments, t degrees of freedom.

    Returns
    -------
    AbnormalReturns
        Parameters, residual variances, ARs and their prediction-error variances.

    Notes
    -----
    **OLS models** (``constant_mean``, ``market``, ``ff3``, ``ff5``,
    ``carhart4``, ``dimson``): y_i = X_i b_i + e_i with an intercept column,
    on the M_i complete cases.  s_i^2 = e'e / (M_i - d) with d = k (textbook),
    1 or 0 (``conventions.resid_ddof``).  AR_it = y_it - x*_it' b_i, with
    prediction-error variance (CLM 1997, eq. 4.4.9-4.4.10)

        S^2_it = s_i^2 (1 + x*_it' (X_i'X_i)^-1 x*_it),

    which for the market model equals
    s_i^2 [1 + 1/M_i + (R_mt - mean R_m)^2 / sum (R_m - mean R_m)^2].
    ``forecast_error=False`` gives S^2_it = s_i^2.  For the market model with
    ``market_moments="full_window"`` (estudy2), the mean and sum of squares of
    R_m in that term are taken over every market return of the estimation
    window, not only the security's complete cases, while M_i stays the
    complete-case count; ``xtx_inv`` then holds the 2x2 matrix whose quadratic
    form is that term, so that ``AbnormalReturns.car`` uses it too.  Other
    models ignore ``market_moments``.  For factor models y = R - rf and the
    normal return is rf + x*'b.  Dimson (1979): the slopes on the lagged,
    contemporaneous and leading market returns are the coefficients; the
    Dimson beta is their sum (:func:`dimson_beta`), and the AR uses all terms;
    K lags and leads come from ``build_panel(..., dimson_lags=K)``.

    **market_adjusted** (Brown and Warner 1980): AR = R - R_m, no parameters
    (k = 0); s^2 is the sample variance of the estimation-window ARs about
    their mean, divided by M - 1 (M under ``resid_ddof="0"``); S^2 = s^2;
    t tests use M - 1 degrees of freedom.

    **scholes_williams** (1977): on the common sample of R, R_m,t-1, R_m,t,
    R_m,t+1, b_SW = (b_-1 + b_0 + b_+1) / (1 + 2 rho_m), with b_j the slopes of
    simple regressions of R on each market return and rho_m the correlation
    of R_m,t with R_m,t-1 on that sample; a_SW = mean R - b_SW mean R_m.
    AR = R - a_SW - b_SW R_mt; s^2 from those residuals with M - 2 (per
    ``resid_ddof``).  The OLS forecast-error term does not apply to these
    estimators, so S^2 = s^2 and ``xtx_inv`` is zero (Var(CAR) = L s^2).

    References
    ----------
    Campbell, Lo and MacKinlay (1997), sec. 4.4; MacKinlay (1997); Brown and
    Warner (1980, 1985); Scholes and Williams (1977); Dimson (1979); Fama and
    French (1993, 2015); Carhart (1997).
    """
    conv = get_conventions(conventions)
    _check_conventions(conv)
    names = _regressors(panel, model)
    if model == "market_adjusted":
        return _fit_market_adjusted(panel, conv)
    if model == "scholes_williams":
        return _fit_scholes_williams(panel, conv)
    if model == "market":
        return _fit_market_closed_form(panel, conv)
    return _fit_ols_model(panel, model, names, conv)


def dimson_beta(result: AbnormalReturns) -> np.ndarray:
    """(N,) Dimson (1979) beta: the sum of the slopes on lagged, current and leading market returns."""
    if result.model != "dimson":
        raise InvalidRequestError(f"dimson_beta needs a Dimson fit, got model {result.model!r}")
    return result.params[:, 1:].sum(axis=1)


def fit_event_ols(panel: EventPanel, i: int, model: str = "market") -> RegressionResultsWrapper:
    """Refit event ``i`` by statsmodels OLS on its complete cases.

    Use it for per-event detail (``.summary()``, ``.get_robustcov_results("HAC", maxlags=5)``)
    and as an independent check of :func:`fit_model`.  The exog columns are
    ``const`` and the model's regressor names; the index is the estimation dates.

    Returns
    -------
    statsmodels.regression.linear_model.RegressionResultsWrapper
    """
    import statsmodels.api as sm

    if model not in OLS_MODELS:
        raise InvalidRequestError(f"fit_event_ols covers the OLS models {OLS_MODELS}, not {model!r}")
    names = _regressors(panel, model)
    x_est, _ = _columns(panel, names)
    exog = pd.DataFrame(x_est[i], columns=names, index=pd.DatetimeIndex(panel.est_dates[i], name="date"))
    exog.insert(0, "const", 1.0)
    endog = pd.Series(panel.y_est[i], index=exog.index, name="y")
    keep = endog.notna() & exog.notna().all(axis=1)
    return sm.OLS(endog[keep], exog[keep]).fit()


__all__ = ["MODELS", "OLS_MODELS", "dimson_beta", "fit_event_ols", "fit_model"]
