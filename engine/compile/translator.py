"""Translate one validated Wasm function into Python source.

The structured lowering maps Wasm control flow onto Python control flow:

* Wasm locals are Python locals ``L0 .. Ln``; operand-stack slots are either
  pending pure expressions (kept symbolically and substituted into the
  instruction that consumes them) or temporaries ``T0 ..``.
* A construct that some branch targets becomes ``while True: ... break``
  (free at run time in CPython: a loop costs no instruction on entry). A
  branch to the innermost such loop is ``break`` (block) or ``continue``
  (Wasm loop); a branch further out stores the target's number in ``BR``,
  breaks, and each loop it leaves re-dispatches after its end.
* Label values travel in variables ``B<construct>_<i>``.
* Wasm calls are Python calls; several results are tuples.

Only names made up here and numeric literals are ever written into the
source: anything else (special floats, br_table maps, types) is a constant
``K<n>`` bound through the closure (see :mod:`engine.compile.codegen`).

CPython refuses more than 20 statically nested loops/try blocks and about
100 indentation levels; when a function would exceed either, the translator
raises :class:`TooDeep` and the caller uses the general lowering
(:mod:`engine.compile.flat`).
"""

from __future__ import annotations

import contextlib
import math
import re
import struct
from typing import Callable, Optional

from ..syntax import types as T
from ..syntax.opcodes import CatchKind, Op
from .analysis import BodyFacts, Construct, analyse
from .context import FunctionContext
from .fuel import BULK, segments

MAX_STATIC_BLOCKS = 17
MAX_INDENT = 88
MAX_PENDING_TEXT = 160

_SIMPLE = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*|[0-9]+)$")
_PLACEHOLDER = re.compile(r"\{(\d)\}")


class TooDeep(Exception):
    """The structured lowering would exceed CPython's static nesting limits."""


class Unsupported(Exception):
    """An instruction this translator does not handle yet."""


class _Entry:
    """A symbolic operand-stack slot: Python source text, the mask of Wasm
    locals it reads, and whether it is a plain name or literal."""

    __slots__ = ("text", "mask", "simple")

    def __init__(self, text: str, mask: int = 0, simple: bool = False):
        self.text = text
        self.mask = mask
        self.simple = simple


class _Frame:
    __slots__ = (
        "kind", "construct", "ident", "nparams", "nresults", "height",
        "is_while", "vars", "unreachable", "propagated", "indent", "blocks",
        "entry_params", "else_seen", "exc_var", "in_handler", "then_reachable",
        "clauses", "delegate_target", "chain", "case_index",
    )

    def __init__(self, kind, construct, ident, nparams, nresults, height, indent, blocks):
        self.kind = kind
        self.construct = construct
        self.ident = ident
        self.nparams = nparams
        self.nresults = nresults
        self.height = height  # stack height below the params
        self.is_while = False
        self.vars: list[str] = []  # label variables (results; params for loops)
        self.unreachable = False
        self.propagated: set = set()  # frames reached through BR from inside
        self.indent = indent
        self.blocks = blocks  # static Python block depth of the body
        self.entry_params: list[_Entry] = []
        self.else_seen = False
        self.then_reachable = True
        self.exc_var: Optional[str] = None
        self.in_handler = False  # a legacy try whose catch clauses have begun
        self.clauses = 0  # legacy catch clauses emitted so far
        self.delegate_target = False  # some delegate names this try
        self.chain: Optional[_Chain] = None  # a block of a br_table switch
        self.case_index = -1


class _Chain:
    """Nested blocks that only a br_table at the end of the innermost one
    targets: lowered as a switch (``if SEL == k:`` arms) rather than loops."""

    __slots__ = ("openers", "base_indent", "sel", "last_arm_reachable", "arms")

    def __init__(self, openers: list[int], base_indent: int, sel: str):
        self.openers = openers  # body positions, outermost first
        self.base_indent = base_indent
        self.sel = sel
        self.last_arm_reachable = False
        self.arms = 0


def _templates():
    from .. import numeric

    return numeric.SCALAR_OPS


