"""Modules in the text format: identifiers and index spaces, type
definitions and type uses (implicit types), the abbreviations of every
field, ordering rules, and the annotations that become custom sections."""

from __future__ import annotations

import pytest

from engine.binary import decode_module
from engine.errors import MalformedError
from engine.syntax import Op, SegmentMode
from engine.syntax import types as t
from engine.syntax.types import (
    AbsHeapType, ArrayType, ExternKind, FieldType, FuncType, Limits, MemType, PackedType,
    RefType, StructType, SubType, TableType, TagType,
)
from engine.text import parse_module

END = (Op.END,)


def wat(text: str):
    return decode_module(parse_module(text))


def malformed(text: str, message: str = ".") -> None:
    with pytest.raises(MalformedError, match=message):
        parse_module(text)


# --- module forms --------------------------------------------------------------


def test_module_wrapper_is_optional_and_may_be_named():
    assert parse_module("(func)") == parse_module("(module (func))") == parse_module("(module $m (func))")
    assert parse_module("") == parse_module("(module)") == b"\x00asm\x01\x00\x00\x00"


def test_binary_and_quote_forms():
    assert parse_module('(module binary "\\00asm" "\\01\\00\\00\\00")') == b"\x00asm\x01\x00\x00\x00"
    assert parse_module('(module $m quote "(func" " (export \\"f\\"))")') == parse_module(
        '(func (export "f"))')
    malformed('(module quote "(func")')
    malformed('(module binary "\\00asm" 1)')


def test_nothing_after_the_module():
    malformed("(module) (module)")
    malformed("(module) x")
    malformed("(func) (module)")
    malformed("(foo)")
    malformed("func")


# --- identifiers --------------------------------------------------------------------


def test_index_spaces_resolve_identifiers_defined_later():
    m = wat("""
      (func $a (call $b))
      (func $b (global.get $g) drop (table.size $t) drop (memory.size $m) drop)
      (global $g i32 (i32.const 0))
      (table $t 1 funcref) (memory $m 1)
      (export "b" (func $b)) (export "g" (global $g)) (export "t" (table $t))
      (export "m" (memory $m))
    """)
    assert m.funcs[0].body[0] == (Op.CALL, 1)
    assert [e.index for e in m.exports] == [1, 0, 0, 0]


def test_imports_come_first_in_their_index_spaces():
    m = wat("""
      (import "m" "f" (func $imp))
      (func $def (call $imp) (call $def) (call 0) (call 1))
    """)
    assert [ins[1] for ins in m.funcs[0].body[:4]] == [0, 1, 0, 1]


@pytest.mark.parametrize("text, message", [
    ("(func $f) (func $f)", "duplicate func"),
    ('(import "" "" (func $f)) (func $f)', "duplicate func"),
    ("(global $g i32 (i32.const 0)) (global $g i32 (i32.const 0))", "duplicate global"),
    ("(memory $m 1) (memory $m 1)", "duplicate memory"),
    ("(table $t 1 funcref) (table $t 1 funcref)", "duplicate table"),
    ("(type $t (func)) (type $t (func))", "duplicate type"),
    ("(rec (type $t (func)) (type $t (func)))", "duplicate type"),
    ("(tag $e) (tag $e)", "duplicate tag"),
    ('(data $d "") (data $d "")', "duplicate data"),
    ("(elem $e func) (elem $e func)", "duplicate elem"),
    ("(func (param $x i32) (param $x i32))", "duplicate local"),
    ("(func (param $x i32) (local $x i32))", "duplicate local"),
    ("(func (local $x i32) (local $x i64))", "duplicate local"),
    ("(type (struct (field $x i32) (field $x i32)))", "duplicate field"),
])
def test_duplicate_identifiers(text, message):
    malformed(text, message)


