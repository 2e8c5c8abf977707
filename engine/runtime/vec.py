"""The v128 representation as the runtime sees it (defined, with the
measurements behind it, in :mod:`engine.numeric.simd`)."""

from __future__ import annotations

from ..numeric.simd import V128_ZERO as ZERO  # noqa: F401
from ..numeric.simd import v128_from_int as from_int  # noqa: F401
from ..numeric.simd import v128_to_int as to_int  # noqa: F401
