"""Generated code never makes CPython warn.

CPython's compiler warns (SyntaxWarning) about expressions it can tell will
fail, such as a subscript or a call of the literal ``None``; under ``-W
error`` the warning is an error and the function would not translate.
Every instruction that takes a reference is translated here with a constant
null operand, with warnings as errors, and must trap as the spec says.
"""

from __future__ import annotations

import warnings

import pytest

import engine
from engine import TrapCode

TYPES = """
  (type $s (struct (field (mut i32))))
  (type $p (struct (field (mut i8))))
  (type $a (array (mut i32)))
  (type $pa (array (mut i8)))
  (type $f (func (result i32)))
  (data "abcd")
"""

# instruction -> (a body of type [] -> [i32] that applies it to a constant null)
NULL_OPERAND = {
    "struct.get": "(struct.get $s 0 (ref.null $s))",
    "struct.get_s": "(struct.get_s $p 0 (ref.null $p))",
    "struct.get_u": "(struct.get_u $p 0 (ref.null $p))",
    "struct.set": "(struct.set $s 0 (ref.null $s) (i32.const 1)) (i32.const 0)",
    "array.get": "(array.get $a (ref.null $a) (i32.const 0))",
    "array.get_s": "(array.get_s $pa (ref.null $pa) (i32.const 0))",
    "array.get_u": "(array.get_u $pa (ref.null $pa) (i32.const 0))",
    "array.set": "(array.set $a (ref.null $a) (i32.const 0) (i32.const 1)) (i32.const 0)",
    "array.len": "(array.len (ref.null $a))",
    "array.fill": "(array.fill $a (ref.null $a) (i32.const 0) (i32.const 1) (i32.const 1)) (i32.const 0)",
    "array.copy": "(array.copy $a $a (ref.null $a) (i32.const 0) (ref.null $a) (i32.const 0) (i32.const 1))"
                  " (i32.const 0)",
    "array.init_data": "(array.init_data $a 0 (ref.null $a) (i32.const 0) (i32.const 0) (i32.const 1))"
                       " (i32.const 0)",
    "call_ref": "(call_ref $f (ref.null $f))",
    "i31.get_s": "(i31.get_s (ref.null i31))",
    "i31.get_u": "(i31.get_u (ref.null i31))",
    "ref.as_non_null": "(drop (ref.as_non_null (ref.null $a))) (i32.const 0)",
    "throw_ref": "(throw_ref (ref.null exn))",
}


@pytest.mark.parametrize("name", sorted(NULL_OPERAND))
def test_an_instruction_on_a_constant_null_translates_without_warning_and_traps(name):
    wat = f'(module {TYPES} (func (export "f") (result i32) {NULL_OPERAND[name]}))'
    eng = engine.Engine()
    store = engine.Store(eng)
    module = engine.Module(eng, wat)
    ex = engine.Linker(eng).instantiate(store, module).exports(store)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # the first call translates the function
        with pytest.raises(engine.Trap) as e:
            ex["f"](store)
    assert e.value.code is TrapCode.NULL_REFERENCE
