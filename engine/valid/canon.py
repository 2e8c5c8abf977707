"""Iso-recursive type canonicalisation: module type indices -> global DefTypes.

WebAssembly 3.0 compares defined types *iso-recursively*: two type indices
denote the same type when their recursion groups are structurally identical
(references inside a group compared by their position in the group,
references outside it by the identity of the type they denote) and they sit
at the same position in their groups. This module interns every recursion
group it is given in one process-wide table, so that type equivalence
becomes object identity, across every module of the process.

API (used by the validator, the runtime and the linker)
-------------------------------------------------------

``canonicalize(module) -> list[DefType]``
    The canonical :class:`DefType` of every type index of a decoded module,
    in index order. Raises :class:`~engine.errors.InvalidError` when a group
    refers to an unknown type or breaks a subtyping rule ("sub type ...").
    Two modules declaring the same recursion group get the *same* objects.
    Thread-safe; linear in the number of types (each group is hashed once).

``DefType``
    ``comp``: the composite type with every heap type resolved to a DefType
    (a :class:`~engine.syntax.types.FuncType`, ``StructType`` or
    ``ArrayType`` whose :class:`RefType` heaps are DefTypes or abstract heap
    types), so parameters, results and fields compare across modules with
    ``==``. ``kind``: ``AbsHeapType.FUNC``, ``STRUCT`` or ``ARRAY``.
    ``final``: whether it is final. ``supertype``: the declared supertype
    (a DefType) or None. ``supers``: a container of all its supertypes
    including itself, so ``is_subtype(a, b)`` is ``b in a.supers``: a
    frozenset (O(1)) for the usual shallow hierarchies, an ancestry walker
    with skip pointers (O(depth/32 + 32)) beyond 32 levels, so that deep
    chains cost linear, not quadratic, time and memory. ``depth``: the
    number of its proper supertypes.
    ``group``/``index``: its recursion group and position in it.
    ``shared``: whether its composite type is shared (shared-everything
    threads; then ``top``, ``bottom`` and ``abs_above`` are shared too).

``is_subtype(a, b)``
    DefType subtyping (declared, transitive, reflexive).

``func_deftype(params, results, shared=False)``
    The canonical DefType of a final function type without supertypes over
    already resolved value types (host functions, embedder-built types).

``canonicalize_group(defs, start, rec)``
    One recursion group at a time, for callers that build types piecewise.

``DefType.descriptor`` / ``DefType.describes`` are the custom-descriptors
clauses (DefTypes of the same group, or None).

Everything else about matching lives in :mod:`engine.valid.subtyping`.
"""

from __future__ import annotations

import threading
import weakref
from typing import Optional, Sequence

from ..errors import InvalidError
from ..syntax.types import (
    AbsHeapType,
    ArrayType,
    FieldType,
    FuncType,
    NumType,
    PackedType,
    RecType,
    RefType,
    StructType,
    SubType,
    VecType,
)

_FUNC, _STRUCT, _ARRAY = AbsHeapType.FUNC, AbsHeapType.STRUCT, AbsHeapType.ARRAY
_EQ, _ANY = AbsHeapType.EQ, AbsHeapType.ANY

#: The abstract heap types above a defined type of each kind.
_ABS_ABOVE = {
    _FUNC: frozenset({_FUNC}),
    _STRUCT: frozenset({_STRUCT, _EQ, _ANY}),
    _ARRAY: frozenset({_ARRAY, _EQ, _ANY}),
}
#: The same for a shared defined type (shared-everything-threads).
_SHARED_ABS_ABOVE = {kind: frozenset(h.as_shared for h in above) for kind, above in _ABS_ABOVE.items()
                     if kind in (_FUNC, _STRUCT, _ARRAY)}
_BOTTOM = {_FUNC: AbsHeapType.NOFUNC, _STRUCT: AbsHeapType.NONE, _ARRAY: AbsHeapType.NONE}
_TOP = {_FUNC: _FUNC, _STRUCT: _ANY, _ARRAY: _ANY}


