"""Decoding of types: value, heap and reference types, recursion groups of
struct/array/function types, limits, and the external types.

Readers take ``(data, pos)`` and return ``(value, new_pos)``; see
:mod:`engine.binary.leb128` for why running off ``data`` is an IndexError.
"""

from __future__ import annotations

from ..errors import MalformedError
from ..syntax.types import (
    AbsHeapType,
    ArrayType,
    FieldType,
    FuncType,
    GlobalType,
    Limits,
    MemType,
    NumType,
    PackedType,
    RecType,
    RefType,
    StructType,
    SubType,
    TableType,
    TagType,
    VecType,
)
from . import messages as msg
from .leb128 import s33, u32, u64
from .proposals import LIMITS_FLAG_NEEDS, needs_message

#: Heap types that have a one-byte encoding.
ABS_HEAP: dict[int, AbsHeapType] = {h.value: h for h in AbsHeapType if h.value < 0x100}

#: shared-everything-threads: ``0x65 ht`` is ``(shared ht)`` for an abstract
#: heap type, in heap type and value type positions (the value type is the
#: nullable shorthand), and ``0x65 comptype`` a shared composite type.
SHARED = 0x65

#: Value types that are a single byte: numbers, vectors and the nullable
#: abstract reference shorthands (``funcref`` is 0x70, ...).
VALTYPE_BYTE: dict[int, object] = {t.value: t for t in NumType}
VALTYPE_BYTE.update({t.value: t for t in VecType})
VALTYPE_BYTE.update({b: RefType(True, h) for b, h in ABS_HEAP.items()})

_PACKED = {t.value: t for t in PackedType}

REF_NULL = 0x63  # (ref null ht)
REF = 0x64  # (ref ht)
EXACT = 0x62  # custom descriptors: (exact ht) inside a reference type

# Type definition forms.
REC = 0x4E
SUB = 0x50
SUB_FINAL = 0x4F
DESCRIBES = 0x4C
DESCRIPTOR = 0x4D
ARRAY = 0x5E
STRUCT = 0x5F
FUNC = 0x60


def _shared_abs(data: bytes, pos: int, message: str) -> tuple[AbsHeapType, int]:
    """``(shared ht)``: the abstract heap type after the 0x65 at ``pos``."""
    h = ABS_HEAP.get(data[pos + 1])
    if h is None:
        raise MalformedError(message)
    return h.as_shared, pos + 2


def heaptype(data: bytes, pos: int) -> tuple[object, int]:
    """An abstract heap type (one byte, or ``0x65`` and one byte for a
    shared one) or a type index (non-negative s33)."""
    b = data[pos]
    h = ABS_HEAP.get(b)
    if h is not None:
        return h, pos + 1
    if b == SHARED:
        return _shared_abs(data, pos, msg.HEAPTYPE)
    index, pos = s33(data, pos)
    if index < 0:
        raise MalformedError(msg.HEAPTYPE)
    return index, pos


def reftype_after(data: bytes, pos: int, nullable: bool) -> tuple[RefType, int]:
    """The heap type following a 0x63/0x64 prefix, optionally marked exact."""
    if data[pos] == EXACT:
        ht, pos = heaptype(data, pos + 1)
        return RefType(nullable, ht, True), pos
    ht, pos = heaptype(data, pos)
    return RefType(nullable, ht), pos


def reftype(data: bytes, pos: int) -> tuple[RefType, int]:
    """A reference type: a shorthand byte or ``0x63/0x64 heaptype``."""
    b = data[pos]
    if b == REF_NULL or b == REF:
        return reftype_after(data, pos + 1, b == REF_NULL)
    h = ABS_HEAP.get(b)
    if h is None:
        if b == SHARED:
            h, pos = _shared_abs(data, pos, msg.REFTYPE)
            return RefType(True, h), pos
        raise MalformedError(msg.REFTYPE)
    return VALTYPE_BYTE[b], pos + 1


