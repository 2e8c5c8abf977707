"""Unit tests of the binary decoder: hand-assembled modules for each
malformed rule, and round trips of every immediate shape.

The small encoder at the top builds the test inputs; it is also used by
``test_binary_fuzz.py``.
"""

from __future__ import annotations

import struct

import pytest

from engine.binary import decode_module
from engine.binary import leb128
from engine.binary.locals import MAX_LOCALS
from engine.errors import MalformedError, UsageError
from engine.text.encode import sleb, uleb
from engine.syntax import DECODE, Imm, Op, SegmentMode
from engine.syntax.opcodes import CatchKind, MemoryOrder
from engine.syntax.types import (
    ANYREF,
    EXTERNREF,
    F32,
    F64,
    FUNCREF,
    I32,
    I64,
    V128,
    AbsHeapType,
    ArrayType,
    ExternKind,
    FieldType,
    FuncType,
    GlobalType,
    Limits,
    MemType,
    PackedType,
    RefType,
    StructType,
    TableType,
    TagType,
)

# --- a small encoder -------------------------------------------------------------

HEADER = b"\x00asm\x01\x00\x00\x00"
END = b"\x0b"


def vec(items) -> bytes:
    items = list(items)
    return uleb(len(items)) + b"".join(items)


def name(text: str) -> bytes:
    raw = text.encode("utf-8")
    return uleb(len(raw)) + raw


def section(section_id: int, payload: bytes) -> bytes:
    return bytes([section_id]) + uleb(len(payload)) + payload


def module(*sections: bytes) -> bytes:
    return HEADER + b"".join(sections)


def functype(params: bytes = b"", results: bytes = b"") -> bytes:
    return b"\x60" + vec(bytes([p]) for p in params) + vec(bytes([r]) for r in results)


def code(body: bytes, local_runs: bytes = b"\x00") -> bytes:
    """One code entry; ``body`` is the instructions including the final end."""
    payload = local_runs + body
    return uleb(len(payload)) + payload


def op_bytes(op: Op) -> bytes:
    """The opcode of ``op`` (prefix and LEB128 subopcode for prefixed ones)."""
    value = int(op)
    if value > 0xFF:
        return bytes([value >> 12]) + uleb(value & 0xFFF)
    return bytes([value])


def func_module(body: bytes, local_runs: bytes = b"\x00", data_count: bool = True) -> bytes:
    """A module with one function of type [] -> [] and the given body."""
    sections = [section(1, vec([functype()])), section(3, vec([b"\x00"]))]
    if data_count:
        sections.append(section(12, uleb(0)))
    sections.append(section(10, vec([code(body, local_runs)])))
    return module(*sections)


def decode_body(body: bytes, **kw) -> tuple:
    return decode_module(func_module(body, **kw)).funcs[0].body


def malformed(data: bytes, message: str) -> None:
    with pytest.raises(MalformedError) as info:
        decode_module(data)
    assert str(info.value).startswith(message), str(info.value)


def sample_modules() -> list[bytes]:
    """A few valid modules touching most sections and immediate shapes."""
    types = section(1, vec([
        functype(b"\x7f", b"\x7f"),
        functype(),
        b"\x4e" + vec([b"\x50\x00\x5f" + vec([b"\x7f\x01", b"\x78\x00"]),
                       b"\x4f" + vec([uleb(2)]) + b"\x5f" + vec([b"\x7f\x01", b"\x78\x00", b"\x63\x6e\x01"])]),
        b"\x5e\x7d\x01",
    ]))
    imports = section(2, vec([
        name("env") + name("f") + b"\x00" + uleb(0),
        name("env") + name("m") + b"\x02\x01\x01\x02",
        name("env") + name("g") + b"\x03\x7e\x00",
    ]))
    funcs = section(3, vec([uleb(0), uleb(1)]))
    tables = section(4, vec([b"\x70\x00\x01", b"\x40\x00\x64\x70\x00\x01" + b"\xd2\x00" + END]))
    mems = section(5, vec([b"\x05\x01\x02"]))
    tags = section(13, vec([b"\x00" + uleb(1)]))
    globals_ = section(6, vec([b"\x7f\x01\x41\x2a" + END, b"\x7c\x00\x44" + struct.pack("<d", 1.5) + END]))
    exports = section(7, vec([name("run") + b"\x00" + uleb(1), name("mem") + b"\x02\x00"]))
    start = section(8, uleb(2))
    elems = section(9, vec([
        uleb(0) + b"\x41\x00" + END + vec([uleb(0)]),
        uleb(1) + b"\x00" + vec([uleb(1)]),
        uleb(5) + b"\x70" + vec([b"\xd2\x00" + END, b"\xd0\x70" + END]),
        uleb(7) + b"\x70" + vec([b"\xd2\x01" + END]),
    ]))
    datacount = section(12, uleb(2))
    body0 = (b"\x02\x7f\x20\x00\x41\x01\x6a\x0b"                    # block (result i32) ... end
             b"\x04\x40\x01\x05\x01\x0b"                            # if nop else nop end
             b"\x41\x00\x41\x00\x28\x02\x00\x36\x02\x04"            # i32.store (i32.load)
             b"\x02\x40\x41\x00\x0e" + vec([uleb(0)]) + uleb(0) + END +  # block br_table end
             b"\xfd\x0c" + bytes(range(16)) + b"\x1a"               # v128.const; drop
             b"\x41\x00\x41\x00\x41\x00\xfc\x08\x00\x00\xfc\x09\x01"  # memory.init; data.drop
             b"\x20\x00" + END)
    body1 = (b"\x1f\x40" + vec([b"\x02" + uleb(0)]) + b"\x08\x00\x0b"  # try_table catch_all throw end
             b"\x42\x7f\x1a\x43\x00\x00\xc0\x7f\x1a" + END)
    code_ = section(10, vec([code(body0, vec([uleb(2) + b"\x7e"])), code(body1)]))
    datas = section(11, vec([uleb(0) + b"\x41\x00" + END + vec([b"a", b"b"]), uleb(1) + vec([b"c"])]))
    custom = section(0, name("name") + b"\x01\x02\x03")
    rich = module(custom, types, imports, funcs, tables, mems, tags, globals_, exports, start,
                  elems, datacount, code_, datas, custom)
    small = func_module(b"\x41\x05\x41\x07\x6a\x1a" + END)
    legacy = module(section(1, vec([functype()])), section(3, vec([uleb(0)])),
                    section(13, vec([b"\x00\x00"])),
                    section(10, vec([code(b"\x06\x40\x07\x00\x19\x0b\x06\x40\x18\x00" + END)])))
    return [rich, small, legacy]


