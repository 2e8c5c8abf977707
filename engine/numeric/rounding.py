"""Float arithmetic and conversions with an explicit rounding direction
(the rounding-mode-control proposal's ``*_ceil``, ``*_floor``, ``*_trunc``
instructions).

Every function takes the operands in the engine's representation (see
:mod:`engine.numeric`) and a *mode*: :data:`CEIL` (toward +inf),
:data:`FLOOR` (toward -inf), :data:`TRUNC` (toward zero) or, for testing
against the ordinary instructions, :data:`NEAREST` (ties to even). Results
are the exact mathematical result rounded once in that direction:

* overflow gives an infinity when the direction leads away from zero, the
  largest finite value otherwise;
* an exact zero sum (``x + -x``) is ``-0`` when rounding toward -inf and
  ``+0`` otherwise; ``±0 + ±0`` of one sign keeps it; a product or quotient
  that rounds to zero has the sign of the exact result (IEEE 754);
* NaN operands, infinities and division by zero give what the
  round-to-nearest instruction gives: those results are exact (or NaN), so
  the direction cannot matter.

How exactness is obtained, per case:

* f32 ``+ - *``: the double sum or product of two f32 values is within half
  a double ulp of the exact one, and 2Sum recovers the (exact) error of the
  sum; the product of two 24-bit significands is exact in double.
* f32 ``/`` and ``sqrt``: if the double result ``q`` is an f32 value, the
  exact result *is* ``q`` (a quotient or root of f32 values that is not an
  f32 value ``f`` differs from it by more than 2**-47 relative, far beyond
  the half double ulp of ``q``); otherwise no f32 value lies between ``q``
  and the exact result, so rounding ``q`` in the direction is exact.
* f64 ``+ -``: 2Sum gives the exact error of the double sum, whose sign
  picks the neighbour; results near the top of the range (where 2Sum's
  intermediates could overflow) take the exact path.
* f64 ``* / sqrt`` and i64 -> f32: exact integer arithmetic on the
  significands (:func:`round_dyadic`), with a sticky bit for the inexact
  quotient and square root.
* int -> f64: the double conversion is nearest; the exact difference with
  the integer says which neighbour the direction wants.
"""

from __future__ import annotations

import math

from .floatbits import CANONICAL_NAN, f32_pack, f32_unpack, u32_pack, u32_unpack
from .floatops import fdiv_zero

#: Rounding directions; the numbers are the modes' arguments in templates.
CEIL, FLOOR, TRUNC, NEAREST = 0, 1, 2, 3

#: The directions of the proposal's instructions, in opcode order.
DIRECTIONS: tuple[tuple[str, int], ...] = (("ceil", CEIL), ("floor", FLOOR), ("trunc", TRUNC))

_inf = math.inf
_nextafter = math.nextafter
_ldexp = math.ldexp
_isqrt = math.isqrt

_F32_MAX = 3.4028234663852886e38
_F64_MAX = 1.7976931348623157e308
_F32_MIN_SUB = 2.0**-149
# 2Sum of doubles cannot overflow below this magnitude of the sum.
_TWO_SUM_SAFE = 2.0**1020


class _Format:
    __slots__ = ("p", "emin", "emax", "max")

    def __init__(self, p: int, emin: int, emax: int, largest: float):
        self.p = p  # significand bits, the hidden one included
        self.emin = emin  # exponent of the smallest normal value
        self.emax = emax  # exponent of the largest finite value
        self.max = largest


F32 = _Format(24, -126, 127, _F32_MAX)
F64 = _Format(53, -1022, 1023, _F64_MAX)


def _away(neg: bool, mode: int) -> bool:
    """Whether an inexact magnitude rounds up (away from zero) in ``mode``
    (ties of NEAREST are decided by the caller)."""
    return mode == (FLOOR if neg else CEIL)


