"""Validation rules on hand-built modules: one accepting and one rejecting
case per rule family."""

from __future__ import annotations

import pytest

from engine.errors import InvalidError
from engine.syntax import Data, Elem, Export, Func, Global, Import, Module, SegmentMode, Table
from engine.syntax.opcodes import CatchKind, Op
from engine.syntax.types import (
    ANYREF,
    EXNREF,
    EXTERNREF,
    F32,
    F64,
    FUNCREF,
    I32,
    I64,
    V128,
    AbsHeapType,
    ArrayType,
    ExternKind,
    FieldType,
    FuncType,
    GlobalType,
    Limits,
    MemType,
    PackedType,
    RecType,
    RefType,
    StructType,
    SubType,
    TableType,
    TagType,
)
from engine.valid import validate_module

O = Op
END = (O.END,)


def sub(comp, final=True, supers=()):
    return SubType(final, tuple(supers), comp)


def fn(params=(), results=()):
    return sub(FuncType(tuple(params), tuple(results)))


def build(
    types=(),
    funcs=(),
    imports=(),
    tables=(),
    mems=(),
    globals_=(),
    tags=(),
    exports=(),
    elems=(),
    datas=(),
    start=None,
):
    """A module from parts; ``types`` items are SubTypes (a group each) or
    RecTypes; ``funcs`` items are (typeidx, locals, body-without-END)."""
    flat, groups = [], []
    for t in types:
        rec = t if isinstance(t, RecType) else RecType((t,))
        groups.append((len(flat), rec))
        flat.extend(rec.subtypes)
    return Module(
        types=flat,
        rec_groups=groups,
        imports=list(imports),
        funcs=[Func(x, tuple(locs), tuple(body) + (END,)) for x, locs, body in funcs],
        tables=list(tables),
        mems=list(mems),
        globals=list(globals_),
        tags=list(tags),
        exports=list(exports),
        elems=list(elems),
        datas=list(datas),
        start=start,
    )


def func_module(body, params=(), results=(), locals_=(), types=(), **parts):
    """One function of type params -> results (type index len(types))."""
    types = list(types) + [fn(params, results)]
    index = sum(len(t.subtypes) if isinstance(t, RecType) else 1 for t in types) - 1
    return build(types=types, funcs=[(index, locals_, body)], **parts)


def ok(module):
    return validate_module(module)


def bad(module, message):
    with pytest.raises(InvalidError) as exc:
        validate_module(module)
    assert message in str(exc.value), str(exc.value)


MEM = MemType(Limits(1))
MEM64 = MemType(Limits(1), addr64=True)


# --- numeric, stack, locals ------------------------------------------------------


def test_numeric_and_locals():
    body = [(O.LOCAL_GET, 0), (O.I64_EXTEND_I32_U,), (O.LOCAL_GET, 1), (O.I64_ADD,)]
    ok(func_module(body, params=[I32], results=[I64], locals_=[I64]))
    bad(func_module([(O.LOCAL_GET, 0), (O.I64_ADD,)], params=[I32], results=[I64]), "type mismatch")
    bad(func_module([(O.LOCAL_GET, 3)], params=[I32]), "unknown local")


def test_stack_height_at_end():
    bad(func_module([(O.I32_CONST, 1)]), "type mismatch")
    bad(func_module([], results=[I32]), "type mismatch")
    bad(func_module([(O.I32_CONST, 1), (O.I32_CONST, 1)], results=[I32]), "type mismatch")


def test_unreachable_is_polymorphic():
    ok(func_module([(O.UNREACHABLE,), (O.I32_ADD,), (O.DROP,), (O.F64_CONST, 0)], results=[F64]))
    bad(func_module([(O.UNREACHABLE,), (O.I64_CONST, 0), (O.I32_ADD,)], results=[I32]), "type mismatch")
    ok(func_module([(O.UNREACHABLE,), (O.SELECT,)], results=[I64]))
    # An unknown operand of select still yields the other operand's type.
    bad(func_module([(O.UNREACHABLE,), (O.I64_CONST, 0), (O.SELECT,)], results=[I32]), "type mismatch")


