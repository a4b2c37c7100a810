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
# # Alibaba's RMB 380bn AI plan, 24 February 2025: the reaction in New York
#
# **Question.** On Monday 24 February 2025 Alibaba said it would spend more than RMB 380bn on cloud and
# AI infrastructure over three years. Its New York shares (BABA, one ADS = 8 ordinary shares) fell sharply
# that day. How much of that fall is *abnormal*, that is, not explained by the US market; is it
# distinguishable from Alibaba's ordinary day-to-day noise; and how much of it did the other Chinese
# shares listed in New York share?
#
# **Design.** A single-firm event study: market model of BABA's daily simple return on the S&P 500,
# estimated on sessions [-250, -11] before day 0, abnormal returns (AR) and cumulative abnormal returns
# (CAR) over several windows, inference by the prediction-error t test and by the sample-quantile test of
# Gelbach, Helland and Klick (2013), which does not assume normal residuals.
#
# **Needs.** `research_lib` and the price snapshot (`RESEARCH_LIB_SNAPSHOT`); no network.
# Notebook 02 does the same for Hong Kong (9988.HK) and puts both markets on one clock; notebook 03 checks
# how much the answer depends on the design.

# %% tags=["parameters"]
ANNOUNCED_AT = "2025-02-24T11:48+08:00"  # earliest report of the plan found (catalogue row 20250224_alibaba_380bn_3y)
SYMBOL = "BABA"
BENCHMARK = "^GSPC"
ESTIMATION_WINDOW = (-250, -11)
EVENT_WINDOW = (-10, 10)
CAR_WINDOWS = [(0, 0), (0, 1), (-1, 1), (-2, 1), (-3, 3)]
CONFIDENCE = 0.95
CAR_PLOT_START = -3  # the CAR panel cumulates from here, so the results days, not the earlier run-up, set its scale
# China ADRs listed in New York (and the China-internet ETF) to compare with BABA on day 0
PEERS = {"JD": "JD.com", "PDD": "PDD Holdings", "TCEHY": "Tencent, OTC ADR", "BIDU": "Baidu", "KWEB": "China internet ETF"}
# The December-quarter results came out on 2025-02-20 after the Hong Kong close (16:00 HKT) and before the
# New York open (09:30 ET); the exact time is not in the catalogue, so the whole interval is carried.
RESULTS_RELEASED = ("2025-02-20T16:00+08:00", "2025-02-20T09:30-05:00")

# %%
import logging
import sys

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display
from scipy import stats

from research_lib.analysis.peers import day_returns
from research_lib.cases import alibaba as case
from research_lib.conventions import pct_label
from research_lib.inference.single_firm import sample_quantile_test
from research_lib.listings.calendars import day_zero
from research_lib.plotting import LOSS, MAIN, MARK, legend_below, plot_car
from research_lib.runner.provenance import provenance_table
from research_lib.study import event_study

# data-quality notes of the data layer go to the output, not to stderr
logging.basicConfig(stream=sys.stdout, level=logging.WARNING, format="%(name)s: %(message)s", force=True)
pd.set_option("display.width", 140)
pct = "{:.2%}".format

# %% [markdown]
# ## Provenance
# Where the prices come from (file, checksum, range, sessions missing against the exchange calendar) and
# the software versions.

# %%
provenance_table([SYMBOL, BENCHMARK, *PEERS], start="2023-12-01", end="2025-03-31")

# %% [markdown]
# ## The timeline and day 0
#
# The catalogue records the facts and their sources. The plan was published during the Hong Kong session
# on Monday; in New York that was Sunday evening, so New York's first session able to react, its day 0, is
# Monday 24 February. Day 0 is derived from the timestamp on each exchange's own calendar, never typed in.

# %%
rec = case.case_record()
facts = rec[["company", "announced_local", "timing", "timing_basis", "earnings_date", "confounders", "amount_text"]]
facts.to_frame("catalogue").style.set_properties(**{"white-space": "pre-wrap", "text-align": "left"})

