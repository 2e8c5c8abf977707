"""The binary encoding of a :class:`engine.syntax.Module`.

Integers are written in their shortest LEB128 form. Sections are emitted in
the binary order, each only if it has content (the data count section when
``module.data_count`` is set). Custom sections go in numbered slots around
the other sections (see :mod:`engine.text.annotations`); code metadata for
branch hints is written as the ``metadata.code.branch_hint`` section just
before the code section.
"""

from __future__ import annotations

from typing import Iterable, Optional

from ..syntax.module import Elem, Module, SegmentMode
from ..syntax.opcodes import DECODE, IMMEDIATES, CatchKind, Imm, Op
from ..syntax.types import (
    AbsHeapType, ArrayType, ExternKind, FuncType, GlobalType, MemType, NumType, PackedType,
    RefType, StructType, SubType, TableType, VecType,
)
from .annotations import SECTION_IDS, SECTION_ORDER, CustomPlacement

__all__ = ["encode_module"]

_SMALL = [bytes([i]) for i in range(128)]


def uleb(n: int) -> bytes:
    """Unsigned LEB128, shortest form."""
    if n < 128:
        return _SMALL[n]
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def sleb(n: int) -> bytes:
    """Signed LEB128, shortest form."""
    if 0 <= n < 64:
        return _SMALL[n]
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if (n == 0 and not b & 0x40) or (n == -1 and b & 0x40):
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)


def _opcodes() -> tuple[dict, dict]:
    plain: dict[Op, bytes] = {}
    nullable: dict[Op, bytes] = {}
    for (prefix, code), (op, kind) in DECODE.items():
        encoded = bytes([code]) if prefix is None else bytes([prefix]) + uleb(code)
        if kind is Imm.REFTYPE_NULL:
            nullable[op] = encoded
        else:
            plain.setdefault(op, encoded)
    return plain, nullable


#: Op -> opcode bytes (the non-null form for ref.test/ref.cast-like ops).
OPCODE, OPCODE_NULLABLE = _opcodes()


# --- types -------------------------------------------------------------------


def heaptype(ht: object, exact: bool = False) -> bytes:
    """An abstract heap type's byte or a type index (s33), after the exact
    marker when ``exact``."""
    prefix = b"\x62" if exact else b""
    if isinstance(ht, AbsHeapType):
        if ht.shared:  # shared-everything-threads: 0x65 ht
            return prefix + b"\x65" + _SMALL[ht.value & 0xFF]
        return prefix + _SMALL[ht.value] if ht.value < 128 else prefix + bytes([ht.value])
    return prefix + sleb(ht)


def valtype(vt: object) -> bytes:
    """A value or packed type; nullable abstract references use their
    one-byte shorthand."""
    if isinstance(vt, (NumType, VecType, PackedType)):
        return bytes([vt.value])
    if vt.nullable and not vt.exact and isinstance(vt.heap, AbsHeapType):
        return heaptype(vt.heap)
    return (b"\x63" if vt.nullable else b"\x64") + heaptype(vt.heap, vt.exact)


def _vec(items: list[bytes]) -> bytes:
    return uleb(len(items)) + b"".join(items)


def _fieldtype(ft) -> bytes:
    return valtype(ft.storage) + (b"\x01" if ft.mutable else b"\x00")


def _comptype(ct: object) -> bytes:
    shared = b"\x65" if getattr(ct, "shared", False) else b""
    if isinstance(ct, FuncType):
        return shared + b"\x60" + _vec([valtype(t) for t in ct.params]) + _vec(
            [valtype(t) for t in ct.results])
    if isinstance(ct, StructType):
        return shared + b"\x5f" + _vec([_fieldtype(f) for f in ct.fields])
    if isinstance(ct, ArrayType):
        return shared + b"\x5e" + _fieldtype(ct.field)
    raise TypeError(f"not a composite type: {ct!r}")


def _subtype(st: SubType) -> bytes:
    out = b""
    if not st.final or st.supertypes:
        out = (b"\x4f" if st.final else b"\x50") + _vec([uleb(x) for x in st.supertypes])
    if st.describes is not None:
        out += b"\x4c" + uleb(st.describes)
    if st.descriptor is not None:
        out += b"\x4d" + uleb(st.descriptor)
    return out + _comptype(st.comp)


def _limits(limits, flags: int) -> bytes:
    if limits.max is not None:
        flags |= 1
    out = bytes([flags]) + uleb(limits.min)
    if limits.max is not None:
        out += uleb(limits.max)
    return out


