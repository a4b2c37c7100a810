"""The model registry (research_lib.models.registry): every model against statsmodels, a toy model picked up
everywhere, the Scholes-Williams estimation-error term by Monte Carlo, and estimation-window lags and leads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import get_args

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from research_lib.cli.app import build_parser
from research_lib.conventions import TEXTBOOK, Conventions
from research_lib.engine.panel import AbnormalReturns, EventPanel
from research_lib.engine.windows import WindowSpec, anchor_events, build_panel
from research_lib.errors import InvalidRequestError, WindowError
from research_lib.listings.calendars import sessions
from research_lib.models import MODELS, OLS_MODELS, fit_model, market_beta
from research_lib.models.registry import (
    FACTOR_MODELS,
    REGISTRY,
    Layout,
    Model,
    ModelName,
    factor_files,
    get_model,
    model_names,
    register,
    unregister,
)

ALL_NAMES = ("mkt_lag1", "mkt", "mkt_lead1", "mkt_rf", "smb", "hml", "rmw", "cma", "mom")
BUILTIN = ("constant_mean", "market_adjusted", "market", "ff3", "ff5", "carhart4", "scholes_williams", "dimson")


def _panel(n: int = 5, l1: int = 80, l2: int = 9, seed: int = 3, miss: float = 0.08) -> EventPanel:
    """A seeded panel holding every regressor any built-in model uses (NaN = missing)."""
    rng = np.random.default_rng(seed)
    q = len(ALL_NAMES)
    x_est = rng.normal(0.0004, 0.01, (n, l1, q))
    x_evt = rng.normal(0.0004, 0.01, (n, l2, q))
    b = rng.uniform(-0.5, 1.5, (n, q))
    y_est = 0.001 + np.einsum("nlq,nq->nl", x_est, b) + rng.normal(0, 0.02, (n, l1))
    y_evt = 0.001 + np.einsum("nlq,nq->nl", x_evt, b) + rng.normal(0, 0.02, (n, l2))
    y_est[rng.random((n, l1)) < miss] = np.nan
    x_est[rng.random((n, l1, q)) < miss / 3] = np.nan
    d = np.datetime64("2021-01-01", "ns") + np.arange(l1 + l2).astype("timedelta64[D]")
    return EventPanel(
        event_ids=np.array([f"e{i}" for i in range(n)]), symbols=np.full(n, "AAA"), benchmarks=np.full(n, "^GSPC"),
        day0=np.repeat(d[l1 + l2 // 2], n), tau_est=np.arange(-l1 - l2 // 2, -(l2 // 2)),
        tau_evt=np.arange(-(l2 // 2), l2 - l2 // 2), est_dates=np.tile(d[:l1], (n, 1)), evt_dates=np.tile(d[l1:], (n, 1)),
        y_est=y_est, y_evt=y_evt, x_est=x_est, x_evt=x_evt, r_evt=y_evt, offset_evt=np.zeros((n, l2)), x_names=ALL_NAMES,
    )


def _cols(panel: EventPanel, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    idx = [panel.x_names.index(c) for c in names]
    return panel.x_est[:, :, idx], panel.x_evt[:, :, idx]


def _oracle(panel: EventPanel, name: str, i: int) -> dict[str, np.ndarray]:
    """Event i's parameters, s^2, ARs and AR variances from statsmodels OLS fits (independent of the package)."""
    y = panel.y_est[i]
    if name == "market_adjusted":
        e = y - _cols(panel, ["mkt"])[0][i, :, 0]
        res = sm.OLS(e[np.isfinite(e)], np.ones((np.isfinite(e).sum(), 1))).fit()  # mean and s^2 (M - 1)
        ar = panel.y_evt[i] - _cols(panel, ["mkt"])[1][i, :, 0]
        return {"params": np.zeros(0), "sigma2": np.array(res.scale), "ar": ar, "ar_var": np.full(len(ar), res.scale)}
    if name == "scholes_williams":
        x, xe = (a[i] for a in _cols(panel, ["mkt_lag1", "mkt", "mkt_lead1"]))
        ok = np.isfinite(y) & np.all(np.isfinite(x), axis=1)
        slopes = [sm.OLS(y[ok], sm.add_constant(x[ok, j])).fit().params[1] for j in range(3)]
        rho = sm.OLS(x[ok, 1] - x[ok, 1].mean(), x[ok, 0] - x[ok, 0].mean()).fit().params[0] * np.sqrt(
            np.var(x[ok, 0]) / np.var(x[ok, 1])
        )  # the correlation as a standardised slope
        beta = sum(slopes) / (1 + 2 * rho)
        alpha = y[ok].mean() - beta * x[ok, 1].mean()
        e = y[ok] - alpha - beta * x[ok, 1]
        return {"params": np.array([alpha, beta]), "sigma2": np.array((e**2).sum() / (ok.sum() - 2)),
                "ar": panel.y_evt[i] - alpha - beta * xe[:, 1], "ar_var": None}
    names = list(get_model(name).layout().x_names) if name != "dimson" else ["mkt_lag1", "mkt", "mkt_lead1"]
    x, xe = (a[i] for a in _cols(panel, names))
    ok = np.isfinite(y) & np.all(np.isfinite(x), axis=1)
    res = sm.OLS(y[ok], sm.add_constant(x[ok], has_constant="add")).fit()
    pred = res.get_prediction(sm.add_constant(xe, has_constant="add"))
    return {"params": res.params, "sigma2": np.array(res.scale), "ar": panel.y_evt[i] - pred.predicted_mean,
            "ar_var": pred.se_obs**2}


