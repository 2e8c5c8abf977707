"""The guest's file descriptor table.

A guest fd names one :class:`Descriptor`: a stdio :class:`StreamFd`, an open
regular (or other non-directory) host file :class:`FileFd`, or a directory
:class:`DirFd`, which is also the capability that path functions resolve
against. Each descriptor carries its preview 1 rights; operations check them
and fail with ``NOTCAPABLE`` when a right is missing.
"""

from __future__ import annotations

import os
from typing import Optional

from .abi import Errno, FileType
from .errors import WasiError
from .streams import Stream

#: The largest fd the table hands out (the witx promises < 2**31).
MAX_FD = (1 << 31) - 1


class Descriptor:
    """One open file description as the guest sees it."""

    __slots__ = ("filetype", "rights_base", "rights_inheriting", "fdflags")

    def __init__(self, filetype: FileType, rights_base: int, rights_inheriting: int,
                 fdflags: int = 0):
        self.filetype = filetype
        self.rights_base = rights_base
        self.rights_inheriting = rights_inheriting
        self.fdflags = fdflags

    def require(self, rights: int) -> None:
        """NOTCAPABLE unless this descriptor holds every right in ``rights``."""
        if rights & ~self.rights_base:
            raise WasiError(Errno.NOTCAPABLE)

    def close(self) -> None:
        """Release the host resources."""


class StreamFd(Descriptor):
    """Standard input, output or error."""

    __slots__ = ("stream",)

    def __init__(self, stream: Stream, rights: int):
        super().__init__(stream.filetype, rights, 0)
        self.stream = stream

    def close(self) -> None:
        self.stream.flush()
        self.stream.close()


class FileFd(Descriptor):
    """A host file opened by ``path_open`` (anything but a directory)."""

    __slots__ = ("host_fd",)

    def __init__(self, host_fd: int, filetype: FileType, rights_base: int,
                 rights_inheriting: int, fdflags: int):
        super().__init__(filetype, rights_base, rights_inheriting, fdflags)
        self.host_fd = host_fd

    def close(self) -> None:
        if self.host_fd >= 0:
            fd, self.host_fd = self.host_fd, -1
            os.close(fd)


class DirFd(Descriptor):
    """A directory: a preopen, or one opened by ``path_open``. Path
    arguments are resolved against it and may never leave it."""

    __slots__ = ("host_fd", "preopen", "listing")

    def __init__(self, host_fd: int, rights_base: int, rights_inheriting: int,
                 preopen: Optional[str] = None):
        super().__init__(FileType.DIRECTORY, rights_base, rights_inheriting)
        self.host_fd = host_fd
        #: The guest name of a preopened directory, else None.
        self.preopen = preopen
        #: The directory snapshot ``fd_readdir`` serves cookies from.
        self.listing: Optional[list[tuple[bytes, int, FileType]]] = None

    def close(self) -> None:
        if self.host_fd >= 0:
            fd, self.host_fd = self.host_fd, -1
            os.close(fd)


class FdTable:
    """Guest fd numbers to descriptors; new fds take the lowest free number."""

    def __init__(self) -> None:
        self._fds: dict[int, Descriptor] = {}

    def __contains__(self, fd: int) -> bool:
        return fd in self._fds

    def get(self, fd: int) -> Descriptor:
        """The descriptor ``fd`` names; BADF if none."""
        try:
            return self._fds[fd]
        except KeyError:
            raise WasiError(Errno.BADF) from None

    def file(self, fd: int, rights: int = 0) -> Descriptor:
        """A descriptor that is not a directory, holding ``rights``
        (ISDIR for a directory)."""
        desc = self.get(fd)
        if isinstance(desc, DirFd):
            raise WasiError(Errno.ISDIR)
        desc.require(rights)
        return desc

    def dir(self, fd: int, rights: int = 0) -> DirFd:
        """A directory descriptor holding ``rights`` (NOTDIR otherwise)."""
        desc = self.get(fd)
        if not isinstance(desc, DirFd):
            raise WasiError(Errno.NOTDIR)
        desc.require(rights)
        return desc

    def insert(self, desc: Descriptor) -> int:
        """Add ``desc`` under the lowest free number."""
        fd = 0
        while fd in self._fds:
            fd += 1
        if fd > MAX_FD:
            raise WasiError(Errno.MFILE)
        self._fds[fd] = desc
        return fd

    def put(self, fd: int, desc: Descriptor) -> None:
        """Install ``desc`` as ``fd`` (the table is being set up)."""
        self._fds[fd] = desc

    def remove(self, fd: int) -> Descriptor:
        """Take ``fd`` out of the table (BADF if it is not open)."""
        desc = self.get(fd)
        del self._fds[fd]
        return desc

    def renumber(self, fd: int, to: int) -> None:
        """Move ``fd`` to ``to``, closing what ``to`` named."""
        desc = self.get(fd)
        old = self.get(to)
        if fd == to:
            return
        del self._fds[fd]
        self._fds[to] = desc
        old.close()

    def items(self) -> list[tuple[int, Descriptor]]:
        """The open fds in ascending order."""
        return sorted(self._fds.items())

    def close_all(self) -> None:
        """Close every descriptor (errors closing one do not stop the rest)."""
        for _, desc in self.items():
            try:
                desc.close()
            except OSError:
                pass
        self._fds.clear()
