"""Assemble WebAssembly text for tests with wabt's wat2wasm (a test extra)."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile

import pytest


def tool(name: str) -> str | None:
    """An external tool's path: the one installed beside this Python (the
    project's virtualenv), else the one on PATH, else None."""
    beside = os.path.join(os.path.dirname(sys.executable), name)
    return beside if os.path.exists(beside) else shutil.which(name)


@functools.lru_cache(maxsize=None)
def wat2wasm(text: str) -> bytes:
    """The binary of a module in the text format (cached per text): wabt's
    wat2wasm, or wasm-tools for what wabt cannot parse (GC types)."""
    wabt, wasm_tools = tool("wat2wasm"), tool("wasm-tools")
    if wabt is None and wasm_tools is None:
        pytest.skip("wat2wasm / wasm-tools (test extras) are not installed")
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "m.wat")
        out = os.path.join(tmp, "m.wasm")
        with open(src, "w") as fh:
            fh.write(text)
        errors = []
        for cmd in ([wabt, "--enable-all", src, "-o", out] if wabt else None,
                    [wasm_tools, "parse", src, "-o", out] if wasm_tools else None):
            if cmd is None:
                continue
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode == 0:
                with open(out, "rb") as fh:
                    return fh.read()
            errors.append(proc.stderr)
        raise AssertionError("cannot assemble the module:\n" + "\n".join(errors))


def instantiate(text: str, imports=None, config=None):
    """(store, exports) of a module given in the text format; ``imports``
    is a function of the store returning ``{(module, name): item}``."""
    import engine

    eng = engine.Engine(config)
    store = engine.Store(eng)
    linker = engine.Linker(eng)
    for (mod, name), item in (imports(store) if imports else {}).items():
        linker.define(store, mod, name, item)
    module = engine.Module(eng, wat2wasm(text))
    inst = linker.instantiate(store, module)
    return store, inst.exports(store)