def memtype(mt: MemType) -> bytes:
    """Limits flags and bounds, then the page size when it is not 64 KiB."""
    flags = (2 if mt.shared else 0) | (4 if mt.addr64 else 0) | (8 if mt.page_size_log2 != 16 else 0)
    out = _limits(mt.limits, flags)
    if mt.page_size_log2 != 16:
        out += uleb(mt.page_size_log2)
    return out


def tabletype(tt: TableType) -> bytes:
    """Element type, then limits."""
    return valtype(tt.elem) + _limits(tt.limits, (4 if tt.addr64 else 0) | (2 if tt.shared else 0))


def globaltype(gt: GlobalType) -> bytes:
    """Value type, then the flags: mutability, shared."""
    return valtype(gt.valtype) + bytes([(1 if gt.mutable else 0) | (2 if gt.shared else 0)])


def _name(s: str) -> bytes:
    raw = s.encode("utf-8")
    return uleb(len(raw)) + raw


# --- instructions ------------------------------------------------------------


def _blocktype(bt: object) -> bytes:
    if bt is None:
        return b"\x40"
    if isinstance(bt, int):
        return sleb(bt)
    return valtype(bt)


def _memarg(align: int, offset: int, mem: int) -> bytes:
    if mem:
        return uleb(align | 0x40) + uleb(mem) + uleb(offset)
    return uleb(align) + uleb(offset)


def _i32(v: int) -> bytes:
    return sleb(v - (1 << 32) if v >= 1 << 31 else v)


def _i64(v: int) -> bytes:
    return sleb(v - (1 << 64) if v >= 1 << 63 else v)


def _catch(c: tuple) -> bytes:
    kind, tag, label = c
    out = bytes([int(kind)])
    if kind is CatchKind.CATCH or kind is CatchKind.CATCH_REF:
        out += uleb(tag)
    return out + uleb(label)


def _castop(ins: tuple) -> bytes:
    _, label, rt1, rt2 = ins
    flags = (1 if rt1.nullable else 0) | (2 if rt2.nullable else 0)
    return bytes([flags]) + uleb(label) + heaptype(rt1.heap, rt1.exact) + heaptype(rt2.heap, rt2.exact)


#: Imm kind -> immediates' bytes of an instruction tuple.
_IMMEDIATES = {
    Imm.BLOCKTYPE: lambda i: _blocktype(i[1]),
    Imm.LABEL: lambda i: uleb(i[1]),
    Imm.BR_TABLE: lambda i: _vec([uleb(x) for x in i[1]]) + uleb(i[2]),
    Imm.FUNC: lambda i: uleb(i[1]),
    Imm.CALL_INDIRECT: lambda i: uleb(i[1]) + uleb(i[2]),
    Imm.LOCAL: lambda i: uleb(i[1]),
    Imm.GLOBAL: lambda i: uleb(i[1]),
    Imm.TABLE: lambda i: uleb(i[1]),
    Imm.MEM: lambda i: uleb(i[1]),
    Imm.TAG: lambda i: uleb(i[1]),
    Imm.TYPE: lambda i: uleb(i[1]),
    Imm.DATA: lambda i: uleb(i[1]),
    Imm.ELEM: lambda i: uleb(i[1]),
    Imm.MEMARG: lambda i: _memarg(i[1], i[2], i[3]),
    Imm.MEMARG_LANE: lambda i: _memarg(i[1], i[2], i[3]) + bytes([i[4]]),
    Imm.I32: lambda i: _i32(i[1]),
    Imm.I64: lambda i: _i64(i[1]),
    Imm.F32: lambda i: i[1].to_bytes(4, "little"),
    Imm.F64: lambda i: i[1].to_bytes(8, "little"),
    Imm.V128: lambda i: i[1].to_bytes(16, "little"),
    Imm.SHUFFLE: lambda i: bytes(i[1]),
    Imm.LANE: lambda i: bytes([i[1]]),
    Imm.HEAPTYPE: lambda i: heaptype(i[1], len(i) > 2 and i[2]),
    Imm.REFTYPE: lambda i: heaptype(i[1].heap, i[1].exact),
    Imm.CASTOP: _castop,
    Imm.SELECT_T: lambda i: _vec([valtype(t) for t in i[1]]),
    Imm.TRY_TABLE: lambda i: _blocktype(i[1]) + _vec([_catch(c) for c in i[2]]),
    Imm.ZERO_BYTE: lambda i: b"\x00",
    Imm.DATA_MEM: lambda i: uleb(i[1]) + uleb(i[2]),
    Imm.MEM_MEM: lambda i: uleb(i[1]) + uleb(i[2]),
    Imm.ELEM_TABLE: lambda i: uleb(i[1]) + uleb(i[2]),
    Imm.TABLE_TABLE: lambda i: uleb(i[1]) + uleb(i[2]),
    Imm.TYPE_FIELD: lambda i: uleb(i[1]) + uleb(i[2]),
    Imm.TYPE_N: lambda i: uleb(i[1]) + uleb(i[2]),
    Imm.TYPE_DATA: lambda i: uleb(i[1]) + uleb(i[2]),
    Imm.TYPE_ELEM: lambda i: uleb(i[1]) + uleb(i[2]),
    Imm.TYPE_TYPE: lambda i: uleb(i[1]) + uleb(i[2]),
    Imm.ORDER_GLOBAL: lambda i: uleb(i[1]) + uleb(i[2]),
    Imm.ORDER_TABLE: lambda i: uleb(i[1]) + uleb(i[2]),
    Imm.ORDER_TYPE: lambda i: uleb(i[1]) + uleb(i[2]),
    Imm.ORDER_FIELD: lambda i: uleb(i[1]) + uleb(i[2]) + uleb(i[3]),
}

