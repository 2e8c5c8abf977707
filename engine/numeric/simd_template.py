"""Small tools to write SIMD templates and lane-unrolled helpers.

Templates are written with upper-case tokens for the SWAR constants of a
shape (``LOW``, ``MSB``, ``LSB``, ``LANE``, ``W1``); :func:`shaped` replaces
them with hex literals, which CPython loads as constants (cheaper than a
global name). Helper functions whose bodies repeat per lane are generated
from source text written in this package (never from module data) by
:func:`define`, so each lane is a straight-line expression instead of a loop.
"""

from __future__ import annotations

import re
from typing import Callable

from .simd_bits import Shape

_TOKEN = re.compile(r"\b(LOW|MSB|LSB|LANE|W1|ONES)\b")


def shaped(template: str, shape: Shape) -> str:
    """``template`` with the shape tokens replaced by literals."""
    values = {
        "LOW": hex(shape.low),
        "MSB": hex(shape.msb),
        "LSB": hex(shape.lsb),
        "LANE": hex(shape.lane),
        "W1": str(shape.width - 1),
        "ONES": hex(shape.ones),
    }
    return _TOKEN.sub(lambda m: values[m.group(1)], template)


def define(name: str, source: str, namespace: dict) -> Callable:
    """Compile the function ``name`` from ``source`` in ``namespace``."""
    code = compile(source, f"<simd helper {name}>", "exec")
    exec(code, namespace)  # noqa: S102 - source is this package's own text
    fn = namespace[name]
    fn.__qualname__ = name
    return fn


def lanes(expr: str, n: int, sep: str = ", ") -> str:
    """``expr`` written once per lane ``0 .. n-1``: every ``#`` in it becomes
    the lane number (``"a# + b#"`` -> ``"a0 + b0, a1 + b1, ..."``)."""
    return sep.join(expr.replace("#", str(i)) for i in range(n))


def names(prefix: str, n: int) -> str:
    """``"a0, a1, ..., a{n-1}"``."""
    return lanes(prefix + "#", n)
