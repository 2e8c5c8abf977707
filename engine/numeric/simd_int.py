"""Integer lane arithmetic on the 128-bit int representation.

Most operations are SWAR (SIMD within a register) expressions on the whole
128-bit int, exact by construction:

* add: add the lanes without their top bits (no carry can leave a lane),
  then put the top bits back with xor;
* sub: set every top bit of the minuend and clear the subtrahend's (no
  borrow can leave a lane), then fix the top bits with xor;
* "lane is zero": ``((x & LOW) + LOW) | x`` has the top bit of a lane set
  exactly when the lane is nonzero;
* unsigned/signed "less than": the borrow out of each lane's subtraction,
  ``(~a & b) | ~((a ^ b) | d)`` (``a & ~b`` for signed) at the top bit, where
  ``d`` is the top-bit-free difference above;
* complements are written as xor with the top bits (or all ones): ``~x``
  makes a negative int, and CPython's bitwise ops on negative ints are
  about 20% slower;
* a top bit per lane becomes a full-lane mask by ``(bits >> (w-1)) * LANE``
  (each lane multiplies 0 or 1, so nothing carries across lanes);
* bitmask gathers the lanes' top bits with one multiplication whose partial
  products never collide.

The rest (multiplications by lane, narrowing, widening, dot products) splits
the vector into lanes with ``struct``, in a generated helper or in an inline
chain of C calls. Templates follow the scalar rules: operands are atoms, the
template is parenthesised or a call.
"""

from __future__ import annotations

import struct

from ..syntax.opcodes import Op
from .simd_bits import (
    HALF_S,
    HALF_U,
    LANES_S,
    LANES_U,
    LE,
    M128,
    SHAPES,
    Shape,
    from_bytes,
    to_bytes,
)
from .simd_template import define, lanes, names, shaped

OPS: dict[Op, str] = {}
HELPERS: dict[str, object] = {}

_NS: dict[str, object] = {
    "from_bytes": from_bytes,
    "_SIGN_BYTES": bytes(0xFF if b & 0x80 else 0 for b in range(256)),
    "_ZERO16": bytes(16),
    "_StructError": struct.error,
}


def _helper(name: str, source: str) -> str:
    """Define helper ``name`` and register it; returns the name."""
    HELPERS[name] = define(name, source, _NS)
    return name


# -- bitwise -------------------------------------------------------------------

OPS.update({
    Op.V128_NOT: f"({{0}} ^ {hex(M128)})",
    Op.V128_AND: "({0} & {1})",
    Op.V128_ANDNOT: "(({0} | {1}) ^ {1})",
    Op.V128_OR: "({0} | {1})",
    Op.V128_XOR: "({0} ^ {1})",
    # bits of {0} where {2} is set, of {1} elsewhere
    Op.V128_BITSELECT: "((({0} ^ {1}) & {2}) ^ {1})",
    Op.V128_ANY_TRUE: "({0} != 0)",
})


# -- SWAR building blocks (templates over tokens, see simd_template) ------------

_ADD = "((({0} & LOW) + ({1} & LOW)) ^ (({0} ^ {1}) & MSB))"
_SUB = "((({0} | MSB) - ({1} & LOW)) ^ ((({0} ^ {1}) & MSB) ^ MSB))"
_NEG = "((MSB - ({0} & LOW)) ^ (({0} & MSB) ^ MSB))"
# Negative lanes: complement, then add one (which cannot leave the lane).
_ABS = "(({0} ^ ((({0} & MSB) >> W1) * LANE)) + (({0} & MSB) >> W1))"
# ceil((a + b) / 2) = (a | b) - floor((a ^ b) / 2), never borrowing.
_AVGR = "(({0} | {1}) - ((({0} ^ {1}) >> 1) & LOW))"
# %X, %A, %B, %D: sub-expressions, substituted by _sub.
_NONZERO_BITS = "((((%X & LOW) + LOW) | %X) & MSB)"
_DIFF = "((%A | MSB) - (%B & LOW))"  # top bit per lane: low bits of A >= those of B
_LTU_BITS = "((((%A ^ MSB) & %B) | (((%A ^ %B) | %D) ^ MSB)) & MSB)"
_LTS_BITS = "(((%A & (%B ^ MSB)) | (((%A ^ %B) | %D) ^ MSB)) & MSB)"


