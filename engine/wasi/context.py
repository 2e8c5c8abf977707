"""The state of one running WASI program, and the host function registry.

A :class:`WasiContext` is made from a :class:`~engine.wasi.WasiConfig`: it
opens the stdio streams and the preopened directories (fds 0-2, then 3, 4,
...), and holds the arguments, the environment and the guest memory the
host functions work on. :func:`define_wasi` puts every
``wasi_snapshot_preview1`` function into a ``Linker``; after instantiating,
:meth:`WasiContext.bind` gives the context the instance's ``memory``.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Optional, TextIO

from ..errors import UsageError
from ..syntax import types as T
from .abi import (MODULE, RIGHTS_DIR, RIGHTS_FILE, RIGHTS_MUTATING, RIGHTS_STDIN,
                  RIGHTS_STDOUT, SIGNATURES, Errno)
from .config import WasiConfig
from .errors import WasiError, errno_from_os
from .fds import DirFd, FdTable, StreamFd
from .memory import GuestMemory
from .streams import open_stream

_MASK32 = 0xFFFFFFFF
_MASK64 = 0xFFFFFFFFFFFFFFFF

#: name -> implementation ``impl(ctx, *unsigned_args) -> errno or None``.
IMPLEMENTATIONS: dict[str, Callable[..., Any]] = {}


def wasi_function(name: str) -> Callable[[Callable], Callable]:
    """Register the implementation of the preview 1 function ``name``.

    The implementation receives the context and the arguments as unsigned
    ints (i32 and i64 reinterpreted), returns None for success and raises
    :class:`WasiError` (or lets an ``OSError`` escape) to fail.
    """
    if name not in SIGNATURES:
        raise KeyError(f"{name} is not a wasi_snapshot_preview1 function")

    def register(impl: Callable) -> Callable:
        IMPLEMENTATIONS[name] = impl
        return impl

    return register


class WasiContext:
    """One program's WASI state: arguments, environment, fds, memory."""

    def __init__(self, config: Optional[WasiConfig] = None, *, trace: Optional[TextIO] = None):
        config = config if config is not None else WasiConfig()
        self.config = config
        self.args: list[bytes] = config.encoded_args()
        self.env: list[bytes] = config.encoded_env()
        self.mem = GuestMemory()
        self.fds = FdTable()
        #: Where to log each call and its errno (for debugging), or None.
        self.trace = trace
        try:
            self._open(config)
        except BaseException:
            self.close()
            raise

    def _open(self, config: WasiConfig) -> None:
        for index, (spec, rights) in enumerate(((config.stdin, RIGHTS_STDIN),
                                                (config.stdout, RIGHTS_STDOUT),
                                                (config.stderr, RIGHTS_STDOUT))):
            try:
                stream = open_stream(spec, index)
            except OSError as e:
                raise UsageError(f"cannot open stdio stream {index} ({spec!r}): "
                                 f"{e.strerror or e}") from None
            self.fds.put(index, StreamFd(stream, rights))
        flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
        for entry in config.preopens:
            host, guest = entry[0], entry[1]
            writable = entry[2] if len(entry) > 2 else True
            if not isinstance(guest, str) or not guest or "\0" in guest:
                raise UsageError(f"bad guest name {guest!r} for preopened directory {host!r}")
            try:
                fd = os.open(host, flags)
            except (OSError, TypeError, ValueError) as e:
                reason = getattr(e, "strerror", None) or str(e)
                raise UsageError(f"cannot preopen directory {host!r}: {reason}") from None
            rights = RIGHTS_DIR if writable else RIGHTS_DIR & ~RIGHTS_MUTATING
            inheriting = (RIGHTS_DIR | RIGHTS_FILE) & (~0 if writable else ~RIGHTS_MUTATING)
            self.fds.insert(DirFd(fd, rights, inheriting, preopen=guest))

    def bind(self, instance_or_memory: Any, store: Any = None) -> None:
        """Give the context the guest memory: an ``engine.Memory``, or an
        instance whose export ``memory`` is one."""
        from ..runtime.objects import Memory

        memory = instance_or_memory
        if not isinstance(memory, Memory):
            exports = getattr(instance_or_memory, "exports", None)
            memory = exports(store).get("memory") if exports is not None else None
            if not isinstance(memory, Memory):
                raise UsageError("a WASI program must export its memory as \"memory\"")
        self.mem.bind(memory)

    def flush(self) -> None:
        """Flush the output streams."""
        for fd in (1, 2):
            if fd in self.fds:
                desc = self.fds.get(fd)
                if isinstance(desc, StreamFd):
                    desc.stream.flush()

    def close(self) -> None:
        """Flush and close every descriptor (the preopens included)."""
        try:
            self.flush()
        finally:
            self.fds.close_all()

    def __enter__(self) -> "WasiContext":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_KINDS = {"i": T.I32, "I": T.I64}


def _host_function(ctx: WasiContext, name: str, impl: Callable, params: str) -> Callable:
    masks = tuple(_MASK32 if k == "i" else _MASK64 for k in params)

    def call(*args):
        try:
            result = impl(ctx, *[a & m for a, m in zip(args, masks)])
            return 0 if result is None else int(result)
        except WasiError as e:
            return int(e.errno)
        except OSError as e:
            return int(errno_from_os(e))
        except OverflowError:
            # An offset, size or time beyond what the host's C types hold.
            return int(Errno.INVAL)

    if ctx.trace is None:
        return call

    out = ctx.trace

    def traced(*args):
        result = call(*args)
        shown = "" if result is None else f" -> {Errno(result).name}"
        print(f"wasi: {name}{tuple(a & m for a, m in zip(args, masks))}{shown}", file=out)
        return result

    return traced


def host_functions(ctx: WasiContext) -> dict[str, tuple[T.FuncType, Callable]]:
    """Every ``wasi_snapshot_preview1`` function working on ``ctx``: name to
    ``(functype, callable)``. The callables take the i32/i64 arguments as
    ints (signed or unsigned) and return the errno as an int, so they also
    suit engines other than this one."""
    from . import host_env, host_fd, host_path, poll  # noqa: F401 - they register

    out = {}
    for name, (params, results) in SIGNATURES.items():
        functype = T.FuncType(tuple(_KINDS[k] for k in params), tuple(_KINDS[k] for k in results))
        out[name] = (functype, _host_function(ctx, name, IMPLEMENTATIONS[name], params))
    return out


def define_wasi(linker: Any, ctx: WasiContext) -> None:
    """Define every ``wasi_snapshot_preview1`` function in ``linker``,
    working on ``ctx``."""
    for name, (functype, fn) in host_functions(ctx).items():
        linker.define_func(MODULE, name, functype, fn)
