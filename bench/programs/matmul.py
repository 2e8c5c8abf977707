"""Matrix products in f64 over linear memory: two 40x40 matrices per round, i-k-j order, entries summed.

The twin is matmul.c's algorithm in plain Python over flat lists, every
product and sum in the C program's order, so the result is the same to
the bit.
"""

from __future__ import annotations

from ._common import next_random, seed_for

RESULT = "f64"
FULL = (12,)
QUICK = (1,)
REDUCED = (1,)

M = 40


def fill(state: int) -> tuple[list[float], int]:
    values = []
    for _ in range(M * M):
        state = next_random(state)
        values.append((state % 2001 - 1000) / 7.0)
    return values, state


def multiply(a: list[float], b: list[float]) -> list[float]:
    c = [0.0] * (M * M)
    for i in range(M):
        row = i * M
        for k in range(M):
            aik = a[row + k]
            col = k * M
            for j in range(M):
                c[row + j] += aik * b[col + j]
    return c


def run(rounds: int) -> float:
    """matmul.c's run: every product's entries summed, over ``rounds`` rounds."""
    total = 0.0
    for round_ in range(rounds):
        a, state = fill(seed_for(round_))
        b, state = fill(state)
        for value in multiply(a, b):
            total += value
    return total
