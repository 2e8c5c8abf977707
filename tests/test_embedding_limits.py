"""Resource limits: store caps (StoreLimits) on memory and table sizes and
on instance, memory and table counts; the Config call-depth limit."""

from __future__ import annotations

import pytest

import engine
from engine import MemoryType, StoreLimits, TableType, TrapCode, ValType

from watutil import wat2wasm

PAGE = 65536

GROWER = """
(module
  (memory (export "mem") 1)
  (table (export "tab") 1 funcref)
  (func (export "grow_mem") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "grow_tab") (param i32) (result i32) (table.grow (ref.null func) (local.get 0))))
"""


def _store(limits=None, config=None):
    eng = engine.Engine(config)
    return eng, engine.Store(eng, limits=limits)


def _instantiate(eng, store, text):
    return engine.Linker(eng).instantiate(store, engine.Module(eng, wat2wasm(text)))


def test_memory_growth_past_the_store_cap_fails_as_grow_does():
    eng, store = _store(StoreLimits(memory_size=3 * PAGE))
    ex = _instantiate(eng, store, GROWER).exports(store)
    assert ex["grow_mem"](store, 1) == 1
    assert ex["grow_mem"](store, 2) == -1  # 4 pages > 3
    assert ex["grow_mem"](store, 1) == 2
    assert ex["grow_mem"](store, 1) == -1
    assert ex["grow_mem"](store, 0) == 3
    assert ex["mem"].size(store) == 3
    with pytest.raises(engine.UsageError):
        ex["mem"].grow(store, 1)


def test_table_growth_past_the_store_cap_fails_as_grow_does():
    eng, store = _store(StoreLimits(table_elements=10))
    ex = _instantiate(eng, store, GROWER).exports(store)
    assert ex["grow_tab"](store, 9) == 1
    assert ex["grow_tab"](store, 1) == -1
    assert ex["tab"].size(store) == 10
    with pytest.raises(engine.UsageError):
        ex["tab"].grow(store, 1)


def test_the_engine_cap_and_the_store_cap_combine():
    eng, store = _store(StoreLimits(memory_size=10 * PAGE), engine.Config(max_memory_bytes=2 * PAGE))
    ex = _instantiate(eng, store, GROWER).exports(store)
    assert ex["grow_mem"](store, 1) == 1
    assert ex["grow_mem"](store, 1) == -1


def test_a_lower_cap_stops_growth_of_existing_memories_without_shrinking_them():
    eng, store = _store()
    ex = _instantiate(eng, store, GROWER).exports(store)
    assert ex["grow_mem"](store, 3) == 1
    store.set_limits(memory_size=2 * PAGE, table_elements=1)
    assert store.limits == StoreLimits(memory_size=2 * PAGE, table_elements=1)
    assert ex["mem"].size(store) == 4
    assert ex["grow_mem"](store, 1) == -1
    assert ex["grow_mem"](store, 0) == 4  # no growth, no failure
    assert ex["grow_tab"](store, 1) == -1
    store.set_limits(StoreLimits())
    assert ex["grow_mem"](store, 1) == 4


def test_instance_count_cap():
    eng, store = _store(StoreLimits(instances=2))
    _instantiate(eng, store, GROWER)
    _instantiate(eng, store, GROWER)
    with pytest.raises(engine.InstantiationError, match="at most 2 instances"):
        _instantiate(eng, store, GROWER)
    other = engine.Store(eng)  # the cap is per store
    _instantiate(eng, other, GROWER)


def test_memory_and_table_count_caps_count_host_objects_too():
    eng, store = _store(StoreLimits(memories=1, tables=1))
    engine.Memory(store, MemoryType(1))
    with pytest.raises(engine.InstantiationError, match="memories"):
        _instantiate(eng, store, GROWER)
    eng, store = _store(StoreLimits(memories=2, tables=1))
    _instantiate(eng, store, GROWER)
    with pytest.raises(engine.InstantiationError, match="tables"):
        engine.Table(store, TableType(ValType.funcref(), 1))
    engine.Memory(store, MemoryType(1))
    with pytest.raises(engine.InstantiationError, match="memories"):
        engine.Memory(store, MemoryType(1))


