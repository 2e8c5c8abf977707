"""Precomputed stack signatures of the instructions whose typing depends on
nothing but the opcode (numeric, vector, a few reference instructions).

``SIMPLE`` maps an :class:`~engine.syntax.opcodes.Op` to ``(pops, pushes)``,
two lists of value types (operands bottom to top). The validator checks and
applies these without calling a per-instruction function.

``MEMORY`` maps every memory access instruction to a :class:`MemAccess`.

``LANES`` maps the lane-indexed vector instructions to (lane count, pops,
pushes).

The tables are derived from the text-format names, which encode type and
shape systematically; unit tests check that every opcode is covered by
exactly one table or handler.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..syntax.opcodes import IMMEDIATES, ROUNDING_DIRECTIONS, Imm, Op
from ..syntax.types import F32, F64, I32, I64, V128, AbsHeapType, RefType

_NUM = {"i32": I32, "i64": I64, "f32": F32, "f64": F64}
_LANE_TYPE = {"i8x16": I32, "i16x8": I32, "i32x4": I32, "i64x2": I64, "f32x4": F32, "f64x2": F64}
_LANE_COUNT = {"i8x16": 16, "i16x8": 8, "i32x4": 4, "i64x2": 2, "f32x4": 4, "f64x2": 2}

_UNOPS = {
    "clz", "ctz", "popcnt", "abs", "neg", "ceil", "floor", "trunc", "nearest",
    "sqrt", "extend8_s", "extend16_s", "extend32_s",
}
_BINOPS = {
    "add", "sub", "mul", "div_s", "div_u", "rem_s", "rem_u", "and", "or", "xor",
    "shl", "shr_s", "shr_u", "rotl", "rotr", "div", "min", "max", "copysign",
}
_RELOPS = {
    "eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u",
    "lt", "gt", "le", "ge",
}

#: Vector operations (after the shape) that take one v128 operand.
_V_UNARY_PREFIXES = (
    "not", "abs", "neg", "popcnt", "sqrt", "ceil", "floor", "trunc", "nearest",
    "extend_", "convert_", "trunc_sat_", "demote_", "promote_", "extadd_pairwise_",
    "relaxed_trunc_",
)
_V_TERNARY = {
    "bitselect", "relaxed_madd", "relaxed_nmadd", "relaxed_laneselect",
    "relaxed_dot_i8x16_i7x16_add_s",
}
_V_TEST = ("any_true", "all_true", "bitmask")
_V_SHIFT = {"shl", "shr_s", "shr_u"}


def _scalar(name: str):
    t, _, op = name.partition(".")
    rt = _NUM[t]
    if op == "const":
        return [], [rt]
    if op == "eqz":
        return [rt], [I32]
    # rounding-mode-control: an operator with a direction types as the operator
    base, _, direction = op.rpartition("_")
    if direction in ROUNDING_DIRECTIONS and base in _UNOPS | _BINOPS:
        op = base
    if op in _RELOPS:
        return [rt, rt], [I32]
    if op in _UNOPS:
        return [rt], [rt]
    if op in _BINOPS:
        return [rt, rt], [rt]
    # Conversions are named "<result>.<op>_<operand>[_sx]".
    for part in op.split("_"):
        if part in _NUM:
            return [_NUM[part]], [rt]
    return None


def _vector(name: str):
    shape, _, op = name.partition(".")
    if shape == "v128":
        if op == "const":
            return [], [V128]
        if op in _V_TERNARY:
            return [V128, V128, V128], [V128]
        if op == "not":
            return [V128], [V128]
        if op == "any_true":
            return [V128], [I32]
        return [V128, V128], [V128]
    if op == "splat":
        return [_LANE_TYPE[shape]], [V128]
    if op in _V_TERNARY:
        return [V128, V128, V128], [V128]
    if op in _V_TEST:
        return [V128], [I32]
    if op in _V_SHIFT:
        return [V128, I32], [V128]
    if op.startswith(_V_UNARY_PREFIXES):
        return [V128], [V128]
    return [V128, V128], [V128]


_REF_I31 = RefType(False, AbsHeapType.I31)

_SPECIAL: dict[Op, tuple[list, list]] = {
    Op.NOP: ([], []),
    Op.ATOMIC_FENCE: ([], []),
    Op.REF_I31: ([I32], [_REF_I31]),
    Op.REF_I31_SHARED: ([I32], [RefType(False, AbsHeapType.SHARED_I31)]),
    Op.PAUSE: ([], []),
    Op.I64_ADD128: ([I64, I64, I64, I64], [I64, I64]),
    Op.I64_SUB128: ([I64, I64, I64, I64], [I64, I64]),
    Op.I64_MUL_WIDE_S: ([I64, I64], [I64, I64]),
    Op.I64_MUL_WIDE_U: ([I64, I64], [I64, I64]),
}

_PLAIN_IMMS = {Imm.NONE, Imm.I32, Imm.I64, Imm.F32, Imm.F64, Imm.V128}


def _build_simple() -> dict[Op, tuple[list, list]]:
    table = dict(_SPECIAL)
    for op in Op:
        if op in table or IMMEDIATES[op] not in _PLAIN_IMMS:
            continue
        name = op.text
        head = name.split(".", 1)[0]
        sig = None
        if head in _NUM and "atomic" not in name:
            sig = _scalar(name)
        elif head in _LANE_TYPE or head == "v128":
            sig = _vector(name)
        if sig is not None:
            table[op] = sig
    return table


SIMPLE: dict[Op, tuple[list, list]] = _build_simple()


@dataclass(frozen=True, slots=True)
class MemAccess:
    """A memory access: natural alignment (log2 bytes), operands after the
    address, results, whether the alignment must be exactly natural
    (atomics), and the lane count for lane accesses (0 otherwise)."""

    align: int
    pops: tuple
    pushes: tuple
    exact: bool = False
    lanes: int = 0


def _log2_bytes(bits: int) -> int:
    return {8: 0, 16: 1, 32: 2, 64: 3, 128: 4}[bits]


def _build_memory() -> dict[Op, MemAccess]:
    table: dict[Op, MemAccess] = {}
    for op in Op:
        imm = IMMEDIATES[op]
        if imm not in (Imm.MEMARG, Imm.MEMARG_LANE):
            continue
        name = op.text
        head, _, rest = name.partition(".")
        if head in _NUM:
            t = _NUM[head]
            atomic = rest.startswith("atomic.")
            if atomic:
                rest = rest[len("atomic."):]
            bits = 32 if t in (I32, F32) else 64
            for width in ("8", "16", "32"):
                if rest.startswith(("load" + width, "store" + width, "rmw" + width)):
                    bits = int(width)
            a = _log2_bytes(bits)
            if rest.startswith("load"):
                table[op] = MemAccess(a, (), (t,), atomic)
            elif rest.startswith("store"):
                table[op] = MemAccess(a, (t,), (), atomic)
            elif rest.endswith(("cmpxchg", "cmpxchg_u")):
                table[op] = MemAccess(a, (t, t), (t,), True)
            else:
                table[op] = MemAccess(a, (t,), (t,), True)
        elif head == "memory":
            if rest == "atomic.notify":
                table[op] = MemAccess(2, (I32,), (I32,), True)
            elif rest == "atomic.wait32":
                table[op] = MemAccess(2, (I32, I64), (I32,), True)
            elif rest == "atomic.wait64":
                table[op] = MemAccess(3, (I64, I64), (I32,), True)
        elif head == "v128":
            if rest in ("load", "store"):
                pops, pushes = ((V128,), ()) if rest == "store" else ((), (V128,))
                table[op] = MemAccess(4, pops, pushes)
            elif rest.endswith("_lane"):
                bits = int(rest[len("load"):-len("_lane")] if rest.startswith("load")
                           else rest[len("store"):-len("_lane")])
                pushes = (V128,) if rest.startswith("load") else ()
                table[op] = MemAccess(_log2_bytes(bits), (V128,), pushes, False, 128 // bits)
            elif rest.endswith("_splat"):
                table[op] = MemAccess(_log2_bytes(int(rest[4:-6])), (), (V128,))
            elif rest.endswith("_zero"):
                table[op] = MemAccess(_log2_bytes(int(rest[4:-5])), (), (V128,))
            else:  # load8x8_s and friends read 64 bits
                table[op] = MemAccess(3, (), (V128,))
    return table


MEMORY: dict[Op, MemAccess] = _build_memory()


def _build_lanes() -> dict[Op, tuple[int, tuple, tuple]]:
    table = {}
    for op in Op:
        if IMMEDIATES[op] is not Imm.LANE:
            continue
        shape, _, rest = op.text.partition(".")
        n, t = _LANE_COUNT[shape], _LANE_TYPE[shape]
        if rest.startswith("extract_lane"):
            table[op] = (n, (V128,), (t,))
        else:
            table[op] = (n, (V128, t), (V128,))
    return table


LANES = _build_lanes()
