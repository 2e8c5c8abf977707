"""Decoding of a function's local declarations.

The binary format declares locals in runs (count, type). The total may be
up to 2**32 - 1; more is malformed ("too many locals"). The decoded function
lists one type per local, so before expanding the runs the total is also
held to implementation limits that keep a few bytes from demanding
gigabytes: :data:`MAX_LOCALS` per function (the limit wasmtime and other
engines apply), and a budget for the whole module that the caller passes
in and that grows with the size of the code section.
"""

from __future__ import annotations

from itertools import repeat

from ..errors import MalformedError
from . import messages as msg
from .leb128 import u32
from .types import count, valtype

#: The largest total the spec allows.
SPEC_MAX_LOCALS = 2**32 - 1
#: The most locals this engine expands for one function.
MAX_LOCALS = 50_000
#: Beyond one function at MAX_LOCALS, how many locals a module may declare
#: per byte of its code section.
LOCALS_PER_CODE_BYTE = 8


def decode_locals(data: bytes, pos: int, budget: int = MAX_LOCALS) -> tuple[tuple, int]:
    """The locals of one function body, expanded: one value type per local.

    ``budget`` is how many locals the caller still lets this body expand to.
    """
    n, pos = count(data, pos)
    if n == 0:
        return (), pos
    runs = []
    total = 0
    for _ in range(n):
        c, pos = u32(data, pos)
        t, pos = valtype(data, pos)
        total += c
        if total > SPEC_MAX_LOCALS:
            raise MalformedError(msg.TOO_MANY_LOCALS)
        runs.append((c, t))
    limit = min(MAX_LOCALS, budget)
    if total > limit:
        raise MalformedError(f"{msg.TOO_MANY_LOCALS}: {total} exceeds this engine's limit of {limit}")
    if n == 1:
        c, t = runs[0]
        return (t,) * c, pos
    out: list = []
    for c, t in runs:
        out.extend(repeat(t, c))
    return tuple(out), pos
