"""Plots of event-study results.

Each function draws into a given matplotlib ``ax`` (or a new one), returns
the ``ax``, never calls ``show()`` and never changes global style.  Bands are
two-sided at the stated level with Student-t quantiles, and the legend says
which standard error was used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from research_lib.conventions import pct_label
from research_lib.tables import t_inference

if TYPE_CHECKING:
    from research_lib.results import EventStudyResult


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
    ax.axvline(0, color="tab:red", lw=1, ls="--", label="day 0")


def car_path(result: EventStudyResult, event: int | None, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """tau, CAR (or CAAR) cumulated from the window start, and the band half-width."""
    ab = result.abnormal
    tau = ab.panel.tau_evt
    start = int(tau[0])
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
    half = t_inference(np.asarray(cars), np.asarray(ses), df, level).half_width
    return tau, np.asarray(cars), half, how


def plot_car(result: EventStudyResult, ax: Any = None, event: int | str | None = None, level: float = 0.95) -> Any:
    """CAR path of one event (or CAAR of all) with a two-sided ``level`` band."""
    ax = _axes(ax)
    idx = _pick(result, event)
    tau, car, half, how = car_path(result, idx, level)
    label = "CAR" if idx is not None else f"CAAR (N={result.n_events})"
    ax.plot(tau, car, marker="o", ms=3, color="tab:blue", label=label)
    ax.fill_between(tau, car - half, car + half, color="tab:blue", alpha=0.2, label=f"{pct_label(level)} two-sided band ({how})")
    _percent(ax)
    ab = result.abnormal
    who = f"{ab.panel.symbols[idx]} vs {ab.panel.benchmarks[idx]}" if idx is not None else f"{result.n_events} events"
    ax.set_title(f"Cumulative abnormal return from day {int(tau[0])}: {who} ({result.parameters.model} model)")
    ax.set_xlabel("event day (trading sessions of each listing's exchange)")
    ax.set_ylabel(label + " (%)")
    ax.legend(loc="best", fontsize="small")
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
    half = t_inference(y, se, df, level).half_width
    colors = np.where(y >= 0, "tab:green", "tab:red")
    ax.bar(tau, y, color=colors, alpha=0.8, label=label)
    ax.errorbar(tau, y, yerr=half, fmt="none", ecolor="0.2", lw=0.8, capsize=2, label=f"{pct_label(level)} two-sided interval ({how})")
    _percent(ax)
    ax.set_title(f"Daily abnormal returns ({result.parameters.model} model)")
    ax.set_xlabel("event day (trading sessions of each listing's exchange)")
    ax.set_ylabel(label + " (%)")
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_small_multiples(result: EventStudyResult, ncols: int = 4, level: float = 0.95, sharey: bool = True) -> Any:
    """One small CAR panel (with its band) per event; returns the figure."""
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
        ax.plot(tau, car, color="tab:blue", lw=1.2)
        ax.fill_between(tau, car - half, car + half, color="tab:blue", alpha=0.2)
        ax.axhline(0, color="0.4", lw=0.6)
        ax.axvline(0, color="tab:red", lw=0.8, ls="--")
        ax.set_title(str(ab.panel.event_ids[i]), fontsize=8)
        from matplotlib.ticker import PercentFormatter

        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    fig.supxlabel("event day (sessions)")
    fig.supylabel(f"CAR with {pct_label(level)} two-sided band")
    fig.tight_layout()
    return fig
