"""Decoding of the module's sections, one reader per section id.

Each reader gets the section's own bytes (so running off them is running off
the section), the position to start at, and the :class:`DecodeState` with
the module being built; it returns the position where it stopped, which the
caller checks against the section's end.

What the readers accept is given by the state's :class:`SectionRules`:
:data:`FULL_RULES` for the full format, or the rules of a restricted
feature set (see :mod:`engine.binary.features`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

from ..errors import MalformedError
from ..syntax.module import (
    CustomSection,
    Data,
    Elem,
    Export,
    Func,
    Global,
    Import,
    Module,
    SegmentMode,
    Table,
)
from ..syntax.opcodes import Op
from ..syntax.types import AbsHeapType, ExternKind, FUNCREF, RefType
from . import messages as msg
from .hints import SECTION_NAME as BRANCH_HINTS, HintReader
from .instructions import FULL_TABLES, ExprTables, decode_expr
from .leb128 import u32
from .proposals import CUSTOM_DESCRIPTORS, DATA_FLAG_NEEDS, ELEM_FLAG_NEEDS, EXCEPTIONS, needs_message
from .locals import LOCALS_PER_CODE_BYTE, MAX_LOCALS, decode_locals
from .types import (
    MEMORY_FLAGS,
    TABLE_FLAGS,
    count,
    globaltype,
    memtype,
    rectype,
    reftype,
    tabletype,
    tagtype,
)


@dataclass(slots=True)
class DecodeState:
    """The module under construction, and what the function section told
    about the code section to come."""

    module: Module = field(default_factory=Module)
    #: type indices of the function section, waiting for their bodies
    func_types: list[int] = field(default_factory=list)
    #: number of functions the function section declared (0 without one)
    declared_funcs: int = 0
    #: what the readers accept
    rules: "SectionRules" = field(default_factory=lambda: FULL_RULES)
    #: whether a broken branch hint section is an error (else it is dropped)
    strict_custom: bool = False
    #: the branch hint section, once one was met
    hints: Optional[HintReader] = None


#: reader(section bytes, pos, state) -> pos after what it read
SectionReader = Callable[[bytes, int, DecodeState], int]

_EXTERN_KINDS = tuple(ExternKind)
_ACTIVE, _PASSIVE, _DECLARATIVE = SegmentMode.ACTIVE, SegmentMode.PASSIVE, SegmentMode.DECLARATIVE

#: Element segments given as function indices hold non-null references
#: (flags 0 to 3); flag 4 lists expressions of type funcref.
_REF_FUNC = RefType(False, AbsHeapType.FUNC)


def name(data: bytes, pos: int) -> tuple[str, int]:
    """A length-prefixed UTF-8 string."""
    raw, pos = byte_vector(data, pos)
    try:
        return raw.decode("utf-8"), pos
    except UnicodeDecodeError:
        # Python's strict codec rejects exactly what the spec's utf8 grammar
        # excludes: overlong forms, surrogates, code points past U+10FFFF,
        # stray or missing continuation bytes.
        raise MalformedError(msg.UTF8) from None


def byte_vector(data: bytes, pos: int) -> tuple[bytes, int]:
    """A length-prefixed run of raw bytes."""
    n, pos = u32(data, pos)
    end = pos + n
    if end > len(data):
        raise MalformedError(msg.LENGTH)
    return data[pos:end], end


def read_custom(data: bytes, pos: int, st: DecodeState, after: int) -> int:
    """A custom section: a name and uninterpreted bytes; ``after`` is the id
    of the last non-custom section before it."""
    module = st.module
    section_name, pos = name(data, pos)
    module.customs.append(CustomSection(section_name, data[pos:], after))
    if section_name == BRANCH_HINTS:
        if st.hints is None:
            st.hints = HintReader(module, st.strict_custom)
        st.hints.read(data[pos:], after in _CODE_OR_LATER)
    return len(data)


#: Section ids that a branch hint section must precede.
_CODE_OR_LATER = frozenset({10, 11})


def _read_types(data: bytes, pos: int, st: DecodeState) -> int:
    module = st.module
    n, pos = count(data, pos)
    types = module.types
    for _ in range(n):
        group, pos = rectype(data, pos)
        module.rec_groups.append((len(types), group))
        types.extend(group.subtypes)
    return pos


#: The custom-descriptors proposal's import kind for a function of exactly
#: the given type.
_EXACT_FUNC = 0x20


def _externtype(data: bytes, pos: int, rules: SectionRules) -> tuple[ExternKind, object, bool, int]:
    """An import's kind and description, and whether it is an exact function."""
    kind = data[pos]
    pos += 1
    if kind == ExternKind.FUNC:
        desc, pos = u32(data, pos)
    elif kind == _EXACT_FUNC and rules.exact_imports:
        desc, pos = u32(data, pos)
        return ExternKind.FUNC, desc, True, pos
    elif kind == ExternKind.TABLE:
        desc, pos = tabletype(data, pos, rules.table_flags)
    elif kind == ExternKind.MEMORY:
        desc, pos = memtype(data, pos, rules.mem_flags)
    elif kind == ExternKind.GLOBAL:
        desc, pos = globaltype(data, pos)
    elif kind == ExternKind.TAG and rules.tags:
        desc, pos = tagtype(data, pos)
    else:
        needs = (EXCEPTIONS if kind == ExternKind.TAG
                 else CUSTOM_DESCRIPTORS if kind == _EXACT_FUNC else None)
        raise MalformedError(needs_message(msg.EXTERN_KIND, needs, "the import kind"))
    return _EXTERN_KINDS[kind], desc, False, pos


