"""Named convention sets: the choices on which event-study packages differ.

``textbook`` follows Campbell, Lo and MacKinlay (1997, ch. 4) and MacKinlay
(1997).  ``estudy2`` reproduces the R package estudy2 (Rudnytskyi) and
``eventstudy`` the Python package by J.-B. Lemaire; see
``shared/data/reference/README.md`` for their printed numbers and
notebook 06 for every difference explained.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal, get_args

import numpy as np

from research_lib.errors import InvalidRequestError

ResidDdof = Literal["k", "1", "0"]
MarketMoments = Literal["complete_cases", "full_window"]
RankAggregation = Literal["textbook", "estudy2"]
CarVariance = Literal["prediction", "sigma2_days"]
TDf = Literal["resid", "n_est", "n_est_minus_1"]

#: allowed values of each option field
ALLOWED: dict[str, tuple[str, ...]] = {
    "resid_ddof": get_args(ResidDdof),
    "market_moments": get_args(MarketMoments),
    "rank_aggregation": get_args(RankAggregation),
    "car_variance": get_args(CarVariance),
    "t_df": get_args(TDf),
}


@dataclass(frozen=True)
class Conventions:
    """One coherent set of computational choices.

    Attributes
    ----------
    name
        label used in summaries and the command line.
    resid_ddof
        degrees of freedom subtracted from M for the residual variance:
        ``"k"`` (M - k, textbook), ``"1"`` (M - 1, estudy2) or ``"0"`` (M, eventstudy).
    forecast_error
        include the estimation-error term
        ``1/M + (R_mt - mean R_m)^2 / sum (R_m - mean R_m)^2`` in Var(AR).
    market_moments
        sample for mean R_m and its sum of squares in that term:
        ``"complete_cases"`` (the event's own estimation sample, textbook) or
        ``"full_window"`` (all market returns of the window, estudy2).
    rank_aggregation
        ``"textbook"`` or ``"estudy2"`` (its rowMeans x ncol quirk).
    car_variance
        ``"prediction"`` (gamma' V gamma with estimation error) or
        ``"sigma2_days"`` (L2 s^2, as the eventstudy package does).
    t_df
        degrees of freedom of single-event t tests: ``"resid"`` (M - k),
        ``"n_est"`` (M) or ``"n_est_minus_1"`` (M - 1: the eventstudy package
        takes p from t(estimation_size - 1) whatever the model).

    Raises
    ------
    InvalidRequestError
        At construction, for a value outside a field's allowed values (the
        message names them), a ``forecast_error`` that is not a bool or an
        empty ``name``.

    Examples
    --------
    >>> from research_lib import get_conventions
    >>> c = get_conventions("estudy2")
    >>> c.name, c.resid_ddof, c.market_moments
    ('estudy2', '1', 'full_window')
    """

    name: str = "textbook"
    resid_ddof: ResidDdof = "k"
    forecast_error: bool = True
    market_moments: MarketMoments = "complete_cases"
    rank_aggregation: RankAggregation = "textbook"
    car_variance: CarVariance = "prediction"
    t_df: TDf = "resid"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise InvalidRequestError(f"Conventions name {self.name!r} must be a non-empty string")
        if not isinstance(self.forecast_error, bool | np.bool_):
            raise InvalidRequestError(f"Conventions.forecast_error={self.forecast_error!r} must be True or False")
        for field, allowed in ALLOWED.items():
            value = getattr(self, field)
            if not isinstance(value, str) or value not in allowed:
                raise InvalidRequestError(
                    f"Conventions.{field}={value!r} is not allowed; choose one of {list(allowed)}"
                )

    def describe(self) -> dict[str, object]:
        """The choices as a plain dict (for JSON output and summaries)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


TEXTBOOK = Conventions()
ESTUDY2 = Conventions(
    name="estudy2",
    resid_ddof="1",
    forecast_error=True,
    market_moments="full_window",
    rank_aggregation="estudy2",
    car_variance="prediction",
    t_df="resid",
)
EVENTSTUDY = Conventions(
    name="eventstudy",
    resid_ddof="0",
    forecast_error=False,
    market_moments="complete_cases",
    rank_aggregation="textbook",
    car_variance="sigma2_days",
    t_df="n_est_minus_1",
)

CONVENTIONS: dict[str, Conventions] = {c.name: c for c in (TEXTBOOK, ESTUDY2, EVENTSTUDY)}


def get_conventions(name: str | Conventions) -> Conventions:
    """Look up a convention set by name (or pass one through).

    Examples
    --------
    >>> get_conventions("estudy2").resid_ddof
    '1'
    >>> get_conventions("textbook").describe()["car_variance"]
    'prediction'
    >>> get_conventions("stata")
    Traceback (most recent call last):
    ...
    research_lib.errors.InvalidRequestError: unknown conventions 'stata'; choose one of ['estudy2', 'eventstudy', 'textbook']
    """
    if isinstance(name, Conventions):
        return name
    try:
        return CONVENTIONS[name]
    except (KeyError, TypeError):
        raise InvalidRequestError(f"unknown conventions {name!r}; choose one of {sorted(CONVENTIONS)}") from None


def pct_label(level: float) -> str:
    """A confidence or test level as a percentage that is never rounded: 0.95 -> '95%', 0.975 -> '97.5%'."""
    return f"{100 * level:.10g}%"
