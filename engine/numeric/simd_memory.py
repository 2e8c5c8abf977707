"""Templates of the SIMD memory instructions.

Placeholders: ``{m}`` the memory (a ``bytearray``), ``{a}`` the effective
address (a non-negative int, possibly beyond the memory), ``{v}`` the vector
operand of stores and lane loads, ``{lane}`` the lane index. Loads are
expressions; stores are statements.

Bounds: every access is one ``struct`` ``unpack_from``/``pack_into`` or one
``bytearray`` index, which checks the whole range before touching a byte:
an out-of-bounds access raises ``struct.error`` or ``IndexError`` (and
``OverflowError`` for an address beyond the host's index range) and never
writes part of the value. Slices are never used: a slice past the end is
silently short, and a slice assignment would resize the memory.
"""

from __future__ import annotations

import struct

from ..syntax.opcodes import Op
from .simd_bits import HALF_S, HALF_U, I16, I32, I64, I8, LANES_S, LANES_U, LE, from_bytes, to_bytes

_V128 = struct.Struct("16s")
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")

HELPERS: dict[str, object] = {
    "v_ld128": _V128.unpack_from,
    "v_st128": _V128.pack_into,
    "v_ld_u16": _U16.unpack_from,
    "v_ld_u32": _U32.unpack_from,
    "v_ld_u64": _U64.unpack_from,
    "v_st_u16": _U16.pack_into,
    "v_st_u32": _U32.pack_into,
    "v_st_u64": _U64.pack_into,
    "v_from_bytes": from_bytes,
    "v_to_bytes": to_bytes,
    "v_le": LE,
}

def _extending_load(src_width: int, signed: bool) -> str:
    """Template of ``v128.load{w}x{n}_{s,u}``: 8 bytes, unpacked with the
    source lane type and packed with the double-width one."""
    sx = "s" if signed else "u"
    unpack, pack = f"v_half{src_width}{sx}_from", f"v_lanes{2 * src_width}{sx}_pack"
    HELPERS[unpack] = (HALF_S if signed else HALF_U)[src_width].unpack_from
    HELPERS[pack] = (LANES_S if signed else LANES_U)[2 * src_width].pack
    return f"v_from_bytes({pack}(*{unpack}({{m}}, {{a}})), v_le)"


def _lane_load(width: int, load: str) -> str:
    mask = hex((1 << width) - 1)
    return f"(({{v}} & ~({mask} << ({width} * {{lane}}))) | ({load} << ({width} * {{lane}})))"


SIMD_MEMORY: dict[Op, str] = {
    Op.V128_LOAD: "v_from_bytes(v_ld128({m}, {a})[0], v_le)",
    Op.V128_STORE: "v_st128({m}, {a}, v_to_bytes({v}, 16, v_le))",
    Op.V128_LOAD8X8_S: _extending_load(8, True),
    Op.V128_LOAD8X8_U: _extending_load(8, False),
    Op.V128_LOAD16X4_S: _extending_load(16, True),
    Op.V128_LOAD16X4_U: _extending_load(16, False),
    Op.V128_LOAD32X2_S: _extending_load(32, True),
    Op.V128_LOAD32X2_U: _extending_load(32, False),
    Op.V128_LOAD8_SPLAT: f"({{m}}[{{a}}] * {hex(I8.lsb)})",
    Op.V128_LOAD16_SPLAT: f"(v_ld_u16({{m}}, {{a}})[0] * {hex(I16.lsb)})",
    Op.V128_LOAD32_SPLAT: f"(v_ld_u32({{m}}, {{a}})[0] * {hex(I32.lsb)})",
    Op.V128_LOAD64_SPLAT: f"(v_ld_u64({{m}}, {{a}})[0] * {hex(I64.lsb)})",
    Op.V128_LOAD32_ZERO: "v_ld_u32({m}, {a})[0]",
    Op.V128_LOAD64_ZERO: "v_ld_u64({m}, {a})[0]",
    Op.V128_LOAD8_LANE: _lane_load(8, "{m}[{a}]"),
    Op.V128_LOAD16_LANE: _lane_load(16, "v_ld_u16({m}, {a})[0]"),
    Op.V128_LOAD32_LANE: _lane_load(32, "v_ld_u32({m}, {a})[0]"),
    Op.V128_LOAD64_LANE: _lane_load(64, "v_ld_u64({m}, {a})[0]"),
    Op.V128_STORE8_LANE: "{m}[{a}] = ({v} >> (8 * {lane})) & 0xff",
    Op.V128_STORE16_LANE: "v_st_u16({m}, {a}, ({v} >> (16 * {lane})) & 0xffff)",
    Op.V128_STORE32_LANE: "v_st_u32({m}, {a}, ({v} >> (32 * {lane})) & 0xffffffff)",
    Op.V128_STORE64_LANE: "v_st_u64({m}, {a}, ({v} >> (64 * {lane})) & 0xffffffffffffffff)",
}

#: The memory instructions whose template is a statement.
STORES = frozenset({Op.V128_STORE, Op.V128_STORE8_LANE, Op.V128_STORE16_LANE,
                    Op.V128_STORE32_LANE, Op.V128_STORE64_LANE})
