"""Path resolution that never leaves a directory capability.

Every path a guest passes is relative to a directory descriptor, and must
stay beneath it. The resolver walks the path one component at a time with
the host's ``*at`` calls on directory descriptors (``openat`` with
``O_NOFOLLOW | O_DIRECTORY``, ``fstatat`` without following), never with a
joined host path, so no host-side shortcut (``realpath``, ``normpath``) can
follow a symlink out:

* ``.`` is skipped; ``..`` steps back to the directory it came from, and
  stepping back out of the starting directory is refused;
* a symlink met on the way (and the final one, when the lookup follows
  symlinks) is read and its target spliced into the rest of the path, so its
  components are checked the same way; an absolute target is refused;
* an absolute path is refused.

Refusals are ``Errno.NOTCAPABLE`` (76, "capabilities insufficient"): the
witx's own code for an operation the capability does not allow, and what
wasi-libc reports for a path outside every preopen. (Some runtimes answer
``PERM`` for the same cases; a program cannot tell the two apart more than
by the message.) More than :data:`MAX_SYMLINKS` expansions give ``LOOP``.

A race that swaps a directory for a symlink between the check and the open
only makes the open fail (``O_NOFOLLOW``), it cannot lead outside.
"""

from __future__ import annotations

import os
import stat
from typing import Optional

from .abi import Errno
from .errors import WasiError

#: Symlink expansions allowed in one resolution (Linux allows 40).
MAX_SYMLINKS = 32

_DIR_FLAGS = (os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
              | getattr(os, "O_CLOEXEC", 0))


class Resolved:
    """Where a path leads: the host directory descriptor ``dir_fd`` holding
    the final component ``name`` (``b"."`` when the path names the directory
    itself). Use it as a context manager: it owns the descriptors it opened
    on the way."""

    __slots__ = ("dir_fd", "name", "_owned")

    def __init__(self, dir_fd: int, name: bytes, owned: list[int]):
        self.dir_fd = dir_fd
        self.name = name
        self._owned = owned

    def close(self) -> None:
        """Close the intermediate directories."""
        while self._owned:
            os.close(self._owned.pop())

    def __enter__(self) -> "Resolved":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def check_path(path: bytes) -> None:
    """Refuse what no resolution can accept: empty, absolute, NUL."""
    if not path:
        raise WasiError(Errno.NOENT)
    if b"\0" in path:
        raise WasiError(Errno.INVAL)
    if path.startswith(b"/"):
        raise WasiError(Errno.NOTCAPABLE, "absolute path")


def resolve(base_fd: int, path: bytes, *, follow: bool) -> Resolved:
    """Resolve ``path`` against the host directory descriptor ``base_fd``.

    Every component but the last must be a directory (or a symlink to one
    inside the sandbox). The last is followed when it is a symlink and
    ``follow`` is true, and left as it is otherwise; it need not exist.
    A trailing ``/`` makes the last component a directory that is followed.
    """
    check_path(path)
    stack = [base_fd]  # stack[1:] are ours to close
    todo = path.split(b"/")
    todo.reverse()  # pop() takes the next component
    expansions = 0
    try:
        while todo:
            comp = todo.pop()
            last = not todo
            if comp == b"" or comp == b".":
                if last:
                    return Resolved(stack[-1], b".", stack[1:])
                continue
            if comp == b"..":
                if len(stack) == 1:
                    raise WasiError(Errno.NOTCAPABLE, "path leads out of its directory")
                os.close(stack.pop())
                if last:
                    return Resolved(stack[-1], b".", stack[1:])
                continue
            cur = stack[-1]
            if last and not follow:
                return Resolved(cur, comp, stack[1:])
            try:
                st = os.stat(comp, dir_fd=cur, follow_symlinks=False)
            except FileNotFoundError:
                if last:
                    return Resolved(cur, comp, stack[1:])
                raise
            if stat.S_ISLNK(st.st_mode):
                expansions += 1
                if expansions > MAX_SYMLINKS:
                    raise WasiError(Errno.LOOP)
                target = os.readlink(comp, dir_fd=cur)
                if not target:
                    raise WasiError(Errno.NOENT)
                if target.startswith(b"/"):
                    raise WasiError(Errno.NOTCAPABLE, "symlink to an absolute path")
                parts = target.split(b"/")
                parts.reverse()
                todo.extend(parts)
                continue
            if last:
                return Resolved(cur, comp, stack[1:])
            if not stat.S_ISDIR(st.st_mode):
                raise WasiError(Errno.NOTDIR)
            stack.append(os.open(comp, _DIR_FLAGS, dir_fd=cur))
        # Unreachable: the last component always returns.
        raise WasiError(Errno.NOENT)
    except BaseException:
        for fd in stack[1:]:
            os.close(fd)
        raise


def strip_trailing_slashes(path: bytes) -> bytes:
    """``path`` without trailing ``/`` (for the calls where POSIX lets a
    directory be named with one: mkdir, rmdir, rename)."""
    stripped = path.rstrip(b"/")
    return stripped if stripped else path


def resolve_parent(base_fd: int, path: bytes, *, follow: bool = False,
                   strip: bool = False) -> Resolved:
    """Resolve for a call that acts on the last component itself (create,
    remove, rename, link, readlink): the final symlink is not followed
    unless ``follow`` says so."""
    if strip:
        path = strip_trailing_slashes(path)
    return resolve(base_fd, path, follow=follow)


def lstat_or_none(res: Resolved) -> Optional[os.stat_result]:
    """The lstat of a resolved name, or None if it does not exist."""
    try:
        return os.stat(res.name, dir_fd=res.dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
