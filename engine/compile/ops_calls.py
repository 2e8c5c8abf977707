"""Translation of tail calls and typed function references.

``return_call*`` returns a ``TailCall`` to the trampoline that functions
containing tail calls get (engine.compile.env.make_driver), so chains of
tail calls run in constant Python stack; ``call_ref`` and the null-testing
branches are plain Python.
"""

from __future__ import annotations

from ..syntax.opcodes import Op
from .translator import Translator, _Entry, handles

# -- tail calls and typed function references ------------------------------------------


def _tail_with(self: Translator, callee: str, ft) -> None:
    args = self.pop_n(len(ft.params))
    inner = ", ".join(a.text for a in args)
    self.emit(f"return TAILCALL({callee}, ({inner}{',' if len(args) == 1 else ''}))")
    self.uses_tail = True
    self.cur().unreachable = True


@handles(Op.RETURN_CALL)
def _return_call(self: Translator, ins, pc):
    fidx = ins[1]
    _tail_with(self, self.ctx.use(f"FT{fidx}"), self.ctx.func_type(fidx))


@handles(Op.RETURN_CALL_INDIRECT)
def _return_call_indirect(self: Translator, ins, pc):
    typeidx, tableidx = ins[1], ins[2]
    ft = self.ctx.type_func(typeidx)
    idx = self.atom(self.pop())
    tb = self.ctx.use(f"TB{tableidx}")
    ty = self.ctx.use(f"TY{typeidx}")
    ref = self.temp()
    self.emit(f"{ref} = {tb}[{idx}] if {idx} < len({tb}) else TABLE_OOB()")
    self.emit(f"if {ref} is None or {ref}.deftype is not {ty}: CHECK_SIG({ref}, {ty})")
    _tail_with(self, f"{ref}.tfn", ft)


@handles(Op.CALL_REF)
def _call_ref(self: Translator, ins, pc):
    ft = self.ctx.type_func(ins[1])
    ref = self.atom(self.pop())
    self.call_with(f"({ref}.fn if {ref} is not None else NULL_REF())", ft)


@handles(Op.RETURN_CALL_REF)
def _return_call_ref(self: Translator, ins, pc):
    ft = self.ctx.type_func(ins[1])
    ref = self.atom(self.pop())
    self.emit(f"if {ref} is None: NULL_REF()")
    _tail_with(self, f"{ref}.tfn", ft)


@handles(Op.REF_AS_NON_NULL)
def _ref_as_non_null(self: Translator, ins, pc):
    v = self.atom(self.pop())
    self.emit(f"if {v} is None: NULL_REF()")
    self.stack.append(_Entry(v, 0, True))


@handles(Op.BR_ON_NULL)
def _br_on_null(self: Translator, ins, pc):
    v = self.atom(self.pop())
    f = self.cur()
    self.ensure_depth(f.blocks, f.indent + 1)
    self.emit(f"if {v} is None:")
    with self.indented():
        self.branch(ins[1])
    self.stack.append(_Entry(v, 0, True))


@handles(Op.BR_ON_NON_NULL)
def _br_on_non_null(self: Translator, ins, pc):
    v = self.atom(self.pop())
    f = self.cur()
    self.ensure_depth(f.blocks, f.indent + 1)
    self.emit(f"if {v} is not None:")
    self.stack.append(_Entry(v, 0, True))
    with self.indented():
        self.branch(ins[1])
    self.stack.pop()
