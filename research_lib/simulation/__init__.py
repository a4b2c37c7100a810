"""Simulation of the tests' size and power (Brown and Warner 1985 designs)."""

from __future__ import annotations

from research_lib.simulation.experiment import (
    BROWN_WARNER_WINDOWS,
    DEFAULT_SNAPSHOT_SYMBOLS,
    SIMULATION_TESTS,
    SINGLE_FIRM_TESTS,
    PerSampleTests,
    PseudoEvents,
    ReturnUniverse,
    SimulationDesign,
    SimulationResult,
    SyntheticMarket,
    car_sd,
    draw_events,
    mackinlay_detectable,
    mackinlay_power,
    plant_abnormal_returns,
    pseudo_panel,
    sample_slice,
    simulate,
    snapshot_universe,
)

__all__ = [
    "BROWN_WARNER_WINDOWS",
    "DEFAULT_SNAPSHOT_SYMBOLS",
    "SIMULATION_TESTS",
    "SINGLE_FIRM_TESTS",
    "PerSampleTests",
    "PseudoEvents",
    "ReturnUniverse",
    "SimulationDesign",
    "SimulationResult",
    "SyntheticMarket",
    "car_sd",
    "draw_events",
    "mackinlay_detectable",
    "mackinlay_power",
    "plant_abnormal_returns",
    "pseudo_panel",
    "sample_slice",
    "simulate",
    "snapshot_universe",
]
