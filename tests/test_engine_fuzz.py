"""Byte mutations of valid modules: Module() raises only documented errors,
and every function of a mutant that validates translates."""

from __future__ import annotations

import random

import engine

from watutil import wat2wasm

SEEDS = [
    """(module
      (type $t (func (param i32) (result i32)))
      (import "env" "f" (func $f (type $t)))
      (memory 1 2) (table 4 funcref) (global $g (mut i32) (i32.const 7))
      (elem (i32.const 0) $a $b) (data (i32.const 8) "hello")
      (func $a (type $t) (i32.add (local.get 0) (global.get $g)))
      (func $b (param i32) (result i32) (local i64 f32)
        (block $x (result i32)
          (loop $l
            (br_if $x (i32.const 3) (i32.eqz (local.get 0)))
            (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
            (br_table $l $l (local.get 0)))
          (i32.load offset=4 (local.get 0))))
      (func (export "run") (param i32) (result i32)
        (call_indirect (type $t) (local.get 0) (i32.const 1))))""",
    """(module
      (tag $e (param i32))
      (func (export "t") (param i32) (result i32)
        (block $h (result i32)
          (try_table (result i32) (catch $e $h)
            (if (local.get 0) (then (throw $e (i32.const 5))))
            (i32.const 1))))
      (func $r (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
          (else (return_call $r (i32.sub (local.get 0) (i32.const 1)))))))""",
    """(module
      (type $p (struct (field (mut i32)) (field i64)))
      (type $a (array (mut i8)))
      (func (export "g") (param i32) (result i32) (local (ref null $p))
        (local.set 1 (struct.new $p (local.get 0) (i64.const 9)))
        (struct.set $p 0 (local.get 1) (i32.const 3))
        (i32.add (struct.get $p 0 (local.get 1))
                 (array.len (array.new $a (i32.const 1) (i32.const 4))))))""",
]


def _mutate(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(5)
        pos = rng.randrange(len(b) + 1) if b else 0
        if kind == 0 and b:
            b[min(pos, len(b) - 1)] ^= 1 << rng.randrange(8)
        elif kind == 1 and b:
            b[min(pos, len(b) - 1)] = rng.randrange(256)
        elif kind == 2:
            b[pos:pos] = bytes([rng.randrange(256)])
        elif kind == 3 and b:
            del b[pos:pos + rng.randint(1, 3)]
        else:
            b = b[:pos]
    return bytes(b)


def test_ten_thousand_mutations():
    eng = engine.Engine()
    rng = random.Random(20261124)
    seeds = [wat2wasm(s) for s in SEEDS]
    outcomes = {"malformed": 0, "invalid": 0, "valid": 0}
    for _ in range(10_000):
        data = _mutate(rng, rng.choice(seeds))
        try:
            module = engine.Module(eng, data)
        except engine.MalformedError:
            outcomes["malformed"] += 1
            continue
        except engine.InvalidError:
            outcomes["invalid"] += 1
            continue
        outcomes["valid"] += 1
        nimp = module._ctx.nimported_funcs
        for idx in range(nimp, nimp + len(module._syntax.funcs)):
            module.function_source(idx)
    print(outcomes)
    assert all(outcomes.values()), outcomes
