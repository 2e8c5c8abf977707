"""LEB128 integers, as the binary format restricts them.

Every reader takes ``(data, pos)`` and returns ``(value, new_pos)``. ``data``
is a ``bytes`` object that ends exactly where the enclosing section (or
function body) ends, so running off its end raises ``IndexError``; the module
decoder turns that into the "unexpected end" MalformedError. This keeps the
hot paths free of explicit bounds checks.

An N-bit integer takes at most ceil(N / 7) bytes. In the last byte the
continuation bit must be clear ("integer representation too long") and the
bits beyond N must be zero, for unsigned integers, or copies of the sign bit,
for signed ones ("integer too large").
"""

from __future__ import annotations

from ..errors import MalformedError
from .messages import INTEGER_TOO_LARGE, INTEGER_TOO_LONG


def _unsigned(data: bytes, pos: int, bits: int) -> tuple[int, int]:
    last_shift = 7 * ((bits - 1) // 7)
    # Bits of the last byte that lie beyond ``bits``: they must be zero.
    unused = 0x7F & ~((1 << (bits - last_shift)) - 1)
    result = 0
    shift = 0
    while True:
        b = data[pos]
        pos += 1
        if shift == last_shift:
            if b & 0x80:
                raise MalformedError(INTEGER_TOO_LONG)
            if b & unused:
                raise MalformedError(INTEGER_TOO_LARGE)
            return result | (b << shift), pos
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def _signed(data: bytes, pos: int, bits: int) -> tuple[int, int]:
    last_shift = 7 * ((bits - 1) // 7)
    # Bits of the last byte from the sign bit up: all zeros or all ones.
    sign_bits = 0x7F & ~((1 << (bits - last_shift - 1)) - 1)
    result = 0
    shift = 0
    while True:
        b = data[pos]
        pos += 1
        if shift == last_shift:
            if b & 0x80:
                raise MalformedError(INTEGER_TOO_LONG)
            top = b & sign_bits
            if top and top != sign_bits:
                raise MalformedError(INTEGER_TOO_LARGE)
        elif b >= 0x80:
            result |= (b & 0x7F) << shift
            shift += 7
            continue
        result |= (b & 0x7F) << shift
        if b & 0x40:
            result -= 1 << (shift + 7)
        return result, pos


def u32(data: bytes, pos: int) -> tuple[int, int]:
    """An unsigned 32-bit LEB128 integer."""
    b = data[pos]
    if b < 0x80:
        return b, pos + 1
    return _unsigned(data, pos, 32)


def u64(data: bytes, pos: int) -> tuple[int, int]:
    """An unsigned 64-bit LEB128 integer."""
    b = data[pos]
    if b < 0x80:
        return b, pos + 1
    return _unsigned(data, pos, 64)


def s32(data: bytes, pos: int) -> tuple[int, int]:
    """A signed 32-bit LEB128 integer (as a Python int, possibly negative)."""
    b = data[pos]
    if b < 0x40:
        return b, pos + 1
    return _signed(data, pos, 32)


def s33(data: bytes, pos: int) -> tuple[int, int]:
    """A signed 33-bit LEB128 integer (block types and heap types)."""
    b = data[pos]
    if b < 0x40:
        return b, pos + 1
    return _signed(data, pos, 33)


def s64(data: bytes, pos: int) -> tuple[int, int]:
    """A signed 64-bit LEB128 integer."""
    b = data[pos]
    if b < 0x40:
        return b, pos + 1
    return _signed(data, pos, 64)


def i32(data: bytes, pos: int) -> tuple[int, int]:
    """An ``i32.const`` immediate: signed LEB128, returned as unsigned."""
    b = data[pos]
    if b < 0x40:
        return b, pos + 1
    value, pos = _signed(data, pos, 32)
    return value & 0xFFFFFFFF, pos


def i64(data: bytes, pos: int) -> tuple[int, int]:
    """An ``i64.const`` immediate: signed LEB128, returned as unsigned."""
    b = data[pos]
    if b < 0x40:
        return b, pos + 1
    value, pos = _signed(data, pos, 64)
    return value & 0xFFFFFFFFFFFFFFFF, pos
