"""Lazy package attributes (PEP 562): a name is imported from its module on first use, then cached.

The package, :mod:`research_lib.analysis` and :mod:`research_lib.runner` load their public names this
way, so that ``import research_lib`` pulls in no heavy library until a name that needs it is used.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from typing import Any


def lazy_attributes(
    package: str, where: Mapping[str, str], namespace: MutableMapping[str, Any], listed: Iterable[str] | None = None,
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``where`` maps a public name to its module.

    A name found is stored in ``namespace`` (the package's ``globals()``), so it is looked up once.
    ``__dir__`` lists ``listed`` (e.g. ``__all__``), or the namespace and every lazy name.
    """

    def getattr_(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    names = None if listed is None else tuple(listed)

    def dir_() -> list[str]:
        return sorted(names) if names is not None else sorted(set(namespace) | set(where))

    return getattr_, dir_