# Compact import groups (compact-import-section proposal): after a module
# name and an empty item name, 0x7F introduces a list of (name, externtype)
# items and 0x7E one externtype followed by a list of names.
_COMPACT_ITEMS = 0x7F
_COMPACT_NAMES = 0x7E


def _read_import_group(data: bytes, pos: int, append, rules: SectionRules) -> int:
    module_name, pos = name(data, pos)
    item_name, pos = name(data, pos)
    if item_name == "" and data[pos] == _COMPACT_ITEMS:
        n, pos = count(data, pos + 1)
        for _ in range(n):
            item_name, pos = name(data, pos)
            kind, desc, exact, pos = _externtype(data, pos, rules)
            append(Import(module_name, item_name, kind, desc, exact))
    elif item_name == "" and data[pos] == _COMPACT_NAMES:
        kind, desc, exact, pos = _externtype(data, pos + 1, rules)
        n, pos = count(data, pos)
        for _ in range(n):
            item_name, pos = name(data, pos)
            append(Import(module_name, item_name, kind, desc, exact))
    else:
        kind, desc, exact, pos = _externtype(data, pos, rules)
        append(Import(module_name, item_name, kind, desc, exact))
    return pos


def _read_imports(data: bytes, pos: int, st: DecodeState) -> int:
    # The proposal counts groups; wabt's encoder (wast2json --enable-all)
    # counts imports. Both readings share their first groups, so at most one
    # of them can end exactly at the section's end: accept either.
    n, pos = count(data, pos)
    imports = st.module.imports
    append = imports.append
    rules = st.rules
    groups = 0
    while groups < n:
        if len(imports) == n and pos == len(data):
            break
        pos = _read_import_group(data, pos, append, rules)
        groups += 1
    return pos


def _read_functions(data: bytes, pos: int, st: DecodeState) -> int:
    # Only the type indices are known here; the code section completes the
    # functions.
    n, pos = count(data, pos)
    typeidxs = st.func_types
    for _ in range(n):
        x, pos = u32(data, pos)
        typeidxs.append(x)
    st.declared_funcs = n
    return pos


def _read_tables(data: bytes, pos: int, st: DecodeState) -> int:
    module = st.module
    rules = st.rules
    n, pos = count(data, pos)
    for _ in range(n):
        if data[pos] == 0x40:
            # A table with an explicit initialiser: 0x40 0x00 tabletype expr.
            if not rules.table_init:
                # Before typed function references a table type began with
                # its reference type, and 0x40 is none.
                raise MalformedError(f"{msg.REFTYPE}: table initialisers require function-references")
            if data[pos + 1] != 0x00:
                raise MalformedError(msg.TABLE_INIT)
            tt, pos = tabletype(data, pos + 2, rules.table_flags)
            init, pos = decode_expr(data, pos, True, rules.expr)
            module.tables.append(Table(tt, init))
        else:
            tt, pos = tabletype(data, pos, rules.table_flags)
            module.tables.append(Table(tt))
    return pos


