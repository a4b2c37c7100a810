"""Scholes-Williams (1977) beta for non-synchronous trading, with its estimation-error term."""

from __future__ import annotations

import numpy as np

from research_lib.conventions import Conventions
from research_lib.engine.panel import AbnormalReturns, EventPanel
from research_lib.models._core import check_sample, columns, ddof, intercept_slope_inverse, t_df
from research_lib.models.registry import Layout, Model, prediction_variance, register

_NAMES = ["mkt_lag1", "mkt", "mkt_lead1"]


class ScholesWilliams(Model):
    """b_SW = (b_-1 + b_0 + b_+1) / (1 + 2 rho_m), a_SW = mean R - b_SW mean R_m.

    Notes
    -----
    **Estimator** (Scholes and Williams 1977, eq. 14).  On the M complete cases
    of R_t, R_m,t-1, R_m,t, R_m,t+1, b_j (j = -1, 0, +1) is the slope of the
    simple regression of R_t on R_m,t+j and rho_m the sample correlation of
    R_m,t with R_m,t-1.  AR_t = R_t - a_SW - b_SW R_mt; s^2 = sum of squared
    estimation residuals / (M - 2) (per ``resid_ddof``).  Only R_mt is needed in
    the event window.  By default the lag and lead are estimation-window
    returns only (``WindowSpec(lead_lag="trim")``): the first and the last
    estimation day drop out, because the lag of the first day and the lead of
    the last day lie outside the window (the lead of day -11 would be the
    event-window return of day -10).

    **Estimation-error term** (derived here; exact conditional on the market
    returns).  Write x_j,t = R_m,t+j, centred on the sample: x~_j,t = x_j,t -
    mean x_j, and S_jk = sum_t x~_j,t x~_k,t.  With R_t = a + b R_mt + e_t and
    e_t i.i.d. (0, sigma^2) independent of the market returns,

        b_j = b S_j0 / S_jj + sum_t w_j,t e_t,   w_j,t = x~_j,t / S_jj,

    and rho_m is a function of the market returns alone, so conditional on them
    b_SW = b c + sum_t W_t e_t with W_t = sum_j w_j,t / (1 + 2 rho_m) and the
    constant c = sum_j (S_j0 / S_jj) / (1 + 2 rho_m): b_SW is linear in the
    errors and no delta-method approximation is needed.  Hence

        Var(b_SW) = sigma^2 Q,   Q = sum_t W_t^2 = [sum_jk S_jk / (S_jj S_kk)] / (1 + 2 rho_m)^2,

    and, since sum_t W_t = 0, Cov(mean e, b_SW) = 0.  An event-window AR is
    AR*_t = e*_t - mean e - (b_SW - b c)(R*_mt - mean R_m) - b (c - 1)(R*_mt -
    mean R_m); the last term is a conditional bias (c - 1 is of order 1/M for
    a market without autocorrelation), not a variance.  So

        Var(AR*_t) = sigma^2 [1 + 1/M + Q (R*_mt - mean R_m)^2],
        Cov(AR*_t, AR*_s) = sigma^2 [1/M + Q (R*_mt - mean R_m)(R*_ms - mean R_m)],
        Var(CAR) = sigma^2 [L + L^2 / M + Q (sum_t (R*_mt - mean R_m))^2],

    the market-model formulas (CLM 1997, eq. 4.4.9-4.4.14) with 1/Sxx replaced
    by Q (Q is about 3/S_00 when rho_m is near 0: three slopes, each as noisy as
    the OLS one).  ``xtx_inv`` holds A = [[1/M + mean^2 Q, -mean Q],
    [-mean Q, Q]] so that [1, x] A [1, x]' = 1/M + (x - mean)^2 Q and
    :meth:`AbnormalReturns.car` and the standardised tests use it;
    ``forecast_error=False`` drops the term as for every model.  Because b_SW
    is not the least-squares slope, E[sum of squared residuals] is about
    sigma^2 (M - 3 + S_00 Q), roughly sigma^2 M, so s^2 with M - 2 (the usual
    choice, kept) is high by about 2/M (0.9% at M = 240, seen in the Monte Carlo).  A seeded Monte
    Carlo in ``tests/test_models_registry.py`` checks Var(CAR) at L = 1, 11, 21.

    References
    ----------
    Scholes, M. and Williams, J. (1977), "Estimating betas from nonsynchronous
    data", *Journal of Financial Economics* 5(3), 309-327.  Campbell, Lo and
    MacKinlay (1997), *The Econometrics of Financial Markets*, sec. 4.4.
    """

    name = "scholes_williams"
    description = "Scholes-Williams (1977) beta from lagged, current and leading market returns"

    def layout(self, dimson_lags: int = 1) -> Layout:
        return Layout(tuple(_NAMES), (-1, 0, 1), (), (False, True, False), 2)

    def param_names(self, regressors: tuple[str, ...] | list[str]) -> tuple[str, ...]:
        return ("alpha", "beta")

    def fit(self, panel: EventPanel, conv: Conventions) -> AbnormalReturns:
        x_est, x_evt = columns(panel, self.regressors(panel))
        y = panel.y_est
        mask = np.isfinite(y) & np.all(np.isfinite(x_est), axis=2)
        n_est = mask.sum(axis=1)
        check_sample(panel, n_est, 3, self.name)
        xbar = np.where(mask[:, :, None], x_est, 0.0).sum(axis=1) / n_est[:, None]
        ybar = np.where(mask, y, 0.0).sum(axis=1) / n_est
        xc = np.where(mask[:, :, None], x_est - xbar[:, None, :], 0.0)
        yc = np.where(mask, y - ybar[:, None], 0.0)
        s = np.einsum("nlj,nlk->njk", xc, xc)  # (N, 3, 3) centred cross products S_jk
        sdiag = np.diagonal(s, axis1=1, axis2=2)
        slopes = np.einsum("nlq,nl->nq", xc, yc) / sdiag  # b_-1, b_0, b_+1
        rho = s[:, 1, 0] / np.sqrt(sdiag[:, 1] * sdiag[:, 0])
        beta = slopes.sum(axis=1) / (1.0 + 2.0 * rho)
        alpha = ybar - beta * xbar[:, 1]
        resid = np.where(mask, y - alpha[:, None] - beta[:, None] * x_est[:, :, 1], np.nan)
        sigma2 = np.nansum(resid**2, axis=1) / (n_est - ddof(conv, 2))
        inv = 1.0 / sdiag
        q = np.einsum("nj,njk,nk->n", inv, s, inv) / (1.0 + 2.0 * rho) ** 2
        a = intercept_slope_inverse(n_est, xbar[:, 1], q)
        m_evt = x_evt[:, :, 1]
        design = np.stack([np.ones_like(m_evt), m_evt], axis=2)
        return AbnormalReturns(
            panel=panel, model=self.name, param_names=("alpha", "beta"), params=np.column_stack([alpha, beta]), k=2,
            n_est=n_est, sigma2=sigma2, df=t_df(conv, n_est, n_est - 2), est_resid=resid,
            ar=panel.y_evt - alpha[:, None] - beta[:, None] * m_evt,
            ar_var=prediction_variance(sigma2, design, a, conv), xtx_inv=a, x_evt_design=design, conventions=conv,
        )


SCHOLES_WILLIAMS = register(ScholesWilliams())
