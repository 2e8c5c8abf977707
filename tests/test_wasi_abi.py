"""WASI preview 1 host functions called directly, byte for byte: the witx
numbers and record layouts, argument and environment passing, descriptors,
reading and writing, directories, polling, clocks, exit, rights, and bad
input. (tests/test_wasi_sandbox.py covers path resolution.)"""

from __future__ import annotations

import errno as host_errno
import io
import os
import struct
import time

import pytest

import engine
from engine.errors import Trap, UsageError
from engine.wasi import (Errno, FileType, ProcExit, Rights, WasiConfig, WasiContext,
                         define_wasi, exit_code_of, host_functions, parse_dir, parse_env,
                         run_command, run_start)
from engine.wasi import abi
from engine.wasi.errors import errno_from_os
from watutil import wat2wasm

ALL = (1 << 64) - 1


class Guest:
    """A WASI context on a fresh memory, with its host functions by name and
    a bump allocator for arguments."""

    def __init__(self, config: WasiConfig | None = None, pages: int = 1):
        self.ctx = WasiContext(config or WasiConfig())
        self.memory = engine.Memory(engine.Store(), engine.MemoryType(pages))
        self.ctx.bind(self.memory)
        self.fns = {name: fn for name, (_, fn) in host_functions(self.ctx).items()}
        self.top = 0x1000

    def call(self, name: str, *args: int) -> int:
        return self.fns[name](*args)

    def alloc(self, size: int, align: int = 8) -> int:
        self.top = (self.top + align - 1) & -align
        ptr = self.top
        self.top += size
        return ptr

    def put(self, data: bytes | str) -> tuple[int, int]:
        if isinstance(data, str):
            data = data.encode()
        ptr = self.alloc(len(data) or 1)
        self.memory.data[ptr:ptr + len(data)] = data
        return ptr, len(data)

    def read(self, ptr: int, size: int) -> bytes:
        return bytes(self.memory.data[ptr:ptr + size])

    def u32(self, ptr: int) -> int:
        return struct.unpack_from("<I", self.memory.data, ptr)[0]

    def u64(self, ptr: int) -> int:
        return struct.unpack_from("<Q", self.memory.data, ptr)[0]

    def iovecs(self, *chunks: bytes | int) -> tuple[int, int]:
        """An iovec array: bytes chunks are written, ints are empty buffers
        of that size."""
        bufs = []
        for chunk in chunks:
            if isinstance(chunk, int):
                bufs.append((self.alloc(chunk or 1), chunk))
            else:
                bufs.append(self.put(chunk))
        array = self.alloc(8 * len(bufs))
        for i, (ptr, size) in enumerate(bufs):
            struct.pack_into("<II", self.memory.data, array + 8 * i, ptr, size)
        return array, len(bufs)

    def open(self, path: str | bytes, *, fd: int = 3, oflags: int = 0, follow: bool = True,
             rights: int = ALL, inheriting: int = ALL, fdflags: int = 0) -> tuple[int, int]:
        ptr, size = self.put(path)
        out = self.alloc(4)
        err = self.call("path_open", fd, int(follow), ptr, size, oflags, rights, inheriting,
                        fdflags, out)
        return err, self.u32(out) if err == 0 else -1

    def write(self, fd: int, data: bytes) -> tuple[int, int]:
        iovs, n = self.iovecs(data)
        out = self.alloc(4)
        err = self.call("fd_write", fd, iovs, n, out)
        return err, self.u32(out)

    def filestat(self, path: str, *, fd: int = 3, follow: bool = True) -> tuple[int, tuple]:
        ptr, size = self.put(path)
        out = self.alloc(64)
        err = self.call("path_filestat_get", fd, int(follow), ptr, size, out)
        return err, abi.FILESTAT.unpack_from(self.memory.data, out)

    def close(self) -> None:
        self.ctx.close()


@pytest.fixture
def guest_dir(tmp_path):
    (tmp_path / "dir").mkdir()
    guest = Guest(WasiConfig(preopens=[(str(tmp_path / "dir"), "/data")]))
    yield guest, tmp_path / "dir"
    guest.close()


# --- numbers and layouts from the witx ------------------------------------------

def test_errno_values():
    assert (Errno.SUCCESS, Errno.TOOBIG, Errno.ACCES, Errno.BADF, Errno.EXIST, Errno.FAULT) == (
        0, 1, 2, 8, 20, 21)
    assert (Errno.INVAL, Errno.ISDIR, Errno.LOOP, Errno.NOENT, Errno.NOSYS, Errno.NOTDIR) == (
        28, 31, 32, 44, 52, 54)
    assert (Errno.NOTEMPTY, Errno.NOTSOCK, Errno.NOTSUP, Errno.PERM, Errno.SPIPE) == (
        55, 57, 58, 63, 70)
    assert (Errno.XDEV, Errno.NOTCAPABLE) == (75, 76)
    assert len(Errno) == 77


