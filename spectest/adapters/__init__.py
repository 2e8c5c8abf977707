"""Engine adapters: one small protocol, one module per engine.

An adapter turns the runner's requests (compile this module, instantiate it,
invoke this export with these :mod:`spectest.values`) into calls of one
engine's API, and its answers back into values or :mod:`spectest.outcomes`.

* ``engine``: this project's engine, through its public API only;
* ``wasmtime``: the reference, on the ``wasmtime`` package, with every
  feature it supports enabled.

Adapters are looked up by name with :func:`get_adapter`; the module of an
adapter is imported only when it is asked for, so a missing optional
dependency affects only the run that needs it.
"""

from __future__ import annotations

import importlib
from typing import Callable

from .base import Adapter, Session

__all__ = ["Adapter", "Session", "ADAPTERS", "get_adapter", "adapter_factory", "UnknownAdapter"]

#: adapter name -> "module:factory"
ADAPTERS: dict[str, str] = {
    "engine": "spectest.adapters.engine:EngineAdapter",
    "wasmtime": "spectest.adapters.wasmtime:WasmtimeAdapter",
}


class UnknownAdapter(Exception):
    """No adapter by that name, or its engine cannot be loaded."""


def adapter_factory(name: str) -> Callable[[], Adapter]:
    """The class of the adapter ``name``, imported but not instantiated.

    Checking an engine this way has no side effects; instantiating one may
    (wasmtime installs signal handlers for its traps, which must be installed
    after any other handler, e.g. pytest's faulthandler, to see them first).
    """
    target = ADAPTERS.get(name)
    if target is None:
        raise UnknownAdapter(f"unknown engine {name!r} (choose from {', '.join(sorted(ADAPTERS))})")
    module_name, _, factory_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UnknownAdapter(f"engine {name!r} is not available: {exc}") from None
    factory: Callable[[], Adapter] = getattr(module, factory_name)
    return factory


def get_adapter(name: str) -> Adapter:
    """A new adapter instance by name (see :data:`ADAPTERS`)."""
    return adapter_factory(name)()
