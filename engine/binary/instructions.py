"""Decoding of instruction sequences: function bodies and constant
expressions.

An expression is decoded into the flat tuple of instructions described in
:mod:`engine.syntax.module`, up to and including the ``end`` that closes it.
This is the decoder's hot path, so the main loop is written for CPython:
one-byte opcodes without immediates map to shared, prebuilt tuples; the
frequent immediate shapes (indices, memory arguments, ``i32.const``, blocks)
are decoded inline with a one-byte LEB128 fast path; everything else goes
through a table of per-shape readers.

Block structure is checked as the binary grammar states it (``else`` only
in an ``if``, ``catch``/``catch_all``/``delegate`` only in a legacy ``try``,
an ``end`` for every block); whether the instructions are well-typed is the
validator's business.
"""

from __future__ import annotations

from typing import Callable, NamedTuple, Optional

from ..errors import MalformedError
from ..syntax.opcodes import DECODE, IMMEDIATES, PREFIXES, CatchKind, Imm, MemoryOrder, Op
from ..syntax.types import RefType
from . import messages as msg
from .leb128 import i32 as _i32
from .leb128 import i64 as _i64
from .leb128 import s33, u32, u64
from .proposals import CODE_NEEDS
from .types import REF, REF_NULL, SHARED, VALTYPE_BYTE, count, heaptype, valtype

Instr = tuple
#: reader(data, pos, op) -> (instruction, new pos), for one immediate shape
Reader = Callable[[bytes, int, Op], tuple[Instr, int]]

# --- immediate readers -------------------------------------------------------


def blocktype(data: bytes, pos: int) -> tuple[object, int]:
    """``0x40`` (no result), a value type, or a type index as a positive s33."""
    b = data[pos]
    if b == 0x40:
        return None, pos + 1
    t = VALTYPE_BYTE.get(b)
    if t is not None:
        return t, pos + 1
    if b == REF_NULL or b == REF or b == SHARED:
        return valtype(data, pos)
    index, pos = s33(data, pos)
    if index < 0:
        raise MalformedError(msg.BLOCKTYPE)
    return index, pos


def _memarg(data: bytes, pos: int) -> tuple[int, int, int, int]:
    """(align, offset, memidx, pos). Bit 6 of the alignment field says that
    a memory index follows (multi-memory)."""
    align, pos = u32(data, pos)
    memidx = 0
    if align >= 0x40:
        if align >= 0x80:
            raise MalformedError(msg.MEMARG)
        align -= 0x40
        memidx, pos = u32(data, pos)
    offset, pos = u64(data, pos)
    return align, offset, memidx, pos


def _read_index(data, pos, op):
    x, pos = u32(data, pos)
    return (op, x), pos


def _read_two_indices(data, pos, op):
    x, pos = u32(data, pos)
    y, pos = u32(data, pos)
    return (op, x, y), pos


def _read_blocktype(data, pos, op):
    bt, pos = blocktype(data, pos)
    return (op, bt), pos


def _read_br_table(data, pos, op):
    n, pos = count(data, pos)
    labels = []
    append = labels.append
    for _ in range(n):
        b = data[pos]
        if b < 0x80:
            pos += 1
            append(b)
        else:
            x, pos = u32(data, pos)
            append(x)
    default, pos = u32(data, pos)
    return (op, tuple(labels), default), pos


def _read_memarg(data, pos, op):
    align, offset, memidx, pos = _memarg(data, pos)
    return (op, align, offset, memidx), pos


def _read_memarg_lane(data, pos, op):
    align, offset, memidx, pos = _memarg(data, pos)
    return (op, align, offset, memidx, data[pos]), pos + 1


def _read_i32(data, pos, op):
    v, pos = _i32(data, pos)
    return (op, v), pos


def _read_i64(data, pos, op):
    v, pos = _i64(data, pos)
    return (op, v), pos


