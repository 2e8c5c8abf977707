"""Float bit patterns and f32 rounding: the value representation of floats.

See :mod:`engine.numeric` for the representation itself. This module holds
the only code that moves between Python floats and IEEE bit patterns, and
the rounding of a double to the nearest f32 value.

Rounding to f32 uses the *native* ``struct`` format ``'f'``: it is a plain C
``(float)`` cast, which on IEEE hosts rounds to nearest-even, produces
infinities on overflow and keeps the sign of zero. The standard format
``'<f'`` is not usable on the hot path because it raises ``OverflowError``
for values that round to infinity. Whether the native cast behaves that way
is checked once at import (:data:`NATIVE_F32_CAST_OK`); if it does not, the
templates fall back to :func:`f32_round`, which is slower but portable.

All helpers are pure functions over immutable objects (``bytes``, tuples,
floats): there is no scratch buffer to share, so they are safe to call from
several threads at once.
"""

from __future__ import annotations

import math
import struct

# Native formats: only ever used for round trips on this host, so byte order
# does not matter, and they skip the checks of the standard formats.
_F32 = struct.Struct("f")
_F64 = struct.Struct("d")
_U32 = struct.Struct("I")
_U64 = struct.Struct("Q")
_F32_STD = struct.Struct("<f")

f32_pack = _F32.pack
f32_unpack = _F32.unpack
f64_pack = _F64.pack
f64_unpack = _F64.unpack
u32_pack = _U32.pack
u32_unpack = _U32.unpack
u64_pack = _U64.pack
u64_unpack = _U64.unpack

#: The positive canonical NaN (f64 bits 0x7FF8000000000000, which is also the
#: representation of the f32 canonical NaN 0x7FC00000).
CANONICAL_NAN: float = f64_unpack(u64_pack(0x7FF8000000000000))[0]

F32_CANONICAL_NAN_BITS = 0x7FC00000
F64_CANONICAL_NAN_BITS = 0x7FF8000000000000

_F32_EXP = 0x7F800000
_F32_MANT = 0x007FFFFF
_F32_QUIET = 0x00400000
_F64_EXP = 0x7FF0000000000000
_F64_MANT = 0x000FFFFFFFFFFFFF
_F64_QUIET = 0x0008000000000000
# The f32 mantissa sits in the top 23 of the 52 f64 mantissa bits.
_MANT_SHIFT = 29


