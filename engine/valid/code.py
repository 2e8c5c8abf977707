"""Validation of instruction sequences: function bodies and constant
expressions.

The algorithm is the one of the specification's appendix: an operand stack
of value types (``None`` is the unknown type of unreachable code) and a
stack of control frames. Plain numeric and vector instructions are checked
against precomputed signatures inline in the main loop; every other opcode
has a small handler in :data:`HANDLERS`.

Local initialisation (non-defaultable locals) is tracked with a set of the
locals still unset and an undo log that every frame rewinds at its end.
"""

from __future__ import annotations

from typing import Callable, Optional

from ..errors import InvalidError
from ..syntax.opcodes import CatchKind, Op
from ..syntax.types import (
    EXNREF,
    I32,
    I64,
    AbsHeapType,
    ArrayType,
    FuncType,
    NumType,
    PackedType,
    RefType,
    StructType,
    VecType,
)
from .canon import DefType
from .context import ModuleInfo, Resolver, blocktype
from .signatures import LANES, MEMORY, SIMPLE
from .subtyping import BOT, bottom_heap, ref_sub, results_sub, top_heap, val_sub

# Frame kinds.
BLOCK, LOOP, IF, ELSE, TRY_TABLE, TRY, CATCH, CATCH_ALL, FUNC = range(9)

_FUNCREF = RefType(True, AbsHeapType.FUNC)
_SHARED_FUNCREF = RefType(True, AbsHeapType.SHARED_FUNC)
_REF_EXN = RefType(False, AbsHeapType.EXN)
_BOT_REF = RefType(False, BOT)


def _mismatch(detail: str = "") -> InvalidError:
    return InvalidError("type mismatch" + (": " + detail if detail else ""))


def _unshared(what: str) -> InvalidError:
    return InvalidError(f"invalid type: shared functions cannot access unshared {what}")


class Frame:
    """A control frame: its kind, block type, operand-stack height, whether
    the rest of it is unreachable, and the local-init undo log height."""

    __slots__ = ("kind", "start", "end", "height", "unreachable", "init_height")

    def __init__(self, kind: int, start: tuple, end: tuple, height: int, init_height: int):
        self.kind = kind
        self.start = start
        self.end = end
        self.height = height
        self.unreachable = False
        self.init_height = init_height

    @property
    def labels(self) -> tuple:
        return self.start if self.kind == LOOP else self.end


def unpack(z: object) -> object:
    """The value type of a storage type (packed types read as i32)."""
    return I32 if type(z) is PackedType else z


Handler = Callable[["CodeValidator", tuple], None]
#: Op -> handler, for every instruction not checked inline by ``run``.
HANDLERS: dict[Op, Handler] = {}

#: The instructions allowed in constant expressions (global.get is further
#: restricted to immutable globals by its handler).
CONST_OPS = frozenset({
    Op.I32_CONST, Op.I64_CONST, Op.F32_CONST, Op.F64_CONST, Op.V128_CONST,
    Op.REF_NULL, Op.REF_I31, Op.REF_I31_SHARED, Op.REF_FUNC, Op.STRUCT_NEW, Op.STRUCT_NEW_DEFAULT,
    Op.ARRAY_NEW, Op.ARRAY_NEW_DEFAULT, Op.ARRAY_NEW_FIXED,
    Op.ANY_CONVERT_EXTERN, Op.EXTERN_CONVERT_ANY, Op.GLOBAL_GET,
    Op.I32_ADD, Op.I32_SUB, Op.I32_MUL, Op.I64_ADD, Op.I64_SUB, Op.I64_MUL,
    Op.END,
} | {Op[name] for name in ("STRUCT_NEW_DESC", "STRUCT_NEW_DEFAULT_DESC") if name in Op.__members__})