def test_rights_and_flag_bits():
    assert Rights.FD_DATASYNC == 1 and Rights.FD_READ == 2 and Rights.FD_WRITE == 1 << 6
    assert Rights.PATH_OPEN == 1 << 13 and Rights.FD_READDIR == 1 << 14
    assert Rights.POLL_FD_READWRITE == 1 << 27 and Rights.SOCK_ACCEPT == 1 << 29
    assert len(Rights) == 30
    assert (abi.OFlags.CREAT, abi.OFlags.DIRECTORY, abi.OFlags.EXCL, abi.OFlags.TRUNC) == (1, 2, 4, 8)
    assert (abi.FdFlags.APPEND, abi.FdFlags.NONBLOCK, abi.FdFlags.SYNC) == (1, 4, 16)
    assert (abi.Whence.SET, abi.Whence.CUR, abi.Whence.END) == (0, 1, 2)
    assert (FileType.DIRECTORY, FileType.REGULAR_FILE, FileType.SYMBOLIC_LINK) == (3, 4, 7)
    assert (abi.FstFlags.ATIM, abi.FstFlags.ATIM_NOW, abi.FstFlags.MTIM, abi.FstFlags.MTIM_NOW) == (
        1, 2, 4, 8)


def test_record_layouts():
    assert abi.FDSTAT.pack(4, 0x1234, 5, 6) == (
        b"\x04\x00\x34\x12" + bytes(4) + struct.pack("<QQ", 5, 6))
    filestat = abi.FILESTAT.pack(1, 2, 3, 4, 5, 6, 7, 8)
    assert len(filestat) == 64 and filestat[16] == 3 and struct.unpack_from("<Q", filestat, 24)[0] == 4
    assert struct.unpack_from("<Q", filestat, 56)[0] == 8
    assert abi.DIRENT.pack(1, 2, 3, 4) == struct.pack("<QQIB", 1, 2, 3, 4) + bytes(3)
    assert abi.PRESTAT.pack(0, 9) == b"\0\0\0\0\x09\0\0\0"
    event = abi.EVENT.pack(0x1122, 8, 1, 99, 1)
    assert len(event) == 32 and event[8:11] == b"\x08\x00\x01"
    assert struct.unpack_from("<QH", event, 16) == (99, 1)


def test_every_witx_function_is_defined_with_its_signature():
    guest = Guest()
    functions = host_functions(guest.ctx)
    assert set(functions) == set(abi.SIGNATURES) and len(functions) == 46
    i32, i64 = engine.ValType.i32(), engine.ValType.i64()
    functype, _ = functions["path_open"]
    assert functype.params == (i32, i32, i32, i32, i32, i64, i64, i32, i32)
    assert functype.results == (i32,)
    assert functions["proc_exit"][0].results == ()
    assert functions["fd_seek"][0].params == (i32, i64, i32, i32)


def test_host_errnos_map_by_name():
    def mapped(number):
        return errno_from_os(OSError(number, "x"))

    assert mapped(host_errno.ENOENT) == Errno.NOENT
    assert mapped(host_errno.EACCES) == Errno.ACCES
    assert mapped(host_errno.ENOTEMPTY) == Errno.NOTEMPTY
    assert mapped(host_errno.E2BIG) == Errno.TOOBIG
    assert mapped(host_errno.ELOOP) == Errno.LOOP
    assert errno_from_os(OSError("no number")) == Errno.IO


# --- arguments and environment ----------------------------------------------------

def test_args_and_environ_layout():
    guest = Guest(WasiConfig(argv=["prog", "ä", ""], env={"A": "1", "B": "x=y"}))
    counts = guest.alloc(8)
    assert guest.call("args_sizes_get", counts, counts + 4) == 0
    assert (guest.u32(counts), guest.u32(counts + 4)) == (3, 5 + 3 + 1)
    argv, buf = guest.alloc(12), guest.alloc(9)
    assert guest.call("args_get", argv, buf) == 0
    assert [guest.u32(argv + 4 * i) - buf for i in range(3)] == [0, 5, 8]
    assert guest.read(buf, 9) == b"prog\0\xc3\xa4\0\0"
    assert guest.call("environ_sizes_get", counts, counts + 4) == 0
    assert (guest.u32(counts), guest.u32(counts + 4)) == (2, 4 + 6)
    env, buf = guest.alloc(8), guest.alloc(10)
    assert guest.call("environ_get", env, buf) == 0
    assert guest.read(buf, 10) == b"A=1\0B=x=y\0"
    assert guest.call("args_get", 0xFFFFFFF0, buf) == Errno.FAULT


