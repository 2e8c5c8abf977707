"""The C stack under Wasm calls, and worker threads with stacks sized for
the configured call depth.

Translated Wasm runs as Python code, and CPython bounds its nesting with one
number, the recursion limit, which :mod:`engine.runtime.call` raises to
cover ``Config.max_call_depth``. That limit counts Python frames (and C
calls that re-enter the interpreter); it does not look at the C stack. A
plain Wasm-to-Wasm call uses none of it (CPython 3.11 runs Python-to-Python
calls in the same C frame), but every frame entered through C does: a host
function called with ``f(*args)``, ``Func.__call__`` back into Wasm, the
trampoline of tail-calling functions. Past what the thread's stack holds,
CPython does not raise RecursionError: the process dies (SIGSEGV).

Measured on CPython 3.11 (x86_64, one unit = one step of the recursion
limit): Wasm -> host -> Wasm recursion uses about 213 bytes of C stack per
unit (1,490 per round trip of 7 units), through a host method 237, a
tail-calling function 185, and plain Python host code that recurses through
``f(*args)`` 368. :data:`BYTES_PER_FRAME` bounds them all with room to
spare; host code that recurses through C functions (``map``, ``sorted``
keys, ...) may use more per unit and is not covered.

So a call whose depth budget (the frames already on the thread, plus
``max_call_depth``) is more than the thread's stack holds at that rate does
not run on the calling thread: it runs on a worker thread whose stack is
sized for it (:func:`run_on_worker`), while the caller waits. On an 8 MiB
main thread that happens above about 15,000 (the default, 10,000, runs in
place); a worker stack is at most :data:`MAX_STACK`, which bounds the
depth to about 2 million. Resumable calls run on the same workers.

The stack a thread holds: its own size for the workers made here; for the
main thread the stack rlimit (8 MiB when unlimited); for other threads
``threading.stack_size()`` when set, else the platform's default for
threads (glibc: the stack rlimit, or 2 MiB; macOS: CPython's 16 MiB), and
nothing (every deep call moves to a worker) where it is not known.
"""

from __future__ import annotations

import sys
import threading
from typing import Any, Callable, Optional

from ..errors import Trap, TrapCode

#: Bytes of C stack one unit of the recursion limit may take, at most
#: (measured above: 368 for the worst shape covered).
BYTES_PER_FRAME = 512
#: Stack kept for what runs below the first Wasm call and is not counted.
STACK_RESERVE = 256 << 10
#: The largest stack a worker thread gets (virtual memory: pages are only
#: used as deep calls touch them).
MAX_STACK = 1 << 30
#: How many idle worker threads are kept for later calls.
MAX_IDLE_WORKERS = 4

_MiB = 1 << 20
_here = threading.local()  # .stack_size: set on the workers made here