@pytest.mark.parametrize("name", BUILTIN)
def test_every_registered_model_equals_statsmodels_per_event(name: str) -> None:
    panel = _panel()
    ab = fit_model(panel, name)
    assert ab.model == name and ab.param_names == get_model(name).param_names(get_model(name).regressors(panel))
    for i in range(panel.n_events):
        want = _oracle(panel, name, i)
        np.testing.assert_allclose(ab.params[i], want["params"], rtol=1e-9, atol=1e-13)
        assert ab.sigma2[i] == pytest.approx(float(want["sigma2"]), rel=1e-9)
        np.testing.assert_allclose(ab.ar[i], want["ar"], rtol=1e-9, atol=1e-14)
        if want["ar_var"] is not None:
            np.testing.assert_allclose(ab.ar_var[i], want["ar_var"], rtol=1e-9)


def test_registry_lists_the_builtin_models_and_derived_names() -> None:
    assert model_names()[: len(BUILTIN)] == BUILTIN and MODELS == model_names()
    assert get_args(ModelName) == BUILTIN  # the Literal type lists the built-in option strings
    assert set(OLS_MODELS) == {"constant_mean", "market", "ff3", "ff5", "carhart4", "dimson"}
    assert dict(FACTOR_MODELS) == {"ff3": "ff3", "ff5": "ff5", "carhart4": "carhart4"}
    assert factor_files()["carhart4"] == ("ff3", "mom")
    from research_lib.engine import windows

    assert windows.FACTOR_COLUMNS["ff5"] == ("mkt_rf", "smb", "hml", "rmw", "cma")
    assert set(windows.BENCHMARK_MODELS) == {"market", "market_adjusted", "scholes_williams", "dimson", "garch", "gjr_garch"}
    with pytest.raises(InvalidRequestError, match="unknown model 'capm2'.*market"):
        get_model("capm2")
    with pytest.raises(InvalidRequestError, match="already registered"):
        register(get_model("market"))


def test_registry_views_are_complete_when_models_are_imported_first() -> None:
    """research_lib.models imports engine while its models are still registering: engine's views must be live."""
    import subprocess
    import sys

    code = ("import research_lib.models\nimport research_lib.engine as e\nimport research_lib.models as m\n"
            "assert e.PANEL_MODELS == m.MODELS and 'ff5' in e.FACTOR_COLUMNS and len(m.MODELS) >= 8, e.PANEL_MODELS")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_market_beta_per_model() -> None:
    panel = _panel()
    for name in BUILTIN:
        ab = fit_model(panel, name)
        beta = market_beta(ab)
        names = list(ab.param_names)
        if name == "constant_mean":
            assert beta is None
        elif name == "market_adjusted":
            np.testing.assert_array_equal(beta, np.ones(panel.n_events))
        elif name == "dimson":
            assert beta is not None
            np.testing.assert_allclose(beta, ab.params[:, 1:4].sum(axis=1))
        else:
            key = "mkt_rf" if "mkt_rf" in names else "beta"
            np.testing.assert_array_equal(beta, ab.params[:, names.index(key)])


# --------------------------------------------------------------------------- a toy model
class _ThroughOrigin(Model):
    """R = b R_m + e, OLS without intercept (a toy for the registry tests)."""

    name = "toy_origin"
    description = "market model without intercept"

    def layout(self, dimson_lags: int = 1) -> Layout:
        return Layout(("mkt",), (0,), (), (True,), 1)

    def param_names(self, regressors: tuple[str, ...] | list[str]) -> tuple[str, ...]:
        return ("beta",)

    def fit(self, panel: EventPanel, conv: Conventions) -> AbnormalReturns:
        x, xe = (a[:, :, 0] for a in _cols(panel, self.regressors(panel)))
        ok = np.isfinite(panel.y_est) & np.isfinite(x)
        xm, ym = np.where(ok, x, 0.0), np.where(ok, panel.y_est, 0.0)
        sxx = (xm * xm).sum(axis=1)
        b = (xm * ym).sum(axis=1) / sxx
        n = ok.sum(axis=1)
        resid = np.where(ok, panel.y_est - b[:, None] * x, np.nan)
        s2 = np.nansum(resid**2, axis=1) / (n - 1)
        design = xe[:, :, None]
        a = (1.0 / sxx)[:, None, None]
        return AbnormalReturns(
            panel=panel, model=self.name, param_names=("beta",), params=b[:, None], k=1, n_est=n, sigma2=s2,
            df=n - 1.0, est_resid=resid, ar=panel.y_evt - b[:, None] * xe,
            ar_var=self.ar_variance(s2, design, a, conv), xtx_inv=a, x_evt_design=design, conventions=conv,
        )


