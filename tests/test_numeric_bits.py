"""The float representation: f32 bits <-> floats, f32 rounding, f64 bits.

Checked against reference implementations written here with exact integer
arithmetic, independent of ``struct`` and of the C library.
"""

from __future__ import annotations

import math
import os
import random
import struct

import pytest

from engine.numeric import (
    CANONICAL_NAN,
    HELPERS,
    f32_from_bits,
    f32_round,
    f32_to_bits,
    f64_from_bits,
    f64_to_bits,
)
from engine.numeric import floatbits

MANTISSA_EDGES = (0, 1, 2, 3, 0x1FFFFF, 0x200000, 0x3FFFFF, 0x400000, 0x400001,
                  0x555555, 0x2AAAAA, 0x7FFFFE, 0x7FFFFF)


def d_bits(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def ref_f32_value(bits: int) -> float:
    """Decode non-NaN f32 bits with integer arithmetic and ldexp (exact)."""
    sign = -1.0 if bits >> 31 else 1.0
    exp = (bits >> 23) & 0xFF
    mant = bits & 0x7FFFFF
    assert exp != 0xFF or mant == 0
    if exp == 0xFF:
        return sign * math.inf
    if exp == 0:
        return sign * math.ldexp(mant, -149)
    return sign * math.ldexp(mant | 0x800000, exp - 150)


def ref_f32_nan_f64_bits(bits: int) -> int:
    """The representation's f64 bits for an f32 NaN."""
    return ((bits >> 31) << 63) | 0x7FF0000000000000 | ((bits & 0x7FFFFF) << 29)


def ref_f32_round_bits(x: float) -> int:
    """f32 bits of the correctly rounded (ties to even) non-NaN double x."""
    sign = 0x80000000 if math.copysign(1.0, x) < 0 else 0
    if math.isinf(x):
        return sign | 0x7F800000
    if x == 0:
        return sign
    n, d = abs(x).as_integer_ratio()
    k = n.bit_length() - d.bit_length()  # floor(log2(n/d)) or one more
    if (n << max(0, -k)) < (d << max(0, k)):
        k -= 1
    q = max(k - 23, -149)
    num, den = (n, d << q) if q >= 0 else (n << -q, d)
    m, r = divmod(num, den)
    if 2 * r > den or 2 * r == den and m & 1:
        m += 1
    bits = ((q + 149) << 23) + m
    return sign | min(bits, 0x7F800000)


# -- f32_from_bits / f32_to_bits ---------------------------------------------

def check_pattern(bits: int) -> None:
    x = f32_from_bits(bits)
    assert type(x) is float
    if (bits >> 23) & 0xFF == 0xFF and bits & 0x7FFFFF:
        assert d_bits(x) == ref_f32_nan_f64_bits(bits), hex(bits)
    else:
        want = ref_f32_value(bits)
        assert d_bits(x) == d_bits(want), hex(bits)
    assert f32_to_bits(x) == bits, hex(bits)


def test_structured_patterns():
    for sign in (0, 0x80000000):
        for exp in range(256):
            for mant in MANTISSA_EDGES:
                check_pattern(sign | (exp << 23) | mant)


def test_every_single_bit_payload_and_nan_edges():
    for sign in (0, 0x80000000):
        for bit in range(23):
            check_pattern(sign | 0x7F800000 | (1 << bit))
            check_pattern(sign | 0x7F800000 | (0x7FFFFF ^ (1 << bit)))
            check_pattern(sign | 0x7FC00000 | (1 << bit) & 0x7FFFFF)


def test_signalling_nans_stay_signalling():
    for bits in (0x7F800001, 0x7FA00000, 0x7FBFFFFF, 0xFF800001, 0xFFBFFFFF):
        b = d_bits(f32_from_bits(bits))
        assert b & 0x7FF0000000000000 == 0x7FF0000000000000 and not b & (1 << 51)
        assert f32_to_bits(f32_from_bits(bits)) == bits


def test_nan_payload_sweep():
    """A dense sample of all 2 * (2**23 - 1) NaN patterns."""
    for sign in (0, 0x80000000):
        for mant in range(1, 0x800000, 127):
            check_pattern(sign | 0x7F800000 | mant)


def test_random_patterns():
    rng = random.Random(1234)
    for _ in range(40000):
        check_pattern(rng.getrandbits(32))


def test_canonical_nan_is_shared():
    assert d_bits(f32_from_bits(0x7FC00000)) == 0x7FF8000000000000 == d_bits(CANONICAL_NAN)
    assert f32_to_bits(CANONICAL_NAN) == 0x7FC00000
    assert f32_to_bits(-CANONICAL_NAN) == 0xFFC00000


def test_to_bits_of_nan_outside_the_representation():
    # Low payload bits only: the top 23 are zero, the result must stay a NaN.
    assert f32_to_bits(f64_from_bits(0x7FF0000000000001)) == 0x7FC00000
    assert f32_to_bits(f64_from_bits(0xFFF0000020000001)) == 0xFF800001


@pytest.mark.parametrize("bad", [-1, 2**32, 2**40 + 0x7F800001, -0x7F800001])
def test_from_bits_rejects_out_of_range(bad):
    with pytest.raises(ValueError):
        f32_from_bits(bad)
    if not -1 <= bad < 2**64:
        with pytest.raises(ValueError):
            f64_from_bits(bad)


@pytest.mark.parametrize("bad", [1.5, "1", None])
def test_bits_functions_reject_wrong_types(bad):
    with pytest.raises(TypeError):
        f32_from_bits(bad)
    with pytest.raises(TypeError):
        f64_from_bits(bad)
    if not isinstance(bad, float):
        with pytest.raises(TypeError):
            f32_to_bits(bad)
        with pytest.raises(TypeError):
            f64_to_bits(bad)


def test_f64_bits_round_trip_nan_payloads():
    rng = random.Random(5)
    samples = [0x7FF0000000000001, 0xFFF0000000000001, 0x7FF4000000000000, 0x7FF8000000000001,
               0xFFFFFFFFFFFFFFFF, 0, 0x8000000000000000, 1, 0x7FEFFFFFFFFFFFFF]
    samples += [rng.getrandbits(64) for _ in range(20000)]
    samples += [0x7FF0000000000000 | rng.getrandbits(52) | rng.getrandbits(1) << 63 for _ in range(2000)]
    for bits in samples:
        x = f64_from_bits(bits)
        assert f64_to_bits(x) == bits
        if not math.isnan(x):
            assert x == struct.unpack("<d", bits.to_bytes(8, "little"))[0]


# -- rounding to f32 ---------------------------------------------------------

def rounding_samples() -> list[float]:
    rng = random.Random(99)
    out = [0.0, -0.0, math.inf, -math.inf, 1.0, -1.0, 1e300, -1e300, 1e-300, -1e-300,
           5e-324, 2.0**-149, 2.0**-150, 3 * 2.0**-151, 2.0**-126, 2.0**-126 - 2.0**-150,
           3.4028234663852886e38, 2.0**128, 2.0**128 - 2.0**103, 2.0**128 - 2.0**103 - 2.0**75,
           -(2.0**128 - 2.0**103), 1.0 + 2.0**-24, 1.0 + 3 * 2.0**-24, 1.0 + 2.0**-24 + 2.0**-52]
    for _ in range(20000):
        # f32 value plus an offset around half an f32 ulp: ties and near-ties.
        f = f32_from_bits(rng.getrandbits(31) % 0x7F800000)
        ulp = math.ulp(f) * 2.0**29 if f >= 2.0**-126 else 2.0**-149
        for frac in (0.5, 0.5 - 2.0**-20, 0.5 + 2.0**-20, rng.random()):
            x = f + frac * ulp
            out.append(x)
            out.append(-x)
        out.append(struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0])
    return [x for x in out if not math.isnan(x)]


