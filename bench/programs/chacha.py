"""ChaCha20 (RFC 8439) encryption round trip of 8 KiB per round, checked against the RFC's test vector.

The twin is chacha.c's algorithm in plain Python: the block function on a
list of 16 words with the rotations masked to 32 bits, the key stream
XORed into the data a block at a time.
"""

from __future__ import annotations

from ._common import M32, next_random, seed_for

RESULT = "i32"
FULL = (32,)
QUICK = (1,)
REDUCED = (1,)

BLOCK = 8192
CONSTANTS = (0x61707865, 0x3320646E, 0x79622D32, 0x6B206574)


def _quarter(x: list[int], a: int, b: int, c: int, d: int) -> None:
    xa, xb, xc, xd = x[a], x[b], x[c], x[d]
    xa = (xa + xb) & M32
    xd ^= xa
    xd = ((xd << 16) | (xd >> 16)) & M32
    xc = (xc + xd) & M32
    xb ^= xc
    xb = ((xb << 12) | (xb >> 20)) & M32
    xa = (xa + xb) & M32
    xd ^= xa
    xd = ((xd << 8) | (xd >> 24)) & M32
    xc = (xc + xd) & M32
    xb ^= xc
    xb = ((xb << 7) | (xb >> 25)) & M32
    x[a], x[b], x[c], x[d] = xa, xb, xc, xd


def block(key: list[int], counter: int, nonce: list[int]) -> bytes:
    """One 64-byte block of key stream."""
    state = [*CONSTANTS, *key, counter, *nonce]
    x = state[:]
    for _ in range(10):
        _quarter(x, 0, 4, 8, 12)
        _quarter(x, 1, 5, 9, 13)
        _quarter(x, 2, 6, 10, 14)
        _quarter(x, 3, 7, 11, 15)
        _quarter(x, 0, 5, 10, 15)
        _quarter(x, 1, 6, 11, 12)
        _quarter(x, 2, 7, 8, 13)
        _quarter(x, 3, 4, 9, 14)
    return b"".join(((a + b) & M32).to_bytes(4, "little") for a, b in zip(x, state))


def xor(key: list[int], counter: int, nonce: list[int], data: bytes) -> bytes:
    """``data`` XOR the key stream from block ``counter`` on."""
    out = bytearray()
    for at in range(0, len(data), 64):
        chunk = data[at:at + 64]
        stream = block(key, counter, nonce)
        counter += 1
        out += (int.from_bytes(chunk, "little")
                ^ int.from_bytes(stream[:len(chunk)], "little")).to_bytes(len(chunk), "little")
    return bytes(out)


def run(rounds: int) -> int:
    """chacha.c's run: the FNV-1a hash of ``rounds`` rounds of ciphertext."""
    h = 2166136261
    for round_ in range(rounds):
        state = seed_for(round_)
        key = []
        for _ in range(8):
            state = next_random(state)
            key.append(state)
        nonce = []
        for _ in range(3):
            state = next_random(state)
            nonce.append(state)
        plain = bytearray(BLOCK)
        for i in range(BLOCK):
            state = next_random(state)
            plain[i] = state >> 24
        cipher = xor(key, 1, nonce, bytes(plain))
        if xor(key, 1, nonce, cipher) != plain:
            raise AssertionError("round trip failed")
        for i in range(0, BLOCK, 4):
            h = ((h ^ int.from_bytes(cipher[i:i + 4], "little")) * 16777619) & M32
    return h
