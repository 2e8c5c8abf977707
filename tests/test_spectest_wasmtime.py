"""The reference adapter end to end on small scripts, and the strictness of
the harness: adapters that corrupt one result in a small way (one f32 bit,
an arithmetic NaN for a canonical one, two v128 lanes swapped, an invalid
module accepted) must each be caught."""

import shutil
import sys
from pathlib import Path

import pytest

pytest.importorskip("wasmtime", reason="wasmtime package not installed (the 'reference' extra)")

from spectest.adapters.wasmtime import WasmtimeAdapter  # noqa: E402
from spectest.convert import Converter  # noqa: E402
from spectest.outcomes import Rejected  # noqa: E402
from spectest.results import FAILED, PASSED  # noqa: E402
from spectest.runner import run_file  # noqa: E402
from spectest.values import Num, Vec, vec_from_lanes, vec_lanes  # noqa: E402

HAVE_TOOLS = any(shutil.which(t, path=str(Path(sys.executable).parent)) or shutil.which(t)
                 for t in ("wast2json", "wasm-tools"))
pytestmark = pytest.mark.skipif(not HAVE_TOOLS, reason="neither wast2json nor wasm-tools installed")

STRICT = """
(module
  (func (export "one-and-half") (result f32) (f32.const 1.5))
  (func (export "nan") (param f32) (result f32) (f32.div (local.get 0) (local.get 0)))
  (func (export "vec") (result v128) (v128.const i32x4 1 2 3 4))
)
(assert_return (invoke "one-and-half") (f32.const 1.5))
(assert_return (invoke "nan" (f32.const 0)) (f32.const nan:canonical))
(assert_return (invoke "vec") (v128.const i32x4 1 2 3 4))
(assert_invalid (module (func (result i32))) "type mismatch")
"""
LINE = {"f32": 7, "canonical": 8, "vec": 9, "invalid": 10}


