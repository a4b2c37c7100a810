"""``research-lib study``: read the options, run :func:`research_lib.study.event_study`, print and write.

Only this module (and the rest of :mod:`research_lib.cli`) prints; the library logs.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from pathlib import Path

from research_lib.errors import InvalidRequestError
from research_lib.spec import StudySpec
from research_lib.study import event_study, read_price_table

__all__ = ["check_writable", "spec_from_args", "study_from_cli", "write_json"]


def check_writable(target: str) -> Path:
    """Refuse a --json target that cannot be written, before the study runs; return it as a Path."""
    if not target.strip():
        raise InvalidRequestError("--json was given an empty path; give a file name such as results.json")
    out = Path(target)
    folder = out.parent if str(out.parent) else Path(".")
    if out.is_dir() or not folder.is_dir() or not os.access(folder, os.W_OK):
        why = "is a folder" if out.is_dir() else f"its folder {folder} does not exist or is not writable"
        raise InvalidRequestError(f"cannot write --json {out}: {why}; choose a writable file path")
    return out


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
    )


def write_json(out: Path, payload: dict[str, object]) -> None:
    """Write ``payload`` to ``out`` through the package's safe writer when there is one, else atomically."""
    text = json.dumps(payload, indent=2)
    try:
        writer = importlib.import_module("research_lib.outputs").write_text
    except (ImportError, AttributeError):  # no safe writer in this tree: write a temporary file, then rename
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(text)
        os.replace(tmp, out)
    else:
        writer(out, text)


def study_from_cli(args: argparse.Namespace) -> int:
    """Handler of ``research-lib study``: print the summary, optionally write JSON."""
    path = Path(args.events)
    if args.json is not None:
        check_writable(args.json)
    if not path.is_file():
        raise FileNotFoundError(f"events file {path} not found; pass a CSV with event_id,symbol,benchmark,event_date|announced_at")
    spec = spec_from_args(args)
    prices = read_price_table(args.prices) if getattr(args, "prices", None) else None
    res = event_study(path, spec, snapshot=args.snapshot, offline=args.offline, prices=prices)
    print(res.summary())
    if args.json is not None:
        out = Path(args.json)
        write_json(out, res.to_json_dict())
        print(f"wrote {out}")
    sys.stdout.flush()
    return 0
