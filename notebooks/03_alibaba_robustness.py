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
# How much of BABA's day-0 fall was Alibaba's own, rather than a move of Chinese shares in general?
#
# **Plan.** One comparison table over benchmarks (S&P 500, Nasdaq-100, the China-internet ETF KWEB, the
# China large-cap ETF FXI and an equal-weight basket of four China ADRs for BABA; Hang Seng and Tencent
# for 9988.HK), models (constant mean, market-adjusted, market model, Fama-French three factors for the
# US line), estimation windows (shorter and longer), contamination checks (dropping the January 2025
# DeepSeek days, the largest residual days, and Alibaba's earlier results days from the estimation
# window) and event windows; a market-plus-sector model that splits the day-0 return into its market,
# sector and own parts; then a placebo: the same design on every ordinary day of the estimation year.
#
# **Needs.** `research_lib` and the price and factor snapshot (`RESEARCH_LIB_SNAPSHOT`); no network.

# %% tags=["parameters"]
ANNOUNCED_AT = "2025-02-24T11:48+08:00"  # earliest report of the plan found (catalogue row 20250224_alibaba_380bn_3y)
US, HK = "BABA", "9988.HK"
US_BENCHMARKS = {"^GSPC": "S&P 500", "^NDX": "Nasdaq-100", "KWEB": "KWEB (China internet ETF)", "FXI": "FXI (China large-cap ETF)",
                 "CN_PEERS": "equal-weight China ADR peers"}
PEERS = ("JD", "PDD", "TCEHY", "BIDU")  # the basket CN_PEERS: China internet ADRs in New York, Alibaba excluded
HK_BENCHMARK = "^HSI"
HK_PEER = "0700.HK"  # Tencent, the largest Hong Kong internet stock
N_LARGEST = 3  # contamination check: drop the estimation days with the largest |residual|
# Alibaba's earlier quarterly results inside the baseline estimation window, each released after the Hong Kong
# close and before the New York open (as on 2025-02-20; company announcements of the March-, June- and
# September-quarter results of 2024); day 0 on each exchange follows from the time
EARLIER_RESULTS = ("2024-05-14T16:00+08:00", "2024-08-15T16:00+08:00", "2024-11-15T16:00+08:00")
ESTIMATION_WINDOWS = {120: (-120, -11), 250: (-250, -11), 500: (-500, -11)}
MIN_ESTIMATION = {120: 100, 250: 120, 500: 120}  # [-120, -11] holds only 110 sessions: the default minimum of 120 must be lowered
DEEPSEEK_DAYS = ("2025-01-27", "2025-01-28")  # the DeepSeek shock to AI stocks; both are sessions in New York and Hong Kong
WINDOWS = [(0, 0), (0, 1), (-1, 1), (-2, 1), (-3, 3)]
PLACEBO_WINDOWS = [(0, 0), (0, 1)]
GARCH_ROWS = {"garch": "GARCH(1,1)", "gjr_garch": "GJR-GARCH(1,1,1)"}  # conditional-variance models (arch package)
PEER_BASKET = "EW(" + ",".join(PEERS) + ")"  # the library's basket benchmark: equal-weight daily mean of member returns
CONFIDENCE = 0.95

# %%
import logging
import sys
from dataclasses import replace

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display
from matplotlib.ticker import PercentFormatter
from scipy import stats

