"""The namespace generated code runs in.

Generated functions see three kinds of names: their own locals, free
variables bound per instance through closure cells (see
:mod:`engine.compile.codegen`), and the globals defined here: the numeric
helpers of :mod:`engine.numeric` (lowercase names) and the runtime helpers
below (uppercase names). Builtins are reduced to what the code needs.
"""

from __future__ import annotations

import struct

from ..errors import Trap, TrapCode, WasmException

_U16 = struct.Struct("<H")
_S16 = struct.Struct("<h")
_U32 = struct.Struct("<I")
_S32 = struct.Struct("<i")
_U64 = struct.Struct("<Q")
_F32 = struct.Struct("<f")
_F64 = struct.Struct("<d")


def _trap(code: TrapCode):
    def raiser(*_args):
        raise Trap(code)
    return raiser


def table_oob(*_args):
    """Raise the out-of-bounds table access trap."""
    raise Trap(TrapCode.TABLE_OUT_OF_BOUNDS)


def check_sig(ref, ty):
    """The callable of a table entry whose type is not ``ty`` itself:
    allowed when it is a subtype, else a trap."""
    if ref is None:
        raise Trap(TrapCode.INDIRECT_CALL_TO_NULL)
    if ty in ref.deftype.supers:
        return ref.fn
    raise Trap(TrapCode.BAD_SIGNATURE)


def mem_fill(mem: bytearray, d: int, v: int, n: int) -> None:
    """memory.fill: bounds checked before any write."""
    if d + n > len(mem):
        raise Trap(TrapCode.MEMORY_OUT_OF_BOUNDS)
    if n:
        mem[d:d + n] = bytes((v & 0xFF,)) * n


def mem_copy(dst: bytearray, src: bytearray, d: int, s: int, n: int) -> None:
    """memory.copy: overlapping ranges behave as if copied through a buffer."""
    if s + n > len(src) or d + n > len(dst):
        raise Trap(TrapCode.MEMORY_OUT_OF_BOUNDS)
    if n:
        dst[d:d + n] = src[s:s + n]


def mem_init(mem: bytearray, data: bytes, d: int, s: int, n: int) -> None:
    """memory.init from a (possibly dropped, then empty) data segment."""
    if s + n > len(data) or d + n > len(mem):
        raise Trap(TrapCode.MEMORY_OUT_OF_BOUNDS)
    if n:
        mem[d:d + n] = data[s:s + n]


def table_fill(tab: list, i: int, v, n: int) -> None:
    """table.fill: bounds checked before any write."""
    if i + n > len(tab):
        raise Trap(TrapCode.TABLE_OUT_OF_BOUNDS)
    if n:
        tab[i:i + n] = [v] * n


def table_copy(dst: list, src: list, d: int, s: int, n: int) -> None:
    """table.copy."""
    if s + n > len(src) or d + n > len(dst):
        raise Trap(TrapCode.TABLE_OUT_OF_BOUNDS)
    if n:
        dst[d:d + n] = src[s:s + n]


def table_init(tab: list, elems, d: int, s: int, n: int) -> None:
    """table.init from a (possibly dropped, then empty) element segment."""
    if s + n > len(elems) or d + n > len(tab):
        raise Trap(TrapCode.TABLE_OUT_OF_BOUNDS)
    if n:
        tab[d:d + n] = elems[s:s + n]


class TailCall:
    """Returned by a function body that ends in ``return_call``: the caller's
    trampoline (see :func:`make_driver`) makes the call, so a chain of tail
    calls runs in constant Python stack."""

    __slots__ = ("fn", "args")

    def __init__(self, fn, args: tuple):
        self.fn = fn
        self.args = args


def make_driver(body):
    """The entry point of a function that makes tail calls: run its body,
    then every tail call it (and its tail callees) hand back."""

    def driver(*args):
        r = body(*args)
        while r.__class__ is TailCall:
            r = r.fn(*r.args)
        return r

    return driver


