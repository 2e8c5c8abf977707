"""Memories past 4 GiB (memory64), and the two representations of a
memory's bytes (engine.runtime.membytes): bounds exact at every size, growth
past 65,536 pages, bulk operations, atomics, SIMD, data segments and host
access above 4 GiB, untouched pages that cost no host memory, and the caps.

The memories here reserve up to 8 GiB of address space but touch a few
pages; they run where the OS lets a 64-bit process map that much lazily
(the fixture ``big`` skips elsewhere, with the reason).
"""

from __future__ import annotations

import json
import mmap
import os
import subprocess
import sys
import textwrap

import pytest

import engine
from engine import Config, Engine, Linker, Module, Store, StoreLimits, Trap, TrapCode
from engine.runtime import membytes

GIB = 1 << 30
PAGE = 1 << 16
FOUR_GIB_PAGES = 65536


@pytest.fixture(scope="module")
def big() -> None:
    """Skip unless this host maps 8 GiB of untouched memory."""
    if sys.maxsize < 1 << 40:
        pytest.skip("needs a 64-bit host")
    try:
        m = membytes.allocate(8 * GIB, membytes.BYTEARRAY_MAX)
    except membytes.GROW_ERRORS as e:
        pytest.skip(f"the OS refuses an 8 GiB anonymous mapping: {e}")
    m.close()


def instance(wat: str, *, cap: int = 16 * GIB, limits: StoreLimits | None = None):
    eng = Engine(Config(max_memory_bytes=cap))
    store = Store(eng, limits=limits) if limits is not None else Store(eng)
    return store, Linker(eng).instantiate(store, Module(eng, wat)).exports(store)


ACCESS = """
  (func (export "ld64") (param i64) (result i64) (i64.load (local.get 0)))
  (func (export "ld8") (param i64) (result i32) (i32.load8_u (local.get 0)))
  (func (export "ldf32") (param i64) (result i32) (i32.reinterpret_f32 (f32.load (local.get 0))))
  (func (export "st64") (param i64 i64) (i64.store (local.get 0) (local.get 1)))
  (func (export "st8") (param i64 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "stf32") (param i64 i32) (f32.store (local.get 0) (f32.reinterpret_i32 (local.get 1))))
  (func (export "ldv") (param i64) (result i64) (i64x2.extract_lane 1 (v128.load (local.get 0))))
  (func (export "stv") (param i64 i64) (v128.store (local.get 0) (i64x2.splat (local.get 1))))
  (func (export "size") (result i64) (memory.size))
  (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0)))
  (func (export "fill") (param i64 i32 i64) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy") (param i64 i64 i64) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
  (func (export "rmw") (param i64 i64) (result i64) (i64.atomic.rmw.add (local.get 0) (local.get 1)))
"""


def memory64(pages: int, maximum: str = "", extra: str = "") -> str:
    return f'(module (memory (export "mem") i64 {pages} {maximum}) {ACCESS} {extra})'


def trap(fn, store, *args) -> TrapCode:
    with pytest.raises(Trap) as info:
        fn(store, *args)
    return info.value.code


def test_boundary_above_4gib_is_exact(big):
    store, ex = instance(memory64(FOUR_GIB_PAGES + 1))
    size = (FOUR_GIB_PAGES + 1) * PAGE
    assert ex["size"](store) == FOUR_GIB_PAGES + 1
    assert isinstance(ex["mem"].data, mmap.mmap)
    ex["st64"](store, size - 8, -0x0123456789ABCDF0)
    assert ex["ld64"](store, size - 8) == -0x0123456789ABCDF0
    ex["st8"](store, size - 1, 0x1AB)
    assert ex["ld8"](store, size - 1) == 0xAB
    ex["stf32"](store, size - 4, 0x7FA00001)              # a signalling NaN, bit-exact
    assert ex["ldf32"](store, size - 4) & 0xFFFFFFFF == 0x7FA00001
    ex["stv"](store, size - 16, 0x55AA)
    assert ex["ldv"](store, size - 16) == 0x55AA
    before = ex["mem"].read(store, size - 16, size)
    for fn, args in (("ld64", (size - 7,)), ("ld8", (size,)), ("ldv", (size - 15,)),
                     ("st64", (size - 7, -1)), ("st8", (size, 1)), ("stv", (size - 15, -1)),
                     ("ld64", (2 ** 64 - 1,)), ("st8", (2 ** 63, 1)),
                     ("fill", (size - 1, 7, 2)), ("copy", (0, size - 1, 2)),
                     ("rmw", (size, 1))):
        assert trap(ex[fn], store, *args) is TrapCode.MEMORY_OUT_OF_BOUNDS, fn
    assert ex["mem"].read(store, size - 16, size) == before   # no partial write