# --- LEB128 ---------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 1, 63, 64, 127, 128, 624485, 2**31, 2**32 - 1])
def test_u32_round_trip(value):
    assert leb128.u32(uleb(value) + b"\xff", 0) == (value, len(uleb(value)))


@pytest.mark.parametrize("value", [0, 1, -1, 63, -64, 64, -65, 2**31 - 1, -2**31])
def test_s32_round_trip(value):
    assert leb128.s32(sleb(value), 0) == (value, len(sleb(value)))


@pytest.mark.parametrize("value", [0, -1, 2**32 - 1, -2**32])
def test_s33_round_trip(value):
    assert leb128.s33(sleb(value), 0)[0] == value


@pytest.mark.parametrize("value", [0, 2**63 - 1, -2**63, -1])
def test_s64_and_i64(value):
    assert leb128.s64(sleb(value), 0)[0] == value
    assert leb128.i64(sleb(value), 0)[0] == value & (2**64 - 1)


def test_i32_is_unsigned():
    assert leb128.i32(sleb(-1), 0)[0] == 0xFFFFFFFF
    assert leb128.i32(sleb(-2**31), 0)[0] == 0x80000000


def test_redundant_leb_bytes_are_allowed():
    assert leb128.u32(b"\x80\x80\x80\x80\x00", 0) == (0, 5)
    assert leb128.s32(b"\xff\xff\xff\xff\x7f", 0) == (-1, 5)
    assert leb128.u64(b"\x82\x80\x80\x80\x80\x80\x80\x80\x80\x00", 0) == (2, 10)


@pytest.mark.parametrize("reader, data, message", [
    (leb128.u32, b"\x80\x80\x80\x80\x80\x00", "integer representation too long"),
    (leb128.u32, b"\x80\x80\x80\x80\x10", "integer too large"),
    (leb128.u32, b"\xff\xff\xff\xff\x1f", "integer too large"),
    (leb128.s32, b"\xff\xff\xff\xff\x0f", "integer too large"),   # sign bits not copied
    (leb128.s32, b"\x80\x80\x80\x80\x70", "integer too large"),
    (leb128.s32, b"\x80\x80\x80\x80\x80\x00", "integer representation too long"),
    (leb128.s33, b"\x80\x80\x80\x80\x20", "integer too large"),
    (leb128.s64, b"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", "integer too large"),
    (leb128.u64, b"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02", "integer too large"),
    (leb128.u64, b"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", "integer representation too long"),
])
def test_leb_limits(reader, data, message):
    with pytest.raises(MalformedError, match=message):
        reader(data, 0)


def test_leb_limit_edges_accepted():
    assert leb128.u32(b"\xff\xff\xff\xff\x0f", 0)[0] == 2**32 - 1
    assert leb128.s32(b"\x80\x80\x80\x80\x78", 0)[0] == -2**31
    assert leb128.u64(b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 0)[0] == 2**64 - 1
    assert leb128.s64(b"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x7f", 0)[0] == -2**63


# --- header and framing -----------------------------------------------------------


@pytest.mark.parametrize("data, message", [
    (b"", "unexpected end"),
    (b"\x00as", "unexpected end"),
    (b"\x01", "unexpected end"),
    (b"asm\x00", "magic header not detected"),
    (b"\x00asm", "unexpected end"),
    (b"\x00asm\x01\x00\x00", "unexpected end"),
    (b"\x00asm\x02\x00\x00\x00", "unknown binary version"),
    (b"\x00asm\x01\x00\x00\x00\x0e\x01\x00", "malformed section id"),
    (b"\x00asm\x01\x00\x00\x00\x80\x01\x00", "malformed section id"),
    (HEADER + b"\x01", "unexpected end"),
    (HEADER + b"\x01\x05\x00", "length out of bounds"),
    (HEADER + b"\x01\x02\x00\x00", "section size mismatch"),
    (HEADER + b"\x01\x01\x01", "unexpected end of section or function"),
])
def test_header_and_framing(data, message):
    malformed(data, message)


def test_empty_module_and_input_types():
    assert decode_module(HEADER).types == []
    assert decode_module(bytearray(HEADER)).funcs == []
    assert decode_module(memoryview(HEADER)).funcs == []
    with pytest.raises(UsageError):
        decode_module("\0asm\1\0\0\0")  # type: ignore[arg-type]


