"""The branch hint section (``metadata.code.branch_hint``): decoded into
``Module.branch_hints``; a broken section is dropped by default (custom
sections never make a module malformed or invalid) and rejected with
``Config(strict_custom_sections=True)``."""

from __future__ import annotations

import pytest

import engine
from engine.binary import decode_module
from engine.errors import InvalidError, MalformedError
from engine.syntax import BranchHint, Op
from engine.valid import validate_module
from test_binary import code, functype, module, name, section, uleb, vec

# One function [i32] -> [i32]:  0: locals  1: local.get 0  3: if (result i32)
# 5: i32.const 7  7: else  8: local.get 0  10: i32.const 1  12: br_if 0  14: end
# 15: end.  Offsets count from the code entry's locals declaration.
BODY = bytes([0x20, 0x00, 0x04, 0x7F, 0x41, 0x07, 0x05, 0x20, 0x00, 0x41, 0x01, 0x0D, 0x00,
              0x0B, 0x0B])
IF_AT, BR_IF_AT, CONST_AT = 3, 12, 5


def hint_section(funcs) -> bytes:
    """``funcs``: [(funcidx, [(offset, value)])], encoded as given."""
    return section(0, name("metadata.code.branch_hint") + vec(
        uleb(f) + vec(uleb(off) + b"\x01" + bytes([v]) for off, v in hints) for f, hints in funcs))


def hinted(hints: bytes, *, before_code: bool = True, imports: bytes = b"") -> bytes:
    types = section(1, vec([functype(b"\x7f", b"\x7f")]))
    funcs = section(3, vec([b"\x00"]))
    export = section(7, vec([name("f") + b"\x00" + uleb(len(imports) and 1)]))
    body = section(10, vec([code(BODY)]))
    parts = [types, imports, funcs, export] + ([hints, body] if before_code else [body, hints])
    return module(*[p for p in parts if p])


def load(data, strict: bool = False) -> engine.Module:
    return engine.Module(engine.Engine(engine.Config(strict_custom_sections=strict)), data)


def run(data, strict: bool = False) -> tuple:
    """f(0) and f(1) of the module's export "f"."""
    store = engine.Store(engine.Engine(engine.Config(strict_custom_sections=strict)))
    f = engine.Linker(store.engine).instantiate(store, engine.Module(store.engine, data)).exports(store)["f"]
    return f(store, 0), f(store, 1)


def test_hints_are_decoded_with_their_instructions():
    data = hinted(hint_section([(0, [(IF_AT, 1), (BR_IF_AT, 0)])]))
    m = decode_module(data)
    validate_module(m)
    assert m.branch_hints == {0: (BranchHint(IF_AT, 1, True), BranchHint(BR_IF_AT, 6, False))}
    assert [m.funcs[0].body[h.index][0] for h in m.branch_hints[0]] == [Op.IF, Op.BR_IF]
    assert m.branch_hint_error is None
    # hints change nothing about what the code does
    assert run(data) == run(data, strict=True) == (0, 7)


def test_hints_of_the_text_format_reach_the_decoded_module():
    wat = """(module (func (param i32) (result i32)
        (local.get 0)
        (@metadata.code.branch_hint "\\01") (if (result i32) (then (i32.const 7))
          (else (local.get 0) (i32.const 1) (@metadata.code.branch_hint "\\00") br_if 0))))"""
    from engine.text import parse_module

    m = decode_module(parse_module(wat))
    validate_module(m)
    assert [(h.likely, m.funcs[0].body[h.index][0]) for h in m.branch_hints[0]] == [
        (True, Op.IF), (False, Op.BR_IF)]


def test_a_hint_on_another_instruction_is_dropped_or_invalid():
    data = hinted(hint_section([(0, [(IF_AT, 1), (CONST_AT, 1)])]))
    m = decode_module(data)
    validate_module(m)
    assert m.branch_hints == {}
    assert "offset 5 of function 0 is not an if or br_if" in m.branch_hint_error
    assert run(data) == (0, 7)          # valid, as the core specification wants
    with pytest.raises(InvalidError, match="invalid branch hint"):
        load(data, strict=True)
    with pytest.raises(InvalidError, match="invalid branch hint"):
        engine.Module.validate(engine.Engine(engine.Config(strict_custom_sections=True)), data)


