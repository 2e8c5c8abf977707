"""Translation of exception handling: try_table, throw, throw_ref and the
legacy try/catch/catch_all/delegate/rethrow.

A try_table is a Python ``try:`` whose ``except WasmException`` clause
matches tags and branches to the catch labels; traps are other Python
exceptions and pass through. ``delegate`` re-raises a ``Delegated``
wrapper that only the handler it names unwraps.
"""

from __future__ import annotations

from ..syntax.opcodes import CatchKind, Op
from .translator import Translator, _Entry, _Frame, handles

# -- exception handling ------------------------------------------------------------


def _payload(self: Translator, x: str, n: int) -> None:
    """Push the ``n`` payload values of exception ``x`` onto the stack."""
    if n == 1:
        self.push_temp(f"{x}.raw[0]")
    elif n > 1:
        names = [self.temp() for _ in range(n)]
        self.emit(f"{', '.join(names)} = {x}.raw")
        self.stack.extend(_Entry(v, 0, True) for v in names)


def _tag_arity(self: Translator, tagidx: int) -> int:
    return len(self.ctx.m.tag_type(tagidx).params)


def _open_try(self: Translator, f: _Frame) -> None:
    if f.is_while:
        self.emit("while True:")
        f.indent += 1
        f.blocks += 1
    self.ensure_depth(f.blocks + 1, f.indent + 2)
    self.emit("try:")
    f.indent += 1
    f.blocks += 1
    self.emit("pass")
    f.exc_var = f"X{f.ident}"


def _except_line(self: Translator, f: _Frame) -> str:
    if f.delegate_target:
        return f"except (WasmException, DELEGATED) as {f.exc_var}:"
    return f"except WasmException as {f.exc_var}:"


def _unwrap_delegated(self: Translator, f: _Frame, indent: int) -> None:
    if f.delegate_target:
        x = f.exc_var
        self.emit_at(indent, f"if {x}.__class__ is DELEGATED:")
        self.emit_at(indent + 1, f"if {x}.target != {f.ident}: raise")
        self.emit_at(indent + 1, f"{x} = {x}.exc")


@handles(Op.TRY_TABLE)
def _try_table(self: Translator, ins, pc):
    nparams, nresults = self.block_arity(ins[1])
    f = self.enter("try_table", pc, nparams, nresults)
    f.entry_params = list(ins[2])  # the catch clauses
    _open_try(self, f)


def _end_try_table(self: Translator, f: _Frame, reachable: bool) -> None:
    body_indent = f.indent
    results = self.pop_n(f.nresults) if reachable else []
    if reachable and f.is_while:
        self.assign_at(body_indent, f.vars, results)
        results = [_Entry(v, 0, True) for v in f.vars]
    del self.stack[f.height:]
    # the handler (f is still the innermost frame, so a catch label L is
    # frame L + 1: catch labels are relative to the try_table's parent)
    f.indent = body_indent - 1
    self.emit_at(f.indent, _except_line(self, f))
    f.indent += 1
    try:
        _unwrap_delegated(self, f, f.indent)
        x = f.exc_var
        catch_all = False
        for kind, tagidx, label in f.entry_params:
            if kind in (CatchKind.CATCH, CatchKind.CATCH_REF):
                tg = self.ctx.use(f"TG{tagidx}")
                self.emit(f"if {x}.tag is {tg}:")
                f.indent += 1
                base = len(self.stack)
                _payload(self, x, _tag_arity(self, tagidx))
                if kind == CatchKind.CATCH_REF:
                    self.stack.append(_Entry(x, 0, True))
                self.branch(label + 1)
                del self.stack[base:]
                f.indent -= 1
            else:
                base = len(self.stack)
                if kind == CatchKind.CATCH_ALL_REF:
                    self.stack.append(_Entry(x, 0, True))
                self.branch(label + 1)
                del self.stack[base:]
                catch_all = True
                break
        if not catch_all:
            self.emit(f"raise {x}")  # (not a bare raise: x may be unwrapped)
    finally:
        self.frames.pop()
    _close_try(self, f, reachable, results)


def _close_try(self: Translator, f: _Frame, reachable: bool, results: list) -> None:
    """After the except clause: leave the while of a targeted try, restore
    the stack of results."""
    if f.is_while:
        # f.indent is the handler's body; the while body is one level up
        self.emit_at(f.indent - 1, "break")
        self.stack.extend(_Entry(v, 0, True) for v in f.vars)
        self.after_while(f)
        return
    if f.kind == "try":
        self.stack.extend(_Entry(v, 0, True) for v in f.vars)
        return
    if reachable:
        self.stack.extend(results)
    else:
        self.cur().unreachable = True


