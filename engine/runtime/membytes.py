"""The bytes behind a linear memory, and how they grow.

Generated code works on the object directly: ``M0[a]`` for bytes, ``struct``
``unpack_from``/``pack_into`` for wider values, ``len(M0)`` for the size, and
slices in the bulk helpers; an access out of bounds raises ``IndexError`` or
``struct.error`` before touching a byte. Two objects do all that, and the
engine picks by size:

* a ``bytearray`` up to :data:`BYTEARRAY_MAX` bytes. It is the faster one
  and grows in place, but every byte of it is host memory from the start
  (it is zero-filled).
* an anonymous private ``mmap`` beyond: the OS commits a page when it is
  first written, so an untouched region costs no host memory (an 8 GiB
  memory with a few pages touched adds about 1 MiB to the process's RSS:
  ``tests/test_memory_large.py`` measures it). It grows with
  ``mmap.resize`` (``mremap`` on Linux: no copy, and the new pages stay
  uncommitted); where the platform cannot resize an anonymous mapping, it
  is copied into a larger one.

Measured on CPython 3.11 (x86_64), per access: both take about 20 ns for
``m[a]`` and 75 ns for a ``struct`` load or store, the bytearray a few ns
less for byte stores; on the ``memscan`` kernel (byte loads and stores) a
mapping costs 4-5% more CPU time. Small memories, which nearly every program
has, therefore stay bytearrays, and the bound trades that small cost against
committed memory: 256 MiB.

A bytearray that grows past the bound is copied once into a mapping, which
then replaces it in the memory's closure cell; generated code reads the cell
at every access, so it follows at once. A shared memory must not switch
while it holds bytes (another thread may have read the cell and be about to
write to the old object), so one whose maximum lies past the bound is a
mapping from its first byte on (see :func:`map_above`).
"""

from __future__ import annotations

import mmap
import os
from typing import Optional, Union

#: The largest memory kept in a bytearray (bytes).
BYTEARRAY_MAX = 256 << 20

#: What allocating or growing raises when the host cannot provide the bytes
#: (an exported buffer, such as a host's memoryview, blocks resizing too).
GROW_ERRORS = (MemoryError, OverflowError, OSError, ValueError, BufferError, SystemError)

Bytes = Union[bytearray, mmap.mmap]

# private (copy-on-write, never written back) anonymous pages where the
# platform takes flags; elsewhere (Windows) -1 is an anonymous mapping anyway
_FLAGS = getattr(mmap, "MAP_PRIVATE", 0) | getattr(mmap, "MAP_ANONYMOUS", 0)


def map_above(shared: bool, max_bytes: int) -> int:
    """The size past which a memory's bytes are a mapping: 0 (always,
    once not empty) for a shared memory that may grow past the bound."""
    return 0 if shared and max_bytes > BYTEARRAY_MAX else BYTEARRAY_MAX


def allocate(size: int, above: int) -> Bytes:
    """``size`` zero bytes: a mapping when ``size > above``, else a
    bytearray. Raises one of :data:`GROW_ERRORS` when the host cannot."""
    return _mapping(size) if size > above else bytearray(size)


def grow(data: Bytes, size: int, above: int, shared: bool) -> Bytes:
    """``data`` grown to ``size`` bytes (new bytes zero): ``data`` itself
    when it grew in place, else the object that replaces it (never, for a
    ``shared`` memory that holds bytes). Raises one of :data:`GROW_ERRORS`
    when the host cannot."""
    if isinstance(data, bytearray):
        if size <= above:
            data.extend(bytes(size - len(data)))
            return data
        if shared and data:
            raise OSError("a shared memory cannot move its bytes")
        return _copied(data, size)
    try:
        data.resize(size)
        return data
    except (OSError, SystemError):
        # this platform cannot resize an anonymous mapping
        if shared:
            raise
        return _copied(data, size)


def _mapping(size: int) -> mmap.mmap:
    if _FLAGS:
        return mmap.mmap(-1, size, flags=_FLAGS)
    return mmap.mmap(-1, size)


def _copied(data: Bytes, size: int) -> mmap.mmap:
    new = _mapping(size)
    n = len(data)
    if n:
        new[:n] = data
    return new


def host_memory() -> Optional[int]:
    """The host's physical memory in bytes, or the memory limit of the
    process's control group (a container) when that is lower; None when
    neither can be found."""
    total: Optional[int] = None
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        pass
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path, encoding="ascii") as fh:
                text = fh.read().strip()
        except (OSError, ValueError):
            continue
        if text.isdigit():  # "max" when unlimited
            total = int(text) if total is None else min(total, int(text))
    return total if total is not None and total > 0 else None


def default_max_bytes() -> int:
    """The default cap on one memory (``Config.max_memory_bytes``): the
    larger of 4 GiB (a 32-bit memory's whole address space) and half the
    host's memory. A lazily committed memory costs only what its code
    touches, so the cap is what keeps a runaway module (one that grows and
    fills its memory without end) from taking the whole host: it sees
    ``memory.grow`` fail instead."""
    host = host_memory()
    return max(1 << 32, host // 2) if host is not None else 1 << 32