class Delegated(Exception):
    """A Wasm exception on its way to the handler a legacy ``delegate``
    named; handlers in between (which catch WasmException) let it pass."""

    __slots__ = ("exc", "target")

    def __init__(self, exc: WasmException, target: int):
        self.exc = exc
        self.target = target


def throw_ref(exn):
    """``throw_ref``: the exception to raise again, or a null trap."""
    if exn is None:
        raise Trap(TrapCode.NULL_REFERENCE)
    return exn


def null_ref(*_args):
    """Raise the null-reference trap."""
    raise Trap(TrapCode.NULL_REFERENCE)


def _make_globals() -> dict:
    from .. import numeric

    g: dict = {"__builtins__": {"len": len, "int": int}}
    g.update(numeric.HELPERS)
    from ..numeric import simd

    g.update(simd.SIMD_HELPERS)
    g.update(
        Trap=Trap,
        LD_U16=_U16.unpack_from, LD_S16=_S16.unpack_from,
        LD_U32=_U32.unpack_from, LD_S32=_S32.unpack_from,
        LD_U64=_U64.unpack_from, LD_F32=_F32.unpack_from, LD_F64=_F64.unpack_from,
        ST_U16=_U16.pack_into, ST_U32=_U32.pack_into, ST_U64=_U64.pack_into,
        ST_F32=_F32.pack_into, ST_F64=_F64.pack_into,
        SX8_32=tuple((b ^ 0x80) - 0x80 & 0xFFFFFFFF for b in range(256)),
        SX8_64=tuple((b ^ 0x80) - 0x80 & 0xFFFFFFFFFFFFFFFF for b in range(256)),
        LD_F32_NAN=lambda m, a: numeric.f32_from_bits(_U32.unpack_from(m, a)[0]),
        F32_BITS=numeric.f32_to_bits,
        TABLE_OOB=table_oob, CHECK_SIG=check_sig,
        MEM_FILL=mem_fill, MEM_COPY=mem_copy, MEM_INIT=mem_init,
        TABLE_FILL=table_fill, TABLE_COPY=table_copy, TABLE_INIT=table_init,
        WasmException=WasmException, WASM_EXC=WasmException, DELEGATED=Delegated,
        THROW_REF=throw_ref, NULL_REF=null_ref, TAILCALL=TailCall,
    )
    from ..runtime import atomics, gc

    g.update(
        UNALIGNED=_trap(TrapCode.UNALIGNED_ATOMIC),
        OUT_OF_FUEL=_trap(TrapCode.OUT_OF_FUEL),
        INTERRUPT=_trap(TrapCode.INTERRUPT),
        ATOMIC_RMW=atomics.atomic_rmw, ATOMIC_CMPXCHG=atomics.atomic_cmpxchg,
        ATOMIC_STORE=atomics.atomic_store,
        ATOMIC_WAIT=atomics.atomic_wait, ATOMIC_NOTIFY=atomics.atomic_notify,
    )
    for name, fn in atomics.RMW_OPS.items():
        g[f"RMW_{name.upper()}"] = fn
    g.update(atomics.SHARED_HELPERS)

    g.update(
        MK_STRUCT=gc.mk_struct, MK_ARRAY=gc.mk_array, ARRAY_NEW=gc.array_new,
        ARRAY_NEW_DATA=gc.array_new_data, ARRAY_NEW_ELEM=gc.array_new_elem,
        ARRAY_FILL=gc.array_fill, ARRAY_COPY=gc.array_copy,
        ARRAY_INIT_DATA=gc.array_init_data, ARRAY_INIT_ELEM=gc.array_init_elem,
        ARRAY_OOB=gc.array_oob, CAST_FAIL=gc.cast_fail,
        ANY_CONVERT_EXTERN=gc.any_convert_extern, EXTERN_CONVERT_ANY=gc.extern_convert_any,
    )
    for code in TrapCode:
        g[f"TC_{code.name}"] = code
    return g


_GLOBALS: dict | None = None


def generated_globals() -> dict:
    """The (shared, read-only by convention) globals of generated code."""
    global _GLOBALS
    if _GLOBALS is None:
        _GLOBALS = _make_globals()
    return _GLOBALS
