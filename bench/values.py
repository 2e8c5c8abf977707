"""Result values: one canonical form per Wasm result type, so results from
runners that return signed, unsigned or boxed values compare exactly."""

from __future__ import annotations

import struct

_WIDTH = {"i32": 32, "i64": 64}


def canonical(value: object, result: str) -> int:
    """The bit pattern of ``value`` as a Wasm ``result`` value.

    Integers may be given signed or unsigned; anything outside both ranges,
    or of the wrong Python type, is a :class:`ValueError` (a wrong answer,
    not something to wrap silently). f64 compares by its IEEE bits, so -0.0
    and NaN payloads count.
    """
    if result == "f64":
        if not isinstance(value, float):
            raise ValueError(f"expected a float for f64, got {value!r}")
        return struct.unpack("<Q", struct.pack("<d", value))[0]
    width = _WIDTH[result]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected an int for {result}, got {value!r}")
    if not -(1 << (width - 1)) <= value < (1 << width):
        raise ValueError(f"{value} does not fit in {result}")
    return value & ((1 << width) - 1)


def show(bits: int, result: str) -> str:
    """A canonical value as a person reads it: signed integer or float."""
    if result == "f64":
        return repr(struct.unpack("<d", struct.pack("<Q", bits))[0])
    width = _WIDTH[result]
    signed = bits - (1 << width) if bits >> (width - 1) else bits
    return str(signed)
