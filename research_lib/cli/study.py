"""``research-lib study``: read the options, run :func:`research_lib.study.event_study`, print and write.

Only this module (and the rest of :mod:`research_lib.cli`) prints; the library logs.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from research_lib.cli.user_options import after_study, check_out, study_kwargs
from research_lib.events.reader import check_events_path
from research_lib.outputs import resolve_target, write_json
from research_lib.spec import StudySpec
from research_lib.study import event_study, read_price_table

__all__ = ["check_writable", "spec_from_args", "study_from_cli"]


def _inputs(args: argparse.Namespace) -> list[str]:
    """The files the study reads: an output may never replace one of them."""
    prices = getattr(args, "prices", None)
    listed = [] if prices is None else [prices] if isinstance(prices, str | os.PathLike) else list(prices)
    return [str(args.events), *(str(p) for p in listed)]


def check_writable(target: str, inputs: list[str] | None = None) -> Path:
    """Refuse a --json target that cannot be written safely, before the study runs (see research_lib.outputs)."""
    return resolve_target(target, inputs=inputs or (), what="--json")


def spec_from_args(args: argparse.Namespace) -> StudySpec:
    """The study design given on the command line (validated like every other entry point)."""
    return StudySpec(
        estimation_window=tuple(args.estimation_window),
        event_window=tuple(args.event_window),
        car_windows=args.car_window,
        model=args.model,
        min_estimation=args.min_estimation,
        conventions=args.conventions,
        returns=args.returns,
        exclude_dates=tuple(args.exclude_date or ()),
        tests=getattr(args, "tests", None),
        bhar_benchmark=getattr(args, "bhar_benchmark", "model"),
        on_suspect=getattr(args, "on_suspect", "warn"),
        measure=getattr(args, "measure", "returns"),
        range_estimator=getattr(args, "range_estimator", "parkinson"),
        n_resamples=getattr(args, "n_resamples", 999),
        seed=getattr(args, "seed", 0),
    )


def _scale_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """--chunk-size, --workers, --scheduler as event_study keywords (only those given)."""
    names = {"chunk_size": "chunk_size", "workers": "workers", "scheduler": "scheduler"}
    return {k: getattr(args, a) for k, a in names.items() if getattr(args, a, None) is not None}


def study_from_cli(args: argparse.Namespace) -> int:
    """Handler of ``research-lib study``: print the summary, optionally write JSON."""
    inputs = _inputs(args)
    if args.json is not None:
        check_writable(args.json, inputs)
    path = check_events_path(args.events)  # missing, a folder or '-': say which
    check_out(args)  # an --out folder holding other files is refused before the study runs
    spec = spec_from_args(args)
    prices = read_price_table(args.prices) if getattr(args, "prices", None) else None
    res = event_study(path, spec, snapshot=args.snapshot, offline=args.offline, prices=prices, **study_kwargs(args),
                      **_scale_kwargs(args))
    print(res.summary())
    for line in after_study(res, args):
        print(line)
    if args.json is not None:
        # the --json keys, plus schema_version, the dates of each event day, the attrition and the user's columns
        print(f"wrote {write_json(args.json, res.to_results_json(), inputs=inputs)}")
    sys.stdout.flush()
    return 0
