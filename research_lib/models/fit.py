"""Fit a registered normal-return model to every event of a panel at once.

:func:`fit_model` looks the model up in :mod:`research_lib.models.registry`
and calls its vectorised fit; :func:`fit_event_ols` refits one event with
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
from research_lib.errors import InvalidRequestError
from research_lib.models._core import fit_ols
from research_lib.models._core import full_window_inverse as _full_window_inverse  # noqa: F401 (tests)
from research_lib.models.registry import REGISTRY, Model, get_model, model_names

if TYPE_CHECKING:
    from statsmodels.regression.linear_model import RegressionResultsWrapper


def __getattr__(name: str) -> tuple[str, ...]:
    # MODELS and OLS_MODELS are read from the registry when asked for, so a model
    # registered at run time is listed
    if name == "MODELS":
        return model_names()
    if name == "OLS_MODELS":
        return tuple(n for n, m in REGISTRY.items() if m.ols)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def fit_model(
    panel: EventPanel, model: str | Model = "market", conventions: Conventions | str = TEXTBOOK
) -> AbnormalReturns:
    """Fit a normal-return model to every event of a panel and compute abnormal returns.

    Parameters
    ----------
    panel
        Output of :func:`research_lib.engine.windows.build_panel` (built for a model
        with the regressors this one needs).
    model
        A registered model's name (:func:`research_lib.models.registry.model_names`)
        or a :class:`~research_lib.models.registry.Model`.
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

    **scholes_williams** (1977): b_SW = (b_-1 + b_0 + b_+1) / (1 + 2 rho_m);
    its estimation error enters S^2 and Var(CAR) through the matrix derived in
    :class:`research_lib.models.scholes_williams.ScholesWilliams`.

    References
    ----------
    Campbell, Lo and MacKinlay (1997), sec. 4.4; MacKinlay (1997); Brown and
    Warner (1980, 1985); Scholes and Williams (1977); Dimson (1979); Fama and
    French (1993, 2015); Carhart (1997).

    Examples
    --------
    >>> from research_lib import fit_model
    >>> from research_lib.examples import example_panel
    >>> ab = fit_model(example_panel(), "market", conventions="textbook")
    >>> ab.param_names, ab.k, int(ab.n_est[0])
    (('alpha', 'beta'), 2, 240)
    """
    conv = get_conventions(conventions)
    return get_model(model).fit(panel, conv)


def dimson_beta(result: AbnormalReturns) -> np.ndarray:
    """(N,) Dimson (1979) beta: the sum of the slopes on lagged, current and leading market returns.

    Examples
    --------
    >>> from research_lib.examples import example_abnormal_returns
    >>> from research_lib.models import dimson_beta
    >>> [round(float(b), 2) for b in dimson_beta(example_abnormal_returns("dimson"))]
    [0.74, 0.97, 0.82, 0.92, 1.49]
    """
    if result.model != "dimson":
        raise InvalidRequestError(f"dimson_beta needs a Dimson fit, got model {result.model!r}")
    return result.params[:, 1:].sum(axis=1)


def market_beta(result: AbnormalReturns) -> np.ndarray | None:
    """(N,) the market sensitivity of each event under its model (None when the model has none).

    Market-model and Scholes-Williams beta, the ``mkt_rf`` slope of factor
    models, the Dimson sum of slopes, 1 for market-adjusted returns; None for
    the constant-mean model or a model that is not registered.

    Examples
    --------
    >>> from research_lib.examples import example_abnormal_returns
    >>> from research_lib.models import market_beta
    >>> [round(float(b), 2) for b in market_beta(example_abnormal_returns())]
    [0.86, 0.85, 1.11, 0.91, 1.58]
    """
    if result.model not in REGISTRY:
        return None
    return get_model(result.model).market_beta(result.params, result.param_names)


def fit_event_ols(panel: EventPanel, i: int, model: str = "market") -> RegressionResultsWrapper:
    """Refit event ``i`` by statsmodels OLS on its complete cases.

    Use it for per-event detail (``.summary()``, ``.get_robustcov_results("HAC", maxlags=5)``)
    and as an independent check of :func:`fit_model`.  The exog columns are
    ``const`` and the model's regressor names; the index is the estimation dates.

    Returns
    -------
    statsmodels.regression.linear_model.RegressionResultsWrapper

    Examples
    --------
    Event 0 fitted by statsmodels, the oracle the batched fit is tested against:

    >>> from research_lib.examples import example_abnormal_returns, example_panel
    >>> from research_lib.models import fit_event_ols
    >>> ols = fit_event_ols(example_panel(), 0, "market")
    >>> round(float(ols.params.iloc[1]), 6) == round(float(example_abnormal_returns().params[0, 1]), 6)
    True
    """
    import statsmodels.api as sm

    m = get_model(model)
    if not m.ols:
        ols = tuple(n for n, mm in REGISTRY.items() if mm.ols)
        raise InvalidRequestError(f"fit_event_ols covers the OLS models {ols}, not {model!r}")
    names = m.regressors(panel)
    idx = [panel.x_names.index(n) for n in names]
    exog = pd.DataFrame(panel.x_est[i][:, idx], columns=names, index=pd.DatetimeIndex(panel.est_dates[i], name="date"))
    exog.insert(0, "const", 1.0)
    endog = pd.Series(panel.y_est[i], index=exog.index, name="y")
    keep = endog.notna() & exog.notna().all(axis=1)
    return sm.OLS(endog[keep], exog[keep]).fit()


# kept for callers and tests of the earlier single-module layout
def _fit_market_closed_form(panel: EventPanel, conv: Conventions) -> AbnormalReturns:
    return get_model("market").fit(panel, conv)


def _fit_ols_model(panel: EventPanel, model: str, names: list[str], conv: Conventions) -> AbnormalReturns:
    return fit_ols(panel, model, names, conv, get_model(model).param_names(names))


__all__ = ["MODELS", "OLS_MODELS", "dimson_beta", "fit_event_ols", "fit_model", "market_beta"]  # noqa: F822 (module __getattr__)
