"""Instructions in the text format: every family, flat and folded forms,
labels, optional indices, memory arguments, vector constants and the
malformed cases of each."""

from __future__ import annotations

import pytest

from engine.binary import decode_module
from engine.errors import MalformedError
from engine.syntax import CatchKind, Op
from engine.syntax import types as t
from engine.syntax.types import AbsHeapType, RefType
from engine.text import parse_module

END = (Op.END,)

PRELUDE = """
  (type $ft (func (param i32) (result i32)))
  (type $s (struct (field $a i32) (field $b (mut i64)) (field $c i8)))
  (type $arr (array (mut i32)))
  (memory $m0 1) (memory $m1 1)
  (table $t0 1 funcref) (table $t1 1 funcref)
  (global $g (mut i32) (i32.const 0))
  (tag $e (param i32)) (tag $e0)
  (data $d "")
  (elem $el func)
  (func $f (param i32) (result i32) (local.get 0))
"""


def body(code: str, sig: str = "") -> tuple:
    """The decoded body of one function written after PRELUDE."""
    m = decode_module(parse_module(f"(module {PRELUDE} (func {sig} {code}))"))
    return m.funcs[-1].body


def malformed(code: str, message: str = ".", sig: str = "") -> None:
    with pytest.raises(MalformedError, match=message):
        parse_module(f"(module {PRELUDE} (func {sig} {code}))")


# --- folded and flat forms -------------------------------------------------------


def test_folded_instructions_unfold_operands_first():
    flat = body("local.get $x i32.const 2 i32.add i32.const 3 i32.mul drop", "(param $x i32)")
    folded = body("(drop (i32.mul (i32.add (local.get $x) (i32.const 2)) (i32.const 3)))",
                  "(param $x i32)")
    assert flat == folded == ((Op.LOCAL_GET, 0), (Op.I32_CONST, 2), (Op.I32_ADD,),
                              (Op.I32_CONST, 3), (Op.I32_MUL,), (Op.DROP,), END)


def test_folded_operands_may_be_flat_instructions():
    assert body("(drop i32.const 1)") == ((Op.I32_CONST, 1), (Op.DROP,), END)


def test_blocks_flat_and_folded():
    expected = ((Op.BLOCK, None), (Op.LOOP, t.I32), (Op.I32_CONST, 1), END, (Op.DROP,), END, END)
    assert body("block loop (result i32) i32.const 1 end drop end") == expected
    assert body("(block (loop (result i32) (i32.const 1)) (drop))") == expected


def test_if_forms():
    expected = ((Op.LOCAL_GET, 0), (Op.IF, t.I32), (Op.I32_CONST, 1), (Op.ELSE,),
                (Op.I32_CONST, 2), END, (Op.DROP,), END)
    sig = "(param i32)"
    assert body("local.get 0 if (result i32) i32.const 1 else i32.const 2 end drop", sig) == expected
    assert body("(drop (if (result i32) (local.get 0) (then (i32.const 1)) (else (i32.const 2))))",
                sig) == expected
    # Without else; an empty (else) stays an explicit else.
    assert body("(if (local.get 0) (then nop))", sig) == (
        (Op.LOCAL_GET, 0), (Op.IF, None), (Op.NOP,), END, END)
    assert body("(if (local.get 0) (then) (else))", sig)[1:4] == ((Op.IF, None), (Op.ELSE,), END)
    for bad in ("(if (local.get 0))", "(if (local.get 0) (else) (then))",
                "(if (local.get 0) nop (then))", "(if (then) (then))",
                "(if (local.get 0) (then) (else) (else))", "if end end", "else", "end",
                "(block end)", "block", "(then)"):
        malformed(bad, sig=sig)


def test_labels():
    code = """
      (block $outer (result i32)
        (block $inner
          (br $outer (i32.const 1))
          (br $inner)
          (br_if 1 (i32.const 0) (i32.const 1))
          (br_table $inner $outer 0 (i32.const 2) (i32.const 0)))
        (i32.const 3))
      drop
    """
    b = body(code)
    assert (Op.BR, 1) in b and (Op.BR, 0) in b and (Op.BR_IF, 1) in b
    assert (Op.BR_TABLE, (0, 1), 0) in b
    # Shadowing: the innermost label of a name wins.
    assert body("(block $l (block $l (br $l)))")[2] == (Op.BR, 0)
    assert body("block $a block $b end $b end $a")[:2] == ((Op.BLOCK, None), (Op.BLOCK, None))
    assert body("(if $l (i32.const 0) (then (br $l)))")[2] == (Op.BR, 0)
    malformed("(block $l) (br $l)", "unknown label")
    malformed("block end $l", "mismatching label")
    malformed("block $a end $b", "mismatching label")
    malformed("i32.const 0 if $a else $b end", "mismatching label")
    malformed("i32.const 0 if $a else end $b", "mismatching label")
    malformed("(block (br_table))")


