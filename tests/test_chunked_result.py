"""A chunked study's result keeps no estimation-window arrays: what needs them says so and names the fix."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from test_streaming import WINDOWS, market, mixed_events

from research_lib import event_study
from research_lib.errors import InvalidRequestError
from research_lib.inference.battery import TestBattery


@pytest.fixture(scope="module")
def results():  # noqa: ANN201
    prices = market(years=3)
    events = mixed_events(120, prices, seed=4)
    events["group"] = np.where(np.arange(len(events)) % 2 == 0, "a", "b")
    kw = {"prices": prices, "car_windows": WINDOWS[:2]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return event_study(events, **kw), event_study(events, chunk_size=40, **kw)


def test_one_pass_result_is_not_compact(results) -> None:
    one, chunked = results
    assert not one.abnormal.is_compact
    assert chunked.abnormal.is_compact
    one.abnormal.require_estimation("anything")  # a one-pass result passes the check


@pytest.mark.parametrize("call", ["battery", "ols", "by"])
def test_steps_that_need_estimation_residuals_refuse_a_chunked_result(results, call) -> None:
    one, chunked = results
    steps = {"battery": lambda r: TestBattery(r.abnormal), "ols": lambda r: r.ols(0), "by": lambda r: r.by("group")}
    steps[call](one)  # works on the one-pass result
    with pytest.raises(InvalidRequestError, match="without chunk_size/workers/scheduler"):
        steps[call](chunked)


def test_what_a_chunked_result_keeps_still_works(results) -> None:
    one, chunked = results
    assert chunked.car_table()["car"].tolist() == pytest.approx(one.car_table()["car"].tolist(), rel=1e-12)
    c1, v1 = one.abnormal.car(-1, 1)
    c2, v2 = chunked.abnormal.car(-1, 1)
    np.testing.assert_allclose(c2, c1, rtol=1e-12)
    np.testing.assert_allclose(v2, v1, rtol=1e-12)
    assert chunked.cross_section("Q('car[-1,1]') ~ C(group)").nobs == one.n_events
