"""The .wast command splitter: commands, their lines, and the source of the
modules they carry."""

from __future__ import annotations

import pytest

from engine.errors import MalformedError
from engine.text import parse_module
from engine.text.script import split_script

SCRIPT = r'''
;; a comment
(module $m (func (export "f") (result i32) (i32.const 1)))
(register "m" $m)
(assert_return (invoke "f") (i32.const 1))
(module definition $d (memory 1))
(module instance $i $d)
(assert_malformed
  (module quote "(func" " i32.bogus)")
  "unknown operator")
(assert_invalid
  (module (func (result i32)))
  "type mismatch")
(module binary "\00asm" "\01\00\00\00")
(assert_trap (module (func $s unreachable) (start $s)) "unreachable")
'''


def test_commands_and_lines():
    commands = split_script(SCRIPT)
    assert [(c.kind, c.line) for c in commands] == [
        ("module", 3), ("register", 4), ("assert_return", 5), ("module", 6), ("module", 7),
        ("assert_malformed", 8), ("assert_invalid", 11), ("module", 14), ("assert_trap", 15)]


def test_module_forms_and_sources():
    commands = split_script(SCRIPT)
    modules = [c.module for c in commands]
    assert modules[1] is None and modules[2] is None and modules[4] is None
    assert modules[0].form == "text" and modules[0].name == "m" and modules[0].line == 3
    assert modules[3].source == "(module $d (memory 1))"
    assert modules[5].form == "quote" and modules[5].line == 9
    assert modules[6].line == 12
    assert modules[7].form == "binary"
    for m in (modules[0], modules[3], modules[6], modules[7], modules[8]):
        parse_module(m.source)
    with pytest.raises(MalformedError):
        parse_module(modules[5].source)


def test_scripts_that_are_not_command_lists():
    with pytest.raises(ValueError):
        split_script("module")
    with pytest.raises(MalformedError):
        split_script("(module")
