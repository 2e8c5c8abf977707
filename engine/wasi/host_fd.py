"""The ``fd_*`` functions (and ``sock_*``, which no descriptor here supports)."""

from __future__ import annotations

import os
import stat
import time

from .abi import (DIRENT, FDSTAT, FILESTAT, PRESTAT, PREOPENTYPE_DIR, Advice, Errno, FdFlags,
                  FileType, FstFlags, Rights, Whence)
from .context import WasiContext, wasi_function
from .errors import WasiError
from .fds import Descriptor, DirFd, FileFd, StreamFd

R = Rights
_MASK64 = 0xFFFFFFFFFFFFFFFF


def filetype_of(mode: int) -> FileType:
    """The WASI file type of a host ``st_mode``."""
    if stat.S_ISREG(mode):
        return FileType.REGULAR_FILE
    if stat.S_ISDIR(mode):
        return FileType.DIRECTORY
    if stat.S_ISLNK(mode):
        return FileType.SYMBOLIC_LINK
    if stat.S_ISCHR(mode):
        return FileType.CHARACTER_DEVICE
    if stat.S_ISBLK(mode):
        return FileType.BLOCK_DEVICE
    if stat.S_ISSOCK(mode):
        return FileType.SOCKET_STREAM
    return FileType.UNKNOWN


def store_filestat(ctx: WasiContext, out: int, st: os.stat_result) -> None:
    """Write a ``filestat`` for the host stat ``st`` at ``out``."""
    ctx.mem.pack(FILESTAT, out, st.st_dev & _MASK64, st.st_ino & _MASK64,
                 filetype_of(st.st_mode), st.st_nlink, st.st_size,
                 st.st_atime_ns & _MASK64, st.st_mtime_ns & _MASK64, st.st_ctime_ns & _MASK64)


def new_times(fst_flags: int, atim: int, mtim: int, current: os.stat_result) -> tuple[int, int]:
    """The ``(atime_ns, mtime_ns)`` a ``*_filestat_set_times`` call asks for."""
    if (fst_flags & FstFlags.ATIM and fst_flags & FstFlags.ATIM_NOW) or \
            (fst_flags & FstFlags.MTIM and fst_flags & FstFlags.MTIM_NOW) or fst_flags & ~0xF:
        raise WasiError(Errno.INVAL)
    now = time.time_ns()
    a = atim if fst_flags & FstFlags.ATIM else now if fst_flags & FstFlags.ATIM_NOW \
        else current.st_atime_ns
    m = mtim if fst_flags & FstFlags.MTIM else now if fst_flags & FstFlags.MTIM_NOW \
        else current.st_mtime_ns
    return a, m


def _host_fd(desc: Descriptor) -> int:
    if isinstance(desc, (FileFd, DirFd)):
        return desc.host_fd
    raise WasiError(Errno.SPIPE if isinstance(desc, StreamFd) else Errno.BADF)


# --- Reading and writing ------------------------------------------------------

@wasi_function("fd_read")
def fd_read(ctx: WasiContext, fd: int, iovs: int, iovs_len: int, out: int) -> None:
    desc = ctx.fds.file(fd, R.FD_READ)
    vecs = ctx.mem.iovecs(iovs, iovs_len)
    ctx.mem.check(out, 4)
    total = sum(size for _, size in vecs)
    if isinstance(desc, StreamFd):
        data = desc.stream.read(total) if total else b""
    else:
        data = os.read(desc.host_fd, total)
    ctx.mem.scatter(vecs, data)
    ctx.mem.set_u32(out, len(data))


@wasi_function("fd_pread")
def fd_pread(ctx: WasiContext, fd: int, iovs: int, iovs_len: int, offset: int, out: int) -> None:
    desc = ctx.fds.file(fd, R.FD_READ | R.FD_SEEK)
    vecs = ctx.mem.iovecs(iovs, iovs_len)
    ctx.mem.check(out, 4)
    data = os.pread(_host_fd(desc), sum(size for _, size in vecs), offset)
    ctx.mem.scatter(vecs, data)
    ctx.mem.set_u32(out, len(data))


@wasi_function("fd_write")
def fd_write(ctx: WasiContext, fd: int, iovs: int, iovs_len: int, out: int) -> None:
    desc = ctx.fds.file(fd, R.FD_WRITE)
    data = ctx.mem.gather(iovs, iovs_len)
    ctx.mem.check(out, 4)
    if isinstance(desc, StreamFd):
        written = desc.stream.write(data) if data else 0
    else:
        written = os.write(desc.host_fd, data)
    ctx.mem.set_u32(out, written)


@wasi_function("fd_pwrite")
def fd_pwrite(ctx: WasiContext, fd: int, iovs: int, iovs_len: int, offset: int, out: int) -> None:
    desc = ctx.fds.file(fd, R.FD_WRITE | R.FD_SEEK)
    data = ctx.mem.gather(iovs, iovs_len)
    ctx.mem.check(out, 4)
    ctx.mem.set_u32(out, os.pwrite(_host_fd(desc), data, offset))