# %%
dz = day_zero(ANNOUNCED_AT, SYMBOL)
case.day_zero_table(ANNOUNCED_AT)[["symbol", "exchange", "local_time", "day0", "rule", "catalogue_day0"]]

# %% [markdown]
# Two other pieces of news sit close to day 0 and cannot be separated from it by any model:
#
# * the **results and earnings call** of 2025-02-20 (management promised more AI spending, without a
#   figure), released after the Hong Kong close and before the New York open;
# * a **US policy directive on Chinese investment** over the weekend of 22-23 February, which lands in the
#   same Friday-close-to-Monday-close return as the plan.
#
# Where do these dates fall in event time (sessions of the New York Stock Exchange relative to day 0), and
# relative to the estimation window?

# %%
res = event_study(
    case.case_events({SYMBOL: BENCHMARK}, ANNOUNCED_AT),
    estimation_window=ESTIMATION_WINDOW,
    event_window=EVENT_WINDOW,
    car_windows=CAR_WINDOWS,
    model="market",
    confidence=CONFIDENCE,
)
est_dates = pd.DatetimeIndex(res.abnormal.panel.est_dates[0])
results_day = day_zero(RESULTS_RELEASED[0], SYMBOL).session  # both ends of the interval give the same session
assert results_day == day_zero(RESULTS_RELEASED[1], SYMBOL).session
rows = {
    "results and call (first NY session to react)": results_day,
    "last session before the weekend directive": pd.Timestamp("2025-02-21"),
    "plan published (day 0)": dz.session,
    "estimation window starts": est_dates[0],
    "estimation window ends": est_dates[-1],
}
timeline = pd.DataFrame({"date": list(rows.values())}, index=list(rows))
timeline["tau (NYSE sessions)"] = case.event_time(SYMBOL, dz.session, timeline["date"]).to_numpy()
timeline["in estimation window"] = timeline["date"].between(est_dates[0], est_dates[-1])
timeline

# %%
tau_results = int(timeline.loc["results and call (first NY session to react)", "tau (NYSE sessions)"])
display(Markdown(
    f"The results reaction falls on tau = {tau_results}: inside the event window "
    f"[{EVENT_WINDOW[0]}, {EVENT_WINDOW[1]}] and outside the estimation window "
    f"[{ESTIMATION_WINDOW[0]}, {ESTIMATION_WINDOW[1]}] ({est_dates[0]:%Y-%m-%d} to {est_dates[-1]:%Y-%m-%d}), "
    f"so it does not contaminate the normal-return model and no date has to be removed from the estimation "
    f"window. Earlier quarterly results and the January 2025 DeepSeek days are inside the estimation window; "
    f"notebook 03 shows what removing such days changes."
))

# %%
display(Markdown(
    f"**Why [{ESTIMATION_WINDOW[0]}, {ESTIMATION_WINDOW[1]}].** About one trading year of daily returns "
    f"({int(res.events.iloc[0]['n_est'])} returns here) estimates the market model's two parameters and the residual "
    f"variance precisely, yet is recent enough for BABA's beta. It ends {-ESTIMATION_WINDOW[1] - 1} sessions before "
    f"day 0 so that leakage or the results run-up cannot enter the estimate. Notebook 03 repeats the study with "
    f"shorter and longer windows."
))

# %% [markdown]
# ## The market model and the abnormal returns
#
# The fitted market model (alpha and the residual standard deviation are daily; returns in percent):

# %%
ev = res.events.iloc[0]
fit = pd.DataFrame({"value": [f"{ev['alpha']:.3%}", f"{ev['beta']:.3f}", f"{ev['sigma']:.2%}", f"{int(ev['n_est'])}"]},
                   index=["alpha (daily)", "beta on the S&P 500", "residual SD (daily)", "estimation returns"])
fit

# %% [markdown]
# Daily abnormal returns AR_t = R_t - (alpha + beta R_m,t) with their prediction-error standard errors,
# t statistics (Student t with M - 2 degrees of freedom) and the running CAR from day -10:

