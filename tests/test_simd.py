"""Every SIMD template against the reference engine (wasmtime).

One Wasm module (built once with wat2wasm) holds a function per case (an
instruction, with its immediate for lane ops and shuffles). Each function
reads operand records from memory, applies the instruction and stores the
result in the record, so v128 values and float bits (signalling NaNs
included) cross exactly.

Our side evaluates ``SIMD_OPS[op]`` with only ``SIMD_HELPERS`` and the
scalar ``HELPERS`` in scope (no builtins). Results must be bit-identical,
except float lanes where the spec allows several NaNs: there a lane must be
a canonical NaN when every NaN in the operands' same lane is canonical, and
an arithmetic NaN otherwise. Relaxed instructions are checked against the
deterministic profile's behaviour, written in wasmtime as the non-relaxed
instructions it is defined by (unfused multiply-add, bitselect, ...).
"""

from __future__ import annotations

import functools
import random
import struct
import subprocess
import tempfile
from pathlib import Path

import pytest

from engine.numeric import (
    HELPERS,
    f32_from_bits,
    f32_to_bits,
    f64_from_bits,
    f64_to_bits,
    is_arithmetic_nan_f32,
    is_arithmetic_nan_f64,
    is_canonical_nan_f32,
    is_canonical_nan_f64,
)
from engine.numeric.simd import SIMD_HELPERS, SIMD_OPS
from engine.syntax.opcodes import Op
from test_simd_templates import SCALAR_OF, SHAPE, signature
from watutil import tool

wasmtime = pytest.importorskip("wasmtime", reason="the reference engine (wasmtime package) is not installed")


WAT2WASM = tool("wat2wasm")
pytestmark = pytest.mark.skipif(WAT2WASM is None, reason="wat2wasm (wabt) is not installed")

NAMESPACE = {**HELPERS, **SIMD_HELPERS, "__builtins__": {}}
M128 = (1 << 128) - 1

# Signatures (operand kinds, result kind) come with the table checks.
# Float results whose NaNs the spec does not pin down: (result lane width,
# operand lane width). Everything else must match bit for bit.
NAN_RULE: dict[Op, tuple[int, int]] = {}
for _w in (32, 64):
    for _n in ("ADD", "SUB", "MUL", "DIV", "MIN", "MAX", "SQRT", "CEIL", "FLOOR", "TRUNC", "NEAREST",
               "RELAXED_MIN", "RELAXED_MAX", "RELAXED_MADD", "RELAXED_NMADD"):
        NAN_RULE[Op[f"F{_w}X{128 // _w}_{_n}"]] = (_w, _w)
NAN_RULE[Op.F32X4_DEMOTE_F64X2_ZERO] = (32, 64)
NAN_RULE[Op.F64X2_PROMOTE_LOW_F32X4] = (64, 32)


def cases_of(op: Op) -> list[object]:
    """The immediates to test ``op`` with (None: no immediate)."""
    template = SIMD_OPS[op]
    if not callable(template):
        return [None]
    if op is Op.I8X16_SHUFFLE:
        return SHUFFLES
    head = op.text.split(".")[0]
    return list(range(int(head.split("x")[1])))


def _shuffles() -> list[tuple[int, ...]]:
    rng = random.Random(128)
    fixed = [
        tuple(range(16)), tuple(range(16, 32)), tuple(range(15, -1, -1)), (0,) * 16, (31,) * 16,
        tuple(x for i in range(8) for x in (i, 16 + i)),  # interleave bytes
        tuple(x for i in range(4) for x in (2 * i, 2 * i + 1, 16 + 2 * i, 17 + 2 * i)),  # i16
        tuple(x for i in range(2) for x in (4 * i, 4 * i + 1, 4 * i + 2, 4 * i + 3,
                                            16 + 4 * i, 17 + 4 * i, 18 + 4 * i, 19 + 4 * i)),  # i32
        tuple(range(0, 32, 2)), tuple(range(1, 32, 2)),
        tuple(range(8, 24)), tuple(range(1, 17)), tuple(range(15, 31)), tuple(range(17, 32)) + (0,),
        tuple(range(4, 16)) + tuple(range(16, 20)), (3, 2, 1, 0) * 4,
        tuple(range(8)) + tuple(range(8)), tuple(range(24, 32)) + tuple(range(8)),
    ]
    randoms = [tuple(rng.randrange(32) for _ in range(16)) for _ in range(6)]
    randoms += [tuple(rng.randrange(16) for _ in range(16)) for _ in range(2)]
    return fixed + randoms


SHUFFLES = _shuffles()

