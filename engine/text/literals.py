"""Numeric literals of the text format: integers and floating-point values.

Integers may be decimal or hexadecimal with ``_`` between digits. Unsigned
literals (``uN``) have no sign; signed ones (``sN``) may have one; the
uninterpreted ``iN`` accepts either, normalised to the unsigned value.

Floats are decimal or hexadecimal (with a binary exponent ``p``), ``inf``,
``nan`` or ``nan:0x`` with a payload, each with an optional sign. Values are
rounded to nearest, ties to even, computed exactly on integers (so f32
results are not double-rounded through f64); a value that rounds to
infinity is out of range. Results are raw IEEE bit patterns.
"""

from __future__ import annotations

import re

__all__ = ["LiteralError", "parse_uint", "parse_sint", "parse_int", "parse_float", "FloatFormat",
           "F32", "F64"]


class LiteralError(ValueError):
    """The literal is not of the required form or not in range; the message
    is worded as the spec tests expect ("unknown operator" is what they
    expect for malformed literals, "constant out of range" for values that
    do not fit)."""


_DEC = r"[0-9](?:_?[0-9])*"
_HEX = r"[0-9A-Fa-f](?:_?[0-9A-Fa-f])*"
_UINT = re.compile(rf"(?:0x({_HEX})|({_DEC}))\Z")
_SINT = re.compile(rf"([+-]?)(?:0x({_HEX})|({_DEC}))\Z")
_DEC_FLOAT = re.compile(rf"({_DEC})(?:\.({_DEC})?)?(?:[eE]([+-]?{_DEC}))?\Z")
_HEX_FLOAT = re.compile(rf"0x({_HEX})(?:\.({_HEX})?)?(?:[pP]([+-]?{_DEC}))?\Z")
_NAN_PAYLOAD = re.compile(rf"nan:0x({_HEX})\Z")

OUT_OF_RANGE = "constant out of range"
MALFORMED = "unknown operator"


#: Any literal of more significant decimal digits is out of every integer
#: range; stopping there also keeps clear of CPython's limit on converting
#: long digit strings.
_MAX_INT_DIGITS = 40
#: Decimal float digits kept exactly: binary64 midpoints have at most 767
#: significant digits, so the rest only matter as a sticky non-zero digit.
_MAX_FLOAT_DIGITS = 800
#: Exponents beyond this many digits are as good as infinite.
_MAX_EXPONENT_DIGITS = 15


def _digits(text: str, base: int) -> int:
    digits = text.replace("_", "")
    if base == 10:
        digits = digits.lstrip("0") or "0"
        if len(digits) > _MAX_INT_DIGITS:
            return 1 << 200
    return int(digits, base)


def _exponent(text: str) -> int:
    """A decimal exponent (with optional sign), clamped to +-10**15."""
    sign = -1 if text[:1] == "-" else 1
    digits = text.lstrip("+-").replace("_", "").lstrip("0") or "0"
    if len(digits) > _MAX_EXPONENT_DIGITS:
        return sign * 10 ** _MAX_EXPONENT_DIGITS
    return sign * int(digits)


def parse_uint(text: str, bits: int) -> int:
    """An unsigned ``bits``-wide literal (``uN``)."""
    m = _UINT.match(text)
    if m is None:
        raise LiteralError(MALFORMED)
    value = _digits(m.group(1), 16) if m.group(1) is not None else _digits(m.group(2), 10)
    if value >> bits:
        raise LiteralError(f"i{bits} {OUT_OF_RANGE}" if bits != 8 else f"i8 {OUT_OF_RANGE}")
    return value


def parse_sint(text: str, bits: int) -> int:
    """A signed ``bits``-wide literal (``sN``), as a (possibly negative) int."""
    m = _SINT.match(text)
    if m is None:
        raise LiteralError(MALFORMED)
    value = _digits(m.group(2), 16) if m.group(2) is not None else _digits(m.group(3), 10)
    if m.group(1) == "-":
        value = -value
    if not -(1 << (bits - 1)) <= value < (1 << (bits - 1)):
        raise LiteralError(OUT_OF_RANGE)
    return value


def parse_int(text: str, bits: int) -> int:
    """An uninterpreted ``bits``-wide literal (``iN``): unsigned, or signed
    and normalised to its two's complement, as an unsigned int."""
    m = _SINT.match(text)
    if m is None:
        raise LiteralError(MALFORMED)
    value = _digits(m.group(2), 16) if m.group(2) is not None else _digits(m.group(3), 10)
    sign = m.group(1)
    if not sign:
        if value >> bits:
            raise LiteralError(OUT_OF_RANGE)
        return value
    if sign == "-":
        value = -value
    if not -(1 << (bits - 1)) <= value < (1 << (bits - 1)):
        raise LiteralError(OUT_OF_RANGE)
    return value & ((1 << bits) - 1)