class Translator:
    """Translate function ``funcidx`` of a module, described by ``ctx``."""

    def __init__(self, ctx: FunctionContext, funcidx: int):
        self.ctx = ctx
        self.funcidx = funcidx
        func = ctx.func(funcidx)
        self.body = func.body
        self.functype = ctx.func_type(funcidx)
        self.local_types = list(self.functype.params) + list(func.locals)
        self.lines: list[str] = []
        self.stack: list[_Entry] = []
        self.frames: list[_Frame] = []
        self.ntemps = 0
        self.last_temp = (None, -1, "")  # (lines, count after, name) of the last push_temp
        self.nonlocals: set[str] = set()
        self.uses_br = False
        self.uses_tail = False  # return_call*: compiled as a trampolined body
        self.delegate_wrapper = False  # a delegate to the function's caller
        self.facts: BodyFacts = analyse(self.body)
        self.fuel = ctx.m.fuel
        self.fuel_starts = segments(self.body, self.fuel) if self.fuel is not None else None
        self.templates = _templates()

    # -- output helpers ---------------------------------------------------

    def emit(self, line: str) -> None:
        self.lines.append("    " * self.frames[-1].indent + line if self.frames else line)

    def emit_at(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)

    @contextlib.contextmanager
    def indented(self):
        """Emit the lines of the block one level deeper."""
        f = self.frames[-1]
        f.indent += 1
        try:
            yield
        finally:
            f.indent -= 1

    def temp(self) -> str:
        self.ntemps += 1
        return f"T{self.ntemps}"

    # -- operand stack ----------------------------------------------------

    def push(self, text: str, mask: int = 0, simple: Optional[bool] = None) -> None:
        if simple is None:
            simple = bool(_SIMPLE.match(text))
        if not simple and len(text) > MAX_PENDING_TEXT:
            t = self.temp()
            self.emit(f"{t} = {text}")
            self.stack.append(_Entry(t, 0, True))
            return
        self.stack.append(_Entry(text, mask, simple))

    def push_temp(self, rhs: str) -> str:
        t = self.temp()
        self.emit(f"{t} = {rhs}")
        self.stack.append(_Entry(t, 0, True))
        out = self.out_lines()
        self.last_temp = (out, len(out), t)
        return t

    def out_lines(self) -> list[str]:
        """The list that :meth:`emit` appends to."""
        return self.lines

    def retarget(self, e: _Entry, name: str) -> bool:
        """If ``e`` is the temporary the last emitted line defines, define
        ``name`` there instead (``T1 = x; L3 = T1`` becomes ``L3 = x``)."""
        out, n, t = self.last_temp
        if e.text != t or out is not self.out_lines() or n != len(out):
            return False
        line = out[-1]
        head = line[: len(line) - len(line.lstrip(" "))]
        prefix = f"{head}{t} = "
        if not line.startswith(prefix):
            return False
        out[-1] = f"{head}{name} = {line[len(prefix):]}"
        self.last_temp = (None, -1, "")
        return True

    def pop(self) -> _Entry:
        return self.stack.pop()

    def pop_n(self, n: int) -> list[_Entry]:
        if n == 0:
            return []
        vals = self.stack[-n:]
        del self.stack[-n:]
        return vals

    def atom(self, e: _Entry) -> str:
        """Text of ``e`` as a name or literal, materialising it if needed."""
        if e.simple:
            return e.text
        t = self.temp()
        self.emit(f"{t} = {e.text}")
        e.text, e.mask, e.simple = t, 0, True
        return t

    def materialise_stack(self, mask: int, lo: int = 0) -> None:
        """Give every pending slot from ``lo`` up that reads a local in
        ``mask`` (or is an expression, when mask is -1) its own temporary."""
        for e in self.stack[lo:]:
            if e.mask & mask and not (e.simple and not e.text.startswith("L")):
                t = self.temp()
                self.emit(f"{t} = {e.text}")
                e.text, e.mask, e.simple = t, 0, True

    # -- control frames ---------------------------------------------------

    def block_arity(self, bt) -> tuple[int, int]:
        if bt is None:
            return 0, 0
        if isinstance(bt, int):
            ft = self.ctx.type_func(bt)
            return len(ft.params), len(ft.results)
        return 0, 1

    def cur(self) -> _Frame:
        return self.frames[-1]

    def label_frame(self, label: int, skip_handler: bool = False) -> _Frame:
        return self.frames[-1 - label]

    def label_arity(self, f: _Frame) -> int:
        return f.nparams if f.kind == "loop" else f.nresults

    def enter(self, kind: str, pc: int, nparams: int, nresults: int) -> _Frame:
        parent = self.cur()
        construct = self.facts.constructs[pc]
        # pending slots reading locals written inside would see the new values
        self.materialise_stack(construct.written)
        f = _Frame(kind, construct, pc + 1, nparams, nresults,
                   len(self.stack) - nparams, parent.indent, parent.blocks)
        f.is_while = construct.targeted
        if f.is_while:
            self.ensure_depth(f.blocks + 1, f.indent + 1)
        if f.is_while or kind == "if" or kind in ("try_table", "try"):
            f.vars = [f"B{f.ident}_{i}" for i in range(nresults)]
        if kind == "loop" and f.is_while and nparams:
            f.vars = [f"B{f.ident}_{i}" for i in range(nparams)]
            params = self.pop_n(nparams)
            self.assign(f.vars, params)
            for v in f.vars:
                self.stack.append(_Entry(v, 0, True))
        # copies: the then-branch of an if may materialise its params in place
        f.entry_params = [_Entry(e.text, e.mask, e.simple)
                          for e in self.stack[len(self.stack) - nparams:]] if nparams else []
        self.frames.append(f)
        return f

    def ensure_depth(self, blocks: int, indent: int) -> None:
        if blocks > MAX_STATIC_BLOCKS or indent > MAX_INDENT:
            raise TooDeep()

    def assign(self, names: list[str], entries: list[_Entry]) -> None:
        if not names:
            return
        if len(names) == 1:
            if names[0] != entries[0].text:
                self.emit(f"{names[0]} = {entries[0].text}")
            return
        self.emit(f"{', '.join(names)} = {', '.join(e.text for e in entries)}")

    def branch(self, label: int, values: Optional[list[_Entry]] = None) -> None:
        """Emit the jump to ``label`` carrying the top stack values (left on
        the stack: callers pop them when the branch is unconditional)."""
        target = self.frames[-1 - label]
        arity = self.label_arity(target) if target.kind != "func" else len(self.functype.results)
        if values is None:
            values = self.stack[len(self.stack) - arity:] if arity else []
        if target.kind == "func":
            self.emit_return(values)
            return
        if target.kind == "loop" and not target.is_while:
            raise AssertionError("branch to a loop that is not a Python loop")
        self.assign(target.vars if arity else [], values)
        # innermost Python loop between here and the target
        for f in reversed(self.frames):
            if f.is_while:
                inner = f
                break
        else:  # pragma: no cover - a targeted construct is always a loop
            raise AssertionError("no Python loop for branch")
        if inner is target:
            self.emit("continue" if target.kind == "loop" else "break")
        elif self._falls_into(inner, target):
            self.emit("break")
        else:
            self.uses_br = True
            inner.propagated.add(target)
            self.emit(f"BR = {target.ident}")
            self.emit("break")

    def _falls_into(self, inner: _Frame, target: _Frame) -> bool:
        """Leaving Python loop ``inner`` lands exactly at the end of block
        ``target``: ``inner`` is its last child and it has no results."""
        return (
            target.kind == "block"
            and target.nresults == 0
            and len(self.frames) >= 2
            and inner.construct is not None
            and self.frames[self.frames.index(inner) - 1] is target
            and inner.construct.end + 1 == target.construct.end
        )

    def emit_return(self, values: list[_Entry]) -> None:
        if not values:
            self.emit("return")
        elif len(values) == 1:
            self.emit(f"return {values[0].text}")
        else:
            self.emit(f"return ({', '.join(v.text for v in values)})")

    def after_while(self, f: _Frame) -> None:
        """Re-dispatch branches that left the Python loop of ``f``."""
        targets = list(f.propagated)
        if not targets:
            return
        outer = None
        for g in reversed(self.frames):
            if g.is_while:
                outer = g
                break
        self.emit("if BR:")
        ind = self.cur().indent + 1
        mine = [t for t in targets if t is outer]
        others = [t for t in targets if t is not outer]
        if mine:
            if others:
                self.emit_at(ind, f"if BR == {outer.ident}:")
                self.emit_at(ind + 1, "BR = 0")
                self.emit_at(ind + 1, "continue" if outer.kind == "loop" else "break")
                self.emit_at(ind, "break")
            else:
                self.emit_at(ind, "BR = 0")
                self.emit_at(ind, "continue" if outer.kind == "loop" else "break")
        else:
            self.emit_at(ind, "break")
        for t in others:
            outer.propagated.add(t)

    # -- the main loop ----------------------------------------------------

    def translate(self) -> str:
        """Return the Python source of ``def F<i>(...)``."""
        nparams = len(self.functype.params)
        nresults = len(self.functype.results)
        args = ", ".join(f"L{i}" for i in range(nparams))
        func = _Frame("func", None, 0, 0, nresults, 0, 1, 0)
        self.frames.append(func)
        self.init_locals(nparams)
        self.walk()
        if self.delegate_wrapper:
            self.lines = (["    try:"] + ["    " + line for line in self.lines]
                          + ["    except DELEGATED as XD:", "        raise XD.exc"])
        head = [f"def F{self.funcidx}({args}):"]
        if self.nonlocals:
            head.append(f"    nonlocal {', '.join(sorted(self.nonlocals))}")
        if self.uses_br:
            head.append("    BR = 0")
        return "\n".join(head + _tidy(self.lines)) + "\n"

    def walk(self) -> None:
        """Translate the body instruction by instruction, skipping dead code
        (whole constructs after a jump) but keeping the frame boundaries."""
        body = self.body
        n = len(body)
        pc = 0
        handlers = self.handlers
        constructs = self.facts.constructs
        fuel = self.fuel_starts is not None
        while pc < n:
            ins = body[pc]
            op = ins[0]
            if self.frames[-1].unreachable:
                if op in _OPENERS:
                    pc = constructs[pc].end + 1
                    continue
                if op not in _STRUCTURE:
                    pc += 1
                    continue
            if fuel:
                self.fuel_hook(pc, op)
            self.before(op)
            h = handlers.get(op)
            if h is None:
                h = self.numeric_handler(op)
            h(self, ins, pc)
            pc += 1
            if not self.frames:
                break

    def before(self, op) -> None:
        """A hook run before each live instruction (the general lowering
        spills the stack before branches)."""

    def fuel_hook(self, pc: int, op) -> None:
        """Charge the segment starting here, and the length of a bulk op."""
        cost = self.fuel_starts.get(pc)
        if cost:
            self.charge(str(cost))
        bulk = BULK.get(op)
        if bulk is not None:
            unit, depth = bulk
            e = self.stack[-1 - depth]
            n = self.atom(e)
            if unit == "bytes":
                amount = f"({n} >> {self.fuel.per_byte_shift})"
            elif unit == "pages":
                amount = f"({n} * {self.fuel.per_page})"
            else:
                amount = f"({n} * {self.fuel.per_element})"
            self.charge(amount)

    def charge(self, amount: str) -> None:
        fuel = self.ctx.use("FUEL")
        self.nonlocals.add(fuel)
        self.emit(f"if {fuel} < {amount}: OUT_OF_FUEL()")
        self.emit(f"{fuel} -= {amount}")

    def init_locals(self, nparams: int) -> None:
        for i, t in enumerate(self.local_types[nparams:], start=nparams):
            self.emit(f"L{i} = {_default_literal(t)}")

    # -- numeric ----------------------------------------------------------

    def numeric_handler(self, op):
        tmpl = self.templates.get(op)
        if tmpl is None:
            raise Unsupported(f"instruction {op.name} is not supported by the translator")
        info = _template_info(tmpl) + (2 if op in _TWO_RESULTS else 1,)

        def handler(self, ins, pc, tmpl=tmpl, info=info):
            nargs, repeated, pure, nres = info
            args = self.pop_n(nargs)
            texts = []
            mask = 0
            for i, e in enumerate(args):
                if i in repeated and not e.simple:
                    self.atom(e)
                texts.append(e.text)
                mask |= e.mask
            text = tmpl.format(*texts)
            if nres != 1:
                names = [self.temp() for _ in range(nres)]
                self.emit(f"{', '.join(names)} = {text}")
                for name in names:
                    self.stack.append(_Entry(name, 0, True))
            elif pure:
                self.push(text, mask, False)
            else:
                self.push_temp(text)

        self.handlers[op] = handler
        return handler


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _tidy(lines: list[str]) -> list[str]:
    """Drop ``pass`` where its block has other statements, and statements
    that follow a jump at the same indentation (dead code)."""
    out: list[str] = []
    n = len(lines)
    dead_indent = None
    for i, line in enumerate(lines):
        ind = _indent_of(line)
        if dead_indent is not None:
            if ind >= dead_indent:
                continue
            dead_indent = None
        stripped = line.strip()
        if stripped == "pass" and i + 1 < n and _indent_of(lines[i + 1]) == ind:
            continue
        out.append(line)
        if stripped in ("break", "continue", "return", "raise") or stripped.startswith(("return ", "raise ")):
            dead_indent = ind
    return out


