"""Just enough of the binary format to call any export through a narrow host API.

Some host APIs (wasmtime-py's among them) can only pass i32, i64, f32, f64,
funcref and externref across the host boundary, and round f32 NaN payloads
through C doubles. To still check every value bit-exactly, an adapter can call
an export through a *trampoline*: a tiny module that imports the export with
its exact type and re-exports a function whose parameters and results are
only i32, i64, f64, funcref and externref:

=========================  =================================================
original type              at the trampoline's boundary
=========================  =================================================
i32, i64, f64              unchanged
f32                        i32 (the bit pattern, via reinterpret)
v128                       two i64: low half, high half
func hierarchy             funcref (parameters are cast to the exact type)
extern hierarchy           result: i32 kind (0 null, 1 host value, 2 other)
                           and externref (the host value, else null);
                           parameter: externref, cast
any hierarchy              result: i32 kind (0 null, 1 i31, 2 struct,
                           3 array, 4 host value) and externref (the host
                           value, else null); parameter: externref,
                           internalized and cast
exn hierarchy              result: i32 (0 null, 1 non-null); parameter:
                           none (only null can be passed)
=========================  =================================================

The trampoline copies the original module's type section verbatim, so
concrete reference types keep their identity (the import matches the export
by the iso-recursive type equivalence of identical rec groups).

This module reads only the sections needed to know the type of every export
(type, import, function, global, export) and writes trampolines. Anything it
does not understand raises :class:`BinaryFormatError`; callers turn that into
a skipped command, never a crash.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from engine.text.encode import sleb, uleb

__all__ = ["BinaryFormatError", "ValType", "FuncSig", "ModuleInfo", "read_module_info",
           "build_func_trampoline", "build_global_trampoline", "boundary_kind", "boundary_width",
           "is_direct", "vec", "section", "name", "uleb", "sleb"]


class BinaryFormatError(Exception):
    """The reader met something it does not handle."""


# abstract heap type byte -> (name, hierarchy)
_ABSTRACT = {
    0x70: ("func", "func"), 0x73: ("nofunc", "func"),
    0x6F: ("extern", "extern"), 0x72: ("noextern", "extern"),
    0x6E: ("any", "any"), 0x6D: ("eq", "any"), 0x6C: ("i31", "any"),
    0x6B: ("struct", "any"), 0x6A: ("array", "any"), 0x71: ("none", "any"),
    0x69: ("exn", "exn"), 0x74: ("noexn", "exn"),
    0x68: ("cont", "cont"), 0x75: ("nocont", "cont"),
}
_NUM = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64", 0x7B: "v128"}


@dataclass(frozen=True, slots=True)
class ValType:
    """A value type: ``kind`` is i32/i64/f32/f64/v128/ref; ``raw`` its encoding."""

    kind: str
    raw: bytes
    nullable: bool = True
    heap: object = None          #: abstract heap byte (int < 0: see _ABSTRACT) or type index
    heap_raw: bytes = b""        #: encoding of the heap type alone
    exact: bool = False

    @property
    def is_abstract(self) -> bool:
        return isinstance(self.heap, str)


@dataclass(frozen=True, slots=True)
class FuncSig:
    """A function type."""

    params: tuple[ValType, ...]
    results: tuple[ValType, ...]


@dataclass(slots=True)
class ModuleInfo:
    """What the trampolines need to know about a module."""

    group_count: int = 0
    groups_raw: bytes = b""
    #: per type index: "func" / "struct" / "array" / "cont"
    type_kinds: list[str] = field(default_factory=list)
    #: per type index: the signature if it is a function type
    func_types: dict[int, FuncSig] = field(default_factory=dict)
    func_type_index: list[int] = field(default_factory=list)       #: per function
    globals: list[tuple[ValType, bool]] = field(default_factory=list)  #: per global
    exports: dict[str, tuple[int, int]] = field(default_factory=dict)  #: name -> (kind, index)

    def hierarchy(self, t: ValType) -> str:
        """func / extern / any / exn / cont for a reference type."""
        if isinstance(t.heap, str):
            return _ABSTRACT_BY_NAME[t.heap]
        kinds = self.type_kinds
        if not isinstance(t.heap, int) or t.heap >= len(kinds):
            raise BinaryFormatError(f"type index {t.heap} out of range")
        kind = kinds[t.heap]
        return {"func": "func", "struct": "any", "array": "any"}.get(kind, kind)

    def export_func(self, name: str) -> tuple[int, FuncSig]:
        """(type index, signature) of an exported function."""
        kind, index = self.exports.get(name, (-1, -1))
        if kind != 0:
            raise BinaryFormatError(f"no exported function {name!r}")
        if index >= len(self.func_type_index):
            raise BinaryFormatError(f"function index {index} out of range")
        tidx = self.func_type_index[index]
        sig = self.func_types.get(tidx)
        if sig is None:
            raise BinaryFormatError(f"type {tidx} is not a function type")
        return tidx, sig

    def export_global(self, name: str) -> tuple[ValType, bool]:
        """(value type, mutable) of an exported global."""
        kind, index = self.exports.get(name, (-1, -1))
        if kind != 3:
            raise BinaryFormatError(f"no exported global {name!r}")
        if index >= len(self.globals):
            raise BinaryFormatError(f"global index {index} out of range")
        return self.globals[index]


_ABSTRACT_BY_NAME = {name: hier for name, hier in _ABSTRACT.values()}


class _Reader:
    __slots__ = ("data", "pos", "end")

    def __init__(self, data: bytes, pos: int = 0, end: Optional[int] = None):
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else end

    def byte(self) -> int:
        if self.pos >= self.end:
            raise BinaryFormatError("unexpected end")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def peek(self) -> int:
        if self.pos >= self.end:
            raise BinaryFormatError("unexpected end")
        return self.data[self.pos]

    def u(self) -> int:
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return result
            if shift > 70:
                raise BinaryFormatError("LEB128 too long")

    def s(self) -> int:
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                if b & 0x40:
                    result -= 1 << shift
                return result
            if shift > 70:
                raise BinaryFormatError("LEB128 too long")

    def skip(self, n: int) -> None:
        if self.pos + n > self.end:
            raise BinaryFormatError("unexpected end")
        self.pos += n

    def name(self) -> str:
        n = self.u()
        start = self.pos
        self.skip(n)
        return self.data[start:self.pos].decode("utf-8", errors="surrogateescape")

    def heap(self) -> tuple[object, bytes]:
        start = self.pos
        b = self.peek()
        if b in _ABSTRACT:
            self.pos += 1
            return _ABSTRACT[b][0], self.data[start:self.pos]
        value = self.s()
        if value < 0:
            raise BinaryFormatError(f"unknown heap type {value}")
        return value, self.data[start:self.pos]

    def valtype(self) -> ValType:
        start = self.pos
        b = self.byte()
        if b in _NUM:
            return ValType(_NUM[b], bytes([b]))
        if b in _ABSTRACT:
            return ValType("ref", bytes([b]), True, _ABSTRACT[b][0], bytes([b]))
        if b in (0x63, 0x64):
            exact = False
            if self.peek() == 0x62:  # custom descriptors: (exact ht)
                self.pos += 1
                exact = True
            heap, heap_raw = self.heap()
            return ValType("ref", self.data[start:self.pos], b == 0x63, heap, heap_raw, exact)
        raise BinaryFormatError(f"unknown value type 0x{b:02x}")

    def limits(self) -> None:
        flags = self.byte()
        if flags & ~0x0F:
            raise BinaryFormatError(f"unknown limits flags 0x{flags:02x}")
        self.u()
        if flags & 1:
            self.u()
        if flags & 8:
            self.u()


def _read_types(r: _Reader, info: ModuleInfo) -> None:
    count = r.u()
    info.group_count = count
    start = r.pos
    for _ in range(count):
        if r.peek() == 0x4E:
            r.pos += 1
            n = r.u()
            for _ in range(n):
                _read_subtype(r, info)
        else:
            _read_subtype(r, info)
    info.groups_raw = r.data[start:r.pos]


def _read_subtype(r: _Reader, info: ModuleInfo) -> None:
    b = r.peek()
    if b in (0x50, 0x4F):
        r.pos += 1
        for _ in range(r.u()):
            r.u()
    # custom descriptors: (describes x) / (descriptor x) clauses
    while r.peek() in (0x4D, 0x4C):
        r.pos += 1
        r.u()
    form = r.byte()
    index = len(info.type_kinds)
    if form == 0x60:
        params = tuple(r.valtype() for _ in range(r.u()))
        results = tuple(r.valtype() for _ in range(r.u()))
        info.type_kinds.append("func")
        info.func_types[index] = FuncSig(params, results)
    elif form == 0x5F:
        for _ in range(r.u()):
            _storage(r)
        info.type_kinds.append("struct")
    elif form == 0x5E:
        _storage(r)
        info.type_kinds.append("array")
    elif form == 0x5D:
        r.s()
        info.type_kinds.append("cont")
    else:
        raise BinaryFormatError(f"unknown composite type 0x{form:02x}")


def _storage(r: _Reader) -> None:
    if r.peek() in (0x78, 0x77):
        r.pos += 1
    else:
        r.valtype()
    r.byte()  # mutability


def _read_imports(r: _Reader, info: ModuleInfo) -> None:
    for _ in range(r.u()):
        r.name()
        r.name()
        kind = r.byte()
        if kind == 0x00:
            info.func_type_index.append(r.u())
        elif kind == 0x01:
            r.valtype()
            r.limits()
        elif kind == 0x02:
            r.limits()
        elif kind == 0x03:
            vt = r.valtype()
            info.globals.append((vt, r.byte() == 1))
        elif kind == 0x04:
            r.byte()
            r.u()
        else:
            raise BinaryFormatError(f"unknown import kind 0x{kind:02x}")


# constant-expression opcodes: opcode -> immediate reader
def _imm_none(r: _Reader) -> None:
    return None


_CONST_OPS = {
    0x41: _Reader.s, 0x42: _Reader.s,
    0x43: lambda r: r.skip(4), 0x44: lambda r: r.skip(8),
    0x23: _Reader.u, 0xD2: _Reader.u, 0xD0: _Reader.heap,
    0x6A: _imm_none, 0x6B: _imm_none, 0x6C: _imm_none,
    0x7C: _imm_none, 0x7D: _imm_none, 0x7E: _imm_none,
}
_GC_CONST_OPS = {
    0: _Reader.u, 1: _Reader.u, 6: _Reader.u, 7: _Reader.u,
    8: lambda r: (r.u(), r.u()), 26: _imm_none, 27: _imm_none, 28: _imm_none,
}


def _skip_const_expr(r: _Reader) -> None:
    while True:
        op = r.byte()
        if op == 0x0B:
            return
        if op in _CONST_OPS:
            _CONST_OPS[op](r)
        elif op == 0xFB:
            sub = r.u()
            if sub not in _GC_CONST_OPS:
                raise BinaryFormatError(f"unknown constant instruction 0xFB {sub}")
            _GC_CONST_OPS[sub](r)
        elif op == 0xFD:
            sub = r.u()
            if sub != 12:
                raise BinaryFormatError(f"unknown constant instruction 0xFD {sub}")
            r.skip(16)
        else:
            raise BinaryFormatError(f"unknown constant instruction 0x{op:02x}")


def read_module_info(data: bytes) -> ModuleInfo:
    """Read the type, import, function, global and export sections."""
    if data[:4] != b"\0asm" or data[4:8] != b"\x01\0\0\0":
        raise BinaryFormatError("not a core module")
    info = ModuleInfo()
    r = _Reader(data, 8)
    while r.pos < r.end:
        sid = r.byte()
        size = r.u()
        body = _Reader(data, r.pos, r.pos + size)
        if body.end > len(data):
            raise BinaryFormatError("section extends past the end")
        if sid == 1:
            _read_types(body, info)
        elif sid == 2:
            _read_imports(body, info)
        elif sid == 3:
            info.func_type_index.extend(body.u() for _ in range(body.u()))
        elif sid == 6:
            for _ in range(body.u()):
                vt = body.valtype()
                mutable = body.byte() == 1
                _skip_const_expr(body)
                info.globals.append((vt, mutable))
        elif sid == 7:
            for _ in range(body.u()):
                name = body.name()
                kind = body.byte()
                info.exports[name] = (kind, body.u())
        r.pos += size
    return info


# --- boundary classification --------------------------------------------------


def boundary_kind(info: ModuleInfo, t: ValType) -> str:
    """How a value of type ``t`` crosses the boundary: i32/i64/f32/f64/v128 or
    the reference hierarchy (func/extern/any/exn)."""
    if t.kind != "ref":
        return t.kind
    if t.exact:
        raise BinaryFormatError("exact reference types are not supported at the boundary")
    hier = info.hierarchy(t)
    if hier == "cont":
        raise BinaryFormatError("continuation references cannot cross the boundary")
    return hier


_DIRECT_PARAMS = {b"\x7f", b"\x7e", b"\x7c", b"\x70", b"\x6f"}
_DIRECT_RESULTS = {b"\x7f", b"\x7e", b"\x7c", b"\x70"}


def is_direct(sig: FuncSig) -> bool:
    """True if the host API can call a function of this type without a
    trampoline (no f32, no v128, no reference result other than funcref,
    no reference parameter other than funcref / externref)."""
    return (all(p.raw in _DIRECT_PARAMS for p in sig.params)
            and all(r.raw in _DIRECT_RESULTS for r in sig.results))


# --- writing trampolines ----------------------------------------------------------


def vec(items: list[bytes]) -> bytes:
    """A vector: its length, then the items."""
    return uleb(len(items)) + b"".join(items)


def section(sid: int, payload: bytes) -> bytes:
    """A section: id, payload size, payload."""
    return bytes([sid]) + uleb(len(payload)) + payload


def name(s: str) -> bytes:
    """A name: UTF-8 length, then the bytes."""
    b = s.encode()
    return uleb(len(b)) + b


I32, I64, F64, FUNCREF, EXTERNREF = b"\x7f", b"\x7e", b"\x7c", b"\x70", b"\x6f"

_PARAM_SLOTS = {"i32": [I32], "i64": [I64], "f64": [F64], "f32": [I32], "v128": [I64, I64],
                "func": [FUNCREF], "extern": [EXTERNREF], "any": [EXTERNREF], "exn": []}
_RESULT_SLOTS = {"i32": [I32], "i64": [I64], "f64": [F64], "f32": [I32], "v128": [I64, I64],
                 "func": [FUNCREF], "extern": [I32, EXTERNREF], "any": [I32, EXTERNREF],
                 "exn": [I32]}

_GC = b"\xfb"
_LOCAL_GET, _LOCAL_SET, _LOCAL_TEE = 0x20, 0x21, 0x22


def boundary_width(info: ModuleInfo, results: tuple[ValType, ...] | list[ValType]) -> int:
    """How many values a trampoline returns for these results."""
    return sum(len(_RESULT_SLOTS[boundary_kind(info, t)]) for t in results)


def _local(op: int, index: int) -> bytes:
    return bytes([op]) + uleb(index)


def _cast_to(t: ValType) -> bytes:
    """ref.cast to exactly ``t`` (needed unless ``t`` is the hierarchy's top)."""
    return _GC + (uleb(23) if t.nullable else uleb(22)) + t.heap_raw


def _ref_test(heap_byte: int) -> bytes:
    return _GC + uleb(20) + bytes([heap_byte])


_TOPS = {"func": b"\x70", "extern": b"\x6f", "any": b"\x6e"}


def _param_code(info: ModuleInfo, t: ValType, slot: int) -> bytes:
    kind = boundary_kind(info, t)
    get = _local(_LOCAL_GET, slot)
    if kind in ("i32", "i64", "f64"):
        return get
    if kind == "f32":
        return get + b"\xbe"
    if kind == "v128":
        return (b"\xfd" + uleb(12) + bytes(16) + get + b"\xfd" + uleb(30) + b"\x00"
                + _local(_LOCAL_GET, slot + 1) + b"\xfd" + uleb(30) + b"\x01")
    if kind == "exn":
        if not t.nullable:
            raise BinaryFormatError("a non-null exnref cannot be passed from the host")
        return b"\xd0\x74"
    code = get
    if kind == "any":
        code += _GC + uleb(26)
    if t.raw != _TOPS[kind]:
        code += _cast_to(t)
    return code


def _result_code(info: ModuleInfo, t: ValType, local: int, scratch: int) -> bytes:
    kind = boundary_kind(info, t)
    get = _local(_LOCAL_GET, local)
    if kind in ("i32", "i64", "f64", "func"):
        return get
    if kind == "f32":
        return get + b"\xbc"
    if kind == "v128":
        return get + b"\xfd" + uleb(29) + b"\x00" + get + b"\xfd" + uleb(29) + b"\x01"
    if kind == "exn":
        return get + b"\xd1\x45"  # ref.is_null; i32.eqz
    if_i32, if_ext, else_, end = b"\x04\x7f", b"\x04\x6f", b"\x05", b"\x0b"
    const = lambda n: b"\x41" + sleb(n)  # noqa: E731
    as_any = get + (_GC + uleb(26) if kind == "extern" else b"")
    if kind == "extern":
        # 0 null, 2 an externalized GC value (eq), 1 a host value
        classify = (get + b"\xd1" + if_i32 + const(0) + else_
                    + as_any + _ref_test(0x6D) + if_i32 + const(2) + else_ + const(1) + end + end)
        host_kind = 1
        host_value = get
    else:
        # 0 null, 1 i31, 2 struct, 3 array, 4 host value (an internalized extern)
        classify = (get + b"\xd1" + if_i32 + const(0) + else_
                    + get + _ref_test(0x6C) + if_i32 + const(1) + else_
                    + get + _ref_test(0x6B) + if_i32 + const(2) + else_
                    + get + _ref_test(0x6A) + if_i32 + const(3) + else_ + const(4)
                    + end + end + end + end)
        host_kind = 4
        host_value = get + _GC + uleb(27)
    return (classify + _local(_LOCAL_TEE, scratch)
            + _local(_LOCAL_GET, scratch) + const(host_kind) + b"\x46"
            + if_ext + host_value + else_ + b"\xd0\x6f" + end)


def _local_type(t: ValType) -> bytes:
    """The nullable form of ``t``, so the local needs no initialisation."""
    if t.kind == "ref" and not t.nullable:
        return b"\x63" + t.raw[1:]
    return t.raw


def _module(info: ModuleInfo, wrapper_params: list[bytes], wrapper_results: list[bytes],
            import_desc: bytes, import_name: str, body_locals: list[bytes], body: bytes) -> bytes:
    wrapper_type = b"\x60" + vec(wrapper_params) + vec(wrapper_results)
    types = uleb(info.group_count + 1) + info.groups_raw + wrapper_type
    wrapper_index = len(info.type_kinds)
    imports = vec([name("") + name(import_name) + import_desc])
    funcs = vec([uleb(wrapper_index)])
    func_index = 1 if import_desc[0] == 0x00 else 0
    exports = vec([name("f") + b"\x00" + uleb(func_index)])
    locals_ = vec([uleb(1) + t for t in body_locals])
    code_body = locals_ + body + b"\x0b"
    code = vec([uleb(len(code_body)) + code_body])
    return (b"\0asm\x01\0\0\0" + section(1, types) + section(2, imports)
            + section(3, funcs) + section(7, exports) + section(10, code))


def _results_part(info: ModuleInfo, results: tuple[ValType, ...], first_local: int,
                  body_locals: list[bytes], wrapper_results: list[bytes]) -> bytes:
    """Store the results (on the stack) into locals, then push their boundary forms."""
    locals_at = []
    for t in results:
        locals_at.append(first_local + len(body_locals))
        body_locals.append(_local_type(t))
    code = b"".join(_local(_LOCAL_SET, i) for i in reversed(locals_at))
    for t, loc in zip(results, locals_at):
        kind = boundary_kind(info, t)
        scratch = first_local + len(body_locals)
        if kind in ("extern", "any"):
            body_locals.append(I32)
        code += _result_code(info, t, loc, scratch)
        wrapper_results.extend(_RESULT_SLOTS[kind])
    return code


def build_func_trampoline(info: ModuleInfo, type_index: int) -> bytes:
    """A module importing ``("", "f")`` of type ``type_index`` and exporting
    ``"f"`` with the boundary types of the table in the module docstring."""
    sig = info.func_types[type_index]
    wrapper_params: list[bytes] = []
    body = b""
    for t in sig.params:
        slot = len(wrapper_params)
        body += _param_code(info, t, slot)
        wrapper_params.extend(_PARAM_SLOTS[boundary_kind(info, t)])
    body += b"\x10\x00"  # call the import
    body_locals: list[bytes] = []
    wrapper_results: list[bytes] = []
    body += _results_part(info, sig.results, len(wrapper_params), body_locals, wrapper_results)
    desc = b"\x00" + uleb(type_index)
    return _module(info, wrapper_params, wrapper_results, desc, "f", body_locals, body)


def build_global_trampoline(info: ModuleInfo, valtype: ValType, mutable: bool) -> bytes:
    """A module importing global ``("", "g")`` and exporting ``"f"``, which
    returns its value in boundary form."""
    body_locals: list[bytes] = []
    wrapper_results: list[bytes] = []
    body = b"\x23\x00" + _results_part(info, (valtype,), 0, body_locals, wrapper_results)
    desc = b"\x03" + valtype.raw + (b"\x01" if mutable else b"\x00")
    return _module(info, [], wrapper_results, desc, "g", body_locals, body)
