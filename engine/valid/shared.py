"""Validation of the shared-everything-threads instructions.

* the atomic accesses to globals, tables, structs and arrays: an access of
  the whole value (``get``/``set``/``rmw.xchg``) needs ``i32``, ``i64`` or a
  subtype of ``anyref`` or ``(shared anyref)``; arithmetic needs ``i32`` or
  ``i64``; ``cmpxchg`` needs ``i32``, ``i64`` or a subtype of ``eqref`` or
  ``(shared eqref)``, whose expected operand is then ``eqref`` (of the same
  sharedness); ``get_s``/``get_u``/``set`` also take the packed ``i8`` and
  ``i16`` of structs and arrays. Writes need a mutable location.
* the shared-polymorphic GC instructions (``ref.eq``, ``i31.get_s/u``,
  ``array.len``, ``any.convert_extern``, ``extern.convert_any``) accept the
  shared and the unshared form of their operand type; an operand whose
  sharedness is unknown (unreachable code) gives a result of unknown
  sharedness (:class:`~engine.valid.subtyping.SharedUnknown`).

The handlers register themselves in :data:`engine.valid.code.HANDLERS`.
"""

from __future__ import annotations

from typing import Optional

from ..errors import InvalidError
from ..syntax.opcodes import Op
from ..syntax.types import I32, I64, AbsHeapType, PackedType, RefType
from .canon import DefType
from .code import HANDLERS, CodeValidator, _mismatch, unpack
from .subtyping import BOT, SHARED_UNKNOWN, SharedUnknown, heap_sub

A = AbsHeapType

_ANYREF = RefType(True, A.ANY)
_SHARED_ANYREF = RefType(True, A.SHARED_ANY)
_EQREF = RefType(True, A.EQ)
_SHARED_EQREF = RefType(True, A.SHARED_EQ)

#: What each kind of atomic access allows: whole values, arithmetic,
#: compare-exchange, and the packed reads.
_WHOLE, _ARITH, _CMPXCHG, _PACKED_GET, _SET = range(5)


def _kind(text: str) -> int:
    name = text.rsplit(".", 1)[1]
    if name in ("add", "sub", "and", "or", "xor"):
        return _ARITH
    if name == "cmpxchg":
        return _CMPXCHG
    if name in ("get_s", "get_u"):
        return _PACKED_GET
    if name == "set":
        return _SET
    return _WHOLE  # get, xchg


_ALLOWED = {
    _WHOLE: "`i32`, `i64` and subtypes of `anyref`",
    _SET: "`i32`, `i64` and subtypes of `anyref`",
    _ARITH: "`i32` and `i64`",
    _CMPXCHG: "`i32`, `i64` and subtypes of `eqref`",
}


def _share_of(t: object, base: AbsHeapType) -> Optional[bool]:
    """Whether a reference operand type is below ``base`` (False) or below
    ``(shared base)`` (True); None when unknown (unreachable code). Raises a
    type mismatch when it is below neither."""
    if type(t) is not RefType:
        raise _mismatch(f"expected subtype of {base!r}, found {t}")
    h = t.heap  # type: ignore[union-attr]
    if h is BOT:
        return None
    if type(h) is SharedUnknown:
        if heap_sub(h.base, base):
            return None
    elif heap_sub(h, base):
        return False
    elif heap_sub(h, base.as_shared):
        return True
    raise _mismatch(f"expected subtype of {base!r}, found {h!r}")


def _eq_expected(t: object) -> object:
    """The expected operand of a cmpxchg on a location of type ``t``: the
    number type itself, or eqref of the location's sharedness."""
    if type(t) is RefType:
        return _SHARED_EQREF if heap_sub(t.heap, A.SHARED_EQ) else _EQREF  # type: ignore[union-attr]
    return t


def _check_atomic_type(t: object, kind: int, what: str, op: Op) -> None:
    """The type rule of an atomic access to a location of storage type ``t``."""
    if kind == _PACKED_GET:
        if type(t) is not PackedType:
            raise InvalidError(f"type mismatch: can only use {what} `get_s`/`get_u` with packed "
                               f"storage types, use `get` for non-packed storage types")
        return
    if type(t) is PackedType:
        if kind == _SET:
            return
        if kind == _WHOLE and op.text.endswith((".get",)):
            raise InvalidError(f"type mismatch: can only use {what} `get` with non-packed "
                               f"storage types, use `get_s`/`get_u` for packed storage types")
    elif t is I32 or t is I64:
        return
    elif type(t) is RefType and kind != _ARITH:
        if kind == _CMPXCHG:
            if heap_sub(t.heap, A.EQ) or heap_sub(t.heap, A.SHARED_EQ):  # type: ignore[union-attr]
                return
        elif heap_sub(t.heap, A.ANY) or heap_sub(t.heap, A.SHARED_ANY):  # type: ignore[union-attr]
            return
    allowed = _ALLOWED.get(kind, "`i32` and `i64`")
    if kind == _SET and what != "global":
        allowed = "`i8`, `i16`, " + allowed
    raise InvalidError(f"invalid type: `{op.text}` only allows {allowed}")


