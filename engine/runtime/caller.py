"""What a host function sees of its caller, and the "store-like" objects.

A host function made with ``access_caller=True`` receives a :class:`Caller`
first: the exports of the instance whose Wasm code called it (its memory
above all), valid during that call only, as in wasmtime-py. Functions
imported by an instance and called directly (``call``, ``return_call``) get
that instance; called from the host, or indirectly (``call_indirect``,
``call_ref``), the caller has no instance and :meth:`Caller.get` answers
None.

The API takes a store wherever wasmtime-py takes a "store-like": a
:class:`~engine.Store`, a :class:`Caller` (its store) or a
:class:`StoreContext`. :func:`as_store` gives the store behind one.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from ..errors import UsageError


class _StoreView:
    """What a store-like object tells of its store."""

    __slots__ = ()
    _store: Any

    @property
    def engine(self) -> Any:
        """The store's engine."""
        return self._store.engine

    def data(self) -> Any:
        """The store's data."""
        return self._store.data()


class Caller(_StoreView):
    """The caller of a host function: ``caller.get(name)`` (None when
    missing) or ``caller[name]`` (``KeyError`` when missing) is an export of
    the calling instance. It also stands for the store
    (``memory.read(caller, ...)``, ``func(caller, ...)``). After the host
    function returns, the caller is gone: ``get`` answers None and using it
    as a store is a :class:`~engine.UsageError`."""

    __slots__ = ("_instance", "_owner", "__weakref__")

    def __init__(self, instance: Any = None, store: Any = None):
        self._instance = instance
        self._owner = store

    def get(self, name: str) -> Any:
        """The calling instance's export ``name``: a Func, Memory, Table,
        Global or Tag; None when there is none or the call is over."""
        instance = self._instance
        if instance is None:
            return None
        return instance._exports.get(name)

    def __getitem__(self, name: str) -> Any:
        item = self.get(name)
        if item is None:
            raise KeyError(f"failed to find export {name}")
        return item

    @property
    def _store(self) -> Any:
        store = self._owner
        if store is None:
            raise UsageError("this Caller cannot be used as a store: its call is over, or it "
                             "was not called directly by Wasm code")
        return store

    def _invalidate(self) -> None:
        self._instance = None
        self._owner = None

    def __repr__(self) -> str:
        return f"<Caller {'valid' if self._instance is not None else 'without instance'}>"


class StoreContext(_StoreView):
    """A store seen through a handle (wasmtime-py's name): it stands for
    the store wherever the API takes one."""

    __slots__ = ("_store_ref",)

    def __init__(self, store: Any):
        self._store_ref = as_store(store)

    @property
    def _store(self) -> Any:
        return self._store_ref

    def __repr__(self) -> str:
        return f"<StoreContext of {self._store_ref!r}>"


def as_store(storelike: Any) -> Any:
    """The store behind a store, a :class:`Caller` or a :class:`StoreContext`."""
    if storelike.__class__ is Caller or storelike.__class__ is StoreContext:
        return storelike._store
    return storelike


def without_instance(host: Callable) -> Callable:
    """``host`` called with a :class:`Caller` that has no instance."""

    def call(*args: Any) -> Any:
        return host(Caller(), *args)

    return call


def with_instance(host: Callable, instance: Any) -> Callable:
    """``host`` called with a :class:`Caller` of ``instance``, invalidated
    when the call returns."""
    store: Optional[Any] = instance.store

    def call(*args: Any) -> Any:
        caller = Caller(instance, store)
        try:
            return host(caller, *args)
        finally:
            caller._invalidate()

    return call