def test_section_order():
    types = section(1, vec([functype()]))
    funcs = section(3, vec([uleb(0)]))
    code_ = section(10, vec([code(END)]))
    decode_module(module(types, funcs, code_))
    malformed(module(funcs, types, code_), "unexpected content after last section")
    malformed(module(types, types), "unexpected content after last section")
    malformed(module(section(8, uleb(0)), section(8, uleb(0))), "unexpected content after last section")
    # tag (13) between memory (5) and global (6); data count (12) between element (9) and code (10)
    decode_module(module(section(5, vec([])), section(13, vec([])), section(6, vec([]))))
    malformed(module(section(6, vec([])), section(13, vec([]))), "unexpected content after last section")
    decode_module(module(section(9, vec([])), section(12, uleb(0)), section(10, vec([])), section(11, vec([]))))
    malformed(module(section(10, vec([])), section(12, uleb(0))), "unexpected content after last section")


def test_custom_sections_anywhere():
    custom = section(0, name("a") + b"xyz")
    m = decode_module(module(custom, section(1, vec([])), custom, section(12, uleb(0)), custom))
    assert [(c.name, c.data, c.after) for c in m.customs] == [("a", b"xyz", 0), ("a", b"xyz", 1), ("a", b"xyz", 12)]
    malformed(module(section(0, b"")), "unexpected end")
    malformed(module(section(0, b"\x05ab")), "length out of bounds")


@pytest.mark.parametrize("raw, ok", [
    (b"plain", True),
    ("\u00e9\u4e2d\U0001f600".encode(), True),
    (b"\x80", False),                    # lone continuation byte
    (b"\xc0\x80", False),                # overlong NUL
    (b"\xe0\x80\x80", False),            # overlong
    (b"\xed\xa0\x80", False),            # surrogate U+D800
    (b"\xf4\x90\x80\x80", False),        # beyond U+10FFFF
    (b"\xf8\x88\x80\x80\x80", False),    # five-byte form
    (b"\xe4\xb8", False),                # truncated
    (b"\xef\xbf\xbf", True),             # U+FFFF is a character
])
def test_names_are_utf8(raw, ok):
    data = module(section(0, uleb(len(raw)) + raw))
    if ok:
        assert decode_module(data).customs[0].name == raw.decode()
    else:
        malformed(data, "malformed UTF-8 encoding")


# --- types ------------------------------------------------------------------------


def test_type_section_forms():
    m = decode_module(sample_modules()[0])
    assert m.types[0].comp == FuncType((I32,), (I32,))
    assert [first for first, _ in m.rec_groups] == [0, 1, 2, 4]
    sub1, sub2 = m.types[2], m.types[3]
    assert not sub1.final and sub1.supertypes == ()
    assert sub1.comp == StructType((FieldType(I32, True), FieldType(PackedType.I8, False)))
    assert sub2.final and sub2.supertypes == (2,)
    assert sub2.comp.fields[2] == FieldType(RefType(True, AbsHeapType.ANY), True)
    assert m.types[4].comp == ArrayType(FieldType(F32, True))


@pytest.mark.parametrize("encoded, expected", [
    (b"\x7f", I32), (b"\x7e", I64), (b"\x7d", F32), (b"\x7c", F64), (b"\x7b", V128),
    (b"\x70", FUNCREF), (b"\x6f", EXTERNREF), (b"\x6e", ANYREF),
    (b"\x64\x70", RefType(False, AbsHeapType.FUNC)),
    (b"\x63\x05", RefType(True, 5)),
    (b"\x64\x80\x01", RefType(False, 128)),
    (b"\x63\x74", RefType(True, AbsHeapType.NOEXN)),
])
def test_value_types(encoded, expected):
    m = decode_module(module(section(1, vec([b"\x60" + vec([encoded]) + vec([])]))))
    assert m.types[0].comp.params == (expected,)


@pytest.mark.parametrize("encoded, message", [
    (b"\x60\x01\x7a\x00", "malformed value type"),
    (b"\x60\x01\x40\x00", "malformed value type"),
    (b"\x60\x01\x64\x40\x00", "malformed heap type"),       # negative s33, not an abstract type
    (b"\x60\x01\x64\xf0\x7f\x00", "malformed heap type"),   # func (-16) in two bytes is no heap type
    (b"\x5d\x00", "malformed definition type"),
    (b"\x5f\x01\x7f\x02", "malformed mutability"),
    (b"\x5e\x79\x00", "malformed storage type"),
])
def test_malformed_types(encoded, message):
    malformed(module(section(1, vec([encoded]))), message)


def test_rec_group_count_fails_fast():
    malformed(module(section(1, b"\x01\x4e\xff\xff\xff\xff\x0f")), "unexpected end")


@pytest.mark.parametrize("flags_and_bounds, expected", [
    (b"\x00\x01", MemType(Limits(1))),
    (b"\x01\x01\x02", MemType(Limits(1, 2))),
    (b"\x03\x01\x02", MemType(Limits(1, 2), shared=True)),
    (b"\x02\x01", MemType(Limits(1), shared=True)),   # invalid (no max), not malformed
    (b"\x04" + uleb(2**40), MemType(Limits(2**40), addr64=True)),
    (b"\x07\x00" + uleb(2**63), MemType(Limits(0, 2**63), shared=True, addr64=True)),
    (b"\x08\x01\x00", MemType(Limits(1), page_size_log2=0)),
    (b"\x09\x01\x02\x10", MemType(Limits(1, 2), page_size_log2=16)),
    (b"\x00" + uleb(2**40), MemType(Limits(2**40))),  # too big for i32 memory: invalid, not malformed
])
def test_memory_types(flags_and_bounds, expected):
    assert decode_module(module(section(5, vec([flags_and_bounds])))).mems == [expected]


