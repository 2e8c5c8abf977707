"""Resumable calls: a host function raising engine.Suspend suspends the Wasm
call; ResumableCall.resume continues it where it stopped."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
import time
import weakref
from pathlib import Path

import pytest

import engine
from engine import FuncType, ResumableCall, Suspend, TrapCode, ValType
from engine.runtime import resumable

from watutil import wat2wasm

I32 = ValType.i32()

TEXT = """
(module
  (import "host" "read" (func $read (param i32) (result i32)))
  (import "host" "pair" (func $pair (result i64 i32)))
  (import "host" "nested" (func $nested (param i32) (result i32)))
  (tag $oops (param i32))
  (global $steps (export "steps") (mut i32) (i32.const 0))
  ;; read(x) + read(x + 1), counting steps around each read
  (func (export "twice") (param i32) (result i32) (local i32)
    (global.set $steps (i32.const 1))
    (local.set 1 (call $read (local.get 0)))
    (global.set $steps (i32.const 2))
    (local.set 1 (i32.add (local.get 1) (call $read (i32.add (local.get 0) (i32.const 1)))))
    (global.set $steps (i32.const 3))
    (local.get 1))
  (func (export "pair_sum") (result i64)
    (call $pair)
    (i64.add (i64.extend_i32_s)))
  ;; traps when the host answers 0
  (func (export "checked") (param i32) (result i32)
    (if (i32.eqz (call $read (local.get 0))) (then unreachable))
    (i32.const 1))
  ;; throws when the host answers 0, catching it itself when asked to
  (func $thrower (param i32) (result i32)
    (if (i32.eqz (call $read (local.get 0))) (then (throw $oops (i32.const 99))))
    (i32.const 1))
  (func (export "throws") (param i32) (result i32) (call $thrower (local.get 0)))
  (func (export "catches") (param i32) (result i32)
    (block $h (result i32)
      (try_table (catch $oops $h) (return (call $thrower (local.get 0))))
      (unreachable)))
  ;; recursion to depth n, then a read at the bottom
  (func $deep (export "deep") (param i32) (result i32)
    (if (result i32) (local.get 0)
      (then (i32.add (call $deep (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))
      (else (call $read (i32.const 0)))))
  (func $forever (export "forever") (param i32) (result i32)
    (i32.add (call $forever (local.get 0)) (i32.const 1)))
  (func (export "inner") (param i32) (result i32) (i32.mul (call $read (local.get 0)) (i32.const 10)))
  (func (export "outer") (param i32) (result i32) (i32.add (call $nested (local.get 0)) (i32.const 1)))
  (func (export "keep") (param externref) (result i32) (call $read (i32.const 5))))
"""


class Env:
    """A store with TEXT instantiated; host functions suspend unless told
    otherwise."""

    def __init__(self, config=None, suspend=True):
        self.eng = engine.Engine(config)
        self.store = engine.Store(self.eng)
        self.suspend = suspend
        self.on_read = None
        self.reads: list[int] = []
        linker = engine.Linker(self.eng)
        linker.define_func("host", "read", FuncType([I32], [I32]), self.read)
        linker.define_func("host", "pair", FuncType([], [ValType.i64(), I32]), self.pair)
        linker.define_func("host", "nested", FuncType([I32], [I32]), self.nested)
        inst = linker.instantiate(self.store, engine.Module(self.eng, wat2wasm(TEXT)))
        self.ex = inst.exports(self.store)

    def read(self, x):
        self.reads.append(x)
        if self.on_read is not None:
            self.on_read(x)
        if self.suspend:
            raise Suspend("read", x)
        return x * 100

    def pair(self):
        raise Suspend("pair")

    def nested(self, x):
        # a host function that calls back into Wasm, which suspends
        return self.ex["inner"](self.store, x)


def test_a_call_suspended_twice_is_resumed_to_completion():
    env = Env()
    store, ex = env.store, env.ex
    call = ex["twice"].call_resumable(store, 20)
    assert isinstance(call, ResumableCall) and call.suspended
    assert call.host_error.args == ("read", 20)
    assert call.host_result_types == (I32,)
    assert ex["steps"].value(store) == 1  # stopped inside the first read
    again = call.resume(store, 1000)
    assert again is call and call.suspended
    assert call.host_error.args == ("read", 21)
    assert ex["steps"].value(store) == 2
    assert call.resume(store, 234) == 1234
    assert ex["steps"].value(store) == 3
    assert not call.suspended and call.host_error is None
    with pytest.raises(engine.UsageError):
        call.resume(store, 1)  # finished


def test_a_call_that_never_suspends_returns_its_results():
    env = Env(suspend=False)
    assert env.ex["twice"].call_resumable(env.store, 1) == 100 + 200
    assert env.ex["twice"](env.store, 1) == 300


def test_several_suspended_calls_coexist():
    env = Env()
    store, twice = env.store, env.ex["twice"]
    calls = [twice.call_resumable(store, 10 * i) for i in range(4)]
    assert [c.host_error.args[1] for c in calls] == [0, 10, 20, 30]
    for c in reversed(calls):
        assert c.resume(store, 1) is c
    assert [c.host_error.args[1] for c in calls] == [1, 11, 21, 31]
    assert [c.resume(store, i) for i, c in enumerate(calls)] == [1, 2, 3, 4]


def test_several_results_and_the_host_result_rules():
    env = Env()
    call = env.ex["pair_sum"].call_resumable(env.store)
    assert call.host_result_types == (ValType.i64(), I32)
    with pytest.raises(engine.UsageError):
        call.resume(env.store, 5)  # two values needed
    with pytest.raises(engine.UsageError):
        call.resume(env.store, ("x", 1))
    assert call.suspended  # a refused resume leaves the call suspended
    assert call.resume(env.store, (2**40, -3)) == 2**40 - 3


def test_a_trap_after_resuming_surfaces_normally():
    env = Env()
    call = env.ex["checked"].call_resumable(env.store, 1)
    with pytest.raises(engine.Trap) as e:
        call.resume(env.store, 0)
    assert e.value.code is TrapCode.UNREACHABLE
    assert not call.suspended
    # the store and the instance go on working
    assert env.ex["checked"].call_resumable(env.store, 1).resume(env.store, 1) == 1


def test_wasm_exceptions_across_a_suspension():
    env = Env()
    call = env.ex["throws"].call_resumable(env.store, 1)
    with pytest.raises(engine.WasmException) as e:
        call.resume(env.store, 0)
    assert e.value.payload == (99,)
    call = env.ex["catches"].call_resumable(env.store, 1)
    assert call.resume(env.store, 0) == 99  # caught in Wasm after resuming


def test_suspending_outside_a_resumable_call_is_a_host_trap():
    env = Env()
    with pytest.raises(engine.Trap) as e:
        env.ex["twice"](env.store, 1)
    assert e.value.code is TrapCode.HOST
    assert isinstance(e.value.__cause__, Suspend)


def test_a_suspension_inside_a_host_to_wasm_reentry():
    env = Env()
    call = env.ex["outer"].call_resumable(env.store, 4)
    assert call.host_error.args == ("read", 4)
    assert call.resume(env.store, 7) == 71


def test_usage_errors_and_other_stores():
    env = Env()
    with pytest.raises(engine.UsageError):
        env.ex["twice"].call_resumable(env.store)
    with pytest.raises(engine.UsageError):
        env.ex["twice"].call_resumable(env.store, "x")
    call = env.ex["twice"].call_resumable(env.store, 1)
    with pytest.raises(engine.UsageError):
        call.resume(engine.Store(env.eng), 1)
    call.close()
    with pytest.raises(engine.UsageError):
        call.resume(env.store, 1)


def _eventually(predicate, timeout=10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        gc.collect()
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


class Token:
    """An externref only the suspended Wasm frames keep alive."""


@pytest.mark.parametrize("release", ["drop", "close", "with"])
def test_a_released_handle_frees_the_suspended_call(release):
    env = Env()
    token = Token()
    alive = weakref.ref(token)
    workers_before = threading.active_count()
    call = env.ex["keep"].call_resumable(env.store, token)
    del token
    assert call.suspended and alive() is not None
    if release == "drop":
        del call
    elif release == "close":
        call.close()
    else:
        with call:
            pass
    assert _eventually(lambda: alive() is None), "the suspended frames were not released"
    # the worker unwound and went back to the pool (or ended)
    assert _eventually(lambda: threading.active_count() <= workers_before
                       or resumable.idle_workers() >= 1)


def test_depth_is_bounded_in_a_resumable_call_as_in_a_normal_one():
    env = Env(engine.Config(max_call_depth=3000))
    call = env.ex["deep"].call_resumable(env.store, 2000)
    assert call.resume(env.store, 5) == 2005
    with pytest.raises(engine.Trap) as e:
        env.ex["forever"].call_resumable(env.store, 0)
    assert e.value.code is TrapCode.STACK_OVERFLOW
    deep_default = Env()  # the default depth (10,000) on a worker thread
    assert deep_default.ex["deep"].call_resumable(deep_default.store, 8000).resume(
        deep_default.store, 1) == 8001


def test_resuming_from_another_thread():
    env = Env()
    call = env.ex["twice"].call_resumable(env.store, 3)
    out = []
    t = threading.Thread(target=lambda: out.append(call.resume(env.store, 1)))
    t.start()
    t.join(10)
    assert out == [call]
    assert call.resume(env.store, 2) == 3


def test_fuel_is_spent_across_a_suspension():
    env = Env(engine.Config(consume_fuel=True))
    env.store.set_fuel(10_000)
    call = env.ex["deep"].call_resumable(env.store, 3)
    spent_before = 10_000 - env.store.get_fuel()
    assert spent_before > 0
    # fuel is charged on entry to each function (loops: per iteration), so
    # the frames' code after the read was paid before suspending, and the
    # store's fuel is the same one on both sides of the suspension
    assert call.resume(env.store, 1) == 4
    assert 10_000 - env.store.get_fuel() == spent_before
    env.store.set_fuel(0)
    with pytest.raises(engine.Trap) as e:
        env.ex["deep"].call_resumable(env.store, 1)
    assert e.value.code is TrapCode.OUT_OF_FUEL


def test_closing_a_call_while_it_runs_ends_it_at_its_next_suspension():
    env = Env()
    call = env.ex["twice"].call_resumable(env.store, 1)
    # the second read closes the call (as another thread could) before
    # suspending: the call unwinds instead of suspending
    env.on_read = lambda x: call.close()
    with pytest.raises(engine.UsageError, match="closed before it finished"):
        call.resume(env.store, 1)
    assert not call.suspended
    assert env.ex["steps"].value(env.store) == 2


# a worker thread dying of an error would only be reported as a warning
@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_an_interrupted_wait_releases_the_call_and_the_worker(monkeypatch):
    env = Env()
    real_wait = resumable._Session.wait
    interrupted = []

    def interrupted_wait(self):
        # the caller is interrupted just after the worker signalled it
        if not interrupted:
            interrupted.append(self)
            while self.state == resumable._RUNNING:
                time.sleep(0.001)
            self.cancel()
            raise KeyboardInterrupt
        return real_wait(self)

    monkeypatch.setattr(resumable._Session, "wait", interrupted_wait)
    with pytest.raises(KeyboardInterrupt):
        env.ex["twice"].call_resumable(env.store, 1)
    session = interrupted[0]
    assert _eventually(lambda: session.state == resumable._DONE and session.unwound)
    # the worker survived and serves the next calls
    for _ in range(2 * resumable.MAX_IDLE_WORKERS):
        call = env.ex["twice"].call_resumable(env.store, 1)
        call.resume(env.store, 1)
        assert call.resume(env.store, 1) == 2


# -- host resources ------------------------------------------------------------------


def test_a_thread_the_host_cannot_start_is_a_resource_trap(monkeypatch):
    from engine.runtime import stack

    def no_thread(self):
        raise RuntimeError("can't start new thread")

    env = Env()
    monkeypatch.setattr(stack, "_idle", [])  # no idle worker to reuse
    monkeypatch.setattr(threading.Thread, "start", no_thread)
    with pytest.raises(engine.Trap) as e:
        env.ex["twice"].call_resumable(env.store, 1)
    assert e.value.code is TrapCode.RESOURCE_EXHAUSTED
    assert "can't start new thread" in str(e.value)
    monkeypatch.undo()
    # nothing was counted or left behind: the store goes on
    call = env.ex["twice"].call_resumable(env.store, 1)
    assert call.resume(env.store, 1).resume(env.store, 2) == 3


def test_the_store_caps_the_resumable_calls_that_coexist():
    env = Env()
    env.store.set_limits(suspended_calls=2)
    first = env.ex["twice"].call_resumable(env.store, 1)
    second = env.ex["twice"].call_resumable(env.store, 2)
    with pytest.raises(engine.Trap) as e:
        env.ex["twice"].call_resumable(env.store, 3)
    assert e.value.code is TrapCode.RESOURCE_EXHAUSTED and "2 suspended calls" in str(e.value)
    # a finished call frees its place, and so does a closed one
    assert first.resume(env.store, 0).resume(env.store, 0) == 0
    third = env.ex["twice"].call_resumable(env.store, 3)
    with pytest.raises(engine.Trap):
        env.ex["twice"].call_resumable(env.store, 4)
    second.close()
    assert _eventually(lambda: env.store._limiter.resumable_calls == 1)
    fourth = env.ex["twice"].call_resumable(env.store, 4)
    assert isinstance(fourth, ResumableCall) and third.suspended
    third.close()
    fourth.close()
    assert _eventually(lambda: env.store._limiter.resumable_calls == 0)
    # calls that never suspend are counted only while they run
    plain = Env(suspend=False)
    plain.store.set_limits(suspended_calls=1)
    for _ in range(3):
        assert plain.ex["twice"].call_resumable(plain.store, 1) == 300
    # the cap is checked and documented like the others
    with pytest.raises(engine.UsageError):
        engine.StoreLimits(suspended_calls=-1)


_EXHAUST = r"""
import resource, sys
import engine
from engine import FuncType, Linker, Module, Store, Suspend, Trap, TrapCode, ValType

def wait(x):
    raise Suspend()

eng = engine.Engine()
store = Store(eng)
linker = Linker(eng)
linker.define_func("env", "wait", FuncType([ValType.i32()], [ValType.i32()]), wait)
f = linker.instantiate(store, Module(eng, '(module (import "env" "wait" (func $w (param i32) (result i32)))'
                                          ' (func (export "f") (param i32) (result i32) (call $w (local.get 0))))'
                       )).exports(store)["f"]
f.call_resumable(store, 0).close()
# an address space with room for a few hundred MiB more: thread stacks run out
used = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
resource.setrlimit(resource.RLIMIT_AS, (used + (300 << 20),) * 2)
calls = []
for i in range(2000):
    try:
        calls.append(f.call_resumable(store, i))
    except Trap as e:
        assert e.code is TrapCode.RESOURCE_EXHAUSTED, e
        break
else:
    sys.exit("no thread ran out")
n = len(calls)
for c in calls:
    c.close()
print("exhausted after", n)
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux /proc to size the limit")
def test_running_out_of_threads_for_real_is_a_resource_trap():
    # the case that raised RuntimeError: thread stacks that no longer fit
    proc = subprocess.run([sys.executable, "-c", _EXHAUST], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.startswith("exhausted after ")
