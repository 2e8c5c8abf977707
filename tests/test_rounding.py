"""The rounding-mode-control instructions against exact rational arithmetic.

The reference here shares nothing with :mod:`engine.numeric.rounding`: it
finds the two representable neighbours of the exact result by a binary
search over bit patterns (the order of non-negative floats is the order of
their bits), comparing exact :class:`~fractions.Fraction` values, and picks
one by the direction; square roots are compared by squaring. Zeros get the
IEEE 754 signs. Operands are edge values (zeros, subnormals, the largest
values, powers of two and their neighbours), pairs built to cancel or to lie
far apart, and random bit patterns; the ``*_nearest`` mode of the same code
is also checked against the ordinary instructions on many more operands.
"""

from __future__ import annotations

import math
import random
import re
from fractions import Fraction

import pytest

from engine import Engine, Linker, Module, Store
from engine.binary import decode_module
from engine.errors import InvalidError, MalformedError
from engine.numeric import HELPERS, SCALAR_OPS, f32_from_bits, f32_to_bits, f64_from_bits, f64_to_bits
from engine.numeric import rounding as R
from engine.syntax.opcodes import ROUNDING_FIRST, Op
from engine.text import parse_module
from engine.valid import validate_module

CEIL, FLOOR, TRUNC, NEAREST = R.CEIL, R.FLOOR, R.TRUNC, R.NEAREST
DIRECTED = (CEIL, FLOOR, TRUNC)


class Fmt:
    def __init__(self, width: int, frombits, tobits, max_bits: int):
        self.width = width
        self.frombits = frombits
        self.tobits = tobits
        self.max_bits = max_bits  # the largest finite value
        self.inf_bits = max_bits + 1
        self.sign = 1 << (width - 1)


F32 = Fmt(32, f32_from_bits, f32_to_bits, 0x7F7FFFFF)
F64 = Fmt(64, f64_from_bits, f64_to_bits, 0x7FEFFFFFFFFFFFFF)


def _value(fmt: Fmt, bits: int) -> Fraction:
    return Fraction(fmt.frombits(bits))


def ref_round(fmt: Fmt, negative: bool, above, mode: int, hint: int = 0) -> int:
    """The bits of a nonzero result ``(-1)**negative * X`` rounded in
    ``mode``, where ``above(v)`` tells for a non-negative Fraction ``v``
    whether ``v > X`` (1), ``v == X`` (0) or ``v < X`` (-1). ``hint`` (the
    bits of a guess at ``|X|``) only makes the search shorter."""
    # bracket the largest pattern whose value is <= |X| by galloping from
    # the hint, then bisect
    hint = min(max(hint, 0), fmt.max_bits)
    step = 1
    if above(_value(fmt, hint)) <= 0:
        lo = hint
        while True:
            hi = min(lo + step, fmt.max_bits)
            if above(_value(fmt, hi)) > 0:
                hi -= 1
                break
            if hi == fmt.max_bits:
                lo = hi
                break
            lo, step = hi, step * 2
    else:
        hi = hint - 1
        while True:
            lo = max(hi - step, 0)
            if lo == 0 or above(_value(fmt, lo)) <= 0:
                break
            hi, step = lo - 1, step * 2
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if above(_value(fmt, mid)) <= 0:
            lo = mid
        else:
            hi = mid - 1
    down = lo
    if above(_value(fmt, down)) == 0:
        return down | (fmt.sign if negative else 0)
    up = down + 1  # may be the infinity
    if mode == NEAREST:
        # the value past the largest finite one counts as 2**(emax+1)
        v_down = _value(fmt, down)
        v_up = _value(fmt, up) if up < fmt.inf_bits else 2 * _value(fmt, fmt.max_bits) - v_down + \
            (_value(fmt, fmt.max_bits) - _value(fmt, fmt.max_bits - 1))
        mid = (v_down + v_up) / 2
        c = above(mid)
        pick = up if c < 0 or (c == 0 and down & 1) else down
    else:
        away = mode == (FLOOR if negative else CEIL)
        pick = up if away else down
    return pick | (fmt.sign if negative else 0)