class CodeValidator:
    """Validates one instruction sequence against a context.

    ``globals_limit`` restricts the globals a constant expression may read;
    ``const`` switches on the constant-expression rules.

    The class attributes ``simple``, ``handlers`` and ``const_ops`` are the
    instruction set, ``relaxed_casts`` the custom-descriptors cast rule; a
    restricted feature set validates with a subclass that overrides them
    (see :mod:`engine.valid.features`).
    """

    simple: dict = SIMPLE
    handlers: dict = HANDLERS
    const_ops: frozenset = CONST_OPS
    #: ``br_on_cast``/``br_on_cast_fail`` need only a common supertype of
    #: their two types (custom descriptors), not ``rt2 <: rt1`` (Wasm 3.0).
    relaxed_casts: bool = True

    def __init__(
        self,
        info: ModuleInfo,
        resolver: Resolver,
        locals_: list,
        unset: set,
        results: tuple,
        const: bool = False,
        globals_limit: Optional[int] = None,
        shared: bool = False,
    ):
        self.info = info
        #: a shared context (shared-everything-threads): a shared function, or
        #: the initialiser of a shared global, table or element segment, which
        #: may use only shared functions, globals, tables, memories, tags and
        #: types
        self.shared = shared
        self.res = resolver
        self.locals = locals_
        self.unset = unset
        self.init_log: list[int] = []
        self.vals: list = []
        self.ctrls: list[Frame] = []
        self.results = results
        self.const = const
        self.globals_limit = len(info.globals) if globals_limit is None else globals_limit

    # --- operand stack ---------------------------------------------------------

    def pop(self) -> object:
        vals = self.vals
        frame = self.ctrls[-1]
        if len(vals) == frame.height:
            if frame.unreachable:
                return None
            raise _mismatch("instruction requires an operand but the stack is empty")
        return vals.pop()

    def pop_expect(self, expect: object) -> object:
        """Pop an operand matching ``expect``; returns it (None if unknown)."""
        vals = self.vals
        frame = self.ctrls[-1]
        if len(vals) == frame.height:
            if frame.unreachable:
                return None
            raise _mismatch(f"instruction requires [{expect}] but stack has []")
        actual = vals.pop()
        if actual is expect or actual is None:
            return actual
        if not val_sub(actual, expect):
            raise _mismatch(f"instruction requires [{expect}] but stack has [{actual}]")
        return actual

    def pop_vals(self, types: tuple) -> list:
        """Pop operands matching ``types`` (bottom to top); returns them."""
        n = len(types)
        if not n:
            return []
        vals = self.vals
        h = len(vals) - n
        if h >= self.ctrls[-1].height and vals[h:] == list(types):
            # Exact matches need no subtyping: the common case.
            popped = vals[h:]
            del vals[h:]
            return popped
        popped = [None] * n
        for i in range(len(types) - 1, -1, -1):
            popped[i] = self.pop_expect(types[i])
        return popped

    def pop_ref(self) -> RefType:
        t = self.pop()
        if t is None:
            return _BOT_REF
        if type(t) is not RefType:
            raise _mismatch(f"instruction requires a reference but stack has [{t}]")
        return t  # type: ignore[return-value]

    def push_vals(self, types) -> None:
        self.vals.extend(types)

    # --- control stack ---------------------------------------------------------

    def push_ctrl(self, kind: int, start: tuple, end: tuple) -> None:
        self.ctrls.append(Frame(kind, start, end, len(self.vals), len(self.init_log)))
        self.vals.extend(start)

    def pop_ctrl(self) -> Frame:
        if not self.ctrls:
            raise InvalidError("unexpected end of function: no open block")
        frame = self.ctrls[-1]
        self.pop_vals(frame.end)
        if len(self.vals) != frame.height:
            extra = " ".join(map(str, self.vals[frame.height:]))
            expected = " ".join(map(str, frame.end))
            raise _mismatch(f"block requires [{expected}] but stack has [{extra}]")
        self.ctrls.pop()
        self._rewind_inits(frame.init_height)
        return frame

    def _rewind_inits(self, height: int) -> None:
        log = self.init_log
        if len(log) > height:
            self.unset.update(log[height:])
            del log[height:]

    def unreachable(self) -> None:
        frame = self.ctrls[-1]
        del self.vals[frame.height:]
        frame.unreachable = True

    def label(self, n: object) -> Frame:
        ctrls = self.ctrls
        if type(n) is not int or not 0 <= n < len(ctrls):
            raise InvalidError(f"unknown label {n}")
        return ctrls[-1 - n]

    # --- index spaces ----------------------------------------------------------

    def local(self, x: object) -> object:
        if type(x) is not int or not 0 <= x < len(self.locals):
            raise InvalidError(f"unknown local {x}")
        return self.locals[x]

    def global_(self, x: object):
        if type(x) is not int or not 0 <= x < self.globals_limit:
            raise InvalidError(f"unknown global {x}")
        g = self.info.globals[x]
        if self.shared and not g.shared:
            raise _unshared("globals")
        return g

    def func(self, x: object) -> DefType:
        funcs = self.info.funcs
        if type(x) is not int or not 0 <= x < len(funcs):
            raise InvalidError(f"unknown function {x}")
        dt = funcs[x]
        if self.shared and not dt.shared:
            raise _unshared("functions")
        return dt

    def table(self, x: object):
        tables = self.info.tables
        if type(x) is not int or not 0 <= x < len(tables):
            raise InvalidError(f"unknown table {x}")
        t = tables[x]
        if self.shared and not t.shared:
            raise _unshared("tables")
        return t

    def mem(self, x: object):
        mems = self.info.mems
        if type(x) is not int or not 0 <= x < len(mems):
            raise InvalidError(f"unknown memory {x}")
        m = mems[x]
        if self.shared and not m.shared:
            raise _unshared("memories")
        return m

    def tag(self, x: object) -> DefType:
        tags = self.info.tags
        if type(x) is not int or not 0 <= x < len(tags):
            raise InvalidError(f"unknown tag {x}")
        dt = tags[x]
        if self.shared and not dt.shared:
            raise _unshared("tags")
        return dt

    def shared_type(self, dt: DefType, what: str) -> DefType:
        """``dt``, if a shared context may use it."""
        if self.shared and not dt.shared:
            raise _unshared(what)
        return dt

    def elem(self, x: object) -> RefType:
        elems = self.info.elems
        if type(x) is not int or not 0 <= x < len(elems):
            raise InvalidError(f"unknown elem segment {x}")
        return elems[x]

    def data(self, x: object) -> None:
        if type(x) is not int or not 0 <= x < self.info.n_datas:
            raise InvalidError(f"unknown data segment {x}")

    def struct(self, x: object) -> DefType:
        dt = self.res.deftype(x)
        if type(dt.comp) is not StructType:
            raise _mismatch(f"type {x} is not a struct type")
        return self.shared_type(dt, "structs") if self.shared else dt

    def array(self, x: object) -> DefType:
        dt = self.res.deftype(x)
        if type(dt.comp) is not ArrayType:
            raise _mismatch(f"type {x} is not an array type")
        return self.shared_type(dt, "arrays") if self.shared else dt

    # --- the main loop -----------------------------------------------------------

    def run(self, body, params: tuple, results: tuple) -> None:
        """Validate ``body`` (ending with its END) as a block ``params -> results``."""
        self.ctrls.append(Frame(FUNC, params, results, 0, 0))
        vals = self.vals
        ctrls = self.ctrls
        simple = self.simple
        handlers = self.handlers
        const_ops = self.const_ops
        const = self.const
        locals_ = self.locals
        nlocals = len(locals_)
        unset = self.unset
        LOCAL_GET, LOCAL_SET, LOCAL_TEE = Op.LOCAL_GET, Op.LOCAL_SET, Op.LOCAL_TEE
        for instr in body:
            if not ctrls:
                raise InvalidError("operators remaining after end of function")
            op = instr[0]
            if const and op not in const_ops:
                raise InvalidError("constant expression required")
            sig = simple.get(op)
            if sig is not None:
                pops, pushes = sig
                n = len(pops)
                h = len(vals) - n
                if h >= ctrls[-1].height and vals[h:] == pops:
                    del vals[h:]
                    vals += pushes
                    continue
                for t in reversed(pops):
                    self.pop_expect(t)
                vals += pushes
                continue
            if op is LOCAL_GET:
                # The most frequent instructions of real code: checked inline
                # when the operand's type is exactly the local's.
                x = instr[1]
                if type(x) is int and 0 <= x < nlocals and x not in unset:
                    vals.append(locals_[x])
                    continue
            elif op is LOCAL_SET or op is LOCAL_TEE:
                x = instr[1]
                if (type(x) is int and 0 <= x < nlocals and x not in unset and len(vals) > ctrls[-1].height
                        and vals[-1] is locals_[x]):
                    if op is LOCAL_SET:
                        vals.pop()
                    continue
            handler = handlers.get(op)
            if handler is None:
                raise InvalidError(f"illegal opcode {op!r}")
            handler(self, instr)
        if ctrls:
            raise InvalidError("END opcode expected")


