"""Matching (subtyping) of resolved types, and of external types for imports.

All functions here take *resolved* types: reference types whose heap type is
an :class:`~engine.syntax.types.AbsHeapType` or a canonical
:class:`~engine.valid.canon.DefType` (never a module-relative index).

API
---
``heap_sub(h1, h2)``, ``ref_sub(r1, r2)``, ``val_sub(t1, t2)``,
``results_sub(ts1, ts2)``, ``storage_sub``, ``field_sub``, ``comp_sub``
    The subtyping relations of the specification's "Matching" section.
``top_heap(h)``
    The top of the hierarchy a heap type belongs to (any, func, extern, exn).
``limits_sub(l1, l2)``
    Limits matching, including absent maxima.
``extern_sub(actual, expected)``
    Import matching of two external types, each a :class:`DefType` (function),
    :class:`~engine.syntax.types.TableType`, ``MemType``, ``GlobalType``, or
    :class:`TagDesc` (tag); returns False on a kind mismatch.

``BOT`` is the heap type of unreachable-code operands: below every heap type.
"""

from __future__ import annotations

from typing import Sequence

from ..syntax.types import (
    AbsHeapType,
    ArrayType,
    FieldType,
    FuncType,
    GlobalType,
    Limits,
    MemType,
    PackedType,
    RefType,
    StructType,
    TableType,
)
from .canon import DefType

A = AbsHeapType


class _Bot:
    """The bottom heap type (only ever produced by unreachable code)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "bot"


BOT = _Bot()


class SharedUnknown:
    """``(ref (bot-share ht))`` of the shared-everything-threads proposal: an
    abstract heap type ``ht`` whose sharedness is not known, produced only by
    unreachable code (``any.convert_extern`` of the bottom type). It matches
    what either ``ht`` or ``(shared ht)`` matches."""

    __slots__ = ("base",)

    def __init__(self, base: AbsHeapType):
        self.base = base

    def __repr__(self) -> str:
        return f"(shared? {self.base!r})"


#: The unknown-sharedness forms, one per abstract heap type.
SHARED_UNKNOWN: dict[AbsHeapType, SharedUnknown] = {
    h: SharedUnknown(h) for h in AbsHeapType if h.value | 0x6500 in AbsHeapType._value2member_map_
}

#: Abstract heap type -> the abstract heap types it matches.
_ABS_SUPERS: dict[AbsHeapType, frozenset] = {
    A.ANY: frozenset({A.ANY}),
    A.EQ: frozenset({A.EQ, A.ANY}),
    A.I31: frozenset({A.I31, A.EQ, A.ANY}),
    A.STRUCT: frozenset({A.STRUCT, A.EQ, A.ANY}),
    A.ARRAY: frozenset({A.ARRAY, A.EQ, A.ANY}),
    A.NONE: frozenset({A.NONE, A.I31, A.STRUCT, A.ARRAY, A.EQ, A.ANY}),
    A.FUNC: frozenset({A.FUNC}),
    A.NOFUNC: frozenset({A.NOFUNC, A.FUNC}),
    A.EXTERN: frozenset({A.EXTERN}),
    A.NOEXTERN: frozenset({A.NOEXTERN, A.EXTERN}),
    A.EXN: frozenset({A.EXN}),
    A.NOEXN: frozenset({A.NOEXN, A.EXN}),
}

_ABS_TOP = {
    A.ANY: A.ANY, A.EQ: A.ANY, A.I31: A.ANY, A.STRUCT: A.ANY, A.ARRAY: A.ANY,
    A.NONE: A.ANY, A.FUNC: A.FUNC, A.NOFUNC: A.FUNC, A.EXTERN: A.EXTERN,
    A.NOEXTERN: A.EXTERN, A.EXN: A.EXN, A.NOEXN: A.EXN,
}

_ABS_BOTTOM = {
    A.ANY: A.NONE, A.EQ: A.NONE, A.I31: A.NONE, A.STRUCT: A.NONE, A.ARRAY: A.NONE,
    A.NONE: A.NONE, A.FUNC: A.NOFUNC, A.NOFUNC: A.NOFUNC, A.EXTERN: A.NOEXTERN,
    A.NOEXTERN: A.NOEXTERN, A.EXN: A.NOEXN, A.NOEXN: A.NOEXN,
}

# The shared hierarchies mirror the unshared ones (shared-everything-threads).
_TWINS = [h for h in A if h.value < 0x100 and h.value | 0x6500 in A._value2member_map_]
for _table in (_ABS_TOP, _ABS_BOTTOM):
    _table.update({h.as_shared: _table[h].as_shared for h in _TWINS})
_ABS_SUPERS.update({h.as_shared: frozenset(x.as_shared for x in _ABS_SUPERS[h]) for h in _TWINS})


def top_heap(h: object) -> object:
    """The top type of ``h``'s hierarchy (BOT stays BOT)."""
    if type(h) is DefType:
        return h.top
    if h is BOT:
        return BOT
    if type(h) is SharedUnknown:
        return SHARED_UNKNOWN[_ABS_TOP[h.base]]
    return _ABS_TOP[h]  # type: ignore[index]


