"""A memory scan: fill n bytes with a pattern, then their Adler-32 checksum.

``n`` must not exceed the Wasm kernel's memory (16 pages, 1 MiB).
"""

from __future__ import annotations

RESULT = "i32"
FULL = (600_000,)
QUICK = (1_000,)

_MOD_ADLER = 65521


def run(n: int) -> int:
    """The Adler-32 checksum of the n-byte pattern ``(31*i + i//128) & 0xFF``."""
    data = bytes([(i * 31 + (i >> 7)) & 0xFF for i in range(n)])
    a, b = 1, 0
    for byte in data:
        a = (a + byte) % _MOD_ADLER
        b = (b + a) % _MOD_ADLER
    return (b << 16) | a