def test_select():
    ok(func_module([(O.I32_CONST, 1), (O.I32_CONST, 2), (O.I32_CONST, 0), (O.SELECT,)], results=[I32]))
    bad(func_module([(O.I32_CONST, 1), (O.I64_CONST, 2), (O.I32_CONST, 0), (O.SELECT,)], results=[I32]),
        "type mismatch")
    refs = [(O.REF_NULL, AbsHeapType.FUNC), (O.REF_NULL, AbsHeapType.FUNC), (O.I32_CONST, 0)]
    bad(func_module(refs + [(O.SELECT,)], results=[FUNCREF]), "type mismatch")
    ok(func_module(refs + [(O.SELECT_T, (FUNCREF,))], results=[FUNCREF]))
    bad(func_module(refs + [(O.SELECT_T, (FUNCREF, FUNCREF))], results=[FUNCREF]), "invalid result arity")


def test_uninitialized_local():
    ref = RefType(False, AbsHeapType.FUNC)
    set_then_get = [(O.REF_FUNC, 0), (O.LOCAL_SET, 0), (O.LOCAL_GET, 0), (O.DROP,)]
    m = func_module(set_then_get, locals_=[ref], exports=[Export("f", ExternKind.FUNC, 0)])
    ok(m)
    bad(func_module([(O.LOCAL_GET, 0), (O.DROP,)], locals_=[ref]), "uninitialized local")
    # Initialisation inside a block is forgotten at its end.
    inner = [(O.BLOCK, None), (O.REF_FUNC, 0), (O.LOCAL_SET, 0), END, (O.LOCAL_GET, 0), (O.DROP,)]
    bad(func_module(inner, locals_=[ref], exports=[Export("f", ExternKind.FUNC, 0)]),
        "uninitialized local")


# --- control ------------------------------------------------------------------------


def test_blocks_and_branches():
    body = [
        (O.BLOCK, I32), (O.I32_CONST, 1), (O.I32_CONST, 0), (O.BR_IF, 0), END,
        (O.LOOP, None), (O.BR, 0), END,
    ]
    ok(func_module(body, results=[I32]))
    bad(func_module(body), "type mismatch")  # the block's i32 is left over
    ok(func_module(body[:5] + [(O.DROP,)] + body[5:]))
    bad(func_module([(O.BR, 1)]), "unknown label")
    bad(func_module([(O.BLOCK, I32), (O.I64_CONST, 0), END, (O.DROP,)]), "type mismatch")


def test_if_without_else_needs_matching_types():
    ok(func_module([(O.I32_CONST, 0), (O.IF, None), END]))
    bad(func_module([(O.I32_CONST, 0), (O.IF, I32), (O.I32_CONST, 1), END], results=[I32]), "type mismatch")
    ok(func_module([(O.I32_CONST, 0), (O.IF, I32), (O.I32_CONST, 1), (O.ELSE,), (O.I32_CONST, 2), END],
                   results=[I32]))


def test_multi_value_block_type():
    types = [fn([I32], [I32, I32])]
    body = [(O.I32_CONST, 1), (O.BLOCK, 0), (O.I32_CONST, 2), END, (O.I32_ADD,)]
    ok(func_module(body, results=[I32], types=types))
    bad(func_module([(O.BLOCK, 0), (O.I32_CONST, 2), END, (O.I32_ADD,)], results=[I32], types=types),
        "type mismatch")
    bad(func_module([(O.BLOCK, 7), END]), "unknown type")


def test_br_table():
    body = [(O.BLOCK, I32), (O.BLOCK, I32), (O.I32_CONST, 1), (O.I32_CONST, 0), (O.BR_TABLE, (0,), 1),
            END, END]
    ok(func_module(body, results=[I32]))
    body2 = [(O.BLOCK, I32), (O.BLOCK, None), (O.I32_CONST, 1), (O.I32_CONST, 0), (O.BR_TABLE, (0,), 1),
             END, (O.I32_CONST, 3), END]
    bad(func_module(body2, results=[I32]), "type mismatch")


