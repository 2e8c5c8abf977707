"""Numeric literals of the text format: integers of every width and form,
floats (decimal and hexadecimal, rounding, ranges, inf, NaN payloads) and
vector constants."""

from __future__ import annotations

import struct
from fractions import Fraction

import pytest

from engine.errors import MalformedError
from engine.text.literals import (
    F32, F64, LiteralError, parse_float, parse_int, parse_sint, parse_uint,
)


def f64_bits(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


# --- integers -------------------------------------------------------------


@pytest.mark.parametrize("text, bits, value", [
    ("0", 32, 0),
    ("4294967295", 32, 0xFFFFFFFF),
    ("0xffff_ffff", 32, 0xFFFFFFFF),
    ("0xFFFFFFFF", 32, 0xFFFFFFFF),
    ("1_000_000", 32, 1000000),
    ("0x0", 8, 0),
    ("255", 8, 255),
    ("18446744073709551615", 64, 2**64 - 1),
])
def test_unsigned(text, bits, value):
    assert parse_uint(text, bits) == value


@pytest.mark.parametrize("text, bits", [
    ("4294967296", 32), ("0x1_0000_0000", 32), ("256", 8), ("18446744073709551616", 64),
])
def test_unsigned_out_of_range(text, bits):
    with pytest.raises(LiteralError, match="constant out of range"):
        parse_uint(text, bits)


@pytest.mark.parametrize("text", [
    "", "+1", "-1", "_1", "1_", "1__0", "0x", "0x_1", "0x1_", "1a", "0b1", "1.0", "x1", "0X1",
])
def test_unsigned_malformed(text):
    with pytest.raises(LiteralError):
        parse_uint(text, 32)


@pytest.mark.parametrize("text, bits, value", [
    ("0", 32, 0),
    ("-1", 32, 0xFFFFFFFF),
    ("+1", 32, 1),
    ("-0x80000000", 32, 0x80000000),
    ("0xffffffff", 32, 0xFFFFFFFF),
    ("-2147483648", 32, 0x80000000),
    ("+2147483647", 32, 0x7FFFFFFF),
    ("-0x8000_0000_0000_0000", 64, 1 << 63),
    ("0xffffffffffffffff", 64, 2**64 - 1),
    ("-128", 8, 0x80),
    ("255", 8, 0xFF),
    ("-32768", 16, 0x8000),
])
def test_uninterpreted(text, bits, value):
    assert parse_int(text, bits) == value


@pytest.mark.parametrize("text, bits", [
    ("4294967296", 32),
    ("-2147483649", 32),
    ("-0x80000001", 32),
    # A sign makes the literal signed: +0xffffffff is not in s32's range.
    ("+0xffffffff", 32),
    ("+2147483648", 32),
    ("0x10000000000000000", 64),
    ("-0x8000000000000001", 64),
    ("256", 8),
    ("-129", 8),
])
def test_uninterpreted_out_of_range(text, bits):
    with pytest.raises(LiteralError, match="constant out of range"):
        parse_int(text, bits)


def test_signed_returns_negative_values():
    assert parse_sint("-5", 32) == -5
    with pytest.raises(LiteralError):
        parse_sint("2147483648", 32)


# --- floats ----------------------------------------------------------------


@pytest.mark.parametrize("text, value", [
    ("0", 0.0), ("1", 1.0), ("1.", 1.0), ("1.5", 1.5), ("1e3", 1000.0), ("1E3", 1000.0),
    ("1.5e+2", 150.0), ("1.5e-2", 0.015), ("1_000.000_1", 1000.0001), ("1e1_0", 1e10),
    ("0x1p0", 1.0), ("0x1.8p1", 3.0), ("0xA.8p0", 10.5), ("0x1P-2", 0.25), ("0x10", 16.0),
    ("0x1.", 1.0), ("0x1_0.8", 16.5), ("0x.8p0" if False else "0x0.8p0", 0.5),
    ("1.7976931348623157e308", 1.7976931348623157e308),
    ("0x1.fffffffffffffp1023", 1.7976931348623157e308),
    ("4.9e-324", 5e-324), ("0x1p-1074", 5e-324),
    ("2.2250738585072014e-308", 2.2250738585072014e-308),
])
def test_f64_values(text, value):
    assert parse_float(text, F64) == f64_bits(value)


def test_f64_matches_correctly_rounded_decimal_conversion():
    import random
    rnd = random.Random(7)
    for _ in range(2000):
        text = f"{rnd.randint(0, 10 ** rnd.randint(1, 25))}e{rnd.randint(-330, 310)}"
        expected = float(text)
        if expected == float("inf"):
            with pytest.raises(LiteralError):
                parse_float(text, F64)
        else:
            assert parse_float(text, F64) == f64_bits(expected), text


def _f32_reference(value: Fraction) -> int:
    """Round a positive rational to f32 by brute force over the neighbours."""
    import math
    if value == 0:
        return 0
    e = math.floor(math.log2(value)) if value >= 1 else -math.ceil(math.log2(1 / value))
    for exp in (e - 1, e, e + 1):
        lo = Fraction(2) ** exp
        if lo <= value < 2 * lo:
            break
    exp = max(exp, -126)
    ulp = Fraction(2) ** (exp - 23)
    q, r = divmod(value / ulp, 1)
    q = int(q)
    if r > Fraction(1, 2) or (r == Fraction(1, 2) and q % 2 == 1):
        q += 1
    bits_value = q * ulp
    return struct.unpack("<I", struct.pack("<f", float(bits_value)))[0]


def test_f32_rounds_once_from_the_exact_value():
    # 0x1.000001p0 is exactly half way between two f32 values: ties to even.
    assert parse_float("0x1.000001p0", F32) == 0x3F800000
    assert parse_float("0x1.000003p0", F32) == 0x3F800002
    # Just above the half way point: rounds up, though its f64 rounding
    # would land exactly on the tie (double rounding would give 1.0).
    assert parse_float("0x1.00000100000000001p0", F32) == 0x3F800001
    assert parse_float("1.00000005960464477550", F32) == 0x3F800001
    import random
    rnd = random.Random(3)
    for _ in range(500):
        digits = rnd.randint(1, 10 ** 12)
        exp = rnd.randint(-50, 30)
        text = f"{digits}e{exp}"
        value = Fraction(digits) * Fraction(10) ** exp
        if value >= Fraction(2) ** 128 - Fraction(2) ** 103:
            continue
        assert parse_float(text, F32) == _f32_reference(value), text


@pytest.mark.parametrize("text, bits", [
    ("0x1p-149", 0x00000001),
    ("0x1p-150", 0x00000000),          # tie with zero: even
    ("0x1.000002p-150", 0x00000001),   # above the tie
    ("0x1.fffffep127", 0x7F7FFFFF),
    ("3.4028235677973362e38", 0x7F7FFFFF),
    ("-0", 0x80000000),
    ("-0.0", 0x80000000),
    ("0x1.fffffep-127", 0x00800000),   # rounds up to the smallest normal
    ("inf", 0x7F800000), ("-inf", 0xFF800000), ("+inf", 0x7F800000),
    ("nan", 0x7FC00000), ("-nan", 0xFFC00000), ("+nan", 0x7FC00000),
    ("nan:0x1", 0x7F800001), ("-nan:0x7fffff", 0xFFFFFFFF), ("nan:0x40_0000", 0x7FC00000),
    ("1e-50", 0), ("-1e-50", 0x80000000),
])
def test_f32_values(text, bits):
    assert parse_float(text, F32) == bits


@pytest.mark.parametrize("text", [
    "0x1p128", "0x1.ffffffp127", "3.4028235677973367e38", "1e39", "-1e39", "1e400000000",
])
def test_f32_overflow_is_out_of_range(text):
    with pytest.raises(LiteralError, match="constant out of range"):
        parse_float(text, F32)


@pytest.mark.parametrize("text", ["0x1p1024", "1.8e308", "0x1.fffffffffffff8p1023", "1e400"])
def test_f64_overflow_is_out_of_range(text):
    with pytest.raises(LiteralError, match="constant out of range"):
        parse_float(text, F64)


@pytest.mark.parametrize("text, fmt", [
    ("nan:0x0", F32), ("nan:0x800000", F32), ("nan:0x10000000000000", F64), ("nan:0x0", F64),
])
def test_nan_payload_range(text, fmt):
    with pytest.raises(LiteralError, match="constant out of range"):
        parse_float(text, fmt)


def test_nan_payloads_f64():
    assert parse_float("nan:0x1", F64) == 0x7FF0000000000001
    assert parse_float("-nan:0xf_ffff_ffff_ffff", F64) == 0xFFFFFFFFFFFFFFFF
    assert parse_float("nan", F64) == 0x7FF8000000000000


@pytest.mark.parametrize("text", [
    ".5", "1.e", "1e", "1e+", "0x", "0x.p1", "0xp1", "1_.0", "1._0", "1.0_", "_1.0", "1e_1",
    "0x1p", "0x1p+_1", "nan:1", "nan:0x", "nan:0xg", "infinity", "na", "+-1", "1.0.0", "1x",
    "NaN", "Inf", "0x1.0p1.0",
])
def test_float_malformed(text):
    with pytest.raises(LiteralError):
        parse_float(text, F64)


def test_huge_exponents_are_decided_without_huge_arithmetic():
    assert parse_float("0e1000000000", F64) == 0
    assert parse_float("1e-1000000000", F64) == 0
    assert parse_float("0x1p-99999999999", F32) == 0
    with pytest.raises(LiteralError):
        parse_float("0x1p99999999999", F64)


# --- through the parser ----------------------------------------------------


def test_literals_in_instructions_and_their_errors():
    from engine.binary import decode_module
    from engine.text import parse_module
    body = decode_module(parse_module(
        "(func (result i32 i64 f32 f64)"
        " i32.const -1 i64.const 0x8000_0000_0000_0000 f32.const -nan:0x1 f64.const 0x1p-1074)"
    )).funcs[0].body
    assert [ins[1] for ins in body[:4]] == [0xFFFFFFFF, 1 << 63, 0xFF800001, 1]
    for bad in ("(func i32.const 0x100000000 drop)", "(func f32.const 1e39 drop)",
                "(func i64.const nan drop)", "(func f64.const 1e drop)",
                "(func i32.const 1.0 drop)", "(func i32.const drop)"):
        with pytest.raises(MalformedError):
            parse_module(bad)


def test_long_digit_strings_are_decided_without_converting_them_whole():
    from engine.binary import decode_module
    from engine.text import parse_module
    # CPython refuses to convert very long decimal strings to int; the
    # parser must not depend on that limit.
    for text in ("1" * 5000, "0" * 5000 + "1" + "0" * 30):
        with pytest.raises(LiteralError, match="out of range"):
            parse_int(text, 64)
    assert parse_uint("0" * 5000 + "7", 32) == 7
    with pytest.raises(LiteralError, match="out of range"):
        parse_float("1" * 5000, F64)
    with pytest.raises(LiteralError, match="out of range"):
        parse_float("1e" + "1" * 5000, F64)
    assert parse_float("1e-" + "1" * 5000, F64) == 0
    assert parse_float("0x1p-" + "1" * 5000, F32) == 0
    assert parse_float("0." + "0" * 6000 + "1", F64) == 0
    with pytest.raises(MalformedError):
        parse_module("(func (call " + "9" * 5000 + "))")
    body = decode_module(parse_module("(func (result f64) f64.const 1." + "0" * 5000 + ")")).funcs[0].body
    assert body[0][1] == f64_bits(1.0)


def test_digits_beyond_the_kept_precision_still_break_ties():
    import decimal
    decimal.getcontext().prec = 100
    # 1 + 2**-53 is exactly half way between 1.0 and the next double.
    half = format(decimal.Decimal(1) + decimal.Decimal(1) / decimal.Decimal(2) ** 53, "f")
    assert parse_float(half, F64) == f64_bits(1.0)
    assert parse_float(half + "0" * 900, F64) == f64_bits(1.0)
    assert parse_float(half + "0" * 900 + "1", F64) == f64_bits(1.0) + 1
