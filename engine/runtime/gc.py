"""Heap values of the GC proposal, and references at the host boundary.

Representation (inside the engine):

* a struct is a :class:`StructRef`: a Python ``list`` of its field values
  with a ``type`` attribute (its canonical DefType) and, for types with a
  custom descriptor, a ``desc`` attribute; an array is an
  :class:`ArrayRef`, the same for its elements. Packed fields (i8, i16) hold
  the unsigned truncated value. Python's own collector reclaims them.
* an ``i31ref`` is a plain Python ``int`` in ``[0, 2**31)``: no other
  reference is an int, so type tests are a class check, and ``ref.eq`` on
  i31 values compares the ints.
* a host value seen as ``anyref`` (``any.convert_extern``) is wrapped in a
  :class:`HostAny`; an internal reference seen as ``externref``
  (``extern.convert_any``) in an :class:`ExternAny`. Converting back unwraps,
  so both round trips are the identity.
* funcref values are :class:`~engine.runtime.objects.Func` objects, exnref
  values the :class:`~engine.errors.WasmException` objects, null is ``None``.

At the host boundary, structs and arrays are returned as themselves (opaque:
pass them back, do not mutate them), i31 values as :class:`I31Ref`, wrapped
host values unwrapped.
"""

from __future__ import annotations

import struct
import threading
from typing import Any, Callable

from ..errors import Trap, TrapCode, UsageError, WasmException
from ..syntax import types as T
from ..syntax.opcodes import Op

A = T.AbsHeapType
_M32 = 0xFFFFFFFF

#: The most elements a single array allocation may have, whatever the store
#: allows (larger ones trap with ``TrapCode.OUT_OF_MEMORY``).
MAX_ARRAY_LENGTH = 1 << 27

#: ``running.array_cap``: the array cap of the store whose code runs on this
#: thread, set by every entry into Wasm (engine.runtime.call.invoke), as
#: generated code allocates through helpers shared by every store.
running = threading.local()


class StructRef(list):
    """A GC struct (opaque to the host). ``desc`` holds the descriptor of a
    struct whose type has one (custom descriptors; unset otherwise, see
    :mod:`engine.runtime.descriptors`)."""

    __slots__ = ("type", "desc")

    def __repr__(self) -> str:
        return f"<struct {self.type!r}>"

    __hash__ = object.__hash__
    __eq__ = object.__eq__  # references compare by identity


class ArrayRef(list):
    """A GC array (opaque to the host)."""

    __slots__ = ("type",)

    def __repr__(self) -> str:
        return f"<array {self.type!r} len={len(self)}>"

    __hash__ = object.__hash__
    __eq__ = object.__eq__


class I31Ref:
    """An ``i31ref`` value as the host sees it; ``value`` is the unsigned
    31-bit payload."""

    __slots__ = ("value",)

    def __init__(self, value: int):
        self.value = value & 0x7FFFFFFF

    def __eq__(self, other: object) -> bool:
        return isinstance(other, I31Ref) and other.value == self.value

    def __hash__(self) -> int:
        return hash(("i31", self.value))

    def __repr__(self) -> str:
        return f"I31Ref({self.value})"


