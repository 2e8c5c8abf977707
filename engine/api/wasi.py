"""WASI through the wasmtime-py API: ``Store.set_wasi(config)`` gives a
store a WASI context, and ``Linker.define_wasi()`` defines the
``wasi_snapshot_preview1`` functions so that each call works on the context
of the store it runs in, with the memory of the instance that called it.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable, Optional

from ..errors import UsageError
from ..runtime.linker import Linker as _Linker
from ..runtime.store import Store as _Store
from ..syntax import types as T
from ..wasi import MODULE, WasiConfig, WasiContext, host_functions
from ..wasi.abi import SIGNATURES


class Store(_Store):
    """Owns the runtime objects made while running: ``Store(engine=None,
    data=None, *, limits=None)``; ``data()`` gives ``data`` back.

    Fuel (:meth:`set_fuel`), epoch deadlines (:meth:`set_epoch_deadline`),
    resource limits (:meth:`set_limits`) and a WASI context
    (:meth:`set_wasi`) are per store.
    """

    def __init__(self, engine: Any = None, data: Any = None, **kwargs: Any):
        super().__init__(engine, data, **kwargs)
        self._wasi: Optional[WasiContext] = None
        self._wasi_functions: dict[str, Callable] = {}
        self._wasi_finalizer: Optional[Any] = None

    def set_wasi(self, wasi: WasiConfig) -> None:
        """Run WASI programs of this store in the world ``wasi`` describes
        (arguments, environment, stdio, preopened directories): its files
        are opened now, and closed when the store goes away, is closed, or
        gets another config."""
        if not isinstance(wasi, WasiConfig):
            raise UsageError(f"expected a WasiConfig, got {type(wasi).__name__}")
        ctx = WasiContext(wasi)
        self.close()
        self._wasi = ctx
        self._wasi_functions = {name: fn for name, (_, fn) in host_functions(ctx).items()}
        self._wasi_finalizer = weakref.finalize(self, ctx.close)

    def set_wasi_http(self) -> None:
        """WASI HTTP belongs to the component model, which this engine does
        not implement: always a :class:`~engine.UsageError`."""
        raise UsageError("WASI HTTP (a component-model interface) is not supported")

    def close(self) -> None:
        """Close the store's WASI files and directories (if any); the store
        stays usable."""
        if self._wasi_finalizer is not None:
            self._wasi_finalizer()
        self._wasi = None
        self._wasi_functions = {}
        self._wasi_finalizer = None


def _wasi_call(name: str) -> Callable:
    """The host function ``name`` of the context of the calling store."""

    def call(caller: Any, *args: Any) -> Any:
        store = caller._store
        ctx = getattr(store, "_wasi", None)
        if ctx is None:
            raise UsageError("this store has no WASI context: call Store.set_wasi(config) first")
        memory = caller.get("memory")
        if memory is not None:
            ctx.mem.bind(memory)
        return store._wasi_functions[name](*args)

    return call


_KINDS = {"i": T.I32, "I": T.I64}


class Linker(_Linker):
    """A :class:`engine.runtime.linker.Linker` that can also define WASI
    (:meth:`define_wasi`)."""

    def define_wasi(self) -> None:
        """Define every ``wasi_snapshot_preview1`` function; a call works on
        the WASI context of its store (``Store.set_wasi``; without one it
        traps) and the ``memory`` export of the calling instance."""
        for name, (params, results) in SIGNATURES.items():
            functype = T.FuncType(tuple(_KINDS[k] for k in params), tuple(_KINDS[k] for k in results))
            self.define_func(MODULE, name, functype, _wasi_call(name), access_caller=True)
