"""f64 numerics: midpoint-rule integral of 4 / (1 + x*x) on [0, 1] (about pi)."""

from __future__ import annotations

RESULT = "f64"
FULL = (900_000,)
QUICK = (1_000,)


def run(n: int) -> float:
    """The midpoint-rule sum with n strips, in the Wasm kernel's order."""
    h = 1.0 / n
    total = 0.0
    for i in range(n):
        x = (i + 0.5) * h
        total += 4.0 / (1.0 + x * x)
    return total * h