def _sub(template: str, **parts: str) -> str:
    """Replace the ``%NAME`` markers of ``template``."""
    for key, value in parts.items():
        template = template.replace("%" + key, value)
    return template


def _expand(bits: str) -> str:
    """A top bit per lane -> the full lane."""
    return f"(({bits} >> W1) * LANE)"


def _lt_bits(a: str, b: str, signed: bool) -> str:
    """Top-bit-per-lane template of ``a < b``."""
    d = _sub(_DIFF, A=a, B=b)
    return _sub(_LTS_BITS if signed else _LTU_BITS, D=d, A=a, B=b)


def _compares(shape: Shape, signed_only: bool) -> dict[str, str]:
    x = "({0} ^ {1})"
    ne = _sub(_NONZERO_BITS, X=x)
    out = {
        "EQ": _expand(f"({ne} ^ MSB)"),
        "NE": _expand(ne),
    }
    for sx in ("S",) if signed_only else ("S", "U"):
        s = sx == "S"
        out[f"LT_{sx}"] = _expand(_lt_bits("{0}", "{1}", s))
        out[f"GT_{sx}"] = _expand(_lt_bits("{1}", "{0}", s))
        out[f"LE_{sx}"] = _expand(f"({_lt_bits('{1}', '{0}', s)} ^ MSB)")
        out[f"GE_{sx}"] = _expand(f"({_lt_bits('{0}', '{1}', s)} ^ MSB)")
    return {k: shaped(v, shape) for k, v in out.items()}


def _min_max(shape: Shape) -> dict[str, str]:
    out = {}
    for sx in ("S", "U"):
        lt = _expand(_lt_bits("{0}", "{1}", sx == "S"))
        out[f"MIN_{sx}"] = f"({{1}} ^ (({{0}} ^ {{1}}) & {lt}))"
        out[f"MAX_{sx}"] = f"({{0}} ^ (({{0}} ^ {{1}}) & {lt}))"
    return {k: shaped(v, shape) for k, v in out.items()}


# -- shifts: the count is taken modulo the lane width ------------------------------

def _shift_tables(shape: Shape) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """(keep-after-shl, keep-after-shr, sign fill) masks per shift count."""
    w = shape.width
    shl = tuple(shape.fill((shape.lane << k) & shape.lane) for k in range(w))
    shr = tuple(shape.fill(shape.lane >> k) for k in range(w))
    fill = tuple(shape.lane ^ (shape.lane >> k) for k in range(w))
    return shl, shr, fill


def _shifts(shape: Shape) -> dict[str, str]:
    w = shape.width
    shl, shr, fill = _shift_tables(shape)
    HELPERS[f"v_shl{w}"] = shl
    HELPERS[f"v_shr{w}"] = shr
    HELPERS[f"v_sfill{w}"] = fill
    k = "({1} & W1)"
    shr_u = f"(({{0}} >> {k}) & v_shr{w}[{k}])"
    return {k_: shaped(v, shape) for k_, v in {
        "SHL": f"(({{0}} << {k}) & v_shl{w}[{k}])",
        "SHR_U": shr_u,
        # a negative lane gets the top `count` bits of the lane set
        "SHR_S": f"({shr_u} | ((({{0}} & MSB) >> W1) * v_sfill{w}[{k}]))",
    }.items()}


# -- all_true and bitmask -------------------------------------------------------

def _bitmask(shape: Shape) -> str:
    w, n = shape.width, shape.count
    if w == 64:
        return "((({0} >> 63) & 1) | (({0} >> 126) & 2))"
    if w == 8:
        # Pair the 16 top bits into 2-bit groups 16 bits apart, then gather
        # the 8 groups: group j moves from bit 16j to bit 98 + 2j.
        even = sum(1 << (16 * j) for j in range(8))
        mul = sum(1 << (98 - 14 * j) for j in range(8))
        return (f"((((({{0}} >> 7) & {hex(even)}) | (({{0}} >> 14) & {hex(even << 1)})) "
                f"* {hex(mul)} >> 98) & 0xffff)")
    # Top bit of lane j (moved to bit w*j) goes to bit top + j.
    top = (w - 1) * (n - 1)
    mul = sum(1 << (top - (w - 1) * j) for j in range(n))
    return f"(((({{0}} >> {w - 1}) & {hex(shape.lsb)}) * {hex(mul)} >> {top}) & {hex((1 << n) - 1)})"


