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
active call returns.
"""

from __future__ import annotations

import struct
import sys
import threading
from typing import Any, Sequence

from ..errors import Trap, TrapCode, UsageError, WasmException
from . import values as V

_state = threading.local()
_limit_lock = threading.Lock()
_active = 0
_saved_limit = 0
_MARGIN = 64


def _frame_depth() -> int:
    f = sys._getframe(2)
    n = 0
    while f is not None:
        n += 1
        f = f.f_back
    return n


def _enter(max_depth: int) -> bool:
    """Raise the recursion limit on the outermost entry of this thread."""
    global _active, _saved_limit
    depth = getattr(_state, "depth", 0)
    _state.depth = depth + 1
    if depth:
        return False
    want = _frame_depth() + max_depth + _MARGIN
    with _limit_lock:
        if _active == 0:
            _saved_limit = sys.getrecursionlimit()
            # alone: the limit is exactly this call's budget
            sys.setrecursionlimit(want)
        elif sys.getrecursionlimit() < want:
            # other threads are running Wasm: only ever raise the shared limit
            sys.setrecursionlimit(want)
        _active += 1
    return True


def _leave(outermost: bool) -> None:
    global _active
    _state.depth -= 1
    if not outermost:
        return
    with _limit_lock:
        _active -= 1
        if _active == 0:
            sys.setrecursionlimit(_saved_limit)


def invoke(store, fn, args: Sequence[Any]) -> Any:
    """Run engine callable ``fn`` with engine values, mapping the Python
    exceptions of generated code to traps."""
    max_depth = store.engine.config.max_call_depth if store is not None else 10_000
    outermost = _enter(max_depth)
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
        raise Trap(TrapCode.HOST, "out of host memory")._with_inner(e.__traceback__) from None
    finally:
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
