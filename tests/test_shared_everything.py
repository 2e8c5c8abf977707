"""The shared-everything-threads proposal: shared types, globals, tables,
functions, the atomic accesses to globals, tables, structs and arrays,
``ref.i31_shared`` and ``pause``: binary and text forms, validation (the
sharedness rules), execution, and atomicity on real Python threads."""

from __future__ import annotations

import threading

import pytest

from engine import Engine, Linker, Module, Store, Trap
from engine.binary import decode_module
from engine.errors import InvalidError, MalformedError
from engine.syntax.opcodes import MemoryOrder, Op
from engine.syntax.types import AbsHeapType, GlobalType, RefType, TableType
from engine.text import parse_module
from engine.valid import validate_module

A = AbsHeapType


def _valid(text: str) -> None:
    validate_module(decode_module(parse_module(text)))


def _invalid(text: str) -> str:
    with pytest.raises(InvalidError) as info:
        _valid(text)
    return str(info.value)


# --- binary and text forms ---------------------------------------------------------


def test_binary_encodings() -> None:
    """The encodings wasm-tools writes: 0x65 before a shared abstract heap
    type (also as the nullable shorthand) and before a shared composite type,
    bit 1 of a global's flags and of a table's limits flags, one ordering
    byte after an atomic opcode."""
    wasm = parse_module("""(module
      (type $f (shared (func)))
      (global $g (shared mut (ref null (shared func))) (ref.null (shared func)))
      (table shared 1 2 (ref null (shared any)))
      (func (type $f))
      (func (param i32) (result i32) (global.atomic.rmw.add acq_rel $h (local.get 0)))
      (global $h (shared mut i32) (i32.const 0)))""")
    assert b"\x65\x60\x00\x00" in wasm  # (shared (func))
    assert b"\x65\x70\x03\xd0\x65\x70\x0b" in wasm  # (shared mut (shared funcref)) = ref.null (shared func)
    assert b"\x65\x6e\x03\x01\x02" in wasm  # shared table 1 2 of (shared anyref)
    assert b"\xfe\x51\x01\x01" in wasm  # global.atomic.rmw.add acqrel 1
    m = decode_module(wasm)
    assert m.types[0].comp.shared
    assert m.globals[0].type == GlobalType(RefType(True, A.SHARED_FUNC), True, True)
    assert m.tables[0].type == TableType(m.tables[0].type.limits, RefType(True, A.SHARED_ANY), False, True)
    assert m.funcs[1].body[1] == (Op.GLOBAL_ATOMIC_RMW_ADD, MemoryOrder.ACQ_REL, 1)


def test_both_encodings_of_ref_i31_shared_and_the_orderings() -> None:
    # type section: [] -> [(ref (shared i31))]; a function using 0xFB 0x1F and 0xFE 0x72
    types = b"\x01\x07\x01\x60\x00\x01\x64\x65\x6c"
    funcs = b"\x03\x03\x02\x00\x00"

    def code(body: bytes) -> bytes:
        fn = b"\x00" + body + b"\x0b"
        entry = bytes([len(fn)]) + fn
        payload = b"\x02" + entry + entry
        return b"\x0a" + bytes([len(payload)]) + payload

    head = b"\x00asm\x01\x00\x00\x00" + types + funcs
    for opcode in (b"\xfb\x1f", b"\xfe\x72"):
        m = decode_module(head + code(b"\x41\x05" + opcode))
        assert m.funcs[0].body[1] == (Op.REF_I31_SHARED,)
        validate_module(m)
    # orderings: 0 and 1; a read-modify-write also takes 0x11 (the
    # overview's acqrel/acqrel nibbles); anything else is malformed
    mod = """(module (global $g (shared mut i32) (i32.const 0))
      (func (result i32) (global.atomic.rmw.xchg seq_cst $g (i32.const 1))))"""
    wasm = parse_module(mod)
    at = wasm.index(b"\xfe\x56\x00")
    patched = wasm[:at + 2] + b"\x11" + wasm[at + 3:]
    assert decode_module(patched).funcs[0].body[1][1] is MemoryOrder.ACQ_REL
    with pytest.raises(MalformedError):
        decode_module(wasm[:at + 2] + b"\x02" + wasm[at + 3:])
    get = parse_module("(module (global $g (shared mut i32) (i32.const 0))"
                       " (func (result i32) (global.atomic.get seq_cst $g)))")
    at = get.index(b"\xfe\x4f\x00")
    with pytest.raises(MalformedError):
        decode_module(get[:at + 2] + b"\x11" + get[at + 3:])


