# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Alibaba's RMB 380bn AI plan, 24 February 2025: how robust is the answer?
#
# **Question.** Notebooks 01 and 02 found a large abnormal fall of BABA in New York on day 0 and a small,
# insignificant one of 9988.HK in Hong Kong, under one design (market model on the home index, estimation
# window [-250, -11], simple returns). Do these conclusions survive other reasonable designs, and how
# unusual is a CAR of this size on days without the event?
#
# **Plan.** One comparison table over benchmarks (S&P 500, Nasdaq-100, the China-internet ETF KWEB and the
# China large-cap ETF FXI for BABA; Hang Seng for 9988.HK), models (constant mean, market-adjusted, market
# model, Fama-French three factors for the US line), estimation windows (120, 250 and 500 sessions; with
# and without the January 2025 DeepSeek shock days) and event windows; then a placebo: the same design on
# every ordinary day of the estimation year.
#
# **Needs.** `research_lib` and the price and factor snapshot (`RESEARCH_LIB_SNAPSHOT`); no network.

# %% tags=["parameters"]
ANNOUNCED_AT = "2025-02-24T11:48+08:00"  # earliest report of the plan found (catalogue row 20250224_alibaba_380bn_3y)
US, HK = "BABA", "9988.HK"
US_BENCHMARKS = {"^GSPC": "S&P 500", "^NDX": "Nasdaq-100", "KWEB": "KWEB (China internet ETF)", "FXI": "FXI (China large-cap ETF)"}
HK_BENCHMARK = "^HSI"
ESTIMATION_WINDOWS = {120: (-120, -11), 250: (-250, -11), 500: (-500, -11)}
MIN_ESTIMATION = {120: 100, 250: 120, 500: 120}  # [-120, -11] holds only 110 sessions: the default minimum of 120 must be lowered
DEEPSEEK_DAYS = ("2025-01-27", "2025-01-28")  # the DeepSeek shock to AI stocks; both are sessions in New York and Hong Kong
WINDOWS = [(0, 0), (0, 1), (-1, 1), (-2, 1), (-3, 3)]
PLACEBO_WINDOWS = [(0, 0), (0, 1)]
CONFIDENCE = 0.95

# %%
import logging
import sys

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display
from matplotlib.ticker import PercentFormatter
from scipy import stats

from research_lib.analysis.robustness import (
    Design,
    placebo_cars,
    placebo_days,
    placebo_summary,
    plot_robustness,
    robustness_table,
)
from research_lib.cases import alibaba as case
from research_lib.conventions import pct_label
from research_lib.data import load_factors
from research_lib.listings.calendars import day_zero
from research_lib.runner.provenance import provenance_table

logging.basicConfig(stream=sys.stdout, level=logging.WARNING, format="%(name)s: %(message)s", force=True)
pd.set_option("display.width", 160)
pct = "{:.2%}".format

# %% [markdown]
# ## Provenance

# %%
SYMBOLS = [US, HK, *US_BENCHMARKS, HK_BENCHMARK]
provenance_table(SYMBOLS, start="2022-12-01", end="2025-03-31")

# %%
ff3 = load_factors("ff3", start="2022-12-01", end="2025-03-31")
fp = pd.DataFrame(ff3.attrs.get("provenance", []))
fp.assign(sha256=fp["sha256"].str[:12])[["file", "source", "sha256"]].assign(first=ff3.index.min().date(), last=ff3.index.max().date())

# %% [markdown]
# ## The designs
#
# Each row changes one choice of the baseline (market model on the home index, [-250, -11]).
#
# * **Benchmarks.** BABA is a Chinese company traded in New York. The S&P 500 is its local market;
#   KWEB and FXI hold Chinese shares traded in the US, so they remove China-wide moves as well (KWEB holds
#   Alibaba itself, so it also removes part of Alibaba's own news).
# * **Models.** Constant mean (no market), market-adjusted (beta fixed at 1), market model, and for the US
#   line the Fama-French three-factor model (US factors).
# * **Estimation windows** of 120, 250 and 500 sessions before day -10; the first needs `min_estimation`
#   lowered because it holds only 110 sessions. BABA's data start in January 2021 and 9988.HK's in March
#   2021, so 500 sessions fit.
# * **Dropping the DeepSeek days.** The returns dated 27 and 28 January 2025 are removed from the estimation
#   window (`exclude_dates`). A missing *price* would remove two returns, so the library masks the returns
#   themselves after stacking the panel and before fitting (`research_lib.analysis.robustness.mask_estimation_dates`).
# * **Event windows.** The CAR windows of notebook 01. (For OLS models the AR of a day does not depend on
#   the length of the event window, only on the estimation sample.)