def test_same_identifier_in_different_spaces():
    wat("(func $x) (global $x i32 (i32.const 0)) (type $x (func)) (memory $x 1) (table $x 1 funcref)")
    # Field names are per type.
    wat("(type (struct (field $x i32))) (type (struct (field $x i64)))")


@pytest.mark.parametrize("text, message", [
    ("(func (call $nope))", "unknown func"),
    ("(func (local.get $nope))", "unknown local"),
    ("(func (global.get $nope))", "unknown global"),
    ("(func (br $nope))", "unknown label"),
    ("(func (type $nope))", "unknown type"),
    ("(export \"x\" (memory $nope))", "unknown memory"),
    ("(func (throw $nope))", "unknown tag"),
    ("(func (data.drop $nope))", "unknown data"),
    ("(func (elem.drop $nope))", "unknown elem"),
    ("(type $s (struct)) (func (struct.get $s $nope (unreachable)))", "unknown field"),
])
def test_unknown_identifiers(text, message):
    malformed(text, message)


def test_numeric_indices_are_not_checked_by_the_parser():
    # Out-of-range numeric indices are the validator's business.
    m = wat("(func (call 7) (local.get 3) (br 9))")
    assert m.funcs[0].body[:3] == ((Op.CALL, 7), (Op.LOCAL_GET, 3), (Op.BR, 9))
    malformed("(func (call 4294967296))", "out of range")


# --- types ---------------------------------------------------------------------------


def test_value_and_reference_types():
    m = wat("""
      (type $s (struct))
      (func (param i32 i64 f32 f64 v128 funcref externref anyref eqref i31ref structref arrayref
                   nullref nullfuncref nullexternref exnref nullexnref
                   (ref func) (ref null extern) (ref $s) (ref null 0) (ref none)))
    """)
    assert m.types[1].comp.params == (
        t.I32, t.I64, t.F32, t.F64, t.V128, t.FUNCREF, t.EXTERNREF, t.ANYREF, t.EQREF, t.I31REF,
        t.STRUCTREF, t.ARRAYREF, t.NULLREF, t.NULLFUNCREF, t.NULLEXTERNREF, t.EXNREF,
        t.NULLEXNREF, RefType(False, AbsHeapType.FUNC), RefType(True, AbsHeapType.EXTERN),
        RefType(False, 0), RefType(True, 0), RefType(False, AbsHeapType.NONE))
    for bad in ("(func (param anyfunc))", "(func (param (ref)))", "(func (param (ref null)))",
                "(func (param (ref nul func)))", "(func (param i33))"):
        malformed(bad)


def test_rec_groups_subtypes_and_composites():
    m = wat("""
      (rec (type $a (sub (struct (field $x i32) (field (mut i64)) (field i8 (mut i16)))))
           (type $b (sub final $a (struct (field i32) (field (mut i64)) (field i8) (field (mut i16))))))
      (type $arr (array (mut (ref null $a))))
      (type $f (func (param i32) (param $p i64) (result f32) (result)))
    """)
    a, b, arr, f = m.types
    assert a == SubType(False, (), StructType((
        FieldType(t.I32, False), FieldType(t.I64, True), FieldType(PackedType.I8, False),
        FieldType(PackedType.I16, True))))
    assert b.final and b.supertypes == (0,) and len(b.comp.fields) == 4
    assert arr.comp == ArrayType(FieldType(RefType(True, 0), True))
    assert f.comp == FuncType((t.I32, t.I64), (t.F32,))
    assert [first for first, _ in m.rec_groups] == [0, 2, 3]


def test_field_names_resolve_per_type():
    m = wat("""
      (type $p (struct (field $x i32) (field $y i32)))
      (type $q (struct (field $y i64) (field $x i64)))
      (func (param (ref $p) (ref $q)) (result i32 i64)
        (struct.get $p $y (local.get 0)) (struct.get $q $y (local.get 1)))
    """)
    body = m.funcs[0].body
    assert body[1] == (Op.STRUCT_GET, 0, 1) and body[3] == (Op.STRUCT_GET, 1, 0)


