"""The validator's rules for a restricted feature set.

With every proposal enabled, validation runs exactly as before and pays
nothing for feature switches. A restricted set (built once per set and
cached) validates a module in two steps:

1. :func:`check_module`, a pass over the module's declarations, rejects what
   a disabled proposal added at module level;
2. the usual validation then runs with a :class:`CodeValidator` subclass
   whose instruction set lacks the disabled instructions (and, without
   multi-value or extended-const, checks block types and constant
   expressions as before them), and a :class:`Resolver` subclass that
   rejects the value, reference and heap types of disabled proposals
   wherever instructions and locals name them.

The module may come from the decoder with every proposal enabled, or be
built by hand; either way the messages are InvalidErrors:

========================  =====================================================
proposal disabled         invalid
========================  =====================================================
any                       its instructions: "illegal opcode: <name> requires
                          <proposal>"
mutable-global            a mutable global imported or exported: "mutable
                          globals cannot be imported" / "... exported"
multi-value               a function type with several results, a block type
                          with parameters or several results: "invalid result
                          arity"
reference-types           more than one table: "multiple tables"; reference
                          value types, table element types other than
                          funcref, declarative element segments, element
                          expressions other than function references
bulk-memory-operations    passive data and element segments
multi-memory              more than one memory: "multiple memories"
memory64                  i64 address types of memories and tables
threads                   shared memories
custom-page-sizes         page sizes other than 64 KiB: "invalid custom page
                          size"
extended-const            arithmetic in constant expressions ("constant
                          expression required"); a global initialiser reading
                          a global that is not imported ("unknown global")
function-references       non-null and indexed reference types, table
                          initialisers; element segments of plain function
                          indices have type funcref again
gc                        struct, array, sub and recursive types; GC heap
                          types
custom-descriptors        descriptor clauses, exact types and imports (also
                          ``ref.null (exact ht)``); ``br_on_cast`` and
                          ``br_on_cast_fail`` need ``rt2 <: rt1`` again
exception-handling        tags, their imports and exports (unless
                          exception-handling-legacy); the ``exn`` heap types
simd                      ``v128``
shared-everything-threads shared types, heap types, globals and tables
========================  =====================================================
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Callable, Optional

from ..binary.proposals import (
    BULK_MEMORY,
    CUSTOM_DESCRIPTORS,
    CUSTOM_PAGE_SIZES,
    ELEM_EXPR_OPS,
    EXTENDED_CONST,
    FUNCTION_REFERENCES,
    GC,
    LEGACY_EXCEPTIONS,
    MEMORY64,
    MULTI_MEMORY,
    MULTI_VALUE,
    MUTABLE_GLOBAL,
    OP_NEEDS,
    REFERENCE_TYPES,
    SHARED_EVERYTHING,
    THREADS,
    cached_rules,
    heap_missing,
    missing,
    ref_missing,
    table_elem_missing,
    type_name,
    val_missing,
)
from ..errors import InvalidError
from ..syntax.module import Elem, Module, SegmentMode
from ..syntax.opcodes import Op
from ..syntax.types import (
    FUNCREF,
    AbsHeapType,
    ExternKind,
    FuncType,
    MemType,
    PackedType,
    RefType,
    StructType,
    TableType,
)
from .code import CONST_OPS, HANDLERS, CodeValidator
from .context import Resolver
from .signatures import SIMPLE

_REF_FUNC = RefType(False, AbsHeapType.FUNC)

#: The arithmetic that extended-const allows in constant expressions.
_EXTENDED_CONST_OPS = frozenset({
    Op.I32_ADD, Op.I32_SUB, Op.I32_MUL, Op.I64_ADD, Op.I64_SUB, Op.I64_MUL,
})
_BLOCK_OPS = (Op.BLOCK, Op.LOOP, Op.IF, Op.TRY, Op.TRY_TABLE)


@dataclass(frozen=True, slots=True)
class ValidRules:
    """How to validate under a restricted feature set."""

    enabled: frozenset
    #: validates function bodies and constant expressions
    validator: type
    #: validates the expressions of element segments
    elem_validator: type
    #: resolves (and checks) the types that instructions and locals name
    resolver: type

    def globals_limit(self, n_imported: int, n_defined_before: int) -> int:
        """How many globals a global's initialiser may read."""
        return n_defined_before if EXTENDED_CONST in self.enabled else n_imported

    def elem_type(self, e: Elem) -> RefType:
        """An element segment's type: segments of plain function indices
        hold funcref, not (ref func), before typed function references."""
        if e.type == _REF_FUNC and FUNCTION_REFERENCES not in self.enabled:
            return FUNCREF
        return e.type


