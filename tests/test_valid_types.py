"""Canonical types, subtyping and import matching."""

from __future__ import annotations

import threading

import pytest

from engine.errors import InvalidError
from engine.syntax import Module
from engine.syntax.types import (
    ANYREF,
    EQREF,
    EXTERNREF,
    FUNCREF,
    I31REF,
    I32,
    I64,
    NULLFUNCREF,
    NULLREF,
    AbsHeapType as H,
    ArrayType,
    FieldType,
    FuncType,
    GlobalType,
    Limits,
    MemType,
    PackedType,
    RecType,
    RefType,
    StructType,
    SubType,
    TableType,
)
from engine.valid import (
    TagDesc,
    canonicalize,
    extern_sub,
    func_deftype,
    heap_sub,
    is_subtype,
    limits_sub,
    ref_sub,
    val_sub,
)


def module_of(*groups):
    """A module whose type section is the given groups (lists of SubTypes)."""
    flat, recs = [], []
    for g in groups:
        recs.append((len(flat), RecType(tuple(g))))
        flat.extend(g)
    return Module(types=flat, rec_groups=recs)


def st(comp, final=True, supers=()):
    return SubType(final, tuple(supers), comp)


def test_same_group_same_objects_across_modules():
    group = [st(StructType((FieldType(RefType(True, 1), False),))), st(ArrayType(FieldType(RefType(True, 0), True)))]
    a = canonicalize(module_of(group))
    b = canonicalize(module_of([st(FuncType((), ()))], [
        st(StructType((FieldType(RefType(True, 2), False),))), st(ArrayType(FieldType(RefType(True, 1), True)))]))
    assert a[0] is b[1] and a[1] is b[2]
    # The struct's field refers to its group sibling, resolved.
    assert a[0].comp.fields[0].storage.heap is a[1]


def test_group_position_and_structure_matter():
    f = st(FuncType((I32,), ()))
    one = canonicalize(module_of([f], [f]))
    assert one[0] is one[1]  # separate singleton groups are equal
    both = canonicalize(module_of([f, f]))
    assert both[0] is not both[1]  # positions in one group differ
    assert both[0] is not one[0]


def test_outside_references_compare_by_identity():
    m1 = canonicalize(module_of([st(FuncType((I32,), ()))], [st(FuncType((RefType(True, 0),), ()))]))
    m2 = canonicalize(module_of([st(FuncType((I64,), ()))], [st(FuncType((RefType(True, 0),), ()))]))
    assert m1[1] is not m2[1]
    m3 = canonicalize(module_of([st(FuncType((I32,), ()))], [st(FuncType((RefType(True, 0),), ()))]))
    assert m1[1] is m3[1]


def test_forward_reference_outside_group_is_unknown():
    with pytest.raises(InvalidError, match="unknown type"):
        canonicalize(module_of([st(FuncType((RefType(True, 1),), ()))], [st(FuncType((), ()))]))


def test_subtype_chain_and_rules():
    base = st(StructType((FieldType(I32, False),)), final=False)
    mid = st(StructType((FieldType(I32, False), FieldType(I64, True))), final=False, supers=[0])
    leaf = st(StructType((FieldType(I32, False), FieldType(I64, True), FieldType(PackedType.I8, False))), supers=[1])
    t = canonicalize(module_of([base], [mid], [leaf]))
    assert is_subtype(t[2], t[0]) and is_subtype(t[2], t[1]) and not is_subtype(t[0], t[2])
    assert t[2].supertype is t[1] and t[1].supertype is t[0]
    assert heap_sub(t[2], H.STRUCT) and heap_sub(t[2], H.EQ) and not heap_sub(t[2], H.ARRAY)
    assert heap_sub(H.NONE, t[2]) and not heap_sub(H.NOFUNC, t[2])


