"""Module validation: builds the context from the module's definitions and
checks every definition against it, in the order the specification's
module rule describes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Optional

from ..errors import InvalidError
from ..syntax.module import Module, SegmentMode
from ..syntax.opcodes import Op
from ..syntax.types import (
    I32,
    I64,
    ExternKind,
    FuncType,
    GlobalType,
    Limits,
    MemType,
    RefType,
    TableType,
    TagType,
)
from .canon import canonicalize
from .code import CodeValidator
from .context import FuncInfo, ModuleInfo, Resolver
from .features import ValidRules, check_module, valid_rules
from .shared import shared_deftype_ok
from .subtyping import TagDesc, ref_sub, shareable

_MAX_PAGE_LOG2 = 16


def _check_limits(lim: Limits, bound: int, what: str) -> None:
    if lim.max is not None and lim.min > lim.max:
        raise InvalidError("size minimum must not be greater than maximum")
    if lim.min > bound or (lim.max is not None and lim.max > bound):
        raise InvalidError(what)


def _check_memtype(mt: MemType) -> None:
    if type(mt) is not MemType:
        raise InvalidError("malformed memory type")
    if mt.page_size_log2 not in (0, _MAX_PAGE_LOG2):
        raise InvalidError("invalid custom page size")
    bits = 64 if mt.addr64 else 32
    # The byte size must fit the address space; with 1-byte pages the last
    # address must stay representable, hence one page less.
    bound = (1 << bits) >> mt.page_size_log2
    if mt.page_size_log2 == 0:
        bound -= 1
    if mt.addr64:
        what = f"memory size must be at most {bound} pages"
    elif mt.page_size_log2 == _MAX_PAGE_LOG2:
        what = "memory size must be at most 65536 pages (4GiB)"
    else:
        what = f"memory size must be at most {bound} pages"
    _check_limits(mt.limits, bound, what)
    if mt.shared and mt.limits.max is None:
        raise InvalidError("shared memory must have maximum")


def _check_tabletype(tt: TableType, res: Resolver) -> TableType:
    if type(tt) is not TableType:
        raise InvalidError("malformed table type")
    bits = 64 if tt.addr64 else 32
    _check_limits(tt.limits, (1 << bits) - 1, f"table size must be at most 2^{bits}-1 elements")
    elem = res.ref(tt.elem)
    if tt.shared and not shareable(elem):
        raise InvalidError("invalid type: shared tables must have a shared element type")
    return tt if elem is tt.elem else dataclasses.replace(tt, elem=elem)


def _check_globaltype(gt: GlobalType, res: Resolver) -> GlobalType:
    if type(gt) is not GlobalType:
        raise InvalidError("malformed global type")
    t = res.val(gt.valtype)
    if gt.shared and not shareable(t):
        raise InvalidError("invalid type: shared globals must have a shared value type")
    return gt if t is gt.valtype else dataclasses.replace(gt, valtype=t)


def _check_tagtype(tt: TagType, res: Resolver):
    if type(tt) is not TagType:
        raise InvalidError("malformed tag type")
    dt = res.functype(tt.typeidx)
    if dt.comp.results:
        raise InvalidError("non-empty tag result type")
    return dt


def _const_expr(
    info: ModuleInfo, res: Resolver, expr, t: object, globals_limit: Optional[int] = None,
    validator: type = CodeValidator, shared: bool = False,
) -> None:
    if not expr:
        raise InvalidError("constant expression required: empty expression")
    v = validator(info, res, [], set(), (t,), const=True, globals_limit=globals_limit, shared=shared)
    v.run(expr, (), (t,))


def _declared_refs(module: Module) -> frozenset:
    """C.refs: functions referenced outside function bodies."""
    refs = set()

    def scan(expr) -> None:
        if expr:
            for instr in expr:
                if instr[0] is Op.REF_FUNC:
                    refs.add(instr[1])

    for g in module.globals:
        scan(g.init)
    for t in module.tables:
        scan(t.init)
    for e in module.elems:
        scan(e.offset)
        for expr in e.init:
            scan(expr)
    for ex in module.exports:
        if ex.kind == ExternKind.FUNC:
            refs.add(ex.index)
    return frozenset(refs)


def _imports(module: Module, info: ModuleInfo, res: Resolver) -> None:
    inexact = []
    for imp in module.imports:
        kind, desc = imp.kind, imp.desc
        if kind == ExternKind.FUNC:
            dt = res.functype(desc)
            if not imp.exact:
                inexact.append(len(info.funcs))
            info.funcs.append(dt)
            info.imports.append(dt)
        elif kind == ExternKind.TABLE:
            tt = _check_tabletype(desc, res)  # type: ignore[arg-type]
            info.tables.append(tt)
            info.imports.append(tt)
        elif kind == ExternKind.MEMORY:
            _check_memtype(desc)  # type: ignore[arg-type]
            info.mems.append(desc)  # type: ignore[arg-type]
            info.imports.append(desc)  # type: ignore[arg-type]
        elif kind == ExternKind.GLOBAL:
            gt = _check_globaltype(desc, res)  # type: ignore[arg-type]
            info.globals.append(gt)
            info.imports.append(gt)
        elif kind == ExternKind.TAG:
            dt = _check_tagtype(desc, res)  # type: ignore[arg-type]
            info.tags.append(dt)
            info.imports.append(TagDesc(dt))
        else:
            raise InvalidError(f"malformed import kind {kind!r}")
    info.inexact_funcs = frozenset(inexact)
    info.n_imported_funcs = len(info.funcs)
    info.n_imported_tables = len(info.tables)
    info.n_imported_mems = len(info.mems)
    info.n_imported_globals = len(info.globals)
    info.n_imported_tags = len(info.tags)


def _function(
    info: ModuleInfo, res: Resolver, index: int, func, validator: type = CodeValidator
) -> FuncInfo:
    dt = info.funcs[info.n_imported_funcs + index]
    ft: FuncType = dt.comp
    declared = res.vals(tuple(func.locals))
    if dt.shared and not all(shareable(t) for t in declared):
        raise InvalidError("invalid type: the locals of a shared function must have shared types")
    locals_ = list(ft.params) + list(declared)
    base = len(ft.params)
    unset = {
        base + k for k, t in enumerate(declared) if type(t) is RefType and not t.nullable
    }
    v = validator(info, res, locals_, unset, ft.results, shared=dt.shared)
    v.run(func.body, (), ft.results)
    return FuncInfo(dt, ft.params, ft.results, declared)


def _validate(module: Module, rules: Optional[ValidRules] = None) -> ModuleInfo:
    validator = elem_validator = CodeValidator
    if rules is not None:
        check_module(module, rules)
        validator, elem_validator = rules.validator, rules.elem_validator
    info = ModuleInfo()
    info.types = canonicalize(module)
    for dt in info.types:
        if dt.shared:
            shared_deftype_ok(dt)
    res = (Resolver if rules is None else rules.resolver)(info.types)
    _imports(module, info, res)

    # The context C' of the spec: functions and declared references are
    # known to every definition; globals only to those after them.
    for f in module.funcs:
        info.funcs.append(res.functype(f.typeidx))
    info.refs = _declared_refs(module)
    for tag in module.tags:
        info.tags.append(_check_tagtype(tag, res))

    for g in module.globals:
        gt = _check_globaltype(g.type, res)
        limit = len(info.globals)
        if rules is not None:
            limit = rules.globals_limit(info.n_imported_globals, limit)
        _const_expr(info, res, g.init, gt.valtype, limit, validator, gt.shared)
        info.globals.append(gt)

    for mt in module.mems:
        _check_memtype(mt)
        info.mems.append(mt)

    for table in module.tables:
        tt = _check_tabletype(table.type, res)
        if table.init is not None:
            # Table initialisers see only the imported globals (context C').
            _const_expr(info, res, table.init, tt.elem, info.n_imported_globals, validator, tt.shared)
        elif not tt.elem.nullable:
            raise InvalidError("type mismatch: non-nullable table requires an initialiser")
        info.tables.append(tt)

    info.n_datas = len(module.datas)
    for e in module.elems:
        info.elems.append(res.ref(e.type if rules is None else rules.elem_type(e)))

    for k, func in enumerate(module.funcs):
        info.code.append(_function(info, res, k, func, validator))

    for d in module.datas:
        if d.mode == SegmentMode.ACTIVE:
            m = _mem(info, d.memory)
            _const_expr(info, res, d.offset, I64 if m.addr64 else I32, validator=validator)

    for k, e in enumerate(module.elems):
        rt = info.elems[k]
        # a segment of shared references is initialised in a shared context
        shared = type(rt) is RefType and shareable(rt) and _is_shared_heap(rt.heap)
        for expr in e.init:
            _const_expr(info, res, expr, rt, validator=elem_validator, shared=shared)
        if e.mode == SegmentMode.ACTIVE:
            tables = info.tables
            if not 0 <= e.table < len(tables):
                raise InvalidError(f"unknown table {e.table}")
            tt = tables[e.table]
            if not ref_sub(rt, tt.elem):
                raise InvalidError("type mismatch: element segment does not match its table")
            _const_expr(info, res, e.offset, I64 if tt.addr64 else I32, validator=validator)

    if module.start is not None:
        x = module.start
        if not 0 <= x < len(info.funcs):
            raise InvalidError(f"unknown function {x}")
        ft = info.funcs[x].comp
        if ft.params or ft.results:
            raise InvalidError("start function must have type [] -> []")

    sizes = {
        ExternKind.FUNC: len(info.funcs),
        ExternKind.TABLE: len(info.tables),
        ExternKind.MEMORY: len(info.mems),
        ExternKind.GLOBAL: len(info.globals),
        ExternKind.TAG: len(info.tags),
    }
    names = {ExternKind.FUNC: "function", ExternKind.TABLE: "table",
             ExternKind.MEMORY: "memory", ExternKind.GLOBAL: "global", ExternKind.TAG: "tag"}
    for ex in module.exports:
        if ex.kind not in sizes:
            raise InvalidError(f"malformed export kind {ex.kind!r}")
        if not 0 <= ex.index < sizes[ex.kind]:
            raise InvalidError(f"unknown {names[ex.kind]} {ex.index}")
        if ex.name in info.exports:
            raise InvalidError("duplicate export name")
        info.exports[ex.name] = (ex.kind, ex.index)
    return info


def _is_shared_heap(h: object) -> bool:
    return getattr(h, "shared", False) is True


def _mem(info: ModuleInfo, x: int) -> MemType:
    if not 0 <= x < len(info.mems):
        raise InvalidError(f"unknown memory {x}")
    return info.mems[x]


def validate_module(module: Module, features: Optional[Iterable[str]] = None,
                    strict_custom: bool = False) -> ModuleInfo:
    """Validate a decoded module; return its :class:`ModuleInfo`.

    ``features`` is a collection of proposal names (see
    :mod:`engine.binary.proposals`) or None for all of them: whatever a
    disabled proposal allowed is invalid, as it was before that proposal
    (see :mod:`engine.valid.features`).

    Raises :class:`~engine.errors.InvalidError` for any invalid module; no
    other exception escapes for a module the decoder can produce (a module
    assembled by hand with ill-shaped parts also gets an InvalidError). A
    bad ``features`` argument is a :class:`~engine.errors.UsageError`.

    Branch hints (``module.branch_hints``) must name ``if`` or ``br_if``
    instructions; when one does not, the hints are dropped (noted in
    ``module.branch_hint_error``), or with ``strict_custom`` the module is
    invalid (see :mod:`engine.binary.hints`).
    """
    rules = None if features is None else valid_rules(features)
    try:
        info = _validate(module, rules)
        if module.branch_hints:
            _check_branch_hints(module, strict_custom)
        return info
    except InvalidError:
        raise
    except (AttributeError, IndexError, KeyError, TypeError, ValueError) as exc:
        raise InvalidError(f"malformed module structure: {type(exc).__name__}: {exc}") from exc
    except RecursionError as exc:
        raise InvalidError("module too deeply nested to validate") from exc


#: The instructions a branch hint may stand on.
_HINTED = frozenset({Op.IF, Op.BR_IF})


def _check_branch_hints(module: Module, strict: bool) -> None:
    first = len(module.imports_of(ExternKind.FUNC))
    funcs = module.funcs
    problem = None
    for funcidx, hints in module.branch_hints.items():
        k = funcidx - first
        body = funcs[k].body if 0 <= k < len(funcs) else ()
        for h in hints:
            if not (0 <= h.index < len(body) and body[h.index][0] in _HINTED):
                problem = f"the instruction at offset {h.offset} of function {funcidx} is not an if or br_if"
                break
        if problem:
            break
    if problem is None:
        return
    if strict:
        raise InvalidError(f"invalid branch hint: {problem}")
    module.branch_hints = {}
    module.branch_hint_error = problem