@pytest.mark.parametrize("payload, message", [
    (b"\x10\x00", "malformed limits flags"),
    (b"\x81\x00\x00", "malformed limits flags"),
    (b"\x08\x00\x41", "invalid custom page size"),
    (b"\x00\x82\x80\x80\x80\x80\x80\x80\x80\x80\x70", "integer too large"),
    (b"\x00", "unexpected end"),
])
def test_malformed_memory_types(payload, message):
    malformed(module(section(5, vec([payload]))), message)


def test_table_types_and_initialisers():
    m = decode_module(module(section(4, vec([
        b"\x70\x00\x01",
        b"\x6f\x05\x00" + uleb(2**33),
        b"\x40\x00\x64\x70\x01\x01\x02\xd2\x00" + END,
    ]))))
    assert m.tables[0].type == TableType(Limits(1), FUNCREF) and m.tables[0].init is None
    assert m.tables[1].type == TableType(Limits(0, 2**33), EXTERNREF, addr64=True)
    assert m.tables[2].type.elem == RefType(False, AbsHeapType.FUNC)
    assert m.tables[2].init == ((Op.REF_FUNC, 0), (Op.END,))
    for bad_flags in (b"\x08", b"\x81"):
        malformed(module(section(4, vec([b"\x70" + bad_flags + b"\x00\x00"]))), "malformed limits flags")
    # bit 1: a shared table (shared-everything-threads)
    shared = decode_module(module(section(4, vec([b"\x65\x70\x03\x01\x02"]))))
    assert shared.tables[0].type == TableType(Limits(1, 2), RefType(True, AbsHeapType.SHARED_FUNC), shared=True)
    malformed(module(section(4, vec([b"\x40\x01\x70\x00\x00\x41\x00\x0b"]))), "malformed table")
    malformed(module(section(4, vec([b"\x7f\x00\x00"]))), "malformed reference type")


# --- imports, exports, globals, tags, start ----------------------------------------------


def test_imports_of_every_kind():
    m = decode_module(module(
        section(1, vec([functype()])),
        section(2, vec([
            name("m") + name("f") + b"\x00\x00",
            name("m") + name("t") + b"\x01\x70\x00\x00",
            name("m") + name("mem") + b"\x02\x00\x01",
            name("m") + name("g") + b"\x03\x7f\x01",
            name("m") + name("e") + b"\x04\x00\x00",
        ]))))
    kinds = [(i.module, i.name, i.kind) for i in m.imports]
    assert kinds == [("m", "f", ExternKind.FUNC), ("m", "t", ExternKind.TABLE),
                     ("m", "mem", ExternKind.MEMORY), ("m", "g", ExternKind.GLOBAL),
                     ("m", "e", ExternKind.TAG)]
    assert m.imports[0].desc == 0
    assert m.imports[3].desc == GlobalType(I32, True)
    assert m.imports[4].desc == TagType(0)
    malformed(module(section(2, vec([name("m") + name("x") + b"\x05\x00"]))), "malformed import kind")
    malformed(module(section(2, vec([name("m") + name("g") + b"\x03\x7f\x04"]))), "malformed mutability")
    # bit 1: a shared global (shared-everything-threads)
    shared = decode_module(module(section(2, vec([name("m") + name("g") + b"\x03\x7f\x03"]))))
    assert shared.imports[0].desc == GlobalType(I32, True, True)
    malformed(module(section(2, vec([name("m") + name("e") + b"\x04\x01\x00"]))), "malformed tag")


def test_compact_imports():
    items = name("m") + name("") + b"\x7f" + vec([name("a") + b"\x00\x00", name("b") + b"\x03\x7e\x00"])
    same_type = name("n") + b"\x80\x80\x00" + b"\x7e" + b"\x00\x00" + vec([name("c"), name("d")])
    types = section(1, vec([functype()]))
    for declared in (2, 4):  # groups (the proposal) or imports (wabt's encoder)
        m = decode_module(module(types, section(2, uleb(declared) + items + same_type)))
        assert [(i.module, i.name) for i in m.imports] == [("m", "a"), ("m", "b"), ("n", "c"), ("n", "d")]
        assert m.imports[1].desc == GlobalType(I64, False)
    malformed(module(types, section(2, uleb(3) + items + same_type)), "unexpected end")
    # an empty item name not followed by a discriminator is an ordinary import
    assert decode_module(module(types, section(2, vec([name("") + name("") + b"\x00\x00"])))).imports[0].name == ""
    malformed(module(types, section(2, vec([name("m") + name("") + b"\xff\x80\x00" + vec([])]))),
              "malformed import kind")


def test_exports_globals_tags_start():
    m = decode_module(sample_modules()[0])
    assert [(e.name, e.kind, e.index) for e in m.exports] == [("run", ExternKind.FUNC, 1),
                                                               ("mem", ExternKind.MEMORY, 0)]
    assert m.globals[0].type == GlobalType(I32, True)
    assert m.globals[0].init == ((Op.I32_CONST, 42), (Op.END,))
    assert m.globals[1].init[0] == (Op.F64_CONST, struct.unpack("<Q", struct.pack("<d", 1.5))[0])
    assert m.tags == [TagType(1)]
    assert m.start == 2
    malformed(module(section(7, vec([name("x") + b"\x05\x00"]))), "malformed export kind")
    malformed(module(section(13, vec([b"\x01\x00"]))), "malformed tag attribute")


