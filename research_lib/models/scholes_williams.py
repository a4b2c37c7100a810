"""Scholes-Williams (1977) beta for non-synchronous trading, with its estimation-error term."""

from __future__ import annotations

import numpy as np

from research_lib.conventions import Conventions
from research_lib.engine.panel import AbnormalReturns, EventPanel
from research_lib.models._core import check_sample, columns, ddof, intercept_slope_inverse, t_df
from research_lib.models.registry import Layout, Model, prediction_variance, register

_NAMES = ["mkt_lag1", "mkt", "mkt_lead1"]


class ScholesWilliams(Model):
    r"""b_SW = (b_-1 + b_0 + b_+1) / (1 + 2 rho_m), a_SW = mean R - b_SW mean R_m.

    Notes
    -----
    **Estimator** (Scholes and Williams 1977, eq. 14).  On the :math:`M` complete
    cases of :math:`R_t, R_{m,t-1}, R_{m,t}, R_{m,t+1}`, :math:`b_j` (:math:`j = -1, 0, +1`)
    is the slope of the simple regression of :math:`R_t` on :math:`R_{m,t+j}` and
    :math:`\rho_m` the sample correlation of :math:`R_{m,t}` with :math:`R_{m,t-1}`:

    .. math::

        b_{SW} = \frac{b_{-1} + b_0 + b_{+1}}{1 + 2\rho_m}, \qquad
        a_{SW} = \bar R - b_{SW} \bar R_m,

        AR_t = R_t - a_{SW} - b_{SW} R_{mt}.

    :math:`s^2` is the sum of squared estimation residuals over :math:`M - 2`
    (per ``resid_ddof``).  Only :math:`R_{mt}` is needed in the event window.  By
    default the lag and lead are estimation-window returns only
    (``WindowSpec(lead_lag="trim")``): the first and the last estimation day drop
    out, because the lag of the first day and the lead of the last day lie
    outside the window (the lead of day -11 would be the event-window return of
    day -10).

    **Estimation-error term** (derived here; exact conditional on the market
    returns).  Write :math:`x_{j,t} = R_{m,t+j}`, centred on the sample
    :math:`\tilde x_{j,t} = x_{j,t} - \bar x_j`, and :math:`S_{jk} = \sum_t \tilde x_{j,t} \tilde x_{k,t}`.
    With :math:`R_t = a + b R_{mt} + e_t` and :math:`e_t` i.i.d. :math:`(0, \sigma^2)`
    independent of the market returns,
    :math:`b_j = b S_{j0}/S_{jj} + \sum_t w_{j,t} e_t` with :math:`w_{j,t} = \tilde x_{j,t}/S_{jj}`;
    :math:`\rho_m` depends on the market returns alone, so conditional on them
    :math:`b_{SW} = b c + \sum_t W_t e_t` with :math:`W_t = \sum_j w_{j,t} / (1 + 2\rho_m)`
    and :math:`c = \sum_j (S_{j0}/S_{jj}) / (1 + 2\rho_m)`: :math:`b_{SW}` is linear in
    the errors and no delta-method approximation is needed.  Hence

    .. math::

        \operatorname{Var}(b_{SW}) = \sigma^2 Q, \qquad
        Q = \sum_t W_t^2 = \frac{\sum_{j,k} S_{jk} / (S_{jj} S_{kk})}{(1 + 2\rho_m)^2},

    and, since :math:`\sum_t W_t = 0`, :math:`\operatorname{Cov}(\bar e, b_{SW}) = 0`.  An
    event-window AR is :math:`AR^*_t = e^*_t - \bar e - (b_{SW} - bc)(R^*_{mt} - \bar R_m) - b(c-1)(R^*_{mt} - \bar R_m)`;
    the last term is a conditional bias (:math:`c - 1` is of order :math:`1/M` for a
    market without autocorrelation), not a variance.  So

    .. math::

        \operatorname{Var}(AR^*_t) &= \sigma^2 \left[ 1 + \frac1M + Q (R^*_{mt} - \bar R_m)^2 \right], \\
        \operatorname{Cov}(AR^*_t, AR^*_s) &= \sigma^2 \left[ \frac1M + Q (R^*_{mt} - \bar R_m)(R^*_{ms} - \bar R_m) \right], \\
        \operatorname{Var}(CAR) &= \sigma^2 \left[ L + \frac{L^2}{M} + Q \Big( \sum_{t} (R^*_{mt} - \bar R_m) \Big)^2 \right],

    the market-model formulas (CLM 1997, eq. 4.4.9-4.4.14) with :math:`1/S_{xx}`
    replaced by :math:`Q` (:math:`Q \approx 3/S_{00}` when :math:`\rho_m` is near 0:
    three slopes, each as noisy as the OLS one).  ``xtx_inv`` holds
    :math:`A = \begin{pmatrix} 1/M + \bar R_m^2 Q & -\bar R_m Q \\ -\bar R_m Q & Q \end{pmatrix}`
    so that :math:`(1, x) A (1, x)' = 1/M + (x - \bar R_m)^2 Q`, and
    :meth:`AbnormalReturns.car` and the standardised tests use it;
    ``forecast_error=False`` drops the term as for every model.  Because
    :math:`b_{SW}` is not the least-squares slope, the expected sum of squared
    residuals is about :math:`\sigma^2 (M - 3 + S_{00} Q) \approx \sigma^2 M`, so
    :math:`s^2` with :math:`M - 2` (the usual choice, kept) is high by about
    :math:`2/M` (0.9% at :math:`M = 240`, seen in the Monte Carlo).  A seeded Monte
    Carlo in ``tests/test_models_registry.py`` checks Var(CAR) at L = 1, 11, 21.

    References
    ----------
    .. [1] Scholes, M. and Williams, J. (1977). Estimating betas from nonsynchronous
       data. Journal of Financial Economics 5(3), 309-327.
    .. [2] Campbell, J. Y., Lo, A. W. and MacKinlay, A. C. (1997). The Econometrics
       of Financial Markets, Princeton University Press, sec. 4.4.

    Examples
    --------
    >>> from research_lib import fit_model
    >>> from research_lib.examples import example_panel
    >>> ab = fit_model(example_panel("scholes_williams"), "scholes_williams")
    >>> ab.model, ab.param_names, ab.params.shape
    ('scholes_williams', ('alpha', 'beta'), (5, 2))
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
