"""Conformance with other event-study packages: their designs, their printed numbers, our numbers.

The snapshot's ``reference/`` folder holds the data shipped with two published
packages and the numbers they print (its ``README.md``):

- ``estudy2_covid``: the R package estudy2 (Rudnytskyi), COVID-19 lockdown
  vignette: 7 US stocks on the S&P 500, market model on log returns, tests for
  each of the five days 2020-03-16..2020-03-20;
- ``lemaire_gafam``: the Python package eventstudy (Lemaire), Apple on SPY
  around the iPhone announcement of 2007-01-09, simple returns, event window
  (-2, +10).

This module sets both designs up for the project's public path
(:func:`research_lib.study.event_study`), reads the printed numbers *from the
README* (so that no published digit is retyped here), and returns tables that
put ours beside theirs.  It also decomposes the difference between two
convention sets into the effect of each convention field
(:func:`decompose`), and computes the numbers behind three common errors
(:func:`band_quantiles`, :func:`event_window_df`, :func:`calendar_day_design`).
Notebook 06 ("Why event-study packages disagree") is built on it.

Design decisions
----------------
*estudy2.*  The vignette estimates on the dates 2019-04-01..2020-03-13 and
tests five dates after it.  Because all seven securities share those dates,
the design is one event per security with day 0 = 2020-03-16 on the NYSE
calendar, event window [0, +4] and estimation window [-L, -1] where L is the
number of NYSE sessions with a return in 2019-04-02..2020-03-13 (the first
price, 2019-04-01, has no return).  L is computed from the calendar, not
typed, and the tests check that the windows land exactly on those dates.
The CSVs from R name the index ``X.GSPC`` (R's ``make.names`` of ``^GSPC``);
it is renamed back.

*eventstudy.*  The package counts windows in *rows* of its returns file.  The
rows of ``returns_GAFAM.csv`` are exactly the NYSE sessions (checked in the
tests), so rows and sessions coincide and the row design is the session design
estimation [-(2 + 30 + 300), -(2 + 30) - 1] = [-332, -33], event [-2, +10].
The file holds returns, not prices; a price index P_t = prod(1 + R_s) with
P = 1 on the session before the first row turns them back into prices, from
which the engine recomputes the same simple returns (to rounding).

References
----------
Rudnytskyi, I. (2021), estudy2: An Implementation of Parametric and
Nonparametric Event Study, R package.  Lemaire, J.-B. (2020), eventstudy:
Event Study Analysis, Python package.  Campbell, Lo and MacKinlay (1997),
*The Econometrics of Financial Markets*, ch. 4; MacKinlay (1997), JEL 35(1);
Brown and Warner (1980, 1985); Patell (1976); Boehmer, Musumeci and Poulsen
(1991); Lamb (1995); Corrado (1989); Corrado and Zivney (1992); Campbell and
Wasley (1993); Cowan (1992).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from research_lib.config import get_settings
from research_lib.conventions import Conventions, get_conventions
from research_lib.errors import DataError, SnapshotError
from research_lib.listings.calendars import calendar_for, session_index, sessions
from research_lib.results import EventStudyResult

if TYPE_CHECKING:
    from research_lib.runner.provenance import Provenance

__all__ = [
    "ESTUDY2_LABELS",
    "ESTUDY2_STATISTICS",
    "Printed",
    "Published",
    "ReferenceCase",
    "band_quantiles",
    "calendar_day_design",
    "compare",
    "convention_path",
    "decompose",
    "deviation_summary",
    "estudy2_case",
    "estudy2_statistics",
    "event_window_df",
    "lemaire_case",
    "lemaire_statistics",
    "read_published",
    "reference_dir",
    "reference_provenance",
    "side_by_side",
]

#: estudy2's column labels in the README -> the project's statistic names
ESTUDY2_LABELS: dict[str, str] = {
    "mean AAR": "aar",
    "BW1980": "brown_warner_1980",
    "BW1985": "crude_dependence",
    "t": "t_cross_sectional",
    "Patell": "patell",
    "BMP": "bmp",
    "Lamb": "lamb",
    "sign": "sign",
    "generalized sign": "generalized_sign",
    "Corrado-Zivney": "corrado_zivney",
    "rank": "corrado_rank",
    "modified rank": "modified_rank",
    "Wilcoxon W+": "wilcoxon",
}
ESTUDY2_STATISTICS: tuple[str, ...] = tuple(ESTUDY2_LABELS.values())
_ESTUDY2_YEAR = 2020
_ESTUDY2_FIRST_PRICE = pd.Timestamp("2019-04-01")
_ESTUDY2_EST_LAST = pd.Timestamp("2020-03-13")
_ESTUDY2_DAY0 = pd.Timestamp("2020-03-16")
_ESTUDY2_LAST_DAY = pd.Timestamp("2020-03-20")
#: R's make.names turns "^GSPC" into "X.GSPC" when the data are exported
_R_NAMES = {"X.GSPC": "^GSPC"}

_LEMAIRE_EVENT = pd.Timestamp("2007-01-09")
_LEMAIRE_WINDOW = (-2, 10)
_LEMAIRE_ESTIMATION_SIZE = 300
_LEMAIRE_BUFFER = 30

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


# --------------------------------------------------------------------------- published numbers
@dataclass(frozen=True)
class Printed:
    """Numbers as a package printed them.

    Attributes
    ----------
    values : the numbers (rows: statistics or symbols; columns: days or parameters).
    decimals : the number of decimals each was printed with.
    """

    values: pd.DataFrame
    decimals: pd.DataFrame

    @property
    def tolerance(self) -> pd.DataFrame:
        """Half a unit of the last printed digit: 0.5 * 10^-decimals."""
        return 0.5 * 10.0 ** (-self.decimals.astype(float))


@dataclass(frozen=True)
class Published:
    """Everything the reference README prints.

    Attributes
    ----------
    estudy2 : 13 statistics (``ESTUDY2_STATISTICS``) x the five dates.
    estudy2_textbook : the README's rank values without estudy2's aggregation
        quirk (``corrado_rank``, ``modified_rank``, ``corrado_zivney``) x dates.
    estudy2_params : alpha and beta of the seven securities.
    lemaire : ``ar``, ``car``, ``t`` x event days -2..+10.
    lemaire_params : alpha, beta, sigma (one column ``value``).
    """

    estudy2: Printed
    estudy2_textbook: Printed
    estudy2_params: Printed
    lemaire: Printed
    lemaire_params: Printed


def reference_dir(snapshot: str | os.PathLike[str] | None = None) -> Path:
    """The snapshot's ``reference/`` folder.

    Raises
    ------
    SnapshotError
        If no snapshot is configured or it has no ``reference/`` folder.
    """
    snap = get_settings(snapshot=snapshot).snapshot
    if snap is None:
        raise SnapshotError(
            "no snapshot directory is set; set RESEARCH_LIB_SNAPSHOT (or pass snapshot=) to the shared data "
            "folder that holds reference/"
        )
    ref = snap / "reference"
    if not (ref / "README.md").is_file():
        raise SnapshotError(f"the snapshot has no reference/README.md (looked in {ref}); use a snapshot that ships reference/")
    return ref


def _cell_decimals(text: str) -> int:
    text = text.strip()
    return len(text.split(".", 1)[1]) if "." in text else 0


def _printed(rows: dict[str, list[str]], columns: Sequence[object]) -> Printed:
    values = pd.DataFrame({k: [float(v) for v in vs] for k, vs in rows.items()}, index=list(columns)).T
    decimals = pd.DataFrame({k: [_cell_decimals(v) for v in vs] for k, vs in rows.items()}, index=list(columns)).T
    return Printed(values, decimals.astype(int))


def _tables(section: str) -> list[list[list[str]]]:
    """Markdown tables of a text: lists of rows of stripped cells, separator rows dropped."""
    out: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in section.splitlines() + [""]:
        line = line.strip()
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if not all(set(c) <= set("-: ") for c in cells):
                current.append(cells)
        elif current:
            out.append(current)
            current = []
    return out


def _section(text: str, name: str) -> str:
    for part in text.split("\n## "):
        if part.startswith(name):
            return part
    raise DataError(f"reference README has no section '## {name}'; use the README shipped with the snapshot")


def read_published(reference: str | os.PathLike[str] | None = None) -> Published:
    """Parse the printed numbers out of ``reference/README.md``.

    The digits are kept as printed: :attr:`Printed.decimals` says how many
    decimals each value had, which sets the tolerance of a comparison.

    Parameters
    ----------
    reference : the reference folder (default :func:`reference_dir`).

    Raises
    ------
    DataError
        If a section or table is missing or its labels are not the expected ones.
    """
    ref = Path(reference) if reference is not None else reference_dir()
    text = (ref / "README.md").read_text(encoding="utf-8")

    est = _section(text, "estudy2_covid")
    rows: dict[str, list[str]] = {}
    dates: list[pd.Timestamp] = []
    for table in _tables(est):
        header, body = table[0], table[1:]
        if header[0] != "date":
            continue
        these = [pd.Timestamp(f"{_ESTUDY2_YEAR}-{r[0]}") for r in body]
        if dates and these != dates:
            raise DataError("the two estudy2 tables of the reference README list different dates")
        dates = these
        for j, label in enumerate(header[1:], start=1):
            if label not in ESTUDY2_LABELS:
                raise DataError(f"unexpected estudy2 column {label!r} in the reference README; known: {list(ESTUDY2_LABELS)}")
            rows[ESTUDY2_LABELS[label]] = [r[j] for r in body]
    missing = [s for s in ESTUDY2_STATISTICS if s not in rows]
    if missing:
        raise DataError(f"the reference README lacks the estudy2 statistics {missing}")
    estudy2 = _printed({s: rows[s] for s in ESTUDY2_STATISTICS}, dates)

    flat = " ".join(est.split())
    m = re.search(r"Textbook \(no quirk\) values:(.*?)- Intermediate", flat)
    if m is None:
        raise DataError("the reference README has no 'Textbook (no quirk) values' line for estudy2")
    tb: dict[str, list[str]] = {}
    for part in m.group(1).split(";"):
        nums = _NUMBER.findall(part)
        label = part[: part.find(nums[0])].strip() if nums else ""
        if label in ESTUDY2_LABELS and nums:
            tb[ESTUDY2_LABELS[label]] = nums
    textbook = _printed(tb, dates)

    m = re.search(r"checkpoints \(alpha / beta\):(.*?)(?:\n\n|##|$)", flat)
    if m is None:
        raise DataError("the reference README has no estudy2 alpha/beta checkpoints")
    pairs = re.findall(r"([A-Z]+) (-?\d+\.\d+) / (-?\d+\.\d+)", m.group(1))
    params = _printed({"alpha": [a for _, a, _ in pairs], "beta": [b for _, _, b in pairs]}, [s for s, _, _ in pairs]).values.T
    params_dec = _printed({"alpha": [a for _, a, _ in pairs], "beta": [b for _, _, b in pairs]}, [s for s, _, _ in pairs]).decimals.T
    estudy2_params = Printed(params, params_dec)

    lem = _section(text, "lemaire_gafam")
    lrows: dict[str, list[str]] = {}
    days: list[int] = []
    for table in _tables(lem):
        if table[0][0] != "day":
            continue
        days = [int(d) for d in table[0][1:]]
        for r in table[1:]:
            lrows[r[0].lower()] = r[1:]
    if set(lrows) != {"ar", "car", "t"}:
        raise DataError(f"the lemaire table of the reference README has rows {sorted(lrows)}; expected AR, CAR, t")
    lemaire = _printed({k: lrows[k] for k in ("ar", "car", "t")}, days)
    found = dict(re.findall(r"\b(alpha|beta|sigma) (-?\d+\.\d+)", " ".join(lem.split())))
    if set(found) != {"alpha", "beta", "sigma"}:
        raise DataError("the reference README does not give the eventstudy alpha, beta and sigma")
    lp = _printed({"value": [found[k] for k in ("alpha", "beta", "sigma")]}, ["alpha", "beta", "sigma"])
    lemaire_params = Printed(lp.values.T, lp.decimals.T)
    return Published(estudy2, textbook, estudy2_params, lemaire, lemaire_params)


# --------------------------------------------------------------------------- designs
@dataclass(frozen=True)
class ReferenceCase:
    """One reference study set up for :func:`research_lib.study.event_study`.

    Attributes
    ----------
    name : ``"estudy2_covid"`` or ``"lemaire_gafam"``.
    events : events table (event_id, symbol, benchmark, event_date).
    prices : symbol -> adjusted closes (or a price index rebuilt from returns).
    estimation_window, event_window : in sessions relative to day 0.
    car_windows : the windows whose statistics the package prints.
    min_estimation : minimum complete-case estimation returns.
    returns : ``"log"`` (estudy2) or ``"simple"`` (eventstudy).
    package_conventions : the convention set of the package.
    files : the reference files read (relative to the reference folder).
    """

    name: str
    events: pd.DataFrame
    prices: dict[str, pd.Series]
    estimation_window: tuple[int, int]
    event_window: tuple[int, int]
    car_windows: tuple[tuple[int, int], ...]
    min_estimation: int
    returns: str
    package_conventions: str
    files: tuple[str, ...]

    def run(self, conventions: str | Conventions | None = None, tests: Sequence[str] | str | None = "all") -> EventStudyResult:
        """The study under ``conventions`` (default: the package's own), with every test."""
        from research_lib.study import event_study

        return event_study(
            self.events,
            estimation_window=self.estimation_window,
            event_window=self.event_window,
            car_windows=self.car_windows,
            model="market",
            min_estimation=self.min_estimation,
            conventions=self.package_conventions if conventions is None else conventions,
            returns=self.returns,
            prices=self.prices,
            tests=tests,
        )

    def statistics(self, conventions: str | Conventions | None = None) -> pd.Series:
        """The numbers the package prints, under ``conventions``, as one Series.

        estudy2: index (statistic, date) from :func:`estudy2_statistics`.
        eventstudy: index (row, day) for ``ar``, ``car``, ``t``, ``p`` from
        :func:`lemaire_statistics`, then (``alpha``/``beta``/``sigma``/``df``, ``""``).
        """
        res = self.run(conventions)
        if self.name == "estudy2_covid":
            stacked = estudy2_statistics(res).stack()
            assert isinstance(stacked, pd.Series)  # one column level: stacking gives a Series
            return stacked
        table, params = lemaire_statistics(res)
        extra = pd.Series(params.to_numpy(), index=pd.MultiIndex.from_arrays([params.index, [""] * len(params)]))
        out = pd.concat([table.stack(), extra])
        assert isinstance(out, pd.Series)
        return out

    def cli_args(self, events_csv: str | os.PathLike[str], prices_csv: str | os.PathLike[str]) -> list[str]:
        """Arguments of ``research-lib study`` that run this design (after :meth:`write_inputs`)."""
        args = ["study", str(events_csv), "--prices", str(prices_csv),
                "--estimation-window", *map(str, self.estimation_window),
                "--event-window", *map(str, self.event_window)]
        for a, b in self.car_windows:
            args += ["--car-window", str(a), str(b)]
        args += ["--min-estimation", str(self.min_estimation), "--conventions", self.package_conventions,
                 "--returns", self.returns, "--tests", "all"]
        return args

    def write_inputs(self, folder: str | os.PathLike[str]) -> tuple[Path, Path]:
        """Write ``events.csv`` and a wide ``prices.csv`` (date + one column per symbol) for the CLI."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        ev = self.events.copy()
        ev["event_date"] = pd.to_datetime(ev["event_date"]).dt.strftime("%Y-%m-%d")
        events_csv, prices_csv = out / "events.csv", out / "prices.csv"
        ev.to_csv(events_csv, index=False)
        wide = pd.DataFrame(self.prices)
        wide.index = pd.DatetimeIndex(wide.index).strftime("%Y-%m-%d")
        wide.index.name = "date"
        wide.to_csv(prices_csv, float_format="%.17g")
        return events_csv, prices_csv


def _read_wide(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, index_col=0)
    frame.index = pd.DatetimeIndex(pd.to_datetime(frame.index, format="ISO8601"), name="date")
    return frame.rename(columns=_R_NAMES)


def estudy2_case(reference: str | os.PathLike[str] | None = None) -> ReferenceCase:
    """The estudy2 COVID-19 vignette as a :class:`ReferenceCase` (from ``prices.csv`` and ``prices_indx.csv``).

    Day 0 is 2020-03-16 for all seven securities; the estimation window is
    [-L, -1] with L the NYSE sessions 2019-04-02..2020-03-13 (240); the event
    window is [0, +4]; the statistics are those of the one-day windows
    [0, 0] .. [4, 4]; log returns; conventions ``estudy2``.
    """
    ref = Path(reference) if reference is not None else reference_dir()
    folder = ref / "estudy2_covid"
    px = _read_wide(folder / "prices.csv")
    idx = _read_wide(folder / "prices_indx.csv")
    prices = {str(c): px[c].astype(float) for c in px.columns}
    prices.update({str(c): idx[c].astype(float) for c in idx.columns})
    symbols = [str(c) for c in px.columns]
    bench = str(idx.columns[0])
    # returns exist from the session after the first price to the last estimation date
    first_return = sessions(bench, _ESTUDY2_FIRST_PRICE + pd.Timedelta(days=1), _ESTUDY2_EST_LAST)[0]
    n_est = len(sessions(bench, first_return, _ESTUDY2_EST_LAST))
    n_evt = len(sessions(bench, _ESTUDY2_DAY0, _ESTUDY2_LAST_DAY))
    events = pd.DataFrame({"event_id": symbols, "symbol": symbols, "benchmark": bench,
                           "event_date": pd.Timestamp(_ESTUDY2_DAY0)})
    return ReferenceCase(
        name="estudy2_covid", events=events, prices=prices, estimation_window=(-n_est, -1),
        event_window=(0, n_evt - 1), car_windows=tuple((d, d) for d in range(n_evt)), min_estimation=120,
        returns="log", package_conventions="estudy2",
        files=("estudy2_covid/prices.csv", "estudy2_covid/prices_indx.csv"),
    )


def _price_index(returns: pd.Series, symbol: str) -> pd.Series:
    """P_t = prod_{s <= t} (1 + R_s), with P = 1 on the session before the first return."""
    r = returns.astype(float)
    if r.isna().any():
        raise DataError(f"returns of {symbol} have gaps; a price index cannot be rebuilt across them")
    grid = pd.DatetimeIndex(calendar_for(symbol).sessions)
    pos = session_index(grid, r.index[0])
    base = pd.Series([1.0], index=pd.DatetimeIndex([grid[pos - 1]]))
    out = pd.concat([base, (1.0 + r).cumprod()])
    out.index = pd.DatetimeIndex(out.index, name="date")
    return out.rename(symbol)


def lemaire_case(reference: str | os.PathLike[str] | None = None, symbol: str = "AAPL", benchmark: str = "SPY") -> ReferenceCase:
    """The eventstudy package's Apple example as a :class:`ReferenceCase`.

    Event 2007-01-09, event window (-2, +10), estimation window of 300 rows
    ending 30 rows before the event window: sessions [-332, -33]; simple
    returns; CAR windows (-2, d) for d = -2..+10 (the package's t for day d
    is that of the CAR cumulated from -2); conventions ``eventstudy``.
    """
    ref = Path(reference) if reference is not None else reference_dir()
    ret = pd.read_csv(ref / "lemaire_gafam" / "returns_GAFAM.csv", index_col=0)
    ret.index = pd.DatetimeIndex(pd.to_datetime(ret.index, format="ISO8601"), name="date")
    prices = {s: _price_index(ret[s], s) for s in (symbol, benchmark)}
    a, b = _LEMAIRE_WINDOW
    last_est = a - _LEMAIRE_BUFFER - 1
    events = pd.DataFrame({"event_id": [f"{symbol}-iphone"], "symbol": [symbol], "benchmark": [benchmark],
                           "event_date": [_LEMAIRE_EVENT]})
    return ReferenceCase(
        name="lemaire_gafam", events=events, prices=prices,
        estimation_window=(last_est - _LEMAIRE_ESTIMATION_SIZE + 1, last_est), event_window=(a, b),
        car_windows=tuple((a, d) for d in range(a, b + 1)), min_estimation=_LEMAIRE_ESTIMATION_SIZE,
        returns="simple", package_conventions="eventstudy", files=("lemaire_gafam/returns_GAFAM.csv",),
    )


# --------------------------------------------------------------------------- our numbers
def estudy2_statistics(result: EventStudyResult) -> pd.DataFrame:
    """The 13 estudy2 statistics (rows, ``ESTUDY2_STATISTICS``) for each event date (columns).

    ``aar`` is the mean AR of the day; the others are the test statistics of the
    one-day window (Wilcoxon: W+).  The study must have been run with ``tests="all"``.
    """
    ab = result.abnormal
    dates = pd.DatetimeIndex(ab.panel.evt_dates[0])
    out = pd.DataFrame(index=list(ESTUDY2_STATISTICS), columns=dates, dtype=float)
    for j, tau in enumerate(ab.panel.tau_evt):
        key = f"{int(tau)},{int(tau)}"
        if key not in result.tests:
            raise DataError(f"the study has no one-day window [{tau}, {tau}]; run it with car_windows=[(d, d), ...]")
        tests = result.tests[key]
        out.iloc[0, j] = float(np.nanmean(ab.ar[:, j]))
        for name in ESTUDY2_STATISTICS[1:]:
            if name not in tests:
                raise DataError(f"the study did not compute {name!r}; run it with tests='all'")
            out.loc[name, dates[j]] = tests[name].stat
    return out


def lemaire_statistics(result: EventStudyResult) -> tuple[pd.DataFrame, pd.Series]:
    """AR, CAR (cumulated from the first event day), its t and p for each event day, and alpha, beta, sigma.

    Returns
    -------
    table : rows ``ar``, ``car``, ``t``, ``p`` (two-sided, t with ``df`` degrees
        of freedom); columns the event days.
    params : ``alpha``, ``beta``, ``sigma``, ``df`` (degrees of freedom of the t).
    """
    ab = result.abnormal
    if ab.ar.shape[0] != 1:
        raise DataError(f"lemaire_statistics needs a single-event study, got {ab.ar.shape[0]} events")
    tau = [int(t) for t in ab.panel.tau_evt]
    row = result.events.iloc[0]
    table = pd.DataFrame(index=["ar", "car", "t", "p"], columns=tau, dtype=float)
    for j, d in enumerate(tau):
        key = f"{tau[0]},{d}"
        if f"car[{key}]" not in row:
            raise DataError(f"the study has no CAR window [{tau[0]}, {d}]; run it with car_windows=[({tau[0]}, d), ...]")
        table.loc["ar", d] = ab.ar[0, j]
        table.loc["car", d] = row[f"car[{key}]"]
        table.loc["t", d] = row[f"t[{key}]"]
        table.loc["p", d] = row[f"p[{key}]"]
    params = pd.Series({"alpha": row["alpha"], "beta": row["beta"], "sigma": row["sigma"], "df": float(ab.df[0])})
    return table, params


def compare(ours: pd.DataFrame, printed: Printed) -> pd.DataFrame:
    """Ours beside the printed numbers, cell by cell.

    Returns
    -------
    DataFrame with one row per printed cell: ``statistic``, ``column``,
    ``ours``, ``printed``, ``decimals``, ``diff`` (ours - printed),
    ``tolerance`` (half a unit of the last printed digit), ``ok``
    (|diff| <= tolerance) and ``units`` (|diff| / 10^-decimals: how many
    units of the last printed digit we are off).
    """
    rows = []
    for stat in printed.values.index:
        for col in printed.values.columns:
            mine = float(ours.loc[stat, col])
            pub = float(printed.values.loc[stat, col])
            dec = int(printed.decimals.loc[stat, col])
            diff = mine - pub
            tol = 0.5 * 10.0**-dec
            rows.append({"statistic": stat, "column": col, "ours": mine, "printed": pub, "decimals": dec,
                         "diff": diff, "tolerance": tol, "ok": bool(abs(diff) <= tol + 1e-12 * abs(pub)),
                         "units": abs(diff) / 10.0**-dec})
    return pd.DataFrame(rows)


def deviation_summary(comparison: pd.DataFrame) -> pd.DataFrame:
    """Largest deviation from the published digits per statistic (from :func:`compare`).

    Columns: ``max_abs_diff``, ``at`` (the column where it occurs), ``decimals``,
    ``max_units`` (in units of the last printed digit) and ``all_ok``.
    """
    out = []
    for stat, grp in comparison.groupby("statistic", sort=False):
        j = int(np.nanargmax(grp["diff"].abs().to_numpy()))  # the first largest, as idxmax
        out.append({"statistic": stat, "max_abs_diff": abs(grp["diff"].iloc[j]), "at": grp["column"].iloc[j],
                    "decimals": int(grp["decimals"].max()), "max_units": float(grp["units"].max()),
                    "all_ok": bool(grp["ok"].all())})
    return pd.DataFrame(out).set_index("statistic")


# --------------------------------------------------------------------------- conventions
def _differing(base: Conventions, target: Conventions, order: Sequence[str] | None) -> list[str]:
    differ = [f.name for f in fields(Conventions) if f.name != "name" and getattr(base, f.name) != getattr(target, f.name)]
    if order is None:
        return differ
    unknown = [f for f in order if f not in differ]
    if unknown:
        raise ValueError(f"fields {unknown} do not differ between {base.name} and {target.name}; differing: {differ}")
    return list(order) + [f for f in differ if f not in order]


def convention_path(base: str | Conventions, target: str | Conventions,
                    order: Sequence[str] | None = None) -> list[Conventions]:
    """Convention sets from ``base`` to ``target``, switching one differing field at a time.

    Parameters
    ----------
    base, target : convention sets or their names.
    order : the order in which the differing fields are switched (default:
        the order of the fields of :class:`~research_lib.conventions.Conventions`).

    Returns
    -------
    [base, base +field1, base +field1 +field2, ..., target]: each set has the
    target's value of every field switched so far and is named after them;
    the last one has exactly the target's choices and name.
    """
    b, t = get_conventions(base), get_conventions(target)
    path, current = [b], b
    for name in _differing(b, t, order):
        current = replace(current, **{name: getattr(t, name)}, name=f"{current.name} +{name}")
        path.append(current)
    if len(path) > 1:
        path[-1] = replace(path[-1], name=t.name)
    return path


def decompose(stats_of: Callable[[Conventions], pd.Series], base: str | Conventions, target: str | Conventions,
              order: Sequence[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Switch convention fields one at a time from ``base`` to ``target`` and record every statistic.

    Parameters
    ----------
    stats_of : function of a convention set returning the statistics (a Series).
    base, target, order : as in :func:`convention_path`.

    Returns
    -------
    levels : statistics (rows) under each step of the path (columns: the base's
        name, then ``+field=value`` for each switched field; the last column is
        the target).
    changes : the change each switch produces (columns ``+field=value``); the
        changes of a row add up to target - base exactly.

    Notes
    -----
    Fields interact (without the forecast-error term the CAR-variance
    convention no longer matters, for example), so the change attributed to a
    field can depend on the order; the default order is the order of the
    fields of :class:`~research_lib.conventions.Conventions`.
    """
    b, t = get_conventions(base), get_conventions(target)
    path = convention_path(b, t, order)
    labels = [b.name] + [f"+{n}={getattr(t, n)}" for n in _differing(b, t, order)]
    levels = pd.concat([stats_of(c).rename(lab) for c, lab in zip(path, labels, strict=True)], axis=1)
    changes = levels.diff(axis=1).iloc[:, 1:]
    return levels, changes


def side_by_side(stats_of: Callable[[Conventions], pd.Series], names: Sequence[str] = ("textbook", "estudy2", "eventstudy")) -> pd.DataFrame:
    """The statistics under each named convention set (columns)."""
    return pd.concat([stats_of(get_conventions(n)).rename(n) for n in names], axis=1)


# --------------------------------------------------------------------------- three errors
def band_quantiles(label: float = 0.90, df: float = 299) -> pd.DataFrame:
    """What a band labelled ``label`` covers when built with t.ppf(label) instead of t.ppf((1 + label)/2).

    Returns
    -------
    DataFrame with rows ``mislabelled`` and ``correct`` and columns
    ``quantile`` (the probability passed to the t quantile), ``critical``
    (the multiplier of the standard error) and ``coverage`` (the two-sided
    probability the band actually covers under t(df)).
    """
    rows = {}
    for name, q in (("mislabelled", label), ("correct", (1 + label) / 2)):
        c = float(stats.t.ppf(q, df))
        rows[name] = {"quantile": q, "critical": c, "coverage": float(2 * stats.t.cdf(c, df) - 1)}
    return pd.DataFrame(rows).T


def event_window_df(t_stat: float, df_estimation: float, event_days: int) -> pd.DataFrame:
    """Two-sided p-value of a CAR t statistic with the estimation-window df and with event-window df (L2 - 1)."""
    out = {}
    for name, df in (("estimation window", df_estimation), ("event window (L2 - 1)", event_days - 1)):
        out[name] = {"df": float(df), "p": float(2 * stats.t.sf(abs(t_stat), df)),
                     "critical_5pct": float(stats.t.ppf(0.975, df))}
    return pd.DataFrame(out).T


def calendar_day_design(case: ReferenceCase) -> pd.DataFrame:
    """The reference design counted in sessions and, wrongly, in calendar days, for the first event.

    For each window (estimation, event) gives the first and last date and the
    number of sessions, and the CAR over the event window, its standard error
    (sqrt(L s^2)) and t with each design's market-model fit (ordinary least
    squares on the sessions that fall in the window).
    """
    ev = case.events.iloc[0]
    sym, bench = str(ev["symbol"]), str(ev["benchmark"])
    grid = pd.DatetimeIndex(calendar_for(sym).sessions)
    day0 = pd.Timestamp(ev["event_date"])
    p0 = session_index(grid, day0)
    ret = {s: case.prices[s].pct_change() if case.returns == "simple" else np.log(case.prices[s]).diff() for s in (sym, bench)}
    rows = []
    for design in ("sessions", "calendar days"):
        if design == "sessions":
            est = grid[p0 + case.estimation_window[0]: p0 + case.estimation_window[1] + 1]
            evt = grid[p0 + case.event_window[0]: p0 + case.event_window[1] + 1]
        else:
            def span(a: int, b: int) -> pd.DatetimeIndex:
                lo, hi = day0 + pd.Timedelta(days=a), day0 + pd.Timedelta(days=b)
                return grid[(grid >= lo) & (grid <= hi)]
            est = span(*case.estimation_window)
            evt = span(*case.event_window)
        y, x = ret[sym].reindex(est).to_numpy(), ret[bench].reindex(est).to_numpy()
        ok = np.isfinite(y) & np.isfinite(x)
        slope, intercept = np.polyfit(x[ok], y[ok], 1)
        resid = y[ok] - intercept - slope * x[ok]
        s2 = float(resid @ resid / (ok.sum() - 2))
        ar = ret[sym].reindex(evt).to_numpy() - intercept - slope * ret[bench].reindex(evt).to_numpy()
        car = float(np.sum(ar))
        se = float(np.sqrt(len(evt) * s2))
        rows.append({"design": design, "estimation": f"{est[0]:%Y-%m-%d}..{est[-1]:%Y-%m-%d}", "n_estimation": len(est),
                     "event": f"{evt[0]:%Y-%m-%d}..{evt[-1]:%Y-%m-%d}", "n_event": len(evt),
                     "car": car, "se": se, "t": car / se})
    return pd.DataFrame(rows).set_index("design")


# --------------------------------------------------------------------------- provenance
def reference_provenance(case_files: Sequence[str], reference: str | os.PathLike[str] | None = None) -> Provenance:
    """A :class:`~research_lib.runner.provenance.Provenance` of reference files (relative paths, sizes, sha256)."""
    import hashlib

    from research_lib.runner.provenance import Provenance, package_versions

    ref = Path(reference) if reference is not None else reference_dir()
    rows = []
    for rel in ("README.md", *case_files):
        data = (ref / rel).read_bytes()
        rows.append({"file": f"reference/{rel}", "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()[:16]})
    return Provenance(pd.DataFrame(rows), package_versions(), "snapshot directory (RESEARCH_LIB_SNAPSHOT), reference/ folder")