def test_a_refused_instantiation_counts_nothing():
    eng, store = _store(StoreLimits(instances=5, memories=1))
    two = '(module (memory 1) (memory 1))'
    with pytest.raises(engine.InstantiationError):
        _instantiate(eng, store, two)
    _instantiate(eng, store, GROWER)  # the refused one did not use the memory


def test_an_initial_size_above_the_cap_fails_instantiation():
    eng, store = _store(StoreLimits(memory_size=PAGE))
    with pytest.raises(engine.InstantiationError):
        _instantiate(eng, store, "(module (memory 2))")
    eng, store = _store(StoreLimits(table_elements=5))
    with pytest.raises(engine.InstantiationError):
        _instantiate(eng, store, "(module (table 6 funcref))")


def test_link_errors_are_reported_before_limits():
    eng, store = _store(StoreLimits(instances=0))
    with pytest.raises(engine.LinkError):
        _instantiate(eng, store, '(module (import "m" "f" (func)))')
    with pytest.raises(engine.InstantiationError):
        _instantiate(eng, store, "(module)")


def test_bad_limits_are_usage_errors():
    for bad in ({"memory_size": -1}, {"instances": 1.5}, {"tables": True}):
        with pytest.raises(engine.UsageError):
            StoreLimits(**bad)
    store = engine.Store()
    with pytest.raises(engine.UsageError):
        store.set_limits(nonsense=3)
    with pytest.raises(engine.UsageError):
        store.set_limits(StoreLimits(), instances=3)
    with pytest.raises(engine.UsageError):
        engine.Store(limits={"instances": 3})


# -- GC allocation ------------------------------------------------------------------

ARRAYS = """
(module
  (type $a (array (mut i32)))
  (type $e (array (mut funcref)))
  (data $d "0123456789abcdef0123456789abcdef0123456789abcdef")
  (elem $el func $len $len $len $len $len $len $len $len $len $len $len $len)
  (func $len (export "new") (param i32) (result i32) (array.len (array.new_default $a (local.get 0))))
  (func (export "new_init") (param i32) (result i32) (array.len (array.new $a (i32.const 7) (local.get 0))))
  (func (export "new_data") (param i32) (result i32) (array.len (array.new_data $a $d (i32.const 0) (local.get 0))))
  (func (export "new_elem") (param i32) (result i32) (array.len (array.new_elem $e $el (i32.const 0) (local.get 0))))
  (func (export "fixed11") (result i32)
    (array.len (array.new_fixed $a 11 (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
      (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))))
"""


def test_a_gc_array_past_the_engine_cap_is_out_of_memory_not_a_host_trap():
    from engine.runtime.gc import MAX_ARRAY_LENGTH

    eng, store = _store()
    ex = _instantiate(eng, store, ARRAYS).exports(store)
    for name in ("new", "new_init"):
        with pytest.raises(engine.Trap) as e:
            ex[name](store, MAX_ARRAY_LENGTH + 1)
        assert e.value.code is TrapCode.OUT_OF_MEMORY
        assert str(e.value).startswith("out of memory")
    assert ex["new"](store, 1000) == 1000


def test_the_store_caps_the_elements_of_one_gc_array():
    eng, store = _store(StoreLimits(array_elements=10))
    ex = _instantiate(eng, store, ARRAYS).exports(store)
    for name in ("new", "new_init", "new_data", "new_elem"):
        assert ex[name](store, 10) == 10
        with pytest.raises(engine.Trap) as e:
            ex[name](store, 11)
        assert e.value.code is TrapCode.OUT_OF_MEMORY, name
    with pytest.raises(engine.Trap) as e:
        ex["fixed11"](store)
    assert e.value.code is TrapCode.OUT_OF_MEMORY
    # a cap can change later, as the others can
    store.set_limits(array_elements=11)
    assert ex["fixed11"](store) == 11 and ex["new"](store, 11) == 11
    store.set_limits()
    assert ex["new"](store, 5000) == 5000