# --- handlers ---------------------------------------------------------------------



def _on(*ops: Op):
    def register(fn: Handler) -> Handler:
        for op in ops:
            HANDLERS[op] = fn
        return fn

    return register


# Parametric and control.


@_on(Op.UNREACHABLE)
def _unreachable(v: CodeValidator, i: tuple) -> None:
    v.unreachable()


@_on(Op.DROP)
def _drop(v: CodeValidator, i: tuple) -> None:
    v.pop()


@_on(Op.SELECT)
def _select(v: CodeValidator, i: tuple) -> None:
    v.pop_expect(I32)
    t1 = v.pop()
    t2 = v.pop()
    for t in (t1, t2):
        if t is not None and type(t) not in (NumType, VecType):
            raise _mismatch("select without type requires numeric or vector operands")
    if t1 is not None and t2 is not None and t1 != t2:
        raise _mismatch(f"select operands differ: {t2} and {t1}")
    v.vals.append(t2 if t1 is None else t1)


@_on(Op.SELECT_T)
def _select_t(v: CodeValidator, i: tuple) -> None:
    types = i[1]
    if len(types) != 1:
        raise InvalidError("invalid result arity")
    t = v.res.val(types[0])
    v.pop_expect(I32)
    v.pop_expect(t)
    v.pop_expect(t)
    v.vals.append(t)


@_on(Op.BLOCK, Op.LOOP)
def _block(v: CodeValidator, i: tuple) -> None:
    if i[1] is None:
        v.ctrls.append(Frame(LOOP if i[0] == Op.LOOP else BLOCK, (), (), len(v.vals), len(v.init_log)))
        return
    params, results = blocktype(v.res, i[1])
    v.pop_vals(params)
    v.push_ctrl(LOOP if i[0] == Op.LOOP else BLOCK, params, results)


@_on(Op.IF)
def _if(v: CodeValidator, i: tuple) -> None:
    params, results = blocktype(v.res, i[1])
    v.pop_expect(I32)
    v.pop_vals(params)
    v.push_ctrl(IF, params, results)


@_on(Op.ELSE)
def _else(v: CodeValidator, i: tuple) -> None:
    if not v.ctrls or v.ctrls[-1].kind != IF:
        raise InvalidError("else without matching if")
    frame = v.pop_ctrl()
    v.push_ctrl(ELSE, frame.start, frame.end)


@_on(Op.END)
def _end(v: CodeValidator, i: tuple) -> None:
    ctrls = v.ctrls
    if not ctrls:
        raise InvalidError("unexpected end")
    frame = ctrls[-1]
    if not frame.end and frame.kind != IF and len(v.vals) == frame.height and len(ctrls) > 1:
        # A block without results whose stack is balanced: nothing to check.
        ctrls.pop()
        if len(v.init_log) > frame.init_height:
            v._rewind_inits(frame.init_height)
        return
    if frame.kind == IF:
        # An if without else has an implicit empty else branch, which must
        # turn the block's parameters into its results.
        frame = v.pop_ctrl()
        v.push_ctrl(ELSE, frame.start, frame.end)
    frame = v.pop_ctrl()
    if v.ctrls:
        v.push_vals(frame.end)


@_on(Op.BR)
def _br(v: CodeValidator, i: tuple) -> None:
    v.pop_vals(v.label(i[1]).labels)
    v.unreachable()


@_on(Op.BR_IF)
def _br_if(v: CodeValidator, i: tuple) -> None:
    labels = v.label(i[1]).labels
    v.pop_expect(I32)
    v.pop_vals(labels)
    v.push_vals(labels)