@wasi_function("fd_seek")
def fd_seek(ctx: WasiContext, fd: int, offset: int, whence: int, out: int) -> None:
    desc = ctx.fds.file(fd)
    if isinstance(desc, StreamFd):
        raise WasiError(Errno.SPIPE)
    if offset >= 1 << 63:
        offset -= 1 << 64  # filedelta is signed
    if whence not in (Whence.SET, Whence.CUR, Whence.END):
        raise WasiError(Errno.INVAL)
    # Asking where we are needs only the tell right.
    desc.require(R.FD_TELL if whence == Whence.CUR and offset == 0 else R.FD_SEEK)
    ctx.mem.check(out, 8)
    host_whence = {Whence.SET: os.SEEK_SET, Whence.CUR: os.SEEK_CUR, Whence.END: os.SEEK_END}[whence]
    ctx.mem.set_u64(out, os.lseek(_host_fd(desc), offset, host_whence))


@wasi_function("fd_tell")
def fd_tell(ctx: WasiContext, fd: int, out: int) -> None:
    desc = ctx.fds.file(fd)
    if isinstance(desc, StreamFd):
        raise WasiError(Errno.SPIPE)
    desc.require(R.FD_TELL)
    ctx.mem.check(out, 8)
    ctx.mem.set_u64(out, os.lseek(_host_fd(desc), 0, os.SEEK_CUR))


# --- Descriptor attributes ----------------------------------------------------

@wasi_function("fd_close")
def fd_close(ctx: WasiContext, fd: int) -> None:
    ctx.fds.remove(fd).close()


@wasi_function("fd_renumber")
def fd_renumber(ctx: WasiContext, fd: int, to: int) -> None:
    ctx.fds.renumber(fd, to)


@wasi_function("fd_fdstat_get")
def fd_fdstat_get(ctx: WasiContext, fd: int, out: int) -> None:
    desc = ctx.fds.get(fd)
    ctx.mem.pack(FDSTAT, out, desc.filetype, desc.fdflags, desc.rights_base,
                 desc.rights_inheriting)


_HOST_FDFLAGS = {FdFlags.APPEND: os.O_APPEND, FdFlags.NONBLOCK: os.O_NONBLOCK}


@wasi_function("fd_fdstat_set_flags")
def fd_fdstat_set_flags(ctx: WasiContext, fd: int, flags: int) -> None:
    desc = ctx.fds.get(fd)
    desc.require(R.FD_FDSTAT_SET_FLAGS)
    if flags & ~0x1F:
        raise WasiError(Errno.INVAL)
    if (flags ^ desc.fdflags) & (FdFlags.DSYNC | FdFlags.RSYNC | FdFlags.SYNC):
        # The synchronisation mode is fixed when a file is opened.
        raise WasiError(Errno.NOTSUP)
    if isinstance(desc, FileFd):
        if desc.filetype is not FileType.REGULAR_FILE and not flags & FdFlags.NONBLOCK:
            # a FIFO, socket or device stays non-blocking (see path_open)
            raise WasiError(Errno.NOTSUP)
        import fcntl

        host = fcntl.fcntl(desc.host_fd, fcntl.F_GETFL)
        for wasi_flag, host_flag in _HOST_FDFLAGS.items():
            host = host | host_flag if flags & wasi_flag else host & ~host_flag
        fcntl.fcntl(desc.host_fd, fcntl.F_SETFL, host)
    desc.fdflags = flags


@wasi_function("fd_fdstat_set_rights")
def fd_fdstat_set_rights(ctx: WasiContext, fd: int, base: int, inheriting: int) -> None:
    desc = ctx.fds.get(fd)
    # Rights can only be dropped, never gained.
    if base & ~desc.rights_base or inheriting & ~desc.rights_inheriting:
        raise WasiError(Errno.NOTCAPABLE)
    desc.rights_base = base
    desc.rights_inheriting = inheriting


@wasi_function("fd_filestat_get")
def fd_filestat_get(ctx: WasiContext, fd: int, out: int) -> None:
    desc = ctx.fds.get(fd)
    desc.require(R.FD_FILESTAT_GET)
    if isinstance(desc, StreamFd):
        host = desc.stream.host_fd
        if host is None:
            ctx.mem.pack(FILESTAT, out, 0, 0, desc.filetype, 0, 0, 0, 0, 0)
            return
        st = os.fstat(host)
    else:
        st = os.fstat(desc.host_fd)
    store_filestat(ctx, out, st)


@wasi_function("fd_filestat_set_size")
def fd_filestat_set_size(ctx: WasiContext, fd: int, size: int) -> None:
    desc = ctx.fds.file(fd, R.FD_FILESTAT_SET_SIZE)
    if size >= 1 << 63:
        raise WasiError(Errno.FBIG)
    os.ftruncate(_host_fd(desc), size)


@wasi_function("fd_filestat_set_times")
def fd_filestat_set_times(ctx: WasiContext, fd: int, atim: int, mtim: int, fst_flags: int) -> None:
    desc = ctx.fds.get(fd)
    desc.require(R.FD_FILESTAT_SET_TIMES)
    host = _host_fd(desc)
    os.utime(host, ns=new_times(fst_flags, atim, mtim, os.fstat(host)))


