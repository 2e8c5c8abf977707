"""``Val``: a value together with its type, as wasmtime-py passes them.

The API takes plain Python values everywhere (ints, floats, references),
and a :class:`Val` wherever it takes a value: as an argument of a call, a
host function's result, a global's or a table element's value. A Val whose
type is not the expected one is a :class:`~engine.UsageError` (a
``TypeError``). Results always come back as plain values.
"""

from __future__ import annotations

from typing import Any, Optional

from ..errors import UsageError
from ..syntax import types as T

_MASK32 = 0xFFFFFFFF
_MASK64 = 0xFFFFFFFFFFFFFFFF
_MASK128 = (1 << 128) - 1


def _wrap(value: Any, bits: int) -> int:
    # wasmtime-py takes any int and keeps its low bits, as a Wasm value
    # would be reinterpreted; the value reads back signed
    if not isinstance(value, int):
        raise UsageError("expected an integer")
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


class Val:
    """A Wasm value and its type: ``Val.i32(5)``, ``Val.f64(0.5)``,
    ``Val.externref(obj)``, ``Val.funcref(func)``, ``Val.ref_null(ty)`` ...
    ``Val(type, value)`` checks ``value`` against any value type.

    ``value`` is the host value (i32/i64 signed; f32 rounded to f32; v128 an
    unsigned 128-bit int); ``type`` its value type. ``as_i32()`` and the
    like answer None for another type. A Val equals another of the same type
    and value, and equals the plain value itself.
    """

    __slots__ = ("_type", "_value")

    def __init__(self, type: Any, value: Any):  # noqa: A002 - wasmtime-py's order
        from .values import from_wasm, to_wasm

        if not isinstance(type, (T.NumType, T.VecType, T.RefType)):
            raise UsageError(f"expected a value type, got {type!r}")
        self._type = type
        self._value = from_wasm(type, to_wasm(type, value))

    @classmethod
    def _make(cls, type: Any, value: Any) -> "Val":  # noqa: A002
        self = cls.__new__(cls)
        self._type = type
        self._value = value
        return self

    @classmethod
    def i32(cls, val: int) -> "Val":
        """An i32 (an int, reduced to 32 bits)."""
        return cls._make(T.I32, _wrap(val, 32))

    @classmethod
    def i64(cls, val: int) -> "Val":
        """An i64 (an int, reduced to 64 bits)."""
        return cls._make(T.I64, _wrap(val, 64))

    @classmethod
    def f32(cls, val: float) -> "Val":
        """An f32 (a float, rounded to f32)."""
        from .values import to_wasm

        if not isinstance(val, float):
            raise UsageError("expected a float")
        return cls._make(T.F32, to_wasm(T.F32, val))

    @classmethod
    def f64(cls, val: float) -> "Val":
        """An f64 (a float)."""
        if not isinstance(val, float):
            raise UsageError("expected a float")
        return cls._make(T.F64, val)

    @classmethod
    def v128(cls, val: int) -> "Val":
        """A v128 (an int, reduced to 128 bits, read back unsigned)."""
        if not isinstance(val, int):
            raise UsageError("expected an integer")
        return cls._make(T.V128, val & _MASK128)

    @classmethod
    def funcref(cls, f: Any) -> "Val":
        """A funcref: a :class:`~engine.Func` or None."""
        from .objects import Func

        if f is not None and not isinstance(f, Func):
            raise UsageError(f"expected a Func or None, got {type(f).__name__}")
        return cls._make(T.FUNCREF, f)

    @classmethod
    def externref(cls, extern: Any) -> "Val":
        """An externref: any Python object, None for null."""
        return cls._make(T.EXTERNREF, extern)

    @classmethod
    def anyref(cls, value: Any) -> "Val":
        """An anyref: a GC reference the engine gave, an ``I31Ref``, any
        other host object (wrapped), or None."""
        return cls(T.ANYREF, value)

    @classmethod
    def exnref(cls, exn: Any) -> "Val":
        """An exnref: a :class:`~engine.ExnRef` or None."""
        return cls(T.EXNREF, exn)

    @classmethod
    def ref_null(cls, ty: Any) -> "Val":
        """The null reference of reference type ``ty``."""
        if not isinstance(ty, T.RefType):
            raise UsageError(f"Invalid reference type for `ref_null`: {ty!r}")
        if not ty.nullable:
            raise UsageError(f"{ty!r} has no null value")
        return cls._make(ty, None)

    @property
    def value(self) -> Any:
        """The value as a plain host value."""
        return self._value

    @property
    def type(self) -> Any:
        """The value's type."""
        return self._type

    def _as(self, t: Any) -> Optional[Any]:
        return self._value if self._type is t else None

    def as_i32(self) -> Optional[int]:
        """The i32, or None if this is not one."""
        return self._as(T.I32)

    def as_i64(self) -> Optional[int]:
        """The i64, or None if this is not one."""
        return self._as(T.I64)

    def as_f32(self) -> Optional[float]:
        """The f32, or None if this is not one."""
        return self._as(T.F32)

    def as_f64(self) -> Optional[float]:
        """The f64, or None if this is not one."""
        return self._as(T.F64)

    def as_v128(self) -> Optional[int]:
        """The v128, or None if this is not one."""
        return self._as(T.V128)

    def as_externref(self) -> Optional[Any]:
        """The externref's object, or None (not an externref, or null)."""
        t = self._type
        if isinstance(t, T.RefType) and t.heap is T.AbsHeapType.EXTERN:
            return self._value
        return None

    def as_funcref(self) -> Optional[Any]:
        """The funcref's Func, or None (not a funcref, or null)."""
        from .objects import Func

        return self._value if isinstance(self._value, Func) else None

    def as_anyref(self) -> Optional[Any]:
        """The anyref's value, or None (not an anyref, or null)."""
        t = self._type
        if isinstance(t, T.RefType) and t.heap is T.AbsHeapType.ANY:
            return self._value
        return None

    def __eq__(self, other: Any) -> Any:
        if isinstance(other, Val):
            return self._type == other._type and self._value == other._value
        return self._value == other

    # equal to plain values of every hash: unhashable, as in wasmtime-py
    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Val({self._type!r}, {self._value!r})"


def unwrap(t: Any, v: Val) -> Any:
    """The plain value of ``v`` where a value of type ``t`` is expected
    (a reference Val of the same hierarchy passes; its value is checked by
    the conversion that follows)."""
    vt = v._type
    if vt == t or (isinstance(t, T.RefType) and isinstance(vt, T.RefType)
                   and _hierarchy(vt.heap) is _hierarchy(t.heap)):
        return v._value
    raise UsageError(f"wrong type of `Val` provided: {vt!r} where {t!r} is expected")


_A = T.AbsHeapType
_TOPS = {_A.FUNC: _A.FUNC, _A.NOFUNC: _A.FUNC, _A.EXTERN: _A.EXTERN, _A.NOEXTERN: _A.EXTERN,
         _A.EXN: _A.EXN, _A.NOEXN: _A.EXN}


def _hierarchy(heap: Any) -> Any:
    """The top of the reference hierarchy a heap type belongs to."""
    if isinstance(heap, _A):
        return _TOPS.get(heap, _A.ANY)
    comp = getattr(heap, "comp", None)  # a defined type
    return _A.FUNC if isinstance(comp, T.FuncType) else _A.ANY