def _guess(fmt: Fmt, x: float) -> int:
    try:
        return fmt.tobits(abs(x))
    except OverflowError:
        return fmt.max_bits


def rational(fmt: Fmt, x: Fraction, mode: int) -> int:
    m = abs(x)
    try:
        hint = _guess(fmt, float(m))
    except OverflowError:
        hint = fmt.max_bits
    return ref_round(fmt, x < 0, lambda v: (v > m) - (v < m), mode, hint)


def is_nan(fmt: Fmt, bits: int) -> bool:
    return bits & ~fmt.sign > fmt.inf_bits


def is_finite(fmt: Fmt, bits: int) -> bool:
    return bits & ~fmt.sign < fmt.inf_bits


def neg(fmt: Fmt, bits: int) -> bool:
    return bool(bits & fmt.sign)


def zero(fmt: Fmt, negative: bool) -> int:
    return fmt.sign if negative else 0


def ref_binary(fmt: Fmt, op: str, a: int, b: int, mode: int):
    """Bits of ``a op b``, or None when the result is a NaN or involves an
    infinity (those are checked separately)."""
    if not (is_finite(fmt, a) and is_finite(fmt, b)):
        return None
    x, y = _value(fmt, a), _value(fmt, b)
    if op == "sub":
        op, b, y = "add", b ^ fmt.sign, -y
    if op == "add":
        s = x + y
        if s == 0:
            if x == 0 and y == 0 and neg(fmt, a) == neg(fmt, b):
                return a
            return zero(fmt, mode == FLOOR)
        return rational(fmt, s, mode)
    sign = neg(fmt, a) != neg(fmt, b)
    if op == "mul":
        p = x * y
        return zero(fmt, sign) if p == 0 else rational(fmt, p, mode)
    if y == 0:
        return None
    q = x / y
    return zero(fmt, sign) if q == 0 else rational(fmt, q, mode)


def ref_sqrt(fmt: Fmt, a: int, mode: int):
    if not is_finite(fmt, a) or (neg(fmt, a) and a != fmt.sign):
        return None
    x = _value(fmt, a)
    if x == 0:
        return a
    return ref_round(fmt, False, lambda v: (v * v > x) - (v * v < x), mode,
                     _guess(fmt, math.sqrt(fmt.frombits(a))))


# --- operands -----------------------------------------------------------------


def edge_bits(fmt: Fmt) -> list[int]:
    mant = 23 if fmt.width == 32 else 52
    bias = 127 if fmt.width == 32 else 1023
    one = bias << mant
    base = [0, 1, 2, 3, (1 << mant) - 1, 1 << mant, (1 << mant) + 1, one - 1, one, one + 1,
            one + (1 << (mant - 1)), fmt.max_bits - 1, fmt.max_bits, (bias + 1) << mant,
            ((bias - 1) << mant) | ((1 << mant) - 1), (bias + mant) << mant,
            ((bias + mant + 1) << mant) + 1, (bias - mant - 2) << mant]
    return sorted({b | s for b in base for s in (0, fmt.sign)})


def random_bits(fmt: Fmt, rng: random.Random) -> int:
    mant = 23 if fmt.width == 32 else 52
    emax = 254 if fmt.width == 32 else 2046
    kind = rng.random()
    if kind < 0.15:
        e = rng.choice((0, 1, 2, emax - 1, emax))  # subnormal, tiny, huge
    else:
        e = rng.randrange(0, emax + 1)
    return (rng.getrandbits(1) << (fmt.width - 1)) | (e << mant) | rng.getrandbits(mant)