@_on(Op.BR_TABLE)
def _br_table(v: CodeValidator, i: tuple) -> None:
    targets, default = i[1], i[2]
    v.pop_expect(I32)
    default_labels = v.label(default).labels
    arity = len(default_labels)
    for n in targets:
        labels = v.label(n).labels
        if len(labels) != arity:
            raise _mismatch("br_table targets have different arities")
        v.push_vals(v.pop_vals(labels))
    v.pop_vals(default_labels)
    v.unreachable()


@_on(Op.RETURN)
def _return(v: CodeValidator, i: tuple) -> None:
    v.pop_vals(v.results)
    v.unreachable()


def _call_sig(v: CodeValidator, ft: FuncType) -> None:
    v.pop_vals(ft.params)
    v.push_vals(ft.results)


def _tail_check(v: CodeValidator, ft: FuncType) -> None:
    if not results_sub(ft.results, v.results):
        raise _mismatch("tail call results do not match the caller's results")


@_on(Op.CALL)
def _call(v: CodeValidator, i: tuple) -> None:
    _call_sig(v, v.func(i[1]).comp)


@_on(Op.RETURN_CALL)
def _return_call(v: CodeValidator, i: tuple) -> None:
    ft = v.func(i[1]).comp
    _tail_check(v, ft)
    v.pop_vals(ft.params)
    v.unreachable()


def _indirect(v: CodeValidator, i: tuple) -> FuncType:
    table = v.table(i[2])
    ft = v.shared_type(v.res.functype(i[1]), "types").comp
    if not (ref_sub(table.elem, _FUNCREF) or ref_sub(table.elem, _SHARED_FUNCREF)):
        raise _mismatch("call_indirect requires a table of function references")
    v.pop_expect(I64 if table.addr64 else I32)
    return ft


@_on(Op.CALL_INDIRECT)
def _call_indirect(v: CodeValidator, i: tuple) -> None:
    _call_sig(v, _indirect(v, i))


@_on(Op.RETURN_CALL_INDIRECT)
def _return_call_indirect(v: CodeValidator, i: tuple) -> None:
    ft = _indirect(v, i)
    _tail_check(v, ft)
    v.pop_vals(ft.params)
    v.unreachable()


def _call_ref_type(v: CodeValidator, i: tuple) -> FuncType:
    dt = v.shared_type(v.res.functype(i[1]), "types")
    v.pop_expect(RefType(True, dt))
    return dt.comp


@_on(Op.CALL_REF)
def _call_ref(v: CodeValidator, i: tuple) -> None:
    _call_sig(v, _call_ref_type(v, i))


@_on(Op.RETURN_CALL_REF)
def _return_call_ref(v: CodeValidator, i: tuple) -> None:
    ft = _call_ref_type(v, i)
    _tail_check(v, ft)
    v.pop_vals(ft.params)
    v.unreachable()


# Exceptions.


def _tag_params(v: CodeValidator, x: object) -> tuple:
    ft = v.tag(x).comp
    return ft.params


@_on(Op.THROW)
def _throw(v: CodeValidator, i: tuple) -> None:
    v.pop_vals(_tag_params(v, i[1]))
    v.unreachable()


@_on(Op.THROW_REF)
def _throw_ref(v: CodeValidator, i: tuple) -> None:
    v.pop_expect(EXNREF)
    v.unreachable()


@_on(Op.TRY_TABLE)
def _try_table(v: CodeValidator, i: tuple) -> None:
    params, results = blocktype(v.res, i[1])
    for kind, tag, label in i[2]:
        labels = v.label(label).labels
        if kind == CatchKind.CATCH:
            carried = _tag_params(v, tag)
        elif kind == CatchKind.CATCH_REF:
            carried = _tag_params(v, tag) + (_REF_EXN,)
        elif kind == CatchKind.CATCH_ALL:
            carried = ()
        else:
            carried = (_REF_EXN,)
        if not results_sub(carried, labels):
            raise _mismatch("catch clause does not match its label")
    v.pop_vals(params)
    v.push_ctrl(TRY_TABLE, params, results)


@_on(Op.TRY)
def _try(v: CodeValidator, i: tuple) -> None:
    params, results = blocktype(v.res, i[1])
    v.pop_vals(params)
    v.push_ctrl(TRY, params, results)


@_on(Op.CATCH)
def _catch(v: CodeValidator, i: tuple) -> None:
    if not v.ctrls or v.ctrls[-1].kind not in (TRY, CATCH):
        raise InvalidError("catch without matching try")
    carried = _tag_params(v, i[1])
    frame = v.pop_ctrl()
    v.push_ctrl(CATCH, (), frame.end)
    v.ctrls[-1].start = frame.start
    v.push_vals(carried)


@_on(Op.CATCH_ALL)
def _catch_all(v: CodeValidator, i: tuple) -> None:
    if not v.ctrls or v.ctrls[-1].kind not in (TRY, CATCH):
        raise InvalidError("catch_all without matching try")
    frame = v.pop_ctrl()
    v.push_ctrl(CATCH_ALL, (), frame.end)
    v.ctrls[-1].start = frame.start


@_on(Op.DELEGATE)
def _delegate(v: CodeValidator, i: tuple) -> None:
    if not v.ctrls or v.ctrls[-1].kind != TRY:
        raise InvalidError("delegate without matching try")
    frame = v.pop_ctrl()
    v.label(i[1])
    v.push_vals(frame.end)


@_on(Op.RETHROW)
def _rethrow(v: CodeValidator, i: tuple) -> None:
    frame = v.label(i[1])
    if frame.kind not in (CATCH, CATCH_ALL):
        raise InvalidError("invalid rethrow label")
    v.unreachable()


# Variables.


