"""A counting loop: sum of the multiples of 3 or 5 below n, modulo 2**32."""

from __future__ import annotations

RESULT = "i32"
FULL = (1_500_000,)
QUICK = (2_000,)


def run(n: int) -> int:
    """The sum of every i < n divisible by 3 or 5, wrapped to 32 bits."""
    total = 0
    for i in range(n):
        if i % 3 == 0 or i % 5 == 0:
            total += i
    # Addition modulo 2**32 commutes with the sum, so one mask at the end
    # gives what the Wasm gets by wrapping at every step.
    return total & 0xFFFFFFFF
