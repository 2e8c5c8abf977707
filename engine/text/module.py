"""Modules in the text format.

Parsing runs in three passes over the module's fields:

1. bind identifiers: every field's id goes into its index space, in text
   order (inline imports, exports, data and element segments included), and
   the rule that imports precede definitions is checked;
2. parse the type definitions, so that type uses and local indices can be
   resolved whatever the textual order;
3. parse every field in text order, appending implicitly defined function
   types to the type list as type uses need them.
"""

from __future__ import annotations

from typing import Optional

from ..syntax.module import Data, Elem, Export, Func, Global, Import, Module, SegmentMode, Table
from ..syntax.opcodes import Op
from ..syntax.types import AbsHeapType, ExternKind, Limits, MemType, RefType, TableType, TagType
from .annotations import CustomPlacement, branch_hint_anchors, check_names, custom_sections
from .context import Labels, ModuleContext, Space
from .instructions import InstrParser
from .lexer import KEYWORD, LPAREN, RPAREN, Tokens

_DEFINABLE = ("func", "table", "memory", "global", "tag")
_KINDS = {"func": ExternKind.FUNC, "table": ExternKind.TABLE, "memory": ExternKind.MEMORY,
          "global": ExternKind.GLOBAL, "tag": ExternKind.TAG}
_KIND_WORDS = {"func": "function", "table": "table", "memory": "memory", "global": "global",
               "tag": "tag"}
_REF_FUNC = RefType(False, AbsHeapType.FUNC)
_FUNCREF = RefType(True, AbsHeapType.FUNC)
_END = (Op.END,)