def test_bad_configurations_are_usage_errors(tmp_path):
    with pytest.raises(UsageError):
        WasiContext(WasiConfig(env={"A=B": "1"}))
    with pytest.raises(UsageError):
        WasiContext(WasiConfig(argv=["a\0b"]))
    with pytest.raises(UsageError, match="cannot preopen"):
        WasiContext(WasiConfig(preopens=[(str(tmp_path / "missing"), "/x")]))
    with pytest.raises(UsageError):
        WasiContext(WasiConfig(stdout=b"bytes are input only"))
    with pytest.raises(UsageError):
        WasiContext(WasiConfig(stdin=12.5))
    with pytest.raises(UsageError):
        WasiContext(WasiConfig(argv=[3]))
    assert parse_dir("a::/b") == ("a", "/b") and parse_dir("here") == ("here", "here")
    assert parse_env("K=V=W") == ("K", "V=W")
    for bad in ("::x", "a::"):
        with pytest.raises(UsageError):
            parse_dir(bad)
    with pytest.raises(UsageError):
        parse_env("=v")


# --- stdio -------------------------------------------------------------------------

def test_stdio_write_gathers_and_read_scatters():
    out, err = io.BytesIO(), io.BytesIO()
    guest = Guest(WasiConfig(stdin=b"0123456789", stdout=out, stderr=err))
    iovs, n = guest.iovecs(b"ab", b"", b"cde")
    nout = guest.alloc(4)
    assert guest.call("fd_write", 1, iovs, n, nout) == 0 and guest.u32(nout) == 5
    assert guest.write(2, b"err") == (0, 3)
    assert (out.getvalue(), err.getvalue()) == (b"abcde", b"err")
    iovs, n = guest.iovecs(3, 0, 4)
    assert guest.call("fd_read", 0, iovs, n, nout) == 0 and guest.u32(nout) == 7
    first, _, third = (struct.unpack_from("<II", guest.memory.data, iovs + 8 * i) for i in range(3))
    assert guest.read(first[0], 3) == b"012" and guest.read(third[0], 4) == b"3456"
    assert guest.call("fd_read", 0, iovs, n, nout) == 0 and guest.u32(nout) == 3
    assert guest.call("fd_read", 0, iovs, n, nout) == 0 and guest.u32(nout) == 0


def test_stdio_descriptors():
    guest = Guest()
    stat = guest.alloc(24)
    assert guest.call("fd_fdstat_get", 1, stat) == 0
    filetype, flags, base, inheriting = abi.FDSTAT.unpack_from(guest.memory.data, stat)
    assert base & Rights.FD_WRITE and not base & (Rights.FD_SEEK | Rights.FD_TELL | Rights.FD_READ)
    assert filetype == FileType.CHARACTER_DEVICE  # no stream: like /dev/null
    assert guest.write(0, b"x")[0] == Errno.NOTCAPABLE  # stdin is not writable
    out = guest.alloc(8)
    assert guest.call("fd_seek", 1, 0, 0, out) == Errno.SPIPE
    assert guest.call("fd_tell", 1, out) == Errno.SPIPE
    assert guest.write(9, b"x")[0] == Errno.BADF
    assert guest.call("fd_close", 1) == 0
    assert guest.write(1, b"x")[0] == Errno.BADF
    assert guest.call("fd_close", 1) == Errno.BADF


def test_out_of_bounds_pointers_are_fault_not_exceptions():
    guest = Guest(WasiConfig(stdout=io.BytesIO()))
    end = guest.memory.data_len()
    nout = guest.alloc(4)
    bad_iov = guest.alloc(8)
    struct.pack_into("<II", guest.memory.data, bad_iov, end - 2, 10)
    assert guest.call("fd_write", 1, bad_iov, 1, nout) == Errno.FAULT
    assert guest.call("fd_write", 1, end - 4, 1, nout) == Errno.FAULT
    assert guest.call("fd_write", 1, 0, 0, end) == Errno.FAULT
    assert guest.call("clock_time_get", 0, 0, end - 4) == Errno.FAULT
    assert guest.call("random_get", end - 8, 9) == Errno.FAULT
    assert guest.call("random_get", -8, 4) == Errno.FAULT  # signed i32 = huge address


def test_unbound_memory_is_fault():
    ctx = WasiContext()
    fns = {name: fn for name, (_, fn) in host_functions(ctx).items()}
    assert fns["args_sizes_get"](0, 4) == Errno.FAULT


# --- files and directories ---------------------------------------------------------

