"""Module instances and instantiation, in the specification's order of effects.

1. imports are matched against the module's import types (LinkError);
2. functions (lazily compiled stubs), tables, memories, globals (each
   initialiser sees the globals before it) and tags are allocated;
3. element segments are evaluated; active ones are copied into their tables
   and dropped, declarative ones dropped;
4. active data segments are copied into their memories and dropped;
5. the start function runs.

A trap in steps 3-5 fails instantiation with that :class:`Trap`; effects on
imported tables and memories that happened before it remain, as the
specification says.
"""

from __future__ import annotations

import dataclasses
import re
import types
from typing import Any, Sequence

from ..errors import LinkError, UsageError, WasmError
from ..syntax import types as T
from ..syntax.module import SegmentMode
from ..syntax.types import ExternKind
from . import consteval
from .apitypes import InstanceExports
from .objects import Func, Global, Memory, Table, Tag, extern_kind

CellType = types.CellType
_NAME = re.compile(r"^([A-Z]+)(\d+)$")


def resolve_valtype(t: Any, deftypes: Sequence) -> Any:
    """``t`` with a type-index heap type replaced by its canonical DefType."""
    if isinstance(t, T.RefType) and isinstance(t.heap, int):
        return T.RefType(t.nullable, deftypes[t.heap], t.exact)
    return t


def extern_type_of(item: Any) -> Any:
    """The external type of a runtime object, for import matching."""
    from ..valid.subtyping import TagDesc

    if isinstance(item, Func):
        return item.deftype
    if isinstance(item, Table):
        tt = item.tabletype
        return dataclasses.replace(tt, limits=T.Limits(len(item.elems), tt.limits.max), addr64=item.addr64)
    if isinstance(item, Memory):
        return T.MemType(T.Limits(len(item.data) >> item.page_log2, item.memtype.limits.max),
                         item.shared, item.addr64, item.page_log2)
    if isinstance(item, Global):
        return item.globaltype
    if isinstance(item, Tag):
        return TagDesc(item.deftype)
    return None


class Instance:
    """An instance of a :class:`~engine.Module`:
    ``Instance(store, module, imports)`` instantiates ``module`` with the
    external values ``imports`` (Func, Table, Memory, Global or Tag objects,
    in the module's import order), as wasmtime-py does; a
    :class:`~engine.Linker` finds them by name instead."""

    __slots__ = ("module", "funcs", "tables", "memories", "globals", "tags",
                 "_exports", "_cells", "data_cells", "elem_cells", "store", "__weakref__")

    def __init__(self, store: Any, module: Any, imports: Sequence[Any] = ()) -> None:
        from .caller import as_store
        from .module import Module

        if not isinstance(module, Module):
            raise UsageError(f"expected a Module, got {type(module).__name__}")
        try:
            externs = list(imports)
        except TypeError:
            raise UsageError("imports must be a sequence of external values") from None
        _instantiate(self, as_store(store), module, externs)

    def _init_empty(self) -> None:
        self.funcs: list[Func] = []
        self.tables: list[Table] = []
        self.memories: list[Memory] = []
        self.globals: list[Global] = []
        self.tags: list[Tag] = []
        self._exports: dict[str, Any] = {}
        self._cells: dict[str, CellType] = {}
        self.data_cells: list[CellType] = []
        self.elem_cells: list[CellType] = []

    def exports(self, store=None) -> InstanceExports:
        """The exports by name (a dict in export order): Func, Memory,
        Table, Global or Tag objects."""
        return InstanceExports(self._exports)

    def cell(self, name: str) -> CellType:
        """The closure cell an instance-bound name of generated code reads."""
        c = self._cells.get(name)
        if c is not None:
            return c
        if name == "FUEL":
            c = self._cells[name] = self.store._fuel
            return c
        if name == "EPOCH":  # the engine's epoch and the store's deadline
            c = self._cells[name] = self.store.engine._epoch
            return c
        if name == "DEADLINE":
            c = self._cells[name] = self.store._epoch_deadline
            return c
        m = _NAME.match(name)
        assert m is not None, name
        prefix, i = m.group(1), int(m.group(2))
        if prefix == "F":
            f = self.funcs[i]
            # a host function that wants its caller gets this instance
            c = CellType(f._for_instance(self)) if f.access_caller else f.cell
        elif prefix == "FT":
            f = self.funcs[i]
            c = CellType(f._for_instance(self)) if f.access_caller else f.tcell
        elif prefix == "FR":
            c = CellType(self.funcs[i])
        elif prefix == "M":
            c = self.memories[i].cell
        elif prefix == "MI":
            c = CellType(self.memories[i])
        elif prefix == "TB":
            c = self.tables[i].cell
        elif prefix == "TI":
            c = CellType(self.tables[i])
        elif prefix == "G":
            c = self.globals[i].cell
        elif prefix == "GO":
            c = CellType(self.globals[i])
        elif prefix == "TY":
            c = CellType(self.module._deftypes[i])
        elif prefix == "TG":
            c = CellType(self.tags[i])
        elif prefix == "D":
            c = self.data_cells[i]
        elif prefix == "EL":
            c = self.elem_cells[i]
        elif prefix == "K":
            c = self.module._constant_cell(i)
        else:  # pragma: no cover - the translator makes no other names
            raise AssertionError(f"unknown bound name {name}")
        self._cells[name] = c
        return c

    def _stubs(self, funcidx: int):
        """Placeholders that compile the function on its first call (or first
        tail call)."""
        inst = self

        def stub(*args):
            return inst._materialise(funcidx)[0](*args)

        def tail_stub(*args):
            return inst._materialise(funcidx)[1](*args)

        return stub, tail_stub

    def _materialise(self, funcidx: int):
        from ..compile.codegen import bind
        from ..compile.env import make_driver

        try:
            compiled = self.module._compiled(funcidx)
            body = bind(compiled, self.cell)
        except WasmError:
            raise
        except Exception as e:  # an engine bug: never disguise it as a trap
            raise WasmError(f"internal error translating function {funcidx}: "
                            f"{type(e).__name__}: {e}") from e
        fn = make_driver(body) if compiled.tail else body
        self.funcs[funcidx]._install(fn, body)
        return fn, body

    def __repr__(self) -> str:
        return f"<Instance exports={sorted(self._exports)}>"