class ModuleParser(InstrParser):
    """Parses the fields between token indices ``start`` and ``end`` (the
    module's closing parenthesis, or EOF for a bare module)."""

    def __init__(self, tokens: Tokens, start: int, end: int):
        super().__init__(tokens)
        self.start = start
        self.end = end
        self.ctx = ModuleContext()
        self.init_instructions()
        self.fields: list[tuple[str, int]] = []
        self.imports: list[Import] = []
        self.funcs: list[Func] = []
        self.tables: list[Table] = []
        self.mems: list[MemType] = []
        self.globals: list[Global] = []
        self.tags: list[TagType] = []
        self.exports: list[Export] = []
        self.elems: list[Elem] = []
        self.datas: list[Data] = []
        self.start_func: Optional[int] = None
        self.counters = {kind: 0 for kind in _DEFINABLE}
        self.func_hints: dict[int, list] = {}
        self.customs: list[CustomPlacement] = []
        self._first_definition: Optional[str] = None

    # --- driver ------------------------------------------------------------

    def parse(self) -> Module:
        """Run the three passes; the resulting module."""
        self._list_fields()
        self.customs = custom_sections(self, {p for _, p in self.fields} | {self.end})
        self.hint_anchors = branch_hint_anchors(self)
        check_names(self)
        for keyword, p in self.fields:
            self._bind(keyword, p)
        for keyword, p in self.fields:
            if keyword == "type" or keyword == "rec":
                self.pos = p
                self.ctx.add_group(self.rectype())
        for keyword, p in self.fields:
            self.pos = p
            handler = self._FIELDS[keyword]
            if handler is None:
                continue
            handler(self)
            if self.pos != self.close[p] + 1:
                self.unexpected()
        if self.hint_anchors:
            self.fail("@metadata.code.branch_hint annotation: not in a function",
                      next(iter(self.hint_anchors)))
        return Module(
            types=self.ctx.types, rec_groups=self.ctx.rec_groups, imports=self.imports,
            funcs=self.funcs, tables=self.tables, mems=self.mems, globals=self.globals,
            tags=self.tags, exports=self.exports, start=self.start_func, elems=self.elems,
            datas=self.datas, data_count=len(self.datas) if self.uses_data else None,
        )

    def _list_fields(self) -> None:
        kinds, values = self.kinds, self.values
        p = self.start
        while p < self.end:
            if kinds[p] != LPAREN:
                self.unexpected(p)
            if kinds[p + 1] != KEYWORD or values[p + 1] not in self._FIELDS:
                self.unexpected(p + 1)
            self.fields.append((values[p + 1], p))
            p = self.close[p] + 1

    # --- pass 1: identifiers ------------------------------------------------------

    def _bind(self, keyword: str, p: int) -> None:
        spaces = self.ctx.spaces
        self.pos = p + 2
        if keyword == "type":
            self.bind(spaces["type"], self.optional_id())
        elif keyword == "rec":
            while self.at_open("type"):
                start = self.pos
                self.pos += 2
                self.bind(spaces["type"], self.optional_id())
                self.pos = self.close[start] + 1
        elif keyword == "import":
            self.name()
            self.name()
            kind = self.open_keyword()
            if kind not in _DEFINABLE:
                self.unexpected(self.pos + 1 if kind is not None else None)
            self.pos += 2
            self._import_order(kind, p)
            self.bind(spaces[kind], self.optional_id())
        elif keyword in _DEFINABLE:
            name = self.optional_id()
            self._skip_exports()
            if self.at_open("import"):
                self._import_order(keyword, p)
                self.bind(spaces[keyword], name, p + 2)
                return
            self.bind(spaces[keyword], name, p + 2)
            self._first_definition = self._first_definition or keyword
            if keyword == "memory":
                self.shared_keyword()
                self.address_type()
                if self.at_open("pagesize"):
                    self.skip_group()
                if self.at_open("data"):
                    spaces["data"].add(None)
            elif keyword == "table":
                shared = self.shared_keyword()
                before = self.pos
                self.address_type()
                if shared and self.pos != before:
                    return  # wasm-tools' order: no inline elements after "shared i64"
                if self.at_reftype():
                    self.reftype_skip()
                    if self.at_open("elem"):
                        spaces["elem"].add(None)
        elif keyword == "data" or keyword == "elem":
            self.bind(spaces[keyword], self.optional_id())

    def reftype_skip(self) -> None:
        """Step over a reference type without resolving it."""
        if self.kinds[self.pos] == LPAREN:
            self.skip_group()
        else:
            self.pos += 1

    def _import_order(self, kind: str, p: int) -> None:
        first = self._first_definition
        if first is not None:
            self.fail(f"import after {_KIND_WORDS[first]}", p)

    def _skip_exports(self) -> None:
        while self.at_open("export"):
            self.skip_group()

    # --- pass 3: fields -------------------------------------------------------------

    def _next_index(self, kind: str) -> int:
        index = self.counters[kind]
        self.counters[kind] = index + 1
        return index

    def _inline_exports(self, kind: str, index: int) -> None:
        while self.at_open("export"):
            self.pos += 2
            self.exports.append(Export(self.name(), _KINDS[kind], index))
            self.expect_close()

    def _inline_import(self) -> Optional[tuple[str, str]]:
        if not self.at_open("import"):
            return None
        self.pos += 2
        module = self.name()
        name = self.name()
        self.expect_close()
        return module, name

    def _field_import(self) -> None:
        self.pos += 2
        module = self.name()
        name = self.name()
        kind = self.open_keyword()
        self.pos += 2
        self.optional_id()
        index = self._next_index(kind)
        self._import_desc(kind, module, name, index)
        self.expect_close()
        self.expect_close()

    def _import_desc(self, kind: str, module: str, name: str, index: int) -> None:
        """The description of an import of ``kind`` (after its id)."""
        if kind == "func":
            exact = False
            if self.at_open("exact"):
                self.pos += 2
                exact = True
            x, sig = self.typeuse(allow_names=True)
            if sig is not None:
                self._check_param_names(sig.names)
            if exact:
                self.expect_close()
            self.imports.append(Import(module, name, ExternKind.FUNC, x, exact))
        elif kind == "table":
            self.imports.append(Import(module, name, ExternKind.TABLE, self.tabletype()))
        elif kind == "memory":
            self.imports.append(Import(module, name, ExternKind.MEMORY, self.memtype()))
        elif kind == "global":
            self.imports.append(Import(module, name, ExternKind.GLOBAL, self.globaltype()))
        else:
            x, sig = self.typeuse(allow_names=True)
            if sig is not None:
                self._check_param_names(sig.names)
            self.imports.append(Import(module, name, ExternKind.TAG, TagType(x)))

    def _check_param_names(self, names: list) -> None:
        space = Space("local")
        for n in names:
            self.bind(space, n)

    def _definition(self, kind: str) -> Optional[int]:
        """``(kind id? (export ..)*``, and an inline import if there is one
        (then the import is recorded and None returned); else the index."""
        self.pos += 2
        self.optional_id()
        index = self._next_index(kind)
        self._inline_exports(kind, index)
        imported = self._inline_import()
        if imported is not None:
            self._import_desc(kind, imported[0], imported[1], index)
            self.expect_close()
            return None
        return index

    def _field_func(self) -> None:
        index = self._definition("func")
        if index is None:
            return
        x, sig = self.typeuse(allow_names=True)
        space = Space("local")
        if sig is None:
            ft = self.ctx.func_type(x)
            for _ in range(len(ft.params) if ft is not None else 0):
                space.add(None)
        else:
            for name in sig.names:
                self.bind(space, name)
        local_types = []
        while self.at_open("local"):
            self.pos += 2
            name = self.optional_id()
            if name is not None:
                self.bind(space, name)
                local_types.append(self.valtype())
            else:
                while self.kinds[self.pos] != RPAREN:
                    space.add(None)
                    local_types.append(self.valtype())
            self.expect_close()
        self.locals = space
        self.labels = Labels()
        self.hints = []
        self.in_function = True
        body = self.expr()
        self.in_function = False
        self.expect_close()
        if self.hints:
            self.func_hints[index] = self.hints
        self.funcs.append(Func(x, tuple(local_types), body))
        self.locals = Space("local")

    def _field_table(self) -> None:
        index = self._definition("table")
        if index is None:
            return
        start = self.pos
        shared = self.shared_keyword()
        before = self.pos
        addr64 = self.address_type()
        # After "shared", an address type must be followed by limits (as
        # wasm-tools reads it): the inline form is "shared reftype (elem ...)".
        if self.at_reftype() and not (shared and self.pos != before):
            rt = self.reftype()
            self.expect_open("elem")
            elem_type, exprs = self._inline_elems(rt)
            self.expect_close()
            self.expect_close()
            n = len(exprs)
            self.tables.append(Table(TableType(Limits(n, n), rt, addr64, shared)))
            self.elems.append(Elem(elem_type, exprs, SegmentMode.ACTIVE, index, self._zero(addr64)))
            return
        self.pos = start
        tt = self.tabletype()
        init = None
        if self.kinds[self.pos] != RPAREN:
            init = self.const_expr()
        self.expect_close()
        self.tables.append(Table(tt, init))

    def _inline_elems(self, rt: RefType) -> tuple[RefType, tuple]:
        """The contents of a table's inline ``(elem ...)``: expressions, or
        function indices (a ``func`` segment for a funcref table, else
        ``ref.func`` expressions of the table's type)."""
        if self.kinds[self.pos] == LPAREN:
            return rt, self._elem_exprs()
        funcs = self.ctx.spaces["func"]
        out = []
        while self.at_index():
            out.append(((Op.REF_FUNC, self.index(funcs)), _END))
        return (_REF_FUNC if rt == _FUNCREF else rt), tuple(out)

    def _zero(self, addr64: bool) -> tuple:
        return ((Op.I64_CONST if addr64 else Op.I32_CONST, 0), _END)

    def _field_memory(self) -> None:
        index = self._definition("memory")
        if index is None:
            return
        start = self.pos
        if self.shared_keyword():
            self.pos = start
            self.mems.append(self.memtype())
            self.expect_close()
            return
        addr64 = self.address_type()
        if self.at_open("pagesize") or self.at_open("data"):
            log2 = self.page_size() if self.at_open("pagesize") else 16
            if self.at_open("data"):
                self.pos += 2
                data = self.strings()
                self.expect_close()
                self.expect_close()
                pages = -(-len(data) >> log2)
                self.mems.append(MemType(Limits(pages, pages), False, addr64, log2))
                self.datas.append(Data(data, SegmentMode.ACTIVE, index, self._zero(addr64)))
                return
            self.unexpected()
        self.mems.append(self.memtype_after_address(addr64))
        self.expect_close()

    def _field_global(self) -> None:
        index = self._definition("global")
        if index is None:
            return
        gt = self.globaltype()
        init = self.const_expr()
        self.expect_close()
        self.globals.append(Global(gt, init))

    def _field_tag(self) -> None:
        index = self._definition("tag")
        if index is None:
            return
        x, sig = self.typeuse(allow_names=True)
        if sig is not None:
            self._check_param_names(sig.names)
        self.expect_close()
        self.tags.append(TagType(x))

    def _field_export(self) -> None:
        self.pos += 2
        name = self.name()
        kind = self.open_keyword()
        if kind not in _KINDS:
            self.unexpected(self.pos + 1 if kind is not None else None)
        self.pos += 2
        x = self.index(self.ctx.spaces[kind])
        self.expect_close()
        self.expect_close()
        self.exports.append(Export(name, _KINDS[kind], x))

    def _field_start(self) -> None:
        at = self.pos
        self.pos += 2
        x = self.index(self.ctx.spaces["func"])
        self.expect_close()
        if self.start_func is not None:
            self.fail("multiple start sections", at)
        self.start_func = x

    def _offset(self) -> tuple:
        """``(offset instr*)`` or one folded instruction."""
        if self.at_open("offset"):
            self.pos += 2
            e = self.const_expr()
            self.expect_close()
            return e
        return self.folded_expr()

    def _field_data(self) -> None:
        self.pos += 2
        self.optional_id()
        if self.kinds[self.pos] == LPAREN or self._legacy_index_follows():
            mem = 0
            if self.at_open("memory"):
                self.pos += 2
                mem = self.index(self.ctx.spaces["memory"])
                self.expect_close()
            elif self.at_index():
                mem = self.index(self.ctx.spaces["memory"])
            offset = self._offset()
            data = self.strings()
            self.expect_close()
            self.datas.append(Data(data, SegmentMode.ACTIVE, mem, offset))
            return
        data = self.strings()
        self.expect_close()
        self.datas.append(Data(data, SegmentMode.PASSIVE))

    def _field_elem(self) -> None:
        self.pos += 2
        self.optional_id()
        if self.at_keyword("declare"):
            self.pos += 1
            rt, exprs = self._elem_list(legacy=False)
            self.expect_close()
            self.elems.append(Elem(rt, exprs, SegmentMode.DECLARATIVE))
            return
        if (self.kinds[self.pos] == LPAREN and not self.at_open("ref")) or self._legacy_index_follows():
            table = 0
            explicit_table = self.at_open("table")
            if explicit_table:
                self.pos += 2
                table = self.index(self.ctx.spaces["table"])
                self.expect_close()
            elif self.at_index():
                table = self.index(self.ctx.spaces["table"])
            offset = self._offset()
            rt, exprs = self._elem_list(legacy=not explicit_table)
            self.expect_close()
            self.elems.append(Elem(rt, exprs, SegmentMode.ACTIVE, table, offset))
            return
        rt, exprs = self._elem_list(legacy=False)
        self.expect_close()
        self.elems.append(Elem(rt, exprs, SegmentMode.PASSIVE))

    def _legacy_index_follows(self) -> bool:
        """A bare memory or table index before an offset, as the first
        version of the text format wrote active segments."""
        return self.at_index() and self.kinds[self.pos + 1] == LPAREN

    def _elem_list(self, legacy: bool) -> tuple[RefType, tuple]:
        """``func x*``, ``reftype elemexpr*``, or (``legacy``: after an
        offset without a table use) bare function indices."""
        funcs = self.ctx.spaces["func"]
        if self.at_keyword("func") or (legacy and not self.at_reftype()):
            if self.at_keyword("func"):
                self.pos += 1
            out = []
            while self.at_index():
                out.append(((Op.REF_FUNC, self.index(funcs)), _END))
            return _REF_FUNC, tuple(out)
        rt = self.reftype()
        return rt, self._elem_exprs()

    def _elem_exprs(self) -> tuple:
        """``(item instr*)`` or single folded instructions, up to ``)``."""
        out = []
        while self.kinds[self.pos] == LPAREN:
            if self.at_open("item"):
                self.pos += 2
                out.append(self.const_expr())
                self.expect_close()
            else:
                out.append(self.folded_expr())
        return tuple(out)

    def const_expr(self) -> tuple:
        """An expression outside any function (no locals, no labels)."""
        self.locals = Space("local")
        self.labels = Labels()
        return self.expr()

    def folded_expr(self) -> tuple:
        """Exactly one folded instruction, as an expression."""
        if self.kinds[self.pos] != LPAREN:
            self.unexpected()
        self.locals = Space("local")
        self.labels = Labels()
        out: list = []
        self.instructions(out, single=True)
        out.append(_END)
        return tuple(out)

    _FIELDS = {
        "type": None, "rec": None, "import": _field_import, "func": _field_func,
        "table": _field_table, "memory": _field_memory, "global": _field_global,
        "tag": _field_tag, "export": _field_export, "start": _field_start,
        "data": _field_data, "elem": _field_elem,
    }