def test_descriptor_clauses_and_exact_types():
    m = wat("""
      (rec (type $a (descriptor $b) (struct))
           (type $b (sub final (describes $a) (struct))))
      (import "m" "f" (func (exact (type 2))))
      (global (ref null (exact $a)) (ref.null (exact $a)))
      (type (func))
    """)
    assert m.types[0].descriptor == 1 and m.types[1].describes == 0
    assert m.globals[0].type.valtype == RefType(True, 0, True)
    assert m.globals[0].init[0] == (Op.REF_NULL, 0, True)
    assert m.imports[0].exact and m.imports[0].desc == 2


# --- type uses and implicit types ------------------------------------------------


def test_implicit_types_reuse_then_append_in_order_of_use():
    m = wat("""
      (func (param i32))
      (type $t (func (param i64)))
      (func (param i64))
      (func (result f32))
      (func (param i32))
      (func (block (param i32) (result i32 i32) unreachable) (call_indirect (param f64) (i32.const 0)))
      (tag (param f64))
    """)
    sigs = [st.comp for st in m.types]
    assert sigs == [FuncType((t.I64,), ()), FuncType((t.I32,), ()), FuncType((), (t.F32,)),
                    FuncType((), ()), FuncType((t.I32,), (t.I32, t.I32)), FuncType((t.F64,), ())]
    assert [f.typeidx for f in m.funcs] == [1, 0, 2, 1, 3]
    assert m.funcs[4].body[0] == (Op.BLOCK, 4)
    assert m.tags == [TagType(5)]


def test_implicit_types_only_reuse_final_singleton_function_types():
    m = wat("""
      (type $open (sub (func)))
      (rec (type (func (param i32))) (type (struct)))
      (func) (func (param i32))
    """)
    assert [f.typeidx for f in m.funcs] == [3, 4]


def test_explicit_type_use_with_matching_inline_signature():
    m = wat("""
      (type $t (func (param i32 i64) (result f32)))
      (func (type $t) (param $a i32) (param i64) (result f32) (local $b f64)
        (local.get $a) drop (local.get $b) drop (f32.const 0))
      (func (type $t) (local $c i32) (local.get $c) drop (f32.const 0))
    """)
    assert m.funcs[0].body[0] == (Op.LOCAL_GET, 0)
    assert m.funcs[0].body[2] == (Op.LOCAL_GET, 2)
    # Without inline params, the type's parameters still come first.
    assert m.funcs[1].body[0] == (Op.LOCAL_GET, 2)


@pytest.mark.parametrize("text", [
    "(type $t (func (param i32))) (func (type $t) (param i64))",
    "(type $t (func (param i32))) (func (type $t) (result i32))",
    "(type $t (func (param i32))) (func (type $t) (param i32) (param i32))",
    "(type $t (func)) (func (block (type $t) (result i32) (i32.const 0)) drop)",
    "(type $t (func)) (table 1 funcref) (func (call_indirect (type $t) (param i32) (i32.const 0)))",
    "(type $t (func (param i32))) (import \"m\" \"f\" (func (type $t) (param i64)))",
    "(type $s (struct)) (func (type $s) (param i32))",
    "(func (type 2) (param i32))",
])
def test_inline_function_type_mismatch(text):
    malformed(text)


@pytest.mark.parametrize("text", [
    "(func (block (param $x i32)))",
    "(table 1 funcref) (func (call_indirect (param $x i32) (i32.const 0)))",
    "(func (result i32) (param i32))",
    "(type $t (func)) (func (param i32) (type $t))",
])
def test_type_use_syntax_errors(text):
    malformed(text)


# --- field abbreviations ------------------------------------------------------------


