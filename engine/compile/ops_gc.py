"""Translation of the GC instructions (structs, arrays, i31, casts,
extern/any conversion) and of the custom-descriptors proposal.

Structs and arrays are list subclasses (engine.runtime.gc), i31 values
ints; casts call pooled predicates built once per cast type.
"""

from __future__ import annotations

from ..syntax import types as T
from ..syntax.opcodes import Op
from .translator import Translator, _Entry, handles

# -- GC: structs, arrays, i31, casts ---------------------------------------------------


def _mask_for(storage) -> str:
    if storage is T.PackedType.I8:
        return " & 0xFF"
    if storage is T.PackedType.I16:
        return " & 0xFFFF"
    return ""


def _default_text(self: Translator, storage) -> str:
    if storage in (T.I32, T.I64) or isinstance(storage, T.PackedType):
        return "0"
    if storage in (T.F32, T.F64):
        return "0.0"
    if storage is T.V128:
        from ..runtime import vec

        return self.ctx.constant(vec.ZERO)
    return "None"


def _packed_text(e: _Entry, storage) -> str:
    m = _mask_for(storage)
    return f"({e.text}{m})" if m else e.text


def _nonnull(self: Translator, e: _Entry) -> str:
    r = self.atom(e)
    if r == "None":
        # a constant null gets a name: CPython warns about (and under -W
        # error refuses) a subscript of the literal None
        r = self.temp()
        self.emit(f"{r} = None")
    self.emit(f"if {r} is None: NULL_REF()")
    return r


@handles(Op.STRUCT_NEW)
def _struct_new(self: Translator, ins, pc):
    fields = self.ctx.comp(ins[1]).fields
    vals = self.pop_n(len(fields))
    ty = self.ctx.use(f"TY{ins[1]}")
    items = ", ".join(_packed_text(v, f.storage) for v, f in zip(vals, fields))
    self.push_temp(f"MK_STRUCT({ty}, [{items}])")


@handles(Op.STRUCT_NEW_DEFAULT)
def _struct_new_default(self: Translator, ins, pc):
    fields = self.ctx.comp(ins[1]).fields
    ty = self.ctx.use(f"TY{ins[1]}")
    items = ", ".join(_default_text(self, f.storage) for f in fields)
    self.push_temp(f"MK_STRUCT({ty}, [{items}])")


def _sign_extend(text: str, storage) -> str:
    if storage is T.PackedType.I8:
        return f"SX8_32[{text}]"
    return f"((({text}) ^ 0x8000) - 0x8000) & 0xFFFFFFFF"


@handles(Op.STRUCT_GET, Op.STRUCT_GET_U, Op.STRUCT_GET_S)
def _struct_get(self: Translator, ins, pc):
    storage = self.ctx.comp(ins[1]).fields[ins[2]].storage
    r = _nonnull(self, self.pop())
    text = f"{r}[{ins[2]}]"
    if ins[0] == Op.STRUCT_GET_S:
        text = _sign_extend(text, storage)
    self.push_temp(text)


@handles(Op.STRUCT_SET)
def _struct_set(self: Translator, ins, pc):
    storage = self.ctx.comp(ins[1]).fields[ins[2]].storage
    v = self.pop()
    r = _nonnull(self, self.pop())
    self.emit(f"{r}[{ins[2]}] = {v.text}{_mask_for(storage)}")


@handles(Op.ARRAY_NEW)
def _array_new(self: Translator, ins, pc):
    storage = self.ctx.comp(ins[1]).field.storage
    n = self.pop()
    init = self.pop()
    ty = self.ctx.use(f"TY{ins[1]}")
    self.push_temp(f"ARRAY_NEW({ty}, {_packed_text(init, storage)}, {n.text})")


@handles(Op.ARRAY_NEW_DEFAULT)
def _array_new_default(self: Translator, ins, pc):
    storage = self.ctx.comp(ins[1]).field.storage
    n = self.pop()
    ty = self.ctx.use(f"TY{ins[1]}")
    self.push_temp(f"ARRAY_NEW({ty}, {_default_text(self, storage)}, {n.text})")