def _fixed(data: bytes, pos: int, size: int) -> int:
    """The end of ``size`` bytes starting at ``pos``; slicing would not
    notice a short read, so the bound is checked here."""
    end = pos + size
    if end > len(data):
        raise MalformedError(msg.UNEXPECTED_END_SECTION)
    return end


def _read_f32(data, pos, op):
    end = _fixed(data, pos, 4)
    return (op, int.from_bytes(data[pos:end], "little")), end


def _read_f64(data, pos, op):
    end = _fixed(data, pos, 8)
    return (op, int.from_bytes(data[pos:end], "little")), end


def _read_v128(data, pos, op):
    end = _fixed(data, pos, 16)
    return (op, int.from_bytes(data[pos:end], "little")), end


def _read_shuffle(data, pos, op):
    end = _fixed(data, pos, 16)
    return (op, tuple(data[pos:end])), end


def _read_lane(data, pos, op):
    return (op, data[pos]), pos + 1


def _read_heaptype(data, pos, op):
    # ref.null: the custom-descriptors proposal allows an exact marker,
    # which makes the null's type exact: (op, ht, True); the unmarked form
    # stays (op, ht).
    (ht, exact), pos = _heaptype_maybe_exact(data, pos)
    return ((op, ht, True) if exact else (op, ht)), pos


def _read_reftype(data, pos, op):
    # ref.test / ref.cast, non-null form: the heap type alone.
    ht, pos = _heaptype_maybe_exact(data, pos)
    return (op, RefType(False, *ht)), pos


def _read_reftype_null(data, pos, op):
    ht, pos = _heaptype_maybe_exact(data, pos)
    return (op, RefType(True, *ht)), pos


def _heaptype_maybe_exact(data: bytes, pos: int) -> tuple[tuple[object, bool], int]:
    """A heap type, optionally preceded by the custom-descriptors exact
    marker 0x62; returns ``((heap, exact), pos)``."""
    if data[pos] == 0x62:
        ht, pos = heaptype(data, pos + 1)
        return (ht, True), pos
    ht, pos = heaptype(data, pos)
    return (ht, False), pos


def _read_castop(data, pos, op):
    flags = data[pos]
    if flags > 3:
        raise MalformedError(msg.CASTOP)
    label, pos = u32(data, pos + 1)
    ht1, pos = _heaptype_maybe_exact(data, pos)
    ht2, pos = _heaptype_maybe_exact(data, pos)
    return (op, label, RefType(bool(flags & 1), *ht1), RefType(bool(flags & 2), *ht2)), pos


def _read_select_t(data, pos, op):
    n, pos = count(data, pos)
    types = []
    for _ in range(n):
        t, pos = valtype(data, pos)
        types.append(t)
    return (op, tuple(types)), pos


_CATCH_KINDS = tuple(CatchKind)


def _read_try_table(data, pos, op):
    bt, pos = blocktype(data, pos)
    n, pos = count(data, pos)
    catches = []
    for _ in range(n):
        kind = data[pos]
        if kind > 3:
            raise MalformedError(msg.CATCH)
        pos += 1
        tag = None
        if kind < 2:  # catch and catch_ref name a tag
            tag, pos = u32(data, pos)
        label, pos = u32(data, pos)
        catches.append((_CATCH_KINDS[kind], tag, label))
    return (op, bt, tuple(catches)), pos


def _read_zero_byte(data, pos, op):
    if data[pos] != 0:
        raise MalformedError(msg.ZERO_BYTE)
    return (op,), pos + 1


def _read_none(data, pos, op):
    return (op,), pos


# shared-everything-threads: the ordering immediate is 0 (seqcst) or 1
# (acqrel), as wasm-tools encodes it; read-modify-write instructions also
# accept 0x11, the acqrel/acqrel pair of the overview's nibble encoding.
_ORDERINGS = {0: MemoryOrder.SEQ_CST, 1: MemoryOrder.ACQ_REL}
_RMW_ORDERINGS = {**_ORDERINGS, 0x11: MemoryOrder.ACQ_REL}
_RMW_ORDERED = frozenset(op for op in Op if ".atomic.rmw." in op.text and IMMEDIATES[op] in (
    Imm.ORDER_GLOBAL, Imm.ORDER_TABLE, Imm.ORDER_TYPE, Imm.ORDER_FIELD))


