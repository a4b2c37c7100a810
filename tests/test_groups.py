"""Subgroups from one fitted study: selection equals a refit, tables match independent computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from research_lib.analysis.groups import group_difference, median_split, select_events, subgroup_table, with_without
from research_lib.errors import InvalidRequestError
from research_lib.inference.battery import TestBattery
from research_lib.listings.calendars import sessions
from research_lib.models.fit import fit_model
from research_lib.study import event_study

SESS = sessions("AAA", "2020-01-01", "2022-12-31")
SYMBOLS = ("AAA", "BBB", "CCC", "DDD", "EEE", "FFF", "GGG", "HHH", "III")


def _prices(seed: int = 1) -> dict[str, pd.Series]:
    rng = np.random.default_rng(seed)
    rm = rng.normal(0.0004, 0.01, len(SESS))
    common = rng.normal(0, 0.006, len(SESS))  # a shared non-market shock: r > 0
    out = {"^GSPC": pd.Series(3000 * np.cumprod(1 + rm), index=SESS)}
    for j, s in enumerate(SYMBOLS):
        r = 0.0001 * j + (0.7 + 0.1 * j) * rm + common + rng.normal(0, 0.015, len(SESS))
        out[s] = pd.Series(40 * np.cumprod(1 + r), index=SESS)
    return out


def _events() -> pd.DataFrame:
    dates = ["2021-03-15", "2021-05-14", "2021-06-15", "2021-06-16", "2021-09-14", "2021-11-15",
             "2022-02-15", "2022-03-15", "2022-06-15"]
    return pd.DataFrame({
        "event_id": [f"e{i}" for i in range(len(SYMBOLS))],
        "symbol": list(SYMBOLS),
        "benchmark": ["^GSPC"] * len(SYMBOLS),
        "event_date": pd.to_datetime(dates),
        "kind": ["x", "y", "x", "y", "z", "x", "y", "z", "x"],
        "size": [1.0, 5.0, np.nan, 3.0, 7.0, 2.0, 9.0, 4.0, 6.0],
    })


@pytest.fixture(scope="module")
def study():  # noqa: ANN201
    return event_study(_events(), prices=_prices(), car_windows=[(0, 0), (0, 1), (-1, 1)])


def test_select_equals_refit_of_the_subpanel(study) -> None:  # noqa: ANN001
    mask = np.array([True, False, True, True, False, False, True, False, True])
    sub = select_events(study, mask)
    refit = fit_model(study.abnormal.panel.select(mask), "market")
    for name in ("params", "sigma2", "n_est", "ar", "ar_var", "est_resid", "xtx_inv"):
        np.testing.assert_allclose(getattr(sub, name), getattr(refit, name), rtol=1e-12, atol=1e-15, equal_nan=True)
    assert list(sub.panel.event_ids) == ["e0", "e2", "e3", "e6", "e8"]
    a, b = TestBattery(sub).window(-1, 1), TestBattery(refit).window(-1, 1)
    for k in a:
        np.testing.assert_allclose(a[k].stat, b[k].stat, rtol=1e-10, equal_nan=True)
    # selecting by ids gives the same rows
    by_id = select_events(study.abnormal, ["e8", "e0", "e2", "e3", "e6"])
    np.testing.assert_array_equal(by_id.ar, sub.ar)


def test_subgroup_table_matches_scipy_on_the_events_table(study) -> None:  # noqa: ANN001
    labels = _events().set_index("event_id")["kind"]
    table = subgroup_table(study, labels, windows=[(0, 1), (-1, 1)])
    assert list(table["group"].unique()) == ["all events", "x", "y", "z"]
    ev = study.events.set_index("event_id")
    for (group, window), row in table.set_index(["group", "window"]).iterrows():
        key = window.strip("[]")
        ids = ev.index if group == "all events" else labels[labels == group].index
        car = ev.loc[ids, f"car[{key}]"]
        scar = car / ev.loc[ids, f"se[{key}]"]
        assert row["n"] == len(ids)
        assert row["caar"] == pytest.approx(car.mean(), rel=1e-12)
        assert row["median_car"] == pytest.approx(car.median(), rel=1e-12)
        t = stats.ttest_1samp(car, 0.0)
        assert row["t_cross_sectional"] == pytest.approx(t.statistic, rel=1e-10)
        assert row["t_cross_sectional_p"] == pytest.approx(t.pvalue, rel=1e-8)
        bmp = stats.ttest_1samp(scar, 0.0)
        assert row["bmp"] == pytest.approx(bmp.statistic, rel=1e-10)
        r, n = row["r"], row["n"]
        assert -1 < r < 1
        assert row["bmp_kp"] == pytest.approx(bmp.statistic * np.sqrt((1 - r) / (1 + (n - 1) * r)), rel=1e-10)
    # the subgroup's r is its own, not the full sample's
    assert table.loc[table["group"] == "x", "r"].iloc[0] != table.loc[table["group"] == "all events", "r"].iloc[0]


def test_with_without_partitions_the_events(study) -> None:  # noqa: ANN001
    flagged = pd.Series([False, True, False, False, True, False, True, False, False],
                        index=[f"e{i}" for i in range(9)])
    table = with_without(study, flagged, windows=[(0, 1)], name="confounded").set_index("group")
    assert list(table.index) == ["all events", "without confounded", "confounded only"]
    assert table.loc["without confounded", "n"] + table.loc["confounded only", "n"] == table.loc["all events", "n"]
    car = study.events.set_index("event_id")["car[0,1]"]
    assert table.loc["confounded only", "caar"] == pytest.approx(car[flagged].mean(), rel=1e-12)
    assert table.loc["without confounded", "caar"] == pytest.approx(car[~flagged].mean(), rel=1e-12)
    # the same through event ids
    by_ids = with_without(study, ["e1", "e4", "e6"], windows=[(0, 1)], name="confounded").set_index("group")
    pd.testing.assert_frame_equal(by_ids, table)


def test_group_difference_and_median_split(study) -> None:  # noqa: ANN001
    ev = _events().set_index("event_id")
    car = study.events.set_index("event_id")["car[-1,1]"]
    two = pd.Series(np.where(ev["kind"] == "x", "x", "other"), index=ev.index)
    res = group_difference(study, two, (-1, 1))
    ref = stats.ttest_ind(car[two == "other"], car[two == "x"], equal_var=False)
    assert res["test"] == "welch_t" and res["stat"] == pytest.approx(ref.statistic) and res["n"] == 9
    three = group_difference(study, ev["kind"], (-1, 1))
    ref3 = stats.kruskal(*(car[ev["kind"] == k] for k in ("x", "y", "z")))
    assert three["test"] == "kruskal_wallis" and three["pvalue"] == pytest.approx(ref3.pvalue)
    split = median_split(ev["size"])
    assert split.attrs["median"] == 4.5
    assert split["e4"] == "above median" and split["e1"] == "above median" and split["e0"] == "at or below median" and pd.isna(split["e2"])
    table = subgroup_table(study, split, windows=[(0, 0)], include_all=False)
    assert table["n"].sum() == 8  # the event without a size is in no group


def test_bad_selections_are_clear_errors(study) -> None:  # noqa: ANN001
    with pytest.raises(InvalidRequestError, match="not among the study's included events"):
        select_events(study, ["nope"])
    with pytest.raises(InvalidRequestError, match="mask has 2 entries"):
        select_events(study, np.array([True, False]))
    with pytest.raises(InvalidRequestError, match="no event"):
        select_events(study, np.zeros(9, dtype=bool))
    with pytest.raises(InvalidRequestError, match="no included event has a label"):
        subgroup_table(study, pd.Series({"zz": "a"}))


# ----------------------------------------------------------------------------- result.by(column)
@pytest.fixture(scope="module")
def crsp_study():  # noqa: ANN201
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from _crsp import events, returns_long

    ev = events()
    ev = pd.concat([ev, ev.assign(event_id=ev["event_id"] + "b", event_date=pd.to_datetime(ev["event_date"]) - pd.Timedelta(days=14))])
    ev["event_date"] = pd.to_datetime(ev["event_date"]).dt.strftime("%Y-%m-%d")
    ev["region"] = ["US", "EU", "US", "EU", "EU", "US", "EU", "US"]
    return event_study(ev, data=returns_long()[0], estimation_window=(-120, -11), event_window=(-5, 5), min_estimation=60)


def test_by_column_equals_scipy_on_the_per_event_cars(crsp_study) -> None:  # noqa: ANN001
    res = crsp_study
    cmp = res.by("region")
    ev = res.to_frame()
    assert "region" in ev.columns and "region" in res.attrition.columns
    for w in res.parameters.car_windows:
        key = f"{w[0]},{w[1]}"
        us = ev.loc[ev["region"] == "US", f"car[{key}]"].to_numpy()
        eu = ev.loc[ev["region"] == "EU", f"car[{key}]"].to_numpy()
        rows = cmp.table[cmp.table["window"] == f"[{key}]"].set_index("group")
        assert rows.loc["US", "caar"] == pytest.approx(us.mean(), abs=1e-15)
        assert rows.loc["EU", "n"] == eu.size
        t_us = us.mean() / (us.std(ddof=1) / np.sqrt(us.size))
        assert rows.loc["US", "t_cross_sectional"] == pytest.approx(t_us, rel=1e-12)
        d = cmp.differences[cmp.differences["window"] == f"[{key}]"].set_index("test")
        welch = stats.ttest_ind(eu, us, equal_var=False)
        ranks = stats.mannwhitneyu(eu, us, alternative="two-sided")
        assert (d.loc["welch_t", "stat"], d.loc["welch_t", "p"]) == pytest.approx((welch.statistic, welch.pvalue), rel=1e-12)
        assert (d.loc["wilcoxon_rank_sum", "stat"], d.loc["wilcoxon_rank_sum", "p"]) == pytest.approx(
            (ranks.statistic, ranks.pvalue), rel=1e-12)
        assert "mean CARs are equal" in d.loc["welch_t", "null"] and "as likely to exceed" in d.loc["wilcoxon_rank_sum", "null"]
    assert "Groups by region" in str(cmp)


def test_by_an_unknown_column_names_the_columns(crsp_study) -> None:  # noqa: ANN001
    with pytest.raises(InvalidRequestError, match="no column 'sector'.*region"):
        crsp_study.by("sector")


def test_cli_group_by_prints_the_groups(tmp_path, crsp_study, capsys) -> None:  # noqa: ANN001
    import sys
    from pathlib import Path

    from research_lib.cli.app import main

    sys.path.insert(0, str(Path(__file__).parent))
    from _crsp import events, returns_long

    events().to_csv(tmp_path / "ev.csv", index=False)
    returns_long()[0].to_csv(tmp_path / "crsp.csv", index=False)
    code = main(["study", str(tmp_path / "ev.csv"), "--data", str(tmp_path / "crsp.csv"), "--estimation-window", "-120", "-11",
                 "--event-window", "-5", "5", "--min-estimation", "60", "--group-by", "region"])
    out = capsys.readouterr().out
    assert code == 0 and "Groups by region" in out and "wilcoxon_rank_sum" in out
