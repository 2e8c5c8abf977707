"""Instructions in the text format: plain, structured (flat ``block ...
end``) and folded (S-expression) forms, into the flat instruction tuples of
:mod:`engine.syntax.module`.

Nesting is handled with an explicit stack of open constructs rather than
recursion, so arbitrarily deep blocks or folded expressions parse in linear
time without exhausting the Python stack.
"""

from __future__ import annotations

from typing import Callable, Optional

from ..syntax.opcodes import CatchKind, Imm, MemoryOrder, Op
from .context import Labels, Space
from .lexer import ID, KEYWORD, LPAREN, NUMBER, RESERVED, RPAREN, STRING
from .literals import F32, F64, LiteralError, parse_float, parse_int, parse_uint
from .optable import NATURAL_ALIGN, PLAIN
from .types import Signature, TypeParser

# Kinds of open constructs.
FOLD_PLAIN, FOLD_BLOCK, FOLD_IF, FOLD_TRY, FLAT_BLOCK, FLAT_IF, FLAT_TRY = range(7)

# States of a folded ``if``: conditions, inside (then), after it, inside
# (else), after it.
IF_COND, IF_THEN, IF_AFTER_THEN, IF_ELSE, IF_AFTER_ELSE = range(5)
# States of a folded legacy ``try``: before (do), inside it, after a clause,
# inside a catch clause, after (delegate l).
TRY_START, TRY_DO, TRY_AFTER, TRY_CATCH, TRY_DELEGATED = range(5)

_OPEN = {"block": Op.BLOCK, "loop": Op.LOOP, "if": Op.IF, "try_table": Op.TRY_TABLE, "try": Op.TRY}
_CATCH_CLAUSES = {
    "catch": CatchKind.CATCH, "catch_ref": CatchKind.CATCH_REF,
    "catch_all": CatchKind.CATCH_ALL, "catch_all_ref": CatchKind.CATCH_ALL_REF,
}
_LANES = {
    "i8x16": (16, 8), "i16x8": (8, 16), "i32x4": (4, 32), "i64x2": (2, 64),
    "f32x4": (4, 32), "f64x2": (2, 64),
}
#: The ordering keywords: the proposal's tests write ``seq_cst``/``acq_rel``,
#: wasm-tools ``seqcst``/``acqrel``.
_ORDERS = {"seq_cst": MemoryOrder.SEQ_CST, "seqcst": MemoryOrder.SEQ_CST,
           "acq_rel": MemoryOrder.ACQ_REL, "acqrel": MemoryOrder.ACQ_REL}
_END = (Op.END,)
_ELSE = (Op.ELSE,)
_CATCH_ALL = (Op.CATCH_ALL,)


class Frame:
    """An open construct: its kind, state, label id (for ``end $l``
    checks), and the instruction to emit when it closes (folded plain) or
    when its conditions are done (folded if)."""

    __slots__ = ("kind", "state", "label", "pending", "hint", "handlers")

    def __init__(self, kind: int, label: Optional[str] = None, pending: Optional[tuple] = None,
                 hint: Optional[bytes] = None):
        self.kind = kind
        self.state = 0
        self.label = label
        self.pending = pending
        self.hint = hint
        # legacy try: 0 no handler yet, 1 after a catch, 2 after catch_all
        self.handlers = 0


