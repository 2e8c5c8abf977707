"""The security rule: no byte or string of a module reaches generated code."""

from __future__ import annotations

import io
import os
import tokenize

import engine
from engine.text.encode import uleb

from watutil import wat2wasm

PAYLOAD = "__import__('os').system('touch PWNED')"
PAYLOADS = [
    PAYLOAD,
    "\"); " + PAYLOAD + " #",
    "x\n" + PAYLOAD + "\n",
    "F0 = None\nimport os\n",
]


def _escape(s: str) -> str:
    return "".join(f"\\{b:02x}" for b in s.encode())


def _module_text() -> str:
    imports = "\n".join(
        f'(import "{_escape(p)}" "{_escape(p)}" (func $i{i} (param i32) (result i32)))'
        for i, p in enumerate(PAYLOADS)
    )
    exports = "\n".join(
        f'(func (export "{_escape(p)}") (param i32) (result i32) (call $i{i} (local.get 0)))'
        for i, p in enumerate(PAYLOADS)
    )
    data = "".join(f'(data (i32.const {i * 100}) "{_escape(p)}")' for i, p in enumerate(PAYLOADS))
    return f"""
    (module
      {imports}
      (memory (export "{_escape(PAYLOAD + "mem")}") 1)
      {data}
      {exports}
      (global (export "{_escape(PAYLOADS[1] + "glob")}") i32 (i32.const 1)))
    """


def _with_custom_sections(wasm: bytes) -> bytes:
    out = bytearray(wasm)
    for p in PAYLOADS:
        name = p.encode()
        body = uleb(len(name)) + name + p.encode() * 2
        out += b"\x00" + uleb(len(body)) + body
    return bytes(out)


def _string_tokens(source: str) -> list[str]:
    toks = tokenize.generate_tokens(io.StringIO(source).readline)
    return [t.string for t in toks if t.type == tokenize.STRING]


def test_injected_python_never_executes_nor_reaches_generated_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    wasm = _with_custom_sections(wat2wasm(_module_text()))
    eng = engine.Engine()
    store = engine.Store(eng)
    module = engine.Module(eng, wasm)
    assert [c.name for c in module._syntax.customs] == PAYLOADS
    linker = engine.Linker(eng)
    ft = engine.FuncType([engine.ValType.i32()], [engine.ValType.i32()])
    for i, p in enumerate(PAYLOADS):
        linker.define_func(p, p, ft, lambda x, i=i: x + i)
    inst = linker.instantiate(store, module)
    exports = inst.exports(store)
    for i, p in enumerate(PAYLOADS):
        assert exports[p](store, 10) == 10 + i
    nimp = len(PAYLOADS)
    for idx in range(nimp, nimp + len(PAYLOADS)):
        source = module.function_source(idx)
        assert _string_tokens(source) == []
        for p in PAYLOADS:
            for fragment in (p, "os", "system", "import", "PWNED"):
                assert fragment not in source
    assert not os.path.exists(tmp_path / "PWNED")
