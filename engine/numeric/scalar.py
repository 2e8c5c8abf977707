"""Python expression templates for every scalar numeric instruction.

:data:`SCALAR_OPS` maps each numeric :class:`Op` to a template whose ``{0}``,
``{1}``, ... are the operands in Wasm order; :data:`HELPERS` holds every name
the templates use. The translator substitutes *atoms* (names, non-negative
literals, parenthesised expressions), so a template may repeat an operand;
each template is itself a call or is parenthesised, so it embeds anywhere.
f32/f64 operands must be Python floats (float literals are written with a
``.`` or an exponent); i32/i64 operands are ints or bools.

Between equivalent forms, the faster under ``timeit`` on CPython 3.11 was
chosen; the comments say why a form is correct or why it is faster.
"""

from __future__ import annotations

import math

from ..syntax.opcodes import Op
from . import convert, floatbits, floatops, intops, rounding

__all__ = ["SCALAR_OPS", "HELPERS"]

# Every double of magnitude >= 2**52 is an integer: rounding is the identity.
_INTEGRAL = "4503599627370496.0"


def _f32r(expr: str) -> str:
    """Round the double ``expr`` to f32 (see :mod:`engine.numeric.floatbits`)."""
    if floatbits.NATIVE_F32_CAST_OK:
        return "(f32_unpack(f32_pack(" + expr + "))[0])"
    return "f32_round(" + expr + ")"


def _int_ops(n: int) -> dict[str, str]:
    """Templates of the i32 or i64 operators, keyed by the part after ``iN_``."""
    mask = hex((1 << n) - 1)
    wrap = hex(1 << n)
    sign = hex(1 << (n - 1))
    smax = hex((1 << (n - 1)) - 1)
    k = f"({{1}} & {n - 1})"
    signed_lt = f"^ ({{0}} ^ {{1}} > {smax}))"
    return {
        # `not` is the cheapest test; bools are valid i32 values.
        "EQZ": "(not {0})",
        "EQ": "({0} == {1})",
        "NE": "({0} != {1})",
        "LT_U": "({0} < {1})",
        "GT_U": "({0} > {1})",
        "LE_U": "({0} <= {1})",
        "GE_U": "({0} >= {1})",
        # Signed order is unsigned order flipped when the sign bits differ;
        # faster than comparing two sign-flipped values.
        "LT_S": "(({0} < {1}) " + signed_lt,
        "GT_S": "(({0} > {1}) " + signed_lt,
        "LE_S": "(({0} <= {1}) " + signed_lt,
        "GE_S": "(({0} >= {1}) " + signed_lt,
        "CLZ": f"({n} - ({{0}}).bit_length())",
        # The lowest set bit; a zero operand counts as 2**n, i.e. ctz = n.
        "CTZ": f"(({{0}} & -{{0}} or {wrap}).bit_length() - 1)",
        "POPCNT": "(({0}).bit_count())",
        # `% 2**n` returns its operand without allocating when nothing wraps,
        # but divides when something does: compilers write `x - 1` as
        # `x + 0xFFFFFFFF`, so add wraps often and keeps the steady `&`;
        # sub is as fast or faster with `%` in both cases, mul with `&`.
        "ADD": f"(({{0}} + {{1}}) & {mask})",
        "SUB": f"(({{0}} - {{1}}) % {wrap})",
        "MUL": f"(({{0}} * {{1}}) & {mask})",
        # Non-negative operands divide the same signed and unsigned.
        "DIV_S": f"({{0}} // {{1}} if {{0}} < {sign} and 0 < {{1}} < {sign} "
                 f"else i{n}_div_s({{0}}, {{1}}))",
        # A zero divisor raises ZeroDivisionError, which the runtime maps to
        # the integer-divide-by-zero trap.
        "DIV_U": "({0} // {1})",
        "REM_S": f"({{0}} % {{1}} if {{0}} < {sign} and 0 < {{1}} < {sign} "
                 f"else i{n}_rem_s({{0}}, {{1}}))",
        "REM_U": "({0} % {1})",
        "AND": "({0} & {1})",
        "OR": "({0} | {1})",
        "XOR": "({0} ^ {1})",
        "SHL": f"(({{0}} << {k}) & {mask})",
        "SHR_S": f"(({{0}} >> {k}) | shr_s{n}_fill[{k}] if {{0}} >= {sign} "
                 f"else {{0}} >> {k})",
        "SHR_U": f"({{0}} >> {k})",
        # Rotating is shifting the operand concatenated with itself.
        "ROTL": f"((({{0}} * {hex((1 << n) + 1)}) >> ({n} - {k})) & {mask})",
        "ROTR": f"((({{0}} * {hex((1 << n) + 1)}) >> {k}) & {mask})",
        "EXTEND8_S": f"({{0}} | {hex(((1 << n) - 1) ^ 0xFF)} if {{0}} & 0x80 else {{0}} & 0x7f)",
        "EXTEND16_S": f"({{0}} | {hex(((1 << n) - 1) ^ 0xFFFF)} if {{0}} & 0x8000 "
                      f"else {{0}} & 0x7fff)",
    }


