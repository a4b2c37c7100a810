"""Vectorised normal-return models checked against statsmodels and closed forms (research_lib.models.fit)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from research_lib.conventions import ESTUDY2, EVENTSTUDY, TEXTBOOK, Conventions, ResidDdof, TDf
from research_lib.engine.panel import EventPanel
from research_lib.engine.windows import WindowSpec, anchor_events, build_panel
from research_lib.errors import DataError, InvalidRequestError
from research_lib.models.fit import MODELS, dimson_beta, fit_event_ols, fit_model

RTOL = 1e-9


def make_panel(
    n: int = 6,
    l1: int = 60,
    l2: int = 7,
    names: tuple[str, ...] = ("mkt",),
    seed: int = 0,
    miss: float = 0.1,
    factor: bool = False,
) -> EventPanel:
    """Random panel with missing returns and regressors (NaN) in the estimation window."""
    rng = np.random.default_rng(seed)
    q = len(names)
    x_est = rng.normal(0.0005, 0.01, (n, l1, q))
    x_evt = rng.normal(0.0005, 0.01, (n, l2, q))
    b = rng.uniform(0.3, 1.5, (n, q))
    a = rng.normal(0, 0.001, n)
    y_est = a[:, None] + np.einsum("nlq,nq->nl", x_est, b) + rng.normal(0, 0.02, (n, l1))
    y_evt = a[:, None] + np.einsum("nlq,nq->nl", x_evt, b) + rng.normal(0, 0.02, (n, l2))
    y_est[rng.random((n, l1)) < miss] = np.nan
    x_est[rng.random((n, l1, q)) < miss / 2] = np.nan
    start = np.datetime64("2020-01-01", "ns")
    est_dates = start + np.arange(l1).astype("timedelta64[D]")
    evt_dates = start + (l1 + np.arange(l2)).astype("timedelta64[D]")
    offset = np.full((n, l2), 0.0001) if factor else np.zeros((n, l2))
    return EventPanel(
        event_ids=np.array([f"e{i}" for i in range(n)], dtype=object),
        symbols=np.array(["AAA"] * n, dtype=object),
        benchmarks=np.array(["^GSPC"] * n, dtype=object),
        day0=np.repeat(evt_dates[l2 // 2], n),
        tau_est=np.arange(-l1 - l2 // 2, -(l2 // 2)),
        tau_evt=np.arange(-(l2 // 2), l2 - l2 // 2),
        est_dates=np.tile(est_dates, (n, 1)),
        evt_dates=np.tile(evt_dates, (n, 1)),
        y_est=y_est,
        y_evt=y_evt,
        x_est=x_est,
        x_evt=x_evt,
        r_evt=y_evt + offset,
        offset_evt=offset,
        x_names=names,
    )


def _sm_fit(panel: EventPanel, i: int, cols: list[int]):
    """Independent statsmodels OLS of event i on its complete cases; returns (results, event design)."""
    x = panel.x_est[i][:, cols]
    y = panel.y_est[i]
    ok = np.isfinite(y) & np.all(np.isfinite(x), axis=1)
    res = sm.OLS(y[ok], sm.add_constant(x[ok], has_constant="add")).fit()
    return res, sm.add_constant(panel.x_evt[i][:, cols], has_constant="add"), ok


# --------------------------------------------------------------------------- OLS vs statsmodels
@pytest.mark.parametrize(
    ("model", "names", "cols"),
    [
        ("market", ("mkt",), [0]),
        ("constant_mean", ("mkt",), []),
        ("ff3", ("mkt_rf", "smb", "hml"), [0, 1, 2]),
        ("carhart4", ("mkt_rf", "smb", "hml", "mom"), [0, 1, 2, 3]),
        ("dimson", ("mkt_lag1", "mkt", "mkt_lead1"), [0, 1, 2]),
    ],
)
def test_ols_models_match_statsmodels(model: str, names: tuple[str, ...], cols: list[int]) -> None:
    panel = make_panel(names=names, seed=len(names))
    ar = fit_model(panel, model)
    assert ar.params.shape == (panel.n_events, len(cols) + 1)
    for i in range(panel.n_events):
        res, x_evt, ok = _sm_fit(panel, i, cols)
        np.testing.assert_allclose(ar.params[i], res.params, rtol=RTOL, atol=1e-13)
        assert np.sqrt(ar.sigma2[i]) == pytest.approx(np.sqrt(res.scale), rel=RTOL)
        assert ar.n_est[i] == ok.sum() and ar.df[i] == res.df_resid
        pred = res.get_prediction(x_evt)
        np.testing.assert_allclose(ar.ar_var[i], pred.se_obs**2, rtol=RTOL)
        np.testing.assert_allclose(ar.ar[i], panel.y_evt[i] - pred.predicted_mean, rtol=RTOL, atol=1e-15)
        np.testing.assert_allclose(ar.est_resid[i][ok], res.resid, rtol=RTOL, atol=1e-14)
        assert np.isnan(ar.est_resid[i][~ok]).all()
        # fit_event_ols is the same regression
        np.testing.assert_allclose(fit_event_ols(panel, i, model).params.to_numpy(), res.params, rtol=RTOL, atol=1e-13)


def test_market_closed_form_equals_general_form() -> None:
    panel = make_panel(seed=11)
    ar = fit_model(panel, "market")
    for i in range(panel.n_events):
        ok = np.isfinite(panel.y_est[i]) & np.isfinite(panel.x_est[i, :, 0])
        m = panel.x_est[i, ok, 0]
        mbar, sxx = m.mean(), ((m - m.mean()) ** 2).sum()
        closed = ar.sigma2[i] * (1 + 1 / ok.sum() + (panel.x_evt[i, :, 0] - mbar) ** 2 / sxx)
        np.testing.assert_allclose(ar.ar_var[i], closed, rtol=RTOL)


@pytest.mark.parametrize("window", [(-3, 3), (0, 0), (-1, 2)])
def test_car_variance_equals_full_covariance_quadratic_form(window: tuple[int, int]) -> None:
    panel = make_panel(seed=5)
    ar = fit_model(panel, "market")
    car, var = ar.car(*window)
    gamma = ((panel.tau_evt >= window[0]) & (panel.tau_evt <= window[1])).astype(float)
    for i in range(panel.n_events):
        res, x_evt, _ = _sm_fit(panel, i, [0])
        v = res.scale * np.eye(len(gamma)) + x_evt @ res.cov_params() @ x_evt.T  # CLM eq. 4.4.11
        assert var[i] == pytest.approx(gamma @ v @ gamma, rel=RTOL)
        assert car[i] == pytest.approx(gamma @ ar.ar[i], rel=1e-12)


@pytest.mark.parametrize(("ddof", "t_df"), [("1", "resid"), ("0", "n_est"), ("k", "n_est")])
def test_residual_ddof_and_t_df_conventions(ddof: ResidDdof, t_df: TDf) -> None:
    panel = make_panel(seed=2)
    conv = Conventions(name="x", resid_ddof=ddof, t_df=t_df)
    ar = fit_model(panel, "market", conv)
    base = fit_model(panel, "market")
    d = {"1": 1, "0": 0, "k": 2}[ddof]
    for i in range(panel.n_events):
        res, _, ok = _sm_fit(panel, i, [0])
        m = ok.sum()
        assert ar.sigma2[i] == pytest.approx(res.ssr / (m - d), rel=RTOL)
        assert ar.df[i] == (m - 2 if t_df == "resid" else m)
    np.testing.assert_allclose(ar.params, base.params)  # only the variance changes
    np.testing.assert_allclose(ar.ar, base.ar)


def test_no_forecast_error_and_sigma2_days() -> None:
    panel = make_panel(seed=4)
    ar = fit_model(panel, "market", EVENTSTUDY)
    np.testing.assert_allclose(ar.ar_var, np.repeat(ar.sigma2[:, None], ar.ar.shape[1], axis=1))
    _, var = ar.car(-2, 2)
    np.testing.assert_allclose(var, 5 * ar.sigma2)
    res, _, ok = _sm_fit(panel, 0, [0])
    assert ar.sigma2[0] == pytest.approx(res.ssr / ok.sum(), rel=RTOL)  # ddof 0


def test_full_window_market_moments() -> None:
    panel = make_panel(seed=9, miss=0.25)
    ar = fit_model(panel, "market", ESTUDY2)
    _, var = ar.car(-3, 3)
    for i in range(panel.n_events):
        ok = np.isfinite(panel.y_est[i]) & np.isfinite(panel.x_est[i, :, 0])
        m_all = panel.x_est[i, np.isfinite(panel.x_est[i, :, 0]), 0]  # every market return of the window
        assert len(m_all) > ok.sum()
        mbar, sxx = m_all.mean(), ((m_all - m_all.mean()) ** 2).sum()
        res, _, _ = _sm_fit(panel, i, [0])
        s2 = res.ssr / (ok.sum() - 1)
        x = panel.x_evt[i, :, 0]
        np.testing.assert_allclose(ar.ar_var[i], s2 * (1 + 1 / ok.sum() + (x - mbar) ** 2 / sxx), rtol=RTOL)
        expected = s2 * (7 + 49 / ok.sum() + ((x - mbar).sum()) ** 2 / sxx)  # methods.md, square of the sum
        assert var[i] == pytest.approx(expected, rel=RTOL)


# --------------------------------------------------------------------------- other models
def test_constant_mean_closed_form() -> None:
    panel = make_panel(seed=6)
    ar = fit_model(panel, "constant_mean")
    assert ar.param_names == ("mu",) and ar.k == 1
    for i in range(panel.n_events):
        y = panel.y_est[i][np.isfinite(panel.y_est[i])]
        assert ar.params[i, 0] == pytest.approx(y.mean(), rel=1e-12)
        assert ar.sigma2[i] == pytest.approx(y.var(ddof=1), rel=1e-10)
        np.testing.assert_allclose(ar.ar_var[i], ar.sigma2[i] * (1 + 1 / len(y)), rtol=1e-12)


def test_market_adjusted() -> None:
    panel = make_panel(seed=7)
    ar = fit_model(panel, "market_adjusted")
    assert ar.k == 0 and ar.params.shape == (panel.n_events, 0) and ar.xtx_inv.shape == (panel.n_events, 0, 0)
    np.testing.assert_allclose(ar.ar, panel.y_evt - panel.x_evt[:, :, 0])
    for i in range(panel.n_events):
        e = panel.y_est[i] - panel.x_est[i, :, 0]
        e = e[np.isfinite(e)]
        assert ar.sigma2[i] == pytest.approx(np.var(e, ddof=1), rel=1e-10)
        assert ar.df[i] == len(e) - 1
    _, var = ar.car(-1, 1)
    np.testing.assert_allclose(var, 3 * ar.sigma2)


def test_scholes_williams_against_simple_regressions() -> None:
    panel = make_panel(names=("mkt_lag1", "mkt", "mkt_lead1"), seed=8)
    ar = fit_model(panel, "scholes_williams")
    for i in range(panel.n_events):
        y, x = panel.y_est[i], panel.x_est[i]
        ok = np.isfinite(y) & np.all(np.isfinite(x), axis=1)
        slopes = [np.polyfit(x[ok, j], y[ok], 1)[0] for j in range(3)]
        rho = np.corrcoef(x[ok, 1], x[ok, 0])[0, 1]
        b = sum(slopes) / (1 + 2 * rho)
        a = y[ok].mean() - b * x[ok, 1].mean()
        np.testing.assert_allclose(ar.params[i], [a, b], rtol=1e-9)
        e = y[ok] - a - b * x[ok, 1]
        assert ar.sigma2[i] == pytest.approx((e**2).sum() / (ok.sum() - 2), rel=1e-9)
        np.testing.assert_allclose(ar.ar[i], panel.y_evt[i] - a - b * panel.x_evt[i, :, 1], rtol=1e-9, atol=1e-15)
    # without the forecast-error term: S^2 = s^2 and Var(CAR) = L s^2 (the former default)
    plain = fit_model(panel, "scholes_williams", Conventions(name="no_fe", forecast_error=False))
    np.testing.assert_allclose(plain.params, ar.params)
    np.testing.assert_allclose(plain.ar_var, np.repeat(ar.sigma2[:, None], ar.ar.shape[1], axis=1))
    _, var = plain.car(-2, 2)
    np.testing.assert_allclose(var, 5 * ar.sigma2)
    # with it (default): s^2 (1 + 1/M + Q (x* - xbar)^2), Q = sum_t W_t^2 from the explicit weights
    _, var = ar.car(-2, 2)
    for i in range(panel.n_events):
        y, x = panel.y_est[i], panel.x_est[i]
        ok = np.isfinite(y) & np.all(np.isfinite(x), axis=1)
        xs = x[ok]
        rho = np.corrcoef(xs[:, 1], xs[:, 0])[0, 1]
        w = sum((xs[:, j] - xs[:, j].mean()) / ((xs[:, j] - xs[:, j].mean()) ** 2).sum() for j in range(3))
        q = (w**2).sum() / (1 + 2 * rho) ** 2
        dx = panel.x_evt[i, :, 1] - xs[:, 1].mean()
        np.testing.assert_allclose(ar.ar_var[i], ar.sigma2[i] * (1 + 1 / ok.sum() + q * dx**2), rtol=1e-9)
        m = (panel.tau_evt >= -2) & (panel.tau_evt <= 2)
        assert var[i] == pytest.approx(ar.sigma2[i] * (5 + 25 / ok.sum() + q * dx[m].sum() ** 2), rel=1e-9)


def test_dimson_beta_is_sum_of_slopes() -> None:
    panel = make_panel(names=("mkt_lag1", "mkt", "mkt_lead1"), seed=10)
    ar = fit_model(panel, "dimson")
    assert ar.param_names == ("alpha", "mkt_lag1", "mkt", "mkt_lead1")
    for i in range(panel.n_events):
        res, _, _ = _sm_fit(panel, i, [0, 1, 2])
        assert dimson_beta(ar)[i] == pytest.approx(res.params[1:].sum(), rel=RTOL)


def test_factor_model_offset_not_fitted() -> None:
    panel = make_panel(names=("mkt_rf", "smb", "hml"), seed=12, factor=True)
    ar = fit_model(panel, "ff3")
    assert ar.param_names == ("alpha", "mkt_rf", "smb", "hml")
    # AR = R - (rf + x'b) = (R - rf) - x'b
    normal = panel.offset_evt + np.einsum("nlp,np->nl", ar.x_evt_design, ar.params)
    np.testing.assert_allclose(ar.ar, panel.r_evt - normal, atol=1e-15)


# --------------------------------------------------------------------------- invariance
@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), shift=st.floats(-0.05, 0.05), perm_seed=st.integers(0, 1000))
def test_invariances(seed: int, shift: float, perm_seed: int) -> None:
    panel = make_panel(seed=seed)
    base = fit_model(panel, "market")
    shifted = replace(panel, y_est=panel.y_est + shift, y_evt=panel.y_evt + shift)
    moved = fit_model(shifted, "market")
    np.testing.assert_allclose(moved.params[:, 0], base.params[:, 0] + shift, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(moved.params[:, 1], base.params[:, 1], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(moved.ar, base.ar, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(moved.ar_var, base.ar_var, rtol=1e-8)
    order = np.random.default_rng(perm_seed).permutation(panel.n_events)
    perm = EventPanel(
        **{
            f: (
                getattr(panel, f)[order]
                if f not in ("tau_est", "tau_evt", "x_names", "returns_kind")
                else getattr(panel, f)
            )
            for f in panel.__dataclass_fields__
        }
    )
    reordered = fit_model(perm, "market")
    np.testing.assert_allclose(reordered.ar, base.ar[order], rtol=1e-12)
    np.testing.assert_allclose(reordered.ar_var, base.ar_var[order], rtol=1e-12)
    car, _ = base.car(int(panel.tau_evt[0]), int(panel.tau_evt[-1]))
    np.testing.assert_allclose(car, base.ar.sum(axis=1), rtol=1e-12)


# --------------------------------------------------------------------------- errors
def test_model_needs_matching_panel() -> None:
    panel = make_panel()
    with pytest.raises(InvalidRequestError, match="rebuild it with build_panel"):
        fit_model(panel, "ff3")
    with pytest.raises(InvalidRequestError, match="unknown model"):
        fit_model(panel, "capm2")
    with pytest.raises(InvalidRequestError, match="OLS models"):
        fit_event_ols(panel, 0, "scholes_williams")
    assert set(MODELS) == {
        "constant_mean",
        "market_adjusted",
        "market",
        "ff3",
        "ff5",
        "carhart4",
        "scholes_williams",
        "dimson",
        "garch",
        "gjr_garch",
    }


def test_collinear_regressors_raise() -> None:
    panel = make_panel(names=("mkt_rf", "smb", "hml"), miss=0.0)
    x_est = panel.x_est.copy()
    x_est[2, :, 2] = 2.0 * x_est[2, :, 0]
    with pytest.raises(DataError, match="collinear.*e2"):
        fit_model(replace(panel, x_est=x_est), "ff3")


# --------------------------------------------------------------------------- real data end to end
def test_real_panel_market_model(shared_data: Path) -> None:
    prices = {
        s: pd.read_csv(shared_data / "prices" / f"{s}.csv", parse_dates=["date"], index_col="date")["adj_close"]
        for s in ("BABA", "^GSPC", "9988.HK", "^HSI")
    }
    events = pd.DataFrame(
        {
            "event_id": ["baba", "hk", "cross"],
            "symbol": ["BABA", "9988.HK", "BABA"],
            "benchmark": ["^GSPC", "^HSI", "^HSI"],
            "event_date": pd.to_datetime(["2025-02-24"] * 3),
        }
    )
    anchored, _ = anchor_events(events)
    panel, _ = build_panel(anchored, prices, WindowSpec())
    ar = fit_model(panel, "market", TEXTBOOK)
    for i in range(3):
        res = fit_event_ols(panel, i, "market")
        np.testing.assert_allclose(ar.params[i], res.params.to_numpy(), rtol=RTOL)
        assert ar.n_est[i] == res.nobs
        x_evt = sm.add_constant(panel.x_evt[i], has_constant="add")
        np.testing.assert_allclose(ar.ar_var[i], res.get_prediction(x_evt).se_obs ** 2, rtol=RTOL)
    assert ar.ar[0, 10] < -0.08  # BABA fell about 10% against a -0.5% S&P 500 day


@pytest.mark.parametrize("conv", [TEXTBOOK, ESTUDY2, EVENTSTUDY], ids=lambda c: c.name)
def test_market_closed_form_equals_general_batched_ols(conv) -> None:  # noqa: ANN001
    """The closed-form market model (hot path) and the general OLS path give the same numbers."""
    from research_lib.models.fit import _fit_market_closed_form, _fit_ols_model

    panel = make_panel(n=9, miss=0.15, seed=11)
    fast = _fit_market_closed_form(panel, conv)
    slow = _fit_ols_model(panel, "market", ["mkt"], conv)
    if conv.market_moments == "full_window":
        from research_lib.models.fit import _full_window_inverse

        slow = replace(slow, xtx_inv=_full_window_inverse(panel.x_est[:, :, 0], slow.n_est))
        quad = np.einsum("nlp,npq,nlq->nl", slow.x_evt_design, slow.xtx_inv, slow.x_evt_design)
        slow = replace(slow, ar_var=slow.sigma2[:, None] * (1 + quad) if conv.forecast_error else slow.ar_var)
    for field in ("params", "sigma2", "n_est", "df", "est_resid", "ar", "ar_var", "xtx_inv", "x_evt_design"):
        np.testing.assert_allclose(getattr(fast, field), getattr(slow, field), rtol=1e-10, atol=1e-15, err_msg=field)
    np.testing.assert_allclose(fast.car(-1, 2)[1], slow.car(-1, 2)[1], rtol=1e-10)


def test_zero_variance_benchmark_is_a_clear_error() -> None:
    panel = make_panel(n=3, miss=0.0)
    x_est = panel.x_est.copy()
    x_est[1, :, 0] = 0.001
    with pytest.raises(DataError, match="does not vary.*e1"):
        fit_model(replace(panel, x_est=x_est), "market")
