"""Result objects of an event study: tables, summary, JSON, plots.

:class:`EventStudyResult` is a frozen dataclass holding the parameters that
produced it, the per-event table, the per-day table, the test battery for
every CAR window and the attrition table.  ``summary()`` prints like a
statsmodels/linearmodels summary (text, and HTML in Jupyter); ``to_frame()``
returns the per-event table; ``plot()`` draws AR bars or the CAR/CAAR path
with a two-sided confidence band into a given ``ax``.
"""

from __future__ import annotations

import html
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from research_lib.conventions import pct_label
from research_lib.engine.panel import AbnormalReturns
from research_lib.inference.battery import TestResult

Window = tuple[int, int]


@dataclass(frozen=True)
class StudyParameters:
    """Everything needed to repeat a study (besides the events and the data)."""

    estimation_window: Window = (-250, -11)
    event_window: Window = (-10, 10)
    car_windows: tuple[Window, ...] = ((0, 0), (0, 1), (-1, 1), (-10, 10))
    model: str = "market"
    min_estimation: int = 120
    conventions: str = "textbook"
    returns: str = "simple"
    after_gap: str = "missing"
    confidence: float = 0.95
    exclude_dates: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["car_windows"] = [list(w) for w in self.car_windows]
        d["estimation_window"] = list(self.estimation_window)
        d["event_window"] = list(self.event_window)
        d["exclude_dates"] = list(self.exclude_dates)
        return d


def _wkey(w: Window) -> str:
    return f"{w[0]},{w[1]}"