def _float_ops(n: int) -> dict[str, str]:
    """Templates of the f32 or f64 operators, keyed by the part after ``fN_``."""
    r = _f32r if n == 32 else (lambda e: "(" + e + ")")
    lim = _INTEGRAL
    return {
        "EQ": "({0} == {1})",
        "NE": "({0} != {1})",
        "LT": "({0} < {1})",
        "GT": "({0} > {1})",
        "LE": "({0} <= {1})",
        "GE": "({0} >= {1})",
        # Sign-bit operations: C fabs, negation and copysign keep payloads.
        "ABS": "fabs({0})",
        "NEG": "(-{0})",
        "COPYSIGN": "copysign({0}, {1})",
        # x // 1.0 is floor(x) as a float with the sign of zero kept; it is
        # wrong only for infinities and NaN, which (like every double of
        # magnitude >= 2**52) are their own rounding: x * 1.0 quiets a NaN.
        "FLOOR": f"({{0}} // 1.0 if -{lim} < {{0}} < {lim} else {{0}} * 1.0)",
        "CEIL": f"(-(-{{0}} // 1.0) if -{lim} < {{0}} < {lim} else {{0}} * 1.0)",
        "TRUNC": f"(({{0}} // 1.0 if {{0}} >= 0.0 else -(-{{0}} // 1.0)) "
                 f"if -{lim} < {{0}} < {lim} else {{0}} * 1.0)",
        # Adding 2**52 rounds to an integer, ties to even, in one operation.
        # |x| <= 0.5 rounds to a zero of x's sign.
        "NEAREST": f"({{0}} + {lim} - {lim} if 0.5 < {{0}} < {lim} "
                   f"else {{0}} - {lim} + {lim} if -{lim} < {{0}} < -0.5 "
                   f"else copysign(0.0, {{0}}) if -0.5 <= {{0}} <= 0.5 else {{0}} * 1.0)",
        # NaN or negative: adding the canonical NaN gives the operand's NaN
        # quieted, or the canonical NaN, as the spec allows.
        "SQRT": r("sqrt({0}) if {0} >= 0.0 else {0} + nan"),
        # binary64 has more than 2 * 24 + 2 bits, so rounding the double
        # result of + - * / sqrt to f32 is the correctly rounded f32 result.
        "ADD": r("{0} + {1}"),
        "SUB": r("{0} - {1}"),
        "MUL": r("{0} * {1}"),
        "DIV": "(" + r("{0} / {1}") + " if {1} else fdiv_zero({0}, {1}))",
        "MIN": "({0} if {0} < {1} else {1} if {1} < {0} else fmin_tie({0}, {1}))",
        "MAX": "({0} if {0} > {1} else {1} if {1} > {0} else fmax_tie({0}, {1}))",
    }


def _trunc(n: int, signed: bool, saturating: bool) -> str:
    """Template of iN.trunc[_sat]_fM_{s,u}: the in-range test is exact in
    double, so it is the same for f32 and f64 operands."""
    if signed:
        low = -(2.0 ** (n - 1))
        if n == 32:
            cond = f"{low - 1.0!r} < {{0}} < {-low!r}"
        else:
            # No double lies strictly between -2**63 - 1 and -2**63.
            cond = f"{low!r} <= {{0}} < {-low!r}"
        value = f"int_from_float({{0}}) & {hex((1 << n) - 1)}"
        edges = (hex(1 << (n - 1)), hex((1 << (n - 1)) - 1))
    else:
        cond = f"-1.0 < {{0}} < {2.0 ** n!r}"
        value = "int_from_float({0})"
        edges = ("0", hex((1 << n) - 1))
    if saturating:
        fallback = f"trunc_sat_edge({{0}}, {edges[0]}, {edges[1]})"
    else:
        fallback = "trunc_fail({0})"
    return f"({value} if {cond} else {fallback})"