def test_calls_and_tail_calls():
    types = [fn([I32], [I64])]
    callee = (0, (), [(O.I64_CONST, 0)])
    caller_ok = (1, (), [(O.I32_CONST, 1), (O.CALL, 0)])
    ok(build(types=types + [fn([], [I64])], funcs=[callee, caller_ok]))
    ok(build(types=types + [fn([], [I64])], funcs=[callee, (1, (), [(O.I32_CONST, 1), (O.RETURN_CALL, 0)])]))
    bad(build(types=types + [fn([], [I32])], funcs=[callee, (1, (), [(O.I32_CONST, 1), (O.RETURN_CALL, 0)])]),
        "type mismatch")
    bad(build(types=types + [fn([], [I64])], funcs=[callee, (1, (), [(O.CALL, 5)])]), "unknown function")


def test_call_indirect():
    table = Table(TableType(Limits(1), FUNCREF))
    body = [(O.I32_CONST, 0), (O.CALL_INDIRECT, 0, 0)]
    ok(func_module(body, tables=[table]))
    bad(func_module(body), "unknown table")
    bad(func_module(body, tables=[Table(TableType(Limits(1), EXTERNREF))]), "type mismatch")
    t64 = Table(TableType(Limits(1), FUNCREF, addr64=True))
    bad(func_module(body, tables=[t64]), "type mismatch")
    ok(func_module([(O.I64_CONST, 0), (O.CALL_INDIRECT, 0, 0)], tables=[t64]))


def test_call_ref_and_ref_func_declaration():
    body = [(O.REF_FUNC, 0), (O.CALL_REF, 0)]
    ok(func_module(body, exports=[Export("f", ExternKind.FUNC, 0)]))
    bad(func_module(body), "undeclared function reference")
    decl = Elem(FUNCREF, (((O.REF_FUNC, 0), END),), SegmentMode.DECLARATIVE)
    ok(func_module(body, elems=[decl]))
    bad(func_module([(O.REF_NULL, AbsHeapType.FUNC), (O.CALL_REF, 0)]), "type mismatch")


# --- memory ----------------------------------------------------------------------


def test_memory_access():
    load = [(O.I32_CONST, 0), (O.I32_LOAD, 2, 0, 0)]
    ok(func_module(load, results=[I32], mems=[MEM]))
    bad(func_module(load, results=[I32]), "unknown memory")
    bad(func_module([(O.I32_CONST, 0), (O.I32_LOAD, 3, 0, 0)], results=[I32], mems=[MEM]),
        "alignment must not be larger than natural")
    bad(func_module([(O.I32_CONST, 0), (O.I32_LOAD8_U, 1, 0, 0)], results=[I32], mems=[MEM]),
        "alignment must not be larger than natural")
    bad(func_module([(O.I32_CONST, 0), (O.I32_LOAD, 2, 1 << 32, 0)], results=[I32], mems=[MEM]),
        "offset out of range")
    ok(func_module([(O.I64_CONST, 0), (O.I32_LOAD, 2, 1 << 32, 0)], results=[I32], mems=[MEM64]))
    bad(func_module(load, results=[I32], mems=[MEM64]), "type mismatch")


def test_multi_memory_and_bulk():
    body = [(O.I64_CONST, 0), (O.I32_CONST, 0), (O.I32_CONST, 1), (O.MEMORY_COPY, 1, 0)]
    ok(func_module(body, mems=[MEM, MEM64]))
    bad(func_module(body, mems=[MEM64, MEM]), "type mismatch")
    fill = [(O.I64_CONST, 0), (O.I32_CONST, 0), (O.I64_CONST, 1), (O.MEMORY_FILL, 0)]
    ok(func_module(fill, mems=[MEM64]))
    init = [(O.I32_CONST, 0), (O.I32_CONST, 0), (O.I32_CONST, 1), (O.MEMORY_INIT, 0, 0)]
    ok(func_module(init, mems=[MEM], datas=[Data(b"", SegmentMode.PASSIVE)]))
    bad(func_module(init, mems=[MEM]), "unknown data segment")
    bad(func_module([(O.DATA_DROP, 1)], mems=[MEM], datas=[Data(b"", SegmentMode.PASSIVE)]),
        "unknown data segment")


