"""The ``path_*`` functions: every path goes through :mod:`.sandbox`."""

from __future__ import annotations

import os
import stat

from .abi import Errno, FdFlags, LookupFlags, OFlags, Rights, RIGHTS_DIR, RIGHTS_FILE
from .context import WasiContext, wasi_function
from .errors import WasiError
from .fds import DirFd, FileFd
from .host_fd import filetype_of, new_times, store_filestat
from .sandbox import check_path, resolve, resolve_parent

R = Rights

#: Rights that need the host file opened for writing.
_WRITE_RIGHTS = R.FD_WRITE | R.FD_ALLOCATE | R.FD_FILESTAT_SET_SIZE
_READ_RIGHTS = R.FD_READ | R.FD_READDIR
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_SYNC_FLAGS = ((FdFlags.DSYNC, "O_DSYNC"), (FdFlags.RSYNC, "O_RSYNC"), (FdFlags.SYNC, "O_SYNC"))


def _path(ctx: WasiContext, ptr: int, size: int) -> bytes:
    return ctx.mem.string(ptr, size)


def _follows(flags: int) -> bool:
    return bool(flags & LookupFlags.SYMLINK_FOLLOW)


@wasi_function("path_create_directory")
def path_create_directory(ctx: WasiContext, fd: int, path: int, path_len: int) -> None:
    base = ctx.fds.dir(fd, R.PATH_CREATE_DIRECTORY)
    with resolve_parent(base.host_fd, _path(ctx, path, path_len), strip=True) as res:
        os.mkdir(res.name, 0o777, dir_fd=res.dir_fd)


@wasi_function("path_remove_directory")
def path_remove_directory(ctx: WasiContext, fd: int, path: int, path_len: int) -> None:
    base = ctx.fds.dir(fd, R.PATH_REMOVE_DIRECTORY)
    with resolve_parent(base.host_fd, _path(ctx, path, path_len), strip=True) as res:
        os.rmdir(res.name, dir_fd=res.dir_fd)


@wasi_function("path_unlink_file")
def path_unlink_file(ctx: WasiContext, fd: int, path: int, path_len: int) -> None:
    base = ctx.fds.dir(fd, R.PATH_UNLINK_FILE)
    with resolve_parent(base.host_fd, _path(ctx, path, path_len)) as res:
        os.unlink(res.name, dir_fd=res.dir_fd)


@wasi_function("path_filestat_get")
def path_filestat_get(ctx: WasiContext, fd: int, flags: int, path: int, path_len: int,
                      out: int) -> None:
    base = ctx.fds.dir(fd, R.PATH_FILESTAT_GET)
    ctx.mem.check(out, 64)
    with resolve(base.host_fd, _path(ctx, path, path_len), follow=_follows(flags)) as res:
        # The resolver already followed a final symlink when asked to.
        st = os.stat(res.name, dir_fd=res.dir_fd, follow_symlinks=False)
    store_filestat(ctx, out, st)


@wasi_function("path_filestat_set_times")
def path_filestat_set_times(ctx: WasiContext, fd: int, flags: int, path: int, path_len: int,
                            atim: int, mtim: int, fst_flags: int) -> None:
    base = ctx.fds.dir(fd, R.PATH_FILESTAT_SET_TIMES)
    with resolve(base.host_fd, _path(ctx, path, path_len), follow=_follows(flags)) as res:
        current = os.stat(res.name, dir_fd=res.dir_fd, follow_symlinks=False)
        os.utime(res.name, ns=new_times(fst_flags, atim, mtim, current), dir_fd=res.dir_fd,
                 follow_symlinks=False)


@wasi_function("path_link")
def path_link(ctx: WasiContext, old_fd: int, old_flags: int, old_path: int, old_len: int,
              new_fd: int, new_path: int, new_len: int) -> None:
    old_base = ctx.fds.dir(old_fd, R.PATH_LINK_SOURCE)
    new_base = ctx.fds.dir(new_fd, R.PATH_LINK_TARGET)
    source = _path(ctx, old_path, old_len)
    target = _path(ctx, new_path, new_len)
    with resolve(old_base.host_fd, source, follow=_follows(old_flags)) as src, \
            resolve_parent(new_base.host_fd, target) as dst:
        os.link(src.name, dst.name, src_dir_fd=src.dir_fd, dst_dir_fd=dst.dir_fd,
                follow_symlinks=False)


@wasi_function("path_rename")
def path_rename(ctx: WasiContext, fd: int, old_path: int, old_len: int, new_fd: int,
                new_path: int, new_len: int) -> None:
    old_base = ctx.fds.dir(fd, R.PATH_RENAME_SOURCE)
    new_base = ctx.fds.dir(new_fd, R.PATH_RENAME_TARGET)
    source = _path(ctx, old_path, old_len)
    target = _path(ctx, new_path, new_len)
    with resolve_parent(old_base.host_fd, source, strip=True) as src, \
            resolve_parent(new_base.host_fd, target, strip=True) as dst:
        os.rename(src.name, dst.name, src_dir_fd=src.dir_fd, dst_dir_fd=dst.dir_fd)


