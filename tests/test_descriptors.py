"""The custom-descriptors proposal end to end: exact types in validation,
descriptor allocation, ``ref.get_desc`` and the descriptor casts at run
time (both lowerings of the translator), constant expressions and exact
function imports at link time.

The spec suite's ``proposals/custom-descriptors`` scripts cover the bulk of
the rules; these tests pin what the suite leaves implicit (the general
lowering, traps in constant expressions, the pooled helpers, the decoded
form of ``ref.null (exact ht)``).
"""

from __future__ import annotations

import pytest

import engine
from engine.binary import decode_module
from engine.errors import InvalidError, LinkError, MalformedError, Trap, TrapCode
from engine.runtime.gc import StructRef
from engine.runtime.store import FEATURES
from engine.syntax.opcodes import Op
from engine.valid import validate_module
from tests.watutil import wat2wasm

DESC = "(rec (type $a (descriptor $b) (struct (field i32))) (type $b (describes $a) (struct)))"


def _module(text: str) -> engine.Module:
    eng = engine.Engine()
    return engine.Module(eng, wat2wasm(text))


def _run(text: str, imports=None):
    """(store, exports, module) of a module in the text format."""
    eng = engine.Engine()
    store = engine.Store(eng)
    linker = engine.Linker(eng)
    for (mod, name), item in (imports or {}).items():
        linker.define(store, mod, name, item)
    module = engine.Module(eng, wat2wasm(text))
    return store, linker.instantiate(store, module).exports(store), module


def _valid(text: str) -> None:
    validate_module(decode_module(wat2wasm(text)))


def _invalid(text: str, message: str = "type mismatch") -> None:
    with pytest.raises(InvalidError, match=message):
        validate_module(decode_module(wat2wasm(text)))


# --- decoding and validation ---------------------------------------------------------


def test_ref_null_keeps_the_exact_marker() -> None:
    m = decode_module(wat2wasm(f"(module {DESC} (func (drop (ref.null (exact $b))) (drop (ref.null $b))))"))
    body = m.funcs[0].body
    assert body[0] == (Op.REF_NULL, 1, True)
    assert body[2] == (Op.REF_NULL, 1)


def test_only_an_exact_null_has_an_exact_type() -> None:
    _valid(f"(module {DESC} (func (result (ref null (exact $b))) (ref.null (exact $b))))")
    _invalid(f"(module {DESC} (func (result (ref null (exact $b))) (ref.null $b)))")
    # the bottom type matches every exact type of its hierarchy
    _valid(f"(module {DESC} (func (result (ref null (exact $b))) (ref.null none)))")


def test_ref_func_is_exact_except_for_inexact_imports() -> None:
    _valid('(module (type $f (func)) (import "m" "f" (func (exact (type $f))))'
           " (global (ref (exact $f)) (ref.func 0)))")
    _valid("(module (type $f (func)) (func $g (type $f)) (global (ref (exact $f)) (ref.func $g)))")
    _invalid('(module (type $f (func)) (import "m" "f" (func (type $f)))'
             " (global (ref (exact $f)) (ref.func 0)))")


def test_ref_get_desc_is_exact_for_exact_and_bottom_operands_only() -> None:
    get = "(ref.get_desc $a ({}))"
    exact = f"(module {DESC} (func (param {{}}) (result (ref (exact $b))) {get.format('local.get 0')}))"
    _valid(exact.format("(ref null (exact $a))"))
    _invalid(exact.format("(ref null $a)"))
    unreachable = f"(module {DESC} (func (result (ref (exact $b))) {get.format('unreachable')}))"
    _valid(unreachable)
    _valid(f"(module {DESC} (func (result (ref (exact $b))) {get.format('ref.null none')}))")


def test_descriptor_casts_need_only_a_common_supertype() -> None:
    # i31 and $a share the any hierarchy: valid for the descriptor casts
    _valid(f"""(module {DESC}
      (func (param i31ref (ref null $b)) (result anyref)
        (block (result anyref)
          (return (br_on_cast_desc_eq 0 i31ref (ref null $a) (local.get 0) (local.get 1))))))""")
    _invalid(f"""(module {DESC}
      (func (param funcref (ref null $b)) (result anyref)
        (drop (br_on_cast_desc_eq 0 funcref (ref null $a) (local.get 0) (local.get 1)))
        (ref.null none)))""")


def test_struct_new_needs_the_descriptor_form() -> None:
    _invalid(f"(module {DESC} (func (drop (struct.new $a (i32.const 0)))))",
             "type with descriptor requires descriptor allocation")
    _invalid("(module (type $s (struct)) (func (drop (struct.new_default_desc $s (ref.null none)))))",
             "type without descriptor requires non-descriptor allocation")


# --- execution -------------------------------------------------------------------------