# -- multiplication ---------------------------------------------------------------

def _mul32() -> str:
    parts = []
    for j in range(4):
        s = 32 * j
        if j == 0:
            parts.append("((({0} & 0xffffffff) * ({1} & 0xffffffff)) & 0xffffffff)")
        elif j == 3:
            parts.append("((({0} >> 96) * ({1} >> 96) & 0xffffffff) << 96)")
        else:
            parts.append(f"((((({{0}} >> {s}) & 0xffffffff) * (({{1}} >> {s}) & 0xffffffff)) "
                         f"& 0xffffffff) << {s})")
    return "(" + " | ".join(parts) + ")"


_MUL64 = ("(((({0} & 0xffffffffffffffff) * ({1} & 0xffffffffffffffff)) & 0xffffffffffffffff) "
          "| ((({0} >> 64) * ({1} >> 64) & 0xffffffffffffffff) << 64))")


def _lanewise_helper(name: str, width: int, expr: str) -> str:
    """Helper applying ``expr`` (over unsigned lanes ``a#``, ``b#``) to
    every lane; ``expr`` must give an unsigned lane value."""
    n = 128 // width
    src = dst = LANES_U[width]
    _NS[f"_in_{name}"] = src.unpack
    _NS[f"_out_{name}"] = dst.pack
    return _helper(name, f"""
def {name}(a, b):
    {names('a', n)} = _in_{name}(a.to_bytes(16, 'little'))
    {names('b', n)} = _in_{name}(b.to_bytes(16, 'little'))
    return from_bytes(_out_{name}({lanes(expr, n)}), 'little')
""")


# -- saturating add/sub (SWAR inside a helper, for the intermediate values) --------

def _saturating(shape: Shape) -> dict[str, str]:
    w = shape.width
    t = {k: shaped(v, shape) for k, v in {
        "add": _ADD.format("a", "b"), "sub": _SUB.format("a", "b"),
        "expand_c": _expand("c"), "expand_o": _expand("o"),
        "sat": f"(LOW ^ {_expand('(a & MSB)')})",
    }.items()}
    msb = hex(shape.msb)
    out = {}
    out["ADD_SAT_U"] = _helper(f"v_i{w}_add_sat_u", f"""
def v_i{w}_add_sat_u(a, b):
    s = {t['add']}
    c = ((a & b) | ((a | b) & (s ^ {msb}))) & {msb}
    return s | {t['expand_c']} if c else s
""")
    out["SUB_SAT_U"] = _helper(f"v_i{w}_sub_sat_u", f"""
def v_i{w}_sub_sat_u(a, b):
    s = {t['sub']}
    c = (((a ^ {msb}) & b) | ((a ^ b ^ {msb}) & s)) & {msb}
    return s ^ (s & {t['expand_c']}) if c else s
""")
    # Overflow: the operands' signs agree (add) / differ (sub) and the
    # result's sign differs from a's; the lane saturates toward a's sign.
    out["ADD_SAT_S"] = _helper(f"v_i{w}_add_sat_s", f"""
def v_i{w}_add_sat_s(a, b):
    s = {t['add']}
    o = (a ^ b ^ {msb}) & (a ^ s) & {msb}
    if not o:
        return s
    m = {t['expand_o']}
    return s ^ ((s ^ {t['sat']}) & m)
""")
    out["SUB_SAT_S"] = _helper(f"v_i{w}_sub_sat_s", f"""
def v_i{w}_sub_sat_s(a, b):
    s = {t['sub']}
    o = (a ^ b) & (a ^ s) & {msb}
    if not o:
        return s
    m = {t['expand_o']}
    return s ^ ((s ^ {t['sat']}) & m)
""")
    return {k: f"{v}({{0}}, {{1}})" for k, v in out.items()}


# -- narrowing, widening, pairwise and dot products ----------------------------------

def _clamp(x: str, lo: int, hi: int) -> str:
    return f"({x} if {lo} <= {x} <= {hi} else {lo} if {x} < {lo} else {hi})"


