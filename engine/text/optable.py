"""The text names of plain instructions, from the shared opcode table, and
the natural alignment of every memory access."""

from __future__ import annotations

import re

from ..syntax.opcodes import DECODE, Imm, Op

#: Instructions with their own syntax (blocks and their delimiters, and
#: ``select``, whose typed form is one text name for two opcodes).
STRUCTURED = frozenset({
    "block", "loop", "if", "else", "end", "try", "catch", "catch_all", "delegate", "try_table",
    "select", "select_t",
})


def _plain() -> dict[str, tuple[Op, Imm]]:
    table: dict[str, tuple[Op, Imm]] = {}
    for op, kind in DECODE.values():
        text = op.text
        if text in STRUCTURED:
            continue
        if kind is Imm.REFTYPE_NULL:
            kind = Imm.REFTYPE
        table.setdefault(text, (op, kind))
    return table


#: text name -> (Op, immediate kind), for every plain instruction.
PLAIN: dict[str, tuple[Op, Imm]] = _plain()

_WIDTH = {"i32": 32, "i64": 64, "f32": 32, "f64": 64, "v128": 128}
_ACCESS = re.compile(r"(?:load|store|rmw|wait)(\d+)(?:x(\d+))?")


def _natural_alignment(text: str) -> int:
    """log2 of the access size in bytes, read off the instruction's name."""
    if text == "memory.atomic.notify":
        bits = 32
    else:
        m = _ACCESS.search(text)
        if m is not None:
            bits = int(m.group(1)) * (int(m.group(2)) if m.group(2) else 1)
        else:
            bits = _WIDTH[text.split(".", 1)[0]]
    return (bits // 8).bit_length() - 1


#: Op -> log2 of its natural alignment, for every instruction with a memarg.
NATURAL_ALIGN: dict[Op, int] = {
    op: _natural_alignment(text)
    for text, (op, kind) in PLAIN.items()
    if kind in (Imm.MEMARG, Imm.MEMARG_LANE)
}