# --- segments ---------------------------------------------------------------------


def test_element_segment_forms():
    offset = b"\x41\x03" + END
    m = decode_module(module(section(9, vec([
        uleb(0) + offset + vec([uleb(1), uleb(2)]),
        uleb(1) + b"\x00" + vec([uleb(3)]),
        uleb(2) + uleb(4) + offset + b"\x00" + vec([]),
        uleb(3) + b"\x00" + vec([uleb(5)]),
        uleb(4) + offset + vec([b"\xd0\x70" + END]),
        uleb(5) + b"\x6f" + vec([b"\xd0\x6f" + END]),
        uleb(6) + uleb(1) + offset + b"\x64\x70" + vec([b"\xd2\x00" + END]),
        uleb(7) + b"\x70" + vec([]),
    ]))))
    e = m.elems
    ref_func = RefType(False, AbsHeapType.FUNC)
    assert [s.mode for s in e] == [SegmentMode.ACTIVE, SegmentMode.PASSIVE, SegmentMode.ACTIVE,
                                   SegmentMode.DECLARATIVE, SegmentMode.ACTIVE, SegmentMode.PASSIVE,
                                   SegmentMode.ACTIVE, SegmentMode.DECLARATIVE]
    assert [s.type for s in e] == [ref_func, ref_func, ref_func, ref_func, FUNCREF, EXTERNREF,
                                   ref_func, FUNCREF]
    assert [s.table for s in e] == [0, 0, 4, 0, 0, 0, 1, 0]
    assert e[0].offset == ((Op.I32_CONST, 3), (Op.END,))
    assert e[0].init == (((Op.REF_FUNC, 1), (Op.END,)), ((Op.REF_FUNC, 2), (Op.END,)))
    assert e[1].offset is None
    assert e[4].init == (((Op.REF_NULL, AbsHeapType.FUNC), (Op.END,)),)
    malformed(module(section(9, vec([uleb(8)]))), "malformed segment kind")
    malformed(module(section(9, vec([uleb(1) + b"\x01" + vec([])]))), "malformed element kind")


def test_data_segment_forms():
    m = decode_module(module(section(11, vec([
        uleb(0) + b"\x41\x01" + END + vec([b"a"]),
        uleb(1) + vec([b"b", b"c"]),
        uleb(2) + uleb(3) + b"\x42\x00" + END + vec([]),
    ]))))
    d = m.datas
    assert [(s.init, s.mode, s.memory) for s in d] == [(b"a", SegmentMode.ACTIVE, 0),
                                                       (b"bc", SegmentMode.PASSIVE, 0),
                                                       (b"", SegmentMode.ACTIVE, 3)]
    assert d[2].offset == ((Op.I64_CONST, 0), (Op.END,))
    malformed(module(section(11, vec([uleb(3)]))), "malformed segment kind")
    malformed(module(section(11, vec([uleb(1) + uleb(5) + b"ab"]))), "length out of bounds")


def test_data_count_rules():
    datas = section(11, vec([uleb(1) + vec([])]))
    assert decode_module(module(section(12, uleb(1)), datas)).data_count == 1
    malformed(module(section(12, uleb(2)), datas), "data count and data section have inconsistent lengths")
    malformed(module(section(12, uleb(1))), "data count and data section have inconsistent lengths")
    for body in (b"\xfc\x09\x00" + END,
                 b"\x41\x00\x41\x00\x41\x00\xfc\x08\x00\x00" + END,
                 b"\x41\x00\x41\x00\xfb\x09\x00\x00\x1a" + END,
                 b"\xfb\x12\x00\x00" + END):
        malformed(func_module(body, data_count=False), "data count section required")
        decode_module(func_module(body))
    # Outside function bodies the rule does not apply (such expressions are merely invalid).
    decode_module(module(section(6, vec([b"\x7f\x00\xfc\x09\x00" + END]))))


def test_function_and_code_counts():
    types = section(1, vec([functype()]))
    malformed(module(types, section(3, vec([uleb(0)]))), "function and code section have inconsistent lengths")
    malformed(module(types, section(10, vec([code(END)]))), "function and code section have inconsistent lengths")
    malformed(module(types, section(3, vec([uleb(0), uleb(0)])), section(10, vec([code(END)]))),
              "function and code section have inconsistent lengths")
    decode_module(module(types, section(3, vec([])), section(10, vec([]))))


# --- function bodies ----------------------------------------------------------------


def test_locals():
    f = decode_module(func_module(END, vec([uleb(2) + b"\x7f", uleb(1) + b"\x7e", uleb(0) + b"\x7d"]))).funcs[0]
    assert f.locals == (I32, I32, I64)
    assert decode_module(func_module(END, vec([uleb(MAX_LOCALS) + b"\x7f"]))).funcs[0].locals == (I32,) * MAX_LOCALS


@pytest.mark.parametrize("runs", [
    [uleb(2**32 - 1) + b"\x7f", uleb(1) + b"\x7e"],
    [uleb(2**31) + b"\x7f"] * 3,
])
def test_too_many_locals(runs):
    malformed(func_module(END, vec(runs)), "too many locals")


def test_locals_beyond_the_expansion_limit_fail_without_allocating():
    malformed(func_module(END, vec([uleb(2**32 - 1) + b"\x7f"])), "too many locals")
    malformed(func_module(END, vec([uleb(MAX_LOCALS + 1) + b"\x7f"])), "too many locals")


