"""The embedding API (placeholder signatures; the runtime fills them in).

Every class here is part of the public API re-exported by :mod:`engine`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional, Sequence

from .syntax import types as _t

_NOT_YET = "engine not implemented yet"


def f32_to_bits(value: float) -> int:
    """The exact f32 bit pattern of an f32 value returned by the engine."""
    raise NotImplementedError(_NOT_YET)


def f32_from_bits(bits: int) -> float:
    """The engine's f32 value for an f32 bit pattern (NaN payloads kept)."""
    raise NotImplementedError(_NOT_YET)


class ValType:
    """Constructors for value types (wasmtime-py style: ``ValType.i32()``)."""

    @staticmethod
    def i32() -> _t.ValType:
        return _t.I32

    @staticmethod
    def i64() -> _t.ValType:
        return _t.I64

    @staticmethod
    def f32() -> _t.ValType:
        return _t.F32

    @staticmethod
    def f64() -> _t.ValType:
        return _t.F64

    @staticmethod
    def v128() -> _t.ValType:
        return _t.V128

    @staticmethod
    def funcref() -> _t.ValType:
        return _t.FUNCREF

    @staticmethod
    def externref() -> _t.ValType:
        return _t.EXTERNREF

    @staticmethod
    def anyref() -> _t.ValType:
        return _t.ANYREF

    @staticmethod
    def exnref() -> _t.ValType:
        return _t.EXNREF


class FuncType(_t.FuncType):
    """``FuncType(params, results)`` with sequences of value types."""

    __slots__ = ()

    def __init__(self, params: Iterable = (), results: Iterable = ()):
        super().__init__(tuple(params), tuple(results))


def GlobalType(valtype: _t.ValType, mutable: bool = False) -> _t.GlobalType:  # noqa: N802
    """The type of a global."""
    return _t.GlobalType(valtype, mutable)


def MemoryType(minimum: int, maximum: Optional[int] = None, *, shared: bool = False,  # noqa: N802
               memory64: bool = False, page_size_log2: int = 16) -> _t.MemType:
    """The type of a memory, in pages."""
    return _t.MemType(_t.Limits(minimum, maximum), shared, memory64, page_size_log2)


def TableType(element: _t.RefType, minimum: int, maximum: Optional[int] = None, *,  # noqa: N802
              table64: bool = False) -> _t.TableType:
    """The type of a table."""
    return _t.TableType(_t.Limits(minimum, maximum), element, table64)


def TagType(functype: _t.FuncType) -> _t.FuncType:  # noqa: N802
    """The type of a tag: a function type whose params are the payload."""
    return functype


class Config:
    """Engine settings: call-depth limit and per-proposal feature switches."""

    def __init__(self, **kwargs: Any):
        raise NotImplementedError(_NOT_YET)


class Engine:
    def __init__(self, config: Optional[Config] = None):
        raise NotImplementedError(_NOT_YET)


class Store:
    def __init__(self, engine: Engine):
        raise NotImplementedError(_NOT_YET)


class Module:
    def __init__(self, engine: Engine, wasm: bytes):
        raise NotImplementedError(_NOT_YET)

    @staticmethod
    def validate(engine: Engine, wasm: bytes) -> None:
        raise NotImplementedError(_NOT_YET)


class Linker:
    def __init__(self, engine: Engine):
        raise NotImplementedError(_NOT_YET)


class Instance:
    pass


class Func:
    pass


class Memory:
    pass


class Table:
    pass


class Global:
    pass


class Tag:
    pass


class StructRef:
    pass


class ArrayRef:
    pass


class I31Ref:
    pass


class ExnRef:
    pass