def test_block_types():
    b = body("""(block (param i32) (result i32) (local.get 0))
                (block (type $ft) (local.get 0)) drop
                (block (type $ft) (param i32) (result i32)) drop
                (block (result i32 i64) unreachable) unreachable""", "(param i32) (result i32)")
    opens = [ins for ins in b if ins[0] == Op.BLOCK]
    assert opens[0] == (Op.BLOCK, 0) and opens[1] == (Op.BLOCK, 0) and opens[2] == (Op.BLOCK, 0)
    assert isinstance(opens[3][1], int) and opens[3][1] > 2
    malformed("(block (type $ft) (param i64))", "inline function type")


def test_deep_nesting_does_not_exhaust_the_stack():
    depth = 20000
    code = "(block " * depth + ")" * depth
    assert len(body(code)) == 2 * depth + 1
    code = "block " * depth + "end " * depth
    assert len(body(code)) == 2 * depth + 1
    code = "(i32.const 1) " + "(i32.eqz " * depth + "(i32.const 0)" + ")" * depth + " drop drop"
    assert len(body(code)) == depth + 5


# --- calls, variables, parametric -----------------------------------------------------


def test_calls():
    b = body("""(call $f (i32.const 0)) drop
                (call_indirect (type $ft) (i32.const 1) (i32.const 0)) drop
                (call_indirect $t1 (param i32) (result i32) (i32.const 1) (i32.const 0)) drop
                (return_call_indirect 0 (type $ft) (local.get 0) (i32.const 0))""",
             "(param i32) (result i32)")
    calls = [ins for ins in b if ins[0] in (Op.CALL, Op.CALL_INDIRECT, Op.RETURN_CALL_INDIRECT)]
    assert calls == [(Op.CALL, 0), (Op.CALL_INDIRECT, 0, 0), (Op.CALL_INDIRECT, 0, 1),
                     (Op.RETURN_CALL_INDIRECT, 0, 0)]
    assert body("(call_ref $ft (i32.const 0) (ref.null $ft)) drop")[2] == (Op.CALL_REF, 0)
    assert body("(return_call $f (i32.const 0))")[1] == (Op.RETURN_CALL, 0)


def test_variables_and_parametric():
    b = body("""(local.set $y (local.tee $x (local.get 0))) (global.set $g (global.get 0))
                (drop (select (i32.const 1) (i32.const 2) (i32.const 3)))
                (drop (select (result i32) (result) (i32.const 1) (i32.const 2) (i32.const 3)))
                unreachable nop""", "(param $x i32) (local $y i32)")
    assert (Op.LOCAL_TEE, 0) in b and (Op.LOCAL_SET, 1) in b and (Op.GLOBAL_SET, 0) in b
    assert (Op.SELECT,) in b and (Op.SELECT_T, (t.I32,)) in b


# --- tables and memories ------------------------------------------------------------------


def test_table_instructions_default_to_table_zero():
    b = body("""(drop (table.get (i32.const 0))) (drop (table.get $t1 (i32.const 0)))
                (drop (table.size)) (drop (table.grow 1 (ref.null func) (i32.const 1)))
                (table.fill $t1 (i32.const 0) (ref.null func) (i32.const 0))
                (table.copy (i32.const 0) (i32.const 0) (i32.const 0))
                (table.copy $t1 $t0 (i32.const 0) (i32.const 0) (i32.const 0))
                (table.init $el (i32.const 0) (i32.const 0) (i32.const 0))
                (table.init $t1 $el (i32.const 0) (i32.const 0) (i32.const 0))
                (elem.drop $el)""")
    ops = [ins for ins in b if ins[0].name.startswith(("TABLE", "ELEM"))]
    assert ops == [(Op.TABLE_GET, 0), (Op.TABLE_GET, 1), (Op.TABLE_SIZE, 0), (Op.TABLE_GROW, 1),
                   (Op.TABLE_FILL, 1), (Op.TABLE_COPY, 0, 0), (Op.TABLE_COPY, 1, 0),
                   (Op.TABLE_INIT, 0, 0), (Op.TABLE_INIT, 0, 1), (Op.ELEM_DROP, 0)]


