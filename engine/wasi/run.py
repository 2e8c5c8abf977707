"""Running a WASI command module: instantiate with WASI, call ``_start``."""

from __future__ import annotations

import os
import sys
from typing import Any, Iterable, Mapping, Optional, TextIO, Union

from ..errors import ExitTrap, Trap, UsageError
from .abi import MODULE
from .config import WasiConfig
from .context import WasiContext, define_wasi
from .errors import exit_code_of
from .streams import StdioSpec

ModuleSource = Union[bytes, bytearray, str, "os.PathLike[str]", Any]


def imports_wasi(module: Any) -> bool:
    """Whether an ``engine.Module`` imports anything from
    ``wasi_snapshot_preview1``."""
    return any(imp.module == MODULE for imp in module._syntax.imports)


def load_module(engine: Any, source: ModuleSource) -> Any:
    """An ``engine.Module`` from bytes, a path to a ``.wasm`` file, or a
    Module (returned as it is)."""
    from ..runtime.module import Module

    if isinstance(source, Module):
        return source
    if isinstance(source, (bytes, bytearray, memoryview)):
        return Module(engine, bytes(source))
    if isinstance(source, (str, os.PathLike)):
        try:
            with open(source, "rb") as fh:
                data = fh.read()
        except OSError as e:
            raise UsageError(f"cannot read {os.fspath(source)!r}: {e.strerror or e}") from None
        return Module(engine, data)
    raise UsageError(f"expected module bytes, a path or a Module, got {type(source).__name__}")


def run_start(store: Any, instance: Any) -> int:
    """Call the command's ``_start`` export; the exit status: 0 when it
    returns, the ``proc_exit`` code when it exits. Any other trap is raised."""
    from ..runtime.objects import Func

    start = instance.exports(store).get("_start")
    if not isinstance(start, Func):
        raise UsageError("not a WASI command: the module exports no function \"_start\"")
    try:
        start(store)
    except (Trap, ExitTrap) as e:
        code = exit_code_of(e)
        if code is None:
            raise
        return code
    return 0


def _pairs(items: Union[None, Mapping, Iterable], what: str) -> list[tuple[Any, Any]]:
    if items is None:
        return []
    if isinstance(items, Mapping):
        return list(items.items())
    if isinstance(items, (str, bytes)) or not hasattr(items, "__iter__"):
        raise UsageError(f"{what}: expected a mapping or a list of pairs, got {items!r}")
    out = []
    for item in items:
        if isinstance(item, str):
            from .cli import parse_dir, parse_env

            out.append(parse_env(item) if what == "env" else parse_dir(item))
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            out.append(tuple(item))
        else:
            raise UsageError(f"{what}: expected a pair or a string, got {item!r}")
    return out


def run_command(module: ModuleSource, argv: Optional[Iterable[str]] = None,
                env: Union[None, Mapping[str, str], Iterable] = None,
                dirs: Union[None, Mapping, Iterable] = None,
                stdin: StdioSpec = "inherit", stdout: StdioSpec = "inherit",
                stderr: StdioSpec = "inherit", *, engine: Any = None,
                trace: Optional[TextIO] = None) -> int:
    """Run a WASI command module and return its exit status.

    ``module``: the binary, a path to it, or an ``engine.Module``.
    ``argv``: the full argument vector, program name first (default: the
    file name when ``module`` is a path, else ``"main"``). ``env``: a mapping,
    ``(key, value)`` pairs or ``"KEY=VALUE"`` strings. ``dirs``: preopened
    directories as ``(host, guest)`` pairs, a ``{host: guest}`` mapping, or
    ``"HOST[::GUEST]"`` strings. ``stdin``/``stdout``/``stderr``: as in
    :class:`WasiConfig` (default: the host process's own).

    Returns 0 when ``_start`` returns, the ``proc_exit`` code (an unsigned
    32-bit value) when the program exits. Decoding, validation, link and
    trap failures raise the engine's errors (``MalformedError``,
    ``InvalidError``, ``LinkError``, ``Trap`` ...); a bad argument raises
    ``UsageError``.
    """
    from ..runtime.linker import Linker
    from ..runtime.store import Engine, Store

    eng = engine if engine is not None else Engine()
    mod = load_module(eng, module)
    if argv is None:
        argv = [os.path.basename(os.fspath(module))] if isinstance(module, (str, os.PathLike)) \
            else ["main"]
    config = WasiConfig(argv=list(argv), env=_pairs(env, "env"), stdin=stdin, stdout=stdout,
                        stderr=stderr, preopens=_pairs(dirs, "dir"))
    if "inherit" in (stdout, stderr):
        # Our own buffered output must come out before the program's.
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (AttributeError, OSError, ValueError):
                pass
    store = Store(eng)
    linker = Linker(eng)
    with WasiContext(config, trace=trace) as ctx:
        define_wasi(linker, ctx)
        try:
            instance = linker.instantiate(store, mod)
        except (Trap, ExitTrap) as e:
            # A start function may already exit.
            code = exit_code_of(e)
            if code is None:
                raise
            return code
        ctx.bind(instance, store)
        return run_start(store, instance)