# %%
daily = res.daily.set_index("tau")[["date", "ar", "ar_se", "t", "p", "car"]]
daily.rename(columns={"ar": "AR", "ar_se": "SE(AR)", "car": f"CAR from {EVENT_WINDOW[0]}"}).style.format(
    {"date": "{:%a %Y-%m-%d}", "AR": pct, "SE(AR)": pct, "t": "{:.2f}", "p": "{:.4f}", f"CAR from {EVENT_WINDOW[0]}": pct})

# %%
ar0 = float(daily.loc[0, "ar"])
raw0 = float(res.abnormal.panel.r_evt[0, list(res.abnormal.panel.tau_evt).index(0)])
display(Markdown(
    f"On day 0 ({dz.session:%A %d %B %Y}) BABA returned {pct(raw0)}; with beta = {ev['beta']:.3f} and the "
    f"S&P 500's move that day the normal return was {pct(raw0 - ar0)}, so the abnormal return is "
    f"**{pct(ar0)}** (t = {daily.loc[0, 't']:.2f}, two-sided p = {daily.loc[0, 'p']:.2g}). "
    f"The residual standard deviation is {pct(ev['sigma'])} a day, so day 0 is {abs(ar0) / ev['sigma']:.1f} "
    f"residual SDs. The two sessions before it carried the results reaction: AR on tau = -2 was "
    f"{pct(daily.loc[-2, 'ar'])} and on tau = -1 {pct(daily.loc[-1, 'ar'])}."
))

# %% [markdown]
# CARs over the chosen windows, with the prediction-error standard error
# Var(CAR) = s^2 [L + g'(X'X)^-1 g] (Campbell, Lo and MacKinlay 1997, eq. 4.4.11-4.4.14) and the 95%
# two-sided confidence interval:

# %%
cars = res.car_table().set_index("window")
ci = [c for c in cars.columns if c.startswith("ci_")]
cars_shown = cars.rename(columns={"car": "CAR", "se": "SE", "se_from": "SE from"}
                         | {c: c.replace("ci_low_", "CI low ").replace("ci_high_", "CI high ") for c in ci})
cars_shown.style.format({c: pct for c in cars_shown.columns if c in ("CAR", "SE") or c.startswith("CI ")}
                        | {"t": "{:.2f}", "p": "{:.4f}"}, na_rep="-")

# %% [markdown]
# The same study as one statsmodels-style summary (`res.summary()`; returns, CARs and their intervals in
# percent, statistics to two or three decimals), for a paper's appendix or a quick look:

# %%
res.summary()

# %%
fig, axes = plt.subplots(1, 2, figsize=(14, 5.2))
res.plot("ar", ax=axes[0])
plot_car(res, ax=axes[1], level=CONFIDENCE, start=CAR_PLOT_START)
for ax in axes:
    ax.axvline(tau_results, color=MARK, ls=":", lw=1.4, label=f"results reaction (tau = {tau_results})")
    legend_below(ax)
axes[1].set_xlim(CAR_PLOT_START - 0.5, EVENT_WINDOW[1] + 0.5)
axes[0].set_title(f"{SYMBOL}: daily abnormal returns vs the S&P 500 (market model)")
axes[1].set_title(f"{SYMBOL}: CAR from day {CAR_PLOT_START}, {pct_label(CONFIDENCE)} two-sided band")
fig.tight_layout()

# %% [markdown]
# ## Was it Alibaba, or Chinese shares in New York?
#
# The Monday return also holds the weekend's US policy directive on Chinese investment and any profit-taking
# in Chinese shares after a strong month. Other Chinese companies listed in New York faced the same news but
# not Alibaba's plan. Their raw returns that day, and their abnormal returns against the S&P 500 by the
# same market model (each fitted on its own estimation window):