def test_invalid_subtypes():
    final = st(FuncType((), ()))
    with pytest.raises(InvalidError, match="sub type"):
        canonicalize(module_of([final], [st(FuncType((), ()), supers=[0])]))
    open_struct = st(StructType(()), final=False)
    with pytest.raises(InvalidError, match="sub type"):
        canonicalize(module_of([open_struct], [st(ArrayType(FieldType(I32, False)), supers=[0])]))
    mutable = st(StructType((FieldType(ANYREF, True),)), final=False)
    with pytest.raises(InvalidError, match="sub type"):
        # Mutable fields are invariant.
        canonicalize(module_of([mutable], [st(StructType((FieldType(EQREF, True),)), supers=[0])]))
    with pytest.raises(InvalidError):
        canonicalize(module_of([st(FuncType((), ()), final=False, supers=[0])]))


def test_function_subtyping_is_contravariant():
    base = st(FuncType((EQREF,), (ANYREF,)), final=False)
    good = st(FuncType((ANYREF,), (EQREF,)), supers=[0])
    canonicalize(module_of([base], [good]))
    wrong = st(FuncType((I31REF,), (EQREF,)), supers=[0])
    with pytest.raises(InvalidError, match="sub type"):
        canonicalize(module_of([base], [wrong]))


def test_invalid_group_is_not_interned():
    bad_group = [st(StructType(())), st(StructType(()), supers=[0])]  # final supertype
    for _ in range(2):
        with pytest.raises(InvalidError):
            canonicalize(module_of(bad_group))


def test_abstract_hierarchies():
    assert heap_sub(H.I31, H.ANY) and heap_sub(H.NONE, H.I31) and not heap_sub(H.ANY, H.EQ)
    assert heap_sub(H.NOFUNC, H.FUNC) and not heap_sub(H.NOFUNC, H.ANY)
    assert heap_sub(H.NOEXTERN, H.EXTERN) and not heap_sub(H.EXTERN, H.ANY)
    assert heap_sub(H.NOEXN, H.EXN) and not heap_sub(H.EXN, H.FUNC)
    assert ref_sub(RefType(False, H.I31), I31REF) and not ref_sub(I31REF, RefType(False, H.I31))
    assert ref_sub(NULLREF, ANYREF) and not ref_sub(NULLFUNCREF, ANYREF)
    assert val_sub(None, I32) and not val_sub(I32, I64) and not val_sub(FUNCREF, I32)


def test_limits_matching():
    assert limits_sub(Limits(2, 5), Limits(1, 6))
    assert limits_sub(Limits(2, 5), Limits(1))
    assert not limits_sub(Limits(2), Limits(1, 6))  # absent max matches only an absent max
    assert not limits_sub(Limits(0, 5), Limits(1, 6))
    assert not limits_sub(Limits(1, 7), Limits(1, 6))


def test_extern_matching():
    f = func_deftype((I32,), ())
    assert f is func_deftype((I32,), ())
    assert extern_sub(f, f) and not extern_sub(f, func_deftype((I64,), ()))
    assert not extern_sub(f, TableType(Limits(0), FUNCREF))
    assert extern_sub(TableType(Limits(2), FUNCREF), TableType(Limits(1), FUNCREF))
    assert not extern_sub(TableType(Limits(2), NULLFUNCREF), TableType(Limits(1), FUNCREF))
    assert not extern_sub(TableType(Limits(2), FUNCREF, True), TableType(Limits(1), FUNCREF))
    mem = MemType(Limits(1, 2), shared=True)
    assert extern_sub(mem, MemType(Limits(1, 3), shared=True))
    assert not extern_sub(mem, MemType(Limits(1, 3)))
    assert not extern_sub(MemType(Limits(1), page_size_log2=0), MemType(Limits(1)))
    assert extern_sub(GlobalType(NULLREF, False), GlobalType(ANYREF, False))
    assert not extern_sub(GlobalType(NULLREF, True), GlobalType(ANYREF, True))
    assert extern_sub(GlobalType(EXTERNREF, True), GlobalType(EXTERNREF, True))
    assert extern_sub(TagDesc(f), TagDesc(func_deftype((I32,), ())))
    assert not extern_sub(TagDesc(f), TagDesc(func_deftype((), ())))


def test_declared_function_subtype_matches_import():
    types = canonicalize(module_of([st(FuncType((), ()), final=False)], [st(FuncType((), ()), supers=[0])]))
    assert extern_sub(types[1], types[0]) and not extern_sub(types[0], types[1])


