"""Every scalar numeric template against the reference engine (wasmtime).

For each op a tiny Wasm module (built once with wat2wasm) reads operand
tuples from its memory, applies the op and writes the results back, in one
call per batch; floats cross as integer bit patterns (reinterpreted inside
the module), so NaN payloads are compared exactly. A trap stops the batch at
a recorded index, and the batch resumes after it.

Our side evaluates ``SCALAR_OPS[op]`` with only ``HELPERS`` in scope (no
builtins). Results must be bit-identical, except where the spec allows
several NaNs: then the result must be a canonical NaN when every NaN operand
is canonical, and an arithmetic NaN otherwise.
"""

from __future__ import annotations

import functools
import random
import re
import struct
import subprocess
import tempfile
from pathlib import Path

import pytest

from engine.errors import Trap, TrapCode
from engine.numeric import (
    HELPERS,
    SCALAR_OPS,
    f32_from_bits,
    f32_to_bits,
    f64_from_bits,
    f64_to_bits,
    is_arithmetic_nan_f32,
    is_arithmetic_nan_f64,
    is_canonical_nan_f32,
    is_canonical_nan_f64,
)
from engine.syntax.opcodes import ROUNDING_FIRST, Op
from watutil import tool

wasmtime = pytest.importorskip("wasmtime", reason="the reference engine (wasmtime package) is not installed")


WAT2WASM = tool("wat2wasm")
pytestmark = pytest.mark.skipif(WAT2WASM is None, reason="wat2wasm (wabt) is not installed")

WIDE = (Op.I64_ADD128, Op.I64_SUB128, Op.I64_MUL_WIDE_S, Op.I64_MUL_WIDE_U)
# Sign-bit operations and reinterprets are exact on NaNs too.
EXACT_NAN = {Op.F32_ABS, Op.F32_NEG, Op.F32_COPYSIGN, Op.F64_ABS, Op.F64_NEG, Op.F64_COPYSIGN,
             Op.F32_REINTERPRET_I32, Op.F64_REINTERPRET_I64}
DIV_BY_ZERO_OK = {Op.I32_DIV_U, Op.I32_REM_U, Op.I64_DIV_U, Op.I64_REM_U}
COMPARES = re.compile(r"(eqz|eq|ne|lt|gt|le|ge)(_[su])?$")
CONVERSION = re.compile(r"_(i32|i64|f32|f64)(_[su])?$")
UNARY = {"clz", "ctz", "popcnt", "abs", "neg", "ceil", "floor", "trunc", "nearest", "sqrt", "eqz",
         "extend8_s", "extend16_s", "extend32_s"}


def signature(op: Op) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(operand types, result types) of a numeric op, from its text name."""
    head, name = op.text.split(".", 1)
    if op in (Op.I64_ADD128, Op.I64_SUB128):
        return ("i64",) * 4, ("i64", "i64")
    if op in (Op.I64_MUL_WIDE_S, Op.I64_MUL_WIDE_U):
        return ("i64",) * 2, ("i64", "i64")
    conversion = CONVERSION.search(name)
    if conversion:
        return (conversion.group(1),), (head,)
    params = (head,) if name in UNARY else (head, head)
    return params, ("i32",) if COMPARES.fullmatch(name) else (head,)


# -- the reference side ------------------------------------------------------

STRIDE = 48  # four 8-byte operand slots, two 8-byte result slots
MAX_BATCH = 20000
PAGES = (STRIDE * MAX_BATCH + 0xFFFF) // 0x10000


def module_text(op: Op) -> str:
    params, results = signature(op)
    body = []
    for i, t in enumerate(params):
        body += ["local.get $p", f"{'i32' if t[1:] == '32' else 'i64'}.load offset={8 * i}"]
        if t[0] == "f":
            body.append(f"{t}.reinterpret_i{t[1:]}")
    body.append(op.text)
    body += [f"local.set $r{k}" for k in reversed(range(len(results)))]
    for k, t in enumerate(results):
        body += ["local.get $p", f"local.get $r{k}"]
        if t[0] == "f":
            body.append(f"i{t[1:]}.reinterpret_{t}")
        body.append(f"{'i32' if t[1:] == '32' else 'i64'}.store offset={32 + 8 * k}")
    locals_ = " ".join(f"(local $r{k} {t})" for k, t in enumerate(results))
    return f"""(module
  (memory (export "mem") {PAGES})
  (global $next (export "next") (mut i32) (i32.const 0))
  (func (export "run") (param $n i32) (local $i i32) (local $p i32) {locals_}
    global.get $next
    local.set $i
    block $done
      loop $top
        local.get $i
        local.get $n
        i32.ge_u
        br_if $done
        local.get $i
        global.set $next
        local.get $i
        i32.const {STRIDE}
        i32.mul
        local.set $p
        {chr(10).join('        ' + line for line in body).strip()}
        local.get $i
        i32.const 1
        i32.add
        local.set $i
        br $top
      end
    end
    local.get $n
    global.set $next))
