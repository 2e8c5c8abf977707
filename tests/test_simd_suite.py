"""SIMD templates against the official testsuite's own assertions.

The SIMD scripts export most instructions as one-instruction functions
named after the instruction (``(func (export "i8x16.add") ...)``). For every
``assert_return`` invoking such a name, our template is evaluated on the
arguments and the result must match the expected value, or one of the
``either`` alternatives, lane by lane (``nan:canonical`` and
``nan:arithmetic`` as the spec defines them). The relaxed-SIMD scripts run
by default (they hold the ``either`` assertions our relaxed choices must
satisfy); every ``simd_*.wast`` script runs with ``-m suite``.

The suite is ``$WASM_TESTSUITE``, else the repository's ``testsuite``
submodule; the tests skip when neither holds one.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from engine.numeric import HELPERS, f32_from_bits, f32_to_bits, f64_from_bits, f64_to_bits
from engine.numeric.simd import SIMD_HELPERS, SIMD_OPS

ROOT = Path(__file__).resolve().parent.parent
RELAXED = ["i16x8_relaxed_q15mulr_s.wast", "i32x4_relaxed_trunc.wast", "i8x16_relaxed_swizzle.wast",
           "relaxed_dot_product.wast", "relaxed_laneselect.wast", "relaxed_madd_nmadd.wast",
           "relaxed_min_max.wast"]
NAMESPACE = {**HELPERS, **SIMD_HELPERS, "__builtins__": {}}
BY_NAME = {op.text: op for op in SIMD_OPS if not callable(SIMD_OPS[op])}
WIDTH = {"i8": 8, "i16": 16, "i32": 32, "i64": 64, "f32": 32, "f64": 64}
CANONICAL = {32: 0x7FC00000, 64: 0x7FF8000000000000}
QUIET = {32: 0x00400000, 64: 0x0008000000000000}
EXPONENT = {32: 0x7F800000, 64: 0x7FF0000000000000}


def suite_dir() -> Path | None:
    env = os.environ.get("WASM_TESTSUITE")
    path = Path(env) if env else ROOT / "testsuite"
    return path if path.is_dir() and any(path.glob("*.wast")) else None


def _wast2json() -> str | None:
    beside = Path(sys.executable).parent / "wast2json"
    return str(beside) if beside.exists() else shutil.which("wast2json")


SUITE = suite_dir()
WAST2JSON = _wast2json()
pytestmark = [
    pytest.mark.skipif(SUITE is None, reason="no testsuite (set WASM_TESTSUITE or check out the submodule)"),
    pytest.mark.skipif(WAST2JSON is None, reason="wast2json (wabt) is not installed"),
]


@functools.lru_cache(maxsize=None)
def commands(script: str) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp, "x.json")
        subprocess.run([WAST2JSON, "--enable-all", str(SUITE / script), "-o", str(out)],
                       check=True, capture_output=True)
        return json.loads(out.read_text())["commands"]


def argument(arg: dict):
    kind = arg["type"]
    if kind == "v128":
        w = WIDTH[arg["lane_type"]]
        return sum((int(x) & ((1 << w) - 1)) << (w * j) for j, x in enumerate(arg["value"]))
    bits = int(arg["value"])
    if kind == "f32":
        return f32_from_bits(bits)
    if kind == "f64":
        return f64_from_bits(bits)
    return bits


def float_matches(width: int, want: str, bits: int) -> bool:
    magnitude = bits & ((1 << (width - 1)) - 1)
    if want == "nan:canonical":
        return magnitude == CANONICAL[width]
    if want == "nan:arithmetic":
        return magnitude & (EXPONENT[width] | QUIET[width]) == EXPONENT[width] | QUIET[width]
    return bits == int(want)


def matches(want: dict, got) -> bool:
    kind = want["type"]
    if kind == "v128":
        lane = want["lane_type"]
        w = WIDTH[lane]
        for j, x in enumerate(want["value"]):
            bits = (got >> (w * j)) & ((1 << w) - 1)
            if lane[0] == "f" and not float_matches(w, x, bits):
                return False
            if lane[0] == "i" and bits != int(x) & ((1 << w) - 1):
                return False
        return True
    if kind in ("i32", "i64"):
        return int(got) == int(want["value"])
    if kind == "f32":
        return float_matches(32, want["value"], f32_to_bits(got))
    return float_matches(64, want["value"], f64_to_bits(got))


def check_script(script: str) -> int:
    """Run the script's assertions on instruction-named exports; returns how
    many ran. Fails listing the mismatches."""
    failures, ran = [], 0
    for cmd in commands(script):
        action = cmd.get("action", {})
        op = BY_NAME.get(action.get("field")) if cmd["type"] == "assert_return" else None
        if op is None or action.get("type") != "invoke":
            continue
        args = [argument(a) for a in action["args"]]
        names = [f"x{i}" for i in range(len(args))]
        got = eval(SIMD_OPS[op].format(*names), {**NAMESPACE, **dict(zip(names, args))})
        alternatives = cmd["either"] if "either" in cmd else cmd["expected"][:1]
        ran += 1
        if not any(matches(want, got) for want in alternatives):
            failures.append(f"{script}:{cmd['line']} {op.text}: got {got!r}, want {alternatives}")
    assert not failures, f"{len(failures)} of {ran} wrong:\n" + "\n".join(failures[:10])
    return ran


@pytest.mark.parametrize("script", RELAXED)
def test_relaxed_script(script: str) -> None:
    ran = check_script(script)
    if script != "i32x4_relaxed_trunc.wast":  # that script holds no assertions
        assert ran > 0


def _simd_scripts() -> list[str]:
    return sorted(p.name for p in SUITE.glob("simd_*.wast")) if SUITE else []


@pytest.mark.suite
@pytest.mark.parametrize("script", _simd_scripts() or [pytest.param(None, id="no-suite")])
def test_simd_script(script: str | None, request: pytest.FixtureRequest) -> None:
    if "suite" not in (request.config.option.markexpr or ""):
        pytest.skip("whole-suite check: runs only with -m suite")
    check_script(script)


def test_relaxed_either_assertions_exist() -> None:
    """The relaxed scripts do exercise several allowed outcomes."""
    eithers = sum("either" in cmd for script in RELAXED for cmd in commands(script))
    assert eithers >= 30