@pytest.mark.parametrize("text", [
    "(module (global (mut shared i64) (i64.const -1)))",
    "(module (table 1 shared funcref))",
    "(module (table 1 funcref shared))",
    "(module (table shared i64 (ref null (shared func)) (elem (ref.null (shared func)))))",
    "(module (type (shared (shared (func)))))",
    "(module (func (result i32) (global.atomic.get $g)) (global $g (shared i32) (i32.const 0)))",
])
def test_malformed_text(text: str) -> None:
    with pytest.raises(MalformedError):
        parse_module(text)


def test_text_forms() -> None:
    """Both spellings of the orderings; the three forms of a shared global
    type; shared memories written before or after their limits."""
    for order in ("seq_cst", "seqcst", "acq_rel", "acqrel"):
        _valid(f"(module (global $g (shared mut i64) (i64.const 0))"
               f" (func (result i64) (global.atomic.rmw.and {order} $g (i64.const 1))))")
    for gt in ("(shared mut i32)", "(shared (mut i32))"):
        assert parse_module(f"(module (global {gt} (i32.const 0)))") == parse_module(
            "(module (global (shared mut i32) (i32.const 0)))")
    assert parse_module("(module (memory shared 1 2))") == parse_module("(module (memory 1 2 shared))")


# --- validation ------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    # shared composite types contain shared types only
    "(module (type (shared (func (param funcref)))))",
    "(module (type (shared (struct (field anyref)))))",
    "(module (type (shared (array (ref null func)))))",
    "(module (type $t (func)) (type (shared (struct (field (ref $t))))))",
    # shared and unshared types are never subtypes of each other
    "(module (type (sub (struct))) (type (sub 0 (shared (struct)))))",
    "(module (type (sub (shared (struct)))) (type (sub 0 (struct))))",
    "(module (type (shared (struct))) (type (struct)) (global (ref 0) (struct.new 1)))",
    # shared globals and tables hold shared values
    "(module (global (shared funcref) (ref.null func)))",
    '(module (global (import "m" "g") (shared externref)))',
    "(module (table shared 0 funcref))",
    # shared functions use only shared things
    "(module (type $s (shared (func))) (func (type $s) call $u) (func $u))",
    "(module (global $g i32 (i32.const 0)) (type $s (shared (func))) (func (type $s) (drop (global.get $g))))",
    "(module (table 1 anyref) (type $s (shared (func))) (func (type $s) (drop (table.get (i32.const 0)))))",
    "(module (memory 1) (type $s (shared (func))) (func (type $s) (drop (i32.load (i32.const 0)))))",
    "(module (type $u (struct)) (type $s (shared (func))) (func (type $s) (drop (struct.new $u))))",
    "(module (type $u (array i8)) (type $s (shared (func))) (func (type $s) (drop (array.new_default $u (i32.const 1)))))",
    "(module (type $s (shared (func))) (func (type $s) (local anyref)))",
    # initialisers of shared globals and segments of shared references
    "(module (global $a i32 (i32.const 0)) (global (shared i32) (global.get $a)))",
    "(module (type $f (shared (func))) (global $g (ref null $f) (ref.null $f))"
    " (elem (ref null $f) (global.get $g)))",
    # shared-polymorphic instructions: one sharedness at a time
    "(module (func (param (ref eq) (ref (shared eq))) (result i32) (ref.eq (local.get 0) (local.get 1))))",
    "(module (func (param (ref null (shared any))) (result i32) (ref.eq (local.get 0) (local.get 0))))",
    "(module (func (unreachable) (any.convert_extern) (ref.null eq) (ref.eq) (drop)))",
    "(module (func (unreachable) (extern.convert_any) (ref.cast (ref (shared i31))) (drop)))",
    "(module (func (unreachable) (any.convert_extern) (array.len) (drop)))",
])
def test_invalid(text: str) -> None:
    _invalid(text)