_BY_ARGUMENT: dict[frozenset, Optional[ValidRules]] = {}


def valid_rules(features: Optional[Iterable[str]]) -> Optional[ValidRules]:
    """The rules of a feature set, or None when every proposal is enabled."""
    return cached_rules(features, _BY_ARGUMENT, None, _rules)


@functools.lru_cache(maxsize=32)
def _rules(enabled: frozenset[str]) -> ValidRules:
    validator = _validator_class(enabled, elem=False)
    elem_validator = validator
    if REFERENCE_TYPES not in enabled:
        elem_validator = _validator_class(enabled, elem=True)
    resolver = type("FeatureResolver", (_FeatureResolver,), {"__slots__": (), "enabled": enabled})
    return ValidRules(enabled, validator, elem_validator, resolver)


# --- instructions ------------------------------------------------------------------


def _disabled(op: Op, proposal: str) -> Callable:
    message = f"illegal opcode: {op.text} requires {proposal}"

    def reject(v: CodeValidator, i: tuple) -> None:
        raise InvalidError(message)

    return reject


def _arity_checked(handler: Callable) -> Callable:
    """A block handler that first applies the rule before multi-value: a
    block type has no parameters and at most one result."""

    def check(v: CodeValidator, i: tuple) -> None:
        bt = i[1]
        if type(bt) is int:
            ft = v.res.functype(bt).comp
            if ft.params or len(ft.results) > 1:
                raise InvalidError("invalid result arity: block types with parameters or "
                                   "several results require multi-value")
        handler(v, i)

    return check


def _validator_class(enabled: frozenset[str], elem: bool) -> type:
    """A CodeValidator without the instructions of disabled proposals.

    ``elem``: for element segment expressions without reference types:
    ``ref.func x`` (function indices, Wasm 1.0) and, with bulk memory, the
    element expression ``ref.null func``.
    """
    elem_ops = frozenset()
    if elem:
        elem_ops = ELEM_EXPR_OPS if BULK_MEMORY in enabled else frozenset({Op.REF_FUNC})
    simple = dict(SIMPLE)
    handlers = dict(HANDLERS)
    for op, needs in OP_NEEDS.items():
        need = missing(needs, enabled)
        if need is not None and op not in elem_ops:
            simple.pop(op, None)
            handlers[op] = _disabled(op, need)
    if MULTI_VALUE not in enabled:
        for op in _BLOCK_OPS:
            handlers[op] = _arity_checked(handlers[op])
    if CUSTOM_DESCRIPTORS not in enabled:
        handlers[Op.REF_NULL] = _inexact_null(handlers[Op.REF_NULL], enabled)
    const_ops = CONST_OPS
    if EXTENDED_CONST not in enabled:
        const_ops = const_ops - _EXTENDED_CONST_OPS
    if elem:
        const_ops = elem_ops | {Op.END}
    attrs = {"simple": simple, "handlers": handlers, "const_ops": const_ops,
             "relaxed_casts": CUSTOM_DESCRIPTORS in enabled}
    return type("RestrictedCodeValidator", (CodeValidator,), attrs)