from research_lib.analysis.peers import day_returns, equal_weight_index, market_sector_model
from research_lib.analysis.robustness import (
    Design,
    largest_residual_days,
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
from research_lib.plotting import DAY0, MAIN, legend_below
from research_lib.runner.provenance import provenance_table
from research_lib.study import event_study

logging.basicConfig(stream=sys.stdout, level=logging.WARNING, format="%(name)s: %(message)s", force=True)
pd.set_option("display.width", 160)
pct = "{:.2%}".format

# %% [markdown]
# ## Provenance

# %%
SYMBOLS = [US, HK, *(b for b in US_BENCHMARKS if b != "CN_PEERS"), *PEERS, HK_BENCHMARK, HK_PEER]
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
#   Alibaba itself, so it also removes part of Alibaba's own news). The peer basket `CN_PEERS` is the
#   equal-weight daily mean of the returns of JD, PDD, TCEHY and BIDU (`research_lib.analysis.peers.equal_weight_index`):
#   China-wide news without Alibaba in it. In Hong Kong, Tencent (0700.HK) plays the same role.
# * **Models.** Constant mean (no market), market-adjusted (beta fixed at 1), market model, for the US
#   line the Fama-French three-factor model (US factors), and the market model with GARCH(1,1) and
#   GJR-GARCH(1,1,1) errors (fitted by `arch` on the estimation window; the AR's standard error is the root of
#   the conditional variance forecast, so a calm or a turbulent month before the event changes the t statistic).
# * **Resampling.** Beside the t test and the sample-quantile test, `perm p` is the placebo-date permutation
#   test: p = (1 + #{pseudo windows with |CAR| >= |event CAR|}) / (n + 1) over every L-day window of the
#   estimation residuals. The wild bootstrap of the CAAR needs a cross-section of events, so it appears in
#   notebook 04, not here.
# * **Estimation windows** [-120, -11], [-250, -11] and [-500, -11]; the first needs `min_estimation`
#   lowered because it holds fewer than 120 sessions. The labels in the table give the number of returns
#   each design actually fitted.
# * **Contamination checks.** Returns of days with other news of the firm are removed from the estimation
#   window (`exclude_dates`): the DeepSeek days of 27 and 28 January 2025; the days with the largest
#   absolute residuals of the baseline fit (found by `largest_residual_days`, not chosen by hand); and the
#   sessions that first priced Alibaba's three earlier quarterly results. A missing *price* would remove two
#   returns, so the library masks the returns themselves after stacking the panel and before fitting
#   (`research_lib.analysis.robustness.mask_estimation_dates`).
# * **Event windows.** The CAR windows of notebook 01. (For OLS models the AR of a day does not depend on
#   the length of the event window, only on the estimation sample.)

# %%
prices = case.load_case_prices(SYMBOLS, start="2022-12-01", end="2025-03-31")
prices["CN_PEERS"] = equal_weight_index(prices, PEERS)
deepseek = tuple(pd.Timestamp(d) for d in DEEPSEEK_DAYS)
day0 = {s: day_zero(ANNOUNCED_AT, s).session for s in (US, HK)}
largest = {s: largest_residual_days(Design(s, b), day0[s], prices, N_LARGEST) for s, b in ((US, "^GSPC"), (HK, HK_BENCHMARK))}
results_days = {s: tuple(day_zero(t, s).session for t in EARLIER_RESULTS) for s in (US, HK)}
contamination = pd.concat(
    [largest[s].assign(listing=s, why="largest |residual|") for s in (US, HK)]
    + [pd.DataFrame({"date": results_days[s], "listing": s, "why": "earlier results"}) for s in (US, HK)]
)[["listing", "why", "date", "tau", "residual", "return"]]
contamination.style.format({"date": "{:%a %Y-%m-%d}", "residual": pct, "return": pct, "tau": "{:.0f}"}, na_rep="-").hide(axis="index")

# %%
designs = [Design(US, b, "market", label=f"BABA: market model, {name}") for b, name in US_BENCHMARKS.items()]
designs += [
    Design(US, "^GSPC", "constant_mean", label="BABA: constant mean"),
    Design(US, "^GSPC", "market_adjusted", label="BABA: market-adjusted (S&P 500)"),
    Design(US, "^GSPC", "ff3", label="BABA: Fama-French 3 factors"),
]
designs += [Design(US, "^GSPC", m, label=f"BABA: market model with {name} errors, S&P 500") for m, name in GARCH_ROWS.items()]
designs += [
    Design(US, "^GSPC", "market", ESTIMATION_WINDOWS[n], min_estimation=MIN_ESTIMATION[n],
           label=f"BABA: market model, S&P 500, est. [{ESTIMATION_WINDOWS[n][0]},{ESTIMATION_WINDOWS[n][1]}]") for n in (120, 500)
]


def contamination_designs(sym: str, bench: str, name: str) -> list[Design]:
    """The baseline of one listing without the DeepSeek days, the largest-residual days, the earlier results days, all."""
    top = tuple(largest[sym]["date"])
    drops = {"DeepSeek days": deepseek, f"{N_LARGEST} largest-residual days": top,
             "earlier results days": results_days[sym], "all of these": deepseek + top + results_days[sym]}
    return [Design(sym, bench, "market", exclude_dates=d, label=f"{sym}: market model, {name}, without {k}") for k, d in drops.items()]


designs += contamination_designs(US, "^GSPC", "S&P 500")
designs += [
    Design(HK, HK_BENCHMARK, "market", label="9988.HK: market model, Hang Seng"),
    Design(HK, HK_PEER, "market", label="9988.HK: market model, Tencent (0700.HK)"),
    Design(HK, HK_BENCHMARK, "constant_mean", label="9988.HK: constant mean"),
    Design(HK, HK_BENCHMARK, "market_adjusted", label="9988.HK: market-adjusted (Hang Seng)"),
]
designs += [Design(HK, HK_BENCHMARK, m, label=f"9988.HK: market model with {name} errors, Hang Seng") for m, name in GARCH_ROWS.items()]
designs += [
    Design(HK, HK_BENCHMARK, "market", ESTIMATION_WINDOWS[n], min_estimation=MIN_ESTIMATION[n],
           label=f"9988.HK: market model, Hang Seng, est. [{ESTIMATION_WINDOWS[n][0]},{ESTIMATION_WINDOWS[n][1]}]") for n in (120, 500)
]
designs += contamination_designs(HK, HK_BENCHMARK, "Hang Seng")

table = robustness_table(designs, ANNOUNCED_AT, prices, WINDOWS, factors=ff3, level=CONFIDENCE)
# each label says how many estimation returns the design actually fitted
shown = {d.label: f"{d.label} ({n} returns)" for d, n in zip(designs, table.drop_duplicates("label")["n_est"], strict=True)}
table["label"] = table["label"].map(shown)
designs = [replace(d, label=shown[d.label]) for d in designs]
display(Markdown(f"{len(designs)} designs x {len(WINDOWS)} CAR windows = {len(table)} rows."))

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
prm = table.pivot_table(index="label", columns="window", values="perm_p", sort=False)
wide = wide.join(prm[keys[:2]].add_prefix("perm p "))
wide = wide.loc[order]
wide.style.format({"beta": "{:.3f}"} | {c: pct for c in wide.columns if c.startswith("CAR")}
                  | {c: "{:.2f}" for c in wide.columns if c.startswith("t ")}
                  | {c: "{:.3f}" for c in wide.columns if c.startswith(("SQ", "perm"))}, na_rep="-")

# %%
fig, axes = plt.subplots(1, 2, figsize=(16, 10), sharey=True)
for ax, w in zip(axes, keys[:2], strict=True):
    plot_robustness(table.set_index("label").loc[order].reset_index(), w, level=CONFIDENCE, ax=ax)
    ax.set_title(f"CAR{w} across designs, {pct_label(CONFIDENCE)} two-sided intervals")
    legend_below(ax, ncol=1)
fig.tight_layout()

# %%
is_us = wide.index.str.startswith("BABA")
us0, hk0 = wide.loc[is_us, "CAR [0,0]"], wide.loc[~is_us, "CAR [0,0]"]
us_t, hk_t = wide.loc[is_us, "t [0,0]"], wide.loc[~is_us, "t [0,0]"]
us01, hk01 = wide.loc[is_us, "CAR [0,1]"], wide.loc[~is_us, "CAR [0,1]"]
us_t01 = wide.loc[is_us, "t [0,1]"]
crit = stats.t.ppf(0.5 + CONFIDENCE / 2, table["df"].min())
est_rows = [i for i in order if i.startswith("BABA: market model, S&P 500")]
clean_rows = [i for i in order if "without" in i]
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
    f"* **Estimation choices** (shorter or longer windows; dropping the DeepSeek, largest-residual or earlier results "
    f"days) move BABA's day-0 AR by at most {100 * (est_spread.max() - est_spread.min()):.2f} percentage points "
    f"({pct(est_spread.min())} to {pct(est_spread.max())}); the contamination checks alone give "
    f"{pct(wide.loc[[r for r in clean_rows if r.startswith('BABA')], 'CAR [0,0]'].min())} to "
    f"{pct(wide.loc[[r for r in clean_rows if r.startswith('BABA')], 'CAR [0,0]'].max())} for BABA and "
    f"{pct(wide.loc[[r for r in clean_rows if r.startswith('9988')], 'CAR [0,0]'].min())} to "
    f"{pct(wide.loc[[r for r in clean_rows if r.startswith('9988')], 'CAR [0,0]'].max())} for 9988.HK.\n"
    f"* **The benchmark is the story, not a caveat:** the day-0 AR is {pct(us0.min())} against "
    f"'{us0.idxmin()}' and {pct(us0.max())} against '{us0.idxmax()}'. The next section asks why."
))