def _ordering(data: bytes, pos: int, op: Op) -> tuple[MemoryOrder, int]:
    b, pos = u32(data, pos)
    order = (_RMW_ORDERINGS if op in _RMW_ORDERED else _ORDERINGS).get(b)
    if order is None:
        raise MalformedError(msg.ORDERING)
    return order, pos


def _read_ordered_index(data, pos, op):
    order, pos = _ordering(data, pos, op)
    x, pos = u32(data, pos)
    return (op, order, x), pos


def _read_ordered_field(data, pos, op):
    order, pos = _ordering(data, pos, op)
    x, pos = u32(data, pos)
    y, pos = u32(data, pos)
    return (op, order, x, y), pos


_READERS: dict[Imm, Reader] = {
    Imm.NONE: _read_none,
    Imm.BLOCKTYPE: _read_blocktype,
    Imm.LABEL: _read_index,
    Imm.BR_TABLE: _read_br_table,
    Imm.FUNC: _read_index,
    Imm.CALL_INDIRECT: _read_two_indices,
    Imm.LOCAL: _read_index,
    Imm.GLOBAL: _read_index,
    Imm.TABLE: _read_index,
    Imm.MEM: _read_index,
    Imm.TAG: _read_index,
    Imm.TYPE: _read_index,
    Imm.DATA: _read_index,
    Imm.ELEM: _read_index,
    Imm.MEMARG: _read_memarg,
    Imm.MEMARG_LANE: _read_memarg_lane,
    Imm.I32: _read_i32,
    Imm.I64: _read_i64,
    Imm.F32: _read_f32,
    Imm.F64: _read_f64,
    Imm.V128: _read_v128,
    Imm.SHUFFLE: _read_shuffle,
    Imm.LANE: _read_lane,
    Imm.HEAPTYPE: _read_heaptype,
    Imm.REFTYPE: _read_reftype,
    Imm.REFTYPE_NULL: _read_reftype_null,
    Imm.CASTOP: _read_castop,
    Imm.SELECT_T: _read_select_t,
    Imm.TRY_TABLE: _read_try_table,
    Imm.ZERO_BYTE: _read_zero_byte,
    Imm.DATA_MEM: _read_two_indices,
    Imm.MEM_MEM: _read_two_indices,
    Imm.ELEM_TABLE: _read_two_indices,
    Imm.TABLE_TABLE: _read_two_indices,
    Imm.TYPE_FIELD: _read_two_indices,
    Imm.TYPE_N: _read_two_indices,
    Imm.TYPE_DATA: _read_two_indices,
    Imm.TYPE_ELEM: _read_two_indices,
    Imm.TYPE_TYPE: _read_two_indices,
    Imm.ORDER_GLOBAL: _read_ordered_index,
    Imm.ORDER_TABLE: _read_ordered_index,
    Imm.ORDER_TYPE: _read_ordered_index,
    Imm.ORDER_FIELD: _read_ordered_field,
}

#: Immediate shapes that name a data segment: without a data count section
#: they make a function body malformed.
_NEEDS_DATA_COUNT = frozenset({Imm.DATA, Imm.DATA_MEM, Imm.TYPE_DATA})

# --- opcode tables -------------------------------------------------------------

# How the main loop treats each one-byte opcode.
_ILLEGAL, _SIMPLE, _INDEX, _END, _MEMARG, _I32, _BLOCK, _PREFIX, _ELSE, _CATCH, \
    _CATCH_ALL, _DELEGATE, _OTHER = range(13)

_INDEX_SHAPES = frozenset({Imm.LABEL, Imm.FUNC, Imm.LOCAL, Imm.GLOBAL, Imm.TABLE,
                           Imm.MEM, Imm.TAG, Imm.TYPE})