class HostAny:
    """A host (extern) value converted to ``anyref``."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any):
        self.obj = obj


class ExternAny:
    """An internal reference converted to ``externref``."""

    __slots__ = ("ref",)

    def __init__(self, ref: Any):
        self.ref = ref

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExternAny) and (other.ref is self.ref or (
            type(self.ref) is int and other.ref == self.ref))

    def __hash__(self) -> int:
        return hash(self.ref) if type(self.ref) is int else id(self.ref)


#: An exnref as the host sees it is the exception object itself.
ExnRef = WasmException


def mk_struct(ty, values) -> StructRef:
    s = StructRef(values)
    s.type = ty
    return s


def _make_array(ty, values) -> ArrayRef:
    a = ArrayRef(values)
    a.type = ty
    return a


def mk_array(ty, values) -> ArrayRef:
    """``array.new_fixed``: an array of ``values`` (within the store's cap)."""
    check_length(len(values))
    return _make_array(ty, values)


def any_convert_extern(v: Any) -> Any:
    if v is None:
        return None
    if v.__class__ is ExternAny:
        return v.ref
    return HostAny(v)


def extern_convert_any(v: Any) -> Any:
    if v is None:
        return None
    if v.__class__ is HostAny:
        return v.obj
    return ExternAny(v)


# -- type tests -------------------------------------------------------------------------


def make_test(rt: T.RefType) -> Callable[[Any], bool]:
    """A predicate for ``ref.test rt`` (``rt`` resolved: heap types are
    abstract or canonical DefTypes)."""
    from .objects import Func

    heap = rt.heap
    null = rt.nullable
    if isinstance(heap, A):
        # a shared abstract type tests like the unshared one: only shared
        # values reach a shared hierarchy (validation keeps them apart)
        heap = heap.unshared
        if heap is A.ANY or heap is A.EXTERN:
            return (lambda v: True) if null else (lambda v: v is not None)
        if heap is A.EQ:
            return lambda v: (v is None and null) or v.__class__ in (StructRef, ArrayRef, int)
        if heap is A.I31:
            return lambda v: (v is None and null) or v.__class__ is int
        if heap is A.STRUCT:
            return lambda v: (v is None and null) or v.__class__ is StructRef
        if heap is A.ARRAY:
            return lambda v: (v is None and null) or v.__class__ is ArrayRef
        if heap is A.FUNC:
            return lambda v: (v is None and null) or isinstance(v, Func)
        if heap is A.EXN:
            return lambda v: (v is None and null) or isinstance(v, WasmException)
        # none, nofunc, noextern, noexn: only null
        return lambda v: v is None and null
    dt = heap
    kind = dt.kind if hasattr(dt, "kind") else None
    if kind is A.FUNC:
        cls = Func
    elif kind is A.STRUCT:
        cls = StructRef
    else:
        cls = ArrayRef
    if cls is Func:  # a function's canonical type is its deftype
        if rt.exact:
            return lambda v: (v is None and null) or (isinstance(v, Func) and v.deftype is dt)
        return lambda v: (v is None and null) or (isinstance(v, Func) and dt in v.deftype.supers)
    if rt.exact:
        return lambda v: (v is None and null) or (isinstance(v, cls) and v.type is dt)
    return lambda v: (v is None and null) or (isinstance(v, cls) and dt in v.type.supers)


def cast_fail(*_args):
    raise Trap(TrapCode.CAST_FAILURE)


def array_oob(*_args):
    raise Trap(TrapCode.ARRAY_OUT_OF_BOUNDS)


def check_length(n: int, cap: int | None = None) -> None:
    """Trap with ``OUT_OF_MEMORY`` before allocating an array of ``n``
    elements past ``cap`` (default: the cap of the store running here)."""
    if cap is None:
        cap = getattr(running, "array_cap", MAX_ARRAY_LENGTH)
    if n > cap:
        raise Trap(TrapCode.OUT_OF_MEMORY,
                   f"out of memory: an array of {n} elements is more than the {cap} allowed")


def array_new(ty, init, n: int, cap: int | None = None) -> ArrayRef:
    check_length(n, cap)
    return _make_array(ty, [init] * n)


# element readers for array.new_data / array.init_data, by storage type
def _reader(storage) -> tuple[int, Callable[[bytes, int], Any]]:
    from ..numeric import f32_from_bits

    if storage is T.PackedType.I8:
        return 1, lambda b, o: b[o]
    if storage is T.PackedType.I16:
        return 2, lambda b, o: b[o] | (b[o + 1] << 8)
    if storage is T.I32:
        return 4, lambda b, o: int.from_bytes(b[o:o + 4], "little")
    if storage is T.I64:
        return 8, lambda b, o: int.from_bytes(b[o:o + 8], "little")
    if storage is T.F32:
        return 4, lambda b, o: f32_from_bits(int.from_bytes(b[o:o + 4], "little"))
    if storage is T.F64:
        return 8, lambda b, o: struct.unpack_from("<d", b, o)[0]
    if storage is T.V128:
        from . import vec

        return 16, lambda b, o: vec.from_int(int.from_bytes(b[o:o + 16], "little"))
    raise AssertionError(f"no data reader for {storage!r}")


def array_new_data(ty, data: bytes, s: int, n: int) -> ArrayRef:
    size, read = _reader(ty.comp.field.storage)
    if s + n * size > len(data):
        raise Trap(TrapCode.MEMORY_OUT_OF_BOUNDS)
    check_length(n)
    return _make_array(ty, [read(data, s + i * size) for i in range(n)])


def array_new_elem(ty, elems, s: int, n: int) -> ArrayRef:
    if s + n > len(elems):
        raise Trap(TrapCode.TABLE_OUT_OF_BOUNDS)
    check_length(n)
    return _make_array(ty, list(elems[s:s + n]))


def array_fill(a, i: int, v, n: int) -> None:
    if a is None:
        raise Trap(TrapCode.NULL_REFERENCE)
    if i + n > len(a):
        raise Trap(TrapCode.ARRAY_OUT_OF_BOUNDS)
    if n:
        a[i:i + n] = [v] * n


def array_copy(d, di: int, s, si: int, n: int) -> None:
    if d is None or s is None:
        raise Trap(TrapCode.NULL_REFERENCE)
    if di + n > len(d) or si + n > len(s):
        raise Trap(TrapCode.ARRAY_OUT_OF_BOUNDS)
    if n:
        d[di:di + n] = s[si:si + n]


def array_init_data(data: bytes, a, d: int, s: int, n: int) -> None:
    if a is None:
        raise Trap(TrapCode.NULL_REFERENCE)
    if d + n > len(a):
        raise Trap(TrapCode.ARRAY_OUT_OF_BOUNDS)
    size, read = _reader(a.type.comp.field.storage)
    if s + n * size > len(data):
        raise Trap(TrapCode.MEMORY_OUT_OF_BOUNDS)
    if n:
        a[d:d + n] = [read(data, s + i * size) for i in range(n)]


def array_init_elem(elems, a, d: int, s: int, n: int) -> None:
    if a is None:
        raise Trap(TrapCode.NULL_REFERENCE)
    if d + n > len(a):
        raise Trap(TrapCode.ARRAY_OUT_OF_BOUNDS)
    if s + n > len(elems):
        raise Trap(TrapCode.TABLE_OUT_OF_BOUNDS)
    if n:
        a[d:d + n] = elems[s:s + n]


def default_value(storage) -> Any:
    if storage in (T.I32, T.I64) or isinstance(storage, T.PackedType):
        return 0
    if storage in (T.F32, T.F64):
        return 0.0
    if storage is T.V128:
        from . import vec

        return vec.ZERO
    return None


def pack(storage, v: int) -> int:
    if storage is T.PackedType.I8:
        return v & 0xFF
    if storage is T.PackedType.I16:
        return v & 0xFFFF
    return v


# -- the host boundary ---------------------------------------------------------------


def host_to_any(t: T.RefType, v: Any) -> Any:
    """A host value passed where a reference of type ``t`` is expected."""
    if isinstance(v, I31Ref):
        return v.value
    if isinstance(v, (StructRef, ArrayRef, WasmException, ExternAny, HostAny)):
        return v
    if t.heap is A.ANY or t.heap is A.SHARED_ANY:
        return HostAny(v)
    raise UsageError(f"cannot pass {type(v).__name__} as {t!r}")


def any_to_host(v: Any) -> Any:
    """An engine reference returned to the host."""
    cls = v.__class__
    if cls is int:
        return I31Ref(v)
    if cls is HostAny:
        return v.obj
    if cls is ExternAny:
        # an internal reference seen as externref: the host sees the
        # reference itself, and passing it back as externref re-wraps it
        return any_to_host(v.ref)
    return v


def host_to_extern(v: Any) -> Any:
    """A host value passed as externref: GC references the host got from
    the engine become externalized internal references again."""
    if isinstance(v, I31Ref):
        return ExternAny(v.value)
    if isinstance(v, (StructRef, ArrayRef)):
        return ExternAny(v)
    return v


# -- constant expressions ---------------------------------------------------------------


def _const_struct_new(ins, stack, inst):
    dt = inst.module._deftypes[ins[1]]
    fields = dt.comp.fields
    n = len(fields)
    vals = stack[len(stack) - n:] if n else []
    del stack[len(stack) - n:]
    stack.append(mk_struct(dt, [pack(f.storage, v) for f, v in zip(fields, vals)]))


def _const_struct_new_default(ins, stack, inst):
    dt = inst.module._deftypes[ins[1]]
    stack.append(mk_struct(dt, [default_value(f.storage) for f in dt.comp.fields]))


def _store_cap(inst) -> int:
    """The array cap of the store a module is being instantiated in
    (constant expressions run outside any call)."""
    limiter = getattr(inst.store, "_limiter", None)
    return limiter.array_cap if limiter is not None else MAX_ARRAY_LENGTH


def _const_array_new(ins, stack, inst):
    dt = inst.module._deftypes[ins[1]]
    n = stack.pop()
    init = stack.pop()
    stack.append(array_new(dt, pack(dt.comp.field.storage, init), n, _store_cap(inst)))


def _const_array_new_default(ins, stack, inst):
    dt = inst.module._deftypes[ins[1]]
    n = stack.pop()
    stack.append(array_new(dt, default_value(dt.comp.field.storage), n, _store_cap(inst)))


def _const_array_new_fixed(ins, stack, inst):
    dt = inst.module._deftypes[ins[1]]
    n = ins[2]
    check_length(n, _store_cap(inst))
    vals = stack[len(stack) - n:] if n else []
    del stack[len(stack) - n:]
    st = dt.comp.field.storage
    stack.append(_make_array(dt, [pack(st, v) for v in vals]))


def _const_ref_i31(ins, stack, inst):
    stack.append(stack.pop() & 0x7FFFFFFF)


def _const_any_convert_extern(ins, stack, inst):
    stack.append(any_convert_extern(stack.pop()))


def _const_extern_convert_any(ins, stack, inst):
    stack.append(extern_convert_any(stack.pop()))


CONST_OPS = {
    Op.STRUCT_NEW: _const_struct_new,
    Op.STRUCT_NEW_DEFAULT: _const_struct_new_default,
    Op.ARRAY_NEW: _const_array_new,
    Op.ARRAY_NEW_DEFAULT: _const_array_new_default,
    Op.ARRAY_NEW_FIXED: _const_array_new_fixed,
    Op.REF_I31: _const_ref_i31,
    Op.REF_I31_SHARED: _const_ref_i31,
    Op.ANY_CONVERT_EXTERN: _const_any_convert_extern,
    Op.EXTERN_CONVERT_ANY: _const_extern_convert_any,
}