@wasi_function("fd_advise")
def fd_advise(ctx: WasiContext, fd: int, offset: int, length: int, advice: int) -> None:
    desc = ctx.fds.file(fd, R.FD_ADVISE)
    if advice not in Advice.__members__.values():
        raise WasiError(Errno.INVAL)
    _host_fd(desc)  # advice is only a hint: nothing more to do


@wasi_function("fd_allocate")
def fd_allocate(ctx: WasiContext, fd: int, offset: int, length: int) -> None:
    desc = ctx.fds.file(fd, R.FD_ALLOCATE)
    host = _host_fd(desc)
    end = offset + length
    if end >= 1 << 63:
        raise WasiError(Errno.FBIG)
    if os.fstat(host).st_size < end:
        os.ftruncate(host, end)


@wasi_function("fd_sync")
def fd_sync(ctx: WasiContext, fd: int) -> None:
    desc = ctx.fds.get(fd)
    desc.require(R.FD_SYNC)
    if isinstance(desc, StreamFd):
        desc.stream.flush()
    else:
        os.fsync(desc.host_fd)


@wasi_function("fd_datasync")
def fd_datasync(ctx: WasiContext, fd: int) -> None:
    desc = ctx.fds.get(fd)
    desc.require(R.FD_DATASYNC)
    if isinstance(desc, StreamFd):
        desc.stream.flush()
    else:
        getattr(os, "fdatasync", os.fsync)(desc.host_fd)


# --- Preopens and directories -------------------------------------------------

def _preopen(ctx: WasiContext, fd: int) -> bytes:
    desc = ctx.fds.get(fd)
    if not isinstance(desc, DirFd) or desc.preopen is None:
        raise WasiError(Errno.BADF)
    return desc.preopen.encode("utf-8", "surrogateescape")


@wasi_function("fd_prestat_get")
def fd_prestat_get(ctx: WasiContext, fd: int, out: int) -> None:
    ctx.mem.pack(PRESTAT, out, PREOPENTYPE_DIR, len(_preopen(ctx, fd)))


@wasi_function("fd_prestat_dir_name")
def fd_prestat_dir_name(ctx: WasiContext, fd: int, path: int, path_len: int) -> None:
    name = _preopen(ctx, fd)
    if path_len < len(name):
        raise WasiError(Errno.NAMETOOLONG)
    ctx.mem.write(path, name)


def _listing(desc: DirFd) -> list[tuple[bytes, int, FileType]]:
    """The entries of a directory: ``.``, ``..``, then the rest by name.

    ``..`` carries the directory's own inode, as in wasmtime: the parent of
    a preopened directory lies outside the sandbox, and nothing about it is
    the guest's to see."""
    ino = os.fstat(desc.host_fd).st_ino
    entries = [(b".", ino, FileType.DIRECTORY), (b"..", ino, FileType.DIRECTORY)]
    rest = []
    with os.scandir(desc.host_fd) as it:
        for entry in it:
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
            except FileNotFoundError:
                continue  # removed while we listed
            rest.append((os.fsencode(entry.name), entry.inode(), filetype_of(mode)))
    rest.sort()
    return entries + rest


@wasi_function("fd_readdir")
def fd_readdir(ctx: WasiContext, fd: int, buf: int, buf_len: int, cookie: int, out: int) -> None:
    desc = ctx.fds.dir(fd, R.FD_READDIR)
    ctx.mem.check(buf, buf_len)
    ctx.mem.check(out, 4)
    # Cookie 0 is a rewind: take a fresh snapshot, serve later cookies from it.
    if cookie == 0 or desc.listing is None:
        desc.listing = _listing(desc)
    chunks = []
    size = 0
    for index in range(cookie, len(desc.listing)):
        name, ino, ftype = desc.listing[index]
        record = DIRENT.pack(index + 1, ino & _MASK64, len(name), ftype) + name
        chunks.append(record)
        size += len(record)
        if size >= buf_len:
            break
    # A last entry that does not fit is cut: the caller sees a full buffer
    # and asks again with a bigger one.
    data = b"".join(chunks)[:buf_len]
    ctx.mem.write(buf, data)
    ctx.mem.set_u32(out, len(data))


# --- Sockets: none of the descriptors here is one ------------------------------

def _not_a_socket(ctx: WasiContext, fd: int) -> None:
    ctx.fds.get(fd)
    raise WasiError(Errno.NOTSOCK)


@wasi_function("sock_accept")
def sock_accept(ctx: WasiContext, fd: int, flags: int, out: int) -> None:
    _not_a_socket(ctx, fd)


@wasi_function("sock_recv")
def sock_recv(ctx: WasiContext, fd: int, iovs: int, iovs_len: int, flags: int,
              out_size: int, out_flags: int) -> None:
    _not_a_socket(ctx, fd)


@wasi_function("sock_send")
def sock_send(ctx: WasiContext, fd: int, iovs: int, iovs_len: int, flags: int, out: int) -> None:
    _not_a_socket(ctx, fd)


@wasi_function("sock_shutdown")
def sock_shutdown(ctx: WasiContext, fd: int, how: int) -> None:
    _not_a_socket(ctx, fd)
