"""Call-heavy: many small non-recursive calls (three per iteration)."""

from __future__ import annotations

RESULT = "i32"
FULL = (450_000,)
QUICK = (1_000,)

_MASK32 = 0xFFFFFFFF


def square(x: int) -> int:
    """x squared (the callers keep x below 1024, so it never wraps)."""
    return x * x


def mix(a: int, b: int) -> int:
    """Fold b into a, wrapping at 32 bits."""
    return ((a ^ b) + 0x9E37) & _MASK32


def step(acc: int, i: int) -> int:
    """One iteration: mix the square of i's low ten bits into acc."""
    return mix(acc, square(i & 1023))


def run(n: int) -> int:
    """The accumulator after n steps."""
    acc = 0
    for i in range(n):
        acc = step(acc, i)
    return acc