# %%
deepseek = tuple(pd.Timestamp(d) for d in DEEPSEEK_DAYS)
designs = [Design(US, b, "market", label=f"BABA: market model, {name}") for b, name in US_BENCHMARKS.items()]
designs += [
    Design(US, "^GSPC", "constant_mean", label="BABA: constant mean"),
    Design(US, "^GSPC", "market_adjusted", label="BABA: market-adjusted (S&P 500)"),
    Design(US, "^GSPC", "ff3", label="BABA: Fama-French 3 factors"),
]
designs += [
    Design(US, "^GSPC", "market", ESTIMATION_WINDOWS[n], min_estimation=MIN_ESTIMATION[n],
           label=f"BABA: market model, S&P 500, {n} sessions") for n in (120, 500)
]
designs.append(Design(US, "^GSPC", "market", exclude_dates=deepseek, label="BABA: market model, S&P 500, without DeepSeek days"))
designs += [
    Design(HK, HK_BENCHMARK, "market", label="9988.HK: market model, Hang Seng"),
    Design(HK, HK_BENCHMARK, "constant_mean", label="9988.HK: constant mean"),
    Design(HK, HK_BENCHMARK, "market_adjusted", label="9988.HK: market-adjusted (Hang Seng)"),
]
designs += [
    Design(HK, HK_BENCHMARK, "market", ESTIMATION_WINDOWS[n], min_estimation=MIN_ESTIMATION[n],
           label=f"9988.HK: market model, Hang Seng, {n} sessions") for n in (120, 500)
]
designs.append(Design(HK, HK_BENCHMARK, "market", exclude_dates=deepseek, label="9988.HK: market model, Hang Seng, without DeepSeek days"))

prices = case.load_case_prices(SYMBOLS, start="2022-12-01")
table = robustness_table(designs, ANNOUNCED_AT, prices, WINDOWS, factors=ff3, level=CONFIDENCE)
print(f"{len(designs)} designs x {len(WINDOWS)} CAR windows = {len(table)} rows")

# %% [markdown]
# ## One comparison table
#
# CAR per window with its t statistic (prediction-error standard error; Student t with the design's degrees
# of freedom) and, for the two shortest windows, the sample-quantile p-value, which does not assume normal
# residuals. `n_est` is the number of estimation returns used; `masked` the returns dropped by date.

# %%
order = [d.label for d in designs]
car = table.pivot_table(index="label", columns="window", values="car", sort=False)
tst = table.pivot_table(index="label", columns="window", values="t", sort=False)
sqp = table.pivot_table(index="label", columns="window", values="sq_p", sort=False)
meta = table.drop_duplicates("label").set_index("label")[["n_est", "n_masked", "beta"]].rename(columns={"n_masked": "masked"})
keys = [f"[{a},{b}]" for a, b in WINDOWS]
wide = meta.join(car[keys].add_prefix("CAR ")).join(tst[keys].add_prefix("t "))
wide = wide.join(sqp[keys[:2]].add_prefix("SQ p "))
wide = wide.loc[order]
wide.style.format({"beta": "{:.3f}"} | {c: pct for c in wide.columns if c.startswith("CAR")}
                  | {c: "{:.2f}" for c in wide.columns if c.startswith("t ")}
                  | {c: "{:.3f}" for c in wide.columns if c.startswith("SQ")}, na_rep="-")

# %%
fig, axes = plt.subplots(1, 2, figsize=(15, 7.5), sharey=True)
for ax, w in zip(axes, keys[:2], strict=True):
    plot_robustness(table.set_index("label").loc[order].reset_index(), w, level=CONFIDENCE, ax=ax)
    ax.set_title(f"CAR{w} across designs, {pct_label(CONFIDENCE)} two-sided intervals")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), fontsize="small")