def test_atomics():
    shared = MemType(Limits(1, 1), shared=True)
    rmw = [(O.I32_CONST, 0), (O.I64_CONST, 0), (O.I64_ATOMIC_RMW_ADD, 3, 0, 0)]
    ok(func_module(rmw, results=[I64], mems=[shared]))
    bad(func_module([(O.I32_CONST, 0), (O.I64_CONST, 0), (O.I64_ATOMIC_RMW_ADD, 2, 0, 0)],
                    results=[I64], mems=[shared]), "alignment")
    wait = [(O.I32_CONST, 0), (O.I32_CONST, 0), (O.I64_CONST, 0), (O.MEMORY_ATOMIC_WAIT32, 2, 0, 0)]
    ok(func_module(wait, results=[I32], mems=[shared]))
    bad(build(mems=[MemType(Limits(1), shared=True)]), "shared memory must have maximum")


def test_memory_limits():
    ok(build(mems=[MemType(Limits(65536))]))
    bad(build(mems=[MemType(Limits(65537))]), "memory size must be at most 65536 pages (4GiB)")
    bad(build(mems=[MemType(Limits(2, 1))]), "size minimum must not be greater than maximum")
    ok(build(mems=[MemType(Limits(1 << 48), addr64=True)]))
    bad(build(mems=[MemType(Limits(1 << 48 | 1), addr64=True)]), "memory size")
    ok(build(mems=[MemType(Limits(0xFFFF_FFFF), page_size_log2=0)]))
    bad(build(mems=[MemType(Limits(1 << 32), page_size_log2=0)]), "memory size must be at most")
    bad(build(mems=[MemType(Limits(0), page_size_log2=4)]), "invalid custom page size")


# --- SIMD ---------------------------------------------------------------------------


def test_simd_lanes():
    v = (O.V128_CONST, 0)
    ok(func_module([v, (O.I8X16_EXTRACT_LANE_S, 15)], results=[I32]))
    bad(func_module([v, (O.I8X16_EXTRACT_LANE_S, 16)], results=[I32]), "invalid lane index")
    ok(func_module([v, (O.F64_CONST, 0), (O.F64X2_REPLACE_LANE, 1)], results=[V128]))
    bad(func_module([v, (O.F32_CONST, 0), (O.F64X2_REPLACE_LANE, 1)], results=[V128]), "type mismatch")
    ok(func_module([v, v, (O.I8X16_SHUFFLE, tuple(range(16, 32)))], results=[V128]))
    bad(func_module([v, v, (O.I8X16_SHUFFLE, (32,) + tuple(range(15)))], results=[V128]), "invalid lane index")
    lane = [(O.I32_CONST, 0), v, (O.V128_LOAD32_LANE, 2, 0, 0, 3)]
    ok(func_module(lane, results=[V128], mems=[MEM]))
    bad(func_module(lane[:2] + [(O.V128_LOAD32_LANE, 2, 0, 0, 4)], results=[V128], mems=[MEM]),
        "invalid lane index")
    bad(func_module(lane[:2] + [(O.V128_LOAD32_LANE, 3, 0, 0, 0)], results=[V128], mems=[MEM]),
        "alignment must not be larger than natural")


def test_simd_signatures():
    v = (O.V128_CONST, 0)
    ok(func_module([v, (O.I32_CONST, 1), (O.I16X8_SHL,)], results=[V128]))
    ok(func_module([v, v, v, (O.F32X4_RELAXED_MADD,)], results=[V128]))
    ok(func_module([v, (O.I32X4_ALL_TRUE,)], results=[I32]))
    ok(func_module([(O.I64_CONST, 0), (O.I64X2_SPLAT,)], results=[V128]))
    bad(func_module([(O.I32_CONST, 0), (O.I64X2_SPLAT,)], results=[V128]), "type mismatch")


