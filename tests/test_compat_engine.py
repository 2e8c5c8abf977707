"""The engine's side of wasmtime-py compatibility: where it does more than
wasmtime-py (a superset), or differently on purpose (the README's list of
differences), and the machinery behind the compatible names."""

from __future__ import annotations

import gc
import pickle

import pytest

import engine
from engine import TrapCode


def _instance(text: str, imports=(), config=None):
    eng = engine.Engine(config)
    store = engine.Store(eng)
    return store, engine.Instance(store, engine.Module(eng, text), list(imports)).exports(store)


# -- errors ------------------------------------------------------------------------------


def test_error_classes_fit_both_hierarchies():
    for cls in (engine.MalformedError, engine.InvalidError, engine.LinkError,
                engine.InstantiationError, engine.UsageError, engine.ExitTrap):
        assert issubclass(cls, engine.WasmtimeError) and issubclass(cls, engine.WasmError)
    assert issubclass(engine.Trap, engine.WasmError) and not issubclass(engine.Trap, engine.WasmtimeError)
    assert issubclass(engine.UsageError, TypeError)
    assert issubclass(engine.AccessError, IndexError) and issubclass(engine.AccessError, engine.UsageError)


def test_trap_codes_answer_to_wasmtime_py_names():
    assert TrapCode.INTEGER_DIVISION_BY_ZERO is TrapCode.INTEGER_DIVIDE_BY_ZERO
    assert TrapCode.HEAP_MISALIGNED is TrapCode.UNALIGNED_ATOMIC
    assert TrapCode.ATOMIC_WAIT_NON_SHARED_MEMORY is TrapCode.EXPECTED_SHARED_MEMORY
    assert TrapCode.INTERRUPT.value == "interrupt"


def test_trap_constructors():
    assert engine.Trap(TrapCode.UNREACHABLE).code is TrapCode.UNREACHABLE
    t = engine.Trap("by hand")
    assert (t.code, t.trap_code, str(t), t.message) == (TrapCode.HOST, None, "by hand", "by hand")
    assert engine.Trap(TrapCode.OUT_OF_FUEL).trap_code is TrapCode.OUT_OF_FUEL
    with pytest.raises(engine.UsageError):
        engine.Trap(5)
    assert pickle.loads(pickle.dumps(t)).code is TrapCode.HOST


def test_a_host_exception_is_a_trap_and_its_own_class():
    class Refused(Exception):
        def __init__(self, why, code):
            super().__init__(why)
            self.code = code  # a host attribute wins over Trap.code

    def refuse():
        raise Refused("no", 42)

    def fail():
        raise KeyError("k")

    for host, cls in ((refuse, Refused), (fail, KeyError)):
        eng = engine.Engine()
        store = engine.Store(eng)
        module = engine.Module(eng, '(module (import "" "f" (func $f)) (func (export "run") (call $f)))')
        run = engine.Instance(store, module, [engine.Func(store, engine.FuncType([], []), host)]
                              ).exports(store)["run"]
        with pytest.raises(engine.Trap) as info:
            run(store)
        assert isinstance(info.value, cls) and isinstance(info.value.__cause__, cls)
        assert info.value.args == info.value.__cause__.args
        if cls is KeyError:
            assert info.value.code is TrapCode.HOST and info.value.trap_code is None
        else:
            assert info.value.code == 42


def test_a_host_exception_that_cannot_be_combined_is_a_plain_host_trap():
    class Odd(Exception):
        __slots__ = ()

        def __init_subclass__(cls, **kwargs):
            raise TypeError("no subclasses")

    def odd():
        raise Odd("odd")

    eng = engine.Engine()
    store = engine.Store(eng)
    module = engine.Module(eng, '(module (import "" "f" (func $f)) (func (export "run") (call $f)))')
    run = engine.Instance(store, module, [engine.Func(store, engine.FuncType([], []), odd)]).exports(store)["run"]
    with pytest.raises(engine.Trap) as info:
        run(store)
    assert type(info.value) is engine.Trap and isinstance(info.value.__cause__, Odd)
    assert "Odd" in str(info.value)


# -- values -------------------------------------------------------------------------------


def test_multiple_results_are_a_tuple_equal_to_the_list():
    store, ex = _instance('(module (func (export "f") (result i32 i64) (i32.const 1) (i64.const -2)))')
    r = ex["f"](store)
    assert isinstance(r, tuple) and r == (1, -2) and r == [1, -2] and [1, -2] == r
    assert r != [1, 2] and not (r != [1, -2]) and hash(r) == hash((1, -2))