# %%
peer_res = event_study(
    case.case_events({s: BENCHMARK for s in [SYMBOL, *PEERS]}, ANNOUNCED_AT),
    estimation_window=ESTIMATION_WINDOW, event_window=(0, 0), car_windows=[(0, 0)], model="market",
    confidence=CONFIDENCE,
)
peer_prices = case.load_case_prices([SYMBOL, *PEERS, BENCHMARK], start="2025-01-01", end="2025-03-31")
raw = day_returns(peer_prices, [SYMBOL, *PEERS, BENCHMARK], [dz.session]).iloc[:, 0]
pe = peer_res.events.set_index("symbol")
peers_day0 = pd.DataFrame({
    "listing": [f"{s} ({PEERS.get(s, 'Alibaba')})" for s in [SYMBOL, *PEERS]] + ["S&P 500 (^GSPC)"],
    "return on day 0": raw.to_numpy(),
    "beta": list(pe.loc[[SYMBOL, *PEERS], "beta"]) + [np.nan],
    "AR vs S&P 500": list(pe.loc[[SYMBOL, *PEERS], "car[0,0]"]) + [np.nan],
    "t": list(pe.loc[[SYMBOL, *PEERS], "t[0,0]"]) + [np.nan],
}).set_index("listing")
peers_day0.style.format({"return on day 0": pct, "beta": "{:.2f}", "AR vs S&P 500": pct, "t": "{:.2f}"}, na_rep="-")

# %%
fig, ax = plt.subplots(figsize=(9, 3.6))
colors = [LOSS if s == SYMBOL else MAIN for s in [SYMBOL, *PEERS]] + ["0.5"]
ax.barh(peers_day0.index[::-1], peers_day0["return on day 0"][::-1], color=colors[::-1])
ax.xaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0, decimals=0))
ax.axvline(0, color="0.3", lw=0.8)
ax.set_xlabel(f"close-to-close return on {dz.session:%a %d %b %Y} (%)")
ax.set_title("Chinese shares in New York on the day of the plan")
fig.tight_layout()

# %%
peer_only = [s for s in PEERS if s != "KWEB"]
mean_peer_raw = float(raw[peer_only].mean())
mean_peer_ar = float(pe.loc[peer_only, "car[0,0]"].mean())
baba_ar = float(pe.loc[SYMBOL, "car[0,0]"])
display(Markdown(
    f"On day 0 the S&P 500 returned {pct(raw[BENCHMARK])}, but the four Chinese ADRs {', '.join(peer_only)} fell "
    f"between {pct(raw[peer_only].min())} and {pct(raw[peer_only].max())} (equal-weight mean {pct(mean_peer_raw)}) "
    f"and KWEB {pct(raw['KWEB'])}. Against the S&P 500 their mean abnormal return was {pct(mean_peer_ar)}, against "
    f"BABA's {pct(baba_ar)}: about {mean_peer_ar / baba_ar:.0%} of BABA's abnormal fall was common to Chinese shares "
    f"in New York that day, news the plan does not explain. What is left, {pct(baba_ar - mean_peer_ar)}, is the "
    f"simplest estimate of Alibaba's own move; notebook 03 makes this a benchmark (an equal-weight peer basket and a "
    f"market-plus-sector model)."
))

# %% [markdown]
# ## What was traded: volume and the day's range
#
# Returns say where the price closed; volume and the high-low range say how much was traded and how far
# the price travelled on the way. Abnormal log volume is log(1 + V) on the event day minus its mean over
# the same estimation window (the mean-adjusted model of Campbell and Wasley 1996, t = AV / (s sqrt(1 + 1/M))).
# Range variance is the Parkinson (1980) estimator (ln H/L)^2 / (4 ln 2) and the Garman-Klass (1980) one
# from open, high, low and close; the test is on its log against the estimation days. The close location
# (C - L)/(H - L) is 1 when the stock closed at its high and 0 at its low. SQ p is the sample-quantile
# p-value against the estimation days, which does not assume normality.

# %%
frames = case.load_case_frames([SYMBOL, BENCHMARK], start="2023-12-01", end="2025-03-31")
trading = case.trading_measures(res.abnormal.panel, frames, taus=(-2, -1, 0, 1))
trading_shown = trading.pivot_table(index=["tau", "date"], columns="measure", values=["abnormal", "ratio", "t", "SQ p"],
                                    sort=False)