@handles(Op.ARRAY_NEW_FIXED)
def _array_new_fixed(self: Translator, ins, pc):
    storage = self.ctx.comp(ins[1]).field.storage
    vals = self.pop_n(ins[2])
    ty = self.ctx.use(f"TY{ins[1]}")
    items = ", ".join(_packed_text(v, storage) for v in vals)
    self.push_temp(f"MK_ARRAY({ty}, [{items}])")


@handles(Op.ARRAY_NEW_DATA)
def _array_new_data(self: Translator, ins, pc):
    n, s = self.pop(), self.pop()
    ty = self.ctx.use(f"TY{ins[1]}")
    d = self.ctx.use(f"D{ins[2]}")
    self.push_temp(f"ARRAY_NEW_DATA({ty}, {d}, {s.text}, {n.text})")


@handles(Op.ARRAY_NEW_ELEM)
def _array_new_elem(self: Translator, ins, pc):
    n, s = self.pop(), self.pop()
    ty = self.ctx.use(f"TY{ins[1]}")
    el = self.ctx.use(f"EL{ins[2]}")
    self.push_temp(f"ARRAY_NEW_ELEM({ty}, {el}, {s.text}, {n.text})")


@handles(Op.ARRAY_GET, Op.ARRAY_GET_S, Op.ARRAY_GET_U)
def _array_get(self: Translator, ins, pc):
    storage = self.ctx.comp(ins[1]).field.storage
    i = self.atom(self.pop())
    a = _nonnull(self, self.pop())
    t = self.push_temp(f"{a}[{i}] if {i} < len({a}) else ARRAY_OOB()")
    if ins[0] == Op.ARRAY_GET_S:
        self.emit(f"{t} = {_sign_extend(t, storage)}")


@handles(Op.ARRAY_SET)
def _array_set(self: Translator, ins, pc):
    storage = self.ctx.comp(ins[1]).field.storage
    v = self.pop()
    i = self.atom(self.pop())
    a = _nonnull(self, self.pop())
    self.emit(f"if {i} >= len({a}): ARRAY_OOB()")
    self.emit(f"{a}[{i}] = {v.text}{_mask_for(storage)}")


@handles(Op.ARRAY_LEN)
def _array_len(self: Translator, ins, pc):
    a = _nonnull(self, self.pop())
    self.push_temp(f"len({a})")


@handles(Op.ARRAY_FILL)
def _array_fill(self: Translator, ins, pc):
    storage = self.ctx.comp(ins[1]).field.storage
    n, v, i, a = self.pop(), self.pop(), self.pop(), self.pop()
    self.emit(f"ARRAY_FILL({a.text}, {i.text}, {_packed_text(v, storage)}, {n.text})")


def _test_name(self: Translator, rt) -> str:
    """The pooled predicate of ``ref.test rt`` (see runtime.gc.make_test)."""
    from ..runtime.gc import make_test

    return self.ctx.constant(make_test(self.ctx.resolve(rt)))


@handles(Op.REF_TEST)
def _ref_test(self: Translator, ins, pc):
    k = _test_name(self, ins[1])
    v = self.pop()
    self.push_temp(f"{k}({v.text})")


@handles(Op.REF_CAST)
def _ref_cast(self: Translator, ins, pc):
    k = _test_name(self, ins[1])
    v = self.atom(self.pop())
    self.emit(f"if not {k}({v}): CAST_FAIL()")
    self.stack.append(_Entry(v, 0, True))


@handles(Op.BR_ON_CAST, Op.BR_ON_CAST_FAIL)
def _br_on_cast(self: Translator, ins, pc):
    label, rt2 = ins[1], ins[3]
    k = _test_name(self, rt2)
    v = self.atom(self.pop())
    self.stack.append(_Entry(v, 0, True))
    f = self.cur()
    self.ensure_depth(f.blocks, f.indent + 1)
    neg = "" if ins[0] == Op.BR_ON_CAST else "not "
    self.emit(f"if {neg}{k}({v}):")
    with self.indented():
        self.branch(label)


@handles(Op.REF_I31)
def _ref_i31(self: Translator, ins, pc):
    v = self.pop()
    self.push(f"({v.text} & 0x7FFFFFFF)", v.mask, False)


