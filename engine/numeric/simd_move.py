"""Lane moves: splat, extract_lane, replace_lane, shuffle and swizzle.

All of them move bits without interpreting them, so f32 lanes keep their
signalling NaNs: f32 values cross into and out of lanes through the exact
bit conversions of :mod:`engine.numeric.floatbits` (the fast ``struct``
path only for values that are not NaNs or infinities).

``i8x16.shuffle`` is compiled per immediate: the 16 result lanes are cut
into runs of consecutive source lanes, and each run is one shift and one
mask of an operand. Shuffles with many runs map the lane indices through
``bytes.translate`` with the operands' bytes as the table (as swizzle does
with its dynamic indices).
"""

from __future__ import annotations

from ..errors import InvalidError
from ..syntax.opcodes import Op
from . import floatbits
from .simd_bits import I8, I16, I32, I64, LE, M128, ZERO224, ZERO240, from_bytes, to_bytes

OPS: dict[Op, object] = {}
HELPERS: dict[str, object] = {
    "v_f32_pack": floatbits.f32_pack,
    "v_f32_unpack": floatbits.f32_unpack,
    "v_u32_pack": floatbits.u32_pack,
    "v_u32_unpack": floatbits.u32_unpack,
    "v_f64_pack": floatbits.f64_pack,
    "v_f64_unpack": floatbits.f64_unpack,
    "v_u64_pack": floatbits.u64_pack,
    "v_u64_unpack": floatbits.u64_unpack,
    "v_f32_from_bits": floatbits.f32_from_bits,
    "v_f32_to_bits": floatbits.f32_to_bits,
    "v_from_bytes": from_bytes,
    "v_to_bytes": to_bytes,
    "v_le": LE,
    "v_zero240": ZERO240,
    "v_zero224": ZERO224,
    # i8 lane -> its sign extension as an i32 bit pattern
    "v_sx8": tuple(((b ^ 0x80) - 0x80) & 0xFFFFFFFF for b in range(256)),
}

#: Shuffles with more runs than this map their bytes through
#: ``bytes.translate`` (measured: 4 runs inline 190 ns, 8 runs 395 ns, the
#: translate form 225-260 ns whatever the pattern).
SHUFFLE_MAX_RUNS = 5


def _f32_bits(x: str) -> str:
    """Template: the f32 bits of the f32 value ``x`` (exact for NaNs)."""
    return f"(v_u32_unpack(v_f32_pack({x}))[0] if {x} == {x} else v_f32_to_bits({x}))"


def _f32_of_bits(bits: str, test: str) -> str:
    """Template: the f32 value of ``bits``; ``test`` is an expression whose
    bits 22..30 are those of ``bits`` (cheaper to compute, no mask)."""
    return (f"(v_f32_unpack(v_u32_pack({bits}))[0] if {test} & 0x7fc00000 != 0x7f800000 "
            f"else v_f32_from_bits({bits}))")


def _lane_check(lane: object, count: int, what: str) -> int:
    if isinstance(lane, bool) or not isinstance(lane, int) or not 0 <= lane < count:
        raise InvalidError(f"invalid lane index {lane!r} for {what}")
    return lane


def _field(v: str, lane: int, width: int) -> str:
    """Template: lane ``lane`` of ``width`` bits of vector ``v``, unsigned."""
    shift = lane * width
    if shift + width == 128:
        return f"({v} >> {shift})"
    if shift == 0:
        return f"({v} & {hex((1 << width) - 1)})"
    return f"(({v} >> {shift}) & {hex((1 << width) - 1)})"


def _extract(width: int, kind: str):
    count = 128 // width
    what = f"i{width}x{count}.extract_lane" if kind != "f" else f"f{width}x{count}.extract_lane"

    def template(lane: int) -> str:
        lane = _lane_check(lane, count, what)
        field = _field("{0}", lane, width)
        if kind == "u":
            return field
        if kind == "s":
            if width == 8:
                return f"v_sx8[{field}]"
            return f"((({field} ^ 0x8000) + 0xffff8000) & 0xffffffff)"
        if width == 32:
            test = f"({{0}} >> {32 * lane})" if lane else "{0}"
            return _f32_of_bits(field, test)
        return f"v_f64_unpack(v_u64_pack({field}))[0]"

    template.__doc__ = f"Template of {what} for a lane index."
    return template


def _replace(width: int, kind: str):
    count = 128 // width
    what = f"{'f' if kind == 'f' else 'i'}{width}x{count}.replace_lane"

    def template(lane: int) -> str:
        lane = _lane_check(lane, count, what)
        shift = lane * width
        keep = hex(M128 ^ (((1 << width) - 1) << shift))
        if kind == "f":
            x = _f32_bits("{1}") if width == 32 else "v_u64_unpack(v_f64_pack({1}))[0]"
        elif width < 32:
            x = f"({{1}} & {hex((1 << width) - 1)})"
        else:
            x = "{1}"
        part = f"({x} << {shift})" if shift else x
        return f"(({{0}} & {keep}) | {part})"

    template.__doc__ = f"Template of {what} for a lane index."
    return template


