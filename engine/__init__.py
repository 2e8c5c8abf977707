"""A WebAssembly engine written in Python.

Each Wasm function is translated once into Python source, compiled to a code
object and cached per :class:`Module`; instances bind that code to their own
memories, tables, globals and functions.

Public API (shaped like wasmtime-py)::

    from engine import Engine, Config, Store, Module, Linker

    eng = Engine(Config())
    store = Store(eng)
    module = Module(eng, wasm_bytes)
    linker = Linker(eng)
    instance = linker.instantiate(store, module)
    result = instance.exports(store)["add"](store, 1, 2)

Values at the host boundary: i32/i64 are Python ints (results are signed,
arguments may be signed or unsigned), f32/f64 are Python floats (see
:func:`f32_to_bits` for exact f32 NaN payloads), v128 is a 128-bit unsigned
int, references are ``None`` (null) or objects (:class:`Func`, any Python
object for externref, :class:`StructRef`, :class:`ArrayRef`, :class:`I31Ref`,
:class:`ExnRef`).
"""

from .errors import (  # noqa: F401
    InstantiationError,
    InvalidError,
    LinkError,
    MalformedError,
    Trap,
    TrapCode,
    UsageError,
    WasmError,
    WasmException,
)
from .api import (  # noqa: F401
    ArrayRef,
    Config,
    Engine,
    ExnRef,
    Func,
    FuncType,
    Global,
    GlobalType,
    I31Ref,
    Instance,
    Linker,
    Memory,
    MemoryType,
    Module,
    Store,
    StructRef,
    Table,
    TableType,
    Tag,
    TagType,
    ValType,
    f32_from_bits,
    f32_to_bits,
)
from .runtime.limits import StoreLimits  # noqa: F401
from .runtime.resumable import ResumableCall, Suspend  # noqa: F401
from .runtime.store import FuelCosts  # noqa: F401

__all__ = [
    "ArrayRef", "Config", "Engine", "ExnRef", "Func", "FuncType", "Global",
    "GlobalType", "I31Ref", "Instance", "InstantiationError", "InvalidError",
    "LinkError", "Linker", "MalformedError", "Memory", "MemoryType", "Module",
    "Store", "StructRef", "Table", "TableType", "Tag", "TagType", "Trap",
    "TrapCode", "UsageError", "ValType", "WasmError", "WasmException", "f32_from_bits",
    "f32_to_bits", "FuelCosts", "ResumableCall", "StoreLimits", "Suspend",
]
