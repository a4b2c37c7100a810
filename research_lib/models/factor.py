"""Fama-French three- and five-factor models and Carhart's four-factor model."""

from __future__ import annotations

from research_lib.conventions import Conventions
from research_lib.engine.panel import AbnormalReturns, EventPanel
from research_lib.models._core import fit_ols
from research_lib.models.registry import Layout, Model, register


class FactorModel(Model):
    """R_it - rf_t = alpha_i + f_t' b_i + e_it by OLS; the normal return is rf + alpha + f' b.

    Parameters
    ----------
    name : option string.
    columns : factor columns (besides ``rf``), in the order of the coefficients.
    files : factor files of :mod:`research_lib.data.factors` that hold them.

    Notes
    -----
    The panel's dependent variable is the excess return and ``offset_evt`` the
    risk-free rate (:func:`research_lib.engine.windows.build_panel`); OLS
    prediction-error variance as for every OLS model (CLM 1997, eq. 4.4.9).
    The market beta is the slope on ``mkt_rf``.

    References
    ----------
    Fama, E. F. and French, K. R. (1993), *JFE* 33; (2015), *JFE* 116.
    Carhart, M. M. (1997), *Journal of Finance* 52.
    """

    ols = True

    def __init__(self, name: str, columns: tuple[str, ...], files: tuple[str, ...], description: str) -> None:
        self.name = name
        self.columns = columns
        self.factor_files = files
        self.description = description

    def layout(self, dimson_lags: int = 1) -> Layout:
        return Layout(self.columns, (), self.columns, (True,) * len(self.columns), len(self.columns) + 1)

    def fit(self, panel: EventPanel, conv: Conventions) -> AbnormalReturns:
        names = self.regressors(panel)
        return fit_ols(panel, self.name, names, conv, self.param_names(names))


FF3 = register(FactorModel("ff3", ("mkt_rf", "smb", "hml"), ("ff3",), "Fama-French (1993) three factors"))
FF5 = register(
    FactorModel("ff5", ("mkt_rf", "smb", "hml", "rmw", "cma"), ("ff5",), "Fama-French (2015) five factors")
)
CARHART4 = register(
    FactorModel("carhart4", ("mkt_rf", "smb", "hml", "mom"), ("ff3", "mom"), "Carhart (1997) four factors")
)
