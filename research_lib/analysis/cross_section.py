"""Cross-sectional regressions of CARs on event characteristics (statsmodels formulas).

``result.cross_section("car[-1,1] ~ amount_usd_bn + C(region)", cov_type="HC1")``
regresses each event's CAR over a window on columns of the per-event table
(``result.to_frame()``, which carries every column of the events file) and
returns the statsmodels results object (``summary()``, ``summary2().as_latex()``,
``predict`` ...).

How CAR columns are written in a formula
----------------------------------------
The per-event table names them ``car[a,b]``, ``se[a,b]``, ``t[a,b]``, ``p[a,b]``.
Write them so in the formula: each is replaced by a safe name before the formula
is parsed, ``car[-1,1]`` -> ``car_m1_1``, ``car[0,5]`` -> ``car_0_5``
(``m`` for a minus sign); the safe names can also be written directly.  Other
columns are used by their names (``Q("my col")`` for a name with spaces).

Errors: ``cov_type`` is any of statsmodels' (``"nonrobust"``, ``"HC0"``-``"HC3"``);
``cluster="column"`` gives errors clustered by that column (``cov_type="cluster"``);
``weights="inverse_variance"`` fits WLS with weights 1 / se_i^2 of the dependent
CAR (each event's prediction-error variance of its CAR, Campbell, Lo and
MacKinlay 1997, sec. 4.4.3), which down-weights noisy events.

References
----------
MacKinlay, A. C. (1997), JEL 35, 13-39, sec. 7 (cross-sectional models).
Karafiath, I. (1994), "On the efficiency of least squares regression with security abnormal returns as
the dependent variable", JFQA 29, 279-300 (WLS with the CAR variances).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from research_lib.errors import InvalidRequestError

if TYPE_CHECKING:
    from research_lib.results import EventStudyResult

__all__ = ["cross_section", "safe_name", "safe_formula"]

_CAR = re.compile(r"\b(car|se|t|p)\[\s*(-?\d+)\s*,\s*(-?\d+)\s*\]")


def safe_name(column: str) -> str:
    """The formula name of a per-event column (``car[-1,1]`` -> ``car_m1_1``; others unchanged)."""
    return _CAR.sub(lambda m: f"{m.group(1)}_{m.group(2).replace('-', 'm')}_{m.group(3).replace('-', 'm')}", column)


def safe_formula(formula: str) -> str:
    """The formula with every ``car[a,b]`` (and ``se``, ``t``, ``p``) written as its safe name."""
    return safe_name(formula)


def cross_section(
    result: EventStudyResult,
    formula: str,
    *,
    cov_type: str = "HC1",
    cluster: str | None = None,
    weights: str | None = None,
) -> Any:
    """Fit ``formula`` on the per-event table by OLS (or WLS); return the statsmodels results.

    Raises
    ------
    InvalidRequestError
        If the formula names a column the per-event table lacks (the message lists the
        columns), ``cluster`` is not a column, or ``weights`` is not ``"inverse_variance"``.

    Examples
    --------
    >>> from research_lib import event_study
    >>> from research_lib.analysis import cross_section
    >>> from research_lib.examples import example_events, example_prices
    >>> ev = example_events().assign(size_bn=[1.0, 2.5, 0.8, 3.0, 1.7])
    >>> res = event_study(ev, prices=example_prices(), car_windows=[(-1, 1)])
    >>> fit = cross_section(res, "car[-1,1] ~ size_bn", cov_type="HC1")
    >>> fit.model.endog_names, int(fit.nobs)
    ('car_m1_1', 5)
    """
    import statsmodels.formula.api as smf

    frame = result.to_frame()
    frame.columns = [safe_name(str(c)) for c in frame.columns]
    f = safe_formula(formula)
    lhs = f.split("~", 1)[0].strip()
    _check_names(f, frame, formula)
    kw: dict[str, Any] = {"cov_type": cov_type}
    if cluster is not None:
        if cluster not in frame.columns:
            raise InvalidRequestError(f"cluster column {cluster!r} is not in the per-event table; use one of {list(frame.columns)}")
        kw = {"cov_type": "cluster", "cov_kwds": {"groups": pd.factorize(frame[cluster])[0]}}
    if weights is None:
        model = smf.ols(f, data=frame)
    elif weights == "inverse_variance":
        se_col = lhs.replace("car_", "se_", 1)
        if not lhs.startswith("car_") or se_col not in frame.columns:
            raise InvalidRequestError(f"weights='inverse_variance' needs a CAR window as the dependent variable (car[a,b]); got {lhs!r}")
        model = smf.wls(f, data=frame, weights=1.0 / frame[se_col].to_numpy(dtype=float) ** 2)
    else:
        raise InvalidRequestError(f"weights={weights!r}: use None (OLS) or 'inverse_variance' (WLS by 1/se^2)")
    return model.fit(**kw)


_FUNCS = {"C", "Q", "I", "np", "log", "exp", "sqrt", "center", "standardize", "scale", "Treatment", "Sum", "Diff",
          "Poly", "Helmert", "bs", "cr", "cc", "te"}


def _check_names(f: str, frame: pd.DataFrame, original: str) -> None:
    """Every bare name in the formula must be a column (or a formula function)."""
    stripped = re.sub(r"Q\(\s*(['\"])(.*?)\1\s*\)", lambda m: "" if m.group(2) in frame.columns else f"@@{m.group(2)}@@", f)
    quoted = re.findall(r"@@(.*?)@@", stripped)
    stripped = re.sub(r"(['\"]).*?\1", "", stripped)  # string literals (C(x, Treatment('a')))
    names = set(re.findall(r"(?<![\w.])([A-Za-z_]\w*)(?![\w])", stripped)) - _FUNCS
    unknown = sorted(n for n in names if n not in frame.columns and not n.startswith("np")) + quoted
    unknown = [n for n in unknown if not _is_number_word(n)]
    if unknown:
        usable = [c for c in frame.columns if not c.startswith(("se_", "t_", "p_"))]
        raise InvalidRequestError(
            f"formula {original!r} names column(s) {unknown} that the per-event table lacks; use one of {usable} "
            "(CAR windows as car[a,b], e.g. car[-1,1])"
        )


def _is_number_word(name: str) -> bool:
    return name in ("True", "False", "None") or bool(np.char.isnumeric(name))
