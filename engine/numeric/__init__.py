"""Exact scalar numerics of WebAssembly, and the representation of values.

This docstring is THE place where the project writes down how Wasm number
values are represented as Python objects; every part of the engine keeps to
it.

Value representation
--------------------

i32, i64
    A Python ``int`` in the unsigned range ``[0, 2**32)`` / ``[0, 2**64)``:
    the two's complement bit pattern. The results of comparisons and
    ``eqz`` are Python bools (``True``/``False`` are the ints 1/0, and they
    are cheaper to produce); every template accepts a bool wherever it
    accepts an i32, and the runtime converts to ``int`` at the host boundary.

f64
    A Python ``float`` whose bits are exactly the f64 bits, NaN payloads
    included: CPython moves floats without touching their bits, and the
    native ``struct`` formats round-trip them exactly.

f32
    A Python ``float`` whose value is exactly representable in f32. An f32
    NaN with sign ``s`` and 23-bit mantissa ``m`` (quiet bit and payload) is
    the f64 NaN with sign ``s`` and mantissa ``m << 29``, so an f32
    signalling NaN is an f64 signalling NaN and stays bit-exact while it is
    only moved. The canonical f32 NaN ``0x7FC00000`` is thus the canonical
    f64 NaN. Use :func:`f32_from_bits` and :func:`f32_to_bits` to cross
    between bits and values (memory, reinterpret, host boundary): they are
    exact for all 2**32 patterns, whereas ``struct.unpack('<f')`` quiets
    signalling NaNs.

    f32 arithmetic is computed in double and rounded once to f32
    (:func:`f32_round`); this is correctly rounded for ``+ - * / sqrt``
    because binary64 has more than ``2 * 24 + 2`` bits.

v128
    A Python ``int`` in ``[0, 2**128)``, lane 0 in the low bits. Bitwise
    operations and lane-wise integer add/sub are single big-int operations;
    f32/f64 lanes follow the scalar rules above. The measurements behind
    this choice (against 16-byte ``bytes`` and lane tuples) are in
    :mod:`engine.numeric.simd`.

references
    ``None`` for null; otherwise objects: see :mod:`engine.runtime.gc`.

Traps and errors
----------------

Numeric traps raise :class:`engine.errors.Trap` with
``INTEGER_DIVIDE_BY_ZERO``, ``INTEGER_OVERFLOW`` or
``BAD_CONVERSION_TO_INTEGER``. The one exception: ``div_u`` and ``rem_u`` of
i32/i64 let Python raise ``ZeroDivisionError``, which the runtime maps to
the integer-divide-by-zero trap at the call boundary. No float operation
raises.

NaN results follow the spec: canonical when every NaN operand is canonical,
otherwise an arithmetic (quiet) NaN, deterministically. ``abs``, ``neg`` and
``copysign`` change the sign bit only and keep every payload.

Rounding directions
-------------------

The rounding-mode-control instructions (``f32.add_ceil`` ...) round the
exact result toward +inf, -inf or zero: :mod:`engine.numeric.rounding`
says how each one is made exact.

Tables for the translator
-------------------------

:data:`SCALAR_OPS` maps every scalar numeric :class:`~engine.syntax.opcodes.Op`
to a Python expression template; :data:`HELPERS` maps every name those
templates use to its object. See :mod:`engine.numeric.scalar`.
"""

from .floatbits import (  # noqa: F401
    CANONICAL_NAN,
    f32_from_bits,
    f32_round,
    f32_to_bits,
    f64_from_bits,
    f64_to_bits,
    is_arithmetic_nan_f32,
    is_arithmetic_nan_f64,
    is_canonical_nan_f32,
    is_canonical_nan_f64,
)
from .scalar import HELPERS, SCALAR_OPS  # noqa: F401

__all__ = [
    "CANONICAL_NAN",
    "HELPERS",
    "SCALAR_OPS",
    "f32_from_bits",
    "f32_round",
    "f32_to_bits",
    "f64_from_bits",
    "f64_to_bits",
    "is_arithmetic_nan_f32",
    "is_arithmetic_nan_f64",
    "is_canonical_nan_f32",
    "is_canonical_nan_f64",
]
