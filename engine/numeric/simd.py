"""SIMD (128-bit vector) numerics: the v128 representation and the templates.

Representation
--------------

A v128 value is an unsigned Python ``int`` in ``[0, 2**128)``: the 16 bytes
of the vector read little-endian, so lane 0 of every shape sits in the low
bits (the same number as ``v128.const``'s immediate and the host boundary's
value). It is immutable and copied freely; ``V128_ZERO`` is ``0``.

Scalar operands and results (splat inputs, extracted lanes, replace_lane
values, shift counts, ``any_true``/``all_true``/``bitmask``) use the scalar
representation of :mod:`engine.numeric` (i32 may be a bool).

Why an int
~~~~~~~~~~

Chosen by measurement against 16-byte ``bytes`` (``timeit``, CPython 3.11,
the project's 2-core build machine, shared with other jobs: minimum of
5-9 runs; each operation written as the translator emits it, helpers as
globals; tuples of lanes were ruled out first, since every shape change
would rebuild them). Nanoseconds per operation:

======================================  =======  =========
operation                                int      16 bytes
======================================  =======  =========
v128.load (struct ``16s`` + from_bytes)   105      55
v128.store                                 85      43
v128.and / or / xor                        21     126
i32x4.add (SWAR)                          113     230
i8x16.eq (SWAR)                           145     220
f32x4.add / mul (helper)                  460     290
i8x16.shuffle (interleave, 4 runs)        200     430
i32x4.extract_lane                         37      55
i32x4.replace_lane                         71     210
i32x4.splat                                24      60
======================================  =======  =========

and on whole loops of the same operations (ns per iteration, int / bytes;
two runs agreed within 5%): f32 saxpy 1005 / 627, f32 dot 890 / 559, i32
sum 220 / 324, memchr-style i8x16.eq + any_true 259 / 335, u8 blend (avgr)
394 / 419, xor cipher 208 / 240, 32-bit interleave shuffles 864 / 874, lane
extraction 434 / 533: a geometric mean of 0.98. Bytes win only where the
vector is split into float lanes (``struct`` reads them straight from
bytes); the int wins every integer, bitwise and lane operation, and most of
the instruction set is integer. The int also makes those operations single
inline expressions without calls (which the translator may fold into larger
expressions), makes constants and the host boundary free, and gives ``==``
for free. So: an int; f32x4/f64x2 arithmetic pays about 170 ns per
operation for the trip through bytes.

The final templates, same method (ns per operation): load 83, store 69,
and/xor 14, bitselect 45, any_true 4, i8x16.add 93, i32x4.add 92,
i32x4.sub 115, i32x4.mul 649, i8x16.eq 124, i8x16.lt_u 253, i8x16.min_u
251, i8x16.bitmask 154, all_true 65, i32x4.shl 45, i32x4.shr_s 126,
f32x4.add 340, f32x4.mul 344, f32x4.div 360, f32x4.min 328, f32x4.lt 300,
f32x4.abs 14, f64x2.add 274, i8x16.shuffle (8 runs, translate) 238,
swizzle 163, i32x4.extract_lane 30, f32x4.extract_lane 135,
i32x4.replace_lane 47, f32x4.replace_lane 116, i32x4.splat 17,
f32x4.splat 86, load32_splat 41, load32_lane 107, store32_lane 69.

How the operations work
~~~~~~~~~~~~~~~~~~~~~~~

* bitwise ops, integer add/sub/neg/abs/avgr, compares, min/max, shifts,
  all_true, bitmask, splat, extract/replace lane and most shuffles are SWAR
  expressions on the int (:mod:`engine.numeric.simd_int`,
  :mod:`engine.numeric.simd_move`);
* lane-wise multiplications, narrowing, widening, dot products and float
  arithmetic split the vector with ``struct`` in generated, lane-unrolled
  helpers (:mod:`engine.numeric.simd_float`);
* swizzle, popcnt and many-run shuffles use ``bytes.translate``.

Float lanes follow the scalar rules exactly (same NaN, rounding, min/max,
nearest and saturation rules; the rounding rules are the scalar templates
written out per lane). f32 lanes carry signalling NaNs bit-exactly through
every move: loads, stores, shuffles, swizzles, extract and replace lane,
splat, bitselect, abs, neg, pmin and pmax never turn lanes into floats.

Relaxed SIMD
~~~~~~~~~~~~

Every relaxed instruction takes the deterministic profile's behaviour
(the spec's choice 0, always one of the results the suite's ``either``
accepts):

* ``i8x16.relaxed_swizzle``: ``i8x16.swizzle`` (indices >= 16 give 0);
* ``i32x4.relaxed_trunc_*``: the saturating truncations (NaN -> 0);
* ``f32x4/f64x2.relaxed_madd`` / ``nmadd``: unfused, ``fadd(fmul(a, b), c)``
  with the product rounded to the lane type (``nmadd`` negates ``a``);
* ``*.relaxed_laneselect``: ``v128.bitselect`` (every mask bit counts);
* ``f32x4/f64x2.relaxed_min`` / ``max``: ``min`` / ``max`` (NaN
  propagating, -0 < +0);
* ``i16x8.relaxed_q15mulr_s``: ``i16x8.q15mulr_sat_s`` (saturating);
* ``i16x8.relaxed_dot_i8x16_i7x16_s`` and
  ``i32x4.relaxed_dot_i8x16_i7x16_add_s``: both operands signed, pairwise
  sums saturated to i16 (as the spec's ``ivdot_sat``).

Tables for the translator
-------------------------

:data:`SIMD_OPS` maps every SIMD instruction that does not touch memory
(except ``v128.const``) to an expression template with ``{0}``, ``{1}``,
``{2}`` for the operands in Wasm order, or, for ``extract_lane``,
``replace_lane`` and ``i8x16.shuffle``, to a function from the immediate
(lane index; tuple of 16 lane indices) to such a template. Every template
names each of its operands at least once (a shuffle that ignores an operand
names it in a branch the compiler folds away). :data:`SIMD_MEMORY` holds the
memory instructions' templates (see :mod:`engine.numeric.simd_memory`;
:data:`SIMD_STORES` lists those that are statements). :data:`SIMD_HELPERS`
maps every name the templates use (all start with ``v``, none is a scalar
helper's name); the namespace of generated code needs it next to the scalar
:data:`engine.numeric.HELPERS`.

Memory templates raise ``struct.error`` or ``IndexError`` out of bounds,
and ``OverflowError`` for an address of 2**63 or more (``unpack_from``
cannot take it); nothing is written by a store that fails.
"""

