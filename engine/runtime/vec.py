"""The v128 representation as the runtime sees it (see engine.numeric.simd)."""

from __future__ import annotations

try:  # the SIMD numerics define the representation when present
    from ..numeric.simd import V128_ZERO as ZERO, v128_from_int as from_int, v128_to_int as to_int
except ImportError:  # pragma: no cover - before SIMD support
    ZERO = 0

    def from_int(x: int):
        return x

    def to_int(v) -> int:
        return v
