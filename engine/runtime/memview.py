"""Raw views of a memory's bytes for the host: ctypes pointers and arrays
(``Memory.data_ptr`` and ``Memory.get_buffer_ptr``).

A view is made from the buffer's address, without holding a buffer export
on it: an export would stop the memory from growing (a ``bytearray`` with
exports cannot be resized). The price is the one wasmtime-py states: a view
is valid until the memory grows, since growing may move the bytes. Reading
or writing through a view taken before a growth is undefined behaviour (it
may crash the process); take a new view after every growth.
"""

from __future__ import annotations

import ctypes
from typing import Any

from ..errors import AccessError

_UBYTE_P = ctypes.POINTER(ctypes.c_ubyte)


def buffer_address(buf: Any) -> int:
    """The address of the first byte of a writable buffer (0 when empty)."""
    if not len(buf):
        return 0
    view = (ctypes.c_ubyte * 0).from_buffer(buf)
    try:
        return ctypes.addressof(view)
    finally:
        # drop the export at once, so that the buffer may be resized again
        del view


def data_pointer(buf: Any) -> "ctypes._Pointer[ctypes.c_ubyte]":
    """A ``POINTER(c_ubyte)`` to the first byte of ``buf`` (NULL when empty)."""
    address = buffer_address(buf)
    if not address:
        return _UBYTE_P()
    return ctypes.cast(address, _UBYTE_P)


def byte_array(buf: Any, size: Any = None, offset: int = 0) -> ctypes.Array:
    """A ``c_ubyte * size`` array over ``buf[offset:offset + size]`` (``size``
    defaults to the rest of the buffer); out of bounds is an
    :class:`~engine.AccessError`."""
    n = len(buf)
    if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset <= n:
        raise AccessError(f"offset {offset!r} is out of bounds (size {n})")
    if size is None:
        size = n - offset
    if isinstance(size, bool) or not isinstance(size, int) or size < 0 or offset + size > n:
        raise AccessError(f"{size!r} bytes at offset {offset} are out of bounds (size {n})")
    array_type = ctypes.c_ubyte * size
    if not size:
        return array_type()
    return array_type.from_address(buffer_address(buf) + offset)