@pytest.fixture
def toy() -> Iterator[Model]:
    model = register(_ThroughOrigin())
    try:
        yield model
    finally:
        unregister(model.name)


def test_toy_model_is_picked_up_by_fit_model_panel_cli_and_beta(toy: Model) -> None:  # noqa: ARG001
    import research_lib.models as models

    assert "toy_origin" in models.MODELS and "toy_origin" in model_names()
    panel = _panel()
    ab = fit_model(panel, "toy_origin")
    for i in range(panel.n_events):
        x, y = panel.x_est[i, :, 1], panel.y_est[i]
        ok = np.isfinite(x) & np.isfinite(y)
        res = sm.OLS(y[ok], x[ok]).fit()
        assert ab.params[i, 0] == pytest.approx(res.params[0], rel=1e-10)
        pred = res.get_prediction(panel.x_evt[i, :, 1:2])
        np.testing.assert_allclose(ab.ar_var[i], pred.se_obs**2, rtol=1e-10)
    np.testing.assert_array_equal(market_beta(ab), ab.params[:, 0])
    args = build_parser().parse_args(["study", "events.csv", "--model", "toy_origin"])
    assert args.model == "toy_origin"
    # build_panel gathers the toy's regressors from its layout
    dates = sessions("AAPL", "2020-01-01", "2021-12-31")
    rng = np.random.default_rng(1)
    prices = {s: pd.Series(100 * np.exp(np.cumsum(rng.normal(0, 0.01, len(dates)))), index=dates) for s in ("AAA", "^GSPC")}
    anchored, _ = anchor_events(pd.DataFrame({"event_id": ["e"], "symbol": ["AAA"], "benchmark": ["^GSPC"],
                                              "event_date": [pd.Timestamp("2021-06-01")]}))
    built, _ = build_panel(anchored, prices, WindowSpec(), model="toy_origin")
    assert built.x_names == ("mkt",) and fit_model(built, "toy_origin").params.shape == (1, 1)


def test_unregistered_model_is_not_a_cli_choice() -> None:
    assert "toy_origin" not in REGISTRY
    with pytest.raises(SystemExit):
        build_parser().parse_args(["study", "events.csv", "--model", "toy_origin"])


