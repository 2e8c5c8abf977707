"""Runtime objects: functions, memories, tables, globals and tags.

These are the store's instances and, at the same time, the public API
objects (``engine.Func``, ``engine.Memory`` ...). Each one that generated code
touches owns a closure cell: generated functions of every instance that
defines or imports the object read it through that same cell, so a mutable
global is one ``STORE_DEREF`` away, and a function compiled lazily is
installed for all its callers at once.
"""

from __future__ import annotations

import threading
import types
from typing import Any, Callable, Optional

from ..errors import AccessError, InstantiationError, UsageError
from ..syntax import types as T
from . import membytes, memview
from . import values as V
from .managed import Managed

CellType = types.CellType


class Func:
    """A function: defined by a module instance or by the host.

    ``Func(store, functype, callable, access_caller=False)`` makes a host
    function; with ``access_caller`` the callable receives a
    :class:`~engine.Caller` first, then the arguments.
    ``func(store, *args)`` calls it with host values (or :class:`~engine.Val`
    objects) and returns None, one value, or a tuple of values (which also
    compares equal to the list of the same values, as wasmtime-py returns).
    """

    __slots__ = ("deftype", "fn", "cell", "tfn", "tcell", "functype", "host", "name",
                 "access_caller", "__weakref__")

    def __init__(self, store, functype: T.FuncType, callable_: Callable,
                 access_caller: bool = False, *, name: str = "host"):
        from ..valid.canon import func_deftype
        from .caller import without_instance

        if not callable(callable_):
            raise UsageError("Func needs a Python callable")
        if not isinstance(functype, T.FuncType):
            raise UsageError(f"expected a FuncType, got {type(functype).__name__}")
        ft = T.FuncType(tuple(functype.params), tuple(functype.results), functype.shared)
        self.functype = ft
        self.deftype = func_deftype(ft.params, ft.results, ft.shared)
        self.host = callable_
        self.name = name
        self.access_caller = bool(access_caller)
        # called from the host, or indirectly (through a table or a
        # reference), a function that wants its caller gets one with no
        # instance; direct calls from an instance get the instance's own
        # (see _for_instance)
        host = without_instance(callable_) if self.access_caller else callable_
        self.fn = self.tfn = V.host_function_adapter(ft, host)
        self.cell = CellType(self.fn)
        self.tcell = CellType(self.fn)

    def _for_instance(self, instance) -> Callable:
        """The engine callable that instance ``instance`` calls this host
        function through: with a :class:`~engine.Caller` of that instance
        when the function wants one."""
        if not self.access_caller:
            return self.fn
        from .caller import with_instance

        return V.host_function_adapter(self.functype, with_instance(self.host, instance))

    @classmethod
    def _wasm(cls, deftype, functype: T.FuncType, fn: Callable, tfn: Callable, name: str) -> "Func":
        self = cls.__new__(cls)
        self.deftype = deftype
        self.functype = functype
        self.fn = fn
        self.cell = CellType(fn)
        self.tfn = tfn
        self.tcell = CellType(tfn)
        self.host = None
        self.name = name
        self.access_caller = False
        return self

    def _install(self, fn: Callable, tfn: Callable) -> None:
        """Replace the lazy stubs: ``fn`` for calls, ``tfn`` for tail calls
        (the body of a function that itself makes tail calls, else ``fn``)."""
        self.fn = fn
        self.cell.cell_contents = fn
        self.tfn = tfn
        self.tcell.cell_contents = tfn

    def type(self, store=None) -> T.FuncType:
        """The function's type (``deftype`` is its canonical defined type)."""
        return self.functype

    ty = type

    @property
    def param_arity(self) -> int:
        return len(self.functype.params)

    @property
    def result_arity(self) -> int:
        return len(self.functype.results)

    def __call__(self, store, *args: Any) -> Any:
        from .call import call_export
        from .caller import as_store

        return call_export(as_store(store), self, args)

    def call_resumable(self, store, *args: Any) -> Any:
        """Call like ``func(store, *args)``, but a host function raising
        :class:`~engine.Suspend` suspends the call instead of trapping: the
        results, or a :class:`~engine.ResumableCall` to resume."""
        from .caller import as_store
        from .resumable import call_resumable

        return call_resumable(as_store(store), self, args)

    def __repr__(self) -> str:
        return f"<Func {self.name} {self.functype!r}>"