def _default_literal(t) -> str:
    if t in (T.I32, T.I64) or t is T.V128:
        return "0"
    if t in (T.F32, T.F64):
        return "0.0"
    return "None"


_OPENERS = frozenset({Op.BLOCK, Op.LOOP, Op.IF, Op.TRY_TABLE, Op.TRY})
_STRUCTURE = frozenset({Op.BLOCK, Op.LOOP, Op.IF, Op.ELSE, Op.END, Op.TRY_TABLE, Op.TRY,
                        Op.CATCH, Op.CATCH_ALL, Op.DELEGATE})


_TMPL_CACHE: dict[str, tuple] = {}
# a division or remainder by an operand may raise ZeroDivisionError (a trap)
_DIVIDES_BY_OPERAND = re.compile(r"(//|%)\s*\(*\s*\{")
_TWO_RESULTS = frozenset({Op.I64_ADD128, Op.I64_SUB128, Op.I64_MUL_WIDE_S, Op.I64_MUL_WIDE_U})


def _template_info(tmpl: str) -> tuple:
    """(operand count, operands used more than once, pure?)."""
    info = _TMPL_CACHE.get(tmpl)
    if info is None:
        nums = [int(m) for m in _PLACEHOLDER.findall(tmpl)]
        nargs = max(nums) + 1 if nums else 0
        repeated = {i for i in set(nums) if nums.count(i) > 1}
        # calls (names followed by "(") and integer division may trap or be
        # costly: such results are computed at once, in order
        pure = ("(" not in re.sub(r"(?<![A-Za-z0-9_])\(", "", tmpl)
                and not _DIVIDES_BY_OPERAND.search(tmpl))
        info = (nargs, repeated, pure)
        _TMPL_CACHE[tmpl] = info
    return info


# -- instruction handlers --------------------------------------------------------

Handler = Callable[[Translator, tuple, int], None]
_H: dict[Op, Handler] = {}


def handles(*ops: Op):
    def deco(fn):
        for op in ops:
            _H[op] = fn
        return fn
    return deco


Translator.handlers = _H  # type: ignore[attr-defined]


@handles(Op.NOP)
def _nop(self: Translator, ins, pc):
    pass


@handles(Op.UNREACHABLE)
def _unreachable(self: Translator, ins, pc):
    self.emit("raise Trap(TC_UNREACHABLE)")
    self.cur().unreachable = True


def _switch_chain(self: Translator, pc: int) -> Optional[list[int]]:
    """The openers (outermost first) of a br_table switch starting at ``pc``:
    consecutive blocks without params or results, ending where the
    innermost's last instruction is a br_table, each named only by it."""
    body = self.body
    constructs = self.facts.constructs
    run = []
    k = pc
    while k < len(body) and body[k][0] == Op.BLOCK and body[k][1] is None:
        run.append(k)
        k += 1
    if not run:
        return None
    inner = constructs[run[-1]]
    last = body[inner.end - 1] if inner.end > 0 else None
    if last is None or last[0] != Op.BR_TABLE or inner.end - 1 == run[-1]:
        return None
    labels = set(last[1]) | {last[2]}
    chain = []
    # from the innermost outward: depth d is label d at the br_table
    for d, opener in enumerate(reversed(run)):
        c = constructs[opener]
        if c.nbranches != 1 or d not in labels:
            break
        chain.append(opener)
    if len(chain) < 2 or chain[-1] != pc:
        return None
    chain.reverse()
    return chain


@handles(Op.BLOCK)
def _block(self: Translator, ins, pc):
    nparams, nresults = self.block_arity(ins[1])
    parent = self.cur()
    if parent.chain is not None and pc in parent.chain.openers:
        chain = parent.chain
    else:
        openers = _switch_chain(self, pc) if not nparams and not nresults else None
        chain = _Chain(openers, parent.indent, self.temp()) if openers else None
    if chain is not None:
        f = self.enter("block", pc, 0, 0)
        f.is_while = False
        f.chain = chain
        f.case_index = len(chain.openers) - 1 - chain.openers.index(pc)
        return
    f = self.enter("block", pc, nparams, nresults)
    if f.is_while:
        self.emit("while True:")
        f.indent += 1
        f.blocks += 1


@handles(Op.LOOP)
def _loop(self: Translator, ins, pc):
    nparams, nresults = self.block_arity(ins[1])
    f = self.enter("loop", pc, nparams, nresults)
    if f.is_while:
        self.emit("while True:")
        f.indent += 1
        f.blocks += 1


@handles(Op.IF)
def _if(self: Translator, ins, pc):
    nparams, nresults = self.block_arity(ins[1])
    cond = self.pop()
    f = self.enter("if", pc, nparams, nresults)
    if f.is_while:
        self.emit("while True:")
        f.indent += 1
        f.blocks += 1
    self.ensure_depth(f.blocks, f.indent + 1)
    self.emit(f"if {cond.text}:")
    f.indent += 1
    self.emit("pass")


@handles(Op.ELSE)
def _else(self: Translator, ins, pc):
    f = self.cur()
    f.then_reachable = not f.unreachable
    if not f.unreachable:
        self.assign(f.vars, self.pop_n(f.nresults))
    del self.stack[f.height:]
    self.stack.extend(_Entry(e.text, e.mask, e.simple) for e in f.entry_params)
    f.unreachable = False
    f.else_seen = True
    self.emit_at(f.indent - 1, "else:")
    self.emit("pass")