class InstrParser(TypeParser):
    """Parses instruction sequences. ``locals`` is the local index space of
    the function being parsed (empty in constant expressions); ``labels``
    the label ids in scope, innermost last."""

    locals: Space
    labels: Labels
    #: whether a function body uses a data index (the data count section
    #: is emitted then, and only then)
    uses_data: bool
    in_function: bool
    #: token index -> branch hint bytes, for hints written before an instruction
    hint_anchors: dict
    #: (instruction index, hint bytes) for the expression being parsed
    hints: list

    def init_instructions(self) -> None:
        """Reset the per-expression state (before parsing a module)."""
        self.locals = Space("local")
        self.labels = Labels()
        self.uses_data = False
        self.in_function = False
        self.hint_anchors = {}
        self.hints = []

    # --- immediates ------------------------------------------------------------
    # One reader per immediate kind: reader(self, op) -> instruction tuple.

    def _in(self, kind: str) -> int:
        return self.index(self.ctx.spaces[kind])

    def _imm_label(self, op: Op) -> tuple:
        return (op, self.label_index())

    def _imm_func(self, op: Op) -> tuple:
        return (op, self._in("func"))

    def _imm_local(self, op: Op) -> tuple:
        return (op, self.index(self.locals))

    def _imm_global(self, op: Op) -> tuple:
        return (op, self._in("global"))

    def _imm_table(self, op: Op) -> tuple:
        return (op, self.optional_index(self.ctx.spaces["table"]))

    def _imm_memory(self, op: Op) -> tuple:
        return (op, self.optional_index(self.ctx.spaces["memory"]))

    def _imm_tag(self, op: Op) -> tuple:
        return (op, self._in("tag"))

    def _imm_type(self, op: Op) -> tuple:
        return (op, self._in("type"))

    def _imm_elem(self, op: Op) -> tuple:
        return (op, self._in("elem"))

    def _imm_i32(self, op: Op) -> tuple:
        return (op, self.int_bits(32))

    def _imm_i64(self, op: Op) -> tuple:
        return (op, self.int_bits(64))

    def _imm_f32(self, op: Op) -> tuple:
        return (op, self.f32())

    def _imm_f64(self, op: Op) -> tuple:
        return (op, self.f64())

    def _imm_lane(self, op: Op) -> tuple:
        return (op, self.uint(8))

    def _imm_reftype(self, op: Op) -> tuple:
        return (op, self.reftype())

    def _imm_castop(self, op: Op) -> tuple:
        return (op, self.label_index(), self.reftype(), self.reftype())

    def _imm_two_memories(self, op: Op) -> tuple:
        return self._two_optional(op, self.ctx.spaces["memory"])

    def _imm_two_tables(self, op: Op) -> tuple:
        return self._two_optional(op, self.ctx.spaces["table"])

    def _imm_type_n(self, op: Op) -> tuple:
        return (op, self._in("type"), self.u32())

    def _imm_type_elem(self, op: Op) -> tuple:
        return (op, self._in("type"), self._in("elem"))

    def _imm_type_type(self, op: Op) -> tuple:
        return (op, self._in("type"), self._in("type"))


    # shared-everything-threads: an ordering keyword, then the indices
    def _order(self) -> MemoryOrder:
        order = _ORDERS.get(self.values[self.pos]) if self.kinds[self.pos] == KEYWORD else None
        if order is None:
            self.fail("expected a memory ordering: seq_cst or acq_rel")
        self.pos += 1
        return order

    def _imm_order_global(self, op: Op) -> tuple:
        return (op, self._order(), self._in("global"))

    def _imm_order_table(self, op: Op) -> tuple:
        order = self._order()
        return (op, order, self.optional_index(self.ctx.spaces["table"]))

    def _imm_order_type(self, op: Op) -> tuple:
        return (op, self._order(), self._in("type"))

    def _imm_order_field(self, op: Op) -> tuple:
        order = self._order()
        return (op, order) + self._type_field(op)[1:]

    def label_index(self) -> int:
        """A label: a relative depth, or an id in scope (innermost wins)."""
        if self.kinds[self.pos] == ID:
            name = self.values[self.pos]
            depth = self.labels.depth_of(name)
            if depth is None:
                self.fail(f"unknown label ${name}")
            self.pos += 1
            return depth
        return self.u32()

    def _ref_null(self, op: Op) -> tuple:
        # An exact null (custom descriptors) keeps its marker: (op, ht, True).
        ht, exact = self.heaptype()
        return (op, ht, True) if exact else (op, ht)

    def _br_table(self, op: Op) -> tuple:
        targets = [self.label_index()]
        while self.at_index():
            targets.append(self.label_index())
        return (op, tuple(targets[:-1]), targets[-1])

    def _call_indirect(self, op: Op) -> tuple:
        table = self.optional_index(self.ctx.spaces["table"])
        x, _ = self.typeuse(allow_names=False)
        return (op, x, table)

    def _data_index(self, op: Op) -> tuple:
        self.uses_data |= self.in_function
        return (op, self.index(self.ctx.spaces["data"]))

    def _memory_init(self, op: Op) -> tuple:
        self.uses_data |= self.in_function
        spaces = self.ctx.spaces
        if self._two_indices_follow():
            mem = self.index(spaces["memory"])
            return (op, self.index(spaces["data"]), mem)
        return (op, self.index(spaces["data"]), 0)

    def _table_init(self, op: Op) -> tuple:
        spaces = self.ctx.spaces
        if self._two_indices_follow():
            table = self.index(spaces["table"])
            return (op, self.index(spaces["elem"]), table)
        return (op, self.index(spaces["elem"]), 0)

    def _two_indices_follow(self) -> bool:
        kinds, p = self.kinds, self.pos
        return kinds[p] in (NUMBER, ID) and kinds[p + 1] in (NUMBER, ID)

    def _two_optional(self, op: Op, space: Space) -> tuple:
        if self.at_index():
            return (op, self.index(space), self.index(space))
        return (op, 0, 0)

    def _type_field(self, op: Op) -> tuple:
        x = self.index(self.ctx.spaces["type"])
        if self.kinds[self.pos] == ID:
            fields = self.ctx.fields.get(x)
            name = self.values[self.pos]
            if fields is None or name not in fields.names:
                self.fail(f"unknown field ${name}")
            self.pos += 1
            return (op, x, fields.names[name])
        return (op, x, self.u32())

    def _type_data(self, op: Op) -> tuple:
        self.uses_data |= self.in_function
        spaces = self.ctx.spaces
        return (op, self.index(spaces["type"]), self.index(spaces["data"]))

    def _memarg_fields(self, op: Op) -> tuple[int, int]:
        """``offset=``? ``align=``? after the memory index: (align log2, offset)."""
        offset = 0
        align = NATURAL_ALIGN[op]
        kinds, values = self.kinds, self.values
        if kinds[self.pos] == KEYWORD and values[self.pos].startswith("offset="):
            offset = self._keyword_value(7, 64)
        if kinds[self.pos] == KEYWORD and values[self.pos].startswith("align="):
            at = self.pos
            a = self._keyword_value(6, 64)
            if a == 0 or a & (a - 1):
                self.fail("alignment must be a power of two", at)
            align = a.bit_length() - 1
        return align, offset

    def _keyword_value(self, skip: int, bits: int) -> int:
        try:
            value = parse_uint(self.values[self.pos][skip:], bits)
        except LiteralError as exc:
            self.fail(str(exc))
        self.pos += 1
        return value

    def _memarg(self, op: Op) -> tuple:
        mem = self.optional_index(self.ctx.spaces["memory"])
        align, offset = self._memarg_fields(op)
        return (op, align, offset, mem)

    def _memarg_lane(self, op: Op) -> tuple:
        kinds, p = self.kinds, self.pos
        mem = 0
        # A memory index is there if an id, or a number followed by another
        # number (the lane) or a memarg field.
        if kinds[p] == ID or (kinds[p] == NUMBER and (
                kinds[p + 1] == NUMBER or (kinds[p + 1] == KEYWORD and self.values[p + 1].startswith(
                    ("offset=", "align="))))):
            mem = self.index(self.ctx.spaces["memory"])
        align, offset = self._memarg_fields(op)
        return (op, align, offset, mem, self.uint(8))

    def _v128_const(self, op: Op) -> tuple:
        shape = self.keyword()
        lanes = _LANES.get(shape)
        if lanes is None:
            self.unexpected(self.pos - 1)
        count, width = lanes
        value = 0
        kinds, values = self.kinds, self.values
        floats = shape[0] == "f"
        fmt = F32 if width == 32 else F64
        for i in range(count):
            kind = kinds[self.pos]
            if kind != NUMBER and not (floats and kind == KEYWORD):
                self.fail("wrong number of lane literals")
            try:
                if floats:
                    lane = parse_float(values[self.pos], fmt)
                else:
                    lane = parse_int(values[self.pos], width)
            except LiteralError as exc:
                self.fail(str(exc))
            self.pos += 1
            value |= lane << (i * width)
        return (op, value)

    def _shuffle(self, op: Op) -> tuple:
        lanes = []
        while self.kinds[self.pos] == NUMBER:
            lanes.append(self.uint(8))
        if len(lanes) != 16:
            self.fail("invalid lane length")
        return (op, tuple(lanes))

    def _select(self) -> tuple:
        if not self.at_open("result"):
            return (Op.SELECT,)
        types: list = []
        while self.at_open("result"):
            self.pos += 2
            types.extend(self.valtypes_until_close())
            self.expect_close()
        return (Op.SELECT_T, tuple(types))

    # --- block headers -----------------------------------------------------------

    def blocktype(self) -> object:
        """A block type: None, one value type, or a type index."""
        start = self.pos
        if self.at_open("type"):
            self.pos += 2
            x = self.index(self.ctx.spaces["type"])
            self.expect_close()
            sig = Signature()
            self.signature_clauses(sig, allow_names=False)
            if sig.written:
                self.check_inline(x, sig, start)
            return x
        sig = Signature()
        self.signature_clauses(sig, allow_names=False)
        if not sig.params and len(sig.results) <= 1:
            return sig.results[0] if sig.results else None
        return self.ctx.implicit_type(sig.functype())

    def _catches(self) -> tuple:
        out = []
        while True:
            kw = self.open_keyword()
            kind = _CATCH_CLAUSES.get(kw) if kw is not None else None
            if kind is None:
                return tuple(out)
            self.pos += 2
            tag = None
            if kind is CatchKind.CATCH or kind is CatchKind.CATCH_REF:
                tag = self.index(self.ctx.spaces["tag"])
            out.append((kind, tag, self.label_index()))
            self.expect_close()

    def _block_header(self, name: str) -> tuple[Optional[str], tuple]:
        """Label and block type (and catches) after ``block``, ``loop``,
        ``if``, ``try_table`` or ``try``; the instruction that opens it."""
        label = self.optional_id()
        bt = self.blocktype()
        op = _OPEN[name]
        if op is Op.TRY_TABLE:
            return label, (op, bt, self._catches())
        return label, (op, bt)

    def _end_label(self, frame: Frame) -> None:
        """An optional id after ``end``/``else`` must repeat the label."""
        if self.kinds[self.pos] == ID:
            if self.values[self.pos] != frame.label:
                self.fail("mismatching label")
            self.pos += 1

    # --- sequences -----------------------------------------------------------------

    def expr(self) -> tuple:
        """Instructions up to the ``)`` that closes the enclosing form (not
        consumed), followed by ``end``."""
        out: list = []
        self.instructions(out)
        out.append(_END)
        return tuple(out)

    def instructions(self, out: list, single: bool = False) -> None:
        """Append instructions to ``out`` until an unmatched ``)`` (with
        ``single``: until one folded instruction is complete)."""
        kinds, values = self.kinds, self.values
        simple, plain = SIMPLE, _DISPATCH
        labels = self.labels
        frames: list[Frame] = []
        anchors = self.hint_anchors
        first = self.pos
        while True:
            p = self.pos
            if single and not frames and p != first:
                return
            kind = kinds[p]
            if frames and frames[-1].kind in (FOLD_IF, FOLD_TRY) and frames[-1].state in (
                    IF_COND, IF_AFTER_THEN, IF_AFTER_ELSE) and self._clause(frames, out):
                # Folded if/try clauses; (IF_COND == TRY_START and
                # IF_AFTER_THEN == TRY_AFTER, IF_AFTER_ELSE == TRY_DELEGATED.)
                continue
            hint = anchors.pop(p, None) if anchors else None
            if hint is not None and not self.in_function:
                self.fail("@metadata.code.branch_hint annotation: not in a function")
            if hint is not None and kind != LPAREN:
                self.hints.append((len(out), hint))
            if kind == KEYWORD:
                name = values[p]
                instr = simple.get(name)
                if instr is not None:
                    self.pos = p + 1
                    out.append(instr)
                    continue
                entry = plain.get(name)
                if entry is not None:
                    self.pos = p + 1
                    out.append(entry[1](self, entry[0]))
                    continue
                self.pos = p + 1
                if name == "select":
                    out.append(self._select())
                elif name in _OPEN:
                    label, instr = self._block_header(name)
                    out.append(instr)
                    frames.append(Frame(FLAT_TRY if name == "try" else FLAT_IF if name == "if" else FLAT_BLOCK,
                                        label))
                    labels.append(label)
                else:
                    self.pos = p
                    self._flat_delimiter(name, frames, out)
                continue
            if kind == LPAREN:
                if kinds[p + 1] != KEYWORD:
                    self._not_an_instruction(p + 1)
                name = values[p + 1]
                self.pos = p + 2
                instr = simple.get(name)
                if instr is not None:
                    frames.append(Frame(FOLD_PLAIN, None, instr, hint))
                    continue
                entry = plain.get(name)
                if entry is not None:
                    frames.append(Frame(FOLD_PLAIN, None, entry[1](self, entry[0]), hint))
                    continue
                if name == "select":
                    frames.append(Frame(FOLD_PLAIN, None, self._select(), hint))
                    continue
                if name in _OPEN:
                    label, instr = self._block_header(name)
                    if name == "if":
                        frame = Frame(FOLD_IF, label, instr, hint)
                    elif name == "try":
                        frame = Frame(FOLD_TRY, label, instr)
                    else:
                        frame = Frame(FOLD_BLOCK, label)
                        if hint is not None:
                            self.hints.append((len(out), hint))
                        out.append(instr)
                        labels.append(label)
                    frames.append(frame)
                    continue
                self._not_an_instruction(p + 1)
            if kind == RPAREN:
                if not frames:
                    return
                frame = frames[-1]
                k = frame.kind
                self.pos = p + 1
                if k == FOLD_PLAIN:
                    if frame.hint is not None:
                        self.hints.append((len(out), frame.hint))
                    out.append(frame.pending)
                    frames.pop()
                elif k == FOLD_BLOCK:
                    out.append(_END)
                    labels.pop()
                    frames.pop()
                elif k == FOLD_IF:
                    # closing (then ...) or (else ...)
                    frame.state = IF_AFTER_THEN if frame.state == IF_THEN else IF_AFTER_ELSE
                elif k == FOLD_TRY:
                    # closing (do ...) or a catch clause
                    frame.state = TRY_AFTER
                else:
                    self.pos = p
                    self.fail("unexpected token ')', expected end")
                continue
            self._not_an_instruction(p)

    def _not_an_instruction(self, p: int) -> None:
        kind = self.kinds[p]
        if kind == NUMBER or kind == RESERVED or kind == STRING:
            self.fail(f"unknown operator {self.values[p]!r}", p)
        self.unexpected(p)

    def _clause(self, frames: list, out: list) -> bool:
        """At a clause boundary of a folded ``if``/``try``: handle
        ``(then``, ``(else``, ``(do``, ``(catch``, ``(catch_all``,
        ``(delegate`` and the closing ``)``. False if the next token is an
        ordinary (folded) instruction."""
        frame = frames[-1]
        kinds = self.kinds
        p = self.pos
        keyword = self.open_keyword()
        if frame.kind == FOLD_IF:
            if frame.state == IF_COND:
                if keyword == "then":
                    self.pos = p + 2
                    if frame.hint is not None:
                        self.hints.append((len(out), frame.hint))
                    out.append(frame.pending)
                    self.labels.append(frame.label)
                    frame.state = IF_THEN
                    return True
                if kinds[p] == LPAREN and keyword not in ("else",):
                    return False
                self.fail("unexpected token, expected (then ...)")
            if frame.state == IF_AFTER_THEN and keyword == "else":
                self.pos = p + 2
                out.append(_ELSE)
                frame.state = IF_ELSE
                return True
            if kinds[p] == RPAREN:
                self.pos = p + 1
                out.append(_END)
                self.labels.pop()
                frames.pop()
                return True
            self.unexpected()
        # legacy try
        if frame.state == TRY_START:
            if keyword != "do":
                self.fail("unexpected token, expected (do ...)")
            self.pos = p + 2
            out.append(frame.pending)
            self.labels.append(frame.label)
            frame.state = TRY_DO
            return True
        if frame.state == TRY_DELEGATED:
            self.expect_close()
            frames.pop()
            return True
        # TRY_AFTER
        if keyword == "catch" and frame.handlers < 2:
            self.pos = p + 2
            out.append((Op.CATCH, self.index(self.ctx.spaces["tag"])))
            frame.handlers = 1
            frame.state = TRY_CATCH
            return True
        if keyword == "catch_all" and frame.handlers < 2:
            self.pos = p + 2
            out.append(_CATCH_ALL)
            frame.handlers = 2
            frame.state = TRY_CATCH
            return True
        if keyword == "delegate" and frame.handlers == 0:
            self.pos = p + 2
            self.labels.pop()
            out.append((Op.DELEGATE, self.label_index()))
            self.expect_close()
            frame.state = TRY_DELEGATED
            return True
        if kinds[p] == RPAREN:
            self.pos = p + 1
            out.append(_END)
            self.labels.pop()
            frames.pop()
            return True
        self.unexpected()

    def _flat_delimiter(self, name: str, frames: list, out: list) -> None:
        """``end``, ``else``, ``catch``, ``catch_all`` or ``delegate`` in
        flat block syntax."""
        frame = frames[-1] if frames else None
        kind = frame.kind if frame is not None else None
        if kind not in (FLAT_BLOCK, FLAT_IF, FLAT_TRY):
            self.unexpected()
        self.pos += 1
        if name == "end":
            self._end_label(frame)
            out.append(_END)
            self.labels.pop()
            frames.pop()
            return
        if name == "else" and kind == FLAT_IF and frame.state == 0:
            self._end_label(frame)
            out.append(_ELSE)
            frame.state = 1
            return
        if kind == FLAT_TRY and frame.handlers < 2:
            if name == "catch":
                out.append((Op.CATCH, self.index(self.ctx.spaces["tag"])))
                frame.handlers = 1
                return
            if name == "catch_all":
                out.append(_CATCH_ALL)
                frame.handlers = 2
                return
            if name == "delegate" and frame.handlers == 0:
                self.labels.pop()
                out.append((Op.DELEGATE, self.label_index()))
                frames.pop()
                return
        self.unexpected(self.pos - 1)


