"""Atomic memory accesses and wait/notify (the threads proposal).

Plain aligned loads and stores are single ``struct`` calls, which CPython
runs without switching threads, so they are atomic as they are; the
read-modify-write instructions hold the memory's lock. ``memory.atomic.wait``
blocks the calling Python thread on a per-address queue until a
``memory.atomic.notify`` from another thread wakes it or the timeout passes.
"""

from __future__ import annotations

import threading
from typing import Callable

from ..errors import Trap, TrapCode


def _check(mem, a: int, size: int) -> bytearray:
    data = mem.data
    if a + size > len(data):
        raise Trap(TrapCode.MEMORY_OUT_OF_BOUNDS)
    if a & (size - 1):
        raise Trap(TrapCode.UNALIGNED_ATOMIC)
    return data


def check_aligned(a: int, size: int) -> int:
    """The address, if aligned; else the unaligned-atomic trap."""
    if a & (size - 1):
        raise Trap(TrapCode.UNALIGNED_ATOMIC)
    return a


RMW_OPS: dict[str, Callable[[int, int], int]] = {
    "add": lambda old, v: old + v,
    "sub": lambda old, v: old - v,
    "and": lambda old, v: old & v,
    "or": lambda old, v: old | v,
    "xor": lambda old, v: old ^ v,
    "xchg": lambda old, v: v,
}


def atomic_rmw(mem, a: int, size: int, op: Callable[[int, int], int], v: int) -> int:
    """Apply ``op`` to the ``size``-byte value at ``a``; return the old value."""
    data = _check(mem, a, size)
    mask = (1 << (8 * size)) - 1
    with mem.lock:
        old = int.from_bytes(data[a:a + size], "little")
        data[a:a + size] = (op(old, v & mask) & mask).to_bytes(size, "little")
    return old


def atomic_cmpxchg(mem, a: int, size: int, expected: int, replacement: int) -> int:
    """Store ``replacement`` if the value at ``a`` equals ``expected``
    (both truncated to ``size`` bytes); return the old value."""
    data = _check(mem, a, size)
    mask = (1 << (8 * size)) - 1
    with mem.lock:
        old = int.from_bytes(data[a:a + size], "little")
        if old == expected & mask:
            data[a:a + size] = (replacement & mask).to_bytes(size, "little")
    return old


class _Waiter:
    __slots__ = ("event",)

    def __init__(self) -> None:
        self.event = threading.Event()


def _queues(mem) -> dict:
    q = getattr(mem, "waiters", None)
    if q is None:
        with mem.lock:
            q = getattr(mem, "waiters", None)
            if q is None:
                q = {}
                mem.waiters = q
    return q


def atomic_wait(mem, a: int, expected: int, timeout_ns: int, size: int) -> int:
    """``memory.atomic.wait32/64``: 0 woken, 1 value differs, 2 timed out."""
    if not mem.shared:
        raise Trap(TrapCode.EXPECTED_SHARED_MEMORY)
    data = _check(mem, a, size)
    queues = _queues(mem)
    with mem.lock:
        current = int.from_bytes(data[a:a + size], "little")
        if current != expected:
            return 1
        w = _Waiter()
        queues.setdefault(a, []).append(w)
    # a timeout is an i64: negative means forever
    signed = timeout_ns - (1 << 64) if timeout_ns >= 1 << 63 else timeout_ns
    woken = w.event.wait(None if signed < 0 else signed / 1e9)
    if not woken:
        with mem.lock:
            lst = queues.get(a)
            if lst and w in lst:
                lst.remove(w)
                return 2
        return 0  # notified between the timeout and taking the lock
    return 0


def atomic_notify(mem, a: int, count: int) -> int:
    """``memory.atomic.notify``: wake up to ``count`` waiters at ``a``."""
    _check(mem, a, 4)
    if not mem.shared:
        return 0
    queues = _queues(mem)
    with mem.lock:
        lst = queues.get(a)
        if not lst:
            return 0
        woken = lst[:count]
        del lst[:count]
    for w in woken:
        w.event.set()
    return len(woken)


def fence() -> None:
    """``atomic.fence``: CPython's memory model is already sequentially
    consistent for the operations above."""
