"""Fuel metering through the embedding API: Config(consume_fuel=True),
FuelCosts, store.set_fuel / get_fuel, and the OUT_OF_FUEL trap."""

from __future__ import annotations

import pytest

import engine
from engine import FuelCosts, TrapCode

from watutil import wat2wasm

# $spin counts its iterations in a global. Fuel is charged per region: the
# function (outside loops: the loop instruction and the final end, 2) on
# entry, and the loop body (global.get, i32.const, i32.add, global.set, br
# and the loop's end, 6) at the top of every iteration.
SPIN = """
(module
  (global $count (export "count") (mut i32) (i32.const 0))
  (func (export "spin")
    (loop $l
      (global.set $count (i32.add (global.get $count) (i32.const 1)))
      (br $l)))
  (func $leaf (result i32) (i32.const 7))
  (func (export "call_leaf") (result i32) (call $leaf))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (memory (export "mem") 1)
  (func (export "fill") (param i32) (memory.fill (i32.const 0) (i32.const 0) (local.get 0))))
"""


def _instance(text: str = SPIN, costs: FuelCosts | None = None, fuel: int | None = None):
    eng = engine.Engine(engine.Config(consume_fuel=True, fuel_costs=costs))
    store = engine.Store(eng)
    inst = engine.Linker(eng).instantiate(store, engine.Module(eng, wat2wasm(text)))
    if fuel is not None:
        store.set_fuel(fuel)
    return store, inst.exports(store)


def _spin(store, ex, fuel: int) -> int:
    """Iterations of $spin that ``fuel`` pays for (the counter is reset)."""
    ex["count"].set_value(store, 0)
    store.set_fuel(fuel)
    with pytest.raises(engine.Trap) as e:
        ex["spin"](store)
    assert e.value.code is TrapCode.OUT_OF_FUEL
    assert str(e.value) == "all fuel consumed"
    return ex["count"].value(store)


def test_an_infinite_loop_is_stopped_then_the_store_is_refuelled_and_reused():
    store, ex = _instance(fuel=10_000)
    with pytest.raises(engine.Trap) as e:
        ex["spin"](store)
    assert e.value.code is TrapCode.OUT_OF_FUEL
    stopped_at = ex["count"].value(store)
    assert 0 < stopped_at < 10_000
    assert store.get_fuel() < 6  # not enough left for one more iteration

    store.set_fuel(100)
    assert ex["add"](store, 2, 3) == 5  # the same store runs again
    assert store.get_fuel() < 100
    store.set_fuel(10_000)
    with pytest.raises(engine.Trap):
        ex["spin"](store)
    assert ex["count"].value(store) == 2 * stopped_at


def test_the_stop_point_is_deterministic_and_documented():
    store, ex = _instance()
    for fuel in (0, 1, 2, 7, 8, 9, 1000, 12_345):
        count = _spin(store, ex, fuel)
        # the entry charge (2) first, then 6 per iteration; a charge that
        # cannot be paid in full traps before its region runs
        if fuel < 2:
            assert count == 0 and store.get_fuel() == fuel
        else:
            assert count == (fuel - 2) // 6
            assert store.get_fuel() == (fuel - 2) % 6
        assert _spin(store, ex, fuel) == count  # same fuel, same stop point
    other_store, other_ex = _instance()  # another engine and store agree
    assert _spin(other_store, other_ex, 12_345) == _spin(store, ex, 12_345)


def test_fuel_is_spent_across_calls_and_a_new_store_starts_empty():
    store, ex = _instance()
    assert store.get_fuel() == 0
    with pytest.raises(engine.Trap) as e:
        ex["add"](store, 1, 2)
    assert e.value.code is TrapCode.OUT_OF_FUEL
    store.set_fuel(50)
    ex["add"](store, 1, 2)
    once = 50 - store.get_fuel()
    ex["add"](store, 1, 2)
    assert 50 - store.get_fuel() == 2 * once > 0