def _runs(lanes: tuple[int, ...]) -> list[tuple[int, int, int]]:
    """(destination lane, source lane 0..31, length) of each run of
    consecutive source lanes of one operand."""
    runs: list[tuple[int, int, int]] = []
    for i, s in enumerate(lanes):
        if runs:
            d, src, n = runs[-1]
            if s == src + n and (s < 16) == (src < 16):
                runs[-1] = (d, src, n + 1)
                continue
        runs.append((i, s, 1))
    return runs


def shuffle_template(lanes: tuple[int, ...]) -> str:
    """Template of ``i8x16.shuffle`` with immediate ``lanes`` (16 indices
    below 32). Raises :class:`InvalidError` for a bad immediate."""
    if (not isinstance(lanes, (tuple, list)) or len(lanes) != 16
            or any(isinstance(x, bool) or not isinstance(x, int) or not 0 <= x < 32 for x in lanes)):
        raise InvalidError(f"invalid shuffle lane indices {lanes!r}")
    lanes = tuple(lanes)
    runs = _runs(lanes)
    if len(runs) > SHUFFLE_MAX_RUNS:
        return _translate_shuffle(lanes)
    parts = []
    used = set()
    for dst, src, n in runs:
        operand = "{0}" if src < 16 else "{1}"
        used.add(operand)
        shift = 8 * (dst - src % 16)
        mask = hex(((1 << (8 * n)) - 1) << (8 * dst))
        moved = operand if shift == 0 else (f"({operand} << {shift})" if shift > 0 else f"({operand} >> {-shift})")
        if shift == 0 and n == 16:
            parts.append(operand)
        elif shift < 0 and src % 16 + n == 16:
            parts.append(moved)  # the run reaches the top: nothing above it
        else:
            parts.append(f"({moved} & {mask})")
    expr = parts[0] if len(parts) == 1 else "(" + " | ".join(parts) + ")"
    # The template names both operands (the translator counts them by their
    # placeholders); `if True` is folded away by the compiler.
    for operand in ("{0}", "{1}"):
        if operand not in used:
            expr = f"({expr} if True else {operand})"
    return expr


def _translate_shuffle(lanes: tuple[int, ...]) -> str:
    """Shuffle template through ``bytes.translate``: the lane indices (an int
    literal turned into bytes) are mapped through a 256-byte table that
    starts with the operands' bytes."""
    if all(x < 16 for x in lanes):
        table, other = "v_to_bytes({0}, 16, v_le) + v_zero240", "{1}"
    elif all(x >= 16 for x in lanes):
        lanes = tuple(x - 16 for x in lanes)
        table, other = "v_to_bytes({1}, 16, v_le) + v_zero240", "{0}"
    else:
        table, other = "v_to_bytes({0}, 16, v_le) + v_to_bytes({1}, 16, v_le) + v_zero224", None
    index = hex(from_bytes(bytes(lanes), LE))
    expr = f"v_from_bytes(v_to_bytes({index}, 16, v_le).translate({table}), v_le)"
    return expr if other is None else f"({expr} if True else {other})"




# swizzle: indices >= 16 read the zero padding of the 256-entry table.
_SWIZZLE = "v_from_bytes(v_to_bytes({1}, 16, v_le).translate(v_to_bytes({0}, 16, v_le) + v_zero240), v_le)"

OPS.update({
    Op.I8X16_SPLAT: f"(({{0}} & 0xff) * {hex(I8.lsb)})",
    Op.I16X8_SPLAT: f"(({{0}} & 0xffff) * {hex(I16.lsb)})",
    Op.I32X4_SPLAT: f"({{0}} * {hex(I32.lsb)})",
    Op.I64X2_SPLAT: f"({{0}} * {hex(I64.lsb)})",
    Op.F32X4_SPLAT: f"({_f32_bits('{0}')} * {hex(I32.lsb)})",
    Op.F64X2_SPLAT: f"(v_u64_unpack(v_f64_pack({{0}}))[0] * {hex(I64.lsb)})",
    Op.I8X16_EXTRACT_LANE_S: _extract(8, "s"),
    Op.I8X16_EXTRACT_LANE_U: _extract(8, "u"),
    Op.I16X8_EXTRACT_LANE_S: _extract(16, "s"),
    Op.I16X8_EXTRACT_LANE_U: _extract(16, "u"),
    Op.I32X4_EXTRACT_LANE: _extract(32, "u"),
    Op.I64X2_EXTRACT_LANE: _extract(64, "u"),
    Op.F32X4_EXTRACT_LANE: _extract(32, "f"),
    Op.F64X2_EXTRACT_LANE: _extract(64, "f"),
    Op.I8X16_REPLACE_LANE: _replace(8, "i"),
    Op.I16X8_REPLACE_LANE: _replace(16, "i"),
    Op.I32X4_REPLACE_LANE: _replace(32, "i"),
    Op.I64X2_REPLACE_LANE: _replace(64, "i"),
    Op.F32X4_REPLACE_LANE: _replace(32, "f"),
    Op.F64X2_REPLACE_LANE: _replace(64, "f"),
    Op.I8X16_SHUFFLE: shuffle_template,
    Op.I8X16_SWIZZLE: _SWIZZLE,
    # Relaxed swizzle: the deterministic profile's choice, plain swizzle.
    Op.I8X16_RELAXED_SWIZZLE: _SWIZZLE,
})