@pytest.mark.parametrize("text", [
    "(module (type (shared (struct (field (ref null (shared any)))))))",
    "(module (type (struct (field (ref null (shared any))))))",
    "(module (type $t (shared (func))) (global (shared (ref null $t)) (ref.null $t)))",
    "(module (global $a (shared i32) (i32.const 0)) (global (shared i32) (global.get $a)))",
    "(module (type $f (shared (func))) (global $g (shared (ref null $f)) (ref.null $f))"
    " (table shared 1 (ref null $f)) (elem (ref null $f) (global.get $g)))",
    "(module (type $s (shared (func))) (func (type $s) call $t) (func $t (type $s)))",
    "(module (memory 1 1 shared) (type $s (shared (func))) (func (type $s) (drop (i32.load (i32.const 0)))))",
    "(module (type $s (shared (func))) (func (type $s) (local (ref null (shared any))) (pause)))",
    "(module (func (drop (ref.eq (ref.null (shared none)) (ref.null (shared none))))))",
    "(module (func (param (ref null (shared i31))) (result i32) (i31.get_s (local.get 0))))",
    "(module (func (param (ref null (shared array))) (result i32) (array.len (local.get 0))))",
    "(module (func (param (ref (shared extern))) (result (ref (shared any))) (any.convert_extern (local.get 0))))",
    # unreachable code: an operand of unknown sharedness
    "(module (func (unreachable) (any.convert_extern) (ref.cast (ref i31)) (drop)))",
    "(module (func (unreachable) (any.convert_extern) (ref.cast (ref (shared i31))) (drop)))",
    "(module (func (local $a (ref null (shared eq))) (unreachable) (any.convert_extern)"
    " (extern.convert_any) (any.convert_extern) (ref.cast (ref (shared eq))) (local.get $a) (ref.eq) (drop)))",
    "(module (type $f (shared (func))) (table shared 1 (ref null $f))"
    " (func (type $f) (call_indirect (type $f) (i32.const 0))))",
])
def test_valid(text: str) -> None:
    _valid(text)


_ATOMIC_VALID = [
    "(global $g (shared mut i32) (i32.const 0)) (func (result i32) (global.atomic.rmw.sub seq_cst $g (i32.const 1)))",
    "(global $g (mut eqref) (ref.null eq)) (func (drop (global.atomic.rmw.cmpxchg acq_rel $g"
    " (ref.null eq) (ref.null eq))))",
    "(global $g (mut eqref) (ref.null eq)) (func (drop (global.atomic.rmw.xchg acq_rel $g (ref.null eq))))",
    "(global $g i64 (i64.const 0)) (func (result i64) (global.atomic.get seq_cst $g))",
    "(table $t shared 1 (ref null (shared eq))) (func (param (ref null (shared eq))) (result (ref null (shared eq)))"
    " (table.atomic.rmw.cmpxchg seq_cst $t (i32.const 0) (local.get 0) (local.get 0)))",
    "(table $t 1 anyref) (func (table.atomic.set acq_rel $t (i32.const 0) (ref.null any)))",
    "(type $s (shared (struct (field (mut i8))))) (func (param (ref null $s)) (result i32)"
    " (struct.atomic.get_s seq_cst $s 0 (local.get 0)))",
    "(type $s (shared (struct (field (mut i16))))) (func (param (ref null $s))"
    " (struct.atomic.set seq_cst $s 0 (local.get 0) (i32.const 1)))",
    "(type $s (struct (field i64))) (func (param (ref null $s)) (result i64) (struct.atomic.get seq_cst $s 0 (local.get 0)))",
    "(type $a (shared (array (mut (ref null (shared any)))))) (func (param (ref null $a)) (result (ref null (shared any)))"
    " (array.atomic.rmw.xchg seq_cst $a (local.get 0) (i32.const 0) (ref.null (shared none))))",
    "(type $a (array (mut i64))) (func (param (ref null $a)) (result i64)"
    " (array.atomic.rmw.cmpxchg acq_rel $a (local.get 0) (i32.const 0) (i64.const 1) (i64.const 2)))",
]