#: Instructions without immediates: name -> their (shared) tuple.
SIMPLE: dict[str, tuple] = {
    name: (op,) for name, (op, imm) in PLAIN.items() if imm is Imm.NONE or imm is Imm.ZERO_BYTE
}

_READERS: dict[Imm, Callable] = {
    Imm.LABEL: InstrParser._imm_label,
    Imm.BR_TABLE: InstrParser._br_table,
    Imm.FUNC: InstrParser._imm_func,
    Imm.CALL_INDIRECT: InstrParser._call_indirect,
    Imm.LOCAL: InstrParser._imm_local,
    Imm.GLOBAL: InstrParser._imm_global,
    Imm.TABLE: InstrParser._imm_table,
    Imm.MEM: InstrParser._imm_memory,
    Imm.TAG: InstrParser._imm_tag,
    Imm.TYPE: InstrParser._imm_type,
    Imm.DATA: InstrParser._data_index,
    Imm.ELEM: InstrParser._imm_elem,
    Imm.MEMARG: InstrParser._memarg,
    Imm.MEMARG_LANE: InstrParser._memarg_lane,
    Imm.I32: InstrParser._imm_i32,
    Imm.I64: InstrParser._imm_i64,
    Imm.F32: InstrParser._imm_f32,
    Imm.F64: InstrParser._imm_f64,
    Imm.V128: InstrParser._v128_const,
    Imm.SHUFFLE: InstrParser._shuffle,
    Imm.LANE: InstrParser._imm_lane,
    Imm.HEAPTYPE: InstrParser._ref_null,
    Imm.REFTYPE: InstrParser._imm_reftype,
    Imm.CASTOP: InstrParser._imm_castop,
    Imm.DATA_MEM: InstrParser._memory_init,
    Imm.MEM_MEM: InstrParser._imm_two_memories,
    Imm.ELEM_TABLE: InstrParser._table_init,
    Imm.TABLE_TABLE: InstrParser._imm_two_tables,
    Imm.TYPE_FIELD: InstrParser._type_field,
    Imm.TYPE_N: InstrParser._imm_type_n,
    Imm.TYPE_DATA: InstrParser._type_data,
    Imm.TYPE_ELEM: InstrParser._imm_type_elem,
    Imm.TYPE_TYPE: InstrParser._imm_type_type,
    Imm.ORDER_GLOBAL: InstrParser._imm_order_global,
    Imm.ORDER_TABLE: InstrParser._imm_order_table,
    Imm.ORDER_TYPE: InstrParser._imm_order_type,
    Imm.ORDER_FIELD: InstrParser._imm_order_field,
}

#: name -> (Op, reader) for every plain instruction with immediates.
_DISPATCH: dict[str, tuple[Op, Callable]] = {
    name: (op, _READERS[imm]) for name, (op, imm) in PLAIN.items() if name not in SIMPLE
}
