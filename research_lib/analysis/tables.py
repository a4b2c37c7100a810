"""Tables for a paper: the CAAR table, tidy tests, LaTeX, Excel, CSV, JSON, ``--out`` folders.

Formats written
---------------
* ``caar_table``: one row per CAR window -- ``window, caar_pct`` (CAAR in percent),
  ``n``, then for each chosen test ``<test>`` (statistic), ``<test>_p`` (two-sided
  p-value) and ``<test>_stars``; the legend is :data:`STARS_LEGEND`.
* ``tidy_tests``: long form ``event_id, window, quantity, value``: per event
  ``car, se, t, p``; for the sample (``event_id = "ALL"``) ``caar, n`` and
  ``<test>.stat`` / ``<test>.p``.
* ``to_latex``: the CAAR table as a LaTeX ``tabular`` (only ``\\hline``, no packages
  needed) with the legend below it.
* ``to_excel``: sheets ``caar, events, daily, tests, attrition`` (openpyxl).
* ``to_csv(folder)``: ``caar.csv, events.csv, daily.csv, tests.csv, attrition.csv``.
* ``results_json``: the ``--json`` layout (existing keys unchanged) plus
  ``schema_version``, each event's ``dates`` (calendar date of every event day
  tau), ``columns`` (the events file's own columns), and ``attrition``; it
  validates against ``research_lib/schemas/results.schema.json``.
* ``write_outputs(folder)``: ``events.csv, daily.csv, tests.csv, attrition.csv,
  caar.tex, results.xlsx, results.json`` (``research-lib study --out``).

Every file is written atomically: to a temporary file in the target folder,
then moved into place with :func:`os.replace` (a private helper: the shared
``research_lib.outputs`` module is not in this tree).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from research_lib.errors import InvalidRequestError
from research_lib.outputs import dumps_json, paused_gc
from research_lib.tables import format_p

if TYPE_CHECKING:
    from research_lib.results import EventStudyResult

__all__ = [
    "OUT_FILES",
    "SCHEMA_VERSION",
    "STARS_LEGEND",
    "caar_table",
    "load_schema",
    "results_json",
    "tidy_tests",
    "user_columns",
    "to_csv",
    "to_excel",
    "to_latex",
    "write_outputs",
]

SCHEMA_VERSION = "1.0"
STARS: tuple[tuple[float, str], ...] = ((0.01, "***"), (0.05, "**"), (0.10, "*"))
STARS_LEGEND = "* p < 0.10, ** p < 0.05, *** p < 0.01 (two-sided)"
OUT_FILES = ("events.csv", "daily.csv", "tests.csv", "attrition.csv", "caar.tex", "results.xlsx", "results.json")
DEFAULT_TABLE_TESTS = ("t_cross_sectional", "bmp", "generalized_sign")


def stars(p: float) -> str:
    """Significance stars of a p-value (:data:`STARS_LEGEND`)."""
    if p is None or not math.isfinite(p):
        return ""
    return next((s for cut, s in STARS if p < cut), "")


def _tests(result: EventStudyResult, tests: Sequence[str] | None) -> list[str]:
    first = next(iter(result.tests.values()), {})
    if tests is None:
        chosen = [t for t in DEFAULT_TABLE_TESTS if t in first] or list(first)
        return chosen
    unknown = [t for t in tests if t not in first]
    if unknown:
        raise InvalidRequestError(f"test(s) {unknown} were not run in this study; choose from {list(first)}")
    return list(tests)


def caar_table(result: EventStudyResult, tests: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per CAR window: CAAR in percent, N, each test's statistic, p-value and stars.

    Examples
    --------
    >>> from research_lib.analysis import caar_table
    >>> from research_lib.examples import example_result
    >>> t = caar_table(example_result(), tests=["bmp"])
    >>> t[["window", "caar_pct", "n", "bmp_stars"]].round(2)
       window  caar_pct  n bmp_stars
    0   [0,0]      5.20  5        **
    1  [-1,1]      5.89  5        **
    """
    rows = []
    for w in result.parameters.car_windows:
        key = f"{w[0]},{w[1]}"
        car, _ = result.abnormal.car(*w)
        ok = np.isfinite(car)
        row: dict[str, Any] = {"window": f"[{key}]", "caar_pct": 100 * float(np.mean(car[ok])), "n": int(ok.sum())}
        for t in _tests(result, tests):
            res = result.tests[key][t]
            row[t], row[f"{t}_p"], row[f"{t}_stars"] = res.stat, res.pvalue, stars(res.pvalue)
        rows.append(row)
    return pd.DataFrame(rows)


