"""The ``research-lib`` command.

Subcommands: ``data-report`` (what the data layer sees for some symbols),
``study`` (an event study from an events CSV), ``reproduce`` (execute the
numbered notebooks into ``reports/``) and ``docs`` (build the documentation site).  Errors of the package end the command
with exit status 2 and one line naming the problem and the fix; ``--debug``
shows the traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from research_lib.errors import ResearchLibError

Handler = Callable[[argparse.Namespace], int]


def _add_data_report(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data-report", help="source, range, calendar gaps and checksum per symbol")
    p.add_argument("symbols", nargs="+", help="Yahoo-style symbols, e.g. BABA 9988.HK ^GSPC")
    p.add_argument("--start", default=None, help="first date (YYYY-MM-DD)")
    p.add_argument("--end", default=None, help="last date, inclusive (YYYY-MM-DD)")
    p.add_argument("--snapshot", default=None, help="snapshot directory (overrides RESEARCH_LIB_SNAPSHOT)")
    p.add_argument("--offline", action="store_true", default=None, help="never touch the network")

    def run(args: argparse.Namespace) -> int:
        from research_lib.data.report import data_report
        from research_lib.spec import strict_date

        # the same strict ISO dates as every other entry point (01/02/2025 is ambiguous)
        start = None if args.start is None else strict_date("--start", args.start)
        end = None if args.end is None else strict_date("--end", args.end)
        print(data_report(args.symbols, start=start, end=end, snapshot=args.snapshot, offline=args.offline))
        return 0

    p.set_defaults(handler=run)


def _add_scale_options(p: argparse.ArgumentParser) -> None:
    """How a large study runs (research_lib.engine.chunks / .distributed); the numbers do not change."""
    g = p.add_argument_group("large studies")
    g.add_argument("--chunk-size", type=int, default=None, metavar="N",
                   help="fit the events in chunks of N (sorted by date): memory set by N, same results")
    where = g.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=None, metavar="N",
                       help="run the chunks on a local Dask cluster of N processes (needs the 'scale' extra)")
    where.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="run the chunks on the Dask scheduler at ADDRESS, e.g. tcp://10.0.0.5:8786")


def _add_study(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("study", help="run an event study from an events CSV")
    p.add_argument("events", help="CSV with event_id,symbol,benchmark and event_date or announced_at")
    p.add_argument("--estimation-window", nargs=2, type=int, metavar=("A", "B"), default=(-250, -11))
    p.add_argument("--event-window", nargs=2, type=int, metavar=("A", "B"), default=(-10, 10))
    p.add_argument("--car-window", nargs=2, type=int, metavar=("A", "B"), action="append", default=None)
    from research_lib.models.registry import model_names  # the choices are the registered models

    p.add_argument("--model", default="market", choices=model_names(), help="normal-return model: %(choices)s")
    p.add_argument("--min-estimation", type=int, default=120, help="minimum valid estimation returns")
    p.add_argument("--conventions", default="textbook", help="textbook, estudy2 or eventstudy")
    p.add_argument("--returns", choices=("simple", "log"), default="simple")
    p.add_argument("--exclude-date", action="append", default=None, metavar="YYYY-MM-DD",
                   help="leave this session's returns out of every estimation sample (repeatable)")
    p.add_argument("--snapshot", default=None, help="snapshot directory (overrides RESEARCH_LIB_SNAPSHOT)")
    p.add_argument("--offline", action="store_true", default=None, help="never touch the network")
    p.add_argument(
        "--prices", action="append", default=None, metavar="PATH",
        help="wide CSV of adjusted closes (date,SYM1,SYM2,...) to use instead of the data layer; repeatable",
    )
    p.add_argument(
        "--tests", nargs="+", default=None, metavar="NAME",
        help="tests to run per CAR window: 'all' (standard battery plus clm_j1, clm_j2, brown_warner_1980, lamb, "
        "corrado_zivney, modified_rank) or test names; default: the standard battery",
    )
    p.add_argument("--bhar-benchmark", choices=("model", "benchmark"), default="model",
                   help="expected return the BHAR compounds: the model's normal return or the benchmark's return")
    p.add_argument("--on-suspect", choices=("warn", "exclude", "ignore"), default="warn",
                   help="events whose windows hold a price the screen flags (split-like jump, spike, stale run): %(choices)s")
    p.add_argument("--measure", choices=("returns", "volume", "range"), default="returns",
                   help="what ar/car hold: returns, abnormal log volume (--model constant_mean or market) or "
                   "abnormal log range variance (--model constant_mean)")
    p.add_argument("--range-estimator", choices=("parkinson", "garman_klass"), default="parkinson",
                   help="daily range variance for --measure range")
    p.add_argument("--n-resamples", type=int, default=999, help="resamples of the tests wild_bootstrap, "
                   "placebo_permutation, lbt_bootstrap (given with --tests)")
    p.add_argument("--seed", type=int, default=0, help="seed of the resampling tests")
    p.add_argument("--json", default=None, metavar="PATH", help="write the results as JSON")
    _add_scale_options(p)
    from research_lib.cli.user_options import add_user_options

    add_user_options(p)

    def run(args: argparse.Namespace) -> int:
        from research_lib.cli.study import study_from_cli

        return study_from_cli(args)

    p.set_defaults(handler=run)


def _add_reproduce(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reproduce", help="execute the numbered notebooks into reports/")
    p.add_argument("--notebooks", default=None, help="folder of the notebooks (default: the project's notebooks/)")
    p.add_argument("--output", default=None, help="report folder (default: reports/ beside notebooks/)")
    p.add_argument("--only", nargs="*", default=None, help="run only notebooks whose name starts with these prefixes")
    p.add_argument("--timeout", type=int, default=1200, help="per-cell timeout in seconds")
    p.add_argument("--jobs", type=int, default=None,
                   help="notebooks run at a time, each on its own kernel (default: 2 on a machine with 2+ cores, else 1)")

    def run(args: argparse.Namespace) -> int:
        from research_lib.runner.reproduce import reproduce_from_cli

        return reproduce_from_cli(args)

    p.set_defaults(handler=run)


def _add_docs(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("docs", help="build the documentation site offline into docs/_build/html")
    p.add_argument("--output", default=None, help="HTML folder (default: docs/_build/html)")
    p.add_argument("--reports", default=None, help="executed notebooks to render (default: reports/)")
    p.add_argument("--no-reproduce", action="store_true",
                   help="fail instead of running reproduce when there are no reports")

    def run(args: argparse.Namespace) -> int:
        from research_lib.runner.docs import docs_from_cli

        return docs_from_cli(args)

    p.set_defaults(handler=run)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``research-lib``."""
    parser = argparse.ArgumentParser(prog="research-lib", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (_add_data_report, _add_study, _add_reproduce, _add_docs):
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.handler(args) or 0)
    except (ResearchLibError, OSError, ValueError) as exc:
        if args.debug:
            raise
        # one line: multi-line messages (several bad rows) are joined
        text = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        print(f"research-lib {args.command}: error: {text}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
