"""One linear pre-pass over a function body: the block structure.

For every structured instruction (block, loop, if, try_table, legacy try) it
records where the construct ends, where its ``else`` (or catch clauses) are,
whether any branch targets its label, and which locals are written inside it.
The translator uses these facts to decide, before emitting a construct,
whether it must become a Python loop and which pending operand-stack
expressions must be materialised at its entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..syntax.opcodes import Op

_OPENERS = frozenset({Op.BLOCK, Op.LOOP, Op.IF, Op.TRY_TABLE, Op.TRY})
# enum attribute lookups cost ~100 ns each: bind the members once
_TRY_TABLE, _END, _ELSE, _CATCH, _CATCH_ALL, _DELEGATE = (
    Op.TRY_TABLE, Op.END, Op.ELSE, Op.CATCH, Op.CATCH_ALL, Op.DELEGATE)
_BR_LIKE = frozenset({Op.BR, Op.BR_IF, Op.BR_ON_NULL, Op.BR_ON_NON_NULL,
                      Op.BR_ON_CAST, Op.BR_ON_CAST_FAIL,
                      Op.BR_ON_CAST_DESC_EQ, Op.BR_ON_CAST_DESC_EQ_FAIL})
_BR_TABLE, _RETHROW = Op.BR_TABLE, Op.RETHROW
_LOCAL_WRITES = frozenset({Op.LOCAL_SET, Op.LOCAL_TEE})
_MIDDLES = frozenset({Op.ELSE, Op.CATCH, Op.CATCH_ALL})


@dataclass(slots=True)
class Construct:
    """Facts about one structured instruction at body position ``start``."""

    start: int
    op: Op
    end: int = -1
    middles: list[int] = field(default_factory=list)  # else / catch / catch_all / delegate positions
    targeted: bool = False  # some branch names this construct's label
    nbranches: int = 0  # instructions naming the label (a br_table counts once)
    written: int = 0  # bit mask of the locals written inside
    rethrown: bool = False  # a legacy rethrow names this construct


@dataclass(slots=True)
class BodyFacts:
    """The result of :func:`analyse`."""

    constructs: dict[int, Construct]
    func_targeted: bool  # a branch names the function's own label
    written: int  # locals written anywhere in the body
    max_depth: int  # deepest construct nesting


def analyse(body: tuple) -> BodyFacts:
    """Scan ``body`` once (linear time) and return its :class:`BodyFacts`."""
    constructs: dict[int, Construct] = {}
    func = Construct(-1, Op.BLOCK)
    stack: list[Construct] = [func]
    max_depth = 0
    for pc, ins in enumerate(body):
        op = ins[0]
        if op in _LOCAL_WRITES:
            stack[-1].written |= 1 << ins[1]
        elif op in _OPENERS:
            c = Construct(pc, op)
            constructs[pc] = c
            stack.append(c)
            if len(stack) > max_depth:
                max_depth = len(stack)
            if op == _TRY_TABLE:
                # catch labels are relative to the context outside the try_table
                for _kind, _tag, label in ins[2]:
                    _mark(stack, label + 1)
        elif op == _END:
            c = stack.pop()
            c.end = pc
            if stack:
                stack[-1].written |= c.written
            else:  # the function's own END
                stack.append(c)
        elif op in _BR_LIKE:
            _mark(stack, ins[1])
        elif op in _MIDDLES:
            stack[-1].middles.append(pc)
        elif op == _DELEGATE:
            c = stack.pop()
            c.middles.append(pc)
            c.end = pc
            stack[-1].written |= c.written
        elif op == _BR_TABLE:
            for label in set(ins[1]) | {ins[2]}:
                _mark(stack, label)
        elif op == _RETHROW:
            idx = len(stack) - 1 - ins[1]
            if 0 <= idx < len(stack):
                stack[idx].rethrown = True
    return BodyFacts(constructs, func.targeted, func.written, max_depth)


def _mark(stack: list[Construct], label: int) -> None:
    idx = len(stack) - 1 - label
    if 0 <= idx < len(stack):
        c = stack[idx]
        c.targeted = True
        c.nbranches += 1
