"""Size and power of the resampling, variance-ratio and volume tests by seeded simulation.

:func:`new_tests_size_power` draws S independent samples of N events from a
known data-generating process, runs each test on every sample with the same
functions the study uses, and reports the rejection rate at ``alpha`` under the
null and with a planted effect, next to the t test of the same samples:

========================= ============================================== ==================================
test                      data (per event: 240 estimation, 21 event days) planted effect
========================= ============================================== ==================================
``wild_bootstrap``        market-model returns, e ~ N(0, 0.02^2)          day-0 AR of ``return_shift``
``t_cross_sectional``     the same samples (reference)                    the same
``variance_ratio_chi2/t`` the same samples                                day-0 residual times ``variance_factor``
``volume_t``, ``volume_patell``, ``volume_rank``  log(1 + V), V = exp(mu_i + u), u ~ N(0, 0.4^2)  day-0 log-volume shock ``volume_shock``
========================= ============================================== ==================================

The Monte Carlo standard error of a rejection rate p over S samples is
sqrt(p (1 - p) / S), reported as ``mc_se``; a correctly sized test at 5% lies
within about 0.05 +- 2 sqrt(0.05 * 0.95 / S).  Seeded: the same arguments give
the same table.  The fits are vectorised over the N events of a sample; the
loop runs over samples (each a complete small study), as in Brown and Warner (1985).

References
----------
Brown, S. J. and Warner, J. B. (1985). Using daily stock returns: the case of event
studies. *Journal of Financial Economics* 14, 3-31.
Campbell, C. J. and Wasley, C. E. (1996), see :mod:`research_lib.measures.volume`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from research_lib.inference.battery import TestBattery
from research_lib.inference.resampling import wild_bootstrap_t
from research_lib.measures.synthetic import market_model_panel, synthetic_panel
from research_lib.measures.volatility import variance_ratio_test
from research_lib.measures.volume import VolumeArrays, abnormal_volume
from research_lib.models.fit import fit_model


@dataclass(frozen=True)
class MeasuresDesign:
    """Design of :func:`new_tests_size_power` (defaults: 200 samples of 30 events).

    Attributes
    ----------
    n_samples, n_events : S samples of N events.
    n_resamples : B of the wild bootstrap.
    seed : seed of the whole experiment.
    alpha : level of the tests.
    return_shift : planted day-0 abnormal return (power of the return tests).
    variance_factor : day-0 residual multiplied by this (power of the variance-ratio tests).
    volume_shock : planted day-0 abnormal log volume (power of the volume tests).
    """

    n_samples: int = 200
    n_events: int = 30
    n_resamples: int = 199
    seed: int = 0
    alpha: float = 0.05
    return_shift: float = 0.01
    variance_factor: float = 2.0
    volume_shock: float = 0.3


def _plant_day0(panel_y: np.ndarray, day0: int, add: float = 0.0, scale: float = 1.0, base: np.ndarray | None = None) -> np.ndarray:
    y = panel_y.copy()
    if base is None:
        y[:, day0] += add
    else:
        y[:, day0] = base[:, day0] + scale * (y[:, day0] - base[:, day0]) + add
    return y


def _return_tests(seed: int, d: MeasuresDesign, planted: bool) -> dict[str, bool]:
    panel = market_model_panel(d.n_events, seed=seed)
    day0 = int(np.flatnonzero(panel.tau_evt == 0)[0])
    normal = 0.0002 + panel.x_evt[:, :, 0]  # the true normal return (beta 1)
    out: dict[str, bool] = {}
    shifted = dataclasses.replace(panel, y_evt=_plant_day0(panel.y_evt, day0, d.return_shift if planted else 0.0))
    ab = fit_model(shifted, "market")
    car = ab.car(0, 0)[0]
    out["wild_bootstrap"] = wild_bootstrap_t(car, d.n_resamples, seed).pvalue < d.alpha
    out["t_cross_sectional"] = TestBattery(ab).window(0, 0, ["t_cross_sectional"])["t_cross_sectional"].pvalue < d.alpha
    scale = d.variance_factor if planted else 1.0
    y = _plant_day0(panel.y_evt, day0, scale=scale, base=normal)
    ab_v = fit_model(dataclasses.replace(panel, y_evt=y, r_evt=y), "market")
    for method in ("chi2", "t"):
        out[f"variance_ratio_{method}"] = variance_ratio_test(ab_v, (0, 0), method).pvalue < d.alpha
    return out


def _volume_tests(seed: int, d: MeasuresDesign, planted: bool) -> dict[str, bool]:
    rng = np.random.default_rng([seed, 1])
    n, l1, l2 = d.n_events, 240, 21
    mu = rng.normal(12.0, 1.0, (n, 1))
    logv = mu + rng.normal(0.0, 0.4, (n, l1 + l2))
    logv[:, l1 + l2 // 2] += d.volume_shock if planted else 0.0
    vol = np.round(np.exp(logv))
    panel = synthetic_panel(np.zeros((n, l1)), np.zeros((n, l2)))
    res = abnormal_volume(panel, VolumeArrays(vol[:, :l1], vol[:, l1:]), "constant_mean")
    tests = TestBattery(res.abnormal).window(0, 0, ["t_cross_sectional", "patell", "corrado_rank"])
    return {"volume_t": tests["t_cross_sectional"].pvalue < d.alpha, "volume_patell": tests["patell"].pvalue < d.alpha,
            "volume_rank": tests["corrado_rank"].pvalue < d.alpha}


def new_tests_size_power(design: MeasuresDesign | None = None) -> pd.DataFrame:
    """Rejection rates of the new tests under the null and with a planted effect.

    Returns
    -------
    DataFrame with columns ``test``, ``scenario`` (``"null"`` or ``"planted"``),
    ``effect`` (what was planted), ``rejection_rate``, ``mc_se``, ``n_samples``, ``n_events``, ``alpha``.
    """
    d = design or MeasuresDesign()
    seeds = np.random.SeedSequence(d.seed).generate_state(d.n_samples)
    effects = {"wild_bootstrap": f"day-0 AR {d.return_shift:g}", "t_cross_sectional": f"day-0 AR {d.return_shift:g}",
               "variance_ratio_chi2": f"day-0 residual x {d.variance_factor:g}",
               "variance_ratio_t": f"day-0 residual x {d.variance_factor:g}"}
    effects.update({k: f"day-0 log volume +{d.volume_shock:g}" for k in ("volume_t", "volume_patell", "volume_rank")})
    rows = []
    for scenario, planted in (("null", False), ("planted", True)):
        hits: dict[str, list[bool]] = {}
        for s in seeds:
            for k, hit in {**_return_tests(int(s), d, planted), **_volume_tests(int(s), d, planted)}.items():
                hits.setdefault(k, []).append(bool(hit))
        for k, flags in hits.items():
            p = float(np.mean(flags))
            rows.append({"test": k, "scenario": scenario, "effect": "none" if not planted else effects[k],
                         "rejection_rate": p, "mc_se": float(np.sqrt(p * (1 - p) / len(flags))),
                         "n_samples": len(flags), "n_events": d.n_events, "alpha": d.alpha})
    return pd.DataFrame(rows)


__all__ = ["MeasuresDesign", "new_tests_size_power"]