fig.tight_layout()

# %%
is_us = wide.index.str.startswith("BABA")
us0, hk0 = wide.loc[is_us, "CAR [0,0]"], wide.loc[~is_us, "CAR [0,0]"]
us_t, hk_t = wide.loc[is_us, "t [0,0]"], wide.loc[~is_us, "t [0,0]"]
us01, hk01 = wide.loc[is_us, "CAR [0,1]"], wide.loc[~is_us, "CAR [0,1]"]
us_t01 = wide.loc[is_us, "t [0,1]"]
crit = stats.t.ppf(0.5 + CONFIDENCE / 2, table["df"].min())
est_rows = [i for i in order if i.startswith("BABA: market model, S&P 500")]
est_spread = wide.loc[est_rows, "CAR [0,0]"]
d0 = day_zero(ANNOUNCED_AT, US).session
kweb_ret = (prices["KWEB"] / prices["KWEB"].shift(1) - 1).loc[d0]
display(Markdown(
    f"* **BABA, day 0:** across the {is_us.sum()} US designs the abnormal return lies between {pct(us0.min())} and "
    f"{pct(us0.max())}, with |t| from {us_t.abs().min():.2f} to {us_t.abs().max():.2f} "
    f"({(wide.loc[is_us, 'SQ p [0,0]'] < 1 - CONFIDENCE).sum()} of {is_us.sum()} designs reject at "
    f"{pct_label(1 - CONFIDENCE)} by the SQ test). The smallest fall comes from '{us0.idxmax()}' ({pct(us0.max())}); "
    f"KWEB itself returned {pct(kweb_ret)} that day and holds Alibaba among its constituents.\n"
    f"* **BABA, [0,+1]:** between {pct(us01.min())} and {pct(us01.max())}; |t| from {us_t01.abs().min():.2f} to "
    f"{us_t01.abs().max():.2f}, beyond the {pct_label(CONFIDENCE)} critical value in {(us_t01.abs() > crit).sum()} of "
    f"{is_us.sum()} designs: the two-day CAR is borderline.\n"
    f"* **9988.HK, day 0:** between {pct(hk0.min())} and {pct(hk0.max())}, |t| at most {hk_t.abs().max():.2f} "
    f"(critical value about {crit:.2f}): significant in {(hk_t.abs() > crit).sum()} of {(~is_us).sum()} designs. "
    f"Its CAR[0,+1] lies "
    f"between {pct(hk01.min())} and {pct(hk01.max())}.\n"
    f"* **Estimation choices** (120, 250 or 500 sessions; with or without the DeepSeek days) move BABA's day-0 "
    f"AR by at most {100 * (est_spread.max() - est_spread.min()):.2f} percentage points ({pct(est_spread.min())} to "
    f"{pct(est_spread.max())})."
))

# %% [markdown]
# ## Placebo: the same design on ordinary days
#
# Every session of the estimation year whose CAR window lies inside the estimation window [-250, -11] of
# the real event becomes a pseudo day 0. Each pseudo-event gets its own estimation window (250 sessions
# before it) and its own fit, all in one stacked panel. How often is a |CAR| as large as the event's seen?
# Neighbouring pseudo-events share days, so the share is a descriptive rank, not an exact p-value; it
# also includes earlier news days of Alibaba (previous quarterly results, the DeepSeek days), which makes
# it conservative as a measure of "ordinary" days.

# %%
rows, draws = [], {}
for d in (designs[0], next(x for x in designs if x.label == "9988.HK: market model, Hang Seng")):
    real = table[table["label"] == d.label].set_index("window")
    for w in PLACEBO_WINDOWS:
        key = f"[{w[0]},{w[1]}]"
        pl = placebo_cars(d, placebo_days(d, day_zero(ANNOUNCED_AT, d.symbol).session, w), prices, w)
        s = placebo_summary(pl, real.loc[key, "car"], real.loc[key, "t"])
        draws[(d.symbol, key)] = (pl, s)
        rows.append({"listing": f"{d.symbol} vs {d.benchmark}", "window": key, "event CAR": s.car, "event t": s.t,
                     "placebo days": s.n, "share |CAR| >= event": s.share_abs_car, "rank p": s.p_abs_car,
                     "share |t| >= event": s.share_abs_t, "placebo 2.5%": s.lower, "placebo 97.5%": s.upper})