def test_memory_arguments():
    b = body("""(drop (i32.load (i32.const 0)))
                (drop (i64.load offset=8 align=4 (i32.const 0)))
                (drop (i32.load8_u $m1 offset=0x10 (i32.const 0)))
                (drop (f64.load 1 align=1 (i32.const 0)))
                (i64.store32 offset=18446744073709551615 (i32.const 0) (i64.const 0))
                (drop (memory.size $m1)) (drop (memory.grow (i32.const 1)))
                (memory.fill 1 (i32.const 0) (i32.const 0) (i32.const 0))
                (memory.copy $m1 $m0 (i32.const 0) (i32.const 0) (i32.const 0))
                (memory.copy (i32.const 0) (i32.const 0) (i32.const 0))
                (memory.init $m1 $d (i32.const 0) (i32.const 0) (i32.const 0))
                (memory.init $d (i32.const 0) (i32.const 0) (i32.const 0))
                (data.drop $d)""")
    loads = [ins for ins in b if ins[0].name.endswith(("LOAD", "LOAD8_U", "STORE32"))]
    assert loads == [(Op.I32_LOAD, 2, 0, 0), (Op.I64_LOAD, 2, 8, 0), (Op.I32_LOAD8_U, 0, 16, 1),
                     (Op.F64_LOAD, 0, 0, 1), (Op.I64_STORE32, 2, 2**64 - 1, 0)]
    others = [ins for ins in b if ins[0].name.startswith(("MEMORY", "DATA"))]
    assert others == [(Op.MEMORY_SIZE, 1), (Op.MEMORY_GROW, 0), (Op.MEMORY_FILL, 1),
                      (Op.MEMORY_COPY, 1, 0), (Op.MEMORY_COPY, 0, 0), (Op.MEMORY_INIT, 0, 1),
                      (Op.MEMORY_INIT, 0, 0), (Op.DATA_DROP, 0)]


@pytest.mark.parametrize("code", [
    "(drop (i32.load align=0 (i32.const 0)))",
    "(drop (i32.load align=3 (i32.const 0)))",
    "(drop (i32.load align=-1 (i32.const 0)))",
    "(drop (i32.load align=4 offset=0 (i32.const 0)))",
    "(drop (i32.load offset=-1 (i32.const 0)))",
    "(drop (i32.load offset=18446744073709551616 (i32.const 0)))",
    "(drop (i32.load offset = 4 (i32.const 0)))",
    "(drop (i32.load align=(i32.const 0)))",
])
def test_bad_memory_arguments(code):
    malformed(code)


def test_natural_alignments():
    b = body("""(drop (i64.load16_s (i32.const 0))) (drop (v128.load (i32.const 0)))
                (drop (v128.load8x8_u (i32.const 0))) (drop (v128.load32_splat (i32.const 0)))
                (drop (i64.atomic.rmw8.add_u (i32.const 0) (i64.const 0)))
                (drop (memory.atomic.wait64 (i32.const 0) (i64.const 0) (i64.const 0)))
                (drop (memory.atomic.notify (i32.const 0) (i32.const 0)))""")
    aligns = [ins[1] for ins in b if len(ins) == 4]
    assert aligns == [1, 4, 3, 2, 0, 3, 2]


# --- numeric and vector ----------------------------------------------------------------


def test_vector_constants():
    b = body("""v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 -1 drop
                v128.const i16x8 -1 0 0 0 0 0 0 0xffff drop
                v128.const i32x4 1 2 3 -0x8000_0000 drop
                v128.const i64x2 -1 1 drop
                v128.const f32x4 1.0 -0 nan:0x1 inf drop
                v128.const f64x2 -nan 0x1p-1074 drop""")
    consts = [ins[1] for ins in b if ins[0] == Op.V128_CONST]
    assert consts[0] == int.from_bytes(bytes(range(15)) + b"\xff", "little")
    assert consts[1] == 0xFFFF << 112 | 0xFFFF
    assert consts[2] == 0x80000000_00000003_00000002_00000001
    assert consts[3] == 1 << 64 | (2**64 - 1)
    assert consts[4] == 0x7F800000_7F800001_80000000_3F800000
    assert consts[5] == 1 << 64 | 0xFFF8000000000000
    for bad in ("v128.const i8x16 0 drop", "v128.const i32x4 0 0 0 0 0 drop", "v128.const drop",
                "v128.const i32x8 0 0 0 0 0 0 0 0 drop", "v128.const i8x16 256 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 drop",
                "v128.const f32x4 0 0 0 1e39 drop", "v128.const i32x4 nan 0 0 0 drop"):
        malformed(bad)


