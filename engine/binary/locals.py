"""Decoding of a function's local declarations.

The binary format declares locals in runs (count, type). The total may be
up to 2**32 - 1; more is malformed ("too many locals"). The decoded function
lists one type per local, so before expanding the runs the total is also
held to :data:`MAX_LOCALS`, an implementation limit (wasmtime and other
engines apply the same one) that keeps a few bytes from demanding gigabytes.
"""

from __future__ import annotations

from itertools import repeat

from ..errors import MalformedError
from . import messages as msg
from .leb128 import u32
from .types import count, valtype

#: The largest total the spec allows.
SPEC_MAX_LOCALS = 2**32 - 1
#: The largest total this engine expands.
MAX_LOCALS = 50_000


def decode_locals(data: bytes, pos: int) -> tuple[tuple, int]:
    """The locals of one function body, expanded: one value type per local."""
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
    if total > MAX_LOCALS:
        raise MalformedError(f"{msg.TOO_MANY_LOCALS}: {total} exceeds the limit of {MAX_LOCALS}")
    if n == 1:
        c, t = runs[0]
        return (t,) * c, pos
    out: list = []
    for c, t in runs:
        out.extend(repeat(t, c))
    return tuple(out), pos