# Open-block states kept on the structure stack: the opcode that put the
# block in its current state.
_IF, _AFTER_ELSE, _TRY, _AFTER_CATCH, _AFTER_CATCH_ALL = 0x04, 0x05, 0x06, 0x07, 0x19


def _build_tables():
    kinds = [_ILLEGAL] * 256
    ops: list[Optional[Op]] = [None] * 256
    simple: list[Optional[Instr]] = [None] * 256
    readers: list[Optional[Reader]] = [None] * 256
    prefixed: dict[tuple[int, int], tuple[Op, Imm, Reader, Optional[Instr]]] = {}
    for (prefix, code), (op, imm) in DECODE.items():
        if prefix is not None:
            prefixed[(prefix, code)] = (op, imm, _READERS[imm], (op,) if imm is Imm.NONE else None)
            continue
        ops[code] = op
        readers[code] = _READERS[imm]
        if op is Op.END:
            kinds[code] = _END
        elif op is Op.ELSE:
            kinds[code] = _ELSE
        elif op is Op.CATCH:
            kinds[code] = _CATCH
        elif op is Op.CATCH_ALL:
            kinds[code] = _CATCH_ALL
        elif op is Op.DELEGATE:
            kinds[code] = _DELEGATE
        elif imm is Imm.BLOCKTYPE:
            kinds[code] = _BLOCK
        elif imm is Imm.NONE:
            kinds[code] = _SIMPLE
            simple[code] = (op,)
        elif imm in _INDEX_SHAPES:
            kinds[code] = _INDEX
        elif imm is Imm.MEMARG:
            kinds[code] = _MEMARG
        elif imm is Imm.I32:
            kinds[code] = _I32
        else:
            kinds[code] = _OTHER
    for prefix in PREFIXES:
        kinds[prefix] = _PREFIX
    return kinds, ops, simple, readers, prefixed


class ExprTables(NamedTuple):
    """What :func:`decode_expr` decodes: per one-byte opcode its kind in the
    main loop, its Op, its prebuilt instruction (no immediates) and its
    reader; the prefixed instructions by ``(prefix, subopcode)``; and the
    memory argument reader. A restricted feature set decodes with copies
    (see :mod:`engine.binary.features`)."""

    kinds: list
    ops: list
    simple: list
    readers: list
    prefixed: dict
    memarg: Callable


#: The tables of the full binary format.
FULL_TABLES = ExprTables(*_build_tables(), _memarg)
#: Main-loop kinds that a restricted table set may give an opcode.
KIND_ILLEGAL, KIND_OTHER = _ILLEGAL, _OTHER
#: Why a restricted table set made a whole prefix illegal (it does when none
#: of the prefix's instructions is enabled).
_PREFIX_NEEDS = {0xFB: "gc is disabled", 0xFC: "every instruction with this prefix is disabled",
                 0xFD: "simd is disabled", 0xFE: "threads is disabled"}
_END_INSTR = (Op.END,)
_ELSE_INSTR = (Op.ELSE,)
_CATCH_ALL_INSTR = (Op.CATCH_ALL,)
_I32_CONST = Op.I32_CONST


def _illegal(b: int, sub: Optional[int] = None) -> MalformedError:
    code = f"{b:02x}" if sub is None else f"{b:02x} {sub}"
    key = (None, b) if sub is None else (b, sub)
    needs = CODE_NEEDS.get(key)
    if needs is not None:
        # A known instruction that a restricted feature set leaves out.
        name = DECODE[key][0].text
        return MalformedError(f"{msg.ILLEGAL_OPCODE} {code}: {name} requires {' and '.join(needs)}")
    if sub is None and b in _PREFIX_NEEDS:
        return MalformedError(f"{msg.ILLEGAL_OPCODE} {code}: {_PREFIX_NEEDS[b]}")
    return MalformedError(f"{msg.ILLEGAL_OPCODE} {code}")


