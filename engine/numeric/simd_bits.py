"""The v128 representation's building blocks: lane masks and byte views.

A v128 is an unsigned 128-bit Python ``int`` with lane 0 in the low bits
(see :mod:`engine.numeric.simd` for why). This module holds what every SIMD
template and helper shares:

* the per-shape SWAR constants (:class:`Shape`): the lowest bit, the highest
  bit and the other bits of every lane, as 128-bit ints;
* the crossings between the int and the little-endian bytes of memory
  (``int.to_bytes`` / ``int.from_bytes``), and the ``struct`` objects that
  split bytes into lanes;
* a ``pack4f`` that rounds four doubles to f32 in one call.

Everything here is immutable: helpers built on it keep no scratch state, so
they are safe to call from several threads at once.
"""

from __future__ import annotations

import struct
import sys
from dataclasses import dataclass

from . import floatbits

M128 = (1 << 128) - 1
M64 = (1 << 64) - 1
M32 = 0xFFFFFFFF
LE = "little"

to_bytes = int.to_bytes
from_bytes = int.from_bytes


@dataclass(frozen=True, slots=True)
class Shape:
    """SWAR constants of an integer lane shape ``i{width}x{count}``."""

    width: int
    count: int
    lane: int  # all ones in one lane: 2**width - 1
    lsb: int  # the lowest bit of every lane
    msb: int  # the highest bit of every lane
    low: int  # every bit but the highest of every lane
    ones: int  # all ones (the full 128 bits)

    @classmethod
    def of(cls, width: int) -> "Shape":
        """The shape with ``width``-bit lanes."""
        count = 128 // width
        lsb = sum(1 << (width * j) for j in range(count))
        msb = lsb << (width - 1)
        return cls(width, count, (1 << width) - 1, lsb, msb, M128 ^ msb, M128)

    def fill(self, pattern: int) -> int:
        """``pattern`` (< 2**width) repeated in every lane."""
        return pattern * self.lsb


I8 = Shape.of(8)
I16 = Shape.of(16)
I32 = Shape.of(32)
I64 = Shape.of(64)
SHAPES = {8: I8, 16: I16, 32: I32, 64: I64}

# Integer lane layouts: unsigned and signed, for every width.
LANES_U = {8: struct.Struct("<16B"), 16: struct.Struct("<8H"), 32: struct.Struct("<4I"),
           64: struct.Struct("<2Q")}
LANES_S = {8: struct.Struct("<16b"), 16: struct.Struct("<8h"), 32: struct.Struct("<4i"),
           64: struct.Struct("<2q")}
# Half a vector (the low or high 64 bits), for extends.
HALF_U = {8: struct.Struct("<8B"), 16: struct.Struct("<4H"), 32: struct.Struct("<2I")}
HALF_S = {8: struct.Struct("<8b"), 16: struct.Struct("<4h"), 32: struct.Struct("<2i")}

F64X2 = struct.Struct("<2d")
# Unpacking f32 lanes converts float -> double, which quiets signalling NaNs;
# that is fine for arithmetic (which must quiet them anyway). Moves of f32
# lanes never go through this.
F32X4 = struct.Struct("<4f")
_F32X4_NATIVE = struct.Struct("4f")


def _pack4f_portable(a: float, b: float, c: float, d: float) -> bytes:
    """Round four doubles to f32 and pack them (slow path for odd hosts)."""
    r = floatbits.f32_round
    return F32X4.pack(r(a), r(b), r(c), r(d))


#: ``pack4f(a, b, c, d)``: four doubles rounded to f32 (ties to even,
#: overflow to infinity, NaNs keeping their top payload bits), as 16 bytes.
#: The native format is a plain C cast; the standard ``'<f'`` would raise
#: ``OverflowError`` for results that round to infinity.
pack4f = (_F32X4_NATIVE.pack if floatbits.NATIVE_F32_CAST_OK and sys.byteorder == "little"
          else _pack4f_portable)

#: 240 and 224 zero bytes: pad a 16- or 32-byte lookup table to the 256
#: entries ``bytes.translate`` wants (indices beyond the vector read 0).
ZERO240 = bytes(240)
ZERO224 = bytes(224)


def lane_masks(n: int) -> tuple[int, ...]:
    """``masks[k]``: the 128-bit mask with all bits of lane ``j`` set for
    every bit ``j`` of the ``n``-bit number ``k`` (``n`` lanes of 128/n bits).
    Turns a tuple of lane booleans, folded into a number, into a vector."""
    width = 128 // n
    lane = (1 << width) - 1
    return tuple(sum(lane << (width * j) for j in range(n) if k >> j & 1) for k in range(1 << n))
