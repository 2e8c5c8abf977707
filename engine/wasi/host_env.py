"""Arguments, environment, clocks, randomness, scheduling and exit."""

from __future__ import annotations

import os
import time
from typing import Callable

from .abi import ClockId, Errno
from .context import WasiContext, wasi_function
from .errors import ProcExit, WasiError

#: The host clock behind each clock id, in nanoseconds.
CLOCKS: dict[int, Callable[[], int]] = {
    ClockId.REALTIME: time.time_ns,
    ClockId.MONOTONIC: time.monotonic_ns,
    ClockId.PROCESS_CPUTIME_ID: time.process_time_ns,
    ClockId.THREAD_CPUTIME_ID: time.thread_time_ns,
}

_CLOCK_INFO_NAMES = {
    ClockId.REALTIME: "time",
    ClockId.MONOTONIC: "monotonic",
    ClockId.PROCESS_CPUTIME_ID: "process_time",
    ClockId.THREAD_CPUTIME_ID: "thread_time",
}


def _sizes(ctx: WasiContext, strings: list[bytes], count_ptr: int, size_ptr: int) -> None:
    ctx.mem.set_u32(count_ptr, len(strings))
    ctx.mem.set_u32(size_ptr, sum(len(s) + 1 for s in strings))


def _strings(ctx: WasiContext, strings: list[bytes], ptrs: int, buf: int) -> None:
    mem = ctx.mem
    mem.check(ptrs, 4 * len(strings))
    mem.check(buf, sum(len(s) + 1 for s in strings))
    for s in strings:
        mem.set_u32(ptrs, buf)
        mem.write(buf, s + b"\0")
        ptrs += 4
        buf += len(s) + 1


@wasi_function("args_sizes_get")
def args_sizes_get(ctx: WasiContext, argc_ptr: int, size_ptr: int) -> None:
    _sizes(ctx, ctx.args, argc_ptr, size_ptr)


@wasi_function("args_get")
def args_get(ctx: WasiContext, argv_ptr: int, buf_ptr: int) -> None:
    _strings(ctx, ctx.args, argv_ptr, buf_ptr)


@wasi_function("environ_sizes_get")
def environ_sizes_get(ctx: WasiContext, count_ptr: int, size_ptr: int) -> None:
    _sizes(ctx, ctx.env, count_ptr, size_ptr)


@wasi_function("environ_get")
def environ_get(ctx: WasiContext, environ_ptr: int, buf_ptr: int) -> None:
    _strings(ctx, ctx.env, environ_ptr, buf_ptr)


def clock_now(clock_id: int) -> int:
    """The current time of ``clock_id`` in nanoseconds (INVAL if unknown)."""
    clock = CLOCKS.get(clock_id)
    if clock is None:
        raise WasiError(Errno.INVAL)
    return clock()


@wasi_function("clock_res_get")
def clock_res_get(ctx: WasiContext, clock_id: int, out: int) -> None:
    name = _CLOCK_INFO_NAMES.get(clock_id)
    if name is None:
        raise WasiError(Errno.INVAL)
    # The witx requires a non-zero resolution for supported clocks.
    ctx.mem.set_u64(out, max(1, round(time.get_clock_info(name).resolution * 1e9)))


@wasi_function("clock_time_get")
def clock_time_get(ctx: WasiContext, clock_id: int, precision: int, out: int) -> None:
    ctx.mem.set_u64(out, clock_now(clock_id))


@wasi_function("random_get")
def random_get(ctx: WasiContext, buf: int, size: int) -> None:
    ctx.mem.check(buf, size)
    ctx.mem.write(buf, os.urandom(size))


@wasi_function("sched_yield")
def sched_yield(ctx: WasiContext) -> None:
    time.sleep(0)


@wasi_function("proc_exit")
def proc_exit(ctx: WasiContext, code: int) -> None:
    ctx.flush()
    raise ProcExit(code)


@wasi_function("proc_raise")
def proc_raise(ctx: WasiContext, signal: int) -> None:
    # Signals are not part of this host; the call is in the witx but
    # deprecated, and libc's raise() does not use it.
    raise WasiError(Errno.NOTSUP)