# %%
garch_rows = [r for r in order if "GARCH" in r]
base_rows = {"BABA": shown["BABA: market model, S&P 500"], "9988.HK": shown["9988.HK: market model, Hang Seng"]}
g = wide.loc[list(base_rows.values()) + garch_rows, ["beta", "CAR [0,0]", "t [0,0]", "SQ p [0,0]", "perm p [0,0]",
                                                     "CAR [0,1]", "t [0,1]", "perm p [0,1]"]]
garch_t = {s: wide.loc[[r for r in garch_rows if r.startswith(s)], "t [0,0]"] for s in base_rows}
se0 = table[table["window"] == "[0,0]"].set_index("label")["se"]
se_ratio = {s: se0[[r for r in garch_rows if r.startswith(s)]] / se0[base_rows[s]] for s in base_rows}
display(Markdown(
    f"* **GARCH errors** leave the abnormal returns almost unchanged (the mean equation is the same market model) "
    f"and change the standard error through the conditional variance forecast: BABA's day-0 t is "
    f"{wide.loc[base_rows['BABA'], 't [0,0]']:.2f} with the OLS prediction error and {garch_t['BABA'].min():.2f} to "
    f"{garch_t['BABA'].max():.2f} with GARCH or GJR-GARCH errors; 9988.HK's {wide.loc[base_rows['9988.HK'], 't [0,0]']:.2f} "
    f"against {garch_t['9988.HK'].min():.2f} to {garch_t['9988.HK'].max():.2f}. The GARCH standard error of the day-0 AR "
    f"is {se_ratio['BABA'].min():.2f} to {se_ratio['BABA'].max():.2f} times the OLS one for BABA and "
    f"{se_ratio['9988.HK'].min():.2f} to {se_ratio['9988.HK'].max():.2f} times for 9988.HK: the variance forecast for the "
    f"event days is close to the estimation year's average, so no verdict changes.\n"
    f"* **The permutation test** agrees with the sample-quantile test: BABA's day-0 perm p is "
    f"{wide.loc[base_rows['BABA'], 'perm p [0,0]']:.3f} (the smallest attainable with "
    f"{int(wide.loc[base_rows['BABA'], 'n_est'])} one-day pseudo windows, 1/(n + 1) = "
    f"{1 / (int(wide.loc[base_rows['BABA'], 'n_est']) + 1):.4f}), "
    f"9988.HK's {wide.loc[base_rows['9988.HK'], 'perm p [0,0]']:.3f}."
))
g.style.format({"beta": "{:.3f}"} | {c: pct for c in g.columns if c.startswith("CAR")}
               | {c: "{:.2f}" for c in g.columns if c.startswith("t ")}
               | {c: "{:.3f}" for c in g.columns if c.startswith(("SQ", "perm"))})