def operand_pairs(fmt: Fmt, seed: str, count: int) -> list[tuple[int, int]]:
    rng = random.Random(seed)
    edges = edge_bits(fmt)
    pairs = [(a, b) for a in edges[::3] for b in edges[1::3]]
    mant = 23 if fmt.width == 32 else 52
    for _ in range(count):
        a = random_bits(fmt, rng)
        kind = rng.random()
        if kind < 0.2:  # near cancellation
            b = (a ^ fmt.sign) + rng.randrange(-3, 4)
        elif kind < 0.4:  # a close exponent
            e = (a >> mant) & ((1 << (fmt.width - 1 - mant)) - 1)
            e2 = min(max(e + rng.randrange(-60, 61), 0), (1 << (fmt.width - 1 - mant)) - 2)
            b = (rng.getrandbits(1) << (fmt.width - 1)) | (e2 << mant) | rng.getrandbits(mant)
        elif kind < 0.5:
            b = rng.choice(edges)
        else:
            b = random_bits(fmt, rng)
        b &= (1 << fmt.width) - 1
        if is_nan(fmt, b):
            b = edges[0]
        pairs.append((a, b))
    return pairs


FUNCS = {
    (32, "add"): R.f32_add, (32, "sub"): R.f32_sub, (32, "mul"): R.f32_mul, (32, "div"): R.f32_div,
    (64, "add"): R.f64_add, (64, "sub"): R.f64_sub, (64, "mul"): R.f64_mul, (64, "div"): R.f64_div,
}


@pytest.mark.parametrize("fmt", (F32, F64), ids=("f32", "f64"))
@pytest.mark.parametrize("op", ("add", "sub", "mul", "div"))
def test_binary_against_exact(fmt: Fmt, op: str) -> None:
    func = FUNCS[(fmt.width, op)]
    checked = 0
    for a, b in operand_pairs(fmt, f"rounding:{fmt.width}:{op}", 1000):
        for mode in DIRECTED + (NEAREST,):
            want = ref_binary(fmt, op, a, b, mode)
            if want is None:
                continue
            got = fmt.tobits(func(fmt.frombits(a), fmt.frombits(b), mode))
            assert got == want, (op, mode, hex(a), hex(b), hex(got), hex(want))
            checked += 1
    assert checked > 1500


@pytest.mark.parametrize("fmt", (F32, F64), ids=("f32", "f64"))
def test_sqrt_against_exact(fmt: Fmt) -> None:
    func = R.f32_sqrt if fmt.width == 32 else R.f64_sqrt
    rng = random.Random(f"rounding:sqrt:{fmt.width}")
    stride = fmt.inf_bits // 1500
    operands = edge_bits(fmt) + [k * stride + rng.randrange(stride) for k in range(1500)]
    # perfect squares and their neighbours
    for k in (1, 3, 7, 12345, 2**11 + 1, 2**12 - 1):
        sq = fmt.tobits(float(k * k))
        operands += [sq - 1, sq, sq + 1]
    for a in operands:
        for mode in DIRECTED + (NEAREST,):
            want = ref_sqrt(fmt, a, mode)
            if want is None:
                continue
            got = fmt.tobits(func(fmt.frombits(a), mode))
            assert got == want, (mode, hex(a), hex(got), hex(want))


def int_operands(bits: int, seed: str) -> list[int]:
    rng = random.Random(seed)
    out = {0, 1, 2, 3, (1 << bits) - 1, (1 << (bits - 1)) - 1, 1 << (bits - 1), (1 << (bits - 1)) + 1}
    for k in (24, 25, 31, 32, 53, 54, 62, 63):
        if k < bits:
            for d in range(-3, 4):
                out.add(((1 << k) + d) % (1 << bits))
                out.add((-(1 << k) + d) % (1 << bits))
    for _ in range(2000):
        out.add(rng.getrandbits(rng.randrange(1, bits + 1)))
    return sorted(out)