def test_prestat(guest_dir):
    guest, _ = guest_dir
    out = guest.alloc(8)
    assert guest.call("fd_prestat_get", 3, out) == 0
    assert guest.read(out, 8) == abi.PRESTAT.pack(0, 5)
    name = guest.alloc(5)
    assert guest.call("fd_prestat_dir_name", 3, name, 5) == 0 and guest.read(name, 5) == b"/data"
    assert guest.call("fd_prestat_dir_name", 3, name, 4) == Errno.NAMETOOLONG
    assert guest.call("fd_prestat_get", 4, out) == Errno.BADF  # how libc finds the end
    assert guest.call("fd_prestat_get", 1, out) == Errno.BADF  # not a preopen


def test_file_read_write_seek_stat(guest_dir):
    guest, host = guest_dir
    o = abi.OFlags
    err, fd = guest.open("f.txt", oflags=o.CREAT | o.EXCL)
    assert (err, fd) == (0, 4)
    assert guest.write(fd, b"hello world") == (0, 11)
    pos = guest.alloc(8)
    assert guest.call("fd_tell", fd, pos) == 0 and guest.u64(pos) == 11
    assert guest.call("fd_seek", fd, -5, abi.Whence.END, pos) == 0 and guest.u64(pos) == 6
    iovs, n = guest.iovecs(16)
    nread = guest.alloc(4)
    assert guest.call("fd_read", fd, iovs, n, nread) == 0 and guest.u32(nread) == 5
    assert guest.call("fd_seek", fd, -1, abi.Whence.SET, pos) == Errno.INVAL
    assert guest.call("fd_seek", fd, 0, 7, pos) == Errno.INVAL
    assert guest.call("fd_pread", fd, iovs, n, 2, nread) == 0
    assert guest.u32(nread) == 9
    stat = guest.alloc(64)
    assert guest.call("fd_filestat_get", fd, stat) == 0
    st = os.stat(host / "f.txt")
    dev, ino, ftype, nlink, size, atim, mtim, ctim = abi.FILESTAT.unpack_from(guest.memory.data, stat)
    assert (dev, ino, ftype, nlink, size, mtim) == (
        st.st_dev, st.st_ino, FileType.REGULAR_FILE, 1, 11, st.st_mtime_ns)
    assert guest.call("fd_filestat_set_size", fd, 3) == 0
    assert (host / "f.txt").read_bytes() == b"hel"
    assert guest.call("fd_allocate", fd, 0, 10) == 0 and os.path.getsize(host / "f.txt") == 10
    assert guest.call("fd_filestat_set_times", fd, 5_000_000_000, 7_000_000_000,
                      abi.FstFlags.ATIM | abi.FstFlags.MTIM) == 0
    assert os.stat(host / "f.txt").st_mtime_ns == 7_000_000_000
    assert guest.call("fd_filestat_set_times", fd, 0, 0,
                      abi.FstFlags.ATIM | abi.FstFlags.ATIM_NOW) == Errno.INVAL
    assert guest.call("fd_sync", fd) == 0 and guest.call("fd_datasync", fd) == 0
    assert guest.call("fd_advise", fd, 0, 0, abi.Advice.SEQUENTIAL) == 0
    assert guest.call("fd_advise", fd, 0, 0, 6) == Errno.INVAL
    assert guest.open("f.txt", oflags=o.CREAT | o.EXCL)[0] == Errno.EXIST
    assert guest.open("f.txt", oflags=o.DIRECTORY)[0] == Errno.NOTDIR
    assert guest.open("missing")[0] == Errno.NOENT
    assert guest.call("fd_close", fd) == 0


def test_append_and_truncate_flags(guest_dir):
    guest, host = guest_dir
    (host / "log").write_bytes(b"one\n")
    err, fd = guest.open("log", fdflags=abi.FdFlags.APPEND)
    assert err == 0 and guest.write(fd, b"two\n") == (0, 4)
    stat = guest.alloc(24)
    assert guest.call("fd_fdstat_get", fd, stat) == 0
    assert abi.FDSTAT.unpack_from(guest.memory.data, stat)[1] == abi.FdFlags.APPEND
    assert guest.call("fd_fdstat_set_flags", fd, 0) == 0
    assert guest.call("fd_fdstat_set_flags", fd, abi.FdFlags.SYNC) == Errno.NOTSUP
    assert (host / "log").read_bytes() == b"one\ntwo\n"
    err, fd2 = guest.open("log", oflags=abi.OFlags.TRUNC)
    assert err == 0 and (host / "log").read_bytes() == b""