@_on(Op.LOCAL_GET)
def _local_get(v: CodeValidator, i: tuple) -> None:
    x = i[1]
    t = v.local(x)
    if x in v.unset:
        raise InvalidError(f"uninitialized local {x}")
    v.vals.append(t)


def _init_local(v: CodeValidator, x: int) -> None:
    if x in v.unset:
        v.unset.discard(x)
        v.init_log.append(x)


@_on(Op.LOCAL_SET)
def _local_set(v: CodeValidator, i: tuple) -> None:
    x = i[1]
    v.pop_expect(v.local(x))
    _init_local(v, x)


@_on(Op.LOCAL_TEE)
def _local_tee(v: CodeValidator, i: tuple) -> None:
    x = i[1]
    t = v.local(x)
    v.pop_expect(t)
    _init_local(v, x)
    v.vals.append(t)


@_on(Op.GLOBAL_GET)
def _global_get(v: CodeValidator, i: tuple) -> None:
    g = v.global_(i[1])
    if v.const and g.mutable:
        raise InvalidError("constant expression required")
    v.vals.append(g.valtype)


@_on(Op.GLOBAL_SET)
def _global_set(v: CodeValidator, i: tuple) -> None:
    g = v.global_(i[1])
    if not g.mutable:
        raise InvalidError("immutable global")
    v.pop_expect(g.valtype)


# Tables.


def _at(t) -> NumType:
    return I64 if t.addr64 else I32


@_on(Op.TABLE_GET)
def _table_get(v: CodeValidator, i: tuple) -> None:
    t = v.table(i[1])
    v.pop_expect(_at(t))
    v.vals.append(t.elem)


@_on(Op.TABLE_SET)
def _table_set(v: CodeValidator, i: tuple) -> None:
    t = v.table(i[1])
    v.pop_expect(t.elem)
    v.pop_expect(_at(t))


@_on(Op.TABLE_SIZE)
def _table_size(v: CodeValidator, i: tuple) -> None:
    v.vals.append(_at(v.table(i[1])))


@_on(Op.TABLE_GROW)
def _table_grow(v: CodeValidator, i: tuple) -> None:
    t = v.table(i[1])
    at = _at(t)
    v.pop_expect(at)
    v.pop_expect(t.elem)
    v.vals.append(at)


@_on(Op.TABLE_FILL)
def _table_fill(v: CodeValidator, i: tuple) -> None:
    t = v.table(i[1])
    at = _at(t)
    v.pop_expect(at)
    v.pop_expect(t.elem)
    v.pop_expect(at)


def _min_at(a: NumType, b: NumType) -> NumType:
    return I32 if I32 in (a, b) else I64


@_on(Op.TABLE_COPY)
def _table_copy(v: CodeValidator, i: tuple) -> None:
    dst, src = v.table(i[1]), v.table(i[2])
    if not ref_sub(src.elem, dst.elem):
        raise _mismatch("table.copy element types do not match")
    a1, a2 = _at(dst), _at(src)
    v.pop_expect(_min_at(a1, a2))
    v.pop_expect(a2)
    v.pop_expect(a1)


@_on(Op.TABLE_INIT)
def _table_init(v: CodeValidator, i: tuple) -> None:
    t = v.table(i[2])
    rt = v.elem(i[1])
    if not ref_sub(rt, t.elem):
        raise _mismatch("table.init element types do not match")
    v.pop_expect(I32)
    v.pop_expect(I32)
    v.pop_expect(_at(t))


@_on(Op.ELEM_DROP)
def _elem_drop(v: CodeValidator, i: tuple) -> None:
    v.elem(i[1])


# Memories.


def _memarg(v: CodeValidator, i: tuple) -> NumType:
    access = MEMORY[i[0]]
    align, offset, memidx = i[1], i[2], i[3]
    m = v.mem(memidx)
    if access.exact:
        if align != access.align:
            raise InvalidError("alignment must be exactly natural")
    elif align > access.align:
        raise InvalidError("alignment must not be larger than natural")
    if not m.addr64 and offset >= 1 << 32:
        raise InvalidError("offset out of range")
    at = I64 if m.addr64 else I32
    if access.lanes:
        lane = i[4]
        if lane >= access.lanes:
            raise InvalidError("invalid lane index")
    for t in reversed(access.pops):
        v.pop_expect(t)
    v.pop_expect(at)
    v.push_vals(access.pushes)
    return at


for _op in MEMORY:
    HANDLERS[_op] = _memarg  # type: ignore[assignment]


@_on(Op.MEMORY_SIZE)
def _memory_size(v: CodeValidator, i: tuple) -> None:
    v.vals.append(_at(v.mem(i[1])))


@_on(Op.MEMORY_GROW)
def _memory_grow(v: CodeValidator, i: tuple) -> None:
    at = _at(v.mem(i[1]))
    v.pop_expect(at)
    v.vals.append(at)


@_on(Op.MEMORY_FILL)
def _memory_fill(v: CodeValidator, i: tuple) -> None:
    at = _at(v.mem(i[1]))
    v.pop_expect(at)
    v.pop_expect(I32)
    v.pop_expect(at)


@_on(Op.MEMORY_COPY)
def _memory_copy(v: CodeValidator, i: tuple) -> None:
    a1, a2 = _at(v.mem(i[1])), _at(v.mem(i[2]))
    v.pop_expect(_min_at(a1, a2))
    v.pop_expect(a2)
    v.pop_expect(a1)