@pytest.mark.parametrize("src", (32, 64))
@pytest.mark.parametrize("signed", (True, False), ids=("s", "u"))
def test_int_conversions_against_exact(src: int, signed: bool) -> None:
    for a in int_operands(src, f"rounding:convert:{src}:{signed}"):
        n = a - (1 << src) if signed and a >> (src - 1) else a
        for mode in DIRECTED + (NEAREST,):
            want32 = 0 if n == 0 else rational(F32, Fraction(n), mode)
            want64 = 0 if n == 0 else rational(F64, Fraction(n), mode)
            got32 = (R.f32_convert_s if signed else R.f32_convert_u)(n, mode)
            assert f32_to_bits(got32) == want32, (n, mode)
            assert f64_to_bits(R.f64_convert(n, mode)) == want64, (n, mode)


def test_demote_against_exact() -> None:
    rng = random.Random("rounding:demote")
    operands = edge_bits(F64)
    for _ in range(4000):
        e = rng.randrange(1023 - 160, 1023 + 140)  # across the f32 range and past it
        operands.append((rng.getrandbits(1) << 63) | (e << 52) | rng.getrandbits(52))
    for a in operands:
        x = f64_from_bits(a)
        for mode in DIRECTED + (NEAREST,):
            want = f32_to_bits(x) if x == 0 else rational(F32, Fraction(x), mode)
            if math.isinf(x) or abs(x) > 2.0**200:
                # beyond the reference's search: directed overflow rules
                big = abs(x) > F32.frombits(F32.max_bits)
                assert big
                away = mode == NEAREST or (mode == (FLOOR if x < 0 else CEIL))
                want = (0x7F800000 if away else F32.max_bits) | (F32.sign if x < 0 else 0)
            assert f32_to_bits(R.f32_demote(x, mode)) == want, (hex(a), mode)


# --- the nearest mode is the ordinary instruction --------------------------------


def _nearest_cases():
    return [
        (Op.F32_ADD, R.f32_add), (Op.F32_SUB, R.f32_sub), (Op.F32_MUL, R.f32_mul),
        (Op.F32_DIV, R.f32_div), (Op.F64_ADD, R.f64_add), (Op.F64_SUB, R.f64_sub),
        (Op.F64_MUL, R.f64_mul), (Op.F64_DIV, R.f64_div),
    ]


@pytest.mark.parametrize("op, func", _nearest_cases(), ids=lambda x: getattr(x, "text", ""))
def test_nearest_mode_matches_the_ordinary_instruction(op, func) -> None:
    fmt = F32 if op.text.startswith("f32") else F64
    template = eval("lambda a, b: " + SCALAR_OPS[op].format("a", "b"), dict(HELPERS))  # noqa: S307
    for a, b in operand_pairs(fmt, f"nearest:{op.text}", 4000):
        x, y = fmt.frombits(a), fmt.frombits(b)
        want, got = fmt.tobits(template(x, y)), fmt.tobits(func(x, y, NEAREST))
        if is_nan(fmt, want):
            assert is_nan(fmt, got)
        else:
            assert got == want, (op.text, hex(a), hex(b))


@pytest.mark.parametrize("fmt", (F32, F64), ids=("f32", "f64"))
def test_directed_results_bracket_the_nearest(fmt: Fmt) -> None:
    """floor <= nearest <= ceil, trunc is one of floor and ceil, and floor
    and ceil are equal or neighbours (many more operands than above)."""
    add = R.f32_add if fmt.width == 32 else R.f64_add
    mul = R.f32_mul if fmt.width == 32 else R.f64_mul
    div = R.f32_div if fmt.width == 32 else R.f64_div
    for a, b in operand_pairs(fmt, f"bracket:{fmt.width}", 6000):
        x, y = fmt.frombits(a), fmt.frombits(b)
        for func in (add, mul, div):
            if not y and func is div:
                continue
            n, c, f, t = (func(x, y, m) for m in (NEAREST, CEIL, FLOOR, TRUNC))
            if n != n:
                continue
            assert f <= n <= c
            if f >= 0.0 and c > 0.0:  # a positive exact result
                assert t == f
            elif f < 0.0 and c <= 0.0:
                assert t == c
            if f != c:
                assert _ordered(fmt, fmt.tobits(c)) - _ordered(fmt, fmt.tobits(f)) == 1