def test_wide_arithmetic():
    four = [(O.I64_CONST, 0)] * 4
    ok(func_module(four + [(O.I64_ADD128,)], results=[I64, I64]))
    bad(func_module(four[:3] + [(O.I64_ADD128,)], results=[I64, I64]), "type mismatch")
    ok(func_module(four[:2] + [(O.I64_MUL_WIDE_U,)], results=[I64, I64]))


# --- tables, elements, globals, constant expressions --------------------------------


def test_table_instructions():
    t = Table(TableType(Limits(1), EXTERNREF))
    ok(func_module([(O.I32_CONST, 0), (O.TABLE_GET, 0)], results=[EXTERNREF], tables=[t]))
    bad(func_module([(O.I32_CONST, 0), (O.TABLE_GET, 0)], results=[FUNCREF], tables=[t]), "type mismatch")
    grow = [(O.REF_NULL, AbsHeapType.EXTERN), (O.I32_CONST, 1), (O.TABLE_GROW, 0)]
    ok(func_module(grow, results=[I32], tables=[t]))
    f = Table(TableType(Limits(1), FUNCREF))
    copy = [(O.I32_CONST, 0)] * 3 + [(O.TABLE_COPY, 0, 1)]
    bad(func_module(copy, tables=[t, f]), "type mismatch")
    ok(func_module(copy, tables=[f, f]))
    init = [(O.I32_CONST, 0)] * 3 + [(O.TABLE_INIT, 0, 0)]
    passive = Elem(FUNCREF, (), SegmentMode.PASSIVE)
    ok(func_module(init, tables=[f], elems=[passive]))
    bad(func_module(init, tables=[t], elems=[passive]), "type mismatch")
    bad(func_module([(O.ELEM_DROP, 0)]), "unknown elem segment")


def test_non_nullable_table_needs_initialiser():
    ref = RefType(False, AbsHeapType.FUNC)
    bad(build(tables=[Table(TableType(Limits(1), ref))]), "type mismatch")
    init = ((O.REF_FUNC, 0), END)
    ok(build(types=[fn()], funcs=[(0, (), [])], tables=[Table(TableType(Limits(1), ref), init)]))


def test_globals_and_constant_expressions():
    imp = Import("m", "g", ExternKind.GLOBAL, GlobalType(I32, False))
    g1 = Global(GlobalType(I32, False), ((O.GLOBAL_GET, 0), (O.I32_CONST, 2), (O.I32_MUL,), END))
    g2 = Global(GlobalType(I32, True), ((O.GLOBAL_GET, 1), END))
    ok(build(imports=[imp], globals_=[g1, g2]))
    # Only earlier globals are visible.
    g_fwd = Global(GlobalType(I32, False), ((O.GLOBAL_GET, 1), END))
    bad(build(globals_=[g_fwd, Global(GlobalType(I32, False), ((O.I32_CONST, 0), END))]), "unknown global")
    mut = Import("m", "g", ExternKind.GLOBAL, GlobalType(I32, True))
    bad(build(imports=[mut], globals_=[g1]), "constant expression required")
    bad(build(globals_=[Global(GlobalType(I32, False), ((O.I32_CONST, 0), (O.I32_CONST, 0), (O.I32_DIV_S,), END))]),
        "constant expression required")
    bad(build(globals_=[Global(GlobalType(I64, False), ((O.I32_CONST, 0), END))]), "type mismatch")
    bad(func_module([(O.I32_CONST, 0), (O.GLOBAL_SET, 0)], imports=[imp]), "immutable global")
    bad(func_module([(O.GLOBAL_GET, 1), (O.DROP,)], imports=[imp]), "unknown global")