def test_rights_limit_what_a_descriptor_does(guest_dir):
    guest, host = guest_dir
    (host / "ro").write_bytes(b"data")
    err, fd = guest.open("ro", rights=Rights.FD_READ | Rights.FD_SEEK)
    assert err == 0
    assert guest.write(fd, b"x")[0] == Errno.NOTCAPABLE
    assert guest.call("fd_filestat_get", fd, guest.alloc(64)) == Errno.NOTCAPABLE
    stat = guest.alloc(24)
    assert guest.call("fd_fdstat_get", fd, stat) == 0
    assert abi.FDSTAT.unpack_from(guest.memory.data, stat)[2] == Rights.FD_READ | Rights.FD_SEEK
    # Rights can be dropped, never regained.
    assert guest.call("fd_fdstat_set_rights", fd, Rights.FD_READ, 0) == 0
    assert guest.call("fd_fdstat_set_rights", fd, Rights.FD_READ | Rights.FD_SEEK, 0) == Errno.NOTCAPABLE
    assert guest.call("fd_seek", fd, 1, 0, guest.alloc(8)) == Errno.NOTCAPABLE
    # A directory that may not open files, or hand on write rights.
    assert guest.call("fd_fdstat_set_rights", 3, abi.RIGHTS_DIR & ~Rights.PATH_OPEN, ALL) == Errno.NOTCAPABLE
    assert guest.call("fd_fdstat_set_rights", 3, abi.RIGHTS_DIR,
                      abi.RIGHTS_DIR | abi.RIGHTS_FILE & ~Rights.FD_WRITE) == 0
    err, fd = guest.open("ro")
    assert err == 0 and guest.write(fd, b"x")[0] == Errno.NOTCAPABLE
    assert guest.call("fd_fdstat_set_rights", 3, abi.RIGHTS_DIR & ~Rights.PATH_OPEN, 0) == 0
    assert guest.open("ro")[0] == Errno.NOTCAPABLE


def test_directories(guest_dir):
    guest, host = guest_dir
    ptr, size = guest.put("sub")
    assert guest.call("path_create_directory", 3, ptr, size) == 0
    assert guest.call("path_create_directory", 3, ptr, size) == Errno.EXIST
    (host / "sub" / "a").write_text("a")
    (host / "b.txt").write_text("bb")
    os.symlink("b.txt", host / "l")
    assert guest.filestat("sub")[1][2] == FileType.DIRECTORY
    assert guest.filestat("l", follow=False)[1][2] == FileType.SYMBOLIC_LINK
    assert guest.filestat("l")[1][2] == FileType.REGULAR_FILE and guest.filestat("l")[1][4] == 2
    assert guest.call("path_remove_directory", 3, ptr, size) == Errno.NOTEMPTY
    ptr2, size2 = guest.put("sub/a")
    assert guest.call("path_unlink_file", 3, ptr2, size2) == 0
    assert guest.call("path_unlink_file", 3, ptr, size) == Errno.ISDIR
    ptr3, size3 = guest.put("sub/")
    assert guest.call("path_remove_directory", 3, ptr3, size3) == 0
    assert not (host / "sub").exists()
    ptr4, size4 = guest.put("b.txt")
    assert guest.call("path_remove_directory", 3, ptr4, size4) == Errno.NOTDIR
    buf, out = guest.alloc(3), guest.alloc(4)
    lptr, lsize = guest.put("l")
    assert guest.call("path_readlink", 3, lptr, lsize, buf, 3, out) == 0
    assert (guest.u32(out), guest.read(buf, 3)) == (3, b"b.t")  # cut, as readlink(2)
    new, nsize = guest.put("c.txt")
    assert guest.call("path_rename", 3, ptr4, size4, 3, new, nsize) == 0
    assert guest.call("path_link", 3, 0, new, nsize, 3, ptr4, size4) == 0
    assert os.stat(host / "b.txt").st_nlink == 2
    target, tsize = guest.put("c.txt")
    link, lsize2 = guest.put("l2")
    assert guest.call("path_symlink", target, tsize, 3, link, lsize2) == 0
    assert os.readlink(host / "l2") == "c.txt"
    assert guest.call("path_filestat_set_times", 3, 1, new, nsize, 0, 9_000_000_000,
                      abi.FstFlags.MTIM) == 0
    assert os.stat(host / "c.txt").st_mtime_ns == 9_000_000_000
    err, dfd = guest.open(".", oflags=abi.OFlags.DIRECTORY, rights=ALL & ~Rights.FD_WRITE)
    assert err == 0 and guest.write(dfd, b"x")[0] == Errno.ISDIR
    assert guest.call("fd_read", dfd, 0, 0, guest.alloc(4)) == Errno.ISDIR


def readdir(guest: Guest, fd: int, size: int, cookie: int) -> tuple[int, bytes]:
    buf, out = guest.alloc(size), guest.alloc(4)
    err = guest.call("fd_readdir", fd, buf, size, cookie, out)
    assert err == 0
    return guest.u32(out), guest.read(buf, guest.u32(out))


def parse_dirents(data: bytes) -> list[tuple[int, str, int]]:
    entries = []
    pos = 0
    while pos + 24 <= len(data):
        d_next, _ino, namlen, dtype = abi.DIRENT.unpack_from(data, pos)
        entries.append((d_next, data[pos + 24:pos + 24 + namlen].decode(), dtype))
        pos += 24 + namlen
    return entries