@_on(Op.MEMORY_INIT)
def _memory_init(v: CodeValidator, i: tuple) -> None:
    at = _at(v.mem(i[2]))
    v.data(i[1])
    v.pop_expect(I32)
    v.pop_expect(I32)
    v.pop_expect(at)


@_on(Op.DATA_DROP)
def _data_drop(v: CodeValidator, i: tuple) -> None:
    v.data(i[1])


# Vector lanes.


@_on(Op.I8X16_SHUFFLE)
def _shuffle(v: CodeValidator, i: tuple) -> None:
    lanes = i[1]
    if len(lanes) != 16 or any(not 0 <= x < 32 for x in lanes):
        raise InvalidError("invalid lane index")
    v.pop_expect(VecType.V128)
    v.pop_expect(VecType.V128)
    v.vals.append(VecType.V128)


def _lane(v: CodeValidator, i: tuple) -> None:
    count, pops, pushes = LANES[i[0]]
    if not 0 <= i[1] < count:
        raise InvalidError("invalid lane index")
    for t in reversed(pops):
        v.pop_expect(t)
    v.push_vals(pushes)


for _op in LANES:
    HANDLERS[_op] = _lane


# References.


@_on(Op.REF_NULL)
def _ref_null(v: CodeValidator, i: tuple) -> None:
    # Custom descriptors: ``ref.null (exact ht)`` is of the exact type.
    v.vals.append(RefType(True, v.res.heap(i[1]), len(i) > 2 and i[2] is True))


@_on(Op.REF_IS_NULL)
def _ref_is_null(v: CodeValidator, i: tuple) -> None:
    v.pop_ref()
    v.vals.append(I32)


@_on(Op.REF_AS_NON_NULL)
def _ref_as_non_null(v: CodeValidator, i: tuple) -> None:
    rt = v.pop_ref()
    v.vals.append(RefType(False, rt.heap, rt.exact))


@_on(Op.REF_FUNC)
def _ref_func(v: CodeValidator, i: tuple) -> None:
    x = i[1]
    dt = v.func(x)
    if not v.const and x not in v.info.refs:
        raise InvalidError("undeclared function reference")
    # A function imported without ``exact`` may be of any subtype of its
    # declared type; every other function is exactly of its type.
    v.vals.append(RefType(False, dt, x not in v.info.inexact_funcs))


@_on(Op.BR_ON_NULL)
def _br_on_null(v: CodeValidator, i: tuple) -> None:
    labels = v.label(i[1]).labels
    rt = v.pop_ref()
    v.pop_vals(labels)
    v.push_vals(labels)
    v.vals.append(RefType(False, rt.heap, rt.exact))


def _last_ref_label(v: CodeValidator, n: object) -> tuple:
    labels = v.label(n).labels
    if not labels or type(labels[-1]) is not RefType:
        raise _mismatch("branch target must end in a reference type")
    return labels


@_on(Op.BR_ON_NON_NULL)
def _br_on_non_null(v: CodeValidator, i: tuple) -> None:
    labels = _last_ref_label(v, i[1])
    rt = v.pop_ref()
    v.vals.append(RefType(False, rt.heap, rt.exact))
    v.pop_vals(labels)
    v.push_vals(labels[:-1])


def _diff(rt1: RefType, rt2: RefType) -> RefType:
    if rt2.nullable:
        return RefType(False, rt1.heap, rt1.exact)
    return rt1


def _check_cast_pair(rt1: RefType, rt2: RefType, relaxed: bool) -> None:
    """The source and target types of a branching cast: Wasm 3.0 requires
    ``rt2 <: rt1``; the custom-descriptors proposal only a common supertype
    (the same hierarchy), nullability included by taking the nullable top."""
    if relaxed:
        if top_heap(rt1.heap) is top_heap(rt2.heap):
            return
    elif ref_sub(rt2, rt1):
        return
    raise _mismatch(f"cast type {rt2} does not match {rt1}")


def _cast_types(v: CodeValidator, i: tuple) -> tuple[tuple, RefType, RefType]:
    labels = _last_ref_label(v, i[1])
    rt1, rt2 = v.res.ref(i[2]), v.res.ref(i[3])
    _check_cast_pair(rt1, rt2, v.relaxed_casts)
    v.pop_expect(rt1)
    return labels, rt1, rt2


@_on(Op.BR_ON_CAST)
def _br_on_cast(v: CodeValidator, i: tuple) -> None:
    labels, rt1, rt2 = _cast_types(v, i)
    v.vals.append(rt2)
    v.pop_vals(labels)
    v.push_vals(labels[:-1])
    v.vals.append(_diff(rt1, rt2))


@_on(Op.BR_ON_CAST_FAIL)
def _br_on_cast_fail(v: CodeValidator, i: tuple) -> None:
    labels, rt1, rt2 = _cast_types(v, i)
    v.vals.append(_diff(rt1, rt2))
    v.pop_vals(labels)
    v.push_vals(labels[:-1])
    v.vals.append(rt2)


@_on(Op.REF_TEST, Op.REF_CAST)
def _ref_test_cast(v: CodeValidator, i: tuple) -> None:
    rt = v.res.ref(i[1])
    v.pop_expect(RefType(True, top_heap(rt.heap)))
    v.vals.append(I32 if i[0] == Op.REF_TEST else rt)


# Aggregates.


def _defaultable(t: object) -> bool:
    return type(t) is not RefType or t.nullable  # type: ignore[union-attr]


def _exact(dt: DefType) -> RefType:
    """The type of a fresh allocation: exactly its defined type (custom
    descriptors; a subtype of the plain ``(ref x)`` of Wasm 3.0)."""
    return RefType(False, dt, True)


