"""The embedding API, re-exported by :mod:`engine`.

The runtime objects themselves (Func, Memory, Table, Global, Tag, Instance)
are the API objects; this module adds the type constructors, which build the
engine's own type objects (so ``func.type(store) == FuncType([...], [...])``).
"""

from __future__ import annotations

from typing import Iterable, Optional

from .runtime.gc import ArrayRef, ExnRef, I31Ref, StructRef  # noqa: F401
from .runtime.instance import Instance  # noqa: F401
from .runtime.linker import Linker  # noqa: F401
from .runtime.module import Module  # noqa: F401
from .runtime.objects import Func, Global, Memory, Table, Tag  # noqa: F401
from .runtime.store import Config, Engine, Store  # noqa: F401
from .runtime.values import f32_from_bits, f32_to_bits  # noqa: F401
from .syntax import types as _t


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


class _FuncTypeMeta(type):
    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, _t.FuncType)


class FuncType(metaclass=_FuncTypeMeta):
    """``FuncType(params, results)`` with sequences of value types: an
    :class:`engine.syntax.types.FuncType`, so it compares equal to the types
    the engine reports. ``shared=True`` makes a shared function type
    (shared-everything-threads; an extension of wasmtime-py's API)."""

    def __new__(cls, params: Iterable = (), results: Iterable = (), *,  # type: ignore[misc]
                shared: bool = False) -> _t.FuncType:
        return _t.FuncType(tuple(params), tuple(results), bool(shared))


def GlobalType(valtype: _t.ValType, mutable: bool = False, *,  # noqa: N802
               shared: bool = False) -> _t.GlobalType:
    """The type of a global; ``shared``: a shared global
    (shared-everything-threads)."""
    return _t.GlobalType(valtype, mutable, bool(shared))


def MemoryType(minimum: int, maximum: Optional[int] = None, *, shared: bool = False,  # noqa: N802
               memory64: bool = False, page_size_log2: int = 16) -> _t.MemType:
    """The type of a memory, in pages."""
    return _t.MemType(_t.Limits(minimum, maximum), shared, memory64, page_size_log2)


def TableType(element: _t.RefType, minimum: int, maximum: Optional[int] = None, *,  # noqa: N802
              table64: bool = False, shared: bool = False) -> _t.TableType:
    """The type of a table; ``shared``: a shared table
    (shared-everything-threads)."""
    return _t.TableType(_t.Limits(minimum, maximum), element, table64, bool(shared))


def TagType(functype: _t.FuncType) -> _t.FuncType:  # noqa: N802
    """The type of a tag: a function type whose params are the payload."""
    return functype
