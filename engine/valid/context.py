"""The validation context and the module summary the validator returns.

:class:`ModuleInfo` is both: while a module validates it is the context ``C``
of the specification (every index space with resolved types), and afterwards
it is what the runtime and the translator read instead of recomputing types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from ..errors import InvalidError
from ..syntax.types import (
    AbsHeapType,
    ExternKind,
    FuncType,
    GlobalType,
    MemType,
    NumType,
    RefType,
    TableType,
    VecType,
)
from .canon import DefType
from .subtyping import TagDesc

#: The resolved type of an import or export (see subtyping.extern_sub).
ExternType = Union[DefType, TableType, MemType, GlobalType, TagDesc]


@dataclass(slots=True, eq=False)
class FuncInfo:
    """A defined function: its canonical type and its resolved locals."""

    type: DefType
    params: tuple
    results: tuple
    locals: tuple  # declared locals only (parameters excluded), resolved


@dataclass(slots=True, eq=False)
class ModuleInfo:
    """Everything validation learned about a module, with resolved types.

    Every list is indexed by the module's index space of that kind (imports
    first). Resolved means reference types carry canonical
    :class:`~engine.valid.canon.DefType` heap types, never type indices.
    """

    types: list[DefType] = field(default_factory=list)
    funcs: list[DefType] = field(default_factory=list)
    tables: list[TableType] = field(default_factory=list)
    mems: list[MemType] = field(default_factory=list)
    globals: list[GlobalType] = field(default_factory=list)
    tags: list[DefType] = field(default_factory=list)
    elems: list[RefType] = field(default_factory=list)
    n_datas: int = 0
    refs: frozenset = frozenset()
    #: Functions imported without ``exact`` (custom descriptors): a
    #: reference to one of them is not known to have exactly its type.
    inexact_funcs: frozenset = frozenset()
    imports: list[ExternType] = field(default_factory=list)
    exports: dict[str, tuple[ExternKind, int]] = field(default_factory=dict)
    code: list[FuncInfo] = field(default_factory=list)
    n_imported_funcs: int = 0
    n_imported_tables: int = 0
    n_imported_mems: int = 0
    n_imported_globals: int = 0
    n_imported_tags: int = 0

    @property
    def deftypes(self) -> list[DefType]:
        """The canonical DefType of every type index (same as ``types``)."""
        return self.types

    def func_type(self, funcidx: int) -> FuncType:
        """The resolved function type of a function index."""
        return self.funcs[funcidx].comp

    def extern_type(self, kind: ExternKind, index: int) -> ExternType:
        """The resolved external type of an item (for exports)."""
        if kind == ExternKind.FUNC:
            return self.funcs[index]
        if kind == ExternKind.TABLE:
            return self.tables[index]
        if kind == ExternKind.MEMORY:
            return self.mems[index]
        if kind == ExternKind.GLOBAL:
            return self.globals[index]
        return TagDesc(self.tags[index])


_PLAIN = (NumType, VecType)


class Resolver:
    """Turns module-relative types into resolved ones, with a cache."""

    __slots__ = ("types", "_cache")

    def __init__(self, types: list[DefType]):
        self.types = types
        self._cache: dict = {}

    def deftype(self, x: object) -> DefType:
        types = self.types
        if type(x) is not int or not 0 <= x < len(types):
            raise InvalidError(f"unknown type {x}")
        return types[x]

    def functype(self, x: object) -> DefType:
        dt = self.deftype(x)
        if type(dt.comp) is not FuncType:
            raise InvalidError(f"type mismatch: type {x} is not a function type")
        return dt

    def heap(self, h: object) -> object:
        if type(h) is AbsHeapType:
            return h
        if type(h) is DefType:
            return h
        return self.deftype(h)

    def ref(self, t: RefType) -> RefType:
        if type(t) is not RefType:
            raise InvalidError(f"malformed reference type {t!r}")
        h = t.heap
        if type(h) is AbsHeapType or type(h) is DefType:
            return t
        got = self._cache.get(t)
        if got is None:
            got = self._cache[t] = RefType(t.nullable, self.deftype(h), t.exact)
        return got

    def val(self, t: object) -> object:
        if type(t) in _PLAIN:
            return t
        if type(t) is RefType:
            return self.ref(t)  # type: ignore[arg-type]
        raise InvalidError(f"malformed value type {t!r}")

    def vals(self, ts: tuple) -> tuple:
        return tuple(self.val(t) for t in ts)


def blocktype(resolver: Resolver, bt: object) -> tuple[tuple, tuple]:
    """The (params, results) of a block type."""
    if bt is None:
        return (), ()
    if type(bt) is int:
        ft = resolver.functype(bt).comp
        return ft.params, ft.results
    return (), (resolver.val(bt),)