_ATOMIC_INVALID = [
    "(global $g (shared i32) (i32.const 0)) (func (global.atomic.set seq_cst $g (i32.const 1)))",
    "(global $g (shared mut f32) (f32.const 0)) (func (result f32) (global.atomic.get seq_cst $g))",
    "(global $g (shared mut v128) (v128.const i64x2 0 0)) (func (global.atomic.set seq_cst $g (v128.const i64x2 0 0)))",
    "(global $g (mut funcref) (ref.null func)) (func (drop (global.atomic.rmw.xchg acq_rel $g (ref.null func))))",
    "(global $g (mut anyref) (ref.null any)) (func (drop (global.atomic.rmw.xor acq_rel $g (ref.null any))))",
    "(global $g (mut anyref) (ref.null any)) (func (drop (global.atomic.rmw.cmpxchg acq_rel $g"
    " (ref.null any) (ref.null any))))",
    "(func (drop (global.atomic.rmw.xor acq_rel 200 (i32.const 0))))",
    "(table 1 funcref) (func (drop (table.atomic.get seq_cst 0 (i32.const 0))))",
    "(table $a shared 0 (ref null (shared any))) (func (param (ref null (shared any))) (result (ref null (shared any)))"
    " (table.atomic.rmw.cmpxchg seq_cst $a (i32.const 0) (local.get 0) (local.get 0)))",
    "(type $s (shared (struct (field i32)))) (func (param (ref $s)) (result i32)"
    " (struct.atomic.rmw.add seq_cst $s 0 (local.get 0) (i32.const 1)))",
    "(type $s (shared (struct (field (mut i8))))) (func (param (ref null $s)) (result i32)"
    " (struct.atomic.get seq_cst $s 0 (local.get 0)))",
    "(type $s (shared (struct (field (mut i32))))) (func (param (ref null $s)) (result i32)"
    " (struct.atomic.get_u seq_cst $s 0 (local.get 0)))",
    "(type $s (shared (struct (field (mut i8))))) (func (param (ref null $s)) (result i32)"
    " (struct.atomic.rmw.xchg seq_cst $s 0 (local.get 0) (i32.const 1)))",
    "(type $s (shared (struct (field (mut (ref (shared extern))))))) (func (param (ref null $s) (ref (shared extern)))"
    " (struct.atomic.set seq_cst $s 0 (local.get 0) (local.get 1)))",
    "(type $a (shared (array (mut (ref null (shared any)))))) (func (param (ref null $a)) (result (ref null (shared any)))"
    " (array.atomic.rmw.add seq_cst $a (local.get 0) (i32.const 0) (ref.null (shared any))))",
    "(type $a (shared (array i32))) (func (param (ref null $a))"
    " (array.atomic.set seq_cst $a (local.get 0) (i32.const 0) (i32.const 1)))",
]


@pytest.mark.parametrize("fields", _ATOMIC_VALID)
def test_atomic_access_valid(fields: str) -> None:
    _valid(f"(module {fields})")


@pytest.mark.parametrize("fields", _ATOMIC_INVALID)
def test_atomic_access_invalid(fields: str) -> None:
    _invalid(f"(module {fields})")


# --- execution ---------------------------------------------------------------------