def round_dyadic(neg: bool, n: int, e: int, fmt: _Format, mode: int) -> float:
    """``(-1)**neg * n * 2**e`` (``n >= 0`` an int) rounded to ``fmt`` in
    direction ``mode``; a zero result has the sign ``neg``.

    The caller may append a *sticky* low bit to ``n`` (set when the true
    value lies strictly between ``n - 1`` and ``n`` in units of ``2**e``):
    the result stays correct as long as ``n`` then has more than ``fmt.p``
    significant bits, which leaves the sticky bit below every rounding
    position.
    """
    if n == 0:
        return -0.0 if neg else 0.0
    top = e + n.bit_length() - 1  # exponent of the leading bit
    q = (top if top > fmt.emin else fmt.emin) - (fmt.p - 1)  # exponent of the last kept bit
    if q > e:
        shift = q - e
        m = n >> shift
        rest = n - (m << shift)
        if rest:
            if mode == NEAREST:
                half = 1 << (shift - 1)
                if rest > half or (rest == half and m & 1):
                    m += 1
            elif _away(neg, mode):
                m += 1
    else:
        m = n << (e - q)
    if m and q + m.bit_length() - 1 > fmt.emax:
        mag = _inf if mode == NEAREST or _away(neg, mode) else fmt.max
    else:
        mag = _ldexp(m, q)
    return -mag if neg else mag


def _parts(x: float) -> tuple[bool, int, int]:
    """A finite nonzero float as ``(negative, n, e)`` with ``|x| = n * 2**e``."""
    n, d = x.as_integer_ratio()
    if n < 0:
        return True, -n, 1 - d.bit_length()
    return False, n, 1 - d.bit_length()


def _step64(s: float, err: float, mode: int) -> float:
    """The f64 rounding of ``s + err`` (``s`` a double, ``err`` within half
    an ulp of ``s``, zero when ``s`` is exact; only its sign matters)."""
    if err > 0:
        if mode == CEIL or (mode == TRUNC and s < 0.0):
            return _nextafter(s, _inf)
    elif err < 0:
        if mode == FLOOR or (mode == TRUNC and s > 0.0):
            return _nextafter(s, -_inf)
    return s


def _next32(y: float, up: bool) -> float:
    """The f32 neighbour of the f32 value ``y`` above (``up``) or below it."""
    if y == 0.0:
        return _F32_MIN_SUB if up else -_F32_MIN_SUB
    b = u32_unpack(f32_pack(y))[0]
    b = b + 1 if (y > 0.0) == up else b - 1
    return f32_unpack(u32_pack(b))[0]


def _round32(s: float, err: float, mode: int) -> float:
    """The f32 rounding in ``mode`` of the exact value ``s + err``, where
    ``s`` is a non-NaN double and ``err`` (zero when ``s`` is exact) lies
    within half a double ulp of ``s``; only the sign of ``err`` matters."""
    y = f32_unpack(f32_pack(s))[0]  # nearest f32 (an infinity past the top)
    if y == s and err == 0.0:
        return s
    if mode == NEAREST:
        return y
    if mode == TRUNC:  # s is not zero here
        mode = FLOOR if s > 0.0 else CEIL
    if y == s:
        # s is an f32 value and the exact value lies just above or below it
        if (err > 0.0) == (mode == CEIL):
            return _next32(s, mode == CEIL)
        return s
    # No f32 value lies strictly between s and the exact value.
    if mode == CEIL:
        return _next32(y, True) if y < s else y
    return _next32(y, False) if y > s else y


def _f32_nan(x: float) -> float:
    """The f32 result of a NaN double (what the nearest instruction gives)."""
    return f32_unpack(f32_pack(x))[0]


def _zero_sum(x: float, y: float, mode: int) -> float:
    """The sign of an exact zero ``x + y``."""
    if x == 0.0 and y == 0.0 and math.copysign(1.0, x) == math.copysign(1.0, y):
        return x
    return -0.0 if mode == FLOOR else 0.0


def _two_sum_err(a: float, b: float, s: float) -> float:
    """The exact error ``(a + b) - s`` of the double sum ``s`` (2Sum)."""
    bb = s - a
    return (a - (s - bb)) + (b - bb)


# --- f32 ------------------------------------------------------------------------


def _f32_add(a: float, b: float, mode: int) -> float:
    s = a + b
    if s != s:
        return _f32_nan(s)
    if s == _inf or s == -_inf:  # an infinite operand: exact
        return s
    err = _two_sum_err(a, b, s)
    if s == 0.0 and err == 0.0:
        return _zero_sum(a, b, mode)
    return _round32(s, err, mode)