def f32_round(x: float) -> float:
    """Round a double to the nearest f32 value (ties to even).

    Overflow gives an infinity of the right sign, zeros keep their sign, and
    a NaN becomes the representation of the f32 NaN the hardware conversion
    gives (quiet; the top 22 payload bits kept), so a canonical NaN stays
    canonical.
    """
    try:
        return _F32_STD.unpack(_F32_STD.pack(x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


def _native_cast_is_ieee() -> bool:
    """Whether the native ``'f'`` format rounds like IEEE and never raises."""
    probes = (
        (1e300, math.inf),
        (-1e300, -math.inf),
        # the f32 overflow threshold is a tie between MAX and 2**128: even wins
        (2.0**128 - 2.0**103, math.inf),
        (2.0**128 - 2.0**103 - 2.0**75, 3.4028234663852886e38),
        (1.0 + 2.0**-24, 1.0),  # tie, rounds to even
        (1.0 + 3 * 2.0**-24, 1.0 + 2.0**-22),  # tie, rounds to even (up)
        (2.0**-150, 0.0),  # tie between 0 and the smallest subnormal
        (3 * 2.0**-151, 2.0**-149),
        (-0.0, -0.0),
    )
    try:
        for x, want in probes:
            got = _F32.unpack(_F32.pack(x))[0]
            if got != want or math.copysign(1.0, got) != math.copysign(1.0, want):
                return False
        nan_bits = _U32.unpack(_F32.pack(CANONICAL_NAN))[0]
        return nan_bits & 0x7FFFFFFF == F32_CANONICAL_NAN_BITS
    except (OverflowError, struct.error):
        return False


#: True when ``f32_unpack(f32_pack(x))[0]`` is a correct f32 rounding on this
#: interpreter (so templates can use it inline).
NATIVE_F32_CAST_OK: bool = _native_cast_is_ieee()


def _bits_error(bits: object, width: int) -> Exception:
    """The exception for a bad bit-pattern argument."""
    if not isinstance(bits, int):
        return TypeError(f"f{width} bits must be an int, not {type(bits).__name__}")
    return ValueError(f"f{width} bits out of range [0, 2**{width}): {bits!r}")


def f32_from_bits(bits: int) -> float:
    """The engine's float for an f32 bit pattern (``0 <= bits < 2**32``).

    Exact for every pattern: signalling NaNs are built directly as f64 bits,
    because the C float-to-double conversion behind ``struct`` would quiet
    them. Raises ``ValueError`` (out of range) or ``TypeError`` (not an int).
    """
    try:
        if bits & 0x7F800000 != 0x7F800000 or not bits & 0x7FFFFF:
            return f32_unpack(u32_pack(bits))[0]
        if 0 <= bits <= 0xFFFFFFFF:
            return f64_unpack(u64_pack(
                ((bits & 0x80000000) << 32) | _F64_EXP | ((bits & _F32_MANT) << _MANT_SHIFT)
            ))[0]
    except (struct.error, TypeError):
        pass
    raise _bits_error(bits, 32)


def f32_to_bits(x: float) -> int:
    """The f32 bit pattern of an engine f32 value.

    Exact for every value of the representation (NaN payloads included).
    A NaN outside the representation (low 29 mantissa bits set) keeps its
    top 23 mantissa bits; if those are all zero the quiet bit is set so the
    result is still a NaN. A non-NaN double that is not an f32 value is
    rounded to nearest. Raises ``TypeError`` for a non-number.
    """
    try:
        if x == x:
            return u32_unpack(f32_pack(x))[0]
        b = u64_unpack(f64_pack(x))[0]
    except struct.error:
        raise TypeError(f"f32 value must be a float, not {type(x).__name__}") from None
    mant = (b >> _MANT_SHIFT) & _F32_MANT
    return ((b >> 32) & 0x80000000) | _F32_EXP | (mant or _F32_QUIET)


def f64_from_bits(bits: int) -> float:
    """The float whose IEEE binary64 bits are ``bits`` (``0 <= bits < 2**64``).

    Raises ``ValueError`` (out of range) or ``TypeError`` (not an int).
    """
    try:
        return f64_unpack(u64_pack(bits))[0]
    except struct.error:
        pass
    raise _bits_error(bits, 64)


def f64_to_bits(x: float) -> int:
    """The IEEE binary64 bits of ``x``. Raises ``TypeError`` for a non-number."""
    try:
        return u64_unpack(f64_pack(x))[0]
    except struct.error:
        raise TypeError(f"f64 value must be a float, not {type(x).__name__}") from None


def is_canonical_nan_f32(bits: int) -> bool:
    """Whether f32 ``bits`` is a canonical NaN (either sign)."""
    return bits & 0x7FFFFFFF == F32_CANONICAL_NAN_BITS


def is_arithmetic_nan_f32(bits: int) -> bool:
    """Whether f32 ``bits`` is an arithmetic (quiet) NaN (either sign)."""
    return bits & (_F32_EXP | _F32_QUIET) == _F32_EXP | _F32_QUIET


def is_canonical_nan_f64(bits: int) -> bool:
    """Whether f64 ``bits`` is a canonical NaN (either sign)."""
    return bits & 0x7FFFFFFFFFFFFFFF == F64_CANONICAL_NAN_BITS


def is_arithmetic_nan_f64(bits: int) -> bool:
    """Whether f64 ``bits`` is an arithmetic (quiet) NaN (either sign)."""
    return bits & (_F64_EXP | _F64_QUIET) == _F64_EXP | _F64_QUIET
