"""Robustness of a single-event result: many designs side by side, and a placebo.

A single-firm event study rests on choices a reader may question: the
benchmark, the normal-return model, the length of the estimation window,
unusual days inside it, the event window.  :func:`robustness_table` runs one
:class:`Design` per choice and lays the CARs side by side.  The placebo
(:func:`placebo_cars`) runs the same design on many ordinary days, so that
the event's |CAR| can be ranked among CARs of days without the event.

Dropping days from the estimation window
----------------------------------------
Setting a *price* to NaN would remove two returns (the one ending and the
one starting at that close).  :func:`mask_estimation_dates` instead removes
the estimation-window *returns* dated on given sessions (the return dated d
runs from the previous session's close to d's close) after the panel is
built, before the model is fitted; the event window is never touched, and
an event left with fewer than ``min_estimation`` returns is excluded.

References
----------
MacKinlay, A. C. (1997), "Event studies in economics and finance", *JEL* 35(1).
Brown, S. J. and Warner, J. B. (1985), "Using daily stock returns: the case
of event studies", *JFE* 14 (pseudo-events on random dates).  Gelbach, J. B.,
Helland, E. and Klick, J. (2013), "Valid inference in single-firm,
single-event studies", *ALER* 15(2).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from research_lib.conventions import pct_label
from research_lib.engine.panel import AbnormalReturns, EventPanel
from research_lib.engine.windows import WindowSpec, build_panel, mask_estimation_dates
from research_lib.errors import InsufficientEstimationWindowError, InvalidRequestError, NoValidEventsError
from research_lib.inference.resampling import placebo_permutation_test
from research_lib.inference.single_firm import sample_quantile_test
from research_lib.listings.calendars import calendar_for, day_zero, session_index
from research_lib.models.fit import fit_model, market_beta
from research_lib.models.garch import GARCH_MODELS, GarchSpec, fit_garch
from research_lib.plotting import MAIN, legend_below
from research_lib.tables import car_estimate, t_inference

log = logging.getLogger(__name__)

Window = tuple[int, int]

__all__ = [
    "resampling_rejections",
    "garch_bootstrap_rows",
    "Design",
    "PlaceboSummary",
    "fit_design",
    "largest_residual_days",
    "mask_estimation_dates",
    "placebo_cars",
    "placebo_days",
    "placebo_summary",
    "plot_robustness",
    "robustness_table",
]


@dataclass(frozen=True)
class Design:
    """One event-study design for one listing.

    Attributes
    ----------
    symbol, benchmark
        the listing and its benchmark (ignored by ``constant_mean``
        and factor models, but kept as a label).
    model
        normal-return model (:data:`research_lib.models.fit.MODELS`).
    estimation, event
        windows in sessions of the listing's exchange relative to day 0.
    min_estimation
        fewest estimation returns an event may keep (after exclusions).
    exclude_dates
        sessions whose estimation-window returns are dropped.
    label
        a short name for tables (default: built from the fields).

    Examples
    --------
    >>> from research_lib.analysis import Design
    >>> d = Design("EXA", "^GSPC", model="market", estimation=(-120, -11), event=(-5, 5), min_estimation=60)
    >>> d.symbol, d.model, d.event
    ('EXA', 'market', (-5, 5))
    """

    symbol: str
    benchmark: str
    model: str = "market"
    estimation: Window = (-250, -11)
    event: Window = (-10, 10)
    min_estimation: int = 120
    exclude_dates: tuple[pd.Timestamp, ...] = field(default_factory=tuple)
    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "exclude_dates", tuple(pd.Timestamp(d) for d in self.exclude_dates))
        if not self.label:
            drop = f", minus {len(self.exclude_dates)} day(s)" if self.exclude_dates else ""
            object.__setattr__(
                self, "label",
                f"{self.symbol} vs {self.benchmark}, {self.model}, est [{self.estimation[0]},{self.estimation[1]}]{drop}",
            )

    @property
    def spec(self) -> WindowSpec:
        est, evt = self.estimation, self.event
        return WindowSpec((int(est[0]), int(est[1])), (int(evt[0]), int(evt[1])), int(self.min_estimation))


def fit_design(
    design: Design,
    day0: Sequence[str | pd.Timestamp] | str | pd.Timestamp,
    prices: Mapping[str, pd.Series],
    factors: pd.DataFrame | None = None,
    conventions: str = "textbook",
    event_ids: Sequence[str] | None = None,
) -> tuple[AbnormalReturns, pd.DataFrame]:
    """Fit ``design`` for one or many day-0 sessions of its listing, in one stacked panel.

    Parameters
    ----------
    design
        The design.
    day0
        One session or many (pseudo-events for a placebo); each must be a
        session of the listing's exchange.
    prices
        Symbol -> adjusted closes (e.g. :func:`research_lib.cases.alibaba.load_case_prices`).
    factors
        Decimal factor returns, for factor models.
    conventions
        Convention set of :func:`research_lib.models.fit_model`.
    event_ids
        Optional ids (default: the day-0 dates).

    Returns
    -------
    ab : AbnormalReturns
        For the events that could be studied.
    attrition : pd.DataFrame
        One row per day 0: ``event_id``, ``status``, ``reason``, ``n_est``,
        ``n_masked`` (returns dropped by ``exclude_dates``).

    Raises
    ------
    NoValidEventsError, InsufficientEstimationWindowError
        If no event is left (the message says why).
    """
    days = [day0] if isinstance(day0, str | pd.Timestamp) else list(day0)
    d0 = pd.DatetimeIndex([pd.Timestamp(d) for d in days])
    ids = [f"{design.symbol}@{d:%Y-%m-%d}" for d in d0] if event_ids is None else list(event_ids)
    anchored = pd.DataFrame({"event_id": ids, "symbol": design.symbol, "benchmark": design.benchmark, "day0": d0})
    garch = design.model in GARCH_MODELS  # market model with GARCH errors: the panel is the market model's
    panel, attr = build_panel(anchored, prices, design.spec, model="market" if garch else design.model, factors=factors)
    attr = attr[["event_id", "status", "reason", "n_est"]].copy()
    attr["n_masked"] = 0
    if design.exclude_dates:
        panel, n_masked = mask_estimation_dates(panel, design.exclude_dates)
        n_left = (np.isfinite(panel.y_est) & np.all(np.isfinite(panel.x_est), axis=2)).sum(axis=1)
        where = attr["event_id"].isin(panel.event_ids)
        attr.loc[where, "n_masked"] = n_masked
        attr.loc[where, "n_est"] = n_left
        short = n_left < design.min_estimation
        if short.any():
            bad = attr["event_id"].isin(panel.event_ids[short])
            attr.loc[bad, "status"] = "excluded"
            attr.loc[bad, "reason"] = (
                f"fewer than min_estimation={design.min_estimation} estimation returns after dropping the excluded dates"
            )
            if short.all():
                raise InsufficientEstimationWindowError(int(n_left.max()), design.min_estimation, what=design.label)
            panel = panel.select(~short)
    if garch:
        return _fit_garch_design(panel, design, attr)
    ab = fit_model(panel, design.model, conventions)
    return ab, attr.reset_index(drop=True)


def _fit_garch_design(panel: EventPanel, design: Design, attr: pd.DataFrame) -> tuple[AbnormalReturns, pd.DataFrame]:
    """The market model with GARCH(1,1) or GJR-GARCH errors (``arch``); failed fits go to the attrition rows."""
    fit = fit_garch(panel, GarchSpec(design.model, min_estimation=min(design.min_estimation, 100)))
    st = fit.status.set_index("event_id")
    where = attr["event_id"].isin(st.index)
    attr.loc[where, "status"] = attr.loc[where, "event_id"].map(st["status"]).to_numpy()
    flagged = where & (attr["status"] != "kept")
    attr.loc[flagged, "reason"] = attr.loc[flagged, "event_id"].map(st["reason"]).to_numpy()
    return fit.abnormal, attr.reset_index(drop=True)


def _window_rows(ab: AbnormalReturns, i: int, windows: Sequence[Window], level: float) -> list[dict[str, Any]]:
    rows = []
    for w in windows:
        c = car_estimate(ab, *w, event=i)
        inf = t_inference(c.estimate, c.se, c.df, level)
        sq = sample_quantile_test(ab, i, w, level)
        perm = placebo_permutation_test(ab.est_resid[i], c.estimate, w[1] - w[0] + 1)  # every pseudo window once
        rows.append({"window": f"[{w[0]},{w[1]}]", "car": c.estimate, "se": c.se, "t": float(inf.t),
                     "p": float(inf.p), "sq_p": sq.pvalue, "perm_p": perm.pvalue})
    return rows


def robustness_table(
    designs: Sequence[Design],
    announced_at: str | pd.Timestamp,
    prices: Mapping[str, pd.Series],
    windows: Sequence[Window],
    factors: pd.DataFrame | None = None,
    conventions: str = "textbook",
    level: float = 0.95,
) -> pd.DataFrame:
    """Run every design on the event and tabulate the CARs.

    Day 0 of each design follows from ``announced_at`` on its listing's
    calendar (:func:`research_lib.listings.calendars.day_zero`).

    Returns
    -------
    pd.DataFrame
        One row per design and window: ``label``, ``symbol``, ``benchmark``,
        ``model``, ``estimation`` (text), ``n_est``, ``df`` (of the t test), ``n_masked``, ``beta``
        (the model's market beta from the model registry: ``beta``, the
        ``mkt_rf`` slope, the Dimson sum of slopes, 1 for market-adjusted;
        NaN for constant mean), ``sigma``, ``window``, ``car``, ``se``,
        ``t``, ``p`` (Student t with the design's df) and ``sq_p`` (sample-
        quantile p-value, Gelbach, Helland and Klick 2013) and ``perm_p`` (placebo-date
        permutation p-value over every pseudo window of the estimation period,
        :func:`~research_lib.inference.resampling.placebo_permutation_test`).
        ``model`` may also be ``"garch"`` or ``"gjr_garch"``: the market model
        with GARCH(1,1) or GJR-GARCH errors (:func:`~research_lib.models.garch.fit_garch`),
        whose SE is the root of the summed conditional variance forecasts.

    Notes
    -----
    se = sqrt(Var(CAR)) with Var(CAR) = gamma' V gamma, the prediction-error
    variance of Campbell, Lo and MacKinlay (1997, eq. 4.4.11-4.4.14) for OLS
    models and, with its own estimation-error matrix, Scholes-Williams; L s^2
    for market-adjusted.
    """
    out = []
    for d in designs:
        session = day_zero(announced_at, d.symbol).session
        ab, attr = fit_design(d, session, prices, factors=factors, conventions=conventions)
        slopes = market_beta(ab)  # from the model registry
        if d.model in GARCH_MODELS:  # GARCH market models: (alpha, beta, ...) of the mean equation
            slopes = ab.params[:, 1]
        beta = float("nan") if slopes is None else float(slopes[0])
        base = {
            "label": d.label, "symbol": d.symbol, "benchmark": d.benchmark, "model": d.model,
            "estimation": f"[{d.estimation[0]},{d.estimation[1]}]", "n_est": int(ab.n_est[0]), "df": float(ab.df[0]),
            "n_masked": int(attr["n_masked"].iloc[0]),
            "beta": beta,
            "sigma": float(np.sqrt(ab.sigma2[0])),
        }
        out += [{**base, **row} for row in _window_rows(ab, 0, windows, level)]
    return pd.DataFrame(out)


# --------------------------------------------------------------------------- placebo
def placebo_days(design: Design, day0: str | pd.Timestamp, window: Window, step: int = 1) -> pd.DatetimeIndex:
    """Pseudo day-0 sessions whose CAR window lies inside the real event's estimation window.

    With p0 the position of the real day 0 on the listing's calendar, a
    session at position s qualifies when p0 + e0 <= s + a and s + b <= p0 + e1,
    (e0, e1) the design's estimation window and (a, b) ``window``; so no
    pseudo CAR window touches the real event window.  ``step`` > 1 keeps every
    step-th such session (non-overlapping windows for step >= b - a + 1).

    Examples
    --------
    >>> from research_lib.analysis import Design, placebo_days
    >>> days = placebo_days(Design("EXA", "^GSPC"), "2024-03-01", window=(0, 0), step=20)
    >>> len(days) > 5, days.max() < __import__("pandas").Timestamp("2024-03-01")
    (True, True)
    """
    if step < 1:
        raise InvalidRequestError(f"step={step} must be a positive number of sessions")
    a, b = window
    e0, e1 = design.estimation
    grid = pd.DatetimeIndex(calendar_for(design.symbol).sessions)
    p0 = session_index(grid, day0)
    first, last = p0 + e0 - a, p0 + e1 - b
    if last < first:
        raise InvalidRequestError(f"window {list(window)} is longer than the estimation window {list(design.estimation)}")
    return grid[first : last + 1 : step]


def placebo_cars(
    design: Design,
    days: Sequence[pd.Timestamp] | pd.DatetimeIndex,
    prices: Mapping[str, pd.Series],
    window: Window,
    factors: pd.DataFrame | None = None,
    conventions: str = "textbook",
) -> pd.DataFrame:
    """CAR over ``window`` of the same design on each pseudo day 0, all fitted in one panel.

    Each pseudo-event gets its own estimation window (the design's, counted
    back from the pseudo day 0) and its own fit.  Pseudo-events that cannot
    be studied (data too short) are left out.

    Returns
    -------
    pd.DataFrame
        ``day0``, ``car``, ``se``, ``t``, ``n_est``.
    """
    try:
        ab, _ = fit_design(design, list(days), prices, factors=factors, conventions=conventions)
    except NoValidEventsError as exc:
        raise NoValidEventsError(f"no placebo day could be studied: {exc}") from None
    car, var = ab.car(*window)
    se = np.sqrt(var)
    return pd.DataFrame({"day0": pd.to_datetime(ab.panel.day0), "car": car, "se": se, "t": car / se,
                         "n_est": ab.n_est.astype(int)})


@dataclass(frozen=True)
class PlaceboSummary:
    """How the event's CAR ranks among placebo CARs.

    Attributes
    ----------
    n
        number of placebo days.
    car, t
        the event's CAR and t statistic.
    share_abs_car
        share of placebo days with |CAR| >= |event CAR|.
    share_abs_t
        share with |t| >= |event t| (NaN if t not given).
    p_abs_car
        (1 + count) / (1 + n), the usual finite-sample p-value of that rank.
    lower, upper
        the 2.5% and 97.5% quantiles of placebo CARs.
    """

    n: int
    car: float
    t: float
    share_abs_car: float
    share_abs_t: float
    p_abs_car: float
    lower: float
    upper: float

    def __str__(self) -> str:
        return (
            f"{self.n} placebo days: |CAR| >= {abs(self.car):.4f} on {self.share_abs_car:.1%} of them "
            f"(rank p = {self.p_abs_car:.3f}); |t| >= {abs(self.t):.2f} on {self.share_abs_t:.1%}; "
            f"middle 95% of placebo CARs [{self.lower:.4f}, {self.upper:.4f}]"
        )


def placebo_summary(placebo: pd.DataFrame, car: float, t: float = float("nan")) -> PlaceboSummary:
    """Rank the event's |CAR| (and |t|) among the placebo CARs.

    Notes
    -----
    share = #{j : |CAR_j| >= |CAR|} / n; p = (1 + #{...}) / (1 + n) counts the
    event itself among the draws (a rank test under exchangeability, which
    overlapping placebo windows only approximate: neighbouring pseudo-events
    share days).

    Examples
    --------
    >>> import pandas as pd
    >>> from research_lib.analysis import placebo_summary
    >>> placebo = pd.DataFrame({"car": [0.01, -0.02, 0.005, 0.03, -0.01], "t": [0.5, -1.0, 0.2, 1.4, -0.6]})
    >>> s = placebo_summary(placebo, car=0.05, t=2.5)
    >>> type(s).__name__
    'PlaceboSummary'
    """
    c = placebo["car"].to_numpy(dtype=float)
    c = c[np.isfinite(c)]
    n = c.size
    if n == 0:
        raise NoValidEventsError("the placebo table has no finite CAR; check the placebo days")
    k = int(np.sum(np.abs(c) >= abs(car)))
    tt = placebo["t"].to_numpy(dtype=float)
    tt = tt[np.isfinite(tt)]
    share_t = float(np.mean(np.abs(tt) >= abs(t))) if np.isfinite(t) and tt.size else float("nan")
    lo, hi = np.quantile(c, [0.025, 0.975])
    return PlaceboSummary(n, float(car), float(t), k / n, share_t, (1 + k) / (1 + n), float(lo), float(hi))


def plot_robustness(table: pd.DataFrame, window: str, level: float = 0.95, ax: Any = None) -> Any:
    """Dot-and-interval chart of one window's CAR across the designs of :func:`robustness_table`; return ``ax``.

    Each design's CAR is drawn with its two-sided ``level`` interval
    CAR +/- t_{1-alpha/2, df} se, df the design's own degrees of freedom.
    """
    from matplotlib.ticker import PercentFormatter

    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(8, 0.35 * (table["window"] == window).sum() + 1.5))
    sub = table[table["window"] == window].reset_index(drop=True)
    if sub.empty:
        raise InvalidRequestError(f"window {window!r} is not in the table; use one of {sorted(set(table['window']))}")
    half = t_inference(sub["car"], sub["se"], sub["df"], level).half_width
    y = np.arange(len(sub))[::-1]
    ax.errorbar(sub["car"], y, xerr=half, fmt="o", color=MAIN, ecolor="0.4", capsize=3,
                label=f"CAR{window} with {pct_label(level)} two-sided interval (prediction-error SE)")
    ax.axvline(0, color="0.3", lw=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels(sub["label"], fontsize=8)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=None))
    ax.set_xlabel(f"cumulative abnormal return over event days {window} (%)")
    legend_below(ax, ncol=1)
    return ax


# --------------------------------------------------------------------------- contamination
def largest_residual_days(
    design: Design, day0: str | pd.Timestamp, prices: Mapping[str, pd.Series], k: int = 3,
    factors: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The ``k`` estimation-window days with the largest |residual| of ``design`` around ``day0``.

    A contamination check drops these days (``Design(exclude_dates=...)``)
    and refits: if the event's AR hardly moves, a few extreme days (other news
    of the firm) did not drive the normal-return model.

    Returns
    -------
    pd.DataFrame
        ``date``, ``tau`` (event time), ``residual`` and ``return`` (the raw
        return), largest |residual| first.

    Raises
    ------
    InvalidRequestError
        If ``k`` is not positive.
    """
    if k < 1:
        raise InvalidRequestError(f"k must be a positive number of days, got {k}")
    ab, _ = fit_design(design, pd.Timestamp(day0), prices, factors=factors)
    resid = ab.est_resid[0]
    ok = np.isfinite(resid)
    frame = pd.DataFrame({
        "date": pd.DatetimeIndex(ab.panel.est_dates[0])[ok], "tau": ab.panel.tau_est[ok],
        "residual": resid[ok], "return": ab.panel.y_est[0][ok],
    })
    top = frame["residual"].abs().sort_values(ascending=False).index[:k]
    return frame.loc[top].reset_index(drop=True)