def _ordered(fmt: Fmt, bits: int) -> int:
    """Bits mapped to a line that orders floats (both zeros at 0)."""
    return -(bits & ~fmt.sign) if bits & fmt.sign else bits


# --- special operands --------------------------------------------------------


@pytest.mark.parametrize("mode", DIRECTED)
def test_specials(mode: int) -> None:
    inf, nan = math.inf, math.nan
    for add, sub, mul, div, sqrt in ((R.f32_add, R.f32_sub, R.f32_mul, R.f32_div, R.f32_sqrt),
                                     (R.f64_add, R.f64_sub, R.f64_mul, R.f64_div, R.f64_sqrt)):
        assert add(inf, 1.0, mode) == inf and sub(1.0, inf, mode) == -inf
        assert math.isnan(add(inf, -inf, mode)) and math.isnan(mul(0.0, inf, mode))
        assert div(1.0, 0.0, mode) == inf and div(-1.0, 0.0, mode) == -inf
        assert math.isnan(div(0.0, 0.0, mode)) and math.isnan(sqrt(-1.0, mode))
        assert math.copysign(1.0, sqrt(-0.0, mode)) == -1.0 and sqrt(inf, mode) == inf
        assert math.isnan(add(nan, 1.0, mode)) and math.isnan(div(1.0, nan, mode))
        # -0 + -0 keeps the sign whatever the direction; +0 + -0 is +0 but toward -inf
        assert math.copysign(1.0, add(-0.0, -0.0, mode)) == -1.0
        assert math.copysign(1.0, add(0.0, -0.0, mode)) == (-1.0 if mode == FLOOR else 1.0)
        assert math.copysign(1.0, sub(1.0, 1.0, mode)) == (-1.0 if mode == FLOOR else 1.0)
    # NaN payloads: a signalling NaN operand comes back quiet, payload kept
    snan = f64_from_bits(0x7FF0000000000123)
    assert f64_to_bits(R.f64_add(snan, 1.0, mode)) == 0x7FF8000000000123
    snan32 = f32_from_bits(0x7F800123)
    assert f32_to_bits(R.f32_mul(snan32, 1.0, mode)) == 0x7FC00123


# --- through the engine: binary, text, validation, translation -----------------------


def _rounding_ops() -> list[Op]:
    return sorted(op for op in Op if op >> 12 == 0xFC and op & 0xFFF >= ROUNDING_FIRST)


def test_sixty_instructions_at_their_opcodes() -> None:
    ops = _rounding_ops()
    assert len(ops) == 60
    assert [op & 0xFFF for op in ops] == list(range(0x80, 0xBC))
    assert Op(0xFC080).text == "f32.sqrt_ceil" and Op(0xFC0BB).text == "f64.promote_trunc_f32"
    assert Op(0xFC0A2).text == "f32.demote_floor_f64" and Op(0xFC0B3).text == "f32.convert_trunc_i32_u"


SCRIPT = "rounding-variants.wast"


def _script_module() -> str:
    """The test module of the proposal's script, regenerated here."""
    lines = ["(module"]
    for op in _rounding_ops():
        name = op.text
        result, rest = name.split(".")
        operand = re.search(r"_(i32|i64|f32|f64)(?:_[su])?$", rest)
        params = [operand.group(1)] if operand else [result] * (1 if "sqrt" in rest else 2)
        decl = " ".join(f"(param {t})" for t in params)
        gets = " ".join(f"(local.get {i})" for i in range(len(params)))
        lines.append(f'  (func (export "{name}") {decl} (result {result}) ({name} {gets}))')
    return "\n".join(lines) + ")"


@pytest.fixture(scope="module")
def exports():
    eng = Engine()
    store = Store(eng)
    module = Module(eng, _script_module())
    return store, Linker(eng).instantiate(store, module).exports(store)