def test_body_structure():
    assert decode_body(END) == ((Op.END,),)
    body = decode_body(b"\x02\x40\x03\x7f\x04\x40\x05\x0b\x0b\x0b" + END)
    assert [i[0] for i in body] == [Op.BLOCK, Op.LOOP, Op.IF, Op.ELSE, Op.END, Op.END, Op.END, Op.END]
    assert body[1] == (Op.LOOP, I32)


@pytest.mark.parametrize("body, message", [
    (b"\x01", "END opcode expected"),                        # no end at all
    (b"\x02\x40" + END, "END opcode expected"),              # block closed, function not
    (END + b"\x01", "section size mismatch"),                # bytes after the final end
    (b"\x05" + END, "END opcode expected"),                  # else outside if
    (b"\x02\x40\x05\x0b" + END, "END opcode expected"),      # else in a block
    (b"\x04\x40\x05\x05\x0b" + END, "END opcode expected"),  # two elses
    (b"\x07\x00" + END, "END opcode expected"),              # catch outside try
    (b"\x19" + END, "END opcode expected"),                  # catch_all outside try
    (b"\x06\x40\x19\x07\x00\x0b" + END, "END opcode expected"),  # catch after catch_all
    (b"\x06\x40\x19\x19\x0b" + END, "END opcode expected"),  # two catch_alls
    (b"\x18\x00" + END, "END opcode expected"),              # delegate outside try
    (b"\x06\x40\x07\x00\x18\x00" + END, "END opcode expected"),  # delegate after catch
    (b"\xff" + END, "illegal opcode ff"),
    (b"\x27" + END, "illegal opcode 27"),
    (b"\xfc\x17" + END, "illegal opcode fc 23"),
    (b"\xfd\x9a\x01" + END, "illegal opcode fd 154"),
    (b"\xfe\x03\x01" + END, "zero byte expected"),
    (b"\x28\x80\x01\x00" + END, "malformed memop flags"),
    (b"\x02\x50\x0b" + END, "malformed block type"),
    (b"\x02\x80\x80\x80\x80\x70\x0b" + END, "malformed block type"),  # negative s33
    (b"\xfb\x18\x04\x00\x6e\x6e" + END, "malformed cast flags"),
    (b"\x1f\x40\x01\x04\x00\x0b" + END, "malformed catch clause"),
    (b"\x1c\x01\x7a\x0b", "malformed value type"),
    (b"\xd0\x40" + END, "malformed heap type"),
    (b"\x41\x80\x80\x80\x80\x80\x00" + END, "integer representation too long"),
    (b"\x41\x80\x80\x80\x80\x70" + END, "integer too large"),
    (b"\x44\x00\x00" + END, "unexpected end"),
])
def test_malformed_bodies(body, message):
    malformed(func_module(body), message)


def test_validation_errors_are_not_malformed():
    # Unknown indices, large alignment, type errors, select with two types,
    # memory index without multi-memory: all for the validator.
    for body in (b"\x20\x63" + END, b"\x10\x09" + END, b"\x28\x3f\x00\x1a" + END,
                 b"\x6a" + END, b"\x1c\x02\x7f\x7f\x1a" + END, b"\x3f\x05\x1a" + END,
                 b"\x28\x40\x07\x00\x1a" + END, b"\x0c\x20" + END, b"\x02\x09\x0b" + END):
        decode_module(func_module(body))


def test_deep_nesting_decodes_without_recursion():
    depth = 100_000
    body = decode_body(b"\x02\x40" * depth + END * depth + END)
    assert len(body) == 2 * depth + 1


def test_huge_counts_fail_fast():
    for body in (b"\x0e\xff\xff\xff\xff\x0f\x00" + END, b"\x1c\xff\xff\xff\xff\x0f" + END,
                 b"\x1f\x40\xff\xff\xff\xff\x0f" + END):
        malformed(func_module(body), "unexpected end")
    for sec in (1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 13):
        malformed(module(section(sec, b"\xff\xff\xff\xff\x0f")), "unexpected end")


# --- immediates: every opcode, every shape ----------------------------------------------------

_FUNC_HEAP = AbsHeapType.FUNC

