"""The market model (CLM 1997, sec. 4.3-4.4) and market-adjusted returns (Brown and Warner 1980)."""

from __future__ import annotations

import numpy as np

from research_lib.conventions import Conventions
from research_lib.engine.panel import AbnormalReturns, EventPanel
from research_lib.errors import DataError
from research_lib.models._core import (
    check_sample,
    columns,
    ddof,
    full_window_inverse,
    intercept_slope_inverse,
    t_df,
)
from research_lib.models.registry import Layout, Model, prediction_variance, register


class MarketModel(Model):
    r"""R_it = alpha_i + beta_i R_mt + e_it, by OLS on each event's complete cases.

    Notes
    -----
    On the :math:`M_i` complete estimation days, with
    :math:`S_{xx} = \sum_t (R_{mt} - \bar R_m)^2`,

    .. math::

        \hat\beta_i = \frac{\sum_t (R_{mt} - \bar R_m)(R_{it} - \bar R_i)}{S_{xx}}, \qquad
        \hat\alpha_i = \bar R_i - \hat\beta_i \bar R_m,

        AR_{it} = R_{it} - \hat\alpha_i - \hat\beta_i R_{mt}.

    The prediction-error variances of the abnormal returns and of their sum
    over an :math:`L`-day window (CLM eq. 4.4.9-4.4.14) include the estimation
    error of :math:`\hat\alpha_i, \hat\beta_i`:

    .. math::

        \operatorname{Var}(AR_{it}) = s_i^2 \left[ 1 + \frac{1}{M_i}
        + \frac{(R_{mt} - \bar R_m)^2}{S_{xx}} \right],

        \operatorname{Var}(CAR_i) = s_i^2 \left[ L + \frac{L^2}{M_i}
        + \frac{\left(\sum_{t \in W} (R_{mt} - \bar R_m)\right)^2}{S_{xx}} \right],

    with :math:`s_i^2` the residual variance (divisor :math:`M_i - 2` by default,
    ``Conventions.resid_ddof``).  In matrix form
    :math:`(X'X)^{-1} = \begin{pmatrix} 1/M + \bar R_m^2/S_{xx} & -\bar R_m/S_{xx} \\ -\bar R_m/S_{xx} & 1/S_{xx} \end{pmatrix}`.
    With ``market_moments="full_window"`` (estudy2) the mean and :math:`S_{xx}`
    in that term come from every market return of the window.  Solved from sums
    over (N, L1) arrays, identical to the general batched OLS (tested).

    References
    ----------
    .. [1] Campbell, J. Y., Lo, A. W. and MacKinlay, A. C. (1997). The Econometrics
       of Financial Markets, Princeton University Press, sec. 4.3-4.4.
    .. [2] MacKinlay, A. C. (1997). Event studies in economics and finance. Journal
       of Economic Literature 35, 13-39.

    Examples
    --------
    >>> from research_lib import fit_model
    >>> from research_lib.examples import BETAS, example_panel
    >>> ab = fit_model(example_panel(), "market")
    >>> [round(float(b), 2) for b in ab.params[:, 1]]  # the true betas are BETAS
    [0.86, 0.85, 1.11, 0.91, 1.58]
    >>> list(BETAS.values())
    [0.8, 1.0, 1.2, 0.9, 1.5]
    """

    name = "market"
    description = "market model: OLS of the return on the benchmark return"
    ols = True

    def layout(self, dimson_lags: int = 1) -> Layout:
        return Layout(("mkt",), (0,), (), (True,), 2)

    def param_names(self, regressors: tuple[str, ...] | list[str]) -> tuple[str, ...]:
        return ("alpha", "beta")

    def fit(self, panel: EventPanel, conv: Conventions) -> AbnormalReturns:
        self.regressors(panel)
        x_est, x_evt = (a[:, :, 0] for a in columns(panel, ["mkt"]))
        y = panel.y_est
        mask = np.isfinite(y) & np.isfinite(x_est)
        n_est = mask.sum(axis=1)
        dd = ddof(conv, 2)
        check_sample(panel, n_est, max(3, dd + 1), "market")
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
        sigma2 = np.einsum("nl,nl->n", resid, resid) / (n_est - dd)
        resid[~mask] = np.nan
        if conv.market_moments == "full_window":
            a = full_window_inverse(x_est, n_est)
        else:
            a = intercept_slope_inverse(n_est, xbar, 1.0 / sxx)
        design = np.stack([np.ones_like(x_evt), x_evt], axis=2)
        return AbnormalReturns(
            panel=panel, model=self.name, param_names=("alpha", "beta"), params=np.column_stack([alpha, beta]), k=2,
            n_est=n_est, sigma2=sigma2, df=t_df(conv, n_est, n_est - 2), est_resid=resid,
            ar=panel.y_evt - alpha[:, None] - beta[:, None] * x_evt,
            ar_var=prediction_variance(sigma2, design, a, conv), xtx_inv=a, x_evt_design=design, conventions=conv,
        )


class MarketAdjusted(Model):
    """AR_it = R_it - R_mt: no parameters (beta = 1 by assumption).

    Notes
    -----
    k = 0; s_i^2 is the sample variance of the estimation-window ARs about their
    mean, divided by M - 1 (M under ``resid_ddof="0"``); S^2 = s^2 and
    Var(CAR) = L s^2; t tests use M - 1 degrees of freedom.

    References
    ----------
    Brown, S. J. and Warner, J. B. (1980), "Measuring security price performance", *JFE* 8.
    """

    name = "market_adjusted"
    description = "market-adjusted returns R - R_m (no estimated parameters)"

    def layout(self, dimson_lags: int = 1) -> Layout:
        return Layout(("mkt",), (0,), (), (True,), 0)

    def param_names(self, regressors: tuple[str, ...] | list[str]) -> tuple[str, ...]:
        return ()

    def market_beta(self, params: np.ndarray, param_names: tuple[str, ...]) -> np.ndarray | None:
        return np.ones(params.shape[0])

    def fit(self, panel: EventPanel, conv: Conventions) -> AbnormalReturns:
        self.regressors(panel)
        m_est, m_evt = (a[:, :, 0] for a in columns(panel, ["mkt"]))
        e = panel.y_est - m_est
        mask = np.isfinite(e)
        n_est = mask.sum(axis=1)
        dd = 0 if conv.resid_ddof == "0" else 1
        check_sample(panel, n_est, 2, self.name)
        ebar = np.where(mask, e, 0.0).sum(axis=1) / n_est
        sigma2 = np.where(mask, (e - ebar[:, None]) ** 2, 0.0).sum(axis=1) / (n_est - dd)
        ar = panel.y_evt - m_evt
        n = panel.n_events
        return AbnormalReturns(
            panel=panel, model=self.name, param_names=(), params=np.zeros((n, 0)), k=0, n_est=n_est, sigma2=sigma2,
            df=t_df(conv, n_est, n_est - 1), est_resid=np.where(mask, e, np.nan), ar=ar,
            ar_var=np.repeat(sigma2[:, None], ar.shape[1], axis=1), xtx_inv=np.zeros((n, 0, 0)),
            x_evt_design=np.zeros((n, ar.shape[1], 0)), conventions=conv,
        )


MARKET_ADJUSTED = register(MarketAdjusted())
MARKET = register(MarketModel())
