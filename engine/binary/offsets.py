"""Where each instruction of a function body starts, in bytes.

The decoder keeps instructions, not their positions; trap backtraces
(``Trap.frames``) need positions only when a trap is looked at, so they are
found again then: :func:`instruction_offsets` walks a body that decoded
once already, skipping each instruction's immediates with the decoder's
own readers, and lists where each instruction starts, in the order of
``Func.body``.
"""

from __future__ import annotations

from . import instructions as ins
from .leb128 import i32, u32
from .locals import decode_locals


def instruction_offsets(body: bytes) -> list[int]:
    """The offset of every instruction of a function body (``body`` is the
    entry of the code section: the locals, then the code), counted from the
    start of ``body``, the final ``end`` included. Raises ``IndexError`` or
    :class:`~engine.MalformedError` on bytes that are not a valid body."""
    _, pos = decode_locals(body, 0, 1 << 32)
    kinds, ops, _simple, readers, prefixed, memarg = ins.FULL_TABLES
    starts: list[int] = []
    depth = 0
    while True:
        starts.append(pos)
        b = body[pos]
        pos += 1
        k = kinds[b]
        if k == ins._END:
            if not depth:
                return starts
            depth -= 1
        elif k == ins._BLOCK:
            _, pos = ins.blocktype(body, pos)
            depth += 1
        elif k == ins._INDEX or k == ins._CATCH:
            _, pos = u32(body, pos)
        elif k == ins._DELEGATE:  # closes its try
            _, pos = u32(body, pos)
            depth -= 1
        elif k == ins._MEMARG:
            *_, pos = memarg(body, pos)
        elif k == ins._I32:
            _, pos = i32(body, pos)
        elif k == ins._PREFIX:
            sub, pos = u32(body, pos)
            op, _imm, reader, instr = prefixed[(b, sub)]
            if instr is None:
                _, pos = reader(body, pos, op)
        elif k == ins._OTHER:
            _, pos = readers[b](body, pos, ops[b])
            if b == 0x1F:  # try_table opens a block
                depth += 1
        # _SIMPLE, _ELSE, _CATCH_ALL: no immediates
