"""Placement of @name annotations in the text format."""

from __future__ import annotations

import pytest

from engine.errors import MalformedError
from engine.text import parse_module


@pytest.mark.parametrize("text", [
    '(module (@name "M"))',
    '(module $m (@name "Modül") (func))',
    '(module (func (@name "f")) (func $g (@name "g")))',
    '(module (type $t (func)) (tag $e (@name "e") (type $t)))',
    '(module (func (param $x i32) (local $y i32) (block $b)))',
])
def test_names_where_they_belong(text):
    assert parse_module(text)[:4] == b"\0asm"


@pytest.mark.parametrize("text, message", [
    ('(module (@name "M1") (@name "M2"))', "multiple module"),
    ('(module (func) (@name "M"))', "misplaced @name"),
    ('(module (start $f (@name "M")) (func $f))', "misplaced @name"),
])
def test_misplaced_names_are_malformed(text, message):
    with pytest.raises(MalformedError, match=message):
        parse_module(text)