_PROGRAM = """(module
  (type $s (shared (struct (field $a (mut i8)) (field $b (mut i32)) (field $c (mut i64))
                           (field $r (mut (ref null (shared eq)))))))
  (type $a (shared (array (mut i32))))
  (global $g (shared mut i32) (i32.const 5))
  (global $h (shared mut i64) (i64.const -1))
  (global $e (shared mut (ref null (shared eq))) (ref.null (shared eq)))
  (table $t shared 4 4 (ref null (shared eq)))
  (global $sv (mut (ref null $s)) (ref.null $s))
  (global $av (mut (ref null $a)) (ref.null $a))
  (global $i (ref (shared i31)) (ref.i31_shared (i32.const -1)))
  (func (export "init")
    (global.set $sv (struct.new_default $s))
    (global.set $av (array.new $a (i32.const 7) (i32.const 3))))
  (func (export "g_add") (param i32) (result i32) (global.atomic.rmw.add seq_cst $g (local.get 0)))
  (func (export "g_get") (result i32) (global.atomic.get acq_rel $g))
  (func (export "g_set") (param i32) (global.atomic.set seq_cst $g (local.get 0)))
  (func (export "g_sub64") (param i64) (result i64) (global.atomic.rmw.sub seq_cst $h (local.get 0)))
  (func (export "g_and64") (param i64) (result i64) (global.atomic.rmw.and seq_cst $h (local.get 0)))
  (func (export "g_h") (result i64) (global.get $h))
  (func (export "g_cmpxchg") (param i32 i32) (result i32)
    (global.atomic.rmw.cmpxchg seq_cst $g (local.get 0) (local.get 1)))
  (func (export "e_test") (result i32)
    (drop (global.atomic.rmw.xchg seq_cst $e (ref.i31_shared (i32.const 9))))
    (i31.get_u (ref.cast (ref (shared i31)) (global.atomic.rmw.cmpxchg seq_cst $e
      (ref.i31_shared (i32.const 9)) (ref.i31_shared (i32.const 11)))))
    (i31.get_u (ref.cast (ref (shared i31)) (global.atomic.get seq_cst $e)))
    (i32.add))
  (func (export "i31") (result i32) (i31.get_s (global.get $i)))
  (func (export "s_test") (result i32)
    (struct.atomic.set seq_cst $s $a (global.get $sv) (i32.const 0x1ff))
    (drop (struct.atomic.rmw.add seq_cst $s $b (global.get $sv) (i32.const -1)))
    (drop (struct.atomic.rmw.xor acq_rel $s $c (global.get $sv) (i64.const 3)))
    (struct.atomic.get_s seq_cst $s $a (global.get $sv))
    (struct.atomic.get seq_cst $s $b (global.get $sv))
    (i32.add)
    (i32.wrap_i64 (struct.atomic.get seq_cst $s $c (global.get $sv)))
    (i32.add))
  (func (export "s_null") (result i32) (struct.atomic.get_u seq_cst $s $a (ref.null $s)))
  (func (export "a_test") (result i32)
    (drop (array.atomic.rmw.or seq_cst $a (global.get $av) (i32.const 1) (i32.const 8)))
    (drop (array.atomic.rmw.cmpxchg seq_cst $a (global.get $av) (i32.const 2) (i32.const 7) (i32.const 100)))
    (drop (array.atomic.rmw.cmpxchg seq_cst $a (global.get $av) (i32.const 0) (i32.const 8) (i32.const 100)))
    (array.atomic.get seq_cst $a (global.get $av) (i32.const 0))
    (array.atomic.get seq_cst $a (global.get $av) (i32.const 1))
    (i32.add)
    (array.atomic.get seq_cst $a (global.get $av) (i32.const 2))
    (i32.add))
  (func (export "a_oob") (result i32)
    (array.atomic.rmw.add seq_cst $a (global.get $av) (i32.const 3) (i32.const 1)))
  (func (export "t_test") (result i32)
    (table.atomic.set seq_cst $t (i32.const 1) (ref.i31_shared (i32.const 4)))
    (drop (table.atomic.rmw.xchg acq_rel $t (i32.const 1) (ref.i31_shared (i32.const 5))))
    (i31.get_u (ref.cast (ref (shared i31)) (table.atomic.get seq_cst $t (i32.const 1)))))
  (func (export "t_oob") (table.atomic.set seq_cst $t (i32.const 4) (ref.null (shared eq))))
  (func (export "pause") (pause)))"""


@pytest.fixture(scope="module")
def program():
    eng = Engine()
    store = Store(eng)
    ex = Linker(eng).instantiate(store, Module(eng, _PROGRAM)).exports(store)
    ex["init"](store)
    return store, ex


def test_global_atomics(program) -> None:
    store, ex = program
    assert ex["g_add"](store, 3) == 5 and ex["g_get"](store) == 8
    assert ex["g_cmpxchg"](store, 8, 1) == 8 and ex["g_cmpxchg"](store, 8, 2) == 1
    assert ex["g_get"](store) == 1
    ex["g_set"](store, -2)
    assert ex["g_add"](store, 3) == -2 and ex["g_get"](store) == 1  # wraps
    assert ex["g_sub64"](store, 1) == -1 and ex["g_h"](store) == -2
    assert ex["g_and64"](store, 0xF0) == -2 and ex["g_h"](store) == 0xF0
    assert ex["e_test"](store) == 9 + 11
    assert ex["i31"](store) == -1


def test_struct_array_table_atomics(program) -> None:
    store, ex = program
    assert ex["s_test"](store) == -1 + -1 + 3  # i8 0x1ff stored as 0xff, read signed
    assert ex["a_test"](store) == 7 + 15 + 100  # only the matching cmpxchg stores
    assert ex["t_test"](store) == 5
    ex["pause"](store)
    for name in ("s_null", "a_oob", "t_oob"):
        with pytest.raises(Trap):
            ex[name](store)


