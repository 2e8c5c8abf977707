"""Execution through the public API: control flow, values, traps, calls."""

from __future__ import annotations

import struct

import pytest

import engine
from engine import TrapCode

from watutil import instantiate, wat2wasm


def test_recursion_and_loops():
    store, ex = instantiate("""
    (module
      (func $fib (export "fib") (param i32) (result i32)
        (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
          (then (local.get 0))
          (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                         (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
      (func (export "sum") (param i32) (result i64) (local i64)
        (block $done
          (loop $next
            (br_if $done (i32.eqz (local.get 0)))
            (local.set 1 (i64.add (local.get 1) (i64.extend_i32_u (local.get 0))))
            (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
            (br $next)))
        (local.get 1)))
    """)
    assert ex["fib"](store, 20) == 6765
    assert ex["sum"](store, 100000) == 5000050000


def test_multi_value_blocks_and_branches_out_of_nested_loops():
    store, ex = instantiate("""
    (module
      (func (export "swap") (param i32 i32) (result i32 i32)
        (local.get 1) (local.get 0))
      (func (export "find") (param $n i32) (result i32 i32)
        ;; the first (i, j) with i * j == n, leaving two nested loops at once
        (local $i i32) (local $j i32)
        (block $found (result i32 i32)
          (local.set $i (i32.const 1))
          (loop $outer
            (local.set $j (i32.const 1))
            (loop $inner
              (br_if $found (local.get $i) (local.get $j)
                (i32.eq (i32.mul (local.get $i) (local.get $j)) (local.get $n)))
              (drop) (drop)
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br_if $inner (i32.le_u (local.get $j) (i32.const 10))))
            (local.set $i (i32.add (local.get $i) (i32.const 2)))
            (br_if $outer (i32.le_u (local.get $i) (i32.const 10))))
          (i32.const -1) (i32.const -1)))
      (func (export "tri") (param $n i32) (result i32) (local $acc i32) (local $k i32)
        ;; 1 + 2 + ... + n with the accumulator and the counter as loop params
        (i32.const 0) (local.get $n)
        (loop $l (param i32 i32) (result i32)
          (local.set $k) (local.set $acc)
          (if (result i32) (i32.eqz (local.get $k))
            (then (local.get $acc))
            (else
              (i32.add (local.get $acc) (local.get $k))
              (i32.sub (local.get $k) (i32.const 1))
              (br $l))))))
    """)
    assert ex["swap"](store, 1, 2) == (2, 1)
    assert ex["find"](store, 21) == (3, 7)
    assert ex["find"](store, 1000) == (-1, -1)
    assert ex["tri"](store, 10) == 55


def test_br_table_many_targets_and_default():
    n = 3000
    blocks = "".join(f"(block $b{i} " for i in range(4))
    text = f"""
    (module
      (func (export "pick") (param i32) (result i32)
        (block $d (block $c (block $b (block $a
          (br_table {' '.join(['$a', '$b', '$c'] * (n // 3))} $d (local.get 0)))
          (return (i32.const 10)))
          (return (i32.const 11)))
          (return (i32.const 12)))
        (i32.const 13)))
    """
    store, ex = instantiate(text)
    assert [ex["pick"](store, i) for i in range(6)] == [10, 11, 12, 10, 11, 12]
    assert ex["pick"](store, n - 1) == 12
    assert ex["pick"](store, n) == 13
    assert ex["pick"](store, 0xFFFFFFFF) == 13
    assert blocks  # (kept for readability of the nesting above)


def _nested_blocks(depth: int) -> str:
    # depth nested blocks, every one targeted from the innermost body
    opens = "".join(f"(block $b{i} " for i in range(depth))
    body = "".join(
        f"(br_if $b{i} (i32.eq (local.get 0) (i32.const {i})))" for i in range(depth)
    )
    closes = "".join(f") (local.set 1 (i32.add (local.get 1) (i32.const {depth - i})))"
                     for i in reversed(range(depth)))
    return f"""
    (module
      (func (export "f") (param i32) (result i32) (local i32)
        {opens} {body} {closes}
        (local.get 1)))
    """


