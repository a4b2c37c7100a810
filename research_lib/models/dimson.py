"""Dimson (1979) aggregated-coefficients model: lagged, current and leading market returns."""

from __future__ import annotations

import numpy as np

from research_lib.conventions import Conventions
from research_lib.engine.panel import AbnormalReturns, EventPanel
from research_lib.errors import InvalidRequestError
from research_lib.models._core import fit_ols
from research_lib.models.registry import Layout, Model, register


def dimson_columns(x_names: tuple[str, ...]) -> list[str]:
    """The Dimson regressors a panel holds, ordered lag K..1, mkt, lead 1..K."""
    lags = sorted((int(n[7:]) for n in x_names if n.startswith("mkt_lag")), reverse=True)
    leads = sorted(int(n[8:]) for n in x_names if n.startswith("mkt_lead"))
    return [f"mkt_lag{j}" for j in lags] + ["mkt"] + [f"mkt_lead{j}" for j in leads]


class Dimson(Model):
    r"""R_t = alpha + sum_{j=-K..K} b_j R_m,t+j + e_t by OLS; the Dimson beta is sum b_j.

    Notes
    -----
    With :math:`K` lags and leads (``build_panel(..., dimson_lags=K)``),

    .. math::

        R_t = \alpha + \sum_{j=-K}^{K} b_j R_{m,t+j} + e_t, \qquad
        \hat\beta_D = \sum_{j=-K}^{K} \hat b_j, \qquad
        AR_t = R_t - \hat\alpha - \sum_{j=-K}^{K} \hat b_j R_{m,t+j},

    with the OLS prediction-error variance (CLM 1997, eq. 4.4.9)
    :math:`S_t^2 = s^2 (1 + x_t^{*\prime} (X'X)^{-1} x_t^*)`, :math:`x_t^*` the
    intercept and the :math:`2K + 1` market returns of event day :math:`t`.
    Lags and leads of the estimation window are by default only
    estimation-window returns (``WindowSpec(lead_lag="trim")``): the first
    :math:`K` and last :math:`K` estimation days lose the lag or lead that would
    reach outside the window.

    References
    ----------
    .. [1] Dimson, E. (1979). Risk measurement when shares are subject to
       infrequent trading. Journal of Financial Economics 7, 197-226.

    Examples
    --------
    >>> from research_lib import fit_model
    >>> from research_lib.examples import example_panel
    >>> ab = fit_model(example_panel("dimson"), "dimson")
    >>> ab.param_names
    ('alpha', 'mkt_lag1', 'mkt', 'mkt_lead1')
    """

    name = "dimson"
    description = "Dimson (1979) sum of slopes on lagged, current and leading market returns"
    ols = True

    def layout(self, dimson_lags: int = 1) -> Layout:
        if not isinstance(dimson_lags, int) or isinstance(dimson_lags, bool) or dimson_lags < 1:
            raise InvalidRequestError(f"dimson_lags={dimson_lags!r} must be a positive integer (1 is usual)")
        kk = dimson_lags
        names = tuple(f"mkt_lag{j}" for j in range(kk, 0, -1)) + ("mkt",) + tuple(f"mkt_lead{j}" for j in range(1, kk + 1))
        return Layout(names, tuple(range(-kk, kk + 1)), (), (True,) * len(names), 2 * kk + 2)

    def regressors(self, panel: EventPanel) -> list[str]:
        need = dimson_columns(panel.x_names)
        if len(need) < 3:
            need = ["mkt_lag1", "mkt", "mkt_lead1"]  # reported as missing
        self._require(panel, need)
        return need

    def market_beta(self, params: np.ndarray, param_names: tuple[str, ...]) -> np.ndarray | None:
        return np.asarray(params[:, 1:].sum(axis=1), dtype=float)

    def fit(self, panel: EventPanel, conv: Conventions) -> AbnormalReturns:
        names = self.regressors(panel)
        return fit_ols(panel, self.name, names, conv, self.param_names(names))


DIMSON = register(Dimson())