#: Per shape: encodings of the immediates and the decoded immediates.
IMMEDIATE_CASES: dict[Imm, list[tuple[bytes, tuple]]] = {
    Imm.NONE: [(b"", ())],
    Imm.BLOCKTYPE: [(b"\x40", (None,)), (b"\x7e", (I64,)), (b"\x63\x70", (FUNCREF,)),
                    (b"\x64\x03", (RefType(False, 3),)), (sleb(3), (3,)), (sleb(2**32 - 1), (2**32 - 1,))],
    Imm.BR_TABLE: [(vec([uleb(1), uleb(200)]) + uleb(5), ((1, 200), 5)), (vec([]) + uleb(0), ((), 0))],
    Imm.CALL_INDIRECT: [(uleb(2) + uleb(300), (2, 300))],
    Imm.MEMARG: [(uleb(2) + uleb(8), (2, 8, 0)), (uleb(3) + uleb(2**40), (3, 2**40, 0)),
                 (uleb(0x42) + uleb(1) + uleb(16), (2, 16, 1)), (uleb(0x40) + uleb(70000) + uleb(0), (0, 0, 70000))],
    Imm.MEMARG_LANE: [(uleb(1) + uleb(4) + b"\x03", (1, 4, 0, 3)), (uleb(0x40) + uleb(2) + uleb(0) + b"\x0f", (0, 0, 2, 15))],
    Imm.I32: [(sleb(5), (5,)), (sleb(-1), (0xFFFFFFFF,)), (sleb(2**31 - 1), (2**31 - 1,)), (sleb(-2**31), (2**31,))],
    Imm.I64: [(sleb(-2), (2**64 - 2,)), (sleb(2**63 - 1), (2**63 - 1,)), (sleb(-2**63), (2**63,))],
    Imm.F32: [(struct.pack("<I", 0x7FA00001), (0x7FA00001,)), (struct.pack("<f", -0.0), (0x80000000,))],
    Imm.F64: [(struct.pack("<Q", 0xFFF0000000000001), (0xFFF0000000000001,))],
    Imm.V128: [(bytes(range(16)), (int.from_bytes(bytes(range(16)), "little"),)),
               (b"\xff" * 16, (2**128 - 1,))],
    Imm.SHUFFLE: [(bytes(range(31, 15, -1)), (tuple(range(31, 15, -1)),))],
    Imm.LANE: [(b"\x07", (7,))],
    Imm.HEAPTYPE: [(b"\x70", (_FUNC_HEAP,)), (b"\x6b", (AbsHeapType.STRUCT,)), (uleb(130), (130,)),
                   (b"\x62\x01", (1, True))],  # ref.null (exact 1): the exact marker is kept
    Imm.REFTYPE: [(b"\x6e", (RefType(False, AbsHeapType.ANY),)), (uleb(2), (RefType(False, 2),)),
                  (b"\x62\x02", (RefType(False, 2, True),))],
    Imm.REFTYPE_NULL: [(b"\x6c", (RefType(True, AbsHeapType.I31),))],
    Imm.CASTOP: [(b"\x01" + uleb(3) + b"\x6e" + b"\x6b", (3, RefType(True, AbsHeapType.ANY),
                                                           RefType(False, AbsHeapType.STRUCT))),
                 (b"\x02" + uleb(0) + uleb(1) + uleb(2), (0, RefType(False, 1), RefType(True, 2))),
                 (b"\x03" + uleb(0) + b"\x62\x01" + b"\x62\x02", (0, RefType(True, 1, True), RefType(True, 2, True)))],
    Imm.SELECT_T: [(vec([b"\x7f"]), ((I32,),)), (vec([b"\x63\x00", b"\x7b"]), ((RefType(True, 0), V128),))],
    Imm.TRY_TABLE: [(b"\x40" + vec([b"\x00" + uleb(1) + uleb(0), b"\x01" + uleb(2) + uleb(1),
                                    b"\x02" + uleb(0), b"\x03" + uleb(2)]),
                     (None, ((CatchKind.CATCH, 1, 0), (CatchKind.CATCH_REF, 2, 1),
                             (CatchKind.CATCH_ALL, None, 0), (CatchKind.CATCH_ALL_REF, None, 2))))],
    Imm.ZERO_BYTE: [(b"\x00", ())],
}
for _shape in (Imm.LABEL, Imm.FUNC, Imm.LOCAL, Imm.GLOBAL, Imm.TABLE, Imm.MEM, Imm.TAG, Imm.TYPE,
               Imm.DATA, Imm.ELEM):
    IMMEDIATE_CASES[_shape] = [(uleb(3), (3,)), (uleb(70000), (70000,)), (b"\x83\x80\x00", (3,))]
for _shape in (Imm.DATA_MEM, Imm.MEM_MEM, Imm.ELEM_TABLE, Imm.TABLE_TABLE, Imm.TYPE_FIELD,
               Imm.TYPE_N, Imm.TYPE_DATA, Imm.TYPE_ELEM, Imm.TYPE_TYPE):
    IMMEDIATE_CASES[_shape] = [(uleb(1) + uleb(2), (1, 2)), (uleb(300) + uleb(0), (300, 0))]

for _shape in (Imm.ORDER_GLOBAL, Imm.ORDER_TABLE, Imm.ORDER_TYPE):
    IMMEDIATE_CASES[_shape] = [(b"\x00" + uleb(2), (MemoryOrder.SEQ_CST, 2)),
                               (b"\x01" + uleb(300), (MemoryOrder.ACQ_REL, 300))]
IMMEDIATE_CASES[Imm.ORDER_FIELD] = [(b"\x00" + uleb(1) + uleb(2), (MemoryOrder.SEQ_CST, 1, 2)),
                                    (b"\x01" + uleb(300) + uleb(0), (MemoryOrder.ACQ_REL, 300, 0))]

_STRUCTURE = {Op.ELSE, Op.END, Op.CATCH, Op.CATCH_ALL, Op.DELEGATE}
_OPENS_BLOCK = {Imm.BLOCKTYPE, Imm.TRY_TABLE}


def test_every_shape_has_cases():
    assert set(IMMEDIATE_CASES) == set(Imm)


def _opcode(prefix, code_value) -> bytes:
    return bytes([code_value]) if prefix is None else bytes([prefix]) + uleb(code_value)


@pytest.mark.parametrize("key", sorted(DECODE, key=lambda k: (k[0] or 0, k[1])),
                         ids=lambda k: f"{k[0] or 0:02x}-{k[1]}")
def test_every_opcode_round_trips(key):
    op, shape = DECODE[key]
    if op in _STRUCTURE:
        return  # covered by test_body_structure and test_legacy_exceptions
    for encoded, expected in IMMEDIATE_CASES[shape]:
        closing = END if shape in _OPENS_BLOCK else b""
        body = decode_body(_opcode(*key) + encoded + closing + END)
        assert body[0] == (op, *expected)
        assert body[-1] == (Op.END,)