placebo = pd.DataFrame(rows)
placebo.style.format({"event CAR": pct, "event t": "{:.2f}", "share |CAR| >= event": "{:.1%}", "rank p": "{:.3f}",
                      "share |t| >= event": "{:.1%}", "placebo 2.5%": pct, "placebo 97.5%": pct}).hide(axis="index")

# %%
fig, axes = plt.subplots(2, 2, figsize=(13, 7.5))
for ax, ((sym, key), (pl, s)) in zip(axes.flat, draws.items(), strict=True):
    ax.hist(pl["car"], bins=30, color="tab:blue", alpha=0.7, label=f"placebo CARs ({s.n} ordinary days)")
    ax.axvline(s.car, color="tab:red", lw=2, label=f"event CAR {pct(s.car)}")
    ax.axvline(-s.car, color="tab:red", lw=1, ls=":", label="mirror image (two-sided)")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=None))
    ax.set_title(f"{sym}, CAR{key}: |CAR| at least as large on {s.share_abs_car:.1%} of days")
    ax.set_xlabel(f"CAR{key} (%)")
    ax.set_ylabel("number of placebo days")
    ax.legend(fontsize="small", loc="best")
fig.suptitle("Placebo: the baseline design on every ordinary day of the estimation year")
fig.tight_layout()

# %% [markdown]
# ## What we found

# %%
pus0, pus1 = draws[(US, "[0,0]")][1], draws[(US, "[0,1]")][1]
phk0, phk1 = draws[(HK, "[0,0]")][1], draws[(HK, "[0,1]")][1]
display(Markdown(
    f"* **New York.** BABA's day-0 abnormal fall is robust: {pct(us0.min())} to {pct(us0.max())} across "
    f"{is_us.sum()} designs, significant by the t test in {(us_t.abs() > crit).sum()} of them "
    f"(|t| >= {us_t.abs().min():.2f}), and a |CAR| that large occurred on {pus0.share_abs_car:.1%} of the "
    f"{pus0.n} placebo days (rank p = "
    f"{pus0.p_abs_car:.3f}). Over [0,+1] the fall is smaller ({pct(us01.min())} to {pct(us01.max())}) and "
    f"borderline; {pus1.share_abs_car:.1%} of placebo days had a |CAR[0,+1]| as large.\n"
    f"* **Hong Kong.** 9988.HK's day 0 is significant in {(hk_t.abs() > crit).sum()} of {(~is_us).sum()} designs "
    f"({pct(hk0.min())} to {pct(hk0.max())}); "
    f"{phk0.share_abs_car:.1%} of placebo days had a larger |AR|. Over [0,+1], which takes in New York's Monday, "
    f"{phk1.share_abs_car:.1%} of placebo days had a |CAR| as large."
))

# %% [markdown]
# **Conclusion.** New York marked Alibaba down sharply on the day the RMB 380bn plan was published,
# by any reasonable benchmark, model or estimation window, and by a margin rarely seen on ordinary days.
# Hong Kong, which traded on the plan first, did not; part of New York's Monday fall reached Hong Kong only
# on Tuesday, and part of it was New York giving back a Friday gain that Hong Kong had never priced
# (notebook 02). The fall came two sessions after a large abnormal gain on the results, so over windows that
# contain both the net effect is not negative.
#
# **Limits.** One event, so no cross-section: inference rests on the estimation-window residuals (t test, SQ
# test) and on placebo days that share data with one another. The plan cannot be separated from the
# weekend US policy directive on Chinese investment, from profit-taking after a rally, or from the results
# two sessions before, whose promise of more AI spending had already been priced. Closing prices cannot
# show the intraday path (the Hong Kong three-year high came before the fall). The exchange rate is
# assumed, not observed (notebook 02), and the benchmarks that best remove China-wide moves (KWEB, the Hang
# Seng) contain Alibaba itself.