def frames_held(size: int) -> int:
    """How many units of the recursion limit a stack of ``size`` bytes holds."""
    return max(0, (size - STACK_RESERVE) // BYTES_PER_FRAME)


def size_for(frames: int) -> int:
    """The stack, in bytes (whole MiB, at most :data:`MAX_STACK`), that
    holds ``frames`` units of the recursion limit."""
    size = frames * BYTES_PER_FRAME + STACK_RESERVE
    return min(MAX_STACK, -(-size // _MiB) * _MiB)


def _rlimit_stack() -> Optional[int]:
    try:
        import resource
    except ImportError:
        return None
    soft = resource.getrlimit(resource.RLIMIT_STACK)[0]
    return None if soft == resource.RLIM_INFINITY or soft <= 0 else soft


def _default_thread_stack() -> int:
    if sys.platform == "darwin":
        return 16 * _MiB  # CPython's own default for the threads it starts there
    if sys.platform.startswith("linux"):
        import platform

        if platform.libc_ver()[0] == "glibc":
            return _rlimit_stack() or 2 * _MiB
    return 0  # not known: assume nothing


_DEFAULTS: dict[str, int] = {}


def thread_stack() -> int:
    """The C stack, in bytes, of the calling thread (see the module's docstring)."""
    size = getattr(_here, "stack_size", None)
    if size is not None:
        return size
    if threading.current_thread() is threading.main_thread():
        if "main" not in _DEFAULTS:
            _DEFAULTS["main"] = _rlimit_stack() or 8 * _MiB
        return _DEFAULTS["main"]
    chosen = threading.stack_size()
    if chosen:
        return chosen
    if "thread" not in _DEFAULTS:
        _DEFAULTS["thread"] = _default_thread_stack()
    return _DEFAULTS["thread"]


def on_worker() -> bool:
    """Whether the calling thread is one of the workers made here."""
    return getattr(_here, "stack_size", None) is not None


# -- the worker pool ----------------------------------------------------------------

_pool_lock = threading.Lock()
_create_lock = threading.Lock()
_idle: list["_Worker"] = []


class _Worker:
    """A daemon thread with a stack of ``size`` bytes that runs jobs one
    after another. A job may return a callable, run once the worker is back
    in the pool (so that whoever it wakes finds the worker idle)."""

    __slots__ = ("go", "job", "thread", "size")

    def __init__(self, size: int) -> None:
        self.go = threading.Lock()
        self.go.acquire()
        self.job: Optional[Callable[[], Any]] = None
        self.size = size
        self.thread = threading.Thread(target=self._loop, name="wasm-worker", daemon=True)
        with _create_lock:
            # threading.stack_size is process-wide: set it only around our start
            previous = threading.stack_size(size)
            try:
                self.thread.start()
            finally:
                threading.stack_size(previous)

    def _loop(self) -> None:
        _here.stack_size = self.size
        while True:
            self.go.acquire()
            job, self.job = self.job, None
            if job is None:
                return
            after = job()
            del job
            with _pool_lock:
                keep = len(_idle) < MAX_IDLE_WORKERS
                if keep:
                    _idle.append(self)
            if after is not None:
                after()
                del after
            if not keep:
                return


def start(job: Callable[[], Any], size: int) -> threading.Thread:
    """Run ``job()`` on an idle worker whose stack is at least ``size``
    bytes, or on a new one; its thread. A thread that cannot be started
    (the host is out of threads or memory) is ``Trap(RESOURCE_EXHAUSTED)``."""
    w = None
    with _pool_lock:
        fitting = [x for x in _idle if x.size >= size and x.thread.is_alive()]
        if fitting:
            w = min(fitting, key=lambda x: x.size)
            _idle.remove(w)
    if w is None:
        try:
            w = _Worker(size)
        except (RuntimeError, MemoryError, ValueError, OSError) as e:
            raise Trap(TrapCode.RESOURCE_EXHAUSTED,
                       f"host resources exhausted: cannot start a thread with a {size >> 20} MiB stack "
                       f"({type(e).__name__}: {e})") from e
    w.job = job
    w.go.release()
    return w.thread


def idle_workers() -> int:
    """How many worker threads wait for a job (for tests)."""
    with _pool_lock:
        return len(_idle)


def _interrupt(thread: threading.Thread, kind: type) -> None:
    """Raise ``kind`` in ``thread`` at its next bytecode (where ctypes is
    available; otherwise the thread runs on)."""
    try:
        import ctypes

        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(kind))
    except Exception:  # noqa: BLE001 - only a courtesy to the user's Ctrl-C
        pass


def run_on_worker(size: int, fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` on a worker with a stack of at least ``size`` bytes,
    the caller waiting: its result, or its exception raised here. An
    exception raised in the caller while it waits (Ctrl-C, a signal
    handler's) is passed on to the worker, and raised here once the worker
    has stopped: the store is never used by both."""
    outcome: list = []
    done = threading.Lock()
    done.acquire()

    def job():
        try:
            outcome.append((True, fn(*args)))
        except BaseException as e:  # noqa: BLE001 - handed to the caller as is
            outcome.append((False, e))
        return done.release

    thread = start(job, size)
    interrupted: Optional[BaseException] = None
    while True:
        try:
            done.acquire()
            break
        except BaseException as e:  # noqa: BLE001 - raised again once the worker stops
            interrupted = e
            _interrupt(thread, type(e))
    ok, value = outcome[0]
    if interrupted is not None:
        raise interrupted
    if ok:
        return value
    raise value
