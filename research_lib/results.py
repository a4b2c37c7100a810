"""Result objects of an event study: tables, summary, JSON, plots.

:class:`EventStudyResult` is a frozen dataclass holding the parameters that
produced it, the per-event table, the per-day table, the test battery for
every CAR window and the attrition table.  ``summary()`` prints like a
statsmodels/linearmodels summary (text, and HTML in Jupyter); ``to_frame()``
returns the per-event table; ``plot()`` draws AR bars or the CAR/CAAR path
with a two-sided confidence band into a given ``ax``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from research_lib.conventions import pct_label
from research_lib.engine.panel import AbnormalReturns
from research_lib.inference.battery import TestResult
from research_lib.outputs import paused_gc
from research_lib.tables import car_estimate, format_p, t_inference

if TYPE_CHECKING:
    from research_lib.spec import StudySpec

Window = tuple[int, int]


@dataclass(frozen=True)
class StudyParameters:
    """Everything needed to repeat a study (besides the events and the data).

    Examples
    --------
    >>> from research_lib.examples import example_result
    >>> p = example_result().parameters
    >>> p.model, p.estimation_window, p.conventions
    ('market', (-250, -11), 'textbook')
    """

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
    measure: str = "returns"

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["car_windows"] = [list(w) for w in self.car_windows]
        d["estimation_window"] = list(self.estimation_window)
        d["event_window"] = list(self.event_window)
        d["exclude_dates"] = list(self.exclude_dates)
        return d


def _wkey(w: Window) -> str:
    return f"{w[0]},{w[1]}"


@dataclass(frozen=True)
class EventStudyResult:
    """The outcome of :func:`research_lib.study.event_study`.

    Attributes
    ----------
    parameters
        the design (windows, model, conventions ...).
    abnormal
        the arrays (ARs, their variances, residuals) for the included events.
    events
        one row per included event: identifiers, day 0, M, coefficients, sigma,
        CAR/se/t/p for every CAR window, BHAR over the event window.
    daily
        one row per event day tau: date (single event) or n, AR/AAR, CAAR,
        and the day's test statistics.
    tests
        window key ``"a,b"`` -> {test name: TestResult} for CAAR over that window.
    attrition
        one row per input event: event_id, symbol, status kept/shifted/excluded,
        stage and reason (:mod:`research_lib.events.attrition`).
    sources
        one row per symbol used: where its prices came from (may be empty).
    spec
        the :class:`~research_lib.spec.StudySpec` that produced the result.

    Examples
    --------
    >>> from research_lib.examples import example_result
    >>> res = example_result()
    >>> res.n_events, sorted(res.tests)
    (5, ['-1,1', '0,0'])
    >>> t = res.tests_frame()
    >>> round(float(t.query("window == '[0,0]' and test == 'bmp'")["stat"].iloc[0]), 2)
    3.79
    """

    parameters: StudyParameters
    abnormal: AbnormalReturns
    events: pd.DataFrame
    daily: pd.DataFrame
    tests: dict[str, dict[str, TestResult]]
    attrition: pd.DataFrame
    sources: pd.DataFrame = field(default_factory=pd.DataFrame)
    spec: StudySpec | None = None

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
            c = car_estimate(self.abnormal, *w)
            inf = t_inference(c.estimate, c.se, c.df, level)
            rows.append({"window": f"[{_wkey(w)}]", "car": c.estimate, "se": c.se, "t": float(inf.t), "p": float(inf.p),
                         f"ci_low_{pct_label(level)}": float(inf.low), f"ci_high_{pct_label(level)}": float(inf.high),
                         "se_from": c.se_from})
        return pd.DataFrame(rows)

    def ols(self, event: int | str = 0) -> Any:
        """statsmodels OLS results of one event's estimation regression (e.g. for HAC errors).

        ``res.ols("baba").get_robustcov_results("HAC", maxlags=5).summary()``.
        Available for the OLS models (market, constant mean, factor models, Dimson).
        """
        from research_lib.models.fit import fit_event_ols

        self.abnormal.require_estimation("result.ols()")
        ids = list(self.abnormal.panel.event_ids)
        i = ids.index(event) if isinstance(event, str) else int(event)
        return fit_event_ols(self.abnormal.panel, i, self.parameters.model)

    # ------------------------------------------------------------------ output
    def summary(self) -> Any:
        """The summary: statsmodels' ``Summary`` (``str``/``as_text()``, ``_repr_html_``, ``as_latex()``, ``as_csv()``)."""
        return __getattr__("Summary")(self)

    def bhar_frame(self) -> pd.DataFrame | None:
        """BHAR per event (rows, by event_id) and CAR window (columns ``"[a,b]"``); None when not computed."""
        cols = [f"bhar[{_wkey(w)}]" for w in self.parameters.car_windows]
        if not all(c in self.events.columns for c in cols):
            return None
        out = self.events.set_index("event_id")[cols]
        out.columns = [f"[{_wkey(w)}]" for w in self.parameters.car_windows]
        return out

    def bhar_note(self) -> str:
        """Which expected return the BHAR compounds, or why it is absent."""
        from research_lib.study import bhar_note

        spec = self.spec
        if spec is None:
            return ""
        why = bhar_note(spec, self.abnormal.panel.x_names)
        if why:
            return why
        what = ("the model's fitted normal return" if spec.bhar_benchmark == "model"
                else "the benchmark's own return")
        return f"BHAR = prod(1 + R) - prod(1 + E[R]) over each CAR window, E[R] = {what} (Barber and Lyon 1997)."

    def __str__(self) -> str:
        return str(self.summary())

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    def to_json_dict(self) -> dict[str, Any]:
        """The JSON layout of ``research-lib study --json``."""
        ab = self.abnormal
        tau = [int(t) for t in ab.panel.tau_evt]
        with paused_gc():  # many small acyclic records (see research_lib.outputs.paused_gc)
            events = self._json_events(tau)
        aar = np.nanmean(ab.ar, axis=0)
        caar = {}
        for w in self.parameters.car_windows:
            k = _wkey(w)
            c, _ = ab.car(*w)
            caar[k] = {"caar": _num(np.mean(c)),
                       "tests": {n: {"stat": _num(t.stat), "p": _num(t.pvalue)} for n, t in self.tests[k].items()}}
        bh = self.bhar_frame()
        bhar = {"expected_return": self.spec.bhar_benchmark if self.spec is not None else "model",
                "note": self.bhar_note(),
                "events": None if bh is None else _bhar_events(bh),
                "mean": None if bh is None else {k.strip("[]"): _num(bh[k].mean()) for k in bh.columns}}
        return {
            "parameters": self.parameters.as_dict(),
            "events": events,
            "excluded": [{"event_id": str(r.event_id), "reason": str(r.reason)} for r in self.excluded.itertuples()],
            "aggregate": {"n_events": self.n_events, "aar": {str(t): _num(a) for t, a in zip(tau, aar, strict=True)},
                          "caar": caar, "bhar": bhar},
        }

    def _json_events(self, tau: list[int]) -> list[dict[str, Any]]:
        """The per-event records of :meth:`to_json_dict`, built column by column (no per-row pandas access)."""
        from research_lib.models.fit import market_beta

        ab, ev, n = self.abnormal, self.events, len(self.events)
        keys = [_wkey(w) for w in self.parameters.car_windows]
        cars = {k: {m: _nums(ev[f"{m}[{k}]"]) for m in ("car", "se", "t", "p")} for k in keys}
        params = {name: _nums(ev[name]) for name in ab.param_names}
        beta = market_beta(ab)
        cols = {
            "event_id": ev["event_id"].astype(str).tolist(), "symbol": ev["symbol"].astype(str).tolist(),
            "benchmark": ev["benchmark"].astype(str).tolist(),
            "event_date": pd.DatetimeIndex(ev["day0"]).strftime("%Y-%m-%d").tolist(),
            "n_estimation": np.asarray(ev["n_est"], dtype=np.int64).tolist(),
            "alpha": _nums(ev["alpha"]) if "alpha" in ev.columns else [None] * n,
            "beta": [None] * n if beta is None else _nums(beta), "sigma": _nums(ev["sigma"]),
        }
        tau_s = [str(t) for t in tau]
        ar = np.asarray(ab.ar, dtype=float)
        ar_rows = ar.tolist()  # Python floats in one call, then None where not finite (few cells)
        for i, j in np.argwhere(~np.isfinite(ar)).tolist():
            ar_rows[i][j] = None
        return [
            {**{c: v[i] for c, v in cols.items()},
             "params": {name: v[i] for name, v in params.items()},
             "ar": dict(zip(tau_s, ar_rows[i], strict=True)),
             "car": {k: {m: v[i] for m, v in cars[k].items()} for k in keys}}
            for i in range(n)
        ]

    def _market_beta(self, i: int) -> float | None:
        """The market sensitivity of event i: beta (market model), the market factor's slope
        (factor models), the sum of slopes (Dimson), 1 (market-adjusted); None without a market term."""
        from research_lib.models.fit import market_beta  # the model registry knows each model's beta

        beta = market_beta(self.abnormal)
        return None if beta is None else float(beta[i])

    # ------------------------------------------------------- groups, regressions, paper tables
    def by(self, column: str, windows: Any = None, tests: Any = None) -> Any:
        """Per-group CAAR with the battery and Welch / rank-sum differences (:func:`research_lib.analysis.groups.compare_groups`)."""
        from research_lib.analysis.groups import DEFAULT_GROUP_TESTS, compare_groups

        self.abnormal.require_estimation(f"result.by({column!r}) (a battery per group)")
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


