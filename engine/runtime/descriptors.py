"""Run-time semantics of the custom-descriptors proposal.

A struct whose type has a ``descriptor`` clause is allocated with a
descriptor value (``struct.new_desc``, ``struct.new_default_desc``): a
reference to a struct of exactly the descriptor type. The struct keeps it in
the ``desc`` slot of its :class:`~engine.runtime.gc.StructRef`; every other
struct leaves that slot unset, so nothing changes for them.

Descriptor casts (``ref.cast_desc_eq``, ``br_on_cast_desc_eq[_fail]``)
compare a reference's descriptor with a given one by identity. That alone
decides the cast: allocation takes an *exact* descriptor, so a descriptor
value determines the type it describes, and validation makes that type a
subtype of the cast's target (exactly the target when the descriptor
operand is exact).

Traps: a null descriptor operand is ``null descriptor reference`` (before
anything else is looked at); a failed ``ref.cast_desc_eq`` is ``descriptor
cast failure``; ``ref.get_desc`` of null is ``null reference`` (the
generated code reads the ``desc`` slot after its usual null check).

The generated code reaches these helpers as pooled constants; constant
expressions through :data:`CONST_OPS`.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from ..errors import Trap, TrapCode
from ..syntax.opcodes import Op
from .gc import StructRef, default_value, pack

#: The messages of the proposal's tests, under the trap codes they refine.
NULL_DESCRIPTOR = "null descriptor reference"
DESCRIPTOR_CAST_FAILURE = "descriptor cast failure"


def null_descriptor(*_args: Any) -> None:
    """Raise the trap of a null descriptor operand."""
    raise Trap(TrapCode.NULL_REFERENCE, NULL_DESCRIPTOR)


def descriptor_cast_failure(*_args: Any) -> None:
    """Raise the trap of a failed ``ref.cast_desc_eq``."""
    raise Trap(TrapCode.CAST_FAILURE, DESCRIPTOR_CAST_FAILURE)


def new_struct_desc(ty: Any, values: list, desc: Any) -> StructRef:
    """A struct of type ``ty`` with ``values`` (already packed) described by
    ``desc``; a null descriptor traps."""
    if desc is None:
        null_descriptor()
    s = StructRef(values)
    s.type = ty
    s.desc = desc
    return s


@functools.cache
def make_desc_test(nullable: bool) -> Callable[[Any, Any], bool]:
    """The predicate of a descriptor cast whose target is ``nullable`` or
    not: ``test(ref, desc)``; a null ``desc`` traps. One per nullability,
    so that the code's constant pool holds each once."""

    def test(ref: Any, desc: Any) -> bool:
        if desc is None:
            null_descriptor()
        if ref is None:
            return nullable
        # i31 values, arrays, functions and structs without a descriptor
        # have none: the cast fails.
        return ref.__class__ is StructRef and getattr(ref, "desc", None) is desc

    return test


@functools.cache
def make_desc_cast(nullable: bool) -> Callable[[Any, Any], Any]:
    """``ref.cast_desc_eq``: ``cast(ref, desc)`` returns ``ref`` or traps."""
    test = make_desc_test(nullable)

    def cast(ref: Any, desc: Any) -> Any:
        if not test(ref, desc):
            descriptor_cast_failure()
        return ref

    return cast


# -- constant expressions ---------------------------------------------------------------


def _const_struct_new_desc(ins: tuple, stack: list, inst: Any) -> None:
    dt = inst.module._deftypes[ins[1]]
    desc = stack.pop()
    fields = dt.comp.fields
    n = len(fields)
    vals = stack[len(stack) - n:] if n else []
    del stack[len(stack) - n:]
    stack.append(new_struct_desc(dt, [pack(f.storage, v) for f, v in zip(fields, vals)], desc))


def _const_struct_new_default_desc(ins: tuple, stack: list, inst: Any) -> None:
    dt = inst.module._deftypes[ins[1]]
    desc = stack.pop()
    stack.append(new_struct_desc(dt, [default_value(f.storage) for f in dt.comp.fields], desc))


#: The proposal's instructions allowed in constant expressions.
CONST_OPS = {
    Op.STRUCT_NEW_DESC: _const_struct_new_desc,
    Op.STRUCT_NEW_DEFAULT_DESC: _const_struct_new_default_desc,
}