# --------------------------------------------------------------------------- GARCH and resampling rows (issue 14)
def garch_bootstrap_rows(
    ab: AbnormalReturns, windows: Sequence[Window], garch: str = "garch", n_resamples: int = 999, seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows for a multi-event battery: the wild bootstrap of the CAAR t and the standardised tests under GARCH errors.

    Parameters
    ----------
    ab
        Abnormal returns of N events from the market model (its panel is refitted with GARCH errors).
    windows
        CAR windows.
    garch
        ``"garch"`` or ``"gjr_garch"`` (:func:`~research_lib.models.garch.fit_garch`).
    n_resamples, seed
        Of :func:`~research_lib.inference.resampling.wild_bootstrap_t`.

    Returns
    -------
    rows : pandas.DataFrame
        ``window``, ``test``, ``stat``, ``p``, ``n`` for ``"wild bootstrap t"`` (centred
        Rademacher resamples of the market-model CARs) and ``"<garch> Patell"``,
        ``"<garch> BMP"`` (:class:`~research_lib.inference.battery.TestBattery` on the
        GARCH abnormal returns, standardised by the conditional variance forecasts).
    status : pandas.DataFrame
        The GARCH status of every event (``kept``, ``flagged`` at a bound, ``failed``).

    Notes
    -----
    The wild bootstrap keeps each event's CAR variance, so it is robust to
    event-induced heteroskedasticity without standardising; the GARCH rows
    standardise by a variance that moves with recent volatility (Savickas 2003).

    References
    ----------
    Savickas, R. (2003). Event-induced volatility and tests for abnormal performance.
    *Journal of Financial Research* 26(2), 165-178.
    """
    from research_lib.inference.battery import TestBattery
    from research_lib.inference.resampling import wild_bootstrap_t

    fit = fit_garch(ab.panel, GarchSpec(garch))
    battery = TestBattery(fit.abnormal)
    name = "GJR-GARCH" if garch == "gjr_garch" else "GARCH"
    rows = []
    for a, b in windows:
        car, _ = ab.car(a, b)
        wb = wild_bootstrap_t(car, n_resamples=n_resamples, seed=seed)
        key = f"[{a},{b}]"
        rows.append({"window": key, "test": f"wild bootstrap t ({n_resamples} resamples)", "stat": wb.stat, "p": wb.pvalue,
                     "n": wb.n})
        for test, res in battery.window(a, b, ["patell", "bmp"]).items():
            rows.append({"window": key, "test": f"{name} {'Patell' if test == 'patell' else 'BMP'}", "stat": float(res.stat),
                         "p": float(res.pvalue), "n": int(fit.abnormal.ar.shape[0])})
    return pd.DataFrame(rows), fit.status


def resampling_rejections(universe: Any, design: Any, n_resamples: int = 199, level: float = 0.05) -> pd.DataFrame:
    """Rejection rates of the resampling tests next to the cross-sectional t and BMP, by Brown-Warner simulation.

    Parameters
    ----------
    universe
        A :class:`~research_lib.simulation.experiment.ReturnUniverse` (e.g. ``snapshot_universe``).
    design
        A :class:`~research_lib.simulation.experiment.SimulationDesign`: ``n_events``, ``n_samples``,
        ``spec``, ``car_window``, ``ar_sizes``, ``variance_factor``, ``seed`` are used (market model).
    n_resamples
        Resamples of each wild bootstrap (per sample); the permutation test uses every pseudo window.
    level
        Two-sided level.

    Returns
    -------
    pandas.DataFrame
        Rows ``t_cross_sectional``, ``bmp``, ``wild_bootstrap_t`` (S samples of N events) and
        ``placebo_permutation`` (the first event of each sample alone: a one-firm test), columns
        the planted abnormal returns; values are rejection rates.

    Notes
    -----
    The pseudo-events, fits and planted returns are those of
    :mod:`research_lib.simulation.experiment` (``draw_events``, ``pseudo_panel``,
    ``plant_abnormal_returns``); the same draws serve every size.  The
    t and BMP rates are recomputed here on the same samples so the four rows compare
    like with like.  The wild bootstrap of sample s uses seed ``design.seed + s``.
    """
    from scipy import stats

    from research_lib.inference.resampling import wild_bootstrap_t
    from research_lib.simulation.experiment import draw_events, plant_abnormal_returns, pseudo_panel

    rng = np.random.default_rng(design.seed)
    s_n, n = design.n_samples, design.n_events
    events = draw_events(universe, design.spec, s_n, n, rng=rng)
    ab = fit_model(pseudo_panel(universe, events, design.spec), "market")
    noise = rng.standard_normal(ab.ar.shape) if design.variance_factor > 1 else None
    length = design.car_window[1] - design.car_window[0] + 1
    first = np.arange(s_n) * n
    out: dict[float, dict[str, float]] = {}
    for size in design.ar_sizes:
        planted = plant_abnormal_returns(ab, size, design.car_window, design.variance_factor, noise)
        car, var = planted.car(*design.car_window)
        car, scar = car.reshape(s_n, n), (car / np.sqrt(var)).reshape(s_n, n)
        t = car.mean(axis=1) / (car.std(axis=1, ddof=1) / np.sqrt(n))
        b = scar.mean(axis=1) / (scar.std(axis=1, ddof=1) / np.sqrt(n))
        crit = stats.t.ppf(1 - level / 2, n - 1)
        wb = np.array([wild_bootstrap_t(car[s], n_resamples, seed=design.seed + s).pvalue for s in range(s_n)])
        perm = np.array([placebo_permutation_test(planted.est_resid[i], float(car.reshape(-1)[i]), length).pvalue
                         for i in first])
        out[size] = {"t_cross_sectional": float(np.mean(np.abs(t) > crit)), "bmp": float(np.mean(np.abs(b) > crit)),
                     "wild_bootstrap_t": float(np.mean(wb <= level)), "placebo_permutation": float(np.mean(perm <= level))}
    return pd.DataFrame(out)