class DefType:
    """A canonical defined type; identity is type equivalence.

    See the module docstring for the attributes.
    """

    __slots__ = (
        "group",
        "index",
        "final",
        "supertype",
        "comp",
        "kind",
        "supers",
        "depth",
        "jump",
        "abs_above",
        "bottom",
        "top",
        "describes",
        "descriptor",
        "shared",
        "__weakref__",
    )

    def __init__(self, group: "RecGroup", index: int):
        self.group = group
        self.index = index
        self.final = True
        self.supertype: Optional[DefType] = None
        self.comp = None
        self.kind: AbsHeapType = _FUNC
        self.supers: frozenset = frozenset()
        self.depth = 0
        self.jump: Optional[DefType] = None
        self.abs_above: frozenset = frozenset()
        self.bottom: AbsHeapType = AbsHeapType.NOFUNC
        self.top: AbsHeapType = _FUNC
        self.describes: Optional[DefType] = None
        self.descriptor: Optional[DefType] = None
        self.shared = False  # a shared composite type (shared-everything-threads)

    @property
    def func(self) -> FuncType:
        """The resolved function type; InvalidError if this is not one."""
        comp = self.comp
        if type(comp) is not FuncType:
            raise InvalidError("type mismatch: not a function type")
        return comp

    def __repr__(self) -> str:
        return f"<deftype {self.index}/{len(self.group.types)} {self.comp!r}>"


#: Depth from which supertypes are walked instead of copied into a set.
_SHALLOW = 32


class _DeepAncestry:
    """``in`` for the supertypes of a type deeper than ``_SHALLOW``: walks up
    by skip pointers (each ``_SHALLOW`` levels) and then single steps."""

    __slots__ = ("start",)

    def __init__(self, start: DefType):
        self.start = start

    def __contains__(self, other: object) -> bool:
        if type(other) is not DefType:
            return False
        dt = self.start
        diff = dt.depth - other.depth  # type: ignore[union-attr]
        if diff < 0:
            return False
        while diff >= _SHALLOW and dt.jump is not None:
            dt = dt.jump
            diff -= _SHALLOW
        while diff > 0:
            dt = dt.supertype  # type: ignore[assignment]
            diff -= 1
        return dt is other

    def __iter__(self):
        dt: Optional[DefType] = self.start
        while dt is not None:
            yield dt
            dt = dt.supertype


def _link_ancestry(dt: DefType) -> None:
    """Set depth, skip pointer and the supertype container of ``dt`` whose
    ``supertype`` is already linked."""
    sup = dt.supertype
    assert sup is not None
    dt.depth = sup.depth + 1
    if dt.depth < _SHALLOW:
        dt.supers = sup.supers | {dt}
        return
    up = dt
    for _ in range(_SHALLOW):
        up = up.supertype  # type: ignore[assignment]
    dt.jump = up
    dt.supers = _DeepAncestry(dt)  # type: ignore[assignment]


class RecGroup:
    """A canonical recursion group: its DefTypes in order."""

    __slots__ = ("types", "key", "__weakref__")

    def __init__(self, key: tuple):
        self.key = key
        self.types: tuple[DefType, ...] = ()


def is_subtype(a: DefType, b: DefType) -> bool:
    """Declared subtyping between canonical defined types (O(1))."""
    return b in a.supers


# Groups stay interned while any module still refers to their types.
_GROUPS: "weakref.WeakValueDictionary[tuple, RecGroup]" = weakref.WeakValueDictionary()
_LOCK = threading.Lock()


class _Keyer:
    """Builds the structural key of one recursion group.

    References into the group become their relative position (an ``int``);
    references before it become the already canonical DefType.
    """

    __slots__ = ("defs", "start", "end")

    def __init__(self, defs: Sequence[DefType], start: int, end: int):
        self.defs = defs
        self.start = start
        self.end = end

    def idx(self, x: object) -> object:
        if type(x) is not int or x < 0 or x >= self.end:
            raise InvalidError(f"unknown type {x}")
        if x >= self.start:
            return x - self.start
        return self.defs[x]

    def storage(self, t: object) -> object:
        if type(t) is RefType:
            heap = t.heap
            if type(heap) is not AbsHeapType:
                heap = self.idx(heap)
            return ("ref", t.nullable, t.exact, heap)
        if type(t) in (NumType, VecType, PackedType):
            return t
        raise InvalidError(f"malformed value type {t!r}")

    def comp(self, c: object) -> tuple:
        """The key of a composite type; its last element is whether it is
        shared."""
        st = self.storage
        if type(c) is FuncType:
            return ("func", tuple(map(st, c.params)), tuple(map(st, c.results)), c.shared)
        if type(c) is StructType:
            return ("struct", tuple((st(f.storage), f.mutable) for f in c.fields), c.shared)
        if type(c) is ArrayType:
            return ("array", st(c.field.storage), c.field.mutable, c.shared)
        raise InvalidError(f"malformed composite type {c!r}")

    def sub(self, s: SubType) -> tuple:
        if len(s.supertypes) > 1:
            raise InvalidError("sub type: multiple supertypes")
        return (
            bool(s.final),
            tuple(self.idx(x) for x in s.supertypes),
            self.comp(s.comp),
            self.clause(s.describes, "described"),
            self.clause(s.descriptor, "descriptor"),
        )

    def clause(self, x: object, what: str) -> Optional[int]:
        """A custom-descriptors clause: it must name a type of the group."""
        if x is None:
            return None
        if type(x) is not int or not self.start <= x < self.end:
            raise InvalidError(f"{what} type is outside rec group")
        return x - self.start


