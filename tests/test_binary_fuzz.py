"""Random mutations of valid modules: the decoder answers with a module or a
MalformedError, never with another exception. Seeded, so a failure
reproduces."""

from __future__ import annotations

import random

import pytest

from engine.binary import decode_module
from engine.errors import MalformedError
from test_binary import large_module, sample_modules

MUTATIONS = 10_000


def _mutate(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        what = rng.randrange(5)
        pos = rng.randrange(len(buf) + 1)
        if what == 0 and pos < len(buf):       # flip bits
            buf[pos] ^= 1 << rng.randrange(8)
        elif what == 1 and pos < len(buf):     # overwrite with an interesting byte
            buf[pos] = rng.choice((0x00, 0x01, 0x0B, 0x40, 0x7F, 0x80, 0xFF, rng.randrange(256)))
        elif what == 2:                        # insert
            buf[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 4)))
        elif what == 3 and pos < len(buf):     # delete
            del buf[pos:pos + rng.randrange(1, 4)]
        else:                                  # truncate
            del buf[pos:]
    return bytes(buf)


def test_mutations_only_raise_malformed():
    rng = random.Random(0x5EED)
    seeds = sample_modules() + [large_module(300)]
    outcomes = {"decoded": 0, "malformed": 0}
    for i in range(MUTATIONS):
        data = _mutate(rng, seeds[i % len(seeds)])
        try:
            decode_module(data)
            outcomes["decoded"] += 1
        except MalformedError:
            outcomes["malformed"] += 1
        except Exception as exc:  # noqa: BLE001 - this is what the test looks for
            pytest.fail(f"mutation {i} ({data.hex()}) raised {type(exc).__name__}: {exc}")
    # Both outcomes occur, so the mutations neither break everything nor nothing.
    assert outcomes["decoded"] > 100 and outcomes["malformed"] > 1000, outcomes


def test_random_bytes_after_header_only_raise_malformed():
    rng = random.Random(7)
    for _ in range(2000):
        data = b"\x00asm\x01\x00\x00\x00" + bytes(rng.randrange(256) for _ in range(rng.randrange(40)))
        try:
            decode_module(data)
        except MalformedError:
            pass