def test_readdir_layout_cookies_and_truncation(guest_dir):
    guest, host = guest_dir
    (host / "file").write_text("x")
    (host / "dir").mkdir()
    os.symlink("file", host / "link")
    n, data = readdir(guest, 3, 4096, 0)
    assert n < 4096
    assert parse_dirents(data) == [(1, ".", 3), (2, "..", 3), (3, "dir", 3), (4, "file", 4),
                                   (5, "link", 7)]
    assert abi.DIRENT.unpack_from(data, (24 + 1) + (24 + 2))[1] == os.stat(host / "dir").st_ino
    # A small buffer is filled completely, cutting the last entry.
    n, data = readdir(guest, 3, 60, 0)
    assert n == 60 and [e[1] for e in parse_dirents(data)] == [".", ".."]
    # Continuing from a cookie: an entry's d_next names the one after it.
    n, data = readdir(guest, 3, 4096, 3)
    assert [e[1] for e in parse_dirents(data)] == ["file", "link"]
    assert readdir(guest, 3, 4096, 99) == (0, b"")
    err, fd = guest.open("file")
    assert guest.call("fd_readdir", fd, 0, 0, 0, guest.alloc(4)) == Errno.NOTDIR


def test_a_directory_opened_with_the_write_right_is_isdir(guest_dir):
    # as wasmtime and the WASI testsuite (path_open_preopen): O_DIRECTORY
    # with FD_WRITE fails, it does not open with the right silently dropped
    guest, host = guest_dir
    (host / "sub").mkdir()
    (host / "file").write_text("x")
    D, W = abi.OFlags.DIRECTORY, int(Rights.FD_READ | Rights.FD_WRITE)
    for path in (".", "sub", "sub/"):
        assert guest.open(path, oflags=D, rights=W)[0] == Errno.ISDIR
        assert guest.open(path, rights=W)[0] == Errno.ISDIR
        err, fd = guest.open(path, oflags=D, rights=int(Rights.FD_READ))
        assert err == 0 and guest.call("fd_close", fd) == 0
        err, fd = guest.open(path, oflags=D, rights=0)
        assert err == 0 and guest.call("fd_close", fd) == 0
    assert guest.open("file", oflags=D, rights=W)[0] == Errno.NOTDIR


def test_readdir_dotdot_of_a_preopen_is_not_the_host_parent(guest_dir):
    guest, host = guest_dir
    (host / "sub").mkdir()
    parent = os.stat(host.parent).st_ino
    for fd in (3, guest.open("sub", oflags=abi.OFlags.DIRECTORY, rights=int(Rights.FD_READDIR))[1]):
        entries = readdir(guest, fd, 4096, 0)[1]
        own = abi.DIRENT.unpack_from(entries, 0)[1]
        dotdot = abi.DIRENT.unpack_from(entries, 24 + 1)
        assert entries[24:25] == b"." and entries[2 * 24 + 1:2 * 24 + 3] == b".."
        # the directory's own inode, as wasmtime gives it
        assert dotdot[1] == own != parent
    assert own == os.stat(host / "sub").st_ino


@pytest.mark.parametrize("follow", [False, True])
def test_exclusive_create_on_an_existing_symlink_is_eexist(tmp_path, follow):
    # POSIX: O_CREAT|O_EXCL never follows a final symlink; one that exists
    # is EEXIST, wherever it points (outside, inside, nowhere)
    box = tmp_path / "box"
    box.mkdir()
    (tmp_path / "outside").write_text("secret")
    os.symlink("../outside", box / "out")
    os.symlink(str(tmp_path / "outside"), box / "abs_out")
    os.symlink("missing", box / "dangling")
    (box / "file").write_text("x")
    guest = Guest(WasiConfig(preopens=[(str(box), "/box")]))
    try:
        C = abi.OFlags.CREAT | abi.OFlags.EXCL
        for name in ("out", "abs_out", "dangling", "file"):
            assert guest.open(name, oflags=C, follow=follow)[0] == Errno.EXIST, name
        assert guest.open("new", oflags=C, follow=follow)[0] == 0
    finally:
        guest.close()
    assert (tmp_path / "outside").read_text() == "secret"
    assert not (box / "missing").exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="the host has no FIFOs")