def _read_memories(data: bytes, pos: int, st: DecodeState) -> int:
    module = st.module
    allowed = st.rules.mem_flags
    n, pos = count(data, pos)
    for _ in range(n):
        mt, pos = memtype(data, pos, allowed)
        module.mems.append(mt)
    return pos


def _read_tags(data: bytes, pos: int, st: DecodeState) -> int:
    module = st.module
    n, pos = count(data, pos)
    for _ in range(n):
        tt, pos = tagtype(data, pos)
        module.tags.append(tt)
    return pos


def _read_globals(data: bytes, pos: int, st: DecodeState) -> int:
    module = st.module
    tables = st.rules.expr
    n, pos = count(data, pos)
    for _ in range(n):
        gt, pos = globaltype(data, pos)
        init, pos = decode_expr(data, pos, True, tables)
        module.globals.append(Global(gt, init))
    return pos


def _read_exports(data: bytes, pos: int, st: DecodeState) -> int:
    module = st.module
    last_kind = st.rules.last_export_kind
    n, pos = count(data, pos)
    for _ in range(n):
        export_name, pos = name(data, pos)
        kind = data[pos]
        if kind > last_kind:
            needs = EXCEPTIONS if kind == ExternKind.TAG else None
            raise MalformedError(needs_message(msg.EXPORT_KIND, needs, "the export kind"))
        index, pos = u32(data, pos + 1)
        module.exports.append(Export(export_name, _EXTERN_KINDS[kind], index))
    return pos


def _read_start(data: bytes, pos: int, st: DecodeState) -> int:
    module = st.module
    module.start, pos = u32(data, pos)
    return pos


def _elem_kind(data: bytes, pos: int) -> int:
    if data[pos] != 0x00:
        raise MalformedError(msg.ELEM_KIND)
    return pos + 1


def _func_indices(data: bytes, pos: int) -> tuple[tuple, int]:
    """A vector of function indices, as ``ref.func`` expressions."""
    n, pos = count(data, pos)
    exprs = []
    end = (Op.END,)
    ref_func = Op.REF_FUNC
    for _ in range(n):
        x, pos = u32(data, pos)
        exprs.append(((ref_func, x), end))
    return tuple(exprs), pos


def _expressions(data: bytes, pos: int, tables: ExprTables) -> tuple[tuple, int]:
    n, pos = count(data, pos)
    exprs = []
    for _ in range(n):
        e, pos = decode_expr(data, pos, True, tables)
        exprs.append(e)
    return tuple(exprs), pos


def _read_elems(data: bytes, pos: int, st: DecodeState) -> int:
    module = st.module
    rules = st.rules
    allowed, tables, func_elem = rules.elem_flags, rules.expr, rules.func_elem
    elem_tables = rules.elem_expr
    n, pos = count(data, pos)
    append = module.elems.append
    for _ in range(n):
        flags, pos = u32(data, pos)
        if flags not in allowed:
            needs = ELEM_FLAG_NEEDS.get(flags)
            raise MalformedError(needs_message(msg.SEGMENT_KIND, needs, f"element segment kind {flags}"))
        # bit 0: passive or declarative; bit 1: with bit 0 declarative, else
        # an explicit table index; bit 2: expressions rather than indices.
        table = 0
        offset = None
        if flags & 1:
            mode = _DECLARATIVE if flags & 2 else _PASSIVE
        else:
            mode = _ACTIVE
            if flags & 2:
                table, pos = u32(data, pos)
            offset, pos = decode_expr(data, pos, True, tables)
        if flags & 4:
            if flags & 3:
                rt, pos = reftype(data, pos)
            else:
                rt = FUNCREF
            init, pos = _expressions(data, pos, elem_tables)
        else:
            if flags & 3:
                pos = _elem_kind(data, pos)
            rt = func_elem
            init, pos = _func_indices(data, pos)
        append(Elem(rt, init, mode, table, offset))
    return pos


def _read_data_count(data: bytes, pos: int, st: DecodeState) -> int:
    module = st.module
    module.data_count, pos = u32(data, pos)
    return pos