RUN = f"""(module {DESC}
  (global $b1 (ref (exact $b)) (struct.new $b))
  (global $b2 (ref (exact $b)) (struct.new $b))
  (global $a1 (export "a1") (ref (exact $a)) (struct.new_desc $a (i32.const 7) (global.get $b1)))
  (func (export "new") (param i32 (ref null (exact $b))) (result (ref $a))
    (struct.new_desc $a (local.get 0) (local.get 1)))
  (func (export "new-default") (param (ref null (exact $b))) (result (ref $a))
    (struct.new_default_desc $a (local.get 0)))
  (func (export "b1") (result (ref (exact $b))) (global.get $b1))
  (func (export "b2") (result (ref (exact $b))) (global.get $b2))
  (func (export "field") (param (ref null $a)) (result i32) (struct.get $a 0 (local.get 0)))
  (func (export "get-desc") (param (ref null $a)) (result (ref $b)) (ref.get_desc $a (local.get 0)))
  (func (export "cast") (param anyref (ref null $b)) (result (ref $a))
    (ref.cast_desc_eq (ref $a) (local.get 0) (local.get 1)))
  (func (export "cast-null") (param anyref (ref null $b)) (result (ref null $a))
    (ref.cast_desc_eq (ref null $a) (local.get 0) (local.get 1)))
  (func (export "br") (param anyref (ref null $b)) (result i32)
    (drop (block $yes (result (ref $a))
      (drop (br_on_cast_desc_eq $yes anyref (ref $a) (local.get 0) (local.get 1)))
      (return (i32.const 0))))
    (i32.const 1))
  (func (export "br-fail") (param anyref (ref null $b)) (result i32)
    (drop (block $no (result anyref)
      (drop (br_on_cast_desc_eq_fail $no anyref (ref null $a) (local.get 0) (local.get 1)))
      (return (i32.const 1))))
    (i32.const 0))
)"""


@pytest.fixture(scope="module")
def run():
    store, ex, _ = _run(RUN)
    return store, ex


def _trap(fn, *args) -> Trap:
    with pytest.raises(Trap) as info:
        fn(*args)
    return info.value


def test_allocation_records_the_descriptor(run) -> None:
    store, ex = run
    b1 = ex["b1"](store)
    a = ex["new"](store, 5, b1)
    assert type(a) is StructRef and a.desc is b1
    assert ex["field"](store, a) == 5
    assert ex["get-desc"](store, a) is b1
    d = ex["new-default"](store, b1)
    assert ex["field"](store, d) == 0 and ex["get-desc"](store, d) is b1
    # a global initialised by struct.new_desc
    assert ex["a1"].value(store).desc is b1


def test_null_descriptors_and_null_operands_trap(run) -> None:
    store, ex = run
    t = _trap(ex["new"], store, 1, None)
    assert t.code is TrapCode.NULL_REFERENCE and str(t) == "null descriptor reference"
    assert str(_trap(ex["new-default"], store, None)) == "null descriptor reference"
    assert str(_trap(ex["get-desc"], store, None)) == "null reference"
    a = ex["new"](store, 1, ex["b1"](store))
    # a null descriptor traps before the cast looks at its operand
    for name in ("cast", "cast-null", "br", "br-fail"):
        assert str(_trap(ex[name], store, a, None)) == "null descriptor reference"
        assert str(_trap(ex[name], store, None, None)) == "null descriptor reference"


def test_descriptor_casts_compare_descriptors_by_identity(run) -> None:
    store, ex = run
    b1, b2 = ex["b1"](store), ex["b2"](store)
    a = ex["new"](store, 1, b1)
    assert ex["cast"](store, a, b1) is a
    t = _trap(ex["cast"], store, a, b2)
    assert t.code is TrapCode.CAST_FAILURE and str(t) == "descriptor cast failure"
    assert str(_trap(ex["cast"], store, None, b1)) == "descriptor cast failure"
    assert ex["cast-null"](store, None, b1) is None
    # a descriptor is not described by itself; i31 values have none
    assert str(_trap(ex["cast"], store, b1, b1)) == "descriptor cast failure"
    assert str(_trap(ex["cast"], store, engine.I31Ref(3), b1)) == "descriptor cast failure"
    assert (ex["br"](store, a, b1), ex["br"](store, a, b2), ex["br"](store, None, b1)) == (1, 0, 0)
    assert (ex["br-fail"](store, a, b1), ex["br-fail"](store, a, b2)) == (1, 0)
    assert ex["br-fail"](store, None, b1) == 1  # a nullable target takes null


def test_descriptor_branches_in_the_general_lowering() -> None:
    # 20 nested blocks, each a branch target: beyond the structured lowering
    n = 20
    opens, closes = "(block " * n, ")" * n
    marks = " ".join(f"(br_if {k} (i32.const 0))" for k in range(n))
    text = f"""(module {DESC}
      (func (export "deep") (param anyref (ref null (exact $b))) (result i32)
        (drop (block $out (result anyref)
          {opens} {marks}
            (drop (br_on_cast_desc_eq $out anyref (ref $a) (local.get 0) (local.get 1)))
            (return (i32.const 0)) {closes}
          (return (i32.const 2))))
        (i32.const 1))
      (func (export "mk") (param (ref null (exact $b))) (result anyref)
        (struct.new_default_desc $a (local.get 0)))
      (func (export "mkb") (result (ref null (exact $b))) (struct.new $b)))"""
    store, ex, module = _run(text)
    assert "PC = " in module.function_source(0)  # the basic-block dispatch loop
    b = ex["mkb"](store)
    a = ex["mk"](store, b)
    assert ex["deep"](store, a, b) == 1
    assert ex["deep"](store, a, ex["mkb"](store)) == 0
    assert ex["deep"](store, None, b) == 0
    assert str(_trap(ex["deep"], store, a, None)) == "null descriptor reference"


