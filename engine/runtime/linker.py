"""Linker: names external values and instantiates modules against them."""

from __future__ import annotations

import weakref
from typing import Any, Callable, Optional

from ..errors import LinkError, UsageError
from ..syntax import types as T
from .caller import as_store
from .instance import Instance, instantiate
from .managed import Managed
from .objects import Func, Global, Memory, Table, Tag, extern_kind


class Linker(Managed):
    """Resolves imports by ``(module, name)``.

    ``define(store, module, name, item)`` names a Func, Table, Memory, Global
    or Tag; ``define_func(module, name, functype, callable,
    access_caller=False)`` names a host function (created per store on first
    use); ``define_instance(store, name, instance)`` names every export of an
    instance; ``define_module(store, name, module)`` instantiates a module
    for it; ``instantiate(store, module)`` links and instantiates, and
    ``instantiate_pre(module)`` resolves the imports once for many
    instantiations. Defining a name twice is a
    :class:`~engine.UsageError` unless ``allow_shadowing`` is set.
    """

    def __init__(self, engine):
        if getattr(engine, "config", None) is None:
            raise UsageError(f"expected an Engine, got {type(engine).__name__}")
        self.engine = engine
        self._shadowing = False
        self._items: dict[tuple[str, str], Any] = {}

    @property
    def allow_shadowing(self) -> bool:
        """Whether a later definition of a name replaces the earlier one."""
        return self._shadowing

    @allow_shadowing.setter
    def allow_shadowing(self, allow: Any) -> None:
        self._shadowing = bool(allow)

    def _put(self, module: str, name: str, value: Any) -> None:
        key = (module, name)
        if key in self._items and not self._shadowing:
            raise UsageError(f"import of `{module}::{name}` defined twice")
        self._items[key] = value

    def define(self, store, module: str, name: str, item: Any) -> None:
        """Name ``item`` (a Func, Table, Memory, Global or Tag)."""
        if extern_kind(item) is None:
            raise UsageError(f"cannot define {type(item).__name__}: expected a Func, Global, "
                             f"Memory, SharedMemory, Tag, or Table")
        self._put(module, name, item)

    def define_func(self, module: str, name: str, functype: T.FuncType, callable_: Callable,
                    access_caller: bool = False) -> None:
        """Name a host function; it is made once per store that uses it."""
        if not callable(callable_):
            raise UsageError("define_func needs a Python callable")
        if not isinstance(functype, T.FuncType):
            raise UsageError(f"expected a FuncType, got {type(functype).__name__}")
        # the Func is made once per store that instantiates against it (a
        # weak map: a store that goes away takes its Func with it)
        self._put(module, name, _HostDef(functype, callable_, bool(access_caller)))

    def define_instance(self, store, name: str, instance: Instance) -> None:
        """Name every export of ``instance`` under module name ``name``."""
        if not isinstance(instance, Instance):
            raise UsageError(f"expected an Instance, got {type(instance).__name__}")
        for export_name, item in instance.exports(store).items():
            self._put(name, export_name, item)

    def define_module(self, store, name: str, module: Any) -> None:
        """Name the exports of ``module`` under ``name``, the way WASI
        commands and reactors are linked: a *reactor* (no ``_start`` export)
        is instantiated once now, its ``_initialize`` export called if it
        has one, and its exports defined; for a *command* (exports
        ``_start``) each exported function is defined as a function that
        instantiates the module afresh, calls ``__wasm_call_ctors`` if
        exported, then the export."""
        store = as_store(store)
        exported = {ex.name: ex for ex in module.exports}
        if "_start" not in exported:
            instance = self.instantiate(store, module)
            init = instance._exports.get("_initialize")
            if isinstance(init, Func):
                init(store)
            self.define_instance(store, name, instance)
            return
        for ex in module.exports:
            if ex.kind == T.ExternKind.FUNC:
                self._put(name, ex.name, Func(store, ex.type, self._command(store, module, ex.name),
                                              name=f"{name}.{ex.name}"))

    def _command(self, store, module: Any, export: str) -> Callable:
        linker = self

        def run(*args: Any) -> Any:
            instance = linker.instantiate(store, module)
            ctors = instance._exports.get("__wasm_call_ctors")
            if isinstance(ctors, Func):
                ctors(store)
            return instance._exports[export](store, *args)

        return run

    def define_unknown_imports_as_traps(self, module: Any) -> None:
        """Define every function import of ``module`` that is not defined
        yet as a function that traps when called."""
        for imp in module.imports:
            if imp.kind == T.ExternKind.FUNC and (imp.module, imp.name) not in self._items:
                self._put(imp.module, imp.name, _HostDef(imp.type, _trapping(imp.module, imp.name), False))

    def define_unknown_imports_as_default_values(self, store, module: Any) -> None:
        """Define every import of ``module`` that is not defined yet with a
        default: functions returning zeros and nulls, memories and tables of
        their minimum size, globals holding zero or null, fresh tags."""
        store = as_store(store)
        for imp in module.imports:
            if (imp.module, imp.name) in self._items:
                continue
            t = imp.type
            if imp.kind == T.ExternKind.FUNC:
                item: Any = _HostDef(t, _defaults(t.results), False)
            elif imp.kind == T.ExternKind.MEMORY:
                item = Memory(store, t)
            elif imp.kind == T.ExternKind.TABLE:
                item = Table(store, t, None)
            elif imp.kind == T.ExternKind.GLOBAL:
                item = Global(store, t, _default(t.valtype))
            else:
                item = Tag(store, t)
            self._put(imp.module, imp.name, item)

    def _lookup(self, store, module: str, name: str) -> Any:
        item = self._items.get((module, name))
        if isinstance(item, _HostDef):
            return item.func(as_store(store), module, name)
        return item

    def get(self, store, module: str, name: str) -> Any:
        """The item defined as ``(module, name)``; a
        :class:`~engine.LinkError` when there is none."""
        item = self._lookup(store, module, name)
        if item is None:
            raise LinkError(f"item `{module}::{name}` not defined in linker")
        return item

    def get_default(self, store, name: str) -> Func:
        """The default export of module name ``name``: its export named
        ``""``, else its ``_start``, else a function that does nothing."""
        for export in ("", "_start"):
            item = self._lookup(store, name, export)
            if isinstance(item, Func):
                return item
        return Func(as_store(store), T.FuncType((), ()), lambda: None, name=f"{name} (default)")

    def _externs(self, store, module) -> list:
        externs = []
        for imp in module._syntax.imports:
            item = self._lookup(store, imp.module, imp.name)
            if item is None:
                raise LinkError(f"unknown import: `{imp.module}::{imp.name}` has not been defined")
            externs.append(item)
        return externs

    def instantiate(self, store, module) -> Instance:
        """Instantiate ``module`` with the items its imports name."""
        store = as_store(store)
        return instantiate(store, module, self._externs(store, module))

    def instantiate_pre(self, module) -> "InstancePre":
        """Resolve ``module``'s imports now (a :class:`~engine.LinkError`
        when one is missing) for many instantiations later."""
        missing = [f"`{imp.module}::{imp.name}`" for imp in module._syntax.imports
                   if (imp.module, imp.name) not in self._items]
        if missing:
            raise LinkError(f"unknown import: {missing[0]} has not been defined")
        return InstancePre(module, [self._items[(imp.module, imp.name)]
                                    for imp in module._syntax.imports])


