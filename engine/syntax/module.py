"""The structure of a decoded module.

Instructions are flat tuples ``(op, *immediates)`` where ``op`` is an
:class:`~engine.syntax.opcodes.Op` member. Blocks are not nested objects: a
body is the linear instruction sequence of the binary format, with ``BLOCK``,
``LOOP``, ``IF``, ``TRY_TABLE`` (and the legacy ``TRY``) opening, ``ELSE``
(``CATCH``, ``CATCH_ALL``, ``DELEGATE``) separating and ``END`` closing them.
The final ``END`` of a function body or constant expression is included.
See :mod:`engine.syntax.opcodes` for the immediates of each instruction.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Optional, Union

from .types import (
    ExternKind,
    GlobalType,
    MemType,
    RecType,
    RefType,
    SubType,
    TableType,
    TagType,
    ValType,
)

Instr = tuple
Expr = tuple  # tuple[Instr, ...], ending with END


@dataclass(frozen=True, slots=True)
class Import:
    """An import; ``desc`` is a function type index (``int``) for functions,
    else the TableType, MemType, GlobalType or TagType. ``exact`` marks a
    function import of exactly that type (custom-descriptors proposal)."""

    module: str
    name: str
    kind: ExternKind
    desc: Union[int, TableType, MemType, GlobalType, TagType]
    exact: bool = False


@dataclass(frozen=True, slots=True)
class Export:
    """An export of the item ``index`` in the index space of ``kind``."""

    name: str
    kind: ExternKind
    index: int


@dataclass(frozen=True, slots=True)
class Table:
    """A defined table; ``init`` is the initialiser expression (typed
    function references) or None (the element type's null)."""

    type: TableType
    init: Optional[Expr] = None


@dataclass(frozen=True, slots=True)
class Global:
    """A defined global with its constant initialiser expression."""

    type: GlobalType
    init: Expr


class SegmentMode(enum.Enum):
    """How an element or data segment is used."""

    ACTIVE = "active"
    PASSIVE = "passive"
    DECLARATIVE = "declarative"


@dataclass(frozen=True, slots=True)
class Elem:
    """An element segment: reference type and one constant expression per
    element. Active segments name a table and an offset expression."""

    type: RefType
    init: tuple[Expr, ...]
    mode: SegmentMode
    table: int = 0
    offset: Optional[Expr] = None


@dataclass(frozen=True, slots=True)
class Data:
    """A data segment. Active segments name a memory and an offset expression."""

    init: bytes
    mode: SegmentMode
    memory: int = 0
    offset: Optional[Expr] = None


@dataclass(frozen=True, slots=True)
class Func:
    """A defined function: its type index, its declared locals (expanded, one
    entry per local, parameters not included) and its body."""

    typeidx: int
    locals: tuple[ValType, ...]
    body: tuple[Instr, ...]


@dataclass(frozen=True, slots=True)
class CustomSection:
    """A custom section, kept verbatim; ``after`` is the id of the last
    non-custom section before it (0 if none)."""

    name: str
    data: bytes
    after: int = 0


@dataclass(frozen=True, slots=True)
class BranchHint:
    """A hint of the ``metadata.code.branch_hint`` section (the
    branch-hinting proposal): the ``if`` or ``br_if`` that starts ``offset``
    bytes into its function's code entry (counted from the locals
    declaration) is ``body[index]``, and its condition is likely true when
    ``likely`` is set, likely false otherwise."""

    offset: int
    index: int
    likely: bool


@dataclass(slots=True)
class Module:
    """A decoded module.

    ``types`` is the flattened list of subtypes (one per type index);
    ``rec_groups`` lists each recursion group as ``(first index, RecType)``.
    Index spaces (functions, tables, memories, globals, tags) start with the
    imports of their kind; ``funcs``, ``tables``, ... hold only the defined ones.

    ``branch_hints`` maps each hinted function's index to a tuple of
    :class:`BranchHint`, in body order, as the branch hint section gives them. Custom sections never
    make a module malformed or invalid by default, so a hint section that is
    malformed, misplaced or names anything but ``if``/``br_if`` is dropped as
    a whole: ``branch_hints`` is then empty and ``branch_hint_error`` says
    why (see :mod:`engine.binary.hints`).
    """

    types: list[SubType] = field(default_factory=list)
    rec_groups: list[tuple[int, RecType]] = field(default_factory=list)
    imports: list[Import] = field(default_factory=list)
    funcs: list[Func] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    mems: list[MemType] = field(default_factory=list)
    globals: list[Global] = field(default_factory=list)
    tags: list[TagType] = field(default_factory=list)
    exports: list[Export] = field(default_factory=list)
    start: Optional[int] = None
    elems: list[Elem] = field(default_factory=list)
    datas: list[Data] = field(default_factory=list)
    data_count: Optional[int] = None
    customs: list[CustomSection] = field(default_factory=list)
    branch_hints: dict[int, tuple[BranchHint, ...]] = field(default_factory=dict)
    branch_hint_error: Optional[str] = None

    def imports_of(self, kind: ExternKind) -> list[Import]:
        """The imports of one kind, in order."""
        return [imp for imp in self.imports if imp.kind == kind]
