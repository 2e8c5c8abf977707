"""One Engine shared by stores in several threads: compilation happens once
per Module and function, and concurrent use gives the same results."""

from __future__ import annotations

import threading

import pytest

import engine
from engine.compile import codegen

from watutil import wat2wasm

WORK = """
(module
  (type $pt (struct (field i32) (field i32)))
  (memory 1)
  (global $calls (mut i32) (i32.const 0))
  (func $fib (export "fib") (param i32) (result i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func (export "calls") (result i32) (global.get $calls))
  (func (export "sum_mem") (param i32) (result i32) (local i32 i32)
    ;; store 0..n-1 and add them back
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get 1) (local.get 0)))
      (i32.store (i32.shl (local.get 1) (i32.const 2)) (local.get 1))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br $l)))
    (local.set 1 (i32.const 0))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get 1) (local.get 0)))
      (local.set 2 (i32.add (local.get 2) (i32.load (i32.shl (local.get 1) (i32.const 2)))))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br $l)))
    (local.get 2))
  (func (export "point") (param i32 i32) (result i32)
    (struct.get $pt 1 (struct.new $pt (local.get 0) (local.get 1)))))
"""

NTHREADS = 6


def _fib(n: int) -> int:
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def _run_threads(target, n=NTHREADS):
    """Run ``target(i)`` in n threads started together; re-raise failures."""
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []
    results: dict[int, object] = {}

    def run(i):
        try:
            barrier.wait(10)
            results[i] = target(i)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]
    return results


@pytest.fixture
def compile_count(monkeypatch):
    """How many times each (module context, function) was compiled."""
    counts: dict[tuple[int, int], int] = {}
    lock = threading.Lock()
    real = codegen.compile_function

    def counting(mctx, funcidx):
        with lock:
            key = (id(mctx), funcidx)
            counts[key] = counts.get(key, 0) + 1
        return real(mctx, funcidx)

    monkeypatch.setattr(codegen, "compile_function", counting)
    return counts


def test_two_threads_share_one_engine_and_module(compile_count):
    eng = engine.Engine()
    module = engine.Module(eng, wat2wasm(WORK))

    def work(i):
        store = engine.Store(eng)
        ex = engine.Linker(eng).instantiate(store, module).exports(store)
        n = 15 + i
        return ex["fib"](store, n), ex["calls"](store), ex["sum_mem"](store, 1000 + i), ex["point"](store, i, -i)

    results = _run_threads(work, 2)
    for i, (fib, calls, total, point) in results.items():
        assert fib == _fib(15 + i)
        assert calls > 0  # each store's instance counts its own calls
        assert total == sum(range(1000 + i))
        assert point == -i
    assert results[0][1] != results[1][1]
    # each function compiled once, for the one module, whatever the threads
    assert compile_count and set(compile_count.values()) == {1}
    assert len(compile_count) == 4


def test_many_threads_first_call_the_same_function_at_once(compile_count):
    eng = engine.Engine()
    module = engine.Module(eng, wat2wasm(WORK))
    stores = [engine.Store(eng) for _ in range(NTHREADS)]
    instances = [engine.Linker(eng).instantiate(s, module) for s in stores]

    def work(i):
        store = stores[i]
        return [instances[i].exports(store)["fib"](store, k) for k in range(18)]

    results = _run_threads(work)
    assert all(r == [_fib(k) for k in range(18)] for r in results.values())
    assert list(compile_count.values()) == [1]


def test_modules_compiled_in_several_threads_at_once_on_one_engine():
    eng = engine.Engine()
    data = wat2wasm(WORK)

    def work(i):
        module = engine.Module(eng, data)  # decoding, type interning, validation
        store = engine.Store(eng)
        ex = engine.Linker(eng).instantiate(store, module).exports(store)
        return ex["fib"](store, 20), ex["point"](store, 1, i)

    results = _run_threads(work)
    assert sorted(results.values()) == [(6765, i) for i in range(NTHREADS)]


def test_each_store_keeps_its_own_fuel_in_a_shared_engine():
    eng = engine.Engine(engine.Config(consume_fuel=True))
    module = engine.Module(eng, wat2wasm(WORK))

    def work(i):
        store = engine.Store(eng)
        ex = engine.Linker(eng).instantiate(store, module).exports(store)
        store.set_fuel(1_000 + 10**7 * (i % 2))
        try:
            return ex["fib"](store, 20)
        except engine.Trap as e:
            return e.code

    results = _run_threads(work)
    for i, r in results.items():
        assert r == (6765 if i % 2 else engine.TrapCode.OUT_OF_FUEL)


def test_resumable_calls_in_several_threads():
    eng = engine.Engine()
    text = """
    (module
      (import "h" "get" (func $get (param i32) (result i32)))
      (func (export "f") (param i32) (result i32)
        (i32.mul (call $get (local.get 0)) (call $get (i32.const 2)))))
    """
    module = engine.Module(eng, wat2wasm(text))

    def get(x):
        raise engine.Suspend(x)

    def work(i):
        store = engine.Store(eng)
        linker = engine.Linker(eng)
        linker.define_func("h", "get", engine.FuncType([engine.ValType.i32()], [engine.ValType.i32()]), get)
        f = linker.instantiate(store, module).exports(store)["f"]
        call = f.call_resumable(store, i)
        assert call.host_error.args == (i,)
        call = call.resume(store, i + 1)
        return call.resume(store, 3)

    results = _run_threads(work)
    assert results == {i: 3 * (i + 1) for i in range(NTHREADS)}
