"""``poll_oneoff``: wait for clocks and for descriptors to become ready.

Clock subscriptions (realtime and monotonic, relative or absolute) wait on
the host's monotonic clock. Descriptor subscriptions are ready at once for
files, in-memory streams and closed-off streams; a host stream (inherited
stdio) is polled with ``select``. The call returns as soon as anything is
ready, with one event per ready subscription, in subscription order.
"""

from __future__ import annotations

import os
import select
import time

from .abi import (EVENT, SUBSCRIPTION_CLOCK, SUBSCRIPTION_CLOCK_ABSTIME, SUBSCRIPTION_FD,
                  SUBSCRIPTION_HEAD, SUBSCRIPTION_SIZE, SUBSCRIPTION_UNION_OFFSET, ClockId, Errno,
                  EventType, FileType, Rights)
from .context import WasiContext, wasi_function
from .errors import WasiError
from .fds import Descriptor, DirFd, FileFd, StreamFd
from .host_env import CLOCKS

_WAITABLE_CLOCKS = (ClockId.REALTIME, ClockId.MONOTONIC)


def _fd_readiness(desc: Descriptor, kind: int) -> tuple[bool, int, int]:
    """``(ready now, nbytes, host fd to select on or -1)`` for one fd
    subscription."""
    if isinstance(desc, FileFd):
        if kind == EventType.FD_READ:
            try:
                here = os.lseek(desc.host_fd, 0, os.SEEK_CUR)
                return True, max(0, os.fstat(desc.host_fd).st_size - here), -1
            except OSError:
                return True, 0, -1
        return True, 0, -1
    if isinstance(desc, DirFd):
        return True, 0, -1
    assert isinstance(desc, StreamFd)
    stream = desc.stream
    host = stream.host_fd
    if host is None or stream.filetype == FileType.REGULAR_FILE:
        return True, stream.ready() if kind == EventType.FD_READ else 0, -1
    return False, 0, host


@wasi_function("poll_oneoff")
def poll_oneoff(ctx: WasiContext, in_ptr: int, out_ptr: int, nsubs: int, nevents_ptr: int) -> None:
    if nsubs == 0:
        raise WasiError(Errno.INVAL)
    mem = ctx.mem
    mem.check(in_ptr, nsubs * SUBSCRIPTION_SIZE)
    mem.check(out_ptr, nsubs * EVENT.size)
    mem.check(nevents_ptr, 4)

    events: list[tuple] = []  # (index, userdata, errno, type, nbytes)
    clocks: list[tuple[int, int, int]] = []  # (index, userdata, deadline on monotonic_ns)
    fds: list[tuple[int, int, int, Descriptor]] = []  # (index, userdata, type, desc)
    start = time.monotonic_ns()
    for index in range(nsubs):
        at = in_ptr + index * SUBSCRIPTION_SIZE
        userdata, tag = mem.unpack(SUBSCRIPTION_HEAD, at)
        body = at + SUBSCRIPTION_UNION_OFFSET
        if tag == EventType.CLOCK:
            clock_id, timeout, _precision, flags = mem.unpack(SUBSCRIPTION_CLOCK, body)
            if clock_id not in _WAITABLE_CLOCKS:
                events.append((index, userdata, Errno.NOTSUP if clock_id in CLOCKS
                               else Errno.INVAL, tag, 0))
                continue
            if flags & SUBSCRIPTION_CLOCK_ABSTIME:
                timeout = max(0, timeout - CLOCKS[clock_id]())
            clocks.append((index, userdata, start + timeout))
        elif tag in (EventType.FD_READ, EventType.FD_WRITE):
            (fd,) = mem.unpack(SUBSCRIPTION_FD, body)
            need = Rights.POLL_FD_READWRITE | (Rights.FD_READ if tag == EventType.FD_READ
                                               else Rights.FD_WRITE)
            try:
                desc = ctx.fds.get(fd)
                desc.require(need)
            except WasiError as e:
                events.append((index, userdata, e.errno, tag, 0))
                continue
            fds.append((index, userdata, tag, desc))
        else:
            raise WasiError(Errno.INVAL)

    while True:
        waiting_read: dict[int, list] = {}
        waiting_write: dict[int, list] = {}
        ready = []
        for index, userdata, tag, desc in fds:
            now_ready, nbytes, host = _fd_readiness(desc, tag)
            if now_ready:
                ready.append((index, userdata, Errno.SUCCESS, tag, nbytes))
            else:
                target = waiting_read if tag == EventType.FD_READ else waiting_write
                target.setdefault(host, []).append((index, userdata, tag))
        now = time.monotonic_ns()
        expired = [(index, userdata, Errno.SUCCESS, EventType.CLOCK, 0)
                   for index, userdata, deadline in clocks if deadline <= now]
        if events or ready or expired:
            break
        wait = None if not clocks else min(d for _, _, d in clocks) - now
        if waiting_read or waiting_write:
            try:
                readable, writable, _ = select.select(
                    list(waiting_read), list(waiting_write), [],
                    None if wait is None else wait / 1e9)
            except (OSError, ValueError) as e:
                raise WasiError(Errno.IO) from e
            for host in readable:
                ready += [(i, u, Errno.SUCCESS, t, 0) for i, u, t in waiting_read[host]]
            for host in writable:
                ready += [(i, u, Errno.SUCCESS, t, 0) for i, u, t in waiting_write[host]]
            if ready:
                now = time.monotonic_ns()
                expired = [(index, userdata, Errno.SUCCESS, EventType.CLOCK, 0)
                           for index, userdata, deadline in clocks if deadline <= now]
                break
        elif wait is not None:
            time.sleep(wait / 1e9)
        else:  # nothing could ever happen; report rather than hang
            raise WasiError(Errno.INVAL)

    happened = sorted(events + ready + expired)
    for slot, (_, userdata, errno, tag, nbytes) in enumerate(happened):
        mem.pack(EVENT, out_ptr + slot * EVENT.size, userdata, errno, tag, nbytes, 0)
    mem.set_u32(nevents_ptr, len(happened))