def bottom_heap(h: object) -> object:
    """The bottom type of ``h``'s hierarchy."""
    if type(h) is DefType:
        return h.bottom
    if h is BOT:
        return BOT
    if type(h) is SharedUnknown:
        return SHARED_UNKNOWN[_ABS_BOTTOM[h.base]]
    return _ABS_BOTTOM[h]  # type: ignore[index]


def heap_sub(h1: object, h2: object) -> bool:
    """``h1 <: h2`` for resolved heap types."""
    if h1 is h2:
        return True
    t1 = type(h1)
    if t1 is DefType:
        if type(h2) is DefType:
            return h2 in h1.supers  # type: ignore[union-attr]
        return h2 in h1.abs_above  # type: ignore[union-attr]
    if h1 is BOT:
        return True
    if t1 is SharedUnknown:
        base = h1.base  # type: ignore[union-attr]
        if type(h2) is SharedUnknown:
            return heap_sub(base, h2.base)
        return heap_sub(base, h2) or heap_sub(base.as_shared, h2)
    if type(h2) is SharedUnknown:
        return False
    if type(h2) is DefType:
        return h1 is h2.bottom  # type: ignore[union-attr]
    if h2 is BOT:
        return False
    return h2 in _ABS_SUPERS[h1]  # type: ignore[index]


def ref_sub(r1: RefType, r2: RefType) -> bool:
    """``r1 <: r2`` for resolved reference types (custom-descriptors exact
    types included: an exact type matches only itself, its inexact form and
    what that matches; the bottom of a hierarchy, exact or not, matches
    every exact type of it)."""
    if r1 is r2:
        return True
    if r1.nullable and not r2.nullable:
        return False
    if r2.exact:
        h1 = r1.heap
        if h1 is BOT:
            return True
        if type(h1) is AbsHeapType and h1 is _ABS_BOTTOM[h1]:
            # (ref null? exact? none) <: (ref null? exact ht) for ht below any
            return heap_sub(h1, r2.heap)
        return r1.exact and h1 is r2.heap
    return heap_sub(r1.heap, r2.heap)


def val_sub(t1: object, t2: object) -> bool:
    """``t1 <: t2`` for resolved value types; ``None`` stands for the bottom
    value type of unreachable code and matches everything."""
    if t1 is t2 or t1 is None:
        return True
    if type(t1) is RefType and type(t2) is RefType:
        return ref_sub(t1, t2)  # type: ignore[arg-type]
    return t1 == t2


def results_sub(ts1: Sequence, ts2: Sequence) -> bool:
    """Pointwise matching of two result types of equal length."""
    if len(ts1) != len(ts2):
        return False
    for a, b in zip(ts1, ts2):
        if not val_sub(a, b):
            return False
    return True


def shareable(t: object) -> bool:
    """Whether a resolved value or storage type is valid in a shared
    context: numbers, vectors and packed types always are; references when
    their heap type is shared."""
    if type(t) is not RefType:
        return True
    h = t.heap  # type: ignore[union-attr]
    if type(h) is AbsHeapType:
        return h.shared
    if type(h) is DefType:
        return h.shared
    return True  # the bottom type of unreachable code


