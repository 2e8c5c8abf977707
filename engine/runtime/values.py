"""Values at the host boundary.

Inside generated code values use the engine's representation (documented in
:mod:`engine.numeric`): i32/i64 as unsigned ints, f32/f64 as floats (f32
NaNs carry their payload in the f64 payload's top bits), v128 as an unsigned
128-bit int, references as ``None`` or objects.

Hosts see: i32/i64 as *signed* ints (as wasmtime-py does; unsigned ints in
range are accepted as arguments), f32/f64 as floats, v128 as an unsigned
int, references as ``None`` or objects. :func:`f32_to_bits` and
:func:`f32_from_bits` give the exact bits of f32 values, signalling NaNs
included.
"""

from __future__ import annotations

import math
import struct
from typing import Any, Callable

from ..errors import ExitTrap, Trap, TrapCode, UsageError, WasmException, host_trap
from ..syntax import types as T
from .membytes import default_max_bytes
from .resumable import Suspend, suspend
from .val import Val, unwrap

_MASK32 = 0xFFFFFFFF
_MASK64 = 0xFFFFFFFFFFFFFFFF
_MASK128 = (1 << 128) - 1

#: The default of ``Config.max_memory_bytes``: 4 GiB or half the host's
#: memory, whichever is larger (see :func:`engine.runtime.membytes.default_max_bytes`).
DEFAULT_MAX_MEMORY_BYTES = default_max_bytes()
DEFAULT_MAX_TABLE_ELEMENTS = 10_000_000


def f32_to_bits(value: float) -> int:
    """The f32 bit pattern of an f32 value in the engine's representation."""
    from ..numeric import f32_to_bits as impl

    return impl(value)


def f32_from_bits(bits: int) -> float:
    """The engine's f32 value for an f32 bit pattern."""
    from ..numeric import f32_from_bits as impl

    return impl(bits & _MASK32)