def test_val_goes_beyond_wasmtime_py():
    assert engine.Val.v128(-1).value == (1 << 128) - 1
    assert engine.Val(engine.ValType.i32(), 0xFFFFFFFF).value == -1
    with pytest.raises(engine.UsageError):
        engine.Val(engine.ValType.i32(), 1 << 40)
    assert engine.Val.anyref(None).as_anyref() is None
    assert engine.Val.externref(5).type == engine.ValType.externref()  # wasmtime-py says anyref
    store, ex = _instance('(module (func (export "f") (param externref) (result externref) (local.get 0)))')
    assert ex["f"](store, engine.Val.externref(7)) == 7  # an int stays an int, not an i31
    with pytest.raises(TypeError):
        ex["f"](store, engine.Val.funcref(None))


def test_table_get_of_a_null_is_none():
    store, ex = _instance('(module (table (export "t") 1 funcref))')
    assert ex["t"].get(store, 0) is None  # (wasmtime-py 50 answers a Val holding None)


# -- callers and store-likes ---------------------------------------------------------------------


CALLS = """
(module
  (import "" "who" (func $who (result i32)))
  (type $t (func (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $who)
  (memory (export "memory") 1)
  (func (export "direct") (result i32) (call $who))
  (func (export "indirect") (result i32) (call_indirect (type $t) (i32.const 0))))
"""


def test_a_caller_has_the_instance_on_direct_calls_only():
    eng = engine.Engine()
    store = engine.Store(eng)
    callers = []

    def who(caller):
        callers.append(caller)
        return 1 if caller.get("memory") is not None else 0

    f = engine.Func(store, engine.FuncType([], [engine.ValType.i32()]), who, access_caller=True)
    ex = engine.Instance(store, engine.Module(eng, CALLS), [f]).exports(store)
    assert ex["direct"](store) == 1
    assert ex["indirect"](store) == 0  # through a table: no instance, as called from the host
    assert f(store) == 0
    with pytest.raises(engine.UsageError):  # the call is over
        ex["direct"](callers[0])


def test_a_caller_and_a_store_context_stand_for_the_store():
    eng = engine.Engine(engine.Config(consume_fuel=True))
    store = engine.Store(eng, data="mine")
    store.set_fuel(100)
    seen = []

    def who(caller):
        seen.append((caller.data(), caller.engine is eng))
        memory = engine.Memory(caller, engine.MemoryType(engine.Limits(1, None)))
        return memory.size(caller)

    f = engine.Func(store, engine.FuncType([], [engine.ValType.i32()]), who, access_caller=True)
    ex = engine.Instance(store, engine.Module(eng, CALLS), [f]).exports(store)
    assert ex["direct"](store) == 1 and seen == [("mine", True)]
    context = engine.StoreContext(store)
    assert ex["direct"](context) == 1 and context.data() == "mine"


# -- config ---------------------------------------------------------------------------------------


def test_config_properties_read_back_and_freeze_with_the_engine():
    config = engine.Config()
    assert config.epoch_interruption is False and config.wasm_simd is True
    config.wasm_simd = False
    assert "simd" not in config.features and config.wasm_simd is False
    config.max_wasm_stack = 128_000
    assert config.max_call_depth == 2000 and config.max_wasm_stack == 128_000
    config.strategy = "cranelift"
    assert config.strategy == "cranelift"
    for bad in (0, -1, True):
        with pytest.raises(engine.UsageError):
            config.max_wasm_stack = bad
    engine.Engine(config)
    with pytest.raises(engine.UsageError):
        config.wasm_simd = True
    with pytest.raises(AttributeError):
        config.no_such_knob = 1


def test_store_limits_positional_and_negative():
    store = engine.Store()
    store.set_limits(65536, -1, 1)  # memory_size, table_elements, instances
    assert store.limits == engine.StoreLimits(memory_size=65536, instances=1)
    store.set_limits(engine.StoreLimits(tables=2))
    assert store.limits.tables == 2
    with pytest.raises(engine.UsageError):
        store.set_limits(engine.StoreLimits(), instances=3)


# -- modules ---------------------------------------------------------------------------------------


def test_serialized_modules_are_checked():
    from engine.runtime import serialize

    eng = engine.Engine()
    blob = engine.Module(eng, '(module (func (export "f")))').serialize()
    assert bytes(blob).startswith(serialize.MAGIC)
    damaged = bytearray(blob)
    damaged[-40] ^= 1
    tag = serialize.engine_version().encode()
    other = bytes(blob).replace(tag, b"x" * len(tag), 1)
    import hashlib

    other = other[:-32] + hashlib.sha256(other[:-32]).digest()
    for bad in (damaged, blob[:30], other):
        with pytest.raises(engine.WasmtimeError):
            engine.Module.deserialize(eng, bad)
    from engine.binary import decode_module

    syn = decode_module(bytes(engine.wat2wasm("(module)")))
    with pytest.raises(engine.UsageError):
        engine.Module.from_syntax(eng, syn).serialize()


