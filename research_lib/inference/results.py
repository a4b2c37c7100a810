"""Test results that carry their reference distribution.

Every test of the battery returns a :class:`Statistic` (arrays, with an
optional leading samples axis, used by the simulator) which
:class:`TestResult` freezes for one sample.  Both hold a *frozen* scipy
distribution (``scipy.stats.t(df)``, ``scipy.stats.norm()``,
``scipy.stats.binom(n, p)``, the exact signed-rank distribution, ...), so the
p-value of any alternative and the critical values come from one object.

Conventions
-----------
- ``"greater"``: P(X >= x) under H0; ``"less"``: P(X <= x).  For a discrete
  (integer-valued) distribution P(X >= x) = sf(x - 1).
- ``"two-sided"``: min(1, 2 min(P(X <= x), P(X >= x))), the equal-tails
  ("doubling") p-value.  For a symmetric continuous distribution this is
  2 P(X >= |x|); for the binomial with p = 1/2 it equals
  ``scipy.stats.binomtest``'s two-sided p-value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy import stats

from research_lib.errors import InvalidRequestError

Alternative = Literal["two-sided", "greater", "less"]
ALTERNATIVES: tuple[str, ...] = ("two-sided", "greater", "less")


def _is_discrete(dist: Any) -> bool:
    return isinstance(getattr(dist, "dist", None), stats.rv_discrete)


def _check_alternative(alternative: str) -> None:
    if alternative not in ALTERNATIVES:
        raise InvalidRequestError(f"alternative {alternative!r} is not one of {ALTERNATIVES}")


def pvalues(stat: np.ndarray | float, dist: Any, alternative: str = "two-sided") -> np.ndarray:
    """p-values of ``stat`` under the frozen distribution ``dist`` (nan where ``stat`` is nan).

    Parameters
    ----------
    stat
        statistics, any shape broadcasting with the distribution's parameters.
    dist
        a frozen scipy distribution (continuous or integer-valued discrete).
    alternative
        ``"two-sided"``, ``"greater"`` or ``"less"`` (see the module notes).

    Examples
    --------
    >>> from scipy import stats
    >>> from research_lib.inference import pvalues
    >>> [round(float(p), 4) for p in pvalues([1.96, -1.0], stats.norm())]
    [0.05, 0.3173]
    >>> round(float(pvalues(2.0, stats.t(10), "greater")), 4)
    0.0367
    """
    _check_alternative(alternative)
    x = np.asarray(stat, dtype=float)
    if dist is None:
        return np.full(x.shape, np.nan)
    with np.errstate(invalid="ignore"):
        less = np.asarray(dist.cdf(x), dtype=float)
        greater = np.asarray(dist.sf(x - 1.0) if _is_discrete(dist) else dist.sf(x), dtype=float)
        if alternative == "less":
            out = less
        elif alternative == "greater":
            out = greater
        else:
            out = np.minimum(1.0, 2.0 * np.minimum(less, greater))
    return np.where(np.isfinite(x), out, np.nan)


def critical_values(dist: Any, level: float, alternative: str = "two-sided") -> np.ndarray:
    """Critical value c of a test at ``level``.

    ``"greater"``: reject when X >= c, the smallest c with P(X >= c) <= level;
    ``"less"``: reject when X <= c, the largest c with P(X <= c) <= level;
    ``"two-sided"``: the upper c of the equal-tails region, P(X >= c) <= level / 2
    (for a symmetric distribution about 0 the lower one is -c).

    Examples
    --------
    >>> from scipy import stats
    >>> from research_lib.inference import critical_values
    >>> round(float(critical_values(stats.norm(), 0.05)), 3)  # level: the size of the test
    1.96
    """
    _check_alternative(alternative)
    if not 0.0 < level < 1.0:
        raise InvalidRequestError(f"level={level} must be in (0, 1), e.g. 0.05")
    if dist is None:
        return np.asarray(np.nan)
    tail = level / 2.0 if alternative == "two-sided" else level
    if alternative == "less":
        c = np.asarray(dist.ppf(tail), dtype=float)
        if _is_discrete(dist):  # ppf is the smallest k with P(X <= k) >= tail; step back if it exceeds
            c = np.where(np.asarray(dist.cdf(c)) > tail, c - 1.0, c)
        return c
    c = np.asarray(dist.isf(tail), dtype=float)  # discrete: smallest k with P(X > k) <= tail
    return c + 1.0 if _is_discrete(dist) else c


@dataclass(frozen=True)
class Statistic:
    """A test statistic over arrays: what every battery function returns.

    Attributes
    ----------
    stat
        statistic, shape (...) (one value per sample; 0-d for one sample); nan
        where not computable.
    dist
        frozen scipy null distribution whose parameters broadcast with ``stat``.
    n
        events that entered the statistic, shape (...).
    label
        the distribution in words, e.g. ``"t(239)"``, ``"N(0,1)"``, ``"exact"``.
    note
        why a (0-d) statistic is nan or how it was computed, if notable.
    """

    stat: np.ndarray
    dist: Any
    n: np.ndarray
    label: str
    note: str = ""

    def pvalue_for(self, alternative: str = "two-sided") -> np.ndarray:
        """p-values for ``alternative`` (``"two-sided"``, ``"greater"``, ``"less"``)."""
        return pvalues(self.stat, self.dist, alternative)


@dataclass(frozen=True)
class TestResult:
    """One test statistic with its null distribution.

    Attributes
    ----------
    name
        test name (one of ``ALL_TEST_NAMES`` or the exact sign tests).
    stat
        the statistic (``nan`` if it cannot be computed; see ``note``).
    pvalue
        two-sided p-value (see :func:`pvalues`).
    null
        the null hypothesis in words.
    distribution
        the reference distribution as text, e.g. ``"t(239)"``, ``"N(0,1)"``, ``"exact"``.
    df
        degrees of freedom of a t distribution, else ``None``.
    n
        number of events that entered the statistic.
    note
        why the statistic is ``nan`` or how it was computed, if notable.
    dist
        the frozen scipy distribution (``None`` if there is none); not part of equality.

    Examples
    --------
    >>> from research_lib.examples import example_result
    >>> r = example_result().tests["0,0"]["patell"]
    >>> r.name, r.distribution, r.n
    ('patell', 'N(0,1)', 5)
    >>> round(r.stat, 2), r.pvalue < 1e-6
    (8.58, True)
    """

    __test__ = False  # not a pytest test class

    name: str
    stat: float
    pvalue: float
    null: str
    distribution: str
    df: float | None = None
    n: int = 0
    note: str = ""
    dist: Any = field(default=None, compare=False, repr=False)

    @classmethod
    def from_statistic(cls, name: str, null: str, st: Statistic) -> TestResult:
        """Freeze a 0-d :class:`Statistic` (one sample) into a result."""
        stat = float(st.stat)
        dist = st.dist
        df: float | None = None
        if dist is not None and getattr(dist.dist, "name", "") == "t":
            df_val = float(np.asarray(dist.kwds.get("df", dist.args[0] if dist.args else np.nan)))
            df = df_val if np.isfinite(df_val) and df_val > 0 else None
        p = float(pvalues(stat, dist)) if np.isfinite(stat) else float("nan")
        label = st.label
        if label == "t" and df is not None and np.isfinite(stat):
            label = f"t({df:g})"
        note = st.note or ("" if np.isfinite(stat) else "not computable")
        return cls(name, stat, p, null, label, df if np.isfinite(stat) else None, int(st.n), note, dist)

    def pvalue_for(self, alternative: str = "two-sided") -> float:
        """p-value for ``"two-sided"`` (= ``pvalue``), ``"greater"`` (P(X >= stat)) or ``"less"``."""
        return float(pvalues(self.stat, self.dist, alternative))

    def critical_value(self, level: float = 0.05, alternative: str = "two-sided") -> float:
        """Critical value at ``level`` (see :func:`critical_values`)."""
        return float(critical_values(self.dist, level, alternative))

    def __str__(self) -> str:
        text = f"{self.name}: stat = {self.stat:.4f}, p = {self.pvalue:.4f} [{self.distribution}, N = {self.n}]; H0: {self.null}"
        return text + (f" ({self.note})" if self.note else "")


__all__ = ["ALTERNATIVES", "Alternative", "Statistic", "TestResult", "critical_values", "pvalues"]