class Memory:
    """A linear memory. ``data`` holds its bytes: a ``bytearray``, or an
    anonymous ``mmap`` for memories past 256 MiB, whose untouched pages
    cost no host memory (see :mod:`engine.runtime.membytes`). When the
    memory grows past that size ``data`` is replaced once: fetch it again
    after a ``grow`` rather than keeping it."""

    __slots__ = ("memtype", "data", "cell", "page_log2", "max_pages", "addr64", "shared",
                 "lock", "limit_pages", "waiters", "map_above", "__weakref__")

    def __init__(self, store, memtype: T.MemType):
        from .caller import as_store

        store = as_store(store)
        if not isinstance(memtype, T.MemType):
            raise UsageError(f"expected a MemoryType, got {type(memtype).__name__}")
        _reserve(store, memories=1)
        self._init(memtype, store)

    def _init(self, memtype: T.MemType, store=None) -> None:
        self.memtype = memtype
        self.page_log2 = memtype.page_size_log2
        self.addr64 = memtype.addr64
        self.shared = memtype.shared
        spec_max = (1 << (64 if memtype.addr64 else 32)) >> self.page_log2
        self.max_pages = min(memtype.limits.max if memtype.limits.max is not None else spec_max, spec_max)
        limit_bytes = V.memory_limit_bytes(store)
        limiter = getattr(store, "_limiter", None)
        if limiter is not None:  # the store's own cap, which may change later
            limit_bytes = limiter.memory_bytes(limit_bytes)
            limiter.track_memory(self)
        self.limit_pages = min(self.max_pages, limit_bytes >> self.page_log2)
        pages = memtype.limits.min
        if pages > self.limit_pages:
            raise InstantiationError(
                f"memory of {pages} pages exceeds the limit of {self.limit_pages} pages")
        self.map_above = membytes.map_above(self.shared, self.max_pages << self.page_log2)
        try:
            self.data = membytes.allocate(pages << self.page_log2, self.map_above)
        except membytes.GROW_ERRORS:
            raise InstantiationError(f"cannot allocate a memory of {pages} pages") from None
        self.cell = CellType(self.data)
        self.lock = threading.Lock()
        self.waiters = None

    @classmethod
    def _new(cls, memtype: T.MemType, store=None) -> "Memory":
        kind = SharedMemory if memtype.shared and cls is Memory else cls
        self = kind.__new__(kind)
        self._init(memtype, store)
        return self

    def grow_raw(self, delta: int) -> int:
        """memory.grow: the old size in pages, or -1 (all ones) on failure."""
        fail = 0xFFFFFFFFFFFFFFFF if self.addr64 else 0xFFFFFFFF
        with self.lock:
            data = self.data
            old = len(data) >> self.page_log2
            new = old + delta
            if new > self.limit_pages:
                return fail
            if delta:
                try:
                    grown = membytes.grow(data, new << self.page_log2, self.map_above, self.shared)
                except membytes.GROW_ERRORS:
                    return fail
                if grown is not data:
                    self.data = self.cell.cell_contents = grown
            return old

    # -- API ----------------------------------------------------------------

    def type(self, store=None) -> T.MemType:
        """The memory's declared type."""
        return self.memtype

    def size(self, store=None) -> int:
        """Current size in pages."""
        return len(self.data) >> self.page_log2

    def data_len(self, store=None) -> int:
        """Current size in bytes."""
        return len(self.data)

    def page_size(self, store=None) -> int:
        """The page size in bytes (65536, or 1 with custom-page-sizes)."""
        return 1 << self.page_log2

    def page_size_log2(self, store=None) -> int:
        """The log2 of the page size."""
        return self.page_log2

    def grow(self, store, delta: int) -> int:
        """Grow by ``delta`` pages; returns the old size. Raises
        :class:`UsageError` when the memory cannot grow that much. Growing
        invalidates the views of :meth:`data_ptr` and :meth:`get_buffer_ptr`."""
        old = self.grow_raw(V.check_index(delta, self.addr64))
        if old == (0xFFFFFFFFFFFFFFFF if self.addr64 else 0xFFFFFFFF) and delta:
            raise UsageError(f"failed to grow memory by {delta} pages")
        return old

    def read(self, store, start: Optional[int] = 0, stop: Optional[int] = None) -> bytearray:
        """A copy of bytes ``start:stop``, indexed like a Python slice
        (negative indices count from the end; the range is clipped to the
        memory, so an empty or reversed range gives ``bytearray()``)."""
        return bytearray(self.data[start:stop])

    def write(self, store, value: Any, start: Optional[int] = None) -> int:
        """Copy ``value`` (bytes-like, or an iterable of byte values) into
        memory at ``start`` (default 0; negative counts from the end, like a
        slice index); returns the number of bytes written. Raises
        :class:`~engine.AccessError` (an ``IndexError``) when ``start`` is at
        or past the end or the bytes do not fit."""
        data = self.data
        n = len(data)
        first = slice(start, None).indices(n)[0]
        if first >= n:
            raise AccessError(f"write at {start} is out of bounds (size {n})")
        blob = value if isinstance(value, (bytes, bytearray)) else bytes(value)
        if first + len(blob) > n:
            raise AccessError(f"{len(blob)} bytes at {first} are out of bounds (size {n})")
        data[first:first + len(blob)] = blob
        return len(blob)

    def data_ptr(self, store=None) -> Any:
        """A ctypes ``POINTER(c_ubyte)`` to the first byte of the memory:
        valid until the memory grows (see :mod:`engine.runtime.memview`);
        bounds-check every access against :meth:`data_len`."""
        return memview.data_pointer(self.data)

    def get_buffer_ptr(self, store=None, size: Optional[int] = None, offset: int = 0) -> Any:
        """A ctypes ``c_ubyte * size`` array over bytes ``offset`` to
        ``offset + size`` (default: to the end), writable and zero-copy
        (``numpy.frombuffer`` takes it); valid until the memory grows."""
        return memview.byte_array(self.data, size, offset)

    def __repr__(self) -> str:
        return f"<Memory {self.size()} pages>"