def f32_add(a: float, b: float, mode: int) -> float:
    """f32 ``a + b`` rounded in ``mode``."""
    return _f32_add(a, b, mode)


def f32_sub(a: float, b: float, mode: int) -> float:
    """f32 ``a - b`` rounded in ``mode``."""
    if b != b:
        return _f32_nan(a - b)
    return _f32_add(a, -b, mode)


def f32_mul(a: float, b: float, mode: int) -> float:
    """f32 ``a * b`` rounded in ``mode`` (the double product is exact)."""
    p = a * b
    if p != p:
        return _f32_nan(p)
    return _round32(p, 0.0, mode)


def f32_div(a: float, b: float, mode: int) -> float:
    """f32 ``a / b`` rounded in ``mode``."""
    if not b:
        return _f32_nan(fdiv_zero(a, b))
    q = a / b
    if q != q:
        return _f32_nan(q)
    return _round32(q, 0.0, mode)


def f32_sqrt(a: float, mode: int) -> float:
    """f32 ``sqrt(a)`` rounded in ``mode``."""
    if not a >= 0.0:
        return _f32_nan(a + CANONICAL_NAN)
    return _round32(math.sqrt(a), 0.0, mode)


def f32_demote(a: float, mode: int) -> float:
    """f32.demote of the f64 ``a`` rounded in ``mode``."""
    if a != a:
        return _f32_nan(a * 1.0)
    return _round32(a, 0.0, mode)


def f32_convert_s(a: int, mode: int) -> float:
    """f32 of the signed integer ``a`` (a Python int) rounded in ``mode``."""
    if -0x20000000000000 < a < 0x20000000000000:
        return _round32(float(a), 0.0, mode)
    neg = a < 0
    return round_dyadic(neg, -a if neg else a, 0, F32, mode)


def f32_convert_u(a: int, mode: int) -> float:
    """f32 of the non-negative integer ``a`` rounded in ``mode``."""
    if a < 0x20000000000000:
        return _round32(float(a), 0.0, mode)
    return round_dyadic(False, a, 0, F32, mode)


# --- f64 ------------------------------------------------------------------------


def _f64_add(a: float, b: float, s: float, mode: int) -> float:
    """``a + b`` (the double ``s``) rounded in ``mode``."""
    if -_TWO_SUM_SAFE < s < _TWO_SUM_SAFE:
        err = _two_sum_err(a, b, s)
        if err == 0.0:
            return _zero_sum(a, b, mode) if s == 0.0 else s
        return _step64(s, err, mode)
    if s != s or not (a - a == 0.0 and b - b == 0.0):
        return s  # a NaN or an infinite operand: exact
    na, ma, ea = _parts(a)
    nb, mb, eb = _parts(b)
    e = ea if ea < eb else eb
    n = (-ma if na else ma) << (ea - e)
    n += (-mb if nb else mb) << (eb - e)
    return round_dyadic(n < 0, -n if n < 0 else n, e, F64, mode)


def f64_add(a: float, b: float, mode: int) -> float:
    """f64 ``a + b`` rounded in ``mode``."""
    return _f64_add(a, b, a + b, mode)


def f64_sub(a: float, b: float, mode: int) -> float:
    """f64 ``a - b`` rounded in ``mode``."""
    s = a - b
    if s != s:
        return s
    return _f64_add(a, -b, s, mode)


def f64_mul(a: float, b: float, mode: int) -> float:
    """f64 ``a * b`` rounded in ``mode``."""
    p = a * b
    if p != p or not a or not b or a - a != 0.0 or b - b != 0.0:
        return p  # NaN, a zero or an infinite operand: exact
    na, ma, ea = _parts(a)
    nb, mb, eb = _parts(b)
    return round_dyadic(na != nb, ma * mb, ea + eb, F64, mode)