#: Op -> immediates encoder (None for ops without immediates).
_ENCODER = {op: (None if kind in (Imm.NONE,) else _IMMEDIATES[kind]) for op, kind in IMMEDIATES.items()}


def instructions(instrs: Iterable[tuple], out: bytearray, marks: Optional[dict] = None) -> None:
    """Append the encoding of ``instrs`` to ``out``; for the instruction
    indices in ``marks``, record their offset in ``out`` there."""
    opcode, nullable, encoder = OPCODE, OPCODE_NULLABLE, _ENCODER
    for n, ins in enumerate(instrs):
        if marks is not None and n in marks:
            marks[n] = len(out)
        op = ins[0]
        enc = encoder[op]
        if enc is None:
            out += opcode[op]
            continue
        if op in nullable and ins[1].nullable:
            out += nullable[op]
        else:
            out += opcode[op]
        out += enc(ins)


def expr(instrs: Iterable[tuple]) -> bytes:
    """The encoding of an expression (its final ``end`` included)."""
    out = bytearray()
    instructions(instrs, out)
    return bytes(out)


# --- sections --------------------------------------------------------------------


def _import(imp) -> bytes:
    head = _name(imp.module) + _name(imp.name)
    kind = imp.kind
    if kind == ExternKind.FUNC:
        return head + (b"\x20" if imp.exact else b"\x00") + uleb(imp.desc)
    if kind == ExternKind.TABLE:
        return head + b"\x01" + tabletype(imp.desc)
    if kind == ExternKind.MEMORY:
        return head + b"\x02" + memtype(imp.desc)
    if kind == ExternKind.GLOBAL:
        return head + b"\x03" + globaltype(imp.desc)
    return head + b"\x04\x00" + uleb(imp.desc.typeidx)


def _table(table) -> bytes:
    if table.init is None:
        return tabletype(table.type)
    return b"\x40\x00" + tabletype(table.type) + expr(table.init)


def _is_func_indices(e: Elem) -> bool:
    """Whether the segment can be written as function indices: every item
    a lone ``ref.func`` and the type ``(ref func)``."""
    if e.type != RefType(False, AbsHeapType.FUNC):
        return False
    return all(len(x) == 2 and x[0][0] == Op.REF_FUNC for x in e.init)


def _elem(e: Elem) -> bytes:
    indices = _is_func_indices(e)
    items = _vec([uleb(x[0][1]) for x in e.init]) if indices else _vec([expr(x) for x in e.init])
    kind = b"\x00" if indices else valtype(e.type)
    if e.mode is SegmentMode.ACTIVE:
        offset = expr(e.offset)
        if e.table == 0 and indices:
            return b"\x00" + offset + items
        if e.table == 0 and e.type == RefType(True, AbsHeapType.FUNC):
            return b"\x04" + offset + items
        return (b"\x02" if indices else b"\x06") + uleb(e.table) + offset + kind + items
    flags = (1 if e.mode is SegmentMode.PASSIVE else 3) | (0 if indices else 4)
    return bytes([flags]) + kind + items


def _data(d) -> bytes:
    if d.mode is SegmentMode.PASSIVE:
        return b"\x01" + uleb(len(d.init)) + d.init
    head = b"\x00" if d.memory == 0 else b"\x02" + uleb(d.memory)
    return head + expr(d.offset) + uleb(len(d.init)) + d.init