@handles(Op.TRY)
def _try(self: Translator, ins, pc):
    nparams, nresults = self.block_arity(ins[1])
    f = self.enter("try", pc, nparams, nresults)
    _open_try(self, f)


def _begin_clause(self: Translator, f: _Frame) -> None:
    """End the body or the previous catch clause of a legacy try."""
    if not f.unreachable:
        self.assign(f.vars, self.pop_n(f.nresults))
    del self.stack[f.height:]
    if not f.in_handler:
        f.in_handler = True
        handler_indent = f.indent - 1
        self.emit_at(handler_indent, _except_line(self, f))
        _unwrap_delegated(self, f, handler_indent + 1)
        f.indent = handler_indent + 1
    else:
        f.indent -= 1  # back from the previous clause body
    f.unreachable = False


@handles(Op.CATCH)
def _catch(self: Translator, ins, pc):
    f = self.cur()
    _begin_clause(self, f)
    tg = self.ctx.use(f"TG{ins[1]}")
    self.emit(f"{'if' if f.clauses == 0 else 'elif'} {f.exc_var}.tag is {tg}:")
    f.clauses += 1
    f.indent += 1
    self.emit("pass")
    _payload(self, f.exc_var, _tag_arity(self, ins[1]))


@handles(Op.CATCH_ALL)
def _catch_all(self: Translator, ins, pc):
    f = self.cur()
    _begin_clause(self, f)
    self.emit("else:" if f.clauses else "if True:")
    f.clauses += 1
    f.indent += 1
    self.emit("pass")
    f.else_seen = True  # marks the catch_all


@handles(Op.DELEGATE)
def _delegate(self: Translator, ins, pc):
    f = self.frames.pop()
    if not f.unreachable:
        self.assign_at(f.indent, f.vars, self.pop_n(f.nresults))
    del self.stack[f.height:]
    x = f.exc_var
    handler = f.indent - 1
    self.emit_at(handler, _except_line(self, f))
    _unwrap_delegated(self, f, handler + 1)
    # the exception goes to the handler of the first try at or outside label
    target = None
    intermediate = False
    for g in reversed(self.frames[: len(self.frames) - ins[1]]):
        if (g.kind == "try" and not g.in_handler) or g.kind == "try_table":
            target = g
            break
    for g in self.frames[len(self.frames) - ins[1]:]:
        if (g.kind == "try" and not g.in_handler) or g.kind == "try_table":
            intermediate = True
    if target is not None:
        target.delegate_target = True
        self.emit_at(handler + 1, f"raise DELEGATED({x}, {target.ident})")
    elif intermediate:
        self.delegate_wrapper = True
        self.emit_at(handler + 1, f"raise DELEGATED({x}, 0)")
    else:
        self.emit_at(handler + 1, f"raise {x}")
    f.indent = handler + 1
    _close_try(self, f, True, [])


def _end_try(self: Translator, f: _Frame, reachable: bool) -> None:
    """END of a try_table or legacy try; ``f`` is still the innermost frame."""
    if f.kind == "try_table":
        _end_try_table(self, f, reachable)
        return
    if not f.in_handler:
        _begin_clause(self, f)  # a try with no catch clause
        self.emit(f"raise {f.exc_var}")
    else:
        if reachable:
            self.assign(f.vars, self.pop_n(f.nresults))
        del self.stack[f.height:]
        f.indent -= 1
        if not f.else_seen:
            self.emit("else:")
            self.emit_at(f.indent + 1, f"raise {f.exc_var}")
    self.frames.pop()
    _close_try(self, f, True, [])


Translator.end_try = _end_try  # type: ignore[attr-defined]


@handles(Op.THROW)
def _throw(self: Translator, ins, pc):
    tg = self.ctx.use(f"TG{ins[1]}")
    args = self.pop_n(_tag_arity(self, ins[1]))
    inner = ", ".join(a.text for a in args)
    self.emit(f"raise WASM_EXC({tg}, raw=({inner}{',' if len(args) == 1 else ''}))")
    self.cur().unreachable = True


@handles(Op.THROW_REF)
def _throw_ref(self: Translator, ins, pc):
    v = self.pop()
    self.emit(f"raise THROW_REF({v.text})")
    self.cur().unreachable = True


@handles(Op.RETHROW)
def _rethrow(self: Translator, ins, pc):
    f = self.frames[-1 - ins[1]]
    self.emit(f"raise {f.exc_var}")
    self.cur().unreachable = True