def tidy_tests(result: EventStudyResult) -> pd.DataFrame:
    """The per-event CAR statistics and the sample's tests in long form ``event_id, window, quantity, value``.

    Examples
    --------
    >>> from research_lib.analysis import tidy_tests
    >>> from research_lib.examples import example_result
    >>> list(tidy_tests(example_result()).columns)
    ['event_id', 'window', 'quantity', 'value']
    """
    ev = result.events
    parts = []
    for w in result.parameters.car_windows:
        key = f"{w[0]},{w[1]}"
        for q in ("car", "se", "t", "p"):
            parts.append(pd.DataFrame({"event_id": ev["event_id"].astype(str), "window": f"[{key}]", "quantity": q,
                                       "value": ev[f"{q}[{key}]"].to_numpy(dtype=float)}))
        car, _ = result.abnormal.car(*w)
        agg = [("caar", float(np.nanmean(car))), ("n", float(np.isfinite(car).sum()))]
        for name, res in result.tests[key].items():
            agg += [(f"{name}.stat", float(res.stat)), (f"{name}.p", float(res.pvalue))]
        parts.append(pd.DataFrame({"event_id": "ALL", "window": f"[{key}]", "quantity": [a for a, _ in agg],
                                   "value": [b for _, b in agg]}))
    return pd.concat(parts, ignore_index=True)


def _tex(text: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("_", r"\_"), ("%", r"\%"), ("&", r"\&"), ("#", r"\#"), ("$", r"\$")):
        text = text.replace(a, b)
    return text


def to_latex(result: EventStudyResult, tests: Sequence[str] | None = None, caption: str | None = None) -> str:
    """The CAAR table as LaTeX: window, CAAR (%), N, then statistic with stars and (p-value) per test.

    Examples
    --------
    >>> from research_lib.analysis import to_latex
    >>> from research_lib.examples import example_result
    >>> tex = to_latex(example_result(), tests=["bmp"], caption="Example CAARs")
    >>> tex.splitlines()[0], "bmp" in tex
    ('\\\\begin{table}[ht]\\\\centering', True)
    """
    tab = caar_table(result, tests)
    names = _tests(result, tests)
    head = ["Window", "CAAR (\\%)", "N"] + [_tex(n) for n in names]
    lines = [r"\begin{tabular}{l" + "r" * (len(head) - 1) + "}", r"\hline", " & ".join(head) + r" \\", r"\hline"]
    for _, r in tab.iterrows():
        cells = [str(r["window"]), f"{r['caar_pct']:.2f}", f"{int(r['n'])}"]
        cells += [f"{r[n]:.2f}{r[n + '_stars']} ({format_p(r[n + '_p'], less='$<$')})" if math.isfinite(r[n]) else "--" for n in names]
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\hline", r"\end{tabular}"]
    note = (f"\\par\\smallskip {{\\footnotesize Statistic (p-value); {STARS_LEGEND}. Model: {_tex(result.parameters.model)}; "
            f"estimation window [{result.parameters.estimation_window[0]}, {result.parameters.estimation_window[1]}].}}")
    body = "\n".join(lines) + "\n" + note + "\n"
    if caption:
        body = "\\begin{table}[ht]\\centering\n\\caption{" + _tex(caption) + "}\n" + body + "\\end{table}\n"
    return body


