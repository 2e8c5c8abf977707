"""Types of WebAssembly 3.0 and the proposals beyond it, as the decoder produces them.

Value types are small immutable objects compared by value:

* numeric and vector types are members of :class:`NumType` and :class:`VecType`;
* reference types are :class:`RefType` instances whose heap type is either an
  :class:`AbsHeapType` member or a type index (``int``) into the module's
  flattened type list (after validation the runtime resolves indices to
  canonical :class:`DefType` objects for cross-module comparisons).

Composite types (function, struct, array) live inside :class:`SubType` entries
grouped by :class:`RecType`, exactly as the binary format groups them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Optional, Union

from ..errors import Managed


class NumType(Managed, enum.Enum):
    """The scalar number types; values are their binary encodings."""

    I32 = 0x7F
    I64 = 0x7E
    F32 = 0x7D
    F64 = 0x7C

    def __repr__(self) -> str:
        return self.name.lower()

    __str__ = __repr__


class VecType(Managed, enum.Enum):
    """The vector types; values are their binary encodings."""

    V128 = 0x7B

    def __repr__(self) -> str:
        return self.name.lower()

    __str__ = __repr__


class PackedType(enum.Enum):
    """Packed storage types of struct and array fields."""

    I8 = 0x78
    I16 = 0x77

    def __repr__(self) -> str:
        return self.name.lower()

    __str__ = __repr__

    @property
    def bits(self) -> int:
        return 8 if self is PackedType.I8 else 16


class AbsHeapType(enum.Enum):
    """Abstract heap types; values are their binary encodings.

    The shared-everything-threads proposal's ``(shared ht)`` forms are the
    members ``SHARED_*``, whose values are their two-byte encodings
    (``0x65`` then the byte of ``ht``): a separate hierarchy, never a
    subtype or supertype of the unshared one.
    """

    EXN = 0x69
    ARRAY = 0x6A
    STRUCT = 0x6B
    I31 = 0x6C
    EQ = 0x6D
    ANY = 0x6E
    EXTERN = 0x6F
    FUNC = 0x70
    NONE = 0x71
    NOEXTERN = 0x72
    NOFUNC = 0x73
    NOEXN = 0x74

    # shared-everything-threads: (shared ht) = 0x65 ht
    SHARED_EXN = 0x6569
    SHARED_ARRAY = 0x656A
    SHARED_STRUCT = 0x656B
    SHARED_I31 = 0x656C
    SHARED_EQ = 0x656D
    SHARED_ANY = 0x656E
    SHARED_EXTERN = 0x656F
    SHARED_FUNC = 0x6570
    SHARED_NONE = 0x6571
    SHARED_NOEXTERN = 0x6572
    SHARED_NOFUNC = 0x6573
    SHARED_NOEXN = 0x6574

    @property
    def shared(self) -> bool:
        """Whether this is a ``(shared ht)`` type."""
        return self.value > 0xFF

    @property
    def unshared(self) -> "AbsHeapType":
        """The unshared type of the same name (itself if unshared)."""
        return _UNSHARED[self]

    @property
    def as_shared(self) -> "AbsHeapType":
        """``(shared ht)`` (itself if already shared)."""
        return _SHARED[self]

    def __repr__(self) -> str:
        if self.value > 0xFF:
            return f"(shared {self.name[7:].lower()})"
        return self.name.lower()

    __str__ = __repr__


# Each SHARED_* member and its unshared twin (a type without a shared form,
# if another proposal adds one, has no entry in _SHARED).
_UNSHARED: dict[AbsHeapType, AbsHeapType] = {h: h for h in AbsHeapType}
_SHARED: dict[AbsHeapType, AbsHeapType] = {}
for _h in AbsHeapType:
    if _h.value > 0xFF:
        _UNSHARED[_h] = AbsHeapType(_h.value & 0xFF)
        _SHARED[_h] = _SHARED[_UNSHARED[_h]] = _h
del _h


#: A heap type: abstract, or a (module-relative) type index, or after
#: canonicalisation an engine.valid.canon.DefType (typed ``object`` here, so
#: that the syntax layer does not depend on the validator).
HeapType = Union[AbsHeapType, int, object]


@dataclass(frozen=True, slots=True)
class RefType(Managed):
    """``(ref null? ht)``; ``exact`` is the custom-descriptors ``(exact ht)`` form."""

    nullable: bool
    heap: HeapType
    exact: bool = False

    def __repr__(self) -> str:
        heap = repr(self.heap)
        if self.exact:
            heap = f"(exact {heap})"
        return f"(ref {'null ' if self.nullable else ''}{heap})"

    __str__ = __repr__


ValType = Union[NumType, VecType, RefType]
StorageType = Union[NumType, VecType, RefType, PackedType]

I32, I64, F32, F64 = NumType.I32, NumType.I64, NumType.F32, NumType.F64
V128 = VecType.V128

FUNCREF = RefType(True, AbsHeapType.FUNC)
EXTERNREF = RefType(True, AbsHeapType.EXTERN)
ANYREF = RefType(True, AbsHeapType.ANY)
EQREF = RefType(True, AbsHeapType.EQ)
I31REF = RefType(True, AbsHeapType.I31)
STRUCTREF = RefType(True, AbsHeapType.STRUCT)
ARRAYREF = RefType(True, AbsHeapType.ARRAY)
EXNREF = RefType(True, AbsHeapType.EXN)
NULLREF = RefType(True, AbsHeapType.NONE)
NULLFUNCREF = RefType(True, AbsHeapType.NOFUNC)
NULLEXTERNREF = RefType(True, AbsHeapType.NOEXTERN)
NULLEXNREF = RefType(True, AbsHeapType.NOEXN)


def is_num(t: object) -> bool:
    """True for i32, i64, f32, f64."""
    return isinstance(t, NumType)


def is_ref(t: object) -> bool:
    """True for any reference type."""
    return isinstance(t, RefType)


def is_defaultable(t: ValType) -> bool:
    """Numeric, vector and nullable reference types have a default value."""
    return not isinstance(t, RefType) or t.nullable


# --- composite types -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FuncType(Managed):
    """``(func (param ...) (result ...))``; ``shared`` is the
    shared-everything-threads ``(shared (func ...))`` form."""

    params: tuple[ValType, ...]
    results: tuple[ValType, ...]
    shared: bool = False

    def __repr__(self) -> str:
        text = f"(func {list(self.params)} -> {list(self.results)})"
        return f"(shared {text})" if self.shared else text


@dataclass(frozen=True, slots=True)
class FieldType:
    """A struct or array field: storage type and mutability."""

    storage: StorageType
    mutable: bool


@dataclass(frozen=True, slots=True)
class StructType:
    """``(struct (field ...)*)``; ``shared``: ``(shared (struct ...))``."""

    fields: tuple[FieldType, ...]
    shared: bool = False


@dataclass(frozen=True, slots=True)
class ArrayType:
    """``(array (field ...))``; ``shared``: ``(shared (array ...))``."""

    field: FieldType
    shared: bool = False


CompType = Union[FuncType, StructType, ArrayType]


@dataclass(frozen=True, slots=True)
class SubType:
    """``(sub final? supertype* comptype)``.

    ``supertypes`` are type indices into the module's flattened type list.
    ``describes``/``descriptor`` are the custom-descriptors clauses (type
    indices) and are None without that proposal.
    """

    final: bool
    supertypes: tuple[int, ...]
    comp: CompType
    describes: Optional[int] = None
    descriptor: Optional[int] = None


@dataclass(frozen=True, slots=True)
class RecType:
    """A recursion group of one or more subtypes."""

    subtypes: tuple[SubType, ...]


# --- external types ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Limits:
    """``min`` and optional ``max``, in pages (memories) or elements (tables)."""

    min: int
    max: Optional[int] = None


@dataclass(frozen=True, slots=True)
class MemType(Managed):
    """A memory type. ``addr64`` is memory64; ``page_size_log2`` is 16 unless
    the custom-page-sizes proposal chose another size (0 means 1-byte pages)."""

    limits: Limits
    shared: bool = False
    addr64: bool = False
    page_size_log2: int = 16

    # wasmtime-py's names
    @property
    def is_64(self) -> bool:
        """Whether the memory is indexed by i64 (memory64)."""
        return self.addr64

    @property
    def is_shared(self) -> bool:
        """Whether the memory is shared."""
        return self.shared

    @property
    def page_size(self) -> int:
        """The page size in bytes."""
        return 1 << self.page_size_log2


@dataclass(frozen=True, slots=True)
class TableType(Managed):
    """A table type; ``addr64`` is table64, ``shared`` a shared-everything
    shared table."""

    limits: Limits
    elem: RefType
    addr64: bool = False
    shared: bool = False

    @property
    def element(self) -> RefType:
        """The element type (wasmtime-py's name)."""
        return self.elem


@dataclass(frozen=True, slots=True)
class GlobalType(Managed):
    """A global's value type and mutability; ``shared`` a shared-everything
    shared global."""

    valtype: ValType
    mutable: bool
    shared: bool = False

    @property
    def content(self) -> ValType:
        """The value type (wasmtime-py's name)."""
        return self.valtype


@dataclass(frozen=True, slots=True)
class TagType:
    """A tag's type: the index of a function type (its params are the payload)."""

    typeidx: int


class ExternKind(enum.IntEnum):
    """Kinds of imports and exports; values are their binary encodings."""

    FUNC = 0
    TABLE = 1
    MEMORY = 2
    GLOBAL = 3
    TAG = 4
