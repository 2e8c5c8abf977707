"""The command line: python -m engine {run,validate,dump}, exit codes, and no
traceback whatever the input."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from engine.__main__ import (
    EXIT_INVALID, EXIT_LINK, EXIT_MALFORMED, EXIT_OK, EXIT_TRAP, EXIT_USAGE, main)

from watutil import wat2wasm

ROOT = Path(__file__).resolve().parent.parent

TEXT = """
(module
  (global $n (mut i32) (i32.const 0))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "neg") (param f64) (result f64 f32) (f64.neg (local.get 0)) (f32.const 1.5))
  (func (export "wide") (param i64) (result i64) (local.get 0))
  (func (export "spin") (loop $l (global.set $n (i32.add (global.get $n) (i32.const 1))) (br $l)))
  (func (export "boom") unreachable)
  (func $r (export "recurse") (call $r))
  (func (export "nothing")))
"""

# a function declared to return an i32 whose body leaves nothing: invalid
INVALID = bytes.fromhex("0061736d01000000" "0105016000017f" "03020100" "0a040102000b")


@pytest.fixture
def files(tmp_path):
    """name -> path of the test modules."""
    out = {}
    for name, data in {
        "mod.wasm": wat2wasm(TEXT),
        "start.wasm": wat2wasm('(module (func $s (export "_start") unreachable))'),
        "imports.wasm": wat2wasm('(module (import "env" "f" (func)))'),
        "invalid.wasm": INVALID,
        "truncated.wasm": wat2wasm(TEXT)[:-3],
        "garbage.wasm": b"\x7fELF not wasm",
    }.items():
        p = tmp_path / name
        p.write_bytes(data)
        out[name] = str(p)
    wat = tmp_path / "mod.wat"
    wat.write_text(TEXT)
    out["mod.wat"] = str(wat)
    bad_wat = tmp_path / "bad.wat"
    bad_wat.write_text("(module (func (i32.addd)))")
    out["bad.wat"] = str(bad_wat)
    invalid_wat = tmp_path / "invalid.wat"
    invalid_wat.write_text("(module (func (i32.add)))")
    out["invalid.wat"] = str(invalid_wat)
    return out


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_run_prints_results(capsys, files):
    assert run(capsys, "run", files["mod.wasm"], "--invoke", "add", "2", "-5") == (EXIT_OK, "-3\n", "")
    code, out, _ = run(capsys, "run", files["mod.wasm"], "--invoke", "neg", "-inf")
    assert (code, out) == (EXIT_OK, "inf\n1.5\n")
    code, out, _ = run(capsys, "run", files["mod.wasm"], "--invoke", "wide", "0xffffffffffffffff")
    assert (code, out) == (EXIT_OK, "-1\n")
    assert run(capsys, "run", files["mod.wasm"], "--invoke", "nothing") == (EXIT_OK, "", "")
    # options may follow the arguments
    assert run(capsys, "run", files["mod.wasm"], "40", "2", "--invoke", "add")[:2] == (EXIT_OK, "42\n")


def test_run_defaults_to_start(capsys, files):
    code, _, err = run(capsys, "run", files["start.wasm"])
    assert code == EXIT_TRAP and "unreachable" in err
    assert run(capsys, "run", files["mod.wasm"]) == (EXIT_OK, "", "")  # nothing to call


def test_text_modules_are_read(capsys, files):
    assert run(capsys, "run", files["mod.wat"], "--invoke", "add", "1", "2")[:2] == (EXIT_OK, "3\n")
    code, _, err = run(capsys, "validate", files["bad.wat"])
    assert code == EXIT_MALFORMED and "malformed module" in err
    code, _, err = run(capsys, "validate", files["invalid.wat"])
    assert code == EXIT_INVALID and "invalid module" in err


def test_validate_exit_codes(capsys, files):
    code, out, _ = run(capsys, "validate", files["mod.wasm"])
    assert code == EXIT_OK and out.endswith(": valid\n")
    for name, expected, word in [("truncated.wasm", EXIT_MALFORMED, "malformed"),
                                 ("garbage.wasm", EXIT_MALFORMED, "malformed"),
                                 ("invalid.wasm", EXIT_INVALID, "invalid")]:
        code, out, err = run(capsys, "validate", files[name])
        assert code == expected and err.startswith(f"error: {word} module"), (name, err)


def test_run_exit_codes(capsys, files):
    code, _, err = run(capsys, "run", files["imports.wasm"])
    assert code == EXIT_LINK and "link error" in err and "unknown import" in err
    code, _, err = run(capsys, "run", files["mod.wasm"], "--invoke", "boom")
    assert (code, err) == (EXIT_TRAP, "error: trap: unreachable\n")
    code, _, err = run(capsys, "run", files["mod.wasm"], "--invoke", "recurse", "--max-call-depth", "100")
    assert code == EXIT_TRAP and "call stack exhausted" in err
    code, _, err = run(capsys, "run", files["invalid.wasm"])
    assert code == EXIT_INVALID


@pytest.mark.parametrize("argv, message", [
    (["run", "MOD", "--invoke", "add", "1"], "takes 2 arguments"),
    (["run", "MOD", "--invoke", "add", "1", "x"], "cannot read 'x'"),
    (["run", "MOD", "--invoke", "add", "1", "0x100000000"], "does not fit"),
    (["run", "MOD", "--invoke", "missing"], "no exported function"),
    (["run", "MOD", "--fuel", "-3"], "must not be negative"),
    (["run", "MOD", "--max-call-depth", "0"], "max_call_depth"),
    (["run", "MOD", "1"], "no function to call"),
    (["run", "no-such-file.wasm"], "cannot read"),
    (["dump", "MOD", "--func", "99"], "not a defined function"),
    (["frobnicate"], "invalid choice"),
    ([], "required"),
])
def test_usage_errors_exit_1(capsys, files, argv, message):
    argv = [files["mod.wasm"] if a == "MOD" else a for a in argv]
    code, _, err = run(capsys, *argv)
    assert code == EXIT_USAGE
    assert err.startswith("error: ") and message in err


def test_fuel_stops_an_infinite_loop(capsys, files):
    code, _, err = run(capsys, "run", files["mod.wasm"], "--invoke", "spin", "--fuel", "1000")
    assert code == EXIT_TRAP
    assert "all fuel consumed" in err
    assert "fuel: 998 consumed, 2 left" in err  # the documented, deterministic stop point
    code, out, err = run(capsys, "run", files["mod.wasm"], "--invoke", "add", "1", "2", "--fuel", "100")
    assert (code, out) == (EXIT_OK, "3\n") and "consumed" in err


def test_dump_shows_fuel_bookkeeping_only_with_fuel(capsys, files):
    code, plain, _ = run(capsys, "dump", files["mod.wasm"], "--func", "3")
    assert code == EXIT_OK and plain.startswith("def F3(")
    assert "FUEL" not in plain
    code, fueled, _ = run(capsys, "dump", files["mod.wasm"], "--func", "3", "--fuel")
    assert code == EXIT_OK and "FUEL" in fueled and "OUT_OF_FUEL" in fueled
    code, everything, _ = run(capsys, "dump", files["mod.wasm"])
    assert everything.count("def F") == 7


def _subprocess(*argv):
    return subprocess.run([sys.executable, "-m", "engine", *argv], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)


def test_python_dash_m_engine_and_the_console_script(files):
    proc = _subprocess("run", files["mod.wasm"], "--invoke", "add", "20", "22")
    assert (proc.returncode, proc.stdout) == (0, "42\n")
    proc = _subprocess("run", files["mod.wasm"], "--invoke", "boom")
    assert proc.returncode == EXIT_TRAP and "Traceback" not in proc.stderr
    proc = _subprocess("--help")
    assert proc.returncode == 0 and "run" in proc.stdout
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["wasm-engine"] == "engine.__main__:main"


def test_no_traceback_on_random_bytes(capsys, tmp_path, files):
    rng = random.Random(7)
    good = Path(files["mod.wasm"]).read_bytes()
    for i in range(40):
        data = bytearray(good)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(8, len(data))] = rng.randrange(256)
        p = tmp_path / f"m{i}.wasm"
        p.write_bytes(bytes(data))
        for argv in (["validate", p], ["run", p, "--invoke", "add", "1", "2"], ["dump", p]):
            code, _, err = run(capsys, *argv)
            assert code in (EXIT_OK, EXIT_USAGE, EXIT_MALFORMED, EXIT_INVALID, EXIT_TRAP), err
            assert code == EXIT_OK or err.startswith("error: ")
