"""Command-line helpers: ``--dir HOST[::GUEST]``, ``--env KEY[=VALUE]``.

A command line wires WASI in three steps::

    add_arguments(run_parser)              # --dir and --env
    ...
    code = run_cli(path, program_args, options.dir, options.env)
    sys.exit(code)

``run_cli`` runs with the host's stdin, stdout and stderr, the file name as
``argv[0]`` and only the environment variables given with ``--env``.
"""

from __future__ import annotations

import argparse
import os
from typing import Any, Iterable, Optional, Sequence

from ..errors import UsageError


def parse_dir(spec: str) -> tuple[str, str]:
    """``"HOST::GUEST"`` as ``(host, guest)``; ``"HOST"`` alone is
    preopened under its own name."""
    host, sep, guest = spec.partition("::")
    if not host or (sep and not guest):
        raise UsageError(f"bad --dir {spec!r}: expected HOST or HOST::GUEST")
    return host, guest if sep else host


def parse_env(spec: str) -> tuple[str, str]:
    """``"KEY=VALUE"`` as ``(key, value)``; ``"KEY"`` alone passes the host's
    value of KEY on (an error if the host has none)."""
    key, sep, value = spec.partition("=")
    if not key:
        raise UsageError(f"bad --env {spec!r}: expected KEY=VALUE")
    if not sep:
        if key not in os.environ:
            raise UsageError(f"--env {key}: not set in this environment")
        value = os.environ[key]
    return key, value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--dir`` and ``--env`` (both repeatable) to a ``run`` parser."""
    parser.add_argument("--dir", action="append", default=[], metavar="HOST[::GUEST]",
                        help="preopen the host directory HOST for a WASI program, under the "
                             "name GUEST (default: HOST)")
    parser.add_argument("--env", action="append", default=[], metavar="KEY[=VALUE]",
                        help="set an environment variable of a WASI program (KEY alone: "
                             "pass the host's value)")


def run_cli(path: str, args: Sequence[str] = (), dirs: Iterable[str] = (),
            envs: Iterable[str] = (), *, module: Any = None, engine: Any = None,
            argv0: Optional[str] = None) -> int:
    """Run the WASI command in ``path`` as a command line asks: ``args``
    after ``argv[0]`` (the path as given, or ``argv0``), ``dirs`` and
    ``envs`` as their option strings, the host's stdio. The exit status:
    the program's, or 0. ``module`` may give the already compiled Module."""
    dir_pairs = [parse_dir(d) for d in dirs]
    env_pairs = [parse_env(e) for e in envs]
    from .run import run_command

    return run_command(module if module is not None else path,
                       [argv0 if argv0 is not None else path, *args],
                       env=env_pairs, dirs=dir_pairs, engine=engine)


def split_program_args(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """Split a command line at its first ``--``: (the runner's own
    arguments, the program's). argparse cannot do it by itself once a
    ``nargs="*"`` positional has matched before the options."""
    argv = list(argv)
    if "--" in argv:
        cut = argv.index("--")
        return argv[:cut], argv[cut + 1:]
    return argv, []


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m engine.wasi FILE [--dir ...] [--env ...] [ARGS...] [-- ARGS...]``."""
    import sys

    from ..errors import WasmError

    parser = argparse.ArgumentParser(
        prog="python -m engine.wasi", description="Run a WASI command module.",
        epilog="Arguments after -- go to the program as they are.")
    parser.add_argument("file")
    add_arguments(parser)
    own, after = split_program_args(sys.argv[1:] if argv is None else argv)
    options, extra = parser.parse_known_args(own)
    unknown = [a for a in extra if a.startswith("-")]
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)} (put program options after --)")
    try:
        return run_cli(options.file, extra + after, options.dir, options.env)
    except WasmError as e:
        print(f"error: {type(e).__name__}: {e}", file=sys.stderr)
        return exit_status_of_error(e)


def exit_status_of_error(error: BaseException) -> int:
    """The exit status for a failure before or instead of the program's own
    exit, as ``python -m engine`` numbers them: 1 usage or I/O, 2 malformed,
    3 invalid, 4 link error, 5 trap or failed instantiation."""
    from ..errors import InvalidError, LinkError, MalformedError

    for cls, status in ((UsageError, 1), (MalformedError, 2), (InvalidError, 3), (LinkError, 4)):
        if isinstance(error, cls):
            return status
    return 5
