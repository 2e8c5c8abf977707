"""Types in the text format: value, heap and reference types, type
definitions (recursion groups, subtypes, function/struct/array types),
limits, memory/table/global types and type uses."""

from __future__ import annotations

import dataclasses
from typing import Optional

from ..syntax import types as t
from ..syntax.types import (
    AbsHeapType, ArrayType, FieldType, FuncType, GlobalType, Limits, MemType, PackedType, RecType,
    RefType, StructType, SubType, TableType,
)
from .context import DuplicateName, ModuleContext, Space
from .cursor import Cursor
from .lexer import KEYWORD, LPAREN, NUMBER, RPAREN

NUMERIC: dict[str, object] = {"i32": t.I32, "i64": t.I64, "f32": t.F32, "f64": t.F64, "v128": t.V128}

ABSTRACT_HEAP: dict[str, AbsHeapType] = {
    "any": AbsHeapType.ANY, "eq": AbsHeapType.EQ, "i31": AbsHeapType.I31,
    "struct": AbsHeapType.STRUCT, "array": AbsHeapType.ARRAY, "none": AbsHeapType.NONE,
    "func": AbsHeapType.FUNC, "nofunc": AbsHeapType.NOFUNC, "exn": AbsHeapType.EXN,
    "noexn": AbsHeapType.NOEXN, "extern": AbsHeapType.EXTERN, "noextern": AbsHeapType.NOEXTERN,
}

#: ``anyref`` and friends: ``(ref null ht)`` for each abstract heap type.
REF_SHORTHANDS: dict[str, RefType] = {
    "anyref": t.ANYREF, "eqref": t.EQREF, "i31ref": t.I31REF, "structref": t.STRUCTREF,
    "arrayref": t.ARRAYREF, "nullref": t.NULLREF, "funcref": t.FUNCREF,
    "nullfuncref": t.NULLFUNCREF, "exnref": t.EXNREF, "nullexnref": t.NULLEXNREF,
    "externref": t.EXTERNREF, "nullexternref": t.NULLEXTERNREF,
}

VALTYPE_KEYWORDS: dict[str, object] = {**NUMERIC, **REF_SHORTHANDS}

PACKED: dict[str, PackedType] = {"i8": PackedType.I8, "i16": PackedType.I16}


class Signature:
    """The inline part of a type use: parameter and result types, the
    parameter identifiers, and whether any clause was written at all."""

    __slots__ = ("params", "names", "results", "written")

    def __init__(self) -> None:
        self.params: list = []
        self.names: list[Optional[str]] = []
        self.results: list = []
        self.written = False

    def functype(self) -> FuncType:
        """The function type the clauses spell."""
        return FuncType(tuple(self.params), tuple(self.results))


