"""Constant-mean-return model (Brown and Warner 1980, 1985; MacKinlay 1997)."""

from __future__ import annotations

from research_lib.conventions import Conventions
from research_lib.engine.panel import AbnormalReturns, EventPanel
from research_lib.models._core import fit_ols
from research_lib.models.registry import Layout, Model, register


class ConstantMean(Model):
    """R_it = mu_i + e_it: the normal return is the estimation-window mean.

    Notes
    -----
    OLS on an intercept alone: mu_i is the mean of the M_i estimation returns,
    s_i^2 = sum (R - mu)^2 / (M_i - 1) (per ``resid_ddof``) and
    Var(AR_it) = s_i^2 (1 + 1/M_i).

    References
    ----------
    Brown, S. J. and Warner, J. B. (1980), *JFE* 8; MacKinlay (1997), *JEL* 35(1).
    """

    name = "constant_mean"
    description = "constant mean return of the estimation window"
    ols = True

    def layout(self, dimson_lags: int = 1) -> Layout:
        return Layout((), (), (), (), 1)

    def param_names(self, regressors: tuple[str, ...] | list[str]) -> tuple[str, ...]:
        return ("mu",)

    def fit(self, panel: EventPanel, conv: Conventions) -> AbnormalReturns:
        return fit_ols(panel, self.name, [], conv, ("mu",))


CONSTANT_MEAN = register(ConstantMean())
