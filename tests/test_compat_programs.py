"""Complete programs in wasmtime-py's style, run on both engines with the
same assertions (the ``wt`` fixture: ``engine`` or ``wasmtime``): what a
user switching with ``import engine as wasmtime`` runs."""

from __future__ import annotations

import ctypes
import threading
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PROGRAMS = HERE / "wasi"


def test_hello_world_with_a_host_callback(wt):
    engine = wt.Engine()
    store = wt.Store(engine)
    module = wt.Module(engine, """
    (module
      (func $hello (import "" "hello"))
      (func (export "run") (call $hello)))""")
    said = []

    def say_hello():
        said.append("Hello from Python!")

    hello = wt.Func(store, wt.FuncType([], []), say_hello)
    instance = wt.Instance(store, module, [hello])
    run = instance.exports(store)["run"]
    run(store)
    run(store)
    assert said == ["Hello from Python!"] * 2


def test_gcd(wt):
    engine = wt.Engine()
    store = wt.Store(engine)
    gcd_wat = """
    (module
      (func $gcd (export "gcd") (param i32 i32) (result i32)
        (local i32)
        block
          block
            local.get 0
            br_if 0
            local.get 1
            local.set 2
            br 1
          end
          loop
            local.get 1
            local.get 0
            local.tee 2
            i32.rem_u
            local.set 0
            local.get 2
            local.set 1
            local.get 0
            br_if 0
          end
        end
        local.get 2))"""
    gcd = wt.Instance(store, wt.Module(engine, wt.wat2wasm(gcd_wat)), []).exports(store)["gcd"]
    assert gcd(store, 6, 27) == 3
    assert [gcd(store, a, b) for a, b in ((0, 5), (48, 18), (17, 5), (1071, 462))] == [5, 6, 1, 21]


def test_two_modules_linked_together(wt):
    engine = wt.Engine()
    store = wt.Store(engine)
    linker = wt.Linker(engine)
    linker.define_func("host", "log", wt.FuncType([wt.ValType.i32()], []), lambda x: logged.append(x))
    logged = []
    library = wt.Module(engine, """
    (module
      (import "host" "log" (func $log (param i32)))
      (memory (export "memory") 1)
      (func (export "double") (param i32) (result i32)
        (call $log (local.get 0))
        (i32.mul (local.get 0) (i32.const 2))))""")
    linker.define_instance(store, "library", linker.instantiate(store, library))
    user = wt.Module(engine, """
    (module
      (import "library" "double" (func $double (param i32) (result i32)))
      (import "library" "memory" (memory 1))
      (func (export "quadruple_into") (param i32 i32)
        (i32.store (local.get 1) (call $double (call $double (local.get 0))))))""")
    instance = linker.instantiate(store, user)
    instance.exports(store)["quadruple_into"](store, 5, 16)
    memory = linker.get(store, "library", "memory")
    assert int.from_bytes(memory.read(store, 16, 20), "little") == 20
    assert logged == [5, 10]


def test_memory_through_data_ptr(wt):
    engine = wt.Engine()
    store = wt.Store(engine)
    module = wt.Module(engine, """
    (module
      (memory (export "memory") 1 2)
      (func (export "sum") (param $p i32) (param $n i32) (result i32) (local $s i32)
        (block $done
          (loop $next
            (br_if $done (i32.eqz (local.get $n)))
            (local.set $s (i32.add (local.get $s) (i32.load8_u (local.get $p))))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
            (br $next)))
        (local.get $s))
      (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2))))""")
    ex = wt.Instance(store, module, []).exports(store)
    memory = ex["memory"]
    data = bytes(range(1, 101))
    ptr = memory.data_ptr(store)
    ctypes.memmove(ptr, data, len(data))
    assert ex["sum"](store, 0, 100) == 5050
    ex["fill"](store, 1000, 0xAB, 16)
    assert bytes(ptr[1000:1016]) == b"\xab" * 16
    view = memory.get_buffer_ptr(store, 16, 1000)
    assert bytes(view) == b"\xab" * 16
    assert memory.grow(store, 1) == 1
    ptr = memory.data_ptr(store)  # pointers taken before a growth are stale
    ptr[65536 + 5] = 42
    assert memory.read(store, 65536 + 5, 65536 + 6) == b"*"
    assert memory.data_len(store) == 2 * 65536


def test_multi_value(wt):
    engine = wt.Engine()
    store = wt.Store(engine)
    i32, i64 = wt.ValType.i32(), wt.ValType.i64()
    module = wt.Module(engine, """
    (module
      (func $f (import "" "f") (param i32 i64) (result i64 i32))
      (func $g (export "g") (param i32 i64) (result i64 i32)
        (call $f (local.get 0) (local.get 1)))
      (func $round_trip_many (export "round_trip_many")
        (param i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
        (result i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
        local.get 0 local.get 1 local.get 2 local.get 3 local.get 4
        local.get 5 local.get 6 local.get 7 local.get 8 local.get 9))""")
    swap = wt.Func(store, wt.FuncType([i32, i64], [i64, i32]), lambda a, b: (b, a))
    ex = wt.Instance(store, module, [swap]).exports(store)
    assert ex["g"](store, 1, 2) == [2, 1]
    assert ex["round_trip_many"](store, *range(10)) == list(range(10))