def test_a_fifo_in_a_preopen_never_blocks_the_host(guest_dir):
    import threading

    guest, host = guest_dir
    os.mkfifo(host / "fifo")
    result = {}
    reader = threading.Thread(target=lambda: result.update(read=guest.open("fifo", rights=ALL & ~Rights.FD_WRITE)),
                              daemon=True)
    reader.start()
    reader.join(10)
    if reader.is_alive():
        # release the blocked open (a writer arrives) before failing
        os.close(os.open(host / "fifo", os.O_WRONLY))
        reader.join()
        pytest.fail("opening a FIFO blocked the host thread")
    err, fd = result["read"]
    assert err == 0
    stat_out = guest.alloc(24)
    assert guest.call("fd_fdstat_get", fd, stat_out) == 0
    ftype, flags = abi.FDSTAT.unpack_from(guest.memory.data, stat_out)[:2]
    assert ftype == FileType.UNKNOWN and flags & abi.FdFlags.NONBLOCK
    # nothing written, no writer: the read returns at once
    iovs, n = guest.iovecs(8)
    assert guest.call("fd_read", fd, iovs, n, guest.alloc(4)) in (0, Errno.AGAIN)
    # it stays non-blocking: the guest cannot make the host wait on it
    assert guest.call("fd_fdstat_set_flags", fd, 0) == Errno.NOTSUP
    assert guest.call("fd_fdstat_set_flags", fd, abi.FdFlags.NONBLOCK) == 0
    # a regular file is blocking unless asked
    (host / "plain").write_text("x")
    err, plain = guest.open("plain")
    assert err == 0 and guest.call("fd_fdstat_get", plain, stat_out) == 0
    assert abi.FDSTAT.unpack_from(guest.memory.data, stat_out)[1] == 0


# --- poll, clocks, random, exit ------------------------------------------------------

def subscription(userdata: int, tag: int, *, clock_id=1, timeout=0, flags=0, fd=0) -> bytes:
    head = struct.pack("<QB7x", userdata, tag)
    if tag == abi.EventType.CLOCK:
        body = abi.SUBSCRIPTION_CLOCK.pack(clock_id, timeout, 0, flags)
    else:
        body = abi.SUBSCRIPTION_FD.pack(fd)
    return (head + body).ljust(48, b"\0")


def poll(guest: Guest, *subs: bytes) -> tuple[int, list[tuple]]:
    ptr, _ = guest.put(b"".join(subs))
    out, nout = guest.alloc(32 * len(subs)), guest.alloc(4)
    err = guest.call("poll_oneoff", ptr, out, len(subs), nout)
    events = [abi.EVENT.unpack_from(guest.memory.data, out + 32 * i) for i in range(guest.u32(nout))]
    return err, events


def test_poll_oneoff_layouts_and_timing():
    guest = Guest(WasiConfig(stdin=b"abc", stdout=io.BytesIO()))
    clock, read, write = abi.EventType.CLOCK, abi.EventType.FD_READ, abi.EventType.FD_WRITE
    start = time.monotonic()
    err, events = poll(guest, subscription(1, clock, timeout=30_000_000),
                       subscription(2, clock, timeout=10_000_000_000))
    assert err == 0 and events == [(1, 0, clock, 0, 0)]
    assert 0.03 <= time.monotonic() - start < 5
    err, events = poll(guest, subscription(5, read, fd=0), subscription(6, write, fd=1),
                       subscription(7, read, fd=1), subscription(8, write, fd=77),
                       subscription(9, clock, timeout=10_000_000_000))
    assert err == 0
    assert events == [(5, 0, read, 3, 0), (6, 0, write, 0, 0),
                      (7, Errno.NOTCAPABLE, read, 0, 0), (8, Errno.BADF, write, 0, 0)]
    deadline = time.time_ns() + 20_000_000
    err, events = poll(guest, subscription(3, clock, clock_id=0, timeout=deadline,
                                           flags=abi.SUBSCRIPTION_CLOCK_ABSTIME))
    assert err == 0 and events == [(3, 0, clock, 0, 0)] and time.time_ns() >= deadline
    err, events = poll(guest, subscription(4, clock, clock_id=2, timeout=1))
    assert events == [(4, Errno.NOTSUP, clock, 0, 0)]
    assert guest.call("poll_oneoff", 0x100, 0x200, 0, 0x300) == Errno.INVAL
    assert poll(guest, subscription(1, 9))[0] == Errno.INVAL


def test_clocks_random_yield():
    guest = Guest()
    out = guest.alloc(8)
    before = time.time_ns()
    assert guest.call("clock_time_get", 0, 1, out) == 0
    assert before <= guest.u64(out) <= time.time_ns()
    for clock_id in range(4):
        assert guest.call("clock_time_get", clock_id, 0, out) == 0 and guest.u64(out) > 0
        assert guest.call("clock_res_get", clock_id, out) == 0 and guest.u64(out) >= 1
    assert guest.call("clock_time_get", 4, 0, out) == Errno.INVAL
    assert guest.call("clock_res_get", 99, out) == Errno.INVAL
    buf = guest.alloc(64)
    assert guest.call("random_get", buf, 64) == 0 and guest.read(buf, 64) != bytes(64)
    assert guest.call("sched_yield") == 0
    assert guest.call("proc_raise", 6) == Errno.NOTSUP
    assert guest.call("sock_send", 1, 0, 0, 0, out) == Errno.NOTSOCK
    assert guest.call("sock_accept", 42, 0, out) == Errno.BADF


