"""Analyses built on a study's results: groups, calendar time, robustness, ADR parity.

The names are loaded on first use (:func:`__getattr__`): importing the package does not import
statsmodels or scipy.stats, which the calendar-time and cross-section modules need.
"""

from __future__ import annotations

from research_lib._lazy import lazy_attributes

#: public name -> the module that defines it
_WHERE = {
    "CalendarTimeResult": "research_lib.analysis.calendar_time",
    "calendar_time_abnormal": "research_lib.analysis.calendar_time",
    "calendar_time_alpha": "research_lib.analysis.calendar_time",
    "calendar_time_from_result": "research_lib.analysis.calendar_time",
    "calendar_time_portfolio": "research_lib.analysis.calendar_time",
    "holdings_from_result": "research_lib.analysis.calendar_time",
    "cross_section": "research_lib.analysis.cross_section",
    "DEFAULT_GROUP_TESTS": "research_lib.analysis.groups",
    "GroupComparison": "research_lib.analysis.groups",
    "compare_groups": "research_lib.analysis.groups",
    "group_difference": "research_lib.analysis.groups",
    "median_split": "research_lib.analysis.groups",
    "select_events": "research_lib.analysis.groups",
    "subgroup_table": "research_lib.analysis.groups",
    "with_without": "research_lib.analysis.groups",
    "HKD_PEG_BAND": "research_lib.analysis.parity",
    "PEG_BANDS": "research_lib.analysis.parity",
    "FxAssumption": "research_lib.analysis.parity",
    "adr_parity": "research_lib.analysis.parity",
    "fx_assumption": "research_lib.analysis.parity",
    "fx_daily_moves": "research_lib.analysis.parity",
    "rescale_to_reference": "research_lib.analysis.parity",
    "Design": "research_lib.analysis.robustness",
    "PlaceboSummary": "research_lib.analysis.robustness",
    "fit_design": "research_lib.analysis.robustness",
    "mask_estimation_dates": "research_lib.analysis.robustness",
    "placebo_cars": "research_lib.analysis.robustness",
    "placebo_days": "research_lib.analysis.robustness",
    "placebo_summary": "research_lib.analysis.robustness",
    "plot_robustness": "research_lib.analysis.robustness",
    "robustness_table": "research_lib.analysis.robustness",
    "caar_table": "research_lib.analysis.tables",
    "results_json": "research_lib.analysis.tables",
    "tidy_tests": "research_lib.analysis.tables",
    "to_csv": "research_lib.analysis.tables",
    "to_excel": "research_lib.analysis.tables",
    "to_latex": "research_lib.analysis.tables",
    "write_outputs": "research_lib.analysis.tables",
}

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


__getattr__, __dir__ = lazy_attributes(__name__, _WHERE, globals())


# The function shares its name with its module: bound here, an import of the module elsewhere (which
# sets the package attribute to the module) cannot shadow it. The module imports only numpy and pandas.
from research_lib.analysis.cross_section import cross_section  # noqa: E402
