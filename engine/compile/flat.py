"""The general lowering: any valid function, whatever its nesting.

The function becomes a dispatch loop over basic blocks::

    PC = 0
    while True:
        if PC < 4:
            if PC == 0: ...; PC = 3; continue
            ...

Operand-stack slots that live across block boundaries are the variables
``S<height>`` (validation fixes the stack height at every label), so a branch
copies its values into the target's slots and sets ``PC``. Inside a basic
block the symbolic stack of the structured translator is reused, with its
pending expressions. The Python nesting is one loop plus a binary dispatch
tree of depth log2(blocks), so any Wasm nesting depth compiles; the price is
one dispatch per jump, which is why this lowering is used only when the
structured one would exceed CPython's limits.
"""

from __future__ import annotations

import contextlib
from typing import Optional

from ..syntax.opcodes import Op
from ..syntax.opcodes import CatchKind
from .translator import Translator, _default_literal, _Entry, _Frame, indent_line


class FlatTranslator(Translator):
    """Translate a function into a basic-block dispatch loop."""

    def __init__(self, ctx, funcidx: int):
        super().__init__(ctx, funcidx)
        self.handlers = dict(Translator.handlers)
        self.handlers.update(_FLAT)
        self.blocks: dict[int, list[str]] = {}
        self.block_lines: list[str] = []
        self.ind = 0
        self.nblocks = 0
        # exception handling: handler id -> its description; block -> handler
        self.eh: dict[int, dict] = {}
        self.block_ctx: dict[int, int] = {}

    # -- emission -----------------------------------------------------------

    def emit(self, line: str) -> None:
        self.block_lines.append("    " * self.ind + line)

    def out_lines(self) -> list[str]:
        return self.block_lines

    def emit_at(self, indent: int, line: str) -> None:  # pragma: no cover - unused here
        self.emit(line)

    def ensure_depth(self, blocks: int, indent: int) -> None:
        pass

    @contextlib.contextmanager
    def indented(self):
        self.ind += 1
        try:
            yield
        finally:
            self.ind -= 1

    def new_label(self) -> int:
        n = self.nblocks
        self.nblocks += 1
        return n

    def current_handler(self) -> int:
        """The handler id protecting code at this point (0: none)."""
        for f in reversed(self.frames):
            if f.kind == "try_table" or (f.kind == "try" and not f.in_handler):
                return f.exc_var
        return 0

    def start_block(self, label: int, height: int) -> None:
        self.block_lines = []
        self.blocks[label] = self.block_lines
        self.block_ctx[label] = self.current_handler()
        self.ind = 0
        self.stack = [_Entry(f"S{h}", 0, True) for h in range(height)]

    def spill(self) -> None:
        """Put every stack value into its canonical slot ``S<height>``."""
        names, texts = [], []
        for h, e in enumerate(self.stack):
            slot = f"S{h}"
            if e.text != slot:
                names.append(slot)
                texts.append(e.text)
            e.text, e.mask, e.simple = slot, 0, True
        if names:
            self.emit(f"{', '.join(names)} = {', '.join(texts)}")

    def jump(self, label: int) -> None:
        self.emit(f"PC = {label}")
        self.emit("continue")

    def label_of(self, f: _Frame) -> int:
        return f.ident

    def branch(self, label: int, values: Optional[list] = None) -> None:
        target = self.frames[-1 - label]
        if target.kind == "func":
            n = len(self.functype.results)
            self.emit_return(self.stack[len(self.stack) - n:] if n else [])
            return
        arity = target.nparams if target.kind == "loop" else target.nresults
        vals = self.stack[len(self.stack) - arity:] if arity else []
        slots = [f"S{target.height + i}" for i in range(arity)]
        pairs = [(s, v.text) for s, v in zip(slots, vals) if s != v.text]
        if pairs:
            self.emit(f"{', '.join(p[0] for p in pairs)} = {', '.join(p[1] for p in pairs)}")
        self.jump(target.ident)

    # -- driver -------------------------------------------------------------

    def before(self, op) -> None:
        if op in _BRANCHES:
            # every value must sit in its slot on both sides of a jump
            self.spill()

    def translate(self) -> str:
        nparams = len(self.functype.params)
        nresults = len(self.functype.results)
        args = ", ".join(f"L{i}" for i in range(nparams))
        func = _Frame("func", None, 0, 0, nresults, 0, 0, 0)
        self.frames.append(func)
        entry = self.new_label()
        self.start_block(entry, 0)
        self.walk()
        self.stamp_lines()

        out = [f"def F{self.funcidx}({args}):"]
        if self.nonlocals:
            out.append(f"    nonlocal {', '.join(sorted(self.nonlocals))}")
        for i, t in enumerate(self.local_types[nparams:], start=nparams):
            out.append(f"    L{i} = {_default_literal(t)}")
        out.append(f"    PC = {entry}")
        out.append("    while True:")
        labels = sorted(self.blocks)
        if not self.eh:
            self._dispatch(out, labels, 2)
            return self.finish(out)
        # exceptions: the dispatch runs inside a try; a handler picks the
        # catch clause from the block that was running (PC) and re-enters
        out.append("        try:")
        out.append("            while True:")
        self._dispatch(out, labels, 4)
        out.append("        except WasmException as XE:")
        hmap = tuple(self.block_ctx.get(label, 0) for label in range(self.nblocks))
        k = self.ctx.constant(hmap)
        out.append(f"            H = {k}[PC]")
        out.append("            while True:")
        out.append("                if H == 0: raise XE")
        self._handler_dispatch(out, sorted(self.eh), 4)
        return self.finish(out)

    def _handler_dispatch(self, out: list[str], ids: list[int], indent: int) -> None:
        pad = "    " * indent
        if len(ids) <= 3:
            for k, h in enumerate(ids):
                out.append(f"{pad}{'if' if k == 0 else 'elif'} H == {h}:")
                out.extend("    " * (indent + 1) + line for line in self.eh[h]["code"])
            return
        mid = len(ids) // 2
        out.append(f"{pad}if H < {ids[mid]}:")
        self._handler_dispatch(out, ids[:mid], indent + 1)
        out.append(f"{pad}else:")
        self._handler_dispatch(out, ids[mid:], indent + 1)

    def _dispatch(self, out: list[str], labels: list[int], indent: int) -> None:
        pad = "    " * indent
        if len(labels) <= 4:
            for k, label in enumerate(labels):
                if len(labels) == 1:
                    body_indent = indent
                else:
                    kw = "if" if k == 0 else "elif"
                    if k == len(labels) - 1:
                        out.append(f"{pad}else:")
                    else:
                        out.append(f"{pad}{kw} PC == {label}:")
                    body_indent = indent + 1
                lines = self.blocks[label]
                # a block always ends in a jump; a dead one gets a trap so
                # that the loop can never spin on an unchanged PC
                if not lines or lines[-1].startswith(" ") or not lines[-1].startswith(
                        ("continue", "return", "raise")):
                    lines = lines + ["raise Trap(TC_UNREACHABLE)"]
                bpad = "    " * body_indent
                out.extend(indent_line(bpad, line) for line in lines)
            return
        mid = len(labels) // 2
        out.append(f"{pad}if PC < {labels[mid]}:")
        self._dispatch(out, labels[:mid], indent + 1)
        out.append(f"{pad}else:")
        self._dispatch(out, labels[mid:], indent + 1)


