"""Registry entries ``garch`` and ``gjr_garch``: the market model with GARCH errors.

Each wraps :func:`research_lib.models.garch.fit_garch` (one ``arch`` fit per
event, on the estimation window).  :meth:`GarchModel.fit` returns the fitted
events only; :func:`research_lib.study.event_study` calls :func:`fit_with_status`
instead, so that events whose fit failed (too few days, no convergence) are
excluded in the attrition table with the reason, and fits with a parameter at a
bound stay with a note, never dropped silently.

References
----------
Bollerslev (1986); Glosten, Jagannathan and Runkle (1993); Corhay and Tourani Rad (1996)
(see :mod:`research_lib.models.garch`).
"""

from __future__ import annotations

import logging

import pandas as pd

from research_lib.conventions import Conventions
from research_lib.engine.panel import AbnormalReturns, EventPanel
from research_lib.models.garch import GarchResult, GarchSpec, fit_garch, param_names
from research_lib.models.registry import Layout, Model, register

log = logging.getLogger(__name__)


class GarchModel(Model):
    """R_it = a_i + b_i R_mt + e_it with GARCH(1,1) (``garch``) or GJR-GARCH(1,1,1) (``gjr_garch``) errors.

    Notes
    -----
    ``ar_var`` holds the h-step conditional variance forecasts of ``arch``, so the
    standardised tests (Patell, BMP, ...) of the battery run on SAR = AR / sigma_T+h
    (see :func:`research_lib.models.garch.fit_garch`).  ``conventions`` do not apply:
    the fit is maximum likelihood, not OLS.
    """

    ols = False

    def __init__(self, name: str, description: str) -> None:
        self.name = name
        self.description = description

    def layout(self, dimson_lags: int = 1) -> Layout:
        return Layout(("mkt",), (0,), (), (True,), 2)

    def param_names(self, regressors: tuple[str, ...] | list[str]) -> tuple[str, ...]:
        return param_names(self.name)

    def fit(self, panel: EventPanel, conv: Conventions) -> AbnormalReturns:
        res = fit_with_status(panel, self.name)
        for row in res.status[res.status["status"] != "kept"].itertuples():
            log.warning("GARCH event %s %s: %s", row.event_id, row.status, row.reason)
        return res.abnormal


def fit_with_status(panel: EventPanel, model: str, min_estimation: int = 100, workers: int = 1) -> GarchResult:
    """:func:`fit_garch` for registry model ``model`` (``"garch"`` or ``"gjr_garch"``)."""
    return fit_garch(panel, GarchSpec(model=model, min_estimation=max(10, int(min_estimation)), workers=workers))


def attrition_rows(status: pd.DataFrame) -> pd.DataFrame:
    """The status table of :func:`fit_garch` in the attrition schema.

    ``failed`` -> ``excluded`` (reason kept); ``flagged`` (a parameter at its bound)
    -> ``kept`` with the bound named in the reason.
    """
    out = status[["event_id", "symbol", "status", "reason"]].copy()
    flagged = out["status"] == "flagged"
    out.loc[flagged, "reason"] = "GARCH fit kept with a parameter at its bound: " + out.loc[flagged, "reason"]
    out["status"] = out["status"].map({"failed": "excluded", "flagged": "kept", "kept": "kept"})
    out.loc[out["status"] == "excluded", "reason"] = "GARCH fit failed: " + out.loc[out["status"] == "excluded", "reason"]
    return out


GARCH = register(GarchModel("garch", "market model with GARCH(1,1) errors (arch, per event)"))
GJR_GARCH = register(GarchModel("gjr_garch", "market model with GJR-GARCH(1,1,1) errors (arch, per event)"))

__all__ = ["GARCH", "GJR_GARCH", "GarchModel", "attrition_rows", "fit_with_status"]