def storage_sub(z1: object, z2: object) -> bool:
    """Storage type matching: packed types only match themselves."""
    if type(z1) is PackedType or type(z2) is PackedType:
        return z1 is z2
    return val_sub(z1, z2)


def field_sub(f1: FieldType, f2: FieldType) -> bool:
    """Immutable fields are covariant, mutable ones invariant."""
    if f1.mutable != f2.mutable:
        return False
    if not storage_sub(f1.storage, f2.storage):
        return False
    return not f1.mutable or storage_sub(f2.storage, f1.storage)


def comp_sub(c1: object, c2: object) -> bool:
    """Composite type matching (width and depth for structs, contravariant
    parameters and covariant results for functions)."""
    if type(c1) is not type(c2) or c1.shared != c2.shared:  # type: ignore[union-attr]
        return False
    if type(c1) is FuncType:
        return results_sub(c2.params, c1.params) and results_sub(c1.results, c2.results)  # type: ignore[union-attr]
    if type(c1) is StructType:
        f1, f2 = c1.fields, c2.fields  # type: ignore[union-attr]
        if len(f1) < len(f2):
            return False
        return all(field_sub(a, b) for a, b in zip(f1, f2))
    if type(c1) is ArrayType:
        return field_sub(c1.field, c2.field)  # type: ignore[union-attr]
    return False


# --- external types ------------------------------------------------------------


class TagDesc:
    """The external type of a tag: its canonical function DefType."""

    __slots__ = ("type",)

    def __init__(self, deftype: DefType):
        self.type = deftype

    def __eq__(self, other: object) -> bool:
        return type(other) is TagDesc and other.type is self.type

    def __hash__(self) -> int:
        return id(self.type)

    def __repr__(self) -> str:
        return f"(tag {self.type!r})"


def limits_sub(l1: Limits, l2: Limits) -> bool:
    """``l1`` matches ``l2``: at least the minimum, and within the maximum if
    ``l2`` has one (then ``l1`` must have one too)."""
    if l1.min < l2.min:
        return False
    if l2.max is None:
        return True
    return l1.max is not None and l1.max <= l2.max


def table_sub(t1: TableType, t2: TableType) -> bool:
    """Tables: same address type, matching limits, equivalent element types."""
    return (
        t1.addr64 == t2.addr64
        and t1.shared == t2.shared
        and limits_sub(t1.limits, t2.limits)
        and ref_sub(t1.elem, t2.elem)
        and ref_sub(t2.elem, t1.elem)
    )


def mem_sub(m1: MemType, m2: MemType) -> bool:
    """Memories: same address type, sharedness and page size; matching limits."""
    return (
        m1.addr64 == m2.addr64
        and m1.shared == m2.shared
        and m1.page_size_log2 == m2.page_size_log2
        and limits_sub(m1.limits, m2.limits)
    )


def global_sub(g1: GlobalType, g2: GlobalType) -> bool:
    """Immutable globals are covariant, mutable ones invariant; sharedness
    must agree."""
    if g1.mutable != g2.mutable or g1.shared != g2.shared:
        return False
    if not val_sub(g1.valtype, g2.valtype):
        return False
    return not g1.mutable or val_sub(g2.valtype, g1.valtype)


def extern_sub(actual: object, expected: object) -> bool:
    """Import matching; see the module docstring for the accepted types."""
    ta = type(actual)
    if ta is not type(expected):
        return False
    if ta is DefType:
        return expected in actual.supers  # type: ignore[union-attr]
    if ta is TableType:
        return table_sub(actual, expected)  # type: ignore[arg-type]
    if ta is MemType:
        return mem_sub(actual, expected)  # type: ignore[arg-type]
    if ta is GlobalType:
        return global_sub(actual, expected)  # type: ignore[arg-type]
    if ta is TagDesc:
        return actual.type is expected.type  # type: ignore[union-attr]
    return False
