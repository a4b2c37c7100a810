"""The model registry: one object per normal-return model.

Every part of the package that needs to know something about a model (which
regressors :func:`research_lib.engine.windows.build_panel` gathers, which
factor file :mod:`research_lib.data.factors` loads, the market beta that
:mod:`research_lib.results` reports, the ``--model`` choices of the command
line, what the simulator can fit) asks the registry.  Adding a model is one
new module with a :class:`Model` subclass and a call to :func:`register`.

A model object knows

* its regressors and the data they need (:meth:`Model.layout`: benchmark
  returns at session offsets, factor columns, which are needed in the event
  window, and how many parameters it estimates);
* its parameter names (:meth:`Model.param_names`) and market beta
  (:meth:`Model.market_beta`);
* how to fit every event of a panel at once (:meth:`Model.fit`, vectorised
  over events);
* the variance of its ARs and CARs.  Every model states its estimation error
  as an (N, p, p) matrix A_i with Cov(theta_hat_i) = sigma_i^2 A_i for the
  coefficients that make the normal return x*' theta (for OLS A = (X'X)^-1),
  stored in ``AbnormalReturns.xtx_inv``; then
  Var(AR_it) = s_i^2 (1 + x*_it' A_i x*_it) (:meth:`Model.ar_variance`) and
  Var(CAR_i) = s_i^2 (L + g_i' A_i g_i) with g_i = X*_i' gamma
  (:meth:`Model.car_variance`, the same formula as
  :meth:`research_lib.engine.panel.AbnormalReturns.car`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from research_lib.errors import InvalidRequestError

if TYPE_CHECKING:
    from research_lib.conventions import Conventions
    from research_lib.engine.panel import AbnormalReturns, EventPanel

#: option strings of the built-in models (``register`` adds others at run time)
ModelName = Literal[
    "constant_mean", "market_adjusted", "market", "ff3", "ff5", "carhart4", "scholes_williams", "dimson"
]


@dataclass(frozen=True)
class Layout:
    """The regressors a model needs and where :func:`build_panel` finds them.

    Attributes
    ----------
    x_names
        names of the panel's regressor columns, in order.
    bench_offsets
        session offset of each benchmark column (-1 = the previous
        session's benchmark return); empty when the model uses no benchmark.
    factor_cols
        factor columns (besides ``rf``), empty when none.
    evt_required
        per column, whether the event-window value is needed (for the AR).
    k
        number of estimated parameters (``min_estimation`` must be at least k + 2).
    """

    x_names: tuple[str, ...]
    bench_offsets: tuple[int, ...]
    factor_cols: tuple[str, ...]
    evt_required: tuple[bool, ...]
    k: int

    @property
    def needs_benchmark(self) -> bool:
        return bool(self.bench_offsets)

    @property
    def max_lag(self) -> int:
        return max(0, -min(self.bench_offsets, default=0))

    @property
    def max_lead(self) -> int:
        return max(0, max(self.bench_offsets, default=0))


class Model:
    """Base class of a normal-return model (subclass it and :func:`register` an instance).

    Attributes
    ----------
    name
        the option string (``model="..."``).
    description
        one line for help texts.
    factor_files
        factor files of :mod:`research_lib.data.factors` the model
        needs (empty for models without factors).
    ols
        True when the fit is OLS of y on (1, regressors), so that
        :func:`research_lib.models.fit_event_ols` reproduces it.

    Examples
    --------
    A model is registered once and then selected by name everywhere
    (``event_study(..., model=...)``, ``--model`` on the command line):

    >>> from research_lib import get_model
    >>> m = get_model("scholes_williams")
    >>> m.name, m.param_names(("mkt_lag1", "mkt", "mkt_lead1"))
    ('scholes_williams', ('alpha', 'beta'))
    """

    name: str = ""
    description: str = ""
    factor_files: tuple[str, ...] = ()
    ols: bool = False

    # -- data ------------------------------------------------------------
    def layout(self, dimson_lags: int = 1) -> Layout:
        """The regressors the panel must hold (``dimson_lags``: K of the Dimson model, ignored by others)."""
        raise NotImplementedError

    def regressors(self, panel: EventPanel) -> list[str]:
        """Names of the panel's regressors this model uses (intercept excluded); raises if some are missing."""
        need = list(self.layout().x_names)
        self._require(panel, need)
        return need

    def _require(self, panel: EventPanel, need: list[str]) -> None:
        lacking = [n for n in need if n not in panel.x_names]
        if lacking:
            raise InvalidRequestError(
                f"the panel holds the regressors {panel.x_names}, but model {self.name!r} needs {need}; "
                f"rebuild it with build_panel(..., model={self.name!r})"
            )

    # -- parameters ------------------------------------------------------
    def param_names(self, regressors: tuple[str, ...] | list[str]) -> tuple[str, ...]:
        """Names of the fitted coefficients given the regressor names."""
        return ("alpha", *regressors)

    def market_beta(self, params: np.ndarray, param_names: tuple[str, ...]) -> np.ndarray | None:
        """(N,) sensitivity to the market (None when the model has no market term).

        Default: the coefficient named ``beta``, ``mkt_rf`` or ``mkt``.
        """
        names = list(param_names)
        for key in ("beta", "mkt_rf", "mkt"):
            if key in names:
                return np.asarray(params[:, names.index(key)], dtype=float)
        return None

    # -- fit and variances -----------------------------------------------
    def fit(self, panel: EventPanel, conv: Conventions) -> AbnormalReturns:
        """Fit every event of ``panel`` at once (conventions already validated)."""
        raise NotImplementedError

    def ar_variance(self, sigma2: np.ndarray, design_evt: np.ndarray, a: np.ndarray, conv: Conventions) -> np.ndarray:
        """(N, L2) S^2_it = s_i^2 (1 + x*_it' A_i x*_it), or s_i^2 without the forecast-error term."""
        return prediction_variance(sigma2, design_evt, a, conv)

    def car_variance(self, result: AbnormalReturns, start: int, stop: int) -> np.ndarray:
        """(N,) Var(CAR_i) over [start, stop]: s_i^2 (L + g' A g), per the result's conventions."""
        return result.car(start, stop)[1]


def prediction_variance(sigma2: np.ndarray, design_evt: np.ndarray, a: np.ndarray, conv: Conventions) -> np.ndarray:
    """(N, L2) s_i^2 (1 + x*_it' A_i x*_it); s_i^2 when ``conv.forecast_error`` is off or there is no design.

    Campbell, Lo and MacKinlay (1997), eq. 4.4.9-4.4.10, with A = (X'X)^-1 for OLS.
    """
    if not conv.forecast_error or design_evt.shape[2] == 0:
        return np.repeat(sigma2[:, None], design_evt.shape[1], axis=1)
    quad = np.sum((design_evt @ a) * design_evt, axis=2)
    return sigma2[:, None] * (1.0 + quad)


# --------------------------------------------------------------------------- registry
REGISTRY: dict[str, Model] = {}


def register(model: Model, *, replace: bool = False) -> Model:
    """Add ``model`` to the registry under ``model.name`` and return it.

    Raises
    ------
    InvalidRequestError
        If the name is empty, not an identifier, or taken (pass ``replace=True``
        to overwrite on purpose).

    Examples
    --------
    A variant of a shipped model under its own name (removed again at the end):

    >>> from research_lib import fit_model, register
    >>> from research_lib.examples import example_panel
    >>> from research_lib.models.market import MarketModel
    >>> from research_lib.models.registry import unregister
    >>> class MyMarket(MarketModel):
    ...     name = "my_market"
    ...     description = "the market model under another name"
    >>> _ = register(MyMarket())
    >>> ab = fit_model(example_panel(), "my_market")
    >>> ab.model
    'my_market'
    >>> unregister("my_market")
    """
    if not isinstance(model, Model):
        raise InvalidRequestError(f"register needs a Model instance, got {type(model).__name__}; subclass Model")
    name = model.name
    if not name or not name.isidentifier():
        raise InvalidRequestError(f"model name {name!r} must be a non-empty identifier, e.g. 'market'")
    if name in REGISTRY and not replace:
        raise InvalidRequestError(f"model {name!r} is already registered; pass replace=True to overwrite it")
    REGISTRY[name] = model
    return model


def unregister(name: str) -> None:
    """Remove a model (for tests that register a toy model)."""
    REGISTRY.pop(name, None)


def get_model(name: str | Model) -> Model:
    """The registered model called ``name`` (a :class:`Model` passes through).

    Examples
    --------
    >>> from research_lib import get_model
    >>> m = get_model("market")
    >>> m.name, m.ols
    ('market', True)
    """
    if isinstance(name, Model):
        return name
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise InvalidRequestError(f"unknown model {name!r}; choose one of {model_names()}") from None


def model_names() -> tuple[str, ...]:
    """Names of the registered models, in registration order.

    Examples
    --------
    >>> from research_lib import model_names
    >>> {"market", "constant_mean", "scholes_williams", "dimson"} <= set(model_names())
    True
    """
    return tuple(REGISTRY)


class _FactorModels(Mapping[str, str]):
    """Live map: factor model name -> the ``load_factors`` key (the model's own name)."""

    def _keys(self) -> list[str]:
        return [n for n, m in REGISTRY.items() if m.factor_files]

    def __getitem__(self, key: str) -> str:
        if key not in self._keys():
            raise KeyError(key)
        return key

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    def __repr__(self) -> str:
        return f"FactorModels({dict(self)})"


#: factor models of the registry (a live view: models registered later appear)
FACTOR_MODELS: Mapping[str, str] = _FactorModels()


def factor_files() -> dict[str, tuple[str, ...]]:
    """Factor model name -> the factor files it needs (for :func:`research_lib.data.load_factors`).

    Examples
    --------
    >>> from research_lib.models import factor_files
    >>> sorted(factor_files())
    ['carhart4', 'ff3', 'ff5']
    """
    return {n: m.factor_files for n, m in REGISTRY.items() if m.factor_files}


def benchmark_only_models() -> tuple[str, ...]:
    """Models whose regressors are at most the same-session benchmark return (what the simulator can fit).

    Examples
    --------
    >>> from research_lib.models import benchmark_only_models
    >>> "market" in benchmark_only_models()
    True
    """
    out = []
    for n, m in REGISTRY.items():
        lay = m.layout()
        if not lay.factor_cols and set(lay.x_names) <= {"mkt"} and lay.bench_offsets in ((), (0,)):
            out.append(n)
    return tuple(out)


__all__ = [
    "FACTOR_MODELS",
    "REGISTRY",
    "Layout",
    "Model",
    "ModelName",
    "benchmark_only_models",
    "factor_files",
    "get_model",
    "model_names",
    "prediction_variance",
    "register",
    "unregister",
]
