"""Conversion helpers: truncation traps and saturation, and i64 -> f32.

The in-range case of every truncation is inline in its template; these
functions handle the out-of-range operands. The i64 -> f32 conversions need a
helper because converting through a double would round twice.
"""

from __future__ import annotations

import math

from ..errors import Trap, TrapCode
from .floatbits import f32_round


def trunc_fail(x: float) -> int:
    """Raise the trap of a truncation whose operand is out of range or NaN."""
    if x != x:
        raise Trap(TrapCode.BAD_CONVERSION_TO_INTEGER)
    raise Trap(TrapCode.INTEGER_OVERFLOW)


def trunc_sat_edge(x: float, low: int, high: int) -> int:
    """Saturating truncation of an out-of-range operand: NaN gives 0, a
    negative operand ``low``, a positive one ``high`` (bit patterns)."""
    if x != x:
        return 0
    return low if x < 0.0 else high


def _f32_of_magnitude(n: int) -> float:
    """The f32 nearest to the non-negative int ``n`` (< 2**64), rounded once.

    Above 2**53 the int is first cut to 53 bits with a sticky bit: the cut is
    exact in a double, and the sticky bit (far below the 24 bits an f32
    keeps) still tells a tie from a value just above it.
    """
    shift = n.bit_length() - 53
    if shift <= 0:
        return f32_round(float(n))
    m = n >> shift
    if n & ((1 << shift) - 1):
        m |= 1
    return f32_round(math.ldexp(float(m), shift))


def f32_convert_i64_s(a: int) -> float:
    """f32.convert_i64_s of the i64 bit pattern ``a``."""
    if a >> 63:
        return -_f32_of_magnitude((1 << 64) - a)
    return _f32_of_magnitude(a)


def f32_convert_i64_u(a: int) -> float:
    """f32.convert_i64_u of the i64 bit pattern ``a``."""
    return _f32_of_magnitude(a)