# %% [markdown]
# ## How much of the fall is Alibaba's own?
#
# A benchmark of Chinese shares removes news common to them (the weekend US directive on Chinese investment,
# profit-taking across the sector). The market-plus-sector model R = a + b_m R_market + b_s R_sector + e,
# fitted on the same estimation window, splits the day-0 return exactly into a market part, a sector part,
# the intercept and the abnormal (own) part, with its prediction-error t statistic
# (`research_lib.analysis.peers.market_sector_model`). KWEB contains Alibaba, so its sector part takes some of
# Alibaba's own news; the peer basket does not.

# %% [markdown]
# The peer-basket benchmark above was built by hand from prices (`equal_weight_index`). The library's basket
# benchmarks do the same from an events frame: `EW(JD,PDD,TCEHY,BIDU)` in the benchmark column is the
# equal-weight daily mean of the members' returns (`research_lib.data.basket`). Both must give the same study:

# %%
basket_res = event_study(case.case_events({US: PEER_BASKET}, ANNOUNCED_AT), estimation_window=(-250, -11),
                         event_window=(-10, 10), car_windows=WINDOWS, model="market", confidence=CONFIDENCE)
hand = table[table["label"] == shown["BABA: market model, equal-weight China ADR peers"]].set_index("window")
bev = basket_res.events.iloc[0]
basket_check = pd.DataFrame({
    "hand-built index": [hand["beta"].iloc[0], *hand.loc[keys, "car"], *hand.loc[keys, "t"]],
    f"benchmark {PEER_BASKET}": [bev["beta"], *(bev[f"car{k}"] for k in keys), *(bev[f"t{k}"] for k in keys)],
}, index=["beta", *(f"CAR {k}" for k in keys), *(f"t {k}" for k in keys)])
basket_check["difference"] = basket_check.iloc[:, 1] - basket_check.iloc[:, 0]
max_diff = float(basket_check["difference"].abs().max())
display(Markdown(f"Largest absolute difference between the two: {max_diff:.1e}."))
basket_check.style.format("{:.3f}").format(lambda v: f"{v:.1e}", subset=["difference"]).format(
    pct, subset=pd.IndexSlice[[f"CAR {k}" for k in keys], basket_check.columns[:2]])

