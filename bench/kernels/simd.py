"""SIMD dot products: i32x4 multiply-accumulate over two vectors in memory."""

from __future__ import annotations

RESULT = "i32"
FULL = (4096, 40)
QUICK = (64, 2)

_M32 = 0xFFFFFFFF


def run(n: int, reps: int) -> int:
    """reps dot products of a[i] = 7i + 3 and b[i] = 13i + 5, wrapped to 32 bits."""
    a = [(i * 7 + 3) & _M32 for i in range(n)]
    b = [(i * 13 + 5) & _M32 for i in range(n)]
    total = 0
    for _ in range(reps):
        total += sum(x * y for x, y in zip(a, b))
    return total & _M32
