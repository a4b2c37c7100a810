"""Importing the package, its plotting palette, its listings or the reproduce runner pulls in no heavy library.

The heavy ones (scipy.stats, statsmodels, matplotlib, arch, dask) load where they are used; each notebook's
import cell then costs what that notebook needs (``research-lib reproduce`` prints the import cell's time).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("scipy.stats", "statsmodels", "matplotlib", "arch", "dask", "distributed", "yfinance")


def _loaded_after(statement: str, names: tuple[str, ...]) -> list[str]:
    code = f"import sys\n{statement}\nprint(' '.join(n for n in {names!r} if n in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True).stdout
    return out.split()


@pytest.mark.parametrize("statement", [
    "import research_lib",
    "from research_lib.plotting import PALETTE, MAIN, legend_below",
    "from research_lib.listings import day_zero, sessions",
    "from research_lib.runner import numbered_notebooks",
])
def test_import_loads_no_heavy_library(statement: str) -> None:
    assert _loaded_after(statement, HEAVY) == []


def test_reproduce_runner_does_not_import_pandas_before_a_kernel_starts() -> None:
    assert _loaded_after("import research_lib.runner.reproduce", ("pandas", *HEAVY)) == []