@handles(Op.END)
def _end(self: Translator, ins, pc):
    f = self.frames.pop()
    if f.kind == "func":
        if not f.unreachable:
            self.frames.append(f)
            self.emit_return(self.pop_n(len(self.functype.results)))
            self.frames.pop()
        return
    reachable = not f.unreachable
    if f.kind == "if":
        if reachable:
            self.assign_at(f.indent, f.vars, self.pop_n(f.nresults))
        if not f.else_seen:
            # the missing else passes the params through as results
            if f.vars:
                self.emit_at(f.indent - 1, "else:")
                self.assign_at(f.indent, f.vars, f.entry_params)
            reachable = True
        else:
            reachable = reachable or f.then_reachable or f.is_while
        if not reachable:
            self.cur().unreachable = True
        indent = f.indent - 1
        if f.is_while:
            self.emit_at(indent, "break")
        del self.stack[f.height:]
        self.stack.extend(_Entry(v, 0, True) for v in f.vars)
        if f.is_while:
            self.after_while(f)
        return
    if f.kind in ("try_table", "try"):
        self.frames.append(f)
        self.end_try(f, reachable)
        return
    if f.chain is not None:
        _end_case(self, f)
        return
    # block or loop
    if f.is_while:
        if reachable:
            if f.kind == "loop":
                results = self.pop_n(f.nresults)
                names = [self.temp() for _ in results]
                self.assign_at(f.indent, names, results)
                results = [_Entry(n, 0, True) for n in names]
            else:
                self.assign_at(f.indent, f.vars, self.pop_n(f.nresults))
        self.emit_at(f.indent, "break")
        del self.stack[f.height:]
        if f.kind == "loop":
            if reachable:
                self.stack.extend(results)
            else:  # a loop is left only by falling through its end
                self.cur().unreachable = True
        else:
            self.stack.extend(_Entry(v, 0, True) for v in f.vars)
        self.after_while(f)
    else:
        if reachable:
            results = self.pop_n(f.nresults)
            del self.stack[f.height:]
            self.stack.extend(results)
        else:
            del self.stack[f.height:]
            self.cur().unreachable = True
            # the stack is polymorphic from here to the parent's end


def _assign_at(self: Translator, indent: int, names, entries) -> None:
    if not names:
        return
    if len(names) == 1:
        if names[0] != entries[0].text:
            self.emit_at(indent, f"{names[0]} = {entries[0].text}")
        return
    self.emit_at(indent, f"{', '.join(names)} = {', '.join(e.text for e in entries)}")


Translator.assign_at = _assign_at  # type: ignore[attr-defined]


@handles(Op.BR)
def _br(self: Translator, ins, pc):
    self.branch(ins[1])
    self.cur().unreachable = True


@handles(Op.BR_IF)
def _br_if(self: Translator, ins, pc):
    cond = self.pop()
    target = self.frames[-1 - ins[1]]
    arity = self.label_arity(target) if target.kind != "func" else len(self.functype.results)
    f = self.cur()
    self.ensure_depth(f.blocks, f.indent + 1)
    self.emit(f"if {cond.text}:")
    f.indent += 1
    try:
        self.branch(ins[1])
    finally:
        f.indent -= 1


def _switch_select(self: Translator, ins, f: _Frame) -> None:
    """The br_table ending the innermost block of a switch chain: set the
    selector; targets outside the chain are ordinary branches."""
    chain = f.chain
    n = len(chain.openers)
    labels, default = ins[1], ins[2]
    idx = self.atom(self.pop())
    outer = sorted({lab for lab in list(labels) + [default] if lab >= n})
    code = {lab: (lab if lab < n else n + outer.index(lab)) for lab in set(labels) | {default}}
    sel = chain.sel
    table = tuple(code[lab] for lab in labels)
    if len(table) <= 1 or len(set(table)) == 1:
        self.emit(f"{sel} = {code[default]}" if not table or table[0] == code[default]
                  else f"{sel} = {table[0]} if {idx} == 0 else {code[default]}")
    else:
        k = self.ctx.constant(table)
        self.emit(f"{sel} = {k}[{idx}] if {idx} < {len(table)} else {code[default]}")
    if outer:
        self.ensure_depth(f.blocks, f.indent + 2)
        self.emit(f"if {sel} >= {n}:")
        f.indent += 1
        self.emit_dispatch_offset(sel, outer, n)
        f.indent -= 1
    f.unreachable = True


def _emit_dispatch_offset(self: Translator, sel: str, labels: list[int], offset: int) -> None:
    """Branch to ``labels[sel - offset]`` (a short if/elif chain)."""
    for i, lab in enumerate(labels):
        last = i == len(labels) - 1
        if last and i:
            self.emit("else:")
        elif not last:
            self.emit(f"{'if' if i == 0 else 'elif'} {sel} == {offset + i}:")
        if last and not i:
            self.branch(lab)
        else:
            with self.indented():
                self.branch(lab)


Translator.emit_dispatch_offset = _emit_dispatch_offset  # type: ignore[attr-defined]


def _end_case(self: Translator, f: _Frame) -> None:
    """END of block k of a switch chain: close arm k-1, open arm k."""
    chain = f.chain
    del self.stack[f.height:]
    k = f.case_index
    if k > 0:  # closing the arm of case k - 1
        chain.last_arm_reachable = not f.unreachable
        if chain.last_arm_reachable and k < len(chain.openers):
            self.emit_at(chain.base_indent + 1, f"{chain.sel} = {k}")
    parent = self.cur()
    if k == len(chain.openers) - 1:
        # the outermost: the code after it runs for the last case and any
        # arm that falls through
        parent.indent = chain.base_indent
        return
    kw = "if" if k == 0 or chain.last_arm_reachable else "elif"
    self.emit_at(chain.base_indent, f"{kw} {chain.sel} == {k}:")
    self.emit_at(chain.base_indent + 1, "pass")
    parent.indent = chain.base_indent + 1
    parent.unreachable = False


@handles(Op.BR_TABLE)
def _br_table(self: Translator, ins, pc):
    f = self.cur()
    if f.chain is not None and f.case_index == 0 and self.facts.constructs[
            f.chain.openers[-1]].end == pc + 1:
        _switch_select(self, ins, f)
        return
    labels, default = ins[1], ins[2]
    idx = self.atom(self.pop())
    distinct: list[int] = []
    for lab in labels:
        if lab not in distinct:
            distinct.append(lab)
    if default not in distinct:
        distinct.append(default)
    self.ensure_depth(f.blocks, f.indent + 1)
    if len(distinct) == 1:
        self.branch(default)
    elif len(labels) <= 4:
        # a short chain of comparisons
        groups: dict[int, list[int]] = {}
        for i, lab in enumerate(labels):
            groups.setdefault(lab, []).append(i)
        first = True
        for lab, idxs in groups.items():
            if lab == default:
                continue
            cond = f"{idx} == {idxs[0]}" if len(idxs) == 1 else f"{idx} in {tuple(idxs)!r}"
            self.emit(f"{'if' if first else 'elif'} {cond}:")
            first = False
            f.indent += 1
            self.branch(lab)
            f.indent -= 1
        if first:
            self.branch(default)
        else:
            self.emit("else:")
            f.indent += 1
            self.branch(default)
            f.indent -= 1
    else:
        # map the index to a small target ordinal through a constant tuple
        ordinal = {lab: k for k, lab in enumerate(distinct)}
        table = tuple(ordinal[lab] for lab in labels)
        k = self.ctx.constant(table)
        sel = self.temp()
        self.emit(f"{sel} = {k}[{idx}] if {idx} < {len(table)} else {ordinal[default]}")
        self.emit_dispatch(sel, distinct, 0, len(distinct))
    f.unreachable = True