def _narrow(src_width: int, signed: bool) -> str:
    dst = src_width // 2
    n = 128 // src_width
    lo, hi = (-(1 << (dst - 1)), (1 << (dst - 1)) - 1) if signed else (0, (1 << dst) - 1)
    name = f"v_i{dst}x{2 * n}_narrow_{'s' if signed else 'u'}"
    clamp = f"_clamp_{name}"
    _NS[f"_in_{name}"] = LANES_S[src_width].unpack
    _NS[f"_out_{name}"] = (LANES_S if signed else LANES_U)[dst].pack
    define(clamp, f"""
def {clamp}(a, b):
    {names('a', n)} = _in_{name}(a.to_bytes(16, 'little'))
    {names('b', n)} = _in_{name}(b.to_bytes(16, 'little'))
    return from_bytes(_out_{name}({lanes(_clamp('a#', lo, hi), n)}, {lanes(_clamp('b#', lo, hi), n)}), 'little')
""", _NS)
    if src_width == 32:
        HELPERS[name] = _NS[clamp]
        return f"{name}({{0}}, {{1}})"
    # i16 -> i8: when no lane saturates, the result is the lanes' low bytes
    # (every other byte), and a lane fits exactly when its high byte is the
    # sign extension of its low byte (signed) or zero (unsigned).
    fits = "hi == lo.translate(_SIGN_BYTES)" if signed else "hi == _ZERO16"
    _helper(name, f"""
def {name}(a, b):
    x = a.to_bytes(16, 'little')
    y = b.to_bytes(16, 'little')
    lo = x[::2] + y[::2]
    hi = x[1::2] + y[1::2]
    if {fits}:
        return from_bytes(lo, 'little')
    return {clamp}(a, b)
""")
    return f"{name}({{0}}, {{1}})"


def _extend(src_width: int, high: bool, signed: bool) -> str:
    """Template of ``iN.extend_{low,high}_iMxK_{s,u}``.

    Few lanes (i32 -> i64, and unsigned i16 -> i32) move one by one with a
    mask and a shift, and a negative i32 lane gets its upper half filled;
    the others go through ``struct`` (unpack the half with the source lane
    type, pack with the destination's), which is faster for 4+ lanes."""
    dst = 2 * src_width
    n = 64 // src_width
    base = 64 if high else 0
    if src_width == 32 or (src_width == 16 and not signed):
        parts = []
        for j in range(n):
            at = base + src_width * j
            shift = dst * j  # the field below is already at bit 0
            mask = hex((1 << src_width) - 1)
            if at + src_width == 128:
                field = f"({{0}} >> {at})"
            else:
                field = f"(({{0}} >> {at}) & {mask})" if at else f"({{0}} & {mask})"
            parts.append(f"({field} << {shift})" if shift > 0 else field)
            if signed:
                fill = ((1 << src_width) - 1) << (dst * j + src_width)
                parts.append(f"((({{0}} >> {at + src_width - 1}) & 1) * {hex(fill)})")
        return "(" + " | ".join(parts) + ")"
    sx = "s" if signed else "u"
    unpack, pack = f"v_half{src_width}{sx}_from", f"v_lanes{dst}{sx}_pack"
    HELPERS[unpack] = (HALF_S if signed else HALF_U)[src_width].unpack_from
    HELPERS[pack] = (LANES_S if signed else LANES_U)[dst].pack
    return f"v_from_bytes({pack}(*{unpack}(v_to_bytes({{0}}, 16, v_le), {8 if high else 0})), v_le)"


def _extmul(src_width: int, high: bool, signed: bool) -> str:
    dst = 2 * src_width
    n = 64 // src_width
    name = f"v_i{dst}_extmul_{'high' if high else 'low'}_{'s' if signed else 'u'}"
    _NS[f"_in_{name}"] = (HALF_S if signed else HALF_U)[src_width].unpack_from
    _NS[f"_out_{name}"] = (LANES_S if signed else LANES_U)[dst].pack
    off = 8 if high else 0
    _helper(name, f"""
def {name}(a, b):
    {names('a', n)} = _in_{name}(a.to_bytes(16, 'little'), {off})
    {names('b', n)} = _in_{name}(b.to_bytes(16, 'little'), {off})
    return from_bytes(_out_{name}({lanes('a# * b#', n)}), 'little')
""")
    return f"{name}({{0}}, {{1}})"