def test_read_modify_writes_are_atomic_across_threads() -> None:
    """Threads add to a shared global, a struct field, an array element and
    swap a table slot at once, each from its own store: no update is lost."""
    eng = Engine()
    owner = Module(eng, """(module
      (type $s (shared (struct (field (mut i64)))))
      (type $a (shared (array (mut i32))))
      (global (export "g") (shared mut i32) (i32.const 0))
      (global (export "s") (ref $s) (struct.new $s (i64.const 0)))
      (global (export "a") (ref $a) (array.new_default $a (i32.const 2)))
      (table (export "t") shared 1 1 (ref null (shared eq)))
      (func (export "s0") (result i64) (struct.atomic.get seq_cst $s 0 (global.get 1)))
      (func (export "a1") (result i32) (array.atomic.get seq_cst $a (global.get 2) (i32.const 1))))""")
    store0 = Store(eng)
    exports = Linker(eng).instantiate(store0, owner).exports(store0)
    worker = Module(eng, """(module
      (type $s (shared (struct (field (mut i64)))))
      (type $a (shared (array (mut i32))))
      (global $g (import "m" "g") (shared mut i32))
      (global $s (import "m" "s") (ref $s))
      (global $a (import "m" "a") (ref $a))
      (table $t (import "m" "t") shared 1 1 (ref null (shared eq)))
      (func (export "run") (param i32) (result i32) (local $swaps i32)
        (loop $l
          (drop (global.atomic.rmw.add seq_cst $g (i32.const 1)))
          (drop (struct.atomic.rmw.add seq_cst $s 0 (global.get $s) (i64.const 2)))
          (drop (array.atomic.rmw.sub acq_rel $a (global.get $a) (i32.const 1) (i32.const 1)))
          ;; put a token into the table slot, counting the ones taken out
          (if (i32.eqz (ref.is_null (table.atomic.rmw.xchg seq_cst $t (i32.const 0)
                                      (ref.i31_shared (i32.const 1)))))
            (then (local.set $swaps (i32.add (local.get $swaps) (i32.const 1)))))
          (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
        (local.get $swaps)))""")
    n, count = 3000, 4
    taken: list[int] = []

    def run() -> None:
        store = Store(eng)
        linker = Linker(eng)
        for name in ("g", "s", "a", "t"):
            linker.define(store, "m", name, exports[name])
        taken.append(linker.instantiate(store, worker).exports(store)["run"](store, n))

    threads = [threading.Thread(target=run) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(taken) == count
    assert exports["g"].value(store0) == n * count
    assert exports["s0"](store0) == 2 * n * count
    assert exports["a1"](store0) == -n * count
    # every token put into the slot is taken out once, but the last
    tokens_left = 0 if exports["t"].get(store0, 0) is None else 1
    assert sum(taken) + tokens_left == n * count


def test_shared_function_types_and_casts(program) -> None:
    """ref.test tells shared from unshared only by type (the hierarchies
    never meet); a shared function reference is a funcref of its type."""
    eng = Engine()
    store = Store(eng)
    ex = Linker(eng).instantiate(store, Module(eng, """(module
      (type $f (shared (func (result i32))))
      (table $t shared 1 (ref null $f))
      (elem declare (ref $f) (ref.func $k))
      (func $k (type $f) (i32.const 42))
      (func (export "run") (result i32)
        (table.set $t (i32.const 0) (ref.func $k))
        (call_indirect $t (type $f) (i32.const 0)))
      (func (export "test") (param (ref null (shared any))) (result i32)
        (ref.test (ref (shared i31)) (local.get 0))))""")).exports(store)
    assert ex["run"](store) == 42
    assert ex["test"](store, None) == 0


# --- the harness: shared items of the spectest host module ------------------------------


def test_spectest_host_makes_shared_items_of_the_imported_types(tmp_path) -> None:
    """The proposal's scripts import shared globals, tables and functions
    from ``spectest`` (one name with two types); the engine adapter makes a
    fresh item of each imported shared type, and only of a type with
    values."""
    from spectest.adapters.engine import EngineAdapter
    from spectest.outcomes import Unlinkable
    from spectest.script import ModuleSource

    session = EngineAdapter().session()

    def instantiate(text: str):
        (tmp_path / "m.wat").write_text(text)
        return session.instantiate(session.compile(ModuleSource(tmp_path, None, "m.wat")))

    instantiate("""(module
      (type $f (shared (func)))
      (type $a (shared (array i32)))
      (func (import "spectest" "shared-func") (type $f))
      (global (import "spectest" "global_i32") (shared i32))
      (global (import "spectest" "global_ref_any") (shared (ref (shared any))))
      (global (import "spectest" "global_ref_struct") (shared (ref (shared struct))))
      (global (import "spectest" "global_t") (shared mut (ref $a)))
      (table (import "spectest" "table_ref") shared 1 (ref null (shared func))))""")
    # the same name with another type, and the reference item again after
    instantiate('(module (global (import "spectest" "global_i32") (shared mut i32)))')
    instantiate('(module (global (import "spectest" "global_i32") i32))')
    with pytest.raises(Unlinkable):
        instantiate('(module (global (import "spectest" "global_ref_none") (shared (ref (shared none)))))')
