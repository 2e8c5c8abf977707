"""Float lane operations (f32x4, f64x2) and the conversions between shapes.

Arithmetic unpacks the lanes with ``struct`` into Python floats, computes
each lane with the same rules as the scalar ops, and packs the results. For
f32 lanes the operation is computed in double and rounded once to f32 by the
packing (a C cast): correctly rounded for ``+ - * / sqrt`` since binary64 has
more than ``2 * 24 + 2`` bits. Unpacking f32 lanes quiets signalling NaNs;
every operation that goes through floats is one whose NaN results the spec
only constrains to canonical/arithmetic, so that is harmless. Operations that
must keep bits exactly never go through floats:

* ``abs``/``neg`` flip or clear the sign bits of the int;
* ``pmin``/``pmax`` compare floats but *select* the operands' bits by mask.

The lane rules of ceil/floor/trunc/nearest and of the saturating truncations
are the scalar templates themselves (:data:`engine.numeric.SCALAR_OPS`),
written out once per lane in generated helpers, so vector and scalar agree by
construction.
"""

from __future__ import annotations

import math

from ..syntax.opcodes import Op
from . import floatbits, floatops
from .scalar import HELPERS as SCALAR_HELPERS
from .scalar import SCALAR_OPS
from .simd_bits import F32X4, F64X2, LANES_S, LANES_U, LE, from_bytes, lane_masks, pack4f, to_bytes
from .simd_template import define, lanes, names

OPS: dict[Op, str] = {}
HELPERS: dict[str, object] = {}

_NS: dict[str, object] = dict(SCALAR_HELPERS)
_NS.update({
    "from_bytes": from_bytes, "to_bytes": to_bytes, "LE": LE,
    "unpack4f": F32X4.unpack, "pack4f": pack4f,
    "unpack2d": F64X2.unpack, "pack2d": F64X2.pack,
    "unpack4i": LANES_S[32].unpack, "unpack4u": LANES_U[32].unpack, "pack4u": LANES_U[32].pack,
    "MASK4": lane_masks(4), "MASK2": lane_masks(2),
    "_fmin_tie": floatops.fmin_tie, "_fmax_tie": floatops.fmax_tie, "_fdiv_zero": floatops.fdiv_zero,
    "_sqrt": math.sqrt, "_nan": floatbits.CANONICAL_NAN,
})

_SIGN32 = 0x80000000_80000000_80000000_80000000
_SIGN64 = 0x80000000_00000000_80000000_00000000
_M128 = (1 << 128) - 1

# f32x4 / f64x2: (lane count, unpack, pack).
_F = {32: (4, "unpack4f", "pack4f"), 64: (2, "unpack2d", "pack2d")}


def _helper(name: str, source: str) -> str:
    HELPERS[name] = define(name, source, _NS)
    return name


def _unpack(var: str, width: int, arg: str) -> str:
    n, unpack, _ = _F[width]
    return f"    {names(var, n)} = {unpack}({arg}.to_bytes(16, 'little'))\n"


def _binary(name: str, width: int, expr: str) -> str:
    """Helper over two float vectors; ``expr`` uses lanes ``a#`` and ``b#``."""
    n, _, pack = _F[width]
    _helper(name, f"def {name}(a, b):\n" + _unpack("a", width, "a") + _unpack("b", width, "b")
            + f"    return from_bytes({pack}({lanes(expr, n)}), 'little')\n")
    return f"{name}({{0}}, {{1}})"


def _unary(name: str, width: int, expr: str) -> str:
    """Helper over one float vector; ``expr`` uses lane ``a#``."""
    n, _, pack = _F[width]
    _helper(name, f"def {name}(v):\n" + _unpack("a", width, "v")
            + f"    return from_bytes({pack}({lanes(expr, n)}), 'little')\n")
    return f"{name}({{0}})"


def _compare(name: str, width: int, op: str) -> str:
    """Lane mask of ``a# op b#``: the lane booleans index a table of masks."""
    n = _F[width][0]
    index = " | ".join(f"((a{i} {op} b{i}) << {i})" for i in range(n))
    _helper(name, f"def {name}(a, b):\n" + _unpack("a", width, "a") + _unpack("b", width, "b")
            + f"    return MASK{n}[{index}]\n")
    return f"{name}({{0}}, {{1}})"


