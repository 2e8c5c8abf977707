"""Random well-shaped instruction sequences: the validator answers with a
verdict (valid, or InvalidError), never with a stray Python exception."""

from __future__ import annotations

import random

from engine.errors import InvalidError
from engine.syntax import Data, Elem, Func, Global, Module, SegmentMode, Table
from engine.syntax.opcodes import IMMEDIATES, CatchKind, Imm, MemoryOrder, Op
from engine.syntax.types import (
    ANYREF,
    F32,
    FUNCREF,
    I32,
    I64,
    V128,
    AbsHeapType,
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
    TagType,
)
from engine.valid.module import _validate

TYPES = [
    SubType(True, (), FuncType((I32,), (I32,))),
    SubType(False, (), StructType((FieldType(I32, True), FieldType(PackedType.I8, False)))),
    SubType(True, (), ArrayType(FieldType(F32, True))),
    SubType(True, (), FuncType((), ())),
    SubType(True, (1,), StructType((FieldType(I32, True), FieldType(PackedType.I8, False), FieldType(ANYREF, True)))),
]
VALTYPES = [I32, I64, F32, V128, FUNCREF, ANYREF, RefType(False, 1), RefType(True, 2), None, 0]
HEAPS = [AbsHeapType.ANY, AbsHeapType.FUNC, AbsHeapType.EXTERN, AbsHeapType.NONE, AbsHeapType.SHARED_EQ,
         AbsHeapType.SHARED_NOFUNC, 0, 1, 2, 4, 9]
OPS = list(Op)


def small(rng: random.Random) -> int:
    return rng.choice((0, 0, 1, 2, 3, 5, 7, 40))


def reftype(rng: random.Random) -> RefType:
    return RefType(rng.random() < 0.5, rng.choice(HEAPS))


def immediates(rng: random.Random, op: Op) -> tuple:
    kind = IMMEDIATES[op]
    s = lambda: small(rng)  # noqa: E731
    table = {
        Imm.NONE: lambda: (),
        Imm.ZERO_BYTE: lambda: (),
        Imm.BLOCKTYPE: lambda: (rng.choice(VALTYPES),),
        Imm.BR_TABLE: lambda: (tuple(s() for _ in range(rng.randrange(4))), s()),
        Imm.CALL_INDIRECT: lambda: (s(), s()),
        Imm.MEMARG: lambda: (s(), rng.choice((0, 1 << 33)), s() % 3),
        Imm.MEMARG_LANE: lambda: (s(), 0, s() % 3, s()),
        Imm.V128: lambda: (0,),
        Imm.SHUFFLE: lambda: (tuple(rng.randrange(34) for _ in range(16)),),
        Imm.HEAPTYPE: lambda: (rng.choice(HEAPS),),
        Imm.REFTYPE: lambda: (reftype(rng),),
        Imm.CASTOP: lambda: (s(), reftype(rng), reftype(rng)),
        Imm.SELECT_T: lambda: (tuple(rng.choice(VALTYPES[:7]) for _ in range(rng.randrange(3))),),
        Imm.TRY_TABLE: lambda: (rng.choice(VALTYPES), tuple(
            (k, s() if k in (CatchKind.CATCH, CatchKind.CATCH_REF) else None, s())
            for k in rng.sample(list(CatchKind), rng.randrange(3)))),
        Imm.ORDER_GLOBAL: lambda: (rng.choice(list(MemoryOrder)), s()),
        Imm.ORDER_TABLE: lambda: (rng.choice(list(MemoryOrder)), s()),
        Imm.ORDER_TYPE: lambda: (rng.choice(list(MemoryOrder)), s()),
        Imm.ORDER_FIELD: lambda: (rng.choice(list(MemoryOrder)), s(), s()),
    }
    maker = table.get(kind)
    if maker is not None:
        return maker()
    count = 2 if kind.name in ("DATA_MEM", "MEM_MEM", "ELEM_TABLE", "TABLE_TABLE") or kind.name.startswith("TYPE_") \
        else 1
    return tuple(s() for _ in range(count))


def random_body(rng: random.Random) -> tuple:
    # Half the bodies start unreachable, so that handlers meet unknown operands.
    body = [(Op.UNREACHABLE,)] if rng.random() < 0.5 else []
    for _ in range(rng.randrange(1, 12)):
        op = rng.choice(OPS)
        body.append((op,) + immediates(rng, op))
    body.append((Op.END,))
    return tuple(body)


def base_module(body: tuple) -> Module:
    return Module(
        types=list(TYPES),
        rec_groups=[(i, RecType((t,))) for i, t in enumerate(TYPES)],
        funcs=[Func(0, (I64, RefType(False, AbsHeapType.ANY)), body)],
        tables=[Table(TableType(Limits(1), FUNCREF)), Table(TableType(Limits(1), ANYREF, addr64=True))],
        mems=[MemType(Limits(1)), MemType(Limits(1, 2), shared=True, addr64=True)],
        globals=[Global(GlobalType(I32, True), ((Op.I32_CONST, 0), (Op.END,)))],
        tags=[TagType(3)],
        elems=[Elem(FUNCREF, (), SegmentMode.PASSIVE)],
        datas=[Data(b"", SegmentMode.PASSIVE)],
    )


def test_random_bodies_get_a_verdict():
    rng = random.Random(20240601)
    verdicts = {"valid": 0, "invalid": 0}
    for _ in range(3000):
        module = base_module(random_body(rng))
        try:
            _validate(module)
            verdicts["valid"] += 1
        except InvalidError:
            verdicts["invalid"] += 1
    # Both outcomes occur, so the generator exercises real checks.
    assert verdicts["valid"] > 0 and verdicts["invalid"] > 0


def test_random_constant_expressions_get_a_verdict():
    rng = random.Random(7)
    for _ in range(1000):
        init = random_body(rng)
        module = base_module(((Op.I32_CONST, 0), (Op.END,)))
        module.globals.append(Global(GlobalType(rng.choice(VALTYPES[:6]), False), init))
        try:
            _validate(module)
        except InvalidError:
            pass