def test_the_text_reader_writes_names_only_when_asked():
    from engine.binary import decode_module
    from engine.runtime.frames import read_names
    from engine.text import parse_module

    text = '(module $m (func $f) (func) (func $h))'
    assert parse_module(text) == parse_module("(module (func) (func) (func))")  # no names by default
    named = decode_module(parse_module(text, names=True))
    assert read_names(named.customs) == ("m", {0: "f", 2: "h"})
    own = '(module $m (@custom "name" "") (func $f))'  # a name section of its own wins
    assert [c.name for c in decode_module(parse_module(own, names=True)).customs] == ["name"]
    assert read_names(decode_module(parse_module(own, names=True)).customs) == (None, {})
    assert parse_module("(module (func))", names=True) == parse_module("(module (func))")


def test_text_modules_keep_their_names_like_wasmtime_py():
    wasmtime = pytest.importorskip("wasmtime", reason="wasmtime (the reference extra) is not installed")
    for text in ('(module $m (func $f) (func $g (export "g")))', "(module (func $only))",
                 "(module $named)", "(module (func))"):
        assert bytes(engine.wat2wasm(text)) == bytes(wasmtime.wat2wasm(text))


# -- memories ------------------------------------------------------------------------------------


def test_a_data_pointer_does_not_stop_the_memory_growing():
    store, ex = _instance('(module (memory (export "m") 1) (func (export "grow") (result i32)'
                          ' (memory.grow (i32.const 1))))')
    memory = ex["m"]
    ptr = memory.data_ptr(store)
    view = memory.get_buffer_ptr(store, 4)
    ptr[0] = 1
    assert view[0] == 1
    assert ex["grow"](store) == 1  # no buffer export holds the bytearray
    assert memory.grow(store, 1) == 2
    del ptr, view
    gc.collect()


def test_buffer_views_are_bounds_checked():
    store, ex = _instance('(module (memory (export "m") 1))')
    memory = ex["m"]
    assert len(memory.get_buffer_ptr(store, None, 10)) == 65526
    assert len(memory.get_buffer_ptr(store, 0, 65536)) == 0
    for size, offset in ((5, 65535), (1, 70000), (-1, 0), (1, -1)):
        with pytest.raises(engine.AccessError):
            memory.get_buffer_ptr(store, size, offset)


def test_shared_memory_takes_both_spellings():
    eng = engine.Engine()
    shared = engine.SharedMemory(eng, engine.MemoryType(engine.Limits(1, 4), shared=True))
    assert shared.size() == 1 and shared.grow(1) == 1 and shared.grow(None, 1) == 2
    assert shared.size(None) == 3
    with pytest.raises(engine.UsageError):
        shared.grow()


# -- WASI -----------------------------------------------------------------------------------------


def test_wasi_without_a_context_traps():
    eng = engine.Engine()
    store = engine.Store(eng)
    linker = engine.Linker(eng)
    linker.define_wasi()
    module = engine.Module(eng, '(module (import "wasi_snapshot_preview1" "sched_yield"'
                                ' (func $y (result i32))) (memory (export "memory") 1)'
                                ' (func (export "run") (result i32) (call $y)))')
    run = linker.instantiate(store, module).exports(store)["run"]
    with pytest.raises(engine.Trap, match="set_wasi"):
        run(store)
    store.set_wasi(engine.WasiConfig())
    assert run(store) == 0
    store.close()
    with pytest.raises(engine.Trap):
        run(store)


def test_set_wasi_http_is_not_supported():
    with pytest.raises(engine.UsageError):
        engine.Store().set_wasi_http()


# -- epochs and frames: what code generation adds ---------------------------------------------------


SPIN = '(module (func (export "spin") (loop $l (br $l))) (func (export "f") (result i32) (i32.const 1)))'