def _emit_dispatch(self: Translator, sel: str, labels: list[int], lo: int, hi: int) -> None:
    """Branch to ``labels[sel]`` for ``lo <= sel < hi`` by binary search."""
    if hi - lo <= 3:
        for k in range(lo, hi):
            if k == hi - 1 and k != lo:
                self.emit("else:")
            elif k != hi - 1:
                self.emit(f"{'if' if k == lo else 'elif'} {sel} == {k}:")
            if k == lo == hi - 1:
                self.branch(labels[k])
            else:
                with self.indented():
                    self.branch(labels[k])
        return
    mid = (lo + hi) // 2
    self.ensure_depth(self.cur().blocks, self.cur().indent + 2)
    self.emit(f"if {sel} < {mid}:")
    with self.indented():
        self.emit_dispatch(sel, labels, lo, mid)
    self.emit("else:")
    with self.indented():
        self.emit_dispatch(sel, labels, mid, hi)


Translator.emit_dispatch = _emit_dispatch  # type: ignore[attr-defined]


@handles(Op.RETURN)
def _return(self: Translator, ins, pc):
    self.emit_return(self.pop_n(len(self.functype.results)))
    self.cur().unreachable = True


def _call_with(self: Translator, callee: str, ft) -> None:
    args = self.pop_n(len(ft.params))
    call = f"{callee}({', '.join(a.text for a in args)})"
    nres = len(ft.results)
    if nres == 0:
        self.emit(call)
    elif nres == 1:
        self.push_temp(call)
    else:
        names = [self.temp() for _ in range(nres)]
        self.emit(f"{', '.join(names)} = {call}")
        self.stack.extend(_Entry(n, 0, True) for n in names)


Translator.call_with = _call_with  # type: ignore[attr-defined]


@handles(Op.CALL)
def _call(self: Translator, ins, pc):
    fidx = ins[1]
    self.call_with(self.ctx.use(f"F{fidx}"), self.ctx.func_type(fidx))


@handles(Op.CALL_INDIRECT)
def _call_indirect(self: Translator, ins, pc):
    typeidx, tableidx = ins[1], ins[2]
    ft = self.ctx.type_func(typeidx)
    idx = self.atom(self.pop())
    tb = self.ctx.use(f"TB{tableidx}")
    ty = self.ctx.use(f"TY{typeidx}")
    ref = self.temp()
    self.emit(f"{ref} = {tb}[{idx}] if {idx} < len({tb}) else TABLE_OOB()")
    self.call_with(f"({ref}.fn if {ref} is not None and {ref}.type is {ty} else CHECK_SIG({ref}, {ty}))", ft)


@handles(Op.DROP)
def _drop(self: Translator, ins, pc):
    self.pop()


@handles(Op.SELECT, Op.SELECT_T)
def _select(self: Translator, ins, pc):
    c = self.pop()
    b = self.pop()
    a = self.pop()
    self.push(f"({a.text} if {c.text} else {b.text})", a.mask | b.mask | c.mask, False)


@handles(Op.LOCAL_GET)
def _local_get(self: Translator, ins, pc):
    i = ins[1]
    self.stack.append(_Entry(f"L{i}", 1 << i, True))


def _flush_local(self: Translator, i: int) -> None:
    bit = 1 << i
    for e in self.stack:
        if e.mask & bit:
            t = self.temp()
            self.emit(f"{t} = {e.text}")
            e.text, e.mask, e.simple = t, 0, True


@handles(Op.LOCAL_SET)
def _local_set(self: Translator, ins, pc):
    i = ins[1]
    v = self.pop()
    _flush_local(self, i)
    if v.text != f"L{i}" and not self.retarget(v, f"L{i}"):
        self.emit(f"L{i} = {v.text}")


@handles(Op.LOCAL_TEE)
def _local_tee(self: Translator, ins, pc):
    i = ins[1]
    v = self.pop()
    _flush_local(self, i)
    if v.text != f"L{i}" and not self.retarget(v, f"L{i}"):
        self.emit(f"L{i} = {v.text}")
    self.stack.append(_Entry(f"L{i}", 1 << i, True))


@handles(Op.GLOBAL_GET)
def _global_get(self: Translator, ins, pc):
    g = self.ctx.use(f"G{ins[1]}")
    if self.ctx.global_mutable(ins[1]):
        self.push_temp(g)
    else:
        self.stack.append(_Entry(g, 0, True))


@handles(Op.GLOBAL_SET)
def _global_set(self: Translator, ins, pc):
    g = self.ctx.use(f"G{ins[1]}")
    self.nonlocals.add(g)
    v = self.pop()
    self.emit(f"{g} = {v.text}")


# -- constants ---------------------------------------------------------------


@handles(Op.I32_CONST, Op.I64_CONST)
def _int_const(self: Translator, ins, pc):
    self.stack.append(_Entry(str(ins[1]), 0, True))


def float_literal(self: Translator, x: float) -> _Entry:
    if math.isfinite(x):
        if x == 0.0 and math.copysign(1.0, x) < 0:
            return _Entry("(-0.0)", 0, False)
        r = repr(x)
        if r.startswith("-"):
            return _Entry(f"({r})", 0, False)
        return _Entry(r, 0, False)
    return _Entry(self.ctx.constant(x), 0, True)


@handles(Op.F64_CONST)
def _f64_const(self: Translator, ins, pc):
    (x,) = struct.unpack("<d", struct.pack("<Q", ins[1]))
    self.stack.append(float_literal(self, x))


@handles(Op.F32_CONST)
def _f32_const(self: Translator, ins, pc):
    from ..numeric import f32_from_bits

    self.stack.append(float_literal(self, f32_from_bits(ins[1])))


# -- references ----------------------------------------------------------------


@handles(Op.REF_NULL)
def _ref_null(self: Translator, ins, pc):
    self.stack.append(_Entry("None", 0, True))


@handles(Op.REF_IS_NULL)
def _ref_is_null(self: Translator, ins, pc):
    v = self.pop()
    self.push(f"({v.text} is None)", v.mask, False)


@handles(Op.REF_FUNC)
def _ref_func(self: Translator, ins, pc):
    self.stack.append(_Entry(self.ctx.use(f"FR{ins[1]}"), 0, True))


# -- tables --------------------------------------------------------------------


@handles(Op.TABLE_GET)
def _table_get(self: Translator, ins, pc):
    tb = self.ctx.use(f"TB{ins[1]}")
    i = self.atom(self.pop())
    self.push_temp(f"{tb}[{i}] if {i} < len({tb}) else TABLE_OOB()")


@handles(Op.TABLE_SET)
def _table_set(self: Translator, ins, pc):
    tb = self.ctx.use(f"TB{ins[1]}")
    v = self.pop()
    i = self.atom(self.pop())
    self.emit(f"if {i} >= len({tb}): TABLE_OOB()")
    self.emit(f"{tb}[{i}] = {v.text}")


@handles(Op.TABLE_SIZE)
def _table_size(self: Translator, ins, pc):
    tb = self.ctx.use(f"TB{ins[1]}")
    self.push_temp(f"len({tb})")


@handles(Op.TABLE_GROW)
def _table_grow(self: Translator, ins, pc):
    ti = self.ctx.use(f"TI{ins[1]}")
    n = self.pop()
    v = self.pop()
    self.push_temp(f"{ti}.grow_raw({n.text}, {v.text})")


# op -> (runtime helper, instance-bound names made from the immediates
# ({0} is the first immediate), operand count): the helper is called with the
# bound names, then the operands in Wasm order, as one statement
_HELPER_CALLS = {
    Op.TABLE_FILL: ("TABLE_FILL", ("TB{0}",), 3),
    Op.TABLE_COPY: ("TABLE_COPY", ("TB{0}", "TB{1}"), 3),
    Op.TABLE_INIT: ("TABLE_INIT", ("TB{1}", "EL{0}"), 3),
    Op.MEMORY_FILL: ("MEM_FILL", ("M{0}",), 3),
    Op.MEMORY_COPY: ("MEM_COPY", ("M{0}", "M{1}"), 3),
    Op.MEMORY_INIT: ("MEM_INIT", ("M{1}", "D{0}"), 3),
    Op.ARRAY_COPY: ("ARRAY_COPY", (), 5),
    Op.ARRAY_INIT_DATA: ("ARRAY_INIT_DATA", ("D{1}",), 4),
    Op.ARRAY_INIT_ELEM: ("ARRAY_INIT_ELEM", ("EL{1}",), 4),
}