def valtype(data: bytes, pos: int) -> tuple[object, int]:
    """A value type."""
    b = data[pos]
    t = VALTYPE_BYTE.get(b)
    if t is not None:
        return t, pos + 1
    if b == REF_NULL or b == REF:
        return reftype_after(data, pos + 1, b == REF_NULL)
    if b == SHARED:
        h, pos = _shared_abs(data, pos, msg.VALTYPE)
        return RefType(True, h), pos
    raise MalformedError(msg.VALTYPE)


def count(data: bytes, pos: int) -> tuple[int, int]:
    """The length of a vector whose elements take at least one byte each.

    A length that cannot fit in the bytes left fails here, before anything
    is allocated for it.
    """
    n, pos = u32(data, pos)
    if n > len(data) - pos:
        raise MalformedError(msg.UNEXPECTED_END_SECTION)
    return n, pos


def resulttype(data: bytes, pos: int) -> tuple[tuple, int]:
    """A vector of value types."""
    n, pos = count(data, pos)
    types = []
    for _ in range(n):
        t, pos = valtype(data, pos)
        types.append(t)
    return tuple(types), pos


def mutability(data: bytes, pos: int) -> tuple[bool, int]:
    """0x00 (constant) or 0x01 (mutable)."""
    b = data[pos]
    if b > 1:
        raise MalformedError(msg.MUTABILITY)
    return b == 1, pos + 1


def fieldtype(data: bytes, pos: int) -> tuple[FieldType, int]:
    """A storage type (value or packed type) and its mutability."""
    b = data[pos]
    storage = _PACKED.get(b)
    if storage is not None:
        pos += 1
    elif b in VALTYPE_BYTE or b == REF_NULL or b == REF or b == SHARED:
        storage, pos = valtype(data, pos)
    else:
        raise MalformedError(msg.STORAGE_TYPE)
    mutable, pos = mutability(data, pos)
    return FieldType(storage, mutable), pos


def comptype(data: bytes, pos: int) -> tuple[object, int]:
    """A function, struct or array type, ``0x65``-prefixed when shared."""
    form = data[pos]
    pos += 1
    shared = form == SHARED
    if shared:
        form = data[pos]
        pos += 1
    if form == FUNC:
        params, pos = resulttype(data, pos)
        results, pos = resulttype(data, pos)
        return FuncType(params, results, shared), pos
    if form == STRUCT:
        n, pos = count(data, pos)
        fields = []
        for _ in range(n):
            f, pos = fieldtype(data, pos)
            fields.append(f)
        return StructType(tuple(fields), shared), pos
    if form == ARRAY:
        f, pos = fieldtype(data, pos)
        return ArrayType(f, shared), pos
    raise MalformedError(msg.TYPE_FORM)


def subtype(data: bytes, pos: int) -> tuple[SubType, int]:
    """``sub``/``sub final`` with supertypes, or a bare composite type
    (final, no supertypes); the custom-descriptors ``describes`` and
    ``descriptor`` clauses, in that order, precede the composite type."""
    form = data[pos]
    final = True
    supers: tuple[int, ...] = ()
    if form == SUB or form == SUB_FINAL:
        final = form == SUB_FINAL
        n, pos = count(data, pos + 1)
        indices = []
        for _ in range(n):
            x, pos = u32(data, pos)
            indices.append(x)
        supers = tuple(indices)
    describes = descriptor = None
    if data[pos] == DESCRIBES:
        describes, pos = u32(data, pos + 1)
    if data[pos] == DESCRIPTOR:
        descriptor, pos = u32(data, pos + 1)
    comp, pos = comptype(data, pos)
    return SubType(final, supers, comp, describes, descriptor), pos


def rectype(data: bytes, pos: int) -> tuple[RecType, int]:
    """A recursion group: ``0x4E`` and a vector of subtypes, or one subtype."""
    if data[pos] == REC:
        n, pos = u32(data, pos + 1)
        if n > len(data) - pos:
            raise MalformedError(msg.UNEXPECTED_END_SECTION)
        subs = []
        for _ in range(n):
            st, pos = subtype(data, pos)
            subs.append(st)
        return RecType(tuple(subs)), pos
    st, pos = subtype(data, pos)
    return RecType((st,)), pos


