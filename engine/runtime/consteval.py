"""Evaluation of constant expressions (global, table and segment initialisers,
segment offsets).

Constant expressions are short and run once per instantiation, so a small
stack interpreter is the right tool here; function bodies are translated.
"""

from __future__ import annotations

import struct
from typing import Any, Optional

from ..errors import InstantiationError
from ..syntax.opcodes import Op

_M32 = 0xFFFFFFFF
_M64 = 0xFFFFFFFFFFFFFFFF


def _f64(bits: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


def evaluate(expr: tuple, inst: Any) -> Any:
    """The value of constant expression ``expr`` in instance ``inst``
    (whose globals and functions must already exist)."""
    from ..numeric import f32_from_bits

    stack: list = []
    push = stack.append
    pop = stack.pop
    for ins in expr:
        op = ins[0]
        if op == Op.I32_CONST or op == Op.I64_CONST or op == Op.V128_CONST:
            push(ins[1])
        elif op == Op.F32_CONST:
            push(f32_from_bits(ins[1]))
        elif op == Op.F64_CONST:
            push(_f64(ins[1]))
        elif op == Op.GLOBAL_GET:
            push(inst.globals[ins[1]].cell.cell_contents)
        elif op == Op.REF_NULL:
            push(None)
        elif op == Op.REF_FUNC:
            push(inst.funcs[ins[1]])
        elif op == Op.I32_ADD:
            b = pop()
            push((pop() + b) & _M32)
        elif op == Op.I32_SUB:
            b = pop()
            push((pop() - b) & _M32)
        elif op == Op.I32_MUL:
            b = pop()
            push((pop() * b) & _M32)
        elif op == Op.I64_ADD:
            b = pop()
            push((pop() + b) & _M64)
        elif op == Op.I64_SUB:
            b = pop()
            push((pop() - b) & _M64)
        elif op == Op.I64_MUL:
            b = pop()
            push((pop() * b) & _M64)
        elif op == Op.END:
            break
        else:
            handler = _extended_ops().get(op)
            if handler is None:
                raise InstantiationError(f"unsupported instruction {op.name} in a constant expression")
            handler(ins, stack, inst)
    return stack[-1] if stack else None


_EXTENDED: Optional[dict] = None


def _extended_ops() -> dict:
    """The constant instructions of GC and custom descriptors: op ->
    ``handler(ins, stack, inst)`` (imported on first use: most modules
    never need them; built whole before it is published, for threads)."""
    global _EXTENDED
    table = _EXTENDED
    if table is None:
        from . import descriptors, gc

        table = {**gc.CONST_OPS, **descriptors.CONST_OPS}
        _EXTENDED = table
    return table