@handles(*_HELPER_CALLS)
def _helper_call(self: Translator, ins, pc):
    helper, bound, nops = _HELPER_CALLS[ins[0]]
    names = [self.ctx.use(b.format(*ins[1:])) for b in bound]
    operands = [e.text for e in self.pop_n(nops)]
    self.emit(f"{helper}({', '.join(names + operands)})")


@handles(Op.ELEM_DROP)
def _elem_drop(self: Translator, ins, pc):
    el = self.ctx.use(f"EL{ins[1]}")
    self.nonlocals.add(el)
    self.emit(f"{el} = ()")


# -- memory --------------------------------------------------------------------

# op -> (template of the loaded value, or None for a special form)
_LOADS = {
    Op.I32_LOAD: "LD_U32({m}, {a})[0]",
    Op.I64_LOAD: "LD_U64({m}, {a})[0]",
    Op.F64_LOAD: "LD_F64({m}, {a})[0]",
    Op.I32_LOAD8_U: "{m}[{a}]",
    Op.I64_LOAD8_U: "{m}[{a}]",
    Op.I32_LOAD8_S: "SX8_32[{m}[{a}]]",
    Op.I64_LOAD8_S: "SX8_64[{m}[{a}]]",
    Op.I32_LOAD16_U: "LD_U16({m}, {a})[0]",
    Op.I64_LOAD16_U: "LD_U16({m}, {a})[0]",
    Op.I32_LOAD16_S: "LD_S16({m}, {a})[0] & 0xFFFFFFFF",
    Op.I64_LOAD16_S: "LD_S16({m}, {a})[0] & 0xFFFFFFFFFFFFFFFF",
    Op.I64_LOAD32_U: "LD_U32({m}, {a})[0]",
    Op.I64_LOAD32_S: "LD_S32({m}, {a})[0] & 0xFFFFFFFFFFFFFFFF",
}

_STORES = {
    Op.I32_STORE: "ST_U32({m}, {a}, {v})",
    Op.I64_STORE: "ST_U64({m}, {a}, {v})",
    Op.F64_STORE: "ST_F64({m}, {a}, {v})",
    Op.I32_STORE8: "{m}[{a}] = {v} & 0xFF",
    Op.I64_STORE8: "{m}[{a}] = {v} & 0xFF",
    Op.I32_STORE16: "ST_U16({m}, {a}, {v} & 0xFFFF)",
    Op.I64_STORE16: "ST_U16({m}, {a}, {v} & 0xFFFF)",
    Op.I64_STORE32: "ST_U32({m}, {a}, {v} & 0xFFFFFFFF)",
}


def _address(self: Translator, e: _Entry, offset: int) -> str:
    if offset == 0:
        return e.text
    return f"{e.text} + {offset}"


@handles(*_LOADS)
def _load(self: Translator, ins, pc):
    _align, offset, mem = ins[1], ins[2], ins[3]
    m = self.ctx.use(f"M{mem}")
    a = _address(self, self.pop(), offset)
    self.push_temp(_LOADS[ins[0]].format(m=m, a=a))


@handles(Op.F32_LOAD)
def _f32_load(self: Translator, ins, pc):
    _align, offset, mem = ins[1], ins[2], ins[3]
    m = self.ctx.use(f"M{mem}")
    ae = self.pop()
    if offset or not ae.simple:
        a = self.temp()
        self.emit(f"{a} = {_address(self, ae, offset)}")
    else:
        a = ae.text
    t = self.push_temp(f"LD_F32({m}, {a})[0]")
    # unpacking an f32 quietens signalling NaNs: reload the bits of a NaN
    self.emit(f"if {t} != {t}: {t} = LD_F32_NAN({m}, {a})")


@handles(*_STORES)
def _store(self: Translator, ins, pc):
    _align, offset, mem = ins[1], ins[2], ins[3]
    m = self.ctx.use(f"M{mem}")
    v = self.pop()
    a = _address(self, self.pop(), offset)
    self.emit(_STORES[ins[0]].format(m=m, a=a, v=v.text))


@handles(Op.F32_STORE)
def _f32_store(self: Translator, ins, pc):
    _align, offset, mem = ins[1], ins[2], ins[3]
    m = self.ctx.use(f"M{mem}")
    v = self.atom(self.pop())
    a = _address(self, self.pop(), offset)
    self.emit(f"ST_F32({m}, {a}, {v}) if {v} == {v} else ST_U32({m}, {a}, F32_BITS({v}))")


@handles(Op.MEMORY_SIZE)
def _memory_size(self: Translator, ins, pc):
    mi = self.ctx.use(f"MI{ins[1]}")
    m = self.ctx.use(f"M{ins[1]}")
    self.push_temp(f"len({m}) >> {mi}.page_log2")


@handles(Op.MEMORY_GROW)
def _memory_grow(self: Translator, ins, pc):
    mi = self.ctx.use(f"MI{ins[1]}")
    n = self.pop()
    self.push_temp(f"{mi}.grow_raw({n.text})")


@handles(Op.DATA_DROP)
def _data_drop(self: Translator, ins, pc):
    data = self.ctx.use(f"D{ins[1]}")
    self.nonlocals.add(data)
    self.emit(f"{data} = b''")




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
    self.emit(f"if {ref} is None or {ref}.type is not {ty}: CHECK_SIG({ref}, {ty})")
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


# -- GC: structs, arrays, i31, casts ---------------------------------------------------


def _mask_for(storage) -> str:
    if storage is T.PackedType.I8:
        return " & 0xFF"
    if storage is T.PackedType.I16:
        return " & 0xFFFF"
    return ""


def _default_text(self: Translator, storage) -> str:
    if storage in (T.I32, T.I64) or isinstance(storage, T.PackedType):
        return "0"
    if storage in (T.F32, T.F64):
        return "0.0"
    if storage is T.V128:
        from ..runtime import vec

        return self.ctx.constant(vec.ZERO)
    return "None"


def _packed_text(e: _Entry, storage) -> str:
    m = _mask_for(storage)
    return f"({e.text}{m})" if m else e.text


def _nonnull(self: Translator, e: _Entry) -> str:
    r = self.atom(e)
    self.emit(f"if {r} is None: NULL_REF()")
    return r


@handles(Op.STRUCT_NEW)
def _struct_new(self: Translator, ins, pc):
    fields = self.ctx.comp(ins[1]).fields
    vals = self.pop_n(len(fields))
    ty = self.ctx.use(f"TY{ins[1]}")
    items = ", ".join(_packed_text(v, f.storage) for v, f in zip(vals, fields))
    self.push_temp(f"MK_STRUCT({ty}, [{items}])")


@handles(Op.STRUCT_NEW_DEFAULT)
def _struct_new_default(self: Translator, ins, pc):
    fields = self.ctx.comp(ins[1]).fields
    ty = self.ctx.use(f"TY{ins[1]}")
    items = ", ".join(_default_text(self, f.storage) for f in fields)
    self.push_temp(f"MK_STRUCT({ty}, [{items}])")


def _sign_extend(text: str, storage) -> str:
    if storage is T.PackedType.I8:
        return f"SX8_32[{text}]"
    return f"((({text}) ^ 0x8000) - 0x8000) & 0xFFFFFFFF"


