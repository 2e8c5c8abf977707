"""Bounds-checked access to the guest's linear memory.

Host functions work on ``Memory.data`` (the memory's bytes, fetched anew
for each call, as growth may replace them) directly rather than through
``Memory.read`` / ``Memory.write``: a WASI call makes several small accesses, and each API
call would copy and re-check. Every access is checked here; a pointer the
guest got wrong becomes ``Errno.FAULT``, never a Python exception.
"""

from __future__ import annotations

import struct
from typing import Any

from .abi import IOVEC, Errno
from .errors import WasiError

_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")


class GuestMemory:
    """The memory a WASI context works on (unbound until :meth:`bind`)."""

    __slots__ = ("memory",)

    def __init__(self) -> None:
        self.memory: Any = None

    def bind(self, memory: Any) -> None:
        """Use ``memory`` (an ``engine.Memory``) from now on."""
        self.memory = memory

    @property
    def data(self) -> bytearray:
        """The current bytes; FAULT when no memory is bound yet."""
        memory = self.memory
        if memory is None:
            raise WasiError(Errno.FAULT, "the WASI context has no memory bound")
        return memory.data

    def _check(self, data: bytearray, addr: int, size: int) -> None:
        if addr < 0 or size < 0 or addr + size > len(data):
            raise WasiError(Errno.FAULT, f"{size} bytes at {addr} are out of bounds")

    def read(self, addr: int, size: int) -> bytes:
        """A copy of ``size`` bytes at ``addr``."""
        data = self.data
        self._check(data, addr, size)
        return bytes(data[addr:addr + size])

    def write(self, addr: int, blob: bytes) -> None:
        """Store ``blob`` at ``addr``."""
        data = self.data
        self._check(data, addr, len(blob))
        data[addr:addr + len(blob)] = blob

    def check(self, addr: int, size: int) -> None:
        """FAULT unless ``size`` bytes at ``addr`` are in bounds."""
        self._check(self.data, addr, size)

    def pack(self, layout: struct.Struct, addr: int, *values: int) -> None:
        """Store a record with ``layout`` at ``addr``."""
        data = self.data
        self._check(data, addr, layout.size)
        layout.pack_into(data, addr, *values)

    def unpack(self, layout: struct.Struct, addr: int) -> tuple:
        """Load a record with ``layout`` from ``addr``."""
        data = self.data
        self._check(data, addr, layout.size)
        return layout.unpack_from(data, addr)

    def u32(self, addr: int) -> int:
        return self.unpack(_U32, addr)[0]

    def set_u32(self, addr: int, value: int) -> None:
        self.pack(_U32, addr, value & 0xFFFFFFFF)

    def set_u64(self, addr: int, value: int) -> None:
        self.pack(_U64, addr, value & 0xFFFFFFFFFFFFFFFF)

    def iovecs(self, addr: int, count: int) -> list[tuple[int, int]]:
        """The ``(buf, buf_len)`` pairs of an ``iovec_array``, each checked."""
        data = self.data
        self._check(data, addr, count * IOVEC.size)
        out = []
        unpack = IOVEC.unpack_from
        for i in range(count):
            buf, size = unpack(data, addr + i * IOVEC.size)
            self._check(data, buf, size)
            out.append((buf, size))
        return out

    def gather(self, addr: int, count: int) -> bytes:
        """The bytes of a ``ciovec_array``, concatenated."""
        data = self.data
        return b"".join(bytes(data[buf:buf + size]) for buf, size in self.iovecs(addr, count))

    def scatter(self, iovs: list[tuple[int, int]], blob: bytes) -> None:
        """Spread ``blob`` over the buffers ``iovs`` (already checked)."""
        data = self.data
        pos = 0
        for buf, size in iovs:
            if pos >= len(blob):
                break
            chunk = blob[pos:pos + size]
            data[buf:buf + len(chunk)] = chunk
            pos += len(chunk)

    def string(self, addr: int, size: int) -> bytes:
        """A path or name argument (``string`` in the witx: pointer and
        length, UTF-8, no terminator)."""
        return self.read(addr, size)