def _nums(values: Any) -> list[float | None]:
    """:func:`_num` of a whole column at once: Python floats, None where not finite."""
    arr = np.asarray(values)
    if arr.dtype.kind in "fiub":
        arr = arr.astype(float).ravel()
    else:  # object columns: anything that is not a number becomes None, as _num does
        arr = pd.to_numeric(pd.Series(arr.ravel()), errors="coerce").to_numpy(dtype=float)
    out: list[float | None] = arr.tolist()
    for i in np.flatnonzero(~np.isfinite(arr)).tolist():
        out[i] = None
    return out


def _bhar_events(bh: pd.DataFrame) -> dict[str, dict[str, float | None]]:
    cols = {str(k).strip("[]"): _nums(bh[k]) for k in bh.columns}
    return {str(e): {k: v[i] for k, v in cols.items()} for i, e in enumerate(bh.index)}


def _pct(x: object, digits: int = 2) -> str:
    """A return as a percentage (0.0123 -> '1.23%')."""
    v = _num(x)
    return "nan" if v is None else f"{100 * v:.{digits}f}%"


def _stat(x: object, digits: int = 2) -> str:
    v = _num(x)
    return "nan" if v is None else f"{v:.{digits}f}"


def _simple_table(frame: pd.DataFrame, title: str) -> SimpleTable:
    """A statsmodels SimpleTable of already formatted cells (index as the first column)."""
    from statsmodels.iolib.table import SimpleTable

    data = [[str(v) for v in row] for row in frame.to_numpy().tolist()]
    stubs = [str(i) for i in frame.index]
    return SimpleTable(data, headers=[str(c) for c in frame.columns], stubs=stubs, title=title)


