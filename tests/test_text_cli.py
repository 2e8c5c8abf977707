"""``python -m engine.text``: text module in, binary out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from engine.text import parse_module
from engine.text.__main__ import main

ROOT = Path(__file__).resolve().parent.parent


def test_assembles_to_a_file(tmp_path, capsys):
    src = tmp_path / "m.wat"
    src.write_text('(module (func (export "f") (result i32) (i32.const 42)))')
    out = tmp_path / "m.wasm"
    assert main([str(src), "-o", str(out)]) == 0
    assert out.read_bytes() == parse_module(src.read_text())


def test_malformed_and_missing_inputs(tmp_path, capsys):
    src = tmp_path / "bad.wat"
    src.write_text("(module (func i32.bogus))")
    assert main([str(src)]) == 1
    assert "unknown operator" in capsys.readouterr().err
    assert main([str(tmp_path / "absent.wat")]) == 2


def test_stdin_to_stdout():
    proc = subprocess.run([sys.executable, "-m", "engine.text", "-"], input=b"(module)",
                          capture_output=True, cwd=ROOT)
    assert proc.returncode == 0 and proc.stdout == b"\x00asm\x01\x00\x00\x00"