def test_inline_exports_and_imports():
    m = wat("""
      (func $f (export "a") (export "b") (import "m" "f") (param i32))
      (global (export "g") (import "m" "g") (mut i32))
      (table (export "t") (import "m" "t") 1 2 funcref)
      (memory (export "mem") (import "m" "mem") 1)
      (tag (export "e") (import "m" "e") (param i32))
      (func (export "c"))
    """)
    assert [(i.module, i.name, i.kind) for i in m.imports] == [
        ("m", "f", ExternKind.FUNC), ("m", "g", ExternKind.GLOBAL), ("m", "t", ExternKind.TABLE),
        ("m", "mem", ExternKind.MEMORY), ("m", "e", ExternKind.TAG)]
    assert [(e.name, e.kind, e.index) for e in m.exports] == [
        ("a", ExternKind.FUNC, 0), ("b", ExternKind.FUNC, 0), ("g", ExternKind.GLOBAL, 0),
        ("t", ExternKind.TABLE, 0), ("mem", ExternKind.MEMORY, 0), ("e", ExternKind.TAG, 0),
        ("c", ExternKind.FUNC, 1)]


@pytest.mark.parametrize("definition, message", [
    ("(func)", "import after function"),
    ("(global i32 (i32.const 0))", "import after global"),
    ("(table 1 funcref)", "import after table"),
    ("(memory 1)", "import after memory"),
    ("(tag)", "import after tag"),
])
@pytest.mark.parametrize("imported", ['(import "" "" (func))', '(global (import "" "") i32)'])
def test_imports_must_precede_definitions(definition, message, imported):
    malformed(definition + imported, message)
    wat(imported + definition)
    wat('(type (func)) (export "x" (func 0)) (data "") (elem func) ' + imported)


def test_memory_abbreviations():
    m = wat("""
      (memory $a (data "abc" "def"))
      (memory i64 (data))
      (memory (pagesize 1) (data "xyz"))
      (memory 1 2 shared)
      (memory i64 3 (pagesize 65536))
    """)
    assert m.mems == [
        MemType(Limits(1, 1)), MemType(Limits(0, 0), addr64=True),
        MemType(Limits(3, 3), page_size_log2=0), MemType(Limits(1, 2), shared=True),
        MemType(Limits(3), addr64=True)]
    assert [(d.init, d.memory, d.offset) for d in m.datas] == [
        (b"abcdef", 0, ((Op.I32_CONST, 0), END)), (b"", 1, ((Op.I64_CONST, 0), END)),
        (b"xyz", 2, ((Op.I32_CONST, 0), END))]
    assert len(parse_module("(memory (data \"" + "a" * 65537 + "\"))")) > 65537
    assert wat("(memory (data \"" + "a" * 65537 + "\"))").mems[0].limits == Limits(2, 2)


@pytest.mark.parametrize("text", ["(memory 0 (pagesize 3))", "(memory 0 (pagesize 0))",
                                  "(memory (pagesize 0) (data))", "(memory 1 shared 2)"])
def test_bad_memory_types(text):
    malformed(text)


def test_limits_are_u64_literals():
    m = wat("(memory 0x1_0000_0000) (table 0 0x1_0000_0000 funcref) (memory i64 0xffff_ffff_ffff_ffff)")
    assert m.mems[0].limits.min == 1 << 32 and m.tables[0].type.limits.max == 1 << 32
    malformed("(memory i64 0x1_0000_0000_0000_0000)", "out of range")


