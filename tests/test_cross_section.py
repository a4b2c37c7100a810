"""result.cross_section equals statsmodels run directly on the per-event table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from _crsp import events, returns_long

from research_lib.analysis.cross_section import safe_formula, safe_name
from research_lib.errors import InvalidRequestError
from research_lib.study import event_study


@pytest.fixture(scope="module")
def res():  # noqa: ANN201
    ev = events()
    more = [ev.assign(event_id=ev["event_id"] + f"_{k}",
                      event_date=(pd.to_datetime(ev["event_date"]) - pd.Timedelta(days=7 * k)).dt.strftime("%Y-%m-%d"))
            for k in range(1, 4)]
    ev = pd.concat([ev, *more], ignore_index=True)
    rng = np.random.default_rng(5)
    ev["amount_usd_bn"] = rng.uniform(0.1, 5, len(ev)).round(2)
    ev["region"] = rng.choice(["US", "EU", "ASIA"], len(ev))
    ev["firm"] = ev["symbol"]
    return event_study(ev, data=returns_long()[0], estimation_window=(-120, -11), event_window=(-5, 5), min_estimation=60)


def _direct(res, formula: str):  # noqa: ANN001, ANN202
    frame = res.to_frame().rename(columns={"car[-1,1]": "car_m1_1", "se[-1,1]": "se_m1_1"})
    return frame, smf.ols(formula, data=frame)


def test_ols_hc1_equals_statsmodels(res) -> None:  # noqa: ANN001
    got = res.cross_section("car[-1,1] ~ amount_usd_bn + C(region)", cov_type="HC1")
    frame, model = _direct(res, "car_m1_1 ~ amount_usd_bn + C(region)")
    want = model.fit(cov_type="HC1")
    pd.testing.assert_series_equal(got.params, want.params, rtol=1e-12)
    pd.testing.assert_series_equal(got.bse, want.bse, rtol=1e-12)
    assert got.nobs == len(frame) == res.n_events


def test_clustered_and_wls(res) -> None:  # noqa: ANN001
    got = res.cross_section("car[-1,1] ~ amount_usd_bn", cluster="firm")
    frame, model = _direct(res, "car_m1_1 ~ amount_usd_bn")
    want = model.fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(frame["firm"])[0]})
    pd.testing.assert_series_equal(got.bse, want.bse, rtol=1e-12)
    wls = res.cross_section("car[-1,1] ~ amount_usd_bn", weights="inverse_variance", cov_type="nonrobust")
    direct = smf.wls("car_m1_1 ~ amount_usd_bn", data=frame, weights=1 / frame["se_m1_1"] ** 2).fit()
    pd.testing.assert_series_equal(wls.params, direct.params, rtol=1e-12)


def test_names_in_formulas() -> None:
    assert safe_name("car[-1,1]") == "car_m1_1" and safe_name("car[0,5]") == "car_0_5" and safe_name("region") == "region"
    assert safe_formula("car[-10, 10] ~ se[0,1] + x") == "car_m10_10 ~ se_0_1 + x"


def test_a_formula_naming_a_missing_column_is_refused(res) -> None:  # noqa: ANN001
    with pytest.raises(InvalidRequestError, match=r"names column\(s\) \['size'\].*amount_usd_bn"):
        res.cross_section("car[-1,1] ~ size + C(region)")
    with pytest.raises(InvalidRequestError, match=r"car_m2_2"):
        res.cross_section("car[-2,2] ~ amount_usd_bn")
    with pytest.raises(InvalidRequestError, match="cluster column"):
        res.cross_section("car[-1,1] ~ amount_usd_bn", cluster="nope")