def _to_f32(x: float) -> float:
    """Round a host float to f32 (NaN payloads: the top 23 bits survive)."""
    if x != x:
        bits = struct.unpack("<Q", struct.pack("<d", x))[0]
        f32 = ((bits >> 32) & 0x80000000) | 0x7F800000 | ((bits >> 29) & 0x7FFFFF)
        if not f32 & 0x7FFFFF:
            f32 |= 0x400000
        return f32_from_bits(f32)
    try:
        return struct.unpack("<f", struct.pack("<f", x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


def _int_to_wasm(v: Any, bits: int, what: str) -> int:
    if type(v) is not int:
        # bools are ints (True is 1); so is anything with __index__
        if v.__class__ is Val:
            v = unwrap(_INT_TYPES[bits], v)
        elif hasattr(v, "__index__") and not isinstance(v, float):
            v = v.__index__()
        else:
            raise UsageError(f"expected an int for {what}, got {type(v).__name__}")
    if not -(1 << (bits - 1)) <= v < (1 << bits):
        raise UsageError(f"{v} does not fit in {what}")
    return v & ((1 << bits) - 1)


_INT_TYPES = {32: T.I32, 64: T.I64, 128: T.V128}


def to_wasm(t: Any, v: Any) -> Any:
    """Convert a host value (or a :class:`~engine.Val`) to the engine
    representation of type ``t``."""
    if t is T.I32:
        return _int_to_wasm(v, 32, "i32")
    if t is T.I64:
        return _int_to_wasm(v, 64, "i64")
    if t is T.F32:
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            if v.__class__ is not Val:
                raise UsageError(f"expected a float for f32, got {type(v).__name__}")
            v = unwrap(t, v)
        return _to_f32(float(v))
    if t is T.F64:
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            if v.__class__ is not Val:
                raise UsageError(f"expected a float for f64, got {type(v).__name__}")
            v = unwrap(t, v)
        return float(v)
    if t is T.V128:
        return _int_to_wasm(v, 128, "v128")
    if isinstance(t, T.RefType):
        return to_wasm_ref(t, v)
    raise UsageError(f"unsupported value type {t!r}")


def from_wasm(t: Any, v: Any) -> Any:
    """Convert an engine value of type ``t`` to the host representation."""
    if t is T.I32:
        v = int(v)
        return v - 0x100000000 if v & 0x80000000 else v
    if t is T.I64:
        v = int(v)
        return v - 0x10000000000000000 if v & 0x8000000000000000 else v
    if t is T.V128:
        return int(v)
    if isinstance(t, T.RefType):
        if v.__class__ is int and t.heap is T.AbsHeapType.EXTERN:
            # a host int passed as externref (inside, an int is an i31 only
            # in the any hierarchy)
            return v
        return from_wasm_ref(v)
    return v


def to_wasm_ref(t: T.RefType, v: Any) -> Any:
    """A host reference as an engine reference of type ``t``."""
    from .objects import Func

    if v.__class__ is Val:
        v = unwrap(t, v)
    if v is None:
        if not t.nullable:
            raise UsageError(f"null is not a value of {t!r}")
        return None
    heap = t.heap
    if type(heap) is T.AbsHeapType:
        heap = heap.unshared  # shared values cross the boundary as unshared ones do
    if heap is T.AbsHeapType.EXTERN or heap is T.AbsHeapType.NOEXTERN:
        if heap is T.AbsHeapType.NOEXTERN:
            raise UsageError("only null is a value of nullexternref")
        from .gc import host_to_extern

        return host_to_extern(v)
    if heap is T.AbsHeapType.FUNC or isinstance(v, Func):
        if not isinstance(v, Func):
            raise UsageError(f"expected a Func for {t!r}, got {type(v).__name__}")
        return v
    from .gc import host_to_any

    return host_to_any(t, v)


def from_wasm_ref(v: Any) -> Any:
    """An engine reference as a host value."""
    if v is None:
        return None
    from .gc import any_to_host

    return any_to_host(v)


def check_index(v: Any, addr64: bool) -> int:
    """A non-negative size or index argument of the API."""
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise UsageError(f"expected a non-negative int, got {v!r}")
    if v >= (1 << (64 if addr64 else 32)):
        raise UsageError(f"{v} is out of range")
    return v


def memory_limit_bytes(store) -> int:
    if store is None:
        return DEFAULT_MAX_MEMORY_BYTES
    return store.engine.config.max_memory_bytes


def table_limit(store) -> int:
    if store is None:
        return DEFAULT_MAX_TABLE_ELEMENTS
    return store.engine.config.max_table_elements


class Results(tuple):
    """The results of a call that returns several values: a tuple that also
    equals the list of the same values (wasmtime-py returns lists)."""

    __slots__ = ()

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, list):
            return tuple.__eq__(self, tuple(other))
        return tuple.__eq__(self, other)

    def __ne__(self, other: Any) -> bool:
        return not self == other

    __hash__ = tuple.__hash__


def host_function_adapter(ft: T.FuncType, host: Callable) -> Callable:
    """Wrap a Python callable so that generated code can call it with engine
    values: arguments become host values, results come back converted.

    A Trap, a WasmException or an ExitTrap the host raises goes on as it
    is; any other exception becomes a host trap that is also an instance of
    the exception's class (:func:`engine.errors.host_trap`), so the caller
    of the Wasm code may catch it either way."""
    params = ft.params
    results = ft.results
    nres = len(results)

    def fn(*args):
        try:
            out = host(*[from_wasm(t, a) for t, a in zip(params, args)])
        except (Trap, WasmException, ExitTrap):
            raise
        except Suspend as e:
            # the host suspends the resumable call running it: this returns
            # the results given to ResumableCall.resume, already converted
            return suspend(e, results)
        except RecursionError:
            raise Trap(TrapCode.STACK_OVERFLOW) from None
        except Exception as e:  # noqa: BLE001 - any host failure is a trap
            raise host_trap(e) from e
        try:
            if nres == 0:
                return None
            if nres == 1:
                if isinstance(out, (tuple, list)) and len(out) == 1:
                    out = out[0]
                return to_wasm(results[0], out)
            if not isinstance(out, (tuple, list)) or len(out) != nres:
                raise UsageError(f"host function must return {nres} values")
            return tuple(to_wasm(t, v) for t, v in zip(results, out))
        except UsageError as e:
            bad = UsageError(f"host function returned a bad value: {e}")
            raise host_trap(bad) from e

    return fn