def test_costs_follow_fuel_costs():
    cheap_store, cheap = _instance(fuel=1000)
    dear_store, dear = _instance(costs=FuelCosts(instruction=2), fuel=1000)
    assert _spin(cheap_store, cheap, 1001) == (1001 - 2) // 6
    assert _spin(dear_store, dear, 1001) == (1001 - 4) // 12

    def spent(store, fn, *args):
        before = store.get_fuel()
        fn(store, *args)
        return before - store.get_fuel()

    plain_store, plain = _instance(fuel=10**6)
    calls_store, calls = _instance(costs=FuelCosts(call=50), fuel=10**6)
    assert spent(calls_store, calls["call_leaf"]) - spent(plain_store, plain["call_leaf"]) == 49

    # memory.fill: one unit per 64 bytes by default, per 2**shift bytes
    assert spent(plain_store, plain["fill"], 6400) - spent(plain_store, plain["fill"], 0) == 100
    shift_store, shifted = _instance(costs=FuelCosts(per_byte_shift=0), fuel=10**6)
    assert spent(shift_store, shifted["fill"], 6400) - spent(shift_store, shifted["fill"], 0) == 6400


def test_a_bulk_operation_that_cannot_be_paid_does_not_run():
    store, ex = _instance(costs=FuelCosts(per_byte_shift=0), fuel=100)
    mem = ex["mem"]
    mem.write(store, b"\x01" * 1000)
    with pytest.raises(engine.Trap) as e:
        ex["fill"](store, 1000)
    assert e.value.code is TrapCode.OUT_OF_FUEL
    assert mem.read(store, 0, 1000) == b"\x01" * 1000


def test_fuel_traps_deep_in_a_call_chain_and_stores_are_independent():
    text = """
    (module
      (func $down (export "down") (param i32) (result i32)
        (if (result i32) (local.get 0)
          (then (call $down (i32.sub (local.get 0) (i32.const 1))))
          (else (i32.const 42)))))
    """
    eng = engine.Engine(engine.Config(consume_fuel=True))
    module = engine.Module(eng, wat2wasm(text))
    a, b = engine.Store(eng), engine.Store(eng)
    fa = engine.Linker(eng).instantiate(a, module).exports(a)["down"]
    fb = engine.Linker(eng).instantiate(b, module).exports(b)["down"]
    a.set_fuel(10**6)
    b.set_fuel(10)
    assert fa(a, 500) == 42
    with pytest.raises(engine.Trap) as e:
        fb(b, 500)
    assert e.value.code is TrapCode.OUT_OF_FUEL
    assert a.get_fuel() > 0
    a.set_fuel(10**6)
    assert fa(a, 10) == 42  # a trap elsewhere left this store untouched


def test_no_fuel_bookkeeping_is_generated_with_fuel_off():
    off = engine.Module(engine.Engine(), wat2wasm(SPIN))
    on = engine.Module(engine.Engine(engine.Config(consume_fuel=True)), wat2wasm(SPIN))
    n = len(off._syntax.funcs)
    for i in range(n):
        assert "FUEL" not in off.function_source(i)
    assert all("FUEL" in on.function_source(i) for i in range(n))


def test_fuel_api_misuse_is_a_usage_error():
    store = engine.Store(engine.Engine())
    with pytest.raises(engine.UsageError):
        store.set_fuel(10)
    with pytest.raises(engine.UsageError):
        store.get_fuel()
    fueled = engine.Store(engine.Engine(engine.Config(consume_fuel=True)))
    for bad in (-1, 1.5, "10", True, None):
        with pytest.raises(engine.UsageError):
            fueled.set_fuel(bad)
    for bad in ({"instruction": -1}, {"call": 1.0}, {"per_byte_shift": 65}, {"per_page": None}):
        with pytest.raises(engine.UsageError):
            FuelCosts(**bad)
    with pytest.raises(engine.UsageError):
        engine.Config(consume_fuel=True, fuel_costs={"instruction": 1})