@pytest.mark.parametrize("depth", [5, 40])
def test_deep_nesting_uses_the_general_lowering_when_needed(depth):
    store, ex = instantiate(_nested_blocks(depth))
    f = ex["f"]
    # a branch to block i runs the increments after block i and the blocks around it
    for i in range(depth):
        expected = sum(depth - k for k in range(i + 1))
        assert f(store, i) == expected
    module = engine.Module(engine.Engine(), wat2wasm(_nested_blocks(depth)))
    lowering = module._compiled(0).lowering
    assert lowering == ("flat" if depth > 17 else "structured")


def test_deeply_nested_ifs():
    depth = 150
    text = "(module (func (export \"f\") (param i32) (result i32)"
    text += "".join("(if (result i32) (local.get 0) (then " for _ in range(depth))
    text += "(i32.const 7)"
    text += "".join(") (else (i32.const 3)))" for _ in range(depth))
    text += "))"
    store, ex = instantiate(text)
    assert ex["f"](store, 1) == 7
    assert ex["f"](store, 0) == 3


def test_big_function_translates_in_linear_time():
    import time

    n = 20000
    body = "(local.get 0)" + "(i32.const 3) (i32.add) (i32.const 5) (i32.mul)" * n
    text = f'(module (func (export "f") (param i32) (result i32) {body}))'
    start = time.perf_counter()
    store, ex = instantiate(text)
    expected = 1
    for _ in range(n):
        expected = ((expected + 3) * 5) & 0xFFFFFFFF
    got = ex["f"](store, 1) & 0xFFFFFFFF
    assert got == expected
    assert time.perf_counter() - start < 30


def test_integer_traps():
    store, ex = instantiate("""
    (module
      (func (export "div_s") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
      (func (export "div_u") (param i64 i64) (result i64) (i64.div_u (local.get 0) (local.get 1)))
      (func (export "trunc") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
      (func (export "unreachable") (unreachable)))
    """)
    with pytest.raises(engine.Trap) as e:
        ex["div_s"](store, 1, 0)
    assert e.value.code is TrapCode.INTEGER_DIVIDE_BY_ZERO
    with pytest.raises(engine.Trap) as e:
        ex["div_s"](store, -(2 ** 31), -1)
    assert e.value.code is TrapCode.INTEGER_OVERFLOW
    with pytest.raises(engine.Trap) as e:
        ex["div_u"](store, 5, 0)
    assert e.value.code is TrapCode.INTEGER_DIVIDE_BY_ZERO
    with pytest.raises(engine.Trap) as e:
        ex["trunc"](store, float("nan"))
    assert e.value.code is TrapCode.BAD_CONVERSION_TO_INTEGER
    with pytest.raises(engine.Trap) as e:
        ex["unreachable"](store)
    assert e.value.code is TrapCode.UNREACHABLE


def test_memory_access_bounds_and_f32_signalling_nan_survives_memory():
    store, ex = instantiate("""
    (module
      (memory (export "mem") 1)
      (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
      (func (export "store8") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
      (func (export "copy_f32") (param i32 i32)
        (f32.store (local.get 1) (f32.load (local.get 0))))
      (func (export "ret_f32") (param i32) (result f32) (f32.load (local.get 0))))
    """)
    mem = ex["mem"]
    assert ex["load"](store, 65532) == 0
    with pytest.raises(engine.Trap) as e:
        ex["load"](store, 65533)
    assert e.value.code is TrapCode.MEMORY_OUT_OF_BOUNDS
    with pytest.raises(engine.Trap):
        ex["store8"](store, 65536, 1)
    ex["store8"](store, 65535, 0x1FF)
    assert mem.read(store, 65535, 65536) == b"\xff"
    snan = 0x7FA00001
    mem.write(store, struct.pack("<I", snan), 0)
    ex["copy_f32"](store, 0, 8)
    assert struct.unpack("<I", mem.read(store, 8, 12))[0] == snan
    assert engine.f32_to_bits(ex["ret_f32"](store, 0)) == snan


def test_indirect_calls():
    store, ex = instantiate("""
    (module
      (type $ii (func (param i32) (result i32)))
      (table 3 funcref)
      (elem (i32.const 0) $inc $other)
      (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
      (func $other (param i64) (result i64) (local.get 0))
      (func (export "call") (param i32 i32) (result i32)
        (call_indirect (type $ii) (local.get 1) (local.get 0))))
    """)
    assert ex["call"](store, 0, 41) == 42
    with pytest.raises(engine.Trap) as e:
        ex["call"](store, 1, 0)
    assert e.value.code is TrapCode.BAD_SIGNATURE
    with pytest.raises(engine.Trap) as e:
        ex["call"](store, 2, 0)
    assert e.value.code is TrapCode.INDIRECT_CALL_TO_NULL
    with pytest.raises(engine.Trap) as e:
        ex["call"](store, 3, 0)
    assert e.value.code is TrapCode.TABLE_OUT_OF_BOUNDS