# %%
split_specs = [(US, "^GSPC", "KWEB", "BABA: S&P 500 + KWEB"), (US, "^GSPC", "CN_PEERS", "BABA: S&P 500 + China ADR peers"),
               (HK, HK_BENCHMARK, HK_PEER, "9988.HK: Hang Seng + Tencent")]
split_rows = {}
for sym, mkt, sec, name in split_specs:
    m = market_sector_model(prices, sym, mkt, sec, day0[sym], (-250, -11), (0, 1))
    d = m.daily
    split_rows[name] = {"day-0 return": d.loc[0, "ret"], "market part": d.loc[0, "market_part"],
                        "sector part": d.loc[0, "sector_part"], "intercept": d.loc[0, "alpha"], "own (AR)": d.loc[0, "ar"],
                        "t": d.loc[0, "t"], "beta market": m.params.iloc[1], "beta sector": m.params.iloc[2],
                        "CAR[0,+1]": d["ar"].sum(), "returns fitted": m.n_est}
split = pd.DataFrame(split_rows).T
split.style.format({c: pct for c in ("day-0 return", "market part", "sector part", "intercept", "own (AR)", "CAR[0,+1]")}
                   | {"t": "{:.2f}", "beta market": "{:.2f}", "beta sector": "{:.2f}", "returns fitted": "{:.0f}"})

# %%
peer_day = day_returns(prices, [US, *PEERS, "KWEB", "^GSPC"], [day0[US]]).iloc[:, 0]
hk_day = day_returns(prices, [HK, HK_PEER, HK_BENCHMARK], [day0[HK]]).iloc[:, 0]
base_ar = float(wide.loc[shown["BABA: market model, S&P 500"], "CAR [0,0]"])
peer_ar = float(basket_res.events.iloc[0]["car[0,0]"])  # = the hand-built index's row of the table (checked above)
own = split.loc["BABA: S&P 500 + China ADR peers", "own (AR)"]
display(Markdown(
    f"* On day 0 the four peers returned {', '.join(f'{s} {pct(peer_day[s])}' for s in PEERS)} "
    f"(KWEB {pct(peer_day['KWEB'])}, S&P 500 {pct(peer_day['^GSPC'])}).\n"
    f"* Against the S&P 500 BABA's day-0 AR is {pct(base_ar)}; against the equal-weight peer basket {pct(peer_ar)}; "
    f"with the market-plus-sector model on the peers its own part is {pct(own)} "
    f"(t = {split.loc['BABA: S&P 500 + China ADR peers', 't']:.2f}), and with KWEB as the sector "
    f"{pct(split.loc['BABA: S&P 500 + KWEB', 'own (AR)'])}. So about {own / base_ar:.0%} of the S&P 500 abnormal "
    f"return is Alibaba's own and the rest a move of Chinese shares in New York.\n"
    f"* In Hong Kong, Tencent (0700.HK) returned {pct(hk_day[HK_PEER])} on day 0 and the Hang Seng "
    f"{pct(hk_day[HK_BENCHMARK])}; 9988.HK's own part after both is {pct(split.loc['9988.HK: Hang Seng + Tencent', 'own (AR)'])} "
    f"(t = {split.loc['9988.HK: Hang Seng + Tencent', 't']:.2f})."
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
for d in (designs[0], next(x for x in designs if x.label.startswith("9988.HK: market model, Hang Seng ("))):
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
fig, axes = plt.subplots(2, 2, figsize=(13, 9))
for ax, ((sym, key), (pl, s)) in zip(axes.flat, draws.items(), strict=True):
    ax.hist(pl["car"], bins=30, color=MAIN, alpha=0.7, label=f"placebo CARs ({s.n} ordinary days)")
    ax.axvline(s.car, color=DAY0, lw=2, label=f"event CAR {pct(s.car)}")
    ax.axvline(-s.car, color=DAY0, lw=1, ls=":", label="mirror image (two-sided)")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=None))
    ax.set_title(f"{sym}, CAR{key}: |CAR| at least as large on {s.share_abs_car:.1%} of days")
    ax.set_xlabel(f"CAR{key} (%)")
    ax.set_ylabel("number of placebo days")
    legend_below(ax, ncol=3)