def test_grow_past_65536_pages(big):
    store, ex = instance(memory64(FOUR_GIB_PAGES - 1))
    ex["st64"](store, (FOUR_GIB_PAGES - 1) * PAGE - 16, 42)
    assert ex["grow"](store, 2) == FOUR_GIB_PAGES - 1
    assert ex["size"](store) == FOUR_GIB_PAGES + 1
    top = (FOUR_GIB_PAGES + 1) * PAGE
    assert ex["ld64"](store, (FOUR_GIB_PAGES - 1) * PAGE - 16) == 42
    assert ex["ld64"](store, top - 8) == 0                 # new pages are zero
    ex["st64"](store, top - 8, 7)
    assert ex["ld64"](store, top - 8) == 7
    assert trap(ex["ld8"], store, top) is TrapCode.MEMORY_OUT_OF_BOUNDS
    # growth up to 8 GiB, then the declared maximum stops it
    store, ex = instance(memory64(1, "131072"))
    assert ex["grow"](store, 131071) == 1
    assert ex["grow"](store, 1) == -1
    assert ex["size"](store) == 131072


def test_bulk_atomics_data_and_host_access_above_4gib(big):
    extra = '(data (i64.const 0x1_0000_0000) "\\01\\02\\03\\04")'
    store, ex = instance(memory64(FOUR_GIB_PAGES + 2, extra=extra))
    mem = ex["mem"]
    at = 4 * GIB
    assert mem.read(store, at, at + 4) == b"\x01\x02\x03\x04"      # the data segment
    ex["copy"](store, at - 2, at, 4)                                # across the 4 GiB line
    assert mem.read(store, at - 2, at + 4) == b"\x01\x02\x03\x04\x03\x04"
    ex["fill"](store, at + 100, 0x1EE, 3)
    assert mem.read(store, at + 99, at + 104) == b"\x00\xee\xee\xee\x00"
    ex["st64"](store, at + 8, 5)
    assert ex["rmw"](store, at + 8, 10) == 5 and ex["ld64"](store, at + 8) == 15
    mem.write(store, b"host", at + 200)
    assert ex["ld8"](store, at + 203) == ord("t")
    assert mem.data_len(store) == (FOUR_GIB_PAGES + 2) * PAGE
    # reads index like slices (clipped to the memory), writes past the end fail
    end = mem.data_len(store)
    assert mem.read(store, end - 1, end + 1) == b"\x00"
    with pytest.raises(engine.UsageError):
        mem.write(store, b"ab", end - 1)