def test_interning_is_thread_safe():
    group = [st(StructType((FieldType(RefType(True, 0), True), FieldType(I64, False))), final=False)]
    results = []

    def work():
        for _ in range(50):
            results.append(canonicalize(module_of([st(FuncType((I32, I32, I64), ()))], group))[1])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(r) for r in results}) == 1


def test_subtype_error_names_module_indices():
    base = st(StructType(()), final=False)
    with pytest.raises(InvalidError, match="sub type 2 does not match super type 0"):
        canonicalize(module_of([base], [st(FuncType((), ()))], [st(ArrayType(FieldType(I32, False)), supers=[0])]))


def desc_pair(desc_comp=None, final=True, supers_a=(), supers_b=()):
    """A group: type 0 described by type 1 (offsets relative to the group)."""
    return [
        SubType(final, tuple(supers_a), StructType(()), None, 1),
        SubType(final, tuple(supers_b), desc_comp or StructType(()), 0, None),
    ]


def test_descriptor_clauses():
    a, b = canonicalize(module_of(desc_pair()))
    assert a.descriptor is b and b.describes is a
    with pytest.raises(InvalidError, match="descriptor type is outside rec group"):
        canonicalize(module_of([SubType(True, (), StructType(()), None, 1)], [st(StructType(()))]))
    with pytest.raises(InvalidError, match="descriptor type must be a struct"):
        canonicalize(module_of([SubType(True, (), FuncType((), ()), None, 1), SubType(True, (), StructType(()), 0)]))
    with pytest.raises(InvalidError, match="described type must be a struct"):
        canonicalize(module_of(desc_pair(ArrayType(FieldType(I32, False)))))
    with pytest.raises(InvalidError, match="type is not described by its descriptor"):
        canonicalize(module_of([SubType(True, (), StructType(()), None, 1), st(StructType(()))]))
    with pytest.raises(InvalidError, match="forward use of described type"):
        canonicalize(module_of([SubType(True, (), StructType(()), 1), SubType(True, (), StructType(()), None, 0)]))


def test_descriptor_subtyping():
    group = desc_pair(final=False) + [
        SubType(False, (0,), StructType(()), None, 3),
        SubType(False, (1,), StructType(()), 2, None),
    ]
    t = canonicalize(module_of(group))
    assert is_subtype(t[3], t[1])
    missing = desc_pair(final=False) + [st(StructType(()), supers=[0])]
    with pytest.raises(InvalidError, match="sub type 2 does not match super type 0"):
        canonicalize(module_of(missing))
    unrelated = desc_pair(final=False) + [
        SubType(False, (0,), StructType(()), None, 3),
        SubType(False, (), StructType(()), 2, None),
    ]
    with pytest.raises(InvalidError, match="descriptor type 3 does not match"):
        canonicalize(module_of(unrelated))


def test_exact_reference_matching():
    t = canonicalize(module_of([st(StructType(()), final=False)], [st(StructType(()), supers=[0])]))
    exact0, exact1 = RefType(False, t[0], True), RefType(False, t[1], True)
    assert ref_sub(exact0, RefType(True, t[0])) and ref_sub(exact1, RefType(False, t[0]))
    assert not ref_sub(exact1, exact0) and not ref_sub(RefType(False, t[0]), exact0)
    assert ref_sub(NULLREF, RefType(True, t[0], True))


def test_deep_subtype_chains_stay_linear_and_exact():
    n = 3000
    types = [st(StructType(()), final=False)] + [st(StructType(()), final=False, supers=[i - 1]) for i in range(1, n)]
    d = canonicalize(module_of(*[[t] for t in types]))
    assert d[-1].depth == n - 1
    for a, b in ((n - 1, 0), (n - 1, n // 2), (40, 3), (64, 32), (65, 1), (33, 0), (100, 100)):
        assert is_subtype(d[a], d[b]) and (a == b or not is_subtype(d[b], d[a]))
    assert all(is_subtype(d[-1], x) for x in d)
    assert heap_sub(d[-1], H.STRUCT) and not heap_sub(d[-1], H.FUNC)
