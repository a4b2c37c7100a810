"""Options of ``research-lib study`` for your own data, calendars, groups and output folders."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_user_options", "after_study", "check_out", "study_kwargs"]


def add_user_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", default=None, metavar="PATH",
                   help="your returns or prices (CSV or parquet): long symbol,date,ret|price[,dlret,volume,calendar,mcap] "
                   "or wide date,SYM1,SYM2,...; identifiers not in it come from the data layer")
    p.add_argument("--registry", default=None, metavar="PATH", help="CSV symbol,calendar,timezone,currency giving identifiers their calendar")
    p.add_argument("--calendar", default=None, metavar="CODE",
                   help="calendar of identifiers no rule knows (exchange_calendars code; default XNYS with --data; 'none' refuses them)")
    p.add_argument("--portfolios", default=None, metavar="PATH", help="CSV portfolio,member,weight of named basket benchmarks")
    p.add_argument("--group-by", default=None, metavar="COLUMN", help="print CAAR per group of this events column and the difference tests")
    p.add_argument("--out", default=None, metavar="FOLDER",
                   help="write events.csv, daily.csv, tests.csv, attrition.csv, caar.tex, results.xlsx and results.json there")
    p.add_argument("--overwrite", action="store_true", help="with --out: replace the files of an existing, non-empty folder")


def study_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The event_study keyword arguments of the options above (only those given)."""
    kw: dict[str, Any] = {}
    for opt, name in (("data", "data"), ("registry", "registry"), ("portfolios", "portfolios"), ("calendar", "default_calendar")):
        if getattr(args, opt, None) is not None:
            kw[name] = getattr(args, opt)
    return kw


def check_out(args: argparse.Namespace) -> None:
    """Refuse an --out folder that holds other files before the study runs (unless --overwrite)."""
    out = getattr(args, "out", None)
    if out is not None and not str(out).strip():
        from research_lib.errors import OutputError

        raise OutputError("--out '' is an empty path; give the folder to write the tables into, e.g. --out results")
    if out:
        from research_lib.analysis.tables import prepare_folder

        prepare_folder(args.out, overwrite=bool(getattr(args, "overwrite", False)))


def after_study(res: Any, args: argparse.Namespace) -> list[str]:
    """Lines to print after the summary: the groups, and the files written to --out."""
    lines: list[str] = []
    if getattr(args, "group_by", None):
        lines.append(str(res.by(args.group_by)))
    if getattr(args, "out", None):
        from research_lib.analysis.tables import write_outputs

        # the folder was checked (and created) before the study; it now holds only files we write
        files = write_outputs(res, args.out, overwrite=True)
        lines.append("wrote " + ", ".join(str(f) for f in files))
    return lines