class InstancePre(Managed):
    """A module whose imports a Linker already resolved
    (``Linker.instantiate_pre``): ``instantiate(store)`` instantiates it
    without looking names up again."""

    def __init__(self, module: Any, definitions: list):
        self._module = module
        self._definitions = definitions

    @property
    def module(self) -> Any:
        """The module this was made for."""
        return self._module

    def instantiate(self, store) -> Instance:
        """A new instance in ``store`` (a trap in the start function raises
        the :class:`~engine.Trap`)."""
        store = as_store(store)
        externs = [d.func(store, "", "") if isinstance(d, _HostDef) else d
                   for d in self._definitions]
        return instantiate(store, self._module, externs)

    def __repr__(self) -> str:
        return f"<InstancePre {self._module!r}>"


class _HostDef:
    """A host function a Linker defines once for every store."""

    __slots__ = ("functype", "callable", "access_caller", "per_store")

    def __init__(self, functype: T.FuncType, callable_: Callable, access_caller: bool):
        self.functype = functype
        self.callable = callable_
        self.access_caller = access_caller
        self.per_store: "weakref.WeakKeyDictionary[Any, Func]" = weakref.WeakKeyDictionary()

    def func(self, store, module: str, name: str) -> Func:
        f = self.per_store.get(store)
        if f is None:
            f = Func(store, self.functype, self.callable, self.access_caller,
                     name=f"{module}.{name}" if module or name else "host")
            self.per_store[store] = f
        return f


def _trapping(module: str, name: str) -> Callable:
    # a LinkError raised by a host function: the caller gets a Trap that is
    # also a LinkError (wasmtime-py raises a WasmtimeError here)
    def trap(*_args: Any) -> Any:
        raise LinkError(f"unknown import: `{module}::{name}` has not been defined")

    return trap


def _default(t: Any) -> Any:
    if t in (T.F32, T.F64):
        return 0.0
    if isinstance(t, T.RefType):
        return None
    return 0


def _defaults(results: tuple) -> Callable:
    values = tuple(_default(t) for t in results)

    def default(*_args: Any) -> Optional[Any]:
        return values

    return default


__all__ = ["InstancePre", "Linker"]
