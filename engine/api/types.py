"""Type constructors of the API, in wasmtime-py's spelling and the engine's.

Each builds the engine's own type objects (so ``func.type(store) ==
FuncType([...], [...])``): value types are :mod:`engine.syntax.types`
members, and ``FuncType``, ``GlobalType``, ``MemoryType``, ``TableType`` and
``Limits`` make the syntax layer's dataclasses, which also answer to
wasmtime-py's attribute names (``params``/``results``, ``content``/
``mutable``, ``limits``/``is_64``/``is_shared``/``page_size``,
``element``/``limits``, ``min``/``max``).
"""

from __future__ import annotations

from typing import Any, Iterable, Optional

from ..errors import UsageError
from ..runtime.apitypes import TagType  # noqa: F401 - re-exported
from ..syntax import types as _t

#: ``Limits(min, max)``: the size bounds of a memory (in pages) or table.
Limits = _t.Limits

_VALUE_TYPES = (_t.NumType, _t.VecType, _t.RefType)


class _Facade(type):
    """A constructor class whose instances are the engine's own type
    objects: ``isinstance(t, FuncType)`` holds for every function type."""

    _made: tuple

    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, cls._made)


class ValType(metaclass=_Facade):
    """Constructors for value types (``ValType.i32()`` ...); every value
    type is an instance (``isinstance(t, ValType)``). Value types compare by
    value. Not constructed directly."""

    _made = _VALUE_TYPES

    def __new__(cls, *args: Any, **kwargs: Any) -> "ValType":
        raise UsageError("cannot construct directly: use ValType.i32(), ValType.funcref() ...")

    @staticmethod
    def i32() -> _t.ValType:
        """i32."""
        return _t.I32

    @staticmethod
    def i64() -> _t.ValType:
        """i64."""
        return _t.I64

    @staticmethod
    def f32() -> _t.ValType:
        """f32."""
        return _t.F32

    @staticmethod
    def f64() -> _t.ValType:
        """f64."""
        return _t.F64

    @staticmethod
    def v128() -> _t.ValType:
        """v128."""
        return _t.V128

    @staticmethod
    def funcref() -> _t.ValType:
        """funcref (``(ref null func)``)."""
        return _t.FUNCREF

    @staticmethod
    def externref() -> _t.ValType:
        """externref (``(ref null extern)``)."""
        return _t.EXTERNREF

    @staticmethod
    def anyref() -> _t.ValType:
        """anyref (``(ref null any)``)."""
        return _t.ANYREF

    @staticmethod
    def exnref() -> _t.ValType:
        """exnref (``(ref null exn)``)."""
        return _t.EXNREF


def _valtypes(types: Iterable, what: str) -> tuple:
    try:
        out = tuple(types)
    except TypeError:
        raise UsageError(f"{what}: expected a list of ValType") from None
    for t in out:
        if not isinstance(t, _VALUE_TYPES):
            raise UsageError(f"{what}: expected ValType, got {t!r}")
    return out


class FuncType(metaclass=_Facade):
    """``FuncType(params, results)`` with sequences of value types: an
    :class:`engine.syntax.types.FuncType`, so it compares equal to the types
    the engine reports (``params`` and ``results`` are tuples).
    ``shared=True`` makes a shared function type (shared-everything-threads;
    an extension of wasmtime-py's API)."""

    _made = (_t.FuncType,)

    def __new__(cls, params: Iterable = (), results: Iterable = (), *,  # type: ignore[misc]
                shared: bool = False) -> _t.FuncType:
        return _t.FuncType(_valtypes(params, "params"), _valtypes(results, "results"), bool(shared))


class GlobalType(metaclass=_Facade):
    """``GlobalType(valtype, mutable=False)``: the type of a global,
    ``content`` (its value type) and ``mutable``; ``shared=True``: a shared
    global (shared-everything-threads)."""

    _made = (_t.GlobalType,)

    def __new__(cls, valtype: _t.ValType, mutable: bool = False, *,  # type: ignore[misc]
                shared: bool = False) -> _t.GlobalType:
        if not isinstance(valtype, _VALUE_TYPES):
            raise UsageError(f"expected a ValType, got {valtype!r}")
        return _t.GlobalType(valtype, bool(mutable), bool(shared))


class MemoryType(metaclass=_Facade):
    """The type of a memory, in pages. Two spellings:

    * wasmtime-py's ``MemoryType(Limits(min, max), is_64=False,
      shared=False, page_size_log2=16)`` (``is_64`` may come second,
      positionally);
    * the engine's ``MemoryType(minimum, maximum=None, shared=False,
      page_size_log2=16, memory64=False)``.

    Raises :class:`~engine.UsageError` (a WasmtimeError) for a maximum below
    the minimum, a size beyond what the index type addresses, a shared
    memory without a maximum, or a page size other than 1 or 65536 bytes.
    """

    _made = (_t.MemType,)

    def __new__(cls, limits: Any, maximum: Any = None, shared: bool = False,  # type: ignore[misc]
                page_size_log2: int = 16, *, is_64: bool = False, memory64: bool = False) -> _t.MemType:
        return _memory_type(limits, maximum, shared, page_size_log2, bool(is_64 or memory64))


def _memory_type(limits: Any, maximum: Any, shared: bool, page_size_log2: int,
                 is_64: bool) -> _t.MemType:
    if isinstance(limits, _t.Limits):
        # wasmtime-py's positional order: limits, is_64, shared, page_size_log2
        if maximum is not None:
            is_64 = maximum
        lim = limits
    else:
        if isinstance(limits, bool) or not isinstance(limits, int):
            raise UsageError(f"expected Limits or a minimum size, got {limits!r}")
        lim = _t.Limits(limits, maximum)
    addr64 = bool(is_64)
    if page_size_log2 not in (0, 16):
        raise UsageError(f"page size must be 2**16 or 2**0, but was given 2**{page_size_log2}")
    _check_limits(lim, ((1 << 64) if addr64 else (1 << 32)) >> page_size_log2, "memory")
    if shared and lim.max is None:
        raise UsageError("shared memories must have a maximum size")
    return _t.MemType(lim, bool(shared), addr64, page_size_log2)


class TableType(metaclass=_Facade):
    """The type of a table. wasmtime-py's ``TableType(valtype,
    Limits(min, max))`` or the engine's ``TableType(element, minimum,
    maximum=None, table64=False, shared=False)``; the element type is a
    reference type; ``shared``: a shared table (shared-everything-threads)."""

    _made = (_t.TableType,)

    def __new__(cls, element: _t.RefType, limits: Any, maximum: Optional[int] = None, *,  # type: ignore[misc]
                table64: bool = False, shared: bool = False) -> _t.TableType:
        if not isinstance(element, _t.RefType):
            raise UsageError(f"a table holds references, not {element!r}")
        lim = limits if isinstance(limits, _t.Limits) else _t.Limits(limits, maximum)
        _check_limits(lim, (1 << (64 if table64 else 32)) - 1, "table")
        return _t.TableType(lim, element, table64, bool(shared))


def _check_limits(lim: _t.Limits, largest: int, what: str) -> None:
    for v in (lim.min, lim.max):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
            raise UsageError(f"limits are non-negative ints, got {v!r}")
    if lim.min > largest or (lim.max is not None and lim.max > largest):
        raise UsageError(f"size is too large for this {what} type's index type")
    if lim.max is not None and lim.max < lim.min:
        raise UsageError("maximum size cannot be smaller than the minimum size")
