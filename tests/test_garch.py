"""GARCH market model: equal to arch fitted directly; per-event failures with reasons."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from arch import arch_model

from research_lib.engine.panel import EventPanel
from research_lib.errors import InvalidRequestError, NoValidEventsError
from research_lib.inference import TestBattery
from research_lib.measures.synthetic import garch_panel, synthetic_panel
from research_lib.models.garch import GarchSpec, fit_garch

L1, L2 = 250, 11


def _garch_panel(n: int, seed: int) -> EventPanel:
    return garch_panel(n, L1, L2, seed)


@pytest.mark.parametrize(("model", "o"), [("garch", 0), ("gjr_garch", 1)])
def test_equals_arch_fitted_directly(model: str, o: int) -> None:
    panel = _garch_panel(3, 7)
    res = fit_garch(panel, GarchSpec(model=model))
    ab = res.abnormal
    for i in range(3):
        y, x = 100 * panel.y_est[i], 100 * panel.x_est[i, :, 0]
        r = arch_model(y, x=x[:, None], mean="LS", vol="GARCH", p=1, o=o, q=1, rescale=False).fit(disp="off")
        p = r.params.to_numpy()
        np.testing.assert_allclose(ab.params[i, [0, 2]], p[[0, 2]] / [100, 1e4], rtol=1e-10)
        np.testing.assert_allclose(ab.params[i, [1, *range(3, 5 + o)]], p[[1, *range(3, 5 + o)]], rtol=1e-10)
        np.testing.assert_allclose(ab.cond_var_est[i], r.conditional_volatility**2 / 1e4, rtol=1e-10)
        fc = r.forecast(horizon=L2, x=np.zeros((1, 1, L2)), reindex=False).variance.to_numpy()[-1] / 1e4
        np.testing.assert_allclose(ab.ar_var[i], fc, rtol=1e-10)
        np.testing.assert_allclose(ab.ar[i], panel.y_evt[i] - p[0] / 100 - p[1] * panel.x_evt[i, :, 0], rtol=1e-10)
    assert ab.param_names == (("alpha", "beta", "omega", "alpha1", "gamma1", "beta1") if o else ("alpha", "beta", "omega", "alpha1", "beta1"))
    # closed-form GARCH(1,1) forecast recursion from the one-step forecast
    if o == 0:
        om, al, be = ab.params[0, 2:]
        h = [ab.ar_var[0, 0]]
        for _ in range(L2 - 1):
            h.append(om + (al + be) * h[-1])
        np.testing.assert_allclose(ab.ar_var[0], h, rtol=1e-8)
    # Var(CAR) is the sum of the forecasts; the battery accepts the object
    car, var = ab.car(-1, 1)
    np.testing.assert_allclose(var, ab.ar_var[:, 4:7].sum(axis=1))
    assert np.isfinite(TestBattery(ab).window(0, 0, ["patell", "bmp"])["bmp"].stat)


def test_failures_reported_per_event() -> None:
    panel = _garch_panel(3, 8)
    y = panel.y_est.copy()
    y[0] = 0.001  # constant returns
    y[1, :200] = np.nan  # too few days
    res = fit_garch(dataclasses.replace(panel, y_est=y))
    st = res.status.set_index("event_id")
    assert st.loc["E0", "status"] == "failed" and "constant" in st.loc["E0", "reason"]
    assert st.loc["E1", "status"] == "failed" and "only 50 complete estimation days" in st.loc["E1", "reason"]
    assert st.loc["E2", "status"] in ("kept", "flagged")
    assert res.abnormal.ar.shape[0] == 1 and list(res.abnormal.panel.event_ids) == ["E2"]
    with pytest.raises(NoValidEventsError, match="constant"):
        fit_garch(dataclasses.replace(panel, y_est=np.full_like(y, 0.001)))


def test_parameter_at_bound_is_flagged() -> None:
    """Homoskedastic errors: alpha1 (or beta1) is driven to its bound 0 in some events; GJR: alpha1 + gamma1."""
    rng = np.random.default_rng(3)
    m = rng.normal(0, 0.01, (6, L1 + L2))
    r = m + rng.normal(0, 0.02, (6, L1 + L2))
    res = fit_garch(synthetic_panel(r[:, :L1], r[:, L1:], m[:, :L1], m[:, L1:]))
    flagged = res.status[res.status["status"] == "flagged"]
    assert len(flagged) >= 1 and flagged["reason"].str.contains("bound").all()
    assert res.abnormal.ar.shape[0] == 6  # flagged events are kept
    for i, row in enumerate(res.status.itertuples()):
        at_zero = min(res.abnormal.params[i, 3], res.abnormal.params[i, 4]) < 1e-6
        assert (row.status == "flagged") == (at_zero or res.abnormal.params[i, 3:].sum() > 1 - 1e-6)
    gjr = fit_garch(synthetic_panel(r[:, :L1], r[:, L1:], m[:, :L1], m[:, L1:]), GarchSpec(model="gjr_garch"))
    p = gjr.abnormal.params
    for i, row in enumerate(gjr.status.itertuples()):
        # arch lets gamma1 be negative down to -alpha1: gamma1 < 0 alone is not a bound
        bound = min(p[i, 3], p[i, 3] + p[i, 4], p[i, 5]) < 1e-6 or p[i, 3] + p[i, 4] / 2 + p[i, 5] > 1 - 1e-6
        assert (row.status == "flagged") == bound, (row.reason, p[i])


def test_workers_give_identical_results() -> None:
    panel = _garch_panel(6, 9)
    one = fit_garch(panel, GarchSpec(workers=1)).abnormal
    two = fit_garch(panel, GarchSpec(workers=2)).abnormal
    np.testing.assert_array_equal(one.params, two.params)
    np.testing.assert_array_equal(one.ar_var, two.ar_var)


def test_bad_spec() -> None:
    with pytest.raises(InvalidRequestError, match="not one of"):
        GarchSpec(model="egarch")
    panel = _garch_panel(1, 1)
    with pytest.raises(InvalidRequestError, match="mkt"):
        fit_garch(dataclasses.replace(panel, x_names=("other",)))