_FLAT: dict = {}
_BRANCHES = frozenset({Op.BR, Op.BR_IF, Op.BR_TABLE, Op.BR_ON_NULL, Op.BR_ON_NON_NULL,
                       Op.BR_ON_CAST, Op.BR_ON_CAST_FAIL,
                       Op.BR_ON_CAST_DESC_EQ, Op.BR_ON_CAST_DESC_EQ_FAIL})


def _h(*ops):
    def deco(fn):
        for op in ops:
            _FLAT[op] = fn
        return fn
    return deco


def _push_frame(self: FlatTranslator, kind: str, pc: int, bt) -> _Frame:
    nparams, nresults = self.block_arity(bt)
    f = _Frame(kind, self.facts.constructs[pc], self.new_label(), nparams, nresults,
               len(self.stack) - nparams, 0, 0)
    self.frames.append(f)
    return f


@_h(Op.BLOCK)
def _block(self: FlatTranslator, ins, pc):
    _push_frame(self, "block", pc, ins[1])


@_h(Op.LOOP)
def _loop(self: FlatTranslator, ins, pc):
    self.spill()
    f = _push_frame(self, "loop", pc, ins[1])
    self.jump(f.ident)
    self.start_block(f.ident, len(self.stack))


@_h(Op.IF)
def _if(self: FlatTranslator, ins, pc):
    cond = self.atom(self.pop())
    self.spill()
    f = _push_frame(self, "if", pc, ins[1])
    f.exc_var = None
    else_label = self.new_label()
    f.entry_params = [else_label]  # reuse: the else block's label
    self.emit(f"if not {cond}:")
    self.ind += 1
    self.jump(else_label)
    self.ind -= 1


