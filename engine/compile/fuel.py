"""Fuel metering: where generated code charges fuel, and how much.

A function body is cut into regions: the function itself and the body of
every loop. An instruction belongs to the innermost region around it. The
static cost of a region (every instruction in it, whichever branches run) is
charged where it starts: on entry to the function, and at the top of every
loop iteration. So one check is paid per call and per iteration, a program
and an amount of fuel always stop at the same point, and an unbounded loop
or recursion always runs out. Bulk operations (fill, copy, init, grow) are
charged again in proportion to their length just before they run. With fuel
off none of this is emitted.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..syntax.opcodes import Op

_OPENERS = frozenset({Op.BLOCK, Op.LOOP, Op.IF, Op.TRY_TABLE, Op.TRY})
_LOOP, _END, _DELEGATE = Op.LOOP, Op.END, Op.DELEGATE
_ENDS_SEGMENT = frozenset({
    Op.BLOCK, Op.LOOP, Op.IF, Op.ELSE, Op.END, Op.TRY_TABLE, Op.TRY, Op.CATCH,
    Op.CATCH_ALL, Op.DELEGATE, Op.BR, Op.BR_IF, Op.BR_TABLE, Op.BR_ON_NULL,
    Op.BR_ON_NON_NULL, Op.BR_ON_CAST, Op.BR_ON_CAST_FAIL, Op.BR_ON_CAST_DESC_EQ,
    Op.BR_ON_CAST_DESC_EQ_FAIL, Op.RETURN, Op.UNREACHABLE,
    Op.THROW, Op.THROW_REF, Op.RETHROW, Op.RETURN_CALL, Op.RETURN_CALL_INDIRECT,
    Op.RETURN_CALL_REF,
})
_CALLS = frozenset({Op.CALL, Op.CALL_INDIRECT, Op.CALL_REF, Op.RETURN_CALL,
                    Op.RETURN_CALL_INDIRECT, Op.RETURN_CALL_REF})

#: op -> what its length operand counts ("bytes" or "elements"), and its
#: position from the top of the operand stack
BULK = {
    Op.MEMORY_FILL: ("bytes", 0), Op.MEMORY_COPY: ("bytes", 0), Op.MEMORY_INIT: ("bytes", 0),
    Op.TABLE_FILL: ("elements", 0), Op.TABLE_COPY: ("elements", 0), Op.TABLE_INIT: ("elements", 0),
    Op.MEMORY_GROW: ("pages", 0), Op.TABLE_GROW: ("elements", 0),
    Op.ARRAY_FILL: ("elements", 0), Op.ARRAY_COPY: ("elements", 0),
    Op.ARRAY_INIT_DATA: ("elements", 0), Op.ARRAY_INIT_ELEM: ("elements", 0),
}


@dataclass(frozen=True, slots=True)
class Costs:
    """The translator's view of the engine's fuel costs."""

    instruction: int = 1
    call: int = 1
    per_byte_shift: int = 6  # bulk memory: 1 unit per 64 bytes
    per_element: int = 1
    per_page: int = 1


def costs_from_config(config) -> Costs | None:
    """The costs to emit, or None when the engine does not consume fuel."""
    if not getattr(config, "consume_fuel", False):
        return None
    fc = getattr(config, "fuel_costs", None)
    if fc is None:
        return Costs()
    return Costs(
        instruction=getattr(fc, "instruction", getattr(fc, "base", 1)),
        call=getattr(fc, "call", 1),
        per_byte_shift=getattr(fc, "per_byte_shift", 6),
        per_element=getattr(fc, "per_element", 1),
        per_page=getattr(fc, "per_page", 1),
    )


def segments(body: tuple, costs: Costs) -> dict[int, int]:
    """Region start (body position) -> the fuel the region costs."""
    out: dict[int, int] = {0: 0}
    regions = [0]  # the start of the innermost region
    kinds: list[bool] = []  # for each open construct: is it a loop?
    instruction, call = costs.instruction, costs.call
    for pc, ins in enumerate(body):
        op = ins[0]
        cost = instruction + (call if op in _CALLS else 0)
        out[regions[-1]] += cost
        if op in _OPENERS:
            is_loop = op == _LOOP
            kinds.append(is_loop)
            if is_loop:
                regions.append(pc + 1)
                out[pc + 1] = 0
        elif op == _END or op == _DELEGATE:
            if kinds and kinds.pop():
                regions.pop()
    return {start: cost for start, cost in out.items() if cost}