trading_shown = trading_shown.reorder_levels([1, 0], axis=1)[
    [(m, c) for m in ("log volume", "Parkinson", "Garman-Klass") for c in ("abnormal", "ratio", "t", "SQ p")]]
day_info = trading[trading["measure"] == "log volume"].set_index(["tau", "date"])[["volume", "close location"]]
trading_shown = pd.concat([day_info.set_axis(pd.MultiIndex.from_tuples([("day", "volume (shares)"), ("day", "close location")]),
                                             axis=1), trading_shown], axis=1)
trading_shown.style.format({c: ("{:,.0f}" if c[1] == "volume (shares)" else "{:.2f}" if c[1] != "SQ p" else "{:.3f}")
                            for c in trading_shown.columns}).format_index("{:%a %d %b}", level=1)

# %%
tv = trading.set_index(["measure", "tau"])
v0, pk0, gk0 = tv.loc[("log volume", 0)], tv.loc[("Parkinson", 0)], tv.loc[("Garman-Klass", 0)]
vr = tv.loc[("log volume", tau_results)]
bar0 = frames[SYMBOL].loc[dz.session]
prev0 = frames[SYMBOL].loc[: dz.session].iloc[-2]
gap_share = np.log(bar0["open"] / prev0["close"]) / np.log(bar0["close"] / prev0["close"])
opened = "at the day's high" if bar0["open"] >= bar0["high"] else f"{pct(bar0['open'] / bar0['high'] - 1)} below the day's high"
display(Markdown(
    f"On day 0 {v0['volume'] / 1e6:.1f} million BABA shares traded, {v0['ratio']:.1f} times the normal (geometric-mean) "
    f"level (abnormal log volume {v0['abnormal']:.2f}, t = {v0['t']:.2f}, SQ p = {v0['SQ p']:.3f}); on the results "
    f"day tau = {tau_results} it was {vr['ratio']:.1f} times (t = {vr['t']:.2f}). The day's range was wide: the Parkinson "
    f"variance was {pk0['ratio']:.1f} times its estimation-window mean (t = {pk0['t']:.2f} on the log, SQ p = "
    f"{pk0['SQ p']:.3f}), Garman-Klass, which uses the open and close as well, {gk0['ratio']:.1f} times "
    f"(t = {gk0['t']:.2f}, SQ p = {gk0['SQ p']:.3f}). On the snapshot's adjusted prices BABA opened at {bar0['open']:.2f} "
    f"({pct(bar0['open'] / prev0['close'] - 1)} from Friday's close of {prev0['close']:.2f}), {opened}, traded down to "
    f"{bar0['low']:.2f} and closed at {bar0['close']:.2f}, a close location of {v0['close location']:.2f}. So {gap_share:.0%} of the "
    f"day's log return was already in the opening price -- the weekend's news, priced before New York could trade -- "
    f"and the session added to it rather than recovering. A daily bar cannot say more about the path within the session "
    f"(notebook 02 returns to this for Hong Kong)."
))

# %% [markdown]
# ## Inference for one firm without normality
#
# With a single event there is no cross-section: the t test above leans on normally distributed
# residuals. Daily returns of a single stock are fat-tailed, which the estimation-window residuals show:

# %%
resid = res.abnormal.est_resid[0]
resid = resid[np.isfinite(resid)]
jb = stats.jarque_bera(resid)
shape = pd.Series({"residuals": resid.size, "skewness": stats.skew(resid), "excess kurtosis": stats.kurtosis(resid),
                   "Jarque-Bera statistic": jb.statistic, "Jarque-Bera p": jb.pvalue}, name="estimation residuals")
shape.to_frame().style.format("{:.3g}")

# %% [markdown]
# The sample-quantile (SQ) test compares the event's CAR over L sessions with the empirical distribution
# of all sums of L consecutive estimation residuals; its p-value is 2 min(F(CAR), 1 - F(CAR-)). With M
# residuals and L = 1 the smallest attainable non-zero tail share is 1/M, so p = 0 means "beyond every
# residual sum of the estimation year", not certainty.