def _resolve_storage(t: object, group: tuple[DefType, ...]) -> object:
    if type(t) is tuple:  # ("ref", nullable, exact, heap)
        heap = t[3]
        if type(heap) is int:
            heap = group[heap]
        return RefType(t[1], heap, t[2])
    return t


def _build(key: tuple) -> RecGroup:
    """Materialise and check a group that is not interned yet."""
    group = RecGroup(key)
    types = tuple(DefType(group, i) for i in range(len(key)))
    group.types = types

    def res(t: object) -> object:
        return _resolve_storage(t, types)

    def deref(x: object) -> Optional[DefType]:
        if x is None:
            return None
        return types[x] if type(x) is int else x  # type: ignore[return-value]

    for i, (final, supers, comp, describes, descriptor) in enumerate(key):
        dt = types[i]
        dt.final = final
        tag, shared = comp[0], comp[-1]
        if tag == "func":
            dt.comp = FuncType(tuple(map(res, comp[1])), tuple(map(res, comp[2])), shared)
            dt.kind = _FUNC
        elif tag == "struct":
            dt.comp = StructType(tuple(FieldType(res(z), m) for z, m in comp[1]), shared)
            dt.kind = _STRUCT
        else:
            dt.comp = ArrayType(FieldType(res(comp[1]), comp[2]), shared)
            dt.kind = _ARRAY
        dt.shared = shared
        if shared:
            dt.abs_above = _SHARED_ABS_ABOVE[dt.kind]
            dt.bottom = _BOTTOM[dt.kind].as_shared
            dt.top = _TOP[dt.kind].as_shared
        else:
            dt.abs_above = _ABS_ABOVE[dt.kind]
            dt.bottom = _BOTTOM[dt.kind]
            dt.top = _TOP[dt.kind]
        dt.describes = deref(describes)
        dt.descriptor = deref(descriptor)
        if supers:
            sup = supers[0]
            if type(sup) is int and sup >= i:
                # A supertype must be defined before its subtypes.
                raise InvalidError(f"unknown type: forward supertype {sup}")
            dt.supertype = deref(sup)
            _link_ancestry(dt)
        else:
            dt.supers = frozenset((dt,))

    _check_descriptor_clauses(types, key)

    # Field and signature matching may involve any type of the group, so it
    # runs only once every type's supertype chain is known.
    from .subtyping import comp_sub  # cyclic by nature: matching needs DefType

    for i, dt in enumerate(types):
        sup = dt.supertype
        if sup is None:
            continue
        if sup.final:
            raise _SubTypeMismatch(i, "its supertype is final")
        if sup.kind is not dt.kind or not comp_sub(dt.comp, sup.comp):
            raise _SubTypeMismatch(i, "")
        _check_descriptor_subtyping(types, i, dt, sup)
    return group


def _check_descriptor_clauses(types: tuple[DefType, ...], key: tuple) -> None:
    """The custom-descriptors rules on one type's own clauses: a described
    type comes earlier in the group, both sides are structs, and each side
    names the other."""
    for i, dt in enumerate(types):
        describes, descriptor = key[i][3], key[i][4]
        if describes is not None:
            if describes >= i:
                raise InvalidError("forward use of described type")
            if dt.kind is not _STRUCT:
                raise InvalidError("described type must be a struct")
            if types[describes].descriptor is not dt:
                raise InvalidError("described type is not described by descriptor")
        if descriptor is not None:
            if dt.kind is not _STRUCT:
                raise InvalidError("descriptor type must be a struct")
            if types[descriptor].describes is not dt:
                raise InvalidError("type is not described by its descriptor")


