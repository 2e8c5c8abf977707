"""A WebAssembly engine written in Python.

Each Wasm function is translated once into Python source, compiled to a code
object and cached per :class:`Module`; instances bind that code to their own
memories, tables, globals and functions.

Public API: a superset of wasmtime-py's core API (``import engine as
wasmtime`` runs wasmtime-py programs; see the README for the differences)::

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
    AccessError,
    ExitTrap,
    InstantiationError,
    InvalidError,
    LinkError,
    MalformedError,
    Trap,
    TrapCode,
    UsageError,
    WasmError,
    WasmException,
    WasmtimeError,
)
from .api import (  # noqa: F401
    ArrayRef,
    Caller,
    Config,
    Engine,
    ExnRef,
    ExportType,
    Frame,
    FuelCosts,
    Func,
    FuncType,
    Global,
    GlobalType,
    I31Ref,
    ImportType,
    Instance,
    InstanceExports,
    InstancePre,
    Limits,
    Linker,
    Managed,
    Memory,
    MemoryType,
    Module,
    SharedMemory,
    Store,
    StoreContext,
    Storelike,
    StructRef,
    Table,
    TableType,
    Tag,
    TagType,
    Val,
    ValType,
    WasiConfig,
    f32_from_bits,
    f32_to_bits,
    wat2wasm,
)
from .runtime.limits import StoreLimits  # noqa: F401
from .runtime.resumable import ResumableCall, Suspend  # noqa: F401

__all__ = [
    # wasmtime-py's core names
    "Caller", "Config", "Engine", "ExitTrap", "ExportType", "Frame", "Func", "FuncType",
    "Global", "GlobalType", "ImportType", "Instance", "InstancePre", "Limits", "Linker",
    "Managed", "Memory", "MemoryType", "Module", "SharedMemory", "Store", "StoreContext",
    "Storelike", "Table", "TableType", "Tag", "TagType", "Trap", "TrapCode", "Val", "ValType",
    "WasiConfig", "WasmtimeError", "wat2wasm",
    # the engine's own
    "AccessError", "ArrayRef", "ExnRef", "FuelCosts", "I31Ref", "InstanceExports",
    "InstantiationError", "InvalidError", "LinkError", "MalformedError", "ResumableCall",
    "StoreLimits", "StructRef", "Suspend", "UsageError", "WasmError", "WasmException",
    "f32_from_bits", "f32_to_bits",
]