if TYPE_CHECKING:
    from statsmodels.iolib.table import SimpleTable


def _build_summary_class() -> type:
    """Summary on statsmodels' :class:`statsmodels.iolib.summary.Summary` (text, HTML, LaTeX, CSV)."""
    from statsmodels.iolib.summary import Summary as SmSummary

    class Summary(SmSummary):
        """Summary of an :class:`EventStudyResult`: statsmodels' Summary with text, ``_repr_html_``,
        ``as_latex()`` and ``as_csv()``.

        Returns (coefficients aside) are in percent with two decimals, test statistics with two and
        p-values with three decimals (below 0.001 shown as ``<0.001``); the confidence level of the intervals is stated in the header
        and in the column names.
        """

        def __init__(self, result: EventStudyResult) -> None:
            super().__init__()
            self.result = result
            _fill_summary(self, result)

        def __str__(self) -> str:
            return str(self.as_text())

        def as_latex(self) -> str:
            # statsmodels merges tables of different widths into one tabular, which fails here;
            # its own docstring recommends one tabular per table, which is what this does
            parts = [t.as_latex_tabular() for t in self.tables]
            if self.extra_txt:
                parts.append(self.extra_txt.replace("\n", " \\newline\n "))
            return "\n\n".join(parts)

        def __repr__(self) -> str:
            return str(self)

    return Summary