@handles(Op.I31_GET_U, Op.I31_GET_S)
def _i31_get(self: Translator, ins, pc):
    r = _nonnull(self, self.pop())
    if ins[0] == Op.I31_GET_U:
        self.stack.append(_Entry(r, 0, True))
    else:
        self.push_temp(f"((({r} ^ 0x40000000) - 0x40000000) & 0xFFFFFFFF)")


@handles(Op.ANY_CONVERT_EXTERN)
def _any_convert_extern(self: Translator, ins, pc):
    v = self.pop()
    self.push_temp(f"ANY_CONVERT_EXTERN({v.text})")


@handles(Op.EXTERN_CONVERT_ANY)
def _extern_convert_any(self: Translator, ins, pc):
    v = self.pop()
    self.push_temp(f"EXTERN_CONVERT_ANY({v.text})")


@handles(Op.REF_EQ)
def _ref_eq(self: Translator, ins, pc):
    b = self.atom(self.pop())
    a = self.atom(self.pop())
    self.push(f"({a} is {b} or ({a}.__class__ is int and {a} == {b}))", 0, False)


# -- custom descriptors -------------------------------------------------------------------
# struct.new_desc, struct.new_default_desc, ref.get_desc, ref.cast_desc_eq and
# br_on_cast_desc_eq[_fail]. The semantics live in engine.runtime.descriptors;
# its helpers reach the code as pooled constants.


def _desc_helper(self: Translator, name: str, *args) -> str:
    """The pooled name of a helper of :mod:`engine.runtime.descriptors`
    (a factory when ``args`` are given: called with them once, here)."""
    from ..runtime import descriptors

    value = getattr(descriptors, name)
    return self.ctx.constant(value(*args) if args else value)


@handles(Op.STRUCT_NEW_DESC)
def _struct_new_desc(self: Translator, ins, pc):
    fields = self.ctx.comp(ins[1]).fields
    desc = self.pop()
    vals = self.pop_n(len(fields))
    ty = self.ctx.use(f"TY{ins[1]}")
    new = _desc_helper(self, "new_struct_desc")
    items = ", ".join(_packed_text(v, f.storage) for v, f in zip(vals, fields))
    self.push_temp(f"{new}({ty}, [{items}], {desc.text})")


@handles(Op.STRUCT_NEW_DEFAULT_DESC)
def _struct_new_default_desc(self: Translator, ins, pc):
    fields = self.ctx.comp(ins[1]).fields
    desc = self.pop()
    ty = self.ctx.use(f"TY{ins[1]}")
    new = _desc_helper(self, "new_struct_desc")
    items = ", ".join(_default_text(self, f.storage) for f in fields)
    self.push_temp(f"{new}({ty}, [{items}], {desc.text})")


@handles(Op.REF_GET_DESC)
def _ref_get_desc(self: Translator, ins, pc):
    r = _nonnull(self, self.pop())
    self.push_temp(f"{r}.desc")


@handles(Op.REF_CAST_DESC_EQ)
def _ref_cast_desc_eq(self: Translator, ins, pc):
    cast = _desc_helper(self, "make_desc_cast", ins[1].nullable)
    desc = self.atom(self.pop())
    v = self.atom(self.pop())
    self.emit(f"{cast}({v}, {desc})")
    self.stack.append(_Entry(v, 0, True))


@handles(Op.BR_ON_CAST_DESC_EQ, Op.BR_ON_CAST_DESC_EQ_FAIL)
def _br_on_cast_desc_eq(self: Translator, ins, pc):
    label, rt2 = ins[1], ins[3]
    test = _desc_helper(self, "make_desc_test", rt2.nullable)
    desc = self.atom(self.pop())
    v = self.atom(self.pop())
    self.stack.append(_Entry(v, 0, True))
    f = self.cur()
    self.ensure_depth(f.blocks, f.indent + 1)
    neg = "" if ins[0] == Op.BR_ON_CAST_DESC_EQ else "not "
    self.emit(f"if {neg}{test}({v}, {desc}):")
    with self.indented():  # both lowerings: the general one indents its own way
        self.branch(label)