def test_epoch_checks_exist_only_when_asked_for(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "spin.wat"
    path.write_text(SPIN)

    def dump(*flags):
        return subprocess.run([sys.executable, "-m", "engine", "dump", str(path), "--func", "0", *flags],
                              capture_output=True, text=True, check=True).stdout

    off, on = dump(), dump("--epoch")
    assert "EPOCH" not in off and "DEADLINE" not in off and "INTERRUPT" not in off
    # one check on entry, one at the top of the loop
    assert on.count("if EPOCH >= DEADLINE: INTERRUPT()") == 2
    assert [line for line in on.splitlines() if "EPOCH" not in line] == off.splitlines()


def _nested_loop(depth: int) -> str:
    # blocks that are branched to, deeper than CPython's block nesting: the
    # general (flat) lowering
    inner = "(br $l)"
    for _ in range(depth):
        inner = f"(block (br_if 0 (i32.eqz (i32.const 1))) {inner})"
    return f'(module (func (export "spin") (loop $l {inner})))'


@pytest.mark.parametrize("depth", [0, 30])
def test_epochs_interrupt_both_lowerings_and_work_with_fuel(depth):
    eng = engine.Engine(engine.Config(epoch_interruption=True, consume_fuel=True))
    module = engine.Module(eng, _nested_loop(depth))
    assert ("PC = " in module.function_source(0)) == (depth > 20)
    store = engine.Store(eng)
    store.set_fuel(10 ** 9)
    spin = engine.Instance(store, module, []).exports(store)["spin"]
    store.set_epoch_deadline(1)
    import threading

    timer = threading.Timer(0.05, eng.increment_epoch)
    timer.start()
    with pytest.raises(engine.Trap) as info:
        spin(store)
    timer.join()
    assert info.value.code is TrapCode.INTERRUPT and 0 < store.get_fuel() < 10 ** 9
    store.set_fuel(1000)
    store.set_epoch_deadline(100)
    with pytest.raises(engine.Trap) as info:
        spin(store)
    assert info.value.code is TrapCode.OUT_OF_FUEL


def test_the_epoch_is_per_engine_and_the_deadline_per_store():
    eng = engine.Engine(engine.Config(epoch_interruption=True))
    module = engine.Module(eng, SPIN)
    stores = [engine.Store(eng) for _ in range(2)]
    funcs = [engine.Instance(s, module, []).exports(s)["f"] for s in stores]
    stores[0].set_epoch_deadline(1)
    stores[1].set_epoch_deadline(2)
    eng.increment_epoch()
    with pytest.raises(engine.Trap):
        funcs[0](stores[0])
    assert funcs[1](stores[1]) == 1
    other = engine.Engine(engine.Config(epoch_interruption=True))
    store = engine.Store(other)
    store.set_epoch_deadline(1)
    assert engine.Instance(store, engine.Module(other, SPIN), []).exports(store)["f"](store) == 1


def test_frames_point_at_the_instruction_in_both_lowerings():
    depth = 30
    text = ("(module $m (func $deep (export \"deep\") (param i32) (result i32) "
            + "(block " * depth + "(drop (i32.div_u (i32.const 1) (local.get 0)))" + ")" * depth
            + " (i32.const 0)))")
    binary = bytes(engine.wat2wasm(text))
    store = engine.Store()
    ex = engine.Instance(store, engine.Module(store.engine, binary), []).exports(store)
    with pytest.raises(engine.Trap) as info:
        ex["deep"](store, 0)
    (frame,) = info.value.frames
    assert (frame.func_name, frame.module_name) == ("deep", "m")
    assert binary[frame.module_offset] == 0x6E  # i32.div_u
    assert info.value.trace == f"    0: {frame.module_offset:#8x} - m!deep"


def test_frames_of_a_stack_overflow_and_of_host_calls():
    store = engine.Store()
    text = '(module (import "" "h" (func $h)) (func $r (export "r") (call $r)) (func $c (export "c") (call $h)))'

    def host():
        raise engine.Trap("host stop")

    ex = engine.Instance(store, engine.Module(store.engine, text),
                         [engine.Func(store, engine.FuncType([], []), host)]).exports(store)
    with pytest.raises(engine.Trap) as info:
        ex["r"](store)
    frames = info.value.frames
    assert info.value.code is TrapCode.STACK_OVERFLOW and len(frames) > 100
    assert {f.func_index for f in frames} == {1}
    with pytest.raises(engine.Trap) as info:
        ex["c"](store)
    assert [f.func_index for f in info.value.frames] == [2]


def test_instruction_offsets_cover_every_instruction():
    from engine.binary import decode_module
    from engine.binary.offsets import instruction_offsets
    from engine.runtime.frames import code_offsets

    text = """
    (module
      (type $s (struct (field i32)))
      (memory 1) (memory 1) (tag $e (param i32))
      (func (param i32) (result i32)
        (local v128)
        (local.set 1 (i8x16.splat (local.get 0)))
        (drop (i32.load 1 offset=8 (local.get 0)))
        (drop (struct.new $s (i32.const 1)))
        (block $b (br_table $b $b (local.get 0)))
        (try_table (catch $e 0) (throw $e (i32.const 1))) (drop)
        (try (do (throw $e (i32.const 2))) (catch $e (drop)))
        (try (do nop) (delegate 0))
        (i32x4.extract_lane 3 (local.get 1))))
    """
    binary = bytes(engine.wat2wasm(text))
    body = decode_module(binary).funcs[0].body
    start = code_offsets(binary)[0]
    starts = instruction_offsets(binary[start:])
    assert len(starts) == len(body)
    assert binary[start + starts[-1]] == 0x0B and starts == sorted(starts)