"""


@functools.lru_cache(maxsize=None)
def wasm_bytes(op: Op) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp, "m.wat"), Path(tmp, "m.wasm")
        src.write_text(module_text(op))
        subprocess.run([WAT2WASM, "--enable-all", str(src), "-o", str(out)],
                       check=True, capture_output=True)
        return out.read_bytes()


@functools.lru_cache(maxsize=1)
def reference_store():
    config = wasmtime.Config()
    config.wasm_wide_arithmetic = True
    engine = wasmtime.Engine(config)
    return engine, wasmtime.Store(engine)


@functools.lru_cache(maxsize=None)
def reference_instance(op: Op):
    engine, store = reference_store()
    instance = wasmtime.Instance(store, wasmtime.Module(engine, wasm_bytes(op)), [])
    exports = instance.exports(store)
    return exports["run"], exports["mem"], exports["next"]


WASMTIME_TRAPS = {
    "INTEGER_DIVISION_BY_ZERO": TrapCode.INTEGER_DIVIDE_BY_ZERO,
    "INTEGER_OVERFLOW": TrapCode.INTEGER_OVERFLOW,
    "BAD_CONVERSION_TO_INTEGER": TrapCode.BAD_CONVERSION_TO_INTEGER,
}


def reference(op: Op, rows: list[tuple[int, ...]]) -> list[tuple]:
    """Outcomes from wasmtime: ("ok", result bits...) or ("trap", TrapCode)."""
    _, store = reference_store()
    run, mem, nxt = reference_instance(op)
    nres = len(signature(op)[1])
    out: list[tuple] = []
    for start in range(0, len(rows), MAX_BATCH):
        batch = rows[start:start + MAX_BATCH]
        buf = bytearray(STRIDE * len(batch))
        for k, row in enumerate(batch):
            struct.pack_into("<4Q", buf, STRIDE * k, *row, *(0,) * (4 - len(row)))
        mem.write(store, buf, 0)
        traps: dict[int, TrapCode] = {}
        nxt.set_value(store, 0)
        while True:
            try:
                run(store, len(batch))
                break
            except wasmtime.Trap as trap:
                k = nxt.value(store)
                traps[k] = WASMTIME_TRAPS[trap.trap_code.name]
                nxt.set_value(store, k + 1)
        data = mem.read(store, 0, STRIDE * len(batch))
        for k in range(len(batch)):
            if k in traps:
                out.append(("trap", traps[k]))
            else:
                out.append(("ok",) + struct.unpack_from(f"<{nres}Q", data, STRIDE * k + 32))
    return out


# -- our side ----------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def compiled(op: Op):
    source = SCALAR_OPS[op].format("x0", "x1", "x2", "x3")
    return eval(f"lambda x0=0, x1=0, x2=0, x3=0: {source}", {**HELPERS, "__builtins__": {}})


def to_value(t: str, bits: int):
    if t == "f32":
        return f32_from_bits(bits)
    if t == "f64":
        return f64_from_bits(bits)
    return bits


def to_bits(t: str, value) -> int:
    """Bits of a result value, checking it belongs to the representation."""
    if t[0] == "i":
        assert isinstance(value, int) and 0 <= value < 1 << int(t[1:]), f"not an {t}: {value!r}"
        return int(value)
    assert type(value) is float, f"not a float: {value!r}"
    if t == "f64":
        return f64_to_bits(value)
    bits = f32_to_bits(value)
    exact = f64_to_bits(f32_from_bits(bits)) == f64_to_bits(value)
    assert exact, f"not an f32 value: {value!r} ({f64_to_bits(value):#x})"
    return bits


def ours(op: Op, row: tuple[int, ...]) -> tuple:
    params, results = signature(op)
    fn = compiled(op)
    try:
        value = fn(*(to_value(t, b) for t, b in zip(params, row)))
    except Trap as trap:
        return ("trap", trap.code)
    except ZeroDivisionError:
        if op in DIV_BY_ZERO_OK:
            return ("trap", TrapCode.INTEGER_DIVIDE_BY_ZERO)
        raise
    values = value if op in WIDE else (value,)
    assert len(values) == len(results)
    return ("ok",) + tuple(to_bits(t, v) for t, v in zip(results, values))


def is_nan(t: str, bits: int) -> bool:
    if t == "f32":
        return bits & 0x7F800000 == 0x7F800000 and bool(bits & 0x7FFFFF)
    return bits & 0x7FF0000000000000 == 0x7FF0000000000000 and bool(bits & 0xFFFFFFFFFFFFF)


CANONICAL = {"f32": is_canonical_nan_f32, "f64": is_canonical_nan_f64}
ARITHMETIC = {"f32": is_arithmetic_nan_f32, "f64": is_arithmetic_nan_f64}


def mismatch(op: Op, row: tuple[int, ...], got: tuple, want: tuple) -> str | None:
    """Why ``got`` is not an allowed outcome, or None."""
    if got[0] != want[0] or got[0] == "trap":
        return None if got == want else f"got {got}, want {want}"
    params, results = signature(op)
    for t, g, w in zip(results, got[1:], want[1:]):
        if t[0] == "f" and is_nan(t, w) and op not in EXACT_NAN:
            if not is_nan(t, g):
                return f"got {g:#x}, want a NaN"
            nan_inputs = [(pt, b) for pt, b in zip(params, row) if pt[0] == "f" and is_nan(pt, b)]
            if all(CANONICAL[pt](b) for pt, b in nan_inputs):
                if not CANONICAL[t](g):
                    return f"got {g:#x}, want a canonical NaN"
            elif not ARITHMETIC[t](g):
                return f"got {g:#x}, want an arithmetic NaN"
        elif g != w:
            return f"got {g:#x}, want {w:#x}"
    return None


def check(op: Op, rows: list[tuple[int, ...]]) -> None:
    failures = []
    for row, want in zip(rows, reference(op, rows)):
        problem = mismatch(op, row, ours(op, row), want)
        if problem:
            failures.append(f"{op.text}({', '.join(hex(b) for b in row)}): {problem}")
    assert not failures, f"{len(failures)} of {len(rows)} wrong:\n" + "\n".join(failures[:12])


# -- operands ----------------------------------------------------------------

I32_EDGES = sorted({
    0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 30, 31, 32, 33, 63, 64, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF,
    0x8000, 0xFFFF, 0x10000, 0x12345678, 0x40000000, 0x55555555, 0x7FFFFFFF, 0x80000000,
    0x80000001, 0xAAAAAAAA, 0xC0000000, 0xFFFF8000, 0xFFFFFF80, 0xFFFFFFFB, 0xFFFFFFFD,
    0xFFFFFFFE, 0xFFFFFFFF,
})
_TIE = ((1 << 24) | 1) << 38  # halfway between two f32 values near 2**62
I64_EDGES = sorted({
    0, 1, 2, 3, 5, 7, 31, 32, 33, 63, 64, 65, 0x80, 0xFF, 0x8000, 0x7FFFFFFF, 0x80000000,
    0xFFFFFFFF, 0x100000000, 0x0123456789ABCDEF, 0xFEDCBA9876543210, 1 << 53, (1 << 53) + 1,
    (1 << 53) + 3, _TIE, _TIE + 1, _TIE - 1, _TIE + (2 << 38), (-_TIE) & (2**64 - 1),
    (-_TIE - 1) & (2**64 - 1), 0x7FFFFFFFFFFFFFFF, 0x7FFFFF8000000000, 0x7FFFFFC000000000,
    0x8000000000000000, 0x8000000000000001, 0x8000008000000000, 0xFFFFFF8000000000,
    0xFFFFFFFFFFFFFFFB, 0xFFFFFFFFFFFFFFFE, 0xFFFFFFFFFFFFFFFF,
})
F32_EDGES = sorted({
    # zeros, subnormals, normals, ties for nearest, extremes
    0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x00400000, 0x007FFFFF, 0x807FFFFF,
    0x00800000, 0x80800000, 0x3F800000, 0xBF800000, 0x3F800001, 0x3F000000, 0xBF000000,
    0x3FC00000, 0xBFC00000, 0x40200000, 0xC0200000, 0x3EFFFFFF, 0xBEFFFFFF, 0x3F7FFFFF,
    0xBF7FFFFF, 0x40490FDB, 0x33800000, 0x34000000, 0x7E800000, 0x7F7FFFFF, 0xFF7FFFFF,
    0x4B000000, 0x4B000001, 0x4AFFFFFF, 0x4B800000, 0xCB000001, 0xCAFFFFFF,
    # infinities and NaNs: canonical, other quiet, signalling, both signs
    0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000, 0x7FC00001, 0x7FE00000, 0xFFF00001,
    0x7F800001, 0xFF800001, 0x7FA00000, 0xFFBFFFFF,
    # truncation bounds: just inside and just outside
    0x4F000000, 0x4EFFFFFF, 0xCF000000, 0xCF000001, 0x4F800000, 0x4F7FFFFF, 0x5F000000, 0x5EFFFFFF, 0xDF000000, 0xDF000001, 0x5F800000, 0x5F7FFFFF,
})
F64_EDGES = sorted({
    0x0000000000000000, 0x8000000000000000, 0x0000000000000001, 0x8000000000000001,
    0x000FFFFFFFFFFFFF, 0x0010000000000000, 0x3FF0000000000000, 0xBFF0000000000000,
    0x3FE0000000000000, 0xBFE0000000000000, 0x3FF8000000000000, 0xBFF8000000000000,
    0x4004000000000000, 0xC004000000000000, 0x3FDFFFFFFFFFFFFF, 0xBFDFFFFFFFFFFFFF,
    0x3FEFFFFFFFFFFFFF, 0xBFEFFFFFFFFFFFFF, 0x400921FB54442D18, 0x7FEFFFFFFFFFFFFF,
    0xFFEFFFFFFFFFFFFF, 0x7E37E43C8800759C, 0x01A56E1FC2F8F359,
    0x4330000000000000, 0x432FFFFFFFFFFFFF, 0x4330000000000001, 0xC330000000000001,
    0x4340000000000000, 0xC32FFFFFFFFFFFFF,
    # infinities and NaNs
    0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000, 0xFFF8000000000000,
    0x7FF8000000000001, 0x7FFC000000000000, 0xFFF8000020000000, 0x7FF0000000000001,
    0xFFF0000000000001, 0x7FF4000000000000, 0x7FF0000020000000,
    # truncation bounds
    0x41E0000000000000, 0x41DFFFFFFFFFFFFF, 0xC1E0000000000000, 0xC1E0000000200000,
    0xC1E00000001FFFFF, 0x41F0000000000000, 0x41EFFFFFFFFFFFFF, 0x43E0000000000000,
    0x43DFFFFFFFFFFFFF, 0xC3E0000000000000, 0xC3E0000000000001, 0x43F0000000000000,
    0x43EFFFFFFFFFFFFF,
    # demotion: f32 max, the overflow tie, subnormal ties, rounding ties
    0x47EFFFFFE0000000, 0x47EFFFFFF0000000, 0x47EFFFFFEFFFFFFF, 0x36A0000000000000,
    0x3690000000000000, 0x3690000000000001, 0x36A8000000000000, 0x3FF0000010000000,
    0x3FF0000030000000, 0x3FF0000010000001,
})
EDGES = {"i32": I32_EDGES, "i64": I64_EDGES, "f32": F32_EDGES, "f64": F64_EDGES}
WIDE_EDGES = (0, 1, 0x100000000, 0x123456789ABCDEF0, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000,
              0xFFFFFFFFFFFFFFFE, 0xFFFFFFFFFFFFFFFF)


def edge_rows(op: Op) -> list[tuple[int, ...]]:
    params, _ = signature(op)
    if len(params) == 4:
        return [(a, b, c, d) for a in WIDE_EDGES for b in WIDE_EDGES for c in WIDE_EDGES for d in WIDE_EDGES]
    if len(params) == 2:
        return [(a, b) for a in EDGES[params[0]] for b in EDGES[params[1]]]
    return [(a,) for a in EDGES[params[0]]]


def random_int(rng: random.Random, n: int) -> int:
    mask = (1 << n) - 1
    kind = rng.randrange(6 if n == 64 else 5)
    if kind == 5:  # near an f32 rounding tie, beyond 53 bits: double rounding bait
        top = (1 << 24) | rng.getrandbits(24) | 1
        return ((top << rng.randrange(29, 40)) + rng.choice((0, 1, -1, rng.getrandbits(8)))) & mask
    if kind == 0:
        return rng.getrandbits(n)
    if kind == 1:
        return rng.randrange(0, 2 * n + 2)
    if kind == 2:
        return ((1 << rng.randrange(n)) + rng.randrange(-2, 3)) & mask
    if kind == 3:
        return -rng.randrange(1, 1 << rng.randrange(1, n)) & mask
    return rng.getrandbits(rng.randrange(1, n + 1))


def random_float(rng: random.Random, t: str) -> int:
    if t == "f32":
        width, mant, bias = 32, 23, 127
        to_bits_of = f32_to_bits
    else:
        width, mant, bias = 64, 52, 1023
        to_bits_of = f64_to_bits
    sign = rng.getrandbits(1) << (width - 1)
    exp_all = (1 << (width - 1 - mant)) - 1
    kind = rng.randrange(8)
    if kind == 0:
        return rng.getrandbits(width)
    if kind == 1:  # NaN, any payload
        return sign | exp_all << mant | (rng.getrandbits(mant) or 1)
    if kind == 2:
        return rng.choice(EDGES[t])
    if kind == 3:  # an integer, or an integer and a half
        v = float(rng.randrange(-(1 << rng.randrange(1, 66)), 1 << rng.randrange(1, 66)))
        v += rng.choice((0.0, 0.5, 0.25))
        return to_bits_of(v)  # f32: rounded to the nearest f32
    # moderate magnitudes: 2**-40 .. 2**70
    exp = rng.randrange(bias - 40, bias + 70)
    return sign | exp << mant | rng.getrandbits(mant)


def random_rows(op: Op, count: int) -> list[tuple[int, ...]]:
    rng = random.Random(f"numeric:{op.text}")
    params, _ = signature(op)
    rows = []
    for _ in range(count):
        rows.append(tuple(random_int(rng, int(t[1:])) if t[0] == "i" else random_float(rng, t)
                          for t in params))
    return rows


# The reference engine has no rounding-mode-control instructions: those are
# checked against exact rational arithmetic in test_rounding.py.
ROUNDING_OPS = {op for op in SCALAR_OPS if op >> 12 == 0xFC and op & 0xFFF >= ROUNDING_FIRST}
ALL_OPS = sorted((op for op in SCALAR_OPS if op not in ROUNDING_OPS), key=lambda o: o.value)


@pytest.mark.parametrize("op", ALL_OPS, ids=lambda o: o.text)
def test_edges_match_reference(op):
    check(op, edge_rows(op))


@pytest.mark.parametrize("op", ALL_OPS, ids=lambda o: o.text)
def test_random_match_reference(op):
    check(op, random_rows(op, 2000))


def test_checker_can_fail():
    """The comparison is strict: a wrong template is caught."""
    saved = {op: SCALAR_OPS[op] for op in (Op.I32_SHR_S, Op.F32_ADD)}
    compiled.cache_clear()
    try:
        SCALAR_OPS[Op.I32_SHR_S] = "({0} >> ({1} & 31))"  # logical, not arithmetic
        with pytest.raises(AssertionError):
            check(Op.I32_SHR_S, edge_rows(Op.I32_SHR_S))
        SCALAR_OPS[Op.F32_ADD] = "({0} + {1})"  # unrounded: not an f32 value
        with pytest.raises(AssertionError):
            check(Op.F32_ADD, [(0x3F800000, 0x33000001)])
    finally:
        SCALAR_OPS.update(saved)
        compiled.cache_clear()