def test_segments():
    t = Table(TableType(Limits(1), FUNCREF))
    active = Elem(FUNCREF, (((O.REF_FUNC, 0), END),), SegmentMode.ACTIVE, 0, ((O.I32_CONST, 0), END))
    ok(build(types=[fn()], funcs=[(0, (), [])], tables=[t], elems=[active]))
    wrong_type = Elem(EXTERNREF, (), SegmentMode.ACTIVE, 0, ((O.I32_CONST, 0), END))
    bad(build(tables=[t], elems=[wrong_type]), "type mismatch")
    bad(build(elems=[active], types=[fn()], funcs=[(0, (), [])]), "unknown table")
    data = Data(b"x", SegmentMode.ACTIVE, 0, ((O.I64_CONST, 0), END))
    ok(build(mems=[MEM64], datas=[data]))
    bad(build(mems=[MEM], datas=[data]), "type mismatch")
    bad(build(datas=[data]), "unknown memory")


# --- module-level rules ----------------------------------------------------------------


def test_exports_and_start():
    ok(func_module([], exports=[Export("a", ExternKind.FUNC, 0)], start=0))
    bad(func_module([], exports=[Export("a", ExternKind.FUNC, 0), Export("a", ExternKind.FUNC, 0)]),
        "duplicate export name")
    bad(func_module([], exports=[Export("a", ExternKind.MEMORY, 0)]), "unknown memory")
    bad(func_module([(O.UNREACHABLE,)], results=[I32], start=0), "start function")
    bad(func_module([], start=3), "unknown function")


def test_imports():
    imports = [
        Import("m", "f", ExternKind.FUNC, 0),
        Import("m", "t", ExternKind.TABLE, TableType(Limits(0), FUNCREF)),
        Import("m", "mem", ExternKind.MEMORY, MEM),
        Import("m", "tag", ExternKind.TAG, TagType(0)),
    ]
    info = ok(build(types=[fn([I32])], imports=imports))
    assert info.n_imported_funcs == 1 and len(info.imports) == 4
    bad(build(types=[fn([I32])], imports=[Import("m", "f", ExternKind.FUNC, 1)]), "unknown type")
    bad(build(types=[fn([], [I32])], imports=[Import("m", "t", ExternKind.TAG, TagType(0))]),
        "non-empty tag result type")


# --- exceptions ------------------------------------------------------------------------------


def test_try_table():
    types = [fn([I32])]
    body = [(O.BLOCK, I32), (O.TRY_TABLE, None, ((CatchKind.CATCH, 0, 0),)), (O.I32_CONST, 1), (O.THROW, 0),
            END, (O.I32_CONST, 0), END]
    ok(func_module(body, results=[I32], types=types, tags=[TagType(0)]))
    wrong = [(O.BLOCK, I64), (O.TRY_TABLE, None, ((CatchKind.CATCH, 0, 0),)), END, (O.I64_CONST, 0), END]
    bad(func_module(wrong, results=[I64], types=types, tags=[TagType(0)]), "type mismatch")
    ref = [(O.BLOCK, EXNREF), (O.TRY_TABLE, None, ((CatchKind.CATCH_ALL_REF, None, 0),)), END,
           (O.REF_NULL, AbsHeapType.EXN), END, (O.THROW_REF,)]
    ok(func_module(ref))
    bad(func_module([(O.THROW, 0)]), "unknown tag")


def test_legacy_exceptions():
    types = [fn([I32])]
    body = [(O.TRY, None), (O.CATCH, 0), (O.DROP,), (O.RETHROW, 0), (O.CATCH_ALL,), (O.RETHROW, 0), END]
    ok(func_module(body, types=types, tags=[TagType(0)]))
    bad(func_module([(O.TRY, None), (O.RETHROW, 0), END]), "invalid rethrow label")
    bad(func_module([(O.BLOCK, None), (O.RETHROW, 0), END]), "invalid rethrow label")
    ok(func_module([(O.BLOCK, None), (O.TRY, None), (O.DELEGATE, 0), END]))
    bad(func_module([(O.TRY, None), (O.DELEGATE, 1)]), "unknown label")


# --- references and GC ----------------------------------------------------------------------------


