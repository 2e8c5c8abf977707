"""Linker: names external values and instantiates modules against them."""

from __future__ import annotations

import weakref
from typing import Any, Callable

from ..errors import LinkError, UsageError
from ..syntax import types as T
from .instance import Instance, instantiate
from .objects import Func, extern_kind


class Linker:
    """Resolves imports by ``(module, name)``.

    ``define(store, module, name, item)`` names a Func, Table, Memory, Global
    or Tag; ``define_func(module, name, functype, callable)`` names a host
    function (created per store on first use); ``define_instance(store, name,
    instance)`` names every export of an instance; ``instantiate(store,
    module)`` links and instantiates.
    """

    def __init__(self, engine):
        self.engine = engine
        self.allow_shadowing = False
        self._items: dict[tuple[str, str], Any] = {}

    def _put(self, module: str, name: str, value: Any) -> None:
        key = (module, name)
        if key in self._items and not self.allow_shadowing:
            raise UsageError(f"import {module!r} {name!r} is already defined")
        self._items[key] = value

    def define(self, store, module: str, name: str, item: Any) -> None:
        if extern_kind(item) is None:
            raise UsageError(f"cannot define {type(item).__name__}: not an external value")
        self._put(module, name, item)

    def define_func(self, module: str, name: str, functype: T.FuncType, callable_: Callable) -> None:
        if not callable(callable_):
            raise UsageError("define_func needs a Python callable")
        # the Func is made once per store that instantiates against it (a
        # weak map: a store that goes away takes its Func with it)
        self._put(module, name, ("host", functype, callable_, weakref.WeakKeyDictionary()))

    def define_instance(self, store, name: str, instance: Instance) -> None:
        for export_name, item in instance.exports(store).items():
            self._put(name, export_name, item)

    def get(self, store, module: str, name: str) -> Any:
        """The item defined as ``(module, name)``, or None."""
        item = self._items.get((module, name))
        if isinstance(item, tuple):
            _, functype, fn, per_store = item
            f = per_store.get(store)
            if f is None:
                f = Func(store, functype, fn, name=f"{module}.{name}")
                per_store[store] = f
            return f
        return item

    def instantiate(self, store, module) -> Instance:
        externs = []
        for imp in module._syntax.imports:
            item = self.get(store, imp.module, imp.name)
            if item is None:
                raise LinkError(f"unknown import: {imp.module!r} {imp.name!r}")
            externs.append(item)
        return instantiate(store, module, externs)
