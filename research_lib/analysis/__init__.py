"""Analyses built on a study's results: groups, calendar time, robustness, ADR parity."""

from __future__ import annotations

from research_lib.analysis.calendar_time import (
    CalendarTimeResult,
    calendar_time_abnormal,
    calendar_time_alpha,
    calendar_time_from_result,
    calendar_time_portfolio,
    holdings_from_result,
)
from research_lib.analysis.cross_section import cross_section
from research_lib.analysis.groups import (
    DEFAULT_GROUP_TESTS,
    GroupComparison,
    compare_groups,
    group_difference,
    median_split,
    select_events,
    subgroup_table,
    with_without,
)
from research_lib.analysis.parity import (
    HKD_PEG_BAND,
    PEG_BANDS,
    FxAssumption,
    adr_parity,
    fx_assumption,
    fx_daily_moves,
    rescale_to_reference,
)
from research_lib.analysis.robustness import (
    Design,
    PlaceboSummary,
    fit_design,
    mask_estimation_dates,
    placebo_cars,
    placebo_days,
    placebo_summary,
    plot_robustness,
    robustness_table,
)
from research_lib.analysis.tables import caar_table, results_json, tidy_tests, to_csv, to_excel, to_latex, write_outputs

__all__ = [
    "CalendarTimeResult",
    "calendar_time_abnormal",
    "calendar_time_alpha",
    "calendar_time_from_result",
    "calendar_time_portfolio",
    "holdings_from_result",
    "DEFAULT_GROUP_TESTS",
    "GroupComparison",
    "compare_groups",
    "cross_section",
    "caar_table",
    "results_json",
    "tidy_tests",
    "to_csv",
    "to_excel",
    "to_latex",
    "write_outputs",
    "group_difference",
    "median_split",
    "select_events",
    "subgroup_table",
    "with_without",
    "PEG_BANDS",
    "HKD_PEG_BAND",
    "FxAssumption",
    "adr_parity",
    "fx_assumption",
    "fx_daily_moves",
    "rescale_to_reference",
    "Design",
    "PlaceboSummary",
    "fit_design",
    "mask_estimation_dates",
    "placebo_cars",
    "placebo_days",
    "placebo_summary",
    "plot_robustness",
    "robustness_table",
]