def test_null_branches():
    ht = AbsHeapType.ANY
    body = [(O.BLOCK, None), (O.REF_NULL, ht), (O.BR_ON_NULL, 0), (O.DROP,), END]
    ok(func_module(body))
    nn = RefType(False, ht)
    body2 = [(O.BLOCK, nn), (O.REF_NULL, ht), (O.BR_ON_NON_NULL, 0), (O.UNREACHABLE,), END, (O.DROP,)]
    ok(func_module(body2))
    bad(func_module([(O.BLOCK, None), (O.REF_NULL, ht), (O.BR_ON_NON_NULL, 0), END]), "type mismatch")
    ok(func_module([(O.REF_NULL, ht), (O.REF_AS_NON_NULL,)], results=[nn]))
    bad(func_module([(O.REF_NULL, ht)], results=[nn]), "type mismatch")


def test_struct_and_array():
    point = sub(StructType((FieldType(I32, True), FieldType(PackedType.I8, False))))
    arr = sub(ArrayType(FieldType(F32, True)))
    types = [point, arr]
    new = [(O.I32_CONST, 1), (O.I32_CONST, 2), (O.STRUCT_NEW, 0)]
    ok(func_module(new + [(O.STRUCT_GET_S, 0, 1)], results=[I32], types=types))
    bad(func_module(new + [(O.STRUCT_GET, 0, 1)], results=[I32], types=types), "type mismatch")
    bad(func_module(new + [(O.STRUCT_GET, 0, 2)], results=[I32], types=types), "unknown field")
    bad(func_module(new + [(O.I32_CONST, 0), (O.STRUCT_SET, 0, 1)], types=types), "immutable field")
    ok(func_module(new + [(O.I32_CONST, 0), (O.STRUCT_SET, 0, 0)], types=types))
    anew = [(O.F32_CONST, 0), (O.I32_CONST, 4), (O.ARRAY_NEW, 1)]
    ok(func_module(anew + [(O.ARRAY_LEN,)], results=[I32], types=types))
    ok(func_module([(O.F32_CONST, 0)] * 3 + [(O.ARRAY_NEW_FIXED, 1, 3)], results=[RefType(False, 1)], types=types))
    bad(func_module([(O.F32_CONST, 0)] * 2 + [(O.ARRAY_NEW_FIXED, 1, 3)], results=[RefType(False, 1)],
                    types=types), "type mismatch")
    bad(func_module([(O.I32_CONST, 0), (O.ARRAY_NEW, 0)], types=types), "type mismatch")
    ro = sub(ArrayType(FieldType(I32, False)))
    bad(func_module([(O.REF_NULL, 0), (O.I32_CONST, 0), (O.I32_CONST, 0), (O.ARRAY_SET, 0)], types=[ro]),
        "immutable array")
    nd = sub(ArrayType(FieldType(RefType(False, AbsHeapType.ANY), True)))
    bad(func_module([(O.I32_CONST, 0), (O.ARRAY_NEW_DEFAULT, 0), (O.DROP,)], types=[nd]), "type mismatch")
    bad(func_module([(O.I32_CONST, 0), (O.I32_CONST, 0), (O.ARRAY_NEW_DATA, 0, 0), (O.DROP,)], types=[nd],
                    datas=[Data(b"", SegmentMode.PASSIVE)]), "array type is not numeric or vector")