# --------------------------------------------------------------------------- Scholes-Williams variance
def _sw_panel(x: np.ndarray, y: np.ndarray, m: int, l2: int) -> EventPanel:
    n = y.shape[0]
    est, evt = np.arange(1, m + 1), np.arange(m + 1, m + 1 + l2)

    def cols(pos: np.ndarray) -> np.ndarray:
        return np.broadcast_to(np.stack([x[pos - 1], x[pos], x[pos + 1]], axis=-1), (n, len(pos), 3)).copy()

    d = np.datetime64("2020-01-01", "ns") + np.arange(len(x)).astype("timedelta64[D]")
    return EventPanel(
        event_ids=np.arange(n), symbols=np.full(n, "S"), benchmarks=np.full(n, "M"), day0=np.repeat(d[m + 1 + l2 // 2], n),
        tau_est=np.arange(-l2 // 2 - m, -(l2 // 2)), tau_evt=np.arange(-(l2 // 2), l2 - l2 // 2),
        est_dates=np.tile(d[est], (n, 1)), evt_dates=np.tile(d[evt], (n, 1)), y_est=y[:, est], y_evt=y[:, evt],
        x_est=cols(est), x_evt=cols(evt), r_evt=y[:, evt], offset_evt=np.zeros((n, l2)),
        x_names=("mkt_lag1", "mkt", "mkt_lead1"),
    )


def test_scholes_williams_car_variance_by_monte_carlo() -> None:
    """Predicted and simulated Var(CAR) agree at L = 1, 11, 21 (M = 240), conditional on one market path.

    DGP: R_t = a + b R_mt + sigma e_t, e i.i.d. N(0, 1); R_m an AR(1) (phi = 0.15) so that rho_m != 0.
    20 000 replications; the MC standard error of a sample variance of normal CARs is V sqrt(2 / (R - 1)).
    Figures (seed 20261202): L=1 pred 4.039e-4, L=11 4.616e-3, L=21 9.142e-3 against L s^2 = 4e-4, 4.4e-3, 8.4e-3.
    """
    m, l2, reps, chunk, sigma = 240, 21, 20_000, 5_000, 0.02
    rng = np.random.default_rng(20261202)
    x = np.empty(m + l2 + 2)
    u = rng.normal(0, 0.01, len(x))
    x[0] = u[0]
    for t in range(1, len(x)):  # AR(1) recursion (a plain loop over 263 days)
        x[t] = 0.15 * x[t - 1] + u[t]
    x += 0.0004
    windows = {1: (0, 0), 11: (-5, 5), 21: (-10, 10)}
    cars: dict[int, list[np.ndarray]] = {k: [] for k in windows}
    betas, pred, q = [], {}, 0.0
    for _ in range(reps // chunk):
        y = 0.0002 + 1.1 * x[None, :] + sigma * rng.standard_normal((chunk, len(x)))
        ab = fit_model(_sw_panel(x, y, m, l2), "scholes_williams", TEXTBOOK)
        betas.append(ab.params[:, 1])
        q = float(ab.xtx_inv[0, 1, 1])
        for k, w in windows.items():
            car, var = ab.car(*w)
            cars[k].append(car)
            pred[k] = float(sigma**2 * var[0] / ab.sigma2[0])  # the formula with the true sigma^2
    b = np.concatenate(betas)
    assert b.var(ddof=1) == pytest.approx(sigma**2 * q, rel=4 * np.sqrt(2 / (reps - 1)))  # Var(b_SW) = sigma^2 Q
    for k in windows:
        c = np.concatenate(cars[k])
        sim = c.var(ddof=1)
        se = sim * np.sqrt(2 / (len(c) - 1))
        assert abs(sim - pred[k]) < 3.5 * se, (k, pred[k], sim, se)
        assert pred[k] > k * sigma**2
    # the former Var(CAR) = L s^2 is rejected at L = 21 and L = 11
    for k in (11, 21):
        c = np.concatenate(cars[k])
        assert c.var(ddof=1) - k * sigma**2 > 3.5 * c.var(ddof=1) * np.sqrt(2 / (len(c) - 1))


# --------------------------------------------------------------------------- lags and leads
def _prices() -> dict[str, pd.Series]:
    dates = sessions("AAPL", "2020-01-01", "2021-12-31")
    rng = np.random.default_rng(7)
    m = rng.normal(0.0003, 0.01, len(dates))
    r = 0.0002 + 0.6 * m + 0.4 * np.r_[0.0, m[:-1]] + rng.normal(0, 0.01, len(dates))
    return {"AAA": pd.Series(100 * np.exp(np.cumsum(r)), index=dates),
            "^GSPC": pd.Series(100 * np.exp(np.cumsum(m)), index=dates)}


@pytest.mark.parametrize(("model", "k"), [("scholes_williams", 1), ("dimson", 1), ("dimson", 2)])
def test_lags_and_leads_use_only_estimation_window_returns(model: str, k: int) -> None:
    prices = _prices()
    anchored, _ = anchor_events(pd.DataFrame({"event_id": ["e"], "symbol": ["AAA"], "benchmark": ["^GSPC"],
                                              "event_date": [pd.Timestamp("2021-06-01")]}))
    trim, att = build_panel(anchored, prices, WindowSpec(), model=model, dimson_lags=k)
    ext, att_ext = build_panel(anchored, prices, WindowSpec(lead_lag="extend"), model=model, dimson_lags=k)
    assert att["n_est"].item() == att_ext["n_est"].item() - 2 * k == 240 - 2 * k
    ab_t, ab_e = fit_model(trim, model), fit_model(ext, model)
    assert ab_t.n_est[0] == 240 - 2 * k and ab_e.n_est[0] == 240
    # trim = the extend fit on the days whose lags and leads are inside the window (an independent statsmodels fit)
    y, x = ext.y_est[0, k:-k], ext.x_est[0, k:-k]
    if model == "dimson":
        res = sm.OLS(y, sm.add_constant(x)).fit()
        np.testing.assert_allclose(ab_t.params[0], res.params, rtol=1e-9)
    else:
        slopes = [sm.OLS(y, sm.add_constant(x[:, j])).fit().params[1] for j in range(3)]
        rho = np.corrcoef(x[:, 1], x[:, 0])[0, 1]
        assert ab_t.params[0, 1] == pytest.approx(sum(slopes) / (1 + 2 * rho), rel=1e-9)
    assert not np.allclose(ab_t.params, ab_e.params)
    np.testing.assert_array_equal(trim.x_evt, ext.x_evt)  # event-window regressors are the same


def test_lead_lag_option_is_validated() -> None:
    with pytest.raises(WindowError, match="lead_lag='both'.*trim.*extend"):
        WindowSpec(lead_lag="both")  # type: ignore[arg-type]