from __future__ import annotations

from typing import Callable, Union

from ..errors import UsageError
from ..syntax.opcodes import Op
from . import simd_float, simd_int, simd_memory, simd_move

__all__ = [
    "SIMD_HELPERS",
    "SIMD_MEMORY",
    "SIMD_OPS",
    "SIMD_STORES",
    "V128_ZERO",
    "v128_from_int",
    "v128_to_int",
]

Template = Union[str, Callable[..., str]]

#: The v128 value with all bits clear: the default of v128 locals.
V128_ZERO: int = 0

_M128 = (1 << 128) - 1


def v128_from_int(x: int) -> int:
    """The engine's v128 for the 128-bit integer ``x`` (lane 0 in the low
    bits). Accepts ``-2**127 <= x < 2**128`` (negative values as two's
    complement); raises :class:`UsageError` otherwise."""
    if isinstance(x, bool) or not isinstance(x, int):
        raise UsageError(f"a v128 must be an int, not {type(x).__name__}")
    if not -(1 << 127) <= x <= _M128:
        raise UsageError(f"{x} does not fit in a v128")
    return x & _M128


def v128_to_int(v: int) -> int:
    """The unsigned 128-bit integer of the engine's v128 ``v``."""
    return int(v)


def _merge(*tables: dict) -> dict:
    out: dict = {}
    for table in tables:
        for key, value in table.items():
            if key in out and out[key] is not value and out[key] != value:
                raise RuntimeError(f"conflicting SIMD entries for {key!r}")
            out[key] = value
    return out


#: Op -> expression template, or immediate -> template (see the docstring).
SIMD_OPS: dict[Op, Template] = _merge(simd_int.OPS, simd_float.OPS, simd_move.OPS)

#: Op -> template of a memory instruction (placeholders m, a, v, lane).
SIMD_MEMORY: dict[Op, str] = dict(simd_memory.SIMD_MEMORY)

#: The memory instructions whose template is a statement (stores).
SIMD_STORES: frozenset[Op] = simd_memory.STORES

#: Every name used by the templates of SIMD_OPS and SIMD_MEMORY.
SIMD_HELPERS: dict[str, object] = _merge(simd_int.HELPERS, simd_float.HELPERS, simd_move.HELPERS,
                                         simd_memory.HELPERS)
