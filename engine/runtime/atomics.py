"""Atomic memory accesses and wait/notify (the threads proposal).

Aligned atomic loads are single ``struct`` calls, which CPython runs without
switching threads, so they are atomic as they are; atomic stores and the
read-modify-write instructions hold the memory's lock (a store that did not
could land between the read and the write of a read-modify-write and be
lost). ``memory.atomic.wait``
blocks the calling Python thread on a per-address queue until a
``memory.atomic.notify`` from another thread wakes it or the timeout passes.
"""

from __future__ import annotations

import threading
import time
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


def atomic_store(mem, a: int, size: int, v: int) -> None:
    """An atomic store of the low ``size`` bytes of ``v``: under the memory's
    lock, so that no read-modify-write running at the same time loses it."""
    data = _check(mem, a, size)
    b = (v & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
    with mem.lock:
        data[a:a + size] = b


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


# --- shared-everything-threads: atomic accesses to globals, tables, structs
# and arrays ---------------------------------------------------------------------
#
# Reads and writes of one list slot or one closure cell are single operations
# in CPython (one bytecode under the GIL; per-object locks in free-threaded
# builds), so atomic gets are plain reads. Every atomic write and
# read-modify-write takes one process-wide lock: an RMW cannot lose a
# concurrent atomic store, and no RMW sees a half-done one. The lock is only
# ever taken by these instructions, so code that does not use them pays
# nothing. CPython runs them in one total order, which is sequentially
# consistent: both orderings (seqcst, acqrel) get the stronger one.

_SHARED_LOCK = threading.Lock()


def _same_ref(a, b) -> bool:
    """``ref.eq``: identity, or equal i31 values (plain ints)."""
    return a is b or (a.__class__ is int and a == b)


def slot_store(seq, i: int, v) -> None:
    """An atomic store into a struct field, array element or table slot."""
    with _SHARED_LOCK:
        seq[i] = v


def slot_rmw(seq, i: int, op: Callable[[int, int], int], v: int, mask: int) -> int:
    """``op`` applied atomically to an integer slot; returns the old value."""
    with _SHARED_LOCK:
        old = seq[i]
        seq[i] = op(old, v) & mask
    return old


def slot_xchg(seq, i: int, v):
    """Atomically replace a slot's value; returns the old one."""
    with _SHARED_LOCK:
        old = seq[i]
        seq[i] = v
    return old


def slot_cmpxchg(seq, i: int, expected, replacement, refs: bool):
    """Store ``replacement`` if the slot holds ``expected`` (numbers compare
    by value, references as ``ref.eq`` does); returns the old value."""
    with _SHARED_LOCK:
        old = seq[i]
        if (_same_ref(old, expected) if refs else old == expected):
            seq[i] = replacement
    return old


def global_store(g, v) -> None:
    """An atomic store into a global (its value lives in ``g.cell``)."""
    with _SHARED_LOCK:
        g.cell.cell_contents = v


def global_rmw(g, op: Callable[[int, int], int], v: int, mask: int) -> int:
    """``op`` applied atomically to an integer global; returns the old value."""
    cell = g.cell
    with _SHARED_LOCK:
        old = cell.cell_contents
        cell.cell_contents = op(old, v) & mask
    return old


def global_xchg(g, v):
    """Atomically replace a global's value; returns the old one."""
    cell = g.cell
    with _SHARED_LOCK:
        old = cell.cell_contents
        cell.cell_contents = v
    return old


def global_cmpxchg(g, expected, replacement, refs: bool):
    """Compare-exchange on a global (see :func:`slot_cmpxchg`)."""
    cell = g.cell
    with _SHARED_LOCK:
        old = cell.cell_contents
        if (_same_ref(old, expected) if refs else old == expected):
            cell.cell_contents = replacement
    return old


def pause() -> None:
    """``pause``: a spin-wait hint; it lets other threads run."""
    time.sleep(0)


#: The helpers generated code calls, by the names it uses.
SHARED_HELPERS: dict[str, Callable] = {
    "SLOT_STORE": slot_store, "SLOT_RMW": slot_rmw, "SLOT_XCHG": slot_xchg,
    "SLOT_CMPXCHG": slot_cmpxchg, "GLOBAL_STORE": global_store, "GLOBAL_RMW": global_rmw,
    "GLOBAL_XCHG": global_xchg, "GLOBAL_CMPXCHG": global_cmpxchg, "PAUSE": pause,
}