def _check_descriptor_subtyping(types: tuple[DefType, ...], i: int, dt: DefType, sup: DefType) -> None:
    """A subtype keeps its supertype's descriptor and described type, each
    refined to a subtype."""
    if sup.descriptor is not None:
        if dt.descriptor is None:
            raise _SubTypeMismatch(i, "the supertype has a descriptor")
        if sup.descriptor not in dt.descriptor.supers:
            raise _PositionalError("descriptor type {} does not match", dt.descriptor)
    if dt.describes is not None:
        if sup.describes is None:
            raise _SubTypeMismatch(i, "the supertype describes no type")
        if sup.describes not in dt.describes.supers:
            raise _PositionalError("described type {} does not match", dt.describes)
    elif sup.describes is not None:
        raise _SubTypeMismatch(i, "the supertype describes a type")


class _PositionalError(InvalidError):
    """An error naming a type of the group being built; re-raised with its
    module index once the group's position is known."""

    def __init__(self, template: str, subject: DefType):
        super().__init__(template)
        self.template = template
        self.subject = subject


class _SubTypeMismatch(InvalidError):
    """Raised while building a group; re-raised with module indices."""

    def __init__(self, position: int, detail: str):
        super().__init__(detail)
        self.position = position
        self.detail = detail


def canonicalize_group(defs: Sequence[DefType], start: int, rec: RecType) -> tuple[DefType, ...]:
    """Canonical DefTypes of one recursion group whose first index is
    ``start``; ``defs`` holds the canonical types of the indices before it."""
    keyer = _Keyer(defs, start, start + len(rec.subtypes))
    key = tuple(keyer.sub(s) for s in rec.subtypes)
    group = _GROUPS.get(key)
    if group is not None:
        return group.types
    try:
        group = _build(key)
    except _SubTypeMismatch as exc:
        x = start + exc.position
        sup = rec.subtypes[exc.position].supertypes[0]
        detail = f": {exc.detail}" if exc.detail else ""
        raise InvalidError(f"sub type {x} does not match super type {sup}{detail}") from None
    except _PositionalError as exc:
        subject = exc.subject
        x = start + subject.index if subject.group.key is key else defs.index(subject)
        raise InvalidError(exc.template.format(x)) from None
    with _LOCK:
        existing = _GROUPS.get(key)
        if existing is not None:
            return existing.types
        _GROUPS[key] = group
    return group.types


def canonicalize(module) -> list[DefType]:
    """The canonical DefType of every type index of ``module`` (see the
    module docstring)."""
    defs: list[DefType] = []
    groups = module.rec_groups
    if not groups and module.types:
        # A module built by hand may list only the flattened types: each
        # then forms a group of its own.
        groups = [(i, RecType((s,))) for i, s in enumerate(module.types)]
    for start, rec in groups:
        if start != len(defs):
            raise InvalidError("malformed type section: recursion groups out of order")
        defs.extend(canonicalize_group(defs, start, rec))
    if len(defs) != len(module.types):
        raise InvalidError("malformed type section: groups do not cover the types")
    return defs


def func_deftype(params: Sequence, results: Sequence, shared: bool = False) -> DefType:
    """The canonical DefType of a final function type without supertypes whose
    parameters and results are already resolved (for host functions);
    ``shared``: a shared function type (shared-everything-threads)."""

    def key_of(t: object) -> object:
        if type(t) is RefType:
            heap = t.heap
            if type(heap) is int:
                raise InvalidError("host function types must use resolved heap types")
            return ("ref", t.nullable, t.exact, heap)
        return t

    key = ((True, (), ("func", tuple(map(key_of, params)), tuple(map(key_of, results)), bool(shared)),
            None, None),)
    group = _GROUPS.get(key)
    if group is not None:
        return group.types[0]
    group = _build(key)
    with _LOCK:
        existing = _GROUPS.get(key)
        if existing is not None:
            return existing.types[0]
        _GROUPS[key] = group
    return group.types[0]