def decode_expr(
    data: bytes, pos: int, data_count: bool = True, tables: ExprTables = FULL_TABLES,
    starts: Optional[list[int]] = None,
) -> tuple[tuple[Instr, ...], int]:
    """Decode instructions from ``data[pos:]`` up to the ``end`` that closes
    the expression; return them (that ``end`` included) and the position
    after it.

    ``data_count`` is False in a function body of a module without a data
    count section: instructions naming a data segment are then malformed.
    ``tables`` says which instructions exist and how their immediates read
    (the full format by default).
    ``starts``, when given, receives the position where each instruction
    starts (what the branch hint section's offsets point at).
    Running off the end of ``data`` raises IndexError (see
    :mod:`engine.binary.leb128`).
    """
    out: list[Instr] = []
    append = out.append
    kinds, ops, simple, readers, prefixed, memarg = tables
    stack: list[int] = []  # one state per open block
    push = stack.append
    mark = None if starts is None else starts.append
    while True:
        if mark is not None:
            mark(pos)
        b = data[pos]
        pos += 1
        k = kinds[b]
        if k == _SIMPLE:
            append(simple[b])
        elif k == _INDEX:
            x = data[pos]
            if x < 0x80:
                pos += 1
            else:
                x, pos = u32(data, pos)
            append((ops[b], x))
        elif k == _MEMARG:
            align = data[pos]
            offset = data[pos + 1]
            if align < 0x40 and offset < 0x80:
                pos += 2
                append((ops[b], align, offset, 0))
            else:
                align, offset, memidx, pos = memarg(data, pos)
                append((ops[b], align, offset, memidx))
        elif k == _I32:
            v = data[pos]
            if v < 0x40:
                pos += 1
            elif v < 0x80:  # one-byte negative
                pos += 1
                v += 0xFFFFFF80
            else:
                v, pos = _i32(data, pos)
            append((_I32_CONST, v))
        elif k == _END:
            append(_END_INSTR)
            if not stack:
                return tuple(out), pos
            stack.pop()
        elif k == _BLOCK:
            t = data[pos]
            if t == 0x40:
                bt = None
                pos += 1
            else:
                bt = VALTYPE_BYTE.get(t)
                if bt is None:
                    bt, pos = blocktype(data, pos)
                else:
                    pos += 1
            append((ops[b], bt))
            push(b)
        elif k == _PREFIX:
            sub = data[pos]
            if sub < 0x80:
                pos += 1
            else:
                sub, pos = u32(data, pos)
            entry = prefixed.get((b, sub))
            if entry is None:
                raise _illegal(b, sub)
            op, imm, reader, instr = entry
            if instr is not None:
                append(instr)
                continue
            if not data_count and imm in _NEEDS_DATA_COUNT:
                raise MalformedError(msg.DATA_COUNT_REQUIRED)
            instr, pos = reader(data, pos, op)
            append(instr)
        elif k == _OTHER:
            instr, pos = readers[b](data, pos, ops[b])
            append(instr)
            if b == 0x1F:  # try_table opens a block
                push(b)
        elif k == _ELSE:
            if not stack or stack[-1] != _IF:
                raise MalformedError(msg.END_EXPECTED)
            stack[-1] = _AFTER_ELSE
            append(_ELSE_INSTR)
        elif k == _CATCH:
            if not stack or stack[-1] not in (_TRY, _AFTER_CATCH):
                raise MalformedError(msg.END_EXPECTED)
            stack[-1] = _AFTER_CATCH
            x, pos = u32(data, pos)
            append((Op.CATCH, x))
        elif k == _CATCH_ALL:
            if not stack or stack[-1] not in (_TRY, _AFTER_CATCH):
                raise MalformedError(msg.END_EXPECTED)
            stack[-1] = _AFTER_CATCH_ALL
            append(_CATCH_ALL_INSTR)
        elif k == _DELEGATE:
            # ``try ... delegate l`` is closed by the delegate, not by an end.
            if not stack or stack[-1] != _TRY:
                raise MalformedError(msg.END_EXPECTED)
            stack.pop()
            x, pos = u32(data, pos)
            append((Op.DELEGATE, x))
        else:
            raise _illegal(b)
