"""Calendar-time portfolios: a check on event studies whose events cluster in time.

When several events fall on the same or neighbouring calendar dates their
abnormal returns share market-wide shocks and the cross-sectional tests
overstate the information in the sample (the Kolari-Pynnönen adjustment in
:mod:`research_lib.inference.battery` is one answer).  The calendar-time approach of
Jaffe (1974) and Mandelker (1974) is another: on each calendar date form an
equal-weighted portfolio of the securities that are inside their event
window [a, b] that day, and test the portfolio's mean abnormal return over
time.  Events on the same date become one observation, so cross-correlation
between them no longer matters; the time series of portfolio returns is the
unit of inference.

Two variants are provided.

* :func:`calendar_time_alpha` (Jaffe-Mandelker): regress the portfolio's
  excess return on the market excess return (``model="market"``) or on the
  Fama-French (1993) three factors (``model="ff3"``) over the dates on which
  the portfolio holds at least one security; the intercept alpha is the mean
  daily abnormal return of a security in its event window.
* :func:`calendar_time_abnormal`: average, on each date, the abnormal
  returns from the event study's own normal-return models (each listing
  against its own benchmark, so listings of different markets can be mixed)
  and test the mean of that daily series with its time-series standard
  error (t with T - 1 degrees of freedom).

References
----------
Jaffe, J. F. (1974). Special information and insider trading. Journal of
Business 47(3), 410-428.
Mandelker, G. (1974). Risk and return: the case of merging firms. Journal of
Financial Economics 1(4), 303-335.
Fama, E. F. (1998). Market efficiency, long-term returns, and behavioral
finance. Journal of Financial Economics 49(3), 283-306.
Mitchell, M. L. and Stafford, E. (2000). Managerial decisions and long-term
stock price performance. Journal of Business 73(3), 287-329.
Newey, W. K. and West, K. D. (1987). A simple, positive semi-definite,
heteroskedasticity and autocorrelation consistent covariance matrix.
Econometrica 55(3), 703-708.
Fama, E. F. and French, K. R. (1993). Common risk factors in the returns on
stocks and bonds. Journal of Financial Economics 33(1), 3-56.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from research_lib.errors import InvalidRequestError

if TYPE_CHECKING:
    from research_lib.results import EventStudyResult

__all__ = [
    "CalendarTimeResult",
    "calendar_time_abnormal",
    "calendar_time_alpha",
    "calendar_time_from_result",
    "calendar_time_portfolio",
    "holdings_from_result",
]

CT_MODELS = ("market", "ff3")
_FF3 = ("mkt_rf", "smb", "hml")


@dataclass(frozen=True)
class CalendarTimeResult:
    """Outcome of a calendar-time test.

    Attributes
    ----------
    method
        ``"jaffe_mandelker"`` (portfolio alpha) or ``"mean_ctar"`` (mean calendar-time AR).
    model
        ``"market"``, ``"ff3"`` or the event study's model (``mean_ctar``).
    alpha
        mean daily abnormal return of the portfolio (intercept, or mean CTAR).
    se, t, pvalue, df
        its standard error, t statistic, two-sided p-value and degrees of freedom.
    n_days
        number of calendar dates with a non-empty portfolio used.
    mean_holdings
        average number of securities in the portfolio on those dates.
    params, bse
        all coefficients and their standard errors (regression only).
    cov_type
        ``"nonrobust"`` or ``"HAC(<lags>)"``.
    portfolio
        per date: ``ret`` (or ``ctar``), ``n`` and the regressors used.
    """

    method: str
    model: str
    alpha: float
    se: float
    t: float
    pvalue: float
    df: float
    n_days: int
    mean_holdings: float
    params: pd.Series = field(default_factory=pd.Series)
    bse: pd.Series = field(default_factory=pd.Series)
    cov_type: str = "nonrobust"
    portfolio: pd.DataFrame = field(default_factory=pd.DataFrame)

    def as_row(self) -> dict[str, object]:
        """One row for a comparison table."""
        return {"method": self.method, "model": self.model, "alpha": self.alpha, "se": self.se, "t": self.t,
                "p": self.pvalue, "df": self.df, "days": self.n_days, "mean_holdings": self.mean_holdings,
                "cov_type": self.cov_type}

    def __str__(self) -> str:
        return (f"{self.method} ({self.model}): alpha = {self.alpha:.5f} per day, se = {self.se:.5f}, "
                f"t = {self.t:.3f}, p = {self.pvalue:.4f} [t({self.df:g}), {self.cov_type}], "
                f"{self.n_days} dates, {self.mean_holdings:.2f} securities on average")


# --------------------------------------------------------------------------- portfolio construction
def calendar_time_portfolio(returns: pd.DataFrame, holdings: pd.DataFrame) -> pd.DataFrame:
    """Equal-weighted calendar-time portfolio of the securities inside their event windows.

    Parameters
    ----------
    returns
        Wide table of returns: DatetimeIndex of dates, one column per symbol.
    holdings
        One row per event with ``symbol``, ``start`` and ``end`` (the first and
        last calendar date of the event window [a, b], inclusive).

    Returns
    -------
    pandas.DataFrame
        Indexed by date (only dates with at least one security held and a
        return): ``ret`` the equal-weighted mean return and ``n`` the number
        of securities held.

    Notes
    -----
    R_p,t = (1/n_t) sum_{i in P_t} R_it, where P_t is the set of distinct
    securities with t in [start_i, end_i] and a non-missing return on t.  A
    security whose windows of two events overlap is held once (weights are
    per security, not per event).
    """
    need = {"symbol", "start", "end"}
    if not need <= set(holdings.columns):
        raise InvalidRequestError(f"holdings need the columns {sorted(need)}; got {list(holdings.columns)}")
    missing = sorted(set(holdings["symbol"]) - set(returns.columns))
    if missing:
        raise InvalidRequestError(f"no returns for {missing}; add their columns to the returns table")
    long = pd.Series(returns.rename_axis(index="date", columns="symbol").stack(), name="r").reset_index()
    hold = holdings[["symbol", "start", "end"]].assign(start=lambda d: pd.to_datetime(d["start"]),
                                                       end=lambda d: pd.to_datetime(d["end"]))
    merged = long.merge(hold, on="symbol")
    inside = merged[(merged["date"] >= merged["start"]) & (merged["date"] <= merged["end"]) & merged["r"].notna()]
    inside = inside.drop_duplicates(["date", "symbol"])
    out = pd.DataFrame(inside.groupby("date")["r"].agg(ret="mean", n="count"))
    out["n"] = out["n"].astype(int)
    return out


def _window_cols(result: EventStudyResult, window: Sequence[int]) -> np.ndarray:
    a, b = int(window[0]), int(window[1])
    return result.abnormal.window_index(a, b)


def holdings_from_result(result: EventStudyResult, window: Sequence[int] = (0, 1)) -> pd.DataFrame:
    """First and last calendar date of each included event's window [a, b] (its own exchange's sessions).

    Returns
    -------
    pandas.DataFrame
        ``event_id, symbol, benchmark, start, end``.

    Examples
    --------
    >>> from research_lib.analysis import holdings_from_result
    >>> from research_lib.examples import example_result
    >>> h = holdings_from_result(example_result(), window=(0, 1))
    >>> len(h), list(h.columns)
    (5, ['event_id', 'symbol', 'benchmark', 'start', 'end'])
    """
    cols = np.flatnonzero(_window_cols(result, window))
    p = result.abnormal.panel
    return pd.DataFrame({
        "event_id": p.event_ids, "symbol": p.symbols, "benchmark": p.benchmarks,
        "start": pd.to_datetime(p.evt_dates[:, cols[0]]), "end": pd.to_datetime(p.evt_dates[:, cols[-1]]),
    })


def _long_window(result: EventStudyResult, window: Sequence[int], benchmark: str | None) -> pd.DataFrame:
    """One row per (security, date) inside the windows: date, symbol, benchmark, r, ar, mkt."""
    ab = result.abnormal
    p = ab.panel
    cols = _window_cols(result, window)
    n, l2 = ab.ar.shape
    mkt = np.full((n, l2), np.nan)
    if "mkt" in p.x_names:
        mkt = p.x_evt[:, :, p.x_names.index("mkt")]
    frame = pd.DataFrame({
        "event_id": np.repeat(p.event_ids, cols.sum()),
        "symbol": np.repeat(p.symbols, cols.sum()),
        "benchmark": np.repeat(p.benchmarks, cols.sum()),
        "date": pd.to_datetime(p.evt_dates[:, cols].reshape(-1)),
        "r": p.r_evt[:, cols].reshape(-1),
        "ar": ab.ar[:, cols].reshape(-1),
        "mkt": mkt[:, cols].reshape(-1),
    })
    if benchmark is not None:
        frame = frame[frame["benchmark"] == benchmark]
        if frame.empty:
            raise InvalidRequestError(
                f"no included event has benchmark {benchmark!r}; choose one of {sorted(set(p.benchmarks))}"
            )
    return frame.drop_duplicates(["date", "symbol"]).reset_index(drop=True)


# --------------------------------------------------------------------------- tests
def _newey_west(scores: np.ndarray, positions: np.ndarray, lags: int) -> np.ndarray:
    """Newey-West (1987) long-run covariance of ``scores`` observed at calendar ``positions``.

    The scores x_t e_t are placed on the full calendar (zero on dates without an
    observation), so the lag-j term pairs observations exactly j sessions apart:
    S = sum_t g_t g_t' + sum_{j=1}^{L} (1 - j/(L+1)) sum_t (g_t g_{t-j}' + g_{t-j} g_t').
    With consecutive dates this is statsmodels' HAC (Bartlett kernel, no small-sample correction).
    """
    full = np.zeros((int(positions.max() - positions.min()) + 1, scores.shape[1]))
    full[positions - positions.min()] = scores
    s = full.T @ full
    for lag in range(1, min(lags, full.shape[0] - 1) + 1):
        g = full[lag:].T @ full[:-lag]
        s += (1.0 - lag / (lags + 1.0)) * (g + g.T)
    return s


def _ols(y: pd.Series, x: pd.DataFrame, hac_lags: int | None,
         positions: np.ndarray | None = None) -> tuple[pd.Series, pd.Series, float, str]:
    """OLS with classical or Newey-West standard errors; HAC lags follow ``positions`` (calendar sessions)."""
    design = sm.add_constant(x.to_numpy(), has_constant="add")
    res = sm.OLS(y.to_numpy(), design).fit()
    names = ["alpha", *x.columns]
    if not hac_lags:
        return pd.Series(res.params, index=names), pd.Series(res.bse, index=names), float(res.df_resid), "nonrobust"
    pos = np.arange(len(y)) if positions is None else np.asarray(positions, dtype=np.int64)
    bread = np.linalg.inv(design.T @ design)
    meat = _newey_west(res.resid[:, None] * design, pos, int(hac_lags))
    bse = np.sqrt(np.diag(bread @ meat @ bread))
    return pd.Series(res.params, index=names), pd.Series(bse, index=names), float(res.df_resid), f"HAC({int(hac_lags)})"


def _calendar_positions(dates: pd.DatetimeIndex, calendar: pd.DatetimeIndex) -> np.ndarray:
    """Session number of each date in ``calendar`` (dates missing from it are added to it)."""
    cal = pd.DatetimeIndex(calendar).union(dates).unique().sort_values()
    return np.asarray(cal.get_indexer(dates), dtype=np.int64)


def calendar_time_alpha(
    portfolio: pd.DataFrame | pd.Series,
    *,
    market: pd.Series | None = None,
    factors: pd.DataFrame | None = None,
    model: str = "market",
    hac_lags: int | None = None,
    calendar: pd.DatetimeIndex | None = None,
) -> CalendarTimeResult:
    """Jaffe-Mandelker alpha of a calendar-time portfolio.

    Parameters
    ----------
    portfolio
        From :func:`calendar_time_portfolio` (``ret`` and ``n``) or a Series of returns by date.
    market
        Market returns by date (``model="market"``).  If None, the factors'
        ``mkt_rf + rf`` is used.
    factors
        Fama-French daily factors in decimals (``mkt_rf, smb, hml, rf``), as
        :func:`research_lib.data.load_factors` returns them.  Supplies the
        risk-free rate; required for ``model="ff3"``.  Without factors the
        market model is run on raw (not excess) returns.
    model
        ``"market"``: R_p - rf = alpha + beta (R_m - rf) + e;
        ``"ff3"``: R_p - rf = alpha + b MKT + s SMB + h HML + e.
    hac_lags
        If given, Newey-West (1987) HAC standard errors with that many lags
        (Bartlett kernel, as statsmodels computes them, without a
        small-sample correction); default: OLS standard errors.  A lag is
        counted in sessions of ``calendar``, not in rows: the portfolio holds
        securities on some dates only, and two rows a month apart are not one
        lag apart.  The scores are placed on the full calendar (zero on dates
        the portfolio holds nothing), so lag j pairs dates exactly j sessions
        apart; with consecutive dates this equals statsmodels' HAC.
    calendar
        Sessions that define the lags; default: the dates of the regressors
        (the factors' index, else the market's), i.e. every session with a return.

    Returns
    -------
    CalendarTimeResult
        ``alpha`` is the mean daily abnormal return of a security inside its
        event window; its t statistic has T - k - 1 degrees of freedom.

    Notes
    -----
    Only dates on which the portfolio holds a security (and the regressors
    exist) enter, as in Jaffe (1974) and Mandelker (1974).  Each date has
    weight one whatever the number of securities held, so events sharing a
    date count once: the test is robust to cross-sectional correlation, at
    the price of lower power when events do not cluster (Fama 1998).
    The portfolio's beta is estimated from the event-window dates only;
    with few dates it is imprecise, and the market-model alpha then differs
    from the event study's CAAR / L.

    References
    ----------
    Jaffe (1974), Mandelker (1974), Fama (1998); see the module docstring.
    """
    if model not in CT_MODELS:
        raise InvalidRequestError(f"calendar-time model {model!r} is not available; use one of {list(CT_MODELS)}")
    port = portfolio.to_frame("ret") if isinstance(portfolio, pd.Series) else portfolio.copy()
    if "n" not in port.columns:
        port["n"] = np.nan
    port.index = pd.to_datetime(port.index)
    if factors is not None:
        fac = factors.copy()
        fac.index = pd.to_datetime(fac.index)
        need = ("rf", *(_FF3 if model == "ff3" else ("mkt_rf",) if market is None else ()))
        absent = [c for c in need if c not in fac.columns]
        if absent:
            raise InvalidRequestError(f"factors lack {absent}; load them with research_lib.data.load_factors('ff3')")
        port = port.join(fac[[c for c in ("mkt_rf", "smb", "hml", "rf") if c in fac.columns]], how="inner")
        rf = port["rf"]
    elif model == "ff3":
        raise InvalidRequestError("model='ff3' needs factors; pass factors=research_lib.data.load_factors('ff3')")
    else:
        rf = pd.Series(0.0, index=port.index)
    if model == "market":
        if market is not None:
            m = pd.Series(market, dtype=float)
            m.index = pd.to_datetime(m.index)
            port = port.assign(mkt=m.reindex(port.index))
            x = (port["mkt"] - rf).to_frame("mkt_excess")
        elif factors is not None:
            x = port[["mkt_rf"]].rename(columns={"mkt_rf": "mkt_excess"})
        else:
            raise InvalidRequestError("model='market' needs market returns or factors; pass market= or factors=")
    else:
        x = port[list(_FF3)]
    y = (port["ret"] - rf).rename("excess")
    ok = y.notna() & x.notna().all(axis=1)
    if int(ok.sum()) <= x.shape[1] + 2:
        raise InvalidRequestError(
            f"only {int(ok.sum())} dates with a portfolio return and regressors; "
            "widen the window [a, b] or add events (the regression needs more dates than coefficients + 2)"
        )
    if calendar is None:
        calendar = pd.DatetimeIndex(factors.index if factors is not None else pd.Series(market).index)
    positions = _calendar_positions(pd.DatetimeIndex(y.index[ok]), pd.to_datetime(calendar)) if hac_lags else None
    params, bse, df, cov = _ols(y[ok], x[ok], hac_lags, positions)
    t = float(params["alpha"] / bse["alpha"])
    p = float(2 * stats.t.sf(abs(t), df))
    table = port.loc[ok].assign(excess=y[ok])
    return CalendarTimeResult("jaffe_mandelker", model, float(params["alpha"]), float(bse["alpha"]), t, p, df,
                              int(ok.sum()), float(port.loc[ok, "n"].mean()), params, bse, cov, table)


def calendar_time_abnormal(result: EventStudyResult, window: Sequence[int] = (0, 1)) -> CalendarTimeResult:
    """Mean calendar-time abnormal return (CTAR) from the event study's own abnormal returns.

    Notes
    -----
    CTAR_t = (1/n_t) sum_{i in P_t} AR_it over the securities inside their
    window [a, b] on date t (abnormal returns from each event's fitted
    model, each against its own benchmark); the statistic is
    t = mean_t CTAR_t / (sd_t(CTAR_t) / sqrt(T)) with T - 1 degrees of
    freedom.  Dates are the listings' local session dates; a Hong Kong and a
    New York session of the same date are the same observation.

    Examples
    --------
    >>> from research_lib.analysis import calendar_time_abnormal
    >>> from research_lib.examples import example_result
    >>> ct = calendar_time_abnormal(example_result(), window=(0, 0))
    >>> type(ct).__name__
    'CalendarTimeResult'
    """
    frame = _long_window(result, window, None).dropna(subset=["ar"])
    daily = pd.DataFrame(frame.groupby("date")["ar"].agg(ctar="mean", n="count"))
    x = daily["ctar"].to_numpy()
    if x.size < 2:
        raise InvalidRequestError("fewer than two dates with abnormal returns; widen the window or add events")
    se = float(np.std(x, ddof=1) / np.sqrt(x.size))
    mean = float(x.mean())
    t = mean / se if se > 0 else float("nan")
    df = x.size - 1
    p = float(2 * stats.t.sf(abs(t), df)) if np.isfinite(t) else float("nan")
    return CalendarTimeResult("mean_ctar", result.parameters.model, mean, se, t, p, float(df), int(x.size),
                              float(daily["n"].mean()), pd.Series({"alpha": mean}), pd.Series({"alpha": se}),
                              "nonrobust", daily)


def calendar_time_from_result(
    result: EventStudyResult,
    window: Sequence[int] = (0, 1),
    *,
    benchmark: str = "^GSPC",
    factors: pd.DataFrame | None = None,
    model: str = "market",
    hac_lags: int | None = None,
) -> CalendarTimeResult:
    """Jaffe-Mandelker alpha of the events of one market, with the data already in the study.

    Parameters
    ----------
    result
        An event study run with a benchmark model (``market``, ``market_adjusted``,
        ``scholes_williams``, ``dimson``), so that the panel holds each event's
        benchmark returns; with ``model="ff3"`` any study works.
    window
        The event window [a, b] during which a security is held.
    benchmark
        Only events measured against this benchmark enter (one market, one
        calendar: portfolios mixing exchanges would mix different sessions).
    factors, model, hac_lags
        As in :func:`calendar_time_alpha`.

    Notes
    -----
    Raw returns come from the panel (``r_evt``, simple returns); the market
    return of each date is the benchmark's return on that session.  HAC lags
    count sessions of the benchmark's exchange calendar.

    Examples
    --------
    >>> from research_lib.analysis import calendar_time_from_result
    >>> from research_lib.examples import example_result
    >>> ct = calendar_time_from_result(example_result(), window=(0, 0), benchmark="^GSPC")
    >>> type(ct).__name__
    'CalendarTimeResult'
    """
    if result.abnormal.panel.returns_kind != "simple":
        raise InvalidRequestError("calendar-time portfolios average simple returns; run the study with returns='simple'")
    frame = _long_window(result, window, benchmark)
    port = frame.groupby("date").agg(ret=("r", "mean"), n=("r", "count"))
    market = None
    if model == "market":
        if frame["mkt"].isna().all() and factors is None:
            raise InvalidRequestError(
                "the study's panel has no benchmark returns (factor model); pass factors= or use model='ff3'"
            )
        if frame["mkt"].notna().any():
            market = frame.dropna(subset=["mkt"]).groupby("date")["mkt"].first()
    calendar = None
    if hac_lags and len(port):  # lags in sessions of the benchmark's exchange, not in portfolio rows
        from research_lib.listings.calendars import sessions

        calendar = pd.DatetimeIndex(sessions(benchmark, port.index.min(), port.index.max()))
    return calendar_time_alpha(port, market=market, factors=factors, model=model, hac_lags=hac_lags, calendar=calendar)
