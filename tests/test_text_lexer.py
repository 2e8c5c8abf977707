"""The lexical format: tokens, white space, comments, strings, identifiers,
reserved tokens, annotations and the source's encoding."""

from __future__ import annotations

import pytest

from engine.errors import MalformedError
from engine.text import parse_module
from engine.text.lexer import (
    EOF, ID, KEYWORD, LPAREN, NUMBER, RESERVED, RPAREN, STRING, decode_string, tokenize,
)


def kinds_values(text: str) -> list[tuple[int, object]]:
    toks = tokenize(text)
    return list(zip(toks.kinds, toks.values))[:-1]


def test_token_kinds():
    assert kinds_values('(func $f "s" 0x1 -1.5 i32.add offset=4 nan:0x1)') == [
        (LPAREN, None), (KEYWORD, "func"), (ID, "f"), (STRING, b"s"), (NUMBER, "0x1"),
        (NUMBER, "-1.5"), (KEYWORD, "i32.add"), (KEYWORD, "offset=4"), (KEYWORD, "nan:0x1"),
        (RPAREN, None),
    ]
    assert tokenize("").kinds == [EOF]


@pytest.mark.parametrize("text", ['0$x', '"a""b"', '$x"a"', 'a"b"', "x,y", "[", "{}", '"a"0',
                                  "0\"a\"", "a;b", "A", "_"])
def test_reserved_tokens(text):
    toks = kinds_values(text)
    assert len(toks) == 1 and toks[0][0] in (RESERVED, NUMBER)
    if toks[0][0] == NUMBER:
        # Words that are not literals are rejected where a literal is read.
        with pytest.raises(MalformedError):
            parse_module(f"(func (i32.const {text}) drop)")


def test_parentheses_and_comments_delimit_tokens():
    assert kinds_values("(nop)nop(nop)") == [
        (LPAREN, None), (KEYWORD, "nop"), (RPAREN, None), (KEYWORD, "nop"), (LPAREN, None),
        (KEYWORD, "nop"), (RPAREN, None)]
    assert kinds_values("0;;c\n1(;c;)2") == [(NUMBER, "0"), (NUMBER, "1"), (NUMBER, "2")]


def test_comments():
    assert kinds_values("(; a (; nested ;) b ;) x ;; rest\n y ;; at end") == [
        (KEYWORD, "x"), (KEYWORD, "y")]
    assert kinds_values("(;;) (; ; ) ( ;)") == []
    assert kinds_values(";; \x00\x01 control characters in comments\n") == []
    with pytest.raises(MalformedError, match="unclosed comment"):
        tokenize("(; (; ;)")


@pytest.mark.parametrize("body, raw", [
    ("", b""), ("abc", b"abc"), (r"\t\n\r\"\'\\", b"\t\n\r\"'\\"), (r"\00\ff\7F", b"\x00\xff\x7f"),
    (r"\u{0}\u{41}\u{10FFFF}", "\x00A\U0010FFFF".encode()), (r"\u{1_F600}", "\U0001F600".encode()),
    ("λ", "λ".encode()),
])
def test_string_escapes(body, raw):
    assert decode_string(body) == raw
    assert kinds_values(f'"{body}"') == [(STRING, raw)]


@pytest.mark.parametrize("text", [
    r'"\q"', r'"\u{D800}"', r'"\u{110000}"', r'"\u{}"', r'"\u41"', r'"\0"', '"a\nb"', '"\x7f"',
    '"tab\tinside"', '"', '"abc', r'"\"',
])
def test_bad_strings(text):
    with pytest.raises(MalformedError):
        tokenize(text)


@pytest.mark.parametrize("body, message, at", [
    (r"ab\q", "illegal escape", 2), (r"\ff\u{D800}x", "malformed UTF-8 encoding", 3),
    ("\\ffa\x01", "illegal character in string", 4), (r"a\u{110000}\q", "malformed UTF-8", 1),
    (r"\\\q", "illegal escape", 2), ("\\", "illegal escape", 0),
])
def test_a_bad_string_names_its_first_error_and_where(body, message, at):
    with pytest.raises(MalformedError, match=message) as e:
        decode_string(body, "x" * 20 + body, 20)
    assert str(e.value).endswith(f"(at 1:{20 + at + 1})")


