"""Subgroups of one event study: split the events without refitting anything.

A study is run once (:func:`research_lib.study.event_study`); the
normal-return model of each event is fitted on that event's own estimation
window, so the abnormal returns of a subset of events are just the rows of
the full arrays.  :func:`select_events` takes those rows (an
:class:`~research_lib.engine.panel.AbnormalReturns` of the subset) and the test
battery (:class:`~research_lib.inference.battery.TestBattery`) is run on it.  Tests
that use the cross-section (BMP, the Kolari-Pynnönen mean correlation r,
ranks pooled across events) are recomputed on the subgroup's own events,
as they would be in a separate study of that subgroup.

Functions
---------
:func:`select_events`   rows of an AbnormalReturns (boolean mask or event ids)
:func:`subgroup_table`  CAAR and a few tests per group, for several CAR windows
:func:`with_without`    all events / without the flagged ones / flagged only
:func:`group_difference`  do the groups' mean CARs differ? (Welch t or Kruskal-Wallis)
:func:`median_split`    labels "above"/"below" the median of a numeric column
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from research_lib.engine.panel import AbnormalReturns
from research_lib.errors import InvalidRequestError
from research_lib.inference.battery import TestBattery

if TYPE_CHECKING:
    from research_lib.results import EventStudyResult

__all__ = [
    "DEFAULT_GROUP_TESTS",
    "DIFFERENCE_NULLS",
    "GroupComparison",
    "compare_groups",
    "group_difference",
    "median_split",
    "select_events",
    "subgroup_table",
    "with_without",
]

#: Tests reported per subgroup by default: the plain cross-sectional t, BMP
#: (robust to event-induced variance), BMP adjusted for cross-correlation
#: (Kolari and Pynnönen 2010) and the generalised sign test (Cowan 1992).
DEFAULT_GROUP_TESTS: tuple[str, ...] = ("t_cross_sectional", "bmp", "bmp_kp", "generalized_sign")

#: Per-event arrays of AbnormalReturns (leading dimension N).
_PER_EVENT = ("params", "n_est", "sigma2", "df", "est_resid", "ar", "ar_var", "xtx_inv", "x_evt_design")

Window = tuple[int, int]


def _abnormal(source: EventStudyResult | AbnormalReturns) -> AbnormalReturns:
    return source if isinstance(source, AbnormalReturns) else source.abnormal


def _mask(ab: AbnormalReturns, which: np.ndarray | Sequence[bool] | Iterable[str]) -> np.ndarray:
    """Boolean mask over the events of ``ab`` from a mask or a collection of event ids."""
    ids = np.asarray(ab.panel.event_ids).astype(str)
    arr = np.asarray(which if isinstance(which, np.ndarray | pd.Series) else list(which))
    if arr.dtype == bool:
        mask = arr
        if mask.shape != ids.shape:
            raise InvalidRequestError(
                f"the mask has {mask.size} entries but the study has {ids.size} events; "
                "build it over result.abnormal.panel.event_ids (or pass event ids instead)"
            )
        return mask
    wanted = [str(w) for w in arr]
    unknown = sorted(set(wanted) - set(ids))
    if unknown:
        raise InvalidRequestError(
            f"event id(s) {unknown[:5]} are not among the study's included events; "
            "check result.excluded, or select from result.events['event_id']"
        )
    return np.isin(ids, wanted)


def select_events(
    ab: EventStudyResult | AbnormalReturns, which: np.ndarray | Sequence[bool] | Iterable[str]
) -> AbnormalReturns:
    """The abnormal returns of a subset of the events, without refitting.

    Parameters
    ----------
    ab
        An :class:`AbnormalReturns` or an :class:`EventStudyResult` (its ``abnormal``).
    which
        A boolean mask over ``ab.panel.event_ids`` or an iterable of event ids.

    Returns
    -------
    AbnormalReturns
        The same model output restricted to the selected events (panel
        included, via :meth:`EventPanel.select`), in the original order.

    Raises
    ------
    InvalidRequestError
        If the mask has the wrong length, an id is unknown, or nothing is selected.

    Notes
    -----
    Each event's coefficients, residual variance and abnormal returns depend
    only on that event's own data, so selecting rows gives exactly what a
    separate fit of the subset would give (checked in ``tests/test_groups.py``).

    Examples
    --------
    >>> from research_lib.analysis import select_events
    >>> from research_lib.examples import example_result
    >>> sub = select_events(example_result(), ["exa_0", "exc_0"])
    >>> list(sub.panel.event_ids)
    ['exa_0', 'exc_0']
    """
    ab = _abnormal(ab)
    mask = _mask(ab, which)
    if not mask.any():
        raise InvalidRequestError("the selection contains no event; check the mask or the event ids")
    kw = {name: getattr(ab, name)[mask] for name in _PER_EVENT}
    return replace(ab, panel=ab.panel.select(mask), **kw)


def _labels_on(ab: AbnormalReturns, labels: pd.Series | Mapping[str, object]) -> pd.Series:
    """Group label of every included event (NaN where none is given)."""
    lab = pd.Series(labels) if not isinstance(labels, pd.Series) else labels
    if lab.index.has_duplicates:
        raise InvalidRequestError("labels are indexed by event_id and must be unique per event; drop duplicates")
    ids = pd.Index(np.asarray(ab.panel.event_ids).astype(str))
    lab.index = lab.index.astype(str)
    if not ids.isin(lab.index).any():
        raise InvalidRequestError(
            "no included event has a label; index the labels by the study's event_id "
            "(e.g. events.set_index('event_id')['type'])"
        )
    return lab.reindex(ids)


def _windows(ab: AbnormalReturns, windows: Iterable[Sequence[int]] | None) -> list[Window]:
    if windows is None:
        return [(0, 0), (0, 1), (-1, 1)]
    return [(int(w[0]), int(w[1])) for w in windows]


def _group_rows(ab: AbnormalReturns, name: str, windows: list[Window], tests: Sequence[str]) -> list[dict[str, object]]:
    battery = TestBattery(ab)
    rows = []
    for a, b in windows:
        car, _ = ab.car(a, b)
        ok = np.isfinite(car)
        row: dict[str, object] = {
            "group": name,
            "window": f"[{a},{b}]",
            "n": int(ok.sum()),
            "caar": float(car[ok].mean()) if ok.any() else float("nan"),
            "median_car": float(np.median(car[ok])) if ok.any() else float("nan"),
            "share_positive": float(np.mean(car[ok] > 0)) if ok.any() else float("nan"),
        }
        for tname, res in battery.window(a, b, tests).items():
            row[f"{tname}"] = res.stat
            row[f"{tname}_p"] = res.pvalue
        row["r"] = battery.correlation(a, b)  # the Kolari-Pynnönen r of this CAR window
        rows.append(row)
    return rows


def subgroup_table(
    result: EventStudyResult | AbnormalReturns,
    labels: pd.Series | Mapping[str, object],
    windows: Iterable[Sequence[int]] | None = None,
    tests: Sequence[str] = DEFAULT_GROUP_TESTS,
    include_all: bool = True,
    order: Sequence[object] | None = None,
) -> pd.DataFrame:
    """CAAR and a few tests for each group of events, from one fitted study.

    Parameters
    ----------
    result
        The study (or its ``abnormal``).
    labels
        Group label per event, indexed by ``event_id`` (a Series or a dict).
        Events without a label (NaN/None) enter only the "all events" row.
    windows
        CAR windows [a, b] (default [0,0], [0,+1], [-1,+1]); each inside the event window.
    tests
        Names from :data:`research_lib.inference.battery.ALL_TEST_NAMES`.
    include_all
        Add an ``"all events"`` group first.
    order
        Order of the groups (default: sorted labels).

    Returns
    -------
    pandas.DataFrame
        One row per group and window: ``group, window, n, caar, median_car,
        share_positive``, then ``<test>`` (statistic) and ``<test>_p``
        (two-sided p-value) for each test, and ``r`` (the Kolari-Pynnönen mean
        cross-correlation of the group's estimation residuals).  A group with
        one event gets ``nan`` for the cross-sectional tests (with no error).

    Notes
    -----
    CAAR_g = (1/N_g) sum_{i in g} CAR_i.  The tests are those of
    :class:`research_lib.inference.battery.TestBattery`, computed on the subgroup's
    own abnormal returns (:func:`select_events`): the cross-sectional
    standard deviations, the generalised-sign p-hat and r are the subgroup's.

    References
    ----------
    Boehmer, E., Musumeci, J. and Poulsen, A. B. (1991). JFE 30, 253-272.
    Cowan, A. R. (1992). Review of Quantitative Finance and Accounting 2, 343-358.
    Kolari, J. W. and Pynnönen, S. (2010). RFS 23, 3996-4025.
    MacKinlay, A. C. (1997). JEL 35, 13-39 (section 7, cross-sectional models and subsamples).

    Examples
    --------
    >>> from research_lib.analysis import subgroup_table
    >>> from research_lib.examples import example_result
    >>> labels = {"exa_0": "tech", "exb_0": "tech", "exc_0": "energy", "exd_0": "energy", "exe_0": "tech"}
    >>> t = subgroup_table(example_result(), labels, windows=[(0, 0)])
    >>> t[["group", "n"]].values.tolist()
    [['all events', 5], ['energy', 2], ['tech', 3]]
    """
    ab = _abnormal(result)
    lab = _labels_on(ab, labels)
    wins = _windows(ab, windows)
    groups = list(order) if order is not None else sorted(lab.dropna().unique(), key=str)
    rows: list[dict[str, object]] = []
    if include_all:
        rows += _group_rows(ab, "all events", wins, tests)
    for g in groups:
        mask = (lab == g).to_numpy()
        if not mask.any():
            continue
        rows += _group_rows(select_events(ab, mask), str(g), wins, tests)
    return pd.DataFrame(rows)


def with_without(
    result: EventStudyResult | AbnormalReturns,
    flagged: np.ndarray | Sequence[bool] | Iterable[str] | pd.Series,
    windows: Iterable[Sequence[int]] | None = None,
    tests: Sequence[str] = DEFAULT_GROUP_TESTS,
    name: str = "flagged",
) -> pd.DataFrame:
    """The study with all events, without the flagged events, and the flagged events alone.

    Parameters
    ----------
    result
        The study (or its ``abnormal``).
    flagged
        Boolean Series indexed by ``event_id`` (e.g.
        ``events.set_index("event_id")["confounded_earnings"]``), a boolean
        mask over the included events, or the flagged event ids.
    windows, tests
        As in :func:`subgroup_table`.
    name
        Word used in the group names (``"without flagged"``, ``"flagged only"``).

    Returns
    -------
    pandas.DataFrame
        As :func:`subgroup_table`, groups ``"all events"``, ``"without <name>"``
        and ``"<name> only"``.

    Examples
    --------
    >>> from research_lib.analysis import with_without
    >>> from research_lib.examples import example_result
    >>> t = with_without(example_result(), ["exe_0"], windows=[(0, 0)])
    >>> t.iloc[:, 0].tolist()
    ['all events', 'without flagged', 'flagged only']
    """
    ab = _abnormal(result)
    if isinstance(flagged, pd.Series) and flagged.dtype == bool and not isinstance(flagged.index, pd.RangeIndex):
        lab = _labels_on(ab, flagged).fillna(False).astype(bool)
        mask = lab.to_numpy()
    else:
        mask = _mask(ab, flagged)
    labels = pd.Series(np.where(mask, f"{name} only", f"without {name}"), index=np.asarray(ab.panel.event_ids).astype(str))
    return subgroup_table(ab, labels, windows, tests, include_all=True, order=[f"without {name}", f"{name} only"])


def group_difference(
    result: EventStudyResult | AbnormalReturns,
    labels: pd.Series | Mapping[str, object],
    window: Sequence[int] = (-1, 1),
) -> dict[str, object]:
    """Do the mean CARs of the groups differ?

    Two groups: Welch's unequal-variance t test of CAAR_1 - CAAR_2; more
    groups: Welch's ANOVA is not in scipy, so the Kruskal-Wallis H test on
    the CARs (rank-based, no normality assumed) is reported.  Both are
    computed by scipy on the per-event CARs; events without a label are left out.

    Returns
    -------
    dict with ``test``, ``stat``, ``pvalue``, ``k`` (groups), ``n`` (events) and
    ``left_out`` (groups with fewer than two events with a CAR, not tested).

    References
    ----------
    Welch, B. L. (1947). Biometrika 34, 28-35.  Kruskal, W. H. and Wallis,
    W. A. (1952). JASA 47, 583-621.

    Examples
    --------
    >>> from research_lib.analysis import group_difference
    >>> from research_lib.examples import example_result
    >>> labels = {"exa_0": "tech", "exb_0": "tech", "exc_0": "energy", "exd_0": "energy", "exe_0": "tech"}
    >>> sorted(group_difference(example_result(), labels, window=(0, 0)))
    ['k', 'left_out', 'n', 'pvalue', 'stat', 'test']
    """
    ab = _abnormal(result)
    lab = _labels_on(ab, labels)
    car, _ = ab.car(int(window[0]), int(window[1]))
    frame = pd.DataFrame({"g": lab.to_numpy(), "car": car}).dropna()
    groups = {str(g): grp["car"].to_numpy() for g, grp in frame.groupby("g", sort=True)}
    left_out = [g for g, s in groups.items() if s.size < 2]
    samples = [s for s in groups.values() if s.size >= 2]
    if len(samples) < 2:
        raise InvalidRequestError("need at least two groups with two or more events each; merge small groups")
    if len(samples) == 2:
        res = stats.ttest_ind(samples[0], samples[1], equal_var=False)
        test = "welch_t"
    else:
        res = stats.kruskal(*samples)
        test = "kruskal_wallis"
    return {"test": test, "stat": float(res.statistic), "pvalue": float(res.pvalue), "k": len(samples),
            "n": int(sum(s.size for s in samples)), "left_out": left_out}


def median_split(values: pd.Series, above: str = "above median", below: str = "at or below median") -> pd.Series:
    """Label each value as above or at/below the median of the non-missing values (NaN stays NaN).

    The median is taken over the values passed: pass the values of the
    included events only (``values.reindex(result.events["event_id"])``) to
    split the studied sample in halves.

    Examples
    --------
    >>> import pandas as pd
    >>> from research_lib.analysis import median_split
    >>> median_split(pd.Series([1.0, 2.5, 0.8, 3.0, 1.7], index=list("abcde"))).tolist()
    ['at or below median', 'above median', 'at or below median', 'above median', 'at or below median']
    """
    v = pd.to_numeric(values, errors="coerce")
    med = float(np.nanmedian(v.to_numpy(dtype=float)))
    out = pd.Series(np.where(v > med, above, below), index=values.index, dtype=object)
    out[v.isna()] = np.nan
    out.attrs["median"] = med
    return out


# --------------------------------------------------------------------------- result.by(column)
#: the null hypothesis of each difference test, in words
DIFFERENCE_NULLS: dict[str, str] = {
    "welch_t": "the two groups' mean CARs are equal (Welch t, variances may differ)",
    "wilcoxon_rank_sum": (
        "a CAR drawn from one group is as likely to exceed one drawn from the other as the reverse "
        "(Wilcoxon-Mann-Whitney rank sum)"
    ),
}


@dataclass(frozen=True)
class GroupComparison:
    """Per-group CAAR with the test battery, and difference tests between groups.

    Attributes
    ----------
    column
        the events column that defines the groups.
    table
        :func:`subgroup_table` (one row per group and window).
    differences
        one row per pair of groups, window and test, with the columns
        ``group_a``, ``group_b``, ``window``, ``test``, ``n_a``, ``n_b``, ``diff``
        (mean CAR_a - mean CAR_b), ``stat``, ``p`` and ``null``.
    """

    column: str
    table: pd.DataFrame
    differences: pd.DataFrame

    def __str__(self) -> str:
        return (f"Groups by {self.column}\n{self.table.to_string(index=False)}\n\n"
                f"Differences\n{self.differences.drop(columns='null').to_string(index=False)}")

    def _repr_html_(self) -> str:
        return (f"<h5>Groups by {self.column}</h5>" + self.table.to_html(index=False)
                + "<h5>Differences between groups</h5>" + self.differences.to_html(index=False))


def _difference_rows(a: str, b: str, xa: np.ndarray, xb: np.ndarray, key: str) -> list[dict[str, object]]:
    """Welch t (scipy ttest_ind, equal_var=False) and the rank-sum test (scipy mannwhitneyu, two-sided)."""
    base = {"group_a": a, "group_b": b, "window": key, "n_a": int(xa.size), "n_b": int(xb.size),
            "diff": float(xa.mean() - xb.mean())}
    t = stats.ttest_ind(xa, xb, equal_var=False)
    u = stats.mannwhitneyu(xa, xb, alternative="two-sided")
    return [
        {**base, "test": "welch_t", "stat": float(t.statistic), "p": float(t.pvalue), "null": DIFFERENCE_NULLS["welch_t"]},
        {**base, "test": "wilcoxon_rank_sum", "stat": float(u.statistic), "p": float(u.pvalue),
         "null": DIFFERENCE_NULLS["wilcoxon_rank_sum"]},
    ]


def compare_groups(
    result: EventStudyResult,
    column: str,
    windows: Iterable[Sequence[int]] | None = None,
    tests: Sequence[str] = DEFAULT_GROUP_TESTS,
) -> GroupComparison:
    """``result.by(column)``: CAAR per group with the battery, and Welch / rank-sum differences.

    Parameters
    ----------
    result
        the study; ``column`` must be a column of ``result.events`` (an events column).
    windows
        CAR windows (default: the study's CAR windows).
    tests
        battery tests per group (:func:`subgroup_table`).

    Notes
    -----
    For every pair of groups with at least two events and every window, Welch's
    (1947) t = (mean_a - mean_b) / sqrt(s_a^2/n_a + s_b^2/n_b) with Welch-Satterthwaite
    degrees of freedom, and the Wilcoxon (1945) / Mann-Whitney (1947) rank-sum U
    statistic of group a (two-sided, scipy's exact or normal-approximation p-value).

    References
    ----------
    Welch, B. L. (1947), Biometrika 34, 28-35.  Mann, H. B. and Whitney, D. R.
    (1947), Annals of Mathematical Statistics 18, 50-60.

    Examples
    --------
    >>> from research_lib import event_study
    >>> from research_lib.analysis import compare_groups
    >>> from research_lib.examples import example_events, example_prices
    >>> ev = example_events().assign(sector=["tech", "tech", "energy", "energy", "tech"])
    >>> res = event_study(ev, prices=example_prices(), car_windows=[(0, 0)])
    >>> cmp = compare_groups(res, "sector")
    >>> cmp.table[["group", "n"]].drop_duplicates().values.tolist()
    [['all events', 5], ['energy', 2], ['tech', 3]]
    """
    if column not in result.events.columns:
        extra = [c for c in result.events.columns if not any(c.startswith(p) for p in ("car[", "se[", "t[", "p["))]
        raise InvalidRequestError(f"no column {column!r} in the per-event table; group by one of {extra}")
    wins = list(windows) if windows is not None else list(result.parameters.car_windows)
    labels = result.events.set_index(result.events["event_id"].astype(str))[column]
    table = subgroup_table(result, labels, wins, tests)
    lab = _labels_on(result.abnormal, labels)
    rows: list[dict[str, object]] = []
    for w in wins:
        car, _ = result.abnormal.car(int(w[0]), int(w[1]))
        frame = pd.DataFrame({"g": lab.to_numpy(), "car": car}).dropna()
        samples = {str(g): grp["car"].to_numpy() for g, grp in frame.groupby("g", sort=True)}
        names = [g for g, s in samples.items() if s.size >= 2]
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                rows += _difference_rows(a, b, samples[a], samples[b], f"[{int(w[0])},{int(w[1])}]")
    cols = ["group_a", "group_b", "window", "test", "n_a", "n_b", "diff", "stat", "p", "null"]
    return GroupComparison(column, table, pd.DataFrame(rows, columns=cols))