# Limits flags: bit 0 a maximum follows, bit 1 shared (threads; for tables
# shared-everything-threads), bit 2 64-bit addresses (memory64/table64), bit 3
# a page size follows (custom page sizes).
HAS_MAX, SHARED_FLAG, ADDR64, PAGE_SIZE = 1, 2, 4, 8
#: The limits flags the full format allows for memories and for tables.
MEMORY_FLAGS = HAS_MAX | SHARED_FLAG | ADDR64 | PAGE_SIZE
TABLE_FLAGS = HAS_MAX | SHARED_FLAG | ADDR64


def _limits(data: bytes, pos: int, allowed: int, full: int) -> tuple[int, Limits, int]:
    flags = data[pos]
    if flags & ~allowed:
        raise MalformedError(_limits_message(flags & ~allowed, full))
    pos += 1
    # Bounds are u64 in the binary format even for 32-bit addresses (the
    # validator checks that they fit their address type); before memory64
    # (the 64-bit flag not allowed) they were u32, larger ones malformed.
    bound = u64 if allowed & ADDR64 else u32
    minimum, pos = bound(data, pos)
    maximum = None
    if flags & HAS_MAX:
        maximum, pos = bound(data, pos)
    return flags, Limits(minimum, maximum), pos


def _limits_message(bad: int, full: int) -> str:
    # Bits that the full format knows were left out by the feature set.
    if bad & ~full == 0 and bad in LIMITS_FLAG_NEEDS:
        flag = {SHARED_FLAG: "the shared flag", ADDR64: "the 64-bit address flag",
                PAGE_SIZE: "the page size flag"}[bad]
        return needs_message(msg.LIMITS, LIMITS_FLAG_NEEDS[bad], flag)
    return msg.LIMITS


def memtype(data: bytes, pos: int, allowed: int = MEMORY_FLAGS) -> tuple[MemType, int]:
    """Limits flags, bounds and, with flag bit 3, the log2 of the page size;
    flags outside ``allowed`` are malformed."""
    flags, limits, pos = _limits(data, pos, allowed, MEMORY_FLAGS)
    page_size_log2 = 16
    if flags & PAGE_SIZE:
        page_size_log2, pos = u32(data, pos)
        # The validator decides which sizes are allowed; a size that does not
        # even fit in 64 bits is not a page size at all.
        if page_size_log2 >= 64:
            raise MalformedError(msg.PAGE_SIZE)
    return MemType(limits, bool(flags & SHARED_FLAG), bool(flags & ADDR64), page_size_log2), pos


def tabletype(data: bytes, pos: int, allowed: int = TABLE_FLAGS) -> tuple[TableType, int]:
    """Element reference type, then limits (flags outside ``allowed`` are
    malformed)."""
    elem, pos = reftype(data, pos)
    flags, limits, pos = _limits(data, pos, allowed, TABLE_FLAGS)
    return TableType(limits, elem, bool(flags & ADDR64), bool(flags & SHARED_FLAG)), pos


def globaltype(data: bytes, pos: int) -> tuple[GlobalType, int]:
    """Value type, then the flags byte: bit 0 mutable, bit 1 shared
    (shared-everything-threads)."""
    t, pos = valtype(data, pos)
    b = data[pos]
    if b > 3:
        raise MalformedError(msg.MUTABILITY)
    return GlobalType(t, bool(b & 1), bool(b & 2)), pos + 1


def tagtype(data: bytes, pos: int) -> tuple[TagType, int]:
    """The attribute byte 0x00 (exception), then a type index."""
    if data[pos] != 0:
        raise MalformedError(msg.TAG_ATTRIBUTE)
    x, pos = u32(data, pos + 1)
    return TagType(x), pos