def test_lanes_and_shuffles():
    b = body("""(i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 31 (local.get 0) (local.get 0))
                (i8x16.extract_lane_s 15) drop
                (f64x2.replace_lane 1 (local.get 0) (f64.const 0)) drop
                (v128.load8_lane 1 (i32.const 0) (local.get 0)) drop
                (v128.load16_lane 1 2 (i32.const 0) (local.get 0)) drop
                (v128.load32_lane $m1 offset=4 3 (i32.const 0) (local.get 0)) drop
                (v128.store64_lane align=4 1 (i32.const 0) (local.get 0))""", "(param v128)")
    assert b[2] == (Op.I8X16_SHUFFLE, tuple(range(15)) + (31,))
    assert b[3] == (Op.I8X16_EXTRACT_LANE_S, 15)
    lanes = [ins for ins in b if len(ins) == 5]
    assert lanes == [(Op.V128_LOAD8_LANE, 0, 0, 0, 1), (Op.V128_LOAD16_LANE, 1, 0, 1, 2),
                     (Op.V128_LOAD32_LANE, 2, 4, 1, 3), (Op.V128_STORE64_LANE, 2, 0, 0, 1)]
    malformed("(i8x16.shuffle 0 1 2 (local.get 0) (local.get 0))", "invalid lane length", "(param v128)")
    malformed("(drop (i8x16.extract_lane_u 256 (local.get 0)))", "out of range", "(param v128)")
    malformed("(drop (i8x16.extract_lane_u (local.get 0)))", sig="(param v128)")


def test_numeric_and_wide_arithmetic():
    b = body("""(drop (i32.add (i32.const 1) (i32.const 2)))
                (drop (f32x4.relaxed_madd (v128.const i32x4 0 0 0 0) (v128.const i32x4 0 0 0 0)
                                          (v128.const i32x4 0 0 0 0)))
                (drop (drop (i64.add128 (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4))))
                (drop (i32.trunc_sat_f64_u (f64.const 1)))""")
    assert (Op.I64_ADD128,) in b and (Op.F32X4_RELAXED_MADD,) in b and (Op.I32_TRUNC_SAT_F64_U,) in b


@pytest.mark.parametrize("name", [
    "i32.wrap/i64", "get_local", "i32.trunc_s:sat/f32", "current_memory", "anyfunc", "i32.foo",
    "I32.add", "i32.add2", "select_t", "else_",
])
def test_unknown_operators(name):
    malformed(f"({name})", "unknown operator")


def test_atomics():
    b = body("""(drop (i32.atomic.load (i32.const 0)))
                (i64.atomic.store32 $m1 offset=4 (i32.const 0) (i64.const 0))
                (drop (i32.atomic.rmw.cmpxchg (i32.const 0) (i32.const 0) (i32.const 0)))
                atomic.fence""")
    assert b[1] == (Op.I32_ATOMIC_LOAD, 2, 0, 0)
    assert (Op.I64_ATOMIC_STORE32, 2, 4, 1) in b and (Op.ATOMIC_FENCE,) in b


# --- references and GC ----------------------------------------------------------------------


def test_reference_instructions():
    b = body("""(drop (ref.null func)) (drop (ref.null $ft)) (drop (ref.null none))
                (drop (ref.is_null (ref.func $f))) (drop (ref.as_non_null (ref.func $f)))
                (drop (ref.eq (ref.null eq) (ref.null eq)))
                (drop (ref.test (ref null $s) (ref.null any)))
                (drop (ref.cast anyref (ref.null any)))
                (drop (ref.i31 (i32.const 1))) (drop (i31.get_u (ref.null i31)))
                (drop (any.convert_extern (ref.null extern)))""")
    assert (Op.REF_NULL, AbsHeapType.FUNC) in b and (Op.REF_NULL, 0) in b
    assert (Op.REF_TEST, RefType(True, 1)) in b and (Op.REF_CAST, t.ANYREF) in b
    binary = parse_module(f"(module {PRELUDE} (func (drop (ref.test (ref $s) (ref.null any)))"
                          " (drop (ref.test (ref null $s) (ref.null any)))))")
    assert bytes([0xFB, 20, 1]) in binary and bytes([0xFB, 21, 1]) in binary