def run_files(wt, directory: Path, writable: bool, out: Path):
    """Run the files program (tests/wasi) with ``directory`` preopened as
    /sandbox and its stdout in ``out``: its exit status, None if it traps."""
    engine = wt.Engine()
    store = wt.Store(engine)
    linker = wt.Linker(engine)
    linker.define_wasi()
    config = wt.WasiConfig()
    config.argv = ["files"]
    config.preopen_dir(str(directory), "/sandbox", writable)
    config.stdout_file = str(out)
    store.set_wasi(config)
    instance = linker.instantiate(store, wt.Module.from_file(engine, str(PROGRAMS / "files.wasm")))
    try:
        instance.exports(store)["_start"](store)
    except wt.ExitTrap as exc:
        return exc.code
    except wt.Trap:
        return None
    return 0


def test_wasi_program_with_a_preopened_directory(wt, tmp_path):
    from test_wasi_programs import check_sandbox_after, make_sandbox

    out = tmp_path.parent / f"{tmp_path.name}.out"
    assert run_files(wt, make_sandbox(tmp_path), True, out) == 0
    check_sandbox_after(tmp_path)
    # escapes are refused: ENOTCAPABLE here, EPERM in wasmtime (the README
    # lists the difference); the rest of the output is the same
    lines = [line.replace("EPERM", "ENOTCAPABLE") if line.rstrip().endswith("EPERM") else line
             for line in out.read_text().splitlines()]
    assert "\n".join(lines) + "\n" == (PROGRAMS / "expected" / "files.out").read_text()


def test_wasi_read_only_directory(wt, tmp_path):
    (tmp_path / "input.txt").write_text("first line\nsecond line\n")
    out = tmp_path.parent / f"{tmp_path.name}.ro.out"
    # the program does not expect to be refused every write: it stops
    # early, by a trap in both engines
    assert run_files(wt, tmp_path, False, out) is None
    text = out.read_text()
    assert "first line" in text  # reading works
    assert "mkdir temp " in text and "mkdir temp                         OK" not in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["input.txt"]  # nothing was written


SPIN = """
(module
  (global $count (export "count") (mut i64) (i64.const 0))
  (func (export "spin")
    (loop $l
      (global.set $count (i64.add (global.get $count) (i64.const 1)))
      (br $l)))
  (func (export "one") (result i32) (i32.const 1)))
"""


def test_an_infinite_loop_interrupted_by_epochs(wt):
    config = wt.Config()
    config.epoch_interruption = True
    engine = wt.Engine(config)
    store = wt.Store(engine)
    ex = wt.Instance(store, wt.Module(engine, SPIN), []).exports(store)
    # the deadline starts at the current epoch: code traps at once
    with pytest.raises(wt.Trap) as info:
        ex["one"](store)
    assert info.value.trap_code == wt.TrapCode.INTERRUPT
    store.set_epoch_deadline(1)
    assert ex["one"](store) == 1
    ticks = []
    done = threading.Event()

    def ticker():
        # the deadline tick, then more only if the loop has not stopped
        # within seconds (so that a late stop shows, rather than hangs)
        time.sleep(0.02)
        engine.increment_epoch()
        ticks.append(time.perf_counter())
        done.wait(5)
        while not done.wait(0.005):
            engine.increment_epoch()
            ticks.append(time.perf_counter())

    thread = threading.Thread(target=ticker)
    thread.start()
    try:
        with pytest.raises(wt.Trap) as info:
            ex["spin"](store)
        ticks_at_trap = len(ticks)
    finally:
        done.set()
        thread.join()
    assert info.value.trap_code == wt.TrapCode.INTERRUPT
    # stopped by the deadline tick itself: within one epoch
    assert ticks_at_trap == 1
    assert ex["count"].value(store) > 0
    with pytest.raises(wt.Trap):  # the deadline has passed, and stays passed
        ex["one"](store)
    store.set_epoch_deadline(5)
    assert ex["one"](store) == 1


def test_fuel(wt):
    config = wt.Config()
    config.consume_fuel = True
    engine = wt.Engine(config)
    store = wt.Store(engine)
    ex = wt.Instance(store, wt.Module(engine, SPIN), []).exports(store)
    with pytest.raises(wt.Trap) as info:  # a store starts with no fuel
        ex["one"](store)
    assert info.value.trap_code == wt.TrapCode.OUT_OF_FUEL
    store.set_fuel(10_000)
    with pytest.raises(wt.Trap) as info:
        ex["spin"](store)
    assert info.value.trap_code == wt.TrapCode.OUT_OF_FUEL
    assert store.get_fuel() < 10  # what is left cannot pay for one more iteration
    iterations = ex["count"].value(store)
    assert 1000 < iterations < 10_000
    store.set_fuel(1000)
    assert ex["one"](store) == 1
    assert 0 < 1000 - store.get_fuel() < 10
    # the same program and fuel stop at the same point
    store.set_fuel(10_000)
    with pytest.raises(wt.Trap):
        ex["spin"](store)
    assert ex["count"].value(store) == 2 * iterations
