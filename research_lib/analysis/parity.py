"""Parity of a depositary receipt with its underlying ordinary shares.

A US depositary share (ADS) that stands for ``ratio`` ordinary shares listed
abroad should be worth ``ratio`` times the ordinary share's price converted
into dollars.  The relative gap is the ADR premium (negative: a discount).
It is not an arbitrage-free zero: the two closes are taken hours apart on
different exchanges, conversion of ADSs into shares costs fees and time, and
the exchange rate used may not be the one at either close.  Its *changes*
around an event show which market moved when.

The exchange rate is an explicit, documented assumption
(:class:`FxAssumption`).  For the Hong Kong dollar, pegged to the US dollar
inside the Linked Exchange Rate band 7.75-7.85 HKD per USD, the band bounds
the error that any assumed rate can make (:meth:`FxAssumption.premium_bounds`).

References
----------
Gagnon, L. and Karolyi, G. A. (2010), "Multi-market trading and arbitrage",
*Journal of Financial Economics* 97(1), 53-80 (ADR parity deviations).
Hong Kong Monetary Authority, Linked Exchange Rate System: convertibility
undertakings at 7.75 and 7.85 HKD per USD since 18 May 2005.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from research_lib.errors import DataError, InvalidRequestError

#: Linked Exchange Rate System band, HKD per USD (strong side, weak side).
HKD_PEG_BAND: tuple[float, float] = (7.75, 7.85)
#: Known pegs: currency pair "BASE/QUOTE" (quote units per 1 base unit) -> official band.
PEG_BANDS: dict[str, tuple[float, float]] = {"USD/HKD": HKD_PEG_BAND}

__all__ = [
    "HKD_PEG_BAND",
    "PEG_BANDS",
    "FxAssumption",
    "adr_parity",
    "fx_assumption",
    "fx_daily_moves",
    "rescale_to_reference",
]


@dataclass(frozen=True)
class FxAssumption:
    """A fixed exchange rate (foreign currency per USD) used where no rate series exists.

    Attributes
    ----------
    rate
        the assumed rate, foreign currency units per 1 USD (e.g. HKD per USD).
    basis
        how the rate was chosen, in words (shown in tables and notebooks).
    band
        (low, high) range the true rate is known to lie in (the peg band).
    pair
        the currency pair ``"USD/XXX"``: the rate is XXX units per 1 USD.
    """

    rate: float
    basis: str
    band: tuple[float, float] = HKD_PEG_BAND
    pair: str = "USD/HKD"

    def __post_init__(self) -> None:
        lo, hi = self.band
        if not (math.isfinite(self.rate) and self.rate > 0):
            raise InvalidRequestError(f"exchange rate {self.rate!r} must be a positive number (foreign units per USD)")
        if not (0 < lo <= hi):
            raise InvalidRequestError(f"band {self.band!r} must be (low, high) with 0 < low <= high, e.g. (7.75, 7.85)")
        if not (lo <= self.rate <= hi):
            raise InvalidRequestError(
                f"assumed rate {self.rate} lies outside its band [{lo}, {hi}]; choose a rate inside the band "
                "or widen the band"
            )

    def premium_bounds(self) -> tuple[float, float]:
        """Relative error factors of (1 + premium) implied by the band: (low / rate - 1, high / rate - 1).

        Notes
        -----
        With ADR price A (USD), ordinary price P (foreign currency), ratio n and
        rate X (foreign per USD), 1 + premium = A X / (n P).  It is linear in X,
        so if the true rate lies in [lo, hi] while ``rate`` was used,
        (1 + premium_true) / (1 + premium_used) lies in [lo / rate, hi / rate].
        """
        lo, hi = self.band
        return lo / self.rate - 1.0, hi / self.rate - 1.0

    def max_log_change(self) -> float:
        """Largest possible change of log X between any two dates inside the band: ln(high / low)."""
        lo, hi = self.band
        return math.log(hi / lo)


def fx_assumption(
    fx: pd.Series | None = None,
    method: str = "last",
    band: tuple[float, float] | None = None,
    *,
    pair: str = "USD/HKD",
) -> FxAssumption:
    """Choose a fixed exchange rate and say how.

    Parameters
    ----------
    fx
        A rate series (foreign units per USD) indexed by date; needed for
        ``method="last"``.
    method
        ``"last"``: the last available close of ``fx``; ``"band_mid"``: the
        midpoint of ``band`` (7.80 for the HKD peg).
    band
        The range the true rate is known to lie in; by default the official band of ``pair``
        from :data:`PEG_BANDS` (a pair without a known peg needs ``band``).
    pair
        The currency pair ``"USD/XXX"`` (XXX units per USD), e.g. ``"USD/HKD"``.

    Raises
    ------
    InvalidRequestError
        For an unknown method, or ``"last"`` without a series.
    DataError
        If the series has no finite value.

    Examples
    --------
    >>> from research_lib.analysis import fx_assumption
    >>> fx = fx_assumption(None, method="band_mid", band=(7.75, 7.85))  # the HKD peg band, no FX data
    >>> type(fx).__name__
    'FxAssumption'
    """
    if band is None:
        if pair not in PEG_BANDS:
            raise InvalidRequestError(f"no known band for the currency pair {pair!r}; pass band=(low, high) "
                                      f"(known pegs: {sorted(PEG_BANDS)})")
        band = PEG_BANDS[pair]
    if method == "band_mid":
        mid = (band[0] + band[1]) / 2.0
        return FxAssumption(mid, f"midpoint {mid:.4f} of the {pair} band [{band[0]}, {band[1]}]", band, pair)
    if method != "last":
        raise InvalidRequestError(f"unknown method {method!r}; use 'last' or 'band_mid'")
    if fx is None:
        raise InvalidRequestError("method='last' needs the rate series fx; pass it or use method='band_mid'")
    clean = pd.Series(fx, dtype=float).dropna()
    if clean.empty:
        raise DataError("the exchange-rate series has no value; load it again or use method='band_mid'")
    date = pd.Timestamp(clean.index[-1])
    return FxAssumption(float(clean.iloc[-1]), f"last available {pair} close {clean.iloc[-1]:.5f} on {date:%Y-%m-%d}",
                        band, pair)


def fx_daily_moves(fx: pd.Series, start: str | pd.Timestamp | None = None) -> pd.Series:
    """Summary of absolute daily log changes of an exchange rate (to bound its day-to-day effect).

    Returns
    -------
    pd.Series
        ``n``, ``median``, ``p99`` and ``max`` of |ln X_t - ln X_{t-1}| over
        consecutive observations from ``start`` on.
    """
    x = pd.Series(fx, dtype=float).dropna().sort_index()
    if start is not None:
        x = x[x.index >= pd.Timestamp(start)]
    if len(x) < 2:
        raise DataError("fewer than two exchange-rate observations; give a longer series or an earlier start")
    d = np.abs(np.diff(np.log(x.to_numpy())))
    return pd.Series({"n": float(d.size), "median": float(np.median(d)), "p99": float(np.quantile(d, 0.99)),
                      "max": float(d.max())}, name="abs_daily_log_change")


def rescale_to_reference(adj_close: pd.Series, date: str | pd.Timestamp, unadjusted_close: float) -> pd.Series:
    """Put adjusted closes back on the exchange's price level using one known unadjusted close.

    Dividend-adjusted series are the exchange prices times a factor that is
    constant between two ex-dividend dates.  Multiplying by
    ``unadjusted_close / adj_close[date]`` recovers the exchange prices
    exactly on the dates between the ex-dividend dates that surround ``date``
    (and only there: the caller must keep to that span).

    Raises
    ------
    DataError
        If ``date`` has no adjusted close or the given close is not positive.

    Examples
    --------
    >>> import pandas as pd
    >>> from research_lib.analysis import rescale_to_reference
    >>> adj = pd.Series([9.0, 9.5, 10.0], index=pd.to_datetime(["2025-01-02", "2025-01-03", "2025-01-06"]))
    >>> rescale_to_reference(adj, "2025-01-06", 20.0).tolist()
    [18.0, 19.0, 20.0]
    """
    ts = pd.Timestamp(date)
    if ts not in adj_close.index or not np.isfinite(adj_close.loc[ts]):
        raise DataError(f"no adjusted close on {ts:%Y-%m-%d}; choose a reference date that is in the series")
    if not unadjusted_close > 0:
        raise DataError(f"unadjusted close {unadjusted_close!r} must be positive")
    return adj_close * (float(unadjusted_close) / float(adj_close.loc[ts]))


def adr_parity(
    adr: pd.Series,
    ordinary: pd.Series,
    ratio: float,
    fx: FxAssumption | pd.Series | float,
    *,
    ordinary_lead: int = 0,
) -> pd.DataFrame:
    """ADR premium over the converted price of the ordinary shares it stands for, date by date.

    Parameters
    ----------
    adr
        ADR closes in USD, indexed by (US exchange-local) date.
    ordinary
        Ordinary-share closes in the foreign currency, indexed by (home
        exchange-local) date.
    ratio
        Ordinary shares per ADR (the depositary ratio of the programme, e.g.
        :data:`research_lib.cases.alibaba.BABA_ADS_RATIO`).
    fx
        Foreign currency per USD: an :class:`FxAssumption` (fixed rate with a
        band), a series by date (aligned to the ADR's dates; missing -> NaN)
        or a number.
    ordinary_lead
        Pair the ADR close of date t with the ordinary close ``ordinary_lead``
        sessions of the *home* exchange later (0: the same calendar date).
        Hong Kong closes 13 hours before New York on the same date, and 11
        hours after New York's previous close, so ``ordinary_lead=1`` pairs
        each New York close with the next Hong Kong close.

    Returns
    -------
    pd.DataFrame
        Indexed by the ADR's dates where both prices exist: ``adr``,
        ``ordinary``, ``ordinary_date``, ``fx``, ``implied`` (= ratio x
        ordinary / fx, USD), ``premium`` (= adr / implied - 1),
        ``log_premium`` (= ln(adr / implied)) and, for an :class:`FxAssumption`,
        ``premium_low`` / ``premium_high`` (the premium at the band's ends).

    Raises
    ------
    InvalidRequestError
        For a non-positive ratio or a negative ``ordinary_lead``.

    Notes
    -----
    premium_t = A_t X_t / (n P_s) - 1, with s the paired home session.  Its
    daily change in logs is ln(A_t / A_t-1) - ln(P_s / P_s-1) + ln(X_t / X_t-1):
    the ADR's log return minus the ordinary share's, plus the currency's
    move, which is zero under a fixed assumed rate (the true move is then the
    error; inside the HKD band it is at most ln(7.85 / 7.75)).

    Examples
    --------
    One ADR for 8 ordinary shares, at a fixed HKD 7.80 per USD:

    >>> import pandas as pd
    >>> from research_lib.analysis import adr_parity
    >>> dates = pd.to_datetime(["2025-02-21", "2025-02-24"])
    >>> adr = pd.Series([130.0, 140.0], index=dates)
    >>> hk = pd.Series([127.0, 137.0], index=dates)
    >>> out = adr_parity(adr, hk, ratio=8, fx=7.80)
    >>> out[["implied", "premium"]].round(4).values.tolist()
    [[130.2564, -0.002], [140.5128, -0.0036]]
    >>> round(130.0 / (127.0 * 8 / 7.80) - 1, 4)
    -0.002
    """
    if not (ratio > 0):
        raise InvalidRequestError(f"ratio {ratio!r} must be positive (ordinary shares per ADR, e.g. 8 for Alibaba)")
    if ordinary_lead < 0:
        raise InvalidRequestError(f"ordinary_lead={ordinary_lead} must be >= 0 (sessions of the home exchange)")
    a = pd.Series(adr, dtype=float).dropna().sort_index()
    p = pd.Series(ordinary, dtype=float).dropna().sort_index()
    pdates = pd.Series(p.index, index=p.index)
    # pair each ADR date with the ordinary close on the same date, or `lead` home sessions later
    p_led = pd.Series(p.to_numpy()[ordinary_lead:], index=p.index[: len(p) - ordinary_lead])
    d_led = pd.Series(pdates.to_numpy()[ordinary_lead:], index=p.index[: len(p) - ordinary_lead])
    out = pd.DataFrame({"adr": a, "ordinary": p_led.reindex(a.index), "ordinary_date": d_led.reindex(a.index)})
    out = out.dropna(subset=["adr", "ordinary"])
    if isinstance(fx, FxAssumption):
        out["fx"] = fx.rate
    elif isinstance(fx, pd.Series):
        out["fx"] = pd.Series(fx, dtype=float).reindex(out.index)
    else:
        out["fx"] = float(fx)
    out["implied"] = ratio * out["ordinary"] / out["fx"]
    out["premium"] = out["adr"] / out["implied"] - 1.0
    out["log_premium"] = np.log(out["adr"] / out["implied"])
    if isinstance(fx, FxAssumption):
        lo, hi = fx.premium_bounds()
        out["premium_low"] = (1.0 + out["premium"]) * (1.0 + lo) - 1.0
        out["premium_high"] = (1.0 + out["premium"]) * (1.0 + hi) - 1.0
    out.index.name = "date"
    return out
