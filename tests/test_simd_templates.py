"""The shape of the SIMD tables: coverage, names, placeholders, embedding.

These checks need no reference engine. They hold the templates to the
translator's contract: every SIMD instruction is covered once; a template
names exactly its operands, only helper names and numeric literals (no
strings: generated code holds nothing else), and embeds anywhere as one
atom; helper names are safe; bad immediates raise ``InvalidError``.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import re

import pytest

from engine.errors import InvalidError, UsageError
from engine.numeric import HELPERS
from engine.numeric.simd import (
    SIMD_HELPERS,
    SIMD_MEMORY,
    SIMD_OPS,
    SIMD_STORES,
    V128_ZERO,
    v128_from_int,
    v128_to_int,
)
from engine.syntax.opcodes import Op

SHAPE = re.compile(r"([if])(8|16|32|64)x(\d+)")
UNARY = re.compile(r"^(not|abs|neg|popcnt|sqrt|ceil|floor|trunc|nearest|any_true|all_true|bitmask)$"
                   r"|extend_|convert|trunc_sat|relaxed_trunc|demote|promote|extadd_pairwise")
TERNARY = {"bitselect", "relaxed_laneselect", "relaxed_madd", "relaxed_nmadd",
           "relaxed_dot_i8x16_i7x16_add_s"}
SCALAR_OF = {"i8x16": "i32", "i16x8": "i32", "i32x4": "i32", "i64x2": "i64", "f32x4": "f32", "f64x2": "f64"}


def signature(op: Op) -> tuple[tuple[str, ...], str]:
    """(operand types, result type) of a non-memory SIMD instruction; v128
    operands are given as the lane shape they are read in, shift counts as
    ``count``."""
    head, name = op.text.split(".", 1)
    shape = head if head != "v128" else "i8x16"
    if name == "splat":
        return (SCALAR_OF[head],), "v128"
    if name.startswith("extract_lane"):
        return (shape,), SCALAR_OF[head]
    if name == "replace_lane":
        return (shape, SCALAR_OF[head]), "v128"
    if name in ("shl", "shr_s", "shr_u"):
        return (shape, "count"), "v128"
    if name in ("any_true", "all_true", "bitmask"):
        return (shape,), "i32"
    found = SHAPE.findall(name)
    src = f"{found[-1][0]}{found[-1][1]}x{found[-1][2]}" if found else shape
    if name in TERNARY:
        third = "i32x4" if name.endswith("add_s") else src
        return (src, src, third), "v128"
    if UNARY.search(name):
        return (src,), "v128"
    return (src, src), "v128"


SIMD = [op for op in Op if op >> 12 == 0xFD]
SHUFFLE_SAMPLES = [tuple(range(16)), tuple(range(16, 32)), tuple(range(31, 15, -1)),
                   tuple(range(4, 20)), (5,) * 16, tuple(range(0, 32, 2)), (0, 16) * 8]


def templates_of(op: Op) -> list[str]:
    """Every template of ``op`` (one per immediate for lane ops)."""
    template = SIMD_OPS[op]
    if not callable(template):
        return [template]
    if op is Op.I8X16_SHUFFLE:
        return [template(lanes) for lanes in SHUFFLE_SAMPLES]
    return [template(lane) for lane in range(int(op.text.split(".")[0].split("x")[1]))]


def test_every_simd_instruction_is_covered_once() -> None:
    assert len(SIMD) > 230
    for op in SIMD:
        where = (op in SIMD_OPS) + (op in SIMD_MEMORY)
        assert where == (0 if op is Op.V128_CONST else 1), op.text
    assert set(SIMD_OPS) | set(SIMD_MEMORY) <= set(SIMD)
    assert SIMD_STORES <= set(SIMD_MEMORY)
    assert {op for op in SIMD_MEMORY if "store" in op.text} == SIMD_STORES


def test_helper_names_are_safe() -> None:
    for name in SIMD_HELPERS:
        assert re.fullmatch(r"v[a-z0-9_]*", name), name
        assert not hasattr(builtins, name) and not keyword.iskeyword(name), name
        assert not re.fullmatch(r"[lst]\d+", name), name
    # the translator merges both tables into one namespace
    assert not set(SIMD_HELPERS) & set(HELPERS)


_OPERANDS = ("x0", "x1", "x2")
_ALLOWED_ATTRIBUTES = {"translate"}


def _check_source(source: str, names: set[str]) -> None:
    """Only the given names, numeric literals and allowed attributes."""
    tree = ast.parse(source, mode="eval")
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            assert node.id in names, f"unknown name {node.id!r} in {source}"
        elif isinstance(node, ast.Constant):
            assert type(node.value) in (int, float, bool), f"literal {node.value!r} in {source}"
        elif isinstance(node, ast.Attribute):
            assert node.attr in _ALLOWED_ATTRIBUTES, f"attribute {node.attr!r} in {source}"
        elif isinstance(node, (ast.Lambda, ast.NamedExpr, ast.ListComp, ast.GeneratorExp,
                               ast.DictComp, ast.SetComp, ast.Await, ast.Yield)):
            raise AssertionError(f"{type(node).__name__} in {source}")


def _embeds(source: str) -> None:
    """``source`` parses as one atom in the tightest contexts."""
    for context in ("-{}", "{} ** 2", "2 ** {}", "{}[0]", "{}(0)", "not {}", "{} if 1 else 0"):
        alone = ast.dump(ast.parse(context.format("(" + source + ")"), mode="eval"))
        assert ast.dump(ast.parse(context.format(source), mode="eval")) == alone, f"{context}: {source}"


@pytest.mark.parametrize("op", sorted(SIMD_OPS), ids=lambda op: op.text)
def test_template_shape(op: Op) -> None:
    arity = len(signature(op)[0])
    for template in templates_of(op):
        used = {int(m) for m in re.findall(r"\{(\d+)\}", template)}
        assert used == set(range(arity)), f"{op.text}: placeholders {used} in {template}"
        assert not re.search(r"\{(?!\d+\})", template), template
        source = template.format(*_OPERANDS)
        _check_source(source, set(SIMD_HELPERS) | set(_OPERANDS))
        _embeds(source)


@pytest.mark.parametrize("op", sorted(SIMD_MEMORY), ids=lambda op: op.text)
def test_memory_template_shape(op: Op) -> None:
    template = SIMD_MEMORY[op]
    keys = set(re.findall(r"\{(\w+)\}", template))
    wants = {"m", "a"} | ({"v"} if "store" in op.text or "lane" in op.text else set()) | (
        {"lane"} if "lane" in op.text else set())
    assert keys == wants, f"{op.text}: {keys}"
    compile(template.format(m="mem", a="7", v="8", lane=1), "<template>", "exec")  # literal operands
    source = template.format(m="mem", a="addr", v="vec", lane="3")
    names = set(SIMD_HELPERS) | {"mem", "addr", "vec"}
    if op in SIMD_STORES:
        tree = ast.parse(source, mode="exec")
        assert len(tree.body) == 1 and isinstance(tree.body[0], (ast.Expr, ast.Assign)), source
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                assert node.id in names, node.id
            elif isinstance(node, ast.Constant):
                assert type(node.value) is int, source
    else:
        _check_source(source, names)
        _embeds(source)


@pytest.mark.parametrize("op", [op for op in SIMD_OPS if callable(SIMD_OPS[op]) and op is not Op.I8X16_SHUFFLE],
                         ids=lambda op: op.text)
def test_bad_lane_index_is_invalid(op: Op) -> None:
    count = int(op.text.split(".")[0].split("x")[1])
    for bad in (count, -1, 255, True, None, "0"):
        with pytest.raises(InvalidError):
            SIMD_OPS[op](bad)


@pytest.mark.parametrize("bad", [tuple(range(15)), tuple(range(17)), (32,) + (0,) * 15, (-1,) + (0,) * 15,
                                 ("0",) * 16, None, 7])
def test_bad_shuffle_is_invalid(bad) -> None:
    with pytest.raises(InvalidError):
        SIMD_OPS[Op.I8X16_SHUFFLE](bad)


def test_v128_conversions() -> None:
    assert V128_ZERO == 0 and v128_to_int(V128_ZERO) == 0
    for x in (0, 1, 0x0102030405060708090A0B0C0D0E0F10, (1 << 128) - 1):
        assert v128_to_int(v128_from_int(x)) == x
    assert v128_to_int(v128_from_int(-1)) == (1 << 128) - 1
    assert v128_to_int(v128_from_int(-(1 << 127))) == 1 << 127
    for bad in (1 << 128, -(1 << 127) - 1, 1.0, "1", None, True):
        with pytest.raises(UsageError):
            v128_from_int(bad)


def test_lane_order_is_little_endian() -> None:
    """Lane 0 is the low bits: extract lane k of a vector whose byte j is j."""
    ns = {**SIMD_HELPERS, "__builtins__": {}}
    v = int.from_bytes(bytes(range(16)), "little")
    got = [eval(SIMD_OPS[Op.I32X4_EXTRACT_LANE](k).format("v"), {**ns, "v": v}) for k in range(4)]
    assert got == [0x03020100, 0x07060504, 0x0B0A0908, 0x0F0E0D0C]


@pytest.mark.parametrize("op", sorted(SIMD_OPS), ids=lambda op: op.text)
def test_templates_take_literal_operands(op: Op) -> None:
    """The translator may substitute a literal (``7``) for an operand."""
    for template in templates_of(op):
        compile(template.format("7", "8", "9"), "<template>", "eval")


BOOL_SCALARS = [Op.I8X16_SPLAT, Op.I16X8_SPLAT, Op.I32X4_SPLAT, Op.I8X16_REPLACE_LANE, Op.I16X8_REPLACE_LANE,
                Op.I32X4_REPLACE_LANE] + [op for op in SIMD_OPS if op.text.split(".")[1] in ("shl", "shr_s", "shr_u")]


@pytest.mark.parametrize("op", BOOL_SCALARS, ids=lambda op: op.text)
def test_i32_operands_may_be_bools(op: Op) -> None:
    """Comparison results are bools; as i32 operands they act as 1 and 0,
    and a v128 result is still a plain int."""
    ns = {**SIMD_HELPERS, "__builtins__": {}}
    vector = int.from_bytes(bytes(range(0x80, 0x90)), "little")
    for template in templates_of(op):
        fn = eval(f"lambda x0, x1=None: {template.format(*(['x1'] if 'splat' in op.text else ['x0', 'x1']))}", ns)
        for flag in (True, False):
            got = fn(vector, flag)
            assert type(got) is int and got == fn(vector, int(flag)), op.text
