"""The scalar Wasm twin of the SIMD kernel: the same dot products, one lane at a time."""

from __future__ import annotations

from .simd import FULL, QUICK, RESULT, run  # noqa: F401  (the same work and result)