def _inexact_null(handler: Callable, enabled: frozenset[str]) -> Callable:
    """``ref.null`` before custom descriptors: no exact form."""
    need = missing((GC, CUSTOM_DESCRIPTORS), enabled)

    def check(v: CodeValidator, i: tuple) -> None:
        if len(i) > 2:
            raise InvalidError(f"invalid reference type: an exact null of {type_name(i[1])} "
                               f"requires {need}")
        handler(v, i)

    return check


# --- types named by instructions and locals ------------------------------------------


class _FeatureResolver(Resolver):
    """A Resolver that rejects the types of disabled proposals."""

    __slots__ = ()
    enabled: frozenset = frozenset()

    def val(self, t: object) -> object:
        need = val_missing(t, self.enabled)
        if need is not None:
            raise InvalidError(f"invalid value type: {type_name(t)} requires {need}")
        return super().val(t)

    def ref(self, t: RefType) -> RefType:
        # A reference type in a reference position (a table's element type,
        # a cast's target): funcref alone predates reference types.
        if type(t) is RefType:
            need = ref_missing(t, self.enabled)
            if need is not None:
                raise InvalidError(f"invalid reference type: {type_name(t)} requires {need}")
        return super().ref(t)

    def heap(self, h: object) -> object:
        need = heap_missing(h, self.enabled)
        if need is not None:
            raise InvalidError(f"invalid heap type: {type_name(h)} requires {need}")
        return super().heap(h)


# --- module declarations ---------------------------------------------------------


def _check_val(t: object, enabled: frozenset[str]) -> None:
    need = val_missing(t, enabled)
    if need is not None:
        raise InvalidError(f"invalid value type: {type_name(t)} requires {need}")


def _check_types(module: Module, enabled: frozenset[str]) -> None:
    gc = GC in enabled
    if not gc and any(len(group.subtypes) > 1 for _, group in module.rec_groups):
        raise InvalidError("invalid type definition: recursion groups require gc")
    for sub in module.types:
        comp = sub.comp
        if getattr(comp, "shared", False) and SHARED_EVERYTHING not in enabled:
            raise InvalidError("invalid type definition: shared types require shared-everything-threads")
        if not gc:
            if type(comp) is not FuncType:
                kind = "struct" if type(comp) is StructType else "array"
                raise InvalidError(f"invalid type definition: {kind} types require gc")
            if not sub.final or sub.supertypes:
                raise InvalidError("invalid type definition: subtyping requires gc")
            if sub.describes is not None or sub.descriptor is not None:
                raise InvalidError("invalid type definition: descriptors require gc")
        elif CUSTOM_DESCRIPTORS not in enabled and (sub.describes is not None
                                                    or sub.descriptor is not None):
            raise InvalidError("invalid type definition: descriptors require custom-descriptors")
        if type(comp) is FuncType:
            if len(comp.results) > 1 and MULTI_VALUE not in enabled:
                raise InvalidError("invalid result arity: several results require multi-value")
            for t in comp.params + comp.results:
                _check_val(t, enabled)
        else:
            fields = comp.fields if hasattr(comp, "fields") else (comp.field,)
            for f in fields:
                if type(f.storage) is not PackedType:
                    _check_val(f.storage, enabled)


def _check_table(tt: TableType, enabled: frozenset[str]) -> None:
    if type(tt) is not TableType:
        return  # the validator reports the malformed structure
    need = table_elem_missing(tt.elem, enabled)
    if need is not None:
        raise InvalidError(f"invalid table type: element type {type_name(tt.elem)} requires {need}")
    if tt.addr64 and MEMORY64 not in enabled:
        raise InvalidError("invalid table type: i64 addresses require memory64")
    if tt.shared and SHARED_EVERYTHING not in enabled:
        raise InvalidError("invalid table type: shared tables require shared-everything-threads")


