"""Deep recursion never crashes the process, whatever ``max_call_depth`` is
and whatever mix of Wasm frames, host functions and resumable calls fills
the stack: it runs, or traps with ``STACK_OVERFLOW`` (see
engine.runtime.stack). Each deep case runs in a subprocess, so that a crash
(SIGSEGV) fails the test instead of killing the test run."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import engine
from engine.runtime import stack

ROOT = Path(__file__).resolve().parent.parent

# rec(n): n round trips Wasm -> host -> Wasm; tail(n): n non-tail calls of
# a function that makes a tail call (the trampoline enters Python through C)
PROGRAM = textwrap.dedent('''
    import sys, threading
    import engine
    from engine import Config, Engine, FuncType, Linker, Module, Store, Trap, ValType

    WAT = """(module
      (import "env" "host" (func $host (param i32) (result i32)))
      (func (export "rec") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
          (else (i32.add (i32.const 1) (call $host (i32.sub (local.get 0) (i32.const 1)))))))
      (func $t (export "tail") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
          (else (i32.add (i32.const 1) (call $t2 (i32.sub (local.get 0) (i32.const 1)))))))
      (func $t2 (param i32) (result i32) (return_call $t (local.get 0))))"""

    def instance(limit, resumable=False):
        eng = Engine(Config(max_call_depth=limit))
        store = Store(eng)
        linker = Linker(eng)
        box = {}
        def host(x):
            f = box["rec"]
            return f(store, x)
        linker.define_func("env", "host", FuncType([ValType.i32()], [ValType.i32()]), host)
        ex = linker.instantiate(store, Module(eng, WAT)).exports(store)
        box["rec"] = ex["rec"]
        return store, ex

    def outcome(f, *args):
        try:
            return "ok %s" % (f(*args),)
        except Trap as e:
            return "trap %s" % e.code.name

    def concurrent(limit, n):
        # a default-depth resumable call stays suspended on its worker (whose
        # stack holds its own depth) while a deep call runs
        eng = Engine()
        store = Store(eng)
        linker = Linker(eng)
        def wait(x):
            raise engine.Suspend()
        linker.define_func("env", "host", FuncType([ValType.i32()], [ValType.i32()]), wait)
        waiting = linker.instantiate(store, Module(eng, WAT)).exports(store)
        call = waiting["rec"].call_resumable(store, 1)
        deep_store, deep = instance(limit)
        during = outcome(deep["rec"], deep_store, n)
        resumed = call.resume(store, 5)
        after = outcome(deep["rec"], deep_store, n)
        return "%s | %s | %s" % (during, resumed, after)

    def interrupted(limit):
        # Ctrl-C while a deep call runs on a worker: the worker stops, the
        # caller sees KeyboardInterrupt, and the store goes on
        import os, signal, time
        eng = Engine(Config(max_call_depth=limit))
        store = Store(eng)
        ex = Linker(eng).instantiate(store, Module(eng, """(module
          (global $n (export "n") (mut i32) (i32.const 0))
          (func (export "spin") (loop $l (global.set $n (i32.add (global.get $n) (i32.const 1))) (br $l)))
          (func (export "one") (result i32) (i32.const 1)))""")).exports(store)
        # (a process started with SIGINT ignored, as under a test runner's
        # workers, would not turn it into KeyboardInterrupt by itself)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
        try:
            ex["spin"](store)
            return "not interrupted"
        except KeyboardInterrupt:
            pass
        n = ex["n"].value(store)
        time.sleep(0.2)
        stopped = ex["n"].value(store) == n
        return "interrupted, stopped=%s, then %s" % (stopped, ex["one"](store))

    def main(kind, limit, n):
        if kind == "concurrent":
            return concurrent(limit, n)
        if kind == "interrupt":
            return interrupted(limit)
        store, ex = instance(limit)
        if kind == "resumable":
            return outcome(lambda: ex["rec"].call_resumable(store, n))
        if kind == "small-thread":
            out = []
            threading.stack_size(256 << 10)
            t = threading.Thread(target=lambda: out.append(outcome(ex["rec"], store, n)))
            t.start(); t.join()
            return out[0]
        return outcome(ex[kind], store, n)

    print(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
''')


def run(kind: str, limit: int, n: int) -> str:
    proc = subprocess.run([sys.executable, "-c", PROGRAM, kind, str(limit), str(n)],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    # a negative code is the signal that killed the process (-11: SIGSEGV)
    assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr[-2000:]}"
    return proc.stdout.strip()


@pytest.mark.parametrize("limit", [50_000, 100_000])
def test_wasm_host_wasm_recursion_traps_at_a_raised_limit_instead_of_crashing(limit):
    # each round trip is 7 units of the limit: the recursion asked for is
    # deeper than the limit allows, so it must trap, cleanly
    assert run("rec", limit, limit) == "trap STACK_OVERFLOW"


def test_a_million_deep_limit_runs_deep_host_recursion():
    # 20,000 round trips used to crash (about 5,600 fit the 8 MiB stack)
    assert run("rec", 1_000_000, 20_000) == "ok 20000"


def test_deep_host_recursion_in_a_resumable_call_does_not_crash():
    assert run("resumable", 1_000_000, 20_000) == "ok 20000"


def test_tail_calling_functions_deep_in_the_stack_do_not_crash():
    # each level is a trampoline entered through C: 100,000 levels are 200,000
    # units, within the limit, far past what the 8 MiB stack holds
    assert run("tail", 1_000_000, 100_000) == "ok 100000"


def test_a_thread_with_a_small_stack_runs_the_default_depth_safely():
    # a thread made with a 256 KiB stack: the call moves to a worker sized
    # for the default depth, and the recursion traps as on the main thread
    assert run("small-thread", engine.Config().max_call_depth, 100_000) == "trap STACK_OVERFLOW"


def test_a_suspended_call_with_a_smaller_stack_caps_the_shared_limit_meanwhile():
    # CPython's recursion limit is one for all threads: while the suspended
    # call's worker (sized for 10,000) may run again, a deep call elsewhere
    # may not raise the limit past what that stack holds; it traps cleanly
    # instead, and gets its whole depth once the suspended call is done
    during, resumed, after = run("concurrent", 1_000_000, 20_000).split(" | ")
    assert during == "trap STACK_OVERFLOW"
    assert resumed == "6"
    assert after == "ok 20000"


def test_an_interrupt_while_a_worker_runs_the_call_stops_it():
    assert run("interrupt", 1_000_000, 0) == "interrupted, stopped=True, then 1"


def test_the_default_depth_runs_on_the_calling_thread(monkeypatch):
    # an 8 MiB main thread holds the default budget: no worker, no hand-over
    if stack.frames_held(stack.thread_stack()) < engine.Config().max_call_depth + 1000:
        pytest.skip("this host's main-thread stack is smaller than 8 MiB")

    def no_worker(*args):
        raise AssertionError("moved to a worker")

    monkeypatch.setattr(stack, "run_on_worker", no_worker)
    eng = engine.Engine()
    store = engine.Store(eng)
    ex = engine.Linker(eng).instantiate(store, engine.Module(eng, """(module
      (func $d (export "d") (param i32) (result i32)
        (if (result i32) (local.get 0) (then (i32.add (i32.const 1) (call $d (i32.sub (local.get 0)
          (i32.const 1))))) (else (i32.const 0)))))""")).exports(store)
    assert ex["d"](store, 9_000) == 9_000


def test_a_deep_call_moves_to_a_worker_sized_for_it():
    eng = engine.Engine(engine.Config(max_call_depth=200_000))
    store = engine.Store(eng)
    seen = []
    linker = engine.Linker(eng)
    linker.define_func("env", "where", engine.FuncType([], []),
                       lambda: seen.append((stack.on_worker(), stack.thread_stack())))
    ex = linker.instantiate(store, engine.Module(eng, """(module
      (import "env" "where" (func $w)) (func (export "f") (call $w)))""")).exports(store)
    ex["f"](store)
    on_worker, size = seen[0]
    assert on_worker and stack.frames_held(size) >= 200_000


def test_stack_sizes_follow_the_documented_rule():
    assert stack.size_for(0) == 1 << 20
    assert stack.frames_held(stack.size_for(10_000)) >= 10_000
    assert stack.size_for(10**9) == stack.MAX_STACK
    assert stack.frames_held(stack.STACK_RESERVE) == 0