@wasi_function("path_symlink")
def path_symlink(ctx: WasiContext, old_path: int, old_len: int, fd: int, new_path: int,
                 new_len: int) -> None:
    base = ctx.fds.dir(fd, R.PATH_SYMLINK)
    contents = _path(ctx, old_path, old_len)
    # The contents are checked like a path: an absolute link could only ever
    # lead out (following one is refused anyway); a relative one that climbs
    # out may be made, and is refused when followed.
    check_path(contents)
    with resolve_parent(base.host_fd, _path(ctx, new_path, new_len)) as res:
        os.symlink(contents, res.name, dir_fd=res.dir_fd)


@wasi_function("path_readlink")
def path_readlink(ctx: WasiContext, fd: int, path: int, path_len: int, buf: int, buf_len: int,
                  out: int) -> None:
    base = ctx.fds.dir(fd, R.PATH_READLINK)
    ctx.mem.check(buf, buf_len)
    ctx.mem.check(out, 4)
    with resolve_parent(base.host_fd, _path(ctx, path, path_len)) as res:
        contents = os.readlink(res.name, dir_fd=res.dir_fd)
    # As readlink(2): the contents are cut to the buffer, without a NUL.
    data = contents[:buf_len]
    ctx.mem.write(buf, data)
    ctx.mem.set_u32(out, len(data))


def _open_flags(oflags: int, rights: int, fdflags: int) -> int:
    flags = _CLOEXEC
    if oflags & OFlags.DIRECTORY:
        flags |= os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    elif rights & _WRITE_RIGHTS or fdflags & FdFlags.APPEND:
        flags |= os.O_RDWR if rights & _READ_RIGHTS else os.O_WRONLY
    else:
        flags |= os.O_RDONLY
    if oflags & OFlags.CREAT:
        flags |= os.O_CREAT
    if oflags & OFlags.EXCL:
        flags |= os.O_EXCL
    if oflags & OFlags.TRUNC:
        flags |= os.O_TRUNC
    if fdflags & FdFlags.APPEND:
        flags |= os.O_APPEND
    if fdflags & FdFlags.NONBLOCK:
        flags |= os.O_NONBLOCK
    for wasi_flag, host_name in _SYNC_FLAGS:
        if fdflags & wasi_flag:
            flags |= getattr(os, host_name, getattr(os, "O_SYNC", 0))
    return flags


@wasi_function("path_open")
def path_open(ctx: WasiContext, fd: int, dirflags: int, path: int, path_len: int, oflags: int,
              rights_base: int, rights_inheriting: int, fdflags: int, out: int) -> None:
    base = ctx.fds.dir(fd, R.PATH_OPEN)
    if oflags & ~0xF or fdflags & ~0x1F:
        raise WasiError(Errno.INVAL)
    if oflags & OFlags.CREAT:
        base.require(R.PATH_CREATE_FILE)
    if oflags & OFlags.TRUNC:
        base.require(R.PATH_FILESTAT_SET_SIZE)
    # Writing to a directory is EISDIR, with O_DIRECTORY too (wasmtime and
    # the WASI testsuite agree); the host open alone would not say so, as
    # a directory is opened read-only whatever the rights.
    wants_write = rights_base & R.FD_WRITE
    # A new descriptor never holds more than its directory passes on.
    rights_base &= base.rights_inheriting
    rights_inheriting &= base.rights_inheriting
    ctx.mem.check(out, 4)
    name = _path(ctx, path, path_len)
    flags = _open_flags(oflags, rights_base, fdflags)
    # As POSIX: an exclusive create never follows a final symlink, and one
    # that exists (wherever it points) is EEXIST.
    exclusive = oflags & OFlags.CREAT and oflags & OFlags.EXCL
    with resolve(base.host_fd, name, follow=_follows(dirflags) and not exclusive) as res:
        # O_NOFOLLOW: a final symlink is opened only if the resolver followed
        # it, and a swap for a symlink after resolving fails instead.
        # O_NONBLOCK: opening a FIFO (or a device) never makes the host
        # wait; see below for what stays non-blocking.
        host = os.open(res.name, flags | _NOFOLLOW | _NONBLOCK, 0o666, dir_fd=res.dir_fd)
    try:
        mode = os.fstat(host).st_mode
        if stat.S_ISDIR(mode):
            if oflags & OFlags.DIRECTORY and wants_write:
                raise WasiError(Errno.ISDIR)
            desc = DirFd(host, rights_base & RIGHTS_DIR, rights_inheriting)
        else:
            if oflags & OFlags.DIRECTORY:
                raise WasiError(Errno.NOTDIR)
            if stat.S_ISREG(mode):
                if not fdflags & FdFlags.NONBLOCK:
                    os.set_blocking(host, True)
            else:
                # A FIFO, socket or device stays non-blocking for good (see
                # fd_fdstat_set_flags): the guest can never make the host
                # thread wait on it.
                fdflags |= FdFlags.NONBLOCK
            desc = FileFd(host, filetype_of(mode), rights_base & RIGHTS_FILE,
                          rights_inheriting, fdflags)
        new_fd = ctx.fds.insert(desc)
    except BaseException:
        os.close(host)
        raise
    ctx.mem.set_u32(out, new_fd)