def instantiate(store, module, externs: Sequence[Any]) -> Instance:
    """Instantiate ``module`` (an :class:`engine.Module`) with the external
    values ``externs`` given in import order."""
    inst = Instance.__new__(Instance)
    _instantiate(inst, store, module, externs)
    return inst


def _instantiate(inst: Instance, store, module, externs: Sequence[Any]) -> None:
    from ..valid.subtyping import extern_sub

    syn = module._syntax
    deftypes = module._deftypes
    imports = syn.imports
    if len(externs) != len(imports):
        raise LinkError(f"expected {len(imports)} imports, got {len(externs)}")

    inst._init_empty()
    inst.module = module
    inst.store = store

    # 1. imports
    for imp, item in zip(imports, externs):
        kind = extern_kind(item)
        where = f"import {imp.module!r} {imp.name!r}"
        if kind != imp.kind:
            raise LinkError(f"{where}: expected a {imp.kind.name.lower()}, "
                            f"got {type(item).__name__} (incompatible import type)")
        expected = module._import_types[len(inst.funcs) + len(inst.tables) + len(inst.memories)
                                        + len(inst.globals) + len(inst.tags)]
        if not extern_sub(extern_type_of(item), expected):
            raise LinkError(f"{where}: incompatible import type")
        if imp.exact and item.deftype is not expected:
            # custom descriptors: an exact import takes no proper subtype
            raise LinkError(f"{where}: incompatible import type (not exactly {expected!r})")
        if kind == ExternKind.FUNC:
            inst.funcs.append(item)
        elif kind == ExternKind.TABLE:
            inst.tables.append(item)
        elif kind == ExternKind.MEMORY:
            inst.memories.append(item)
        elif kind == ExternKind.GLOBAL:
            inst.globals.append(item)
        else:
            inst.tags.append(item)

    # 2. allocation, within the store's resource limits (checked before
    # anything is allocated)
    limiter = getattr(store, "_limiter", None)
    if limiter is not None:
        limiter.reserve(instances=1, memories=len(syn.mems), tables=len(syn.tables))
    nimp = len(inst.funcs)
    for i, f in enumerate(syn.funcs, start=nimp):
        dt = deftypes[f.typeidx]
        stub, tail_stub = inst._stubs(i)
        inst.funcs.append(Func._wasm(dt, dt.comp, stub, tail_stub, f"wasm function {i}"))
    for tag in syn.tags:
        inst.tags.append(Tag._new(deftypes[tag.typeidx], deftypes[tag.typeidx].comp))
    for g in syn.globals:
        gt = dataclasses.replace(g.type, valtype=resolve_valtype(g.type.valtype, deftypes))
        inst.globals.append(Global._new(gt, consteval.evaluate(g.init, inst)))
    for mt in syn.mems:
        inst.memories.append(Memory._new(mt, store))
    for tab in syn.tables:
        tt = dataclasses.replace(tab.type, elem=resolve_valtype(tab.type.elem, deftypes))
        init = consteval.evaluate(tab.init, inst) if tab.init is not None else None
        inst.tables.append(Table._new(tt, init, store))

    # exports
    spaces = {
        ExternKind.FUNC: inst.funcs, ExternKind.TABLE: inst.tables,
        ExternKind.MEMORY: inst.memories, ExternKind.GLOBAL: inst.globals,
        ExternKind.TAG: inst.tags,
    }
    for ex in syn.exports:
        inst._exports[ex.name] = spaces[ex.kind][ex.index]

    # 3. element segments
    for seg in syn.elems:
        refs = tuple(consteval.evaluate(e, inst) for e in seg.init)
        inst.elem_cells.append(CellType(refs))
    inst.data_cells = [CellType(d.init) for d in syn.datas]

    from ..compile.env import mem_init, table_init

    for i, seg in enumerate(syn.elems):
        if seg.mode is SegmentMode.ACTIVE:
            offset = consteval.evaluate(seg.offset, inst)
            refs = inst.elem_cells[i].cell_contents
            table_init(inst.tables[seg.table].elems, refs, offset, 0, len(refs))
            inst.elem_cells[i].cell_contents = ()
        elif seg.mode is SegmentMode.DECLARATIVE:
            inst.elem_cells[i].cell_contents = ()

    # 4. data segments
    for i, seg in enumerate(syn.datas):
        if seg.mode is SegmentMode.ACTIVE:
            offset = consteval.evaluate(seg.offset, inst)
            mem_init(inst.memories[seg.memory].data, seg.init, offset, 0, len(seg.init))
            inst.data_cells[i].cell_contents = b""

    # 5. start
    if syn.start is not None:
        from .call import invoke

        invoke(store, inst.funcs[syn.start].fn, ())