# %%
sq = pd.DataFrame([
    {"window": f"[{a},{b}]", "car": t.car, "t-test p": float(cars.loc[f"[{a},{b}]", "p"]), "SQ p": t.pvalue,
     "SQ 2.5%": t.lower, "SQ 97.5%": t.upper, "residual sums": t.n_sums}
    for (a, b) in CAR_WINDOWS for t in [sample_quantile_test(res.abnormal, 0, (a, b), CONFIDENCE)]
]).set_index("window")
sq.rename(columns={"car": "CAR"}).style.format({"CAR": pct, "t-test p": "{:.4f}", "SQ p": "{:.4f}", "SQ 2.5%": pct,
                                                "SQ 97.5%": pct, "residual sums": "{:d}"})

# %% [markdown]
# ## What we found

# %% tags=["answer"]
c01, c11, c21 = (cars.loc[w] for w in ("[0,1]", "[-1,1]", "[-2,1]"))
n_below = int(np.sum(resid <= ar0))
run_up = float(daily.loc[-1, "car"])
display(Markdown(
    f"* Day 0 in New York: BABA's abnormal return was **{pct(ar0)}** (t = {daily.loc[0, 't']:.2f}); "
    f"{'none' if n_below == 0 else n_below} of the {int(sq.loc['[0,0]', 'residual sums'])} one-day residuals of the "
    f"estimation year {'was' if n_below == 0 else 'were'} as low (SQ p = {sq.loc['[0,0]', 'SQ p']:.3f}). By either test "
    f"the Monday fall is not ordinary noise.\n"
    f"* It was partly undone the next day: CAR[0,+1] = {pct(c01['car'])} (t = {c01['t']:.2f}, SQ p = "
    f"{sq.loc['[0,1]', 'SQ p']:.3f}).\n"
    f"* Windows that also hold the results rally are not negative: CAR[-1,+1] = {pct(c11['car'])} "
    f"(p = {c11['p']:.2f}) and CAR[-2,+1] = {pct(c21['car'])} (p = {c21['p']:.3f}). Over the week the plan "
    f"took back part of a large post-results gain rather than creating a loss.\n"
    f"* The whole fortnight before day 0 was unusual: CAR[{EVENT_WINDOW[0]},-1] = {pct(run_up)}, a rally the "
    f"S&P 500 does not capture; notebook 03 asks how much of it a China-internet benchmark explains.\n"
    f"* Chinese ADRs fell too: the mean abnormal return of {', '.join(peer_only)} against the S&P 500 was "
    f"{pct(mean_peer_ar)}, so roughly {pct(baba_ar - mean_peer_ar)} of BABA's day-0 AR is left for Alibaba's own news.\n"
    f"* Trading: day-0 volume was {v0['ratio']:.1f} times normal (abnormal log volume {v0['abnormal']:.2f}, t = "
    f"{v0['t']:.2f}) and the Parkinson range variance {pk0['ratio']:.1f} times normal (t = {pk0['t']:.2f}); BABA closed "
    f"near the day's low (close location {v0['close location']:.2f})."
))

# %% [markdown]
# **Interpretation and limits.** The Monday abnormal return measures everything that reached BABA's price
# between Friday's and Monday's New York closes: the plan, the weekend US policy directive on Chinese
# investment, and the Hong Kong Monday session. A market model on the S&P 500 removes US market moves
# only; the peers show that a large part of the fall was shared by Chinese shares in New York, which the
# plan cannot explain, though the directive or profit-taking could. What is left after the peers is closer
# to Alibaba's own news, but it still mixes the plan with anything else specific to Alibaba that weekend. The clean statement is therefore about the *window*: BABA
# fell abnormally on the day the plan came out, after two days of abnormal gains on the results. Notebook
# 02 shows why Hong Kong saw a much smaller fall, and notebook 03 how the numbers move with the benchmark,
# the model and the estimation window.