def test_table_abbreviations():
    m = wat("""
      (type $ft (func))
      (func $f)
      (table $a funcref (elem $f $f))
      (table (ref null $ft) (elem $f))
      (table i64 externref (elem (ref.null extern) (item ref.null extern)))
      (table 2 (ref $ft) (ref.func $f))
      (table i64 1 3 funcref)
    """)
    assert [tb.type for tb in m.tables] == [
        TableType(Limits(2, 2), t.FUNCREF), TableType(Limits(1, 1), RefType(True, 0)),
        TableType(Limits(2, 2), t.EXTERNREF, True), TableType(Limits(2), RefType(False, 0)),
        TableType(Limits(1, 3), t.FUNCREF, True)]
    assert m.tables[3].init == ((Op.REF_FUNC, 0), END)
    assert m.tables[0].init is None
    e0, e1, e2 = m.elems
    assert e0.type == RefType(False, AbsHeapType.FUNC) and e0.table == 0 and len(e0.init) == 2
    assert e1.type == RefType(True, 0) and e1.init == (((Op.REF_FUNC, 0), END),)
    assert e2.table == 2 and e2.offset == ((Op.I64_CONST, 0), END)
    assert e2.init == (((Op.REF_NULL, AbsHeapType.EXTERN), END),) * 2


def test_element_segments():
    m = wat("""
      (table $t 4 funcref) (table $u 4 funcref)
      (func $f) (func $g)
      (elem (i32.const 0) $f $g)
      (elem (i32.const 0) func $f)
      (elem 1 (i32.const 0) $g)
      (elem (table $u) (offset (i32.const 1) (i32.const 1) i32.add) func $g)
      (elem (table $u) (i32.const 0) funcref (ref.func $f) (item (ref.null func)))
      (elem $p funcref (ref.func $f))
      (elem func $f $g)
      (elem declare func $g)
      (elem (ref func) (item ref.func $f))
    """)
    modes = [(e.mode, e.table, e.type) for e in m.elems]
    ref_func = RefType(False, AbsHeapType.FUNC)
    assert modes == [
        (SegmentMode.ACTIVE, 0, ref_func), (SegmentMode.ACTIVE, 0, ref_func),
        (SegmentMode.ACTIVE, 1, ref_func), (SegmentMode.ACTIVE, 1, ref_func),
        (SegmentMode.ACTIVE, 1, t.FUNCREF), (SegmentMode.PASSIVE, 0, t.FUNCREF),
        (SegmentMode.PASSIVE, 0, ref_func), (SegmentMode.DECLARATIVE, 0, ref_func),
        (SegmentMode.PASSIVE, 0, ref_func)]
    assert m.elems[3].offset == ((Op.I32_CONST, 1), (Op.I32_CONST, 1), (Op.I32_ADD,), END)
    assert m.elems[4].init == (((Op.REF_FUNC, 0), END), ((Op.REF_NULL, AbsHeapType.FUNC), END))


def test_data_segments():
    m = wat("""
      (memory $m 1) (memory $n 1)
      (data "passive" "" "x")
      (data $d (i32.const 8) "a")
      (data (memory $n) (offset (i32.const 1)) "b")
      (data 1 (i32.const 2) "c")
      (data (memory 0) (i32.const 3))
    """)
    assert [(d.mode, d.memory, d.init) for d in m.datas] == [
        (SegmentMode.PASSIVE, 0, b"passivex"), (SegmentMode.ACTIVE, 0, b"a"),
        (SegmentMode.ACTIVE, 1, b"b"), (SegmentMode.ACTIVE, 1, b"c"), (SegmentMode.ACTIVE, 0, b"")]
    malformed('(memory 1) (data (i32.const 0) (i32.const 1) "x")')


def test_data_count_section_only_when_code_uses_data_indices():
    assert wat('(memory 1) (data "a") (func)').data_count is None
    assert wat('(memory 1) (data "a") (func (data.drop 0))').data_count == 1
    assert wat('(memory 1) (func (memory.init 0 (i32.const 0) (i32.const 0) (i32.const 0)))').data_count == 0
    assert wat('(type $a (array i8)) (data "a")'
               ' (global (ref $a) (array.new_data $a 0 (i32.const 0) (i32.const 1)))').data_count is None


