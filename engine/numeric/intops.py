"""Integer helpers for the cases the inline templates cannot express.

Operands and results are unsigned bit patterns (see :mod:`engine.numeric`);
bools are accepted wherever an i32 is.
"""

from __future__ import annotations

from ..errors import Trap, TrapCode

M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF

#: ``shr_s32_fill[k]``: the bits an arithmetic right shift by ``k`` copies
#: into the top of a negative i32 (the inline ``shr_s`` is faster with this
#: table than with a sign conversion).
SHR_S32_FILL: tuple[int, ...] = tuple((M32 << (32 - k)) & M32 for k in range(32))
#: As :data:`SHR_S32_FILL`, for i64.
SHR_S64_FILL: tuple[int, ...] = tuple((M64 << (64 - k)) & M64 for k in range(64))


def _make_signed_division(bits: int):
    """``(div_s, rem_s)`` for ``bits``-wide integers, with the spec's traps."""
    mask = (1 << bits) - 1
    sign = 1 << (bits - 1)
    wrap = 1 << bits

    def div_s(a: int, b: int) -> int:
        if not b:
            raise Trap(TrapCode.INTEGER_DIVIDE_BY_ZERO)
        if a & sign:
            a -= wrap
        if b & sign:
            b -= wrap
        if a == -sign and b == -1:
            raise Trap(TrapCode.INTEGER_OVERFLOW)
        # Python's // floors; Wasm truncates toward zero.
        q = abs(a) // abs(b)
        return (-q if (a < 0) != (b < 0) else q) & mask

    def rem_s(a: int, b: int) -> int:
        if not b:
            raise Trap(TrapCode.INTEGER_DIVIDE_BY_ZERO)
        if a & sign:
            a -= wrap
        if b & sign:
            b -= wrap
        # The remainder takes the dividend's sign (truncating division).
        r = abs(a) % abs(b)
        return (-r if a < 0 else r) & mask

    div_s.__name__ = div_s.__qualname__ = f"i{bits}_div_s"
    rem_s.__name__ = rem_s.__qualname__ = f"i{bits}_rem_s"
    div_s.__doc__ = f"i{bits}.div_s: traps on a zero divisor and on MIN / -1."
    rem_s.__doc__ = f"i{bits}.rem_s: traps on a zero divisor; MIN rem -1 is 0."
    return div_s, rem_s


i32_div_s, i32_rem_s = _make_signed_division(32)
i64_div_s, i64_rem_s = _make_signed_division(64)


def i64_add128(lo1: int, hi1: int, lo2: int, hi2: int) -> tuple[int, int]:
    """i64.add128: the 128-bit sum of ``hi1:lo1`` and ``hi2:lo2`` as (lo, hi)."""
    s = lo1 + lo2 + ((hi1 + hi2) << 64)
    return s & M64, (s >> 64) & M64


def i64_sub128(lo1: int, hi1: int, lo2: int, hi2: int) -> tuple[int, int]:
    """i64.sub128: the 128-bit difference ``hi1:lo1 - hi2:lo2`` as (lo, hi)."""
    d = lo1 - lo2 + ((hi1 - hi2) << 64)
    return d & M64, (d >> 64) & M64


def i64_mul_wide_s(a: int, b: int) -> tuple[int, int]:
    """i64.mul_wide_s: the signed 128-bit product as (lo, hi)."""
    if a >> 63:
        a -= 1 << 64
    if b >> 63:
        b -= 1 << 64
    p = a * b
    return p & M64, (p >> 64) & M64


def i64_mul_wide_u(a: int, b: int) -> tuple[int, int]:
    """i64.mul_wide_u: the unsigned 128-bit product as (lo, hi)."""
    p = a * b
    return p & M64, p >> 64
