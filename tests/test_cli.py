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


def test_run_with_nothing_to_call_is_a_usage_error(capsys, files):
    # neither --invoke nor a _start export: say so, do not exit 0 silently
    code, out, err = run(capsys, "run", files["mod.wasm"])
    assert (code, out) == (EXIT_USAGE, "")
    assert err.startswith("error: ") and "no _start" in err and "--invoke" in err
    assert err.count("\n") == 1


def test_options_may_come_before_the_command(capsys, files):
    mod = files["mod.wasm"]
    assert run(capsys, "--invoke", "add", "run", mod, "1", "2")[:2] == (EXIT_OK, "3\n")
    code, _, err = run(capsys, "--fuel", "1000", "run", mod, "--invoke", "spin")
    assert code == EXIT_TRAP and "fuel: 998 consumed, 2 left" in err
    assert run(capsys, "--fuel=100", "--invoke=add", "run", mod, "1", "2")[:2] == (EXIT_OK, "3\n")
    code, _, err = run(capsys, "--max-call-depth", "100", "run", mod, "--invoke", "recurse")
    assert code == EXIT_TRAP and "call stack exhausted" in err
    # --fuel is a flag of dump: the command that follows is not its value
    code, out, _ = run(capsys, "--fuel", "dump", mod, "--func", "3")
    assert code == EXIT_OK and "FUEL" in out
    code, _, err = run(capsys, "--func", "3", "run", mod)
    assert code == EXIT_USAGE and "--func is not an option of run" in err


@pytest.mark.parametrize("argv", [
    ["run", "--invoke", "add", "-5", "MOD", "2"],
    ["run", "-5", "--invoke", "add", "MOD", "2"],
    ["--invoke", "add", "run", "-5", "2", "MOD"],
    ["run", "MOD", "-5", "2", "--invoke", "add"],
])
def test_a_negative_number_before_the_file_is_an_argument(capsys, files, argv):
    argv = [files["mod.wasm"] if a == "MOD" else a for a in argv]
    assert run(capsys, *argv) == (EXIT_OK, "-3\n", "")


def test_results_print_as_wasmtime_run_invoke_prints_them(capsys, tmp_path):
    # i32 and i64 signed, v128 its unsigned 128-bit integer (wasmtime's CLI
    # prints Val::V128 with as_u128), floats in their shortest form
    wat = tmp_path / "v.wat"
    wat.write_text('(module (func (export "v") (param v128) (result v128 i32 i64 f32)'
                   ' (local.get 0) (i32.const -1) (i64.const -2) (f32.const 0.5)))')
    code, out, _ = run(capsys, "run", wat, "--invoke", "v", "-1")
    assert (code, out.split()) == (EXIT_OK, [str(2 ** 128 - 1), "-1", "-2", "0.5"])
    code, out, _ = run(capsys, "run", wat, "--invoke", "v", "0x1234")
    assert out.split()[0] == str(0x1234)


def test_help_names_the_program_as_it_was_started(capsys, monkeypatch):
    import engine.__main__ as cli

    for argv0, name in (("/usr/local/bin/wasm-engine", "wasm-engine"),
                        (cli.__file__, "python -m engine")):
        monkeypatch.setattr(sys, "argv", [argv0])
        for argv in (["--help"], ["run", "--help"]):
            with pytest.raises(SystemExit) as e:
                main(argv)
            out, _ = capsys.readouterr()
            assert e.value.code == 0 and out.startswith(f"usage: {name} ")
        _, _, err = run(capsys, "frobnicate")
        assert f"(see {name} --help)" in err


def test_the_docstring_says_text_needs_no_external_tool():
    import engine.__main__ as cli

    assert "wat2wasm" not in cli.__doc__ and ".wat" in cli.__doc__


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
    (["run", "MOD", "1"], "exports no _start"),
    (["run", "no-such-file.wasm"], "cannot read"),
    (["run"], "required: FILE"),
    (["run", "MOD", "--bogus"], "unrecognized arguments: --bogus"),
    (["validate"], "required: file"),
    (["dump", "MOD", "--func", "99"], "not a defined function"),
    (["dump", "MOD", "--func", "x"], "invalid int value"),
    (["frobnicate"], "unknown command 'frobnicate'"),
    (["--fuel", "3"], "unknown command '3'"),
    ([], "required"),
])
def test_usage_errors_exit_1_on_one_line(capsys, files, argv, message):
    argv = [files["mod.wasm"] if a == "MOD" else a for a in argv]
    code, _, err = run(capsys, *argv)
    assert code == EXIT_USAGE
    assert err.startswith("error: ") and message in err
    assert err.count("\n") == 1, err


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