def test_globals_start_and_tags():
    m = wat("""
      (global $a (mut i64) (i64.const -1))
      (global (ref null func) (ref.null func))
      (global i32 (global.get $a) (i32.wrap_i64))
      (func $s) (start $s)
      (tag $e (param i32 i64)) (type $t (func (param f32))) (tag (type $t))
    """)
    assert m.globals[0].type.mutable and m.globals[0].init == ((Op.I64_CONST, 2**64 - 1), END)
    assert m.globals[2].init == ((Op.GLOBAL_GET, 0), (Op.I32_WRAP_I64,), END)
    assert m.start == 0
    assert m.tags == [TagType(2), TagType(0)]
    malformed("(func $a) (start $a) (start $a)", "multiple start sections")


def test_names_must_be_valid_utf8():
    wat('(func (export "\\u{1F600}\\ce\\bb"))')
    malformed('(func (export "\\ff"))', "UTF-8")
    malformed('(import "\\c0\\80" "x" (func))', "UTF-8")
    malformed('(import "m" "\\ed\\a0\\80" (func))', "UTF-8")


# --- annotations ---------------------------------------------------------------------


def _sections(binary: bytes) -> list[tuple[int, bytes]]:
    """(id, payload start) of each section, for placement checks."""
    out, pos = [], 8
    while pos < len(binary):
        sid = binary[pos]
        size, shift, pos = 0, 0, pos + 1
        while True:
            b = binary[pos]
            pos += 1
            size |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                break
        name = b""
        if sid == 0:
            name = binary[pos + 1:pos + 1 + binary[pos]]
        out.append((sid, name))
        pos += size
    return out


def test_custom_annotations_are_placed_as_asked():
    binary = parse_module("""
      (module
        (@custom "A" "aaa")
        (type $t (func))
        (@custom "B" (after func) "bbb")
        (@custom "C" (before func) "ccc")
        (@custom "D" (after last) "ddd")
        (table 10 funcref)
        (func (type $t))
        (@custom "E" (after import) "eee")
        (@custom "F" (before type) "fff")
        (@custom "G" (after data) "ggg")
        (@custom "H" (after code) "hhh")
        (@custom "I" (before first) "iii"))
    """)
    assert _sections(binary) == [
        (0, b"I"), (0, b"F"), (1, b""), (0, b"E"), (0, b"C"), (3, b""), (0, b"B"), (4, b""),
        (10, b""), (0, b"H"), (0, b"G"), (0, b"A"), (0, b"D")]
    customs = decode_module(binary).customs
    assert [(c.name, c.data) for c in customs][0] == ("I", b"iii")


@pytest.mark.parametrize("text, message", [
    ("(@custom)", "missing section name"),
    ("(@custom 4)", "missing section name"),
    ('(@custom "\\df")', "UTF-8"),
    ('(@custom "a" here)', "unexpected token"),
    ('(@custom "a" (after))', "malformed section kind"),
    ('(@custom "a" (type))', "malformed placement"),
    ('(@custom "a" (before types))', "malformed section kind"),
    ('(func (@custom "a"))', "misplaced @custom annotation"),
    ('(type (@custom "a") (func))', "misplaced @custom annotation"),
    ('(@custom "a") (module)', "misplaced @custom annotation"),
])
def test_malformed_custom_annotations(text, message):
    malformed(text, message)


def test_branch_hints_become_a_code_metadata_section():
    binary = parse_module("""
      (func $f (param i32)
        (@metadata.code.branch_hint "\\01") (if (local.get 0) (then))
        local.get 0 (@metadata.code.branch_hint "\\00") br_if 0)
    """)
    customs = decode_module(binary).customs
    assert [(c.name, c.data, c.after) for c in customs] == [
        # function 0: two hints, at body offsets 3 (the if) and 8 (br_if)
        ("metadata.code.branch_hint", bytes([1, 0, 2, 3, 1, 1, 8, 1, 0]), 3)]
    malformed('(func (@metadata.code.branch_hint "\\00") (@metadata.code.branch_hint "\\00") nop)',
              "duplicate annotation")
    malformed('(@metadata.code.branch_hint "\\00") (func)', "not in a function")