def _python_steps(fn, *args) -> int:
    """How many Python-level calls (of Python or C functions) ``fn`` makes."""
    import sys

    count = 0

    def profile(frame, event, arg):
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profile)
    try:
        fn(*args)
    finally:
        sys.setprofile(None)
    return count


@pytest.mark.parametrize("piece", [r"\ff", r"a\ff", r"\t", r"\u{41}", "λ\\00"])
def test_string_escapes_cost_no_python_step_each(piece):
    # a megabyte of escapes is decoded by a few C calls (split, join), not a
    # Python step per escape: the step count does not grow with the string
    small = _python_steps(decode_string, piece * 10)
    large = _python_steps(decode_string, piece * 100_000)
    assert large == small < 50
    assert decode_string(piece * 100_000) == decode_string(piece) * 100_000


def test_three_million_escapes_read_as_a_data_segment():
    wasm = parse_module('(module (memory 1) (data (i32.const 0) "' + "\\ff" * 3_000_000 + '"))')
    assert wasm.count(b"\xff") >= 3_000_000


def test_identifiers():
    assert kinds_values('$a $"a" $"a b" $!#$%&\'*+-./:<=>?@\\^_`|~') == [
        (ID, "a"), (ID, "a"), (ID, "a b"), (ID, "!#$%&'*+-./:<=>?@\\^_`|~")]
    for bad in ("$", '$""', r'$"\ef"'):
        with pytest.raises(MalformedError):
            tokenize(bad)


def test_quoted_and_plain_identifiers_are_the_same():
    from engine.binary import decode_module
    module = decode_module(parse_module('(func $"f" (result i32) (i32.const 1)) (func (result i32) (call $f))'))
    assert module.funcs[1].body[0][1] == 0
    with pytest.raises(MalformedError, match="duplicate func"):
        parse_module('(func $"f") (func $f)')


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x0b", "\x0c", "\x1f", "\x7f", "λ", "\u00a0"])
def test_illegal_characters_outside_strings_and_comments(char):
    with pytest.raises(MalformedError):
        tokenize(f"(func {char})")
    tokenize(f';; {char}\n(; {char} ;) "{char}"' if char >= " " and char != "\x7f" else f";; {char}\n")


def test_source_must_be_utf8():
    assert parse_module("(func)".encode()) == parse_module("(func)")
    assert parse_module(";; λ\n(func)".encode()) == parse_module("(func)")
    with pytest.raises(MalformedError, match="UTF-8"):
        parse_module(b"(func) ;; \xff")
    with pytest.raises(MalformedError, match="UTF-8"):
        parse_module("(func) ;; \ud800")


def test_annotations_are_white_space():
    plain = parse_module("(module (func (result i32) (i32.const 1)))")
    annotated = parse_module(
        '(@a)(module (@b x "y" (z (@c)) $d 0x1 ;) (func (@w) (result i32) (@x) (i32.const (@y) 1)'
        ' (@"quoted id" "str" (;c;) ;; l\n)))(@e)')
    assert annotated == plain


@pytest.mark.parametrize("text, message", [
    ("(@)", "empty annotation id"),
    ("(@ x)", "empty annotation id"),
    ('(@"")', "empty annotation id"),
    ('(@"\\ef")', "UTF-8"),
    ("(@x", "unclosed annotation"),
    ("(@x (y)", "unclosed annotation"),
    ('(@x ")', "unclosed string"),
    ("(@x))", "unexpected token"),
    ("(@x \x00)", "illegal character"),
])
def test_malformed_annotations(text, message):
    with pytest.raises(MalformedError, match=message):
        parse_module(text)


def test_parenthesis_balance():
    with pytest.raises(MalformedError):
        tokenize("(func")
    with pytest.raises(MalformedError):
        tokenize("(func))")


def test_errors_carry_a_position():
    with pytest.raises(MalformedError, match=r"at 2:8"):
        parse_module("(module\n (func i32.bogus))")