def test_prefixed_subopcodes_may_use_long_leb():
    assert decode_body(b"\xfc\x8a\x80\x80\x00\x00\x00" + END)[0] == (Op.MEMORY_COPY, 0, 0)


def test_simple_instructions_are_shared_tuples():
    body = decode_body(b"\x01\x01" + END)
    assert body[0] is body[1]


def test_legacy_exceptions():
    body = decode_body(b"\x06\x40\x07\x00\x07\x01\x19\x0b\x06\x7f\x18\x00\x06\x40\x0b" + END)
    assert body == ((Op.TRY, None), (Op.CATCH, 0), (Op.CATCH, 1), (Op.CATCH_ALL,), (Op.END,),
                    (Op.TRY, I32), (Op.DELEGATE, 0), (Op.TRY, None), (Op.END,), (Op.END,))


def test_sample_modules_decode():
    rich, small, legacy = (decode_module(m) for m in sample_modules())
    assert len(rich.funcs) == 2 and rich.data_count == 2 and len(rich.datas) == 2
    assert rich.funcs[0].locals == (I64, I64)
    assert rich.imports[1].desc == MemType(Limits(1, 2))
    assert small.funcs[0].body == ((Op.I32_CONST, 5), (Op.I32_CONST, 7), (Op.I32_ADD,), (Op.DROP,), (Op.END,))
    assert legacy.funcs[0].body[0] == (Op.TRY, None)


def large_module(target_bytes: int) -> bytes:
    """A module whose code section holds about ``target_bytes`` of typical
    instructions (locals, arithmetic, memory, calls, branches, blocks)."""
    chunk = (b"\x20\x00\x41\xe4\x00\x6a\x21\x01"            # local.get 0; i32.const 100; i32.add; local.set 1
             b"\x20\x01\x28\x02\x10\x20\x00\x36\x02\x80\x01"  # i32.load offset=16; i32.store offset=128
             b"\x02\x40\x20\x01\x0d\x00\x0b"                # block; br_if 0; end
             b"\x20\x00\x10\x00\x1a"                         # call 0; drop
             b"\x42\x80\x80\x04\x1a\x44" + bytes(8) + b"\x1a")  # i64.const; f64.const
    per_func = max(1, min(200_000, target_bytes) // len(chunk))
    body = chunk * per_func + END
    n_funcs = max(1, target_bytes // len(body))
    return module(
        section(1, vec([functype(b"\x7f", b"\x7f")])),
        section(3, vec([uleb(0)] * n_funcs)),
        section(5, vec([b"\x00\x01"])),
        section(10, vec([code(body, vec([uleb(2) + b"\x7f"]))] * n_funcs)),
    )


def test_large_module_decodes():
    data = large_module(300_000)
    m = decode_module(data)
    assert m.funcs[0].body[:4] == ((Op.LOCAL_GET, 0), (Op.I32_CONST, 100), (Op.I32_ADD,), (Op.LOCAL_SET, 1))
    assert m.funcs[0].body[5] == (Op.I32_LOAD, 2, 16, 0)


# --- custom descriptors ---------------------------------------------------------------


def test_describes_and_descriptor_clauses():
    m = decode_module(module(section(1, vec([b"\x4e" + vec([
        b"\x4d" + uleb(1) + b"\x5f" + vec([]),
        b"\x50" + vec([]) + b"\x4c" + uleb(0) + b"\x4d" + uleb(2) + b"\x5f" + vec([]),
        b"\x4c" + uleb(1) + b"\x5f" + vec([]),
    ])]))))
    assert [(t.describes, t.descriptor) for t in m.types] == [(None, 1), (0, 2), (1, None)]
    assert not m.types[1].final and m.types[0].final
    for clauses in (b"\x4d\x01\x4d\x01", b"\x4c\x00\x4c\x00", b"\x4d\x01\x4c\x00"):
        malformed(module(section(1, vec([b"\x4e" + vec([clauses + b"\x5f\x00"])]))),
                  "malformed definition type")


def test_exact_reference_types_and_imports():
    m = decode_module(module(
        section(1, vec([functype(), b"\x60" + vec([b"\x63\x62\x00", b"\x64\x62\x6e"]) + vec([])])),
        section(2, vec([name("m") + name("f") + b"\x20\x00", name("m") + name("g") + b"\x00\x00"])),
    ))
    assert m.types[1].comp.params == (RefType(True, 0, True), RefType(False, AbsHeapType.ANY, True))
    assert [(i.kind, i.desc, i.exact) for i in m.imports] == [(ExternKind.FUNC, 0, True),
                                                              (ExternKind.FUNC, 0, False)]
    malformed(module(section(1, vec([b"\x60" + vec([b"\x62\x00"]) + vec([])]))), "malformed value type")


def test_locals_budget_bounds_the_whole_module():
    # Each body declares MAX_LOCALS locals in a few bytes: one function is
    # fine, many would amplify a small input into gigabytes.
    many = 1000
    body = code(END, vec([uleb(MAX_LOCALS) + b"\x7f"]))
    sections = [section(1, vec([functype()])), section(3, vec([uleb(0)] * many)),
                section(10, vec([body] * many))]
    malformed(module(*sections), "too many locals")
    one = [section(1, vec([functype()])), section(3, vec([uleb(0)])), section(10, vec([body]))]
    assert len(decode_module(module(*one)).funcs[0].locals) == MAX_LOCALS