@_h(Op.ELSE)
def _else(self: FlatTranslator, ins, pc):
    f = self.cur()
    if not f.unreachable:
        self.spill()
        self.jump(f.ident)
    f.then_reachable = not f.unreachable
    f.else_seen = True
    f.unreachable = False
    self.start_block(f.entry_params[0], f.height + f.nparams)


@_h(Op.END)
def _end(self: FlatTranslator, ins, pc):
    f = self.frames.pop()
    if f.kind == "func":
        if not f.unreachable:
            self.frames.append(f)
            n = len(self.functype.results)
            self.emit_return(self.pop_n(n))
            self.frames.pop()
        return
    if f.kind == "loop":
        if f.unreachable:
            del self.stack[f.height:]
            self.cur().unreachable = True
        return
    if f.kind in ("try_table", "try"):
        _end_try(self, f)
        return
    reachable = not f.unreachable
    if reachable:
        self.spill()
        self.jump(f.ident)
    if f.kind == "if" and not f.else_seen:
        # the else path passes the params through, already in their slots
        self.start_block(f.entry_params[0], f.height + f.nparams)
        self.jump(f.ident)
        reachable = True
    elif f.kind == "if":
        reachable = reachable or f.then_reachable
    reachable = reachable or f.construct.targeted
    self.start_block(f.ident, f.height + f.nresults)
    if not reachable:
        self.cur().unreachable = True


@_h(Op.BR)
def _br(self: FlatTranslator, ins, pc):
    self.branch(ins[1])
    self.cur().unreachable = True


@_h(Op.BR_IF)
def _br_if(self: FlatTranslator, ins, pc):
    cond = self.pop()
    self.emit(f"if {cond.text}:")
    self.ind += 1
    self.branch(ins[1])
    self.ind -= 1


@_h(Op.BR_TABLE)
def _br_table(self: FlatTranslator, ins, pc):
    labels, default = ins[1], ins[2]
    idx = self.atom(self.pop())
    distinct: list[int] = []
    for lab in list(labels) + [default]:
        if lab not in distinct:
            distinct.append(lab)
    ordinal = {lab: k for k, lab in enumerate(distinct)}
    if len(distinct) == 1:
        self.branch(default)
    else:
        table = tuple(ordinal[lab] for lab in labels)
        k = self.ctx.constant(table)
        sel = self.temp()
        self.emit(f"{sel} = {k}[{idx}] if {idx} < {len(table)} else {ordinal[default]}")
        self.emit_dispatch(sel, distinct, 0, len(distinct))
    self.cur().unreachable = True


# -- exception handling ----------------------------------------------------------------


def _new_handler(self: FlatTranslator, f: _Frame, kind: str) -> int:
    """Give the try frame ``f`` (just pushed) its handler id."""
    assert self.frames[-1] is f
    self.frames.pop()
    parent = self.current_handler()
    self.frames.append(f)
    h = len(self.eh) + 1
    self.eh[h] = {"kind": kind, "parent": parent, "code": []}
    f.exc_var = h
    return h


def _slot_copy(target_height: int, values: list[str]) -> str:
    if not values:
        return ""
    slots = [f"S{target_height + i}" for i in range(len(values))]
    return f"{', '.join(slots)} = {', '.join(values)}"


def _handler_jump(self: FlatTranslator, code: list[str], target: _Frame, values: list[str]) -> None:
    """Handler lines that deliver ``values`` to label ``target``."""
    if target.kind == "func":
        if not values:
            code.append("    return")
        elif len(values) == 1:
            code.append(f"    return {values[0]}")
        else:
            code.append(f"    return ({', '.join(values)})")
        return
    copy = _slot_copy(target.height, values)
    if copy:
        code.append("    " + copy)
    code.append(f"    PC = {target.ident}")
    code.append("    break")