def _plain_allocation(dt: DefType) -> None:
    if dt.descriptor is not None:
        raise InvalidError("type with descriptor requires descriptor allocation")


def _descriptor_allocation(dt: DefType) -> DefType:
    if dt.descriptor is None:
        raise InvalidError("type without descriptor requires non-descriptor allocation")
    return dt.descriptor


def _check_defaultable_fields(dt: DefType) -> None:
    for f in dt.comp.fields:
        if not _defaultable(f.storage):
            raise _mismatch("struct.new_default requires defaultable fields")


@_on(Op.STRUCT_NEW)
def _struct_new(v: CodeValidator, i: tuple) -> None:
    dt = v.struct(i[1])
    _plain_allocation(dt)
    v.pop_vals(tuple(unpack(f.storage) for f in dt.comp.fields))
    v.vals.append(_exact(dt))


@_on(Op.STRUCT_NEW_DEFAULT)
def _struct_new_default(v: CodeValidator, i: tuple) -> None:
    dt = v.struct(i[1])
    _plain_allocation(dt)
    _check_defaultable_fields(dt)
    v.vals.append(_exact(dt))


def _field(v: CodeValidator, i: tuple):
    dt = v.struct(i[1])
    fields = dt.comp.fields
    n = i[2]
    if not 0 <= n < len(fields):
        raise InvalidError(f"unknown field {n}")
    return dt, fields[n]


@_on(Op.STRUCT_GET, Op.STRUCT_GET_S, Op.STRUCT_GET_U)
def _struct_get(v: CodeValidator, i: tuple) -> None:
    dt, f = _field(v, i)
    packed = type(f.storage) is PackedType
    if packed != (i[0] != Op.STRUCT_GET):
        raise _mismatch("struct.get sign extension does not match the field's packing")
    v.pop_expect(RefType(True, dt))
    v.vals.append(unpack(f.storage))


@_on(Op.STRUCT_SET)
def _struct_set(v: CodeValidator, i: tuple) -> None:
    dt, f = _field(v, i)
    if not f.mutable:
        raise InvalidError("immutable field")
    v.pop_expect(unpack(f.storage))
    v.pop_expect(RefType(True, dt))


@_on(Op.ARRAY_NEW)
def _array_new(v: CodeValidator, i: tuple) -> None:
    dt = v.array(i[1])
    v.pop_expect(I32)
    v.pop_expect(unpack(dt.comp.field.storage))
    v.vals.append(_exact(dt))


@_on(Op.ARRAY_NEW_DEFAULT)
def _array_new_default(v: CodeValidator, i: tuple) -> None:
    dt = v.array(i[1])
    if not _defaultable(dt.comp.field.storage):
        raise _mismatch("array.new_default requires a defaultable element type")
    v.pop_expect(I32)
    v.vals.append(_exact(dt))


@_on(Op.ARRAY_NEW_FIXED)
def _array_new_fixed(v: CodeValidator, i: tuple) -> None:
    dt = v.array(i[1])
    t = unpack(dt.comp.field.storage)
    n = i[2]
    for _ in range(n):
        v.pop_expect(t)
        if v.ctrls[-1].unreachable and len(v.vals) == v.ctrls[-1].height:
            break  # the rest would all match the unknown type
    v.vals.append(_exact(dt))


def _numeric_array(dt: DefType) -> None:
    if type(dt.comp.field.storage) is RefType:
        raise InvalidError("array type is not numeric or vector")


def _elem_array(v: CodeValidator, dt: DefType, y: object) -> None:
    rt = v.elem(y)
    z = dt.comp.field.storage
    if type(z) is not RefType or not ref_sub(rt, z):
        raise _mismatch("array element type does not match the element segment")


def _mutable_array(v: CodeValidator, x: object) -> DefType:
    dt = v.array(x)
    if not dt.comp.field.mutable:
        raise InvalidError("immutable array")
    return dt


@_on(Op.ARRAY_NEW_DATA)
def _array_new_data(v: CodeValidator, i: tuple) -> None:
    dt = v.array(i[1])
    _numeric_array(dt)
    v.data(i[2])
    v.pop_expect(I32)
    v.pop_expect(I32)
    v.vals.append(_exact(dt))


@_on(Op.ARRAY_NEW_ELEM)
def _array_new_elem(v: CodeValidator, i: tuple) -> None:
    dt = v.array(i[1])
    _elem_array(v, dt, i[2])
    v.pop_expect(I32)
    v.pop_expect(I32)
    v.vals.append(_exact(dt))


@_on(Op.ARRAY_GET, Op.ARRAY_GET_S, Op.ARRAY_GET_U)
def _array_get(v: CodeValidator, i: tuple) -> None:
    dt = v.array(i[1])
    z = dt.comp.field.storage
    if (type(z) is PackedType) != (i[0] != Op.ARRAY_GET):
        raise _mismatch("array.get sign extension does not match the element packing")
    v.pop_expect(I32)
    v.pop_expect(RefType(True, dt))
    v.vals.append(unpack(z))


@_on(Op.ARRAY_SET)
def _array_set(v: CodeValidator, i: tuple) -> None:
    dt = _mutable_array(v, i[1])
    v.pop_expect(unpack(dt.comp.field.storage))
    v.pop_expect(I32)
    v.pop_expect(RefType(True, dt))


@_on(Op.ARRAY_FILL)
def _array_fill(v: CodeValidator, i: tuple) -> None:
    dt = _mutable_array(v, i[1])
    v.pop_expect(I32)
    v.pop_expect(unpack(dt.comp.field.storage))
    v.pop_expect(I32)
    v.pop_expect(RefType(True, dt))