def f64_div(a: float, b: float, mode: int) -> float:
    """f64 ``a / b`` rounded in ``mode``."""
    if not b:
        return fdiv_zero(a, b)
    q = a / b
    if q != q or not a or a - a != 0.0 or b - b != 0.0:
        return q  # NaN, a zero or an infinite operand: exact
    na, ma, ea = _parts(a)
    nb, mb, eb = _parts(b)
    # at least 55 quotient bits, then a sticky bit for the remainder
    shift = 55 + mb.bit_length() - ma.bit_length()
    if shift < 0:
        shift = 0
    m, r = divmod(ma << shift, mb)
    return round_dyadic(na != nb, (m << 1) | (r != 0), ea - eb - shift - 1, F64, mode)


def f64_sqrt(a: float, mode: int) -> float:
    """f64 ``sqrt(a)`` rounded in ``mode``."""
    if not a > 0.0 or a == _inf:
        return math.sqrt(a) if a >= 0.0 else a + CANONICAL_NAN  # ±0, inf, NaN
    _, n, e = _parts(a)
    if e & 1:
        n <<= 1
        e -= 1
    # at least 55 root bits, then a sticky bit
    t = 56 - (n.bit_length() >> 1)
    if t < 0:
        t = 0
    n <<= 2 * t
    r = _isqrt(n)
    return round_dyadic(False, (r << 1) | (r * r != n), (e >> 1) - t - 1, F64, mode)


def f64_convert(a: int, mode: int) -> float:
    """f64 of the integer ``a`` (a Python int, |a| < 2**64) rounded in ``mode``."""
    s = float(a)
    d = a - int(s)
    return _step64(s, d, mode) if d else s


#: Every name the rounding templates use.
HELPERS: dict[str, object] = {
    "rnd_f32_add": f32_add,
    "rnd_f32_sub": f32_sub,
    "rnd_f32_mul": f32_mul,
    "rnd_f32_div": f32_div,
    "rnd_f32_sqrt": f32_sqrt,
    "rnd_f32_demote": f32_demote,
    "rnd_f32_convert_s": f32_convert_s,
    "rnd_f32_convert_u": f32_convert_u,
    "rnd_f64_add": f64_add,
    "rnd_f64_sub": f64_sub,
    "rnd_f64_mul": f64_mul,
    "rnd_f64_div": f64_div,
    "rnd_f64_sqrt": f64_sqrt,
    "rnd_f64_convert": f64_convert,
}


def templates() -> dict[str, str]:
    """Expression templates (see :mod:`engine.numeric.scalar`) of the
    instructions with a rounding direction, keyed by their ``Op`` names."""
    out: dict[str, str] = {}
    sign32 = "(({0} ^ 0x80000000) - 0x80000000)"
    sign64 = "(({0} ^ 0x8000000000000000) - 0x8000000000000000)"
    for name, mode in DIRECTIONS:
        m = name.upper()
        for n in ("F32", "F64"):
            low = n.lower()
            for op in ("ADD", "SUB", "MUL", "DIV"):
                out[f"{n}_{op}_{m}"] = f"rnd_{low}_{op.lower()}({{0}}, {{1}}, {mode})"
            out[f"{n}_SQRT_{m}"] = f"rnd_{low}_sqrt({{0}}, {mode})"
        out[f"F32_CONVERT_{m}_I32_S"] = f"rnd_f32_convert_s({sign32}, {mode})"
        out[f"F32_CONVERT_{m}_I32_U"] = f"rnd_f32_convert_u({{0}}, {mode})"
        out[f"F32_CONVERT_{m}_I64_S"] = f"rnd_f32_convert_s({sign64}, {mode})"
        out[f"F32_CONVERT_{m}_I64_U"] = f"rnd_f32_convert_u({{0}}, {mode})"
        out[f"F32_DEMOTE_{m}_F64"] = f"rnd_f32_demote({{0}}, {mode})"
        # Every i32 is a double and promotion is exact: the direction cannot
        # matter (the proposal defines them for a complete matrix).
        out[f"F64_CONVERT_{m}_I32_S"] = f"float_from_int({sign32})"
        out[f"F64_CONVERT_{m}_I32_U"] = "float_from_int({0})"
        out[f"F64_CONVERT_{m}_I64_S"] = f"rnd_f64_convert({sign64}, {mode})"
        out[f"F64_CONVERT_{m}_I64_U"] = f"rnd_f64_convert({{0}}, {mode})"
        out[f"F64_PROMOTE_{m}_F32"] = "({0} * 1.0)"
    return out
