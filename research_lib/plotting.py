"""Plots of event-study results.

Each function draws into a given matplotlib ``ax`` (or a new one), returns
the ``ax``, never calls ``show()`` and never changes global style.  Bands are
two-sided at the stated level with Student-t quantiles, and the legend says
which standard error was used.  Colours come from the Okabe-Ito palette
(:data:`OKABE_ITO`), which readers with the common colour-vision
deficiencies can tell apart; event time has integer ticks; legends sit below
the axes, off the data.

References
----------
Okabe, M. and Ito, K. (2008), "Color Universal Design (CUD): how to make
figures and presentations that are friendly to colorblind people",
J*Fly Data Depository for Drosophila Researchers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from research_lib.conventions import pct_label
from research_lib.errors import WindowError

# research_lib.tables (scipy.stats, the engine) and matplotlib load inside the functions that draw, so
# that importing the palette and roles below costs numpy alone

if TYPE_CHECKING:
    from research_lib.results import EventStudyResult

#: The Okabe-Ito colour-blind-safe palette (name -> hex), in its usual order.
OKABE_ITO: dict[str, str] = {
    "orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73", "yellow": "#F0E442",
    "blue": "#0072B2", "vermillion": "#D55E00", "reddish_purple": "#CC79A7", "black": "#000000",
}
#: Colours in the order a figure with several series uses them.
PALETTE: tuple[str, ...] = tuple(OKABE_ITO[k] for k in ("blue", "orange", "bluish_green", "vermillion",
                                                           "reddish_purple", "sky_blue", "yellow", "black"))
#: Roles: the main series, the day-0 line, gains and losses in bar charts, a second marker.
MAIN, DAY0, GAIN, LOSS, MARK = OKABE_ITO["blue"], OKABE_ITO["vermillion"], OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["reddish_purple"]


def event_time_axis(ax: Any) -> Any:
    """Integer ticks on an event-time x axis; return ``ax``."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return ax


def legend_below(ax: Any, ncol: int = 2) -> Any:
    """Put the legend of ``ax`` under the axes, off the data; return the legend."""
    return ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=ncol, fontsize="small", frameon=False)


def _axes(ax: Any) -> Any:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(8, 4.5))
    return ax


def _pick(result: EventStudyResult, event: int | str | None) -> int | None:
    """Row index of one event, or None for the cross-section."""
    ids = list(result.abnormal.panel.event_ids)
    if event is None:
        return 0 if len(ids) == 1 else None
    if isinstance(event, str):
        if event not in ids:
            raise KeyError(f"event {event!r} is not among the included events {ids}")
        return ids.index(event)
    return int(event)


def _percent(ax: Any) -> None:
    from matplotlib.ticker import PercentFormatter

    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
    ax.axhline(0, color="0.4", lw=0.8)
    ax.axvline(0, color=DAY0, lw=1, ls="--", label="day 0")
    event_time_axis(ax)


