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
from ..syntax.opcodes import Op
from .analysis import BodyFacts, analyse
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
        self.epoch = ctx.m.epoch
        # (line buffer, its length, body position) where each instruction's
        # lines start: which instruction a line of the source runs
        self.marks: list[tuple[list, int, int]] = []
        self.line_pcs: tuple = ()
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
        self.stamp_lines()
        if self.delegate_wrapper:
            self.lines = (["    try:"] + [indent_line("    ", line) for line in self.lines]
                          + ["    except DELEGATED as XD:", "        raise XD.exc"])
        head = [f"def F{self.funcidx}({args}):"]
        if self.nonlocals:
            head.append(f"    nonlocal {', '.join(sorted(self.nonlocals))}")
        if self.uses_br:
            head.append("    BR = 0")
        return self.finish(head + _tidy(self.lines))

    def finish(self, lines: list[str]) -> str:
        """The source of these lines; :attr:`line_pcs` says which body
        position each line runs (None: none in particular)."""
        self.line_pcs = tuple(getattr(line, "pc", None) for line in lines)
        return "\n".join(lines) + "\n"

    def walk(self) -> None:
        """Translate the body instruction by instruction, skipping dead code
        (whole constructs after a jump) but keeping the frame boundaries."""
        body = self.body
        n = len(body)
        pc = 0
        handlers = self.handlers
        constructs = self.facts.constructs
        fuel = self.fuel_starts is not None
        epoch = self.epoch
        marks = self.marks
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
            out = self.out_lines()
            marks.append((out, len(out), pc))
            if fuel:
                self.fuel_hook(pc, op)
            if epoch and (pc == 0 or body[pc - 1][0] is Op.LOOP):
                self.epoch_check()
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

    def epoch_check(self) -> None:
        """Trap once the engine's epoch reaches the store's deadline: on
        function entry and at the top of every loop iteration, where fuel
        is charged."""
        self.emit(f"if {self.ctx.use('EPOCH')} >= {self.ctx.use('DEADLINE')}: INTERRUPT()")

    def stamp_lines(self) -> None:
        """Give every line emitted by the walk the body position of its
        instruction (see :class:`_Line`)."""
        spans: dict[int, tuple[list, list[tuple[int, int]]]] = {}
        for buf, start, pc in self.marks:
            spans.setdefault(id(buf), (buf, []))[1].append((start, pc))
        for buf, starts in spans.values():
            for k, (start, pc) in enumerate(starts):
                end = starts[k + 1][0] if k + 1 < len(starts) else len(buf)
                for i in range(start, min(end, len(buf))):
                    buf[i] = _Line(buf[i], pc)
        self.marks = []

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


class _Line(str):
    """A line of generated source that knows the body position of the
    instruction it came from (for ``Trap.frames``)."""

    pc: int

    def __new__(cls, text: str, pc: int) -> "_Line":
        line = super().__new__(cls, text)
        line.pc = pc
        return line


def indent_line(prefix: str, line: str) -> str:
    """``prefix + line``, keeping the line's body position."""
    pc = getattr(line, "pc", None)
    return prefix + line if pc is None else _Line(prefix + line, pc)


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
    self.call_with(f"({ref}.fn if {ref} is not None and {ref}.deftype is {ty} else CHECK_SIG({ref}, {ty}))", ft)


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


# the instruction families, each in its own module, register their handlers
from . import ops_calls, ops_exceptions, ops_gc, ops_memory, ops_shared, ops_simd  # noqa: E402,F401
