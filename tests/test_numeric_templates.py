"""The contract of ``engine.numeric.SCALAR_OPS`` and ``HELPERS`` with the
translator: coverage, names, embedding, atoms, bools, no builtins."""

from __future__ import annotations

import ast
import builtins
import keyword
import math
import re
import string

import pytest

from engine.errors import Trap
from engine.numeric import HELPERS, SCALAR_OPS, f32_from_bits, f64_from_bits
from engine.syntax.opcodes import Op

NUMERIC_PREFIXES = ("i32", "i64", "f32", "f64")
NOT_NUMERIC = ("load", "store", "atomic", "const")


def expected_ops() -> set[Op]:
    return {
        op for op in Op
        if op.text.split(".")[0] in NUMERIC_PREFIXES
        and not any(word in op.text for word in NOT_NUMERIC)
    }


def arity(template: str) -> int:
    fields = [int(f) for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    return max(fields) + 1 if fields else 0


def operand_types(op: Op) -> tuple[str, ...]:
    """Wasm operand types of a numeric op, from its text name."""
    text = op.text
    head, name = text.split(".", 1)
    if name in ("add128", "sub128"):
        return ("i64",) * 4
    if name.startswith("mul_wide"):
        return ("i64",) * 2
    conversion = re.search(r"_(i32|i64|f32|f64)(_[su])?$", name)
    if conversion:
        return (conversion.group(1),)
    return (head,) * arity(SCALAR_OPS[op])


def test_every_numeric_op_has_a_template():
    assert set(SCALAR_OPS) == expected_ops()
    assert len(SCALAR_OPS) == 140 + 60  # Wasm 3.0's and the rounding variants


@pytest.mark.parametrize("op", sorted(SCALAR_OPS, key=lambda o: o.value), ids=lambda o: o.text)
def test_template_shape(op):
    template = SCALAR_OPS[op]
    n = arity(template)
    name = re.sub(r"_(ceil|floor|trunc)$", "", op.text.split(".", 1)[1])  # rounding variants
    unary = name in ("eqz", "clz", "ctz", "popcnt", "abs", "neg", "ceil", "floor", "trunc", "nearest",
                     "sqrt") or name.startswith("extend") or re.search(r"_(i32|i64|f32|f64)(_[su])?$", name)
    want = 4 if name in ("add128", "sub128") else 1 if unary else 2
    assert n == want, (n, want)
    names = [f"x{i}" for i in range(n)]
    source = template.format(*names)
    tree = ast.parse(source, mode="eval").body
    # Binds as one operand under the tightest Python operator (attribute
    # access), so it embeds anywhere.
    embedded = ast.parse(f"{source}.real", mode="eval").body
    assert isinstance(embedded, ast.Attribute)
    assert ast.dump(embedded.value) == ast.dump(tree)
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    assert used - set(names) <= set(HELPERS), used - set(names) - set(HELPERS)
    assert not any(isinstance(node, ast.NamedExpr | ast.Lambda) for node in ast.walk(tree))


def test_helper_names_follow_the_rules():
    for name in HELPERS:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name
        assert not hasattr(builtins, name), name
        assert not keyword.iskeyword(name) and not keyword.issoftkeyword(name), name
        assert not re.fullmatch(r"[lst][0-9]+", name), name


def test_every_helper_is_used():
    used: set[str] = set()
    for template in SCALAR_OPS.values():
        tree = ast.parse(template.format(*[f"x{i}" for i in range(arity(template))]), mode="eval")
        used |= {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    # f32_round is the portable fallback of the inline f32 rounding.
    assert set(HELPERS) - used <= {"f32_round"}


def _namespace() -> dict:
    return {**HELPERS, "__builtins__": {}}


def _sample_value(t: str, k: int):
    ints = {"i32": (0, 1, 5, 0x80000000, 0xFFFFFFFF, 31, 32),
            "i64": (0, 1, 5, 0x8000000000000000, 0xFFFFFFFFFFFFFFFF, 63, 64)}
    floats = (0.0, 1.5, 2.5, 1e300, 4294967295.0, 0.25, 3.0)
    if t in ints:
        return ints[t][k % 7]
    return floats[k % 7]


def _literal(value) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _run(source: str, env: dict):
    try:
        return ("ok", eval(source, _namespace(), env))
    except Trap as trap:
        return ("trap", trap.code)
    except ZeroDivisionError:
        return ("div0", None)


def _same(a, b) -> bool:
    if a[0] != b[0]:
        return False
    x, y = a[1], b[1]
    if isinstance(x, float) or isinstance(y, float):
        return isinstance(x, float) and isinstance(y, float) and (
            math.isnan(x) and math.isnan(y) or x == y and math.copysign(1, x) == math.copysign(1, y))
    return x == y


@pytest.mark.parametrize("op", sorted(SCALAR_OPS, key=lambda o: o.value), ids=lambda o: o.text)
def test_literal_and_expression_atoms(op):
    """The translator may pass non-negative literals or parenthesised
    expressions instead of names; the result must not change."""
    template = SCALAR_OPS[op]
    types = operand_types(op)
    for k in range(7):
        values = [_sample_value(t, k + i) for i, t in enumerate(types)]
        env = {f"x{i}": v for i, v in enumerate(values)}
        by_name = _run(template.format(*env), env)
        by_literal = _run(template.format(*map(_literal, values)), {})
        by_expr = _run(template.format(*[f"(x{i} + {0.0 if isinstance(v, float) else 0})"
                                         for i, v in enumerate(values)]), env)
        assert _same(by_name, by_literal), (values, by_name, by_literal)
        assert _same(by_name, by_expr), (values, by_name, by_expr)


I32_SAMPLES = (0, 1, 2, 0x7F, 0x80, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)


@pytest.mark.parametrize(
    "op",
    sorted((op for op in SCALAR_OPS if "i32" in operand_types(op)), key=lambda o: o.value),
    ids=lambda o: o.text,
)
def test_bools_are_accepted_as_i32(op):
    """Comparison results are bools; every i32 operand may be one."""
    template = SCALAR_OPS[op]
    types = operand_types(op)
    positions = [i for i, t in enumerate(types) if t == "i32"]
    for flag in (False, True):
        for other in I32_SAMPLES:
            ints = [other] * len(types)
            bools = list(ints)
            for i in positions:
                ints[i] = int(flag)
                bools[i] = flag
            source = template.format(*[f"x{i}" for i in range(len(types))])
            want = _run(source, {f"x{i}": v for i, v in enumerate(ints)})
            got = _run(source, {f"x{i}": v for i, v in enumerate(bools)})
            assert _same(want, got), (ints, want, got)


def test_wide_results_are_pairs():
    ns = _namespace()
    for op in (Op.I64_ADD128, Op.I64_SUB128, Op.I64_MUL_WIDE_S, Op.I64_MUL_WIDE_U):
        template = SCALAR_OPS[op]
        result = eval(template.format(*["3"] * arity(template)), ns)
        assert isinstance(result, tuple) and len(result) == 2


def test_float_results_are_floats_and_int_results_ints():
    ns = _namespace()
    for op, template in SCALAR_OPS.items():
        types = operand_types(op)
        env = {f"x{i}": (1.25 if t[0] == "f" else 3) for i, t in enumerate(types)}
        result = eval(template.format(*env), ns, env)
        head, name = op.text.split(".", 1)
        compares = name in ("eq", "ne", "lt", "gt", "le", "ge", "eqz") or name[:3] in ("lt_", "gt_", "le_", "ge_")
        if compares:
            assert isinstance(result, (bool, int)), op
        elif head[0] == "f":
            assert type(result) is float, op
        elif op not in (Op.I64_ADD128, Op.I64_SUB128, Op.I64_MUL_WIDE_S, Op.I64_MUL_WIDE_U):
            assert isinstance(result, int) and not isinstance(result, float), op


def test_special_float_values_do_not_raise():
    """No float operation may let a Python exception escape."""
    specials = [f64_from_bits(b) for b in (
        0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000, 0x7FF4000000000000,
        0, 0x8000000000000000, 1, 0x7FEFFFFFFFFFFFFF)]
    specials += [f32_from_bits(b) for b in (0x7FA00000, 0xFF800001, 0x7F7FFFFF)]
    ns = _namespace()
    for op, template in SCALAR_OPS.items():
        types = operand_types(op)
        if any(t[0] == "i" for t in types):
            continue
        for a in specials:
            for b in specials:
                env = {"x0": a, "x1": b}
                try:
                    eval(template.format("x0", "x1"), ns, env)
                except Trap:
                    assert "trunc" in op.text and "sat" not in op.text, op