class SharedMemory(Memory, Managed):
    """A shared linear memory (threads): ``SharedMemory(engine, memtype)``
    with a shared memory type, usable from several stores and threads.

    Its methods also take the wasmtime-py forms without a store:
    ``size()``, ``data_len()``, ``type()``, ``data_ptr()`` and
    ``grow(delta)`` (as well as ``grow(store, delta)``). Shared memories a
    module defines are SharedMemory objects too.
    """

    __slots__ = ()

    def __init__(self, engine, memtype: T.MemType):
        if not isinstance(memtype, T.MemType):
            raise UsageError(f"expected a MemoryType, got {type(memtype).__name__}")
        if not memtype.shared:
            raise UsageError("a shared memory needs a memory type with shared=True")
        config = getattr(engine, "config", None)
        if config is None:
            raise UsageError(f"expected an Engine, got {type(engine).__name__}")
        self._init(memtype, _EngineOnly(engine))

    def grow(self, *args: Any) -> int:  # type: ignore[override]
        """``grow(delta)`` or ``grow(store, delta)``: the old size in pages."""
        if len(args) == 1:
            return Memory.grow(self, None, args[0])
        if len(args) == 2:
            return Memory.grow(self, *args)
        raise UsageError("grow takes the number of pages to add (and optionally a store first)")

    def __repr__(self) -> str:
        return f"<SharedMemory {self.size()} pages>"


class _EngineOnly:
    """What sizing a memory reads from a store, when there is only an engine."""

    __slots__ = ("engine",)

    def __init__(self, engine):
        self.engine = engine


class Table:
    """A table of references: a Python list that grows in place."""

    __slots__ = ("tabletype", "elems", "cell", "max", "addr64", "limit", "__weakref__")

    def __init__(self, store, tabletype: T.TableType, init: Any = None):
        from .caller import as_store

        store = as_store(store)
        if not isinstance(tabletype, T.TableType):
            raise UsageError(f"expected a TableType, got {type(tabletype).__name__}")
        _reserve(store, tables=1)
        self._init(tabletype, V.to_wasm_ref(tabletype.elem, init), store)

    def _init(self, tabletype: T.TableType, init: Any, store=None) -> None:
        self.tabletype = tabletype
        self.addr64 = tabletype.addr64
        spec_max = (1 << 64) - 1 if tabletype.addr64 else 0xFFFFFFFF
        self.max = min(tabletype.limits.max if tabletype.limits.max is not None else spec_max, spec_max)
        limit = V.table_limit(store)
        limiter = getattr(store, "_limiter", None)
        if limiter is not None:  # the store's own cap, which may change later
            limit = limiter.table_elements(limit)
            limiter.track_table(self)
        self.limit = min(self.max, limit)
        n = tabletype.limits.min
        if n > self.limit:
            raise InstantiationError(f"table of {n} elements exceeds the limit of {self.limit}")
        self.elems = [init] * n
        self.cell = CellType(self.elems)

    @classmethod
    def _new(cls, tabletype: T.TableType, init: Any, store=None) -> "Table":
        self = cls.__new__(cls)
        self._init(tabletype, init, store)
        return self

    def grow_raw(self, delta: int, init: Any) -> int:
        """table.grow: the old size, or -1 (all ones) on failure."""
        old = len(self.elems)
        if old + delta > self.limit:
            return (1 << 64) - 1 if self.addr64 else 0xFFFFFFFF
        if delta:
            self.elems.extend([init] * delta)
        return old

    # -- API ----------------------------------------------------------------

    def type(self, store=None) -> T.TableType:
        """The table's declared type."""
        return self.tabletype

    def size(self, store=None) -> int:
        """Current size in elements."""
        return len(self.elems)

    def get(self, store, index: int) -> Any:
        """The element at ``index`` as a host value (None for null), or None
        when ``index`` is out of bounds (as in wasmtime-py)."""
        if isinstance(index, bool) or not isinstance(index, int):
            raise UsageError(f"a table index is an int, not {type(index).__name__}")
        if not 0 <= index < len(self.elems):
            return None
        return V.from_wasm(self.tabletype.elem, self.elems[index])

    def set(self, store, index: int, value: Any) -> None:
        """Set the element at ``index``; out of bounds is an
        :class:`~engine.AccessError`."""
        if isinstance(index, bool) or not isinstance(index, int):
            raise UsageError(f"a table index is an int, not {type(index).__name__}")
        if not 0 <= index < len(self.elems):
            raise AccessError(f"table index {index} out of bounds")
        self.elems[index] = V.to_wasm_ref(self.tabletype.elem, value)

    def grow(self, store, delta: int, init: Any = None) -> int:
        old = self.grow_raw(V.check_index(delta, self.addr64), V.to_wasm_ref(self.tabletype.elem, init))
        if old == ((1 << 64) - 1 if self.addr64 else 0xFFFFFFFF) and delta:
            raise UsageError(f"failed to grow table by {delta} elements")
        return old

    def __repr__(self) -> str:
        return f"<Table {len(self.elems)} x {self.tabletype.elem!r}>"