def test_descriptor_chains_and_shared_helpers() -> None:
    text = """(module
      (rec (type $x (descriptor $y) (struct)) (type $y (describes $x) (descriptor $z) (struct))
           (type $z (describes $y) (struct)))
      (func (export "chain") (result i32)
        (local $z (ref (exact $z)))
        (local.set $z (struct.new $z))
        (ref.eq (ref.get_desc $y (ref.get_desc $x
                  (struct.new_desc $x (struct.new_desc $y (local.get $z)))))
                (local.get $z)))
      (func (export "casts") (param anyref (ref null (exact $y))) (result anyref)
        (drop (ref.cast_desc_eq (ref null $x) (local.get 0) (local.get 1)))
        (ref.cast_desc_eq (ref null $x) (local.get 0) (local.get 1))))"""
    store, ex, module = _run(text)
    assert ex["chain"](store) == 1
    source = module.function_source(1)
    # both casts use one pooled helper; nothing from the module is spelled out
    assert len({tok for tok in source.replace("(", " ").split() if tok.startswith("K")}) == 1


def test_a_null_descriptor_in_a_global_initialiser_fails_instantiation() -> None:
    text = f"(module {DESC} (global (ref null $a) (struct.new_desc $a (i32.const 0) (ref.null none))))"
    eng = engine.Engine()
    module = engine.Module(eng, wat2wasm(text))
    with pytest.raises(Trap, match="null descriptor reference"):
        engine.Linker(eng).instantiate(engine.Store(eng), module)


# --- linking ----------------------------------------------------------------------------


def test_exact_function_imports_match_only_the_exact_type() -> None:
    types = "(type $super (sub (func))) (type $sub (sub $super (func)))"
    provider = f'(module {types} (func (export "sub") (type $sub)) (func (export "super") (type $super)))'
    eng = engine.Engine()
    store = engine.Store(eng)
    linker = engine.Linker(eng)
    inst = linker.instantiate(store, engine.Module(eng, wat2wasm(provider)))
    ex = inst.exports(store)

    def link(name: str, exact_type: str) -> None:
        text = f'(module {types} (import "m" "f" (func (exact (type {exact_type})))))'
        lk = engine.Linker(eng)
        lk.define(store, "m", "f", ex[name])
        lk.instantiate(store, engine.Module(eng, wat2wasm(text)))

    link("sub", "$sub")
    link("super", "$super")
    with pytest.raises(LinkError, match="incompatible import type"):
        link("sub", "$super")
    # an inexact import still takes the subtype
    text = f'(module {types} (import "m" "f" (func (type $super))))'
    lk = engine.Linker(eng)
    lk.define(store, "m", "f", ex["sub"])
    lk.instantiate(store, engine.Module(eng, wat2wasm(text)))


# --- the custom-descriptors feature switch ------------------------------------------

ALL_BUT = frozenset(FEATURES) - {"custom-descriptors"}
WIDENING = "(module (func (param eqref) (result anyref) (br_on_cast 0 eqref anyref (local.get 0))))"


def test_branching_casts_follow_wasm_3_without_custom_descriptors() -> None:
    m = decode_module(wat2wasm(WIDENING))
    validate_module(m)  # the proposal's rule: a common supertype suffices
    with pytest.raises(InvalidError, match="type mismatch: cast type"):
        validate_module(m, ALL_BUT)
    # a downcast is valid either way
    down = "(module (func (param anyref) (result anyref) (br_on_cast 0 anyref eqref (local.get 0))))"
    validate_module(decode_module(wat2wasm(down)), ALL_BUT)


def test_the_proposal_is_switched_off_in_both_layers() -> None:
    clause = wat2wasm(f"(module {DESC})")
    with pytest.raises(MalformedError, match="requires custom-descriptors"):
        decode_module(clause, ALL_BUT)
    with pytest.raises(InvalidError, match="descriptors require custom-descriptors"):
        validate_module(decode_module(clause), ALL_BUT)
    null = wat2wasm("(module (type $t (struct)) (func (drop (ref.null (exact $t)))))")
    with pytest.raises(MalformedError, match="requires custom-descriptors"):
        decode_module(null, ALL_BUT)
    with pytest.raises(InvalidError, match="exact null of type index 0 requires custom-descriptors"):
        validate_module(decode_module(null), ALL_BUT)
    # through the embedding API
    eng = engine.Engine(engine.Config(features=set(ALL_BUT)))
    with pytest.raises(MalformedError):
        engine.Module(eng, clause)
    engine.Module(engine.Engine(), clause)