def _header_table(r: EventStudyResult) -> SimpleTable:
    from statsmodels.iolib.table import SimpleTable

    p, ab = r.parameters, r.abnormal
    excl = int((r.attrition["status"] == "excluded").sum()) if len(r.attrition) else 0
    shifted = int((r.attrition["status"] == "shifted").sum()) if len(r.attrition) else 0
    bhar = r.spec.bhar_benchmark if r.spec is not None else "model"
    left = [("Model:", p.model), ("Conventions:", p.conventions), ("Returns:", p.returns),
            ("Estimation window:", f"[{p.estimation_window[0]}, {p.estimation_window[1]}]"),
            ("Event window:", f"[{p.event_window[0]}, {p.event_window[1]}]"), ("BHAR expected return:", bhar)]
    right = [("Events included:", str(r.n_events)), ("Events excluded:", str(excl)), ("Day 0 shifted:", str(shifted)),
             ("Median M:", f"{np.median(ab.n_est):.0f}" if r.n_events else "-"),
             ("Band:", f"{pct_label(p.confidence)} two-sided"), ("", "")]
    if p.measure != "returns":  # ar and car hold another measure: say which
        from research_lib.measures.study import MEASURE_LABELS

        left.append(("Measure:", MEASURE_LABELS.get(p.measure, p.measure)))
        right.append(("", ""))
    rows = [[a, b, c, d] for (a, b), (c, d) in zip(left, right, strict=True)]
    return SimpleTable(rows, title="Event Study Results")


def _car_section(r: EventStudyResult) -> pd.DataFrame:
    level = pct_label(r.parameters.confidence)
    tab = r.car_table().set_index("window")
    out = pd.DataFrame(index=tab.index)
    out["CAR" if r.n_events == 1 else "CAAR"] = tab["car"].map(_pct)
    out["se"] = tab["se"].map(_pct)
    out["t"] = tab["t"].map(_stat)
    out["p"] = tab["p"].map(format_p)
    out[f"{level} low"] = tab[f"ci_low_{level}"].map(_pct)
    out[f"{level} high"] = tab[f"ci_high_{level}"].map(_pct)
    out["se from"] = tab["se_from"]
    bh = r.bhar_frame()
    if bh is not None:
        out["BHAR" if r.n_events == 1 else "mean BHAR"] = [_pct(bh[w].mean()) for w in out.index]
    return out


def _fill_summary(sm: Any, r: EventStudyResult) -> None:
    sm.tables.append(_header_table(r))
    if r.n_events == 1:
        row = r.events.iloc[0]
        names = list(r.abnormal.param_names)
        coefs = pd.DataFrame({"coef": [_stat(row[c], 4) for c in names] + [_pct(row["sigma"])]}, index=[*names, "sigma"])
        sm.tables.append(_simple_table(coefs, f"Normal-return model: {row['symbol']} on {row['benchmark']}, "
                                              f"day 0 {pd.Timestamp(row['day0']):%Y-%m-%d}"))
    title = "Cumulative abnormal returns" if r.n_events == 1 else "Cumulative average abnormal returns"
    if r.parameters.measure != "returns":  # same layout, another measure: say which, in log points
        from research_lib.measures.study import MEASURE_LABELS

        what = MEASURE_LABELS.get(r.parameters.measure, r.parameters.measure)
        title = f"Cumulative {what} (log points shown x 100 as %)"
    sm.tables.append(_simple_table(_car_section(r), title))
    tf = r.tests_frame()
    if len(tf) and r.n_events > 1:
        order, cols = list(tf["test"].unique()), list(tf["window"].unique())
        stat = tf.pivot(index="test", columns="window", values="stat").loc[order, cols]
        pv = tf.pivot(index="test", columns="window", values="p").loc[order, cols]
        cells = stat.map(_stat) + " (" + pv.map(format_p) + ")"
        sm.tables.append(_simple_table(cells, "Test statistics (p-value), CAAR by window"))
    excl = r.excluded
    if len(excl):
        sm.tables.append(_simple_table(excl[["event_id", "reason"]].set_index("event_id"), "Excluded events"))
    sus = r.attrition[r.attrition["status"] == "suspect"] if len(r.attrition) else r.attrition
    if len(sus):  # kept, but a price in their windows failed the screen (research_lib.data.screen)
        sm.tables.append(_simple_table(sus[["event_id", "reason"]].set_index("event_id"),
                                       "Suspect prices (events kept; on_suspect='exclude' leaves them out)"))
    note = r.bhar_note()
    if note:
        sm.add_extra_txt([note])


def __getattr__(name: str) -> Any:
    if name == "Summary":  # built on first use: statsmodels is imported only when a summary is asked for
        cls = _build_summary_class()
        globals()["Summary"] = cls
        return cls
    raise AttributeError(name)