def test_the_gc_cap_holds_in_constant_expressions_and_follows_the_running_store():
    eng = engine.Engine()
    small = engine.Store(eng, limits=StoreLimits(array_elements=4))
    big = engine.Store(eng)
    glob = ('(module (type $a (array i8)) (global (export "g") (ref $a) (array.new_default $a (i32.const 5)))'
            ' (global (export "h") (ref $a) (array.new_fixed $a 5 (i32.const 1) (i32.const 2)'
            ' (i32.const 3) (i32.const 4) (i32.const 5))))')
    with pytest.raises(engine.Trap) as e:
        _instantiate(eng, small, glob)
    assert e.value.code is TrapCode.OUT_OF_MEMORY
    _instantiate(eng, big, glob)
    # a host function of the capped store calls into the other store: each
    # call allocates under its own store's cap
    big_ex = _instantiate(eng, big, ARRAYS).exports(big)
    linker = engine.Linker(eng)
    linker.define_func("env", "other", engine.FuncType([ValType.i32()], [ValType.i32()]),
                       lambda n: big_ex["new"](big, n))
    caller = linker.instantiate(small, engine.Module(eng, wat2wasm(
        '(module (import "env" "other" (func $o (param i32) (result i32)))'
        ' (type $a (array i32))'
        ' (func (export "f") (param i32) (result i32)'
        '   (i32.add (call $o (local.get 0)) (array.len (array.new_default $a (local.get 0))))))'))).exports(small)
    assert caller["f"](small, 4) == 8
    with pytest.raises(engine.Trap) as e:
        caller["f"](small, 100)  # the other store makes its 100, this one may not
    assert e.value.code is TrapCode.OUT_OF_MEMORY
    assert "100 elements" in str(e.value)
    with pytest.raises(engine.UsageError):
        StoreLimits(array_elements=-1)


# -- call depth ---------------------------------------------------------------------

RECURSE = """
(module
  (func $r (export "forever") (param i32) (result i32)
    (i32.add (call $r (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
  (func $d (export "depth") (param i32) (result i32)
    (if (result i32) (local.get 0)
      (then (i32.add (call $d (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))
      (else (i32.const 0)))))
"""


def test_the_default_call_depth_is_documented_and_reached():
    from engine.runtime.store import DEFAULT_MAX_CALL_DEPTH

    assert engine.Config().max_call_depth == DEFAULT_MAX_CALL_DEPTH == 10_000
    eng, store = _store()
    ex = _instantiate(eng, store, RECURSE).exports(store)
    assert ex["depth"](store, 9_000) == 9_000
    with pytest.raises(engine.Trap) as e:
        ex["forever"](store, 0)
    assert e.value.code is TrapCode.STACK_OVERFLOW
    assert ex["depth"](store, 10) == 10


@pytest.mark.parametrize("limit", [50, 1000, 20_000])
def test_the_configured_call_depth_traps_and_never_raises_recursion_error(limit):
    # max_call_depth is a floor: nesting up to it always works; the trap
    # comes at CPython's recursion limit, raised to cover it (see
    # engine.runtime.call), so only far deeper recursion surely traps
    eng, store = _store(config=engine.Config(max_call_depth=limit))
    ex = _instantiate(eng, store, RECURSE).exports(store)
    assert ex["depth"](store, limit - 10) == limit - 10
    for n in (limit + 50_000, 200_000):
        with pytest.raises(engine.Trap) as e:
            ex["depth"](store, n)
        assert e.value.code is TrapCode.STACK_OVERFLOW
        assert not isinstance(e.value, RecursionError)


def test_config_is_checked_and_read_only_once_an_engine_uses_it():
    for bad in ({"max_call_depth": 0}, {"max_call_depth": 1.5}, {"max_memory_bytes": -1}):
        with pytest.raises(engine.UsageError):
            engine.Config(**bad)
    config = engine.Config()
    config.max_call_depth = 5  # settable until an engine compiles for it
    with pytest.raises(engine.UsageError):
        config.max_call_depth = 0
    assert engine.Engine(config).config.max_call_depth == 5
    with pytest.raises(engine.UsageError):
        config.max_call_depth = 6
    with pytest.raises(engine.UsageError):
        engine.Engine("config")
