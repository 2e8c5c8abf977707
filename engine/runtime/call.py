"""Calls that cross the host boundary into Wasm.

Generated code raises a few plain Python exceptions where checking would cost
more than catching: an out-of-bounds memory access surfaces as
``struct.error`` or ``IndexError`` (or ``OverflowError`` for 64-bit
addresses beyond the host's index range), an integer division by zero as
``ZeroDivisionError``, and stack exhaustion as ``RecursionError``. Every entry
from the host maps them to the matching :class:`Trap` here, so no other
exception leaves the API. (Wasm exception handlers only catch
``WasmException``, so these are never caught by Wasm code.)

The call depth is bounded with CPython's own recursion limit, which costs
nothing per call: on the outermost entry of a thread the limit is raised to
the current depth plus the configured maximum, and restored when the last
active call returns. The limit counts frames, not bytes: a call whose
budget is more than the thread's C stack holds runs on a worker thread with
a stack sized for it (:mod:`engine.runtime.stack`), so that no depth,
whatever mix of Wasm and host frames fills it, can overflow the C stack.
The limit is one number for all threads: while several run Wasm (a
suspended resumable call counts), it is raised to the largest budget among
them, but never past what any of their stacks holds, and a thread whose
stack cannot hold the limit in force moves its call to a worker too.
"""

from __future__ import annotations

import struct
import sys
import threading
from typing import Any, Sequence

from ..errors import Trap, TrapCode, UsageError, WasmException
from . import stack
from . import values as V
from .gc import MAX_ARRAY_LENGTH
from .gc import running as _gc_running

_state = threading.local()
_limit_lock = threading.Lock()
_active = 0
_saved_limit = 0
_holds: dict[int, int] = {}  # thread id -> frames its stack holds, for threads running Wasm
_MARGIN = 64


def _frame_depth() -> int:
    f = sys._getframe(2)
    n = 0
    while f is not None:
        n += 1
        f = f.f_back
    return n


def stack_needed(max_depth: int, frames: int = 0) -> int:
    """The stack (bytes) a thread needs to run a call with this depth
    budget on top of ``frames`` frames, given the limit other threads
    running Wasm have set."""
    want = frames + max_depth + _MARGIN
    with _limit_lock:
        if _active:
            want = max(want, sys.getrecursionlimit())
    return stack.size_for(want)


def _enter(max_depth: int) -> tuple[bool, int]:
    """(outermost, 0) once the call may run here; (False, size) when it
    must run on a worker with a stack of ``size`` bytes instead. The
    outermost entry of a thread raises the recursion limit."""
    global _active, _saved_limit
    depth = getattr(_state, "depth", 0)
    if depth:
        _state.depth = depth + 1
        return False, 0
    want = _frame_depth() + max_depth + _MARGIN
    held = getattr(_state, "held", None)
    if held is None:  # a thread's stack never changes: look once
        held = _state.held = stack.frames_held(stack.thread_stack())
    with _limit_lock:
        need = max(want, sys.getrecursionlimit()) if _active else want
        if need > held and not stack.on_worker():
            return False, stack.size_for(need)
        # never past what this thread's stack, or another running thread's,
        # holds (a worker at the largest stack size may hold less than asked)
        limit = min(want, held, *_holds.values())
        if _active == 0:
            _saved_limit = sys.getrecursionlimit()
            # alone: the limit is exactly this call's budget
            sys.setrecursionlimit(limit)
        elif sys.getrecursionlimit() < limit:
            # other threads are running Wasm: only ever raise the shared limit
            sys.setrecursionlimit(limit)
        _active += 1
        _holds[threading.get_ident()] = held
    _state.depth = 1
    return True, 0


def _leave(outermost: bool) -> None:
    global _active
    _state.depth -= 1
    if not outermost:
        return
    with _limit_lock:
        _active -= 1
        _holds.pop(threading.get_ident(), None)
        if _active == 0:
            sys.setrecursionlimit(_saved_limit)


def invoke(store, fn, args: Sequence[Any]) -> Any:
    """Run engine callable ``fn`` with engine values, mapping the Python
    exceptions of generated code to traps."""
    if store is not None:
        max_depth = store.engine.config.max_call_depth
        array_cap = store._limiter.array_cap
    else:
        max_depth, array_cap = 10_000, MAX_ARRAY_LENGTH
    outermost, move = _enter(max_depth)
    if move:
        # the thread's C stack cannot hold this call's depth: a worker's can
        return stack.run_on_worker(move, invoke, store, fn, args)
    # GC allocations of this call count against this store's cap (a host
    # function may call into another store: the previous cap comes back)
    outer_cap = getattr(_gc_running, "array_cap", MAX_ARRAY_LENGTH)
    _gc_running.array_cap = array_cap
    try:
        return fn(*args)
    except (Trap, WasmException):
        raise
    # the trap replaces a Python exception: it keeps that exception's
    # traceback, where the Wasm frames are (Trap.frames)
    except RecursionError as e:
        raise Trap(TrapCode.STACK_OVERFLOW)._with_inner(e.__traceback__) from None
    except (struct.error, IndexError, OverflowError) as e:
        raise Trap(TrapCode.MEMORY_OUT_OF_BOUNDS)._with_inner(e.__traceback__) from None
    except ZeroDivisionError as e:
        raise Trap(TrapCode.INTEGER_DIVIDE_BY_ZERO)._with_inner(e.__traceback__) from None
    except MemoryError as e:
        raise Trap(TrapCode.OUT_OF_MEMORY, "out of memory: the host has none left")._with_inner(
            e.__traceback__) from None
    finally:
        _gc_running.array_cap = outer_cap
        _leave(outermost)


def call_export(store, func, args: Sequence[Any]) -> Any:
    """``func(store, *args)``: convert, run, convert back."""
    ft = func.functype
    params = ft.params
    if len(args) != len(params):
        raise UsageError(f"expected {len(params)} arguments, got {len(args)}")
    wargs = [V.to_wasm(t, a) for t, a in zip(params, args)]
    out = invoke(store, func.fn, wargs)
    results = ft.results
    if not results:
        return None
    if len(results) == 1:
        return V.from_wasm(results[0], out)
    return V.Results(V.from_wasm(t, v) for t, v in zip(results, out))