@handles(Op.STRUCT_GET, Op.STRUCT_GET_U, Op.STRUCT_GET_S)
def _struct_get(self: Translator, ins, pc):
    storage = self.ctx.comp(ins[1]).fields[ins[2]].storage
    r = _nonnull(self, self.pop())
    text = f"{r}[{ins[2]}]"
    if ins[0] == Op.STRUCT_GET_S:
        text = _sign_extend(text, storage)
    self.push_temp(text)


@handles(Op.STRUCT_SET)
def _struct_set(self: Translator, ins, pc):
    storage = self.ctx.comp(ins[1]).fields[ins[2]].storage
    v = self.pop()
    r = _nonnull(self, self.pop())
    self.emit(f"{r}[{ins[2]}] = {v.text}{_mask_for(storage)}")


@handles(Op.ARRAY_NEW)
def _array_new(self: Translator, ins, pc):
    storage = self.ctx.comp(ins[1]).field.storage
    n = self.pop()
    init = self.pop()
    ty = self.ctx.use(f"TY{ins[1]}")
    self.push_temp(f"ARRAY_NEW({ty}, {_packed_text(init, storage)}, {n.text})")


@handles(Op.ARRAY_NEW_DEFAULT)
def _array_new_default(self: Translator, ins, pc):
    storage = self.ctx.comp(ins[1]).field.storage
    n = self.pop()
    ty = self.ctx.use(f"TY{ins[1]}")
    self.push_temp(f"ARRAY_NEW({ty}, {_default_text(self, storage)}, {n.text})")


@handles(Op.ARRAY_NEW_FIXED)
def _array_new_fixed(self: Translator, ins, pc):
    storage = self.ctx.comp(ins[1]).field.storage
    vals = self.pop_n(ins[2])
    ty = self.ctx.use(f"TY{ins[1]}")
    items = ", ".join(_packed_text(v, storage) for v in vals)
    self.push_temp(f"MK_ARRAY({ty}, [{items}])")


@handles(Op.ARRAY_NEW_DATA)
def _array_new_data(self: Translator, ins, pc):
    n, s = self.pop(), self.pop()
    ty = self.ctx.use(f"TY{ins[1]}")
    d = self.ctx.use(f"D{ins[2]}")
    self.push_temp(f"ARRAY_NEW_DATA({ty}, {d}, {s.text}, {n.text})")


@handles(Op.ARRAY_NEW_ELEM)
def _array_new_elem(self: Translator, ins, pc):
    n, s = self.pop(), self.pop()
    ty = self.ctx.use(f"TY{ins[1]}")
    el = self.ctx.use(f"EL{ins[2]}")
    self.push_temp(f"ARRAY_NEW_ELEM({ty}, {el}, {s.text}, {n.text})")


@handles(Op.ARRAY_GET, Op.ARRAY_GET_S, Op.ARRAY_GET_U)
def _array_get(self: Translator, ins, pc):
    storage = self.ctx.comp(ins[1]).field.storage
    i = self.atom(self.pop())
    a = _nonnull(self, self.pop())
    t = self.push_temp(f"{a}[{i}] if {i} < len({a}) else ARRAY_OOB()")
    if ins[0] == Op.ARRAY_GET_S:
        self.emit(f"{t} = {_sign_extend(t, storage)}")


@handles(Op.ARRAY_SET)
def _array_set(self: Translator, ins, pc):
    storage = self.ctx.comp(ins[1]).field.storage
    v = self.pop()
    i = self.atom(self.pop())
    a = _nonnull(self, self.pop())
    self.emit(f"if {i} >= len({a}): ARRAY_OOB()")
    self.emit(f"{a}[{i}] = {v.text}{_mask_for(storage)}")


@handles(Op.ARRAY_LEN)
def _array_len(self: Translator, ins, pc):
    a = _nonnull(self, self.pop())
    self.push_temp(f"len({a})")


@handles(Op.ARRAY_FILL)
def _array_fill(self: Translator, ins, pc):
    storage = self.ctx.comp(ins[1]).field.storage
    n, v, i, a = self.pop(), self.pop(), self.pop(), self.pop()
    self.emit(f"ARRAY_FILL({a.text}, {i.text}, {_packed_text(v, storage)}, {n.text})")


def _test_name(self: Translator, rt) -> str:
    """The pooled predicate of ``ref.test rt`` (see runtime.gc.make_test)."""
    from ..runtime.gc import make_test

    return self.ctx.constant(make_test(self.ctx.resolve(rt)))


@handles(Op.REF_TEST)
def _ref_test(self: Translator, ins, pc):
    k = _test_name(self, ins[1])
    v = self.pop()
    self.push_temp(f"{k}({v.text})")


@handles(Op.REF_CAST)
def _ref_cast(self: Translator, ins, pc):
    k = _test_name(self, ins[1])
    v = self.atom(self.pop())
    self.emit(f"if not {k}({v}): CAST_FAIL()")
    self.stack.append(_Entry(v, 0, True))


@handles(Op.BR_ON_CAST, Op.BR_ON_CAST_FAIL)
def _br_on_cast(self: Translator, ins, pc):
    label, rt2 = ins[1], ins[3]
    k = _test_name(self, rt2)
    v = self.atom(self.pop())
    self.stack.append(_Entry(v, 0, True))
    f = self.cur()
    self.ensure_depth(f.blocks, f.indent + 1)
    neg = "" if ins[0] == Op.BR_ON_CAST else "not "
    self.emit(f"if {neg}{k}({v}):")
    with self.indented():
        self.branch(label)


@handles(Op.REF_I31)
def _ref_i31(self: Translator, ins, pc):
    v = self.pop()
    self.push(f"({v.text} & 0x7FFFFFFF)", v.mask, False)


@handles(Op.I31_GET_U, Op.I31_GET_S)
def _i31_get(self: Translator, ins, pc):
    r = _nonnull(self, self.pop())
    if ins[0] == Op.I31_GET_U:
        self.stack.append(_Entry(r, 0, True))
    else:
        self.push_temp(f"((({r} ^ 0x40000000) - 0x40000000) & 0xFFFFFFFF)")


@handles(Op.ANY_CONVERT_EXTERN)
def _any_convert_extern(self: Translator, ins, pc):
    v = self.pop()
    self.push_temp(f"ANY_CONVERT_EXTERN({v.text})")


@handles(Op.EXTERN_CONVERT_ANY)
def _extern_convert_any(self: Translator, ins, pc):
    v = self.pop()
    self.push_temp(f"EXTERN_CONVERT_ANY({v.text})")


@handles(Op.REF_EQ)
def _ref_eq(self: Translator, ins, pc):
    b = self.atom(self.pop())
    a = self.atom(self.pop())
    self.push(f"({a} is {b} or ({a}.__class__ is int and {a} == {b}))", 0, False)


# -- threads: atomic accesses ---------------------------------------------------------


def _atomic_size(name: str) -> int:
    """Access width in bytes from an op name such as I64_ATOMIC_RMW16_ADD_U."""
    m = re.search(r"(?:LOAD|STORE|RMW)(\d+)", name)
    if m:
        return int(m.group(1)) // 8
    return 8 if name.startswith("I64") else 4


def _aligned_address(self: Translator, ins, size: int) -> str:
    _align, offset, _mem = ins[1], ins[2], ins[3]
    e = self.pop()
    a = self.temp()
    self.emit(f"{a} = {_address(self, e, offset)}")
    if size > 1:
        self.emit(f"if {a} & {size - 1}: UNALIGNED()")
    return a


def _atomic_load(self: Translator, ins, pc):
    name = ins[0].name
    plain = Op[name.replace("_ATOMIC", "")]
    m = self.ctx.use(f"M{ins[3]}")
    a = _aligned_address(self, ins, _atomic_size(name))
    self.push_temp(_LOADS[plain].format(m=m, a=a))