def test_an_8gib_memory_with_a_few_touched_pages_costs_little(big):
    """The RSS the memory adds, measured in a fresh interpreter."""
    if not os.path.exists("/proc/self/status"):
        pytest.skip("no /proc/self/status to read VmRSS from")
    script = textwrap.dedent("""
        import json, engine
        def rss():
            with open("/proc/self/status") as fh:
                return next(int(l.split()[1]) * 1024 for l in fh if l.startswith("VmRSS:"))
        wat = '''(module (memory (export "mem") i64 131072)
          (func (export "st") (param i64 i64) (i64.store (local.get 0) (local.get 1)))
          (func (export "ld") (param i64) (result i64) (i64.load (local.get 0))))'''
        eng = engine.Engine(engine.Config(max_memory_bytes=16 << 30))
        store = engine.Store(eng)
        module = engine.Module(eng, wat)
        before = rss()
        ex = engine.Linker(eng).instantiate(store, module).exports(store)
        places = [0, 1 << 32, 5 << 30, (8 << 30) - 8]
        for i, a in enumerate(places):
            ex["st"](store, a, i + 1)
        ok = [ex["ld"](store, a) for a in places] == [1, 2, 3, 4]
        print(json.dumps({"added": rss() - before, "ok": ok,
                          "size": ex["mem"].data_len(store)}))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    assert result["ok"] and result["size"] == 8 * GIB
    assert result["added"] < 32 << 20, f"an 8 GiB memory with 4 touched pages added {result['added']} bytes"


def test_store_limits_and_the_engine_cap_still_apply(big):
    # instantiation past a cap fails; growth past it returns -1
    with pytest.raises(engine.InstantiationError):
        instance(memory64(FOUR_GIB_PAGES + 1), limits=StoreLimits(memory_size=4 * GIB))
    with pytest.raises(engine.InstantiationError):
        instance(memory64(FOUR_GIB_PAGES + 1), cap=4 * GIB)
    store, ex = instance(memory64(FOUR_GIB_PAGES), limits=StoreLimits(memory_size=5 * GIB))
    assert ex["grow"](store, FOUR_GIB_PAGES // 4) == FOUR_GIB_PAGES
    assert ex["grow"](store, 1) == -1
    store.set_limits(memory_size=6 * GIB)
    assert ex["grow"](store, 1) == FOUR_GIB_PAGES * 5 // 4
    assert ex["size"](store) == FOUR_GIB_PAGES * 5 // 4 + 1


def test_the_default_cap():
    host = membytes.host_memory()
    expected = 4 * GIB if host is None else max(4 * GIB, host // 2)
    assert Config().max_memory_bytes == expected == membytes.default_max_bytes()


def test_a_bytearray_memory_becomes_a_mapping_past_the_bound():
    pages = membytes.BYTEARRAY_MAX // PAGE
    store, ex = instance(f"""(module (memory (export "mem") {pages})
      (func (export "ld8") (param i32) (result i32) (i32.load8_u (local.get 0)))
      (func (export "st8") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))""")
    mem = ex["mem"]
    assert type(mem.data) is bytearray
    ex["st8"](store, membytes.BYTEARRAY_MAX - 1, 0x5A)
    assert ex["grow"](store, 1) == pages
    assert isinstance(mem.data, mmap.mmap) and len(mem.data) == membytes.BYTEARRAY_MAX + PAGE
    assert ex["ld8"](store, membytes.BYTEARRAY_MAX - 1) == 0x5A     # copied
    ex["st8"](store, membytes.BYTEARRAY_MAX + 5, 0x33)              # the code follows the new bytes
    assert mem.read(store, membytes.BYTEARRAY_MAX + 5, membytes.BYTEARRAY_MAX + 6) == b"\x33"
    assert trap(ex["ld8"], store, membytes.BYTEARRAY_MAX + PAGE) is TrapCode.MEMORY_OUT_OF_BOUNDS


def test_small_memories_stay_bytearrays_and_grow_in_place():
    store, ex = instance(memory64(1, "100"))
    data = ex["mem"].data
    assert type(data) is bytearray
    assert ex["grow"](store, 10) == 1
    assert ex["mem"].data is data and len(data) == 11 * PAGE


def test_a_large_shared_memory_is_a_mapping_that_never_moves(big):
    wat = """(module (memory (export "mem") i64 1 131072 shared)
      (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0))))"""
    store, ex = instance(wat)
    data = ex["mem"].data
    assert isinstance(data, mmap.mmap) and len(data) == PAGE
    assert ex["grow"](store, FOUR_GIB_PAGES) == 1
    assert ex["mem"].data is data and len(data) == (FOUR_GIB_PAGES + 1) * PAGE
    # empty, it may start as a bytearray: nothing can be lost when it switches
    wat0 = wat.replace("i64 1 131072", "i64 0 131072")
    store, ex = instance(wat0)
    assert len(ex["mem"].data) == 0
    assert ex["grow"](store, 1) == 0 and isinstance(ex["mem"].data, mmap.mmap)


def test_growth_a_host_view_blocks_fails_cleanly(big):
    store, ex = instance(memory64(FOUR_GIB_PAGES + 1))
    view = memoryview(ex["mem"].data)      # an exported buffer: the mapping cannot move
    assert ex["grow"](store, 1) == -1
    view.release()
    assert ex["grow"](store, 1) == FOUR_GIB_PAGES + 1