def _extadd_pairwise(src: Shape, signed: bool) -> str:
    w = src.width
    dst = Shape.of(2 * w)
    even = dst.fill(src.lane)  # the low source lane of every destination lane
    if not signed:
        return f"((({{0}} & {hex(even)}) + (({{0}} >> {w}) & {hex(even)})))"
    # Bias both lanes by 2**(w-1) (flip their sign bits) so the sum t is
    # unsigned, in [0, 2**(w+1) - 2]; the signed sum is t - 2**w modulo
    # 2**(2w): flip bit w, and if t < 2**w, also set every bit above it.
    bit = dst.fill(1 << w)
    name = f"v_i{2 * w}_extadd_pairwise_s"
    _helper(name, f"""
def {name}(v):
    v ^= {hex(src.msb)}
    u = ((v & {hex(even)}) + ((v >> {w}) & {hex(even)})) ^ {hex(bit)}
    return u | ((u & {hex(bit)}) * {hex((dst.lane >> w) - 1)})
""")
    return f"{name}({{0}})"


def _dot_source() -> str:
    terms = ", ".join(f"(a{2 * j} * b{2 * j} + a{2 * j + 1} * b{2 * j + 1}) & 0xffffffff" for j in range(4))
    return f"""
def v_i32x4_dot_i16x8_s(a, b):
    {names('a', 8)} = _in_dot(a.to_bytes(16, 'little'))
    {names('b', 8)} = _in_dot(b.to_bytes(16, 'little'))
    return from_bytes(_out_dot({terms}), 'little')
"""


def _q15mulr() -> str:
    name = "v_i16x8_q15mulr_sat_s"
    _NS["_lanes_i16"] = LANES_S[16]
    # Only -32768 * -32768 overflows: (2**30 + 2**14) >> 15 == 2**15, which
    # the i16 packing refuses; that rare case takes the saturating path.
    fast = "(a# * b# + 0x4000) >> 15"
    slow = "((a# * b# + 0x4000) >> 15 if a# * b# != 0x40000000 else 0x7fff)"
    _helper(name, f"""
def {name}(a, b):
    {names('a', 8)} = _lanes_i16.unpack(a.to_bytes(16, 'little'))
    {names('b', 8)} = _lanes_i16.unpack(b.to_bytes(16, 'little'))
    try:
        return from_bytes(_lanes_i16.pack({lanes(fast, 8)}), 'little')
    except _StructError:
        return from_bytes(_lanes_i16.pack({lanes(slow, 8)}), 'little')
""")
    return f"{name}({{0}}, {{1}})"


def _relaxed_dot() -> tuple[str, str]:
    """i16x8.relaxed_dot_i8x16_i7x16_s and i32x4.relaxed_dot_i8x16_i7x16_add_s,
    both with signed second operands (the deterministic profile's choice)."""
    _NS["_lanes_i8"] = LANES_S[8]
    _NS["_lanes_i16"] = LANES_S[16]
    _NS["_lanes_u32"] = LANES_U[32]
    # Pairwise sums; only (-128)(-128) + (-128)(-128) = 32768 exceeds the
    # i16 range, and it saturates to 32767.
    sums = "; ".join(f"p{i} = a{2 * i} * b{2 * i} + a{2 * i + 1} * b{2 * i + 1}" for i in range(8))
    p = names("p", 8)
    _helper("v_i16x8_relaxed_dot_s", f"""
def v_i16x8_relaxed_dot_s(a, b):
    {names('a', 16)} = _lanes_i8.unpack(a.to_bytes(16, 'little'))
    {names('b', 16)} = _lanes_i8.unpack(b.to_bytes(16, 'little'))
    {sums}
    if 0x8000 in ({p}):
        {p} = {lanes('(p# if p# != 0x8000 else 0x7fff)', 8)}
    return from_bytes(_lanes_i16.pack({p}), 'little')
""")
    _helper("v_i32x4_relaxed_dot_add_s", f"""
def v_i32x4_relaxed_dot_add_s(a, b, c):
    {names('a', 16)} = _lanes_i8.unpack(a.to_bytes(16, 'little'))
    {names('b', 16)} = _lanes_i8.unpack(b.to_bytes(16, 'little'))
    {names('c', 4)} = _lanes_u32.unpack(c.to_bytes(16, 'little'))
    {sums}
    if 0x8000 in ({p}):
        {p} = {lanes('(p# if p# != 0x8000 else 0x7fff)', 8)}
    return from_bytes(_lanes_u32.pack({", ".join(f"(p{2 * j} + p{2 * j + 1} + c{j}) & 0xffffffff" for j in range(4))}), 'little')
""")
    return "v_i16x8_relaxed_dot_s({0}, {1})", "v_i32x4_relaxed_dot_add_s({0}, {1}, {2})"