fig.suptitle("Placebo: the baseline design on every ordinary day of the estimation year")
fig.tight_layout()

# %% [markdown]
# ## What we found

# %% tags=["answer"]
pus0, pus1 = draws[(US, "[0,0]")][1], draws[(US, "[0,1]")][1]
phk0, phk1 = draws[(HK, "[0,0]")][1], draws[(HK, "[0,1]")][1]
display(Markdown(
    f"* **New York.** BABA's day-0 abnormal return is negative in every one of the {is_us.sum()} designs "
    f"({pct(us0.min())} to {pct(us0.max())}) and significant by the t test in {(us_t.abs() > crit).sum()} of them; "
    f"against the S&P 500 a |CAR| that large occurred on {pus0.share_abs_car:.1%} of the {pus0.n} placebo days "
    f"(rank p = {pus0.p_abs_car:.3f}). Its size depends on the benchmark: of the {pct(base_ar)} against the S&P 500, "
    f"{pct(own)} remains after the market and the China-ADR peers, so about {1 - own / base_ar:.0%} was a sector move. "
    f"Over [0,+1] the fall is smaller ({pct(us01.min())} to {pct(us01.max())}) and "
    f"borderline; {pus1.share_abs_car:.1%} of placebo days had a |CAR[0,+1]| as large.\n"
    f"* **Hong Kong.** 9988.HK's day 0 is significant in {(hk_t.abs() > crit).sum()} of {(~is_us).sum()} designs "
    f"({pct(hk0.min())} to {pct(hk0.max())}); "
    f"{phk0.share_abs_car:.1%} of placebo days had a larger |AR|. Over [0,+1], which takes in New York's Monday, "
    f"{phk1.share_abs_car:.1%} of placebo days had a |CAR| as large.\n"
    f"* **Against the peer basket** {PEER_BASKET} BABA's day-0 AR is {pct(peer_ar)} (t = {bev['t[0,0]']:.2f}), compared "
    f"with {pct(base_ar)} against the S&P 500.\n"
    f"* **GARCH and resampling:** with GARCH(1,1) or GJR-GARCH errors BABA's day-0 t is {garch_t['BABA'].min():.2f} to "
    f"{garch_t['BABA'].max():.2f} (OLS {wide.loc[base_rows['BABA'], 't [0,0]']:.2f}); the placebo-date permutation p is "
    f"{wide.loc[base_rows['BABA'], 'perm p [0,0]']:.3f} for BABA and {wide.loc[base_rows['9988.HK'], 'perm p [0,0]']:.3f} "
    f"for 9988.HK."
))

# %% [markdown]
# **Conclusion.** New York marked Alibaba down on the day the RMB 380bn plan was published under every
# design above, but the size of the fall depends on what "normal" means: a large part of it was shared
# by Chinese shares in New York that day, and what is left after the market and the peers (the table
# above) is Alibaba's own. Dropping the largest-residual days (the September-October 2024 China stimulus
# days among them) or the earlier results days from the estimation window changes little. Hong Kong, which
# traded on the plan first, fell far less; part of New York's Monday fall reached Hong Kong only on Tuesday,
# and part of it was New York giving back a Friday gain that Hong Kong had never priced (notebook 02). The
# fall came two sessions after a large abnormal gain on the results, so over windows that contain both the
# net effect is not negative.
#
# **Limits.** One event, so no cross-section: inference rests on the estimation-window residuals (t test, SQ
# test) and on placebo days that share data with one another. The plan cannot be separated from the
# weekend US policy directive on Chinese investment, from profit-taking after a rally, or from the results
# two sessions before, whose promise of more AI spending had already been priced. Closing prices cannot
# show the intraday path. The exchange rate is
# assumed, not observed (notebook 02), and the benchmarks that best remove China-wide moves (KWEB, the Hang
# Seng) contain Alibaba itself.