@_on(Op.ARRAY_COPY)
def _array_copy(v: CodeValidator, i: tuple) -> None:
    from .subtyping import storage_sub

    dst = _mutable_array(v, i[1])
    src = v.array(i[2])
    if not storage_sub(src.comp.field.storage, dst.comp.field.storage):
        raise InvalidError("array types do not match")
    v.pop_expect(I32)
    v.pop_expect(I32)
    v.pop_expect(RefType(True, src))
    v.pop_expect(I32)
    v.pop_expect(RefType(True, dst))


@_on(Op.ARRAY_INIT_DATA)
def _array_init_data(v: CodeValidator, i: tuple) -> None:
    dt = _mutable_array(v, i[1])
    _numeric_array(dt)
    v.data(i[2])
    v.pop_vals((RefType(True, dt), I32, I32, I32))


@_on(Op.ARRAY_INIT_ELEM)
def _array_init_elem(v: CodeValidator, i: tuple) -> None:
    dt = _mutable_array(v, i[1])
    _elem_array(v, dt, i[2])
    v.pop_vals((RefType(True, dt), I32, I32, I32))


# Custom descriptors. The opcode table may not list these instructions yet;
# their handlers are registered under the text-format names when it does.


def _heap_name(h: object) -> str:
    return str(h) if type(h) is AbsHeapType else f"{h!r}"


def _struct_new_desc(v: CodeValidator, i: tuple) -> None:
    dt = v.struct(i[1])
    desc = _descriptor_allocation(dt)
    v.pop_expect(RefType(True, desc, True))
    v.pop_vals(tuple(unpack(f.storage) for f in dt.comp.fields))
    v.vals.append(_exact(dt))


def _struct_new_default_desc(v: CodeValidator, i: tuple) -> None:
    dt = v.struct(i[1])
    desc = _descriptor_allocation(dt)
    _check_defaultable_fields(dt)
    v.pop_expect(RefType(True, desc, True))
    v.vals.append(_exact(dt))


def _is_bottom(h: object) -> bool:
    """The heap type of unreachable code, or the bottom of a hierarchy."""
    return h is BOT or (type(h) is AbsHeapType and bottom_heap(h) is h)


def _ref_get_desc(v: CodeValidator, i: tuple) -> None:
    dt = v.res.deftype(i[1])
    if dt.descriptor is None:
        raise InvalidError("type without descriptor")
    operand = v.pop_expect(RefType(True, dt))
    # The descriptor is exact when the operand is: exactly of type x, or of a
    # bottom type (which matches the exact type as well).
    if operand is None:
        exact = True
    else:
        h = operand.heap  # type: ignore[union-attr]
        exact = _is_bottom(h) or (operand.exact and h is dt)  # type: ignore[union-attr]
    v.vals.append(RefType(False, dt.descriptor, exact))


def _descriptor_of(v: CodeValidator, rt: RefType) -> RefType:
    """The descriptor operand type of a descriptor cast to ``rt``."""
    h = rt.heap
    if type(h) is not DefType or h.descriptor is None:
        index = v.info.types.index(h) if type(h) is DefType else None
        raise InvalidError(f"type {index if index is not None else _heap_name(h)} does not have a descriptor")
    return RefType(True, h.descriptor, rt.exact)


def _ref_cast_desc_eq(v: CodeValidator, i: tuple) -> None:
    rt = v.res.ref(i[1])
    v.pop_expect(_descriptor_of(v, rt))
    v.pop_expect(RefType(True, top_heap(rt.heap)))
    v.vals.append(rt)


def _cast_desc_types(v: CodeValidator, i: tuple) -> tuple[tuple, RefType, RefType]:
    labels = _last_ref_label(v, i[1])
    rt1, rt2 = v.res.ref(i[2]), v.res.ref(i[3])
    # A proposal's own instruction: always its relaxed rule.
    _check_cast_pair(rt1, rt2, True)
    v.pop_expect(_descriptor_of(v, rt2))
    v.pop_expect(rt1)
    return labels, rt1, rt2


def _br_on_cast_desc_eq(v: CodeValidator, i: tuple) -> None:
    labels, rt1, rt2 = _cast_desc_types(v, i)
    v.vals.append(rt2)
    v.pop_vals(labels)
    v.push_vals(labels[:-1])
    v.vals.append(_diff(rt1, rt2))


def _br_on_cast_desc_eq_fail(v: CodeValidator, i: tuple) -> None:
    labels, rt1, rt2 = _cast_desc_types(v, i)
    v.vals.append(_diff(rt1, rt2))
    v.pop_vals(labels)
    v.push_vals(labels[:-1])
    v.vals.append(rt2)


for _name, _handler in (
    ("STRUCT_NEW_DESC", _struct_new_desc),
    ("STRUCT_NEW_DEFAULT_DESC", _struct_new_default_desc),
    ("REF_GET_DESC", _ref_get_desc),
    ("REF_CAST_DESC_EQ", _ref_cast_desc_eq),
    ("BR_ON_CAST_DESC_EQ", _br_on_cast_desc_eq),
    ("BR_ON_CAST_DESC_EQ_FAIL", _br_on_cast_desc_eq_fail),
):
    if _name in Op.__members__:
        HANDLERS[Op[_name]] = _handler


# shared-everything-threads: the atomic accesses, ref.i31_shared, pause and
# the shared-polymorphic GC instructions register their handlers here.
from . import shared as _shared  # noqa: E402,F401