# -- the table ---------------------------------------------------------------------

def _build() -> None:
    for w, shape in SHAPES.items():
        p = f"I{w}X{128 // w}_"
        ops: dict[str, str] = {
            "ADD": shaped(_ADD, shape),
            "SUB": shaped(_SUB, shape),
            "NEG": shaped(_NEG, shape),
            "ABS": shaped(_ABS, shape),
            "ALL_TRUE": shaped(f"({_sub(_NONZERO_BITS, X='{0}')} == MSB)", shape),
            "BITMASK": _bitmask(shape),
        }
        ops.update(_compares(shape, signed_only=w == 64))
        ops.update(_shifts(shape))
        if w <= 32:
            ops.update(_min_max(shape))
        if w <= 16:
            ops["AVGR_U"] = shaped(_AVGR, shape)
            ops.update(_saturating(shape))
        for name, template in ops.items():
            OPS[Op[p + name]] = template

    OPS[Op.I16X8_MUL] = _lanewise_helper("v_i16x8_mul", 16, "(a# * b#) & 0xffff") + "({0}, {1})"
    OPS[Op.I32X4_MUL] = _mul32()
    OPS[Op.I64X2_MUL] = _MUL64

    HELPERS["v_popcnt8"] = bytes(bin(b).count("1") for b in range(256))
    HELPERS["v_from_bytes"] = from_bytes
    HELPERS["v_to_bytes"] = to_bytes
    HELPERS["v_le"] = LE
    OPS[Op.I8X16_POPCNT] = "v_from_bytes(v_to_bytes({0}, 16, v_le).translate(v_popcnt8), v_le)"

    for src in (16, 32):
        dst = src // 2
        p = f"I{dst}X{128 // dst}_NARROW_I{src}X{128 // src}_"
        OPS[Op[p + "S"]] = _narrow(src, True)
        OPS[Op[p + "U"]] = _narrow(src, False)
    for src in (8, 16, 32):
        dst = 2 * src
        pre = f"I{dst}X{128 // dst}_"
        suf = f"_I{src}X{128 // src}"
        for half in ("LOW", "HIGH"):
            for sx in ("S", "U"):
                OPS[Op[f"{pre}EXTEND_{half}{suf}_{sx}"]] = _extend(src, half == "HIGH", sx == "S")
                OPS[Op[f"{pre}EXTMUL_{half}{suf}_{sx}"]] = _extmul(src, half == "HIGH", sx == "S")
    for src in (8, 16):
        dst = 2 * src
        pre = f"I{dst}X{128 // dst}_EXTADD_PAIRWISE_I{src}X{128 // src}_"
        OPS[Op[pre + "S"]] = _extadd_pairwise(SHAPES[src], True)
        OPS[Op[pre + "U"]] = _extadd_pairwise(SHAPES[src], False)

    _NS["_in_dot"] = LANES_S[16].unpack
    _NS["_out_dot"] = LANES_U[32].pack
    _helper("v_i32x4_dot_i16x8_s", _dot_source())
    OPS[Op.I32X4_DOT_I16X8_S] = "v_i32x4_dot_i16x8_s({0}, {1})"
    q15 = _q15mulr()
    OPS[Op.I16X8_Q15MULR_SAT_S] = q15

    # Relaxed SIMD, deterministic-profile choices (see engine.numeric.simd).
    OPS[Op.I16X8_RELAXED_Q15MULR_S] = q15
    dot, dot_add = _relaxed_dot()
    OPS[Op.I16X8_RELAXED_DOT_I8X16_I7X16_S] = dot
    OPS[Op.I32X4_RELAXED_DOT_I8X16_I7X16_ADD_S] = dot_add
    for w in (8, 16, 32, 64):
        OPS[Op[f"I{w}X{128 // w}_RELAXED_LANESELECT"]] = OPS[Op.V128_BITSELECT]


_build()