def test_casts():
    types = [sub(StructType(()), final=False), sub(StructType((FieldType(I32, False),)), supers=[0])]
    r0, r1 = RefType(True, 0), RefType(True, 1)
    body = [(O.BLOCK, r1), (O.REF_NULL, 0), (O.BR_ON_CAST, 0, r0, r1), (O.DROP,),
            (O.UNREACHABLE,), END, (O.DROP,)]
    ok(func_module(body, types=types))
    # A nullable target does not fit a non-nullable label.
    body_nn = [(O.BLOCK, RefType(False, 1))] + body[1:]
    bad(func_module(body_nn, types=types), "type mismatch")
    # The target type must match the operand type.
    body_bad = [(O.BLOCK, RefType(False, 1)), (O.REF_NULL, 0), (O.BR_ON_CAST, 0, r1, r0), (O.DROP,),
                (O.UNREACHABLE,), END, (O.DROP,)]
    bad(func_module(body_bad, types=types), "type mismatch")
    ok(func_module([(O.REF_NULL, AbsHeapType.ANY), (O.REF_TEST, r1)], results=[I32], types=types))
    bad(func_module([(O.REF_NULL, AbsHeapType.FUNC), (O.REF_CAST, r1)], results=[r1], types=types),
        "type mismatch")
    ok(func_module([(O.I32_CONST, 1), (O.REF_I31,), (O.REF_NULL, AbsHeapType.NONE), (O.REF_EQ,)],
                   results=[I32]))
    conv = [(O.REF_NULL, AbsHeapType.EXTERN), (O.ANY_CONVERT_EXTERN,)]
    ok(func_module(conv, results=[ANYREF]))
    bad(func_module(conv, results=[RefType(False, AbsHeapType.ANY)]), "type mismatch")


# --- robustness and speed ----------------------------------------------------------------------


def test_ill_shaped_module_gets_invalid_error():
    bad(Module(funcs=[Func(0, (), ((O.END,),))]), "unknown type")
    m = func_module([(O.LOCAL_GET,)])
    with pytest.raises(InvalidError):
        validate_module(m)
    bad(func_module([(O.I32_ADD,), END]), "type mismatch")
    bad(func_module([], results=[]).__class__(types=[fn()], rec_groups=[(0, RecType((fn(),)))],
                                              funcs=[Func(0, (), ((O.NOP,),))]), "END opcode expected")


def test_operators_after_final_end():
    m = func_module([])
    m.funcs[0] = Func(0, (), (END, (O.NOP,)))
    bad(m, "operators remaining after end of function")


def test_br_table_in_unreachable_code_keeps_unknown_operands():
    # The operand popped for one target is pushed back unknown, so targets of
    # different types still agree.
    body = [(O.BLOCK, F64), (O.BLOCK, F32), (O.UNREACHABLE,), (O.I32_CONST, 1), (O.BR_TABLE, (0, 1), 1),
            END, (O.DROP,), (O.F64_CONST, 0), END]
    ok(func_module(body, results=[F64]))


def test_table_initialiser_sees_only_imported_globals():
    imp = Import("m", "g", ExternKind.GLOBAL, GlobalType(FUNCREF, False))
    g = Global(GlobalType(FUNCREF, False), ((O.REF_NULL, AbsHeapType.FUNC), END))
    ok(build(imports=[imp], tables=[Table(TableType(Limits(1), FUNCREF), ((O.GLOBAL_GET, 0), END))]))
    bad(build(globals_=[g], tables=[Table(TableType(Limits(1), FUNCREF), ((O.GLOBAL_GET, 0), END))]),
        "unknown global")


def test_allocations_are_exact_and_respect_descriptors():
    plain = sub(StructType(()))
    exact = RefType(False, 0, True)
    ok(func_module([(O.STRUCT_NEW, 0)], results=[exact], types=[plain]))
    bad(func_module([(O.REF_NULL, 0), (O.REF_AS_NON_NULL,)], results=[exact], types=[plain]), "type mismatch")
    described = RecType((SubType(True, (), StructType(()), None, 1), SubType(True, (), StructType(()), 0, None)))
    bad(func_module([(O.STRUCT_NEW, 0), (O.DROP,)], types=[described]),
        "type with descriptor requires descriptor allocation")


def test_table_limits():
    ok(build(tables=[Table(TableType(Limits(0xFFFF_FFFF), FUNCREF))]))
    bad(build(tables=[Table(TableType(Limits(1 << 32), FUNCREF))]), "table size")
    ok(build(tables=[Table(TableType(Limits(1 << 32), FUNCREF, addr64=True))]))
    bad(build(tables=[Table(TableType(Limits(2, 1), FUNCREF))]), "size minimum must not be greater than maximum")