def _check_memory(mt: MemType, enabled: frozenset[str]) -> None:
    if type(mt) is not MemType:
        return
    if mt.addr64 and MEMORY64 not in enabled:
        raise InvalidError("invalid memory type: i64 addresses require memory64")
    if mt.shared and THREADS not in enabled:
        raise InvalidError("invalid memory type: shared memories require threads")
    if mt.page_size_log2 != 16 and CUSTOM_PAGE_SIZES not in enabled:
        raise InvalidError("invalid custom page size: page sizes require custom-page-sizes")


def _check_shared_global(gt: object, enabled: frozenset[str]) -> None:
    if getattr(gt, "shared", False) and SHARED_EVERYTHING not in enabled:
        raise InvalidError("invalid global type: shared globals require shared-everything-threads")


def _check_tags_enabled(enabled: frozenset[str]) -> None:
    if LEGACY_EXCEPTIONS not in enabled:
        raise InvalidError("invalid tag: tags require exception-handling")


def check_module(module: Module, rules: ValidRules) -> None:
    """Reject the module-level constructs of disabled proposals."""
    enabled = rules.enabled
    _check_types(module, enabled)
    tables = mems = 0
    mutable_globals: list[bool] = []
    for imp in module.imports:
        kind, desc = imp.kind, imp.desc
        if kind == ExternKind.FUNC:
            need = missing((GC, CUSTOM_DESCRIPTORS), enabled) if imp.exact else None
            if need is not None:
                raise InvalidError(f"invalid import: exact function imports require {need}")
        elif kind == ExternKind.TABLE:
            _check_table(desc, enabled)
            tables += 1
        elif kind == ExternKind.MEMORY:
            _check_memory(desc, enabled)
            mems += 1
        elif kind == ExternKind.GLOBAL:
            mutable = bool(getattr(desc, "mutable", False))
            if mutable and MUTABLE_GLOBAL not in enabled:
                raise InvalidError("mutable globals cannot be imported")
            _check_shared_global(desc, enabled)
            _check_val(getattr(desc, "valtype", None), enabled)
            mutable_globals.append(mutable)
        elif kind == ExternKind.TAG:
            _check_tags_enabled(enabled)
    for table in module.tables:
        _check_table(table.type, enabled)
        if table.init is not None and FUNCTION_REFERENCES not in enabled:
            raise InvalidError("invalid table: initialiser expressions require function-references")
    if tables + len(module.tables) > 1 and REFERENCE_TYPES not in enabled:
        raise InvalidError("multiple tables")
    for mt in module.mems:
        _check_memory(mt, enabled)
    if mems + len(module.mems) > 1 and MULTI_MEMORY not in enabled:
        raise InvalidError("multiple memories")
    if module.tags:
        _check_tags_enabled(enabled)
    for g in module.globals:
        _check_val(g.type.valtype, enabled)
        _check_shared_global(g.type, enabled)
        mutable_globals.append(g.type.mutable)
    for ex in module.exports:
        if ex.kind == ExternKind.TAG:
            _check_tags_enabled(enabled)
        elif (ex.kind == ExternKind.GLOBAL and MUTABLE_GLOBAL not in enabled
              and 0 <= ex.index < len(mutable_globals) and mutable_globals[ex.index]):
            raise InvalidError("mutable globals cannot be exported")
    for e in module.elems:
        if e.mode == SegmentMode.PASSIVE and BULK_MEMORY not in enabled:
            raise InvalidError("invalid element segment: passive segments require bulk-memory-operations")
        if e.mode == SegmentMode.DECLARATIVE and REFERENCE_TYPES not in enabled:
            raise InvalidError("invalid element segment: declarative segments require reference-types")
        rt = rules.elem_type(e)
        need = table_elem_missing(rt, enabled) if type(rt) is RefType else None
        if need is not None:
            raise InvalidError(f"invalid element segment: element type {type_name(rt)} requires {need}")
    for d in module.datas:
        if d.mode == SegmentMode.PASSIVE and BULK_MEMORY not in enabled:
            raise InvalidError("invalid data segment: passive segments require bulk-memory-operations")
