"""Engine adapters: the API (:mod:`spectest.adapters.base`), and the lookup
of an adapter by name.

A name is resolved in this order:

1. ``exec:COMMAND LINE``: the process adapter
   (:mod:`spectest.adapters.process`), which runs the command and speaks the
   line-delimited JSON protocol of ``spectest/PROTOCOL.md`` with it;
2. an engine of the registry (:data:`spectest.engines.ENGINES`): ``engine``,
   ``wasmtime``, ``pywasm``, ``node``, ``wabt``;
3. an entry point named NAME in the group ``spectest.adapters`` of any
   installed distribution, whose value (``module:attr``) is the adapter
   class or a factory taking no arguments.

The module of an adapter is imported only when it is asked for, so a missing
optional dependency affects only the run that needs it.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import shlex
from typing import Any, Callable

from ..engines import ENGINES
from .base import Adapter, ScriptAdapter, Session, ThreadingSession, claims_of, version_of

__all__ = ["Adapter", "Session", "ThreadingSession", "ScriptAdapter", "ENTRY_POINT_GROUP",
           "EXEC_PREFIX", "known_names", "get_adapter", "adapter_factory", "UnknownAdapter",
           "claims_of", "version_of"]

#: the entry-point group through which other packages add engines
ENTRY_POINT_GROUP = "spectest.adapters"
#: the prefix of a process adapter's name
EXEC_PREFIX = "exec:"

AnyAdapter = Any  # an Adapter or a ScriptAdapter (Protocols cannot be unioned at run time)


class UnknownAdapter(Exception):
    """No adapter by that name, or its engine cannot be loaded."""


def _entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    return {ep.name: ep for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}


def known_names() -> list[str]:
    """Every engine name that can be given (registry and entry points)."""
    return sorted(set(ENGINES) | set(_entry_points()))


def _exec_factory(name: str) -> Callable[[], AnyAdapter]:
    from .process import ProcessAdapter

    command = name[len(EXEC_PREFIX):].strip()
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise UnknownAdapter(f"cannot split the command line of {name!r}: {exc}") from None
    if not argv:
        raise UnknownAdapter("exec: needs a command line, e.g. exec:'./driver --flag'")
    return lambda: ProcessAdapter(argv, name=name)


def adapter_factory(name: str) -> Callable[[], AnyAdapter]:
    """The factory (usually the class) of the adapter ``name``, imported but
    not called.

    Checking an engine this way has no side effects; instantiating one may
    (wasmtime installs signal handlers for its traps, which must be installed
    after any other handler, e.g. pytest's faulthandler, to see them first).
    """
    if name.startswith(EXEC_PREFIX):
        return _exec_factory(name)
    info = ENGINES.get(name)
    try:
        if info is not None and info.adapter is not None:
            module_name, _, attr = info.adapter.partition(":")
            factory: Callable[[], AnyAdapter] = getattr(importlib.import_module(module_name), attr)
            return factory
        ep = _entry_points().get(name)
        if ep is not None:
            loaded: Callable[[], AnyAdapter] = ep.load()
            return loaded
    except ImportError as exc:
        raise UnknownAdapter(f"engine {name!r} is not available: {exc}") from None
    raise UnknownAdapter(f"unknown engine {name!r} (choose from {', '.join(known_names())}, "
                         f"or exec:COMMAND)")


def get_adapter(name: str) -> AnyAdapter:
    """A new adapter instance by name."""
    adapter = adapter_factory(name)()
    if not isinstance(getattr(adapter, "name", None), str):
        raise UnknownAdapter(f"engine {name!r}: its adapter has no name")
    return adapter