def car_path(result: EventStudyResult, event: int | None, level: float,
             start: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """tau, CAR (or CAAR) cumulated from ``start`` (default: the window start), and the band half-width."""
    ab = result.abnormal
    tau = ab.panel.tau_evt
    start = int(tau[0]) if start is None else int(start)
    if not int(tau[0]) <= start <= int(tau[-1]):
        raise WindowError(f"start {start} is outside the event window [{int(tau[0])}, {int(tau[-1])}]; pick a start inside it")
    tau = tau[tau >= start]
    cars, ses = [], []
    for t in tau:
        c, v = ab.car(start, int(t))
        if event is None:
            n = c.shape[0]
            cars.append(c.mean())
            ses.append(c.std(ddof=1) / np.sqrt(n))
        else:
            cars.append(c[event])
            ses.append(np.sqrt(v[event]))
    if event is None:
        df = ab.ar.shape[0] - 1
        how = f"cross-sectional SE, t({df})"
    else:
        df = float(ab.df[event])
        how = f"prediction-error SE, t({df:g})"
    from research_lib.tables import t_inference

    half = t_inference(np.asarray(cars), np.asarray(ses), df, level).half_width
    return tau, np.asarray(cars), half, how


def plot_car(result: EventStudyResult, ax: Any = None, event: int | str | None = None, level: float = 0.95,
             start: int | None = None) -> Any:
    """CAR path of one event (or CAAR of all) from ``start`` (default: the event window's start) with a two-sided ``level`` band."""
    ax = _axes(ax)
    idx = _pick(result, event)
    tau, car, half, how = car_path(result, idx, level, start)
    label = "CAR" if idx is not None else f"CAAR (N={result.n_events})"
    ax.plot(tau, car, marker="o", ms=3, color=MAIN, label=label)
    ax.fill_between(tau, car - half, car + half, color=MAIN, alpha=0.2, label=f"{pct_label(level)} two-sided band ({how})")
    _percent(ax)
    ab = result.abnormal
    who = f"{ab.panel.symbols[idx]} vs {ab.panel.benchmarks[idx]}" if idx is not None else f"{result.n_events} events"
    ax.set_title(f"Cumulative abnormal return from day {int(tau[0])}: {who} ({result.parameters.model} model)")
    ax.set_xlabel("event day (trading sessions of each listing's exchange)")
    ax.set_ylabel(label + " (%)")
    legend_below(ax)
    return ax


def plot_ar(result: EventStudyResult, ax: Any = None, event: int | str | None = None, level: float = 0.95) -> Any:
    """AR bars of one event (or AAR of all) with two-sided ``level`` error bars."""
    ax = _axes(ax)
    idx = _pick(result, event)
    ab = result.abnormal
    tau = ab.panel.tau_evt
    if idx is None:
        n = ab.ar.shape[0]
        y = ab.ar.mean(axis=0)
        se = ab.ar.std(axis=0, ddof=1) / np.sqrt(n)
        df, how, label = n - 1, f"cross-sectional SE, t({n - 1})", f"AAR (N={n})"
    else:
        y = ab.ar[idx]
        se = np.sqrt(ab.ar_var[idx])
        df = float(ab.df[idx])
        how, label = f"prediction-error SE, t({df:g})", "AR"
    from research_lib.tables import t_inference

    half = t_inference(y, se, df, level).half_width
    colors = np.where(y >= 0, GAIN, LOSS)
    ax.bar(tau, y, color=colors, alpha=0.8, label=label)
    ax.errorbar(tau, y, yerr=half, fmt="none", ecolor="0.2", lw=0.8, capsize=2, label=f"{pct_label(level)} two-sided interval ({how})")
    _percent(ax)
    ax.set_title(f"Daily abnormal returns ({result.parameters.model} model)")
    ax.set_xlabel("event day (trading sessions of each listing's exchange)")
    ax.set_ylabel(label + " (%)")
    legend_below(ax)
    return ax


def plot_small_multiples(result: EventStudyResult, ncols: int = 4, level: float = 0.95, sharey: bool = True,
                         titles: dict[str, str] | None = None) -> Any:
    """One small CAR panel (with its band) per event; returns the figure.

    ``titles`` maps event ids to readable panel titles (default: the ids).
    """
    import matplotlib.pyplot as plt

    n = result.n_events
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 2.4 * nrows), sharex=True, sharey=sharey, squeeze=False)
    ab = result.abnormal
    for i, ax in enumerate(axes.flat):
        if i >= n:
            ax.set_visible(False)
            continue
        tau, car, half, _ = car_path(result, i, level)
        ax.plot(tau, car, color=MAIN, lw=1.2)
        ax.fill_between(tau, car - half, car + half, color=MAIN, alpha=0.2)
        ax.axhline(0, color="0.4", lw=0.6)
        ax.axvline(0, color=DAY0, lw=0.8, ls="--")
        eid = str(ab.panel.event_ids[i])
        ax.set_title((titles or {}).get(eid, eid), fontsize=8)
        event_time_axis(ax)
        from matplotlib.ticker import PercentFormatter

        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    fig.supxlabel("event day (sessions)")
    fig.supylabel(f"CAR with {pct_label(level)} two-sided band (prediction-error SE)")
    fig.tight_layout()
    return fig
