"""Random mutations of text modules: the parser raises MalformedError or
returns a binary module that decodes; no other exception escapes."""

from __future__ import annotations

import random

import pytest

from engine.binary import decode_module
from engine.errors import MalformedError
from engine.text import parse_module

SEEDS = [
    r'''(module $m
      (type $ft (func (param i32) (result i32)))
      (rec (type $s (sub (struct (field $a i32) (field (mut i64)))))
           (type $t (sub final $s (struct (field $a i32) (field (mut i64)) (field f32)))))
      (type $arr (array (mut i8)))
      (import "env" "f" (func $imp (param i32)))
      (import "env" "mem" (memory $m0 1 2 shared))
      (func $f (export "f") (type $ft) (local $l i64)
        (block $b (result i32)
          (loop $l2
            (br_if $l2 (i32.eqz (local.get 0)))
            (br_table $b $l2 0 (i32.const 1) (local.get 0)))
          (i32.const 7))
        (if (result i32) (then (i32.const 1)) (else (i32.const 2)))
        drop)
      (table $tab funcref (elem $f))
      (memory $m1 (data "abc\00\ff\u{41}"))
      (global $g (mut f64) (f64.const -0x1.8p3))
      (tag $e (param i32))
      (elem declare func $f)
      (data $d (memory $m1) (i32.const 0) "x" "y")
      (start $f2)
      (func $f2 (local v128)
        (local.set 0 (v128.const f32x4 1 -inf nan:0x1 0x1p-126))
        (drop (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 (local.get 0) (local.get 0)))
        (drop (i32.atomic.rmw.add offset=4 (i32.const 0) (i32.const 1)))
        (drop (struct.get $t $a (struct.new_default $t)))
        (drop (array.new_data $arr $d (i32.const 0) (i32.const 1)))
        (block $h (result exnref)
          (try_table (catch_all_ref $h) (throw $e (i32.const 3))) unreachable)
        drop
        (call_indirect $tab (type $ft) (i32.const 0) (i32.const 0)) drop
        (@metadata.code.branch_hint "\01") (if (i32.const 1) (then nop))
        (i64.store32 $m1 align=2 (i32.const 0) (i64.const -1))))''',
    r'''(func (param $x i32) (result i32)
        local.get $x
        if $l (result i32) i32.const 1 else $l i32.const 2 end $l
        try (result i32) i32.const 0 catch_all i32.const 1 end
        i32.add select (result i32))
      (@custom "c" (after func) "data")
      (memory i64 1) (table i64 1 externref)
      (global i32 (i32.add (i32.const 1) (i32.const 2)))
      (elem (table 0) (offset (i64.const 0)) externref (item ref.null extern))''',
]

TOKENS = [
    "(", ")", '"', "$", "$x", "$f", "0", "-1", "0x", "1.5", "nan:0x1", "inf", "(;", ";)", ";;",
    "\n", "(@x", '(@custom "a"', "i32", "func", "end", "else", "then", "block", "if", "(then",
    "(else", "offset=", "align=3", "param", "result", "local", "type", "ref", "null", "exact",
    "\\", "\x00", "λ", '"\\ff"', "try", "catch", "delegate", "do", "select", "(result", "rec",
    "sub", "final", "memory", "table", "elem", "data", "item", "declare", "export", "import",
    "v128.const", "i8x16", "f32x4", "shared", "(pagesize 3)", "i64", "struct", "array", "field",
    "mut", "br_table", "br", "0xffffffffffffffffffff", "1e400", "(module", "(rec", "(sub",
]


def _groups(text: str) -> list[tuple[int, int]]:
    """Character spans of balanced parenthesised groups (a rough scan that
    ignores strings and comments: mutations need not be exact)."""
    spans, stack = [], []
    for i, c in enumerate(text):
        if c == "(":
            stack.append(i)
        elif c == ")" and stack:
            spans.append((stack.pop(), i + 1))
    return spans


def mutate(rnd: random.Random, text: str) -> str:
    for _ in range(rnd.randint(1, 3)):
        op = rnd.random()
        p = rnd.randrange(len(text) + 1)
        if op < 0.25:
            groups = _groups(text)
            if groups:
                a, b = rnd.choice(groups)
                if rnd.random() < 0.5:
                    text = text[:a] + text[b:]
                else:
                    c, _ = rnd.choice(groups)
                    text = text[:c] + text[a:b] + " " + text[c:]
        elif op < 0.4:
            text = text[:p] + text[min(len(text), p + rnd.randint(1, 20)):]
        elif op < 0.6:
            text = text[:p] + " " + rnd.choice(TOKENS) + " " + text[p:]
        elif op < 0.7:
            text = text[:p] + rnd.choice(TOKENS) + text[p:]
        elif op < 0.9:
            q = min(len(text), p + rnd.randint(1, 40))
            text = text[:p] + text[p:q] + text[p:q] + text[q:]
        else:
            text = text[:p]
    return text


def test_seeds_are_valid_text():
    for seed in SEEDS:
        decode_module(parse_module(seed))


@pytest.mark.parametrize("seed", range(6))
def test_mutated_text_raises_only_malformed(seed):
    rnd = random.Random(seed)
    parsed = 0
    for _ in range(300):
        text = mutate(rnd, rnd.choice(SEEDS))
        try:
            binary = parse_module(text)
        except MalformedError:
            continue
        parsed += 1
        # Whatever parses encodes to a well-formed binary module.
        decode_module(binary)
    assert parsed > 0


def test_random_bytes_raise_only_malformed():
    rnd = random.Random(11)
    alphabet = b'()$"; \n0x1.e-+abcdefijlmnoprstuv_=@\\\x00\xff'
    for _ in range(2000):
        data = bytes(rnd.choice(alphabet) for _ in range(rnd.randint(0, 40)))
        try:
            decode_module(parse_module(data))
        except MalformedError:
            pass


def test_wrong_argument_types_are_malformed():
    for bad in (None, 3, ["(module)"]):
        with pytest.raises(MalformedError):
            parse_module(bad)  # type: ignore[arg-type]