def _read_code(data: bytes, pos: int, st: DecodeState) -> int:
    module = st.module
    n, pos = count(data, pos)
    typeidxs = st.func_types
    if n != st.declared_funcs:
        raise MalformedError(msg.FUNC_CODE)
    has_data_count = module.data_count is not None
    tables = st.rules.expr
    funcs = module.funcs
    # Locals expand to one entry each: beyond one function at the limit, the
    # module may declare a few per byte of code (see engine.binary.locals).
    budget = MAX_LOCALS + LOCALS_PER_CODE_BYTE * len(data)
    hints = st.hints
    first = len(module.imports_of(ExternKind.FUNC)) if hints is not None else 0
    for i in range(n):
        size, pos = u32(data, pos)
        end = pos + size
        if end > len(data):
            raise MalformedError(msg.LENGTH)
        # The body gets its own bytes, so running off them is running off the
        # body: in the locals an unexpected end, in the code a missing end.
        body = data[pos:end]
        try:
            local_types, p = decode_locals(body, 0, budget)
        except IndexError:
            raise MalformedError(msg.UNEXPECTED_END_SECTION) from None
        # only the bodies of hinted functions note where instructions start
        starts = [] if hints is not None and hints.wants(first + i) else None
        try:
            instrs, p = decode_expr(body, p, has_data_count, tables, starts)
        except IndexError:
            raise MalformedError(msg.END_EXPECTED) from None
        if p != size:
            raise MalformedError(msg.SECTION_SIZE)
        if starts is not None:
            hints.resolve(first + i, starts)
        funcs.append(Func(typeidxs[i], local_types, instrs))
        budget -= len(local_types)
        pos = end
    return pos


def _read_datas(data: bytes, pos: int, st: DecodeState) -> int:
    module = st.module
    rules = st.rules
    allowed, tables = rules.data_flags, rules.expr
    n, pos = count(data, pos)
    append = module.datas.append
    for _ in range(n):
        flags, pos = u32(data, pos)
        if flags not in allowed:
            needs = DATA_FLAG_NEEDS.get(flags)
            raise MalformedError(needs_message(msg.SEGMENT_KIND, needs, f"data segment kind {flags}"))
        if flags == 0:
            offset, pos = decode_expr(data, pos, True, tables)
            init, pos = byte_vector(data, pos)
            append(Data(init, _ACTIVE, 0, offset))
        elif flags == 1:
            init, pos = byte_vector(data, pos)
            append(Data(init, _PASSIVE))
        elif flags == 2:
            memory, pos = u32(data, pos)
            offset, pos = decode_expr(data, pos, True, tables)
            init, pos = byte_vector(data, pos)
            append(Data(init, _ACTIVE, memory, offset))
        else:
            raise MalformedError(msg.SEGMENT_KIND)
    return pos


READERS: dict[int, SectionReader] = {
    1: _read_types,
    2: _read_imports,
    3: _read_functions,
    4: _read_tables,
    5: _read_memories,
    6: _read_globals,
    7: _read_exports,
    8: _read_start,
    9: _read_elems,
    10: _read_code,
    11: _read_datas,
    12: _read_data_count,
    13: _read_tags,
}

#: Where each non-custom section may appear: the tag section sits between
#: memory and global, the data count section between element and code.
ORDER: dict[int, int] = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10,
                         12: 11, 10: 12, 11: 13}


@dataclass(frozen=True, slots=True)
class SectionRules:
    """What the section readers accept. The defaults are the full format;
    :mod:`engine.binary.features` derives the rules of a restricted
    feature set."""

    #: section id -> reader
    readers: dict = field(default_factory=lambda: READERS)
    #: section id -> rank in the section order (absent: not a section)
    order: dict = field(default_factory=lambda: ORDER)
    #: the instruction tables of every expression but element expressions
    expr: ExprTables = FULL_TABLES
    #: the instruction tables of the expressions of element segments
    elem_expr: ExprTables = FULL_TABLES
    #: limits flags allowed for memories and for tables
    mem_flags: int = MEMORY_FLAGS
    table_flags: int = TABLE_FLAGS
    #: whether a table may have an initialiser expression
    table_init: bool = True
    #: whether tags may be imported; the largest export kind
    tags: bool = True
    last_export_kind: int = ExternKind.TAG
    #: whether a function may be imported with an exact type
    exact_imports: bool = True
    #: the segment flags allowed for element and data segments
    elem_flags: frozenset = frozenset(range(8))
    data_flags: frozenset = frozenset(range(3))
    #: the element type of segments given as function indices
    func_elem: RefType = _REF_FUNC


#: The rules of the full format.
FULL_RULES = SectionRules()