class TypeParser(Cursor):
    """Recognisers for types; ``ctx`` gives the type names and definitions."""

    ctx: ModuleContext

    # --- value types -------------------------------------------------------

    def heaptype(self) -> tuple[object, bool]:
        """An abstract heap type or a type index, and whether it was written
        ``(exact x)`` (custom descriptors); ``(shared ht)`` is a shared
        abstract heap type (shared-everything-threads)."""
        kind = self.kinds[self.pos]
        if kind == KEYWORD:
            ht = ABSTRACT_HEAP.get(self.values[self.pos])
            if ht is None:
                self.unexpected()
            self.pos += 1
            return ht, False
        if kind == LPAREN and self.at_open("exact"):
            self.pos += 2
            x = self.index(self.ctx.spaces["type"])
            self.expect_close()
            return x, True
        if kind == LPAREN and self.at_open("shared"):
            return self._shared_form(ABSTRACT_HEAP).as_shared, False
        return self.index(self.ctx.spaces["type"]), False

    def _shared_form(self, keywords: dict):
        """``(shared k)`` for a keyword ``k`` of ``keywords``: its value."""
        self.pos += 2
        value = keywords.get(self.values[self.pos]) if self.kinds[self.pos] == KEYWORD else None
        if value is None:
            self.unexpected()
        self.pos += 1
        self.expect_close()
        return value

    def at_reftype(self) -> bool:
        """The next tokens start a reference type."""
        kind = self.kinds[self.pos]
        if kind == KEYWORD:
            return self.values[self.pos] in REF_SHORTHANDS
        return self.at_open("ref") or self.at_open("shared")

    def reftype(self) -> RefType:
        """``(ref null? ht)`` or a shorthand such as ``funcref`` or
        ``(shared funcref)``."""
        kind = self.kinds[self.pos]
        if kind == KEYWORD:
            rt = REF_SHORTHANDS.get(self.values[self.pos])
            if rt is None:
                self.unexpected()
            self.pos += 1
            return rt
        if self.at_open("shared"):
            return RefType(True, self._shared_form(REF_SHORTHANDS).heap.as_shared)
        self.expect_open("ref")
        nullable = False
        if self.at_keyword("null"):
            nullable = True
            self.pos += 1
        ht, exact = self.heaptype()
        self.expect_close()
        return RefType(nullable, ht, exact)

    def valtype(self) -> object:
        """A number, vector or reference type."""
        if self.kinds[self.pos] == KEYWORD:
            vt = VALTYPE_KEYWORDS.get(self.values[self.pos])
            if vt is None:
                self.unexpected()
            self.pos += 1
            return vt
        return self.reftype()

    def valtypes_until_close(self) -> list:
        """Value types up to (not including) the next ``)``."""
        out = []
        while self.kinds[self.pos] != RPAREN:
            out.append(self.valtype())
        return out

    # --- composite types ----------------------------------------------------

    def storagetype(self) -> object:
        """A value type or a packed type (``i8``, ``i16``)."""
        kind = self.kinds[self.pos]
        if kind == KEYWORD:
            packed = PACKED.get(self.values[self.pos])
            if packed is not None:
                self.pos += 1
                return packed
        return self.valtype()

    def fieldtype(self) -> FieldType:
        """A storage type, or ``(mut st)``."""
        if self.at_open("mut"):
            self.pos += 2
            st = self.storagetype()
            self.expect_close()
            return FieldType(st, True)
        return FieldType(self.storagetype(), False)

    def comptype(self, fields: Space) -> object:
        """``(func ...)``, ``(struct ...)`` or ``(array ...)``, or one of them
        wrapped in ``(shared ...)``; struct field names are bound in
        ``fields``."""
        if self.at_open("shared"):
            self.pos += 2
            comp = self.comptype(fields)
            self.expect_close()
            if comp.shared:
                self.unexpected(self.pos - 1)
            return dataclasses.replace(comp, shared=True)
        self.expect_lparen()
        form = self.keyword()
        if form == "func":
            sig = Signature()
            self.signature_clauses(sig, allow_names=True)
            self.expect_close()
            return sig.functype()
        if form == "struct":
            out = []
            while self.at_open("field"):
                self.pos += 2
                name = self.optional_id()
                if name is not None:
                    self.bind(fields, name)
                    out.append(self.fieldtype())
                else:
                    while self.kinds[self.pos] != RPAREN:
                        fields.add(None)
                        out.append(self.fieldtype())
                self.expect_close()
            self.expect_close()
            return StructType(tuple(out))
        if form == "array":
            ft = self.fieldtype()
            self.expect_close()
            return ArrayType(ft)
        self.unexpected(self.pos - 1)

    def bind(self, space: Space, name: Optional[str], at: Optional[int] = None) -> int:
        """Add an entry to ``space``; a duplicate name is malformed."""
        try:
            return space.add(name)
        except DuplicateName as exc:
            self.fail(str(exc), self.pos - 1 if at is None else at)

    def _descriptor_clauses(self) -> tuple[Optional[int], Optional[int]]:
        types = self.ctx.spaces["type"]
        describes = descriptor = None
        if self.at_open("describes"):
            self.pos += 2
            describes = self.index(types)
            self.expect_close()
        if self.at_open("descriptor"):
            self.pos += 2
            descriptor = self.index(types)
            self.expect_close()
        return describes, descriptor

    def subtype(self, fields: Space) -> SubType:
        """``(sub final? x* comptype)`` or a bare composite type (final)."""
        if self.at_open("sub"):
            self.pos += 2
            final = False
            if self.at_keyword("final"):
                final = True
                self.pos += 1
            supers = []
            types = self.ctx.spaces["type"]
            while self.at_index():
                supers.append(self.index(types))
            describes, descriptor = self._descriptor_clauses()
            comp = self.comptype(fields)
            self.expect_close()
            return SubType(final, tuple(supers), comp, describes, descriptor)
        describes, descriptor = self._descriptor_clauses()
        return SubType(True, (), self.comptype(fields), describes, descriptor)

    def typedef(self, index: int) -> SubType:
        """``(type id? subtype)`` defining type ``index`` (its id is already
        bound)."""
        self.expect_open("type")
        self.optional_id()
        fields = Space("field")
        st = self.subtype(fields)
        self.expect_close()
        if fields.names:
            self.ctx.fields[index] = fields
        return st

    def rectype(self) -> RecType:
        """``(rec typedef*)`` or one type definition."""
        first = len(self.ctx.types)
        if self.at_open("rec"):
            self.pos += 2
            subs = []
            while self.kinds[self.pos] != RPAREN:
                subs.append(self.typedef(first + len(subs)))
            self.pos += 1
            return RecType(tuple(subs))
        return RecType((self.typedef(first),))

    # --- type uses -----------------------------------------------------------

    def signature_clauses(self, sig: Signature, allow_names: bool) -> None:
        """``(param ...)*`` then ``(result ...)*``, added to ``sig``."""
        while self.at_open("param"):
            sig.written = True
            self.pos += 2
            name = self.optional_id()
            if name is not None:
                if not allow_names:
                    self.fail("unexpected token (identifier in a parameter)", self.pos - 1)
                sig.params.append(self.valtype())
                sig.names.append(name)
            else:
                for vt in self.valtypes_until_close():
                    sig.params.append(vt)
                    sig.names.append(None)
            self.expect_close()
        while self.at_open("result"):
            sig.written = True
            self.pos += 2
            sig.results.extend(self.valtypes_until_close())
            self.expect_close()

    def typeuse(self, allow_names: bool) -> tuple[int, Optional[Signature]]:
        """``(type x)? (param ...)* (result ...)*``: the type index it denotes
        and the inline signature (None when only ``(type x)`` was written)."""
        explicit = None
        start = self.pos
        if self.at_open("type"):
            self.pos += 2
            explicit = self.index(self.ctx.spaces["type"])
            self.expect_close()
        sig = Signature()
        self.signature_clauses(sig, allow_names)
        if explicit is None:
            return self.ctx.implicit_type(sig.functype()), sig
        if not sig.written:
            return explicit, None
        self.check_inline(explicit, sig, start)
        return explicit, sig

    def check_inline(self, x: int, sig: Signature, at: int) -> None:
        """Inline parameters and results must repeat type ``x`` exactly."""
        ft = self.ctx.func_type(x)
        if ft is None:
            if not 0 <= x < len(self.ctx.types):
                self.fail(f"unknown type {x}", at)
            self.fail("inline function type: not a function type", at)
        if ft.params != tuple(sig.params) or ft.results != tuple(sig.results):
            self.fail("inline function type", at)

    # --- limits and external types --------------------------------------------

    def address_type(self) -> bool:
        """An optional ``i32``/``i64``; True for i64."""
        if self.kinds[self.pos] == KEYWORD:
            v = self.values[self.pos]
            if v == "i64":
                self.pos += 1
                return True
            if v == "i32":
                self.pos += 1
        return False

    def limits(self) -> Limits:
        """``min max?``: u64 literals whatever the address type (whether
        they fit is a validation matter)."""
        minimum = self.u64()
        maximum = None
        if self.kinds[self.pos] == NUMBER:
            maximum = self.u64()
        return Limits(minimum, maximum)

    def page_size(self) -> int:
        """``(pagesize n)``: log2 of a power-of-two page size."""
        self.expect_open("pagesize")
        at = self.pos
        size = self.u64()
        if size == 0 or size & (size - 1):
            self.fail("invalid custom page size", at)
        self.expect_close()
        return size.bit_length() - 1

    def memtype_after_address(self, addr64: bool) -> MemType:
        """Limits, ``shared``, a page size, after the address type."""
        limits = self.limits()
        shared = False
        if self.at_keyword("shared"):
            shared = True
            self.pos += 1
        log2 = 16
        if self.at_open("pagesize"):
            log2 = self.page_size()
        return MemType(limits, shared, addr64, log2)

    def shared_keyword(self) -> bool:
        """An optional ``shared`` before a memory or table type (the
        shared-everything-threads form)."""
        if self.at_keyword("shared"):
            self.pos += 1
            return True
        return False

    def memtype(self) -> MemType:
        """``shared``? ``i32|i64``? limits ``shared``? ``(pagesize n)``?."""
        if self.shared_keyword():
            return dataclasses.replace(self.memtype_after_address(self.address_type()), shared=True)
        return self.memtype_after_address(self.address_type())

    def tabletype(self) -> TableType:
        """``shared``? ``i32|i64``? limits reftype."""
        shared = self.shared_keyword()
        addr64 = self.address_type()
        limits = self.limits()
        return TableType(limits, self.reftype(), addr64, shared)

    def globaltype(self) -> GlobalType:
        """A value type, or ``(mut t)``; shared globals (shared-everything
        threads) are ``(shared t)``, ``(shared mut t)`` or
        ``(shared (mut t))``."""
        if self.at_open("shared"):
            self.pos += 2
            mutable = False
            if self.at_keyword("mut"):
                self.pos += 1
                mutable = True
                vt = self.valtype()
            elif self.at_open("mut"):
                inner = self.globaltype()
                mutable, vt = True, inner.valtype
            else:
                vt = self.valtype()
            self.expect_close()
            return GlobalType(vt, mutable, True)
        if self.at_open("mut"):
            self.pos += 2
            vt = self.valtype()
            self.expect_close()
            return GlobalType(vt, True)
        return GlobalType(self.valtype(), False)
