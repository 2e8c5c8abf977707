"""How WASI failures travel: an errno returned to the guest, or an exit.

:class:`WasiError` carries an :class:`~engine.wasi.abi.Errno` from deep in a
host function up to the function boundary, where it becomes the i32 the
guest receives. :class:`ProcExit` is raised by ``proc_exit``: an
:class:`engine.ExitTrap` (wasmtime-py's class for an exit, a
``WasmtimeError`` and not a ``Trap``), which host functions let through
unchanged, so it unwinds the whole Wasm stack and comes out of the call
that ran the program with its ``code``. :func:`exit_code_of` finds the
status in it (or in the cause of an exception that wraps it).
"""

from __future__ import annotations

import errno as _os_errno
from typing import Optional

from ..errors import ExitTrap
from .abi import Errno


class WasiError(Exception):
    """A WASI call fails with ``errno`` (an :class:`Errno`)."""

    def __init__(self, errno: Errno, message: str = ""):
        super().__init__(message or errno.name)
        self.errno = Errno(errno)


class ProcExit(ExitTrap):
    """The program called ``proc_exit(code)``; ``code`` is its exit status
    (an unsigned 32-bit int, as the ABI passes it)."""

    def __init__(self, code: int, message: Optional[str] = None):
        super().__init__(code, message or f"proc_exit({code})")


def exit_code_of(exc: BaseException) -> Optional[int]:
    """The exit status if ``exc`` is an :class:`~engine.ExitTrap` (such as
    :class:`ProcExit`) or was caused by one (another engine may wrap host
    exceptions); None otherwise."""
    seen = 0
    while exc is not None and seen < 64:
        if isinstance(exc, ExitTrap):
            return exc.code
        exc = exc.__cause__
        seen += 1
    return None


def _host_table() -> dict[int, Errno]:
    # Host errno names mostly equal WASI's; build the table by name so that
    # it holds on every POSIX host whatever its numbers are.
    table: dict[int, Errno] = {}
    aliases = {"E2BIG": Errno.TOOBIG, "EWOULDBLOCK": Errno.AGAIN, "EOPNOTSUPP": Errno.NOTSUP,
               "ENOTSUP": Errno.NOTSUP, "EDEADLOCK": Errno.DEADLK}
    for name in dir(_os_errno):
        if not name.startswith("E") or not name.isupper():
            continue
        number = getattr(_os_errno, name)
        if not isinstance(number, int):
            continue
        wasi = aliases.get(name) or Errno.__members__.get(name[1:])
        if wasi is not None and number not in table:
            table[number] = wasi
    return table


_HOST_TO_WASI = _host_table()


def errno_from_os(exc: OSError) -> Errno:
    """The WASI errno for a host ``OSError`` (``IO`` when it has none that
    WASI names)."""
    if exc.errno is None:
        return Errno.IO
    return _HOST_TO_WASI.get(exc.errno, Errno.IO)