ROUNDING = rounding_samples()


def test_f32_round_is_correctly_rounded():
    for x in ROUNDING:
        got = f32_round(x)
        assert d_bits(got) == d_bits(ref_f32_value(ref_f32_round_bits(x))), x


@pytest.mark.skipif(not floatbits.NATIVE_F32_CAST_OK,
                    reason="native struct 'f' cast is not IEEE here; templates use f32_round")
def test_inline_native_cast_matches_reference():
    unpack, pack = HELPERS["f32_unpack"], HELPERS["f32_pack"]
    for x in ROUNDING:
        assert d_bits(unpack(pack(x))[0]) == d_bits(ref_f32_value(ref_f32_round_bits(x))), x


def test_native_probe_agrees_with_reality():
    ok = True
    try:
        for x in ROUNDING[:2000]:
            got = floatbits.f32_unpack(floatbits.f32_pack(x))[0]
            if d_bits(got) != d_bits(ref_f32_value(ref_f32_round_bits(x))):
                ok = False
    except OverflowError:
        ok = False
    assert ok == floatbits.NATIVE_F32_CAST_OK


@pytest.mark.parametrize("rounder", ["f32_round", "inline"])
def test_rounding_nan_gives_the_representation(rounder):
    if rounder == "f32_round":
        fn = f32_round
    elif floatbits.NATIVE_F32_CAST_OK:
        def fn(x):
            return HELPERS["f32_unpack"](HELPERS["f32_pack"](x))[0]
    else:
        pytest.skip("native struct 'f' cast is not IEEE here")
    for f64 in (0x7FF8000000000000, 0xFFF8000000000000, 0x7FF8000000000001, 0x7FFC000020000000,
                0xFFFFFFFFE0000000, 0x7FF0000000000001, 0x7FF4000000000000):
        out = d_bits(fn(f64_from_bits(f64 | 1 << 51)))  # quiet inputs, as arithmetic gives
        assert out & 0x1FFFFFFF == 0  # low 29 bits clear: an f32 NaN
        assert out & 0x7FF8000000000000 == 0x7FF8000000000000  # quiet NaN
        assert out >> 63 == f64 >> 63
        assert (out >> 29) & 0x3FFFFF == ((f64 | 1 << 51) >> 29) & 0x3FFFFF  # top payload kept


# -- exhaustive (opt-in: about an hour on one core) ---------------------------

EXHAUSTIVE = os.environ.get("NUMERIC_EXHAUSTIVE") == "1"


@pytest.mark.skipif(not EXHAUSTIVE, reason="exhaustive 2**32 check: set NUMERIC_EXHAUSTIVE=1")
@pytest.mark.parametrize("chunk", range(16))
def test_exhaustive_round_trip(chunk):
    """Every one of the 2**32 patterns: to_bits(from_bits(b)) == b, and NaNs
    have the representation's layout."""
    frm, to = f32_from_bits, f32_to_bits
    unpack = struct.Struct("<Q").unpack
    pack = struct.Struct("<d").pack
    start = chunk << 28
    bad = []
    for bits in range(start, start + (1 << 28)):
        x = frm(bits)
        if to(x) != bits:
            bad.append(bits)
        elif x != x and unpack(pack(x))[0] != ref_f32_nan_f64_bits(bits):
            bad.append(bits)
        if len(bad) > 10:
            break
    assert not bad, [hex(b) for b in bad]
