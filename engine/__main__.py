"""Command line: ``python -m engine {run,validate,dump} FILE ...``.

Exit codes: 0 success, 1 usage or I/O error, 2 malformed module, 3 invalid
module, 4 link error, 5 trap (or uncaught exception, or failed
instantiation).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from typing import Optional, Sequence

EXIT_OK, EXIT_USAGE, EXIT_MALFORMED, EXIT_INVALID, EXIT_LINK, EXIT_TRAP = 0, 1, 2, 3, 4, 5


class CliError(Exception):
    """A user-facing error with an exit code."""

    def __init__(self, message: str, code: int = EXIT_USAGE):
        super().__init__(message)
        self.code = code


def read_module_bytes(path: str) -> bytes:
    """The binary of ``path``; ``.wat`` files are assembled with wat2wasm."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as e:
        raise CliError(f"cannot read {path}: {e.strerror}") from None
    if path.endswith(".wat") or (data[:4] != b"\0asm" and data.lstrip()[:1] == b"("):
        tool = shutil.which("wat2wasm") or shutil.which(
            "wat2wasm", path=os.path.dirname(sys.executable))
        if tool is None:
            raise CliError(f"{path} is in the text format and wat2wasm is not installed")
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "module.wasm")
            proc = subprocess.run([tool, "--enable-all", path, "-o", out],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                raise CliError(f"wat2wasm failed on {path}:\n{proc.stderr.strip()}", EXIT_MALFORMED)
            with open(out, "rb") as fh:
                return fh.read()
    return data


def _load(path: str):
    import engine

    data = read_module_bytes(path)
    eng = engine.Engine(engine.Config())
    try:
        return eng, engine.Module(eng, data)
    except engine.MalformedError as e:
        raise CliError(f"malformed module: {e}", EXIT_MALFORMED) from None
    except engine.InvalidError as e:
        raise CliError(f"invalid module: {e}", EXIT_INVALID) from None


def _parse_arg(text: str, t) -> object:
    from .syntax import types as T

    try:
        if t in (T.I32, T.I64, T.V128):
            return int(text, 0)
        if t in (T.F32, T.F64):
            return float(text)
    except ValueError:
        raise CliError(f"cannot read {text!r} as {t!r}") from None
    raise CliError(f"cannot pass a {t!r} argument from the command line")


def cmd_validate(args) -> int:
    _load(args.file)
    print(f"{args.file}: valid")
    return EXIT_OK


def cmd_dump(args) -> int:
    import engine

    _eng, module = _load(args.file)
    syn = module._syntax
    nimp = module._ctx.nimported_funcs
    indices = [args.func] if args.func is not None else range(nimp, nimp + len(syn.funcs))
    for i in indices:
        try:
            print(module.function_source(i))
        except engine.UsageError as e:
            raise CliError(str(e)) from None
    return EXIT_OK


def cmd_run(args) -> int:
    import engine

    eng, module = _load(args.file)
    store = engine.Store(eng)
    linker = engine.Linker(eng)
    try:
        instance = linker.instantiate(store, module)
    except engine.LinkError as e:
        raise CliError(f"link error: {e}", EXIT_LINK) from None
    except (engine.Trap, engine.InstantiationError, engine.WasmException) as e:
        raise CliError(f"instantiation failed: {e}", EXIT_TRAP) from None
    exports = instance.exports(store)
    name = args.invoke
    if name is None:
        name = "_start" if "_start" in exports else None
        if name is None:
            return EXIT_OK
    func = exports.get(name)
    if not isinstance(func, engine.Func):
        raise CliError(f"no exported function named {name!r}")
    params = func.ty(store).params
    if len(args.args) != len(params):
        raise CliError(f"{name} takes {len(params)} arguments, {len(args.args)} given")
    values = [_parse_arg(a, t) for a, t in zip(args.args, params)]
    try:
        result = func(store, *values)
    except engine.Trap as e:
        raise CliError(f"trap: {e}", EXIT_TRAP) from None
    except engine.WasmException as e:
        raise CliError(f"uncaught exception: {e}", EXIT_TRAP) from None
    if result is not None:
        results = result if isinstance(result, tuple) else (result,)
        for r in results:
            print(r)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m engine", description="Run, validate or inspect WebAssembly modules.")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="instantiate a module and call a function")
    r.add_argument("file")
    r.add_argument("--invoke", metavar="NAME", help="exported function to call (default: _start if present)")
    r.add_argument("args", nargs="*", help="arguments (ints or floats)")
    r.set_defaults(fn=cmd_run)
    v = sub.add_parser("validate", help="decode and validate a module")
    v.add_argument("file")
    v.set_defaults(fn=cmd_validate)
    d = sub.add_parser("dump", help="print the Python generated for functions")
    d.add_argument("file")
    d.add_argument("--func", type=int, metavar="N", help="function index (default: all defined functions)")
    d.set_defaults(fn=cmd_dump)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.fn(args)
    except CliError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.code


if __name__ == "__main__":
    sys.exit(main())