def test_gc_instructions():
    b = body("""(drop (struct.new $s (i32.const 1) (i64.const 2) (i32.const 3)))
                (drop (struct.new_default $s))
                (drop (struct.get $s $b (ref.null $s))) (drop (struct.get_s $s 2 (ref.null $s)))
                (struct.set $s $b (ref.null $s) (i64.const 0))
                (drop (array.new $arr (i32.const 0) (i32.const 1)))
                (drop (array.new_fixed $arr 2 (i32.const 0) (i32.const 1)))
                (drop (array.new_data $arr $d (i32.const 0) (i32.const 1)))
                (drop (array.new_elem $arr $el (i32.const 0) (i32.const 1)))
                (array.copy $arr $arr (ref.null $arr) (i32.const 0) (ref.null $arr) (i32.const 0) (i32.const 0))
                (drop (array.len (ref.null $arr)))
                (block $l (result anyref) (br_on_cast $l anyref (ref $s) (ref.null any)))
                drop
                (block $l (result anyref) (br_on_cast_fail 0 (ref null any) (ref null $s) (ref.null any)))
                drop""")
    assert (Op.STRUCT_GET, 1, 1) in b and (Op.STRUCT_GET_S, 1, 2) in b and (Op.STRUCT_SET, 1, 1) in b
    assert (Op.ARRAY_NEW_FIXED, 2, 2) in b and (Op.ARRAY_NEW_DATA, 2, 0) in b
    assert (Op.ARRAY_NEW_ELEM, 2, 0) in b and (Op.ARRAY_COPY, 2, 2) in b
    assert (Op.BR_ON_CAST, 0, t.ANYREF, RefType(False, 1)) in b
    assert (Op.BR_ON_CAST_FAIL, 0, t.ANYREF, RefType(True, 1)) in b


# --- exceptions ----------------------------------------------------------------------------


def test_try_table():
    b = body("""(block $h (result i32 exnref)
                  (try_table (catch $e 0) (catch_ref $e $h) (catch_all 1) (catch_all_ref $h)
                    (throw $e (i32.const 1))))
                unreachable""")
    assert b[1] == (Op.TRY_TABLE, None, (
        (CatchKind.CATCH, 0, 0), (CatchKind.CATCH_REF, 0, 0), (CatchKind.CATCH_ALL, None, 1),
        (CatchKind.CATCH_ALL_REF, None, 0)))
    flat = body("block $h try_table $t (result i32) (catch_all $h) i32.const 0 end $t drop end")
    assert flat[1] == (Op.TRY_TABLE, t.I32, ((CatchKind.CATCH_ALL, None, 0),))
    malformed("(try_table (catch $e) nop)")
    malformed("(try_table (catch_all $e 0))")


def test_legacy_exceptions():
    b = body("""(try $t (result i32) (do (i32.const 1))
                  (catch $e (rethrow $t)) (catch $e0 (i32.const 2)) (catch_all (i32.const 3)))
                drop
                (try (do (try (do) (delegate 0))))""")
    assert b[:8] == ((Op.TRY, t.I32), (Op.I32_CONST, 1), (Op.CATCH, 0), (Op.RETHROW, 0),
                     (Op.CATCH, 1), (Op.I32_CONST, 2), (Op.CATCH_ALL,), (Op.I32_CONST, 3))
    assert b[10:] == ((Op.TRY, None), (Op.TRY, None), (Op.DELEGATE, 0), END, END)
    flat = body("try $t catch $e drop catch_all end")
    malformed("try try delegate $t end")
    assert body("block $l try delegate $l end") == (
        (Op.BLOCK, None), (Op.TRY, None), (Op.DELEGATE, 0), END, END)
    assert flat[:4] == ((Op.TRY, None), (Op.CATCH, 0), (Op.DROP,), (Op.CATCH_ALL,))
    for bad in ("(try (catch $e))", "(try (do) (catch_all) (catch $e))",
                "(try (do) (catch_all) (catch_all))", "(try (do) (catch $e) (delegate 0))",
                "try catch_all catch $e end", "try catch $e delegate 0"):
        malformed(bad)