def test_the_text_format_goes_through_the_same_rule():
    wat = """(module (func (export "f") (param i32) (result i32)
        (local.get 0) (@metadata.code.branch_hint "\\01") (i32.eqz)))"""
    assert run(wat) == (1, 0)
    with pytest.raises(InvalidError):
        load(wat, strict=True)


def raw_section(payload: bytes) -> bytes:
    return section(0, name("metadata.code.branch_hint") + payload)


one = vec([uleb(0) + vec([uleb(IF_AT) + b"\x01\x01"])])

# what -> (the section, what the problem says)
BROKEN = {
    "hint value": (hint_section([(0, [(IF_AT, 2)])]), "invalid hint value 2"),
    "hint size": (raw_section(vec([uleb(0) + vec([uleb(IF_AT) + b"\x02\x01\x00"])])), "hint size 2"),
    "truncated": (raw_section(one[:-1]), "unexpected end"),
    "trailing bytes": (raw_section(one + b"\x00"), "section size mismatch"),
    "offsets out of order": (hint_section([(0, [(BR_IF_AT, 1), (IF_AT, 1)])]), "offsets out of order"),
    "repeated offset": (hint_section([(0, [(IF_AT, 1), (IF_AT, 1)])]), "offsets out of order"),
    "functions out of order": (raw_section(vec([uleb(0) + vec([]), uleb(0) + vec([])])),
                               "function indices out of order"),
    "offset inside an instruction": (hint_section([(0, [(IF_AT + 1, 1)])]),
                                     "offset 4 in function 0 is not where an instruction starts"),
    "offset past the body": (hint_section([(0, [(40, 1)])]), "offset 40 in function 0 is not"),
    "function without a body": (hint_section([(1, [(IF_AT, 1)])]), "function 1 is not a function"),
    "leb too long": (raw_section(vec([uleb(0) + vec([b"\x83\x80\x80\x80\x80\x00\x01\x01"])])),
                     "integer representation too long"),
}


@pytest.mark.parametrize("what", sorted(BROKEN))
def test_a_malformed_section_is_dropped_or_malformed(what):
    hints, problem = BROKEN[what]
    data = hinted(hints)
    m = decode_module(data)
    assert m.branch_hints == {} and m.branch_hint_error.startswith(problem)
    validate_module(m)
    assert run(data) == (0, 7)
    with pytest.raises(MalformedError, match="malformed metadata.code.branch_hint section"):
        load(data, strict=True)
    with pytest.raises(MalformedError):
        decode_module(data, strict_custom=True)


def test_a_hint_for_an_imported_function_is_dropped():
    imports = section(2, vec([name("m") + name("g") + b"\x00" + uleb(0)]))
    data = hinted(hint_section([(0, [(IF_AT, 1)])]), imports=imports)
    m = decode_module(data)
    assert m.branch_hints == {} and "function 0" in m.branch_hint_error
    with pytest.raises(MalformedError):
        decode_module(data, strict_custom=True)
    # the same hint on the defined function (index 1) is fine
    m = decode_module(hinted(hint_section([(1, [(IF_AT, 1)])]), imports=imports), strict_custom=True)
    assert m.branch_hints == {1: (BranchHint(IF_AT, 1, True),)}


@pytest.mark.parametrize("place", ["after code", "twice"])
def test_a_misplaced_section_is_dropped_or_malformed(place):
    good = hint_section([(0, [(IF_AT, 1)])])
    data = hinted(good, before_code=False) if place == "after code" else hinted(good + good)
    m = decode_module(data)
    assert m.branch_hints == {} and m.branch_hint_error
    with pytest.raises(MalformedError):
        decode_module(data, strict_custom=True)


def test_other_custom_sections_and_empty_hints_are_left_alone():
    data = hinted(section(0, name("metadata.code.other") + b"\xff") + hint_section([]))
    m = decode_module(data, strict_custom=True)
    assert m.branch_hints == {} and m.branch_hint_error is None
    assert [c.name for c in m.customs] == ["metadata.code.other", "metadata.code.branch_hint"]
