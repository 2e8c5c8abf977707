"""Standard input, output and error: where a program's stdio goes.

A stream is what fds 0, 1 and 2 stand for. It is either the host process's
own descriptor (``"inherit"``), an in-memory or file object of the embedder
(``io.BytesIO``, an open binary file), a host file named by path, or nothing
(reads see end of file, writes are discarded).
"""

from __future__ import annotations

import io
import os
import select
import stat
from typing import Any, Optional, Union

from ..errors import UsageError
from .abi import FileType

#: What a :class:`~engine.wasi.WasiConfig` accepts for a stdio stream.
StdioSpec = Union[None, str, bytes, bytearray, "os.PathLike[str]", Any]


class Stream:
    """A byte stream behind a stdio descriptor."""

    filetype = FileType.UNKNOWN
    #: The host descriptor to poll, if any.
    host_fd: Optional[int] = None

    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes (fewer is fine; empty means end of input)."""
        return b""

    def write(self, data: bytes) -> int:
        """Write ``data``; the number of bytes taken."""
        return len(data)

    def flush(self) -> None:
        """Push buffered bytes on, where the stream buffers."""

    def ready(self) -> int:
        """Bytes that can be read without blocking (a best guess; 0 when
        unknown but ready)."""
        return 0

    def close(self) -> None:
        """Release what the stream owns."""


class NullStream(Stream):
    """No stream: end of file on read, writes vanish (like ``/dev/null``)."""

    filetype = FileType.CHARACTER_DEVICE


class HostStream(Stream):
    """A host file descriptor, used with unbuffered ``os.read``/``os.write``."""

    def __init__(self, fd: int, *, owned: bool = False):
        self.host_fd = fd
        self.owned = owned
        try:
            mode = os.fstat(fd).st_mode
        except OSError:
            mode = 0
        if mode and os.isatty(fd):
            self.filetype = FileType.CHARACTER_DEVICE
        elif stat.S_ISREG(mode):
            self.filetype = FileType.REGULAR_FILE
        elif stat.S_ISCHR(mode):
            self.filetype = FileType.CHARACTER_DEVICE
        else:
            self.filetype = FileType.UNKNOWN

    def read(self, size: int) -> bytes:
        return os.read(self.host_fd, size)

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        done = 0
        # A pipe may take less than asked; a program expects its whole
        # buffer written, as a blocking write to a terminal would.
        while done < len(view):
            done += os.write(self.host_fd, view[done:])
        return done

    def ready(self) -> int:
        try:
            readable, _, _ = select.select([self.host_fd], [], [], 0)
        except (OSError, ValueError):
            return 0
        return 1 if readable else 0

    def close(self) -> None:
        if self.owned:
            self.owned = False
            os.close(self.host_fd)


class ObjectStream(Stream):
    """A Python binary file object of the embedder (``io.BytesIO``, an open
    file, a socket file ...)."""

    def __init__(self, obj: Any, *, owned: bool = False):
        self.obj = obj
        self.owned = owned

    def read(self, size: int) -> bytes:
        read1 = getattr(self.obj, "read1", None)
        data = read1(size) if read1 is not None else self.obj.read(size)
        return bytes(data or b"")

    def write(self, data: bytes) -> int:
        written = self.obj.write(data)
        return len(data) if written is None else written

    def flush(self) -> None:
        flush = getattr(self.obj, "flush", None)
        if flush is not None:
            flush()

    def ready(self) -> int:
        obj = self.obj
        if isinstance(obj, io.BytesIO):
            return max(0, len(obj.getbuffer()) - obj.tell())
        return 0

    def close(self) -> None:
        if self.owned:
            self.owned = False
            self.obj.close()


def open_stream(spec: StdioSpec, index: int) -> Stream:
    """The stream for stdio ``index`` (0 in, 1 out, 2 err) configured as
    ``spec``: None (nothing), ``"inherit"`` (the host's own), bytes (stdin
    only: that input), a path (str or ``os.PathLike``: the host file, read
    for stdin, created or truncated for output) or a binary file object."""
    if spec is None:
        return NullStream()
    if isinstance(spec, str) and spec == "inherit":
        return HostStream(index)
    if isinstance(spec, (bytes, bytearray, memoryview)):
        if index != 0:
            raise UsageError("bytes are only an input: give stdout/stderr a file object")
        return ObjectStream(io.BytesIO(bytes(spec)))
    if isinstance(spec, (str, os.PathLike)):
        flags = os.O_RDONLY if index == 0 else os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        return HostStream(os.open(spec, flags | getattr(os, "O_CLOEXEC", 0), 0o666), owned=True)
    if hasattr(spec, "read" if index == 0 else "write"):
        return ObjectStream(spec)
    raise UsageError(f"cannot use a {type(spec).__name__} as stdio stream {index}")
