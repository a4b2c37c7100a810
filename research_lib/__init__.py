"""research_lib: an exact, offline-first event-study toolkit.

The package holds every computation used by the project's notebooks: price data
(snapshot, yfinance, on-disk cache), exchange calendars and day-0 mapping,
normal-return models solved for many events at once, the event-study test
battery, result objects and plots.

The names a user needs are importable from here (``from research_lib import
event_study``); they load on first use, so ``import research_lib`` stays quick.

Examples
--------
>>> import research_lib
>>> "event_study" in research_lib.__all__
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from research_lib._lazy import lazy_attributes

__version__ = "0.2.0"

# public name -> module that defines it (loaded lazily, PEP 562)
_EXPORTS: dict[str, str] = {
    "event_study": "research_lib.study",
    "read_price_table": "research_lib.study",
    "EventStudyResult": "research_lib.results",
    "StudyParameters": "research_lib.results",
    "WindowSpec": "research_lib.engine.windows",
    "EventPanel": "research_lib.engine.panel",
    "AbnormalReturns": "research_lib.engine.panel",
    "build_panel": "research_lib.engine.windows",
    "fit_model": "research_lib.models.fit",
    "Model": "research_lib.models.registry",
    "ModelName": "research_lib.models.registry",
    "get_model": "research_lib.models.registry",
    "model_names": "research_lib.models.registry",
    "register": "research_lib.models.registry",
    "TestBattery": "research_lib.inference.battery",
    "TestResult": "research_lib.inference.battery",
    "Conventions": "research_lib.conventions",
    "get_conventions": "research_lib.conventions",
    "load_prices": "research_lib.data.prices",
    "load_price": "research_lib.data.prices",
    "read_events": "research_lib.events.reader",
    "load_catalogue": "research_lib.cases.capex",
    "StudySpec": "research_lib.spec",
    "Attrition": "research_lib.events.attrition",
    "ResearchLibError": "research_lib.errors",
}

# spelled out so that linters and type checkers see the public names
__all__ = [
    "__version__",
    "event_study",
    "read_price_table",
    "EventStudyResult",
    "StudyParameters",
    "WindowSpec",
    "EventPanel",
    "AbnormalReturns",
    "build_panel",
    "fit_model",
    "Model",
    "ModelName",
    "get_model",
    "model_names",
    "register",
    "TestBattery",
    "TestResult",
    "Conventions",
    "get_conventions",
    "load_prices",
    "load_price",
    "read_events",
    "load_catalogue",
    "StudySpec",
    "Attrition",
    "ResearchLibError",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from research_lib.cases.capex import load_catalogue
    from research_lib.conventions import Conventions, get_conventions
    from research_lib.data.prices import load_price, load_prices
    from research_lib.engine.panel import AbnormalReturns, EventPanel
    from research_lib.engine.windows import WindowSpec, build_panel
    from research_lib.errors import ResearchLibError
    from research_lib.events.attrition import Attrition
    from research_lib.events.reader import read_events
    from research_lib.inference.battery import TestBattery, TestResult
    from research_lib.models.fit import fit_model
    from research_lib.models.registry import Model, ModelName, get_model, model_names, register
    from research_lib.results import EventStudyResult, StudyParameters
    from research_lib.spec import StudySpec
    from research_lib.study import event_study, read_price_table


__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS, globals(), __all__)