class FloatFormat:
    """An IEEE 754 binary format: ``sig`` stored significand bits, ``exp``
    exponent bits."""

    __slots__ = ("bits", "sig", "exp", "bias", "emin", "max_exp", "inf", "canonical_nan", "sign")

    def __init__(self, sig: int, exp: int):
        self.sig = sig
        self.exp = exp
        self.bits = 1 + sig + exp
        self.bias = (1 << (exp - 1)) - 1
        # Exponent of the least significant bit of subnormals (and of the
        # smallest normal's significand).
        self.emin = 1 - self.bias - sig
        self.max_exp = (1 << exp) - 1
        self.inf = self.max_exp << sig
        self.canonical_nan = self.inf | (1 << (sig - 1))
        self.sign = 1 << (sig + exp)


F32 = FloatFormat(23, 8)
F64 = FloatFormat(52, 11)


def _round_div(p: int, q: int) -> int:
    """p / q rounded to nearest, ties to even (p >= 0, q > 0)."""
    quot, rem = divmod(p, q)
    twice = 2 * rem
    if twice > q or (twice == q and quot & 1):
        quot += 1
    return quot


def _from_ratio(p: int, q: int, fmt: FloatFormat) -> int:
    """The bits of the positive value p / q (p > 0, q > 0) rounded to
    ``fmt``; raises LiteralError on overflow."""
    prec = fmt.sig + 1
    # e: the exponent such that the significand p / q / 2**e has prec bits.
    e = p.bit_length() - q.bit_length() - prec
    if e >= 0:
        q2 = q << e
        p2 = p
    else:
        p2 = p << -e
        q2 = q
    # Now 2**(prec-1) < p2 / q2 < 2**(prec+1) (from the bit lengths); bring
    # it below 2**prec.
    if p2 >= (q2 << prec):
        e += 1
        q2 <<= 1
    if e < fmt.emin:
        # Subnormal (or zero): the quantum is fixed at 2**emin.
        shift = fmt.emin - e
        m = _round_div(p2, q2 << shift)
        # m may round up to 2**sig, which is the smallest normal: the
        # encoding below handles that (biased exponent 1, fraction 0).
        return m
    m = _round_div(p2, q2)
    if m >> prec:
        m >>= 1
        e += 1
    biased = e + fmt.sig + fmt.bias
    if biased >= fmt.max_exp:
        raise LiteralError(OUT_OF_RANGE)
    return (biased << fmt.sig) | (m & ((1 << fmt.sig) - 1))


def _magnitude(text: str, fmt: FloatFormat) -> int:
    """The bits of an unsigned float literal (no sign)."""
    if text == "inf":
        return fmt.inf
    if text == "nan":
        return fmt.canonical_nan
    if text.startswith("nan:"):
        m = _NAN_PAYLOAD.match(text)
        if m is None:
            raise LiteralError(MALFORMED)
        payload = _digits(m.group(1), 16)
        if not 1 <= payload < (1 << fmt.sig):
            raise LiteralError(OUT_OF_RANGE)
        return fmt.inf | payload
    if text.startswith("0x"):
        m = _HEX_FLOAT.match(text)
        if m is None:
            raise LiteralError(MALFORMED)
        whole, frac, exp = m.groups()
        digits = whole.replace("_", "") + (frac.replace("_", "") if frac else "")
        mant = int(digits, 16)
        e2 = (_exponent(exp) if exp else 0) - 4 * (len(digits) - len(whole.replace("_", "")))
        if mant == 0:
            return 0
        # Decide far-out exponents before building huge integers.
        top = mant.bit_length() + e2
        if top > fmt.max_exp - fmt.bias + 1:
            raise LiteralError(OUT_OF_RANGE)
        if top < fmt.emin - 2:
            return 0
        if e2 >= 0:
            return _from_ratio(mant << e2, 1, fmt)
        return _from_ratio(mant, 1 << -e2, fmt)
    m = _DEC_FLOAT.match(text)
    if m is None:
        raise LiteralError(MALFORMED)
    whole, frac, exp = m.groups()
    whole = whole.replace("_", "")
    frac = frac.replace("_", "") if frac else ""
    digits = (whole + frac).lstrip("0")
    if not digits:
        return 0
    e10 = (_exponent(exp) if exp else 0) - len(frac)
    if len(digits) > _MAX_FLOAT_DIGITS:
        sticky = "1" if digits[_MAX_FLOAT_DIGITS:].strip("0") else ""
        e10 += len(digits) - _MAX_FLOAT_DIGITS - len(sticky)
        digits = digits[:_MAX_FLOAT_DIGITS] + sticky
    # The value lies in [10**lead, 10**(lead+1)).
    lead = len(digits) - 1 + e10
    if lead > 400:
        raise LiteralError(OUT_OF_RANGE)
    if lead < -400:
        return 0
    mant = int(digits)
    if e10 >= 0:
        return _from_ratio(mant * 10 ** e10, 1, fmt)
    return _from_ratio(mant, 10 ** -e10, fmt)


def parse_float(text: str, fmt: FloatFormat) -> int:
    """The raw bits of a float literal in format ``fmt`` (F32 or F64)."""
    sign = 0
    if text[:1] in ("+", "-"):
        if text[0] == "-":
            sign = fmt.sign
        text = text[1:]
    return sign | _magnitude(text, fmt)
