"""Translation of the shared-everything-threads instructions: the atomic
accesses to globals, tables, structs and arrays, ``ref.i31_shared`` and
``pause``.

Atomic reads are the plain reads (one list slot or closure cell: a single
operation in CPython). Atomic writes and read-modify-writes call the helpers
of :mod:`engine.runtime.atomics`, which hold one lock (see there); both
orderings run sequentially consistent. Nothing here is emitted for code that
does not use these instructions.
"""

from __future__ import annotations

from ..syntax import types as T
from ..syntax.opcodes import Op
from ..syntax.types import ExternKind
from .ops_gc import _mask_for, _nonnull, _sign_extend
from .translator import Translator, _Entry, handles

_MASK = {T.I32: "0xffffffff", T.I64: "0xffffffffffffffff"}


def _name(op: Op) -> str:
    """The access: get, get_s, get_u, set, add ... xchg, cmpxchg."""
    return op.text.rsplit(".", 1)[1]


def _global_type(self: Translator, x: int) -> object:
    module = self.ctx.m.module
    types = [imp.desc.valtype for imp in module.imports if imp.kind == ExternKind.GLOBAL]
    types.extend(g.type.valtype for g in module.globals)
    return types[x]


def _is_ref(storage: object) -> str:
    """The ``refs`` argument of the compare-exchange helpers."""
    return "True" if isinstance(storage, T.RefType) else "False"


def _modify(self: Translator, name: str, storage: object, target: str, kind: str) -> None:
    """A write or read-modify-write of ``target`` (a slot ``seq, i`` when
    ``kind`` is ``SLOT``, a Global object when it is ``GLOBAL``) whose
    operands are on the stack."""
    v = self.pop()
    if name == "set":
        self.emit(f"{kind}_STORE({target}, {v.text}{_mask_for(storage)})")
    elif name == "xchg":
        self.push_temp(f"{kind}_XCHG({target}, {v.text})")
    elif name == "cmpxchg":
        expected = self.pop()
        self.push_temp(f"{kind}_CMPXCHG({target}, {expected.text}, {v.text}, {_is_ref(storage)})")
    else:
        self.push_temp(f"{kind}_RMW({target}, RMW_{name.upper()}, {v.text}, {_MASK[storage]})")


def _pop_operands(self: Translator, name: str) -> list[_Entry]:
    """The value operands of a write (kept aside while the location's own
    operands are popped)."""
    n = 0 if name.startswith("get") else 2 if name == "cmpxchg" else 1
    return self.pop_n(n)


def _global_atomic(self: Translator, ins, pc):
    name, x = _name(ins[0]), ins[2]
    if name == "get":
        self.push_temp(self.ctx.use(f"G{x}"))
        return
    go = self.ctx.use(f"GO{x}")
    _modify(self, name, _global_type(self, x), go, "GLOBAL")


def _table_atomic(self: Translator, ins, pc):
    name = _name(ins[0])
    tb = self.ctx.use(f"TB{ins[2]}")
    vals = _pop_operands(self, name)
    i = self.atom(self.pop())
    if name == "get":
        self.push_temp(f"{tb}[{i}] if {i} < len({tb}) else TABLE_OOB()")
        return
    self.emit(f"if {i} >= len({tb}): TABLE_OOB()")
    self.stack.extend(vals)
    _modify(self, name, T.ANYREF, f"{tb}, {i}", "SLOT")


def _struct_atomic(self: Translator, ins, pc):
    name, k = _name(ins[0]), ins[3]
    storage = self.ctx.comp(ins[2]).fields[k].storage
    vals = _pop_operands(self, name)
    r = _nonnull(self, self.pop())
    if name.startswith("get"):
        text = f"{r}[{k}]"
        self.push_temp(_sign_extend(text, storage) if name == "get_s" else text)
        return
    self.stack.extend(vals)
    _modify(self, name, storage, f"{r}, {k}", "SLOT")


def _array_atomic(self: Translator, ins, pc):
    name = _name(ins[0])
    storage = self.ctx.comp(ins[2]).field.storage
    vals = _pop_operands(self, name)
    i = self.atom(self.pop())
    a = _nonnull(self, self.pop())
    if name.startswith("get"):
        t = self.push_temp(f"{a}[{i}] if {i} < len({a}) else ARRAY_OOB()")
        if name == "get_s":
            self.emit(f"{t} = {_sign_extend(t, storage)}")
        return
    self.emit(f"if {i} >= len({a}): ARRAY_OOB()")
    self.stack.extend(vals)
    _modify(self, name, storage, f"{a}, {i}", "SLOT")


_FAMILIES = {"global": _global_atomic, "table": _table_atomic, "struct": _struct_atomic,
             "array": _array_atomic}
for _op in Op:
    _head, _, _rest = _op.text.partition(".")
    if _rest.startswith("atomic.") and _head in _FAMILIES:
        handles(_op)(_FAMILIES[_head])


@handles(Op.REF_I31_SHARED)
def _ref_i31_shared(self: Translator, ins, pc):
    # shared and unshared i31 values are the same ints (see engine.runtime.gc)
    v = self.pop()
    self.push(f"({v.text} & 0x7FFFFFFF)", v.mask, False)


@handles(Op.PAUSE)
def _pause(self: Translator, ins, pc):
    self.emit("PAUSE()")
