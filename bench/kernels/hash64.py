"""i64 hash: sum of the SplitMix64 finaliser over the counter 1..n, mod 2**64."""

from __future__ import annotations

RESULT = "i64"
FULL = (200_000,)
QUICK = (500,)

_MASK64 = 0xFFFFFFFFFFFFFFFF


def run(n: int) -> int:
    """The wrapped sum of splitmix64(i) for i = 1..n."""
    acc = 0
    for i in range(1, n + 1):
        z = (i * 0x9E3779B97F4A7C15) & _MASK64
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        acc += z ^ (z >> 31)
    # Wrapping once at the end equals wrapping every addition.
    return acc & _MASK64
