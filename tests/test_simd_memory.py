"""SIMD memory templates: results against wasmtime, and bounds.

Every load, store and lane access runs in wasmtime and through our template
on the same memory image, at several addresses; the loaded vector and the
whole memory afterwards must be identical. Out of bounds, our templates
must raise one of the exceptions the runtime maps to the out-of-bounds trap,
and leave the memory untouched (no partial store).
"""

from __future__ import annotations

import functools
import random
import struct
import subprocess
import tempfile
from pathlib import Path

import pytest

from engine.errors import Trap, TrapCode
from engine.numeric.simd import SIMD_HELPERS, SIMD_MEMORY, SIMD_STORES
from engine.syntax.opcodes import Op
from test_simd import WAT2WASM

wasmtime = pytest.importorskip("wasmtime", reason="the reference engine (wasmtime package) is not installed")
pytestmark = pytest.mark.skipif(WAT2WASM is None, reason="wat2wasm (wabt) is not installed")

LANE_WIDTH = {"8": 8, "16": 16, "32": 32, "64": 64}
VEC_AT, RESULT_AT, REGION, REGION_SIZE = 0, 16, 64, 512


def lane_count(op: Op) -> int:
    """Lanes of a lane load/store (0 for the other memory ops)."""
    name = op.text.split(".", 1)[1]
    if not name.endswith("_lane"):
        return 0
    width = int(name.split("_")[0].removeprefix("load").removeprefix("store"))
    return 128 // width


CASES = [(op, lane) for op in sorted(SIMD_MEMORY) for lane in (range(lane_count(op)) or [None])]
INDEX = {case: k for k, case in enumerate(CASES)}


def function_text(k: int, op: Op, lane: int | None) -> str:
    lane_imm = f" {lane}" if lane is not None else ""
    vec = f"i32.const {VEC_AT} v128.load"
    if op in SIMD_STORES:
        body = f"local.get $a {vec} {op.text} align=1{lane_imm}"
    elif lane is not None:
        body = f"i32.const {RESULT_AT} local.get $a {vec} {op.text} align=1{lane_imm} v128.store"
    else:
        body = f"i32.const {RESULT_AT} local.get $a {op.text} align=1 v128.store"
    return f'\n  (func (export "f{k}") (param $a i32) {body})'


@functools.lru_cache(maxsize=1)
def reference_instance():
    text = '(module (memory (export "mem") 1)' + "".join(
        function_text(k, op, lane) for k, (op, lane) in enumerate(CASES)) + ")"
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp, "m.wat"), Path(tmp, "m.wasm")
        src.write_text(text)
        subprocess.run([WAT2WASM, "--enable-all", str(src), "-o", str(out)], check=True, capture_output=True)
        wasm = out.read_bytes()
    config = wasmtime.Config()
    config.wasm_simd = True
    engine = wasmtime.Engine(config)
    store = wasmtime.Store(engine)
    instance = wasmtime.Instance(store, wasmtime.Module(engine, wasm), [])
    return store, instance.exports(store)


def run_ours(op: Op, lane: int | None, mem: bytearray, addr: int, vec: int) -> int | None:
    """Apply our template; returns the loaded vector (None for stores)."""
    source = SIMD_MEMORY[op].format(m="mem", a="addr", v="vec", lane=lane)
    ns = {**SIMD_HELPERS, "__builtins__": {}, "mem": mem, "addr": addr, "vec": vec}
    if op in SIMD_STORES:
        exec(source, ns)
        return None
    value = eval(source, ns)
    assert type(value) is int and 0 <= value < 1 << 128
    return value


@pytest.mark.parametrize("op", sorted(SIMD_MEMORY), ids=lambda op: op.text)
def test_against_reference(op: Op) -> None:
    store, exports = reference_instance()
    mem_ref = exports["mem"]
    rng = random.Random(f"simd memory {op.text}")
    for lane in range(lane_count(op)) or [None]:
        run = exports[f"f{INDEX[(op, lane)]}"]
        for trial in range(12):
            image = bytearray(rng.getrandbits(8) for _ in range(REGION + REGION_SIZE))
            if trial % 3 == 0:  # f32 signalling NaNs and other special patterns
                for at in range(REGION, len(image) - 4, 4):
                    struct.pack_into("<I", image, at, rng.choice([0x7F800001, 0xFFA00000, 0x7FC00000, 0x80000000]))
            vec = int.from_bytes(image[VEC_AT:VEC_AT + 16], "little")
            addr = REGION + rng.randrange(REGION_SIZE - 16)
            mem_ref.write(store, bytes(image), 0)
            run(store, addr)
            want_mem = bytearray(mem_ref.read(store, 0, len(image)))
            mine = bytearray(image)
            got = run_ours(op, lane, mine, addr, vec)
            if got is not None:
                want = int.from_bytes(want_mem[RESULT_AT:RESULT_AT + 16], "little")
                assert got == want, f"{op.text} {lane} @{addr}: {got:#x} != {want:#x}"
                mine[RESULT_AT:RESULT_AT + 16] = got.to_bytes(16, "little")
            assert mine == want_mem, f"{op.text} {lane} @{addr}: memory differs"


def access_size(op: Op) -> int:
    name = op.text.split(".", 1)[1]
    for prefix in ("load", "store"):
        name = name.removeprefix(prefix)
    if name in ("", "8x8_s", "8x8_u", "16x4_s", "16x4_u", "32x2_s", "32x2_u"):
        return 8 if name else 16
    return int(name.split("_")[0]) // 8


OUT_OF_BOUNDS = (struct.error, IndexError, OverflowError, Trap)


@pytest.mark.parametrize("op", sorted(SIMD_MEMORY), ids=lambda op: op.text)
def test_bounds(op: Op) -> None:
    size = access_size(op)
    length = 40
    lane = 0 if lane_count(op) else None
    vec = (1 << 128) - 1
    base = bytearray(range(length))
    # the last in-bounds address works
    mem = bytearray(base)
    run_ours(op, lane, mem, length - size, vec)
    for addr in [length - size + 1, length - 1, length, length + 100, 2**32 - 1, 2**32 + 3,
                 2**63 - 1, 2**63, 2**64 + 7]:
        if addr + size <= length:
            continue
        mem = bytearray(base)
        with pytest.raises(OUT_OF_BOUNDS) as info:
            run_ours(op, lane, mem, addr, vec)
        if isinstance(info.value, Trap):
            assert info.value.code is TrapCode.MEMORY_OUT_OF_BOUNDS
        assert mem == base, f"{op.text} @{addr}: partial write"