def test_globals_are_shared_between_instances():
    import engine as E

    eng = E.Engine()
    store = E.Store(eng)
    linker = E.Linker(eng)
    a = linker.instantiate(store, E.Module(eng, wat2wasm("""
    (module (global (export "g") (mut i32) (i32.const 5))
      (func (export "bump") (global.set 0 (i32.add (global.get 0) (i32.const 1)))))
    """)))
    linker.define_instance(store, "a", a)
    b = linker.instantiate(store, E.Module(eng, wat2wasm("""
    (module (global (import "a" "g") (mut i32))
      (func (export "get") (result i32) (global.get 0)))
    """)))
    a.exports(store)["bump"](store)
    assert b.exports(store)["get"](store) == 6
    a.exports(store)["g"].set_value(store, -3)
    assert b.exports(store)["get"](store) == -3


def test_host_functions_values_and_errors():
    calls = []

    def log(x, y):
        calls.append((x, y))
        return x + int(y)

    def boom():
        raise ValueError("host failure")

    def imports(store):
        return {
            ("env", "log"): engine.Func(store, engine.FuncType(
                [engine.ValType.i32(), engine.ValType.f64()], [engine.ValType.i64()]), log),
            ("env", "boom"): engine.Func(store, engine.FuncType([], []), boom),
        }

    store, ex = instantiate("""
    (module
      (import "env" "log" (func $log (param i32 f64) (result i64)))
      (import "env" "boom" (func $boom))
      (func (export "f") (result i64) (call $log (i32.const -5) (f64.const 2.5)))
      (func (export "g") (call $boom)))
    """, imports)
    assert ex["f"](store) == -3
    assert calls == [(-5, 2.5)]
    with pytest.raises(engine.Trap) as e:
        ex["g"](store)
    assert e.value.code is TrapCode.HOST
    assert isinstance(e.value.__cause__, ValueError)


def test_unbounded_recursion_traps_and_the_store_keeps_working():
    text = """
    (module
      (func $r (export "r") (param i32) (result i32)
        (i32.add (call $r (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
      (func $d (export "depth") (param i32) (result i32)
        (if (result i32) (local.get 0)
          (then (i32.add (call $d (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))
          (else (i32.const 0)))))
    """
    store, ex = instantiate(text, config=engine.Config(max_call_depth=500))
    with pytest.raises(engine.Trap) as e:
        ex["r"](store, 0)
    assert e.value.code is TrapCode.STACK_OVERFLOW
    assert ex["depth"](store, 400) == 400
    with pytest.raises(engine.Trap) as e:
        ex["depth"](store, 2000)
    assert e.value.code is TrapCode.STACK_OVERFLOW
    assert ex["depth"](store, 10) == 10


def test_bad_arguments_are_usage_errors():
    store, ex = instantiate('(module (func (export "f") (param i32)))')
    with pytest.raises(engine.UsageError):
        ex["f"](store)
    with pytest.raises(engine.UsageError):
        ex["f"](store, "x")
    with pytest.raises(engine.UsageError):
        ex["f"](store, 2 ** 40)
    with pytest.raises(engine.WasmError):
        ex["f"](store, 1.5)


def test_br_table_switch_with_fallthrough_and_outer_targets():
    # case 0 falls into case 1; case 2 leaves through the outer block; the
    # default goes to the function's end
    text = """
    (module
      (func (export "sw") (param i32) (result i32) (local i32)
        (block $out
          (block $c3 (block $c2 (block $c1 (block $c0
            (br_table $c0 $c1 $c2 $out $c3 (local.get 0)))
            (local.set 1 (i32.add (local.get 1) (i32.const 1))))
            (local.set 1 (i32.add (local.get 1) (i32.const 10)))
            (br $c3))
            (local.set 1 (i32.add (local.get 1) (i32.const 100)))
            (br $out))
          (local.set 1 (i32.add (local.get 1) (i32.const 1000))))
        (i32.add (local.get 1) (i32.const 10000))))
    """
    store, ex = instantiate(text)
    assert [ex["sw"](store, i) for i in range(6)] == [11011, 11010, 10100, 10000, 11000, 11000]
    module = engine.Module(engine.Engine(), wat2wasm(text))
    # the three case blocks form a switch; only $c3 (also named by a br)
    # and $out stay Python loops
    assert module.function_source(0).count("while") == 2


