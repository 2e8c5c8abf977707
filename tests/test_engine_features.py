"""Tail calls, exceptions and GC references through the public API."""

from __future__ import annotations

import pytest

import engine
from engine import TrapCode

from watutil import instantiate, wat2wasm


def test_a_million_tail_calls_run_in_constant_stack():
    store, ex = instantiate("""
    (module
      (func $count (export "count") (param i32 i64) (result i64)
        (if (result i64) (i32.eqz (local.get 0))
          (then (local.get 1))
          (else (return_call $count (i32.sub (local.get 0) (i32.const 1))
                                    (i64.add (local.get 1) (i64.const 2))))))
      (func $even (export "even") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 1))
          (else (return_call $odd (i32.sub (local.get 0) (i32.const 1))))))
      (func $odd (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
          (else (return_call $even (i32.sub (local.get 0) (i32.const 1)))))))
    """, config=engine.Config(max_call_depth=1000))
    assert ex["count"](store, 1_000_000, 0) == 2_000_000
    assert ex["even"](store, 300_001) == 0


def test_mutual_tail_recursion_across_modules_and_into_the_host():
    eng = engine.Engine(engine.Config(max_call_depth=1000))
    store = engine.Store(eng)
    linker = engine.Linker(eng)
    seen = []
    linker.define_func("host", "done", engine.FuncType([engine.ValType.i32()], [engine.ValType.i32()]),
                       lambda x: seen.append(x) or x + 1000)
    a = linker.instantiate(store, engine.Module(eng, wat2wasm("""
    (module
      (import "host" "done" (func $done (param i32) (result i32)))
      (type $f (func (param i32) (result i32)))
      (table (export "t") 1 funcref)
      (func (export "pong") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0))
          (then (return_call $done (i32.const 7)))
          (else (return_call_indirect (type $f) (i32.sub (local.get 0) (i32.const 1))
                                                (i32.const 0))))))
    """)))
    linker.define_instance(store, "a", a)
    b = linker.instantiate(store, engine.Module(eng, wat2wasm("""
    (module
      (import "a" "pong" (func $pong (param i32) (result i32)))
      (import "a" "t" (table 1 funcref))
      (elem (i32.const 0) $ping)
      (func $ping (export "ping") (param i32) (result i32)
        (return_call $pong (local.get 0))))
    """)))
    assert b.exports(store)["ping"](store, 200_000) == 1007
    assert seen == [7]


def test_exceptions_cross_the_host_boundary_both_ways():
    def imports(store):
        tag = engine.Tag(store, engine.FuncType([engine.ValType.i32(), engine.ValType.i64()], []))

        def host_throw(x):
            raise engine.WasmException(tag, (x, -1))

        return {
            ("env", "tag"): tag,
            ("env", "throw"): engine.Func(store, engine.FuncType([engine.ValType.i32()], []), host_throw),
        }

    store, ex = instantiate("""
    (module
      (import "env" "tag" (tag $e (param i32 i64)))
      (import "env" "throw" (func $throw (param i32)))
      (func (export "catch") (param i32) (result i32 i64)
        (block $h (result i32 i64)
          (try_table (catch $e $h) (call $throw (local.get 0)))
          (i32.const 0) (i64.const 0)))
      (func (export "uncaught") (param i32)
        (throw $e (local.get 0) (i64.const 5)))
      (func (export "trap-not-caught") (result i32)
        (block $h (result exnref)
          (try_table (catch_all_ref $h) (unreachable))
          (return (i32.const 1)))
        (drop) (i32.const 2)))
    """, imports)
    assert ex["catch"](store, 42) == (42, -1)
    with pytest.raises(engine.WasmException) as e:
        ex["uncaught"](store, -3)
    assert e.value.payload == (-3, 5)
    with pytest.raises(engine.Trap) as t:
        ex["trap-not-caught"](store)
    assert t.value.code is TrapCode.UNREACHABLE


def test_gc_structs_arrays_and_i31_round_trip_through_the_host():
    store, ex = instantiate("""
    (module
      (type $pt (struct (field (mut i32)) (field i8)))
      (type $bytes (array (mut i8)))
      (func (export "make") (param i32) (result (ref $pt))
        (struct.new $pt (local.get 0) (i32.const 0x1FF)))
      (func (export "get0") (param (ref null $pt)) (result i32) (struct.get $pt 0 (local.get 0)))
      (func (export "get1s") (param (ref $pt)) (result i32) (struct.get_s $pt 1 (local.get 0)))
      (func (export "arr") (param i32) (result (ref $bytes))
        (array.new $bytes (i32.const 300) (local.get 0)))
      (func (export "at") (param (ref $bytes) i32) (result i32)
        (array.get_u $bytes (local.get 0) (local.get 1)))
      (func (export "i31") (param i32) (result i31ref) (ref.i31 (local.get 0)))
      (func (export "is_i31") (param anyref) (result i32) (ref.test i31ref (local.get 0)))
      (func (export "cast") (param anyref) (result (ref $pt)) (ref.cast (ref $pt) (local.get 0))))
    """)
    p = ex["make"](store, 5)
    assert isinstance(p, engine.StructRef)
    assert ex["get0"](store, p) == 5
    assert ex["get1s"](store, p) == -1
    with pytest.raises(engine.Trap) as t:
        ex["get0"](store, None)
    assert t.value.code is TrapCode.NULL_REFERENCE
    a = ex["arr"](store, 3)
    assert isinstance(a, engine.ArrayRef)
    assert ex["at"](store, a, 2) == 300 & 0xFF
    with pytest.raises(engine.Trap) as t:
        ex["at"](store, a, 3)
    assert t.value.code is TrapCode.ARRAY_OUT_OF_BOUNDS
    r = ex["i31"](store, -1)
    assert r == engine.I31Ref(0x7FFFFFFF)
    assert ex["is_i31"](store, r) == 1
    assert ex["is_i31"](store, p) == 0
    assert ex["cast"](store, p) is p
    with pytest.raises(engine.Trap) as t:
        ex["cast"](store, a)
    assert t.value.code is TrapCode.CAST_FAILURE
