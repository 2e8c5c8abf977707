"""What the plain-Python twins of the C programs share with the C side
(src/program.h): the pseudo-random generator and the per-round seeds."""

from __future__ import annotations

M32 = 0xFFFFFFFF


def seed_for(round_: int) -> int:
    """The generator's starting state for round ``round_`` (program.h's seed_for)."""
    return (((round_ + 1) * 2654435761) & M32) ^ 0x5BD1E995


def next_random(x: int) -> int:
    """One xorshift32 step (program.h's next_random): the next state, which
    is also the value drawn."""
    x ^= (x << 13) & M32
    x ^= x >> 17
    x ^= (x << 5) & M32
    return x