@pytest.fixture(scope="module")
def converter(tmp_path_factory):
    return Converter(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def wasmtime_adapter():
    return WasmtimeAdapter()


def run_text(tmp_path, converter, adapter, text, name="s.wast"):
    path = tmp_path / name
    path.write_text(text)
    return run_file(path, name, "other", adapter, converter)


# --- strictness -------------------------------------------------------------------


class Corrupting:
    """Wraps the wasmtime adapter; ``mutate`` rewrites invoke results,
    ``accept_invalid`` turns rejected modules into accepted ones."""

    name = "corrupting"
    reads_text = True
    checks_custom = False
    unsupported_proposals = frozenset()

    def __init__(self, inner, mutate=None, accept_invalid=False):
        self.inner, self.mutate, self.accept_invalid = inner, mutate, accept_invalid

    def session(self, disabled=frozenset()):
        outer = self
        inner = self.inner.session()

        class Session:
            def compile(self, source):
                try:
                    return inner.compile(source)
                except Rejected:
                    if outer.accept_invalid:
                        return object()
                    raise

            def instantiate(self, module):
                return inner.instantiate(module)

            def register(self, name, instance):
                inner.register(name, instance)

            def invoke(self, instance, field, args, hints=None):
                results = inner.invoke(instance, field, args, hints)
                return [outer.mutate(v) for v in results] if outer.mutate else results

            def get(self, instance, field, hint=None):
                return inner.get(instance, field, hint)

            def close(self):
                inner.close()

        return Session()


def flip_f32_bit(v):
    return Num("f32", v.bits ^ 1) if isinstance(v, Num) and v.type == "f32" and v.bits == 0x3FC00000 else v


def arithmetic_for_canonical(v):
    if isinstance(v, Num) and v.type == "f32" and v.bits & 0x7FFFFFFF == 0x7FC00000:
        return Num("f32", v.bits | 1)  # still a quiet (arithmetic) NaN, no longer canonical
    return v


def swap_lanes(v):
    if isinstance(v, Vec):
        lanes = vec_lanes(v.bits, "i32")
        lanes[0], lanes[1] = lanes[1], lanes[0]
        return Vec(vec_from_lanes("i32", lanes))
    return v


def test_the_reference_passes_the_strictness_script(tmp_path, converter, wasmtime_adapter):
    result = run_text(tmp_path, converter, wasmtime_adapter, STRICT)
    assert [r.status for r in result.results] == [PASSED] * 5, result.failures()


@pytest.mark.parametrize("mutate,accept_invalid,line", [
    (flip_f32_bit, False, LINE["f32"]),
    (arithmetic_for_canonical, False, LINE["canonical"]),
    (swap_lanes, False, LINE["vec"]),
    (None, True, LINE["invalid"]),
], ids=["f32-bit-flip", "arithmetic-nan-for-canonical", "v128-lane-swap", "invalid-accepted"])
def test_each_corruption_is_caught(tmp_path, converter, wasmtime_adapter, mutate, accept_invalid, line):
    adapter = Corrupting(wasmtime_adapter, mutate, accept_invalid)
    result = run_text(tmp_path, converter, adapter, STRICT)
    failed = {r.line for r in result.results if r.status == FAILED}
    assert failed == {line}, result.results


# --- the adapter's host boundary ---------------------------------------------------

BOUNDARY = """
(module
  (func (export "f32-id") (param f32) (result f32) (local.get 0))
  (func (export "v128-id") (param v128) (result v128) (local.get 0))
  (func (export "multi") (param i64 f32 v128) (result v128 f32 i64)
    (local.get 2) (local.get 1) (local.get 0))
  (global (export "g-snan") f32 (f32.const nan:0x200000))
  (global (export "g-v128") v128 (v128.const i64x2 -1 2))
)
(assert_return (invoke "f32-id" (f32.const nan:0x200000)) (f32.const nan:0x200000))
(assert_return (invoke "f32-id" (f32.const -nan:0x1)) (f32.const -nan:0x1))
(assert_return (invoke "v128-id" (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 -1))
                                 (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 -1))
(assert_return (invoke "multi" (i64.const -5) (f32.const nan:0x1) (v128.const f64x2 -0 nan:0x1))
               (v128.const f64x2 -0 nan:0x1) (f32.const nan:0x1) (i64.const -5))
(assert_return (get "g-snan") (f32.const nan:0x200000))
(assert_return (get "g-v128") (v128.const i64x2 -1 2))
"""


def test_signalling_nans_and_vectors_cross_the_boundary_exactly(tmp_path, converter, wasmtime_adapter):
    result = run_text(tmp_path, converter, wasmtime_adapter, BOUNDARY)
    assert result.failed == 0 and result.skipped == 0, result.failures()
    assert result.passed == 7


GC = """
(module
  (type $s (struct (field i32)))
  (type $a (array i8))
  (func (export "struct") (result anyref) (struct.new $s (i32.const 7)))
  (func (export "array") (result eqref) (array.new_default $a (i32.const 1)))
  (func (export "i31") (result (ref i31)) (ref.i31 (i32.const 7)))
  (func (export "null") (result (ref null $s)) (ref.null $s))
  (func (export "internalize") (param externref) (result anyref) (any.convert_extern (local.get 0)))
  (func (export "externalize") (param anyref) (result externref) (extern.convert_any (local.get 0)))
  (func (export "externalize-i31") (result externref) (extern.convert_any (ref.i31 (i32.const 1))))
  (func (export "get") (result i32) (struct.get $s 0 (struct.new $s (i32.const 7))))
)
(assert_return (invoke "struct") (ref.struct))
(assert_return (invoke "array") (ref.array))
(assert_return (invoke "array") (ref.eq))
(assert_return (invoke "i31") (ref.i31))
(assert_return (invoke "null") (ref.null none))
(assert_return (invoke "internalize" (ref.extern 1)) (ref.host 1))
(assert_return (invoke "externalize" (ref.host 2)) (ref.extern 2))
(assert_return (invoke "externalize-i31") (ref.extern))
(assert_return (invoke "get") (i32.const 7))
(assert_return (invoke "struct") (ref.array))
(assert_return (invoke "internalize" (ref.extern 1)) (ref.host 2))
"""


def test_gc_references_are_classified(tmp_path, converter, wasmtime_adapter):
    result = run_text(tmp_path, converter, wasmtime_adapter, GC)
    # wabt cannot parse GC instructions: this also exercises the fallback
    assert result.converter == "wasm-tools"
    statuses = [r.status for r in result.results]
    assert statuses == [PASSED] * 10 + [FAILED, FAILED], result.results
    assert "expected ref.array, got ref.struct" in result.results[-2].message


def test_engine_outcomes(tmp_path, converter, wasmtime_adapter):
    text = """
    (module
      (tag $t)
      (func $r (export "recurse") (call $r))
      (func (export "throw") (throw $t))
      (func (export "div") (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
    )
    (assert_exhaustion (invoke "recurse") "call stack exhausted")
    (assert_trap (invoke "recurse") "call stack exhausted")
    (assert_exception (invoke "throw"))
    (assert_trap (invoke "div" (i32.const 0)) "integer divide by zero")
    (assert_trap (invoke "div" (i32.const 1)) "integer divide by zero")
    (assert_unlinkable (module (import "spectest" "nope" (func))) "unknown import")
    (assert_trap (module (memory 1) (data (i32.const 65536) "x")) "out of bounds memory access")
    (assert_malformed (module binary "\\00asm") "unexpected end")
    (module (import "spectest" "print_i32" (func (param i32))) (import "spectest" "table64" (table i64 10 funcref)))
    """
    result = run_text(tmp_path, converter, wasmtime_adapter, text)
    by_line = {r.line: r for r in result.results}
    assert [r.status for r in result.results] == [
        PASSED, PASSED, FAILED, PASSED, PASSED, FAILED, PASSED, PASSED, PASSED, PASSED], result.results
    assert "expected trap (call stack exhausted), got exhaustion" in by_line[9].message
    assert "got a normal return (i32 1" in by_line[12].message