def test_proc_exit_raises_procexit():
    guest = Guest()
    with pytest.raises(ProcExit) as info:
        guest.call("proc_exit", -2)
    assert info.value.code == 0xFFFFFFFE


EXITER = """
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hi\\n")
  (global $depth (mut i32) (i32.const 0))
  (func $deep (param $n i32)
    (if (local.get $n)
      (then (call $deep (i32.sub (local.get $n) (i32.const 1))) (unreachable)))
    ;; iovec at 0: "hi\\n"
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 3))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $exit (i32.const 23))
    (unreachable))
  (func (export "_start") (call $deep (i32.const 50))))
"""

TRAPPER = """
(module
  (import "wasi_snapshot_preview1" "sched_yield" (func (result i32)))
  (memory (export "memory") 1)
  (func (export "_start") unreachable))
"""


def test_proc_exit_unwinds_the_wasm_stack():
    out = io.BytesIO()
    assert run_command(wat2wasm(EXITER), ["x"], stdout=out) == 23
    assert out.getvalue() == b"hi\n"


def test_a_trap_is_not_an_exit():
    with pytest.raises(Trap) as info:
        run_command(wat2wasm(TRAPPER), ["x"], stdout=None, stderr=None, stdin=None)
    assert exit_code_of(info.value) is None


def test_wiring_by_hand_and_modules_that_are_not_commands():
    eng = engine.Engine()
    store = engine.Store(eng)
    linker = engine.Linker(eng)
    out = io.BytesIO()
    with WasiContext(WasiConfig(stdout=out)) as ctx:
        define_wasi(linker, ctx)
        instance = linker.instantiate(store, engine.Module(eng, wat2wasm(EXITER)))
        ctx.bind(instance, store)
        assert run_start(store, instance) == 23
    assert out.getvalue() == b"hi\n"
    no_start = wat2wasm('(module (memory (export "memory") 1))')
    with pytest.raises(UsageError, match="_start"):
        run_command(no_start, ["x"])
    no_memory = wat2wasm('(module (func (export "_start")))')
    with pytest.raises(UsageError, match="memory"):
        run_command(no_memory, ["x"])
    with pytest.raises(engine.MalformedError):
        run_command(b"\0asm\1\0\0\0\xff", ["x"])
    with pytest.raises(UsageError):
        run_command(12345, ["x"])
    exiter = wat2wasm(EXITER)
    for bad in ({"dirs": [("a", "b", "c")]}, {"dirs": "just-a-string"}, {"env": [42]},
                {"env": 7}, {"dirs": ["::nothing"]}, {"env": ["=x"]}):
        with pytest.raises(UsageError):
            run_command(exiter, ["x"], stdout=None, **bad)


def test_random_calls_return_an_errno_and_nothing_else(tmp_path):
    """Every function, with arguments drawn at
    random (small, edge and huge values): the answer is always an errno,
    never a Python exception, and nothing appears outside the sandbox."""
    import random

    box = tmp_path / "box"
    box.mkdir()
    (box / "f").write_text("data")
    guest = Guest(WasiConfig(argv=["a"], env={"K": "V"}, stdin=b"in", stdout=io.BytesIO(),
                             preopens=[(str(box), "/box")]))
    # Not the ones that wait or exit, nor those that close fds (which would
    # soon leave only BADF to answer).
    names = [n for n in abi.SIGNATURES if n not in (
        "poll_oneoff", "proc_exit", "sched_yield", "fd_close", "fd_renumber")]
    rng = random.Random(1234)
    memory = guest.memory.data
    for i in range(0, 0x800, 4):
        memory[0x800 + i:0x804 + i] = rng.choice([b"f\0..", b"/box", b"../x", b"\xff\xff\xff\xff",
                                                  struct.pack("<I", rng.randrange(0x1000))])

    def value(kind: str) -> int:
        edge = [0, 1, 3, 4, 0x800, 0xFFFF, 0x7FFFFFFF, -1]
        if kind == "I":
            edge += [1 << 62, (1 << 63) - 1, -(1 << 63)]
        roll = rng.random()
        if roll < 0.4:
            return rng.randrange(6)  # an fd, a flag, a small length
        return rng.choice(edge) if roll < 0.7 else rng.randrange(0x1000)

    for _ in range(4000):
        name = rng.choice(names)
        params = abi.SIGNATURES[name][0]
        result = guest.call(name, *[value(k) for k in params])
        assert isinstance(result, int) and 0 <= result <= Errno.NOTCAPABLE, name
    guest.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["box"]
