"""The decoder's rules for a restricted feature set.

With every proposal enabled the decoder runs on :data:`FULL_RULES` and pays
nothing for feature switches. A restricted set gets its own
:class:`~engine.binary.sections.SectionRules`, built once per set and
cached: instruction tables without the disabled opcodes, section order and
limits flags without the disabled encodings, and section readers wrapped
with a check of the types the section declared. Whatever a disabled
proposal added to the binary format is then malformed, with the message of
the format before it:

========================  =====================================================
proposal disabled         malformed
========================  =====================================================
any                       its instructions: "illegal opcode" (a prefix all of
                          whose instructions are disabled is itself illegal)
multi-memory              a memory index in a memory argument (the alignment
                          field is a plain u32 again, so the validator sees an
                          over-large alignment); ``memory.size``, ``.grow``,
                          ``.fill``, ``.copy``, ``.init``: "zero byte expected"
                          where the memory index was
reference-types           ``call_indirect``, ``table.init``, ``table.copy``:
                          "zero byte expected" where the table index was;
                          reference value types, table element types other
                          than funcref; declarative and expression-based
                          element segments ("malformed segment kind")
bulk-memory-operations    the data count section ("malformed section id");
                          passive segments and explicit table or memory
                          indices in segments ("malformed segment kind")
function-references       non-null and indexed reference types; table
                          initialisers ("malformed reference type"); segments
                          of function indices have type funcref again
gc                        struct, array, sub and recursive types ("malformed
                          definition type"); the GC heap types
shared-everything-threads shared composite types ("malformed definition
                          type"), shared heap types, shared globals
                          ("malformed mutability"), shared tables
                          ("malformed limits flags")
custom-descriptors        ``describes``/``descriptor`` clauses ("malformed
                          definition type"); exact reference types (also
                          ``ref.null (exact ht)``) and exact function imports
exception-handling        the tag section, tag imports and exports (unless
                          exception-handling-legacy); the ``exn`` heap types
simd                      ``v128`` ("malformed value type")
threads                   the shared flag ("malformed limits flags")
memory64                  the 64-bit address flag ("malformed limits flags");
                          memory offsets beyond u32 ("integer too large")
custom-page-sizes         the page size flag ("malformed limits flags")
========================  =====================================================

Rules that were validation rules before a proposal (multiple memories and
tables, mutable global imports, result arity, constant expressions) are
the validator's; see :mod:`engine.valid.features`.

Type checks run after the section that declares the types, so an error in a
later part of the same section may be reported first; both are malformed.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Callable, Optional

from ..errors import MalformedError
from ..syntax.module import Module
from ..syntax.opcodes import DECODE, IMMEDIATES, PREFIXES, Imm, Op
from ..syntax.types import (
    FUNCREF,
    AbsHeapType,
    ArrayType,
    ExternKind,
    FuncType,
    PackedType,
    RefType,
    StructType,
)
from . import messages as msg
from .instructions import FULL_TABLES, KIND_ILLEGAL, KIND_OTHER, ExprTables
from .leb128 import u32, u64
from .proposals import (
    BULK_MEMORY,
    CODE_NEEDS,
    CUSTOM_DESCRIPTORS,
    CUSTOM_PAGE_SIZES,
    DATA_FLAG_NEEDS,
    ELEM_EXPR_OPS,
    ELEM_FLAG_NEEDS,
    FUNCTION_REFERENCES,
    GC,
    LEGACY_EXCEPTIONS,
    MEMORY64,
    MULTI_MEMORY,
    REFERENCE_TYPES,
    SHARED_EVERYTHING,
    THREADS,
    cached_rules,
    heap_missing,
    missing,
    needs_message,
    ref_missing,
    table_elem_missing,
    type_name,
    val_missing,
)
from .sections import FULL_RULES, ORDER, READERS, DecodeState, SectionRules
from .types import ADDR64, HAS_MAX, PAGE_SIZE, SHARED_FLAG

_REF_FUNC = RefType(False, AbsHeapType.FUNC)
_COMP_NAMES = {StructType: "a struct type", ArrayType: "an array type"}
_DATA_COUNT_SECTION, _TAG_SECTION = 12, 13


_BY_ARGUMENT: dict[frozenset, SectionRules] = {}


def decode_rules(features: Optional[Iterable[str]]) -> SectionRules:
    """The section rules of a feature set (None: every proposal)."""
    return cached_rules(features, _BY_ARGUMENT, FULL_RULES, _rules)


@functools.lru_cache(maxsize=32)
def _rules(enabled: frozenset[str]) -> SectionRules:
    order = dict(ORDER)
    if BULK_MEMORY not in enabled:
        del order[_DATA_COUNT_SECTION]
    if LEGACY_EXCEPTIONS not in enabled:
        del order[_TAG_SECTION]
    mem_flags = HAS_MAX
    table_flags = HAS_MAX
    if THREADS in enabled:
        mem_flags |= SHARED_FLAG
    if SHARED_EVERYTHING in enabled:
        table_flags |= SHARED_FLAG
    if MEMORY64 in enabled:
        mem_flags |= ADDR64
        table_flags |= ADDR64
    if CUSTOM_PAGE_SIZES in enabled:
        mem_flags |= PAGE_SIZE
    elem_flags = {0} | {f for f, need in ELEM_FLAG_NEEDS.items() if need in enabled}
    data_flags = {0} | {f for f, need in DATA_FLAG_NEEDS.items() if need in enabled}
    expr = _expr_tables(enabled)
    elem_expr = expr
    if BULK_MEMORY in enabled and REFERENCE_TYPES not in enabled:
        # Bulk memory's element expressions: ref.null and ref.func.
        elem_expr = _expr_tables(enabled, ELEM_EXPR_OPS)
    legacy = LEGACY_EXCEPTIONS in enabled
    return SectionRules(
        readers=_checked_readers(enabled),
        order=order,
        expr=expr,
        elem_expr=elem_expr,
        mem_flags=mem_flags,
        table_flags=table_flags,
        table_init=FUNCTION_REFERENCES in enabled,
        tags=legacy,
        last_export_kind=ExternKind.TAG if legacy else ExternKind.GLOBAL,
        exact_imports=CUSTOM_DESCRIPTORS in enabled,
        elem_flags=frozenset(elem_flags),
        data_flags=frozenset(data_flags),
        func_elem=_REF_FUNC if FUNCTION_REFERENCES in enabled else FUNCREF,
    )


# --- instruction tables ------------------------------------------------------------


def _zero_byte(data: bytes, pos: int) -> int:
    """The reserved 0x00 byte that stood where an index now is."""
    if data[pos] != 0:
        raise MalformedError(msg.ZERO_BYTE)
    return pos + 1


def _read_reserved_index(data, pos, op):
    # memory.size, memory.grow, memory.fill: (op, 0)
    return (op, 0), _zero_byte(data, pos)


def _read_index_reserved(data, pos, op):
    # call_indirect (type index), memory.init (data index), table.init
    # (element index): the index, then the reserved byte.
    x, pos = u32(data, pos)
    return (op, x, 0), _zero_byte(data, pos)


def _read_two_reserved(data, pos, op):
    # memory.copy, table.copy
    pos = _zero_byte(data, pos)
    return (op, 0, 0), _zero_byte(data, pos)


def _memarg_reader(multi_memory: bool, memory64: bool) -> Callable:
    """The memory argument of a format without multiple memories (the
    alignment is a plain u32) or without 64-bit offsets (a u32 offset)."""
    offset_reader = u64 if memory64 else u32

    def memarg(data: bytes, pos: int) -> tuple[int, int, int, int]:
        align, pos = u32(data, pos)
        memidx = 0
        if multi_memory and align >= 0x40:
            if align >= 0x80:
                raise MalformedError(msg.MEMARG)
            align -= 0x40
            memidx, pos = u32(data, pos)
        offset, pos = offset_reader(data, pos)
        return align, offset, memidx, pos

    return memarg


def _memarg_op_reader(memarg: Callable, lane: bool) -> Callable:
    if lane:
        def read(data, pos, op):
            align, offset, memidx, pos = memarg(data, pos)
            return (op, align, offset, memidx, data[pos]), pos + 1
    else:
        def read(data, pos, op):
            align, offset, memidx, pos = memarg(data, pos)
            return (op, align, offset, memidx), pos
    return read


def _expr_tables(enabled: frozenset[str], keep: frozenset = frozenset()) -> ExprTables:
    """The instruction tables of ``enabled``; the instructions in ``keep``
    stay whatever they need."""
    kinds, ops, simple, readers, prefixed, memarg = FULL_TABLES
    kinds, readers, prefixed = list(kinds), list(readers), dict(prefixed)
    for key, needs in CODE_NEEDS.items():
        if missing(needs, enabled) is not None and DECODE[key][0] not in keep:
            prefix, code = key
            if prefix is None:
                kinds[code] = KIND_ILLEGAL
            else:
                del prefixed[key]
    for prefix in PREFIXES:
        if not any(p == prefix for p, _ in prefixed):
            kinds[prefix] = KIND_ILLEGAL

    def override(code: int, reader: Callable) -> None:
        kinds[code] = KIND_OTHER
        readers[code] = reader

    def override_prefixed(key: tuple[int, int], reader: Callable) -> None:
        if key in prefixed:
            op, imm, _, _ = prefixed[key]
            prefixed[key] = (op, imm, reader, None)

    multi_memory = MULTI_MEMORY in enabled
    memory64 = MEMORY64 in enabled
    if not (multi_memory and memory64):
        memarg = _memarg_reader(multi_memory, memory64)
        plain, lane = _memarg_op_reader(memarg, False), _memarg_op_reader(memarg, True)
        for key, (_op, imm, _, _) in list(prefixed.items()):
            if imm is Imm.MEMARG:
                override_prefixed(key, plain)
            elif imm is Imm.MEMARG_LANE:
                override_prefixed(key, lane)
    if not multi_memory:
        override(Op.MEMORY_SIZE, _read_reserved_index)
        override(Op.MEMORY_GROW, _read_reserved_index)
        override_prefixed((0xFC, 8), _read_index_reserved)  # memory.init
        override_prefixed((0xFC, 10), _read_two_reserved)  # memory.copy
        override_prefixed((0xFC, 11), _read_reserved_index)  # memory.fill
    if REFERENCE_TYPES not in enabled:
        override(Op.CALL_INDIRECT, _read_index_reserved)
        override_prefixed((0xFC, 12), _read_index_reserved)  # table.init
        override_prefixed((0xFC, 14), _read_two_reserved)  # table.copy
    return ExprTables(kinds, ops, simple, readers, prefixed, memarg)


# --- type checks after each section ------------------------------------------------


def _fail(base: str, what: object, proposal: str) -> MalformedError:
    return MalformedError(needs_message(base, proposal, what if type(what) is str else type_name(what)))


def _check_val(t: object, enabled: frozenset[str], base: str = msg.VALTYPE) -> None:
    need = val_missing(t, enabled)
    if need is not None:
        raise _fail(base, t, need)


def _check_table_elem(rt: RefType, enabled: frozenset[str]) -> None:
    need = table_elem_missing(rt, enabled)
    if need is not None:
        raise _fail(msg.REFTYPE, rt, need)


def _check_types(module: Module, enabled: frozenset[str]) -> None:
    gc = GC in enabled
    descriptors = CUSTOM_DESCRIPTORS in enabled
    if not gc:
        for _, group in module.rec_groups:
            if len(group.subtypes) > 1:
                raise _fail(msg.TYPE_FORM, "a recursion group", GC)
    shared_ok = SHARED_EVERYTHING in enabled
    for sub in module.types:
        comp = sub.comp
        if comp.shared and not shared_ok:
            raise _fail(msg.TYPE_FORM, "a shared composite type", SHARED_EVERYTHING)
        if not gc:
            if type(comp) is not FuncType:
                raise _fail(msg.TYPE_FORM, _COMP_NAMES.get(type(comp), "a composite type"), GC)
            if not sub.final or sub.supertypes:
                raise _fail(msg.TYPE_FORM, "a subtype declaration", GC)
            if sub.describes is not None or sub.descriptor is not None:
                raise _fail(msg.TYPE_FORM, "a descriptor clause", GC)
        elif not descriptors and (sub.describes is not None or sub.descriptor is not None):
            raise _fail(msg.TYPE_FORM, "a descriptor clause", CUSTOM_DESCRIPTORS)
        if type(comp) is FuncType:
            for t in comp.params:
                _check_val(t, enabled)
            for t in comp.results:
                _check_val(t, enabled)
        else:
            fields = comp.fields if hasattr(comp, "fields") else (comp.field,)
            for f in fields:
                if type(f.storage) is not PackedType:
                    _check_val(f.storage, enabled)


def _check_global_type(gt, enabled: frozenset[str]) -> None:
    if gt.shared and SHARED_EVERYTHING not in enabled:
        raise _fail(msg.MUTABILITY, "a shared global", SHARED_EVERYTHING)
    _check_val(gt.valtype, enabled)


def _check_imports(module: Module, enabled: frozenset[str]) -> None:
    for imp in module.imports:
        if imp.kind == ExternKind.GLOBAL:
            _check_global_type(imp.desc, enabled)
        elif imp.kind == ExternKind.TABLE:
            _check_table_elem(imp.desc.elem, enabled)


def _check_tables(module: Module, enabled: frozenset[str]) -> None:
    for table in module.tables:
        _check_table_elem(table.type.elem, enabled)
        _check_expr(table.init, enabled)


def _check_globals(module: Module, enabled: frozenset[str]) -> None:
    for g in module.globals:
        _check_global_type(g.type, enabled)
        _check_expr(g.init, enabled)


def _check_elems(module: Module, enabled: frozenset[str]) -> None:
    for e in module.elems:
        _check_table_elem(e.type, enabled)
        _check_expr(e.offset, enabled)
        for expr in e.init:
            _check_expr(expr, enabled)


def _check_datas(module: Module, enabled: frozenset[str]) -> None:
    for d in module.datas:
        _check_expr(d.offset, enabled)


#: How to find the types in an instruction's immediates, by immediate kind.
_BLOCK, _SELECT, _HEAP, _REF, _CAST = range(5)
_TYPED_IMMEDIATES = {
    Imm.BLOCKTYPE: _BLOCK, Imm.TRY_TABLE: _BLOCK, Imm.SELECT_T: _SELECT,
    Imm.HEAPTYPE: _HEAP, Imm.REFTYPE: _REF, Imm.REFTYPE_NULL: _REF, Imm.CASTOP: _CAST,
}
_TYPED_OPS: dict[Op, int] = {
    op: _TYPED_IMMEDIATES[imm] for op, imm in IMMEDIATES.items() if imm in _TYPED_IMMEDIATES
}


def _check_instr(instr: tuple, how: int, enabled: frozenset[str]) -> None:
    if how == _BLOCK:
        bt = instr[1]
        if bt is not None and type(bt) is not int:
            _check_val(bt, enabled)
    elif how == _SELECT:
        for t in instr[1]:
            _check_val(t, enabled)
    elif how == _HEAP:
        need = heap_missing(instr[1], enabled)
        if need is None and len(instr) > 2:  # ref.null (exact ht)
            need = missing((GC, CUSTOM_DESCRIPTORS), enabled)
        if need is not None:
            raise _fail(msg.REFTYPE, instr[1], need)
    else:
        for rt in (instr[1],) if how == _REF else (instr[2], instr[3]):
            need = ref_missing(rt, enabled)
            if need is not None:
                raise _fail(msg.REFTYPE, rt, need)


def _check_expr(expr: Optional[tuple], enabled: frozenset[str]) -> None:
    if expr:
        typed = _TYPED_OPS
        for instr in expr:
            how = typed.get(instr[0])
            if how is not None:
                _check_instr(instr, how, enabled)


def _check_code(module: Module, enabled: frozenset[str]) -> None:
    for func in module.funcs:
        for t in func.locals:
            _check_val(t, enabled)
        _check_expr(func.body, enabled)


_SECTION_CHECKS: dict[int, Callable[[Module, frozenset], None]] = {
    1: _check_types,
    2: _check_imports,
    4: _check_tables,
    6: _check_globals,
    9: _check_elems,
    10: _check_code,
    11: _check_datas,
}


def _checked_readers(enabled: frozenset[str]) -> dict:
    readers = dict(READERS)
    for section_id, check in _SECTION_CHECKS.items():
        readers[section_id] = _then_check(READERS[section_id], check, enabled)
    return readers


def _then_check(reader: Callable, check: Callable, enabled: frozenset[str]) -> Callable:
    def read_and_check(data: bytes, pos: int, st: DecodeState) -> int:
        pos = reader(data, pos, st)
        check(st.module, enabled)
        return pos

    return read_and_check