def _payload_values(self: FlatTranslator, tagidx: int) -> list[str]:
    n = len(self.ctx.m.tag_type(tagidx).params)
    return [f"XE.raw[{i}]" for i in range(n)]


@_h(Op.TRY_TABLE)
def _try_table(self: FlatTranslator, ins, pc):
    self.spill()
    f = _push_frame(self, "try_table", pc, ins[1])
    f.then_reachable = False  # whether any path reaches the end
    h = _new_handler(self, f, "try_table")
    code = self.eh[h]["code"]
    for kind, tagidx, label in ins[2]:
        target = self.frames[-1 - (label + 1)]
        if kind in (CatchKind.CATCH, CatchKind.CATCH_REF):
            tg = self.ctx.use(f"TG{tagidx}")
            values = _payload_values(self, tagidx)
            if kind == CatchKind.CATCH_REF:
                values.append("XE")
            code.append(f"if XE.tag is {tg}:")
            _handler_jump(self, code, target, values)
        else:
            values = ["XE"] if kind == CatchKind.CATCH_ALL_REF else []
            code.append("if True:")
            _handler_jump(self, code, target, values)
    code.append(f"H = {self.eh[h]['parent']}")
    code.append("continue")
    body = self.new_label()
    self.jump(body)
    self.start_block(body, len(self.stack))


@_h(Op.TRY)
def _try(self: FlatTranslator, ins, pc):
    self.spill()
    f = _push_frame(self, "try", pc, ins[1])
    f.then_reachable = False  # whether any path reaches the end
    _new_handler(self, f, "try")
    f.clauses = 0
    body = self.new_label()
    self.jump(body)
    self.start_block(body, len(self.stack))


def _legacy_clause(self: FlatTranslator, f: _Frame, tagidx) -> None:
    """End the do-section or previous clause of a legacy try; start a clause."""
    if not f.unreachable:
        self.spill()
        self.jump(f.ident)
        f.then_reachable = True
    f.in_handler = True
    f.unreachable = False
    label = self.new_label()
    h = f.exc_var
    code = self.eh[h]["code"]
    x = f"XV{h}"
    if tagidx is None:
        code.append("if True:")
        values = []
    else:
        tg = self.ctx.use(f"TG{tagidx}")
        code.append(f"if XE.tag is {tg}:")
        values = _payload_values(self, tagidx)
    code.append(f"    {x} = XE")
    copy = _slot_copy(f.height, values)
    if copy:
        code.append("    " + copy)
    code.append(f"    PC = {label}")
    code.append("    break")
    self.start_block(label, f.height + len(values))


@_h(Op.CATCH)
def _catch(self: FlatTranslator, ins, pc):
    _legacy_clause(self, self.cur(), ins[1])


@_h(Op.CATCH_ALL)
def _catch_all(self: FlatTranslator, ins, pc):
    f = self.cur()
    f.else_seen = True
    _legacy_clause(self, f, None)


@_h(Op.DELEGATE)
def _delegate(self: FlatTranslator, ins, pc):
    f = self.frames.pop()
    if not f.unreachable:
        self.spill()
        self.jump(f.ident)
        f.then_reachable = True
    # the exception continues at the handler of the first try at or outside
    # the label (the function's caller when there is none)
    target = 0
    for g in reversed(self.frames[: len(self.frames) - ins[1]]):
        if g.kind == "try_table" or (g.kind == "try" and not g.in_handler):
            target = g.exc_var
            break
    code = self.eh[f.exc_var]["code"]
    code.append(f"H = {target}")
    code.append("continue")
    _after_try(self, f)


def _end_try(self: FlatTranslator, f: _Frame) -> None:
    if not f.unreachable:
        self.spill()
        self.jump(f.ident)
        f.then_reachable = True
    h = f.exc_var
    if f.kind == "try":
        self.eh[h]["code"].append(f"H = {self.eh[h]['parent']}")
        self.eh[h]["code"].append("continue")
    _after_try(self, f)


def _after_try(self: FlatTranslator, f: _Frame) -> None:
    self.start_block(f.ident, f.height + f.nresults)
    if not (f.then_reachable or f.construct.targeted):
        self.cur().unreachable = True


@_h(Op.RETHROW)
def _rethrow(self: FlatTranslator, ins, pc):
    f = self.frames[-1 - ins[1]]
    self.emit(f"raise XV{f.exc_var}")
    self.cur().unreachable = True