def _locals(types: tuple) -> bytes:
    runs: list[list] = []
    for t in types:
        if runs and runs[-1][0] == t:
            runs[-1][1] += 1
        else:
            runs.append([t, 1])
    return _vec([uleb(n) + valtype(t) for t, n in runs])


def _code(func, hint_list: Optional[list]) -> tuple[bytes, list]:
    """A code entry, and the hints with their byte offsets (from the start
    of the entry's locals)."""
    body = bytearray(_locals(func.locals))
    marks = None
    if hint_list:
        marks = {n: 0 for n, _ in hint_list}
    instructions(func.body, body, marks)
    placed = [(marks[n], value) for n, value in hint_list] if hint_list else []
    return uleb(len(body)) + bytes(body), placed


def _section(section_id: int, payload: bytes) -> bytes:
    return bytes([section_id]) + uleb(len(payload)) + payload


def _custom(name: str, data: bytes) -> bytes:
    return _section(0, _name(name) + data)


def name_section(module_name: Optional[str], func_names: dict[int, str]) -> CustomPlacement:
    """A ``name`` custom section (after the last section) holding the
    module's name (subsection 0) and the functions' names (subsection 1)."""
    payload = b""
    if module_name is not None:
        payload += b"\x00" + uleb(len(_name(module_name))) + _name(module_name)
    if func_names:
        names = _vec([uleb(i) + _name(n) for i, n in sorted(func_names.items())])
        payload += b"\x01" + uleb(len(names)) + names
    return CustomPlacement(2 * len(SECTION_ORDER) + 1, "name", payload)


def encode_module(module: Module, customs: Iterable[CustomPlacement] = (),
                  branch_hints: Optional[dict[int, list]] = None) -> bytes:
    """The binary module. ``customs`` are placed by slot; ``branch_hints``
    maps function indices to ``(instruction index, payload)`` lists."""
    imported_funcs = sum(1 for imp in module.imports if imp.kind == ExternKind.FUNC)
    code_entries = []
    hint_funcs = []
    for i, func in enumerate(module.funcs):
        index = imported_funcs + i
        entry, placed = _code(func, (branch_hints or {}).get(index))
        code_entries.append(entry)
        if placed:
            hint_funcs.append(uleb(index) + _vec([uleb(off) + b"\x01" + v for off, v in placed]))
    payloads = {
        "type": _vec([_subtype(g.subtypes[0]) if len(g.subtypes) == 1
                      else b"\x4e" + _vec([_subtype(st) for st in g.subtypes])
                      for _, g in module.rec_groups]) if module.rec_groups else None,
        "import": _vec([_import(imp) for imp in module.imports]) if module.imports else None,
        "func": _vec([uleb(f.typeidx) for f in module.funcs]) if module.funcs else None,
        "table": _vec([_table(t) for t in module.tables]) if module.tables else None,
        "memory": _vec([memtype(m) for m in module.mems]) if module.mems else None,
        "tag": _vec([b"\x00" + uleb(t.typeidx) for t in module.tags]) if module.tags else None,
        "global": _vec([globaltype(g.type) + expr(g.init) for g in module.globals])
        if module.globals else None,
        "export": _vec([_name(e.name) + bytes([int(e.kind)]) + uleb(e.index) for e in module.exports])
        if module.exports else None,
        "start": uleb(module.start) if module.start is not None else None,
        "elem": _vec([_elem(e) for e in module.elems]) if module.elems else None,
        "datacount": uleb(module.data_count) if module.data_count is not None else None,
        "code": _vec(code_entries) if module.funcs else None,
        "data": _vec([_data(d) for d in module.datas]) if module.datas else None,
    }
    slots: dict[int, list[bytes]] = {}
    for c in customs:
        slots.setdefault(c.slot, []).append(_custom(c.name, c.data))
    if hint_funcs:
        code_slot = 2 * SECTION_ORDER.index("code") + 1
        slots.setdefault(code_slot, []).insert(0, _custom("metadata.code.branch_hint", _vec(hint_funcs)))
    out = bytearray(b"\x00asm\x01\x00\x00\x00")
    out += b"".join(slots.get(0, ()))
    for k, section in enumerate(SECTION_ORDER):
        out += b"".join(slots.get(2 * k + 1, ()))
        payload = payloads[section]
        if payload is not None:
            out += _section(SECTION_IDS[section], payload)
        out += b"".join(slots.get(2 * k + 2, ()))
    out += b"".join(slots.get(2 * len(SECTION_ORDER) + 1, ()))
    return bytes(out)