def _access(v: CodeValidator, op: Op, t: object, mutable: bool, what: str) -> tuple[tuple, tuple]:
    """The operands (after the location's own) and results of an atomic
    access to a location of storage type ``t``."""
    kind = _kind(op.text)
    _check_atomic_type(t, kind, what, op)
    vt = unpack(t)
    if kind == _WHOLE and op.text.endswith(".get") or kind == _PACKED_GET:
        return (), (vt,)
    if not mutable:
        raise InvalidError(f"invalid type: {what} is immutable")
    if kind == _SET:
        return (vt,), ()
    if kind == _CMPXCHG:
        return (_eq_expected(vt), vt), (vt,)
    return (vt,), (vt,)


def _global_atomic(v: CodeValidator, i: tuple) -> None:
    g = v.global_(i[2])
    pops, pushes = _access(v, i[0], g.valtype, g.mutable, "global")
    v.pop_vals(pops)
    v.push_vals(pushes)


def _table_atomic(v: CodeValidator, i: tuple) -> None:
    t = v.table(i[2])
    elem = t.elem
    kind = _kind(i[0].text)
    if kind == _CMPXCHG:
        ok = heap_sub(elem.heap, A.EQ) or heap_sub(elem.heap, A.SHARED_EQ)
    else:
        ok = heap_sub(elem.heap, A.ANY) or heap_sub(elem.heap, A.SHARED_ANY)
    if not ok:
        allowed = "subtypes of `eqref`" if kind == _CMPXCHG else "subtypes of `anyref`"
        raise InvalidError(f"invalid type: `{i[0].text}` only allows {allowed}")
    pops, pushes = _access(v, i[0], elem, True, "table")
    v.pop_vals(pops)
    v.pop_expect(I64 if t.addr64 else I32)
    v.push_vals(pushes)


def _struct_atomic(v: CodeValidator, i: tuple) -> None:
    dt = v.struct(i[2])
    fields = dt.comp.fields
    n = i[3]
    if type(n) is not int or not 0 <= n < len(fields):
        raise InvalidError(f"unknown field {n}")
    f = fields[n]
    pops, pushes = _access(v, i[0], f.storage, f.mutable, "field")
    v.pop_vals(pops)
    v.pop_expect(RefType(True, dt))
    v.push_vals(pushes)


def _array_atomic(v: CodeValidator, i: tuple) -> None:
    dt = v.array(i[2])
    f = dt.comp.field
    pops, pushes = _access(v, i[0], f.storage, f.mutable, "array")
    v.pop_vals(pops)
    v.pop_expect(I32)
    v.pop_expect(RefType(True, dt))
    v.push_vals(pushes)


_FAMILIES = {"global": _global_atomic, "table": _table_atomic, "struct": _struct_atomic,
             "array": _array_atomic}
for _op in Op:
    _head, _, _rest = _op.text.partition(".")
    if _rest.startswith("atomic.") and _head in _FAMILIES:
        HANDLERS[_op] = _FAMILIES[_head]


# --- shared-polymorphic GC instructions ---------------------------------------------


def _ref_eq(v: CodeValidator, i: tuple) -> None:
    share = None
    for _ in range(2):
        s = _share_of(v.pop_ref(), A.EQ)
        if s is not None:
            if share is not None and s != share:
                raise _mismatch("ref.eq operands differ in sharedness")
            share = s
    v.vals.append(I32)


def _i31_get(v: CodeValidator, i: tuple) -> None:
    _share_of(v.pop_ref(), A.I31)
    v.vals.append(I32)


def _array_len(v: CodeValidator, i: tuple) -> None:
    _share_of(v.pop_ref(), A.ARRAY)
    v.vals.append(I32)


def _converter(source: AbsHeapType, target: AbsHeapType):
    def convert(v: CodeValidator, i: tuple) -> None:
        rt = v.pop_ref()
        s = _share_of(rt, source)
        heap: object = SHARED_UNKNOWN[target] if s is None else target.as_shared if s else target
        v.vals.append(RefType(rt.nullable, heap))
    return convert


HANDLERS[Op.REF_EQ] = _ref_eq
HANDLERS[Op.I31_GET_S] = HANDLERS[Op.I31_GET_U] = _i31_get
HANDLERS[Op.ARRAY_LEN] = _array_len
HANDLERS[Op.ANY_CONVERT_EXTERN] = _converter(A.EXTERN, A.ANY)
HANDLERS[Op.EXTERN_CONVERT_ANY] = _converter(A.ANY, A.EXTERN)


def shared_deftype_ok(dt: DefType) -> None:
    """A shared composite type may contain only shareable types."""
    from .subtyping import shareable

    comp = dt.comp
    if hasattr(comp, "params"):
        types = comp.params + comp.results
    elif hasattr(comp, "fields"):
        types = tuple(f.storage for f in comp.fields)
    else:
        types = (comp.field.storage,)
    for t in types:
        if not shareable(t):
            raise InvalidError("invalid type: shared composite type must contain shared types")