def _conversions() -> dict[str, str]:
    ops: dict[str, str] = {
        "I32_WRAP_I64": "({0} & 0xffffffff)",
        "I64_EXTEND_I32_S": "({0} | 0xffffffff00000000 if {0} >= 0x80000000 else {0})",
        "I64_EXTEND_I32_U": "{0}",
        "I64_EXTEND32_S": "({0} | 0xffffffff00000000 if {0} & 0x80000000 else {0} & 0x7fffffff)",
        "F32_CONVERT_I32_S": _f32r("float_from_int(({0} ^ 0x80000000) - 0x80000000)"),
        "F32_CONVERT_I32_U": _f32r("float_from_int({0})"),
        # Below 2**53 the int -> double step is exact; above, the helper
        # avoids rounding twice.
        "F32_CONVERT_I64_S": "(" + _f32r("float_from_int({0})")
                             + " if {0} < 0x20000000000000 else f32_convert_i64_s({0}))",
        "F32_CONVERT_I64_U": "(" + _f32r("float_from_int({0})")
                             + " if {0} < 0x20000000000000 else f32_convert_i64_u({0}))",
        # x * 1.0 quiets a signalling NaN before the cast (which keeps the
        # top payload bits, so a canonical NaN stays canonical).
        "F32_DEMOTE_F64": _f32r("{0} * 1.0"),
        "F64_CONVERT_I32_S": "float_from_int(({0} ^ 0x80000000) - 0x80000000)",
        "F64_CONVERT_I32_U": "float_from_int({0})",
        "F64_CONVERT_I64_S": "float_from_int(({0} ^ 0x8000000000000000) - 0x8000000000000000)",
        "F64_CONVERT_I64_U": "float_from_int({0})",
        "F64_PROMOTE_F32": "({0} * 1.0)",
        # Only NaNs need the slow path (struct would quiet a signalling one
        # and cannot tell the payload of a NaN).
        "I32_REINTERPRET_F32": "(u32_unpack(f32_pack({0}))[0] if {0} == {0} else f32_to_bits({0}))",
        "F32_REINTERPRET_I32": "(f32_unpack(u32_pack({0}))[0] if {0} & 0x7fc00000 != 0x7f800000 "
                               "else f32_from_bits({0}))",
        "I64_REINTERPRET_F64": "(u64_unpack(f64_pack({0}))[0])",
        "F64_REINTERPRET_I64": "(f64_unpack(u64_pack({0}))[0])",
        "I64_ADD128": "i64_add128({0}, {1}, {2}, {3})",
        "I64_SUB128": "i64_sub128({0}, {1}, {2}, {3})",
        "I64_MUL_WIDE_S": "i64_mul_wide_s({0}, {1})",
        "I64_MUL_WIDE_U": "i64_mul_wide_u({0}, {1})",
    }
    for n in (32, 64):
        for src in ("f32", "f64"):
            for sign in ("s", "u"):
                ops[f"I{n}_TRUNC_{src.upper()}_{sign.upper()}"] = _trunc(n, sign == "s", False)
                ops[f"I{n}_TRUNC_SAT_{src.upper()}_{sign.upper()}"] = _trunc(n, sign == "s", True)
    return ops


def _build() -> dict[Op, str]:
    table: dict[Op, str] = {}
    for n in (32, 64):
        for name, template in _int_ops(n).items():
            table[Op[f"I{n}_{name}"]] = template
    for n in (32, 64):
        for name, template in _float_ops(n).items():
            table[Op[f"F{n}_{name}"]] = template
    for name, template in _conversions().items():
        table[Op[name]] = template
    for name, template in rounding.templates().items():
        table[Op[name]] = template
    return table


#: Op -> Python expression template (see the module docstring).
SCALAR_OPS: dict[Op, str] = _build()

#: Every name the templates use, for the namespace of generated code.
HELPERS: dict[str, object] = {
    "f32_pack": floatbits.f32_pack,
    "f32_unpack": floatbits.f32_unpack,
    "f64_pack": floatbits.f64_pack,
    "f64_unpack": floatbits.f64_unpack,
    "u32_pack": floatbits.u32_pack,
    "u32_unpack": floatbits.u32_unpack,
    "u64_pack": floatbits.u64_pack,
    "u64_unpack": floatbits.u64_unpack,
    "f32_round": floatbits.f32_round,
    "f32_from_bits": floatbits.f32_from_bits,
    "f32_to_bits": floatbits.f32_to_bits,
    "nan": floatbits.CANONICAL_NAN,
    "fabs": math.fabs,
    "copysign": math.copysign,
    "sqrt": math.sqrt,
    "int_from_float": int,
    "float_from_int": float,
    "fdiv_zero": floatops.fdiv_zero,
    "fmin_tie": floatops.fmin_tie,
    "fmax_tie": floatops.fmax_tie,
    "trunc_fail": convert.trunc_fail,
    "trunc_sat_edge": convert.trunc_sat_edge,
    "f32_convert_i64_s": convert.f32_convert_i64_s,
    "f32_convert_i64_u": convert.f32_convert_i64_u,
    "i32_div_s": intops.i32_div_s,
    "i32_rem_s": intops.i32_rem_s,
    "i64_div_s": intops.i64_div_s,
    "i64_rem_s": intops.i64_rem_s,
    "shr_s32_fill": intops.SHR_S32_FILL,
    "shr_s64_fill": intops.SHR_S64_FILL,
    "i64_add128": intops.i64_add128,
    "i64_sub128": intops.i64_sub128,
    "i64_mul_wide_s": intops.i64_mul_wide_s,
    "i64_mul_wide_u": intops.i64_mul_wide_u,
    **rounding.HELPERS,
}