def _atomic_store(self: Translator, ins, pc):
    name = ins[0].name
    plain = Op[name.replace("_ATOMIC", "")]
    m = self.ctx.use(f"M{ins[3]}")
    v = self.pop()
    a = _aligned_address(self, ins, _atomic_size(name))
    self.emit(_STORES[plain].format(m=m, a=a, v=v.text))


def _atomic_rmw(self: Translator, ins, pc):
    name = ins[0].name
    size = _atomic_size(name)
    mi = self.ctx.use(f"MI{ins[3]}")
    if "CMPXCHG" in name:
        rep, exp = self.pop(), self.pop()
        a = self.pop()
        addr = _address(self, a, ins[2])
        self.push_temp(f"ATOMIC_CMPXCHG({mi}, {addr}, {size}, {exp.text}, {rep.text})")
        return
    op = re.search(r"RMW\d*_([A-Z]+)", name).group(1).lower()
    v = self.pop()
    a = self.pop()
    addr = _address(self, a, ins[2])
    self.push_temp(f"ATOMIC_RMW({mi}, {addr}, {size}, RMW_{op.upper()}, {v.text})")


for _op in Op:
    if "_ATOMIC_" in _op.name and _op.name.startswith(("I32", "I64")):
        if "_ATOMIC_LOAD" in _op.name:
            _H[_op] = _atomic_load
        elif "_ATOMIC_STORE" in _op.name:
            _H[_op] = _atomic_store
        elif "_ATOMIC_RMW" in _op.name:
            _H[_op] = _atomic_rmw


@handles(Op.MEMORY_ATOMIC_WAIT32, Op.MEMORY_ATOMIC_WAIT64)
def _atomic_wait(self: Translator, ins, pc):
    size = 4 if ins[0] == Op.MEMORY_ATOMIC_WAIT32 else 8
    mi = self.ctx.use(f"MI{ins[3]}")
    timeout, expected, a = self.pop(), self.pop(), self.pop()
    addr = _address(self, a, ins[2])
    self.push_temp(f"ATOMIC_WAIT({mi}, {addr}, {expected.text}, {timeout.text}, {size})")


@handles(Op.MEMORY_ATOMIC_NOTIFY)
def _atomic_notify(self: Translator, ins, pc):
    mi = self.ctx.use(f"MI{ins[3]}")
    count, a = self.pop(), self.pop()
    addr = _address(self, a, ins[2])
    self.push_temp(f"ATOMIC_NOTIFY({mi}, {addr}, {count.text})")


@handles(Op.ATOMIC_FENCE)
def _atomic_fence(self: Translator, ins, pc):
    pass


# -- SIMD ---------------------------------------------------------------------------------


def _simd_tables():
    from ..numeric import simd

    return simd


@handles(Op.V128_CONST)
def _v128_const(self: Translator, ins, pc):
    simd = _simd_tables()
    self.stack.append(_Entry(self.ctx.constant(simd.v128_from_int(ins[1])), 0, True))


def _simd_op(self: Translator, ins, pc):
    simd = _simd_tables()
    op = ins[0]
    entry = simd.SIMD_OPS[op]
    tmpl = entry(ins[1]) if callable(entry) else entry
    nargs, repeated, pure = _template_info(tmpl)
    args = self.pop_n(nargs)
    for i, e in enumerate(args):
        if i in repeated and not e.simple:
            self.atom(e)
    mask = 0
    for e in args:
        mask |= e.mask
    text = tmpl.format(*[e.text for e in args])
    if pure:
        self.push(text, mask, False)
    else:
        self.push_temp(text)


def _simd_memory(self: Translator, ins, pc):
    simd = _simd_tables()
    op = ins[0]
    tmpl = simd.SIMD_MEMORY[op]
    offset, mem = ins[2], ins[3]
    lane = ins[4] if len(ins) > 4 else None
    m = self.ctx.use(f"M{mem}")
    v = self.atom(self.pop()) if "{v}" in tmpl else None
    e = self.pop()
    if offset or not e.simple:
        a = self.temp()
        self.emit(f"{a} = {_address(self, e, offset)}")
    else:
        a = e.text
    text = tmpl.format(m=m, a=a, v=v, lane=lane)
    is_store = "STORE" in op.name and "LOAD" not in op.name
    if is_store:
        self.emit(text)
    else:
        self.push_temp(text)


def _install_simd() -> None:
    for op in Op:
        if (op.value >> 12) != 0xFD or op in _H:
            continue
        name = op.name
        if name.startswith("V128_LOAD") or name.startswith("V128_STORE"):
            _H[op] = _simd_memory
        else:
            _H[op] = _simd_op


_install_simd()


# -- custom descriptors -------------------------------------------------------------------
# struct.new_desc, struct.new_default_desc, ref.get_desc, ref.cast_desc_eq and
# br_on_cast_desc_eq[_fail]. The semantics live in engine.runtime.descriptors;
# its helpers reach the code as pooled constants.


def _desc_helper(self: Translator, name: str, *args) -> str:
    """The pooled name of a helper of :mod:`engine.runtime.descriptors`
    (a factory when ``args`` are given: called with them once, here)."""
    from ..runtime import descriptors

    value = getattr(descriptors, name)
    return self.ctx.constant(value(*args) if args else value)


@handles(Op.STRUCT_NEW_DESC)
def _struct_new_desc(self: Translator, ins, pc):
    fields = self.ctx.comp(ins[1]).fields
    desc = self.pop()
    vals = self.pop_n(len(fields))
    ty = self.ctx.use(f"TY{ins[1]}")
    new = _desc_helper(self, "new_struct_desc")
    items = ", ".join(_packed_text(v, f.storage) for v, f in zip(vals, fields))
    self.push_temp(f"{new}({ty}, [{items}], {desc.text})")


@handles(Op.STRUCT_NEW_DEFAULT_DESC)
def _struct_new_default_desc(self: Translator, ins, pc):
    fields = self.ctx.comp(ins[1]).fields
    desc = self.pop()
    ty = self.ctx.use(f"TY{ins[1]}")
    new = _desc_helper(self, "new_struct_desc")
    items = ", ".join(_default_text(self, f.storage) for f in fields)
    self.push_temp(f"{new}({ty}, [{items}], {desc.text})")


@handles(Op.REF_GET_DESC)
def _ref_get_desc(self: Translator, ins, pc):
    r = _nonnull(self, self.pop())
    self.push_temp(f"{r}.desc")


@handles(Op.REF_CAST_DESC_EQ)
def _ref_cast_desc_eq(self: Translator, ins, pc):
    cast = _desc_helper(self, "make_desc_cast", ins[1].nullable)
    desc = self.atom(self.pop())
    v = self.atom(self.pop())
    self.emit(f"{cast}({v}, {desc})")
    self.stack.append(_Entry(v, 0, True))


@handles(Op.BR_ON_CAST_DESC_EQ, Op.BR_ON_CAST_DESC_EQ_FAIL)
def _br_on_cast_desc_eq(self: Translator, ins, pc):
    label, rt2 = ins[1], ins[3]
    test = _desc_helper(self, "make_desc_test", rt2.nullable)
    desc = self.atom(self.pop())
    v = self.atom(self.pop())
    self.stack.append(_Entry(v, 0, True))
    f = self.cur()
    self.ensure_depth(f.blocks, f.indent + 1)
    neg = "" if ins[0] == Op.BR_ON_CAST_DESC_EQ else "not "
    self.emit(f"if {neg}{test}({v}, {desc}):")
    with self.indented():  # both lowerings: the general one indents its own way
        self.branch(label)