def test_call_depth_limit_is_the_configured_budget():
    text = """
    (module
      (func $d (export "depth") (param i32) (result i32)
        (if (result i32) (local.get 0)
          (then (i32.add (call $d (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))
          (else (i32.const 0)))))
    """
    store, ex = instantiate(text, config=engine.Config(max_call_depth=300))
    assert ex["depth"](store, 250) == 250
    with pytest.raises(engine.Trap) as e:
        ex["depth"](store, 450)
    assert e.value.code is TrapCode.STACK_OVERFLOW


def test_config_features_switch_proposals_off():
    simd = wat2wasm('(module (func (export "f") (result v128) (v128.const i32x4 1 2 3 4)))')
    two_memories = wat2wasm("(module (memory 1) (memory 1))")
    everything = engine.Engine()
    engine.Module(everything, simd)
    engine.Module(everything, two_memories)
    all_features = set(engine.Config().features)
    no_simd = engine.Engine(engine.Config(features=all_features - {"simd", "relaxed-simd"}))
    with pytest.raises((engine.MalformedError, engine.InvalidError)):
        engine.Module(no_simd, simd)
    one_memory = engine.Engine(engine.Config(features=all_features - {"multi-memory"}))
    with pytest.raises(engine.InvalidError):
        engine.Module(one_memory, two_memories)
    with pytest.raises(engine.UsageError):
        engine.Config(features={"no-such-proposal"})


def test_general_lowering_handles_exceptions_and_reference_branches():
    depth = 25
    opens = "".join(f"(block $b{i} " for i in range(depth))
    closes = ")" * depth
    # every block is a branch target: too many nested loops for CPython
    targets = "".join(f"(br_if $b{i} (i32.eq (local.get 0) (i32.const {1000 + i})))"
                      for i in range(depth))
    text = f"""
    (module
      (tag $e (param i32))
      (func $thrower (param i32) (if (local.get 0) (then (throw $e (local.get 0)))))
      (func (export "f") (param i32 externref) (result i32)
        (block $caught (result i32)
          {opens}
            {targets}
            (br_if $b3 (i32.eqz (local.get 0)))
            (drop (br_on_null $b7 (local.get 1)))
            (try_table (catch $e $caught) (call $thrower (local.get 0)))
          {closes}
          (i32.const -1)))
    )
    """
    store, ex = instantiate(text)
    module = engine.Module(engine.Engine(), wat2wasm(text))
    assert module._compiled(1).lowering == "flat"
    assert ex["f"](store, 0, "x") == -1       # the br_if leaves early
    assert ex["f"](store, 5, None) == -1      # br_on_null takes the branch
    assert ex["f"](store, 5, "x") == 5        # the exception is caught, with its payload
    assert ex["f"](store, 1010, "x") == -1    # one of the many targets


def test_items_tell_their_types_as_wasmtime_py_does():
    store, ex = instantiate("""
    (module
      (tag (export "e") (param i32))
      (memory (export "m") 1 3)
      (table (export "t") 2 funcref)
      (global (export "g") (mut i64) (i64.const 0))
      (func (export "f") (param i32) (result f64) (f64.const 0)))
    """)
    from engine.syntax import types as T

    assert ex["f"].type(store) == T.FuncType((T.I32,), (T.F64,))
    assert ex["f"].type(store) == engine.FuncType([engine.ValType.i32()], [engine.ValType.f64()])
    assert isinstance(ex["f"].type(store), engine.FuncType)
    assert ex["e"].type(store) == engine.TagType(T.FuncType((T.I32,), ()))
    assert ex["e"].type(store).functype == T.FuncType((T.I32,), ())
    assert ex["m"].type(store) == engine.MemoryType(1, 3)
    assert ex["t"].type(store) == engine.TableType(engine.ValType.funcref(), 2)
    assert ex["g"].type(store) == engine.GlobalType(engine.ValType.i64(), True)
