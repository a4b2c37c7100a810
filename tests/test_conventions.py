"""Convention sets are validated when built (research_lib.conventions)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from research_lib.conventions import ALLOWED, CONVENTIONS, ESTUDY2, EVENTSTUDY, TEXTBOOK, Conventions, get_conventions
from research_lib.errors import InvalidRequestError


def test_presets_are_unchanged() -> None:
    assert TEXTBOOK.describe() == {"name": "textbook", "resid_ddof": "k", "forecast_error": True,
                                   "market_moments": "complete_cases", "rank_aggregation": "textbook",
                                   "car_variance": "prediction", "t_df": "resid"}
    assert ESTUDY2.describe() == {"name": "estudy2", "resid_ddof": "1", "forecast_error": True,
                                  "market_moments": "full_window", "rank_aggregation": "estudy2",
                                  "car_variance": "prediction", "t_df": "resid"}
    assert EVENTSTUDY.describe() == {"name": "eventstudy", "resid_ddof": "0", "forecast_error": False,
                                     "market_moments": "complete_cases", "rank_aggregation": "textbook",
                                     "car_variance": "sigma2_days", "t_df": "n_est_minus_1"}
    assert set(CONVENTIONS) == {"textbook", "estudy2", "eventstudy"}
    assert get_conventions("estudy2") is ESTUDY2 and get_conventions(TEXTBOOK) is TEXTBOOK


@pytest.mark.parametrize("field", sorted(ALLOWED))
def test_unknown_value_names_the_allowed_ones(field: str) -> None:
    with pytest.raises(InvalidRequestError) as err:
        Conventions(**{field: "sigma2days"})  # type: ignore[arg-type]
    msg = str(err.value)
    assert f"Conventions.{field}='sigma2days'" in msg
    assert all(repr(v) in msg for v in ALLOWED[field])
    for value in ALLOWED[field]:  # every allowed value is accepted
        assert getattr(Conventions(**{field: value}), field) == value  # type: ignore[arg-type]


def test_the_reported_case_and_other_bad_values() -> None:
    with pytest.raises(InvalidRequestError, match=r"car_variance='sigma2days'.*\['prediction', 'sigma2_days'\]"):
        Conventions(car_variance="sigma2days")  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError, match="forecast_error"):
        Conventions(forecast_error="yes")  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError, match="name"):
        Conventions(name="")
    with pytest.raises(InvalidRequestError, match="resid_ddof"):  # an int, not the string "1"
        replace(TEXTBOOK, resid_ddof=1)  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError, match="unknown conventions 'stata'.*estudy2"):
        get_conventions("stata")
    with pytest.raises(ValueError):  # InvalidRequestError is a ValueError, as before
        get_conventions("stata")