# A few of the proposal script's assertions.
ASSERTIONS = [
    ("f64.sqrt_ceil", ("0x1.fffffffffffffp1023",), "0x1p512"),
    ("f32.convert_ceil_i32_s", (16777217,), "0x1.000002p24"),
    ("f64.convert_ceil_i64_u", (-1025,), "0x1p64"),
    ("f64.add_floor", ("-0x1.39dee72a8b9f5p527", "-0x1.fffffffffffffp1023"), "-inf"),
    ("f32.mul_trunc", ("0x1p-149", "-0x1.84153ep-52"), "-0x0p+0"),
    ("f32.sub_ceil", ("0x1p-149", "-0x1.fffffep0"), "0x1p1"),
    ("f32.demote_ceil_f64", ("0x1.fffffcp-1052",), "0x1p-149"),
    ("f32.demote_trunc_f64", ("-0x1.fffffffffffffp1023",), "-0x1.fffffep127"),
    ("f64.div_trunc", ("0x1.3ec7a13ca219bp809", "0x1p-1074"), "0x1.fffffffffffffp1023"),
    ("f32.convert_floor_i64_u", (-2241774542048937483,), "0x1.c1c73ap63"),
]


@pytest.mark.parametrize("name, args, want", ASSERTIONS)
def test_compiled_instructions(exports, name, args, want) -> None:
    store, ex = exports
    result = ex[name](store, *(float.fromhex(a) if isinstance(a, str) else a for a in args))
    tobits = f32_to_bits if name.startswith("f32") else f64_to_bits
    assert tobits(result) == tobits(float.fromhex(want))


def test_every_instruction_runs_compiled(exports) -> None:
    """Each of the 60 exports computes what its helper computes."""
    store, ex = exports
    rng = random.Random("rounding:compiled")
    for op in _rounding_ops():
        name = op.text
        params = re.search(r"_(i32|i64|f32|f64)(?:_[su])?$", name.split(".")[1])
        ptype = params.group(1) if params else name[:3]
        arity = 1 if params or "sqrt" in name else 2
        for _ in range(20):
            if ptype[0] == "i":
                args = [rng.getrandbits(int(ptype[1:]))]
                host = [a - (1 << int(ptype[1:])) if a >> (int(ptype[1:]) - 1) else a for a in args]
            else:
                fmt = F32 if ptype == "f32" else F64
                host = [fmt.frombits(random_bits(fmt, rng)) for _ in range(arity)]
                args = host
            template = SCALAR_OPS[op].format(*(f"x{i}" for i in range(arity)))
            want = eval(template, dict(HELPERS), {f"x{i}": a for i, a in enumerate(args)})  # noqa: S307
            got = ex[name](store, *host)
            tobits = f32_to_bits if name.startswith("f32") else f64_to_bits
            assert tobits(got) == tobits(want), name


def test_binary_form_and_validation() -> None:
    wasm = parse_module("(module (func (param f64 f64) (result f64) "
                        "(f64.mul_floor (local.get 0) (local.get 1))))")
    assert b"\xfc\x9c\x01" in wasm  # 0xFC then the subopcode as a LEB128 u32
    module = decode_module(wasm)
    assert module.funcs[0].body[2] == (Op.F64_MUL_FLOOR,)
    validate_module(module)
    bad = decode_module(parse_module("(module (func (param f32 f64) (result f64) "
                                     "(f64.mul_floor (local.get 0) (local.get 1))))"))
    with pytest.raises(InvalidError):
        validate_module(bad)


def test_switch_off() -> None:
    """Without the proposal the instructions are not part of the language."""
    wasm = parse_module("(module (func (param f32) (result f32) (f32.sqrt_trunc (local.get 0))))")
    features = set(Engine().config.features) - {"rounding-mode-control"}
    with pytest.raises((MalformedError, InvalidError)):
        validate_module(decode_module(wasm, frozenset(features)), frozenset(features))
