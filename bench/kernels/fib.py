"""Recursive Fibonacci: call overhead with almost no work per call."""

from __future__ import annotations

RESULT = "i32"
FULL = (29,)
QUICK = (12,)


def fib(n: int) -> int:
    """The n-th Fibonacci number, computed by naive double recursion."""
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def run(n: int) -> int:
    """The i32 the Wasm kernel returns (fib(n) fits in 32 bits for n <= 46)."""
    return fib(n) & 0xFFFFFFFF