class Global:
    """A global variable; its value lives in a closure cell shared by every
    instance that defines or imports it."""

    __slots__ = ("globaltype", "cell", "__weakref__")

    def __init__(self, store, globaltype: T.GlobalType, value: Any):
        if not isinstance(globaltype, T.GlobalType):
            raise UsageError(f"expected a GlobalType, got {type(globaltype).__name__}")
        self.globaltype = globaltype
        self.cell = CellType(V.to_wasm(globaltype.valtype, value))

    @classmethod
    def _new(cls, globaltype: T.GlobalType, raw: Any) -> "Global":
        self = cls.__new__(cls)
        self.globaltype = globaltype
        self.cell = CellType(raw)
        return self

    def type(self, store=None) -> T.GlobalType:
        """The global's type."""
        return self.globaltype

    def value(self, store=None) -> Any:
        """The current value, as a host value."""
        return V.from_wasm(self.globaltype.valtype, self.cell.cell_contents)

    def set_value(self, store, value: Any) -> None:
        """Set a mutable global."""
        if not self.globaltype.mutable:
            raise UsageError("global is immutable")
        self.cell.cell_contents = V.to_wasm(self.globaltype.valtype, value)

    def __repr__(self) -> str:
        return f"<Global {self.globaltype!r}>"


class Tag:
    """An exception tag; its identity tells exceptions apart."""

    __slots__ = ("deftype", "functype", "__weakref__")

    def __init__(self, store, functype: Any):
        from ..valid.canon import func_deftype

        # a TagType (wasmtime-py) or the function type of its payload
        functype = getattr(functype, "functype", functype)
        if not isinstance(functype, T.FuncType):
            raise UsageError(f"expected a TagType, got {type(functype).__name__}")
        self.functype = T.FuncType(tuple(functype.params), tuple(functype.results), functype.shared)
        self.deftype = func_deftype(self.functype.params, self.functype.results, self.functype.shared)

    @classmethod
    def _new(cls, deftype, functype: T.FuncType) -> "Tag":
        self = cls.__new__(cls)
        self.deftype = deftype
        self.functype = functype
        return self

    def type(self, store=None) -> Any:
        """The tag's :class:`~engine.TagType` (its ``functype`` has the
        payload as params; ``params`` and ``results`` are at hand too)."""
        from .apitypes import TagType

        return TagType(self.functype)

    def eq(self, store, other: "Tag") -> bool:
        """Whether ``other`` is this very tag (tags are told apart by identity)."""
        return other is self

    def __repr__(self) -> str:
        return f"<Tag {self.functype!r}>"


def _reserve(store, **counts: int) -> None:
    """Count a memory or table the host creates against the store's limits."""
    limiter = getattr(store, "_limiter", None)
    if limiter is not None:
        limiter.reserve(**counts)


def extern_kind(item: object) -> Optional[T.ExternKind]:
    """The kind of an external value, or None."""
    if isinstance(item, Func):
        return T.ExternKind.FUNC
    if isinstance(item, Table):
        return T.ExternKind.TABLE
    if isinstance(item, Memory):
        return T.ExternKind.MEMORY
    if isinstance(item, Global):
        return T.ExternKind.GLOBAL
    if isinstance(item, Tag):
        return T.ExternKind.TAG
    return None