def _fmt(x: float, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "nan"
    return f"{x:.{digits}f}"


@dataclass(frozen=True)
class EventStudyResult:
    """The outcome of :func:`research_lib.study.event_study`.

    Attributes
    ----------
    parameters : the design (windows, model, conventions ...).
    abnormal : the arrays (ARs, their variances, residuals) for the included events.
    events : one row per included event: identifiers, day 0, M, coefficients, sigma,
        CAR/se/t/p for every CAR window, BHAR over the event window.
    daily : one row per event day tau: date (single event) or n, AR/AAR, CAAR,
        and the day's test statistics.
    tests : window key ``"a,b"`` -> {test name: TestResult} for CAAR over that window.
    attrition : one row per input event: status kept/shifted/excluded and reason.
    sources : one row per symbol used: where its prices came from (may be empty).
    """

    parameters: StudyParameters
    abnormal: AbnormalReturns
    events: pd.DataFrame
    daily: pd.DataFrame
    tests: dict[str, dict[str, TestResult]]
    attrition: pd.DataFrame
    sources: pd.DataFrame = field(default_factory=pd.DataFrame)

    # ------------------------------------------------------------------ tables
    @property
    def n_events(self) -> int:
        return int(self.abnormal.ar.shape[0])

    @property
    def excluded(self) -> pd.DataFrame:
        """The events left out, with the reason."""
        return self.attrition[self.attrition["status"] == "excluded"].reset_index(drop=True)

    def to_frame(self) -> pd.DataFrame:
        """The per-event table (a copy)."""
        return self.events.copy()

    def tests_frame(self) -> pd.DataFrame:
        """Long table: window, test, statistic, p-value, distribution, null hypothesis."""
        rows = []
        for key, battery in self.tests.items():
            for name, t in battery.items():
                rows.append({"window": f"[{key}]", "test": name, "stat": t.stat, "p": t.pvalue,
                             "distribution": t.distribution, "null": t.null})
        return pd.DataFrame(rows)

    def car_table(self) -> pd.DataFrame:
        """CAR (one event) or CAAR (several) per window with its standard error and confidence interval."""
        level = self.parameters.confidence
        rows = []
        for w in self.parameters.car_windows:
            key = _wkey(w)
            car, var = self.abnormal.car(*w)
            if self.n_events == 1:
                df = float(self.abnormal.df[0])
                est, se = float(car[0]), float(np.sqrt(var[0]))
                how = f"prediction error, t({df:g})"
            else:
                df = self.n_events - 1
                est, se = float(np.mean(car)), float(np.std(car, ddof=1) / np.sqrt(self.n_events))
                how = f"cross-sectional, t({df})"
            q = stats.t.ppf(0.5 + level / 2, df)
            t = est / se if se > 0 else float("nan")
            rows.append({"window": f"[{key}]", "car": est, "se": se, "t": t, "p": 2 * stats.t.sf(abs(t), df),
                         f"ci_low_{pct_label(level)}": est - q * se, f"ci_high_{pct_label(level)}": est + q * se, "se_from": how})
        return pd.DataFrame(rows)

    def ols(self, event: int | str = 0) -> Any:
        """statsmodels OLS results of one event's estimation regression (e.g. for HAC errors).

        ``res.ols("baba").get_robustcov_results("HAC", maxlags=5).summary()``.
        Available for the OLS models (market, constant mean, factor models, Dimson).
        """
        from research_lib.models.fit import fit_event_ols

        ids = list(self.abnormal.panel.event_ids)
        i = ids.index(event) if isinstance(event, str) else int(event)
        return fit_event_ols(self.abnormal.panel, i, self.parameters.model)

    # ------------------------------------------------------------------ output
    def summary(self) -> Summary:
        """A printable summary (text via ``str``, HTML in Jupyter)."""
        return Summary(self)

    def __str__(self) -> str:
        return str(self.summary())

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    def to_json_dict(self) -> dict[str, Any]:
        """The JSON layout of ``research-lib study --json``."""
        ab = self.abnormal
        tau = [int(t) for t in ab.panel.tau_evt]
        events = []
        for i, row in self.events.reset_index(drop=True).iterrows():
            car = {}
            for w in self.parameters.car_windows:
                k = _wkey(w)
                car[k] = {m: _num(row[f"{m}[{k}]"]) for m in ("car", "se", "t", "p")}
            events.append({
                "event_id": str(row["event_id"]), "symbol": str(row["symbol"]), "benchmark": str(row["benchmark"]),
                "event_date": pd.Timestamp(row["day0"]).strftime("%Y-%m-%d"), "n_estimation": int(row["n_est"]),
                "alpha": _num(row.get("alpha")), "beta": _num(self._market_beta(i)), "sigma": _num(row["sigma"]),
                "params": {name: _num(row[name]) for name in ab.param_names},
                "ar": {str(t): _num(ab.ar[i, j]) for j, t in enumerate(tau)}, "car": car,
            })
        aar = np.nanmean(ab.ar, axis=0)
        caar = {}
        for w in self.parameters.car_windows:
            k = _wkey(w)
            c, _ = ab.car(*w)
            caar[k] = {"caar": _num(np.mean(c)),
                       "tests": {n: {"stat": _num(t.stat), "p": _num(t.pvalue)} for n, t in self.tests[k].items()}}
        return {
            "parameters": self.parameters.as_dict(),
            "events": events,
            "excluded": [{"event_id": str(r.event_id), "reason": str(r.reason)} for r in self.excluded.itertuples()],
            "aggregate": {"n_events": self.n_events, "aar": {str(t): _num(a) for t, a in zip(tau, aar, strict=True)},
                          "caar": caar},
        }

    def _market_beta(self, i: int) -> float | None:
        """The market sensitivity of event i: beta (market model), the market factor's slope
        (factor models), the sum of slopes (Dimson), 1 (market-adjusted); None without a market term."""
        ab = self.abnormal
        names = list(ab.param_names)
        if ab.model == "market_adjusted":
            return 1.0
        if ab.model == "dimson":
            return float(ab.params[i, 1:].sum())
        for key in ("beta", "mkt_rf", "mkt"):
            if key in names:
                return float(ab.params[i, names.index(key)])
        return None

    # ------------------------------------------------------- groups, regressions, paper tables
    def by(self, column: str, windows: Any = None, tests: Any = None) -> Any:
        """Per-group CAAR with the battery and Welch / rank-sum differences (:func:`research_lib.analysis.groups.compare_groups`)."""
        from research_lib.analysis.groups import DEFAULT_GROUP_TESTS, compare_groups

        return compare_groups(self, column, windows, DEFAULT_GROUP_TESTS if tests is None else tests)

    def cross_section(self, formula: str, cov_type: str = "HC1", cluster: str | None = None, weights: str | None = None) -> Any:
        """statsmodels OLS/WLS of a CAR on event columns (:func:`research_lib.analysis.cross_section.cross_section`)."""
        from research_lib.analysis.cross_section import cross_section

        return cross_section(self, formula, cov_type=cov_type, cluster=cluster, weights=weights)

    def caar_table(self, tests: Any = None) -> pd.DataFrame:
        """CAAR (%), N, statistic, p-value and stars per window (:mod:`research_lib.analysis.tables`)."""
        from research_lib.analysis.tables import caar_table

        return caar_table(self, tests)

    def tidy(self) -> pd.DataFrame:
        """Tests in long form ``event_id, window, quantity, value``."""
        from research_lib.analysis.tables import tidy_tests

        return tidy_tests(self)

    def to_latex(self, tests: Any = None, caption: str | None = None) -> str:
        """The CAAR table as a LaTeX tabular with the significance legend."""
        from research_lib.analysis.tables import to_latex

        return to_latex(self, tests, caption)

    def to_excel(self, path: Any, tests: Any = None) -> Any:
        """Workbook with sheets caar, events, daily, tests, attrition (openpyxl); returns the path."""
        from research_lib.analysis.tables import to_excel

        return to_excel(self, path, tests)

    def to_csv(self, folder: Any, tests: Any = None) -> Any:
        """caar.csv, events.csv, daily.csv, tests.csv, attrition.csv in ``folder``; returns the paths."""
        from research_lib.analysis.tables import to_csv

        return to_csv(self, folder, tests)

    def to_results_json(self) -> dict[str, Any]:
        """The ``--json`` layout plus schema_version, event-day dates, attrition and the events' own columns."""
        from research_lib.analysis.tables import results_json

        return results_json(self)

    def plot(self, kind: str = "car", ax: Any = None, event: int | str | None = None, level: float | None = None) -> Any:
        """Draw ``kind="car"`` (CAR/CAAR path with band) or ``kind="ar"`` (AR/AAR bars) into ``ax``; return ``ax``."""
        from research_lib.plotting import plot_ar, plot_car

        level = self.parameters.confidence if level is None else level
        fn = {"car": plot_car, "ar": plot_ar}.get(kind)
        if fn is None:
            raise ValueError(f"unknown plot kind {kind!r}; use 'car' or 'ar'")
        return fn(self, ax=ax, event=event, level=level)


def _num(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


class Summary:
    """Text/HTML summary of an :class:`EventStudyResult`, laid out like statsmodels' summaries."""

    def __init__(self, result: EventStudyResult) -> None:
        self.result = result

    def _header(self) -> list[tuple[str, str]]:
        r, p = self.result, self.result.parameters
        ab = r.abnormal
        excl = int((r.attrition["status"] == "excluded").sum()) if len(r.attrition) else 0
        shifted = int((r.attrition["status"] == "shifted").sum()) if len(r.attrition) else 0
        left = [
            ("Model:", p.model),
            ("Conventions:", p.conventions),
            ("Returns:", p.returns),
            ("Estimation window:", f"[{p.estimation_window[0]}, {p.estimation_window[1]}]"),
            ("Event window:", f"[{p.event_window[0]}, {p.event_window[1]}]"),
        ]
        right = [
            ("Events included:", str(r.n_events)),
            ("Events excluded:", str(excl)),
            ("Day 0 shifted:", str(shifted)),
            ("Median M:", f"{np.median(ab.n_est):.0f}" if r.n_events else "-"),
            ("Band:", f"{pct_label(p.confidence)} two-sided"),
        ]
        return [(f"{a:<20}{b:>14}", f"{c:<18}{d:>10}") for (a, b), (c, d) in zip(left, right, strict=True)]

    def _sections(self) -> list[tuple[str, pd.DataFrame]]:
        r = self.result
        secs: list[tuple[str, pd.DataFrame]] = []
        if r.n_events == 1:
            row = r.events.iloc[0]
            coefs = pd.DataFrame({"coef": [row[c] for c in r.abnormal.param_names]}, index=list(r.abnormal.param_names))
            coefs.loc["sigma"] = row["sigma"]
            secs.append((f"Normal-return model: {row['symbol']} on {row['benchmark']}, day 0 {pd.Timestamp(row['day0']):%Y-%m-%d}", coefs))
        secs.append(("Cumulative abnormal returns" if r.n_events == 1 else "Cumulative average abnormal returns", r.car_table().set_index("window")))
        tf = r.tests_frame()
        if len(tf) and r.n_events > 1:
            wide = tf.pivot(index="test", columns="window", values="stat")
            pv = tf.pivot(index="test", columns="window", values="p")
            order = list(tf["test"].unique())
            cols = list(tf["window"].unique())
            cells = wide.loc[order, cols].map(lambda v: _fmt(v, 3)) + " (" + pv.loc[order, cols].map(lambda v: _fmt(v, 3)) + ")"
            secs.append(("Test statistics (p-value), CAAR by window", cells))
        excl = r.excluded
        if len(excl):
            secs.append(("Excluded events", excl[["event_id", "reason"]].set_index("event_id")))
        return secs

    def __str__(self) -> str:
        title = "Event Study Results"
        blocks = []
        for name, frame in self._sections():
            blocks.append((name, frame.to_string(float_format=lambda v: _fmt(v, 4))))
        width = max([len(a) + len(b) + 4 for a, b in self._header()] + [len(line) for _, b in blocks for line in b.splitlines()] + [60])
        out = [title.center(width), "=" * width]
        out += [f"{a}    {b}" for a, b in self._header()]
        for name, body in blocks:
            out += ["=" * width, name, "-" * width, body]
        out.append("=" * width)
        return "\n".join(out)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        head = "".join(f"<tr><td>{html.escape(a)}</td><td>{html.escape(b)}</td></tr>" for a, b in self._header())
        parts = [f"<h4>Event Study Results</h4><table>{head}</table>"]
        for name, frame in self._sections():
            parts.append(f"<h5>{html.escape(name)}</h5>" + frame.to_html(float_format=lambda v: _fmt(v, 4), na_rep="nan"))
        return "\n".join(parts)

    def as_text(self) -> str:
        return str(self)