def _select(name: str, width: int, op: str) -> str:
    """pmin/pmax: ``b`` where ``b# op a#`` holds, else ``a``, bit-exactly
    (the result is an operand, signalling NaNs included)."""
    n = _F[width][0]
    index = " | ".join(f"((b{i} {op} a{i}) << {i})" for i in range(n))
    _helper(name, f"def {name}(a, b):\n" + _unpack("a", width, "a") + _unpack("b", width, "b")
            + f"    return a ^ ((a ^ b) & MASK{n}[{index}])\n")
    return f"{name}({{0}}, {{1}})"


def _scalar_lane(op: Op, var: str = "a#") -> str:
    """The scalar template of ``op`` applied to lane ``var``."""
    return SCALAR_OPS[op].format(var)


_MIN = "(a# if a# < b# else b# if b# < a# else _fmin_tie(a#, b#))"
_MAX = "(a# if a# > b# else b# if b# > a# else _fmax_tie(a#, b#))"
# A zero divisor would raise; the helper gives the IEEE quotient.
_DIV = "(a# / b# if b# else _fdiv_zero(a#, b#))"
# A negative operand or a NaN: adding the canonical NaN gives the operand's
# NaN quieted, or the canonical NaN.
_SQRT = "(_sqrt(a#) if a# >= 0.0 else a# + _nan)"


def _build() -> None:
    for width in (32, 64):
        p = f"F{width}X{128 // width}_"
        f = f"f{width}x{128 // width}"
        sign = _SIGN32 if width == 32 else _SIGN64
        ops = {
            "ABS": f"({{0}} & {hex(_M128 ^ sign)})",
            "NEG": f"({{0}} ^ {hex(sign)})",
            "ADD": _binary(f"v_{f}_add", width, "a# + b#"),
            "SUB": _binary(f"v_{f}_sub", width, "a# - b#"),
            "MUL": _binary(f"v_{f}_mul", width, "a# * b#"),
            "DIV": _binary(f"v_{f}_div", width, _DIV),
            "MIN": _binary(f"v_{f}_min", width, _MIN),
            "MAX": _binary(f"v_{f}_max", width, _MAX),
            # pmin(a, b) = b < a ? b : a; pmax(a, b) = a < b ? b : a
            "PMIN": _select(f"v_{f}_pmin", width, "<"),
            "PMAX": _select(f"v_{f}_pmax", width, ">"),
            "SQRT": _unary(f"v_{f}_sqrt", width, _SQRT),
            # The f64 rules round a double to an integral double; for an f32
            # value the result is an f32 value too, so the same rule serves.
            "CEIL": _unary(f"v_{f}_ceil", width, _scalar_lane(Op.F64_CEIL)),
            "FLOOR": _unary(f"v_{f}_floor", width, _scalar_lane(Op.F64_FLOOR)),
            "TRUNC": _unary(f"v_{f}_trunc", width, _scalar_lane(Op.F64_TRUNC)),
            "NEAREST": _unary(f"v_{f}_nearest", width, _scalar_lane(Op.F64_NEAREST)),
        }
        for cmp, op in (("EQ", "=="), ("NE", "!="), ("LT", "<"), ("GT", ">"), ("LE", "<="), ("GE", ">=")):
            ops[cmp] = _compare(f"v_{f}_{cmp.lower()}", width, op)
        for name, template in ops.items():
            OPS[Op[p + name]] = template
        # Relaxed min/max: the deterministic profile's choice, min/max.
        OPS[Op[p + "RELAXED_MIN"]] = ops["MIN"]
        OPS[Op[p + "RELAXED_MAX"]] = ops["MAX"]

    # Relaxed multiply-add: the unfused choice, fadd(fmul(a, b), c), with the
    # product rounded to the lane type before the addition.
    _helper("v_f32x4_relaxed_madd", "def v_f32x4_relaxed_madd(a, b, c):\n"
            + _unpack("a", 32, "a") + _unpack("b", 32, "b") + _unpack("c", 32, "c")
            + f"    {names('p', 4)} = unpack4f(pack4f({lanes('a# * b#', 4)}))\n"
            + f"    return from_bytes(pack4f({lanes('p# + c#', 4)}), 'little')\n")
    _helper("v_f32x4_relaxed_nmadd", "def v_f32x4_relaxed_nmadd(a, b, c):\n"
            + _unpack("a", 32, "a") + _unpack("b", 32, "b") + _unpack("c", 32, "c")
            + f"    {names('p', 4)} = unpack4f(pack4f({lanes('-a# * b#', 4)}))\n"
            + f"    return from_bytes(pack4f({lanes('p# + c#', 4)}), 'little')\n")
    # Python never fuses a * b + c: that is the unfused f64 result.
    _helper("v_f64x2_relaxed_madd", "def v_f64x2_relaxed_madd(a, b, c):\n"
            + _unpack("a", 64, "a") + _unpack("b", 64, "b") + _unpack("c", 64, "c")
            + f"    return from_bytes(pack2d({lanes('a# * b# + c#', 2)}), 'little')\n")
    _helper("v_f64x2_relaxed_nmadd", "def v_f64x2_relaxed_nmadd(a, b, c):\n"
            + _unpack("a", 64, "a") + _unpack("b", 64, "b") + _unpack("c", 64, "c")
            + f"    return from_bytes(pack2d({lanes('-a# * b# + c#', 2)}), 'little')\n")
    for f in ("f32x4", "f64x2"):
        for kind in ("madd", "nmadd"):
            OPS[Op[f"{f.upper()}_RELAXED_{kind.upper()}"]] = f"v_{f}_relaxed_{kind}({{0}}, {{1}}, {{2}})"

    _conversions()


