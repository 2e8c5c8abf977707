"""WASI command: SHA-256 of n bytes of generated text (digest.c, `digest sha n`).

A WASI kernel: the prebuilt ``wasi_digest.wasm`` (the test program
tests/wasi/src/digest.c, copied here by scripts/build-wasi-tests) runs as a
command, ``digest sha n``, with its output captured; the result is the first
64 bits of the printed digest. The twin below is the same algorithm in
plain Python: the word generator of digest.c and FIPS 180-4 SHA-256.
"""

from __future__ import annotations

RESULT = "i64"
FULL = (48_000,)
QUICK = (300,)

_M32 = 0xFFFFFFFF
_WORDS = [w.encode() for w in (
    "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "wasm", "python", "engine",
    "module", "memory", "table", "stack", "value", "\n")]

_K = (
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2)


def argv(n: int) -> list[str]:
    """The command line of the Wasm program for workload ``n``."""
    return ["digest", "sha", str(n)]


def parse(stdout: bytes) -> int:
    """The kernel's result from the program's output: the digest's first
    64 bits."""
    return int(stdout.split()[0][:16], 16)


def generate(n: int, seed: int = 1) -> bytes:
    """digest.c's input: words drawn by xorshift32, separated by spaces and
    commas."""
    x = seed or 1
    out = bytearray()
    words = _WORDS
    while len(out) < n:
        x ^= (x << 13) & _M32
        x ^= x >> 17
        x ^= (x << 5) & _M32
        out += words[x % 17]
        out.append(44 if (x >> 8) % 7 == 0 else 32)
    return bytes(out[:n])


def sha256(data: bytes) -> bytes:
    """SHA-256 (FIPS 180-4), one 64-byte block at a time."""
    h = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
         0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
    padded = data + b"\x80" + bytes((55 - len(data)) % 64) + (8 * len(data)).to_bytes(8, "big")
    k = _K
    for start in range(0, len(padded), 64):
        w = [int.from_bytes(padded[start + 4 * i:start + 4 * i + 4], "big") for i in range(16)]
        for i in range(16, 64):
            a, b = w[i - 15], w[i - 2]
            s0 = ((a >> 7 | a << 25) ^ (a >> 18 | a << 14) ^ (a >> 3)) & _M32
            s1 = ((b >> 17 | b << 15) ^ (b >> 19 | b << 13) ^ (b >> 10)) & _M32
            w.append((w[i - 16] + s0 + w[i - 7] + s1) & _M32)
        a, b, c, d, e, f, g, hh = h
        for i in range(64):
            s1 = ((e >> 6 | e << 26) ^ (e >> 11 | e << 21) ^ (e >> 25 | e << 7)) & _M32
            t1 = hh + s1 + ((e & f) ^ (~e & g)) + k[i] + w[i]
            s0 = ((a >> 2 | a << 30) ^ (a >> 13 | a << 19) ^ (a >> 22 | a << 10)) & _M32
            t2 = s0 + ((a & b) ^ (a & c) ^ (b & c))
            hh, g, f = g, f, e
            e = (d + t1) & _M32
            d, c, b = c, b, a
            a = (t1 + t2) & _M32
        h = [(x + y) & _M32 for x, y in zip(h, (a, b, c, d, e, f, g, hh))]
    return b"".join(x.to_bytes(4, "big") for x in h)


def run(n: int) -> int:
    """The first 64 bits of SHA-256 over digest.c's first ``n`` bytes."""
    return int.from_bytes(sha256(generate(n))[:8], "big")
