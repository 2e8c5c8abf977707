"""Command line: ``python -m engine {run,validate,dump} FILE ...`` (also
installed as the ``wasm-engine`` console script).

* ``run FILE [--invoke NAME] [ARGS ...] [--fuel N] [--max-call-depth N]``
  instantiates the module (with no imports) and calls ``NAME`` (default:
  ``_start``; a module with neither is a usage error), printing each result
  on its own line.
* ``validate FILE`` decodes and validates.
* ``dump FILE [--func N] [--fuel] [--epoch]`` prints the Python generated
  for the defined functions (or function ``N``), with fuel metering or
  epoch checks if asked.

``FILE`` is a binary module or a text module (``.wat``): the engine reads
the text format itself. Options and arguments may come in any order, before
or after the command (``--fuel 10 run f.wat``, ``run --invoke add -5 2
f.wat``); the module is the first argument that is not a number, so a
negative argument before it is still an argument. Arguments are ints
(decimal or ``0x`` hex, signed or not) for i32/i64/v128 and floats
(``1.5``, ``-inf``, ``nan``) for f32/f64. Results print as wasmtime's
``run --invoke`` prints them: i32 and i64 signed, v128 as its unsigned
128-bit integer, floats in Python's shortest form.

Errors are one line on stderr, never a traceback, with these exit codes:
0 success, 1 usage or I/O error, 2 malformed module, 3 invalid module,
4 link error, 5 trap (or uncaught Wasm exception, or failed instantiation),
6 internal engine error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from typing import Optional, Sequence

(EXIT_OK, EXIT_USAGE, EXIT_MALFORMED, EXIT_INVALID, EXIT_LINK, EXIT_TRAP,
 EXIT_INTERNAL) = range(7)
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """A user-facing error with an exit code."""

    def __init__(self, message: str, code: int = EXIT_USAGE):
        super().__init__(message)
        self.code = code


def read_module_bytes(path: str) -> bytes:
    """The contents of ``path``: a binary module or one in the text format
    (the engine reads both)."""
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as e:
        raise CliError(f"cannot read {path}: {e.strerror}") from None


def _load(path: str, config=None):
    import engine

    data = read_module_bytes(path)
    eng = engine.Engine(config if config is not None else engine.Config())
    try:
        return eng, engine.Module(eng, data)
    except engine.MalformedError as e:
        raise CliError(f"malformed module: {e}", EXIT_MALFORMED) from None
    except engine.InvalidError as e:
        raise CliError(f"invalid module: {e}", EXIT_INVALID) from None


def _parse_arg(text: str, t) -> object:
    from .syntax import types as T

    text = text.strip()  # see _protect_negative_numbers
    try:
        if t in (T.I32, T.I64, T.V128):
            return int(text, 0)
        if t in (T.F32, T.F64):
            return float(text)
    except ValueError:
        raise CliError(f"cannot read {text!r} as {t!r}") from None
    raise CliError(f"cannot pass a {t!r} argument from the command line")


def _format_result(value: object) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _config(args):
    import engine

    kw = {}
    if getattr(args, "fuel", None) not in (None, False):
        kw["consume_fuel"] = True
    if getattr(args, "epoch", False):
        kw["epoch_interruption"] = True
    if getattr(args, "max_call_depth", None) is not None:
        kw["max_call_depth"] = args.max_call_depth
    try:
        return engine.Config(**kw)
    except engine.UsageError as e:
        raise CliError(str(e)) from None


def cmd_validate(args) -> int:
    _load(args.file)
    print(f"{args.file}: valid")
    return EXIT_OK


def cmd_dump(args) -> int:
    import engine

    _eng, module = _load(args.file, _config(args))
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

    eng, module = _load(args.file, _config(args))
    from .wasi import imports_wasi, run_cli

    if args.invoke is None and imports_wasi(module):
        # a WASI command: run _start with the arguments, exit with its code
        if args.fuel is not None:
            raise CliError("--fuel is not supported for WASI commands")
        try:
            return run_cli(args.file, args.args, args.dir, args.env, module=module, engine=eng) & 0xFF
        except engine.LinkError as e:
            raise CliError(f"link error: {e}", EXIT_LINK) from None
        except (engine.Trap, engine.InstantiationError, engine.WasmException) as e:
            raise CliError(f"trap: {e}", EXIT_TRAP) from None
    if args.dir or args.env:
        raise CliError("--dir and --env are for WASI commands (modules importing wasi_snapshot_preview1)")
    store = engine.Store(eng)
    if args.fuel is not None:
        store.set_fuel(args.fuel)
    linker = engine.Linker(eng)
    try:
        instance = linker.instantiate(store, module)
    except engine.LinkError as e:
        raise CliError(f"link error: {e}", EXIT_LINK) from None
    except engine.Trap as e:
        raise CliError(f"instantiation failed: trap: {e}", EXIT_TRAP) from None
    except (engine.InstantiationError, engine.WasmException) as e:
        raise CliError(f"instantiation failed: {e}", EXIT_TRAP) from None
    exports = instance.exports(store)
    name = args.invoke
    if name is None:
        if "_start" not in exports:
            raise CliError(f"{args.file} exports no _start function: name the function to call "
                           "with --invoke NAME")
        name = "_start"
    func = exports.get(name)
    if not isinstance(func, engine.Func):
        raise CliError(f"no exported function named {name!r}")
    params = func.type(store).params
    if len(args.args) != len(params):
        raise CliError(f"{name} takes {len(params)} arguments, {len(args.args)} given")
    values = [_parse_arg(a, t) for a, t in zip(args.args, params)]
    try:
        result = func(store, *values)
    except engine.Trap as e:
        raise CliError(f"trap: {e}", EXIT_TRAP) from None
    except engine.WasmException as e:
        raise CliError(f"uncaught exception: {e}", EXIT_TRAP) from None
    except engine.UsageError as e:
        raise CliError(str(e)) from None
    finally:
        if args.fuel is not None:
            left = store.get_fuel()
            print(f"fuel: {args.fuel - left} consumed, {left} left", file=sys.stderr)
    if result is not None:
        results = result if isinstance(result, tuple) else (result,)
        for r in results:
            print(_format_result(r))
    return EXIT_OK


def _non_negative(text: str) -> int:
    text = text.strip()
    try:
        n = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an int: {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text}")
    return n


def program_name() -> str:
    """How the command line was started: ``wasm-engine`` (the console
    script) or ``python -m engine``."""
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return "wasm-engine" if name.startswith("wasm-engine") else "python -m engine"


class _Parser(argparse.ArgumentParser):
    """argparse exits with 2 on bad usage, which here means a malformed
    module: report usage errors with exit code 1 instead, on one line."""

    def error(self, message: str):  # type: ignore[override]
        raise CliError(f"{message} (see {self.prog} --help)")


def _command_parsers(prog: str) -> dict[str, argparse.ArgumentParser]:
    r = _Parser(prog=f"{prog} run", usage=f"{prog} run [options] FILE [ARGS ...]",
                description="Instantiate a module (no imports) and call a function.")
    r.add_argument("file", nargs="?", help="the module, binary or text (the first argument that is "
                                           "not a number)")
    r.add_argument("--invoke", metavar="NAME", help="exported function to call (default: _start)")
    r.add_argument("--fuel", type=_non_negative, metavar="N",
                   help="meter execution: trap once N units of fuel are spent")
    r.add_argument("--max-call-depth", type=_non_negative, metavar="N",
                   help="deepest Wasm call nesting before a stack-overflow trap (default 10000)")
    r.add_argument("args", nargs="*", help="arguments (ints or floats; for a WASI command "
                                          "the program's arguments, also after --)")
    from .wasi import add_arguments as add_wasi_arguments

    add_wasi_arguments(r)
    r.set_defaults(fn=cmd_run)
    v = _Parser(prog=f"{prog} validate", description="Decode and validate a module.")
    v.add_argument("file")
    v.set_defaults(fn=cmd_validate)
    d = _Parser(prog=f"{prog} dump", description="Print the Python generated for functions.")
    d.add_argument("file")
    d.add_argument("--func", type=int, metavar="N", help="function index (default: all defined functions)")
    d.add_argument("--fuel", action="store_true", help="show the code generated with fuel metering on")
    d.add_argument("--epoch", action="store_true",
                   help="show the code generated with epoch interruption on")
    d.set_defaults(fn=cmd_dump)
    return {"run": r, "validate": v, "dump": d}


def build_parser(prog: Optional[str] = None) -> argparse.ArgumentParser:
    """The top-level parser (for help): ``PROG COMMAND ...``."""
    prog = prog or program_name()
    p = _Parser(prog=prog, usage=f"{prog} [options] COMMAND [options] FILE [ARGS ...]",
                description="Run, validate or inspect WebAssembly modules (binary or text).",
                epilog=f"{prog} COMMAND --help describes each command and its options, which may "
                       "also come before the command.")
    p.add_argument("command", choices=sorted(_command_parsers(prog)))
    return p


_NEGATIVE_NUMBER = re.compile(
    r"^-(inf(inity)?|nan|0x[0-9a-f_]+|[0-9_]*\.?[0-9_]*(e[+-]?[0-9]+)?)$", re.IGNORECASE)


def _protect_negative_numbers(argv: Sequence[str]) -> list[str]:
    """argparse takes ``-inf`` or ``-0x10`` for options; a leading space
    makes them plain arguments (stripped again when they are read)."""
    return [" " + a if len(a) > 1 and _NEGATIVE_NUMBER.match(a) else a for a in argv]


def _unprotect(text: str) -> str:
    return text[1:] if text[:1] == " " and _NEGATIVE_NUMBER.match(text[1:]) else text


def _is_number(text: str) -> bool:
    text = text.strip()
    for read in (lambda t: int(t, 0), float):
        try:
            read(text)
            return True
        except ValueError:
            pass
    return False


def _options(parser: argparse.ArgumentParser, token: str) -> list:
    """The options of ``parser`` that ``token`` names (a unique prefix
    counts, as argparse allows)."""
    name = token.split("=", 1)[0]
    exact = [a for a in parser._actions if name in a.option_strings]
    if exact or not name.startswith("--"):
        return exact
    return [a for a in parser._actions if any(o.startswith(name) for o in a.option_strings if o[:2] == "--")]


def _find_command(argv: Sequence[str], parsers: dict) -> Optional[int]:
    """The index of the command in ``argv``, the options before it (and
    their values) skipped."""
    i = 0
    while i < len(argv):
        token = argv[i]
        if token in parsers:
            return i
        if not token.startswith("-") or _NEGATIVE_NUMBER.match(token):
            return None  # a positional argument before any command
        # an option of some command: it takes the next argument as its value
        # unless none of its kinds does, or the next argument is the command
        # (``--fuel`` is a flag of dump, a number for run)
        takes = any(a.nargs != 0 for p in parsers.values() for a in _options(p, token))
        i += 2 if takes and "=" not in token and argv[i + 1:i + 2] and argv[i + 1] not in parsers else 1
    return None


def parse_args(argv: Sequence[str], prog: Optional[str] = None) -> argparse.Namespace:
    """The parsed command line; raises CliError on bad usage. Options and
    arguments may come in any order, before or after the command
    (``--fuel 9 run F.wasm --invoke f 1 2``)."""
    from .wasi import split_program_args

    prog = prog or program_name()
    argv, program_args = split_program_args(argv)
    parsers = _command_parsers(prog)
    at = _find_command(argv, parsers)
    if at is None:
        if any(a in ("-h", "--help") for a in argv):
            build_parser(prog).parse_args(["--help"])
        bad = next((a for a in argv if not a.startswith("-")), None)
        if bad is None:
            raise CliError(f"a command is required: {', '.join(sorted(parsers))} (see {prog} --help)")
        raise CliError(f"unknown command {bad!r}: choose from {', '.join(sorted(parsers))} "
                       f"(see {prog} --help)")
    command = argv[at]
    for token in argv[:at]:
        if token.startswith("-") and not _options(parsers[command], token) and token not in ("-h", "--help"):
            raise CliError(f"{token.split('=', 1)[0]} is not an option of {command} "
                           f"(see {prog} {command} --help)")
    args = parsers[command].parse_intermixed_args(_protect_negative_numbers([*argv[:at], *argv[at + 1:]]))
    if command == "run":
        # the module is the first argument that is not a number
        items = [a for a in [args.file, *args.args] if a is not None]
        pick = next((k for k, a in enumerate(items) if not _is_number(a)), 0)
        if not items:
            parsers[command].error("the following arguments are required: FILE")
        args.file = _unprotect(items.pop(pick))
        args.args = [_unprotect(a) for a in items]
    else:
        args.file = _unprotect(args.file)
    if program_args:
        if not hasattr(args, "args"):
            raise CliError(f"{command} takes no program arguments after --")
        args.args = list(args.args) + program_args
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit code."""
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
        import engine

        try:
            return args.fn(args)
        except engine.UsageError as e:
            raise CliError(str(e)) from None
        except engine.WasmError as e:
            raise CliError(f"internal engine error: {e}", EXIT_INTERNAL) from None
    except CliError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader went away (``dump ... | head``): stop quietly
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
