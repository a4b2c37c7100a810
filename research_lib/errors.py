"""Typed errors.  Every message names the problem and the fix."""

from __future__ import annotations

from typing import Any


class ResearchLibError(Exception):
    """Base class of the package's errors.

    Examples
    --------
    >>> from research_lib import ResearchLibError, get_model
    >>> try:
    ...     get_model("no_such_model")
    ... except ResearchLibError as err:
    ...     print(type(err).__name__)
    InvalidRequestError
    """


# --- data -------------------------------------------------------------------
class DataError(ResearchLibError):
    """Prices or factors could not be obtained or are unusable."""


class UnknownSymbolError(DataError):
    """A symbol is not in the registry or no source knows it."""


class DataUnavailableError(DataError):
    """No source could deliver the requested data (offline, empty download)."""


class SnapshotError(DataError):
    """A snapshot directory or file is missing or malformed."""


class CacheCorruptError(DataError):
    """A cache file does not match its manifest's checksum or cannot be read."""


class RateLimitError(DataError):
    """Yahoo kept refusing requests after retries with back-off."""


class InvalidRequestError(ResearchLibError, ValueError):
    """The request itself is inconsistent (for example start after end)."""


# --- events and windows -----------------------------------------------------
class EventError(ResearchLibError, ValueError):
    """An event definition is invalid (naive timestamp, duplicate id ...)."""


class WindowError(ResearchLibError, ValueError):
    """Estimation/event windows are inconsistent (order, overlap)."""


class InsufficientEstimationWindowError(ResearchLibError):
    """Too few valid estimation returns.

    Parameters
    ----------
    n_obs, required
        Valid returns found and the minimum asked for.
    """

    def __init__(self, n_obs: int, required: int, what: str = "") -> None:
        self.n_obs = n_obs
        self.required = required
        prefix = f"{what}: " if what else ""
        super().__init__(
            f"{prefix}only {n_obs} valid estimation returns, {required} required; "
            "lengthen the estimation window or lower min_estimation"
        )


class NoValidEventsError(ResearchLibError):
    """Every event was excluded; the message lists why.

    Parameters
    ----------
    message
        The reasons, one per event.
    attrition
        The attrition table at the point of failure (a DataFrame, or None), so that a caller can
        add it to its own log.
    """

    def __init__(self, message: str, attrition: Any = None) -> None:
        super().__init__(message)
        self.attrition = attrition


class CatalogueError(ResearchLibError, ValueError):
    """A row of an events file is invalid."""


class EventsFileNotFoundError(CatalogueError, FileNotFoundError):
    """The events file is missing (or is a folder); still a ``FileNotFoundError`` for older callers."""


class InputFileNotFoundError(InvalidRequestError, FileNotFoundError):
    """An input file other than the events file (data, registry, portfolios, template) is missing."""


# --- outputs and study design -------------------------------------------------
class OutputError(InvalidRequestError):
    """An output path cannot be written safely (empty, not a regular file, or an input file)."""


class DesignError(InvalidRequestError):
    """The study design is self-defeating (e.g. a benchmark equal to the security)."""
