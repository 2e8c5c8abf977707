"""Float helpers for the rare cases of the inline templates.

The common case of each operator is inline in its template (see
:mod:`engine.numeric.scalar`); these functions handle what Python's float
operators would get wrong or refuse: division by zero, and the equal/NaN
cases of min and max. They work for f32 and f64 alike, because every result
is either an exact value or an operand's NaN quieted, which keeps the f32
representation.

NaN results: ``a + b`` with a NaN operand returns one of the NaN operands,
quieted (the IEEE rule), so a result is canonical when the NaN inputs are
canonical and arithmetic otherwise, as the spec's ``nans`` requires.
"""

from __future__ import annotations

import math

from .floatbits import CANONICAL_NAN

_copysign = math.copysign
_inf = math.inf


def fdiv_zero(x: float, y: float) -> float:
    """``x / y`` for a zero divisor ``y`` (Python would raise)."""
    if x != x:
        return x * 1.0  # quiets a signalling NaN, keeps the payload
    if x == 0.0:
        return CANONICAL_NAN
    return _copysign(_inf, x) * _copysign(1.0, y)


def fmin_tie(a: float, b: float) -> float:
    """``min`` when neither ``a < b`` nor ``b < a``: equal, or a NaN."""
    if a == b:
        # -((-a) - b) is -0 unless both zeros are +0; nonzero equals are a.
        return a if a else -(-a - b)
    return a + b


def fmax_tie(a: float, b: float) -> float:
    """``max`` when neither ``a > b`` nor ``b > a``: equal, or a NaN."""
    if a == b:
        return a if a else a + b  # +0 unless both zeros are -0
    return a + b