def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary file in the same folder, then os.replace (never a half-written file)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _sheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.DatetimeTZDtype):
            out[c] = out[c].dt.tz_localize(None)
        elif out[c].dtype == object:
            out[c] = out[c].map(lambda v: str(v) if isinstance(v, pd.Timestamp) and v.tzinfo is not None else v)
    return out


def to_excel(result: EventStudyResult, path: str | os.PathLike[str], tests: Sequence[str] | None = None) -> Path:
    """An Excel workbook with sheets caar, events, daily, tests, attrition (openpyxl).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from research_lib.analysis import to_excel
    >>> from research_lib.examples import example_result
    >>> path = to_excel(example_result(), pathlib.Path(tempfile.mkdtemp()) / "results.xlsx")
    >>> path.suffix, path.stat().st_size > 0
    ('.xlsx', True)
    """
    out = Path(path)
    sheets = {"caar": caar_table(result, tests), "events": result.to_frame(), "daily": result.daily,
              "tests": tidy_tests(result), "attrition": result.attrition}

    def write(tmp: Path) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            for name, frame in sheets.items():
                _sheet_safe(frame).to_excel(xw, sheet_name=name, index=False)
            pd.DataFrame({"legend": [STARS_LEGEND]}).to_excel(xw, sheet_name="caar", index=False, startrow=len(sheets["caar"]) + 2)

    _atomic(out, write)
    return out


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _csv(frame: pd.DataFrame, path: Path) -> None:
    _atomic(path, lambda tmp: frame.to_csv(tmp, index=False))


def to_csv(result: EventStudyResult, folder: str | os.PathLike[str], tests: Sequence[str] | None = None) -> list[Path]:
    """``caar.csv, events.csv, daily.csv, tests.csv, attrition.csv`` in ``folder`` (created if needed).

    Examples
    --------
    >>> import tempfile
    >>> from research_lib.analysis import to_csv
    >>> from research_lib.examples import example_result
    >>> sorted(p.name for p in to_csv(example_result(), tempfile.mkdtemp()))
    ['attrition.csv', 'caar.csv', 'daily.csv', 'events.csv', 'tests.csv']
    """
    dest = Path(folder)
    dest.mkdir(parents=True, exist_ok=True)
    files = {"caar.csv": caar_table(result, tests), "events.csv": result.to_frame(), "daily.csv": result.daily,
             "tests.csv": tidy_tests(result), "attrition.csv": result.attrition}
    for name, frame in files.items():
        _csv(frame, dest / name)
    return [dest / n for n in files]


def _jsonable(v: Any) -> Any:
    if v is None or isinstance(v, bool | str):
        return v
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, int | np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        return float(v) if math.isfinite(float(v)) else None
    if isinstance(v, pd.Timestamp | np.datetime64):
        return None if pd.isna(v) else pd.Timestamp(v).isoformat()
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return str(v)


def results_json(result: EventStudyResult) -> dict[str, Any]:
    """``result.to_json_dict()`` plus schema_version, event-day dates, the user's columns and attrition.

    Examples
    --------
    >>> import json
    >>> from research_lib.analysis import results_json
    >>> from research_lib.examples import example_result
    >>> doc = results_json(example_result())
    >>> "schema_version" in doc, len(json.dumps(doc)) > 1000
    (True, True)
    """
    with paused_gc():  # hundreds of thousands of acyclic records (see research_lib.outputs.paused_gc)
        return _results_json(result)