# -- operands -------------------------------------------------------------------


def _f32(x: float) -> int:
    return struct.unpack("<I", struct.pack("<f", x))[0]


def _f64(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


LANE_POOLS: dict[str, list[int]] = {
    "i8": [0, 1, 2, 0x3F, 0x40, 0x7E, 0x7F, 0x80, 0x81, 0xC0, 0xFE, 0xFF],
    "i16": [0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x3FFF, 0x4000, 0x7FFE, 0x7FFF, 0x8000, 0x8001,
            0xC000, 0xFF00, 0xFF7F, 0xFF80, 0xFFFE, 0xFFFF],
    "i32": [0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFE, 0x7FFFFFFF,
            0x80000000, 0x80000001, 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFF8000, 0x12345678],
    "i64": [0, 1, 2, 0xFFFFFFFF, 0x100000000, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000,
            0x8000000000000001, 0xFFFFFFFFFFFFFFFE, 0xFFFFFFFFFFFFFFFF, 0x80000000,
            0xFFFFFFFF80000000, 0x123456789ABCDEF0],
    "f32": sorted({
        0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007FFFFF, 0x00800000, 0x7F7FFFFF,
        0xFF7FFFFF, 0x3F800000, 0xBF800000, 0x3F000000, 0xBF000000, 0x3FC00000, 0x40200000,
        0xC0200000, 0x40400000, 0x3EFFFFFF, 0x3F7FFFFF, 0xBF7FFFFF, 0x3F800001, 0x33800000,
        0x7F000000, 0x4B000001, 0x4AFFFFFF, 0x40490FDB, 0xC0490FDB,
        0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000, 0x7FC00001, 0xFFE00000,
        0x7F800001, 0x7FA00000, 0xFF800001, 0xFFBFFFFF,
        0x4F000000, 0x4EFFFFFF, 0xCF000000, 0xCF000001, 0x4F800000, 0x4F7FFFFF,
    }),
    "f64": sorted({
        0, 1 << 63, 1, (1 << 63) | 1, 0x000FFFFFFFFFFFFF, 0x0010000000000000, 0x7FEFFFFFFFFFFFFF,
        0xFFEFFFFFFFFFFFFF, _f64(1.0), _f64(-1.0), _f64(0.5), _f64(-0.5), _f64(1.5), _f64(2.5),
        _f64(-2.5), _f64(0.1), _f64(1e300), _f64(0.49999999999999994), _f64(-0.9999999999999999),
        0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000, 0xFFF8000000000000,
        0x7FF8000000000001, 0x7FF0000000000001, 0x7FF4000000000000, 0xFFF0000000000001,
        0x7FF0000020000000,
        _f64(2.0**31), _f64(2147483647.5), _f64(-2147483648.5), _f64(-2147483649.0),
        _f64(2.0**32), _f64(4294967295.5), 0x4330000000000001, 0x432FFFFFFFFFFFFF,
        # demotion: ties to even, overflow threshold, underflow
        0x3FF0000010000000, 0x3FF0000030000000, 0x3FF0000010000001, 0x47EFFFFFE0000000,
        0x47EFFFFFDFFFFFFF, 0x36A0000000000000, 0x3690000000000000, 0x3698000000000000,
    }),
}
COUNTS = [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128,
          0x7FFFFFFF, 0x80000000, 0xFFFFFFFF]
SCALAR_POOLS = {
    "i32": LANE_POOLS["i32"] + [0x100, 0x1FF, 0x12345, 0xFFFF0000],
    "i64": LANE_POOLS["i64"],
    "f32": LANE_POOLS["f32"],
    "f64": LANE_POOLS["f64"],
    "count": COUNTS,
}


def _lane_info(shape: str) -> tuple[int, list[int]]:
    width = int(SHAPE.fullmatch(shape).group(2))
    return width, LANE_POOLS[shape[0] + str(width)]


def _vector(width: int, lanes: list[int]) -> int:
    return sum(x << (width * j) for j, x in enumerate(lanes))


def operand_rows(op: Op, rng: random.Random) -> list[tuple[int, ...]]:
    """Operand records: every pair of edge lane values meets in some lane,
    plus vectors of random edge lanes and of random bits."""
    params, _ = signature(op)
    vectors = [p for p in params if p in SCALAR_OF]
    rows: list[tuple[int, ...]] = []

    def vec(shape: str, pick) -> int:
        width, pool = _lane_info(shape)
        return _vector(width, [pick(pool, j) for j in range(128 // width)])

    if not vectors:  # splat: every edge value, then random bits
        pool = SCALAR_POOLS[params[0]]
        return [(x,) for x in pool] + [(rng.getrandbits(64),) for _ in range(100)]
    width, pool = _lane_info(vectors[0])
    count = 128 // width
    p = len(pool)
    systematic = -(-p * p // count) if len(vectors) >= 2 else p
    for k in range(systematic):
        row = []
        for i, shape in enumerate(params):
            if shape in SCALAR_OF:
                w, pl = _lane_info(shape)
                if i == 0:
                    row.append(vec(shape, lambda pl, j, k=k: pl[(k * count + j) % len(pl)]))
                elif i == 1:
                    row.append(vec(shape, lambda pl, j, k=k: pl[((k * count + j) // p) % len(pl)]))
                else:
                    row.append(vec(shape, lambda pl, j: rng.choice(pl)))
            else:
                row.append(rng.choice(SCALAR_POOLS[shape]))
        rows.append(tuple(row))
    # Uniform vectors (every lane alike) for every pair of edge values: the
    # cases where all lanes at once hit an edge (overflowing dot products,
    # narrowing without saturation, ...).
    for x in pool:
        for y in pool if len(vectors) >= 2 else [None]:
            row = []
            for i, shape in enumerate(params):
                if shape in SCALAR_OF:
                    w, pl = _lane_info(shape)
                    lane = x if i == 0 else y if i == 1 and y is not None and pl is pool else rng.choice(pl)
                    row.append(_vector(w, [lane] * (128 // w)))
                else:
                    row.append(rng.choice(SCALAR_POOLS[shape]))
            rows.append(tuple(row))
    # Small signed lanes, that narrowing keeps exactly.
    for _k in range(40):
        row = []
        for shape in params:
            if shape in SCALAR_OF:
                w, _ = _lane_info(shape)
                row.append(_vector(w, [rng.randint(-130, 130) & ((1 << w) - 1) for _ in range(128 // w)]))
            else:
                row.append(rng.choice(SCALAR_POOLS[shape]))
        rows.append(tuple(row))
    for k in range(160):
        row = []
        for shape in params:
            if shape in SCALAR_OF:
                row.append(vec(shape, lambda pl, j: rng.choice(pl)) if k % 2 else rng.getrandbits(128))
            else:
                row.append(rng.choice(SCALAR_POOLS[shape]) if k % 2 else rng.getrandbits(32))
        rows.append(tuple(row))
    # Scalar operands: every edge value with a few vectors.
    for i, shape in enumerate(params):
        if shape not in SCALAR_OF:
            for value in SCALAR_POOLS[shape]:
                for _ in range(3):
                    row = list(rows[rng.randrange(len(rows))])
                    row[i] = value
                    rows.append(tuple(row))
    return rows


# -- the reference side ------------------------------------------------------------

STRIDE = 64  # three 16-byte operand slots, one 16-byte result slot
MAX_ROWS = 4096
PAGES = STRIDE * MAX_ROWS // 0x10000 + 1

# Relaxed instructions -> the deterministic profile's behaviour in plain
# instructions; {0} {1} {2} load the operands.
EVENS = " ".join(str(i) for k in range(8) for i in (4 * k, 4 * k + 1))
ODDS = " ".join(str(i) for k in range(8) for i in (4 * k + 2, 4 * k + 3))
_DOT = ("{0} {1} i16x8.extmul_low_i8x16_s local.set $v0 {0} {1} i16x8.extmul_high_i8x16_s local.set $v1 "
        f"local.get $v0 local.get $v1 i8x16.shuffle {EVENS} "
        f"local.get $v0 local.get $v1 i8x16.shuffle {ODDS} i16x8.add_sat_s")
REFERENCE_BODY = {
    Op.I8X16_RELAXED_SWIZZLE: "{0} {1} i8x16.swizzle",
    Op.I32X4_RELAXED_TRUNC_F32X4_S: "{0} i32x4.trunc_sat_f32x4_s",
    Op.I32X4_RELAXED_TRUNC_F32X4_U: "{0} i32x4.trunc_sat_f32x4_u",
    Op.I32X4_RELAXED_TRUNC_F64X2_S_ZERO: "{0} i32x4.trunc_sat_f64x2_s_zero",
    Op.I32X4_RELAXED_TRUNC_F64X2_U_ZERO: "{0} i32x4.trunc_sat_f64x2_u_zero",
    Op.F32X4_RELAXED_MADD: "{0} {1} f32x4.mul {2} f32x4.add",
    Op.F32X4_RELAXED_NMADD: "{0} f32x4.neg {1} f32x4.mul {2} f32x4.add",
    Op.F64X2_RELAXED_MADD: "{0} {1} f64x2.mul {2} f64x2.add",
    Op.F64X2_RELAXED_NMADD: "{0} f64x2.neg {1} f64x2.mul {2} f64x2.add",
    Op.F32X4_RELAXED_MIN: "{0} {1} f32x4.min",
    Op.F32X4_RELAXED_MAX: "{0} {1} f32x4.max",
    Op.F64X2_RELAXED_MIN: "{0} {1} f64x2.min",
    Op.F64X2_RELAXED_MAX: "{0} {1} f64x2.max",
    Op.I16X8_RELAXED_Q15MULR_S: "{0} {1} i16x8.q15mulr_sat_s",
    Op.I16X8_RELAXED_DOT_I8X16_I7X16_S: _DOT,
    Op.I32X4_RELAXED_DOT_I8X16_I7X16_ADD_S: _DOT + " i32x4.extadd_pairwise_i16x8_s {2} i32x4.add",
    **{Op[f"I{w}X{128 // w}_RELAXED_LANESELECT"]: "{0} {1} {2} v128.bitselect" for w in (8, 16, 32, 64)},
}

_LOAD = {"i32": "i32.load", "count": "i32.load", "i64": "i64.load",
         "f32": "i32.load offset={o} f32.reinterpret_i32", "f64": "i64.load offset={o} f64.reinterpret_i64"}
_STORE = {"v128": "v128.store offset=48", "i32": "i32.store offset=48", "i64": "i64.store offset=48",
          "f32": "i32.reinterpret_f32 i32.store offset=48", "f64": "i64.reinterpret_f64 i64.store offset=48"}


def _load(kind: str, i: int) -> str:
    if kind in SCALAR_OF:
        return f"local.get $p v128.load offset={16 * i}"
    text = _LOAD[kind]
    return "local.get $p " + (text.format(o=16 * i) if "{o}" in text else f"{text} offset={16 * i}")


def _immediate_text(imm: object) -> str:
    if imm is None:
        return ""
    if isinstance(imm, tuple):
        return " " + " ".join(map(str, imm))
    return f" {imm}"


def function_text(index: int, op: Op, imm: object) -> str:
    params, result = signature(op)
    loads = [_load(kind, i) for i, kind in enumerate(params)]
    if op in REFERENCE_BODY:
        body = REFERENCE_BODY[op].format(*loads)
    else:
        body = " ".join(loads) + f" {op.text}{_immediate_text(imm)}"
    return f"""
  (func (export "f{index}") (param $n i32) (local $i i32) (local $p i32) (local $v0 v128) (local $v1 v128)
    block $done
      loop $top
        local.get $i local.get $n i32.ge_u br_if $done
        local.get $i i32.const {STRIDE} i32.mul local.set $p
        local.get $p
        {body}
        {_STORE[result]}
        local.get $i i32.const 1 i32.add local.set $i
        br $top
      end
    end)"""


ALL_CASES: list[tuple[Op, object]] = [(op, imm) for op in sorted(SIMD_OPS) for imm in cases_of(op)]
CASE_INDEX = {case: k for k, case in enumerate(ALL_CASES)}


@functools.lru_cache(maxsize=1)
def wasm_bytes() -> bytes:
    text = f'(module (memory (export "mem") {PAGES})' + "".join(
        function_text(k, op, imm) for k, (op, imm) in enumerate(ALL_CASES)) + ")"
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp, "simd.wat"), Path(tmp, "simd.wasm")
        src.write_text(text)
        subprocess.run([WAT2WASM, "--enable-all", str(src), "-o", str(out)], check=True, capture_output=True)
        return out.read_bytes()


@functools.lru_cache(maxsize=1)
def reference_instance():
    config = wasmtime.Config()
    config.wasm_simd = True
    config.wasm_relaxed_simd = True
    engine = wasmtime.Engine(config)
    store = wasmtime.Store(engine)
    instance = wasmtime.Instance(store, wasmtime.Module(engine, wasm_bytes()), [])
    return store, instance.exports(store)


def reference(op: Op, imm: object, rows: list[tuple[int, ...]]) -> list[int]:
    store, exports = reference_instance()
    run, mem = exports[f"f{CASE_INDEX[(op, imm)]}"], exports["mem"]
    out: list[int] = []
    for start in range(0, len(rows), MAX_ROWS):
        batch = rows[start:start + MAX_ROWS]
        buf = bytearray(STRIDE * len(batch))
        for k, row in enumerate(batch):
            for i, value in enumerate(row):
                buf[STRIDE * k + 16 * i:STRIDE * k + 16 * i + 16] = value.to_bytes(16, "little")
        mem.write(store, buf, 0)
        run(store, len(batch))
        data = mem.read(store, 0, STRIDE * len(batch))
        out += [int.from_bytes(data[STRIDE * k + 48:STRIDE * k + 64], "little") for k in range(len(batch))]
    return out


# -- our side -----------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def compiled(op: Op, imm: object):
    template = SIMD_OPS[op]
    if callable(template):
        template = template(imm)
    return eval(f"lambda x0, x1=0, x2=0: {template.format('x0', 'x1', 'x2')}", NAMESPACE)


def to_value(kind: str, bits: int):
    if kind == "f32":
        return f32_from_bits(bits & 0xFFFFFFFF)
    if kind == "f64":
        return f64_from_bits(bits & 0xFFFFFFFFFFFFFFFF)
    if kind in ("i32", "count"):
        return bits & 0xFFFFFFFF
    if kind == "i64":
        return bits & 0xFFFFFFFFFFFFFFFF
    return bits


def to_bits(kind: str, value) -> int:
    """Bits of a result, checking it belongs to the representation."""
    if kind == "v128":
        assert type(value) is int and 0 <= value <= M128, f"not a v128: {value!r}"
        return value
    if kind in ("i32", "i64"):
        assert isinstance(value, int) and 0 <= value < 1 << int(kind[1:]), f"not an {kind}: {value!r}"
        return int(value)
    assert type(value) is float, f"not a float: {value!r}"
    if kind == "f64":
        return f64_to_bits(value)
    bits = f32_to_bits(value)
    assert f64_to_bits(f32_from_bits(bits)) == f64_to_bits(value), f"not an f32 value: {value!r}"
    return bits


def ours(op: Op, imm: object, row: tuple[int, ...]) -> int:
    params, result = signature(op)
    return to_bits(result, compiled(op, imm)(*(to_value(k, b) for k, b in zip(params, row))))


def _is_nan(width: int, bits: int) -> bool:
    exp = 0xFF if width == 32 else 0x7FF
    mant = width - (9 if width == 32 else 12)
    return (bits >> mant) & exp == exp and bool(bits & ((1 << mant) - 1))


CANONICAL = {32: is_canonical_nan_f32, 64: is_canonical_nan_f64}
ARITHMETIC = {32: is_arithmetic_nan_f32, 64: is_arithmetic_nan_f64}


def mismatch(op: Op, row: tuple[int, ...], got: int, want: int) -> str | None:
    """Why ``got`` is not an allowed result, or None."""
    if got == want:
        return None
    if op not in NAN_RULE:
        return f"got {got:#x}, want {want:#x}"
    wout, win = NAN_RULE[op]
    mo, mi = (1 << wout) - 1, (1 << win) - 1
    vectors = [b for kind, b in zip(signature(op)[0], row) if kind in SCALAR_OF]
    for lane in range(128 // wout):
        g, w = (got >> (wout * lane)) & mo, (want >> (wout * lane)) & mo
        if not _is_nan(wout, w):
            if g != w:
                return f"lane {lane}: got {g:#x}, want {w:#x}"
            continue
        if not _is_nan(wout, g):
            return f"lane {lane}: got {g:#x}, want a NaN"
        inputs = [(v >> (win * lane)) & mi for v in vectors]
        if all(CANONICAL[win](x) for x in inputs if _is_nan(win, x)):
            if not CANONICAL[wout](g):
                return f"lane {lane}: got {g:#x}, want a canonical NaN"
        elif not ARITHMETIC[wout](g):
            return f"lane {lane}: got {g:#x}, want an arithmetic NaN"
    return None


@pytest.mark.parametrize("op", sorted(SIMD_OPS), ids=lambda op: op.text)
def test_against_reference(op: Op) -> None:
    rng = random.Random(f"simd {op.text}")
    rows = operand_rows(op, rng)
    assert len(rows) <= MAX_ROWS
    failures = []
    for imm in cases_of(op):
        for row, want in zip(rows, reference(op, imm, rows)):
            try:
                problem = mismatch(op, row, ours(op, imm, row), want)
            except Exception as exc:  # a stray exception is a failure too
                problem = f"raised {exc!r}"
            if problem:
                failures.append(f"{op.text}{_immediate_text(imm)} ({', '.join(hex(b) for b in row)}): {problem}")
    assert not failures, f"{len(failures)} wrong:\n" + "\n".join(failures[:10])
