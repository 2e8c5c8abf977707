"""Shared memories across Python threads: atomics, wait/notify, growth."""

from __future__ import annotations

import threading
import time

import engine

from watutil import wat2wasm

MODULE = """
(module
  (memory (export "mem") 1 4 shared)
  (func (export "wait") (param i32 i32 i64) (result i32)
    (memory.atomic.wait32 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "notify") (param i32 i32) (result i32)
    (memory.atomic.notify (local.get 0) (local.get 1)))
  (func (export "store") (param i32 i32) (i32.atomic.store (local.get 0) (local.get 1)))
  (func (export "add") (param i32 i32) (result i32)
    (i32.atomic.rmw.add (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result i32) (i32.atomic.load (local.get 0)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size)))
"""


def _instance():
    eng = engine.Engine()
    store = engine.Store(eng)
    inst = engine.Linker(eng).instantiate(store, engine.Module(eng, wat2wasm(MODULE)))
    return store, inst.exports(store)


def test_a_wait_is_woken_by_a_notify_from_another_thread():
    store, ex = _instance()
    results = {}

    def waiter():
        results["wait"] = ex["wait"](store, 64, 0, -1)  # no timeout
        results["seen"] = ex["load"](store, 64)

    t = threading.Thread(target=waiter)
    t.start()
    # let the waiter block; then publish a value and wake it
    deadline = time.monotonic() + 5
    woken = 0
    while woken == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
        ex["store"](store, 64, 7)
        woken = ex["notify"](store, 64, 1)
    t.join(5)
    assert not t.is_alive()
    assert woken == 1
    assert results == {"wait": 0, "seen": 7}


def test_wait_returns_not_equal_and_timed_out():
    store, ex = _instance()
    ex["store"](store, 8, 5)
    assert ex["wait"](store, 8, 4, 0) == 1  # the value differs
    start = time.monotonic()
    assert ex["wait"](store, 8, 5, 20_000_000) == 2  # 20 ms, nobody notifies
    assert time.monotonic() - start >= 0.015
    assert ex["notify"](store, 8, 10) == 0


def test_atomic_adds_from_two_threads_lose_nothing_and_growth_is_seen_by_both():
    store, ex = _instance()
    n = 2000

    def work():
        for _ in range(n):
            ex["add"](store, 0, 1)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    assert ex["grow"](store, 2) == 1
    for t in threads:
        t.join()
    assert ex["load"](store, 0) == 2 * n
    seen = []
    t = threading.Thread(target=lambda: seen.append(ex["size"](store)))
    t.start()
    t.join()
    assert seen == [3]


def test_growth_the_host_cannot_allocate_returns_minus_one():
    store, ex = _instance()
    mem = ex["mem"]

    class Exhausted(bytearray):
        def extend(self, data):  # the host is out of memory
            raise MemoryError

    mem.data = Exhausted(mem.data)
    assert ex["grow"](store, 1) == -1
    assert ex["size"](store) == 1