def _conversions() -> None:
    # Integer -> float: float(int) is exact for 32-bit ints; the f32 packing
    # rounds once.
    for sx, unpack in (("s", "unpack4i"), ("u", "unpack4u")):
        name = f"v_f32x4_convert_i32x4_{sx}"
        _helper(name, f"def {name}(v):\n    {names('a', 4)} = {unpack}(v.to_bytes(16, 'little'))\n"
                      f"    return from_bytes(pack4f({lanes('float(a#)', 4)}), 'little')\n")
        OPS[Op[f"F32X4_CONVERT_I32X4_{sx.upper()}"]] = f"{name}({{0}})"
        name = f"v_f64x2_convert_low_i32x4_{sx}"
        _helper(name, f"def {name}(v):\n    a0, a1, _, _ = {unpack}(v.to_bytes(16, 'little'))\n"
                      f"    return from_bytes(pack2d(float(a0), float(a1)), 'little')\n")
        OPS[Op[f"F64X2_CONVERT_LOW_I32X4_{sx.upper()}"]] = f"{name}({{0}})"

    # Float -> integer, saturating: the scalar rule per lane.
    for sx in ("s", "u"):
        lane = _scalar_lane(Op[f"I32_TRUNC_SAT_F32_{sx.upper()}"])
        name = f"v_i32x4_trunc_sat_f32x4_{sx}"
        _helper(name, f"def {name}(v):\n" + _unpack("a", 32, "v")
                + f"    return from_bytes(pack4u({lanes(lane, 4)}), 'little')\n")
        OPS[Op[f"I32X4_TRUNC_SAT_F32X4_{sx.upper()}"]] = f"{name}({{0}})"
        OPS[Op[f"I32X4_RELAXED_TRUNC_F32X4_{sx.upper()}"]] = f"{name}({{0}})"
        lane = _scalar_lane(Op[f"I32_TRUNC_SAT_F64_{sx.upper()}"])
        name = f"v_i32x4_trunc_sat_f64x2_{sx}_zero"
        _helper(name, f"def {name}(v):\n" + _unpack("a", 64, "v")
                + f"    return {lane.replace('#', '0')} | ({lane.replace('#', '1')}) << 32\n")
        OPS[Op[f"I32X4_TRUNC_SAT_F64X2_{sx.upper()}_ZERO"]] = f"{name}({{0}})"
        OPS[Op[f"I32X4_RELAXED_TRUNC_F64X2_{sx.upper()}_ZERO"]] = f"{name}({{0}})"

    # Demote: x * 1.0 quiets a signalling NaN before the C cast (which keeps
    # the top payload bits, so a canonical NaN stays canonical).
    _helper("v_f32x4_demote_f64x2_zero", "def v_f32x4_demote_f64x2_zero(v):\n" + _unpack("a", 64, "v")
            + "    return from_bytes(pack4f(a0 * 1.0, a1 * 1.0, 0.0, 0.0), 'little')\n")
    OPS[Op.F32X4_DEMOTE_F64X2_ZERO] = "v_f32x4_demote_f64x2_zero({0})"
    # Promote: exact for numbers; x * 1.0 makes sure a signalling NaN comes
    # out quiet (whether or not unpacking already quieted it), keeping the
    # payload, so a canonical NaN stays canonical.
    _helper("v_f64x2_promote_low_f32x4", "def v_f64x2_promote_low_f32x4(v):\n" + _unpack("a", 32, "v")
            + "    return from_bytes(pack2d(a0 * 1.0, a1 * 1.0), 'little')\n")
    OPS[Op.F64X2_PROMOTE_LOW_F32X4] = "v_f64x2_promote_low_f32x4({0})"


_build()