def _results_json(result: EventStudyResult) -> dict[str, Any]:
    out = result.to_json_dict()
    out["schema_version"] = SCHEMA_VERSION
    ab = result.abnormal
    tau = [int(t) for t in ab.panel.tau_evt]
    extra = user_columns(result)
    ev = result.events.reset_index(drop=True)
    # all events' day dates at once (no per-event DatetimeIndex): text, None where NaT
    raw = np.asarray(ab.panel.evt_dates, dtype="datetime64[ns]").reshape(len(out["events"]), len(tau))
    text = np.datetime_as_string(raw, unit="D").astype(object)
    text[np.isnat(raw)] = None
    tau_s = [str(t) for t in tau]
    cols = {c: [_jsonable(v) for v in ev[c].tolist()] for c in extra}
    rows = text.tolist()  # one conversion for all events, not one per row
    for i, rec in enumerate(out["events"]):
        rec["dates"] = dict(zip(tau_s, rows[i], strict=True))
        rec["columns"] = {c: v[i] for c, v in cols.items()}
    out["attrition"] = _records(result.attrition)
    return out


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """``frame.to_dict("records")`` with :func:`_jsonable` values, converted column by column."""
    names = list(frame.columns)
    values = [[_jsonable(v) for v in frame.iloc[:, j].tolist()] for j in range(frame.shape[1])]
    return [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)] if names else [{}] * len(frame)


_ATTRITION = ("event_id", "symbol", "status", "reason", "stage", "n_est")


def user_columns(result: EventStudyResult) -> list[str]:
    """The events file's own columns carried through the study (in both the events and attrition tables)."""
    return [c for c in result.attrition.columns if c not in _ATTRITION and c in result.events.columns]


def load_schema() -> dict[str, Any]:
    """The JSON Schema of :func:`results_json` (shipped as package data)."""
    text = (resources.files("research_lib") / "schemas" / "results.schema.json").read_text(encoding="utf-8")
    return dict(json.loads(text))


def prepare_folder(folder: str | os.PathLike[str], overwrite: bool = False) -> Path:
    """Create ``folder``, or accept it if empty or holding only our own files (unless ``overwrite``).

    Raises
    ------
    InvalidRequestError
        If ``folder`` is a file, or exists and holds other files and ``overwrite`` is False.
    """
    dest = Path(folder)
    if dest.exists() and not dest.is_dir():
        raise InvalidRequestError(f"--out {dest} is a file; give a folder path")
    if dest.is_dir() and not overwrite:
        others = sorted(p.name for p in dest.iterdir())
        if others:
            raise InvalidRequestError(
                f"output folder {dest} exists and holds {others[:5]}{' ...' if len(others) > 5 else ''}; "
                "choose a new or empty folder, or pass --overwrite (overwrite=True) to replace the files in it"
            )
    dest.mkdir(parents=True, exist_ok=True)
    return dest


def write_outputs(
    result: EventStudyResult, folder: str | os.PathLike[str], *, overwrite: bool = False, tests: Sequence[str] | None = None
) -> list[Path]:
    """Write :data:`OUT_FILES` into ``folder`` (see :func:`prepare_folder` for the refusal rule).

    Examples
    --------
    >>> import tempfile
    >>> from research_lib.analysis import write_outputs
    >>> from research_lib.examples import example_result
    >>> sorted(p.name for p in write_outputs(example_result(), tempfile.mkdtemp()))
    ['attrition.csv', 'caar.tex', 'daily.csv', 'events.csv', 'results.json', 'results.xlsx', 'tests.csv']
    """
    dest = prepare_folder(folder, overwrite)
    _csv(result.to_frame(), dest / "events.csv")
    _csv(result.daily, dest / "daily.csv")
    _csv(tidy_tests(result), dest / "tests.csv")
    _csv(result.attrition, dest / "attrition.csv")
    tex = to_latex(result, tests)
    _atomic(dest / "caar.tex", lambda tmp: _write_text(tmp, tex))
    to_excel(result, dest / "results.xlsx", tests)
    doc = dumps_json(results_json(result)).decode("utf-8")  # the one JSON serialiser (orjson)
    _atomic(dest / "results.json", lambda tmp: _write_text(tmp, doc))
    return [dest / n for n in OUT_FILES]
